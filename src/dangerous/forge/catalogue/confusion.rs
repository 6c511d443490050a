//! Group C: key confusion, an asymmetric public key used as an HMAC secret — the full matrix of
//! the target's published keys × every encoding × HS256/384/512.

use super::*;
use crate::algorithm::{Algorithm, KeyFamily};
use crate::dangerous::forge::encodings::{Encoding, PublicKeyParts};
use crate::dangerous::forge::Forger;
use crate::sign::SigningKey;

pub(super) fn cases() -> Vec<Case> {
    vec![
        case("C01", "keyconf-rs-hs-pem", "RSA public key PEM as HMAC secret", Severity::Critical, Mode::BlackBox,
            "reject: HS* never verifies with an asymmetric key",
            &["CVE-2015-9235", "CVE-2016-10555", "CVE-2023-48238", "CVE-2024-54150"], |i, o| matrix(i, o, "C01")),
        case("C02", "keyconf-pem-bytes", "PEM byte variants (line ends, whitespace, armour)", Severity::Critical, Mode::BlackBox,
            "reject whatever the key's string form", &["CVE-2023-48223", "CVE-2026-34950"], |i, o| matrix(i, o, "C02")),
        case("C03", "keyconf-key-encodings", "other encodings: PKCS#1, DER, JWK text, raw bytes", Severity::Critical, Mode::BlackBox,
            "reject", &["CVE-2017-11424"], |i, o| matrix(i, o, "C03")),
        case("C04", "keyconf-openssh", "OpenSSH public key line as HMAC secret", Severity::Critical, Mode::BlackBox,
            "reject", &["CVE-2022-29217", "CVE-2024-33663"], |i, o| matrix(i, o, "C04")),
        case("C05", "keyconf-ec-hs", "EC public key as HMAC secret", Severity::Critical, Mode::BlackBox,
            "reject", &["Wycheproof tc31 aesKeyFromEcVerificationKeyBytes"], |i, o| matrix(i, o, "C05")),
        case("C06", "keyconf-okp-hs", "Ed25519 public key as HMAC secret", Severity::Critical, Mode::BlackBox,
            "reject", &["CVE-2022-29217"], |i, o| matrix(i, o, "C06")),
        case("C07", "keyconf-resolver", "kid resolves to an asymmetric key, token says HS256", Severity::Critical, Mode::BlackBox,
            "reject: the algorithm is checked after key resolution", &["CVE-2022-23541"], c07),
        not_a_token("C08", "keyconf-mixed-keyset", "key set mixing oct and asymmetric keys", Severity::High,
            &["python-jose#274", "php-jwt#351"],
            "a property of the target's key set, not of a token: the reference validator refuses public key sets that carry oct keys, and every audit checks the published key set (suite key-set)"),
        not_a_token("C09", "keyconf-recovered-key", "public key recovered from two RS256 tokens", Severity::High,
            &["rsa_sign2n"],
            "Better Auth publishes its keys at /jwks, so C01–C06 use the published key directly; modulus recovery (gcd of s^e − EM) is not implemented"),
        not_a_token("C10", "keyconf-key-harvest", "key discovery at well-known paths", Severity::Info,
            &["jwt_tool jwks-common.txt"],
            "a sequence of key-discovery GET requests, not a token: the audit takes the key set from Better Auth's /jwks and runs C01–C07 with every published key"),
    ]
}

const HMACS: [Algorithm; 3] = [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512];

/// Which matrix cell belongs to which case: C01/C05/C06 the canonical PEM (and, for C05/C06, the
/// raw point) per key family, C02 the PEM byte variants, C03 the other encodings, C04 OpenSSH.
fn belongs(id: &str, family: KeyFamily, encoding: Encoding) -> bool {
    let canonical = matches!(encoding, Encoding::SpkiPem);
    match id {
        "C01" => family == KeyFamily::Rsa && canonical,
        "C05" => {
            matches!(family, KeyFamily::Ec(_)) && (canonical || encoding == Encoding::RawBytes)
        }
        "C06" => family == KeyFamily::Ed25519 && (canonical || encoding == Encoding::RawBytes),
        "C02" => encoding.is_pem_variant(),
        "C04" => encoding == Encoding::OpenSsh,
        "C03" => {
            let elsewhere = canonical
                || encoding.is_pem_variant()
                || encoding == Encoding::OpenSsh
                || (encoding == Encoding::RawBytes && family != KeyFamily::Rsa);
            !elsewhere
        }
        _ => false,
    }
}

fn matrix(input: &ForgeInput<'_>, out: &mut Out, id: &str) {
    let f = Forger::new(input.base);
    for jwk in input.target_keys {
        let Some(parts) = PublicKeyParts::from_jwk(jwk) else {
            continue;
        };
        let kid = jwk.get("kid").and_then(|v| v.as_str()).unwrap_or("-");
        for (encoding, secret) in parts.all_encodings(jwk) {
            if !belongs(id, parts.family(), encoding) {
                continue;
            }
            let key = SigningKey::hmac(&secret);
            for alg in HMACS {
                let mut h = f.header();
                h.set("alg", &format!("\"{alg}\""));
                let expected = input.under_alg(alg.name(), InvalidSignature);
                out.push(
                    format!("{alg} keyed with key {kid} as {}", encoding.label()),
                    f.signed_header(h.as_str(), &key, alg),
                    expected,
                    Touches::HEADER_SIGNATURE,
                );
            }
        }
    }
}

fn c07(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    for jwk in input.target_keys {
        let Some(parts) = PublicKeyParts::from_jwk(jwk) else {
            continue;
        };
        let Some(kid) = jwk.get("kid").and_then(|v| v.as_str()) else {
            continue;
        };
        let secret = parts.encode(Encoding::RawBytes, jwk).unwrap_or_default();
        let mut h = f.header();
        h.set("alg", "\"HS256\"");
        h.set(
            "kid",
            &serde_json::to_string(kid).expect("strings serialize"),
        );
        out.push(
            format!("HS256 with kid {kid}, keyed with that key's raw bytes"),
            f.signed_header(h.as_str(), &SigningKey::hmac(&secret), Algorithm::HS256),
            input.under_alg("HS256", InvalidSignature),
            Touches::HEADER_SIGNATURE,
        );
    }
}
