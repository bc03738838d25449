//! One trusted sender's card in the list: its sender ID, where its key
//! comes from, the data sources it is trusted for, its stored keys (several
//! while a registry rotates them), and its buttons.

use egui::{RichText, Ui};

use super::{Editor, Removal, SendersScreen};
use crate::domain::{IbrSender, KeyOrigin, Role, SenderKey};
use crate::ui::forms::sender::{SenderForm, when};
use crate::ui::forms::{source_label, travels_in_clear};
use crate::ui::state::AppData;
use crate::ui::widgets::{SUPERVISOR_ONLY, section_heading, unencrypted_mark, warning};

use super::fields::linked_sources;

impl SendersScreen {
    pub(super) fn sender_card(&mut self, ui: &mut Ui, data: &AppData, s: &IbrSender, keys: &[SenderKey]) {
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.horizontal_wrapped(|ui| {
                ui.label(RichText::new(&s.name).strong());
                ui.label(if s.active {
                    "active"
                } else {
                    "inactive: its replies are not trusted"
                });
            });
            ui.horizontal_wrapped(|ui| {
                ui.label("Sender ID:");
                ui.label(RichText::new(&s.sender_id).monospace());
                ui.label(format!("· algorithm {}", s.algorithm));
            });
            ui.label(match keys.len() {
                0 => "No key yet.".to_string(),
                1 => "1 key.".to_string(),
                n => format!("{n} keys (key rotation: replies signed with any of them are trusted)."),
            });
            if keys.is_empty() {
                warning(
                    ui,
                    "Without a key, replies from this sender cannot be trusted. Edit it to add one.",
                );
            }
            ui.label(match s.key_fetched_at {
                Some(t) => format!("Key fetched at {}.", when(t)),
                None => "Key never fetched from a JWKS URL.".to_string(),
            });
            if let Some(u) = &s.jwks_url {
                ui.horizontal_wrapped(|ui| {
                    ui.label("JWKS URL:");
                    ui.label(RichText::new(u).monospace());
                    if travels_in_clear(s.insecure_http, [u.as_str()]) {
                        unencrypted_mark(ui);
                    }
                });
            }
            trusted_for_line(ui, data, s.id);
            let supervisor = data.role == Role::Supervisor;
            ui.horizontal(|ui| {
                if ui.button("Edit").accessible_name(format!("Edit {}", s.name)).clicked() {
                    let form = SenderForm::from_sender(s, linked_sources(data, Some(s.id)));
                    self.editor = Some(Editor::new(Some(s.id), form));
                }
                let remove = ui
                    .add_enabled(supervisor, egui::Button::new("Remove"))
                    .accessible_name(format!("Remove {}", s.name))
                    .on_disabled_hover_text(SUPERVISOR_ONLY);
                if remove.clicked() {
                    self.removing = Some(Removal {
                        id: s.id,
                        name: s.name.clone(),
                    });
                }
            });
        });
    }
}

/// "Trusted for: …" on a sender's card, or a warning when it is linked to none.
fn trusted_for_line(ui: &mut Ui, data: &AppData, sender_row_id: i64) {
    let Some(c) = &data.config else { return };
    let sources = c.sources_of_sender(sender_row_id);
    if sources.is_empty() {
        warning(
            ui,
            "Trusted for no data source: its signatures count nowhere. Edit it to tick the data sources it signs for.",
        );
    } else {
        let names: Vec<String> = sources.iter().map(|d| source_label(d)).collect();
        ui.label(format!("Trusted for: {}.", names.join(", ")));
    }
}

/// The keys stored for a sender; several mean the registry is rotating keys.
pub(super) fn stored_keys(ui: &mut Ui, data: &AppData, id: i64) {
    let Some((_, keys)) = data
        .config
        .as_ref()
        .and_then(|c| c.senders.iter().find(|(s, _)| s.id == id))
    else {
        return;
    };
    section_heading(ui, "Stored keys");
    if keys.is_empty() {
        ui.label("None yet: save a PEM key, or a JWKS URL and fetch the key.");
        return;
    }
    if keys.len() > 1 {
        ui.label(
            RichText::new(
                "Several keys: the registry is rotating its key. Replies signed with any of them are trusted.",
            )
            .weak(),
        );
    }
    egui::Grid::new("sender-keys")
        .striped(true)
        .num_columns(4)
        .show(ui, |ui| {
            for h in ["Key ID (kid)", "Algorithm", "Origin", "Fetched at"] {
                ui.label(RichText::new(h).strong());
            }
            ui.end_row();
            for k in keys {
                ui.label(RichText::new(k.kid.as_deref().unwrap_or("(none)")).monospace());
                ui.label(k.algorithm.as_str());
                ui.label(match k.origin {
                    KeyOrigin::Jwks => "from the JWKS URL",
                    KeyOrigin::Pem => "pasted PEM",
                });
                ui.label(when(k.fetched_at));
                ui.end_row();
            }
        });
}
