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

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use egui::{RichText, Ui};

use crate::dci::PublicKey;
use crate::domain::{
    Algorithm, IbrSender, KeyOrigin, NewIbrSender, Role, SenderKey, is_unencrypted_url, validate_sender_id,
};
use crate::engine::event::FetchedKey;
use crate::engine::{Command, Event, Pending, Said};
use crate::ui::screens::{AnswerCtx, ScreenCtx, View};
use crate::ui::state::{AppData, Commands};
use crate::ui::theme;
use crate::ui::widgets::{
    Answer, FormAction, Problem, SUPERVISOR_ONLY, SupervisorSwitch, confirm_dialog, entered, field_note, field_problem,
    field_warning, form_row, insecure_http_box, problem_text, save_cancel_row, section_heading, sentence, text_field,
    under_field, warning,
};

/// What the form says when no data source is ticked.
const TRUSTED_NOWHERE: &str = "Linked to no data source: this sender's signatures will not be trusted anywhere. Tick the data sources whose \
     replies it signs.";

/// The form as typed.
#[derive(Debug, Clone, PartialEq)]
struct SenderForm {
    name: String,
    sender_id: String,
    pem: String,
    jwks_url: String,
    algorithm: Algorithm,
    active: bool,
    /// A plain http:// JWKS URL to another computer, chosen explicitly.
    insecure_http: bool,
    /// The data sources whose replies this sender's signatures are trusted for.
    sources: BTreeSet<i64>,
}

impl Default for SenderForm {
    fn default() -> Self {
        SenderForm {
            name: String::new(),
            sender_id: String::new(),
            pem: String::new(),
            jwks_url: String::new(),
            algorithm: Algorithm::Ed25519,
            active: true,
            insecure_http: false,
            sources: BTreeSet::new(),
        }
    }
}

/// What stops the form from being saved.
#[derive(Debug, Default, PartialEq)]
struct Review {
    name: Option<Problem>,
    sender_id: Option<Problem>,
    pem: Option<Problem>,
    jwks_url: Option<Problem>,
    /// Required fields still empty, said next to "Save".
    missing: Option<String>,
    /// A rule of the domain that no single field shows.
    other: Option<Problem>,
    sender: Option<NewIbrSender>,
}

/// The other senders, which a new name or sender ID must not repeat.
#[derive(Debug, Default)]
struct Others<'a> {
    names: Vec<&'a str>,
    sender_ids: Vec<&'a str>,
}

impl SenderForm {
    fn from_sender(s: &IbrSender, sources: impl IntoIterator<Item = i64>) -> SenderForm {
        SenderForm {
            name: s.name.clone(),
            sender_id: s.sender_id.clone(),
            pem: s.public_key_pem.clone().unwrap_or_default(),
            jwks_url: s.jwks_url.clone().unwrap_or_default(),
            algorithm: s.algorithm,
            active: s.active,
            insecure_http: s.insecure_http,
            sources: sources.into_iter().collect(),
        }
    }

    /// What saving would do to `stored` (a new sender when none), in words;
    /// `linked` are the sources it is trusted for now.
    fn would_change(&self, stored: Option<&IbrSender>, linked: &BTreeSet<i64>) -> String {
        let new = self.to_new();
        let Some(old) = stored else {
            return if new.name.is_empty() {
                "add a new trusted sender.".to_string()
            } else {
                format!("trust the sender “{}”.", new.name)
            };
        };
        let checks: [(&str, bool); 8] = [
            ("the name", new.name != old.name),
            ("the sender ID", new.sender_id != old.sender_id),
            (
                "the public key",
                new.public_key_pem.as_deref() != old.public_key_pem.as_deref().map(str::trim),
            ),
            ("the JWKS URL", new.jwks_url != old.jwks_url),
            ("the algorithm", new.algorithm != old.algorithm),
            ("whether it is active", new.active != old.active),
            ("unencrypted http", new.insecure_http != old.insecure_http),
            ("the data sources it is trusted for", &self.sources != linked),
        ];
        let changed: Vec<&str> = checks.iter().filter(|(_, d)| *d).map(|(w, _)| *w).collect();
        if changed.is_empty() {
            format!("change nothing in “{}” yet.", old.name)
        } else {
            format!("change {} of “{}”.", join_words(&changed), old.name)
        }
    }

    /// The sender the form describes, trimmed.
    fn to_new(&self) -> NewIbrSender {
        let optional = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        NewIbrSender {
            name: self.name.trim().to_string(),
            sender_id: self.sender_id.trim().to_string(),
            public_key_pem: optional(&self.pem),
            jwks_url: optional(&self.jwks_url),
            algorithm: self.algorithm,
            active: self.active,
            insecure_http: self.insecure_http,
        }
    }

    /// Checks every field; `pem` is what the pasted key was read as.
    fn review(&self, others: &Others<'_>, pem: Option<&Result<Algorithm, String>>) -> Review {
        let new = self.to_new();
        let mut r = Review::default();
        let mut missing = Vec::new();
        if new.name.is_empty() {
            missing.push("a name");
        } else if others.names.iter().any(|n| n.trim().eq_ignore_ascii_case(&new.name)) {
            r.name = Some(Problem::new(format!("another sender is already called “{}”", new.name)));
        }
        r.sender_id = sender_id_problem(&new.sender_id, &others.sender_ids);
        if new.sender_id.is_empty() {
            missing.push("the sender ID");
        }
        if let Some(url) = &new.jwks_url {
            r.jwks_url = jwks_url_problem(url, new.insecure_http);
        }
        match (pem, new.public_key_pem.is_some()) {
            (Some(Err(e)), true) => {
                r.pem = Some(Problem::with_detail(
                    "this is not a public key in PEM form (it starts with -----BEGIN PUBLIC KEY-----)",
                    e.clone(),
                ));
            }
            (Some(Ok(alg)), true) if *alg != new.algorithm => {
                r.pem = Some(Problem::new(format!(
                    "this key is an {alg} key, but the algorithm chosen is {}: choose {alg}",
                    new.algorithm
                )));
            }
            _ => {}
        }
        if new.public_key_pem.is_none() && new.jwks_url.is_none() {
            missing.push("the public key (PEM) or the JWKS URL");
        }
        if !missing.is_empty() {
            r.missing = Some(sentence(&format!("type {}", join_words(&missing))));
        }
        let fields_ok = [&r.name, &r.sender_id, &r.pem, &r.jwks_url].iter().all(|p| p.is_none());
        if fields_ok && r.missing.is_none() {
            match new.validate() {
                Ok(()) => r.sender = Some(new),
                Err(e) => r.other = Some(Problem::new(e)),
            }
        }
        r
    }
}

/// What is wrong with a sender ID, as it is typed (nothing when empty).
fn sender_id_problem(id: &str, others: &[&str]) -> Option<Problem> {
    if id.is_empty() {
        return None;
    }
    if let Err(e) = validate_sender_id(id) {
        return Some(Problem::new(e));
    }
    others
        .contains(&id)
        .then(|| Problem::new(format!("another sender already has the sender ID {id}")))
}

/// The domain's check of a JWKS URL, with an example when it is no URL at all.
fn jwks_url_problem(url: &str, insecure_http: bool) -> Option<Problem> {
    let probe = NewIbrSender {
        name: "probe".into(),
        sender_id: "probe".into(),
        public_key_pem: None,
        jwks_url: Some(url.to_string()),
        algorithm: Algorithm::Ed25519,
        active: true,
        insecure_http,
    };
    probe.validate().err().map(|e| {
        if e.contains("is not a URL") {
            Problem::with_detail(
                "the JWKS URL must be a full web address, for example https://ibr.example.org/.well-known/jwks.json",
                e,
            )
        } else {
            Problem::new(e)
        }
    })
}

/// Reads a pasted key (pure computation: no I/O).
fn read_pem(pem: &str) -> Result<Algorithm, String> {
    PublicKey::from_pem(pem.trim())
        .map(|k| k.algorithm())
        .map_err(|e| e.to_string())
}

/// "a, b and c".
fn join_words(words: &[&str]) -> String {
    match words {
        [] => String::new(),
        [one] => (*one).to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// A fetch that failed: a sentence, a hint when the cause is known, and
/// the engine's words as the detail.
fn fetch_failure(error: &str, sender_id: &str) -> Problem {
    let hint = if error.contains("no signing key whose kid") {
        format!(" The JWKS has no key of the sender ID {sender_id}: check the sender ID.")
    } else if error.contains("sender ID") {
        " Check the sender ID.".to_string()
    } else {
        " Check the JWKS URL and this computer's network connection.".to_string()
    };
    Problem::with_detail(format!("The public key could not be fetched.{hint}"), error)
}

/// "2025-06-01 14:03 UTC" (UTC: reading the local time zone would read a file).
fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// "fetched at … (kid …; N key(s) of this sender)".
fn fetched_text(k: &FetchedKey) -> String {
    format!(
        "Fetched at {} (kid {}; {} key(s) of this sender).",
        when(k.fetched_at),
        k.kid,
        k.keys_for_sender
    )
}

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
        if let Some(r) = self.save_request.as_mut().and_then(Pending::poll) {
            self.save_request = None;
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
        if let Some(r) = self.remove_request.as_mut().and_then(Pending::poll) {
            self.remove_request = None;
            match r {
                Ok(said) => cx.done(said),
                Err(e) => cx.failed(&e),
            }
        }
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

    fn sender_card(&mut self, ui: &mut Ui, data: &AppData, s: &IbrSender, keys: &[SenderKey]) {
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
                    if s.insecure_http && is_unencrypted_url(u) {
                        ui.label(
                            RichText::new("⚠ unencrypted")
                                .strong()
                                .color(theme::error_text(ui.visuals().dark_mode)),
                        );
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

/// A one-line text field in a form row; returns whether Enter was pressed in it.
fn line(ui: &mut Ui, label: &str, value: &mut String, hint: &str) -> bool {
    let field = text_field(ui, label, value, hint);
    entered(ui, &field)
}

fn show(ui: &mut Ui, id_salt: &str, problem: &Option<Problem>) {
    if let Some(p) = problem {
        field_problem(ui, id_salt, p);
    }
}

/// Name and sender ID; `focus` puts the cursor in the name once, when the
/// form opens. Returns whether Enter was pressed.
fn identity_fields(ui: &mut Ui, f: &mut SenderForm, review: &Review, focus: &mut bool) -> bool {
    section_heading(ui, "Sender");
    let name = text_field(ui, "Name", &mut f.name, "National IBR");
    if std::mem::take(focus) {
        name.request_focus();
    }
    let mut enter = entered(ui, &name);
    show(ui, "sender-name", &review.name);
    enter |= line(ui, "Sender ID", &mut f.sender_id, "ibr.national.gov");
    match &review.sender_id {
        Some(p) => field_problem(ui, "sender-id", p),
        None => field_note(
            ui,
            "As the registry writes it in its replies: letters, digits, dots and hyphens.",
        ),
    }
    under_field(ui, |ui| {
        ui.checkbox(&mut f.active, "Active");
        ui.label(RichText::new("Replies are trusted only from active senders.").weak());
    });
    enter
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
    let enter = line(
        ui,
        "JWKS URL",
        &mut f.jwks_url,
        "https://ibr.example.org/.well-known/jwks.json",
    );
    show(ui, "sender-jwks-url", &review.jwks_url);
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
    show(ui, "sender-pem", &review.pem);
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

/// What stops saving, beside "Save" and "Cancel".
fn save_row(ui: &mut Ui, ed: &Editor, review: &Review, supervisor: bool) -> Option<FormAction> {
    let why_not = if ed.saving.is_some() {
        Some("Saving…".to_string())
    } else if !supervisor {
        Some(SUPERVISOR_ONLY.to_string())
    } else if let Some(m) = &review.missing {
        Some(m.clone())
    } else if review.sender.is_none() {
        Some("Correct what is marked in red first.".to_string())
    } else {
        None
    };
    save_cancel_row(ui, why_not.as_deref())
}

/// The data sources a sender is trusted for now (none for a new sender).
fn linked_sources(data: &AppData, sender_row_id: Option<i64>) -> BTreeSet<i64> {
    match (sender_row_id, &data.config) {
        (Some(id), Some(c)) => c.sources_of_sender(id).iter().map(|d| d.id).collect(),
        _ => BTreeSet::new(),
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

/// A data source's name, marked when it is the demo registry.
fn source_label(d: &crate::domain::DataSource) -> String {
    if d.is_demo {
        format!("{} (demo data)", d.name)
    } else {
        d.name.clone()
    }
}

/// "Trusted for these data sources": a box per data source.
fn source_links(ui: &mut Ui, f: &mut SenderForm, data: &AppData) {
    section_heading(ui, "Trusted for these data sources");
    field_note(
        ui,
        "Replies of a ticked data source are trusted when this sender signs them; a signature on any other \
         registry's reply counts for nothing.",
    );
    let sources = data.sources();
    if sources.is_empty() {
        field_note(ui, "No data source yet: add one under Data sources, then tick it here.");
    }
    under_field(ui, |ui| {
        for info in sources {
            let d = &info.source;
            let mut ticked = f.sources.contains(&d.id);
            if ui.checkbox(&mut ticked, source_label(d)).changed() {
                if ticked {
                    f.sources.insert(d.id);
                } else {
                    f.sources.remove(&d.id);
                }
            }
        }
    });
    let linked_to_existing = f.sources.iter().any(|id| sources.iter().any(|s| s.source.id == *id));
    if !linked_to_existing {
        field_warning(ui, TRUSTED_NOWHERE);
    }
}

/// The keys stored for a sender; several mean the registry is rotating keys.
fn stored_keys(ui: &mut Ui, data: &AppData, id: i64) {
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

/// Whether a stored sender is what was sent to be saved.
fn stored_as(new: &NewIbrSender, s: &IbrSender) -> bool {
    new.name == s.name
        && new.sender_id == s.sender_id
        && new.jwks_url == s.jwks_url
        && new.algorithm == s.algorithm
        && new.active == s.active
        && new.insecure_http == s.insecure_http
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEM: &str = include_str!("../../../tests/fixtures/vectors/sender_ed25519.pem");

    fn form() -> SenderForm {
        SenderForm {
            name: " National IBR ".into(),
            sender_id: " ibr.national.gov ".into(),
            jwks_url: " https://ibr.example.org/.well-known/jwks.json ".into(),
            ..SenderForm::default()
        }
    }

    #[test]
    fn the_form_becomes_a_trimmed_sender() {
        let s = form().review(&Others::default(), None).sender.expect("valid");
        assert_eq!(s.name, "National IBR");
        assert_eq!(s.sender_id, "ibr.national.gov");
        assert_eq!(
            s.jwks_url.as_deref(),
            Some("https://ibr.example.org/.well-known/jwks.json")
        );
        assert_eq!(s.public_key_pem, None);
    }

    #[test]
    fn a_bad_sender_id_is_shown_as_typed() {
        let mut f = form();
        f.sender_id = "ibr_national".into();
        let r = f.review(&Others::default(), None);
        assert!(r.sender.is_none());
        assert!(
            r.sender_id
                .unwrap()
                .message
                .contains("only letters, digits, dots and hyphens")
        );
        let others = Others {
            names: vec!["national ibr"],
            sender_ids: vec!["ibr.national.gov"],
        };
        let r = form().review(&others, None);
        assert!(r.name.is_some() && r.sender_id.is_some());
    }

    #[test]
    fn a_key_or_a_url_is_needed() {
        let mut f = form();
        f.jwks_url.clear();
        assert!(f.review(&Others::default(), None).missing.unwrap().contains("PEM"));
        f.pem = PEM.into();
        let read = read_pem(&f.pem);
        assert_eq!(read, Ok(Algorithm::Ed25519));
        assert!(f.review(&Others::default(), Some(&read)).sender.is_some());
        f.algorithm = Algorithm::Rs256;
        assert!(
            f.review(&Others::default(), Some(&read))
                .pem
                .unwrap()
                .message
                .contains("choose ed25519")
        );
        let bad = read_pem("not a key");
        f.pem = "not a key".into();
        assert!(
            f.review(&Others::default(), Some(&bad))
                .pem
                .unwrap()
                .message
                .contains("PEM")
        );
    }

    #[test]
    fn fetch_failures_point_at_the_cause() {
        let p = fetch_failure(
            "the JWKS at http://x has no signing key whose kid starts with \"a|\"",
            "a",
        );
        assert!(p.message.contains("check the sender ID"));
        assert!(fetch_failure("connection refused", "a").message.contains("network"));
    }
}
