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

/// Puts every queued check's next attempt an hour ahead, as a long outage's
/// back-off would (the engine's own back-off is seconds at most, too short
/// to tell "runs now" from "ran when its time came").
fn back_off_for_an_hour(dir: &std::path::Path) {
    let db = rusqlite::Connection::open(dir.join("ibr-desk.sqlite3")).unwrap();
    let later = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let n = db
        .execute(
            "UPDATE duplication_checks SET next_attempt_at = ?1 WHERE state = 'ready'",
            [later],
        )
        .unwrap();
    assert_eq!(n, 1);
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
    let check_id = json(&o)["id"].as_i64().unwrap();
    assert_eq!(json(&o)["state"], "ready");

    // Still down: the summary names the check, its data source and why.
    back_off_for_an_hour(dir.path());
    let o = run(dir.path(), &["queue", "run", "--json"]);
    assert_eq!(o.status.code(), Some(3), "still unreachable: {}", text(&o));
    let v = json(&o);
    assert_eq!(v["still_queued"], 1, "{v:#}");
    assert_eq!(v["made_due_now"], 1, "the backed-off check was tried at once: {v:#}");
    let waiting = &v["not_answered"][0];
    assert_eq!(waiting["check_id"], check_id, "{v:#}");
    assert_eq!(waiting["data_source"], "Sandbox");
    assert_eq!(waiting["error_kind"], "unreachable", "{v:#}");
    assert!(!waiting["error"].as_str().unwrap().is_empty(), "{v:#}");
    let o = run(dir.path(), &["queue", "run"]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let said = text(&o);
    assert!(
        said.contains(&format!("check {check_id} (Sandbox)")) && said.contains("stay queued"),
        "{said}"
    );

    // Back, with the check's next attempt an hour away: `queue run` runs it now.
    back_off_for_an_hour(dir.path());
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
    let o = run(dir.path(), &["queue", "run", "--json"]);
    let v = json(&o);
    assert_eq!(o.status.code(), Some(0), "{v:#}");
    assert_eq!(
        (v["completed"].as_u64(), v["still_queued"].as_u64()),
        (Some(1), Some(0)),
        "{v:#}"
    );
    assert_eq!(v["not_answered"], serde_json::json!([]));
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

/// `history --from D --to D` means the local day D: a check is found under
/// its date in the computer's zone, in a zone 14 hours ahead of UTC and one
/// 12 hours behind (at any moment, one of them is on another date than UTC).
#[test]
fn history_dates_are_local_days() {
    let rt = SandboxRuntime::new();
    let (h, dir) = setup(&rt, FaultConfig::default());
    let s = h.population().samples();
    let args = [
        "check",
        "--source",
        "Sandbox",
        "--id-type",
        "UIN",
        "--id-value",
        &s.not_enrolled[0].value,
    ];
    let o = run(dir.path(), &[&args[..], &["--json"]].concat());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let made: chrono::DateTime<chrono::Utc> = json(&o)["check_date"].as_str().unwrap().parse().unwrap();
    for zone in ["Pacific/Kiritimati", "Etc/GMT+12"] {
        let tz: chrono_tz::Tz = zone.parse().unwrap();
        let day = made.with_timezone(&tz).date_naive();
        let history = |from: chrono::NaiveDate, to: chrono::NaiveDate| {
            let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_ibr-desk"));
            c.arg("--data-dir")
                .arg(dir.path())
                .env("IBR_DESK_SECRET_STORE", "memory")
                .env("TZ", zone);
            let (from, to) = (from.to_string(), to.to_string());
            json(
                &c.args(["history", "--from", &from, "--to", &to, "--json"])
                    .output()
                    .unwrap(),
            )["total"]
                .clone()
        };
        assert_eq!(history(day, day), 1, "made {made}, the day {day} in {zone}");
        let (before, after) = (day.pred_opt().unwrap(), day.succ_opt().unwrap());
        assert_eq!(history(before, before), 0, "{zone}");
        assert_eq!(history(after, after), 0, "{zone}");
    }
    rt.stop(h);
}

/// `ibr-desk --data-dir DIR ARGS…` run by the operating-system user `user`
/// (`None`: neither `$USER` nor `$USERNAME` set).
fn run_as(dir: &std::path::Path, user: Option<&str>, args: &[&str]) -> std::process::Output {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_ibr-desk"));
    c.arg("--data-dir")
        .arg(dir)
        .args(args)
        .env("IBR_DESK_SECRET_STORE", "memory")
        .env_remove("USERNAME");
    match user {
        Some(u) => c.env("USER", u),
        None => c.env_remove("USER"),
    };
    c.output().expect("the binary runs")
}

/// A PEM public key file of a registry nobody runs.
fn other_registry_pem(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("other.pem");
    let key = ibr_desk::dci::PrivateKey::generate_ed25519().unwrap().public_key();
    std::fs::write(&path, key.to_pem()).unwrap();
    path
}

fn check_unknown(d: &std::path::Path, source: &str) -> std::process::Output {
    run(
        d,
        &[
            "check",
            "--source",
            source,
            "--id-type",
            "UIN",
            "--id-value",
            "0000000007",
            "--json",
        ],
    )
}

#[test]
fn a_sender_is_trusted_only_for_the_sources_it_is_linked_to() {
    let rt = SandboxRuntime::new();
    let (h, dir) = setup(&rt, FaultConfig::default());
    let d = dir.path();
    let pem = other_registry_pem(d);
    let pem = pem.to_str().unwrap();

    // A sender must name the data sources it signs for.
    let o = run(
        d,
        &[
            "sender",
            "add",
            "--name",
            "Other",
            "--sender-id",
            "ibr.other.example.org",
            "--public-key-file",
            pem,
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("--source NAME"), "{}", text(&o));
    let o = run(
        d,
        &[
            "sender",
            "add",
            "--name",
            "Other",
            "--sender-id",
            "ibr.other.example.org",
            "--public-key-file",
            pem,
            "--source",
            "Nowhere",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("no data source named \"Nowhere\""), "{}", text(&o));
    assert!(
        json(&run(d, &["sender", "list", "--json"])).as_array().unwrap().len() == 1,
        "nothing added"
    );

    // A second data source on the same registry trusts no one yet.
    let o = run(d, &["source", "add", "--name", "Second", "--base-url", &h.base_url()]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("No sender is trusted for it yet"), "{}", text(&o));
    let o = run(
        d,
        &[
            "sender",
            "add",
            "--name",
            "Other",
            "--sender-id",
            "ibr.other.example.org",
            "--public-key-file",
            pem,
            "--source",
            "Second",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let o = check_unknown(d, "Second");
    assert_eq!(
        o.status.code(),
        Some(1),
        "signed by a sender not trusted for Second: {}",
        text(&o)
    );
    let why = json(&o)["error_message"].as_str().unwrap_or_default().to_string();
    assert!(why.contains("no trusted key for sender"), "{why}");
    assert_eq!(json(&check_unknown(d, "Sandbox"))["result"], "no_match");

    // Linked, the sandbox's signature counts for Second too; unlinked, no more.
    let o = run(d, &["sender", "link", "Sandbox IBR", "--source", "Second"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(json(&check_unknown(d, "Second"))["result"], "no_match");
    let sources = json(&run(d, &["source", "list", "--json"]));
    let second = sources
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "Second")
        .unwrap();
    assert_eq!(
        second["trusted_senders"],
        serde_json::json!(["ibr.other.example.org", h.sender_id()])
    );
    let o = run(d, &["sender", "unlink", "Sandbox IBR", "--source", "Second"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(check_unknown(d, "Second").status.code(), Some(1));
    let o = run(d, &["sender", "unlink", "Other", "--source", "Second"]);
    assert!(text(&o).contains("linked to no data source"), "{}", text(&o));
    let senders = json(&run(d, &["sender", "list", "--json"]));
    let other = senders
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["sender"]["name"] == "Other")
        .unwrap();
    assert_eq!(other["data_sources"], serde_json::json!([]));
    let o = run(d, &["sender", "remove", "Other"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(
        json(&run(d, &["sender", "list", "--json"])).as_array().unwrap().len(),
        1
    );
    rt.stop(h);
}

#[test]
fn every_trust_change_names_the_os_user_in_the_audit_log() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let pem = other_registry_pem(d);
    let o = run_as(
        d,
        Some("olga"),
        &[
            "source",
            "add",
            "--name",
            "National",
            "--base-url",
            "https://ibr.example.org",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let o = run_as(
        d,
        Some("olga"),
        &[
            "sender",
            "add",
            "--name",
            "National IBR",
            "--sender-id",
            "ibr.national.example.org",
            "--public-key-file",
            pem.to_str().unwrap(),
            "--source",
            "National",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let o = run_as(d, None, &["sender", "unlink", "National IBR", "--source", "National"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = run_as(d, Some("olga"), &["source", "remove", "National"]);
    assert!(o.status.success(), "{}", text(&o));

    let store = ibr_desk::store::Store::open(&d.join("ibr-desk.sqlite3")).unwrap();
    let log = store.audit_page(0, 50).unwrap();
    let actor_of = |action: &str| {
        log.iter()
            .find(|a| a.action == action)
            .unwrap_or_else(|| panic!("no {action} in {log:#?}"))
            .actor
            .clone()
    };
    assert_eq!(actor_of("source_added"), "olga (command line)");
    assert_eq!(actor_of("sender_added"), "olga (command line)");
    assert_eq!(actor_of("source_removed"), "olga (command line)");
    let added = log.iter().find(|a| a.action == "sender_added").unwrap();
    assert!(
        added.details.contains("\"data_sources\":[\"National\"]"),
        "{}",
        added.details
    );
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::MetadataExt as _;
        let uid = std::fs::metadata("/proc/self").unwrap().uid();
        assert_eq!(actor_of("sender_unlinked"), format!("uid {uid} (command line)"));
    }
}

#[test]
fn unencrypted_http_only_by_choice_and_reply_limits_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = run(
        d,
        &[
            "source",
            "add",
            "--name",
            "Lab",
            "--base-url",
            "http://ibr.lab.example.org",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("travel unencrypted") && text(&o).contains("--insecure-http"),
        "{}",
        text(&o)
    );
    let o = run(
        d,
        &[
            "source",
            "add",
            "--name",
            "Lab",
            "--base-url",
            "http://ibr.lab.example.org",
            "--insecure-http",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("unencrypted http://"), "{}", text(&o));
    let o = run(
        d,
        &["source", "add", "--name", "Here", "--base-url", "http://127.0.0.1:9"],
    );
    assert!(o.status.success(), "loopback http needs no flag: {}", text(&o));
    let list = text(&run(d, &["source", "list"]));
    let lab = list.lines().find(|l| l.starts_with("Lab")).unwrap();
    assert!(lab.contains("unencrypted"), "{list}");
    let here = list.lines().find(|l| l.starts_with("Here")).unwrap();
    assert!(!here.contains("unencrypted"), "{list}");

    let o = run(
        d,
        &[
            "source",
            "add",
            "--name",
            "Bounded",
            "--base-url",
            "https://ibr.example.org",
            "--max-reply-mib",
            "2",
            "--max-records-per-check",
            "40",
            "--max-signature-lifetime-mins",
            "10",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let sources = json(&run(d, &["source", "list", "--json"]));
    let bounded = sources
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "Bounded")
        .unwrap();
    assert_eq!(
        bounded["limits"],
        serde_json::json!({ "max_reply_bytes": 2 * 1024 * 1024, "max_records_per_check": 40,
                            "max_signature_lifetime_secs": 600 })
    );
    let o = run(
        d,
        &[
            "source",
            "add",
            "--name",
            "Unbounded",
            "--base-url",
            "https://ibr.example.org",
            "--max-records-per-check",
            "0",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("records fetched per check must be between 1 and 100,000"),
        "{}",
        text(&o)
    );

    // A sender's JWKS URL likewise.
    let add_sender = |extra: &[&str]| {
        let mut args = vec![
            "sender",
            "add",
            "--name",
            "Lab IBR",
            "--sender-id",
            "ibr.lab.example.org",
            "--jwks-url",
            "http://ibr.lab.example.org/.well-known/jwks.json",
            "--source",
            "Lab",
        ];
        args.extend_from_slice(extra);
        run(d, &args)
    };
    let o = add_sender(&[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("--insecure-http"), "{}", text(&o));
    let o = add_sender(&["--insecure-http"]);
    assert!(o.status.success(), "{}", text(&o));
    let senders = json(&run(d, &["sender", "list", "--json"]));
    assert_eq!(senders[0]["sender"]["insecure_http"], true);
}

/// Starts `ibr-desk sandbox` on a free port and returns it with the JWKS it publishes.
fn serve_sandbox(args: &[&str]) -> (std::process::Child, String, String) {
    use std::io::BufRead as _;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ibr-desk"))
        .args(["sandbox", "--port", "0", "--population", "300"])
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the sandbox starts");
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut jwks_url, mut printed) = (None, String::new());
    for line in lines.by_ref() {
        let line = line.unwrap();
        printed.push_str(&line);
        printed.push('\n');
        if let Some(url) = line.trim().strip_prefix("JWKS") {
            jwks_url = Some(url.trim().to_string());
        }
        if line.starts_with("Press Ctrl+C") {
            break;
        }
    }
    let url = jwks_url.unwrap_or_else(|| panic!("no JWKS URL in {printed}"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let jwks = rt
        .block_on(async { reqwest::get(&url).await?.text().await })
        .expect("the JWKS");
    (child, jwks, printed)
}

fn stop(mut child: std::process::Child) {
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn the_sandbox_keeps_its_key_only_in_a_key_file() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("sandbox-key.pem");
    let key_arg = key.to_str().unwrap();
    let (first, jwks_1, printed) = serve_sandbox(&["--key-file", key_arg]);
    stop(first);
    assert!(printed.contains("new, kept in"), "{printed}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let (again, jwks_2, printed) = serve_sandbox(&["--key-file", key_arg]);
    stop(again);
    assert!(printed.contains(&format!("from {key_arg}")), "{printed}");
    assert_eq!(jwks_1, jwks_2, "a restarted sandbox keeps its identity");

    // Without a key file, every run has its own key, whatever the seed.
    let (a, jwks_a, _) = serve_sandbox(&[]);
    stop(a);
    let (b, jwks_b, _) = serve_sandbox(&[]);
    stop(b);
    assert_ne!(jwks_a, jwks_b);
    assert_ne!(jwks_a, jwks_1);
}
