//! The one place where work runs. The engine owns the tokio runtime, takes
//! [`Command`]s, runs duplication checks in batches against their data
//! sources, retries what failed for a passing reason, keeps checks queued
//! while a registry is unreachable, and tells subscribers what happened with
//! [`Event`]s.
//!
//! Life of a check: `SubmitCheck` stores it `ready`; the scheduler claims due
//! checks of one source (`checking`, attempts + 1) into a batch of at most
//! `batch_max_items` searches — one DCI message; the batch's outcome is
//! written in one transaction per batch (`completed` or `failed`), or the
//! checks go back to `ready` with a next attempt time. A check left
//! `checking` by a process that died is put back in the queue at the next
//! start; completing requires the `checking` state, so nothing is recorded
//! twice.

mod batch;
pub mod command;
pub mod demo;
pub mod event;
mod guard;
pub mod keyring_names;
pub mod requests;
pub mod retry;
pub mod roster;
mod scheduler;
pub mod supervisor;
pub mod trust;

use std::collections::HashMap;
use std::sync::mpsc as std_mpsc;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use tokio::sync::{Notify, mpsc};

pub use command::{CheckSubject, Command};
pub use event::Event;
pub use retry::RetryPolicy;

use crate::dci::Signer;
use crate::ibr::IbrService;
use crate::secrets::SecretStore;
use crate::store::Store;

/// How the engine works.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Most searches in one DCI message (a check makes one per identifier,
    /// plus one demographic search).
    pub batch_max_items: usize,
    /// Most messages under way at once per data source.
    pub max_batches_in_flight: usize,
    pub retry: RetryPolicy,
    /// Time allowed for one request to a registry.
    pub request_timeout: Duration,
    /// Who is acting, for the audit log (the officer's name).
    pub actor: String,
    /// Threads of the runtime.
    pub worker_threads: usize,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            batch_max_items: 50,
            max_batches_in_flight: 4,
            retry: RetryPolicy::default(),
            request_timeout: Duration::from_secs(crate::dci::client::DEFAULT_TIMEOUT_SECS),
            actor: "officer".to_string(),
            worker_threads: 2,
        }
    }
}

/// Called after each event is queued: the window asks for a repaint.
pub type Waker = Box<dyn Fn() + Send + Sync>;

struct Subscriber {
    tx: std_mpsc::Sender<Event>,
    waker: Option<Waker>,
}

/// Delivers events to every subscriber.
#[derive(Default)]
pub(crate) struct EventHub {
    subscribers: Mutex<Vec<Subscriber>>,
}

impl EventHub {
    pub(crate) fn emit(&self, event: Event) {
        let Ok(mut subs) = self.subscribers.lock() else { return };
        subs.retain(|s| {
            let alive = s.tx.send(event.clone()).is_ok();
            if alive && let Some(w) = &s.waker {
                w();
            }
            alive
        });
    }
}

/// What the engine's tasks share.
pub(crate) struct Shared {
    pub store: Arc<Store>,
    pub secrets: Arc<dyn SecretStore>,
    /// This data directory's installation: every keyring entry is named under it.
    pub installation: crate::domain::InstallationId,
    pub config: EngineConfig,
    pub hub: Arc<EventHub>,
    /// The trusted senders' keys, per data source.
    pub trust: Arc<trust::LiveTrust>,
    pub office_signer: RwLock<Option<Signer>>,
    /// Who acts, for the audit log: the officer named in Settings.
    pub actor: RwLock<String>,
    /// The built-in demo registry, while it runs.
    pub demo: tokio::sync::Mutex<Option<crate::sandbox::SandboxHandle>>,
    /// Who the window acts as: only a supervisor decides reviews.
    pub role: RwLock<crate::domain::Role>,
    /// Revision of the configuration snapshots (see `ConfigSnapshot::revision`).
    pub config_revision: std::sync::atomic::AtomicU64,
    /// Batches under way, per data source.
    pub in_flight: Mutex<HashMap<i64, usize>>,
    /// Services by data source, with the configuration they were built from.
    pub services: Mutex<HashMap<i64, (crate::domain::DataSource, Arc<IbrService>)>>,
    pub wake: Notify,
    /// The roster import under way.
    pub imports: roster::ImportJobs,
}

impl Shared {
    /// The officer's name, for the audit log.
    pub(crate) fn actor(&self) -> String {
        self.actor
            .read()
            .map(|a| a.clone())
            .unwrap_or_else(|_| "officer".into())
    }

    /// Runs blocking store or keyring work off the async threads.
    pub(crate) async fn blocking<T, F>(self: &Arc<Self>, f: F) -> Result<T, String>
    where
        T: Send + 'static,
        F: FnOnce(&Shared) -> Result<T, String> + Send + 'static,
    {
        let me = self.clone();
        tokio::task::spawn_blocking(move || f(&me))
            .await
            .map_err(|e| format!("internal error: {e}"))?
    }
}

/// Why the engine could not start.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("cannot start the background runtime: {0}")]
    Runtime(String),
    #[error("{0}")]
    Store(String),
}

/// A cloneable handle for sending commands (the window's screens hold one).
#[derive(Clone)]
pub struct CommandSender(mpsc::UnboundedSender<Command>);

impl CommandSender {
    /// Sends a command; never blocks.
    pub fn send(&self, command: Command) {
        if self.0.send(command).is_err() {
            tracing::warn!("the engine has stopped; command dropped");
        }
    }
}

/// The running engine. Dropping it stops the runtime (checks under way are
/// put back in the queue at the next start).
pub struct Engine {
    runtime: Option<tokio::runtime::Runtime>,
    commands: mpsc::UnboundedSender<Command>,
    hub: Arc<EventHub>,
    store: Arc<Store>,
}

impl Engine {
    /// Starts the runtime and the scheduler, after putting back in the queue
    /// any check a previous process left `checking`.
    pub fn start(
        store: Arc<Store>,
        secrets: Arc<dyn SecretStore>,
        config: EngineConfig,
    ) -> Result<Engine, EngineError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(config.worker_threads.max(1))
            .thread_name("ibr-desk-engine")
            .enable_all()
            .build()
            .map_err(|e| EngineError::Runtime(e.to_string()))?;
        let recovered = store
            .recover_interrupted(&config.actor)
            .map_err(|e| EngineError::Store(e.to_string()))?;
        if recovered > 0 {
            tracing::info!(recovered, "checks left running by a previous process are queued again");
        }
        let actor = store
            .setting(requests::SETTING_OFFICER_NAME)
            .ok()
            .flatten()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| config.actor.clone());
        let installation = store.installation_id().map_err(|e| EngineError::Store(e.to_string()))?;
        let hub = Arc::new(EventHub::default());
        let trust = Arc::new(trust::LiveTrust::default());
        trust.replace(trust::trusted_keys(&store).map_err(EngineError::Store)?);
        let shared = Arc::new(Shared {
            store: store.clone(),
            secrets,
            installation,
            config,
            hub: hub.clone(),
            trust,
            office_signer: RwLock::new(None),
            actor: RwLock::new(actor),
            demo: tokio::sync::Mutex::new(None),
            config_revision: std::sync::atomic::AtomicU64::new(0),
            role: RwLock::new(crate::domain::Role::Officer),
            in_flight: Mutex::new(HashMap::new()),
            services: Mutex::new(HashMap::new()),
            wake: Notify::new(),
            imports: roster::ImportJobs::default(),
        });
        let (tx, rx) = mpsc::unbounded_channel();
        runtime.spawn(async move {
            // Secrets of an earlier version move to this installation's names first.
            keyring_names::move_at_start(&shared).await;
            scheduler::run(shared, rx).await;
        });
        Ok(Engine {
            runtime: Some(runtime),
            commands: tx,
            hub,
            store,
        })
    }

    /// Sends a command; never blocks.
    pub fn send(&self, command: Command) {
        if self.commands.send(command).is_err() {
            tracing::warn!("the engine has stopped; command dropped");
        }
    }

    /// A handle that sends commands, for those who do not own the engine.
    pub fn sender(&self) -> CommandSender {
        CommandSender(self.commands.clone())
    }

    /// A new stream of events. `waker` is called after each event is queued.
    pub fn subscribe(&self, waker: Option<Waker>) -> std_mpsc::Receiver<Event> {
        let (tx, rx) = std_mpsc::channel();
        if let Ok(mut subs) = self.hub.subscribers.lock() {
            subs.push(Subscriber { tx, waker });
        }
        rx
    }

    /// The store, for reading (the window reads pages of history off its frame thread).
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// The runtime, for work that belongs to the engine's threads (the sandbox).
    pub fn handle(&self) -> Option<tokio::runtime::Handle> {
        self.runtime.as_ref().map(|r| r.handle().clone())
    }

    /// Stops: no new batches start; those under way get `grace` to finish.
    pub fn shutdown(mut self, grace: Duration) {
        self.send(Command::Shutdown);
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_timeout(grace);
        }
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        let _ = self.commands.send(Command::Shutdown);
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_timeout(Duration::from_secs(2));
        }
    }
}
