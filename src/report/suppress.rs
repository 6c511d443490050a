//! Suppressions: a TOML file of accepted findings, each with a required reason and a required
//! expiry date, so that a team can adopt authprobe on an existing backend without switching the
//! gate off. A suppressed finding stays in every report, marked (SARIF `suppressions`); it no
//! longer fails the run. An entry past its expiry stops suppressing and the report says so.
//!
//! ```toml
//! [[suppress]]
//! rule = "AP-A12-b64-noncanonical"   # a rule id, or a cause id (findings.md §3)
//! target = "orders-api"              # optional: the target's name
//! case = "attacks/a12-b64-noncanonical-003"   # optional: suite/case id
//! reason = "jose accepts '=' padding; our deny list keys on jti, not on the token string"
//! expires = "2027-03-31"             # YYYY-MM-DD; the entry suppresses through that day
//! ```

use super::{RunReport, Suppressed};
use serde::Deserialize;
use std::path::Path;

/// A whole suppressions file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Suppressions {
    /// Where the entries came from (for messages).
    pub path: String,
    pub entries: Vec<Entry>,
}

/// One entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub rule: String,
    pub target: Option<String>,
    pub case: Option<String>,
    pub reason: String,
    /// `YYYY-MM-DD`.
    pub expires: String,
    /// 1-based line of the entry's `[[suppress]]` header.
    pub line: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    suppress: Vec<toml::Spanned<RawEntry>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    rule: String,
    #[serde(default)]
    target: Option<String>,
    #[serde(default)]
    case: Option<String>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    expires: Option<String>,
}

/// Why a suppressions file cannot be used; the message names the file, line and column.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SuppressionError {
    #[error("reading suppressions file {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: {message}")]
    Invalid {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
}

impl Suppressions {
    /// Reads and checks a suppressions file.
    pub fn load(path: &Path) -> Result<Suppressions, SuppressionError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| SuppressionError::Io {
            path: shown.clone(),
            source,
        })?;
        Suppressions::parse(&shown, &text)
    }

    /// Parses suppressions text (`name` is used in messages).
    pub fn parse(name: &str, text: &str) -> Result<Suppressions, SuppressionError> {
        let invalid = |offset: usize, message: String| {
            let (line, column) = crate::deployment::profile::line_column(text, offset);
            SuppressionError::Invalid {
                path: name.to_owned(),
                line,
                column,
                message,
            }
        };
        let file: File = toml::from_str(text)
            .map_err(|e| invalid(e.span().map_or(0, |s| s.start), e.message().to_owned()))?;
        let mut entries = Vec::new();
        for spanned in file.suppress {
            let start = spanned.span().start;
            let raw = spanned.into_inner();
            let reason = raw.reason.unwrap_or_default();
            if reason.trim().is_empty() {
                return Err(invalid(
                    start,
                    format!(
                        "suppression of {:?} has no reason: say why the finding is accepted",
                        raw.rule
                    ),
                ));
            }
            let expires = raw.expires.ok_or_else(|| {
                invalid(
                    start,
                    format!(
                        "suppression of {:?} has no expires date (YYYY-MM-DD): every suppression must end",
                        raw.rule
                    ),
                )
            })?;
            if !is_date(&expires) {
                return Err(invalid(
                    start,
                    format!("expires {expires:?} is not a date of the form YYYY-MM-DD"),
                ));
            }
            if raw.rule.trim().is_empty() {
                return Err(invalid(start, "suppression with an empty rule".into()));
            }
            entries.push(Entry {
                rule: raw.rule,
                target: raw.target,
                case: raw.case,
                reason,
                expires,
                line: crate::deployment::profile::line_column(text, start).0,
            });
        }
        Ok(Suppressions {
            path: name.to_owned(),
            entries,
        })
    }

    /// Marks the findings the entries suppress on `today` (`YYYY-MM-DD`); notes expired entries
    /// that would have matched, and entries that matched nothing.
    pub fn apply(&self, report: &mut RunReport, today: &str) {
        let mut used = vec![false; self.entries.len()];
        let mut expired_hits = vec![0usize; self.entries.len()];
        for case in report
            .baseline
            .iter_mut()
            .chain(report.suites.iter_mut().flat_map(|s| s.cases.iter_mut()))
        {
            let case_id = format!("{}/{}", case.suite, case.id);
            for f in &mut case.findings {
                let mut expired_matches = Vec::new();
                for (n, e) in self.entries.iter().enumerate() {
                    let rule_matches =
                        e.rule == f.rule_id || f.cause.is_some_and(|c| c.id() == e.rule);
                    let matches = rule_matches
                        && e.target.as_ref().is_none_or(|t| *t == case.target)
                        && e.case.as_ref().is_none_or(|c| *c == case_id);
                    if !matches {
                        continue;
                    }
                    if e.expires.as_str() < today {
                        expired_matches.push(n);
                        continue;
                    }
                    used[n] = true;
                    f.suppressed = Some(Suppressed {
                        reason: e.reason.clone(),
                        expires: e.expires.clone(),
                        entry: format!("{}:{}", self.path, e.line),
                    });
                    break;
                }
                // An expired entry matters only where no valid entry took over.
                if f.suppressed.is_none() {
                    for n in expired_matches {
                        expired_hits[n] += 1;
                    }
                }
            }
        }
        for (n, e) in self.entries.iter().enumerate() {
            if expired_hits[n] > 0 {
                report.notes.push(format!(
                    "suppression {}:{} of {} expired on {}: {} finding(s) it matched are no longer suppressed",
                    self.path, e.line, e.rule, e.expires, expired_hits[n]
                ));
            } else if !used[n] {
                report.notes.push(format!(
                    "suppression {}:{} of {} matched no finding (remove it?)",
                    self.path, e.line, e.rule
                ));
            }
        }
        report.summarize();
    }
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        && (1..=12).contains(&s[5..7].parse::<u32>().unwrap_or(0))
        && (1..=31).contains(&s[8..10].parse::<u32>().unwrap_or(0))
}

/// Today's date in UTC, `YYYY-MM-DD`.
pub fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    crate::run::rfc3339(secs)[..10].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_and_expiry_are_required_and_located() {
        let no_reason = "[[suppress]]\nrule = \"AP-X\"\nexpires = \"2030-01-01\"\n";
        let e = Suppressions::parse("s.toml", no_reason)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("s.toml:1:1:") && e.contains("no reason"),
            "{e}"
        );
        let no_expiry = "\n[[suppress]]\nrule = \"AP-X\"\nreason = \"r\"\n";
        let e = Suppressions::parse("s.toml", no_expiry)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("s.toml:2:1:") && e.contains("expires"), "{e}");
        let bad_date = "[[suppress]]\nrule = \"AP-X\"\nreason = \"r\"\nexpires = \"2030-13-01\"\n";
        assert!(Suppressions::parse("s.toml", bad_date).is_err());
        let unknown =
            "[[suppress]]\nrule = \"AP-X\"\nreason = \"r\"\nexpires = \"2030-01-01\"\nwhy = 1\n";
        assert!(Suppressions::parse("s.toml", unknown).is_err());
        let ok = "[[suppress]]\nrule = \"AP-X\"\nreason = \"r\"\nexpires = \"2030-01-01\"\n";
        assert_eq!(
            Suppressions::parse("s.toml", ok).unwrap().entries[0].line,
            1
        );
    }
}
