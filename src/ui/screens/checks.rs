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
use crate::engine::{Command, Event};
use crate::ui::screens::{ScreenCtx, View};
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
    requested: HashSet<u64>,
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
        self.selected = Some(id);
        if self.detail.as_ref().is_none_or(|d| d.check.id != id) {
            self.detail = None;
        }
        cmds.send(Command::LoadCheckDetail { check_id: id });
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
        self.total = None;
        self.request(0, cmds);
    }

    fn request(&mut self, page: u64, cmds: &Commands) {
        if self.requested.insert(page) {
            cmds.send(Command::LoadHistory {
                filter: self.controls.to_filter(),
                offset: page * u64::from(PAGE_SIZE),
                limit: PAGE_SIZE,
                generation: self.generation,
            });
        }
    }

    /// Asks again for the pages on screen (after checks changed).
    fn refresh_visible(&mut self, cmds: &Commands) {
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
            cmds.send(Command::LoadCheckDetail { check_id: id });
        }
    }

    fn on_event(&mut self, event: &Event, _data: &AppData, cmds: &Commands) {
        match event {
            Event::HistoryPage {
                generation,
                offset,
                total,
                rows,
            } if *generation == self.generation => {
                if self.total != Some(*total) && self.total.is_some() {
                    // Rows were added or left the filter: every page shifts.
                    self.pages.clear();
                    self.requested.clear();
                    self.requested.insert(offset / u64::from(PAGE_SIZE));
                }
                self.total = Some(*total);
                self.pages.insert(offset / u64::from(PAGE_SIZE), rows.clone());
            }
            Event::CheckChanged { check_id, .. } => {
                if self.generation > 0 {
                    self.refresh_visible(cmds);
                }
                if self.selected == Some(*check_id) {
                    cmds.send(Command::LoadCheckDetail { check_id: *check_id });
                }
            }
            Event::CheckDetail(d) if Some(d.check.id) == self.selected => {
                self.detail = Some((**d).clone());
            }
            Event::Config(_) if self.generation > 0 => self.refresh_visible(cmds),
            _ => {}
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
