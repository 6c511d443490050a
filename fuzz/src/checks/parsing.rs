//! The unstructured targets: `token_parse` (the compact JWS parser), `jwks_parse` (key set and
//! JWK import) and `scenario_parse` (the scenario loader), each fed libFuzzer's bytes as they are.

use super::validate_target::verdict_summary;
use super::{AUDIENCE, ISSUER, NOW};
use authprobe::algorithm::{Algorithm, KeyFamily};
use authprobe::base64url;
use authprobe::jwk::{Key, KeySet, PRIVATE_MEMBERS};
use authprobe::strict_json;
use authprobe::token::{ParseError, ParseLimits, Token};
use authprobe::validate::{FixedClock, Policy, Validator};
use serde_json::Value;
use std::fmt;

/// `token_parse`: arbitrary bytes into the compact JWS parser. It never panics; a token that
/// parses prints back to the same bytes, its segments are canonical base64url of what they
/// decode to, the size cap is inclusive, and the validator's key-free checks are deterministic.
pub fn token_parse(data: &[u8]) {
    let limits = ParseLimits::default();
    match Token::parse(data) {
        Ok(token) => {
            assert_eq!(token.to_string().as_bytes(), data, "printed back differs");
            assert!(data.len() <= limits.max_token_bytes);
            assert_eq!(base64url::encode(token.header_json()), token.header_b64());
            assert_eq!(base64url::encode(token.payload()), token.payload_b64());
            assert_eq!(base64url::encode(token.signature()), token.signature_b64());
            let signing_input = format!("{}.{}", token.header_b64(), token.payload_b64());
            assert_eq!(token.signing_input(), signing_input.as_bytes());
            let again = Token::parse(token.to_string()).expect("a printed token parses again");
            assert_eq!(again, token, "parse(print(t)) != t");
            let exact = ParseLimits {
                max_token_bytes: data.len(),
                ..limits
            };
            assert!(
                Token::parse_with(data, exact).is_ok(),
                "the size cap is inclusive"
            );
            let short = ParseLimits {
                max_token_bytes: data.len() - 1,
                ..limits
            };
            assert!(matches!(
                Token::parse_with(data, short),
                Err(ParseError::TooLarge { .. })
            ));
            let header = strict_json::parse_object(token.header_json(), limits.max_json_depth)
                .expect("the header re-parses");
            assert_eq!(&header, token.header());
            let _ = token
                .unverified_claims(limits.max_json_depth)
                .map_err(|e| e.to_string());
        }
        Err(err) => {
            let _ = err.to_string();
            if data.len() > limits.max_token_bytes {
                assert!(matches!(err, ParseError::TooLarge { .. }), "{err:?}");
            }
            if let ParseError::Base64 { offset, .. } = err {
                assert!(offset <= data.len(), "offset {offset} beyond the token");
            }
        }
    }
    let validator = Validator::new(Policy::better_auth(ISSUER, AUDIENCE));
    let once = |bytes: &[u8]| {
        validator
            .checks_before_keys(bytes)
            .map(|(token, claims)| (token.to_string(), claims))
            .map_err(|r| (r.kind, r.detail))
    };
    assert_eq!(
        once(data),
        once(data),
        "key-free checks are not deterministic"
    );
}

/// The Better Auth sample token: validated against every fuzzed key set.
const SAMPLE_TOKEN: &str = include_str!("../../../tests/fixtures/better-auth/token.jwt");

/// `jwks_parse`: arbitrary bytes as a public JWKS, a secret JWKS and a single JWK. Never panics;
/// a document is never both a public and a secret set; a public set never keeps private or
/// symmetric material; import is deterministic; imported keys bind, select and verify without
/// panicking and never verify an all-zero signature.
pub fn jwks_parse(data: &[u8]) {
    let public = KeySet::from_public_jwks(data);
    let secret = KeySet::from_secret_jwks(data);
    assert!(
        !(public.is_ok() && secret.is_ok()),
        "a document imported both as a public and as a secret key set"
    );
    if data.len() > 256 * 1024 {
        assert!(public.is_err() && secret.is_err());
    }
    assert_eq!(
        describe_set(&public),
        describe_set(&KeySet::from_public_jwks(data)),
        "public import is not deterministic"
    );
    assert_eq!(
        describe_set(&secret),
        describe_set(&KeySet::from_secret_jwks(data))
    );
    if let Ok(set) = &public {
        assert!(!set.keys().is_empty());
        for key in set.keys() {
            assert_ne!(
                key.family(),
                KeyFamily::Hmac,
                "symmetric key in a public set"
            );
            for member in PRIVATE_MEMBERS {
                assert!(!key.jwk().contains_key(member), "private member {member}");
            }
            exercise_key(key, set);
        }
        exercise_set(set);
    }
    if let Ok(set) = &secret {
        for key in set.keys() {
            assert_eq!(key.family(), KeyFamily::Hmac);
            assert_eq!(key.jwk().get("k"), Some(&Value::from("<redacted>")));
            exercise_key(key, set);
        }
        exercise_set(set);
    }
    if let Ok(jwk) = strict_json::parse_object(data, 8) {
        let public = Key::from_public_jwk(&jwk);
        let secret = Key::from_secret_jwk(&jwk);
        assert!(
            !(public.is_ok() && secret.is_ok()),
            "a JWK both public and secret"
        );
        for key in public.iter().chain(secret.iter()) {
            let set = KeySet::default();
            exercise_key(key, &set);
        }
        let _ = public.map_err(|e| e.to_string());
        let _ = secret.map_err(|e| e.to_string());
    }
}

fn describe_set<E: fmt::Display>(set: &Result<KeySet, E>) -> String {
    match set {
        Ok(set) => {
            let keys: Vec<String> = set
                .keys()
                .iter()
                .map(|k| format!("{:?} {:?} {:?}", k.kid(), k.family(), k.jwk()))
                .collect();
            let ignored: Vec<String> = set.ignored().iter().map(|i| i.to_string()).collect();
            format!("ok {keys:?} ignored {ignored:?}")
        }
        Err(e) => format!("err {e}"),
    }
}

fn exercise_key(key: &Key, set: &KeySet) {
    let message = b"eyJhbGciOiJFZERTQSJ9.e30";
    for alg in Algorithm::ALL {
        if key.check_binding(alg).is_ok() {
            assert!(key.material().family_matches(alg));
        }
        for len in [0, 1, 32, 48, 64, 96, 132, 256, 384, 512] {
            assert!(
                !key.verify(alg, message, &vec![0u8; len]),
                "an all-zero {len}-byte signature verified under {alg}"
            );
        }
        if let Some(kid) = key.kid() {
            if let Ok(selected) = set.select(Some(kid), alg) {
                assert_eq!(selected.kid(), Some(kid));
            }
        }
    }
}

fn exercise_set(set: &KeySet) {
    let mut policy = Policy::better_auth(ISSUER, AUDIENCE).with_algorithms(Algorithm::ALL);
    let validator = Validator::new(policy.clone());
    let token = SAMPLE_TOKEN.trim_end().as_bytes();
    let first = verdict_summary(&validator.validate(token, set, &FixedClock(NOW)));
    let second = verdict_summary(&validator.validate(token, set, &FixedClock(NOW)));
    assert_eq!(first, second);
    policy.require_kid = false;
    let _ = Validator::new(policy).validate(token, set, &FixedClock(NOW));
}

/// `scenario_parse`: arbitrary text into the scenario loader. It returns an error, never panics;
/// errors carry a 1-based position inside the text; loading is deterministic; a suite that loads
/// serializes to TOML that loads back to an equal suite.
pub fn scenario_parse(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let first = authprobe::scenario::load_str("fuzz.toml", &text);
    let second = authprobe::scenario::load_str("fuzz.toml", &text);
    match (&first, &second) {
        (Ok(a), Ok(b)) => assert_eq!(a, b),
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
        _ => panic!("loading the same text twice gave different outcomes"),
    }
    match first {
        Err(err) => {
            let _ = (err.to_string(), err.location(), err.message(), err.hint());
            if let Some((line, column)) = err.position() {
                let lines = text.split('\n').count();
                assert!(line >= 1 && column >= 1, "position {line}:{column}");
                assert!(
                    line <= lines,
                    "line {line} beyond the {lines} lines of the text"
                );
            }
        }
        Ok(suite) => {
            let _ = format!("{suite:?}");
        }
    }
}
