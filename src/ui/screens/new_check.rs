//! New check: the applicant's name, birth date, sex and identifiers, the
//! registry to ask and why. "Run check" (or Enter) queues the check and
//! moves to the Checks screen, where its row appears at once and changes as
//! the registry answers — or waits in the queue while it is offline.
//!
//! The form is checked as it is typed, with the domain's own rules
//! (`NewRegistrant::validate`), and each problem is shown beside the field
//! it is about; what is still missing is said next to the button.

use chrono::{Datelike, NaiveDate};
use egui::{RichText, Ui};

use crate::domain::{IdType, Identifier, NewRegistrant, SearchReason, Sex};
use crate::engine::event::SourceInfo;
use crate::engine::{CheckSubject, Command, Pending};
use crate::ui::screens::{AnswerCtx, Navigate, Screen, ScreenCtx, View};
use crate::ui::state::{AppData, Commands};
use crate::ui::theme;
use crate::ui::widgets::{
    Problem, entered, field_note, field_problem, form_row, problem_text, section_heading, under_field, warning,
};

/// Width of the identifier number fields.
const ID_VALUE_WIDTH: f32 = 220.0;

/// The sex as the form offers it; "not stated" sends none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum SexChoice {
    #[default]
    NotStated,
    Female,
    Male,
}

impl SexChoice {
    const ALL: [SexChoice; 3] = [SexChoice::NotStated, SexChoice::Female, SexChoice::Male];

    fn label(self) -> &'static str {
        match self {
            SexChoice::NotStated => "not stated",
            SexChoice::Female => "female",
            SexChoice::Male => "male",
        }
    }

    fn sex(self) -> Option<Sex> {
        match self {
            SexChoice::NotStated => None,
            SexChoice::Female => Some(Sex::Female),
            SexChoice::Male => Some(Sex::Male),
        }
    }
}

/// One identifier row of the form.
#[derive(Debug, Clone, PartialEq)]
struct IdRow {
    id_type: IdType,
    value: String,
}

/// The applicant as typed.
#[derive(Debug, Clone, PartialEq)]
struct ApplicantForm {
    given_name: String,
    surname: String,
    /// `YYYY-MM-DD`, or empty when not known.
    birth_date: String,
    sex: SexChoice,
    identifiers: Vec<IdRow>,
}

impl Default for ApplicantForm {
    fn default() -> Self {
        ApplicantForm {
            given_name: String::new(),
            surname: String::new(),
            birth_date: String::new(),
            sex: SexChoice::NotStated,
            identifiers: vec![IdRow {
                id_type: IdType::Uin,
                value: String::new(),
            }],
        }
    }
}

/// What the form holds: the applicant when everything is in order, and
/// otherwise what is wrong (beside its field) or still missing.
#[derive(Debug, Default, PartialEq)]
struct Review {
    registrant: Option<NewRegistrant>,
    birth_date: Option<Problem>,
    /// One entry per identifier row.
    identifiers: Vec<Option<Problem>>,
    /// What must still be typed before the check can run.
    missing: Option<String>,
    /// A rule of the domain that no single field shows.
    other: Option<Problem>,
}

impl ApplicantForm {
    /// Checks the form as of `today` (a birth date cannot be after it).
    fn review(&self, today: NaiveDate) -> Review {
        let mut review = Review {
            identifiers: vec![None; self.identifiers.len()],
            ..Review::default()
        };
        let birth_date = match parse_birth_date(&self.birth_date, today) {
            Ok(d) => d,
            Err(p) => {
                review.birth_date = Some(p);
                None
            }
        };
        let mut identifiers = Vec::new();
        for (i, row) in self.identifiers.iter().enumerate() {
            let value = row.value.trim();
            if value.is_empty() {
                if review.missing.is_none() {
                    review.missing = Some(if self.identifiers.len() == 1 {
                        format!(
                            "Type the applicant's {} ({}).",
                            row.id_type,
                            row.id_type.describe().to_lowercase()
                        )
                    } else {
                        format!("Type the {} of identifier {}, or remove that row.", row.id_type, i + 1)
                    });
                }
                continue;
            }
            let id = Identifier::new(row.id_type.clone(), value);
            if let Some(first) = identifiers.iter().position(|(_, other)| *other == id) {
                let n = identifiers[first].0;
                review.identifiers[i] = Some(Problem::new(format!(
                    "this {} is already given as identifier {n}: remove one of them",
                    row.id_type
                )));
                continue;
            }
            identifiers.push((i + 1, id));
        }
        let registrant = NewRegistrant {
            given_name: non_empty(&self.given_name),
            surname: non_empty(&self.surname),
            birth_date,
            sex: self.sex.sex(),
            identifiers: identifiers.into_iter().map(|(_, id)| id).collect(),
        };
        let fields_ok = review.birth_date.is_none() && review.identifiers.iter().all(Option::is_none);
        if fields_ok && review.missing.is_none() {
            match registrant.validate() {
                Ok(()) => review.registrant = Some(registrant),
                Err(e) => review.other = Some(Problem::new(e)),
            }
        }
        review
    }

    /// Adds a row with the first identifier type not given yet.
    fn add_identifier(&mut self) {
        let id_type = IdType::STANDARD
            .into_iter()
            .find(|t| !self.identifiers.iter().any(|r| r.id_type == *t))
            .unwrap_or(IdType::Uin);
        self.identifiers.push(IdRow {
            id_type,
            value: String::new(),
        });
    }
}

fn non_empty(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

/// Reads the optional birth date, with the domain's rule on future dates.
fn parse_birth_date(text: &str, today: NaiveDate) -> Result<Option<NaiveDate>, Problem> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let date = NaiveDate::parse_from_str(t, "%Y-%m-%d").map_err(|e| {
        Problem::with_detail(
            "write the birth date as year-month-day, for example 1984-03-27, or leave it empty",
            format!("{t:?}: {e}"),
        )
    })?;
    if date > today {
        return Err(Problem::new(format!("the birth date {date} is in the future")));
    }
    Ok(Some(date))
}

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
                .selected_text(chosen.map(source_label).unwrap_or_default())
                .width(360.0)
                .show_ui(ui, |ui| {
                    for s in active {
                        ui.selectable_value(&mut self.source, Some(s.source.id), source_label(s));
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

/// How a data source reads in the picker: demo data is said so.
fn source_label(s: &SourceInfo) -> String {
    if s.source.is_demo {
        format!("{} (demo data)", s.source.name)
    } else {
        s.source.name.clone()
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

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 6, 1).unwrap()
    }

    fn filled() -> ApplicantForm {
        ApplicantForm {
            given_name: "  Amina ".into(),
            surname: "Diallo".into(),
            birth_date: " 1984-03-27 ".into(),
            sex: SexChoice::Female,
            identifiers: vec![
                IdRow {
                    id_type: IdType::Uin,
                    value: " 4567890123 ".into(),
                },
                IdRow {
                    id_type: IdType::Brn,
                    value: "BRN-77".into(),
                },
            ],
        }
    }

    #[test]
    fn a_filled_form_becomes_a_trimmed_registrant() {
        let r = filled().review(today()).registrant.expect("valid");
        assert_eq!(r.given_name.as_deref(), Some("Amina"));
        assert_eq!(r.surname.as_deref(), Some("Diallo"));
        assert_eq!(r.birth_date, NaiveDate::from_ymd_opt(1984, 3, 27));
        assert_eq!(r.sex, Some(Sex::Female));
        assert_eq!(
            r.identifiers,
            vec![
                Identifier::new(IdType::Uin, "4567890123"),
                Identifier::new(IdType::Brn, "BRN-77")
            ]
        );
    }

    #[test]
    fn names_and_birth_date_are_optional() {
        let f = ApplicantForm {
            identifiers: vec![IdRow {
                id_type: IdType::Uin,
                value: "1".into(),
            }],
            ..ApplicantForm::default()
        };
        let r = f.review(today()).registrant.expect("valid");
        assert_eq!((r.given_name, r.surname, r.birth_date, r.sex), (None, None, None, None));
    }

    #[test]
    fn an_empty_form_says_what_is_missing() {
        let review = ApplicantForm::default().review(today());
        assert!(review.registrant.is_none());
        assert!(review.missing.unwrap().contains("UIN"));
    }

    #[test]
    fn bad_and_future_birth_dates_are_shown_beside_the_field() {
        let mut f = filled();
        f.birth_date = "27/03/1984".into();
        let review = f.review(today());
        assert!(review.registrant.is_none());
        assert!(review.birth_date.unwrap().message.contains("year-month-day"));
        f.birth_date = "2030-01-01".into();
        assert!(f.review(today()).birth_date.unwrap().message.contains("future"));
    }

    #[test]
    fn a_repeated_identifier_is_marked_on_its_row() {
        let mut f = filled();
        f.identifiers[1] = IdRow {
            id_type: IdType::Uin,
            value: "4567890123".into(),
        };
        let review = f.review(today());
        assert!(review.registrant.is_none());
        assert!(review.identifiers[0].is_none());
        assert!(review.identifiers[1].as_ref().unwrap().message.contains("identifier 1"));
    }

    #[test]
    fn a_new_row_takes_a_type_not_given_yet() {
        let mut f = ApplicantForm::default();
        f.add_identifier();
        assert_eq!(f.identifiers[1].id_type, IdType::Brn);
    }
}
