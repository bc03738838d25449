//! Data sources: the registries the office queries.
//!
//! There is deliberately no secret column: a source's client secret lives in
//! the OS keyring under [`DataSource::secret_key`], so a copied database file
//! never carries a credential.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::codec::{Ts, parsed, source_mode_from_text, sql_int, unsigned};
use super::{Result, Store, StoreError, is_unique_violation};
use crate::domain::{DataSource, NewDataSource, ReplyLimits};

const COLUMNS: &str = "id, name, registry_type, base_url, auth_url, client_id, path_prefix, mode, allow_unsigned, \
                       active, is_demo, insecure_http, max_reply_bytes, max_records_per_check, \
                       max_signature_lifetime_secs, created_at";

impl Store {
    /// Adds a data source after checking it ([`NewDataSource::validate`]).
    /// Names are unique regardless of case.
    pub fn insert_data_source(&self, new: &NewDataSource) -> Result<DataSource> {
        new.validate().map_err(StoreError::Invalid)?;
        let created_at = super::codec::now();
        self.write(|tx| {
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
        })
    }

    /// Saves a changed data source (same checks as when adding it).
    pub fn update_data_source(&self, source: &DataSource) -> Result<()> {
        as_new(source).validate().map_err(StoreError::Invalid)?;
        self.write(|tx| {
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
        })
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

    /// Removes a data source. Its past checks keep their results and the
    /// source's name (`data_source_id` becomes NULL). Checks still waiting
    /// for it are failed first, in the same transaction, since nothing could
    /// ever run them (call [`Store::fail_queued_checks_of_source`] before to
    /// choose the message and actor).
    pub fn delete_data_source(&self, id: i64) -> Result<()> {
        self.write(|tx| {
            super::checks::fail_queued_of_source(tx, id, "the data source was removed before the check ran", "system")?;
            let n = tx.execute("DELETE FROM data_sources WHERE id = ?1", [id])?;
            found(n, id)
        })
    }
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
        mode: parsed(row, "mode", source_mode_from_text)?,
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
        store.delete_data_source(s.id).expect("delete");
        assert_eq!(store.data_source(s.id).ok().flatten(), None);
        assert!(matches!(
            store.delete_data_source(s.id),
            Err(StoreError::NotFound { .. })
        ));
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
