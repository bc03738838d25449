//! One batch: the claimed checks of one data source, sent as one DCI
//! message, and their outcome written back in one transaction.

use std::sync::Arc;

use chrono::Utc;

use super::Shared;
use super::event::{ChecksChanged, Event};
use crate::dci::Secret;
use crate::domain::{CheckCompletion, DataSource, DuplicationCheck, EngineError, ErrorKind};
use crate::ibr::{CheckFailure, ConnectionReport, IbrService, PlannedCheck, SourceConnection, new_transaction_id};
use crate::secrets::SecretError;

/// Why no service could be built for a source.
enum ServiceError {
    /// The configuration cannot work until a person changes it.
    Permanent(String),
    /// The keyring did not answer; try again later.
    Transient(String),
}

/// The cached service of a source, rebuilt when its configuration changed.
async fn service(shared: &Arc<Shared>, source: &DataSource, fresh: bool) -> Result<Arc<IbrService>, ServiceError> {
    if !fresh
        && let Ok(services) = shared.services.lock()
        && let Some((cfg, svc)) = services.get(&source.id)
        && cfg == source
    {
        return Ok(svc.clone());
    }
    let secret = if source.auth_url.is_some() {
        let key = source.secret_key(&shared.installation);
        let r = shared
            .blocking(move |s| Ok(s.secrets.get(&key)))
            .await
            .map_err(ServiceError::Permanent)?;
        match r {
            Ok(s) => s.map(Secret::from),
            Err(e @ (SecretError::TimedOut { .. } | SecretError::Locked)) => {
                return Err(ServiceError::Transient(e.to_string()));
            }
            Err(e) => return Err(ServiceError::Permanent(e.to_string())),
        }
    } else {
        None
    };
    let office_sender_id = {
        let store = shared.store.clone();
        shared
            .blocking(move |_| Ok(super::trust::office_sender_id(&store)))
            .await
            .map_err(ServiceError::Permanent)?
    };
    let signer = shared.office_signer.read().ok().and_then(|s| s.clone());
    let svc = IbrService::new(SourceConnection {
        source: source.clone(),
        client_secret: secret,
        trusted_keys: shared.trust.for_source(source.id),
        office_sender_id,
        office_signer: signer,
        timeout: shared.config.request_timeout,
    })
    .map_err(|e| ServiceError::Permanent(e.to_string()))?;
    let svc = Arc::new(svc);
    if let Ok(mut services) = shared.services.lock() {
        services.insert(source.id, (source.clone(), svc.clone()));
    }
    Ok(svc)
}

/// "Test connection": a fresh service, a token, a harmless search.
pub(super) async fn test_source(shared: &Arc<Shared>, source_id: i64) -> Result<ConnectionReport, EngineError> {
    let source = shared
        .run_blocking(move |s| Ok(s.store.data_source(source_id)?))
        .await?
        .ok_or_else(|| EngineError::not_found("that data source no longer exists"))?;
    let svc = match service(shared, &source, true).await {
        Ok(s) => s,
        Err(ServiceError::Permanent(m)) => return Err(EngineError::of(ErrorKind::Config, m)),
        Err(ServiceError::Transient(m)) => return Err(EngineError::of(ErrorKind::Keyring, m)),
    };
    let r = svc.test_connection().await;
    emit_status(shared, &source, r.as_ref().map(|_| ()).map_err(ToString::to_string));
    r.map_err(EngineError::from)
}

fn emit_status(shared: &Shared, source: &DataSource, outcome: Result<(), String>) {
    let (online, detail) = match outcome {
        Ok(()) => (true, "answered".to_string()),
        Err(e) => (false, e),
    };
    shared.hub.emit(Event::SourceStatus {
        data_source_id: source.id,
        online,
        detail,
        at: Utc::now(),
    });
}

/// Runs one batch and records its outcome.
pub(super) async fn run(shared: &Arc<Shared>, source_id: i64, checks: Vec<DuplicationCheck>) {
    #[cfg(test)]
    super::failpoint::hit(&checks);
    let source = match shared
        .blocking(move |s| s.store.data_source(source_id).map_err(|e| e.to_string()))
        .await
    {
        Ok(Some(s)) => s,
        Ok(None) => {
            fail_all(shared, &checks, ErrorKind::Config, "the data source was removed", None).await;
            return;
        }
        Err(e) => {
            requeue(shared, &checks, ErrorKind::Store, &e, false).await;
            return;
        }
    };
    let svc = match service(shared, &source, false).await {
        Ok(s) => s,
        Err(ServiceError::Permanent(m)) => {
            fail_all(shared, &checks, ErrorKind::Config, &m, None).await;
            finished(shared, &source, 0, checks.len(), 0);
            return;
        }
        Err(ServiceError::Transient(m)) => {
            let n = requeue(shared, &checks, ErrorKind::Keyring, &m, false).await;
            finished(shared, &source, 0, checks.len() - n, n);
            return;
        }
    };
    let planned: Vec<PlannedCheck> = checks
        .iter()
        .map(|c| PlannedCheck {
            check_id: c.id,
            applicant: c.applicant.clone(),
            queries: c.queries.clone(),
        })
        .collect();
    let transaction_id = new_transaction_id();
    match svc.run_checks(&transaction_id, &planned).await {
        Ok(outcome) => {
            emit_status(shared, &source, Ok(()));
            let mut done: Vec<(i64, CheckCompletion)> = Vec::new();
            let mut failed: Vec<(i64, String, String)> = Vec::new();
            for (id, r) in outcome.results {
                match r {
                    Ok(c) => done.push((id, c)),
                    Err(CheckFailure { kind, message }) => failed.push((id, kind.as_str().to_string(), message)),
                }
            }
            let notice = ChecksChanged::new(
                done.iter()
                    .map(|(id, _)| *id)
                    .chain(failed.iter().map(|(id, _, _)| *id)),
                [source_id],
            );
            let (n_done, n_failed) = (done.len(), failed.len());
            let actor = shared.actor();
            let tx = transaction_id.clone();
            let r = shared
                .blocking(move |s| {
                    s.store.complete_checks(&done, &actor).map_err(|e| e.to_string())?;
                    if !failed.is_empty() {
                        s.store
                            .fail_checks(&failed, Some(&tx), &actor)
                            .map_err(|e| e.to_string())?;
                    }
                    Ok(())
                })
                .await;
            match r {
                Ok(()) => {
                    shared.hub.emit(Event::ChecksChanged(notice));
                    finished(shared, &source, n_done, n_failed, 0);
                }
                Err(e) => {
                    // Nothing was written (one transaction): the checks stay
                    // `checking` and go back to the queue at the next start,
                    // or now if the store recovers.
                    shared.hub.emit(Event::Error(EngineError::new(
                        ErrorKind::Store,
                        "Results could not be saved; the checks will run again.",
                        e.clone(),
                    )));
                    requeue(shared, &checks, ErrorKind::Store, &e, false).await;
                }
            }
        }
        Err(e) if e.is_transient() => {
            emit_status(shared, &source, Err(e.to_string()));
            let n = requeue(shared, &checks, e.kind(), &e.to_string(), e.is_offline()).await;
            finished(shared, &source, 0, checks.len() - n, n);
        }
        Err(e) => {
            emit_status(shared, &source, Err(e.to_string()));
            fail_all(shared, &checks, e.kind(), &e.to_string(), Some(&transaction_id)).await;
            finished(shared, &source, 0, checks.len(), 0);
        }
    }
}

fn finished(shared: &Shared, source: &DataSource, completed: usize, failed: usize, requeued: usize) {
    shared.hub.emit(Event::BatchFinished {
        data_source_id: source.id,
        data_source_name: source.name.clone(),
        completed,
        failed,
        requeued,
    });
}

async fn fail_all(
    shared: &Arc<Shared>,
    checks: &[DuplicationCheck],
    kind: ErrorKind,
    message: &str,
    txn: Option<&str>,
) {
    let rows: Vec<(i64, String, String)> = checks
        .iter()
        .map(|c| (c.id, kind.as_str().to_string(), message.to_string()))
        .collect();
    let actor = shared.actor();
    let txn = txn.map(str::to_string);
    let r = shared
        .blocking(move |s| {
            s.store
                .fail_checks(&rows, txn.as_deref(), &actor)
                .map_err(|e| e.to_string())
        })
        .await;
    match r {
        Ok(_) => shared.hub.emit(Event::ChecksChanged(notice_of(checks))),
        Err(e) => shared.hub.emit(Event::Error(EngineError::new(
            ErrorKind::Store,
            "A failed check could not be recorded; it will run again.",
            e,
        ))),
    }
}

/// Puts checks back in the queue with a backoff, or fails those that have
/// used up their attempts. Returns how many were requeued.
async fn requeue(
    shared: &Arc<Shared>,
    checks: &[DuplicationCheck],
    kind: ErrorKind,
    message: &str,
    offline: bool,
) -> usize {
    let policy = shared.config.retry;
    let (again, give_up): (Vec<&DuplicationCheck>, Vec<&DuplicationCheck>) =
        checks.iter().partition(|c| policy.may_retry(c.attempts, offline));
    let attempts = again.iter().map(|c| c.attempts).max().unwrap_or(1);
    let next = Utc::now() + policy.delay(attempts, offline);
    let ids: Vec<i64> = again.iter().map(|c| c.id).collect();
    let n = ids.len();
    let (k, m) = (kind.as_str().to_string(), message.to_string());
    let r = shared
        .blocking(move |s| {
            s.store
                .requeue_checks(&ids, next, Some((&k, &m)))
                .map_err(|e| e.to_string())
        })
        .await;
    if let Err(e) = r {
        shared.hub.emit(Event::Error(EngineError::new(
            ErrorKind::Store,
            "Checks could not be put back in the queue; they will run at the next start.",
            e,
        )));
    } else {
        let again: Vec<DuplicationCheck> = again.iter().map(|c| (*c).clone()).collect();
        shared.hub.emit(Event::ChecksChanged(notice_of(&again)));
    }
    if !give_up.is_empty() {
        let owned: Vec<DuplicationCheck> = give_up.into_iter().cloned().collect();
        let msg = format!("{message} (gave up after {} attempts)", policy.max_error_attempts);
        fail_all(shared, &owned, kind, &msg, None).await;
    }
    n
}

/// One notice for a set of checks.
fn notice_of(checks: &[DuplicationCheck]) -> ChecksChanged {
    ChecksChanged::new(
        checks.iter().map(|c| c.id),
        checks.iter().filter_map(|c| c.data_source_id),
    )
}
