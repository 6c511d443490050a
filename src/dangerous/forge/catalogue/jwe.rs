//! Group I (the token-shaped part): JWE where a JWS is expected. Better Auth issues no JWE and
//! publishes no encryption key, so these check that JWE shapes are refused, not decrypted.

use super::*;
use crate::base64url;
use crate::dangerous::forge::Forger;

pub(super) fn cases() -> Vec<Case> {
    vec![
        case(
            "I01",
            "jwe-where-jws-expected",
            "a JWE sent where a signed JWT is expected",
            Severity::Critical,
            Mode::BlackBox,
            "reject: the token type is enforced",
            &["CVE-2023-51774", "CVE-2022-3102", "CVE-2022-39174"],
            i01,
        ),
        case(
            "I02",
            "jwe-header-in-jws",
            "three-part token whose header says enc",
            Severity::High,
            Mode::BlackBox,
            "reject",
            &["RFC 7516 §9"],
            i02,
        ),
        case(
            "I04",
            "pbes2-p2c-dos",
            "unbounded PBES2 iteration count",
            Severity::High,
            Mode::BlackBox,
            "reject before deriving anything",
            &["CVE-2023-52428", "CVE-2023-50658", "CVE-2022-36083"],
            i04,
        ),
        case(
            "I10",
            "jwe-shape",
            "JWE segment shapes",
            Severity::Medium,
            Mode::BlackBox,
            "reject",
            &["RFC 7516 §7.1"],
            i10,
        ),
    ]
}

fn b(bytes: impl AsRef<[u8]>) -> String {
    base64url::encode(bytes)
}

/// A five-segment compact JWE with the given header and segment bytes.
fn jwe(header: &str, key: &[u8], iv: &[u8], ciphertext: &[u8], tag: &[u8]) -> String {
    format!(
        "{}.{}.{}.{}.{}",
        b(header),
        b(key),
        b(iv),
        b(ciphertext),
        b(tag)
    )
}

fn i01(input: &ForgeInput<'_>, out: &mut Out) {
    let claims = input.base.payload();
    for (alg, enc) in [
        ("RSA-OAEP", "A256GCM"),
        ("ECDH-ES", "A256GCM"),
        ("dir", "A128CBC-HS256"),
    ] {
        let header = format!(r#"{{"alg":"{alg}","enc":"{enc}"}}"#);
        out.code(
            format!("compact JWE {alg}/{enc} carrying the claims"),
            jwe(&header, &[7; 256], &[1; 12], claims, &[2; 16]),
            MalformedToken,
            Touches::STRUCTURE,
        );
    }
}

fn i02(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    for enc in ["A256GCM", "A128CBC-HS256"] {
        let mut h = f.header();
        h.set("enc", &format!("\"{enc}\""));
        out.code(
            format!("JWS header with enc {enc}"),
            f.with_header(h.as_str()),
            ForbiddenHeaderParameter,
            Touches::HEADER,
        );
    }
    let mut h = f.header();
    h.set("alg", "\"dir\"").set("enc", "\"A256GCM\"");
    out.code(
        "alg dir with enc in a three-part token",
        f.with_header(h.as_str()),
        ForbiddenHeaderParameter,
        Touches::HEADER,
    );
}

fn i04(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    for p2c in [1_000_000u64, 100_000_000, 2_147_483_647] {
        let header = format!(
            r#"{{"alg":"PBES2-HS256+A128KW","enc":"A128GCM","p2s":"{}","p2c":{p2c}}}"#,
            b([3u8; 16])
        );
        out.code(
            format!("PBES2 JWE with p2c {p2c}"),
            jwe(&header, &[4; 24], &[1; 12], b"x", &[2; 16]),
            MalformedToken,
            Touches::STRUCTURE,
        );
    }
    let mut h = f.header();
    h.set("alg", "\"PBES2-HS256+A128KW\"")
        .set("p2c", "2147483647");
    out.code(
        "three-part token with alg PBES2 and p2c 2^31−1",
        f.with_header(h.as_str()),
        AlgorithmNotAllowed,
        Touches::HEADER,
    );
}

fn i10(input: &ForgeInput<'_>, out: &mut Out) {
    let _ = input;
    let header = r#"{"alg":"RSA-OAEP","enc":"A256GCM"}"#;
    for (label, token) in [
        (
            "empty authentication tag",
            jwe(header, &[7; 256], &[1; 12], b"x", &[]),
        ),
        (
            "truncated tag",
            jwe(header, &[7; 256], &[1; 12], b"x", &[2; 4]),
        ),
        ("empty IV", jwe(header, &[7; 256], &[], b"x", &[2; 16])),
        (
            "empty encrypted key with alg other than dir",
            jwe(header, &[], &[1; 12], b"x", &[2; 16]),
        ),
        (
            "six segments",
            format!("{}.x", jwe(header, &[7; 256], &[1; 12], b"x", &[2; 16])),
        ),
    ] {
        out.code(
            format!("JWE with {label}"),
            token,
            MalformedToken,
            Touches::STRUCTURE,
        );
    }
}
