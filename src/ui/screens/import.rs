//! Import roster: a CSV file of applicants becomes registrants with queued
//! checks, in four steps on one page —
//! 1. the file (a native file dialog, or a path typed or pasted);
//! 2. how it is read (encoding, separator, header; detected, changeable) and
//!    which column holds which field (guessed from the header, changeable);
//! 3. the first rows as they will be imported, each with its row number and,
//!    if it will be refused, why; the registry to ask and why; Import;
//! 4. progress (rows read, rows per second, Cancel), then the counts, the file
//!    of rejected rows, and the progress of the roster's checks as the
//!    registry answers them.
//!
//! Below, the history can be exported to CSV, identifier values masked
//! unless the officer ticks the box.
//!
//! Nothing here reads a file: the engine previews and imports
//! (`Command::PreviewRoster`, `ImportRoster`) and answers with events. The
//! only blocking call is the native file dialog, opened from a click; it is
//! behind [`FileDialogs`] (in `ui::widgets`, re-exported here) so that
//! tests give a path instead ([`set_file_dialogs`]).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use egui::{RichText, Ui};

use crate::domain::{CheckFilter, IdType, SearchReason};
use crate::engine::event::SourceInfo;
use crate::engine::{Command, Event};
use crate::roster::sniff::{DELIMITERS, delimiter_label};
use crate::roster::{Encoding, Field, ImportProgress, ImportSummary, RosterPreview, RosterSettings};
use crate::store::RosterCheckCounts;
use crate::ui::screens::{Navigate, Screen, ScreenCtx, View};
use crate::ui::state::{AppData, Commands};
use crate::ui::theme;
pub use crate::ui::widgets::{FileDialogs, set_file_dialogs};
use crate::ui::widgets::{
    Problem, entered, field_note, file_dialogs, form_row, mask, problem_text, section_heading, warning,
};

/// How often the counts of a roster's checks are asked for while they run.
const CHECKS_REFRESH: Duration = Duration::from_secs(1);

/// Where the import stands.
#[derive(Default)]
enum Stage {
    /// Choosing the file and the columns.
    #[default]
    Setup,
    Importing {
        started: Instant,
        progress: Option<ImportProgress>,
        cancelling: bool,
    },
    Done(Result<Box<ImportSummary>, Problem>),
}

/// The Import roster screen.
#[derive(Default)]
pub struct ImportScreen {
    /// The path as typed or chosen.
    path: String,
    /// The file whose preview was asked for and has not arrived.
    previewing: Option<PathBuf>,
    preview: Option<RosterPreview>,
    preview_error: Option<Problem>,
    /// The officer's choices over what was detected.
    settings: RosterSettings,
    source: Option<i64>,
    reason: SearchReason,
    /// Identifier values in the preview in full.
    reveal: bool,
    stage: Stage,
    roster_checks: Option<RosterCheckCounts>,
    checks_asked: Option<Instant>,
    export_reveal: bool,
}

impl View for ImportScreen {
    fn on_show(&mut self, data: &AppData, cmds: &Commands) {
        if data.config.is_none() {
            cmds.send(Command::LoadConfig);
        }
    }

    fn on_event(&mut self, event: &Event, _data: &AppData, cmds: &Commands) {
        match event {
            Event::RosterPreview { path, outcome }
                if self.previewing.as_ref() == Some(path) && answers(outcome, &self.settings) =>
            {
                self.previewing = None;
                match outcome {
                    Ok(p) => {
                        self.preview = Some((**p).clone());
                        self.preview_error = None;
                    }
                    Err(e) => {
                        self.preview = None;
                        self.preview_error = Some(Problem::new(e));
                    }
                }
            }
            Event::ImportProgress(p) => {
                if let Stage::Importing { progress, .. } = &mut self.stage {
                    *progress = Some(*p);
                }
            }
            Event::ImportFinished(outcome) if matches!(self.stage, Stage::Importing { .. }) => {
                self.stage = Stage::Done(match outcome {
                    Ok(s) => {
                        self.roster_checks = None;
                        self.ask_checks(s.roster_id, cmds);
                        Ok(s.clone())
                    }
                    Err(e) => Err(Problem::new(e)),
                });
            }
            Event::RosterChecks { roster_id, counts } if self.roster_id() == Some(*roster_id) => {
                self.roster_checks = Some(*counts);
            }
            _ => {}
        }
    }

    fn ui(&mut self, ui: &mut Ui, cx: &mut ScreenCtx<'_>) {
        egui::ScrollArea::vertical().auto_shrink([false, false]).show(ui, |ui| {
            ui.heading("Import roster");
            ui.label(
                RichText::new(
                    "Register many applicants from a CSV file; each gets a duplicate check, run in batches. \
                     Rows with a problem are written to a file you can fix and import again.",
                )
                .weak(),
            );
            match &self.stage {
                Stage::Setup => self.setup(ui, cx),
                Stage::Importing { .. } => self.importing(ui, cx),
                Stage::Done(_) => self.done(ui, cx),
            }
            ui.add_space(theme::SPACING * 2.0);
            ui.separator();
            self.export(ui, cx);
        });
    }
}

impl ImportScreen {
    fn roster_id(&self) -> Option<i64> {
        match &self.stage {
            Stage::Done(Ok(s)) => Some(s.roster_id),
            _ => None,
        }
    }

    fn ask_checks(&mut self, roster_id: i64, cmds: &Commands) {
        self.checks_asked = Some(Instant::now());
        cmds.send(Command::LoadRosterChecks { roster_id });
    }

    /// Asks for a preview of the file in the path field with the current settings.
    fn request_preview(&mut self, cmds: &Commands) {
        let path = PathBuf::from(self.path.trim());
        if self.path.trim().is_empty() {
            self.preview_error = Some(Problem::new("type the path of a CSV file, or choose one"));
            return;
        }
        self.previewing = Some(path.clone());
        let settings = (self.settings != RosterSettings::default()).then(|| self.settings.clone());
        cmds.send(Command::PreviewRoster { path, settings });
    }

    /// A new file: what was chosen for the last one no longer applies.
    fn new_file(&mut self, path: String, cmds: &Commands) {
        self.path = path;
        self.settings = RosterSettings::default();
        self.preview = None;
        self.preview_error = None;
        self.request_preview(cmds);
    }

    fn setup(&mut self, ui: &mut Ui, cx: &mut ScreenCtx<'_>) {
        section_heading(ui, "1. File");
        let mut preview_now = false;
        let field = form_row(ui, "Roster file", |ui| {
            ui.add(
                egui::TextEdit::singleline(&mut self.path)
                    .hint_text("path of a .csv file")
                    .desired_width(420.0),
            )
        });
        preview_now |= entered(ui, &field);
        ui.horizontal(|ui| {
            ui.add_space(theme::LABEL_WIDTH + ui.spacing().item_spacing.x);
            if ui.button("Choose file…").clicked()
                && let Some(p) = file_dialogs(ui.ctx()).pick_roster()
            {
                self.new_file(p.display().to_string(), cx.cmds);
            }
            if ui.button("Preview").clicked() {
                preview_now = true;
            }
        });
        if preview_now {
            let path = self.path.clone();
            self.new_file(path, cx.cmds);
        }
        if self.previewing.is_some() {
            ui.horizontal(|ui| {
                ui.add_space(theme::LABEL_WIDTH + ui.spacing().item_spacing.x);
                ui.spinner();
                ui.label("Reading the file…");
            });
        }
        if let Some(p) = &self.preview_error {
            problem_text(ui, "import-preview", p);
        }
        let Some(preview) = self.preview.clone() else {
            field_note(
                ui,
                "UTF-8 or Windows-1252, separated by commas, semicolons, tabs or |. Columns named given_name, \
                 surname, birth_date (YYYY-MM-DD), sex, id_type and id_value are recognised by themselves.",
            );
            return;
        };
        self.format_ui(ui, &preview, cx.cmds);
        self.mapping_ui(ui, &preview, cx.cmds);
        self.preview_ui(ui, &preview);
        self.start_ui(ui, cx, &preview);
    }

    /// Step 2a: encoding, separator, header.
    fn format_ui(&mut self, ui: &mut Ui, preview: &RosterPreview, cmds: &Commands) {
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
    fn mapping_ui(&mut self, ui: &mut Ui, preview: &RosterPreview, cmds: &Commands) {
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

    /// Step 3: the first rows.
    fn preview_ui(&mut self, ui: &mut Ui, preview: &RosterPreview) {
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

    /// The registry, the reason, and Import.
    fn start_ui(&mut self, ui: &mut Ui, cx: &mut ScreenCtx<'_>, preview: &RosterPreview) {
        let active: Vec<&SourceInfo> = cx.data.sources().iter().filter(|s| s.source.active).collect();
        if !active.iter().any(|s| Some(s.source.id) == self.source) {
            self.source = active.first().map(|s| s.source.id);
        }
        ui.add_space(theme::SPACING);
        if active.is_empty() {
            warning(ui, "There is no active data source to check the applicants against.");
            if ui.button("Add a data source").clicked() {
                *cx.navigate = Some(Navigate::To(Screen::Sources));
            }
            return;
        }
        let chosen = active.iter().find(|s| Some(s.source.id) == self.source).copied();
        form_row(ui, "Data source", |ui| {
            egui::ComboBox::from_id_salt("import-source")
                .selected_text(chosen.map(source_label).unwrap_or_default())
                .width(360.0)
                .show_ui(ui, |ui| {
                    for s in &active {
                        ui.selectable_value(&mut self.source, Some(s.source.id), source_label(s));
                    }
                })
                .response
        });
        form_row(ui, "Reason", |ui| {
            egui::ComboBox::from_id_salt("import-reason")
                .selected_text(self.reason.label())
                .show_ui(ui, |ui| {
                    for r in SearchReason::ALL {
                        ui.selectable_value(&mut self.reason, r, r.label());
                    }
                })
                .response
        });
        ui.add_space(theme::SPACING);
        let ready = preview.mapping_problem.is_none() && self.previewing.is_none();
        let button = ui
            .add_enabled(ready, egui::Button::new(RichText::new("Start import").strong()))
            .on_disabled_hover_text("Choose the columns of the identifier and its type first.");
        if button.clicked()
            && let Some(data_source_id) = self.source
        {
            let settings = RosterSettings {
                encoding: Some(preview.format.encoding),
                delimiter: Some(preview.format.delimiter),
                has_header: Some(preview.format.has_header),
                mapping: Some(preview.mapping.clone()),
                overrides: Vec::new(),
            };
            cx.cmds.send(Command::ImportRoster {
                path: preview.path.clone(),
                mapping: settings,
                data_source_id,
                reason: self.reason,
                rejected_file: None,
            });
            self.stage = Stage::Importing {
                started: Instant::now(),
                progress: None,
                cancelling: false,
            };
        }
    }

    /// Step 4: the import under way.
    fn importing(&mut self, ui: &mut Ui, cx: &mut ScreenCtx<'_>) {
        let Stage::Importing {
            started,
            progress,
            cancelling,
        } = &mut self.stage
        else {
            return;
        };
        section_heading(ui, "4. Importing");
        let p = progress.unwrap_or_default();
        let fraction = if p.bytes_total > 0 {
            p.bytes_read as f32 / p.bytes_total as f32
        } else {
            0.0
        };
        let secs = started.elapsed().as_secs_f64().max(0.001);
        ui.add(
            egui::ProgressBar::new(fraction)
                .show_percentage()
                .desired_width(520.0)
                .animate(true),
        );
        ui.label(format!(
            "{} rows read · {} imported · {} rejected · {:.0} rows/s",
            p.rows_read,
            p.imported,
            p.rejected,
            p.rows_read as f64 / secs
        ));
        if *cancelling {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Cancelling after the rows being stored…");
            });
        } else if ui.button("Cancel import").clicked() {
            *cancelling = true;
            cx.cmds.send(Command::CancelImport);
        }
        ui.label(
            RichText::new("Rows already imported stay, with their checks queued; nothing is half-written.").weak(),
        );
    }

    /// The outcome, and the roster's checks.
    fn done(&mut self, ui: &mut Ui, cx: &mut ScreenCtx<'_>) {
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

    /// The roster's checks as the registry answers them.
    fn roster_checks_ui(&mut self, ui: &mut Ui, cx: &mut ScreenCtx<'_>, roster_id: i64) {
        section_heading(ui, "Checks of this roster");
        let Some(c) = self.roster_checks else {
            ui.spinner();
            return;
        };
        if c.total() == 0 {
            ui.label("No check was queued.");
            return;
        }
        let fraction = c.finished() as f32 / c.total() as f32;
        ui.add(egui::ProgressBar::new(fraction).desired_width(520.0).text(format!(
            "{} of {} checked",
            c.finished(),
            c.total()
        )));
        ui.label(format!(
            "{} queued · {} running · {} no match · {} possible match · {} confirmed match · {} failed",
            c.ready, c.checking, c.no_match, c.possible_match, c.confirmed_match, c.failed
        ));
        if c.not_run > 0 {
            ui.label(
                RichText::new(format!(
                    "⚠ {} check(s) will not run: their data source was removed.",
                    c.not_run
                ))
                .color(ui.visuals().warn_fg_color),
            );
        }
        if c.finished() < c.total() {
            if self.checks_asked.is_none_or(|t| t.elapsed() >= CHECKS_REFRESH) {
                self.ask_checks(roster_id, cx.cmds);
            }
            ui.ctx().request_repaint_after(CHECKS_REFRESH);
        }
    }

    /// The history to CSV.
    fn export(&mut self, ui: &mut Ui, cx: &mut ScreenCtx<'_>) {
        section_heading(ui, "Export the history");
        ui.label(
            RichText::new("Every check with its result, matched programmes and the supervisor's decision, as CSV.")
                .weak(),
        );
        ui.checkbox(&mut self.export_reveal, "Write identifier values in full");
        if !self.export_reveal {
            field_note(ui, "Identifier values are masked, for example ******7890.");
        }
        if ui.button("Export CSV…").clicked()
            && let Some(path) = file_dialogs(ui.ctx()).save_export("ibr-desk-history.csv")
        {
            cx.cmds.send(Command::ExportHistory {
                filter: CheckFilter::default(),
                path,
                reveal: self.export_reveal,
            });
        }
    }
}

/// Whether a preview answers the latest request (requests run side by
/// side, so an older one may arrive last): it was read as the settings say.
fn answers(outcome: &Result<Box<RosterPreview>, String>, settings: &RosterSettings) -> bool {
    let Ok(p) = outcome else { return true };
    settings.encoding.is_none_or(|e| e == p.format.encoding)
        && settings.delimiter.is_none_or(|d| d == p.format.delimiter)
        && settings.has_header.is_none_or(|h| h == p.format.has_header)
        && settings.mapping.as_ref().is_none_or(|m| *m == p.mapping)
}

fn source_label(s: &SourceInfo) -> String {
    if s.source.is_demo {
        format!("{} (demo data)", s.source.name)
    } else {
        s.source.name.clone()
    }
}
