//! What the Checks screen says, without egui: a check's state in a word,
//! a failure's kind in a sentence for a field officer, and a raw reply with
//! every identifier value masked.

use crate::domain::{CheckState, DuplicationCheck, MatchCandidate, QueryKind};
use crate::ui::widgets::mask_all;

/// A check's state as the table's column says it.
pub(super) fn state_label(s: CheckState) -> &'static str {
    match s {
        CheckState::Ready => "Queued",
        CheckState::Checking => "Checking",
        CheckState::Completed => "Completed",
        CheckState::Failed => "Failed",
    }
}

/// What a kind of failure means, for a field officer.
pub fn failure_sentence(kind: Option<&str>) -> &'static str {
    match kind {
        Some("unreachable") => "The registry could not be reached.",
        Some("timeout") => "The registry did not answer in time.",
        Some("http") => "The registry answered with an error.",
        Some("auth") => "The registry refused IBR Desk's credentials.",
        Some("signature") => "The registry's answer could not be trusted: its signature did not check out.",
        Some("malformed") => "The registry's answer could not be understood.",
        Some("rejected") => "The registry rejected the search.",
        Some("incomplete") => "The registry did not give a final answer.",
        Some("config") => "The data source is not set up correctly.",
        Some("keyring") => "The OS keyring did not answer.",
        _ => "The check could not be completed.",
    }
}

/// Every identifier value of the check and its candidates masked.
pub(super) fn mask_all_ids(text: &str, c: &DuplicationCheck, candidates: &[MatchCandidate]) -> String {
    let values = c
        .queries
        .iter()
        .filter_map(|q| match &q.kind {
            QueryKind::Identifier { value, .. } => Some(value.as_str()),
            QueryKind::Demographic { .. } => None,
        })
        .chain(
            candidates
                .iter()
                .flat_map(|k| k.identifiers.iter().map(|i| i.value.as_str())),
        )
        .filter(|v| v.len() >= 3);
    mask_all(text, values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_have_sentences() {
        assert_eq!(failure_sentence(Some("rejected")), "The registry rejected the search.");
        assert!(failure_sentence(None).ends_with('.'));
    }

    #[test]
    fn a_ready_check_is_queued_in_words() {
        assert_eq!(state_label(CheckState::Ready), "Queued");
        assert_eq!(state_label(CheckState::Failed), "Failed");
    }
}
