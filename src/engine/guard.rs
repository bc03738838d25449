//! A batch's place among the batches under way, and what happens when a
//! batch panics.
//!
//! The scheduler runs at most `max_batches_in_flight` batches per data
//! source. A counter that a panicking batch never gave back would leave its
//! source one slot short for ever, and after a few panics with no slot at
//! all: the source wedged, its checks `checking` until a restart. So the
//! slot is a value whose `Drop` gives it back, whatever ends the batch, and a
//! batch runs as a task of its own whose panic is caught: its checks go back
//! to the queue with the reason, or fail after [`MAX_ATTEMPTS_AFTER_PANIC`]
//! attempts, so one applicant whose data trips a bug cannot hold the queue.

use std::sync::Arc;

use chrono::Utc;

use super::Shared;
use super::batch;
use super::event::{ChecksChanged, Event};
use crate::domain::{DuplicationCheck, EngineError, ErrorKind};

/// Attempts after which a check whose batch panicked fails instead of
/// going back to the queue.
pub const MAX_ATTEMPTS_AFTER_PANIC: u32 = 3;

/// One batch's slot; given back (and the scheduler woken) when dropped.
pub(super) struct BatchSlot {
    shared: Arc<Shared>,
    source_id: i64,
}

impl BatchSlot {
    pub(super) fn take(shared: &Arc<Shared>, source_id: i64) -> BatchSlot {
        if let Ok(mut m) = shared.in_flight.lock() {
            let n = m.entry(source_id).or_insert(0);
            *n = n.saturating_add(1);
        }
        BatchSlot {
            shared: shared.clone(),
            source_id,
        }
    }
}

impl Drop for BatchSlot {
    fn drop(&mut self) {
        // A poisoned lock still holds the counts: take them back from it.
        let mut m = match self.shared.in_flight.lock() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(n) = m.get_mut(&self.source_id) {
            *n = n.saturating_sub(1);
        }
        drop(m);
        self.shared.wake.notify_one();
    }
}

/// Runs one batch in its slot; a panic puts its checks back (or fails them).
pub(super) async fn run(slot: BatchSlot, checks: Vec<DuplicationCheck>) {
    let shared = slot.shared.clone();
    let source_id = slot.source_id;
    let batch_checks = checks.clone();
    let task = {
        let shared = shared.clone();
        tokio::spawn(async move { batch::run(&shared, source_id, batch_checks).await })
    };
    if let Err(e) = task.await
        && e.is_panic()
    {
        let why = panic_text(e.into_panic());
        tracing::error!(source_id, checks = checks.len(), "a batch panicked: {why}");
        after_panic(&shared, &checks, &why).await;
    }
    drop(slot);
}

/// The checks of a panicked batch that are still `checking` go back to the
/// queue, or fail when they have had their attempts.
async fn after_panic(shared: &Arc<Shared>, checks: &[DuplicationCheck], why: &str) {
    let message = format!("IBR Desk stopped on an internal error while checking ({why})");
    let (give_up, again): (Vec<&DuplicationCheck>, Vec<&DuplicationCheck>) =
        checks.iter().partition(|c| c.attempts >= MAX_ATTEMPTS_AFTER_PANIC);
    let again_ids: Vec<i64> = again.iter().map(|c| c.id).collect();
    let failed: Vec<(i64, String, String)> = give_up
        .iter()
        .map(|c| {
            (
                c.id,
                ErrorKind::Internal.as_str().to_string(),
                format!("{message}, {} times; please report this", c.attempts),
            )
        })
        .collect();
    let attempts = again.iter().map(|c| c.attempts).max().unwrap_or(1);
    let next = Utc::now() + shared.config.retry.delay(attempts, false);
    let actor = shared.actor();
    let msg = message.clone();
    let r = shared
        .blocking(move |s| {
            s.store
                .requeue_checks(&again_ids, next, Some((ErrorKind::Internal.as_str(), &msg)))
                .map_err(|e| e.to_string())?;
            s.store.fail_checks(&failed, None, &actor).map_err(|e| e.to_string())?;
            Ok(())
        })
        .await;
    match r {
        Ok(()) => shared.hub.emit(Event::ChecksChanged(ChecksChanged::new(
            checks.iter().map(|c| c.id),
            checks.iter().filter_map(|c| c.data_source_id),
        ))),
        Err(detail) => shared.hub.emit(Event::Error(EngineError::new(
            ErrorKind::Store,
            "Checks interrupted by an internal error could not be put back; they run at the next start.",
            detail,
        ))),
    }
    shared.hub.emit(Event::Error(EngineError::new(
        ErrorKind::Internal,
        "An internal error interrupted a batch of checks; they were put back in the queue.",
        why,
    )));
}

fn panic_text(payload: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_string()
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;
    use crate::domain::{CheckState, IdType, Identifier, NewDataSource, NewRegistrant, SearchReason};
    use crate::engine::{CheckSubject, Command, Engine, EngineConfig, RetryPolicy};

    fn wait_for(
        store: &crate::store::Store,
        id: i64,
        what: &str,
        done: impl Fn(&DuplicationCheck) -> bool,
    ) -> DuplicationCheck {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let c = store.check(id).ok().flatten().expect("check");
            if done(&c) {
                return c;
            }
            assert!(Instant::now() < deadline, "waited 30 s for {what}: {c:#?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    #[test]
    fn a_panicking_batch_neither_wedges_its_source_nor_loses_its_checks() {
        crate::engine::failpoint::PANIC_FOR
            .lock()
            .expect("failpoint")
            .push("Panicky".into());
        let dir = tempfile::tempdir().expect("dir");
        let store = Arc::new(crate::store::Store::open(&dir.path().join("db.sqlite3")).expect("store"));
        // Nothing listens on port 9 of this computer: a check that runs is requeued as unreachable.
        let source = store
            .insert_data_source(&NewDataSource::ibr("Nowhere", "http://127.0.0.1:9"))
            .expect("source");
        let config = EngineConfig {
            // One slot: a slot a panic kept would stop the source for good.
            max_batches_in_flight: 1,
            retry: RetryPolicy {
                base: Duration::from_millis(50),
                offline_cap: Duration::from_millis(100),
                error_cap: Duration::from_millis(100),
                max_error_attempts: 3,
            },
            request_timeout: Duration::from_secs(2),
            ..EngineConfig::default()
        };
        let engine = Engine::start(
            store.clone(),
            Arc::new(crate::secrets::MemorySecretStore::default()),
            config,
        )
        .expect("engine");
        let submit = |given: &str, uin: &str| {
            engine
                .request(|reply| Command::SubmitCheck {
                    registrant: CheckSubject::New(NewRegistrant {
                        given_name: Some(given.into()),
                        surname: Some("Test".into()),
                        birth_date: None,
                        sex: None,
                        identifiers: vec![Identifier::new(IdType::Uin, uin)],
                    }),
                    data_source_id: source.id,
                    reason: SearchReason::Application,
                    reply,
                })
                .wait(Duration::from_secs(30))
                .expect("queued")
        };
        let panicky = submit("Panicky", "111");
        // Each panic puts the check back; after its attempts it fails, saying why.
        let c = wait_for(&store, panicky, "the panicking check to fail", |c| {
            c.state == CheckState::Failed
        });
        assert_eq!(c.attempts, MAX_ATTEMPTS_AFTER_PANIC);
        assert_eq!(c.error_kind.as_deref(), Some("internal"));
        let msg = c.error_message.unwrap_or_default();
        assert!(msg.contains("internal error") && msg.contains("failpoint"), "{msg}");
        assert_eq!(c.result, None);
        // The source still runs checks: the slot came back every time.
        let calm = submit("Calm", "222");
        let c = wait_for(&store, calm, "the next check to be tried", |c| {
            c.attempts >= 1 && c.state == CheckState::Ready
        });
        assert_eq!(c.error_kind.as_deref(), Some("unreachable"), "{:?}", c.error_message);
        engine.shutdown(Duration::from_secs(2));
    }
}
