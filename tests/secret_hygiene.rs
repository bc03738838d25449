//! The client secret never reaches SQLite, logs, exports or error
//! messages: after a full run (configure, check, test the connection, fail
//! with a wrong secret, export), the database files, the log and the export
//! are searched for it byte by byte.

mod common;

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use common::*;
use ibr_desk::domain::{CheckState, IdType};
use ibr_desk::sandbox::SandboxConfig;
use ibr_desk::secrets::SecretStore as _;

const SECRET: &str = "Tr0ub4dor-secret-7f3a9c-never-on-disk";

/// A log writer that keeps every line in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

fn assert_absent_in_dir(dir: &Path) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_file() {
            let bytes = std::fs::read(&p).unwrap();
            assert!(!contains(&bytes, SECRET), "the secret is in {}", p.display());
        }
    }
}

#[test]
fn the_secret_is_nowhere_after_a_full_run() {
    let log = Captured::default();
    let writer = log.clone();
    let _ = tracing_subscriber::fmt()
        .with_env_filter("trace")
        .with_writer(move || writer.clone())
        .try_init();

    let rt = SandboxRuntime::new();
    let h = rt.start(SandboxConfig {
        client_secret: SECRET.into(),
        ..SandboxConfig::default()
    });
    let office = Office::new();
    let source = office.add_sandbox(&h, false);
    office
        .secrets
        .set(&source.secret_key(&office.store.installation_id().unwrap()), SECRET)
        .unwrap();
    let s = h.population().samples();
    let p = h
        .population()
        .get(
            h.population()
                .find_by_identifier(&IdType::Uin, &s.active_single[0].value)[0],
        )
        .unwrap()
        .clone();

    let ok = office.wait_final(office.submit(
        source.id,
        applicant(
            &p.given_name,
            &p.surname,
            Some(p.birth_date),
            &[(IdType::Uin, p.uin.as_deref().unwrap())],
        ),
    ));
    assert_eq!(ok.state, CheckState::Completed);
    let outcome = office
        .engine()
        .request(|reply| ibr_desk::engine::Command::TestSource {
            data_source_id: source.id,
            reply,
        })
        .wait(std::time::Duration::from_secs(20));
    assert!(outcome.is_ok(), "{outcome:?}");
    // A wrong secret: the failure is recorded, without either secret in it.
    let wrong = format!("{SECRET}-but-wrong");
    office
        .secrets
        .set(&source.secret_key(&office.store.installation_id().unwrap()), &wrong)
        .unwrap();
    office
        .engine()
        .request(|reply| ibr_desk::engine::Command::ReloadConfig { reply })
        .wait(std::time::Duration::from_secs(30))
        .ok();
    let failed = office.wait_final(office.submit(source.id, applicant("A", "B", None, &[(IdType::Uin, "1234567890")])));
    assert_eq!(failed.state, CheckState::Failed);
    assert!(!failed.error_message.as_deref().unwrap().contains(SECRET));

    // Export everything, identifiers revealed, through the command line.
    let csv = office.dir.path().join("export.csv");
    let out = Command::new(env!("CARGO_BIN_EXE_ibr-desk"))
        .args([
            "--data-dir",
            office.dir.path().to_str().unwrap(),
            "export",
            csv.to_str().unwrap(),
            "--reveal-identifiers",
        ])
        .env("IBR_DESK_SECRET_STORE", "memory")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(std::fs::read_to_string(&csv).unwrap().lines().count() >= 3);

    // Stop the engine; the database, its WAL and SHM files are searched as they are.
    let mut office = office;
    office
        .engine
        .take()
        .unwrap()
        .shutdown(std::time::Duration::from_secs(2));
    assert_absent_in_dir(office.dir.path());
    let logged = log.0.lock().unwrap().clone();
    assert!(!logged.is_empty(), "the run logged something");
    assert!(!contains(&logged, SECRET), "the secret is in the log");
    rt.stop(h);
}

#[test]
fn the_command_line_keeps_a_piped_secret_out_of_the_database_and_logs() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ibr-desk"))
        .args([
            "--data-dir",
            dir.path().to_str().unwrap(),
            "source",
            "add",
            "--name",
            "National IBR",
            "--base-url",
            "https://ibr.example.org",
            "--auth-url",
            "https://ibr.example.org/oauth2/client/token",
            "--client-id",
            "office-7",
            "--client-secret-stdin",
        ])
        .env("IBR_DESK_SECRET_STORE", "memory")
        .env("IBR_DESK_LOG", "trace")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{SECRET}\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(!contains(&out.stdout, SECRET) && !contains(&out.stderr, SECRET));
    let list = Command::new(env!("CARGO_BIN_EXE_ibr-desk"))
        .args(["--data-dir", dir.path().to_str().unwrap(), "source", "list", "--json"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&list.stdout).contains("office-7"));
    assert!(!contains(&list.stdout, SECRET));
    assert_absent_in_dir(dir.path());
}
