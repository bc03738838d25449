//! The IBR service: duplication checks, beneficiary search and enrolment
//! status over DCI, and the rules that turn replies into `no_match`,
//! `possible_match` or `confirmed_match` with an explanation.
//!
//! A failure is never a result: anything the rules cannot stand behind
//! (a rejected search, a missing answer, an untrusted reply) is an error
//! that leaves the check `failed` or queued, not `no_match`.

pub mod collect;
pub mod plan;
pub mod rules;
pub mod service;

pub use collect::SearchAnswer;
pub use rules::{CheckFailure, Decision};
pub use service::{
    BatchOutcome, ConnectionReport, DuplicationVerdict, EnrollmentStatus, IbrError, IbrService, PlannedCheck,
    SourceConnection, new_transaction_id,
};
