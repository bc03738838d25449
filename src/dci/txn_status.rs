//! Transaction status: asking a registry what became of an earlier request
//! (`/registry/sync/txn/status`, SPEC-NOTES §8.5).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::DciError;
use super::search::SearchOutcome;
use super::tolerant::str_at;

/// The `message` of a transaction-status request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TxnStatusRequest {
    #[serde(deserialize_with = "super::tolerant::de_string")]
    pub transaction_id: String,
    pub txnstatus_request: TxnStatusQuery,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TxnStatusQuery {
    #[serde(deserialize_with = "super::tolerant::de_string")]
    pub reference_id: String,
    /// `search`, `subscribe` or `receipt`.
    pub txn_type: String,
    pub attribute_type: TxnAttributeType,
    /// A transaction or correlation ID (a string), or a list of reference IDs.
    pub attribute_value: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
}

/// What `attribute_value` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TxnAttributeType {
    TransactionId,
    ReferenceIdList,
    CorrelationId,
}

impl TxnStatusRequest {
    /// "What became of the search transaction `txn`?"
    pub fn for_transaction(transaction_id: &str, reference_id: &str, txn: &str) -> TxnStatusRequest {
        TxnStatusRequest {
            transaction_id: transaction_id.to_string(),
            txnstatus_request: TxnStatusQuery {
                reference_id: reference_id.to_string(),
                txn_type: "search".to_string(),
                attribute_type: TxnAttributeType::TransactionId,
                attribute_value: Value::String(txn.to_string()),
                locale: None,
            },
        }
    }
}

/// The `message` of a transaction-status response, as a server writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TxnStatusResponse {
    pub transaction_id: String,
    pub correlation_id: String,
    pub txnstatus_response: TxnStatusBody,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TxnStatusBody {
    pub txn_type: String,
    pub txn_status: Value,
}

/// What a transaction-status reply said, as a client reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct TxnStatusOutcome {
    pub transaction_id: Option<String>,
    pub correlation_id: Option<String>,
    pub txn_type: Option<String>,
    /// The search results the registry keeps for that transaction, when the
    /// `txn_status` is a search response.
    pub search: Option<SearchOutcome>,
}

impl TxnStatusOutcome {
    pub fn from_message(message: &Value) -> Result<TxnStatusOutcome, DciError> {
        let body = message
            .get("txnstatus_response")
            .filter(|b| b.is_object())
            .ok_or_else(|| DciError::Malformed("the transaction-status reply has no txnstatus_response".into()))?;
        let search = match body.get("txn_status") {
            Some(s) if s.get("search_response").is_some() => Some(SearchOutcome::from_message(s)?),
            _ => None,
        };
        Ok(TxnStatusOutcome {
            transaction_id: str_at(message, "transaction_id"),
            correlation_id: str_at(message, "correlation_id"),
            txn_type: str_at(body, "txn_type"),
            search,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn request_shape() {
        let v = serde_json::to_value(TxnStatusRequest::for_transaction("t2", "r1", "t1")).unwrap();
        assert_eq!(v["txnstatus_request"]["attribute_type"], "transaction_id");
        assert_eq!(v["txnstatus_request"]["attribute_value"], "t1");
    }

    #[test]
    fn reads_search_inside_status() {
        let m = json!({"transaction_id": "t2", "correlation_id": "c",
            "txnstatus_response": {"txn_type": "search", "txn_status": {"transaction_id": "t1", "search_response": [{"reference_id": "r", "status": "succ"}]}}});
        let o = TxnStatusOutcome::from_message(&m).unwrap();
        assert_eq!(o.search.unwrap().items.len(), 1);
        // The SPDCI mock returns a JSON schema here: no txn_status, still readable, no search.
        let mock = json!({"transaction_id": 1, "txnstatus_response": {"type": "object"}});
        assert!(TxnStatusOutcome::from_message(&mock).unwrap().search.is_none());
        assert!(TxnStatusOutcome::from_message(&json!({})).is_err());
    }
}
