//! What the engine tells its subscribers (the window, the command line).

use chrono::{DateTime, Utc};

use crate::domain::{
    Algorithm, AuditEntry, CheckFilter, CheckState, DataSource, DuplicationCheck, IbrSender, MatchCandidate,
    MatchResult, Review, Role, SenderKey,
};
use crate::ibr::ConnectionReport;
use crate::store::{BulkReview, QueueCounts, ReviewCounts};

/// Something happened. Subscribers apply events to what they show; the
/// window repaints when one arrives.
#[derive(Debug, Clone)]
pub enum Event {
    /// A check was created or changed state.
    CheckChanged {
        check_id: i64,
        data_source_id: Option<i64>,
        state: CheckState,
        result: Option<MatchResult>,
    },
    /// A batch finished (for toasts and the status bar).
    BatchFinished {
        data_source_id: i64,
        data_source_name: String,
        completed: usize,
        failed: usize,
        requeued: usize,
    },
    /// Whether a data source answered the last time it was asked.
    SourceStatus {
        data_source_id: i64,
        online: bool,
        detail: String,
        at: DateTime<Utc>,
    },
    /// "Test connection" finished.
    SourceTested {
        data_source_id: i64,
        outcome: Result<ConnectionReport, String>,
    },
    /// "Fetch public key" finished: how many keys were stored, or why not.
    SenderKeysFetched {
        sender_row_id: i64,
        outcome: Result<usize, String>,
    },
    /// The queue is empty of due and running checks (some may wait for an offline registry).
    Idle { waiting: u64 },
    /// Something failed that the user should hear about: a sentence, and the technical detail.
    Error { message: String, detail: String },
    /// Something worked that the user should hear about (a toast).
    Notice { message: String },
    /// A page of the history.
    HistoryPage {
        generation: u64,
        offset: u64,
        total: u64,
        rows: Vec<DuplicationCheck>,
    },
    /// One check in full.
    CheckDetail(Box<CheckDetail>),
    /// The configuration, after loading or any change.
    Config(Box<ConfigSnapshot>),
    /// A JWKS fetched for a sender form.
    JwksFetched {
        url: String,
        outcome: Result<FetchedKey, String>,
    },
    /// How many checks wait and run.
    QueueCounts(QueueCounts),
    /// The built-in demo registry is running (its data source), or why not.
    DemoRegistry { outcome: Result<i64, String> },
    /// The role the engine now acts under.
    RoleChanged { role: Role },
    /// A page of the review queue, with its counts.
    ReviewQueue {
        offset: u64,
        rows: Vec<DuplicationCheck>,
        counts: ReviewCounts,
    },
    /// A decision was recorded.
    ReviewDecided(Box<Review>),
    /// The queue changed in bulk: reload it.
    ReviewQueueChanged,
    /// How many checks a bulk change would touch.
    BulkReviewCount {
        filter: CheckFilter,
        action: BulkReview,
        count: u64,
    },
    /// A roster file's first rows as they would be imported, or why it cannot be read.
    RosterPreview {
        path: std::path::PathBuf,
        outcome: Result<Box<crate::roster::RosterPreview>, String>,
    },
    /// How far the import under way is (at most 10 a second).
    ImportProgress(crate::roster::ImportProgress),
    /// The import ended (finished or cancelled), or why it stopped.
    ImportFinished(Result<Box<crate::roster::ImportSummary>, String>),
    /// The checks of a roster by state.
    RosterChecks {
        roster_id: i64,
        counts: crate::store::RosterCheckCounts,
    },
}

/// A check with everything the detail view shows.
#[derive(Debug, Clone)]
pub struct CheckDetail {
    pub check: DuplicationCheck,
    pub candidates: Vec<MatchCandidate>,
    /// The part of the registry's reply that answered this check (JSON text).
    pub reply_excerpt: Option<String>,
    pub audit: Vec<AuditEntry>,
    /// Every review decision, oldest first.
    pub reviews: Vec<Review>,
}

/// The configuration as the window shows it. Never holds a secret: only
/// whether one is stored.
#[derive(Debug, Clone)]
pub struct ConfigSnapshot {
    /// Increases with every read begun: a snapshot older than the one shown
    /// (reads run side by side and may finish out of order) is ignored.
    pub revision: u64,
    pub sources: Vec<SourceInfo>,
    pub senders: Vec<(IbrSender, Vec<SenderKey>)>,
    /// `(sender row ID, data source ID)`: which senders each source trusts.
    pub sender_links: Vec<(i64, i64)>,
    pub officer_name: String,
    pub office_sender_id: String,
    /// `sender|key|ed25519` of the office key, when there is one.
    pub office_kid: Option<String>,
    /// The office's public JWKS (pretty JSON), when there is a key.
    pub office_jwks: Option<String>,
    /// What the keyring is, or why it cannot be used.
    pub keyring: Result<String, String>,
    /// Whether a supervisor PIN is set.
    pub supervisor_pin_set: bool,
}

impl ConfigSnapshot {
    /// The senders a data source trusts (its replies verify with their keys), by name.
    pub fn senders_of_source(&self, data_source_id: i64) -> Vec<&IbrSender> {
        self.senders
            .iter()
            .map(|(s, _)| s)
            .filter(|s| self.sender_links.contains(&(s.id, data_source_id)))
            .collect()
    }

    /// The data sources a sender is trusted for, by name.
    pub fn sources_of_sender(&self, sender_row_id: i64) -> Vec<&DataSource> {
        self.sources
            .iter()
            .map(|i| &i.source)
            .filter(|d| self.sender_links.contains(&(sender_row_id, d.id)))
            .collect()
    }
}

/// A data source and whether its secret is in the keyring.
#[derive(Debug, Clone)]
pub struct SourceInfo {
    pub source: DataSource,
    /// `Some(true)` stored, `Some(false)` missing, `None` the keyring could not be asked.
    pub secret_stored: Option<bool>,
}

/// A key fetched from a JWKS for a sender form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedKey {
    pub pem: String,
    pub algorithm: Algorithm,
    pub kid: String,
    pub fetched_at: DateTime<Utc>,
    /// How many signing keys of that sender the JWKS holds.
    pub keys_for_sender: usize,
}
