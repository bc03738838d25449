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
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::Shared;
use super::event::Event;
use crate::domain::{CheckFilter, SearchReason};
use crate::roster::{self, ImportOptions, RosterSettings};

/// Rows a preview shows.
pub const PREVIEW_ROWS: usize = 20;

/// Most progress events a second.
pub const PROGRESS_PER_SECOND: u32 = 10;

/// The import under way, if any: its cancel flag.
#[derive(Default)]
pub(crate) struct ImportJobs {
    cancel: Mutex<Option<Arc<AtomicBool>>>,
}

impl ImportJobs {
    /// Takes the slot for a new import; `None` when one is under way.
    fn start(&self) -> Option<Arc<AtomicBool>> {
        let mut slot = self.cancel.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if slot.is_some() {
            return None;
        }
        let flag = Arc::new(AtomicBool::new(false));
        *slot = Some(flag.clone());
        Some(flag)
    }

    fn end(&self) {
        *self.cancel.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    }

    /// Asks the import under way to stop; false when there is none.
    fn cancel(&self) -> bool {
        match &*self.cancel.lock().unwrap_or_else(std::sync::PoisonError::into_inner) {
            Some(flag) => {
                flag.store(true, Ordering::Relaxed);
                true
            }
            None => false,
        }
    }
}

pub(super) async fn preview(shared: &Arc<Shared>, path: PathBuf, settings: Option<RosterSettings>) {
    let p = path.clone();
    let outcome = shared
        .blocking(move |s| {
            roster::preview(Some(&s.store), &p, &settings.unwrap_or_default(), PREVIEW_ROWS)
                .map(Box::new)
                .map_err(|e| e.to_string())
        })
        .await;
    shared.hub.emit(Event::RosterPreview { path, outcome });
}

pub(super) async fn import(
    shared: &Arc<Shared>,
    path: PathBuf,
    settings: RosterSettings,
    data_source_id: i64,
    reason: SearchReason,
    rejected_file: Option<PathBuf>,
) {
    let Some(cancel) = shared.imports.start() else {
        shared.hub.emit(Event::Error {
            message: "Another roster is being imported.".into(),
            detail: "wait for it to finish, or cancel it, before importing another file".into(),
        });
        return;
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
    shared.hub.emit(Event::ImportFinished(outcome));
    // The roster's checks are due now: let the scheduler take them.
    shared.wake.notify_one();
    super::requests::queue_counts(shared).await;
}

pub(super) fn cancel(shared: &Arc<Shared>) {
    if !shared.imports.cancel() {
        tracing::debug!("no import to cancel");
    }
}

pub(super) async fn roster_checks(shared: &Arc<Shared>, roster_id: i64) {
    let r = shared
        .blocking(move |s| s.store.roster_check_counts(roster_id).map_err(|e| e.to_string()))
        .await;
    match r {
        Ok(counts) => shared.hub.emit(Event::RosterChecks { roster_id, counts }),
        Err(detail) => shared.hub.emit(Event::Error {
            message: "The checks of the roster could not be counted.".into(),
            detail,
        }),
    }
}

pub(super) async fn export(shared: &Arc<Shared>, filter: CheckFilter, path: PathBuf, reveal: bool) {
    let r = shared
        .blocking(move |s| roster::export_history(&s.store, &filter, &path, reveal).map_err(|e| e.to_string()))
        .await;
    match r {
        Ok(done) => shared.hub.emit(Event::Notice {
            message: format!(
                "Exported {} check(s) to {}{}.",
                done.rows,
                done.path.display(),
                if done.revealed {
                    ", identifier values in full"
                } else {
                    " (identifier values masked)"
                }
            ),
        }),
        Err(detail) => shared.hub.emit(Event::Error {
            message: "The history was not exported.".into(),
            detail,
        }),
    }
}
