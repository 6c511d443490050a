//! Property 10, Ed25519 is verify_strict (SEC-013): the validator's Ed25519 answers as
//! ed25519-dalek's `verify_strict` does on valid, non-canonical, small-order and random
//! signatures; small-order and non-canonical public keys are refused when imported.

use crate::support::config;
use authprobe::algorithm::{Algorithm, ED25519_GROUP_ORDER};
use authprobe::base64url;
use authprobe::jwk::Key;
use proptest::prelude::*;
use serde_json::json;

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
