//! Shared helpers of the integration tests: a sandbox on a free loopback
//! port and a client configured for it.
#![allow(dead_code)] // each test binary uses a different part

pub mod cli;
pub mod hostile;
pub mod paced;
#[cfg(unix)]
pub mod read_only;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use ibr_desk::dci::client::{ClientConfig, OAuthConfig, ReplyTrust, Secret};
use ibr_desk::dci::envelope::timestamp;
use ibr_desk::dci::search::{DEFAULT_LOCALE, Query, SearchCriteria, SearchRequestItem};
use ibr_desk::dci::{DciClient, Jwks, PrivateKey, Signer};
use ibr_desk::sandbox::faults::FaultConfig;
use ibr_desk::sandbox::population::PopulationConfig;
use ibr_desk::sandbox::{self, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, SandboxConfig, SandboxHandle};
use url::Url;

/// Small enough to generate in a blink, large enough for every sample kind.
pub const TEST_POPULATION: usize = 5_000;

pub async fn start_sandbox() -> SandboxHandle {
    start_sandbox_with(SandboxConfig::default()).await
}

pub async fn start_sandbox_with(config: SandboxConfig) -> SandboxHandle {
    sandbox::start(SandboxConfig {
        population: PopulationConfig {
            size: TEST_POPULATION,
            seed: 11,
        },
        ..config
    })
    .await
    .expect("sandbox starts")
}

pub fn faults(f: FaultConfig) -> SandboxConfig {
    SandboxConfig {
        faults: f,
        ..SandboxConfig::default()
    }
}

/// The office key tests sign with.
pub fn office_signer() -> Signer {
    Signer::new(PrivateKey::ed25519_from_bytes([42; 32]), "office.test", "k1")
}

pub fn office_jwks() -> Jwks {
    let s = office_signer();
    Jwks {
        keys: vec![s.public_key().to_jwk(&s.kid())],
    }
}

/// A client of the sandbox that trusts its published key.
pub fn client_config(h: &SandboxHandle) -> ClientConfig {
    let mut c = ClientConfig::new(
        Url::parse(&h.base_url()).unwrap(),
        "office.test",
        ReplyTrust {
            keys: Arc::new(h.jwks()),
            allow_unsigned: false,
        },
    );
    c.auth = Some(OAuthConfig {
        token_url: Url::parse(&h.token_url()).unwrap(),
        client_id: DEMO_CLIENT_ID.into(),
        client_secret: Secret::new(DEMO_CLIENT_SECRET),
        scope: None,
    });
    c.timeout = Duration::from_secs(10);
    c
}

pub fn client(h: &SandboxHandle) -> DciClient {
    DciClient::new(client_config(h)).unwrap()
}

pub fn item(reference_id: &str, query: Query) -> SearchRequestItem {
    SearchRequestItem {
        reference_id: reference_id.into(),
        timestamp: timestamp(Utc::now()),
        search_criteria: SearchCriteria::ibr(query),
        locale: Some(DEFAULT_LOCALE.into()),
    }
}

pub fn txn() -> String {
    format!("txn-{}", uuid::Uuid::new_v4().simple())
}

/// An office: a store in a temporary folder, in-memory secrets, a running
/// engine, and the events it emits. Plain `#[test]`s use it (the engine owns
/// its runtime); the sandbox runs on its own runtime, [`SandboxRuntime`].
pub struct Office {
    pub dir: tempfile::TempDir,
    pub store: Arc<ibr_desk::store::Store>,
    pub secrets: Arc<ibr_desk::secrets::MemorySecretStore>,
    pub engine: Option<ibr_desk::engine::Engine>,
    pub events: std::sync::mpsc::Receiver<ibr_desk::engine::Event>,
}

/// A tokio runtime for sandboxes in plain tests.
pub struct SandboxRuntime(pub tokio::runtime::Runtime);

impl SandboxRuntime {
    pub fn new() -> SandboxRuntime {
        SandboxRuntime(
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap(),
        )
    }

    pub fn start(&self, config: SandboxConfig) -> SandboxHandle {
        self.0.block_on(start_sandbox_with(config))
    }

    pub fn stop(&self, h: SandboxHandle) {
        self.0.block_on(h.shutdown());
    }
}

/// Fast retries, so that tests of the offline queue take seconds.
pub fn fast_engine_config() -> ibr_desk::engine::EngineConfig {
    ibr_desk::engine::EngineConfig {
        retry: ibr_desk::engine::RetryPolicy {
            base: Duration::from_millis(100),
            offline_cap: Duration::from_millis(400),
            error_cap: Duration::from_millis(400),
            max_error_attempts: 3,
        },
        request_timeout: Duration::from_secs(5),
        actor: "test officer".into(),
        ..Default::default()
    }
}

impl Office {
    pub fn new() -> Office {
        Office::with_config(fast_engine_config())
    }

    pub fn with_config(config: ibr_desk::engine::EngineConfig) -> Office {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(ibr_desk::store::Store::open(&dir.path().join("ibr-desk.sqlite3")).unwrap());
        let secrets = Arc::new(ibr_desk::secrets::MemorySecretStore::default());
        let engine = ibr_desk::engine::Engine::start(store.clone(), secrets.clone(), config).unwrap();
        let events = engine.subscribe(None);
        Office {
            dir,
            store,
            secrets,
            engine: Some(engine),
            events,
        }
    }

    pub fn engine(&self) -> &ibr_desk::engine::Engine {
        self.engine.as_ref().unwrap()
    }

    /// Adds the sandbox as a data source (with its OAuth2 secret in the
    /// secret store) and trusts its key, as a person would.
    pub fn add_sandbox(&self, h: &SandboxHandle, allow_unsigned: bool) -> ibr_desk::domain::DataSource {
        use ibr_desk::secrets::SecretStore as _;
        let source = self
            .store
            .insert_data_source(&ibr_desk::domain::NewDataSource {
                auth_url: Some(h.token_url()),
                client_id: Some(DEMO_CLIENT_ID.into()),
                allow_unsigned,
                ..ibr_desk::domain::NewDataSource::ibr(&format!("Sandbox {}", h.addr().port()), &h.base_url())
            })
            .unwrap();
        self.secrets
            .set(
                &source.secret_key(&self.store.installation_id().unwrap()),
                DEMO_CLIENT_SECRET,
            )
            .unwrap();
        self.trust_sandbox(h, source.id);
        source
    }

    /// Trusts the sandbox's key for the data source `source_id` (a sender is
    /// trusted only for the sources it is linked to).
    pub fn trust_sandbox(&self, h: &SandboxHandle, source_id: i64) {
        let pem = ibr_desk::dci::PublicKey::from_jwk(&h.jwks().keys[0]).unwrap().to_pem();
        match self.store.sender_by_sender_id(h.sender_id()).unwrap() {
            None => {
                self.store
                    .insert_sender(
                        &ibr_desk::domain::NewIbrSender {
                            name: "Sandbox".into(),
                            sender_id: h.sender_id().into(),
                            public_key_pem: Some(pem),
                            jwks_url: None,
                            algorithm: ibr_desk::domain::Algorithm::Ed25519,
                            active: true,
                            insecure_http: false,
                        },
                        &[source_id],
                        "test",
                    )
                    .unwrap();
            }
            Some(sender) => {
                self.store
                    .add_sender_key(
                        sender.id,
                        None,
                        ibr_desk::domain::Algorithm::Ed25519,
                        &pem,
                        ibr_desk::domain::KeyOrigin::Pem,
                        Utc::now(),
                        "test",
                    )
                    .unwrap();
                self.store.set_sender_link(sender.id, source_id, true, "test").unwrap();
            }
        }
        self.engine()
            .request(|reply| ibr_desk::engine::Command::ReloadConfig { reply })
            .wait(std::time::Duration::from_secs(30))
            .ok();
    }

    /// Submits a check and returns its ID.
    pub fn submit(&self, source_id: i64, r: ibr_desk::domain::NewRegistrant) -> i64 {
        self.engine()
            .request(|reply| ibr_desk::engine::Command::SubmitCheck {
                registrant: ibr_desk::engine::CheckSubject::New(r),
                data_source_id: source_id,
                reason: ibr_desk::domain::SearchReason::Application,
                reply,
            })
            .wait(Duration::from_secs(30))
            .unwrap()
    }

    /// Waits (by events, bounded) until the check is completed or failed.
    pub fn wait_final(&self, id: i64) -> ibr_desk::domain::DuplicationCheck {
        use ibr_desk::domain::CheckState;
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let c = self.store.check(id).unwrap().unwrap();
            if matches!(c.state, CheckState::Completed | CheckState::Failed) {
                return c;
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            assert!(!left.is_zero(), "check {id} did not finish: {c:#?}");
            let _ = self.events.recv_timeout(left.min(Duration::from_millis(200)));
        }
    }

    /// Waits until `pred` holds for the check.
    pub fn wait_until(
        &self,
        id: i64,
        pred: impl Fn(&ibr_desk::domain::DuplicationCheck) -> bool,
    ) -> ibr_desk::domain::DuplicationCheck {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let c = self.store.check(id).unwrap().unwrap();
            if pred(&c) {
                return c;
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            assert!(!left.is_zero(), "check {id} never reached the expected state: {c:#?}");
            let _ = self.events.recv_timeout(left.min(Duration::from_millis(200)));
        }
    }
}

impl Drop for Office {
    fn drop(&mut self) {
        if let Some(e) = self.engine.take() {
            e.shutdown(Duration::from_secs(2));
        }
    }
}

/// An applicant as a field officer types them.
pub fn applicant(
    given: &str,
    surname: &str,
    birth: Option<chrono::NaiveDate>,
    ids: &[(ibr_desk::domain::IdType, &str)],
) -> ibr_desk::domain::NewRegistrant {
    ibr_desk::domain::NewRegistrant {
        given_name: Some(given.into()),
        surname: Some(surname.into()),
        birth_date: birth,
        sex: None,
        identifiers: ids
            .iter()
            .map(|(t, v)| ibr_desk::domain::Identifier::new(t.clone(), *v))
            .collect(),
    }
}

/// The whole window in an egui_kittest harness, over a fresh store, in-memory
/// secrets and the fast retry policy; UI tests drive it as a person would.
pub struct Desk {
    pub harness: egui_kittest::Harness<'static, ibr_desk::ui::IbrDeskApp>,
    pub store: Arc<ibr_desk::store::Store>,
    /// The data directory (the database, and files a test gives the window).
    pub dir: tempfile::TempDir,
}

/// Whether any node's label contains `label`.
pub fn has(h: &egui_kittest::Harness<'static, ibr_desk::ui::IbrDeskApp>, label: &str) -> bool {
    use egui_kittest::kittest::Queryable as _;
    h.query_all_by_label_contains(label).next().is_some()
}

impl Desk {
    pub fn open() -> Desk {
        Desk::open_with(fast_engine_config())
    }

    /// The window with the engine configured as given (e.g. the office's
    /// own retry policy instead of the fast one).
    pub fn open_with(engine: ibr_desk::engine::EngineConfig) -> Desk {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(ibr_desk::store::Store::open(&dir.path().join("ibr-desk.sqlite3")).unwrap());
        let backend = ibr_desk::ui::Backend {
            store: store.clone(),
            secrets: Arc::new(ibr_desk::secrets::MemorySecretStore::default()),
            engine,
        };
        let harness = egui_kittest::Harness::builder()
            .with_size(egui::vec2(1280.0, 800.0))
            .build_eframe(move |cc| ibr_desk::ui::IbrDeskApp::new(cc, backend).unwrap());
        Desk { harness, store, dir }
    }

    /// Steps frames until `done` holds (at most 30 s); on time-out, says what the window shows.
    pub fn wait_until(
        &mut self,
        what: &str,
        done: impl Fn(&egui_kittest::Harness<'static, ibr_desk::ui::IbrDeskApp>) -> bool,
    ) {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            self.harness.step();
            if done(&self.harness) {
                return;
            }
            if std::time::Instant::now() >= deadline {
                let tree = format!("{:#?}", self.harness.root());
                let texts: Vec<&str> = tree
                    .lines()
                    .filter(|l| l.contains("value: \""))
                    .map(str::trim)
                    .collect();
                panic!("waited 30 s for {what}; the window shows:\n{}", texts.join("\n"));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    pub fn wait_for_label(&mut self, label: &str) {
        let l = label.to_string();
        self.wait_until(label, move |h| has(h, &l));
    }

    pub fn count(&self, label: &str) -> usize {
        use egui_kittest::kittest::Queryable as _;
        self.harness.query_all_by_label_contains(label).count()
    }

    /// Clicks a widget the way a person does: scrolled into view, once the
    /// window has settled (new panels and grids take a frame or two to find
    /// their layout).
    pub fn click(&mut self, label: &str) {
        use egui_kittest::kittest::Queryable as _;
        self.harness.step();
        self.harness.get_by_label(label).scroll_to_me();
        self.settle();
        self.harness.get_by_label(label).click();
        self.harness.step();
    }

    /// Types into the input labelled `label`.
    pub fn type_into(&mut self, label: &str, text: &str) {
        use egui_kittest::kittest::Queryable as _;
        self.click(label);
        self.harness.get_by_label(label).type_text(text);
        self.harness.step();
    }

    pub fn settle(&mut self) {
        for _ in 0..3 {
            self.harness.step();
        }
    }
}

/// A read from a secret store as plain text, to compare with what a test stored.
pub trait Exposed {
    fn exposed(self) -> Result<Option<String>, ibr_desk::secrets::SecretError>;
}

impl Exposed for Result<Option<ibr_desk::secrets::SecretString>, ibr_desk::secrets::SecretError> {
    fn exposed(self) -> Result<Option<String>, ibr_desk::secrets::SecretError> {
        use ibr_desk::secrets::ExposeSecret as _;
        self.map(|s| s.map(|s| s.expose_secret().to_owned()))
    }
}
