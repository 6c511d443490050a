//! One test per rule of the reference validator, in the order of spec.md §4, each asserting the
//! exact contract code (or acceptance) for a token built from the Better Auth sample by one edit.

mod common;

use authprobe::algorithm::{KeyFamily, ED25519_GROUP_ORDER};
use authprobe::base64url;
use authprobe::jwk::{Key, KeyError, KeySet, KeySetError};
use authprobe::sign::{sign_compact, SigningKey};
use authprobe::validate::FixedClock;
use authprobe::{Algorithm, ErrorCode, Policy, Validator};
use common::{Sample, ISSUER, NOW};
use serde_json::{json, Value};

const ACCEPT: Option<ErrorCode> = None;

fn verdict(policy: Policy, keys: &KeySet, token: &str) -> Option<ErrorCode> {
    match Validator::new(policy).validate(token.as_bytes(), keys, &FixedClock(NOW)) {
        Ok(_) => None,
        Err(r) => Some(r.code()),
    }
}

/// `rule!(name, expected, |s| token)` or `rule!(name, expected, policy |p| edit, |s| token)`.
macro_rules! rule {
    ($name:ident, $expected:expr, |$s:ident| $token:expr) => {
        rule!($name, $expected, policy | _p | {}, |$s| $token);
    };
    ($name:ident, $expected:expr, policy |$p:ident| $edit:expr, |$s:ident| $token:expr) => {
        #[test]
        fn $name() {
            let $s = Sample::load();
            #[allow(unused_mut)]
            let mut $p = $s.policy();
            $edit;
            let token: String = $token;
            let got = verdict($p, &$s.keys, &token);
            assert_eq!(got, $expected, "token {token}");
        }
    };
}

fn b64(v: &Value) -> String {
    base64url::encode(serde_json::to_vec(v).unwrap())
}

fn replace_segment(token: &str, index: usize, new: &str) -> String {
    let mut parts: Vec<&str> = token.split('.').collect();
    parts[index] = new;
    parts.join(".")
}

fn flip_sig_byte(token: &str, i: usize) -> String {
    let sig = token.rsplit('.').next().unwrap();
    let mut bytes = base64url::decode(sig.as_bytes()).unwrap();
    bytes[i] ^= 0x01;
    replace_segment(token, 2, &base64url::encode(bytes))
}

// --- the sample itself --------------------------------------------------------------------------

rule!(sample_token_is_accepted, ACCEPT, |s| s.token.clone());
rule!(
    resigned_sample_is_byte_identical_and_accepted,
    ACCEPT,
    |s| {
        let t = s.sign_raw(
            common::fixture("better-auth/header.json").as_bytes(),
            common::fixture("better-auth/claims.json").as_bytes(),
        );
        assert_eq!(t, s.token);
        t
    }
);

// --- 1–5 structure: MALFORMED_TOKEN -------------------------------------------------------------

const MALFORMED: Option<ErrorCode> = Some(ErrorCode::MalformedToken);

rule!(oversize_token, MALFORMED, |s| s.signed_with(|_, c| {
    c.insert("pad".into(), "x".repeat(17 * 1024).into());
}));
rule!(two_segments, MALFORMED, |s| s
    .token
    .rsplit_once('.')
    .unwrap()
    .0
    .to_owned());
rule!(four_segments, MALFORMED, |s| format!("{}.x", s.token));
rule!(trailing_dot, MALFORMED, |s| format!("{}.", s.token));
rule!(empty_string, MALFORMED, |_s| String::new());
rule!(many_dots, MALFORMED, |_s| ".".repeat(15_000));
rule!(padded_payload, MALFORMED, |s| {
    let p = s.token.split('.').nth(1).unwrap();
    replace_segment(&s.token, 1, &format!("{p}=="))
});
rule!(standard_alphabet_in_signature, MALFORMED, |s| {
    // Find a validly signed token whose signature uses '-' or '_', then re-encode it in the
    // standard alphabet: same bytes, different text.
    let token = (0..)
        .map(|i| {
            s.signed_with(|_, c| {
                c.insert("name".into(), json!(format!("Alice {i}")));
            })
        })
        .find(|t| t.rsplit('.').next().unwrap().contains(['-', '_']))
        .unwrap();
    assert_eq!(verdict(s.policy(), &s.keys, &token), ACCEPT);
    let sig = token.rsplit('.').next().unwrap();
    replace_segment(&token, 2, &sig.replace('-', "+").replace('_', "/"))
});
rule!(signature_non_canonical_trailing_bits, MALFORMED, |s| {
    // 64 bytes encode to 86 characters; the last carries 4 unused bits. Better Auth's own
    // verifier accepts this variant (BETTER-AUTH.md §8.5); a strict one must not.
    let sig = s.token.rsplit('.').next().unwrap();
    let last = sig.as_bytes()[sig.len() - 1];
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let idx = alphabet.iter().position(|c| *c == last).unwrap();
    let other = alphabet[idx ^ 0x01] as char;
    replace_segment(&s.token, 2, &format!("{}{other}", &sig[..sig.len() - 1]))
});
rule!(whitespace_inside, MALFORMED, |s| s
    .token
    .replacen('.', " .", 1));
rule!(header_not_json, MALFORMED, |s| replace_segment(
    &s.token,
    0,
    &base64url::encode("{alg:EdDSA}")
));
rule!(header_is_an_array, MALFORMED, |s| replace_segment(
    &s.token,
    0,
    &b64(&json!(["EdDSA"]))
));
rule!(duplicate_header_member, MALFORMED, |s| s.sign_raw(
    br#"{"alg":"none","alg":"EdDSA","kid":"k7QwZp2LxR9vTmN4bYc8HsJd3FgEa6Uu"}"#,
    common::fixture("better-auth/claims.json").as_bytes()
));
rule!(duplicate_claim_even_when_signed, MALFORMED, |s| {
    let claims = common::fixture("better-auth/claims.json").replacen(
        "\"sub\":",
        "\"sub\":\"admin\",\"sub\":",
        1,
    );
    s.sign_raw(
        common::fixture("better-auth/header.json").as_bytes(),
        claims.as_bytes(),
    )
});
rule!(claims_not_an_object_even_when_signed, MALFORMED, |s| s
    .sign_raw(
        common::fixture("better-auth/header.json").as_bytes(),
        b"[\"sub\"]"
    ));
rule!(claims_with_bom_even_when_signed, MALFORMED, |s| {
    let mut payload = b"\xEF\xBB\xBF".to_vec();
    payload.extend(common::fixture("better-auth/claims.json").bytes());
    s.sign_raw(
        common::fixture("better-auth/header.json").as_bytes(),
        &payload,
    )
});
rule!(claims_nested_too_deep, MALFORMED, |s| s.signed_with(
    |_, c| {
        let mut v = json!(1);
        for _ in 0..20 {
            v = json!([v]);
        }
        c.insert("deep".into(), v);
    }
));
rule!(json_serialization_instead_of_compact, MALFORMED, |s| {
    let p: Vec<&str> = s.token.split('.').collect();
    json!({"protected": p[0], "payload": p[1], "signature": p[2]}).to_string()
});
rule!(alg_missing, MALFORMED, |s| s.signed_with(|h, _| {
    h.remove("alg");
}));
rule!(alg_not_a_string, MALFORMED, |s| s.signed_with(|h, _| {
    h.insert("alg".into(), json!(["EdDSA"]));
}));
rule!(kid_not_a_string, MALFORMED, |s| s.signed_with(|h, _| {
    h.insert("kid".into(), json!({"$ne": null}));
}));

// --- 7 forbidden header parameters --------------------------------------------------------------

const FORBIDDEN: Option<ErrorCode> = Some(ErrorCode::ForbiddenHeaderParameter);

#[test]
fn every_forbidden_header_parameter_is_refused_even_when_signed() {
    let s = Sample::load();
    for name in [
        "jku", "jwk", "x5u", "x5c", "x5t", "x5t#S256", "b64", "zip", "enc",
    ] {
        let token = s.signed_with(|h, _| {
            h.insert(name.into(), json!("http://127.0.0.1:1/x"));
        });
        assert_eq!(verdict(s.policy(), &s.keys, &token), FORBIDDEN, "{name}");
    }
}
rule!(crit_unknown_extension, FORBIDDEN, |s| s.signed_with(
    |h, _| {
        h.insert("crit".into(), json!(["x-policy"]));
        h.insert("x-policy".into(), json!("require-mfa"));
    }
));
rule!(
    crit_understood_extension_is_accepted,
    ACCEPT,
    policy | p | p.understood_crit = vec!["x-policy".into()],
    |s| s.signed_with(|h, _| {
        h.insert("crit".into(), json!(["x-policy"]));
        h.insert("x-policy".into(), json!("require-mfa"));
    })
);
rule!(
    crit_naming_a_registered_parameter,
    FORBIDDEN,
    policy | p | p.understood_crit = vec!["alg".into()],
    |s| s.signed_with(|h, _| {
        h.insert("crit".into(), json!(["alg"]));
    })
);
rule!(
    crit_naming_an_absent_parameter,
    FORBIDDEN,
    policy | p | p.understood_crit = vec!["x-policy".into()],
    |s| s.signed_with(|h, _| {
        h.insert("crit".into(), json!(["x-policy"]));
    })
);
rule!(
    crit_empty_array,
    FORBIDDEN,
    policy | p | p.understood_crit = vec!["x-policy".into()],
    |s| s.signed_with(|h, _| {
        h.insert("crit".into(), json!([]));
    })
);
rule!(forbidden_parameter_wins_over_alg_none, FORBIDDEN, |s| s
    .signed_with(|h, _| {
        h.insert("alg".into(), json!("none"));
        h.insert("jwk".into(), json!({"kty": "oct", "k": "AA"}));
    }));

// --- 8 typ ----------------------------------------------------------------------------------------

rule!(typ_jwt_is_accepted, ACCEPT, |s| s.signed_with(|h, _| {
    h.insert("typ".into(), json!("JWT"));
}));
rule!(
    typ_of_another_token_kind,
    Some(ErrorCode::InvalidTokenType),
    |s| s.signed_with(|h, _| {
        h.insert("typ".into(), json!("dpop+jwt"));
    })
);
rule!(typ_not_a_string, Some(ErrorCode::InvalidTokenType), |s| s
    .signed_with(|h, _| {
        h.insert("typ".into(), json!(1));
    }));

// --- 9 algorithm allowlist -------------------------------------------------------------------------

const ALG: Option<ErrorCode> = Some(ErrorCode::AlgorithmNotAllowed);

#[test]
fn alg_none_in_every_spelling_is_refused() {
    let s = Sample::load();
    for none in ["none", "None", "NONE", "nOnE"] {
        let header = b64(&json!({"alg": none, "kid": "k7QwZp2LxR9vTmN4bYc8HsJd3FgEa6Uu"}));
        let payload = s.token.split('.').nth(1).unwrap();
        for sig in ["", "AAAA", s.token.rsplit('.').next().unwrap()] {
            let token = format!("{header}.{payload}.{sig}");
            assert_eq!(verdict(s.policy(), &s.keys, &token), ALG, "{none} / {sig}");
        }
    }
}
rule!(alg_outside_allowlist, ALG, |s| s.signed_with(|h, _| {
    h.insert("alg".into(), json!("HS256"));
}));
rule!(alg_lowercase_is_not_eddsa, ALG, |s| s.signed_with(
    |h, _| {
        h.insert("alg".into(), json!("eddsa"));
    }
));

// --- 10 key selection ------------------------------------------------------------------------------

const KID: Option<ErrorCode> = Some(ErrorCode::UnknownKeyId);

rule!(kid_missing, KID, |s| s.signed_with(|h, _| {
    h.remove("kid");
}));
rule!(
    kid_missing_is_fine_when_the_policy_allows_it,
    ACCEPT,
    policy | p | p.require_kid = false,
    |s| s.signed_with(|h, _| {
        h.remove("kid");
    })
);
rule!(kid_unknown, KID, |s| s.signed_with(|h, _| {
    h.insert("kid".into(), json!("unknown-kid-123"));
}));
rule!(kid_path_traversal, KID, |s| s.signed_with(|h, _| {
    h.insert("kid".into(), json!("../../../../../../dev/null"));
}));

fn sample_jwk(extra: Value) -> Value {
    let s = Sample::load();
    let mut jwk: Value = serde_json::from_str::<Value>(&s.jwks).unwrap()["keys"][0].clone();
    for (k, v) in extra.as_object().unwrap() {
        jwk[k] = v.clone();
    }
    jwk
}

#[test]
fn duplicate_kid_in_the_key_set_is_ambiguous() {
    let s = Sample::load();
    let other = SigningKey::generate(KeyFamily::Ed25519).unwrap();
    let mut other_jwk = other.public_jwk(Some("k7QwZp2LxR9vTmN4bYc8HsJd3FgEa6Uu"), None);
    other_jwk.insert("alg".into(), "EdDSA".into());
    let doc = json!({"keys": [sample_jwk(json!({})), other_jwk]}).to_string();
    let keys = KeySet::from_public_jwks(doc.as_bytes()).unwrap();
    assert_eq!(verdict(s.policy(), &keys, &s.token), KID);
}

#[test]
fn keys_not_meant_for_verification_are_not_selected() {
    let s = Sample::load();
    for extra in [json!({"use": "enc"}), json!({"key_ops": ["sign"]})] {
        let doc = json!({"keys": [sample_jwk(extra.clone())]}).to_string();
        let keys = KeySet::from_public_jwks(doc.as_bytes()).unwrap();
        assert_eq!(verdict(s.policy(), &keys, &s.token), KID, "{extra}");
    }
    let ok = json!({"keys": [sample_jwk(json!({"use": "sig", "key_ops": ["verify"]}))]});
    let keys = KeySet::from_public_jwks(ok.to_string().as_bytes()).unwrap();
    assert_eq!(verdict(s.policy(), &keys, &s.token), ACCEPT);
}

// --- 11 algorithm bound to the key -----------------------------------------------------------------

rule!(
    alg_of_another_key_type_is_refused,
    ALG,
    policy | p | p.algorithms = vec![Algorithm::EdDSA, Algorithm::ES256],
    |s| s.signed_with(|h, _| {
        h.insert("alg".into(), json!("ES256"));
    })
);

#[test]
fn hmac_keyed_with_the_public_key_is_refused() {
    // Key confusion: HS256 "signed" with the published Ed25519 key bytes / JWK text.
    let s = Sample::load();
    let x = base64url::decode(sample_jwk(json!({}))["x"].as_str().unwrap().as_bytes()).unwrap();
    for secret in [x, s.jwks.clone().into_bytes()] {
        let token = sign_compact(
            br#"{"alg":"HS256","kid":"k7QwZp2LxR9vTmN4bYc8HsJd3FgEa6Uu"}"#,
            common::fixture("better-auth/claims.json").as_bytes(),
            &SigningKey::hmac(&secret),
            Algorithm::HS256,
        )
        .unwrap();
        assert_eq!(verdict(s.policy(), &s.keys, &token), ALG);
        let all = s.policy().with_algorithms(Algorithm::ALL);
        assert_eq!(
            verdict(all, &s.keys, &token),
            ALG,
            "even when HS256 is allowed"
        );
    }
}

#[test]
fn hmac_needs_a_configured_secret_as_long_as_the_hash() {
    let s = Sample::load();
    let policy = || s.policy().with_algorithms([Algorithm::HS256]);
    let claims = common::fixture("better-auth/claims.json");
    let make = |secret: &[u8]| {
        sign_compact(
            br#"{"alg":"HS256","kid":"hs"}"#,
            claims.as_bytes(),
            &SigningKey::hmac(secret),
            Algorithm::HS256,
        )
        .unwrap()
    };
    let long = [7u8; 32];
    let keys = KeySet::from_keys(vec![Key::from_hmac_secret(Some("hs"), &long).unwrap()]);
    assert_eq!(verdict(policy(), &keys, &make(&long)), ACCEPT);
    let short = [7u8; 16];
    let keys = KeySet::from_keys(vec![Key::from_hmac_secret(Some("hs"), &short).unwrap()]);
    assert_eq!(verdict(policy(), &keys, &make(&short)), ALG);
    assert_eq!(
        Key::from_hmac_secret(Some("hs"), b"").unwrap_err(),
        KeyError::EmptySecret
    );
}

// --- 12 signature ----------------------------------------------------------------------------------

const SIG: Option<ErrorCode> = Some(ErrorCode::InvalidSignature);

rule!(payload_tampered, SIG, |s| {
    let p = b64(&json!({"sub": "admin"}));
    replace_segment(&s.token, 1, &p)
});
rule!(claims_tampered_keeping_everything_else_valid, SIG, |s| {
    let claims = common::fixture("better-auth/claims.json").replace("Alice", "Mallory");
    replace_segment(&s.token, 1, &base64url::encode(claims))
});
rule!(header_tampered_keeping_signature, SIG, |s| replace_segment(
    &s.token,
    0,
    &b64(&json!({"kid": "k7QwZp2LxR9vTmN4bYc8HsJd3FgEa6Uu", "alg": "EdDSA"}))
));
rule!(signature_byte_flipped, SIG, |s| flip_sig_byte(&s.token, 31));
rule!(signature_empty, SIG, |s| replace_segment(&s.token, 2, ""));
rule!(signature_truncated, SIG, |s| {
    let sig = base64url::decode(s.token.rsplit('.').next().unwrap().as_bytes()).unwrap();
    replace_segment(&s.token, 2, &base64url::encode(&sig[..63]))
});
rule!(signature_with_trailing_zero_byte, SIG, |s| {
    let mut sig = base64url::decode(s.token.rsplit('.').next().unwrap().as_bytes()).unwrap();
    sig.push(0);
    replace_segment(&s.token, 2, &base64url::encode(&sig))
});
rule!(signature_all_zero, SIG, |s| replace_segment(
    &s.token,
    2,
    &base64url::encode([0u8; 64])
));
rule!(signature_non_canonical_s, SIG, |s| {
    // S + ℓ encodes the same scalar mod ℓ; RFC 8032 §5.1.7 requires S < ℓ (CVE-2020-36843).
    let mut sig = base64url::decode(s.token.rsplit('.').next().unwrap().as_bytes()).unwrap();
    let mut carry = 0u16;
    for i in 0..32 {
        let sum = u16::from(sig[32 + i]) + u16::from(ED25519_GROUP_ORDER[i]) + carry;
        sig[32 + i] = sum as u8;
        carry = sum >> 8;
    }
    assert_eq!(carry, 0);
    replace_segment(&s.token, 2, &base64url::encode(&sig))
});
rule!(signed_by_a_foreign_key_with_the_real_kid, SIG, |s| {
    let foreign = SigningKey::generate(KeyFamily::Ed25519).unwrap();
    sign_compact(
        common::fixture("better-auth/header.json").as_bytes(),
        common::fixture("better-auth/claims.json").as_bytes(),
        &foreign,
        Algorithm::EdDSA,
    )
    .unwrap()
});

// --- 13–19 claims ----------------------------------------------------------------------------------

const CLAIM: Option<ErrorCode> = Some(ErrorCode::InvalidClaim);

#[test]
fn missing_or_ill_typed_registered_claims_are_invalid_claim() {
    let s = Sample::load();
    let edits: Vec<(&str, Option<Value>)> = vec![
        ("exp", None),
        ("exp", Some(json!("1795691524"))),
        ("exp", Some(json!(true))),
        ("exp", Some(json!(null))),
        ("exp", Some(json!([1795691524]))),
        ("exp", Some(json!(9_223_372_036_854_775_807u64))),
        ("exp", Some(json!(-1))),
        ("iat", None),
        ("iat", Some(json!("now"))),
        ("nbf", Some(json!({}))),
        ("iss", None),
        ("iss", Some(json!([ISSUER]))),
        ("aud", None),
        ("aud", Some(json!(3000))),
        ("aud", Some(json!([]))),
        ("aud", Some(json!([ISSUER, 1]))),
        ("aud", Some(json!([[ISSUER]]))),
        ("sub", None),
        ("sub", Some(json!(""))),
        ("sub", Some(json!(0))),
        ("sub", Some(json!(["admin"]))),
    ];
    for (name, value) in edits {
        let token = s.signed_with(|_, c| match &value {
            None => {
                c.remove(name);
            }
            Some(v) => {
                c.insert(name.into(), v.clone());
            }
        });
        assert_eq!(
            verdict(s.policy(), &s.keys, &token),
            CLAIM,
            "{name} = {value:?}"
        );
    }
}
rule!(
    iat_missing_is_fine_when_not_required,
    ACCEPT,
    policy | p | p.require_iat = false,
    |s| s.signed_with(|_, c| {
        c.remove("iat");
    })
);
rule!(decimal_numeric_dates_are_numbers, ACCEPT, |s| s
    .signed_with(|_, c| {
        c.insert("exp".into(), json!(1_795_691_524.5));
    }));

fn at(
    s: &Sample,
    leeway: u64,
    edit: impl FnOnce(&mut serde_json::Map<String, Value>),
) -> Option<ErrorCode> {
    let token = s.signed_with(|_, c| edit(c));
    verdict(s.policy().with_leeway(leeway), &s.keys, &token)
}

#[test]
fn exp_boundary_is_now_at_or_after_exp_plus_leeway() {
    let s = Sample::load();
    for leeway in [0u64, 1, 30, 300] {
        let l = leeway as i64;
        let expired = Some(ErrorCode::TokenExpired);
        assert_eq!(
            at(&s, leeway, |c| {
                c.insert("exp".into(), json!(NOW - l));
            }),
            expired
        );
        assert_eq!(
            at(&s, leeway, |c| {
                c.insert("exp".into(), json!(NOW - l + 1));
            }),
            ACCEPT
        );
        assert_eq!(
            at(&s, leeway, |c| {
                c.insert("exp".into(), json!(NOW - l - 3600));
            }),
            expired
        );
    }
}

#[test]
fn nbf_and_iat_boundaries_are_now_plus_leeway() {
    let s = Sample::load();
    for leeway in [0u64, 30, 300] {
        let l = leeway as i64;
        let nbf = |v: i64| {
            at(&s, leeway, |c| {
                c.insert("nbf".into(), json!(v));
            })
        };
        assert_eq!(nbf(NOW + l), ACCEPT);
        assert_eq!(nbf(NOW + l + 1), Some(ErrorCode::TokenNotYetValid));
        let iat = |v: i64| {
            at(&s, leeway, |c| {
                c.insert("iat".into(), json!(v));
                c.insert("exp".into(), json!(v + 900));
            })
        };
        assert_eq!(iat(NOW + l), ACCEPT);
        assert_eq!(iat(NOW + l + 1), Some(ErrorCode::TokenIssuedInFuture));
    }
}
rule!(
    lifetime_over_the_cap,
    Some(ErrorCode::TokenLifetimeExceeded),
    policy | p | p.max_lifetime_secs = Some(600),
    |s| s.token.clone()
);
rule!(
    lifetime_at_the_cap,
    ACCEPT,
    policy | p | p.max_lifetime_secs = Some(900),
    |s| s.token.clone()
);

#[test]
fn issuer_must_match_byte_for_byte() {
    let s = Sample::load();
    for iss in [
        "http://127.0.0.1:3000/",
        "http://127.0.0.1:3000/api/auth",
        "http://127.0.0.1:300",
        "http://127.0.0.1:3000.evil.example",
        "HTTP://127.0.0.1:3000",
        "https://evil.example",
        "http://127.0.0.1:3000\u{0}",
    ] {
        let token = s.signed_with(|_, c| {
            c.insert("iss".into(), json!(iss));
        });
        assert_eq!(
            verdict(s.policy(), &s.keys, &token),
            Some(ErrorCode::InvalidIssuer),
            "{iss:?}"
        );
    }
}

#[test]
fn audience_string_or_array_semantics() {
    let s = Sample::load();
    let cases = [
        (
            json!("https://other-api.example"),
            Some(ErrorCode::InvalidAudience),
        ),
        (
            json!(["https://other-api.example"]),
            Some(ErrorCode::InvalidAudience),
        ),
        (json!(["*"]), Some(ErrorCode::InvalidAudience)),
        (
            json!(format!("{ISSUER}/")),
            Some(ErrorCode::InvalidAudience),
        ),
        (json!([ISSUER, "https://other-api.example"]), ACCEPT),
        (json!(["https://other-api.example", ISSUER]), ACCEPT),
    ];
    for (aud, expected) in cases {
        let token = s.signed_with(|_, c| {
            c.insert("aud".into(), aud.clone());
        });
        assert_eq!(verdict(s.policy(), &s.keys, &token), expected, "{aud}");
    }
}

// --- precedence: the first failing step decides ----------------------------------------------------

rule!(bad_signature_wins_over_expiry, SIG, |s| {
    let expired = s.signed_with(|_, c| {
        c.insert("exp".into(), json!(NOW - 3600));
    });
    flip_sig_byte(&expired, 10)
});
rule!(unknown_kid_wins_over_bad_signature, KID, |s| {
    let t = s.signed_with(|h, _| {
        h.insert("kid".into(), json!("nope"));
    });
    flip_sig_byte(&t, 10)
});
rule!(
    issued_in_future_wins_over_wrong_issuer,
    Some(ErrorCode::TokenIssuedInFuture),
    |s| s.signed_with(|_, c| {
        c.insert("iat".into(), json!(NOW + 3600));
        c.insert("exp".into(), json!(NOW + 4500));
        c.insert("iss".into(), json!("https://evil.example"));
    })
);
rule!(
    expired_wins_over_wrong_audience,
    Some(ErrorCode::TokenExpired),
    |s| s.signed_with(|_, c| {
        c.insert("exp".into(), json!(NOW - 3600));
        c.insert("aud".into(), json!("https://other-api.example"));
    })
);

// --- key import ---------------------------------------------------------------------------------

#[test]
fn public_key_sets_with_private_or_symmetric_material_are_refused_whole() {
    let with_d = json!({"keys": [sample_jwk(json!({"d": "AAAA"}))]}).to_string();
    assert!(matches!(
        KeySet::from_public_jwks(with_d.as_bytes()),
        Err(KeySetError::PrivateMaterial { index: 0, .. })
    ));
    let oct = json!({"keys": [sample_jwk(json!({})), {"kty": "oct", "k": "c2VjcmV0"}]}).to_string();
    assert!(matches!(
        KeySet::from_public_jwks(oct.as_bytes()),
        Err(KeySetError::SymmetricKeyInPublicSet { index: 1 })
    ));
}

#[test]
fn weak_or_malformed_keys_are_ignored_with_a_reason() {
    let identity = base64url::encode({
        let mut b = [0u8; 32];
        b[0] = 1;
        b
    });
    let cases = [
        (json!({"x": identity}), "small order"),
        (json!({"x": base64url::encode([9u8; 31])}), "bytes"),
        (json!({"crv": "X25519"}), "unsupported curve"),
        (json!({"alg": "ES256"}), "cannot be used"),
    ];
    for (edit, reason) in cases {
        let doc = json!({"keys": [sample_jwk(edit.clone()), sample_jwk(json!({"kid": "second"}))]});
        let keys = KeySet::from_public_jwks(doc.to_string().as_bytes()).unwrap();
        assert_eq!(keys.keys().len(), 1, "{edit}");
        assert_eq!(keys.ignored().len(), 1);
        let text = keys.ignored()[0].to_string();
        assert!(text.contains(reason), "{text:?} should mention {reason:?}");
    }
    let all_bad = json!({"keys": [sample_jwk(json!({"x": identity}))]});
    assert!(matches!(
        KeySet::from_public_jwks(all_bad.to_string().as_bytes()),
        Err(KeySetError::NoUsableKey { .. })
    ));
}

#[test]
fn rsa_keys_below_2048_bits_are_refused() {
    let jwk = json!({"kty": "RSA", "n": base64url::encode([0xC3u8; 128]), "e": "AQAB"});
    assert!(matches!(
        Key::from_public_jwk(jwk.as_object().unwrap()),
        Err(KeyError::RsaTooSmall { bits: 1024 })
    ));
    let e1 = json!({"kty": "RSA", "n": base64url::encode([0xC3u8; 256]), "e": "AQ"});
    assert_eq!(
        Key::from_public_jwk(e1.as_object().unwrap()).unwrap_err(),
        KeyError::RsaBadExponent
    );
}

#[test]
fn ec_points_must_be_on_the_curve_with_exact_coordinate_lengths() {
    let key = SigningKey::generate(KeyFamily::Ec(authprobe::algorithm::Curve::P256)).unwrap();
    let good = key.public_jwk(Some("ec"), Some(Algorithm::ES256));
    assert!(Key::from_public_jwk(&good).is_ok());
    let mut off_curve = good.clone();
    let mut y = base64url::decode(good["y"].as_str().unwrap().as_bytes()).unwrap();
    y[31] ^= 1;
    off_curve.insert("y".into(), base64url::encode(&y).into());
    assert_eq!(
        Key::from_public_jwk(&off_curve).unwrap_err(),
        KeyError::InvalidPoint
    );
    let mut short = good.clone();
    short.insert(
        "x".into(),
        base64url::encode(&base64url::decode(good["x"].as_str().unwrap().as_bytes()).unwrap()[1..])
            .into(),
    );
    assert!(matches!(
        Key::from_public_jwk(&short),
        Err(KeyError::WrongLength { .. })
    ));
}
