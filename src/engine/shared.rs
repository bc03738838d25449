//! What the engine's tasks share: the store, the keyring, the trusted keys,
//! who acts, the batches under way, and the hub that tells subscribers.
//!
//! Why a file of its own: every other engine file needs [`Shared`]; kept in
//! `mod.rs` it made each of them depend on the module root and the root on
//! them. Here it depends only on the leaves (`event`, `trust`, `request`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc as std_mpsc;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use tokio::sync::Notify;

use super::event::Event;
use super::request::Responder;
use super::retry::RetryPolicy;
use super::trust;
use crate::dci::Signer;
use crate::domain::{EngineError, ErrorKind};
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

pub(crate) struct Subscriber {
    pub(crate) tx: std_mpsc::Sender<Event>,
    pub(crate) waker: Option<Waker>,
}

/// Delivers events to every subscriber.
#[derive(Default)]
pub(crate) struct EventHub {
    pub(crate) subscribers: Mutex<Vec<Subscriber>>,
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
    pub imports: ImportJobs,
    /// Who asked to run the queue and waits to hear it is idle.
    pub run_due_waiters: Mutex<Vec<Responder<u64>>>,
    /// Reads answered so far (the benchmarks' "answers").
    pub queries_answered: std::sync::atomic::AtomicU64,
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

    /// [`Shared::blocking`] for work that answers with the engine's error type.
    pub(crate) async fn run_blocking<T, F>(self: &Arc<Self>, f: F) -> Result<T, EngineError>
    where
        T: Send + 'static,
        F: FnOnce(&Shared) -> Result<T, EngineError> + Send + 'static,
    {
        let me = self.clone();
        tokio::task::spawn_blocking(move || f(&me)).await.map_err(|e| {
            if e.is_cancelled() {
                // The runtime is shutting down: not a bug, the engine stopped.
                EngineError::stopped()
            } else {
                EngineError::of(ErrorKind::Internal, format!("internal error: {e}"))
            }
        })?
    }
}

/// The import under way, if any: its cancel flag.
#[derive(Default)]
pub(crate) struct ImportJobs {
    cancel: Mutex<Option<Arc<AtomicBool>>>,
}

impl ImportJobs {
    /// Takes the slot for a new import; `None` when one is under way.
    pub(crate) fn start(&self) -> Option<Arc<AtomicBool>> {
        let mut slot = self.cancel.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if slot.is_some() {
            return None;
        }
        let flag = Arc::new(AtomicBool::new(false));
        *slot = Some(flag.clone());
        Some(flag)
    }

    pub(crate) fn end(&self) {
        *self.cancel.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    }

    /// Asks the import under way to stop; false when there is none.
    pub(crate) fn cancel(&self) -> bool {
        match &*self.cancel.lock().unwrap_or_else(std::sync::PoisonError::into_inner) {
            Some(flag) => {
                flag.store(true, Ordering::Relaxed);
                true
            }
            None => false,
        }
    }
}
