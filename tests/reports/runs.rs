//! The runs every report test writes: the representative run (a mock with a baseline, two suites,
//! graded findings, a skip and an error), the same run under another gate, the hostile run (every
//! text field markup or a quote), lookups into a run, and the golden-file comparison.

use authprobe::judge::{Cause, Confidence, FlawClass, Severity};
use authprobe::report::{
    AbsentFinding, BaselineState, CaseResult, Finding, FindingKind, Gate, Observed, Outcome,
    RequestRecord, RunReport, SuiteResult, Suppressed, TargetInfo,
};
use std::path::{Path, PathBuf};

pub(crate) const HOSTILE: &str = "<script>alert(1)</script>\"'&";
/// A token-shaped string (header `{"alg":"EdDSA","kid":"k1"}`): must never reach a report.
pub(crate) const TOKEN: &str = "eyJhbGciOiJFZERTQSIsImtpZCI6ImsxIn0.eyJzdWIiOiJ1c2VyLTEiLCJleHAiOjE3OTU2OTE1MjR9.c2lnbmF0dXJlLWJ5dGVzLWhlcmUtbm90LXJlYWxseS1hLXNpZ25hdHVyZQ";
/// The representative run's target name (`mock:<variant>`).
pub(crate) const TARGET: &str = "mock:accepts-alg-none";
/// The day the representative run is judged on (for suppression expiry).
pub(crate) const TODAY: &str = "2026-11-26";

pub(crate) fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/reports")
}

/// Compares `actual` with the golden file, or rewrites it when `UPDATE_GOLDEN=1`.
pub(crate) fn golden(name: &str, actual: &str) {
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
pub(crate) fn graded(
    rule_id: &str,
    cause: Cause,
    confidence: Confidence,
    message: &str,
) -> Finding {
    Finding::graded(rule_id, cause, confidence, message)
}

pub(crate) fn observed(status: u16, code: Option<&str>, body: &str) -> Option<Observed> {
    Some(Observed {
        status,
        code: code.map(Into::into),
        headers: vec![("content-type".into(), "application/json".into())],
        body_excerpt: body.into(),
    })
}

pub(crate) fn request(path: &str) -> Option<RequestRecord> {
    Some(RequestRecord {
        method: "GET".into(),
        url: format!("http://127.0.0.1:4000{path}"),
        headers: vec![("authorization".into(), "Bearer <redacted>".into())],
        body: None,
    })
}

/// A case with defaults; tests adjust the fields they need.
pub(crate) fn case(suite: &str, id: &str, title: &str, outcome: Outcome) -> CaseResult {
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

pub(crate) fn target_info(
    name: &str,
    kind: &str,
    variant: Option<&str>,
    backend_url: &str,
) -> TargetInfo {
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
pub(crate) fn representative() -> RunReport {
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
pub(crate) fn with_gate(fail_on: Severity) -> RunReport {
    let mut r = representative();
    r.gate.fail_on = fail_on;
    r.summarize();
    r
}

pub(crate) fn case_of<'a>(r: &'a RunReport, suite: &str, id: &str) -> &'a CaseResult {
    r.all_cases()
        .find(|c| c.suite == suite && c.id == id)
        .unwrap_or_else(|| panic!("case {suite}/{id}"))
}

pub(crate) fn case_of_mut<'a>(r: &'a mut RunReport, suite: &str, id: &str) -> &'a mut CaseResult {
    r.suites
        .iter_mut()
        .flat_map(|s| s.cases.iter_mut())
        .find(|c| c.suite == suite && c.id == id)
        .unwrap_or_else(|| panic!("case {suite}/{id}"))
}

pub(crate) fn finding_of<'a>(r: &'a RunReport, rule_id: &str) -> &'a Finding {
    r.all_cases()
        .flat_map(|c| &c.findings)
        .find(|f| f.rule_id == rule_id)
        .unwrap_or_else(|| panic!("finding {rule_id}"))
}

pub(crate) fn all_findings(r: &RunReport) -> Vec<&Finding> {
    r.all_cases().flat_map(|c| &c.findings).collect()
}

/// Every text field of every part of the model set to (a variant of) [`HOSTILE`].
pub(crate) fn hostile() -> RunReport {
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
