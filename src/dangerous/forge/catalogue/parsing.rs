//! Group G: parsing, encoding and serialization differentials.

use super::*;
use crate::base64url;
use crate::dangerous::forge::{Delivery, Forger};

pub(super) fn cases() -> Vec<Case> {
    vec![
        case("G01", "json-dup-header", "duplicate header member names", Severity::Critical, Mode::BlackBox,
            "reject", &["RFC 7515 §4", "RFC 8725 §2.6"], g01),
        case("G02", "json-dup-claims", "duplicate claim names", Severity::High, Mode::BlackBox,
            "reject (or the same last-wins everywhere)", &["RFC 7519 §4", "RFC 8725 §2.6"], g02),
        case("G03", "json-lenient-syntax", "JSON outside RFC 8259", Severity::Medium, Mode::BlackBox,
            "reject invalid JSON", &["RFC 8259", "RFC 8725 §2.6"], g03),
        case("G04", "jws-json-where-compact", "JSON serialization or polyglot where compact is expected", Severity::Critical, Mode::BlackBox,
            "reject", &["CVE-2022-39227", "CVE-2024-5037"], g04),
        case("G05", "jws-multi-signature", "general JSON serialization with several signatures", Severity::High, Mode::BlackBox,
            "reject", &["CVE-2016-9122", "RFC 7515 §7.2"], g05),
        case("G06", "unicode-claims", "normalisation and homoglyphs in iss/aud", Severity::High, Mode::IssuerKey,
            "byte-exact comparison", &["RFC 8725 §3.7"], g06),
        case("G07", "invalid-utf8", "invalid UTF-8 in header or claims", Severity::Medium, Mode::BlackBox,
            "reject", &["RFC 8725 §3.7", "RFC 7519 §7.2"], g07),
        case("G08", "non-object-claims", "claims that are not a JSON object", Severity::Medium, Mode::BlackBox,
            "reject", &["RFC 7519 §7.2"], g08),
        case("G09", "token-location-ambiguity", "several or ambiguous credentials", Severity::Medium, Mode::BlackBox,
            "reject ambiguity", &["RFC 6750 §2.1"], g09),
        not_a_token("G10", "split-brain", "gateway and backend disagree", Severity::High,
            &["CVE-2025-59420"],
            "a differential comparison of two verifiers, not a token: `authprobe fuzz` compares the backend with the reference validator on generated tokens"),
    ]
}

/// A textual rewrite of a JSON document.
type Rewrite = fn(&str) -> String;
/// A rewrite of a JSON document into raw bytes.
type ByteRewrite = fn(&str) -> Vec<u8>;

fn g01(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    let alg = format!("\"{}\"", input.base_alg());
    let mut h = f.header();
    h.prepend("alg", "\"none\"");
    out.code(
        "alg none first, real alg last",
        f.with_header(h.as_str()),
        MalformedToken,
        Touches::HEADER,
    );
    let mut h = f.header();
    h.append("alg", "\"none\"");
    out.code(
        "real alg first, alg none last",
        f.with_header(h.as_str()),
        MalformedToken,
        Touches::HEADER,
    );
    let mut h = f.header();
    h.append("alg", &alg);
    out.code(
        "alg repeated with the same value",
        f.with_header(h.as_str()),
        MalformedToken,
        Touches::HEADER,
    );
    let mut h = f.header();
    h.append("kid", "\"authprobe-other\"");
    out.code(
        "kid repeated",
        f.with_header(h.as_str()),
        MalformedToken,
        Touches::HEADER,
    );
    let mut h = f.header();
    h.append("typ", "\"JWT\"").append("typ", "\"at+jwt\"");
    out.code(
        "typ repeated",
        f.with_header(h.as_str()),
        MalformedToken,
        Touches::HEADER,
    );
}

fn g02(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    for (name, value) in [
        ("role", "\"admin\""),
        ("sub", "\"admin\""),
        ("aud", "\"https://other.example\""),
        ("exp", "9999999999"),
    ] {
        let mut p = f.payload();
        if p.get(name).is_none() {
            p.append(name, "\"user\"");
        }
        p.append(name, value);
        out.code(
            format!("{name} repeated, original signature"),
            f.with_payload(p.as_str()),
            MalformedToken,
            Touches::PAYLOAD,
        );
        if let Some(key) = input.issuer_key {
            out.code(
                format!("{name} repeated, signed by the issuer"),
                f.signed_payload(p.as_str().as_bytes(), key, input.base_alg()),
                MalformedToken,
                Touches::PAYLOAD_SIGNATURE,
            );
        }
    }
}

fn g03(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    let header = f.header().into_string();
    let payload = f.payload().into_string();
    let quirks: Vec<(&str, Rewrite)> = vec![
        ("byte order mark", |j| format!("\u{FEFF}{j}")),
        ("trailing comma", |j| format!("{},}}", &j[..j.len() - 1])),
        ("comment", |j| format!("{{/*c*/{}", &j[1..])),
        ("single-quoted member", |j| format!("{{'x':1,{}", &j[1..])),
        ("NaN", |j| format!("{{\"x\":NaN,{}", &j[1..])),
        ("Infinity", |j| format!("{{\"x\":Infinity,{}", &j[1..])),
        ("leading zeros", |j| format!("{{\"x\":007,{}", &j[1..])),
        ("raw control character", |j| {
            format!("{{\"x\":\"a\u{1}b\",{}", &j[1..])
        }),
        ("lone surrogate escape", |j| {
            format!("{{\"x\":\"\\ud800\",{}", &j[1..])
        }),
        ("text after the object", |j| format!("{j}x")),
    ];
    for (label, quirk) in quirks {
        out.code(
            format!("header with {label}"),
            f.with_header(quirk(&header)),
            MalformedToken,
            Touches::HEADER,
        );
        out.code(
            format!("payload with {label}"),
            f.with_payload(quirk(&payload)),
            MalformedToken,
            Touches::PAYLOAD,
        );
    }
}

fn g04(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    let flattened = serde_json::json!({"protected": f.header_b64(), "payload": f.payload_b64(), "signature": f.signature_b64()});
    out.code(
        "flattened JSON serialization of the valid token",
        flattened.to_string(),
        MalformedToken,
        Touches::STRUCTURE,
    );
    let general = serde_json::json!({"payload": f.payload_b64(), "signatures": [{"protected": f.header_b64(), "signature": f.signature_b64()}]});
    out.code(
        "general JSON serialization of the valid token",
        general.to_string(),
        MalformedToken,
        Touches::STRUCTURE,
    );
    let forged_payload = base64url::encode(r#"{"sub":"admin","role":"admin"}"#);
    let polyglot = format!("{{\"{}\":\"\",\"protected\":\"{}\",\"payload\":\"{forged_payload}\",\"signature\":\"{}\"}}",
        input.base.as_str(), f.header_b64(), f.signature_b64());
    out.code(
        "JSON wrapper holding the valid compact token plus a forged payload",
        polyglot,
        MalformedToken,
        Touches::STRUCTURE,
    );
}

fn g05(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    let general = serde_json::json!({"payload": f.payload_b64(), "signatures": [
        {"protected": base64url::encode(r#"{"alg":"none"}"#), "signature": ""},
        {"protected": f.header_b64(), "signature": f.signature_b64()},
    ]});
    out.code(
        "two signatures: alg none and the real one",
        general.to_string(),
        MalformedToken,
        Touches::STRUCTURE,
    );
}

fn g06(input: &ForgeInput<'_>, out: &mut Out) {
    let Some(key) = input.issuer_key else { return };
    let f = Forger::new(input.base);
    let claims = input.base.unverified_claims(16).unwrap_or_default();
    for (name, code) in [("iss", InvalidIssuer), ("aud", InvalidAudience)] {
        let Some(value) = claims.get(name).and_then(|v| v.as_str()) else {
            continue;
        };
        let fullwidth: String = value
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    char::from_u32(c as u32 + 0xFEE0).unwrap_or(c)
                } else {
                    c
                }
            })
            .collect();
        for (label, variant) in [
            ("fullwidth letters", fullwidth),
            ("zero-width space appended", format!("{value}\u{200B}")),
            ("combining accent appended", format!("{value}\u{0301}")),
            ("upper case", value.to_uppercase()),
            ("embedded NUL", format!("{value}\u{0}")),
        ] {
            if variant == value {
                continue;
            }
            let mut p = f.payload();
            p.set(
                name,
                &serde_json::to_string(&variant).expect("strings serialize"),
            );
            out.code(
                format!("{name} with {label}, signed by the issuer"),
                f.signed_payload(p.as_str().as_bytes(), key, input.base_alg()),
                code,
                Touches::PAYLOAD_SIGNATURE,
            );
        }
    }
}

fn g07(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    let header = f.header().into_string();
    let payload = f.payload().into_string();
    let variants: [(&str, ByteRewrite); 3] = [
        ("an overlong encoding of '/'", |j| {
            [&b"{\"x\":\"\xC0\xAF\","[..], &j.as_bytes()[1..]].concat()
        }),
        ("a UTF-16 byte order mark", |j| {
            [&b"\xFF\xFE"[..], j.as_bytes()].concat()
        }),
        ("an invalid byte", |j| {
            [&b"{\"x\":\"\xFF\","[..], &j.as_bytes()[1..]].concat()
        }),
    ];
    for (label, make) in variants {
        out.code(
            format!("header with {label}"),
            f.with_header(make(&header)),
            MalformedToken,
            Touches::HEADER,
        );
        out.code(
            format!("payload with {label}"),
            f.with_payload(make(&payload)),
            MalformedToken,
            Touches::PAYLOAD,
        );
    }
}

fn g08(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    for payload in [&b"[]"[..], b"\"sub\"", b"1", b"null", b"not json"] {
        out.code(
            format!("payload {}", String::from_utf8_lossy(payload)),
            f.with_payload(payload),
            MalformedToken,
            Touches::PAYLOAD,
        );
        if let Some(key) = input.issuer_key {
            out.code(
                format!(
                    "payload {}, signed by the issuer",
                    String::from_utf8_lossy(payload)
                ),
                f.signed_payload(payload, key, input.base_alg()),
                MalformedToken,
                Touches::PAYLOAD_SIGNATURE,
            );
        }
    }
}

fn g09(input: &ForgeInput<'_>, out: &mut Out) {
    let valid = input.base.as_str().to_owned();
    let headers = |values: Vec<String>| Delivery::AuthorizationHeaders { values };
    for (label, values, code) in [
        (
            "two Authorization headers with the valid token",
            vec![format!("Bearer {valid}"), format!("Bearer {valid}")],
            MalformedAuthorization,
        ),
        (
            "valid and garbage tokens comma-joined in one header",
            vec![format!("Bearer {valid}, Bearer garbage")],
            MalformedAuthorization,
        ),
        (
            "two tokens in one Bearer credential",
            vec![format!("Bearer {valid} {valid}")],
            MalformedAuthorization,
        ),
        (
            "the token under the Basic scheme",
            vec![format!("Basic {valid}")],
            MissingToken,
        ),
        (
            "the token with no scheme",
            vec![valid.clone()],
            MissingToken,
        ),
        (
            "Bearer with no token",
            vec!["Bearer".to_owned()],
            MalformedAuthorization,
        ),
    ] {
        out.delivered(label, valid.clone(), code, headers(values));
    }
}
