//! The desktop window (egui/eframe): draws state and sends commands.
//!
//! Nothing here does I/O in a frame. Every action becomes an
//! `engine::Command`; results arrive as `engine::Event`s, which wake the
//! window (`request_repaint`) and are applied at the top of the next frame.
//! Idle, the window does not repaint at all.
//!
//! - `app`: the shell — navigation, status bar, toasts, event dispatch, persistence;
//! - `state`: what the window knows (configuration, registry status, queue);
//! - `screens`: one file per screen behind the small [`screens::View`] trait,
//!   with its cards, dialogs and steps in a folder of the same name;
//! - `forms`: the form models (fields, validation, hints, conversions), no egui;
//! - `widgets`: the result badge, masked values, form rows;
//! - `theme`: colours and spacing.

pub mod app;
pub mod bench;
pub mod forms;
pub mod screens;
pub mod state;
pub mod theme;
pub mod widgets;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

pub use app::{Backend, IbrDeskApp};
pub use screens::Screen;

/// How the window starts.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    pub data_dir: Option<PathBuf>,
    /// Open on this screen instead of the last one (screenshots, tests).
    pub screen: Option<Screen>,
    /// Print the time from launch to the first frame, then close.
    pub first_frame_report: bool,
    /// When the process started, for the first-frame report.
    pub launched: Option<Instant>,
    /// Check sample applicants against the demo registry once it runs.
    pub sample_checks: bool,
}

/// Opens the window and runs until it is closed.
pub fn run(options: RunOptions) -> anyhow::Result<()> {
    let launched = options.launched.unwrap_or_else(Instant::now);
    let dir = crate::store::paths::data_dir(options.data_dir.as_deref())?;
    let db = dir.join(crate::store::paths::DATABASE_FILE);
    let store = Arc::new(crate::store::Store::open(&db)?);
    let secrets: Arc<dyn crate::secrets::SecretStore> = match std::env::var("IBR_DESK_SECRET_STORE").as_deref() {
        Ok("memory") => Arc::new(crate::secrets::MemorySecretStore::default()),
        _ => Arc::new(crate::secrets::KeyringStore::new()?),
    };
    let native = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("IBR Desk")
            .with_app_id("ibr-desk")
            .with_inner_size([1240.0, 780.0])
            .with_min_inner_size([880.0, 560.0]),
        renderer: eframe::Renderer::Glow,
        ..Default::default()
    };
    let backend = Backend {
        store,
        secrets,
        engine: crate::engine::EngineConfig {
            actor: std::env::var("USER").unwrap_or_else(|_| "officer".into()),
            ..Default::default()
        },
    };
    let first_frame_report = options.first_frame_report;
    let screen = options.screen;
    let sample_checks = options.sample_checks;
    eframe::run_native(
        "IBR Desk",
        native,
        Box::new(move |cc| {
            let mut app = IbrDeskApp::new(cc, backend).map_err(|e| Box::new(std::io::Error::other(e.to_string())))?;
            if let Some(s) = screen {
                app.show_screen(s);
            }
            app.report_first_frame(launched, first_frame_report);
            if sample_checks {
                app.run_sample_checks_when_ready();
            }
            Ok(Box::new(app))
        }),
    )
    .map_err(|e| anyhow::anyhow!("the window could not open: {e}"))
}
