//! The shell of the window: navigation, status bar, toasts; engine events
//! applied at the top of each frame; preferences remembered between runs.

use std::sync::Arc;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use chrono::Utc;
use egui::{RichText, Ui};

use super::screens::{self, AnswerCtx, Navigate, Screen, ScreenCtx, View, answer};
use super::state::{AppData, Commands, Prefs};
use super::theme;
use crate::domain::Role;
use crate::engine::event::ConfigSnapshot;
use crate::engine::{ChecksChanged, Command, Engine, EngineConfig, Event, Pending, Query};
use crate::secrets::SecretStore;
use crate::store::Store;

/// Key of the preferences in eframe's storage.
const PREFS_KEY: &str = "ibr-desk-prefs";
/// How often the status bar's "last answer … ago" is refreshed when idle.
const STATUS_REFRESH: Duration = Duration::from_secs(30);

/// What the window runs on: the store, the secrets and the engine's settings.
pub struct Backend {
    pub store: Arc<Store>,
    pub secrets: Arc<dyn SecretStore>,
    pub engine: EngineConfig,
}

/// The application.
pub struct IbrDeskApp {
    engine: Option<Engine>,
    events: Receiver<Event>,
    cmds: Commands,
    data: AppData,
    prefs: Prefs,
    screen: Screen,
    screens: Screens,
    toasts: egui_notify::Toasts,
    first_frame: Option<(Instant, bool)>,
    /// Send `RunSampleChecks` when the demo registry reports ready.
    sample_checks_pending: bool,
    /// The supervisor PIN being typed, while the role dialog is open.
    role_dialog: Option<RoleDialog>,
    /// The shell's own requests in flight.
    pending: ShellRequests,
    /// What the window told the person last (see `AnswerCtx::told`).
    told: Vec<String>,
}

/// How many of the last messages the window keeps.
const TOLD_KEPT: usize = 50;

/// What the shell asked the engine and waits for.
#[derive(Default)]
struct ShellRequests {
    config: Option<Pending<Box<ConfigSnapshot>>>,
    demo: Option<Pending<Option<i64>>>,
    samples: Option<Pending<usize>>,
    /// "Back to officer" (the dialog holds the switch to supervisor).
    to_officer: Option<Pending<Role>>,
}

/// Switching to the supervisor role.
#[derive(Default)]
struct RoleDialog {
    pin: String,
    error: Option<String>,
    waiting: Option<Pending<Role>>,
}

impl IbrDeskApp {
    /// Starts the engine and asks for what the first screen needs.
    pub fn new(cc: &eframe::CreationContext<'_>, backend: Backend) -> anyhow::Result<IbrDeskApp> {
        let engine =
            Engine::start(backend.store, backend.secrets, backend.engine).map_err(|e| anyhow::anyhow!("{e}"))?;
        let ctx = cc.egui_ctx.clone();
        let repaint = ctx.clone();
        let events = engine.subscribe(Some(Box::new(move || ctx.request_repaint())));
        let cmds = engine
            .sender()
            .with_waker(std::sync::Arc::new(move || repaint.request_repaint()));
        let prefs: Prefs = cc
            .storage
            .and_then(|s| eframe::get_value(s, PREFS_KEY))
            .unwrap_or_default();
        cc.egui_ctx.set_theme(prefs.theme.preference());
        let mut app = IbrDeskApp {
            engine: Some(engine),
            events,
            cmds: cmds.clone(),
            data: AppData::default(),
            screen: prefs.last_screen,
            prefs,
            screens: Screens::default(),
            // Bottom right, above the status bar: away from the detail's buttons at the top.
            toasts: egui_notify::Toasts::new()
                .with_anchor(egui_notify::Anchor::BottomRight)
                .with_margin(egui::vec2(12.0, 40.0)),
            first_frame: None,
            sample_checks_pending: false,
            role_dialog: None,
            pending: ShellRequests::default(),
            told: Vec::new(),
        };
        app.pending.config = Some(cmds.query(|reply| Query::Config { reply }));
        app.pending.demo = Some(cmds.request(|reply| Command::EnsureDemoRegistry { reply }));
        let screen = app.screen;
        app.show_screen(screen);
        Ok(app)
    }

    /// Moves to a screen and lets it load what it shows.
    pub fn show_screen(&mut self, screen: Screen) {
        self.screen = screen;
        self.prefs.last_screen = screen;
        // Every screen shows some of the configuration: read it afresh.
        if self.pending.config.is_none() {
            self.pending.config = Some(self.cmds.query(|reply| Query::Config { reply }));
        }
        let (data, cmds) = (&self.data, &self.cmds);
        if let Some(view) = self.screens.view(screen) {
            view.on_show(data, cmds);
        }
    }

    /// The screen shown now.
    pub fn screen(&self) -> Screen {
        self.screen
    }

    /// What the window knows (tests read it).
    pub fn data(&self) -> &AppData {
        &self.data
    }

    /// How many checks the Checks screen's filter selects, once its first page came.
    pub fn history_total(&self) -> Option<u64> {
        self.screens.checks.total()
    }

    /// What the window told the person last, newest last.
    pub fn told(&self) -> &[String] {
        &self.told
    }

    /// The engine (tests and benchmarks reach the store through it).
    pub fn engine(&self) -> Option<&Engine> {
        self.engine.as_ref()
    }

    /// Checks sample applicants against the demo registry as soon as it runs.
    pub fn run_sample_checks_when_ready(&mut self) {
        self.sample_checks_pending = true;
    }

    /// Prints the time from `launched` to the first frame (and closes the
    /// window when `close` is set): the start-up benchmark.
    pub fn report_first_frame(&mut self, launched: Instant, close: bool) {
        self.first_frame = Some((launched, close));
    }

    /// Applies what the engine said since the last frame: its events, with
    /// every `ChecksChanged` of the frame merged into one, and the answers
    /// to the shell's and the screens' requests.
    fn apply_events(&mut self) {
        let mut events = Vec::new();
        if let Some(r) = answer(&mut self.pending.config) {
            match r {
                // Applied like a broadcast one: every screen sees the snapshot.
                Ok(c) => events.push(Event::Config(c)),
                Err(e) => self.toast_error(&e),
            }
        }
        let mut changed: Option<ChecksChanged> = None;
        while let Ok(event) = self.events.try_recv() {
            match event {
                Event::ChecksChanged(c) => match changed.as_mut() {
                    Some(all) => all.merge(&c),
                    None => changed = Some(c),
                },
                other => events.push(other),
            }
        }
        events.extend(changed.map(Event::ChecksChanged));
        for event in &events {
            self.data.apply(event);
            self.shell_event(event);
            let (data, cmds) = (&self.data, &self.cmds);
            for (_, view) in self.screens.views() {
                view.on_event(event, data, cmds);
            }
        }
        self.poll_shell();
        let mut cx = AnswerCtx {
            data: &self.data,
            cmds: &self.cmds,
            toasts: &mut self.toasts,
            told: &mut self.told,
        };
        for (_, view) in self.screens.views() {
            view.poll(&mut cx);
        }
        let extra = self.told.len().saturating_sub(TOLD_KEPT);
        self.told.drain(..extra);
    }

    /// What the shell itself shows of an event: toasts of background work.
    fn shell_event(&mut self, event: &Event) {
        match event {
            Event::Error(e) => {
                self.toasts.error(e.two_lines()).duration(Some(Duration::from_secs(10)));
            }
            Event::Notice { message } => {
                self.toasts
                    .success(message.clone())
                    .duration(Some(Duration::from_secs(4)));
            }
            Event::BatchFinished {
                data_source_name,
                completed,
                failed,
                requeued,
                ..
            } => {
                let text = batch_summary(data_source_name, *completed, *failed, *requeued);
                let t = if *failed > 0 {
                    self.toasts.warning(text)
                } else {
                    self.toasts.info(text)
                };
                t.duration(Some(Duration::from_secs(4)));
            }
            Event::RoleChanged { .. } => self.role_dialog = None,
            Event::DemoRegistry { outcome: Ok(_) } if self.sample_checks_pending => {
                self.sample_checks_pending = false;
                self.pending.samples = Some(self.cmds.request(|reply| Command::RunSampleChecks { reply }));
            }
            _ => {}
        }
    }

    /// The answers to the shell's own requests.
    fn poll_shell(&mut self) {
        if let Some(Err(e)) = answer(&mut self.pending.demo) {
            self.toast_error(&e);
        }
        if let Some(r) = answer(&mut self.pending.samples) {
            match r {
                Ok(_) => {
                    self.toasts
                        .success("Sample checks queued against the demo registry.")
                        .duration(Some(Duration::from_secs(4)));
                }
                Err(e) => self.toast_error(&e),
            }
        }
        if let Some(Err(e)) = answer(&mut self.pending.to_officer) {
            self.toast_error(&e);
        }
        if let Some(d) = self.role_dialog.as_mut()
            && let Some(r) = answer(&mut d.waiting)
        {
            match r {
                Ok(_) => self.role_dialog = None,
                Err(e) => {
                    d.error = Some(e.detail.clone());
                    self.toast_error(&e);
                }
            }
        }
    }

    fn toast_error(&mut self, e: &crate::domain::EngineError) {
        self.toasts.error(e.two_lines()).duration(Some(Duration::from_secs(10)));
    }

    fn navigation(&mut self, ui: &mut Ui) -> Option<Screen> {
        let mut go = None;
        ui.horizontal(|ui| {
            ui.heading(RichText::new("IBR Desk").strong());
            ui.add_space(theme::SPACING * 2.0);
            for s in Screen::ALL {
                if ui.selectable_label(self.screen == s, s.title()).clicked() && self.screen != s {
                    go = Some(s);
                }
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                self.role_switch(ui)
            });
        });
        go
    }

    /// "Working as …" and the switch, at the right of the navigation bar.
    fn role_switch(&mut self, ui: &mut Ui) {
        match self.data.role {
            crate::domain::Role::Officer => {
                if ui.button("Switch to supervisor").clicked() {
                    self.role_dialog = Some(RoleDialog::default());
                }
                ui.label("Working as an officer");
            }
            crate::domain::Role::Supervisor => {
                if ui.button("Back to officer").clicked() {
                    self.pending.to_officer = Some(self.cmds.request(|reply| Command::SwitchRole {
                        role: Role::Officer,
                        pin: None,
                        reply,
                    }));
                }
                ui.label(RichText::new("Working as a supervisor").strong());
            }
        }
    }

    /// The PIN dialog; Enter confirms, Esc cancels.
    fn role_dialog(&mut self, ctx: &egui::Context) {
        let Some(d) = self.role_dialog.as_mut() else { return };
        let mut submit = false;
        let mut cancel = false;
        let modal = egui::Modal::new(egui::Id::unique("role-dialog")).show(ctx, |ui| {
            ui.heading("Switch to supervisor");
            ui.label("Supervisors decide possible matches. Every decision is recorded with your name.");
            let r = crate::ui::widgets::form_row(ui, "Supervisor PIN", |ui| {
                ui.add(
                    egui::TextEdit::singleline(&mut d.pin)
                        .password(true)
                        .desired_width(160.0),
                )
            });
            if d.waiting.is_none() {
                r.request_focus();
            }
            if r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                submit = true;
            }
            if let Some(e) = &d.error {
                ui.colored_label(theme::error_text(ui.visuals().dark_mode), e);
            }
            ui.horizontal(|ui| {
                if ui
                    .add_enabled(d.waiting.is_none() && !d.pin.is_empty(), egui::Button::new("Switch"))
                    .clicked()
                {
                    submit = true;
                }
                if ui.button("Cancel").clicked() {
                    cancel = true;
                }
            });
        });
        if submit && !d.pin.is_empty() && d.waiting.is_none() {
            d.error = None;
            let pin = std::mem::take(&mut d.pin).into();
            d.waiting = Some(self.cmds.request(|reply| Command::SwitchRole {
                role: Role::Supervisor,
                pin: Some(pin),
                reply,
            }));
        }
        if cancel || modal.should_close() {
            self.role_dialog = None;
        }
    }

    fn status_bar(&self, ui: &mut Ui) {
        ui.horizontal_wrapped(|ui| {
            for info in self.data.sources() {
                let s = &info.source;
                if !s.active {
                    continue;
                }
                let online = self.data.online(s.id);
                let (dot, word) = match online {
                    Some(true) => ("⏺", "online"),
                    Some(false) => ("⏺", "offline"),
                    None => ("⏺", "not asked yet"),
                };
                let detail = self
                    .data
                    .source_status
                    .get(&s.id)
                    .map(|st| st.detail.clone())
                    .unwrap_or_default();
                ui.label(RichText::new(dot).color(theme::status_colour(online)))
                    .on_hover_text(detail);
                ui.label(format!(
                    "{}{} {word}",
                    s.name,
                    if s.is_demo { " (demo data)" } else { "" }
                ));
                ui.separator();
            }
            let q = self.data.queue;
            ui.label(format!("{} queued · {} running", q.ready, q.checking));
            ui.separator();
            ui.label(match self.data.last_sync {
                Some(t) => format!("last answer {}", ago(t)),
                None => "no answer yet".to_string(),
            });
        });
    }
}

/// The screens' views. The shell walks them as egui_demo_app walks its
/// apps: one list, in the navigation's order, so adding a screen is one line
/// here and one in [`Screen::ALL`].
#[derive(Default)]
struct Screens {
    checks: screens::checks::ChecksScreen,
    new_check: screens::new_check::NewCheckScreen,
    review: screens::review::ReviewScreen,
    import: screens::import::ImportScreen,
    sources: screens::sources::SourcesScreen,
    senders: screens::senders::SendersScreen,
    settings: screens::settings::SettingsScreen,
}

impl Screens {
    fn views(&mut self) -> [(Screen, &mut dyn View); 7] {
        [
            (Screen::Checks, &mut self.checks),
            (Screen::NewCheck, &mut self.new_check),
            (Screen::Review, &mut self.review),
            (Screen::Import, &mut self.import),
            (Screen::Sources, &mut self.sources),
            (Screen::Senders, &mut self.senders),
            (Screen::Settings, &mut self.settings),
        ]
    }

    fn view(&mut self, screen: Screen) -> Option<&mut dyn View> {
        self.views().into_iter().find_map(|(s, v)| (s == screen).then_some(v))
    }
}

fn batch_summary(source: &str, completed: usize, failed: usize, requeued: usize) -> String {
    let mut parts = Vec::new();
    if completed > 0 {
        parts.push(format!("{completed} completed"));
    }
    if failed > 0 {
        parts.push(format!("{failed} failed"));
    }
    if requeued > 0 {
        parts.push(format!("{requeued} waiting for the registry"));
    }
    format!("{source}: {}", parts.join(", "))
}

/// "just now", "5 min ago", "3 h ago", or the date.
fn ago(t: chrono::DateTime<Utc>) -> String {
    let s = (Utc::now() - t).num_seconds().max(0);
    match s {
        0..=59 => "just now".to_string(),
        60..=3599 => format!("{} min ago", s / 60),
        3600..=86_399 => format!("{} h ago", s / 3600),
        _ => crate::clock::local(t).format("%Y-%m-%d %H:%M").to_string(),
    }
}

impl eframe::App for IbrDeskApp {
    fn logic(&mut self, _ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.apply_events();
    }

    fn ui(&mut self, ui: &mut Ui, _frame: &mut eframe::Frame) {
        // The harness may not call `logic`; events are applied here too (idempotent).
        self.apply_events();
        let ctx = ui.ctx().clone();
        let mut go = None;
        egui::Panel::top("navigation").show(ui, |ui| {
            ui.add_space(4.0);
            go = self.navigation(ui);
            ui.add_space(2.0);
        });
        egui::Panel::bottom("status").show(ui, |ui| self.status_bar(ui));
        let mut navigate: Option<Navigate> = None;
        egui::CentralPanel::default().show(ui, |ui| {
            let mut cx = ScreenCtx {
                data: &self.data,
                cmds: &self.cmds,
                navigate: &mut navigate,
                toasts: &mut self.toasts,
                prefs: &mut self.prefs,
            };
            if let Some(view) = self.screens.view(self.screen) {
                view.ui(ui, &mut cx);
            }
        });
        self.role_dialog(&ctx);
        self.toasts.show(&ctx);
        ctx.set_theme(self.prefs.theme.preference());
        match navigate {
            Some(Navigate::To(s)) => go = Some(s),
            Some(Navigate::ShowCheck(id)) => {
                self.screens.checks.select(id, &self.cmds);
                go = Some(Screen::Checks);
            }
            None => {}
        }
        if let Some(s) = go {
            self.show_screen(s);
        }
        if self.data.last_sync.is_some() {
            ctx.request_repaint_after(STATUS_REFRESH);
        }
        if let Some((launched, close)) = self.first_frame.take() {
            let ms = launched.elapsed().as_secs_f64() * 1000.0;
            tracing::info!("first frame {ms:.0} ms after launch");
            if close {
                println!("first frame after {ms:.1} ms");
                ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            }
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, PREFS_KEY, &self.prefs);
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        if let Some(engine) = self.engine.take() {
            engine.shutdown(Duration::from_secs(2));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_read_well() {
        assert_eq!(batch_summary("Demo", 3, 0, 0), "Demo: 3 completed");
        assert_eq!(
            batch_summary("Demo", 0, 1, 2),
            "Demo: 1 failed, 2 waiting for the registry"
        );
        assert_eq!(ago(Utc::now()), "just now");
    }
}
