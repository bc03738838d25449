//! What a running sandbox holds, and the two things every DCI handler does
//! with it: admit a request (faults, token, envelope, signature) and build a
//! signed reply (with the faults that corrupt replies).

// Handlers return the refusal itself as the error: an axum `Response` is
// large, but it is built once per refused request.
#![allow(clippy::result_large_err)]

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::Serialize;
use serde_json::{Value, json};

use super::auth::{Credentials, TokenStore};
use super::faults::Faults;
use super::population::Population;
use crate::dci::ack::{HttpErrorBody, codes};
use crate::dci::canonical;
use crate::dci::envelope::{MsgCallbackHeader, MsgHeader, PROTOCOL_VERSION, RequestStatus, timestamp};
use crate::dci::signature::{SignatureError, Signer, TrustedKeys, verify_envelope};

/// How many past transactions `txn/status` can answer for.
const TRANSACTION_MEMORY: usize = 10_000;
/// How many recent message IDs are remembered to refuse duplicates.
const MESSAGE_ID_MEMORY: usize = 100_000;

/// Request counters, for tests that check batching and for `/sandbox/stats`.
#[derive(Debug, Default)]
pub struct Stats {
    pub token_requests: AtomicU64,
    pub search_messages: AtomicU64,
    pub search_items: AtomicU64,
    pub enrolled_messages: AtomicU64,
    pub txn_status_messages: AtomicU64,
    pub refused_requests: AtomicU64,
}

/// A snapshot of [`Stats`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct StatsSnapshot {
    pub token_requests: u64,
    pub search_messages: u64,
    pub search_items: u64,
    pub enrolled_messages: u64,
    pub txn_status_messages: u64,
    pub refused_requests: u64,
}

impl Stats {
    pub fn snapshot(&self) -> StatsSnapshot {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        StatsSnapshot {
            token_requests: g(&self.token_requests),
            search_messages: g(&self.search_messages),
            search_items: g(&self.search_items),
            enrolled_messages: g(&self.enrolled_messages),
            txn_status_messages: g(&self.txn_status_messages),
            refused_requests: g(&self.refused_requests),
        }
    }
}

/// Recent search transactions: ID → (correlation ID, the search response message).
#[derive(Debug, Default)]
pub struct TransactionLog {
    order: VecDeque<String>,
    by_id: HashMap<String, (String, Value)>,
}

impl TransactionLog {
    pub fn record(&mut self, transaction_id: &str, correlation_id: &str, message: Value) {
        if self
            .by_id
            .insert(transaction_id.to_string(), (correlation_id.to_string(), message))
            .is_none()
        {
            self.order.push_back(transaction_id.to_string());
        }
        while self.order.len() > TRANSACTION_MEMORY {
            if let Some(old) = self.order.pop_front() {
                self.by_id.remove(&old);
            }
        }
    }

    pub fn by_transaction(&self, id: &str) -> Option<&Value> {
        self.by_id.get(id).map(|(_, m)| m)
    }

    pub fn by_correlation(&self, id: &str) -> Option<&Value> {
        self.by_id.values().find(|(c, _)| c == id).map(|(_, m)| m)
    }

    pub fn by_reference(&self, reference_id: &str) -> Option<&Value> {
        self.by_id.values().map(|(_, m)| m).find(|m| {
            m["search_response"]
                .as_array()
                .is_some_and(|items| items.iter().any(|i| i["reference_id"] == reference_id))
        })
    }
}

/// Everything a running sandbox shares between requests.
pub struct SandboxState {
    pub population: Arc<Population>,
    pub signer: Signer,
    /// Same `kidId`, another key: what the bad-signature fault signs with.
    pub impostor: Signer,
    pub credentials: Credentials,
    pub require_token: bool,
    pub require_signed_requests: bool,
    pub tokens: TokenStore,
    pub client_keys: RwLock<TrustedKeys>,
    pub faults: Faults,
    pub transactions: Mutex<TransactionLog>,
    seen_message_ids: Mutex<(HashSet<String>, VecDeque<String>)>,
    correlation: AtomicU64,
    pub stats: Stats,
}

/// An admitted DCI request.
pub struct Admitted {
    pub header: MsgHeader,
    pub message: Value,
}

impl SandboxState {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        population: Arc<Population>,
        signer: Signer,
        impostor: Signer,
        credentials: Credentials,
        require_token: bool,
        require_signed_requests: bool,
        client_keys: TrustedKeys,
        faults: Faults,
    ) -> SandboxState {
        SandboxState {
            population,
            signer,
            impostor,
            credentials,
            require_token,
            require_signed_requests,
            tokens: TokenStore::default(),
            client_keys: RwLock::new(client_keys),
            faults,
            transactions: Mutex::new(TransactionLog::default()),
            seen_message_ids: Mutex::new((HashSet::new(), VecDeque::new())),
            correlation: AtomicU64::new(1),
            stats: Stats::default(),
        }
    }

    pub fn next_correlation_id(&self) -> String {
        format!("sbx-corr-{:08}", self.correlation.fetch_add(1, Ordering::Relaxed))
    }

    /// Sleeps for the configured latency.
    pub async fn delay(&self) {
        let ms = self.faults.get().latency_ms;
        if ms > 0 {
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
    }

    /// Checks everything that comes before the payload. `Err` is the reply to send.
    pub async fn admit(&self, headers: &HeaderMap, body: &str, expected_action: &str) -> Result<Admitted, Response> {
        self.delay().await;
        let faults = self.faults.get();
        if self.faults.hit(faults.throttle_rate) {
            return Err(self.refuse(
                StatusCode::TOO_MANY_REQUESTS,
                "err.request.too_many_requests",
                "slow down (sandbox throttle fault)",
            ));
        }
        if self.faults.hit(faults.error_rate) {
            return Err(self.refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                codes::SERVICE_UNAVAILABLE,
                "the sandbox's error fault switch is on",
            ));
        }
        if self.require_token && !self.tokens.authorised(headers) {
            return Err(self.refuse(
                StatusCode::UNAUTHORIZED,
                codes::REQUEST_UNAUTHORIZED,
                "missing, unknown or expired bearer token",
            ));
        }
        let raw = canonical::parse(body).map_err(|e| {
            self.refuse(
                StatusCode::BAD_REQUEST,
                codes::REQUEST_BAD,
                &format!("body is not JSON: {e}"),
            )
        })?;
        let value: Value = serde_json::from_str(body)
            .map_err(|e| self.refuse(StatusCode::BAD_REQUEST, codes::REQUEST_BAD, &e.to_string()))?;
        let (Some(h), Some(message)) = (value.get("header"), value.get("message")) else {
            return Err(self.refuse(
                StatusCode::BAD_REQUEST,
                codes::REQUEST_BAD,
                "the body needs a header and a message",
            ));
        };
        let header: MsgHeader = serde_json::from_value(h.clone()).map_err(|e| {
            self.refuse(
                StatusCode::BAD_REQUEST,
                codes::REQUEST_BAD,
                &format!("the header cannot be read: {e}"),
            )
        })?;
        self.check_request_signature(&raw, value.get("signature"))?;
        if header.action != expected_action {
            return Err(self.header_rejection(
                &header,
                "rjct.action.invalid",
                &format!(
                    "this endpoint takes action {expected_action:?}, not {:?}",
                    header.action
                ),
            ));
        }
        if header.version != PROTOCOL_VERSION {
            return Err(self.header_rejection(
                &header,
                "rjct.version.invalid",
                &format!("version {:?} is not supported (1.0.0)", header.version),
            ));
        }
        if !self.remember_message_id(&header.message_id) {
            return Err(self.header_rejection(
                &header,
                "rjct.message_id.duplicate",
                "this message_id was already received",
            ));
        }
        Ok(Admitted {
            header,
            message: message.clone(),
        })
    }

    fn check_request_signature(&self, raw: &canonical::RawJson, field: Option<&Value>) -> Result<(), Response> {
        let signed = field.and_then(Value::as_str).is_some_and(|s| !s.trim().is_empty());
        if !signed {
            return if self.require_signed_requests {
                Err(self.refuse(
                    StatusCode::UNAUTHORIZED,
                    codes::SIGNATURE_MISSING,
                    "this sandbox requires signed requests",
                ))
            } else {
                Ok(())
            };
        }
        let keys = self.client_keys.read().map(|k| k.clone()).unwrap_or_default();
        match verify_envelope(raw, &keys, Utc::now().timestamp()) {
            Ok(_) => Ok(()),
            Err(SignatureError::NoTrustedKey { .. }) if !self.require_signed_requests => Ok(()),
            Err(e) => Err(self.refuse(StatusCode::UNAUTHORIZED, codes::SIGNATURE_INVALID, &e.to_string())),
        }
    }

    fn remember_message_id(&self, id: &str) -> bool {
        let Ok(mut guard) = self.seen_message_ids.lock() else {
            return true;
        };
        let (set, order) = &mut *guard;
        if !set.insert(id.to_string()) {
            return false;
        }
        order.push_back(id.to_string());
        if order.len() > MESSAGE_ID_MEMORY
            && let Some(old) = order.pop_front()
        {
            set.remove(&old);
        }
        true
    }

    /// An HTTP error reply with the standard error body.
    pub fn refuse(&self, status: StatusCode, code: &str, message: &str) -> Response {
        self.stats.refused_requests.fetch_add(1, Ordering::Relaxed);
        (status, axum::Json(HttpErrorBody::one(code, message))).into_response()
    }

    /// A signed reply whose header says the whole message was rejected.
    pub fn header_rejection(&self, request: &MsgHeader, code: &str, message: &str) -> Response {
        self.stats.refused_requests.fetch_add(1, Ordering::Relaxed);
        let reply_action = reply_action(&request.action);
        self.reply(
            request,
            &reply_action,
            RequestStatus::Rjct,
            Some((code, message)),
            0,
            json!({}),
        )
    }

    /// A signed sync reply. Applies the faults that corrupt replies.
    pub fn reply(
        &self,
        request: &MsgHeader,
        action: &str,
        status: RequestStatus,
        reason: Option<(&str, &str)>,
        completed: u64,
        message: Value,
    ) -> Response {
        let header = MsgCallbackHeader {
            version: PROTOCOL_VERSION.to_string(),
            message_id: Some(uuid::Uuid::new_v4().to_string()),
            message_ts: Some(timestamp(Utc::now())),
            action: Some(action.to_string()),
            status,
            status_reason_code: reason.map(|r| r.0.to_string()),
            status_reason_message: reason.map(|r| r.1.to_string()),
            total_count: Some(request.total_count),
            completed_count: Some(completed),
            sender_id: Some(self.signer.sender_id().to_string()),
            receiver_id: Some(request.sender_id.clone()),
            is_msg_encrypted: false,
            meta: json!({}),
        };
        let header = serde_json::to_value(header).unwrap_or(Value::Null);
        let faults = self.faults.get();
        let signer = if self.faults.hit(faults.bad_signature_rate) {
            &self.impostor
        } else {
            &self.signer
        };
        let body = if faults.unsigned {
            json!({"signature": "", "header": header, "message": message}).to_string()
        } else {
            match signer.envelope_text(&header, &message, Utc::now().timestamp()) {
                Ok(text) => text,
                Err(e) => {
                    return self.refuse(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "err.service.unavailable",
                        &format!("signing failed: {e}"),
                    );
                }
            }
        };
        let body = if self.faults.hit(faults.malformed_rate) {
            // Cut the body in the middle, as a dropped proxy connection would.
            body.chars().take(body.chars().count() / 2).collect()
        } else {
            body
        };
        ([(header::CONTENT_TYPE, "application/json")], body).into_response()
    }
}

/// The callback action answering a request action.
pub fn reply_action(action: &str) -> String {
    match action {
        "txn-status" => "txn-on-status".to_string(),
        other => format!("on-{other}"),
    }
}
