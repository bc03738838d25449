//! Settings: who the officer is (recorded with every action in the audit
//! log), the office's DCI sender ID, the window's theme, and the office's
//! signing key with the public JWKS registries need to check signatures.
//!
//! The fields follow the configuration the engine sends until the officer
//! starts typing; from then on they hold what was typed until it is saved.
//!
//! This file is the screen and its requests; what the fields hold and what
//! stops saving is `ui::forms::settings`.

use egui::{RichText, Ui};

use crate::engine::{Command, Event, Pending, Said};
use crate::ui::forms::settings::{PinForm, SettingsForm, save_blocker};
use crate::ui::screens::{AnswerCtx, ScreenCtx, View, answer};
use crate::ui::state::{AppData, Commands, ThemeChoice};
use crate::ui::theme;
use crate::ui::widgets::{
    Answer, Problem, confirm_dialog, entered, field_note, field_problem, section_heading, technical_detail, text_field,
    under_field, warning,
};

/// The Settings screen.
#[derive(Default)]
pub struct SettingsScreen {
    form: SettingsForm,
    /// The officer changed a field since it was last loaded or saved.
    editing: bool,
    saving: bool,
    save_error: Option<Problem>,
    confirm_new_key: bool,
    generating: bool,
    pin: PinForm,
    /// The answers this screen waits for.
    requests: SettingsRequests,
}

/// The settings screen's requests in flight.
#[derive(Default)]
struct SettingsRequests {
    save: Option<Pending<Said>>,
    key: Option<Pending<Said>>,
    pin: Option<Pending<Said>>,
}

impl View for SettingsScreen {
    fn on_show(&mut self, data: &AppData, _cmds: &Commands) {
        // The shell reads the configuration for every screen it shows.
        self.sync(data);
    }

    fn on_event(&mut self, event: &Event, data: &AppData, _cmds: &Commands) {
        if let Event::Config(c) = event {
            if self.saving && self.form.saved_in(c) {
                self.saving = false;
                self.editing = false;
            }
            self.sync(data);
        }
    }

    fn poll(&mut self, cx: &mut AnswerCtx<'_>) {
        if let Some(r) = answer(&mut self.requests.save) {
            self.saving = false;
            match r {
                Ok(said) => {
                    self.editing = false;
                    self.sync(cx.data);
                    cx.done(said);
                }
                Err(e) => {
                    self.save_error = Some(Problem::with_detail(&e.message, e.detail.clone()));
                    cx.failed(&e);
                }
            }
        }
        if let Some(r) = answer(&mut self.requests.key) {
            self.generating = false;
            match r {
                Ok(said) => cx.done(said),
                Err(e) => cx.failed(&e),
            }
        }
        if let Some(r) = answer(&mut self.requests.pin) {
            match r {
                Ok(said) => {
                    self.pin = PinForm::default();
                    cx.done(said);
                }
                Err(e) => {
                    self.pin.sending = false;
                    self.pin.error = Some(e.detail.clone());
                    cx.failed(&e);
                }
            }
        }
    }

    fn ui(&mut self, ui: &mut Ui, cx: &mut ScreenCtx<'_>) {
        if !self.editing && cx.data.config.as_ref().is_some_and(|c| !self.form.saved_in(c)) {
            self.sync(cx.data);
        }
        egui::ScrollArea::vertical().auto_shrink([false, false]).show(ui, |ui| {
            ui.heading("Settings");
            self.office_fields(ui, cx);
            theme_choice(ui, cx);
            self.signing_key(ui, cx);
            self.supervisor_pin(ui, cx);
            keyring_status(ui, cx.data);
        });
        self.new_key_dialog(ui, cx);
    }
}

impl SettingsScreen {
    /// Shows the stored settings unless the officer is typing.
    fn sync(&mut self, data: &AppData) {
        if let (false, Some(c)) = (self.editing || self.saving, &data.config) {
            self.form = SettingsForm::from_config(c);
        }
    }

    fn office_fields(&mut self, ui: &mut Ui, cx: &ScreenCtx<'_>) {
        section_heading(ui, "Officer and office");
        if cx.data.config.is_none() {
            ui.label("Loading the settings…");
            return;
        }
        let name = text_field(ui, "Officer name", &mut self.form.officer_name, "your name");
        let mut enter = entered(ui, &name);
        field_note(ui, "Recorded in the audit log with every check and change you make.");
        let id = text_field(
            ui,
            "Office sender ID",
            &mut self.form.office_sender_id,
            "office.example.gov",
        );
        enter |= entered(ui, &id);
        if name.changed() || id.changed() {
            self.editing = true;
            self.save_error = None;
        }
        let review = self.form.review();
        match &review.sender_id {
            Some(p) => field_problem(ui, "office-sender-id", p),
            None => field_note(
                ui,
                "How registries know this office (DCI sender ID): letters, digits, dots and hyphens. It is also the \
                 first part of the signing key's ID.",
            ),
        }
        let why_not = save_blocker(&review, self.saving, self.editing);
        let mut save = false;
        ui.horizontal(|ui| {
            ui.add_space(theme::LABEL_WIDTH + ui.spacing().item_spacing.x);
            let b = ui.add_enabled(why_not.is_none(), egui::Button::new(RichText::new("Save").strong()));
            save = b.clicked();
            if let Some(w) = &why_not {
                b.on_disabled_hover_text(w.as_str());
                ui.label(RichText::new(w.as_str()).weak());
            }
        });
        if let Some(p) = &self.save_error {
            field_problem(ui, "settings-save", p);
        }
        if (save || enter)
            && why_not.is_none()
            && let Some((officer_name, office_sender_id)) = review.ready
        {
            self.saving = true;
            self.save_error = None;
            self.requests.save = Some(cx.cmds.request(|reply| Command::SaveSettings {
                officer_name,
                office_sender_id,
                reply,
            }));
        }
    }

    fn signing_key(&mut self, ui: &mut Ui, cx: &mut ScreenCtx<'_>) {
        section_heading(ui, "Office signing key");
        let Some(config) = &cx.data.config else { return };
        ui.label("Requests to registries are signed with this key, so a registry can tell they come from this office.");
        match &config.office_kid {
            Some(kid) => {
                ui.horizontal_wrapped(|ui| {
                    ui.label("Key ID (kid):");
                    ui.label(RichText::new(kid).monospace());
                });
            }
            None => {
                warning(
                    ui,
                    "None — requests go out unsigned. Registries that require signed requests will refuse them.",
                );
            }
        }
        let keyring_ok = config.keyring.is_ok();
        ui.horizontal(|ui| {
            let label = if config.office_kid.is_some() {
                "Generate a new signing key"
            } else {
                "Generate signing key"
            };
            let why_not = if !keyring_ok {
                Some("The private key must go to the OS keyring, which is not available.")
            } else if self.generating {
                Some("Generating…")
            } else {
                None
            };
            let b = ui.add_enabled(why_not.is_none(), egui::Button::new(label));
            if let Some(w) = why_not {
                ui.label(RichText::new(w).weak());
            }
            if b.clicked() {
                if config.office_kid.is_some() {
                    self.confirm_new_key = true;
                } else {
                    self.generating = true;
                    self.requests.key = Some(cx.cmds.request(|reply| Command::GenerateOfficeKey { reply }));
                }
            }
            if let Some(jwks) = &config.office_jwks
                && ui.button("Copy public JWKS").clicked()
            {
                ui.ctx().copy_text(jwks.clone());
                cx.toasts
                    .info("The public JWKS is on the clipboard: send it to the registries this office asks.");
            }
        });
        if let Some(jwks) = &config.office_jwks {
            ui.add_space(theme::SPACING / 2.0);
            let label = ui.label("Public JWKS (give it to each registry, so it can check this office's signatures)");
            let mut text: &str = jwks;
            ui.add(
                egui::TextEdit::multiline(&mut text)
                    .font(egui::TextStyle::Monospace)
                    .desired_width(f32::INFINITY)
                    .desired_rows(6),
            )
            .labelled_by(label.id);
        }
    }

    fn new_key_dialog(&mut self, ui: &mut Ui, cx: &mut ScreenCtx<'_>) {
        if !self.confirm_new_key {
            return;
        }
        let answer = confirm_dialog(
            ui,
            "new-office-key",
            "Replace the office signing key?",
            |ui| {
                ui.label("A new key replaces the current one at once.");
                ui.label(
                    "Every registry that checks this office's signatures must be given the new public JWKS; until \
                     then it may refuse this office's requests.",
                );
            },
            "Generate new key",
        );
        match answer {
            Some(Answer::Confirm) => {
                self.confirm_new_key = false;
                self.generating = true;
                self.requests.key = Some(cx.cmds.request(|reply| Command::GenerateOfficeKey { reply }));
            }
            Some(Answer::Cancel) => self.confirm_new_key = false,
            None => {}
        }
    }
}

impl SettingsScreen {
    /// The PIN that lets someone work as a supervisor (who decides reviews).
    fn supervisor_pin(&mut self, ui: &mut Ui, cx: &ScreenCtx<'_>) {
        section_heading(ui, "Supervisor PIN");
        let pin_set = cx.data.config.as_ref().is_some_and(|c| c.supervisor_pin_set);
        ui.label(if pin_set {
            "A PIN is set. Switching to the supervisor role (top right) asks for it."
        } else {
            "No PIN yet: set one so that a supervisor can review possible matches."
        });
        let field = |ui: &mut Ui, label: &str, value: &mut String| {
            crate::ui::widgets::form_row(ui, label, |ui| {
                ui.add(egui::TextEdit::singleline(value).password(true).desired_width(200.0))
            });
        };
        if pin_set {
            field(ui, "Current PIN", &mut self.pin.current);
        }
        field(ui, "New PIN", &mut self.pin.new);
        field(ui, "Repeat new PIN", &mut self.pin.repeat);
        let problem = self.pin.problem(pin_set);
        ui.horizontal(|ui| {
            ui.add_space(theme::LABEL_WIDTH + 8.0);
            let b = ui.add_enabled(problem.is_none() && !self.pin.sending, egui::Button::new("Save PIN"));
            if let Some(p) = problem {
                ui.weak(p);
            }
            if b.clicked() {
                self.pin.sending = true;
                self.pin.error = None;
                let (current, new) = (
                    pin_set.then(|| self.pin.current.as_str().into()),
                    self.pin.new.as_str().into(),
                );
                self.requests.pin = Some(
                    cx.cmds
                        .request(|reply| Command::SetSupervisorPin { current, new, reply }),
                );
            }
        });
        if let Some(e) = &self.pin.error {
            ui.colored_label(theme::error_text(ui.visuals().dark_mode), e);
        }
    }
}

/// Light, dark, or as the operating system says; applied at once.
fn theme_choice(ui: &mut Ui, cx: &mut ScreenCtx<'_>) {
    section_heading(ui, "Appearance");
    ui.horizontal(|ui| {
        ui.add_sized([theme::LABEL_WIDTH, 20.0], egui::Label::new("Theme"));
        for (choice, label) in [
            (ThemeChoice::System, "Follow the system"),
            (ThemeChoice::Light, "Light"),
            (ThemeChoice::Dark, "Dark"),
        ] {
            ui.radio_value(&mut cx.prefs.theme, choice, label);
        }
    });
}

/// Where secrets are kept, or why they cannot be.
fn keyring_status(ui: &mut Ui, data: &AppData) {
    section_heading(ui, "Secrets");
    let Some(config) = &data.config else { return };
    match &config.keyring {
        Ok(what) => {
            ui.label("✔ Client secrets and the office signing key are kept in the OS keyring, never on disk.");
            ui.label(RichText::new(format!("Keyring: {what}")).weak());
        }
        Err(e) => {
            warning(
                ui,
                "The OS keyring is not available, so client secrets and the office signing key cannot be stored on \
                 this computer.",
            );
            under_field(ui, |ui| technical_detail(ui, "settings-keyring", e));
        }
    }
}
