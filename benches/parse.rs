//! Parsing alone, for a typical Better Auth token: the bundled sample fixture (607 bytes, EdDSA,
//! the session user's twelve claims).
//!
//! - `token`: `Token::parse` (size cap, three segments, strict base64url, strict header JSON);
//! - `token+claims`: `Validator::parse_jwt`, steps 1–5 of the check order (what `validate` runs
//!   before the header rules);
//! - the pieces under it: strict base64url of the payload, the strict claims JSON (duplicate names
//!   and depth refused) next to plain `serde_json` into the same map type;
//! - for context, jsonwebtoken's unverified decode of the same token into `serde_json::Value`;
//! - `what-if/*`: prototypes of the optimizations docs/PERFORMANCE.md proposes, measured on the
//!   same bytes: base64url without the separate alphabet pre-scan (the engine alone refuses the
//!   same strings), and the strict JSON visitor with one hash per member (`Map::entry` instead of
//!   `contains_key` + `insert`) and a pre-sized map. They are not what authprobe runs.

mod common;

use authprobe::token::Token;
use authprobe::{base64url, strict_json, Policy, Validator};
use common::{fixture, BenchClock, ISSUER};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use serde_json::{Map, Value};
use std::hint::black_box;

/// The prototypes behind `what-if/*`.
mod what_if {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
    use serde_json::map::Entry;
    use serde_json::{Map, Number, Value};
    use std::fmt;

    /// authprobe's engine configuration, used without the pre-scan.
    pub const STRICT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::URL_SAFE,
        GeneralPurposeConfig::new()
            .with_encode_padding(false)
            .with_decode_padding_mode(DecodePaddingMode::RequireNone)
            .with_decode_allow_trailing_bits(false),
    );

    /// strict_json's visitor with one hash per member and a pre-sized map.
    pub fn parse_object(bytes: &[u8], max_depth: usize) -> Option<Map<String, Value>> {
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let value = Seed {
            depth: 0,
            max_depth,
        }
        .deserialize(&mut de)
        .ok()?;
        de.end().ok()?;
        match value {
            Value::Object(map) => Some(map),
            _ => None,
        }
    }

    #[derive(Clone, Copy)]
    struct Seed {
        depth: usize,
        max_depth: usize,
    }

    impl Seed {
        fn enter<E: de::Error>(self) -> Result<Seed, E> {
            if self.depth >= self.max_depth {
                return Err(E::custom("too deep"));
            }
            Ok(Seed {
                depth: self.depth + 1,
                ..self
            })
        }
    }

    impl<'de> DeserializeSeed<'de> for Seed {
        type Value = Value;
        fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
            d.deserialize_any(self)
        }
    }

    impl<'de> Visitor<'de> for Seed {
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
            while let Some(item) = seq.next_element_seed(inner)? {
                items.push(item);
            }
            Ok(Value::Array(items))
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
            let inner = self.enter()?;
            let mut members = Map::with_capacity(16);
            while let Some(key) = map.next_key::<String>()? {
                match members.entry(key) {
                    Entry::Occupied(_) => return Err(de::Error::custom("duplicate member")),
                    Entry::Vacant(slot) => {
                        slot.insert(map.next_value_seed(inner)?);
                    }
                }
            }
            Ok(Value::Object(members))
        }
    }
}

fn parse(c: &mut Criterion<BenchClock>) {
    let token = fixture("better-auth/token.jwt");
    let validator = Validator::new(Policy::better_auth(ISSUER, ISSUER));
    let parsed = Token::parse(&token).unwrap();
    let payload_b64 = parsed.payload_b64().to_owned();
    let payload = parsed.payload().to_vec();
    assert!(validator.parse_jwt(token.as_bytes()).is_ok());
    assert!(jsonwebtoken::dangerous::insecure_decode::<Value>(&token).is_ok());

    let mut group = c.benchmark_group("parse/better-auth-token");
    group.throughput(Throughput::Bytes(token.len() as u64));
    group.bench_function("token", |b| {
        b.iter(|| Token::parse(black_box(token.as_bytes())).is_ok())
    });
    group.bench_function("token+claims", |b| {
        b.iter(|| validator.parse_jwt(black_box(token.as_bytes())).is_ok())
    });
    group.bench_function("base64url_payload", |b| {
        b.iter(|| base64url::decode(black_box(payload_b64.as_bytes())).is_ok())
    });
    group.bench_function("strict_json_claims", |b| {
        b.iter(|| strict_json::parse_object(black_box(&payload), 16).is_ok())
    });
    group.bench_function("serde_json_claims", |b| {
        b.iter(|| serde_json::from_slice::<Map<String, Value>>(black_box(&payload)).is_ok())
    });
    group.bench_function("jsonwebtoken_insecure_decode", |b| {
        b.iter(|| jsonwebtoken::dangerous::insecure_decode::<Value>(black_box(&token)).is_ok())
    });
    group.finish();

    use base64::Engine as _;
    assert_eq!(
        what_if::STRICT.decode(payload_b64.as_bytes()).unwrap(),
        payload
    );
    assert_eq!(
        what_if::parse_object(&payload, 16).unwrap(),
        strict_json::parse_object(&payload, 16).unwrap()
    );
    let mut group = c.benchmark_group("parse/what-if");
    group.bench_function("base64url_payload_engine_only", |b| {
        b.iter(|| {
            what_if::STRICT
                .decode(black_box(payload_b64.as_bytes()))
                .is_ok()
        })
    });
    group.bench_function("strict_json_claims_entry_presized", |b| {
        b.iter(|| what_if::parse_object(black_box(&payload), 16).is_some())
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::micro();
    targets = parse
}
criterion_main!(benches);
