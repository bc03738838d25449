//! Search: `SearchRequest` (what `/registry/sync/search` takes) and
//! `SearchResponse` (what it answers), SPEC-NOTES §6.
//!
//! The request types serialise to exactly what the schema asks. The response
//! has two forms: [`SearchResponse`] is what a server writes, and
//! [`SearchOutcome`] is what a client reads, tolerant of the variants
//! registries send but never turning a reply it cannot read into "no records".

// Registry replies flow through here: no byte slicing of their text, no
// arithmetic that can overflow on their numbers.
#![warn(clippy::string_slice, clippy::arithmetic_side_effects)]

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::DciError;
use super::record::parse_records;
use super::tolerant::{count_of, list_of, str_at};
use crate::domain::BeneficiaryRecord;

pub use super::envelope::RequestStatus;

/// `reg_type` of an Integrated Beneficiary Registry.
pub const REG_TYPE_IBR: &str = "ns:org:RegistryType:IBR";
/// ISO 639-3 code the schema's `locale` pattern requires.
pub const DEFAULT_LOCALE: &str = "eng";
/// Page size of our searches: a duplication check needs every candidate, and
/// ten is the size the spec's examples use.
pub const DEFAULT_PAGE_SIZE: u32 = 10;

/// The `message` of a search request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchRequest {
    #[serde(deserialize_with = "super::tolerant::de_string")]
    pub transaction_id: String,
    pub search_request: Vec<SearchRequestItem>,
}

/// One search in a batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchRequestItem {
    #[serde(deserialize_with = "super::tolerant::de_string")]
    pub reference_id: String,
    pub timestamp: String,
    pub search_criteria: SearchCriteria,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
}

/// What to search for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchCriteria {
    #[serde(default = "default_version")]
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reg_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reg_record_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reg_event_type: Option<String>,
    #[serde(flatten)]
    pub query: Query,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sort: Vec<SortSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pagination: Option<PaginationRequest>,
}

fn default_version() -> String {
    super::envelope::PROTOCOL_VERSION.to_string()
}

/// A query and its `query_type`, which together decide how the receiver reads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "query_type", content = "query")]
pub enum Query {
    /// `{"type": "UIN", "value": "4567890123"}`: an identifier lookup.
    #[serde(rename = "idtype-value")]
    IdTypeValue(IdTypeValue),
    /// `{"type": "<language tag>", "value": {"expression": …}}`.
    #[serde(rename = "expression")]
    Expression(ExpressionQuery),
    /// A list of attribute conditions.
    #[serde(rename = "predicate")]
    Predicate(Vec<Predicate>),
}

/// An identifier lookup.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdTypeValue {
    #[serde(rename = "type")]
    pub id_type: String,
    /// The standard allows any JSON value; we send strings.
    pub value: Value,
}

/// A query in some query language, tagged by `type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExpressionQuery {
    #[serde(rename = "type")]
    pub language: String,
    pub value: ExpressionValue,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExpressionValue {
    pub expression: Value,
}

/// One condition of a predicate query, possibly joined with a second one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Predicate {
    pub seq_num: u32,
    pub expression1: Condition,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<Connective>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression2: Option<Condition>,
}

/// `attribute_name operator attribute_value`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Condition {
    pub attribute_name: String,
    pub operator: Operator,
    pub attribute_value: Value,
}

impl Condition {
    pub fn eq(attribute_name: &str, value: impl Into<Value>) -> Condition {
        Condition {
            attribute_name: attribute_name.to_string(),
            operator: Operator::Eq,
            attribute_value: value.into(),
        }
    }
}

/// The comparison operators the standard lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Operator {
    Gt,
    Lt,
    Eq,
    Ge,
    Le,
    In,
}

/// How two conditions of a predicate combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Connective {
    And,
    Or,
    Not,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SortSpec {
    pub attribute_name: String,
    pub sort_order: SortOrder,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SortOrder {
    Asc,
    Desc,
}

/// The page asked for; pages count from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaginationRequest {
    pub page_size: u32,
    #[serde(default = "first_page")]
    pub page_number: u32,
}

fn first_page() -> u32 {
    1
}

impl SearchCriteria {
    /// Criteria for one query against an IBR, first page.
    pub fn ibr(query: Query) -> SearchCriteria {
        SearchCriteria {
            version: default_version(),
            reg_type: Some(REG_TYPE_IBR.to_string()),
            reg_record_type: None,
            reg_event_type: None,
            query,
            sort: Vec::new(),
            pagination: Some(PaginationRequest {
                page_size: DEFAULT_PAGE_SIZE,
                page_number: 1,
            }),
        }
    }
}

impl Query {
    /// An identifier lookup with the value as a string.
    pub fn id(id_type: &str, value: &str) -> Query {
        Query::IdTypeValue(IdTypeValue {
            id_type: id_type.to_string(),
            value: Value::String(value.to_string()),
        })
    }

    /// A demographic search: given name, surname and birth date all equal.
    /// Attribute names follow the Beneficiary record's own member names.
    pub fn demographic(given_name: &str, surname: &str, birth_date: &str) -> Query {
        Query::Predicate(vec![
            Predicate {
                seq_num: 1,
                expression1: Condition::eq("given_name", given_name),
                condition: Some(Connective::And),
                expression2: Some(Condition::eq("surname", surname)),
            },
            Predicate {
                seq_num: 2,
                expression1: Condition::eq("birth_date", birth_date),
                condition: None,
                expression2: None,
            },
        ])
    }

    pub fn query_type(&self) -> &'static str {
        match self {
            Query::IdTypeValue(_) => "idtype-value",
            Query::Expression(_) => "expression",
            Query::Predicate(_) => "predicate",
        }
    }
}

/// The `message` of a search response, as a server writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchResponse {
    pub transaction_id: String,
    pub correlation_id: String,
    pub search_response: Vec<SearchResponseItem>,
}

/// One answered search, as a server writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchResponseItem {
    pub reference_id: String,
    pub timestamp: String,
    pub status: RequestStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_reason_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_reason_message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<SearchResponseData>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pagination: Option<Pagination>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchResponseData {
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reg_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reg_record_type: Option<String>,
    pub reg_records: Vec<Value>,
}

/// Where a page sits in the whole result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pagination {
    pub page_size: u64,
    pub page_number: u64,
    pub total_count: u64,
}

/// A search reply as a client reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchOutcome {
    pub transaction_id: Option<String>,
    pub correlation_id: Option<String>,
    pub items: Vec<SearchItemOutcome>,
}

/// One answered search as a client reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchItemOutcome {
    pub reference_id: Option<String>,
    pub status: RequestStatus,
    pub status_reason_code: Option<String>,
    pub status_reason_message: Option<String>,
    /// Every record the item carried, none dropped (a record that could not be
    /// fully read carries `parse_notes`).
    pub records: Vec<BeneficiaryRecord>,
    /// Why a `succ` item carries no list of records at all — `data` missing,
    /// no `reg_records` in it, `reg_records: null`, the records under another
    /// key. The payload is then missing, not empty: never "no records".
    /// `None` when the item has a records list (possibly empty), or is not `succ`.
    pub payload_missing: Option<String>,
    /// `total_count` from the pagination, when given.
    pub total_count: Option<u64>,
    pub page_number: Option<u64>,
    pub page_size: Option<u64>,
}

impl SearchOutcome {
    /// Reads the `message` of a search reply (SPEC-NOTES §6.2, §8.3, §11):
    /// `search_response` as a list or one object; `data.reg_records` as a
    /// list or one object (or `data` itself as the list); `transaction_id` as
    /// a string or a number. A `succ` item without a records list is kept
    /// with [`SearchItemOutcome::payload_missing`] saying what is missing:
    /// "nothing found" is `reg_records: []`, never the absence of an answer.
    pub fn from_message(message: &Value) -> Result<SearchOutcome, DciError> {
        if !message.is_object() {
            return Err(DciError::Malformed(
                "the search reply's message is not an object".into(),
            ));
        }
        let Some(items) = message.get("search_response") else {
            return Err(DciError::Malformed("the search reply has no search_response".into()));
        };
        let mut out = Vec::new();
        for (i, item) in list_of(Some(items)).into_iter().enumerate() {
            if !item.is_object() {
                return Err(DciError::Malformed(format!(
                    "search_response item {} is not an object",
                    i.saturating_add(1)
                )));
            }
            let status = item
                .get("status")
                .and_then(Value::as_str)
                .map(RequestStatus::from_wire)
                .unwrap_or(RequestStatus::Other(String::new()));
            let (records_value, payload_missing) = records_of(item.get("data"));
            let payload_missing = payload_missing.filter(|_| status == RequestStatus::Succ);
            let records = parse_records(records_value)
                .map_err(|e| DciError::Malformed(format!("search_response item {}: {e}", i.saturating_add(1))))?;
            let pagination = item.get("pagination");
            let page = |k: &str| pagination.and_then(|p| p.get(k)).and_then(count_of);
            out.push(SearchItemOutcome {
                reference_id: str_at(item, "reference_id"),
                status,
                status_reason_code: str_at(item, "status_reason_code"),
                status_reason_message: str_at(item, "status_reason_message"),
                records,
                payload_missing,
                total_count: page("total_count"),
                page_number: page("page_number"),
                page_size: page("page_size"),
            });
        }
        Ok(SearchOutcome {
            transaction_id: str_at(message, "transaction_id"),
            correlation_id: str_at(message, "correlation_id"),
            items: out,
        })
    }

    /// The item answering `reference_id` (the first, when it is answered
    /// more than once: see [`SearchOutcome::items_for`]).
    pub fn item(&self, reference_id: &str) -> Option<&SearchItemOutcome> {
        self.items
            .iter()
            .find(|i| i.reference_id.as_deref() == Some(reference_id))
    }

    /// Every item answering `reference_id`. More than one is an ambiguous
    /// answer (which one is the registry's?), so a reader must not pick one.
    pub fn items_for(&self, reference_id: &str) -> Vec<&SearchItemOutcome> {
        self.items
            .iter()
            .filter(|i| i.reference_id.as_deref() == Some(reference_id))
            .collect()
    }
}

/// Where an item's records are, and, when there is no records list at all,
/// why. `data` may be an object holding `reg_records` (the standard), or
/// the list itself (some registries); anything else is a missing payload.
fn records_of(data: Option<&Value>) -> (Option<&Value>, Option<String>) {
    match data {
        None => (None, Some("the item has no data".to_string())),
        Some(Value::Null) => (None, Some("the item's data is null".to_string())),
        Some(Value::Object(d)) => match d.get("reg_records") {
            Some(Value::Null) => (None, Some("reg_records is null".to_string())),
            Some(records) => (Some(records), None),
            None => {
                let keys: Vec<&str> = d.keys().map(String::as_str).collect();
                let near = keys
                    .iter()
                    .find(|k| k.to_ascii_lowercase().replace(['_', '-'], "").contains("record"));
                let why = match near {
                    Some(k) => format!("data has no reg_records (the records may be under {k:?} instead)"),
                    None if keys.is_empty() => "data has no reg_records (data is empty)".to_string(),
                    None => format!("data has no reg_records (it has: {})", keys.join(", ")),
                };
                (None, Some(why))
            }
        },
        // Some registries put the list of records straight into `data`.
        Some(list @ Value::Array(_)) => (Some(list), None),
        Some(other) => (Some(other), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn id_query_serialises_as_the_spec_example() {
        let c = SearchCriteria::ibr(Query::id("UIN", "4567890123"));
        let v = serde_json::to_value(&c).unwrap();
        assert_eq!(v["query_type"], "idtype-value");
        assert_eq!(v["query"], json!({"type": "UIN", "value": "4567890123"}));
        assert_eq!(v["reg_type"], REG_TYPE_IBR);
        assert_eq!(v["pagination"], json!({"page_size": 10, "page_number": 1}));
        let back: SearchCriteria = serde_json::from_value(v).unwrap();
        assert_eq!(back, c);
    }

    #[test]
    fn predicate_query_round_trips() {
        let q = Query::demographic("Amina", "Diallo", "1990-03-14");
        let c = SearchCriteria::ibr(q.clone());
        let v = serde_json::to_value(&c).unwrap();
        assert_eq!(v["query_type"], "predicate");
        assert_eq!(v["query"][0]["expression1"]["operator"], "eq");
        let back: SearchCriteria = serde_json::from_value(v).unwrap();
        assert_eq!(back.query, q);
    }

    #[test]
    fn reads_object_for_list_and_string_ids() {
        let m = json!({
            "transaction_id": 123,
            "search_response": {"reference_id": "r1", "timestamp": "", "status": "succ",
                "data": {"reg_records": {"member": {}}}}
        });
        let o = SearchOutcome::from_message(&m).unwrap();
        assert_eq!(o.transaction_id.as_deref(), Some("123"));
        assert_eq!(o.items.len(), 1);
        assert_eq!(o.items[0].records.len(), 1);
        assert_eq!(o.items[0].payload_missing, None);
        assert_eq!(o.items[0].status, RequestStatus::Succ);
    }

    #[test]
    fn a_succ_item_without_a_records_list_is_missing_not_empty() {
        let read = |item: Value| {
            let o = SearchOutcome::from_message(&json!({"search_response": [item]})).unwrap();
            o.items[0].payload_missing.clone()
        };
        let missing = |item: Value| read(item).unwrap_or_else(|| panic!("read as a records list"));
        assert!(missing(json!({"reference_id": "r", "status": "succ"})).contains("no data"));
        assert!(missing(json!({"reference_id": "r", "status": "succ", "data": null})).contains("null"));
        assert!(
            missing(json!({"status": "succ", "data": {"version": "1.0.0"}}))
                .contains("no reg_records (it has: version)")
        );
        assert!(missing(json!({"status": "succ", "data": {"reg_records": null}})).contains("reg_records is null"));
        let misspelt = missing(json!({"status": "succ", "data": {"version": "1.0.0", "reg_record": [{}]}}));
        assert!(misspelt.contains("\"reg_record\" instead"), "{misspelt}");
        // An empty list is an answer: nothing found.
        assert_eq!(read(json!({"status": "succ", "data": {"reg_records": []}})), None);
        assert_eq!(read(json!({"status": "succ", "data": []})), None);
        // A rejected item carries no data, and that is its answer.
        assert_eq!(read(json!({"status": "rjct"})), None);
    }

    #[test]
    fn every_answer_to_a_reference_is_found() {
        let o = SearchOutcome::from_message(&json!({"search_response": [
            {"reference_id": "r", "status": "succ", "data": {"reg_records": []}},
            {"reference_id": "q", "status": "succ", "data": {"reg_records": []}},
            {"reference_id": "r", "status": "rjct"},
        ]}))
        .unwrap();
        assert_eq!(o.items_for("r").len(), 2);
        assert_eq!(o.items_for("q").len(), 1);
        assert!(o.items_for("x").is_empty());
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        assert!(SearchOutcome::from_message(&json!({"transaction_id": "t"})).is_err());
        assert!(SearchOutcome::from_message(&json!({"search_response": ["x"]})).is_err());
        assert!(SearchOutcome::from_message(&json!("nope")).is_err());
        let bad_records = json!({"search_response": [{"status": "succ", "data": {"reg_records": "oops"}}]});
        assert!(SearchOutcome::from_message(&bad_records).is_err());
    }

    #[test]
    fn missing_status_is_kept_as_unknown() {
        let o = SearchOutcome::from_message(&json!({"search_response": [{"reference_id": "r"}]})).unwrap();
        assert_eq!(o.items[0].status, RequestStatus::Other(String::new()));
    }
}
