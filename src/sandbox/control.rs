//! `/sandbox/...`: the sandbox's own control endpoints, outside the DCI
//! paths. They change fault switches, expire tokens, register client keys
//! and report counters and sample identifiers. The sandbox listens on
//! loopback only, so these need no authentication.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::faults::FaultConfig;
use super::state::SandboxState;
use crate::dci::keys::{Jwks, Kid, PublicKey};

type Shared = State<Arc<SandboxState>>;

pub async fn get_faults(State(state): Shared) -> Response {
    Json(state.faults.get()).into_response()
}

pub async fn put_faults(State(state): Shared, body: String) -> Response {
    let config: FaultConfig = match serde_json::from_str(&body) {
        Ok(c) => c,
        Err(e) => return (StatusCode::BAD_REQUEST, Json(json!({"error": e.to_string()}))).into_response(),
    };
    match state.faults.set(config) {
        Ok(()) => Json(state.faults.get()).into_response(),
        Err(e) => (StatusCode::BAD_REQUEST, Json(json!({"error": e}))).into_response(),
    }
}

pub async fn expire_tokens(State(state): Shared) -> Response {
    state.tokens.expire_all();
    StatusCode::NO_CONTENT.into_response()
}

/// Registers a client's public keys (a JWKS whose `kid`s name the sender),
/// so that the sandbox verifies that client's signed requests.
pub async fn add_client_keys(State(state): Shared, body: String) -> Response {
    let jwks = match Jwks::from_json(&body) {
        Ok(j) => j,
        Err(e) => return (StatusCode::BAD_REQUEST, Json(json!({"error": e}))).into_response(),
    };
    let mut added = Vec::new();
    for jwk in &jwks.keys {
        let Some(kid) = jwk.kid.as_deref() else {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({"error": "every key needs a kid of the form sender|key|alg"})),
            )
                .into_response();
        };
        let (kid_parts, key) = match (Kid::parse(kid), PublicKey::from_jwk(jwk)) {
            (Ok(k), Ok(key)) => (k, key),
            (Err(e), _) => return (StatusCode::BAD_REQUEST, Json(json!({"error": e.to_string()}))).into_response(),
            (_, Err(e)) => return (StatusCode::BAD_REQUEST, Json(json!({"error": e.to_string()}))).into_response(),
        };
        if let Ok(mut keys) = state.client_keys.write() {
            keys.add(&kid_parts.sender_id, Some(kid), key);
        }
        added.push(kid.to_string());
    }
    Json(json!({ "registered": added })).into_response()
}

pub async fn stats(State(state): Shared) -> Response {
    Json(state.stats.snapshot()).into_response()
}

pub async fn samples(State(state): Shared) -> Response {
    Json(state.population.samples()).into_response()
}
