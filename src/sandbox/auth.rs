//! The sandbox's OAuth2 token endpoint and bearer-token check.
//!
//! Tokens are opaque random strings held in memory with their expiry. The
//! control endpoint can expire every token at once, which is how tests make a
//! client's cached token go stale.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::HeaderMap;

/// The credentials the sandbox accepts and how long its tokens live.
#[derive(Clone)]
pub struct Credentials {
    pub client_id: String,
    pub client_secret: String,
    pub token_lifetime: Duration,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("client_id", &self.client_id)
            .field("token_lifetime", &self.token_lifetime)
            .finish_non_exhaustive()
    }
}

/// Issued tokens.
#[derive(Debug, Default)]
pub struct TokenStore {
    tokens: Mutex<HashMap<String, Instant>>,
}

impl TokenStore {
    /// Issues a token valid for `lifetime`.
    pub fn issue(&self, lifetime: Duration) -> String {
        let token = format!("sbx-{}", uuid::Uuid::new_v4().simple());
        if let Ok(mut t) = self.tokens.lock() {
            let now = Instant::now();
            t.retain(|_, expiry| *expiry > now);
            t.insert(token.clone(), now + lifetime);
        }
        token
    }

    /// Whether the request carries a live bearer token.
    pub fn authorised(&self, headers: &HeaderMap) -> bool {
        let Some(token) = headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        else {
            return false;
        };
        self.tokens
            .lock()
            .map(|t| t.get(token.trim()).is_some_and(|expiry| *expiry > Instant::now()))
            .unwrap_or(false)
    }

    /// Makes every issued token stale.
    pub fn expire_all(&self) {
        if let Ok(mut t) = self.tokens.lock() {
            t.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_live_until_expired() {
        let store = TokenStore::default();
        let t = store.issue(Duration::from_secs(60));
        let mut h = HeaderMap::new();
        h.insert("authorization", format!("Bearer {t}").parse().unwrap());
        assert!(store.authorised(&h));
        store.expire_all();
        assert!(!store.authorised(&h));
        let short = store.issue(Duration::ZERO);
        h.insert("authorization", format!("Bearer {short}").parse().unwrap());
        assert!(!store.authorised(&h));
        assert!(!store.authorised(&HeaderMap::new()));
    }
}
