//! Strict JSON for JOSE headers, claim sets and key sets.
//!
//! serde_json alone keeps the last of two members with the same name; RFC 7515 §4 and RFC 8725 §2.6
//! warn that two parsers reading `{"alg":"none","alg":"EdDSA"}` differently is an attack. This module
//! parses with serde_json's grammar while refusing duplicate member names at every depth and nesting
//! deeper than a cap (ATTACKS.md G01–G03, J03). Everything else (BOM, comments, trailing commas,
//! NaN, lone surrogates, invalid UTF-8, trailing bytes, numbers beyond binary64) is already refused
//! by serde_json's grammar.
//!
//! There is one parser, [`scan_value`], which builds a [`Borrowed`] tree: strings and member names
//! borrow from the input unless they contain escapes, so checking a token's claims allocates
//! little more than one vector per object. [`parse_value`] and [`parse_object`] are the same parse
//! converted to owned `serde_json` values, so both accept exactly the same inputs.

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

const DUPLICATE: &str = "duplicate member name ";
const TOO_DEEP: &str = "nesting deeper than ";

/// Objects up to this many members find duplicates by comparing names; larger ones by hashing.
const LINEAR_DUPLICATE_SCAN: usize = 16;

/// Why bytes are not acceptable JSON. Line and column are 1-based, as serde_json counts them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JsonError {
    #[error("invalid JSON at line {line}, column {column}: {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("duplicate member name {name:?} at line {line}, column {column}")]
    DuplicateMember {
        name: String,
        line: usize,
        column: usize,
    },
    #[error("JSON nested deeper than {max} levels at line {line}, column {column}")]
    TooDeep {
        max: usize,
        line: usize,
        column: usize,
    },
    #[error("JSON value is not an object")]
    NotAnObject,
}

/// Parses `bytes` as one JSON value with no duplicate member names and at most `max_depth`
/// nested arrays/objects, borrowing strings from `bytes` where it can.
pub fn scan_value(bytes: &[u8], max_depth: usize) -> Result<Borrowed<'_>, JsonError> {
    // JSON text is UTF-8 (RFC 8259 §8.1). One check of the whole text is faster than
    // serde_json's check of each string, and lets it read the text as `str`.
    let text = std::str::from_utf8(bytes).map_err(|e| not_utf8(bytes, e.valid_up_to()))?;
    let mut de = serde_json::Deserializer::from_str(text);
    let value = ValueSeed {
        depth: 0,
        max_depth,
    }
    .deserialize(&mut de)
    .map_err(classify)?;
    de.end().map_err(classify)?;
    Ok(value)
}

/// Parses `bytes` as a JSON object (see [`scan_value`]).
pub fn scan_object(bytes: &[u8], max_depth: usize) -> Result<Members<'_>, JsonError> {
    match scan_value(bytes, max_depth)? {
        Borrowed::Object(members) => Ok(members),
        _ => Err(JsonError::NotAnObject),
    }
}

/// Parses `bytes` as one owned JSON value: [`scan_value`], converted.
pub fn parse_value(bytes: &[u8], max_depth: usize) -> Result<Value, JsonError> {
    scan_value(bytes, max_depth).map(Borrowed::into_value)
}

/// Parses `bytes` as an owned JSON object (see [`parse_value`]).
pub fn parse_object(bytes: &[u8], max_depth: usize) -> Result<Map<String, Value>, JsonError> {
    scan_object(bytes, max_depth).map(Members::into_map)
}

/// A JSON value whose strings borrow from the parsed bytes where they contain no escape.
#[derive(Debug, Clone, PartialEq)]
pub enum Borrowed<'a> {
    Null,
    Bool(bool),
    Number(Number),
    String(Cow<'a, str>),
    Array(Vec<Borrowed<'a>>),
    Object(Members<'a>),
}

impl Borrowed<'_> {
    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Borrowed::String(s) => Some(s),
            _ => None,
        }
    }

    /// The owned `serde_json` value.
    pub fn into_value(self) -> Value {
        match self {
            Borrowed::Null => Value::Null,
            Borrowed::Bool(b) => Value::Bool(b),
            Borrowed::Number(n) => Value::Number(n),
            Borrowed::String(s) => Value::String(s.into_owned()),
            Borrowed::Array(items) => {
                Value::Array(items.into_iter().map(Borrowed::into_value).collect())
            }
            Borrowed::Object(members) => Value::Object(members.into_map()),
        }
    }
}

/// The members of a JSON object, in document order, names distinct.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Members<'a>(Vec<(Cow<'a, str>, Borrowed<'a>)>);

impl<'a> Members<'a> {
    /// The value of the member called `name`.
    pub fn get(&self, name: &str) -> Option<&Borrowed<'a>> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }
    /// Whether a member is called `name`.
    pub fn contains_key(&self, name: &str) -> bool {
        self.get(name).is_some()
    }
    /// The members in document order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Borrowed<'a>)> {
        self.0.iter().map(|(n, v)| (n.as_ref(), v))
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// The owned `serde_json` map, in document order.
    pub fn into_map(self) -> Map<String, Value> {
        let mut map = Map::with_capacity(self.0.len());
        for (name, value) in self.0 {
            map.insert(name.into_owned(), value.into_value());
        }
        map
    }
}

/// The error for bytes that are not UTF-8 from `offset` on, placed as serde_json places its own.
fn not_utf8(bytes: &[u8], offset: usize) -> JsonError {
    let before = &bytes[..offset];
    let line = 1 + before.iter().filter(|b| **b == b'\n').count();
    let column = offset
        - before
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |i| i + 1)
        + 1;
    JsonError::Syntax {
        line,
        column,
        message: format!("invalid UTF-8 at byte {offset}"),
    }
}

fn classify(err: serde_json::Error) -> JsonError {
    let (line, column) = (err.line(), err.column());
    let text = err.to_string();
    // serde_json appends " at line L column C" to custom messages; strip it to get ours back.
    let message = text
        .rsplit_once(" at line ")
        .map_or(text.as_str(), |(head, _)| head)
        .to_owned();
    if let Some(name) = message.strip_prefix(DUPLICATE) {
        JsonError::DuplicateMember {
            name: serde_json::from_str::<String>(name).unwrap_or_else(|_| name.to_owned()),
            line,
            column,
        }
    } else if let Some(max) = message.strip_prefix(TOO_DEEP) {
        JsonError::TooDeep {
            max: max.parse().unwrap_or(0),
            line,
            column,
        }
    } else {
        JsonError::Syntax {
            line,
            column,
            message,
        }
    }
}

#[derive(Clone, Copy)]
struct ValueSeed {
    depth: usize,
    max_depth: usize,
}

impl<'de> DeserializeSeed<'de> for ValueSeed {
    type Value = Borrowed<'de>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Borrowed<'de>, D::Error> {
        d.deserialize_any(self)
    }
}

impl ValueSeed {
    fn enter<E: de::Error>(self) -> Result<ValueSeed, E> {
        if self.depth >= self.max_depth {
            return Err(E::custom(format_args!("{TOO_DEEP}{}", self.max_depth)));
        }
        Ok(ValueSeed {
            depth: self.depth + 1,
            max_depth: self.max_depth,
        })
    }
}

impl<'de> Visitor<'de> for ValueSeed {
    type Value = Borrowed<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Borrowed<'de>, E> {
        Ok(Borrowed::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Borrowed<'de>, E> {
        Ok(Borrowed::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Borrowed<'de>, E> {
        Ok(Borrowed::Number(v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Borrowed<'de>, E> {
        Number::from_f64(v)
            .map(Borrowed::Number)
            .ok_or_else(|| E::custom("number is not finite"))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Borrowed<'de>, E> {
        Ok(Borrowed::String(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Borrowed<'de>, E> {
        Ok(Borrowed::String(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Borrowed<'de>, E> {
        Ok(Borrowed::String(Cow::Owned(v)))
    }
    fn visit_unit<E>(self) -> Result<Borrowed<'de>, E> {
        Ok(Borrowed::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Borrowed<'de>, A::Error> {
        let inner = self.enter()?;
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(inner)? {
            items.push(item);
        }
        Ok(Borrowed::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Borrowed<'de>, A::Error> {
        let inner = self.enter()?;
        let mut members: Vec<(Cow<'de, str>, Borrowed<'de>)> = Vec::with_capacity(16);
        // Built only for objects too large to compare names one by one.
        let mut seen: Option<HashSet<Cow<'de, str>>> = None;
        while let Some(name) = map.next_key_seed(NameSeed)? {
            let duplicate = match &mut seen {
                Some(seen) => !seen.insert(name.clone()),
                None => members.iter().any(|(n, _)| *n == name),
            };
            if duplicate {
                let quoted = serde_json::to_string(name.as_ref()).unwrap_or_default();
                return Err(de::Error::custom(format_args!("{DUPLICATE}{quoted}")));
            }
            let value = map.next_value_seed(inner)?;
            members.push((name, value));
            if seen.is_none() && members.len() > LINEAR_DUPLICATE_SCAN {
                seen = Some(members.iter().map(|(n, _)| n.clone()).collect());
            }
        }
        Ok(Borrowed::Object(Members(members)))
    }
}

/// A member name, borrowed when it has no escape.
struct NameSeed;

impl<'de> DeserializeSeed<'de> for NameSeed {
    type Value = Cow<'de, str>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Cow<'de, str>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for NameSeed {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_objects() {
        let map = parse_object(br#"{"a":1,"b":{"c":[true,null,"x"]}}"#, 16).unwrap();
        assert_eq!(map["b"]["c"][2], "x");
    }

    #[test]
    fn refuses_duplicates_at_any_depth() {
        assert!(matches!(
            parse_object(br#"{"alg":"none","alg":"EdDSA"}"#, 16),
            Err(JsonError::DuplicateMember { ref name, .. }) if name == "alg"
        ));
        assert!(matches!(
            parse_object(br#"{"a":{"b":1,"b":2}}"#, 16),
            Err(JsonError::DuplicateMember { .. })
        ));
    }

    #[test]
    fn escaped_and_plain_names_are_the_same_name() {
        assert!(matches!(
            parse_object(br#"{"alg":1,"\u0061lg":2}"#, 16),
            Err(JsonError::DuplicateMember { ref name, .. }) if name == "alg"
        ));
    }

    #[test]
    fn large_objects_find_duplicates_by_hashing() {
        let members: Vec<String> = (0..100).map(|i| format!("\"m{i}\":{i}")).collect();
        let ok = format!("{{{}}}", members.join(","));
        let map = parse_object(ok.as_bytes(), 16).unwrap();
        assert_eq!(map.len(), 100);
        assert_eq!(map.keys().nth(57).map(String::as_str), Some("m57"));
        for dup in ["m0", "m16", "m17", "m99"] {
            let bad = format!("{{{},\"{dup}\":true}}", members.join(","));
            assert!(matches!(
                parse_object(bad.as_bytes(), 16),
                Err(JsonError::DuplicateMember { ref name, .. }) if name == dup
            ));
        }
    }

    #[test]
    fn borrowed_scan_matches_the_owned_parse() {
        let text = br#"{"s":"plain","e":"esc\"aped","n":[1,-2,3.5,null,true],"o":{"k":"v"}}"#;
        let members = scan_object(text, 16).unwrap();
        assert!(matches!(
            members.get("s"),
            Some(Borrowed::String(Cow::Borrowed("plain")))
        ));
        assert!(matches!(
            members.get("e"),
            Some(Borrowed::String(Cow::Owned(_)))
        ));
        assert_eq!(
            members.get("e").and_then(Borrowed::as_str),
            Some("esc\"aped")
        );
        assert_eq!(
            Value::Object(members.into_map()),
            serde_json::from_slice::<Value>(text).unwrap()
        );
    }

    #[test]
    fn refuses_excess_depth_but_not_the_cap_itself() {
        assert!(parse_value(b"[[[1]]]", 3).is_ok());
        assert!(matches!(
            parse_value(b"[[[[1]]]]", 3),
            Err(JsonError::TooDeep { max: 3, .. })
        ));
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(matches!(
            parse_value(deep.as_bytes(), 16),
            Err(JsonError::TooDeep { .. })
        ));
    }

    #[test]
    fn refuses_lenient_syntax() {
        for bad in [
            &b"\xef\xbb\xbf{}"[..],
            b"{\"a\":1,}",
            b"{/*c*/}",
            b"{'a':1}",
            b"{\"a\":NaN}",
            b"{\"a\":01}",
            b"{\"a\":\"\\ud800\"}",
            b"{\"a\":\"\xff\"}",
            b"{} x",
            b"{\"a\":1e400}",
        ] {
            assert!(
                parse_value(bad, 16).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn invalid_utf8_is_placed() {
        assert_eq!(
            parse_value(b"{\n  \"a\": \"\xc3\x28\"}", 16),
            Err(JsonError::Syntax {
                line: 2,
                column: 9,
                message: "invalid UTF-8 at byte 10".into()
            })
        );
    }

    #[test]
    fn reports_position() {
        match parse_value(b"{\n  \"a\": tru }", 16) {
            Err(JsonError::Syntax { line, .. }) => assert_eq!(line, 2),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn non_objects_are_named() {
        assert_eq!(parse_object(b"[1]", 16), Err(JsonError::NotAnObject));
    }
}
