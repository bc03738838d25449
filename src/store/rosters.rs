//! Rosters: CSV files of applicants imported in bulk, and the registrants and
//! queued checks each one created.
//!
//! The importer (`crate::roster`) reads and validates the file; this module
//! writes what it found, one transaction per chunk of rows (registrant and
//! identifiers for every valid row, and the roster's running counts), so
//! that a stopped or cancelled import leaves whole rows and nothing
//! half-written. Each imported row's check is queued by the count
//! `rosters.checks_waiting`; its row in `duplication_checks` is written when
//! the engine takes it up (`roster_checks.rs`), because writing a check costs
//! several times more than registering the applicant.
//!
//! Duplicates are found on disk, not in memory: before a row is stored, its
//! identifier is looked up in `registrant_identifiers (id_type, value)` in the
//! same transaction. A hit on a registrant of the same roster is a duplicate
//! inside the file (`registrants.roster_row` says which row came first); any
//! other hit is an applicant already registered here, from an earlier roster
//! or typed by hand. That is also what makes a second import of the same file
//! create nothing: every row finds its registrant of the first import.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;
use serde_json::json;
use strum::{Display, EnumString, IntoStaticStr, VariantArray};

use super::codec::{Ts, sql_int, to_json, unsigned};
use super::{Result, Store, StoreError, audit, sources};
use crate::domain::{AuditAction, IdType, NewRegistrant, SearchReason, unknown};

/// Where an import stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, IntoStaticStr, Display, EnumString, VariantArray)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case", parse_err_ty = String, parse_err_fn = unknown::<Self>)]
pub enum RosterStatus {
    /// Rows are being read (or the process importing it stopped).
    Importing,
    /// Every row was read.
    Finished,
    /// The officer stopped it; the rows imported before are kept.
    Cancelled,
    /// An error stopped it (`error` says which); the rows imported before are kept.
    Failed,
}

crate::domain::text_enum!(RosterStatus, "roster status");

/// One imported file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Roster {
    pub id: i64,
    /// The file's name (not its folder).
    pub file_name: String,
    /// SHA-256 of the file's bytes (hex), once the whole file was read.
    pub fingerprint: Option<String>,
    pub imported_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub actor: String,
    /// `None` when the data source was removed later (its name is kept).
    pub data_source_id: Option<i64>,
    pub data_source_name: String,
    pub search_reason: SearchReason,
    pub status: RosterStatus,
    /// Rows read so far (the header not counted).
    pub rows_read: u64,
    /// Registrants created, each with one queued check.
    pub imported: u64,
    /// Imported rows whose check is not written yet (it is, when the engine
    /// takes it up).
    pub checks_waiting: u64,
    pub rejected: u64,
    /// Where the rejected rows were written.
    pub rejected_file: Option<String>,
    pub error: Option<String>,
}

/// What to record when an import starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRoster {
    pub file_name: String,
    pub data_source_id: i64,
    pub search_reason: SearchReason,
    pub actor: String,
}

/// One valid row, ready to be stored: its applicant and the row of the file
/// it came from. (Its check is written later, when the engine takes it up:
/// see [`Store::queue_roster_checks`].)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterEntry {
    row: u64,
    registrant: NewRegistrant,
}

impl RosterEntry {
    /// `row` is the row's number in the file.
    pub fn new(row: u64, registrant: NewRegistrant) -> Result<RosterEntry> {
        if registrant.identifiers.is_empty() {
            return Err(StoreError::Invalid(
                "the applicant needs at least one identifier".into(),
            ));
        }
        Ok(RosterEntry { row, registrant })
    }

    pub fn row(&self) -> u64 {
        self.row
    }

    pub fn registrant(&self) -> &NewRegistrant {
        &self.registrant
    }
}

/// Who already holds an identifier in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct IdentifierOwner {
    pub registrant_id: i64,
    /// The roster the registrant came from; `None` when typed by hand.
    pub roster_id: Option<i64>,
    /// The row of that roster.
    pub roster_row: Option<u64>,
}

/// What became of one [`RosterEntry`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryOutcome {
    /// Registered; its check waits to be written and run.
    Imported { registrant_id: i64 },
    /// Not stored: the identifier is already registered here.
    AlreadyRegistered(IdentifierOwner),
}

/// How far the checks of one roster are.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RosterCheckCounts {
    /// Queued: written and waiting, or waiting to be written.
    pub ready: u64,
    /// Never to run: their data source was removed before they were written.
    pub not_run: u64,
    pub checking: u64,
    pub completed: u64,
    pub failed: u64,
    pub no_match: u64,
    pub possible_match: u64,
    pub confirmed_match: u64,
}

impl RosterCheckCounts {
    pub fn total(&self) -> u64 {
        self.ready + self.checking + self.completed + self.failed + self.not_run
    }

    /// Completed, failed or never to run.
    pub fn finished(&self) -> u64 {
        self.completed + self.failed + self.not_run
    }
}

/// The columns [`roster_from_row`] reads.
const ROSTER_COLUMNS: &str = "id, file_name, fingerprint, imported_at, finished_at, actor, data_source_id, \
    data_source_name, search_reason, status, rows_read, imported, rejected, rejected_file, error, checks_waiting";

impl Store {
    /// Records the start of an import (status `importing`) with an audit line.
    pub fn begin_roster(&self, new: &NewRoster) -> Result<Roster> {
        if new.file_name.trim().is_empty() {
            return Err(StoreError::Invalid("the roster needs a file name".into()));
        }
        let now = super::codec::now();
        self.set_wal_autocheckpoint(super::IMPORT_WAL_PAGES)?;
        self.write(|tx| {
            let source_name = sources::name_of(tx, new.data_source_id)?;
            let id = tx
                .prepare_cached(
                    "INSERT INTO rosters (file_name, imported_at, actor, data_source_id, data_source_name, \
                     search_reason, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'importing')",
                )?
                .insert(params![
                    new.file_name,
                    Ts(now),
                    new.actor,
                    new.data_source_id,
                    source_name,
                    new.search_reason.as_str()
                ])?;
            let details = to_json(&json!({
                "roster_id": id,
                "file": new.file_name,
                "data_source": source_name,
                "search_reason": new.search_reason.as_str(),
            }))?;
            audit::append(tx, now, &new.actor, AuditAction::RosterImportStarted, None, &details)?;
            load(tx, id)?.ok_or(StoreError::NotFound { what: "roster", id })
        })
    }

    /// Stores one chunk of a roster in one transaction: each entry whose
    /// identifier nobody holds yet becomes a registrant whose check waits
    /// (see [`Store::queue_roster_checks`]) (in the entries' order, so that the first of two equal identifiers in
    /// the file wins); the others are reported with who holds it. The roster's
    /// counts become `rows_read` rows read, plus the imported entries, plus
    /// `rejected` rows refused before the store and the entries refused here.
    pub fn import_roster_chunk(
        &self,
        roster_id: i64,
        entries: &[RosterEntry],
        rows_read: u64,
        rejected: u64,
    ) -> Result<Vec<EntryOutcome>> {
        let now = super::codec::now();
        self.write(|tx| {
            let roster = load(tx, roster_id)?.ok_or(StoreError::NotFound {
                what: "roster",
                id: roster_id,
            })?;
            if roster.status != RosterStatus::Importing {
                return Err(StoreError::Invalid(format!(
                    "roster {roster_id} is no longer being imported ({})",
                    roster.status.as_str()
                )));
            }
            if roster.data_source_id.is_none() {
                return Err(StoreError::Invalid(
                    "the roster's data source was removed during the import".into(),
                ));
            }
            let outcomes = insert_entries(tx, &roster, entries, now)?;
            let imported = outcomes
                .iter()
                .filter(|o| matches!(o, EntryOutcome::Imported { .. }))
                .count() as u64;
            let refused = entries.len() as u64 - imported;
            tx.prepare_cached(
                "UPDATE rosters SET rows_read = ?2, imported = imported + ?3, checks_waiting = checks_waiting + ?3, \
                 rejected = rejected + ?4 WHERE id = ?1",
            )?
            .execute(params![
                roster_id,
                sql_int(rows_read),
                sql_int(imported),
                sql_int(rejected.saturating_add(refused))
            ])?;
            Ok(outcomes)
        })
    }

    /// Ends an import: its status, the file's fingerprint when every byte was
    /// read, where the rejected rows went, the error that stopped it; and an
    /// audit line with the counts.
    #[allow(clippy::too_many_arguments)] // one row's worth of facts, each named
    pub fn finish_roster(
        &self,
        roster_id: i64,
        status: RosterStatus,
        rows_read: u64,
        rejected: u64,
        fingerprint: Option<&str>,
        rejected_file: Option<&str>,
        error: Option<&str>,
    ) -> Result<Roster> {
        if status == RosterStatus::Importing {
            return Err(StoreError::Invalid("a finished import needs a final status".into()));
        }
        let now = super::codec::now();
        let finished = self.write(|tx| {
            let changed = tx
                .prepare_cached(
                    "UPDATE rosters SET status = ?2, finished_at = ?3, rows_read = ?4, rejected = rejected + ?5, \
                     fingerprint = ?6, rejected_file = ?7, error = ?8 WHERE id = ?1 AND status = 'importing'",
                )?
                .execute(params![
                    roster_id,
                    status.as_str(),
                    Ts(now),
                    sql_int(rows_read),
                    sql_int(rejected),
                    fingerprint,
                    rejected_file,
                    error
                ])?;
            if changed == 0 {
                return Err(StoreError::Invalid(format!(
                    "roster {roster_id} does not exist or is already finished"
                )));
            }
            let roster = load(tx, roster_id)?.ok_or(StoreError::NotFound {
                what: "roster",
                id: roster_id,
            })?;
            let details = to_json(&json!({
                "roster_id": roster.id,
                "file": roster.file_name,
                "status": roster.status.as_str(),
                "rows_read": roster.rows_read,
                "imported": roster.imported,
                "rejected": roster.rejected,
                "error": roster.error,
            }))?;
            audit::append(tx, now, &roster.actor, AuditAction::RosterImported, None, &details)?;
            Ok(roster)
        });
        self.end_bulk_write();
        finished
    }

    /// One roster.
    pub fn roster(&self, id: i64) -> Result<Option<Roster>> {
        self.read(|c| load(c, id))
    }

    /// The latest rosters first.
    pub fn rosters(&self, limit: u32) -> Result<Vec<Roster>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {ROSTER_COLUMNS} FROM rosters ORDER BY id DESC LIMIT ?1"
            ))?;
            let rows = stmt.query_map([limit], roster_from_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// Earlier rosters of a file with these bytes (its SHA-256, hex), oldest first.
    pub fn rosters_with_fingerprint(&self, fingerprint: &str) -> Result<Vec<Roster>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {ROSTER_COLUMNS} FROM rosters WHERE fingerprint = ?1 ORDER BY id"
            ))?;
            let rows = stmt.query_map([fingerprint], roster_from_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// Who registered this identifier first, if anyone.
    pub fn identifier_owner(&self, id_type: &IdType, value: &str) -> Result<Option<IdentifierOwner>> {
        self.read(|c| owner_of(c, id_type, value))
    }

    /// How many registrants came from this roster (read from the table, not
    /// from the roster's counts: a consistency check).
    pub fn roster_registrant_count(&self, roster_id: i64) -> Result<u64> {
        self.read(|c| {
            Ok(unsigned(c.query_row(
                "SELECT count(*) FROM registrants WHERE roster_id = ?1",
                [roster_id],
                |r| r.get(0),
            )?))
        })
    }

    /// The checks of a roster's applicants by state and result (from an
    /// index alone: fast for a million-row roster).
    pub fn roster_check_counts(&self, roster_id: i64) -> Result<RosterCheckCounts> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT state, result, count(*) FROM duplication_checks WHERE roster_id = ?1 GROUP BY state, result",
            )?;
            let rows = stmt.query_map([roster_id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    unsigned(r.get(2)?),
                ))
            })?;
            let mut counts = RosterCheckCounts::default();
            if let Some(roster) = load(c, roster_id)? {
                match roster.data_source_id {
                    Some(_) => counts.ready = roster.checks_waiting,
                    None => counts.not_run = roster.checks_waiting,
                }
            }
            for row in rows {
                let (state, result, n) = row?;
                match state.as_str() {
                    "ready" => counts.ready += n,
                    "checking" => counts.checking += n,
                    "completed" => counts.completed += n,
                    _ => counts.failed += n,
                }
                match result.as_deref() {
                    Some("no_match") => counts.no_match += n,
                    Some("possible_match") => counts.possible_match += n,
                    Some("confirmed_match") => counts.confirmed_match += n,
                    _ => {}
                }
            }
            Ok(counts)
        })
    }
}

fn owner_of(c: &Connection, id_type: &IdType, value: &str) -> Result<Option<IdentifierOwner>> {
    let mut stmt = c.prepare_cached(OWNER_SQL)?;
    Ok(stmt
        .query_row(params![id_type.as_str(), value], owner_from_row)
        .optional()?)
}

/// The first registrant holding an identifier, found by the index on
/// `registrant_identifiers (id_type, value)`. (A scalar `min` rather than
/// `ORDER BY … LIMIT 1`: that sorted in a temporary b-tree opened and closed
/// for every row, a tenth of an import's time.)
const OWNER_SQL: &str = "SELECT r.id, r.roster_id, r.roster_row FROM registrants AS r WHERE r.id = \
    (SELECT min(registrant_id) FROM registrant_identifiers WHERE id_type = ?1 AND value = ?2)";

fn owner_from_row(r: &Row<'_>) -> rusqlite::Result<IdentifierOwner> {
    Ok(IdentifierOwner {
        registrant_id: r.get(0)?,
        roster_id: r.get(1)?,
        roster_row: r.get::<_, Option<i64>>(2)?.map(unsigned),
    })
}

/// The rows of one chunk, with the statements prepared once for the chunk:
/// per row, a probe of the identifier index, the registrant and its
/// identifiers. Nothing else: the check is written when it is taken up.
fn insert_entries(
    c: &Connection,
    roster: &Roster,
    entries: &[RosterEntry],
    now: DateTime<Utc>,
) -> Result<Vec<EntryOutcome>> {
    let mut owner = c.prepare_cached(OWNER_SQL)?;
    let mut registrant = c.prepare_cached(
        "INSERT INTO registrants (given_name, surname, birth_date, sex, created_at, roster_id, roster_row) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    let mut identifier = c.prepare_cached(
        "INSERT INTO registrant_identifiers (registrant_id, position, id_type, value) VALUES (?1, ?2, ?3, ?4)",
    )?;
    // Formatted once for the chunk: every row of it is stored at this time.
    let now_text = Ts::text(now);
    let mut outcomes = Vec::with_capacity(entries.len());
    'entries: for e in entries {
        let r = &e.registrant;
        for id in &r.identifiers {
            if let Some(o) = owner
                .query_row(params![id.id_type.as_str(), id.value], owner_from_row)
                .optional()?
            {
                outcomes.push(EntryOutcome::AlreadyRegistered(o));
                continue 'entries;
            }
        }
        // `NaiveDate`'s own text (YYYY-MM-DD, as rusqlite writes it), without
        // rusqlite's strftime pattern parsed again for every row.
        let birth_date = r.birth_date.map(|d| d.to_string());
        let registrant_id = registrant.insert(params![
            r.given_name,
            r.surname,
            birth_date,
            r.sex.as_ref().map(|s| s.as_str()),
            now_text,
            roster.id,
            sql_int(e.row)
        ])?;
        for (position, id) in r.identifiers.iter().enumerate() {
            identifier.execute(params![
                registrant_id,
                sql_int(position as u64),
                id.id_type.as_str(),
                id.value
            ])?;
        }
        outcomes.push(EntryOutcome::Imported { registrant_id });
    }
    Ok(outcomes)
}

fn load(c: &Connection, id: i64) -> Result<Option<Roster>> {
    let mut stmt = c.prepare_cached(&format!("SELECT {ROSTER_COLUMNS} FROM rosters WHERE id = ?1"))?;
    Ok(stmt.query_row([id], roster_from_row).optional()?)
}

fn roster_from_row(row: &Row<'_>) -> rusqlite::Result<Roster> {
    Ok(Roster {
        id: row.get("id")?,
        file_name: row.get("file_name")?,
        fingerprint: row.get("fingerprint")?,
        imported_at: row.get::<_, Ts>("imported_at")?.0,
        finished_at: row.get::<_, Option<Ts>>("finished_at")?.map(|t| t.0),
        actor: row.get("actor")?,
        data_source_id: row.get("data_source_id")?,
        data_source_name: row.get("data_source_name")?,
        search_reason: row.get("search_reason")?,
        status: row.get("status")?,
        rows_read: unsigned(row.get("rows_read")?),
        imported: unsigned(row.get("imported")?),
        checks_waiting: unsigned(row.get("checks_waiting")?),
        rejected: unsigned(row.get("rejected")?),
        rejected_file: row.get("rejected_file")?,
        error: row.get("error")?,
    })
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::super::testutil;
    use super::*;
    use crate::domain::{CheckFilter, CheckState, Identifier, Sex};

    fn entry(row: u64, given: &str, uin: &str) -> RosterEntry {
        let registrant = NewRegistrant {
            given_name: Some(given.into()),
            surname: Some("Diallo".into()),
            birth_date: NaiveDate::from_ymd_opt(1990, 4, 12),
            sex: Some(Sex::Female),
            identifiers: vec![Identifier::new(IdType::Uin, uin)],
        };
        RosterEntry::new(row, registrant).expect("entry")
    }

    use crate::ibr::plan::queries_for as plan;

    #[test]
    fn roster_status_words_are_pinned() {
        crate::domain::text_enum::tests::pins_words::<RosterStatus>(&["importing", "finished", "cancelled", "failed"]);
    }

    fn begin(store: &Store) -> Roster {
        let source = testutil::source(store, "National IBR");
        store
            .begin_roster(&NewRoster {
                file_name: "roster.csv".into(),
                data_source_id: source.id,
                search_reason: SearchReason::Recertification,
                actor: "officer".into(),
            })
            .expect("roster")
    }

    #[test]
    fn a_chunk_registers_applicants_whose_checks_are_written_when_taken_up() {
        let store = testutil::store();
        let roster = begin(&store);
        assert_eq!(roster.status, RosterStatus::Importing);
        let entries = [entry(2, "Amina", "U1"), entry(3, "José", "U2")];
        let outcomes = store.import_roster_chunk(roster.id, &entries, 3, 1).expect("chunk");
        let EntryOutcome::Imported { registrant_id } = outcomes[0] else {
            panic!("{outcomes:?}")
        };
        let r = store.roster(roster.id).ok().flatten().expect("roster");
        assert_eq!((r.rows_read, r.imported, r.rejected, r.checks_waiting), (3, 2, 1, 2));
        assert_eq!(store.queue_counts().map(|q| (q.ready, q.due_now)).ok(), Some((2, 2)));
        assert_eq!(store.history_count(&CheckFilter::default()).ok(), Some(0));

        assert_eq!(
            store.queue_roster_checks(1, plan).ok(),
            Some(1),
            "up to one ready check"
        );
        assert_eq!(store.queue_roster_checks(1, plan).ok(), Some(0), "one is ready already");
        assert_eq!(
            store.queue_counts().map(|q| q.ready).ok(),
            Some(2),
            "the count did not change"
        );
        let first = store.history_page(&CheckFilter::default(), 0, 10).expect("history");
        let c = &first[0];
        assert_eq!(
            (c.state, c.roster_id, c.registrant_id),
            (CheckState::Ready, Some(roster.id), registrant_id)
        );
        assert_eq!(c.search_reason, SearchReason::Recertification);
        let refs: Vec<String> = c.queries.iter().map(|q| q.reference_id.clone()).collect();
        assert_eq!(refs, [format!("{}-1", c.id), format!("{}-2", c.id)]);
        let audit = store.audit_for_check(c.id).expect("audit");
        assert_eq!(
            (audit[0].action.as_str(), audit[0].actor.as_str()),
            ("check_requested", "officer")
        );
        assert!(audit[0].details.contains(r#""row":2"#), "{}", audit[0].details);

        assert_eq!(store.queue_roster_checks(10, plan).ok(), Some(1));
        assert_eq!(store.queue_roster_checks(10, plan).ok(), Some(0), "none waits");
        let found = store
            .history_count(&CheckFilter {
                text: Some("jose diallo".into()),
                roster_id: Some(roster.id),
                ..CheckFilter::default()
            })
            .expect("count");
        assert_eq!(found, 1, "the name words are indexed");
        assert_eq!(
            store.roster(roster.id).ok().flatten().map(|r| r.checks_waiting),
            Some(0)
        );
        assert_eq!(
            store.identifier_owner(&IdType::Uin, "U2").ok().flatten(),
            Some(IdentifierOwner {
                registrant_id: registrant_id + 1,
                roster_id: Some(roster.id),
                roster_row: Some(3)
            })
        );
        assert_eq!(store.roster_registrant_count(roster.id).ok(), Some(2));
        assert_eq!(
            store.roster_check_counts(roster.id).ok(),
            Some(RosterCheckCounts {
                ready: 2,
                ..RosterCheckCounts::default()
            })
        );
    }

    #[test]
    fn an_identifier_already_held_is_not_stored_again() {
        let store = testutil::store();
        let by_hand = testutil::registrant(&store, "Amina", "Diallo", "U1");
        let roster = begin(&store);
        let entries = [entry(2, "Amina", "U1"), entry(3, "Awa", "U9"), entry(4, "Awa", "U9")];
        let outcomes = store.import_roster_chunk(roster.id, &entries, 3, 0).expect("chunk");
        assert_eq!(
            outcomes[0],
            EntryOutcome::AlreadyRegistered(IdentifierOwner {
                registrant_id: by_hand.id,
                roster_id: None,
                roster_row: None
            })
        );
        assert!(matches!(outcomes[1], EntryOutcome::Imported { .. }));
        assert!(
            matches!(outcomes[2], EntryOutcome::AlreadyRegistered(IdentifierOwner { roster_id: Some(id), roster_row: Some(3), .. }) if id == roster.id),
            "the first of two rows of the file wins: {outcomes:?}"
        );
        let done = store
            .finish_roster(
                roster.id,
                RosterStatus::Finished,
                3,
                0,
                Some(&"a".repeat(64)),
                None,
                None,
            )
            .expect("finish");
        assert_eq!(
            (done.imported, done.rejected, done.status),
            (1, 2, RosterStatus::Finished)
        );
        assert!(done.finished_at.is_some());
        assert_eq!(
            store.rosters_with_fingerprint(&"a".repeat(64)).map(|r| r.len()).ok(),
            Some(1)
        );
        assert!(
            store
                .import_roster_chunk(roster.id, &[entry(5, "Ana", "U5")], 4, 0)
                .is_err(),
            "a finished roster takes no more rows"
        );
        assert!(
            store
                .finish_roster(roster.id, RosterStatus::Failed, 3, 0, None, None, None)
                .is_err()
        );
    }

    #[test]
    fn a_failing_chunk_writes_nothing() {
        let store = testutil::store();
        let roster = begin(&store);
        // An empty identifier value breaks a constraint of the table.
        let bad = entry(3, "Awa", "");
        assert!(
            store
                .import_roster_chunk(roster.id, &[entry(2, "Amina", "U2"), bad], 2, 0)
                .is_err()
        );
        assert_eq!(store.registrant_count().ok(), Some(0));
        assert_eq!(store.queue_counts().map(|q| q.ready).ok(), Some(0));
        assert_eq!(store.roster(roster.id).ok().flatten().map(|r| r.rows_read), Some(0));
    }

    #[test]
    fn checks_wait_while_their_source_is_paused_and_never_run_once_it_is_removed() {
        let store = testutil::store();
        let roster = begin(&store);
        store
            .import_roster_chunk(roster.id, &[entry(2, "Amina", "U1"), entry(3, "Awa", "U3")], 2, 0)
            .expect("chunk");
        let mut source = store
            .data_source(roster.data_source_id.expect("source"))
            .ok()
            .flatten()
            .expect("source");
        source.active = false;
        store.update_data_source(&source).expect("pause");
        assert_eq!(
            store.queue_roster_checks(10, plan).ok(),
            Some(0),
            "a paused source is not asked"
        );
        assert_eq!(
            store.queue_counts().map(|q| q.ready).ok(),
            Some(2),
            "its checks still wait"
        );

        store
            .delete_data_source(source.id, "officer", |_| Ok(()))
            .expect("remove");
        let counts = store.roster_check_counts(roster.id).expect("counts");
        assert_eq!((counts.ready, counts.not_run, counts.finished()), (0, 2, 2));
        assert_eq!(store.queue_counts().map(|q| q.ready).ok(), Some(0));
        assert_eq!(store.queue_roster_checks(10, plan).ok(), Some(0));
    }
}
