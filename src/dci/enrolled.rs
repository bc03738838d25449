//! The IBR's own question, "is this person a beneficiary?":
//! `/registry/sync/enrolled` (SPEC-NOTES §8.1).
//!
//! The sources disagree on both shapes. We send the schema's
//! `EnrolledRequest` with an `idtype-value` query, and read any of: the
//! schema's `enrolled_response` list (`enrolled_status` `yes`/`no`), a
//! `search_response` with records (the spec's sample), or an acknowledgement
//! (the SPDCI mock), which answers nothing and is reported as such.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::envelope::RequestStatus;
use super::error::DciError;
use super::search::SearchOutcome;
use super::tolerant::{list_of, str_at};

/// The `message` of an enrolled request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnrolledRequest {
    #[serde(deserialize_with = "super::tolerant::de_string")]
    pub transaction_id: String,
    pub enrolled_criteria: EnrolledCriteria,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnrolledCriteria {
    pub query_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_entity: Option<String>,
    pub query: Value,
}

impl EnrolledRequest {
    /// "Is the holder of this identifier enrolled?"
    pub fn by_identifier(transaction_id: &str, id_type: &str, value: &str) -> EnrolledRequest {
        EnrolledRequest {
            transaction_id: transaction_id.to_string(),
            enrolled_criteria: EnrolledCriteria {
                query_type: "idtype-value".to_string(),
                response_entity: Some("Member".to_string()),
                query: json!({ "type": id_type, "value": value }),
            },
        }
    }
}

/// The `message` of an enrolled response, as a server writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnrolledResponse {
    pub transaction_id: String,
    pub correlation_id: String,
    pub enrolled_response: Vec<EnrolledResponseItem>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnrolledResponseItem {
    pub reference_id: String,
    pub timestamp: String,
    pub status: RequestStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_reason_message: Option<String>,
    pub enrolled_status: EnrolledStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EnrolledStatus {
    Yes,
    No,
}

/// What an enrolled reply said, as a client reads it.
#[derive(Debug, Clone, PartialEq)]
pub enum EnrolledOutcome {
    /// The schema's answer: per item, a status and yes/no.
    Answer(Vec<EnrolledAnswer>),
    /// The registry answered with search results instead (the spec's sample).
    Search(SearchOutcome),
    /// The registry only acknowledged the request: it answered nothing.
    Acknowledged { ack_status: String },
}

#[derive(Debug, Clone, PartialEq)]
pub struct EnrolledAnswer {
    pub reference_id: Option<String>,
    pub status: RequestStatus,
    pub status_reason_message: Option<String>,
    /// `None` when `enrolled_status` is missing or neither `yes` nor `no`.
    pub enrolled: Option<bool>,
}

impl EnrolledOutcome {
    pub fn from_message(message: &Value) -> Result<EnrolledOutcome, DciError> {
        if let Some(items) = message.get("enrolled_response") {
            let answers = list_of(Some(items))
                .into_iter()
                .map(|i| EnrolledAnswer {
                    reference_id: str_at(i, "reference_id"),
                    status: i
                        .get("status")
                        .and_then(Value::as_str)
                        .map(RequestStatus::from_wire)
                        .unwrap_or(RequestStatus::Other(String::new())),
                    status_reason_message: str_at(i, "status_reason_message"),
                    enrolled: match str_at(i, "enrolled_status").map(|s| s.to_ascii_lowercase()).as_deref() {
                        Some("yes") => Some(true),
                        Some("no") => Some(false),
                        _ => None,
                    },
                })
                .collect();
            return Ok(EnrolledOutcome::Answer(answers));
        }
        if message.get("search_response").is_some() {
            return SearchOutcome::from_message(message).map(EnrolledOutcome::Search);
        }
        if let Some(ack) = str_at(message, "ack_status") {
            return Ok(EnrolledOutcome::Acknowledged { ack_status: ack });
        }
        Err(DciError::Malformed(
            "the enrolled reply has neither enrolled_response, search_response nor ack_status".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_matches_schema_shape() {
        let v = serde_json::to_value(EnrolledRequest::by_identifier("t1", "UIN", "42")).unwrap();
        assert_eq!(v["enrolled_criteria"]["query_type"], "idtype-value");
        assert_eq!(v["enrolled_criteria"]["response_entity"], "Member");
        assert_eq!(v["enrolled_criteria"]["query"]["value"], "42");
    }

    #[test]
    fn reads_all_three_shapes() {
        let a = EnrolledOutcome::from_message(
            &json!({"enrolled_response": [{"status": "succ", "enrolled_status": "yes"}]}),
        )
        .unwrap();
        assert!(matches!(&a, EnrolledOutcome::Answer(v) if v[0].enrolled == Some(true)));
        let s = EnrolledOutcome::from_message(&json!({"search_response": []})).unwrap();
        assert!(matches!(s, EnrolledOutcome::Search(_)));
        let k = EnrolledOutcome::from_message(&json!({"ack_status": "yes", "correlation_id": "1"})).unwrap();
        assert_eq!(
            k,
            EnrolledOutcome::Acknowledged {
                ack_status: "yes".into()
            }
        );
        assert!(EnrolledOutcome::from_message(&json!({})).is_err());
    }
}
