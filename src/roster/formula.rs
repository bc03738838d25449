//! Cells a spreadsheet would run as formulas, made inert — and read back.
//!
//! A cell that starts with `=`, `+`, `-` or `@` is a formula to Excel,
//! LibreOffice and Google Sheets (`=HYPERLINK("http://…","Click")`,
//! `=cmd|' /C calc'!A0`), and one that starts with a tab or a carriage return
//! can be one once the spreadsheet trims it. A registry's name, a roster's
//! cell or an error message is not trusted to be harmless, and the files IBR
//! Desk writes are opened in spreadsheets by design. So, as OWASP advises
//! ("CSV injection"), every cell written ([`defuse`]) gets a leading `'` when
//! it starts with one of those characters: the spreadsheet shows it as text.
//!
//! The rejected-rows file is also read back: the officer fixes its rows and
//! imports it. [`restore`] takes away exactly the one `'` that [`defuse`]
//! added, so a value comes back as it was — `-5` written as `'-5` is read as
//! `-5`, never as `'-5`, and a value that really began with `'` before a
//! formula character (`'-5`, written `''-5`) keeps it. The two are exact
//! inverses: `restore(defuse(v)) == v` for every `v`.

use std::borrow::Cow;

/// The characters that make a spreadsheet read a cell as a formula.
pub const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Whether `cell`, written as it is, would be read back by [`restore`] as
/// something else, or run as a formula: it starts with a formula character,
/// or with `'`s followed by one.
fn needs_mark(cell: &str) -> bool {
    cell.trim_start_matches('\'').starts_with(FORMULA_START)
}

/// `cell` as written to a CSV: with a leading `'` when it starts with a
/// formula character (or with `'`s and then one).
pub fn defuse(cell: &str) -> Cow<'_, str> {
    if needs_mark(cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// A cell of a file IBR Desk wrote, as it was before [`defuse`].
pub fn restore(cell: &str) -> Cow<'_, str> {
    match cell.strip_prefix('\'') {
        Some(rest) if needs_mark(rest) => Cow::Borrowed(rest),
        _ => Cow::Borrowed(cell),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_formula_character_gets_a_quote_mark() {
        for (cell, written) in [
            (
                "=HYPERLINK(\"http://x\",\"Click\")",
                "'=HYPERLINK(\"http://x\",\"Click\")",
            ),
            ("+1+2", "'+1+2"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
        ] {
            assert_eq!(defuse(cell), written, "{cell:?}");
        }
    }

    #[test]
    fn other_cells_are_written_as_they_are() {
        for cell in [
            "Zoë",
            "7606474565",
            "1984-03-27",
            "******7890",
            "a=b",
            " =1",
            "'quoted",
            "",
            "'",
        ] {
            assert!(matches!(defuse(cell), Cow::Borrowed(c) if c == cell), "{cell:?}");
        }
    }

    #[test]
    fn what_is_written_reads_back_as_it_was() {
        for cell in [
            "-5", "'-5", "''-5", "=1", "'=1", "'", "''", "'quoted", "O'Brien", "-", "@", "\t", "plain", "", "-Ana-",
        ] {
            assert_eq!(restore(&defuse(cell)), cell, "{cell:?} → {:?}", defuse(cell));
        }
        // A fixed cell the officer typed again without the mark is read as typed.
        assert_eq!(restore("-12"), "-12");
        assert_eq!(restore("'-12"), "-12");
        assert_eq!(restore("'O'Brien"), "'O'Brien", "a quote mark we did not add is kept");
    }
}
