//! Answering the three DCI query forms over the synthetic population.
//!
//! `idtype-value` looks an identifier up; `predicate` and `expression`
//! (a Mongo-style object: `$and`, `$or`, `$not`, `$eq`, `$in`, `$lt`, …) both
//! become one [`Filter`] over named attributes. Names compare the way
//! `domain::normalize_name` does, so the demographic search of a client
//! finds a person typed without accents. An equality on an identifier or a
//! birth date uses an index; anything else scans.

use chrono::NaiveDate;
use serde_json::Value;

use super::population::{PROGRAMMES, Person, Population};
use crate::dci::search::{Condition, Connective, Operator, Predicate, Query};
use crate::dci::tolerant::string_of;
use crate::domain::{IdType, normalize_name};

/// More matching people than this and the search is refused
/// (`rjct.search.too_many_records_found`) rather than paged forever.
pub const MAX_MATCHES: usize = 10_000;

/// Why a query cannot be answered; becomes an item `rjct` with this message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryError {
    /// `rjct.search_criteria.invalid`
    Invalid(String),
    /// `rjct.search.too_many_records_found`
    TooMany(usize),
}

/// The attributes a query may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Attribute {
    GivenName,
    SecondName,
    Surname,
    BirthDate,
    BirthYear,
    Sex,
    Identifier(Option<StandardId>),
    Programme,
    EnrolmentStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StandardId {
    Uin,
    Brn,
    Mrn,
    Drn,
}

const SEARCHABLE: &str = "given_name, second_name, surname, birth_date, yob, sex, UIN, BRN, MRN, DRN, \
                          person_identifier, programme_identifier, enrolment_status";

impl Attribute {
    fn parse(name: &str) -> Result<Attribute, QueryError> {
        let n = name.trim().to_ascii_lowercase();
        let n = n.rsplit('.').next().unwrap_or(&n);
        Ok(match n {
            "given_name" | "first_name" => Attribute::GivenName,
            "second_name" | "middle_name" => Attribute::SecondName,
            "surname" | "last_name" | "family_name" => Attribute::Surname,
            "birth_date" | "dob" | "date_of_birth" => Attribute::BirthDate,
            "yob" | "birth_year" => Attribute::BirthYear,
            "sex" | "gender" => Attribute::Sex,
            "uin" => Attribute::Identifier(Some(StandardId::Uin)),
            "brn" => Attribute::Identifier(Some(StandardId::Brn)),
            "mrn" => Attribute::Identifier(Some(StandardId::Mrn)),
            "drn" => Attribute::Identifier(Some(StandardId::Drn)),
            "person_identifier" | "identifier" | "identifier_value" | "member_identifier" => {
                Attribute::Identifier(None)
            }
            "programme_identifier" | "program_identifier" => Attribute::Programme,
            "enrolment_status" | "enrollment_status" => Attribute::EnrolmentStatus,
            _ => {
                return Err(QueryError::Invalid(format!(
                    "attribute {name:?} is not searchable here; searchable: {SEARCHABLE}"
                )));
            }
        })
    }
}

/// A condition tree over attributes.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    Cond {
        attribute: AttributeRef,
        operator: Operator,
        value: Value,
    },
    And(Vec<Filter>),
    Or(Vec<Filter>),
    Not(Box<Filter>),
}

/// An attribute as parsed (kept opaque outside this module).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttributeRef(Attribute);

impl Filter {
    fn cond(c: &Condition) -> Result<Filter, QueryError> {
        Ok(Filter::Cond {
            attribute: AttributeRef(Attribute::parse(&c.attribute_name)?),
            operator: c.operator,
            value: c.attribute_value.clone(),
        })
    }

    /// A predicate list: the items in `seq_num` order, all of which must hold.
    pub fn from_predicates(items: &[Predicate]) -> Result<Filter, QueryError> {
        if items.is_empty() {
            return Err(QueryError::Invalid("the predicate list is empty".into()));
        }
        let mut sorted: Vec<&Predicate> = items.iter().collect();
        sorted.sort_by_key(|p| p.seq_num);
        let mut all = Vec::new();
        for p in sorted {
            let first = Filter::cond(&p.expression1)?;
            all.push(match (&p.condition, &p.expression2) {
                (None, None) => first,
                (Some(Connective::And), Some(e2)) => Filter::And(vec![first, Filter::cond(e2)?]),
                (Some(Connective::Or), Some(e2)) => Filter::Or(vec![first, Filter::cond(e2)?]),
                (Some(Connective::Not), Some(e2)) => Filter::And(vec![first, Filter::Not(Box::new(Filter::cond(e2)?))]),
                (Some(Connective::Not), None) => Filter::Not(Box::new(first)),
                (Some(c), None) => {
                    return Err(QueryError::Invalid(format!(
                        "predicate {} has condition {c:?} but no expression2",
                        p.seq_num
                    )));
                }
                (None, Some(_)) => {
                    return Err(QueryError::Invalid(format!(
                        "predicate {} has expression2 but no condition",
                        p.seq_num
                    )));
                }
            });
        }
        Ok(if all.len() == 1 {
            all.remove(0)
        } else {
            Filter::And(all)
        })
    }

    /// A Mongo-style expression object (the spec's example form). A wrapping
    /// `{"collection": …, "query": {…}}` is unwrapped.
    pub fn from_expression(expression: &Value) -> Result<Filter, QueryError> {
        let e = expression.get("query").filter(|q| q.is_object()).unwrap_or(expression);
        let Value::Object(members) = e else {
            return Err(QueryError::Invalid(
                "only Mongo-style expression objects ($and, $or, $eq, …) are understood here".into(),
            ));
        };
        let mut all = Vec::new();
        for (key, v) in members {
            match key.as_str() {
                "$and" | "$or" => {
                    let parts = v
                        .as_array()
                        .ok_or_else(|| QueryError::Invalid(format!("{key} needs a list")))?
                        .iter()
                        .map(Filter::from_expression)
                        .collect::<Result<Vec<_>, _>>()?;
                    all.push(if key == "$and" {
                        Filter::And(parts)
                    } else {
                        Filter::Or(parts)
                    });
                }
                "$not" => all.push(Filter::Not(Box::new(Filter::from_expression(v)?))),
                field => {
                    let attribute = AttributeRef(Attribute::parse(field)?);
                    match v {
                        Value::Object(ops) if ops.keys().all(|k| k.starts_with('$')) => {
                            for (op, value) in ops {
                                let operator = match op.as_str() {
                                    "$eq" => Operator::Eq,
                                    "$lt" => Operator::Lt,
                                    "$gt" => Operator::Gt,
                                    "$lte" | "$le" => Operator::Le,
                                    "$gte" | "$ge" => Operator::Ge,
                                    "$in" => Operator::In,
                                    other => {
                                        return Err(QueryError::Invalid(format!("operator {other} is not supported")));
                                    }
                                };
                                all.push(Filter::Cond {
                                    attribute,
                                    operator,
                                    value: value.clone(),
                                });
                            }
                        }
                        value => all.push(Filter::Cond {
                            attribute,
                            operator: Operator::Eq,
                            value: value.clone(),
                        }),
                    }
                }
            }
        }
        Ok(if all.len() == 1 {
            all.remove(0)
        } else {
            Filter::And(all)
        })
    }

    fn matches(&self, p: &Person) -> bool {
        match self {
            Filter::Cond {
                attribute,
                operator,
                value,
            } => cond_matches(attribute.0, *operator, value, p),
            Filter::And(parts) => parts.iter().all(|f| f.matches(p)),
            Filter::Or(parts) => parts.iter().any(|f| f.matches(p)),
            Filter::Not(f) => !f.matches(p),
        }
    }

    /// An equality this filter requires that an index can answer.
    fn indexed_equality(&self) -> Option<(Attribute, &Value)> {
        match self {
            Filter::Cond {
                attribute,
                operator: Operator::Eq,
                value,
            } => match attribute.0 {
                Attribute::BirthDate | Attribute::Identifier(Some(_)) => Some((attribute.0, value)),
                _ => None,
            },
            Filter::And(parts) => parts.iter().find_map(Filter::indexed_equality),
            _ => None,
        }
    }
}

fn id_type(s: StandardId) -> IdType {
    match s {
        StandardId::Uin => IdType::Uin,
        StandardId::Brn => IdType::Brn,
        StandardId::Mrn => IdType::Mrn,
        StandardId::Drn => IdType::Drn,
    }
}

fn person_id(p: &Person, s: StandardId) -> Option<&str> {
    match s {
        StandardId::Uin => p.uin.as_deref(),
        StandardId::Brn => p.brn.as_deref(),
        StandardId::Mrn => p.mrn.as_deref(),
        StandardId::Drn => p.drn.as_deref(),
    }
}

/// Compares one attribute of a person with a query value.
fn cond_matches(attr: Attribute, op: Operator, value: &Value, p: &Person) -> bool {
    if op == Operator::In {
        return value
            .as_array()
            .is_some_and(|vs| vs.iter().any(|v| cond_matches(attr, Operator::Eq, v, p)));
    }
    let Some(wanted) = string_of(value) else {
        return false;
    };
    let names_equal =
        |have: Option<&str>| op == Operator::Eq && have.is_some_and(|h| normalize_name(h) == normalize_name(&wanted));
    match attr {
        Attribute::GivenName => names_equal(Some(&p.given_name)),
        Attribute::SecondName => names_equal(p.second_name.as_deref()),
        Attribute::Surname => names_equal(Some(&p.surname)),
        Attribute::Sex => op == Operator::Eq && crate::domain::Sex::from_wire(&wanted).as_ref() == Some(&p.sex),
        Attribute::BirthDate => match NaiveDate::parse_from_str(wanted.trim(), "%Y-%m-%d") {
            Ok(d) => compare(op, p.birth_date.cmp(&d)),
            Err(_) => false,
        },
        Attribute::BirthYear => match wanted.trim().parse::<i32>() {
            Ok(y) => compare(op, chrono::Datelike::year(&p.birth_date).cmp(&y)),
            Err(_) => false,
        },
        Attribute::Identifier(Some(s)) => op == Operator::Eq && person_id(p, s) == Some(wanted.as_str()),
        Attribute::Identifier(None) => op == Operator::Eq && p.identifiers().iter().any(|i| i.value == wanted),
        Attribute::Programme => {
            op == Operator::Eq
                && p.enrolments
                    .iter()
                    .any(|e| PROGRAMMES[e.programme].identifier == wanted)
        }
        Attribute::EnrolmentStatus => {
            let w = crate::domain::EnrolmentStatus::from_wire(&wanted);
            op == Operator::Eq && p.enrolments.iter().any(|e| e.status == w)
        }
    }
}

fn compare(op: Operator, ord: std::cmp::Ordering) -> bool {
    use std::cmp::Ordering::*;
    match op {
        Operator::Eq => ord == Equal,
        Operator::Lt => ord == Less,
        Operator::Gt => ord == Greater,
        Operator::Le => ord != Greater,
        Operator::Ge => ord != Less,
        Operator::In => false,
    }
}

/// The people a query finds, in population order.
pub fn find(pop: &Population, query: &Query) -> Result<Vec<u32>, QueryError> {
    let filter = match query {
        Query::IdTypeValue(q) => {
            let value =
                string_of(&q.value).ok_or_else(|| QueryError::Invalid("the identifier value is empty".into()))?;
            let t = IdType::from_wire(&q.id_type);
            if !t.is_standard() {
                return Err(QueryError::Invalid(format!(
                    "identifier type {:?} is not known to this registry (UIN, BRN, MRN, DRN)",
                    q.id_type
                )));
            }
            return Ok(pop.find_by_identifier(&t, value.trim()).to_vec());
        }
        Query::Predicate(items) => Filter::from_predicates(items)?,
        Query::Expression(e) => Filter::from_expression(&e.value.expression)?,
    };
    let candidates: Vec<u32> = match filter.indexed_equality() {
        Some((Attribute::Identifier(Some(s)), v)) => match string_of(v) {
            Some(value) => pop.find_by_identifier(&id_type(s), &value).to_vec(),
            None => Vec::new(),
        },
        Some((Attribute::BirthDate, v)) => {
            match string_of(v).and_then(|s| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()) {
                Some(d) => pop.find_by_birth_date(d).to_vec(),
                None => Vec::new(),
            }
        }
        _ => (0..pop.len() as u32).collect(),
    };
    let found: Vec<u32> = candidates
        .into_iter()
        .filter(|&i| pop.get(i).is_some_and(|p| filter.matches(p)))
        .collect();
    if found.len() > MAX_MATCHES {
        return Err(QueryError::TooMany(found.len()));
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::population::PopulationConfig;
    use serde_json::json;

    fn pop() -> Population {
        Population::generate(&PopulationConfig { size: 5_000, seed: 3 })
    }

    #[test]
    fn identifier_lookup() {
        let pop = pop();
        let s = pop.samples();
        let uin = &s.active_single[0].value;
        assert_eq!(find(&pop, &Query::id("UIN", uin)).unwrap().len(), 1);
        assert!(
            find(&pop, &Query::id("UIN", &s.not_enrolled[0].value))
                .unwrap()
                .is_empty()
        );
        assert!(matches!(
            find(&pop, &Query::id("NID", "1")),
            Err(QueryError::Invalid(_))
        ));
    }

    #[test]
    fn demographic_predicate_finds_near_twins_without_accents() {
        let pop = pop();
        let twin = &pop.samples().near_twins[0];
        let q = Query::demographic(
            &twin.given_name.to_uppercase(),
            &twin.surname,
            &twin.birth_date.to_string(),
        );
        let found = find(&pop, &q).unwrap();
        assert!(found.len() >= 2, "{found:?}");
    }

    #[test]
    fn expression_query() {
        let pop = pop();
        let twin = &pop.samples().near_twins[0];
        let e = json!({"$and": [{"birth_date": {"$eq": twin.birth_date.to_string()}}, {"surname": twin.surname}]});
        let f = Filter::from_expression(&e).unwrap();
        let n = (0..pop.len() as u32)
            .filter(|&i| f.matches(pop.get(i).unwrap()))
            .count();
        assert!(n >= 2);
        assert!(Filter::from_expression(&json!({"height": 1})).is_err());
        assert!(Filter::from_expression(&json!("query { member }")).is_err());
    }

    #[test]
    fn broad_queries_are_refused() {
        let pop = Population::generate(&PopulationConfig { size: 20_000, seed: 3 });
        let q = Query::Predicate(vec![Predicate {
            seq_num: 1,
            expression1: Condition {
                attribute_name: "yob".into(),
                operator: Operator::Gt,
                attribute_value: json!(1900),
            },
            condition: None,
            expression2: None,
        }]);
        assert!(matches!(find(&pop, &q), Err(QueryError::TooMany(_))));
    }
}
