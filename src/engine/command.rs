//! What the window and the command line ask the engine: [`Command`]s change
//! something or start work, [`Query`]s read. Each carries a [`Responder`]
//! and is answered exactly once, to its sender only (see `request`).
//!
//! Why two enums: a query never waits behind the scheduler, and the
//! scheduler never wakes for one. Queries go on their own channel to a
//! small pool of reader connections (`query`); commands that touch the
//! queue go to the scheduler; the other commands run beside it (`actions`).
//! Which is which is decided by one exhaustive `match` ([`Command::lane`]):
//! a new variant does not compile until someone decides.

use std::path::PathBuf;

use secrecy::SecretString;

use super::event::{CheckDetail, ConfigSnapshot, FetchedKey};
use super::request::Responder;
use crate::domain::{
    CheckFilter, DuplicationCheck, NewDataSource, NewIbrSender, NewRegistrant, NewReview, Review, Role, SearchReason,
};
use crate::ibr::ConnectionReport;
use crate::store::{BulkReview, QueueCounts, ReviewCounts, RosterCheckCounts};

/// What a change tells the person who asked ("Saved data source “Demo”.").
pub type Said = String;

/// A request that changes something or starts work. Never blocks the sender.
#[derive(Debug)]
pub enum Command {
    /// Register an applicant (or reuse `registrant_id`) and queue a check: the check's ID.
    SubmitCheck {
        registrant: CheckSubject,
        data_source_id: i64,
        reason: SearchReason,
        reply: Responder<i64>,
    },
    /// Run what is due now (also happens by itself); answered once nothing
    /// more runs, with how many checks still wait for an offline registry.
    RunDue {
        reply: Responder<u64>,
    },
    /// Put a failed check back in the queue.
    RetryCheck {
        check_id: i64,
        reply: Responder<()>,
    },
    /// Get a token and make a harmless search.
    TestSource {
        data_source_id: i64,
        reply: Responder<ConnectionReport>,
    },
    /// Fetch a sender's public keys from its JWKS URL and store them
    /// (supervisor only): how many were stored.
    FetchSenderKeys {
        sender_row_id: i64,
        reply: Responder<usize>,
    },
    /// Reload the office key and trusted senders (after settings changed elsewhere).
    ReloadConfig {
        reply: Responder<()>,
    },
    /// Add (`id: None`) or change a data source; the secret goes to the
    /// keyring only. Supervisor only, like every change of trust below.
    SaveDataSource {
        id: Option<i64>,
        source: NewDataSource,
        secret: SecretChange,
        reply: Responder<Said>,
    },
    DeleteDataSource {
        id: i64,
        reply: Responder<Said>,
    },
    /// Add (`id: None`) or change a trusted sender, trusted for exactly the
    /// data sources `sources` (supervisor only).
    SaveSender {
        id: Option<i64>,
        sender: NewIbrSender,
        sources: Vec<i64>,
        reply: Responder<Said>,
    },
    DeleteSender {
        id: i64,
        reply: Responder<Said>,
    },
    /// Fetch a JWKS for a sender form that is not saved yet (supervisor
    /// only). A plain http:// URL to another computer only with `insecure_http`.
    FetchJwks {
        url: String,
        sender_id: String,
        insecure_http: bool,
        reply: Responder<FetchedKey>,
    },
    /// Officer name (for the audit log) and the office's DCI sender ID.
    SaveSettings {
        officer_name: String,
        office_sender_id: String,
        reply: Responder<Said>,
    },
    /// Generate the office's signing key (private half to the keyring).
    GenerateOfficeKey {
        reply: Responder<Said>,
    },
    /// Start the built-in demo registry: always when its data source exists,
    /// and on a first run (no data source yet) create it. Its data source's
    /// ID, or `None` when it is not to run (removed by the user).
    EnsureDemoRegistry {
        reply: Responder<Option<i64>>,
    },
    /// Check a few sample applicants of each kind against the demo registry
    /// (to learn the application, or for screenshots): how many were queued.
    RunSampleChecks {
        reply: Responder<usize>,
    },
    /// Set the supervisor PIN (`current` is needed when one is set).
    SetSupervisorPin {
        current: Option<SecretString>,
        new: SecretString,
        reply: Responder<Said>,
    },
    /// Work as an officer, or as a supervisor (with the PIN).
    SwitchRole {
        role: Role,
        pin: Option<SecretString>,
        reply: Responder<Role>,
    },
    /// A supervisor's decision on a possible (or confirmed) match.
    DecideReview {
        review: NewReview,
        reply: Responder<Review>,
    },
    /// Apply a bulk change (supervisor only): how many checks changed.
    BulkReview {
        filter: CheckFilter,
        action: BulkReview,
        reply: Responder<Said>,
    },
    /// Import a roster file: registrants with queued checks
    /// (`Event::ImportProgress` while it runs), answered when it ends.
    ImportRoster {
        path: PathBuf,
        mapping: crate::roster::RosterSettings,
        data_source_id: i64,
        reason: SearchReason,
        /// Where the refused rows go (default: `<name>.rejected.csv` beside the file).
        rejected_file: Option<PathBuf>,
        reply: Responder<Box<crate::roster::ImportSummary>>,
    },
    /// Stop the import under way after the chunk being stored: whether one was under way.
    CancelImport {
        reply: Responder<bool>,
    },
    /// Write the history, or a filter of it, to CSV.
    ExportHistory {
        filter: CheckFilter,
        path: PathBuf,
        /// Identifier values in full (masked otherwise).
        reveal: bool,
        reply: Responder<Said>,
    },
    /// Stop after the batches under way.
    Shutdown,
}

/// Where a command runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lane {
    /// The scheduler's loop: it changes what is queued or due.
    Scheduler,
    /// Beside the scheduler, as its own task.
    Action,
}

impl Command {
    /// Where the command runs. Exhaustive on purpose: no wildcard.
    pub(crate) fn lane(&self) -> Lane {
        match self {
            Command::SubmitCheck { .. }
            | Command::RunDue { .. }
            | Command::RetryCheck { .. }
            | Command::ReloadConfig { .. }
            | Command::Shutdown => Lane::Scheduler,
            Command::TestSource { .. }
            | Command::FetchSenderKeys { .. }
            | Command::SaveDataSource { .. }
            | Command::DeleteDataSource { .. }
            | Command::SaveSender { .. }
            | Command::DeleteSender { .. }
            | Command::FetchJwks { .. }
            | Command::SaveSettings { .. }
            | Command::GenerateOfficeKey { .. }
            | Command::EnsureDemoRegistry { .. }
            | Command::RunSampleChecks { .. }
            | Command::SetSupervisorPin { .. }
            | Command::SwitchRole { .. }
            | Command::DecideReview { .. }
            | Command::BulkReview { .. }
            | Command::ImportRoster { .. }
            | Command::CancelImport { .. }
            | Command::ExportHistory { .. } => Lane::Action,
        }
    }
}

/// A read for the window or the command line. Runs on a reader connection,
/// never on the scheduler.
#[derive(Debug)]
pub enum Query {
    /// A page of the history, with how many checks the filter selects.
    History {
        filter: CheckFilter,
        offset: u64,
        limit: u32,
        reply: Responder<HistoryPage>,
    },
    /// One check with its candidates, reply and audit trail.
    CheckDetail {
        check_id: i64,
        reply: Responder<Box<CheckDetail>>,
    },
    /// The configuration.
    Config { reply: Responder<Box<ConfigSnapshot>> },
    /// A page of the review queue, with its counts.
    ReviewQueue {
        offset: u64,
        limit: u32,
        reply: Responder<ReviewPage>,
    },
    /// How many checks a bulk change would touch.
    CountBulkReview {
        filter: CheckFilter,
        action: BulkReview,
        reply: Responder<u64>,
    },
    /// Read the start of a roster file: its format, columns, mapping and
    /// first rows as they would be imported.
    PreviewRoster {
        path: PathBuf,
        settings: Option<crate::roster::RosterSettings>,
        reply: Responder<Box<crate::roster::RosterPreview>>,
    },
    /// A roster's checks by state.
    RosterChecks {
        roster_id: i64,
        reply: Responder<RosterCheckCounts>,
    },
    /// How many checks wait and run.
    QueueCounts { reply: Responder<QueueCounts> },
}

/// A page of the history.
#[derive(Debug, Clone)]
pub struct HistoryPage {
    pub offset: u64,
    /// How many checks the filter selects.
    pub total: u64,
    pub rows: Vec<DuplicationCheck>,
}

/// A page of the review queue.
#[derive(Debug, Clone)]
pub struct ReviewPage {
    pub offset: u64,
    pub rows: Vec<DuplicationCheck>,
    pub counts: ReviewCounts,
}

/// What to do with a data source's client secret when saving it.
#[derive(Debug, Clone)]
pub enum SecretChange {
    /// Leave the keyring as it is.
    Keep,
    /// Store this secret (replacing any).
    Set(SecretString),
    /// Remove the stored secret.
    Clear,
}

/// Whom a check is about.
#[derive(Debug, Clone)]
pub enum CheckSubject {
    New(NewRegistrant),
    Existing(i64),
}
