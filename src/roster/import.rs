//! The import: a file streamed into the store, never held in memory.
//!
//! Two threads. The reading thread parses the CSV (`csv`, on the file's
//! bytes: the separators and quotes are ASCII in every encoding read), decodes
//! each row, validates it, plans its check's searches and encodes them, and
//! hands chunks of [`ImportOptions::chunk_rows`] rows over a channel that
//! holds at most two. The calling thread stores each chunk in one
//! transaction (`Store::import_roster_chunk`, which also refuses identifiers
//! already registered, by index, on disk), writes the refused rows to the
//! rejected file, reports progress and looks at the cancel flag. Memory holds
//! a few chunks whatever the file's size; a row longer than
//! [`ImportOptions::max_row_bytes`] (a quote never closed) stops the import
//! with a sentence instead of reading the rest of the file into one value.
//!
//! What is written is always whole: a chunk is stored or not; a cancelled or
//! failed import keeps the chunks stored before, their checks queued, and its
//! roster says how far it got. Importing the file again continues it: the
//! rows already imported are refused as "already registered".
//!
//! The rejected file (`<name>.rejected.csv` beside the file unless another
//! path is given) is UTF-8 with a byte order mark, with the file's separator,
//! and the columns `row`, `reason` and then the file's own columns, each
//! refused row as it was read. It is created readable by its owner only,
//! written as `….partial` and renamed at the end (removed when nothing was
//! refused). A cell a spreadsheet would run as a formula gets a leading `'`
//! (`formula`); imported again, the file's cells lose exactly that `'`, so
//! that fixing a row and importing the file works. When the roster's folder
//! cannot be written (a read-only USB stick or shared drive) and no path was
//! given, the file goes to the data directory's `rejected/` folder instead,
//! under a name of its own (`<name>.<date-time>.rejected.csv`), and the
//! summary says so (`ImportSummary::rejected_file_in_data_dir`).

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::time::Instant;

use chrono::Utc;
use sha2::{Digest as _, Sha256};

use super::mapping::{ColumnMapping, Field};
use super::sniff::{Encoding, Format, Sniffed, sniff_file};
use super::validate::{RejectKind, Rejection, Validator};
use super::{RosterError, RosterSettings, formula, private_file};
use crate::clock;
use crate::domain::{IdType, NewRegistrant, SearchReason};
use crate::store::{EntryOutcome, NewRoster, RosterEntry, RosterStatus, Store};

/// The rejected-rows file's own first columns (the roster's follow).
pub const REJECTED_FILE_COLUMNS: [&str; 2] = ["row", "reason"];

/// Rows per transaction: large enough that the commit (writing the pages
/// the chunk changed) is a small part of the cost, small enough that a
/// cancel is obeyed within about a second and memory stays small. Measured
/// on 300,000 rows (2 cores): 10,000 → 23,000 rows/s and 87 MiB during the
/// import; 25,000 → 27,000 rows/s and 107 MiB; 50,000 → no faster, 177 MiB.
pub const CHUNK_ROWS: usize = 25_000;

/// The longest row read (a quote never closed makes the rest of the file one row).
pub const MAX_ROW_BYTES: u64 = 64 << 20;

/// The CSV reader's buffer.
const READ_BUFFER_BYTES: usize = 256 << 10;

/// Chunks read ahead of the writer (the reader is several times faster:
/// one is enough to keep the writer busy).
const CHUNKS_AHEAD: usize = 1;

/// What an import needs besides the file.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub settings: RosterSettings,
    /// The registry the checks will ask.
    pub data_source_id: i64,
    pub reason: SearchReason,
    /// Who imports, for the audit log.
    pub actor: String,
    /// Where the refused rows go (default: `<name>.rejected.csv` beside the file).
    pub rejected_file: Option<PathBuf>,
    pub chunk_rows: usize,
    pub max_row_bytes: u64,
}

impl ImportOptions {
    pub fn new(data_source_id: i64, reason: SearchReason, actor: &str) -> ImportOptions {
        ImportOptions {
            settings: RosterSettings::default(),
            data_source_id,
            reason,
            actor: actor.to_string(),
            rejected_file: None,
            chunk_rows: CHUNK_ROWS,
            max_row_bytes: MAX_ROW_BYTES,
        }
    }
}

/// How far an import is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportProgress {
    pub roster_id: i64,
    /// Rows read after the header (empty rows included).
    pub rows_read: u64,
    pub bytes_read: u64,
    pub bytes_total: u64,
    pub imported: u64,
    pub rejected: u64,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ImportSummary {
    pub roster_id: i64,
    pub file: PathBuf,
    pub format: Format,
    pub columns: Vec<String>,
    pub mapping: ColumnMapping,
    pub data_source_name: String,
    /// Rows read after the header (empty rows included).
    pub rows_read: u64,
    /// Registrants created.
    pub imported: u64,
    pub rejected: u64,
    /// Checks queued (one per registrant created).
    pub queued: u64,
    /// Rows with no value at all, skipped.
    pub blank_rows: u64,
    /// Where the refused rows are (`None` when no row was refused).
    pub rejected_file: Option<PathBuf>,
    /// `rejected_file` is in the data directory's [`REJECTED_FOLDER`]: the
    /// roster's own folder cannot be written (a read-only USB stick or drive).
    pub rejected_file_in_data_dir: bool,
    /// The officer stopped it; the rows after `rows_read` were not read.
    pub cancelled: bool,
    pub seconds: f64,
    /// How many rows were refused for each kind of reason.
    pub reasons: Vec<(RejectKind, u64)>,
    /// Earlier rosters of exactly these bytes.
    pub earlier_imports: Vec<i64>,
}

impl ImportSummary {
    /// The reasons in words: `2 malformed birth date, 1 missing identifier`.
    pub fn reasons_text(&self) -> String {
        self.reasons
            .iter()
            .map(|(k, n)| format!("{n} {}", k.label()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The first rows of a file as they would be imported.
#[derive(Debug, Clone, PartialEq)]
pub struct RosterPreview {
    pub path: PathBuf,
    pub bytes_total: u64,
    /// What the file looks like, as detected.
    pub detected: Format,
    /// As it will be read (detected, with the officer's overrides).
    pub format: Format,
    pub columns: Vec<String>,
    /// The mapping guessed from the header.
    pub guessed: ColumnMapping,
    /// The mapping that will be used.
    pub mapping: ColumnMapping,
    /// Why rows cannot be read with that mapping yet (a sentence), if so.
    pub mapping_problem: Option<String>,
    pub rows: Vec<PreviewRow>,
    /// More rows follow the ones shown.
    pub more_rows: bool,
}

/// One row of a preview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewRow {
    pub row: u64,
    /// One value per [`Field::ALL`], as it would be stored (or as read when refused).
    pub values: Vec<String>,
    /// Why it would be refused.
    pub problem: Option<String>,
}

/// The first `limit` rows of `path` read with `settings` and checked as
/// the import would check them (duplicates among them, and against `store`).
pub fn preview(
    store: Option<&Store>,
    path: &Path,
    settings: &RosterSettings,
    limit: usize,
) -> Result<RosterPreview, RosterError> {
    let sniffed = sniff_file(path, settings)?;
    let (guessed, mapping) = resolve_mapping(&sniffed, settings);
    let (mapping, mapping_problem) = match mapping {
        Ok(m) => (m, None),
        Err((m, why)) => (m, Some(why)),
    };
    let format = sniffed.format;
    let mut reader = open_csv(path, format, MAX_ROW_BYTES)?;
    let mut record = csv::ByteRecord::new();
    let mut row = 0u64;
    if format.has_header {
        next_record(&mut reader, &mut record, path, 1, MAX_ROW_BYTES)?;
        row = 1;
    }
    let validator = Validator::new(mapping.clone(), sniffed.columns.len(), clock::today());
    let mut seen: HashMap<(IdType, String), u64> = HashMap::new();
    let mut rows = Vec::new();
    let mut more_rows = false;
    while next_record(&mut reader, &mut record, path, row + 1, MAX_ROW_BYTES)? {
        row += 1;
        if is_blank(&record) {
            continue;
        }
        if rows.len() == limit {
            more_rows = true;
            break;
        }
        let fields: Vec<Cow<'_, str>> = record
            .iter()
            .map(|f| read_back(format.encoding.decode_lossless(f), sniffed.rejected_rows))
            .collect();
        let raw = |f: Field| -> String {
            match f {
                Field::IdType if mapping.get(Field::IdType).is_none() => mapping
                    .fixed_id_type
                    .as_ref()
                    .map(|t| t.to_string())
                    .unwrap_or_default(),
                _ => mapping
                    .get(f)
                    .and_then(|i| fields.get(i))
                    .map(|v| shorten(v.trim()))
                    .unwrap_or_default(),
            }
        };
        let not_text = format.encoding.is_utf8() && record.iter().any(|f| std::str::from_utf8(f).is_err());
        let checked = if mapping_problem.is_some() {
            Err(None)
        } else if not_text {
            Err(Some(Rejection::NotText))
        } else {
            validator.check(&fields).map_err(Some)
        };
        let (values, problem) = match checked {
            Ok(r) => {
                let id = &r.identifiers[0];
                let problem = match seen.get(&(id.id_type.clone(), id.value.clone())) {
                    Some(first) => Some(Rejection::DuplicateInFile {
                        id_type: id.id_type.clone(),
                        first_row: Some(*first),
                    }),
                    None => match store.map(|s| s.identifier_owner(&id.id_type, &id.value)).transpose()? {
                        Some(Some(owner)) => Some(Rejection::duplicate(id.id_type.clone(), owner, None)),
                        _ => None,
                    },
                };
                seen.entry((id.id_type.clone(), id.value.clone())).or_insert(row);
                (stored_values(&r), problem.map(|p| p.to_string()))
            }
            Err(why) => (Field::ALL.into_iter().map(raw).collect(), why.map(|w| w.to_string())),
        };
        rows.push(PreviewRow { row, values, problem });
    }
    Ok(RosterPreview {
        path: path.to_path_buf(),
        bytes_total: sniffed.bytes_total,
        detected: sniffed.detected,
        format,
        columns: sniffed.columns,
        guessed,
        mapping,
        mapping_problem,
        rows,
        more_rows,
    })
}

/// The values of a valid row as they will be stored, one per field.
fn stored_values(r: &NewRegistrant) -> Vec<String> {
    let id = &r.identifiers[0];
    vec![
        r.given_name.clone().unwrap_or_default(),
        r.surname.clone().unwrap_or_default(),
        r.birth_date.map(|d| d.to_string()).unwrap_or_default(),
        r.sex.as_ref().map(|s| s.as_str().to_string()).unwrap_or_default(),
        id.id_type.to_string(),
        id.value.clone(),
    ]
}

fn shorten(s: &str) -> String {
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(60).collect::<String>())
    } else {
        s.to_string()
    }
}

/// The guess, and the mapping to use or (with it) why rows cannot be read with it.
#[allow(clippy::type_complexity)]
fn resolve_mapping(
    sniffed: &Sniffed,
    settings: &RosterSettings,
) -> (ColumnMapping, Result<ColumnMapping, (ColumnMapping, String)>) {
    let guessed = ColumnMapping::guess(&sniffed.columns);
    let mut mapping = settings.mapping.clone().unwrap_or_else(|| guessed.clone());
    if let Err(why) = mapping.apply(&settings.overrides, &sniffed.columns) {
        return (guessed, Err((mapping, why)));
    }
    match mapping.check(&sniffed.columns) {
        Ok(()) => (guessed, Ok(mapping)),
        Err(why) => (guessed, Err((mapping, why))),
    }
}

/// `<dir>/<stem>.rejected.csv` for `<dir>/<stem>.<ext>`.
pub fn default_rejected_path(path: &Path) -> PathBuf {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "roster".into());
    path.with_file_name(format!("{stem}.rejected.csv"))
}

/// Imports the roster at `path`: see the module's documentation. `progress`
/// is called after each chunk; setting `cancel` stops after the chunk being
/// stored. An error before the first row (the file cannot be read, the
/// columns cannot be mapped, the data source does not exist) creates no
/// roster.
pub fn import_file(
    store: &Store,
    path: &Path,
    options: &ImportOptions,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(&ImportProgress),
) -> Result<ImportSummary, RosterError> {
    let started = Instant::now();
    let sniffed = sniff_file(path, &options.settings)?;
    let mapping = resolve_mapping(&sniffed, &options.settings)
        .1
        .map_err(|(_, why)| RosterError::Mapping(why))?;
    let rejected_file = open_rejected_file(store, path, options, &sniffed)?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let roster = match store.begin_roster(&NewRoster {
        file_name,
        data_source_id: options.data_source_id,
        search_reason: options.reason,
        actor: options.actor.clone(),
    }) {
        Ok(r) => r,
        Err(e) => {
            rejected_file.discard();
            return Err(e.into());
        }
    };
    let mut run = Run {
        store,
        roster_id: roster.id,
        encoding: sniffed.format.encoding,
        rejected_rows: sniffed.rejected_rows,
        rejected_file,
        progress: ImportProgress {
            roster_id: roster.id,
            bytes_total: sniffed.bytes_total,
            ..ImportProgress::default()
        },
        blank_rows: 0,
        reasons: BTreeMap::new(),
    };
    progress(&run.progress);
    let reading = Reading {
        path,
        format: sniffed.format,
        rejected_rows: sniffed.rejected_rows,
        validator: Validator::new(mapping.clone(), sniffed.columns.len(), clock::today()),
        chunk_rows: options.chunk_rows.max(1),
        max_row_bytes: options.max_row_bytes,
    };
    let (tx, rx) = sync_channel(CHUNKS_AHEAD);
    let ended = std::thread::scope(|scope| {
        scope.spawn(|| reading.run(&tx));
        let ended = run.store_chunks(&rx, cancel, progress);
        drop(rx);
        ended
    });
    drop(tx);
    run.finish(ended, path, &sniffed, mapping, roster.data_source_name, started)
}

/// The folder of the data directory where the rejected rows go when the
/// roster's own folder cannot be written.
pub const REJECTED_FOLDER: &str = "rejected";

/// Opens the rejected rows' file: the one asked for; else beside the roster;
/// else — only when the roster's folder cannot be written (a read-only USB
/// stick or shared drive) — a file of its own in the data directory's
/// [`REJECTED_FOLDER`] (created owner-only), named after the roster and the
/// time, never over another import's.
fn open_rejected_file(
    store: &Store,
    path: &Path,
    options: &ImportOptions,
    sniffed: &Sniffed,
) -> Result<RejectedFile, RosterError> {
    let (delimiter, columns) = (sniffed.format.delimiter, sniffed.columns.as_slice());
    let target = options
        .rejected_file
        .clone()
        .unwrap_or_else(|| default_rejected_path(path));
    if same_file(&target, path) {
        return Err(RosterError::Mapping(
            "the rejected rows cannot be written over the file being imported: choose another file for them".into(),
        ));
    }
    let partial = partial_path(&target);
    let beside = match private_file::replace(&partial) {
        Ok(file) => return RejectedFile::create(&target, partial, file, delimiter, columns, false),
        Err(e) => e,
    };
    let data_dir = store.path().and_then(Path::parent);
    let (None, true, Some(data_dir)) = (&options.rejected_file, folder_not_writable(&beside), data_dir) else {
        return Err(RosterError::io("write the rejected rows to", &partial, beside));
    };
    let folder = data_dir.join(REJECTED_FOLDER);
    private_file::create_dir_all(&folder)
        .map_err(|e| RosterError::io("create the folder for the rejected rows", &folder, e))?;
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "roster".into());
    let stamp = clock::local(Utc::now()).format("%Y-%m-%d-%H%M%S");
    for n in 1..=1_000u32 {
        let suffix = if n == 1 { String::new() } else { format!("-{n}") };
        let target = folder.join(format!("{stem}.{stamp}{suffix}.rejected.csv"));
        if target.exists() {
            continue;
        }
        let partial = partial_path(&target);
        match private_file::create_new(&partial) {
            Ok(file) => return RejectedFile::create(&target, partial, file, delimiter, columns, true),
            // Another import took this name a moment ago.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(RosterError::io("write the rejected rows to", &partial, e)),
        }
    }
    Err(RosterError::io(
        "find a free name for the rejected rows in",
        &folder,
        std::io::Error::from(std::io::ErrorKind::AlreadyExists),
    ))
}

/// Whether creating a file failed because its folder may not be written
/// (read-only media or file system, no permission), rather than for a
/// reason another folder would not fix.
fn folder_not_writable(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem
    )
}

/// `<path>.partial`: where a file is written until it is complete.
fn partial_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".partial");
    PathBuf::from(name)
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

/// How the reading ended, as the writer saw it.
enum Ended {
    /// Every row was read; the file's SHA-256.
    Complete(String),
    Cancelled,
    Failed(RosterError),
}

/// What the reading thread sends.
enum Message {
    Chunk(Chunk),
    End { fingerprint: String },
}

/// Rows read, in the file's order.
struct Chunk {
    /// The valid rows, in order.
    entries: Vec<RosterEntry>,
    /// Every non-blank row: its number, its bytes, and why it was refused
    /// (`None`: valid, the next of `entries`).
    rows: Vec<(u64, Option<Rejection>)>,
    raw: RawRows,
    /// Totals through this chunk.
    rows_read: u64,
    bytes_read: u64,
    blank_rows: u64,
}

/// The bytes of a chunk's rows, in one buffer (a refused row is written back as read).
#[derive(Default)]
struct RawRows {
    bytes: Vec<u8>,
    /// End of each field in `bytes`.
    ends: Vec<usize>,
    /// End of each row in `ends`.
    rows: Vec<usize>,
}

impl RawRows {
    fn push(&mut self, record: &csv::ByteRecord) {
        for f in record {
            self.bytes.extend_from_slice(f);
            self.ends.push(self.bytes.len());
        }
        self.rows.push(self.ends.len());
    }

    fn fields(&self, i: usize) -> impl Iterator<Item = &[u8]> {
        let first = if i == 0 { 0 } else { self.rows[i - 1] };
        (first..self.rows[i]).map(move |f| {
            let start = if f == 0 { 0 } else { self.ends[f - 1] };
            &self.bytes[start..self.ends[f]]
        })
    }
}

/// The reading thread's work.
struct Reading<'a> {
    path: &'a Path,
    format: Format,
    /// The file is a rejected-rows file of ours: cells are read back with `formula::restore`.
    rejected_rows: bool,
    validator: Validator,
    chunk_rows: usize,
    max_row_bytes: u64,
}

impl Reading<'_> {
    fn run(&self, tx: &SyncSender<Result<Message, RosterError>>) {
        if let Err(e) = self.read(tx) {
            let _ = tx.send(Err(e));
        }
    }

    fn read(&self, tx: &SyncSender<Result<Message, RosterError>>) -> Result<(), RosterError> {
        let mut reader = open_csv(self.path, self.format, self.max_row_bytes)?;
        let read = reader.get_ref().read.clone();
        let mut record = csv::ByteRecord::new();
        let mut row = 0u64;
        if self.format.has_header {
            next_record(&mut reader, &mut record, self.path, 1, self.max_row_bytes)?;
            row = 1;
        }
        let first_data_row = row;
        let mut chunk = Chunk::new(self.chunk_rows);
        loop {
            match next_record(&mut reader, &mut record, self.path, row + 1, self.max_row_bytes) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    // What was read before the error is stored first.
                    chunk.rows_read = row - first_data_row;
                    chunk.bytes_read = read.load(Ordering::Relaxed);
                    let _ = tx.send(Ok(Message::Chunk(chunk)));
                    return Err(e);
                }
            }
            row += 1;
            if is_blank(&record) {
                chunk.blank_rows += 1;
            } else {
                self.classify(&mut chunk, row, &record);
            }
            if chunk.rows.len() + usize::try_from(chunk.blank_rows).unwrap_or(0) >= self.chunk_rows {
                chunk.rows_read = row - first_data_row;
                chunk.bytes_read = read.load(Ordering::Relaxed);
                let full = std::mem::replace(&mut chunk, Chunk::new(self.chunk_rows));
                if tx.send(Ok(Message::Chunk(full))).is_err() {
                    return Ok(()); // the writer stopped (cancelled or failed)
                }
            }
        }
        chunk.rows_read = row - first_data_row;
        chunk.bytes_read = read.load(Ordering::Relaxed);
        if (!chunk.rows.is_empty() || chunk.blank_rows > 0) && tx.send(Ok(Message::Chunk(chunk))).is_err() {
            return Ok(());
        }
        let tracked = reader.into_inner();
        let fingerprint = tracked.hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
        let _ = tx.send(Ok(Message::End { fingerprint }));
        Ok(())
    }

    fn classify(&self, chunk: &mut Chunk, row: u64, record: &csv::ByteRecord) {
        chunk.raw.push(record);
        let fields: Option<Vec<Cow<'_, str>>> = record
            .iter()
            .map(|f| self.format.encoding.decode(f).map(|v| read_back(v, self.rejected_rows)))
            .collect();
        let Some(fields) = fields else {
            chunk.rows.push((row, Some(Rejection::NotText)));
            return;
        };
        match self.validator.check(&fields) {
            Ok(new) => match RosterEntry::new(row, new) {
                Ok(e) => {
                    chunk.entries.push(e);
                    chunk.rows.push((row, None));
                }
                // Not reachable: a valid row has an identifier.
                Err(_) => chunk.rows.push((row, Some(Rejection::MissingIdentifier))),
            },
            Err(why) => chunk.rows.push((row, Some(why))),
        }
    }
}

impl Chunk {
    fn new(rows: usize) -> Chunk {
        Chunk {
            entries: Vec::with_capacity(rows),
            rows: Vec::with_capacity(rows),
            raw: RawRows::default(),
            rows_read: 0,
            bytes_read: 0,
            blank_rows: 0,
        }
    }
}

/// The writer's side of an import.
struct Run<'a> {
    store: &'a Store,
    roster_id: i64,
    encoding: Encoding,
    /// Read cells back with `formula::restore` before writing them again.
    rejected_rows: bool,
    rejected_file: RejectedFile,
    progress: ImportProgress,
    blank_rows: u64,
    reasons: BTreeMap<RejectKind, u64>,
}

impl Run<'_> {
    fn store_chunks(
        &mut self,
        rx: &Receiver<Result<Message, RosterError>>,
        cancel: &AtomicBool,
        progress: &mut dyn FnMut(&ImportProgress),
    ) -> Ended {
        loop {
            if cancel.load(Ordering::Relaxed) {
                return Ended::Cancelled;
            }
            let message = match rx.recv() {
                Ok(Ok(m)) => m,
                Ok(Err(e)) => return Ended::Failed(e),
                Err(_) => return Ended::Failed(RosterError::Csv("the file's reader stopped unexpectedly".into())),
            };
            match message {
                Message::End { fingerprint } => return Ended::Complete(fingerprint),
                Message::Chunk(chunk) => {
                    if let Err(e) = self.store_chunk(chunk) {
                        return Ended::Failed(e);
                    }
                    progress(&self.progress);
                }
            }
        }
    }

    fn store_chunk(&mut self, chunk: Chunk) -> Result<(), RosterError> {
        let refused_before = chunk.rows.iter().filter(|(_, why)| why.is_some()).count() as u64;
        let outcomes =
            self.store
                .import_roster_chunk(self.roster_id, &chunk.entries, chunk.rows_read, refused_before)?;
        let mut outcomes = outcomes.into_iter().zip(&chunk.entries);
        for (i, (row, why)) in chunk.rows.iter().enumerate() {
            let why = match why {
                Some(why) => Cow::Borrowed(why),
                None => match outcomes.next() {
                    Some((EntryOutcome::Imported { .. }, _)) => {
                        self.progress.imported += 1;
                        continue;
                    }
                    Some((EntryOutcome::AlreadyRegistered(owner), e)) => {
                        let id_type = e.registrant().identifiers[0].id_type.clone();
                        Cow::Owned(Rejection::duplicate(id_type, owner, Some(self.roster_id)))
                    }
                    None => continue,
                },
            };
            self.progress.rejected += 1;
            *self.reasons.entry(why.kind()).or_insert(0) += 1;
            self.rejected_file.write(
                *row,
                &why.to_string(),
                chunk.raw.fields(i),
                self.encoding,
                self.rejected_rows,
            )?;
        }
        self.rejected_file.flush()?;
        self.blank_rows += chunk.blank_rows;
        self.progress.rows_read = chunk.rows_read;
        self.progress.bytes_read = chunk.bytes_read;
        Ok(())
    }

    fn finish(
        self,
        ended: Ended,
        path: &Path,
        sniffed: &Sniffed,
        mapping: ColumnMapping,
        data_source_name: String,
        started: Instant,
    ) -> Result<ImportSummary, RosterError> {
        let Run {
            store,
            roster_id,
            rejected_file,
            progress,
            blank_rows,
            reasons,
            ..
        } = self;
        let in_data_dir = rejected_file.in_data_dir;
        let kept = rejected_file.finish();
        let (status, fingerprint, error) = match &ended {
            Ended::Complete(f) => (RosterStatus::Finished, Some(f.as_str()), None),
            Ended::Cancelled => (RosterStatus::Cancelled, None, None),
            Ended::Failed(e) => (RosterStatus::Failed, None, Some(e.to_string())),
        };
        let kept_text = kept
            .as_ref()
            .ok()
            .and_then(|p| p.as_ref())
            .map(|p| p.display().to_string());
        let earlier = match fingerprint {
            Some(f) => store
                .rosters_with_fingerprint(f)
                .map(|r| r.into_iter().map(|r| r.id).collect()),
            None => Ok(Vec::new()),
        };
        let finished = store.finish_roster(
            roster_id,
            status,
            progress.rows_read,
            0,
            fingerprint,
            kept_text.as_deref(),
            error.as_deref(),
        );
        match ended {
            Ended::Failed(e) => {
                return Err(RosterError::Interrupted {
                    roster_id,
                    imported: progress.imported,
                    detail: e.to_string(),
                });
            }
            Ended::Complete(_) | Ended::Cancelled => {}
        }
        let interrupted = |detail: String| RosterError::Interrupted {
            roster_id,
            imported: progress.imported,
            detail,
        };
        let rejected_file = kept.map_err(|e| interrupted(e.to_string()))?;
        let roster = finished.map_err(|e| interrupted(e.to_string()))?;
        Ok(ImportSummary {
            roster_id,
            file: path.to_path_buf(),
            format: sniffed.format,
            columns: sniffed.columns.clone(),
            mapping,
            data_source_name,
            rows_read: roster.rows_read,
            imported: roster.imported,
            rejected: roster.rejected,
            queued: roster.imported,
            blank_rows,
            rejected_file_in_data_dir: in_data_dir && rejected_file.is_some(),
            rejected_file,
            cancelled: roster.status == RosterStatus::Cancelled,
            seconds: started.elapsed().as_secs_f64(),
            reasons: reasons.into_iter().collect(),
            earlier_imports: earlier
                .unwrap_or_default()
                .into_iter()
                .filter(|&id| id != roster_id)
                .collect(),
        })
    }
}

/// The file being read, with what the import needs to know of it: bytes
/// read (progress), the SHA-256 of everything read (the fingerprint), and a
/// stop when one row grows past the limit.
struct Tracked {
    inner: File,
    read: Arc<AtomicU64>,
    /// Where the row being read began.
    row_start: Arc<AtomicU64>,
    limit: u64,
    hash: Sha256,
}

/// The marker of a row longer than the limit.
#[derive(Debug)]
struct TooLong;

impl std::fmt::Display for TooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a row is longer than the limit")
    }
}

impl std::error::Error for TooLong {}

impl Read for Tracked {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let total = self.read.load(Ordering::Relaxed);
        if total.saturating_sub(self.row_start.load(Ordering::Relaxed)) > self.limit {
            return Err(std::io::Error::other(TooLong));
        }
        let n = self.inner.read(buf)?;
        self.hash.update(&buf[..n]);
        self.read.store(total + n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

fn csv_builder(format: Format) -> csv::ReaderBuilder {
    let mut b = csv::ReaderBuilder::new();
    b.has_headers(false)
        .flexible(true)
        .delimiter(format.delimiter)
        .buffer_capacity(READ_BUFFER_BYTES);
    b
}

/// The file as a CSV reader that stops at a row longer than `max_row_bytes`.
fn open_csv(path: &Path, format: Format, max_row_bytes: u64) -> Result<csv::Reader<Tracked>, RosterError> {
    let file = File::open(path).map_err(|e| RosterError::io("open", path, e))?;
    let tracked = Tracked {
        inner: file,
        read: Arc::new(AtomicU64::new(0)),
        row_start: Arc::new(AtomicU64::new(0)),
        limit: max_row_bytes.saturating_add(READ_BUFFER_BYTES as u64),
        hash: Sha256::new(),
    };
    Ok(csv_builder(format).from_reader(tracked))
}

/// Reads the next record (`row` is its number); a row too long becomes
/// [`RosterError::RowTooLong`].
fn next_record(
    reader: &mut csv::Reader<Tracked>,
    record: &mut csv::ByteRecord,
    path: &Path,
    row: u64,
    max_row_bytes: u64,
) -> Result<bool, RosterError> {
    let ok = reader.read_byte_record(record).map_err(|e| match e.kind() {
        csv::ErrorKind::Io(io) if io.get_ref().is_some_and(|i| i.is::<TooLong>()) => RosterError::RowTooLong {
            row,
            limit_mib: max_row_bytes >> 20,
        },
        _ => read_error(path, e),
    })?;
    if ok {
        let at = reader.position().byte();
        reader.get_ref().row_start.store(at, Ordering::Relaxed);
    }
    Ok(ok)
}

fn read_error(path: &Path, e: csv::Error) -> RosterError {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => RosterError::io("read", path, io),
        other => RosterError::NotCsv(format!("{} cannot be read as CSV: {other:?}", path.display())),
    }
}

/// A decoded cell as the roster's author wrote it: a cell of a rejected-rows
/// file of ours loses the `'` [`formula::defuse`] gave it.
fn read_back(cell: Cow<'_, str>, rejected_rows: bool) -> Cow<'_, str> {
    if !rejected_rows {
        return cell;
    }
    match cell {
        Cow::Borrowed(c) => formula::restore(c),
        Cow::Owned(c) => Cow::Owned(formula::restore(&c).into_owned()),
    }
}

/// A row with no value (spreadsheets add them at the end).
fn is_blank(record: &csv::ByteRecord) -> bool {
    record.iter().all(|f| f.iter().all(u8::is_ascii_whitespace))
}

/// The rejected rows' file, written as `….partial` until the end.
struct RejectedFile {
    path: PathBuf,
    partial: PathBuf,
    writer: csv::Writer<BufWriter<File>>,
    written: u64,
    /// In the data directory, because the roster's folder cannot be written.
    in_data_dir: bool,
}

impl RejectedFile {
    /// Starts the file that becomes `path`, in `partial` (created owner-only as `file`).
    fn create(
        path: &Path,
        partial: PathBuf,
        file: File,
        delimiter: u8,
        columns: &[String],
        in_data_dir: bool,
    ) -> Result<RejectedFile, RosterError> {
        let mut file = BufWriter::new(file);
        file.write_all(b"\xEF\xBB\xBF")
            .map_err(|e| RosterError::io("write the rejected rows to", &partial, e))?;
        let mut writer = csv::WriterBuilder::new()
            .flexible(true)
            .delimiter(delimiter)
            .from_writer(file);
        let header = REJECTED_FILE_COLUMNS
            .into_iter()
            .chain(columns.iter().map(String::as_str))
            .map(|c| formula::defuse(c).into_owned());
        writer
            .write_record(header)
            .map_err(|e| RosterError::Csv(format!("{}: {e}", partial.display())))?;
        Ok(RejectedFile {
            path: path.to_path_buf(),
            partial,
            writer,
            written: 0,
            in_data_dir,
        })
    }

    /// Writes one refused row: its number, the reason, and its cells as read
    /// (`rejected_rows`: read back from a rejected-rows file of ours), each
    /// defused for spreadsheets.
    fn write<'b>(
        &mut self,
        row: u64,
        reason: &str,
        fields: impl Iterator<Item = &'b [u8]>,
        encoding: Encoding,
        rejected_rows: bool,
    ) -> Result<(), RosterError> {
        let row = row.to_string();
        let mut record = csv::StringRecord::new();
        record.push_field(&row);
        record.push_field(&formula::defuse(reason));
        for f in fields {
            let cell = read_back(encoding.decode_lossless(f), rejected_rows);
            record.push_field(&formula::defuse(&cell));
        }
        self.writer
            .write_record(&record)
            .map_err(|e| RosterError::Csv(format!("{}: {e}", self.partial.display())))?;
        self.written += 1;
        Ok(())
    }

    fn flush(&mut self) -> Result<(), RosterError> {
        self.writer
            .flush()
            .map_err(|e| RosterError::io("write the rejected rows to", &self.partial, e))
    }

    /// Renames the file into place (`Some`) or removes it when empty (`None`).
    fn finish(mut self) -> Result<Option<PathBuf>, RosterError> {
        self.flush()?;
        drop(self.writer);
        if self.written == 0 {
            let _ = std::fs::remove_file(&self.partial);
            return Ok(None);
        }
        std::fs::rename(&self.partial, &self.path)
            .map_err(|e| RosterError::io("write the rejected rows to", &self.path, e))?;
        Ok(Some(self.path))
    }

    fn discard(self) {
        drop(self.writer);
        let _ = std::fs::remove_file(&self.partial);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_rows_give_back_each_row() {
        let mut raw = RawRows::default();
        raw.push(&csv::ByteRecord::from(vec!["a", "bb", ""]));
        raw.push(&csv::ByteRecord::from(vec!["", "c"]));
        let first: Vec<&[u8]> = raw.fields(0).collect();
        let second: Vec<&[u8]> = raw.fields(1).collect();
        assert_eq!(first, [&b"a"[..], b"bb", b""]);
        assert_eq!(second, [&b""[..], b"c"]);
    }

    #[test]
    fn the_rejected_file_sits_beside_the_roster() {
        assert_eq!(
            default_rejected_path(Path::new("/data/may roster.csv")),
            Path::new("/data/may roster.rejected.csv")
        );
        assert_eq!(
            default_rejected_path(Path::new("roster.rejected.csv")),
            Path::new("roster.rejected.rejected.csv")
        );
    }
}
