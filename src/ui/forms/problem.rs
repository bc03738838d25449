//! What a form says is wrong with what was typed, as plain data: a sentence
//! and, when there is one, the technical reason behind it. No egui here,
//! so form models can be tested without a window; `widgets::feedback`
//! draws it.
//!
//! The domain's `validate()` functions speak in lower-case clauses
//! ("the sender needs a name"); [`sentence`] turns them into sentences, so a
//! screen can show the domain's own words instead of inventing its own.

/// A problem with what was typed: a sentence for the officer and, when
/// there is one, the technical reason behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub message: String,
    pub detail: Option<String>,
}

impl Problem {
    /// A problem told in one sentence.
    pub fn new(message: impl AsRef<str>) -> Problem {
        Problem {
            message: sentence(message.as_ref()),
            detail: None,
        }
    }

    /// A problem with a technical detail shown on request.
    pub fn with_detail(message: impl AsRef<str>, detail: impl Into<String>) -> Problem {
        Problem {
            message: sentence(message.as_ref()),
            detail: Some(detail.into()),
        }
    }
}

/// `the base URL is empty` → `The base URL is empty.`
pub fn sentence(text: &str) -> String {
    let t = text.trim();
    let mut chars = t.chars();
    let Some(first) = chars.next() else {
        return String::new();
    };
    let mut s: String = first.to_uppercase().chain(chars).collect();
    if !s.ends_with(['.', '!', '?', ':']) {
        s.push('.');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clauses_become_sentences() {
        assert_eq!(sentence("the sender needs a name"), "The sender needs a name.");
        assert_eq!(sentence("Already a sentence."), "Already a sentence.");
        assert_eq!(sentence("  "), "");
        assert_eq!(Problem::new("é accentuée").message, "É accentuée.");
    }

    #[test]
    fn a_detail_is_kept_as_given() {
        let p = Problem::with_detail("the key is unreadable", "asn1: bad tag");
        assert_eq!(p.message, "The key is unreadable.");
        assert_eq!(p.detail.as_deref(), Some("asn1: bad tag"));
    }
}
