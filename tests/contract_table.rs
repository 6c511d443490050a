//! errors.md is the single source of truth for the error contract: this test parses its table and
//! fails if `authprobe::contract` disagrees on any row, and then shows that every code in the
//! table is produced by at least one real request through the reference backend's gate.

mod common;

use authprobe::gate::{Gate, GateRequest, RateLimiter};
use authprobe::jwk::remote::{RemoteConfig, RemoteKeySet};
use authprobe::ErrorCode;
use common::{Sample, NOW};
use serde_json::json;
use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

const REALM: &str = "api";

type Members = serde_json::Map<String, serde_json::Value>;

struct Row {
    code: String,
    status: u16,
    www_authenticate: Option<String>,
    error: String,
    description: String,
}

fn table() -> Vec<Row> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("specs/002-auth-security-integration/contracts/errors.md");
    let text = std::fs::read_to_string(&path).expect("errors.md is readable");
    let mut lines = text.lines().skip_while(|l| !l.starts_with("| code |"));
    let header = lines
        .next()
        .expect("errors.md has a table starting with `| code |`");
    assert_eq!(
        cells(header),
        [
            "code",
            "status",
            "www-authenticate",
            "error",
            "error_description",
            "applies when"
        ]
    );
    lines
        .skip(1) // the |---| line
        .take_while(|l| l.starts_with('|'))
        .map(|line| {
            let c = cells(line);
            assert_eq!(c.len(), 6, "row {line:?} has {} cells", c.len());
            let challenge = c[2].trim_matches('`');
            Row {
                code: c[0].clone(),
                status: c[1]
                    .parse()
                    .unwrap_or_else(|_| panic!("status in {line:?}")),
                www_authenticate: (challenge != "—")
                    .then(|| challenge.replace("{realm}", &format!("\"{REALM}\""))),
                error: c[3].clone(),
                description: c[4].clone(),
            }
        })
        .collect()
}

fn cells(line: &str) -> Vec<String> {
    line.trim()
        .trim_start_matches('|')
        .trim_end_matches('|')
        .split('|')
        .map(|c| c.trim().to_owned())
        .collect()
}

#[test]
fn code_and_table_agree_row_by_row() {
    let rows = table();
    assert_eq!(rows.len(), ErrorCode::ALL.len(), "one row per code");
    for (row, code) in rows.iter().zip(ErrorCode::ALL) {
        assert_eq!(row.code, code.as_str(), "row order follows ErrorCode::ALL");
        assert_eq!(row.status, code.status(), "{}: status", row.code);
        assert_eq!(
            row.www_authenticate,
            code.www_authenticate(REALM),
            "{}: challenge",
            row.code
        );
        assert_eq!(row.error, code.error(), "{}: error", row.code);
        assert_eq!(
            row.description,
            code.description(),
            "{}: description",
            row.code
        );
        let body = code.body();
        assert_eq!(
            body,
            json!({"error": row.error, "error_description": row.description, "code": row.code})
        );
        let response = code.response(REALM);
        assert_eq!(response.status, row.status);
        assert!(response
            .headers
            .contains(&("cache-control", "no-store".into())));
    }
    println!(
        "errors.md: {} rows checked against authprobe::contract",
        rows.len()
    );
}

/// Drives one request through a gate and returns the code it was refused with.
fn refusal(
    gate: &Gate,
    s: &Sample,
    authorization: Vec<&[u8]>,
    scope: Option<&str>,
) -> Option<ErrorCode> {
    let request = GateRequest {
        authorization,
        client: "127.0.0.1",
        required_scope: scope,
    };
    gate.decide(&request, &s.keys, &s.clock()).err().map(|d| {
        assert!(
            !d.response.body.contains(&s.token[..20]),
            "body must not echo the token"
        );
        d.code()
    })
}

#[tokio::test]
async fn every_code_in_the_table_is_produced_by_some_request() {
    let s = Sample::load();
    let gate = Gate::new(s.validator(), REALM);
    let bearer = |t: &str| format!("Bearer {t}");
    let mut seen = BTreeSet::new();
    let mut expect = |got: Option<ErrorCode>, want: ErrorCode| {
        assert_eq!(got, Some(want));
        seen.insert(want.as_str().to_owned());
    };
    let signed =
        |edit: &dyn Fn(&mut Members, &mut Members)| bearer(&s.signed_with(|h, c| edit(h, c)));

    expect(refusal(&gate, &s, vec![], None), ErrorCode::MissingToken);
    expect(
        refusal(&gate, &s, vec![b"Bearer a b"], None),
        ErrorCode::MalformedAuthorization,
    );
    expect(
        refusal(&gate, &s, vec![b"Bearer not-a-jwt"], None),
        ErrorCode::MalformedToken,
    );
    let forged_claims = common::fixture("better-auth/claims.json").replace("Alice", "Mallory");
    let parts: Vec<&str> = s.token.split('.').collect();
    let tampered = bearer(&format!(
        "{}.{}.{}",
        parts[0],
        authprobe::base64url::encode(forged_claims),
        parts[2]
    ));
    expect(
        refusal(&gate, &s, vec![tampered.as_bytes()], None),
        ErrorCode::InvalidSignature,
    );
    let t = signed(&|h, _| {
        h.insert("alg".into(), json!("none"));
    });
    expect(
        refusal(&gate, &s, vec![t.as_bytes()], None),
        ErrorCode::AlgorithmNotAllowed,
    );
    let t = signed(&|h, _| {
        h.insert("kid".into(), json!("unknown"));
    });
    expect(
        refusal(&gate, &s, vec![t.as_bytes()], None),
        ErrorCode::UnknownKeyId,
    );
    let t = signed(&|h, _| {
        h.insert("jku".into(), json!("http://127.0.0.1:1/jwks"));
    });
    expect(
        refusal(&gate, &s, vec![t.as_bytes()], None),
        ErrorCode::ForbiddenHeaderParameter,
    );
    let t = signed(&|h, _| {
        h.insert("typ".into(), json!("at+jwt"));
    });
    expect(
        refusal(&gate, &s, vec![t.as_bytes()], None),
        ErrorCode::InvalidTokenType,
    );
    let t = signed(&|_, c| {
        c.insert("exp".into(), json!(NOW - 3600));
    });
    expect(
        refusal(&gate, &s, vec![t.as_bytes()], None),
        ErrorCode::TokenExpired,
    );
    let t = signed(&|_, c| {
        c.insert("nbf".into(), json!(NOW + 3600));
    });
    expect(
        refusal(&gate, &s, vec![t.as_bytes()], None),
        ErrorCode::TokenNotYetValid,
    );
    let t = signed(&|_, c| {
        c.insert("iat".into(), json!(NOW + 3600));
        c.insert("exp".into(), json!(NOW + 4500));
    });
    expect(
        refusal(&gate, &s, vec![t.as_bytes()], None),
        ErrorCode::TokenIssuedInFuture,
    );
    let t = signed(&|_, c| {
        c.insert("exp".into(), json!(NOW + 86_400 * 365));
    });
    let mut capped = s.policy();
    capped.max_lifetime_secs = Some(3600);
    let capped_gate = Gate::new(authprobe::Validator::new(capped), REALM);
    expect(
        refusal(&capped_gate, &s, vec![t.as_bytes()], None),
        ErrorCode::TokenLifetimeExceeded,
    );
    let t = signed(&|_, c| {
        c.insert("iss".into(), json!("https://evil.example"));
    });
    expect(
        refusal(&gate, &s, vec![t.as_bytes()], None),
        ErrorCode::InvalidIssuer,
    );
    let t = signed(&|_, c| {
        c.insert("aud".into(), json!("https://other.example"));
    });
    expect(
        refusal(&gate, &s, vec![t.as_bytes()], None),
        ErrorCode::InvalidAudience,
    );
    let t = signed(&|_, c| {
        c.remove("sub");
    });
    expect(
        refusal(&gate, &s, vec![t.as_bytes()], None),
        ErrorCode::InvalidClaim,
    );
    let valid = bearer(&s.token);
    expect(
        refusal(&gate, &s, vec![valid.as_bytes()], Some("reports:read")),
        ErrorCode::InsufficientScope,
    );
    let t = signed(&|_, c| {
        c.insert("scope".into(), json!("profile reports:read"));
    });
    assert_eq!(
        refusal(&gate, &s, vec![t.as_bytes()], Some("reports:read")),
        None
    );

    let limited = Gate::new(s.validator(), REALM)
        .with_rate_limit(RateLimiter::new(2, Duration::from_secs(60)));
    assert_eq!(refusal(&limited, &s, vec![valid.as_bytes()], None), None);
    assert_eq!(refusal(&limited, &s, vec![valid.as_bytes()], None), None);
    expect(
        refusal(&limited, &s, vec![valid.as_bytes()], None),
        ErrorCode::RateLimited,
    );

    // A key set URL that refuses connections: fail closed with 503, never accept.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let remote = RemoteKeySet::new(
        &format!("http://127.0.0.1:{port}/jwks"),
        RemoteConfig::default(),
    )
    .unwrap();
    let request = GateRequest {
        authorization: vec![valid.as_bytes()],
        client: "c",
        required_scope: None,
    };
    let denial = gate
        .decide_remote(&request, &remote, &s.clock())
        .await
        .unwrap_err();
    assert_eq!(denial.response.status, 503);
    expect(Some(denial.code()), ErrorCode::KeySetUnavailable);

    let table: BTreeSet<String> = table().into_iter().map(|r| r.code).collect();
    assert_eq!(
        seen, table,
        "every code in errors.md is produced by some request"
    );
}
