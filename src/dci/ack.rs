//! Acknowledgements (async replies) and HTTP error bodies (SPEC-NOTES §3.3, §3.4).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::tolerant::str_at;

/// `{"message": {"ack_status", "timestamp", "error"?, "correlation_id"}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ack {
    pub ack_status: String,
    pub timestamp: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
    pub correlation_id: String,
}

/// One error: a code (`err.request.bad`, …) and a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
}

/// The body of an HTTP 401/403/500: `{"errors": [{"code", "message"}]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpErrorBody {
    pub errors: Vec<ErrorBody>,
}

impl HttpErrorBody {
    pub fn one(code: &str, message: &str) -> HttpErrorBody {
        HttpErrorBody {
            errors: vec![ErrorBody {
                code: code.to_string(),
                message: message.to_string(),
            }],
        }
    }

    /// Reads an error body leniently: the standard form, a single `error`
    /// object, or an OAuth2 `{"error", "error_description"}`.
    pub fn read(text: &str) -> Option<HttpErrorBody> {
        let v: Value = serde_json::from_str(text).ok()?;
        if let Some(Value::Array(list)) = v.get("errors") {
            let errors: Vec<ErrorBody> = list
                .iter()
                .map(|e| ErrorBody {
                    code: str_at(e, "code").unwrap_or_default(),
                    message: str_at(e, "message").unwrap_or_default(),
                })
                .collect();
            return (!errors.is_empty()).then_some(HttpErrorBody { errors });
        }
        if let Some(e) = v.get("error").filter(|e| e.is_object()) {
            return Some(HttpErrorBody::one(
                &str_at(e, "code").unwrap_or_default(),
                &str_at(e, "message").unwrap_or_default(),
            ));
        }
        if let Some(code) = str_at(&v, "error") {
            return Some(HttpErrorBody::one(
                &code,
                &str_at(&v, "error_description").unwrap_or_default(),
            ));
        }
        None
    }

    /// `code: message; code: message`.
    pub fn summary(&self) -> String {
        self.errors
            .iter()
            .map(|e| match (e.code.is_empty(), e.message.is_empty()) {
                (false, false) => format!("{}: {}", e.code, e.message),
                (false, true) => e.code.clone(),
                _ => e.message.clone(),
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Error codes of the communication layer.
pub mod codes {
    pub const REQUEST_BAD: &str = "err.request.bad";
    pub const REQUEST_UNAUTHORIZED: &str = "err.request.unauthorized";
    pub const REQUEST_NOT_FOUND: &str = "err.request.not_found";
    pub const SIGNATURE_MISSING: &str = "err.signature.missing";
    pub const SIGNATURE_INVALID: &str = "err.signature.invalid";
    pub const SERVICE_UNAVAILABLE: &str = "err.service.unavailable";
    pub const SENDER_ID_INVALID: &str = "err.sender_id.invalid";
}

/// Reason codes of rejected search items and headers (SPEC-NOTES §7).
pub mod reasons {
    pub const SEARCH_CRITERIA_INVALID: &str = "rjct.search_criteria.invalid";
    pub const REFERENCE_ID_DUPLICATE: &str = "rjct.reference_id.duplicate";
    pub const TOO_MANY_RECORDS: &str = "rjct.search.too_many_records_found";
    pub const PAGINATION_INVALID: &str = "rjct.pagination.invalid";
    pub const ACTION_NOT_SUPPORTED: &str = "rjct.action.not_supported";
    pub const TOTAL_COUNT_INVALID: &str = "rjct.total_count.invalid";
    pub const TOTAL_COUNT_LIMIT: &str = "rjct.total_count.limit_exceeded";
    pub const VERSION_INVALID: &str = "rjct.version.invalid";
    pub const MESSAGE_ID_DUPLICATE: &str = "rjct.message_id.duplicate";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_error_bodies() {
        let e = HttpErrorBody::read(r#"{"errors":[{"code":"err.request.unauthorized","message":"token expired"}]}"#)
            .unwrap();
        assert_eq!(e.summary(), "err.request.unauthorized: token expired");
        let o = HttpErrorBody::read(r#"{"error":"invalid_client","error_description":"bad secret"}"#).unwrap();
        assert_eq!(o.summary(), "invalid_client: bad secret");
        assert!(HttpErrorBody::read("<html>").is_none());
    }
}
