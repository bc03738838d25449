//! Plain data shared by every layer: identifier types, beneficiary records as the
//! registry describes them, and the states and results of a duplication check.
//!
//! Nothing here does I/O. The names are the seed document's (`DCI-Client-IBR`):
//! `identifier_type`, `matched_programs`, `no_match` / `possible_match` /
//! `confirmed_match`, `ready` / `checking` / `completed` / `failed`.

mod check;
mod id_type;
mod names;
mod record;

pub use check::{CheckState, MatchResult};
pub use id_type::{IdType, IdTypeParseError};
pub use names::{names_agree, normalize_name};
pub use record::{
    BeneficiaryRecord, EnrolmentStatus, Identifier, PersonName, ProgrammeEnrolment, Sex, parse_registry_date,
};
