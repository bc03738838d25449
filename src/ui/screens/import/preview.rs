//! Step 3 of the import: the first rows as they will be imported, each
//! with its row number and, if it will be refused, why; identifier values
//! masked unless shown.

use egui::{RichText, Ui};

use super::ImportScreen;
use crate::roster::{Field, RosterPreview};
use crate::ui::theme;
use crate::ui::widgets::{mask, section_heading};

impl ImportScreen {
    /// Step 3: the first rows.
    pub(super) fn preview_ui(&mut self, ui: &mut Ui, preview: &RosterPreview) {
        section_heading(ui, "3. Preview");
        if preview.rows.is_empty() {
            ui.label("The file has no rows to import.");
            return;
        }
        ui.horizontal(|ui| {
            ui.label(format!(
                "The first {} row(s){}, as they will be imported:",
                preview.rows.len(),
                if preview.more_rows { " of the file" } else { "" }
            ));
            ui.checkbox(&mut self.reveal, "Show identifier values");
        });
        let error = theme::error_text(ui.visuals().dark_mode);
        egui::ScrollArea::horizontal()
            .id_salt("import-preview-rows")
            .show(ui, |ui| {
                egui::Grid::new("import-preview-grid")
                    .striped(true)
                    .spacing([12.0, 4.0])
                    .show(ui, |ui| {
                        ui.strong("Row");
                        for f in Field::ALL {
                            ui.strong(f.label());
                        }
                        ui.strong("Will be");
                        ui.end_row();
                        for r in &preview.rows {
                            ui.label(r.row.to_string());
                            for (f, v) in Field::ALL.iter().zip(&r.values) {
                                if *f == Field::IdValue && !self.reveal && !v.is_empty() {
                                    ui.monospace(mask(v));
                                } else {
                                    ui.label(v);
                                }
                            }
                            match &r.problem {
                                None => ui.label("✔ imported"),
                                Some(why) => ui.add(
                                    egui::Label::new(RichText::new(format!("✖ rejected: {why}")).color(error)).wrap(),
                                ),
                            };
                            ui.end_row();
                        }
                    });
            });
        let refused = preview.rows.iter().filter(|r| r.problem.is_some()).count();
        if refused > 0 {
            ui.label(
                RichText::new(format!(
                    "{refused} of these row(s) will be rejected and written, with the reason, to a file beside the \
                     roster (in IBR Desk's data folder when the roster's folder is read-only). Every other row is \
                     imported."
                ))
                .weak(),
            );
        }
    }
}
