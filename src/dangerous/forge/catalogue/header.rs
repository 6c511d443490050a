//! Group F: header semantics (`crit`, `b64`, `typ`, `cty`, `zip`, unprotected headers).

use super::*;
use crate::base64url;
use crate::dangerous::forge::Forger;

pub(super) fn cases() -> Vec<Case> {
    vec![
        case(
            "F01",
            "crit-unknown",
            "must-understand extension ignored",
            Severity::High,
            Mode::BlackBox,
            "reject",
            &["CVE-2025-59420", "CVE-2026-35042", "RFC 7515 §4.1.11"],
            f01,
        ),
        case(
            "F02",
            "crit-malformed",
            "malformed crit",
            Severity::Medium,
            Mode::BlackBox,
            "reject",
            &["RFC 7515 §4.1.11"],
            f02,
        ),
        case(
            "F03",
            "b64-without-crit",
            "unencoded payload without crit",
            Severity::High,
            Mode::BlackBox,
            "reject",
            &["RFC 7797 §6"],
            f03,
        ),
        case(
            "F04",
            "b64-unsupported",
            "unencoded payload option",
            Severity::High,
            Mode::BlackBox,
            "reject",
            &["RFC 7797"],
            f04,
        ),
        case(
            "F05",
            "typ-explicit-typing",
            "token type not enforced",
            Severity::Medium,
            Mode::BlackBox,
            "reject types the endpoint does not expect",
            &["RFC 8725 §3.11", "RFC 9068 §2.1", "RFC 9449"],
            f05,
        ),
        case(
            "F06",
            "cty-nested-jwt",
            "only one layer of a nested JWT verified",
            Severity::High,
            Mode::BlackBox,
            "reject unless every layer verifies",
            &["RFC 7519 §5.2", "RFC 8725 §3.3"],
            f06,
        ),
        case(
            "F07",
            "cty-deserialisation",
            "payload interpreted by cty",
            Severity::Medium,
            Mode::BlackBox,
            "ignore cty or reject; never deserialise by it",
            &["RFC 7515 §4.1.10"],
            f07,
        ),
        case(
            "F08",
            "zip-in-jws",
            "zip honoured on a JWS",
            Severity::Medium,
            Mode::BlackBox,
            "reject: zip is JWE-only",
            &["RFC 7516 §4.1.3"],
            f08,
        ),
        case(
            "F09",
            "unprotected-header-override",
            "unprotected header members trusted",
            Severity::High,
            Mode::BlackBox,
            "reject: compact serialization only",
            &["RFC 7515 §7.2"],
            f09,
        ),
        case(
            "F10",
            "header-extra-members",
            "unknown header members influence behaviour",
            Severity::Medium,
            Mode::BlackBox,
            "reject, never fetch",
            &["RFC 7515 §4"],
            f10,
        ),
    ]
}

fn f01(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    let mut h = f.header();
    h.set("crit", r#"["x-policy"]"#)
        .set("x-policy", r#""require-mfa""#);
    out.code(
        "crit [x-policy], signed by an attacker key",
        f.signed_header(
            h.as_str(),
            input.attacker.for_alg(input.base_alg()),
            input.base_alg(),
        ),
        ForbiddenHeaderParameter,
        Touches::HEADER_SIGNATURE,
    );
    out.code(
        "crit [x-policy], original signature",
        f.with_header(h.as_str()),
        ForbiddenHeaderParameter,
        Touches::HEADER,
    );
    if let Some(key) = input.issuer_key {
        out.code(
            "crit [x-policy], signed by the issuer",
            f.signed_header(h.as_str(), key, input.base_alg()),
            ForbiddenHeaderParameter,
            Touches::HEADER_SIGNATURE,
        );
    }
}

fn f02(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    for (label, crit) in [
        ("empty array", "[]"),
        ("naming a registered parameter", r#"["alg"]"#),
        ("naming an absent member", r#"["x-absent"]"#),
        ("not an array", r#""x-policy""#),
        // joserfc 1.8.0 iterates over it before any signature check: TypeError, HTTP 500.
        ("null", "null"),
        ("listing a name twice", r#"["x-p","x-p"]"#),
    ] {
        let mut h = f.header();
        h.set("crit", crit).set("x-p", "1");
        out.code(
            format!("crit {label}"),
            f.with_header(h.as_str()),
            ForbiddenHeaderParameter,
            Touches::HEADER,
        );
    }
}

fn f03(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    let mut h = f.header();
    h.set("b64", "false");
    let header_b64 = base64url::encode(h.as_str());
    // RFC 7797: the signature covers the raw payload bytes; sent here with the payload still
    // base64url-encoded in the token so that only the header rule can refuse it.
    let signing_input = [header_b64.as_bytes(), b".", input.base.payload()].concat();
    let alg = input.base_alg();
    let sig = input
        .attacker
        .for_alg(alg)
        .sign(alg, &signing_input)
        .unwrap_or_default();
    out.code(
        "b64 false without crit, signature over the raw payload",
        Forger::join(&header_b64, f.payload_b64(), &base64url::encode(sig)),
        ForbiddenHeaderParameter,
        Touches::HEADER_SIGNATURE,
    );
}

fn f04(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    let mut h = f.header();
    h.set("b64", "false").set("crit", r#"["b64"]"#);
    out.code(
        "b64 false with crit [b64], original signature",
        f.with_header(h.as_str()),
        ForbiddenHeaderParameter,
        Touches::HEADER,
    );
    out.code(
        "b64 false with crit [b64], detached (empty) payload",
        Forger::join(&base64url::encode(h.as_str()), "", f.signature_b64()),
        MalformedToken,
        Touches::new(true, true, false),
    );
}

fn f05(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    for typ in [
        "at+jwt",
        "dpop+jwt",
        "logout+jwt",
        "secevent+jwt",
        "application/at+jwt",
        "JWT\\u0000",
        "JWS",
        "id_token",
    ] {
        let mut h = f.header();
        h.set("typ", &format!("\"{typ}\""));
        out.code(
            format!("typ {typ}, original signature"),
            f.with_header(h.as_str()),
            InvalidTokenType,
            Touches::HEADER,
        );
    }
    if let Some(key) = input.issuer_key {
        let mut h = f.header();
        h.set("typ", "\"dpop+jwt\"");
        out.code(
            "typ dpop+jwt, signed by the issuer",
            f.signed_header(h.as_str(), key, input.base_alg()),
            InvalidTokenType,
            Touches::HEADER_SIGNATURE,
        );
    }
}

fn f06(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    let inner_none = format!(
        "{}.{}.",
        base64url::encode(r#"{"alg":"none"}"#),
        f.payload_b64()
    );
    let mut h = f.header();
    h.set("cty", "\"JWT\"");
    out.code(
        "outer cty JWT around an inner alg none token, outer signed by an attacker key",
        f.signed_raw(
            h.as_str().as_bytes(),
            Some(inner_none.as_bytes()),
            input.attacker.for_alg(input.base_alg()),
            input.base_alg(),
        ),
        MalformedToken,
        Touches::ALL,
    );
    let outer_none = Forger::join(
        &base64url::encode(r#"{"alg":"none","cty":"JWT"}"#),
        &base64url::encode(&inner_none),
        "",
    );
    out.code(
        "outer none around inner none",
        outer_none,
        MalformedToken,
        Touches::ALL,
    );
    out.code(
        "outer cty JWT around the original token, outer signature empty",
        Forger::join(
            &base64url::encode(h.as_str()),
            &base64url::encode(input.base.as_str()),
            "",
        ),
        MalformedToken,
        Touches::ALL,
    );
}

fn f07(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    for cty in [
        "application/x-java-serialized-object",
        "text/xml",
        "application/json+x-jackson-smile",
    ] {
        let mut h = f.header();
        h.set("cty", &format!("\"{cty}\""));
        out.code(
            format!("cty {cty}, original signature"),
            f.with_header(h.as_str()),
            InvalidSignature,
            Touches::HEADER,
        );
    }
}

fn f08(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    for zip in [r#""DEF""#, r#""GZIP""#, r#""""#, "null", r#"["DEF"]"#] {
        let mut h = f.header();
        h.set("zip", zip);
        out.code(
            format!("zip {zip}"),
            f.with_header(h.as_str()),
            ForbiddenHeaderParameter,
            Touches::HEADER,
        );
    }
}

fn f09(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    let flattened = serde_json::json!({
        "protected": f.header_b64(), "header": {"alg": "none"},
        "payload": f.payload_b64(), "signature": f.signature_b64(),
    });
    out.code(
        "flattened JSON JWS with an unprotected alg none",
        flattened.to_string(),
        MalformedToken,
        Touches::STRUCTURE,
    );
    let jku_only = serde_json::json!({
        "protected": f.header_b64(), "header": {"jku": input.oob_url("/oob/F09/jwks.json")},
        "payload": f.payload_b64(), "signature": f.signature_b64(),
    });
    out.code(
        "flattened JSON JWS with jku only in the unprotected header",
        jku_only.to_string(),
        MalformedToken,
        Touches::STRUCTURE,
    );
}

fn f10(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    for (member, value, code) in [
        (
            "x5u",
            format!("\"{}\"", input.oob_url("/oob/F10/x5u")),
            ForbiddenHeaderParameter,
        ),
        (
            "jku",
            format!("\"{}\"", input.oob_url("/oob/F10/jku")),
            ForbiddenHeaderParameter,
        ),
        ("kid", "\"authprobe-other-kid\"".to_owned(), UnknownKeyId),
        ("typ", "\"JWT\"".to_owned(), InvalidSignature),
        ("admin", "true".to_owned(), InvalidSignature),
    ] {
        let mut h = f.header();
        h.set(member, &value);
        out.code(
            format!("header {member} = {value}, original signature"),
            f.with_header(h.as_str()),
            code,
            Touches::HEADER,
        );
    }
}
