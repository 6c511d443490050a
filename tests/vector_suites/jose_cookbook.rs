//! The IETF JOSE cookbook (RFC 7520) signatures and RFC 7797's unencoded payload: what the
//! profile supports verifies, in compact and JSON serializations, and the rest is refused.

use crate::{assert_no_problems, files_with_prefix, jws_validator, load, object, str_field, NOW};
use authprobe::algorithm::Algorithm;
use authprobe::base64url;
use authprobe::jwk::{Key, KeySet, PRIVATE_MEMBERS};
use authprobe::validate::{FixedClock, Policy, Validator};
use authprobe::ErrorCode;
use serde_json::Value;

/// The key set of a cookbook example: every key of `input.key` (one JWK or an array), `oct`
/// keys as configured secrets, the others as public keys with private members removed.
fn cookbook_keyset(input_key: &Value) -> KeySet {
    let jwks: Vec<&Value> = match input_key {
        Value::Array(keys) => keys.iter().collect(),
        key => vec![key],
    };
    let mut keys = Vec::new();
    for jwk in jwks {
        let mut jwk = object(jwk).clone();
        let key = if jwk.get("kty").and_then(Value::as_str) == Some("oct") {
            Key::from_secret_jwk(&jwk)
        } else {
            for member in PRIVATE_MEMBERS {
                jwk.remove(member);
            }
            Key::from_public_jwk(&jwk)
        };
        keys.push(key.unwrap_or_else(|e| panic!("cookbook key refused: {e}")));
    }
    KeySet::from_keys(keys)
}

/// The JSON serializations (`json`, `json_flat`) of an example's output, as strings.
fn json_serializations(output: &Value) -> Vec<(&'static str, String)> {
    ["json", "json_flat"]
        .into_iter()
        .filter_map(|form| {
            output
                .get(form)
                .map(|v| (form, serde_json::to_string(v).expect("serialize")))
        })
        .collect()
}

#[test]
fn jose_cookbook_jws() {
    let validator = jws_validator();
    let mut jwt_policy = Policy::better_auth("iss", "aud").with_algorithms(Algorithm::ALL);
    jwt_policy.require_kid = false;
    let jwt_validator = Validator::new(jwt_policy);
    let mut files = files_with_prefix("ietf-jose-cookbook/jws", "4_");
    files.push("ietf-jose-cookbook/curve25519/jws.json".into());
    let mut problems = Vec::new();
    for relative in &files {
        let doc = load(relative);
        let keys = cookbook_keyset(&doc["input"]["key"]);
        let output = &doc["output"];
        let (mut cases, mut valid, mut invalid) = (0, 0, 0);
        if let Some(compact) = output.get("compact").and_then(Value::as_str) {
            cases += 1;
            let detached = compact.split('.').nth(1) == Some("");
            match (validator.verify_jws(compact.as_bytes(), &keys), detached) {
                (Ok(_), false) => valid += 1,
                // Detached content (RFC 7515 appendix F): the signature covers the real payload,
                // which the compact form leaves out, so it cannot verify; and a JWT needs one.
                (Err(r), true) => {
                    invalid += 1;
                    if r.code() != ErrorCode::InvalidSignature {
                        problems.push(format!(
                            "{relative}: detached compact refused as {r}, expected INVALID_SIGNATURE"
                        ));
                    }
                    // As a JWT the empty payload is no claims set: MALFORMED_TOKEN at step 4
                    // (spec §7, "detached payload").
                    match jwt_validator.validate(compact.as_bytes(), &keys, &FixedClock(NOW)) {
                        Err(r) if r.code() == ErrorCode::MalformedToken => {}
                        other => problems.push(format!(
                            "{relative}: detached compact as a JWT: expected MALFORMED_TOKEN, got {other:?}"
                        )),
                    }
                }
                (Ok(_), true) => problems.push(format!(
                    "{relative}: compact JWS with detached (empty) payload was accepted"
                )),
                (Err(r), false) => {
                    invalid += 1;
                    problems.push(format!("{relative}: compact JWS rejected: {r}"));
                }
            }
        }
        // JSON serializations (the only form 4.6–4.8 have) are never accepted.
        for (form, text) in json_serializations(output) {
            cases += 1;
            match validator.verify_jws(text.as_bytes(), &keys) {
                Ok(_) => {
                    valid += 1;
                    problems.push(format!(
                        "{relative}: output.{form} (JSON serialization) was accepted"
                    ));
                }
                Err(r) => {
                    invalid += 1;
                    if r.code() != ErrorCode::MalformedToken {
                        problems.push(format!(
                            "{relative}: output.{form} refused as {r}, expected MALFORMED_TOKEN"
                        ));
                    }
                }
            }
        }
        let name = relative.rsplit('/').next().unwrap_or(relative);
        println!("{name}: {cases} cases, {valid} valid, {invalid} invalid, 0 excepted");
    }
    assert_no_problems("JOSE cookbook", &problems);
}

#[test]
fn rfc7797_unencoded_payload() {
    let validator = jws_validator();
    let mut problems = Vec::new();
    for relative in files_with_prefix("ietf-jose-cookbook/rfc7797", "") {
        let doc = load(&relative);
        let keys = cookbook_keyset(&doc["input"]["key"]);
        let output = &doc["output"];
        let flat = &output["json_flat"];
        let (mut cases, mut invalid) = (0, 0);
        let mut check = |what: &str, token: &str, code: ErrorCode| {
            cases += 1;
            match validator.verify_jws(token.as_bytes(), &keys) {
                Ok(_) => problems.push(format!("{relative}: {what} was accepted")),
                Err(r) => {
                    invalid += 1;
                    if r.code() != code {
                        problems.push(format!(
                            "{relative}: {what} refused as {r}, expected {code}"
                        ));
                    }
                }
            }
        };
        // The header exactly as signed, with the payload put in a base64url segment: the token
        // reaches the header rules, and `b64` is refused there (spec step 7, SEC-010).
        let protected = str_field(flat, "protected");
        let payload = str_field(flat, "payload");
        let signature = str_field(flat, "signature");
        let reencoded = format!("{protected}.{}.{signature}", base64url::encode(payload));
        check(
            "b64:false header with a base64url payload segment",
            &reencoded,
            ErrorCode::ForbiddenHeaderParameter,
        );
        // The RFC 7797 compact form puts the raw payload between the dots. This one contains
        // spaces, so it fails the structural check (step 4) before the header rules (step 7).
        if let Some(compact) = output.get("compact").and_then(Value::as_str) {
            check(
                "RFC 7797 compact form (raw payload)",
                compact,
                ErrorCode::MalformedToken,
            );
        }
        for (form, text) in json_serializations(output) {
            check(
                &format!("output.{form} (JSON serialization)"),
                &text,
                ErrorCode::MalformedToken,
            );
        }
        let name = relative.rsplit('/').next().unwrap_or(&relative);
        println!("{name}: {cases} cases, 0 valid, {invalid} invalid, 0 excepted");
    }
    assert_no_problems("RFC 7797", &problems);
}
