//! Settings: small values the office chooses (which key signs requests, the
//! office's sender ID, …), as text under a key. Never a secret.

use rusqlite::{OptionalExtension, params};

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
            let mut stmt = tx.prepare_cached(
                "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )?;
            stmt.execute(params![key, value])?;
            Ok(())
        })
    }
}

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
}
