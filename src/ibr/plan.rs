//! Which searches a duplication check makes: each of the applicant's
//! identifiers, and a demographic search when the name and birth date are
//! known (so a person registered under another identifier is still found).

use crate::domain::{ApplicantSnapshot, QueryKind, Registrant};

/// The searches of a check of this registrant, in a fixed order.
pub fn queries_for(r: &Registrant) -> Vec<QueryKind> {
    let mut out: Vec<QueryKind> = r
        .identifiers
        .iter()
        .map(|i| QueryKind::Identifier {
            id_type: i.id_type.clone(),
            value: i.value.clone(),
        })
        .collect();
    if let (Some(g), Some(s), Some(b)) = (&r.given_name, &r.surname, r.birth_date)
        && r.has_demographics()
    {
        out.push(QueryKind::Demographic {
            given_name: g.trim().to_string(),
            surname: s.trim().to_string(),
            birth_date: b,
        });
    }
    out
}

/// The applicant as the check records them.
pub fn snapshot(r: &Registrant) -> ApplicantSnapshot {
    r.snapshot()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{IdType, Identifier};
    use chrono::{NaiveDate, Utc};

    #[test]
    fn identifiers_then_demographics() {
        let mut r = Registrant {
            id: 1,
            given_name: Some("Amina".into()),
            surname: Some("Diallo".into()),
            birth_date: NaiveDate::from_ymd_opt(1990, 3, 14),
            sex: None,
            identifiers: vec![Identifier::new(IdType::Uin, "1"), Identifier::new(IdType::Brn, "B1")],
            created_at: Utc::now(),
        };
        let q = queries_for(&r);
        assert_eq!(q.len(), 3);
        assert!(matches!(q[2], QueryKind::Demographic { .. }));
        r.birth_date = None;
        assert_eq!(queries_for(&r).len(), 2);
    }
}
