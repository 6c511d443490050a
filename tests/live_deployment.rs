//! The real deployment of deploy/ (Better Auth 1.7 + the FastAPI/PyJWT backend), audited live.
//! These tests need the lab running (`deploy/install.sh && deploy/start.sh`); `.ci/run` starts it,
//! runs them with `--ignored`, and stops it. Plain `cargo test` lists them as ignored.

use authprobe::deployment::http::{Http, HttpOptions, Outgoing};
use authprobe::deployment::profile::TargetProfile;
use authprobe::deployment::session::{bootstrap, Credentials};
use authprobe::deployment::Endpoints;
use authprobe::report::{FindingKind, Outcome, RunReport};
use authprobe::run::{self, builtin, RunConfig, TargetSpec};
use authprobe::sign::SigningKey;
use authprobe::Token;
use serde_json::{Map, Value};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// The checkout under test: the one `cargo test` runs in (set at run time), which may differ from
/// the one the binary was compiled in when a target dir is shared between clones (CI).
fn root() -> std::path::PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf())
}

fn deploy(script: &str) -> String {
    let path = root().join("deploy").join(script);
    let out = Command::new("bash")
        .arg(&path)
        .output()
        .expect("deploy script runs");
    assert!(
        out.status.success(),
        "{script}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

fn profile() -> TargetProfile {
    TargetProfile::load(&root().join("deploy/target.toml")).unwrap()
}

fn endpoints(p: &TargetProfile) -> Endpoints {
    p.endpoints()
}

fn issuer_key() -> SigningKey {
    let jwk: Map<String, Value> = serde_json::from_str(&deploy("export-signing-key.sh")).unwrap();
    SigningKey::from_private_jwk(&jwk).unwrap()
}

async fn audit(white_box: bool) -> RunReport {
    let p = profile();
    let mut target = TargetSpec::new("deploy", "live", endpoints(&p));
    target.issuer_keys = white_box.then(issuer_key).into_iter().collect();
    target.placement = p.token.clone();
    target.contract = p.contract.clone();
    target.auth_rate_limiting = p.target.auth_rate_limiting;
    run::audit(
        target,
        builtin::builtin_suites().unwrap(),
        RunConfig::default(),
        &|_, _| {},
    )
    .await
    .unwrap()
    .report
}

fn failures(report: &RunReport) -> Vec<String> {
    report
        .all_cases()
        .filter(|c| matches!(c.outcome, Outcome::Fail | Outcome::Error))
        .map(|c| format!("{}/{}: {:?} {:?}", c.suite, c.id, c.message, c.findings))
        .collect()
}

async fn white_box_audit_of_the_real_deployment_finds_nothing() {
    let report = audit(true).await;
    assert!(report.baseline_ok, "{:?}", report.notes);
    let bad = failures(&report);
    assert!(
        bad.is_empty(),
        "{} failures:\n{}",
        bad.len(),
        bad.join("\n")
    );
    let info: Vec<&str> = report
        .all_cases()
        .flat_map(|c| &c.findings)
        .filter(|f| f.kind == FindingKind::Informational)
        .map(|f| f.rule_id.as_str())
        .collect();
    assert!(
        info.contains(&"AP-LC-JWT-AFTER-SIGN-OUT"),
        "Better Auth keeps JWTs valid after sign-out: {info:?}"
    );
    println!(
        "live white-box audit: {:?} in {} ms",
        report.summary, report.duration_ms
    );
}

async fn black_box_audit_skips_what_needs_the_issuer_key_and_finds_nothing() {
    let report = audit(false).await;
    assert!(report.baseline_ok, "{:?}", report.notes);
    let bad = failures(&report);
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    let needs_key = report
        .all_cases()
        .filter(|c| {
            c.outcome == Outcome::Skip
                && c.message
                    .as_deref()
                    .unwrap_or_default()
                    .contains("issuer's private key")
        })
        .count();
    assert!(
        needs_key > 10,
        "issuer-key cases are skipped with their reason ({needs_key})"
    );
    println!("live black-box audit: {:?}", report.summary);
}

/// The pentest start: only the backend's URL, a captured token and the published key set, no
/// auth server. Every attack case that needs only a valid token runs and is judged.
async fn token_only_audit_of_the_real_backend_finds_nothing() {
    let p = profile();
    let e = endpoints(&p);
    let http = Http::new(HttpOptions::default()).unwrap();
    let session = bootstrap(&http, &e, &Credentials::throwaway("token-only"))
        .await
        .unwrap();
    let mut backend_only = e.clone();
    backend_only.auth = None;
    backend_only.backend_key_set_down = None;
    backend_only.backend_rate_limited = None;
    let mut target = TargetSpec::new("deploy-token-only", "live", backend_only);
    target.token = Some(session.jwt.clone());
    target.jwks = Some(session.jwks.clone());
    target.placement = p.token.clone();
    target.contract = p.contract.clone();
    let report = run::audit(
        target,
        builtin::builtin_suites().unwrap(),
        RunConfig::default(),
        &|_, _| {},
    )
    .await
    .unwrap()
    .report;
    assert!(report.baseline_ok, "{:?}", report.notes);
    let bad = failures(&report);
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    assert!(report.summary.attack_cases > 500, "{:?}", report.summary);
    assert_eq!(report.summary.unjudged, 0, "{:?}", report.summary);
    println!("live token-only audit: {:?}", report.summary);
}

async fn backend_answer(http: &Http, backend: &str, jwt: &str) -> u16 {
    let out = Outgoing {
        method: "GET".into(),
        url: format!("{backend}/api/me"),
        headers: vec![("authorization".into(), format!("Bearer {jwt}"))],
        body: None,
    };
    http.send(&out).await.unwrap().status
}

async fn fresh_jwt(http: &Http, e: &Endpoints, cookie: &str) -> String {
    let out = Outgoing {
        method: "GET".into(),
        url: format!("{}{}/token", e.auth.as_deref().unwrap(), e.auth_base_path),
        headers: vec![("cookie".into(), cookie.to_owned())],
        body: None,
    };
    let r = http.send(&out).await.unwrap();
    serde_json::from_slice::<Value>(&r.body).unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn key_rotation_new_kid_accepted_promptly_old_tokens_still_valid() {
    let p = profile();
    let e = endpoints(&p);
    let http = Http::new(HttpOptions::default()).unwrap();
    let session = bootstrap(&http, &e, &Credentials::throwaway("rotation"))
        .await
        .unwrap();
    let old = session.jwt.clone();
    assert_eq!(
        backend_answer(&http, &e.backend, &old).await,
        200,
        "before rotation"
    );
    let rotated: Value = serde_json::from_str(&deploy("rotate-key.sh")).unwrap();
    let new_kid = rotated["kid"].as_str().unwrap().to_owned();
    let new = fresh_jwt(&http, &e, &session.cookie).await;
    assert_eq!(
        Token::parse(&new).unwrap().kid(),
        Some(new_kid.as_str()),
        "new tokens carry the new kid"
    );
    assert_ne!(Token::parse(&old).unwrap().kid(), Some(new_kid.as_str()));
    // The backend refetches for an unknown kid at most once per 10 s (spec §4 step 10).
    let started = Instant::now();
    let mut accepted_after = None;
    while started.elapsed() < Duration::from_secs(15) {
        if backend_answer(&http, &e.backend, &new).await == 200 {
            accepted_after = Some(started.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let delay =
        accepted_after.expect("a new-kid token is accepted within the 10 s refetch cooldown");
    assert!(delay <= Duration::from_secs(11), "accepted after {delay:?}");
    assert_eq!(
        backend_answer(&http, &e.backend, &old).await,
        200,
        "old-kid tokens stay valid: the old key stays published"
    );
    println!("key rotation: new kid {new_kid} accepted after {delay:?}; old kid still accepted");
}

/// One test, in this order: the audits first, the rotation last (it changes the issuer's signing
/// key, and the backend needs up to 10 s to pick a new kid up).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the live lab: .ci/run starts deploy/ and runs this with --ignored"]
async fn live_deployment() {
    black_box_audit_skips_what_needs_the_issuer_key_and_finds_nothing().await;
    white_box_audit_of_the_real_deployment_finds_nothing().await;
    token_only_audit_of_the_real_backend_finds_nothing().await;
    key_rotation_new_kid_accepted_promptly_old_tokens_still_valid().await;
}
