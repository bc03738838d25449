//! Rosters for the window: previewing a file, importing it on a blocking
//! thread with progress (at most [`PROGRESS_PER_SECOND`] events a second) and
//! a cancel flag, the progress of a roster's checks, and exporting the
//! history. The work itself is `crate::roster`'s; this file runs it off the
//! window's thread and turns its outcome into events.
//!
//! One import runs at a time per engine. When it ends the scheduler is woken,
//! and the roster's checks (queued `ready`, due now) run in batches like any
//! other check.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::command::Said;
use super::event::Event;
use super::{Shared, queue};
use crate::domain::{CheckFilter, EngineError, ErrorKind, SearchReason};
use crate::roster::{self, ImportOptions, RosterSettings};

/// Rows a preview shows.
pub const PREVIEW_ROWS: usize = 20;

/// Most progress events a second.
pub const PROGRESS_PER_SECOND: u32 = 10;

pub(super) async fn import(
    shared: &Arc<Shared>,
    path: PathBuf,
    settings: RosterSettings,
    data_source_id: i64,
    reason: SearchReason,
    rejected_file: Option<PathBuf>,
) -> Result<Box<roster::ImportSummary>, EngineError> {
    let Some(cancel) = shared.imports.start() else {
        return Err(EngineError::new(
            ErrorKind::Invalid,
            "Another roster is being imported.",
            "wait for it to finish, or cancel it, before importing another file",
        ));
    };
    let actor = shared.actor();
    let outcome = shared
        .blocking(move |s| {
            let mut options = ImportOptions::new(data_source_id, reason, &actor);
            options.settings = settings;
            options.rejected_file = rejected_file;
            let every = Duration::from_secs(1) / PROGRESS_PER_SECOND;
            let mut last: Option<Instant> = None;
            roster::import_file(&s.store, &path, &options, &cancel, &mut |p| {
                if last.is_none_or(|t| t.elapsed() >= every) {
                    last = Some(Instant::now());
                    s.hub.emit(Event::ImportProgress(*p));
                }
            })
            .map(Box::new)
            .map_err(|e| e.to_string())
        })
        .await;
    shared.imports.end();
    // The roster's checks are due now: let the scheduler take them.
    shared.wake.notify_one();
    queue::announce_counts(shared).await;
    outcome.map_err(|detail| EngineError::new(ErrorKind::File, "The roster was not imported.", detail))
}

/// Asks the import under way to stop; false when there is none.
pub(super) fn cancel(shared: &Arc<Shared>) -> bool {
    let cancelled = shared.imports.cancel();
    if !cancelled {
        tracing::debug!("no import to cancel");
    }
    cancelled
}

pub(super) async fn export(
    shared: &Arc<Shared>,
    filter: CheckFilter,
    path: PathBuf,
    reveal: bool,
) -> Result<Said, EngineError> {
    let done = shared
        .blocking(move |s| roster::export_history(&s.store, &filter, &path, reveal).map_err(|e| e.to_string()))
        .await
        .map_err(|detail| EngineError::new(ErrorKind::File, "The history was not exported.", detail))?;
    {
        {
            Ok(format!(
                "Exported {} check(s) to {}{}.",
                done.rows,
                done.path.display(),
                if done.revealed {
                    ", identifier values in full"
                } else {
                    " (identifier values masked)"
                }
            ))
        }
    }
}
