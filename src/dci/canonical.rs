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

use std::fmt::Write as _;

/// Deepest nesting accepted, so that a hostile body cannot overflow the stack.
const MAX_NESTING_DEPTH: usize = 128;

/// A JSON value as it was written, numbers kept as text.
#[derive(Debug, Clone, PartialEq)]
pub enum RawJson {
    Null,
    Bool(bool),
    /// The number's text exactly as received.
    Number(String),
    String(String),
    Array(Vec<RawJson>),
    /// Members in the order received; a repeated key keeps its last value, as
    /// Python's `json.loads` does.
    Object(Vec<(String, RawJson)>),
}

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
}

/// Why a text is not JSON this module can canonicalise.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not valid JSON at byte {offset}: {reason}")]
pub struct CanonicalError {
    pub offset: usize,
    pub reason: &'static str,
}

/// Parses JSON text (RFC 8259, strict: no comments, no trailing commas, no
/// lone surrogates, no raw control characters in strings).
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

struct Parser<'a> {
    bytes: &'a [u8],
    text: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn err(&self, reason: &'static str) -> CanonicalError {
        CanonicalError {
            offset: self.pos,
            reason,
        }
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, literal: &str) -> bool {
        if self.bytes[self.pos..].starts_with(literal.as_bytes()) {
            self.pos += literal.len();
            true
        } else {
            false
        }
    }

    fn value(&mut self, depth: usize) -> Result<RawJson, CanonicalError> {
        if depth > MAX_NESTING_DEPTH {
            return Err(self.err("nested too deeply"));
        }
        match self.bytes.get(self.pos) {
            None => Err(self.err("unexpected end of input")),
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => Ok(RawJson::String(self.string()?)),
            Some(b't') if self.eat("true") => Ok(RawJson::Bool(true)),
            Some(b'f') if self.eat("false") => Ok(RawJson::Bool(false)),
            Some(b'n') if self.eat("null") => Ok(RawJson::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.err("expected a JSON value")),
        }
    }

    fn object(&mut self, depth: usize) -> Result<RawJson, CanonicalError> {
        self.pos += 1;
        let mut members: Vec<(String, RawJson)> = Vec::new();
        self.skip_ws();
        if self.eat("}") {
            return Ok(RawJson::Object(members));
        }
        loop {
            self.skip_ws();
            if self.bytes.get(self.pos) != Some(&b'"') {
                return Err(self.err("expected a string key"));
            }
            let key = self.string()?;
            self.skip_ws();
            if !self.eat(":") {
                return Err(self.err("expected ':' after a key"));
            }
            self.skip_ws();
            let v = self.value(depth + 1)?;
            if let Some(slot) = members.iter_mut().find(|(k, _)| *k == key) {
                slot.1 = v;
            } else {
                members.push((key, v));
            }
            self.skip_ws();
            if self.eat(",") {
                continue;
            }
            if self.eat("}") {
                return Ok(RawJson::Object(members));
            }
            return Err(self.err("expected ',' or '}' in an object"));
        }
    }

    fn array(&mut self, depth: usize) -> Result<RawJson, CanonicalError> {
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.eat("]") {
            return Ok(RawJson::Array(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value(depth + 1)?);
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
        match self.bytes.get(self.pos) {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.err("expected a digit")),
        }
        if self.eat(".") {
            if !matches!(self.bytes.get(self.pos), Some(b'0'..=b'9')) {
                return Err(self.err("expected a digit after '.'"));
            }
            self.digits();
        }
        if let Some(b'e' | b'E') = self.bytes.get(self.pos) {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.bytes.get(self.pos) {
                self.pos += 1;
            }
            if !matches!(self.bytes.get(self.pos), Some(b'0'..=b'9')) {
                return Err(self.err("expected a digit in the exponent"));
            }
            self.digits();
        }
        Ok(RawJson::Number(self.text[start..self.pos].to_string()))
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    fn hex4(&mut self) -> Result<u32, CanonicalError> {
        let h = self
            .text
            .get(self.pos..self.pos + 4)
            .and_then(|s| u32::from_str_radix(s, 16).ok())
            .ok_or_else(|| self.err("expected four hex digits after \\u"))?;
        self.pos += 4;
        Ok(h)
    }

    fn string(&mut self) -> Result<String, CanonicalError> {
        self.pos += 1; // opening quote
        let mut out = String::new();
        loop {
            let run_start = self.pos;
            while let Some(&b) = self.bytes.get(self.pos) {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            out.push_str(&self.text[run_start..self.pos]);
            match self.bytes.get(self.pos) {
                None => return Err(self.err("unterminated string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let esc = *self
                        .bytes
                        .get(self.pos)
                        .ok_or_else(|| self.err("unterminated escape"))?;
                    self.pos += 1;
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

    fn unicode_escape(&mut self) -> Result<char, CanonicalError> {
        let first = self.hex4()?;
        let code = match first {
            0xD800..=0xDBFF => {
                if !self.eat("\\u") {
                    return Err(self.err("lone high surrogate"));
                }
                let second = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return Err(self.err("high surrogate not followed by a low one"));
                }
                0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            }
            0xDC00..=0xDFFF => return Err(self.err("lone low surrogate")),
            c => c,
        };
        char::from_u32(code).ok_or_else(|| self.err("invalid code point"))
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
    if (-4..16).contains(&exp) {
        let fixed = if exp >= 0 {
            let int_len = exp as usize + 1;
            if digits.len() <= int_len {
                format!("{digits}{}.0", "0".repeat(int_len - digits.len()))
            } else {
                format!("{}.{}", &digits[..int_len], &digits[int_len..])
            }
        } else {
            format!("0.{}{digits}", "0".repeat((-exp - 1) as usize))
        };
        format!("{sign}{fixed}")
    } else {
        let (first, rest) = digits.split_at(1);
        let frac = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let exp_sign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{first}{frac}e{exp_sign}{:02}", exp.abs())
    }
}

#[cfg(test)]
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
