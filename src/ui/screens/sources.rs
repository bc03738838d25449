//! Data sources: the registries the office asks. A list with each source's
//! address, whether it answers, whether its client secret is in the OS
//! keyring, and a form to add or change one.
//!
//! The window never sees a stored secret: the engine only says whether one
//! is there. In the form an empty secret field keeps the stored secret,
//! text replaces it, and "Remove the stored secret" deletes it
//! ([`SecretChange`]). "Test connection" asks the engine to sign in and make
//! a harmless search; the answer is shown under the source.
//!
//! Each source shows the senders it trusts (linked on the Trusted senders
//! screen) and "unencrypted" when it talks plain http:// to another
//! computer, which the form allows only when ticked, in red. "Advanced"
//! holds the bounds of its replies. Changing a source needs the supervisor
//! role: an officer sees the form, what saving would change, and the switch.
//!
//! This file is the screen: its state, the engine's answers, and the
//! requests it sends. The form's model (fields, validation, hints) is
//! `ui::forms::source`; a source's card is `card`, the form's fields
//! `fields`.

mod card;
mod fields;

use std::collections::HashMap;

use egui::{RichText, Ui};

use crate::domain::{DataSource, NewDataSource};
use crate::engine::event::SourceInfo;
use crate::engine::{Command, Event, Pending, Said};
use crate::ibr::ConnectionReport;
use crate::ui::forms::source::{SourceForm, secret_change, stored_as};
use crate::ui::screens::{AnswerCtx, ScreenCtx, View, answer};
use crate::ui::state::{AppData, Commands};
use crate::ui::theme;
use crate::ui::widgets::{
    Answer, FormAction, Problem, SupervisorSwitch, confirm_dialog, field_problem, under_field, warning,
};

use card::{keyring_status, trusted_senders_line};
use fields::{advanced_fields, connection_fields, reply_fields, save_row, sign_in_fields};

/// A "Test connection" under way or answered.
#[derive(Debug, Clone)]
enum TestState {
    Running,
    Done(Result<ConnectionReport, String>),
}

/// The form, open on a new or a stored data source.
struct Editor {
    id: Option<i64>,
    form: SourceForm,
    /// Put the cursor in the first field (once, when the form opens).
    focus_name: bool,
    /// Whether the stored source has a secret in the keyring.
    secret_stored: Option<bool>,
    /// What was sent to the engine, until it answers.
    saving: Option<NewDataSource>,
    save_error: Option<Problem>,
}

impl Editor {
    fn open(id: Option<i64>, form: SourceForm, secret_stored: Option<bool>) -> Editor {
        Editor {
            id,
            form,
            focus_name: true,
            secret_stored,
            saving: None,
            save_error: None,
        }
    }
}

/// A removal waiting for confirmation.
struct Removal {
    id: i64,
    name: String,
    is_demo: bool,
}

/// The Data sources screen.
#[derive(Default)]
pub struct SourcesScreen {
    editor: Option<Editor>,
    removing: Option<Removal>,
    tests: HashMap<i64, TestState>,
    /// An officer's way to the supervisor role.
    switch: SupervisorSwitch,
    /// Saving and removing, in flight.
    save_request: Option<Pending<Said>>,
    remove_request: Option<Pending<Said>>,
    /// "Test connection", in flight per data source.
    test_requests: HashMap<i64, Pending<ConnectionReport>>,
}

impl View for SourcesScreen {
    fn on_event(&mut self, event: &Event, data: &AppData, _cmds: &Commands) {
        self.switch.on_event(event);
        if let Event::Config(_) = event {
            self.config_changed(data);
        }
    }

    fn poll(&mut self, cx: &mut AnswerCtx<'_>) {
        self.switch.poll();
        let tested: Vec<(i64, Result<ConnectionReport, crate::domain::EngineError>)> = self
            .test_requests
            .iter_mut()
            .filter_map(|(id, p)| p.poll().map(|r| (*id, r)))
            .collect();
        for (id, r) in tested {
            self.test_requests.remove(&id);
            self.tests.insert(id, TestState::Done(r.map_err(|e| e.detail)));
        }
        if let Some(r) = answer(&mut self.save_request) {
            match r {
                Ok(said) => {
                    if self.editor.as_ref().is_some_and(|e| e.saving.is_some()) {
                        self.editor = None;
                    }
                    cx.done(said);
                }
                Err(e) => {
                    if let Some(ed) = self.editor.as_mut().filter(|e| e.saving.is_some()) {
                        ed.saving = None;
                        ed.save_error = Some(Problem::with_detail(&e.message, e.detail.clone()));
                    }
                    cx.failed(&e);
                }
            }
        }
        cx.tell(&mut self.remove_request);
    }

    fn ui(&mut self, ui: &mut Ui, cx: &mut ScreenCtx<'_>) {
        egui::ScrollArea::vertical().auto_shrink([false, false]).show(ui, |ui| {
            ui.heading("Data sources");
            ui.label(RichText::new("The registries this office asks about applicants.").weak());
            keyring_status(ui, cx.data);
            ui.add_space(theme::SPACING);
            let would_change = self.editor.as_ref().map(|ed| {
                let stored = ed
                    .id
                    .and_then(|id| cx.data.sources().iter().find(|s| s.source.id == id))
                    .map(|s| &s.source);
                ed.form.would_change(stored)
            });
            self.switch
                .ui(ui, cx.data, cx.cmds, cx.navigate, would_change.as_deref());
            ui.add_space(theme::SPACING);
            if self.editor.is_some() {
                self.editor_ui(ui, cx);
            } else {
                self.list_ui(ui, cx);
            }
        });
        self.removal_dialog(ui, cx);
    }
}

impl SourcesScreen {
    /// A new configuration: close the form once it shows what was saved,
    /// and forget tests of sources that are gone.
    fn config_changed(&mut self, data: &AppData) {
        let sources = data.sources();
        self.tests.retain(|id, _| sources.iter().any(|s| s.source.id == *id));
        let Some(ed) = &self.editor else { return };
        let saved = ed.saving.as_ref().is_some_and(|new| {
            sources
                .iter()
                .any(|s| ed.id.is_none_or(|id| id == s.source.id) && stored_as(new, &s.source))
        });
        let vanished = ed.id.is_some_and(|id| !sources.iter().any(|s| s.source.id == id));
        if saved || vanished {
            self.editor = None;
        }
    }

    fn list_ui(&mut self, ui: &mut Ui, cx: &mut ScreenCtx<'_>) {
        if ui.button("New data source").clicked() {
            self.editor = Some(Editor::open(None, SourceForm::default(), None));
        }
        ui.add_space(theme::SPACING);
        let data = cx.data;
        if data.config.is_none() {
            ui.label("Loading the data sources…");
            return;
        }
        if data.sources().is_empty() {
            ui.label("No data source yet. Add the registry your office uses with “New data source”.");
        }
        for info in data.sources() {
            self.source_card(ui, cx, info);
            ui.add_space(theme::SPACING / 2.0);
        }
    }

    fn edit(&mut self, info: &SourceInfo) {
        self.editor = Some(Editor::open(
            Some(info.source.id),
            SourceForm::from_source(&info.source),
            info.secret_stored,
        ));
    }

    fn test_button(&mut self, ui: &mut Ui, cx: &ScreenCtx<'_>, s: &DataSource) {
        let running = matches!(self.tests.get(&s.id), Some(TestState::Running));
        let b = ui
            .add_enabled(!running, egui::Button::new("Test connection"))
            .accessible_name(format!("Test connection to {}", s.name))
            .on_hover_text("Sign in and make a harmless search, with the saved settings.");
        if b.clicked() {
            self.tests.insert(s.id, TestState::Running);
            let data_source_id = s.id;
            self.test_requests.insert(
                s.id,
                cx.cmds.request(|reply| Command::TestSource { data_source_id, reply }),
            );
        }
    }

    fn editor_ui(&mut self, ui: &mut Ui, cx: &mut ScreenCtx<'_>) {
        let data = cx.data;
        let Some(ed) = self.editor.as_mut() else { return };
        let others: Vec<&str> = data
            .sources()
            .iter()
            .filter(|s| Some(s.source.id) != ed.id)
            .map(|s| s.source.name.as_str())
            .collect();
        ui.heading(match ed.id {
            None => "New data source".to_string(),
            Some(_) => format!("Edit “{}”", ed.form.name.trim()),
        });
        if ed.form.is_demo {
            warning(
                ui,
                "This is the built-in demo registry (synthetic people). Its address is set again at every start.",
            );
        }
        let review = ed.form.review(&others);
        let mut enter = connection_fields(ui, &mut ed.form, &review, &mut ed.focus_name);
        enter |= sign_in_fields(ui, ed, &review, data);
        reply_fields(ui, &mut ed.form);
        if let Some(s) = ed.id.and_then(|id| data.sources().iter().find(|s| s.source.id == id)) {
            under_field(ui, |ui| trusted_senders_line(ui, data, &s.source));
        }
        enter |= advanced_fields(ui, &mut ed.form, &review);
        let keyring_ok = data.config.as_ref().is_some_and(|c| c.keyring.is_ok());
        let secret_blocked = !keyring_ok && !ed.form.secret.trim().is_empty();
        if let Some(p) = &review.other {
            field_problem(ui, "source-form", p);
        }
        ui.add_space(theme::SPACING);
        let supervisor = data.role == crate::domain::Role::Supervisor;
        let action = save_row(ui, ed, &review, secret_blocked, supervisor);
        let test = ed.id;
        if let Some(p) = &ed.save_error {
            field_problem(ui, "source-save", p);
        }
        match action {
            Some(FormAction::Cancel) => {
                self.editor = None;
                return;
            }
            Some(FormAction::Save) => self.save(cx),
            None if enter && supervisor && !secret_blocked && ed.saving.is_none() && review.source.is_some() => {
                self.save(cx)
            }
            None => {}
        }
        ui.add_space(theme::SPACING);
        match test {
            Some(id) => {
                ui.horizontal(|ui| {
                    ui.add_space(theme::LABEL_WIDTH + ui.spacing().item_spacing.x);
                    if let Some(s) = data.sources().iter().find(|s| s.source.id == id) {
                        self.test_button(ui, cx, &s.source);
                        ui.label(RichText::new("Tests the saved settings: save your changes first.").weak());
                    }
                });
                under_field(ui, |ui| self.test_result(ui, id));
            }
            None => {
                ui.horizontal(|ui| {
                    ui.add_space(theme::LABEL_WIDTH + ui.spacing().item_spacing.x);
                    ui.add_enabled(false, egui::Button::new("Test connection"))
                        .on_disabled_hover_text("Save first: the test uses the saved settings.");
                    ui.label(RichText::new("Save first: the test uses the saved settings.").weak());
                });
            }
        }
    }

    /// Sends the form to the engine; the form closes when the new
    /// configuration shows it saved.
    fn save(&mut self, cx: &ScreenCtx<'_>) {
        let Some(ed) = self.editor.as_mut() else { return };
        let others: Vec<&str> = cx
            .data
            .sources()
            .iter()
            .filter(|s| Some(s.source.id) != ed.id)
            .map(|s| s.source.name.as_str())
            .collect();
        let Some(source) = ed.form.review(&others).source else {
            return;
        };
        let secret = secret_change(
            &ed.form.secret,
            ed.form.clear_secret,
            source.auth_url.is_some(),
            ed.secret_stored,
        );
        ed.saving = Some(source.clone());
        ed.save_error = None;
        let id = ed.id;
        self.save_request = Some(cx.cmds.request(|reply| Command::SaveDataSource {
            id,
            source,
            secret,
            reply,
        }));
    }

    fn removal_dialog(&mut self, ui: &mut Ui, cx: &mut ScreenCtx<'_>) {
        let Some(r) = &self.removing else { return };
        let title = format!("Remove “{}”?", r.name);
        let is_demo = r.is_demo;
        let answer = confirm_dialog(
            ui,
            "remove-source",
            &title,
            |ui| {
                ui.label("Checks waiting in the queue for this registry will fail. Results already received stay in the history.");
                if is_demo {
                    ui.add_space(4.0);
                    warning(
                        ui,
                        "This is the built-in demo registry. Once removed, it will not come back, even after a restart.",
                    );
                    ui.label("Its trusted sender and signing key are removed with it.");
                }
            },
            "Remove",
        );
        match answer {
            Some(Answer::Confirm) => {
                let id = r.id;
                self.remove_request = Some(cx.cmds.request(|reply| Command::DeleteDataSource { id, reply }));
                if self.editor.as_ref().is_some_and(|e| e.id == Some(r.id)) {
                    self.editor = None;
                }
                self.removing = None;
            }
            Some(Answer::Cancel) => self.removing = None,
            None => {}
        }
    }
}
