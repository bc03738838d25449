//! The `ibr-desk` binary run as a user runs it: key generation, signing and
//! verification (including every signature vector), search and samples.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn ibr_desk(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ibr-desk"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_string_lossy().into_owned()
}

#[test]
fn version_and_help() {
    let v = ibr_desk(&["--version"]);
    assert!(v.status.success());
    assert!(stdout(&v).starts_with("ibr-desk "));
    assert!(stdout(&ibr_desk(&["--help"])).contains("sandbox"));
}

#[test]
fn keygen_sign_verify_and_tamper() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let out = ibr_desk(&[
        "dci",
        "keygen",
        "--sender-id",
        "office.example",
        "--key-id",
        "k1",
        "--out",
        d,
    ]);
    assert!(out.status.success(), "{out:?}");
    assert!(stdout(&out).contains("office.example|k1|ed25519"));
    let private = dir.path().join("k1.private.pem");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(std::fs::metadata(&private).unwrap().permissions().mode() & 0o777, 0o600);
    }
    // A second keygen never overwrites the key.
    let again = ibr_desk(&[
        "dci",
        "keygen",
        "--sender-id",
        "office.example",
        "--key-id",
        "k1",
        "--out",
        d,
    ]);
    assert!(!again.status.success());

    let msg = write(
        dir.path(),
        "msg.json",
        r#"{"header":{"sender_id":"office.example","message_id":"m1"},"message":{"name":"Zoé"}}"#,
    );
    let signed = ibr_desk(&[
        "dci",
        "sign",
        "--private-key",
        private.to_str().unwrap(),
        "--sender-id",
        "office.example",
        "--key-id",
        "k1",
        &msg,
    ]);
    assert!(signed.status.success(), "{signed:?}");
    let envelope = write(dir.path(), "signed.json", &stdout(&signed));
    let jwks = dir.path().join("k1.jwks.json");
    let ok = ibr_desk(&["dci", "verify", "--jwks", jwks.to_str().unwrap(), &envelope]);
    assert!(ok.status.success(), "{}", stdout(&ok));
    assert!(stdout(&ok).starts_with("valid: signed by office.example"));

    let public = ibr_desk(&[
        "dci",
        "jwks",
        "--private-key",
        private.to_str().unwrap(),
        "--sender-id",
        "office.example",
        "--key-id",
        "k1",
    ]);
    assert_eq!(
        serde_json::from_str::<Value>(&stdout(&public)).unwrap(),
        serde_json::from_str::<Value>(&std::fs::read_to_string(&jwks).unwrap()).unwrap()
    );

    let tampered = write(dir.path(), "tampered.json", &stdout(&signed).replace("Zo\u{e9}", "Zoe"));
    let bad = ibr_desk(&["dci", "verify", "--jwks", jwks.to_str().unwrap(), &tampered]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        stdout(&bad).contains("invalid: signature does not verify"),
        "{}",
        stdout(&bad)
    );
}

#[test]
fn verify_gives_the_vectors_their_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let cases: Value = serde_json::from_str(include_str!("fixtures/vectors/cases.json")).unwrap();
    let jwks = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/vectors/jwks.json");
    let pem = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/vectors/sender_ed25519.pem");
    for c in cases["cases"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let file = write(dir.path(), &format!("{name}.json"), c["envelope"].as_str().unwrap());
        let now = c["now"].to_string();
        let o = ibr_desk(&["dci", "verify", "--jwks", jwks, "--now", &now, &file]);
        let want = if c["expect"] == "valid" { 0 } else { 1 };
        assert_eq!(o.status.code(), Some(want), "{name}: {}", stdout(&o));
        if name.starts_with("ed25519") {
            let o = ibr_desk(&["dci", "verify", "--public-key", pem, "--now", &now, &file]);
            assert_eq!(o.status.code(), Some(want), "{name} with PEM: {}", stdout(&o));
        }
    }
}

#[test]
fn samples_print_every_kind() {
    let o = ibr_desk(&["sandbox", "samples", "--population", "3000", "--json"]);
    assert!(o.status.success());
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    for kind in [
        "active_single",
        "active_multi",
        "graduated",
        "suspended",
        "deceased",
        "two_identifiers",
        "brn_only",
        "near_twins",
        "not_enrolled",
    ] {
        assert!(!v[kind].as_array().unwrap().is_empty(), "{kind}");
    }
}

#[test]
fn bad_usage_is_refused_with_exit_2() {
    let o = ibr_desk(&[
        "search",
        "--base-url",
        "http://127.0.0.1:1",
        "--id-type",
        "PASSPORT",
        "--id-value",
        "1",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("UIN, BRN, MRN or DRN"));
}

#[test]
fn search_prints_the_parsed_result() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let h = rt.block_on(common::start_sandbox());
    let uin = h.population().samples().active_single[0].value.clone();
    let base = h.base_url();
    let run = |extra: &[&str]| {
        let mut args = vec![
            "search",
            "--base-url",
            &base,
            "--client-id",
            ibr_desk::sandbox::DEMO_CLIENT_ID,
            "--id-type",
            "UIN",
            "--id-value",
            &uin,
        ];
        args.extend_from_slice(extra);
        Command::new(env!("CARGO_BIN_EXE_ibr-desk"))
            .args(&args)
            .env("IBR_DESK_CLIENT_SECRET", ibr_desk::sandbox::DEMO_CLIENT_SECRET)
            .output()
            .unwrap()
    };
    let text = run(&[]);
    assert!(text.status.success(), "{text:?}");
    let out = stdout(&text);
    assert!(out.contains("verified"), "{out}");
    assert!(out.contains(&format!("UIN {uin}")), "{out}");
    let json = run(&["--json"]);
    let v: Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(v["signature_verified"], true);
    assert_eq!(v["items"][0]["records"].as_array().unwrap().len(), 1);

    let unreachable = Command::new(env!("CARGO_BIN_EXE_ibr-desk"))
        .args([
            "search",
            "--base-url",
            "http://127.0.0.1:9",
            "--jwks",
            concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/vectors/jwks.json"),
            "--id-type",
            "UIN",
            "--id-value",
            "1",
        ])
        .output()
        .unwrap();
    assert_eq!(unreachable.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&unreachable.stderr).contains("could not be reached"),
        "{unreachable:?}"
    );
    rt.block_on(h.shutdown());
}
