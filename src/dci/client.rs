//! The HTTP side of DCI: OAuth2 client credentials, signed envelopes out,
//! verified replies in.
//!
//! One [`DciClient`] serves one registry. It builds the envelope, signs it
//! with the office key when one is configured, sends it with a bearer token
//! (fetched once, cached until shortly before it expires, fetched again once
//! on a 401), and returns the reply parsed *and* with its signature checked
//! against the trusted keys. It does not decide what a reply means for a
//! duplication check: that is `ibr`'s job.

// Registry replies flow through here: no byte slicing of their text, no
// arithmetic that can overflow on their numbers.
#![warn(clippy::string_slice, clippy::arithmetic_side_effects)]

use secrecy::{ExposeSecret, SecretString};
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use serde_json::Value;
use tokio::sync::Mutex;
use url::Url;

use super::ack::HttpErrorBody;
use super::enrolled::{EnrolledOutcome, EnrolledRequest};
use super::envelope::{MsgHeader, ReceivedReply, RequestStatus, action, parse_reply};
use super::error::DciError;
use super::keys::Jwks;
use super::search::{SearchOutcome, SearchRequest, SearchRequestItem};
use super::signature::{KeyLookup, SignatureError, Signer, VerifiedSignature, VerifyPolicy, verify_envelope_with};
use super::txn_status::{TxnStatusOutcome, TxnStatusRequest};

/// How long before its stated expiry a token is replaced.
pub const TOKEN_REFRESH_MARGIN_SECS: u64 = 60;
/// Token lifetime assumed when the token endpoint does not say (as OpenSPP does).
pub const DEFAULT_TOKEN_LIFETIME_SECS: u64 = 3600;
/// Default time allowed for one request, connection included.
pub const DEFAULT_TIMEOUT_SECS: u64 = 30;
/// Default time allowed to open a connection: an unreachable registry
/// should be noticed long before the whole request times out.
pub const DEFAULT_CONNECT_TIMEOUT_SECS: u64 = 10;
/// Largest reply read when the data source does not say (32 MiB).
pub const DEFAULT_MAX_REPLY_BYTES: u64 = crate::domain::ReplyLimits::DEFAULT_MAX_REPLY_BYTES;
/// Largest token-endpoint or JWKS reply read: both are small documents.
pub const MAX_SMALL_REPLY_BYTES: u64 = 1024 * 1024;
/// Same-origin redirects followed before giving up.
const MAX_REDIRECTS: usize = 5;

/// A secret string that never shows itself in `Debug` or `Display`, kept in
/// a [`SecretString`] so that its memory is zeroed when the last copy is
/// dropped.
#[derive(Clone)]
pub struct Secret(SecretString);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(SecretString::from(s.into()))
    }

    /// The secret itself; call only where it must leave the process (the token request).
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl From<SecretString> for Secret {
    fn from(s: SecretString) -> Secret {
        Secret(s)
    }
}

/// Whether two configurations hold the same secret (a cached client is
/// reused only for the same one).
impl PartialEq for Secret {
    fn eq(&self, other: &Secret) -> bool {
        self.expose() == other.expose()
    }
}

impl Eq for Secret {}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(redacted)")
    }
}

/// OAuth2 client-credentials settings.
#[derive(Debug, Clone)]
pub struct OAuthConfig {
    pub token_url: Url,
    pub client_id: String,
    pub client_secret: Secret,
    pub scope: Option<String>,
}

/// How replies' signatures are judged.
#[derive(Clone)]
pub struct ReplyTrust {
    /// The keys of the senders we trust.
    pub keys: Arc<dyn KeyLookup + Send + Sync>,
    /// Accept replies without a signature, or from a sender we hold no key
    /// for (test servers only). A signature that is present and wrong is
    /// refused all the same.
    pub allow_unsigned: bool,
}

impl fmt::Debug for ReplyTrust {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReplyTrust")
            .field("allow_unsigned", &self.allow_unsigned)
            .finish_non_exhaustive()
    }
}

/// Everything a client needs to talk to one registry.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The registry's base URL, without the `/registry/...` part.
    pub base_url: Url,
    /// `registry` (the standard) or `ibr` (the SPDCI mock), or any other.
    pub path_prefix: String,
    pub auth: Option<OAuthConfig>,
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// Our `sender_id`, as registered with the registry.
    pub sender_id: String,
    /// The registry's ID, when agreed.
    pub receiver_id: Option<String>,
    /// Signs our requests, when the office has a key.
    pub signer: Option<Signer>,
    pub trust: ReplyTrust,
    /// Largest reply body read; a larger one is an error, never cut.
    pub max_reply_bytes: u64,
    /// Longest signature validity (`expires - created`) accepted.
    pub max_signature_lifetime_secs: i64,
}

impl ClientConfig {
    /// A configuration with the standard's defaults and no credentials.
    pub fn new(base_url: Url, sender_id: &str, trust: ReplyTrust) -> ClientConfig {
        ClientConfig {
            base_url,
            path_prefix: "registry".to_string(),
            auth: None,
            timeout: Duration::from_secs(DEFAULT_TIMEOUT_SECS),
            connect_timeout: Duration::from_secs(DEFAULT_CONNECT_TIMEOUT_SECS),
            sender_id: sender_id.to_string(),
            receiver_id: None,
            signer: None,
            trust,
            max_reply_bytes: DEFAULT_MAX_REPLY_BYTES,
            max_signature_lifetime_secs: i64::from(crate::domain::ReplyLimits::DEFAULT_MAX_SIGNATURE_LIFETIME_SECS),
        }
    }

    /// The URL of an operation such as `sync/search`.
    pub fn endpoint(&self, operation: &str) -> String {
        let base = self.base_url.as_str().trim_end_matches('/');
        let prefix = self.path_prefix.trim_matches('/');
        if prefix.is_empty() {
            format!("{base}/{operation}")
        } else {
            format!("{base}/{prefix}/{operation}")
        }
    }
}

/// How far a reply's signature could be trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureCheck {
    /// Signed by a trusted sender's key and verified.
    Verified(VerifiedSignature),
    /// Not signed, and the data source allows that.
    Unsigned,
    /// Signed by a sender we hold no key for, and the data source allows that.
    Unverified(String),
}

impl SignatureCheck {
    pub fn is_verified(&self) -> bool {
        matches!(self, SignatureCheck::Verified(_))
    }

    /// In words, for results and the command line.
    pub fn describe(&self) -> String {
        match self {
            SignatureCheck::Verified(v) => format!("signed by {} (key {}), verified", v.sender_id, v.key_name),
            SignatureCheck::Unsigned => "unsigned (allowed for this data source)".to_string(),
            SignatureCheck::Unverified(why) => format!("signature not checked: {why} (allowed for this data source)"),
        }
    }
}

/// A reply that arrived, was understood and passed the signature policy.
#[derive(Debug, Clone)]
pub struct Reply<T> {
    pub outcome: T,
    pub received: ReceivedReply,
    pub signature: SignatureCheck,
    /// The IDs of the request this answers.
    pub transaction_id: String,
    pub message_id: String,
    /// What in the reply cannot be trusted or does not fit the request
    /// (unsigned, a transaction ID that is not ours, an unknown status).
    /// Empty for a clean reply.
    pub warnings: Vec<String>,
}

#[derive(Debug)]
struct CachedToken {
    access_token: Secret,
    renew_at: Instant,
}

/// A client of one DCI registry.
pub struct DciClient {
    http: reqwest::Client,
    config: ClientConfig,
    token: Mutex<Option<CachedToken>>,
}

impl fmt::Debug for DciClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DciClient")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl DciClient {
    pub fn new(config: ClientConfig) -> Result<DciClient, DciError> {
        let http = http_client(config.timeout, config.connect_timeout)?;
        Ok(DciClient {
            http,
            config,
            token: Mutex::new(None),
        })
    }

    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Sends a batch of searches in one message to `sync/search`.
    pub async fn search(
        &self,
        transaction_id: &str,
        items: Vec<SearchRequestItem>,
    ) -> Result<Reply<SearchOutcome>, DciError> {
        let expected: Vec<String> = items.iter().map(|i| i.reference_id.clone()).collect();
        let message = serde_json::to_value(SearchRequest {
            transaction_id: transaction_id.to_string(),
            search_request: items,
        })
        .map_err(|e| DciError::Config(e.to_string()))?;
        let total = expected.len() as u64;
        let (received, signature, message_id) = self
            .exchange("sync/search", action::SEARCH, total, &message, &["search_response"])
            .await?;
        if let Some(h) = &received.header {
            final_answer(h)?;
        }
        let outcome = SearchOutcome::from_message(&received.message)?;
        let mut warnings = base_warnings(&received, &signature, transaction_id, outcome.transaction_id.as_deref());
        for item in &outcome.items {
            let r = item.reference_id.as_deref().unwrap_or("(none)");
            if !expected
                .iter()
                .any(|e| Some(e.as_str()) == item.reference_id.as_deref())
            {
                warnings.push(format!("item {r} answers no reference ID we sent"));
            }
            match &item.status {
                RequestStatus::Succ | RequestStatus::Rjct => {}
                other => warnings.push(format!("item {r} is {}", other.describe())),
            }
        }
        for e in &expected {
            if outcome.item(e).is_none() {
                warnings.push(format!("no answer for reference ID {e}"));
            }
        }
        Ok(Reply {
            outcome,
            received,
            signature,
            transaction_id: transaction_id.to_string(),
            message_id,
            warnings,
        })
    }

    /// Asks `sync/enrolled` whether the holder of an identifier is a beneficiary.
    pub async fn enrolled(&self, request: EnrolledRequest) -> Result<Reply<EnrolledOutcome>, DciError> {
        let transaction_id = request.transaction_id.clone();
        let message = serde_json::to_value(request).map_err(|e| DciError::Config(e.to_string()))?;
        let (received, signature, message_id) = self
            .exchange(
                "sync/enrolled",
                action::SEARCH,
                1,
                &message,
                &["enrolled_response", "search_response", "ack_status"],
            )
            .await?;
        let outcome = EnrolledOutcome::from_message(&received.message)?;
        let tx = received
            .message
            .get("transaction_id")
            .and_then(super::tolerant::string_of);
        let warnings = base_warnings(&received, &signature, &transaction_id, tx.as_deref());
        Ok(Reply {
            outcome,
            received,
            signature,
            transaction_id,
            message_id,
            warnings,
        })
    }

    /// Asks `sync/txn/status` what became of an earlier transaction.
    pub async fn txn_status(&self, request: TxnStatusRequest) -> Result<Reply<TxnStatusOutcome>, DciError> {
        let transaction_id = request.transaction_id.clone();
        let message = serde_json::to_value(request).map_err(|e| DciError::Config(e.to_string()))?;
        let (received, signature, message_id) = self
            .exchange(
                "sync/txn/status",
                action::TXN_STATUS,
                1,
                &message,
                &["txnstatus_response"],
            )
            .await?;
        let outcome = TxnStatusOutcome::from_message(&received.message)?;
        let warnings = base_warnings(
            &received,
            &signature,
            &transaction_id,
            outcome.transaction_id.as_deref(),
        );
        Ok(Reply {
            outcome,
            received,
            signature,
            transaction_id,
            message_id,
            warnings,
        })
    }

    /// Gets a token, or fails with the reason: for "Test connection".
    pub async fn check_credentials(&self) -> Result<bool, DciError> {
        Ok(self.bearer(false).await?.is_some())
    }

    /// Sends one envelope and returns the reply, verified. Retries once with
    /// a fresh token on a 401.
    async fn exchange(
        &self,
        operation: &str,
        action: &str,
        total_count: u64,
        message: &Value,
        payload_keys: &[&str],
    ) -> Result<(ReceivedReply, SignatureCheck, String), DciError> {
        let url = self.config.endpoint(operation);
        let header = MsgHeader::new(
            action,
            &self.config.sender_id,
            self.config.receiver_id.as_deref(),
            total_count,
            Utc::now(),
        );
        let message_id = header.message_id.clone();
        let header = serde_json::to_value(&header).map_err(|e| DciError::Config(e.to_string()))?;
        let body = match &self.config.signer {
            Some(signer) => signer
                .envelope_text(&header, message, Utc::now().timestamp())
                .map_err(|e| DciError::Config(format!("cannot sign the request: {e}")))?,
            None => serde_json::json!({ "signature": "", "header": header, "message": message }).to_string(),
        };
        let mut fresh_token = false;
        loop {
            let token = self.bearer(fresh_token).await?;
            let mut req = self
                .http
                .post(&url)
                .header(CONTENT_TYPE, "application/json")
                .header(ACCEPT, "application/json")
                .body(body.clone());
            if let Some(t) = &token {
                req = req.header(AUTHORIZATION, format!("Bearer {}", t.expose()));
            }
            let resp = req.send().await.map_err(|e| DciError::from_reqwest(&e, &url))?;
            let status = resp.status();
            let text = read_body(resp, &url, self.config.max_reply_bytes).await?;
            if status == StatusCode::UNAUTHORIZED && token.is_some() && !fresh_token && !is_signature_refusal(&text) {
                tracing::info!(url, "registry refused the cached token; fetching a new one");
                *self.token.lock().await = None;
                fresh_token = true;
                continue;
            }
            if !status.is_success() {
                return Err(http_error(status, &text, token.is_some()));
            }
            let received = parse_reply(&text, payload_keys)?;
            if let Some(h) = &received.header
                && h.status == RequestStatus::Rjct
            {
                return Err(DciError::Rejected {
                    code: h.status_reason_code.clone(),
                    message: h.status_reason_message.clone(),
                });
            }
            let signature = self.judge_signature(&received)?;
            return Ok((received, signature, message_id));
        }
    }

    fn judge_signature(&self, received: &ReceivedReply) -> Result<SignatureCheck, DciError> {
        let trust = &self.config.trust;
        if received.signature.is_none() || received.header.is_none() {
            return if trust.allow_unsigned {
                Ok(SignatureCheck::Unsigned)
            } else if received.header.is_none() {
                Err(DciError::Signature(SignatureError::NoHeader))
            } else {
                Err(DciError::Signature(SignatureError::Missing))
            };
        }
        let policy = VerifyPolicy {
            max_lifetime_secs: self.config.max_signature_lifetime_secs,
        };
        match verify_envelope_with(&received.raw, trust.keys.as_ref(), Utc::now().timestamp(), policy) {
            Ok(v) => Ok(SignatureCheck::Verified(v)),
            Err(e @ SignatureError::NoTrustedKey { .. }) if trust.allow_unsigned => {
                Ok(SignatureCheck::Unverified(e.to_string()))
            }
            Err(e) => Err(DciError::Signature(e)),
        }
    }

    /// The bearer token to send, fetching one when none is cached (or when
    /// `fresh` asks for a new one). `None` when the source has no OAuth2.
    async fn bearer(&self, fresh: bool) -> Result<Option<Secret>, DciError> {
        let Some(auth) = &self.config.auth else {
            return Ok(None);
        };
        let mut cached = self.token.lock().await;
        if !fresh
            && let Some(t) = cached.as_ref()
            && Instant::now() < t.renew_at
        {
            return Ok(Some(t.access_token.clone()));
        }
        let token = fetch_token(&self.http, auth).await?;
        let value = token.access_token.clone();
        *cached = Some(token);
        Ok(Some(value))
    }
}

/// The HTTP client every request goes through: bounded in time, following
/// redirects only within the origin it was sent to.
fn http_client(timeout: Duration, connect_timeout: Duration) -> Result<reqwest::Client, DciError> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(connect_timeout)
        .redirect(reqwest::redirect::Policy::custom(same_origin_redirects))
        .user_agent(concat!("ibr-desk/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| DciError::Config(format!("cannot create the HTTP client: {e}")))
}

/// Follows a redirect only to the origin the request was sent to (same
/// scheme, host and port — so never from https to http): credentials, tokens
/// and applicants' data go to the registry a person configured, nowhere else.
fn same_origin_redirects(attempt: reqwest::redirect::Attempt<'_>) -> reqwest::redirect::Action {
    let refusal = match attempt.previous().first() {
        None => None,
        Some(first) => {
            let next = attempt.url();
            if next.origin() != first.origin() {
                Some(format!(
                    "{} answered with a redirect to {}{}",
                    first.origin().ascii_serialization(),
                    next.origin().ascii_serialization(),
                    if first.scheme() == "https" && next.scheme() != "https" {
                        " (from an encrypted connection to an unencrypted one)"
                    } else {
                        " (another server)"
                    }
                ))
            } else if attempt.previous().len() > MAX_REDIRECTS {
                Some(format!(
                    "more than {MAX_REDIRECTS} redirects within {}",
                    first.origin().ascii_serialization()
                ))
            } else {
                None
            }
        }
    };
    match refusal {
        Some(why) => attempt.error(why),
        None => attempt.follow(),
    }
}

/// Reads a reply body, refusing one larger than `max_bytes` (as announced,
/// or as it arrives), so a registry cannot fill the memory.
async fn read_body(mut resp: reqwest::Response, url: &str, max_bytes: u64) -> Result<String, DciError> {
    let too_large = |detail: String| DciError::TooLarge {
        limit_bytes: max_bytes,
        detail,
    };
    if let Some(announced) = resp.content_length()
        && announced > max_bytes
    {
        return Err(too_large(format!("it announces {announced} bytes")));
    }
    let mut body: Vec<u8> = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| DciError::from_reqwest(&e, url))? {
        if (body.len() as u64).saturating_add(chunk.len() as u64) > max_bytes {
            return Err(too_large(format!("more than {max_bytes} bytes arrived")));
        }
        body.extend_from_slice(&chunk);
    }
    String::from_utf8(body).map_err(|e| {
        DciError::Malformed(format!(
            "the reply is not UTF-8 text (invalid byte at {})",
            e.utf8_error().valid_up_to()
        ))
    })
}

/// A sync search reply must be final: header status `succ` and every item
/// completed. `rcvd`/`pdng` (or an unknown status) is not a result.
fn final_answer(h: &super::envelope::MsgCallbackHeader) -> Result<(), DciError> {
    if h.status != RequestStatus::Succ {
        return Err(DciError::NotFinal(format!(
            "its header status is {}{}",
            h.status.describe(),
            h.status_reason_message
                .as_deref()
                .map(|m| format!(": {m}"))
                .unwrap_or_default()
        )));
    }
    if let (Some(total), Some(done)) = (h.total_count, h.completed_count)
        && done < total
    {
        return Err(DciError::NotFinal(format!(
            "its header says {done} of {total} item(s) are completed"
        )));
    }
    Ok(())
}

/// The warnings every reply can earn.
fn base_warnings(
    received: &ReceivedReply,
    signature: &SignatureCheck,
    ours: &str,
    theirs: Option<&str>,
) -> Vec<String> {
    let mut w = Vec::new();
    match signature {
        SignatureCheck::Verified(_) => {}
        other => w.push(format!("reply is {}", other.describe())),
    }
    match received.shape {
        super::envelope::ReplyShape::Envelope => {}
        super::envelope::ReplyShape::MessageOnly => w.push("reply has no header (message only)".to_string()),
        super::envelope::ReplyShape::BareMessage => w.push("reply is a bare message without envelope".to_string()),
    }
    if let Some(t) = theirs
        && t != ours
    {
        w.push(format!("reply answers transaction {t}, not ours ({ours})"));
    }
    w
}

/// Whether an error body says our request's signature was refused (a new
/// token would not help).
fn is_signature_refusal(text: &str) -> bool {
    HttpErrorBody::read(text).is_some_and(|b| b.errors.iter().any(|e| e.code.starts_with("err.signature")))
}

/// Turns a non-2xx reply into an error that says what happened.
fn http_error(status: StatusCode, text: &str, had_token: bool) -> DciError {
    let detail = HttpErrorBody::read(text)
        .map(|b| b.summary())
        .unwrap_or_else(|| snippet(text));
    if is_signature_refusal(text) {
        return DciError::Auth(format!(
            "the registry refused our request's signature; is the office key registered with it? (HTTP {}{})",
            status.as_u16(),
            colon(&detail)
        ));
    }
    match status.as_u16() {
        401 if had_token => DciError::Auth(format!(
            "a freshly issued token was refused too (HTTP 401{})",
            colon(&detail)
        )),
        401 => DciError::Auth(format!(
            "the registry wants a token but this data source has no OAuth2 token URL (HTTP 401{})",
            colon(&detail)
        )),
        s => DciError::Http { status: s, detail },
    }
}

fn colon(s: &str) -> String {
    if s.is_empty() { String::new() } else { format!(": {s}") }
}

/// The start of a body, for error messages (bodies can be huge or binary).
fn snippet(text: &str) -> String {
    const MAX_CHARS: usize = 200;
    let t: String = text.trim().chars().take(MAX_CHARS).collect();
    if text.trim().chars().count() > MAX_CHARS {
        format!("{t}…")
    } else {
        t
    }
}

/// OAuth2 client credentials: POST the form, read `access_token` and `expires_in`.
async fn fetch_token(http: &reqwest::Client, auth: &OAuthConfig) -> Result<CachedToken, DciError> {
    let mut form = vec![
        ("grant_type", "client_credentials"),
        ("client_id", auth.client_id.as_str()),
        ("client_secret", auth.client_secret.expose()),
    ];
    if let Some(scope) = &auth.scope {
        form.push(("scope", scope));
    }
    let url = auth.token_url.as_str();
    let resp = http
        .post(url)
        .header(ACCEPT, "application/json")
        .header("timestamp", httpdate_now())
        .form(&form)
        .send()
        .await
        .map_err(|e| DciError::from_reqwest(&e, url))?;
    let status = resp.status();
    let text = read_body(resp, url, MAX_SMALL_REPLY_BYTES).await?;
    if !status.is_success() {
        let detail = HttpErrorBody::read(&text)
            .map(|b| b.summary())
            .unwrap_or_else(|| snippet(&text));
        return Err(match status.as_u16() {
            400 | 401 | 403 => DciError::Auth(format!(
                "the token endpoint refused client ID {:?} (HTTP {}{})",
                auth.client_id,
                status.as_u16(),
                colon(&detail)
            )),
            s => DciError::Http {
                status: s,
                detail: format!("from the token endpoint{}", colon(&detail)),
            },
        });
    }
    let v: Value = serde_json::from_str(&text)
        .map_err(|_| DciError::Auth(format!("the token endpoint's reply is not JSON: {}", snippet(&text))))?;
    let access_token = super::tolerant::str_at(&v, "access_token")
        .ok_or_else(|| DciError::Auth("the token endpoint's reply has no access_token".into()))?;
    let lifetime = v
        .get("expires_in")
        .and_then(super::tolerant::count_of)
        .unwrap_or(DEFAULT_TOKEN_LIFETIME_SECS);
    let usable = lifetime.saturating_sub(TOKEN_REFRESH_MARGIN_SECS.min(lifetime / 2));
    Ok(CachedToken {
        access_token: Secret::new(access_token),
        renew_at: Instant::now()
            .checked_add(Duration::from_secs(usable))
            .unwrap_or_else(Instant::now),
    })
}

/// `Tue, 06 Mar 2020 21:00:00 GMT`, the `timestamp` header the spec asks for.
fn httpdate_now() -> String {
    Utc::now().format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// Fetches a JWKS document (a sender's published keys).
pub async fn fetch_jwks(url: &str, timeout: Duration) -> Result<Jwks, DciError> {
    let http = http_client(timeout, timeout.min(Duration::from_secs(DEFAULT_CONNECT_TIMEOUT_SECS)))?;
    let resp = http
        .get(url)
        .header(ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| DciError::from_reqwest(&e, url))?;
    let status = resp.status();
    let text = read_body(resp, url, MAX_SMALL_REPLY_BYTES).await?;
    if !status.is_success() {
        return Err(DciError::Http {
            status: status.as_u16(),
            detail: format!("from the JWKS URL: {}", snippet(&text)),
        });
    }
    Jwks::from_json(&text).map_err(DciError::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dci::signature::TrustedKeys;

    fn config(base: &str, prefix: &str) -> ClientConfig {
        let mut c = ClientConfig::new(
            Url::parse(base).unwrap(),
            "office",
            ReplyTrust {
                keys: Arc::new(TrustedKeys::new()),
                allow_unsigned: false,
            },
        );
        c.path_prefix = prefix.to_string();
        c
    }

    #[test]
    fn endpoints_join_base_and_prefix() {
        assert_eq!(
            config("http://h:1/", "registry").endpoint("sync/search"),
            "http://h:1/registry/sync/search"
        );
        assert_eq!(
            config("http://h/ns/v1.0.0", "/ibr/").endpoint("sync/search"),
            "http://h/ns/v1.0.0/ibr/sync/search"
        );
        assert_eq!(config("http://h", "").endpoint("sync/search"), "http://h/sync/search");
    }

    #[test]
    fn secrets_do_not_print() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), "Secret(redacted)");
        let auth = OAuthConfig {
            token_url: Url::parse("http://h/t").unwrap(),
            client_id: "c".into(),
            client_secret: s,
            scope: None,
        };
        assert!(!format!("{auth:?}").contains("hunter2"));
    }

    #[test]
    fn http_errors_read_the_body() {
        let e = http_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            r#"{"errors":[{"code":"err.service.unavailable","message":"down"}]}"#,
            true,
        );
        assert_eq!(
            e.to_string(),
            "the registry answered HTTP 500: err.service.unavailable: down"
        );
        assert!(e.is_transient());
        let long = "x".repeat(1000);
        assert!(http_error(StatusCode::BAD_GATEWAY, &long, false).to_string().len() < 300);
    }
}
