//! The supervisor's review queue: possible matches (and, for overrides,
//! confirmed matches sent to review), oldest first, and the decisions.
//!
//! Nothing is overwritten: `duplication_checks.result` keeps what the rules
//! concluded, each decision is a new row of the append-only `reviews` table,
//! and the check's `final_result` / `review_status` only summarise the latest
//! decision for fast lists. Every decision is in the audit log too.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Row, params, params_from_iter};
use serde_json::json;

use super::checks::{CHECK_COLUMNS, check_from_row, queries_of};
use super::codec::{Ts, unsigned};
use super::{Result, Store, StoreError};
use crate::domain::{
    AuditAction, CheckFilter, CheckState, DuplicationCheck, MatchResult, NewReview, Review, ReviewDecision,
    ReviewStatus,
};

/// The counts shown above the queue.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ReviewCounts {
    /// Waiting for a first decision.
    pub to_review: u64,
    /// Sent back for more information (still in the queue).
    pub needs_information: u64,
    /// Decisions taken since `since` (the start of today, for the window).
    pub reviewed_today: u64,
    /// Checks whose latest decision is each decision.
    pub by_decision: Vec<(ReviewDecision, u64)>,
}

/// A bulk change of the review queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum BulkReview {
    /// Put completed possible and confirmed matches that are not in the queue into it.
    SendToReview,
    /// Record "needs more information" for checks waiting in the queue.
    MarkNeedsInformation,
}

const QUEUE_ORDER: &str = "ORDER BY finished_at, id";

impl Store {
    /// The queue, oldest first: checks waiting for a decision
    /// (`to_review`, then also `needs_information`).
    pub fn review_queue(&self, offset: u64, limit: u32) -> Result<Vec<DuplicationCheck>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {CHECK_COLUMNS} FROM duplication_checks \
                 WHERE review_status IN ('to_review', 'needs_information') {QUEUE_ORDER} LIMIT ?1 OFFSET ?2"
            ))?;
            let mut checks = stmt
                .query_map(params![limit, offset as i64], check_from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            for ch in &mut checks {
                ch.queries = queries_of(c, ch.id)?;
            }
            Ok(checks)
        })
    }

    /// The counts above the queue; "today" starts at `since`.
    pub fn review_counts(&self, since: DateTime<Utc>) -> Result<ReviewCounts> {
        self.read(|c| {
            let count = |status: &str| -> rusqlite::Result<i64> {
                c.prepare_cached("SELECT count(*) FROM duplication_checks WHERE review_status = ?1")?
                    .query_row([status], |r| r.get(0))
            };
            let today: i64 = c
                .prepare_cached("SELECT count(*) FROM reviews WHERE decided_at >= ?1")?
                .query_row([Ts::text(since)], |r| r.get(0))?;
            let mut by = Vec::new();
            let mut stmt = c.prepare_cached(
                "SELECT r.decision, count(*) FROM reviews r \
                 WHERE r.id = (SELECT max(id) FROM reviews WHERE check_id = r.check_id) GROUP BY r.decision",
            )?;
            let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
            let counted = rows.collect::<rusqlite::Result<Vec<_>>>()?;
            for d in ReviewDecision::ALL {
                let n = counted.iter().find(|(s, _)| s == d.as_str()).map_or(0, |(_, n)| *n);
                by.push((*d, unsigned(n)));
            }
            Ok(ReviewCounts {
                to_review: unsigned(count("to_review")?),
                needs_information: unsigned(count("needs_information")?),
                reviewed_today: unsigned(today),
                by_decision: by,
            })
        })
    }

    /// Records a decision: a `reviews` row, the check's summary columns, and
    /// an audit entry, in one transaction. Only completed possible or
    /// confirmed matches can be decided.
    pub fn decide_review(&self, review: &NewReview, reviewer: &str, now: DateTime<Utc>) -> Result<Review> {
        review.validate().map_err(StoreError::Invalid)?;
        if reviewer.trim().is_empty() {
            return Err(StoreError::Invalid("the reviewer's name is missing".into()));
        }
        self.write(|tx| {
            let found: Option<(CheckState, Option<MatchResult>, Option<MatchResult>)> = tx
                .prepare_cached("SELECT state, result, final_result FROM duplication_checks WHERE id = ?1")?
                .query_row([review.check_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()?;
            let Some((state, result, final_result)) = found else {
                return Err(StoreError::NotFound {
                    what: "check",
                    id: review.check_id,
                });
            };
            let before = final_result.or(result);
            if state != CheckState::Completed
                || !matches!(result, Some(MatchResult::PossibleMatch | MatchResult::ConfirmedMatch))
            {
                return Err(StoreError::Invalid(
                    "only a completed possible or confirmed match can be reviewed".into(),
                ));
            }
            let after = review.decision.result_after().or(before);
            let status = match review.decision {
                ReviewDecision::NeedsMoreInformation => ReviewStatus::NeedsInformation,
                _ => ReviewStatus::Decided,
            };
            tx.prepare_cached(
                "INSERT INTO reviews (check_id, decision, reason, note, reviewer, decided_at, result_before, result_after) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                review.check_id,
                review.decision.as_str(),
                review.reason.as_str(),
                review.note.trim(),
                reviewer,
                Ts(now),
                before.map(|r| r.as_str()),
                after.map(|r| r.as_str()),
            ])?;
            let id = tx.last_insert_rowid();
            let final_result = match review.decision {
                ReviewDecision::NeedsMoreInformation => None,
                _ => after,
            };
            tx.prepare_cached(
                "UPDATE duplication_checks SET review_status = ?2, \
                 final_result = CASE WHEN ?3 IS NULL THEN final_result ELSE ?3 END WHERE id = ?1",
            )?
            .execute(params![review.check_id, status.as_str(), final_result.map(|r| r.as_str())])?;
            super::audit::append(
                tx,
                now,
                reviewer,
                AuditAction::ReviewDecided,
                Some(review.check_id),
                &json!({
                    "decision": review.decision.as_str(),
                    "reason": review.reason.as_str(),
                    "note": review.note.trim(),
                    "result_before": before.map(|r| r.as_str()),
                    "result_after": after.map(|r| r.as_str()),
                })
                .to_string(),
            )?;
            Ok(Review {
                id,
                check_id: review.check_id,
                decision: review.decision,
                reason: review.reason,
                note: review.note.trim().to_string(),
                reviewer: reviewer.to_string(),
                decided_at: Ts(now).0,
                result_before: before,
                result_after: after,
            })
        })
    }

    /// Every decision taken on a check, oldest first.
    pub fn reviews_of(&self, check_id: i64) -> Result<Vec<Review>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, check_id, decision, reason, note, reviewer, decided_at, result_before, result_after \
                 FROM reviews WHERE check_id = ?1 ORDER BY id",
            )?;
            let rows = stmt.query_map([check_id], review_from_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// How many checks a bulk change would touch (for its confirmation).
    pub fn bulk_review_count(&self, filter: &CheckFilter, action: BulkReview) -> Result<u64> {
        let (sql, args) = bulk_selection(filter, action);
        self.read(|c| {
            let n: i64 = c
                .prepare(&format!("SELECT count(*) FROM duplication_checks WHERE {sql}"))?
                .query_row(params_from_iter(args.iter()), |r| r.get(0))?;
            Ok(unsigned(n))
        })
    }

    /// Applies a bulk change to the checks the filter selects; returns how many changed.
    pub fn bulk_review(
        &self,
        filter: &CheckFilter,
        action: BulkReview,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let (sql, args) = bulk_selection(filter, action);
        self.write(|tx| {
            let ids: Vec<i64> = tx
                .prepare(&format!("SELECT id FROM duplication_checks WHERE {sql}"))?
                .query_map(params_from_iter(args.iter()), |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            for id in &ids {
                match action {
                    BulkReview::SendToReview => {
                        tx.prepare_cached("UPDATE duplication_checks SET review_status = 'to_review' WHERE id = ?1")?
                            .execute([id])?;
                    }
                    BulkReview::MarkNeedsInformation => {
                        let before: Option<String> = tx
                            .prepare_cached(
                                "SELECT coalesce(final_result, result) FROM duplication_checks WHERE id = ?1",
                            )?
                            .query_row([id], |r| r.get(0))?;
                        tx.prepare_cached(
                            "INSERT INTO reviews (check_id, decision, reason, note, reviewer, decided_at, result_before, \
                             result_after) VALUES (?1, 'needs_more_information', 'insufficient_data', \
                             'marked in bulk', ?2, ?3, ?4, ?4)",
                        )?
                        .execute(params![id, actor, Ts(now), before])?;
                        tx.prepare_cached(
                            "UPDATE duplication_checks SET review_status = 'needs_information' WHERE id = ?1",
                        )?
                        .execute([id])?;
                    }
                }
            }
            super::audit::append(
                tx,
                now,
                actor,
                match action {
                    BulkReview::SendToReview => AuditAction::BulkSentToReview,
                    BulkReview::MarkNeedsInformation => AuditAction::BulkMarkedNeedsInformation,
                },
                None,
                &json!({ "checks": ids.len(), "first": ids.first(), "last": ids.last() }).to_string(),
            )?;
            Ok(ids.len() as u64)
        })
    }
}

/// The WHERE clause of a bulk change: the filter's own conditions (minus
/// name search, which bulk changes do not take) and the action's.
fn bulk_selection(filter: &CheckFilter, action: BulkReview) -> (String, Vec<rusqlite::types::Value>) {
    use rusqlite::types::Value;
    let mut parts: Vec<String> = vec!["state = 'completed'".into()];
    let mut args: Vec<Value> = Vec::new();
    match action {
        BulkReview::SendToReview => {
            parts.push("result IN ('possible_match', 'confirmed_match')".into());
            parts.push("(review_status IS NULL OR review_status = 'decided')".into());
        }
        BulkReview::MarkNeedsInformation => parts.push("review_status = 'to_review'".into()),
    }
    if let Some(r) = filter.result {
        parts.push("result = ?".into());
        args.push(Value::Text(r.as_str().into()));
    }
    if let Some(id) = filter.data_source_id {
        parts.push("data_source_id = ?".into());
        args.push(Value::Integer(id));
    }
    if let Some(id) = filter.roster_id {
        parts.push("roster_id = ?".into());
        args.push(Value::Integer(id));
    }
    if let Some(from) = filter.from {
        parts.push("check_date >= ?".into());
        args.push(Value::Text(Ts::text(from)));
    }
    if let Some(to) = filter.to {
        parts.push("check_date < ?".into());
        args.push(Value::Text(Ts::text(to)));
    }
    (parts.join(" AND "), args)
}

fn review_from_row(row: &Row<'_>) -> rusqlite::Result<Review> {
    Ok(Review {
        id: row.get(0)?,
        check_id: row.get(1)?,
        decision: row.get("decision")?,
        reason: row.get("reason")?,
        note: row.get(4)?,
        reviewer: row.get(5)?,
        decided_at: row.get::<_, Ts>(6)?.0,
        result_before: row.get("result_before")?,
        result_after: row.get("result_after")?,
    })
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{self, new_check};
    use super::*;
    use crate::domain::{CheckCompletion, MatchResult, ReviewReason};

    fn completed(store: &Store, uin: &str, result: MatchResult) -> i64 {
        let source = store
            .data_sources()
            .unwrap()
            .into_iter()
            .next()
            .unwrap_or_else(|| testutil::source(store, "IBR"));
        let r = testutil::registrant(store, "Amina", "Diallo", uin);
        let c = store.insert_check(&new_check(&r, &source, false), "officer").unwrap();
        store
            .claim_due_checks(source.id, Utc::now() + chrono::Duration::seconds(1), 10)
            .unwrap();
        let done = CheckCompletion {
            result,
            matched_programs: vec!["P1 — Programme".into()],
            explanation: "Possible match: …".into(),
            signature_note: "verified".into(),
            transaction_id: "txn-1".into(),
            correlation_id: None,
            candidates: Vec::new(),
            reply_excerpt: "{}".into(),
            reply_header: Default::default(),
        };
        assert!(store.complete_check(c.id, &done, "system").unwrap());
        c.id
    }

    fn review(check_id: i64, decision: ReviewDecision) -> NewReview {
        NewReview {
            check_id,
            decision,
            reason: ReviewReason::DifferentPersonSameId,
            note: "birth certificate differs".into(),
        }
    }

    #[test]
    fn possible_matches_enter_the_queue_and_decisions_keep_the_original() {
        let store = testutil::store();
        let possible = completed(&store, "111", MatchResult::PossibleMatch);
        let none = completed(&store, "222", MatchResult::NoMatch);
        let queue = store.review_queue(0, 10).unwrap();
        assert_eq!(queue.iter().map(|c| c.id).collect::<Vec<_>>(), vec![possible]);
        assert_eq!(queue[0].review_status, Some(ReviewStatus::ToReview));

        let r = store
            .decide_review(
                &review(possible, ReviewDecision::NotDuplicate),
                "Supervisor Sam",
                Utc::now(),
            )
            .unwrap();
        assert_eq!(r.result_before, Some(MatchResult::PossibleMatch));
        assert_eq!(r.result_after, Some(MatchResult::NoMatch));
        let c = store.check(possible).unwrap().unwrap();
        assert_eq!(c.result, Some(MatchResult::PossibleMatch), "the rules' result is kept");
        assert_eq!(c.final_result, Some(MatchResult::NoMatch));
        assert_eq!(c.effective_result(), Some(MatchResult::NoMatch));
        assert_eq!(c.review_status, Some(ReviewStatus::Decided));
        assert!(store.review_queue(0, 10).unwrap().is_empty());
        let audit = store.audit_for_check(possible).unwrap();
        let entry = audit.iter().find(|a| a.action == "review_decided").unwrap();
        assert_eq!(entry.actor, "Supervisor Sam");
        assert!(entry.details.contains("not_duplicate"));
        assert!(
            store
                .decide_review(&review(none, ReviewDecision::Duplicate), "Sam", Utc::now())
                .is_err(),
            "a no match is not reviewed"
        );
    }

    #[test]
    fn reviewed_today_counts_from_the_local_midnight_a_dst_change_skipped() {
        // Santiago, 8 September 2024: the clocks went from 00:00 to 01:00. A
        // decision at 01:30 there (04:30 UTC) was taken today, seen at 15:00;
        // one at 23:30 the day before was not.
        let store = testutil::store();
        let at = |t: &str| DateTime::parse_from_rfc3339(t).unwrap().with_timezone(&Utc);
        let today = completed(&store, "444", MatchResult::PossibleMatch);
        let yesterday = completed(&store, "555", MatchResult::PossibleMatch);
        store
            .decide_review(
                &review(today, ReviewDecision::Duplicate),
                "Sam",
                at("2024-09-08T04:30:00Z"),
            )
            .unwrap();
        store
            .decide_review(
                &review(yesterday, ReviewDecision::Duplicate),
                "Sam",
                at("2024-09-08T03:30:00Z"),
            )
            .unwrap();
        let since = crate::clock::start_of_today_in(&chrono_tz::America::Santiago, at("2024-09-08T18:00:00Z"));
        assert_eq!(store.review_counts(since).unwrap().reviewed_today, 1);
    }

    #[test]
    fn needs_information_stays_and_reviews_are_append_only() {
        let store = testutil::store();
        let id = completed(&store, "333", MatchResult::PossibleMatch);
        store
            .decide_review(&review(id, ReviewDecision::NeedsMoreInformation), "Sam", Utc::now())
            .unwrap();
        let c = store.check(id).unwrap().unwrap();
        assert_eq!(c.review_status, Some(ReviewStatus::NeedsInformation));
        assert_eq!(c.final_result, None);
        assert_eq!(store.review_queue(0, 10).unwrap().len(), 1);
        store
            .decide_review(&review(id, ReviewDecision::Duplicate), "Sam", Utc::now())
            .unwrap();
        let all = store.reviews_of(id).unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[1].result_after, Some(MatchResult::ConfirmedMatch));
        let counts = store.review_counts(Utc::now() - chrono::Duration::hours(1)).unwrap();
        assert_eq!(counts.reviewed_today, 2);
        assert!(counts.by_decision.contains(&(ReviewDecision::Duplicate, 1)));
        assert!(
            counts.by_decision.contains(&(ReviewDecision::NeedsMoreInformation, 0)),
            "latest decision only"
        );
        let tampered = store.write(|tx| Ok(tx.execute("UPDATE reviews SET note = 'x'", [])?));
        assert!(tampered.is_err());
        let deleted = store.write(|tx| Ok(tx.execute("DELETE FROM reviews", [])?));
        assert!(deleted.is_err());
    }

    #[test]
    fn bulk_changes_count_first_and_touch_what_they_said() {
        let store = testutil::store();
        let a = completed(&store, "444", MatchResult::PossibleMatch);
        let b = completed(&store, "555", MatchResult::ConfirmedMatch);
        completed(&store, "666", MatchResult::NoMatch);
        let all = CheckFilter::default();
        assert_eq!(
            store.bulk_review_count(&all, BulkReview::SendToReview).unwrap(),
            1,
            "only the confirmed one is outside the queue"
        );
        assert_eq!(
            store
                .bulk_review(&all, BulkReview::SendToReview, "Sam", Utc::now())
                .unwrap(),
            1
        );
        assert_eq!(
            store.check(b).unwrap().unwrap().review_status,
            Some(ReviewStatus::ToReview)
        );
        assert_eq!(
            store.bulk_review_count(&all, BulkReview::MarkNeedsInformation).unwrap(),
            2
        );
        assert_eq!(
            store
                .bulk_review(&all, BulkReview::MarkNeedsInformation, "Sam", Utc::now())
                .unwrap(),
            2
        );
        assert_eq!(
            store.check(a).unwrap().unwrap().review_status,
            Some(ReviewStatus::NeedsInformation)
        );
        assert_eq!(store.reviews_of(a).unwrap()[0].note, "marked in bulk");
    }

    #[test]
    fn a_refused_decision_writes_neither_review_nor_audit_line() {
        let store = testutil::store();
        let none = completed(&store, "777", MatchResult::NoMatch);
        let lines_before = store.audit_page(0, 1000).unwrap().len();
        for (check_id, reviewer) in [(none, "Sam"), (none + 100, "Sam"), (none, " ")] {
            assert!(
                store
                    .decide_review(&review(check_id, ReviewDecision::Duplicate), reviewer, Utc::now())
                    .is_err()
            );
        }
        assert!(store.reviews_of(none).unwrap().is_empty());
        assert_eq!(store.audit_page(0, 1000).unwrap().len(), lines_before);
    }

    #[test]
    fn a_bulk_change_and_its_one_audit_line_are_written_together() {
        let store = testutil::store();
        let a = completed(&store, "888", MatchResult::ConfirmedMatch);
        let b = completed(&store, "999", MatchResult::ConfirmedMatch);
        let lines_before = store.audit_page(0, 1000).unwrap().len();
        let n = store
            .bulk_review(&CheckFilter::default(), BulkReview::SendToReview, "Sam", Utc::now())
            .unwrap();
        assert_eq!(n, 2);
        let page = store.audit_page(0, 1000).unwrap();
        assert_eq!(page.len(), lines_before + 1, "one line for the whole change");
        assert_eq!(page[0].known_action(), Some(AuditAction::BulkSentToReview));
        assert_eq!(page[0].actor, "Sam");
        let details: serde_json::Value = serde_json::from_str(&page[0].details).unwrap();
        assert_eq!(details, json!({ "checks": 2, "first": a, "last": b }));
    }
}
