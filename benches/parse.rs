//! Parsing alone, for a typical Better Auth token: the bundled sample fixture (607 bytes, EdDSA,
//! the session user's twelve claims).
//!
//! - `token`: `Token::parse` (size cap, three segments, strict base64url, strict header JSON);
//! - `token+claims`: `Validator::parse_jwt`, steps 1–5 of the check order with the claims as an
//!   owned map (what the differential oracle uses; `validate` scans them borrowed instead);
//! - the pieces under it: strict base64url of the payload; the strict claims JSON (duplicate
//!   names and depth refused) borrowed (`scan_object`, what `validate` runs) and owned
//!   (`parse_object`), next to plain `serde_json` into the same owned map type;
//! - for context, jsonwebtoken's unverified decode of the same token into `serde_json::Value`.

mod common;

use authprobe::token::Token;
use authprobe::{base64url, strict_json, Policy, Validator};
use common::{fixture, BenchClock, ISSUER};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use serde_json::{Map, Value};
use std::hint::black_box;

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
    group.bench_function("strict_json_claims_borrowed", |b| {
        b.iter(|| strict_json::scan_object(black_box(&payload), 16).is_ok())
    });
    group.bench_function("strict_json_claims_owned", |b| {
        b.iter(|| strict_json::parse_object(black_box(&payload), 16).is_ok())
    });
    group.bench_function("serde_json_claims", |b| {
        b.iter(|| serde_json::from_slice::<Map<String, Value>>(black_box(&payload)).is_ok())
    });
    group.bench_function("jsonwebtoken_insecure_decode", |b| {
        b.iter(|| jsonwebtoken::dangerous::insecure_decode::<Value>(black_box(&token)).is_ok())
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::micro();
    targets = parse
}
criterion_main!(benches);
