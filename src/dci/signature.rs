//! DCI message signatures (SPEC-NOTES §4.2, OpenSPP's recipe).
//!
//! 1. canonical JSON of `{"header": …, "message": …}` (see [`canonical`]);
//! 2. digest = standard base64 of its SHA-256;
//! 3. signing string = `(created): C\n(expires): E\ndigest: D`;
//! 4. Ed25519, or RSASSA-PKCS1-v1_5 with SHA-256, over the signing string;
//! 5. the body's `signature` field holds
//!    `namespace="dci", kidId="sender|key|alg", algorithm="ed25519", created="C",
//!    expires="E", headers="(created) (expires) digest", signature="<base64>"`.
//!
//! Verification works on the JSON exactly as received and fails with a
//! [`SignatureError`] that names the precise reason, because integrators
//! debugging a mismatch need to know *which* step disagreed.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest as _, Sha256};

use super::canonical::{self, CanonicalError, RawJson};
use super::keys::{Algorithm, KeyError, Kid, PrivateKey, PublicKey};

/// How long a signature we make stays valid, as OpenSPP does.
pub const SIGNATURE_VALIDITY_SECS: i64 = 300;
/// How far in the future a `created` time may be before we refuse it (clock skew).
pub const MAX_CREATED_AHEAD_SECS: i64 = 60;
/// The namespace OpenSPP and the spec's samples use (the YAML says `spdci`).
pub const DEFAULT_NAMESPACE: &str = "dci";
/// The covered components we sign.
pub const SIGNED_HEADERS: &str = "(created) (expires) digest";

/// The parameters of a `signature` field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureParams {
    pub namespace: Option<String>,
    pub kid_id: String,
    pub algorithm: String,
    pub created: i64,
    pub expires: i64,
    pub headers: String,
    /// Standard base64 of the signature bytes.
    pub signature: String,
}

impl SignatureParams {
    /// Reads the parameter list; a leading `Signature:` is tolerated, and
    /// `keyId` is read as `kidId` (the spec's unused header form).
    pub fn parse(field: &str) -> Result<SignatureParams, SignatureError> {
        let mut s = field.trim();
        if let Some(rest) = s.strip_prefix("Signature:") {
            s = rest.trim_start();
        }
        if s.is_empty() {
            return Err(SignatureError::Missing);
        }
        let mut namespace = None;
        let (mut kid_id, mut algorithm, mut created, mut expires, mut headers, mut signature) =
            (None, None, None, None, None, None);
        for (name, value) in split_params(s)? {
            match name.as_str() {
                "namespace" => namespace = Some(value),
                "kidId" | "keyId" => kid_id = Some(value),
                "algorithm" => algorithm = Some(value),
                "created" => created = Some(parse_unix(&name, &value)?),
                "expires" => expires = Some(parse_unix(&name, &value)?),
                "headers" => headers = Some(value),
                "signature" => signature = Some(value),
                _ => {} // unknown parameters are ignored, as draft-cavage says
            }
        }
        let need = |v: Option<String>, name: &str| {
            v.ok_or_else(|| SignatureError::Malformed(format!("parameter {name:?} is missing")))
        };
        Ok(SignatureParams {
            namespace,
            kid_id: need(kid_id, "kidId")?,
            algorithm: need(algorithm, "algorithm")?,
            created: created.ok_or_else(|| SignatureError::Malformed("parameter \"created\" is missing".into()))?,
            expires: expires.ok_or_else(|| SignatureError::Malformed("parameter \"expires\" is missing".into()))?,
            headers: headers.unwrap_or_else(|| SIGNED_HEADERS.to_string()),
            signature: need(signature, "signature")?,
        })
    }
}

impl fmt::Display for SignatureParams {
    /// The field value as we send it (no `Signature:` prefix).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(ns) = &self.namespace {
            write!(f, "namespace=\"{ns}\", ")?;
        }
        write!(
            f,
            "kidId=\"{}\", algorithm=\"{}\", created=\"{}\", expires=\"{}\", headers=\"{}\", signature=\"{}\"",
            self.kid_id, self.algorithm, self.created, self.expires, self.headers, self.signature
        )
    }
}

fn parse_unix(name: &str, value: &str) -> Result<i64, SignatureError> {
    value
        .trim()
        .parse()
        .map_err(|_| SignatureError::Malformed(format!("parameter {name:?} is not a Unix time: {value:?}")))
}

/// Splits `a="x", b="y"` into pairs, honouring quotes.
fn split_params(s: &str) -> Result<Vec<(String, String)>, SignatureError> {
    let mut out = Vec::new();
    let mut rest = s;
    loop {
        rest = rest.trim_start_matches([',', ' ', '\t']);
        if rest.is_empty() {
            return Ok(out);
        }
        let eq = rest
            .find('=')
            .ok_or_else(|| SignatureError::Malformed(format!("expected name=\"value\" at {rest:?}")))?;
        let name = rest[..eq].trim().to_string();
        rest = rest[eq + 1..].trim_start();
        let value;
        if let Some(quoted) = rest.strip_prefix('"') {
            let end = quoted
                .find('"')
                .ok_or_else(|| SignatureError::Malformed(format!("unterminated quote in parameter {name:?}")))?;
            value = quoted[..end].to_string();
            rest = &quoted[end + 1..];
        } else {
            let end = rest.find(',').unwrap_or(rest.len());
            value = rest[..end].trim().to_string();
            rest = &rest[end..];
        }
        out.push((name, value));
    }
}

/// Standard base64 of the SHA-256 of the canonical text.
pub fn digest(canonical: &str) -> String {
    STANDARD.encode(Sha256::digest(canonical.as_bytes()))
}

/// The signing string for the covered components, in the order `headers` lists them.
pub fn signing_string(headers: &str, created: i64, expires: i64, digest: &str) -> Result<String, SignatureError> {
    let mut lines = Vec::new();
    for component in headers.split_whitespace() {
        lines.push(match component.to_ascii_lowercase().as_str() {
            "(created)" => format!("(created): {created}"),
            "(expires)" => format!("(expires): {expires}"),
            "digest" => format!("digest: {digest}"),
            other => {
                return Err(SignatureError::Malformed(format!(
                    "covered component {other:?} is not supported (only (created), (expires) and digest)"
                )));
            }
        });
    }
    if !lines.iter().any(|l| l.starts_with("digest: ")) {
        return Err(SignatureError::Malformed(
            "the signature does not cover the digest of the body".into(),
        ));
    }
    Ok(lines.join("\n"))
}

/// Why a signature was not accepted, precisely.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the body is not JSON: {0}")]
    NotJson(#[from] CanonicalError),
    #[error("the body has no header to check the signature against")]
    NoHeader,
    #[error("the message is not signed (empty or missing signature)")]
    Missing,
    #[error("the signature field cannot be read: {0}")]
    Malformed(String),
    #[error("kidId {0:?} is not of the form sender_id|key_id|algorithm")]
    BadKidId(String),
    #[error("header.sender_id is missing, so the signer cannot be checked")]
    NoHeaderSender,
    #[error("kidId names sender {kid_sender:?} but header.sender_id is {header_sender:?}")]
    SenderMismatch { kid_sender: String, header_sender: String },
    #[error("signature algorithm {0:?} is not supported (ed25519 or rs256)")]
    UnsupportedAlgorithm(String),
    #[error("algorithm parameter {param:?} disagrees with the kidId's {kid:?}")]
    AlgorithmMismatch { param: String, kid: String },
    #[error("no trusted key for sender {sender_id:?} (kidId {kid_id:?})")]
    NoTrustedKey { sender_id: String, kid_id: String },
    #[error("trusted key {kid:?} cannot be used: {reason}")]
    UnusableKey { kid: String, reason: String },
    #[error("signature expired at {expires} (now {now}, {} s ago)", now - expires)]
    Expired { expires: i64, now: i64 },
    #[error("signature created at {created}, {} s in the future (now {now}; at most {MAX_CREATED_AHEAD_SECS} s allowed)", created - now)]
    CreatedInFuture { created: i64, now: i64 },
    #[error("signature expires ({expires}) before it was created ({created})")]
    ExpiresBeforeCreated { created: i64, expires: i64 },
    #[error("signature value is not standard base64")]
    BadEncoding,
    #[error(
        "signature does not verify with {tried}: the header or message was changed after signing, or another key signed it (digest of the body as received: {digest})"
    )]
    Mismatch { tried: String, digest: String },
}

impl From<KeyError> for SignatureError {
    fn from(e: KeyError) -> Self {
        SignatureError::Malformed(e.to_string())
    }
}

/// Where a verifier finds the public keys it trusts.
pub trait KeyLookup {
    /// Keys that may have made a signature with this `kidId` for this sender,
    /// each with a name for messages. Empty when the sender is not trusted.
    fn lookup(&self, kid_id: &str, sender_id: &str) -> Vec<(String, Result<PublicKey, KeyError>)>;
}

impl KeyLookup for super::keys::Jwks {
    fn lookup(&self, kid_id: &str, sender_id: &str) -> Vec<(String, Result<PublicKey, KeyError>)> {
        self.keys_for(kid_id, sender_id)
    }
}

/// Public keys held in memory, each bound to a sender and, optionally, a kid.
#[derive(Debug, Clone, Default)]
pub struct TrustedKeys {
    keys: Vec<TrustedKey>,
}

/// One trusted key.
#[derive(Debug, Clone)]
pub struct TrustedKey {
    pub sender_id: String,
    /// The `kid` the key was published under, when known (a PEM has none).
    pub kid: Option<String>,
    pub key: PublicKey,
}

impl TrustedKeys {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, sender_id: &str, kid: Option<&str>, key: PublicKey) {
        self.keys.push(TrustedKey {
            sender_id: sender_id.to_string(),
            kid: kid.map(str::to_string),
            key,
        });
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

impl KeyLookup for TrustedKeys {
    /// The sender's key with exactly this kid; failing that, all of the
    /// sender's keys (a rotated key is still tried).
    fn lookup(&self, kid_id: &str, sender_id: &str) -> Vec<(String, Result<PublicKey, KeyError>)> {
        let of_sender: Vec<&TrustedKey> = self.keys.iter().filter(|k| k.sender_id == sender_id).collect();
        let exact: Vec<&TrustedKey> = of_sender
            .iter()
            .copied()
            .filter(|k| k.kid.as_deref() == Some(kid_id))
            .collect();
        let chosen = if exact.is_empty() { of_sender } else { exact };
        chosen
            .into_iter()
            .map(|k| {
                let name = k
                    .kid
                    .clone()
                    .unwrap_or_else(|| format!("{} (configured key)", k.sender_id));
                (name, Ok(k.key.clone()))
            })
            .collect()
    }
}

/// What a good signature told us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedSignature {
    pub sender_id: String,
    pub kid_id: String,
    /// The name of the trusted key that verified it.
    pub key_name: String,
    pub algorithm: Algorithm,
    pub created: i64,
    pub expires: i64,
}

/// Verifies the signature of an envelope given as the text received.
pub fn verify_envelope_text(text: &str, keys: &dyn KeyLookup, now: i64) -> Result<VerifiedSignature, SignatureError> {
    verify_envelope(&canonical::parse(text)?, keys, now)
}

/// Verifies the signature of a parsed envelope (see the module documentation for the order of checks).
pub fn verify_envelope(
    envelope: &RawJson,
    keys: &dyn KeyLookup,
    now: i64,
) -> Result<VerifiedSignature, SignatureError> {
    let header = envelope.get("header").ok_or(SignatureError::NoHeader)?;
    let field = match envelope.get("signature") {
        None | Some(RawJson::Null) => return Err(SignatureError::Missing),
        Some(RawJson::String(s)) => s,
        Some(_) => return Err(SignatureError::Malformed("the signature field is not a string".into())),
    };
    let params = SignatureParams::parse(field)?;
    let kid = Kid::parse(&params.kid_id).map_err(|_| SignatureError::BadKidId(params.kid_id.clone()))?;
    let header_sender = header
        .get("sender_id")
        .and_then(RawJson::as_str)
        .filter(|s| !s.is_empty())
        .ok_or(SignatureError::NoHeaderSender)?;
    if kid.sender_id != header_sender {
        return Err(SignatureError::SenderMismatch {
            kid_sender: kid.sender_id,
            header_sender: header_sender.to_string(),
        });
    }
    let algorithm: Algorithm = params
        .algorithm
        .parse()
        .map_err(|_| SignatureError::UnsupportedAlgorithm(params.algorithm.clone()))?;
    if let Ok(kid_alg) = kid.algorithm.parse::<Algorithm>()
        && kid_alg != algorithm
    {
        return Err(SignatureError::AlgorithmMismatch {
            param: params.algorithm.clone(),
            kid: kid.algorithm.clone(),
        });
    }
    let candidates = keys.lookup(&params.kid_id, &kid.sender_id);
    if candidates.is_empty() {
        return Err(SignatureError::NoTrustedKey {
            sender_id: kid.sender_id,
            kid_id: params.kid_id,
        });
    }
    if params.expires < params.created {
        return Err(SignatureError::ExpiresBeforeCreated {
            created: params.created,
            expires: params.expires,
        });
    }
    if now > params.expires {
        return Err(SignatureError::Expired {
            expires: params.expires,
            now,
        });
    }
    if params.created > now + MAX_CREATED_AHEAD_SECS {
        return Err(SignatureError::CreatedInFuture {
            created: params.created,
            now,
        });
    }
    let content = canonical::signed_content(envelope).ok_or(SignatureError::NoHeader)?;
    let body_digest = digest(&content);
    let sig = STANDARD
        .decode(params.signature.trim())
        .map_err(|_| SignatureError::BadEncoding)?;
    // Some signers label the digest (`SHA-256=`); both forms cover the same bytes.
    let signing_strings = [
        signing_string(&params.headers, params.created, params.expires, &body_digest)?,
        signing_string(
            &params.headers,
            params.created,
            params.expires,
            &format!("SHA-256={body_digest}"),
        )?,
    ];
    let mut tried = Vec::new();
    let mut unusable = None;
    for (name, key) in candidates {
        match key {
            Ok(key) if key.algorithm() == algorithm => {
                if signing_strings.iter().any(|s| key.verify(s.as_bytes(), &sig)) {
                    return Ok(VerifiedSignature {
                        sender_id: kid.sender_id,
                        kid_id: params.kid_id,
                        key_name: name,
                        algorithm,
                        created: params.created,
                        expires: params.expires,
                    });
                }
                tried.push(name);
            }
            Ok(key) => {
                unusable.get_or_insert(SignatureError::UnusableKey {
                    kid: name,
                    reason: format!(
                        "it is an {} key but the message is signed with {algorithm}",
                        key.algorithm()
                    ),
                });
            }
            Err(e) => {
                unusable.get_or_insert(SignatureError::UnusableKey {
                    kid: name,
                    reason: e.to_string(),
                });
            }
        }
    }
    if tried.is_empty() {
        // Every candidate was unusable; `candidates` was not empty, so this is set.
        return Err(unusable.unwrap_or(SignatureError::NoTrustedKey {
            sender_id: kid.sender_id,
            kid_id: params.kid_id,
        }));
    }
    Err(SignatureError::Mismatch {
        tried: format!("key {}", tried.join(", key ")),
        digest: body_digest,
    })
}

/// Signs outgoing messages with one private key under one `kidId`.
#[derive(Debug, Clone)]
pub struct Signer {
    key: PrivateKey,
    kid: Kid,
    namespace: String,
    validity_secs: i64,
}

/// The intermediate values of one signature, for debugging and test vectors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureTrace {
    pub canonical: String,
    pub digest: String,
    pub signing_string: String,
    pub params: SignatureParams,
}

impl Signer {
    pub fn new(key: PrivateKey, sender_id: &str, key_id: &str) -> Signer {
        let kid = Kid::new(sender_id, key_id, key.algorithm());
        Signer {
            key,
            kid,
            namespace: DEFAULT_NAMESPACE.to_string(),
            validity_secs: SIGNATURE_VALIDITY_SECS,
        }
    }

    /// Uses another namespace (`spdci`, as the spec's YAML writes it).
    pub fn with_namespace(mut self, namespace: &str) -> Signer {
        self.namespace = namespace.to_string();
        self
    }

    pub fn sender_id(&self) -> &str {
        &self.kid.sender_id
    }

    pub fn kid(&self) -> String {
        self.kid.to_string()
    }

    pub fn public_key(&self) -> PublicKey {
        self.key.public_key()
    }

    /// Signs `{"header": header, "message": message}` as of `created`, and
    /// returns every intermediate value.
    pub fn trace(
        &self,
        header: &serde_json::Value,
        message: &serde_json::Value,
        created: i64,
    ) -> Result<SignatureTrace, SignatureError> {
        let wrapper = serde_json::json!({ "header": header, "message": message });
        let parsed = canonical::parse(&wrapper.to_string())?;
        let canonical = canonical::to_canonical(&parsed);
        self.trace_canonical(canonical, created)
    }

    /// Signs already-canonical content.
    pub fn trace_canonical(&self, canonical: String, created: i64) -> Result<SignatureTrace, SignatureError> {
        let expires = created + self.validity_secs;
        let digest = digest(&canonical);
        let signing_string = signing_string(SIGNED_HEADERS, created, expires, &digest)?;
        let sig = self.key.sign(signing_string.as_bytes())?;
        let params = SignatureParams {
            namespace: Some(self.namespace.clone()),
            kid_id: self.kid.to_string(),
            algorithm: self.kid.algorithm.clone(),
            created,
            expires,
            headers: SIGNED_HEADERS.to_string(),
            signature: STANDARD.encode(sig),
        };
        Ok(SignatureTrace {
            canonical,
            digest,
            signing_string,
            params,
        })
    }

    /// The `signature` field for this header and message.
    pub fn sign(
        &self,
        header: &serde_json::Value,
        message: &serde_json::Value,
        created: i64,
    ) -> Result<String, SignatureError> {
        Ok(self.trace(header, message, created)?.params.to_string())
    }

    /// A whole signed envelope as JSON text: what goes on the wire.
    pub fn envelope_text(
        &self,
        header: &serde_json::Value,
        message: &serde_json::Value,
        created: i64,
    ) -> Result<String, SignatureError> {
        let signature = self.sign(header, message, created)?;
        Ok(serde_json::json!({ "signature": signature, "header": header, "message": message }).to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn signer() -> Signer {
        Signer::new(PrivateKey::ed25519_from_bytes([3; 32]), "office.example", "k1")
    }

    fn trust(s: &Signer) -> TrustedKeys {
        let mut t = TrustedKeys::new();
        t.add(s.sender_id(), Some(&s.kid()), s.public_key());
        t
    }

    #[test]
    fn parses_with_and_without_prefix() {
        let p = SignatureParams::parse(r#"Signature:  namespace="spdci", keyId="a|b|ed25519", algorithm="ed25519", created="1", expires="2", headers="(created) (expires) digest", signature="AA==""#).unwrap();
        assert_eq!(p.namespace.as_deref(), Some("spdci"));
        assert_eq!(p.kid_id, "a|b|ed25519");
        assert_eq!((p.created, p.expires), (1, 2));
        let again = SignatureParams::parse(&p.to_string()).unwrap();
        assert_eq!(again, p);
        assert_eq!(SignatureParams::parse("  "), Err(SignatureError::Missing));
        assert!(matches!(
            SignatureParams::parse(r#"kidId="a|b|c""#),
            Err(SignatureError::Malformed(_))
        ));
    }

    #[test]
    fn signs_and_verifies_round_trip() {
        let s = signer();
        let header = json!({"sender_id": "office.example", "message_id": "m1", "total_count": 1});
        let message = json!({"transaction_id": "t", "note": "Ọlá « x »", "n": 1.5});
        let text = s.envelope_text(&header, &message, 1_000).unwrap();
        let ok = verify_envelope_text(&text, &trust(&s), 1_100).unwrap();
        assert_eq!(ok.sender_id, "office.example");
        assert_eq!(ok.algorithm, Algorithm::Ed25519);
    }

    #[test]
    fn precise_reasons() {
        let s = signer();
        let header = json!({"sender_id": "office.example"});
        let text = s.envelope_text(&header, &json!({"a": 1}), 1_000).unwrap();
        let t = trust(&s);
        assert!(matches!(
            verify_envelope_text(&text, &t, 1_301),
            Err(SignatureError::Expired { .. })
        ));
        assert!(matches!(
            verify_envelope_text(&text, &t, 900),
            Err(SignatureError::CreatedInFuture { .. })
        ));
        assert!(matches!(
            verify_envelope_text(&text, &TrustedKeys::new(), 1_000),
            Err(SignatureError::NoTrustedKey { .. })
        ));
        let tampered = text.replace("\"a\":1", "\"a\":2");
        assert!(matches!(
            verify_envelope_text(&tampered, &t, 1_000),
            Err(SignatureError::Mismatch { .. })
        ));
        let other_sender = text.replace("\"sender_id\":\"office.example\"", "\"sender_id\":\"evil.example\"");
        assert!(matches!(
            verify_envelope_text(&other_sender, &t, 1_000),
            Err(SignatureError::SenderMismatch { .. })
        ));
        let unsigned = json!({"signature": "", "header": header, "message": {}}).to_string();
        assert_eq!(verify_envelope_text(&unsigned, &t, 1_000), Err(SignatureError::Missing));
    }

    #[test]
    fn rs256_key_for_ed25519_signature_is_reported() {
        let s = signer();
        let text = s
            .envelope_text(&json!({"sender_id": "office.example"}), &json!({}), 1_000)
            .unwrap();
        let vectors_rsa = include_str!("../../tests/fixtures/vectors/sender_rs256.pem");
        let mut t = TrustedKeys::new();
        t.add("office.example", None, PublicKey::from_pem(vectors_rsa).unwrap());
        assert!(matches!(
            verify_envelope_text(&text, &t, 1_000),
            Err(SignatureError::UnusableKey { .. })
        ));
    }
}
