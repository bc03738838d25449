//! Signing keys and how they travel: PEM (SPKI and PKCS#8, and PKCS#1 for RSA),
//! JWK and JWKS.
//!
//! DCI names a key by `kid` = `sender_id|key_id|algorithm` (OpenSPP's form,
//! also the signature's `kidId`), not by an RFC 7638 thumbprint. Two
//! algorithms exist: `ed25519` (JWK `OKP`/`Ed25519`, `alg` `EdDSA`) and
//! `rs256` (JWK `RSA`, RSASSA-PKCS1-v1_5 with SHA-256).
#![warn(clippy::string_slice, clippy::arithmetic_side_effects)]

use secrecy::SecretString;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey};
use rsa::traits::PublicKeyParts;
use serde::{Deserialize, Serialize};

/// PEM lines end with `\n` on every platform: files move between machines.
const PEM_LINE_ENDING: rsa::pkcs8::LineEnding = rsa::pkcs8::LineEnding::LF;

pub use crate::domain::Algorithm;

/// Why a key could not be read, made or used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("unsupported signature algorithm {0:?}: expected ed25519 or rs256")]
    UnsupportedAlgorithm(String),
    #[error("not a public key in PEM form (SPKI \"PUBLIC KEY\" or PKCS#1 \"RSA PUBLIC KEY\"): {0}")]
    BadPublicPem(String),
    #[error("not a private key in PEM form (PKCS#8 \"PRIVATE KEY\" or PKCS#1 \"RSA PRIVATE KEY\"): {0}")]
    BadPrivatePem(String),
    #[error("JWK {kid:?} cannot be used: {reason}")]
    BadJwk { kid: String, reason: String },
    #[error("kid {0:?} is not of the form sender_id|key_id|algorithm")]
    BadKid(String),
    #[error("signing failed: {0}")]
    Signing(String),
    #[error("the system's random number generator failed: {0}")]
    Random(String),
}

/// A public key that verifies DCI signatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicKey {
    Ed25519(ed25519_dalek::VerifyingKey),
    Rsa(Box<rsa::PublicKey>),
}

impl PublicKey {
    pub fn algorithm(&self) -> Algorithm {
        match self {
            PublicKey::Ed25519(_) => Algorithm::Ed25519,
            PublicKey::Rsa(_) => Algorithm::Rs256,
        }
    }

    /// Reads an SPKI (`-----BEGIN PUBLIC KEY-----`) PEM holding an Ed25519 or
    /// RSA key, or a PKCS#1 (`-----BEGIN RSA PUBLIC KEY-----`) one.
    pub fn from_pem(pem: &str) -> Result<PublicKey, KeyError> {
        let pem = pem.trim();
        if pem.contains("BEGIN RSA PUBLIC KEY") {
            return rsa::PublicKey::from_pkcs1_pem(pem)
                .map(|k| PublicKey::Rsa(Box::new(k)))
                .map_err(|e| KeyError::BadPublicPem(e.to_string()));
        }
        match ed25519_dalek::VerifyingKey::from_public_key_pem(pem) {
            Ok(k) => Ok(PublicKey::Ed25519(k)),
            Err(ed_err) => rsa::PublicKey::from_public_key_pem(pem)
                .map(|k| PublicKey::Rsa(Box::new(k)))
                .map_err(|_| KeyError::BadPublicPem(ed_err.to_string())),
        }
    }

    /// The SPKI PEM form.
    pub fn to_pem(&self) -> String {
        let pem = match self {
            PublicKey::Ed25519(k) => k.to_public_key_pem(PEM_LINE_ENDING),
            PublicKey::Rsa(k) => rsa::pkcs8::EncodePublicKey::to_public_key_pem(k.as_ref(), PEM_LINE_ENDING),
        };
        // Encoding a well-formed key into PEM cannot fail.
        pem.unwrap_or_default()
    }

    /// Reads a JWK (`OKP`/`Ed25519` or `RSA`).
    pub fn from_jwk(jwk: &Jwk) -> Result<PublicKey, KeyError> {
        let bad = |reason: &str| KeyError::BadJwk {
            kid: jwk.kid.clone().unwrap_or_default(),
            reason: reason.to_string(),
        };
        let b64 = |field: &Option<String>, name: &str| -> Result<Vec<u8>, KeyError> {
            let s = field
                .as_deref()
                .ok_or_else(|| bad(&format!("member {name:?} is missing")))?;
            URL_SAFE_NO_PAD
                .decode(s.trim_end_matches('='))
                .map_err(|e| bad(&format!("member {name:?} is not base64url: {e}")))
        };
        match jwk.kty.as_str() {
            "OKP" => {
                if jwk.crv.as_deref() != Some("Ed25519") {
                    return Err(bad(&format!("curve {:?} is not Ed25519", jwk.crv)));
                }
                let x = b64(&jwk.x, "x")?;
                let bytes: [u8; 32] = x.try_into().map_err(|_| bad("x is not 32 bytes"))?;
                ed25519_dalek::VerifyingKey::from_bytes(&bytes)
                    .map(PublicKey::Ed25519)
                    .map_err(|e| bad(&e.to_string()))
            }
            "RSA" => {
                let n = rsa::BoxedUint::from_be_slice_vartime(&b64(&jwk.n, "n")?);
                let e = rsa::BoxedUint::from_be_slice_vartime(&b64(&jwk.e, "e")?);
                rsa::PublicKey::new(n, e)
                    .map(|k| PublicKey::Rsa(Box::new(k)))
                    .map_err(|e| bad(&e.to_string()))
            }
            other => Err(bad(&format!("key type {other:?} is not OKP or RSA"))),
        }
    }

    /// The JWK form, as a signer publishes it.
    pub fn to_jwk(&self, kid: &str) -> Jwk {
        match self {
            PublicKey::Ed25519(k) => Jwk {
                kty: "OKP".into(),
                crv: Some("Ed25519".into()),
                alg: Some("EdDSA".into()),
                use_: Some("sig".into()),
                kid: Some(kid.into()),
                x: Some(URL_SAFE_NO_PAD.encode(k.to_bytes())),
                n: None,
                e: None,
            },
            PublicKey::Rsa(k) => Jwk {
                kty: "RSA".into(),
                crv: None,
                alg: Some("RS256".into()),
                use_: Some("sig".into()),
                kid: Some(kid.into()),
                x: None,
                n: Some(URL_SAFE_NO_PAD.encode(k.n_bytes())),
                e: Some(URL_SAFE_NO_PAD.encode(k.e_bytes())),
            },
        }
    }

    /// Checks `signature` over `message`.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match self {
            PublicKey::Ed25519(k) => {
                let Ok(sig) = ed25519_dalek::Signature::from_slice(signature) else {
                    return false;
                };
                k.verify_strict(message, &sig).is_ok()
            }
            PublicKey::Rsa(k) => k.pkcs1v15_verify::<sha2::Sha256>(message, signature).is_ok(),
        }
    }
}

/// A private key that signs DCI messages.
#[derive(Clone)]
#[allow(clippy::large_enum_variant)] // one or two keys per process; the Ed25519 key stays inline
pub enum PrivateKey {
    Ed25519(ed25519_dalek::SigningKey),
    Rsa(Box<rsa::PrivateKey>),
}

impl fmt::Debug for PrivateKey {
    /// Never prints key material.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PrivateKey({}, redacted)", self.algorithm())
    }
}

impl PrivateKey {
    /// A new Ed25519 key from the operating system's random source.
    pub fn generate_ed25519() -> Result<PrivateKey, KeyError> {
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret).map_err(|e| KeyError::Random(e.to_string()))?;
        Ok(PrivateKey::Ed25519(ed25519_dalek::SigningKey::from_bytes(&secret)))
    }

    /// An Ed25519 key made from 32 secret bytes (the sandbox derives its key
    /// from its seed so that a restarted sandbox keeps its identity).
    pub fn ed25519_from_bytes(secret: [u8; 32]) -> PrivateKey {
        PrivateKey::Ed25519(ed25519_dalek::SigningKey::from_bytes(&secret))
    }

    pub fn algorithm(&self) -> Algorithm {
        match self {
            PrivateKey::Ed25519(_) => Algorithm::Ed25519,
            PrivateKey::Rsa(_) => Algorithm::Rs256,
        }
    }

    /// Reads PKCS#8 (`-----BEGIN PRIVATE KEY-----`, Ed25519 or RSA) or PKCS#1
    /// (`-----BEGIN RSA PRIVATE KEY-----`) PEM.
    pub fn from_pem(pem: &str) -> Result<PrivateKey, KeyError> {
        let pem = pem.trim();
        if pem.contains("BEGIN RSA PRIVATE KEY") {
            return rsa::PrivateKey::from_pkcs1_pem(pem)
                .map(|k| PrivateKey::Rsa(Box::new(k)))
                .map_err(|e| KeyError::BadPrivatePem(e.to_string()));
        }
        match ed25519_dalek::SigningKey::from_pkcs8_pem(pem) {
            Ok(k) => Ok(PrivateKey::Ed25519(k)),
            Err(ed_err) => rsa::pkcs8::DecodePrivateKey::from_pkcs8_pem(pem)
                .map(|k: rsa::PrivateKey| PrivateKey::Rsa(Box::new(k)))
                .map_err(|_| KeyError::BadPrivatePem(ed_err.to_string())),
        }
    }

    /// The PKCS#8 PEM form. Secret: the caller decides where it may go.
    pub fn to_pem(&self) -> Result<SecretString, KeyError> {
        let pem = match self {
            PrivateKey::Ed25519(k) => k.to_pkcs8_pem(PEM_LINE_ENDING),
            PrivateKey::Rsa(k) => rsa::pkcs8::EncodePrivateKey::to_pkcs8_pem(k.as_ref(), PEM_LINE_ENDING),
        };
        // Out of the encoder's zeroising buffer into a SecretString, never a plain String.
        pem.map(|z| SecretString::from(z.as_str()))
            .map_err(|e| KeyError::Signing(e.to_string()))
    }

    pub fn public_key(&self) -> PublicKey {
        match self {
            PrivateKey::Ed25519(k) => PublicKey::Ed25519(k.verifying_key()),
            PrivateKey::Rsa(k) => PublicKey::Rsa(Box::new(k.to_public_key())),
        }
    }

    /// Signs `message` (Ed25519, or RSASSA-PKCS1-v1_5 with SHA-256).
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        match self {
            PrivateKey::Ed25519(k) => {
                use ed25519_dalek::Signer as _;
                Ok(k.sign(message).to_bytes().to_vec())
            }
            PrivateKey::Rsa(k) => k
                .pkcs1v15_sign::<sha2::Sha256>(message)
                .map_err(|e| KeyError::Signing(e.to_string())),
        }
    }
}

/// A JSON Web Key (RFC 7517), the members DCI uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    pub kty: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    #[serde(rename = "use", default, skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
}

/// A JSON Web Key Set: `{"keys": [...]}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

impl Jwks {
    pub fn from_json(text: &str) -> Result<Jwks, String> {
        serde_json::from_str(text).map_err(|e| format!("not a JWKS document: {e}"))
    }

    /// The signing keys that can verify a signature with this `kidId`: the
    /// JWKs whose `kid` is exactly that `kidId` of that sender. There is no
    /// fall-back to the sender's other keys (SPEC-NOTES §4.3 suggests a
    /// `<sender_id>|` prefix match; we refuse it): a signature naming a key the
    /// set does not publish finds nothing, even if another key would verify
    /// it. A JWK without `kid` names no sender and is never chosen. Keys marked
    /// `use: enc` are skipped.
    pub fn keys_for(&self, kid_id: &str, sender_id: &str) -> Vec<(String, Result<PublicKey, KeyError>)> {
        let of_sender = Kid::parse(kid_id).is_ok_and(|k| k.sender_id == sender_id);
        if !of_sender {
            return Vec::new();
        }
        self.keys
            .iter()
            .filter(|k| k.use_.as_deref().is_none_or(|u| u == "sig"))
            .filter(|k| k.kid.as_deref() == Some(kid_id))
            .map(|k| (k.kid.clone().unwrap_or_default(), PublicKey::from_jwk(k)))
            .collect()
    }
}

/// The three parts of a DCI key name: `sender_id|key_id|algorithm`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kid {
    pub sender_id: String,
    pub key_id: String,
    pub algorithm: String,
}

impl Kid {
    pub fn new(sender_id: &str, key_id: &str, algorithm: Algorithm) -> Kid {
        Kid {
            sender_id: sender_id.to_string(),
            key_id: key_id.to_string(),
            algorithm: algorithm.as_str().to_string(),
        }
    }

    pub fn parse(s: &str) -> Result<Kid, KeyError> {
        let mut parts = s.split('|');
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some(sender), Some(key), Some(alg), None) if !sender.is_empty() && !key.is_empty() => Ok(Kid {
                sender_id: sender.to_string(),
                key_id: key.to_string(),
                algorithm: alg.to_string(),
            }),
            _ => Err(KeyError::BadKid(s.to_string())),
        }
    }
}

impl fmt::Display for Kid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}|{}|{}", self.sender_id, self.key_id, self.algorithm)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret as _;

    #[test]
    fn ed25519_round_trips_through_pem_and_jwk() {
        let key = PrivateKey::ed25519_from_bytes([7; 32]);
        let public = key.public_key();
        assert_eq!(PublicKey::from_pem(&public.to_pem()).unwrap(), public);
        let jwk = public.to_jwk("a.b|k1|ed25519");
        assert_eq!(jwk.alg.as_deref(), Some("EdDSA"));
        assert_eq!(PublicKey::from_jwk(&jwk).unwrap(), public);
        let pem = key.to_pem().unwrap();
        let pem = pem.expose_secret();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
        let again = PrivateKey::from_pem(pem).unwrap();
        assert_eq!(again.public_key(), public);
        let sig = key.sign(b"hello").unwrap();
        assert!(public.verify(b"hello", &sig));
        assert!(!public.verify(b"hellO", &sig));
        assert!(!public.verify(b"hello", &sig[..10]));
    }

    #[test]
    fn private_key_debug_is_redacted() {
        let key = PrivateKey::ed25519_from_bytes([9; 32]);
        assert_eq!(format!("{key:?}"), "PrivateKey(ed25519, redacted)");
    }

    #[test]
    fn kid_has_three_parts() {
        let kid = Kid::parse("ibr.example.org|key-1|ed25519").unwrap();
        assert_eq!(kid.sender_id, "ibr.example.org");
        assert_eq!(kid.to_string(), "ibr.example.org|key-1|ed25519");
        assert!(Kid::parse("only|two").is_err());
        assert!(Kid::parse("a|b|c|d").is_err());
    }

    #[test]
    fn jwks_matches_the_exact_kid_only() {
        let a = PrivateKey::ed25519_from_bytes([1; 32]).public_key();
        let b = PrivateKey::ed25519_from_bytes([2; 32]).public_key();
        let jwks = Jwks {
            keys: vec![
                a.to_jwk("s|k1|ed25519"),
                b.to_jwk("s|k2|ed25519"),
                a.to_jwk("other|k1|ed25519"),
            ],
        };
        let exact = jwks.keys_for("s|k2|ed25519", "s");
        assert_eq!(exact.len(), 1);
        assert_eq!(exact[0].1.as_ref().unwrap(), &b);
        // No fall-back to the sender's other keys for a kid it does not publish.
        assert!(jwks.keys_for("s|rotated|ed25519", "s").is_empty());
        assert!(jwks.keys_for("x|k|ed25519", "x").is_empty());
        // A kid of another sender is not this sender's key.
        assert!(jwks.keys_for("other|k1|ed25519", "s").is_empty());
        let kidless = Jwks {
            keys: vec![Jwk {
                kid: None,
                ..a.to_jwk("")
            }],
        };
        assert!(kidless.keys_for("s|k1|ed25519", "s").is_empty());
    }

    #[test]
    fn bad_pem_says_what_was_expected() {
        let err = PublicKey::from_pem("not a key").unwrap_err();
        assert!(err.to_string().contains("PUBLIC KEY"), "{err}");
    }
}
