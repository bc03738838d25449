//! What the window knows, kept up to date from engine events: the
//! configuration, whether each registry answered, and the queue.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::engine::event::{ConfigSnapshot, SourceInfo};
use crate::engine::{CommandSender, Event};
use crate::store::QueueCounts;

/// Whether a data source answered the last time it was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceStatus {
    pub online: bool,
    pub detail: String,
    pub at: DateTime<Utc>,
}

/// The window's read model. Screens read it; only events change it.
#[derive(Debug, Default)]
pub struct AppData {
    /// `None` until the engine has answered `LoadConfig`.
    pub config: Option<ConfigSnapshot>,
    pub source_status: HashMap<i64, SourceStatus>,
    pub queue: QueueCounts,
    /// When a registry last answered.
    pub last_sync: Option<DateTime<Utc>>,
    /// The built-in demo registry's data source, when it runs.
    pub demo_source_id: Option<i64>,
    /// Why the demo registry did not start.
    pub demo_error: Option<String>,
    /// Officer or supervisor, as the engine acts now.
    pub role: crate::domain::Role,
}

impl AppData {
    /// Applies the events that change what the window knows.
    pub fn apply(&mut self, event: &Event) {
        match event {
            Event::Config(c) if self.config.as_ref().is_none_or(|old| c.revision >= old.revision) => {
                self.config = Some((**c).clone());
            }
            Event::SourceStatus {
                data_source_id,
                online,
                detail,
                at,
            } => {
                if *online {
                    self.last_sync = Some(*at);
                }
                self.source_status.insert(
                    *data_source_id,
                    SourceStatus {
                        online: *online,
                        detail: detail.clone(),
                        at: *at,
                    },
                );
            }
            Event::QueueCounts(q) => self.queue = *q,
            Event::RoleChanged { role } => self.role = *role,
            Event::DemoRegistry { outcome } => match outcome {
                Ok(id) => {
                    self.demo_source_id = Some(*id);
                    self.demo_error = None;
                }
                Err(e) => self.demo_error = Some(e.clone()),
            },
            _ => {}
        }
    }

    /// The data sources, in name order (empty until loaded).
    pub fn sources(&self) -> &[SourceInfo] {
        self.config.as_ref().map(|c| c.sources.as_slice()).unwrap_or_default()
    }

    /// A data source's name, or a placeholder for one that was removed.
    pub fn source_name(&self, id: Option<i64>) -> String {
        id.and_then(|id| self.sources().iter().find(|s| s.source.id == id))
            .map(|s| s.source.name.clone())
            .unwrap_or_else(|| "(removed data source)".to_string())
    }

    /// Whether the data source is the built-in demo registry.
    pub fn is_demo(&self, id: Option<i64>) -> bool {
        id.and_then(|id| self.sources().iter().find(|s| s.source.id == id))
            .is_some_and(|s| s.source.is_demo)
    }

    /// Online (`Some(true)`), offline (`Some(false)`) or not asked yet.
    pub fn online(&self, id: i64) -> Option<bool> {
        self.source_status.get(&id).map(|s| s.online)
    }
}

/// The window's light or dark look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum ThemeChoice {
    /// Follow the operating system.
    #[default]
    System,
    Light,
    Dark,
}

impl ThemeChoice {
    pub fn preference(self) -> egui::ThemePreference {
        match self {
            ThemeChoice::System => egui::ThemePreference::System,
            ThemeChoice::Light => egui::ThemePreference::Light,
            ThemeChoice::Dark => egui::ThemePreference::Dark,
        }
    }
}

/// What the window remembers between runs (with eframe's storage; window
/// size and position are remembered by eframe itself).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Prefs {
    pub theme: ThemeChoice,
    pub last_screen: crate::ui::screens::Screen,
}

/// Sends commands to the engine (a clone per screen is cheap).
pub type Commands = CommandSender;
