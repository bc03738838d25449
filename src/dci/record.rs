//! Reading IBR `Beneficiary` records in every shape the standard's sources
//! use (SPEC-NOTES §8.3):
//!
//! - the OpenAPI form: programme data inside `member.programme_identifier`
//!   (`enrolment` spelling), the person in `member.demographic_info.person`;
//! - the JSON-LD form: `programme_identifier` a list of `Programme` at the
//!   record's top level with `enrollment_status` beside it;
//! - the older flat `Person` form: `identifier`, `name`, `programme_name`,
//!   `enrolment_status` at the top level.
//!
//! A record is never dropped: what cannot be read is noted in
//! `parse_notes` and the raw JSON is kept, so a match rule can treat an
//! unreadable record as something for a person to look at, not as nothing.
//!
//! Reading is linear in the record's size: identifiers and enrolments are
//! de-duplicated through a hash set, because a hostile record may carry
//! many thousands of them.
#![warn(clippy::string_slice, clippy::arithmetic_side_effects)]

use std::collections::HashSet;
use std::hash::Hash;

use serde_json::Value;

use super::tolerant::{list_of, str_at, string_of};
use crate::domain::{BeneficiaryRecord, EnrolmentStatus, IdType, Identifier, PersonName, ProgrammeEnrolment, Sex};

/// Reads `reg_records`: a list, one object, or absent (no records).
pub fn parse_records(reg_records: Option<&Value>) -> Result<Vec<BeneficiaryRecord>, String> {
    match reg_records {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, r)| {
                if r.is_object() {
                    Ok(parse_record(r))
                } else {
                    Err(format!(
                        "record {} is not an object but {}",
                        i.saturating_add(1),
                        kind(r)
                    ))
                }
            })
            .collect(),
        Some(r @ Value::Object(_)) => Ok(vec![parse_record(r)]),
        Some(other) => Err(format!("reg_records is {} instead of a list of records", kind(other))),
    }
}

/// A list without repeats, in the order first seen, that finds a repeat in
/// constant time.
struct Unique<T> {
    items: Vec<T>,
    seen: HashSet<T>,
}

impl<T: Hash + Eq + Clone> Unique<T> {
    fn new() -> Self {
        Unique {
            items: Vec::new(),
            seen: HashSet::new(),
        }
    }

    fn push(&mut self, item: T) {
        if self.seen.insert(item.clone()) {
            self.items.push(item);
        }
    }

    fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Reads one record (an object). Never fails; see `parse_notes`.
pub fn parse_record(r: &Value) -> BeneficiaryRecord {
    let mut notes = Vec::new();
    let member = r.get("member").filter(|m| m.is_object()).or_else(|| {
        r.get("group")
            .and_then(|g| g.get("group_head_info"))
            .filter(|m| m.is_object())
    });
    let person = member
        .and_then(|m| m.get("demographic_info"))
        .or_else(|| r.get("demographic_info"))
        .and_then(|d| d.get("person").or(Some(d)))
        .filter(|p| p.is_object())
        .unwrap_or(r);

    let mut identifiers = Unique::new();
    let mut member_reference = None;
    if let Some(m) = member {
        match m.get("member_identifier") {
            Some(Value::String(s)) if !s.trim().is_empty() => member_reference = Some(s.clone()),
            Some(v) => collect_identifiers(Some(v), true, &mut identifiers),
            None => {}
        }
    }
    collect_identifiers(person.get("identifier"), true, &mut identifiers);
    collect_identifiers(Some(person), false, &mut identifiers);
    if !std::ptr::eq(person, r) {
        collect_identifiers(r.get("identifier"), true, &mut identifiers);
    }
    if identifiers.is_empty() {
        notes.push("the record carries no typed identifier".to_string());
    }

    let name = read_name(person.get("name"), &mut notes);
    let sex = str_at(person, "sex")
        .or_else(|| str_at(person, "gender"))
        .and_then(|s| Sex::from_wire(&s));
    let birth_date = str_at(person, "birth_date");
    if let Some(b) = &birth_date
        && crate::domain::parse_registry_date(b).is_none()
    {
        notes.push(format!("birth date {b:?} is not in a known date form"));
    }

    let mut programmes = Unique::new();
    if let Some(m) = member {
        collect_programmes(m, &mut programmes, &mut notes);
    }
    collect_programmes(r, &mut programmes, &mut notes);
    if programmes.is_empty() {
        notes.push("the record names no programme enrolment".to_string());
    }

    BeneficiaryRecord {
        identifiers: identifiers.items,
        member_reference,
        name,
        sex,
        birth_date,
        death_date: str_at(person, "death_date"),
        assistance_unit: str_at(r, "assistance_unit"),
        programmes: programmes.items,
        parse_notes: notes,
        raw: r.clone(),
    }
}

/// Adds `{identifier_type, identifier_value}` objects, from a list or a
/// single object, without repeats. Inside an identifier list (`short_form`)
/// the `{type, value}` spelling is read too; on a person object it is not,
/// because there `type` means something else.
fn collect_identifiers(v: Option<&Value>, short_form: bool, out: &mut Unique<Identifier>) {
    for item in list_of(v) {
        let long = (
            str_at(item, "identifier_type"),
            item.get("identifier_value").and_then(string_of),
        );
        let short = (str_at(item, "type"), item.get("value").and_then(string_of));
        let (t, val) = match (long, short) {
            ((Some(t), Some(v)), _) => (t, v),
            (_, (Some(t), Some(v))) if short_form => (t, v),
            _ => continue,
        };
        out.push(Identifier::new(IdType::from_wire(&t), val.trim()));
    }
}

fn read_name(v: Option<&Value>, notes: &mut Vec<String>) -> PersonName {
    match v {
        Some(Value::Object(_)) => {
            let v = v.unwrap_or(&Value::Null);
            let first = |keys: &[&str]| keys.iter().find_map(|k| str_at(v, k));
            PersonName {
                given_name: first(&["given_name", "first_name"]),
                second_name: first(&["second_name", "middle_name"]),
                surname: first(&["surname", "last_name", "family_name"]),
            }
        }
        Some(Value::String(s)) if !s.trim().is_empty() => {
            notes.push("the name is given as one string, not in parts".to_string());
            PersonName {
                given_name: Some(s.clone()),
                ..PersonName::default()
            }
        }
        _ => {
            notes.push("the record carries no name".to_string());
            PersonName::default()
        }
    }
}

fn status_at(v: &Value) -> Option<String> {
    str_at(v, "enrolment_status").or_else(|| str_at(v, "enrollment_status"))
}

fn date_at(v: &Value, stem: &str) -> Option<String> {
    str_at(v, &format!("enrol{stem}")).or_else(|| str_at(v, &format!("enroll{stem}")))
}

/// Adds the programme enrolments found in `container` (a member or a record).
fn collect_programmes(container: &Value, out: &mut Unique<ProgrammeEnrolment>, notes: &mut Vec<String>) {
    let Some(pi) = container.get("programme_identifier") else {
        return;
    };
    let found: Vec<ProgrammeEnrolment> = match pi {
        // The flat form: the identifier and the name side by side.
        Value::String(_) | Value::Number(_) => enrolment(
            string_of(pi),
            str_at(container, "programme_name"),
            container,
            container,
            notes,
        )
        .into_iter()
        .collect(),
        _ => list_of(Some(pi))
            .into_iter()
            .filter(|e| e.is_object())
            .filter_map(|e| {
                let prog = e
                    .get("programme")
                    .or_else(|| e.get("program"))
                    .filter(|p| p.is_object())
                    .unwrap_or(e);
                let id = str_at(prog, "programme_identifier").or_else(|| str_at(prog, "program_identifier"));
                let name = str_at(prog, "programme_name").or_else(|| str_at(prog, "program_name"));
                enrolment(id, name, e, container, notes)
            })
            .collect(),
    };
    for p in found {
        out.push(p);
    }
}

/// One enrolment: status and dates from `entry`, else from `container`
/// (the JSON-LD form keeps them beside the programme list).
fn enrolment(
    id: Option<String>,
    name: Option<String>,
    entry: &Value,
    container: &Value,
    notes: &mut Vec<String>,
) -> Option<ProgrammeEnrolment> {
    if id.is_none() && name.is_none() {
        return None;
    }
    let status = status_at(entry).or_else(|| status_at(container));
    let enrolment_status = match status {
        Some(s) => {
            let st = EnrolmentStatus::from_wire(&s);
            if let EnrolmentStatus::Unknown(u) = &st {
                notes.push(format!(
                    "enrolment status {u:?} is not one of Active, Deceased, Graduated, Suspended"
                ));
            }
            st
        }
        None => {
            notes.push("an enrolment has no status".to_string());
            EnrolmentStatus::Unknown(String::new())
        }
    };
    Some(ProgrammeEnrolment {
        programme_identifier: id,
        programme_name: name,
        enrolment_status,
        enrolment_date: date_at(entry, "ment_date").or_else(|| date_at(container, "ment_date")),
        status_change_date: str_at(entry, "status_change_date").or_else(|| str_at(container, "status_change_date")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_the_openapi_shape() {
        let r = json!({
            "@type": "Beneficiary", "assistance_unit": "1",
            "member": {
                "member_identifier": [{"identifier_type": "UIN", "identifier_value": "4567890123"}],
                "demographic_info": {"person": {
                    "identifier": [{"identifier_type": "BRN", "identifier_value": "B1"}],
                    "name": {"given_name": "Amina", "surname": "Diallo"}, "sex": "female", "birth_date": "1990-03-14"}},
                "programme_identifier": {
                    "programme": {"programme_identifier": "CCT-2023", "programme_name": "Child Cash Transfer"},
                    "enrolment_status": "Active", "enrolment_date": "2023-06-01T00:00:00Z"}
            }
        });
        let rec = parse_record(&r);
        assert!(rec.has_identifier(&IdType::Uin, "4567890123"));
        assert!(rec.has_identifier(&IdType::Brn, "B1"));
        assert_eq!(rec.name.full(), "Amina Diallo");
        assert_eq!(rec.sex, Some(Sex::Female));
        assert_eq!(rec.programmes.len(), 1);
        assert!(rec.has_active_enrolment());
        assert_eq!(
            rec.programmes[0].enrolment_date.as_deref(),
            Some("2023-06-01T00:00:00Z")
        );
        assert!(rec.parse_notes.is_empty(), "{:?}", rec.parse_notes);
    }

    #[test]
    fn reads_the_jsonld_shape_with_enrollment_spelling() {
        let r = json!({
            "assistance_unit": "1",
            "member": {"demographic_info": {"person": {"identifier_type": "UIN", "identifier_value": "77", "name": {"first_name": "Zoé", "surname": "Lefèvre"}}}},
            "programme_identifier": [
                {"programme_identifier": "OAP-2019", "programme_name": "Old Age Pension"},
                {"programme_identifier": "FSV-2024"}
            ],
            "enrollment_status": "3", "enrollment_date": "2019-01-01"
        });
        let rec = parse_record(&r);
        assert!(rec.has_identifier(&IdType::Uin, "77"));
        assert_eq!(rec.name.given_name.as_deref(), Some("Zoé"));
        assert_eq!(rec.programmes.len(), 2);
        assert!(
            rec.programmes
                .iter()
                .all(|p| p.enrolment_status == EnrolmentStatus::Graduated)
        );
        assert_eq!(rec.programmes[0].enrolment_date.as_deref(), Some("2019-01-01"));
    }

    #[test]
    fn reads_the_flat_person_shape_and_the_mock() {
        let flat = json!({"identifier": {"identifier_type": "uin", "identifier_value": 123},
            "name": "Test Person", "programme_identifier": "P1", "programme_name": "Prog", "enrolment_status": "4"});
        let rec = parse_record(&flat);
        assert!(rec.has_identifier(&IdType::Uin, "123"));
        assert_eq!(rec.programmes[0].enrolment_status, EnrolmentStatus::Suspended);
        assert!(rec.parse_notes.iter().any(|n| n.contains("one string")));

        let mock = json!({"member": {"member_identifier": "HS0205202401",
            "demographic_info": {"person": {"identifier_type": "NID", "identifier_value": "0205202401",
                "name": {"first_name": "Test", "second_name": "Test2", "surname": "Test3"}, "birth_date": "02.05.2004"}},
            "programme_identifier": {"programme": {"programme_identifier": "DCI001", "programme_name": "Test Programme"}, "enrolment_status": "Active"}}});
        let rec = parse_record(&mock);
        assert_eq!(rec.member_reference.as_deref(), Some("HS0205202401"));
        assert!(rec.has_identifier(&IdType::Other("NID".into()), "0205202401"));
        assert_eq!(rec.name.full(), "Test Test2 Test3");
        assert!(rec.birth_date_parsed().is_some());
    }

    #[test]
    fn keeps_a_record_it_cannot_read() {
        let rec = parse_record(&json!({"something": "else"}));
        assert!(rec.identifiers.is_empty());
        assert_eq!(rec.parse_notes.len(), 3, "{:?}", rec.parse_notes);
        assert_eq!(rec.raw, json!({"something": "else"}));
    }

    #[test]
    fn unknown_status_is_noted_not_active() {
        let rec = parse_record(
            &json!({"member": {"programme_identifier": {"programme": {"programme_identifier": "X"}, "enrolment_status": "Paused"}}}),
        );
        assert!(!rec.has_active_enrolment());
        assert!(rec.parse_notes.iter().any(|n| n.contains("Paused")));
    }

    #[test]
    fn many_identifiers_and_enrolments_are_read_once_each_in_order() {
        // 60,000 identifiers of which 20,000 distinct, and as many enrolments:
        // a linear scan per identifier made this quadratic.
        let ids: Vec<Value> = (0..60_000)
            .map(|i| json!({"identifier_type": "UIN", "identifier_value": (i % 20_000).to_string()}))
            .collect();
        let programmes: Vec<Value> = (0..60_000)
            .map(|i| json!({"programme_identifier": format!("P{}", i % 20_000), "enrolment_status": "1"}))
            .collect();
        let r = json!({"member": {"member_identifier": ids, "programme_identifier": programmes}});
        let rec = parse_record(&r);
        assert_eq!(rec.identifiers.len(), 20_000);
        assert_eq!(rec.identifiers[0].value, "0");
        assert_eq!(rec.identifiers[19_999].value, "19999");
        assert_eq!(rec.programmes.len(), 20_000);
        assert_eq!(rec.programmes[1].programme_identifier.as_deref(), Some("P1"));
    }

    #[test]
    fn a_birth_date_in_another_script_is_noted_not_read_and_does_not_panic() {
        let rec = parse_record(&json!({"identifier_type": "UIN", "identifier_value": "1",
            "name": {"given_name": "Mei"}, "birth_date": "1990年03月14日"}));
        assert_eq!(rec.birth_date.as_deref(), Some("1990年03月14日"));
        assert!(rec.birth_date_parsed().is_none());
        assert!(
            rec.parse_notes.iter().any(|n| n.contains("1990年03月14日")),
            "{:?}",
            rec.parse_notes
        );
    }

    #[test]
    fn reg_records_shapes() {
        assert!(parse_records(None).unwrap().is_empty());
        assert_eq!(parse_records(Some(&json!({"a": 1}))).unwrap().len(), 1);
        assert!(parse_records(Some(&json!([1]))).is_err());
        assert!(parse_records(Some(&json!("x"))).is_err());
    }
}
