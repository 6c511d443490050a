//! Property 2, tamper evidence (SEC-026): no single bit flip of the compact token and no single
//! changed byte of a decoded segment is ever accepted.

use crate::support::{any_alg, config, describe, join, sign_valid, split, valid_claims, validate};
use authprobe::base64url;
use proptest::prelude::*;
use proptest::sample::Index;

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
