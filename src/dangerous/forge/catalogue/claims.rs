//! Group H: claims validation and token semantics. Cases marked issuer-key re-sign edited claims
//! with the issuer's key (white-box audits and the mock); the others keep the original signature
//! and so must fail on it.

use super::*;
use crate::dangerous::forge::raw_json::RawObject;
use crate::dangerous::forge::Forger;
use serde_json::Value;

pub(super) fn cases() -> Vec<Case> {
    vec![
        case("H01", "exp-expired", "expiry ignored", Severity::Critical, Mode::IssuerKey,
            "reject (small leeway only)", &["RFC 7519 §4.1.4"], h01),
        case("H02", "exp-missing", "exp optional where it must not be", Severity::High, Mode::IssuerKey,
            "reject", &["RFC 9068 §2.2"], h02),
        case("H03", "exp-type-confusion", "NumericDate typing", Severity::High, Mode::IssuerKey,
            "reject non-numbers; decimals handled numerically", &["RFC 7519 §2"], h03),
        case("H04", "exp-overflow", "integer overflow and units", Severity::High, Mode::IssuerKey,
            "reject or compute exactly; no wrap-around, no 5xx", &["RFC 7519 §2"], h04),
        case("H05", "nbf-iat-future", "not-before and issued-at in the future", Severity::Medium, Mode::IssuerKey,
            "reject beyond the leeway", &["RFC 7519 §4.1.5-6"], h05),
        case("H06", "lifetime-cap", "excessive lifetime", Severity::Medium, Mode::IssuerKey,
            "reject per policy", &["RFC 8725 §3.11"], h06),
        case("H07", "aud-missing-wrong", "audience not validated", Severity::Critical, Mode::IssuerKey,
            "reject", &["CVE-2024-5798", "RFC 8725 §3.9"], h07),
        case("H08", "aud-array-type", "aud string/array confusion", Severity::High, Mode::IssuerKey,
            "RFC 7519 §4.1.3 semantics", &["CVE-2020-26160"], h08),
        case("H09", "iss-exactness", "issuer matching", Severity::Critical, Mode::IssuerKey,
            "exact string match only", &["CVE-2024-53861", "CVE-2025-30144"], h09),
        case("H10", "sub-type-confusion", "subject type juggling", Severity::High, Mode::IssuerKey,
            "reject non-strings", &["RFC 7519 §4.1.2"], h10),
        case("H11", "authz-claim-escalation", "privilege claims added without a valid signature", Severity::Critical, Mode::BlackBox,
            "reject: authorisation only from verified claims", &["RFC 8725 §3.10"], h11),
        not_a_token("H12", "jti-replay", "one-time token replay", Severity::Medium, &["RFC 7519 §4.1.7", "RFC 9449 §11.1"],
            "Better Auth access tokens carry no jti and are not one-time; replay within the lifetime is by design (see the lifecycle suite)"),
        case("H13", "cross-jwt-confusion", "another kind of token used as an access token", Severity::High, Mode::BlackBox,
            "reject", &["RFC 8725 §2.8, §3.11-3.12", "RFC 9068"], h13),
        case("H14", "claim-injection-downstream", "injection payloads in claims", Severity::High, Mode::BlackBox,
            "no execution, no reflection", &["RFC 8725 §3.10"], h14),
        case("H15", "claims-type-fuzz-unsigned", "odd value types before verification", Severity::Medium, Mode::BlackBox,
            "reject, never 5xx", &["CVE-2019-17195"], h15),
        case("H16", "oob-url-in-claims", "URLs in claims dereferenced", Severity::Medium, Mode::BlackBox,
            "never fetch", &["RFC 8725 §3.10"], h16),
    ]
}

/// Re-signs the base payload after `edit` with the issuer key; no key, no variant.
fn signed(
    input: &ForgeInput<'_>,
    out: &mut Out,
    label: &str,
    expected: Expected,
    edit: impl FnOnce(&mut RawObject),
) {
    let Some(key) = input.issuer_key else { return };
    let f = Forger::new(input.base);
    let mut p = f.payload();
    edit(&mut p);
    out.push(
        format!("{label}, signed by the issuer"),
        f.signed_payload(p.as_str().as_bytes(), key, input.base_alg()),
        expected,
        Touches::PAYLOAD_SIGNATURE,
    );
}

fn set(p: &mut RawObject, name: &str, value: impl ToString) {
    p.set(name, &value.to_string());
}

fn claim_str(input: &ForgeInput<'_>, name: &str) -> String {
    input
        .base
        .unverified_claims(16)
        .ok()
        .and_then(|c| c.get(name).and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_default()
}

fn js(s: &str) -> String {
    serde_json::to_string(s).expect("strings serialize")
}

fn h01(input: &ForgeInput<'_>, out: &mut Out) {
    let now = input.now;
    signed(
        input,
        out,
        "exp one hour ago",
        Expected::Code(TokenExpired),
        |p| set(p, "exp", now - 3600),
    );
    signed(
        input,
        out,
        "exp 31 s ago (just past a 30 s leeway)",
        Expected::Code(TokenExpired),
        |p| set(p, "exp", now - 31),
    );
}

fn h02(input: &ForgeInput<'_>, out: &mut Out) {
    signed(
        input,
        out,
        "exp removed",
        Expected::Code(InvalidClaim),
        |p| {
            p.remove("exp");
        },
    );
}

fn h03(input: &ForgeInput<'_>, out: &mut Out) {
    for value in ["\"9999999999\"", "true", "null", "[]", "{}", "\"1e10\""] {
        signed(
            input,
            out,
            &format!("exp {value}"),
            Expected::Code(InvalidClaim),
            |p| set(p, "exp", value),
        );
    }
    signed(
        input,
        out,
        "exp 1.7e9 (a decimal in the past)",
        Expected::Code(TokenExpired),
        |p| set(p, "exp", "1.7e9"),
    );
}

fn h04(input: &ForgeInput<'_>, out: &mut Out) {
    let now = input.now;
    for (label, value, code) in [
        ("2^63", "9223372036854775808".to_owned(), InvalidClaim),
        ("i64::MAX", "9223372036854775807".to_owned(), InvalidClaim),
        (
            "1e400 (beyond binary64)",
            "1e400".to_owned(),
            MalformedToken,
        ),
        ("-1", "-1".to_owned(), InvalidClaim),
        ("0", "0".to_owned(), TokenExpired),
        (
            "253402300799 (year 9999)",
            "253402300799".to_owned(),
            TokenLifetimeExceeded,
        ),
        (
            "in milliseconds",
            format!("{}", (now + 600) * 1000),
            TokenLifetimeExceeded,
        ),
    ] {
        signed(
            input,
            out,
            &format!("exp {label}"),
            Expected::Code(code),
            |p| set(p, "exp", value),
        );
    }
}

fn h05(input: &ForgeInput<'_>, out: &mut Out) {
    let now = input.now;
    signed(
        input,
        out,
        "nbf one hour ahead",
        Expected::Code(TokenNotYetValid),
        |p| set(p, "nbf", now + 3600),
    );
    signed(
        input,
        out,
        "iat one day ahead",
        Expected::Code(TokenIssuedInFuture),
        |p| {
            set(p, "iat", now + 86_400);
            set(p, "exp", now + 86_400 + 900);
        },
    );
    signed(
        input,
        out,
        "nbf = now (edge: valid)",
        Expected::Accepted,
        |p| set(p, "nbf", now),
    );
}

fn h06(input: &ForgeInput<'_>, out: &mut Out) {
    let now = input.now;
    signed(
        input,
        out,
        "exp − iat = 10 years",
        Expected::Code(TokenLifetimeExceeded),
        |p| {
            set(p, "iat", now - 60);
            set(p, "exp", now + 10 * 365 * 86_400);
        },
    );
    signed(
        input,
        out,
        "exp − iat = 25 hours",
        Expected::Code(TokenLifetimeExceeded),
        |p| {
            set(p, "iat", now - 60);
            set(p, "exp", now - 60 + 25 * 3600);
        },
    );
}

fn h07(input: &ForgeInput<'_>, out: &mut Out) {
    let aud = claim_str(input, "aud");
    signed(
        input,
        out,
        "aud removed",
        Expected::Code(InvalidClaim),
        |p| {
            p.remove("aud");
        },
    );
    for (label, value) in [
        ("another service", "https://other-api.example".to_owned()),
        ("\"*\"", "*".to_owned()),
        ("with a trailing slash", format!("{aud}/")),
        ("upper case", aud.to_uppercase()),
    ] {
        if value == aud {
            continue;
        }
        signed(
            input,
            out,
            &format!("aud {label}"),
            Expected::Code(InvalidAudience),
            |p| set(p, "aud", js(&value)),
        );
    }
}

fn h08(input: &ForgeInput<'_>, out: &mut Out) {
    let aud = claim_str(input, "aud");
    signed(
        input,
        out,
        "aud [\"other\"]",
        Expected::Code(InvalidAudience),
        |p| set(p, "aud", r#"["https://other-api.example"]"#),
    );
    signed(input, out, "aud []", Expected::Code(InvalidClaim), |p| {
        set(p, "aud", "[]")
    });
    signed(
        input,
        out,
        "aud [expected, other] (must be accepted)",
        Expected::Accepted,
        |p| {
            set(
                p,
                "aud",
                format!("[{},\"https://other-api.example\"]", js(&aud)),
            )
        },
    );
    signed(input, out, "aud 1", Expected::Code(InvalidClaim), |p| {
        set(p, "aud", 1)
    });
    signed(
        input,
        out,
        "aud [[expected]]",
        Expected::Code(InvalidClaim),
        |p| set(p, "aud", format!("[[{}]]", js(&aud))),
    );
}

fn h09(input: &ForgeInput<'_>, out: &mut Out) {
    let iss = claim_str(input, "iss");
    for (label, value) in [
        (
            "a prefix of the expected issuer",
            iss.chars()
                .take(iss.chars().count().saturating_sub(1))
                .collect::<String>(),
        ),
        (
            "the expected issuer plus .evil.example",
            format!("{iss}.evil.example"),
        ),
        ("with a trailing slash", format!("{iss}/")),
        ("upper case", iss.to_uppercase()),
        ("with /api/auth appended", format!("{iss}/api/auth")),
    ] {
        if value == iss {
            continue;
        }
        signed(
            input,
            out,
            &format!("iss {label}"),
            Expected::Code(InvalidIssuer),
            |p| set(p, "iss", js(&value)),
        );
    }
    signed(
        input,
        out,
        "iss [evil, expected]",
        Expected::Code(InvalidClaim),
        |p| set(p, "iss", format!("[\"https://evil.example\",{}]", js(&iss))),
    );
    signed(
        input,
        out,
        "iss removed",
        Expected::Code(InvalidClaim),
        |p| {
            p.remove("iss");
        },
    );
}

fn h10(input: &ForgeInput<'_>, out: &mut Out) {
    for value in ["null", "0", r#"["admin"]"#, "{}", "\"\""] {
        signed(
            input,
            out,
            &format!("sub {value}"),
            Expected::Code(InvalidClaim),
            |p| set(p, "sub", value),
        );
    }
    signed(
        input,
        out,
        "sub of 1 MB",
        Expected::Code(MalformedToken),
        |p| set(p, "sub", js(&"a".repeat(1 << 20))),
    );
}

fn keep_sig(
    input: &ForgeInput<'_>,
    out: &mut Out,
    label: &str,
    code: ErrorCode,
    edit: impl FnOnce(&mut RawObject),
) {
    let f = Forger::new(input.base);
    let mut p = f.payload();
    edit(&mut p);
    out.code(
        format!("{label}, original signature"),
        f.with_payload(p.as_str()),
        code,
        Touches::PAYLOAD,
    );
}

fn h11(input: &ForgeInput<'_>, out: &mut Out) {
    for (name, value) in [
        ("role", "\"admin\""),
        ("roles", r#"["admin"]"#),
        ("scope", "\"reports:read admin\""),
        ("scp", r#"["reports:read"]"#),
        ("admin", "true"),
        ("isAdmin", "true"),
        ("groups", r#"["admins"]"#),
        ("permissions", r#"["*"]"#),
        ("emailVerified", "true"),
        ("tenant_id", "\"00000000-0000-0000-0000-000000000000\""),
    ] {
        keep_sig(
            input,
            out,
            &format!("{name} = {value}"),
            InvalidSignature,
            |p| set(p, name, value),
        );
    }
}

fn h13(input: &ForgeInput<'_>, out: &mut Out) {
    out.code(
        "a Better Auth opaque session token",
        "dFnROokw5hsnVcxfxDzYjPQ7THvYpogL".into(),
        MalformedToken,
        Touches::STRUCTURE,
    );
    out.code(
        "a bearer-plugin signed session token",
        "3XzfTifVj9Snu0SwTW6dy0JPlAnwqThO.UDoujOx-Gp_3DCj3IjotYdRmQYuXqwmIYpYzec1_6_c".into(),
        MalformedToken,
        Touches::STRUCTURE,
    );
    let Some(key) = input.issuer_key else { return };
    let f = Forger::new(input.base);
    let mut h = f.header();
    h.set("typ", "\"at+jwt\"");
    out.code(
        "typ at+jwt (an OAuth access token profile), signed by the issuer",
        f.signed_raw(h.as_str().as_bytes(), None, key, input.base_alg()),
        InvalidTokenType,
        Touches::HEADER_SIGNATURE,
    );
    signed(
        input,
        out,
        "an ID token for a client (aud = client id)",
        Expected::Code(InvalidAudience),
        |p| set(p, "aud", "\"my-spa-client\""),
    );
}

fn h14(input: &ForgeInput<'_>, out: &mut Out) {
    for payload in [
        "<script>alert(1)</script>",
        "' OR '1'='1",
        "{{7*7}}${7*7}",
        "${jndi:ldap://127.0.0.1:1/a}",
        "Alice\r\nX-Injected: 1",
    ] {
        keep_sig(
            input,
            out,
            &format!("name = {payload:?}"),
            InvalidSignature,
            |p| set(p, "name", js(payload)),
        );
    }
}

fn h15(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    const VALUES: [&str; 5] = ["null", "true", "false", "\"x\"", "0"];
    for name in f.header().names() {
        for value in VALUES {
            let code = match (name.as_str(), value) {
                ("alg", "\"x\"") => AlgorithmNotAllowed,
                ("alg", _) | ("kid", _) if value != "\"x\"" => MalformedToken,
                ("kid", _) => UnknownKeyId,
                ("typ", _) => InvalidTokenType,
                _ => InvalidSignature,
            };
            let mut h = f.header();
            h.set(&name, value);
            out.code(
                format!("header {name} = {value}"),
                f.with_header(h.as_str()),
                code,
                Touches::HEADER,
            );
        }
    }
    for name in f.payload().names() {
        for value in VALUES {
            keep_sig(
                input,
                out,
                &format!("claim {name} = {value}"),
                InvalidSignature,
                |p| set(p, &name, value),
            );
        }
    }
}

fn h16(input: &ForgeInput<'_>, out: &mut Out) {
    for name in [
        "picture",
        "website",
        "profile",
        "image",
        "avatar_url",
        "iss",
        "jku",
        "x5u",
        "callback",
        "redirect_uri",
        "logo_uri",
        "jwks_uri",
        "sector_identifier_uri",
        "request_uri",
        "url",
        "homepage",
        "link",
        "source",
        "webhook",
        "endpoint",
    ] {
        let path = out.oob_path(name);
        let url = input.oob_url(&path);
        keep_sig(
            input,
            out,
            &format!("{name} = a listener URL"),
            InvalidSignature,
            |p| set(p, name, js(&url)),
        );
        out.with_oob(path);
    }
}
