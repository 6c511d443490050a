//! Baselines: a previous run's `report.json` against this run, by finding fingerprint. Each
//! finding is marked `new` or `unchanged`, and the previous findings this run no longer shows
//! are listed as `absent` (SARIF `baselineState`). With `--fail-on-new`, only new findings at or
//! above the gate fail the run — the way to adopt authprobe on a backend that already has some.

use super::{AbsentFinding, BaselineState, RunReport};
use std::collections::BTreeSet;
use std::path::Path;

/// Why a baseline report cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BaselineError {
    #[error("reading baseline report {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: not an authprobe report.json: {message}")]
    Invalid {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
}

/// Reads a previous `report.json`.
pub fn load(path: &Path) -> Result<RunReport, BaselineError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| BaselineError::Io {
        path: shown.clone(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|e| BaselineError::Invalid {
        path: shown,
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })
}

/// Marks every finding of `report` against `previous` (both fingerprinted), and lists what
/// disappeared.
pub fn compare(report: &mut RunReport, previous: &RunReport) {
    let before: BTreeSet<&str> = previous
        .all_cases()
        .flat_map(|c| &c.findings)
        .map(|f| f.fingerprint.as_str())
        .collect();
    let mut now = BTreeSet::new();
    for case in report
        .baseline
        .iter_mut()
        .chain(report.suites.iter_mut().flat_map(|s| s.cases.iter_mut()))
    {
        for f in &mut case.findings {
            now.insert(f.fingerprint.clone());
            f.baseline = Some(if before.contains(f.fingerprint.as_str()) {
                BaselineState::Unchanged
            } else {
                BaselineState::New
            });
        }
    }
    report.absent = previous
        .all_cases()
        .flat_map(|c| c.findings.iter().map(move |f| (c, f)))
        .filter(|(_, f)| !now.contains(&f.fingerprint))
        .map(|(c, f)| AbsentFinding {
            fingerprint: f.fingerprint.clone(),
            rule_id: f.rule_id.clone(),
            severity: f.severity,
            target: c.target.clone(),
            case: format!("{}/{}", c.suite, c.id),
            message: f.message.clone(),
        })
        .collect();
    report.summarize();
}
