//! Property 11, one claim check, two representations: the owned claims map and the borrowed
//! members `validate` scans get the same claim verdict.

use crate::support::{config, json_value, valid_claims, NOW, PERMISSIVE};
use proptest::prelude::*;
use proptest::sample::select;

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
