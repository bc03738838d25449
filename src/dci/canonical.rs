//! The canonical JSON that DCI signatures are computed over.
//!
//! The standard does not define a canonical form (SPEC-NOTES §4.2). The one
//! working implementation, OpenSPP's, hashes Python's
//! `json.dumps(obj, sort_keys=True, separators=(",", ":"))`: keys sorted by code
//! point, no whitespace, every non-ASCII character (and DEL and the control
//! characters) written as a lower-case `\uXXXX` escape, astral characters as
//! surrogate pairs, floats as Python's `repr`, integers exactly as written.
//!
//! A verifier must hash the JSON *as received*, so this module has its own
//! small parser: it keeps every number's text (a serde `f64` would round an
//! integer beyond 2^53) and never re-orders or re-types anything before the
//! canonical writer runs. The same writer serves the signing side, fed with the
//! text the sender is about to put on the wire, so both sides agree byte for
//! byte.
//!
//! A reply is parsed **once**, here: the `serde_json::Value` the readers use
//! is derived from the parsed value ([`RawJson::to_value`]), so the message a
//! signature was checked on is the message that is read, even when the text
//! holds something two parsers could read differently (a repeated key, an odd
//! number).
//!
//! Bounds, because the text is hostile: nesting is at most
//! [`MAX_NESTING_DEPTH`] containers deep (serde_json's own limit, so both
//! accept the same bodies); reading an object is linear in its members (an
//! index finds repeated keys once an object is larger than
//! [`INDEXED_OBJECT_MIN_MEMBERS`]); a string is bounded by the body limit the
//! client applies before parsing. No slice or arithmetic here can panic.
#![warn(clippy::string_slice, clippy::arithmetic_side_effects)]

use std::collections::HashMap;
use std::fmt::Write as _;

/// Deepest nesting of arrays and objects accepted, so that a hostile body
/// cannot overflow the stack. 127, as serde_json (whose limit is 128
/// recursion steps), so that no body is accepted by one parser and refused by
/// the other for its depth.
pub const MAX_NESTING_DEPTH: usize = 127;

/// Objects with up to this many members find a repeated key by scanning
/// them; a larger object builds a hash index (SipHash, keyed at random, so a
/// registry cannot choose colliding keys), which keeps reading an object of
/// n members O(n) instead of O(n²).
pub const INDEXED_OBJECT_MIN_MEMBERS: usize = 8;

/// A JSON value as it was written, numbers kept as text.
#[derive(Debug, Clone, PartialEq)]
pub enum RawJson {
    Null,
    Bool(bool),
    /// The number's text exactly as received.
    Number(String),
    String(String),
    Array(Vec<RawJson>),
    /// Members in the order received; a repeated key keeps its last value in
    /// its first position, as Python's `json.loads` does (`dict` assignment
    /// keeps the insertion position): `{"a":1,"b":2,"a":3}` is `{"a":3,"b":2}`.
    Object(Vec<(String, RawJson)>),
}

/// A number that `serde_json` cannot hold (beyond the range of an `f64`, such
/// as `1e400`): the canonical form can still be computed (Python reads it as
/// `inf`), but there is no value to read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the number {0} is out of range (beyond a 64-bit float)")]
pub struct NumberOutOfRange(pub String);

impl RawJson {
    /// The member named `key` of an object (the last one, when repeated).
    pub fn get(&self, key: &str) -> Option<&RawJson> {
        match self {
            RawJson::Object(members) => members.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The value when it is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            RawJson::String(s) => Some(s),
            _ => None,
        }
    }

    /// The same value as a `serde_json::Value`, for the readers. Objects keep
    /// what the parser kept (a repeated key's last value). Numbers: an integer
    /// that fits `u64` or `i64` stays exact (`-0` is the integer 0, as Python
    /// and the canonical form read it, where serde_json would make it `-0.0`);
    /// anything else is the nearest `f64`, correctly rounded — what Python's
    /// `float()` and the canonical writer compute, and what serde_json gives
    /// with its `float_roundtrip` feature (without it, serde_json may round a
    /// long decimal one unit off, so it is not asked). A number beyond a
    /// double is an error, never a made-up value.
    pub fn to_value(&self) -> Result<serde_json::Value, NumberOutOfRange> {
        use serde_json::Value;
        Ok(match self {
            RawJson::Null => Value::Null,
            RawJson::Bool(b) => Value::Bool(*b),
            RawJson::Number(text) => Value::Number(number_value(text)?),
            RawJson::String(s) => Value::String(s.clone()),
            RawJson::Array(items) => Value::Array(items.iter().map(RawJson::to_value).collect::<Result<_, _>>()?),
            RawJson::Object(members) => {
                let mut map = serde_json::Map::new();
                for (k, v) in members {
                    map.insert(k.clone(), v.to_value()?);
                }
                Value::Object(map)
            }
        })
    }
}

/// A number's text (as the parser accepted it) as a `serde_json::Number`.
fn number_value(text: &str) -> Result<serde_json::Number, NumberOutOfRange> {
    if !text.contains(['.', 'e', 'E']) {
        if let Ok(u) = text.parse::<u64>() {
            return Ok(u.into());
        }
        if let Ok(i) = text.parse::<i64>() {
            return Ok(i.into());
        }
    }
    text.parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
        .ok_or_else(|| NumberOutOfRange(text.to_string()))
}

/// Why a text is not JSON this module can canonicalise.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not valid JSON at byte {offset}: {reason}")]
pub struct CanonicalError {
    pub offset: usize,
    pub reason: &'static str,
}

/// Parses JSON text (RFC 8259, strict: no comments, no trailing commas, no
/// lone surrogates, no raw control characters in strings, no byte order mark).
pub fn parse(text: &str) -> Result<RawJson, CanonicalError> {
    let mut p = Parser {
        bytes: text.as_bytes(),
        text,
        pos: 0,
    };
    p.skip_ws();
    let v = p.value(0)?;
    p.skip_ws();
    if p.pos != p.bytes.len() {
        return Err(p.err("unexpected text after the JSON value"));
    }
    Ok(v)
}

/// The canonical text of a value (see the module documentation).
pub fn to_canonical(value: &RawJson) -> String {
    let mut out = String::new();
    write_value(&mut out, value);
    out
}

/// The canonical text of `{"header": <header>, "message": <message>}` taken
/// from an envelope: what a DCI signature covers. A missing `message` (allowed
/// on callbacks) is `null`, as Python's `dict.get` would give.
pub fn signed_content(envelope: &RawJson) -> Option<String> {
    let header = envelope.get("header")?;
    let message = envelope.get("message").cloned().unwrap_or(RawJson::Null);
    let wrapper = RawJson::Object(vec![
        ("header".to_string(), header.clone()),
        ("message".to_string(), message),
    ]);
    Some(to_canonical(&wrapper))
}

#[cfg(test)]
thread_local! {
    /// Key comparisons and index look-ups made while reading objects on this
    /// thread: lets a test see that reading an object is linear without
    /// timing anything.
    static KEY_PROBES: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Counts one key comparison or index look-up (tests only).
#[inline]
fn count_key_probe() {
    #[cfg(test)]
    KEY_PROBES.with(|c| c.set(c.get().wrapping_add(1)));
}

/// The members of an object being read, without repeats (see [`RawJson::Object`]).
#[derive(Default)]
struct ObjectMembers {
    members: Vec<(String, RawJson)>,
    /// Key → position in `members`, once the object is larger than
    /// [`INDEXED_OBJECT_MIN_MEMBERS`].
    index: Option<HashMap<String, usize>>,
}

impl ObjectMembers {
    /// Adds a member; a repeated key replaces the value in its first position.
    fn insert(&mut self, key: String, value: RawJson) {
        if let Some(index) = &mut self.index {
            count_key_probe();
            match index.get(&key).and_then(|&i| self.members.get_mut(i)) {
                Some(slot) => slot.1 = value,
                None => {
                    index.insert(key.clone(), self.members.len());
                    self.members.push((key, value));
                }
            }
            return;
        }
        for slot in &mut self.members {
            count_key_probe();
            if slot.0 == key {
                slot.1 = value;
                return;
            }
        }
        self.members.push((key, value));
        if self.members.len() > INDEXED_OBJECT_MIN_MEMBERS {
            let index = self
                .members
                .iter()
                .enumerate()
                .map(|(i, (k, _))| (k.clone(), i))
                .collect();
            self.index = Some(index);
        }
    }
}

struct Parser<'a> {
    bytes: &'a [u8],
    text: &'a str,
    /// Always at most `bytes.len()`.
    pos: usize,
}

impl Parser<'_> {
    fn err(&self, reason: &'static str) -> CanonicalError {
        CanonicalError {
            offset: self.pos,
            reason,
        }
    }

    /// Moves past `n` bytes that were just looked at. `pos` never passes the
    /// text's length (at most `isize::MAX`), so the addition cannot saturate.
    fn advance(&mut self, n: usize) {
        self.pos = self.pos.saturating_add(n);
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.advance(1);
        }
    }

    fn eat(&mut self, literal: &str) -> bool {
        let found = self
            .bytes
            .get(self.pos..)
            .is_some_and(|rest| rest.starts_with(literal.as_bytes()));
        if found {
            self.advance(literal.len());
        }
        found
    }

    /// A value at `depth` containers deep.
    fn value(&mut self, depth: usize) -> Result<RawJson, CanonicalError> {
        match self.peek() {
            None => Err(self.err("unexpected end of input")),
            Some(b'{') => self.object(self.deeper(depth)?),
            Some(b'[') => self.array(self.deeper(depth)?),
            Some(b'"') => Ok(RawJson::String(self.string()?)),
            Some(b't') if self.eat("true") => Ok(RawJson::Bool(true)),
            Some(b'f') if self.eat("false") => Ok(RawJson::Bool(false)),
            Some(b'n') if self.eat("null") => Ok(RawJson::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.err("expected a JSON value")),
        }
    }

    /// The depth inside one more container, refused past [`MAX_NESTING_DEPTH`].
    fn deeper(&self, depth: usize) -> Result<usize, CanonicalError> {
        let inner = depth.saturating_add(1);
        if inner > MAX_NESTING_DEPTH {
            return Err(self.err("nested too deeply"));
        }
        Ok(inner)
    }

    fn object(&mut self, depth: usize) -> Result<RawJson, CanonicalError> {
        self.advance(1);
        let mut members = ObjectMembers::default();
        self.skip_ws();
        if self.eat("}") {
            return Ok(RawJson::Object(members.members));
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.err("expected a string key"));
            }
            let key = self.string()?;
            self.skip_ws();
            if !self.eat(":") {
                return Err(self.err("expected ':' after a key"));
            }
            self.skip_ws();
            let v = self.value(depth)?;
            members.insert(key, v);
            self.skip_ws();
            if self.eat(",") {
                continue;
            }
            if self.eat("}") {
                return Ok(RawJson::Object(members.members));
            }
            return Err(self.err("expected ',' or '}' in an object"));
        }
    }

    fn array(&mut self, depth: usize) -> Result<RawJson, CanonicalError> {
        self.advance(1);
        let mut items = Vec::new();
        self.skip_ws();
        if self.eat("]") {
            return Ok(RawJson::Array(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value(depth)?);
            self.skip_ws();
            if self.eat(",") {
                continue;
            }
            if self.eat("]") {
                return Ok(RawJson::Array(items));
            }
            return Err(self.err("expected ',' or ']' in an array"));
        }
    }

    fn number(&mut self) -> Result<RawJson, CanonicalError> {
        let start = self.pos;
        self.eat("-");
        match self.peek() {
            Some(b'0') => self.advance(1),
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.err("expected a digit")),
        }
        if self.eat(".") {
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.err("expected a digit after '.'"));
            }
            self.digits();
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.advance(1);
            if let Some(b'+' | b'-') = self.peek() {
                self.advance(1);
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.err("expected a digit in the exponent"));
            }
            self.digits();
        }
        // Both ends sit next to ASCII bytes, so this is always a char boundary.
        let text = self
            .text
            .get(start..self.pos)
            .ok_or_else(|| self.err("number cut inside a character"))?;
        Ok(RawJson::Number(text.to_string()))
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.advance(1);
        }
    }

    /// Exactly four hex digits (no sign, no space: `u16::from_str_radix`
    /// alone would take `+41`).
    fn hex4(&mut self) -> Result<u16, CanonicalError> {
        let h = self
            .bytes
            .get(self.pos..self.pos.saturating_add(4))
            .filter(|d| d.len() == 4 && d.iter().all(u8::is_ascii_hexdigit))
            .and_then(|d| std::str::from_utf8(d).ok())
            .and_then(|d| u16::from_str_radix(d, 16).ok())
            .ok_or_else(|| self.err("expected four hex digits after \\u"))?;
        self.advance(4);
        Ok(h)
    }

    fn string(&mut self) -> Result<String, CanonicalError> {
        self.advance(1); // opening quote
        let mut out = String::new();
        loop {
            let run_start = self.pos;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.advance(1);
            }
            // The run stops before an ASCII byte or at the end: a char boundary.
            let run = self
                .text
                .get(run_start..self.pos)
                .ok_or_else(|| self.err("string cut inside a character"))?;
            out.push_str(run);
            match self.peek() {
                None => return Err(self.err("unterminated string")),
                Some(b'"') => {
                    self.advance(1);
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.advance(1);
                    let esc = self.peek().ok_or_else(|| self.err("unterminated escape"))?;
                    self.advance(1);
                    match esc {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => out.push(self.unicode_escape()?),
                        _ => return Err(self.err("unknown escape")),
                    }
                }
                Some(_) => return Err(self.err("raw control character in a string")),
            }
        }
    }

    /// `\uXXXX`, or a surrogate pair `\uD8xx\uDCxx`; a lone surrogate is
    /// refused (Python would keep it, but it is no character and cannot be a
    /// Rust string).
    fn unicode_escape(&mut self) -> Result<char, CanonicalError> {
        let first = self.hex4()?;
        match first {
            0xD800..=0xDBFF => {
                if !self.eat("\\u") {
                    return Err(self.err("lone high surrogate"));
                }
                let second = self.hex4()?;
                match char::decode_utf16([first, second]).next() {
                    Some(Ok(c)) => Ok(c),
                    _ => Err(self.err("high surrogate not followed by a low one")),
                }
            }
            0xDC00..=0xDFFF => Err(self.err("lone low surrogate")),
            c => char::from_u32(u32::from(c)).ok_or_else(|| self.err("invalid code point")),
        }
    }
}

fn write_value(out: &mut String, v: &RawJson) {
    match v {
        RawJson::Null => out.push_str("null"),
        RawJson::Bool(true) => out.push_str("true"),
        RawJson::Bool(false) => out.push_str("false"),
        RawJson::Number(text) => write_number(out, text),
        RawJson::String(s) => write_string(out, s),
        RawJson::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item);
            }
            out.push(']');
        }
        RawJson::Object(members) => {
            let mut sorted: Vec<&(String, RawJson)> = members.iter().collect();
            // Byte order of UTF-8 is code-point order, which is how Python sorts str.
            sorted.sort_by(|a, b| a.0.cmp(&b.0));
            out.push('{');
            for (i, (k, v)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, k);
                out.push(':');
                write_value(out, v);
            }
            out.push('}');
        }
    }
}

/// Writes a string as Python's `json.dumps` with `ensure_ascii=True` does:
/// only printable ASCII (space to `~`) stays as it is.
fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
}

/// Integers keep their digits (Python's `int` is exact); anything with a
/// fraction or an exponent becomes a double and is written as `repr(float)`.
fn write_number(out: &mut String, text: &str) {
    let is_integer = !text.contains(['.', 'e', 'E']);
    if is_integer {
        out.push_str(if text == "-0" { "0" } else { text });
        return;
    }
    match text.parse::<f64>() {
        Ok(x) => out.push_str(&python_float_repr(x)),
        // Unreachable for text the parser accepted; keep the text rather than lose it.
        Err(_) => out.push_str(text),
    }
}

/// Python's `repr(float)`: the shortest digits that round-trip, in fixed
/// notation when the decimal exponent is in `-4..16`, otherwise scientific
/// with a signed exponent of at least two digits; `json.dumps` spells the
/// non-finite values `Infinity`, `-Infinity` and `NaN`.
pub fn python_float_repr(x: f64) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    // Rust's `{:e}` gives the shortest round-trip digits, like `1.5e-5`.
    let sci = format!("{:e}", x.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    let sign = if x.is_sign_negative() { "-" } else { "" };
    // `exp` is within ±400 for any finite double, so these conversions and
    // additions are exact; saturation only keeps the compiler's proof simple.
    let magnitude = usize::try_from(exp.unsigned_abs()).unwrap_or(usize::MAX);
    if (-4..16).contains(&exp) {
        let fixed = if exp >= 0 {
            let int_len = magnitude.saturating_add(1);
            match digits.split_at_checked(int_len) {
                Some((int_part, frac)) if !frac.is_empty() => format!("{int_part}.{frac}"),
                _ => format!("{digits}{}.0", "0".repeat(int_len.saturating_sub(digits.len()))),
            }
        } else {
            format!("0.{}{digits}", "0".repeat(magnitude.saturating_sub(1)))
        };
        format!("{sign}{fixed}")
    } else {
        let (first, rest) = digits.split_at_checked(1).unwrap_or((&digits, ""));
        let frac = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let exp_sign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{first}{frac}e{exp_sign}{:02}", exp.unsigned_abs())
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)] // test arithmetic on small known numbers
mod tests {
    use super::*;

    fn canon(text: &str) -> String {
        to_canonical(&parse(text).unwrap())
    }

    #[test]
    fn sorts_keys_and_drops_whitespace() {
        assert_eq!(
            canon(r#"{ "b": 1, "a": [true, null, {"d":1,"c":2}] }"#),
            r#"{"a":[true,null,{"c":2,"d":1}],"b":1}"#
        );
    }

    #[test]
    fn escapes_like_python_ensure_ascii() {
        assert_eq!(canon(r#""Ọlá « x »""#), r#""\u1eccl\u00e1 \u00ab x \u00bb""#);
        assert_eq!(canon("\"tab\\there\\u007f\\/\""), r#""tab\there\u007f/""#);
        assert_eq!(canon(r#""😀""#), r#""\ud83d\ude00""#);
        assert_eq!(canon(r#""\u0001""#), r#""\u0001""#);
    }

    #[test]
    fn numbers_follow_python() {
        assert_eq!(
            canon("[1, -0, 12345678901234567890123]"),
            "[1,0,12345678901234567890123]"
        );
        assert_eq!(
            canon("[1.0, 1.50, 1e5, 1E16, 1.5e-5, 0.0001, -0.0, 123.456]"),
            "[1.0,1.5,100000.0,1e+16,1.5e-05,0.0001,-0.0,123.456]"
        );
        assert_eq!(canon("[1e400, -1e400]"), "[Infinity,-Infinity]");
        assert_eq!(python_float_repr(1.0e22), "1e+22");
        assert_eq!(python_float_repr(123456789012345.6), "123456789012345.6");
        assert_eq!(python_float_repr(1234567890123456.7), "1234567890123456.8");
        assert_eq!(python_float_repr(0.1 + 0.2), "0.30000000000000004");
    }

    #[test]
    fn repeated_keys_keep_the_last_value() {
        assert_eq!(canon(r#"{"a":1,"a":2}"#), r#"{"a":2}"#);
    }

    #[test]
    fn rejects_what_is_not_json() {
        for bad in [
            "",
            "{",
            "[1,]",
            "{'a':1}",
            "01",
            "1.",
            "\"\\ud800\"",
            "\"\u{1}\"",
            "nul",
            "[1] x",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} should be rejected");
        }
        let deep = "[".repeat(MAX_NESTING_DEPTH + 2);
        assert_eq!(parse(&deep).unwrap_err().reason, "nested too deeply");
    }

    #[test]
    fn a_unicode_escape_takes_exactly_four_hex_digits() {
        // `u16::from_str_radix` alone reads "+041" as 0x41.
        for bad in [
            r#""\u+041""#,
            r#""\u-041""#,
            r#""\u 041""#,
            r#""\u04""#,
            r#""\ud83d\u+e00""#,
        ] {
            assert!(parse(bad).is_err(), "{bad} should be rejected");
            assert!(
                serde_json::from_str::<serde_json::Value>(bad).is_err(),
                "serde_json agrees on {bad}"
            );
        }
        assert_eq!(parse(r#""\u0041\u00E9""#).unwrap(), RawJson::String("Aé".into()));
    }

    #[test]
    fn a_repeated_key_keeps_its_last_value_in_its_first_position() {
        // Python: json.loads('{"a":1,"b":2,"a":3}') == {'a': 3, 'b': 2}, in that order.
        let v = parse(r#"{"a":1,"b":2,"a":3}"#).unwrap();
        assert_eq!(
            v,
            RawJson::Object(vec![
                ("a".into(), RawJson::Number("3".into())),
                ("b".into(), RawJson::Number("2".into())),
            ])
        );
        assert_eq!(v.get("a"), Some(&RawJson::Number("3".into())));
    }

    /// The naive reading of an object's members: a linear scan per key.
    fn naive_dedup(pairs: &[(String, u64)]) -> Vec<(String, RawJson)> {
        let mut out: Vec<(String, RawJson)> = Vec::new();
        for (k, v) in pairs {
            let value = RawJson::Number(v.to_string());
            match out.iter_mut().find(|(ok, _)| ok == k) {
                Some(slot) => slot.1 = value,
                None => out.push((k.clone(), value)),
            }
        }
        out
    }

    fn object_text(pairs: &[(String, u64)]) -> String {
        let members: Vec<String> = pairs.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
        format!("{{{}}}", members.join(","))
    }

    #[test]
    fn the_indexed_object_reads_as_the_naive_one() {
        // Small pseudo-random objects with repeats, below and above the index threshold.
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for len in 0..40u64 {
            for _ in 0..20 {
                let alphabet = 1 + next() % (len + 1);
                let pairs: Vec<(String, u64)> = (0..len).map(|i| (format!("k{}", next() % alphabet), i)).collect();
                let parsed = parse(&object_text(&pairs)).unwrap();
                assert_eq!(parsed, RawJson::Object(naive_dedup(&pairs)), "{pairs:?}");
            }
        }
    }

    fn probes_for_keys(n: u64) -> u64 {
        let mut pairs: Vec<(String, u64)> = (0..n).map(|i| (format!("key{i}"), i)).collect();
        // A few repeats, at the end, of keys far back.
        pairs.extend((0..10).map(|i| (format!("key{}", i * 7), n + i)));
        let text = object_text(&pairs);
        let before = KEY_PROBES.with(|c| c.get());
        let parsed = parse(&text).unwrap();
        let probes = KEY_PROBES.with(|c| c.get()) - before;
        let RawJson::Object(members) = &parsed else {
            panic!("not an object")
        };
        assert_eq!(members.len() as u64, n);
        assert_eq!(parsed.get("key7"), Some(&RawJson::Number((n + 1).to_string())));
        assert_eq!(members[7].0, "key7", "a repeated key stays in its first position");
        probes
    }

    #[test]
    fn reading_an_object_is_linear_in_its_keys() {
        let small = probes_for_keys(10_000);
        let large = probes_for_keys(100_000);
        // Linear: ten times the keys, about ten times the work. Quadratic would be a hundred.
        assert!(
            large <= small * 12,
            "10k keys: {small} probes, 100k keys: {large} probes"
        );
        assert!(large <= 100_000 * 2, "{large} probes for 100,000 keys");
    }

    #[test]
    fn nesting_is_bounded_where_serde_json_bounds_it() {
        for depth in [
            1,
            MAX_NESTING_DEPTH - 1,
            MAX_NESTING_DEPTH,
            MAX_NESTING_DEPTH + 1,
            5_000,
        ] {
            let arrays = "[".repeat(depth) + &"]".repeat(depth);
            let objects = "{\"a\":".repeat(depth) + "1" + &"}".repeat(depth);
            for text in [arrays, objects] {
                let ours = parse(&text);
                let theirs = serde_json::from_str::<serde_json::Value>(&text);
                assert_eq!(ours.is_ok(), depth <= MAX_NESTING_DEPTH, "depth {depth}");
                assert_eq!(ours.is_ok(), theirs.is_ok(), "depth {depth}: both parsers agree");
            }
        }
    }

    #[test]
    fn to_value_reads_numbers_exactly_or_as_serde_json_does() {
        use serde_json::json;
        let v = |t: &str| parse(t).unwrap().to_value();
        assert_eq!(v("18446744073709551615").unwrap(), json!(u64::MAX));
        assert_eq!(v("-9223372036854775808").unwrap(), json!(i64::MIN));
        // -0 is the integer 0, as Python and the canonical form ("0") read it.
        assert_eq!(v("-0").unwrap(), json!(0));
        assert!(v("-0").unwrap().is_u64());
        for t in [
            "18446744073709551616",
            "-9223372036854775809",
            "1.5",
            "-0.0",
            "1e-400",
            "1E16",
            "0.1",
            "123456789012345678901234567890",
        ] {
            let theirs: serde_json::Value = serde_json::from_str(t).unwrap();
            assert_eq!(v(t).unwrap(), theirs, "{t}");
        }
        assert_eq!(v("1e400"), Err(NumberOutOfRange("1e400".into())));
        // Found by fuzzing: serde_json without `float_roundtrip` (our release
        // build) reads this one unit off; Python and the canonical form do not.
        let rounded = v("555585555555555555E5").unwrap();
        assert_eq!(rounded.as_f64(), Some(5.555855555555555e22));
        assert_eq!(
            to_canonical(&parse("555585555555555555E5").unwrap()),
            "5.555855555555555e+22"
        );
        assert!(v("[1, {\"a\": -1e400}]").is_err());
        assert_eq!(
            v(r#"{"s":"é\u00e9","n":null,"b":[true,false],"o":{"x":1,"x":2}}"#).unwrap(),
            json!({"s": "éé", "n": null, "b": [true, false], "o": {"x": 2}})
        );
    }

    #[test]
    fn signed_content_wraps_header_and_message() {
        let env = parse(r#"{"signature":"x","message":{"b":1},"header":{"a":"é"}}"#).unwrap();
        assert_eq!(
            signed_content(&env).unwrap(),
            r#"{"header":{"a":"\u00e9"},"message":{"b":1}}"#
        );
        let no_msg = parse(r#"{"header":{}}"#).unwrap();
        assert_eq!(signed_content(&no_msg).unwrap(), r#"{"header":{},"message":null}"#);
        assert!(signed_content(&parse("{}").unwrap()).is_none());
    }
}
