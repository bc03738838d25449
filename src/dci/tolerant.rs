//! Reading what registries actually send (SPEC-NOTES §8, §11): numbers as
//! strings and strings as numbers, one object where a list is specified,
//! empty strings for "absent".
//!
//! These helpers widen what is *accepted*; they never invent a value. A field
//! that is absent or empty reads as `None`, and the caller decides whether
//! that is acceptable.
#![warn(clippy::string_slice, clippy::arithmetic_side_effects)]

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// A string, or a number/boolean written as its JSON text; `null` and `""` are `None`.
pub fn string_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if s.trim().is_empty() => None,
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The member `key` of `v` read with [`string_of`].
pub fn str_at(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(string_of)
}

/// A non-negative count given as a number or as a numeric string (`"1"`).
pub fn count_of(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A list, or one object standing for a list of one; `null` is empty.
pub fn list_of(v: Option<&Value>) -> Vec<&Value> {
    match v {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.iter().collect(),
        Some(other) => vec![other],
    }
}

/// serde helper: `Option<String>` from a string or a number.
pub fn de_opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<Value>::deserialize(d)?.as_ref().and_then(string_of))
}

/// serde helper: a required string that may arrive as a number.
pub fn de_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let v = Value::deserialize(d)?;
    string_of(&v).ok_or_else(|| serde::de::Error::custom(format!("expected a string, found {v}")))
}

/// serde helper: `Option<u64>` from an integer or a numeric string.
pub fn de_opt_count<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    let v = Option::<Value>::deserialize(d)?;
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(v) => count_of(&v)
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom(format!("expected a count, found {v}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn widens_without_inventing() {
        assert_eq!(string_of(&json!(123456789)), Some("123456789".into()));
        assert_eq!(string_of(&json!("")), None);
        assert_eq!(string_of(&json!({"a": 1})), None);
        assert_eq!(count_of(&json!("1")), Some(1));
        assert_eq!(count_of(&json!(-1)), None);
        assert_eq!(list_of(Some(&json!({"a": 1}))).len(), 1);
        assert_eq!(list_of(Some(&json!([1, 2]))).len(), 2);
        assert!(list_of(Some(&Value::Null)).is_empty());
    }
}
