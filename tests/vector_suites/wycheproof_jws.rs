//! Project Wycheproof's `json_web_signature_test.json` and `json_web_key_test.json` through
//! [`Validator::verify_jws`](authprobe::validate::Validator::verify_jws), with key sets built as a
//! deployment builds them, and the exception table of the JWS file.

use crate::{
    array_field, assert_no_problems, jws_validator, load, object, single_key_set, str_field, tc_id,
    Exception, Expected, Tally, Verdict,
};
use authprobe::jwk::KeySet;
use authprobe::validate::Validator;
use authprobe::ErrorCode;
use serde_json::{json, Value};

/// A JWK or a JWKS, as a JWKS document.
fn as_jwks(key_or_set: &Value) -> Value {
    if key_or_set.get("keys").is_some() {
        key_or_set.clone()
    } else {
        json!({ "keys": [key_or_set] })
    }
}

/// Builds the key set a Wycheproof JWS/JWK group describes: the public key (set) if there is
/// one; otherwise the private key (set), which can only be configured if it is made of `oct`
/// secrets (a secret set holds only symmetric keys, and no public set can be derived here).
fn wycheproof_keyset(group: &Value) -> Result<KeySet, String> {
    if let Some(public) = group.get("public") {
        let doc = serde_json::to_vec(&as_jwks(public)).expect("serialize JWKS");
        return KeySet::from_public_jwks(&doc).map_err(|e| format!("public key set refused: {e}"));
    }
    let private = group
        .get("private")
        .expect("a Wycheproof group has a public or a private key");
    let jwks = as_jwks(private);
    let all_oct = array_field(&jwks, "keys")
        .iter()
        .all(|k| k.get("kty").and_then(Value::as_str) == Some("oct"));
    if !all_oct {
        return Err("private-only group with asymmetric keys: not configurable as a secret set, and no public set is given".into());
    }
    let doc = serde_json::to_vec(&jwks).expect("serialize JWKS");
    KeySet::from_secret_jwks(&doc).map_err(|e| format!("secret key set refused: {e}"))
}

/// Runs `verify_jws` and turns the outcome into a verdict with an explanation.
fn judge_jws(validator: &Validator, jws: &str, keys: &KeySet) -> (Verdict, String) {
    match validator.verify_jws(jws.as_bytes(), keys) {
        Ok(v) => (Verdict::Valid, format!("accepted as {}", v.alg)),
        Err(rejection) => (Verdict::Invalid, rejection.to_string()),
    }
}

/// Runs one Wycheproof file of the JWS/JWK schema (both have groups of `jws` cases).
fn run_wycheproof_jws_file(relative: &str, exceptions: &[Exception]) -> Vec<String> {
    let doc = load(relative);
    let validator = jws_validator();
    let name = relative.rsplit('/').next().unwrap_or(relative);
    let mut tally = Tally::new(name, exceptions);
    let mut problems = Vec::new();
    for group in array_field(&doc, "testGroups") {
        let keys = wycheproof_keyset(group);
        for test in array_field(group, "tests") {
            let id = tc_id(test);
            let jws = str_field(test, "jws");
            let comment = str_field(test, "comment");
            let expected = Expected::from_result(str_field(test, "result"));
            let (got, why) = match &keys {
                Ok(keys) => judge_jws(&validator, jws, keys),
                Err(reason) => (Verdict::Invalid, reason.clone()),
            };
            // JSON serialization is out of scope and must never be accepted, whatever the file
            // or an exception says.
            if jws.trim_start().starts_with('{') && got == Verdict::Valid {
                problems.push(format!(
                    "{name}: tcId {id}: JSON serialization was accepted"
                ));
            }
            tally.record(id, comment, expected, got, &why);
        }
    }
    let count = doc.get("numberOfTests").and_then(Value::as_u64);
    assert_eq!(
        count,
        Some(tally.cases as u64),
        "{name}: numberOfTests disagrees with the cases run"
    );
    problems.extend(tally.finish());
    problems
}

/// Cases of `json_web_signature_test.json` (commit dac1dd47) whose recorded result is wrong for a
/// strict validator; see `tests/vectors/EXCEPTIONS.md`.
const JWS_EXCEPTIONS: &[Exception] = &[
    Exception {
        tc_id: 346,
        strict: Verdict::Invalid,
        reason: "RFC 7520 figure 20: header alg PS384 under a JWK that declares alg PS256; strict key/alg binding (spec step 11) refuses it",
    },
    Exception {
        tc_id: 347,
        strict: Verdict::Invalid,
        reason: "RFC 7520 figure 27: header alg ES512 under a JWK that declares alg \"ES521\" (not a registered alg); strict key/alg binding (spec step 11) refuses it",
    },
    Exception {
        tc_id: 350,
        strict: Verdict::Invalid,
        reason: "RFC 7520 figure 20 (key_ops variant): header alg PS384 under a JWK that declares alg PS256; strict key/alg binding refuses it",
    },
    Exception {
        tc_id: 351,
        strict: Verdict::Invalid,
        reason: "RFC 7520 figure 27 (key_ops variant): header alg ES512 under a JWK that declares alg \"ES521\"; strict key/alg binding refuses it",
    },
    Exception {
        tc_id: 367,
        strict: Verdict::Valid,
        reason: "recorded invalid (invalidBase64Padding) but the jws is byte-identical to tc357, a valid MAC: the padding mutation is missing",
    },
    Exception {
        tc_id: 370,
        strict: Verdict::Valid,
        reason: "recorded invalid (invalidBase64PaddingInPayload) but the jws is byte-identical to tc357, a valid MAC: the padding mutation is missing",
    },
    Exception {
        tc_id: 372,
        strict: Verdict::Invalid,
        reason: "recorded valid (InvalidCharacterInsertedInHeader) but a '?' stands inside the header segment: not base64url",
    },
    Exception {
        tc_id: 373,
        strict: Verdict::Invalid,
        reason: "recorded valid (InvalidCharacterInsertedInPayload) but a '?' stands inside the payload segment: not base64url",
    },
];

#[test]
fn wycheproof_json_web_signature() {
    let relative = "wycheproof/testvectors_v1/json_web_signature_test.json";
    let mut problems = run_wycheproof_jws_file(relative, JWS_EXCEPTIONS);

    // The binding exceptions must fail for the stated reason only: with the JWK's own `alg`
    // removed, the same token verifies under the same key (so P-521/PS384 work and the signature
    // is good), and with it present the rejection is ALGORITHM_NOT_ALLOWED.
    let doc = load(relative);
    let validator = jws_validator();
    for id in [346, 347, 350, 351] {
        let (group, test) = find_case(&doc, id);
        let jws = str_field(test, "jws");
        let keys = wycheproof_keyset(group).expect("key set of a binding exception");
        match validator.verify_jws(jws.as_bytes(), &keys) {
            Err(r) if r.code() == ErrorCode::AlgorithmNotAllowed => {}
            other => problems.push(format!(
                "tcId {id}: expected ALGORITHM_NOT_ALLOWED from the key's alg binding, got {other:?}"
            )),
        }
        let mut unbound = object(&group["public"]).clone();
        unbound.remove("alg");
        let unbound = single_key_set(&Value::Object(unbound));
        if let Err(r) = validator.verify_jws(jws.as_bytes(), &unbound) {
            problems.push(format!(
                "tcId {id}: without the JWK's alg the token should verify, got {r}"
            ));
        }
    }
    // The base64 exceptions, checked against their stated reasons.
    let reference = str_field(find_case(&doc, 357).1, "jws");
    for id in [367, 370] {
        if str_field(find_case(&doc, id).1, "jws") != reference {
            problems.push(format!(
                "tcId {id} is no longer identical to tcId 357; re-check its exception"
            ));
        }
    }
    for id in [372, 373] {
        if !str_field(find_case(&doc, id).1, "jws").contains('?') {
            problems.push(format!(
                "tcId {id} no longer contains '?'; re-check its exception"
            ));
        }
    }
    assert_no_problems("json_web_signature_test.json", &problems);
}

/// The group and the test case with this tcId.
fn find_case(doc: &Value, id: u64) -> (&Value, &Value) {
    array_field(doc, "testGroups")
        .iter()
        .find_map(|group| {
            array_field(group, "tests")
                .iter()
                .find(|test| tc_id(test) == id)
                .map(|test| (group, test))
        })
        .unwrap_or_else(|| panic!("no test case with tcId {id}"))
}

/// Clears the unused low bits of the last character of an unpadded base64url string, giving
/// the canonical encoding of the same bytes.
fn canonical_b64url(s: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let spare_bits = match s.len() % 4 {
        2 => 4,
        3 => 2,
        _ => 0,
    };
    let mut bytes = s.as_bytes().to_vec();
    if let Some(last) = bytes.last_mut() {
        let index = ALPHABET.iter().position(|c| c == last).expect("base64url");
        *last = ALPHABET[index & !((1 << spare_bits) - 1)];
    }
    String::from_utf8(bytes).expect("ASCII")
}

#[test]
fn wycheproof_json_web_key() {
    let relative = "wycheproof/testvectors_v1/json_web_key_test.json";
    let mut problems = run_wycheproof_jws_file(relative, &[]);

    // tcId 4 (rejectsDuplicateKid) is already refused because its second key's "k" is not
    // canonical base64url. Check the duplicate-kid rule itself: the token verifies under the
    // first key alone, and with both keys (the second one canonically re-encoded) the shared
    // kid makes the choice ambiguous, which is UNKNOWN_KEY_ID.
    let doc = load(relative);
    let validator = jws_validator();
    let (group, test) = find_case(&doc, 4);
    let jws = str_field(test, "jws");
    let keys = array_field(&group["private"], "keys");
    let first = serde_json::to_vec(&json!({ "keys": [keys[0]] })).unwrap();
    let first = KeySet::from_secret_jwks(&first).expect("first key of tcId 4");
    if let Err(r) = validator.verify_jws(jws.as_bytes(), &first) {
        problems.push(format!(
            "tcId 4: should verify under its first key alone, got {r}"
        ));
    }
    let mut second = keys[1].clone();
    second["k"] = Value::String(canonical_b64url(str_field(&second, "k")));
    let both = serde_json::to_vec(&json!({ "keys": [keys[0], second] })).unwrap();
    let both = KeySet::from_secret_jwks(&both).expect("both keys of tcId 4, canonical");
    match validator.verify_jws(jws.as_bytes(), &both) {
        Err(r) if r.code() == ErrorCode::UnknownKeyId => {}
        other => problems.push(format!(
            "tcId 4: a kid shared by two keys must be UNKNOWN_KEY_ID (ambiguous), got {other:?}"
        )),
    }
    assert_no_problems("json_web_key_test.json", &problems);
}
