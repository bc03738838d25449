//! The checks of imported roster rows, written as the engine takes them up.
//!
//! An import registers applicants and counts them in
//! `rosters.checks_waiting` (see `rosters.rs`). Writing a check — its row in
//! `duplication_checks` with a dozen indexes, its searches, its name words and
//! its audit line — costs several times more than registering the
//! applicant, and the registry answers a few thousand checks a second at
//! best; so a check is written when the engine is about to run it, a batch at
//! a time, oldest roster first. That also keeps a million-row roster from
//! standing in front of an applicant typed in at the counter: the engine
//! writes more roster checks only when a data source has fewer than a
//! batch's worth ready.

use rusqlite::{Connection, params};

use super::checks::{RosterOrigin, SourceNames, insert_check_row};
use super::codec::{sql_int, unsigned};
use super::{Result, Store, registrants};
use crate::domain::{NewCheck, QueryKind, Registrant, SearchReason};

/// A roster with rows waiting for their checks, and a data source to ask.
struct Waiting {
    roster_id: i64,
    data_source_id: i64,
    search_reason: SearchReason,
    actor: String,
    checks_waiting: u64,
    checks_through: i64,
}

impl Store {
    /// Imported roster rows whose checks wait to be written (and run), for
    /// data sources that still exist.
    pub fn roster_checks_waiting(&self) -> Result<u64> {
        self.read(waiting_total)
    }

    /// Writes the checks of waiting roster rows (`ready`, due now), oldest
    /// roster first, until each active data source has `target` ready
    /// checks; returns how many were written. `plan` gives a registrant's
    /// searches (`crate::ibr::plan::queries_for`, as for a check typed by
    /// hand). One transaction: a crash writes all of them or none.
    pub fn queue_roster_checks(&self, target: u64, plan: impl Fn(&Registrant) -> Vec<QueryKind>) -> Result<u64> {
        // Nearly always nothing waits: a read answers without the writer's lock.
        if self.read(waiting_total)? == 0 {
            return Ok(0);
        }
        let now = super::codec::now();
        self.write(|tx| {
            let mut written = 0;
            let mut names = SourceNames::default();
            for w in waiting_rosters(tx)? {
                let ready = ready_count(tx, w.data_source_id)?;
                let room = target.saturating_sub(ready).min(w.checks_waiting);
                if room == 0 {
                    continue;
                }
                let rows = next_rows(tx, &w, room)?;
                let through = rows.last().map_or(w.checks_through, |(id, _)| *id);
                for (registrant_id, row) in &rows {
                    let Some(r) = registrants::by_id(tx, *registrant_id)? else {
                        continue;
                    };
                    let Some(first) = r.identifiers.first() else {
                        continue;
                    };
                    let new = NewCheck {
                        registrant_id: r.id,
                        applicant: r.snapshot(),
                        identifier_type: first.id_type.clone(),
                        identifier_value: first.value.clone(),
                        data_source_id: w.data_source_id,
                        search_reason: w.search_reason,
                        queries: plan(&r),
                    };
                    let origin = RosterOrigin {
                        roster_id: w.roster_id,
                        row: *row,
                    };
                    insert_check_row(tx, &new, &w.actor, now, &mut names, Some(origin))?;
                    written += 1;
                }
                // Fewer rows than counted (registrants removed by hand from
                // the database): the count follows the rows, or the roster
                // would wait forever.
                let taken = if (rows.len() as u64) < room {
                    w.checks_waiting
                } else {
                    rows.len() as u64
                };
                tx.prepare_cached(
                    "UPDATE rosters SET checks_waiting = checks_waiting - ?2, checks_through = ?3 WHERE id = ?1",
                )?
                .execute(params![w.roster_id, sql_int(taken), through])?;
            }
            Ok(written)
        })
    }
}

/// Roster rows whose checks wait, for data sources that still exist (the
/// rest will never run: `RosterCheckCounts::not_run`).
pub(super) fn waiting_total(c: &Connection) -> Result<u64> {
    let mut stmt = c.prepare_cached(
        "SELECT coalesce(sum(checks_waiting), 0) FROM rosters WHERE checks_waiting > 0 AND data_source_id IS NOT NULL",
    )?;
    Ok(unsigned(stmt.query_row([], |r| r.get(0))?))
}

/// Rosters with waiting rows whose data source is active, oldest first.
fn waiting_rosters(c: &Connection) -> Result<Vec<Waiting>> {
    let mut stmt = c.prepare_cached(
        "SELECT r.id, r.data_source_id, r.search_reason, r.actor, r.checks_waiting, r.checks_through \
         FROM rosters AS r JOIN data_sources AS d ON d.id = r.data_source_id \
         WHERE r.checks_waiting > 0 AND d.active ORDER BY r.id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(Waiting {
            roster_id: r.get(0)?,
            data_source_id: r.get(1)?,
            search_reason: r.get("search_reason")?,
            actor: r.get(3)?,
            checks_waiting: unsigned(r.get(4)?),
            checks_through: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Checks of a data source waiting to run (due or not): the partial index on
/// due times holds only them.
fn ready_count(c: &Connection, data_source_id: i64) -> Result<u64> {
    let mut stmt = c.prepare_cached(
        "SELECT count(*) FROM duplication_checks \
         WHERE state = 'ready' AND next_attempt_at IS NOT NULL AND data_source_id = ?1",
    )?;
    Ok(unsigned(stmt.query_row([data_source_id], |r| r.get(0))?))
}

/// The roster's next registrants without a check, with their rows: a range
/// of the registrants' rowids after `checks_through` (a roster's rows are
/// stored in order, so no index on `roster_id` is needed).
fn next_rows(c: &Connection, w: &Waiting, limit: u64) -> Result<Vec<(i64, Option<u64>)>> {
    let mut stmt = c.prepare_cached(
        "SELECT id, roster_row FROM registrants WHERE id > ?1 AND roster_id = ?2 ORDER BY id LIMIT ?3",
    )?;
    let rows = stmt.query_map(params![w.checks_through, w.roster_id, sql_int(limit)], |r| {
        Ok((r.get(0)?, r.get::<_, Option<i64>>(1)?.map(unsigned)))
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}
