//! The one place where work runs. The engine owns the tokio runtime, takes
//! [`Command`]s and [`Query`]s — each answered exactly once, to its sender,
//! through a [`Responder`] — runs duplication checks in batches against their
//! data sources, retries what failed for a passing reason, keeps checks
//! queued while a registry is unreachable, and tells subscribers what
//! changed with coalesced [`Event`]s.
//!
//! Three lanes (see `command`): the scheduler's loop takes the commands that
//! change the queue; other commands run beside it as tasks (`actions`);
//! queries run on the store's reader connections (`query`) and never wake
//! the scheduler.
//!
//! Life of a check: `SubmitCheck` stores it `ready`; the scheduler claims due
//! checks of one source (`checking`, attempts + 1) into a batch of at most
//! `batch_max_items` searches — one DCI message; the batch's outcome is
//! written in one transaction per batch (`completed` or `failed`), or the
//! checks go back to `ready` with a next attempt time. A check left
//! `checking` by a process that died is put back in the queue at the next
//! start; completing requires the `checking` state, so nothing is recorded
//! twice.

mod actions;
mod batch;
pub mod command;
pub mod config;
pub mod demo;
pub mod event;
#[cfg(test)]
mod failpoint;
mod guard;
pub mod keyring_names;
pub mod query;
mod queue;
pub mod request;
pub mod requests;
pub mod retry;
pub mod roster;
mod scheduler;
mod shared;
pub mod supervisor;
pub mod trust;

use std::collections::HashMap;
use std::sync::mpsc as std_mpsc;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use tokio::sync::{Notify, mpsc};

pub use command::{CheckSubject, Command, HistoryPage, Query, ReviewPage, Said, SecretChange};
pub use event::{ChecksChanged, Event};
pub use request::{Latest, Pending, RequestId, Responder, Response};
pub use retry::RetryPolicy;
pub use shared::{EngineConfig, Waker};
pub(crate) use shared::{EventHub, Shared};

use crate::secrets::SecretStore;
use crate::store::Store;
use command::Lane;
use shared::Subscriber;

/// Why the engine could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot start the background runtime: {0}")]
    Runtime(String),
    #[error("{0}")]
    Store(String),
}

/// The ends of the engine's three lanes.
#[derive(Clone)]
struct Lanes {
    scheduler: mpsc::UnboundedSender<Command>,
    actions: mpsc::UnboundedSender<Command>,
    queries: mpsc::UnboundedSender<Query>,
}

/// A cloneable handle for sending requests (the window's screens hold one).
/// Answers wake its `waker` (the window's repaint).
#[derive(Clone)]
pub struct CommandSender {
    lanes: Lanes,
    waker: Option<request::Waker>,
}

impl CommandSender {
    /// Sends a command whose answer nobody waits for; never blocks.
    pub fn send(&self, command: Command) {
        let lane = match command.lane() {
            Lane::Scheduler => &self.lanes.scheduler,
            Lane::Action => &self.lanes.actions,
        };
        if lane.send(command).is_err() {
            tracing::warn!("the engine has stopped; command dropped");
        }
    }

    /// Sends a command and returns where its answer will come.
    pub fn request<T>(&self, make: impl FnOnce(Responder<T>) -> Command) -> Pending<T> {
        let (responder, pending) = request::request(self.waker.clone());
        self.send(make(responder));
        pending
    }

    /// Sends a read and returns where its answer will come.
    pub fn query<T>(&self, make: impl FnOnce(Responder<T>) -> Query) -> Pending<T> {
        let (responder, pending) = request::request(self.waker.clone());
        if self.lanes.queries.send(make(responder)).is_err() {
            tracing::warn!("the engine has stopped; query dropped");
        }
        pending
    }

    /// The same lanes, answering with this waker.
    pub fn with_waker(&self, waker: request::Waker) -> CommandSender {
        CommandSender {
            lanes: self.lanes.clone(),
            waker: Some(waker),
        }
    }
}

/// The running engine. Dropping it stops the runtime (checks under way are
/// put back in the queue at the next start).
pub struct Engine {
    runtime: Option<tokio::runtime::Runtime>,
    sender: CommandSender,
    hub: Arc<EventHub>,
    store: Arc<Store>,
    shared: Arc<Shared>,
}

impl Engine {
    /// Starts the runtime and the scheduler, after putting back in the queue
    /// any check a previous process left `checking`.
    pub fn start(store: Arc<Store>, secrets: Arc<dyn SecretStore>, config: EngineConfig) -> Result<Engine, StartError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(config.worker_threads.max(1))
            // Blocking work is the store (a writer and a few readers) and the
            // keyring (one thread of its own): a handful of threads, not 512.
            .max_blocking_threads(BLOCKING_THREADS)
            .thread_name("ibr-desk-engine")
            .enable_all()
            .build()
            .map_err(|e| StartError::Runtime(e.to_string()))?;
        let recovered = store
            .recover_interrupted(&config.actor)
            .map_err(|e| StartError::Store(e.to_string()))?;
        if recovered > 0 {
            tracing::info!(recovered, "checks left running by a previous process are queued again");
        }
        let actor = store
            .setting(config::SETTING_OFFICER_NAME)
            .ok()
            .flatten()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| config.actor.clone());
        let installation = store.installation_id().map_err(|e| StartError::Store(e.to_string()))?;
        let hub = Arc::new(EventHub::default());
        let trust = Arc::new(trust::LiveTrust::default());
        trust.replace(trust::trusted_keys(&store).map_err(StartError::Store)?);
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
            imports: shared::ImportJobs::default(),
            run_due_waiters: Mutex::new(Vec::new()),
            queries_answered: std::sync::atomic::AtomicU64::new(0),
        });
        let (scheduler_tx, scheduler_rx) = mpsc::unbounded_channel();
        let (actions_tx, actions_rx) = mpsc::unbounded_channel();
        let (queries_tx, queries_rx) = mpsc::unbounded_channel();
        let lanes = Lanes {
            scheduler: scheduler_tx,
            actions: actions_tx,
            queries: queries_tx,
        };
        let shared_for_counts = shared.clone();
        let s = shared.clone();
        runtime.spawn(async move {
            // Secrets of an earlier version move to this installation's names first.
            keyring_names::move_at_start(&s).await;
            scheduler::run(s, scheduler_rx).await;
        });
        runtime.spawn(actions::run(shared.clone(), actions_rx, lanes.scheduler.clone()));
        runtime.spawn(query::run(shared, queries_rx));
        Ok(Engine {
            runtime: Some(runtime),
            sender: CommandSender { lanes, waker: None },
            hub,
            store,
            shared: shared_for_counts,
        })
    }

    /// Sends a command whose answer nobody waits for; never blocks.
    pub fn send(&self, command: Command) {
        self.sender.send(command);
    }

    /// Sends a command and returns where its answer will come.
    pub fn request<T>(&self, make: impl FnOnce(Responder<T>) -> Command) -> Pending<T> {
        self.sender.request(make)
    }

    /// Sends a read and returns where its answer will come.
    pub fn query<T>(&self, make: impl FnOnce(Responder<T>) -> Query) -> Pending<T> {
        self.sender.query(make)
    }

    /// A handle that sends requests, for those who do not own the engine.
    pub fn sender(&self) -> CommandSender {
        self.sender.clone()
    }

    /// A new stream of events. `waker` is called after each event is queued.
    pub fn subscribe(&self, waker: Option<Waker>) -> std_mpsc::Receiver<Event> {
        let (tx, rx) = std_mpsc::channel();
        if let Ok(mut subs) = self.hub.subscribers.lock() {
            subs.push(Subscriber { tx, waker });
        }
        rx
    }

    /// How many reads the engine has answered (benchmarks).
    pub fn queries_answered(&self) -> u64 {
        self.shared.queries_answered.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The store (benchmarks and tests read it directly).
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

/// Most blocking threads of the runtime (see `Engine::start`).
const BLOCKING_THREADS: usize = 16;

impl Drop for Engine {
    fn drop(&mut self) {
        // Silently: after `shutdown` the scheduler is gone already.
        let _ = self.sender.lanes.scheduler.send(Command::Shutdown);
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_timeout(Duration::from_secs(2));
        }
    }
}
