//! junit.xml: the structure (one testsuite per suite, a testcase per case), failures that follow
//! the gate, repeated case ids told apart, and escaping. `parse_junit` and `junit_case` are shared
//! with the other modules.

use crate::runs::{hostile, representative, with_gate, HOSTILE};
use authprobe::judge::Severity;
use authprobe::report::{junit, Outcome, RunReport};
use std::collections::{HashMap, HashSet};

pub(crate) fn parse_junit(report: &RunReport) -> quick_junit::Report {
    let xml = junit::to_junit(report).expect("serializes");
    quick_junit::Report::deserialize_from_str(&xml).expect("junit.xml parses back")
}

pub(crate) fn junit_case<'a>(
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
