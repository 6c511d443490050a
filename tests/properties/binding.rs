//! Property 6, algorithm binding and key confusion (SEC-015): a valid signature under a header
//! `alg` other than the key's is refused, and HMAC keyed with public key material is never
//! accepted.

use crate::support::{
    any_alg, config, describe, fixture, header, hmac_alg, json_bytes, jwk_for, kid_for, kind,
    signer, timed_claims, valid_claims, validate_with, AUD, ISS, NOW_F,
};
use authprobe::algorithm::Algorithm;
use authprobe::base64url;
use authprobe::jwk::{Key, KeySet};
use authprobe::sign::{sign_compact, SigningKey};
use authprobe::validate::{Policy, RejectionKind};
use proptest::prelude::*;
use proptest::sample::{select, Index};
use serde_json::{json, Map, Value};
use std::sync::LazyLock;

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
