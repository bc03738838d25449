//! The checks of an imported roster as the engine runs them against the
//! sandbox: written a few batches at a time, every one of them run, and an
//! applicant typed in meanwhile not kept waiting behind the roster.

mod common;

use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use common::*;
use ibr_desk::domain::{IdType, SearchReason};
use ibr_desk::engine::EngineConfig;
use ibr_desk::roster::import::{ImportOptions, import_file};
use ibr_desk::sandbox::SandboxConfig;

const ROWS: u64 = 1_000;

#[test]
fn a_roster_is_written_as_it_runs_and_a_typed_applicant_goes_first() {
    let rt = SandboxRuntime::new();
    let h = rt.start(SandboxConfig::default());
    // One batch of five checks (two searches each) at a time: the engine
    // keeps twenty ready.
    let office = Office::with_config(EngineConfig {
        batch_max_items: 10,
        max_batches_in_flight: 1,
        ..fast_engine_config()
    });
    let source = office.add_sandbox(&h, false);

    let file = office.dir.path().join("roster.csv");
    let rows: String = (0..ROWS)
        .map(|i| format!("Applicant,Number {i},1990-01-01,F,UIN,{}\n", 9_000_000_000u64 + i))
        .collect();
    std::fs::write(
        &file,
        format!("given_name,surname,birth_date,sex,id_type,id_value\n{rows}"),
    )
    .unwrap();
    let options = ImportOptions::new(source.id, SearchReason::Application, "test officer");
    let s = import_file(&office.store, &file, &options, &AtomicBool::new(false), &mut |_| {}).unwrap();
    assert_eq!((s.imported, s.queued), (ROWS, ROWS));
    // Every row's check is queued; the running engine may have taken up a first batch already.
    let q = office.store.queue_counts().unwrap();
    let counts = office.store.roster_check_counts(s.roster_id).unwrap();
    assert_eq!(counts.total(), ROWS);
    assert_eq!(q.ready + q.checking + counts.finished(), ROWS, "{q:?} {counts:?}");

    // Typed in at the counter after the import: it does not wait for the roster.
    let typed = office.submit(
        source.id,
        applicant("Amina", "Diallo", None, &[(IdType::Uin, "1234567890")]),
    );
    let c = office.wait_final(typed);
    let counts = office.store.roster_check_counts(s.roster_id).unwrap();
    assert!(
        counts.finished() < ROWS / 2,
        "the typed applicant was checked before most of the roster: {counts:?} ({c:?})"
    );
    let written = office.store.history_count(&Default::default()).unwrap() - 1;
    assert!(
        written < ROWS / 2,
        "only a few batches of the roster were written: {written}"
    );

    // And every check of the roster runs, none lost, none twice.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let counts = office.store.roster_check_counts(s.roster_id).unwrap();
        if counts.finished() == ROWS {
            assert_eq!((counts.completed, counts.failed), (ROWS, 0), "{counts:?}");
            break;
        }
        assert!(Instant::now() < deadline, "the roster never finished: {counts:?}");
        let _ = office.events.recv_timeout(Duration::from_millis(200));
    }
    let roster = office.store.roster(s.roster_id).unwrap().unwrap();
    assert_eq!(roster.checks_waiting, 0);
    assert_eq!(office.store.history_count(&Default::default()).unwrap(), ROWS + 1);
    assert_eq!(office.store.queue_counts().unwrap().ready, 0);
    rt.stop(h);
}
