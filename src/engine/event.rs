//! What the engine tells its subscribers (the window, the command line).

use chrono::{DateTime, Utc};

use crate::domain::{CheckState, MatchResult};
use crate::ibr::ConnectionReport;

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
}
