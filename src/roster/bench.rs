//! `ibr-desk bench import`: a generated roster of N rows imported into a
//! fresh store, with the rate and the peak memory of the import.
//!
//! The roster is written row by row (never held): names, sex and birth dates
//! of a small synthetic population (`sandbox::population`), cycled, with
//! identifiers unique to each row (UIN, one row in ten a BRN), and one row in
//! a hundred bad in one of six ways (no identifier, an unknown type, a
//! day-first date, a future date, an extra value, the identifier of the row
//! before). The import is the real one (`import_file`): every valid row
//! becomes a registrant with its identifier and a queued check. Checks are
//! written when the engine takes them up (`Store::queue_roster_checks`);
//! the benchmark then times that too, for a sample of the rows, so the cost
//! moved out of the import is measured as well.

use std::fmt;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use super::import::{ImportOptions, ImportSummary, import_file};
use crate::domain::{NewDataSource, SearchReason};
use crate::sandbox::population::{Population, PopulationConfig};
use crate::store::Store;

/// People whose names and birth dates the rows cycle through.
const PEOPLE: usize = 20_000;

/// At most this many checks are written after the import, to time it.
const CHECKS_SAMPLE: u64 = 100_000;

/// One row in this many is bad.
const BAD_ONE_IN: u64 = 100;

/// What the benchmark measured.
#[derive(Debug, Clone)]
pub struct ImportBenchReport {
    pub rows: u64,
    pub bad_rows: u64,
    pub file: PathBuf,
    pub file_bytes: u64,
    pub generate_secs: f64,
    pub summary: ImportSummary,
    /// Resident memory before the import, and its peak during it (KiB), where the system tells.
    pub rss_before_kib: Option<u64>,
    pub peak_kib: Option<u64>,
    pub chunk_rows: usize,
    /// Checks written after the import (a sample), and how long it took.
    pub checks_written: u64,
    pub checks_secs: f64,
}

impl fmt::Display for ImportBenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.summary;
        let mb = self.file_bytes as f64 / 1e6;
        writeln!(
            f,
            "Generated {} rows ({} bad on purpose), {mb:.1} MB, in {:.2} s.",
            self.rows, self.bad_rows, self.generate_secs
        )?;
        writeln!(
            f,
            "Imported {} rows and rejected {} ({}) in {:.2} s: {:.0} rows/s ({:.1} MB/s).",
            s.imported,
            s.rejected,
            s.reasons_text(),
            s.seconds,
            s.rows_read as f64 / s.seconds,
            mb / s.seconds
        )?;
        writeln!(
            f,
            "Checks queued: {} (each with an identifier search and a name and birth date search).",
            s.queued
        )?;
        writeln!(
            f,
            "Then {} of those checks written as the engine takes them up (row, searches, name words, audit line) \
             in {:.2} s: {:.0} checks/s.",
            self.checks_written,
            self.checks_secs,
            self.checks_written as f64 / self.checks_secs
        )?;
        match (self.peak_kib, self.rss_before_kib) {
            (Some(peak), Some(before)) => writeln!(
                f,
                "Peak memory during the import (VmHWM): {:.1} MiB (resident before it: {:.1} MiB).",
                peak as f64 / 1024.0,
                before as f64 / 1024.0
            )?,
            _ => writeln!(f, "Peak memory: not measured on this system.")?,
        }
        write!(
            f,
            "{} CPU(s); one transaction per {} rows.",
            std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
            self.chunk_rows
        )
    }
}

/// Generates a roster of `rows` rows in `dir` and imports it into a new store there.
/// `chunk_rows`: rows per transaction ([`super::import::CHUNK_ROWS`] by default).
pub fn bench_import(dir: &Path, rows: u64, chunk_rows: usize) -> anyhow::Result<ImportBenchReport> {
    let file = dir.join("roster.csv");
    let t = Instant::now();
    let bad_rows = generate(&file, rows)?;
    let generate_secs = t.elapsed().as_secs_f64();
    let file_bytes = std::fs::metadata(&file)?.len();

    let store = Store::open(&dir.join("bench.sqlite3"))?;
    let source = store.insert_data_source(&NewDataSource::ibr("Bench registry", "https://ibr.example.org"))?;
    let mut options = ImportOptions::new(source.id, SearchReason::Application, "bench");
    options.chunk_rows = chunk_rows;
    reset_peak_memory();
    let rss_before_kib = status_kib("VmRSS");
    let summary = import_file(&store, &file, &options, &AtomicBool::new(false), &mut |_| {})?;
    let peak_kib = status_kib("VmHWM");
    let queued = store.queue_counts()?.ready;
    anyhow::ensure!(
        queued == summary.queued,
        "{queued} checks are queued but the import says {}",
        summary.queued
    );
    let t = Instant::now();
    let checks_written = store.queue_roster_checks(CHECKS_SAMPLE.min(queued), crate::ibr::plan::queries_for)?;
    let checks_secs = t.elapsed().as_secs_f64();
    Ok(ImportBenchReport {
        rows,
        bad_rows,
        file,
        file_bytes,
        generate_secs,
        summary,
        rss_before_kib,
        peak_kib,
        chunk_rows,
        checks_written,
        checks_secs,
    })
}

/// Writes the roster; returns how many rows are bad.
pub(crate) fn generate(path: &Path, rows: u64) -> anyhow::Result<u64> {
    let population = Population::generate(&PopulationConfig { size: PEOPLE, seed: 42 });
    let people = population.people();
    let out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let mut w = csv::WriterBuilder::new().flexible(true).from_writer(out);
    w.write_record(["given_name", "surname", "birth_date", "sex", "id_type", "id_value"])?;
    let mut bad = 0;
    for i in 0..rows {
        let p = &people[usize::try_from(i).unwrap_or(0) % people.len()];
        let birth = p.birth_date.to_string();
        let (mut id_type, mut value) = identifier(i);
        let mut birth_date = birth.as_str();
        let mut extra = false;
        let day_first = p.birth_date.format("%d/%m/%Y").to_string();
        if i % BAD_ONE_IN == BAD_ONE_IN / 2 {
            bad += 1;
            match (i / BAD_ONE_IN) % 6 {
                0 => value.clear(),
                1 => id_type = "NID",
                2 => birth_date = &day_first,
                3 => birth_date = "2999-01-01",
                4 => extra = true,
                _ => (id_type, value) = identifier(i - 1),
            }
        }
        let sex = p.sex.as_str();
        let mut record = vec![
            p.given_name.as_str(),
            p.surname.as_str(),
            birth_date,
            sex,
            id_type,
            &value,
        ];
        if extra {
            record.push("extra");
        }
        w.write_record(&record)?;
    }
    w.flush()?;
    Ok(bad)
}

/// A unique identifier per row: a UIN, or one row in ten a BRN.
fn identifier(i: u64) -> (&'static str, String) {
    // Multiplying by a number coprime with 10^10 permutes the residues: unique, not sequential.
    let v = (u128::from(i) * 6_364_136_223_846_793 + 1_442_695_040_888_963) % 10_000_000_000;
    if i % 10 == 3 {
        ("BRN", format!("B{v:010}"))
    } else {
        ("UIN", format!("{v:010}"))
    }
}

/// Resets the peak resident memory to the current (Linux: `/proc/self/clear_refs`).
fn reset_peak_memory() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// A memory figure of this process in KiB (Linux: `/proc/self/status`).
fn status_kib(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_roster_imports_with_its_bad_rows_rejected() {
        let dir = tempfile::tempdir().expect("dir");
        let report = bench_import(dir.path(), 1_000, 100).expect("bench");
        assert_eq!(report.bad_rows, 10);
        assert_eq!(report.summary.rejected, 10, "{:?}", report.summary.reasons);
        assert_eq!(report.summary.imported, 990);
        assert_eq!(report.summary.reasons.len(), 6, "{:?}", report.summary.reasons);
        assert!(report.to_string().contains("rows/s"));
    }

    #[test]
    fn identifiers_do_not_repeat() {
        let ids: std::collections::HashSet<String> = (0..100_000).map(|i| identifier(i).1).collect();
        assert_eq!(ids.len(), 100_000);
    }
}
