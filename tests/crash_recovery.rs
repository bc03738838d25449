//! The process running a 5,000-check batch is killed (SIGKILL) half-way;
//! after a restart every check ends exactly once: none lost, none recorded
//! twice.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use ibr_desk::domain::{Algorithm, CheckState, IdType, NewCheck, NewDataSource, NewIbrSender, SearchReason};
use ibr_desk::ibr::plan;
use ibr_desk::sandbox::SandboxConfig;
use ibr_desk::sandbox::faults::FaultConfig;
use ibr_desk::store::Store;

const CHECKS: usize = 5_000;

fn queue_run(dir: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ibr-desk"));
    c.args(["--data-dir", dir.to_str().unwrap(), "queue", "run", "--json"])
        .env("IBR_DESK_SECRET_STORE", "memory")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

#[test]
fn a_killed_run_loses_nothing_and_records_nothing_twice() {
    let rt = SandboxRuntime::new();
    // A little latency so that the kill lands while batches are under way.
    let h = rt.start(SandboxConfig {
        require_token: false,
        faults: FaultConfig {
            latency_ms: 40,
            ..Default::default()
        },
        ..SandboxConfig::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("ibr-desk.sqlite3")).unwrap();
    let source = store
        .insert_data_source(&NewDataSource::ibr("Sandbox", &h.base_url()))
        .unwrap();
    store
        .insert_sender(
            &NewIbrSender {
                name: "Sandbox".into(),
                sender_id: h.sender_id().into(),
                public_key_pem: Some(ibr_desk::dci::PublicKey::from_jwk(&h.jwks().keys[0]).unwrap().to_pem()),
                jwks_url: None,
                algorithm: Algorithm::Ed25519,
                active: true,
                insecure_http: false,
            },
            &[source.id],
            "test",
        )
        .unwrap();
    let people: Vec<_> = h
        .population()
        .people()
        .iter()
        .filter(|p| p.uin.is_some())
        .cycle()
        .take(CHECKS)
        .cloned()
        .collect();
    assert_eq!(people.len(), CHECKS);
    let mut new_checks = Vec::new();
    for p in &people {
        let r = store
            .insert_registrant(&applicant(
                &p.given_name,
                &p.surname,
                Some(p.birth_date),
                &[(IdType::Uin, p.uin.as_deref().unwrap())],
            ))
            .unwrap();
        new_checks.push(NewCheck {
            registrant_id: r.id,
            applicant: plan::snapshot(&r),
            identifier_type: IdType::Uin,
            identifier_value: p.uin.clone().unwrap(),
            data_source_id: source.id,
            search_reason: SearchReason::Application,
            queries: plan::queries_for(&r),
        });
    }
    let ids = store.insert_checks(&new_checks, "test").unwrap();
    assert_eq!(ids.len(), CHECKS);

    // First run: killed once some checks are done and others are under way.
    let mut child = queue_run(dir.path()).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let done = store
            .history_count(&ibr_desk::domain::CheckFilter {
                state: Some(CheckState::Completed),
                ..Default::default()
            })
            .unwrap();
        let running = store.queue_counts().unwrap().checking;
        if done >= 500 && running > 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the first run made no progress ({done} done)"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the first run ended before it could be killed"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL on unix: no clean-up runs
    child.wait().unwrap();
    let after_kill = store.queue_counts().unwrap();
    let done_at_kill = store
        .history_count(&ibr_desk::domain::CheckFilter {
            state: Some(CheckState::Completed),
            ..Default::default()
        })
        .unwrap();
    assert!(
        after_kill.checking > 0,
        "some checks were under way when the process died"
    );
    assert!((done_at_kill as usize) < CHECKS, "the kill came before the end");

    // Second run: picks up the interrupted checks and finishes.
    let out = queue_run(dir.path()).output().unwrap();
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    let counts = store.queue_counts().unwrap();
    assert_eq!((counts.ready, counts.checking), (0, 0));
    for id in &ids {
        let c = store.check(*id).unwrap().unwrap();
        assert_eq!(c.state, CheckState::Completed, "{c:#?}");
        let audit = store.audit_for_check(*id).unwrap();
        let completions = audit.iter().filter(|a| a.action == "check_completed").count();
        assert_eq!(completions, 1, "check {id} recorded {completions} times: {audit:#?}");
        let candidates = store.candidates(*id).unwrap();
        let ranks: Vec<u32> = candidates.iter().map(|c| c.rank).collect();
        let expected: Vec<u32> = (1..=candidates.len() as u32).collect();
        assert_eq!(ranks, expected, "check {id} has candidates written twice");
        assert!(!candidates.is_empty(), "each applicant is a person of the registry");
    }
    rt.stop(h);
}
