//! Lifecycle measurements as report cases: one case per measurement and backend in the suites
//! `key-lifecycle` (L01–L06) and `revocation` (L07–L10), whose findings carry the causes of
//! findings.md §3, so that gating, suppressions, baselines, SARIF and JUnit treat them like every
//! other finding. The numbers themselves go to the report's `lifecycle` section.

use super::{Kind, Measurement, Verdict};
use crate::judge::{Confidence, Severity};
use crate::report::{CaseResult, Finding, Outcome, RunReport, SuiteResult, TargetInfo};

/// The rule id of a measurement kind (`AP-LC-ADOPTION`, …).
pub fn rule_id(kind: Kind) -> String {
    format!("AP-LC-{}", kind.name().to_uppercase())
}

/// What a sound backend shows, in words.
fn expected(m: &Measurement) -> String {
    let bound = m
        .bound
        .map(|b| format!("{b:.0}"))
        .unwrap_or_else(|| "—".into());
    match m.kind {
        Kind::Adoption => format!("the new key's tokens accepted within {bound} s of the rotation"),
        Kind::Retirement => format!("the removed key's tokens refused within {bound} s"),
        Kind::FetchStorm => format!("at most {bound} key-set fetches"),
        Kind::Outage => {
            "refusals (4xx or 503), no other 5xx, no hang, no forged token accepted".into()
        }
        Kind::SlowKeySet => {
            "an answer within the request timeout, never a 5xx other than 503".into()
        }
        Kind::Recovery => {
            format!("the new key's tokens accepted within {bound} s of the key set's return")
        }
        Kind::SignOut | Kind::RevokeSessions | Kind::ChangePassword | Kind::Ban => format!(
            "the JWT refused, or accepted no longer than {bound} s; the dead session mints no JWT"
        ),
    }
}

/// One case per measurement, grouped into suites per backend and suite name, in order.
pub fn suites(measurements: &[Measurement]) -> Vec<SuiteResult> {
    let mut suites: Vec<SuiteResult> = Vec::new();
    for m in measurements {
        let suite = m.kind.suite();
        let case = to_case(m);
        match suites
            .iter_mut()
            .find(|s| s.name == suite && s.target == m.backend)
        {
            Some(s) => s.cases.push(case),
            None => suites.push(SuiteResult {
                target: m.backend.clone(),
                name: suite.into(),
                description: match suite {
                    "revocation" => {
                        "How long a JWT outlives the session it came from (measured).".into()
                    }
                    _ => {
                        "Key rotation, retirement and key-set outages over time (measured).".into()
                    }
                },
                cases: vec![case],
            }),
        }
    }
    suites
}

fn to_case(m: &Measurement) -> CaseResult {
    let rule = rule_id(m.kind);
    let findings: Vec<Finding> = m
        .causes
        .iter()
        .map(|(cause, text)| Finding::graded(rule.clone(), *cause, Confidence::High, text.clone()))
        .collect();
    let severity = findings
        .iter()
        .map(|f| f.severity)
        .max()
        .unwrap_or(Severity::Info);
    let (outcome, message) = match &m.verdict {
        Verdict::Within | Verdict::Info => (Outcome::Pass, None),
        Verdict::Exceeded => (Outcome::Fail, None),
        Verdict::Skipped(why) => (Outcome::Skip, Some(why.clone())),
        Verdict::Error(why) => (Outcome::Error, Some(why.clone())),
    };
    let shown = format!(
        "{}{}{}",
        m.shown(),
        m.bound
            .map(|b| format!(" (bound {b:.0})"))
            .unwrap_or_default(),
        if m.detail.is_empty() {
            String::new()
        } else {
            format!(": {}", m.detail)
        }
    );
    CaseResult {
        target: m.backend.clone(),
        suite: m.kind.suite().into(),
        id: format!("{}-{}", m.kind.id(), m.kind.name()),
        title: m.kind.title().into(),
        rule_id: rule,
        severity,
        tags: vec!["lifecycle".into(), "measured".into()],
        catalogue_id: None,
        references: references(m.kind),
        outcome,
        findings,
        expected: expected(m),
        observed: None,
        request: None,
        reproduction: None,
        message: message.or(Some(shown)),
        duration_ms: m.duration_ms,
    }
}

fn references(kind: Kind) -> Vec<String> {
    let v: &[&str] = match kind {
        Kind::Adoption | Kind::Retirement | Kind::Recovery => &[
            "RFC 7517 §5",
            "Better Auth jwt plugin: jwks.rotationInterval, gracePeriod",
        ],
        Kind::FetchStorm => &["RFC 8725 §3.10", "ATTACKS.md D: denial of service"],
        Kind::Outage | Kind::SlowKeySet => &["errors.md KEY_SET_UNAVAILABLE"],
        _ => &["RFC 7009", "Better Auth: session revocation"],
    };
    v.iter().map(|s| (*s).to_owned()).collect()
}

/// What a lifecycle report says about the run besides its measurements.
#[derive(Debug, Clone)]
pub struct RunInfo {
    pub run_id: String,
    pub started_at: String,
    pub duration_ms: u64,
    /// One entry per measured backend (kind `mock` or `live`).
    pub targets: Vec<TargetInfo>,
    pub notes: Vec<String>,
}

/// The lifecycle run as a report: the measurements' cases in the suites `key-lifecycle` and
/// `revocation`, the numbers in the report's `lifecycle` section. A run has no baseline cases:
/// each measurement first checks that the backend accepts a fresh token (else it is an error).
pub fn report(info: RunInfo, measurements: Vec<Measurement>) -> RunReport {
    let target = info.targets.first().cloned().unwrap_or_else(|| TargetInfo {
        name: String::new(),
        kind: "live".into(),
        variant: None,
        backend_url: String::new(),
        auth_url: None,
        mode: "black-box".into(),
        baseline_ok: true,
        duration_ms: info.duration_ms,
        endpoint: None,
        endpoint_group: None,
    });
    let mut report = RunReport {
        tool: "authprobe".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        run_id: info.run_id,
        started_at: info.started_at,
        duration_ms: info.duration_ms,
        target,
        targets: info.targets,
        baseline_ok: true,
        baseline: Vec::new(),
        suites: suites(&measurements),
        summary: Default::default(),
        notes: info.notes,
        gate: Default::default(),
        absent: Vec::new(),
        lifecycle: measurements,
        endpoint_divergences: Vec::new(),
    };
    report.summarize();
    report
}
