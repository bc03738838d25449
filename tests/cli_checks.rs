//! The data commands as a person runs them: configure a source and a
//! sender, check applicants (exit 0 completed, 1 failed, 3 queued), run the
//! queue, read the history, export.

mod common;

use common::cli::{json, run, text};
use common::*;
use ibr_desk::domain::IdType;
use ibr_desk::sandbox::SandboxConfig;
use ibr_desk::sandbox::faults::FaultConfig;
use serde_json::Value;

/// A sandbox without OAuth2 (a secret would not survive between processes
/// with the in-memory secret store) and a data directory configured for it.
fn setup(rt: &SandboxRuntime, faults: FaultConfig) -> (ibr_desk::sandbox::SandboxHandle, tempfile::TempDir) {
    setup_with_key(rt, faults, None)
}

/// [`setup`] with the sandbox's signing key (a restarted sandbox given the
/// same key keeps its identity).
fn setup_with_key(
    rt: &SandboxRuntime,
    faults: FaultConfig,
    signing_key: Option<ibr_desk::dci::PrivateKey>,
) -> (ibr_desk::sandbox::SandboxHandle, tempfile::TempDir) {
    let h = rt.start(SandboxConfig {
        require_token: false,
        faults,
        signing_key,
        ..SandboxConfig::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = run(d, &["source", "add", "--name", "Sandbox", "--base-url", &h.base_url()]);
    assert!(o.status.success(), "{}", text(&o));
    let o = run(
        d,
        &[
            "sender",
            "add",
            "--name",
            "Sandbox IBR",
            "--sender-id",
            h.sender_id(),
            "--jwks-url",
            &h.jwks_url(),
            "--source",
            "Sandbox",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let o = run(d, &["sender", "fetch-key", "Sandbox IBR"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("Stored 1 key(s)"), "{}", text(&o));
    (h, dir)
}

#[test]
fn check_prints_the_seed_fields_and_exits_0() {
    let rt = SandboxRuntime::new();
    let (h, dir) = setup(&rt, FaultConfig::default());
    let s = h.population().samples();
    let p = h
        .population()
        .get(
            h.population()
                .find_by_identifier(&IdType::Uin, &s.active_multi[0].value)[0],
        )
        .unwrap()
        .clone();
    let birth = p.birth_date.to_string();
    let o = run(
        dir.path(),
        &[
            "check",
            "--source",
            "Sandbox",
            "--id-type",
            "UIN",
            "--id-value",
            p.uin.as_deref().unwrap(),
            "--given-name",
            &p.given_name,
            "--surname",
            &p.surname,
            "--birth-date",
            &birth,
            "--reason",
            "recertification",
            "--json",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v = json(&o);
    for key in [
        "id",
        "state",
        "result",
        "matched_programs",
        "explanation",
        "error_message",
        "identifier_type",
        "identifier_value",
        "data_source",
        "check_date",
    ] {
        assert!(v.get(key).is_some(), "missing {key}: {v:#}");
    }
    assert_eq!(v["state"], "completed");
    assert_eq!(v["result"], "confirmed_match");
    assert!(v["matched_programs"].as_array().unwrap().len() >= 2);
    assert_eq!(v["identifier_type"], "UIN");
    assert_eq!(v["data_source"], "Sandbox");
    assert_eq!(v["search_reason"], "recertification");

    // Not in the registry: no match, exit 0 too.
    let o = run(
        dir.path(),
        &[
            "check",
            "--source",
            "Sandbox",
            "--id-type",
            "UIN",
            "--id-value",
            &s.not_enrolled[0].value,
            "--json",
        ],
    );
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(json(&o)["result"], "no_match");

    // History and its filters.
    let all = json(&run(dir.path(), &["history", "--json"]));
    assert_eq!(all["total"], 2);
    let confirmed = json(&run(dir.path(), &["history", "--result", "confirmed_match", "--json"]));
    assert_eq!(confirmed["total"], 1);
    let by_name = json(&run(
        dir.path(),
        &["history", "--search", &p.surname.to_uppercase(), "--json"],
    ));
    assert_eq!(by_name["total"], 1);
    let human = run(dir.path(), &["history"]);
    assert!(
        text(&human).contains("Confirmed match") && text(&human).contains("No match"),
        "{}",
        text(&human)
    );

    // Export: masked by default, in full on request.
    let csv = dir.path().join("out.csv");
    let o = run(dir.path(), &["export", csv.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let masked = std::fs::read_to_string(&csv).unwrap();
    assert!(!masked.contains(p.uin.as_deref().unwrap()));
    assert!(masked.contains("confirmed_match"));
    run(dir.path(), &["export", csv.to_str().unwrap(), "--reveal-identifiers"]);
    assert!(
        std::fs::read_to_string(&csv)
            .unwrap()
            .contains(p.uin.as_deref().unwrap())
    );
    rt.stop(h);
}

#[test]
fn a_rejected_check_exits_1_with_the_reason() {
    let rt = SandboxRuntime::new();
    let (h, dir) = setup(
        &rt,
        FaultConfig {
            rjct_rate: 1.0,
            ..Default::default()
        },
    );
    let o = run(
        dir.path(),
        &[
            "check",
            "--source",
            "Sandbox",
            "--id-type",
            "UIN",
            "--id-value",
            "1234567890",
            "--json",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let v = json(&o);
    assert_eq!(v["state"], "failed");
    assert_eq!(v["result"], Value::Null);
    assert!(
        v["error_message"]
            .as_str()
            .unwrap()
            .contains("rjct.search_criteria.invalid")
    );
    rt.stop(h);
}

#[test]
fn an_imported_roster_runs_with_queue_run_and_exports_masked() {
    let rt = SandboxRuntime::new();
    let (h, dir) = setup(&rt, FaultConfig::default());
    let d = dir.path();
    let samples = h.population().samples().clone();
    let enrolled = &samples.active_multi[0].value;
    let (unknown_1, unknown_2) = (&samples.not_enrolled[0].value, &samples.not_enrolled[1].value);
    let roster = d.join("roster.csv");
    std::fs::write(
        &roster,
        format!("id_type,id_value\nUIN,{enrolled}\nUIN,{unknown_1}\nUIN,{unknown_2}\n"),
    )
    .unwrap();
    let s = json(&run(d, &["import", roster.to_str().unwrap(), "--json"]));
    assert_eq!((s["imported"].as_u64(), s["queued"].as_u64()), (Some(3), Some(3)));
    let h0 = json(&run(d, &["history", "--json"]));
    assert_eq!(
        (h0["total"].as_u64(), h0["roster_checks_waiting"].as_u64()),
        (Some(0), Some(3))
    );

    let o = run(d, &["queue", "run", "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v = json(&o);
    assert_eq!(
        (v["queued_before"].as_u64(), v["completed"].as_u64()),
        (Some(3), Some(3)),
        "{v:#}"
    );
    assert_eq!(v["results"]["no_match"], 2, "{v:#}");
    let h1 = json(&run(d, &["history", "--json"]));
    assert_eq!(
        (h1["total"].as_u64(), h1["roster_checks_waiting"].as_u64()),
        (Some(3), Some(0))
    );

    let out = d.join("history.csv");
    let o = run(d, &["export", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let mut reader = csv::Reader::from_path(&out).unwrap();
    let headers = reader.headers().unwrap().clone();
    let at = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (value, roster_id, result) = (at("identifier_value"), at("roster_id"), at("result"));
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3);
    for r in &rows {
        assert!(r[value].starts_with('*'), "masked: {r:?}");
        assert_eq!(&r[roster_id], "1", "every check came from the roster: {r:?}");
    }
    let no_match = rows.iter().filter(|r| &r[result] == "no_match").count();
    assert_eq!(no_match, 2, "the enrolled person is found: {rows:?}");
    assert!(!std::fs::read_to_string(&out).unwrap().contains(unknown_1.as_str()));
    rt.stop(h);
}

#[test]
fn an_unreachable_registry_exits_3_and_queue_run_finishes_later() {
    let rt = SandboxRuntime::new();
    // The registry comes back with the same key, so the same identity.
    let key = ibr_desk::dci::PrivateKey::generate_ed25519().unwrap();
    let (h, dir) = setup_with_key(&rt, FaultConfig::default(), Some(key.clone()));
    let addr = h.addr();
    let population = h.population().clone();
    let uin = population.samples().active_single[0].value.clone();
    rt.stop(h);

    let o = run(
        dir.path(),
        &[
            "check",
            "--source",
            "Sandbox",
            "--id-type",
            "UIN",
            "--id-value",
            &uin,
            "--json",
        ],
    );
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert_eq!(json(&o)["state"], "ready");

    let o = run(dir.path(), &["queue", "run", "--json"]);
    assert_eq!(o.status.code(), Some(3), "still unreachable: {}", text(&o));
    assert_eq!(json(&o)["still_queued"], 1);

    let back =
        rt.0.block_on(ibr_desk::sandbox::start_with_population(
            SandboxConfig {
                bind: addr,
                require_token: false,
                signing_key: Some(key),
                ..SandboxConfig::default()
            },
            population,
        ))
        .unwrap();
    // The queued check waits for its next attempt time (seconds at most).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let o = run(dir.path(), &["queue", "run", "--json"]);
        let v = json(&o);
        if v["still_queued"] == 0 {
            assert_eq!(o.status.code(), Some(0));
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the queue never drained: {v:#}");
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    let done = json(&run(dir.path(), &["history", "--state", "completed", "--json"]));
    assert_eq!(done["total"], 1);
    rt.stop(back);
}

#[test]
fn configuration_commands() {
    let rt = SandboxRuntime::new();
    let (h, dir) = setup(&rt, FaultConfig::default());
    let d = dir.path();
    let sources = json(&run(d, &["source", "list", "--json"]));
    assert_eq!(sources[0]["name"], "Sandbox");
    let o = run(d, &["source", "test", "Sandbox"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("verified"), "{}", text(&o));
    let senders = json(&run(d, &["sender", "list", "--json"]));
    assert_eq!(senders[0]["keys"].as_array().unwrap().len(), 1);
    assert!(senders[0]["sender"]["key_fetched_at"].is_string());

    // Bad input gets a sentence, not a panic.
    let o = run(
        d,
        &[
            "sender",
            "add",
            "--name",
            "X",
            "--sender-id",
            "bad_id!",
            "--jwks-url",
            "http://x",
            "--source",
            "Sandbox",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("only letters, digits, dots and hyphens"),
        "{}",
        text(&o)
    );
    let o = run(
        d,
        &["source", "add", "--name", "Sandbox", "--base-url", "http://127.0.0.1:1"],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).to_lowercase().contains("already"), "{}", text(&o));
    let o = run(
        d,
        &["check", "--source", "Nowhere", "--id-type", "UIN", "--id-value", "1"],
    );
    assert!(
        text(&o).contains("no data source named \"Nowhere\" (there are: Sandbox)"),
        "{}",
        text(&o)
    );

    let o = run(
        d,
        &[
            "registrant",
            "add",
            "--id-type",
            "BRN",
            "--id-value",
            "B2019-0000001",
            "--given-name",
            "Zoé",
            "--surname",
            "Lefèvre",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let list = json(&run(d, &["registrant", "list", "--json"]));
    assert_eq!(list[0]["given_name"], "Zoé");

    let o = run(d, &["source", "remove", "Sandbox"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(
        json(&run(d, &["source", "list", "--json"])).as_array().unwrap().len(),
        0
    );
    rt.stop(h);
}
