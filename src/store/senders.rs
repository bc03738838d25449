//! IBR senders (registries whose signed replies are trusted), their keys,
//! and the data sources each is trusted for.
//!
//! A sender may have several keys: the one a person pasted (origin `pem`) and
//! those fetched from its JWKS URL (origin `jwks`), old and new during a key
//! rotation. Keys are unique per sender by their PEM text, so fetching the same
//! JWKS again refreshes rows instead of adding them. Only public keys are
//! stored; the office's own private key is in the OS keyring.
//!
//! A sender's keys verify the replies of the data sources it is linked to
//! (`sender_sources`), never of every source: a registry trusted for its own
//! answers must not be able to answer, signed, in another registry's name. A
//! new sender is linked to the sources given with it, a new data source to
//! no sender until a person links one.
//!
//! Every change of trust — a sender added, changed or removed, a link, a key
//! — is written with its audit line in one transaction, with the actor who
//! made it.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::codec::{Ts, to_json};
use super::{Result, Store, StoreError, audit, is_unique_violation};
use crate::domain::{Algorithm, AuditAction, IbrSender, KeyOrigin, NewIbrSender, SenderKey, validate_sender_id};

const SENDER_COLUMNS: &str =
    "id, name, sender_id, public_key_pem, jwks_url, algorithm, key_fetched_at, active, insecure_http";
const KEY_COLUMNS: &str = "id, sender_row_id, kid, algorithm, pem, origin, fetched_at";

/// A public key read from a sender's JWKS, to be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedSenderKey {
    /// `sender|key|alg`, as the JWKS publishes it.
    pub kid: String,
    pub algorithm: Algorithm,
    pub pem: String,
}

/// One key a data source's replies may be verified with: the data source,
/// the sender's DCI sender ID, and the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedSourceKey {
    pub data_source_id: i64,
    pub sender_id: String,
    pub key: SenderKey,
}

impl Store {
    /// Adds a sender after checking it ([`NewIbrSender::validate`]: the sender
    /// ID has only letters, digits, dots and hyphens), linked to the data
    /// sources `sources`, with its audit line. A PEM given with it is also
    /// stored as one of its keys (origin `pem`).
    pub fn insert_sender(&self, new: &NewIbrSender, sources: &[i64], actor: &str) -> Result<IbrSender> {
        new.validate().map_err(StoreError::Invalid)?;
        let pem = pasted_pem(new.public_key_pem.as_deref());
        let now = super::codec::now();
        self.write(|tx| {
            tx.execute(
                "INSERT INTO ibr_senders (name, sender_id, public_key_pem, jwks_url, algorithm, active, created_at, \
                 insecure_http) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    new.name.trim(),
                    new.sender_id,
                    pem,
                    blank_to_none(new.jwks_url.as_deref()),
                    new.algorithm.as_str(),
                    new.active,
                    Ts(now),
                    new.insecure_http,
                ],
            )
            .map_err(|e| taken(e, &new.name, &new.sender_id))?;
            let id = tx.last_insert_rowid();
            if let Some(pem) = &pem {
                upsert_key(tx, id, None, new.algorithm, pem, KeyOrigin::Pem, now)?;
            }
            let linked = replace_links(tx, id, sources)?;
            let sender = sender_by(tx, "id", &id)?.ok_or(StoreError::NotFound { what: "sender", id })?;
            audit_sender(tx, now, actor, AuditAction::SenderAdded, &sender, &linked)?;
            Ok(sender)
        })
    }

    /// Saves a changed sender and the data sources it is trusted for (exactly
    /// `sources`), with its audit line. When its hand-configured PEM changed,
    /// the old pasted key stops being trusted and the new one is stored; keys
    /// fetched from JWKS are kept.
    pub fn update_sender(&self, sender: &IbrSender, sources: &[i64], actor: &str) -> Result<()> {
        as_new(sender).validate().map_err(StoreError::Invalid)?;
        let pem = pasted_pem(sender.public_key_pem.as_deref());
        let now = super::codec::now();
        self.write(|tx| {
            let n = tx
                .execute(
                    "UPDATE ibr_senders SET name = ?2, sender_id = ?3, public_key_pem = ?4, jwks_url = ?5, \
                     algorithm = ?6, key_fetched_at = ?7, active = ?8, insecure_http = ?9 WHERE id = ?1",
                    params![
                        sender.id,
                        sender.name.trim(),
                        sender.sender_id,
                        pem,
                        blank_to_none(sender.jwks_url.as_deref()),
                        sender.algorithm.as_str(),
                        sender.key_fetched_at.map(Ts),
                        sender.active,
                        sender.insecure_http,
                    ],
                )
                .map_err(|e| taken(e, &sender.name, &sender.sender_id))?;
            if n == 0 {
                return Err(StoreError::NotFound {
                    what: "sender",
                    id: sender.id,
                });
            }
            tx.execute(
                "DELETE FROM sender_keys WHERE sender_row_id = ?1 AND origin = 'pem' AND pem IS NOT ?2",
                params![sender.id, pem],
            )?;
            if let Some(pem) = &pem {
                upsert_key(tx, sender.id, None, sender.algorithm, pem, KeyOrigin::Pem, now)?;
            }
            let linked = replace_links(tx, sender.id, sources)?;
            let saved = sender_by(tx, "id", &sender.id)?.ok_or(StoreError::NotFound {
                what: "sender",
                id: sender.id,
            })?;
            audit_sender(tx, now, actor, AuditAction::SenderChanged, &saved, &linked)
        })
    }

    /// Every sender, by name.
    pub fn senders(&self) -> Result<Vec<IbrSender>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(&format!("SELECT {SENDER_COLUMNS} FROM ibr_senders ORDER BY name, id"))?;
            let rows = stmt.query_map([], sender_from_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// One sender by row ID.
    pub fn sender(&self, id: i64) -> Result<Option<IbrSender>> {
        self.read(|c| sender_by(c, "id", &id))
    }

    /// The sender with this name (any case).
    pub fn sender_by_name(&self, name: &str) -> Result<Option<IbrSender>> {
        self.read(|c| sender_by(c, "name", &name.trim()))
    }

    /// The sender with this DCI sender ID (exact).
    pub fn sender_by_sender_id(&self, sender_id: &str) -> Result<Option<IbrSender>> {
        self.read(|c| sender_by(c, "sender_id", &sender_id))
    }

    /// Removes a sender and its keys (its replies are no longer trusted
    /// anywhere), with its audit line.
    pub fn delete_sender(&self, id: i64, actor: &str) -> Result<()> {
        let now = super::codec::now();
        self.write(|tx| {
            let sender = sender_by(tx, "id", &id)?.ok_or(StoreError::NotFound { what: "sender", id })?;
            tx.execute("DELETE FROM ibr_senders WHERE id = ?1", [id])?;
            let details = to_json(&serde_json::json!({ "name": sender.name, "sender_id": sender.sender_id }))?;
            audit::append(tx, now, actor, AuditAction::SenderRemoved, None, &details)?;
            Ok(())
        })
    }

    /// The data sources (IDs, by name) a sender is trusted for.
    pub fn sender_sources(&self, sender_row_id: i64) -> Result<Vec<i64>> {
        self.read(|c| links_of(c, sender_row_id))
    }

    /// Every link `(sender row ID, data source ID)`, for the screens that
    /// show which senders a source trusts and which sources a sender signs for.
    pub fn sender_links(&self) -> Result<Vec<(i64, i64)>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT sender_row_id, data_source_id FROM sender_sources ORDER BY sender_row_id, data_source_id",
            )?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// Links (`linked`) or unlinks a sender and a data source, with an audit
    /// line when anything changed. Returns whether it changed.
    pub fn set_sender_link(&self, sender_row_id: i64, data_source_id: i64, linked: bool, actor: &str) -> Result<bool> {
        let now = super::codec::now();
        self.write(|tx| {
            let sender = sender_by(tx, "id", &sender_row_id)?.ok_or(StoreError::NotFound {
                what: "sender",
                id: sender_row_id,
            })?;
            let source = super::sources::name_of(tx, data_source_id)?;
            let n = if linked {
                tx.execute(
                    "INSERT OR IGNORE INTO sender_sources (sender_row_id, data_source_id) VALUES (?1, ?2)",
                    params![sender_row_id, data_source_id],
                )?
            } else {
                tx.execute(
                    "DELETE FROM sender_sources WHERE sender_row_id = ?1 AND data_source_id = ?2",
                    params![sender_row_id, data_source_id],
                )?
            };
            if n > 0 {
                let details = to_json(&serde_json::json!({ "sender_id": sender.sender_id, "data_source": source }))?;
                let action = if linked {
                    AuditAction::SenderLinked
                } else {
                    AuditAction::SenderUnlinked
                };
                audit::append(tx, now, actor, action, None, &details)?;
            }
            Ok(n > 0)
        })
    }

    /// Stores a public key of a sender, or refreshes it when the sender already
    /// has this PEM (kid kept if none is given now), with its audit line. A
    /// key from JWKS also records when the sender's keys were last fetched.
    #[allow(clippy::too_many_arguments)] // one key, described in full
    pub fn add_sender_key(
        &self,
        sender_row_id: i64,
        kid: Option<&str>,
        algorithm: Algorithm,
        pem: &str,
        origin: KeyOrigin,
        fetched_at: DateTime<Utc>,
        actor: &str,
    ) -> Result<SenderKey> {
        let pem = normalize_pem(pem);
        if pem.is_empty() {
            return Err(StoreError::Invalid("the public key is empty".into()));
        }
        let fetched_at = super::codec::truncate(fetched_at);
        self.write(|tx| {
            let sender = sender_by(tx, "id", &sender_row_id)?.ok_or(StoreError::NotFound {
                what: "sender",
                id: sender_row_id,
            })?;
            let key = upsert_key(tx, sender_row_id, kid, algorithm, &pem, origin, fetched_at)?;
            if origin == KeyOrigin::Jwks {
                tx.execute(
                    "UPDATE ibr_senders SET key_fetched_at = ?2 WHERE id = ?1",
                    params![sender_row_id, Ts(fetched_at)],
                )?;
            }
            let details = to_json(&serde_json::json!({
                "sender_id": sender.sender_id, "kid": key.kid, "origin": origin.as_str()
            }))?;
            audit::append(tx, fetched_at, actor, AuditAction::SenderKeyAdded, None, &details)?;
            Ok(key)
        })
    }

    /// Stores the keys fetched from a sender's JWKS URL (refreshing those it
    /// has already), records when, and writes one audit line for them all.
    pub fn store_fetched_keys(
        &self,
        sender_row_id: i64,
        keys: &[FetchedSenderKey],
        url: &str,
        fetched_at: DateTime<Utc>,
        actor: &str,
    ) -> Result<usize> {
        let fetched_at = super::codec::truncate(fetched_at);
        self.write(|tx| {
            let sender = sender_by(tx, "id", &sender_row_id)?.ok_or(StoreError::NotFound {
                what: "sender",
                id: sender_row_id,
            })?;
            for k in keys {
                let pem = normalize_pem(&k.pem);
                if pem.is_empty() {
                    return Err(StoreError::Invalid(format!("the key {} is empty", k.kid)));
                }
                upsert_key(
                    tx,
                    sender_row_id,
                    Some(&k.kid),
                    k.algorithm,
                    &pem,
                    KeyOrigin::Jwks,
                    fetched_at,
                )?;
            }
            tx.execute(
                "UPDATE ibr_senders SET key_fetched_at = ?2 WHERE id = ?1",
                params![sender_row_id, Ts(fetched_at)],
            )?;
            let kids: Vec<&str> = keys.iter().map(|k| k.kid.as_str()).collect();
            let details = to_json(&serde_json::json!({
                "sender_id": sender.sender_id, "keys": keys.len(), "kids": kids, "url": url
            }))?;
            audit::append(tx, fetched_at, actor, AuditAction::SenderKeysFetched, None, &details)?;
            Ok(keys.len())
        })
    }

    /// Makes `pem` the sender's only key (pasted, no JWKS URL): every other
    /// key it had stops being trusted. For a sender whose key this program
    /// itself holds (the built-in demo registry), so that keys it had before
    /// — once derivable from a public seed — are gone. Writes an audit line
    /// and returns `true` only when something changed.
    pub fn replace_sender_keys(
        &self,
        sender_row_id: i64,
        pem: &str,
        algorithm: Algorithm,
        actor: &str,
    ) -> Result<bool> {
        let pem = normalize_pem(pem);
        if pem.is_empty() {
            return Err(StoreError::Invalid("the public key is empty".into()));
        }
        let now = super::codec::now();
        self.write(|tx| {
            let sender = sender_by(tx, "id", &sender_row_id)?.ok_or(StoreError::NotFound {
                what: "sender",
                id: sender_row_id,
            })?;
            let keys = keys_of(tx, sender_row_id)?;
            let unchanged = sender.public_key_pem.as_deref() == Some(pem.as_str())
                && sender.jwks_url.is_none()
                && sender.algorithm == algorithm
                && keys.len() == 1
                && keys[0].public_key_pem == pem;
            if unchanged {
                return Ok(false);
            }
            tx.execute(
                "UPDATE ibr_senders SET public_key_pem = ?2, jwks_url = NULL, key_fetched_at = NULL, algorithm = ?3 \
                 WHERE id = ?1",
                params![sender_row_id, pem, algorithm.as_str()],
            )?;
            let removed = tx.execute(
                "DELETE FROM sender_keys WHERE sender_row_id = ?1 AND pem <> ?2",
                params![sender_row_id, pem],
            )?;
            upsert_key(tx, sender_row_id, None, algorithm, &pem, KeyOrigin::Pem, now)?;
            let details = to_json(&serde_json::json!({
                "sender_id": sender.sender_id, "keys_removed": removed
            }))?;
            audit::append(tx, now, actor, AuditAction::SenderKeysReplaced, None, &details)?;
            Ok(true)
        })
    }

    /// The keys of one sender, oldest first.
    pub fn sender_keys(&self, sender_row_id: i64) -> Result<Vec<SenderKey>> {
        self.read(|c| keys_of(c, sender_row_id))
    }

    /// Every key of every active sender, once per data source the sender is
    /// linked to: what signature verification may trust, source by source.
    pub fn trusted_keys(&self) -> Result<Vec<TrustedSourceKey>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT l.data_source_id, s.sender_id, k.id, k.sender_row_id, k.kid, k.algorithm, k.pem, k.origin, \
                 k.fetched_at \
                 FROM sender_sources l JOIN ibr_senders s ON s.id = l.sender_row_id \
                 JOIN sender_keys k ON k.sender_row_id = s.id \
                 WHERE s.active = 1 ORDER BY l.data_source_id, s.sender_id, k.id",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok(TrustedSourceKey {
                    data_source_id: r.get("data_source_id")?,
                    sender_id: r.get("sender_id")?,
                    key: key_from_row(r)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }
}

/// Makes the sender's links exactly `sources` (each must exist); returns
/// the linked sources' names, for the audit line.
fn replace_links(c: &Connection, sender_row_id: i64, sources: &[i64]) -> Result<Vec<String>> {
    let mut ids = sources.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let mut names = Vec::with_capacity(ids.len());
    for &id in &ids {
        names.push(super::sources::name_of(c, id)?);
    }
    c.execute("DELETE FROM sender_sources WHERE sender_row_id = ?1", [sender_row_id])?;
    let mut stmt = c.prepare_cached("INSERT INTO sender_sources (sender_row_id, data_source_id) VALUES (?1, ?2)")?;
    for &id in &ids {
        stmt.execute(params![sender_row_id, id])?;
    }
    names.sort_by_key(|n| n.to_lowercase());
    Ok(names)
}

fn links_of(c: &Connection, sender_row_id: i64) -> Result<Vec<i64>> {
    let mut stmt = c.prepare_cached(
        "SELECT l.data_source_id FROM sender_sources l JOIN data_sources d ON d.id = l.data_source_id \
         WHERE l.sender_row_id = ?1 ORDER BY d.name, d.id",
    )?;
    let rows = stmt.query_map([sender_row_id], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

fn keys_of(c: &Connection, sender_row_id: i64) -> Result<Vec<SenderKey>> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {KEY_COLUMNS} FROM sender_keys WHERE sender_row_id = ?1 ORDER BY id"
    ))?;
    let rows = stmt.query_map([sender_row_id], key_from_row)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// The audit line of a sender added or changed: what a reviewer needs to
/// see who trusted whom, for which data sources.
fn audit_sender(
    c: &Connection,
    at: DateTime<Utc>,
    actor: &str,
    action: AuditAction,
    s: &IbrSender,
    sources: &[String],
) -> Result<()> {
    let details = to_json(&serde_json::json!({
        "name": s.name,
        "sender_id": s.sender_id,
        "active": s.active,
        "jwks_url": s.jwks_url,
        "insecure_http": s.insecure_http,
        "data_sources": sources,
    }))?;
    audit::append(c, at, actor, action, None, &details)?;
    Ok(())
}

/// A pasted PEM as stored: normalised, or none when it is blank.
fn pasted_pem(pem: Option<&str>) -> Option<String> {
    pem.map(normalize_pem).filter(|p| !p.is_empty())
}

fn upsert_key(
    c: &Connection,
    sender_row_id: i64,
    kid: Option<&str>,
    algorithm: Algorithm,
    pem: &str,
    origin: KeyOrigin,
    fetched_at: DateTime<Utc>,
) -> Result<SenderKey> {
    let mut stmt = c.prepare_cached(
        "INSERT INTO sender_keys (sender_row_id, kid, algorithm, pem, origin, fetched_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
         ON CONFLICT (sender_row_id, pem) DO UPDATE SET kid = coalesce(excluded.kid, sender_keys.kid), \
         algorithm = excluded.algorithm, origin = excluded.origin, fetched_at = excluded.fetched_at \
         RETURNING id, sender_row_id, kid, algorithm, pem, origin, fetched_at",
    )?;
    Ok(stmt.query_row(
        params![
            sender_row_id,
            kid,
            algorithm.as_str(),
            pem,
            origin.as_str(),
            Ts(fetched_at)
        ],
        key_from_row,
    )?)
}

fn sender_by(c: &Connection, column: &str, value: &dyn rusqlite::ToSql) -> Result<Option<IbrSender>> {
    let mut stmt = c.prepare_cached(&format!("SELECT {SENDER_COLUMNS} FROM ibr_senders WHERE {column} = ?1"))?;
    Ok(stmt.query_row([value], sender_from_row).optional()?)
}

fn sender_from_row(row: &Row<'_>) -> rusqlite::Result<IbrSender> {
    Ok(IbrSender {
        id: row.get("id")?,
        name: row.get("name")?,
        sender_id: row.get("sender_id")?,
        public_key_pem: row.get("public_key_pem")?,
        jwks_url: row.get("jwks_url")?,
        algorithm: row.get("algorithm")?,
        key_fetched_at: row.get::<_, Option<Ts>>("key_fetched_at")?.map(|t| t.0),
        active: row.get("active")?,
        insecure_http: row.get("insecure_http")?,
    })
}

fn key_from_row(row: &Row<'_>) -> rusqlite::Result<SenderKey> {
    Ok(SenderKey {
        id: row.get("id")?,
        sender_row_id: row.get("sender_row_id")?,
        kid: row.get("kid")?,
        algorithm: row.get("algorithm")?,
        public_key_pem: row.get("pem")?,
        origin: row.get("origin")?,
        fetched_at: row.get::<_, Ts>("fetched_at")?.0,
    })
}

/// One spelling per key: CRLF becomes LF and surrounding blank space goes,
/// so the same key pasted twice is recognised as the same key.
fn normalize_pem(pem: &str) -> String {
    pem.replace("\r\n", "\n").trim().to_string()
}

fn blank_to_none(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

fn as_new(s: &IbrSender) -> NewIbrSender {
    NewIbrSender {
        name: s.name.clone(),
        sender_id: s.sender_id.clone(),
        public_key_pem: s.public_key_pem.clone(),
        jwks_url: s.jwks_url.clone(),
        algorithm: s.algorithm,
        active: s.active,
        insecure_http: s.insecure_http,
    }
}

fn taken(e: rusqlite::Error, name: &str, sender_id: &str) -> StoreError {
    if is_unique_violation(&e, "ibr_senders.sender_id") {
        StoreError::Duplicate {
            what: "a sender with the sender ID",
            name: sender_id.to_string(),
        }
    } else if is_unique_violation(&e, "ibr_senders.name") {
        StoreError::Duplicate {
            what: "a sender named",
            name: name.trim().to_string(),
        }
    } else if let Err(why) = validate_sender_id(sender_id) {
        // Only reachable if validation and the CHECK ever disagree.
        StoreError::Invalid(why)
    } else {
        e.into()
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil;
    use super::*;

    const PEM_A: &str = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAAAAA\n-----END PUBLIC KEY-----\n";
    const PEM_B: &str = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEABBBB\n-----END PUBLIC KEY-----\n";

    fn new_sender(name: &str, sender_id: &str) -> NewIbrSender {
        NewIbrSender {
            name: name.into(),
            sender_id: sender_id.into(),
            public_key_pem: Some(PEM_A.into()),
            jwks_url: None,
            algorithm: Algorithm::Ed25519,
            active: true,
            insecure_http: false,
        }
    }

    fn last_audit(store: &Store) -> crate::domain::AuditEntry {
        store.audit_page(0, 1).expect("audit")[0].clone()
    }

    #[test]
    fn round_trips_a_sender_and_its_pasted_key() {
        let store = testutil::store();
        let s = store
            .insert_sender(&new_sender("National IBR", "ibr.national.gov"), &[], "test")
            .expect("insert");
        assert_eq!(s.public_key_pem.as_deref(), Some(PEM_A.trim()));
        assert_eq!(store.sender(s.id).ok().flatten(), Some(s.clone()));
        assert_eq!(store.sender_by_name("national ibr").ok().flatten(), Some(s.clone()));
        assert_eq!(
            store.sender_by_sender_id("ibr.national.gov").ok().flatten(),
            Some(s.clone())
        );
        assert_eq!(store.senders().map(|v| v.len()).ok(), Some(1));
        let keys = store.sender_keys(s.id).expect("keys");
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].origin, KeyOrigin::Pem);
        assert_eq!(keys[0].public_key_pem, PEM_A.trim());

        let mut changed = s.clone();
        changed.public_key_pem = Some(PEM_B.into());
        changed.jwks_url = Some("https://ibr.example.org/.well-known/jwks.json".into());
        store.update_sender(&changed, &[], "test").expect("update");
        let keys = store.sender_keys(s.id).expect("keys");
        assert_eq!(
            keys.iter().map(|k| k.public_key_pem.as_str()).collect::<Vec<_>>(),
            [PEM_B.trim()]
        );
        store.delete_sender(s.id, "test").expect("delete");
        assert_eq!(store.sender(s.id).ok().flatten(), None);
        assert_eq!(store.sender_keys(s.id).map(|k| k.len()).ok(), Some(0));
        assert!(matches!(
            store.delete_sender(s.id, "test"),
            Err(StoreError::NotFound { .. })
        ));
    }

    #[test]
    fn refetching_a_key_does_not_duplicate_it() {
        let store = testutil::store();
        let s = store
            .insert_sender(&new_sender("National IBR", "ibr.national.gov"), &[], "test")
            .expect("insert");
        let t = super::super::codec::now();
        let k1 = store
            .add_sender_key(
                s.id,
                Some("ibr|k1|ed25519"),
                Algorithm::Ed25519,
                PEM_B,
                KeyOrigin::Jwks,
                t,
                "test",
            )
            .expect("add");
        let crlf = PEM_B.replace('\n', "\r\n");
        let k2 = store
            .add_sender_key(s.id, None, Algorithm::Ed25519, &crlf, KeyOrigin::Jwks, t, "test")
            .expect("again");
        assert_eq!(k1.id, k2.id);
        assert_eq!(k2.kid.as_deref(), Some("ibr|k1|ed25519"));
        assert_eq!(store.sender_keys(s.id).map(|k| k.len()).ok(), Some(2));
        let fetched = store.sender(s.id).ok().flatten().and_then(|s| s.key_fetched_at);
        assert_eq!(fetched, Some(t));
        assert!(matches!(
            store.add_sender_key(999, None, Algorithm::Ed25519, PEM_B, KeyOrigin::Pem, t, "test"),
            Err(StoreError::NotFound { .. })
        ));
    }

    #[test]
    fn trusts_keys_of_active_senders_only() {
        let store = testutil::store();
        let source = testutil::source(&store, "National IBR");
        let a = store
            .insert_sender(&new_sender("A", "ibr.a"), &[source.id], "test")
            .expect("a");
        let mut b = store
            .insert_sender(&new_sender("B", "ibr.b"), &[source.id], "test")
            .expect("b");
        b.active = false;
        store.update_sender(&b, &[source.id], "test").expect("deactivate");
        let trusted = store.trusted_keys().expect("trusted");
        assert_eq!(trusted.len(), 1);
        assert_eq!(trusted[0].sender_id, "ibr.a");
        assert_eq!(trusted[0].data_source_id, source.id);
        assert_eq!(trusted[0].key.sender_row_id, a.id);
    }

    #[test]
    fn a_sender_is_trusted_only_for_the_sources_it_is_linked_to() {
        let store = testutil::store();
        let national = testutil::source(&store, "National IBR");
        let regional = testutil::source(&store, "Regional IBR");
        let a = store
            .insert_sender(&new_sender("A", "ibr.a"), &[national.id], "olga (command line)")
            .expect("a");
        let audit = last_audit(&store);
        assert_eq!(
            (audit.action.as_str(), audit.actor.as_str()),
            ("sender_added", "olga (command line)")
        );
        assert!(
            audit.details.contains("\"data_sources\":[\"National IBR\"]"),
            "{}",
            audit.details
        );
        let sources_of = |store: &Store| -> Vec<i64> {
            store
                .trusted_keys()
                .expect("trusted")
                .iter()
                .map(|k| k.data_source_id)
                .collect()
        };
        assert_eq!(sources_of(&store), [national.id]);
        assert_eq!(store.sender_sources(a.id).ok(), Some(vec![national.id]));

        // A new data source trusts no one until a person links a sender.
        let new = testutil::source(&store, "New IBR");
        assert!(!sources_of(&store).contains(&new.id));

        assert_eq!(store.set_sender_link(a.id, regional.id, true, "test").ok(), Some(true));
        assert_eq!(
            store.set_sender_link(a.id, regional.id, true, "test").ok(),
            Some(false),
            "linking twice changes nothing"
        );
        assert_eq!(last_audit(&store).action, "sender_linked");
        assert_eq!(sources_of(&store), [national.id, regional.id]);
        assert_eq!(
            store.sender_links().ok(),
            Some(vec![(a.id, national.id), (a.id, regional.id)])
        );
        assert_eq!(store.set_sender_link(a.id, national.id, false, "test").ok(), Some(true));
        assert_eq!(last_audit(&store).action, "sender_unlinked");
        assert_eq!(sources_of(&store), [regional.id]);

        // Saving the sender sets its links exactly.
        store.update_sender(&a, &[national.id, new.id], "test").expect("update");
        assert_eq!(sources_of(&store), [national.id, new.id]);
        assert_eq!(last_audit(&store).action, "sender_changed");
        // A source that does not exist links nothing and changes nothing.
        assert!(matches!(
            store.update_sender(&a, &[999], "test"),
            Err(StoreError::NotFound { .. })
        ));
        assert_eq!(sources_of(&store), [national.id, new.id]);
        assert!(store.set_sender_link(a.id, 999, true, "test").is_err());
    }

    #[test]
    fn fetched_keys_are_stored_with_one_audit_line() {
        let store = testutil::store();
        let s = store
            .insert_sender(&new_sender("National IBR", "ibr.national.gov"), &[], "test")
            .expect("insert");
        let t = super::super::codec::now();
        let keys = [FetchedSenderKey {
            kid: "ibr.national.gov|k2|ed25519".into(),
            algorithm: Algorithm::Ed25519,
            pem: PEM_B.into(),
        }];
        let n = store
            .store_fetched_keys(s.id, &keys, "https://ibr.example.org/jwks", t, "awa")
            .expect("stored");
        assert_eq!(n, 1);
        assert_eq!(store.sender_keys(s.id).map(|k| k.len()).ok(), Some(2));
        let audit = last_audit(&store);
        assert_eq!(
            (audit.action.as_str(), audit.actor.as_str()),
            ("sender_keys_fetched", "awa")
        );
        assert!(audit.details.contains("ibr.national.gov|k2|ed25519"));
    }

    #[test]
    fn replacing_keys_leaves_only_the_new_one() {
        let store = testutil::store();
        let s = store
            .insert_sender(&new_sender("Demo", "sandbox.ibr-desk.local"), &[], "system")
            .expect("insert");
        store
            .add_sender_key(
                s.id,
                Some("sandbox.ibr-desk.local|sandbox-key-1|ed25519"),
                Algorithm::Ed25519,
                PEM_B,
                KeyOrigin::Jwks,
                super::super::codec::now(),
                "system",
            )
            .expect("old key");
        let new_pem = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEACCCC\n-----END PUBLIC KEY-----";
        assert_eq!(
            store
                .replace_sender_keys(s.id, new_pem, Algorithm::Ed25519, "system")
                .ok(),
            Some(true)
        );
        let keys = store.sender_keys(s.id).expect("keys");
        assert_eq!(
            keys.iter().map(|k| k.public_key_pem.as_str()).collect::<Vec<_>>(),
            [new_pem]
        );
        assert_eq!(last_audit(&store).action, "sender_keys_replaced");
        let again = store.replace_sender_keys(s.id, new_pem, Algorithm::Ed25519, "system");
        assert_eq!(again.ok(), Some(false), "nothing to change, no audit line");
    }

    #[test]
    fn refuses_invalid_and_duplicate_senders() {
        let store = testutil::store();
        let err = store
            .insert_sender(&new_sender("Bad", "ibr_national"), &[], "test")
            .expect_err("invalid id");
        assert!(matches!(err, StoreError::Invalid(_)), "{err}");
        assert!(err.to_string().contains("only letters, digits, dots and hyphens"));
        store
            .insert_sender(&new_sender("National", "ibr.national.gov"), &[], "test")
            .expect("insert");
        let err = store
            .insert_sender(&new_sender("Other", "ibr.national.gov"), &[], "test")
            .expect_err("dup id");
        assert!(matches!(err, StoreError::Duplicate { .. }), "{err}");
        let err = store
            .insert_sender(&new_sender("NATIONAL", "ibr.other"), &[], "test")
            .expect_err("dup name");
        assert!(err.to_string().contains("a sender named"), "{err}");
        let mut s = store.sender_by_name("National").ok().flatten().expect("sender");
        s.sender_id = "not valid!".into();
        assert!(matches!(
            store.update_sender(&s, &[], "test"),
            Err(StoreError::Invalid(_))
        ));
    }

    #[test]
    fn a_sender_change_that_fails_half_way_leaves_no_row_key_link_or_line() {
        let store = testutil::store();
        let source = testutil::source(&store, "National IBR");
        // The link to a source that does not exist fails after the insert.
        let err = store
            .insert_sender(
                &new_sender("National", "ibr.national.gov"),
                &[source.id, source.id + 100],
                "Awa",
            )
            .expect_err("unknown source");
        assert!(matches!(err, StoreError::NotFound { .. }), "{err}");
        assert!(store.senders().expect("senders").is_empty());
        assert!(store.trusted_keys().expect("keys").is_empty());
        assert!(store.audit_page(0, 10).expect("audit").is_empty());

        let s = store
            .insert_sender(&new_sender("National", "ibr.national.gov"), &[source.id], "Awa")
            .expect("insert");
        let mut changed = s.clone();
        changed.public_key_pem = Some(PEM_B.into());
        assert!(store.update_sender(&changed, &[source.id + 100], "Awa").is_err());
        assert_eq!(store.sender(s.id).ok().flatten(), Some(s.clone()), "unchanged");
        assert_eq!(
            store
                .sender_keys(s.id)
                .expect("keys")
                .iter()
                .map(|k| k.public_key_pem.as_str())
                .collect::<Vec<_>>(),
            [PEM_A.trim()]
        );
        assert_eq!(store.sender_sources(s.id).ok(), Some(vec![source.id]));
        let actions: Vec<String> = store
            .audit_page(0, 10)
            .expect("audit")
            .into_iter()
            .map(|e| e.action)
            .collect();
        assert_eq!(actions, ["sender_added"]);
    }
}
