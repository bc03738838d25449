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
/// (A kind this version does not know, written by a newer one, reads as the general sentence.)
pub fn failure_sentence(kind: Option<&str>) -> &'static str {
    use crate::domain::ErrorKind as K;
    match kind.and_then(K::parse) {
        Some(K::Unreachable) => "The registry could not be reached.",
        Some(K::Timeout) => "The registry did not answer in time.",
        Some(K::Http) => "The registry answered with an error.",
        Some(K::Auth) => "The registry refused IBR Desk's credentials.",
        Some(K::Signature) => "The registry's answer could not be trusted: its signature did not check out.",
        Some(K::Malformed) => "The registry's answer could not be understood.",
        Some(K::Rejected) => "The registry rejected the search.",
        Some(K::Incomplete) => "The registry did not give a final answer.",
        Some(K::Ambiguous) => "The registry answered the same search twice, differently.",
        Some(K::Tls) => "No secure connection to the registry could be made.",
        Some(K::Redirect) => "The registry tried to send the request elsewhere, which IBR Desk refuses.",
        Some(K::TooLarge) => "The registry's answer was larger than this data source allows.",
        Some(K::Config) => "The data source is not set up correctly.",
        Some(K::Keyring) => "The OS keyring did not answer.",
        Some(K::Store) => "IBR Desk's database could not record the check.",
        Some(K::Internal) => "IBR Desk stopped on an internal error while checking.",
        Some(K::Invalid | K::NotAllowed | K::NotFound | K::File | K::Stopped) | None => {
            "The check could not be completed."
        }
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
