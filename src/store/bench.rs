//! How fast the history answers on a large database (`ibr-desk bench history`).
//!
//! Performance is measured here, on a release build and a real file, and
//! reported; tests never assert wall-clock limits (a busy CI machine would
//! make them fail at random). Each query runs five times; the median says what
//! a person usually waits, the maximum what they wait at worst (cold cache).

use std::fmt;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};

use super::{Result, Store};
use crate::domain::{CheckFilter, CheckState, MatchResult, NewDataSource};

/// Repetitions of each measured query.
const REPETITIONS: usize = 5;

/// Rows per page, as the history view shows them.
const PAGE: u32 = 50;

/// One measured query.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchLine {
    pub name: String,
    pub median_ms: f64,
    pub max_ms: f64,
    /// Rows returned (or counted) by the last run.
    pub rows: u64,
}

/// What [`bench_history`] measured.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryBenchReport {
    /// Checks in the history when measured.
    pub rows: u64,
    /// Checks added to reach `rows`, and how long that took.
    pub filled: u64,
    pub fill_ms: f64,
    pub lines: Vec<BenchLine>,
}

/// Fills `store` with synthetic checks up to `rows` (if it has fewer), then
/// times the history's queries: first and deep pages, each filter, a count and
/// a keyset page.
pub fn bench_history(store: &Store, rows: u64) -> Result<HistoryBenchReport> {
    let all = CheckFilter::default();
    let existing = store.history_count(&all)?;
    let filled = rows.saturating_sub(existing);
    let started = Instant::now();
    if filled > 0 {
        let source = bench_source(store)?;
        store.fill_synthetic_history(filled, source)?;
    }
    let fill_ms = ms(started);
    let total = store.history_count(&all)?;

    let probe = Probe::of(store)?;
    let mut lines = Vec::new();
    let mut page = |name: &str, filter: &CheckFilter, offset: u64| -> Result<()> {
        lines.push(measure(name, || {
            Ok(store.history_page(filter, offset, PAGE)?.len() as u64)
        })?);
        Ok(())
    };
    page("first page, no filter", &all, 0)?;
    page(&format!("page at offset {}", total * 9 / 10), &all, total * 9 / 10)?;
    page(
        "oldest first, first page",
        &CheckFilter {
            oldest_first: true,
            ..all.clone()
        },
        0,
    )?;
    page("result = confirmed_match", &probe.confirmed, 0)?;
    page("state = failed", &probe.failed, 0)?;
    page("data source", &probe.source, 0)?;
    page("one month, a year ago", &probe.month, 0)?;
    page("name text (common surname)", &probe.name, 0)?;
    page("name text (no such name)", &probe.no_name, 0)?;
    page("name prefix (rare name)", &probe.rare, 0)?;
    page("name prefix (common + rare word)", &probe.common_rare, 0)?;
    page("name prefix (two common words)", &probe.common_common, 0)?;
    page("name text (common words, never together)", &probe.never_together, 0)?;
    page("identifier prefix", &probe.identifier, 0)?;
    page("result + data source + name", &probe.combined, 0)?;
    page("deep page, state = failed", &probe.failed, probe.failed_count * 9 / 10)?;
    lines.push(measure("count, no filter", || store.history_count(&all))?);
    lines.push(measure("count, result = possible_match", || {
        store.history_count(&probe.possible)
    })?);
    lines.push(measure("count, name text", || store.history_count(&probe.name))?);
    lines.push(measure("count, name prefix (rare name)", || {
        store.history_count(&probe.rare)
    })?);
    lines.push(measure("count, name prefix (two common words)", || {
        store.history_count(&probe.common_common)
    })?);
    lines.push(measure("count, identifier prefix", || {
        store.history_count(&probe.identifier)
    })?);
    let after = store.history_page(&all, 0, PAGE)?.last().map(|c| (c.check_date, c.id));
    lines.push(measure("keyset next page", || {
        Ok(store.history_after(&all, after, PAGE)?.len() as u64)
    })?);
    let deep_after = store
        .history_page(&all, total * 9 / 10, PAGE)?
        .last()
        .map(|c| (c.check_date, c.id));
    lines.push(measure("keyset page at 90 %", || {
        Ok(store.history_after(&all, deep_after, PAGE)?.len() as u64)
    })?);
    lines.push(measure("counts by result", || {
        Ok(store.counts_by_result()?.iter().map(|(_, n)| n).sum())
    })?);
    Ok(HistoryBenchReport {
        rows: total,
        filled,
        fill_ms,
        lines,
    })
}

/// The filters measured, with values taken from the data so they select rows.
struct Probe {
    confirmed: CheckFilter,
    possible: CheckFilter,
    failed: CheckFilter,
    failed_count: u64,
    source: CheckFilter,
    month: CheckFilter,
    name: CheckFilter,
    no_name: CheckFilter,
    rare: CheckFilter,
    common_rare: CheckFilter,
    common_common: CheckFilter,
    never_together: CheckFilter,
    identifier: CheckFilter,
    combined: CheckFilter,
}

impl Probe {
    fn of(store: &Store) -> Result<Probe> {
        let all = CheckFilter::default();
        let newest = store.history_page(&all, 0, 1)?;
        let source_id = newest.first().and_then(|c| c.data_source_id);
        let prefix: String = newest
            .first()
            .map(|c| c.identifier_value.chars().take(6).collect())
            .unwrap_or_else(|| "1".into());
        let year_ago: DateTime<Utc> = Utc::now() - Duration::days(365);
        let failed = CheckFilter {
            state: Some(CheckState::Failed),
            ..all.clone()
        };
        let name = |text: &str| CheckFilter {
            text: Some(text.into()),
            ..CheckFilter::default()
        };
        Ok(Probe {
            confirmed: CheckFilter {
                result: Some(MatchResult::ConfirmedMatch),
                ..all.clone()
            },
            possible: CheckFilter {
                result: Some(MatchResult::PossibleMatch),
                ..all.clone()
            },
            failed_count: store.history_count(&failed)?,
            failed,
            source: CheckFilter {
                data_source_id: source_id,
                ..all.clone()
            },
            month: CheckFilter {
                from: Some(year_ago),
                to: Some(year_ago + Duration::days(30)),
                ..all.clone()
            },
            name: CheckFilter {
                text: Some("diallo".into()),
                ..all.clone()
            },
            no_name: CheckFilter {
                text: Some("Zebedee Quixote".into()),
                ..all.clone()
            },
            // The synthetic history's rare tail: about 150 checks per million.
            rare: name("okonk"),
            common_rare: name("ami okonk"),
            common_common: name("ami dia"),
            // Two given names: each common, no check has both.
            never_together: name("amina jose"),
            identifier: CheckFilter {
                text: Some(prefix),
                ..all.clone()
            },
            combined: CheckFilter {
                result: Some(MatchResult::PossibleMatch),
                data_source_id: source_id,
                text: Some("jose".into()),
                ..all
            },
        })
    }
}

/// The data source synthetic checks belong to: the first one, or a new one.
fn bench_source(store: &Store) -> Result<i64> {
    if let Some(s) = store.data_sources()?.first() {
        return Ok(s.id);
    }
    let mut new = NewDataSource::ibr("Synthetic history", "https://synthetic.invalid");
    new.is_demo = true;
    new.active = false;
    Ok(store.insert_data_source(&new)?.id)
}

fn measure(name: &str, mut run: impl FnMut() -> Result<u64>) -> Result<BenchLine> {
    let mut times = Vec::with_capacity(REPETITIONS);
    let mut rows = 0;
    for _ in 0..REPETITIONS {
        let started = Instant::now();
        rows = run()?;
        times.push(ms(started));
    }
    times.sort_by(f64::total_cmp);
    Ok(BenchLine {
        name: name.to_string(),
        median_ms: times[times.len() / 2],
        max_ms: times.last().copied().unwrap_or_default(),
        rows,
    })
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1_000.0
}

impl fmt::Display for HistoryBenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "History of {} checks", self.rows)?;
        if self.filled > 0 {
            let per_s = self.filled as f64 / (self.fill_ms / 1_000.0).max(f64::EPSILON);
            writeln!(
                f,
                "(added {} synthetic checks in {:.1} s: {per_s:.0} checks/s)",
                self.filled,
                self.fill_ms / 1_000.0
            )?;
        }
        let width = self
            .lines
            .iter()
            .map(|l| l.name.chars().count())
            .max()
            .unwrap_or(0)
            .max(5);
        writeln!(
            f,
            "{:<width$}  {:>10}  {:>10}  {:>9}",
            "query", "median ms", "max ms", "rows"
        )?;
        writeln!(f, "{}", "-".repeat(width + 35))?;
        for l in &self.lines {
            writeln!(
                f,
                "{:<width$}  {:>10.2}  {:>10.2}  {:>9}",
                l.name, l.median_ms, l.max_ms, l.rows
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_a_small_history() {
        let store = Store::open_in_memory().expect("store");
        let report = bench_history(&store, 2_000).expect("bench");
        assert_eq!(report.rows, 2_000);
        assert_eq!(report.filled, 2_000);
        assert!(
            report
                .lines
                .iter()
                .any(|l| l.name == "first page, no filter" && l.rows == 50)
        );
        let text = report.to_string();
        assert!(
            text.contains("median ms") && text.contains("keyset next page"),
            "{text}"
        );
        let again = bench_history(&store, 2_000).expect("again");
        assert_eq!(again.filled, 0, "a filled store is not filled twice");
    }

    /// `cargo test --release --lib store::bench -- --ignored --nocapture`
    #[test]
    #[ignore = "a benchmark: builds a 1,000,000-check history on disk"]
    fn history_on_a_million_checks() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(&dir.path().join("bench.sqlite3")).expect("store");
        let report = bench_history(&store, 1_000_000).expect("bench");
        println!("{report}");
        let size = std::fs::metadata(dir.path().join("bench.sqlite3"))
            .map(|m| m.len())
            .unwrap_or(0);
        println!("database file: {:.0} MB", size as f64 / 1e6);
    }
}
