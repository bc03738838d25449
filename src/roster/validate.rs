//! One roster row: checked, and turned into an applicant or a reason.
//!
//! The rules, in the order they are tried (the first that fails is the
//! row's reason):
//! 1. the row has as many values as the header (otherwise a separator inside
//!    a value that is not quoted is the usual cause, and no column can be
//!    trusted);
//! 2. its bytes are text in the file's encoding;
//! 3. no mapped value is longer than [`MAX_VALUE_CHARS`] (a closing quote is
//!    probably missing);
//! 4. the identifier is not empty;
//! 5. the identifier type is one of UIN, BRN, MRN, DRN (any case);
//! 6. the birth date, when given, is written `YYYY-MM-DD` and is not in the
//!    future. Day-first dates (`27/03/1984`) are refused, not guessed:
//!    `03/04/1984` is the 3rd of April in one country and the 4th of March in
//!    another, and a wrong birth date sends the registry a wrong search;
//! 7. (in the store, see `store::rosters`) the identifier is not already on an
//!    earlier row of the file, nor registered here before.
//!
//! Names and sex are optional; sex is read as the registry's codes are
//! (`F`, `female`, `M`, `male`, other text kept as written). Values are
//! trimmed. Reasons never quote an identifier value (they may be shown on
//! screen); the rejected file holds the row itself anyway.

use std::fmt;

use chrono::NaiveDate;

use super::mapping::{ColumnMapping, Field};
use crate::domain::{IdType, Identifier, NewRegistrant, Sex};
use crate::store::IdentifierOwner;

/// The longest value a mapped field may have, in characters.
pub const MAX_VALUE_CHARS: usize = 1_000;

/// The kinds of reasons, for counting them.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    serde::Serialize,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantArray,
    strum::EnumMessage,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum RejectKind {
    #[strum(message = "wrong number of values")]
    RaggedRow,
    #[strum(message = "not valid UTF-8 text")]
    NotText,
    #[strum(message = "value too long")]
    ValueTooLong,
    #[strum(message = "missing identifier")]
    MissingIdentifier,
    #[strum(message = "missing identifier type")]
    MissingIdType,
    #[strum(message = "unknown identifier type")]
    UnknownIdType,
    #[strum(message = "malformed birth date")]
    MalformedBirthDate,
    #[strum(message = "birth date in the future")]
    FutureBirthDate,
    #[strum(message = "duplicate identifier in the file")]
    DuplicateInFile,
    #[strum(message = "identifier already registered")]
    AlreadyRegistered,
}

impl RejectKind {
    /// The stored and JSON form (`malformed_birth_date`).
    pub fn code(self) -> &'static str {
        self.into()
    }

    /// A few words, for summaries ("3 malformed birth date").
    pub fn label(self) -> &'static str {
        strum::EnumMessage::get_message(&self).unwrap_or(self.code())
    }
}

/// Why a row was not imported. `Display` is the sentence written to the
/// rejected file and shown in the preview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    RaggedRow { found: usize, expected: usize },
    NotText,
    ValueTooLong { field: Field, chars: usize },
    MissingIdentifier,
    MissingIdType,
    UnknownIdType(String),
    MalformedBirthDate(String),
    FutureBirthDate(NaiveDate),
    DuplicateInFile { id_type: IdType, first_row: Option<u64> },
    AlreadyRegistered { id_type: IdType, owner: IdentifierOwner },
}

impl Rejection {
    pub fn kind(&self) -> RejectKind {
        match self {
            Rejection::RaggedRow { .. } => RejectKind::RaggedRow,
            Rejection::NotText => RejectKind::NotText,
            Rejection::ValueTooLong { .. } => RejectKind::ValueTooLong,
            Rejection::MissingIdentifier => RejectKind::MissingIdentifier,
            Rejection::MissingIdType => RejectKind::MissingIdType,
            Rejection::UnknownIdType(_) => RejectKind::UnknownIdType,
            Rejection::MalformedBirthDate(_) => RejectKind::MalformedBirthDate,
            Rejection::FutureBirthDate(_) => RejectKind::FutureBirthDate,
            Rejection::DuplicateInFile { .. } => RejectKind::DuplicateInFile,
            Rejection::AlreadyRegistered { .. } => RejectKind::AlreadyRegistered,
        }
    }

    /// The reason for a row whose identifier `owner` already holds, when
    /// importing `roster_id`.
    pub fn duplicate(id_type: IdType, owner: IdentifierOwner, roster_id: Option<i64>) -> Rejection {
        if roster_id.is_some() && owner.roster_id == roster_id {
            Rejection::DuplicateInFile {
                id_type,
                first_row: owner.roster_row,
            }
        } else {
            Rejection::AlreadyRegistered { id_type, owner }
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejection::RaggedRow { found, expected } => write!(
                f,
                "The row has {found} value(s) but the header has {expected}: a separator inside a value that is \
                 not in quotes, or a missing one?"
            ),
            Rejection::NotText => f.write_str(
                "The row is not valid UTF-8 text; it is written here as read in Windows-1252: check its accents, \
                 and save the file in one encoding.",
            ),
            Rejection::ValueTooLong { field, chars } => write!(
                f,
                "The {field} is {chars} characters long (at most {MAX_VALUE_CHARS}): a closing quote may be missing."
            ),
            Rejection::MissingIdentifier => f.write_str("The identifier (id_value) is empty."),
            Rejection::MissingIdType => {
                f.write_str("The identifier type (id_type) is empty: write UIN, BRN, MRN or DRN.")
            }
            Rejection::UnknownIdType(t) => {
                write!(f, "The identifier type {t:?} is not UIN, BRN, MRN or DRN.")
            }
            Rejection::MalformedBirthDate(t) => write!(
                f,
                "The birth date {t:?} is not written year-month-day (YYYY-MM-DD, for example 1984-03-27)."
            ),
            Rejection::FutureBirthDate(d) => write!(f, "The birth date {d} is in the future."),
            Rejection::DuplicateInFile { id_type, first_row } => match first_row {
                Some(row) => write!(
                    f,
                    "The same {id_type} is on row {row} of this file, which was imported: one person, one row."
                ),
                None => write!(
                    f,
                    "The same {id_type} is on an earlier row of this file, which was imported."
                ),
            },
            Rejection::AlreadyRegistered { id_type, owner } => {
                write!(
                    f,
                    "This {id_type} is already registered here (registrant {}",
                    owner.registrant_id
                )?;
                match (owner.roster_id, owner.roster_row) {
                    (Some(roster), Some(row)) => write!(f, ", imported from roster {roster}, row {row}")?,
                    (Some(roster), None) => write!(f, ", imported from roster {roster}")?,
                    (None, _) => f.write_str(", entered by hand")?,
                }
                f.write_str("): it is not imported twice.")
            }
        }
    }
}

/// Checks rows against one mapping.
#[derive(Debug, Clone)]
pub struct Validator {
    mapping: ColumnMapping,
    expected_fields: usize,
    today: NaiveDate,
}

impl Validator {
    /// `expected_fields`: the header's width; `today`: no birth date after it.
    pub fn new(mapping: ColumnMapping, expected_fields: usize, today: NaiveDate) -> Validator {
        Validator {
            mapping,
            expected_fields,
            today,
        }
    }

    /// The applicant of one row (with one identifier), or why not. `fields`
    /// are the row's values, decoded.
    pub fn check<S: AsRef<str>>(&self, fields: &[S]) -> Result<NewRegistrant, Rejection> {
        if fields.len() != self.expected_fields {
            return Err(Rejection::RaggedRow {
                found: fields.len(),
                expected: self.expected_fields,
            });
        }
        let value = |f: Field| -> Result<Option<&str>, Rejection> {
            let Some(v) = self
                .mapping
                .get(f)
                .and_then(|i| fields.get(i))
                .map(|v| v.as_ref().trim())
            else {
                return Ok(None);
            };
            if v.len() > MAX_VALUE_CHARS {
                let chars = v.chars().count();
                if chars > MAX_VALUE_CHARS {
                    return Err(Rejection::ValueTooLong { field: f, chars });
                }
            }
            Ok(Some(v).filter(|v| !v.is_empty()))
        };
        let given_name = value(Field::GivenName)?;
        let surname = value(Field::Surname)?;
        let birth = value(Field::BirthDate)?;
        let sex = value(Field::Sex)?;
        let id_type_text = value(Field::IdType)?;
        let id_value = value(Field::IdValue)?.ok_or(Rejection::MissingIdentifier)?;
        let id_type = match (self.mapping.get(Field::IdType), id_type_text) {
            (Some(_), None) => return Err(Rejection::MissingIdType),
            (Some(_), Some(t)) => t
                .parse::<IdType>()
                .map_err(|_| Rejection::UnknownIdType(t.to_string()))?,
            (None, _) => self.mapping.fixed_id_type.clone().ok_or(Rejection::MissingIdType)?,
        };
        let birth_date = match birth {
            None => None,
            Some(t) => {
                let d = parse_birth_date(t).ok_or_else(|| Rejection::MalformedBirthDate(t.to_string()))?;
                if d > self.today {
                    return Err(Rejection::FutureBirthDate(d));
                }
                Some(d)
            }
        };
        Ok(NewRegistrant {
            given_name: given_name.map(str::to_string),
            surname: surname.map(str::to_string),
            birth_date,
            sex: sex.and_then(Sex::from_wire),
            identifiers: vec![Identifier::new(id_type, id_value)],
        })
    }
}

/// `YYYY-MM-DD` exactly (four-digit year, two-digit month and day).
pub fn parse_birth_date(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let s = &text[r];
        s.bytes().all(|c| c.is_ascii_digit()).then(|| s.parse().ok())?
    };
    NaiveDate::from_ymd_opt(i32::try_from(num(0..4)?).ok()?, num(5..7)?, num(8..10)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reject_kind_codes_and_labels_are_pinned() {
        use strum::VariantArray as _;
        let codes: Vec<_> = RejectKind::VARIANTS.iter().map(|k| k.code()).collect();
        assert_eq!(
            codes,
            [
                "ragged_row",
                "not_text",
                "value_too_long",
                "missing_identifier",
                "missing_id_type",
                "unknown_id_type",
                "malformed_birth_date",
                "future_birth_date",
                "duplicate_in_file",
                "already_registered",
            ]
        );
        let labels: Vec<_> = RejectKind::VARIANTS.iter().map(|k| k.label()).collect();
        assert_eq!(
            labels,
            [
                "wrong number of values",
                "not valid UTF-8 text",
                "value too long",
                "missing identifier",
                "missing identifier type",
                "unknown identifier type",
                "malformed birth date",
                "birth date in the future",
                "duplicate identifier in the file",
                "identifier already registered",
            ]
        );
        for k in RejectKind::VARIANTS {
            assert_eq!(k.code().parse::<RejectKind>().ok(), Some(*k));
            assert_eq!(serde_json::to_value(k).ok(), Some(serde_json::Value::from(k.code())));
        }
    }

    fn validator() -> Validator {
        let columns: Vec<String> = Field::ALL.iter().map(|f| f.name().to_string()).collect();
        Validator::new(
            ColumnMapping::guess(&columns),
            6,
            NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default(),
        )
    }

    fn check(row: &[&str]) -> Result<NewRegistrant, Rejection> {
        validator().check(row)
    }

    #[test]
    fn reads_a_good_row() {
        let r = check(&[" Zoë ", "Núñez", "1984-03-27", "F", "uin", " 123 "]).expect("valid");
        assert_eq!(r.given_name.as_deref(), Some("Zoë"));
        assert_eq!(r.birth_date, NaiveDate::from_ymd_opt(1984, 3, 27));
        assert_eq!(r.sex, Some(Sex::Female));
        assert_eq!(r.identifiers, [Identifier::new(IdType::Uin, "123")]);
        assert!(r.validate().is_ok());
        let bare = check(&["", "", "", "", "BRN", "B-1"]).expect("names are optional");
        assert_eq!((bare.given_name, bare.birth_date, bare.sex), (None, None, None));
    }

    #[test]
    fn says_why_a_row_is_refused() {
        let cases: [(&[&str], RejectKind, &str); 8] = [
            (
                &["A", "B", "", "", "UIN"],
                RejectKind::RaggedRow,
                "has 5 value(s) but the header has 6",
            ),
            (
                &["A", "B", "", "", "UIN", "  "],
                RejectKind::MissingIdentifier,
                "is empty",
            ),
            (
                &["A", "B", "", "", "", "1"],
                RejectKind::MissingIdType,
                "UIN, BRN, MRN or DRN",
            ),
            (
                &["A", "B", "", "", "NID", "1"],
                RejectKind::UnknownIdType,
                "\"NID\" is not",
            ),
            (
                &["A", "B", "27/03/1984", "", "UIN", "1"],
                RejectKind::MalformedBirthDate,
                "YYYY-MM-DD",
            ),
            (
                &["A", "B", "1984-02-30", "", "UIN", "1"],
                RejectKind::MalformedBirthDate,
                "1984-02-30",
            ),
            (
                &["A", "B", "2090-01-01", "", "UIN", "1"],
                RejectKind::FutureBirthDate,
                "in the future",
            ),
            (&["A", "B", "", "", "UIN", "1,2,3"], RejectKind::RaggedRow, ""),
        ];
        for (row, kind, words) in cases.iter().take(7) {
            let why = check(row).expect_err("refused");
            assert_eq!(why.kind(), *kind, "{row:?}");
            assert!(why.to_string().contains(words), "{why}");
            assert!(why.to_string().ends_with(['.', '?']), "a sentence: {why}");
        }
        let long = "x".repeat(MAX_VALUE_CHARS + 1);
        let why = check(&[long.as_str(), "B", "", "", "UIN", "1"]).expect_err("too long");
        assert_eq!(why.kind(), RejectKind::ValueTooLong);
        assert!(why.to_string().contains("given_name is 1001 characters"), "{why}");
    }

    #[test]
    fn duplicates_name_the_first_row_or_the_registrant() {
        let owner = IdentifierOwner {
            registrant_id: 45,
            roster_id: Some(3),
            roster_row: Some(17),
        };
        let in_file = Rejection::duplicate(IdType::Uin, owner, Some(3));
        assert_eq!(in_file.kind(), RejectKind::DuplicateInFile);
        assert!(in_file.to_string().contains("row 17 of this file"), "{in_file}");
        let earlier = Rejection::duplicate(IdType::Uin, owner, Some(4));
        assert!(
            earlier
                .to_string()
                .contains("registrant 45, imported from roster 3, row 17"),
            "{earlier}"
        );
        let by_hand = Rejection::duplicate(
            IdType::Brn,
            IdentifierOwner {
                roster_id: None,
                roster_row: None,
                ..owner
            },
            Some(4),
        );
        assert!(
            by_hand
                .to_string()
                .contains("This BRN is already registered here (registrant 45, entered by hand)")
        );
    }

    #[test]
    fn birth_dates_are_year_month_day_only() {
        assert_eq!(parse_birth_date("2000-02-29"), NaiveDate::from_ymd_opt(2000, 2, 29));
        for bad in [
            "2001-02-29",
            "84-03-27",
            "1984-3-27",
            "1984/03/27",
            "27/03/1984",
            "1984-03-27T00:00",
            "+984-03-27",
        ] {
            assert_eq!(parse_birth_date(bad), None, "{bad}");
        }
    }
}
