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
//!
//! Nothing is assumed on the signer's behalf: the `headers` parameter must be
//! present and cover `(created)`, `(expires)` and `digest`; the `kidId`'s
//! algorithm must be one we know and agree with `algorithm=`; a key is tried
//! only when it was published under exactly that `kidId` (or configured by
//! hand for that sender without a name); and a signature may not claim to be
//! valid for longer than [`VerifyPolicy::max_lifetime_secs`]. Every time
//! computation on the received `created`/`expires` is checked or saturating,
//! so a hostile value is refused with a message, never an overflow.
#![warn(clippy::string_slice, clippy::arithmetic_side_effects)]

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
/// The components every signature we accept must cover: without `digest` the
/// body is not signed at all, and without the times a captured signature could
/// be replayed for ever.
pub const REQUIRED_COMPONENTS: [&str; 3] = ["(created)", "(expires)", "digest"];
/// The longest validity (`expires - created`) accepted by default. OpenSPP
/// signs for 300 s; an hour leaves room for other signers without letting a
/// captured reply be replayed for days.
pub const DEFAULT_MAX_SIGNATURE_LIFETIME_SECS: i64 = 3600;

/// How strict verification is. `Default`: at most one hour of validity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifyPolicy {
    /// The longest `expires - created`, in seconds, that is accepted.
    pub max_lifetime_secs: i64,
}

impl Default for VerifyPolicy {
    fn default() -> Self {
        VerifyPolicy {
            max_lifetime_secs: DEFAULT_MAX_SIGNATURE_LIFETIME_SECS,
        }
    }
}

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
    /// `keyId` is read as `kidId` (the spec's unused header form). Every
    /// parameter but `namespace` is required (`headers` too: what was signed is
    /// never assumed), and none may be given twice.
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
        let mut seen: Vec<&'static str> = Vec::new();
        for (name, value) in split_params(s)? {
            let canonical_name = match name.as_str() {
                "namespace" => "namespace",
                "kidId" | "keyId" => "kidId",
                "algorithm" => "algorithm",
                "created" => "created",
                "expires" => "expires",
                "headers" => "headers",
                "signature" => "signature",
                _ => continue, // unknown parameters are ignored, as draft-cavage says
            };
            if seen.contains(&canonical_name) {
                return Err(SignatureError::Malformed(format!(
                    "parameter {canonical_name:?} is given twice"
                )));
            }
            seen.push(canonical_name);
            match canonical_name {
                "namespace" => namespace = Some(value),
                "kidId" => kid_id = Some(value),
                "algorithm" => algorithm = Some(value),
                "created" => created = Some(parse_unix(&name, &value)?),
                "expires" => expires = Some(parse_unix(&name, &value)?),
                "headers" => headers = Some(value),
                _ => signature = Some(value),
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
            headers: headers.ok_or_else(|| {
                SignatureError::Malformed(
                    "parameter \"headers\" is missing: what the signature covers is not assumed".into(),
                )
            })?,
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

/// Splits `a="x", b="y"` into pairs, honouring quotes. A quoted value must be
/// followed by a comma or the end, so that nothing after it is read as part of
/// another parameter's name.
fn split_params(s: &str) -> Result<Vec<(String, String)>, SignatureError> {
    let mut out = Vec::new();
    let mut rest = s;
    loop {
        rest = rest.trim_start_matches([',', ' ', '\t']);
        if rest.is_empty() {
            return Ok(out);
        }
        let (name, after) = rest
            .split_once('=')
            .ok_or_else(|| SignatureError::Malformed(format!("expected name=\"value\" at {rest:?}")))?;
        let name = name.trim().to_string();
        let after = after.trim_start();
        let value;
        if let Some(quoted) = after.strip_prefix('"') {
            let (inside, tail) = quoted
                .split_once('"')
                .ok_or_else(|| SignatureError::Malformed(format!("unterminated quote in parameter {name:?}")))?;
            let tail = tail.trim_start_matches([' ', '\t']);
            if !(tail.is_empty() || tail.starts_with(',')) {
                return Err(SignatureError::Malformed(format!(
                    "expected ',' after the value of parameter {name:?}, found {tail:?}"
                )));
            }
            value = inside.to_string();
            rest = tail;
        } else {
            let (unquoted, tail) = after.split_once(',').unwrap_or((after, ""));
            value = unquoted.trim().to_string();
            rest = tail;
        }
        out.push((name, value));
    }
}

/// Standard base64 of the SHA-256 of the canonical text.
pub fn digest(canonical: &str) -> String {
    STANDARD.encode(Sha256::digest(canonical.as_bytes()))
}

/// Checks that `headers` lists each of [`REQUIRED_COMPONENTS`] exactly once
/// and nothing else, naming what is missing.
pub fn check_covered(headers: &str) -> Result<(), SignatureError> {
    let mut listed: Vec<String> = Vec::new();
    for component in headers.split_whitespace() {
        let c = component.to_ascii_lowercase();
        if !REQUIRED_COMPONENTS.contains(&c.as_str()) {
            return Err(SignatureError::Malformed(format!(
                "covered component {component:?} is not supported (only (created), (expires) and digest)"
            )));
        }
        if listed.contains(&c) {
            return Err(SignatureError::Malformed(format!(
                "covered component {component:?} is listed twice in headers={headers:?}"
            )));
        }
        listed.push(c);
    }
    let missing: Vec<String> = REQUIRED_COMPONENTS
        .iter()
        .filter(|r| !listed.iter().any(|l| l == *r))
        .map(|r| r.to_string())
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(SignatureError::NotCovered {
            missing,
            headers: headers.to_string(),
        })
    }
}

/// The signing string for the covered components, in the order `headers`
/// lists them (which must pass [`check_covered`]).
pub fn signing_string(headers: &str, created: i64, expires: i64, digest: &str) -> Result<String, SignatureError> {
    check_covered(headers)?;
    let lines: Vec<String> = headers
        .split_whitespace()
        .map(|component| match component.to_ascii_lowercase().as_str() {
            "(created)" => format!("(created): {created}"),
            "(expires)" => format!("(expires): {expires}"),
            _ => format!("digest: {digest}"),
        })
        .collect();
    Ok(lines.join("\n"))
}

/// `to - from` in seconds, exactly, for messages (never overflows).
fn seconds_between(from: i64, to: i64) -> i128 {
    i128::from(to).saturating_sub(i128::from(from))
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
    #[error("kidId {kid_id:?} names algorithm {algorithm:?}, which is not supported (ed25519 or rs256)")]
    UnsupportedKidAlgorithm { kid_id: String, algorithm: String },
    #[error(
        "the signature does not cover {} (headers={headers:?}; it must cover (created), (expires) and digest)",
        missing.join(" and ")
    )]
    NotCovered { missing: Vec<String>, headers: String },
    #[error("algorithm parameter {param:?} disagrees with the kidId's {kid:?}")]
    AlgorithmMismatch { param: String, kid: String },
    #[error("no trusted key for sender {sender_id:?} (kidId {kid_id:?})")]
    NoTrustedKey { sender_id: String, kid_id: String },
    #[error("trusted key {kid:?} cannot be used: {reason}")]
    UnusableKey { kid: String, reason: String },
    #[error("signature expired at {expires} (now {now}, {} s ago)", seconds_between(*expires, *now))]
    Expired { expires: i64, now: i64 },
    #[error(
        "signature created at {created}, {} s in the future (now {now}; at most {MAX_CREATED_AHEAD_SECS} s allowed)",
        seconds_between(*now, *created)
    )]
    CreatedInFuture { created: i64, now: i64 },
    #[error(
        "signature is valid for {} s (created {created}, expires {expires}), longer than the {max} s allowed",
        seconds_between(*created, *expires)
    )]
    LifetimeTooLong { created: i64, expires: i64, max: i64 },
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
    /// each with a name for messages: the keys published under exactly that
    /// kid, and keys of that sender known without a kid — never the sender's
    /// keys under other kids. Empty when no such key is trusted.
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
    /// The sender's keys that may have made this signature: the key published
    /// under exactly this kid, and any key configured by hand for this sender
    /// without a kid (a pasted PEM stands for "this sender's key, name
    /// unknown", so it is tried for every signature of that sender). A key of
    /// the sender under *another* kid is never tried: a signature naming a key
    /// id the sender does not have fails with `NoTrustedKey`, even when another
    /// of the sender's keys would verify it — a rotated key must be fetched or
    /// configured under its own kid, not guessed.
    fn lookup(&self, kid_id: &str, sender_id: &str) -> Vec<(String, Result<PublicKey, KeyError>)> {
        self.keys
            .iter()
            .filter(|k| k.sender_id == sender_id)
            .filter(|k| k.kid.as_deref().is_none_or(|kid| kid == kid_id))
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

/// Verifies the signature of an envelope given as the text received, with the
/// default [`VerifyPolicy`].
pub fn verify_envelope_text(text: &str, keys: &dyn KeyLookup, now: i64) -> Result<VerifiedSignature, SignatureError> {
    verify_envelope(&canonical::parse(text)?, keys, now)
}

/// Verifies the signature of a parsed envelope with the default
/// [`VerifyPolicy`] (see [`verify_envelope_with`]).
pub fn verify_envelope(
    envelope: &RawJson,
    keys: &dyn KeyLookup,
    now: i64,
) -> Result<VerifiedSignature, SignatureError> {
    verify_envelope_with(envelope, keys, now, VerifyPolicy::default())
}

/// Verifies the signature of a parsed envelope (see the module documentation
/// for the order of checks): what `headers` covers, the kid, the sender, the
/// algorithm, a trusted key, the times under `policy`, then the signature.
pub fn verify_envelope_with(
    envelope: &RawJson,
    keys: &dyn KeyLookup,
    now: i64,
    policy: VerifyPolicy,
) -> Result<VerifiedSignature, SignatureError> {
    let header = envelope.get("header").ok_or(SignatureError::NoHeader)?;
    let field = match envelope.get("signature") {
        None | Some(RawJson::Null) => return Err(SignatureError::Missing),
        Some(RawJson::String(s)) => s,
        Some(_) => return Err(SignatureError::Malformed("the signature field is not a string".into())),
    };
    let params = SignatureParams::parse(field)?;
    check_covered(&params.headers)?;
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
    let kid_alg: Algorithm = kid
        .algorithm
        .parse()
        .map_err(|_| SignatureError::UnsupportedKidAlgorithm {
            kid_id: params.kid_id.clone(),
            algorithm: kid.algorithm.clone(),
        })?;
    if kid_alg != algorithm {
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
    check_times(&params, now, policy)?;
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

/// The time checks, in order: `expires` not before `created`, a validity no
/// longer than the policy allows, not expired, `created` not too far ahead.
/// Every difference is checked or saturating: `created` and `expires` are
/// whatever the sender wrote, `i64::MIN` and `i64::MAX` included.
fn check_times(params: &SignatureParams, now: i64, policy: VerifyPolicy) -> Result<(), SignatureError> {
    let (created, expires) = (params.created, params.expires);
    if expires < created {
        return Err(SignatureError::ExpiresBeforeCreated { created, expires });
    }
    // `None` only when the difference exceeds i64::MAX: longer than any maximum.
    let lifetime = expires.checked_sub(created);
    if lifetime.is_none_or(|l| l > policy.max_lifetime_secs) {
        return Err(SignatureError::LifetimeTooLong {
            created,
            expires,
            max: policy.max_lifetime_secs,
        });
    }
    if now > expires {
        return Err(SignatureError::Expired { expires, now });
    }
    // `created - now > MAX_CREATED_AHEAD_SECS` without `now + …` overflowing:
    // a difference that saturates high is far in the future, one that
    // saturates low is far in the past.
    if created.saturating_sub(now) > MAX_CREATED_AHEAD_SECS {
        return Err(SignatureError::CreatedInFuture { created, now });
    }
    Ok(())
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
        let expires = created.checked_add(self.validity_secs).ok_or_else(|| {
            SignatureError::Malformed(format!(
                "a signature created at {created} cannot expire {} s later: the time is out of range",
                self.validity_secs
            ))
        })?;
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

    /// An envelope signed by hand with any parameters, as a hostile or
    /// careless signer could make it: `lines` is the signing string's layout
    /// (components in `headers` order), `headers` what the field claims.
    struct HandSigned<'a> {
        key: &'a PrivateKey,
        kid_id: &'a str,
        algorithm: &'a str,
        created: i64,
        expires: i64,
        headers: Option<&'a str>,
    }

    impl HandSigned<'_> {
        fn envelope(&self, header: &serde_json::Value, message: &serde_json::Value) -> String {
            let wrapper = json!({ "header": header, "message": message });
            let canonical = canonical::to_canonical(&canonical::parse(&wrapper.to_string()).unwrap());
            let d = digest(&canonical);
            let covered = self.headers.unwrap_or(SIGNED_HEADERS);
            let signing: Vec<String> = covered
                .split_whitespace()
                .map(|c| match c {
                    "(created)" => format!("(created): {}", self.created),
                    "(expires)" => format!("(expires): {}", self.expires),
                    _ => format!("digest: {d}"),
                })
                .collect();
            let sig = STANDARD.encode(self.key.sign(signing.join("\n").as_bytes()).unwrap());
            let headers = self.headers.map(|h| format!(", headers=\"{h}\"")).unwrap_or_default();
            let field = format!(
                "namespace=\"dci\", kidId=\"{}\", algorithm=\"{}\", created=\"{}\", expires=\"{}\"{headers}, signature=\"{sig}\"",
                self.kid_id, self.algorithm, self.created, self.expires
            );
            json!({ "signature": field, "header": header, "message": message }).to_string()
        }
    }

    const KID: &str = "office.example|k1|ed25519";

    fn hand(key: &PrivateKey) -> HandSigned<'_> {
        HandSigned {
            key,
            kid_id: KID,
            algorithm: "ed25519",
            created: 1_000,
            expires: 1_300,
            headers: Some(SIGNED_HEADERS),
        }
    }

    fn header() -> serde_json::Value {
        json!({"sender_id": "office.example"})
    }

    #[test]
    fn a_hand_signed_envelope_verifies_when_nothing_is_wrong() {
        let s = signer();
        let text = hand(&s.key).envelope(&header(), &json!({"a": 1}));
        assert!(verify_envelope_text(&text, &trust(&s), 1_100).is_ok());
    }

    #[test]
    fn a_signature_that_does_not_cover_the_times_is_refused() {
        let s = signer();
        let only_digest = HandSigned {
            headers: Some("digest"),
            ..hand(&s.key)
        }
        .envelope(&header(), &json!({"a": 1}));
        let err = verify_envelope_text(&only_digest, &trust(&s), 1_100).unwrap_err();
        assert_eq!(
            err,
            SignatureError::NotCovered {
                missing: vec!["(created)".into(), "(expires)".into()],
                headers: "digest".into()
            }
        );
        assert!(
            err.to_string().contains("does not cover (created) and (expires)"),
            "{err}"
        );

        let no_digest = HandSigned {
            headers: Some("(created) (expires)"),
            ..hand(&s.key)
        }
        .envelope(&header(), &json!({"a": 1}));
        let err = verify_envelope_text(&no_digest, &trust(&s), 1_100).unwrap_err();
        assert!(err.to_string().contains("does not cover digest"), "{err}");
    }

    #[test]
    fn a_missing_headers_parameter_is_refused_not_assumed() {
        let s = signer();
        let text = HandSigned {
            headers: None,
            ..hand(&s.key)
        }
        .envelope(&header(), &json!({"a": 1}));
        let err = verify_envelope_text(&text, &trust(&s), 1_100).unwrap_err();
        assert!(
            matches!(&err, SignatureError::Malformed(m) if m.contains("\"headers\" is missing")),
            "{err:?}"
        );
    }

    #[test]
    fn covered_components_are_listed_once_each() {
        assert!(check_covered("(created) (expires) digest").is_ok());
        assert!(check_covered("digest (EXPIRES) (created)").is_ok());
        assert!(matches!(
            check_covered("(created) (expires) digest digest"),
            Err(SignatureError::Malformed(m)) if m.contains("twice")
        ));
        assert!(matches!(
            check_covered("(created) (expires) digest host"),
            Err(SignatureError::Malformed(m)) if m.contains("host")
        ));
        assert!(matches!(check_covered(""), Err(SignatureError::NotCovered { missing, .. }) if missing.len() == 3));
    }

    #[test]
    fn a_kid_algorithm_we_do_not_know_is_refused() {
        let s = signer();
        let kid = "office.example|k1|ed448";
        let mut t = TrustedKeys::new();
        t.add("office.example", Some(kid), s.public_key());
        let text = HandSigned {
            kid_id: kid,
            ..hand(&s.key)
        }
        .envelope(&header(), &json!({}));
        let err = verify_envelope_text(&text, &t, 1_100).unwrap_err();
        assert_eq!(
            err,
            SignatureError::UnsupportedKidAlgorithm {
                kid_id: kid.into(),
                algorithm: "ed448".into()
            }
        );
        // An empty third part is no algorithm either.
        let kid = "office.example|k1|";
        let mut t = TrustedKeys::new();
        t.add("office.example", Some(kid), s.public_key());
        let text = HandSigned {
            kid_id: kid,
            ..hand(&s.key)
        }
        .envelope(&header(), &json!({}));
        assert!(matches!(
            verify_envelope_text(&text, &t, 1_100),
            Err(SignatureError::UnsupportedKidAlgorithm { .. })
        ));
    }

    #[test]
    fn a_kid_algorithm_that_disagrees_is_refused() {
        let s = signer();
        let kid = "office.example|k1|rs256";
        let mut t = TrustedKeys::new();
        t.add("office.example", Some(kid), s.public_key());
        let text = HandSigned {
            kid_id: kid,
            ..hand(&s.key)
        }
        .envelope(&header(), &json!({}));
        assert!(matches!(
            verify_envelope_text(&text, &t, 1_100),
            Err(SignatureError::AlgorithmMismatch { .. })
        ));
    }

    #[test]
    fn no_fall_back_to_the_senders_other_keys() {
        let s = signer();
        let unknown = "office.example|k9|ed25519";
        // The same key signs, but under a kid the sender never published.
        let text = HandSigned {
            kid_id: unknown,
            ..hand(&s.key)
        }
        .envelope(&header(), &json!({}));
        let err = verify_envelope_text(&text, &trust(&s), 1_100).unwrap_err();
        assert_eq!(
            err,
            SignatureError::NoTrustedKey {
                sender_id: "office.example".into(),
                kid_id: unknown.into()
            }
        );
        assert!(err.to_string().contains(unknown), "{err}");
        assert!(trust(&s).lookup(unknown, "office.example").is_empty());

        // A key configured by hand without a kid stands for the sender's key.
        let mut pasted = TrustedKeys::new();
        pasted.add("office.example", None, s.public_key());
        let ok = verify_envelope_text(&text, &pasted, 1_100).unwrap();
        assert_eq!(ok.key_name, "office.example (configured key)");
        // ...but only for that sender.
        assert!(pasted.lookup("other.example|k9|ed25519", "other.example").is_empty());
    }

    #[test]
    fn a_lifetime_longer_than_the_policy_is_refused() {
        let s = signer();
        let text = HandSigned {
            expires: 1_000 + 7_200,
            ..hand(&s.key)
        }
        .envelope(&header(), &json!({}));
        let err = verify_envelope_text(&text, &trust(&s), 1_100).unwrap_err();
        assert_eq!(
            err,
            SignatureError::LifetimeTooLong {
                created: 1_000,
                expires: 8_200,
                max: DEFAULT_MAX_SIGNATURE_LIFETIME_SECS
            }
        );
        let msg = err.to_string();
        assert!(
            msg.contains("valid for 7200 s") && msg.contains("3600 s allowed"),
            "{msg}"
        );
        let raw = canonical::parse(&text).unwrap();
        let lenient = VerifyPolicy {
            max_lifetime_secs: 7_200,
        };
        assert!(verify_envelope_with(&raw, &trust(&s), 1_100, lenient).is_ok());
        // Exactly the maximum is allowed.
        let hour = HandSigned {
            expires: 1_000 + 3_600,
            ..hand(&s.key)
        }
        .envelope(&header(), &json!({}));
        assert!(verify_envelope_text(&hour, &trust(&s), 1_100).is_ok());
        assert_eq!(VerifyPolicy::default().max_lifetime_secs, 3_600);
    }

    #[test]
    fn extreme_times_are_refused_with_a_message_never_an_overflow() {
        let s = signer();
        let cases = [
            (i64::MAX, i64::MAX, 1_100),
            (i64::MIN, i64::MIN, 1_100),
            (i64::MIN, i64::MAX, 1_100),
            (i64::MIN, i64::MIN + 10, i64::MAX),
            (i64::MAX - 10, i64::MAX, i64::MIN),
            (-9_223_372_036_854_775_808, -9_223_372_036_854_775_800, 0),
        ];
        for (created, expires, now) in cases {
            let text = HandSigned {
                created,
                expires,
                ..hand(&s.key)
            }
            .envelope(&header(), &json!({}));
            let err = verify_envelope_text(&text, &trust(&s), now)
                .expect_err(&format!("created {created}, expires {expires}, now {now}"));
            let msg = err.to_string();
            assert!(!msg.is_empty());
            assert!(
                matches!(
                    err,
                    SignatureError::Expired { .. }
                        | SignatureError::CreatedInFuture { .. }
                        | SignatureError::LifetimeTooLong { .. }
                ),
                "{err:?}"
            );
        }
        let far = SignatureError::Expired {
            expires: i64::MIN,
            now: i64::MAX,
        };
        assert!(far.to_string().contains("18446744073709551615 s ago"), "{far}");
        let ahead = SignatureError::CreatedInFuture {
            created: i64::MAX,
            now: i64::MIN,
        };
        assert!(
            ahead.to_string().contains("18446744073709551615 s in the future"),
            "{ahead}"
        );
        // Our own signer refuses a time it cannot add its validity to.
        assert!(s.sign(&header(), &json!({}), i64::MAX).is_err());
    }

    #[test]
    fn a_parameter_given_twice_or_followed_by_junk_is_refused() {
        let twice = r#"kidId="a|b|ed25519", keyId="c|d|ed25519", algorithm="ed25519", created="1", expires="2", headers="(created) (expires) digest", signature="AA==""#;
        assert!(matches!(
            SignatureParams::parse(twice),
            Err(SignatureError::Malformed(m)) if m.contains("twice")
        ));
        let junk = r#"kidId="a|b|ed25519"headers="digest", algorithm="ed25519", created="1", expires="2", headers="(created) (expires) digest", signature="AA==""#;
        assert!(matches!(
            SignatureParams::parse(junk),
            Err(SignatureError::Malformed(m)) if m.contains("expected ','")
        ));
        // Multi-byte text anywhere in the field is read without a panic.
        for field in ["é=\"x\"", "kidId=\"é\"ü", "kidId=é, ü=\"", "=\"", "\"=\""] {
            let _ = SignatureParams::parse(field);
        }
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
