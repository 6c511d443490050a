//! Strict JSON for JOSE headers, claim sets and key sets.
//!
//! serde_json alone keeps the last of two members with the same name; RFC 7515 §4 and RFC 8725 §2.6
//! warn that two parsers reading `{"alg":"none","alg":"EdDSA"}` differently is an attack. This module
//! parses into `serde_json::Value` while refusing duplicate member names at every depth and nesting
//! deeper than a cap (ATTACKS.md G01–G03, J03). Everything else (BOM, comments, trailing commas,
//! NaN, lone surrogates, invalid UTF-8, trailing bytes) is already refused by serde_json's grammar.

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::fmt;

const DUPLICATE: &str = "duplicate member name ";
const TOO_DEEP: &str = "nesting deeper than ";

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
/// nested arrays/objects.
pub fn parse_value(bytes: &[u8], max_depth: usize) -> Result<Value, JsonError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = ValueSeed {
        depth: 0,
        max_depth,
    }
    .deserialize(&mut de)
    .map_err(classify)?;
    de.end().map_err(classify)?;
    Ok(value)
}

/// Parses `bytes` as a JSON object (see [`parse_value`]).
pub fn parse_object(bytes: &[u8], max_depth: usize) -> Result<Map<String, Value>, JsonError> {
    match parse_value(bytes, max_depth)? {
        Value::Object(map) => Ok(map),
        _ => Err(JsonError::NotAnObject),
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

struct ValueSeed {
    depth: usize,
    max_depth: usize,
}

impl<'de> DeserializeSeed<'de> for ValueSeed {
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl ValueSeed {
    fn enter<E: de::Error>(&self) -> Result<ValueSeed, E> {
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
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("number is not finite"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let inner = self.enter()?;
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(ValueSeed { ..inner })? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let inner = self.enter()?;
        let mut members = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if members.contains_key(&key) {
                let quoted = serde_json::to_string(&key).unwrap_or_default();
                return Err(de::Error::custom(format_args!("{DUPLICATE}{quoted}")));
            }
            let value = map.next_value_seed(ValueSeed { ..inner })?;
            members.insert(key, value);
        }
        Ok(Value::Object(members))
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
