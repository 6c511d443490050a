//! Property 1, acceptance: a validly signed token is accepted with exactly its header, claims,
//! `alg` and `kid`, so the other properties' rejections come from what they change.

use crate::support::{
    any_alg, config, fixture, header, kid_for, sign_valid, valid_claims, validate,
};
use proptest::prelude::*;

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
