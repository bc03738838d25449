//! Text forms of results for the terminal. JSON output uses serde instead
//! (serde_json escapes every control character, so `--json` needs nothing
//! more).
//!
//! # What a registry writes never drives the terminal
//!
//! Names, identifiers, reason messages, explanations, raw reply snippets and
//! error details come from registries and roster files, and a terminal obeys
//! what it prints: `ESC [ 2 J` clears the screen, other escape sequences move
//! the cursor, recolour the text or retitle the window, a carriage return
//! overwrites the start of a line, and the Unicode bidirectional overrides
//! (U+202E …) show `1234` as `4321` or hide a value behind another. So every
//! text that leaves for the terminal goes through [`terminal_safe`], which
//! writes each such character as a visible `\u{…}` escape instead: nothing is
//! removed silently (a person can see a reply was odd), and nothing acts.
//! [`inline`] is its form for one value inside a line of ours, where a line
//! break of the registry's is escaped too so that a value cannot start a line
//! that looks like one of ours ("Check 7: No match"). The `say!` and
//! `say_err!` macros and [`print_text`] print through [`terminal_safe`]; the
//! commands print with nothing else.

use std::borrow::Cow;
use std::fmt::Write as _;

use serde::Serialize;

use crate::dci::search::SearchOutcome;
use crate::dci::{Reply, SignatureCheck};
use crate::domain::BeneficiaryRecord;
use crate::sandbox::population::Samples;

/// Whether a terminal may act on `c` instead of showing it: the C0 controls
/// (a line break too unless `keep_newline`), DEL, the C1 controls, and the
/// bidirectional embeddings, overrides and isolates (U+202A–U+202E,
/// U+2066–U+2069, the "Trojan Source" characters).
fn acts_on_terminal(c: char, keep_newline: bool) -> bool {
    match c {
        '\n' => !keep_newline,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' => true,
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => true,
        _ => false,
    }
}

fn escape_controls(text: &str, keep_newline: bool) -> Cow<'_, str> {
    if !text.chars().any(|c| acts_on_terminal(c, keep_newline)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if acts_on_terminal(c, keep_newline) {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `text` made safe to print on a terminal: every control character but the
/// line break, DEL, the C1 controls and the bidirectional overrides become
/// visible `\u{…}` escapes (`\x1b[2J` prints as `\u{1b}[2J`). Every text the
/// commands print passes through here.
pub fn terminal_safe(text: &str) -> Cow<'_, str> {
    escape_controls(text, true)
}

/// [`terminal_safe`] for one value inside a line: its line breaks are escaped
/// too (`\u{a}`).
pub fn inline(text: &str) -> Cow<'_, str> {
    escape_controls(text, false)
}

/// Prints `text` to standard output through [`terminal_safe`].
pub fn print_text(text: &str) {
    print!("{}", terminal_safe(text));
}

/// `println!` through [`terminal_safe`].
macro_rules! say {
    ($($arg:tt)*) => {
        println!("{}", $crate::cli::output::terminal_safe(&format!($($arg)*)))
    };
}

/// `eprintln!` through [`terminal_safe`].
macro_rules! say_err {
    ($($arg:tt)*) => {
        eprintln!("{}", $crate::cli::output::terminal_safe(&format!($($arg)*)))
    };
}

pub(crate) use {say, say_err};

/// A search reply as `ibr-desk search --json` prints it.
#[derive(Debug, Serialize)]
pub struct SearchReport<'a> {
    pub transaction_id: &'a str,
    pub correlation_id: Option<&'a str>,
    pub signature: String,
    pub signature_verified: bool,
    pub warnings: &'a [String],
    pub items: Vec<ItemReport<'a>>,
}

#[derive(Debug, Serialize)]
pub struct ItemReport<'a> {
    pub reference_id: Option<&'a str>,
    pub status: &'a str,
    pub status_reason_code: Option<&'a str>,
    pub status_reason_message: Option<&'a str>,
    pub total_count: Option<u64>,
    pub records: &'a [BeneficiaryRecord],
}

impl<'a> SearchReport<'a> {
    pub fn new(reply: &'a Reply<SearchOutcome>) -> SearchReport<'a> {
        SearchReport {
            transaction_id: &reply.transaction_id,
            correlation_id: reply.outcome.correlation_id.as_deref(),
            signature: reply.signature.describe(),
            signature_verified: matches!(reply.signature, SignatureCheck::Verified(_)),
            warnings: &reply.warnings,
            items: reply
                .outcome
                .items
                .iter()
                .map(|i| ItemReport {
                    reference_id: i.reference_id.as_deref(),
                    status: i.status.as_str(),
                    status_reason_code: i.status_reason_code.as_deref(),
                    status_reason_message: i.status_reason_message.as_deref(),
                    total_count: i.total_count,
                    records: &i.records,
                })
                .collect(),
        }
    }
}

/// The reply in lines a person reads. Every value the registry wrote is
/// [`inline`]d: the reply cannot add a line, nor act on the terminal.
pub fn search_text(reply: &Reply<SearchOutcome>) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "Signature: {}", inline(&reply.signature.describe()));
    let _ = writeln!(
        s,
        "Transaction {} (correlation {})",
        inline(&reply.transaction_id),
        inline(reply.outcome.correlation_id.as_deref().unwrap_or("not given"))
    );
    for item in &reply.outcome.items {
        let r = item.reference_id.as_deref().unwrap_or("(no reference)");
        let _ = write!(s, "Item {}: {}", inline(r), inline(&item.status.describe()));
        if let Some(code) = &item.status_reason_code {
            let _ = write!(s, " — {}", inline(code));
        }
        if let Some(m) = &item.status_reason_message {
            let _ = write!(s, " ({})", inline(m));
        }
        let _ = writeln!(
            s,
            "; {} record(s){}",
            item.records.len(),
            item.total_count.map(|t| format!(" of {t}")).unwrap_or_default()
        );
        for (n, rec) in item.records.iter().enumerate() {
            s.push_str(&record_text(n + 1, rec));
        }
    }
    if !reply.warnings.is_empty() {
        let _ = writeln!(s, "Cannot be trusted or does not fit the request:");
        for w in &reply.warnings {
            let _ = writeln!(s, "  - {}", inline(w));
        }
    }
    s
}

fn record_text(n: usize, rec: &BeneficiaryRecord) -> String {
    let mut s = String::new();
    let name = if rec.name.is_empty() {
        "(no name)".to_string()
    } else {
        rec.name.full()
    };
    let _ = writeln!(
        s,
        "  {n}. {}  {}  born {}",
        inline(&name),
        inline(rec.sex.as_ref().map(|x| x.as_str()).unwrap_or("sex not given")),
        inline(rec.birth_date.as_deref().unwrap_or("?"))
    );
    if !rec.identifiers.is_empty() {
        let ids: Vec<String> = rec.identifiers.iter().map(ToString::to_string).collect();
        let _ = writeln!(s, "     {}", inline(&ids.join(", ")));
    }
    for p in &rec.programmes {
        let _ = writeln!(
            s,
            "     {}: {}{}",
            inline(&p.display_name()),
            inline(&p.enrolment_status.to_string()),
            p.enrolment_date
                .as_deref()
                .map(|d| format!(", enrolled {}", inline(d.get(..10).unwrap_or(d))))
                .unwrap_or_default()
        );
    }
    for note in &rec.parse_notes {
        let _ = writeln!(s, "     note: {}", inline(note));
    }
    s
}

/// Sample identifiers, grouped by kind.
pub fn samples_text(samples: &Samples) -> String {
    let mut s = String::new();
    let ids = |list: &[crate::domain::Identifier]| list.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
    let _ = writeln!(s, "Active in one programme:     {}", ids(&samples.active_single));
    let _ = writeln!(s, "Active in several:           {}", ids(&samples.active_multi));
    let _ = writeln!(s, "Graduated:                   {}", ids(&samples.graduated));
    let _ = writeln!(s, "Suspended:                   {}", ids(&samples.suspended));
    let _ = writeln!(s, "Deceased:                    {}", ids(&samples.deceased));
    let pairs: Vec<String> = samples
        .two_identifiers
        .iter()
        .map(|(a, b)| format!("{a} / {b}"))
        .collect();
    let _ = writeln!(s, "Two identifiers:             {}", pairs.join(", "));
    let _ = writeln!(s, "Birth registration only:     {}", ids(&samples.brn_only));
    let _ = writeln!(s, "Not in the registry:         {}", ids(&samples.not_enrolled));
    let _ = writeln!(s, "Near-twins (same name and birth date, different UIN):");
    for t in &samples.near_twins {
        let _ = writeln!(
            s,
            "  {} {}, born {}: UIN {}",
            t.given_name,
            t.surname,
            t.birth_date,
            t.uins.join(", ")
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every character a terminal acts on, and what it prints instead.
    #[test]
    fn control_characters_and_bidi_overrides_print_as_escapes() {
        let cases = [
            ("\x1b[2J", "\\u{1b}[2J"),
            ("a\rb", "a\\u{d}b"),
            ("\u{7}bell", "\\u{7}bell"),
            ("tab\there", "tab\\u{9}here"),
            ("nul\0", "nul\\u{0}"),
            ("del\u{7f}", "del\\u{7f}"),
            ("csi\u{9b}2J", "csi\\u{9b}2J"),
            ("\u{202e}4321", "\\u{202e}4321"),
            (
                "\u{202a}\u{202b}\u{202c}\u{202d}",
                "\\u{202a}\\u{202b}\\u{202c}\\u{202d}",
            ),
            (
                "\u{2066}x\u{2067}\u{2068}\u{2069}",
                "\\u{2066}x\\u{2067}\\u{2068}\\u{2069}",
            ),
        ];
        for (raw, shown) in cases {
            assert_eq!(terminal_safe(raw), shown, "{raw:?}");
            assert_eq!(inline(raw), shown, "{raw:?}");
        }
    }

    #[test]
    fn ordinary_text_is_kept_as_it_is() {
        for text in ["Zoë Núñez", "مريم", "Nguyễn Văn", "-12", "UIN 7606474565 — ✔", ""] {
            assert!(matches!(terminal_safe(text), Cow::Borrowed(t) if t == text), "{text}");
        }
    }

    #[test]
    fn our_line_breaks_stay_and_a_values_do_not() {
        assert_eq!(terminal_safe("one\ntwo\n"), "one\ntwo\n");
        assert_eq!(inline("Eve\nCheck 7: No match"), "Eve\\u{a}Check 7: No match");
    }
}
