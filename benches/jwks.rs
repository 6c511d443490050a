//! Key set parsing and key selection.
//!
//! - `parse/fixture`: the bundled Better Auth key set (one Ed25519 key);
//! - `parse/rotation-3xEd25519`: three Ed25519 keys, as Better Auth publishes after rotations;
//! - `parse/mixed-Ed25519+P256+RSA2048`: one key of each family (RSA import includes the size,
//!   exponent and ROCA checks and a trial parse by aws-lc);
//! - `select/*`: `KeySet::select` by kid (the last key of the set) plus `check_binding`;
//! - for context, jsonwebtoken's `JwkSet` deserialization with `find` + `DecodingKey::from_jwk`.

mod common;

use authprobe::algorithm::{Algorithm, Curve, KeyFamily};
use authprobe::jwk::KeySet;
use authprobe::sign::SigningKey;
use common::{fixture, BenchClock};
use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::{json, Map, Value};
use std::hint::black_box;

fn jwk(family: KeyFamily, alg: Algorithm, kid: &str) -> Map<String, Value> {
    SigningKey::generate(family)
        .unwrap()
        .public_jwk(Some(kid), Some(alg))
}

fn jwks(c: &mut Criterion<BenchClock>) {
    let fixture_doc = fixture("better-auth/jwks.json");
    let rotation_kids = [
        "Qm3TzV8pLw2XcR6nYb9KdF4sHj7GaE1u",
        "Wn5RkP2vXc8LzT4mQb7YdH3sFj6GaE9o",
        "k7QwZp2LxR9vTmN4bYc8HsJd3FgEa6Uu",
    ];
    let rotation_doc = json!({
        "keys": rotation_kids
            .iter()
            .map(|kid| jwk(KeyFamily::Ed25519, Algorithm::EdDSA, kid))
            .collect::<Vec<_>>()
    })
    .to_string();
    let mixed_doc = json!({
        "keys": [
            jwk(KeyFamily::Rsa, Algorithm::RS256, "rsa-2048"),
            jwk(KeyFamily::Ec(Curve::P256), Algorithm::ES256, "ec-p256"),
            jwk(KeyFamily::Ed25519, Algorithm::EdDSA, "ed25519"),
        ]
    })
    .to_string();
    let docs = [
        (
            "fixture",
            fixture_doc.as_str(),
            "k7QwZp2LxR9vTmN4bYc8HsJd3FgEa6Uu",
        ),
        (
            "rotation-3xEd25519",
            rotation_doc.as_str(),
            rotation_kids[2],
        ),
        ("mixed-Ed25519+P256+RSA2048", mixed_doc.as_str(), "ed25519"),
    ];

    let mut group = c.benchmark_group("jwks/parse");
    for (name, doc, _) in docs {
        assert!(KeySet::from_public_jwks(doc.as_bytes()).is_ok(), "{name}");
        group.bench_function(name, |b| {
            b.iter(|| KeySet::from_public_jwks(black_box(doc.as_bytes())).is_ok())
        });
    }
    group.finish();

    let mut group = c.benchmark_group("jwks/select");
    for (name, doc, kid) in docs {
        let set = KeySet::from_public_jwks(doc.as_bytes()).unwrap();
        assert!(set.select(Some(kid), Algorithm::EdDSA).is_ok(), "{name}");
        group.bench_function(name, |b| {
            b.iter(|| {
                let key = set.select(Some(black_box(kid)), Algorithm::EdDSA).unwrap();
                key.check_binding(Algorithm::EdDSA).is_ok()
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group("jwks/jsonwebtoken");
    for (name, doc, kid) in docs {
        group.bench_function(format!("parse+find+key/{name}"), |b| {
            b.iter(|| {
                let set: jsonwebtoken::jwk::JwkSet =
                    serde_json::from_slice(black_box(doc.as_bytes())).unwrap();
                let jwk = set.find(kid).unwrap();
                jsonwebtoken::DecodingKey::from_jwk(jwk).is_ok()
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::micro();
    targets = jwks
}
criterion_main!(benches);
