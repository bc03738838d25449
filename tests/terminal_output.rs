//! What a registry (or a roster file) writes never reaches the terminal raw:
//! a hostile registry on loopback answers with `ESC [ 2 J` (clear the
//! screen), a carriage return and U+202E (right-to-left override) in names,
//! identifiers, reason messages, error bodies and its transaction ID, and
//! `search`, `check`, `history`, `queue run`, `dci verify` and `import`
//! print them as visible `\u{…}` escapes, never as the characters.

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::process::Output;

use axum::Json;
use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post};
use common::cli::{json, run, text};
use serde_json::{Value, json};

/// What a hostile registry puts in every text it sends.
const CLEAR_SCREEN: &str = "\u{1b}[2J";
const RIGHT_TO_LEFT: &str = "\u{202e}";
const HOSTILE: &str = "\u{1b}[2J\u{1b}]0;pwned\u{7}\r\u{202e}9876";

/// `out` (stdout and stderr) holds none of the characters a terminal acts on.
fn assert_nothing_raw(o: &Output, what: &str) {
    for (stream, bytes) in [("stdout", &o.stdout), ("stderr", &o.stderr)] {
        let s = String::from_utf8_lossy(bytes);
        let bad: Vec<char> = s
            .chars()
            .filter(|&c| {
                (c.is_control() && c != '\n')
                    || ('\u{202a}'..='\u{202e}').contains(&c)
                    || ('\u{2066}'..='\u{2069}').contains(&c)
            })
            .collect();
        assert!(bad.is_empty(), "{what}: {stream} holds {bad:?} raw:\n{s}");
    }
}

/// The reply's text was shown, escaped (not silently dropped).
fn assert_escaped(o: &Output, what: &str) {
    let t = text(o);
    assert!(t.contains("\\u{1b}[2J") && t.contains("\\u{202e}"), "{what}: {t}");
}

/// Answers every search item with `rjct`, a hostile reason, a hostile record
/// and a hostile transaction and correlation ID; refuses `busy/` with a 503
/// whose body is hostile; has no JWKS (a 404 with a hostile body). Unsigned.
async fn hostile_registry() -> SocketAddr {
    async fn search(Json(request): Json<Value>) -> Json<Value> {
        let refs: Vec<Value> = request["message"]["search_request"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .map(|i| i["reference_id"].clone())
            .collect();
        let items: Vec<Value> = refs
            .into_iter()
            .map(|r| {
                json!({
                    "reference_id": r,
                    "timestamp": "2026-01-01T00:00:00Z",
                    "status": "rjct",
                    "status_reason_code": format!("rjct.{HOSTILE}"),
                    "status_reason_message": format!("refused {HOSTILE}"),
                    "data": { "reg_records": [{
                        "name": { "given_name": format!("Eve{HOSTILE}"), "surname": HOSTILE },
                        "birth_date": "1990-01-01",
                        "identifier": [{ "identifier_type": "UIN", "identifier_value": HOSTILE }],
                    }]},
                })
            })
            .collect();
        Json(json!({
            "message": {
                "transaction_id": request["message"]["transaction_id"],
                "correlation_id": format!("corr{HOSTILE}"),
                "search_response": items,
            }
        }))
    }
    let app = Router::new()
        .route("/registry/sync/search", post(search))
        .route(
            "/busy/sync/search",
            post(|| async { (StatusCode::SERVICE_UNAVAILABLE, format!("busy {HOSTILE}")) }),
        )
        .route(
            "/.well-known/jwks.json",
            get(|| async { (StatusCode::NOT_FOUND, format!("no keys {HOSTILE}")) }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

fn registry(rt: &common::SandboxRuntime) -> String {
    format!("http://{}", rt.0.block_on(hostile_registry()))
}

fn add_source(dir: &Path, name: &str, base: &str, prefix: &str) {
    let o = run(
        dir,
        &[
            "source",
            "add",
            "--name",
            name,
            "--base-url",
            base,
            "--path-prefix",
            prefix,
            "--allow-unsigned",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
}

#[test]
fn search_prints_a_hostile_reply_escaped() {
    let rt = common::SandboxRuntime::new();
    let base = registry(&rt);
    let dir = tempfile::tempdir().unwrap();
    let o = run(
        dir.path(),
        &[
            "search",
            "--base-url",
            &base,
            "--id-type",
            "UIN",
            "--id-value",
            "1",
            "--allow-unsigned",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert_nothing_raw(&o, "search");
    assert_escaped(&o, "search");
    let t = text(&o);
    assert!(t.contains("refused \\u{1b}[2J") && t.contains("Eve\\u{1b}[2J"), "{t}");
    assert!(
        t.contains("no keys \\u{1b}[2J"),
        "the registry's 404 body, on stderr: {t}"
    );

    // `--json` is serde_json's: escaped as JSON, and the same text when read back.
    let o = run(
        dir.path(),
        &[
            "search",
            "--base-url",
            &base,
            "--id-type",
            "UIN",
            "--id-value",
            "1",
            "--allow-unsigned",
            "--json",
        ],
    );
    assert!(!o.stdout.contains(&0x1b), "{}", text(&o));
    assert_eq!(
        json(&o)["items"][0]["status_reason_message"],
        format!("refused {HOSTILE}")
    );
}

#[test]
fn a_stored_check_prints_escaped_in_check_history_and_queue_run() {
    let rt = common::SandboxRuntime::new();
    let base = registry(&rt);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    add_source(d, "Hostile", &base, "registry");
    // The applicant's name as a roster file or a careless paste could give it.
    let given = format!("Ann{CLEAR_SCREEN}");
    let surname = format!("{RIGHT_TO_LEFT}Lee");
    let o = run(
        d,
        &[
            "check",
            "--source",
            "Hostile",
            "--id-type",
            "UIN",
            "--id-value",
            "4455667788",
            "--given-name",
            &given,
            "--surname",
            &surname,
        ],
    );
    assert_eq!(o.status.code(), Some(1), "rejected: {}", text(&o));
    assert_nothing_raw(&o, "check");
    assert_escaped(&o, "check");
    assert!(text(&o).contains("Error: "), "{}", text(&o));

    let o = run(d, &["history"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_nothing_raw(&o, "history");
    assert!(text(&o).contains("Ann\\u{1b}[2J \\u{202e}Lee"), "{}", text(&o));

    // A registry that answers 503 with a hostile body: the check stays
    // queued, and `queue run` names it with that error, escaped.
    add_source(d, "Busy", &base, "busy");
    let o = run(
        d,
        &[
            "check",
            "--source",
            "Busy",
            "--id-type",
            "UIN",
            "--id-value",
            "1122334455",
            "--wait-secs",
            "1",
        ],
    );
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert_nothing_raw(&o, "check, queued");
    let o = run(d, &["queue", "run"]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert_nothing_raw(&o, "queue run");
    let t = text(&o);
    assert!(t.contains("(Busy)") && t.contains("busy \\u{1b}[2J"), "{t}");
}

#[test]
fn dci_verify_prints_a_hostile_envelope_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A sender whose ID is hostile, with a real key: its envelope verifies,
    // and `verify` names the sender and the key it was signed with.
    let sender = format!("sender{HOSTILE}");
    let o = run(
        d,
        &[
            "dci",
            "keygen",
            "--sender-id",
            &sender,
            "--key-id",
            "k1",
            "--out",
            d.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let message = d.join("message.json");
    std::fs::write(
        &message,
        json!({ "header": { "sender_id": sender, "message_id": "1" }, "message": { "note": HOSTILE } }).to_string(),
    )
    .unwrap();
    let private = d.join("k1.private.pem");
    let o = run(
        d,
        &[
            "dci",
            "sign",
            "--private-key",
            private.to_str().unwrap(),
            "--sender-id",
            &sender,
            "--key-id",
            "k1",
            "--trace",
            message.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert_nothing_raw(
        &Output {
            stdout: Vec::new(),
            ..o.clone()
        },
        "dci sign --trace",
    );
    let envelope = d.join("envelope.json");
    std::fs::write(&envelope, &o.stdout).unwrap();
    let jwks = d.join("k1.jwks.json");
    let o = run(
        d,
        &[
            "dci",
            "verify",
            "--jwks",
            jwks.to_str().unwrap(),
            "--trace",
            envelope.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_nothing_raw(&o, "dci verify");
    assert!(text(&o).contains("valid: signed by sender\\u{1b}[2J"), "{}", text(&o));
    assert_escaped(&o, "dci verify");
}

#[test]
fn import_prints_a_hostile_roster_escaped() {
    let rt = common::SandboxRuntime::new();
    let base = registry(&rt);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    add_source(d, "Hostile", &base, "registry");
    // A file name is text too (a USB stick's, a shared drive's).
    let roster = d.join(format!("may{CLEAR_SCREEN}{RIGHT_TO_LEFT}.csv"));
    std::fs::write(
        &roster,
        format!("given_name,surname,id_type,id_value,note{CLEAR_SCREEN}\nAnn,Lee,UIN,123,x\nBob,Ray,{RIGHT_TO_LEFT}NID,456,y\n"),
    )
    .unwrap();
    let o = run(d, &["import", roster.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    assert_nothing_raw(&o, "import");
    assert!(text(&o).contains("1 row(s) rejected"), "{}", text(&o));
    assert_escaped(&o, "import");
}
