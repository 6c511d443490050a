//! Reports of an audit, one module per format over one result model ([`model`]).
//!
//! Every writer is a pure function of a [`RunReport`]: [`json::to_json`], [`junit::to_junit`],
//! [`sarif::to_sarif_json`], [`markdown::to_markdown`] and [`html::to_html`]. [`write_all`] renders
//! all five, refuses the lot if any rendering still contains something shaped like a token
//! ([`contains_unredacted_token`]), and only then writes them into a folder.

pub mod baseline;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod model;
pub mod sarif;
pub mod suppress;

pub use model::*;

use std::path::{Path, PathBuf};

/// File names [`write_all`] writes, in order.
pub const REPORT_FILES: [&str; 5] = [
    "report.json",
    "junit.xml",
    "results.sarif",
    "summary.md",
    "report.html",
];

/// Why the reports could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// Creating the folder or writing a file failed.
    #[error("cannot write {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The JUnit serializer failed.
    #[error("cannot serialize the JUnit report: {0}")]
    Junit(#[from] quick_junit::SerializeError),
    /// A rendering contains something shaped like a compact JWS: the model was not redacted.
    /// Nothing was written.
    #[error("refusing to write reports: {file} would contain an unredacted token (case data must be redacted before reporting)")]
    UnredactedToken { file: &'static str },
}

/// Renders every format and writes `report.json`, `junit.xml`, `results.sarif`, `summary.md` and
/// `report.html` into `dir` (created if missing). Returns the written paths in that order.
///
/// All five are rendered and checked with [`contains_unredacted_token`] before anything is
/// written: a report that still carries a token writes nothing and answers
/// [`ReportError::UnredactedToken`].
pub fn write_all(report: &RunReport, dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    write_all_to(report, &[dir])
}

/// [`write_all`] into several folders (a run's own and `latest/`), rendering and checking once.
/// Returns the paths written into the first folder.
pub fn write_all_to(report: &RunReport, dirs: &[&Path]) -> Result<Vec<PathBuf>, ReportError> {
    // The five renderings (and their token checks) at once: a whole-zoo run's reports are
    // tens of megabytes.
    type Render = fn(&RunReport) -> Result<String, ReportError>;
    let renderers: [Render; 5] = [
        |r| Ok(json::to_json(r)),
        |r| junit::to_junit(r),
        |r| Ok(sarif::to_sarif_json(r)),
        |r| Ok(markdown::to_markdown(r)),
        |r| Ok(html::to_html(r)),
    ];
    let rendered: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = renderers
            .iter()
            .zip(REPORT_FILES)
            .map(|(render, name)| {
                scope.spawn(move || {
                    let text = render(report)?;
                    if contains_unredacted_token(&text) {
                        return Err(ReportError::UnredactedToken { file: name });
                    }
                    Ok(text)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a report renderer panicked"))
            .collect::<Result<Vec<_>, _>>()
    })?;
    let mut written = Vec::with_capacity(REPORT_FILES.len());
    for (n, dir) in dirs.iter().enumerate() {
        std::fs::create_dir_all(dir).map_err(|source| ReportError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        for (name, text) in REPORT_FILES.iter().zip(&rendered) {
            let path = dir.join(name);
            // Later folders (`latest/`) link to the first one's files when they can.
            let linked = n > 0 && {
                let _ = std::fs::remove_file(&path);
                std::fs::hard_link(dirs[0].join(name), &path).is_ok()
            };
            if !linked {
                std::fs::write(&path, text).map_err(|source| ReportError::Io {
                    path: path.clone(),
                    source,
                })?;
            }
            if n == 0 {
                written.push(path);
            }
        }
    }
    Ok(written)
}

/// Whether `text` contains anything shaped like a compact JWS (or the first three segments of a
/// JWE): a segment starting with `eyJ` (base64url of `{"`, the start of every JOSE header) of at
/// least 8 characters that does not continue a longer base64url run, then `.`, a payload segment,
/// `.` and a signature segment, payload and signature not both empty.
///
/// Segments are matched with the base64url alphabet widened by `+`, `/` and `=`, so tokens with
/// non-canonical encodings (as forged by the attack catalogue) are caught too; an unsecured token
/// (`alg: none`, empty signature) counts.
pub fn contains_unredacted_token(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(pos) = find(bytes, b"eyJ", from) {
        from = pos + 1;
        if pos > 0 && is_base64url(bytes[pos - 1]) {
            continue;
        }
        let header_end = run_end(bytes, pos);
        if header_end - pos < 8 || bytes.get(header_end) != Some(&b'.') {
            continue;
        }
        let payload_end = run_end(bytes, header_end + 1);
        if bytes.get(payload_end) != Some(&b'.') {
            continue;
        }
        let signature_end = run_end(bytes, payload_end + 1);
        let payload_len = payload_end - header_end - 1;
        let signature_len = signature_end - payload_end - 1;
        if payload_len + signature_len > 0 {
            return true;
        }
    }
    false
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

fn is_base64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// The end of the run of (widened) base64 characters starting at `start`.
fn run_end(bytes: &[u8], start: usize) -> usize {
    let mut end = start;
    while end < bytes.len()
        && (is_base64url(bytes[end]) || matches!(bytes[end], b'+' | b'/' | b'='))
    {
        end += 1;
    }
    end
}

/// Shared wording and classification for the writers.
pub(crate) mod common {
    use super::model::{CaseResult, FindingKind, Outcome};

    /// Lower-case outcome name (`pass`, `fail`, `error`, `skip`).
    pub fn outcome_name(outcome: Outcome) -> &'static str {
        match outcome {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Error => "error",
            Outcome::Skip => "skip",
        }
    }

    /// Lower-case finding kind name (`security`, `contract`, `informational`).
    pub fn kind_name(kind: FindingKind) -> &'static str {
        match kind {
            FindingKind::Security => "security",
            FindingKind::Contract => "contract",
            FindingKind::Informational => "informational",
        }
    }

    /// The finding a failed case is summarised by: its most severe one (the first of those).
    pub fn primary_finding(case: &CaseResult) -> Option<&super::model::Finding> {
        case.findings
            .iter()
            .reduce(|best, f| if f.severity > best.severity { f } else { best })
    }

    /// `1.234 s` or `56 ms`.
    pub fn duration(ms: u64) -> String {
        if ms >= 1000 {
            format!("{}.{:03} s", ms / 1000, ms % 1000)
        } else {
            format!("{ms} ms")
        }
    }

    /// `mock (variant) at URL` — one line describing the target.
    pub fn target_line(t: &super::model::TargetInfo) -> String {
        let mut s = t.kind.clone();
        if let Some(v) = &t.variant {
            s.push_str(&format!(" ({v})"));
        }
        s.push_str(&format!(" at {}", t.backend_url));
        s
    }

    /// The observed answer on one line: `401 TOKEN_INVALID`.
    pub fn observed_line(case: &CaseResult) -> String {
        match &case.observed {
            None => "no answer recorded".to_string(),
            Some(o) => match &o.code {
                Some(code) => format!("{} {code}", o.status),
                None => o.status.to_string(),
            },
        }
    }
}
