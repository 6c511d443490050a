//! The `authprobe` binary as a user runs it: verdicts, documented exit codes, inputs from the
//! command line, files and standard input, and clear errors that name what is wrong and where.

mod common;

use common::{authprobe, fixture_path, fresh_path, Sample};
use serde_json::Value;
use std::process::Output;

const ISS: &str = "http://127.0.0.1:3000";

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn validate(token_arg: &str, extra: &[&str], stdin: Option<&str>) -> Output {
    let jwks = fixture_path("better-auth/jwks.json");
    let mut args = vec![
        "validate",
        "--jwks",
        jwks.to_str().unwrap(),
        "--issuer",
        ISS,
        "--audience",
        ISS,
    ];
    args.extend_from_slice(extra);
    args.push(token_arg);
    authprobe(&args, stdin)
}

#[test]
fn the_sample_token_file_is_accepted_at_a_pinned_time() {
    let token = fixture_path("better-auth/token.jwt");
    let out = validate(token.to_str().unwrap(), &["--now", "1795690700"], None);
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("verdict: ACCEPTED"));
    assert!(stdout.contains("alice@example.com"));
}

#[test]
fn an_expired_token_is_rejected_with_exit_1_and_its_code() {
    let token = fixture_path("better-auth/token.jwt");
    let out = validate(
        token.to_str().unwrap(),
        &["--now", "1795700000", "--json"],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["verdict"], "rejected");
    assert_eq!(v["code"], "TOKEN_EXPIRED");
    assert_eq!(v["status"], 401);
}

#[test]
fn tokens_come_from_stdin_or_the_command_line() {
    let s = Sample::load();
    let out = validate(
        "-",
        &["--now", "1795690700", "--json"],
        Some(&format!("{}\n", s.token)),
    );
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["verdict"], "accepted");
    assert_eq!(v["claims"]["sub"], "9URAu33PHr1A5LlE7KXJTelugMMDgpKy");
    let out = validate(&s.token, &["--now", "1795690700"], None);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn a_malformed_token_is_a_verdict_not_an_error() {
    let out = validate("abc.def", &[], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).0.contains("MALFORMED_TOKEN"));
}

#[test]
fn decode_marks_its_output_unverified() {
    let token = fixture_path("better-auth/token.jwt");
    let out = authprobe(&["decode", token.to_str().unwrap()], None);
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout.starts_with("UNVERIFIED"));
    assert!(stdout.contains("\"kid\": \"k7QwZp2LxR9vTmN4bYc8HsJd3FgEa6Uu\""));
    let out = authprobe(&["decode", "--json", token.to_str().unwrap()], None);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["verified"], false);
    assert_eq!(v["claims"]["exp"], 1795691524);
}

#[test]
fn decode_of_garbage_names_the_segment_and_offset_with_exit_3() {
    let out = authprobe(&["decode", "eyJhbGciOiJFZERTQSJ9.e30=.AA"], None);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr.contains("payload segment"), "{stderr}");
    assert!(stderr.contains("token offset 24"), "{stderr}");
}

#[test]
fn a_bad_jwks_file_is_exit_3_with_its_location() {
    let dir = common::temp_dir("cli");
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "{\n  \"keys\": [\n    {\"kty\": \"OKP\",}\n  ]\n}\n").unwrap();
    let out = authprobe(
        &[
            "validate",
            "--jwks",
            bad.to_str().unwrap(),
            "--issuer",
            ISS,
            "--audience",
            ISS,
            "x.y.z",
        ],
        None,
    );
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr.contains("bad.json"), "{stderr}");
    assert!(stderr.contains("line 3"), "{stderr}");
    let missing = dir.join("missing.json");
    let out = authprobe(
        &[
            "validate",
            "--jwks",
            missing.to_str().unwrap(),
            "--issuer",
            ISS,
            "--audience",
            ISS,
            "x",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out).1.contains("missing.json"));
}

#[test]
fn an_unreachable_jwks_url_is_exit_4() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/api/auth/jwks");
    let s = Sample::load();
    let out = authprobe(
        &[
            "validate",
            "--jwks",
            &url,
            "--issuer",
            ISS,
            "--audience",
            ISS,
            "--now",
            "1795690700",
            &s.token,
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(4));
    assert!(text(&out).1.contains("key set could not be fetched"));
}

#[test]
fn usage_errors_are_exit_2() {
    assert_eq!(authprobe(&["validate"], None).status.code(), Some(2));
    assert_eq!(authprobe(&["frobnicate"], None).status.code(), Some(2));
    let out = validate("x", &["--alg", "none"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).1.contains("expected one of EdDSA"));
    assert_eq!(
        validate("x", &["--leeway", "301"], None).status.code(),
        Some(2)
    );
}

#[test]
fn nothing_panics_on_hostile_input() {
    let long = "A".repeat(100_000);
    let inputs = [
        "",
        ".",
        "..",
        "...",
        "\u{0}",
        "\u{0}.\u{1}.\u{2}",
        "é.é.é",
        &long,
    ];
    for token in inputs {
        let out = validate("-", &[], Some(token));
        assert_eq!(out.status.code(), Some(1), "{token:?}: {:?}", text(&out));
        assert!(text(&out).0.contains("MALFORMED_TOKEN"));
        let out = authprobe(&["decode", "-"], Some(token));
        assert_eq!(out.status.code(), Some(3), "{token:?}");
        assert!(!text(&out).1.contains("panicked"));
    }
}

#[test]
fn forge_lists_filters_and_forges_with_expected_outcomes() {
    let out = authprobe(&["forge", "--list", "--tag", "key-confusion"], None);
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout.contains("C01") && stdout.contains("C10") && !stdout.contains("A01"));
    assert!(stdout.trim_end().ends_with("10 cases"));

    let token = fixture_path("better-auth/token.jwt");
    let out = authprobe(
        &["forge", "B01", "--from", token.to_str().unwrap(), "--json"],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    let lines: Vec<Value> = text(&out)
        .0
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    for line in &lines {
        assert_eq!(line["id"], "B01");
        assert_eq!(line["expected"]["codes"], "ALGORITHM_NOT_ALLOWED");
        // And the reference validator agrees.
        let t = line["token"].as_str().unwrap();
        let v = validate(t, &["--now", "1795690700", "--json"], None);
        let verdict: Value = serde_json::from_slice(&v.stdout).unwrap();
        assert_eq!(verdict["code"], "ALGORITHM_NOT_ALLOWED");
    }
    let out = authprobe(&["forge", "H01", "--from", token.to_str().unwrap()], None);
    assert!(text(&out).1.contains("needs the issuer's key"));
    let out = authprobe(&["forge", "Z99", "--from", token.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out).1.contains("no case \"Z99\""));
}

#[test]
fn crack_finds_a_weak_secret_and_exports_for_hashcat() {
    use authprobe::sign::{sign_compact, SigningKey};
    use authprobe::Algorithm;
    let weak = sign_compact(
        br#"{"alg":"HS256","typ":"JWT"}"#,
        br#"{"sub":"1"}"#,
        &SigningKey::hmac(b"your-256-bit-secret"),
        Algorithm::HS256,
    )
    .unwrap();
    let out = authprobe(&["crack", &weak], None);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "a found secret is a finding");
    assert!(stdout.contains("\"your-256-bit-secret\""), "{stdout}");
    assert!(stderr.contains("candidates/s"), "{stderr}");
    let strong = sign_compact(
        br#"{"alg":"HS256"}"#,
        b"{}",
        &SigningKey::hmac(&[9u8; 32]),
        Algorithm::HS256,
    )
    .unwrap();
    assert_eq!(authprobe(&["crack", &strong], None).status.code(), Some(0));
    let out = authprobe(&["crack", "--hashcat", &strong], None);
    assert_eq!(text(&out).0.trim(), strong);
    let s = Sample::load();
    let out = authprobe(&["crack", &s.token], None);
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out).1.contains("only HMAC tokens"));
}

#[test]
fn audit_of_the_embedded_mock_passes_and_writes_every_report() {
    let out = fresh_path("cli-audit");
    let run = authprobe(
        &["audit", "--no-progress", "--out", out.to_str().unwrap()],
        None,
    );
    let (stdout, stderr) = text(&run);
    assert_eq!(run.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("0 critical, 0 high"), "{stdout}");
    assert!(stdout.contains("none fails the gate"), "{stdout}");
    for file in [
        "report.json",
        "junit.xml",
        "results.sarif",
        "summary.md",
        "report.html",
    ] {
        assert!(out.join("latest").join(file).is_file(), "{file}");
    }
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("latest/report.json")).unwrap())
            .unwrap();
    assert_eq!(report["baseline_ok"], true);
    assert!(report["summary"]["passed"].as_u64().unwrap() > 600);
    let html = std::fs::read_to_string(out.join("latest/report.html")).unwrap();
    assert!(
        !authprobe::report::contains_unredacted_token(&html),
        "no token in the HTML report"
    );
}

#[test]
fn audit_of_a_flawed_mock_exits_1_with_findings() {
    let out = fresh_path("cli-audit");
    let run = authprobe(
        &[
            "audit",
            "--no-progress",
            "--mock-variant",
            "accepts-alg-none",
            "--suite",
            "attacks",
            "--out",
            out.to_str().unwrap(),
        ],
        None,
    );
    let (stdout, _) = text(&run);
    assert_eq!(run.status.code(), Some(1), "{stdout}");
    // The flaw heads the summary, graded critical with its cause.
    let first = stdout
        .lines()
        .find(|l| l.trim_start().starts_with("CRITICAL") || l.trim_start().starts_with("HIGH"))
        .unwrap_or_default();
    assert!(first.contains("CRITICAL"), "{stdout}");
    assert!(stdout.contains("[unsigned-token-accepted]"), "{stdout}");
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("latest/results.sarif")).unwrap())
            .unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let b01 = results
        .iter()
        .find(|r| r["ruleId"] == "AP-B01-alg-none")
        .expect("an AP-B01 result");
    assert_eq!(b01["properties"]["security-severity"], "9.5");
    assert_eq!(b01["level"], "error");
}

fn audit_mock(
    variant: &str,
    extra: &[&str],
    out: &std::path::Path,
) -> (Option<i32>, String, String) {
    let mut args = vec![
        "audit",
        "--no-progress",
        "--mock-variant",
        variant,
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let run = authprobe(&args, None);
    let (stdout, stderr) = text(&run);
    (run.status.code(), stdout, stderr)
}

#[test]
fn fail_on_sets_the_gate() {
    let out = fresh_path("cli-audit");
    // A missing challenge is a contract deviation (low): below the default gate.
    let (code, stdout, _) = audit_mock("no-www-authenticate", &["--suite", "error-contract"], &out);
    assert_eq!(code, Some(0), "{stdout}");
    assert!(
        stdout.contains("gate: high and above: none fails"),
        "{stdout}"
    );
    let (code, stdout, _) = audit_mock(
        "no-www-authenticate",
        &["--suite", "error-contract", "--fail-on", "low"],
        &out,
    );
    assert_eq!(code, Some(1), "{stdout}");
    let (code, stdout, _) = audit_mock(
        "no-www-authenticate",
        &["--suite", "error-contract", "--pedantic"],
        &out,
    );
    assert_eq!(code, Some(1), "{stdout}");
    let bad = authprobe(&["audit", "--fail-on", "severe"], None);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn suppressions_need_a_reason_and_an_expiry_and_expire() {
    let out = fresh_path("cli-audit");
    std::fs::create_dir_all(&out).unwrap();
    let file = out.join("suppressions.toml");
    // Missing reason: bad input, located.
    std::fs::write(
        &file,
        "\n[[suppress]]\nrule = \"unsigned-token-accepted\"\nexpires = \"2099-01-01\"\n",
    )
    .unwrap();
    let run = authprobe(&["audit", "--suppressions", file.to_str().unwrap()], None);
    assert_eq!(run.status.code(), Some(3));
    assert!(
        text(&run).1.contains("suppressions.toml:2:1"),
        "{}",
        text(&run).1
    );
    // A valid entry silences the flaw's findings (they stay in the report, marked).
    std::fs::write(
        &file,
        "[[suppress]]\nrule = \"unsigned-token-accepted\"\nreason = \"accepted for the test\"\nexpires = \"2099-01-01\"\n",
    )
    .unwrap();
    let (code, stdout, _) = audit_mock(
        "accepts-alg-none",
        &[
            "--suite",
            "attacks",
            "--suppressions",
            file.to_str().unwrap(),
        ],
        &out,
    );
    assert_eq!(code, Some(0), "{stdout}");
    assert!(stdout.contains("suppressed"), "{stdout}");
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("latest/report.json")).unwrap())
            .unwrap();
    let suppressed = report["suites"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["cases"].as_array().unwrap())
        .flat_map(|c| c["findings"].as_array().unwrap())
        .filter(|f| f["suppressed"]["reason"] == "accepted for the test")
        .count();
    assert!(suppressed > 3, "{suppressed}");
    // Expired: it stops suppressing, and the run says so.
    std::fs::write(
        &file,
        "[[suppress]]\nrule = \"unsigned-token-accepted\"\nreason = \"r\"\nexpires = \"2020-01-01\"\n",
    )
    .unwrap();
    let (code, stdout, _) = audit_mock(
        "accepts-alg-none",
        &[
            "--suite",
            "attacks",
            "--suppressions",
            file.to_str().unwrap(),
        ],
        &out,
    );
    assert_eq!(code, Some(1), "{stdout}");
    assert!(stdout.contains("expired on 2020-01-01"), "{stdout}");
}

#[test]
fn a_baseline_marks_findings_and_fail_on_new_ignores_known_ones() {
    let out = fresh_path("cli-audit");
    let (code, stdout, _) = audit_mock("accepts-alg-none", &["--suite", "attacks"], &out);
    assert_eq!(code, Some(1), "{stdout}");
    let previous = out.join("previous.json");
    std::fs::copy(out.join("latest/report.json"), &previous).unwrap();
    // The same flaw again: every finding unchanged (fingerprints are stable across runs of a
    // mock with new ports and keys), so only-new fails nothing.
    let (code, stdout, _) = audit_mock(
        "accepts-alg-none",
        &[
            "--suite",
            "attacks",
            "--baseline",
            previous.to_str().unwrap(),
            "--fail-on-new",
        ],
        &out,
    );
    assert_eq!(code, Some(0), "{stdout}");
    assert!(stdout.contains("0 new, 0 no longer found"), "{stdout}");
    // Another flaw against that baseline: its findings are new, the old ones absent.
    let (code, stdout, _) = audit_mock(
        "no-signature-check",
        &[
            "--suite",
            "attacks",
            "--baseline",
            previous.to_str().unwrap(),
            "--fail-on-new",
        ],
        &out,
    );
    assert_eq!(code, Some(1), "{stdout}");
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("latest/results.sarif")).unwrap())
            .unwrap();
    let states: std::collections::BTreeSet<&str> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["baselineState"].as_str())
        .collect();
    assert!(
        states.contains("new") && states.contains("absent"),
        "{states:?}"
    );
    let bad = authprobe(&["audit", "--fail-on-new"], None);
    assert_eq!(bad.status.code(), Some(2), "--fail-on-new needs --baseline");
}

#[test]
fn audit_of_an_unreachable_target_exits_4_and_still_writes_the_report() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = fresh_path("cli-audit");
    let url = format!("http://127.0.0.1:{port}");
    let run = authprobe(
        &[
            "audit",
            "--no-progress",
            "--backend-url",
            &url,
            "--auth-url",
            &url,
            "--out",
            out.to_str().unwrap(),
        ],
        None,
    );
    let (stdout, stderr) = text(&run);
    assert_eq!(run.status.code(), Some(4), "{stdout}\n{stderr}");
    assert!(stderr.contains("could not be reached"), "{stderr}");
    assert!(out.join("latest/report.json").is_file());
    assert!(out.join("latest/junit.xml").is_file());
}

#[test]
fn audit_names_the_file_line_and_column_of_a_broken_suite_with_exit_3() {
    let dir = fresh_path("cli-audit");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("broken.toml"), "[suite]\nname = \"x\"\ndescription = \"d\"\n\n[[case]]\nid = \"a\"\ntitle = \"t\"\nrule = \"AP-X\"\n[case.expect]\nstatu = 401\n").unwrap();
    let run = authprobe(
        &[
            "audit",
            "--no-progress",
            "--scenarios",
            dir.to_str().unwrap(),
            "--out",
            dir.join("r").to_str().unwrap(),
        ],
        None,
    );
    let (_, stderr) = text(&run);
    assert_eq!(run.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("broken.toml:10:1"), "{stderr}");
    assert!(stderr.contains("did you mean `status`"), "{stderr}");
}

/// A profile naming one of the in-process mocks as a live target.
fn mock_profile(
    dir: &std::path::Path,
    name: &str,
    mock: &authprobe::deployment::mock::MockDeployment,
) -> std::path::PathBuf {
    let e = mock.endpoints();
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(
        &path,
        format!(
            "[target]\nname = \"{name}\"\nbackend_url = \"{}\"\nauth_url = \"{}\"\nfrontend_origin = \"{}\"\n[contract]\nrealm = \"api\"\n",
            e.backend,
            e.auth.unwrap(),
            e.frontend_origin.unwrap()
        ),
    )
    .unwrap();
    path
}

#[test]
fn several_targets_are_audited_in_one_run_with_one_report() {
    use authprobe::deployment::mock::{Flaw, MockDeployment};
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let good = runtime.block_on(MockDeployment::start(None));
    let bad = runtime.block_on(MockDeployment::start(Some(Flaw::AcceptsAlgNone)));
    let out = fresh_path("cli-audit");
    std::fs::create_dir_all(&out).unwrap();
    let (a, b) = (
        mock_profile(&out, "orders", &good),
        mock_profile(&out, "billing", &bad),
    );
    let run = authprobe(
        &[
            "audit",
            "--no-progress",
            "--suite",
            "attacks",
            "--target",
            a.to_str().unwrap(),
            "--target",
            b.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        None,
    );
    let (stdout, stderr) = text(&run);
    assert_eq!(run.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stdout.contains("(2 targets)"), "{stdout}");
    // One line per target; only the flawed one fails the gate.
    let line = |name: &str| {
        stdout
            .lines()
            .find(|l| l.trim_start().starts_with(name))
            .unwrap_or_default()
            .to_owned()
    };
    assert!(line("billing").ends_with("FAIL"), "{stdout}");
    assert!(
        !line("orders").contains("FAIL") && line("orders").contains("0 critical"),
        "{stdout}"
    );
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("latest/report.json")).unwrap())
            .unwrap();
    let targets: Vec<&str> = report["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(targets, ["orders", "billing"]);
    let failing_targets: std::collections::BTreeSet<&str> = report["suites"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["cases"].as_array().unwrap())
        .filter(|c| c["outcome"] == "fail")
        .map(|c| c["target"].as_str().unwrap())
        .collect();
    assert_eq!(
        failing_targets,
        std::collections::BTreeSet::from(["billing"])
    );
    let junit = std::fs::read_to_string(out.join("latest/junit.xml")).unwrap();
    assert!(
        junit.contains("name=\"billing/attacks\"") && junit.contains("name=\"orders/attacks\"")
    );
    drop((good, bad));
}

#[test]
fn too_many_unjudged_attack_cases_exit_7() {
    let out = fresh_path("cli-audit");
    // One second and 20 requests per second: the baseline passes, most attack cases never run.
    let args = ["--suite", "attacks", "--budget", "1", "--rate", "20"];
    let (code, stdout, _) = audit_mock("accepts-alg-none", &args, &out);
    // The flaw is still graded first: findings at the gate win over an incomplete run.
    assert!(matches!(code, Some(1) | Some(7)), "{stdout}");
    let (code, stdout, _) = audit_mock("ignores-unknown-crit", &args, &out);
    assert_eq!(code, Some(7), "{stdout}");
    assert!(
        stdout.contains("attack cases could not be judged"),
        "{stdout}"
    );
    let mut lenient = args.to_vec();
    lenient.extend(["--max-unjudged", "100"]);
    let (code, stdout, _) = audit_mock("ignores-unknown-crit", &lenient, &out);
    assert_eq!(code, Some(0), "{stdout}");
}

/// The usual pentest start: no auth server, only a captured token (and the published key set).
/// Every case that needs only a valid token runs; what needs the issuer's key or the auth server
/// is skipped with its reason, and a flawed backend is still caught.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_starts_from_a_token_alone() {
    use authprobe::deployment::http::{Http, HttpOptions};
    use authprobe::deployment::mock::{Flaw, MockDeployment};
    use authprobe::deployment::session::{bootstrap, Credentials};
    // The compliant mock; one that accepts alg none; and the compliant mock held to another
    // audience than its tokens carry (`--audience`: what the backend should demand).
    let runs = [
        (None, None),
        (Some(Flaw::AcceptsAlgNone), None),
        (None, Some("https://api.other.example")),
    ];
    for (flaw, audience) in runs {
        let mock = MockDeployment::start(flaw).await;
        let endpoints = mock.endpoints();
        let http = Http::new(HttpOptions::default()).unwrap();
        let session = bootstrap(&http, &endpoints, &Credentials::throwaway("token-only"))
            .await
            .unwrap();
        let dir = fresh_path("cli-audit");
        std::fs::create_dir_all(&dir).unwrap();
        let jwks = dir.join("jwks.json");
        std::fs::write(&jwks, session.jwks.to_string()).unwrap();
        let backend = endpoints.backend.clone();
        let token = session.jwt.clone();
        let (jwks_arg, out_arg) = (jwks.display().to_string(), dir.display().to_string());
        let out = tokio::task::spawn_blocking(move || {
            let mut args = vec![
                "audit",
                "--no-progress",
                "--backend-url",
                &backend,
                "--token",
                &token,
                "--jwks",
                &jwks_arg,
                "--out",
                &out_arg,
            ];
            if let Some(aud) = audience {
                args.extend(["--audience", aud]);
            }
            authprobe(&args, None)
        })
        .await
        .unwrap();
        let (stdout, stderr) = text(&out);
        let want = if flaw.is_some() || audience.is_some() {
            1
        } else {
            0
        };
        assert_eq!(
            out.status.code(),
            Some(want),
            "{flaw:?}\n{stdout}\n{stderr}"
        );
        let report: Value =
            serde_json::from_slice(&std::fs::read(dir.join("latest").join("report.json")).unwrap())
                .unwrap();
        assert_eq!(report["baseline_ok"], true, "{stdout}");
        let attacks = report["suites"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == "attacks")
            .expect("the attacks suite ran");
        let cases = attacks["cases"].as_array().unwrap();
        let judged = cases.iter().filter(|c| c["outcome"] != "skip").count();
        let skipped: Vec<&Value> = cases.iter().filter(|c| c["outcome"] == "skip").collect();
        assert!(
            judged >= 90,
            "only {judged} attack cases ran from the token alone: {:?}",
            skipped_reasons(cases)
        );
        // What cannot run says why: it signs as the issuer, or it is not a token at all.
        for c in &skipped {
            let why = c["message"].as_str().unwrap_or_default();
            assert!(
                why.contains("issuer's private key")
                    || why.contains("not a token")
                    || why.contains("not deliverable over HTTP"),
                "{}: skipped without a reason that says why: {why:?}",
                c["id"]
            );
        }
        let classes: Vec<&str> = cases
            .iter()
            .flat_map(|c| c["findings"].as_array().unwrap().iter())
            .filter_map(|f| f["class"].as_str())
            .collect();
        if flaw.is_some() {
            assert!(classes.contains(&"alg-none"), "{classes:?}\n{stdout}");
        }
        if audience.is_some() {
            // The backend accepts its own audience's tokens: held to another, that is the
            // finding, first on the valid-token control.
            let baseline: Vec<&str> = report["baseline"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|c| c["findings"].as_array().unwrap().iter())
                .filter_map(|f| f["cause"].as_str())
                .collect();
            assert!(
                baseline.contains(&"foreign-audience-accepted"),
                "{baseline:?}\n{stdout}"
            );
        }
        eprintln!(
            "{flaw:?}: {judged} attack cases judged; skipped: {:?}",
            skipped_reasons(cases)
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}

fn skipped_reasons(cases: &[Value]) -> std::collections::BTreeMap<String, usize> {
    let mut out = std::collections::BTreeMap::new();
    for c in cases.iter().filter(|c| c["outcome"] == "skip") {
        *out.entry(c["message"].as_str().unwrap_or_default().to_owned())
            .or_insert(0) += 1;
    }
    out
}
