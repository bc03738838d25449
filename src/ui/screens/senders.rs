//! Trusted senders: the registries whose signed replies the office
//! believes, each with its DCI sender ID and public key(s). A reply signed
//! by a sender that is not here, or with a key that is not here, is not
//! trusted (unless its data source allows unsigned replies).
//!
//! The public key can be pasted (PEM) or fetched from the registry's JWKS
//! URL: "Fetch public key" asks the engine (`Command::FetchJwks`) and fills
//! the form from its answer; saving stores it.
//!
//! A sender is trusted only for the data sources ticked under "Trusted for
//! these data sources": its signature on another registry's reply counts
//! for nothing. Saving one linked to none says its signatures will be
//! trusted nowhere. Changing a sender needs the supervisor role: an officer
//! sees the form, what saving would change, and the switch.
//!
//! This file is the screen: its state, the engine's answers, the requests
//! it sends (save, remove, fetch a key). The form's model is
//! `ui::forms::sender`; a sender's card is `card`, the form's other fields
//! `fields`.

mod card;
mod fields;

use std::collections::BTreeSet;

use egui::{RichText, Ui};

use crate::domain::{Algorithm, NewIbrSender, Role, validate_sender_id};
use crate::engine::event::FetchedKey;
use crate::engine::{Command, Event, Pending, Said};
use crate::ui::forms::sender::{Others, Review, SenderForm, fetch_failure, fetched_text, read_pem, stored_as};
use crate::ui::screens::{AnswerCtx, ScreenCtx, View, answer};
use crate::ui::state::{AppData, Commands};
use crate::ui::theme;
use crate::ui::widgets::{
    Answer, FormAction, Problem, SUPERVISOR_ONLY, SupervisorSwitch, confirm_dialog, field_note, field_problem,
    form_row, insecure_http_box, problem_text, problem_under, section_heading, text_line, under_field,
};

use card::stored_keys;
use fields::{identity_fields, linked_sources, save_row, source_links};

/// A "Fetch public key" under way or answered.
#[derive(Debug, Clone)]
enum Fetch {
    Running {
        url: String,
        sender_id: String,
    },
    Done {
        sender_id: String,
        outcome: Result<FetchedKey, String>,
    },
}

/// The form, open on a new or a stored sender.
struct Editor {
    id: Option<i64>,
    form: SenderForm,
    /// Put the cursor in the first field (once, when the form opens).
    focus_name: bool,
    /// The pasted key and what it was read as, re-read only when it changes.
    pem_read: Option<(String, Result<Algorithm, String>)>,
    fetch: Option<Fetch>,
    /// What was sent to the engine (with its data sources), until it answers.
    saving: Option<(NewIbrSender, BTreeSet<i64>)>,
    save_error: Option<Problem>,
}

impl Editor {
    fn new(id: Option<i64>, form: SenderForm) -> Editor {
        let pem = form.pem.trim().to_string();
        let pem_read = (!pem.is_empty()).then(|| {
            let read = read_pem(&pem);
            (pem, read)
        });
        Editor {
            id,
            form,
            focus_name: true,
            pem_read,
            fetch: None,
            saving: None,
            save_error: None,
        }
    }

    /// Reads the key again when it changed; a readable new key sets the
    /// algorithm (a stored sender opens with its own).
    fn read_key(&mut self) {
        let pem = self.form.pem.trim();
        if pem.is_empty() {
            self.pem_read = None;
            return;
        }
        if self.pem_read.as_ref().is_some_and(|(p, _)| p == pem) {
            return;
        }
        let read = read_pem(pem);
        if let Ok(alg) = read {
            self.form.algorithm = alg;
        }
        self.pem_read = Some((pem.to_string(), read));
    }

    fn review(&self, data: &AppData) -> Review {
        let senders = data.config.as_ref().map(|c| c.senders.as_slice()).unwrap_or_default();
        let others = senders.iter().filter(|(s, _)| Some(s.id) != self.id);
        let others = Others {
            names: others.clone().map(|(s, _)| s.name.as_str()).collect(),
            sender_ids: others.map(|(s, _)| s.sender_id.as_str()).collect(),
        };
        self.form.review(&others, self.pem_read.as_ref().map(|(_, r)| r))
    }
}

/// A removal waiting for confirmation.
struct Removal {
    id: i64,
    name: String,
}

/// The Trusted senders screen.
#[derive(Default)]
pub struct SendersScreen {
    editor: Option<Editor>,
    removing: Option<Removal>,
    /// An officer's way to the supervisor role.
    switch: SupervisorSwitch,
    /// "Fetch public key" in flight: the URL asked, and the answer to come.
    fetch_request: Option<(String, Pending<FetchedKey>)>,
    save_request: Option<Pending<Said>>,
    remove_request: Option<Pending<Said>>,
}

impl SendersScreen {
    /// A JWKS fetched for the form: fills it when it is still the URL asked.
    fn fetched(&mut self, url: &str, outcome: Result<FetchedKey, String>) {
        let Some(ed) = self.editor.as_mut() else { return };
        let Some(Fetch::Running { url: asked, sender_id }) = &ed.fetch else {
            return;
        };
        if asked != url {
            return;
        }
        if let Ok(k) = &outcome {
            ed.form.pem = k.pem.clone();
            ed.form.algorithm = k.algorithm;
            ed.pem_read = Some((k.pem.trim().to_string(), Ok(k.algorithm)));
        }
        ed.fetch = Some(Fetch::Done {
            sender_id: sender_id.clone(),
            outcome,
        });
    }
}

impl View for SendersScreen {
    fn poll(&mut self, cx: &mut AnswerCtx<'_>) {
        self.switch.poll();
        if let Some((url, pending)) = self.fetch_request.as_mut()
            && let Some(r) = pending.poll()
        {
            let url = url.clone();
            self.fetch_request = None;
            self.fetched(&url, r.map_err(|e| e.detail));
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

    fn on_event(&mut self, event: &Event, _data: &AppData, _cmds: &Commands) {
        self.switch.on_event(event);
        let Some(ed) = self.editor.as_mut() else { return };
        if let Event::Config(c) = event {
            let senders = c.senders.as_slice();
            let saved = ed.saving.as_ref().is_some_and(|(new, sources)| {
                senders.iter().any(|(s, _)| {
                    ed.id.is_none_or(|id| id == s.id)
                        && stored_as(new, s)
                        && c.sources_of_sender(s.id).iter().map(|d| d.id).collect::<BTreeSet<_>>() == *sources
                })
            });
            let vanished = ed.id.is_some_and(|id| !senders.iter().any(|(s, _)| s.id == id));
            if saved || vanished {
                self.editor = None;
            }
        }
    }

    fn ui(&mut self, ui: &mut Ui, cx: &mut ScreenCtx<'_>) {
        egui::ScrollArea::vertical().auto_shrink([false, false]).show(ui, |ui| {
            ui.heading("Trusted senders");
            ui.label(
                RichText::new("Registries whose signed replies this office trusts, with their public keys.").weak(),
            );
            ui.add_space(theme::SPACING);
            let would_change = self.editor.as_ref().map(|ed| {
                let stored = ed.id.and_then(|id| {
                    cx.data
                        .config
                        .as_ref()
                        .and_then(|c| c.senders.iter().find(|(s, _)| s.id == id))
                        .map(|(s, _)| s)
                });
                ed.form.would_change(stored, &linked_sources(cx.data, ed.id))
            });
            self.switch
                .ui(ui, cx.data, cx.cmds, cx.navigate, would_change.as_deref());
            ui.add_space(theme::SPACING);
            if self.editor.is_some() {
                self.editor_ui(ui, cx);
            } else {
                self.list_ui(ui, cx.data);
            }
        });
        self.removal_dialog(ui, cx);
    }
}

impl SendersScreen {
    fn list_ui(&mut self, ui: &mut Ui, data: &AppData) {
        if ui.button("New sender").clicked() {
            self.editor = Some(Editor::new(None, SenderForm::default()));
        }
        ui.add_space(theme::SPACING);
        let Some(config) = &data.config else {
            ui.label("Loading the trusted senders…");
            return;
        };
        if config.senders.is_empty() {
            ui.label("No trusted sender yet. Add the registry that signs the replies with “New sender”.");
        }
        for (sender, keys) in &config.senders {
            self.sender_card(ui, data, sender, keys);
            ui.add_space(theme::SPACING / 2.0);
        }
    }

    fn editor_ui(&mut self, ui: &mut Ui, cx: &mut ScreenCtx<'_>) {
        let data = cx.data;
        let Some(ed) = self.editor.as_mut() else { return };
        ed.read_key();
        let review = ed.review(data);
        ui.heading(match ed.id {
            None => "New trusted sender".to_string(),
            Some(_) => format!("Edit “{}”", ed.form.name.trim()),
        });
        let mut enter = identity_fields(ui, &mut ed.form, &review, &mut ed.focus_name);
        enter |= key_fields(ui, ed, &review, cx, &mut self.fetch_request);
        source_links(ui, &mut ed.form, data);
        if let Some(p) = &review.other {
            field_problem(ui, "sender-form", p);
        }
        ui.add_space(theme::SPACING);
        let supervisor = data.role == Role::Supervisor;
        let action = save_row(ui, ed, &review, supervisor);
        if let Some(p) = &ed.save_error {
            field_problem(ui, "sender-save", p);
        }
        let save = matches!(action, Some(FormAction::Save)) || (enter && supervisor && ed.saving.is_none());
        if matches!(action, Some(FormAction::Cancel)) {
            self.editor = None;
            return;
        }
        // Reviewed again: a key typed in this frame belongs to the sender.
        if save && let Some(sender) = ed.review(data).sender {
            // Only sources that still exist: one removed meanwhile links nothing.
            let sources: BTreeSet<i64> = ed
                .form
                .sources
                .iter()
                .copied()
                .filter(|id| data.sources().iter().any(|s| s.source.id == *id))
                .collect();
            ed.saving = Some((sender.clone(), sources.clone()));
            ed.save_error = None;
            let id = ed.id;
            self.save_request = Some(cx.cmds.request(|reply| Command::SaveSender {
                id,
                sender,
                sources: sources.into_iter().collect(),
                reply,
            }));
        }
        if let Some(id) = ed.id {
            stored_keys(ui, data, id);
        }
    }

    fn removal_dialog(&mut self, ui: &mut Ui, cx: &mut ScreenCtx<'_>) {
        let Some(r) = &self.removing else { return };
        let answer = confirm_dialog(
            ui,
            "remove-sender",
            &format!("Remove “{}”?", r.name),
            |ui| {
                ui.label(
                    "Replies signed by this sender will no longer be trusted: checks against its registry will fail \
                     until it is added again.",
                );
            },
            "Remove",
        );
        match answer {
            Some(Answer::Confirm) => {
                let id = r.id;
                self.remove_request = Some(cx.cmds.request(|reply| Command::DeleteSender { id, reply }));
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

/// Public key, JWKS URL, "Fetch public key" and the algorithm.
fn key_fields(
    ui: &mut Ui,
    ed: &mut Editor,
    review: &Review,
    cx: &ScreenCtx<'_>,
    fetch_request: &mut Option<(String, Pending<FetchedKey>)>,
) -> bool {
    section_heading(ui, "Public key");
    let f = &mut ed.form;
    let enter = text_line(
        ui,
        "JWKS URL",
        &mut f.jwks_url,
        "https://ibr.example.org/.well-known/jwks.json",
    );
    problem_under(ui, "sender-jwks-url", &review.jwks_url);
    insecure_http_box(ui, &mut f.insecure_http);
    let url = f.jwks_url.trim().to_string();
    let sender_id = f.sender_id.trim().to_string();
    let insecure_http = f.insecure_http;
    let why_not = if cx.data.role != Role::Supervisor {
        Some(SUPERVISOR_ONLY)
    } else if url.is_empty() {
        Some("Type the JWKS URL first.")
    } else if review.jwks_url.is_some() {
        Some("Correct the JWKS URL first.")
    } else if sender_id.is_empty() || validate_sender_id(&sender_id).is_err() {
        Some("Type a valid sender ID first: the key is chosen by it.")
    } else if matches!(ed.fetch, Some(Fetch::Running { .. })) {
        Some("Fetching…")
    } else {
        None
    };
    under_field(ui, |ui| {
        ui.horizontal(|ui| {
            let b = ui
                .add_enabled(why_not.is_none(), egui::Button::new("Fetch public key"))
                .on_hover_text("Download the sender's public key from its JWKS URL and put it below.");
            if b.clicked() {
                let pending = cx.cmds.request(|reply| Command::FetchJwks {
                    url: url.clone(),
                    sender_id: sender_id.clone(),
                    insecure_http,
                    reply,
                });
                *fetch_request = Some((url.clone(), pending));
                ed.fetch = Some(Fetch::Running { url, sender_id });
            }
            if let Some(w) = why_not {
                ui.label(RichText::new(w).weak());
            }
        });
        match &ed.fetch {
            None | Some(Fetch::Running { .. }) => {}
            Some(Fetch::Done { outcome: Ok(k), .. }) => {
                ui.label(RichText::new(format!("✔ {}", fetched_text(k))).color(theme::status_colour(Some(true))));
                ui.label(RichText::new("Save to keep this key.").weak());
            }
            Some(Fetch::Done {
                outcome: Err(e),
                sender_id,
            }) => problem_text(ui, "sender-fetch", &fetch_failure(e, sender_id)),
        }
    });
    let f = &mut ed.form;
    form_row(ui, "Public key (PEM)", |ui| {
        ui.add(
            egui::TextEdit::multiline(&mut f.pem)
                .font(egui::TextStyle::Monospace)
                .hint_text("-----BEGIN PUBLIC KEY-----")
                .desired_rows(5)
                .desired_width(520.0),
        )
    });
    problem_under(ui, "sender-pem", &review.pem);
    form_row(ui, "Algorithm", |ui| {
        egui::ComboBox::from_id_salt("sender-algorithm")
            .selected_text(f.algorithm.as_str())
            .show_ui(ui, |ui| {
                for a in Algorithm::ALL {
                    ui.selectable_value(&mut f.algorithm, a, a.as_str());
                }
            })
            .response
    });
    field_note(
        ui,
        "ed25519, or rs256 for RSA keys. Set from the key when it is fetched or pasted.",
    );
    enter
}
