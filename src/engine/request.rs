//! One request, one answer: the typed half of the seam between the window
//! (or the command line) and the engine.
//!
//! Why: before, every answer was an event broadcast to every screen, and a
//! screen guessed which of its requests an `Error` belonged to by the
//! English words it began with. Now a request carries a [`Responder`] and
//! its sender keeps the matching [`Pending`]; the engine answers exactly
//! once — a `Responder` dropped without an answer (a task that panicked, an
//! engine that stopped) answers [`ErrorKind::Stopped`] by itself — and only
//! the sender hears it. Broadcast [`super::Event`]s remain for what several
//! parts of the window show (queue counts, changed checks, the configuration).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::oneshot;

use crate::domain::{EngineError, ErrorKind};

/// Called when an answer is ready: the window asks for a repaint.
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// Names one request; unique within the process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(u64);

impl RequestId {
    fn next() -> RequestId {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        RequestId(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// The answer to one request.
#[derive(Debug)]
pub struct Response<T> {
    pub id: RequestId,
    pub outcome: Result<T, EngineError>,
}

/// The engine's end of a request: answer it once with [`Responder::respond`].
pub struct Responder<T> {
    id: RequestId,
    tx: Option<oneshot::Sender<Response<T>>>,
    waker: Option<Waker>,
}

impl<T> std::fmt::Debug for Responder<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Responder({})", self.id)
    }
}

impl<T> Responder<T> {
    /// A request whose answer nobody waits for (the engine's own work).
    pub fn detached() -> Responder<T> {
        Responder {
            id: RequestId::next(),
            tx: None,
            waker: None,
        }
    }

    pub fn id(&self) -> RequestId {
        self.id
    }

    /// Answers the request. A sender that stopped waiting is not an error.
    pub fn respond(mut self, outcome: Result<T, EngineError>) {
        self.send(outcome);
    }

    fn send(&mut self, outcome: Result<T, EngineError>) {
        if let Some(tx) = self.tx.take() {
            let _ = tx.send(Response { id: self.id, outcome });
            if let Some(w) = &self.waker {
                w();
            }
        }
    }
}

impl<T> Drop for Responder<T> {
    /// Exactly one answer: one that was never given says the engine stopped.
    fn drop(&mut self) {
        if self.tx.is_some() {
            self.send(Err(EngineError::stopped()));
        }
    }
}

/// The sender's end: poll it each frame, or wait for it (command line, tests).
#[derive(Debug)]
pub struct Pending<T> {
    id: RequestId,
    rx: oneshot::Receiver<Response<T>>,
}

impl<T> Pending<T> {
    pub fn id(&self) -> RequestId {
        self.id
    }

    /// The answer, once it is here (never blocks).
    pub fn poll(&mut self) -> Option<Result<T, EngineError>> {
        match self.rx.try_recv() {
            Ok(r) => Some(r.outcome),
            Err(oneshot::error::TryRecvError::Empty) => None,
            Err(oneshot::error::TryRecvError::Closed) => Some(Err(EngineError::stopped())),
        }
    }

    /// Waits at most `timeout` for the answer (never call it on a runtime thread).
    pub fn wait(mut self, timeout: Duration) -> Result<T, EngineError> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            if let Some(r) = self.poll() {
                return r;
            }
            if std::time::Instant::now() >= deadline {
                return Err(EngineError::new(
                    ErrorKind::Timeout,
                    "IBR Desk's engine did not answer in time.",
                    format!("no answer to request {} within {} s", self.id, timeout.as_secs()),
                ));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

/// A new request: the engine's end and the sender's.
pub fn request<T>(waker: Option<Waker>) -> (Responder<T>, Pending<T>) {
    let id = RequestId::next();
    let (tx, rx) = oneshot::channel();
    (
        Responder {
            id,
            tx: Some(tx),
            waker,
        },
        Pending { id, rx },
    )
}

/// A screen's request in flight, and whether another of the same kind is
/// wanted once it is answered: at most one of a kind is ever under way, so
/// a burst of changes costs one reload, not one per change.
#[derive(Debug)]
pub struct Latest<T> {
    pending: Option<Pending<T>>,
    again: bool,
}

impl<T> Default for Latest<T> {
    fn default() -> Self {
        Latest {
            pending: None,
            again: false,
        }
    }
}

impl<T> Latest<T> {
    /// Whether a request is under way.
    pub fn busy(&self) -> bool {
        self.pending.is_some()
    }

    /// Starts `make()` now unless one is under way; then it is started again
    /// after that one is answered (see [`Latest::poll`]). Returns whether it started.
    pub fn want(&mut self, make: impl FnOnce() -> Pending<T>) -> bool {
        if self.pending.is_some() {
            self.again = true;
            false
        } else {
            self.pending = Some(make());
            self.again = false;
            true
        }
    }

    /// Replaces any request under way (its answer is dropped): for a new filter.
    pub fn replace(&mut self, pending: Pending<T>) {
        self.pending = Some(pending);
        self.again = false;
    }

    /// Forgets the request under way.
    pub fn cancel(&mut self) {
        self.pending = None;
        self.again = false;
    }

    /// The answer, once here, and whether the same request is wanted again.
    pub fn poll(&mut self) -> Option<(Result<T, EngineError>, bool)> {
        let r = self.pending.as_mut()?.poll()?;
        self.pending = None;
        Some((r, std::mem::take(&mut self.again)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_answer_reaches_the_sender_once() {
        let (responder, mut pending) = request::<u32>(None);
        assert!(pending.poll().is_none());
        assert_eq!(responder.id(), pending.id());
        responder.respond(Ok(7));
        assert_eq!(pending.poll().map(|r| r.ok()), Some(Some(7)));
    }

    #[test]
    fn a_request_dropped_unanswered_says_the_engine_stopped() {
        let (responder, pending) = request::<u32>(None);
        drop(responder);
        let e = pending.wait(Duration::from_secs(1)).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Stopped);
    }

    #[test]
    fn an_answer_wakes_the_window() {
        let woken = Arc::new(AtomicU64::new(0));
        let w = woken.clone();
        let (responder, _pending) = request::<()>(Some(Arc::new(move || {
            w.fetch_add(1, Ordering::SeqCst);
        })));
        responder.respond(Ok(()));
        assert_eq!(woken.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn ids_differ() {
        let (a, _) = request::<()>(None);
        let (b, _) = request::<()>(None);
        assert_ne!(a.id(), b.id());
    }

    #[test]
    fn latest_runs_one_at_a_time_and_once_more_after_a_burst() {
        let mut latest = Latest::<u32>::default();
        let mut responders = Vec::new();
        {
            let mut make = || {
                let (r, p) = request::<u32>(None);
                responders.push(r);
                p
            };
            assert!(latest.want(&mut make));
            for _ in 0..100 {
                assert!(
                    !latest.want(&mut make),
                    "a second request started while one was under way"
                );
            }
        }
        assert_eq!(responders.len(), 1);
        responders.pop().unwrap().respond(Ok(1));
        let (r, again) = latest.poll().unwrap();
        assert_eq!(r.unwrap(), 1);
        assert!(again, "the burst must cost one more request");
        assert!(!latest.busy());
    }
}
