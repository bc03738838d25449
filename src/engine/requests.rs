//! The configuration use cases: saving and removing data sources and trusted
//! senders, fetching a JWKS for a form, the office's settings and signing
//! key. Each runs off the window's thread (the store on blocking threads,
//! the keyring on its own) and returns what to tell its sender; after a
//! change every subscriber hears the new configuration.
//!
//! Saving or removing a data source or a trusted sender, and fetching a
//! sender's key, change whose answers the office believes: the engine
//! refuses them unless it acts as a supervisor (`supervisor`), and the store
//! writes each with its audit line in one transaction.

use std::sync::Arc;

use chrono::Utc;

use super::command::{Said, SecretChange};
use super::event::FetchedKey;
use super::{Shared, config, supervisor, trust};
use crate::dci::client::fetch_jwks;
use crate::dci::{Kid, PublicKey};
use crate::domain::{EngineError, ErrorKind, NewDataSource, NewIbrSender};
use secrecy::ExposeSecret as _;

pub(super) async fn save_data_source(
    shared: &Arc<Shared>,
    id: Option<i64>,
    new: NewDataSource,
    secret: SecretChange,
) -> Result<Said, EngineError> {
    supervisor::may_change_trust(shared)?;
    let actor = shared.actor();
    let r = shared
        .run_blocking(move |s| {
            new.validate()?;
            // The secret is part of the change: stored (or cleared) inside
            // its transaction, so a keyring that refuses leaves nothing saved.
            let keyring_step = |source: &crate::domain::DataSource| {
                let key = source.secret_key(&s.installation);
                let r = match &secret {
                    SecretChange::Set(v) => s.secrets.set(&key, v.expose_secret()),
                    SecretChange::Clear => s.secrets.delete(&key),
                    // A new source starts with no secret but its own: clear
                    // what a removed source with the same ID may have left.
                    SecretChange::Keep if id.is_none() && source.auth_url.is_some() => {
                        let _ = s.secrets.delete(&key);
                        Ok(())
                    }
                    SecretChange::Keep => Ok(()),
                };
                r.map_err(|e| format!("the client secret could not be saved in the keyring: {e}"))
            };
            let source = match id {
                None => s.store.add_data_source(&new, &actor, keyring_step)?,
                Some(id) => {
                    let old = s
                        .store
                        .data_source(id)?
                        .ok_or_else(|| EngineError::not_found("that data source no longer exists"))?;
                    let updated = crate::domain::DataSource {
                        name: new.name.clone(),
                        registry_type: new.registry_type.clone(),
                        base_url: new.base_url.clone(),
                        auth_url: new.auth_url.clone(),
                        client_id: new.client_id.clone(),
                        path_prefix: new.path_prefix.clone(),
                        mode: new.mode,
                        allow_unsigned: new.allow_unsigned,
                        active: new.active,
                        insecure_http: new.insecure_http,
                        limits: new.limits,
                        ..old
                    };
                    s.store.change_data_source(&updated, &actor, keyring_step)?;
                    updated
                }
            };
            Ok(source.name)
        })
        .await;
    let name = r.map_err(|e| e.saying("The data source was not saved."))?;
    config::changed(shared).await;
    shared.wake.notify_one();
    Ok(format!("Saved data source “{name}”."))
}

pub(super) async fn delete_data_source(shared: &Arc<Shared>, id: i64) -> Result<Said, EngineError> {
    supervisor::may_change_trust(shared)?;
    let actor = shared.actor();
    let r = shared
        .run_blocking(move |s| {
            let removal = s.store.delete_data_source(id, &actor, |source| {
                s.secrets
                    .delete(&source.secret_key(&s.installation))
                    .map_err(|e| e.to_string())
            })?;
            if removal.was_demo {
                super::demo::forget_key(&s.store);
            }
            if let Some(e) = &removal.secret_left {
                tracing::warn!("the removed data source's client secret is still in the keyring: {e}");
            }
            Ok(removal)
        })
        .await;
    let removal = r.map_err(|e| e.saying("The data source was not removed."))?;
    {
        {
            if removal.was_demo {
                super::demo::stop(shared).await;
            }
            let mut message = format!("Removed “{}”", removal.name);
            if !removal.removed_senders.is_empty() {
                message.push_str(" and its trusted sender");
            }
            if removal.failed_checks > 0 {
                message.push_str(&format!("; {} queued check(s) failed", removal.failed_checks));
            }
            message.push('.');
            config::changed(shared).await;
            Ok(message)
        }
    }
}

pub(super) async fn save_sender(
    shared: &Arc<Shared>,
    id: Option<i64>,
    new: NewIbrSender,
    sources: Vec<i64>,
) -> Result<Said, EngineError> {
    supervisor::may_change_trust(shared)?;
    let actor = shared.actor();
    let linked = !sources.is_empty();
    let r = shared
        .run_blocking(move |s| {
            new.validate()?;
            trust::check_pasted_key(&new)?;
            let name = match id {
                None => s.store.insert_sender(&new, &sources, &actor)?.name,
                Some(id) => {
                    let old = s
                        .store
                        .sender(id)?
                        .ok_or_else(|| EngineError::not_found("that sender no longer exists"))?;
                    let updated = crate::domain::IbrSender {
                        name: new.name.clone(),
                        sender_id: new.sender_id.clone(),
                        public_key_pem: new.public_key_pem.clone().filter(|p| !p.trim().is_empty()),
                        jwks_url: new.jwks_url.clone().filter(|u| !u.trim().is_empty()),
                        algorithm: new.algorithm,
                        active: new.active,
                        insecure_http: new.insecure_http,
                        ..old
                    };
                    s.store.update_sender(&updated, &sources, &actor)?;
                    updated.name
                }
            };
            Ok(name)
        })
        .await;
    let name = r.map_err(|e| e.saying("The sender was not saved."))?;
    config::changed(shared).await;
    {
        {
            Ok(if linked {
                format!("Saved trusted sender “{name}”.")
            } else {
                format!(
                    "Saved trusted sender “{name}”. It is linked to no data source: its signatures are not trusted \
                         anywhere."
                )
            })
        }
    }
}

pub(super) async fn delete_sender(shared: &Arc<Shared>, id: i64) -> Result<Said, EngineError> {
    supervisor::may_change_trust(shared)?;
    let actor = shared.actor();
    let r = shared
        .run_blocking(move |s| {
            let sender = s
                .store
                .sender(id)?
                .ok_or_else(|| EngineError::not_found("that sender no longer exists"))?;
            s.store.delete_sender(id, &actor)?;
            Ok(sender.name)
        })
        .await;
    let name = r.map_err(|e| e.saying("The sender was not removed."))?;
    config::changed(shared).await;
    Ok(format!("Removed trusted sender “{name}”."))
}

/// Fetches a JWKS and picks the first signing key whose kid names the sender
/// (as the seed's "Fetch public key" does), reporting how many there are.
/// Supervisor only; a plain http:// URL to another computer only when the
/// form allows unencrypted http.
pub(super) async fn fetch_jwks_for_form(
    shared: &Arc<Shared>,
    url: String,
    sender_id: String,
    insecure_http: bool,
) -> Result<FetchedKey, EngineError> {
    let outcome: Result<FetchedKey, EngineError> = async {
        supervisor::may_change_trust(shared)?;
        crate::domain::validate_sender_id(&sender_id)?;
        NewIbrSender {
            name: "JWKS".into(),
            sender_id: sender_id.clone(),
            public_key_pem: None,
            jwks_url: Some(url.clone()),
            algorithm: crate::domain::Algorithm::Ed25519,
            active: true,
            insecure_http,
        }
        .validate()?;
        let jwks = fetch_jwks(&url, shared.config.request_timeout).await?;
        let prefix = format!("{sender_id}|");
        let mine: Vec<_> = jwks
            .keys
            .iter()
            .filter(|k| k.kid.as_deref().is_some_and(|kid| kid.starts_with(&prefix)))
            .filter(|k| k.use_.as_deref().is_none_or(|u| u == "sig"))
            .collect();
        let first = mine.first().ok_or_else(|| {
            format!(
                "the JWKS at {url} has no signing key whose kid starts with {prefix:?} ({} key(s) in it)",
                jwks.keys.len()
            )
        })?;
        let key = PublicKey::from_jwk(first).map_err(|e| EngineError::invalid(e.to_string()))?;
        let kid = first.kid.clone().unwrap_or_default();
        let algorithm = Kid::parse(&kid)
            .ok()
            .and_then(|k| k.algorithm.parse().ok())
            .unwrap_or(key.algorithm());
        Ok(FetchedKey {
            pem: key.to_pem(),
            algorithm,
            kid,
            fetched_at: Utc::now(),
            keys_for_sender: mine.len(),
        })
    }
    .await;
    outcome.map_err(|e| e.saying("No key was fetched."))
}

pub(super) async fn save_settings(
    shared: &Arc<Shared>,
    officer_name: String,
    office_sender_id: String,
) -> Result<Said, EngineError> {
    let r = shared
        .run_blocking(move |s| {
            let officer = officer_name.trim().to_string();
            let settings = crate::store::OfficeSettings {
                officer_name: Some(officer.clone()),
                office_sender_id,
            };
            s.store.save_settings(&settings, &officer)?;
            if let Ok(mut a) = s.actor.write() {
                *a = officer;
            }
            Ok(())
        })
        .await;
    r.map_err(|e| e.saying("The settings were not saved."))?;
    config::changed(shared).await;
    Ok("Settings saved.".into())
}

pub(super) async fn generate_office_key(shared: &Arc<Shared>) -> Result<Said, EngineError> {
    let r = shared
        .run_blocking(|s| {
            trust::generate_office_key(&s.store, s.secrets.as_ref())
                .map(|sg| sg.kid())
                .map_err(|e| EngineError::of(ErrorKind::Keyring, e))
        })
        .await;
    let kid = r.map_err(|e| e.saying("No signing key was generated."))?;
    config::changed(shared).await;
    Ok(format!("Generated the office signing key {kid}."))
}
