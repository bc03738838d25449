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
//! This file is the screen, its steps' state and the requests it sends;
//! `columns` (step 2), `preview` (step 3) and `outcome` (the counts after)
//! draw, and `model` holds what needs no egui: which preview answers the
//! latest request, the settings an import is started with, the progress
//! lines.
//!
//! Nothing here reads a file: the engine previews and imports
//! (`Command::PreviewRoster`, `ImportRoster`) and answers with events. The
//! only blocking call is the native file dialog, opened from a click; it is
//! behind [`FileDialogs`] (in `ui::widgets`, re-exported here) so that
//! tests give a path instead ([`set_file_dialogs`]).

mod columns;
mod model;
mod outcome;
mod preview;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use egui::{RichText, Ui};

use crate::domain::{CheckFilter, SearchReason};
use crate::engine::event::SourceInfo;
use crate::engine::{Command, Event, Pending, Query, Said};
use crate::roster::{ImportProgress, ImportSummary, RosterPreview, RosterSettings};
use crate::store::RosterCheckCounts;
use crate::ui::forms::source_label;
use crate::ui::screens::{AnswerCtx, Navigate, Screen, ScreenCtx, View, answer};
use crate::ui::state::{AppData, Commands};
use crate::ui::theme;
pub use crate::ui::widgets::{FileDialogs, set_file_dialogs};
use crate::ui::widgets::{
    Problem, entered, field_note, file_dialogs, form_row, problem_text, section_heading, warning,
};

use model::{answers, checked_of, checks_line, progress_line, read_fraction, settings_as_previewed};

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
    /// The latest preview asked for (an older one's answer is dropped with it).
    preview_request: Option<Pending<Box<RosterPreview>>>,
    import_request: Option<Pending<Box<crate::roster::ImportSummary>>>,
    /// At most one count of the roster's checks in flight.
    checks_request: Option<Pending<RosterCheckCounts>>,
    cancel_request: Option<Pending<bool>>,
    export_request: Option<Pending<Said>>,
}

impl View for ImportScreen {
    fn on_event(&mut self, event: &Event, _data: &AppData, _cmds: &Commands) {
        if let Event::ImportProgress(p) = event
            && let Stage::Importing { progress, .. } = &mut self.stage
        {
            *progress = Some(*p);
        }
    }

    fn poll(&mut self, cx: &mut AnswerCtx<'_>) {
        if let Some(r) = answer(&mut self.preview_request) {
            let r = r.map_err(|e| e.detail);
            // One read with settings changed since is not the answer: the next request's is.
            if answers(&r, &self.settings) {
                self.previewing = None;
                match r {
                    Ok(p) => {
                        self.preview = Some(*p);
                        self.preview_error = None;
                    }
                    Err(e) => {
                        self.preview = None;
                        self.preview_error = Some(Problem::new(e));
                    }
                }
            }
        }
        if let Some(r) = answer(&mut self.import_request)
            && matches!(self.stage, Stage::Importing { .. })
        {
            self.stage = Stage::Done(match r {
                Ok(s) => {
                    self.roster_checks = None;
                    self.ask_checks(s.roster_id, cx.cmds);
                    Ok(s)
                }
                Err(e) => Err(Problem::new(e.detail)),
            });
        }
        if let Some(r) = answer(&mut self.checks_request) {
            match r {
                Ok(counts) => self.roster_checks = Some(counts),
                Err(e) => cx.failed(&e),
            }
        }
        if let Some(Err(e)) = answer(&mut self.cancel_request) {
            cx.failed(&e);
        }
        cx.tell(&mut self.export_request);
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
    /// Counts the roster's checks, unless a count is already on its way.
    fn ask_checks(&mut self, roster_id: i64, cmds: &Commands) {
        if self.checks_request.is_some() {
            return;
        }
        self.checks_asked = Some(Instant::now());
        self.checks_request = Some(cmds.query(|reply| Query::RosterChecks { roster_id, reply }));
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
        self.preview_request = Some(cmds.query(|reply| Query::PreviewRoster { path, settings, reply }));
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
                .selected_text(chosen.map(|s| source_label(&s.source)).unwrap_or_default())
                .width(360.0)
                .show_ui(ui, |ui| {
                    for s in &active {
                        ui.selectable_value(&mut self.source, Some(s.source.id), source_label(&s.source));
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
            let settings = settings_as_previewed(preview);
            let (path, reason) = (preview.path.clone(), self.reason);
            self.import_request = Some(cx.cmds.request(|reply| Command::ImportRoster {
                path,
                mapping: settings,
                data_source_id,
                reason,
                rejected_file: None,
                reply,
            }));
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
        let cancel_request = &mut self.cancel_request;
        section_heading(ui, "4. Importing");
        let p = progress.unwrap_or_default();
        ui.add(
            egui::ProgressBar::new(read_fraction(&p))
                .show_percentage()
                .desired_width(520.0)
                .animate(true),
        );
        ui.label(progress_line(&p, started.elapsed()));
        if *cancelling {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Cancelling after the rows being stored…");
            });
        } else if ui.button("Cancel import").clicked() {
            *cancelling = true;
            *cancel_request = Some(cx.cmds.request(|reply| Command::CancelImport { reply }));
        }
        ui.label(
            RichText::new("Rows already imported stay, with their checks queued; nothing is half-written.").weak(),
        );
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
        ui.add(
            egui::ProgressBar::new(c.finished() as f32 / c.total() as f32)
                .desired_width(520.0)
                .text(checked_of(&c)),
        );
        ui.label(checks_line(&c));
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
            let reveal = self.export_reveal;
            self.export_request = Some(cx.cmds.request(|reply| Command::ExportHistory {
                filter: CheckFilter::default(),
                path,
                reveal,
                reply,
            }));
        }
    }
}
