//! The result model every report format is written from: one [`RunReport`] per audit.
//! Everything in it is already redacted (tokens and key material never reach a report).

use crate::forge::Severity;
use serde::{Deserialize, Serialize};

/// A whole run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    /// `authprobe`.
    pub tool: String,
    /// The authprobe version.
    pub version: String,
    /// A unique run id, also the report folder name (e.g. `20261126T120501Z-mock`).
    pub run_id: String,
    /// RFC 3339 UTC start time.
    pub started_at: String,
    pub duration_ms: u64,
    pub target: TargetInfo,
    /// Whether the baseline controls passed; if not, the suites were not judged.
    pub baseline_ok: bool,
    /// The baseline controls (valid token accepted, no token rejected, garbage rejected).
    pub baseline: Vec<CaseResult>,
    pub suites: Vec<SuiteResult>,
    pub summary: Summary,
    /// Run-level remarks (e.g. "target unreachable after 12 cases").
    pub notes: Vec<String>,
}

/// What was audited.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetInfo {
    /// `mock` or `live`.
    pub kind: String,
    /// For the mock: which flawed backend variant, if any.
    pub variant: Option<String>,
    pub backend_url: String,
    pub auth_url: Option<String>,
    /// `black-box` or `white-box` (the harness held the issuer key).
    pub mode: String,
}

impl TargetInfo {
    /// `mock` or `live`, and the mock's variant if any: `mock, variant no-www-authenticate`.
    pub fn label(&self) -> String {
        match &self.variant {
            Some(v) => format!("{}, variant {v}", self.kind),
            None => self.kind.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Summary {
    pub total: usize,
    pub passed: usize,
    /// Cases with at least one finding or contract deviation.
    pub failed: usize,
    /// Harness or transport problems.
    pub errored: usize,
    pub skipped: usize,
    /// Security findings (always reported).
    pub findings: usize,
    /// Contract deviations (reported separately).
    pub contract_deviations: usize,
}

/// One suite's results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuiteResult {
    pub name: String,
    pub description: String,
    pub cases: Vec<CaseResult>,
}

/// The outcome of one case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Pass,
    /// A finding or a contract deviation.
    Fail,
    /// A transport or harness problem: the target's behaviour is unknown.
    Error,
    /// Not run, with a reason (e.g. needs the issuer key).
    Skip,
}

/// What kind of failure a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingKind {
    /// A token accepted that must be rejected, a 5xx, leaked token/keys/internals, a fetched
    /// attacker URL: always reported.
    Security,
    /// The target rejected, but not as the error contract says.
    Contract,
    /// Worth knowing, not a failure (e.g. JWTs stay valid after sign-out).
    Informational,
}

/// One problem found by a case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub kind: FindingKind,
    /// Stable rule id (the case's, or a generic one such as `AP-SERVER-ERROR`).
    pub rule_id: String,
    pub severity: Severity,
    pub message: String,
}

/// The answer the target gave (redacted).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observed {
    pub status: u16,
    /// The body's `code` member, if any.
    pub code: Option<String>,
    /// Response headers worth showing (lower-case names).
    pub headers: Vec<(String, String)>,
    /// The first bytes of the body, redacted.
    pub body_excerpt: String,
}

/// The request that was sent (redacted).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestRecord {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
}

/// One case's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseResult {
    pub suite: String,
    /// Unique within the suite (catalogue variants get `-<n>` suffixes).
    pub id: String,
    pub title: String,
    pub rule_id: String,
    pub severity: Severity,
    pub tags: Vec<String>,
    /// The attack catalogue ID, for catalogue-driven cases.
    pub catalogue_id: Option<String>,
    /// CVEs, RFC sections.
    pub references: Vec<String>,
    pub outcome: Outcome,
    pub findings: Vec<Finding>,
    /// What a secure, contract-following target answers, in words.
    pub expected: String,
    pub observed: Option<Observed>,
    pub request: Option<RequestRecord>,
    /// A curl command reproducing the request, with the token replaced by `$TOKEN`.
    pub reproduction: Option<String>,
    /// Why it was skipped or errored.
    pub message: Option<String>,
    pub duration_ms: u64,
}

impl RunReport {
    /// Recomputes the summary from the cases.
    pub fn summarize(&mut self) {
        let mut s = Summary::default();
        for case in self.suites.iter().flat_map(|s| &s.cases) {
            s.total += 1;
            match case.outcome {
                Outcome::Pass => s.passed += 1,
                Outcome::Fail => s.failed += 1,
                Outcome::Error => s.errored += 1,
                Outcome::Skip => s.skipped += 1,
            }
            for f in &case.findings {
                match f.kind {
                    FindingKind::Security => s.findings += 1,
                    FindingKind::Contract => s.contract_deviations += 1,
                    FindingKind::Informational => {}
                }
            }
        }
        self.summary = s;
    }

    /// Every case result, baseline first.
    pub fn all_cases(&self) -> impl Iterator<Item = &CaseResult> {
        self.baseline
            .iter()
            .chain(self.suites.iter().flat_map(|s| &s.cases))
    }
}
