//! `ibr-desk bench ui --load ROWS`: the window while a roster's checks run.
//!
//! Issue 10's freeze, measured: a ROWS-row roster (generated as `bench
//! import` does) is imported against the built-in demo registry (the
//! sandbox on loopback, as the window starts it), and while its checks run
//! the Checks screen and then the Review screen are open, headless, driven
//! as the shell drives them: every event goes to both screens, the open one
//! is drawn. Frames are paced by the engine's events (after each frame, a
//! wait of at most 20 ms for the next one), as a window wakes for them.
//!
//! Per screen it reports the frame time (layout and tessellation), the store
//! queries per second and per completed batch (`Store::query_counts`), the
//! checks completed per second, and how long the screen took to show its
//! data: a window that waits minutes for its first page is the freeze.

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use crate::domain::SearchReason;
use crate::engine::{Command, Engine, EngineConfig, Event, Pending};
use crate::roster::RosterSettings;
use crate::secrets::MemorySecretStore;
use crate::store::{QueryCounts, Store};
use crate::ui::screens::checks::ChecksScreen;
use crate::ui::screens::review::ReviewScreen;
use crate::ui::screens::{AnswerCtx, ScreenCtx, View};
use crate::ui::state::{AppData, Prefs};

/// The longest wait for an event after a frame.
const FRAME_WAIT: Duration = Duration::from_millis(20);
/// How long the demo registry may take to start (its population is generated).
const START_TIMEOUT: Duration = Duration::from_secs(120);

/// The screen open during a phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Open {
    Checks,
    Review,
}

impl Open {
    fn name(self) -> &'static str {
        match self {
            Open::Checks => "Checks",
            Open::Review => "Review",
        }
    }
}

/// What one phase (one screen open) measured.
#[derive(Debug, Clone)]
pub struct LoadPhase {
    pub screen: &'static str,
    pub secs: f64,
    pub frames: usize,
    pub median_ms: f64,
    pub p95_ms: f64,
    pub max_ms: f64,
    /// Store queries during the phase.
    pub queries: QueryCounts,
    pub batches: u64,
    pub completed: u64,
    /// Reads the engine answered (history pages, review queues, details):
    /// few while the screens keep asking is a backlog of requests.
    pub answers: u64,
    /// From opening the screen to the first frame that showed its data
    /// (Checks: rows of the history; Review: the queue's counts); `None`: never.
    pub first_data_secs: Option<f64>,
}

impl LoadPhase {
    fn per_sec(&self, n: u64) -> f64 {
        if self.secs > 0.0 { n as f64 / self.secs } else { 0.0 }
    }

    fn per_batch(&self, n: u64) -> Option<f64> {
        (self.batches > 0).then(|| n as f64 / self.batches as f64)
    }
}

/// The benchmark's result.
#[derive(Debug, Clone)]
pub struct LoadBenchReport {
    pub rows: u64,
    /// Seconds from the import's start to its end (`None`: still importing at the end).
    pub import_secs: Option<f64>,
    pub phases: Vec<LoadPhase>,
    /// Roster checks finished in the store at the end, of how many.
    pub finished: u64,
    pub total: u64,
}

impl fmt::Display for LoadBenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let import = self.import_secs.map_or_else(
            || "still importing at the end".to_string(),
            |s| format!("imported in {s:.1} s"),
        );
        writeln!(
            f,
            "A roster of {} rows against the demo registry ({import}); {} of {} of its checks finished at the end.",
            self.rows, self.finished, self.total
        )?;
        writeln!(
            f,
            "{:<8} {:>6} {:>7} {:>9} {:>8} {:>8} {:>10} {:>10} {:>9} {:>9} {:>9} {:>9} {:>11}",
            "screen",
            "secs",
            "frames",
            "median ms",
            "p95 ms",
            "max ms",
            "reader q/s",
            "writer q/s",
            "w q/batch",
            "r q/batch",
            "checks/s",
            "answers/s",
            "first data"
        )?;
        for p in &self.phases {
            let per_batch = |n| p.per_batch(n).map_or_else(|| "-".to_string(), |v| format!("{v:.1}"));
            writeln!(
                f,
                "{:<8} {:>6.1} {:>7} {:>9.2} {:>8.2} {:>8.2} {:>10.1} {:>10.1} {:>9} {:>9} {:>9.1} {:>9.1} {:>11}",
                p.screen,
                p.secs,
                p.frames,
                p.median_ms,
                p.p95_ms,
                p.max_ms,
                p.per_sec(p.queries.reader),
                p.per_sec(p.queries.writer),
                per_batch(p.queries.writer),
                per_batch(p.queries.reader),
                p.per_sec(p.completed),
                p.per_sec(p.answers),
                p.first_data_secs
                    .map_or_else(|| "never".to_string(), |s| format!("{s:.2} s")),
            )?;
        }
        write!(
            f,
            "(frame: layout + tessellation on one thread; q = store queries, each read or write transaction one; \
             a batch is one BatchFinished; \
             answers = reads the engine answered)"
        )
    }
}

struct LoadBench {
    ctx: egui::Context,
    checks: ChecksScreen,
    review: ReviewScreen,
    open: Open,
    data: AppData,
    prefs: Prefs,
    toasts: egui_notify::Toasts,
    engine: Engine,
    events: Receiver<Event>,
    size: egui::Vec2,
    /// Counted as events arrive.
    batches: u64,
    completed: u64,
    answers: u64,
    import: Option<Pending<Box<crate::roster::ImportSummary>>>,
    import_finished: Option<Instant>,
    roster_id: Option<i64>,
    /// Queries the engine had answered when the bench began (see `answers`).
    answered_before: u64,
}

impl LoadBench {
    /// Hands `e` to the read model and to both screens, as the shell does.
    fn apply(&mut self, e: &Event) {
        let cmds = self.engine.sender();
        self.data.apply(e);
        self.checks.on_event(e, &self.data, &cmds);
        self.review.on_event(e, &self.data, &cmds);
        if let Event::BatchFinished { completed, .. } = e {
            self.batches += 1;
            self.completed += *completed as u64;
        }
    }

    /// Events, then the answers to the screens' requests, as the shell takes them each frame.
    fn pump(&mut self) {
        while let Ok(e) = self.events.try_recv() {
            self.apply(&e);
        }
        self.poll();
    }

    fn poll(&mut self) {
        let cmds = self.engine.sender();
        let mut told = Vec::new();
        let mut cx = AnswerCtx {
            data: &self.data,
            cmds: &cmds,
            toasts: &mut self.toasts,
            told: &mut told,
        };
        self.checks.poll(&mut cx);
        self.review.poll(&mut cx);
        if let Some(r) = self.import.as_mut().and_then(Pending::poll) {
            self.import = None;
            self.import_finished = Some(Instant::now());
            self.roster_id = r.ok().map(|s| s.roster_id);
        }
        self.answers = self.engine.queries_answered() - self.answered_before;
    }

    /// Waits at most [`FRAME_WAIT`] for the next event, then takes all that came.
    fn wait_for_events(&mut self) {
        if let Ok(e) = self.events.recv_timeout(FRAME_WAIT) {
            self.apply(&e);
        }
        self.pump();
    }

    fn show(&mut self, open: Open) {
        let cmds = self.engine.sender();
        self.open = open;
        match open {
            Open::Checks => self.checks.on_show(&self.data, &cmds),
            Open::Review => self.review.on_show(&self.data, &cmds),
        }
    }

    /// One frame of the open screen; returns its duration.
    fn frame(&mut self) -> Duration {
        let cmds = self.engine.sender();
        let mut navigate = None;
        let (checks, review, open) = (&mut self.checks, &mut self.review, self.open);
        let (data, toasts, prefs) = (&self.data, &mut self.toasts, &mut self.prefs);
        super::timed_frame(&self.ctx, self.size, |ui| {
            let mut cx = ScreenCtx {
                data,
                cmds: &cmds,
                navigate: &mut navigate,
                toasts,
                prefs,
            };
            match open {
                Open::Checks => checks.ui(ui, &mut cx),
                Open::Review => review.ui(ui, &mut cx),
            }
        })
        .0
    }

    /// Whether the open screen shows its data.
    fn shows_data(&self) -> bool {
        match self.open {
            Open::Checks => self.checks.total().is_some_and(|n| n > 0) && self.checks.visible_rows_loaded(),
            Open::Review => self.review.loaded(),
        }
    }

    /// `open` for `secs`: paced frames, timed, with the store's counts.
    fn phase(&mut self, open: Open, secs: Duration) -> LoadPhase {
        let store = self.engine.store().clone();
        let (batches, completed, answers) = (self.batches, self.completed, self.answers);
        let queries = store.query_counts();
        let started = Instant::now();
        self.show(open);
        let mut times = Vec::new();
        let mut first_data = None;
        while started.elapsed() < secs {
            self.pump();
            times.push(self.frame().as_secs_f64() * 1000.0);
            if first_data.is_none() && self.shows_data() {
                first_data = Some(started.elapsed().as_secs_f64());
            }
            self.wait_for_events();
        }
        let secs = started.elapsed().as_secs_f64();
        times.sort_by(f64::total_cmp);
        let at = |q: usize| times.get(q.min(times.len().saturating_sub(1))).copied().unwrap_or(0.0);
        LoadPhase {
            screen: open.name(),
            secs,
            frames: times.len(),
            median_ms: at(times.len() / 2),
            p95_ms: at(times.len() * 95 / 100),
            max_ms: at(times.len().saturating_sub(1)),
            queries: store.query_counts().since(queries),
            batches: self.batches - batches,
            completed: self.completed - completed,
            answers: self.answers - answers,
            first_data_secs: first_data,
        }
    }
}

/// Imports a `rows`-row roster in `dir` against the demo registry and
/// measures each screen for `secs_per_screen` while its checks run.
pub fn bench_under_load(dir: &Path, rows: u64, secs_per_screen: Duration) -> anyhow::Result<LoadBenchReport> {
    let roster = dir.join("roster.csv");
    crate::roster::bench::generate(&roster, rows)?;
    let store = Arc::new(Store::open(&dir.join("bench.sqlite3"))?);
    let engine = Engine::start(
        store.clone(),
        Arc::new(MemorySecretStore::default()),
        EngineConfig {
            actor: "bench".into(),
            ..EngineConfig::default()
        },
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let events = engine.subscribe(None);
    let demo = engine.request(|reply| Command::EnsureDemoRegistry { reply });
    let config = engine
        .query(|reply| crate::engine::Query::Config { reply })
        .wait(START_TIMEOUT)
        .map_err(|e| anyhow::anyhow!("{}", e.two_lines()))?;
    let answered_before = engine.queries_answered();
    let mut b = LoadBench {
        ctx: egui::Context::default(),
        checks: ChecksScreen::default(),
        review: ReviewScreen::default(),
        open: Open::Checks,
        data: AppData {
            config: Some(*config),
            ..AppData::default()
        },
        prefs: Prefs::default(),
        toasts: egui_notify::Toasts::default(),
        engine,
        events,
        size: egui::vec2(1280.0, 800.0),
        batches: 0,
        completed: 0,
        answers: 0,
        import: None,
        import_finished: None,
        roster_id: None,
        answered_before,
    };
    let demo = demo
        .wait(START_TIMEOUT)
        .map_err(|e| anyhow::anyhow!("the demo registry did not start: {}", e.two_lines()))?
        .ok_or_else(|| anyhow::anyhow!("the demo registry was removed from this data directory"))?;
    // The window as an officer has it before the import: Checks open, shown once.
    b.show(Open::Checks);
    b.frame();
    let imported_at = Instant::now();
    b.import = Some(b.engine.request(|reply| Command::ImportRoster {
        path: roster,
        mapping: RosterSettings::default(),
        data_source_id: demo,
        reason: SearchReason::Application,
        rejected_file: Some(dir.join("roster.rejected.csv")),
        reply,
    }));
    let phases = vec![
        b.phase(Open::Checks, secs_per_screen),
        b.phase(Open::Review, secs_per_screen),
    ];
    let counts = match b.roster_id {
        Some(id) => Some(store.roster_check_counts(id)?),
        None => None,
    };
    b.engine.shutdown(Duration::from_secs(2));
    Ok(LoadBenchReport {
        rows,
        import_secs: b.import_finished.map(|t| t.duration_since(imported_at).as_secs_f64()),
        phases,
        finished: counts.map_or(0, |c| c.finished()),
        total: counts.map_or(0, |c| c.total()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_both_screens_while_a_small_roster_runs() {
        let dir = tempfile::tempdir().expect("temp dir");
        let report = bench_under_load(dir.path(), 300, Duration::from_secs(1)).expect("bench");
        assert_eq!(report.total, 297, "300 rows, one in a hundred bad on purpose");
        assert!(report.import_secs.is_some(), "the import finished");
        let screens: Vec<_> = report.phases.iter().map(|p| p.screen).collect();
        assert_eq!(screens, ["Checks", "Review"]);
        for p in &report.phases {
            assert!(p.frames > 0 && p.queries.total() > 0, "{p:?}");
        }
        let text = report.to_string();
        assert!(text.contains("reader q/s") && text.contains("w q/batch"), "{text}");
    }
}
