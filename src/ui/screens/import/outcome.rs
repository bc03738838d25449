//! After the import: its counts, the file of rejected rows, earlier
//! imports of the same file, and the roster's checks as they run.

use egui::{RichText, Ui};

use super::{ImportScreen, Stage};
use crate::roster::RosterSettings;
use crate::ui::screens::ScreenCtx;
use crate::ui::theme;
use crate::ui::widgets::{problem_text, section_heading, warning};

impl ImportScreen {
    /// The outcome, and the roster's checks.
    pub(super) fn done(&mut self, ui: &mut Ui, cx: &mut ScreenCtx<'_>) {
        let Stage::Done(outcome) = &self.stage else { return };
        let mut again = false;
        match outcome {
            Err(p) => {
                section_heading(ui, "Import stopped");
                problem_text(ui, "import-result", p);
            }
            Ok(s) => {
                let s = s.clone();
                section_heading(
                    ui,
                    if s.cancelled {
                        "Import cancelled"
                    } else {
                        "Import finished"
                    },
                );
                egui::Grid::new("import-result").spacing([12.0, 4.0]).show(ui, |ui| {
                    ui.label("Imported");
                    ui.strong(s.imported.to_string());
                    ui.end_row();
                    ui.label("Rejected");
                    ui.strong(s.rejected.to_string());
                    ui.end_row();
                    ui.label("Checks queued");
                    ui.strong(s.queued.to_string());
                    ui.end_row();
                    ui.label("Roster");
                    ui.label(format!("{} (roster {})", s.file.display(), s.roster_id));
                    ui.end_row();
                });
                if s.cancelled {
                    warning(
                        ui,
                        &format!(
                            "Stopped after {} row(s). Import the file again to continue: rows already imported \
                             are recognised and not imported twice.",
                            s.rows_read
                        ),
                    );
                }
                if let Some(f) = &s.rejected_file {
                    ui.add_space(theme::SPACING);
                    if s.rejected_file_in_data_dir {
                        warning(
                            ui,
                            "The roster's folder cannot be written (read-only?), so the rejected rows are in IBR \
                             Desk's data folder instead.",
                        );
                    }
                    ui.label(format!(
                        "Rejected rows ({}), each with its row number and reason:",
                        s.reasons_text()
                    ));
                    ui.add(egui::Label::new(RichText::new(f.display().to_string()).monospace()).selectable(true));
                    ui.label(RichText::new("Fix them in that file and import it again.").weak());
                }
                if !s.earlier_imports.is_empty() {
                    let ids: Vec<String> = s.earlier_imports.iter().map(i64::to_string).collect();
                    warning(
                        ui,
                        &format!(
                            "This file was imported before (roster {}): its rows were not imported again.",
                            ids.join(", ")
                        ),
                    );
                }
                self.roster_checks_ui(ui, cx, s.roster_id);
            }
        }
        ui.add_space(theme::SPACING);
        if ui.button("Import another file").clicked() {
            again = true;
        }
        if again {
            self.stage = Stage::Setup;
            self.preview = None;
            self.path.clear();
            self.settings = RosterSettings::default();
            self.roster_checks = None;
        }
    }
}
