//! Property 5, totality (SEC-001, SEC-002, SEC-004, SEC-044): arbitrary bytes, strings, dotted
//! base64url text and encoded arbitrary JSON never panic and are always rejected.

use crate::support::{
    clock, config, encoded_token, json_header, json_payload, signature_bytes, validate, ALL_KEYS,
    PERMISSIVE,
};
use authprobe::algorithm::Algorithm;
use proptest::prelude::*;

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
