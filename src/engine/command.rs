//! What the window and the command line ask the engine to do.

use tokio::sync::oneshot;

use crate::domain::{NewRegistrant, SearchReason};

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
    RetryCheck { check_id: i64, reply: Reply<()> },
    /// Get a token and make a harmless search.
    TestSource { data_source_id: i64 },
    /// Fetch a sender's public keys from its JWKS URL and store them.
    FetchSenderKeys { sender_row_id: i64, reply: Reply<usize> },
    /// Reload the office key and trusted senders (after settings changed).
    ReloadConfig,
    /// Stop after the batches under way.
    Shutdown,
}

/// Whom a check is about.
#[derive(Debug, Clone)]
pub enum CheckSubject {
    New(NewRegistrant),
    Existing(i64),
}
