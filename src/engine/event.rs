//! What the engine tells its subscribers (the window, the command line).

use chrono::{DateTime, Utc};

use crate::domain::{
    Algorithm, AuditEntry, DataSource, DuplicationCheck, EngineError, IbrSender, MatchCandidate, Review, Role,
    SenderKey,
};
use crate::store::QueueCounts;

/// Something happened that more than one part of the window shows.
/// Answers to requests are not events: they go to their sender only (see
/// `request`). Events come coalesced — one `ChecksChanged` per batch, not
/// one per check — and the window applies them at most once per frame.
#[derive(Debug, Clone)]
pub enum Event {
    /// Checks were created or changed state: once per submission, claim or batch.
    ChecksChanged(ChecksChanged),
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
    /// The queue is empty of due and running checks (some may wait for an offline registry).
    Idle { waiting: u64 },
    /// Background work failed that no request waits for (a toast).
    Error(EngineError),
    /// Background work did something the user should hear about, that no request waits for.
    Notice { message: String },
    /// The configuration, after any change (requests for it are answered directly).
    Config(Box<ConfigSnapshot>),
    /// How many checks wait and run.
    QueueCounts(QueueCounts),
    /// The built-in demo registry is running (its data source), or why not.
    DemoRegistry { outcome: Result<i64, String> },
    /// The role the engine now acts under.
    RoleChanged { role: Role },
    /// Review decisions were recorded, one or in bulk: the queue and these checks changed.
    ReviewsChanged { check_ids: Vec<i64> },
    /// How far the import under way is (at most 10 a second).
    ImportProgress(crate::roster::ImportProgress),
}

/// Which checks changed, and in which data sources. Merging two notices
/// gives one that names both sets ([`ChecksChanged::merge`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChecksChanged {
    /// The checks, in ascending order, without repeats.
    pub ids: Vec<i64>,
    /// Their data sources, in ascending order, without repeats.
    pub sources: Vec<i64>,
}

impl ChecksChanged {
    pub fn new(ids: impl IntoIterator<Item = i64>, sources: impl IntoIterator<Item = i64>) -> ChecksChanged {
        let mut c = ChecksChanged {
            ids: ids.into_iter().collect(),
            sources: sources.into_iter().collect(),
        };
        c.tidy();
        c
    }

    /// Adds another notice's checks and sources.
    pub fn merge(&mut self, other: &ChecksChanged) {
        self.ids.extend_from_slice(&other.ids);
        self.sources.extend_from_slice(&other.sources);
        self.tidy();
    }

    pub fn contains(&self, check_id: i64) -> bool {
        self.ids.binary_search(&check_id).is_ok()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    fn tidy(&mut self) {
        self.ids.sort_unstable();
        self.ids.dedup();
        self.sources.sort_unstable();
        self.sources.dedup();
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notices_merge_without_repeats() {
        let mut a = ChecksChanged::new([3, 1], [7]);
        a.merge(&ChecksChanged::new([2, 3], [7, 8]));
        assert_eq!(a.ids, vec![1, 2, 3]);
        assert_eq!(a.sources, vec![7, 8]);
        assert!(a.contains(2) && !a.contains(4));
    }
}
