//! The engine's configuration: the settings keys, reading the configuration
//! as the window shows it, and reloading what the engine holds in memory
//! (trusted keys, the office key, cached services) after a change.
//!
//! Why here: these were in whichever file first needed them (the PIN key in
//! `supervisor`, the officer's name in `requests`, reloading in the
//! scheduler), so those files depended on each other in a circle.

use std::sync::Arc;

use super::event::{ConfigSnapshot, Event, SourceInfo};
use super::{Shared, trust};
use crate::dci::Jwks;
use crate::domain::{EngineError, ErrorKind};

/// The settings keys (defined with the store's use cases that write them).
pub use crate::store::{
    SETTING_DEMO_REMOVED, SETTING_OFFICE_KEY_ID, SETTING_OFFICE_SENDER_ID, SETTING_OFFICER_NAME, SETTING_SUPERVISOR_PIN,
};

/// Reloads trusted keys and the office key, and forgets cached services.
pub(super) async fn reload(shared: &Arc<Shared>) -> Result<(), EngineError> {
    shared
        .run_blocking(|s| {
            s.trust
                .replace(trust::trusted_keys(&s.store).map_err(EngineError::from)?);
            let signer = trust::office_signer(&s.store, s.secrets.as_ref());
            if let Ok(mut services) = s.services.lock() {
                services.clear();
            }
            let signer = signer.map_err(|e| EngineError::of(ErrorKind::Keyring, e))?;
            if let Ok(mut o) = s.office_signer.write() {
                *o = signer;
            }
            Ok(())
        })
        .await
        .map_err(|e| e.saying("Requests will go out unsigned: the office signing key could not be loaded."))
}

/// After a change: reloads, then tells every subscriber the new configuration.
pub(super) async fn changed(shared: &Arc<Shared>) {
    if let Err(e) = reload(shared).await {
        shared.hub.emit(Event::Error(e));
    }
    announce(shared).await;
}

/// Tells every subscriber the configuration as it is now.
pub(super) async fn announce(shared: &Arc<Shared>) {
    match shared.run_blocking(snapshot).await {
        Ok(c) => shared.hub.emit(Event::Config(Box::new(c))),
        Err(e) => shared
            .hub
            .emit(Event::Error(e.saying("The configuration could not be read."))),
    }
}

/// The configuration as the window shows it (never a secret: only whether one is stored).
pub(super) fn snapshot(s: &Shared) -> Result<ConfigSnapshot, EngineError> {
    let revision = s.config_revision.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
    let keyring = s
        .secrets
        .get(crate::secrets::PROBE_KEY)
        .map(|_| s.secrets.describe())
        .map_err(|e| e.to_string());
    let keyring_usable = keyring.is_ok();
    let mut sources = Vec::new();
    for source in s.store.data_sources()? {
        let secret_stored = if source.auth_url.is_some() && keyring_usable {
            s.secrets
                .get(&source.secret_key(&s.installation))
                .ok()
                .map(|v| v.is_some())
        } else {
            None
        };
        sources.push(SourceInfo { source, secret_stored });
    }
    let mut senders = Vec::new();
    for sender in s.store.senders()? {
        let keys = s.store.sender_keys(sender.id)?;
        senders.push((sender, keys));
    }
    let sender_links = s.store.sender_links()?;
    let signer = s.office_signer.read().ok().and_then(|o| o.clone());
    let office_jwks = signer.as_ref().and_then(|sg| {
        serde_json::to_string_pretty(&Jwks {
            keys: vec![sg.public_key().to_jwk(&sg.kid())],
        })
        .ok()
    });
    Ok(ConfigSnapshot {
        revision,
        sources,
        senders,
        sender_links,
        officer_name: s.actor(),
        office_sender_id: super::trust::office_sender_id(&s.store),
        office_kid: signer.map(|sg| sg.kid()),
        office_jwks,
        keyring,
        supervisor_pin_set: s.store.setting(SETTING_SUPERVISOR_PIN)?.is_some(),
    })
}
