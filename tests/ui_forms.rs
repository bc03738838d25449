//! The forms of the window as a person uses them: fields found by their
//! visible labels, typed into, buttons clicked, and the engine's answers
//! awaited — each screen alone, over a real engine, store and (in memory)
//! secret store, and, where a registry is needed, a sandbox on loopback.
//!
//! Waiting is bounded: a frame, then a short sleep, until what is expected
//! shows up or the time is over.

use std::sync::Arc;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use ibr_desk::domain::{NewDataSource, Role};
use ibr_desk::engine::command::SecretChange;
use ibr_desk::engine::event::ConfigSnapshot;
use ibr_desk::engine::{Command, Engine, EngineConfig, Event, Pending, Query};
use ibr_desk::sandbox::population::PopulationConfig;
use ibr_desk::sandbox::{self, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, SandboxConfig, SandboxHandle};
use ibr_desk::secrets::MemorySecretStore;
use ibr_desk::store::Store;
use ibr_desk::ui::Screen;
use ibr_desk::ui::screens::new_check::NewCheckScreen;
use ibr_desk::ui::screens::senders::SendersScreen;
use ibr_desk::ui::screens::settings::SettingsScreen;
use ibr_desk::ui::screens::sources::SourcesScreen;
use ibr_desk::ui::screens::{AnswerCtx, Navigate, ScreenCtx, View};
use ibr_desk::ui::state::{AppData, Commands, Prefs, ThemeChoice};

/// The longest any one wait may take (a slow CI machine with two cores).
const WAIT: Duration = Duration::from_secs(30);

/// One screen with what the window's shell gives it: the read model kept
/// up to date from engine events, the command sender, preferences, toasts.
struct Shell<S: View> {
    screen: S,
    data: AppData,
    cmds: Commands,
    events: Receiver<Event>,
    prefs: Prefs,
    toasts: egui_notify::Toasts,
    navigate: Option<Navigate>,
    /// Every event the screen was given, for assertions.
    seen: Vec<Event>,
    /// What the screen told the person (its toasts), for assertions.
    told: Vec<String>,
    /// The configuration, as the shell reads it for the screen it shows.
    config: Option<Pending<Box<ConfigSnapshot>>>,
    /// Hold events back (to act on a configuration the engine already changed).
    paused: bool,
    /// The engine's store, for a test to look at what was written.
    store: Arc<Store>,
    // Dropped in this order: the engine stops before its store's directory goes.
    _engine: Engine,
    _dir: tempfile::TempDir,
}

impl<S: View> Shell<S> {
    fn new(mut screen: S) -> Shell<S> {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(&dir.path().join("ibr-desk.sqlite3")).unwrap());
        let engine = Engine::start(
            store.clone(),
            Arc::new(MemorySecretStore::default()),
            EngineConfig {
                actor: "test officer".into(),
                request_timeout: Duration::from_secs(10),
                ..EngineConfig::default()
            },
        )
        .unwrap();
        let events = engine.subscribe(None);
        let cmds = engine.sender();
        let config = Some(cmds.query(|reply| Query::Config { reply }));
        let data = AppData::default();
        screen.on_show(&data, &cmds);
        Shell {
            screen,
            data,
            cmds,
            events,
            prefs: Prefs::default(),
            toasts: egui_notify::Toasts::default(),
            navigate: None,
            seen: Vec::new(),
            told: Vec::new(),
            config,
            paused: false,
            store,
            _engine: engine,
            _dir: dir,
        }
    }

    /// One frame, as the shell draws it: events first, then the screen.
    fn frame(&mut self, ui: &mut egui::Ui) {
        if !self.paused
            && let Some(answer) = self.config.as_mut().and_then(Pending::poll)
        {
            self.config = None;
            let event = Event::Config(answer.expect("the configuration"));
            self.data.apply(&event);
            self.screen.on_event(&event, &self.data, &self.cmds);
            self.seen.push(event);
        }
        while !self.paused
            && let Ok(event) = self.events.try_recv()
        {
            self.data.apply(&event);
            self.screen.on_event(&event, &self.data, &self.cmds);
            self.seen.push(event);
        }
        if !self.paused {
            let mut cx = AnswerCtx {
                data: &self.data,
                cmds: &self.cmds,
                toasts: &mut self.toasts,
                told: &mut self.told,
            };
            self.screen.poll(&mut cx);
        }
        let mut navigate = None;
        let mut cx = ScreenCtx {
            data: &self.data,
            cmds: &self.cmds,
            navigate: &mut navigate,
            toasts: &mut self.toasts,
            prefs: &mut self.prefs,
        };
        self.screen.ui(ui, &mut cx);
        if navigate.is_some() {
            self.navigate = navigate;
        }
    }
}

/// The screen in a window, once the configuration has loaded (the shell
/// asks for it; its answer is awaited, so that a late snapshot cannot undo
/// a change a test makes at once).
fn harness<S: View + 'static>(screen: S) -> Harness<'static, Shell<S>> {
    let mut h = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_ui_state(|ui, shell: &mut Shell<S>| shell.frame(ui), Shell::new(screen));
    wait_until(&mut h, "the configuration", |h| {
        h.state().seen.iter().filter(|e| matches!(e, Event::Config(_))).count() >= 1
    });
    h
}

/// Steps until `ready` holds, sleeping a little between frames.
#[track_caller]
fn wait_until<S: View>(h: &mut Harness<'_, Shell<S>>, what: &str, ready: impl Fn(&Harness<'_, Shell<S>>) -> bool) {
    let start = Instant::now();
    loop {
        h.step();
        if ready(h) {
            return;
        }
        if start.elapsed() > WAIT {
            let texts: Vec<String> = h
                .query_all(egui_kittest::kittest::By::new())
                .filter_map(|n| {
                    let n = n.accesskit_node();
                    n.label().or_else(|| n.value()).map(|t| t.to_string())
                })
                .collect();
            panic!("timed out waiting for {what}; the screen shows {texts:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[track_caller]
fn wait_for_label<S: View>(h: &mut Harness<'_, Shell<S>>, label: &str) {
    wait_until(h, label, |h| h.query_by_label(label).is_some());
}

#[track_caller]
fn wait_for_text<S: View>(h: &mut Harness<'_, Shell<S>>, text: &str) {
    wait_until(h, text, |h| h.query_by_label_contains(text).is_some());
}

/// Replaces the text of the field labelled `label`, as assistive technology does.
fn set_field<S: View>(h: &mut Harness<'_, Shell<S>>, label: &str, text: &str) {
    h.get_by_label(label).set_text_value_accesskit(text);
    h.run();
}

fn click<S: View>(h: &mut Harness<'_, Shell<S>>, label: &str) {
    h.get_by_label(label).click();
    h.run();
}

fn is_disabled<S: View>(h: &Harness<'_, Shell<S>>, label: &str) -> bool {
    h.get_by_label(label).accesskit_node().is_disabled()
}

/// The supervisor PIN the tests set.
const PIN: &str = "2468";

/// Sets the supervisor PIN (as Settings does) and waits until the engine has it.
fn set_supervisor_pin<S: View>(h: &mut Harness<'_, Shell<S>>) {
    let _ = h.state().cmds.request(|reply| Command::SetSupervisorPin {
        current: None,
        new: PIN.into(),
        reply,
    });
    wait_until(h, "the supervisor PIN", |h| {
        h.state().data.config.as_ref().is_some_and(|c| c.supervisor_pin_set)
    });
}

/// Changing data sources and senders needs the supervisor role: switches
/// to it as an officer does on these screens, with the PIN typed into the
/// switch beside the form.
fn switch_to_supervisor<S: View>(h: &mut Harness<'_, Shell<S>>) {
    set_supervisor_pin(h);
    wait_for_label(h, "Supervisor PIN");
    set_field(h, "Supervisor PIN", PIN);
    click(h, "Switch with this PIN");
    wait_until(h, "the supervisor role", |h| h.state().data.role == Role::Supervisor);
    h.run();
}

/// The supervisor role for a screen without the switch (the engine's command).
fn supervisor_by_command<S: View>(h: &mut Harness<'_, Shell<S>>) {
    set_supervisor_pin(h);
    let _ = h.state().cmds.request(|reply| Command::SwitchRole {
        role: Role::Supervisor,
        pin: Some(PIN.into()),
        reply,
    });
    wait_until(h, "the supervisor role", |h| h.state().data.role == Role::Supervisor);
}

/// A sandbox registry on its own runtime (the engine has its own).
struct Registry {
    runtime: tokio::runtime::Runtime,
    handle: Option<SandboxHandle>,
}

impl Registry {
    fn start(require_token: bool) -> Registry {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let handle = runtime
            .block_on(sandbox::start(SandboxConfig {
                population: PopulationConfig { size: 2_000, seed: 7 },
                require_token,
                ..SandboxConfig::default()
            }))
            .unwrap();
        Registry {
            runtime,
            handle: Some(handle),
        }
    }

    fn handle(&self) -> &SandboxHandle {
        self.handle.as_ref().unwrap()
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        if let Some(h) = self.handle.take() {
            self.runtime.block_on(h.shutdown());
        }
    }
}

#[test]
fn a_data_source_added_through_the_form_is_listed_and_answers_a_test() {
    let registry = Registry::start(true);
    let r = registry.handle();
    let mut h = harness(SourcesScreen::default());
    wait_for_text(&mut h, "No data source yet");
    switch_to_supervisor(&mut h);

    click(&mut h, "New data source");
    assert!(is_disabled(&h, "Save"), "nothing typed yet");
    h.get_by_label("Name").focus();
    h.run();
    h.get_by_label("Name").type_text("Test registry");
    set_field(&mut h, "Base URL", &r.base_url());
    set_field(&mut h, "OAuth token URL", &r.token_url());
    set_field(&mut h, "Client ID", DEMO_CLIENT_ID);
    set_field(&mut h, "Client secret", DEMO_CLIENT_SECRET);
    assert!(h.query_by_label("Kept in the OS keyring, never on disk.").is_some());
    // The sandbox's signing key is not trusted here (no sender configured).
    click(&mut h, "Allow unsigned replies");
    assert!(
        h.query_by_label_contains("Only for test servers: replies without a trusted signature")
            .is_some()
    );
    assert!(!is_disabled(&h, "Save"));
    click(&mut h, "Save");

    wait_for_label(&mut h, "Test registry");
    wait_for_text(&mut h, "Client secret: stored in the OS keyring.");
    assert!(h.query_by_label_contains("Accepts unsigned replies").is_some());
    assert!(h.query_by_label("Not asked yet").is_some());

    click(&mut h, "Test connection to Test registry");
    wait_for_text(&mut h, "The registry answered the test.");
    assert!(h.query_by_label_contains("Sign-in: token obtained").is_some());
    wait_for_label(&mut h, "Online");
    h.run();
}

#[test]
fn a_bad_base_url_is_explained_beside_the_field_and_blocks_saving() {
    let mut h = harness(SourcesScreen::default());
    wait_for_text(&mut h, "No data source yet");
    switch_to_supervisor(&mut h);
    click(&mut h, "New data source");
    set_field(&mut h, "Name", "National IBR");
    set_field(&mut h, "Base URL", "ibr.example.org");
    assert!(
        h.query_by_label_contains("The base URL must be a full web address, for example https://ibr.example.org")
            .is_some()
    );
    assert!(
        h.query_by_label("Technical detail").is_some(),
        "the parser's words one click away"
    );
    assert!(is_disabled(&h, "Save"));

    set_field(&mut h, "Base URL", "https://ibr.example.org");
    assert!(h.query_by_label_contains("must be a full web address").is_none());
    assert!(!is_disabled(&h, "Save"));
}

#[test]
fn removing_a_data_source_asks_first_and_esc_cancels() {
    let mut h = harness(SourcesScreen::default());
    switch_to_supervisor(&mut h);
    let _ = h.state().cmds.request(|reply| Command::SaveDataSource {
        id: None,
        source: NewDataSource::ibr("Old registry", "https://old.example.org"),
        secret: SecretChange::Keep,
        reply,
    });
    wait_for_label(&mut h, "Old registry");

    click(&mut h, "Remove Old registry");
    assert!(h.query_by_label("Remove “Old registry”?").is_some());
    h.key_press(egui::Key::Escape);
    h.run();
    assert!(
        h.query_by_label("Remove “Old registry”?").is_none(),
        "Esc closes the confirmation"
    );
    assert!(h.query_by_label("Old registry").is_some(), "and removes nothing");

    click(&mut h, "Remove Old registry");
    click(&mut h, "Remove");
    wait_for_text(&mut h, "No data source yet");
}

#[test]
fn editing_a_source_keeps_its_secret_unless_told_to_remove_it() {
    let mut h = harness(SourcesScreen::default());
    switch_to_supervisor(&mut h);
    let _ = h.state().cmds.request(|reply| Command::SaveDataSource {
        id: None,
        source: NewDataSource {
            auth_url: Some("https://ibr.example.org/oauth2/client/token".into()),
            client_id: Some("desk".into()),
            ..NewDataSource::ibr("National IBR", "https://ibr.example.org")
        },
        secret: SecretChange::Set("first secret".into()),
        reply,
    });
    wait_for_text(&mut h, "Client secret: stored in the OS keyring.");

    // An empty secret field keeps the stored secret.
    click(&mut h, "Edit National IBR");
    assert_eq!(
        h.get_by_label("Client secret").value().as_deref(),
        Some(""),
        "a stored secret is never shown"
    );
    assert!(
        h.query_by_label_contains("A secret is stored. Leave the field empty to keep it")
            .is_some()
    );
    set_field(&mut h, "Client ID", "desk-2");
    click(&mut h, "Save");
    wait_for_label(&mut h, "Edit National IBR");
    assert!(h.query_by_label("Client secret: stored in the OS keyring.").is_some());
    assert_eq!(h.state().data.sources()[0].source.client_id.as_deref(), Some("desk-2"));

    // "Remove the stored secret" removes it.
    click(&mut h, "Edit National IBR");
    click(&mut h, "Remove the stored secret");
    click(&mut h, "Save");
    wait_for_text(&mut h, "Client secret: missing.");
}

#[test]
fn removing_the_demo_registry_says_it_will_not_come_back() {
    let mut h = harness(SourcesScreen::default());
    switch_to_supervisor(&mut h);
    let _ = h.state().cmds.request(|reply| Command::EnsureDemoRegistry { reply });
    wait_for_label(&mut h, "(demo data — synthetic people)");
    click(&mut h, "Remove Demo registry (built in)");
    assert!(
        h.query_by_label_contains("Once removed, it will not come back")
            .is_some()
    );
    click(&mut h, "Cancel");
    assert!(h.query_by_label_contains("Once removed").is_none());
    assert!(h.query_by_label("(demo data — synthetic people)").is_some());
}

#[test]
fn a_sender_with_a_bad_sender_id_shows_why() {
    let mut h = harness(SendersScreen::default());
    wait_for_text(&mut h, "No trusted sender yet");
    switch_to_supervisor(&mut h);
    click(&mut h, "New sender");
    set_field(&mut h, "Name", "National IBR");
    set_field(&mut h, "Sender ID", "ibr national");
    assert!(
        h.query_by_label_contains(
            "The sender ID \"ibr national\" contains ' ': only letters, digits, dots and hyphens"
        )
        .is_some()
    );
    set_field(&mut h, "JWKS URL", "https://ibr.example.org/.well-known/jwks.json");
    assert!(is_disabled(&h, "Save"));
    assert!(
        is_disabled(&h, "Fetch public key"),
        "the key is chosen by the sender ID"
    );

    set_field(&mut h, "Sender ID", "ibr.national.gov");
    assert!(
        h.query_by_label_contains("only letters, digits, dots and hyphens are allowed")
            .is_none()
    );
    assert!(!is_disabled(&h, "Save"));
}

#[test]
fn fetch_public_key_fills_the_form_from_the_registry() {
    let registry = Registry::start(false);
    let r = registry.handle();
    let mut h = harness(SendersScreen::default());
    wait_for_text(&mut h, "No trusted sender yet");
    switch_to_supervisor(&mut h);
    click(&mut h, "New sender");
    set_field(&mut h, "Name", "Sandbox registry");
    set_field(&mut h, "Sender ID", r.sender_id());
    set_field(&mut h, "JWKS URL", &r.jwks_url());
    click(&mut h, "Fetch public key");

    wait_for_text(&mut h, "Fetched at");
    assert!(h.query_by_label_contains("1 key(s) of this sender").is_some());
    let pem = h.get_by_label("Public key (PEM)").value().unwrap_or_default();
    assert!(pem.contains("-----BEGIN PUBLIC KEY-----"), "{pem}");
    assert_eq!(h.get_by_label("Algorithm").value().as_deref(), Some("ed25519"));

    click(&mut h, "Save");
    wait_for_label(&mut h, "Sandbox registry");
    wait_for_text(&mut h, "1 key.");
    h.run();
}

#[test]
fn settings_save_the_officer_name_and_change_the_theme() {
    let mut h = harness(SettingsScreen::default());
    wait_until(&mut h, "the settings", |h| {
        h.query_by_label("Officer name").and_then(|n| n.value()).as_deref() == Some("test officer")
    });
    assert!(is_disabled(&h, "Save"), "nothing changed yet");
    set_field(&mut h, "Officer name", "Awa Ndiaye");
    set_field(&mut h, "Office sender ID", "office dakar");
    assert!(
        h.query_by_label_contains("only letters, digits, dots and hyphens")
            .is_some()
    );
    assert!(is_disabled(&h, "Save"));
    set_field(&mut h, "Office sender ID", "office.dakar.gov");
    click(&mut h, "Save");
    wait_until(&mut h, "the saved settings", |h| {
        h.state()
            .data
            .config
            .as_ref()
            .is_some_and(|c| c.officer_name == "Awa Ndiaye" && c.office_sender_id == "office.dakar.gov")
    });
    h.run();
    assert_eq!(h.get_by_label("Officer name").value().as_deref(), Some("Awa Ndiaye"));
    assert!(is_disabled(&h, "Save"), "saved: nothing left to save");

    assert!(h.query_by_label_contains("None — requests go out unsigned").is_some());
    click(&mut h, "Generate signing key");
    wait_for_label(&mut h, "Copy public JWKS");
    assert!(h.query_by_label_contains("office.dakar.gov|key-").is_some());

    click(&mut h, "Dark");
    assert_eq!(h.state().prefs.theme, ThemeChoice::Dark);
}

#[test]
fn without_a_data_source_new_check_leads_to_data_sources() {
    let mut h = harness(NewCheckScreen::default());
    wait_for_text(&mut h, "No registry is set up yet");
    click(&mut h, "Go to Data sources");
    assert_eq!(h.state().navigate, Some(Navigate::To(Screen::Sources)));
}

#[test]
fn enter_runs_a_check_and_shows_the_checks_screen() {
    let registry = Registry::start(false);
    let r = registry.handle();
    let mut h = harness(NewCheckScreen::default());
    supervisor_by_command(&mut h);
    let _ = h.state().cmds.request(|reply| Command::SaveDataSource {
        id: None,
        source: NewDataSource {
            allow_unsigned: true,
            ..NewDataSource::ibr("Sandbox registry", &r.base_url())
        },
        secret: SecretChange::Keep,
        reply,
    });
    wait_until(&mut h, "the data source in the picker", |h| {
        h.query_by_label("Data source").and_then(|n| n.value()).as_deref() == Some("Sandbox registry")
    });
    assert!(is_disabled(&h, "Run check"));
    assert!(h.query_by_label_contains("Type the applicant's UIN").is_some());

    set_field(&mut h, "Given name", "Amina");
    set_field(&mut h, "Birth date", "1984-13-01");
    assert!(
        h.query_by_label_contains("Write the birth date as year-month-day")
            .is_some()
    );
    set_field(&mut h, "Birth date", "1984-03-27");
    click(&mut h, "Add identifier");
    set_field(&mut h, "Identifier 1 number", "4567890123");
    set_field(&mut h, "Identifier 2 number", "4567890123");
    assert!(
        h.query_by_label_contains("already given as identifier 1").is_none(),
        "a UIN and a BRN differ"
    );
    click(&mut h, "Remove identifier 2");
    assert!(!is_disabled(&h, "Run check"));

    h.get_by_label("Identifier 1 number").focus();
    h.run();
    h.key_press(egui::Key::Enter);
    h.run();
    assert_eq!(h.state().navigate, Some(Navigate::To(Screen::Checks)));
    assert_eq!(
        h.get_by_label("Identifier 1 number").value().as_deref(),
        Some(""),
        "the form is cleared"
    );
    wait_until(&mut h, "the check to be queued", |h| {
        h.state().seen.iter().any(|e| matches!(e, Event::ChecksChanged(_)))
    });
}

#[test]
fn a_check_the_engine_refuses_gives_the_applicant_back() {
    let mut h = harness(NewCheckScreen::default());
    supervisor_by_command(&mut h);
    let _ = h.state().cmds.request(|reply| Command::SaveDataSource {
        id: None,
        source: NewDataSource::ibr("Closing registry", "https://closing.example.org"),
        secret: SecretChange::Keep,
        reply,
    });
    wait_until(&mut h, "the data source in the picker", |h| {
        h.query_by_label("Data source").and_then(|n| n.value()).as_deref() == Some("Closing registry")
    });
    set_field(&mut h, "Identifier 1 number", "4567890123");

    // The data source goes away before the check reaches the engine.
    let id = h.state().data.sources()[0].source.id;
    h.state_mut().paused = true;
    let _ = h.state().cmds.request(|reply| Command::DeleteDataSource { id, reply });
    wait_until(&mut h, "the data source to be removed", |h| {
        h.state().store.data_sources().unwrap().is_empty()
    });
    h.get_by_label("Identifier 1 number").focus();
    h.run();
    h.key_press(egui::Key::Enter);
    h.run();
    assert_eq!(h.state().navigate, Some(Navigate::To(Screen::Checks)));
    h.state_mut().paused = false;
    wait_for_text(
        &mut h,
        "The last check was not queued. The applicant's details are back in the form",
    );
    assert_eq!(
        h.get_by_label("Identifier 1 number").value().as_deref(),
        Some("4567890123")
    );
    wait_for_text(&mut h, "No registry is set up yet");
}

#[test]
fn an_officer_is_told_why_a_source_cannot_be_saved_and_switches_at_hand() {
    let mut h = harness(SourcesScreen::default());
    wait_for_text(&mut h, "No data source yet");
    set_supervisor_pin(&mut h);
    assert!(
        h.query_by_label_contains("Switch to supervisor to change data sources and trusted senders.")
            .is_some()
    );
    click(&mut h, "New data source");
    set_field(&mut h, "Name", "National IBR");
    set_field(&mut h, "Base URL", "https://ibr.example.org");
    assert!(
        h.query_by_label_contains("Saving would add the data source “National IBR”.")
            .is_some(),
        "what saving would change"
    );
    assert!(is_disabled(&h, "Save"));
    assert!(
        h.query_by_label("Only a supervisor can do this: switch with the PIN above.")
            .is_some(),
        "never a silently disabled button"
    );

    // The switch is right there: a wrong PIN is refused, the right one works.
    set_field(&mut h, "Supervisor PIN", "1111");
    click(&mut h, "Switch with this PIN");
    wait_for_text(&mut h, "The PIN is not right.");
    assert_eq!(h.state().data.role, Role::Officer);
    set_field(&mut h, "Supervisor PIN", PIN);
    click(&mut h, "Switch with this PIN");
    wait_until(&mut h, "the supervisor role", |h| {
        h.state().data.role == Role::Supervisor
    });
    h.run();
    assert!(h.query_by_label_contains("Switch to supervisor to change").is_none());
    assert_eq!(
        h.get_by_label("Name").value().as_deref(),
        Some("National IBR"),
        "nothing typed is lost"
    );
    assert!(!is_disabled(&h, "Save"));
    click(&mut h, "Save");
    wait_for_label(&mut h, "Edit National IBR");
}

#[test]
fn a_save_the_engine_refuses_says_why_in_the_form() {
    let mut h = harness(SourcesScreen::default());
    wait_for_text(&mut h, "No data source yet");
    switch_to_supervisor(&mut h);
    click(&mut h, "New data source");
    set_field(&mut h, "Name", "National IBR");
    set_field(&mut h, "Base URL", "https://ibr.example.org");

    // The engine goes back to officer (another part of the window asked)
    // before this window hears of it, and the save reaches it as an officer's.
    h.state_mut().paused = true;
    let _ = h.state().cmds.request(|reply| Command::SwitchRole {
        role: Role::Officer,
        pin: None,
        reply,
    });
    wait_until(&mut h, "the engine to act as an officer", |h| {
        h.state()
            .store
            .audit_page(0, 1)
            .unwrap()
            .first()
            .is_some_and(|a| a.action == "role_changed" && a.details.contains("Officer"))
    });
    click(&mut h, "Save");
    h.state_mut().paused = false;
    wait_for_text(&mut h, "Only a supervisor can change data sources and trusted senders.");
    assert!(h.state().store.data_sources().unwrap().is_empty(), "nothing was saved");
    assert!(
        h.query_by_label_contains("Switch to supervisor to change data sources and trusted senders.")
            .is_some()
    );
    assert_eq!(
        h.get_by_label("Name").value().as_deref(),
        Some("National IBR"),
        "the form is kept"
    );
}

#[test]
fn unencrypted_http_only_when_ticked_and_reply_limits_under_advanced() {
    let mut h = harness(SourcesScreen::default());
    wait_for_text(&mut h, "No data source yet");
    switch_to_supervisor(&mut h);
    click(&mut h, "New data source");
    set_field(&mut h, "Name", "Lab IBR");
    set_field(&mut h, "Base URL", "http://ibr.lab.example.org");
    assert!(
        h.query_by_label_contains("uses http:// to another computer").is_some(),
        "the domain's words beside the URL"
    );
    assert!(is_disabled(&h, "Save"));
    click(&mut h, "Allow unencrypted http:// (test lab only)");
    assert!(
        h.query_by_label_contains("Client secrets and applicants' data will travel unencrypted")
            .is_some()
    );
    assert!(h.query_by_label_contains("uses http:// to another computer").is_none());
    assert!(!is_disabled(&h, "Save"));

    click(&mut h, "Advanced");
    assert!(
        h.query_by_label_contains("Default 32 MiB").is_some(),
        "the defaults are shown"
    );
    assert_eq!(
        h.get_by_label("Most records fetched per check").value().as_deref(),
        Some("500")
    );
    set_field(&mut h, "Most records fetched per check", "0");
    assert!(
        h.query_by_label_contains("The records fetched per check must be between 1 and 100,000, not 0.")
            .is_some()
    );
    assert!(is_disabled(&h, "Save"));
    set_field(&mut h, "Most records fetched per check", "many");
    assert!(h.query_by_label_contains("as a whole number").is_some());
    set_field(&mut h, "Most records fetched per check", "40");
    set_field(&mut h, "Largest reply (MiB)", "2");
    set_field(&mut h, "Longest signature validity (minutes)", "10");
    assert!(!is_disabled(&h, "Save"));
    click(&mut h, "Save");

    wait_for_label(&mut h, "Edit Lab IBR");
    let s = &h.state().store.data_sources().unwrap()[0];
    assert!(s.insecure_http);
    assert_eq!(
        s.limits,
        ibr_desk::domain::ReplyLimits {
            max_reply_bytes: 2 * 1024 * 1024,
            max_records_per_check: 40,
            max_signature_lifetime_secs: 600,
        }
    );
    assert!(h.query_by_label("⚠ unencrypted").is_some(), "the list says so");
    assert!(
        h.query_by_label_contains("Trusted senders: none. Its replies cannot be verified")
            .is_some()
    );
}

#[test]
fn a_sender_is_trusted_for_the_data_sources_ticked() {
    let mut h = harness(SendersScreen::default());
    wait_for_text(&mut h, "No trusted sender yet");
    switch_to_supervisor(&mut h);
    // The demo registry is made only on a first run (no data source yet): first it, then the other.
    let _ = h.state().cmds.request(|reply| Command::EnsureDemoRegistry { reply });
    wait_until(&mut h, "the demo registry", |h| h.state().data.sources().len() == 1);
    let _ = h.state().cmds.request(|reply| Command::SaveDataSource {
        id: None,
        source: NewDataSource::ibr("National IBR", "https://ibr.example.org"),
        secret: SecretChange::Keep,
        reply,
    });
    wait_until(&mut h, "both data sources", |h| h.state().data.sources().len() == 2);
    wait_for_label(&mut h, "Demo registry (built in)");

    click(&mut h, "New sender");
    set_field(&mut h, "Name", "National registry");
    set_field(&mut h, "Sender ID", "ibr.national.gov");
    set_field(
        &mut h,
        "Public key (PEM)",
        include_str!("fixtures/vectors/sender_ed25519.pem"),
    );
    set_field(&mut h, "JWKS URL", "http://ibr.national.gov/.well-known/jwks.json");
    assert!(h.query_by_label_contains("uses http:// to another computer").is_some());
    click(&mut h, "Allow unencrypted http:// (test lab only)");
    assert!(h.query_by_label_contains("uses http:// to another computer").is_none());
    set_field(&mut h, "JWKS URL", "");

    // One box per data source, the demo marked; none ticked: trusted nowhere.
    assert!(h.query_by_label("Demo registry (built in) (demo data)").is_some());
    assert!(
        h.query_by_label_contains("Linked to no data source: this sender's signatures will not be trusted anywhere")
            .is_some()
    );
    click(&mut h, "National IBR");
    assert!(h.query_by_label_contains("Linked to no data source").is_none());
    assert!(!is_disabled(&h, "Save"));
    click(&mut h, "Save");

    wait_for_label(&mut h, "Edit National registry");
    let store = &h.state().store;
    let sender = store.sender_by_sender_id("ibr.national.gov").unwrap().unwrap();
    let national = store.data_source_by_name("National IBR").unwrap().unwrap();
    assert_eq!(store.sender_sources(sender.id).unwrap(), [national.id]);
    assert!(h.query_by_label("Trusted for: National IBR.").is_some());
    assert!(
        h.query_by_label("Trusted for: Demo registry (built in) (demo data).")
            .is_some(),
        "the demo's own sender, for the demo only"
    );

    // Unticked again: the engine saves it, and says it is trusted nowhere.
    click(&mut h, "Edit National registry");
    click(&mut h, "National IBR");
    click(&mut h, "Save");
    wait_for_text(&mut h, "Trusted for no data source");
    assert!(
        h.state()
            .told
            .iter()
            .any(|message| message.contains("its signatures are not trusted anywhere")),
        "the warning when saved"
    );
    assert!(store_links_of(&h, "ibr.national.gov").is_empty());
}

fn store_links_of<S: View>(h: &Harness<'_, Shell<S>>, sender_id: &str) -> Vec<i64> {
    let store = &h.state().store;
    let s = store.sender_by_sender_id(sender_id).unwrap().unwrap();
    store.sender_sources(s.id).unwrap()
}

#[test]
fn a_data_source_shows_the_senders_it_trusts() {
    let mut h = harness(SourcesScreen::default());
    switch_to_supervisor(&mut h);
    let _ = h.state().cmds.request(|reply| Command::EnsureDemoRegistry { reply });
    wait_for_label(&mut h, "(demo data — synthetic people)");
    wait_for_text(
        &mut h,
        "Trusted senders: Demo registry (built in) (sandbox.ibr-desk.local).",
    );
}
