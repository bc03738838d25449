//! The match rules: how a registry's answers to one check's searches become
//! `no_match`, `possible_match` or `confirmed_match`, with a one-line
//! explanation and the candidates (docs/MATCH-RULES.md says the same in prose).
//!
//! 1. Any search of the check without a full, final answer (see `collect`)
//!    is a **failure**, never a result.
//! 2. Every search answered `succ` with an empty list of records, nothing
//!    left unfetched: **no match**.
//! 3. A record carrying exactly the queried identifier (type and value), with
//!    an Active enrolment, and no conflict with the applicant's birth date or
//!    name (compared after normalising case, accents and spacing):
//!    **confirmed match**.
//! 4. Any other record, or more records than the data source's limit lets a
//!    check fetch: **possible match** — a person decides.
//!
//! Records are grouped into candidates (registries send one record per
//! enrolment), so one person enrolled in three programmes is one candidate.

// Registry replies flow through here: no byte slicing of their text, no
// arithmetic that can overflow on their numbers.
#![warn(clippy::string_slice, clippy::arithmetic_side_effects)]

use std::collections::BTreeSet;

use super::collect::SearchAnswer;
use crate::domain::{
    ApplicantSnapshot, BeneficiaryRecord, CheckQuery, ErrorKind, FoundBy, IdType, Identifier, MatchCandidate,
    MatchResult, ProgrammeEnrolment, QueryKind, normalize_name,
};

/// Why a check could not reach a result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckFailure {
    /// `rejected`, `incomplete`, `malformed`, … (stored as `DuplicationCheck::error_kind`).
    pub kind: ErrorKind,
    pub message: String,
}

impl CheckFailure {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> CheckFailure {
        CheckFailure {
            kind,
            message: message.into(),
        }
    }
}

/// What the rules concluded for one check.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub result: MatchResult,
    pub explanation: String,
    pub matched_programs: Vec<String>,
    pub candidates: Vec<MatchCandidate>,
}

/// Applies the rules to one check. `answers[i]` is the registry's full
/// answer to `queries[i]`, every page fetched; a search without such an
/// answer (rejected, unanswered, ambiguous, not final, missing its payload,
/// incomplete) has already failed the check (rule 1, in `collect`).
pub fn decide(applicant: &ApplicantSnapshot, queries: &[CheckQuery], answers: &[SearchAnswer]) -> Decision {
    let candidates = group_candidates(applicant, queries, answers);
    let not_shown: u64 = answers.iter().map(|a| a.not_fetched).sum();

    // Rule 2.
    if candidates.is_empty() && not_shown == 0 {
        let asked: Vec<String> = queries.iter().map(|q| q.kind.describe()).collect();
        return Decision {
            result: MatchResult::NoMatch,
            explanation: format!("No match: the registry holds no record for {}.", join_or(&asked)),
            matched_programs: Vec::new(),
            candidates,
        };
    }

    // Rule 3, unless records were left unseen.
    let confirming: Vec<&MatchCandidate> = candidates.iter().filter(|c| c.confirms).collect();
    let confirmed = confirming.first().map(|first| {
        let ids = queried_identifiers(queries);
        let id = first
            .identifiers
            .iter()
            .find(|i| ids.contains(i))
            .map(ToString::to_string)
            .unwrap_or_default();
        let active: Vec<String> = first
            .programmes
            .iter()
            .filter(|p| p.enrolment_status.is_active())
            .map(ProgrammeEnrolment::display_name)
            .collect();
        let compared = match (applicant.birth_date.is_some(), has_name(applicant)) {
            (true, true) => "name and birth date agree",
            (true, false) => "birth date agrees; no name to compare",
            (false, true) => "name agrees; no birth date to compare",
            (false, false) => "no name or birth date to compare",
        };
        format!("{id} is enrolled and Active in {}; {compared}", join_and(&active))
    });
    if not_shown > 0 {
        let shown: usize = answers.iter().map(|a| a.records.len()).sum();
        let also = match &confirmed {
            Some(c) => format!("; among those shown, {c}"),
            None => String::new(),
        };
        return Decision {
            result: MatchResult::PossibleMatch,
            explanation: format!(
                "Possible match: more records than shown — the registry holds {not_shown} more record(s) for these \
                 searches than the {shown} fetched (the limit of this data source){also} — review needed."
            ),
            matched_programs: programmes_of(candidates.iter()),
            candidates,
        };
    }
    if let Some(c) = confirmed {
        return Decision {
            result: MatchResult::ConfirmedMatch,
            explanation: format!("Confirmed match: {c}."),
            matched_programs: programmes_of(confirming.iter().copied()),
            candidates,
        };
    }

    // Rule 4.
    let lead = candidates
        .iter()
        .min_by_key(|c| rank(c.found_by))
        .unwrap_or(&candidates[0]);
    let why = match lead.found_by {
        FoundBy::Demographic => {
            let n = candidates.len();
            format!(
                "{n} record(s) with the same name and birth date, none under the applicant's identifiers{}",
                if lead.reasons.len() > 1 {
                    format!(" ({})", lead.reasons[1..].join("; "))
                } else {
                    String::new()
                }
            )
        }
        _ => lead.reasons.join("; "),
    };
    Decision {
        result: MatchResult::PossibleMatch,
        explanation: format!("Possible match: {why} — review needed."),
        matched_programs: programmes_of(candidates.iter()),
        candidates,
    }
}

fn has_name(a: &ApplicantSnapshot) -> bool {
    a.given_name.as_deref().is_some_and(|s| !s.trim().is_empty())
        || a.surname.as_deref().is_some_and(|s| !s.trim().is_empty())
}

fn queried_identifiers(queries: &[CheckQuery]) -> Vec<Identifier> {
    queries
        .iter()
        .filter_map(|q| match &q.kind {
            QueryKind::Identifier { id_type, value } => Some(Identifier::new(id_type.clone(), value.clone())),
            QueryKind::Demographic { .. } => None,
        })
        .collect()
}

fn programmes_of<'a>(cands: impl Iterator<Item = &'a MatchCandidate>) -> Vec<String> {
    let set: BTreeSet<String> = cands
        .flat_map(|c| c.programmes.iter().map(ProgrammeEnrolment::display_name))
        .collect();
    set.into_iter().collect()
}

fn join_or(items: &[String]) -> String {
    join_with(items, "or")
}

fn join_and(items: &[String]) -> String {
    join_with(items, "and")
}

fn join_with(items: &[String], word: &str) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{}, {word} {last}", init.join(", ")),
    }
}

/// The identity a record is grouped by: its identifiers, else its name and birth date.
fn person_key(r: &BeneficiaryRecord) -> String {
    if r.identifiers.is_empty() {
        format!(
            "name:{}|{}",
            normalize_name(&r.name.full()),
            r.birth_date.as_deref().unwrap_or("")
        )
    } else {
        let mut ids: Vec<String> = r.identifiers.iter().map(ToString::to_string).collect();
        ids.sort();
        format!("ids:{}", ids.join(","))
    }
}

/// Groups the records of all answers into candidates and assesses each.
fn group_candidates(
    applicant: &ApplicantSnapshot,
    queries: &[CheckQuery],
    answers: &[SearchAnswer],
) -> Vec<MatchCandidate> {
    struct Group<'a> {
        key: String,
        found_by: FoundBy,
        /// The identifier query that found it, for messages.
        asked: Option<Identifier>,
        records: Vec<&'a BeneficiaryRecord>,
    }
    let mut groups: Vec<Group> = Vec::new();
    for (q, a) in queries.iter().zip(answers) {
        for r in &a.records {
            let (found_by, asked) = match &q.kind {
                QueryKind::Identifier { id_type, value } => {
                    let asked = Identifier::new(id_type.clone(), value.clone());
                    if r.has_identifier(id_type, value) {
                        (FoundBy::Identifier, Some(asked))
                    } else {
                        (FoundBy::OtherIdentifier, Some(asked))
                    }
                }
                QueryKind::Demographic { .. } => (FoundBy::Demographic, None),
            };
            let key = person_key(r);
            match groups.iter_mut().find(|g| g.key == key) {
                Some(g) => {
                    if rank(found_by) < rank(g.found_by) {
                        g.found_by = found_by;
                        g.asked = asked;
                    }
                    g.records.push(r);
                }
                None => groups.push(Group {
                    key,
                    found_by,
                    asked,
                    records: vec![r],
                }),
            }
        }
    }
    groups
        .into_iter()
        .enumerate()
        .map(|(i, g)| {
            assess(
                u32::try_from(i).unwrap_or(u32::MAX).saturating_add(1),
                applicant,
                g.found_by,
                g.asked.as_ref(),
                &g.records,
            )
        })
        .collect()
}

fn rank(f: FoundBy) -> u8 {
    match f {
        FoundBy::Identifier => 0,
        FoundBy::OtherIdentifier => 1,
        FoundBy::Demographic => 2,
    }
}

/// Assesses one candidate (one person, possibly several records).
fn assess(
    rank: u32,
    applicant: &ApplicantSnapshot,
    found_by: FoundBy,
    asked: Option<&Identifier>,
    records: &[&BeneficiaryRecord],
) -> MatchCandidate {
    let first = records[0];
    let mut identifiers: Vec<Identifier> = Vec::new();
    let mut programmes: Vec<ProgrammeEnrolment> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    for r in records {
        for i in &r.identifiers {
            if !identifiers.contains(i) {
                identifiers.push(i.clone());
            }
        }
        for p in &r.programmes {
            if !programmes.contains(p) {
                programmes.push(p.clone());
            }
        }
        for n in &r.parse_notes {
            if !notes.contains(n) {
                notes.push(n.clone());
            }
        }
    }
    let mut reasons = Vec::new();
    let asked_text = asked.map(ToString::to_string).unwrap_or_default();
    match found_by {
        FoundBy::Identifier => {}
        FoundBy::OtherIdentifier => {
            let theirs: Vec<String> = identifiers.iter().map(ToString::to_string).collect();
            reasons.push(if theirs.is_empty() {
                format!("the registry answered {asked_text} with a record that carries no identifier")
            } else {
                format!(
                    "the registry answered {asked_text} with a record carrying {} instead",
                    theirs.join(", ")
                )
            });
        }
        FoundBy::Demographic => reasons.push("found only by name and birth date".to_string()),
    }
    let active = programmes.iter().any(|p| p.enrolment_status.is_active());
    if found_by == FoundBy::Identifier && !active {
        let statuses: BTreeSet<String> = programmes.iter().map(|p| p.enrolment_status.to_string()).collect();
        reasons.push(if statuses.is_empty() {
            format!("{asked_text} is known to the registry, but no enrolment is stated")
        } else {
            format!(
                "{asked_text} is known to the registry, but its enrolment is {}",
                statuses.into_iter().collect::<Vec<_>>().join("/")
            )
        });
    }
    let conflicts = conflicts(applicant, first);
    if found_by == FoundBy::Identifier && !conflicts.is_empty() {
        reasons.push(format!(
            "{asked_text} is known to the registry, but {}",
            conflicts.join(" and ")
        ));
    } else if !conflicts.is_empty() {
        reasons.extend(conflicts);
    }
    let confirms = reasons.is_empty();
    reasons.extend(notes.into_iter().map(|n| format!("note: {n}")));
    MatchCandidate {
        rank,
        found_by,
        name: if first.name.is_empty() {
            "(no name)".to_string()
        } else {
            first.name.full()
        },
        birth_date: first.birth_date.clone(),
        sex: first.sex.as_ref().map(|s| s.as_str().to_string()),
        identifiers,
        programmes,
        confirms,
        reasons,
        raw: if records.len() == 1 {
            first.raw.clone()
        } else {
            serde_json::Value::Array(records.iter().map(|r| r.raw.clone()).collect())
        },
    }
}

/// What the record says that contradicts the applicant: birth date, given
/// name, surname. Unknown values on either side are not conflicts.
fn conflicts(applicant: &ApplicantSnapshot, r: &BeneficiaryRecord) -> Vec<String> {
    let mut out = Vec::new();
    if let (Some(mine), Some(theirs)) = (applicant.birth_date, r.birth_date_parsed())
        && mine != theirs
    {
        out.push(format!("the birth date differs (applicant {mine}, registry {theirs})"));
    }
    let name_only_in_one_string = r.name.surname.is_none() && r.name.second_name.is_none();
    if name_only_in_one_string {
        if let (true, Some(full)) = (has_name(applicant), r.name.given_name.as_deref()) {
            let mine = applicant.display_name();
            if normalize_name(&mine) != normalize_name(full) {
                out.push(format!("the name differs (applicant {mine}, registry {full})"));
            }
        }
        return out;
    }
    let pairs = [
        (
            "given name",
            applicant.given_name.as_deref(),
            r.name.given_name.as_deref(),
        ),
        ("surname", applicant.surname.as_deref(), r.name.surname.as_deref()),
    ];
    for (what, mine, theirs) in pairs {
        if let (Some(m), Some(t)) = (mine, theirs)
            && !m.trim().is_empty()
            && normalize_name(m) != normalize_name(t)
        {
            out.push(format!("the {what} differs (applicant {m}, registry {t})"));
        }
    }
    out
}

/// The identifier type a query asked for, for messages.
pub fn query_id_type(q: &CheckQuery) -> Option<&IdType> {
    match &q.kind {
        QueryKind::Identifier { id_type, .. } => Some(id_type),
        QueryKind::Demographic { .. } => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dci::record::parse_record;
    use crate::domain::EnrolmentStatus;
    use chrono::NaiveDate;
    use serde_json::json;

    fn applicant() -> ApplicantSnapshot {
        ApplicantSnapshot {
            given_name: Some("Amina".into()),
            surname: Some("Diallo".into()),
            birth_date: NaiveDate::from_ymd_opt(1990, 3, 14),
            sex: None,
        }
    }

    fn uin_query() -> CheckQuery {
        CheckQuery {
            reference_id: "1-1".into(),
            kind: QueryKind::Identifier {
                id_type: IdType::Uin,
                value: "4567890123".into(),
            },
        }
    }

    fn demo_query() -> CheckQuery {
        CheckQuery {
            reference_id: "1-2".into(),
            kind: QueryKind::Demographic {
                given_name: "Amina".into(),
                surname: "Diallo".into(),
                birth_date: NaiveDate::from_ymd_opt(1990, 3, 14).unwrap(),
            },
        }
    }

    fn record(uin: &str, given: &str, birth: &str, status: &str, programme: &str) -> BeneficiaryRecord {
        parse_record(&json!({
            "member": {
                "member_identifier": [{"identifier_type": "UIN", "identifier_value": uin}],
                "demographic_info": {"person": {"name": {"given_name": given, "surname": "Diallo"}, "birth_date": birth}},
                "programme_identifier": {"programme": {"programme_identifier": programme, "programme_name": "Prog"}, "enrolment_status": status}
            }
        }))
    }

    fn answer(records: Vec<BeneficiaryRecord>) -> SearchAnswer {
        SearchAnswer {
            total_count: Some(records.len() as u64),
            records,
            not_fetched: 0,
            pages: 1,
        }
    }

    fn run(queries: &[CheckQuery], answers: &[SearchAnswer]) -> Decision {
        decide(&applicant(), queries, answers)
    }

    #[test]
    fn all_succ_and_empty_is_no_match() {
        let d = run(&[uin_query(), demo_query()], &[answer(vec![]), answer(vec![])]);
        assert_eq!(d.result, MatchResult::NoMatch);
        assert_eq!(
            d.explanation,
            "No match: the registry holds no record for UIN 4567890123, or name and birth date."
        );
        assert!(d.candidates.is_empty() && d.matched_programs.is_empty());
    }

    #[test]
    fn exact_active_agreeing_is_confirmed() {
        let r = record("4567890123", "AMINA", "1990-03-14", "Active", "CCT-2023");
        let d = run(&[uin_query()], &[answer(vec![r])]);
        assert_eq!(d.result, MatchResult::ConfirmedMatch, "{}", d.explanation);
        assert!(
            d.explanation
                .contains("UIN 4567890123 is enrolled and Active in CCT-2023 — Prog")
        );
        assert!(d.explanation.contains("name and birth date agree"));
        assert_eq!(d.matched_programs, vec!["CCT-2023 — Prog".to_string()]);
        assert!(d.candidates[0].confirms);
    }

    #[test]
    fn graduated_is_possible() {
        let r = record("4567890123", "Amina", "1990-03-14", "3", "OAP");
        let d = run(&[uin_query()], &[answer(vec![r])]);
        assert_eq!(d.result, MatchResult::PossibleMatch);
        assert!(
            d.explanation.contains("its enrolment is Graduated"),
            "{}",
            d.explanation
        );
    }

    #[test]
    fn birth_date_or_name_conflict_is_possible() {
        let r = record("4567890123", "Amina", "1991-03-14", "Active", "P");
        let d = run(&[uin_query()], &[answer(vec![r])]);
        assert_eq!(d.result, MatchResult::PossibleMatch);
        assert!(
            d.explanation
                .contains("birth date differs (applicant 1990-03-14, registry 1991-03-14)")
        );
        let r = record("4567890123", "Aminata", "1990-03-14", "Active", "P");
        let d = run(&[uin_query()], &[answer(vec![r])]);
        assert_eq!(d.result, MatchResult::PossibleMatch);
        assert!(d.explanation.contains("given name differs"), "{}", d.explanation);
    }

    #[test]
    fn accents_and_case_are_not_conflicts() {
        let mut a = applicant();
        a.given_name = Some("  AMÍNA ".into());
        let r = record("4567890123", "Amina", "1990-03-14", "Active", "P");
        let d = decide(&a, &[uin_query()], &[answer(vec![r])]);
        assert_eq!(d.result, MatchResult::ConfirmedMatch);
    }

    #[test]
    fn demographic_only_is_possible() {
        let twin1 = record("111", "Amina", "1990-03-14", "Active", "P1");
        let twin2 = record("222", "Amina", "1990-03-14", "Active", "P2");
        let d = run(
            &[uin_query(), demo_query()],
            &[answer(vec![]), answer(vec![twin1, twin2])],
        );
        assert_eq!(d.result, MatchResult::PossibleMatch);
        assert_eq!(d.candidates.len(), 2);
        assert!(
            d.explanation.contains("2 record(s) with the same name and birth date"),
            "{}",
            d.explanation
        );
        assert_eq!(d.matched_programs.len(), 2);
    }

    #[test]
    fn other_identifier_type_is_possible() {
        let r = parse_record(&json!({"member": {"demographic_info": {"person": {
            "identifier_type": "NID", "identifier_value": "555", "name": {"given_name": "Amina", "surname": "Diallo"}}},
            "programme_identifier": {"programme": {"programme_identifier": "P"}, "enrolment_status": "Active"}}}));
        let d = run(&[uin_query()], &[answer(vec![r])]);
        assert_eq!(d.result, MatchResult::PossibleMatch);
        assert!(d.explanation.contains("carrying NID 555 instead"), "{}", d.explanation);
    }

    #[test]
    fn records_of_one_person_become_one_candidate() {
        let a = record("4567890123", "Amina", "1990-03-14", "Active", "P1");
        let b = record("4567890123", "Amina", "1990-03-14", "Graduated", "P2");
        let c = record("4567890123", "Amina", "1990-03-14", "Active", "P1");
        let d = run(&[uin_query(), demo_query()], &[answer(vec![a, b]), answer(vec![c])]);
        assert_eq!(d.candidates.len(), 1, "{:#?}", d.candidates);
        assert_eq!(d.candidates[0].found_by, FoundBy::Identifier);
        assert_eq!(d.candidates[0].programmes.len(), 2);
        assert_eq!(d.result, MatchResult::ConfirmedMatch);
        assert_eq!(
            d.candidates[0].programmes[1].enrolment_status,
            EnrolmentStatus::Graduated
        );
    }

    #[test]
    fn unreadable_status_is_not_active() {
        let r = record("4567890123", "Amina", "1990-03-14", "Paused", "P");
        let d = run(&[uin_query()], &[answer(vec![r])]);
        assert_eq!(d.result, MatchResult::PossibleMatch);
        assert!(d.candidates[0].reasons.iter().any(|r| r.contains("Paused")));
    }

    #[test]
    fn more_records_than_shown_is_possible_even_when_one_confirms() {
        let r = record("4567890123", "Amina", "1990-03-14", "Active", "P");
        let mut a = answer(vec![r]);
        a.total_count = Some(3);
        a.not_fetched = 2;
        let d = run(&[uin_query()], &[a]);
        assert_eq!(d.result, MatchResult::PossibleMatch, "{}", d.explanation);
        assert!(d.explanation.contains("more records than shown"), "{}", d.explanation);
        assert!(d.explanation.contains("2 more record(s)"), "{}", d.explanation);
        assert!(
            d.explanation.contains("UIN 4567890123 is enrolled and Active"),
            "{}",
            d.explanation
        );
    }

    #[test]
    fn unfetched_records_are_never_no_match() {
        // The limit was reached on the demographic search; nothing of the
        // identifier search was fetched at all.
        let mut uin = answer(vec![]);
        uin.total_count = Some(40);
        uin.not_fetched = 40;
        let twin = record("111", "Amina", "1990-03-14", "Active", "P1");
        let d = run(&[uin_query(), demo_query()], &[uin, answer(vec![twin])]);
        assert_eq!(d.result, MatchResult::PossibleMatch, "{}", d.explanation);
        assert!(d.explanation.contains("40 more record(s)"), "{}", d.explanation);
    }
}
