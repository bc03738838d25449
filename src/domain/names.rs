//! Name comparison that does not punish how a name was typed.
//!
//! Field offices type names with and without accents, in any case, with
//! doubled spaces. Two names agree when they are equal after lower-casing,
//! removing combining marks (NFD decomposition) and collapsing whitespace and
//! hyphens. Nothing cleverer (phonetics, transliteration) is attempted: a name
//! that differs after this is a conflict for a person to look at.
#![warn(clippy::string_slice, clippy::arithmetic_side_effects)]

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// The comparison form of a name: lower case, no accents, single spaces.
pub fn normalize_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut pending_space = false;
    for c in name.nfd() {
        if is_combining_mark(c) {
            continue;
        }
        if c.is_whitespace() || c == '-' || c == '\u{2010}' || c == '\'' || c == '\u{2019}' {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// Whether two names are the same name as typed differently.
pub fn names_agree(a: &str, b: &str) -> bool {
    normalize_name(a) == normalize_name(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignores_case_accents_and_spacing() {
        assert_eq!(normalize_name("  Ọlá   ADÉBÁYỌ̀ "), "ola adebayo");
        assert!(names_agree("José Peña", "jose pena"));
        assert!(names_agree("Nguyễn Thị  Lan", "nguyen thi lan"));
        assert!(names_agree("Al-Hassan", "al hassan"));
        assert!(!names_agree("Amina", "Aminata"));
    }

    #[test]
    fn empty_stays_empty() {
        assert_eq!(normalize_name("   "), "");
    }
}
