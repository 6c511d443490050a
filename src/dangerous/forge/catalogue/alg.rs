//! Group B: `alg` handling.

use super::*;
use crate::algorithm::Algorithm;
use crate::dangerous::forge::Forger;

pub(super) fn cases() -> Vec<Case> {
    vec![
        case(
            "B01",
            "alg-none",
            "unsigned tokens",
            Severity::Critical,
            Mode::BlackBox,
            "reject: none is never accepted",
            &["CVE-2022-23540", "CVE-2015-2951", "RFC 8725 §3.1"],
            b01,
        ),
        case(
            "B02",
            "alg-none-case",
            "case-insensitive none",
            Severity::Critical,
            Mode::BlackBox,
            "reject: alg is case-sensitive",
            &["RFC 7515 §4.1.1"],
            b02,
        ),
        case(
            "B03",
            "alg-none-keep-sig",
            "none honoured while a signature is present",
            Severity::Critical,
            Mode::BlackBox,
            "reject",
            &["RFC 7518 §3.6"],
            b03,
        ),
        case(
            "B04",
            "alg-missing-or-empty",
            "default-algorithm fallback",
            Severity::High,
            Mode::BlackBox,
            "reject, never 5xx",
            &["RFC 7515 §4.1.1"],
            b04,
        ),
        case(
            "B05",
            "alg-type-confusion",
            "non-string alg",
            Severity::High,
            Mode::BlackBox,
            "reject as malformed",
            &["RFC 7515 §4.1.1"],
            b05,
        ),
        case(
            "B06",
            "alg-normalisation",
            "trimmed, lower-cased or NUL-suffixed alg",
            Severity::High,
            Mode::BlackBox,
            "reject: exact match only",
            &["RFC 7515 §4.1.1"],
            b06,
        ),
        case(
            "B07",
            "alg-unknown",
            "unknown alg with an empty signature",
            Severity::High,
            Mode::BlackBox,
            "reject",
            &["RFC 8725 §3.1"],
            b07,
        ),
        case(
            "B08",
            "alg-family-swap",
            "verifier chosen from the header",
            Severity::High,
            Mode::BlackBox,
            "reject with the same error as a bad signature or a refused algorithm, no 500",
            &["RFC 8725 §3.1"],
            b08,
        ),
        case(
            "B09",
            "alg-outside-allowlist",
            "trusted key, algorithm the policy does not allow",
            Severity::High,
            Mode::IssuerKey,
            "reject: the allowlist is enforced",
            &["CVE-2026-48523", "RFC 8725 §3.1"],
            b09,
        ),
        case(
            "B10",
            "alg-vs-jwk-alg",
            "key's own alg ignored",
            Severity::High,
            Mode::IssuerKey,
            "reject: each key is used with exactly one algorithm",
            &["RFC 8725 §3.1", "RFC 7517 §4.4"],
            b10,
        ),
    ]
}

fn none_header(f: &Forger<'_>, alg: &str) -> String {
    let mut h = f.header();
    h.set(
        "alg",
        &serde_json::to_string(alg).expect("strings serialize"),
    );
    h.into_string()
}

fn b01(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    let h = none_header(&f, "none");
    out.code(
        "alg none, other header members kept, empty signature",
        Forger::join(&crate::base64url::encode(&h), f.payload_b64(), ""),
        AlgorithmNotAllowed,
        Touches::HEADER_SIGNATURE,
    );
    out.code(
        "header {\"alg\":\"none\"} only, empty signature",
        Forger::join(
            &crate::base64url::encode(r#"{"alg":"none"}"#),
            f.payload_b64(),
            "",
        ),
        AlgorithmNotAllowed,
        Touches::HEADER_SIGNATURE,
    );
    // A key resolver that answers nothing for an unknown kid, under a library that then falls
    // back to `none` when no algorithms are configured (CVE-2022-23540, jsonwebtoken ≤ 8.5.1).
    let mut h = f.header();
    h.set("alg", "\"none\"");
    h.set("kid", "\"authprobe-unknown-kid\"");
    out.code(
        "alg none with an unknown kid, empty signature",
        Forger::join(&crate::base64url::encode(h.as_str()), f.payload_b64(), ""),
        AlgorithmNotAllowed,
        Touches::HEADER_SIGNATURE,
    );
    let mut h = f.header();
    h.set("alg", "\"none\"");
    h.append("typ", "\"JWT\"");
    out.code(
        "alg none with typ JWT, empty signature",
        Forger::join(&crate::base64url::encode(h.as_str()), f.payload_b64(), ""),
        AlgorithmNotAllowed,
        Touches::HEADER_SIGNATURE,
    );
}

fn b02(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    for spelling in ["None", "NONE", "nOnE", "NonE"] {
        let h = none_header(&f, spelling);
        out.code(
            format!("alg {spelling}, empty signature"),
            Forger::join(&crate::base64url::encode(&h), f.payload_b64(), ""),
            AlgorithmNotAllowed,
            Touches::HEADER_SIGNATURE,
        );
    }
}

fn b03(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    let h = crate::base64url::encode(none_header(&f, "none"));
    out.code(
        "alg none with the original signature",
        Forger::join(&h, f.payload_b64(), f.signature_b64()),
        AlgorithmNotAllowed,
        Touches::HEADER,
    );
    out.code(
        "alg none with signature AAAA",
        Forger::join(&h, f.payload_b64(), "AAAA"),
        AlgorithmNotAllowed,
        Touches::HEADER_SIGNATURE,
    );
    out.code(
        "alg none with a random 64-byte signature",
        Forger::join(&h, f.payload_b64(), &crate::base64url::encode([0x5Au8; 64])),
        AlgorithmNotAllowed,
        Touches::HEADER_SIGNATURE,
    );
}

fn b04(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    let mut h = f.header();
    h.remove("alg");
    out.code(
        "alg removed, signature kept",
        f.with_header(h.as_str()),
        MalformedToken,
        Touches::HEADER,
    );
    let mut h = f.header();
    h.remove("alg");
    h.prepend("typ", "\"JWT\"");
    out.code(
        "alg removed, typ JWT first, empty signature",
        Forger::join(&crate::base64url::encode(h.as_str()), f.payload_b64(), ""),
        MalformedToken,
        Touches::HEADER_SIGNATURE,
    );
    let mut h = f.header();
    h.set("alg", "\"\"");
    out.code(
        "alg empty string",
        f.with_header(h.as_str()),
        AlgorithmNotAllowed,
        Touches::HEADER,
    );
    let mut h = f.header();
    h.set("alg", "\"\"");
    out.code(
        "alg empty string, empty signature",
        Forger::join(&crate::base64url::encode(h.as_str()), f.payload_b64(), ""),
        AlgorithmNotAllowed,
        Touches::HEADER_SIGNATURE,
    );
}

fn b05(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    let alg = input.base_alg().name();
    for value in [
        "null".to_owned(),
        "256".into(),
        format!("[\"{alg}\"]"),
        format!("[\"none\",\"{alg}\"]"),
        "{}".into(),
        "true".into(),
    ] {
        let mut h = f.header();
        h.set("alg", &value);
        out.code(
            format!("alg {value}"),
            f.with_header(h.as_str()),
            MalformedToken,
            Touches::HEADER,
        );
    }
}

fn b06(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    let alg = input.base_alg().name();
    for (label, value) in [
        ("surrounded by spaces", format!("\" {alg} \"")),
        ("after a tab", format!("\"\\t{alg}\"")),
        ("lower case", format!("\"{}\"", alg.to_lowercase())),
        ("upper case", format!("\"{}\"", alg.to_uppercase())),
        ("with a trailing NUL", format!("\"{alg}\\u0000\"")),
    ] {
        if value == format!("\"{alg}\"") {
            continue;
        }
        let mut h = f.header();
        h.set("alg", &value);
        out.code(
            format!("alg {label}"),
            f.with_header(h.as_str()),
            AlgorithmNotAllowed,
            Touches::HEADER,
        );
    }
}

fn b07(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    for alg in ["zzz", "HS1", "RS1", "ES256K", "Ed448"] {
        let mut h = f.header();
        h.set("alg", &format!("\"{alg}\""));
        out.code(
            format!("alg {alg}, empty signature"),
            Forger::join(&crate::base64url::encode(h.as_str()), f.payload_b64(), ""),
            AlgorithmNotAllowed,
            Touches::HEADER_SIGNATURE,
        );
    }
}

fn b08(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    let base = input.base_alg();
    let swaps: &[&str] = match base {
        Algorithm::EdDSA => &["Ed25519", "ES256", "HS512"],
        Algorithm::ES256 | Algorithm::ES384 | Algorithm::ES512 => {
            &["ES256", "ES384", "ES512", "ES256K"]
        }
        Algorithm::RS256
        | Algorithm::RS384
        | Algorithm::RS512
        | Algorithm::PS256
        | Algorithm::PS384
        | Algorithm::PS512 => &["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"],
        Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => &["HS256", "HS384", "HS512"],
    };
    for alg in swaps.iter().filter(|a| **a != base.name()) {
        let mut h = f.header();
        h.set("alg", &format!("\"{alg}\""));
        out.code(
            format!("{base} → {alg}, original signature"),
            f.with_header(h.as_str()),
            AlgorithmNotAllowed,
            Touches::HEADER,
        );
    }
}

/// Algorithms the issuer's key can also sign, other than the base one.
fn sibling_algs(base: Algorithm) -> Vec<Algorithm> {
    Algorithm::ALL
        .into_iter()
        .filter(|a| *a != base && a.key_family() == base.key_family())
        .collect()
}

fn b09(input: &ForgeInput<'_>, out: &mut Out) {
    let Some(key) = input.issuer_key else { return };
    let f = Forger::new(input.base);
    for alg in sibling_algs(input.base_alg()) {
        let mut h = f.header();
        h.set("alg", &format!("\"{alg}\""));
        out.code(
            format!("correctly signed by the issuer key under {alg}"),
            f.signed_header(h.as_str(), key, alg),
            AlgorithmNotAllowed,
            Touches::HEADER_SIGNATURE,
        );
    }
}

fn b10(input: &ForgeInput<'_>, out: &mut Out) {
    let Some(key) = input.issuer_key else { return };
    let f = Forger::new(input.base);
    // Same key, same family, different hash: the JWK's alg (or the allowlist) must refuse it.
    if let Some(alg) = sibling_algs(input.base_alg()).into_iter().last() {
        let mut h = f.header();
        h.set("alg", &format!("\"{alg}\""));
        h.append("typ", "\"JWT\"");
        out.code(
            format!("issuer key used for {alg} with typ JWT"),
            f.signed_header(h.as_str(), key, alg),
            AlgorithmNotAllowed,
            Touches::HEADER_SIGNATURE,
        );
    }
}
