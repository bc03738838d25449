//! A supervisor's review of a possible match, and who may make one.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::MatchResult;

/// What the supervisor decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewDecision {
    /// The applicant is the enrolled person: the result becomes confirmed.
    Duplicate,
    /// A different person: the result becomes no match.
    NotDuplicate,
    /// Not enough to decide: the check stays in the queue.
    NeedsMoreInformation,
}

labelled_wire_enum!(ReviewDecision, "review decision",
    Duplicate => "duplicate", "Duplicate";
    NotDuplicate => "not_duplicate", "Not a duplicate";
    NeedsMoreInformation => "needs_more_information", "Needs more information";
);

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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewReason {
    SamePerson,
    DifferentPersonSameId,
    IdEntryError,
    NameVariant,
    InsufficientData,
    Other,
}

labelled_wire_enum!(ReviewReason, "review reason",
    SamePerson => "same_person", "Same person";
    DifferentPersonSameId => "different_person_same_id", "Different person with the same ID";
    IdEntryError => "id_entry_error", "ID entry error";
    NameVariant => "name_variant", "Name variant";
    InsufficientData => "insufficient_data", "Insufficient data";
    Other => "other", "Other";
);

/// Where a check stands in the review queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewStatus {
    /// Waiting for a supervisor.
    ToReview,
    /// A supervisor asked for more information; still in the queue.
    NeedsInformation,
    /// Decided (duplicate or not).
    Decided,
}

labelled_wire_enum!(ReviewStatus, "review status",
    ToReview => "to_review", "To review";
    NeedsInformation => "needs_information", "Needs more information";
    Decided => "decided", "Reviewed";
);

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
