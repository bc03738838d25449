//! The New check form as a model: the applicant as typed (names, birth
//! date, sex, identifier rows), checked as of a given day with the domain's
//! rules (`NewRegistrant::validate`), each problem beside its field and
//! what is still missing said next to "Run check". No egui:
//! `screens::new_check` draws it.

use chrono::NaiveDate;

use crate::domain::{IdType, Identifier, NewRegistrant, Sex};
use crate::ui::forms::{Problem, optional};

/// The sex as the form offers it; "not stated" sends none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SexChoice {
    #[default]
    NotStated,
    Female,
    Male,
}

impl SexChoice {
    pub const ALL: [SexChoice; 3] = [SexChoice::NotStated, SexChoice::Female, SexChoice::Male];

    pub fn label(self) -> &'static str {
        match self {
            SexChoice::NotStated => "not stated",
            SexChoice::Female => "female",
            SexChoice::Male => "male",
        }
    }

    pub fn sex(self) -> Option<Sex> {
        match self {
            SexChoice::NotStated => None,
            SexChoice::Female => Some(Sex::Female),
            SexChoice::Male => Some(Sex::Male),
        }
    }
}

/// One identifier row of the form.
#[derive(Debug, Clone, PartialEq)]
pub struct IdRow {
    pub id_type: IdType,
    pub value: String,
}

/// The applicant as typed.
#[derive(Debug, Clone, PartialEq)]
pub struct ApplicantForm {
    pub given_name: String,
    pub surname: String,
    /// `YYYY-MM-DD`, or empty when not known.
    pub birth_date: String,
    pub sex: SexChoice,
    pub identifiers: Vec<IdRow>,
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
pub struct Review {
    pub registrant: Option<NewRegistrant>,
    pub birth_date: Option<Problem>,
    /// One entry per identifier row.
    pub identifiers: Vec<Option<Problem>>,
    /// What must still be typed before the check can run.
    pub missing: Option<String>,
    /// A rule of the domain that no single field shows.
    pub other: Option<Problem>,
}

impl ApplicantForm {
    /// Checks the form as of `today` (a birth date cannot be after it).
    pub fn review(&self, today: NaiveDate) -> Review {
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
            given_name: optional(&self.given_name),
            surname: optional(&self.surname),
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
    pub fn add_identifier(&mut self) {
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

/// Reads the optional birth date, with the domain's rule on future dates.
pub fn parse_birth_date(text: &str, today: NaiveDate) -> Result<Option<NaiveDate>, Problem> {
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

    #[test]
    fn an_empty_row_among_several_is_named_by_its_number() {
        let mut f = filled();
        f.identifiers[1].value = "  ".into();
        assert_eq!(
            f.review(today()).missing.as_deref(),
            Some("Type the BRN of identifier 2, or remove that row.")
        );
    }

    #[test]
    fn today_is_a_valid_birth_date_and_empty_is_none() {
        assert_eq!(
            parse_birth_date("2025-06-01", today()),
            Ok(NaiveDate::from_ymd_opt(2025, 6, 1))
        );
        assert_eq!(parse_birth_date("  ", today()), Ok(None));
        assert!(parse_birth_date("2025-06-02", today()).is_err());
    }

    #[test]
    fn not_stated_sends_no_sex() {
        assert_eq!(SexChoice::NotStated.sex(), None);
        assert_eq!(SexChoice::Male.sex(), Some(Sex::Male));
        assert!(SexChoice::ALL.iter().all(|c| !c.label().is_empty()));
    }

    #[test]
    fn every_type_given_falls_back_to_uin() {
        let mut f = ApplicantForm::default();
        for _ in 0..IdType::STANDARD.len() {
            f.add_identifier();
        }
        assert_eq!(f.identifiers.last().map(|r| r.id_type.clone()), Some(IdType::Uin));
    }
}
