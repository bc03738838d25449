//! A synthetic history for benchmarks and tests: many finished checks,
//! quickly, without a registry.
//!
//! The rows look like an office's history where it matters for speed: dates
//! spread over two years in request order, mostly `no_match` with some matches
//! and failures, a few hundred common names (with accents) plus a rare tail
//! (one check in 200 has one of 32 uncommon surnames, about 150 checks each
//! per million), and unique identifiers, one registrant and one search per check. They carry no
//! candidates, replies or audit lines. No row is left `ready` or `checking`,
//! so an engine running on the same database has nothing to send.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rusqlite::{Connection, params};

use super::checks::{index_name_words, reference_id};
use super::codec::{Ts, sql_int, to_json};
use super::{Result, Store, sources};
use crate::domain::{IdType, QueryKind, normalize_name};

const GIVEN: [&str; 16] = [
    "Amina",
    "José",
    "Ọlá",
    "Fatima",
    "Nguyễn Thị",
    "Grace",
    "Kwame",
    "María",
    "Ibrahim",
    "Léa",
    "Tendai",
    "Aïssata",
    "Juan Pablo",
    "Chiara",
    "Mwajuma",
    "Óscar",
];
const SURNAMES: [&str; 16] = [
    "Diallo",
    "Peña",
    "Adébáyọ̀",
    "Okafor",
    "Lan",
    "Mensah",
    "Banda",
    "García",
    "Haddad",
    "Dubois",
    "Moyo",
    "Traoré",
    "Ruiz",
    "Esposito",
    "Mwangi",
    "Nuñez",
];

/// Surnames of the rare tail: one check in [`RARE_ONE_IN`] has one of these.
const RARE_SURNAMES: [&str; 32] = [
    "Okonkwo",
    "Nakamura",
    "Quispe",
    "Wójcik",
    "Zapata",
    "Xhaka",
    "Yılmaz",
    "Øvergaard",
    "Kowalczyk",
    "Van der Berg",
    "Abernathy",
    "Bjørnsen",
    "Castañeda",
    "Dlamini",
    "Eze",
    "Fitzgerald",
    "Gyamfi",
    "Hakimi",
    "Ivanova",
    "Jankowski",
    "Kariuki",
    "Lindqvist",
    "Mbeki",
    "Nwosu",
    "Oyelaran",
    "Pereira",
    "Qureshi",
    "Rasmussen",
    "Sithole",
    "Tshabalala",
    "Umeh",
    "Villanueva",
];

/// How rare the rare tail is: one check in this many.
const RARE_ONE_IN: u64 = 200;

/// Rows per transaction: large enough to amortise the commit, small enough to
/// keep the WAL file from growing without bound.
const CHUNK: u64 = 50_000;

/// The writer's page cache while filling, in KiB.
const FILL_CACHE_KIB: i64 = 256 * 1024;

/// Two years, in milliseconds.
const SPAN_MS: i64 = 2 * 365 * 24 * 3_600 * 1_000;

impl Store {
    /// Inserts `n` finished checks (completed with a mix of results, and some
    /// failed) of `data_source_id`, requested over the last two years, then
    /// refreshes the planner's statistics. For benchmarks and tests.
    pub fn fill_synthetic_history(&self, n: u64, data_source_id: i64) -> Result<()> {
        let source_name = self.read(|c| sources::name_of(c, data_source_id))?;
        let first_key = self.read(|c| {
            Ok(
                c.query_row("SELECT coalesce(max(id), 0) + 1 FROM duplication_checks", [], |r| {
                    r.get::<_, i64>(0)
                })?,
            )
        })?;
        // A larger page cache while filling keeps the indexes with random keys
        // (identifiers, names) in memory; it is given back afterwards.
        self.set_writer_cache(FILL_CACHE_KIB)?;
        let filled = self.fill_in_chunks(n, first_key, data_source_id, &source_name);
        self.set_writer_cache(super::CACHE_KIB)?;
        filled?;
        self.write(|tx| Ok(tx.execute_batch("PRAGMA analysis_limit = 1000; ANALYZE;")?))
    }

    fn fill_in_chunks(&self, n: u64, first_key: i64, data_source_id: i64, source_name: &str) -> Result<()> {
        let end = super::codec::now();
        let names = Names::new();
        let mut done = 0;
        while done < n {
            let chunk = CHUNK.min(n - done);
            self.write(|tx| {
                for i in done..done + chunk {
                    let row = Synthetic::new(first_key, i, n, end);
                    insert(tx, &row, &names, data_source_id, source_name)?;
                }
                Ok(())
            })?;
            done += chunk;
        }
        Ok(())
    }
}

/// Every given name × surname (common, then rare), with its normalised form,
/// computed once.
struct Names(Vec<(&'static str, &'static str, String)>);

impl Names {
    fn new() -> Names {
        Names(
            GIVEN
                .iter()
                .flat_map(|g| {
                    SURNAMES
                        .iter()
                        .chain(&RARE_SURNAMES)
                        .map(move |s| (*g, *s, normalize_name(&format!("{g} {s}"))))
                })
                .collect(),
        )
    }

    /// The name of a synthetic check: usually a common one, one in
    /// [`RARE_ONE_IN`] with a rare surname.
    fn of(&self, row: &Synthetic) -> &(&'static str, &'static str, String) {
        let surnames = SURNAMES.len() + RARE_SURNAMES.len();
        let given = usize::try_from(row.bits(4, 16)).unwrap_or(0);
        // A second hash, so that the tail is independent of the other fields.
        let tail = splitmix64(row.hash);
        let surname = if tail.is_multiple_of(RARE_ONE_IN) {
            SURNAMES.len() + usize::try_from(tail >> 32).unwrap_or(0) % RARE_SURNAMES.len()
        } else {
            usize::try_from(row.bits(0, 16)).unwrap_or(0)
        };
        &self.0[given * surnames + surname]
    }
}

/// One synthetic check, derived from its number alone (deterministic).
struct Synthetic {
    hash: u64,
    identifier: String,
    check_date: DateTime<Utc>,
}

impl Synthetic {
    fn new(first_key: i64, i: u64, n: u64, end: DateTime<Utc>) -> Synthetic {
        let key = u64::try_from(first_key).unwrap_or(0) + i;
        let hash = splitmix64(key);
        // Spread evenly over two years, oldest first, with up to a minute of jitter.
        let step = SPAN_MS / sql_int(n.max(1));
        let offset = step * sql_int(i) + i64::try_from(hash % 60_000).unwrap_or(0);
        Synthetic {
            hash,
            identifier: unique_identifier(key),
            check_date: end - Duration::milliseconds(SPAN_MS) + Duration::milliseconds(offset),
        }
    }

    fn bits(&self, shift: u32, modulo: u64) -> u64 {
        (self.hash >> shift) % modulo
    }
}

/// A 10-digit value unique for every key below 10^10: multiplication by a
/// number coprime with 10^10 permutes the residues, so values look random
/// (as real identifiers do, for the indexes) but never repeat.
fn unique_identifier(key: u64) -> String {
    const MODULUS: u128 = 10_000_000_000;
    let v = (u128::from(key) * 6_364_136_223_846_793 + 1_442_695_040_888_963) % MODULUS;
    format!("{v:010}")
}

fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn insert(c: &Connection, row: &Synthetic, names: &Names, data_source_id: i64, source_name: &str) -> Result<()> {
    let (given, surname, name_search) = names.of(row);
    let birth_date = NaiveDate::from_ymd_opt(1940 + i32::try_from(row.bits(8, 80)).unwrap_or(0), 1, 1)
        .and_then(|d| d.checked_add_days(chrono::Days::new(row.bits(16, 365))));
    let sex = if row.bits(24, 2) == 0 { "female" } else { "male" };
    let registrant_id = c
        .prepare_cached(
            "INSERT INTO registrants (given_name, surname, birth_date, sex, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .insert(params![given, surname, birth_date, sex, Ts(row.check_date)])?;
    c.prepare_cached(
        "INSERT INTO registrant_identifiers (registrant_id, position, id_type, value) VALUES (?1, 0, 'UIN', ?2)",
    )?
    .execute(params![registrant_id, row.identifier])?;

    let outcome = Outcome::of(row.bits(32, 100));
    let finished_at = row.check_date + Duration::milliseconds(800 + i64::try_from(row.bits(40, 5_000)).unwrap_or(0));
    let check_id = c
        .prepare_cached(
            "INSERT INTO duplication_checks (registrant_id, given_name, surname, birth_date, sex, name_search, \
             identifier_type, identifier_value, check_date, finished_at, result, matched_programs, state, \
             data_source_id, data_source_name, error_message, error_kind, transaction_id, attempts, search_reason, \
             explanation, signature_note) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'UIN', ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, 1, \
             'application', ?18, ?19)",
        )?
        .insert(params![
            registrant_id,
            given,
            surname,
            birth_date,
            sex,
            name_search,
            row.identifier,
            Ts(row.check_date),
            Ts(finished_at),
            outcome.result,
            outcome.matched_programs,
            outcome.state,
            data_source_id,
            source_name,
            outcome.error.map(|e| e.1),
            outcome.error.map(|e| e.0),
            format!("syn-{:016x}", row.hash),
            outcome.explanation,
            outcome.error.is_none().then_some("signed by the synthetic registry"),
        ])?;
    index_name_words(c, check_id, name_search)?;
    let query = to_json(&QueryKind::Identifier {
        id_type: IdType::Uin,
        value: row.identifier.clone(),
    })?;
    c.prepare_cached("INSERT INTO check_queries (check_id, seq, reference_id, kind) VALUES (?1, 1, ?2, ?3)")?
        .execute(params![check_id, reference_id(check_id, 1), query])?;
    Ok(())
}

/// How a synthetic check ended, from a number in 0..100.
struct Outcome {
    state: &'static str,
    result: Option<&'static str>,
    matched_programs: &'static str,
    explanation: Option<&'static str>,
    error: Option<(&'static str, &'static str)>,
}

impl Outcome {
    fn of(dice: u64) -> Outcome {
        let completed = |result, matched_programs, explanation| Outcome {
            state: "completed",
            result: Some(result),
            matched_programs,
            explanation: Some(explanation),
            error: None,
        };
        match dice {
            0..=3 => Outcome {
                state: "failed",
                result: None,
                matched_programs: "[]",
                explanation: None,
                error: Some(("unreachable", "the registry did not answer within 30 s")),
            },
            4..=73 => completed("no_match", "[]", "every search succeeded and found no record"),
            74..=93 => completed(
                "possible_match",
                r#"["P-104 — Child Support Grant"]"#,
                "a record with the same name and birth date under another identifier",
            ),
            _ => completed(
                "confirmed_match",
                r#"["P-221 — Old Age Pension"]"#,
                "an active enrolment under exactly this identifier",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::super::testutil;
    use super::*;
    use crate::domain::{CheckFilter, CheckState, MatchResult};

    #[test]
    fn identifiers_do_not_repeat() {
        let values: HashSet<String> = (0..100_000).map(unique_identifier).collect();
        assert_eq!(values.len(), 100_000);
        assert!(values.iter().all(|v| v.len() == 10));
    }

    #[test]
    fn fills_a_finished_history_in_order() {
        let store = testutil::store();
        let source = testutil::source(&store, "Synthetic");
        store.fill_synthetic_history(100_000, source.id).expect("fill");
        assert_eq!(store.history_count(&CheckFilter::default()).ok(), Some(100_000));
        assert_eq!(
            store.queue_counts().map(|q| q.ready + q.checking).ok(),
            Some(0),
            "nothing to send"
        );
        let counts = store.counts_by_result().expect("counts");
        assert!(counts.iter().all(|(_, n)| *n > 1_000), "{counts:?}");

        let newest = store.history_page(&CheckFilter::default(), 0, 200).expect("first page");
        assert_eq!(newest.len(), 200);
        assert!(
            newest
                .windows(2)
                .all(|w| (w[0].check_date, w[0].id) > (w[1].check_date, w[1].id))
        );
        let deep = store
            .history_page(&CheckFilter::default(), 90_000, 50)
            .expect("deep page");
        assert_eq!(deep.len(), 50);
        assert!(deep[0].check_date < newest[199].check_date);
        let oldest = CheckFilter {
            oldest_first: true,
            ..CheckFilter::default()
        };
        let first = store.history_page(&oldest, 0, 50).expect("oldest");
        assert!(
            first
                .windows(2)
                .all(|w| (w[0].check_date, w[0].id) < (w[1].check_date, w[1].id))
        );
        let span = newest[0].check_date - first[0].check_date;
        assert!(span > Duration::days(700), "about two years: {span}");

        let failed = CheckFilter {
            state: Some(CheckState::Failed),
            ..CheckFilter::default()
        };
        let page = store.history_page(&failed, 0, 50).expect("failed");
        assert!(page.iter().all(|c| c.state == CheckState::Failed && c.result.is_none()));
        let diallo = CheckFilter {
            text: Some("DIALLO".into()),
            ..CheckFilter::default()
        };
        let page = store.history_page(&diallo, 0, 50).expect("name");
        assert!(!page.is_empty() && page.iter().all(|c| c.applicant.surname.as_deref() == Some("Diallo")));
        let prefix = newest[0].identifier_value[..6].to_string();
        let by_id = CheckFilter {
            text: Some(prefix.clone()),
            ..CheckFilter::default()
        };
        let page = store.history_page(&by_id, 0, 50).expect("identifier");
        assert!(!page.is_empty() && page.iter().all(|c| c.identifier_value.starts_with(&prefix)));
        let confirmed = CheckFilter {
            result: Some(MatchResult::ConfirmedMatch),
            ..CheckFilter::default()
        };
        let page = store.history_page(&confirmed, 0, 50).expect("result");
        assert!(
            page.iter()
                .all(|c| c.result == Some(MatchResult::ConfirmedMatch) && !c.queries.is_empty())
        );
    }
}
