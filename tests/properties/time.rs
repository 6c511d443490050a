//! Property 4, time boundaries (SEC-035, SEC-036, SEC-037): exp, nbf and iat at and around
//! every leeway, all time claims together against a model of spec.md §4 steps 14–17, and the
//! NumericDate range (exact integers up to 2^53 − 1, literals beyond binary64 malformed).

use crate::support::{
    cheap_alg, config, describe, fixture, header, join, json_bytes, kid_for, kind, sign_valid,
    signer, split, timed_claims, validate, validate_with, MAX_NUMERIC_DATE, NOW, NOW_F,
};
use authprobe::algorithm::Algorithm;
use authprobe::base64url;
use authprobe::sign::sign_compact;
use authprobe::validate::{RejectionKind, Verdict};
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Map, Value};

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
