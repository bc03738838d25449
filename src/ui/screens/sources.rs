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

use std::collections::HashMap;

use egui::{RichText, Ui};

use crate::domain::{DataSource, NewDataSource, REGISTRY_TYPE_IBR, ReplyLimits, SourceMode, is_unencrypted_url};
use crate::engine::command::SecretChange;
use crate::engine::event::SourceInfo;
use crate::engine::{Command, Event, Pending, Said};
use crate::ibr::ConnectionReport;
use crate::ui::screens::{AnswerCtx, ScreenCtx, View};
use crate::ui::state::{AppData, Commands};
use crate::ui::theme;
use crate::ui::widgets::{
    Answer, CLEAR_TEXT_WARNING, FormAction, Problem, SUPERVISOR_ONLY, SupervisorSwitch, confirm_dialog, entered,
    field_note, field_problem, field_warning, form_row, insecure_http_box, problem_text, save_cancel_row,
    section_heading, sentence, technical_detail, text_field, under_field, warning,
};

/// The path prefixes registries use: the standard's, and the SPDCI mock's.
const PATH_PREFIXES: [(&str, &str); 2] = [("registry", "registry (the DCI standard)"), ("ibr", "ibr (SPDCI mock)")];
/// A valid data source the field checks start from, so each check tells
/// about its own field only.
const PROBE_URL: &str = "https://registry.example";
/// Bytes in a MiB, the unit the form shows reply sizes in.
const MIB: f64 = 1024.0 * 1024.0;
/// Seconds in a minute, the unit the form shows signature validity in.
const MINUTE: f64 = 60.0;

/// The form as typed.
#[derive(Debug, Clone, PartialEq)]
struct SourceForm {
    name: String,
    /// "IBR" stands for [`REGISTRY_TYPE_IBR`].
    registry_type: String,
    base_url: String,
    auth_url: String,
    client_id: String,
    /// Empty keeps the stored secret.
    secret: String,
    clear_secret: bool,
    path_prefix: String,
    /// The prefix is typed rather than picked.
    custom_prefix: bool,
    allow_unsigned: bool,
    active: bool,
    /// Plain http:// to another computer, chosen explicitly.
    insecure_http: bool,
    /// The reply limits as typed (MiB, records, minutes).
    limits: LimitsForm,
    /// Kept as stored; not edited here.
    mode: SourceMode,
    is_demo: bool,
}

impl Default for SourceForm {
    fn default() -> Self {
        SourceForm {
            name: String::new(),
            registry_type: "IBR".into(),
            base_url: String::new(),
            auth_url: String::new(),
            client_id: String::new(),
            secret: String::new(),
            clear_secret: false,
            path_prefix: "registry".into(),
            custom_prefix: false,
            allow_unsigned: false,
            active: true,
            insecure_http: false,
            limits: LimitsForm::from_limits(&ReplyLimits::default()),
            mode: SourceMode::Sync,
            is_demo: false,
        }
    }
}

/// [`ReplyLimits`] in the units a person thinks in, as typed.
#[derive(Debug, Clone, PartialEq)]
struct LimitsForm {
    max_reply_mib: String,
    max_records_per_check: String,
    max_signature_lifetime_mins: String,
}

impl LimitsForm {
    fn from_limits(l: &ReplyLimits) -> LimitsForm {
        LimitsForm {
            max_reply_mib: number(l.max_reply_bytes as f64 / MIB),
            max_records_per_check: l.max_records_per_check.to_string(),
            max_signature_lifetime_mins: number(f64::from(l.max_signature_lifetime_secs) / MINUTE),
        }
    }

    /// The limits typed, or what is wrong with the first field that is not a number.
    fn to_limits(&self) -> Result<ReplyLimits, Problem> {
        let positive = |what: &str, typed: &str| -> Result<f64, Problem> {
            typed
                .trim()
                .replace(',', ".")
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v > 0.0)
                .ok_or_else(|| {
                    Problem::new(format!(
                        "type the {what} as a number greater than 0, not “{}”",
                        typed.trim()
                    ))
                })
        };
        let mib = positive("largest reply", &self.max_reply_mib)?;
        let minutes = positive("longest signature validity", &self.max_signature_lifetime_mins)?;
        let records: u32 = self.max_records_per_check.trim().parse().map_err(|_| {
            Problem::new(format!(
                "type the records fetched per check as a whole number, not “{}”",
                self.max_records_per_check.trim()
            ))
        })?;
        // Out-of-range values saturate and are then refused by the domain's check.
        Ok(ReplyLimits {
            max_reply_bytes: (mib * MIB).round() as u64,
            max_records_per_check: records,
            max_signature_lifetime_secs: (minutes * MINUTE).round() as u32,
        })
    }
}

/// A number as a person writes it: no trailing zeros.
fn number(v: f64) -> String {
    let s = format!("{v:.4}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// What stops the form from being saved.
#[derive(Debug, Default, PartialEq)]
struct Review {
    name: Option<Problem>,
    base_url: Option<Problem>,
    auth_url: Option<Problem>,
    path_prefix: Option<Problem>,
    /// The Advanced section's limits.
    limits: Option<Problem>,
    /// Required fields still empty, said next to "Save".
    missing: Option<String>,
    /// A rule of the domain that no single field shows.
    other: Option<Problem>,
    source: Option<NewDataSource>,
}

impl SourceForm {
    fn from_source(s: &DataSource) -> SourceForm {
        SourceForm {
            name: s.name.clone(),
            registry_type: shown_registry_type(&s.registry_type),
            base_url: s.base_url.clone(),
            auth_url: s.auth_url.clone().unwrap_or_default(),
            client_id: s.client_id.clone().unwrap_or_default(),
            secret: String::new(),
            clear_secret: false,
            custom_prefix: !PATH_PREFIXES.iter().any(|(p, _)| *p == s.path_prefix),
            path_prefix: s.path_prefix.clone(),
            allow_unsigned: s.allow_unsigned,
            active: s.active,
            insecure_http: s.insecure_http,
            limits: LimitsForm::from_limits(&s.limits),
            mode: s.mode,
            is_demo: s.is_demo,
        }
    }

    /// The data source the form describes, trimmed (limits that are not
    /// numbers stay as stored; [`SourceForm::review`] says so).
    fn to_new(&self) -> NewDataSource {
        let optional = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        NewDataSource {
            name: self.name.trim().to_string(),
            registry_type: stored_registry_type(&self.registry_type),
            base_url: self.base_url.trim().to_string(),
            auth_url: optional(&self.auth_url),
            client_id: optional(&self.client_id),
            path_prefix: self.path_prefix.trim().to_string(),
            mode: self.mode,
            allow_unsigned: self.allow_unsigned,
            active: self.active,
            is_demo: self.is_demo,
            insecure_http: self.insecure_http,
            limits: self.limits.to_limits().unwrap_or_default(),
        }
    }

    /// What saving would do to `stored` (a new source when none), in words.
    fn would_change(&self, stored: Option<&DataSource>) -> String {
        let new = self.to_new();
        let Some(old) = stored else {
            return if new.name.is_empty() {
                "add a new data source.".to_string()
            } else {
                format!("add the data source “{}”.", new.name)
            };
        };
        let mut changed = Vec::new();
        let checks: [(&str, bool); 11] = [
            ("the name", new.name != old.name),
            ("the registry type", new.registry_type != old.registry_type),
            ("the base URL", new.base_url != old.base_url),
            ("the OAuth token URL", new.auth_url != old.auth_url),
            ("the client ID", new.client_id != old.client_id),
            ("the path prefix", new.path_prefix != old.path_prefix),
            ("unsigned replies", new.allow_unsigned != old.allow_unsigned),
            ("unencrypted http", new.insecure_http != old.insecure_http),
            ("whether it is active", new.active != old.active),
            ("the reply limits", new.limits != old.limits),
            ("the client secret", !self.secret.trim().is_empty() || self.clear_secret),
        ];
        for (what, differs) in checks {
            if differs {
                changed.push(what);
            }
        }
        if changed.is_empty() {
            format!("change nothing in “{}” yet.", old.name)
        } else {
            format!("change {} of “{}”.", join_words(&changed), old.name)
        }
    }

    /// Checks every field with the domain's rules. `others` are the names of
    /// the other data sources (names are unique, whatever their case).
    fn review(&self, others: &[&str]) -> Review {
        let new = self.to_new();
        let mut r = Review::default();
        let mut missing = Vec::new();
        if new.name.is_empty() {
            missing.push("a name");
        } else if others.iter().any(|o| o.trim().eq_ignore_ascii_case(&new.name)) {
            r.name = Some(Problem::new(format!(
                "another data source is already called “{}”",
                new.name
            )));
        }
        if new.base_url.is_empty() {
            missing.push("the base URL");
        } else {
            r.base_url = probe("base URL", |p| {
                p.base_url = new.base_url.clone();
                p.insecure_http = new.insecure_http;
            });
        }
        if let Some(auth) = &new.auth_url {
            r.auth_url = probe("OAuth token URL", |p| {
                p.auth_url = Some(auth.clone());
                p.client_id = Some("probe".into());
                p.insecure_http = new.insecure_http;
            });
            if new.client_id.is_none() {
                missing.push("the client ID (the OAuth token URL needs one)");
            }
        }
        if new.path_prefix.is_empty() {
            missing.push("the path prefix");
        } else {
            r.path_prefix = probe("path prefix", |p| p.path_prefix = new.path_prefix.clone());
        }
        r.limits = match self.limits.to_limits() {
            Ok(l) => l.validate().err().map(Problem::new),
            Err(p) => Some(p),
        };
        if !missing.is_empty() {
            r.missing = Some(sentence(&format!("type {}", join_words(&missing))));
        }
        let fields_ok = [&r.name, &r.base_url, &r.auth_url, &r.path_prefix, &r.limits]
            .iter()
            .all(|p| p.is_none());
        if fields_ok && r.missing.is_none() {
            match new.validate() {
                Ok(()) => r.source = Some(new),
                Err(e) => r.other = Some(Problem::new(e)),
            }
        }
        r
    }
}

/// The registry type as the form shows it: "IBR" for an IBR.
fn shown_registry_type(stored: &str) -> String {
    if stored == REGISTRY_TYPE_IBR {
        "IBR".into()
    } else {
        stored.to_string()
    }
}

/// The registry type as stored: "IBR" (or nothing) means [`REGISTRY_TYPE_IBR`].
fn stored_registry_type(typed: &str) -> String {
    let t = typed.trim();
    if t.is_empty() || t.eq_ignore_ascii_case("IBR") {
        REGISTRY_TYPE_IBR.to_string()
    } else {
        t.to_string()
    }
}

/// What to do with the client secret: a request to remove it wins; typed
/// text replaces it; an empty field keeps it — except that a secret left
/// behind by a source that no longer signs in with OAuth is removed.
fn secret_change(typed: &str, clear: bool, uses_oauth: bool, stored: Option<bool>) -> SecretChange {
    let typed = typed.trim();
    if clear || (!uses_oauth && typed.is_empty() && stored == Some(true)) {
        SecretChange::Clear
    } else if typed.is_empty() {
        SecretChange::Keep
    } else {
        SecretChange::Set(typed.into())
    }
}

/// Runs the domain's check on a valid data source with one field changed.
fn probe(what: &str, change: impl FnOnce(&mut NewDataSource)) -> Option<Problem> {
    let mut p = NewDataSource::ibr("probe", PROBE_URL);
    change(&mut p);
    p.validate().err().map(|e| url_problem(what, e))
}

/// A URL the parser refused is explained with an example; the parser's
/// words stay one click away.
fn url_problem(what: &str, error: String) -> Problem {
    if error.contains("is not a URL") {
        Problem::with_detail(
            format!("the {what} must be a full web address, for example https://ibr.example.org"),
            error,
        )
    } else {
        Problem::new(error)
    }
}

/// "a, b and c".
fn join_words(words: &[&str]) -> String {
    match words {
        [] => String::new(),
        [one] => (*one).to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// A failed connection test: what happened in a sentence, what to look at,
/// and the engine's words as the technical detail.
fn test_failure(error: &str) -> Problem {
    let what = error.split(": ").next().unwrap_or(error);
    let hint = if what.contains("could not be reached") || what.contains("did not answer in time") {
        "Check the base URL and this computer's network connection. Checks wait in the queue until the registry answers."
    } else if what.contains("refused our credentials") {
        "Check the client ID and the client secret."
    } else if what.contains("not signed by a trusted sender") {
        "Link the registry's sender to this data source under Trusted senders, or fetch its current public key."
    } else if what.contains("not configured correctly") {
        "Edit the data source and check its settings."
    } else {
        "The technical detail below says what the registry answered."
    };
    Problem::with_detail(format!("{} {hint}", sentence(what)), error)
}

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

    fn source_card(&mut self, ui: &mut Ui, cx: &ScreenCtx<'_>, info: &SourceInfo) {
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
                    ui.label(
                        RichText::new("⚠ unencrypted")
                            .strong()
                            .color(theme::error_text(ui.visuals().dark_mode)),
                    )
                    .on_hover_text(CLEAR_TEXT_WARNING);
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

    fn test_result(&self, ui: &mut Ui, id: i64) {
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

/// Name, registry type and address; `focus` puts the cursor in the name
/// once, when the form opens. Returns whether Enter was pressed.
fn connection_fields(ui: &mut Ui, f: &mut SourceForm, review: &Review, focus: &mut bool) -> bool {
    section_heading(ui, "Registry");
    let name = text_field(ui, "Name", &mut f.name, "National IBR");
    if std::mem::take(focus) {
        name.request_focus();
    }
    let mut enter = entered(ui, &name);
    show(ui, "source-name", &review.name);
    enter |= line(ui, "Registry type", &mut f.registry_type, "IBR");
    field_note(ui, "IBR for an Integrated Beneficiary Registry.");
    enter |= line(ui, "Base URL", &mut f.base_url, "https://ibr.example.org");
    show(ui, "source-base-url", &review.base_url);
    insecure_http_box(ui, &mut f.insecure_http);
    path_prefix_field(ui, f);
    if f.custom_prefix {
        enter |= line(ui, "Other path prefix", &mut f.path_prefix, "registry");
    }
    show(ui, "source-path-prefix", &review.path_prefix);
    if review.base_url.is_none() && !f.base_url.trim().is_empty() {
        let base = f.base_url.trim().trim_end_matches('/');
        field_note(
            ui,
            &format!("Searches go to {base}/{}/sync/search.", f.path_prefix.trim()),
        );
    }
    enter
}

fn path_prefix_field(ui: &mut Ui, f: &mut SourceForm) {
    form_row(ui, "Path prefix", |ui| {
        let shown = if f.custom_prefix {
            "Other…".to_string()
        } else {
            PATH_PREFIXES
                .iter()
                .find(|(p, _)| *p == f.path_prefix)
                .map_or_else(|| f.path_prefix.clone(), |(_, label)| (*label).to_string())
        };
        egui::ComboBox::from_id_salt("source-path-prefix")
            .selected_text(shown)
            .width(240.0)
            .show_ui(ui, |ui| {
                for (p, label) in PATH_PREFIXES {
                    if ui
                        .selectable_label(!f.custom_prefix && f.path_prefix == p, label)
                        .clicked()
                    {
                        f.path_prefix = p.to_string();
                        f.custom_prefix = false;
                    }
                }
                if ui.selectable_label(f.custom_prefix, "Other…").clicked() {
                    f.custom_prefix = true;
                }
            })
            .response
    });
}

/// OAuth token URL, client ID and secret; returns whether Enter was pressed.
fn sign_in_fields(ui: &mut Ui, ed: &mut Editor, review: &Review, data: &AppData) -> bool {
    section_heading(ui, "Sign-in (OAuth 2.0)");
    let f = &mut ed.form;
    let mut enter = line(
        ui,
        "OAuth token URL",
        &mut f.auth_url,
        "leave empty if the registry needs no sign-in",
    );
    show(ui, "source-auth-url", &review.auth_url);
    enter |= line(ui, "Client ID", &mut f.client_id, "");
    let secret = form_row(ui, "Client secret", |ui| {
        ui.add_enabled(
            !f.clear_secret,
            egui::TextEdit::singleline(&mut f.secret)
                .password(true)
                .desired_width(360.0),
        )
    });
    enter |= entered(ui, &secret);
    field_note(ui, "Kept in the OS keyring, never on disk.");
    let keyring_ok = data.config.as_ref().is_some_and(|c| c.keyring.is_ok());
    if !keyring_ok {
        field_warning(
            ui,
            "The OS keyring is not available, so a client secret cannot be stored on this computer. Leave the \
             field empty to save the other settings.",
        );
    }
    if ed.id.is_some() && ed.secret_stored == Some(true) {
        under_field(ui, |ui| {
            ui.label(RichText::new("A secret is stored. Leave the field empty to keep it, or type a new one.").weak());
            if ui.checkbox(&mut f.clear_secret, "Remove the stored secret").changed() && f.clear_secret {
                f.secret.clear();
            }
        });
    } else if !f.auth_url.trim().is_empty() && f.secret.trim().is_empty() {
        field_warning(ui, "Without a client secret the registry will refuse the sign-in.");
    }
    enter
}

/// How replies are trusted, and whether the source is offered.
fn reply_fields(ui: &mut Ui, f: &mut SourceForm) {
    section_heading(ui, "Replies");
    under_field(ui, |ui| {
        ui.checkbox(&mut f.allow_unsigned, "Allow unsigned replies");
        let text = "Only for test servers: replies without a trusted signature will be accepted.";
        if f.allow_unsigned {
            warning(ui, text);
        } else {
            ui.label(RichText::new(text).weak());
        }
        ui.add_space(theme::SPACING / 2.0);
        ui.checkbox(&mut f.active, "Active");
        ui.label(RichText::new("Only active data sources are offered for new checks.").weak());
    });
}

/// What stops saving, beside "Save" and "Cancel".
fn save_row(ui: &mut Ui, ed: &Editor, review: &Review, secret_blocked: bool, supervisor: bool) -> Option<FormAction> {
    let why_not = if ed.saving.is_some() {
        Some("Saving…".to_string())
    } else if !supervisor {
        Some(SUPERVISOR_ONLY.to_string())
    } else if let Some(m) = &review.missing {
        Some(m.clone())
    } else if secret_blocked {
        Some("The client secret cannot be stored without the OS keyring: clear the field to save.".to_string())
    } else if review.source.is_none() {
        Some("Correct what is marked in red first.".to_string())
    } else {
        None
    };
    save_cancel_row(ui, why_not.as_deref())
}

/// Whether requests to this source travel unencrypted over a network.
fn sends_in_clear(s: &DataSource) -> bool {
    s.insecure_http && (is_unencrypted_url(&s.base_url) || s.auth_url.as_deref().is_some_and(is_unencrypted_url))
}

/// The senders whose signatures this source's replies are verified with.
fn trusted_senders_line(ui: &mut Ui, data: &AppData, s: &DataSource) {
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

/// The bounds of the source's replies, folded away: their defaults suit
/// most registries.
fn advanced_fields(ui: &mut Ui, f: &mut SourceForm, review: &Review) -> bool {
    let mut enter = false;
    let d = ReplyLimits::default();
    egui::CollapsingHeader::new("Advanced")
        .id_salt("source-advanced")
        .default_open(review.limits.is_some())
        .show(ui, |ui| {
            ui.label(
                RichText::new("What this registry's replies may hold; a reply beyond them fails its checks.").weak(),
            );
            enter |= line(ui, "Largest reply (MiB)", &mut f.limits.max_reply_mib, "32");
            field_note(
                ui,
                &format!(
                    "Default {} MiB; from 0.0625 (64 KiB) to 1024.",
                    number(d.max_reply_bytes as f64 / MIB)
                ),
            );
            enter |= line(
                ui,
                "Most records fetched per check",
                &mut f.limits.max_records_per_check,
                "500",
            );
            field_note(
                ui,
                &format!(
                    "Default {}; a registry holding more makes the check a possible match.",
                    d.max_records_per_check
                ),
            );
            enter |= line(
                ui,
                "Longest signature validity (minutes)",
                &mut f.limits.max_signature_lifetime_mins,
                "60",
            );
            field_note(
                ui,
                &format!(
                    "Default {} minutes; from 1 to 10,080 (7 days).",
                    number(f64::from(d.max_signature_lifetime_secs) / MINUTE)
                ),
            );
            if ui.button("Restore the defaults").clicked() {
                f.limits = LimitsForm::from_limits(&d);
            }
        });
    // Beside the section, open or folded: a problem is never hidden.
    show(ui, "source-limits", &review.limits);
    enter
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

/// Whether a stored source is what was sent to be saved.
fn stored_as(new: &NewDataSource, s: &DataSource) -> bool {
    new.name == s.name
        && new.registry_type == s.registry_type
        && new.base_url == s.base_url
        && new.auth_url == s.auth_url
        && new.client_id == s.client_id
        && new.path_prefix == s.path_prefix
        && new.allow_unsigned == s.allow_unsigned
        && new.active == s.active
        && new.insecure_http == s.insecure_http
        && new.limits == s.limits
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
fn keyring_status(ui: &mut Ui, data: &AppData) {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> SourceForm {
        SourceForm {
            name: " National IBR ".into(),
            base_url: " https://ibr.example.org ".into(),
            auth_url: "https://ibr.example.org/oauth2/client/token".into(),
            client_id: " desk ".into(),
            secret: " s3cret ".into(),
            ..SourceForm::default()
        }
    }

    #[test]
    fn the_form_becomes_a_trimmed_data_source() {
        let r = form().review(&[]);
        let s = r.source.expect("valid");
        assert_eq!(s.name, "National IBR");
        assert_eq!(s.registry_type, REGISTRY_TYPE_IBR);
        assert_eq!(s.base_url, "https://ibr.example.org");
        assert_eq!(s.client_id.as_deref(), Some("desk"));
        assert_eq!(s.path_prefix, "registry");
        assert!(s.active && !s.allow_unsigned && !s.is_demo);
    }

    #[test]
    fn ibr_is_shown_short_and_stored_in_full() {
        assert_eq!(shown_registry_type(REGISTRY_TYPE_IBR), "IBR");
        assert_eq!(stored_registry_type(" ibr "), REGISTRY_TYPE_IBR);
        assert_eq!(stored_registry_type(""), REGISTRY_TYPE_IBR);
        assert_eq!(
            stored_registry_type("ns:org:RegistryType:CRVS"),
            "ns:org:RegistryType:CRVS"
        );
        let stored = DataSource {
            id: 1,
            name: "X".into(),
            registry_type: REGISTRY_TYPE_IBR.into(),
            base_url: "http://127.0.0.1:1".into(),
            auth_url: None,
            client_id: None,
            path_prefix: "ibr".into(),
            mode: SourceMode::Sync,
            allow_unsigned: true,
            active: true,
            is_demo: false,
            insecure_http: false,
            limits: ReplyLimits::default(),
            created_at: chrono::Utc::now(),
        };
        let f = SourceForm::from_source(&stored);
        assert_eq!(f.registry_type, "IBR");
        assert!(!f.custom_prefix);
        assert!(stored_as(&f.to_new(), &stored));
    }

    #[test]
    fn a_bad_url_is_explained_beside_its_field() {
        let mut f = form();
        f.base_url = "ibr.example.org".into();
        let r = f.review(&[]);
        assert!(r.source.is_none());
        let p = r.base_url.expect("a problem");
        assert!(p.message.starts_with("The base URL must be a full web address"));
        assert!(p.detail.unwrap().contains("not a URL"));
        f.base_url = "ftp://ibr.example.org".into();
        assert!(f.review(&[]).base_url.unwrap().message.contains("https://"));
    }

    #[test]
    fn empty_required_fields_are_missing_not_wrong() {
        let r = SourceForm::default().review(&[]);
        assert_eq!(r.base_url, None);
        assert_eq!(r.missing.as_deref(), Some("Type a name and the base URL."));
        let mut f = form();
        f.client_id.clear();
        assert!(f.review(&[]).missing.unwrap().contains("client ID"));
    }

    #[test]
    fn names_are_unique_whatever_their_case() {
        let r = form().review(&["national ibr"]);
        assert!(r.name.unwrap().message.contains("already called"));
    }

    /// A change as plain values, to compare (a secret has no `PartialEq`).
    fn plain(c: SecretChange) -> (&'static str, Option<String>) {
        use secrecy::ExposeSecret as _;
        match c {
            SecretChange::Keep => ("keep", None),
            SecretChange::Set(s) => ("set", Some(s.expose_secret().to_owned())),
            SecretChange::Clear => ("clear", None),
        }
    }

    #[test]
    fn the_secret_is_kept_set_or_cleared() {
        assert_eq!(
            plain(secret_change("", false, true, Some(true))),
            plain(SecretChange::Keep)
        );
        assert_eq!(plain(secret_change("  ", false, true, None)), plain(SecretChange::Keep));
        assert_eq!(
            plain(secret_change(" new ", false, true, Some(true))),
            plain(SecretChange::Set("new".into()))
        );
        assert_eq!(
            plain(secret_change("typed", true, true, Some(true))),
            plain(SecretChange::Clear)
        );
        // No more OAuth: a secret left behind is removed.
        assert_eq!(
            plain(secret_change("", false, false, Some(true))),
            plain(SecretChange::Clear)
        );
        assert_eq!(
            plain(secret_change("", false, false, Some(false))),
            plain(SecretChange::Keep)
        );
    }

    #[test]
    fn failed_tests_say_what_to_look_at() {
        let p = test_failure("the registry could not be reached: error sending request: connection refused");
        assert!(
            p.message
                .starts_with("The registry could not be reached. Check the base URL")
        );
        assert!(p.detail.unwrap().contains("connection refused"));
        assert!(
            test_failure("the registry refused our credentials: 401")
                .message
                .contains("client secret")
        );
        assert_eq!(join_words(&["a", "b", "c"]), "a, b and c");
    }
}
