//! The engine's main loop: take the commands that change the queue, start
//! batches of due checks, sleep until the next check is due. Reads never
//! come here (see `query`), nor do other commands (see `actions`).

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::mpsc;

use super::command::Command;
use super::event::{ChecksChanged, Event};
use super::{Shared, config, queue};
use crate::domain::{EngineError, ErrorKind};
use crate::ibr::plan;

/// Longest sleep between looks at the queue (a safety net: every change
/// wakes the loop anyway).
const MAX_IDLE_SLEEP: Duration = Duration::from_secs(30);

pub(super) async fn run(shared: Arc<Shared>, mut commands: mpsc::UnboundedReceiver<Command>) {
    if let Err(e) = config::reload(&shared).await {
        shared.hub.emit(Event::Error(e));
    }
    let mut was_idle = false;
    loop {
        let started = dispatch(&shared).await;
        queue::announce_counts(&shared).await;
        let idle = started == 0 && in_flight_total(&shared) == 0;
        if idle && !was_idle {
            let waiting = shared
                .run_blocking(|s| Ok(s.store.queue_counts()?))
                .await
                .map(|c| c.ready)
                .unwrap_or(0);
            queue::answer_run_due(&shared, waiting);
            shared.hub.emit(Event::Idle { waiting });
        }
        was_idle = idle;
        let sleep = next_sleep(&shared).await;
        tokio::select! {
            cmd = commands.recv() => match cmd {
                None | Some(Command::Shutdown) => break,
                Some(cmd) => {
                    // Whoever asks to run the queue hears `Idle` once nothing more runs,
                    // even when the engine was idle already (`ibr-desk queue run` waits for it).
                    if matches!(cmd, Command::RunDue { .. }) {
                        was_idle = false;
                    }
                    handle(&shared, cmd).await
                }
            },
            () = shared.wake.notified() => {}
            () = tokio::time::sleep(sleep) => {}
        }
    }
    super::demo::stop(&shared).await;
    tracing::debug!("engine scheduler stopped");
}

fn in_flight_total(shared: &Shared) -> usize {
    shared.in_flight.lock().map(|m| m.values().sum()).unwrap_or(0)
}

/// Until the next ready check of an active source is due (at most `MAX_IDLE_SLEEP`).
async fn next_sleep(shared: &Arc<Shared>) -> Duration {
    let next = shared
        .blocking(|s| {
            let mut earliest = None;
            for src in s.store.data_sources().map_err(|e| e.to_string())? {
                if !src.active {
                    continue;
                }
                if let Some(t) = s.store.next_due_at(src.id).map_err(|e| e.to_string())? {
                    earliest = Some(earliest.map_or(t, |e: chrono::DateTime<Utc>| e.min(t)));
                }
            }
            Ok(earliest)
        })
        .await
        .ok()
        .flatten();
    match next {
        Some(t) => (t - Utc::now()).to_std().unwrap_or(Duration::ZERO).min(MAX_IDLE_SLEEP),
        None => MAX_IDLE_SLEEP,
    }
}

/// Writes the checks of waiting roster rows, so that each active data
/// source has a few batches' worth ready and no more: a million-row roster
/// is written as it runs, and an applicant typed in meanwhile waits behind
/// at most those few batches.
async fn queue_roster_checks(shared: &Arc<Shared>) {
    let target = (shared.config.batch_max_items * shared.config.max_batches_in_flight * 2) as u64;
    let written = shared
        .blocking(move |s| {
            s.store
                .queue_roster_checks(target, plan::queries_for)
                .map_err(|e| e.to_string())
        })
        .await;
    match written {
        Ok(0) => {}
        Ok(n) => tracing::debug!(checks = n, "roster checks written"),
        Err(detail) => shared.hub.emit(Event::Error(EngineError::new(
            ErrorKind::Store,
            "The checks of an imported roster could not be queued.",
            detail,
        ))),
    }
}

/// Starts batches for every source with due checks, within the concurrency
/// limit. Returns how many batches started.
async fn dispatch(shared: &Arc<Shared>) -> usize {
    queue_roster_checks(shared).await;
    let now = Utc::now();
    let sources = match shared
        .blocking(move |s| {
            let due = s.store.sources_with_due_checks(now).map_err(|e| e.to_string())?;
            let mut active = Vec::new();
            for id in due {
                if s.store
                    .data_source(id)
                    .map_err(|e| e.to_string())?
                    .is_some_and(|d| d.active)
                {
                    active.push(id);
                }
            }
            Ok(active)
        })
        .await
    {
        Ok(s) => s,
        Err(e) => {
            shared.hub.emit(Event::Error(EngineError::new(
                ErrorKind::Store,
                "The queue could not be read.",
                e,
            )));
            return 0;
        }
    };
    let mut started = 0;
    for source_id in sources {
        loop {
            let running = shared
                .in_flight
                .lock()
                .map(|m| *m.get(&source_id).unwrap_or(&0))
                .unwrap_or(0);
            if running >= shared.config.max_batches_in_flight {
                break;
            }
            let max_items = shared.config.batch_max_items;
            let claimed = match shared
                .blocking(move |s| {
                    s.store
                        .claim_due_checks(source_id, now, max_items)
                        .map_err(|e| e.to_string())
                })
                .await
            {
                Ok(c) => c,
                Err(e) => {
                    shared.hub.emit(Event::Error(EngineError::new(
                        ErrorKind::Store,
                        "Queued checks could not be started.",
                        e,
                    )));
                    break;
                }
            };
            if claimed.is_empty() {
                break;
            }
            let slot = super::guard::BatchSlot::take(shared, source_id);
            queue::changed(shared, ChecksChanged::new(claimed.iter().map(|c| c.id), [source_id]));
            started += 1;
            tokio::spawn(super::guard::run(slot, claimed));
        }
    }
    started
}

/// The commands of the scheduler's lane; any other is handed to `actions`,
/// whose exhaustive match answers it.
async fn handle(shared: &Arc<Shared>, cmd: Command) {
    match cmd {
        Command::SubmitCheck {
            registrant,
            data_source_id,
            reason,
            reply,
        } => {
            let r = queue::submit_now(shared, registrant, data_source_id, reason).await;
            reply.respond(r.map_err(|e| e.saying("The check was not queued.")));
        }
        Command::RunDue { reply } => {
            if let Ok(mut w) = shared.run_due_waiters.lock() {
                w.push(reply);
            }
        }
        Command::RetryCheck { check_id, reply } => {
            let actor = shared.actor();
            let r = shared
                .run_blocking(move |s| {
                    if !s.store.retry_check(check_id, &actor)? {
                        return Err(EngineError::invalid("only a failed check can be retried"));
                    }
                    Ok(s.store.check(check_id)?.and_then(|c| c.data_source_id))
                })
                .await;
            if let Ok(source) = &r {
                queue::changed(shared, ChecksChanged::new([check_id], *source));
                shared.wake.notify_one();
            }
            reply.respond(
                r.map(|_| ())
                    .map_err(|e| e.saying("The check was not put back in the queue.")),
            );
        }
        Command::ReloadConfig { reply } => reply.respond(config::reload(shared).await),
        Command::Shutdown => {}
        // Every other command belongs to the action lane (`Command::lane`),
        // whose handler matches every variant: nothing is dropped here.
        other => {
            let s = shared.clone();
            tokio::spawn(async move { super::actions::handle(&s, other).await });
        }
    }
}
