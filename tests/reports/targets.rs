//! Several targets in one report: a merged report keeps each target's cases, findings, baseline
//! and summary, in every format.

use crate::junit::{junit_case, parse_junit};
use crate::runs::{all_findings, representative, target_info, TARGET};
use crate::sarif::{assert_schema_valid, sarif_value};
use authprobe::report::{html, markdown, sarif, RunReport};
use std::collections::HashSet;

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
