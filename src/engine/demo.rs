//! The built-in demo registry: the sandbox IBR, started on a free loopback
//! port inside the engine's runtime, configured as a data source named
//! "Demo registry (built in)" with its sender trusted — so a new user can
//! run a check in the first minute, with no registry of their own.
//!
//! It is created on a first run (no data source yet) and started again at
//! every start while its data source exists. Removing the data source
//! removes it for good. It needs no credentials: it holds synthetic people
//! only, and a first run should not depend on the OS keyring.

use std::sync::Arc;

use super::event::Event;
use super::{Shared, requests, scheduler};
use crate::dci::PublicKey;
use crate::domain::{Algorithm, KeyOrigin, NewDataSource, NewIbrSender};
use crate::sandbox::{self, SandboxConfig};

/// The demo data source's name, shown everywhere it appears.
pub const DEMO_SOURCE_NAME: &str = "Demo registry (built in)";
/// The demo sender's name.
pub const DEMO_SENDER_NAME: &str = "Demo registry (built in)";
/// Set when the user removed the demo registry: it is not created again.
pub const SETTING_DEMO_REMOVED: &str = "demo.removed";

/// Starts the demo registry when it should run; see the module docs.
pub(super) async fn ensure(shared: &Arc<Shared>) {
    let outcome = start(shared).await;
    match outcome {
        Ok(None) => {}
        Ok(Some(id)) => {
            shared.hub.emit(Event::DemoRegistry { outcome: Ok(id) });
            scheduler::reload_config(shared).await;
            requests::load_config(shared).await;
            shared.wake.notify_one();
        }
        Err(e) => shared.hub.emit(Event::DemoRegistry { outcome: Err(e) }),
    }
}

async fn start(shared: &Arc<Shared>) -> Result<Option<i64>, String> {
    let (existing, first_run) = shared
        .blocking(|s| {
            let sources = s.store.data_sources().map_err(|e| e.to_string())?;
            let removed = s.store.setting(SETTING_DEMO_REMOVED).map_err(|e| e.to_string())?.is_some();
            let existing = sources.iter().find(|d| d.is_demo).cloned();
            Ok((existing, sources.is_empty() && !removed))
        })
        .await?;
    if existing.is_none() && !first_run {
        return Ok(None);
    }
    let mut demo = shared.demo.lock().await;
    if demo.is_none() {
        let handle = sandbox::start(SandboxConfig {
            require_token: false,
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
    let jwks_url = handle.jwks_url();
    let sender_id = handle.sender_id().to_string();
    let pem = handle
        .jwks()
        .keys
        .first()
        .ok_or("the demo registry has no key")
        .and_then(|k| PublicKey::from_jwk(k).map_err(|_| "the demo registry's key cannot be read"))?
        .to_pem();
    let kid = handle.jwks().keys.first().and_then(|k| k.kid.clone());
    let actor = shared.actor();
    let id = shared
        .blocking(move |s| {
            let source = match existing {
                Some(mut d) => {
                    d.base_url = base_url;
                    d.auth_url = None;
                    d.client_id = None;
                    s.store.update_data_source(&d).map_err(|e| e.to_string())?;
                    d
                }
                None => {
                    let d = s
                        .store
                        .insert_data_source(&NewDataSource {
                            is_demo: true,
                            ..NewDataSource::ibr(DEMO_SOURCE_NAME, &base_url)
                        })
                        .map_err(|e| e.to_string())?;
                    s.store
                        .append_audit(&actor, "demo_registry_created", None, &serde_json::json!({ "name": d.name }))
                        .map_err(|e| e.to_string())?;
                    d
                }
            };
            let sender = match s.store.sender_by_sender_id(&sender_id).map_err(|e| e.to_string())? {
                Some(mut sender) => {
                    sender.jwks_url = Some(jwks_url);
                    s.store.update_sender(&sender).map_err(|e| e.to_string())?;
                    sender
                }
                None => s
                    .store
                    .insert_sender(&NewIbrSender {
                        name: DEMO_SENDER_NAME.to_string(),
                        sender_id: sender_id.clone(),
                        public_key_pem: None,
                        jwks_url: Some(jwks_url),
                        algorithm: Algorithm::Ed25519,
                        active: true,
                    })
                    .map_err(|e| e.to_string())?,
            };
            s.store
                .add_sender_key(sender.id, kid.as_deref(), Algorithm::Ed25519, &pem, KeyOrigin::Jwks, chrono::Utc::now())
                .map_err(|e| e.to_string())?;
            Ok(source.id)
        })
        .await?;
    Ok(Some(id))
}

/// Stops the demo registry (at shutdown).
pub(super) async fn stop(shared: &Arc<Shared>) {
    if let Some(h) = shared.demo.lock().await.take() {
        h.shutdown().await;
    }
}
