//! One data source's card in the list: its address, whether it answers,
//! where its secret is, the senders it trusts, and its buttons; and the
//! answer of its connection test, which the form shows too.

use egui::{RichText, Ui};

use super::{Removal, SourcesScreen, TestState};
use crate::domain::DataSource;
use crate::engine::event::SourceInfo;
use crate::ui::forms::source::test_failure;
use crate::ui::forms::travels_in_clear;
use crate::ui::screens::ScreenCtx;
use crate::ui::state::AppData;
use crate::ui::theme;
use crate::ui::widgets::{
    CLEAR_TEXT_WARNING, SUPERVISOR_ONLY, problem_text, technical_detail, unencrypted_mark, warning,
};

impl SourcesScreen {
    pub(super) fn source_card(&mut self, ui: &mut Ui, cx: &ScreenCtx<'_>, info: &SourceInfo) {
        let s = &info.source;
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.horizontal_wrapped(|ui| {
                ui.label(RichText::new(&s.name).strong());
                if s.is_demo {
                    ui.label(
                        RichText::new("(demo data — synthetic people)")
                            .color(theme::warning_text(ui.visuals().dark_mode)),
                    );
                }
                if !s.active {
                    ui.label(RichText::new("inactive: not offered for new checks").weak());
                }
            });
            ui.horizontal_wrapped(|ui| {
                ui.label("Address:");
                ui.label(RichText::new(format!("{}/{}", s.base_url.trim_end_matches('/'), s.path_prefix)).monospace());
                if sends_in_clear(s) {
                    unencrypted_mark(ui).on_hover_text(CLEAR_TEXT_WARNING);
                }
            });
            online_line(ui, cx.data, s.id);
            ui.label(secret_line(s, info.secret_stored));
            trusted_senders_line(ui, cx.data, s);
            if s.allow_unsigned {
                warning(ui, "Accepts unsigned replies: only for test servers.");
            }
            let supervisor = cx.data.role == crate::domain::Role::Supervisor;
            ui.horizontal(|ui| {
                if ui.button("Edit").accessible_name(format!("Edit {}", s.name)).clicked() {
                    self.edit(info);
                }
                self.test_button(ui, cx, s);
                let remove = ui
                    .add_enabled(supervisor, egui::Button::new("Remove"))
                    .accessible_name(format!("Remove {}", s.name))
                    .on_disabled_hover_text(SUPERVISOR_ONLY);
                if remove.clicked() {
                    self.removing = Some(Removal {
                        id: s.id,
                        name: s.name.clone(),
                        is_demo: s.is_demo,
                    });
                }
            });
            self.test_result(ui, s.id);
        });
    }

    pub(super) fn test_result(&self, ui: &mut Ui, id: i64) {
        match self.tests.get(&id) {
            None => {}
            Some(TestState::Running) => {
                ui.label("⟳ Testing the connection…");
            }
            Some(TestState::Done(Ok(report))) => {
                ui.label(RichText::new("✔ The registry answered the test.").color(theme::status_colour(Some(true))));
                ui.label(format!("Sign-in: {}", report.token));
                ui.label(format!("Search: {}", report.search));
                ui.label(format!("Signature: {}", report.signature));
            }
            Some(TestState::Done(Err(e))) => problem_text(ui, &format!("test-{id}"), &test_failure(e)),
        }
    }
}

/// Whether requests to this source travel unencrypted over a network.
fn sends_in_clear(s: &DataSource) -> bool {
    travels_in_clear(
        s.insecure_http,
        [Some(s.base_url.as_str()), s.auth_url.as_deref()].into_iter().flatten(),
    )
}

/// The senders whose signatures this source's replies are verified with.
pub(super) fn trusted_senders_line(ui: &mut Ui, data: &AppData, s: &DataSource) {
    let Some(config) = &data.config else { return };
    let senders = config.senders_of_source(s.id);
    if senders.is_empty() {
        if s.allow_unsigned {
            ui.label("Trusted senders: none (replies are accepted unsigned).");
        } else {
            warning(
                ui,
                "Trusted senders: none. Its replies cannot be verified: link the registry's sender under Trusted \
                 senders.",
            );
        }
        return;
    }
    let names: Vec<String> = senders
        .iter()
        .map(|x| {
            if x.active {
                format!("{} ({})", x.name, x.sender_id)
            } else {
                format!("{} ({}, inactive)", x.name, x.sender_id)
            }
        })
        .collect();
    ui.label(format!("Trusted senders: {}.", names.join(", ")));
}

/// The dot and words for whether the source answered last time.
fn online_line(ui: &mut Ui, data: &AppData, id: i64) {
    let online = data.online(id);
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new("⏺").color(theme::status_colour(online)));
        let words = match online {
            Some(true) => "Online".to_string(),
            Some(false) => "Offline: checks wait in the queue until it answers".to_string(),
            None => "Not asked yet".to_string(),
        };
        let r = ui.label(words);
        if let Some(st) = data.source_status.get(&id).filter(|st| !st.online) {
            r.on_hover_text(st.detail.as_str());
        }
    });
}

/// Where the client secret is.
fn secret_line(s: &DataSource, stored: Option<bool>) -> String {
    if s.auth_url.is_none() {
        return "No sign-in: the registry needs no client secret.".into();
    }
    match stored {
        Some(true) => "Client secret: stored in the OS keyring.".into(),
        Some(false) => "Client secret: missing. Edit the data source to type it.".into(),
        None => "Client secret: keyring unavailable.".into(),
    }
}

/// Whether secrets can be kept on this computer.
pub(super) fn keyring_status(ui: &mut Ui, data: &AppData) {
    let Some(config) = &data.config else { return };
    if let Err(e) = &config.keyring {
        ui.add_space(theme::SPACING / 2.0);
        warning(
            ui,
            "Secrets cannot be stored on this computer: the OS keyring is not available. Registries that need a \
             client secret will refuse the sign-in.",
        );
        technical_detail(ui, "sources-keyring", e);
    }
}
