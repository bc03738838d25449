//! The SQLite store: the only module of IBR Desk that contains SQL.
//!
//! Why one module: every rule about what may be written — a check is
//! completed once, a failed check has no result, the audit log only grows, a
//! secret never reaches the disk — is enforced here, in one transaction per
//! change, and can be reviewed in one place. The layers above speak domain
//! types ([`crate::domain`]) and never see a connection.
//!
//! Why SQLite in WAL mode with a writer and a few readers: a desktop app has
//! one writer (the engine and the UI take turns through one
//! `Mutex<Connection>`) and readers that must not wait for it (the history
//! view scrolls while a batch of 5,000 results is written). WAL lets
//! read-only connections read the last committed state while the writer
//! works; there are [`READERS`] of them, so that one slow read (a count of
//! a large history) does not hold up another (the review queue, a check's
//! detail). `synchronous=NORMAL` is
//! durable across application crashes; the last transactions may be lost on a
//! power cut, which costs a re-check, never a wrong result.
//!
//! Why the file is owner-only (0600, folder 0700): it holds applicants' names
//! and identifiers. Client secrets are not in it at all (OS keyring).
//!
//! Write transactions are `IMMEDIATE`: they take the write lock first, so two
//! processes on one file wait for each other (`busy_timeout` 5 s) instead of
//! failing half-way.

mod audit;
pub mod bench;
mod checks;
mod codec;
mod error_kind;
mod history;
mod installation;
mod migrations;
pub mod paths;
mod query_counts;
mod reader_pool;
mod registrants;
mod reviews;
mod roster_checks;
mod rosters;
mod senders;
mod settings;
mod sources;
mod synthetic;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags, Transaction, TransactionBehavior};

use query_counts::Counters;
use reader_pool::ReaderPool;

pub use bench::{BenchLine, HistoryBenchReport, bench_history};
pub use checks::QueueCounts;
pub use installation::{SETTING_INSTALLATION_ID, SETTING_LEGACY_KEYRING_MOVED};
pub use paths::{DATA_DIR_ENV, DATABASE_FILE, data_dir, database_path};
pub use query_counts::QueryCounts;
pub use reviews::{BulkReview, ReviewCounts};
pub use rosters::{EntryOutcome, IdentifierOwner, NewRoster, Roster, RosterCheckCounts, RosterEntry, RosterStatus};
pub use senders::{FetchedSenderKey, TrustedSourceKey};
pub use settings::{
    OfficeSettings, SETTING_DEMO_REMOVED, SETTING_OFFICE_KEY_ID, SETTING_OFFICE_SENDER_ID, SETTING_OFFICER_NAME,
    SETTING_SUPERVISOR_PIN,
};
pub use sources::SourceRemoval;

/// The result of every store operation.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// What went wrong, in words a field officer can act on.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLITE_FULL: the transaction was rolled back.
    #[error("the disk is full: {detail}; nothing was written")]
    DiskFull { detail: String },
    /// Another process held the database longer than the busy timeout.
    #[error(
        "the database is busy: another program (or another IBR Desk) is using it; nothing was written, \
         try again in a moment ({detail})"
    )]
    Busy { detail: String },
    /// The file was migrated by a newer IBR Desk.
    #[error(
        "this database was written by a newer version of IBR Desk (schema version {found}; this program \
         knows versions up to {known}); install the newer IBR Desk to open it"
    )]
    SchemaTooNew { found: i64, known: i64 },
    /// The file is not a database or is damaged.
    #[error("the database file is damaged or is not an IBR Desk database: {detail}")]
    Damaged { detail: String },
    /// What was given is not acceptable (the sentence says why).
    #[error("{0}")]
    Invalid(String),
    /// A name or ID that must be unique is taken.
    #[error("{what} {name:?} already exists; choose another")]
    Duplicate { what: &'static str, name: String },
    /// The keyring step of a use case failed (a data source's client
    /// secret, the office key), saying what it could not store: the
    /// transaction was rolled back.
    #[error("{0}; nothing was written")]
    Secret(String),
    /// A row the operation needs does not exist.
    #[error("{what} {id} does not exist")]
    NotFound { what: &'static str, id: i64 },
    /// A file or folder operation failed.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// No home directory and no `IBR_DESK_DATA_DIR`.
    #[error("cannot tell where to keep IBR Desk's data: set {DATA_DIR_ENV} to a folder IBR Desk may use")]
    NoDataDir,
    /// A stored value this program cannot read back.
    #[error("a stored value cannot be read: {0}")]
    Unreadable(String),
    /// The schema could not be brought up to date.
    #[error("the database could not be upgraded: {0}")]
    Migration(String),
    /// Any other SQLite error.
    #[error("database error: {0}")]
    Sqlite(rusqlite::Error),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(ErrorCode::DiskFull) => return StoreError::DiskFull { detail: e.to_string() },
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
                return StoreError::Busy { detail: e.to_string() };
            }
            Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => {
                return StoreError::Damaged { detail: e.to_string() };
            }
            _ => {}
        }
        match e {
            rusqlite::Error::FromSqlConversionFailure(..) | rusqlite::Error::InvalidColumnType(..) => {
                StoreError::Unreadable(e.to_string())
            }
            e => StoreError::Sqlite(e),
        }
    }
}

impl From<rusqlite_migration::Error> for StoreError {
    fn from(e: rusqlite_migration::Error) -> Self {
        use rusqlite_migration::{Error as M, MigrationDefinitionError as D};
        match e {
            M::RusqliteError { err, .. } => match StoreError::from(err) {
                StoreError::Sqlite(inner) => StoreError::Migration(inner.to_string()),
                classified => classified,
            },
            M::MigrationDefinition(D::DatabaseTooFarAhead) => StoreError::SchemaTooNew {
                found: -1,
                known: migrations::latest_version(),
            },
            other => StoreError::Migration(other.to_string()),
        }
    }
}

/// Whether `e` is a UNIQUE violation on `table.column`.
fn is_unique_violation(e: &rusqlite::Error, column: &str) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, Some(msg))
        if f.code == ErrorCode::ConstraintViolation && msg.contains("UNIQUE") && msg.contains(column))
}

/// The database of one IBR Desk installation. `Send + Sync`: share it in an
/// `Arc`; every method takes `&self` and locks what it needs.
pub struct Store {
    /// Every write goes through this connection, one transaction at a time.
    writer: Mutex<Connection>,
    /// Read-only connections so reads do not wait for writes, nor for each
    /// other; `None` for an in-memory store, which reads through the writer.
    readers: Option<ReaderPool>,
    /// How many times each kind of connection was used (see [`Store::query_counts`]).
    counters: Counters,
    path: Option<PathBuf>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// How long a connection waits for another process's lock before `Busy`.
const BUSY_TIMEOUT: Duration = Duration::from_millis(5_000);

/// Page cache per connection, in KiB: the hot parts of the history's indexes.
const CACHE_KIB: i64 = 32 * 1024;

/// SQLite's default `wal_autocheckpoint`, in pages.
const DEFAULT_WAL_PAGES: i64 = 1_000;

/// `wal_autocheckpoint` during a roster import (pages of 4 KiB: at most
/// about this many times 4 KiB of WAL before a checkpoint).
const IMPORT_WAL_PAGES: i64 = 50_000;

/// Prepared statements kept per connection (the hot paths reuse theirs).
const STATEMENT_CACHE: usize = 64;

/// Read-only connections of a file store. Why three: the window asks for
/// up to three things at once that must not wait for each other — a page
/// of the history (with its count, the slow one on a large history), the
/// review queue, and a check's detail — while the engine reads the queue.
/// More would only add page caches ([`CACHE_KIB`] each) on a machine with
/// two cores; a fourth reader waits for the first connection freed.
pub const READERS: usize = 3;

impl Store {
    /// Opens (creating if needed) the database at `path`, restricts it to its
    /// owner, turns on WAL and foreign keys, and brings the schema up to date.
    pub fn open(path: &Path) -> Result<Store> {
        prepare_file(path)?;
        let mut writer = Connection::open(path)?;
        configure_writer(&writer)?;
        migrate(&mut writer)?;
        restrict_sidecars(path)?;
        let readers = (0..READERS)
            .map(|_| {
                let reader = Connection::open_with_flags(
                    path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                configure_reader(&reader)?;
                Ok(reader)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Store {
            writer: Mutex::new(writer),
            readers: Some(ReaderPool::new(readers)),
            counters: Counters::default(),
            path: Some(path.to_path_buf()),
        })
    }

    /// A private database in memory, for tests and benchmarks.
    pub fn open_in_memory() -> Result<Store> {
        let mut conn = Connection::open_in_memory()?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        migrate(&mut conn)?;
        Ok(Store {
            writer: Mutex::new(conn),
            readers: None,
            counters: Counters::default(),
            path: None,
        })
    }

    /// The database file, `None` in memory.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// How many times the store has used a connection since it was opened,
    /// by role: each read and each write transaction counts one (however
    /// many statements it runs). The benchmarks divide these by the work
    /// done (queries per completed batch, reader queries per second).
    pub fn query_counts(&self) -> QueryCounts {
        self.counters.snapshot()
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<i64> {
        self.read(|c| Ok(c.pragma_query_value(None, "user_version", |r| r.get(0))?))
    }

    /// Sets the writer's page cache size (KiB).
    /// Pages the WAL may hold before a commit copies them into the database
    /// file. A bulk import changes pages of the identifier index all over
    /// the file, chunk after chunk: with SQLite's default (1,000 pages) it
    /// copied the same pages again after every few chunks, a third of the
    /// import's time; set to [`IMPORT_WAL_PAGES`] for an import and back
    /// with [`Store::end_bulk_write`].
    fn set_wal_autocheckpoint(&self, pages: i64) -> Result<()> {
        Ok(self.writer().pragma_update(None, "wal_autocheckpoint", pages)?)
    }

    /// After a bulk write: the WAL copied into the database file (as far as
    /// readers allow; the rest at later commits) and the default limit back.
    /// Best effort: a failure only leaves a longer WAL.
    fn end_bulk_write(&self) {
        let conn = self.writer();
        let done = conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
            .and_then(|()| conn.pragma_update(None, "wal_autocheckpoint", DEFAULT_WAL_PAGES));
        if let Err(e) = done {
            tracing::warn!(error = %e, "the write-ahead log was not checkpointed after an import");
        }
    }

    fn set_writer_cache(&self, kib: i64) -> Result<()> {
        Ok(self.writer().pragma_update(None, "cache_size", -kib)?)
    }

    /// The writer connection, counted: every use of it goes through here.
    fn writer(&self) -> MutexGuard<'_, Connection> {
        self.counters.count_writer();
        lock(&self.writer)
    }

    /// Runs `f` on a free read connection (the writer in memory), counted as
    /// a reader query either way: what is counted is the kind of access.
    fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        self.counters.count_reader();
        match &self.readers {
            Some(readers) => f(&readers.take()),
            None => f(&lock(&self.writer)),
        }
    }

    /// Runs `f` in one IMMEDIATE transaction on the writer; commits if `f`
    /// succeeds, rolls back (writing nothing) if it fails.
    fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.writer();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = f(&tx)?;
        tx.commit()?;
        Ok(value)
    }
}

/// A poisoned lock only means another thread panicked while holding it; the
/// connection itself is fine (its transaction was rolled back on drop).
fn lock(m: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn configure_writer(conn: &Connection) -> Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    let mode: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!(
            mode,
            "the database cannot use WAL here (a network drive?); readers will wait for writers"
        );
    }
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "cache_size", -CACHE_KIB)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(())
}

fn configure_reader(conn: &Connection) -> Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "cache_size", -CACHE_KIB)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(())
}

/// Refuses a newer schema, applies pending migrations, and lets SQLite refresh
/// its planner statistics when they are missing or stale.
fn migrate(conn: &mut Connection) -> Result<()> {
    let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let known = migrations::latest_version();
    if found > known {
        return Err(StoreError::SchemaTooNew { found, known });
    }
    migrations::migrations().to_latest(conn)?;
    conn.execute_batch("PRAGMA analysis_limit = 1000; PRAGMA optimize = 0x10002;")?;
    Ok(())
}

/// Creates the folder (owner-only) and the file (0600) if they are missing,
/// and restricts an existing file to its owner.
fn prepare_file(path: &Path) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && !dir.exists()
    {
        create_private_dir(dir)?;
    }
    if !path.exists() {
        create_private_file(path)?;
    }
    restrict(path)
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|source| io_error("create the folder", dir, source))
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|source| io_error("create the folder", dir, source))
}

#[cfg(unix)]
fn create_private_file(path: &Path) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(source) => Err(io_error("create the database", path, source)),
    }
}

#[cfg(not(unix))]
fn create_private_file(_path: &Path) -> Result<()> {
    Ok(())
}

/// Owner read/write only. On other systems the per-user data folder is
/// already private to its user.
#[cfg(unix)]
fn restrict(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .map_err(|source| io_error("restrict the permissions of", path, source))
}

#[cfg(not(unix))]
fn restrict(_path: &Path) -> Result<()> {
    Ok(())
}

/// The WAL and shared-memory files hold the same data as the database.
fn restrict_sidecars(path: &Path) -> Result<()> {
    for suffix in ["-wal", "-shm"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        let sidecar = PathBuf::from(name);
        if sidecar.exists() {
            restrict(&sidecar)?;
        }
    }
    Ok(())
}

fn io_error(action: &'static str, path: &Path, source: std::io::Error) -> StoreError {
    StoreError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
pub(crate) mod testutil {
    //! Small builders the store's tests share.

    use chrono::NaiveDate;

    use super::Store;
    use crate::domain::{
        DataSource, IdType, Identifier, NewCheck, NewDataSource, NewRegistrant, QueryKind, Registrant, SearchReason,
        Sex,
    };

    pub fn store() -> Store {
        Store::open_in_memory().expect("in-memory store")
    }

    pub fn source(store: &Store, name: &str) -> DataSource {
        store
            .insert_data_source(&NewDataSource::ibr(name, "https://ibr.example.org"))
            .expect("data source")
    }

    pub fn registrant(store: &Store, given: &str, surname: &str, uin: &str) -> Registrant {
        store
            .insert_registrant(&NewRegistrant {
                given_name: Some(given.into()),
                surname: Some(surname.into()),
                birth_date: NaiveDate::from_ymd_opt(1990, 4, 12),
                sex: Some(Sex::Female),
                identifiers: vec![Identifier::new(IdType::Uin, uin)],
            })
            .expect("registrant")
    }

    /// A check of `r` against `source` with an identifier query and, when
    /// `demographic`, a name and birth date query too.
    pub fn new_check(r: &Registrant, source: &DataSource, demographic: bool) -> NewCheck {
        let first = &r.identifiers[0];
        let mut queries = vec![QueryKind::Identifier {
            id_type: first.id_type.clone(),
            value: first.value.clone(),
        }];
        if demographic && let (Some(g), Some(s), Some(b)) = (&r.given_name, &r.surname, r.birth_date) {
            queries.push(QueryKind::Demographic {
                given_name: g.clone(),
                surname: s.clone(),
                birth_date: b,
            });
        }
        NewCheck {
            registrant_id: r.id,
            applicant: r.snapshot(),
            identifier_type: first.id_type.clone(),
            identifier_value: first.value.clone(),
            data_source_id: source.id,
            search_reason: SearchReason::Application,
            queries,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn store_is_send_and_sync() {
        assert_send_sync::<Store>();
        assert_send_sync::<StoreError>();
    }

    #[test]
    fn migrates_a_fresh_file_and_reopens_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("new").join(DATABASE_FILE);
        let store = Store::open(&path).expect("open");
        assert_eq!(store.schema_version().ok(), Some(migrations::latest_version()));
        testutil::source(&store, "National IBR");
        drop(store);
        let again = Store::open(&path).expect("reopen");
        assert_eq!(again.data_sources().map(|s| s.len()).ok(), Some(1));
    }

    #[test]
    fn uses_wal_and_foreign_keys() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(&dir.path().join(DATABASE_FILE)).expect("open");
        let conn = lock(&store.writer);
        let mode: String = conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .expect("mode");
        assert_eq!(mode, "wal");
        let fk: i64 = conn.pragma_query_value(None, "foreign_keys", |r| r.get(0)).expect("fk");
        assert_eq!(fk, 1);
        let sync: i64 = conn
            .pragma_query_value(None, "synchronous", |r| r.get(0))
            .expect("sync");
        assert_eq!(sync, 1, "NORMAL");
    }

    #[cfg(unix)]
    #[test]
    fn the_files_are_private_to_their_owner() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("temp dir");
        let folder = dir.path().join("data");
        let path = folder.join(DATABASE_FILE);
        let store = Store::open(&path).expect("open");
        testutil::source(&store, "National IBR");
        let mode = |p: &Path| std::fs::metadata(p).map(|m| m.permissions().mode() & 0o777).ok();
        assert_eq!(mode(&folder), Some(0o700));
        assert_eq!(mode(&path), Some(0o600));
        for suffix in ["-wal", "-shm"] {
            let sidecar = PathBuf::from(format!("{}{suffix}", path.display()));
            assert_eq!(mode(&sidecar), Some(0o600), "{suffix}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn an_existing_file_is_restricted_too() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join(DATABASE_FILE);
        std::fs::write(&path, b"").expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        Store::open(&path).expect("open");
        let mode = std::fs::metadata(&path).map(|m| m.permissions().mode() & 0o777).ok();
        assert_eq!(mode, Some(0o600));
    }

    #[test]
    fn refuses_a_newer_schema() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join(DATABASE_FILE);
        drop(Store::open(&path).expect("open"));
        let conn = Connection::open(&path).expect("raw");
        conn.pragma_update(None, "user_version", 99).expect("bump");
        drop(conn);
        let err = Store::open(&path).expect_err("newer schema");
        let known = migrations::latest_version();
        assert!(
            matches!(err, StoreError::SchemaTooNew { found: 99, known: k } if k == known),
            "{err}"
        );
        assert!(err.to_string().contains("newer version of IBR Desk"));
    }

    #[test]
    fn refuses_a_file_that_is_not_a_database() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join(DATABASE_FILE);
        std::fs::write(&path, vec![b'x'; 4096]).expect("write");
        let err = Store::open(&path).expect_err("not a database");
        assert!(matches!(err, StoreError::Damaged { .. }), "{err}");
    }

    #[test]
    fn classifies_full_disk_and_busy() {
        let full = rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL), None);
        let e = StoreError::from(full);
        assert!(e.to_string().starts_with("the disk is full: "), "{e}");
        assert!(e.to_string().ends_with("; nothing was written"), "{e}");
        let busy = rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY), None);
        assert!(matches!(StoreError::from(busy), StoreError::Busy { .. }));
    }

    #[test]
    fn a_second_process_holding_the_lock_is_reported_as_busy() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join(DATABASE_FILE);
        let store = Store::open(&path).expect("open");
        let other = Connection::open(&path).expect("other");
        other.execute_batch("BEGIN IMMEDIATE").expect("lock");
        lock(&store.writer)
            .busy_timeout(Duration::from_millis(50))
            .expect("timeout");
        let err = store.set_setting("k", "v").expect_err("busy");
        assert!(matches!(err, StoreError::Busy { .. }), "{err}");
        other.execute_batch("ROLLBACK").expect("unlock");
        assert!(store.set_setting("k", "v").is_ok());
    }
}
