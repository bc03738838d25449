//! Settings: small values the office chooses (which key signs requests, the
//! office's sender ID, …), as text under a key. Never a secret.

use rusqlite::{OptionalExtension, params};

use super::codec::to_json;
use super::{Result, Store};

impl Store {
    /// The value stored under `key`.
    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached("SELECT value FROM settings WHERE key = ?1")?;
            Ok(stmt.query_row([key], |r| r.get(0)).optional()?)
        })
    }

    /// Stores `value` under `key`, replacing what was there.
    pub fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        self.write(|tx| {
            let mut stmt = tx.prepare_cached(UPSERT)?;
            stmt.execute(params![key, value])?;
            Ok(())
        })
    }

    /// Stores `value` under `key` and appends the audit line that says why, in
    /// one transaction: both are written or neither is.
    pub fn set_setting_audited(
        &self,
        key: &str,
        value: &str,
        actor: &str,
        action: &str,
        details: &serde_json::Value,
    ) -> Result<()> {
        let details = to_json(details)?;
        let at = super::codec::now();
        self.write(|tx| {
            tx.prepare_cached(UPSERT)?.execute(params![key, value])?;
            super::audit::append(tx, at, actor, action, None, &details)?;
            Ok(())
        })
    }
}

const UPSERT: &str =
    "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value";

#[cfg(test)]
mod tests {
    use super::super::testutil;

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

    #[test]
    fn an_audited_setting_is_written_with_its_audit_line() {
        let store = testutil::store();
        store
            .set_setting_audited(
                "supervisor.pin",
                "$h",
                "supervisor",
                "supervisor_pin_rehashed",
                &serde_json::json!({}),
            )
            .expect("set");
        assert_eq!(store.setting("supervisor.pin").ok().flatten().as_deref(), Some("$h"));
        let audit = store.audit_page(0, 10).expect("audit");
        assert_eq!(audit.len(), 1);
        assert_eq!(audit[0].action, "supervisor_pin_rehashed");
        assert_eq!(audit[0].actor, "supervisor");
    }
}
