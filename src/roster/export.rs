//! The history (or a filter of it) as CSV: one row per check with its
//! result, the programmes that decided it, the supervisor's decision and
//! the roster it came from.
//!
//! Identifier values are masked (`******7890`) unless the person asks for
//! them in full, in their own column and wherever they appear in an
//! explanation or an error message: an export travels by e-mail and USB
//! stick. The window (`Command::ExportHistory`) and `ibr-desk export` both
//! write through [`export_history`]. The file is written beside its place
//! as `….partial` and renamed when complete, so a stopped export never
//! leaves half a file under the chosen name. Pages are read by keyset
//! (`Store::history_after`), so memory does not grow with the history.
//!
//! The file is created readable by its owner only (`private_file`), and a
//! cell that a spreadsheet would run as a formula — a name or an error
//! message starting with `=`, `+`, `-`, `@`, a tab or a carriage return —
//! is written with a leading `'` (`formula::defuse`).

use std::path::{Path, PathBuf};

use super::{RosterError, formula, private_file};
use crate::domain::{CheckFilter, DuplicationCheck, MASK_IN_FILES, QueryKind, mask_values_in};
use crate::store::Store;

/// Checks read per page.
const PAGE: u32 = 1_000;

/// The columns, in order.
pub const COLUMNS: [&str; 21] = [
    "id",
    "check_date",
    "state",
    "result",
    "identifier_type",
    "identifier_value",
    "given_name",
    "surname",
    "birth_date",
    "data_source",
    "matched_programs",
    "explanation",
    "error_message",
    "search_reason",
    "transaction_id",
    "correlation_id",
    "attempts",
    "signature",
    "review_status",
    "final_result",
    "roster_id",
];

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ExportSummary {
    pub rows: u64,
    pub path: PathBuf,
    /// Identifier values were written in full.
    pub revealed: bool,
}

/// `text` with every identifier value the check searched for masked.
fn mask_in(text: &str, check: &DuplicationCheck) -> String {
    let values = check
        .queries
        .iter()
        .filter_map(|q| match &q.kind {
            QueryKind::Identifier { value, .. } => Some(value.as_str()),
            _ => None,
        })
        .chain(Some(check.identifier_value.as_str()));
    mask_values_in(text, values, MASK_IN_FILES)
}

/// Writes the checks `filter` selects, newest first unless
/// `filter.oldest_first`, to `path`.
pub fn export_history(
    store: &Store,
    filter: &CheckFilter,
    path: &Path,
    reveal: bool,
) -> Result<ExportSummary, RosterError> {
    let mut name = path.as_os_str().to_owned();
    name.push(".partial");
    let partial = PathBuf::from(name);
    let written = write_all(store, filter, &partial, reveal);
    let rows = match written {
        Ok(n) => n,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    std::fs::rename(&partial, path).map_err(|e| RosterError::io("write", path, e))?;
    Ok(ExportSummary {
        rows,
        path: path.to_path_buf(),
        revealed: reveal,
    })
}

fn write_all(store: &Store, filter: &CheckFilter, partial: &Path, reveal: bool) -> Result<u64, RosterError> {
    let csv_error = |e: csv::Error| RosterError::Csv(format!("{}: {e}", partial.display()));
    let file = private_file::replace(partial).map_err(|e| RosterError::io("write", partial, e))?;
    let mut w = csv::Writer::from_writer(std::io::BufWriter::new(file));
    w.write_record(COLUMNS).map_err(csv_error)?;
    let mut after = None;
    let mut n = 0u64;
    loop {
        let page = store.history_after(filter, after, PAGE)?;
        let Some(last) = page.last() else { break };
        after = Some((last.check_date, last.id));
        for c in &page {
            let hide = |text: &str| {
                if reveal { text.to_string() } else { mask_in(text, c) }
            };
            let cells = [
                c.id.to_string(),
                c.check_date.to_rfc3339(),
                c.state.as_str().to_string(),
                c.result.map(|r| r.as_str().to_string()).unwrap_or_default(),
                c.identifier_type.to_string(),
                hide(&c.identifier_value),
                c.applicant.given_name.clone().unwrap_or_default(),
                c.applicant.surname.clone().unwrap_or_default(),
                c.applicant.birth_date.map(|d| d.to_string()).unwrap_or_default(),
                c.data_source_name.clone(),
                c.matched_programs.join("; "),
                hide(c.explanation.as_deref().unwrap_or_default()),
                hide(c.error_message.as_deref().unwrap_or_default()),
                c.search_reason.as_str().to_string(),
                c.transaction_id.clone().unwrap_or_default(),
                c.correlation_id.clone().unwrap_or_default(),
                c.attempts.to_string(),
                c.signature_note.clone().unwrap_or_default(),
                c.review_status.map(|r| r.as_str().to_string()).unwrap_or_default(),
                c.final_result.map(|r| r.as_str().to_string()).unwrap_or_default(),
                c.roster_id.map(|r| r.to_string()).unwrap_or_default(),
            ];
            for cell in &cells {
                w.write_field(formula::defuse(cell).as_bytes()).map_err(csv_error)?;
            }
            w.write_record(None::<&[u8]>).map_err(csv_error)?;
            n += 1;
        }
    }
    w.flush()
        .map_err(|e| RosterError::io("write (is the disk full?)", partial, e))?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::mask_identifier;

    #[test]
    fn masks_all_but_the_end() {
        assert_eq!(mask_identifier("4567890123", MASK_IN_FILES), "******0123");
        assert_eq!(mask_identifier("B2004-0012345", MASK_IN_FILES), "*********2345");
        assert_eq!(mask_identifier("123", MASK_IN_FILES), "**3");
        assert_eq!(mask_identifier("", MASK_IN_FILES), "");
    }
}
