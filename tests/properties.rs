//! Property tests of the reference validator (proptest).
//!
//! Every key is generated once per test binary (RSA 2048 generation is slow) and shared; `now` is
//! fixed at [`NOW`]. Each numbered property below is one or more `proptest!` tests, and each names
//! what it proves:
//!
//! 1. **Acceptance** (`p1_*`): a token signed with any of the 13 algorithms, under the one key the
//!    set binds to that algorithm, with valid claims plus arbitrary extra string/number claims, is
//!    accepted, and the verdict carries exactly the signed header, claims, `alg` and `kid`. So the
//!    other properties' rejections come from what they change, not from a broken baseline.
//! 2. **Tamper evidence** (`p2_*`, SEC-026): flipping any single bit of any byte of the compact
//!    token, or changing any single byte of the decoded header, payload or signature and
//!    re-encoding it, never yields acceptance.
//! 3. **One textual form** (`p3_*`, SEC-003): `=` padding on any segment, `+`/`/` in place of
//!    `-`/`_`, or whitespace inserted anywhere is MALFORMED_TOKEN, although each decodes to the
//!    same bytes under a lenient base64 decoder.
//! 4. **Time boundaries** (`p4_*`, SEC-035, SEC-036, SEC-037): for any leeway L in 0..=300 and
//!    any offset d (whole or fractional seconds), exp = now − L + d is TOKEN_EXPIRED exactly when
//!    d ≤ 0; nbf = now + L + d is TOKEN_NOT_YET_VALID exactly when d > 0; iat = now + L + d is
//!    TOKEN_ISSUED_IN_FUTURE exactly when d > 0; d ∈ {−1, 0, 1} is checked for every L. With
//!    arbitrary iat/nbf/exp/leeway/lifetime cap together, the verdict is the one an independent
//!    model of spec.md §4 steps 14–17 (in that order) predicts. Integer NumericDates are compared
//!    exactly inside 0 ..= 2^53 − 1 and are INVALID_CLAIM outside it. A NumericDate literal that
//!    is a finite binary64 value reaches step 13 (INVALID_CLAIM; with a bad signature,
//!    INVALID_SIGNATURE); one beyond binary64 range (`1e309`) is MALFORMED_TOKEN at step 4, bad
//!    signature or not (spec.md §4, NumericDate: the RFC 8259 §6 implementation limit).
//! 5. **Totality** (`p5_*`, SEC-001, SEC-002, SEC-004, SEC-044): arbitrary bytes, arbitrary
//!    strings, dotted base64url-alphabet strings, and well-encoded segments of arbitrary JSON with
//!    known `alg`/`kid` values and random signatures never panic and are always rejected.
//! 6. **Algorithm binding** (`p6_*`, SEC-015): a token with a cryptographically valid signature by
//!    key K but a header `alg` other than the one K's JWK declares (same family: RS256 key / PS256
//!    token, HS256 key / HS384 token; other family: EdDSA signature under `alg: ES256`) is
//!    ALGORITHM_NOT_ALLOWED even when the policy allows both; and HMAC tokens keyed with public
//!    key material (raw Ed25519/EC/RSA public bytes, their base64url text, the JWK or JWKS JSON)
//!    are never accepted against the public key set, bound or unbound (key confusion).
//! 7. **Determinism** (`p7_*`): validating the same, possibly mutated, input twice, and a third
//!    time against a freshly imported copy of the key set, gives identical verdicts (same claims,
//!    or the same kind and detail).
//! 8. **Signature before claims** (`p8_*`, SEC-032): a token with a claim defect (expired, not
//!    yet valid, issued in the future, wrong iss/aud, missing sub, ill-typed exp) and a corrupted
//!    signature (bit flip, truncation, empty, a valid signature of another payload) is always
//!    INVALID_SIGNATURE, while the same token correctly signed gets the defect's own code.
//! 9. **Byte-exact round trip** (`p9_*`): for every input that `Token::parse` accepts,
//!    `to_string()` gives back the input byte for byte, and the segment accessors agree with it.
//! 10. **Ed25519 is verify_strict** (`p10_*`, SEC-013): for any key and message, a valid
//!     signature, one with S + L (non-canonical S), with R replaced by any of the eight
//!     small-order points (canonically or not encoded, and the identity with S = k·a so that the
//!     cofactorless equation holds), with a random R, a flipped bit or random bytes gets the same
//!     answer from the validator's Ed25519 (aws-lc plus the small-order and canonical-encoding
//!     rules) as from ed25519-dalek's `verify_strict`; small-order and non-canonical public keys
//!     are refused when imported.
//! 11. **One claim check, two representations** (`p11_*`): the claim checks give the same verdict
//!     (kind and detail) on the owned map (what the differential oracle and `check_claims`
//!     callers hold) and on the borrowed members `validate` scans, for valid claims with any
//!     registered claim replaced by an arbitrary JSON value or removed, at any time around NOW.
//!
//! Failure seeds are persisted to `proptest-regressions/properties.txt` (committed).

use authprobe::algorithm::{Algorithm, KeyFamily, ED25519_GROUP_ORDER};
use authprobe::base64url;
use authprobe::jwk::{Key, KeySet};
use authprobe::sign::{sign_compact, SigningKey};
use authprobe::token::Token;
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
const NOW: i64 = 1_750_000_000;
const ISS: &str = "https://auth.example.com";
const AUD: &str = "https://api.example.com";
const REGRESSIONS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/proptest-regressions/properties.txt"
);

/// Largest NumericDate the contract accepts, 2^53 − 1.
const MAX_NUMERIC_DATE: f64 = 9_007_199_254_740_991.0;

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(REGRESSIONS))),
        ..ProptestConfig::default()
    }
}

/// One signing key per key family, generated once.
struct Signers {
    ed25519: SigningKey,
    p256: SigningKey,
    p384: SigningKey,
    p521: SigningKey,
    rsa: SigningKey,
    hmac: SigningKey,
}

static SIGNERS: LazyLock<Signers> = LazyLock::new(|| {
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
fn signer(alg: Algorithm) -> &'static SigningKey {
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

fn kid_for(alg: Algorithm) -> String {
    format!("kid-{}", alg.name())
}

/// The JWK of `alg`'s key, with `kid` and `alg` (for HMAC the `oct` JWK carrying the secret).
fn jwk_for(alg: Algorithm) -> Map<String, Value> {
    signer(alg).public_jwk(Some(&kid_for(alg)), Some(alg))
}

/// Imports a JWK the way a deployment would: `oct` as a configured secret, the rest as public.
fn import(jwk: &Map<String, Value>) -> Key {
    if jwk.get("kty").and_then(Value::as_str) == Some("oct") {
        Key::from_secret_jwk(jwk).expect("secret JWK imports")
    } else {
        Key::from_public_jwk(jwk).expect("public JWK imports")
    }
}

/// Everything needed to sign and validate tokens of one algorithm.
struct Fixture {
    alg: Algorithm,
    kid: String,
    jwk: Map<String, Value>,
    /// A one-key set: the key bound to `alg` by its JWK `alg` member.
    keys: KeySet,
    /// The Better Auth profile allowing exactly `alg`.
    policy: Policy,
    validator: Validator,
}

static FIXTURES: LazyLock<Vec<Fixture>> = LazyLock::new(|| {
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

fn fixture(alg: Algorithm) -> &'static Fixture {
    let f = &FIXTURES[Algorithm::ALL.iter().position(|a| *a == alg).unwrap()];
    assert_eq!(f.alg, alg);
    f
}

/// All 13 bound keys in one set (distinct kids), and validators allowing every algorithm.
static ALL_KEYS: LazyLock<KeySet> = LazyLock::new(|| {
    KeySet::from_keys(
        Algorithm::ALL
            .iter()
            .map(|a| import(&jwk_for(*a)))
            .collect(),
    )
});

static PERMISSIVE: LazyLock<[Validator; 2]> = LazyLock::new(|| {
    let strict = Policy::better_auth(ISS, AUD).with_algorithms(Algorithm::ALL);
    let mut lax = strict.clone();
    lax.require_kid = false;
    lax.require_iat = false;
    [Validator::new(strict), Validator::new(lax)]
});

fn clock() -> FixedClock {
    FixedClock(NOW)
}

// ---------------------------------------------------------------------------------------------
// Token helpers
// ---------------------------------------------------------------------------------------------

fn header(alg: &str, kid: Option<&str>, typ: bool) -> Map<String, Value> {
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

fn json_bytes(map: &Map<String, Value>) -> Vec<u8> {
    serde_json::to_vec(map).unwrap()
}

/// Signs `claims` under `alg` with `alg`'s own key and the standard header.
fn sign_valid(alg: Algorithm, claims: &Map<String, Value>, typ: bool) -> String {
    let h = header(alg.name(), Some(&kid_for(alg)), typ);
    sign_compact(&json_bytes(&h), &json_bytes(claims), signer(alg), alg).unwrap()
}

/// The three raw segments of a compact token.
fn split(token: &str) -> [String; 3] {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "not a compact token: {token}");
    [parts[0].into(), parts[1].into(), parts[2].into()]
}

fn join(parts: &[String; 3]) -> String {
    parts.join(".")
}

fn validate(alg: Algorithm, token: impl AsRef<[u8]>) -> Verdict {
    let f = fixture(alg);
    f.validator.validate(token.as_ref(), &f.keys, &clock())
}

fn validate_with(policy: &Policy, keys: &KeySet, token: impl AsRef<[u8]>) -> Verdict {
    Validator::new(policy.clone()).validate(token.as_ref(), keys, &clock())
}

fn kind(verdict: &Verdict) -> Option<RejectionKind> {
    verdict.as_ref().err().map(|r| r.kind)
}

/// Verdicts compared field by field (`Verified` is not `PartialEq`).
fn same_verdict(a: &Verdict, b: &Verdict) -> bool {
    match (a, b) {
        (Ok(a), Ok(b)) => {
            a.alg == b.alg && a.kid == b.kid && a.header() == b.header() && a.claims() == b.claims()
        }
        (Err(a), Err(b)) => a == b,
        _ => false,
    }
}

fn describe(verdict: &Verdict) -> String {
    match verdict {
        Ok(v) => format!("accepted ({} claims)", v.claims().len()),
        Err(r) => r.to_string(),
    }
}

/// A whole-second NumericDate as a JSON integer, a fractional one as a JSON decimal.
fn date(seconds: f64) -> Value {
    if seconds.fract() == 0.0 {
        json!(seconds as i64)
    } else {
        json!(seconds)
    }
}

// ---------------------------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------------------------

fn any_alg() -> impl Strategy<Value = Algorithm> {
    select(Algorithm::ALL.to_vec())
}

/// Algorithms whose signing takes microseconds (everything but RSA).
fn cheap_alg() -> impl Strategy<Value = Algorithm> {
    select(
        Algorithm::ALL
            .into_iter()
            .filter(|a| a.key_family() != KeyFamily::Rsa)
            .collect::<Vec<_>>(),
    )
}

fn hmac_alg() -> impl Strategy<Value = Algorithm> {
    select(vec![Algorithm::HS256, Algorithm::HS384, Algorithm::HS512])
}

/// Numbers that survive a JSON round trip exactly: integers, and m / 2^k decimals.
fn exact_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (any::<i32>(), 1u32..8).prop_map(|(m, k)| json!(f64::from(m) / f64::from(1u32 << k))),
    ]
}

/// Extra, unregistered claims: arbitrary strings, numbers, booleans and null.
fn extra_claims() -> impl Strategy<Value = Map<String, Value>> {
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
fn valid_claims() -> impl Strategy<Value = Map<String, Value>> {
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
fn json_value() -> impl Strategy<Value = Value> {
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
fn json_header() -> impl Strategy<Value = Map<String, Value>> {
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
fn json_payload() -> impl Strategy<Value = Value> {
    prop_oneof![
        2 => valid_claims().prop_map(Value::Object),
        1 => json_value(),
    ]
}

/// Signature bytes: random, of the lengths the algorithms use and of other lengths.
fn signature_bytes() -> impl Strategy<Value = Vec<u8>> {
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

// ---------------------------------------------------------------------------------------------
// 1. Acceptance
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(512))]

    /// Property 1: sign → validate accepts under every algorithm, and returns what was signed.
    #[test]
    fn p1_signed_tokens_are_accepted_with_their_claims(
        alg in any_alg(),
        claims in valid_claims(),
        typ in any::<bool>(),
    ) {
        let token = sign_valid(alg, &claims, typ);
        let verified = match validate(alg, &token) {
            Ok(v) => v,
            Err(r) => return Err(TestCaseError::fail(format!("{alg} token rejected: {r}"))),
        };
        prop_assert_eq!(verified.alg, alg);
        prop_assert_eq!(verified.kid.as_deref(), Some(fixture(alg).kid.as_str()));
        prop_assert_eq!(verified.header(), &header(alg.name(), Some(&kid_for(alg)), typ));
        prop_assert_eq!(verified.claims(), &claims);
    }
}

// ---------------------------------------------------------------------------------------------
// 2. Tamper evidence
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(1024))]

    /// Property 2a: no single-bit flip anywhere in the compact token is accepted.
    #[test]
    fn p2_single_bit_flip_is_never_accepted(
        alg in any_alg(),
        claims in valid_claims(),
        at in any::<Index>(),
        bit in 0u8..8,
    ) {
        let token = sign_valid(alg, &claims, false);
        let mut bytes = token.into_bytes();
        let i = at.index(bytes.len());
        bytes[i] ^= 1 << bit;
        let verdict = validate(alg, &bytes);
        prop_assert!(verdict.is_err(), "bit {} of byte {} flipped: {}", bit, i, describe(&verdict));
    }

    /// Property 2b: changing one byte of a decoded segment and re-encoding it is never accepted.
    #[test]
    fn p2_single_decoded_byte_change_is_never_accepted(
        alg in any_alg(),
        claims in valid_claims(),
        segment in 0usize..3,
        at in any::<Index>(),
        mask in 1u8..=255,
    ) {
        let mut parts = split(&sign_valid(alg, &claims, false));
        let mut decoded = base64url::decode(parts[segment].as_bytes()).unwrap();
        let i = at.index(decoded.len());
        decoded[i] ^= mask;
        parts[segment] = base64url::encode(&decoded);
        let verdict = validate(alg, join(&parts));
        prop_assert!(
            verdict.is_err(),
            "segment {} byte {} ^= {:#04x}: {}", segment, i, mask, describe(&verdict)
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 3. One textual form
// ---------------------------------------------------------------------------------------------

fn assert_malformed(alg: Algorithm, token: &str, what: &str) -> Result<(), TestCaseError> {
    let verdict = validate(alg, token);
    prop_assert_eq!(
        kind(&verdict),
        Some(RejectionKind::MalformedToken),
        "{}: {}",
        what,
        describe(&verdict)
    );
    Ok(())
}

proptest! {
    #![proptest_config(config(512))]

    /// Property 3a: `=` padding appended to any segment is MALFORMED_TOKEN.
    #[test]
    fn p3_padding_is_malformed(
        alg in any_alg(),
        claims in valid_claims(),
        segment in 0usize..3,
        pads in 1usize..=3,
    ) {
        let token = sign_valid(alg, &claims, false);
        let mut parts = split(&token);
        parts[segment].push_str(&"=".repeat(pads));
        assert_malformed(alg, &join(&parts), "padded")?;
        // Padding to the standard length, as a lenient encoder would, is just as malformed.
        let mut parts = split(&token);
        let len = parts[segment].len();
        if !len.is_multiple_of(4) {
            parts[segment].push_str(&"=".repeat(4 - len % 4));
            assert_malformed(alg, &join(&parts), "canonically padded")?;
        }
    }

    /// Property 3b: the standard alphabet's `+`/`/` in place of `-`/`_` is MALFORMED_TOKEN.
    #[test]
    fn p3_standard_alphabet_is_malformed(
        alg in any_alg(),
        claims in valid_claims(),
        which in any::<Index>(),
        only_one in any::<bool>(),
        at in any::<Index>(),
    ) {
        let mut parts = split(&sign_valid(alg, &claims, false));
        let candidates: Vec<usize> =
            (0..3).filter(|s| parts[*s].contains(['-', '_'])).collect();
        prop_assume!(!candidates.is_empty());
        let segment = candidates[which.index(candidates.len())];
        let swap = |c: char| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        };
        parts[segment] = if only_one {
            let positions: Vec<usize> = parts[segment]
                .char_indices()
                .filter(|(_, c)| *c == '-' || *c == '_')
                .map(|(i, _)| i)
                .collect();
            let p = positions[at.index(positions.len())];
            parts[segment]
                .char_indices()
                .map(|(i, c)| if i == p { swap(c) } else { c })
                .collect()
        } else {
            parts[segment].chars().map(swap).collect()
        };
        assert_malformed(alg, &join(&parts), "standard alphabet")?;
    }

    /// Property 3c: whitespace inserted anywhere (ASCII or Unicode) is MALFORMED_TOKEN.
    #[test]
    fn p3_whitespace_is_malformed(
        alg in any_alg(),
        claims in valid_claims(),
        at in any::<Index>(),
        ws in select(vec![" ", "\t", "\n", "\r", "\r\n", "\u{0b}", "\u{0c}", "\u{a0}", "\u{2028}", "\u{feff}", "  "]),
    ) {
        let mut token = sign_valid(alg, &claims, false);
        let i = at.index(token.len() + 1);
        token.insert_str(i, ws);
        assert_malformed(alg, &token, &format!("{ws:?} at {i}"))?;
    }
}

// ---------------------------------------------------------------------------------------------
// 4. Time boundaries
// ---------------------------------------------------------------------------------------------

/// Valid claims at NOW with the given time claims replaced (`None` removes the claim).
fn timed_claims(iat: Option<f64>, nbf: Option<f64>, exp: f64) -> Map<String, Value> {
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

fn validate_timed(alg: Algorithm, leeway: u64, claims: &Map<String, Value>) -> Verdict {
    let f = fixture(alg);
    validate_with(
        &f.policy.clone().with_leeway(leeway),
        &f.keys,
        sign_valid(alg, claims, false),
    )
}

/// Offsets in quarter seconds, with the boundary and its neighbours drawn often.
fn offset() -> impl Strategy<Value = f64> {
    prop_oneof![
        1 => select(vec![-1.0, -0.25, 0.0, 0.25, 1.0]),
        3 => (-4000i32..4000).prop_map(|q| f64::from(q) / 4.0),
    ]
}

const NOW_F: f64 = NOW as f64;

/// The three boundary checks for one (alg, leeway, offset).
fn check_time_boundaries(alg: Algorithm, l: u64, d: f64) -> Result<(), TestCaseError> {
    let lf = l as f64;
    // exp = now − L + d: expired exactly when now ≥ exp + L, i.e. d ≤ 0.
    let exp = NOW_F - lf + d;
    let verdict = validate_timed(alg, l, &timed_claims(Some(NOW_F - 10.0), None, exp));
    let expected = (d <= 0.0).then_some(RejectionKind::TokenExpired);
    prop_assert_eq!(
        kind(&verdict),
        expected,
        "exp = now - {} + {}: {}",
        l,
        d,
        describe(&verdict)
    );

    // nbf = now + L + d: not yet valid exactly when now + L < nbf, i.e. d > 0.
    let nbf = NOW_F + lf + d;
    let far = NOW_F + 100_000.0;
    let verdict = validate_timed(alg, l, &timed_claims(Some(NOW_F - 10.0), Some(nbf), far));
    let expected = (d > 0.0).then_some(RejectionKind::TokenNotYetValid);
    prop_assert_eq!(
        kind(&verdict),
        expected,
        "nbf = now + {} + {}: {}",
        l,
        d,
        describe(&verdict)
    );

    // iat = now + L + d: issued in the future exactly when now + L < iat, i.e. d > 0.
    let iat = NOW_F + lf + d;
    let verdict = validate_timed(alg, l, &timed_claims(Some(iat), None, far));
    let expected = (d > 0.0).then_some(RejectionKind::TokenIssuedInFuture);
    prop_assert_eq!(
        kind(&verdict),
        expected,
        "iat = now + {} + {}: {}",
        l,
        d,
        describe(&verdict)
    );
    Ok(())
}

/// Property 4 at the exact boundary: d ∈ {−1, 0, +1} for every leeway 0..=300.
#[test]
fn p4_exact_boundaries_for_every_leeway() {
    for l in 0..=300u64 {
        for d in [-1.0, 0.0, 1.0] {
            check_time_boundaries(Algorithm::HS256, l, d).unwrap_or_else(|e| panic!("{e}"));
        }
    }
}

/// An independent model of spec.md §4 steps 14–17 for claims that pass step 13.
fn expected_time_verdict(
    iat: f64,
    nbf: Option<f64>,
    exp: f64,
    leeway: f64,
    max_lifetime: Option<u64>,
) -> Option<RejectionKind> {
    if NOW_F + leeway < iat {
        Some(RejectionKind::TokenIssuedInFuture)
    } else if nbf.is_some_and(|nbf| NOW_F + leeway < nbf) {
        Some(RejectionKind::TokenNotYetValid)
    } else if NOW_F >= exp + leeway {
        Some(RejectionKind::TokenExpired)
    } else if max_lifetime.is_some_and(|max| exp - iat > max as f64) {
        Some(RejectionKind::TokenLifetimeExceeded)
    } else {
        None
    }
}

/// Literal JSON numbers of magnitude far beyond 2^53 − 1 (≥ 1e17), in integer, fraction and
/// exponent forms, including magnitudes a binary64 cannot hold (≥ 1e309).
fn huge_number_literal() -> impl Strategy<Value = String> {
    prop_oneof![
        (1u32..10, 17u32..=400, any::<bool>())
            .prop_map(|(m, e, neg)| format!("{}{m}e{e}", if neg { "-" } else { "" })),
        (1u32..10, 17u32..=400).prop_map(|(m, e)| format!("{m}.5E+{e}")),
        (17usize..=400).prop_map(|n| format!("9{}", "0".repeat(n))),
    ]
}

/// Integers around `now`, around 2^53, around 0 and across the i64/u64 ranges and beyond.
fn numeric_date_candidate() -> impl Strategy<Value = i128> {
    let max = MAX_NUMERIC_DATE as i128;
    let now = i128::from(NOW);
    prop_oneof![
        (now - 2000..now + 2000),
        (max - 8..=max + 8),
        (-8i128..=8),
        any::<i64>().prop_map(i128::from),
        any::<u64>().prop_map(i128::from),
        (i128::from(u64::MAX)..i128::from(u64::MAX) * 1000),
    ]
}

proptest! {
    #![proptest_config(config(512))]

    /// Property 4a–c: the exp / nbf / iat boundaries for arbitrary leeway and offset.
    #[test]
    fn p4_time_boundaries(alg in cheap_alg(), l in 0u64..=300, d in offset()) {
        check_time_boundaries(alg, l, d)?;
    }

    /// Property 4d: arbitrary iat/nbf/exp/leeway/lifetime cap give the verdict of a model of
    /// steps 14–17, which also fixes their order.
    #[test]
    fn p4_time_checks_follow_the_spec_order(
        alg in cheap_alg(),
        l in 0u64..=300,
        iat in -1200i64..1200,
        nbf in proptest::option::of(-1200i64..1200),
        exp in -1200i64..3600,
        max_lifetime in proptest::option::of(0u64..4000),
    ) {
        let (iat, nbf, exp) = (
            NOW_F + iat as f64,
            nbf.map(|n| NOW_F + n as f64),
            NOW_F + exp as f64,
        );
        let f = fixture(alg);
        let mut policy = f.policy.clone().with_leeway(l);
        policy.max_lifetime_secs = max_lifetime;
        let token = sign_valid(alg, &timed_claims(Some(iat), nbf, exp), false);
        let verdict = validate_with(&policy, &f.keys, token);
        prop_assert_eq!(
            kind(&verdict),
            expected_time_verdict(iat, nbf, exp, l as f64, max_lifetime),
            "{}", describe(&verdict)
        );
    }

    /// Property 4e: integer NumericDates are compared exactly inside 0 ..= 2^53 − 1 and are
    /// INVALID_CLAIM outside it.
    #[test]
    fn p4_numeric_date_range(
        alg in cheap_alg(),
        claim in select(vec!["exp", "iat", "nbf"]),
        value in numeric_date_candidate(),
    ) {
        let mut claims = timed_claims(Some(NOW_F - 10.0), None, NOW_F + 600.0);
        claims.insert(claim.into(), Value::from("PLACEHOLDER"));
        let text = String::from_utf8(json_bytes(&claims))
            .unwrap()
            .replace("\"PLACEHOLDER\"", &value.to_string());
        let h = header(alg.name(), Some(&kid_for(alg)), false);
        let token = sign_compact(&json_bytes(&h), text.as_bytes(), signer(alg), alg).unwrap();
        let verdict = validate(alg, &token);
        let leeway = 30;
        let expected = if !(0..=MAX_NUMERIC_DATE as i128).contains(&value) {
            Some(RejectionKind::InvalidClaim)
        } else {
            match claim {
                "exp" => (i128::from(NOW) >= value + leeway).then_some(RejectionKind::TokenExpired),
                "iat" => (i128::from(NOW) + leeway < value)
                    .then_some(RejectionKind::TokenIssuedInFuture),
                _ => (i128::from(NOW) + leeway < value).then_some(RejectionKind::TokenNotYetValid),
            }
        };
        prop_assert_eq!(kind(&verdict), expected, "{} = {}: {}", claim, value, describe(&verdict));
    }

    /// Property 4f: a NumericDate outside 0 ..= 2^53 − 1 is INVALID_CLAIM at step 13 when the
    /// literal is a finite binary64 value; a literal beyond binary64 range (`1e309`) is outside
    /// the JSON numbers the spec accepts (RFC 8259 §6 implementation limit), so the claims are
    /// MALFORMED_TOKEN at step 4 — before the signature, like any other structural defect, and
    /// so also when the signature is bad. Found by this property: the spec first said "any
    /// magnitude is well-formed"; the spec now states the limit (spec.md §4, NumericDate).
    #[test]
    fn p4_out_of_range_numeric_dates(
        alg in cheap_alg(),
        claim in select(vec!["exp", "iat", "nbf"]),
        literal in huge_number_literal(),
    ) {
        let mut claims = timed_claims(Some(NOW_F - 10.0), None, NOW_F + 600.0);
        claims.insert(claim.into(), Value::from("PLACEHOLDER"));
        let text = String::from_utf8(json_bytes(&claims))
            .unwrap()
            .replace("\"PLACEHOLDER\"", &literal);
        let h = header(alg.name(), Some(&kid_for(alg)), false);
        let token = sign_compact(&json_bytes(&h), text.as_bytes(), signer(alg), alg).unwrap();
        let representable = literal.parse::<f64>().is_ok_and(f64::is_finite);
        let expected = if representable {
            RejectionKind::InvalidClaim
        } else {
            RejectionKind::MalformedToken
        };
        let verdict = validate(alg, &token);
        prop_assert_eq!(kind(&verdict), Some(expected), "{} = {}: {}", claim, literal, describe(&verdict));
        let mut parts = split(&token);
        parts[2] = base64url::encode([0u8; 64]);
        let verdict = validate(alg, join(&parts));
        let expected_bad_sig = if representable {
            RejectionKind::InvalidSignature
        } else {
            RejectionKind::MalformedToken
        };
        prop_assert_eq!(
            kind(&verdict),
            Some(expected_bad_sig),
            "{} = {} with a bad signature: {}", claim, literal, describe(&verdict)
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 5. Totality
// ---------------------------------------------------------------------------------------------

/// Validates against the all-algorithm set with both permissive validators; both must reject.
fn assert_rejected_everywhere(input: &[u8]) -> Result<(), TestCaseError> {
    for validator in PERMISSIVE.iter() {
        let verdict = validator.validate(input, &ALL_KEYS, &clock());
        prop_assert!(
            verdict.is_err(),
            "accepted: {:?}",
            String::from_utf8_lossy(input)
        );
    }
    for alg in [Algorithm::EdDSA, Algorithm::HS256] {
        prop_assert!(validate(alg, input).is_err());
    }
    Ok(())
}

fn encoded_token(h: &Map<String, Value>, payload: &Value, sig: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        base64url::encode(json_bytes(h)),
        base64url::encode(serde_json::to_vec(payload).unwrap()),
        base64url::encode(sig)
    )
}

proptest! {
    #![proptest_config(config(1024))]

    /// Property 5a: arbitrary bytes are rejected without panicking.
    #[test]
    fn p5_arbitrary_bytes_are_rejected(input in proptest::collection::vec(any::<u8>(), 0..600)) {
        assert_rejected_everywhere(&input)?;
    }

    /// Property 5b: arbitrary strings are rejected without panicking.
    #[test]
    fn p5_arbitrary_strings_are_rejected(input in "\\PC{0,300}|[.A-Za-z0-9_=+/ -]{0,300}") {
        assert_rejected_everywhere(input.as_bytes())?;
    }

    /// Property 5c: dotted strings over the base64url alphabet are rejected without panicking.
    #[test]
    fn p5_dotted_base64url_strings_are_rejected(
        input in "[A-Za-z0-9_-]{0,120}(\\.[A-Za-z0-9_-]{0,120}){0,4}",
    ) {
        assert_rejected_everywhere(input.as_bytes())?;
    }

    /// Property 5d: well-encoded segments of arbitrary JSON with known alg/kid values and random
    /// signatures are rejected without panicking.
    #[test]
    fn p5_encoded_arbitrary_json_is_rejected(
        h in json_header(),
        payload in json_payload(),
        sig in signature_bytes(),
    ) {
        assert_rejected_everywhere(encoded_token(&h, &payload, &sig).as_bytes())?;
    }
}

// ---------------------------------------------------------------------------------------------
// 6. Algorithm binding and key confusion
// ---------------------------------------------------------------------------------------------

/// A token whose header says `alg` and names `bound`'s key, carrying a valid signature by that
/// key: under `alg` when the key can make one, else under the key's own algorithm.
fn cross_signed(bound: Algorithm, alg: Algorithm, claims: &Map<String, Value>) -> String {
    let h = header(alg.name(), Some(&kid_for(bound)), false);
    let sign_as = if alg.key_family() == bound.key_family() {
        alg
    } else {
        bound
    };
    sign_compact(&json_bytes(&h), &json_bytes(claims), signer(bound), sign_as).unwrap()
}

fn check_binding(
    bound: Algorithm,
    alg: Algorithm,
    claims: &Map<String, Value>,
) -> Result<(), TestCaseError> {
    let policy = Policy::better_auth(ISS, AUD).with_algorithms([bound, alg]);
    let verdict = validate_with(
        &policy,
        &fixture(bound).keys,
        cross_signed(bound, alg, claims),
    );
    prop_assert_eq!(
        kind(&verdict),
        Some(RejectionKind::AlgorithmNotAllowed),
        "key bound to {}, token alg {}: {}",
        bound,
        alg,
        describe(&verdict)
    );
    Ok(())
}

/// Property 6, exhaustively: every (key alg, token alg) pair that differs, policy allowing both.
#[test]
fn p6_every_unbound_algorithm_pair_is_refused() {
    let claims = timed_claims(Some(NOW_F - 10.0), None, NOW_F + 600.0);
    for bound in Algorithm::ALL {
        for alg in Algorithm::ALL.into_iter().filter(|a| *a != bound) {
            check_binding(bound, alg, &claims).unwrap_or_else(|e| panic!("{e}"));
        }
    }
}

/// Property 6, the named cases: RS256 key / PS256 token, HS256 key / HS384 token, EdDSA
/// signature under `alg: ES256`; the unforged token is accepted in each.
#[test]
fn p6_named_binding_cases() {
    let claims = timed_claims(Some(NOW_F - 10.0), None, NOW_F + 600.0);
    for (bound, alg) in [
        (Algorithm::RS256, Algorithm::PS256),
        (Algorithm::HS256, Algorithm::HS384),
        (Algorithm::EdDSA, Algorithm::ES256),
    ] {
        check_binding(bound, alg, &claims).unwrap_or_else(|e| panic!("{e}"));
        let policy = Policy::better_auth(ISS, AUD).with_algorithms([bound, alg]);
        let verdict = validate_with(
            &policy,
            &fixture(bound).keys,
            cross_signed(bound, bound, &claims),
        );
        assert!(verdict.is_ok(), "{bound}: {}", describe(&verdict));
    }
}

/// Public key material an attacker might use as an HMAC secret (label, bytes).
static CONFUSION_SECRETS: LazyLock<Vec<(String, Vec<u8>)>> = LazyLock::new(|| {
    let mut out = Vec::new();
    let public_algs = [
        Algorithm::EdDSA,
        Algorithm::ES256,
        Algorithm::ES384,
        Algorithm::ES512,
        Algorithm::RS256,
    ];
    let mut jwks = Vec::new();
    for alg in public_algs {
        let jwk = jwk_for(alg);
        for member in ["x", "y", "n", "e"] {
            if let Some(text) = jwk.get(member).and_then(Value::as_str) {
                out.push((format!("{alg} {member} text"), text.as_bytes().to_vec()));
                let raw = base64url::decode(text.as_bytes()).unwrap();
                out.push((format!("{alg} {member} bytes"), raw));
            }
        }
        if let (Some(x), Some(y)) = (jwk.get("x"), jwk.get("y")) {
            let mut point = vec![0x04];
            point.extend(base64url::decode(x.as_str().unwrap().as_bytes()).unwrap());
            point.extend(base64url::decode(y.as_str().unwrap().as_bytes()).unwrap());
            out.push((format!("{alg} uncompressed point"), point));
        }
        out.push((format!("{alg} JWK JSON"), json_bytes(&jwk)));
        let unbound = signer(alg).public_jwk(None, None);
        out.push((format!("{alg} bare JWK JSON"), json_bytes(&unbound)));
        jwks.push(Value::Object(jwk));
    }
    out.push((
        "JWKS JSON".into(),
        serde_json::to_vec(&json!({ "keys": jwks })).unwrap(),
    ));
    out
});

/// The public keys (Ed25519, P-256/384/521, RSA), with or without their JWK `alg`.
static PUBLIC_KEYS: LazyLock<[KeySet; 2]> = LazyLock::new(|| {
    let algs = [
        Algorithm::EdDSA,
        Algorithm::ES256,
        Algorithm::ES384,
        Algorithm::ES512,
        Algorithm::RS256,
    ];
    let set = |bound: bool| {
        KeySet::from_keys(
            algs.iter()
                .map(|a| {
                    let jwk = signer(*a).public_jwk(Some(&kid_for(*a)), bound.then_some(*a));
                    Key::from_public_jwk(&jwk).unwrap()
                })
                .collect(),
        )
    };
    [set(true), set(false)]
});

proptest! {
    #![proptest_config(config(256))]

    /// Property 6a–c: a validly signed token whose alg is not the one bound to its key is
    /// ALGORITHM_NOT_ALLOWED, whatever the pair and the claims.
    #[test]
    fn p6_alg_not_bound_to_key_is_refused(
        (bound, alg) in (any_alg(), any_alg()).prop_filter("distinct", |(b, a)| b != a),
        claims in valid_claims(),
    ) {
        check_binding(bound, alg, &claims)?;
    }
}

proptest! {
    #![proptest_config(config(512))]

    /// Property 6d: HMAC tokens keyed with public key material are never accepted against the
    /// public key set (kid named: ALGORITHM_NOT_ALLOWED; no kid: UNKNOWN_KEY_ID).
    #[test]
    fn p6_hmac_keyed_with_public_material_is_refused(
        alg in hmac_alg(),
        secret in any::<Index>(),
        kid in proptest::option::of(select(vec![
            Algorithm::EdDSA, Algorithm::ES256, Algorithm::ES384, Algorithm::ES512, Algorithm::RS256,
        ])),
        require_kid in any::<bool>(),
        bound in any::<bool>(),
        claims in valid_claims(),
    ) {
        let (label, secret) = &CONFUSION_SECRETS[secret.index(CONFUSION_SECRETS.len())];
        let h = header(alg.name(), kid.map(kid_for).as_deref(), false);
        let token =
            sign_compact(&json_bytes(&h), &json_bytes(&claims), &SigningKey::hmac(secret), alg)
                .unwrap();
        let mut policy = Policy::better_auth(ISS, AUD).with_algorithms(Algorithm::ALL);
        policy.require_kid = require_kid;
        let keys = &PUBLIC_KEYS[usize::from(!bound)];
        let verdict = validate_with(&policy, keys, &token);
        let expected = if kid.is_some() {
            RejectionKind::AlgorithmNotAllowed
        } else {
            RejectionKind::UnknownKeyId
        };
        prop_assert_eq!(kind(&verdict), Some(expected), "{} keyed with {}: {}", alg, label, describe(&verdict));
    }
}

// ---------------------------------------------------------------------------------------------
// 7. Determinism
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Mutation {
    None,
    FlipBit(Index, u8),
    SetByte(Index, u8),
    Truncate(Index),
    Insert(Index, u8),
    SwapSegments(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        2 => Just(Mutation::None),
        2 => (any::<Index>(), 0u8..8).prop_map(|(i, b)| Mutation::FlipBit(i, b)),
        1 => (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::SetByte(i, b)),
        1 => any::<Index>().prop_map(Mutation::Truncate),
        1 => (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        1 => (0usize..3, 0usize..3).prop_map(|(a, b)| Mutation::SwapSegments(a, b)),
    ]
}

fn apply(token: &str, m: &Mutation) -> Vec<u8> {
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

/// Claims around NOW that may fail any claim step.
fn claims_near_now() -> impl Strategy<Value = Map<String, Value>> {
    (
        -200i64..60,
        proptest::option::of(-60i64..80),
        -100i64..200,
        select(vec![
            ISS,
            "https://auth.example.com/",
            "https://evil.example",
        ]),
        select(vec![AUD, "other"]),
        select(vec!["user-1", ""]),
    )
        .prop_map(|(iat, nbf, exp, iss, aud, sub)| {
            let mut c = timed_claims(
                Some(NOW_F + iat as f64),
                nbf.map(|n| NOW_F + n as f64),
                NOW_F + exp as f64,
            );
            c.insert("iss".into(), iss.into());
            c.insert("aud".into(), aud.into());
            c.insert("sub".into(), sub.into());
            c
        })
}

proptest! {
    #![proptest_config(config(512))]

    /// Property 7: the verdict is a function of its inputs.
    #[test]
    fn p7_verdicts_are_deterministic(
        alg in any_alg(),
        claims in prop_oneof![valid_claims(), claims_near_now()],
        m in mutation(),
    ) {
        let input = apply(&sign_valid(alg, &claims, false), &m);
        let f = fixture(alg);
        let first = validate(alg, &input);
        let second = validate(alg, &input);
        prop_assert!(
            same_verdict(&first, &second),
            "{} then {}", describe(&first), describe(&second)
        );
        let fresh_keys = KeySet::from_keys(vec![import(&f.jwk)]);
        let third = Validator::new(f.policy.clone()).validate(&input, &fresh_keys, &clock());
        prop_assert!(
            same_verdict(&first, &third),
            "{} then, with a fresh key set, {}", describe(&first), describe(&third)
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 8. Signature before claims
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
enum Defect {
    Expired(u16),
    NotYetValid(u16),
    IssuedInFuture(u16),
    WrongIssuer,
    WrongAudience,
    MissingSub,
    ExpAsString,
}

impl Defect {
    fn apply(self, claims: &mut Map<String, Value>) -> RejectionKind {
        let leeway = 30.0;
        match self {
            Defect::Expired(k) => {
                claims.insert("exp".into(), date(NOW_F - leeway - f64::from(k)));
                claims.insert("iat".into(), date(NOW_F - leeway - f64::from(k) - 900.0));
                claims.remove("nbf");
                RejectionKind::TokenExpired
            }
            Defect::NotYetValid(k) => {
                claims.insert("nbf".into(), date(NOW_F + leeway + 1.0 + f64::from(k)));
                RejectionKind::TokenNotYetValid
            }
            Defect::IssuedInFuture(k) => {
                claims.insert("iat".into(), date(NOW_F + leeway + 1.0 + f64::from(k)));
                claims.insert("exp".into(), date(NOW_F + 100_000.0));
                RejectionKind::TokenIssuedInFuture
            }
            Defect::WrongIssuer => {
                claims.insert("iss".into(), format!("{ISS}/api/auth").into());
                RejectionKind::InvalidIssuer
            }
            Defect::WrongAudience => {
                claims.insert("aud".into(), "https://other.example.com".into());
                RejectionKind::InvalidAudience
            }
            Defect::MissingSub => {
                claims.remove("sub");
                RejectionKind::InvalidClaim
            }
            Defect::ExpAsString => {
                claims.insert("exp".into(), (NOW + 600).to_string().into());
                RejectionKind::InvalidClaim
            }
        }
    }
}

fn defect() -> impl Strategy<Value = Defect> {
    prop_oneof![
        4 => any::<u16>().prop_map(Defect::Expired),
        1 => any::<u16>().prop_map(Defect::NotYetValid),
        1 => any::<u16>().prop_map(Defect::IssuedInFuture),
        1 => Just(Defect::WrongIssuer),
        1 => Just(Defect::WrongAudience),
        1 => Just(Defect::MissingSub),
        1 => Just(Defect::ExpAsString),
    ]
}

#[derive(Debug, Clone)]
enum Corruption {
    XorByte(Index, u8),
    DropLastByte,
    Empty,
    /// The key's valid signature over the same header and the *undamaged* claims.
    Foreign,
}

fn corruption() -> impl Strategy<Value = Corruption> {
    prop_oneof![
        4 => (any::<Index>(), 1u8..=255).prop_map(|(i, m)| Corruption::XorByte(i, m)),
        1 => Just(Corruption::DropLastByte),
        1 => Just(Corruption::Empty),
        2 => Just(Corruption::Foreign),
    ]
}

proptest! {
    #![proptest_config(config(512))]

    /// Property 8: a claim defect never masks a bad signature.
    #[test]
    fn p8_bad_signature_wins_over_claim_defects(
        alg in any_alg(),
        claims in valid_claims(),
        defect in defect(),
        corruption in corruption(),
    ) {
        let mut damaged = claims.clone();
        let defect_kind = defect.apply(&mut damaged);
        let token = sign_valid(alg, &damaged, false);
        let verdict = validate(alg, &token);
        prop_assert_eq!(kind(&verdict), Some(defect_kind), "well signed: {}", describe(&verdict));

        let mut parts = split(&token);
        let mut sig = base64url::decode(parts[2].as_bytes()).unwrap();
        match &corruption {
            Corruption::XorByte(i, mask) => {
                let i = i.index(sig.len());
                sig[i] ^= mask;
            }
            Corruption::DropLastByte => {
                sig.pop();
            }
            Corruption::Empty => sig.clear(),
            Corruption::Foreign => {
                sig = base64url::decode(split(&sign_valid(alg, &claims, false))[2].as_bytes())
                    .unwrap();
            }
        }
        parts[2] = base64url::encode(&sig);
        let verdict = validate(alg, join(&parts));
        prop_assert_eq!(
            kind(&verdict),
            Some(RejectionKind::InvalidSignature),
            "{:?} + {:?}: {}", defect, corruption, describe(&verdict)
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 9. Byte-exact round trip
// ---------------------------------------------------------------------------------------------

fn check_round_trip(input: &[u8]) -> Result<(), TestCaseError> {
    let Ok(token) = Token::parse(input) else {
        return Ok(());
    };
    let printed = token.to_string();
    prop_assert_eq!(printed.as_bytes(), input);
    prop_assert_eq!(token.as_str().as_bytes(), input);
    let rejoined = format!(
        "{}.{}.{}",
        token.header_b64(),
        token.payload_b64(),
        token.signature_b64()
    );
    prop_assert_eq!(rejoined.as_bytes(), input);
    let signing_input = format!("{}.{}", token.header_b64(), token.payload_b64());
    prop_assert_eq!(token.signing_input(), signing_input.as_bytes());
    prop_assert_eq!(
        &base64url::decode(token.header_b64().as_bytes()).unwrap(),
        token.header_json()
    );
    prop_assert_eq!(
        &base64url::decode(token.payload_b64().as_bytes()).unwrap(),
        token.payload()
    );
    prop_assert_eq!(
        &base64url::decode(token.signature_b64().as_bytes()).unwrap(),
        token.signature()
    );
    Ok(())
}

proptest! {
    #![proptest_config(config(1024))]

    /// Property 9a: encoded arbitrary JSON parses, prints back exactly, and keeps its parts.
    #[test]
    fn p9_encoded_tokens_round_trip(
        h in json_header(),
        payload in json_payload(),
        sig in signature_bytes(),
    ) {
        let text = encoded_token(&h, &payload, &sig);
        let token = Token::parse(&text);
        prop_assert!(token.is_ok(), "{:?}", token);
        let token = token.unwrap();
        prop_assert_eq!(token.header(), &h);
        prop_assert_eq!(token.signature(), &sig[..]);
        check_round_trip(text.as_bytes())?;
    }

    /// Property 9b: signed and then mutated tokens that still parse print back exactly.
    #[test]
    fn p9_mutated_tokens_round_trip(
        alg in cheap_alg(),
        claims in valid_claims(),
        m in mutation(),
    ) {
        let input = apply(&sign_valid(alg, &claims, false), &m);
        check_round_trip(&input)?;
    }

    /// Property 9c: any byte string that parses prints back exactly.
    #[test]
    fn p9_arbitrary_parsed_input_round_trips(
        input in prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..200),
            "[A-Za-z0-9_-]{0,40}\\.[A-Za-z0-9_-]{0,40}\\.[A-Za-z0-9_-]{0,40}"
                .prop_map(String::into_bytes),
            "eyJ[A-Za-z0-9_-]{0,40}\\.[A-Za-z0-9_-]{0,40}\\.[A-Za-z0-9_-]{0,40}"
                .prop_map(String::into_bytes),
        ],
    ) {
        check_round_trip(&input)?;
    }
}

/// How property 10 changes a valid Ed25519 signature.
#[derive(Debug, Clone)]
enum EdEdit {
    Valid,
    /// S + L: the same S modulo L, not canonical.
    NonCanonicalS,
    /// R is the `i`-th point of order dividing 8; `non_canonical` sets the sign bit of a point
    /// with x = 0 or adds p to y where that still fits in 255 bits.
    SmallOrderR {
        i: usize,
        non_canonical: bool,
    },
    /// R is the identity and S = k·a, so [S]B − [k]A = R holds.
    IdentityREquationHolds,
    RandomR([u8; 32]),
    FlipBit(usize),
    Random(Vec<u8>),
}

fn ed_edit() -> impl Strategy<Value = EdEdit> {
    prop_oneof![
        Just(EdEdit::Valid),
        Just(EdEdit::NonCanonicalS),
        (0usize..8, any::<bool>())
            .prop_map(|(i, non_canonical)| EdEdit::SmallOrderR { i, non_canonical }),
        Just(EdEdit::IdentityREquationHolds),
        any::<[u8; 32]>().prop_map(EdEdit::RandomR),
        (0usize..512).prop_map(EdEdit::FlipBit),
        proptest::collection::vec(any::<u8>(), 64).prop_map(EdEdit::Random),
    ]
}

fn add_le(a: &[u8], b: &[u8; 32]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut carry = 0u16;
    for i in 0..32 {
        let sum = u16::from(a[i]) + u16::from(b[i]) + carry;
        out[i] = sum as u8;
        carry = sum >> 8;
    }
    out
}

/// k = SHA-512(R ‖ A ‖ M) mod L.
fn ed_challenge(r: &[u8], a: &[u8], message: &[u8]) -> curve25519_dalek::Scalar {
    let mut h = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA512);
    h.update(r);
    h.update(a);
    h.update(message);
    let wide: [u8; 64] = h.finish().as_ref().try_into().unwrap();
    curve25519_dalek::Scalar::from_bytes_mod_order_wide(&wide)
}

fn edit_ed25519(signing: &ed25519_dalek::SigningKey, message: &[u8], edit: &EdEdit) -> Vec<u8> {
    use ed25519_dalek::Signer as _;
    let mut sig = signing.sign(message).to_bytes().to_vec();
    match edit {
        EdEdit::Valid => {}
        EdEdit::NonCanonicalS => {
            let s = add_le(&sig[32..], &ED25519_GROUP_ORDER);
            sig[32..].copy_from_slice(&s);
        }
        EdEdit::SmallOrderR { i, non_canonical } => {
            let mut r = curve25519_dalek::constants::EIGHT_TORSION[*i]
                .compress()
                .to_bytes();
            if *non_canonical {
                r = non_canonical_encoding(r);
            }
            sig[..32].copy_from_slice(&r);
        }
        EdEdit::IdentityREquationHolds => {
            let mut r = [0u8; 32];
            r[0] = 1;
            let k = ed_challenge(&r, signing.verifying_key().as_bytes(), message);
            let s = k * signing.to_scalar();
            sig[..32].copy_from_slice(&r);
            sig[32..].copy_from_slice(s.as_bytes());
        }
        EdEdit::RandomR(r) => sig[..32].copy_from_slice(r),
        EdEdit::FlipBit(bit) => sig[bit / 8] ^= 1 << (bit % 8),
        EdEdit::Random(bytes) => sig.copy_from_slice(bytes),
    }
    sig
}

/// Another encoding of a small-order point: y + p where it fits in 255 bits (y < 19), else
/// the sign bit flipped (the negation, or for x = 0 a "negative zero").
fn non_canonical_encoding(canonical: [u8; 32]) -> [u8; 32] {
    // p = 2^255 − 19, little-endian.
    let mut p = [0xffu8; 32];
    p[0] = 0xed;
    p[31] = 0x7f;
    let sign = canonical[31] & 0x80;
    let mut y = canonical;
    y[31] &= 0x7f;
    let y_plus_p = add_le(&y, &p);
    if y_plus_p[31] & 0x80 == 0 {
        let mut r = y_plus_p;
        r[31] |= sign;
        r
    } else {
        let mut r = canonical;
        r[31] ^= 0x80;
        r
    }
}

fn ed25519_key(public: &[u8]) -> Result<Key, authprobe::jwk::KeyError> {
    let jwk =
        json!({"kty": "OKP", "crv": "Ed25519", "x": base64url::encode(public), "alg": "EdDSA"});
    Key::from_public_jwk(jwk.as_object().unwrap())
}

proptest! {
    #![proptest_config(config(512))]

    /// Property 10: the validator's Ed25519 verification answers exactly as verify_strict.
    #[test]
    fn p10_ed25519_agrees_with_verify_strict(
        seed in any::<[u8; 32]>(),
        message in proptest::collection::vec(any::<u8>(), 0..200),
        edit in ed_edit(),
    ) {
        let signing = ed25519_dalek::SigningKey::from_bytes(&seed);
        let public = signing.verifying_key();
        let key = ed25519_key(public.as_bytes()).expect("an honest key imports");
        let sig = edit_ed25519(&signing, &message, &edit);
        let strict = public
            .verify_strict(&message, &ed25519_dalek::Signature::from_slice(&sig).unwrap())
            .is_ok();
        prop_assert_eq!(key.verify(Algorithm::EdDSA, &message, &sig), strict, "{:?}", edit);
        if matches!(edit, EdEdit::Valid) {
            prop_assert!(strict);
        }
        if matches!(edit, EdEdit::NonCanonicalS | EdEdit::SmallOrderR { .. } | EdEdit::IdentityREquationHolds) {
            prop_assert!(!strict);
        }
    }

    /// Property 10b: small-order public keys, and non-canonical encodings of any point, are
    /// refused at import; canonical prime-order keys import.
    #[test]
    fn p10_weak_and_non_canonical_ed25519_keys_are_refused(
        i in 0usize..8,
        seed in any::<[u8; 32]>(),
    ) {
        let weak = curve25519_dalek::constants::EIGHT_TORSION[i].compress().to_bytes();
        prop_assert!(ed25519_key(&weak).is_err());
        prop_assert!(ed25519_key(&non_canonical_encoding(weak)).is_err());
        let honest = ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key();
        prop_assert!(ed25519_key(honest.as_bytes()).is_ok());
        // The same prime-order point with a non-canonical sign: x ≠ 0 here, so flipping the
        // sign bit names the negated point, which imports; a y of p or more never does.
        let mut y_too_big = honest.to_bytes();
        y_too_big[..31].fill(0xff);
        y_too_big[31] = 0x7f;
        prop_assert!(ed25519_key(&y_too_big).is_err(), "y = 2^255 - 1 ≥ p");
    }
}

proptest! {
    #![proptest_config(config(512))]

    /// Property 11: owned and borrowed claims sets get the same claim verdict.
    #[test]
    fn p11_owned_and_borrowed_claims_agree(
        mut claims in valid_claims(),
        name in select(vec!["exp", "iat", "nbf", "iss", "aud", "sub"]),
        edit in proptest::option::of(proptest::option::of(json_value())),
        offset in -100_000i64..100_000,
    ) {
        match edit {
            None => {}
            Some(None) => {
                claims.remove(name);
            }
            Some(Some(value)) => {
                claims.insert(name.into(), value);
            }
        }
        let bytes = serde_json::to_vec(&claims).unwrap();
        let members = authprobe::strict_json::scan_object(&bytes, 16).unwrap();
        let validator = &PERMISSIVE[0];
        let now = NOW + offset;
        prop_assert_eq!(
            validator.check_claims(&claims, now),
            validator.check_claims(&members, now)
        );
    }
}
