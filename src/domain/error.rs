//! What kind of thing went wrong, in one closed list shared by every layer.
//!
//! Why one enum: a failed check stores its kind (`duplication_checks.error_kind`),
//! the window chooses a sentence and whether "Retry" makes sense from it, the
//! command line chooses its exit code, and the engine answers every request
//! with it. Before, each of those compared free strings produced in three
//! places; a new kind was silently "unknown" somewhere. The stored words are
//! the ones earlier versions wrote, so old rows read back.

use std::fmt;

/// The kind of a failure. Words are stored and printed (`--json`); never rename one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::EnumString, strum::IntoStaticStr, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum ErrorKind {
    // What a registry did (a check's failure).
    /// Nothing answered.
    Unreachable,
    /// Something answered too slowly.
    Timeout,
    /// An HTTP status other than 2xx.
    Http,
    /// The registry refused the credentials.
    Auth,
    /// The reply could not be understood.
    Malformed,
    /// The reply's signature did not verify.
    Signature,
    /// The registry rejected the search.
    Rejected,
    /// No final answer: partial, pending, or records that stopped coming.
    Incomplete,
    /// One search answered twice, differently.
    Ambiguous,
    /// No secure connection.
    Tls,
    /// The registry tried to redirect elsewhere.
    Redirect,
    /// The reply was larger than the data source allows.
    TooLarge,
    /// The data source cannot work as configured.
    Config,
    /// The OS keyring did not answer.
    Keyring,
    // What a request to the engine met.
    /// What was given is not acceptable (the message says why).
    Invalid,
    /// The role does not allow it (an officer changing trust), or a wrong PIN.
    NotAllowed,
    /// What the request names does not exist (any more).
    NotFound,
    /// The database was busy, full, or could not be read or written.
    Store,
    /// A file could not be read or written.
    File,
    /// The engine stopped before it answered.
    Stopped,
    /// A bug: the engine caught a panic or an impossible state.
    Internal,
}

impl ErrorKind {
    /// The stored and printed word.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Reads a stored word; `None` for one this version does not know
    /// (written by a newer IBR Desk), which callers show as "unknown".
    pub fn parse(word: &str) -> Option<ErrorKind> {
        word.trim().parse().ok()
    }

    /// Whether the same request may succeed later without anyone changing
    /// anything (the registry was away or slow).
    pub fn is_passing(self) -> bool {
        matches!(self, ErrorKind::Unreachable | ErrorKind::Timeout | ErrorKind::Keyring)
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a request to the engine failed: its kind, a sentence for a person
/// ("The data source was not saved."), and the technical detail.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} {detail}")]
pub struct EngineError {
    pub kind: ErrorKind,
    pub message: String,
    pub detail: String,
}

impl EngineError {
    pub fn new(kind: ErrorKind, message: impl Into<String>, detail: impl Into<String>) -> EngineError {
        EngineError {
            kind,
            message: message.into(),
            detail: detail.into(),
        }
    }

    /// An error with the detail only; the sentence is added with [`EngineError::saying`].
    pub fn of(kind: ErrorKind, detail: impl Into<String>) -> EngineError {
        EngineError::new(kind, String::new(), detail)
    }

    /// Bad input, with why.
    pub fn invalid(detail: impl Into<String>) -> EngineError {
        EngineError::of(ErrorKind::Invalid, detail)
    }

    /// The role or PIN does not allow it.
    pub fn not_allowed(detail: impl Into<String>) -> EngineError {
        EngineError::of(ErrorKind::NotAllowed, detail)
    }

    /// What was named does not exist.
    pub fn not_found(detail: impl Into<String>) -> EngineError {
        EngineError::of(ErrorKind::NotFound, detail)
    }

    /// The engine stopped before it answered.
    pub fn stopped() -> EngineError {
        EngineError::new(
            ErrorKind::Stopped,
            "IBR Desk's engine stopped before it answered.",
            "the request was not carried out, or its outcome is unknown; look at the history",
        )
    }

    /// Puts the sentence a person reads first, unless one is there already.
    pub fn saying(mut self, message: &str) -> EngineError {
        if self.message.is_empty() {
            self.message = message.to_string();
        }
        self
    }

    /// The sentence and the detail on two lines (toasts, the command line).
    pub fn two_lines(&self) -> String {
        match (self.message.is_empty(), self.detail.is_empty()) {
            (true, _) => self.detail.clone(),
            (false, true) => self.message.clone(),
            (false, false) => format!("{}\n{}", self.message, self.detail),
        }
    }
}

/// Plain `String` errors of older code paths are bad input unless said otherwise.
impl From<String> for EngineError {
    fn from(detail: String) -> EngineError {
        EngineError::invalid(detail)
    }
}

impl From<&str> for EngineError {
    fn from(detail: &str) -> EngineError {
        EngineError::invalid(detail)
    }
}

#[cfg(test)]
mod tests {
    use strum::IntoEnumIterator;

    use super::*;

    #[test]
    fn every_kind_reads_back_from_its_word() {
        for kind in ErrorKind::iter() {
            assert_eq!(ErrorKind::parse(kind.as_str()), Some(kind), "{kind:?}");
        }
        assert_eq!(ErrorKind::parse("from_a_newer_version"), None);
    }

    #[test]
    fn the_words_earlier_versions_stored_are_kept() {
        for (word, kind) in [
            ("unreachable", ErrorKind::Unreachable),
            ("timeout", ErrorKind::Timeout),
            ("http", ErrorKind::Http),
            ("auth", ErrorKind::Auth),
            ("malformed", ErrorKind::Malformed),
            ("signature", ErrorKind::Signature),
            ("rejected", ErrorKind::Rejected),
            ("config", ErrorKind::Config),
            ("tls", ErrorKind::Tls),
            ("redirect", ErrorKind::Redirect),
            ("too_large", ErrorKind::TooLarge),
            ("incomplete", ErrorKind::Incomplete),
            ("ambiguous", ErrorKind::Ambiguous),
            ("internal", ErrorKind::Internal),
            ("keyring", ErrorKind::Keyring),
            ("store", ErrorKind::Store),
        ] {
            assert_eq!(kind.as_str(), word);
        }
    }

    #[test]
    fn a_sentence_is_added_once() {
        let e = EngineError::invalid("the name is empty").saying("The data source was not saved.");
        assert_eq!(e.two_lines(), "The data source was not saved.\nthe name is empty");
        assert_eq!(e.saying("Other.").message, "The data source was not saved.");
    }
}
