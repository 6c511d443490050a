//! Group E: cryptographic primitive edge cases — ECDSA r/s ranges and encodings, EdDSA
//! malleability and small-order points, degenerate RSA keys, weak HMAC secrets.

use super::*;
use crate::algorithm::{Algorithm, Curve, ED25519_GROUP_ORDER};
use crate::dangerous::forge::encodings::der;
use crate::dangerous::forge::Forger;
use crate::sign::SigningKey;
use serde_json::json;

pub(super) fn cases() -> Vec<Case> {
    vec![
        case("E01", "ecdsa-psychic-raw", "ECDSA r = s = 0 (P1363)", Severity::Critical, Mode::BlackBox,
            "reject: 0 < r, s < n", &["CVE-2022-21449"], e01),
        case("E02", "ecdsa-psychic-der", "ECDSA r = s = 0 (DER)", Severity::Critical, Mode::BlackBox,
            "reject", &["CVE-2022-21449"], e02),
        case("E03", "ecdsa-scalar-range", "r or s out of range", Severity::Critical, Mode::BlackBox,
            "reject", &["CVE-2022-21449", "Wycheproof ECDSA"], e03),
        case("E04", "ecdsa-high-s", "malleated ECDSA signature (s' = n − s)", Severity::Info, Mode::BlackBox,
            "may verify under JOSE; replay caches and revocation must key on claims, not token bytes",
            &["RFC 7518 §3.4"], e04),
        case("E05", "ecdsa-der-in-jws", "DER signature where raw r‖s is required", Severity::Medium, Mode::BlackBox,
            "reject", &["RFC 7518 §3.4"], e05),
        case("E06", "ecdsa-sig-length", "ECDSA signature of the wrong length", Severity::Medium, Mode::BlackBox,
            "reject", &["RFC 7518 §3.4", "Wycheproof *_p1363"], e06),
        case("E07", "ec-curve-mismatch", "key curve does not match alg", Severity::High, Mode::BlackBox,
            "reject", &["RFC 7518 §3.4"], e07),
        case("E08", "eddsa-noncanonical-s", "Ed25519 signature with S ≥ ℓ", Severity::High, Mode::BlackBox,
            "reject", &["CVE-2020-36843", "RFC 8032 §5.1.7"], e08),
        case("E09", "eddsa-small-order", "small-order Ed25519 key or R", Severity::High, Mode::BlackBox,
            "reject key and signature", &["RFC 8032 §5.1.7"], e09),
        case("E10", "okp-crv-mismatch", "X25519 or Ed448 key for EdDSA", Severity::Medium, Mode::BlackBox,
            "reject", &["RFC 8037 §2-3"], e10),
        case("E11", "rsa-small-modulus", "RSA key under 2048 bits", Severity::High, Mode::BlackBox,
            "reject or flag", &["RFC 7518 §3.3", "CVE-2022-23539"], e11),
        case("E12", "rsa-degenerate-key", "RSA e = 1, e = 3, even n", Severity::High, Mode::BlackBox,
            "reject", &["CVE-2021-30246"], e12),
        not_a_token("E13", "rsa-pkcs1-lenient", "lenient PKCS#1 v1.5 parsing", Severity::High,
            &["Wycheproof json_web_signature_test.json", "CVE-2021-30246"],
            "needs signatures over the target's key with malformed padding, i.e. its private key: covered for the reference validator by tests/vectors.rs"),
        not_a_token("E14", "rsa-pss-params", "PSS salt or MGF hash not as JWS requires", Severity::Medium,
            &["RFC 7518 §3.5", "Wycheproof RSASSA-PSS"],
            "needs PSS signatures with other salt lengths by the target's key: covered for the reference validator by tests/vectors.rs"),
        case("E15", "hmac-empty-key", "HMAC with an empty secret", Severity::Critical, Mode::BlackBox,
            "reject", &["CVE-2019-20933"], e15),
        not_a_token("E16", "hmac-weak-secret", "guessable HMAC secret", Severity::Critical,
            &["CVE-2023-51442", "RFC 8725 §3.5"],
            "offline work on a captured HS token: `authprobe crack` (wordlist, all cores, hashcat 16500 export)"),
        case("E17", "hmac-alt-secret-online", "server accepts common default secrets", Severity::Critical, Mode::BlackBox,
            "reject", &["RFC 8725 §3.5"], e17),
        case("E18", "hmac-key-length-policy", "HMAC secret shorter than the hash", Severity::Medium, Mode::BlackBox,
            "refuse", &["RFC 7518 §3.2", "RFC 8725 §3.5"], e18),
        not_a_token("E19", "mac-compare-timing", "non-constant-time MAC comparison", Severity::Medium,
            &["RFC 8725 §2.1"],
            "a statistical timing measurement, not a token; the reference validator uses aws-lc's constant-time comparison"),
    ]
}

const ECDSA: [(Algorithm, Curve); 3] = [
    (Algorithm::ES256, Curve::P256),
    (Algorithm::ES384, Curve::P384),
    (Algorithm::ES512, Curve::P521),
];

fn add_small(a: &[u8], k: u8) -> Vec<u8> {
    let mut out = a.to_vec();
    let mut carry = u16::from(k);
    for b in out.iter_mut().rev() {
        let sum = u16::from(*b) + carry;
        *b = sum as u8;
        carry = sum >> 8;
    }
    out
}

fn sub_be(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = a.to_vec();
    let mut borrow = 0i16;
    for i in (0..a.len()).rev() {
        let mut d = i16::from(a[i]) - i16::from(b[i]) - borrow;
        borrow = i16::from(d < 0);
        if d < 0 {
            d += 256;
        }
        out[i] = d as u8;
    }
    out
}

fn scalar(len: usize, value: u8) -> Vec<u8> {
    let mut v = vec![0u8; len];
    v[len - 1] = value;
    v
}

/// The base token with `alg` set and the signature bytes replaced.
fn with_alg_and_sig(f: &Forger<'_>, alg: Algorithm, sig: &[u8]) -> String {
    let mut h = f.header();
    h.set("alg", &format!("\"{alg}\""));
    Forger::join(
        &crate::base64url::encode(h.as_str()),
        f.payload_b64(),
        &crate::base64url::encode(sig),
    )
}

fn touches(input: &ForgeInput<'_>, alg: Algorithm) -> Touches {
    if alg == input.base_alg() {
        Touches::SIGNATURE
    } else {
        Touches::HEADER_SIGNATURE
    }
}

fn e01(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    for (alg, curve) in ECDSA {
        let sig = vec![0u8; 2 * curve.coordinate_len()];
        out.push(
            format!("{alg}, signature all zero ({} bytes)", sig.len()),
            with_alg_and_sig(&f, alg, &sig),
            input.under_alg(alg.name(), InvalidSignature),
            touches(input, alg),
        );
    }
}

fn e02(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    let der_zero = der::seq(&[der::int_raw(&[0]), der::int_raw(&[0])]);
    for (alg, _) in ECDSA {
        out.push(
            format!("{alg}, DER SEQUENCE {{0, 0}} (MAYCAQACAQA)"),
            with_alg_and_sig(&f, alg, &der_zero),
            input.under_alg(alg.name(), InvalidSignature),
            touches(input, alg),
        );
    }
}

/// The base signature's (r, s) if the base is ECDSA on `curve`, else (1, 1).
fn base_rs(input: &ForgeInput<'_>, curve: Curve) -> (Vec<u8>, Vec<u8>) {
    let len = curve.coordinate_len();
    let sig = input.base.signature();
    if input.base_alg().key_family() == crate::algorithm::KeyFamily::Ec(curve)
        && sig.len() == 2 * len
    {
        (sig[..len].to_vec(), sig[len..].to_vec())
    } else {
        (scalar(len, 1), scalar(len, 1))
    }
}

fn e03(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    for (alg, curve) in ECDSA {
        let len = curve.coordinate_len();
        let n = curve.group_order().to_vec();
        let one = scalar(len, 1);
        let (r, s) = base_rs(input, curve);
        for (label, rr, ss) in [
            ("r = n", n.clone(), one.clone()),
            ("s = n", one.clone(), n.clone()),
            ("r = n + 1", add_small(&n, 1), one.clone()),
            ("r = 2^k − 1", vec![0xFF; len], one.clone()),
            ("r = 0, s kept", vec![0; len], s.clone()),
            ("s = 0, r kept", r.clone(), vec![0; len]),
        ] {
            out.push(
                format!("{alg}, {label}"),
                with_alg_and_sig(&f, alg, &[rr, ss].concat()),
                input.under_alg(alg.name(), InvalidSignature),
                touches(input, alg),
            );
        }
        let der_n = der::seq(&[der::uint(&n), der::uint(&one)]);
        out.push(
            format!("{alg}, DER with r = n"),
            with_alg_and_sig(&f, alg, &der_n),
            input.under_alg(alg.name(), InvalidSignature),
            touches(input, alg),
        );
    }
}

fn e04(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    for (alg, curve) in ECDSA {
        if input.base_alg() != alg {
            continue;
        }
        let (r, s) = base_rs(input, curve);
        let high = sub_be(curve.group_order(), &s);
        out.push(
            format!("{alg}, s replaced by n − s (still a valid signature)"),
            f.with_signature([r, high].concat()),
            Expected::Accepted,
            Touches::SIGNATURE,
        );
    }
}

fn e05(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    for (alg, curve) in ECDSA {
        let (r, s) = base_rs(input, curve);
        let der_sig = der::seq(&[der::uint(&r), der::uint(&s)]);
        out.push(
            format!("{alg}, the (r, s) pair DER-encoded"),
            with_alg_and_sig(&f, alg, &der_sig),
            input.under_alg(alg.name(), InvalidSignature),
            touches(input, alg),
        );
    }
}

fn e06(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    for (alg, curve) in ECDSA {
        let (r, s) = base_rs(input, curve);
        let raw = [r.clone(), s.clone()].concat();
        let mut shorter = raw.clone();
        shorter.remove(0);
        let mut longer = vec![0u8];
        longer.extend(&raw);
        for (label, sig) in [
            ("one byte short", shorter),
            ("one leading zero byte extra", longer),
        ] {
            out.push(
                format!("{alg}, signature {label}"),
                with_alg_and_sig(&f, alg, &sig),
                input.under_alg(alg.name(), InvalidSignature),
                touches(input, alg),
            );
        }
    }
    let sig128 = vec![1u8; 128];
    out.push(
        "ES512 with a 128-byte signature (132 required)",
        with_alg_and_sig(&f, Algorithm::ES512, &sig128),
        input.under_alg("ES512", InvalidSignature),
        touches(input, Algorithm::ES512),
    );
}

fn embedded(f: &Forger<'_>, alg: &str, jwk: serde_json::Value) -> String {
    let mut h = f.header();
    h.set("alg", &format!("\"{alg}\""));
    h.set("jwk", &jwk.to_string());
    f.with_header(h.as_str())
}

fn e07(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    let p384 = serde_json::Value::Object(input.attacker.p384.public_jwk(None, None));
    out.code(
        "ES256 with an embedded P-384 key",
        embedded(&f, "ES256", p384),
        ForbiddenHeaderParameter,
        Touches::HEADER,
    );
    let p256 = serde_json::Value::Object(input.attacker.p256.public_jwk(None, None));
    out.code(
        "ES512 with an embedded P-256 key",
        embedded(&f, "ES512", p256),
        ForbiddenHeaderParameter,
        Touches::HEADER,
    );
}

/// S + ℓ (little-endian, 32 bytes).
fn add_ell(s: &[u8]) -> Vec<u8> {
    let mut out = s.to_vec();
    let mut carry = 0u16;
    for i in 0..32 {
        let sum = u16::from(out[i]) + u16::from(ED25519_GROUP_ORDER[i]) + carry;
        out[i] = sum as u8;
        carry = sum >> 8;
    }
    out
}

fn e08(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    let (sig, header_alg) = if input.base_alg() == Algorithm::EdDSA {
        (input.base.signature().to_vec(), false)
    } else {
        let t = f.signed_header(
            &json!({"alg": "EdDSA", "kid": input.base.kid()}).to_string(),
            &input.attacker.ed25519,
            Algorithm::EdDSA,
        );
        (
            crate::token::Token::parse(&t)
                .map(|t| t.signature().to_vec())
                .unwrap_or_default(),
            true,
        )
    };
    if sig.len() != 64 {
        return;
    }
    let high = [&sig[..32], &add_ell(&sig[32..])[..]].concat();
    let with_ell = [&sig[..32], &ED25519_GROUP_ORDER[..]].concat();
    for (label, s) in [
        ("S + ℓ (same scalar, non-canonical)", high),
        ("S = ℓ", with_ell),
    ] {
        let token = if header_alg {
            with_alg_and_sig(&f, Algorithm::EdDSA, &s)
        } else {
            f.with_signature(&s)
        };
        out.push(
            format!("EdDSA, {label}"),
            token,
            input.under_alg("EdDSA", InvalidSignature),
            touches(input, Algorithm::EdDSA),
        );
    }
}

fn e09(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    let identity = {
        let mut b = [0u8; 32];
        b[0] = 1;
        b
    };
    let jwk = json!({"kty": "OKP", "crv": "Ed25519", "x": crate::base64url::encode(identity)});
    out.code(
        "embedded Ed25519 key = identity point",
        embedded(&f, "EdDSA", jwk),
        ForbiddenHeaderParameter,
        Touches::HEADER,
    );
    let sig = [&identity[..], &[0u8; 32][..]].concat();
    out.push(
        "EdDSA signature with R = identity, S = 0",
        with_alg_and_sig(&f, Algorithm::EdDSA, &sig),
        input.under_alg("EdDSA", InvalidSignature),
        touches(input, Algorithm::EdDSA),
    );
}

fn e10(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    let x = crate::base64url::encode([9u8; 32]);
    for crv in ["X25519", "Ed448"] {
        let jwk = json!({"kty": "OKP", "crv": crv, "x": x});
        out.code(
            format!("EdDSA with an embedded {crv} key"),
            embedded(&f, "EdDSA", jwk),
            ForbiddenHeaderParameter,
            Touches::HEADER,
        );
    }
}

fn e11(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    for bits in [512usize, 1024] {
        let mut n = vec![0xC5u8; bits / 8];
        n[0] |= 0x80;
        let jwk = json!({"kty": "RSA", "n": crate::base64url::encode(&n), "e": "AQAB"});
        out.code(
            format!("RS256 with an embedded {bits}-bit RSA key (signature not made with it)"),
            embedded(&f, "RS256", jwk),
            ForbiddenHeaderParameter,
            Touches::HEADER,
        );
    }
}

/// EMSA-PKCS1-v1_5 encoding of SHA-256(message) for a modulus of `k` bytes (RFC 8017 §9.2).
fn emsa_pkcs1_sha256(message: &[u8], k: usize) -> Vec<u8> {
    const PREFIX: [u8; 19] = [
        0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
        0x05, 0x00, 0x04, 0x20,
    ];
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, message);
    let t = [&PREFIX[..], digest.as_ref()].concat();
    let mut em = vec![0x00, 0x01];
    em.extend(std::iter::repeat_n(0xFF, k - t.len() - 3));
    em.push(0x00);
    em.extend(t);
    em
}

fn e12(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    let mut n = vec![0xFFu8; 256];
    n[255] = 0xF1;
    // With e = 1, s = EM verifies: a real forgery no private key is needed for.
    let mut h = f.header();
    h.set("alg", "\"RS256\"");
    h.set(
        "jwk",
        &json!({"kty": "RSA", "n": crate::base64url::encode(&n), "e": "AQ"}).to_string(),
    );
    let header_b64 = crate::base64url::encode(h.as_str());
    let input_bytes = format!("{header_b64}.{}", f.payload_b64());
    let em = emsa_pkcs1_sha256(input_bytes.as_bytes(), 256);
    out.code(
        "RS256 with an embedded e = 1 key and s = EM (verifies under that key)",
        format!("{input_bytes}.{}", crate::base64url::encode(em)),
        ForbiddenHeaderParameter,
        Touches::HEADER_SIGNATURE,
    );
    let e3 = json!({"kty": "RSA", "n": crate::base64url::encode(&n), "e": "Aw"});
    out.code(
        "RS256 with an embedded e = 3 key",
        embedded(&f, "RS256", e3),
        ForbiddenHeaderParameter,
        Touches::HEADER,
    );
    let mut even = n.clone();
    even[255] = 0xF0;
    let even = json!({"kty": "RSA", "n": crate::base64url::encode(&even), "e": "AQAB"});
    out.code(
        "RS256 with an embedded even modulus",
        embedded(&f, "RS256", even),
        ForbiddenHeaderParameter,
        Touches::HEADER,
    );
}

fn hmac_variant(input: &ForgeInput<'_>, out: &mut Out, label: &str, secret: &[u8]) {
    let f = Forger::new(input.base);
    for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
        let mut h = f.header();
        h.set("alg", &format!("\"{alg}\""));
        out.push(
            format!("{alg} {label}"),
            f.signed_header(h.as_str(), &SigningKey::hmac(secret), alg),
            input.under_alg(alg.name(), InvalidSignature),
            Touches::HEADER_SIGNATURE,
        );
    }
}

fn e15(input: &ForgeInput<'_>, out: &mut Out) {
    hmac_variant(input, out, "with an empty secret", b"");
    hmac_variant(
        input,
        out,
        "with 64 zero bytes (an empty key padded)",
        &[0u8; 64],
    );
}

fn e17(input: &ForgeInput<'_>, out: &mut Out) {
    for secret in crate::dangerous::forge::crack::wordlist().take(20) {
        hmac_variant(
            input,
            out,
            &format!("with the common secret {secret:?}"),
            secret.as_bytes(),
        );
    }
}

fn e18(input: &ForgeInput<'_>, out: &mut Out) {
    hmac_variant(input, out, "with an 8-byte secret", b"8bytekey");
}
