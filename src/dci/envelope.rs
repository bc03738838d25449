//! The three-part DCI body (`signature`, `header`, `message`) and its headers.
//!
//! What we send is typed and strict: every required member is present, with
//! the type the schema gives (`total_count` an integer, timestamps RFC 3339
//! with an offset). What we read goes through [`parse_reply`], which accepts
//! the variants real registries send (a bare message without envelope, string
//! counts) but fails with a reason on anything it cannot understand.
//!
//! A reply is parsed once, by [`canonical::parse`]; the `serde_json::Value`
//! the readers use is derived from that (`RawJson::to_value`), so what a
//! signature is verified on and what is read are the same message.
#![warn(clippy::string_slice, clippy::arithmetic_side_effects)]

use std::fmt;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::canonical::{self, RawJson};
use super::error::DciError;
use super::tolerant::{count_of, de_opt_count, de_opt_string};

/// The messaging protocol version we speak.
pub const PROTOCOL_VERSION: &str = "1.0.0";

/// `header.action` values used by an IBR client and server.
pub mod action {
    pub const SEARCH: &str = "search";
    pub const ON_SEARCH: &str = "on-search";
    pub const TXN_STATUS: &str = "txn-status";
    pub const TXN_ON_STATUS: &str = "txn-on-status";
}

/// A timestamp as DCI writes it: RFC 3339, UTC, `Z`.
pub fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The status of a request, a callback header or a response item
/// (`RequestStatus`): received, pending, success, rejected.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RequestStatus {
    Rcvd,
    Pdng,
    Succ,
    Rjct,
    /// A value outside the standard's four, kept as sent.
    Other(String),
}

impl RequestStatus {
    pub fn from_wire(s: &str) -> RequestStatus {
        match s.trim().to_ascii_lowercase().as_str() {
            "rcvd" => RequestStatus::Rcvd,
            "pdng" => RequestStatus::Pdng,
            "succ" => RequestStatus::Succ,
            "rjct" => RequestStatus::Rjct,
            _ => RequestStatus::Other(s.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            RequestStatus::Rcvd => "rcvd",
            RequestStatus::Pdng => "pdng",
            RequestStatus::Succ => "succ",
            RequestStatus::Rjct => "rjct",
            RequestStatus::Other(s) => s,
        }
    }

    /// What the status means, in words.
    pub fn describe(&self) -> String {
        match self {
            RequestStatus::Rcvd => "received but not processed yet (rcvd)".into(),
            RequestStatus::Pdng => "still pending (pdng)".into(),
            RequestStatus::Succ => "succeeded (succ)".into(),
            RequestStatus::Rjct => "rejected (rjct)".into(),
            RequestStatus::Other(s) if s.is_empty() => "no status given".into(),
            RequestStatus::Other(s) => format!("an unknown status {s:?}"),
        }
    }
}

impl fmt::Display for RequestStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for RequestStatus {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for RequestStatus {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(RequestStatus::from_wire(&String::deserialize(d)?))
    }
}

/// A request header (`MsgHeader_V1.0.0`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MsgHeader {
    #[serde(default = "default_version")]
    pub version: String,
    #[serde(deserialize_with = "super::tolerant::de_string")]
    pub message_id: String,
    pub message_ts: String,
    pub action: String,
    pub sender_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receiver_id: Option<String>,
    #[serde(deserialize_with = "de_required_count")]
    pub total_count: u64,
    #[serde(default)]
    pub is_msg_encrypted: bool,
    #[serde(default)]
    pub meta: Map<String, Value>,
}

fn default_version() -> String {
    PROTOCOL_VERSION.to_string()
}

fn de_required_count<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let v = Value::deserialize(d)?;
    count_of(&v).ok_or_else(|| serde::de::Error::custom(format!("total_count is not a count: {v}")))
}

impl MsgHeader {
    /// A fresh request header with a new message ID.
    pub fn new(
        action: &str,
        sender_id: &str,
        receiver_id: Option<&str>,
        total_count: u64,
        now: DateTime<Utc>,
    ) -> MsgHeader {
        MsgHeader {
            version: PROTOCOL_VERSION.to_string(),
            message_id: uuid::Uuid::new_v4().to_string(),
            message_ts: timestamp(now),
            action: action.to_string(),
            sender_id: sender_id.to_string(),
            sender_uri: None,
            receiver_id: receiver_id.map(str::to_string),
            total_count,
            is_msg_encrypted: false,
            meta: Map::new(),
        }
    }
}

/// A callback or sync-response header (`MsgCallbackHeader_V1.0.0`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MsgCallbackHeader {
    #[serde(default = "default_version")]
    pub version: String,
    #[serde(default, deserialize_with = "de_opt_string")]
    pub message_id: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    pub message_ts: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    pub action: Option<String>,
    pub status: RequestStatus,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "de_opt_string")]
    pub status_reason_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "de_opt_string")]
    pub status_reason_message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "de_opt_count")]
    pub total_count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "de_opt_count")]
    pub completed_count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "de_opt_string")]
    pub sender_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "de_opt_string")]
    pub receiver_id: Option<String>,
    #[serde(default)]
    pub is_msg_encrypted: bool,
    #[serde(default)]
    pub meta: Value,
}

/// How a reply body was shaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyShape {
    /// `signature` + `header` + `message`, as the standard says.
    Envelope,
    /// `{"message": …}` without header: an acknowledgement.
    MessageOnly,
    /// The payload alone, without any envelope (the SPDCI mock does this).
    BareMessage,
}

/// A reply body as received: the exact text, and what could be read from it.
#[derive(Debug, Clone)]
pub struct ReceivedReply {
    /// The body exactly as received (kept for audit and the "raw reply" view).
    pub text: String,
    /// The body parsed without re-typing anything: what signatures are checked on.
    pub raw: RawJson,
    pub shape: ReplyShape,
    /// The signature field, when present and not empty.
    pub signature: Option<String>,
    pub header: Option<MsgCallbackHeader>,
    /// The payload (`message`, or the whole body when bare).
    pub message: Value,
}

impl ReceivedReply {
    /// The sender named in the header, if any.
    pub fn sender_id(&self) -> Option<&str> {
        self.header.as_ref().and_then(|h| h.sender_id.as_deref())
    }
}

/// Reads a reply body. Fails when the text is not JSON, is not an object, or
/// has a header that cannot be read; a body with neither a header nor a
/// recognisable payload is an error too, never an empty result.
///
/// The text is parsed once; `message` and `header` are read from the very
/// value `raw` holds (a repeated key is its last value in both), so no body
/// can show the verifier one message and the reader another.
pub fn parse_reply(text: &str, payload_keys: &[&str]) -> Result<ReceivedReply, DciError> {
    let raw = canonical::parse(text).map_err(|e| DciError::Malformed(format!("the reply is not JSON ({e})")))?;
    let value: Value = raw
        .to_value()
        .map_err(|e| DciError::Malformed(format!("the reply cannot be read: {e}")))?;
    let Value::Object(mut obj) = value else {
        return Err(DciError::Malformed("the reply is not a JSON object".into()));
    };
    let signature = obj.get("signature").and_then(crate::dci::tolerant::string_of);
    let reply = move |shape, header, message| ReceivedReply {
        text: text.to_string(),
        raw,
        shape,
        signature,
        header,
        message,
    };
    if let Some(h) = obj.remove("header") {
        let header: MsgCallbackHeader = serde_json::from_value(h)
            .map_err(|e| DciError::Malformed(format!("the reply header cannot be read: {e}")))?;
        let message = obj.remove("message").unwrap_or(Value::Null);
        return Ok(reply(ReplyShape::Envelope, Some(header), message));
    }
    if let Some(m) = obj.remove("message") {
        return Ok(reply(ReplyShape::MessageOnly, None, m));
    }
    if payload_keys.iter().any(|k| obj.contains_key(*k)) {
        return Ok(reply(ReplyShape::BareMessage, None, Value::Object(obj)));
    }
    let keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    Err(DciError::Malformed(format!(
        "the reply has no header and none of the expected members ({}); it has: {}",
        payload_keys.join(", "),
        if keys.is_empty() {
            "nothing".to_string()
        } else {
            keys.join(", ")
        }
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_header_is_strict() {
        let h = MsgHeader::new(action::SEARCH, "office", Some("ibr"), 2, Utc::now());
        let v = serde_json::to_value(&h).unwrap();
        assert_eq!(v["total_count"], 2);
        assert!(v.get("sender_uri").is_none());
        assert!(v["message_ts"].as_str().unwrap().ends_with('Z'));
    }

    #[test]
    fn callback_header_tolerates_string_counts() {
        let h: MsgCallbackHeader =
            serde_json::from_str(r#"{"message_id":1,"status":"SUCC","total_count":"3"}"#).unwrap();
        assert_eq!(h.status, RequestStatus::Succ);
        assert_eq!(h.total_count, Some(3));
        assert_eq!(h.message_id.as_deref(), Some("1"));
    }

    #[test]
    fn the_verifier_and_the_reader_see_the_same_repeated_key() {
        use crate::dci::keys::PrivateKey;
        use crate::dci::signature::{Signer, TrustedKeys, verify_envelope};
        use serde_json::json;

        let signer = Signer::new(PrivateKey::ed25519_from_bytes([5; 32]), "ibr.example", "k1");
        let mut keys = TrustedKeys::new();
        keys.add("ibr.example", Some(&signer.kid()), signer.public_key());
        let now = 1_000;
        let header = json!({"sender_id": "ibr.example", "status": "succ"});
        let message = json!({"search_response": [{"reference_id": "r1", "status": "succ"}]});
        let signed = signer.envelope_text(&header, &message, now).unwrap();
        // The same body with a repeated key, the first value "rjct", the last "succ",
        // in the header and in an item.
        let doubled = signed
            .replace(
                r#""status":"succ"},"message""#,
                r#""status":"rjct","status":"succ"},"message""#,
            )
            .replace(r#""status":"succ"}]"#, r#""status":"rjct","status":"succ"}]"#);
        assert_eq!(doubled.matches(r#""status":"rjct""#).count(), 2, "{doubled}");

        let reply = parse_reply(&doubled, &["search_response"]).unwrap();
        // The verifier checks the last value…
        verify_envelope(&reply.raw, &keys, now).unwrap();
        assert_eq!(
            reply.raw.get("header").and_then(|h| h.get("status")),
            Some(&RawJson::String("succ".into()))
        );
        // …and the reader reads that same value, from that same parse.
        assert_eq!(reply.header.as_ref().unwrap().status, RequestStatus::Succ);
        assert_eq!(reply.message["search_response"][0]["status"], "succ");
        assert_eq!(reply.message, reply.raw.get("message").unwrap().to_value().unwrap());

        // Signed with the first value instead, the body no longer verifies.
        let first = signer
            .envelope_text(&json!({"sender_id": "ibr.example", "status": "rjct"}), &message, now)
            .unwrap()
            .replace(
                r#""status":"rjct"},"message""#,
                r#""status":"rjct","status":"succ"},"message""#,
            );
        assert!(first.contains(r#""status":"rjct","status":"succ""#), "{first}");
        let reply = parse_reply(&first, &["search_response"]).unwrap();
        assert!(verify_envelope(&reply.raw, &keys, now).is_err());
    }

    #[test]
    fn a_number_beyond_a_double_is_a_clear_error() {
        let err = parse_reply(r#"{"header":{"status":"succ"},"message":{"n":1e400}}"#, &[]).unwrap_err();
        assert!(err.to_string().contains("1e400"), "{err}");
    }

    #[test]
    fn reply_shapes() {
        let env = parse_reply(
            r#"{"signature":"","header":{"status":"succ"},"message":{"x":1}}"#,
            &["search_response"],
        )
        .unwrap();
        assert_eq!(env.shape, ReplyShape::Envelope);
        assert!(env.signature.is_none());
        let bare = parse_reply(r#"{"transaction_id":1,"search_response":[]}"#, &["search_response"]).unwrap();
        assert_eq!(bare.shape, ReplyShape::BareMessage);
        let ack = parse_reply(r#"{"message":{"ack_status":"ACK"}}"#, &["search_response"]).unwrap();
        assert_eq!(ack.shape, ReplyShape::MessageOnly);
        let err = parse_reply(r#"{"hello":1}"#, &["search_response"]).unwrap_err();
        assert!(err.to_string().contains("hello"), "{err}");
        assert!(parse_reply("[]", &[]).is_err());
        assert!(parse_reply("<html>", &[]).is_err());
        assert!(parse_reply(r#"{"header":{"status":7}}"#, &[]).is_err());
    }
}
