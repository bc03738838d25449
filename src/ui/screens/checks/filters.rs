//! The Checks screen's filter bar (result, state, data source, dates,
//! text, order) and its export menu.

use chrono::NaiveDate;
use egui::{RichText, Ui};

use super::wording::state_label;
use super::{ChecksScreen, FilterControls};
use crate::domain::{CheckState, MatchResult};
use crate::engine::Command;
use crate::ui::state::{AppData, Commands};
use crate::ui::widgets::date_picker;

impl ChecksScreen {
    pub(super) fn filters_ui(&mut self, ui: &mut Ui, data: &AppData, cmds: &Commands) {
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
    pub(super) fn export_menu(&mut self, ui: &mut Ui, cmds: &Commands) {
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
                        let (filter, reveal) = (self.controls.to_filter(), self.export_reveal);
                        self.export = Some(cmds.request(|reply| Command::ExportHistory {
                            filter,
                            path,
                            reveal,
                            reply,
                        }));
                    }
                }
            });
    }
}

/// An optional date filter: a checkbox that turns it on, then a picker.
fn date_filter(ui: &mut Ui, label: &str, id: &str, value: &mut Option<NaiveDate>, pick: &mut Option<NaiveDate>) {
    let mut on = value.is_some();
    if ui.checkbox(&mut on, label).changed() {
        *value = if on {
            Some(pick.unwrap_or_else(crate::clock::today))
        } else {
            None
        };
    }
    if let Some(d) = value {
        date_picker(ui, id, d);
        *pick = Some(*d);
    }
}
