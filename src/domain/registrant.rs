//! The applicant being checked.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{Identifier, Sex};
use crate::clock;

/// A person registered at the office, with the identifiers they gave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registrant {
    pub id: i64,
    pub given_name: Option<String>,
    pub surname: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub sex: Option<Sex>,
    /// At least one.
    pub identifiers: Vec<Identifier>,
    pub created_at: DateTime<Utc>,
}

impl Registrant {
    /// The name as one line ("(no name)" when neither part is known).
    pub fn display_name(&self) -> String {
        display_name(self.given_name.as_deref(), self.surname.as_deref())
    }

    /// The applicant as a check records them (the check keeps this copy
    /// whatever later happens to the registrant).
    pub fn snapshot(&self) -> super::ApplicantSnapshot {
        super::ApplicantSnapshot {
            given_name: self.given_name.clone(),
            surname: self.surname.clone(),
            birth_date: self.birth_date,
            sex: self.sex.clone(),
        }
    }

    /// Name and birth date are known: a demographic search is possible.
    pub fn has_demographics(&self) -> bool {
        self.given_name.as_deref().is_some_and(|s| !s.trim().is_empty())
            && self.surname.as_deref().is_some_and(|s| !s.trim().is_empty())
            && self.birth_date.is_some()
    }
}

/// `Given Surname`, or what is known of it.
pub fn display_name(given: Option<&str>, surname: Option<&str>) -> String {
    let n = [given, surname]
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if n.is_empty() { "(no name)".to_string() } else { n }
}

/// What a person fills in to register an applicant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewRegistrant {
    pub given_name: Option<String>,
    pub surname: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub sex: Option<Sex>,
    pub identifiers: Vec<Identifier>,
}

impl NewRegistrant {
    /// At least one identifier, every identifier of a standard type with a
    /// value, no identifier twice, and no birth date after the local today.
    pub fn validate(&self) -> Result<(), String> {
        self.validate_on(clock::today())
    }

    /// [`validate`](Self::validate) as of the day `today` (a birth date after
    /// it is in the future).
    pub fn validate_on(&self, today: NaiveDate) -> Result<(), String> {
        if self.identifiers.is_empty() {
            return Err("the applicant needs at least one identifier".into());
        }
        for (i, id) in self.identifiers.iter().enumerate() {
            if !id.id_type.is_standard() {
                return Err(format!("identifier type {} is not UIN, BRN, MRN or DRN", id.id_type));
            }
            if id.value.trim().is_empty() {
                return Err(format!("the {} has no value", id.id_type));
            }
            if id.value.trim() != id.value {
                return Err(format!("the {} {:?} has spaces around it", id.id_type, id.value));
            }
            if self.identifiers[..i].contains(id) {
                return Err(format!("{id} is given twice"));
            }
        }
        if let Some(b) = self.birth_date
            && b > today
        {
            return Err(format!("the birth date {b} is in the future"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::IdType;

    #[test]
    fn a_birth_date_today_is_valid_where_it_is_already_today() {
        // 11:30 UTC on 1 March is 2 March at UTC+14: born "today" there is
        // not in the future, though the UTC date is still 1 March.
        let now = DateTime::parse_from_rfc3339("2026-03-01T11:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let today = clock::today_in(&chrono_tz::Pacific::Kiritimati, now);
        let born = |d| NewRegistrant {
            given_name: None,
            surname: None,
            birth_date: Some(d),
            sex: None,
            identifiers: vec![Identifier {
                id_type: IdType::Uin,
                value: "1".into(),
            }],
        };
        assert_eq!(born(today).validate_on(today), Ok(()));
        let tomorrow = today.succ_opt().unwrap();
        assert!(born(tomorrow).validate_on(today).unwrap_err().contains("future"));
    }
}
