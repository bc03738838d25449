//! The history of checks: filtered, sorted by request time, paged.
//!
//! Built for a million checks on an office laptop. Every filter maps to an
//! index that is already in request-time order (`checks_by_*_date`), so a page
//! is read in order and stops at the page's end instead of sorting the whole
//! table. Name search compares `name_search` (normalised: no case, no accents)
//! and is answered from `checks_by_date`, which carries that column; an
//! identifier search is a prefix range (`>= p AND < p'`), which an index can
//! seek, unlike `LIKE`. A page first finds its row IDs from the indexes alone,
//! then reads only those rows, so a deep offset skips index entries, not rows.

use chrono::{DateTime, Utc};
use rusqlite::types::Value;
use rusqlite::{Connection, params_from_iter};

use super::checks::{CHECK_COLUMNS, check_from_row, queries_of};
use super::codec::{Ts, sql_int, unsigned};
use super::{Result, Store};
use crate::domain::{CheckFilter, DuplicationCheck, MatchResult, normalize_name};

impl Store {
    /// One page of the history: `limit` checks after skipping `offset`, by
    /// request time (newest first unless `filter.oldest_first`), ties by ID.
    pub fn history_page(&self, filter: &CheckFilter, offset: u64, limit: u32) -> Result<Vec<DuplicationCheck>> {
        let conditions = Conditions::of(filter);
        self.read(|c| page(c, &conditions, filter.oldest_first, limit, offset))
    }

    /// The page that follows the check at `after` = `(check_date, id)` in the
    /// history's order (the first page when `None`). Unlike an offset, the
    /// cost does not grow with the depth, and rows added meanwhile do not
    /// shift the pages: the way to scroll or export a long history.
    pub fn history_after(
        &self,
        filter: &CheckFilter,
        after: Option<(DateTime<Utc>, i64)>,
        limit: u32,
    ) -> Result<Vec<DuplicationCheck>> {
        let mut conditions = Conditions::of(filter);
        if let Some((date, id)) = after {
            let op = if filter.oldest_first { ">" } else { "<" };
            conditions.push(
                format!("(check_date, id) {op} (?, ?)"),
                [Ts::text(date).into(), id.into()],
            );
        }
        self.read(|c| page(c, &conditions, filter.oldest_first, limit, 0))
    }

    /// How many checks the filter selects.
    pub fn history_count(&self, filter: &CheckFilter) -> Result<u64> {
        let conditions = Conditions::of(filter);
        self.read(|c| {
            let sql = format!("SELECT count(*) FROM duplication_checks WHERE {}", conditions.sql());
            let mut stmt = c.prepare_cached(&sql)?;
            Ok(unsigned(
                stmt.query_row(params_from_iter(&conditions.params), |r| r.get(0))?,
            ))
        })
    }

    /// How many completed checks concluded each result, for every result
    /// (mildest first, zeros included).
    pub fn counts_by_result(&self) -> Result<Vec<(MatchResult, u64)>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT result, count(*) FROM duplication_checks WHERE result IS NOT NULL GROUP BY result",
            )?;
            let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
            let counted = rows.collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(MatchResult::ALL
                .iter()
                .map(|&m| {
                    let n = counted.iter().find(|(s, _)| s == m.as_str()).map_or(0, |(_, n)| *n);
                    (m, unsigned(n))
                })
                .collect())
        })
    }
}

/// Reads one page: row IDs from the indexes, then those rows and their searches.
fn page(
    c: &Connection,
    conditions: &Conditions,
    oldest_first: bool,
    limit: u32,
    offset: u64,
) -> Result<Vec<DuplicationCheck>> {
    let order = if oldest_first {
        "check_date, id"
    } else {
        "check_date DESC, id DESC"
    };
    let sql = format!(
        "SELECT {CHECK_COLUMNS} FROM duplication_checks WHERE id IN \
         (SELECT id FROM duplication_checks WHERE {} ORDER BY {order} LIMIT ? OFFSET ?) ORDER BY {order}",
        conditions.sql()
    );
    let mut params = conditions.params.clone();
    params.extend([Value::from(i64::from(limit)), Value::from(sql_int(offset))]);
    let mut stmt = c.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(&params), check_from_row)?;
    let mut checks = rows.collect::<rusqlite::Result<Vec<_>>>()?;
    for check in &mut checks {
        check.queries = queries_of(c, check.id)?;
    }
    Ok(checks)
}

/// A filter as an SQL condition with its parameters.
#[derive(Debug, Default)]
struct Conditions {
    clauses: Vec<String>,
    params: Vec<Value>,
}

impl Conditions {
    fn of(filter: &CheckFilter) -> Conditions {
        let mut c = Conditions::default();
        if let Some(r) = filter.result {
            c.push("result = ?".into(), [text(r.as_str())]);
        }
        if let Some(s) = filter.state {
            c.push("state = ?".into(), [text(s.as_str())]);
        }
        if let Some(id) = filter.data_source_id {
            c.push("data_source_id = ?".into(), [id.into()]);
        }
        if let Some(from) = filter.from {
            c.push("check_date >= ?".into(), [Ts::text(from).into()]);
        }
        if let Some(to) = filter.to {
            c.push("check_date < ?".into(), [Ts::text(to).into()]);
        }
        match filter.text.as_deref().map(TextSearch::of) {
            Some(TextSearch::Identifier(prefix)) => c.push_identifier_prefix(&prefix),
            Some(TextSearch::Name(words)) => {
                for w in words {
                    c.push("instr(name_search, ?) > 0".into(), [text(w)]);
                }
            }
            Some(TextSearch::Nothing) | None => {}
        }
        c
    }

    fn push<const N: usize>(&mut self, clause: String, params: [Value; N]) {
        self.clauses.push(clause);
        self.params.extend(params);
    }

    /// The check's own identifier, or any identifier of its registrant,
    /// starts with `prefix`.
    fn push_identifier_prefix(&mut self, prefix: &str) {
        match prefix_end(prefix) {
            Some(end) => self.push(
                "(identifier_value >= ? AND identifier_value < ? OR registrant_id IN \
                 (SELECT registrant_id FROM registrant_identifiers WHERE value >= ? AND value < ?))"
                    .into(),
                [text(prefix), text(end.clone()), text(prefix), text(end)],
            ),
            None => self.push(
                "(identifier_value >= ? OR registrant_id IN \
                 (SELECT registrant_id FROM registrant_identifiers WHERE value >= ?))"
                    .into(),
                [text(prefix), text(prefix)],
            ),
        }
    }

    fn sql(&self) -> String {
        if self.clauses.is_empty() {
            "1".to_string()
        } else {
            self.clauses.join(" AND ")
        }
    }
}

fn text(s: impl Into<String>) -> Value {
    Value::Text(s.into())
}

/// What the free-text box of the history asks for.
#[derive(Debug, PartialEq, Eq)]
enum TextSearch {
    /// No spaces and a digit: the start of an identifier value, compared exactly.
    Identifier(String),
    /// Otherwise: every word must appear in the normalised name.
    Name(Vec<String>),
    Nothing,
}

impl TextSearch {
    fn of(text: &str) -> TextSearch {
        let text = text.trim();
        if text.is_empty() {
            return TextSearch::Nothing;
        }
        if !text.contains(char::is_whitespace) && text.chars().any(|c| c.is_ascii_digit()) {
            return TextSearch::Identifier(text.to_string());
        }
        let words: Vec<String> = normalize_name(text)
            .split(' ')
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect();
        if words.is_empty() {
            TextSearch::Nothing
        } else {
            TextSearch::Name(words)
        }
    }
}

/// The smallest string greater than every string that starts with `prefix`
/// (UTF-8 byte order is code point order), `None` if there is none.
fn prefix_end(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        if let Some(next) = next_char(last) {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

fn next_char(c: char) -> Option<char> {
    let n = u32::from(c) + 1;
    char::from_u32(if (0xD800..=0xDFFF).contains(&n) { 0xE000 } else { n })
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::super::testutil::{self, new_check};
    use super::*;
    use crate::domain::{CheckCompletion, CheckState, DataSource, IdType, Identifier, NewRegistrant};

    #[test]
    fn reads_the_text_box() {
        assert_eq!(TextSearch::of(" 1234 "), TextSearch::Identifier("1234".into()));
        assert_eq!(TextSearch::of("BRN-77"), TextSearch::Identifier("BRN-77".into()));
        assert_eq!(
            TextSearch::of("José  PEÑA"),
            TextSearch::Name(vec!["jose".into(), "pena".into()])
        );
        assert_eq!(TextSearch::of("Diallo"), TextSearch::Name(vec!["diallo".into()]));
        assert_eq!(TextSearch::of("  "), TextSearch::Nothing);
        assert_eq!(TextSearch::of("-"), TextSearch::Nothing);
    }

    #[test]
    fn prefix_ranges() {
        assert_eq!(prefix_end("12").as_deref(), Some("13"));
        assert_eq!(prefix_end("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(prefix_end("\u{D7FF}").as_deref(), Some("\u{E000}"));
        assert_eq!(prefix_end("\u{10FFFF}"), None);
    }

    /// Six checks over two sources with different names, results and states.
    fn history() -> (Store, DataSource, DataSource, Vec<i64>) {
        let store = testutil::store();
        let a = testutil::source(&store, "National IBR");
        let b = testutil::source(&store, "Regional IBR");
        let people = [
            ("José", "Peña", "1001"),
            ("Amina", "Diallo", "1002"),
            ("Ọlá", "Adébáyọ̀", "2001"),
            ("jose", "pena", "2002"),
            ("Nguyễn Thị", "Lan", "3001"),
            ("Amina", "Diallo", "3002"),
        ];
        let mut ids = Vec::new();
        for (i, (given, surname, uin)) in people.into_iter().enumerate() {
            let r = store
                .insert_registrant(&NewRegistrant {
                    given_name: Some(given.into()),
                    surname: Some(surname.into()),
                    birth_date: None,
                    sex: None,
                    identifiers: vec![
                        Identifier::new(IdType::Uin, uin),
                        Identifier::new(IdType::Brn, format!("B{uin}")),
                    ],
                })
                .expect("registrant");
            let source = if i % 2 == 0 { &a } else { &b };
            ids.push(
                store
                    .insert_check(&new_check(&r, source, false), "officer")
                    .expect("check")
                    .id,
            );
        }
        // Spread the request times one day apart, oldest first.
        store
            .write(|tx| {
                for (day, id) in (0_i64..).zip(&ids) {
                    let date = Utc::now() - Duration::days(10 - day);
                    tx.execute(
                        "UPDATE duplication_checks SET check_date = ?2 WHERE id = ?1",
                        rusqlite::params![id, Ts(date)],
                    )?;
                }
                Ok(())
            })
            .expect("dates");
        // Complete the first three (no, possible, confirmed), fail the fourth.
        store.claim_due_checks(a.id, Utc::now(), 100).expect("claim a");
        store.claim_due_checks(b.id, Utc::now(), 100).expect("claim b");
        for (id, result) in ids.iter().zip(MatchResult::ALL) {
            let done = CheckCompletion {
                result,
                matched_programs: vec![],
                explanation: String::new(),
                signature_note: String::new(),
                transaction_id: "t".into(),
                correlation_id: None,
                candidates: vec![],
                reply_excerpt: "{}".into(),
            };
            assert!(store.complete_check(*id, &done, "system").unwrap_or(false));
        }
        store.fail_check(ids[3], "http", "503", None, "system").expect("fail");
        store.recover_interrupted("system").expect("recover");
        (store, a, b, ids)
    }

    fn ids_of(store: &Store, filter: &CheckFilter) -> Vec<i64> {
        let page: Vec<i64> = store
            .history_page(filter, 0, 100)
            .expect("page")
            .iter()
            .map(|c| c.id)
            .collect();
        assert_eq!(
            store.history_count(filter).ok(),
            Some(page.len() as u64),
            "count agrees with the page"
        );
        page
    }

    #[test]
    fn filters() {
        let (store, a, b, ids) = history();
        let all = CheckFilter::default();
        assert_eq!(
            ids_of(&store, &all),
            ids.iter().rev().copied().collect::<Vec<_>>(),
            "newest first"
        );
        let oldest = CheckFilter {
            oldest_first: true,
            ..all.clone()
        };
        assert_eq!(ids_of(&store, &oldest), ids);

        let f = |g: fn(&mut CheckFilter)| {
            let mut filter = CheckFilter {
                oldest_first: true,
                ..CheckFilter::default()
            };
            g(&mut filter);
            filter
        };
        assert_eq!(
            ids_of(&store, &f(|f| f.result = Some(MatchResult::PossibleMatch))),
            [ids[1]]
        );
        assert_eq!(ids_of(&store, &f(|f| f.state = Some(CheckState::Failed))), [ids[3]]);
        assert_eq!(
            ids_of(&store, &f(|f| f.state = Some(CheckState::Ready))),
            [ids[4], ids[5]]
        );
        assert_eq!(
            ids_of(
                &store,
                &CheckFilter {
                    data_source_id: Some(a.id),
                    oldest_first: true,
                    ..all.clone()
                }
            ),
            [ids[0], ids[2], ids[4]]
        );
        assert_eq!(
            ids_of(
                &store,
                &CheckFilter {
                    data_source_id: Some(b.id),
                    ..all.clone()
                }
            ),
            [ids[5], ids[3], ids[1]]
        );
        let from = Utc::now() - Duration::days(8) - Duration::hours(1);
        let to = Utc::now() - Duration::days(6) - Duration::hours(1);
        let range = CheckFilter {
            from: Some(from),
            to: Some(to),
            oldest_first: true,
            ..all.clone()
        };
        assert_eq!(ids_of(&store, &range), [ids[2], ids[3]]);

        let text = |t: &str| CheckFilter {
            text: Some(t.into()),
            oldest_first: true,
            ..CheckFilter::default()
        };
        assert_eq!(
            ids_of(&store, &text("JOSE pena")),
            [ids[0], ids[3]],
            "case and accents ignored"
        );
        assert_eq!(ids_of(&store, &text("peña")), [ids[0], ids[3]]);
        assert_eq!(ids_of(&store, &text("adebayo")), [ids[2]]);
        assert_eq!(ids_of(&store, &text("ola adebayo")), [ids[2]]);
        assert_eq!(ids_of(&store, &text("nguyen lan")), [ids[4]], "every word, anywhere");
        assert_eq!(ids_of(&store, &text("mina")), [ids[1], ids[5]], "part of a name");
        assert_eq!(ids_of(&store, &text("100")), [ids[0], ids[1]], "identifier prefix");
        assert_eq!(ids_of(&store, &text("3002")), [ids[5]]);
        assert_eq!(
            ids_of(&store, &text("B200")),
            [ids[2], ids[3]],
            "the registrant's other identifiers"
        );
        assert!(ids_of(&store, &text("4")).is_empty());

        let combined = CheckFilter {
            text: Some("amina".into()),
            data_source_id: Some(b.id),
            ..all
        };
        assert_eq!(ids_of(&store, &combined), [ids[5], ids[1]]);
    }

    #[test]
    fn offset_and_keyset_pages_agree() {
        let (store, _, _, _) = history();
        for oldest_first in [false, true] {
            let filter = CheckFilter {
                oldest_first,
                ..CheckFilter::default()
            };
            let by_offset: Vec<Vec<i64>> = (0..3)
                .map(|p| {
                    store
                        .history_page(&filter, p * 2, 2)
                        .expect("page")
                        .iter()
                        .map(|c| c.id)
                        .collect()
                })
                .collect();
            let mut by_keyset = Vec::new();
            let mut after = None;
            loop {
                let page = store.history_after(&filter, after, 2).expect("after");
                let Some(last) = page.last() else { break };
                after = Some((last.check_date, last.id));
                by_keyset.push(page.iter().map(|c| c.id).collect::<Vec<_>>());
            }
            assert_eq!(by_offset, by_keyset);
            assert!(store.history_page(&filter, 6, 2).map(|p| p.is_empty()).unwrap_or(false));
        }
    }

    #[test]
    fn pages_carry_the_searches() {
        let (store, _, _, ids) = history();
        let page = store.history_page(&CheckFilter::default(), 0, 1).expect("page");
        assert_eq!(page[0].id, ids[5]);
        assert_eq!(page[0].queries.len(), 1);
    }

    #[test]
    fn counts_results() {
        let (store, _, _, _) = history();
        assert_eq!(
            store.counts_by_result().ok(),
            Some(vec![
                (MatchResult::NoMatch, 1),
                (MatchResult::PossibleMatch, 1),
                (MatchResult::ConfirmedMatch, 1)
            ])
        );
    }

    #[test]
    fn ties_in_request_time_are_ordered_by_id() {
        let store = testutil::store();
        let source = testutil::source(&store, "National IBR");
        let r = testutil::registrant(&store, "Amina", "Diallo", "1");
        let batch = vec![new_check(&r, &source, false); 5];
        let ids = store.insert_checks(&batch, "officer").expect("batch");
        let page: Vec<i64> = store
            .history_page(&CheckFilter::default(), 1, 3)
            .expect("page")
            .iter()
            .map(|c| c.id)
            .collect();
        assert_eq!(page, [ids[3], ids[2], ids[1]]);
        let first = store.history_after(&CheckFilter::default(), None, 2).expect("first");
        let last = first.last().map(|c| (c.check_date, c.id));
        let next: Vec<i64> = store
            .history_after(&CheckFilter::default(), last, 2)
            .expect("next")
            .iter()
            .map(|c| c.id)
            .collect();
        assert_eq!(next, [ids[2], ids[1]]);
    }
}
