//! The sandbox's people written as IBR `Beneficiary` records: one record per
//! programme enrolment, in the shape the faults ask for.
//!
//! Written by hand from the standard's examples, not from the client's
//! parser, so that the two cannot share a mistake.

use serde_json::{Value, json};

use super::faults::RecordShape;
use super::population::{PROGRAMMES, Person};

const CONTEXT_VOCAB: &str = "https://schema.spdci.org/extensions/ibr/v1";

/// The records of one person.
pub fn beneficiary_records(person: &Person, shape: RecordShape) -> Vec<Value> {
    person
        .enrolments
        .iter()
        .map(|e| {
            let programme = &PROGRAMMES[e.programme];
            let ids: Vec<Value> = person
                .identifiers()
                .iter()
                .map(|i| json!({"identifier_type": i.id_type.as_str(), "identifier_value": i.value}))
                .collect();
            let mut name = json!({"given_name": person.given_name, "surname": person.surname});
            if let Some(second) = &person.second_name {
                name["second_name"] = json!(second);
            }
            let mut demographic = json!({
                "identifier": ids,
                "name": name,
                "sex": person.sex.as_str(),
                "birth_date": person.birth_date.to_string(),
            });
            if let Some(d) = person.death_date {
                demographic["death_date"] = json!(d.to_string());
            }
            let status_change = e.status_change_date.map(|d| d.to_string()).unwrap_or_default();
            let benefits = json!({
                "benefit_type": "Cash",
                "benefit_frequency": "Monthly",
            });
            let registration = format!("{}T00:00:00Z", person.registration_date);
            let enrolment_date = format!("{}T00:00:00Z", e.enrolment_date);
            match shape {
                RecordShape::Openapi => json!({
                    "@context": {"@vocab": CONTEXT_VOCAB},
                    "@type": "Beneficiary",
                    "assistance_unit": "1",
                    "member": {
                        "member_identifier": ids,
                        "demographic_info": {"person": demographic},
                        "registration_date": registration,
                        "programme_identifier": {
                            "programme": {
                                "programme_identifier": programme.identifier,
                                "programme_name": programme.name,
                            },
                            "enrolment_date": enrolment_date,
                            "enrolment_status": e.status.label(),
                            "status_change_date": status_change,
                            "benefits": benefits,
                        },
                    },
                }),
                RecordShape::Jsonld => json!({
                    "@context": {"@vocab": CONTEXT_VOCAB},
                    "@type": "Beneficiary",
                    "assistance_unit": "1",
                    "member": {
                        "member_identifier": ids,
                        "demographic_info": {"person": demographic},
                        "registration_date": registration,
                    },
                    "programme_identifier": [{
                        "programme_identifier": programme.identifier,
                        "programme_name": programme.name,
                    }],
                    "enrollment_date": enrolment_date,
                    // The JSON-LD code list: 1 Active, 2 Deceased, 3 Graduated, 4 Suspended.
                    "enrollment_status": e.status.code().unwrap_or(""),
                    "status_change_date": status_change,
                    "benefits": [benefits],
                }),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dci::record::parse_record;
    use crate::sandbox::population::{Population, PopulationConfig};

    #[test]
    fn both_shapes_read_back_the_same() {
        let pop = Population::generate(&PopulationConfig { size: 200, seed: 7 });
        for p in pop.people().iter().take(50) {
            for shape in [RecordShape::Openapi, RecordShape::Jsonld] {
                let recs = beneficiary_records(p, shape);
                assert_eq!(recs.len(), p.enrolments.len());
                for (r, e) in recs.iter().zip(&p.enrolments) {
                    let parsed = parse_record(r);
                    assert!(parsed.parse_notes.is_empty(), "{shape:?}: {:?}", parsed.parse_notes);
                    assert_eq!(parsed.identifiers, p.identifiers());
                    assert_eq!(parsed.name.given_name.as_deref(), Some(p.given_name.as_str()));
                    assert_eq!(parsed.programmes.len(), 1);
                    assert_eq!(parsed.programmes[0].enrolment_status, e.status);
                }
            }
        }
    }
}
