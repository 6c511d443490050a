//! `junit.xml` for CI test tabs, written with `quick-junit`.
//!
//! One `<testsuite>` for the baseline controls (named `baseline`) and one per suite; one
//! `<testcase>` per case, named by the case id (unique within its suite: a repeated id gets a
//! `#2`, `#3`… suffix) with the suite name as classname (`<target>/<suite>` when the run audited
//! several targets). A case with a finding that fails the gate is a `<failure>` (type = the
//! finding's grade, message = its message, text = every finding plus expected vs observed);
//! findings below the gate go to `<system-out>`; a harness or transport problem is an `<error>`;
//! a skipped case is `<skipped>` with its reason. Run id and target are properties of every
//! suite.

use super::common::{duration, kind_name, observed_line, primary_finding};
use super::model::{CaseResult, Gate, Outcome, RunReport, TargetInfo};
use super::ReportError;
use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};
use std::collections::HashSet;
use std::fmt::Write as _;
use std::time::Duration;

/// Name of the testsuite holding the baseline controls.
pub const BASELINE_SUITE: &str = "baseline";

/// The run as JUnit XML.
pub fn to_junit(report: &RunReport) -> Result<String, ReportError> {
    Ok(build(report).to_string()?)
}

/// The run as a `quick-junit` report (for callers that want to post-process it).
pub fn build(report: &RunReport) -> Report {
    let mut junit = Report::new(format!("{} {}", report.tool, report.run_id));
    if let Ok(start) = chrono::DateTime::parse_from_rfc3339(&report.started_at) {
        junit.set_timestamp(start);
    }
    junit.set_time(Duration::from_millis(report.duration_ms));
    let several = report.targets.len() > 1;
    if several {
        // One baseline suite per target, each with its own target's properties.
        for t in &report.targets {
            let properties = run_properties(report, t);
            let controls: Vec<CaseResult> = report
                .baseline
                .iter()
                .filter(|c| c.target == t.name)
                .cloned()
                .collect();
            junit.add_test_suite(suite(
                &format!("{}/{BASELINE_SUITE}", t.name),
                "baseline controls",
                &controls,
                &properties,
                report.gate,
            ));
        }
    } else {
        junit.add_test_suite(suite(
            BASELINE_SUITE,
            "baseline controls",
            &report.baseline,
            &run_properties(report, &report.target),
            report.gate,
        ));
    }
    for s in &report.suites {
        let target = report
            .targets
            .iter()
            .find(|t| t.name == s.target)
            .unwrap_or(&report.target);
        let name = if several {
            format!("{}/{}", s.target, s.name)
        } else {
            s.name.clone()
        };
        junit.add_test_suite(suite(
            &name,
            &s.description,
            &s.cases,
            &run_properties(report, target),
            report.gate,
        ));
    }
    junit
}

fn run_properties(report: &RunReport, t: &TargetInfo) -> Vec<Property> {
    let mut p = vec![
        Property::new("run_id", &report.run_id),
        Property::new("tool_version", &report.version),
        Property::new("started_at", &report.started_at),
        Property::new("target", super::common::target_line(t)),
        Property::new("target.kind", &t.kind),
        Property::new("target.backend_url", &t.backend_url),
        Property::new("target.mode", &t.mode),
        Property::new(
            "baseline_ok",
            (report.baseline_ok && t.baseline_ok).to_string(),
        ),
    ];
    if let Some(v) = &t.variant {
        p.push(Property::new("target.variant", v));
    }
    if let Some(a) = &t.auth_url {
        p.push(Property::new("target.auth_url", a));
    }
    for note in &report.notes {
        p.push(Property::new("note", note));
    }
    p
}

fn suite(
    name: &str,
    description: &str,
    cases: &[CaseResult],
    props: &[Property],
    gate: Gate,
) -> TestSuite {
    let mut ts = TestSuite::new(name);
    ts.add_properties(props.iter().cloned());
    if !description.is_empty() {
        ts.add_property(Property::new("description", description));
    }
    ts.set_time(Duration::from_millis(
        cases.iter().map(|c| c.duration_ms).sum(),
    ));
    let mut names = HashSet::new();
    for case in cases {
        let case_name = unique_name(&mut names, &case.id);
        ts.add_test_case(test_case(case_name, name, case, gate));
    }
    ts
}

/// `id`, or `id#2`, `id#3`… if the suite already has a case of that name.
fn unique_name(taken: &mut HashSet<String>, id: &str) -> String {
    let mut name = id.to_string();
    let mut n = 1;
    while taken.contains(&name) {
        n += 1;
        name = format!("{id}#{n}");
    }
    taken.insert(name.clone());
    name
}

fn test_case(name: String, classname: &str, case: &CaseResult, gate: Gate) -> TestCase {
    let mut tc = TestCase::new(name, status(case));
    tc.set_classname(classname);
    tc.set_time(Duration::from_millis(case.duration_ms));
    tc.add_property(Property::new("title", &case.title));
    tc.add_property(Property::new("rule_id", &case.rule_id));
    tc.add_property(Property::new("severity", case.severity.to_string()));
    if let Some(id) = &case.catalogue_id {
        tc.add_property(Property::new("catalogue_id", id));
    }
    for tag in &case.tags {
        tc.add_property(Property::new("tag", tag));
    }
    for r in &case.references {
        tc.add_property(Property::new("reference", r));
    }
    let out = system_out(case, gate);
    if !out.is_empty() {
        tc.set_system_out(out);
    }
    tc
}

fn status(case: &CaseResult) -> TestCaseStatus {
    match case.outcome {
        Outcome::Error => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
            s.set_type("error");
            s.set_message(
                case.message
                    .as_deref()
                    .unwrap_or("harness or transport error"),
            );
            s.set_description(details(case));
            s
        }
        Outcome::Skip => {
            let mut s = TestCaseStatus::skipped();
            s.set_message(case.message.as_deref().unwrap_or("skipped"));
            s
        }
        Outcome::Fail => {
            if let Some(f) = primary_finding(case) {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                s.set_type(f.severity.name());
                s.set_message(&f.message);
                s.set_description(details(case));
                s
            } else {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                s.set_type("fail");
                s.set_message(case.message.as_deref().unwrap_or("failed"));
                s.set_description(details(case));
                s
            }
        }
        Outcome::Pass => TestCaseStatus::success(),
    }
}

/// Every finding, then expected vs observed (and the reason, if any).
fn details(case: &CaseResult) -> String {
    let mut text = String::new();
    for f in &case.findings {
        let _ = writeln!(
            text,
            "[{} {} {}] {}",
            kind_name(f.kind),
            f.severity,
            f.rule_id,
            f.message
        );
    }
    if let Some(m) = &case.message {
        let _ = writeln!(text, "message: {m}");
    }
    let _ = writeln!(text, "expected: {}", case.expected);
    let _ = writeln!(text, "observed: {}", observed_line(case));
    if let Some(o) = &case.observed {
        for (k, v) in &o.headers {
            let _ = writeln!(text, "  {k}: {v}");
        }
        if !o.body_excerpt.is_empty() {
            let _ = writeln!(text, "  body: {}", o.body_excerpt);
        }
    }
    let _ = write!(text, "duration: {}", duration(case.duration_ms));
    text
}

/// Informational findings and the reproduction, for any case that has them.
fn system_out(case: &CaseResult, gate: Gate) -> String {
    let mut text = String::new();
    if case.outcome != Outcome::Fail {
        for f in &case.findings {
            let _ = writeln!(
                text,
                "[{} {} {}{}] {}",
                kind_name(f.kind),
                f.severity,
                f.rule_id,
                if gate.fails(f) {
                    ""
                } else {
                    ", below the gate"
                },
                f.message
            );
        }
    }
    if let Some(r) = &case.reproduction {
        let _ = writeln!(text, "reproduce: {r}");
    }
    text
}
