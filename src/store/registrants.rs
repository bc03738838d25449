//! Registrants: the applicants the office registered, with their identifiers.
//!
//! The same identifier may belong to two registrants: the store records what
//! was registered, and finding such duplicates is the point of the checks.

use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::codec::{Ts, id_type_from_text, parsed, parsed_opt, sex_from_text, sql_int, unsigned};
use super::{Result, Store, StoreError};
use crate::domain::{IdType, Identifier, NewRegistrant, Registrant};

impl Store {
    /// Registers an applicant after checking the form ([`NewRegistrant::validate`]).
    pub fn insert_registrant(&self, new: &NewRegistrant) -> Result<Registrant> {
        new.validate().map_err(StoreError::Invalid)?;
        let created_at = super::codec::now();
        self.write(|tx| {
            let id = insert(tx, new, created_at)?;
            by_id(tx, id)?.ok_or(StoreError::NotFound { what: "registrant", id })
        })
    }

    /// One registrant with their identifiers.
    pub fn registrant(&self, id: i64) -> Result<Option<Registrant>> {
        self.read(|c| by_id(c, id))
    }

    /// Registrants in the order they were registered.
    pub fn registrants(&self, offset: u64, limit: u32) -> Result<Vec<Registrant>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, given_name, surname, birth_date, sex, created_at FROM registrants \
                 ORDER BY id LIMIT ?1 OFFSET ?2",
            )?;
            let rows = stmt.query_map(params![limit, sql_int(offset)], from_row)?;
            let mut list = rows.collect::<rusqlite::Result<Vec<_>>>()?;
            for r in &mut list {
                r.identifiers = identifiers_of(c, r.id)?;
            }
            Ok(list)
        })
    }

    /// How many applicants are registered.
    pub fn registrant_count(&self) -> Result<u64> {
        self.read(|c| {
            Ok(unsigned(
                c.query_row("SELECT count(*) FROM registrants", [], |r| r.get(0))?,
            ))
        })
    }

    /// Every registrant who gave exactly this identifier (type and value).
    pub fn find_registrants_by_identifier(&self, id_type: &IdType, value: &str) -> Result<Vec<Registrant>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT DISTINCT registrant_id FROM registrant_identifiers WHERE id_type = ?1 AND value = ?2 \
                 ORDER BY registrant_id",
            )?;
            let ids = stmt
                .query_map(params![id_type.as_str(), value], |r| r.get::<_, i64>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let mut found = Vec::with_capacity(ids.len());
            for id in ids {
                found.extend(by_id(c, id)?);
            }
            Ok(found)
        })
    }
}

/// Inserts the registrant and their identifiers; returns the new row ID.
pub(super) fn insert(c: &Connection, new: &NewRegistrant, created_at: chrono::DateTime<chrono::Utc>) -> Result<i64> {
    let mut stmt = c.prepare_cached(
        "INSERT INTO registrants (given_name, surname, birth_date, sex, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    let id = stmt.insert(params![
        new.given_name,
        new.surname,
        new.birth_date,
        new.sex.as_ref().map(|s| s.as_str()),
        Ts(created_at),
    ])?;
    let mut ident = c.prepare_cached(
        "INSERT INTO registrant_identifiers (registrant_id, position, id_type, value) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (position, i) in new.identifiers.iter().enumerate() {
        ident.execute(params![id, sql_int(position as u64), i.id_type.as_str(), i.value])?;
    }
    Ok(id)
}

/// Whether a registrant with this ID exists.
pub(super) fn exists(c: &Connection, id: i64) -> Result<bool> {
    let mut stmt = c.prepare_cached("SELECT 1 FROM registrants WHERE id = ?1")?;
    Ok(stmt.exists([id])?)
}

pub(super) fn by_id(c: &Connection, id: i64) -> Result<Option<Registrant>> {
    let mut stmt =
        c.prepare_cached("SELECT id, given_name, surname, birth_date, sex, created_at FROM registrants WHERE id = ?1")?;
    let Some(mut r) = stmt.query_row([id], from_row).optional()? else {
        return Ok(None);
    };
    r.identifiers = identifiers_of(c, id)?;
    Ok(Some(r))
}

fn identifiers_of(c: &Connection, registrant_id: i64) -> Result<Vec<Identifier>> {
    let mut stmt = c.prepare_cached(
        "SELECT id_type, value FROM registrant_identifiers WHERE registrant_id = ?1 ORDER BY position",
    )?;
    let rows = stmt.query_map([registrant_id], |r| {
        Ok(Identifier {
            id_type: parsed(r, "id_type", id_type_from_text)?,
            value: r.get("value")?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// The registrant's own columns; identifiers are read separately.
fn from_row(row: &Row<'_>) -> rusqlite::Result<Registrant> {
    Ok(Registrant {
        id: row.get("id")?,
        given_name: row.get("given_name")?,
        surname: row.get("surname")?,
        birth_date: row.get::<_, Option<NaiveDate>>("birth_date")?,
        sex: parsed_opt(row, "sex", sex_from_text)?,
        identifiers: Vec::new(),
        created_at: row.get::<_, Ts>("created_at")?.0,
    })
}

#[cfg(test)]
mod tests {
    use super::super::testutil;
    use super::*;
    use crate::domain::Sex;

    fn new_registrant(uin: &str) -> NewRegistrant {
        NewRegistrant {
            given_name: Some("Amina".into()),
            surname: Some("Diallo".into()),
            birth_date: NaiveDate::from_ymd_opt(1988, 2, 29),
            sex: Some(Sex::Other("X".into())),
            identifiers: vec![Identifier::new(IdType::Uin, uin), Identifier::new(IdType::Brn, "B-77")],
        }
    }

    #[test]
    fn round_trips_a_registrant() {
        let store = testutil::store();
        let new = new_registrant("123");
        let r = store.insert_registrant(&new).expect("insert");
        assert_eq!(r.given_name, new.given_name);
        assert_eq!(r.birth_date, new.birth_date);
        assert_eq!(r.sex, new.sex);
        assert_eq!(r.identifiers, new.identifiers);
        assert_eq!(store.registrant(r.id).ok().flatten(), Some(r.clone()));
        assert_eq!(store.registrants(0, 10).ok(), Some(vec![r]));
        assert_eq!(store.registrant_count().ok(), Some(1));
    }

    #[test]
    fn the_same_identifier_may_be_registered_twice() {
        let store = testutil::store();
        let a = store.insert_registrant(&new_registrant("123")).expect("a");
        let b = store.insert_registrant(&new_registrant("123")).expect("b");
        store.insert_registrant(&new_registrant("456")).expect("c");
        let found = store.find_registrants_by_identifier(&IdType::Uin, "123").expect("find");
        assert_eq!(found.iter().map(|r| r.id).collect::<Vec<_>>(), [a.id, b.id]);
        assert_eq!(
            store
                .find_registrants_by_identifier(&IdType::Brn, "123")
                .map(|v| v.len())
                .ok(),
            Some(0)
        );
        assert_eq!(store.registrants(1, 1).map(|v| v[0].id).ok(), Some(b.id));
    }

    #[test]
    fn refuses_an_invalid_registrant() {
        let store = testutil::store();
        let mut new = new_registrant("123");
        new.identifiers.clear();
        assert!(matches!(store.insert_registrant(&new), Err(StoreError::Invalid(_))));
        assert_eq!(store.registrant_count().ok(), Some(0));
    }
}
