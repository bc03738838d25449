//! The DCI client against the sandbox IBR over real loopback HTTP: found,
//! not found, batches, tokens, signatures, and every fault switch giving a
//! clear error.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use ibr_desk::dci::enrolled::{EnrolledOutcome, EnrolledRequest};
use ibr_desk::dci::search::{Query, RequestStatus};
use ibr_desk::dci::txn_status::TxnStatusRequest;
use ibr_desk::dci::{DciClient, DciError, SignatureCheck, SignatureError};
use ibr_desk::domain::{EnrolmentStatus, IdType};
use ibr_desk::sandbox::SandboxConfig;
use ibr_desk::sandbox::faults::{FaultConfig, RecordShape};

#[tokio::test(flavor = "multi_thread")]
async fn finds_a_person_by_uin_with_a_verified_signature() {
    let h = start_sandbox().await;
    let uin = h.population().samples().active_multi[0].clone();
    let reply = client(&h)
        .search(&txn(), vec![item("r1", Query::id("UIN", &uin.value))])
        .await
        .unwrap();
    assert!(
        matches!(reply.signature, SignatureCheck::Verified(_)),
        "{:?}",
        reply.signature
    );
    assert!(reply.warnings.is_empty(), "{:?}", reply.warnings);
    let it = reply.outcome.item("r1").unwrap();
    assert_eq!(it.status, RequestStatus::Succ);
    assert!(
        it.records.len() >= 2,
        "active in several programmes: one record per enrolment"
    );
    for r in &it.records {
        assert!(r.has_identifier(&IdType::Uin, &uin.value));
        assert_eq!(r.programmes[0].enrolment_status, EnrolmentStatus::Active);
    }
    assert_eq!(it.total_count, Some(it.records.len() as u64));
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn not_found_is_succ_with_no_records() {
    let h = start_sandbox().await;
    let absent = h.population().samples().not_enrolled[0].clone();
    let reply = client(&h)
        .search(&txn(), vec![item("r1", Query::id("UIN", &absent.value))])
        .await
        .unwrap();
    let it = reply.outcome.item("r1").unwrap();
    assert_eq!(it.status, RequestStatus::Succ);
    assert!(it.records.is_empty());
    assert_eq!(it.total_count, Some(0));
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn many_searches_travel_in_one_message() {
    let h = start_sandbox().await;
    let s = h.population().samples();
    let mut items = Vec::new();
    for (i, id) in s
        .active_single
        .iter()
        .chain(&s.graduated)
        .chain(&s.not_enrolled)
        .enumerate()
    {
        items.push(item(&format!("r{i}"), Query::id(id.id_type.as_str(), &id.value)));
    }
    let twin = &s.near_twins[0];
    items.push(item(
        "twin",
        Query::demographic(&twin.given_name, &twin.surname, &twin.birth_date.to_string()),
    ));
    let n = items.len();
    let reply = client(&h).search(&txn(), items).await.unwrap();
    assert_eq!(reply.outcome.items.len(), n);
    assert!(reply.warnings.is_empty(), "{:?}", reply.warnings);
    assert!(reply.outcome.item("twin").unwrap().records.len() >= 2);
    let stats = h.stats();
    assert_eq!(stats.search_messages, 1);
    assert_eq!(stats.search_items, n as u64);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn token_is_cached_and_refreshed_once_after_a_401() {
    let h = start_sandbox().await;
    let c = client(&h);
    let uin = h.population().samples().active_single[0].value.clone();
    c.search(&txn(), vec![item("a", Query::id("UIN", &uin))]).await.unwrap();
    c.search(&txn(), vec![item("b", Query::id("UIN", &uin))]).await.unwrap();
    assert_eq!(h.stats().token_requests, 1, "the token is reused");
    h.expire_tokens();
    c.search(&txn(), vec![item("c", Query::id("UIN", &uin))]).await.unwrap();
    assert_eq!(h.stats().token_requests, 2, "one new token after the 401");
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_secret_is_an_auth_error_that_hides_the_secret() {
    let h = start_sandbox().await;
    let mut cfg = client_config(&h);
    cfg.auth.as_mut().unwrap().client_secret = ibr_desk::dci::Secret::new("wrong-secret-xyz");
    let err = DciClient::new(cfg)
        .unwrap()
        .search(&txn(), vec![item("a", Query::id("UIN", "1"))])
        .await
        .unwrap_err();
    assert!(matches!(err, DciError::Auth(_)), "{err:?}");
    assert!(!err.is_transient());
    assert!(!err.to_string().contains("wrong-secret-xyz"));
    assert!(err.to_string().contains("invalid_client"), "{err}");
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn no_token_url_against_a_protected_registry_says_so() {
    let h = start_sandbox().await;
    let mut cfg = client_config(&h);
    cfg.auth = None;
    let err = DciClient::new(cfg)
        .unwrap()
        .search(&txn(), vec![item("a", Query::id("UIN", "1"))])
        .await
        .unwrap_err();
    assert!(
        matches!(&err, DciError::Auth(m) if m.contains("no OAuth2 token URL")),
        "{err}"
    );
    h.shutdown().await;
}

async fn search_with(f: FaultConfig) -> Result<ibr_desk::dci::Reply<ibr_desk::dci::search::SearchOutcome>, DciError> {
    let h = start_sandbox_with(faults(f)).await;
    let uin = h.population().samples().active_single[0].value.clone();
    let r = client(&h).search(&txn(), vec![item("a", Query::id("UIN", &uin))]).await;
    h.shutdown().await;
    r
}

#[tokio::test(flavor = "multi_thread")]
async fn fault_5xx_is_a_transient_http_error() {
    let err = search_with(FaultConfig {
        error_rate: 1.0,
        ..Default::default()
    })
    .await
    .unwrap_err();
    assert!(matches!(err, DciError::Http { status: 503, .. }), "{err:?}");
    assert!(err.is_transient());
    assert!(err.to_string().contains("err.service.unavailable"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn fault_throttle_is_a_transient_429() {
    let err = search_with(FaultConfig {
        throttle_rate: 1.0,
        ..Default::default()
    })
    .await
    .unwrap_err();
    assert!(matches!(err, DciError::Http { status: 429, .. }), "{err:?}");
    assert!(err.is_transient());
}

#[tokio::test(flavor = "multi_thread")]
async fn fault_malformed_body_is_not_understood_never_empty() {
    let err = search_with(FaultConfig {
        malformed_rate: 1.0,
        ..Default::default()
    })
    .await
    .unwrap_err();
    assert!(matches!(err, DciError::Malformed(_)), "{err:?}");
    assert!(!err.is_transient());
}

#[tokio::test(flavor = "multi_thread")]
async fn fault_wrong_signature_is_refused_with_the_reason() {
    let err = search_with(FaultConfig {
        bad_signature_rate: 1.0,
        ..Default::default()
    })
    .await
    .unwrap_err();
    assert!(
        matches!(err, DciError::Signature(SignatureError::Mismatch { .. })),
        "{err:?}"
    );
    assert!(err.to_string().contains("does not verify"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn fault_unsigned_is_refused_unless_allowed() {
    let err = search_with(FaultConfig {
        unsigned: true,
        ..Default::default()
    })
    .await
    .unwrap_err();
    assert!(matches!(err, DciError::Signature(SignatureError::Missing)), "{err:?}");

    let h = start_sandbox_with(faults(FaultConfig {
        unsigned: true,
        ..Default::default()
    }))
    .await;
    let mut cfg = client_config(&h);
    cfg.trust.allow_unsigned = true;
    let reply = DciClient::new(cfg)
        .unwrap()
        .search(&txn(), vec![item("a", Query::id("UIN", "1"))])
        .await
        .unwrap();
    assert_eq!(reply.signature, SignatureCheck::Unsigned);
    assert!(
        reply.warnings.iter().any(|w| w.contains("unsigned")),
        "{:?}",
        reply.warnings
    );
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn untrusted_sender_is_refused_even_with_a_good_signature() {
    let h = start_sandbox().await;
    let mut cfg = client_config(&h);
    cfg.trust.keys = Arc::new(ibr_desk::dci::TrustedKeys::new());
    let err = DciClient::new(cfg)
        .unwrap()
        .search(&txn(), vec![item("a", Query::id("UIN", "1"))])
        .await
        .unwrap_err();
    assert!(
        matches!(err, DciError::Signature(SignatureError::NoTrustedKey { .. })),
        "{err:?}"
    );
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn fault_rjct_items_carry_their_reason() {
    let reply = search_with(FaultConfig {
        rjct_rate: 1.0,
        ..Default::default()
    })
    .await
    .unwrap();
    let it = reply.outcome.item("a").unwrap();
    assert_eq!(it.status, RequestStatus::Rjct);
    assert_eq!(it.status_reason_code.as_deref(), Some("rjct.search_criteria.invalid"));
    assert!(it.records.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn fault_latency_beyond_the_timeout_is_a_timeout() {
    let h = start_sandbox_with(faults(FaultConfig {
        latency_ms: 2_000,
        ..Default::default()
    }))
    .await;
    let mut cfg = client_config(&h);
    cfg.timeout = Duration::from_millis(300);
    let err = DciClient::new(cfg)
        .unwrap()
        .search(&txn(), vec![item("a", Query::id("UIN", "1"))])
        .await
        .unwrap_err();
    assert!(matches!(err, DciError::Timeout(_)), "{err:?}");
    assert!(err.is_offline() && err.is_transient());
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stopped_registry_is_unreachable() {
    let h = start_sandbox().await;
    let cfg = client_config(&h);
    h.shutdown().await;
    let err = DciClient::new(cfg)
        .unwrap()
        .search(&txn(), vec![item("a", Query::id("UIN", "1"))])
        .await
        .unwrap_err();
    assert!(matches!(err, DciError::Unreachable(_)), "{err:?}");
    assert!(err.is_offline());
}

#[tokio::test(flavor = "multi_thread")]
async fn jsonld_record_shape_reads_the_same() {
    let h = start_sandbox_with(faults(FaultConfig {
        record_shape: RecordShape::Jsonld,
        ..Default::default()
    }))
    .await;
    let s = h.population().samples();
    let grad = &s.graduated[0];
    let reply = client(&h)
        .search(&txn(), vec![item("g", Query::id("UIN", &grad.value))])
        .await
        .unwrap();
    let rec = &reply.outcome.item("g").unwrap().records[0];
    assert!(rec.parse_notes.is_empty(), "{:?}", rec.parse_notes);
    assert_eq!(rec.programmes[0].enrolment_status, EnrolmentStatus::Graduated);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn unsupported_queries_are_rejected_items_not_empty_results() {
    let h = start_sandbox().await;
    let reply = client(&h)
        .search(&txn(), vec![item("x", Query::id("NID", "123"))])
        .await
        .unwrap();
    let it = reply.outcome.item("x").unwrap();
    assert_eq!(it.status, RequestStatus::Rjct);
    assert!(it.status_reason_message.as_deref().unwrap().contains("NID"));
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn enrolled_answers_yes_and_no() {
    let h = start_sandbox().await;
    let s = h.population().samples();
    let c = client(&h);
    let yes = c
        .enrolled(EnrolledRequest::by_identifier(&txn(), "UIN", &s.active_single[0].value))
        .await
        .unwrap();
    assert!(
        matches!(&yes.outcome, EnrolledOutcome::Answer(a) if a[0].enrolled == Some(true)),
        "{:?}",
        yes.outcome
    );
    let no = c
        .enrolled(EnrolledRequest::by_identifier(&txn(), "UIN", &s.not_enrolled[0].value))
        .await
        .unwrap();
    assert!(matches!(&no.outcome, EnrolledOutcome::Answer(a) if a[0].enrolled == Some(false)));
    let graduated = c
        .enrolled(EnrolledRequest::by_identifier(&txn(), "UIN", &s.graduated[0].value))
        .await
        .unwrap();
    assert!(
        matches!(&graduated.outcome, EnrolledOutcome::Answer(a) if a[0].enrolled == Some(false)),
        "no active enrolment"
    );
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn txn_status_replays_an_earlier_search() {
    let h = start_sandbox().await;
    let c = client(&h);
    let uin = h.population().samples().active_single[0].value.clone();
    let first = txn();
    c.search(&first, vec![item("r1", Query::id("UIN", &uin))])
        .await
        .unwrap();
    let status = c
        .txn_status(TxnStatusRequest::for_transaction(&txn(), "s1", &first))
        .await
        .unwrap();
    let search = status.outcome.search.expect("the earlier search");
    assert_eq!(search.transaction_id.as_deref(), Some(first.as_str()));
    assert_eq!(search.item("r1").unwrap().records.len(), 1);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn signed_requests_are_verified_by_the_sandbox() {
    let h = start_sandbox_with(SandboxConfig {
        require_signed_requests: true,
        client_keys: office_jwks(),
        ..SandboxConfig::default()
    })
    .await;
    let uin = h.population().samples().active_single[0].value.clone();
    let mut signed = client_config(&h);
    signed.signer = Some(office_signer());
    DciClient::new(signed)
        .unwrap()
        .search(&txn(), vec![item("a", Query::id("UIN", &uin))])
        .await
        .unwrap();

    let err = client(&h)
        .search(&txn(), vec![item("a", Query::id("UIN", &uin))])
        .await
        .unwrap_err();
    assert!(matches!(&err, DciError::Auth(m) if m.contains("signature")), "{err}");

    let mut impostor = client_config(&h);
    impostor.signer = Some(ibr_desk::dci::Signer::new(
        ibr_desk::dci::PrivateKey::ed25519_from_bytes([1; 32]),
        "office.test",
        "k1",
    ));
    let err = DciClient::new(impostor)
        .unwrap()
        .search(&txn(), vec![item("a", Query::id("UIN", &uin))])
        .await
        .unwrap_err();
    assert!(err.to_string().contains("err.signature.invalid"), "{err}");
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn ibr_path_prefix_works_too() {
    let h = start_sandbox().await;
    let mut cfg = client_config(&h);
    cfg.path_prefix = "ibr".into();
    let uin = h.population().samples().active_single[0].value.clone();
    let reply = DciClient::new(cfg)
        .unwrap()
        .search(&txn(), vec![item("a", Query::id("UIN", &uin))])
        .await
        .unwrap();
    assert_eq!(reply.outcome.item("a").unwrap().records.len(), 1);
    h.shutdown().await;
}
