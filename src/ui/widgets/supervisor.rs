//! Where only a supervisor may change something (data sources, trusted
//! senders): an officer sees the configuration and what a change would do,
//! is told in words why it cannot be saved, and has the switch to the
//! supervisor role at hand — the PIN field and its button right there.
//!
//! The engine refuses such changes from an officer whoever sends them; this
//! only makes the refusal visible before anyone tries.

use egui::{RichText, Ui};

use crate::domain::Role;
use crate::engine::{Command, Event, Pending};
use crate::ui::screens::{Navigate, Screen, answer};
use crate::ui::state::{AppData, Commands};
use crate::ui::theme;
use crate::ui::widgets::{entered, form_row, sentence, warning};

/// What an officer is told on the Data sources and Trusted senders screens.
pub const SWITCH_PROMPT: &str = "Switch to supervisor to change data sources and trusted senders.";
/// What stops "Save" (or "Remove", "Fetch public key") for an officer.
pub const SUPERVISOR_ONLY: &str = "Only a supervisor can do this: switch with the PIN above.";

/// The PIN typed into the switch, and the engine's answer.
#[derive(Debug, Default)]
pub struct SupervisorSwitch {
    pin: String,
    /// Sent to the engine, not answered yet.
    waiting: Option<Pending<Role>>,
    error: Option<String>,
}

impl SupervisorSwitch {
    /// Follows the engine's answer to a switch sent from here.
    pub fn on_event(&mut self, event: &Event) {
        if let Event::RoleChanged { .. } = event {
            *self = SupervisorSwitch::default();
        }
    }

    /// Takes the engine's answer to a switch sent from here, once it came.
    pub fn poll(&mut self) {
        if let Some(r) = answer(&mut self.waiting) {
            match r {
                Ok(_) => *self = SupervisorSwitch::default(),
                Err(e) => self.error = Some(sentence(&e.detail)),
            }
        }
    }

    /// As an officer: the notice, `would_change` (what saving would change,
    /// when a form is open) and the switch. Returns whether the engine acts
    /// as a supervisor, who may make the change.
    pub fn ui(
        &mut self,
        ui: &mut Ui,
        data: &AppData,
        cmds: &Commands,
        navigate: &mut Option<Navigate>,
        would_change: Option<&str>,
    ) -> bool {
        if data.role == Role::Supervisor {
            return true;
        }
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.set_width(ui.available_width());
            warning(ui, SWITCH_PROMPT);
            ui.label(
                RichText::new(
                    "Officers see the configuration. Adding, editing or removing data sources and trusted senders, \
                     fetching their keys, and allowing unsigned replies or unencrypted http are a supervisor's \
                     decisions, recorded with their name.",
                )
                .weak(),
            );
            if let Some(w) = would_change {
                ui.label(format!("Saving would {w}"));
            }
            let pin_set = data.config.as_ref().is_some_and(|c| c.supervisor_pin_set);
            if !pin_set {
                ui.horizontal_wrapped(|ui| {
                    ui.label("No supervisor PIN is set yet: set one in Settings first.");
                    if ui.button("Go to Settings").clicked() {
                        *navigate = Some(Navigate::To(Screen::Settings));
                    }
                });
                return;
            }
            self.switch_row(ui, cmds);
        });
        false
    }

    fn switch_row(&mut self, ui: &mut Ui, cmds: &Commands) {
        let mut submit = false;
        ui.horizontal(|ui| {
            let field = form_row(ui, "Supervisor PIN", |ui| {
                ui.add(
                    egui::TextEdit::singleline(&mut self.pin)
                        .password(true)
                        .desired_width(120.0),
                )
            });
            submit |= entered(ui, &field);
            let ready = self.waiting.is_none() && !self.pin.is_empty();
            let b = ui.add_enabled(ready, egui::Button::new("Switch with this PIN"));
            submit |= b.clicked();
            if self.waiting.is_some() {
                ui.label("Switching…");
            } else if self.pin.is_empty() {
                ui.label(RichText::new("Type the supervisor PIN.").weak());
            }
        });
        if let Some(e) = &self.error {
            ui.colored_label(theme::error_text(ui.visuals().dark_mode), format!("✖ {e}"));
        }
        if submit && self.waiting.is_none() && !self.pin.is_empty() {
            self.error = None;
            let pin = std::mem::take(&mut self.pin);
            self.waiting = Some(cmds.request(|reply| Command::SwitchRole {
                role: Role::Supervisor,
                pin: Some(pin.into()),
                reply,
            }));
        }
    }
}
