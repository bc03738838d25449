//! `ibr-desk bench ui`: the CPU time of one frame of the Checks screen with
//! a large history in the store, measured headless (layout and
//! tessellation; drawing the triangles is the GPU's work and not counted).
//!
//! The screen is driven as in the window: it asks the engine for pages,
//! events bring them back, and frames are timed only once every visible row
//! has its data, at several depths of the history.
//!
//! [`load`] measures the window while a roster's checks run (`--load`).

pub mod load;

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::screens::checks::ChecksScreen;
use super::screens::{ScreenCtx, View};
use super::state::{AppData, Prefs};
use crate::engine::{Engine, EngineConfig};
use crate::secrets::MemorySecretStore;
use crate::store::Store;

/// Frames timed at each depth.
const FRAMES_PER_DEPTH: usize = 60;
/// How long to wait for pages to arrive before giving up.
const LOAD_TIMEOUT: Duration = Duration::from_secs(30);

/// Frame times at one depth of the history.
#[derive(Debug, Clone)]
pub struct FrameTimes {
    pub row: u64,
    /// The first frame that drew these rows (their text laid out for the first time).
    pub first_ms: f64,
    /// Shapes painted in a frame (evidence that the rows were drawn).
    pub shapes: usize,
    pub median_ms: f64,
    pub p95_ms: f64,
    pub max_ms: f64,
}

/// The benchmark's result.
#[derive(Debug, Clone)]
pub struct UiBenchReport {
    pub rows: u64,
    pub width: f32,
    pub height: f32,
    pub depths: Vec<FrameTimes>,
}

impl fmt::Display for UiBenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Checks screen, {} checks in the store, {}×{} points, {FRAMES_PER_DEPTH} frames per depth (layout + tessellation, one thread):",
            self.rows, self.width, self.height
        )?;
        writeln!(
            f,
            "{:>12}  {:>10}  {:>10}  {:>10}  {:>10}  {:>8}",
            "first row", "first ms", "median ms", "p95 ms", "max ms", "shapes"
        )?;
        for d in &self.depths {
            writeln!(
                f,
                "{:>12}  {:>10.2}  {:>10.2}  {:>10.2}  {:>10.2}  {:>8}",
                d.row, d.first_ms, d.median_ms, d.p95_ms, d.max_ms, d.shapes
            )?;
        }
        Ok(())
    }
}

struct Bench {
    ctx: egui::Context,
    screen: ChecksScreen,
    data: AppData,
    prefs: Prefs,
    toasts: egui_notify::Toasts,
    engine: Engine,
    events: std::sync::mpsc::Receiver<crate::engine::Event>,
    size: egui::Vec2,
}

impl Bench {
    fn pump(&mut self) {
        let cmds = self.engine.sender();
        while let Ok(e) = self.events.try_recv() {
            self.data.apply(&e);
            self.screen.on_event(&e, &self.data, &cmds);
        }
        let mut cx = crate::ui::screens::AnswerCtx {
            data: &self.data,
            cmds: &cmds,
            toasts: &mut self.toasts,
            told: &mut Vec::new(),
        };
        self.screen.poll(&mut cx);
    }

    /// One frame; returns its duration.
    fn frame(&mut self) -> Duration {
        self.frame_with_shapes().0
    }

    /// One frame; returns its duration and how many shapes it painted.
    fn frame_with_shapes(&mut self) -> (Duration, usize) {
        let cmds = self.engine.sender();
        let mut navigate = None;
        let (data, toasts, prefs, screen) = (&self.data, &mut self.toasts, &mut self.prefs, &mut self.screen);
        timed_frame(&self.ctx, self.size, |ui| {
            let mut cx = ScreenCtx {
                data,
                cmds: &cmds,
                navigate: &mut navigate,
                toasts,
                prefs,
            };
            screen.ui(ui, &mut cx);
        })
    }

    /// Frames until every visible row has its data; returns the duration of
    /// the first frame that drew them all.
    fn settle(&mut self) -> anyhow::Result<Duration> {
        let deadline = Instant::now() + LOAD_TIMEOUT;
        loop {
            self.pump();
            self.frame();
            self.pump();
            if self.screen.visible_rows_loaded() {
                let first = self.frame();
                if self.screen.visible_rows_loaded() {
                    return Ok(first);
                }
            }
            anyhow::ensure!(Instant::now() < deadline, "the history pages did not arrive in time");
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

/// One headless frame of `draw` in a central panel of `size`: its duration
/// (layout and tessellation, as a window pays them) and how many shapes it painted.
pub(crate) fn timed_frame(
    ctx: &egui::Context,
    size: egui::Vec2,
    mut draw: impl FnMut(&mut egui::Ui),
) -> (Duration, usize) {
    let input = egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, size)),
        ..Default::default()
    };
    let t = Instant::now();
    // `run_ui` may run more than one pass of a frame: each draws the screen.
    let mut out = ctx.run_ui(input, |ui| {
        egui::CentralPanel::default().show(ui, |ui| draw(ui));
    });
    let shapes = std::mem::take(&mut out.shapes);
    let n = shapes.len();
    let _ = ctx.tessellate(shapes, out.pixels_per_point);
    let took = t.elapsed();
    out.textures_delta.clear();
    (took, n)
}

/// Runs the benchmark on `store`, filling it to `rows` synthetic checks first.
pub fn bench_checks_screen(store: Arc<Store>, rows: u64) -> anyhow::Result<UiBenchReport> {
    let have = store.history_count(&Default::default())?;
    if have < rows {
        let source = match store.data_sources()?.into_iter().next() {
            Some(s) => s,
            None => store.insert_data_source(&crate::domain::NewDataSource::ibr(
                "Bench registry",
                "https://ibr.example.org",
            ))?,
        };
        store.fill_synthetic_history(rows - have, source.id)?;
    }
    let engine = Engine::start(store, Arc::new(MemorySecretStore::default()), EngineConfig::default())
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let events = engine.subscribe(None);
    let config = engine
        .query(|reply| crate::engine::Query::Config { reply })
        .wait(LOAD_TIMEOUT)
        .map_err(|e| anyhow::anyhow!("{}", e.two_lines()))?;
    let size = egui::vec2(1280.0, 800.0);
    let mut b = Bench {
        ctx: egui::Context::default(),
        screen: ChecksScreen::default(),
        data: AppData {
            config: Some(*config),
            ..AppData::default()
        },
        prefs: Prefs::default(),
        toasts: egui_notify::Toasts::default(),
        engine,
        events,
        size,
    };
    b.settle()?;
    let total = b.screen.total().unwrap_or(0);
    let mut depths = Vec::new();
    for fraction in [0.0, 0.25, 0.5, 0.9, 1.0] {
        let row = ((total.saturating_sub(1)) as f64 * fraction) as u64;
        b.screen.scroll_to_row(row);
        b.frame();
        let first = b.settle()?;
        let shapes = b.frame_with_shapes().1;
        let mut times: Vec<f64> = (0..FRAMES_PER_DEPTH)
            .map(|_| b.frame().as_secs_f64() * 1000.0)
            .collect();
        times.sort_by(f64::total_cmp);
        depths.push(FrameTimes {
            row,
            first_ms: first.as_secs_f64() * 1000.0,
            shapes,
            median_ms: times[times.len() / 2],
            p95_ms: times[times.len() * 95 / 100],
            max_ms: times[times.len() - 1],
        });
    }
    b.engine.shutdown(Duration::from_secs(1));
    Ok(UiBenchReport {
        rows: total,
        width: size.x,
        height: size.y,
        depths,
    })
}
