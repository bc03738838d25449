//! The keys the engine signs and verifies with: the trusted senders' public
//! keys (from the store), the office's own signing key (from the OS
//! keyring), and fetching a sender's keys from its JWKS URL.

use std::time::Duration;

use chrono::Utc;

use crate::dci::client::fetch_jwks;
use crate::dci::{Kid, PrivateKey, PublicKey, Signer, TrustedKeys};
use crate::domain::{Algorithm, KeyOrigin, SecretEntry, secret_key_for};
use crate::secrets::SecretStore;
use crate::store::Store;

/// Settings key of our DCI sender ID.
pub const SETTING_OFFICE_SENDER_ID: &str = "office.sender_id";
/// Settings key of the office key's ID (set when a key exists).
pub const SETTING_OFFICE_KEY_ID: &str = "office.key_id";
/// Keyring entry of the office's private signing key (PKCS#8 PEM), named
/// under the installation by `domain::secret_key_for`.
pub const SECRET_OFFICE_KEY: SecretEntry = SecretEntry::OfficeSigningKey;
/// Sender ID used until the office sets its own.
pub const DEFAULT_OFFICE_SENDER_ID: &str = "ibr-desk.local";

/// The keyring entry of this installation's office key.
fn office_key_name(store: &Store) -> Result<String, String> {
    let installation = store.installation_id().map_err(|e| e.to_string())?;
    Ok(secret_key_for(&installation, SECRET_OFFICE_KEY))
}

/// The public keys of every active trusted sender.
pub fn trusted_keys(store: &Store) -> Result<TrustedKeys, String> {
    let mut t = TrustedKeys::new();
    for (sender_id, key) in store.trusted_keys().map_err(|e| e.to_string())? {
        match PublicKey::from_pem(&key.public_key_pem) {
            Ok(pk) => t.add(&sender_id, key.kid.as_deref(), pk),
            Err(e) => tracing::warn!(sender_id, "a stored key of this sender cannot be read: {e}"),
        }
    }
    Ok(t)
}

/// Our sender ID.
pub fn office_sender_id(store: &Store) -> String {
    store
        .setting(SETTING_OFFICE_SENDER_ID)
        .ok()
        .flatten()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_OFFICE_SENDER_ID.to_string())
}

/// The office's signer, when a key has been generated. Reads the keyring
/// only then, so an office without a key never needs one.
/// Call from a blocking thread, never a tokio worker (the keyring rule).
pub fn office_signer(store: &Store, secrets: &dyn SecretStore) -> Result<Option<Signer>, String> {
    let Some(key_id) = store.setting(SETTING_OFFICE_KEY_ID).map_err(|e| e.to_string())? else {
        return Ok(None);
    };
    let pem = secrets
        .get(&office_key_name(store)?)
        .map_err(|e| format!("the office signing key cannot be read from the keyring: {e}"))?
        .ok_or_else(|| {
            "the office signing key is missing from the keyring; generate a new one in Settings".to_string()
        })?;
    let key = PrivateKey::from_pem(&pem).map_err(|e| format!("the office signing key cannot be read: {e}"))?;
    Ok(Some(Signer::new(key, &office_sender_id(store), &key_id)))
}

/// Generates a new office key, stores the private half in the keyring and
/// its ID in the settings; returns the signer. Blocking thread only.
pub fn generate_office_key(store: &Store, secrets: &dyn SecretStore) -> Result<Signer, String> {
    let key = PrivateKey::generate_ed25519().map_err(|e| e.to_string())?;
    let key_id = format!("key-{}", Utc::now().format("%Y%m%d%H%M%S"));
    secrets
        .set(&office_key_name(store)?, &key.to_pem().map_err(|e| e.to_string())?)
        .map_err(|e| format!("the new key could not be stored in the keyring: {e}"))?;
    store
        .set_setting(SETTING_OFFICE_KEY_ID, &key_id)
        .map_err(|e| e.to_string())?;
    store
        .append_audit(
            "system",
            "office_key_generated",
            None,
            &serde_json::json!({ "key_id": key_id }),
        )
        .map_err(|e| e.to_string())?;
    Ok(Signer::new(key, &office_sender_id(store), &key_id))
}

/// Fetches a sender's JWKS and stores every signing key whose `kid` names
/// that sender (several during a key rotation). Returns how many were stored.
pub async fn fetch_sender_keys(store: &Store, sender_row_id: i64, timeout: Duration) -> Result<usize, String> {
    let sender = store
        .sender(sender_row_id)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| "that sender no longer exists".to_string())?;
    let url = sender
        .jwks_url
        .clone()
        .filter(|u| !u.trim().is_empty())
        .ok_or_else(|| format!("sender {:?} has no JWKS URL", sender.name))?;
    let jwks = fetch_jwks(&url, timeout).await.map_err(|e| e.to_string())?;
    let prefix = format!("{}|", sender.sender_id);
    let mut stored = 0;
    let mut problems = Vec::new();
    for jwk in &jwks.keys {
        let kid = jwk.kid.clone().unwrap_or_default();
        if !kid.starts_with(&prefix) || jwk.use_.as_deref().is_some_and(|u| u != "sig") {
            continue;
        }
        let key = match PublicKey::from_jwk(jwk) {
            Ok(k) => k,
            Err(e) => {
                problems.push(e.to_string());
                continue;
            }
        };
        let algorithm: Algorithm = Kid::parse(&kid)
            .ok()
            .and_then(|k| k.algorithm.parse().ok())
            .unwrap_or(key.algorithm());
        store
            .add_sender_key(
                sender_row_id,
                Some(&kid),
                algorithm,
                &key.to_pem(),
                KeyOrigin::Jwks,
                Utc::now(),
            )
            .map_err(|e| e.to_string())?;
        stored += 1;
    }
    if stored == 0 {
        return Err(if problems.is_empty() {
            format!(
                "the JWKS at {url} has no signing key whose kid starts with {prefix:?} ({} key(s) in it)",
                jwks.keys.len()
            )
        } else {
            format!(
                "no usable key for {:?} at {url}: {}",
                sender.sender_id,
                problems.join("; ")
            )
        });
    }
    store
        .append_audit(
            "system",
            "sender_keys_fetched",
            None,
            &serde_json::json!({ "sender_id": sender.sender_id, "keys": stored, "url": url }),
        )
        .map_err(|e| e.to_string())?;
    Ok(stored)
}
