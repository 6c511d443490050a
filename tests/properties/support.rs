//! What the properties share: the fixed time and claims, one signing key per key family generated
//! once, a fixture (key, one-key set, policy, validator) per algorithm, the proptest
//! configuration (which persists failure seeds to the committed regression file), token helpers
//! and the strategies more than one property draws from.

use authprobe::algorithm::{Algorithm, KeyFamily};
use authprobe::base64url;
use authprobe::jwk::{Key, KeySet};
use authprobe::sign::{sign_compact, SigningKey};
use authprobe::validate::{FixedClock, Policy, RejectionKind, Validator, Verdict};
use proptest::prelude::*;
use proptest::sample::{select, Index};
use proptest::test_runner::FileFailurePersistence;
use serde_json::{json, Map, Value};
use std::sync::LazyLock;

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

/// The fixed validation time (2025-06-15T15:06:40Z).
pub(crate) const NOW: i64 = 1_750_000_000;
pub(crate) const ISS: &str = "https://auth.example.com";
pub(crate) const AUD: &str = "https://api.example.com";
pub(crate) const REGRESSIONS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/proptest-regressions/properties.txt"
);

/// Largest NumericDate the contract accepts, 2^53 − 1.
pub(crate) const MAX_NUMERIC_DATE: f64 = 9_007_199_254_740_991.0;

pub(crate) fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(REGRESSIONS))),
        ..ProptestConfig::default()
    }
}

/// One signing key per key family, generated once.
pub(crate) struct Signers {
    ed25519: SigningKey,
    p256: SigningKey,
    p384: SigningKey,
    p521: SigningKey,
    rsa: SigningKey,
    hmac: SigningKey,
}

pub(crate) static SIGNERS: LazyLock<Signers> = LazyLock::new(|| {
    use authprobe::algorithm::Curve;
    let generate = |family| SigningKey::generate(family).expect("key generation");
    Signers {
        ed25519: generate(KeyFamily::Ed25519),
        p256: generate(KeyFamily::Ec(Curve::P256)),
        p384: generate(KeyFamily::Ec(Curve::P384)),
        p521: generate(KeyFamily::Ec(Curve::P521)),
        rsa: generate(KeyFamily::Rsa),
        hmac: generate(KeyFamily::Hmac),
    }
});

/// The signing key for an algorithm (RSA and HMAC keys are shared by their algorithms).
pub(crate) fn signer(alg: Algorithm) -> &'static SigningKey {
    use authprobe::algorithm::Curve;
    let s = &*SIGNERS;
    match alg.key_family() {
        KeyFamily::Ed25519 => &s.ed25519,
        KeyFamily::Ec(Curve::P256) => &s.p256,
        KeyFamily::Ec(Curve::P384) => &s.p384,
        KeyFamily::Ec(Curve::P521) => &s.p521,
        KeyFamily::Rsa => &s.rsa,
        KeyFamily::Hmac => &s.hmac,
    }
}

pub(crate) fn kid_for(alg: Algorithm) -> String {
    format!("kid-{}", alg.name())
}

/// The JWK of `alg`'s key, with `kid` and `alg` (for HMAC the `oct` JWK carrying the secret).
pub(crate) fn jwk_for(alg: Algorithm) -> Map<String, Value> {
    signer(alg).public_jwk(Some(&kid_for(alg)), Some(alg))
}

/// Imports a JWK the way a deployment would: `oct` as a configured secret, the rest as public.
pub(crate) fn import(jwk: &Map<String, Value>) -> Key {
    if jwk.get("kty").and_then(Value::as_str) == Some("oct") {
        Key::from_secret_jwk(jwk).expect("secret JWK imports")
    } else {
        Key::from_public_jwk(jwk).expect("public JWK imports")
    }
}

/// Everything needed to sign and validate tokens of one algorithm.
pub(crate) struct Fixture {
    pub(crate) alg: Algorithm,
    pub(crate) kid: String,
    pub(crate) jwk: Map<String, Value>,
    /// A one-key set: the key bound to `alg` by its JWK `alg` member.
    pub(crate) keys: KeySet,
    /// The Better Auth profile allowing exactly `alg`.
    pub(crate) policy: Policy,
    pub(crate) validator: Validator,
}

pub(crate) static FIXTURES: LazyLock<Vec<Fixture>> = LazyLock::new(|| {
    Algorithm::ALL
        .into_iter()
        .map(|alg| {
            let jwk = jwk_for(alg);
            let policy = Policy::better_auth(ISS, AUD).with_algorithms([alg]);
            Fixture {
                alg,
                kid: kid_for(alg),
                keys: KeySet::from_keys(vec![import(&jwk)]),
                jwk,
                validator: Validator::new(policy.clone()),
                policy,
            }
        })
        .collect()
});

pub(crate) fn fixture(alg: Algorithm) -> &'static Fixture {
    let f = &FIXTURES[Algorithm::ALL.iter().position(|a| *a == alg).unwrap()];
    assert_eq!(f.alg, alg);
    f
}

/// All 13 bound keys in one set (distinct kids), and validators allowing every algorithm.
pub(crate) static ALL_KEYS: LazyLock<KeySet> = LazyLock::new(|| {
    KeySet::from_keys(
        Algorithm::ALL
            .iter()
            .map(|a| import(&jwk_for(*a)))
            .collect(),
    )
});

pub(crate) static PERMISSIVE: LazyLock<[Validator; 2]> = LazyLock::new(|| {
    let strict = Policy::better_auth(ISS, AUD).with_algorithms(Algorithm::ALL);
    let mut lax = strict.clone();
    lax.require_kid = false;
    lax.require_iat = false;
    [Validator::new(strict), Validator::new(lax)]
});

pub(crate) fn clock() -> FixedClock {
    FixedClock(NOW)
}

// ---------------------------------------------------------------------------------------------
// Token helpers
// ---------------------------------------------------------------------------------------------

pub(crate) fn header(alg: &str, kid: Option<&str>, typ: bool) -> Map<String, Value> {
    let mut h = Map::new();
    h.insert("alg".into(), alg.into());
    if let Some(kid) = kid {
        h.insert("kid".into(), kid.into());
    }
    if typ {
        h.insert("typ".into(), "JWT".into());
    }
    h
}

pub(crate) fn json_bytes(map: &Map<String, Value>) -> Vec<u8> {
    serde_json::to_vec(map).unwrap()
}

/// Signs `claims` under `alg` with `alg`'s own key and the standard header.
pub(crate) fn sign_valid(alg: Algorithm, claims: &Map<String, Value>, typ: bool) -> String {
    let h = header(alg.name(), Some(&kid_for(alg)), typ);
    sign_compact(&json_bytes(&h), &json_bytes(claims), signer(alg), alg).unwrap()
}

/// The three raw segments of a compact token.
pub(crate) fn split(token: &str) -> [String; 3] {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "not a compact token: {token}");
    [parts[0].into(), parts[1].into(), parts[2].into()]
}

pub(crate) fn join(parts: &[String; 3]) -> String {
    parts.join(".")
}

pub(crate) fn validate(alg: Algorithm, token: impl AsRef<[u8]>) -> Verdict {
    let f = fixture(alg);
    f.validator.validate(token.as_ref(), &f.keys, &clock())
}

pub(crate) fn validate_with(policy: &Policy, keys: &KeySet, token: impl AsRef<[u8]>) -> Verdict {
    Validator::new(policy.clone()).validate(token.as_ref(), keys, &clock())
}

pub(crate) fn kind(verdict: &Verdict) -> Option<RejectionKind> {
    verdict.as_ref().err().map(|r| r.kind)
}

/// Verdicts compared field by field (`Verified` is not `PartialEq`).
pub(crate) fn same_verdict(a: &Verdict, b: &Verdict) -> bool {
    match (a, b) {
        (Ok(a), Ok(b)) => {
            a.alg == b.alg && a.kid == b.kid && a.header() == b.header() && a.claims() == b.claims()
        }
        (Err(a), Err(b)) => a == b,
        _ => false,
    }
}

pub(crate) fn describe(verdict: &Verdict) -> String {
    match verdict {
        Ok(v) => format!("accepted ({} claims)", v.claims().len()),
        Err(r) => r.to_string(),
    }
}

/// A whole-second NumericDate as a JSON integer, a fractional one as a JSON decimal.
pub(crate) fn date(seconds: f64) -> Value {
    if seconds.fract() == 0.0 {
        json!(seconds as i64)
    } else {
        json!(seconds)
    }
}

/// Valid claims at NOW with the given time claims replaced (`None` removes the claim).
pub(crate) fn timed_claims(iat: Option<f64>, nbf: Option<f64>, exp: f64) -> Map<String, Value> {
    let mut c = Map::new();
    c.insert("iss".into(), ISS.into());
    c.insert("aud".into(), AUD.into());
    c.insert("sub".into(), "user-1".into());
    c.insert("exp".into(), date(exp));
    if let Some(iat) = iat {
        c.insert("iat".into(), date(iat));
    }
    if let Some(nbf) = nbf {
        c.insert("nbf".into(), date(nbf));
    }
    c
}

pub(crate) const NOW_F: f64 = NOW as f64;

pub(crate) fn encoded_token(h: &Map<String, Value>, payload: &Value, sig: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        base64url::encode(json_bytes(h)),
        base64url::encode(serde_json::to_vec(payload).unwrap()),
        base64url::encode(sig)
    )
}

// ---------------------------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------------------------

pub(crate) fn any_alg() -> impl Strategy<Value = Algorithm> {
    select(Algorithm::ALL.to_vec())
}

/// Algorithms whose signing takes microseconds (everything but RSA).
pub(crate) fn cheap_alg() -> impl Strategy<Value = Algorithm> {
    select(
        Algorithm::ALL
            .into_iter()
            .filter(|a| a.key_family() != KeyFamily::Rsa)
            .collect::<Vec<_>>(),
    )
}

pub(crate) fn hmac_alg() -> impl Strategy<Value = Algorithm> {
    select(vec![Algorithm::HS256, Algorithm::HS384, Algorithm::HS512])
}

/// Numbers that survive a JSON round trip exactly: integers, and m / 2^k decimals.
pub(crate) fn exact_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (any::<i32>(), 1u32..8).prop_map(|(m, k)| json!(f64::from(m) / f64::from(1u32 << k))),
    ]
}

/// Extra, unregistered claims: arbitrary strings, numbers, booleans and null.
pub(crate) fn extra_claims() -> impl Strategy<Value = Map<String, Value>> {
    let value = prop_oneof![
        3 => any::<String>().prop_map(Value::from),
        3 => exact_number(),
        1 => any::<bool>().prop_map(Value::from),
        1 => Just(Value::Null),
    ];
    proptest::collection::btree_map("x_[a-z0-9_]{1,10}", value, 0..6)
        .prop_map(|m| m.into_iter().collect())
}

/// Claims that are valid at [`NOW`] under the default 30 s leeway: iat ≤ now < exp, an optional
/// nbf ≤ now, the right iss, aud as a string or an array containing it, a non-empty sub, plus
/// arbitrary extra claims.
pub(crate) fn valid_claims() -> impl Strategy<Value = Map<String, Value>> {
    (
        0i64..=86_400,
        1i64..=86_400,
        proptest::option::of(0i64..=86_400),
        "\\PC{1,24}",
        proptest::option::of(proptest::collection::vec("[a-z:/.]{1,20}", 0..3)),
        extra_claims(),
    )
        .prop_map(|(iat_age, exp_ahead, nbf_age, sub, other_auds, extra)| {
            let mut c = extra;
            c.insert("iss".into(), ISS.into());
            c.insert("sub".into(), sub.into());
            c.insert("iat".into(), json!(NOW - iat_age));
            c.insert("exp".into(), json!(NOW + exp_ahead));
            if let Some(age) = nbf_age {
                c.insert("nbf".into(), json!(NOW - age));
            }
            let aud = match other_auds {
                None => Value::from(AUD),
                Some(mut others) => {
                    let at = others.len() / 2;
                    others.insert(at, AUD.into());
                    Value::from(others)
                }
            };
            c.insert("aud".into(), aud);
            c
        })
}

/// An arbitrary JSON value of bounded size whose numbers round-trip exactly.
pub(crate) fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        exact_number(),
        "\\PC{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 24, 5, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::from),
            proptest::collection::btree_map("\\PC{0,8}", inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A protected header: arbitrary members plus, usually, a known `alg` and `kid` (most often a
/// matching pair, so that the token reaches signature verification).
pub(crate) fn json_header() -> impl Strategy<Value = Map<String, Value>> {
    let any_alg_value = prop_oneof![
        4 => any_alg().prop_map(|a| Some(Value::from(a.name()))),
        1 => "\\PC{0,8}".prop_map(|s| Some(Value::from(s))),
        1 => json_value().prop_map(Some),
        1 => Just(None),
    ];
    let any_kid_value = prop_oneof![
        4 => any_alg().prop_map(|a| Some(Value::from(kid_for(a)))),
        1 => json_value().prop_map(Some),
        1 => Just(None),
    ];
    let alg_and_kid = prop_oneof![
        3 => any_alg().prop_map(|a| (Some(Value::from(a.name())), Some(Value::from(kid_for(a))))),
        2 => (any_alg_value, any_kid_value),
    ];
    let extra = prop_oneof![
        2 => Just(Default::default()),
        1 => proptest::collection::btree_map("[a-z]{1,4}", json_value(), 1..3),
    ];
    (alg_and_kid, extra).prop_map(|((alg, kid), extra)| {
        let mut h: Map<String, Value> = extra.into_iter().collect();
        if let Some(alg) = alg {
            h.insert("alg".into(), alg);
        }
        if let Some(kid) = kid {
            h.insert("kid".into(), kid);
        }
        h
    })
}

/// A payload: usually valid claims (so that only the signature can be wrong), sometimes any JSON.
pub(crate) fn json_payload() -> impl Strategy<Value = Value> {
    prop_oneof![
        2 => valid_claims().prop_map(Value::Object),
        1 => json_value(),
    ]
}

/// Signature bytes: random, of the lengths the algorithms use and of other lengths.
pub(crate) fn signature_bytes() -> impl Strategy<Value = Vec<u8>> {
    let len = prop_oneof![
        Just(0usize),
        Just(32),
        Just(48),
        Just(64),
        Just(96),
        Just(132),
        Just(256),
        0usize..300,
    ];
    len.prop_flat_map(|n| proptest::collection::vec(any::<u8>(), n))
}

#[derive(Debug, Clone)]
pub(crate) enum Mutation {
    None,
    FlipBit(Index, u8),
    SetByte(Index, u8),
    Truncate(Index),
    Insert(Index, u8),
    SwapSegments(usize, usize),
}

pub(crate) fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        2 => Just(Mutation::None),
        2 => (any::<Index>(), 0u8..8).prop_map(|(i, b)| Mutation::FlipBit(i, b)),
        1 => (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::SetByte(i, b)),
        1 => any::<Index>().prop_map(Mutation::Truncate),
        1 => (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        1 => (0usize..3, 0usize..3).prop_map(|(a, b)| Mutation::SwapSegments(a, b)),
    ]
}

pub(crate) fn apply(token: &str, m: &Mutation) -> Vec<u8> {
    let mut bytes = token.as_bytes().to_vec();
    match m {
        Mutation::None => {}
        Mutation::FlipBit(i, bit) => {
            let i = i.index(bytes.len());
            bytes[i] ^= 1 << bit;
        }
        Mutation::SetByte(i, b) => {
            let i = i.index(bytes.len());
            bytes[i] = *b;
        }
        Mutation::Truncate(i) => bytes.truncate(i.index(bytes.len())),
        Mutation::Insert(i, b) => bytes.insert(i.index(bytes.len() + 1), *b),
        Mutation::SwapSegments(a, b) => {
            let mut parts = split(token);
            parts.swap(*a, *b);
            bytes = join(&parts).into_bytes();
        }
    }
    bytes
}
