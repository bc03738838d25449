//! The Review screen's decision form as a model (a decision, a reason from
//! the fixed list, a note; what is missing before it can be sent) and a
//! past decision in words. No egui.

use crate::domain::{NewReview, Review, ReviewDecision, ReviewReason};

/// The decision form.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct DecisionForm {
    pub(super) decision: Option<ReviewDecision>,
    pub(super) reason: Option<ReviewReason>,
    pub(super) note: String,
    pub(super) error: Option<String>,
}

impl DecisionForm {
    /// The review to send, or what is missing.
    pub(super) fn to_review(&self, check_id: i64) -> Result<NewReview, String> {
        let decision = self.decision.ok_or("choose a decision")?;
        let reason = self.reason.ok_or("choose a reason")?;
        let r = NewReview {
            check_id,
            decision,
            reason,
            note: self.note.trim().to_string(),
        };
        r.validate()?;
        Ok(r)
    }
}

/// One past decision in a line: when, what, by whom, why, and what it
/// did to the result.
pub(super) fn review_line(r: &Review) -> String {
    format!(
        "{} — {} by {}: {} ({}){}",
        r.decided_at.format("%Y-%m-%d %H:%M UTC"),
        r.decision.label(),
        r.reviewer,
        r.reason.label(),
        match (r.result_before, r.result_after) {
            (Some(b), Some(a)) if b != a => format!("{} became {}", b.label(), a.label().to_lowercase()),
            (_, Some(a)) => a.label().to_string(),
            _ => "no result".to_string(),
        },
        if r.note.is_empty() {
            String::new()
        } else {
            format!(" — “{}”", r.note)
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::MatchResult;

    #[test]
    fn a_decision_needs_a_choice_and_a_reason() {
        let mut f = DecisionForm::default();
        assert_eq!(f.to_review(1).unwrap_err(), "choose a decision");
        f.decision = Some(ReviewDecision::NotDuplicate);
        assert_eq!(f.to_review(1).unwrap_err(), "choose a reason");
        f.reason = Some(ReviewReason::Other);
        assert!(f.to_review(1).unwrap_err().contains("note"));
        f.note = "  twin brother, different mother  ".into();
        let r = f.to_review(7).unwrap();
        assert_eq!(r.note, "twin brother, different mother");
        assert_eq!(r.check_id, 7);
    }

    #[test]
    fn a_past_decision_reads_as_one_line() {
        let r = Review {
            id: 1,
            check_id: 7,
            decision: ReviewDecision::NotDuplicate,
            reason: ReviewReason::Other,
            note: "twin brother".into(),
            reviewer: "Awa".into(),
            decided_at: chrono::DateTime::parse_from_rfc3339("2025-06-01T14:03:00Z")
                .unwrap()
                .to_utc(),
            result_before: Some(MatchResult::PossibleMatch),
            result_after: Some(MatchResult::NoMatch),
        };
        let line = review_line(&r);
        assert!(line.starts_with("2025-06-01 14:03 UTC — "), "{line}");
        assert!(line.contains(" by Awa: "), "{line}");
        assert!(line.ends_with(" — “twin brother”"), "{line}");
        assert!(line.contains(" became "), "{line}");
        let same = Review {
            result_after: Some(MatchResult::PossibleMatch),
            note: String::new(),
            ..r
        };
        assert!(review_line(&same).ends_with(&format!("({})", MatchResult::PossibleMatch.label())));
    }
}
