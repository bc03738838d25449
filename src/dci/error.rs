//! What can go wrong talking to a registry, sorted by what to do about it.
//!
//! The engine retries [`DciError::is_transient`] failures and keeps checks
//! queued while [`DciError::is_offline`]; everything else fails the check at
//! once. Messages are sentences a field officer can act on, with the
//! technical detail after a colon. They never contain a client secret.

// Registry replies flow through here: no byte slicing of their text, no
// arithmetic that can overflow on their numbers.
#![warn(clippy::string_slice, clippy::arithmetic_side_effects)]

use super::signature::SignatureError;
use crate::domain::ErrorKind;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DciError {
    /// Nothing answered: connection refused, no route, DNS failure.
    #[error("the registry could not be reached: {0}")]
    Unreachable(String),
    /// Something answered too slowly.
    #[error("the registry did not answer in time: {0}")]
    Timeout(String),
    /// An HTTP status other than 2xx.
    #[error("the registry answered HTTP {status}{}", detail_suffix(detail))]
    Http { status: u16, detail: String },
    /// The token endpoint refused us, or a fresh token was refused too.
    #[error("the registry refused our credentials: {0}")]
    Auth(String),
    /// The reply could not be understood.
    #[error("the registry's reply could not be understood: {0}")]
    Malformed(String),
    /// The reply's signature is missing, wrong, or from an untrusted sender.
    #[error("the registry's reply is not signed by a trusted sender: {0}")]
    Signature(#[from] SignatureError),
    /// The registry rejected the whole message (`header.status` `rjct`).
    #[error("the registry rejected the request: {}", reason_text(code, message))]
    Rejected {
        code: Option<String>,
        message: Option<String>,
    },
    /// Our own configuration cannot work (a bad URL, a missing setting).
    #[error("the data source is not configured correctly: {0}")]
    Config(String),
    /// The secure connection could not be made: the certificate is not
    /// trusted, expired or for another host, or the server does not speak
    /// TLS. Retrying would not help; a person must look.
    #[error("no secure connection to the registry: {0}")]
    Tls(String),
    /// The registry tried to send the request elsewhere (another origin, or
    /// from https to http): credentials and applicants' data never follow.
    #[error("the registry tried to redirect the request elsewhere, which IBR Desk refuses: {0}")]
    Redirect(String),
    /// The reply is larger than the data source allows.
    #[error("the registry's reply is larger than the {} this data source accepts{}", size_text(*limit_bytes), detail_suffix(detail))]
    TooLarge { limit_bytes: u64, detail: String },
    /// The reply is not final (header status `rcvd`/`pdng`, or fewer items
    /// completed than sent): not a result.
    #[error("the registry's reply is not a final answer: {0}")]
    NotFinal(String),
}

fn detail_suffix(detail: &str) -> String {
    if detail.is_empty() {
        String::new()
    } else {
        format!(": {detail}")
    }
}

/// `64 KiB`, `32 MiB`: a size as a person reads it.
pub fn size_text(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * 1024;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= KIB && bytes.is_multiple_of(KIB) {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} bytes")
    }
}

pub(crate) fn reason_text(code: &Option<String>, message: &Option<String>) -> String {
    match (code, message) {
        (Some(c), Some(m)) => format!("{c} ({m})"),
        (Some(c), None) => c.clone(),
        (None, Some(m)) => m.clone(),
        (None, None) => "no reason given".into(),
    }
}

impl DciError {
    /// Worth trying again later with the same request: the registry was
    /// unreachable, slow, overloaded (429) or failing (5xx).
    pub fn is_transient(&self) -> bool {
        match self {
            DciError::Unreachable(_) | DciError::Timeout(_) => true,
            DciError::Http { status, .. } => *status == 429 || *status >= 500,
            _ => false,
        }
    }

    /// The registry is not there at all: checks should wait, queued.
    pub fn is_offline(&self) -> bool {
        matches!(self, DciError::Unreachable(_) | DciError::Timeout(_))
    }

    /// A short name of the kind of failure, for logs, exports and filters.
    pub fn kind(&self) -> ErrorKind {
        match self {
            DciError::Unreachable(_) => ErrorKind::Unreachable,
            DciError::Timeout(_) => ErrorKind::Timeout,
            DciError::Http { .. } => ErrorKind::Http,
            DciError::Auth(_) => ErrorKind::Auth,
            DciError::Malformed(_) => ErrorKind::Malformed,
            DciError::Signature(_) => ErrorKind::Signature,
            DciError::Rejected { .. } => ErrorKind::Rejected,
            DciError::Config(_) => ErrorKind::Config,
            DciError::Tls(_) => ErrorKind::Tls,
            DciError::Redirect(_) => ErrorKind::Redirect,
            DciError::TooLarge { .. } => ErrorKind::TooLarge,
            DciError::NotFinal(_) => ErrorKind::Incomplete,
        }
    }

    pub(crate) fn from_reqwest(e: &reqwest::Error, what: &str) -> DciError {
        // `without_url` keeps query strings (never secrets here, but still) out of messages.
        let detail = format!("{what}: {}", error_chain(e));
        if e.is_redirect() {
            DciError::Redirect(detail)
        } else if let Some(tls) = tls_failure(e) {
            DciError::Tls(format!("{what}: {tls}"))
        } else if e.is_timeout() {
            DciError::Timeout(detail)
        } else if e.is_connect() || e.is_request() || e.is_body() {
            DciError::Unreachable(detail)
        } else if e.is_decode() {
            DciError::Malformed(detail)
        } else {
            DciError::Unreachable(detail)
        }
    }
}

/// The TLS error somewhere in the causes of a request error, in words.
/// `std::io::Error` hides the error it wraps from `source()` (it returns that
/// error's own source), so each I/O error is opened with `get_ref`.
fn tls_failure(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(t) = err.downcast_ref::<rustls::Error>() {
            return Some(describe_tls(t));
        }
        if let Some(io) = err.downcast_ref::<std::io::Error>()
            && let Some(inner) = io.get_ref()
        {
            if let Some(t) = inner.downcast_ref::<rustls::Error>() {
                return Some(describe_tls(t));
            }
            if let Some(found) = tls_failure(inner) {
                return Some(found);
            }
        }
        cur = err.source();
    }
    None
}

fn describe_tls(e: &rustls::Error) -> String {
    use rustls::{CertificateError, Error};
    let what = match e {
        Error::InvalidCertificate(CertificateError::Expired | CertificateError::ExpiredContext { .. }) => {
            "the registry's certificate has expired"
        }
        Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        ) => "the registry's certificate is for another host name",
        Error::InvalidCertificate(CertificateError::UnknownIssuer) => {
            "the registry's certificate is not signed by an authority this computer trusts"
        }
        Error::InvalidCertificate(_) => "the registry's certificate is not valid",
        Error::InvalidMessage(_) => "the server did not answer in TLS (is the URL's https:// right?)",
        _ => "the TLS handshake failed",
    };
    format!("{what} ({e})")
}

/// The error and its causes on one line ("error sending request: connection refused").
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        let t = s.to_string();
        if !parts.iter().any(|p| p.contains(&t)) {
            parts.push(t);
        }
        cur = s.source();
    }
    parts.join(": ")
}

impl From<DciError> for crate::domain::EngineError {
    fn from(e: DciError) -> crate::domain::EngineError {
        crate::domain::EngineError::of(e.kind(), e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_and_permanent() {
        assert!(DciError::Unreachable("x".into()).is_transient());
        assert!(
            DciError::Http {
                status: 503,
                detail: String::new()
            }
            .is_transient()
        );
        assert!(
            DciError::Http {
                status: 429,
                detail: String::new()
            }
            .is_transient()
        );
        assert!(
            !DciError::Http {
                status: 400,
                detail: String::new()
            }
            .is_transient()
        );
        assert!(!DciError::Malformed("x".into()).is_transient());
        assert!(
            !DciError::Rejected {
                code: None,
                message: None
            }
            .is_transient()
        );
        assert_eq!(
            DciError::Rejected {
                code: Some("rjct.version.invalid".into()),
                message: None
            }
            .to_string(),
            "the registry rejected the request: rjct.version.invalid"
        );
    }
}
