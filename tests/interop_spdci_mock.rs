//! Interoperability with the official SPDCI IBR mock (Mockoon), which
//! `.ci/run` starts on port 3333:
//! `npx --yes @mockoon/cli@9 start --data tests/fixtures/interop/spdci-ibr-mock.mockoon.json --port 3333`.
//! Its replies are static, unsigned and not always what the spec says; the
//! client must read them without panicking and report what it cannot trust.
//!
//! Ignored by default (it needs the mock); run with `cargo test -- --ignored`.

use std::sync::Arc;

use ibr_desk::dci::client::{ClientConfig, ReplyTrust};
use ibr_desk::dci::enrolled::{EnrolledOutcome, EnrolledRequest};
use ibr_desk::dci::search::{Query, RequestStatus, SearchCriteria, SearchRequestItem};
use ibr_desk::dci::txn_status::TxnStatusRequest;
use ibr_desk::dci::{DciClient, DciError, SignatureCheck, SignatureError, TrustedKeys};
use ibr_desk::domain::IdType;
use url::Url;

fn mock_url() -> Url {
    let url = std::env::var("IBR_DESK_SPDCI_MOCK_URL").unwrap_or_else(|_| "http://127.0.0.1:3333".into());
    Url::parse(&url).expect("IBR_DESK_SPDCI_MOCK_URL is a URL")
}

fn client(allow_unsigned: bool) -> DciClient {
    let mut c = ClientConfig::new(
        mock_url(),
        "ibr-desk.interop",
        ReplyTrust {
            keys: Arc::new(TrustedKeys::new()),
            allow_unsigned,
        },
    );
    c.path_prefix = "ibr".into();
    DciClient::new(c).unwrap()
}

fn item() -> SearchRequestItem {
    SearchRequestItem {
        reference_id: "ref-interop-1".into(),
        timestamp: "2026-01-01T00:00:00Z".into(),
        search_criteria: SearchCriteria::ibr(Query::id("UIN", "0205202401")),
        locale: Some("eng".into()),
    }
}

#[tokio::test]
#[ignore = "needs the SPDCI mock on 127.0.0.1:3333 (started by .ci/run)"]
async fn search_reply_is_read_and_its_untrustworthy_parts_reported() {
    let reply = client(true)
        .search("txn-interop-1", vec![item()])
        .await
        .expect("the mock's reply is readable");
    assert_eq!(reply.signature, SignatureCheck::Unsigned);
    let w = reply.warnings.join("\n");
    assert!(w.contains("unsigned"), "{w}");
    assert!(w.contains("bare message"), "{w}");
    assert!(w.contains("not ours"), "the mock answers transaction 123456789: {w}");
    assert!(w.contains("no answer for reference ID ref-interop-1"), "{w}");
    assert!(w.contains("not processed yet (rcvd)"), "{w}");
    let it = &reply.outcome.items[0];
    assert_eq!(it.status, RequestStatus::Rcvd);
    let rec = &it.records[0];
    assert!(rec.has_identifier(&IdType::Other("NID".into()), "0205202401"));
    assert_eq!(rec.name.full(), "Test Test2 Test3");
    assert_eq!(rec.birth_date.as_deref(), Some("02.05.2004"));
    assert_eq!(rec.programmes[0].programme_identifier.as_deref(), Some("DCI001"));
    assert!(rec.has_active_enrolment());
}

#[tokio::test]
#[ignore = "needs the SPDCI mock on 127.0.0.1:3333 (started by .ci/run)"]
async fn unsigned_mock_reply_is_refused_when_signatures_are_required() {
    let err = client(false).search("txn-interop-2", vec![item()]).await.unwrap_err();
    assert!(matches!(err, DciError::Signature(SignatureError::NoHeader)), "{err:?}");
}

#[tokio::test]
#[ignore = "needs the SPDCI mock on 127.0.0.1:3333 (started by .ci/run)"]
async fn enrolled_ack_is_reported_as_no_answer() {
    let reply = client(true)
        .enrolled(EnrolledRequest::by_identifier("txn-interop-3", "UIN", "0205202401"))
        .await
        .unwrap();
    assert!(
        matches!(&reply.outcome, EnrolledOutcome::Acknowledged { ack_status } if ack_status == "yes"),
        "{:?}",
        reply.outcome
    );
}

#[tokio::test]
#[ignore = "needs the SPDCI mock on 127.0.0.1:3333 (started by .ci/run)"]
async fn txn_status_reply_is_read_without_a_search() {
    let reply = client(true)
        .txn_status(TxnStatusRequest::for_transaction(
            "txn-interop-4",
            "s1",
            "txn-interop-1",
        ))
        .await
        .unwrap();
    assert!(
        reply.outcome.search.is_none(),
        "the mock sends a JSON schema, not a result"
    );
    assert!(
        reply.warnings.iter().any(|w| w.contains("not ours")),
        "{:?}",
        reply.warnings
    );
}
