//! The history of checks: filtered, sorted by request time, paged.
//!
//! Built for a million checks on an office laptop. Every filter maps to an
//! index that is already in request-time order (`checks_by_*_date`), so a page
//! is read in order and stops at the page's end instead of sorting the whole
//! table. An identifier search is a prefix range (`>= p AND < p'`), which an
//! index can seek, unlike `LIKE`. A page first finds its row IDs from the
//! indexes alone, then reads only those rows, so a deep offset skips index
//! entries, not rows.
//!
//! # Name search
//!
//! Text that is not an identifier is a name search: it is normalised like
//! `name_search` (no case, no accents, single spaces, see
//! [`normalize_name`]) and split into words, and a check matches when **every
//! typed word is the start (a prefix) of some word of its name**, in any
//! order: "ami dia", "diallo amina" and "AMINA" all find "Amina Diallo";
//! "mina" does not (it starts no word).
//!
//! Two plans answer it, chosen per query, because neither is fast for every
//! name:
//! - **From the word index** (`check_name_words`, one row per distinct word
//!   of each check, kept in step by every insert of a check): the checks
//!   having the rarest typed word are read from its prefix range
//!   (`word >= w AND word < w'`) and narrowed to those having every other
//!   word, by a probe of the index per check or, when the words are about as
//!   common as each other, by intersecting their sorted ranges. Only then are
//!   the rows read, for the other filters and the request time, and only they
//!   are sorted. The cost grows with the candidates of the rarest word, not
//!   with the history: a rare name, or one nobody has, is answered at once.
//! - **In history order** (`checks_by_date`, which carries `name_search`, or
//!   another filter's index): read from the newest (or oldest) end, keeping
//!   the checks whose name has every word (`" " || name_search` contains
//!   `" " || word`), until the page is full. The cost grows with how far the
//!   page's last hit is: small when hits are dense, that is, for common names,
//!   whose every hit would be slow to sort.
//!
//! Before a name query, each typed word's candidates are counted in the word
//! index, stopping past the threshold ([`WORD_PLAN_MAX`]; for a count of a
//! name alone, which reads no row, [`COUNT_WORD_PLAN_MAX`]). If the rarest
//! word stays under it, the word index drives the query, otherwise the history
//! order does. The join order is forced (a `MATERIALIZED` CTE, then
//! `CROSS JOIN`) so that SQLite's planner cannot turn a rare name back into a
//! scan of the history.
//!
//! Known weak spot: words that are each common but seldom together (two given
//! names, "amina jose") have sparse hits, so a page of them reads the whole
//! history in order (about 70 ms per million checks), as before the word index.

use chrono::{DateTime, Utc};
use rusqlite::types::Value;
use rusqlite::{Connection, params_from_iter};

use super::checks::{CHECK_COLUMNS, check_from_row, queries_of};
use super::codec::{Ts, sql_int, unsigned};
use super::{Result, Store};
use crate::domain::{CheckFilter, DuplicationCheck, MatchResult, normalize_name};

/// The most candidates (word index rows) a page's rarest typed word may have
/// for the page to be driven from the word index (see the module's docs).
/// Measured on a million checks (release, 2 cores): each candidate costs a
/// look-up of its row (for the request time and the other filters), about
/// 1 µs when its page is cached and 2.5 µs when not, so 5,000 candidates take
/// 4–12 ms. A word on more checks than that is on one check in 200 or more
/// (of a million), so a page in history order ends after about 10,000 checks
/// (under 1 ms) unless the other filters are rare too.
const WORD_PLAN_MAX: u64 = 5_000;

/// The threshold for a count of a name search alone: it needs no row, only
/// the word index (about 0.15 µs per candidate), while counting in history
/// order reads a whole index (40–60 ms per million checks). A count with other
/// filters too uses [`WORD_PLAN_MAX`].
const COUNT_WORD_PLAN_MAX: u64 = 200_000;

/// How much more a probe of a check's words costs than sorting a candidate
/// for an intersection (measured: about 0.4 µs and 0.1 µs).
const MERGE_RATIO: u64 = 4;

impl Store {
    /// One page of the history: `limit` checks after skipping `offset`, by
    /// request time (newest first unless `filter.oldest_first`), ties by ID.
    pub fn history_page(&self, filter: &CheckFilter, offset: u64, limit: u32) -> Result<Vec<DuplicationCheck>> {
        let query = Query::of(filter);
        self.read(|c| page(c, &query, filter.oldest_first, limit, offset, WORD_PLAN_MAX))
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
        let mut query = Query::of(filter);
        if let Some(after) = after {
            query.after(after, filter.oldest_first);
        }
        self.read(|c| page(c, &query, filter.oldest_first, limit, 0, WORD_PLAN_MAX))
    }

    /// How many checks the filter selects.
    pub fn history_count(&self, filter: &CheckFilter) -> Result<u64> {
        let query = Query::of(filter);
        let threshold = if query.conditions.clauses.is_empty() {
            COUNT_WORD_PLAN_MAX
        } else {
            WORD_PLAN_MAX
        };
        self.read(|c| count(c, &query, threshold))
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

/// Reads one page: row IDs by the query's plan, then those rows and their
/// searches. `threshold`: see [`WORD_PLAN_MAX`].
fn page(
    c: &Connection,
    query: &Query,
    oldest_first: bool,
    limit: u32,
    offset: u64,
    threshold: u64,
) -> Result<Vec<DuplicationCheck>> {
    let plan = query.plan(c, threshold)?;
    let (sql, params) = page_sql(query, &plan, oldest_first, limit, offset);
    let mut stmt = c.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(&params), check_from_row)?;
    let mut checks = rows.collect::<rusqlite::Result<Vec<_>>>()?;
    for check in &mut checks {
        check.queries = queries_of(c, check.id)?;
    }
    Ok(checks)
}

/// Counts the checks the query selects. `threshold`: see [`COUNT_WORD_PLAN_MAX`].
fn count(c: &Connection, query: &Query, threshold: u64) -> Result<u64> {
    let plan = query.plan(c, threshold)?;
    let (sql, params) = count_sql(query, &plan);
    let mut stmt = c.prepare_cached(&sql)?;
    Ok(unsigned(stmt.query_row(params_from_iter(&params), |r| r.get(0))?))
}

/// The SQL of a page and its parameters.
fn page_sql(query: &Query, plan: &Plan, oldest_first: bool, limit: u32, offset: u64) -> (String, Vec<Value>) {
    let order = if oldest_first {
        "check_date, id"
    } else {
        "check_date DESC, id DESC"
    };
    let (ids, mut params) = match plan {
        Plan::InOrder => {
            let conditions = query.in_order_conditions();
            (
                format!("SELECT id FROM duplication_checks WHERE {}", conditions.sql()),
                conditions.params,
            )
        }
        Plan::Words { driver, merge } => {
            let (hits, mut params) = hits_cte(&query.words, *driver, *merge);
            params.extend(query.conditions.params.iter().cloned());
            (
                format!(
                    "{hits} SELECT d.id FROM hits CROSS JOIN duplication_checks AS d ON d.id = hits.check_id \
                     WHERE {}",
                    query.conditions.sql()
                ),
                params,
            )
        }
    };
    params.extend([Value::from(i64::from(limit)), Value::from(sql_int(offset))]);
    let sql = format!(
        "SELECT {CHECK_COLUMNS} FROM duplication_checks WHERE id IN \
         ({ids} ORDER BY {order} LIMIT ? OFFSET ?) ORDER BY {order}"
    );
    (sql, params)
}

/// The SQL of a count and its parameters.
fn count_sql(query: &Query, plan: &Plan) -> (String, Vec<Value>) {
    match plan {
        Plan::InOrder => {
            let conditions = query.in_order_conditions();
            (
                format!("SELECT count(*) FROM duplication_checks WHERE {}", conditions.sql()),
                conditions.params,
            )
        }
        Plan::Words { driver, merge } => {
            let (hits, mut params) = hits_cte(&query.words, *driver, *merge);
            if query.conditions.clauses.is_empty() {
                return (format!("{hits} SELECT count(*) FROM hits"), params);
            }
            params.extend(query.conditions.params.iter().cloned());
            (
                format!(
                    "{hits} SELECT count(*) FROM hits CROSS JOIN duplication_checks AS d ON d.id = hits.check_id \
                     WHERE {}",
                    query.conditions.sql()
                ),
                params,
            )
        }
    }
}

/// `WITH hits (check_id) AS MATERIALIZED (…)`: the checks whose name has a
/// word starting with each of `words`, from the word index alone (see
/// [`Plan::Words`]).
fn hits_cte(words: &[String], driver: usize, merge: bool) -> (String, Vec<Value>) {
    let mut params = Vec::new();
    let select = if merge {
        words
            .iter()
            .map(|word| {
                format!(
                    "SELECT check_id FROM check_name_words WHERE {}",
                    word_range("word", word, &mut params)
                )
            })
            .collect::<Vec<_>>()
            .join(" INTERSECT ")
    } else {
        let mut select = format!(
            "SELECT DISTINCT w.check_id FROM check_name_words AS w WHERE {}",
            word_range("w.word", &words[driver], &mut params)
        );
        for (i, word) in words.iter().enumerate().filter(|(i, _)| *i != driver) {
            let x = format!("x{i}");
            select.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM check_name_words AS {x} WHERE {x}.check_id = w.check_id AND {})",
                word_range(&format!("{x}.word"), word, &mut params)
            ));
        }
        select
    };
    (format!("WITH hits (check_id) AS MATERIALIZED ({select})"), params)
}

/// `column` starts with `prefix`, as a range an index can seek.
fn word_range(column: &str, prefix: &str, params: &mut Vec<Value>) -> String {
    params.push(text(prefix));
    match prefix_end(prefix) {
        Some(end) => {
            params.push(text(end));
            format!("{column} >= ? AND {column} < ?")
        }
        None => format!("{column} >= ?"),
    }
}

/// How many rows of the word index start with `prefix`, counting up to `cap`.
/// (A check with two such words counts twice: an upper bound of its checks.)
fn candidates(c: &Connection, prefix: &str, cap: u64) -> Result<u64> {
    let mut params = Vec::new();
    let range = word_range("word", prefix, &mut params);
    params.push(Value::from(sql_int(cap)));
    let sql = format!("SELECT count(*) FROM (SELECT 1 FROM check_name_words WHERE {range} LIMIT ?)");
    let mut stmt = c.prepare_cached(&sql)?;
    Ok(unsigned(stmt.query_row(params_from_iter(&params), |r| r.get(0))?))
}

/// How a query finds its checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plan {
    /// Read the history in order through the filters' indexes (no name
    /// search, or only common words).
    InOrder,
    /// Start from the word index. `merge`: intersect the sorted candidates of
    /// every word; otherwise read those of `words[driver]`, the rarest, and
    /// probe each for the other words.
    Words { driver: usize, merge: bool },
}

/// A filter as SQL: conditions on the check's row, and the typed name words.
#[derive(Debug, Default)]
struct Query {
    conditions: Conditions,
    /// Normalised, none the prefix of another (it would add nothing).
    words: Vec<String>,
}

impl Query {
    fn of(filter: &CheckFilter) -> Query {
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
        if let Some(r) = filter.review_status {
            c.push("review_status = ?".into(), [text(r.as_str())]);
        }
        if let Some(id) = filter.roster_id {
            c.push("roster_id = ?".into(), [id.into()]);
        }
        let mut words = Vec::new();
        match filter.text.as_deref().map(TextSearch::of) {
            Some(TextSearch::Identifier(prefix)) => c.push_identifier_prefix(&prefix),
            Some(TextSearch::Name(typed)) => words = essential_words(typed),
            Some(TextSearch::Nothing) | None => {}
        }
        Query { conditions: c, words }
    }

    /// Only the checks after `(check_date, id)` in the history's order.
    fn after(&mut self, (date, id): (DateTime<Utc>, i64), oldest_first: bool) {
        let op = if oldest_first { ">" } else { "<" };
        self.conditions.push(
            format!("(check_date, id) {op} (?, ?)"),
            [Ts::text(date).into(), id.into()],
        );
    }

    /// Counts each word's candidates (up to `threshold + 1`) and drives the
    /// query from the word index if the rarest has at most `threshold`.
    fn plan(&self, c: &Connection, threshold: u64) -> Result<Plan> {
        let mut counts = Vec::with_capacity(self.words.len());
        for word in &self.words {
            let n = candidates(c, word, threshold.saturating_add(1))?;
            if n == 0 {
                // Nothing has this word: the word index answers at once.
                return Ok(Plan::Words {
                    driver: counts.len(),
                    merge: false,
                });
            }
            counts.push(n);
        }
        let Some((driver, least)) = counts.iter().copied().enumerate().min_by_key(|&(_, n)| n) else {
            return Ok(Plan::InOrder);
        };
        if least > threshold {
            return Ok(Plan::InOrder);
        }
        // Probing a check's words costs about MERGE_RATIO times as much as
        // sorting a candidate for the merge: merge when the words are about
        // equally common (and every count is exact).
        let probes = least.saturating_mul(u64::try_from(counts.len() - 1).unwrap_or(u64::MAX));
        let merge = counts.len() > 1
            && counts.iter().all(|&n| n <= threshold)
            && counts.iter().sum::<u64>() <= probes.saturating_mul(MERGE_RATIO);
        Ok(Plan::Words { driver, merge })
    }

    /// The conditions with the name words as conditions on `name_search`
    /// (which `checks_by_date` carries): a word starts a word of the name when
    /// " word" occurs in " name".
    fn in_order_conditions(&self) -> Conditions {
        let mut c = Conditions {
            clauses: self.conditions.clauses.clone(),
            params: self.conditions.params.clone(),
        };
        for word in &self.words {
            c.push("instr(' ' || name_search, ?) > 0".into(), [text(format!(" {word}"))]);
        }
        c
    }
}

/// The typed words without those another typed word implies: "ami amina"
/// asks no more than "amina" (a word starting with "amina" starts with
/// "ami"), and a repeated word once.
fn essential_words(typed: Vec<String>) -> Vec<String> {
    let mut kept: Vec<String> = Vec::with_capacity(typed.len());
    for (i, word) in typed.iter().enumerate() {
        let implied = typed
            .iter()
            .enumerate()
            .any(|(j, other)| j != i && other.starts_with(word.as_str()) && (other.len() > word.len() || j < i));
        if !implied {
            kept.push(word.clone());
        }
    }
    kept
}

/// Conditions on a check's row, with their parameters.
#[derive(Debug, Default)]
struct Conditions {
    clauses: Vec<String>,
    params: Vec<Value>,
}

impl Conditions {
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
    /// Otherwise: every word must start a word of the normalised name.
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
                reply_header: Default::default(),
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
        assert_eq!(ids_of(&store, &text("ami")), [ids[1], ids[5]], "the start of a word");
        assert!(ids_of(&store, &text("mina")).is_empty(), "not the middle of a word");
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

    #[test]
    fn typed_words_that_add_nothing_are_dropped() {
        let essential = |typed: &[&str]| essential_words(typed.iter().map(|w| w.to_string()).collect());
        assert_eq!(essential(&["ami", "amina"]), ["amina"]);
        assert_eq!(essential(&["diallo", "diallo"]), ["diallo"]);
        assert_eq!(essential(&["ami", "dia"]), ["ami", "dia"]);
        assert_eq!(essential(&["amina", "ami", "dia", "d"]), ["amina", "dia"]);
    }

    #[test]
    fn a_name_is_found_by_the_start_of_its_words() {
        let (store, _, _, ids) = history();
        let text = |t: &str| {
            let filter = CheckFilter {
                text: Some(t.into()),
                oldest_first: true,
                ..CheckFilter::default()
            };
            ids_of(&store, &filter)
        };
        assert_eq!(text("ami dia"), [ids[1], ids[5]], "the start of each word");
        assert_eq!(text("diallo amina"), [ids[1], ids[5]], "in any order");
        assert_eq!(text("DIAL"), [ids[1], ids[5]], "any case");
        assert_eq!(text("Adébáyọ̀"), [ids[2]], "accents typed");
        assert_eq!(text("ADEBAYO ola"), [ids[2]], "accents not typed");
        assert_eq!(text("ngu th la"), [ids[4]], "three words");
        assert_eq!(text("a"), [ids[1], ids[2], ids[5]], "one letter");
        assert_eq!(text("amina amina"), [ids[1], ids[5]], "a repeated word");
        assert!(text("iallo").is_empty(), "the middle of a word");
        assert!(text("aminata").is_empty(), "longer than the word");
        assert!(text("amina jose").is_empty(), "every word must match");
        assert!(text("Zebedee Quixote").is_empty(), "no such name");
    }

    /// A synthetic history (common names, a rare tail) and a few checks of a
    /// second source, requested at one time, with names of their own.
    fn large_history() -> (Store, DataSource) {
        let store = testutil::store();
        let synthetic = testutil::source(&store, "Synthetic");
        store.fill_synthetic_history(6_000, synthetic.id).expect("fill");
        let other = testutil::source(&store, "Regional IBR");
        let people = [
            ("Amina", "Okonkwo", 30),
            ("Yusuf", "Okonkwo", 5),
            ("José Luis", "Quispe Diallo", 3),
            ("Ama", "Ama", 2),
        ];
        let mut batch = Vec::new();
        for (i, (given, surname, n)) in people.into_iter().enumerate() {
            let r = testutil::registrant(&store, given, surname, &format!("9{i}"));
            batch.extend(std::iter::repeat_n(new_check(&r, &other, false), n));
        }
        store.insert_checks(&batch, "officer").expect("batch");
        (store, other)
    }

    /// What the history must show, by filtering every check in Rust.
    fn brute_force(all: &[DuplicationCheck], filter: &CheckFilter) -> Vec<i64> {
        let words = match filter.text.as_deref().map(TextSearch::of) {
            Some(TextSearch::Name(words)) => words,
            _ => Vec::new(),
        };
        let mut hits: Vec<&DuplicationCheck> = all
            .iter()
            .filter(|c| {
                let a = &c.applicant;
                let name = normalize_name(&format!(
                    "{} {}",
                    a.given_name.as_deref().unwrap_or_default(),
                    a.surname.as_deref().unwrap_or_default()
                ));
                words.iter().all(|w| name.split(' ').any(|n| n.starts_with(w.as_str())))
                    && filter.result.is_none_or(|r| c.result == Some(r))
                    && filter.state.is_none_or(|s| c.state == s)
                    && filter.data_source_id.is_none_or(|s| c.data_source_id == Some(s))
                    && filter.from.is_none_or(|t| c.check_date >= t)
                    && filter.to.is_none_or(|t| c.check_date < t)
            })
            .collect();
        hits.sort_by_key(|c| (c.check_date, c.id));
        if !filter.oldest_first {
            hits.reverse();
        }
        hits.iter().map(|c| c.id).collect()
    }

    /// Every way the query can be answered.
    fn plans(query: &Query) -> Vec<Plan> {
        let mut plans = vec![Plan::InOrder];
        plans.extend((0..query.words.len()).map(|driver| Plan::Words { driver, merge: false }));
        if query.words.len() > 1 {
            plans.push(Plan::Words { driver: 0, merge: true });
        }
        plans
    }

    fn run_page(c: &Connection, query: &Query, plan: Plan, oldest_first: bool, offset: u64, limit: u32) -> Vec<i64> {
        let (sql, params) = page_sql(query, &plan, oldest_first, limit, offset);
        let mut stmt = c.prepare(&sql).expect("page sql");
        let ids = stmt.query_map(params_from_iter(&params), |r| r.get(0)).expect("page");
        ids.collect::<rusqlite::Result<Vec<i64>>>().expect("ids")
    }

    fn run_count(c: &Connection, query: &Query, plan: Plan) -> u64 {
        let (sql, params) = count_sql(query, &plan);
        let n = c
            .query_row(&sql, params_from_iter(&params), |r| r.get(0))
            .expect("count");
        unsigned(n)
    }

    fn window(ids: &[i64], offset: usize, limit: usize) -> &[i64] {
        let start = offset.min(ids.len());
        &ids[start..(start + limit).min(ids.len())]
    }

    #[test]
    fn every_plan_agrees_with_a_brute_force_filter() {
        let (store, other) = large_history();
        let oldest = CheckFilter {
            oldest_first: true,
            ..CheckFilter::default()
        };
        let all = store.history_page(&oldest, 0, u32::MAX).expect("every check");
        let by_id: std::collections::HashMap<i64, &DuplicationCheck> = all.iter().map(|c| (c.id, c)).collect();
        let middle = all[all.len() / 2].check_date;
        let texts = [
            "diallo",
            "ami dia",
            "DIA Ami",
            "okonk",
            "ami okonk",
            "okonkwo amina",
            "jo l qu d",
            "ama",
            "a",
            "amina jose",
            "zebedee",
            "ami zebedee",
            "van der",
            "Ọlá",
        ];
        let mut filters = Vec::new();
        for text in texts {
            let name = CheckFilter {
                text: Some(text.into()),
                ..CheckFilter::default()
            };
            filters.extend([
                CheckFilter {
                    result: Some(MatchResult::PossibleMatch),
                    ..name.clone()
                },
                CheckFilter {
                    state: Some(CheckState::Ready),
                    ..name.clone()
                },
                CheckFilter {
                    data_source_id: Some(other.id),
                    ..name.clone()
                },
                CheckFilter {
                    from: Some(middle),
                    ..name.clone()
                },
                CheckFilter {
                    to: Some(middle),
                    ..name.clone()
                },
                name,
            ]);
        }
        for filter in filters {
            for oldest_first in [false, true] {
                let filter = CheckFilter {
                    oldest_first,
                    ..filter.clone()
                };
                let expected = brute_force(&all, &filter);
                let query = Query::of(&filter);
                let total = expected.len() as u64;
                store
                    .read(|c| {
                        for plan in plans(&query) {
                            let why = format!("{filter:?} by {plan:?}");
                            let first = run_page(c, &query, plan, oldest_first, 0, 20);
                            assert_eq!(first, window(&expected, 0, 20), "{why}");
                            let deeper = run_page(c, &query, plan, oldest_first, 7, 5);
                            assert_eq!(deeper, window(&expected, 7, 5), "{why}");
                            assert_eq!(run_count(c, &query, plan), total, "{why}");
                            if let Some(third) = expected.get(2).map(|id| by_id[id]) {
                                let mut after = Query::of(&filter);
                                after.after((third.check_date, third.id), oldest_first);
                                let next = run_page(c, &after, plan, oldest_first, 0, 5);
                                assert_eq!(next, window(&expected, 3, 5), "keyset {why}");
                            }
                        }
                        // The plan chosen by the thresholds, low enough for
                        // the rare path and high enough for the common one.
                        for threshold in [0, 50, 1_000_000] {
                            let chosen: Vec<i64> = page(c, &query, oldest_first, 20, 0, threshold)?
                                .iter()
                                .map(|c| c.id)
                                .collect();
                            assert_eq!(chosen, window(&expected, 0, 20), "{filter:?} under {threshold}");
                            assert_eq!(count(c, &query, threshold)?, total, "{filter:?} under {threshold}");
                        }
                        Ok(())
                    })
                    .expect("plans");
                let shown: Vec<i64> = store
                    .history_page(&filter, 0, 20)
                    .expect("page")
                    .iter()
                    .map(|c| c.id)
                    .collect();
                assert_eq!(shown, window(&expected, 0, 20), "{filter:?}");
                assert_eq!(store.history_count(&filter).ok(), Some(total), "{filter:?}");
            }
        }
    }

    #[test]
    fn the_rarest_word_chooses_the_plan() {
        let (store, _) = large_history();
        store
            .read(|c| {
                let plan = |text: &str, threshold| {
                    let filter = CheckFilter {
                        text: Some(text.into()),
                        ..CheckFilter::default()
                    };
                    Query::of(&filter).plan(c, threshold).expect("plan")
                };
                assert_eq!(plan("diallo", 50), Plan::InOrder, "a common word");
                assert_eq!(
                    plan("diallo", 1_000),
                    Plan::Words {
                        driver: 0,
                        merge: false
                    }
                );
                assert_eq!(
                    plan("ami okonk", 50),
                    Plan::Words {
                        driver: 1,
                        merge: false
                    },
                    "the rare word drives"
                );
                assert!(
                    matches!(plan("ami dia", 1_000), Plan::Words { merge: true, .. }),
                    "words about as common as each other are intersected"
                );
                assert_eq!(
                    plan("amina zebedee", 0),
                    Plan::Words {
                        driver: 1,
                        merge: false
                    },
                    "a word nobody has"
                );
                assert_eq!(plan("", 0), Plan::InOrder);
                Ok(())
            })
            .expect("plans");
    }

    /// The details of `EXPLAIN QUERY PLAN`, in order.
    fn explain(c: &Connection, sql: &str, params: &[Value]) -> Vec<String> {
        let mut stmt = c.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).expect("explain");
        let steps = stmt.query_map(params_from_iter(params), |r| r.get(3)).expect("steps");
        steps.collect::<rusqlite::Result<Vec<String>>>().expect("details")
    }

    #[test]
    fn the_word_plans_start_from_the_word_index() {
        let (store, other) = large_history();
        store
            .read(|c| {
                for text in ["okonk", "ami okonk"] {
                    let filter = CheckFilter {
                        text: Some(text.into()),
                        data_source_id: Some(other.id),
                        state: Some(CheckState::Ready),
                        ..CheckFilter::default()
                    };
                    let query = Query::of(&filter);
                    for plan in [
                        Plan::Words {
                            driver: 0,
                            merge: false,
                        },
                        Plan::Words { driver: 0, merge: true },
                    ] {
                        let (sql, params) = page_sql(&query, &plan, false, 50, 0);
                        let steps = explain(c, &sql, &params);
                        let at = |step: &str| steps.iter().position(|s| s.starts_with(step));
                        let words =
                            at("SEARCH check_name_words USING PRIMARY KEY").or(at("SEARCH w USING PRIMARY KEY"));
                        let hits = at("SCAN hits");
                        let rows = at("SEARCH d USING INTEGER PRIMARY KEY");
                        assert!(
                            words.is_some() && words < hits && hits < rows,
                            "{text} by {plan:?}: {steps:#?}"
                        );
                        assert!(!steps.iter().any(|s| s.contains("checks_by_")), "{steps:#?}");
                    }
                }
                Ok(())
            })
            .expect("plans");
    }

    #[test]
    fn deleting_a_check_deletes_its_words() {
        let store = testutil::store();
        let source = testutil::source(&store, "National IBR");
        let r = testutil::registrant(&store, "Amina Amina", "Diallo", "1");
        let id = store
            .insert_check(&new_check(&r, &source, false), "officer")
            .expect("check")
            .id;
        let words = || {
            store
                .read(|c| {
                    let mut stmt = c.prepare("SELECT word FROM check_name_words WHERE check_id = ?1 ORDER BY word")?;
                    let words = stmt.query_map([id], |r| r.get(0))?;
                    Ok(words.collect::<rusqlite::Result<Vec<String>>>()?)
                })
                .expect("words")
        };
        assert_eq!(words(), ["amina", "diallo"], "each word once");
        store
            .write(|tx| Ok(tx.execute("DELETE FROM duplication_checks WHERE id = ?1", [id])?))
            .expect("delete");
        assert!(words().is_empty());
    }
}
