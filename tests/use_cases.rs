//! One use case, one store method: the window (through the engine) and the
//! command line write the same change with the same audit line — the same
//! action, the same details, only the actor differs (the officer; the OS
//! user "(command line)") — and a change whose keyring step fails leaves
//! neither the change nor its audit line.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use common::cli::{run, text};
use ibr_desk::domain::{EngineError, NewDataSource, Role};
use ibr_desk::engine::command::SecretChange;
use ibr_desk::engine::{Command, Engine, EngineConfig, Event};
use ibr_desk::secrets::{MemorySecretStore, SecretError, SecretStore};
use ibr_desk::store::{DATABASE_FILE, Store};

const PIN: &str = "2468";

/// Waits (bounded) for the first event `pick` accepts.
fn wait_for<T>(events: &Receiver<Event>, what: &str, mut pick: impl FnMut(&Event) -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "waited 30 s for {what}");
        if let Ok(e) = events.recv_timeout(left)
            && let Some(t) = pick(&e)
        {
            return t;
        }
    }
}

/// What a change's answer said, which must start with `starts_with`.
fn said(answer: Result<String, EngineError>, starts_with: &str) -> String {
    let message = answer.unwrap_or_else(|e| panic!("{}", e.two_lines()));
    assert!(message.starts_with(starts_with), "{message}");
    message
}

fn become_supervisor(engine: &Engine, events: &Receiver<Event>) {
    let answer = engine
        .request(|reply| Command::SetSupervisorPin {
            current: None,
            new: PIN.into(),
            reply,
        })
        .wait(Duration::from_secs(30));
    said(answer, "Supervisor PIN saved.");
    let answer = engine
        .request(|reply| Command::SwitchRole {
            role: Role::Supervisor,
            pin: Some(PIN.into()),
            reply,
        })
        .wait(Duration::from_secs(30));
    assert!(answer.is_ok(), "{answer:?}");
    wait_for(events, "the supervisor role", |e| {
        matches!(e, Event::RoleChanged { role: Role::Supervisor }).then_some(())
    });
}

/// `(actor, action, details)` of every line whose action is one of `actions`, oldest first.
fn lines(store: &Store, actions: &[&str]) -> Vec<(String, String, String)> {
    let mut page = store.audit_page(0, 1000).unwrap();
    page.reverse();
    page.into_iter()
        .filter(|e| actions.contains(&e.action.as_str()))
        .map(|e| (e.actor, e.action, e.details))
        .collect()
}

/// The same without the actor.
fn what(lines: &[(String, String, String)]) -> Vec<(String, String)> {
    lines.iter().map(|(_, a, d)| (a.clone(), d.clone())).collect()
}

fn cli(dir: &Path, args: &[&str]) {
    let o = run(dir, args);
    assert!(o.status.success(), "{args:?}: {}", text(&o));
}

fn cli_store(dir: &Path) -> Store {
    Store::open(&dir.join(DATABASE_FILE)).unwrap()
}

/// An engine over a store in a temporary folder with the given secret store.
fn engine_with(secrets: Arc<dyn SecretStore>) -> (tempfile::TempDir, Arc<Store>, Engine, Receiver<Event>) {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(&dir.path().join(DATABASE_FILE)).unwrap());
    let engine = Engine::start(
        store.clone(),
        secrets,
        EngineConfig {
            actor: "test officer".into(),
            ..common::fast_engine_config()
        },
    )
    .unwrap();
    let events = engine.subscribe(None);
    (dir, store, engine, events)
}

#[test]
fn adding_and_removing_a_source_writes_the_same_lines_from_the_window_and_the_command_line() {
    let (_dir, store, engine, events) = engine_with(Arc::new(MemorySecretStore::default()));
    become_supervisor(&engine, &events);
    let answer = engine
        .request(|reply| Command::SaveDataSource {
            id: None,
            source: NewDataSource {
                auth_url: Some("https://lab.example.org/oauth2/client/token".into()),
                client_id: Some("office-7".into()),
                ..NewDataSource::ibr("Lab IBR", "https://lab.example.org")
            },
            secret: SecretChange::Set("s3cret-value".into()),
            reply,
        })
        .wait(Duration::from_secs(30));
    said(answer, "Saved data source");
    let id = store.data_source_by_name("Lab IBR").unwrap().expect("saved").id;
    let answer = engine
        .request(|reply| Command::DeleteDataSource { id, reply })
        .wait(Duration::from_secs(30));
    said(answer, "Removed");
    let window = lines(&store, &["source_added", "source_changed", "source_removed"]);

    let cli_dir = tempfile::tempdir().unwrap();
    let d = cli_dir.path();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_ibr-desk"))
        .arg("--data-dir")
        .arg(d)
        .args([
            "source",
            "add",
            "--name",
            "Lab IBR",
            "--base-url",
            "https://lab.example.org/",
            "--auth-url",
            "https://lab.example.org/oauth2/client/token",
            "--client-id",
            "office-7",
            "--client-secret-stdin",
        ])
        .env("IBR_DESK_SECRET_STORE", "memory")
        .env("USER", "olga")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write as _;
            child.stdin.take().expect("stdin").write_all(b"s3cret-value\n")?;
            child.wait_with_output()
        })
        .expect("the binary runs");
    assert!(o.status.success(), "{}", text(&o));
    cli(d, &["source", "remove", "Lab IBR"]);
    let command_line = lines(&cli_store(d), &["source_added", "source_changed", "source_removed"]);

    assert_eq!(what(&window), what(&command_line));
    assert_eq!(
        window.iter().map(|l| l.1.as_str()).collect::<Vec<_>>(),
        ["source_added", "source_removed"]
    );
    assert!(window.iter().all(|l| l.0 == "test officer"), "{window:?}");
    assert_eq!(command_line[0].0, "olga (command line)");
    assert!(
        command_line.iter().all(|l| l.0.ends_with("(command line)")),
        "{command_line:?}"
    );
    for (_, _, details) in window.iter().chain(&command_line) {
        assert!(
            !details.contains("s3cret-value"),
            "a secret in the audit log: {details}"
        );
    }
}

#[test]
fn the_office_sender_id_writes_the_same_line_from_the_window_and_the_command_line() {
    let (_dir, store, engine, _events) = engine_with(Arc::new(MemorySecretStore::default()));
    let answer = engine
        .request(|reply| Command::SaveSettings {
            officer_name: "Awa".into(),
            office_sender_id: "office.north".into(),
            reply,
        })
        .wait(Duration::from_secs(30));
    said(answer, "Settings saved.");
    let window = lines(&store, &["settings_changed"]);

    let cli_dir = tempfile::tempdir().unwrap();
    cli(cli_dir.path(), &["office", "set-sender-id", "office.north"]);
    let command_line = lines(&cli_store(cli_dir.path()), &["settings_changed"]);
    assert_eq!(what(&window), what(&command_line));
    assert_eq!(what(&window).len(), 1);
    assert_eq!(window[0].0, "Awa");
    assert!(command_line[0].0.ends_with("(command line)"), "{command_line:?}");
    assert_eq!(
        cli_store(cli_dir.path())
            .setting(ibr_desk::store::SETTING_OFFICE_SENDER_ID)
            .unwrap()
            .as_deref(),
        Some("office.north")
    );

    // A refused sender ID writes neither the setting nor a line.
    let o = run(cli_dir.path(), &["office", "set-sender-id", "office north"]);
    assert!(!o.status.success(), "{}", text(&o));
    assert_eq!(lines(&cli_store(cli_dir.path()), &["settings_changed"]).len(), 1);
}

/// A keyring that holds nothing and refuses to store anything.
struct RefusingKeyring;

impl SecretStore for RefusingKeyring {
    fn get(&self, _key: &str) -> Result<Option<ibr_desk::secrets::SecretString>, SecretError> {
        Ok(None)
    }
    fn set(&self, _key: &str, _secret: &str) -> Result<(), SecretError> {
        Err(SecretError::Locked)
    }
    fn delete(&self, _key: &str) -> Result<(), SecretError> {
        Ok(())
    }
    fn describe(&self) -> String {
        "a keyring that refuses".into()
    }
}

#[test]
fn a_new_source_whose_secret_the_keyring_refuses_leaves_no_source_and_no_line() {
    let (_dir, store, engine, events) = engine_with(Arc::new(RefusingKeyring));
    become_supervisor(&engine, &events);
    let answer = engine
        .request(|reply| Command::SaveDataSource {
            id: None,
            source: NewDataSource {
                auth_url: Some("https://lab.example.org/oauth2/client/token".into()),
                client_id: Some("office-7".into()),
                ..NewDataSource::ibr("Lab IBR", "https://lab.example.org")
            },
            secret: SecretChange::Set("s3cret-value".into()),
            reply,
        })
        .wait(Duration::from_secs(30));
    let EngineError { message, detail, .. } = answer.expect_err("the keyring refuses");
    assert_eq!(message, "The data source was not saved.");
    assert!(detail.contains("nothing was written"), "{detail}");
    assert_eq!(store.data_sources().unwrap().len(), 0);
    assert!(lines(&store, &["source_added", "source_removed"]).is_empty());
}

#[test]
fn a_wrong_pin_switches_no_role_and_leaves_only_its_refusal() {
    let (_dir, store, engine, events) = engine_with(Arc::new(MemorySecretStore::default()));
    let answer = engine
        .request(|reply| Command::SetSupervisorPin {
            current: None,
            new: PIN.into(),
            reply,
        })
        .wait(Duration::from_secs(30));
    said(answer, "Supervisor PIN saved.");
    let answer = engine
        .request(|reply| Command::SwitchRole {
            role: Role::Supervisor,
            pin: Some("1357".into()),
            reply,
        })
        .wait(Duration::from_secs(30));
    answer.expect_err("the role changed");
    assert_eq!(
        what(&lines(
            &store,
            &["supervisor_pin_set", "supervisor_pin_refused", "role_changed"]
        )),
        [
            ("supervisor_pin_set".to_string(), "{}".to_string()),
            ("supervisor_pin_refused".to_string(), "{}".to_string())
        ]
    );
    let answer = engine
        .request(|reply| Command::SwitchRole {
            role: Role::Supervisor,
            pin: Some(PIN.into()),
            reply,
        })
        .wait(Duration::from_secs(30));
    assert!(answer.is_ok(), "{answer:?}");
    wait_for(&events, "the supervisor role", |e| {
        matches!(e, Event::RoleChanged { role: Role::Supervisor }).then_some(())
    });
    let last = lines(&store, &["role_changed"]);
    assert_eq!(
        what(&last),
        [("role_changed".to_string(), r#"{"role":"Supervisor"}"#.to_string())]
    );
}

#[test]
fn a_role_switch_whose_audit_line_cannot_be_written_does_not_take_effect() {
    let (dir, store, engine, _events) = engine_with(Arc::new(MemorySecretStore::default()));
    let answer = engine
        .request(|reply| Command::SetSupervisorPin {
            current: None,
            new: PIN.into(),
            reply,
        })
        .wait(Duration::from_secs(30));
    said(answer, "Supervisor PIN saved.");
    // Another program holds the write lock: the audit line cannot be written.
    let other = rusqlite::Connection::open(dir.path().join(DATABASE_FILE)).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let answer = engine
        .request(|reply| Command::SwitchRole {
            role: Role::Supervisor,
            pin: Some(PIN.into()),
            reply,
        })
        .wait(Duration::from_secs(30));
    let refusal = answer.expect_err("the role changed without its audit line").to_string();
    assert!(refusal.contains("database is busy"), "{refusal}");
    other.execute_batch("ROLLBACK").unwrap();
    // Still an officer: a change of trust is refused.
    let answer = engine
        .request(|reply| Command::SaveDataSource {
            id: None,
            source: NewDataSource::ibr("Lab IBR", "https://lab.example.org"),
            secret: SecretChange::Keep,
            reply,
        })
        .wait(Duration::from_secs(30));
    let message = answer.expect_err("an officer's change was made").message;
    assert_eq!(
        message,
        "Only a supervisor can change data sources and trusted senders."
    );
    assert!(lines(&store, &["role_changed"]).is_empty());
    assert!(store.data_sources().unwrap().is_empty());
}

#[test]
fn adding_and_removing_a_sender_writes_the_same_lines_from_the_window_and_the_command_line() {
    use ibr_desk::domain::{Algorithm, NewIbrSender};
    let key = ibr_desk::dci::PrivateKey::generate_ed25519().unwrap().public_key();
    let pem = key.to_pem();

    let (_dir, store, engine, events) = engine_with(Arc::new(MemorySecretStore::default()));
    let source = store
        .insert_data_source(&NewDataSource::ibr("Lab IBR", "https://lab.example.org"))
        .unwrap();
    become_supervisor(&engine, &events);
    let answer = engine
        .request(|reply| Command::SaveSender {
            id: None,
            sender: NewIbrSender {
                name: "Lab registry".into(),
                sender_id: "ibr.lab.example.org".into(),
                public_key_pem: Some(pem.clone()),
                jwks_url: None,
                algorithm: Algorithm::Ed25519,
                active: true,
                insecure_http: false,
            },
            sources: vec![source.id],
            reply,
        })
        .wait(Duration::from_secs(30));
    said(answer, "Saved trusted sender");
    let id = store.sender_by_name("Lab registry").unwrap().expect("saved").id;
    let answer = engine
        .request(|reply| Command::DeleteSender { id, reply })
        .wait(Duration::from_secs(30));
    said(answer, "Removed trusted sender");
    let actions = ["sender_added", "sender_changed", "sender_removed", "sender_key_added"];
    let window = lines(&store, &actions);

    let cli_dir = tempfile::tempdir().unwrap();
    let d = cli_dir.path();
    let key_file = d.join("lab.pem");
    std::fs::write(&key_file, &pem).unwrap();
    cli(
        d,
        &[
            "source",
            "add",
            "--name",
            "Lab IBR",
            "--base-url",
            "https://lab.example.org",
        ],
    );
    cli(
        d,
        &[
            "sender",
            "add",
            "--name",
            "Lab registry",
            "--sender-id",
            "ibr.lab.example.org",
            "--public-key-file",
            key_file.to_str().unwrap(),
            "--source",
            "Lab IBR",
        ],
    );
    cli(d, &["sender", "remove", "Lab registry"]);
    let command_line = lines(&cli_store(d), &actions);

    assert_eq!(what(&window), what(&command_line));
    assert_eq!(
        window.iter().map(|l| l.1.as_str()).collect::<Vec<_>>(),
        ["sender_added", "sender_removed"]
    );
    assert!(window[0].2.contains(r#""data_sources":["Lab IBR"]"#), "{window:?}");
}
