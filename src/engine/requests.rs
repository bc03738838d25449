//! The window's requests: reading pages and details, saving configuration.
//! Every one runs off the window's thread (the store on blocking threads,
//! the keyring on its own), and answers with an [`Event`].
//!
//! Saving or removing a data source or a trusted sender, and fetching a
//! sender's key, change whose answers the office believes: the engine
//! refuses them unless it acts as a supervisor (`supervisor`), and the store
//! writes each with its audit line in one transaction.

use std::sync::Arc;

use chrono::Utc;

use super::command::SecretChange;
use super::event::{CheckDetail, ConfigSnapshot, Event, FetchedKey, SourceInfo};
use super::{Shared, scheduler, supervisor, trust};
use crate::dci::client::fetch_jwks;
use crate::dci::{Jwks, Kid, PublicKey};
use crate::domain::{CheckFilter, NewDataSource, NewIbrSender};
use secrecy::ExposeSecret as _;

/// Settings key of the officer's name (recorded in the audit log).
pub const SETTING_OFFICER_NAME: &str = "officer.name";

/// Sends the error as an event with a sentence.
fn report(shared: &Shared, message: &str, r: Result<(), String>) {
    if let Err(detail) = r {
        shared.hub.emit(Event::Error {
            message: message.to_string(),
            detail,
        });
    }
}

pub(super) async fn load_history(shared: &Arc<Shared>, filter: CheckFilter, offset: u64, limit: u32, generation: u64) {
    let r = shared
        .blocking(move |s| {
            let total = s.store.history_count(&filter).map_err(|e| e.to_string())?;
            let rows = s
                .store
                .history_page(&filter, offset, limit)
                .map_err(|e| e.to_string())?;
            Ok((total, rows))
        })
        .await;
    match r {
        Ok((total, rows)) => shared.hub.emit(Event::HistoryPage {
            generation,
            offset,
            total,
            rows,
        }),
        Err(e) => report(shared, "The history could not be read.", Err(e)),
    }
}

pub(super) async fn load_check_detail(shared: &Arc<Shared>, check_id: i64) {
    let r = shared
        .blocking(move |s| {
            let check = s
                .store
                .check(check_id)
                .map_err(|e| e.to_string())?
                .ok_or("that check no longer exists")?;
            Ok(CheckDetail {
                check,
                candidates: s.store.candidates(check_id).map_err(|e| e.to_string())?,
                reply_excerpt: s.store.reply_excerpt(check_id).map_err(|e| e.to_string())?,
                audit: s.store.audit_for_check(check_id).map_err(|e| e.to_string())?,
                reviews: s.store.reviews_of(check_id).map_err(|e| e.to_string())?,
            })
        })
        .await;
    match r {
        Ok(d) => shared.hub.emit(Event::CheckDetail(Box::new(d))),
        Err(e) => report(shared, "The check could not be read.", Err(e)),
    }
}

pub(super) async fn load_config(shared: &Arc<Shared>) {
    let revision = shared.config_revision.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
    let r = shared
        .blocking(move |s| {
            let keyring = s
                .secrets
                .get(crate::secrets::PROBE_KEY)
                .map(|_| s.secrets.describe())
                .map_err(|e| e.to_string());
            let keyring_usable = keyring.is_ok();
            let mut sources = Vec::new();
            for source in s.store.data_sources().map_err(|e| e.to_string())? {
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
            for sender in s.store.senders().map_err(|e| e.to_string())? {
                let keys = s.store.sender_keys(sender.id).map_err(|e| e.to_string())?;
                senders.push((sender, keys));
            }
            let sender_links = s.store.sender_links().map_err(|e| e.to_string())?;
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
                office_sender_id: trust::office_sender_id(&s.store),
                office_kid: signer.map(|sg| sg.kid()),
                office_jwks,
                keyring,
                supervisor_pin_set: s
                    .store
                    .setting(super::supervisor::SETTING_SUPERVISOR_PIN)
                    .map_err(|e| e.to_string())?
                    .is_some(),
            })
        })
        .await;
    match r {
        Ok(c) => shared.hub.emit(Event::Config(Box::new(c))),
        Err(e) => report(shared, "The configuration could not be read.", Err(e)),
    }
}

pub(super) async fn save_data_source(shared: &Arc<Shared>, id: Option<i64>, new: NewDataSource, secret: SecretChange) {
    if supervisor::refuse_trust_change(shared) {
        return;
    }
    let actor = shared.actor();
    let r = shared
        .blocking(move |s| {
            new.validate()?;
            let source = match id {
                None => s.store.add_data_source(&new, &actor).map_err(|e| e.to_string())?,
                Some(id) => {
                    let old = s
                        .store
                        .data_source(id)
                        .map_err(|e| e.to_string())?
                        .ok_or("that data source no longer exists")?;
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
                    s.store
                        .change_data_source(&updated, &actor)
                        .map_err(|e| e.to_string())?;
                    updated
                }
            };
            let secret_result = match &secret {
                SecretChange::Keep => Ok(()),
                SecretChange::Set(v) => s.secrets.set(&source.secret_key(&s.installation), v.expose_secret()),
                SecretChange::Clear => s.secrets.delete(&source.secret_key(&s.installation)),
            };
            if let Err(e) = secret_result {
                if id.is_none() {
                    // Nothing half-done: a new source is not kept without its secret.
                    let _ = s.store.delete_data_source(source.id, &actor);
                    return Err(format!("the data source was not saved: {e}"));
                }
                return Err(format!("the data source was saved, but not its client secret: {e}"));
            }
            Ok(source.name)
        })
        .await;
    match r {
        Ok(name) => {
            shared.hub.emit(Event::Notice {
                message: format!("Saved data source “{name}”."),
            });
            scheduler::reload_config(shared).await;
            load_config(shared).await;
            shared.wake.notify_one();
        }
        Err(e) => report(shared, "The data source was not saved.", Err(e)),
    }
}

pub(super) async fn delete_data_source(shared: &Arc<Shared>, id: i64) {
    if supervisor::refuse_trust_change(shared) {
        return;
    }
    let actor = shared.actor();
    let r = shared
        .blocking(move |s| {
            let source = s
                .store
                .data_source(id)
                .map_err(|e| e.to_string())?
                .ok_or("that data source no longer exists")?;
            let removal = s.store.delete_data_source(id, &actor).map_err(|e| e.to_string())?;
            if source.is_demo {
                s.store
                    .set_setting(super::demo::SETTING_DEMO_REMOVED, "true")
                    .map_err(|e| e.to_string())?;
                super::demo::forget_key(&s.store);
            }
            if source.auth_url.is_some() {
                let _ = s.secrets.delete(&source.secret_key(&s.installation));
            }
            Ok((source, removal))
        })
        .await;
    match r {
        Ok((source, removal)) => {
            if source.is_demo {
                super::demo::stop(shared).await;
            }
            let mut message = format!("Removed “{}”", source.name);
            if !removal.removed_senders.is_empty() {
                message.push_str(" and its trusted sender");
            }
            if removal.failed_checks > 0 {
                message.push_str(&format!("; {} queued check(s) failed", removal.failed_checks));
            }
            message.push('.');
            shared.hub.emit(Event::Notice { message });
            scheduler::reload_config(shared).await;
            load_config(shared).await;
        }
        Err(e) => report(shared, "The data source was not removed.", Err(e)),
    }
}

pub(super) async fn save_sender(shared: &Arc<Shared>, id: Option<i64>, new: NewIbrSender, sources: Vec<i64>) {
    if supervisor::refuse_trust_change(shared) {
        return;
    }
    let actor = shared.actor();
    let linked = !sources.is_empty();
    let r = shared
        .blocking(move |s| {
            new.validate()?;
            if let Some(pem) = new.public_key_pem.as_deref().filter(|p| !p.trim().is_empty()) {
                let key = PublicKey::from_pem(pem).map_err(|e| e.to_string())?;
                if key.algorithm() != new.algorithm {
                    return Err(format!("the public key is {}, not {}", key.algorithm(), new.algorithm));
                }
            }
            let name = match id {
                None => {
                    s.store
                        .insert_sender(&new, &sources, &actor)
                        .map_err(|e| e.to_string())?
                        .name
                }
                Some(id) => {
                    let old = s
                        .store
                        .sender(id)
                        .map_err(|e| e.to_string())?
                        .ok_or("that sender no longer exists")?;
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
                    s.store
                        .update_sender(&updated, &sources, &actor)
                        .map_err(|e| e.to_string())?;
                    updated.name
                }
            };
            Ok(name)
        })
        .await;
    match r {
        Ok(name) => {
            shared.hub.emit(Event::Notice {
                message: if linked {
                    format!("Saved trusted sender “{name}”.")
                } else {
                    format!(
                        "Saved trusted sender “{name}”. It is linked to no data source: its signatures are not trusted \
                         anywhere."
                    )
                },
            });
            scheduler::reload_config(shared).await;
            load_config(shared).await;
        }
        Err(e) => report(shared, "The sender was not saved.", Err(e)),
    }
}

pub(super) async fn delete_sender(shared: &Arc<Shared>, id: i64) {
    if supervisor::refuse_trust_change(shared) {
        return;
    }
    let actor = shared.actor();
    let r = shared
        .blocking(move |s| {
            let sender = s
                .store
                .sender(id)
                .map_err(|e| e.to_string())?
                .ok_or("that sender no longer exists")?;
            s.store.delete_sender(id, &actor).map_err(|e| e.to_string())?;
            Ok(sender.name)
        })
        .await;
    match r {
        Ok(name) => {
            shared.hub.emit(Event::Notice {
                message: format!("Removed trusted sender “{name}”."),
            });
            scheduler::reload_config(shared).await;
            load_config(shared).await;
        }
        Err(e) => report(shared, "The sender was not removed.", Err(e)),
    }
}

/// Fetches a JWKS and picks the first signing key whose kid names the sender
/// (as the seed's "Fetch public key" does), reporting how many there are.
/// Supervisor only; a plain http:// URL to another computer only when the
/// form allows unencrypted http.
pub(super) async fn fetch_jwks_for_form(shared: &Arc<Shared>, url: String, sender_id: String, insecure_http: bool) {
    let outcome = async {
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
        let jwks = fetch_jwks(&url, shared.config.request_timeout)
            .await
            .map_err(|e| e.to_string())?;
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
        let key = PublicKey::from_jwk(first).map_err(|e| e.to_string())?;
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
    shared.hub.emit(Event::JwksFetched { url, outcome });
}

pub(super) async fn save_settings(shared: &Arc<Shared>, officer_name: String, office_sender_id: String) {
    let r = shared
        .blocking(move |s| {
            let officer = officer_name.trim().to_string();
            if officer.is_empty() {
                return Err("the officer's name cannot be empty: it is recorded with every action".into());
            }
            crate::domain::validate_sender_id(office_sender_id.trim())?;
            s.store
                .set_setting(SETTING_OFFICER_NAME, &officer)
                .map_err(|e| e.to_string())?;
            s.store
                .set_setting(trust::SETTING_OFFICE_SENDER_ID, office_sender_id.trim())
                .map_err(|e| e.to_string())?;
            if let Ok(mut a) = s.actor.write() {
                *a = officer.clone();
            }
            s.store
                .append_audit(
                    &officer,
                    "settings_changed",
                    None,
                    &serde_json::json!({ "office_sender_id": office_sender_id.trim() }),
                )
                .map_err(|e| e.to_string())?;
            Ok(())
        })
        .await;
    match r {
        Ok(()) => {
            shared.hub.emit(Event::Notice {
                message: "Settings saved.".into(),
            });
            scheduler::reload_config(shared).await;
            load_config(shared).await;
        }
        Err(e) => report(shared, "The settings were not saved.", Err(e)),
    }
}

pub(super) async fn generate_office_key(shared: &Arc<Shared>) {
    let r = shared
        .blocking(|s| trust::generate_office_key(&s.store, s.secrets.as_ref()).map(|sg| sg.kid()))
        .await;
    match r {
        Ok(kid) => {
            shared.hub.emit(Event::Notice {
                message: format!("Generated the office signing key {kid}."),
            });
            scheduler::reload_config(shared).await;
            load_config(shared).await;
        }
        Err(e) => report(shared, "No signing key was generated.", Err(e)),
    }
}

pub(super) async fn queue_counts(shared: &Arc<Shared>) {
    if let Ok(c) = shared
        .blocking(|s| s.store.queue_counts().map_err(|e| e.to_string()))
        .await
    {
        shared.hub.emit(Event::QueueCounts(c));
    }
}
