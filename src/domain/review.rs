//! A supervisor's review of a possible match, and who may make one.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use strum::{Display, EnumMessage, EnumString, IntoStaticStr, VariantArray};

use super::{MatchResult, unknown};

/// What the supervisor decided.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    IntoStaticStr,
    Display,
    EnumString,
    VariantArray,
    EnumMessage,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case", parse_err_ty = String, parse_err_fn = unknown::<Self>)]
pub enum ReviewDecision {
    /// The applicant is the enrolled person: the result becomes confirmed.
    #[strum(message = "Duplicate")]
    Duplicate,
    /// A different person: the result becomes no match.
    #[strum(message = "Not a duplicate")]
    NotDuplicate,
    /// Not enough to decide: the check stays in the queue.
    #[strum(message = "Needs more information")]
    NeedsMoreInformation,
}

text_enum!(ReviewDecision, "review decision");

impl ReviewDecision {
    pub const ALL: &'static [ReviewDecision] = <ReviewDecision as VariantArray>::VARIANTS;

    /// How a person reads it.
    pub fn label(self) -> &'static str {
        self.get_message().unwrap_or(self.as_str())
    }
}

impl ReviewDecision {
    /// The result a decision gives the check (`None`: unchanged, still to review).
    pub fn result_after(self) -> Option<MatchResult> {
        match self {
            ReviewDecision::Duplicate => Some(MatchResult::ConfirmedMatch),
            ReviewDecision::NotDuplicate => Some(MatchResult::NoMatch),
            ReviewDecision::NeedsMoreInformation => None,
        }
    }
}

/// Why (a fixed list, so decisions can be counted and audited).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    IntoStaticStr,
    Display,
    EnumString,
    VariantArray,
    EnumMessage,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case", parse_err_ty = String, parse_err_fn = unknown::<Self>)]
pub enum ReviewReason {
    #[strum(message = "Same person")]
    SamePerson,
    #[strum(message = "Different person with the same ID")]
    DifferentPersonSameId,
    #[strum(message = "ID entry error")]
    IdEntryError,
    #[strum(message = "Name variant")]
    NameVariant,
    #[strum(message = "Insufficient data")]
    InsufficientData,
    #[strum(message = "Other")]
    Other,
}

text_enum!(ReviewReason, "review reason");

impl ReviewReason {
    pub const ALL: &'static [ReviewReason] = <ReviewReason as VariantArray>::VARIANTS;

    /// How a person reads it.
    pub fn label(self) -> &'static str {
        self.get_message().unwrap_or(self.as_str())
    }
}

/// Where a check stands in the review queue.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    IntoStaticStr,
    Display,
    EnumString,
    VariantArray,
    EnumMessage,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case", parse_err_ty = String, parse_err_fn = unknown::<Self>)]
pub enum ReviewStatus {
    /// Waiting for a supervisor.
    #[strum(message = "To review")]
    ToReview,
    /// A supervisor asked for more information; still in the queue.
    #[strum(message = "Needs more information")]
    NeedsInformation,
    /// Decided (duplicate or not).
    #[strum(message = "Reviewed")]
    Decided,
}

text_enum!(ReviewStatus, "review status");

impl ReviewStatus {
    pub const ALL: &'static [ReviewStatus] = <ReviewStatus as VariantArray>::VARIANTS;

    /// How a person reads it.
    pub fn label(self) -> &'static str {
        self.get_message().unwrap_or(self.as_str())
    }
}

/// One decision, as kept for ever.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    pub id: i64,
    pub check_id: i64,
    pub decision: ReviewDecision,
    pub reason: ReviewReason,
    pub note: String,
    pub reviewer: String,
    pub decided_at: DateTime<Utc>,
    /// The check's effective result before and after this decision.
    pub result_before: Option<MatchResult>,
    pub result_after: Option<MatchResult>,
}

/// What a supervisor submits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewReview {
    pub check_id: i64,
    pub decision: ReviewDecision,
    pub reason: ReviewReason,
    pub note: String,
}

impl NewReview {
    /// A note is required when the reason is "other", so the audit log says why.
    pub fn validate(&self) -> Result<(), String> {
        if self.reason == ReviewReason::Other && self.note.trim().is_empty() {
            return Err("with the reason “Other”, write a note saying why".into());
        }
        if self.note.chars().count() > 2000 {
            return Err("the note is longer than 2,000 characters".into());
        }
        Ok(())
    }
}

/// Who is using the application. Only a supervisor decides or overrides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    #[default]
    Officer,
    Supervisor,
}

impl Role {
    pub fn label(self) -> &'static str {
        match self {
            Role::Officer => "Officer",
            Role::Supervisor => "Supervisor",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions_set_results() {
        assert_eq!(
            ReviewDecision::Duplicate.result_after(),
            Some(MatchResult::ConfirmedMatch)
        );
        assert_eq!(ReviewDecision::NotDuplicate.result_after(), Some(MatchResult::NoMatch));
        assert_eq!(ReviewDecision::NeedsMoreInformation.result_after(), None);
        for r in ReviewReason::ALL {
            assert_eq!(r.as_str().parse::<ReviewReason>().unwrap(), *r);
        }
    }

    #[test]
    fn enum_words_and_labels_are_pinned() {
        use crate::domain::text_enum::tests::pins_words;
        pins_words::<ReviewDecision>(&["duplicate", "not_duplicate", "needs_more_information"]);
        pins_words::<ReviewReason>(&[
            "same_person",
            "different_person_same_id",
            "id_entry_error",
            "name_variant",
            "insufficient_data",
            "other",
        ]);
        pins_words::<ReviewStatus>(&["to_review", "needs_information", "decided"]);
        let labels = |all: &[&str]| all.join("|");
        assert_eq!(
            labels(&ReviewDecision::ALL.iter().map(|d| d.label()).collect::<Vec<_>>()),
            "Duplicate|Not a duplicate|Needs more information"
        );
        assert_eq!(
            labels(&ReviewReason::ALL.iter().map(|r| r.label()).collect::<Vec<_>>()),
            "Same person|Different person with the same ID|ID entry error|Name variant|Insufficient data|Other"
        );
        assert_eq!(
            labels(&ReviewStatus::ALL.iter().map(|s| s.label()).collect::<Vec<_>>()),
            "To review|Needs more information|Reviewed"
        );
    }

    #[test]
    fn other_needs_a_note() {
        let mut r = NewReview {
            check_id: 1,
            decision: ReviewDecision::NotDuplicate,
            reason: ReviewReason::Other,
            note: " ".into(),
        };
        assert!(r.validate().is_err());
        r.note = "Different mother's name on the birth certificate".into();
        assert!(r.validate().is_ok());
    }
}
