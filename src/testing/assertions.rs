//! A finished audit seen from a test: its report under a gate, and assertions whose failure
//! messages say which case failed, why, what a secure target answers and how to replay it.

use crate::dangerous::forge::Severity;
use crate::judge::FlawClass;
use crate::report::{CaseResult, Finding, Gate, Outcome, RunReport};
use std::fmt::Write as _;

/// One finding of one case.
#[derive(Debug, Clone, Copy)]
pub struct Failure<'a> {
    pub case: &'a CaseResult,
    pub finding: &'a Finding,
}

impl Failure<'_> {
    /// Several lines: the case, the grade and class, the evidence, the expectation, the answer
    /// and how to replay the request.
    pub fn describe(&self) -> String {
        let (c, f) = (self.case, self.finding);
        let mut text = format!(
            "[{}] {}/{} — {}\n    rule {} · class {}{}\n    why: {}\n",
            f.severity,
            c.suite,
            c.id,
            c.title,
            f.rule_id,
            f.class,
            f.cause.map(|k| format!(" · cause {k}")).unwrap_or_default(),
            f.message
        );
        if !c.expected.is_empty() {
            let _ = writeln!(text, "    a secure target: {}", c.expected);
        }
        if let Some(o) = &c.observed {
            let _ = writeln!(
                text,
                "    it answered: HTTP {}{}",
                o.status,
                o.code
                    .as_deref()
                    .map(|code| format!(" (code {code})"))
                    .unwrap_or_default()
            );
        }
        if let Some(r) = &c.request {
            let _ = writeln!(text, "    request: {} {}", r.method, r.url);
            for (name, value) in &r.headers {
                let _ = writeln!(text, "      {name}: {value}");
            }
        }
        if let Some(repro) = &c.reproduction {
            let _ = writeln!(text, "    reproduce: {repro}");
        }
        text
    }
}

/// The result of [`super::Target::audit`].
#[derive(Debug, Clone)]
pub struct Audit {
    report: RunReport,
    target_unreachable: bool,
}

impl Audit {
    pub(super) fn new(mut report: RunReport, fail_on: Severity, unreachable: bool) -> Audit {
        report.gate = Gate {
            fail_on,
            new_only: false,
        };
        report.fingerprint();
        report.summarize();
        Audit {
            report,
            target_unreachable: unreachable,
        }
    }

    /// The full report, as `authprobe audit` writes it (see [`crate::report`] to render it).
    pub fn report(&self) -> &RunReport {
        &self.report
    }

    /// True when the target stopped answering during the run.
    pub fn target_unreachable(&self) -> bool {
        self.target_unreachable
    }

    /// Every finding of every case, strictness and information included.
    pub fn findings(&self) -> Vec<Failure<'_>> {
        self.report
            .all_cases()
            .flat_map(|case| {
                case.findings
                    .iter()
                    .map(move |finding| Failure { case, finding })
            })
            .collect()
    }

    /// The findings the gate fails.
    pub fn gate_failures(&self) -> Vec<Failure<'_>> {
        let gate = self.report.gate;
        self.findings()
            .into_iter()
            .filter(|f| gate.fails(f.finding))
            .collect()
    }

    /// The flaw classes found at or above `grade`, each once.
    pub fn classes_at_or_above(&self, grade: Severity) -> Vec<FlawClass> {
        let mut classes: Vec<FlawClass> = self
            .findings()
            .iter()
            .filter(|f| f.finding.severity >= grade)
            .map(|f| f.finding.class)
            .collect();
        classes.sort_by_key(|c| c.name());
        classes.dedup();
        classes
    }

    /// Panics unless the baseline controls passed (a valid token accepted, none and garbage
    /// refused): without them no suite is judged, and a gate with nothing judged proves nothing.
    #[track_caller]
    fn assert_baseline(&self) {
        if !self.report.baseline_ok {
            panic!(
                "authprobe: the baseline controls failed on {}, so nothing was judged:\n  {}",
                self.target_names(),
                self.report.notes.join("\n  ")
            );
        }
    }

    /// Panics, listing every failing finding, unless the suites were judged and no finding
    /// fails the gate.
    #[track_caller]
    pub fn assert_passes_gate(&self) -> &Audit {
        self.assert_baseline();
        let failures = self.gate_failures();
        if !failures.is_empty() {
            let mut text = format!(
                "authprobe: {} finding(s) at or above {} on {}:\n",
                failures.len(),
                self.report.gate.fail_on,
                self.target_names()
            );
            for (i, f) in failures.iter().take(20).enumerate() {
                let _ = write!(text, "{:>3}. {}", i + 1, f.describe());
            }
            if failures.len() > 20 {
                let _ = writeln!(text, "… and {} more", failures.len() - 20);
            }
            panic!("{text}");
        }
        self
    }

    /// Panics unless a finding of `class` was raised at or above the gate's grade; the message
    /// lists what was found instead.
    #[track_caller]
    pub fn assert_finds(&self, class: FlawClass) -> &Audit {
        let grade = self.report.gate.fail_on;
        if !self.classes_at_or_above(grade).contains(&class) {
            let found: Vec<String> = self
                .classes_at_or_above(Severity::Info)
                .iter()
                .map(|c| c.to_string())
                .collect();
            panic!(
                "authprobe: expected a {class} finding at or above {grade} on {}; found {}",
                self.target_names(),
                if found.is_empty() {
                    "none".to_owned()
                } else {
                    found.join(", ")
                }
            );
        }
        self
    }

    /// Panics unless every case ran and was judged (the baseline passed, no transport or
    /// harness errors, no attack answer left unjudged, the target reachable to the end); skipped
    /// cases are fine.
    #[track_caller]
    pub fn assert_all_judged(&self) -> &Audit {
        self.assert_baseline();
        let errored: Vec<String> = self
            .report
            .all_cases()
            .filter(|c| c.outcome == Outcome::Error)
            .take(10)
            .map(|c| {
                format!(
                    "  {}/{}: {}",
                    c.suite,
                    c.id,
                    c.message.as_deref().unwrap_or("error")
                )
            })
            .collect();
        let s = &self.report.summary;
        if self.target_unreachable || !errored.is_empty() || s.unjudged > 0 {
            panic!(
                "authprobe: {} case(s) errored, {} attack answer(s) unjudged{} on {}:\n{}",
                s.errored,
                s.unjudged,
                if self.target_unreachable {
                    ", the target stopped answering"
                } else {
                    ""
                },
                self.target_names(),
                errored.join("\n")
            );
        }
        self
    }

    fn target_names(&self) -> String {
        let names: Vec<&str> = self
            .report
            .targets
            .iter()
            .map(|t| t.name.as_str())
            .collect();
        if names.is_empty() {
            self.report.target.name.clone()
        } else {
            names.join(", ")
        }
    }
}
