//! The append-only audit log: who did what to which check, and when.
//!
//! Append-only is enforced by the database itself (triggers that abort any
//! UPDATE or DELETE), not by this module's good manners, so that no code path
//! — nor a person with an SQLite browser using this schema — can quietly
//! rewrite history. Details are JSON and never hold a secret.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, Row, params};

use super::codec::{Ts, sql_int, to_json};
use super::{Result, Store};
use crate::domain::{AuditAction, AuditEntry};

impl Store {
    /// Appends one entry; returns its ID.
    pub fn append_audit(
        &self,
        actor: &str,
        action: AuditAction,
        check_id: Option<i64>,
        details: &serde_json::Value,
    ) -> Result<i64> {
        let details = to_json(details)?;
        let at = super::codec::now();
        self.write(|tx| append(tx, at, actor, action, check_id, &details))
    }

    /// The life of one check, oldest entry first.
    pub fn audit_for_check(&self, check_id: i64) -> Result<Vec<AuditEntry>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, at, actor, action, check_id, details FROM audit_log WHERE check_id = ?1 ORDER BY id",
            )?;
            let rows = stmt.query_map([check_id], from_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// A page of the whole log, newest entry first.
    pub fn audit_page(&self, offset: u64, limit: u32) -> Result<Vec<AuditEntry>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, at, actor, action, check_id, details FROM audit_log ORDER BY id DESC LIMIT ?1 OFFSET ?2",
            )?;
            let rows = stmt.query_map(params![limit, sql_int(offset)], from_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }
}

/// Appends an entry inside the caller's transaction, so that a change and its
/// audit line are written together or not at all.
pub(super) fn append(
    c: &Connection,
    at: DateTime<Utc>,
    actor: &str,
    action: AuditAction,
    check_id: Option<i64>,
    details: &str,
) -> Result<i64> {
    let mut stmt =
        c.prepare_cached("INSERT INTO audit_log (at, actor, action, check_id, details) VALUES (?1, ?2, ?3, ?4, ?5)")?;
    Ok(stmt.insert(params![Ts(at), actor, action.as_str(), check_id, details])?)
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<AuditEntry> {
    Ok(AuditEntry {
        id: row.get("id")?,
        at: row.get::<_, Ts>("at")?.0,
        actor: row.get("actor")?,
        action: row.get("action")?,
        check_id: row.get("check_id")?,
        details: row.get("details")?,
    })
}

#[cfg(test)]
mod tests {
    use super::super::testutil;
    use crate::domain::AuditAction;

    #[test]
    fn appends_and_reads_back() {
        let store = testutil::store();
        let a = store
            .append_audit(
                "officer",
                AuditAction::SourceAdded,
                None,
                &serde_json::json!({"name": "National IBR"}),
            )
            .expect("a");
        let b = store
            .append_audit("system", AuditAction::CheckFailed, Some(7), &serde_json::json!({}))
            .expect("b");
        let page = store.audit_page(0, 10).expect("page");
        assert_eq!(page.iter().map(|e| e.id).collect::<Vec<_>>(), [b, a]);
        assert_eq!(page[1].details, r#"{"name":"National IBR"}"#);
        let for_check = store.audit_for_check(7).expect("check");
        assert_eq!(for_check.len(), 1);
        assert_eq!(for_check[0].action, "check_failed");
        assert_eq!(store.audit_page(1, 10).map(|p| p.len()).ok(), Some(1));
    }

    #[test]
    fn the_log_cannot_be_updated_or_deleted() {
        let store = testutil::store();
        store
            .append_audit("officer", AuditAction::SettingsChanged, None, &serde_json::json!({}))
            .expect("append");
        for sql in ["UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log"] {
            let err = store.write(|tx| Ok(tx.execute(sql, [])?)).expect_err(sql);
            assert!(err.to_string().contains("the audit log is append-only"), "{err}");
        }
        assert_eq!(
            store.audit_page(0, 10).map(|p| p[0].actor.clone()).ok().as_deref(),
            Some("officer")
        );
    }
}
