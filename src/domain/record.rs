//! A beneficiary record as a registry described it, after tolerant parsing.
//!
//! The DCI standard describes the record in two partly conflicting shapes
//! (SPEC-NOTES §8.3); `dci::record` reads both into this one form. The raw JSON
//! is kept beside the parsed fields so that nothing the registry said is lost
//! and a person can always look at the original.
//!
//! Every text here comes from a registry: nothing is cut by byte position
//! (a multi-byte character at the cut would panic), only with `get` or by
//! characters.
#![warn(clippy::string_slice, clippy::arithmetic_side_effects)]

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::IdType;

/// One identifier: a type and a value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Identifier {
    /// `UIN`, `BRN`, `MRN`, `DRN`, or another type the registry uses.
    pub id_type: IdType,
    /// The value exactly as written (identifiers are compared exactly).
    pub value: String,
}

impl Identifier {
    pub fn new(id_type: IdType, value: impl Into<String>) -> Self {
        Identifier {
            id_type,
            value: value.into(),
        }
    }
}

impl fmt::Display for Identifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.id_type, self.value)
    }
}

/// A person's name in its parts. Registries send `given_name` or
/// `first_name`, and sometimes a `second_name`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonName {
    pub given_name: Option<String>,
    pub second_name: Option<String>,
    pub surname: Option<String>,
}

impl PersonName {
    /// The name as one line, parts that are missing left out.
    pub fn full(&self) -> String {
        [&self.given_name, &self.second_name, &self.surname]
            .into_iter()
            .flatten()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    }

    pub fn is_empty(&self) -> bool {
        self.full().is_empty()
    }
}

/// Sex as recorded. Registries send `female`, `F`, `2` and more; what is not
/// recognised is kept as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Female,
    Male,
    Other(String),
}

impl Sex {
    pub fn from_wire(s: &str) -> Option<Sex> {
        let t = s.trim();
        if t.is_empty() {
            return None;
        }
        Some(match t.to_ascii_lowercase().as_str() {
            "f" | "female" | "woman" => Sex::Female,
            "m" | "male" | "man" => Sex::Male,
            _ => Sex::Other(t.to_string()),
        })
    }

    pub fn as_str(&self) -> &str {
        match self {
            Sex::Female => "female",
            Sex::Male => "male",
            Sex::Other(s) => s,
        }
    }
}

/// The IBR `EnrollmentStatusEnum`: `1` Active, `2` Deceased, `3` Graduated,
/// `4` Suspended. Registries send the code or the label; anything else is kept
/// as [`EnrolmentStatus::Unknown`] and never read as Active.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnrolmentStatus {
    Active,
    Deceased,
    Graduated,
    Suspended,
    Unknown(String),
}

impl EnrolmentStatus {
    pub fn from_wire(s: &str) -> EnrolmentStatus {
        match s.trim().to_ascii_lowercase().as_str() {
            "1" | "active" => EnrolmentStatus::Active,
            "2" | "deceased" => EnrolmentStatus::Deceased,
            "3" | "graduated" => EnrolmentStatus::Graduated,
            "4" | "suspended" => EnrolmentStatus::Suspended,
            _ => EnrolmentStatus::Unknown(s.trim().to_string()),
        }
    }

    /// The label the standard gives the status.
    pub fn label(&self) -> &str {
        match self {
            EnrolmentStatus::Active => "Active",
            EnrolmentStatus::Deceased => "Deceased",
            EnrolmentStatus::Graduated => "Graduated",
            EnrolmentStatus::Suspended => "Suspended",
            EnrolmentStatus::Unknown(s) if s.is_empty() => "not stated",
            EnrolmentStatus::Unknown(s) => s,
        }
    }

    /// The code the standard gives the status, when it has one.
    pub fn code(&self) -> Option<&'static str> {
        match self {
            EnrolmentStatus::Active => Some("1"),
            EnrolmentStatus::Deceased => Some("2"),
            EnrolmentStatus::Graduated => Some("3"),
            EnrolmentStatus::Suspended => Some("4"),
            EnrolmentStatus::Unknown(_) => None,
        }
    }

    pub fn is_active(&self) -> bool {
        matches!(self, EnrolmentStatus::Active)
    }
}

impl fmt::Display for EnrolmentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One enrolment of the person in one programme.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ProgrammeEnrolment {
    pub programme_identifier: Option<String>,
    pub programme_name: Option<String>,
    pub enrolment_status: EnrolmentStatus,
    pub enrolment_date: Option<String>,
    pub status_change_date: Option<String>,
}

impl ProgrammeEnrolment {
    /// `ID — Name`, or whichever of the two is known.
    pub fn display_name(&self) -> String {
        match (&self.programme_identifier, &self.programme_name) {
            (Some(id), Some(name)) => format!("{id} — {name}"),
            (Some(id), None) => id.clone(),
            (None, Some(name)) => name.clone(),
            (None, None) => "(programme not named)".to_string(),
        }
    }
}

/// A beneficiary record from a registry reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BeneficiaryRecord {
    /// Every typed identifier found anywhere in the record, without repeats.
    pub identifiers: Vec<Identifier>,
    /// A `member_identifier` given as a bare string (no type): the registry's
    /// own reference for the member, not a person identifier.
    pub member_reference: Option<String>,
    pub name: PersonName,
    pub sex: Option<Sex>,
    /// The birth date as the registry wrote it.
    pub birth_date: Option<String>,
    pub death_date: Option<String>,
    /// `1` member, `2` household, `3` family.
    pub assistance_unit: Option<String>,
    pub programmes: Vec<ProgrammeEnrolment>,
    /// What could not be read, in words (an unknown enrolment status, a date in
    /// an unknown form, no identifier at all). Empty for a clean record.
    pub parse_notes: Vec<String>,
    /// The record exactly as received.
    pub raw: serde_json::Value,
}

impl BeneficiaryRecord {
    /// The birth date read as a calendar date, from the forms registries use:
    /// `YYYY-MM-DD`, an RFC 3339 date-time, `DD.MM.YYYY` or `DD/MM/YYYY`.
    pub fn birth_date_parsed(&self) -> Option<NaiveDate> {
        self.birth_date.as_deref().and_then(parse_registry_date)
    }

    /// Whether the record carries exactly this identifier (type and value).
    pub fn has_identifier(&self, id_type: &IdType, value: &str) -> bool {
        self.identifiers
            .iter()
            .any(|i| &i.id_type == id_type && i.value == value)
    }

    /// Whether any enrolment is Active.
    pub fn has_active_enrolment(&self) -> bool {
        self.programmes.iter().any(|p| p.enrolment_status.is_active())
    }
}

/// Reads a date the way registries write them: `YYYY-MM-DD`, an RFC 3339
/// date-time, `YYYY-MM-DD` followed by a time (`T…` or ` …`), `DD.MM.YYYY`,
/// `DD/MM/YYYY`. Returns `None` for anything else (`1990-03-145` is not the
/// 14th; `1990年03月14日` is not read at all); callers keep the raw text.
pub fn parse_registry_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some(d);
    }
    if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(dt.date_naive());
    }
    // A date followed by a time without an offset. `split_at_checked` refuses
    // a cut inside a multi-byte character instead of panicking.
    if let Some((date, time)) = s.split_at_checked(10)
        && time.starts_with(['T', 't', ' '])
        && let Ok(d) = NaiveDate::parse_from_str(date, "%Y-%m-%d")
    {
        return Some(d);
    }
    for fmt in ["%d.%m.%Y", "%d/%m/%Y"] {
        if let Ok(d) = NaiveDate::parse_from_str(s, fmt) {
            return Some(d);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_enrolment_status_codes_and_labels() {
        assert_eq!(EnrolmentStatus::from_wire("1"), EnrolmentStatus::Active);
        assert_eq!(EnrolmentStatus::from_wire("active"), EnrolmentStatus::Active);
        assert_eq!(EnrolmentStatus::from_wire("3"), EnrolmentStatus::Graduated);
        assert_eq!(
            EnrolmentStatus::from_wire("Paused"),
            EnrolmentStatus::Unknown("Paused".into())
        );
        assert!(!EnrolmentStatus::from_wire("").is_active());
    }

    #[test]
    fn reads_registry_dates() {
        let d = NaiveDate::from_ymd_opt(2004, 5, 2).unwrap();
        assert_eq!(parse_registry_date("2004-05-02"), Some(d));
        assert_eq!(parse_registry_date("02.05.2004"), Some(d));
        assert_eq!(parse_registry_date("2004-05-02T00:00:00Z"), Some(d));
        assert_eq!(parse_registry_date("May 2004"), None);
        assert_eq!(parse_registry_date("2004-05-02T10:00:00"), Some(d));
        assert_eq!(parse_registry_date("2004-05-02 10:00"), Some(d));
    }

    #[test]
    fn multi_byte_text_is_never_cut_and_never_read_as_a_date() {
        for s in [
            "1990年03月14日",
            "1990-03-1é",
            "1990-03-1😀",
            "١٩٩٠-٠٣-١٤",
            "１９９０-03-14",
            "1990-03-14日",
            "é",
            "ééééééééééé",
        ] {
            assert_eq!(parse_registry_date(s), None, "{s:?}");
        }
    }

    #[test]
    fn a_date_with_more_after_it_is_not_that_date() {
        // Before, the first ten bytes were read whatever followed them.
        assert_eq!(parse_registry_date("1990-03-145"), None);
        assert_eq!(parse_registry_date("1990-03-14garbage"), None);
        assert_eq!(parse_registry_date("1990-03-14/15"), None);
    }

    #[test]
    fn full_name_skips_missing_parts() {
        let n = PersonName {
            given_name: Some("Amina".into()),
            second_name: None,
            surname: Some(" Diallo ".into()),
        };
        assert_eq!(n.full(), "Amina Diallo");
    }
}
