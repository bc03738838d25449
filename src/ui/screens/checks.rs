//! The Checks screen (home): the history as a table that scrolls through a
//! million rows, filters, and the detail of the selected check.
//!
//! Only the rows on screen are built. Rows come in pages of
//! [`PAGE_SIZE`] from the engine (`Command::LoadHistory`), cached by page
//! index; a page not yet here is drawn as a placeholder row and asked for
//! once. A change of filter starts a new generation, so late pages of the
//! old filter are dropped. Changed checks reload only the pages on screen.

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDate, TimeZone, Utc};
use egui::{RichText, Ui};
use egui_extras::{Column, TableBuilder};

use crate::domain::{CheckFilter, CheckState, DuplicationCheck, MatchCandidate, MatchResult, QueryKind};
use crate::engine::event::CheckDetail;
use crate::engine::{Command, Event};
use crate::ui::screens::{ScreenCtx, View};
use crate::ui::state::{AppData, Commands};
use crate::ui::theme;
use crate::ui::widgets::{check_badge, comparison_grid, date_picker, hide_ids, mask, mask_all};

/// Rows per page asked of the engine.
pub const PAGE_SIZE: u32 = 100;
/// Width of the detail panel.
const DETAIL_WIDTH: f32 = 470.0;

/// The filter as the controls hold it.
#[derive(Debug, Clone, Default, PartialEq)]
struct FilterControls {
    result: Option<MatchResult>,
    state: Option<CheckState>,
    source: Option<i64>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    text: String,
    oldest_first: bool,
}

impl FilterControls {
    fn to_filter(&self) -> CheckFilter {
        let day = |d: NaiveDate| Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default());
        CheckFilter {
            result: self.result,
            state: self.state,
            data_source_id: self.source,
            from: self.from.map(day),
            to: self.to.and_then(|d| d.succ_opt()).map(day),
            text: Some(self.text.trim().to_string()).filter(|t| !t.is_empty()),
            oldest_first: self.oldest_first,
            review_status: None,
            roster_id: None,
        }
    }
}

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

    fn filters_ui(&mut self, ui: &mut Ui, data: &AppData, cmds: &Commands) {
        let before = self.controls.clone();
        ui.horizontal_wrapped(|ui| {
            let l = ui.label("Search");
            ui.add(
                egui::TextEdit::singleline(&mut self.controls.text)
                    .hint_text("Name or identifier")
                    .desired_width(180.0),
            )
            .labelled_by(l.id);
            let l = ui.label("Result");
            egui::ComboBox::from_id_salt("filter-result")
                .selected_text(self.controls.result.map_or("Any", |r| r.label()))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.controls.result, None, "Any");
                    for r in MatchResult::ALL {
                        ui.selectable_value(&mut self.controls.result, Some(r), r.label());
                    }
                })
                .response
                .labelled_by(l.id);
            let l = ui.label("State");
            egui::ComboBox::from_id_salt("filter-state")
                .selected_text(self.controls.state.map_or("Any", state_label))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.controls.state, None, "Any");
                    for s in CheckState::ALL {
                        ui.selectable_value(&mut self.controls.state, Some(s), state_label(s));
                    }
                })
                .response
                .labelled_by(l.id);
            let l = ui.label("Data source");
            egui::ComboBox::from_id_salt("filter-source")
                .selected_text(
                    self.controls
                        .source
                        .map_or("Any".to_string(), |id| data.source_name(Some(id))),
                )
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.controls.source, None, "Any");
                    for s in data.sources() {
                        ui.selectable_value(&mut self.controls.source, Some(s.source.id), &s.source.name);
                    }
                })
                .response
                .labelled_by(l.id);
            date_filter(ui, "From", "filter-from", &mut self.controls.from, &mut self.from_pick);
            date_filter(ui, "To", "filter-to", &mut self.controls.to, &mut self.to_pick);
            let order = if self.controls.oldest_first {
                "Oldest first ⬆"
            } else {
                "Newest first ⬇"
            };
            if ui
                .button(order)
                .on_hover_text("Sort by the date of the check")
                .clicked()
            {
                self.controls.oldest_first = !self.controls.oldest_first;
            }
            if self.controls != FilterControls::default() && ui.button("Clear filters").clicked() {
                self.controls = FilterControls::default();
            }
            self.export_menu(ui, cmds);
        });
        if self.controls != before {
            self.reload(cmds);
        }
    }

    /// The checks the filters show, to CSV (the engine writes the file).
    fn export_menu(&mut self, ui: &mut Ui, cmds: &Commands) {
        // Stays open while the checkbox is ticked; closes on the export or a click elsewhere.
        let config =
            egui::containers::menu::MenuConfig::new().close_behavior(egui::PopupCloseBehavior::CloseOnClickOutside);
        egui::containers::menu::MenuButton::new("⬇ Export…")
            .config(config)
            .ui(ui, |ui| {
                ui.checkbox(&mut self.export_reveal, "Write identifier values in full");
                if !self.export_reveal {
                    ui.label(RichText::new("Identifier values are masked, for example ******7890.").weak());
                }
                let n = self.total.unwrap_or(0);
                if ui.button(format!("Export {n} check(s) as CSV…")).clicked() {
                    ui.close();
                    if let Some(path) = crate::ui::widgets::file_dialogs(ui.ctx()).save_export("ibr-desk-checks.csv") {
                        cmds.send(Command::ExportHistory {
                            filter: self.controls.to_filter(),
                            path,
                            reveal: self.export_reveal,
                        });
                    }
                }
            });
    }

    fn table_ui(&mut self, ui: &mut Ui, data: &AppData, cmds: &Commands) {
        let total = self.total.unwrap_or(0);
        match self.total {
            None => {
                ui.label("Loading the history…");
                return;
            }
            Some(0) => {
                ui.add_space(theme::SPACING);
                if self.controls == FilterControls::default() {
                    ui.label("No checks yet. Open “New check” to check an applicant.");
                    if data.demo_source_id.is_some() {
                        ui.add_space(theme::SPACING);
                        ui.label("Or see what results look like first:");
                        if ui
                            .button("Run sample checks on the demo registry")
                            .on_hover_text(
                                "Checks a few synthetic applicants of each kind against the built-in demo registry",
                            )
                            .clicked()
                        {
                            cmds.send(Command::RunSampleChecks);
                        }
                    }
                } else {
                    ui.label("No check matches these filters.");
                }
                return;
            }
            Some(n) => {
                ui.label(format!("{n} check(s)"));
            }
        }
        let mut wanted: HashSet<u64> = HashSet::new();
        let mut clicked = None;
        let selected = self.selected;
        let reveal = self.reveal_identifiers;
        let mut table = TableBuilder::new(ui);
        if let Some(row) = self.scroll_to.take() {
            table = table.scroll_to_row(row.min(total.saturating_sub(1)) as usize, Some(egui::Align::TOP));
        }
        table
            .id_salt("history")
            .striped(true)
            .sense(egui::Sense::click())
            .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
            .column(Column::exact(150.0))
            .column(Column::exact(150.0))
            .column(Column::initial(190.0).at_least(120.0).clip(true))
            .column(Column::initial(160.0).at_least(100.0).clip(true))
            .column(Column::remainder().at_least(120.0).clip(true))
            .header(22.0, |mut h| {
                for title in ["Date", "Result", "Applicant", "Identifier", "Data source"] {
                    h.col(|ui| {
                        ui.strong(title);
                    });
                }
            })
            .body(|body| {
                body.rows(theme::ROW_HEIGHT, total as usize, |mut row| {
                    let index = row.index() as u64;
                    wanted.insert(index / u64::from(PAGE_SIZE));
                    match self.row(index) {
                        Some(c) => {
                            row.set_selected(selected == Some(c.id));
                            // Cells are not selectable text, so a click anywhere selects the row.
                            let cell = |ui: &mut Ui, text: String| {
                                ui.add(egui::Label::new(text).selectable(false));
                            };
                            row.col(|ui| {
                                cell(
                                    ui,
                                    c.check_date
                                        .with_timezone(&chrono::Local)
                                        .format("%Y-%m-%d %H:%M")
                                        .to_string(),
                                );
                            });
                            row.col(|ui| {
                                check_badge(ui, c);
                            });
                            row.col(|ui| {
                                cell(ui, c.applicant.display_name());
                            });
                            row.col(|ui| {
                                let v = if reveal {
                                    c.identifier_value.clone()
                                } else {
                                    mask(&c.identifier_value)
                                };
                                ui.add(
                                    egui::Label::new(RichText::new(format!("{} {v}", c.identifier_type)).monospace())
                                        .selectable(false),
                                );
                            });
                            row.col(|ui| {
                                cell(ui, c.data_source_name.clone());
                                if data.is_demo(c.data_source_id) {
                                    ui.add(egui::Label::new(RichText::new("(demo data)").weak()).selectable(false));
                                }
                            });
                            if row.response().clicked() {
                                clicked = Some(c.id);
                            }
                        }
                        None => {
                            for _ in 0..5 {
                                row.col(|ui| {
                                    ui.weak("…");
                                });
                            }
                        }
                    }
                });
            });
        for p in &wanted {
            if !self.pages.contains_key(p) {
                self.request(*p, cmds);
            }
        }
        self.visible_pages = wanted;
        if let Some(id) = clicked {
            self.select(id, cmds);
        }
    }

    fn detail_ui(&mut self, ui: &mut Ui, data: &AppData, cmds: &Commands) {
        let Some(d) = &self.detail else {
            ui.label("Loading the check…");
            return;
        };
        let c = &d.check;
        ui.horizontal(|ui| {
            check_badge(ui, c);
            ui.heading(c.applicant.display_name());
        });
        ui.horizontal(|ui| {
            ui.weak(format!("Check {}", c.id));
            if ui.small_button("Close").clicked() {
                self.selected = None;
            }
        });
        if data.is_demo(c.data_source_id) {
            ui.colored_label(
                theme::warning_text(ui.visuals().dark_mode),
                "Demo data: the built-in demo registry holds synthetic people only.",
            );
        }
        ui.separator();
        let mut reveal = self.reveal_identifiers;
        egui::ScrollArea::vertical().id_salt("detail-scroll").show(ui, |ui| {
            summary_grid(ui, c, &mut reveal);
            ui.add_space(theme::SPACING);
            match c.state {
                CheckState::Completed => {
                    if let Some(e) = &c.explanation {
                        ui.label(RichText::new(hide_ids(e, c, reveal)).strong());
                    }
                    if !c.matched_programs.is_empty() {
                        ui.add_space(theme::SPACING / 2.0);
                        ui.label("Matched programmes:");
                        for p in &c.matched_programs {
                            ui.label(format!("  • {p}"));
                        }
                    }
                }
                CheckState::Failed => {
                    ui.colored_label(
                        theme::error_text(ui.visuals().dark_mode),
                        failure_sentence(c.error_kind.as_deref()),
                    );
                    ui.label("The check has no result: it was not treated as “no match”.");
                    egui::CollapsingHeader::new("Technical detail")
                        .id_salt("failure-detail")
                        .show(ui, |ui| {
                            ui.label(format!("Kind: {}", c.error_kind.as_deref().unwrap_or("unknown")));
                            ui.label(hide_ids(c.error_message.as_deref().unwrap_or(""), c, reveal));
                        });
                    if ui
                        .button("⟲ Retry")
                        .on_hover_text("Put the check back in the queue")
                        .clicked()
                    {
                        cmds.send(Command::RetryCheck {
                            check_id: c.id,
                            reply: None,
                        });
                    }
                }
                CheckState::Ready | CheckState::Checking => {
                    ui.label(if c.state == CheckState::Checking {
                        "Waiting for the registry's answer…"
                    } else {
                        "Queued: it runs as soon as the registry answers."
                    });
                    if let (Some(kind), Some(msg)) = (&c.error_kind, &c.error_message) {
                        ui.colored_label(
                            theme::warning_text(ui.visuals().dark_mode),
                            failure_sentence(Some(kind)),
                        );
                        if let Some(t) = c.next_attempt_at {
                            ui.label(format!(
                                "Next attempt at {} (attempt {} so far).",
                                t.with_timezone(&chrono::Local).format("%H:%M:%S"),
                                c.attempts
                            ));
                        }
                        egui::CollapsingHeader::new("Technical detail")
                            .id_salt("queued-detail")
                            .show(ui, |ui| {
                                ui.label(hide_ids(msg, c, reveal));
                            });
                    }
                }
            }
            if !d.candidates.is_empty() {
                ui.add_space(theme::SPACING);
                ui.heading("Applicant and candidates");
                comparison_grid(ui, c, &d.candidates, reveal);
            }
            ui.add_space(theme::SPACING);
            egui::CollapsingHeader::new("Raw reply")
                .id_salt("raw-reply")
                .show(ui, |ui| match &d.reply_excerpt {
                    Some(text) => {
                        let pretty = serde_json::from_str::<serde_json::Value>(text)
                            .and_then(|v| serde_json::to_string_pretty(&v))
                            .unwrap_or_else(|_| text.clone());
                        let shown = if reveal {
                            pretty
                        } else {
                            mask_all_ids(&pretty, c, &d.candidates)
                        };
                        ui.add(egui::Label::new(RichText::new(shown).monospace().size(11.0)).wrap());
                    }
                    None => {
                        ui.label("No reply was recorded for this check.");
                    }
                });
            egui::CollapsingHeader::new("History of this check")
                .id_salt("audit")
                .show(ui, |ui| {
                    for a in &d.audit {
                        ui.label(format!(
                            "{}  {}  {}",
                            a.at.with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M:%S"),
                            a.actor,
                            a.action.replace('_', " ")
                        ));
                    }
                });
        });
        self.reveal_identifiers = reveal;
    }
}

fn state_label(s: CheckState) -> &'static str {
    match s {
        CheckState::Ready => "Queued",
        CheckState::Checking => "Checking",
        CheckState::Completed => "Completed",
        CheckState::Failed => "Failed",
    }
}

/// An optional date filter: a checkbox that turns it on, then a picker.
fn date_filter(ui: &mut Ui, label: &str, id: &str, value: &mut Option<NaiveDate>, pick: &mut Option<NaiveDate>) {
    let mut on = value.is_some();
    if ui.checkbox(&mut on, label).changed() {
        *value = if on {
            Some(pick.unwrap_or_else(|| Utc::now().date_naive()))
        } else {
            None
        };
    }
    if let Some(d) = value {
        date_picker(ui, id, d);
        *pick = Some(*d);
    }
}

/// What a kind of failure means, for a field officer.
pub fn failure_sentence(kind: Option<&str>) -> &'static str {
    match kind {
        Some("unreachable") => "The registry could not be reached.",
        Some("timeout") => "The registry did not answer in time.",
        Some("http") => "The registry answered with an error.",
        Some("auth") => "The registry refused IBR Desk's credentials.",
        Some("signature") => "The registry's answer could not be trusted: its signature did not check out.",
        Some("malformed") => "The registry's answer could not be understood.",
        Some("rejected") => "The registry rejected the search.",
        Some("incomplete") => "The registry did not give a final answer.",
        Some("config") => "The data source is not set up correctly.",
        Some("keyring") => "The OS keyring did not answer.",
        _ => "The check could not be completed.",
    }
}

/// Every identifier value of the check and its candidates masked.
fn mask_all_ids(text: &str, c: &DuplicationCheck, candidates: &[MatchCandidate]) -> String {
    let values = c
        .queries
        .iter()
        .filter_map(|q| match &q.kind {
            QueryKind::Identifier { value, .. } => Some(value.as_str()),
            QueryKind::Demographic { .. } => None,
        })
        .chain(
            candidates
                .iter()
                .flat_map(|k| k.identifiers.iter().map(|i| i.value.as_str())),
        )
        .filter(|v| v.len() >= 3);
    mask_all(text, values)
}

fn summary_grid(ui: &mut Ui, c: &DuplicationCheck, reveal: &mut bool) {
    egui::Grid::new("check-summary")
        .num_columns(2)
        .spacing([12.0, 4.0])
        .show(ui, |ui| {
            ui.label("Identifier");
            ui.horizontal(|ui| {
                let v = if *reveal {
                    c.identifier_value.clone()
                } else {
                    mask(&c.identifier_value)
                };
                ui.monospace(format!("{} {v}", c.identifier_type));
                if ui.small_button(if *reveal { "Hide" } else { "Reveal" }).clicked() {
                    *reveal = !*reveal;
                }
            });
            ui.end_row();
            let others: Vec<String> = c
                .queries
                .iter()
                .skip(1)
                .map(|q| match &q.kind {
                    QueryKind::Identifier { id_type, value } => {
                        format!("{id_type} {}", if *reveal { value.clone() } else { mask(value) })
                    }
                    QueryKind::Demographic { .. } => "name and birth date".to_string(),
                })
                .collect();
            if !others.is_empty() {
                ui.label("Also searched");
                ui.label(others.join(", "));
                ui.end_row();
            }
            ui.label("Born");
            ui.label(
                c.applicant
                    .birth_date
                    .map_or("not given".to_string(), |d| d.to_string()),
            );
            ui.end_row();
            ui.label("Data source");
            ui.label(&c.data_source_name);
            ui.end_row();
            ui.label("Reason");
            ui.label(c.search_reason.label());
            ui.end_row();
            ui.label("Requested");
            ui.label(
                c.check_date
                    .with_timezone(&chrono::Local)
                    .format("%Y-%m-%d %H:%M:%S")
                    .to_string(),
            );
            ui.end_row();
            if let Some(f) = c.finished_at {
                ui.label("Finished");
                ui.label(f.with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M:%S").to_string());
                ui.end_row();
            }
            ui.label("Attempts");
            ui.label(c.attempts.to_string());
            ui.end_row();
            if let Some(s) = &c.signature_note {
                ui.label("Reply");
                ui.label(s);
                ui.end_row();
            }
            if let Some(t) = &c.transaction_id {
                ui.label("Transaction");
                ui.monospace(t);
                ui.end_row();
            }
            if let Some(t) = &c.correlation_id {
                ui.label("Correlation");
                ui.monospace(t);
                ui.end_row();
            }
        });
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_days_cover_the_whole_day() {
        let c = FilterControls {
            from: NaiveDate::from_ymd_opt(2026, 1, 1),
            to: NaiveDate::from_ymd_opt(2026, 1, 31),
            text: "  amina ".into(),
            ..Default::default()
        };
        let f = c.to_filter();
        assert_eq!(f.from.unwrap().to_rfc3339(), "2026-01-01T00:00:00+00:00");
        assert_eq!(f.to.unwrap().to_rfc3339(), "2026-02-01T00:00:00+00:00");
        assert_eq!(f.text.as_deref(), Some("amina"));
        assert_eq!(FilterControls::default().to_filter(), CheckFilter::default());
    }

    #[test]
    fn failures_have_sentences() {
        assert_eq!(failure_sentence(Some("rejected")), "The registry rejected the search.");
        assert!(failure_sentence(None).ends_with('.'));
    }
}
