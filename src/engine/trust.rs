//! The keys the engine signs and verifies with: the trusted senders' public
//! keys (from the store), the office's own signing key (from the OS
//! keyring), and fetching a sender's keys from its JWKS URL.
//!
//! Trust is per data source: a reply from a source is verified only with the
//! keys of the active senders linked to that source. A sender trusted for
//! one registry cannot vouch, signed, for another registry's answers.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::Utc;

use crate::dci::client::fetch_jwks;
use crate::dci::keys::KeyError;
use crate::dci::{KeyLookup, Kid, PrivateKey, PublicKey, Signer, TrustedKeys};
use crate::domain::{Algorithm, SecretEntry, secret_key_for};
use crate::secrets::{ExposeSecret, SecretStore};
use crate::store::{FetchedSenderKey, Store};

/// Settings key of our DCI sender ID.
pub const SETTING_OFFICE_SENDER_ID: &str = crate::store::SETTING_OFFICE_SENDER_ID;
/// Settings key of the office key's ID (set when a key exists).
pub const SETTING_OFFICE_KEY_ID: &str = crate::store::SETTING_OFFICE_KEY_ID;
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

/// The trusted keys of each data source: those of the active senders linked to it.
#[derive(Default)]
pub struct SourceKeys(HashMap<i64, TrustedKeys>);

impl SourceKeys {
    /// The keys a reply of this data source may be verified with (none when
    /// no active sender is linked to it).
    pub fn of_source(&self, data_source_id: i64) -> Option<&TrustedKeys> {
        self.0.get(&data_source_id)
    }
}

/// The public keys of the active trusted senders, by the data sources they
/// are linked to.
pub fn trusted_keys(store: &Store) -> Result<SourceKeys, String> {
    let mut by_source: HashMap<i64, TrustedKeys> = HashMap::new();
    for t in store.trusted_keys().map_err(|e| e.to_string())? {
        match PublicKey::from_pem(&t.key.public_key_pem) {
            Ok(pk) => by_source
                .entry(t.data_source_id)
                .or_default()
                .add(&t.sender_id, t.key.kid.as_deref(), pk),
            Err(e) => tracing::warn!(
                sender_id = t.sender_id,
                "a stored key of this sender cannot be read: {e}"
            ),
        }
    }
    Ok(SourceKeys(by_source))
}

/// The trusted keys of every data source, replaceable while services hold
/// them: a service built for a source sees a sender linked, unlinked or
/// given a new key at the next reply.
#[derive(Default)]
pub(crate) struct LiveTrust(RwLock<SourceKeys>);

impl LiveTrust {
    pub(crate) fn replace(&self, keys: SourceKeys) {
        if let Ok(mut k) = self.0.write() {
            *k = keys;
        }
    }

    /// What a service of this data source verifies replies with.
    pub(crate) fn for_source(self: &Arc<Self>, data_source_id: i64) -> Arc<dyn KeyLookup + Send + Sync> {
        Arc::new(SourceTrust {
            live: self.clone(),
            data_source_id,
        })
    }
}

/// The live trusted keys of one data source.
struct SourceTrust {
    live: Arc<LiveTrust>,
    data_source_id: i64,
}

impl KeyLookup for SourceTrust {
    fn lookup(&self, kid_id: &str, sender_id: &str) -> Vec<(String, Result<PublicKey, KeyError>)> {
        self.live
            .0
            .read()
            .ok()
            .and_then(|k| k.of_source(self.data_source_id).map(|t| t.lookup(kid_id, sender_id)))
            .unwrap_or_default()
    }
}

/// A sender's pasted public key, when it has one, must be readable and of
/// the sender's algorithm: the window's form and `ibr-desk sender add` check
/// it here, before the store saves the sender.
pub fn check_pasted_key(sender: &crate::domain::NewIbrSender) -> Result<(), String> {
    let Some(pem) = sender.public_key_pem.as_deref().filter(|p| !p.trim().is_empty()) else {
        return Ok(());
    };
    let key = PublicKey::from_pem(pem).map_err(|e| e.to_string())?;
    if key.algorithm() != sender.algorithm {
        return Err(format!(
            "the public key is {}, not {}",
            key.algorithm(),
            sender.algorithm
        ));
    }
    Ok(())
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
    let key =
        PrivateKey::from_pem(pem.expose_secret()).map_err(|e| format!("the office signing key cannot be read: {e}"))?;
    Ok(Some(Signer::new(key, &office_sender_id(store), &key_id)))
}

/// Generates a new office key, stores the private half in the keyring and
/// its ID in the settings; returns the signer. Blocking thread only.
pub fn generate_office_key(store: &Store, secrets: &dyn SecretStore) -> Result<Signer, String> {
    let key = PrivateKey::generate_ed25519().map_err(|e| e.to_string())?;
    let key_id = format!("key-{}", Utc::now().format("%Y%m%d%H%M%S"));
    let key_name = office_key_name(store)?;
    let pem = key.to_pem().map_err(|e| e.to_string())?;
    store
        .save_office_key(&key_id, "system", || {
            secrets
                .set(&key_name, pem.expose_secret())
                .map_err(|e| format!("the new key could not be stored in the keyring: {e}"))
        })
        .map_err(|e| e.to_string())?;
    Ok(Signer::new(key, &office_sender_id(store), &key_id))
}

/// Fetches a sender's JWKS and stores every signing key whose `kid` names
/// that sender (several during a key rotation), with one audit line naming
/// `actor`. Returns how many were stored. A plain http:// URL to another
/// computer is fetched only when the sender allows it.
///
/// The store is read and written on blocking threads: only the fetch itself
/// runs on the runtime's worker (a slow disk must not stall the engine).
pub async fn fetch_sender_keys(
    store: Arc<Store>,
    sender_row_id: i64,
    timeout: Duration,
    actor: String,
) -> Result<usize, String> {
    let reader = store.clone();
    let sender = tokio::task::spawn_blocking(move || reader.sender(sender_row_id))
        .await
        .map_err(|e| format!("internal error: {e}"))?
        .map_err(|e| e.to_string())?
        .ok_or_else(|| "that sender no longer exists".to_string())?;
    let url = sender
        .jwks_url
        .clone()
        .filter(|u| !u.trim().is_empty())
        .ok_or_else(|| format!("sender {:?} has no JWKS URL", sender.name))?;
    if crate::domain::is_unencrypted_url(&url) && !sender.insecure_http {
        return Err(format!(
            "the JWKS URL {url} uses http:// to another computer; allow unencrypted http for sender {:?} first",
            sender.name
        ));
    }
    let jwks = fetch_jwks(&url, timeout).await.map_err(|e| e.to_string())?;
    let found = signing_keys_of(&jwks, &sender, &url)?;
    tokio::task::spawn_blocking(move || store.store_fetched_keys(sender_row_id, &found, &url, Utc::now(), &actor))
        .await
        .map_err(|e| format!("internal error: {e}"))?
        .map_err(|e| e.to_string())
}

/// The keys of a JWKS that sign for `sender`, or why there is none.
fn signing_keys_of(
    jwks: &crate::dci::Jwks,
    sender: &crate::domain::IbrSender,
    url: &str,
) -> Result<Vec<FetchedSenderKey>, String> {
    let prefix = format!("{}|", sender.sender_id);
    let mut found = Vec::new();
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
        found.push(FetchedSenderKey {
            kid,
            algorithm,
            pem: key.to_pem(),
        });
    }
    if found.is_empty() {
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
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{NewDataSource, NewIbrSender};

    #[test]
    fn a_source_trusts_only_the_senders_linked_to_it() {
        let store = Store::open_in_memory().expect("store");
        let a = store
            .insert_data_source(&NewDataSource::ibr("A", "https://a.example.org"))
            .expect("a");
        let b = store
            .insert_data_source(&NewDataSource::ibr("B", "https://b.example.org"))
            .expect("b");
        let key = PrivateKey::ed25519_from_bytes([7; 32]).public_key();
        store
            .insert_sender(
                &NewIbrSender {
                    name: "Registry A".into(),
                    sender_id: "ibr.a".into(),
                    public_key_pem: Some(key.to_pem()),
                    jwks_url: None,
                    algorithm: Algorithm::Ed25519,
                    active: true,
                    insecure_http: false,
                },
                &[a.id],
                "test",
            )
            .expect("sender");
        let live = Arc::new(LiveTrust::default());
        live.replace(trusted_keys(&store).expect("keys"));
        let kid = "ibr.a|k1|ed25519";
        assert_eq!(live.for_source(a.id).lookup(kid, "ibr.a").len(), 1);
        assert!(
            live.for_source(b.id).lookup(kid, "ibr.a").is_empty(),
            "sender A is not trusted for source B"
        );
    }

    #[test]
    fn a_pasted_key_must_be_readable_and_of_the_senders_algorithm() {
        let pem = PrivateKey::generate_ed25519().expect("key").public_key().to_pem();
        let sender = |pem: Option<&str>, algorithm| NewIbrSender {
            name: "National".into(),
            sender_id: "ibr.national.gov".into(),
            public_key_pem: pem.map(str::to_string),
            jwks_url: None,
            algorithm,
            active: true,
            insecure_http: false,
        };
        assert_eq!(check_pasted_key(&sender(Some(&pem), Algorithm::Ed25519)), Ok(()));
        assert_eq!(check_pasted_key(&sender(None, Algorithm::Rs256)), Ok(()));
        assert_eq!(check_pasted_key(&sender(Some("  "), Algorithm::Rs256)), Ok(()));
        let err = check_pasted_key(&sender(Some(&pem), Algorithm::Rs256)).expect_err("wrong algorithm");
        assert!(err.contains("not rs256"), "{err}");
        assert!(check_pasted_key(&sender(Some("not a key"), Algorithm::Ed25519)).is_err());
    }
}
