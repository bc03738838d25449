//! Settings: small values the office chooses (which key signs requests, the
//! office's sender ID, …), as text under a key. Never a secret.
//!
//! A person's change of a setting is a use case with its own method —
//! [`Store::save_settings`], [`Store::set_supervisor_pin`],
//! [`Store::record_role_change`], [`Store::save_office_key`] — that writes
//! the value and its audit line in one transaction, for the window (through
//! the engine) and the command line alike. [`Store::set_setting`] is for the
//! system's own bookkeeping, which no person decides.

use rusqlite::{Connection, OptionalExtension, params};

use super::{Result, Store, StoreError, audit, codec};
use crate::domain::{AuditAction, Role, validate_sender_id};

/// Settings key of the officer's name (recorded in the audit log).
pub const SETTING_OFFICER_NAME: &str = "officer.name";
/// Settings key of our DCI sender ID.
pub const SETTING_OFFICE_SENDER_ID: &str = "office.sender_id";
/// Settings key of the office key's ID (set when a key exists).
pub const SETTING_OFFICE_KEY_ID: &str = "office.key_id";
/// Settings key of the supervisor PIN's hash.
pub const SETTING_SUPERVISOR_PIN: &str = "supervisor.pin";
/// Set when a person removed the demo registry: it is not created again.
pub const SETTING_DEMO_REMOVED: &str = "demo.removed";

/// What the Settings screen (and `ibr-desk office set-sender-id`) saves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficeSettings {
    /// The officer's name, recorded with every action; `None` keeps it.
    pub officer_name: Option<String>,
    /// The office's DCI sender ID, as registered with the registries.
    pub office_sender_id: String,
}

impl Store {
    /// The value stored under `key`.
    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        self.read(|c| get(c, key))
    }

    /// Stores `value` under `key`, replacing what was there, without an
    /// audit line: for the system's own bookkeeping.
    pub fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        self.write(|tx| put(tx, key, value))
    }

    /// A person saves the office's settings: the officer's name (when
    /// given; it cannot be blank, since it is recorded with every action),
    /// the office's sender ID (checked as the registries will), and the
    /// audit line `settings_changed`, by `actor`, in one transaction.
    pub fn save_settings(&self, settings: &OfficeSettings, actor: &str) -> Result<()> {
        let officer = settings.officer_name.as_deref().map(str::trim);
        if officer.is_some_and(str::is_empty) {
            return Err(StoreError::Invalid(
                "the officer's name cannot be empty: it is recorded with every action".into(),
            ));
        }
        let sender_id = settings.office_sender_id.trim();
        validate_sender_id(sender_id).map_err(StoreError::Invalid)?;
        self.write(|tx| {
            if let Some(officer) = officer {
                put(tx, SETTING_OFFICER_NAME, officer)?;
            }
            put(tx, SETTING_OFFICE_SENDER_ID, sender_id)?;
            let details = codec::to_json(&serde_json::json!({ "office_sender_id": sender_id }))?;
            audit::append(tx, codec::now(), actor, AuditAction::SettingsChanged, None, &details)?;
            Ok(())
        })
    }

    /// A person sets the supervisor PIN: its hash (made by the caller) and
    /// the audit line `supervisor_pin_set`, in one transaction. `replaces`
    /// is the stored hash the caller checked the current PIN against (`None`
    /// when no PIN was set): if another change came in between, nothing is
    /// written, so a PIN is only ever replaced by someone who knew it.
    pub fn set_supervisor_pin(&self, replaces: Option<&str>, new_hash: &str, actor: &str) -> Result<()> {
        if new_hash.trim().is_empty() {
            return Err(StoreError::Invalid("the PIN's hash is empty".into()));
        }
        self.write(|tx| {
            if get(tx, SETTING_SUPERVISOR_PIN)?.as_deref() != replaces {
                return Err(StoreError::Invalid(
                    "the supervisor PIN was changed meanwhile; enter the current PIN again".into(),
                ));
            }
            put(tx, SETTING_SUPERVISOR_PIN, new_hash)?;
            audit::append(tx, codec::now(), actor, AuditAction::SupervisorPinSet, None, "{}")?;
            Ok(())
        })
    }

    /// A wrong PIN was given for the supervisor role: its audit line
    /// `supervisor_pin_refused`.
    pub fn record_pin_refused(&self, actor: &str) -> Result<()> {
        self.write(|tx| {
            audit::append(tx, codec::now(), actor, AuditAction::SupervisorPinRefused, None, "{}")?;
            Ok(())
        })
    }

    /// The supervisor PIN's hash rewritten in a newer format after a right
    /// PIN (the same PIN, a better hash), with the audit line
    /// `supervisor_pin_rehashed`, in one transaction — only over `old_hash`,
    /// so a PIN changed meanwhile is never overwritten.
    pub fn rehash_supervisor_pin(&self, old_hash: &str, new_hash: &str, actor: &str) -> Result<()> {
        self.write(|tx| {
            if get(tx, SETTING_SUPERVISOR_PIN)?.as_deref() != Some(old_hash) {
                return Err(StoreError::Invalid("the supervisor PIN was changed meanwhile".into()));
            }
            put(tx, SETTING_SUPERVISOR_PIN, new_hash)?;
            audit::append(tx, codec::now(), actor, AuditAction::SupervisorPinRehashed, None, "{}")?;
            Ok(())
        })
    }

    /// A person switches role: its audit line `role_changed`. The role
    /// itself lives in the engine (memory), not in the database, so the
    /// engine switches only once this line is written — a switch the log
    /// does not hold never takes effect.
    pub fn record_role_change(&self, role: Role, actor: &str) -> Result<()> {
        let details = codec::to_json(&serde_json::json!({ "role": role.label() }))?;
        self.write(|tx| {
            audit::append(tx, codec::now(), actor, AuditAction::RoleChanged, None, &details)?;
            Ok(())
        })
    }

    /// The office's new signing key: its ID, the private key in the keyring
    /// (`store_key`, run inside the transaction after the ID is written) and
    /// the audit line `office_key_generated`, together or not at all — a
    /// keyring that refuses leaves the old key and its ID in place
    /// ([`StoreError::Secret`]).
    pub fn save_office_key(
        &self,
        key_id: &str,
        actor: &str,
        store_key: impl FnOnce() -> std::result::Result<(), String>,
    ) -> Result<()> {
        if key_id.trim().is_empty() {
            return Err(StoreError::Invalid("the key ID is empty".into()));
        }
        let details = codec::to_json(&serde_json::json!({ "key_id": key_id }))?;
        self.write(|tx| {
            put(tx, SETTING_OFFICE_KEY_ID, key_id)?;
            audit::append(tx, codec::now(), actor, AuditAction::OfficeKeyGenerated, None, &details)?;
            store_key().map_err(StoreError::Secret)
        })
    }
}

fn get(c: &Connection, key: &str) -> Result<Option<String>> {
    let mut stmt = c.prepare_cached("SELECT value FROM settings WHERE key = ?1")?;
    Ok(stmt.query_row([key], |r| r.get(0)).optional()?)
}

/// Stores `value` under `key` inside the caller's transaction.
pub(super) fn put(c: &Connection, key: &str, value: &str) -> Result<()> {
    let mut stmt = c.prepare_cached(
        "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )?;
    stmt.execute(params![key, value])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::testutil;
    use super::*;

    #[test]
    fn stores_and_replaces_values() {
        let store = testutil::store();
        assert_eq!(store.setting("office.sender_id").ok(), Some(None));
        store.set_setting("office.sender_id", "office.one").expect("set");
        store.set_setting("office.sender_id", "office.two").expect("replace");
        assert_eq!(
            store.setting("office.sender_id").ok().flatten().as_deref(),
            Some("office.two")
        );
    }

    fn lines(store: &Store) -> Vec<(String, String, String)> {
        let mut page = store.audit_page(0, 100).expect("audit");
        page.reverse();
        page.into_iter().map(|e| (e.actor, e.action, e.details)).collect()
    }

    #[test]
    fn saving_the_settings_writes_them_with_their_audit_line() {
        let store = testutil::store();
        let settings = OfficeSettings {
            officer_name: Some(" Awa ".into()),
            office_sender_id: " office.north ".into(),
        };
        store.save_settings(&settings, "Awa").expect("save");
        assert_eq!(
            store.setting(SETTING_OFFICER_NAME).ok().flatten().as_deref(),
            Some("Awa")
        );
        assert_eq!(
            store.setting(SETTING_OFFICE_SENDER_ID).ok().flatten().as_deref(),
            Some("office.north")
        );
        assert_eq!(
            lines(&store),
            [(
                "Awa".to_string(),
                "settings_changed".to_string(),
                r#"{"office_sender_id":"office.north"}"#.to_string()
            )]
        );
        // The sender ID alone (the command line) keeps the officer.
        let sender_only = OfficeSettings {
            officer_name: None,
            office_sender_id: "office.south".into(),
        };
        store.save_settings(&sender_only, "olga (command line)").expect("save");
        assert_eq!(
            store.setting(SETTING_OFFICER_NAME).ok().flatten().as_deref(),
            Some("Awa")
        );
        assert_eq!(lines(&store).len(), 2);
    }

    #[test]
    fn refused_settings_write_neither_value_nor_audit_line() {
        let store = testutil::store();
        for (officer, sender_id) in [(Some(" "), "office.north"), (Some("Awa"), "office north")] {
            let settings = OfficeSettings {
                officer_name: officer.map(str::to_string),
                office_sender_id: sender_id.into(),
            };
            assert!(matches!(
                store.save_settings(&settings, "Awa"),
                Err(StoreError::Invalid(_))
            ));
        }
        assert_eq!(store.setting(SETTING_OFFICER_NAME).ok(), Some(None));
        assert_eq!(store.setting(SETTING_OFFICE_SENDER_ID).ok(), Some(None));
        assert!(lines(&store).is_empty());
    }

    #[test]
    fn a_pin_is_replaced_only_over_the_hash_its_changer_checked() {
        let store = testutil::store();
        store.set_supervisor_pin(None, "hash-1", "Awa").expect("first PIN");
        assert_eq!(
            store.setting(SETTING_SUPERVISOR_PIN).ok().flatten().as_deref(),
            Some("hash-1")
        );
        // Someone who checked against no PIN (or an older one) changes nothing.
        for stale in [None, Some("hash-0")] {
            assert!(store.set_supervisor_pin(stale, "hash-2", "Olga").is_err());
        }
        assert_eq!(
            store.setting(SETTING_SUPERVISOR_PIN).ok().flatten().as_deref(),
            Some("hash-1")
        );
        store
            .set_supervisor_pin(Some("hash-1"), "hash-2", "Awa")
            .expect("change");
        let actions: Vec<String> = lines(&store).into_iter().map(|l| l.1).collect();
        assert_eq!(actions, ["supervisor_pin_set", "supervisor_pin_set"]);
    }

    #[test]
    fn role_changes_refusals_and_office_keys_have_their_lines() {
        let store = testutil::store();
        store.record_role_change(Role::Supervisor, "Awa").expect("role");
        store.record_pin_refused("Olga").expect("refused");
        store.save_office_key("key-20261202", "system", || Ok(())).expect("key");
        assert!(store.save_office_key(" ", "system", || Ok(())).is_err());
        // A keyring that refuses the new key leaves the old ID and no line.
        let refused = store.save_office_key("key-20261203", "system", || Err("locked".into()));
        assert!(matches!(refused, Err(StoreError::Secret(_))), "{refused:?}");
        assert_eq!(
            store.setting(SETTING_OFFICE_KEY_ID).ok().flatten().as_deref(),
            Some("key-20261202")
        );
        assert_eq!(
            lines(&store),
            [
                ("Awa".into(), "role_changed".into(), r#"{"role":"Supervisor"}"#.into()),
                ("Olga".into(), "supervisor_pin_refused".into(), "{}".into()),
                (
                    "system".into(),
                    "office_key_generated".into(),
                    r#"{"key_id":"key-20261202"}"#.into()
                ),
            ]
        );
    }

    #[test]
    fn a_rehashed_pin_is_written_with_its_audit_line_only_over_the_old_hash() {
        let store = testutil::store();
        store.set_supervisor_pin(None, "$old", "supervisor").expect("set");
        store
            .rehash_supervisor_pin("$other", "$new", "supervisor")
            .expect_err("not over another hash");
        store
            .rehash_supervisor_pin("$old", "$new", "supervisor")
            .expect("rehash");
        assert_eq!(
            store.setting(SETTING_SUPERVISOR_PIN).ok().flatten().as_deref(),
            Some("$new")
        );
        let audit = store.audit_page(0, 10).expect("audit");
        assert_eq!(audit.len(), 2);
        assert_eq!(audit[0].action, "supervisor_pin_rehashed");
        assert_eq!(audit[0].actor, "supervisor");
    }
}
