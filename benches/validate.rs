//! The reference validator against jsonwebtoken (aws_lc_rs backend, its strictest settings) on
//! the same Better Auth-shaped token, for EdDSA, ES256, RS256, PS256 and HS256, beside the bare
//! signature verification (the floor no validator can beat):
//!
//! - `raw`: the primitive alone with a pre-built key (ed25519-dalek `verify_strict`, aws-lc-rs
//!   `ParsedPublicKey::verify_sig`, `hmac::verify`); for EdDSA also aws-lc-rs's Ed25519, the
//!   primitive jsonwebtoken uses;
//! - `key_verify`: the same through authprobe's `Key::verify` (what the validator calls);
//! - `authprobe`: `Validator::validate` with the Better Auth profile, clock read included;
//! - `jsonwebtoken_typed`: `jsonwebtoken::decode` into a struct of the Better Auth claims (its
//!   fastest use); `jsonwebtoken_value`: into `serde_json::Value` (all claims, as authprobe
//!   returns them).
//!
//! A second group, `steps`, times each stage of `validate` for the sample fixture token, so the
//! overhead above the signature check can be read off one run.
//!
//! Before measuring, every pair is checked once: both validators accept the token, and both
//! reject a token with a tampered signature and one for another issuer and audience.

mod common;

use authprobe::algorithm::Algorithm;
use authprobe::dangerous::forge::sample::SampleIssuer;
use authprobe::jwk::{KeyMaterial, KeySet};
use authprobe::token::Token;
use authprobe::validate::{Clock as _, SystemClock};
use authprobe::{strict_json, Policy, Validator};
use aws_lc_rs::hmac;
use aws_lc_rs::signature::{self as sig, ParsedPublicKey, RsaPublicKeyComponents};
use common::{fixture, BenchClock, FIXTURE_NOW, ISSUER};
use criterion::{criterion_group, criterion_main, Criterion};
use serde::Deserialize;
use serde_json::Value;
use std::hint::black_box;

/// The claims Better Auth's jwt plugin puts in a token (the session user's fields).
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct BetterAuthClaims {
    iat: u64,
    exp: u64,
    iss: String,
    aud: String,
    sub: String,
    id: String,
    name: String,
    email: String,
    #[serde(rename = "emailVerified")]
    email_verified: bool,
    image: Option<String>,
    #[serde(rename = "createdAt")]
    created_at: String,
    #[serde(rename = "updatedAt")]
    updated_at: String,
}

const ALGORITHMS: [Algorithm; 5] = [
    Algorithm::EdDSA,
    Algorithm::ES256,
    Algorithm::RS256,
    Algorithm::PS256,
    Algorithm::HS256,
];

fn peer_alg(alg: Algorithm) -> jsonwebtoken::Algorithm {
    match alg {
        Algorithm::EdDSA => jsonwebtoken::Algorithm::EdDSA,
        Algorithm::ES256 => jsonwebtoken::Algorithm::ES256,
        Algorithm::RS256 => jsonwebtoken::Algorithm::RS256,
        Algorithm::PS256 => jsonwebtoken::Algorithm::PS256,
        Algorithm::HS256 => jsonwebtoken::Algorithm::HS256,
        other => unreachable!("{other} is not benchmarked"),
    }
}

/// jsonwebtoken at its strictest: one algorithm, exact iss and aud, every registered claim we
/// require also required there, nbf checked, the same 30 s leeway.
fn peer_validation(alg: Algorithm) -> jsonwebtoken::Validation {
    let mut v = jsonwebtoken::Validation::new(peer_alg(alg));
    v.set_issuer(&[ISSUER]);
    v.set_audience(&[ISSUER]);
    v.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
    v.leeway = 30;
    v.validate_exp = true;
    v.validate_nbf = true;
    v.validate_aud = true;
    v
}

/// One algorithm's issuer, token and both validators' keys.
struct Case {
    alg: Algorithm,
    token: String,
    keys: KeySet,
    validator: Validator,
    peer_key: jsonwebtoken::DecodingKey,
    peer_validation: jsonwebtoken::Validation,
    issuer: SampleIssuer,
}

impl Case {
    fn new(alg: Algorithm) -> Case {
        let issuer = SampleIssuer::generate(alg).expect("key generation");
        // Valid now: jsonwebtoken reads the system clock, so authprobe does too.
        let now = SystemClock.now();
        let token = issuer.token(ISSUER, now).to_string();
        let keys = if issuer.published.is_empty() {
            // HS256: the configured secret, as a secret key set holds it.
            let jwk = issuer.key.public_jwk(
                Some(authprobe::dangerous::forge::sample::SAMPLE_KID),
                Some(alg),
            );
            let doc = serde_json::json!({ "keys": [jwk] }).to_string();
            KeySet::from_secret_jwks(doc.as_bytes()).expect("secret key set")
        } else {
            let doc = serde_json::json!({ "keys": issuer.published }).to_string();
            KeySet::from_public_jwks(doc.as_bytes()).expect("public key set")
        };
        let jwk_value = Value::Object(issuer.key.public_jwk(
            Some(authprobe::dangerous::forge::sample::SAMPLE_KID),
            Some(alg),
        ));
        let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(jwk_value).expect("peer JWK");
        let peer_key = jsonwebtoken::DecodingKey::from_jwk(&jwk).expect("peer key");
        Case {
            alg,
            token,
            keys,
            validator: Validator::new(Policy::better_auth(ISSUER, ISSUER).with_algorithms([alg])),
            peer_key,
            peer_validation: peer_validation(alg),
            issuer,
        }
    }

    fn ours_accepts(&self, token: &str) -> bool {
        self.validator
            .validate(token.as_bytes(), &self.keys, &SystemClock)
            .is_ok()
    }

    fn peer_accepts(&self, token: &str) -> bool {
        jsonwebtoken::decode::<BetterAuthClaims>(token, &self.peer_key, &self.peer_validation)
            .is_ok()
    }

    /// Both accept the token; both reject a tampered signature and a foreign iss/aud.
    fn assert_agreement(&self) {
        let alg = self.alg;
        assert!(self.ours_accepts(&self.token), "{alg}: authprobe accepts");
        assert!(
            self.peer_accepts(&self.token),
            "{alg}: jsonwebtoken accepts"
        );
        assert!(
            jsonwebtoken::decode::<Value>(&self.token, &self.peer_key, &self.peer_validation)
                .is_ok(),
            "{alg}: jsonwebtoken accepts (Value)"
        );
        // Change the signature's first character: same length, still canonical base64url.
        let dot = self.token.rfind('.').unwrap();
        let mut tampered = self.token.clone().into_bytes();
        tampered[dot + 1] = if tampered[dot + 1] == b'A' {
            b'B'
        } else {
            b'A'
        };
        let tampered = String::from_utf8(tampered).unwrap();
        assert!(!self.ours_accepts(&tampered), "{alg}: authprobe rejects");
        assert!(!self.peer_accepts(&tampered), "{alg}: jsonwebtoken rejects");
        // Correctly signed, but for another issuer and audience.
        let foreign = self
            .issuer
            .token("https://evil.example", SystemClock.now())
            .to_string();
        assert!(!self.ours_accepts(&foreign), "{alg}: authprobe rejects iss");
        assert!(
            !self.peer_accepts(&foreign),
            "{alg}: jsonwebtoken rejects iss"
        );
    }
}

/// The primitive alone, with the key pre-parsed outside the measurement.
enum Raw {
    Ed25519 {
        dalek: ed25519_dalek::VerifyingKey,
        aws: ParsedPublicKey,
    },
    Parsed(ParsedPublicKey),
    Hmac(Box<hmac::Key>),
}

impl Raw {
    fn new(case: &Case) -> Raw {
        let key = case.keys.select(
            Some(authprobe::dangerous::forge::sample::SAMPLE_KID),
            case.alg,
        );
        match key.expect("the case's key").material() {
            KeyMaterial::Ed25519(vk) => Raw::Ed25519 {
                dalek: vk.point,
                aws: ParsedPublicKey::new(&sig::ED25519, vk.point.as_bytes()).unwrap(),
            },
            KeyMaterial::Ec { point, .. } => {
                Raw::Parsed(ParsedPublicKey::new(&sig::ECDSA_P256_SHA256_FIXED, point).unwrap())
            }
            KeyMaterial::Rsa(rsa) => {
                let params = match case.alg {
                    Algorithm::RS256 => &sig::RSA_PKCS1_2048_8192_SHA256,
                    Algorithm::PS256 => &sig::RSA_PSS_2048_8192_SHA256,
                    other => unreachable!("{other}"),
                };
                Raw::Parsed(
                    RsaPublicKeyComponents {
                        n: &rsa.n,
                        e: &rsa.e,
                    }
                    .to_parsed_public_key(params)
                    .unwrap(),
                )
            }
            KeyMaterial::Hmac(secret) => {
                Raw::Hmac(Box::new(hmac::Key::new(hmac::HMAC_SHA256, secret)))
            }
        }
    }
}

fn compare(c: &mut Criterion<BenchClock>) {
    for alg in ALGORITHMS {
        let case = Case::new(alg);
        case.assert_agreement();
        let parsed = Token::parse(&case.token).unwrap();
        let (msg, signature) = (parsed.signing_input(), parsed.signature());
        let key = case
            .keys
            .select(Some(authprobe::dangerous::forge::sample::SAMPLE_KID), alg)
            .unwrap();
        let raw = Raw::new(&case);

        let mut group = c.benchmark_group(format!("validate/{alg}"));
        match &raw {
            Raw::Ed25519 { dalek, aws } => {
                // The primitive authprobe's Key::verify runs (aws-lc's Ed25519 with the key
                // parsed once), then ed25519-dalek's verify_strict, which it is equivalent to.
                group.bench_function("raw", |b| {
                    b.iter(|| {
                        black_box(aws)
                            .verify_sig(black_box(msg), black_box(signature))
                            .is_ok()
                    })
                });
                let dalek_signature = ed25519_dalek::Signature::from_slice(signature).unwrap();
                group.bench_function("raw_dalek_verify_strict", |b| {
                    b.iter(|| {
                        black_box(dalek)
                            .verify_strict(black_box(msg), black_box(&dalek_signature))
                            .is_ok()
                    })
                });
                // What jsonwebtoken does per token: the raw key bytes straight to aws-lc.
                group.bench_function("raw_aws_lc_ed25519_unparsed", |b| {
                    b.iter(|| {
                        sig::UnparsedPublicKey::new(&sig::ED25519, black_box(dalek.as_bytes()))
                            .verify(black_box(msg), black_box(signature))
                            .is_ok()
                    })
                });
            }
            Raw::Parsed(parsed) => {
                group.bench_function("raw", |b| {
                    b.iter(|| {
                        black_box(parsed)
                            .verify_sig(black_box(msg), black_box(signature))
                            .is_ok()
                    })
                });
            }
            Raw::Hmac(hkey) => {
                group.bench_function("raw", |b| {
                    b.iter(|| {
                        hmac::verify(black_box(hkey), black_box(msg), black_box(signature)).is_ok()
                    })
                });
                // The key schedule redone for every token (what authprobe did before caching
                // HMAC keys, and what jsonwebtoken does).
                let KeyMaterial::Hmac(secret) = key.material() else {
                    unreachable!()
                };
                group.bench_function("raw_key_per_call", |b| {
                    b.iter(|| {
                        let hkey = hmac::Key::new(hmac::HMAC_SHA256, black_box(secret));
                        hmac::verify(&hkey, black_box(msg), black_box(signature)).is_ok()
                    })
                });
            }
        }
        group.bench_function("key_verify", |b| {
            b.iter(|| black_box(key).verify(alg, black_box(msg), black_box(signature)))
        });
        group.bench_function("authprobe", |b| {
            b.iter(|| {
                case.validator
                    .validate(black_box(case.token.as_bytes()), &case.keys, &SystemClock)
                    .is_ok()
            })
        });
        // The same, and then every claim as an owned serde_json map (what jsonwebtoken_value
        // hands back).
        group.bench_function("authprobe_with_claims", |b| {
            b.iter(|| {
                case.validator
                    .validate(black_box(case.token.as_bytes()), &case.keys, &SystemClock)
                    .map(|v| v.into_claims().len())
            })
        });
        group.bench_function("jsonwebtoken_typed", |b| {
            b.iter(|| {
                jsonwebtoken::decode::<BetterAuthClaims>(
                    black_box(&case.token),
                    &case.peer_key,
                    &case.peer_validation,
                )
                .is_ok()
            })
        });
        group.bench_function("jsonwebtoken_value", |b| {
            b.iter(|| {
                jsonwebtoken::decode::<Value>(
                    black_box(&case.token),
                    &case.peer_key,
                    &case.peer_validation,
                )
                .is_ok()
            })
        });
        group.finish();
    }
}

/// Each stage of `Validator::validate` for the sample fixture token (EdDSA, 607 bytes), so the
/// overhead above the signature check is measured, not inferred.
fn steps(c: &mut Criterion<BenchClock>) {
    let token = fixture("better-auth/token.jwt");
    let keys = KeySet::from_public_jwks(fixture("better-auth/jwks.json").as_bytes()).unwrap();
    let validator = Validator::new(Policy::better_auth(ISSUER, ISSUER));
    let clock = authprobe::validate::FixedClock(FIXTURE_NOW);
    assert!(validator.validate(token.as_bytes(), &keys, &clock).is_ok());
    let (parsed, claims) = validator.parse_jwt(token.as_bytes()).unwrap();
    let alg = validator.check_header(&parsed).unwrap();
    let kid = parsed.kid().unwrap().to_owned();
    let key = keys.select(Some(&kid), alg).unwrap();

    let mut group = c.benchmark_group("steps/EdDSA-fixture");
    group.bench_function("parse_token", |b| {
        b.iter(|| Token::parse(black_box(token.as_bytes())).is_ok())
    });
    group.bench_function("parse_jwt(token+claims)", |b| {
        b.iter(|| validator.parse_jwt(black_box(token.as_bytes())).is_ok())
    });
    group.bench_function("check_header", |b| {
        b.iter(|| validator.check_header(black_box(&parsed)).is_ok())
    });
    group.bench_function("select+binding", |b| {
        b.iter(|| {
            let key = keys.select(Some(black_box(&kid)), alg).unwrap();
            key.check_binding(alg).is_ok()
        })
    });
    group.bench_function("check_claims", |b| {
        b.iter(|| {
            validator
                .check_claims(black_box(&claims), black_box(FIXTURE_NOW))
                .is_ok()
        })
    });
    group.bench_function("scan_claims", |b| {
        b.iter(|| strict_json::scan_object(black_box(parsed.payload()), 16).is_ok())
    });
    group.bench_function("all_but_signature", |b| {
        b.iter(|| {
            // What `validate` does besides Key::verify, through the public pieces it uses
            // (which read the header twice where `validate` reads it once: an upper bound).
            let parsed = Token::parse(black_box(token.as_bytes())).unwrap();
            let claims = strict_json::scan_object(parsed.payload(), 16).unwrap();
            let alg = validator.check_header(&parsed).unwrap();
            let kid = parsed
                .header_members()
                .get("kid")
                .and_then(|k| k.as_str().map(str::to_owned));
            let key = keys.select(kid.as_deref(), alg).unwrap();
            key.check_binding(alg).unwrap();
            validator.check_claims(&claims, clock.0).unwrap();
            drop(claims);
            black_box((kid, parsed.into_header_and_payload()))
        })
    });
    verify_and_validate(&mut group, key, alg, &parsed, &validator, &keys, &clock);
    group.finish();
}

/// The overhead above the signature check, measured precisely: the fixture's exact payload (the
/// typical Better Auth claims) and header shape, re-signed with HS256, whose signature check is
/// cheap enough (≈ 0.4 µs) that `validate − Key::verify` is not lost in the noise of a 25 µs
/// Ed25519 verification.
fn overhead(c: &mut Criterion<BenchClock>) {
    let fixture_token = Token::parse(fixture("better-auth/token.jwt")).unwrap();
    let kid = fixture_token.kid().unwrap().to_owned();
    let header = serde_json::json!({"alg": "HS256", "kid": kid}).to_string();
    let secret = [0x5au8; 32];
    let token = authprobe::sign::sign_compact(
        header.as_bytes(),
        fixture_token.payload(),
        &authprobe::sign::SigningKey::hmac(&secret),
        Algorithm::HS256,
    )
    .unwrap();
    let jwks = serde_json::json!({"keys": [{
        "kty": "oct", "kid": kid, "alg": "HS256", "k": authprobe::base64url::encode(secret)
    }]})
    .to_string();
    let keys = KeySet::from_secret_jwks(jwks.as_bytes()).unwrap();
    let validator =
        Validator::new(Policy::better_auth(ISSUER, ISSUER).with_algorithms([Algorithm::HS256]));
    let clock = authprobe::validate::FixedClock(FIXTURE_NOW);
    let verified = validator.validate(token.as_bytes(), &keys, &clock).unwrap();
    assert_eq!(verified.payload(), fixture_token.payload());
    let parsed = Token::parse(&token).unwrap();
    let key = keys.select(Some(&kid), Algorithm::HS256).unwrap();

    let mut group = c.benchmark_group("overhead/fixture-claims-HS256");
    verify_and_validate(
        &mut group,
        key,
        Algorithm::HS256,
        &parsed,
        &validator,
        &keys,
        &clock,
    );
    group.finish();
}

/// `key_verify` (the signature check alone) and `validate` (everything) on the same token, the
/// pair whose difference is the overhead.
fn verify_and_validate(
    group: &mut criterion::BenchmarkGroup<'_, BenchClock>,
    key: &authprobe::jwk::Key,
    alg: Algorithm,
    parsed: &Token,
    validator: &Validator,
    keys: &KeySet,
    clock: &authprobe::validate::FixedClock,
) {
    group.bench_function("key_verify", |b| {
        b.iter(|| {
            black_box(key).verify(
                alg,
                black_box(parsed.signing_input()),
                black_box(parsed.signature()),
            )
        })
    });
    group.bench_function("validate", |b| {
        b.iter(|| {
            validator
                .validate(black_box(parsed.as_str().as_bytes()), keys, clock)
                .is_ok()
        })
    });
}

criterion_group! {
    name = benches;
    config = common::micro();
    targets = compare, steps, overhead
}
criterion_main!(benches);
