//! Frames paced as a window paces them, counted: for tests that bound how
//! many frames something may take while the engine is busy.
//!
//! A real window draws a frame when an event wakes it, at most once per
//! display refresh. Here each frame is followed by a wait for the engine's
//! next event of at most [`FRAME`] (never a blind sleep: the wait ends as
//! soon as an event arrives), and the events that arrived meanwhile are
//! drained; the window's own subscription sees them all, as in the app.

use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use egui_kittest::kittest::{NodeT as _, Queryable as _};
use ibr_desk::engine::Event;

use super::Desk;

/// The longest wait for an event after a frame (50 frames a second when idle).
pub const FRAME: Duration = Duration::from_millis(20);

/// What [`Desk::frames_until`] saw.
#[derive(Debug, Clone, Copy)]
pub struct Waited {
    /// Frames drawn until the condition held (the frame that showed it included).
    pub frames: usize,
    pub elapsed: Duration,
    /// Whether it held within the bound.
    pub done: bool,
}

impl Desk {
    /// A second subscription to the engine's events, to pace frames by.
    pub fn pacer(&self) -> Receiver<Event> {
        self.harness
            .state()
            .engine()
            .expect("the window runs an engine")
            .subscribe(None)
    }

    /// Steps paced frames until `done` holds or `max_frames` were drawn.
    pub fn frames_until(
        &mut self,
        pacer: &Receiver<Event>,
        max_frames: usize,
        done: impl Fn(&egui_kittest::Harness<'static, ibr_desk::ui::IbrDeskApp>) -> bool,
    ) -> Waited {
        let started = Instant::now();
        for frame in 1..=max_frames {
            self.harness.step();
            if done(&self.harness) {
                return Waited {
                    frames: frame,
                    elapsed: started.elapsed(),
                    done: true,
                };
            }
            if pacer.recv_timeout(FRAME).is_ok() {
                while pacer.try_recv().is_ok() {}
            }
        }
        Waited {
            frames: max_frames,
            elapsed: started.elapsed(),
            done: false,
        }
    }
}

/// The labels of the window's nodes that contain `part`.
pub fn labels_containing(h: &egui_kittest::Harness<'static, ibr_desk::ui::IbrDeskApp>, part: &str) -> Vec<String> {
    h.query_all_by_label_contains(part)
        .filter_map(|n| n.accesskit_node().label())
        .collect()
}
