//! The independent signature vectors (`tests/fixtures/vectors`), both ways:
//! every `valid` case verifies and every `invalid` one fails for the reason
//! given; and signing with the vectors' private key reproduces their
//! canonical form, digest, signing string and signature byte for byte.

use ibr_desk::dci::canonical;
use ibr_desk::dci::signature::{self, SignatureError, SignatureParams, verify_envelope_text};
use ibr_desk::dci::{Jwks, PrivateKey, PublicKey, Signer, TrustedKeys};
use serde_json::Value;

const CASES: &str = include_str!("fixtures/vectors/cases.json");
const JWKS: &str = include_str!("fixtures/vectors/jwks.json");
const ED25519_PEM: &str = include_str!("fixtures/vectors/sender_ed25519.pem");
const RS256_PEM: &str = include_str!("fixtures/vectors/sender_rs256.pem");
const PRIVATE_PEM: &str = include_str!("fixtures/vectors/signer_ed25519_private.pem");

fn cases() -> Vec<Value> {
    let v: Value = serde_json::from_str(CASES).unwrap();
    v["cases"].as_array().unwrap().clone()
}

fn case(name: &str) -> Value {
    cases().into_iter().find(|c| c["name"] == name).unwrap()
}

/// The reason each invalid case must fail for.
fn expected_failure(name: &str, err: &SignatureError) -> bool {
    match name {
        "ed25519_tampered_message" | "ed25519_tampered_header" | "ed25519_wrong_key" | "rs256_tampered" => {
            matches!(err, SignatureError::Mismatch { .. })
        }
        "ed25519_expired" => matches!(err, SignatureError::Expired { .. }),
        "ed25519_created_in_future" => matches!(err, SignatureError::CreatedInFuture { .. }),
        "ed25519_sender_mismatch" => matches!(err, SignatureError::SenderMismatch { .. }),
        "missing_signature" => matches!(err, SignatureError::Missing),
        other => panic!("no expectation written for invalid case {other}"),
    }
}

fn check_all(keys: &dyn ibr_desk::dci::KeyLookup, label: &str) {
    let all = cases();
    assert_eq!(all.len(), 11, "the vector file changed; review the expectations");
    for c in all {
        let name = c["name"].as_str().unwrap();
        let now = c["now"].as_i64().unwrap();
        let result = verify_envelope_text(c["envelope"].as_str().unwrap(), keys, now);
        match c["expect"].as_str().unwrap() {
            "valid" => assert!(result.is_ok(), "[{label}] {name}: {result:?}"),
            "invalid" => {
                let err = result.expect_err(&format!("[{label}] {name} must be rejected"));
                assert!(
                    expected_failure(name, &err),
                    "[{label}] {name} failed for the wrong reason: {err}"
                );
            }
            other => panic!("unknown expectation {other}"),
        }
    }
}

#[test]
fn every_case_verifies_or_fails_for_its_reason_with_the_jwks() {
    let jwks = Jwks::from_json(JWKS).unwrap();
    check_all(&jwks, "jwks");
}

#[test]
fn every_case_verifies_or_fails_for_its_reason_with_the_pem_keys() {
    let sender = "ibr.shared.example";
    let mut keys = TrustedKeys::new();
    keys.add(sender, None, PublicKey::from_pem(ED25519_PEM).unwrap());
    keys.add(sender, None, PublicKey::from_pem(RS256_PEM).unwrap());
    check_all(&keys, "pem");
}

#[test]
fn jwk_and_pem_forms_are_the_same_keys() {
    let jwks = Jwks::from_json(JWKS).unwrap();
    let from_jwk: Vec<PublicKey> = jwks.keys.iter().map(|k| PublicKey::from_jwk(k).unwrap()).collect();
    assert_eq!(from_jwk[0], PublicKey::from_pem(ED25519_PEM).unwrap());
    assert_eq!(from_jwk[1], PublicKey::from_pem(RS256_PEM).unwrap());
    // And our JWK export writes the same members back.
    assert_eq!(from_jwk[0].to_jwk(jwks.keys[0].kid.as_deref().unwrap()), jwks.keys[0]);
    assert_eq!(from_jwk[1].to_jwk(jwks.keys[1].kid.as_deref().unwrap()), jwks.keys[1]);
}

#[test]
fn canonical_digest_and_signing_string_match_the_traced_cases() {
    let mut traced = 0;
    for c in cases() {
        let name = c["name"].as_str().unwrap();
        let Some(expected_canonical) = c["canonical"].as_str() else {
            continue; // only the first case of each algorithm carries a trace
        };
        traced += 1;
        let parsed = canonical::parse(c["envelope"].as_str().unwrap()).unwrap();
        let ours = canonical::signed_content(&parsed).unwrap();
        assert_eq!(ours, expected_canonical, "{name}: canonical form");
        assert_eq!(
            signature::digest(&ours),
            c["digest"].as_str().unwrap(),
            "{name}: digest"
        );
        let p = SignatureParams::parse(parsed.get("signature").and_then(|s| s.as_str()).unwrap()).unwrap();
        let s = signature::signing_string(&p.headers, p.created, p.expires, &signature::digest(&ours)).unwrap();
        assert_eq!(s, c["signing_string"].as_str().unwrap(), "{name}: signing string");
    }
    assert_eq!(traced, 2, "one traced case per algorithm");
}

#[test]
fn reordered_pretty_printed_envelope_has_the_same_canonical_form() {
    let a = canonical::parse(case("ed25519_valid")["envelope"].as_str().unwrap()).unwrap();
    let b = canonical::parse(case("ed25519_valid_reordered")["envelope"].as_str().unwrap()).unwrap();
    assert_eq!(canonical::signed_content(&a), canonical::signed_content(&b));
}

#[test]
fn signing_with_the_vector_key_reproduces_their_signature() {
    let c = case("ed25519_valid");
    let envelope: Value = serde_json::from_str(c["envelope"].as_str().unwrap()).unwrap();
    let theirs = SignatureParams::parse(envelope["signature"].as_str().unwrap()).unwrap();
    let key = PrivateKey::from_pem(PRIVATE_PEM).unwrap();
    assert_eq!(key.public_key(), PublicKey::from_pem(ED25519_PEM).unwrap());
    let kid = ibr_desk::dci::Kid::parse(&theirs.kid_id).unwrap();
    let signer = Signer::new(key, &kid.sender_id, &kid.key_id);
    let trace = signer
        .trace(&envelope["header"], &envelope["message"], theirs.created)
        .unwrap();
    assert_eq!(trace.canonical, c["canonical"].as_str().unwrap());
    assert_eq!(trace.digest, c["digest"].as_str().unwrap());
    assert_eq!(trace.signing_string, c["signing_string"].as_str().unwrap());
    // Ed25519 is deterministic: the same key over the same string gives the same bytes.
    assert_eq!(trace.params.signature, theirs.signature);
    assert_eq!(trace.params.to_string(), envelope["signature"].as_str().unwrap());
}

#[test]
fn the_vectors_key_under_another_kid_is_not_tried() {
    // The same Ed25519 key, published under a kid the signature does not name:
    // it would verify, but a signature is checked only with the key it names.
    let mut jwks = Jwks::from_json(JWKS).unwrap();
    for k in &mut jwks.keys {
        k.kid = k.kid.as_ref().map(|kid| kid.replace("key-47", "key-48"));
    }
    let c = case("ed25519_valid");
    let err = verify_envelope_text(c["envelope"].as_str().unwrap(), &jwks, c["now"].as_i64().unwrap()).unwrap_err();
    assert_eq!(
        err,
        SignatureError::NoTrustedKey {
            sender_id: "ibr.shared.example".into(),
            kid_id: "ibr.shared.example|key-47|ed25519".into()
        }
    );
    let mut keys = TrustedKeys::new();
    keys.add(
        "ibr.shared.example",
        Some("ibr.shared.example|key-48|ed25519"),
        PublicKey::from_pem(ED25519_PEM).unwrap(),
    );
    assert!(matches!(
        verify_envelope_text(c["envelope"].as_str().unwrap(), &keys, c["now"].as_i64().unwrap()),
        Err(SignatureError::NoTrustedKey { .. })
    ));
}
