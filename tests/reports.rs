//! The report writers: golden files (JSON, Markdown, SARIF), JUnit structure, SARIF schema
//! validation against OASIS's SARIF 2.1.0 schemas, a self-contained and fully escaped HTML page,
//! and `write_all` (five files, and a refusal for anything carrying a token).
//!
//! Goldens live in `tests/fixtures/reports/`; `UPDATE_GOLDEN=1` rewrites them.

use authprobe::forge::Severity;
use authprobe::report::{
    contains_unredacted_token, html, json, junit, markdown, sarif, write_all, CaseResult, Finding,
    FindingKind, Observed, Outcome, ReportError, RequestRecord, RunReport, SuiteResult, TargetInfo,
    REPORT_FILES,
};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

const HOSTILE: &str = "<script>alert(1)</script>\"'&";
/// A token-shaped string (header `{"alg":"EdDSA","kid":"k1"}`): must never reach a report.
const TOKEN: &str = "eyJhbGciOiJFZERTQSIsImtpZCI6ImsxIn0.eyJzdWIiOiJ1c2VyLTEiLCJleHAiOjE3OTU2OTE1MjR9.c2lnbmF0dXJlLWJ5dGVzLWhlcmUtbm90LXJlYWxseS1hLXNpZ25hdHVyZQ";

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

fn finding(kind: FindingKind, rule_id: &str, severity: Severity, message: &str) -> Finding {
    Finding {
        kind,
        rule_id: rule_id.into(),
        severity,
        message: message.into(),
    }
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

/// A baseline, two suites, every outcome, every finding kind, and some awkward strings.
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
    none.findings = vec![finding(
        FindingKind::Security,
        "AP-ALG-NONE",
        Severity::Critical,
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
    let mut code = case(
        "alg",
        "A03",
        "Unlisted alg rejected with the right code",
        Outcome::Fail,
    );
    code.severity = Severity::Medium;
    code.findings = vec![finding(
        FindingKind::Contract,
        "AP-A03",
        Severity::Medium,
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
        finding(
            FindingKind::Security,
            "AP-CLAIM-EXP",
            Severity::High,
            "a token expired 2 hours ago was accepted",
        ),
        finding(
            FindingKind::Contract,
            "AP-CONTRACT-CHALLENGE",
            Severity::Low,
            "no WWW-Authenticate header on the 401",
        ),
    ];
    exp.observed = observed(200, None, "{}");
    let mut big = case(
        "claims",
        "C02",
        "Oversized token <16 KiB> & \"friends\" | pipes",
        Outcome::Fail,
    );
    big.severity = Severity::Medium;
    big.findings = vec![finding(
        FindingKind::Security,
        "AP-SERVER-ERROR",
        Severity::Medium,
        "500 on a 20 KiB token:\nstack trace leaked | at Handler.<init>",
    )];
    big.observed = observed(
        500,
        None,
        "Internal Server Error\n  at Handler.<init> (server.js:12)",
    );
    let mut revoked = case("claims", "C03", "Token after sign-out", Outcome::Pass);
    revoked.severity = Severity::Low;
    revoked.findings = vec![finding(
        FindingKind::Informational,
        "AP-INFO-STATELESS",
        Severity::Info,
        "JWTs stay valid after sign-out until they expire (15 min)",
    )];
    revoked.expected = "200 (a stateless JWT cannot be revoked)".into();
    revoked.observed = observed(200, None, "{}");
    let mut nbf = case("claims", "C04", "nbf in the future", Outcome::Error);
    nbf.message = Some("connection reset by peer after 5 s".into());
    nbf.observed = None;

    let mut report = RunReport {
        tool: "authprobe".into(),
        version: "0.1.0".into(),
        run_id: "20261126T120501Z-mock".into(),
        started_at: "2026-11-26T12:05:01Z".into(),
        duration_ms: 4321,
        target: TargetInfo {
            kind: "mock".into(),
            variant: Some("accepts-alg-none".into()),
            backend_url: "http://127.0.0.1:4000".into(),
            auth_url: Some("http://127.0.0.1:3000".into()),
            mode: "white-box".into(),
        },
        baseline_ok: true,
        baseline: vec![valid, missing],
        suites: vec![
            SuiteResult {
                name: "alg".into(),
                description: "Algorithm confusion and alg=none".into(),
                cases: vec![none, hs, code, jwk],
            },
            SuiteResult {
                name: "claims".into(),
                description: "Registered claim checks".into(),
                cases: vec![exp, big, revoked, nbf],
            },
        ],
        summary: Default::default(),
        notes: vec!["target answered slowly after 6 cases".into()],
    };
    report.summarize();
    report
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
        kind: h("kind"),
        variant: Some(h("variant")),
        backend_url: h("backend"),
        auth_url: Some(h("auth")),
        mode: h("mode"),
    };
    r.notes = vec![h("note")];
    for s in &mut r.suites {
        s.name = h("suite");
        s.description = h("description");
    }
    let mut all: Vec<&mut CaseResult> = r.baseline.iter_mut().collect();
    all.extend(r.suites.iter_mut().flat_map(|s| s.cases.iter_mut()));
    for c in all {
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
        c.findings = vec![
            finding(
                FindingKind::Security,
                &h("finding-rule"),
                Severity::High,
                &h("finding"),
            ),
            finding(
                FindingKind::Informational,
                &h("info-rule"),
                Severity::Info,
                &h("info"),
            ),
        ];
    }
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
}

// ---------- Markdown ----------

#[test]
fn markdown_is_golden() {
    golden("summary.md", &markdown::to_markdown(&representative()));
}

#[test]
fn markdown_keeps_tables_intact_and_markup_inert() {
    let md = markdown::to_markdown(&hostile());
    assert!(
        !md.contains("<script>"),
        "raw HTML from the model reached the Markdown"
    );
    assert!(md.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    // Every table row has as many unescaped cell separators as its header row.
    let mut columns = None;
    for line in md.lines() {
        if !line.starts_with('|') {
            columns = None;
            continue;
        }
        let separators = count_unescaped_pipes(line);
        match columns {
            None => columns = Some(separators),
            Some(n) => assert_eq!(separators, n, "broken table row: {line}"),
        }
    }
    let md = markdown::to_markdown(&representative());
    assert!(md.contains("500 on a 20 KiB token:<br>stack trace leaked \\| at Handler.&lt;init&gt;"));
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

#[test]
fn junit_structure() {
    let report = representative();
    let xml = junit::to_junit(&report).expect("serializes");
    let parsed = quick_junit::Report::deserialize_from_str(&xml).expect("junit.xml parses back");
    let names: Vec<&str> = parsed.test_suites.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["baseline", "alg", "claims"]);
    assert_eq!(
        (parsed.tests, parsed.failures, parsed.errors, parsed.skipped),
        (10, 4, 1, 1)
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
            .status
            .clone()
    };
    use quick_junit::{NonSuccessKind, TestCaseStatus};
    match by_name(1, "A01-1") {
        TestCaseStatus::NonSuccess {
            kind: NonSuccessKind::Failure,
            message,
            ty,
            description,
            ..
        } => {
            assert_eq!(ty.map(|t| t.into_string()).as_deref(), Some("security"));
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
    match by_name(1, "A03") {
        TestCaseStatus::NonSuccess {
            kind: NonSuccessKind::Failure,
            ty,
            ..
        } => {
            assert_eq!(ty.map(|t| t.into_string()).as_deref(), Some("contract"));
        }
        other => panic!("A03 should be a failure: {other:?}"),
    }
    match by_name(2, "C01") {
        TestCaseStatus::NonSuccess {
            ty, description, ..
        } => {
            assert_eq!(ty.map(|t| t.into_string()).as_deref(), Some("security"));
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
    assert!(
        matches!(by_name(2, "C04"), TestCaseStatus::NonSuccess { kind: NonSuccessKind::Error, message: Some(m), .. } if m.as_str() == "connection reset by peer after 5 s")
    );
    assert!(
        matches!(by_name(1, "A04"), TestCaseStatus::Skipped { message: Some(m), .. } if m.as_str() == "needs the issuer key (white-box mode)")
    );
    assert!(
        matches!(by_name(2, "C03"), TestCaseStatus::Success { .. }),
        "informational findings do not fail a case"
    );
}

#[test]
fn junit_disambiguates_repeated_ids_and_escapes() {
    let mut report = representative();
    let first = report.suites[0].cases[0].clone();
    let mut third = first.clone();
    third.id = "A01-1#2".into();
    report.suites[0].cases.extend([first.clone(), third]);
    let parsed = quick_junit::Report::deserialize_from_str(&junit::to_junit(&report).expect("xml"))
        .expect("parses");
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
    assert_eq!(
        parsed.test_suites[1].test_cases[0].name.as_str(),
        format!("{HOSTILE}id")
    );
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
}

#[test]
fn sarif_results_are_findings_only_with_rules() {
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
    let failing = report.summary.findings + report.summary.contract_deviations;
    assert_eq!(
        results.len(),
        failing,
        "one result per security finding or contract deviation"
    );
    assert_eq!(failing, 5);

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
        assert!(["critical", "high", "medium", "low", "info"]
            .contains(&tags[0].as_str().expect("severity tag")));
    }
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

    let mut fingerprints = HashSet::new();
    for r in results {
        let id = r["ruleId"].as_str().expect("ruleId");
        let index = r["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rule_ids[index], id, "ruleIndex points at its rule");
        assert!(!r["message"]["text"].as_str().expect("message").is_empty());
        let loc = &r["locations"][0]["logicalLocations"][0];
        assert!(loc["fullyQualifiedName"]
            .as_str()
            .expect("fqn")
            .contains('/'));
        fingerprints.insert((
            id.to_string(),
            r["partialFingerprints"][sarif::FINGERPRINT_KEY]
                .as_str()
                .expect("fingerprint")
                .to_string(),
        ));
    }
    assert_eq!(
        fingerprints.len(),
        results.len(),
        "fingerprints distinguish findings"
    );

    let level_of = |rule: &str| {
        results
            .iter()
            .find(|r| r["ruleId"] == rule)
            .expect("result")["level"]
            .clone()
    };
    assert_eq!(level_of("AP-ALG-NONE"), "error");
    assert_eq!(level_of("AP-CLAIM-EXP"), "error");
    assert_eq!(level_of("AP-SERVER-ERROR"), "warning");
    assert_eq!(level_of("AP-CONTRACT-CHALLENGE"), "note");
    let contract = results
        .iter()
        .find(|r| r["ruleId"] == "AP-A03")
        .expect("contract result");
    assert_eq!(contract["properties"]["kind"], "contract");
    assert_eq!(
        contract["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
        "alg/A03"
    );
    assert!(
        results.iter().all(|r| r["ruleId"] != "AP-INFO-STATELESS"),
        "informational findings are not results"
    );

    assert_eq!(
        sarif::fingerprint("AP-ALG-NONE", "alg", "A01-1"),
        sarif::fingerprint("AP-ALG-NONE", "alg", "A01-1")
    );
    assert_ne!(
        sarif::fingerprint("AP-X", "a", "bc"),
        sarif::fingerprint("AP-X", "ab", "c")
    );
}

#[test]
fn sarif_round_trips_through_typed_model() {
    let v = sarif_value(&representative());
    let typed: serde_sarif::sarif::Sarif =
        serde_json::from_value(v.clone()).expect("deserializes as serde_sarif::Sarif");
    assert_eq!(serde_json::to_value(&typed).expect("reserializes"), v);
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
    assert!(page.contains("curl -sS -H &quot;Authorization: Bearer $TOKEN&quot;"));
    assert!(page.contains("CVE-2015-9235"));
    assert!(page.contains("needs the issuer key (white-box mode)"));
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
    ] {
        assert!(
            page.contains(&format!("{escaped}{tag}")),
            "field {tag} not rendered escaped"
        );
    }
    assert_eq!(html::escape(HOSTILE), escaped);
}

// ---------- write_all and the token guard ----------

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("reports-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn write_all_writes_five_files() {
    let dir = scratch("ok").join("nested");
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
}

#[test]
fn write_all_refuses_an_unredacted_token() {
    let mut report = representative();
    report.suites[1].cases[1]
        .observed
        .as_mut()
        .expect("observed")
        .body_excerpt = format!("echo: {TOKEN}");
    let dir = scratch("token");
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
        write_all(&report, &scratch("token2")),
        Err(ReportError::UnredactedToken { .. })
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
        let text = std::fs::read_to_string(fixtures().join(file)).unwrap_or_default();
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
    let props = quick_junit::Report::deserialize_from_str(&junit::to_junit(&report).expect("xml"))
        .expect("parses")
        .test_suites[0]
        .properties
        .iter()
        .any(|p| p.name.as_str() == "baseline_ok" && p.value.as_str() == "false");
    assert!(props);
}
