//! `ibr-desk bench checks|history`: the figures the project promises,
//! measured on this machine (never asserted in tests).
//!
//! `checks` runs N duplication checks end to end: stored, batched, signed,
//! sent over loopback to an in-process sandbox that verifies the signature,
//! answered and signed, verified, classified and persisted.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Subcommand;

use crate::dci::Jwks;
use crate::domain::{
    Algorithm, IdType, Identifier, NewCheck, NewDataSource, NewIbrSender, NewRegistrant, SearchReason,
};
use crate::engine::{Engine, EngineConfig, Event, trust};
use crate::ibr::plan;
use crate::sandbox::population::PopulationConfig;
use crate::sandbox::{self, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, SandboxConfig};
use crate::secrets::{MemorySecretStore, SecretStore};
use crate::store::Store;

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// End-to-end duplication checks per second against the in-process sandbox.
    Checks {
        #[arg(long, default_value_t = 10_000)]
        count: usize,
        /// Sandbox population.
        #[arg(long, default_value_t = 100_000)]
        population: usize,
        /// Searches per DCI message.
        #[arg(long, default_value_t = 50)]
        batch: usize,
        /// Messages under way at once.
        #[arg(long, default_value_t = 4)]
        in_flight: usize,
    },
    /// Paging and filtering a history of N checks.
    History {
        #[arg(long, default_value_t = 1_000_000)]
        rows: u64,
    },
    /// CPU time of one frame of the Checks screen with N checks in the store;
    /// with --load, the Checks and Review screens while a roster's checks run.
    Ui {
        #[arg(long, default_value_t = 1_000_000)]
        rows: u64,
        /// Import a generated roster of this many rows against the demo registry and
        /// measure frames, store queries and checks per second while its checks run.
        #[arg(long, value_name = "ROWS", conflicts_with = "rows")]
        load: Option<u64>,
        /// With --load: seconds each screen is open (Checks, then Review).
        #[arg(long, default_value_t = 30, requires = "load")]
        seconds: u64,
    },
    /// Rows per second and peak memory importing a generated roster of N rows (1 % bad).
    Import {
        #[arg(long, default_value_t = 1_000_000)]
        rows: u64,
        /// Rows per transaction.
        #[arg(long, default_value_t = crate::roster::import::CHUNK_ROWS)]
        chunk_rows: usize,
    },
}

pub fn run(cmd: BenchCommand) -> anyhow::Result<u8> {
    match cmd {
        BenchCommand::Checks {
            count,
            population,
            batch,
            in_flight,
        } => bench_checks(count, population, batch, in_flight),
        BenchCommand::Ui {
            load: Some(rows),
            seconds,
            ..
        } => {
            let dir = tempfile_dir()?;
            println!(
                "Importing a roster of {rows} rows against the demo registry in {}; Checks, then Review, open {seconds} s each …",
                dir.display()
            );
            let report = crate::ui::bench::load::bench_under_load(&dir, rows, Duration::from_secs(seconds));
            let _ = std::fs::remove_dir_all(&dir);
            println!("{}", report?);
            Ok(super::EXIT_OK)
        }
        BenchCommand::Ui { rows, load: None, .. } => {
            let dir = tempfile_dir()?;
            let store = Arc::new(Store::open(&dir.join("bench.sqlite3"))?);
            println!("Filling a history of {rows} checks in {} …", dir.display());
            let report = crate::ui::bench::bench_checks_screen(store, rows)?;
            println!("{report}");
            let _ = std::fs::remove_dir_all(&dir);
            Ok(super::EXIT_OK)
        }
        BenchCommand::Import { rows, chunk_rows } => {
            let dir = tempfile_dir()?;
            println!("Importing a generated roster of {rows} rows in {} …", dir.display());
            let report = crate::roster::bench::bench_import(&dir, rows, chunk_rows);
            let _ = std::fs::remove_dir_all(&dir);
            println!("{}", report?);
            Ok(super::EXIT_OK)
        }
        BenchCommand::History { rows } => {
            let dir = tempfile_dir()?;
            let store = Store::open(&dir.join("bench.sqlite3"))?;
            println!("Filling a history of {rows} checks in {} …", dir.display());
            let report = crate::store::bench::bench_history(&store, rows)?;
            println!("{report}");
            let _ = std::fs::remove_dir_all(&dir);
            Ok(super::EXIT_OK)
        }
    }
}

/// A fresh directory under the system's temporary directory.
fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("ibr-desk-bench-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir)
}

fn bench_checks(count: usize, population: usize, batch: usize, in_flight: usize) -> anyhow::Result<u8> {
    let dir = tempfile_dir()?;
    let store = Arc::new(Store::open(&dir.join("bench.sqlite3"))?);
    let secrets: Arc<dyn SecretStore> = Arc::new(MemorySecretStore::default());

    // The office signs its requests; the sandbox verifies them.
    let office = trust::generate_office_key(&store, secrets.as_ref()).map_err(anyhow::Error::msg)?;
    let office_jwks = Jwks {
        keys: vec![office.public_key().to_jwk(&office.kid())],
    };

    let sandbox_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("bench-sandbox")
        .enable_all()
        .build()?;
    let started = Instant::now();
    let handle = sandbox_rt.block_on(sandbox::start(SandboxConfig {
        population: PopulationConfig {
            size: population,
            seed: 42,
        },
        client_keys: office_jwks,
        require_signed_requests: true,
        ..SandboxConfig::default()
    }))?;
    println!(
        "Sandbox with {} people ready in {:.2} s at {}.",
        handle.population().len(),
        started.elapsed().as_secs_f64(),
        handle.base_url()
    );

    let source = store.insert_data_source(&NewDataSource {
        auth_url: Some(handle.token_url()),
        client_id: Some(DEMO_CLIENT_ID.to_string()),
        ..NewDataSource::ibr("Bench sandbox", &handle.base_url())
    })?;
    secrets.set(&source.secret_key(&store.installation_id()?), DEMO_CLIENT_SECRET)?;
    let sandbox_key = crate::dci::PublicKey::from_jwk(&handle.jwks().keys[0])?.to_pem();
    store.insert_sender(
        &NewIbrSender {
            name: "Bench sandbox".into(),
            sender_id: handle.sender_id().to_string(),
            public_key_pem: Some(sandbox_key),
            jwks_url: None,
            algorithm: Algorithm::Ed25519,
            active: true,
            insecure_http: false,
        },
        &[source.id],
        "bench",
    )?;

    // Applicants: a mix of what an office meets. 60 % are people the
    // registry holds (their UIN, name and birth date), 20 % a new UIN with
    // the name and birth date of someone it holds (found by demographics),
    // 20 % people it does not know at all.
    let people = handle.population().people();
    let mut checks = Vec::with_capacity(count);
    for i in 0..count {
        let p = &people[(i * 7919) % people.len()];
        let (uin, given, birth) = match (i % 10, &p.uin) {
            (0..=5, Some(u)) => (u.clone(), p.given_name.clone(), p.birth_date),
            (6 | 7, _) => (format!("0{i:09}"), p.given_name.clone(), p.birth_date),
            _ => (format!("0{i:09}"), format!("Newcomer{i}"), p.birth_date),
        };
        let r = store.insert_registrant(&NewRegistrant {
            given_name: Some(given),
            surname: Some(p.surname.clone()),
            birth_date: Some(birth),
            sex: Some(p.sex.clone()),
            identifiers: vec![Identifier::new(IdType::Uin, uin.clone())],
        })?;
        checks.push(NewCheck {
            registrant_id: r.id,
            applicant: plan::snapshot(&r),
            identifier_type: IdType::Uin,
            identifier_value: uin,
            data_source_id: source.id,
            search_reason: SearchReason::Application,
            queries: plan::queries_for(&r),
        });
    }
    let items: usize = checks.iter().map(|c| c.queries.len()).sum();
    store.insert_checks(&checks, "bench")?;
    println!("Queued {count} checks ({items} searches).");

    let t0 = Instant::now();
    let engine = Engine::start(
        store.clone(),
        secrets,
        EngineConfig {
            batch_max_items: batch,
            max_batches_in_flight: in_flight,
            actor: "bench".into(),
            ..EngineConfig::default()
        },
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let events = engine.subscribe(None);
    let (mut completed, mut failed) = (0usize, 0usize);
    while completed + failed < count {
        match events.recv_timeout(Duration::from_secs(120)) {
            Ok(Event::BatchFinished {
                completed: c,
                failed: f,
                ..
            }) => {
                completed += c;
                failed += f;
            }
            Ok(Event::Error(e)) => eprintln!("error: {}", e.two_lines()),
            Ok(_) => {}
            Err(_) => anyhow::bail!("no progress for 120 s ({completed} completed, {failed} failed)"),
        }
    }
    let secs = t0.elapsed().as_secs_f64();
    engine.shutdown(Duration::from_secs(2));
    let stats = handle.stats();
    let by_result = store.counts_by_result()?;
    println!(
        "{count} checks end to end in {secs:.2} s: {:.0} checks/s, {:.0} searches/s ({} messages, {} failed).",
        count as f64 / secs,
        items as f64 / secs,
        stats.search_messages,
        failed
    );
    println!(
        "Results: {}.",
        by_result
            .iter()
            .map(|(r, n)| format!("{n} {r}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "Batch of {batch} searches, {in_flight} messages in flight, {} CPU(s).",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
    );
    sandbox_rt.block_on(handle.shutdown());
    let _ = std::fs::remove_dir_all(&dir);
    Ok(if failed == 0 {
        super::EXIT_OK
    } else {
        super::EXIT_FAILED
    })
}
