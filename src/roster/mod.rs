//! Rosters: CSV files of applicants, imported in bulk with a queued check
//! for each, and the history exported back to CSV.
//!
//! - [`sniff`] reads the start of a file and tells its encoding (UTF-8 with
//!   or without a byte order mark, or Windows-1252), its separator (`,` `;`
//!   tab `|`) and whether the first row names the columns;
//! - [`mapping`] says which column holds which field, guessed from the
//!   header names (any case, accents, common synonyms) and changeable;
//! - [`validate`] checks one row and says in a sentence what is wrong;
//! - [`import`] streams a file through all of that into the store, chunk by
//!   chunk, with progress and cancellation, and writes the rows it refused to
//!   a CSV the officer can fix and import again;
//! - [`export`] writes the history (or a filter of it) to CSV, identifier
//!   values masked unless asked;
//! - [`formula`] keeps a spreadsheet from running a cell of the files
//!   written as a formula (and reads the rejected-rows file back as it was);
//! - `private_file` creates those files readable by their owner only.
//!
//! What this module does not do: SQL (the store does, `store::rosters`), or
//! running checks (the engine picks the queued checks up like any other).
//! The file format and the rules are described for officers in
//! `docs/ROSTERS.md`.

pub mod bench;
pub mod export;
pub mod formula;
pub mod import;
pub mod mapping;
mod private_file;
pub mod sniff;
pub mod validate;

use std::path::PathBuf;

pub use export::{ExportSummary, export_history};
pub use import::{ImportOptions, ImportProgress, ImportSummary, PreviewRow, RosterPreview, import_file, preview};
pub use mapping::{ColumnMapping, Field, MapOverride};
pub use sniff::{Encoding, Format};
pub use validate::{RejectKind, Rejection};

use crate::store::StoreError;

/// How to read a file, where the officer overrides what was detected.
/// Every `None` means "as detected" (or, for the mapping, "as guessed").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RosterSettings {
    pub encoding: Option<Encoding>,
    pub delimiter: Option<u8>,
    pub has_header: Option<bool>,
    /// A whole mapping chosen in the window (column indexes of this file's format).
    pub mapping: Option<ColumnMapping>,
    /// `field=column` from the command line, applied on top of the mapping.
    pub overrides: Vec<MapOverride>,
}

/// Why a file cannot be previewed, imported or exported. Each is a sentence
/// an officer can act on (`Display`).
#[derive(Debug, thiserror::Error)]
pub enum RosterError {
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the file {} is empty: there is nothing to import", .0.display())]
    Empty(PathBuf),
    #[error("the file {} has a header row but no applicants under it", .0.display())]
    HeaderOnly(PathBuf),
    #[error("{0}")]
    NotCsv(String),
    /// The columns cannot be mapped to the fields (the sentence says why and what to do).
    #[error("{0}")]
    Mapping(String),
    #[error(
        "row {row} is longer than {limit_mib} MiB: a quote is probably never closed there, so the rest of the \
         file reads as one value; close the quote and try again"
    )]
    RowTooLong { row: u64, limit_mib: u64 },
    #[error(
        "the import stopped after {imported} row(s) were imported (roster {roster_id}): {detail}. The rows \
         imported are kept with their checks queued; import the file again to continue (rows already \
         imported are recognised and not imported twice)"
    )]
    Interrupted {
        roster_id: i64,
        imported: u64,
        detail: String,
    },
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("cannot write the CSV: {0}")]
    Csv(String),
}

impl RosterError {
    fn io(action: &'static str, path: &std::path::Path, source: std::io::Error) -> RosterError {
        RosterError::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    }
}
