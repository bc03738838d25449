//! Transport a hostile or broken registry can misuse: redirects to another
//! origin, a connection that is not TLS, a token endpoint that refuses or
//! answers nonsense, plain http to another computer. Each is a failure with
//! its reason — never "unreachable, retrying for ever", never a result.

mod common;

use common::hostile::{self, Answer, Seen, assert_failed, nothing_found, search_message};
use common::{Office, SandboxRuntime};
use ibr_desk::domain::{CheckState, MatchResult};
use ibr_desk::secrets::SecretStore as _;
use serde_json::json;

fn redirect_to(location: String) -> Answer {
    Answer::Raw {
        status: 307,
        headers: vec![("location", location)],
        body: String::new(),
    }
}

#[test]
fn a_redirect_to_another_origin_is_refused_and_said() {
    let rt = SandboxRuntime::new();
    // The server the registry would like our applicants to go to.
    let elsewhere = hostile::start(&rt.0, |seen: &Seen| {
        Answer::signed(seen, search_message(seen, nothing_found(seen)))
    });
    let target = format!("{}/registry/sync/search", elsewhere.base_url());
    let h = hostile::start(&rt.0, move |_| redirect_to(target.clone()));
    let office = Office::new();
    let source = office.add_hostile(&h, |_| {});
    let c = office.check_amina(source.id);
    assert_failed(&c, "redirect", &format!("redirect to {}", elsewhere.base_url()));
    assert!(
        elsewhere.seen.lock().unwrap().is_empty(),
        "nothing reached the other server"
    );
}

#[test]
fn a_redirect_within_the_registry_is_followed() {
    let rt = SandboxRuntime::new();
    let h = hostile::start(&rt.0, |seen: &Seen| {
        if seen.path == "/registry/sync/search" {
            redirect_to("/v2/registry/sync/search".into())
        } else {
            Answer::signed(seen, search_message(seen, nothing_found(seen)))
        }
    });
    let office = Office::new();
    let source = office.add_hostile(&h, |_| {});
    let c = office.check_amina(source.id);
    assert_eq!(c.state, CheckState::Completed, "{:?}", c.error_message);
    assert_eq!(c.result, Some(MatchResult::NoMatch));
    let paths: Vec<String> = h.seen.lock().unwrap().iter().map(|s| s.path.clone()).collect();
    assert!(paths.contains(&"/v2/registry/sync/search".to_string()), "{paths:?}");
}

#[test]
fn a_registry_that_does_not_speak_tls_fails_with_the_reason_not_as_offline() {
    let rt = SandboxRuntime::new();
    let h = hostile::start(&rt.0, |seen: &Seen| {
        Answer::signed(seen, search_message(seen, nothing_found(seen)))
    });
    let office = Office::new();
    // https:// to a server that answers in plain HTTP: the handshake fails.
    let source = office.add_hostile(&h, |s| s.base_url = format!("https://{}", h.addr));
    let c = office.check_amina(source.id);
    assert_failed(&c, "tls", "did not answer in TLS");
    assert!(
        c.error_message
            .as_deref()
            .unwrap_or_default()
            .starts_with("no secure connection"),
        "{:?}",
        c.error_message
    );
}

/// A source whose OAuth2 token endpoint is the hostile server's.
fn with_token_endpoint(token: impl Fn() -> Answer + Send + Sync + 'static) -> ibr_desk::domain::DuplicationCheck {
    let rt = SandboxRuntime::new();
    let h = hostile::start(&rt.0, move |seen: &Seen| {
        if seen.path == "/oauth2/client/token" {
            token()
        } else {
            Answer::signed(seen, search_message(seen, nothing_found(seen)))
        }
    });
    let office = Office::new();
    let token_url = format!("{}/oauth2/client/token", h.base_url());
    let source = office.add_hostile(&h, |s| {
        s.auth_url = Some(token_url);
        s.client_id = Some("office-7".into());
    });
    office
        .secrets
        .set(&source.secret_key(&office.store.installation_id().unwrap()), "s3cret")
        .unwrap();
    let c = office.check_amina(source.id);
    std::mem::forget(rt);
    c
}

#[test]
fn a_refused_token_fails_the_check_with_the_reason() {
    let c = with_token_endpoint(|| {
        Answer::json(
            401,
            json!({"error": "invalid_client", "error_description": "unknown client"}),
        )
    });
    assert_failed(&c, "auth", "refused client ID \"office-7\"");
    assert!(!c.error_message.unwrap_or_default().contains("s3cret"));
}

#[test]
fn a_token_reply_that_is_not_a_token_fails_the_check() {
    let c = with_token_endpoint(|| Answer::Raw {
        status: 200,
        headers: vec![("content-type", "text/html".into())],
        body: "<html>Welcome to the captive portal</html>".into(),
    });
    assert_failed(&c, "auth", "reply is not JSON");
    let c = with_token_endpoint(|| Answer::json(200, json!({"token_type": "bearer"})));
    assert_failed(&c, "auth", "no access_token");
}

#[test]
fn a_source_saved_with_plain_http_to_another_computer_is_not_used() {
    // A database from before unencrypted http needed a choice: the check
    // fails at once, naming the URL, instead of sending anything in clear.
    let office = Office::new();
    let mut new = ibr_desk::domain::NewDataSource::ibr("Old lab", "http://ibr.lab.example");
    new.insecure_http = true;
    let source = office.store.insert_data_source(&new).unwrap();
    let db = rusqlite::Connection::open(office.dir.path().join("ibr-desk.sqlite3")).unwrap();
    db.execute("UPDATE data_sources SET insecure_http = 0 WHERE id = ?1", [source.id])
        .unwrap();
    let c = office.check_amina(source.id);
    assert_failed(&c, "config", "http://ibr.lab.example");
    assert!(c.error_message.unwrap_or_default().contains("unencrypted"));
}

#[test]
fn every_check_through_an_unencrypted_source_says_so() {
    let rt = SandboxRuntime::new();
    let h = hostile::start(&rt.0, |seen: &Seen| {
        Answer::signed(seen, search_message(seen, nothing_found(seen)))
    });
    let office = Office::new();
    // 0.0.0.0 is not a loopback address, so plain http to it counts as
    // crossing a network; Linux delivers a connection to it to this computer,
    // where the hostile registry listens.
    let source = office.add_hostile(&h, |s| {
        s.base_url = format!("http://0.0.0.0:{}", h.addr.port());
        s.insecure_http = true;
    });
    let c = office.check_amina(source.id);
    assert_eq!(c.result, Some(MatchResult::NoMatch), "{:?}", c.error_message);
    assert!(
        c.explanation.unwrap_or_default().contains("Sent without encryption"),
        "the result says it travelled in clear"
    );
}
