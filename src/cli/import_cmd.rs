//! `ibr-desk import FILE.csv`: a roster of applicants into the store, each
//! with a queued check, through the same code as the window's Import
//! screen (`crate::roster`). The checks are not run here: `ibr-desk queue
//! run` (or the window) runs them.

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use clap::Args;
use serde_json::json;

use super::context::Context;
use super::output::{inline, say, say_err};
use crate::domain::SearchReason;
use crate::roster::{ImportOptions, MapOverride, RosterSettings};

/// How often progress is printed on a terminal.
const PROGRESS_EVERY: Duration = Duration::from_secs(2);

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The roster: CSV (UTF-8 or Windows-1252, separated by , ; tab or |) with one applicant per row.
    pub file: PathBuf,
    /// Which column holds a field: given_name, surname, birth_date, sex, id_type or id_value, then = and a
    /// header name or a column number (1 is the first); id_type=UIN gives every row that type. Columns
    /// named like the fields map without it.
    #[arg(long = "map", value_name = "FIELD=COLUMN", value_parser = parse_map)]
    pub map: Vec<MapOverride>,
    /// The data source the checks will ask (default: the only active one).
    #[arg(long)]
    pub source: Option<String>,
    /// Why the office searches: application, recertification, new_household_member or other.
    #[arg(long, default_value = "application", value_parser = parse_reason)]
    pub reason: SearchReason,
    /// Where to write the rejected rows (default: FILE with .rejected.csv, beside it; when that folder cannot
    /// be written, the data directory's rejected/ folder).
    #[arg(long, value_name = "FILE")]
    pub rejected: Option<PathBuf>,
    #[arg(long)]
    pub json: bool,
}

fn parse_map(s: &str) -> Result<MapOverride, String> {
    s.parse()
}

fn parse_reason(s: &str) -> Result<SearchReason, String> {
    s.trim().parse()
}

/// The data source named, or the only active one.
fn source(ctx: &Context, name: Option<&str>) -> anyhow::Result<crate::domain::DataSource> {
    if let Some(n) = name {
        return ctx.source_by_name(n);
    }
    let mut active: Vec<_> = ctx.store.data_sources()?.into_iter().filter(|s| s.active).collect();
    match active.len() {
        1 => Ok(active.remove(0)),
        0 => anyhow::bail!("there is no active data source for the checks: add one with `ibr-desk source add`"),
        _ => anyhow::bail!(
            "choose the data source the checks will ask with --source (there are: {})",
            active.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(", ")
        ),
    }
}

pub fn run(ctx: &Context, a: ImportArgs) -> anyhow::Result<u8> {
    let source = source(ctx, a.source.as_deref())?;
    let mut options = ImportOptions::new(source.id, a.reason, &ctx.actor());
    options.settings = RosterSettings {
        overrides: a.map.clone(),
        ..RosterSettings::default()
    };
    options.rejected_file = a.rejected.clone();
    let show_progress = !a.json && std::io::stderr().is_terminal();
    let mut last = Instant::now();
    let cancel = AtomicBool::new(false);
    let summary = crate::roster::import_file(&ctx.store, &a.file, &options, &cancel, &mut |p| {
        if show_progress && last.elapsed() >= PROGRESS_EVERY {
            last = Instant::now();
            let pct = if p.bytes_total > 0 {
                p.bytes_read as f64 * 100.0 / p.bytes_total as f64
            } else {
                0.0
            };
            say_err!(
                "… {} rows read ({pct:.0} %), {} imported, {} rejected",
                p.rows_read,
                p.imported,
                p.rejected
            );
        }
    })?;
    let rejected_file = summary.rejected_file.as_ref().map(|p| p.display().to_string());
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "roster_id": summary.roster_id,
                "file": summary.file,
                "data_source": summary.data_source_name,
                "rows_read": summary.rows_read,
                "imported": summary.imported,
                "rejected": summary.rejected,
                "queued": summary.queued,
                "blank_rows": summary.blank_rows,
                "rejected_file": rejected_file,
                "rejected_file_in_data_dir": summary.rejected_file_in_data_dir,
                "reasons": summary
                    .reasons
                    .iter()
                    .map(|(k, n)| (k.code(), *n))
                    .collect::<std::collections::BTreeMap<_, _>>(),
                "earlier_imports": summary.earlier_imports,
                "mapping": summary.mapping.describe(&summary.columns),
                "seconds": (summary.seconds * 1000.0).round() / 1000.0,
            }))?
        );
        return Ok(super::EXIT_OK);
    }
    say!(
        "Imported {} of {} row(s) from {} as roster {} in {:.1} s.",
        summary.imported,
        summary.rows_read,
        inline(&a.file.display().to_string()),
        summary.roster_id,
        summary.seconds
    );
    say!("  Columns: {}.", inline(&summary.mapping.describe(&summary.columns)));
    if summary.queued > 0 {
        say!(
            "  {} check(s) queued against “{}”: `ibr-desk queue run` runs them (the window runs them by itself).",
            summary.queued,
            inline(&summary.data_source_name)
        );
    }
    if summary.rejected_file_in_data_dir {
        say!(
            "  The folder of {} cannot be written (read-only?), so the rejected rows are in IBR Desk's data \
             folder instead.",
            inline(&a.file.display().to_string())
        );
    }
    if let Some(f) = &rejected_file {
        say!(
            "  {} row(s) rejected ({}), written with the reason for each to {}: fix them there and import that \
             file.",
            summary.rejected,
            summary.reasons_text(),
            inline(f)
        );
    }
    if summary.blank_rows > 0 {
        say!("  {} empty row(s) skipped.", summary.blank_rows);
    }
    if !summary.earlier_imports.is_empty() {
        let ids: Vec<String> = summary.earlier_imports.iter().map(i64::to_string).collect();
        say!(
            "  This file was imported before (roster {}): rows already imported were not imported again.",
            ids.join(", ")
        );
    }
    Ok(super::EXIT_OK)
}
