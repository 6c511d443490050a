//! Property 7, determinism: the same (possibly mutated) input validated twice, and again against
//! a fresh copy of the key set, gets identical verdicts.

use crate::support::{
    any_alg, apply, clock, config, describe, fixture, import, mutation, same_verdict, sign_valid,
    timed_claims, valid_claims, validate, AUD, ISS, NOW_F,
};
use authprobe::jwk::KeySet;
use authprobe::validate::Validator;
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Map, Value};

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
