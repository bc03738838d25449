//! Putting checks in the queue and telling the window the queue changed —
//! what the scheduler, the demo's sample checks and the roster import share.
//!
//! Why here: these sat in the scheduler, and the files that needed them
//! (`demo`, `roster`, `requests`) depended on the scheduler, which depends on
//! them.

use std::sync::Arc;

use super::Shared;
use super::command::CheckSubject;
use super::event::{ChecksChanged, Event};
use crate::domain::{EngineError, ErrorKind, NewCheck, SearchReason};
use crate::ibr::plan;

/// Registers the applicant (or reuses the registrant), queues a check and
/// wakes the scheduler. Announces nothing (see [`submit_now`]).
pub(super) async fn submit(
    shared: &Arc<Shared>,
    subject: CheckSubject,
    data_source_id: i64,
    reason: SearchReason,
) -> Result<i64, EngineError> {
    let actor = shared.actor();
    let id = shared
        .run_blocking(move |s| {
            let source = s
                .store
                .data_source(data_source_id)?
                .ok_or_else(|| EngineError::not_found("that data source does not exist"))?;
            let registrant = match subject {
                CheckSubject::New(new) => s.store.insert_registrant(&new)?,
                CheckSubject::Existing(id) => s
                    .store
                    .registrant(id)?
                    .ok_or_else(|| EngineError::not_found("that registrant does not exist"))?,
            };
            let queries = plan::queries_for(&registrant);
            let first = registrant
                .identifiers
                .first()
                .ok_or_else(|| EngineError::invalid("the registrant has no identifier"))?;
            let check = s.store.insert_check(
                &NewCheck {
                    registrant_id: registrant.id,
                    applicant: plan::snapshot(&registrant),
                    identifier_type: first.id_type.clone(),
                    identifier_value: first.value.clone(),
                    data_source_id: source.id,
                    search_reason: reason,
                    queries,
                },
                &actor,
            )?;
            Ok(check.id)
        })
        .await?;
    shared.wake.notify_one();
    Ok(id)
}

/// [`submit`], then tells subscribers the check exists.
pub(super) async fn submit_now(
    shared: &Arc<Shared>,
    subject: CheckSubject,
    data_source_id: i64,
    reason: SearchReason,
) -> Result<i64, EngineError> {
    let id = submit(shared, subject, data_source_id, reason).await?;
    changed(shared, ChecksChanged::new([id], [data_source_id]));
    Ok(id)
}

/// One notice for every check that changed together.
pub(super) fn changed(shared: &Shared, notice: ChecksChanged) {
    if !notice.is_empty() {
        shared.hub.emit(Event::ChecksChanged(notice));
    }
}

/// Tells subscribers how many checks wait and run.
pub(super) async fn announce_counts(shared: &Arc<Shared>) {
    match shared.run_blocking(|s| Ok(s.store.queue_counts()?)).await {
        Ok(c) => shared.hub.emit(Event::QueueCounts(c)),
        // At shutdown nobody is left to tell.
        Err(e) if e.kind == ErrorKind::Stopped => {}
        Err(e) => tracing::warn!("the queue could not be counted: {e}"),
    }
}

/// Answers everyone who asked to run the queue: nothing more runs now.
pub(super) fn answer_run_due(shared: &Shared, waiting: u64) {
    let waiters = shared
        .run_due_waiters
        .lock()
        .map(|mut w| std::mem::take(&mut *w))
        .unwrap_or_default();
    for w in waiters {
        w.respond(Ok(waiting));
    }
}
