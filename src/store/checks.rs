//! Duplication checks through their life: requested (`ready`), claimed by the
//! engine (`checking`), and `completed` or `failed`; with the searches each
//! check sends, the candidates the registry returned and the reply excerpt.
//!
//! Every state change is one conditional UPDATE (`… WHERE state = 'checking'`)
//! in the same transaction as its candidates and its audit line. That is what
//! makes a check impossible to record twice: a second completion finds the
//! state already changed, updates nothing, and writes nothing else. Batches
//! (`insert_checks`, `complete_checks`, `fail_checks`) run in one transaction
//! with reused prepared statements, because per-transaction cost (a WAL
//! append and lock) dominates single-row work.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde_json::json;

use super::codec::{Ts, id_type_from_text, json, parsed, parsed_opt, sex_from_text, to_json, unsigned};
use super::{Result, Store, StoreError, audit, registrants, sources};
use crate::domain::{
    ApplicantSnapshot, AuditAction, CheckCompletion, CheckQuery, DuplicationCheck, MatchCandidate, NewCheck,
    ReplyHeader, normalize_name,
};

/// The columns [`check_from_row`] reads, in table order.
pub(super) const CHECK_COLUMNS: &str = "id, registrant_id, given_name, surname, birth_date, sex, identifier_type, \
    identifier_value, check_date, finished_at, result, matched_programs, state, data_source_id, data_source_name, \
    error_message, error_kind, transaction_id, correlation_id, attempts, next_attempt_at, search_reason, explanation, \
    signature_note, review_status, final_result, roster_id";

/// The engine's own actions are audited under this actor.
const SYSTEM: &str = "system";

/// How many checks wait, run, and could run now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct QueueCounts {
    /// Waiting to run (including those waiting for a retry time).
    pub ready: u64,
    /// Sent to a registry, answer not yet recorded.
    pub checking: u64,
    /// Ready and due now.
    pub due_now: u64,
}

impl Store {
    /// Stores a requested check (`ready`, due now) with its searches and an
    /// audit line `check_requested`, in one transaction.
    pub fn insert_check(&self, new: &NewCheck, actor: &str) -> Result<DuplicationCheck> {
        let now = super::codec::now();
        self.write(|tx| {
            let id = insert_one(tx, new, actor, now, &mut SourceNames::default())?;
            load(tx, id)?.ok_or(StoreError::NotFound { what: "check", id })
        })
    }

    /// Stores many requested checks in one transaction (a roster import);
    /// returns their IDs in the order given. Nothing is stored if one fails.
    pub fn insert_checks(&self, new: &[NewCheck], actor: &str) -> Result<Vec<i64>> {
        let now = super::codec::now();
        self.write(|tx| {
            let mut names = SourceNames::default();
            new.iter().map(|n| insert_one(tx, n, actor, now, &mut names)).collect()
        })
    }

    /// One check with its searches.
    pub fn check(&self, id: i64) -> Result<Option<DuplicationCheck>> {
        self.read(|c| load(c, id))
    }

    /// Takes the due `ready` checks of one data source, longest due first, as
    /// many whole checks as fit in `max_items` searches (at least one check if
    /// any is due), and marks them `checking` with one more attempt.
    pub fn claim_due_checks(
        &self,
        data_source_id: i64,
        now: DateTime<Utc>,
        max_items: usize,
    ) -> Result<Vec<DuplicationCheck>> {
        let max_items = max_items.max(1);
        self.write(|tx| {
            let due = due_checks(tx, data_source_id, now, max_items)?;
            let mut mark = tx.prepare_cached(
                "UPDATE duplication_checks SET state = 'checking', attempts = attempts + 1 WHERE id = ?1",
            )?;
            let mut claimed = Vec::new();
            for id in fitting(&due, max_items) {
                mark.execute([id])?;
                claimed.extend(load(tx, id)?);
            }
            Ok(claimed)
        })
    }

    /// The data sources that have `ready` checks due at `now`.
    pub fn sources_with_due_checks(&self, now: DateTime<Utc>) -> Result<Vec<i64>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT DISTINCT data_source_id FROM duplication_checks \
                 WHERE state = 'ready' AND next_attempt_at <= ?1 AND data_source_id IS NOT NULL ORDER BY 1",
            )?;
            let rows = stmt.query_map([Ts(now)], |r| r.get(0))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// When the next `ready` check of a data source is due.
    pub fn next_due_at(&self, data_source_id: i64) -> Result<Option<DateTime<Utc>>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT min(next_attempt_at) FROM duplication_checks \
                 WHERE state = 'ready' AND next_attempt_at IS NOT NULL AND data_source_id = ?1",
            )?;
            Ok(stmt
                .query_row([data_source_id], |r| r.get::<_, Option<Ts>>(0))?
                .map(|t| t.0))
        })
    }

    /// Records the registry's answer: `checking` → `completed` with its
    /// result, candidates, reply excerpt and an audit line. Returns false, and
    /// writes nothing, when the check is not `checking` (already recorded).
    pub fn complete_check(&self, id: i64, done: &CheckCompletion, actor: &str) -> Result<bool> {
        Ok(self
            .complete_checks(std::slice::from_ref(&(id, done.clone())), actor)?
            .first()
            .copied()
            .unwrap_or(false))
    }

    /// [`Store::complete_check`] for a whole batch, in one transaction.
    pub fn complete_checks(&self, done: &[(i64, CheckCompletion)], actor: &str) -> Result<Vec<bool>> {
        let now = super::codec::now();
        self.write(|tx| {
            let mut headers = HeaderRows::default();
            done.iter()
                .map(|(id, d)| complete_one(tx, *id, d, &mut headers, actor, now))
                .collect()
        })
    }

    /// `checking` → `failed` with why (`error_kind` as `DciError::kind`).
    /// Returns false, writing nothing, when the check is not `checking`.
    pub fn fail_check(
        &self,
        id: i64,
        error_kind: &str,
        message: &str,
        transaction_id: Option<&str>,
        actor: &str,
    ) -> Result<bool> {
        let now = super::codec::now();
        self.write(|tx| fail_one(tx, id, error_kind, message, transaction_id, actor, now))
    }

    /// [`Store::fail_check`] for `(id, error_kind, message)` rows of one
    /// transaction with the registry, in one database transaction.
    pub fn fail_checks(
        &self,
        failures: &[(i64, String, String)],
        transaction_id: Option<&str>,
        actor: &str,
    ) -> Result<Vec<bool>> {
        let now = super::codec::now();
        self.write(|tx| {
            failures
                .iter()
                .map(|(id, kind, message)| fail_one(tx, *id, kind, message, transaction_id, actor, now))
                .collect()
        })
    }

    /// Puts `checking` checks back in the queue, due at `next_attempt_at`
    /// (a transient failure: the registry was unreachable, busy, …). The last
    /// error is kept for display while the state is `ready`. Returns how many
    /// were requeued; each gets an audit line `check_requeued` (actor `system`).
    pub fn requeue_checks(
        &self,
        ids: &[i64],
        next_attempt_at: DateTime<Utc>,
        last_error: Option<(&str, &str)>,
    ) -> Result<usize> {
        let now = super::codec::now();
        let (kind, message) = last_error.unzip();
        let details = to_json(&json!({ "next_attempt_at": Ts::text(next_attempt_at), "error_kind": kind }))?;
        self.write(|tx| {
            let mut stmt = tx.prepare_cached(
                "UPDATE duplication_checks SET state = 'ready', next_attempt_at = ?2, \
                 error_kind = coalesce(?3, error_kind), error_message = coalesce(?4, error_message) \
                 WHERE id = ?1 AND state = 'checking'",
            )?;
            let mut n = 0;
            for &id in ids {
                if stmt.execute(params![id, Ts(next_attempt_at), kind, message])? == 1 {
                    audit::append(tx, now, SYSTEM, AuditAction::CheckRequeued, Some(id), &details)?;
                    n += 1;
                }
            }
            Ok(n)
        })
    }

    /// A person asks to run a failed check again: `failed` → `ready`, due now,
    /// attempts and error cleared, audit `check_retried`. False if not failed.
    pub fn retry_check(&self, id: i64, actor: &str) -> Result<bool> {
        let now = super::codec::now();
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE duplication_checks SET state = 'ready', attempts = 0, next_attempt_at = ?2, \
                 error_kind = NULL, error_message = NULL, finished_at = NULL WHERE id = ?1 AND state = 'failed'",
                params![id, Ts(now)],
            )?;
            if n == 0 {
                return Ok(false);
            }
            audit::append(tx, now, actor, AuditAction::CheckRetried, Some(id), "{}")?;
            Ok(true)
        })
    }

    /// At start-up: checks left `checking` by a process that stopped are
    /// queued again, due now (their reference IDs are unchanged, so a late
    /// answer to the old message is recognised). Audit `check_recovered` each.
    pub fn recover_interrupted(&self, actor: &str) -> Result<usize> {
        let now = super::codec::now();
        self.write(|tx| {
            let ids = returning_ids(
                tx,
                "UPDATE duplication_checks SET state = 'ready', next_attempt_at = ?1 \
                 WHERE state = 'checking' AND next_attempt_at IS NOT NULL \
                 RETURNING id",
                params![Ts(now)],
            )?;
            for &id in &ids {
                audit::append(tx, now, actor, AuditAction::CheckRecovered, Some(id), "{}")?;
            }
            Ok(ids.len())
        })
    }

    /// A person runs the queue now (`ibr-desk queue run`): every `ready` check
    /// waiting out a back-off is made due now, so that it runs at once instead
    /// of at its next attempt time. One transaction; each check changed gets an
    /// audit line `check_made_due` (by `actor`, with the time it was due at).
    /// Checks already due are left as they are. Returns how many changed.
    pub fn make_queued_checks_due(&self, actor: &str) -> Result<usize> {
        let now = super::codec::now();
        self.write(|tx| {
            let waiting: Vec<(i64, Ts)> = {
                let mut stmt = tx.prepare_cached(
                    "SELECT id, next_attempt_at FROM duplication_checks \
                     WHERE state = 'ready' AND next_attempt_at > ?1 ORDER BY id",
                )?;
                let rows = stmt.query_map([Ts(now)], |r| Ok((r.get(0)?, r.get(1)?)))?;
                rows.collect::<rusqlite::Result<Vec<_>>>()?
            };
            let mut due = tx.prepare_cached(
                "UPDATE duplication_checks SET next_attempt_at = ?2 WHERE id = ?1 AND state = 'ready'",
            )?;
            for (id, was_due) in &waiting {
                due.execute(params![id, Ts(now)])?;
                let details = to_json(&json!({ "was_due_at": Ts::text(was_due.0) }))?;
                audit::append(tx, now, actor, AuditAction::CheckMadeDue, Some(*id), &details)?;
            }
            Ok(waiting.len())
        })
    }

    /// The `ready` checks (queued, or waiting to retry with their last error),
    /// oldest first, at most `limit`: what a registry has not answered yet.
    pub fn queued_checks(&self, limit: u32) -> Result<Vec<DuplicationCheck>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {CHECK_COLUMNS} FROM duplication_checks WHERE state = 'ready' ORDER BY id LIMIT ?1"
            ))?;
            let rows = stmt.query_map([limit], check_from_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// Fails every `ready` check of a data source (it is being removed or can
    /// never answer), with `message` and error kind `config`. Returns how many.
    pub fn fail_queued_checks_of_source(&self, data_source_id: i64, message: &str, actor: &str) -> Result<usize> {
        self.write(|tx| fail_queued_of_source(tx, data_source_id, message, actor))
    }

    /// The candidate records of a completed check, by rank.
    pub fn candidates(&self, check_id: i64) -> Result<Vec<MatchCandidate>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT rank, found_by, name, birth_date, sex, identifiers, programmes, confirms, reasons, raw \
                 FROM match_candidates WHERE check_id = ?1 ORDER BY rank, id",
            )?;
            let rows = stmt.query_map([check_id], candidate_from_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// The part of the registry's reply that answered this check: the
    /// message's signature and header (stored once per message), then the
    /// items that answered the check, as one JSON object.
    pub fn reply_excerpt(&self, check_id: i64) -> Result<Option<String>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT r.excerpt, h.header, h.signature FROM check_replies r \
                 LEFT JOIN reply_headers h ON h.id = r.reply_header_id WHERE r.check_id = ?1",
            )?;
            let row: Option<(String, Option<String>, Option<String>)> = stmt
                .query_row([check_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()?;
            Ok(row.map(|(excerpt, header, signature)| match header {
                // Checks completed before version 6 keep the header in the excerpt.
                None => excerpt,
                Some(header) => joined_excerpt(&excerpt, &header, signature.as_deref()),
            }))
        })
    }

    /// How many checks wait, run, and are due now. Roster rows whose checks
    /// are not written yet wait, and are due.
    pub fn queue_counts(&self) -> Result<QueueCounts> {
        let now = super::codec::now();
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT (SELECT count(*) FROM duplication_checks WHERE state = 'ready'), \
                        (SELECT count(*) FROM duplication_checks WHERE state = 'checking'), \
                        (SELECT count(*) FROM duplication_checks WHERE state = 'ready' AND next_attempt_at <= ?1)",
            )?;
            let waiting = super::roster_checks::waiting_total(c)?;
            Ok(stmt.query_row([Ts(now)], |r| {
                Ok(QueueCounts {
                    ready: unsigned(r.get(0)?) + waiting,
                    checking: unsigned(r.get(1)?),
                    due_now: unsigned(r.get(2)?) + waiting,
                })
            })?)
        })
    }
}

/// Data source names looked up once per batch.
#[derive(Default)]
pub(super) struct SourceNames(HashMap<i64, String>);

impl SourceNames {
    fn get(&mut self, c: &Connection, id: i64) -> Result<&str> {
        let name = match self.0.entry(id) {
            Entry::Occupied(known) => known.into_mut(),
            Entry::Vacant(new) => new.insert(sources::name_of(c, id)?),
        };
        Ok(name.as_str())
    }
}

/// The roster row a check was written for.
#[derive(Debug, Clone, Copy)]
pub(super) struct RosterOrigin {
    pub roster_id: i64,
    pub row: Option<u64>,
}

fn insert_one(c: &Connection, new: &NewCheck, actor: &str, now: DateTime<Utc>, names: &mut SourceNames) -> Result<i64> {
    insert_check_row(c, new, actor, now, names, None)
}

/// Writes one `ready` check, due now, with its searches, name words and an
/// audit line `check_requested` (which names the roster row it came from).
pub(super) fn insert_check_row(
    c: &Connection,
    new: &NewCheck,
    actor: &str,
    now: DateTime<Utc>,
    names: &mut SourceNames,
    roster: Option<RosterOrigin>,
) -> Result<i64> {
    if new.queries.is_empty() {
        return Err(StoreError::Invalid("a check needs at least one search to send".into()));
    }
    if new.identifier_value.trim().is_empty() {
        return Err(StoreError::Invalid("the check's identifier has no value".into()));
    }
    if !registrants::exists(c, new.registrant_id)? {
        return Err(StoreError::NotFound {
            what: "registrant",
            id: new.registrant_id,
        });
    }
    let source_name = names.get(c, new.data_source_id)?;
    let a = &new.applicant;
    let name = name_search(a);
    let mut stmt = c.prepare_cached(
        "INSERT INTO duplication_checks (registrant_id, given_name, surname, birth_date, sex, name_search, \
         identifier_type, identifier_value, check_date, state, data_source_id, data_source_name, attempts, \
         next_attempt_at, search_reason, roster_id) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'ready', ?10, ?11, 0, ?9, ?12, ?13)",
    )?;
    let id = stmt.insert(params![
        new.registrant_id,
        a.given_name,
        a.surname,
        a.birth_date,
        a.sex.as_ref().map(|s| s.as_str()),
        name,
        new.identifier_type.as_str(),
        new.identifier_value,
        Ts(now),
        new.data_source_id,
        source_name,
        new.search_reason.as_str(),
        roster.map(|r| r.roster_id),
    ])?;
    index_name_words(c, id, &name)?;
    let mut query =
        c.prepare_cached("INSERT INTO check_queries (check_id, seq, reference_id, kind) VALUES (?1, ?2, ?3, ?4)")?;
    for (seq, kind) in (1_i64..).zip(&new.queries) {
        query.execute(params![id, seq, reference_id(id, seq), to_json(kind)?])?;
    }
    let mut details = json!({
        "data_source": source_name,
        "search_reason": new.search_reason.as_str(),
        "searches": new.queries.len(),
    });
    if let Some(r) = roster {
        details["roster_id"] = json!(r.roster_id);
        details["row"] = json!(r.row);
    }
    audit::append(
        c,
        now,
        actor,
        AuditAction::CheckRequested,
        Some(id),
        &to_json(&details)?,
    )?;
    Ok(id)
}

/// `{"signature", "header", …items}` from the parts the store keeps apart.
fn joined_excerpt(excerpt: &str, header: &str, signature: Option<&str>) -> String {
    use serde_json::{Map, Value};
    let mut out = Map::new();
    out.insert(
        "signature".into(),
        signature.map_or(Value::Null, |s| Value::String(s.into())),
    );
    out.insert("header".into(), serde_json::from_str(header).unwrap_or(Value::Null));
    match serde_json::from_str::<Value>(excerpt) {
        Ok(Value::Object(rest)) => out.extend(rest),
        _ => {
            out.insert("excerpt".into(), Value::String(excerpt.into()));
        }
    }
    Value::Object(out).to_string()
}

/// `<check id>-<seq>`, seq from 1: unique, and the same on every attempt.
pub(super) fn reference_id(check_id: i64, seq: i64) -> String {
    format!("{check_id}-{seq}")
}

/// The name as name search compares it: `normalize_name("given surname")`.
pub(super) fn name_search(a: &ApplicantSnapshot) -> String {
    let given = a.given_name.as_deref().unwrap_or_default();
    let surname = a.surname.as_deref().unwrap_or_default();
    normalize_name(&format!("{given} {surname}"))
}

/// Adds the words of a check's `name_search` to the word index that name
/// search reads (`check_name_words`). Every insert of a check calls it, in the
/// same transaction.
pub(super) fn index_name_words(c: &Connection, check_id: i64, name_search: &str) -> Result<()> {
    let mut stmt = c.prepare_cached("INSERT OR IGNORE INTO check_name_words (word, check_id) VALUES (?1, ?2)")?;
    for word in name_search.split(' ').filter(|w| !w.is_empty()) {
        stmt.execute(params![word, check_id])?;
    }
    Ok(())
}

/// The reply headers a transaction has stored: the checks of one message
/// share its header, one row rather than one each.
#[derive(Default)]
struct HeaderRows(Vec<(ReplyHeader, i64)>);

impl HeaderRows {
    fn row_of(&mut self, c: &Connection, h: &ReplyHeader, now: DateTime<Utc>) -> Result<i64> {
        if let Some((_, row)) = self.0.iter().find(|(stored, _)| stored == h) {
            return Ok(*row);
        }
        let row = insert_reply_header(c, h, now)?;
        self.0.push((h.clone(), row));
        Ok(row)
    }
}

/// Stores a reply's header and signature (already capped, see
/// [`ReplyHeader::capped`]); a header that is not JSON is stored as `null`.
fn insert_reply_header(c: &Connection, h: &ReplyHeader, now: DateTime<Utc>) -> Result<i64> {
    let header = if serde_json::from_str::<serde_json::Value>(&h.header).is_ok() {
        h.header.as_str()
    } else {
        "null"
    };
    c.prepare_cached(
        "INSERT INTO reply_headers (received_at, transaction_id, header, signature) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![Ts(now), h.transaction_id, header, h.signature])?;
    Ok(c.last_insert_rowid())
}

fn complete_one(
    c: &Connection,
    id: i64,
    done: &CheckCompletion,
    headers: &mut HeaderRows,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    let mut stmt = c.prepare_cached(
        "UPDATE duplication_checks SET state = 'completed', result = ?2, matched_programs = ?3, explanation = ?4, \
         signature_note = ?5, transaction_id = ?6, correlation_id = ?7, finished_at = ?8, error_kind = NULL, \
         error_message = NULL, next_attempt_at = NULL, \
         review_status = CASE WHEN ?2 = 'possible_match' THEN 'to_review' ELSE review_status END \
         WHERE id = ?1 AND state = 'checking'",
    )?;
    let changed = stmt.execute(params![
        id,
        done.result.as_str(),
        to_json(&done.matched_programs)?,
        done.explanation,
        done.signature_note,
        done.transaction_id,
        done.correlation_id,
        Ts(now),
    ])?;
    if changed == 0 {
        return Ok(false);
    }
    insert_candidates(c, id, &done.candidates)?;
    let header_id = headers.row_of(c, &done.reply_header, now)?;
    c.prepare_cached("INSERT INTO check_replies (check_id, excerpt, reply_header_id) VALUES (?1, ?2, ?3)")?
        .execute(params![id, done.reply_excerpt, header_id])?;
    let details = to_json(&json!({
        "result": done.result.as_str(),
        "transaction_id": done.transaction_id,
        "candidates": done.candidates.len(),
    }))?;
    audit::append(c, now, actor, AuditAction::CheckCompleted, Some(id), &details)?;
    Ok(true)
}

fn insert_candidates(c: &Connection, check_id: i64, candidates: &[MatchCandidate]) -> Result<()> {
    let mut stmt = c.prepare_cached(
        "INSERT INTO match_candidates (check_id, rank, found_by, name, birth_date, sex, identifiers, programmes, \
         confirms, reasons, raw) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?;
    for m in candidates {
        stmt.execute(params![
            check_id,
            m.rank,
            m.found_by,
            m.name,
            m.birth_date,
            m.sex,
            to_json(&m.identifiers)?,
            to_json(&m.programmes)?,
            m.confirms,
            to_json(&m.reasons)?,
            to_json(&m.raw)?,
        ])?;
    }
    Ok(())
}

fn fail_one(
    c: &Connection,
    id: i64,
    kind: &str,
    message: &str,
    transaction_id: Option<&str>,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    let mut stmt = c.prepare_cached(
        "UPDATE duplication_checks SET state = 'failed', result = NULL, error_kind = ?2, error_message = ?3, \
         transaction_id = coalesce(?4, transaction_id), finished_at = ?5, next_attempt_at = NULL \
         WHERE id = ?1 AND state = 'checking'",
    )?;
    if stmt.execute(params![id, kind, message, transaction_id, Ts(now)])? == 0 {
        return Ok(false);
    }
    let details = to_json(&json!({ "error_kind": kind, "message": message, "transaction_id": transaction_id }))?;
    audit::append(c, now, actor, AuditAction::CheckFailed, Some(id), &details)?;
    Ok(true)
}

/// Fails the `ready` checks of a data source inside the caller's transaction.
pub(super) fn fail_queued_of_source(c: &Connection, data_source_id: i64, message: &str, actor: &str) -> Result<usize> {
    let now = super::codec::now();
    let ids = returning_ids(
        c,
        "UPDATE duplication_checks SET state = 'failed', result = NULL, error_kind = 'config', error_message = ?2, \
         finished_at = ?3, next_attempt_at = NULL \
         WHERE data_source_id = ?1 AND state = 'ready' AND next_attempt_at IS NOT NULL RETURNING id",
        params![data_source_id, message, Ts(now)],
    )?;
    let details = to_json(&json!({ "error_kind": "config", "message": message }))?;
    for &id in &ids {
        audit::append(c, now, actor, AuditAction::CheckFailed, Some(id), &details)?;
    }
    Ok(ids.len())
}

fn returning_ids(c: &Connection, sql: &str, params: impl rusqlite::Params) -> Result<Vec<i64>> {
    let mut stmt = c.prepare_cached(sql)?;
    let rows = stmt.query_map(params, |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// `(check id, number of searches)` of the due checks of a source, longest
/// due first; at most `limit` (each check has at least one search).
fn due_checks(c: &Connection, data_source_id: i64, now: DateTime<Utc>, limit: usize) -> Result<Vec<(i64, usize)>> {
    let mut stmt = c.prepare_cached(
        "SELECT c.id, (SELECT count(*) FROM check_queries q WHERE q.check_id = c.id) FROM duplication_checks c \
         WHERE c.state = 'ready' AND c.data_source_id = ?1 AND c.next_attempt_at <= ?2 \
         ORDER BY c.next_attempt_at, c.id LIMIT ?3",
    )?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = stmt.query_map(params![data_source_id, Ts(now), limit], |r| {
        Ok((r.get(0)?, usize::try_from(r.get::<_, i64>(1)?).unwrap_or(1)))
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// The leading checks whose searches fit in `max_items` together; the first
/// always, so that a check with more searches than a batch still runs.
fn fitting(due: &[(i64, usize)], max_items: usize) -> Vec<i64> {
    let mut total = 0;
    let mut ids = Vec::new();
    for &(id, searches) in due {
        if !ids.is_empty() && total + searches > max_items {
            break;
        }
        total += searches;
        ids.push(id);
    }
    ids
}

/// One check with its searches.
pub(super) fn load(c: &Connection, id: i64) -> Result<Option<DuplicationCheck>> {
    let mut stmt = c.prepare_cached(&format!("SELECT {CHECK_COLUMNS} FROM duplication_checks WHERE id = ?1"))?;
    let Some(mut check) = stmt.query_row([id], check_from_row).optional()? else {
        return Ok(None);
    };
    check.queries = queries_of(c, id)?;
    Ok(Some(check))
}

pub(super) fn queries_of(c: &Connection, check_id: i64) -> Result<Vec<CheckQuery>> {
    let mut stmt = c.prepare_cached("SELECT reference_id, kind FROM check_queries WHERE check_id = ?1 ORDER BY seq")?;
    let rows = stmt.query_map([check_id], |r| {
        Ok(CheckQuery {
            reference_id: r.get("reference_id")?,
            kind: json(r, "kind")?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// A check's own columns ([`CHECK_COLUMNS`]); its searches are read separately.
pub(super) fn check_from_row(row: &Row<'_>) -> rusqlite::Result<DuplicationCheck> {
    Ok(DuplicationCheck {
        id: row.get("id")?,
        registrant_id: row.get("registrant_id")?,
        applicant: ApplicantSnapshot {
            given_name: row.get("given_name")?,
            surname: row.get("surname")?,
            birth_date: row.get("birth_date")?,
            sex: parsed_opt(row, "sex", sex_from_text)?,
        },
        identifier_type: parsed(row, "identifier_type", id_type_from_text)?,
        identifier_value: row.get("identifier_value")?,
        check_date: row.get::<_, Ts>("check_date")?.0,
        finished_at: row.get::<_, Option<Ts>>("finished_at")?.map(|t| t.0),
        result: row.get("result")?,
        matched_programs: json(row, "matched_programs")?,
        state: row.get("state")?,
        data_source_id: row.get("data_source_id")?,
        data_source_name: row.get("data_source_name")?,
        error_message: row.get("error_message")?,
        error_kind: row.get("error_kind")?,
        transaction_id: row.get("transaction_id")?,
        correlation_id: row.get("correlation_id")?,
        queries: Vec::new(),
        attempts: row.get("attempts")?,
        next_attempt_at: row.get::<_, Option<Ts>>("next_attempt_at")?.map(|t| t.0),
        search_reason: row.get("search_reason")?,
        explanation: row.get("explanation")?,
        signature_note: row.get("signature_note")?,
        review_status: row.get("review_status")?,
        final_result: row.get("final_result")?,
        roster_id: row.get("roster_id")?,
    })
}

fn candidate_from_row(row: &Row<'_>) -> rusqlite::Result<MatchCandidate> {
    Ok(MatchCandidate {
        rank: row.get("rank")?,
        found_by: row.get("found_by")?,
        name: row.get("name")?,
        birth_date: row.get("birth_date")?,
        sex: row.get("sex")?,
        identifiers: json(row, "identifiers")?,
        programmes: json(row, "programmes")?,
        confirms: row.get("confirms")?,
        reasons: json(row, "reasons")?,
        raw: json(row, "raw")?,
    })
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::super::testutil::{self, new_check};
    use super::*;
    use crate::domain::{
        CheckState, DataSource, EnrolmentStatus, FoundBy, IdType, Identifier, MatchResult, ProgrammeEnrolment,
        QueryKind, SearchReason,
    };

    fn completion(result: MatchResult, candidates: usize) -> CheckCompletion {
        CheckCompletion {
            result,
            matched_programs: vec!["P1 — Child Grant".into()],
            explanation: "an active enrolment under exactly this UIN".into(),
            signature_note: "signed by ibr.national.gov".into(),
            transaction_id: "txn-1".into(),
            correlation_id: Some("corr-1".into()),
            candidates: (0..candidates)
                .map(|i| MatchCandidate {
                    rank: u32::try_from(i).unwrap_or_default() + 1,
                    found_by: FoundBy::OtherIdentifier,
                    name: "Amina Diallo".into(),
                    birth_date: Some("1990-04-12".into()),
                    sex: Some("female".into()),
                    identifiers: vec![Identifier::new(IdType::Other("NID".into()), "N-1")],
                    programmes: vec![ProgrammeEnrolment {
                        programme_identifier: Some("P1".into()),
                        programme_name: Some("Child Grant".into()),
                        enrolment_status: EnrolmentStatus::Unknown("Paused".into()),
                        enrolment_date: None,
                        status_change_date: None,
                    }],
                    confirms: false,
                    reasons: vec!["the UIN differs".into()],
                    raw: serde_json::json!({"member": {"id": 1}}),
                })
                .collect(),
            reply_excerpt: r#"{"search_response":[]}"#.into(),
            reply_header: ReplyHeader::capped(Some("txn-1"), &serde_json::json!({"status": "succ"}), Some("sig")),
        }
    }

    fn setup(n: usize) -> (Store, DataSource, Vec<i64>) {
        let store = testutil::store();
        let source = testutil::source(&store, "National IBR");
        let ids = (0..n)
            .map(|i| {
                let r = testutil::registrant(&store, "Amina", "Diallo", &format!("U{i}"));
                store
                    .insert_check(&new_check(&r, &source, i % 2 == 1), "officer")
                    .map(|c| c.id)
            })
            .collect::<Result<Vec<_>>>()
            .expect("checks");
        (store, source, ids)
    }

    fn state(store: &Store, id: i64) -> Option<CheckState> {
        store.check(id).ok().flatten().map(|c| c.state)
    }

    fn later() -> DateTime<Utc> {
        Utc::now() + Duration::seconds(1)
    }

    #[test]
    fn a_new_check_is_ready_with_reference_ids_and_an_audit_line() {
        let store = testutil::store();
        let source = testutil::source(&store, "National IBR");
        let r = testutil::registrant(&store, "José", "Peña", "U1");
        let mut new = new_check(&r, &source, true);
        new.search_reason = SearchReason::Recertification;
        let c = store.insert_check(&new, "officer").expect("insert");
        assert_eq!(c.state, CheckState::Ready);
        assert_eq!(c.attempts, 0);
        assert_eq!(c.result, None);
        assert_eq!(c.next_attempt_at, Some(c.check_date));
        assert_eq!(c.data_source_name, "National IBR");
        assert_eq!(c.applicant, new.applicant);
        assert_eq!(c.search_reason, SearchReason::Recertification);
        let refs: Vec<String> = c.queries.iter().map(|q| q.reference_id.clone()).collect();
        assert_eq!(refs, [format!("{}-1", c.id), format!("{}-2", c.id)]);
        assert_eq!(
            c.queries.iter().map(|q| q.kind.clone()).collect::<Vec<_>>(),
            new.queries
        );
        assert_eq!(store.check(c.id).ok().flatten(), Some(c.clone()));
        let audit = store.audit_for_check(c.id).expect("audit");
        assert_eq!(
            audit.iter().map(|a| a.action.as_str()).collect::<Vec<_>>(),
            ["check_requested"]
        );
        assert_eq!(audit[0].actor, "officer");
    }

    #[test]
    fn refuses_checks_that_cannot_run() {
        let store = testutil::store();
        let source = testutil::source(&store, "National IBR");
        let r = testutil::registrant(&store, "Amina", "Diallo", "U1");
        let mut no_queries = new_check(&r, &source, false);
        no_queries.queries.clear();
        assert!(matches!(
            store.insert_check(&no_queries, "o"),
            Err(StoreError::Invalid(_))
        ));
        let mut no_source = new_check(&r, &source, false);
        no_source.data_source_id = 999;
        assert!(matches!(
            store.insert_check(&no_source, "o"),
            Err(StoreError::NotFound { .. })
        ));
        let good = new_check(&r, &source, false);
        let err = store.insert_checks(&[good.clone(), no_source], "o").expect_err("batch");
        assert!(matches!(
            err,
            StoreError::NotFound {
                what: "data source",
                ..
            }
        ));
        assert_eq!(
            store.queue_counts().map(|q| q.ready).ok(),
            Some(0),
            "nothing of the batch was stored"
        );
        assert_eq!(
            store.insert_checks(&[good.clone(), good], "o").map(|v| v.len()).ok(),
            Some(2)
        );
    }

    #[test]
    fn claim_respects_max_items_and_due_time() {
        // Checks alternate 1 and 2 searches: 1, 2, 1, 2, 1.
        let (store, source, ids) = setup(5);
        let future = store
            .claim_due_checks(source.id, Utc::now() - Duration::hours(1), 10)
            .expect("early");
        assert!(future.is_empty(), "nothing is due an hour ago");
        let first = store.claim_due_checks(source.id, later(), 4).expect("claim");
        assert_eq!(first.iter().map(|c| c.id).collect::<Vec<_>>(), ids[..3]);
        for c in &first {
            assert_eq!(c.state, CheckState::Checking);
            assert_eq!(c.attempts, 1);
            assert!(!c.queries.is_empty());
        }
        // Only 1 item allowed but the next check has 2 searches: it still runs alone.
        let second = store.claim_due_checks(source.id, later(), 1).expect("claim");
        assert_eq!(second.iter().map(|c| c.id).collect::<Vec<_>>(), [ids[3]]);
        assert_eq!(
            store.queue_counts().ok(),
            Some(QueueCounts {
                ready: 1,
                checking: 4,
                due_now: 1
            })
        );
        let other = testutil::source(&store, "Other IBR");
        assert!(
            store
                .claim_due_checks(other.id, later(), 10)
                .map(|v| v.is_empty())
                .unwrap_or(false)
        );
    }

    #[test]
    fn the_fitting_rule() {
        assert_eq!(fitting(&[(1, 3), (2, 3)], 5), [1]);
        assert_eq!(fitting(&[(1, 9), (2, 1)], 5), [1], "first always, order kept");
        assert_eq!(fitting(&[(1, 2), (2, 3), (3, 1)], 5), [1, 2]);
        assert!(fitting(&[], 5).is_empty());
    }

    #[test]
    fn due_sources_and_next_due_time() {
        let (store, source, _) = setup(2);
        assert_eq!(store.sources_with_due_checks(later()).ok(), Some(vec![source.id]));
        assert_eq!(
            store.sources_with_due_checks(Utc::now() - Duration::hours(1)).ok(),
            Some(vec![])
        );
        let next = store.next_due_at(source.id).ok().flatten().expect("due");
        assert!(next <= Utc::now());
        assert_eq!(store.next_due_at(source.id + 1).ok(), Some(None));
    }

    #[test]
    fn completes_once_only() {
        let (store, source, ids) = setup(1);
        let id = ids[0];
        let done = completion(MatchResult::PossibleMatch, 2);
        assert!(
            !store.complete_check(id, &done, "system").expect("ready"),
            "a ready check is not completed"
        );
        store.claim_due_checks(source.id, later(), 10).expect("claim");
        assert!(store.complete_check(id, &done, "system").expect("complete"));
        let c = store.check(id).ok().flatten().expect("check");
        assert_eq!(c.state, CheckState::Completed);
        assert_eq!(c.result, Some(MatchResult::PossibleMatch));
        assert_eq!(c.matched_programs, done.matched_programs);
        assert_eq!(c.transaction_id.as_deref(), Some("txn-1"));
        assert_eq!(c.correlation_id.as_deref(), Some("corr-1"));
        assert_eq!(c.explanation.as_deref(), Some(done.explanation.as_str()));
        assert!(c.finished_at.is_some());
        assert_eq!(c.next_attempt_at, None);
        assert_eq!(store.candidates(id).ok(), Some(done.candidates.clone()));
        let excerpt: serde_json::Value =
            serde_json::from_str(&store.reply_excerpt(id).ok().flatten().expect("excerpt")).expect("JSON");
        assert_eq!(
            excerpt,
            serde_json::json!({"signature": "sig", "header": {"status": "succ"}, "search_response": []})
        );

        let audit_before = store.audit_for_check(id).map(|a| a.len()).ok();
        let again = completion(MatchResult::ConfirmedMatch, 3);
        assert!(!store.complete_check(id, &again, "system").expect("twice"));
        assert_eq!(
            store.candidates(id).map(|c| c.len()).ok(),
            Some(2),
            "no candidate added"
        );
        assert_eq!(
            store.check(id).ok().flatten().and_then(|c| c.result),
            Some(MatchResult::PossibleMatch)
        );
        assert_eq!(store.audit_for_check(id).map(|a| a.len()).ok(), audit_before);
        assert!(
            !store.fail_check(id, "http", "late", None, "system").expect("fail"),
            "a completed check stays"
        );
    }

    #[test]
    fn completes_and_fails_batches() {
        let (store, source, ids) = setup(4);
        store.claim_due_checks(source.id, later(), 100).expect("claim");
        let done = vec![
            (ids[0], completion(MatchResult::NoMatch, 0)),
            (ids[1], completion(MatchResult::ConfirmedMatch, 1)),
            (ids[1], completion(MatchResult::NoMatch, 0)),
        ];
        assert_eq!(
            store.complete_checks(&done, "system").ok(),
            Some(vec![true, true, false])
        );
        let failed = vec![
            (
                ids[2],
                "rejected".to_string(),
                "the registry rejected the search".to_string(),
            ),
            (ids[0], "http".to_string(), "too late".to_string()),
        ];
        assert_eq!(
            store.fail_checks(&failed, Some("txn-9"), "system").ok(),
            Some(vec![true, false])
        );
        let c = store.check(ids[2]).ok().flatten().expect("check");
        assert_eq!(c.state, CheckState::Failed);
        assert_eq!(c.result, None);
        assert_eq!(c.error_kind.as_deref(), Some("rejected"));
        assert_eq!(c.transaction_id.as_deref(), Some("txn-9"));
        assert_eq!(state(&store, ids[3]), Some(CheckState::Checking));
    }

    #[test]
    fn requeue_keeps_the_last_error_for_display() {
        let (store, source, ids) = setup(2);
        store.claim_due_checks(source.id, later(), 100).expect("claim");
        let next = super::super::codec::now() + Duration::minutes(5);
        let n = store
            .requeue_checks(&ids, next, Some(("unreachable", "the registry did not answer")))
            .expect("requeue");
        assert_eq!(n, 2);
        let c = store.check(ids[0]).ok().flatten().expect("check");
        assert_eq!(c.state, CheckState::Ready);
        assert_eq!(c.next_attempt_at, Some(next));
        assert_eq!(c.error_kind.as_deref(), Some("unreachable"));
        assert_eq!(c.attempts, 1);
        assert!(
            store
                .claim_due_checks(source.id, later(), 100)
                .map(|v| v.is_empty())
                .unwrap_or(false)
        );
        assert_eq!(store.next_due_at(source.id).ok().flatten(), Some(next));
        assert_eq!(
            store.requeue_checks(&ids, next, None).ok(),
            Some(0),
            "only checking checks"
        );
        let after = store.claim_due_checks(source.id, next, 100).expect("claim again");
        assert_eq!(after.iter().map(|c| c.attempts).collect::<Vec<_>>(), [2, 2]);
        assert!(
            store
                .complete_check(ids[0], &completion(MatchResult::NoMatch, 0), "system")
                .unwrap_or(false)
        );
        assert_eq!(
            store.check(ids[0]).ok().flatten().and_then(|c| c.error_kind),
            None,
            "error cleared"
        );
    }

    #[test]
    fn queue_run_makes_backed_off_checks_due_now_with_an_audit_line() {
        let (store, source, ids) = setup(3);
        // Two checks back off for an hour (one search, then two); the third is still due.
        assert_eq!(
            store.claim_due_checks(source.id, later(), 3).map(|c| c.len()).ok(),
            Some(2)
        );
        let next = super::super::codec::now() + Duration::hours(1);
        store
            .requeue_checks(&ids[..2], next, Some(("unreachable", "the registry did not answer")))
            .expect("requeue");
        let now = super::super::codec::now();
        assert_eq!(store.sources_with_due_checks(now).ok(), Some(vec![source.id]));
        assert_eq!(store.queue_counts().map(|c| (c.ready, c.due_now)).ok(), Some((3, 1)));

        assert_eq!(store.make_queued_checks_due("officer").ok(), Some(2));
        let now = super::super::codec::now();
        let claimed = store.claim_due_checks(source.id, now, 100).expect("claim now");
        assert_eq!(claimed.len(), 3, "every ready check runs now, not in an hour");
        let audit = store.audit_for_check(ids[0]).expect("audit");
        let made_due = audit.iter().find(|a| a.action == "check_made_due").expect("audit line");
        assert_eq!(made_due.actor, "officer");
        assert!(made_due.details.contains("was_due_at"), "{made_due:?}");
        assert!(
            !store
                .audit_for_check(ids[2])
                .expect("audit")
                .iter()
                .any(|a| a.action == "check_made_due"),
            "a check already due is not changed"
        );
        assert_eq!(
            store.make_queued_checks_due("officer").ok(),
            Some(0),
            "none is ready now"
        );
    }

    #[test]
    fn queued_checks_lists_what_is_waiting_with_its_last_error() {
        let (store, source, ids) = setup(3);
        store.claim_due_checks(source.id, later(), 1).expect("claim");
        store
            .requeue_checks(&ids[..1], later(), Some(("unreachable", "the registry did not answer")))
            .expect("requeue");
        let queued = store.queued_checks(10).expect("queued");
        assert_eq!(queued.iter().map(|c| c.id).collect::<Vec<_>>(), ids);
        assert_eq!(queued[0].error_message.as_deref(), Some("the registry did not answer"));
        assert_eq!(queued[0].data_source_name, source.name);
        assert_eq!(store.queued_checks(2).map(|q| q.len()).ok(), Some(2));
    }

    #[test]
    fn retry_runs_a_failed_check_again() {
        let (store, source, ids) = setup(1);
        let id = ids[0];
        assert!(!store.retry_check(id, "officer").expect("ready"), "only a failed check");
        store.claim_due_checks(source.id, later(), 10).expect("claim");
        store
            .fail_check(id, "auth", "the token was refused", None, "system")
            .expect("fail");
        assert!(store.retry_check(id, "officer").expect("retry"));
        let c = store.check(id).ok().flatten().expect("check");
        assert_eq!(
            (c.state, c.attempts, c.error_kind, c.error_message),
            (CheckState::Ready, 0, None, None)
        );
        assert_eq!(c.finished_at, None);
        let actions: Vec<String> = store
            .audit_for_check(id)
            .expect("audit")
            .into_iter()
            .map(|a| a.action)
            .collect();
        assert_eq!(actions, ["check_requested", "check_failed", "check_retried"]);
    }

    #[test]
    fn recovers_checks_left_running() {
        let (store, source, ids) = setup(3);
        store.claim_due_checks(source.id, later(), 3).expect("claim");
        assert_eq!(store.recover_interrupted("system").ok(), Some(2));
        assert!(ids.iter().all(|&id| state(&store, id) == Some(CheckState::Ready)));
        assert_eq!(store.audit_for_check(ids[0]).map(|a| a.len()).ok(), Some(2));
        assert_eq!(store.recover_interrupted("system").ok(), Some(0));
    }

    #[test]
    fn the_checks_of_one_message_share_its_header() {
        let (store, source, ids) = setup(3);
        store.claim_due_checks(source.id, later(), 10).expect("claim");
        let mut other = completion(MatchResult::NoMatch, 0);
        other.reply_header = ReplyHeader::capped(Some("txn-2"), &serde_json::json!({"status": "succ"}), None);
        let done = vec![
            (ids[0], completion(MatchResult::NoMatch, 0)),
            (ids[1], completion(MatchResult::NoMatch, 0)),
            (ids[2], other),
        ];
        assert_eq!(store.complete_checks(&done, "system").expect("complete"), [true; 3]);
        let rows: i64 = store
            .read(|c| Ok(c.query_row("SELECT count(*) FROM reply_headers", [], |r| r.get(0))?))
            .expect("count");
        assert_eq!(rows, 2, "one header row per message");
        // A check that is not running writes nothing, not even a header.
        assert!(!store.complete_check(ids[0], &done[0].1, "system").expect("again"));
        let rows: i64 = store
            .read(|c| Ok(c.query_row("SELECT count(*) FROM reply_headers", [], |r| r.get(0))?))
            .expect("count");
        assert_eq!(rows, 2);
    }

    #[test]
    fn fails_the_queue_of_a_removed_source() {
        let (store, source, ids) = setup(3);
        store.claim_due_checks(source.id, later(), 1).expect("claim");
        assert_eq!(
            store.fail_queued_checks_of_source(source.id, "removed", "officer").ok(),
            Some(2)
        );
        assert_eq!(state(&store, ids[0]), Some(CheckState::Checking));
        assert_eq!(state(&store, ids[1]), Some(CheckState::Failed));
        store
            .delete_data_source(source.id, "officer", |_| Ok(()))
            .expect("delete");
        let c = store.check(ids[0]).ok().flatten().expect("kept");
        assert_eq!((c.data_source_id, c.data_source_name.as_str()), (None, "National IBR"));
        assert!(
            store
                .complete_check(ids[0], &completion(MatchResult::NoMatch, 0), "system")
                .unwrap_or(false)
        );
    }

    #[test]
    fn stores_other_identifier_types_and_demographic_queries() {
        let (store, _, ids) = setup(2);
        let c = store.check(ids[1]).ok().flatten().expect("check");
        assert!(matches!(c.queries[1].kind, QueryKind::Demographic { .. }));
        assert_eq!(c.identifier_type, IdType::Uin);
    }
}
