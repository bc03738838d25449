//! The keyring entries of versions before the installation ID, moved to
//! this installation's names at the first start of this version.
//!
//! Those versions named entries `data-source-<id>-client-secret` and
//! `office-signing-key` for every data directory of the OS account alike
//! (see `domain::InstallationId`). This data directory takes the entries it
//! can own: the client secret of each of its data sources that has a token
//! URL, and the office key when it has one (`office.key_id` is set) — never
//! the office key of a data directory without one. For each: read the old
//! entry, write the new one (unless the new one holds a value already: it was
//! written by this version, so it is the newer), read it back, and only then
//! delete the old one. The first keyring error (none available, locked, no
//! answer) stops the move: what was moved stays moved, the rest waits for the
//! next start, and no secret is deleted before its copy has been read back.
//! Entries moved are audited (`keyring_entries_renamed`, names only); once
//! nothing is left, a setting says so and later starts make no keyring call.
//!
//! The engine runs this before its scheduler takes the first command, so a
//! check never looks for a secret under a name it has not been moved to yet.

use std::sync::Arc;

use super::Shared;
use super::event::Event;
use super::trust::SETTING_OFFICE_KEY_ID;
use crate::domain::{InstallationId, SecretEntry, secret_key_for};
use crate::secrets::{ExposeSecret, SecretError, SecretStore};
use crate::store::Store;

/// Moves this data directory's entries from their old names; returns the
/// `(old, new)` names moved. An error says what stopped it (the entries not
/// moved are tried again at the next start).
/// Blocks on the keyring: call from a blocking thread.
pub fn move_legacy_entries(store: &Store, secrets: &dyn SecretStore) -> Result<Vec<(String, String)>, String> {
    if store.legacy_keyring_entries_moved().map_err(|e| e.to_string())? {
        return Ok(Vec::new());
    }
    let installation = store.installation_id().map_err(|e| e.to_string())?;
    let mut entries: Vec<SecretEntry> = store
        .data_sources()
        .map_err(|e| e.to_string())?
        .into_iter()
        .filter(|s| s.auth_url.is_some())
        .map(|s| SecretEntry::ClientSecret { data_source_id: s.id })
        .collect();
    if store
        .setting(SETTING_OFFICE_KEY_ID)
        .map_err(|e| e.to_string())?
        .is_some()
    {
        entries.push(SecretEntry::OfficeSigningKey);
    }
    let mut moved = Vec::new();
    let mut stopped = None;
    for entry in entries {
        match move_one(secrets, &installation, entry) {
            Ok(Some(names)) => moved.push(names),
            Ok(None) => {}
            Err(e) => {
                stopped = Some(format!("{}: {e}", entry.legacy_name()));
                break;
            }
        }
    }
    store
        .record_keyring_entries_moved(&moved, stopped.is_none())
        .map_err(|e| e.to_string())?;
    match stopped {
        None => Ok(moved),
        Some(why) => Err(format!(
            "{} keyring entr(ies) moved, then {why}; the others keep their old names until the next start",
            moved.len()
        )),
    }
}

/// Moves one entry; `None` when there is nothing under its old name.
fn move_one(
    secrets: &dyn SecretStore,
    installation: &InstallationId,
    entry: SecretEntry,
) -> Result<Option<(String, String)>, SecretError> {
    let old = entry.legacy_name();
    let new = secret_key_for(installation, entry);
    let Some(value) = secrets.get(&old)? else {
        return Ok(None);
    };
    if secrets.get(&new)?.is_none() {
        secrets.set(&new, value.expose_secret())?;
        if secrets.get(&new)?.as_ref().map(ExposeSecret::expose_secret) != Some(value.expose_secret()) {
            return Err(SecretError::Other(format!(
                "the keyring did not keep the copy under {new}; the entry keeps its old name"
            )));
        }
    }
    secrets.delete(&old)?;
    Ok(Some((old, new)))
}

/// [`move_legacy_entries`] at the engine's start, off the async threads;
/// a failure is logged and told to the window.
pub(super) async fn move_at_start(shared: &Arc<Shared>) {
    match shared
        .blocking(|s| move_legacy_entries(&s.store, s.secrets.as_ref()))
        .await
    {
        Ok(moved) if moved.is_empty() => {}
        Ok(moved) => tracing::info!(
            entries = moved.len(),
            "keyring entries moved to this installation's names"
        ),
        Err(detail) => {
            tracing::warn!(%detail, "keyring entries of an earlier version were not all moved");
            shared.hub.emit(Event::Error(crate::domain::EngineError::new(
                crate::domain::ErrorKind::Keyring,
                "Secrets saved by an earlier version of IBR Desk could not all be moved to this data directory's \
                 keyring entries yet; IBR Desk tries again at the next start.",
                detail,
            )));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::secrets::Exposed as _;
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::*;
    use crate::domain::NewDataSource;
    use crate::secrets::MemorySecretStore;

    /// A keyring that can be switched off, as one that is not running.
    #[derive(Default)]
    struct Flaky {
        inner: MemorySecretStore,
        down: AtomicBool,
        /// Refuse writes only (a keyring that reads but cannot store).
        read_only: AtomicBool,
    }

    impl SecretStore for Flaky {
        fn get(&self, key: &str) -> Result<Option<crate::secrets::SecretString>, SecretError> {
            if self.down.load(Ordering::Relaxed) {
                return Err(SecretError::Unavailable("no Secret Service".into()));
            }
            self.inner.get(key)
        }
        fn set(&self, key: &str, secret: &str) -> Result<(), SecretError> {
            if self.down.load(Ordering::Relaxed) || self.read_only.load(Ordering::Relaxed) {
                return Err(SecretError::Unavailable("no Secret Service".into()));
            }
            self.inner.set(key, secret)
        }
        fn delete(&self, key: &str) -> Result<(), SecretError> {
            if self.down.load(Ordering::Relaxed) || self.read_only.load(Ordering::Relaxed) {
                return Err(SecretError::Unavailable("no Secret Service".into()));
            }
            self.inner.delete(key)
        }
        fn describe(&self) -> String {
            "flaky (tests)".into()
        }
    }

    fn store_with_sources(n: usize) -> (Store, Vec<i64>) {
        let store = Store::open_in_memory().expect("store");
        let ids = (0..n)
            .map(|i| {
                let mut new = NewDataSource::ibr(&format!("IBR {i}"), "https://ibr.example.org");
                new.auth_url = Some("https://ibr.example.org/oauth2/client/token".into());
                new.client_id = Some("office".into());
                store.insert_data_source(&new).expect("source").id
            })
            .collect();
        (store, ids)
    }

    fn client(id: i64) -> SecretEntry {
        SecretEntry::ClientSecret { data_source_id: id }
    }

    fn renamed_lines(store: &Store) -> usize {
        store
            .audit_page(0, 100)
            .expect("audit")
            .iter()
            .filter(|a| a.action == "keyring_entries_renamed")
            .count()
    }

    #[test]
    fn old_names_are_moved_to_the_installations_once() {
        let (store, ids) = store_with_sources(2);
        store
            .set_setting(SETTING_OFFICE_KEY_ID, "key-1")
            .expect("office key id");
        let secrets = MemorySecretStore::new();
        secrets.set(&client(ids[0]).legacy_name(), "secret-0").expect("set");
        secrets.set(&client(ids[1]).legacy_name(), "secret-1").expect("set");
        secrets.set("office-signing-key", "PEM").expect("set");
        let moved = move_legacy_entries(&store, &secrets).expect("moved");
        assert_eq!(moved.len(), 3);
        let me = store.installation_id().expect("id");
        assert_eq!(
            secrets
                .get(&secret_key_for(&me, client(ids[1])))
                .exposed()
                .ok()
                .flatten()
                .as_deref(),
            Some("secret-1")
        );
        assert_eq!(
            secrets
                .get(&secret_key_for(&me, SecretEntry::OfficeSigningKey))
                .exposed()
                .ok()
                .flatten()
                .as_deref(),
            Some("PEM")
        );
        assert_eq!(
            secrets.get("office-signing-key").exposed().ok(),
            Some(None),
            "the old name is gone"
        );
        assert_eq!(secrets.len(), 3, "moved, not copied");
        assert_eq!(renamed_lines(&store), 1);
        let audit = store.audit_page(0, 1).expect("audit");
        assert!(
            !audit[0].details.contains("secret-0") && !audit[0].details.contains("PEM"),
            "names only"
        );

        // Done: a later start touches nothing, even an entry that appears under an old name.
        secrets
            .set(&client(ids[0]).legacy_name(), "someone else's")
            .expect("set");
        assert_eq!(move_legacy_entries(&store, &secrets).ok(), Some(vec![]));
        assert_eq!(
            secrets
                .get(&client(ids[0]).legacy_name())
                .exposed()
                .ok()
                .flatten()
                .as_deref(),
            Some("someone else's")
        );
        assert_eq!(renamed_lines(&store), 1);
    }

    #[test]
    fn an_unavailable_keyring_loses_nothing_and_is_tried_again_at_the_next_start() {
        let (store, ids) = store_with_sources(1);
        let secrets = Flaky::default();
        secrets
            .inner
            .set(&client(ids[0]).legacy_name(), "secret-0")
            .expect("set");
        secrets.down.store(true, Ordering::Relaxed);
        let e = move_legacy_entries(&store, &secrets).expect_err("no keyring");
        assert!(e.contains("next start"), "{e}");
        assert_eq!(store.legacy_keyring_entries_moved().ok(), Some(false));

        // A keyring that reads but refuses to write: the old entry stays.
        secrets.down.store(false, Ordering::Relaxed);
        secrets.read_only.store(true, Ordering::Relaxed);
        assert!(move_legacy_entries(&store, &secrets).is_err());
        assert_eq!(
            secrets
                .inner
                .get(&client(ids[0]).legacy_name())
                .exposed()
                .ok()
                .flatten()
                .as_deref(),
            Some("secret-0")
        );
        assert_eq!(renamed_lines(&store), 0);

        secrets.read_only.store(false, Ordering::Relaxed);
        assert_eq!(move_legacy_entries(&store, &secrets).map(|m| m.len()).ok(), Some(1));
        let me = store.installation_id().expect("id");
        assert_eq!(
            secrets
                .inner
                .get(&secret_key_for(&me, client(ids[0])))
                .exposed()
                .ok()
                .flatten()
                .as_deref(),
            Some("secret-0")
        );
        assert_eq!(store.legacy_keyring_entries_moved().ok(), Some(true));
    }

    #[test]
    fn a_newer_entry_under_the_new_name_is_kept() {
        // A move stopped after writing the new entry, and the officer then
        // changed the secret: the old entry is removed, the new one kept.
        let (store, ids) = store_with_sources(1);
        let me = store.installation_id().expect("id");
        let secrets = MemorySecretStore::new();
        secrets.set(&client(ids[0]).legacy_name(), "old secret").expect("set");
        secrets
            .set(&secret_key_for(&me, client(ids[0])), "new secret")
            .expect("set");
        move_legacy_entries(&store, &secrets).expect("moved");
        assert_eq!(
            secrets
                .get(&secret_key_for(&me, client(ids[0])))
                .exposed()
                .ok()
                .flatten()
                .as_deref(),
            Some("new secret")
        );
        assert_eq!(secrets.len(), 1);
    }

    #[test]
    fn another_data_directorys_office_key_is_not_taken() {
        let (store, _) = store_with_sources(0);
        let secrets = MemorySecretStore::new();
        secrets
            .set("office-signing-key", "PEM of another data directory")
            .expect("set");
        assert_eq!(move_legacy_entries(&store, &secrets).ok(), Some(vec![]));
        assert_eq!(
            secrets.get("office-signing-key").exposed().ok().flatten().as_deref(),
            Some("PEM of another data directory")
        );
    }
}
