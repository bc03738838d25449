//! Identifier values masked: enough of the end to recognise one
//! (`******7890`), not enough to reuse it. The window, the history export
//! and the roster screens all mask with these two functions, so the rule
//! (how much stays visible, longest values first) is written once.
//!
//! Each place picks the symbol it masks with: files use `*`
//! ([`MASK_IN_FILES`], plain ASCII for any spreadsheet), the window `•`
//! ([`MASK_ON_SCREEN`]).

/// The symbol exported files mask with.
pub const MASK_IN_FILES: char = '*';
/// The symbol the window masks with.
pub const MASK_ON_SCREEN: char = '•';

/// `1234567890` → `******7890`: the last 4 characters of a value longer
/// than 6, a third of a shorter one; every other character is `hidden`.
pub fn mask_identifier(value: &str, hidden: char) -> String {
    let n = value.chars().count();
    let keep = if n > 6 { 4 } else { n / 3 };
    let tail: String = value.chars().skip(n - keep).collect();
    let mut out: String = std::iter::repeat_n(hidden, n - keep).collect();
    out.push_str(&tail);
    out
}

/// `text` with every one of `values` in it masked (error messages and raw
/// replies quote identifiers). Longest first, so that a value inside
/// another is not masked half-way; empty values are skipped.
pub fn mask_values_in<'a>(text: &str, values: impl IntoIterator<Item = &'a str>, hidden: char) -> String {
    let mut values: Vec<&str> = values.into_iter().filter(|v| !v.is_empty()).collect();
    values.sort_by_key(|v| std::cmp::Reverse(v.len()));
    values.dedup();
    values
        .iter()
        .fold(text.to_string(), |t, v| t.replace(v, &mask_identifier(v, hidden)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_end_stays_visible() {
        assert_eq!(mask_identifier("4567890123", MASK_IN_FILES), "******0123");
        assert_eq!(mask_identifier("B2004-0012345", MASK_IN_FILES), "*********2345");
        assert_eq!(mask_identifier("1234567", MASK_IN_FILES), "***4567");
        assert_eq!(mask_identifier("123456", MASK_IN_FILES), "****56");
        assert_eq!(mask_identifier("123", MASK_IN_FILES), "**3");
        assert_eq!(mask_identifier("12", MASK_ON_SCREEN), "••");
        assert_eq!(mask_identifier("", MASK_IN_FILES), "");
    }

    #[test]
    fn characters_are_counted_not_bytes() {
        assert_eq!(mask_identifier("ÉÉÉÉÉÉÉ1234", MASK_ON_SCREEN), "•••••••1234");
    }

    #[test]
    fn every_value_in_a_text_is_masked_longest_first() {
        let text = "no record for 4567890123 (also 45678901234567)";
        let masked = mask_values_in(text, ["4567890123", "45678901234567", "", "4567890123"], MASK_IN_FILES);
        assert_eq!(masked, "no record for ******0123 (also **********4567)");
        assert_eq!(
            mask_values_in("nothing here", ["4567890123"], MASK_IN_FILES),
            "nothing here"
        );
    }
}
