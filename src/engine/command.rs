//! What the window and the command line ask the engine to do.

use secrecy::SecretString;
use tokio::sync::oneshot;

use crate::domain::{CheckFilter, NewDataSource, NewIbrSender, NewRegistrant, NewReview, Role, SearchReason};
use crate::store::BulkReview;

/// Where a command's answer goes, when the sender waits for one.
pub type Reply<T> = Option<oneshot::Sender<Result<T, String>>>;

/// A request to the engine. Commands never block the sender.
#[derive(Debug)]
pub enum Command {
    /// Register an applicant (or reuse `registrant_id`) and queue a check.
    SubmitCheck {
        registrant: CheckSubject,
        data_source_id: i64,
        reason: SearchReason,
        reply: Reply<i64>,
    },
    /// Run what is due now (also happens by itself).
    RunDue,
    /// Put a failed check back in the queue.
    RetryCheck {
        check_id: i64,
        reply: Reply<()>,
    },
    /// Get a token and make a harmless search.
    TestSource {
        data_source_id: i64,
    },
    /// Fetch a sender's public keys from its JWKS URL and store them (supervisor only).
    FetchSenderKeys {
        sender_row_id: i64,
        reply: Reply<usize>,
    },
    /// Reload the office key and trusted senders (after settings changed).
    ReloadConfig,
    /// Read a page of the history (answered with `Event::HistoryPage`).
    LoadHistory {
        filter: CheckFilter,
        offset: u64,
        limit: u32,
        /// Echoed back, so a view can drop pages of a filter it no longer shows.
        generation: u64,
    },
    /// Read one check with its candidates, reply and audit trail (`Event::CheckDetail`).
    LoadCheckDetail {
        check_id: i64,
    },
    /// Read the configuration (`Event::Config`).
    LoadConfig,
    /// Add (`id: None`) or change a data source; the secret goes to the
    /// keyring only. Supervisor only, like every change of trust below.
    SaveDataSource {
        id: Option<i64>,
        source: NewDataSource,
        secret: SecretChange,
    },
    DeleteDataSource {
        id: i64,
    },
    /// Add (`id: None`) or change a trusted sender, trusted for exactly the
    /// data sources `sources` (supervisor only).
    SaveSender {
        id: Option<i64>,
        sender: NewIbrSender,
        sources: Vec<i64>,
    },
    DeleteSender {
        id: i64,
    },
    /// Fetch a JWKS for a sender form that is not saved yet (`Event::JwksFetched`;
    /// supervisor only). A plain http:// URL to another computer only with `insecure_http`.
    FetchJwks {
        url: String,
        sender_id: String,
        insecure_http: bool,
    },
    /// Officer name (for the audit log) and the office's DCI sender ID.
    SaveSettings {
        officer_name: String,
        office_sender_id: String,
    },
    /// Generate the office's signing key (private half to the keyring).
    GenerateOfficeKey,
    /// Start the built-in demo registry: always when its data source exists,
    /// and on a first run (no data source yet) create it.
    EnsureDemoRegistry,
    /// Check a few sample applicants of each kind against the demo registry
    /// (to learn the application, or for screenshots).
    RunSampleChecks,
    /// Set the supervisor PIN (`current` is needed when one is set).
    SetSupervisorPin {
        current: Option<SecretString>,
        new: SecretString,
    },
    /// Work as an officer, or as a supervisor (with the PIN).
    SwitchRole {
        role: Role,
        pin: Option<SecretString>,
    },
    /// Read a page of the review queue (`Event::ReviewQueue`).
    LoadReviewQueue {
        offset: u64,
        limit: u32,
    },
    /// A supervisor's decision on a possible (or confirmed) match.
    DecideReview(NewReview),
    /// How many checks a bulk change would touch (`Event::BulkReviewCount`).
    CountBulkReview {
        filter: CheckFilter,
        action: BulkReview,
    },
    /// Apply a bulk change (supervisor only).
    BulkReview {
        filter: CheckFilter,
        action: BulkReview,
    },
    /// Read the start of a roster file: its format, columns, mapping and
    /// first rows as they would be imported (`Event::RosterPreview`).
    PreviewRoster {
        path: std::path::PathBuf,
        settings: Option<crate::roster::RosterSettings>,
    },
    /// Import a roster file: registrants with queued checks
    /// (`Event::ImportProgress`, then `Event::ImportFinished`).
    ImportRoster {
        path: std::path::PathBuf,
        mapping: crate::roster::RosterSettings,
        data_source_id: i64,
        reason: SearchReason,
        /// Where the refused rows go (default: `<name>.rejected.csv` beside the file).
        rejected_file: Option<std::path::PathBuf>,
    },
    /// Stop the import under way after the chunk being stored.
    CancelImport,
    /// Count a roster's checks by state (`Event::RosterChecks`).
    LoadRosterChecks {
        roster_id: i64,
    },
    /// Write the history, or a filter of it, to CSV (`Event::Notice` or `Event::Error`).
    ExportHistory {
        filter: CheckFilter,
        path: std::path::PathBuf,
        /// Identifier values in full (masked otherwise).
        reveal: bool,
    },
    /// Stop after the batches under way.
    Shutdown,
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
