//! The RFCs' own examples: RFC 7515 appendix A (A.1–A.5) verify, and what the profile refuses is
//! refused; RFC 8037 appendix A.4 (Ed25519) verifies, and a flipped signature bit does not.

use crate::{array_field, jws_validator, load, single_key_set, str_field, NOW};
use authprobe::algorithm::Algorithm;
use authprobe::base64url;
use authprobe::jwk::KeySet;
use authprobe::validate::{FixedClock, Policy, Validator};
use authprobe::ErrorCode;
use serde_json::json;

#[test]
fn rfc7515_appendix_a() {
    let doc = load("rfc/rfc7515_appendix_a.json");
    let validator = jws_validator();
    let better_auth = Validator::new(Policy::better_auth("joe", "https://example.com"));
    let mut any_alg_jwt =
        Policy::better_auth("joe", "https://example.com").with_algorithms(Algorithm::ALL);
    any_alg_jwt.require_kid = false;
    let any_alg_jwt = Validator::new(any_alg_jwt);
    let clock = FixedClock(NOW);

    // (id, JWS-level outcome, code under the Better Auth profile, code under a JWT policy that
    // allows every algorithm). A.1–A.3 carry no aud/iat/sub (INVALID_CLAIM comes before the
    // expiry check); A.4's payload "Payload" is not a claims set.
    let expectations: [(&str, Result<Algorithm, ErrorCode>, ErrorCode, ErrorCode); 5] = [
        (
            "RFC7515-A.1",
            Ok(Algorithm::HS256),
            ErrorCode::AlgorithmNotAllowed,
            ErrorCode::InvalidClaim,
        ),
        (
            "RFC7515-A.2",
            Ok(Algorithm::RS256),
            ErrorCode::AlgorithmNotAllowed,
            ErrorCode::InvalidClaim,
        ),
        (
            "RFC7515-A.3",
            Ok(Algorithm::ES256),
            ErrorCode::AlgorithmNotAllowed,
            ErrorCode::InvalidClaim,
        ),
        (
            "RFC7515-A.4",
            Ok(Algorithm::ES512),
            ErrorCode::MalformedToken,
            ErrorCode::MalformedToken,
        ),
        (
            "RFC7515-A.5-unsecured",
            Err(ErrorCode::AlgorithmNotAllowed),
            ErrorCode::AlgorithmNotAllowed,
            ErrorCode::AlgorithmNotAllowed,
        ),
    ];
    let vectors = array_field(&doc, "vectors");
    assert_eq!(vectors.len(), expectations.len(), "RFC 7515 vector count");
    // A.5 has no key; any key set will do, since alg none is refused before key selection.
    let fallback_keys = single_key_set(&vectors[0]["key"]);
    let (mut valid, mut invalid) = (0, 0);
    for (vector, (id, jws_outcome, ba_code, jwt_code)) in vectors.iter().zip(expectations) {
        assert_eq!(str_field(vector, "id"), id);
        let jws = str_field(vector, "jws");
        let own_keys;
        let keys = match vector.get("key") {
            Some(key) if !key.is_null() => {
                own_keys = single_key_set(key);
                &own_keys
            }
            _ => &fallback_keys,
        };
        match (validator.verify_jws(jws.as_bytes(), keys), jws_outcome) {
            (Ok(v), Ok(alg)) => {
                assert_eq!(v.alg, alg, "{id}");
                valid += 1;
            }
            (Err(r), Err(code)) => {
                assert_eq!(r.code(), code, "{id}: {r}");
                invalid += 1;
            }
            (got, want) => panic!("{id}: expected {want:?} at the JWS level, got {got:?}"),
        }
        // As JWTs, none of them is accepted: not by the Better Auth profile, and not by a
        // policy that allows their algorithms either.
        for (policy, validator, code) in [
            ("Better Auth profile", &better_auth, ba_code),
            ("all-algorithm JWT policy", &any_alg_jwt, jwt_code),
        ] {
            match validator.validate(jws.as_bytes(), keys, &clock) {
                Ok(v) => panic!("{id}: accepted as a JWT by the {policy}: {:?}", v.claims()),
                Err(r) => assert_eq!(r.code(), code, "{id} under the {policy}: {r}"),
            }
        }
    }
    println!(
        "rfc7515_appendix_a.json: {} cases, {valid} valid, {invalid} invalid, 0 excepted",
        vectors.len()
    );
}

/// The same compact JWS with one bit of the decoded signature flipped.
fn flip_signature_bit(jws: &str, byte: usize, bit: u8) -> String {
    let (signing_input, sig_b64) = jws.rsplit_once('.').expect("compact JWS");
    let mut sig = base64url::decode(sig_b64.as_bytes()).expect("signature is base64url");
    sig[byte] ^= 1 << bit;
    format!("{signing_input}.{}", base64url::encode(sig))
}

#[test]
fn rfc8037_ed25519() {
    let doc = load("rfc/rfc8037_ed25519.json");
    let validator = jws_validator();
    let keys = single_key_set(&doc["A.2_public_jwk"]);
    let jws = str_field(&doc, "A.4_jws");

    let verified = validator
        .verify_jws(jws.as_bytes(), &keys)
        .unwrap_or_else(|r| panic!("RFC 8037 A.4 must verify: {r}"));
    assert_eq!(verified.alg, Algorithm::EdDSA);
    assert_eq!(
        verified.token.payload(),
        str_field(&doc, "A.4_payload").as_bytes()
    );

    // One flipped bit anywhere in R or S must be refused.
    let mut tampered = 0;
    for (byte, bit) in [(0, 0), (31, 7), (32, 0), (63, 3)] {
        let bad = flip_signature_bit(jws, byte, bit);
        let rejection = validator
            .verify_jws(bad.as_bytes(), &keys)
            .expect_err("a signature with one flipped bit must be rejected");
        assert_eq!(
            rejection.code(),
            ErrorCode::InvalidSignature,
            "byte {byte} bit {bit}: {rejection}"
        );
        tampered += 1;
    }
    // The private JWK is never acceptable in a public key set.
    let private = serde_json::to_vec(&json!({ "keys": [doc["A.1_private_jwk"]] })).unwrap();
    assert!(KeySet::from_public_jwks(&private).is_err());
    println!(
        "rfc8037_ed25519.json: {} cases, 1 valid, {tampered} invalid, 0 excepted",
        1 + tampered
    );
}
