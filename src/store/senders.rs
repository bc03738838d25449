//! IBR senders (registries whose signed replies are trusted) and their keys.
//!
//! A sender may have several keys: the one a person pasted (origin `pem`) and
//! those fetched from its JWKS URL (origin `jwks`), old and new during a key
//! rotation. Keys are unique per sender by their PEM text, so fetching the same
//! JWKS again refreshes rows instead of adding them. Only public keys are
//! stored; the office's own private key is in the OS keyring.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::codec::{Ts, key_origin_from_text, parsed};
use super::{Result, Store, StoreError, is_unique_violation};
use crate::domain::{Algorithm, IbrSender, KeyOrigin, NewIbrSender, SenderKey, validate_sender_id};

const SENDER_COLUMNS: &str =
    "id, name, sender_id, public_key_pem, jwks_url, algorithm, key_fetched_at, active, insecure_http";
const KEY_COLUMNS: &str = "id, sender_row_id, kid, algorithm, pem, origin, fetched_at";

impl Store {
    /// Adds a sender after checking it ([`NewIbrSender::validate`]: the sender
    /// ID has only letters, digits, dots and hyphens). A PEM given with it is
    /// also stored as one of its keys (origin `pem`).
    pub fn insert_sender(&self, new: &NewIbrSender) -> Result<IbrSender> {
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
            sender_by(tx, "id", &id)?.ok_or(StoreError::NotFound { what: "sender", id })
        })
    }

    /// Saves a changed sender. When its hand-configured PEM changed, the old
    /// pasted key stops being trusted and the new one is stored; keys fetched
    /// from JWKS are kept.
    pub fn update_sender(&self, sender: &IbrSender) -> Result<()> {
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
            Ok(())
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

    /// Removes a sender and its keys: its replies are no longer trusted.
    pub fn delete_sender(&self, id: i64) -> Result<()> {
        self.write(|tx| match tx.execute("DELETE FROM ibr_senders WHERE id = ?1", [id])? {
            0 => Err(StoreError::NotFound { what: "sender", id }),
            _ => Ok(()),
        })
    }

    /// Stores a public key of a sender, or refreshes it when the sender already
    /// has this PEM (kid kept if none is given now). A key from JWKS also
    /// records when the sender's keys were last fetched.
    pub fn add_sender_key(
        &self,
        sender_row_id: i64,
        kid: Option<&str>,
        algorithm: Algorithm,
        pem: &str,
        origin: KeyOrigin,
        fetched_at: DateTime<Utc>,
    ) -> Result<SenderKey> {
        let pem = normalize_pem(pem);
        if pem.is_empty() {
            return Err(StoreError::Invalid("the public key is empty".into()));
        }
        let fetched_at = super::codec::truncate(fetched_at);
        self.write(|tx| {
            if sender_by(tx, "id", &sender_row_id)?.is_none() {
                return Err(StoreError::NotFound {
                    what: "sender",
                    id: sender_row_id,
                });
            }
            let key = upsert_key(tx, sender_row_id, kid, algorithm, &pem, origin, fetched_at)?;
            if origin == KeyOrigin::Jwks {
                tx.execute(
                    "UPDATE ibr_senders SET key_fetched_at = ?2 WHERE id = ?1",
                    params![sender_row_id, Ts(fetched_at)],
                )?;
            }
            Ok(key)
        })
    }

    /// The keys of one sender, oldest first.
    pub fn sender_keys(&self, sender_row_id: i64) -> Result<Vec<SenderKey>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {KEY_COLUMNS} FROM sender_keys WHERE sender_row_id = ?1 ORDER BY id"
            ))?;
            let rows = stmt.query_map([sender_row_id], key_from_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// Every key of every active sender, with the sender's DCI sender ID:
    /// what signature verification may trust.
    pub fn trusted_keys(&self) -> Result<Vec<(String, SenderKey)>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT s.sender_id, k.id, k.sender_row_id, k.kid, k.algorithm, k.pem, k.origin, k.fetched_at \
                 FROM sender_keys k JOIN ibr_senders s ON s.id = k.sender_row_id \
                 WHERE s.active = 1 ORDER BY s.sender_id, k.id",
            )?;
            let rows = stmt.query_map([], |r| Ok((r.get("sender_id")?, key_from_row(r)?)))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }
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
        algorithm: parsed(row, "algorithm", str::parse)?,
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
        algorithm: parsed(row, "algorithm", str::parse)?,
        public_key_pem: row.get("pem")?,
        origin: parsed(row, "origin", key_origin_from_text)?,
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

    #[test]
    fn round_trips_a_sender_and_its_pasted_key() {
        let store = testutil::store();
        let s = store
            .insert_sender(&new_sender("National IBR", "ibr.national.gov"))
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
        store.update_sender(&changed).expect("update");
        let keys = store.sender_keys(s.id).expect("keys");
        assert_eq!(
            keys.iter().map(|k| k.public_key_pem.as_str()).collect::<Vec<_>>(),
            [PEM_B.trim()]
        );
        store.delete_sender(s.id).expect("delete");
        assert_eq!(store.sender(s.id).ok().flatten(), None);
        assert_eq!(store.sender_keys(s.id).map(|k| k.len()).ok(), Some(0));
    }

    #[test]
    fn refetching_a_key_does_not_duplicate_it() {
        let store = testutil::store();
        let s = store
            .insert_sender(&new_sender("National IBR", "ibr.national.gov"))
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
            )
            .expect("add");
        let crlf = PEM_B.replace('\n', "\r\n");
        let k2 = store
            .add_sender_key(s.id, None, Algorithm::Ed25519, &crlf, KeyOrigin::Jwks, t)
            .expect("again");
        assert_eq!(k1.id, k2.id);
        assert_eq!(k2.kid.as_deref(), Some("ibr|k1|ed25519"));
        assert_eq!(store.sender_keys(s.id).map(|k| k.len()).ok(), Some(2));
        let fetched = store.sender(s.id).ok().flatten().and_then(|s| s.key_fetched_at);
        assert_eq!(fetched, Some(t));
        assert!(matches!(
            store.add_sender_key(999, None, Algorithm::Ed25519, PEM_B, KeyOrigin::Pem, t),
            Err(StoreError::NotFound { .. })
        ));
    }

    #[test]
    fn trusts_keys_of_active_senders_only() {
        let store = testutil::store();
        let a = store.insert_sender(&new_sender("A", "ibr.a")).expect("a");
        let mut b = store.insert_sender(&new_sender("B", "ibr.b")).expect("b");
        b.active = false;
        store.update_sender(&b).expect("deactivate");
        let trusted = store.trusted_keys().expect("trusted");
        assert_eq!(trusted.len(), 1);
        assert_eq!(trusted[0].0, "ibr.a");
        assert_eq!(trusted[0].1.sender_row_id, a.id);
    }

    #[test]
    fn refuses_invalid_and_duplicate_senders() {
        let store = testutil::store();
        let err = store
            .insert_sender(&new_sender("Bad", "ibr_national"))
            .expect_err("invalid id");
        assert!(matches!(err, StoreError::Invalid(_)), "{err}");
        assert!(err.to_string().contains("only letters, digits, dots and hyphens"));
        store
            .insert_sender(&new_sender("National", "ibr.national.gov"))
            .expect("insert");
        let err = store
            .insert_sender(&new_sender("Other", "ibr.national.gov"))
            .expect_err("dup id");
        assert!(matches!(err, StoreError::Duplicate { .. }), "{err}");
        let err = store
            .insert_sender(&new_sender("NATIONAL", "ibr.other"))
            .expect_err("dup name");
        assert!(err.to_string().contains("a sender named"), "{err}");
        let mut s = store.sender_by_name("National").ok().flatten().expect("sender");
        s.sender_id = "not valid!".into();
        assert!(matches!(store.update_sender(&s), Err(StoreError::Invalid(_))));
    }
}
