//! This installation's identity and the move of its keyring entries to
//! names of their own (see `domain::InstallationId`).
//!
//! The ID is a setting (`installation.id`), made once: the first call finds
//! none and inserts one, in one transaction with an audit line
//! `installation_created`; `INSERT … ON CONFLICT DO NOTHING` and reading back
//! what is stored make two programs starting at once agree on one ID.

use rusqlite::{OptionalExtension, params};
use serde_json::json;

use super::codec::to_json;
use super::{Result, Store, StoreError, audit};
use crate::domain::{AuditAction, InstallationId};

/// Settings key of the installation ID.
pub const SETTING_INSTALLATION_ID: &str = "installation.id";

/// Settings key set once every keyring entry under a name of the versions
/// before the installation ID has been moved to its installation's name.
pub const SETTING_LEGACY_KEYRING_MOVED: &str = "keyring.legacy_names_moved";

const SYSTEM: &str = "system";

impl Store {
    /// This installation's ID, made (and audited) on the first call.
    pub fn installation_id(&self) -> Result<InstallationId> {
        let read = |c: &rusqlite::Connection| -> Result<Option<InstallationId>> {
            let text: Option<String> = c
                .prepare_cached("SELECT value FROM settings WHERE key = ?1")?
                .query_row([SETTING_INSTALLATION_ID], |r| r.get(0))
                .optional()?;
            match text {
                None => Ok(None),
                Some(t) => InstallationId::parse(&t).map(Some).ok_or_else(|| {
                    StoreError::Unreadable(format!(
                        "the setting {SETTING_INSTALLATION_ID} is not an installation ID ({t:?})"
                    ))
                }),
            }
        };
        if let Some(id) = self.read(read)? {
            return Ok(id);
        }
        let now = super::codec::now();
        self.write(|tx| {
            let new = InstallationId::generate();
            let inserted = tx.execute(
                "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO NOTHING",
                params![SETTING_INSTALLATION_ID, new.as_str()],
            )?;
            if inserted == 1 {
                let details = to_json(&json!({ "installation_id": new.as_str() }))?;
                audit::append(tx, now, SYSTEM, AuditAction::InstallationCreated, None, &details)?;
            }
            read(tx)?.ok_or_else(|| StoreError::Unreadable("the installation ID was not stored".into()))
        })
    }

    /// Whether the keyring entries of the versions before the installation
    /// ID have all been moved to this installation's names.
    pub fn legacy_keyring_entries_moved(&self) -> Result<bool> {
        Ok(self.setting(SETTING_LEGACY_KEYRING_MOVED)?.is_some())
    }

    /// Records keyring entries moved from their old names to this
    /// installation's (`(old, new)` names, never a secret) with an audit line
    /// `keyring_entries_renamed`, and — when `complete` — that nothing is
    /// left to move, in one transaction.
    pub fn record_keyring_entries_moved(&self, moved: &[(String, String)], complete: bool) -> Result<()> {
        let now = super::codec::now();
        self.write(|tx| {
            if !moved.is_empty() {
                let names: Vec<_> = moved.iter().map(|(old, new)| json!({ "from": old, "to": new })).collect();
                let details = to_json(&json!({ "entries": names, "complete": complete }))?;
                audit::append(tx, now, SYSTEM, AuditAction::KeyringEntriesRenamed, None, &details)?;
            }
            if complete {
                tx.execute(
                    "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    params![SETTING_LEGACY_KEYRING_MOVED, super::codec::Ts::text(now)],
                )?;
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil;
    use super::*;

    #[test]
    fn the_installation_id_is_made_once_and_kept() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join(super::super::DATABASE_FILE);
        let store = Store::open(&path).expect("open");
        let id = store.installation_id().expect("id");
        assert_eq!(store.installation_id().ok(), Some(id.clone()));
        drop(store);
        let again = Store::open(&path).expect("reopen");
        assert_eq!(
            again.installation_id().ok(),
            Some(id.clone()),
            "kept in the data directory"
        );
        let created: Vec<_> = again
            .audit_page(0, 100)
            .expect("audit")
            .into_iter()
            .filter(|a| a.action == "installation_created")
            .collect();
        assert_eq!(created.len(), 1);
        assert!(created[0].details.contains(id.as_str()));
        let other = testutil::store().installation_id().expect("another store's");
        assert_ne!(other, id, "another data directory, another installation");
    }

    #[test]
    fn a_damaged_installation_id_is_an_error_not_a_new_name() {
        let store = testutil::store();
        store.set_setting(SETTING_INSTALLATION_ID, "not-a-uuid").expect("set");
        let e = store.installation_id().expect_err("not an ID");
        assert!(e.to_string().contains("not an installation ID"), "{e}");
    }

    #[test]
    fn moved_entries_are_audited_and_the_move_marked_done_once_complete() {
        let store = testutil::store();
        assert_eq!(store.legacy_keyring_entries_moved().ok(), Some(false));
        let moved = vec![(
            "data-source-1-client-secret".to_string(),
            "x/data-source-1-client-secret".to_string(),
        )];
        store.record_keyring_entries_moved(&moved, false).expect("partial");
        assert_eq!(store.legacy_keyring_entries_moved().ok(), Some(false), "not done yet");
        store.record_keyring_entries_moved(&[], true).expect("complete");
        assert_eq!(store.legacy_keyring_entries_moved().ok(), Some(true));
        let renamed: Vec<_> = store
            .audit_page(0, 100)
            .expect("audit")
            .into_iter()
            .filter(|a| a.action == "keyring_entries_renamed")
            .collect();
        assert_eq!(renamed.len(), 1, "nothing moved, nothing audited");
        assert!(renamed[0].details.contains("x/data-source-1-client-secret"));
    }
}
