//! The text form of the domain's closed enums: the same word in the
//! database, on the wire and on the command line, parsed back strictly.

/// `as_str`, `Display` and `FromStr` (trimmed; an unknown word is an error
/// naming `$what`) for an enum, from its variants and their words.
macro_rules! wire_enum {
    ($ty:ty, $what:literal, $($variant:path => $s:literal),+ $(,)?) => {
        impl $ty {
            /// The stored and wire form.
            pub fn as_str(self) -> &'static str {
                match self { $($variant => $s),+ }
            }
        }
        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl ::std::str::FromStr for $ty {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s.trim() {
                    $($s => Ok($variant),)+
                    other => Err(format!(concat!("unknown ", $what, " {:?}"), other)),
                }
            }
        }
    };
}

/// [`wire_enum!`] plus `ALL` and `label` (how a person reads each variant).
macro_rules! labelled_wire_enum {
    ($ty:ident, $what:literal, $($variant:ident => $s:literal, $label:literal);+ $(;)?) => {
        wire_enum!($ty, $what, $($ty::$variant => $s),+);
        impl $ty {
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];
            /// How a person reads it.
            pub fn label(self) -> &'static str {
                match self { $($ty::$variant => $label),+ }
            }
        }
    };
}
