//! The result model every report format is written from: one [`RunReport`] per audit.
//! Everything in it is already redacted (tokens and key material never reach a report).

use crate::judge::{Cause, Confidence, FlawClass, Severity};
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
    /// Every audited target (one run may audit several backends, e.g. behind one issuer);
    /// `target` is the first.
    #[serde(default)]
    pub targets: Vec<TargetInfo>,
    /// Whether the baseline controls passed; if not, the suites were not judged.
    pub baseline_ok: bool,
    /// The baseline controls (valid token accepted, no token rejected, garbage rejected).
    pub baseline: Vec<CaseResult>,
    pub suites: Vec<SuiteResult>,
    pub summary: Summary,
    /// Run-level remarks (e.g. "target unreachable after 12 cases").
    pub notes: Vec<String>,
    /// Which findings fail the run.
    #[serde(default)]
    pub gate: Gate,
    /// Findings of the `--baseline` report that this run no longer shows.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub absent: Vec<AbsentFinding>,
    /// The numbers of `authprobe lifecycle` (key adoption and retirement, fetch storm, key-set
    /// outage, revocation lags), each with its bound; their findings are in the suites
    /// `key-lifecycle` and `revocation`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lifecycle: Vec<crate::lifecycle::Measurement>,
    /// Endpoints of one backend that accept requests its other endpoints refuse (one route
    /// with a weaker check is the whole vulnerability).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub endpoint_divergences: Vec<EndpointDivergence>,
}

/// One endpoint accepting cases that other endpoints of the same backend refuse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointDivergence {
    /// The backend (the target whose endpoints were audited one by one).
    pub group: String,
    /// The endpoint that accepts (`GET /api/export`).
    pub endpoint: String,
    /// The endpoints that refused those cases.
    pub refused_by: Vec<String>,
    /// How many cases it accepts that another endpoint refuses.
    pub cases: usize,
    /// The worst grade among their findings on this endpoint (none: only strictness).
    pub worst: Option<Severity>,
    /// A few of them, `suite/case`.
    pub examples: Vec<String>,
}

/// Which findings fail a run (`--fail-on`, `--fail-on-new`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gate {
    /// Findings at or above this grade fail the run (default: high).
    pub fail_on: Severity,
    /// Only findings that are new against the baseline fail the run.
    #[serde(default)]
    pub new_only: bool,
}

impl Default for Gate {
    fn default() -> Self {
        Gate {
            fail_on: Severity::High,
            new_only: false,
        }
    }
}

impl Gate {
    /// True when `finding` fails the run under this gate.
    pub fn fails(&self, finding: &Finding) -> bool {
        finding.severity >= self.fail_on
            && finding.suppressed.is_none()
            && (!self.new_only || finding.baseline != Some(BaselineState::Unchanged))
    }
}

/// What was audited.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetInfo {
    /// The target's stable name (profile `[target] name`, `mock`, `mock:<variant>`, or the
    /// backend URL): part of every finding's fingerprint.
    #[serde(default)]
    pub name: String,
    /// `mock` or `live`.
    pub kind: String,
    /// For the mock: which flawed backend variant, if any.
    pub variant: Option<String>,
    pub backend_url: String,
    pub auth_url: Option<String>,
    /// `black-box` or `white-box` (the harness held the issuer key).
    pub mode: String,
    /// Whether this target's baseline controls passed.
    #[serde(default = "yes")]
    pub baseline_ok: bool,
    /// Wall time of this target's audit.
    #[serde(default)]
    pub duration_ms: u64,
    /// The protected endpoint its cases were sent to (e.g. `GET /api/me`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// The target this is one endpoint of, when a target's endpoints were audited one by one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint_group: Option<String>,
}

fn yes() -> bool {
    true
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
    /// Cases with at least one finding that fails the gate.
    pub failed: usize,
    /// Harness or transport problems.
    pub errored: usize,
    pub skipped: usize,
    /// Findings of every grade, suppressed ones excluded.
    pub findings: usize,
    /// Of those, deviations from the error contract (wrong status, code, challenge, body).
    pub contract_deviations: usize,
    /// Findings per grade, suppressed ones excluded.
    pub by_grade: GradeCounts,
    /// Findings a suppression entry silenced (still listed, marked).
    pub suppressed: usize,
    /// Findings not in the baseline report (when one was given).
    pub new: usize,
    /// Findings that fail the run under its gate: exit code 1 when not zero.
    pub failing: usize,
    /// Attack cases (the `attacks` and `placement` suites) sent or meant to be sent.
    #[serde(default)]
    pub attack_cases: usize,
    /// Of those, cases whose answer could not be judged: transport errors, a time boundary of
    /// the reference, the budget used up, the target gone. (Cases skipped because they cannot
    /// be tokens or need the issuer's key are not counted: they were never meant to run.)
    #[serde(default)]
    pub unjudged: usize,
}

impl Summary {
    /// The share of attack cases that could not be judged, 0.0–1.0.
    pub fn unjudged_share(&self) -> f64 {
        if self.attack_cases == 0 {
            0.0
        } else {
            self.unjudged as f64 / self.attack_cases as f64
        }
    }
}

/// True for a case that was meant to run but whose answer was not judged.
fn unjudged(case: &CaseResult) -> bool {
    match case.outcome {
        Outcome::Error => true,
        Outcome::Skip => case.message.as_deref().is_some_and(|m| {
            m.starts_with("not judged") || m.starts_with("not run") || m.starts_with("not sent")
        }),
        Outcome::Pass | Outcome::Fail => false,
    }
}

/// True for a case that attacks the token: the attack catalogue and the placement checks.
fn attack_case(case: &CaseResult) -> bool {
    matches!(case.suite.as_str(), "attacks" | "placement")
        && !case.message.as_deref().is_some_and(|m| {
            m.starts_with("not a token")
                || m.starts_with("needs ")
                || m.starts_with("not deliverable")
                || m.starts_with("the target's contract")
        })
}

/// Counts per grade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct GradeCounts {
    pub critical: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
    pub info: usize,
}

impl GradeCounts {
    pub fn add(&mut self, grade: Severity) {
        *self.slot(grade) += 1;
    }
    pub fn get(&self, grade: Severity) -> usize {
        match grade {
            Severity::Critical => self.critical,
            Severity::High => self.high,
            Severity::Medium => self.medium,
            Severity::Low => self.low,
            Severity::Info => self.info,
        }
    }
    fn slot(&mut self, grade: Severity) -> &mut usize {
        match grade {
            Severity::Critical => &mut self.critical,
            Severity::High => &mut self.high,
            Severity::Medium => &mut self.medium,
            Severity::Low => &mut self.low,
            Severity::Info => &mut self.info,
        }
    }
}

/// One suite's results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuiteResult {
    /// The target's name (as in [`TargetInfo::name`]).
    #[serde(default)]
    pub target: String,
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

/// One problem found by a case, graded by what an attacker can do with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub kind: FindingKind,
    /// Stable rule id (the case's, or a generic one such as `AP-SERVER-ERROR`).
    pub rule_id: String,
    /// The grade (findings.md): critical, high, medium, low or info.
    pub severity: Severity,
    /// How sure the evidence is.
    pub confidence: Confidence,
    /// The grading rule that set the grade (findings.md §3); suite checks without one are
    /// graded by their own row (§5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<Cause>,
    /// What an attacker gets.
    pub class: FlawClass,
    pub message: String,
    /// Stable identity across runs (target, rule, cause, case), for baselines and SARIF.
    #[serde(default)]
    pub fingerprint: String,
    /// Set when a suppression entry silences the finding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<Suppressed>,
    /// New or unchanged against the `--baseline` report, when one was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineState>,
}

impl Finding {
    /// A finding graded by a cause of findings.md §3.
    pub fn graded(
        rule_id: impl Into<String>,
        cause: Cause,
        confidence: Confidence,
        message: impl Into<String>,
    ) -> Finding {
        let kind = match (cause.class(), cause.severity()) {
            (FlawClass::Contract, _) => FindingKind::Contract,
            (_, Severity::Info) => FindingKind::Informational,
            _ => FindingKind::Security,
        };
        Finding {
            kind,
            rule_id: rule_id.into(),
            severity: cause.severity(),
            confidence,
            cause: Some(cause),
            class: cause.class(),
            message: message.into(),
            fingerprint: String::new(),
            suppressed: None,
            baseline: None,
        }
    }

    /// A suite check's finding, graded by the check's own row.
    pub fn check(
        kind: FindingKind,
        rule_id: impl Into<String>,
        severity: Severity,
        class: FlawClass,
        message: impl Into<String>,
    ) -> Finding {
        Finding {
            kind,
            rule_id: rule_id.into(),
            severity,
            confidence: Confidence::High,
            cause: None,
            class,
            message: message.into(),
            fingerprint: String::new(),
            suppressed: None,
            baseline: None,
        }
    }
}

/// Why a finding is suppressed (from the suppressions file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppressed {
    pub reason: String,
    /// `YYYY-MM-DD`: the entry stops suppressing after this day.
    pub expires: String,
    /// Where the entry is (`file:line`).
    pub entry: String,
}

/// A finding's state against a baseline report (SARIF `baselineState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BaselineState {
    New,
    Unchanged,
}

/// A finding of the baseline report this run did not show again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AbsentFinding {
    pub fingerprint: String,
    pub rule_id: String,
    pub severity: Severity,
    pub target: String,
    pub case: String,
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
    /// The target's name (as in [`TargetInfo::name`]).
    #[serde(default)]
    pub target: String,
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
    /// Recomputes every case's outcome and the summary under the report's gate: a case with a
    /// finding the gate fails is `fail`; one whose findings are all below the gate, suppressed
    /// or (with `new_only`) unchanged passes, its findings still listed.
    pub fn summarize(&mut self) {
        let gate = self.gate;
        let mut s = Summary::default();
        // The baseline controls keep the runner's verdict: a control that did not behave as a
        // working deployment failed, whatever its findings' grades.
        for case in self.suites.iter_mut().flat_map(|s| s.cases.iter_mut()) {
            if matches!(case.outcome, Outcome::Pass | Outcome::Fail) {
                case.outcome = if case.findings.iter().any(|f| gate.fails(f)) {
                    Outcome::Fail
                } else {
                    Outcome::Pass
                };
            }
        }
        for case in self.suites.iter().flat_map(|s| &s.cases) {
            if attack_case(case) {
                s.attack_cases += 1;
                s.unjudged += usize::from(unjudged(case));
            }
            s.total += 1;
            match case.outcome {
                Outcome::Pass => s.passed += 1,
                Outcome::Fail => s.failed += 1,
                Outcome::Error => s.errored += 1,
                Outcome::Skip => s.skipped += 1,
            }
        }
        for f in self.all_cases().flat_map(|c| &c.findings) {
            if f.suppressed.is_some() {
                s.suppressed += 1;
                continue;
            }
            s.findings += 1;
            if f.kind == FindingKind::Contract {
                s.contract_deviations += 1;
            }
            s.by_grade.add(f.severity);
            if f.baseline == Some(BaselineState::New) {
                s.new += 1;
            }
            if gate.fails(f) {
                s.failing += 1;
            }
        }
        self.summary = s;
    }

    /// Names every suite and case after the report's one target and lists it in `targets`.
    pub fn label_target(&mut self) {
        let name = self.target.name.clone();
        for s in &mut self.suites {
            s.target.clone_from(&name);
            for c in &mut s.cases {
                c.target.clone_from(&name);
            }
        }
        for c in &mut self.baseline {
            c.target.clone_from(&name);
        }
        self.targets = vec![self.target.clone()];
    }

    /// One report of several runs (several targets audited at once): cases keep their
    /// target's name, the run id and start time are the first's, the duration the longest.
    pub fn merge(mut reports: Vec<RunReport>, run_id: String) -> Option<RunReport> {
        if reports.is_empty() {
            return None;
        }
        let mut merged = reports.remove(0);
        merged.run_id = run_id;
        let first = merged.target.name.clone();
        for n in &mut merged.notes {
            *n = format!("{first}: {n}");
        }
        for r in reports {
            merged.duration_ms = merged.duration_ms.max(r.duration_ms);
            merged.baseline_ok &= r.baseline_ok;
            merged.targets.extend(r.targets);
            merged.baseline.extend(r.baseline);
            merged.suites.extend(r.suites);
            merged.notes.extend(
                r.notes
                    .into_iter()
                    .map(|n| format!("{}: {n}", r.target.name)),
            );
        }
        merged.endpoint_divergences = merged.divergences();
        merged.summarize();
        Some(merged)
    }

    /// Per backend whose endpoints were audited one by one: each endpoint that accepts (2xx)
    /// cases another endpoint refuses (4xx), worst first.
    fn divergences(&self) -> Vec<EndpointDivergence> {
        use std::collections::BTreeMap;
        let group_of: BTreeMap<&str, (&str, &str)> = self
            .targets
            .iter()
            .filter_map(|t| {
                Some((
                    t.name.as_str(),
                    (t.endpoint_group.as_deref()?, t.endpoint.as_deref()?),
                ))
            })
            .collect();
        // (group, suite, case) -> endpoint -> (accepted, worst grade of its findings)
        type Verdicts<'a> = BTreeMap<&'a str, (bool, Option<Severity>)>;
        let mut by_case: BTreeMap<(&str, &str, &str), Verdicts<'_>> = BTreeMap::new();
        for case in self.suites.iter().flat_map(|s| &s.cases) {
            let (Some(&(group, endpoint)), Some(observed)) =
                (group_of.get(case.target.as_str()), &case.observed)
            else {
                continue;
            };
            let accepted = (200..300).contains(&observed.status);
            let refused = (400..500).contains(&observed.status);
            if !(accepted || refused) {
                continue;
            }
            let worst = case.findings.iter().map(|f| f.severity).max();
            by_case
                .entry((group, case.suite.as_str(), case.id.as_str()))
                .or_default()
                .insert(endpoint, (accepted, worst));
        }
        let mut out: BTreeMap<(&str, &str), EndpointDivergence> = BTreeMap::new();
        for ((group, suite, id), verdicts) in &by_case {
            let refusing: Vec<&str> = verdicts
                .iter()
                .filter(|(_, (accepted, _))| !accepted)
                .map(|(e, _)| *e)
                .collect();
            if refusing.is_empty() {
                continue;
            }
            for (endpoint, (accepted, worst)) in verdicts {
                if !accepted {
                    continue;
                }
                let d = out
                    .entry((group, endpoint))
                    .or_insert_with(|| EndpointDivergence {
                        group: (*group).to_owned(),
                        endpoint: (*endpoint).to_owned(),
                        refused_by: Vec::new(),
                        cases: 0,
                        worst: None,
                        examples: Vec::new(),
                    });
                d.cases += 1;
                d.worst = d.worst.max(*worst);
                for r in &refusing {
                    if !d.refused_by.iter().any(|x| x == r) {
                        d.refused_by.push((*r).to_owned());
                    }
                }
                if d.examples.len() < 5 {
                    d.examples.push(format!("{suite}/{id}"));
                }
            }
        }
        let mut list: Vec<EndpointDivergence> = out.into_values().collect();
        list.sort_by(|a, b| b.worst.cmp(&a.worst).then(b.cases.cmp(&a.cases)));
        list
    }

    /// Sets every finding's fingerprint: a hash of the target's name, the rule, the cause (or
    /// class) and the case's stable identity (its suite and title, with loopback ports removed;
    /// for fuzzer findings the disagreement the case id names).
    pub fn fingerprint(&mut self) {
        for case in self
            .baseline
            .iter_mut()
            .chain(self.suites.iter_mut().flat_map(|s| s.cases.iter_mut()))
        {
            let identity = case_identity(case);
            for f in &mut case.findings {
                let why = f.cause.map_or_else(|| f.class.name(), |c| c.id());
                let text = format!(
                    "{}\u{0}{}\u{0}{}\u{0}{}",
                    case.target, f.rule_id, why, identity
                );
                let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, text.as_bytes());
                f.fingerprint = digest.as_ref()[..12]
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
            }
        }
    }

    /// Every case result, baseline first.
    pub fn all_cases(&self) -> impl Iterator<Item = &CaseResult> {
        self.baseline
            .iter()
            .chain(self.suites.iter().flat_map(|s| &s.cases))
    }
}

/// A case's identity across runs: suite and title without loopback ports (ephemeral on the
/// mock); a fuzzer finding's id without its running number.
fn case_identity(case: &CaseResult) -> String {
    if case.suite == "differential" {
        let id = case.id.strip_prefix("diff-").unwrap_or(&case.id);
        return id.split_once('-').map_or(id, |(_, rest)| rest).to_owned();
    }
    format!("{}/{}", case.suite, stable_text(&case.title))
}

/// A title without what changes from run to run: loopback ports (ephemeral on the mock) and
/// long random runs (key ids, nonces) become `…`.
fn stable_text(title: &str) -> String {
    let mut out = String::with_capacity(title.len());
    let mut rest = title;
    while let Some(i) = rest.find("127.0.0.1:") {
        out.push_str(&rest[..i + "127.0.0.1".len()]);
        rest = rest[i + "127.0.0.1:".len()..].trim_start_matches(|c: char| c.is_ascii_digit());
    }
    out.push_str(rest);
    let mut stable = String::with_capacity(out.len());
    let mut run = String::new();
    for c in out.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
            run.push(c);
            continue;
        }
        let random = run.len() >= 20 && run.chars().any(|c| c.is_ascii_digit());
        stable.push_str(if random { "…" } else { &run });
        run.clear();
        stable.push(c);
    }
    stable.pop();
    stable
}
