//! The bundled sample token has exactly the shape Better Auth 1.7 mints (BETTER-AUTH.md §1), is
//! reproducible from its generator, validates under the Better Auth profile, and each single
//! tampering a reviewer would try yields its own contract code. The cases mirror the PyJWT and
//! Better Auth verify matrices observed on a real deployment (better-auth-transcripts.md).

mod common;

use authprobe::algorithm::Algorithm;
use authprobe::sign::{sign_compact, SigningKey};
use authprobe::validate::FixedClock;
use authprobe::{base64url, ErrorCode, Token};
use common::{fixture, Sample, ISSUER, NOW};
use serde_json::{json, Value};

#[test]
fn fixture_is_reproducible_from_its_generator_inputs() {
    let s = Sample::load();
    let resigned = s.sign_raw(
        fixture("better-auth/header.json").as_bytes(),
        fixture("better-auth/claims.json").as_bytes(),
    );
    assert_eq!(
        resigned, s.token,
        "Ed25519 is deterministic: re-signing must give the fixture"
    );
}

#[test]
fn fixture_has_the_better_auth_shape() {
    let s = Sample::load();
    let token = Token::parse(&s.token).unwrap();
    let header: Vec<&str> = token.header().keys().map(String::as_str).collect();
    assert_eq!(header, ["alg", "kid"], "no typ, like Better Auth");
    let kid = token.kid().unwrap();
    assert!(kid.len() == 32 && kid.bytes().all(|b| b.is_ascii_alphanumeric()));
    let claims = token.unverified_claims(16).unwrap();
    let names: Vec<&str> = claims.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "iat",
            "name",
            "email",
            "emailVerified",
            "image",
            "createdAt",
            "updatedAt",
            "id",
            "sub",
            "exp",
            "iss",
            "aud"
        ]
    );
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        900
    );
    assert_eq!(claims["iss"], ISSUER);
    assert_eq!(claims["aud"], ISSUER);
    assert_eq!(claims["sub"], claims["id"]);
    // The key set is published as Better Auth does: these members, this order, no `use`.
    let jwks: Value = serde_json::from_str(&s.jwks).unwrap();
    let members: Vec<&str> = jwks["keys"][0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(members, ["alg", "crv", "x", "kty", "kid"]);
    assert_eq!(jwks["keys"][0]["kid"], kid);
}

#[test]
fn sample_validates_throughout_its_lifetime_and_not_after() {
    let s = Sample::load();
    let v = s.validator();
    let at = |t: i64| {
        v.validate(s.token.as_bytes(), &s.keys, &FixedClock(t))
            .map(|_| ())
            .map_err(|r| r.code())
    };
    assert_eq!(at(1_795_690_624), Ok(()), "at iat");
    assert_eq!(at(NOW), Ok(()));
    assert_eq!(at(1_795_691_524 + 29), Ok(()), "inside the 30 s leeway");
    assert_eq!(at(1_795_691_524 + 30), Err(ErrorCode::TokenExpired));
    assert_eq!(at(1_795_690_624 - 31), Err(ErrorCode::TokenIssuedInFuture));
    let verified = v.validate(s.token.as_bytes(), &s.keys, &s.clock()).unwrap();
    assert_eq!(verified.claims()["email"], "alice@example.com");
    assert_eq!(verified.alg, Algorithm::EdDSA);
}

fn segments(t: &str) -> (String, String, String) {
    let p: Vec<&str> = t.split('.').collect();
    (p[0].into(), p[1].into(), p[2].into())
}

#[test]
fn each_single_tampering_yields_its_code() {
    let s = Sample::load();
    let (h, p, sig) = segments(&s.token);
    let set = |name: &'static str, v: Value| {
        s.signed_with(move |_, c| {
            c.insert(name.into(), v);
        })
    };
    let drop_claim = |name: &'static str| {
        s.signed_with(move |_, c| {
            c.remove(name);
        })
    };
    let flip_middle = {
        let mut chars: Vec<char> = sig.chars().collect();
        chars[40] = if chars[40] == 'A' { 'B' } else { 'A' };
        chars.into_iter().collect::<String>()
    };
    let padding_bits_only = {
        let last = sig.chars().last().unwrap();
        let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let i = alphabet.find(last).unwrap();
        format!("{}{}", &sig[..sig.len() - 1], &alphabet[i ^ 1..(i ^ 1) + 1])
    };
    let truncated = sig[..sig.len() - 4].to_owned();
    let truncated_code = if base64url::decode(truncated.as_bytes()).is_ok() {
        ErrorCode::InvalidSignature
    } else {
        ErrorCode::MalformedToken
    };
    let forged_claims =
        base64url::encode(fixture("better-auth/claims.json").replace("Alice", "Mallory"));
    let x = base64url::decode(
        serde_json::from_str::<Value>(&s.jwks).unwrap()["keys"][0]["x"]
            .as_str()
            .unwrap()
            .as_bytes(),
    )
    .unwrap();
    let hs256_with_public_x = sign_compact(
        format!(
            r#"{{"alg":"HS256","kid":"{}"}}"#,
            Token::parse(&s.token).unwrap().kid().unwrap()
        )
        .as_bytes(),
        fixture("better-auth/claims.json").as_bytes(),
        &SigningKey::hmac(&x),
        Algorithm::HS256,
    )
    .unwrap();
    let none = format!(
        "{}.{p}.",
        base64url::encode(r#"{"alg":"none","kid":"k7QwZp2LxR9vTmN4bYc8HsJd3FgEa6Uu"}"#)
    );

    use ErrorCode::*;
    let cases: Vec<(&str, String, Option<ErrorCode>)> = vec![
        ("untouched", s.token.clone(), None),
        (
            "aud array containing ours",
            set("aud", json!([ISSUER, "https://other-api.example"])),
            None,
        ),
        (
            "payload edited, signature kept",
            format!("{h}.{forged_claims}.{sig}"),
            Some(InvalidSignature),
        ),
        (
            "signature middle character changed",
            format!("{h}.{p}.{flip_middle}"),
            Some(InvalidSignature),
        ),
        (
            "signature last character, padding bits only",
            format!("{h}.{p}.{padding_bits_only}"),
            Some(MalformedToken),
        ),
        (
            "signature truncated by 4 characters",
            format!("{h}.{p}.{truncated}"),
            Some(truncated_code),
        ),
        (
            "expired 60 s ago",
            set("exp", json!(NOW - 60 - 30)),
            Some(TokenExpired),
        ),
        (
            "wrong audience",
            set("aud", json!("https://other-api.example")),
            Some(InvalidAudience),
        ),
        (
            "wrong issuer",
            set("iss", json!("http://127.0.0.1:3001")),
            Some(InvalidIssuer),
        ),
        (
            "issuer from a spoofed Host header",
            set("iss", json!("https://evil.example")),
            Some(InvalidIssuer),
        ),
        (
            "iat one hour in the future",
            set("iat", json!(NOW + 3600)),
            Some(TokenIssuedInFuture),
        ),
        (
            "nbf in the future",
            set("nbf", json!(NOW + 3600)),
            Some(TokenNotYetValid),
        ),
        ("sub missing", drop_claim("sub"), Some(InvalidClaim)),
        ("exp missing", drop_claim("exp"), Some(InvalidClaim)),
        (
            "iat missing (auth.api.signJWT default)",
            drop_claim("iat"),
            Some(InvalidClaim),
        ),
        (
            "unknown kid",
            s.signed_with(|h, _| {
                h.insert("kid".into(), json!("unknown-kid-123"));
            }),
            Some(UnknownKeyId),
        ),
        (
            "no kid",
            s.signed_with(|h, _| {
                h.remove("kid");
            }),
            Some(UnknownKeyId),
        ),
        ("alg none", none, Some(AlgorithmNotAllowed)),
        (
            "HS256 keyed with the public x",
            hs256_with_public_x,
            Some(AlgorithmNotAllowed),
        ),
        ("one segment", "not-a-jwt".into(), Some(MalformedToken)),
        ("two segments", "abc.def".into(), Some(MalformedToken)),
        ("garbage base64", "!!!.@@@.###".into(), Some(MalformedToken)),
        (
            "opaque session token",
            "dFnROokw5hsnVcxfxDzYjPQ7THvYpogL".into(),
            Some(MalformedToken),
        ),
    ];
    let v = s.validator();
    for (name, token, expected) in cases {
        let got = v
            .validate(token.as_bytes(), &s.keys, &s.clock())
            .err()
            .map(|r| r.code());
        assert_eq!(got, expected, "{name}");
    }
}
