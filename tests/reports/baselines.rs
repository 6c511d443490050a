//! Baselines: stable fingerprints that tell findings apart (ephemeral loopback ports ignored),
//! findings marked new, unchanged or absent against a previous report, `--fail-on-new`, and a
//! written report.json read back as a baseline.

use crate::common::fresh_path;
use crate::runs::{all_findings, case_of, case_of_mut, finding_of, graded, representative, TARGET};
use crate::sarif::{assert_schema_valid, assert_typed_round_trip, sarif_value};
use authprobe::judge::{Cause, Confidence, Severity};
use authprobe::report::{
    baseline, html, markdown, sarif, write_all, AbsentFinding, BaselineState, Outcome, RunReport,
};
use std::collections::HashSet;

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
