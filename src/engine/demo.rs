//! The built-in demo registry: the sandbox IBR, started on a free loopback
//! port inside the engine's runtime, configured as a data source named
//! "Demo registry (built in)" with its sender trusted — so a new user can
//! run a check in the first minute, with no registry of their own.
//!
//! It is created on a first run (no data source yet) and started again at
//! every start while its data source exists. Removing the data source
//! removes it for good, with its sender and its key. It needs no
//! credentials: it holds synthetic people only, and a first run should not
//! depend on the OS keyring.
//!
//! Its signing key is random, made at the first run and kept in the data
//! directory ([`DEMO_KEY_FILE`], owner-only) — never derived from its
//! population seed, which anyone can read, so nobody can forge its replies.
//! Its sender trusts exactly that key, for the demo data source only; keys
//! an older version trusted (derived from the seed) are removed at start.
//! This setup is the system's own and needs no supervisor.

use std::path::PathBuf;
use std::sync::Arc;

use super::command::CheckSubject;
use super::event::{ChecksChanged, Event};
use super::{Shared, config, queue};
use crate::dci::PrivateKey;
use crate::domain::{Algorithm, EngineError, ErrorKind, NewDataSource, NewIbrSender};
use crate::sandbox::{self, SANDBOX_SENDER_ID, SandboxConfig, signing_key};
use crate::store::Store;

/// The demo data source's name, shown everywhere it appears.
pub const DEMO_SOURCE_NAME: &str = "Demo registry (built in)";
/// The demo sender's name.
pub const DEMO_SENDER_NAME: &str = "Demo registry (built in)";
pub use super::config::SETTING_DEMO_REMOVED;
/// The demo registry's private signing key (PKCS#8 PEM, 0600), beside the database.
pub const DEMO_KEY_FILE: &str = "demo-registry-key.pem";
/// Who sets the demo registry up, in the audit log.
const SYSTEM: &str = "system";

/// Where the demo registry's key is kept (`None` for a database in memory,
/// whose demo gets a new key at every start).
fn key_path(store: &Store) -> Option<PathBuf> {
    store.path().and_then(|p| p.parent()).map(|dir| dir.join(DEMO_KEY_FILE))
}

/// The demo registry's key: read from its file, or made (and kept) now.
fn demo_key(store: &Store) -> Result<PrivateKey, String> {
    let key = match key_path(store) {
        Some(path) => {
            let file = signing_key::load_or_create(&path).map_err(|e| e.to_string())?;
            if file.created {
                tracing::info!(path = %path.display(), "made the demo registry's signing key");
            }
            file.key
        }
        None => signing_key::random_key().map_err(|e| e.to_string())?,
    };
    Ok(key)
}

/// Deletes the demo registry's key file (it was removed: nothing may sign
/// as it again). Best effort: a key left behind is trusted by no one.
pub fn forget_key(store: &Store) {
    if let Some(path) = key_path(store)
        && let Err(e) = std::fs::remove_file(&path)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!(path = %path.display(), "the removed demo registry's key file could not be deleted: {e}");
    }
}

/// Starts the demo registry when it should run; see the module docs.
/// Answers with the demo's data source, or `None` when it is not to run.
pub(super) async fn ensure(shared: &Arc<Shared>) -> Result<Option<i64>, EngineError> {
    let outcome = start(shared).await;
    match &outcome {
        Ok(None) => {}
        Ok(Some(id)) => {
            shared.hub.emit(Event::DemoRegistry { outcome: Ok(*id) });
            config::changed(shared).await;
            shared.wake.notify_one();
        }
        Err(e) => shared.hub.emit(Event::DemoRegistry {
            outcome: Err(e.clone()),
        }),
    }
    outcome.map_err(|e| EngineError::new(ErrorKind::Internal, "The built-in demo registry did not start.", e))
}

async fn start(shared: &Arc<Shared>) -> Result<Option<i64>, String> {
    let (existing, first_run) = shared
        .blocking(|s| {
            let sources = s.store.data_sources().map_err(|e| e.to_string())?;
            let removed = s
                .store
                .setting(SETTING_DEMO_REMOVED)
                .map_err(|e| e.to_string())?
                .is_some();
            let existing = sources.iter().find(|d| d.is_demo).cloned();
            Ok((existing, sources.is_empty() && !removed))
        })
        .await?;
    if existing.is_none() && !first_run {
        return Ok(None);
    }
    let key = shared.blocking(|s| demo_key(&s.store)).await?;
    let pem = key.public_key().to_pem();
    let mut demo = shared.demo.lock().await;
    if demo.is_none() {
        let handle = sandbox::start(SandboxConfig {
            require_token: false,
            signing_key: Some(key),
            ..SandboxConfig::default()
        })
        .await
        .map_err(|e| format!("the demo registry could not start: {e}"))?;
        *demo = Some(handle);
    }
    let Some(handle) = demo.as_ref() else {
        return Err("the demo registry could not start".into());
    };
    let base_url = handle.base_url();
    let id = shared
        .blocking(move |s| {
            let (source, created) = match existing {
                Some(mut d) => {
                    d.base_url = base_url;
                    d.auth_url = None;
                    d.client_id = None;
                    s.store.update_data_source(&d).map_err(|e| e.to_string())?;
                    (d, false)
                }
                None => {
                    let new = NewDataSource {
                        is_demo: true,
                        ..NewDataSource::ibr(DEMO_SOURCE_NAME, &base_url)
                    };
                    // The demo needs no client secret.
                    let source = s
                        .store
                        .add_data_source(&new, SYSTEM, |_| Ok(()))
                        .map_err(|e| e.to_string())?;
                    (source, true)
                }
            };
            trust_demo_key(&s.store, source.id, created, &pem)?;
            Ok(source.id)
        })
        .await?;
    Ok(Some(id))
}

/// The demo's sender trusts exactly the demo's key: created with it (for the
/// demo source only), or left with it alone — keys it had before, derived
/// from a public seed by older versions, are removed.
fn trust_demo_key(store: &Store, source_id: i64, source_created: bool, pem: &str) -> Result<(), String> {
    match store
        .sender_by_sender_id(SANDBOX_SENDER_ID)
        .map_err(|e| e.to_string())?
    {
        None => {
            store
                .insert_sender(
                    &NewIbrSender {
                        name: DEMO_SENDER_NAME.to_string(),
                        sender_id: SANDBOX_SENDER_ID.to_string(),
                        public_key_pem: Some(pem.to_string()),
                        jwks_url: None,
                        algorithm: Algorithm::Ed25519,
                        active: true,
                        insecure_http: false,
                    },
                    &[source_id],
                    SYSTEM,
                )
                .map_err(|e| e.to_string())?;
        }
        Some(sender) => {
            if store
                .replace_sender_keys(sender.id, pem, Algorithm::Ed25519, SYSTEM)
                .map_err(|e| e.to_string())?
            {
                tracing::info!("the demo registry's sender now trusts only the demo registry's own key");
            }
            if source_created {
                store
                    .set_sender_link(sender.id, source_id, true, SYSTEM)
                    .map_err(|e| e.to_string())?;
            }
        }
    }
    Ok(())
}

/// Submits sample applicants of each kind against the demo registry: some
/// the registry holds as they are (confirmed), some it holds otherwise
/// (graduated, deceased, a birth date typed wrong, the same name and birth
/// date under a new number: possible), and some it does not know (no match).
/// Answers with how many were queued.
pub(super) async fn sample_checks(shared: &Arc<Shared>) -> Result<usize, EngineError> {
    let applicants = {
        let demo = shared.demo.lock().await;
        let Some(h) = demo.as_ref() else {
            return Err(EngineError::new(
                ErrorKind::NotFound,
                "The demo registry is not running.",
                "sample checks need the built-in demo registry",
            ));
        };
        sample_applicants(h.population())
    };
    let source = shared
        .blocking(|s| {
            Ok(s.store
                .data_sources()
                .map_err(|e| e.to_string())?
                .into_iter()
                .find(|d| d.is_demo))
        })
        .await;
    let source = source
        .map_err(|e| EngineError::of(ErrorKind::Store, e))?
        .ok_or_else(|| EngineError::not_found("the demo registry has no data source"))?;
    let mut ids = Vec::new();
    for a in applicants {
        let id = queue::submit(
            shared,
            CheckSubject::New(a),
            source.id,
            crate::domain::SearchReason::Application,
        )
        .await
        .map_err(|e| e.saying("A sample check could not be queued."))?;
        ids.push(id);
    }
    queue::changed(shared, ChecksChanged::new(ids.iter().copied(), [source.id]));
    Ok(ids.len())
}

fn sample_applicants(pop: &crate::sandbox::population::Population) -> Vec<crate::domain::NewRegistrant> {
    use crate::domain::{IdType, Identifier, NewRegistrant};
    let s = pop.samples();
    let person = |id: &Identifier| {
        pop.find_by_identifier(&id.id_type, &id.value)
            .first()
            .and_then(|&i| pop.get(i))
    };
    let as_applicant = |p: &crate::sandbox::population::Person| NewRegistrant {
        given_name: Some(p.given_name.clone()),
        surname: Some(p.surname.clone()),
        birth_date: Some(p.birth_date),
        sex: Some(p.sex.clone()),
        identifiers: p
            .identifiers()
            .into_iter()
            .filter(|i| i.id_type != IdType::Drn)
            .take(2)
            .collect(),
    };
    let mut out = Vec::new();
    for id in s.active_single.iter().take(2).chain(s.active_multi.iter().take(1)) {
        if let Some(p) = person(id) {
            out.push(as_applicant(p));
        }
    }
    for id in s.graduated.iter().take(1).chain(s.deceased.iter().take(1)) {
        if let Some(p) = person(id) {
            out.push(as_applicant(p));
        }
    }
    if let Some(p) = s.active_single.get(2).and_then(person) {
        let mut a = as_applicant(p);
        a.birth_date = p.birth_date.succ_opt();
        out.push(a);
    }
    if let (Some(t), Some(new_uin)) = (s.near_twins.first(), s.not_enrolled.first()) {
        out.push(NewRegistrant {
            given_name: Some(t.given_name.clone()),
            surname: Some(t.surname.clone()),
            birth_date: Some(t.birth_date),
            sex: None,
            identifiers: vec![new_uin.clone()],
        });
    }
    for (i, id) in s.not_enrolled.iter().skip(1).take(2).enumerate() {
        out.push(NewRegistrant {
            given_name: Some(["Adaeze", "Tomás"][i % 2].to_string()),
            surname: Some(["Okonkwo", "Quispe"][i % 2].to_string()),
            birth_date: chrono::NaiveDate::from_ymd_opt(1988 + i as i32, 4, 12),
            sex: None,
            identifiers: vec![id.clone()],
        });
    }
    out
}

/// Stops the demo registry (at shutdown).
pub(super) async fn stop(shared: &Arc<Shared>) {
    if let Some(h) = shared.demo.lock().await.take() {
        h.shutdown().await;
    }
}
