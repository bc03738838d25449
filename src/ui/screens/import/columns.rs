//! Step 2 of the import: how the file is read (encoding, separator,
//! header; detected, changeable) and which column holds which field
//! (guessed, changeable). Each change asks for a new preview.

use egui::Ui;

use super::ImportScreen;
use crate::domain::IdType;
use crate::roster::sniff::{DELIMITERS, delimiter_label};
use crate::roster::{Encoding, Field, RosterPreview};
use crate::ui::state::Commands;
use crate::ui::widgets::{Problem, form_row, problem_text, section_heading};

impl ImportScreen {
    /// Step 2a: encoding, separator, header.
    pub(super) fn format_ui(&mut self, ui: &mut Ui, preview: &RosterPreview, cmds: &Commands) {
        section_heading(ui, "2. Columns");
        let before = self.settings.clone();
        let f = preview.format;
        let detected = |yes: bool| if yes { " (detected)" } else { "" };
        form_row(ui, "Encoding", |ui| {
            egui::ComboBox::from_id_salt("import-encoding")
                .selected_text(f.encoding.label())
                .show_ui(ui, |ui| {
                    for e in Encoding::ALL {
                        let text = format!("{}{}", e.label(), detected(e == preview.detected.encoding));
                        if ui.selectable_label(f.encoding == e, text).clicked() {
                            self.settings.encoding = Some(e);
                        }
                    }
                })
                .response
        });
        form_row(ui, "Separator", |ui| {
            egui::ComboBox::from_id_salt("import-separator")
                .selected_text(delimiter_label(f.delimiter))
                .show_ui(ui, |ui| {
                    for d in DELIMITERS {
                        let text = format!("{}{}", delimiter_label(d), detected(d == preview.detected.delimiter));
                        if ui.selectable_label(f.delimiter == d, text).clicked() {
                            self.settings.delimiter = Some(d);
                        }
                    }
                })
                .response
        });
        let mut header = f.has_header;
        form_row(ui, "Header", |ui| {
            ui.checkbox(&mut header, "The first row names the columns")
        });
        if header != f.has_header {
            self.settings.has_header = Some(header);
        }
        if self.settings != before {
            // Other columns: guess their fields again.
            self.settings.mapping = None;
            self.request_preview(cmds);
        }
    }

    /// Step 2b: a list per field.
    pub(super) fn mapping_ui(&mut self, ui: &mut Ui, preview: &RosterPreview, cmds: &Commands) {
        let mut mapping = preview.mapping.clone();
        let column_text = |i: usize| {
            format!(
                "{}: {}",
                i + 1,
                preview.columns.get(i).map(String::as_str).unwrap_or("")
            )
        };
        for field in Field::ALL {
            let selected = match (field, mapping.get(field), &mapping.fixed_id_type) {
                (_, Some(i), _) => column_text(i),
                (Field::IdType, None, Some(t)) => format!("{t} for every row"),
                _ => "(not in the file)".to_string(),
            };
            let guessed = preview.guessed.get(field);
            form_row(ui, field.label(), |ui| {
                egui::ComboBox::from_id_salt(("import-map", field.name()))
                    .selected_text(selected)
                    .width(300.0)
                    .show_ui(ui, |ui| {
                        if ui
                            .selectable_label(mapping.get(field).is_none(), "(not in the file)")
                            .clicked()
                        {
                            mapping.set(field, None);
                            if field == Field::IdType {
                                mapping.fixed_id_type = None;
                            }
                        }
                        for i in 0..preview.columns.len() {
                            let mut text = column_text(i);
                            if guessed == Some(i) {
                                text.push_str(" (guessed)");
                            }
                            if ui.selectable_label(mapping.get(field) == Some(i), text).clicked() {
                                mapping.set(field, Some(i));
                            }
                        }
                        if field == Field::IdType {
                            for t in IdType::STANDARD {
                                let on = mapping.get(field).is_none() && mapping.fixed_id_type.as_ref() == Some(&t);
                                if ui.selectable_label(on, format!("{t} for every row")).clicked() {
                                    mapping.set(field, None);
                                    mapping.fixed_id_type = Some(t);
                                }
                            }
                        }
                    })
                    .response
            });
        }
        if mapping != preview.mapping {
            self.settings.mapping = Some(mapping);
            self.settings.encoding = Some(preview.format.encoding);
            self.settings.delimiter = Some(preview.format.delimiter);
            self.settings.has_header = Some(preview.format.has_header);
            self.request_preview(cmds);
        }
        if let Some(why) = &preview.mapping_problem {
            problem_text(ui, "import-mapping", &Problem::new(why));
        }
    }
}
