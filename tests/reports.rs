//! The report writers: golden files (JSON, Markdown, SARIF), JUnit structure, SARIF schema
//! validation against OASIS's SARIF 2.1.0 schemas, a self-contained and fully escaped HTML page,
//! and `write_all` (five files, and a refusal for anything carrying a token); the grading gate,
//! suppressions, baselines (fingerprints, new/unchanged/absent) and multi-target reports.
//!
//! Goldens live in `tests/fixtures/reports/`; `UPDATE_GOLDEN=1` rewrites them.

mod common;

use authprobe::judge::{Cause, Confidence, FlawClass, Severity};
use authprobe::report::suppress::Suppressions;
use authprobe::report::{
    baseline, contains_unredacted_token, html, json, junit, markdown, sarif, write_all,
    write_all_to, AbsentFinding, BaselineState, CaseResult, Finding, FindingKind, Gate, Observed,
    Outcome, ReportError, RequestRecord, RunReport, SuiteResult, Suppressed, TargetInfo,
    REPORT_FILES,
};
use common::fresh_path;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

const HOSTILE: &str = "<script>alert(1)</script>\"'&";
/// A token-shaped string (header `{"alg":"EdDSA","kid":"k1"}`): must never reach a report.
const TOKEN: &str = "eyJhbGciOiJFZERTQSIsImtpZCI6ImsxIn0.eyJzdWIiOiJ1c2VyLTEiLCJleHAiOjE3OTU2OTE1MjR9.c2lnbmF0dXJlLWJ5dGVzLWhlcmUtbm90LXJlYWxseS1hLXNpZ25hdHVyZQ";
/// The representative run's target name (`mock:<variant>`).
const TARGET: &str = "mock:accepts-alg-none";
/// The day the representative run is judged on (for suppression expiry).
const TODAY: &str = "2026-11-26";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/reports")
}

/// Compares `actual` with the golden file, or rewrites it when `UPDATE_GOLDEN=1`.
fn golden(name: &str, actual: &str) {
    let path = fixtures().join(name);
    if std::env::var("UPDATE_GOLDEN").as_deref() == Ok("1") {
        std::fs::write(&path, actual).expect("write golden file");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with UPDATE_GOLDEN=1 to create it)",
            path.display()
        )
    });
    assert!(
        actual == expected,
        "{name} differs from its golden file {} (rerun with UPDATE_GOLDEN=1 and review the diff)\n--- actual ---\n{actual}",
        path.display()
    );
}

/// A finding graded by a cause of findings.md §3.
fn graded(rule_id: &str, cause: Cause, confidence: Confidence, message: &str) -> Finding {
    Finding::graded(rule_id, cause, confidence, message)
}

fn observed(status: u16, code: Option<&str>, body: &str) -> Option<Observed> {
    Some(Observed {
        status,
        code: code.map(Into::into),
        headers: vec![("content-type".into(), "application/json".into())],
        body_excerpt: body.into(),
    })
}

fn request(path: &str) -> Option<RequestRecord> {
    Some(RequestRecord {
        method: "GET".into(),
        url: format!("http://127.0.0.1:4000{path}"),
        headers: vec![("authorization".into(), "Bearer <redacted>".into())],
        body: None,
    })
}

/// A case with defaults; tests adjust the fields they need.
fn case(suite: &str, id: &str, title: &str, outcome: Outcome) -> CaseResult {
    CaseResult {
        target: String::new(),
        suite: suite.into(),
        id: id.into(),
        title: title.into(),
        rule_id: format!("AP-{}", id.to_ascii_uppercase()),
        severity: Severity::High,
        tags: vec![],
        catalogue_id: None,
        references: vec![],
        outcome,
        findings: vec![],
        expected: "401 TOKEN_INVALID with a Bearer challenge".into(),
        observed: observed(401, Some("TOKEN_INVALID"), r#"{"code":"TOKEN_INVALID"}"#),
        request: request("/api/me"),
        reproduction: Some(
            "curl -sS -H \"Authorization: Bearer $TOKEN\" http://127.0.0.1:4000/api/me".into(),
        ),
        message: None,
        duration_ms: 12,
    }
}

fn target_info(name: &str, kind: &str, variant: Option<&str>, backend_url: &str) -> TargetInfo {
    TargetInfo {
        name: name.into(),
        kind: kind.into(),
        variant: variant.map(Into::into),
        backend_url: backend_url.into(),
        auth_url: Some("http://127.0.0.1:3000".into()),
        mode: "white-box".into(),
        baseline_ok: true,
        duration_ms: 4321,
        endpoint: None,
        endpoint_group: None,
    }
}

/// A baseline, two suites, every outcome, every finding kind, findings of every grade (graded
/// by causes and by a suite check's own row), and some awkward strings. Labelled with its
/// target, fingerprinted and summarized under the default gate (high), as a run does it.
///
/// Cases are built with the outcome a run gives them before the gate (any finding: `fail`);
/// `summarize` recomputes pass/fail from the gate.
fn representative() -> RunReport {
    let mut valid = case(
        "baseline",
        "valid-token-accepted",
        "A valid token is accepted",
        Outcome::Pass,
    );
    valid.rule_id = "AP-BASELINE-VALID".into();
    valid.expected = "200 with the user's data".into();
    valid.observed = observed(200, None, r#"{"id":"user-1"}"#);
    let mut missing = case(
        "baseline",
        "no-token-rejected",
        "No token is rejected",
        Outcome::Pass,
    );
    missing.rule_id = "AP-BASELINE-MISSING".into();
    missing.expected = "401 TOKEN_MISSING".into();
    missing.observed = observed(401, Some("TOKEN_MISSING"), r#"{"code":"TOKEN_MISSING"}"#);

    let mut none = case(
        "alg",
        "A01-1",
        "alg \"none\" token is accepted?",
        Outcome::Fail,
    );
    none.rule_id = "AP-ALG-NONE".into();
    none.severity = Severity::Critical;
    none.tags = vec!["alg".into(), "cve".into()];
    none.catalogue_id = Some("A01".into());
    none.references = vec!["CVE-2015-9235".into(), "RFC 8725 §3.1".into()];
    none.findings = vec![graded(
        "AP-ALG-NONE",
        Cause::UnsignedTokenAccepted,
        Confidence::High,
        "the backend accepted an unsecured token (alg: none) and returned user data",
    )];
    none.observed = observed(200, None, r#"{"id":"user-1","email":"a@example.test"}"#);
    none.duration_ms = 31;
    let mut hs = case(
        "alg",
        "A02",
        "HS256 signed with the public key",
        Outcome::Pass,
    );
    hs.catalogue_id = Some("A02".into());
    hs.references = vec!["CVE-2016-10555".into()];
    // Only a low finding: fails before the gate, passes under the default gate (high).
    let mut code = case(
        "alg",
        "A03",
        "Unlisted alg rejected with the right code",
        Outcome::Fail,
    );
    code.severity = Severity::Low;
    code.findings = vec![graded(
        "AP-A03",
        Cause::ContractDeviation,
        Confidence::High,
        "rejected with 400 BAD_REQUEST | expected 401 TOKEN_INVALID",
    )];
    code.observed = observed(400, Some("BAD_REQUEST"), r#"{"code":"BAD_REQUEST"}"#);
    let mut jwk = case("alg", "A04", "Embedded jwk header", Outcome::Skip);
    jwk.message = Some("needs the issuer key (white-box mode)".into());
    jwk.observed = None;
    jwk.request = None;
    jwk.reproduction = None;
    jwk.duration_ms = 0;

    let mut exp = case("claims", "C01", "Expired token accepted", Outcome::Fail);
    exp.rule_id = "AP-CLAIM-EXP".into();
    exp.references = vec!["RFC 7519 §4.1.4".into()];
    exp.findings = vec![
        graded(
            "AP-CLAIM-EXP",
            Cause::ExpiredTokenAccepted,
            Confidence::High,
            "a token expired 2 hours ago was accepted",
        ),
        graded(
            "AP-CONTRACT-CHALLENGE",
            Cause::ChallengeDeviation,
            Confidence::Medium,
            "no WWW-Authenticate header on the 401",
        ),
    ];
    exp.observed = observed(200, None, "{}");
    // A suite check graded by its own row (medium), not by a cause.
    let mut big = case(
        "claims",
        "C02",
        "Oversized token <16 KiB> & \"friends\" | pipes",
        Outcome::Fail,
    );
    big.severity = Severity::Medium;
    big.findings = vec![Finding::check(
        FindingKind::Security,
        "AP-SERVER-ERROR",
        Severity::Medium,
        FlawClass::ServerError,
        "500 on a 20 KiB token:\nstack trace leaked | at Handler.<init>",
    )];
    big.observed = observed(
        500,
        None,
        "Internal Server Error\n  at Handler.<init> (server.js:12)",
    );
    let mut revoked = case("claims", "C03", "Token after sign-out", Outcome::Pass);
    revoked.severity = Severity::Low;
    revoked.findings = vec![Finding::check(
        FindingKind::Informational,
        "AP-INFO-STATELESS",
        Severity::Info,
        FlawClass::Strictness,
        "JWTs stay valid after sign-out until they expire (15 min)",
    )];
    revoked.expected = "200 (a stateless JWT cannot be revoked)".into();
    revoked.observed = observed(200, None, "{}");
    let mut nbf = case("claims", "C04", "nbf in the future", Outcome::Error);
    nbf.message = Some("connection reset by peer after 5 s".into());
    nbf.observed = None;
    // Content only the issuer can sign: information, never a SARIF result.
    let mut crit = case(
        "claims",
        "C05",
        "Issuer-signed token with an unknown crit header",
        Outcome::Fail,
    );
    crit.rule_id = "AP-CLAIM-CRIT".into();
    crit.severity = Severity::Info;
    crit.findings = vec![graded(
        "AP-CLAIM-CRIT",
        Cause::IssuerOnlyContentAccepted,
        Confidence::High,
        "a token the issuer signed with crit: [\"x-unknown\"] was accepted",
    )];
    crit.expected = "401 TOKEN_INVALID (unknown critical header)".into();
    crit.observed = observed(200, None, r#"{"id":"user-1"}"#);

    let mut report = RunReport {
        tool: "authprobe".into(),
        version: "0.1.0".into(),
        run_id: "20261126T120501Z-mock".into(),
        started_at: "2026-11-26T12:05:01Z".into(),
        duration_ms: 4321,
        target: target_info(
            TARGET,
            "mock",
            Some("accepts-alg-none"),
            "http://127.0.0.1:4000",
        ),
        targets: vec![],
        baseline_ok: true,
        baseline: vec![valid, missing],
        suites: vec![
            SuiteResult {
                target: String::new(),
                name: "alg".into(),
                description: "Algorithm confusion and alg=none".into(),
                cases: vec![none, hs, code, jwk],
            },
            SuiteResult {
                target: String::new(),
                name: "claims".into(),
                description: "Registered claim checks".into(),
                cases: vec![exp, big, revoked, nbf, crit],
            },
        ],
        summary: Default::default(),
        notes: vec!["target answered slowly after 6 cases".into()],
        gate: Gate::default(),
        absent: vec![],
        lifecycle: vec![],
        endpoint_divergences: vec![],
    };
    report.label_target();
    report.fingerprint();
    report.summarize();
    report
}

/// The representative run under another gate threshold.
fn with_gate(fail_on: Severity) -> RunReport {
    let mut r = representative();
    r.gate.fail_on = fail_on;
    r.summarize();
    r
}

fn case_of<'a>(r: &'a RunReport, suite: &str, id: &str) -> &'a CaseResult {
    r.all_cases()
        .find(|c| c.suite == suite && c.id == id)
        .unwrap_or_else(|| panic!("case {suite}/{id}"))
}

fn case_of_mut<'a>(r: &'a mut RunReport, suite: &str, id: &str) -> &'a mut CaseResult {
    r.suites
        .iter_mut()
        .flat_map(|s| s.cases.iter_mut())
        .find(|c| c.suite == suite && c.id == id)
        .unwrap_or_else(|| panic!("case {suite}/{id}"))
}

fn finding_of<'a>(r: &'a RunReport, rule_id: &str) -> &'a Finding {
    r.all_cases()
        .flat_map(|c| &c.findings)
        .find(|f| f.rule_id == rule_id)
        .unwrap_or_else(|| panic!("finding {rule_id}"))
}

fn all_findings(r: &RunReport) -> Vec<&Finding> {
    r.all_cases().flat_map(|c| &c.findings).collect()
}

/// Every text field of every part of the model set to (a variant of) [`HOSTILE`].
fn hostile() -> RunReport {
    let h = |tag: &str| format!("{HOSTILE}{tag}");
    let mut r = representative();
    r.tool = h("tool");
    r.version = h("version");
    r.run_id = h("run");
    r.started_at = h("start");
    r.target = TargetInfo {
        name: h("target-name"),
        kind: h("kind"),
        variant: Some(h("variant")),
        backend_url: h("backend"),
        auth_url: Some(h("auth")),
        mode: h("mode"),
        baseline_ok: true,
        duration_ms: 1,
        endpoint: Some(h("endpoint")),
        endpoint_group: Some(h("group")),
    };
    let mut second = r.target.clone();
    second.name = h("second-target");
    second.baseline_ok = false;
    r.targets = vec![r.target.clone(), second];
    r.notes = vec![h("note")];
    for s in &mut r.suites {
        s.target = h("suite-target");
        s.name = h("suite");
        s.description = h("description");
    }
    let mut all: Vec<&mut CaseResult> = r.baseline.iter_mut().collect();
    all.extend(r.suites.iter_mut().flat_map(|s| s.cases.iter_mut()));
    for c in all {
        c.target = h("case-target");
        c.suite = h("case-suite");
        c.id = h("id");
        c.title = h("title");
        c.rule_id = h("rule");
        c.tags = vec![h("tag")];
        c.catalogue_id = Some(h("catalogue"));
        c.references = vec![h("reference")];
        c.expected = h("expected");
        c.observed = Some(Observed {
            status: 500,
            code: Some(h("code")),
            headers: vec![(h("header-name"), h("header-value"))],
            body_excerpt: h("body"),
        });
        c.request = Some(RequestRecord {
            method: h("method"),
            url: h("url"),
            headers: vec![(h("request-header"), h("request-value"))],
            body: Some(h("request-body")),
        });
        c.reproduction = Some(h("curl"));
        c.message = Some(h("message"));
        let mut suppressed = graded(
            &h("suppressed-rule"),
            Cause::ContractDeviation,
            Confidence::Low,
            &h("suppressed-finding"),
        );
        suppressed.fingerprint = h("fingerprint");
        suppressed.suppressed = Some(Suppressed {
            reason: h("suppressed-reason"),
            expires: h("expires"),
            entry: h("entry"),
        });
        suppressed.baseline = Some(BaselineState::New);
        c.findings = vec![
            graded(
                &h("finding-rule"),
                Cause::ExpiredTokenAccepted,
                Confidence::High,
                &h("finding"),
            ),
            Finding::check(
                FindingKind::Informational,
                h("info-rule"),
                Severity::Info,
                FlawClass::Strictness,
                h("info"),
            ),
            suppressed,
        ];
    }
    r.absent = vec![AbsentFinding {
        fingerprint: h("absent-fingerprint"),
        rule_id: h("absent-rule"),
        severity: Severity::Low,
        target: h("absent-target"),
        case: h("absent-case"),
        message: h("absent-message"),
    }];
    r
}

// ---------- JSON ----------

#[test]
fn json_is_golden_and_round_trips() {
    let report = representative();
    let text = json::to_json(&report);
    golden("report.json", &text);
    assert_eq!(json::from_json(&text).expect("report.json parses"), report);
    let hostile = hostile();
    assert_eq!(
        json::from_json(&json::to_json(&hostile)).expect("parses"),
        hostile
    );
    // The grading survives the round trip as data, not only as equality of the whole.
    let v: Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(
        v["gate"],
        serde_json::json!({"fail_on": "high", "new_only": false})
    );
    let first = &v["suites"][0]["cases"][0]["findings"][0];
    assert_eq!(first["severity"], "critical");
    assert_eq!(first["cause"], "unsigned-token-accepted");
    assert_eq!(first["class"], "alg-none");
    assert_eq!(first["confidence"], "high");
    assert_eq!(
        first["fingerprint"],
        finding_of(&report, "AP-ALG-NONE").fingerprint.as_str()
    );
    assert_eq!(v["summary"]["by_grade"]["low"], 2);
    assert_eq!(v["targets"][0]["name"], TARGET);
}

// ---------- Markdown ----------

#[test]
fn markdown_is_golden() {
    golden("summary.md", &markdown::to_markdown(&representative()));
}

#[test]
fn markdown_shows_the_gate_grades_and_why() {
    let md = markdown::to_markdown(&representative());
    assert!(
        md.contains("**Gate:** findings at high or above fail — ❌ 2 finding(s) fail the gate."),
        "{md}"
    );
    assert!(md.contains(
        "| Cases | Passed | Failed | Errored | Skipped | Critical | High | Medium | Low | Info | Suppressed |"
    ));
    assert!(
        md.contains("| 9 | 5 | 2 | 1 | 1 | 1 | 1 | 1 | 2 | 2 | 0 |"),
        "{md}"
    );
    assert!(md.contains("## Findings (7)"));
    // Most severe first; grades below the gate say so.
    let order: Vec<usize> = [
        "### Critical (1)\n",
        "### High (1)\n",
        "### Medium (1) — below the gate\n",
        "### Low (2) — below the gate\n",
        "### Info (2) — below the gate\n",
    ]
    .iter()
    .map(|h| {
        md.find(h)
            .unwrap_or_else(|| panic!("missing heading {h:?}\n{md}"))
    })
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "grades out of order");
    assert!(md.contains("| Rule | Case | Why this grade | Confidence | Message | State |"));
    assert!(md.contains(&format!(
        "| AP-ALG-NONE | {TARGET}: alg/A01-1 | unsigned-token-accepted (anyone) | high |"
    )));
    assert!(md.contains(&format!(
        "| AP-CLAIM-EXP | {TARGET}: claims/C01 | expired-token-accepted (token holder) | high |"
    )));
    assert!(md.contains(&format!(
        "| AP-CONTRACT-CHALLENGE | {TARGET}: claims/C01 | challenge-deviation (anyone) | medium |"
    )));
    assert!(md.contains(&format!(
        "| AP-SERVER-ERROR | {TARGET}: claims/C02 | check (server-error) | high |"
    )));
    assert!(md.contains(&format!(
        "| AP-CLAIM-CRIT | {TARGET}: claims/C05 | issuer-only-content-accepted (issuer key only) | high |"
    )));
    assert!(
        !md.contains("No longer found"),
        "no baseline, no absent section"
    );

    let md = markdown::to_markdown(&with_gate(Severity::Low));
    assert!(md.contains("**Gate:** findings at low or above fail — ❌ 5 finding(s) fail the gate."));
    assert!(md.contains("### Low (2)\n"));
    assert!(md.contains("### Info (2) — below the gate\n"));

    let mut clean = representative();
    clean.gate.fail_on = Severity::Critical;
    case_of_mut(&mut clean, "alg", "A01-1").findings.clear();
    clean.summarize();
    let md = markdown::to_markdown(&clean);
    assert!(
        md.contains("**Gate:** findings at critical or above fail — ✅ nothing fails the gate.")
    );
}

#[test]
fn markdown_keeps_tables_intact_and_markup_inert() {
    let md = markdown::to_markdown(&hostile());
    assert!(
        !md.contains("<script>"),
        "raw HTML from the model reached the Markdown"
    );
    assert!(md.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    let escaped = markdown::escape(HOSTILE);
    assert_eq!(escaped, "&lt;script&gt;alert(1)&lt;/script&gt;\"'&amp;");
    for tag in [
        "target-name",
        "second-target",
        "case-target",
        "finding-rule",
        "finding",
        "suppressed-reason",
        "absent-rule",
        "absent-target",
        "absent-message",
        "note",
        "message",
    ] {
        assert!(
            md.contains(&format!("{escaped}{tag}")),
            "{tag} not rendered escaped in the Markdown"
        );
    }
    // Every table row has as many unescaped cell separators as its header row.
    let mut columns = None;
    let mut rows = 0;
    for line in md.lines() {
        if !line.starts_with('|') {
            columns = None;
            continue;
        }
        rows += 1;
        let separators = count_unescaped_pipes(line);
        match columns {
            None => columns = Some(separators),
            Some(n) => assert_eq!(separators, n, "broken table row: {line}"),
        }
    }
    assert!(rows > 20, "the tables were checked");
    let md = markdown::to_markdown(&representative());
    assert!(md.contains("500 on a 20 KiB token:<br>stack trace leaked \\| at Handler.&lt;init&gt;"));
    assert!(md.contains("rejected with 400 BAD_REQUEST \\| expected 401 TOKEN_INVALID"));
    assert_eq!(markdown::cell("a|b\nc\\"), "a\\|b<br>c\\\\");
}

fn count_unescaped_pipes(line: &str) -> usize {
    let mut n = 0;
    let mut escaped = false;
    for c in line.chars() {
        match c {
            '\\' if !escaped => escaped = true,
            '|' if !escaped => n += 1,
            _ => escaped = false,
        }
        if c != '\\' {
            escaped = false;
        }
    }
    n
}

// ---------- JUnit ----------

fn parse_junit(report: &RunReport) -> quick_junit::Report {
    let xml = junit::to_junit(report).expect("serializes");
    quick_junit::Report::deserialize_from_str(&xml).expect("junit.xml parses back")
}

fn junit_case<'a>(
    parsed: &'a quick_junit::Report,
    suite: &str,
    name: &str,
) -> &'a quick_junit::TestCase {
    parsed
        .test_suites
        .iter()
        .find(|s| s.name.as_str() == suite)
        .unwrap_or_else(|| panic!("testsuite {suite}"))
        .test_cases
        .iter()
        .find(|c| c.name.as_str() == name)
        .unwrap_or_else(|| panic!("testcase {suite}/{name}"))
}

#[test]
fn junit_structure() {
    let report = representative();
    let parsed = parse_junit(&report);
    let names: Vec<&str> = parsed.test_suites.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["baseline", "alg", "claims"]);
    // Under the default gate (high) only A01-1 (critical) and C01 (high) fail.
    assert_eq!(
        (parsed.tests, parsed.failures, parsed.errors, parsed.skipped),
        (11, 2, 1, 1)
    );

    for (suite, expected) in parsed.test_suites.iter().zip([
        &report.baseline,
        &report.suites[0].cases,
        &report.suites[1].cases,
    ]) {
        assert_eq!(suite.test_cases.len(), expected.len());
        let unique: HashSet<&str> = suite.test_cases.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            unique.len(),
            suite.test_cases.len(),
            "names unique in {}",
            suite.name.as_str()
        );
        for (tc, case) in suite.test_cases.iter().zip(expected.iter()) {
            assert_eq!(tc.name.as_str(), case.id);
            assert_eq!(
                tc.classname.as_ref().map(|c| c.as_str()),
                Some(suite.name.as_str())
            );
            assert_eq!(
                tc.time,
                Some(std::time::Duration::from_millis(case.duration_ms))
            );
            let failed = matches!(
                tc.status,
                quick_junit::TestCaseStatus::NonSuccess {
                    kind: quick_junit::NonSuccessKind::Failure,
                    ..
                }
            );
            assert_eq!(
                failed,
                case.outcome == Outcome::Fail,
                "{}: a failure exactly when the gate fails the case",
                case.id
            );
        }
        let props: HashMap<&str, &str> = suite
            .properties
            .iter()
            .map(|p| (p.name.as_str(), p.value.as_str()))
            .collect();
        assert_eq!(props.get("run_id"), Some(&"20261126T120501Z-mock"));
        assert_eq!(
            props.get("target"),
            Some(&"mock (accepts-alg-none) at http://127.0.0.1:4000")
        );
    }

    let by_name = |suite: usize, name: &str| {
        parsed.test_suites[suite]
            .test_cases
            .iter()
            .find(|c| c.name.as_str() == name)
            .expect("case present")
            .clone()
    };
    use quick_junit::{NonSuccessKind, TestCaseStatus};
    match by_name(1, "A01-1").status {
        TestCaseStatus::NonSuccess {
            kind: NonSuccessKind::Failure,
            message,
            ty,
            description,
            ..
        } => {
            assert_eq!(ty.map(|t| t.into_string()).as_deref(), Some("critical"));
            assert_eq!(
                message.map(|m| m.into_string()).as_deref(),
                Some("the backend accepted an unsecured token (alg: none) and returned user data")
            );
            let text = description.expect("failure text").into_string();
            assert!(
                text.contains("expected: 401 TOKEN_INVALID") && text.contains("observed: 200"),
                "{text}"
            );
        }
        other => panic!("A01-1 should be a failure: {other:?}"),
    }
    // A contract deviation is graded low: below the default gate, the case passes and the
    // finding is reported in system-out.
    let a03 = by_name(1, "A03");
    assert!(
        matches!(a03.status, TestCaseStatus::Success { .. }),
        "a low finding does not fail a case under the default gate: {:?}",
        a03.status
    );
    let out = a03.system_out.as_ref().expect("system-out").as_str();
    assert!(
        out.contains("AP-A03")
            && out.contains("below the gate")
            && out.contains("rejected with 400 BAD_REQUEST"),
        "{out}"
    );
    match by_name(2, "C01").status {
        TestCaseStatus::NonSuccess {
            kind: NonSuccessKind::Failure,
            ty,
            message,
            description,
            ..
        } => {
            assert_eq!(ty.map(|t| t.into_string()).as_deref(), Some("high"));
            assert_eq!(
                message.map(|m| m.into_string()).as_deref(),
                Some("a token expired 2 hours ago was accepted"),
                "summarised by its most severe finding"
            );
            assert!(
                description
                    .expect("text")
                    .as_str()
                    .contains("AP-CONTRACT-CHALLENGE"),
                "all findings listed"
            );
        }
        other => panic!("C01 should be a failure: {other:?}"),
    }
    let c02 = by_name(2, "C02");
    assert!(matches!(c02.status, TestCaseStatus::Success { .. }));
    assert!(c02
        .system_out
        .as_ref()
        .expect("system-out")
        .as_str()
        .contains("AP-SERVER-ERROR"));
    assert!(
        matches!(by_name(2, "C04").status, TestCaseStatus::NonSuccess { kind: NonSuccessKind::Error, message: Some(m), .. } if m.as_str() == "connection reset by peer after 5 s")
    );
    assert!(
        matches!(by_name(1, "A04").status, TestCaseStatus::Skipped { message: Some(m), .. } if m.as_str() == "needs the issuer key (white-box mode)")
    );
    for info in ["C03", "C05"] {
        let tc = by_name(2, info);
        assert!(
            matches!(tc.status, TestCaseStatus::Success { .. }),
            "informational findings do not fail a case"
        );
        assert!(tc
            .system_out
            .as_ref()
            .expect("system-out")
            .as_str()
            .contains("[informational info "));
    }
    assert!(
        by_name(1, "A02")
            .system_out
            .as_ref()
            .is_none_or(|o| !o.as_str().contains("below the gate")),
        "no findings, nothing below the gate"
    );
}

#[test]
fn junit_failures_follow_the_gate() {
    use quick_junit::{NonSuccessKind, TestCaseStatus};
    let ty_of = |parsed: &quick_junit::Report, suite: &str, name: &str| match &junit_case(
        parsed, suite, name,
    )
    .status
    {
        TestCaseStatus::NonSuccess {
            kind: NonSuccessKind::Failure,
            ty,
            ..
        } => ty.as_ref().map(|t| t.as_str().to_owned()),
        TestCaseStatus::Success { .. } => None,
        other => panic!("{suite}/{name}: {other:?}"),
    };

    let parsed = parse_junit(&with_gate(Severity::Low));
    assert_eq!(
        (parsed.tests, parsed.failures, parsed.errors, parsed.skipped),
        (11, 4, 1, 1)
    );
    assert_eq!(ty_of(&parsed, "alg", "A03").as_deref(), Some("low"));
    assert_eq!(ty_of(&parsed, "claims", "C02").as_deref(), Some("medium"));
    assert_eq!(ty_of(&parsed, "claims", "C03"), None);
    assert_eq!(ty_of(&parsed, "claims", "C05"), None);
    assert!(
        junit_case(&parsed, "alg", "A03")
            .system_out
            .as_ref()
            .is_none_or(|o| !o.as_str().contains("below the gate")),
        "a failing case's findings are in the failure, not marked below the gate"
    );

    let parsed = parse_junit(&with_gate(Severity::Info));
    assert_eq!(parsed.failures, 6);
    assert_eq!(ty_of(&parsed, "claims", "C05").as_deref(), Some("info"));

    let parsed = parse_junit(&with_gate(Severity::Critical));
    assert_eq!(parsed.failures, 1);
    assert_eq!(ty_of(&parsed, "alg", "A01-1").as_deref(), Some("critical"));
    assert_eq!(ty_of(&parsed, "claims", "C01"), None);
    let c01 = junit_case(&parsed, "claims", "C01");
    let out = c01.system_out.as_ref().expect("system-out").as_str();
    assert!(
        out.contains("AP-CLAIM-EXP") && out.contains("AP-CONTRACT-CHALLENGE"),
        "{out}"
    );
}

#[test]
fn junit_disambiguates_repeated_ids_and_escapes() {
    let mut report = representative();
    let first = report.suites[0].cases[0].clone();
    let mut third = first.clone();
    third.id = "A01-1#2".into();
    report.suites[0].cases.extend([first.clone(), third]);
    let parsed = parse_junit(&report);
    let names: Vec<&str> = parsed.test_suites[1]
        .test_cases
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(
        names,
        ["A01-1", "A02", "A03", "A04", "A01-1#2", "A01-1#2#2"]
    );

    let hostile = hostile();
    let xml = junit::to_junit(&hostile).expect("xml");
    assert!(!xml.contains("<script>"));
    let parsed =
        quick_junit::Report::deserialize_from_str(&xml).expect("hostile junit.xml parses back");
    // Two targets: suites are named `<target>/<suite>`, baselines `<target>/baseline`.
    let names: Vec<&str> = parsed.test_suites.iter().map(|s| s.name.as_str()).collect();
    assert!(
        names.contains(&format!("{HOSTILE}second-target/baseline").as_str()),
        "{names:?}"
    );
    let suite = parsed
        .test_suites
        .iter()
        .find(|s| s.name.as_str() == format!("{HOSTILE}suite-target/{HOSTILE}suite"))
        .expect("a <target>/<suite> testsuite");
    assert_eq!(suite.test_cases[0].name.as_str(), format!("{HOSTILE}id"));
}

// ---------- SARIF ----------

fn sarif_value(report: &RunReport) -> Value {
    serde_json::from_str(&sarif::to_sarif_json(report)).expect("SARIF is JSON")
}

/// The `language` pattern of the 2.1.0 OASIS Standard schema, and its Errata 01 correction.
/// The original is valid only under ECMA-262 Annex B (a lone `]` as a literal), which the
/// `jsonschema` crate's meta-schema `format: regex` check rightly refuses.
const LANGUAGE_PATTERN: (&str, &str) = (
    "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$",
    "^[a-zA-Z]{2}(-[a-zA-Z]{2})?$",
);

/// A schema file; for the 2.1.0 OS schema, with the Errata 01 fix of its two `language`
/// patterns applied in memory (the file stays byte-for-byte as published).
fn load_schema(file: &str) -> Value {
    let mut text = std::fs::read_to_string(fixtures().join(file)).expect("schema file");
    if file == "sarif-schema-2.1.0.json" {
        let (bad, fixed) = LANGUAGE_PATTERN;
        assert_eq!(
            text.matches(bad).count(),
            2,
            "the known erratum is where expected"
        );
        text = text.replace(bad, fixed);
    }
    serde_json::from_str(&text).expect("schema is JSON")
}

/// Validates against the official SARIF 2.1.0 schema (see tests/fixtures/reports/README.md).
fn assert_schema_valid(instance: &Value) {
    {
        let (file, draft) = ("sarif-schema-2.1.0.json", jsonschema::Draft::Draft7);
        let schema = load_schema(file);
        let validator = jsonschema::options()
            .with_draft(draft)
            .should_validate_formats(true)
            .build(&schema)
            .unwrap_or_else(|e| panic!("{file} compiles: {e}"));
        let errors: Vec<String> = validator
            .iter_errors(instance)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "SARIF invalid against {file}:\n{}",
            errors.join("\n")
        );
    }
}

/// The typed SARIF model reads the log back and writes the same JSON.
fn assert_typed_round_trip(v: &Value) {
    let typed: serde_sarif::sarif::Sarif =
        serde_json::from_value(v.clone()).expect("deserializes as serde_sarif::Sarif");
    assert_eq!(&serde_json::to_value(&typed).expect("reserializes"), v);
}

#[test]
fn sarif_is_golden_and_schema_valid() {
    let report = representative();
    golden("results.sarif", &sarif::to_sarif_json(&report));
    assert_schema_valid(&sarif_value(&report));
    assert_schema_valid(&sarif_value(&hostile()));
    let mut empty = report.clone();
    empty.baseline.clear();
    empty.suites.clear();
    empty.summarize();
    let v = sarif_value(&empty);
    assert_schema_valid(&v);
    assert_eq!(v["runs"][0]["results"], serde_json::json!([]));
    assert_eq!(
        v["runs"][0]["tool"]["driver"]["rules"],
        serde_json::json!([])
    );
}

#[test]
fn sarif_schema_check_is_not_vacuous() {
    let mut v = sarif_value(&representative());
    v["runs"][0]["results"][0]["level"] = "fatal".into();
    let os = jsonschema::draft7::new(&load_schema("sarif-schema-2.1.0.json")).expect("compiles");
    for validator in std::iter::once(&os) {
        assert!(!validator.is_valid(&v), "an invalid level must be refused");
    }
    let mut v = sarif_value(&representative());
    v["runs"][0]["results"][0]["message"] = serde_json::json!({});
    for validator in std::iter::once(&os) {
        assert!(
            !validator.is_valid(&v),
            "a message without text or id must be refused"
        );
    }
    let mut v = sarif_value(&representative());
    v["runs"][0]["tool"]["driver"]["rules"][0]["unknownMember"] = true.into();
    for validator in std::iter::once(&os) {
        assert!(!validator.is_valid(&v), "unknown members must be refused");
    }
    let mut v = sarif_value(&representative());
    v["runs"][0]["results"][0]["baselineState"] = "gone".into();
    assert!(!os.is_valid(&v), "an unknown baselineState must be refused");
    let mut v = sarif_value(&representative());
    v["runs"][0]["results"][0]["suppressions"] = serde_json::json!([{"kind": "ignored"}]);
    assert!(
        !os.is_valid(&v),
        "an unknown suppression kind must be refused"
    );
}

#[test]
fn sarif_results_are_graded_findings_with_rules() {
    let report = representative();
    let v = sarif_value(&report);
    assert_eq!(
        v["$schema"],
        "https://json.schemastore.org/sarif-2.1.0.json"
    );
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "authprobe");
    assert_eq!(run["tool"]["driver"]["version"], "0.1.0");
    let results = run["results"].as_array().expect("results");
    // Every finding graded low or above, whether or not it fails the gate; no info finding.
    let graded: Vec<&Finding> = all_findings(&report)
        .into_iter()
        .filter(|f| f.severity >= Severity::Low)
        .collect();
    assert_eq!(
        results.len(),
        graded.len(),
        "one result per finding graded low or above"
    );
    let g = report.summary.by_grade;
    assert_eq!(results.len(), g.critical + g.high + g.medium + g.low);
    assert_eq!(results.len(), 5);
    assert!(
        report.summary.failing < results.len(),
        "findings below the gate are results too"
    );

    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    let rule_ids: Vec<&str> = rules
        .iter()
        .map(|r| r["id"].as_str().expect("id"))
        .collect();
    assert_eq!(
        rule_ids,
        [
            "AP-ALG-NONE",
            "AP-A03",
            "AP-CLAIM-EXP",
            "AP-CONTRACT-CHALLENGE",
            "AP-SERVER-ERROR"
        ]
    );
    for r in rules {
        let help = r["help"]["text"].as_str().expect("help text");
        assert!(help.starts_with("Expected secure behaviour: "), "{help}");
        assert!(!r["shortDescription"]["text"]
            .as_str()
            .expect("short")
            .is_empty());
        let tags = r["properties"]["tags"].as_array().expect("tags");
        assert!(["critical", "high", "medium", "low"]
            .contains(&tags[0].as_str().expect("severity tag")));
    }
    // security-severity on every rule: the grade of its (most severe) result.
    let rule_grade: HashMap<&str, (&str, &str, &str)> = rules
        .iter()
        .map(|r| {
            (
                r["id"].as_str().expect("id"),
                (
                    r["properties"]["security-severity"]
                        .as_str()
                        .expect("rule security-severity"),
                    r["properties"]["severity"].as_str().expect("rule severity"),
                    r["defaultConfiguration"]["level"]
                        .as_str()
                        .expect("default level"),
                ),
            )
        })
        .collect();
    assert_eq!(rule_grade["AP-ALG-NONE"], ("9.5", "critical", "error"));
    assert_eq!(rule_grade["AP-CLAIM-EXP"], ("8.0", "high", "error"));
    assert_eq!(rule_grade["AP-SERVER-ERROR"], ("5.5", "medium", "warning"));
    assert_eq!(rule_grade["AP-A03"], ("3.0", "low", "note"));
    assert_eq!(rule_grade["AP-CONTRACT-CHALLENGE"], ("3.0", "low", "note"));
    assert_eq!(
        rules[0]["shortDescription"]["text"],
        "alg \"none\" token is accepted?"
    );
    assert!(rules[0]["help"]["text"]
        .as_str()
        .expect("help")
        .contains("CVE-2015-9235, RFC 8725 §3.1"));
    assert_eq!(
        rules[0]["properties"]["tags"],
        serde_json::json!(["critical", "security", "alg", "cve"])
    );
    assert_eq!(
        rules[1]["properties"]["tags"],
        serde_json::json!(["low", "contract"])
    );

    assert_eq!(sarif::FINGERPRINT_KEY, "authprobeFinding/v2");
    let mut fingerprints = HashSet::new();
    for (r, f) in results.iter().zip(&graded) {
        let id = r["ruleId"].as_str().expect("ruleId");
        assert_eq!(id, f.rule_id, "results in finding order");
        let index = r["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rule_ids[index], id, "ruleIndex points at its rule");
        assert!(!r["message"]["text"].as_str().expect("message").is_empty());
        let loc = &r["locations"][0]["logicalLocations"][0];
        assert!(loc["fullyQualifiedName"]
            .as_str()
            .expect("fqn")
            .starts_with(&format!("{TARGET}/")));
        // The grade on the result, as GitHub code scanning reads it.
        assert_eq!(r["properties"]["severity"], f.severity.name());
        assert_eq!(
            r["properties"]["security-severity"],
            f.severity.security_severity()
        );
        let fingerprint = r["partialFingerprints"][sarif::FINGERPRINT_KEY]
            .as_str()
            .expect("fingerprint");
        assert_eq!(fingerprint, f.fingerprint, "the finding's own fingerprint");
        assert_eq!(fingerprint.len(), 24);
        assert!(fingerprint
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_eq!(
            r["partialFingerprints"].as_object().expect("map").len(),
            1,
            "one versioned fingerprint key"
        );
        fingerprints.insert((id.to_string(), fingerprint.to_string()));
        assert!(
            r.get("suppressions").is_none() && r.get("baselineState").is_none(),
            "no suppressions or baseline state without suppressions or a baseline"
        );
    }
    assert_eq!(
        fingerprints.len(),
        results.len(),
        "fingerprints distinguish findings"
    );

    let result_of = |rule: &str| {
        results
            .iter()
            .find(|r| r["ruleId"] == rule)
            .expect("result")
    };
    let level_of = |rule: &str| result_of(rule)["level"].clone();
    assert_eq!(level_of("AP-ALG-NONE"), "error");
    assert_eq!(level_of("AP-CLAIM-EXP"), "error");
    assert_eq!(level_of("AP-SERVER-ERROR"), "warning");
    assert_eq!(level_of("AP-CONTRACT-CHALLENGE"), "note");
    assert_eq!(level_of("AP-A03"), "note");
    assert_eq!(
        result_of("AP-ALG-NONE")["properties"]["security-severity"],
        "9.5"
    );
    assert_eq!(
        result_of("AP-A03")["properties"]["security-severity"],
        "3.0"
    );
    let contract = result_of("AP-A03");
    assert_eq!(contract["properties"]["kind"], "contract");
    assert_eq!(contract["properties"]["cause"], "contract-deviation");
    assert_eq!(contract["properties"]["class"], "contract");
    assert_eq!(contract["properties"]["producer"], "anyone");
    assert_eq!(contract["properties"]["confidence"], "high");
    assert_eq!(contract["properties"]["target"], TARGET);
    assert_eq!(
        contract["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
        format!("{TARGET}/alg/A03")
    );
    assert_eq!(
        result_of("AP-CONTRACT-CHALLENGE")["properties"]["confidence"],
        "medium"
    );
    let check = result_of("AP-SERVER-ERROR");
    assert!(
        check["properties"].get("cause").is_none(),
        "a check has no cause"
    );
    assert_eq!(check["properties"]["class"], "server-error");
    for info in ["AP-INFO-STATELESS", "AP-CLAIM-CRIT"] {
        assert!(
            results.iter().all(|r| r["ruleId"] != info),
            "info findings are not results ({info})"
        );
        assert!(
            rule_ids.iter().all(|r| *r != info),
            "no rule for info-only findings ({info})"
        );
    }
}

#[test]
fn sarif_round_trips_through_typed_model() {
    assert_typed_round_trip(&sarif_value(&representative()));
    assert_typed_round_trip(&sarif_value(&hostile()));
}

// ---------- Gate ----------

#[test]
fn gate_decides_pass_and_fail() {
    let report = representative();
    assert_eq!(report.gate, Gate::default());
    assert_eq!(
        report.gate,
        Gate {
            fail_on: Severity::High,
            new_only: false
        }
    );
    let s = &report.summary;
    let g = s.by_grade;
    assert_eq!(
        (g.critical, g.high, g.medium, g.low, g.info),
        (1, 1, 1, 2, 2)
    );
    for grade in Severity::ALL {
        assert_eq!(
            g.get(grade),
            all_findings(&report)
                .iter()
                .filter(|f| f.severity == grade)
                .count(),
            "{grade} count"
        );
    }
    assert_eq!((s.findings, s.contract_deviations), (7, 2));
    assert_eq!((s.suppressed, s.new), (0, 0));
    assert_eq!(
        s.failing,
        g.critical + g.high,
        "only findings at high or above fail"
    );
    assert_eq!(s.failing, 2);
    assert_eq!(
        (s.total, s.passed, s.failed, s.errored, s.skipped),
        (9, 5, 2, 1, 1)
    );
    // A case whose only finding is low passes (its finding still listed).
    let a03 = case_of(&report, "alg", "A03");
    assert_eq!(a03.outcome, Outcome::Pass);
    assert_eq!(a03.findings[0].severity, Severity::Low);
    assert_eq!(a03.findings[0].kind, FindingKind::Contract);
    // A case with a high and a low finding fails.
    assert_eq!(case_of(&report, "claims", "C01").outcome, Outcome::Fail);
    assert_eq!(case_of(&report, "claims", "C02").outcome, Outcome::Pass);
    assert_eq!(case_of(&report, "claims", "C05").outcome, Outcome::Pass);
    // Errors and skips are not the gate's to decide.
    assert_eq!(case_of(&report, "claims", "C04").outcome, Outcome::Error);
    assert_eq!(case_of(&report, "alg", "A04").outcome, Outcome::Skip);

    let low = with_gate(Severity::Low);
    assert_eq!(case_of(&low, "alg", "A03").outcome, Outcome::Fail);
    assert_eq!(case_of(&low, "claims", "C02").outcome, Outcome::Fail);
    assert_eq!(case_of(&low, "claims", "C03").outcome, Outcome::Pass);
    assert_eq!(low.summary.failing, 5);
    assert_eq!(low.summary.failed, 4);
    assert_eq!(
        low.summary.by_grade, report.summary.by_grade,
        "counts do not depend on the gate"
    );

    let info = with_gate(Severity::Info);
    assert_eq!((info.summary.failing, info.summary.failed), (7, 6));
    let critical = with_gate(Severity::Critical);
    assert_eq!((critical.summary.failing, critical.summary.failed), (1, 1));
    assert_eq!(case_of(&critical, "claims", "C01").outcome, Outcome::Pass);

    // Back to high: outcomes are recomputed, not only ever made worse.
    let mut back = with_gate(Severity::Low);
    back.gate.fail_on = Severity::High;
    back.summarize();
    assert_eq!(back, report);
}

#[test]
fn finding_constructors_grade_by_cause() {
    let f = graded("R", Cause::UnsignedTokenAccepted, Confidence::Medium, "m");
    assert_eq!(
        (f.kind, f.severity, f.class, f.cause, f.confidence),
        (
            FindingKind::Security,
            Severity::Critical,
            FlawClass::AlgNone,
            Some(Cause::UnsignedTokenAccepted),
            Confidence::Medium
        )
    );
    let f = graded("R", Cause::ContractDeviation, Confidence::High, "m");
    assert_eq!((f.kind, f.severity), (FindingKind::Contract, Severity::Low));
    let f = graded("R", Cause::IssuerOnlyContentAccepted, Confidence::High, "m");
    assert_eq!(
        (f.kind, f.severity, f.class),
        (
            FindingKind::Informational,
            Severity::Info,
            FlawClass::Strictness
        )
    );
    let f = graded("R", Cause::ExpiredTokenAccepted, Confidence::High, "m");
    assert_eq!(
        (f.kind, f.severity, f.class),
        (
            FindingKind::Security,
            Severity::High,
            FlawClass::ExpiredAccepted
        )
    );
    let f = Finding::check(
        FindingKind::Security,
        "R",
        Severity::Medium,
        FlawClass::Leak,
        "m",
    );
    assert_eq!(
        (f.cause, f.severity, f.class),
        (None, Severity::Medium, FlawClass::Leak)
    );
    assert!(f.fingerprint.is_empty() && f.suppressed.is_none() && f.baseline.is_none());
}

#[test]
fn gate_fails_only_unsuppressed_findings_at_or_above_its_grade() {
    let high = graded("R", Cause::ExpiredTokenAccepted, Confidence::High, "m");
    let low = graded("R", Cause::ContractDeviation, Confidence::High, "m");
    let gate = Gate::default();
    assert!(gate.fails(&high));
    assert!(!gate.fails(&low));
    let mut suppressed = high.clone();
    suppressed.suppressed = Some(Suppressed {
        reason: "accepted".into(),
        expires: "2030-01-01".into(),
        entry: "s.toml:1".into(),
    });
    assert!(!gate.fails(&suppressed));
    let new_only = Gate {
        fail_on: Severity::High,
        new_only: true,
    };
    let mut unchanged = high.clone();
    unchanged.baseline = Some(BaselineState::Unchanged);
    let mut new = high.clone();
    new.baseline = Some(BaselineState::New);
    assert!(!new_only.fails(&unchanged));
    assert!(new_only.fails(&new));
    assert!(
        new_only.fails(&high),
        "without a baseline every finding is new"
    );
    assert!(
        gate.fails(&unchanged),
        "unchanged findings fail unless new_only"
    );
    let mut new_low = low.clone();
    new_low.baseline = Some(BaselineState::New);
    assert!(!new_only.fails(&new_low), "new, but below the grade");
}

// ---------- Suppressions ----------

const SUPPRESS_HEADER: &str = "# accepted findings\n\n";

fn suppressions(text: &str) -> Suppressions {
    Suppressions::parse("supp.toml", text).unwrap_or_else(|e| panic!("parses: {e}"))
}

fn entry(rule: &str, expires: &str, extra: &str) -> String {
    format!(
        "[[suppress]]\nrule = \"{rule}\"\n{extra}reason = \"accepted: {rule}\"\nexpires = \"{expires}\"\n"
    )
}

#[test]
fn suppressions_require_a_reason_and_an_expiry_located_in_the_file() {
    let ok = entry("AP-X", "2027-03-31", "");
    let error = |text: &str| {
        Suppressions::parse("supp.toml", text)
            .expect_err("must be refused")
            .to_string()
    };
    // The faulty entry is the second one, its header on line 8 (after a comment, a blank
    // line and a first, valid entry).
    let e = error(&format!(
        "{SUPPRESS_HEADER}{ok}\n[[suppress]]\nrule = \"AP-Y\"\nexpires = \"2027-03-31\"\n"
    ));
    assert!(
        e.starts_with("supp.toml:8:1:") && e.contains("no reason") && e.contains("AP-Y"),
        "{e}"
    );
    let e = error(&format!(
        "{SUPPRESS_HEADER}{ok}\n[[suppress]]\nrule = \"AP-Y\"\nreason = \"   \"\nexpires = \"2027-03-31\"\n"
    ));
    assert!(
        e.starts_with("supp.toml:8:1:") && e.contains("no reason"),
        "{e}"
    );
    let e = error(&format!(
        "{SUPPRESS_HEADER}{ok}\n[[suppress]]\nrule = \"AP-Y\"\nreason = \"r\"\n"
    ));
    assert!(
        e.starts_with("supp.toml:8:1:") && e.contains("expires") && e.contains("YYYY-MM-DD"),
        "{e}"
    );
    for bad in [
        "2027-3-31",
        "2027-13-01",
        "2027-00-10",
        "31/03/2027",
        "2027-03-31T00:00",
    ] {
        let e = error(&format!(
            "{SUPPRESS_HEADER}[[suppress]]\nrule = \"AP-Y\"\nreason = \"r\"\nexpires = \"{bad}\"\n"
        ));
        assert!(
            e.starts_with("supp.toml:3:1:") && e.contains("YYYY-MM-DD") && e.contains(bad),
            "{bad}: {e}"
        );
    }
    let e = error(&format!(
        "{SUPPRESS_HEADER}[[suppress]]\nrule = \"\"\nreason = \"r\"\nexpires = \"2027-03-31\"\n"
    ));
    assert!(
        e.starts_with("supp.toml:3:1:") && e.contains("empty rule"),
        "{e}"
    );
    // Unknown keys and TOML errors are located too.
    let e = error(&format!("{SUPPRESS_HEADER}{ok}why = 1\n"));
    assert!(e.starts_with("supp.toml:"), "{e}");
    let line: usize = e
        .split(':')
        .nth(1)
        .expect("line")
        .parse()
        .expect("a line number");
    assert!((3..=7).contains(&line), "{e}");
    let e = error("[[suppress]]\nrule = \"AP-X\"\nreason = \"r\nexpires = \"2027-03-31\"\n");
    assert!(e.starts_with("supp.toml:3:"), "{e}");

    let s = suppressions(&format!(
        "{SUPPRESS_HEADER}{ok}\n{}",
        entry(
            "expired-token-accepted",
            "2026-12-01",
            "target = \"orders-api\"\ncase = \"claims/C01\"\n"
        )
    ));
    assert_eq!(s.path, "supp.toml");
    assert_eq!(s.entries.len(), 2);
    assert_eq!((s.entries[0].line, s.entries[1].line), (3, 8));
    let second = &s.entries[1];
    assert_eq!(second.rule, "expired-token-accepted");
    assert_eq!(second.target.as_deref(), Some("orders-api"));
    assert_eq!(second.case.as_deref(), Some("claims/C01"));
    assert_eq!(second.reason, "accepted: expired-token-accepted");
    assert_eq!(second.expires, "2026-12-01");
    assert!(
        suppressions("").entries.is_empty(),
        "an empty file suppresses nothing"
    );
}

#[test]
fn a_suppressed_finding_is_marked_and_stops_failing() {
    let mut report = representative();
    let s = suppressions(&format!(
        "{SUPPRESS_HEADER}{}",
        entry("AP-CLAIM-EXP", "2027-03-31", "")
    ));
    s.apply(&mut report, TODAY);
    let f = finding_of(&report, "AP-CLAIM-EXP");
    assert_eq!(
        f.suppressed,
        Some(Suppressed {
            reason: "accepted: AP-CLAIM-EXP".into(),
            expires: "2027-03-31".into(),
            entry: "supp.toml:3".into(),
        })
    );
    assert!(finding_of(&report, "AP-CONTRACT-CHALLENGE")
        .suppressed
        .is_none());
    assert!(finding_of(&report, "AP-ALG-NONE").suppressed.is_none());
    // C01's remaining finding is low: the case passes; the run still fails on A01-1.
    assert_eq!(case_of(&report, "claims", "C01").outcome, Outcome::Pass);
    let s = &report.summary;
    assert_eq!(
        (s.suppressed, s.findings, s.failing, s.failed),
        (1, 6, 1, 1)
    );
    assert_eq!(
        s.by_grade.high, 0,
        "suppressed findings are not counted by grade"
    );
    assert_eq!(
        report.notes,
        ["target answered slowly after 6 cases"],
        "a used, unexpired entry adds no note"
    );

    // Every format still shows it, marked.
    let v = sarif_value(&report);
    assert_schema_valid(&v);
    assert_typed_round_trip(&v);
    let results = v["runs"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), 5, "a suppressed finding stays a result");
    let r = results
        .iter()
        .find(|r| r["ruleId"] == "AP-CLAIM-EXP")
        .expect("suppressed result");
    let sup = &r["suppressions"][0];
    assert_eq!(sup["kind"], "external");
    assert_eq!(sup["status"], "accepted");
    let justification = sup["justification"].as_str().expect("justification");
    assert!(
        justification.contains("accepted: AP-CLAIM-EXP")
            && justification.contains("2027-03-31")
            && justification.contains("supp.toml:3"),
        "{justification}"
    );
    assert_eq!(
        results
            .iter()
            .filter(|r| r.get("suppressions").is_some())
            .count(),
        1,
        "only the suppressed finding has suppressions"
    );
    let md = markdown::to_markdown(&report);
    assert!(
        md.contains("suppressed until 2027-03-31: accepted: AP-CLAIM-EXP"),
        "{md}"
    );
    assert!(
        md.contains("| 9 | 6 | 1 | 1 | 1 | 1 | 0 | 1 | 2 | 2 | 1 |"),
        "{md}"
    );
    let page = html::to_html(&report);
    assert!(page.contains("suppressed until 2027-03-31: accepted: AP-CLAIM-EXP"));
    assert!(page.contains("<div class=\"card o-skip\"><b>1</b>suppressed</div>"));
    let parsed = parse_junit(&report);
    assert!(matches!(
        junit_case(&parsed, "claims", "C01").status,
        quick_junit::TestCaseStatus::Success { .. }
    ));
    assert_eq!(parsed.failures, 1);

    // Suppressing the last failing finding, by its cause id, passes the run.
    suppressions(&entry("unsigned-token-accepted", "2027-03-31", "")).apply(&mut report, TODAY);
    assert!(finding_of(&report, "AP-ALG-NONE").suppressed.is_some());
    assert_eq!(report.summary.failing, 0);
    assert_eq!(case_of(&report, "alg", "A01-1").outcome, Outcome::Pass);
}

#[test]
fn suppressions_match_by_rule_or_cause_with_optional_filters() {
    let suppressed = |text: String| {
        let mut report = representative();
        suppressions(&text).apply(&mut report, TODAY);
        let mut rules: Vec<String> = all_findings(&report)
            .into_iter()
            .filter(|f| f.suppressed.is_some())
            .map(|f| f.rule_id.clone())
            .collect();
        rules.sort();
        (rules, report)
    };
    // By rule id.
    assert_eq!(suppressed(entry("AP-A03", "2027-03-31", "")).0, ["AP-A03"]);
    // By cause id: both contract-ish causes are distinct, so only the matching one.
    assert_eq!(
        suppressed(entry("challenge-deviation", "2027-03-31", "")).0,
        ["AP-CONTRACT-CHALLENGE"]
    );
    // A cause id does not match a check (no cause), nor a finding's class name.
    assert!(suppressed(entry("server-error", "2027-03-31", ""))
        .0
        .is_empty());
    // A rule id is matched exactly.
    assert!(suppressed(entry("AP-CLAIM", "2027-03-31", "")).0.is_empty());
    // Target filter.
    let (rules, report) = suppressed(entry(
        "AP-ALG-NONE",
        "2027-03-31",
        "target = \"orders-api\"\n",
    ));
    assert!(rules.is_empty(), "another target's entry does not apply");
    assert!(
        report.notes.iter().any(|n| n.contains("supp.toml:1")
            && n.contains("AP-ALG-NONE")
            && n.contains("matched no finding")),
        "{:?}",
        report.notes
    );
    assert_eq!(
        suppressed(entry(
            "AP-ALG-NONE",
            "2027-03-31",
            &format!("target = \"{TARGET}\"\n")
        ))
        .0,
        ["AP-ALG-NONE"]
    );
    // Case filter (`suite/case id`).
    assert_eq!(
        suppressed(entry(
            "contract-deviation",
            "2027-03-31",
            "case = \"alg/A03\"\n"
        ))
        .0,
        ["AP-A03"]
    );
    assert!(
        suppressed(entry("AP-A03", "2027-03-31", "case = \"claims/C01\"\n"))
            .0
            .is_empty()
    );
    assert!(
        suppressed(entry("AP-A03", "2027-03-31", "case = \"A03\"\n"))
            .0
            .is_empty()
    );
    // Both filters.
    assert_eq!(
        suppressed(entry(
            "AP-CONTRACT-CHALLENGE",
            "2027-03-31",
            &format!("target = \"{TARGET}\"\ncase = \"claims/C01\"\n")
        ))
        .0,
        ["AP-CONTRACT-CHALLENGE"]
    );
    // Several entries, each applying to its own findings.
    let (rules, report) = suppressed(format!(
        "{}\n{}",
        entry("AP-SERVER-ERROR", "2027-03-31", ""),
        entry("issuer-only-content-accepted", "2027-03-31", "")
    ));
    assert_eq!(rules, ["AP-CLAIM-CRIT", "AP-SERVER-ERROR"]);
    assert_eq!(report.summary.suppressed, 2);
    assert_eq!(report.summary.by_grade.info, 1);
}

#[test]
fn an_expired_suppression_does_not_suppress_and_says_so() {
    let text = format!(
        "{SUPPRESS_HEADER}{}",
        entry("AP-ALG-NONE", "2026-11-25", "")
    );
    let mut report = representative();
    let before = report.summary.clone();
    suppressions(&text).apply(&mut report, TODAY);
    assert!(finding_of(&report, "AP-ALG-NONE").suppressed.is_none());
    assert_eq!(case_of(&report, "alg", "A01-1").outcome, Outcome::Fail);
    assert_eq!(report.summary, before);
    let note = report
        .notes
        .iter()
        .find(|n| n.contains("expired"))
        .unwrap_or_else(|| panic!("a note on the expired entry: {:?}", report.notes));
    assert!(
        note.contains("supp.toml:3") && note.contains("AP-ALG-NONE") && note.contains("2026-11-25"),
        "{note}"
    );
    assert!(!note.contains("matched no finding"));
    assert!(markdown::to_markdown(&report).contains("supp.toml:3"));
    assert!(sarif_value(&report)["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .all(|r| r.get("suppressions").is_none()));

    // The entry suppresses through its expiry day.
    let mut report = representative();
    suppressions(&text).apply(&mut report, "2026-11-25");
    assert!(finding_of(&report, "AP-ALG-NONE").suppressed.is_some());
    assert!(report.notes.iter().all(|n| !n.contains("expired")));
    // Dates compare as dates across months and years.
    let mut report = representative();
    suppressions(&entry("AP-ALG-NONE", "2026-12-31", "")).apply(&mut report, "2027-01-01");
    assert!(finding_of(&report, "AP-ALG-NONE").suppressed.is_none());
}

// ---------- Baselines ----------

/// The representative run after a fix and a regression: C01's expired-token acceptance is gone
/// and A03 now answers with a 5xx (a new high finding).
fn next_run() -> RunReport {
    let mut r = representative();
    r.run_id = "20261203T120501Z-mock".into();
    case_of_mut(&mut r, "claims", "C01")
        .findings
        .retain(|f| f.rule_id != "AP-CLAIM-EXP");
    case_of_mut(&mut r, "alg", "A03").findings.push(graded(
        "AP-SERVER-ERROR",
        Cause::ServerError,
        Confidence::High,
        "500 on an unlisted alg",
    ));
    r.fingerprint();
    r.summarize();
    r
}

#[test]
fn fingerprints_are_stable_and_distinguish_findings() {
    let (a, b) = (representative(), representative());
    assert_eq!(a, b);
    assert_eq!(sarif::to_sarif_json(&a), sarif::to_sarif_json(&b));
    let fps: Vec<String> = all_findings(&a)
        .iter()
        .map(|f| f.fingerprint.clone())
        .collect();
    assert!(fps.iter().all(|f| f.len() == 24), "{fps:?}");
    assert_eq!(
        fps.iter().collect::<HashSet<_>>().len(),
        fps.len(),
        "every finding of the run has its own fingerprint"
    );
    // Idempotent, and independent of run id, time, outcome, message, confidence and the gate.
    let mut again = a.clone();
    again.run_id = "another-run".into();
    again.started_at = "2027-01-01T00:00:00Z".into();
    again.gate.fail_on = Severity::Low;
    for c in again.suites.iter_mut().flat_map(|s| s.cases.iter_mut()) {
        c.duration_ms += 1;
        for f in &mut c.findings {
            f.message.push_str(" (again)");
            f.confidence = Confidence::Low;
        }
    }
    again.fingerprint();
    again.fingerprint();
    let fps_again: Vec<String> = all_findings(&again)
        .iter()
        .map(|f| f.fingerprint.clone())
        .collect();
    assert_eq!(fps, fps_again);

    // Another target: every fingerprint differs.
    let mut other = representative();
    other.target.name = "orders-api".into();
    other.label_target();
    other.fingerprint();
    for (x, y) in all_findings(&a).iter().zip(all_findings(&other)) {
        assert_eq!(x.rule_id, y.rule_id);
        assert_ne!(x.fingerprint, y.fingerprint, "{} across targets", x.rule_id);
    }
    // Another rule on the same case and cause: differs.
    let mut renamed = representative();
    case_of_mut(&mut renamed, "alg", "A01-1").findings[0].rule_id = "AP-ALG-NONE-2".into();
    renamed.fingerprint();
    assert_ne!(
        finding_of(&renamed, "AP-ALG-NONE-2").fingerprint,
        finding_of(&a, "AP-ALG-NONE").fingerprint
    );
    // Another cause for the same rule and case: differs.
    let mut recaused = representative();
    let f = &mut case_of_mut(&mut recaused, "alg", "A01-1").findings[0];
    let message = f.message.clone();
    *f = graded(
        "AP-ALG-NONE",
        Cause::ForgedSignatureAccepted,
        Confidence::High,
        &message,
    );
    recaused.fingerprint();
    assert_ne!(
        finding_of(&recaused, "AP-ALG-NONE").fingerprint,
        finding_of(&a, "AP-ALG-NONE").fingerprint
    );
    // Fields are separated: ("a", "bc") and ("ab", "c") do not collide.
    let fingerprint_of = |target: &str, rule: &str| {
        let mut r = representative();
        r.target.name = target.into();
        r.label_target();
        case_of_mut(&mut r, "alg", "A01-1").findings[0].rule_id = rule.into();
        r.fingerprint();
        case_of(&r, "alg", "A01-1").findings[0].fingerprint.clone()
    };
    assert_eq!(fingerprint_of("a", "bc"), fingerprint_of("a", "bc"));
    assert_ne!(fingerprint_of("a", "bc"), fingerprint_of("ab", "c"));
}

#[test]
fn fingerprints_ignore_ephemeral_loopback_ports() {
    let with_title = |title: &str| {
        let mut r = representative();
        case_of_mut(&mut r, "alg", "A01-1").title = title.into();
        r.fingerprint();
        case_of(&r, "alg", "A01-1").findings[0].fingerprint.clone()
    };
    assert_eq!(
        with_title("jku pointing at http://127.0.0.1:41234/jwks"),
        with_title("jku pointing at http://127.0.0.1:50001/jwks")
    );
    assert_ne!(
        with_title("jku pointing at http://127.0.0.1:41234/jwks"),
        with_title("jku pointing at http://127.0.0.2:41234/jwks")
    );
    assert_ne!(
        with_title("jku pointing at http://127.0.0.1:41234/jwks"),
        with_title("x5u pointing at http://127.0.0.1:41234/jwks")
    );
}

#[test]
fn baseline_marks_new_unchanged_and_absent() {
    let previous = representative();
    let mut report = next_run();
    baseline::compare(&mut report, &previous);

    for c in report.all_cases() {
        for f in &c.findings {
            let expected = if f.rule_id == "AP-SERVER-ERROR" && c.id == "A03" {
                BaselineState::New
            } else {
                BaselineState::Unchanged
            };
            assert_eq!(
                f.baseline,
                Some(expected),
                "{}/{} {}",
                c.suite,
                c.id,
                f.rule_id
            );
        }
    }
    let gone = finding_of(&previous, "AP-CLAIM-EXP");
    assert_eq!(
        report.absent,
        [AbsentFinding {
            fingerprint: gone.fingerprint.clone(),
            rule_id: "AP-CLAIM-EXP".into(),
            severity: Severity::High,
            target: TARGET.into(),
            case: "claims/C01".into(),
            message: "a token expired 2 hours ago was accepted".into(),
        }]
    );
    assert_eq!(report.summary.new, 1);
    // Still failing under the plain gate: the critical A01-1 and the new high 5xx.
    assert_eq!(report.summary.failing, 2);

    // SARIF: a baselineState on every result, absent findings as results of their own.
    let v = sarif_value(&report);
    assert_schema_valid(&v);
    assert_typed_round_trip(&v);
    let results = v["runs"][0]["results"].as_array().expect("results");
    let states: Vec<&str> = results
        .iter()
        .map(|r| {
            r["baselineState"]
                .as_str()
                .expect("baselineState on every result")
        })
        .collect();
    assert_eq!(states.iter().filter(|s| **s == "new").count(), 1);
    assert_eq!(states.iter().filter(|s| **s == "absent").count(), 1);
    assert_eq!(
        states.iter().filter(|s| **s == "unchanged").count(),
        results.len() - 2
    );
    let new = results
        .iter()
        .find(|r| r["baselineState"] == "new")
        .expect("new result");
    assert_eq!(new["ruleId"], "AP-SERVER-ERROR");
    assert_eq!(
        new["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
        format!("{TARGET}/alg/A03")
    );
    let absent = results
        .iter()
        .find(|r| r["baselineState"] == "absent")
        .expect("absent result");
    assert_eq!(absent["ruleId"], "AP-CLAIM-EXP");
    assert_eq!(absent["level"], "error");
    assert_eq!(
        absent["partialFingerprints"][sarif::FINGERPRINT_KEY],
        gone.fingerprint.as_str()
    );
    assert_eq!(
        absent["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
        format!("{TARGET}/claims/C01")
    );
    assert!(absent["message"]["text"]
        .as_str()
        .expect("message")
        .contains("a token expired 2 hours ago was accepted"));

    let md = markdown::to_markdown(&report);
    assert!(
        md.contains("Against the baseline: 1 new, 1 no longer found."),
        "{md}"
    );
    assert!(md.contains("## No longer found (1)"));
    assert!(md.contains(&format!(
        "| AP-CLAIM-EXP | {TARGET}: claims/C01 | high | a token expired 2 hours ago was accepted |"
    )));
    assert!(md.contains("| unchanged |") && md.contains("| new |"));
    let page = html::to_html(&report);
    assert!(page.contains("<td>new</td>") && page.contains("<td>unchanged</td>"));

    // Against itself, nothing is new and nothing absent.
    let mut same = representative();
    baseline::compare(&mut same, &previous);
    assert!(same.absent.is_empty());
    assert_eq!(same.summary.new, 0);
    assert!(all_findings(&same)
        .iter()
        .all(|f| f.baseline == Some(BaselineState::Unchanged)));
}

#[test]
fn fail_on_new_ignores_unchanged_findings() {
    let previous = representative();
    let mut report = next_run();
    report.gate.new_only = true;
    baseline::compare(&mut report, &previous);
    assert_eq!(report.summary.failing, 1, "only the new high finding fails");
    assert_eq!(
        case_of(&report, "alg", "A01-1").outcome,
        Outcome::Pass,
        "unchanged critical"
    );
    assert_eq!(
        case_of(&report, "alg", "A03").outcome,
        Outcome::Fail,
        "new high"
    );
    let md = markdown::to_markdown(&report);
    assert!(md
        .contains("**Gate:** new findings at high or above fail — ❌ 1 finding(s) fail the gate."));

    let mut same = representative();
    same.gate.new_only = true;
    baseline::compare(&mut same, &previous);
    assert_eq!(same.summary.failing, 0, "nothing new: the run passes");
    assert_eq!(same.summary.failed, 0);
    assert_eq!(
        same.summary.by_grade, previous.summary.by_grade,
        "still all listed"
    );

    // A new finding below the grade does not fail either.
    let mut low = representative();
    low.gate.new_only = true;
    case_of_mut(&mut low, "alg", "A02").findings.push(graded(
        "AP-A02",
        Cause::ReencodedTokenAccepted,
        Confidence::High,
        "re-encoded token accepted",
    ));
    low.fingerprint();
    baseline::compare(&mut low, &previous);
    assert_eq!((low.summary.new, low.summary.failing), (1, 0));
}

#[test]
fn a_written_report_is_a_baseline() {
    let dir = fresh_path("reports-baseline");
    let report = representative();
    write_all(&report, &dir).expect("written");
    let loaded = baseline::load(&dir.join("report.json")).expect("loads");
    assert_eq!(loaded, report);
    let mut next = next_run();
    baseline::compare(&mut next, &loaded);
    assert_eq!((next.summary.new, next.absent.len()), (1, 1));

    std::fs::write(dir.join("broken.json"), "{\n  \"tool\": 1\n}\n").expect("write");
    let e = baseline::load(&dir.join("broken.json"))
        .expect_err("not a report")
        .to_string();
    assert!(e.contains("broken.json:2:"), "{e}");
    assert!(baseline::load(&dir.join("missing.json")).is_err());
}

// ---------- Several targets ----------

fn second_target() -> RunReport {
    let mut r = representative();
    r.run_id = "20261126T120502Z-orders-api".into();
    r.target = target_info("orders-api", "live", None, "http://127.0.0.1:5000");
    r.duration_ms = 9999;
    r.notes = vec!["rate limited after 40 requests".into()];
    r.label_target();
    r.fingerprint();
    r.summarize();
    r
}

#[test]
fn merged_reports_keep_each_target() {
    assert!(RunReport::merge(vec![], "x".into()).is_none());
    let (a, b) = (representative(), second_target());
    let merged =
        RunReport::merge(vec![a.clone(), b.clone()], "run-2-targets".into()).expect("merged");
    assert_eq!(merged.run_id, "run-2-targets");
    assert_eq!(merged.started_at, a.started_at);
    assert_eq!(merged.duration_ms, 9999);
    assert_eq!(merged.target.name, TARGET, "the first target");
    let names: Vec<&str> = merged.targets.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, [TARGET, "orders-api"]);
    let suites: Vec<(&str, &str)> = merged
        .suites
        .iter()
        .map(|s| (s.target.as_str(), s.name.as_str()))
        .collect();
    assert_eq!(
        suites,
        [
            (TARGET, "alg"),
            (TARGET, "claims"),
            ("orders-api", "alg"),
            ("orders-api", "claims")
        ]
    );
    for s in &merged.suites {
        assert!(s.cases.iter().all(|c| c.target == s.target));
    }
    assert_eq!(merged.baseline.len(), 4);
    assert_eq!(
        merged
            .baseline
            .iter()
            .filter(|c| c.target == "orders-api")
            .count(),
        2
    );
    let s = &merged.summary;
    assert_eq!((s.total, s.failed, s.failing, s.findings), (18, 4, 4, 14));
    assert_eq!(s.by_grade.low, 4);
    assert_eq!(
        merged.notes,
        [
            "mock:accepts-alg-none: target answered slowly after 6 cases",
            "orders-api: rate limited after 40 requests"
        ]
    );
    let fps: HashSet<&str> = all_findings(&merged)
        .iter()
        .map(|f| f.fingerprint.as_str())
        .collect();
    assert_eq!(
        fps.len(),
        14,
        "the same finding on two targets has two fingerprints"
    );

    // JUnit: `<target>/<suite>` testsuites and classnames.
    let parsed = parse_junit(&merged);
    let names: Vec<&str> = parsed.test_suites.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "mock:accepts-alg-none/baseline",
            "orders-api/baseline",
            "mock:accepts-alg-none/alg",
            "mock:accepts-alg-none/claims",
            "orders-api/alg",
            "orders-api/claims"
        ]
    );
    for suite in &parsed.test_suites[1..] {
        assert!(suite
            .test_cases
            .iter()
            .all(|c| c.classname.as_ref().map(|n| n.as_str()) == Some(suite.name.as_str())));
    }
    assert_eq!((parsed.tests, parsed.failures), (22, 4));
    assert!(matches!(
        junit_case(&parsed, "orders-api/alg", "A01-1").status,
        quick_junit::TestCaseStatus::NonSuccess {
            kind: quick_junit::NonSuccessKind::Failure,
            ..
        }
    ));

    // SARIF: each result located and fingerprinted per target.
    let v = sarif_value(&merged);
    assert_schema_valid(&v);
    let results = v["runs"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), 10);
    let located = |prefix: &str| {
        results
            .iter()
            .filter(|r| {
                r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
                    .as_str()
                    .expect("fqn")
                    .starts_with(prefix)
            })
            .count()
    };
    assert_eq!(
        (located("mock:accepts-alg-none/"), located("orders-api/")),
        (5, 5)
    );
    let fps: HashSet<&str> = results
        .iter()
        .map(|r| {
            r["partialFingerprints"][sarif::FINGERPRINT_KEY]
                .as_str()
                .expect("fp")
        })
        .collect();
    assert_eq!(fps.len(), 10);

    // Markdown: one line per target, cases named with their target.
    let md = markdown::to_markdown(&merged);
    assert!(
        md.contains(
            "| Target mock:accepts-alg-none | mock (accepts-alg-none) at http://127.0.0.1:4000 |"
        ),
        "{md}"
    );
    assert!(md.contains("| Target orders-api | live at http://127.0.0.1:5000 |"));
    assert!(md.contains("| AP-ALG-NONE | orders-api: alg/A01-1 |"));
    // HTML: cases carry their target.
    let page = html::to_html(&merged);
    assert!(page.contains("<dt>Target</dt><dd>orders-api</dd>"));
    assert!(page.contains("orders-api: alg/A01-1"));

    // A target whose baseline failed is named.
    let mut broken = second_target();
    broken.baseline_ok = false;
    broken.target.baseline_ok = false;
    broken.label_target();
    let merged = RunReport::merge(vec![a, broken], "run".into()).expect("merged");
    assert!(!merged.baseline_ok);
    assert!(markdown::to_markdown(&merged)
        .contains("| Target orders-api | live at http://127.0.0.1:5000 (baseline FAILED) |"));
}

// ---------- HTML ----------

#[test]
fn html_is_self_contained() {
    for report in [representative(), hostile()] {
        let page = html::to_html(&report);
        let lower = page.to_ascii_lowercase();
        assert!(lower.starts_with("<!doctype html>"));
        assert!(!lower.contains("<link"), "no <link> elements");
        assert!(
            !lower.contains("@import") && !lower.contains("url("),
            "no CSS fetches"
        );
        for attr in ["src=", "href=", "action=", "srcset="] {
            for (at, _) in lower.match_indices(attr) {
                let value = lower[at + attr.len()..].trim_start_matches(['"', '\'']);
                assert!(
                    !value.starts_with("http:")
                        && !value.starts_with("https:")
                        && !value.starts_with("//"),
                    "external reference: {}",
                    &page[at..(at + 80).min(page.len())]
                );
            }
        }
        assert!(!lower.contains("<script src"), "no external scripts");
        assert!(lower.contains("content-security-policy"));
    }
    let page = html::to_html(&representative());
    assert!(page.contains("<details class=\"case o-fail\" id=\"case-2\" open>"));
    assert!(
        page.contains("<details class=\"case o-pass\" id=\"case-4\">"),
        "A03 (low only) passes under the default gate"
    );
    assert!(page.contains("curl -sS -H &quot;Authorization: Bearer $TOKEN&quot;"));
    assert!(page.contains("CVE-2015-9235"));
    assert!(page.contains("needs the issuer key (white-box mode)"));
}

#[test]
fn html_shows_grades_and_why() {
    let page = html::to_html(&representative());
    for (value, label) in [
        (9, "cases"),
        (5, "passed"),
        (2, "failed"),
        (1, "critical"),
        (1, "high"),
        (1, "medium"),
        (2, "low"),
        (2, "info"),
        (0, "suppressed"),
    ] {
        assert!(
            page.contains(&format!("<b>{value}</b>{label}</div>")),
            "card {label} = {value}"
        );
    }
    assert!(page.contains("Gate: findings at high or above fail the run; 2 do."));
    assert!(page.contains("unsigned-token-accepted (anyone; confidence high)"));
    assert!(page.contains("challenge-deviation (anyone; confidence medium)"));
    assert!(page.contains("check (server-error; confidence high)"));
    assert!(page.contains("issuer-only-content-accepted (issuer key only; confidence high)"));
    // Most severe first in the findings table, each row linking to its case.
    let critical = page
        .find("<span class=\"sev s-critical\">critical</span></td>")
        .expect("critical row");
    let info = page
        .find("<span class=\"sev s-info\">info</span></td>")
        .expect("info row");
    assert!(critical < info);
    assert!(page.contains(&format!("<a href=\"#case-2\">{TARGET}: alg/A01-1</a>")));
    assert!(page.contains("id=\"case-2\""));
}

#[test]
fn html_escapes_every_field() {
    let page = html::to_html(&hostile());
    assert!(
        !page.contains("<script>alert(1)"),
        "unescaped markup from the model"
    );
    assert!(
        !page.contains("\"'&"),
        "unescaped quotes or ampersand from the model"
    );
    let escaped = "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;";
    for tag in [
        "tool",
        "version",
        "run",
        "start",
        "kind",
        "variant",
        "backend",
        "auth",
        "mode",
        "note",
        "suite",
        "description",
        "id",
        "title",
        "rule",
        "tag",
        "catalogue",
        "reference",
        "expected",
        "code",
        "header-name",
        "header-value",
        "body",
        "method",
        "url",
        "request-header",
        "request-value",
        "request-body",
        "curl",
        "message",
        "finding-rule",
        "finding",
        "info-rule",
        "info",
        "case-suite",
        "case-target",
        "suppressed-rule",
        "suppressed-finding",
        "suppressed-reason",
        "expires",
    ] {
        assert!(
            page.contains(&format!("{escaped}{tag}")),
            "field {tag} not rendered escaped"
        );
    }
    assert_eq!(html::escape(HOSTILE), escaped);
}

// ---------- write_all and the token guard ----------

#[test]
fn write_all_writes_five_files() {
    let dir = fresh_path("reports-ok").join("nested");
    let report = representative();
    let written = write_all(&report, &dir).expect("written");
    let names: Vec<String> = written
        .iter()
        .map(|p| p.file_name().expect("name").to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, REPORT_FILES);
    for p in &written {
        let text = std::fs::read_to_string(p).expect("readable");
        assert!(!text.is_empty(), "{} is empty", p.display());
        assert!(!contains_unredacted_token(&text));
    }
    assert_eq!(
        std::fs::read_to_string(dir.join("report.json")).expect("json"),
        json::to_json(&report)
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("results.sarif")).expect("sarif"),
        sarif::to_sarif_json(&report)
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("summary.md")).expect("md"),
        markdown::to_markdown(&report)
    );
}

#[test]
fn write_all_to_writes_the_same_files_into_every_folder() {
    let root = fresh_path("reports-multi");
    let (run, latest) = (root.join("run-1"), root.join("latest"));
    let report = representative();
    let written = write_all_to(&report, &[&run, &latest]).expect("written");
    assert_eq!(written.len(), REPORT_FILES.len());
    assert!(
        written.iter().all(|p| p.parent() == Some(run.as_path())),
        "{written:?}"
    );
    for name in REPORT_FILES {
        let a = std::fs::read(run.join(name)).expect("in the run folder");
        let b = std::fs::read(latest.join(name)).expect("in latest");
        assert_eq!(a, b, "{name} identical in both folders");
    }
    // Written again over an existing folder: replaced, not appended.
    let mut next = report.clone();
    next.run_id = "second".into();
    write_all_to(&next, &[&run, &latest]).expect("rewritten");
    assert_eq!(
        std::fs::read_to_string(latest.join("report.json")).expect("json"),
        json::to_json(&next)
    );

    let mut leaky = representative();
    leaky.notes.push(format!("saw {TOKEN}"));
    let (x, y) = (root.join("x"), root.join("y"));
    assert!(matches!(
        write_all_to(&leaky, &[&x, &y]),
        Err(ReportError::UnredactedToken {
            file: "report.json"
        })
    ));
    assert!(!x.exists() && !y.exists(), "nothing written anywhere");
}

#[test]
fn write_all_refuses_an_unredacted_token() {
    let mut report = representative();
    report.suites[1].cases[1]
        .observed
        .as_mut()
        .expect("observed")
        .body_excerpt = format!("echo: {TOKEN}");
    let dir = fresh_path("reports-token");
    match write_all(&report, &dir) {
        Err(ReportError::UnredactedToken { file }) => assert_eq!(file, "report.json"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(!dir.exists(), "nothing is written when a token is found");

    let mut report = representative();
    report.suites[0].cases[0].reproduction = Some(format!(
        "curl -H 'Authorization: Bearer {TOKEN}' http://127.0.0.1:4000/api/me"
    ));
    assert!(matches!(
        write_all(&report, &fresh_path("reports-token2")),
        Err(ReportError::UnredactedToken { .. })
    ));

    // A token in a finding's message reaches every format that lists findings.
    let mut report = representative();
    report.suites[0].cases[2].findings[0].message = format!("echoed {TOKEN}");
    let dir = fresh_path("reports-token3");
    assert!(matches!(
        write_all(&report, &dir),
        Err(ReportError::UnredactedToken { .. })
    ));
    assert!(!dir.exists());
    assert!(contains_unredacted_token(&sarif::to_sarif_json(&report)));
    assert!(contains_unredacted_token(&markdown::to_markdown(&report)));
    assert!(contains_unredacted_token(
        &junit::to_junit(&report).expect("xml")
    ));
}

#[test]
fn token_detector() {
    let unsecured = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1c2VyLTEifQ.";
    let padded = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ1In0=.c2ln+/==";
    let jwe = "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.ZW5jcnlwdGVka2V5.aXY.Y2lwaGVy.dGFn";
    for text in [
        TOKEN.to_string(),
        format!("Bearer {TOKEN}"),
        format!("{{\"token\":\"{TOKEN}\"}}"),
        format!("http://x/cb?t={TOKEN}&x=1"),
        format!("https://x/{TOKEN}"),
        unsecured.to_string(),
        padded.to_string(),
        jwe.to_string(),
        "eyJhbGciOiJFZERTQSJ9..c2lnbmF0dXJl".to_string(),
    ] {
        assert!(contains_unredacted_token(&text), "missed: {text}");
    }
    for text in [
        "curl -H \"Authorization: Bearer $TOKEN\" http://127.0.0.1:4000/api/me",
        "Bearer <redacted>",
        "header eyJhbGciOiJub25lIn0 (alg none)",
        "eyJhbGciOiJub25lIn0..",
        "eyJhbGciOiJub25lIn0.<redacted>",
        "xeyJhbGciOiJub25lIn0.eyJzdWIiOiJ1In0.c2ln",
        "eyJ.a.b",
        "A01-1 alg none accepted; see RFC 7515 §7.1.",
    ] {
        assert!(!contains_unredacted_token(text), "false positive: {text}");
    }
    for file in ["report.json", "summary.md", "results.sarif"] {
        let text = std::fs::read_to_string(fixtures().join(file)).expect("golden file");
        assert!(!contains_unredacted_token(&text), "{file} carries a token");
    }
}

#[test]
fn failed_baseline_is_prominent() {
    let mut report = representative();
    report.baseline_ok = false;
    report.baseline[0].outcome = Outcome::Fail;
    let md = markdown::to_markdown(&report);
    assert!(
        md.contains("| Baseline | ❌ FAILED (1/2 controls passed): the suites were not judged |")
    );
    assert!(md.contains("> **The baseline controls failed**"));
    let page = html::to_html(&report);
    assert!(page.contains(
        "<p class=\"banner bad\">Baseline FAILED (1/2 controls passed): the suites were not judged</p>"
    ));
    let props = parse_junit(&report).test_suites[0]
        .properties
        .iter()
        .any(|p| p.name.as_str() == "baseline_ok" && p.value.as_str() == "false");
    assert!(props);
}
