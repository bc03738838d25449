//! The text form of the domain's closed enums: the same word in the
//! database, on the wire and on the command line, parsed back strictly.
//!
//! The words come from `strum`'s derives on each enum (`IntoStaticStr` and
//! `Display` write them, `EnumString` reads them, `VariantArray` lists the
//! variants), so a variant and its word are declared together. This trait
//! is what the rest of the program bounds on: the store's one `ToSql` /
//! `FromSql` for all of them (`store::codec`), and the one error message
//! for a word that is not a variant's.

use std::str::FromStr;

/// A closed enum with one fixed word per variant.
pub trait TextEnum:
    Copy + Into<&'static str> + FromStr<Err = String> + strum::VariantArray + std::fmt::Debug + 'static
{
    /// What the enum is, in words ("check state"), for error messages.
    const WHAT: &'static str;

    /// The stored and wire form.
    fn text(self) -> &'static str {
        self.into()
    }
}

/// The error of every [`TextEnum`]'s `FromStr` (strum's `parse_err_fn`):
/// `unknown check state "maybe"`.
pub fn unknown<T: TextEnum>(s: &str) -> String {
    format!("unknown {} {s:?}", T::WHAT)
}

/// `as_str` (the word, as [`TextEnum::text`], without importing the trait)
/// and the [`TextEnum`] impl naming what the enum is.
macro_rules! text_enum {
    ($ty:ty, $what:literal) => {
        impl $ty {
            /// The stored and wire form.
            pub fn as_str(self) -> &'static str {
                self.into()
            }
        }
        impl $crate::domain::TextEnum for $ty {
            const WHAT: &'static str = $what;
        }
    };
}
pub(crate) use text_enum;

#[cfg(test)]
pub(crate) mod tests {
    use super::TextEnum;

    /// Every variant's word is `expected` (in declaration order), parses
    /// back to the variant, is what `Display` and serde write, and the
    /// variants listed are all there are.
    pub(crate) fn pins_words<T>(expected: &[&str])
    where
        T: TextEnum + PartialEq + serde::Serialize + std::fmt::Display,
    {
        let variants = <T as strum::VariantArray>::VARIANTS;
        assert_eq!(variants.len(), expected.len(), "{}: one word per variant", T::WHAT);
        for (v, word) in variants.iter().zip(expected) {
            assert_eq!(v.text(), *word, "{}", T::WHAT);
            assert_eq!(v.to_string(), *word, "{}: Display", T::WHAT);
            assert_eq!(word.parse::<T>().as_ref(), Ok(v), "{}: parses back", T::WHAT);
            assert_eq!(
                serde_json::to_value(v).ok(),
                Some(serde_json::Value::from(*word)),
                "{}: serde writes the same word",
                T::WHAT
            );
        }
        assert_eq!(
            "no-such-word".parse::<T>(),
            Err(format!("unknown {} \"no-such-word\"", T::WHAT))
        );
    }
}
