//! `authprobe audit` of the embedded mock: every report written, a flaw found with exit 1, the
//! gate (`--fail-on`), suppressions, baselines (`--fail-on-new`), an unreachable target (exit 4)
//! and too many unjudged attack cases (exit 7).

use crate::common::{authprobe, fresh_path};
use crate::{audit_mock, text};
use serde_json::Value;

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
