//! The Checks screen (home): the history as a table that scrolls through a
//! million rows, filters, and the detail of the selected check.
//!
//! Only the rows on screen are built. Rows come in pages of
//! [`PAGE_SIZE`] from the engine (`Command::LoadHistory`), cached by page
//! index; a page not yet here is drawn as a placeholder row and asked for
//! once. A change of filter starts a new generation, so late pages of the
//! old filter are dropped. Changed checks reload only the pages on screen.
//!
//! This file is the screen: its pages, the requests it sends and the
//! engine's answers. `filters` draws the filter bar and export menu (over
//! the `filter_controls` model), `table` the history, `detail` the selected
//! check; `wording` holds the sentences and masking they show.

mod detail;
mod filter_controls;
mod filters;
mod table;
mod wording;

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use egui::Ui;

use crate::domain::DuplicationCheck;
use crate::engine::event::CheckDetail;
use crate::engine::{Event, HistoryPage, Latest, Pending, Query, Said};
use crate::ui::screens::{AnswerCtx, ScreenCtx, View, answer};
use crate::ui::state::{AppData, Commands};

use filter_controls::FilterControls;
pub use wording::failure_sentence;

/// Rows per page asked of the engine.
pub const PAGE_SIZE: u32 = 100;
/// Width of the detail panel.
const DETAIL_WIDTH: f32 = 470.0;

/// The Checks screen.
#[derive(Default)]
pub struct ChecksScreen {
    controls: FilterControls,
    /// Bumped on every filter change; pages of older generations are dropped.
    generation: u64,
    total: Option<u64>,
    pages: HashMap<u64, Vec<DuplicationCheck>>,
    /// Pages asked for (in flight or here).
    requested: HashSet<u64>,
    /// The page requests in flight, by page (a new filter drops them).
    in_flight: HashMap<u64, Pending<HistoryPage>>,
    /// Checks changed while pages were in flight: refresh once they are in.
    stale: bool,
    /// The selected check's detail, one request at a time.
    detail_request: Latest<Box<CheckDetail>>,
    /// "Retry", "Export" and "Run sample checks" in flight.
    retry: Option<Pending<()>>,
    export: Option<Pending<Said>>,
    samples: Option<Pending<usize>>,
    /// Pages drawn in the last frame (what a change reloads).
    visible_pages: HashSet<u64>,
    selected: Option<i64>,
    detail: Option<CheckDetail>,
    reveal_identifiers: bool,
    /// The date pickers' working values.
    from_pick: Option<NaiveDate>,
    to_pick: Option<NaiveDate>,
    /// A row to bring into view at the next frame.
    scroll_to: Option<u64>,
    /// "Write identifier values in full" in the export menu (off: masked).
    export_reveal: bool,
}

impl ChecksScreen {
    /// Selects a check and loads its detail.
    pub fn select(&mut self, id: i64, cmds: &Commands) {
        let other = self.selected != Some(id);
        self.selected = Some(id);
        if self.detail.as_ref().is_none_or(|d| d.check.id != id) {
            self.detail = None;
        }
        let ask = || cmds.query(|reply| Query::CheckDetail { check_id: id, reply });
        if other {
            self.detail_request.replace(ask());
        } else {
            self.detail_request.want(ask);
        }
    }

    /// How many checks the current filter selects, once known.
    pub fn total(&self) -> Option<u64> {
        self.total
    }

    /// Brings row `index` into view at the next frame.
    pub fn scroll_to_row(&mut self, index: u64) {
        self.scroll_to = Some(index);
    }

    /// Whether every row on screen has its data (no placeholder drawn).
    pub fn visible_rows_loaded(&self) -> bool {
        self.total.is_some() && self.visible_pages.iter().all(|p| self.pages.contains_key(p))
    }

    /// Starts over with the current filter.
    fn reload(&mut self, cmds: &Commands) {
        self.generation += 1;
        self.pages.clear();
        self.requested.clear();
        self.in_flight.clear();
        self.stale = false;
        self.total = None;
        self.request(0, cmds);
    }

    fn request(&mut self, page: u64, cmds: &Commands) {
        if self.requested.insert(page) {
            let filter = self.controls.to_filter();
            let pending = cmds.query(|reply| Query::History {
                filter,
                offset: page * u64::from(PAGE_SIZE),
                limit: PAGE_SIZE,
                reply,
            });
            self.in_flight.insert(page, pending);
        }
    }

    /// Asks again for the pages on screen (after checks changed). While
    /// pages are in flight it only notes that they are stale: a burst of
    /// changes costs one more round of the pages on screen, not one per change.
    fn refresh_visible(&mut self, cmds: &Commands) {
        if !self.in_flight.is_empty() {
            self.stale = true;
            return;
        }
        self.stale = false;
        let pages: Vec<u64> = self.visible_pages.iter().copied().chain(std::iter::once(0)).collect();
        for p in pages {
            self.requested.remove(&p);
            self.request(p, cmds);
        }
    }

    fn row(&self, index: u64) -> Option<&DuplicationCheck> {
        let page = index / u64::from(PAGE_SIZE);
        let within = (index % u64::from(PAGE_SIZE)) as usize;
        self.pages.get(&page).and_then(|p| p.get(within))
    }
}

impl View for ChecksScreen {
    fn on_show(&mut self, _data: &AppData, cmds: &Commands) {
        self.reload(cmds);
        if let Some(id) = self.selected {
            self.select(id, cmds);
        }
    }

    fn on_event(&mut self, event: &Event, _data: &AppData, cmds: &Commands) {
        match event {
            Event::ChecksChanged(changed) => {
                if self.generation > 0 {
                    self.refresh_visible(cmds);
                }
                if let Some(id) = self.selected.filter(|id| changed.contains(*id)) {
                    self.select(id, cmds);
                }
            }
            Event::ReviewsChanged { .. } | Event::Config(_) if self.generation > 0 => self.refresh_visible(cmds),
            _ => {}
        }
    }

    fn poll(&mut self, cx: &mut AnswerCtx<'_>) {
        let answered: Vec<(u64, Result<HistoryPage, crate::domain::EngineError>)> = self
            .in_flight
            .iter_mut()
            .filter_map(|(page, p)| p.poll().map(|r| (*page, r)))
            .collect();
        for (page, r) in answered {
            self.in_flight.remove(&page);
            match r {
                Ok(HistoryPage { offset, total, rows }) => {
                    if self.total != Some(total) && self.total.is_some() {
                        // Rows were added or left the filter: every page shifts.
                        self.pages.clear();
                        self.requested.retain(|p| self.in_flight.contains_key(p));
                        self.requested.insert(offset / u64::from(PAGE_SIZE));
                    }
                    self.total = Some(total);
                    self.pages.insert(offset / u64::from(PAGE_SIZE), rows);
                }
                Err(e) => {
                    // Asked again when drawn.
                    self.requested.remove(&page);
                    cx.failed(&e);
                }
            }
        }
        if self.stale && self.in_flight.is_empty() {
            self.refresh_visible(cx.cmds);
        }
        if cx.detail(&mut self.detail_request, self.selected, &mut self.detail)
            && let Some(id) = self.selected
        {
            self.select(id, cx.cmds);
        }
        if let Some(Err(e)) = answer(&mut self.retry) {
            cx.failed(&e);
        }
        cx.tell(&mut self.export);
        if let Some(r) = answer(&mut self.samples) {
            match r {
                Ok(_) => cx.done("Sample checks queued against the demo registry."),
                Err(e) => cx.failed(&e),
            }
        }
    }

    fn ui(&mut self, ui: &mut Ui, cx: &mut ScreenCtx<'_>) {
        let (data, cmds) = (cx.data, cx.cmds);
        if self.generation == 0 {
            self.reload(cmds);
        }
        if self.selected.is_some() {
            egui::Panel::right("check-detail")
                .default_size(DETAIL_WIDTH)
                .resizable(true)
                .show(ui, |ui| self.detail_ui(ui, data, cmds));
        }
        egui::CentralPanel::default().show(ui, |ui| {
            self.filters_ui(ui, data, cmds);
            ui.separator();
            self.table_ui(ui, data, cmds);
        });
        if ui.input(|i| i.key_pressed(egui::Key::Escape)) {
            self.selected = None;
        }
    }
}
