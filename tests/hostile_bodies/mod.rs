//! Hostile reply bodies and the two checks run on each, shared by
//! `tests/reply_reader.rs` (a fixed corpus, on every `cargo test`) and the
//! fuzz targets in `fuzz/` (which include this file by path):
//!
//! - [`compare_with_serde_json`]: our canonical parser against `serde_json` on
//!   the same text. When both accept, they read the same value; when exactly
//!   one accepts, the difference must be one written down in
//!   [`DOCUMENTED_DIFFERENCES`]; and the canonical text of what we accepted
//!   re-parses to the same value.
//! - [`read_as_a_client_would`]: `parse_reply`, the message readers and
//!   signature verification on whatever the body holds — any outcome but a
//!   panic.

#![allow(dead_code)] // each user takes the part it needs

use ibr_desk::dci::canonical::{self, RawJson};
use ibr_desk::dci::enrolled::EnrolledOutcome;
use ibr_desk::dci::envelope::parse_reply;
use ibr_desk::dci::keys::KeyError;
use ibr_desk::dci::search::SearchOutcome;
use ibr_desk::dci::signature::{KeyLookup, verify_envelope};
use ibr_desk::dci::txn_status::TxnStatusOutcome;
use ibr_desk::dci::{PrivateKey, PublicKey};
use serde_json::Value;

/// Where the two parsers may disagree, on purpose.
pub const DOCUMENTED_DIFFERENCES: [&str; 2] = [
    // The canonical form must be computable for a body Python signs: Python
    // reads 1e400 as inf and writes it `Infinity`. There is no value to read,
    // so `to_value` (and `parse_reply`) refuses it, as serde_json does.
    "a number beyond a double: canonical::parse accepts it, to_value and serde_json refuse it",
    // Python reads the integer -0 as 0 and the canonical form writes 0;
    // serde_json reads -0.0. The reader follows what is signed.
    "the integer -0: to_value reads 0, serde_json reads -0.0",
];

/// How the two parsers compared on one text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Agreement {
    BothRefuse,
    BothAccept,
    /// They differ, in a way listed in [`DOCUMENTED_DIFFERENCES`].
    Documented(&'static str),
}

/// Compares `canonical::parse` (+ `to_value`) with `serde_json::from_str` on
/// `text`; `Err` says how they disagree beyond what is documented.
pub fn compare_with_serde_json(text: &str) -> Result<Agreement, String> {
    let ours = canonical::parse(text);
    let theirs = serde_json::from_str::<Value>(text);
    match (ours, theirs) {
        (Err(_), Err(_)) => Ok(Agreement::BothRefuse),
        (Err(e), Ok(v)) => Err(format!("serde_json reads {v} but canonical::parse refuses: {e}")),
        (Ok(raw), Err(e)) => match raw.to_value() {
            Err(_) => Ok(Agreement::Documented(DOCUMENTED_DIFFERENCES[0])),
            Ok(v) => Err(format!("canonical::parse reads {v} but serde_json refuses: {e}")),
        },
        (Ok(raw), Ok(theirs)) => {
            let ours = raw
                .to_value()
                .map_err(|e| format!("serde_json reads {theirs} but to_value refuses: {e}"))?;
            let agreement = match same_reading(&ours, &theirs) {
                Reading::Same => Agreement::BothAccept,
                Reading::SameButNegativeZero => Agreement::Documented(DOCUMENTED_DIFFERENCES[1]),
                Reading::Different => return Err(format!("canonical reads {ours}, serde_json reads {theirs}")),
            };
            canonical_text_reparses(&raw, &ours)?;
            Ok(agreement)
        }
    }
}

/// The canonical text of an accepted value parses again, to the same value,
/// and is its own canonical form.
fn canonical_text_reparses(raw: &RawJson, value: &Value) -> Result<(), String> {
    let text = canonical::to_canonical(raw);
    let again = canonical::parse(&text).map_err(|e| format!("canonical text {text:?} does not re-parse: {e}"))?;
    let again_value = again
        .to_value()
        .map_err(|e| format!("canonical text {text:?} cannot be read: {e}"))?;
    if &again_value != value {
        return Err(format!("canonical text {text:?} reads {again_value}, not {value}"));
    }
    let twice = canonical::to_canonical(&again);
    if twice != text {
        return Err(format!("canonical form is not stable: {text:?} then {twice:?}"));
    }
    Ok(())
}

enum Reading {
    Same,
    SameButNegativeZero,
    Different,
}

/// Equality of the two readings, allowing only the documented `-0`.
fn same_reading(ours: &Value, theirs: &Value) -> Reading {
    match (ours, theirs) {
        (Value::Number(a), Value::Number(b)) if a != b => {
            let negative_zero = a.as_u64() == Some(0) && b.as_f64().is_some_and(|f| f == 0.0 && f.is_sign_negative());
            if negative_zero {
                Reading::SameButNegativeZero
            } else {
                Reading::Different
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            combine(a.iter().zip(b).map(|(x, y)| same_reading(x, y)))
        }
        (Value::Object(a), Value::Object(b)) if a.len() == b.len() => {
            let pairs = a
                .iter()
                .map(|(k, x)| b.get(k).map_or(Reading::Different, |y| same_reading(x, y)));
            combine(pairs)
        }
        _ if ours == theirs => Reading::Same,
        _ => Reading::Different,
    }
}

fn combine(readings: impl Iterator<Item = Reading>) -> Reading {
    let mut out = Reading::Same;
    for r in readings {
        match r {
            Reading::Different => return Reading::Different,
            Reading::SameButNegativeZero => out = Reading::SameButNegativeZero,
            Reading::Same => {}
        }
    }
    out
}

/// A key for any sender and any kid: lets verification run every step on a
/// hostile body (times, base64, the signature itself) instead of stopping at
/// "no trusted key".
struct AnyKey(PublicKey);

impl KeyLookup for AnyKey {
    fn lookup(&self, kid_id: &str, _sender_id: &str) -> Vec<(String, Result<PublicKey, KeyError>)> {
        vec![(kid_id.to_string(), Ok(self.0.clone()))]
    }
}

/// Everything a client does with a reply body, none of which may panic.
/// Returns how far it got, for the corpus test's own checks.
pub fn read_as_a_client_would(text: &str) -> Option<ibr_desk::dci::envelope::ReceivedReply> {
    let reply = parse_reply(text, &["search_response"]).ok()?;
    let _ = SearchOutcome::from_message(&reply.message);
    let _ = EnrolledOutcome::from_message(&reply.message);
    let _ = TxnStatusOutcome::from_message(&reply.message);
    let key = AnyKey(PrivateKey::ed25519_from_bytes([1; 32]).public_key());
    for now in [0, 1_772_357_412, i64::MIN, i64::MAX] {
        let _ = verify_envelope(&reply.raw, &key, now).map_err(|e| e.to_string());
    }
    Some(reply)
}

/// The fixed corpus of tricky inputs, each with a name.
pub fn tricky_inputs() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = [
        ("empty", ""),
        ("bom", "\u{feff}{\"header\":{}}"),
        ("bom inside", "{\"a\":\"\u{feff}\"}"),
        ("duplicate keys", r#"{"status":"rjct","status":"succ"}"#),
        ("duplicate keys nested", r#"{"header":{"status":"rjct","status":"succ"},"header":{"status":"succ","status":"rjct"},"message":{"search_response":[]}}"#),
        ("minus zero", "-0"),
        ("minus zero in object", r#"{"total_count":-0,"n":[-0,-0.0,0]}"#),
        ("minus zero float", "-0.0"),
        ("big integer", "123456789012345678901234567890"),
        ("u64 max", "18446744073709551615"),
        ("u64 max + 1", "18446744073709551616"),
        ("i64 min", "-9223372036854775808"),
        ("i64 min - 1", "-9223372036854775809"),
        ("1e400", "1e400"),
        ("-1e400", "-1e400"),
        ("1e-400", "1e-400"),
        ("huge exponent", "1e99999999999999999999"),
        ("tiny exponent", "1e-99999999999999999999"),
        ("long mantissa", "0.1000000000000000055511151231257827021181583404541015625"),
        ("exponent forms", "[1E5, 1e+5, 1e-5, 1.5E-05, 2.5e0]"),
        ("leading zero", "01"),
        ("leading plus", "+1"),
        ("lone dot", "1."),
        ("dot first", ".5"),
        ("hex number", "0x10"),
        ("NaN", "NaN"),
        ("Infinity", "Infinity"),
        ("escapes", r#""\" \\ \/ \b \f \n \r \t \u0000 \u001f \u007f \u00e9 \u20ac""#),
        ("unknown escape", r#""\x41""#),
        ("signed hex escape", r#""\u+041""#),
        ("short escape", r#""\u04""#),
        ("surrogate pair", r#""\ud83d\ude00""#),
        ("lone high surrogate", r#""\ud800""#),
        ("lone high surrogate then text", r#""\ud800x""#),
        ("lone low surrogate", r#""\udc00""#),
        ("reversed pair", r#""\ude00\ud83d""#),
        ("high then non-low", r#""\ud800\u0041""#),
        ("high then high", r#""\ud800\ud800""#),
        ("raw control character", "\"a\u{1}b\""),
        ("raw newline", "\"a\nb\""),
        ("raw DEL", "\"a\u{7f}b\""),
        ("multi-byte", "{\"name\":\"Ọlá ADÉBÁYỌ̀ 😀 1990年03月14日\"}"),
        ("non-breaking space around", "\u{a0}1"),
        ("trailing comma array", "[1,]"),
        ("trailing comma object", r#"{"a":1,}"#),
        ("comment", "[1 /* x */]"),
        ("single quotes", "{'a':1}"),
        ("unquoted key", "{a:1}"),
        ("two values", "1 2"),
        ("trailing text", "{} x"),
        ("truncated object", r#"{"header":{"status":"succ"},"message":{"search_response":[{"reference_id":"r1","status":"su"#),
        ("truncated escape", r#""\u00"#),
        ("truncated number", "-"),
        ("truncated literal", "tru"),
        ("not json", "<html><body>502 Bad Gateway</body></html>"),
        ("array body", "[]"),
        ("string body", r#""header""#),
        ("header not an object", r#"{"header":"succ","message":{}}"#),
        ("header status a number", r#"{"header":{"status":7},"message":{}}"#),
        ("message a list", r#"{"header":{"status":"succ"},"message":[1,2]}"#),
        ("reg_records a string", r#"{"header":{"status":"succ"},"message":{"search_response":[{"status":"succ","data":{"reg_records":"oops"}}]}}"#),
        (
            "record with a multi-byte birth date",
            r#"{"header":{"status":"succ"},"message":{"search_response":[{"reference_id":"r","status":"succ","data":{"reg_records":[{"identifier_type":"UIN","identifier_value":"1","birth_date":"1990年03月14日","name":"李"}]}}]}}"#,
        ),
        (
            "signature with hostile times",
            r#"{"signature":"kidId=\"a|b|ed25519\", algorithm=\"ed25519\", created=\"-9223372036854775808\", expires=\"9223372036854775807\", headers=\"(created) (expires) digest\", signature=\"AA==\"","header":{"sender_id":"a","status":"succ"},"message":{"search_response":[]}}"#,
        ),
        (
            "signature with max times",
            r#"{"signature":"kidId=\"a|b|ed25519\", algorithm=\"ed25519\", created=\"9223372036854775807\", expires=\"9223372036854775807\", headers=\"(created) (expires) digest\", signature=\"AA==\"","header":{"sender_id":"a","status":"succ"},"message":{"search_response":[]}}"#,
        ),
        (
            "signature with multi-byte parameters",
            r#"{"signature":"kidId=\"é|ü|ed25519\"ü, é=\"","header":{"sender_id":"é","status":"succ"},"message":{"search_response":[]}}"#,
        ),
        ("signature not a string", r#"{"signature":{"a":1},"header":{"sender_id":"a","status":"succ"},"message":{"search_response":[]}}"#),
        (
            "counts as strings and big numbers",
            r#"{"header":{"status":"succ","total_count":"18446744073709551616","completed_count":1e400},"message":{"search_response":[]}}"#,
        ),
        (
            "pagination with big numbers",
            r#"{"header":{"status":"succ"},"message":{"search_response":[{"status":"succ","pagination":{"total_count":18446744073709551616,"page_number":-1,"page_size":1.5}}]}}"#,
        ),
    ]
    .into_iter()
    .map(|(n, t)| (n.to_string(), t.to_string()))
    .collect();

    let depth =
        |n: usize, open: &str, close: &str, inner: &str| format!("{}{inner}{}", open.repeat(n), close.repeat(n));
    for n in [canonical::MAX_NESTING_DEPTH, canonical::MAX_NESTING_DEPTH + 1, 100_000] {
        out.push((format!("{n} nested arrays"), depth(n, "[", "]", "")));
        out.push((format!("{n} nested objects"), depth(n, "{\"a\":", "}", "1")));
        out.push((format!("{n} unclosed arrays"), "[".repeat(n)));
    }
    out.push((
        "deep message".into(),
        format!(
            r#"{{"header":{{"status":"succ"}},"message":{{"search_response":{}}}}}"#,
            depth(canonical::MAX_NESTING_DEPTH - 3, "[", "]", "")
        ),
    ));
    let keys = |n: usize, repeat: bool| {
        let members: Vec<String> = (0..n)
            .map(|i| format!("\"k{}\":{i}", if repeat { i % 1_000 } else { i }))
            .collect();
        format!("{{{}}}", members.join(","))
    };
    out.push(("100k keys".into(), keys(100_000, false)));
    out.push(("100k keys, 1000 distinct".into(), keys(100_000, true)));
    out.push((
        "100k records".into(),
        format!(
            r#"{{"header":{{"status":"succ"}},"message":{{"search_response":[{{"status":"succ","data":{{"reg_records":[{}]}}}}]}}}}"#,
            vec![r#"{"identifier_type":"UIN","identifier_value":"1"}"#; 100_000].join(",")
        ),
    ));
    out.push(("long string".into(), format!("\"{}\"", "é".repeat(1 << 20))));
    // Every prefix of a real reply: truncated text at every byte that is a char boundary.
    let reply = r#"{"signature":"","header":{"status":"succ","sender_id":"ibr","total_count":"1"},"message":{"transaction_id":1,"search_response":{"reference_id":"r1","status":"succ","data":{"reg_records":{"member":{"member_identifier":[{"identifier_type":"UIN","identifier_value":"4567890123"}],"demographic_info":{"person":{"name":{"given_name":"Zoé"},"birth_date":"1990-03-14"}}}}}}}}"#;
    for (i, _) in reply.char_indices() {
        out.push((
            format!("reply cut at byte {i}"),
            reply.get(..i).unwrap_or_default().to_string(),
        ));
    }
    out
}

/// Inputs saved from fuzzing (`tests/fixtures/hostile-replies/`), each file
/// one body; those that are not UTF-8 are read as a client reads a body
/// (lossy), which is what the fuzz targets do too.
pub fn saved_inputs() -> Vec<(String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hostile-replies");
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "md") {
            continue;
        }
        if let Ok(bytes) = std::fs::read(&path) {
            out.push((path.display().to_string(), String::from_utf8_lossy(&bytes).into_owned()));
        }
    }
    out.sort();
    out
}
