//! The engine's main loop: handle commands, start batches of due checks,
//! sleep until the next check is due.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::mpsc;

use super::batch;
use super::command::{CheckSubject, Command};
use super::event::Event;
use super::{Shared, trust};
use crate::domain::{CheckState, NewCheck, SearchReason};
use crate::ibr::plan;

/// Longest sleep between looks at the queue (a safety net: every change
/// wakes the loop anyway).
const MAX_IDLE_SLEEP: Duration = Duration::from_secs(30);

pub(super) async fn run(shared: Arc<Shared>, mut commands: mpsc::UnboundedReceiver<Command>) {
    reload_config(&shared).await;
    let mut was_idle = false;
    loop {
        let started = dispatch(&shared).await;
        super::requests::queue_counts(&shared).await;
        let idle = started == 0 && in_flight_total(&shared) == 0;
        if idle && !was_idle {
            let waiting = shared
                .blocking(|s| s.store.queue_counts().map_err(|e| e.to_string()))
                .await
                .map(|c| c.ready)
                .unwrap_or(0);
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
                    if matches!(cmd, Command::RunDue) {
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
        Err(detail) => shared.hub.emit(Event::Error {
            message: "The checks of an imported roster could not be queued.".into(),
            detail,
        }),
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
            shared.hub.emit(Event::Error {
                message: "The queue could not be read.".into(),
                detail: e,
            });
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
                    shared.hub.emit(Event::Error {
                        message: "Queued checks could not be started.".into(),
                        detail: e,
                    });
                    break;
                }
            };
            if claimed.is_empty() {
                break;
            }
            let slot = super::guard::BatchSlot::take(shared, source_id);
            for c in &claimed {
                shared.hub.emit(Event::CheckChanged {
                    check_id: c.id,
                    data_source_id: c.data_source_id,
                    state: CheckState::Checking,
                    result: None,
                });
            }
            started += 1;
            tokio::spawn(super::guard::run(slot, claimed));
        }
    }
    started
}

async fn handle(shared: &Arc<Shared>, cmd: Command) {
    match cmd {
        Command::SubmitCheck {
            registrant,
            data_source_id,
            reason,
            reply,
        } => {
            let r = match registrant {
                CheckSubject::New(new) => submit_now(shared, new, data_source_id, reason).await,
                existing => {
                    let r = submit(shared, existing, data_source_id, reason).await;
                    if let Ok(id) = &r {
                        shared.hub.emit(Event::CheckChanged {
                            check_id: *id,
                            data_source_id: Some(data_source_id),
                            state: CheckState::Ready,
                            result: None,
                        });
                    }
                    r
                }
            };
            if let Err(e) = &r {
                shared.hub.emit(Event::Error {
                    message: "The check was not queued.".into(),
                    detail: e.clone(),
                });
            }
            if let Some(reply) = reply {
                let _ = reply.send(r);
            }
        }
        Command::RunDue => {}
        Command::RetryCheck { check_id, reply } => {
            let actor = shared.actor();
            let r = shared
                .blocking(
                    move |s| match s.store.retry_check(check_id, &actor).map_err(|e| e.to_string())? {
                        true => Ok(()),
                        false => Err("only a failed check can be retried".to_string()),
                    },
                )
                .await;
            if r.is_ok() {
                let source = shared
                    .blocking(move |s| s.store.check(check_id).map_err(|e| e.to_string()))
                    .await
                    .ok()
                    .flatten()
                    .and_then(|c| c.data_source_id);
                shared.hub.emit(Event::CheckChanged {
                    check_id,
                    data_source_id: source,
                    state: CheckState::Ready,
                    result: None,
                });
            }
            if let Some(reply) = reply {
                let _ = reply.send(r);
            }
        }
        Command::TestSource { data_source_id } => {
            let s = shared.clone();
            tokio::spawn(async move {
                let outcome = batch::test_source(&s, data_source_id).await;
                s.hub.emit(Event::SourceTested {
                    data_source_id,
                    outcome,
                });
            });
        }
        Command::FetchSenderKeys { sender_row_id, reply } => {
            let s = shared.clone();
            tokio::spawn(async move {
                let timeout = s.config.request_timeout;
                let store = s.store.clone();
                let outcome = match super::supervisor::may_change_trust(&s) {
                    Ok(()) => trust::fetch_sender_keys(&store, sender_row_id, timeout, &s.actor()).await,
                    Err(e) => Err(e),
                };
                if outcome.is_ok() {
                    reload_config(&s).await;
                }
                s.hub.emit(Event::SenderKeysFetched {
                    sender_row_id,
                    outcome: outcome.clone(),
                });
                if let Some(reply) = reply {
                    let _ = reply.send(outcome);
                }
            });
        }
        Command::ReloadConfig => reload_config(shared).await,
        Command::Shutdown => {}
        other => {
            // The window's requests run beside the scheduler, never in its way.
            let s = shared.clone();
            tokio::spawn(async move { window_request(&s, other).await });
        }
    }
}

/// Answers one of the window's requests (see `requests`).
async fn window_request(shared: &Arc<Shared>, cmd: Command) {
    use super::requests as r;
    match cmd {
        Command::LoadHistory {
            filter,
            offset,
            limit,
            generation,
        } => r::load_history(shared, filter, offset, limit, generation).await,
        Command::LoadCheckDetail { check_id } => r::load_check_detail(shared, check_id).await,
        Command::LoadConfig => r::load_config(shared).await,
        Command::SaveDataSource { id, source, secret } => r::save_data_source(shared, id, source, secret).await,
        Command::DeleteDataSource { id } => r::delete_data_source(shared, id).await,
        Command::SaveSender { id, sender, sources } => r::save_sender(shared, id, sender, sources).await,
        Command::DeleteSender { id } => r::delete_sender(shared, id).await,
        Command::FetchJwks {
            url,
            sender_id,
            insecure_http,
        } => r::fetch_jwks_for_form(shared, url, sender_id, insecure_http).await,
        Command::SaveSettings {
            officer_name,
            office_sender_id,
        } => r::save_settings(shared, officer_name, office_sender_id).await,
        Command::GenerateOfficeKey => r::generate_office_key(shared).await,
        Command::EnsureDemoRegistry => super::demo::ensure(shared).await,
        Command::RunSampleChecks => super::demo::sample_checks(shared).await,
        Command::SetSupervisorPin { current, new } => super::supervisor::set_pin(shared, current, new).await,
        Command::SwitchRole { role, pin } => super::supervisor::switch_role(shared, role, pin).await,
        Command::LoadReviewQueue { offset, limit } => super::supervisor::load_queue(shared, offset, limit).await,
        Command::DecideReview(review) => super::supervisor::decide(shared, review).await,
        Command::CountBulkReview { filter, action } => super::supervisor::bulk_count(shared, filter, action).await,
        Command::BulkReview { filter, action } => super::supervisor::bulk(shared, filter, action).await,
        Command::PreviewRoster { path, settings } => super::roster::preview(shared, path, settings).await,
        Command::ImportRoster {
            path,
            mapping,
            data_source_id,
            reason,
            rejected_file,
        } => super::roster::import(shared, path, mapping, data_source_id, reason, rejected_file).await,
        Command::CancelImport => super::roster::cancel(shared),
        Command::LoadRosterChecks { roster_id } => super::roster::roster_checks(shared, roster_id).await,
        Command::ExportHistory { filter, path, reveal } => super::roster::export(shared, filter, path, reveal).await,
        _ => {}
    }
}

/// Reloads trusted keys and the office key, and forgets cached services.
pub(super) async fn reload_config(shared: &Arc<Shared>) {
    let r = shared
        .blocking(|s| {
            s.trust.replace(trust::trusted_keys(&s.store)?);
            let signer = trust::office_signer(&s.store, s.secrets.as_ref());
            if let Ok(mut services) = s.services.lock() {
                services.clear();
            }
            let signer = signer?;
            if let Ok(mut o) = s.office_signer.write() {
                *o = signer;
            }
            Ok(())
        })
        .await;
    if let Err(detail) = r {
        shared.hub.emit(Event::Error {
            message: "Requests will go out unsigned: the office signing key could not be loaded.".into(),
            detail,
        });
    }
}

/// Submits a new applicant's check and announces it (the sample checks use it).
pub(super) async fn submit_now(
    shared: &Arc<Shared>,
    registrant: crate::domain::NewRegistrant,
    data_source_id: i64,
    reason: SearchReason,
) -> Result<i64, String> {
    let id = submit(shared, CheckSubject::New(registrant), data_source_id, reason).await?;
    shared.hub.emit(Event::CheckChanged {
        check_id: id,
        data_source_id: Some(data_source_id),
        state: CheckState::Ready,
        result: None,
    });
    Ok(id)
}

async fn submit(
    shared: &Arc<Shared>,
    subject: CheckSubject,
    data_source_id: i64,
    reason: SearchReason,
) -> Result<i64, String> {
    let actor = shared.actor();
    let id = shared
        .blocking(move |s| {
            let source = s
                .store
                .data_source(data_source_id)
                .map_err(|e| e.to_string())?
                .ok_or("that data source does not exist")?;
            let registrant = match subject {
                CheckSubject::New(new) => s.store.insert_registrant(&new).map_err(|e| e.to_string())?,
                CheckSubject::Existing(id) => s
                    .store
                    .registrant(id)
                    .map_err(|e| e.to_string())?
                    .ok_or("that registrant does not exist")?,
            };
            let queries = plan::queries_for(&registrant);
            let first = registrant
                .identifiers
                .first()
                .ok_or("the registrant has no identifier")?;
            let check = s
                .store
                .insert_check(
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
                )
                .map_err(|e| e.to_string())?;
            Ok(check.id)
        })
        .await?;
    shared.wake.notify_one();
    Ok(id)
}
