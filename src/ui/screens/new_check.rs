//! New check: the applicant's name, birth date, sex and identifiers, the
//! registry to ask and why. "Run check" (or Enter) queues the check and
//! moves to the Checks screen, where its row appears at once and changes as
//! the registry answers — or waits in the queue while it is offline.
//!
//! The form is checked as it is typed, with the domain's own rules
//! (`NewRegistrant::validate`), and each problem is shown beside the field
//! it is about; what is still missing is said next to the button. That
//! model is `ui::forms::applicant`; this file draws it and sends the check.

use chrono::{Datelike, NaiveDate};
use egui::{RichText, Ui};

use crate::domain::{IdType, SearchReason};
use crate::engine::event::SourceInfo;
use crate::engine::{CheckSubject, Command, Pending};
use crate::ui::forms::applicant::{ApplicantForm, Review, SexChoice, parse_birth_date};
use crate::ui::forms::source_label;
use crate::ui::screens::{AnswerCtx, Navigate, Screen, ScreenCtx, View};
use crate::ui::state::{AppData, Commands};
use crate::ui::theme;
use crate::ui::widgets::{
    Problem, entered, field_note, field_problem, form_row, problem_text, section_heading, under_field, warning,
};

/// Width of the identifier number fields.
const ID_VALUE_WIDTH: f32 = 220.0;

/// The New check screen.
#[derive(Default)]
pub struct NewCheckScreen {
    form: ApplicantForm,
    /// The data source chosen; follows the first active one until chosen.
    source: Option<i64>,
    reason: SearchReason,
    /// Put the cursor in the first field on the next frame.
    focus_first: bool,
    /// The last check sent, until the engine says it is queued.
    submitted: Option<(Pending<i64>, ApplicantForm)>,
    /// Why the last check was not queued.
    submit_error: Option<Problem>,
}

impl View for NewCheckScreen {
    fn on_show(&mut self, _data: &AppData, _cmds: &Commands) {
        self.focus_first = true;
    }

    fn poll(&mut self, _cx: &mut AnswerCtx<'_>) {
        self.poll_submission();
    }

    fn ui(&mut self, ui: &mut Ui, cx: &mut ScreenCtx<'_>) {
        self.poll_submission();
        let today = crate::clock::today();
        egui::ScrollArea::vertical().auto_shrink([false, false]).show(ui, |ui| {
            ui.heading("New check");
            ui.label(
                RichText::new("Find out whether an applicant is already enrolled, by asking the registry.").weak(),
            );
            if let Some(p) = &self.submit_error {
                problem_text(ui, "new-check-submit", p);
            }
            let mut enter = self.applicant_fields(ui, today);
            let shown = self.form.review(today);
            enter |= self.identifier_rows(ui, &shown);
            let source = self.registry_fields(ui, cx);
            ui.add_space(theme::SPACING * 2.0);
            // Reviewed again: a key typed in this frame belongs to the check.
            let review = self.form.review(today);
            self.run_button(ui, cx, &review, source, enter);
        });
    }
}

impl NewCheckScreen {
    /// Name, birth date and sex; returns whether Enter was pressed in a field.
    fn applicant_fields(&mut self, ui: &mut Ui, today: NaiveDate) -> bool {
        section_heading(ui, "Applicant");
        let f = &mut self.form;
        let mut enter = false;
        let r = form_row(ui, "Given name", |ui| {
            ui.add(egui::TextEdit::singleline(&mut f.given_name).desired_width(360.0))
        });
        if std::mem::take(&mut self.focus_first) {
            r.request_focus();
        }
        enter |= entered(ui, &r);
        let r = form_row(ui, "Surname", |ui| {
            ui.add(egui::TextEdit::singleline(&mut f.surname).desired_width(360.0))
        });
        enter |= entered(ui, &r);
        let r = form_row(ui, "Birth date", |ui| {
            let r = ui.add(
                egui::TextEdit::singleline(&mut f.birth_date)
                    .hint_text("YYYY-MM-DD")
                    .desired_width(120.0),
            );
            birth_date_calendar(ui, &mut f.birth_date, today);
            r
        });
        enter |= entered(ui, &r);
        match parse_birth_date(&f.birth_date, today) {
            Err(p) => field_problem(ui, "birth-date", &p),
            Ok(_) => field_note(
                ui,
                "Optional. With the name, it lets the registry find the person without an identifier.",
            ),
        }
        form_row(ui, "Sex", |ui| {
            egui::ComboBox::from_id_salt("new-check-sex")
                .selected_text(f.sex.label())
                .show_ui(ui, |ui| {
                    for s in SexChoice::ALL {
                        ui.selectable_value(&mut f.sex, s, s.label());
                    }
                })
                .response
        });
        enter
    }

    /// The identifier rows and "Add identifier"; returns whether Enter was pressed.
    fn identifier_rows(&mut self, ui: &mut Ui, review: &Review) -> bool {
        section_heading(ui, "Identifiers");
        under_field(ui, |ui| {
            ui.label(RichText::new("At least one, exactly as written on the document.").weak());
        });
        let mut enter = false;
        let mut remove = None;
        let rows = self.form.identifiers.len();
        for (i, row) in self.form.identifiers.iter_mut().enumerate() {
            let n = i + 1;
            ui.horizontal(|ui| {
                ui.add_sized([theme::LABEL_WIDTH, 20.0], egui::Label::new(format!("Identifier {n}")));
                id_type_picker(ui, i, &mut row.id_type);
                let value = ui
                    .add(
                        egui::TextEdit::singleline(&mut row.value)
                            .hint_text("number")
                            .desired_width(ID_VALUE_WIDTH),
                    )
                    .accessible_name(format!("Identifier {n} number"));
                enter |= entered(ui, &value);
                let remove_button = ui
                    .add_enabled(rows > 1, egui::Button::new("Remove"))
                    .accessible_name(format!("Remove identifier {n}"))
                    .on_hover_text(format!("Remove identifier {n}"))
                    .on_disabled_hover_text("The applicant needs at least one identifier.");
                if remove_button.clicked() {
                    remove = Some(i);
                }
                ui.label(RichText::new(row.id_type.describe()).weak());
            });
            if let Some(Some(p)) = review.identifiers.get(i) {
                field_problem(ui, &format!("identifier-{n}"), p);
            }
        }
        if let Some(i) = remove {
            self.form.identifiers.remove(i);
        }
        under_field(ui, |ui| {
            if ui.button("Add identifier").clicked() {
                self.form.add_identifier();
            }
        });
        enter
    }

    /// The data source and the reason; returns the data source chosen.
    fn registry_fields(&mut self, ui: &mut Ui, cx: &mut ScreenCtx<'_>) -> Option<i64> {
        section_heading(ui, "Registry");
        if cx.data.config.is_none() {
            under_field(ui, |ui| ui.label("Loading the data sources…"));
            return None;
        }
        let data = cx.data;
        let active: Vec<&SourceInfo> = data.sources().iter().filter(|s| s.source.active).collect();
        if !active.iter().any(|s| Some(s.source.id) == self.source) {
            self.source = active.first().map(|s| s.source.id);
        }
        if active.is_empty() {
            no_source(ui, cx);
        } else {
            self.source_picker(ui, cx, &active);
        }
        form_row(ui, "Reason", |ui| {
            egui::ComboBox::from_id_salt("new-check-reason")
                .selected_text(self.reason.label())
                .show_ui(ui, |ui| {
                    for r in SearchReason::ALL {
                        ui.selectable_value(&mut self.reason, r, r.label());
                    }
                })
                .response
        });
        field_note(ui, "Kept with the check in the audit log.");
        self.source
    }

    fn source_picker(&mut self, ui: &mut Ui, cx: &ScreenCtx<'_>, active: &[&SourceInfo]) {
        let chosen = active.iter().find(|s| Some(s.source.id) == self.source).copied();
        form_row(ui, "Data source", |ui| {
            egui::ComboBox::from_id_salt("new-check-source")
                .selected_text(chosen.map(|s| source_label(&s.source)).unwrap_or_default())
                .width(360.0)
                .show_ui(ui, |ui| {
                    for s in active {
                        ui.selectable_value(&mut self.source, Some(s.source.id), source_label(&s.source));
                    }
                })
                .response
        });
        let Some(chosen) = chosen else { return };
        under_field(ui, |ui| {
            let online = cx.data.online(chosen.source.id);
            ui.horizontal_wrapped(|ui| {
                ui.label(RichText::new("⏺").color(theme::status_colour(online)));
                ui.label(match online {
                    Some(true) => "Online: the check runs at once.",
                    Some(false) => "Offline: the check waits in the queue and runs when the registry answers again.",
                    None => "Not asked yet: the check runs as soon as the registry answers.",
                });
            });
            if chosen.source.is_demo {
                warning(
                    ui,
                    "Demo data: the answer comes from synthetic people, not from a real registry.",
                );
            }
        });
    }

    /// "Run check", or what is still needed before it can run.
    fn run_button(&mut self, ui: &mut Ui, cx: &mut ScreenCtx<'_>, review: &Review, source: Option<i64>, enter: bool) {
        let why_not = if let Some(m) = &review.missing {
            Some(m.clone())
        } else if review.registrant.is_none() {
            Some("Correct what is marked in red first.".to_string())
        } else if source.is_none() {
            Some("Choose a data source first.".to_string())
        } else {
            None
        };
        if let Some(p) = &review.other {
            field_problem(ui, "applicant", p);
        }
        let mut run = false;
        ui.horizontal(|ui| {
            ui.add_space(theme::LABEL_WIDTH + ui.spacing().item_spacing.x);
            let button = ui.add_enabled(
                why_not.is_none(),
                egui::Button::new(RichText::new("Run check").strong()),
            );
            run = button.clicked();
            match &why_not {
                Some(reason) => {
                    button.on_disabled_hover_text(reason.as_str());
                    ui.label(RichText::new(reason.as_str()).weak());
                }
                None => {
                    ui.label(RichText::new("Enter in any field also runs the check.").weak());
                }
            }
        });
        if (run || enter)
            && let (Some(registrant), Some(data_source_id)) = (review.registrant.clone(), source)
        {
            let reason = self.reason;
            let answer = cx.cmds.request(|reply| Command::SubmitCheck {
                registrant: CheckSubject::New(registrant),
                data_source_id,
                reason,
                reply,
            });
            *cx.navigate = Some(Navigate::To(Screen::Checks));
            self.submitted = Some((answer, std::mem::take(&mut self.form)));
            self.submit_error = None;
        }
    }

    /// Looks (without waiting) whether the engine queued the last check. A
    /// check that was not queued gives its applicant back to the form, so
    /// nothing typed is lost, and says why.
    fn poll_submission(&mut self) {
        let Some((answer, _)) = self.submitted.as_mut() else {
            return;
        };
        let Some(outcome) = answer.poll() else { return };
        let outcome = outcome.err().map(|e| e.detail);
        let Some((_, form)) = self.submitted.take() else { return };
        if let Some(e) = outcome {
            let restored = self.form == ApplicantForm::default();
            if restored {
                self.form = form;
            }
            self.submit_error = Some(Problem::with_detail(
                if restored {
                    "the last check was not queued. The applicant's details are back in the form: run it again"
                } else {
                    "the last check was not queued: type the applicant's details again and run it again"
                },
                e,
            ));
        }
    }
}

/// The identifier type of row `i`, with what each type means on hover.
fn id_type_picker(ui: &mut Ui, i: usize, id_type: &mut IdType) {
    let n = i + 1;
    egui::ComboBox::from_id_salt(("new-check-id-type", i))
        .selected_text(id_type.as_str())
        .width(70.0)
        .show_ui(ui, |ui| {
            for t in IdType::STANDARD {
                let label = t.as_str().to_string();
                let describe = t.describe().to_string();
                ui.selectable_value(id_type, t, label).on_hover_text(describe);
            }
        })
        .response
        .accessible_name(format!("Identifier {n} type"))
        .on_hover_text(id_type.describe());
}

/// A calendar beside the birth date field; picking a day writes it there.
fn birth_date_calendar(ui: &mut Ui, text: &mut String, today: NaiveDate) {
    let this_year = today.year();
    let start = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .ok()
        .or_else(|| NaiveDate::from_ymd_opt(this_year - 30, 1, 1))
        .unwrap_or(today);
    let Ok(mut date) = jiff::civil::Date::new(start.year() as i16, start.month() as i8, start.day() as i8) else {
        return;
    };
    let picked = ui
        .add(
            egui_extras::DatePickerButton::new(&mut date)
                .id_salt("new-check-birth-date")
                .format("Calendar")
                .calendar_week(false)
                .start_end_years((this_year - 120) as i16..=this_year as i16),
        )
        .accessible_name("Pick the birth date from a calendar");
    if picked.changed()
        && let Some(d) = NaiveDate::from_ymd_opt(i32::from(date.year()), date.month() as u32, date.day() as u32)
    {
        *text = d.format("%Y-%m-%d").to_string();
    }
}

/// No active data source: say what to do, and take the officer there.
fn no_source(ui: &mut Ui, cx: &mut ScreenCtx<'_>) {
    under_field(ui, |ui| {
        warning(
            ui,
            "No registry is set up yet. Add one under Data sources with the address and sign-in details your \
             registry gave you (or turn an inactive one back on).",
        );
        if ui.button("Go to Data sources").clicked() {
            *cx.navigate = Some(Navigate::To(Screen::Sources));
        }
    });
}
