//! Who the office trusts, and who may change it: a sender is trusted for
//! the data sources it is linked to and no other; the demo registry's key is
//! random, kept owner-only in the data directory and reused, never derived
//! from its public seed; removing the demo registry removes its sender; and
//! the engine refuses every change of trust unless it acts as a supervisor,
//! whoever sends the command. Against the sandbox over loopback.

mod common;

use std::sync::Arc;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use common::*;
use ibr_desk::dci::{PrivateKey, PublicKey};
use ibr_desk::domain::{Algorithm, CheckState, IdType, MatchResult, NewDataSource, NewIbrSender, Role};
use ibr_desk::engine::command::SecretChange;
use ibr_desk::engine::demo::{DEMO_KEY_FILE, DEMO_SOURCE_NAME};
use ibr_desk::engine::{Command, Engine, Event};
use ibr_desk::sandbox::{SANDBOX_SENDER_ID, SandboxConfig};
use ibr_desk::secrets::MemorySecretStore;
use ibr_desk::store::Store;

const PIN: &str = "2468";

fn sender(name: &str, sender_id: &str, key: &PublicKey) -> NewIbrSender {
    NewIbrSender {
        name: name.into(),
        sender_id: sender_id.into(),
        public_key_pem: Some(key.to_pem()),
        jwks_url: None,
        algorithm: Algorithm::Ed25519,
        active: true,
        insecure_http: false,
    }
}

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

/// Sets the supervisor PIN and switches the engine to the supervisor role.
fn become_supervisor(engine: &Engine, events: &Receiver<Event>) {
    let said = engine
        .request(|reply| Command::SetSupervisorPin {
            current: None,
            new: PIN.into(),
            reply,
        })
        .wait(Duration::from_secs(30));
    assert_eq!(said.as_deref(), Ok("Supervisor PIN saved."), "the PIN");
    let _ = engine.request(|reply| Command::SwitchRole {
        role: Role::Supervisor,
        pin: Some(PIN.into()),
        reply,
    });
    wait_for(events, "the supervisor role", |e| {
        matches!(e, Event::RoleChanged { role: Role::Supervisor }).then_some(())
    });
}

#[test]
fn a_reply_signed_by_a_sender_not_linked_to_its_source_is_refused() {
    let rt = SandboxRuntime::new();
    let h = rt.start(SandboxConfig {
        require_token: false,
        ..SandboxConfig::default()
    });
    let office = Office::new();
    // Two data sources, two senders: the sandbox's sender is trusted for A
    // only; B trusts another registry's sender.
    let a = office
        .store
        .insert_data_source(&NewDataSource::ibr("Registry A", &h.base_url()))
        .unwrap();
    let b = office
        .store
        .insert_data_source(&NewDataSource::ibr("Registry B", &h.base_url()))
        .unwrap();
    office.trust_sandbox(&h, a.id);
    let other = PrivateKey::generate_ed25519().unwrap().public_key();
    office
        .store
        .insert_sender(&sender("Registry B", "ibr.b.example.org", &other), &[b.id], "test")
        .unwrap();
    office
        .engine()
        .request(|reply| Command::ReloadConfig { reply })
        .wait(std::time::Duration::from_secs(30))
        .ok();

    let uin = h.population().samples().active_single[0].value.clone();
    let p = h
        .population()
        .get(h.population().find_by_identifier(&IdType::Uin, &uin)[0])
        .unwrap()
        .clone();
    let person = applicant(&p.given_name, &p.surname, Some(p.birth_date), &[(IdType::Uin, &uin)]);

    let via_a = office.wait_final(office.submit(a.id, person.clone()));
    assert_eq!(via_a.state, CheckState::Completed, "{via_a:#?}");
    assert_eq!(via_a.result, Some(MatchResult::ConfirmedMatch));

    // The same registry's signed reply, asked through B: its sender is not
    // trusted for B, so the reply is not signed by a trusted sender.
    let via_b = office.wait_final(office.submit(b.id, person));
    assert_eq!(via_b.state, CheckState::Failed, "{via_b:#?}");
    assert_eq!(via_b.result, None);
    assert_eq!(via_b.error_kind.as_deref(), Some("signature"));
    let why = via_b.error_message.unwrap_or_default();
    assert!(
        why.contains(&format!("no trusted key for sender {:?}", h.sender_id())),
        "{why}"
    );
    rt.stop(h);
}

#[test]
fn two_sandboxes_with_the_same_seed_have_different_keys() {
    let rt = SandboxRuntime::new();
    let one = rt.start(SandboxConfig::default());
    let two = rt.start(SandboxConfig::default());
    assert_eq!(one.population().seed(), two.population().seed());
    let key = |h: &ibr_desk::sandbox::SandboxHandle| PublicKey::from_jwk(&h.jwks().keys[0]).unwrap().to_pem();
    assert_ne!(key(&one), key(&two), "the key is not derived from the public seed");

    // Given the same key, a restarted sandbox keeps its identity.
    let kept = PrivateKey::generate_ed25519().unwrap();
    let three = rt.start(SandboxConfig {
        signing_key: Some(kept.clone()),
        ..SandboxConfig::default()
    });
    let four = rt.start(SandboxConfig {
        signing_key: Some(kept.clone()),
        ..SandboxConfig::default()
    });
    assert_eq!(key(&three), key(&four));
    assert_eq!(key(&three), kept.public_key().to_pem());
    for h in [one, two, three, four] {
        rt.stop(h);
    }
}

/// An office over a data directory that outlives its engine (a restart).
struct Restartable {
    store: Arc<Store>,
    engine: Option<Engine>,
    events: Receiver<Event>,
}

impl Restartable {
    fn open(dir: &std::path::Path) -> Restartable {
        let store = Arc::new(Store::open(&dir.join("ibr-desk.sqlite3")).unwrap());
        let engine = Engine::start(
            store.clone(),
            Arc::new(MemorySecretStore::default()),
            fast_engine_config(),
        )
        .unwrap();
        let events = engine.subscribe(None);
        Restartable {
            store,
            engine: Some(engine),
            events,
        }
    }

    fn engine(&self) -> &Engine {
        self.engine.as_ref().unwrap()
    }

    /// Starts the demo registry (as the window does at start) and returns its data source.
    fn demo(&self) -> i64 {
        self.engine()
            .request(|reply| Command::EnsureDemoRegistry { reply })
            .wait(Duration::from_secs(30))
            .expect("the demo registry starts")
            .expect("the demo registry runs")
    }

    /// A check of someone the demo registry does not know: completed, and
    /// so signed with the key its sender trusts.
    fn check_demo(&self, source_id: i64) {
        let id = self
            .engine()
            .request(|reply| Command::SubmitCheck {
                registrant: ibr_desk::engine::CheckSubject::New(applicant(
                    "Adaeze",
                    "Okonkwo",
                    None,
                    &[(IdType::Uin, "0000000001")],
                )),
                data_source_id: source_id,
                reason: ibr_desk::domain::SearchReason::Application,
                reply,
            })
            .wait(Duration::from_secs(30))
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let c = self.store.check(id).unwrap().unwrap();
            if matches!(c.state, CheckState::Completed | CheckState::Failed) {
                assert_eq!(c.state, CheckState::Completed, "{c:#?}");
                assert!(c.signature_note.as_deref().unwrap_or("").contains("verified"), "{c:#?}");
                return;
            }
            assert!(Instant::now() < deadline, "the demo check did not finish: {c:#?}");
            let _ = self.events.recv_timeout(Duration::from_millis(200));
        }
    }

    fn demo_sender_keys(&self) -> Vec<String> {
        let s = self
            .store
            .sender_by_sender_id(SANDBOX_SENDER_ID)
            .unwrap()
            .expect("demo sender");
        self.store
            .sender_keys(s.id)
            .unwrap()
            .into_iter()
            .map(|k| k.public_key_pem)
            .collect()
    }
}

impl Drop for Restartable {
    fn drop(&mut self) {
        if let Some(e) = self.engine.take() {
            e.shutdown(Duration::from_secs(2));
        }
    }
}

fn file_key(path: &std::path::Path) -> String {
    PrivateKey::from_pem(&std::fs::read_to_string(path).unwrap())
        .unwrap()
        .public_key()
        .to_pem()
}

#[test]
fn the_demo_key_is_made_once_kept_owner_only_and_reused() {
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join(DEMO_KEY_FILE);
    let first = Restartable::open(dir.path());
    // The first run's setup is the system's: no supervisor needed.
    let source = first.demo();
    assert!(key_file.exists(), "the key is kept in the data directory");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "readable by its owner only");
    }
    let key = file_key(&key_file);
    assert_eq!(first.demo_sender_keys(), [key.trim()]);
    assert_eq!(
        first
            .store
            .sender_sources(first.store.sender_by_sender_id(SANDBOX_SENDER_ID).unwrap().unwrap().id)
            .unwrap(),
        [source],
        "the demo's sender is trusted for the demo only"
    );
    first.check_demo(source);
    let text = std::fs::read_to_string(&key_file).unwrap();
    drop(first);

    let again = Restartable::open(dir.path());
    assert_eq!(again.demo(), source);
    assert_eq!(
        std::fs::read_to_string(&key_file).unwrap(),
        text,
        "the same key after a restart"
    );
    assert_eq!(again.demo_sender_keys(), [key.trim()]);
    again.check_demo(source);
}

/// The key an older IBR Desk gave the demo registry: derived from seed 42,
/// which anyone can read.
fn derivable_key() -> PrivateKey {
    use sha2::Digest as _;
    let mut h = sha2::Sha256::new();
    h.update(b"ibr-desk sandbox signing key v1");
    h.update(42u64.to_le_bytes());
    PrivateKey::ed25519_from_bytes(h.finalize().into())
}

#[test]
fn on_upgrade_the_demo_senders_derivable_keys_are_replaced() {
    let dir = tempfile::tempdir().unwrap();
    {
        // As an older version left it: the demo source and its sender, with
        // the seed-derived key (fetched from its JWKS) and a JWKS URL.
        let store = Store::open(&dir.path().join("ibr-desk.sqlite3")).unwrap();
        let demo = store
            .insert_data_source(&NewDataSource {
                is_demo: true,
                ..NewDataSource::ibr(DEMO_SOURCE_NAME, "http://127.0.0.1:9")
            })
            .unwrap();
        let s = store
            .insert_sender(
                &NewIbrSender {
                    public_key_pem: None,
                    jwks_url: Some("http://127.0.0.1:9/.well-known/jwks.json".into()),
                    ..sender(
                        "Demo registry (built in)",
                        SANDBOX_SENDER_ID,
                        &derivable_key().public_key(),
                    )
                },
                &[demo.id],
                "system",
            )
            .unwrap();
        store
            .add_sender_key(
                s.id,
                Some("sandbox.ibr-desk.local|sandbox-key-1|ed25519"),
                Algorithm::Ed25519,
                &derivable_key().public_key().to_pem(),
                ibr_desk::domain::KeyOrigin::Jwks,
                chrono::Utc::now(),
                "system",
            )
            .unwrap();
    }
    let office = Restartable::open(dir.path());
    let source = office.demo();
    let new_key = file_key(&dir.path().join(DEMO_KEY_FILE));
    let old_key = derivable_key().public_key().to_pem();
    assert_ne!(new_key, old_key);
    assert_eq!(
        office.demo_sender_keys(),
        [new_key.trim()],
        "only the new key is trusted"
    );
    let s = office.store.sender_by_sender_id(SANDBOX_SENDER_ID).unwrap().unwrap();
    assert_eq!(s.jwks_url, None);
    let audit = office.store.audit_page(0, 20).unwrap();
    assert!(
        audit
            .iter()
            .any(|a| a.action == "sender_keys_replaced" && a.actor == "system"),
        "{audit:#?}"
    );
    office.check_demo(source);
}

#[test]
fn removing_the_demo_registry_removes_its_sender_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let office = Restartable::open(dir.path());
    let source = office.demo();
    let key_file = dir.path().join(DEMO_KEY_FILE);
    assert!(key_file.exists());
    become_supervisor(office.engine(), &office.events);
    let notice = office
        .engine()
        .request(|reply| Command::DeleteDataSource { id: source, reply })
        .wait(Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("{}", e.two_lines()));
    assert!(notice.starts_with("Removed"), "{notice}");
    assert!(notice.contains("and its trusted sender"), "{notice}");
    assert_eq!(office.store.sender_by_sender_id(SANDBOX_SENDER_ID).unwrap(), None);
    assert!(office.store.trusted_keys().unwrap().is_empty(), "its keys went with it");
    assert!(!key_file.exists(), "nothing may sign as the removed demo registry");
    let line = office
        .store
        .audit_page(0, 20)
        .unwrap()
        .into_iter()
        .find(|a| a.action == "source_removed")
        .expect("the removal's audit line");
    assert!(line.details.contains(SANDBOX_SENDER_ID), "{}", line.details);
    drop(office);

    // It does not come back at the next start.
    let again = Restartable::open(dir.path());
    again
        .engine()
        .query(|reply| ibr_desk::engine::Query::Config { reply })
        .wait(Duration::from_secs(30))
        .expect("the configuration");
    assert!(again.store.data_sources().unwrap().is_empty());
}

#[test]
fn the_engine_refuses_an_officers_change_of_trust_whoever_sends_it() {
    let rt = SandboxRuntime::new();
    let h = rt.start(SandboxConfig::default());
    let office = Office::new();
    let source = office.add_sandbox(&h, false);
    let trusted = office.store.sender_by_sender_id(h.sender_id()).unwrap().unwrap();
    let refused = |make: &dyn Fn(ibr_desk::engine::Responder<String>) -> Command| match office
        .engine()
        .request(make)
        .wait(Duration::from_secs(30))
    {
        Err(e) => e.message,
        Ok(said) => panic!("an officer's change was made: {said}"),
    };
    let expected = "Only a supervisor can change data sources and trusted senders.";
    assert_eq!(
        refused(&|reply| Command::SaveDataSource {
            id: None,
            source: NewDataSource {
                allow_unsigned: true,
                ..NewDataSource::ibr("Officer's registry", "https://ibr.example.org")
            },
            secret: SecretChange::Keep,
            reply,
        }),
        expected
    );
    assert_eq!(
        refused(&|reply| Command::SaveDataSource {
            id: Some(source.id),
            source: NewDataSource {
                allow_unsigned: true,
                ..NewDataSource::ibr(&source.name, &source.base_url)
            },
            secret: SecretChange::Keep,
            reply,
        }),
        expected
    );
    assert_eq!(
        refused(&|reply| Command::DeleteDataSource { id: source.id, reply }),
        expected
    );
    let key = PrivateKey::generate_ed25519().unwrap().public_key();
    assert_eq!(
        refused(&|reply| Command::SaveSender {
            id: None,
            sender: sender("Officer's sender", "ibr.officer.example.org", &key),
            sources: vec![source.id],
            reply,
        }),
        expected
    );
    assert_eq!(
        refused(&|reply| Command::DeleteSender { id: trusted.id, reply }),
        expected
    );

    // Fetching keys, from the window's form and for a stored sender.
    let fetched = office
        .engine()
        .request(|reply| Command::FetchJwks {
            url: h.jwks_url(),
            sender_id: h.sender_id().into(),
            insecure_http: false,
            reply,
        })
        .wait(Duration::from_secs(30));
    assert!(fetched.unwrap_err().detail.contains("only a supervisor"));
    let fetched = office
        .engine()
        .request(|reply| Command::FetchSenderKeys {
            sender_row_id: trusted.id,
            reply,
        })
        .wait(Duration::from_secs(30));
    assert!(fetched.unwrap_err().detail.contains("only a supervisor"));

    // Nothing changed.
    let sources = office.store.data_sources().unwrap();
    assert_eq!(sources.len(), 1);
    assert!(!sources[0].allow_unsigned);
    assert_eq!(office.store.senders().unwrap().len(), 1);

    // A supervisor may.
    become_supervisor(office.engine(), &office.events);
    let said = office
        .engine()
        .request(|reply| Command::SaveSender {
            id: None,
            sender: sender("Supervisor's sender", "ibr.supervisor.example.org", &key),
            sources: vec![source.id],
            reply,
        })
        .wait(Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("{}", e.two_lines()));
    assert!(said.starts_with("Saved trusted sender"), "the saved sender: {said}");
    let saved = office
        .store
        .sender_by_sender_id("ibr.supervisor.example.org")
        .unwrap()
        .expect("saved");
    assert_eq!(office.store.sender_sources(saved.id).unwrap(), [source.id]);
    let line = &office.store.audit_page(0, 1).unwrap()[0];
    assert_eq!(
        (line.action.as_str(), line.actor.as_str()),
        ("sender_added", "test officer")
    );
    rt.stop(h);
}

#[test]
fn a_sender_saved_with_no_data_source_is_said_to_be_trusted_nowhere() {
    let office = Office::new();
    become_supervisor(office.engine(), &office.events);
    let key = PrivateKey::generate_ed25519().unwrap().public_key();
    let notice = office
        .engine()
        .request(|reply| Command::SaveSender {
            id: None,
            sender: sender("Lonely registry", "ibr.lonely.example.org", &key),
            sources: vec![],
            reply,
        })
        .wait(Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("{}", e.two_lines()));
    assert!(notice.starts_with("Saved trusted sender"), "{notice}");
    assert!(notice.contains("its signatures are not trusted anywhere"), "{notice}");
}
