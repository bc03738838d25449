//! Data sources: the registries the office queries.
//!
//! There is deliberately no secret column: a source's client secret lives in
//! the OS keyring under [`DataSource::secret_key`], so a copied database file
//! never carries a credential.
//!
//! A new data source trusts no sender: its replies verify only once a person
//! links a sender to it (see `senders`). A person's change of a source goes
//! through [`Store::add_data_source`] / [`Store::change_data_source`] /
//! [`Store::delete_data_source`] — the window (through the engine) and the
//! command line call the same three — which write the change and its audit
//! line in one transaction, with the keyring step of the use case in its
//! place: a source is never kept without the secret it was given.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::codec::{Ts, sql_int, to_json, unsigned};
use super::settings::SETTING_DEMO_REMOVED;
use super::{Result, Store, StoreError, audit, is_unique_violation};
use crate::domain::{AuditAction, DataSource, NewDataSource, ReplyLimits};

const COLUMNS: &str = "id, name, registry_type, base_url, auth_url, client_id, path_prefix, mode, allow_unsigned, \
                       active, is_demo, insecure_http, max_reply_bytes, max_records_per_check, \
                       max_signature_lifetime_secs, created_at";

/// What removing a data source did besides removing it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceRemoval {
    /// The removed source's name.
    pub name: String,
    /// Whether it was the built-in demo registry (whose key file the
    /// caller deletes too).
    pub was_demo: bool,
    /// Checks still queued for it, failed since nothing could run them.
    pub failed_checks: usize,
    /// Senders removed with it (the built-in demo registry's own sender).
    pub removed_senders: Vec<String>,
    /// Why its client secret is still in the keyring, when deleting it
    /// failed (harmless: nothing names the entry any more).
    pub secret_left: Option<String>,
}

impl Store {
    /// Adds a data source after checking it ([`NewDataSource::validate`]).
    /// Names are unique regardless of case. Writes no audit line: for the
    /// system's own setup, tests and benchmarks; a person's change goes
    /// through [`Store::add_data_source`].
    pub fn insert_data_source(&self, new: &NewDataSource) -> Result<DataSource> {
        new.validate().map_err(StoreError::Invalid)?;
        self.write(|tx| insert(tx, new))
    }

    /// A person adds a data source: the source, its client secret and its
    /// audit line (`source_added`, with how far its replies are trusted)
    /// together or not at all. `store_secret` runs inside the transaction,
    /// after the insert (it needs the new source's keyring name) and before
    /// the commit: when it fails, the source and its audit line are rolled
    /// back ([`StoreError::Secret`]). Pass `|_| Ok(())` when there is no
    /// secret to store.
    pub fn add_data_source(
        &self,
        new: &NewDataSource,
        actor: &str,
        store_secret: impl FnOnce(&DataSource) -> std::result::Result<(), String>,
    ) -> Result<DataSource> {
        new.validate().map_err(StoreError::Invalid)?;
        self.write(|tx| {
            let source = insert(tx, new)?;
            audit_source(tx, actor, AuditAction::SourceAdded, &source)?;
            store_secret(&source).map_err(StoreError::Secret)?;
            Ok(source)
        })
    }

    /// A person changes a data source: the change, its client secret (set
    /// or cleared by `change_secret`, run inside the transaction after the
    /// update) and its audit line (`source_changed`) together or not at all.
    /// A keyring that refuses leaves the source as it was
    /// ([`StoreError::Secret`]); pass `|_| Ok(())` to keep the secret.
    pub fn change_data_source(
        &self,
        source: &DataSource,
        actor: &str,
        change_secret: impl FnOnce(&DataSource) -> std::result::Result<(), String>,
    ) -> Result<()> {
        as_new(source).validate().map_err(StoreError::Invalid)?;
        self.write(|tx| {
            update(tx, source)?;
            audit_source(tx, actor, AuditAction::SourceChanged, source)?;
            change_secret(source).map_err(StoreError::Secret)
        })
    }

    /// Saves a changed data source (same checks as when adding it), without
    /// an audit line (the demo registry's new address at each start).
    pub fn update_data_source(&self, source: &DataSource) -> Result<()> {
        as_new(source).validate().map_err(StoreError::Invalid)?;
        self.write(|tx| update(tx, source))
    }

    /// Every data source, by name.
    pub fn data_sources(&self) -> Result<Vec<DataSource>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(&format!("SELECT {COLUMNS} FROM data_sources ORDER BY name, id"))?;
            let rows = stmt.query_map([], from_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// One data source.
    pub fn data_source(&self, id: i64) -> Result<Option<DataSource>> {
        self.read(|c| by_id(c, id))
    }

    /// The data source with this name (any case).
    pub fn data_source_by_name(&self, name: &str) -> Result<Option<DataSource>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(&format!("SELECT {COLUMNS} FROM data_sources WHERE name = ?1"))?;
            Ok(stmt.query_row([name.trim()], from_row).optional()?)
        })
    }

    /// A person removes a data source, with its audit line, in one
    /// transaction. Its past checks keep their results and the source's name
    /// (`data_source_id` becomes NULL); checks still waiting for it are
    /// failed, since nothing could ever run them; its links to senders go.
    /// Removing the built-in demo registry also removes its own sender (one
    /// linked to no other source) and so its keys — nothing is left trusting
    /// a registry that no longer exists — and records, in the same
    /// transaction, that it was removed ([`SETTING_DEMO_REMOVED`]), so that
    /// it is not created again.
    ///
    /// `forget_secret` deletes the source's client secret from the keyring
    /// (called only for a source with a token URL), *after* the commit: a
    /// keyring entry left behind is harmless (nothing names it any more),
    /// whereas deleting first and then failing to commit would leave a
    /// source without its secret. Its failure is reported in
    /// [`SourceRemoval::secret_left`], not as an error: the source is gone.
    pub fn delete_data_source(
        &self,
        id: i64,
        actor: &str,
        forget_secret: impl FnOnce(&DataSource) -> std::result::Result<(), String>,
    ) -> Result<SourceRemoval> {
        let (source, mut removal) = self.write(|tx| {
            let source = by_id(tx, id)?.ok_or(StoreError::NotFound {
                what: "data source",
                id,
            })?;
            let failed_checks = super::checks::fail_queued_of_source(tx, id, "the data source was removed", actor)?;
            let removed_senders = if source.is_demo {
                own_senders(tx, id)?
            } else {
                Vec::new()
            };
            for (row_id, _) in &removed_senders {
                tx.execute("DELETE FROM ibr_senders WHERE id = ?1", [row_id])?;
            }
            let n = tx.execute("DELETE FROM data_sources WHERE id = ?1", [id])?;
            found(n, id)?;
            if source.is_demo {
                super::settings::put(tx, SETTING_DEMO_REMOVED, "true")?;
            }
            let removed_senders: Vec<String> = removed_senders.into_iter().map(|(_, s)| s).collect();
            let details = to_json(&serde_json::json!({
                "name": source.name,
                "failed_checks": failed_checks,
                "senders_removed": removed_senders,
            }))?;
            audit::append(
                tx,
                super::codec::now(),
                actor,
                AuditAction::SourceRemoved,
                None,
                &details,
            )?;
            let removal = SourceRemoval {
                name: source.name.clone(),
                was_demo: source.is_demo,
                failed_checks,
                removed_senders,
                secret_left: None,
            };
            Ok((source, removal))
        })?;
        if source.auth_url.is_some() {
            removal.secret_left = forget_secret(&source).err();
        }
        Ok(removal)
    }
}

/// The senders linked to this data source and to no other: `(row ID, sender ID)`.
fn own_senders(c: &Connection, data_source_id: i64) -> Result<Vec<(i64, String)>> {
    let mut stmt = c.prepare_cached(
        "SELECT s.id, s.sender_id FROM ibr_senders s JOIN sender_sources l ON l.sender_row_id = s.id \
         WHERE l.data_source_id = ?1 AND NOT EXISTS \
         (SELECT 1 FROM sender_sources o WHERE o.sender_row_id = s.id AND o.data_source_id <> ?1) ORDER BY s.id",
    )?;
    let rows = stmt.query_map([data_source_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

fn insert(tx: &Connection, new: &NewDataSource) -> Result<DataSource> {
    let created_at = super::codec::now();
    tx.execute(
        "INSERT INTO data_sources (name, registry_type, base_url, auth_url, client_id, path_prefix, mode, \
             allow_unsigned, active, is_demo, created_at, insecure_http, max_reply_bytes, max_records_per_check, \
             max_signature_lifetime_secs) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        params![
            new.name.trim(),
            new.registry_type,
            new.base_url.trim(),
            new.auth_url.as_deref().map(str::trim),
            new.client_id.as_deref().map(str::trim),
            new.path_prefix,
            new.mode.as_str(),
            new.allow_unsigned,
            new.active,
            new.is_demo,
            Ts(created_at),
            new.insecure_http,
            sql_int(new.limits.max_reply_bytes),
            new.limits.max_records_per_check,
            new.limits.max_signature_lifetime_secs,
        ],
    )
    .map_err(|e| name_taken(e, &new.name))?;
    let id = tx.last_insert_rowid();
    by_id(tx, id)?.ok_or(StoreError::NotFound {
        what: "data source",
        id,
    })
}

fn update(tx: &Connection, source: &DataSource) -> Result<()> {
    let n = tx
        .execute(
            "UPDATE data_sources SET name = ?2, registry_type = ?3, base_url = ?4, auth_url = ?5, \
                 client_id = ?6, path_prefix = ?7, mode = ?8, allow_unsigned = ?9, active = ?10, is_demo = ?11, \
                 insecure_http = ?12, max_reply_bytes = ?13, max_records_per_check = ?14, \
                 max_signature_lifetime_secs = ?15 WHERE id = ?1",
            params![
                source.id,
                source.name.trim(),
                source.registry_type,
                source.base_url.trim(),
                source.auth_url.as_deref().map(str::trim),
                source.client_id.as_deref().map(str::trim),
                source.path_prefix,
                source.mode.as_str(),
                source.allow_unsigned,
                source.active,
                source.is_demo,
                source.insecure_http,
                sql_int(source.limits.max_reply_bytes),
                source.limits.max_records_per_check,
                source.limits.max_signature_lifetime_secs,
            ],
        )
        .map_err(|e| name_taken(e, &source.name))?;
    found(n, source.id)
}

/// The audit line of a source added or changed: where it is, and how far
/// its replies are trusted.
fn audit_source(c: &Connection, actor: &str, action: AuditAction, s: &DataSource) -> Result<()> {
    let details = to_json(&serde_json::json!({
        "name": s.name,
        "base_url": s.base_url,
        "allow_unsigned": s.allow_unsigned,
        "insecure_http": s.insecure_http,
        "active": s.active,
        "limits": s.limits,
    }))?;
    audit::append(c, super::codec::now(), actor, action, None, &details)?;
    Ok(())
}

fn by_id(c: &Connection, id: i64) -> Result<Option<DataSource>> {
    let mut stmt = c.prepare_cached(&format!("SELECT {COLUMNS} FROM data_sources WHERE id = ?1"))?;
    Ok(stmt.query_row([id], from_row).optional()?)
}

/// The name of a data source, for the checks that keep it.
pub(super) fn name_of(c: &Connection, id: i64) -> Result<String> {
    let mut stmt = c.prepare_cached("SELECT name FROM data_sources WHERE id = ?1")?;
    stmt.query_row([id], |r| r.get(0))
        .optional()?
        .ok_or(StoreError::NotFound {
            what: "data source",
            id,
        })
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<DataSource> {
    Ok(DataSource {
        id: row.get("id")?,
        name: row.get("name")?,
        registry_type: row.get("registry_type")?,
        base_url: row.get("base_url")?,
        auth_url: row.get("auth_url")?,
        client_id: row.get("client_id")?,
        path_prefix: row.get("path_prefix")?,
        mode: row.get("mode")?,
        allow_unsigned: row.get("allow_unsigned")?,
        active: row.get("active")?,
        is_demo: row.get("is_demo")?,
        insecure_http: row.get("insecure_http")?,
        limits: ReplyLimits {
            max_reply_bytes: unsigned(row.get("max_reply_bytes")?),
            max_records_per_check: row.get("max_records_per_check")?,
            max_signature_lifetime_secs: row.get("max_signature_lifetime_secs")?,
        },
        created_at: row.get::<_, Ts>("created_at")?.0,
    })
}

fn as_new(s: &DataSource) -> NewDataSource {
    NewDataSource {
        name: s.name.clone(),
        registry_type: s.registry_type.clone(),
        base_url: s.base_url.clone(),
        auth_url: s.auth_url.clone(),
        client_id: s.client_id.clone(),
        path_prefix: s.path_prefix.clone(),
        mode: s.mode,
        allow_unsigned: s.allow_unsigned,
        active: s.active,
        is_demo: s.is_demo,
        insecure_http: s.insecure_http,
        limits: s.limits,
    }
}

fn name_taken(e: rusqlite::Error, name: &str) -> StoreError {
    if is_unique_violation(&e, "data_sources.name") {
        StoreError::Duplicate {
            what: "a data source named",
            name: name.trim().to_string(),
        }
    } else {
        e.into()
    }
}

fn found(changed: usize, id: i64) -> Result<()> {
    if changed == 0 {
        Err(StoreError::NotFound {
            what: "data source",
            id,
        })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil;
    use super::*;
    use crate::domain::SourceMode;

    #[test]
    fn round_trips_a_data_source() {
        let store = testutil::store();
        let mut new = NewDataSource::ibr("National IBR", "https://ibr.example.org");
        new.auth_url = Some("https://ibr.example.org/oauth2/client/token".into());
        new.client_id = Some("office-7".into());
        new.mode = SourceMode::Async;
        new.is_demo = true;
        new.insecure_http = true;
        new.limits = ReplyLimits {
            max_reply_bytes: 1 << 20,
            max_records_per_check: 42,
            max_signature_lifetime_secs: 600,
        };
        let s = store.insert_data_source(&new).expect("insert");
        assert_eq!(as_new(&s), new);
        assert_eq!(store.data_source(s.id).ok().flatten(), Some(s.clone()));
        assert_eq!(
            store.data_source_by_name("national ibr").ok().flatten(),
            Some(s.clone())
        );

        let mut changed = s.clone();
        changed.base_url = "https://ibr2.example.org".into();
        changed.active = false;
        store.update_data_source(&changed).expect("update");
        assert_eq!(store.data_source(s.id).ok().flatten(), Some(changed));
        store.delete_data_source(s.id, "test", |_| Ok(())).expect("delete");
        assert_eq!(store.data_source(s.id).ok().flatten(), None);
        assert!(matches!(
            store.delete_data_source(s.id, "test", |_| Ok(())),
            Err(StoreError::NotFound { .. })
        ));
    }

    fn sender(name: &str, sender_id: &str) -> crate::domain::NewIbrSender {
        crate::domain::NewIbrSender {
            name: name.into(),
            sender_id: sender_id.into(),
            public_key_pem: Some("-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAAAAA\n-----END PUBLIC KEY-----".into()),
            jwks_url: None,
            algorithm: crate::domain::Algorithm::Ed25519,
            active: true,
            insecure_http: false,
        }
    }

    #[test]
    fn a_persons_change_is_written_with_its_audit_line() {
        let store = testutil::store();
        let mut new = NewDataSource::ibr("Lab IBR", "http://lab.example.org");
        new.insecure_http = true;
        let s = store
            .add_data_source(&new, "olga (command line)", |_| Ok(()))
            .expect("add");
        let line = store.audit_page(0, 1).expect("audit")[0].clone();
        assert_eq!(
            (line.action.as_str(), line.actor.as_str()),
            ("source_added", "olga (command line)")
        );
        assert!(line.details.contains("\"insecure_http\":true"), "{}", line.details);
        let mut changed = s.clone();
        changed.allow_unsigned = true;
        store
            .change_data_source(&changed, "olga (command line)", |_| Ok(()))
            .expect("change");
        let line = store.audit_page(0, 1).expect("audit")[0].clone();
        assert_eq!(line.action, "source_changed");
        assert!(line.details.contains("\"allow_unsigned\":true"), "{}", line.details);
        // An invalid change writes neither the change nor an audit line.
        changed.base_url = "not a url".into();
        assert!(store.change_data_source(&changed, "x", |_| Ok(())).is_err());
        assert_eq!(store.audit_page(0, 10).map(|p| p.len()).ok(), Some(2));
    }

    fn actions(store: &Store) -> Vec<String> {
        let mut page = store.audit_page(0, 100).expect("audit");
        page.reverse();
        page.into_iter().map(|e| e.action).collect()
    }

    fn with_token_url(name: &str) -> NewDataSource {
        NewDataSource {
            auth_url: Some("https://ibr.example.org/oauth2/client/token".into()),
            client_id: Some("office-7".into()),
            ..NewDataSource::ibr(name, "https://ibr.example.org")
        }
    }

    #[test]
    fn a_secret_the_keyring_refuses_leaves_neither_source_nor_audit_line() {
        let store = testutil::store();
        let mut asked_for = None;
        let err = store
            .add_data_source(&with_token_url("National IBR"), "Awa", |source| {
                asked_for = Some(source.id);
                Err("the keyring is locked".into())
            })
            .expect_err("refused");
        assert!(matches!(err, StoreError::Secret(_)), "{err}");
        assert!(err.to_string().contains("the keyring is locked"), "{err}");
        assert!(asked_for.is_some(), "the keyring step ran, with the new source");
        assert_eq!(store.data_sources().map(|d| d.len()).ok(), Some(0));
        assert!(actions(&store).is_empty());
        // Stored, the source and its line are there together.
        let s = store
            .add_data_source(&with_token_url("National IBR"), "Awa", |_| Ok(()))
            .expect("add");
        assert_eq!(actions(&store), ["source_added"]);
        // A change whose secret is refused leaves the source as it was.
        let mut changed = s.clone();
        changed.allow_unsigned = true;
        let err = store
            .change_data_source(&changed, "Awa", |_| Err("the keyring is locked".into()))
            .expect_err("refused");
        assert!(matches!(err, StoreError::Secret(_)), "{err}");
        assert_eq!(store.data_source(s.id).ok().flatten(), Some(s));
        assert_eq!(actions(&store), ["source_added"]);
    }

    #[test]
    fn a_change_that_fails_leaves_no_audit_line_and_asks_no_keyring() {
        let store = testutil::store();
        let a = store
            .add_data_source(
                &NewDataSource::ibr("National IBR", "https://ibr.example.org"),
                "Awa",
                |_| Ok(()),
            )
            .expect("add");
        let b = store
            .add_data_source(
                &NewDataSource::ibr("Regional IBR", "https://r.example.org"),
                "Awa",
                |_| Ok(()),
            )
            .expect("add");
        let keyring = std::cell::Cell::new(0);
        let count = |_: &DataSource| {
            keyring.set(keyring.get() + 1);
            Ok(())
        };
        let err = store
            .add_data_source(
                &NewDataSource::ibr("NATIONAL IBR", "https://x.example.org"),
                "Awa",
                count,
            )
            .expect_err("duplicate");
        assert!(matches!(err, StoreError::Duplicate { .. }), "{err}");
        let mut renamed = b.clone();
        renamed.name = a.name.clone();
        let err = store.change_data_source(&renamed, "Awa", count).expect_err("duplicate");
        assert!(matches!(err, StoreError::Duplicate { .. }), "{err}");
        assert_eq!(keyring.get(), 0, "no secret is stored for a change that was refused");
        assert_eq!(store.data_sources().map(|d| d.len()).ok(), Some(2));
        assert_eq!(actions(&store), ["source_added", "source_added"]);
    }

    #[test]
    fn a_removed_sources_secret_is_deleted_after_the_commit() {
        let store = testutil::store();
        let s = store
            .add_data_source(&with_token_url("National IBR"), "Awa", |_| Ok(()))
            .expect("add");
        let mut seen_by_keyring_step = None;
        let removal = store
            .delete_data_source(s.id, "Awa", |source| {
                // The removal is committed: the source is gone, its line is there.
                seen_by_keyring_step = Some((
                    source.id,
                    store.data_source(source.id).map(|d| d.is_some()).ok(),
                    actions(&store).last().cloned(),
                ));
                Err("the keyring is locked".into())
            })
            .expect("removed");
        assert_eq!(
            seen_by_keyring_step,
            Some((s.id, Some(false), Some("source_removed".to_string())))
        );
        assert_eq!(removal.name, "National IBR");
        assert_eq!(removal.secret_left.as_deref(), Some("the keyring is locked"));
        // A source with no token URL has no secret to delete.
        let plain = testutil::source(&store, "Plain");
        let removal = store
            .delete_data_source(plain.id, "Awa", |_| panic!("no secret to delete"))
            .expect("removed");
        assert_eq!(removal.secret_left, None);
    }

    #[test]
    fn removing_the_demo_registry_records_it_in_the_same_transaction() {
        let store = testutil::store();
        let demo = store
            .insert_data_source(&NewDataSource {
                is_demo: true,
                ..NewDataSource::ibr("Demo registry (built in)", "http://127.0.0.1:9")
            })
            .expect("demo");
        let other = testutil::source(&store, "National IBR");
        store.delete_data_source(other.id, "Awa", |_| Ok(())).expect("remove");
        assert_eq!(
            store.setting(SETTING_DEMO_REMOVED).ok(),
            Some(None),
            "only the demo's removal"
        );
        // A removal that fails (no such source) records nothing.
        assert!(store.delete_data_source(demo.id + 100, "Awa", |_| Ok(())).is_err());
        assert_eq!(store.setting(SETTING_DEMO_REMOVED).ok(), Some(None));
        let removal = store.delete_data_source(demo.id, "Awa", |_| Ok(())).expect("remove");
        assert!(removal.was_demo);
        assert_eq!(
            store.setting(SETTING_DEMO_REMOVED).ok().flatten().as_deref(),
            Some("true")
        );
        assert_eq!(actions(&store), ["source_removed", "source_removed"]);
    }

    #[test]
    fn removing_the_demo_registry_removes_its_own_sender() {
        let store = testutil::store();
        let demo = store
            .insert_data_source(&NewDataSource {
                is_demo: true,
                ..NewDataSource::ibr("Demo registry (built in)", "http://127.0.0.1:9")
            })
            .expect("demo");
        let other = testutil::source(&store, "National IBR");
        let demo_sender = store
            .insert_sender(&sender("Demo", "sandbox.ibr-desk.local"), &[demo.id], "system")
            .expect("demo sender");
        let shared = store
            .insert_sender(&sender("Shared", "ibr.shared"), &[demo.id, other.id], "test")
            .expect("shared sender");
        let removal = store.delete_data_source(demo.id, "awa", |_| Ok(())).expect("remove");
        assert_eq!(removal.removed_senders, ["sandbox.ibr-desk.local"]);
        assert_eq!(
            store.sender(demo_sender.id).ok().flatten(),
            None,
            "the demo's sender is gone"
        );
        assert_eq!(
            store.sender_keys(demo_sender.id).map(|k| k.len()).ok(),
            Some(0),
            "and its keys"
        );
        assert!(
            store.sender(shared.id).ok().flatten().is_some(),
            "a sender trusted for another source stays"
        );
        assert_eq!(store.sender_sources(shared.id).ok(), Some(vec![other.id]));
        let line = store.audit_page(0, 1).expect("audit")[0].clone();
        assert_eq!((line.action.as_str(), line.actor.as_str()), ("source_removed", "awa"));
        assert!(line.details.contains("sandbox.ibr-desk.local"), "{}", line.details);

        // Removing another source leaves its senders (linked to nothing).
        let removal = store.delete_data_source(other.id, "awa", |_| Ok(())).expect("remove");
        assert!(removal.removed_senders.is_empty());
        assert!(store.sender(shared.id).ok().flatten().is_some());
    }

    #[test]
    fn lists_by_name() {
        let store = testutil::store();
        testutil::source(&store, "Zeta");
        testutil::source(&store, "alpha");
        let names: Vec<String> = store
            .data_sources()
            .expect("list")
            .into_iter()
            .map(|s| s.name)
            .collect();
        assert_eq!(names, ["alpha", "Zeta"]);
    }

    #[test]
    fn refuses_duplicate_names_and_invalid_sources() {
        let store = testutil::store();
        let a = testutil::source(&store, "National IBR");
        let err = store
            .insert_data_source(&NewDataSource::ibr("NATIONAL IBR", "https://x.example.org"))
            .expect_err("duplicate");
        assert!(matches!(err, StoreError::Duplicate { .. }), "{err}");
        assert!(err.to_string().contains("already exists"));
        let b = testutil::source(&store, "Regional IBR");
        let mut renamed = b.clone();
        renamed.name = a.name.clone();
        assert!(matches!(
            store.update_data_source(&renamed),
            Err(StoreError::Duplicate { .. })
        ));
        let bad = NewDataSource::ibr("Bad", "ibr.example.org");
        assert!(matches!(store.insert_data_source(&bad), Err(StoreError::Invalid(_))));
    }
}
