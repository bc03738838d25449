//! Text forms of results for the terminal. JSON output uses serde instead.

use std::fmt::Write as _;

use serde::Serialize;

use crate::dci::search::SearchOutcome;
use crate::dci::{Reply, SignatureCheck};
use crate::domain::BeneficiaryRecord;
use crate::sandbox::population::Samples;

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

/// The reply in lines a person reads.
pub fn search_text(reply: &Reply<SearchOutcome>) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "Signature: {}", reply.signature.describe());
    let _ = writeln!(
        s,
        "Transaction {} (correlation {})",
        reply.transaction_id,
        reply.outcome.correlation_id.as_deref().unwrap_or("not given")
    );
    for item in &reply.outcome.items {
        let r = item.reference_id.as_deref().unwrap_or("(no reference)");
        let _ = write!(s, "Item {r}: {}", item.status.describe());
        if let Some(code) = &item.status_reason_code {
            let _ = write!(s, " — {code}");
        }
        if let Some(m) = &item.status_reason_message {
            let _ = write!(s, " ({m})");
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
            let _ = writeln!(s, "  - {w}");
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
        "  {n}. {name}  {}  born {}",
        rec.sex.as_ref().map(|x| x.as_str()).unwrap_or("sex not given"),
        rec.birth_date.as_deref().unwrap_or("?")
    );
    if !rec.identifiers.is_empty() {
        let ids: Vec<String> = rec.identifiers.iter().map(ToString::to_string).collect();
        let _ = writeln!(s, "     {}", ids.join(", "));
    }
    for p in &rec.programmes {
        let _ = writeln!(
            s,
            "     {}: {}{}",
            p.display_name(),
            p.enrolment_status,
            p.enrolment_date
                .as_deref()
                .map(|d| format!(", enrolled {}", d.get(..10).unwrap_or(d)))
                .unwrap_or_default()
        );
    }
    for note in &rec.parse_notes {
        let _ = writeln!(s, "     note: {note}");
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
