//! Group J: resource exhaustion and parser robustness. Sizes stay within what one HTTP request
//! can carry (bounded, on loopback); the point is a fast, cheap rejection.

use super::*;
use crate::dangerous::forge::rng::Rng;
use crate::dangerous::forge::Forger;
use serde_json::json;

pub(super) fn cases() -> Vec<Case> {
    vec![
        case(
            "J01",
            "many-dots",
            "token of many dots",
            Severity::Medium,
            Mode::BlackBox,
            "fast rejection, bounded memory",
            &["CVE-2025-27144", "CVE-2025-30204", "CVE-2025-22868"],
            j01,
        ),
        case(
            "J02",
            "oversize-token",
            "very large header or payload",
            Severity::Medium,
            Mode::BlackBox,
            "early 4xx, linear time",
            &["RFC 8725 §3 (derived)"],
            j02,
        ),
        case(
            "J03",
            "deep-nesting",
            "deeply nested JSON",
            Severity::Medium,
            Mode::BlackBox,
            "reject without stack overflow",
            &["CVE-2025-53864"],
            j03,
        ),
        case(
            "J04",
            "big-numbers",
            "huge number literals",
            Severity::Low,
            Mode::BlackBox,
            "bounded parse time",
            &["RFC 8259 §6"],
            j04,
        ),
        case(
            "J05",
            "big-keys",
            "oversized embedded or remote keys",
            Severity::Medium,
            Mode::BlackBox,
            "bounded; oversize keys refused",
            &["RFC 7518 §3.3"],
            j05,
        ),
        case(
            "J06",
            "fail-closed-fuzz",
            "random structured garbage",
            Severity::High,
            Mode::BlackBox,
            "never accept, never 5xx",
            &["CVE-2019-17195", "CVE-2024-51744"],
            j06,
        ),
    ]
}

fn j01(_input: &ForgeInput<'_>, out: &mut Out) {
    out.code(
        "15,000 dots (under the size cap)",
        ".".repeat(15_000),
        MalformedToken,
        Touches::STRUCTURE,
    );
    out.code(
        "100,000 dots",
        ".".repeat(100_000),
        MalformedToken,
        Touches::STRUCTURE,
    );
}

fn j02(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    let mut h = f.header();
    h.set(
        "pad",
        &serde_json::to_string(&"A".repeat(20_000)).expect("strings serialize"),
    );
    out.code(
        "header of about 27 KB",
        f.with_header(h.as_str()),
        MalformedToken,
        Touches::HEADER,
    );
    let mut p = f.payload();
    p.set(
        "pad",
        &serde_json::to_string(&"A".repeat(100_000)).expect("strings serialize"),
    );
    out.code(
        "payload of about 130 KB",
        f.with_payload(p.as_str()),
        MalformedToken,
        Touches::PAYLOAD,
    );
}

fn j03(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    let mut p = f.payload();
    p.set("deep", &format!("{}1{}", "[".repeat(20), "]".repeat(20)));
    out.code(
        "payload nested 20 deep (over the depth cap, under the size cap)",
        f.with_payload(p.as_str()),
        MalformedToken,
        Touches::PAYLOAD,
    );
    let mut p = f.payload();
    p.set(
        "deep",
        &format!("{}1{}", "[".repeat(50_000), "]".repeat(50_000)),
    );
    out.code(
        "payload nested 50,000 deep",
        f.with_payload(p.as_str()),
        MalformedToken,
        Touches::PAYLOAD,
    );
    let mut h = f.header();
    h.set(
        "x",
        &format!(
            "{}{}",
            "{\"a\":".repeat(40),
            "1".to_owned() + &"}".repeat(40)
        ),
    );
    out.code(
        "header objects nested 40 deep",
        f.with_header(h.as_str()),
        MalformedToken,
        Touches::HEADER,
    );
}

fn j04(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    let mut p = f.payload();
    p.set("exp", &"9".repeat(8_000));
    out.code(
        "exp with 8,000 digits",
        f.with_payload(p.as_str()),
        MalformedToken,
        Touches::PAYLOAD,
    );
    let mut p = f.payload();
    p.set("exp", "1e1000000");
    out.code(
        "exp 1e1000000",
        f.with_payload(p.as_str()),
        MalformedToken,
        Touches::PAYLOAD,
    );
}

fn j05(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    let mut h = f.header();
    let n = crate::base64url::encode(vec![0xC3u8; 2048]);
    h.set("alg", "\"RS256\"").set(
        "jwk",
        &json!({"kty": "RSA", "n": n, "e": "AQAB"}).to_string(),
    );
    out.code(
        "embedded 16384-bit RSA key",
        f.with_header(h.as_str()),
        ForbiddenHeaderParameter,
        Touches::HEADER,
    );
    let mut h = f.header();
    let e = crate::base64url::encode(vec![0xFFu8; 512]);
    h.set("alg", "\"RS256\"").set(
        "jwk",
        &json!({"kty": "RSA", "n": crate::base64url::encode([0xC3u8; 256]), "e": e}).to_string(),
    );
    out.code(
        "embedded RSA key with a 4096-bit exponent",
        f.with_header(h.as_str()),
        ForbiddenHeaderParameter,
        Touches::HEADER,
    );
    let path = out.oob_path("jwks-10000-keys");
    let mut h = f.header();
    h.set(
        "jku",
        &serde_json::to_string(&input.oob_url(&path)).expect("strings serialize"),
    );
    out.code(
        "jku at a key set of 10,000 keys",
        f.with_header(h.as_str()),
        ForbiddenHeaderParameter,
        Touches::HEADER,
    );
    out.with_oob(path);
}

/// `n` bytes, one per draw (its low byte): the sequence J06's tokens were first made with, kept
/// so the catalogue stays byte-identical.
fn low_bytes(rng: &mut Rng, n: usize) -> Vec<u8> {
    (0..n).map(|_| rng.next_u64() as u8).collect()
}

fn j06(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    // A fixed seed: the catalogue is reproducible.
    let mut rng = Rng::new(0x00A5_7E11_0000_0006);
    for i in 0..6 {
        let sig = low_bytes(&mut rng, 64);
        let payload = low_bytes(&mut rng, 24 + i * 7);
        out.push(
            format!("random payload bytes #{i}, random signature"),
            Forger::join(
                f.header_b64(),
                &crate::base64url::encode(&payload),
                &crate::base64url::encode(&sig),
            ),
            Expected::AnyOf(vec![MalformedToken, InvalidSignature]),
            Touches::PAYLOAD_SIGNATURE,
        );
    }
    for i in 0..4 {
        let n = 8 + (rng.next_u64() % 40) as usize;
        let text: String = low_bytes(&mut rng, n)
            .iter()
            .map(|b| (b'!' + b % 94) as char)
            .collect();
        out.push(
            format!("random printable text #{i}"),
            text,
            Expected::AnyOf(vec![MalformedToken]),
            Touches::STRUCTURE,
        );
    }
}
