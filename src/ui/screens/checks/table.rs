//! The history table: only the rows on screen are built; a page not yet
//! here is a placeholder row, asked for once.

use std::collections::HashSet;

use egui::{RichText, Ui};
use egui_extras::{Column, TableBuilder};

use super::{ChecksScreen, FilterControls, PAGE_SIZE};
use crate::engine::Command;
use crate::ui::state::{AppData, Commands};
use crate::ui::theme;
use crate::ui::widgets::{check_badge, mask};

impl ChecksScreen {
    pub(super) fn table_ui(&mut self, ui: &mut Ui, data: &AppData, cmds: &Commands) {
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
                            self.samples = Some(cmds.request(|reply| Command::RunSampleChecks { reply }));
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
}
