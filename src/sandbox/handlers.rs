//! The sandbox's DCI endpoints: token, JWKS, sync search, enrolled and
//! transaction status.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Form;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde_json::{Value, json};

use super::query::{QueryError, find};
use super::records::beneficiary_records;
use super::state::SandboxState;
use crate::dci::ack::reasons;
use crate::dci::enrolled::{EnrolledRequest, EnrolledResponse, EnrolledResponseItem, EnrolledStatus};
use crate::dci::envelope::{RequestStatus, action, timestamp};
use crate::dci::search::{
    DEFAULT_PAGE_SIZE, Pagination, Query, REG_TYPE_IBR, SearchRequest, SearchRequestItem, SearchResponse,
    SearchResponseData, SearchResponseItem,
};
use crate::dci::tolerant::string_of;
use crate::dci::txn_status::{TxnAttributeType, TxnStatusBody, TxnStatusRequest, TxnStatusResponse};

/// Most search items one message may carry.
pub const MAX_ITEMS_PER_MESSAGE: u64 = 1_000;
/// Largest page a search may ask for.
pub const MAX_PAGE_SIZE: u32 = 1_000;

type Shared = State<Arc<SandboxState>>;

/// `POST /oauth2/client/token`: client credentials in a form body.
pub async fn token(State(state): Shared, Form(form): Form<HashMap<String, String>>) -> Response {
    state.delay().await;
    state.stats.token_requests.fetch_add(1, Ordering::Relaxed);
    let oauth_error = |status: StatusCode, error: &str, description: &str| {
        (status, Json(json!({"error": error, "error_description": description}))).into_response()
    };
    if form.get("grant_type").map(String::as_str) != Some("client_credentials") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "only client_credentials is supported",
        );
    }
    let creds = &state.credentials;
    let id_ok = form.get("client_id") == Some(&creds.client_id);
    let secret_ok = form.get("client_secret") == Some(&creds.client_secret);
    if !(id_ok && secret_ok) {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "unknown client ID or wrong secret",
        );
    }
    let token = state.tokens.issue(creds.token_lifetime);
    Json(json!({
        "access_token": token,
        "token_type": "bearer",
        // A string, as the spec's schema types it.
        "expires_in": creds.token_lifetime.as_secs().to_string(),
    }))
    .into_response()
}

/// `GET /.well-known/jwks.json`: the sandbox's public signing key.
pub async fn jwks(State(state): Shared) -> Response {
    let jwk = state.signer.public_key().to_jwk(&state.signer.kid());
    Json(json!({ "keys": [jwk] })).into_response()
}

/// `POST /registry/sync/search`.
pub async fn search(State(state): Shared, headers: HeaderMap, body: String) -> Response {
    let admitted = match state.admit(&headers, &body, action::SEARCH).await {
        Ok(a) => a,
        Err(refusal) => return refusal,
    };
    let request: SearchRequest = match serde_json::from_value(admitted.message) {
        Ok(r) => r,
        Err(e) => {
            return state.refuse(
                StatusCode::BAD_REQUEST,
                "err.request.bad",
                &format!("the message is not a SearchRequest: {e}"),
            );
        }
    };
    let header = admitted.header;
    let n = request.search_request.len() as u64;
    if n != header.total_count {
        return state.header_rejection(
            &header,
            reasons::TOTAL_COUNT_INVALID,
            &format!("total_count is {} but the message holds {n} items", header.total_count),
        );
    }
    if n > MAX_ITEMS_PER_MESSAGE {
        return state.header_rejection(
            &header,
            reasons::TOTAL_COUNT_LIMIT,
            &format!("at most {MAX_ITEMS_PER_MESSAGE} items per message"),
        );
    }
    state.stats.search_messages.fetch_add(1, Ordering::Relaxed);
    state.stats.search_items.fetch_add(n, Ordering::Relaxed);
    let mut seen = HashSet::new();
    let items: Vec<SearchResponseItem> = request
        .search_request
        .iter()
        .map(|item| {
            if !seen.insert(item.reference_id.clone()) {
                return rejected(
                    item,
                    reasons::REFERENCE_ID_DUPLICATE,
                    "this reference_id appears twice in the message",
                );
            }
            answer_item(&state, item)
        })
        .collect();
    let correlation_id = state.next_correlation_id();
    let message = SearchResponse {
        transaction_id: request.transaction_id.clone(),
        correlation_id: correlation_id.clone(),
        search_response: items,
    };
    let message = serde_json::to_value(message).unwrap_or(Value::Null);
    if let Ok(mut log) = state.transactions.lock() {
        log.record(&request.transaction_id, &correlation_id, message.clone());
    }
    state.reply(&header, action::ON_SEARCH, RequestStatus::Succ, None, n, message)
}

fn rejected(item: &SearchRequestItem, code: &str, message: &str) -> SearchResponseItem {
    SearchResponseItem {
        reference_id: item.reference_id.clone(),
        timestamp: timestamp(Utc::now()),
        status: RequestStatus::Rjct,
        status_reason_code: Some(code.to_string()),
        status_reason_message: Some(message.to_string()),
        data: None,
        pagination: None,
        locale: item.locale.clone(),
    }
}

fn answer_item(state: &SandboxState, item: &SearchRequestItem) -> SearchResponseItem {
    let faults = state.faults.get();
    if state.faults.hit(faults.rjct_rate) {
        return rejected(
            item,
            reasons::SEARCH_CRITERIA_INVALID,
            "rejected by the sandbox's rjct fault switch",
        );
    }
    let criteria = &item.search_criteria;
    if let Some(t) = &criteria.reg_type
        && t != REG_TYPE_IBR
    {
        return rejected(
            item,
            reasons::SEARCH_CRITERIA_INVALID,
            &format!("this registry is {REG_TYPE_IBR}, not {t}"),
        );
    }
    let page = criteria.pagination.unwrap_or(crate::dci::search::PaginationRequest {
        page_size: DEFAULT_PAGE_SIZE,
        page_number: 1,
    });
    if page.page_size == 0 || page.page_size > MAX_PAGE_SIZE || page.page_number == 0 {
        return rejected(
            item,
            reasons::PAGINATION_INVALID,
            &format!("page_size must be 1..={MAX_PAGE_SIZE} and page_number at least 1"),
        );
    }
    let people = match find(&state.population, &criteria.query) {
        Ok(p) => p,
        Err(QueryError::Invalid(why)) => return rejected(item, reasons::SEARCH_CRITERIA_INVALID, &why),
        Err(QueryError::TooMany(n)) => {
            return rejected(
                item,
                reasons::TOO_MANY_RECORDS,
                &format!("{n} people match; narrow the search"),
            );
        }
    };
    let all: Vec<Value> = people
        .iter()
        .filter_map(|&i| state.population.get(i))
        .flat_map(|p| beneficiary_records(p, faults.record_shape))
        .collect();
    let total = all.len() as u64;
    let start = (page.page_number as usize - 1).saturating_mul(page.page_size as usize);
    let records: Vec<Value> = all.into_iter().skip(start).take(page.page_size as usize).collect();
    SearchResponseItem {
        reference_id: item.reference_id.clone(),
        timestamp: timestamp(Utc::now()),
        status: RequestStatus::Succ,
        status_reason_code: None,
        status_reason_message: None,
        data: Some(SearchResponseData {
            version: "1.0.0".to_string(),
            reg_type: Some(REG_TYPE_IBR.to_string()),
            reg_record_type: Some("Member".to_string()),
            reg_records: records,
        }),
        pagination: Some(Pagination {
            page_size: page.page_size as u64,
            page_number: page.page_number as u64,
            total_count: total,
        }),
        locale: item.locale.clone(),
    }
}

/// The identifier an enrolled query names, in any of the shapes the
/// standard's sources use (SPEC-NOTES §8.1).
fn enrolled_query(query: &Value) -> Option<Query> {
    if let (Some(t), Some(v)) = (
        query.get("type").and_then(string_of),
        query.get("value").and_then(string_of),
    ) {
        return Some(Query::id(&t, &v));
    }
    let value = query
        .get("person_identifier")
        .and_then(|p| p.get("eq").and_then(string_of).or_else(|| string_of(p)))
        .or_else(|| {
            (query.get("attribute_name").and_then(Value::as_str) == Some("person_identifier"))
                .then(|| query.get("attribute_value").and_then(string_of))
                .flatten()
        })?;
    Some(Query::Predicate(vec![crate::dci::search::Predicate {
        seq_num: 1,
        expression1: crate::dci::search::Condition::eq("person_identifier", value),
        condition: None,
        expression2: None,
    }]))
}

/// `POST /registry/sync/enrolled`: yes when the person holds an Active enrolment.
pub async fn enrolled(State(state): Shared, headers: HeaderMap, body: String) -> Response {
    let admitted = match state.admit(&headers, &body, action::SEARCH).await {
        Ok(a) => a,
        Err(refusal) => return refusal,
    };
    state.stats.enrolled_messages.fetch_add(1, Ordering::Relaxed);
    let header = admitted.header;
    let request: EnrolledRequest = match serde_json::from_value(admitted.message) {
        Ok(r) => r,
        Err(e) => {
            return state.refuse(
                StatusCode::BAD_REQUEST,
                "err.request.bad",
                &format!("the message is not an EnrolledRequest: {e}"),
            );
        }
    };
    let (status, reason, enrolled) = match enrolled_query(&request.enrolled_criteria.query) {
        None => (
            RequestStatus::Rjct,
            Some("the query names no person identifier".to_string()),
            EnrolledStatus::No,
        ),
        Some(q) => match find(&state.population, &q) {
            Ok(people) => {
                let active = people
                    .iter()
                    .filter_map(|&i| state.population.get(i))
                    .any(|p| p.enrolments.iter().any(|e| e.status.is_active()));
                (
                    RequestStatus::Succ,
                    None,
                    if active {
                        EnrolledStatus::Yes
                    } else {
                        EnrolledStatus::No
                    },
                )
            }
            Err(QueryError::Invalid(why)) => (RequestStatus::Rjct, Some(why), EnrolledStatus::No),
            Err(QueryError::TooMany(n)) => (
                RequestStatus::Rjct,
                Some(format!("{n} people match")),
                EnrolledStatus::No,
            ),
        },
    };
    let message = EnrolledResponse {
        transaction_id: request.transaction_id.clone(),
        correlation_id: state.next_correlation_id(),
        enrolled_response: vec![EnrolledResponseItem {
            reference_id: request.transaction_id,
            timestamp: timestamp(Utc::now()),
            status,
            status_reason_message: reason,
            enrolled_status: enrolled,
        }],
    };
    let message = serde_json::to_value(message).unwrap_or(Value::Null);
    state.reply(&header, action::ON_SEARCH, RequestStatus::Succ, None, 1, message)
}

/// `POST /registry/sync/txn/status`: replays a recent search's results.
pub async fn txn_status(State(state): Shared, headers: HeaderMap, body: String) -> Response {
    let admitted = match state.admit(&headers, &body, action::TXN_STATUS).await {
        Ok(a) => a,
        Err(refusal) => return refusal,
    };
    state.stats.txn_status_messages.fetch_add(1, Ordering::Relaxed);
    let header = admitted.header;
    let request: TxnStatusRequest = match serde_json::from_value(admitted.message) {
        Ok(r) => r,
        Err(e) => {
            return state.refuse(
                StatusCode::BAD_REQUEST,
                "err.request.bad",
                &format!("the message is not a TxnStatusRequest: {e}"),
            );
        }
    };
    let q = &request.txnstatus_request;
    let found = state.transactions.lock().ok().and_then(|log| {
        let first_str = || string_of(&q.attribute_value).or_else(|| q.attribute_value.get(0).and_then(string_of));
        match q.attribute_type {
            TxnAttributeType::TransactionId => log.by_transaction(&first_str()?).cloned(),
            TxnAttributeType::CorrelationId => log.by_correlation(&first_str()?).cloned(),
            TxnAttributeType::ReferenceIdList => log.by_reference(&first_str()?).cloned(),
        }
    });
    let txn_status = found.unwrap_or_else(|| {
        json!({
            "transaction_id": string_of(&q.attribute_value).unwrap_or_default(),
            "correlation_id": "",
            "search_response": [{
                "reference_id": q.reference_id,
                "timestamp": timestamp(Utc::now()),
                "status": "rjct",
                "status_reason_code": "rjct.reference_id.invalid",
                "status_reason_message": "no recent transaction matches",
            }],
        })
    });
    let message = TxnStatusResponse {
        transaction_id: request.transaction_id,
        correlation_id: state.next_correlation_id(),
        txnstatus_response: TxnStatusBody {
            txn_type: q.txn_type.clone(),
            txn_status,
        },
    };
    let message = serde_json::to_value(message).unwrap_or(Value::Null);
    state.reply(&header, action::TXN_ON_STATUS, RequestStatus::Succ, None, 1, message)
}
