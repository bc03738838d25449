//! Plain data shared by every layer: identifier types, beneficiary records as the
//! registry describes them, and the states and results of a duplication check.
//!
//! Nothing here does I/O. The names are the seed document's (`DCI-Client-IBR`):
//! `identifier_type`, `matched_programs`, `no_match` / `possible_match` /
//! `confirmed_match`, `ready` / `checking` / `completed` / `failed`.

#[macro_use]
pub(crate) mod text_enum;
mod algorithm;
mod audit_action;
mod check;
mod error;
mod id_type;
mod installation;
mod masking;
mod names;
mod record;
mod registrant;
mod review;
mod source;

pub use algorithm::Algorithm;
pub use audit_action::AuditAction;
pub use check::{
    ApplicantSnapshot, AuditEntry, CheckCompletion, CheckFilter, CheckQuery, CheckState, DuplicationCheck, FoundBy,
    MatchCandidate, MatchResult, NewCheck, QueryKind, ReplyHeader, SearchReason,
};
pub use error::{EngineError, ErrorKind};
pub use id_type::{IdType, IdTypeParseError};
pub use installation::InstallationId;
pub use masking::{MASK_IN_FILES, MASK_ON_SCREEN, mask_identifier, mask_values_in};
pub use names::{names_agree, normalize_name};
pub use record::{
    BeneficiaryRecord, EnrolmentStatus, Identifier, PersonName, ProgrammeEnrolment, Sex, parse_registry_date,
};
pub use registrant::{NewRegistrant, Registrant, display_name};
pub use review::{NewReview, Review, ReviewDecision, ReviewReason, ReviewStatus, Role};
pub use source::{
    DataSource, IbrSender, KeyOrigin, NewDataSource, NewIbrSender, REGISTRY_TYPE_IBR, ReplyLimits, SecretEntry,
    SenderKey, SourceMode, is_loopback_url, is_unencrypted_url, secret_key_for, validate_sender_id,
};
pub(crate) use text_enum::text_enum;
pub use text_enum::{TextEnum, unknown};
