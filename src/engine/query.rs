//! The window's and the command line's reads: pages of history, a check's
//! detail, the configuration, the review queue, counts, a roster preview.
//!
//! Why a lane of their own: a read used to travel through the scheduler's
//! command channel, and each one woke the scheduler, which first looked at
//! the queue (writing a roster's next checks) before it took the next
//! command. With a roster running and one check waiting for an offline
//! registry, the window's reads queued behind that work for minutes. Now
//! reads never reach the scheduler: they run here, at most [`READERS_AT_ONCE`]
//! at a time (the store's pool of reader connections), each on a blocking
//! thread, and each answers its sender only.

use std::sync::Arc;

use tokio::sync::{Semaphore, mpsc};

use super::Shared;
use super::command::{HistoryPage, Query, ReviewPage};
use super::event::CheckDetail;
use super::request::Responder;
use crate::domain::{EngineError, ErrorKind};

/// Reads under way at once: the store's reader connections, so a read
/// never waits for a connection while holding a thread.
pub const READERS_AT_ONCE: usize = 3;

/// Takes queries until the engine stops.
pub(super) async fn run(shared: Arc<Shared>, mut queries: mpsc::UnboundedReceiver<Query>) {
    let permits = Arc::new(Semaphore::new(READERS_AT_ONCE));
    while let Some(query) = queries.recv().await {
        let Ok(permit) = permits.clone().acquire_owned().await else {
            break;
        };
        let s = shared.clone();
        tokio::task::spawn_blocking(move || {
            answer(&s, query);
            s.queries_answered.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            drop(permit);
        });
    }
}

/// Answers one query (on a blocking thread).
fn answer(shared: &Shared, query: Query) {
    match query {
        Query::History {
            filter,
            offset,
            limit,
            reply,
        } => respond(reply, "The history could not be read.", || {
            let total = shared.store.history_count(&filter)?;
            let rows = shared.store.history_page(&filter, offset, limit)?;
            Ok(HistoryPage { offset, total, rows })
        }),
        Query::CheckDetail { check_id, reply } => respond(reply, "The check could not be read.", || {
            let check = shared
                .store
                .check(check_id)?
                .ok_or_else(|| EngineError::not_found("that check no longer exists"))?;
            Ok(Box::new(CheckDetail {
                check,
                candidates: shared.store.candidates(check_id)?,
                reply_excerpt: shared.store.reply_excerpt(check_id)?,
                audit: shared.store.audit_for_check(check_id)?,
                reviews: shared.store.reviews_of(check_id)?,
            }))
        }),
        Query::Config { reply } => respond(reply, "The configuration could not be read.", || {
            super::config::snapshot(shared).map(Box::new)
        }),
        Query::ReviewQueue { offset, limit, reply } => respond(reply, "The review queue could not be read.", || {
            let since = crate::clock::start_of_today();
            let rows = shared.store.review_queue(offset, limit)?;
            let counts = shared.store.review_counts(since)?;
            Ok(ReviewPage { offset, rows, counts })
        }),
        Query::CountBulkReview { filter, action, reply } => respond(reply, "The checks could not be counted.", || {
            Ok(shared.store.bulk_review_count(&filter, action)?)
        }),
        Query::PreviewRoster { path, settings, reply } => respond(reply, "The roster file could not be read.", || {
            crate::roster::preview(
                Some(&shared.store),
                &path,
                &settings.unwrap_or_default(),
                super::roster::PREVIEW_ROWS,
            )
            .map(Box::new)
            .map_err(|e| EngineError::of(ErrorKind::File, e.to_string()))
        }),
        Query::RosterChecks { roster_id, reply } => {
            respond(reply, "The checks of the roster could not be counted.", || {
                Ok(shared.store.roster_check_counts(roster_id)?)
            })
        }
        Query::QueueCounts { reply } => respond(reply, "The queue could not be read.", || {
            Ok(shared.store.queue_counts()?)
        }),
    }
}

/// Runs `read` and answers with its outcome, the sentence put first on failure.
fn respond<T>(reply: Responder<T>, sentence: &str, read: impl FnOnce() -> Result<T, EngineError>) {
    reply.respond(read().map_err(|e| e.saying(sentence)));
}
