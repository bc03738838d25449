//! The four identifier types of the DCI core code list (`IdentifierTypeEnum`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// An identifier type as the DCI standard names it.
///
/// The standard lets implementations use other strings (`NID`, `MOBILE`, ...);
/// those travel as [`IdType::Other`] so that a record a registry sends is never
/// dropped because its identifier type is unfamiliar.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum IdType {
    /// Unique identification number: a national or foundational ID.
    Uin,
    /// Birth registration number, from civil registration.
    Brn,
    /// Marriage registration number.
    Mrn,
    /// Death registration number.
    Drn,
    /// Any other type string a registry uses, kept as sent (upper-cased).
    Other(String),
}

impl IdType {
    /// The four types a field officer may pick when registering an applicant.
    pub const STANDARD: [IdType; 4] = [IdType::Uin, IdType::Brn, IdType::Mrn, IdType::Drn];

    /// The wire form (`UIN`, `BRN`, ...).
    pub fn as_str(&self) -> &str {
        match self {
            IdType::Uin => "UIN",
            IdType::Brn => "BRN",
            IdType::Mrn => "MRN",
            IdType::Drn => "DRN",
            IdType::Other(s) => s,
        }
    }

    /// What the type means, for people.
    pub fn describe(&self) -> &str {
        match self {
            IdType::Uin => "Unique identification number",
            IdType::Brn => "Birth registration number",
            IdType::Mrn => "Marriage registration number",
            IdType::Drn => "Death registration number",
            IdType::Other(_) => "Identifier of a type agreed with the registry",
        }
    }

    /// Whether this is one of the four DCI core types.
    pub fn is_standard(&self) -> bool {
        !matches!(self, IdType::Other(_))
    }

    /// Reads a type leniently (any case, surrounding spaces ignored) and keeps
    /// unknown types as [`IdType::Other`].
    pub fn from_wire(s: &str) -> IdType {
        let t = s.trim().to_ascii_uppercase();
        match t.as_str() {
            "UIN" => IdType::Uin,
            "BRN" => IdType::Brn,
            "MRN" => IdType::Mrn,
            "DRN" => IdType::Drn,
            _ => IdType::Other(t),
        }
    }
}

/// A string that is not one of the four standard identifier types.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown identifier type {0:?}: expected UIN, BRN, MRN or DRN")]
pub struct IdTypeParseError(pub String);

impl FromStr for IdType {
    type Err = IdTypeParseError;

    /// Strict parse for user input: only the four standard types.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match IdType::from_wire(s) {
            IdType::Other(_) => Err(IdTypeParseError(s.to_string())),
            t => Ok(t),
        }
    }
}

impl fmt::Display for IdType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<IdType> for String {
    fn from(t: IdType) -> String {
        t.as_str().to_string()
    }
}

impl TryFrom<String> for IdType {
    type Error = IdTypeParseError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        if s.trim().is_empty() {
            return Err(IdTypeParseError(s));
        }
        Ok(IdType::from_wire(&s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_standard_types_in_any_case() {
        assert_eq!("uin".parse::<IdType>().unwrap(), IdType::Uin);
        assert_eq!(" BRN ".parse::<IdType>().unwrap(), IdType::Brn);
        assert!("NID".parse::<IdType>().is_err());
    }

    #[test]
    fn keeps_unknown_wire_types() {
        assert_eq!(IdType::from_wire("nid"), IdType::Other("NID".into()));
        assert!(!IdType::from_wire("NID").is_standard());
    }
}
