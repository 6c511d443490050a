//! `summary.md`: the run for humans and CI job summaries (e.g. `$GITHUB_STEP_SUMMARY`).
//!
//! Title, target, run id, duration and baseline status; a summary table; security findings
//! grouped by severity (most severe first); contract deviations; informational findings;
//! errors; skips with their reasons; run notes. Every text from the model goes through
//! [`escape`] (and table cells through [`cell`]), so `|`, newlines and HTML in case data cannot
//! break the tables or inject markup.

use super::common::{duration, outcome_name, target_line};
use super::model::{CaseResult, Finding, FindingKind, Outcome, RunReport};
use crate::forge::Severity;
use std::fmt::Write as _;

/// The run as Markdown.
pub fn to_markdown(report: &RunReport) -> String {
    let mut md = String::new();
    header(&mut md, report);
    summary(&mut md, report);
    findings(&mut md, report);
    deviations(&mut md, report);
    informational(&mut md, report);
    problems(&mut md, report, Outcome::Error);
    problems(&mut md, report, Outcome::Skip);
    if !report.notes.is_empty() {
        md.push_str("\n## Notes\n\n");
        for n in &report.notes {
            let _ = writeln!(md, "- {}", inline(n));
        }
    }
    md
}

/// Escapes text for Markdown: backslashes and `|` with a backslash, `&`, `<` and `>` as HTML
/// entities (GitHub renders them, and raw HTML in case data stays inert).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '|' => out.push_str("\\|"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => {}
            _ => out.push(c),
        }
    }
    out
}

/// [`escape`] for a table cell: newlines become `<br>`; an empty cell shows `—`.
pub fn cell(text: &str) -> String {
    if text.trim().is_empty() {
        return "—".to_string();
    }
    escape(text.trim_end_matches(['\n', '\r'])).replace('\n', "<br>")
}

/// [`escape`] for a list item or heading: newlines become spaces.
fn inline(text: &str) -> String {
    escape(text).replace('\n', " ")
}

fn header(md: &mut String, r: &RunReport) {
    let t = &r.target;
    let _ = writeln!(md, "# {} report: {}\n", inline(&r.tool), inline(&r.run_id));
    md.push_str("| | |\n|---|---|\n");
    let _ = writeln!(md, "| Target | {} |", cell(&target_line(t)));
    if let Some(a) = &t.auth_url {
        let _ = writeln!(md, "| Auth server | {} |", cell(a));
    }
    let _ = writeln!(md, "| Mode | {} |", cell(&t.mode));
    let _ = writeln!(md, "| Run id | {} |", cell(&r.run_id));
    let _ = writeln!(md, "| Started | {} |", cell(&r.started_at));
    let _ = writeln!(md, "| Duration | {} |", duration(r.duration_ms));
    let _ = writeln!(md, "| Tool | {} {} |", cell(&r.tool), cell(&r.version));
    let passed = r
        .baseline
        .iter()
        .filter(|c| c.outcome == Outcome::Pass)
        .count();
    let status = if r.baseline_ok {
        format!("✅ passed ({passed}/{} controls)", r.baseline.len())
    } else {
        format!(
            "❌ FAILED ({passed}/{} controls passed): the suites were not judged",
            r.baseline.len()
        )
    };
    let _ = writeln!(md, "| Baseline | {status} |");
}

fn summary(md: &mut String, r: &RunReport) {
    let s = &r.summary;
    md.push_str("\n## Summary\n\n");
    md.push_str(
        "| Cases | Passed | Failed | Errored | Skipped | Security findings | Contract deviations |\n",
    );
    md.push_str("|---:|---:|---:|---:|---:|---:|---:|\n");
    let _ = writeln!(
        md,
        "| {} | {} | {} | {} | {} | {} | {} |",
        s.total, s.passed, s.failed, s.errored, s.skipped, s.findings, s.contract_deviations
    );
    if !r.baseline_ok {
        md.push_str("\n> **The baseline controls failed**: the target did not behave as a working deployment, so the suites' results below were not judged.\n");
    }
}

/// Every finding of one kind, with its case, most severe first (stable within a severity).
fn collect(r: &RunReport, kind: FindingKind) -> Vec<(&CaseResult, &Finding)> {
    let mut all: Vec<(&CaseResult, &Finding)> = r
        .all_cases()
        .flat_map(|c| c.findings.iter().map(move |f| (c, f)))
        .filter(|(_, f)| f.kind == kind)
        .collect();
    all.sort_by_key(|(_, f)| std::cmp::Reverse(f.severity));
    all
}

fn case_ref(c: &CaseResult) -> String {
    cell(&format!("{}/{}", c.suite, c.id))
}

fn findings(md: &mut String, r: &RunReport) {
    let all = collect(r, FindingKind::Security);
    let _ = writeln!(md, "\n## Security findings ({})\n", all.len());
    if all.is_empty() {
        md.push_str("None.\n");
        return;
    }
    let mut first = true;
    for sev in [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ] {
        let group: Vec<_> = all.iter().filter(|(_, f)| f.severity == sev).collect();
        if group.is_empty() {
            continue;
        }
        if !first {
            md.push('\n');
        }
        first = false;
        let _ = writeln!(md, "### {} ({})\n", title_case(sev), group.len());
        md.push_str("| Rule | Case | Title | Message |\n|---|---|---|---|\n");
        for (c, f) in group {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} |",
                cell(&f.rule_id),
                case_ref(c),
                cell(&c.title),
                cell(&f.message)
            );
        }
    }
}

fn deviations(md: &mut String, r: &RunReport) {
    let all = collect(r, FindingKind::Contract);
    let _ = writeln!(md, "\n## Contract deviations ({})\n", all.len());
    if all.is_empty() {
        md.push_str("None.\n");
        return;
    }
    md.push_str("| Rule | Case | Severity | Expected | Message |\n|---|---|---|---|---|\n");
    for (c, f) in all {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} |",
            cell(&f.rule_id),
            case_ref(c),
            f.severity,
            cell(&c.expected),
            cell(&f.message)
        );
    }
}

fn informational(md: &mut String, r: &RunReport) {
    let all = collect(r, FindingKind::Informational);
    if all.is_empty() {
        return;
    }
    let _ = writeln!(md, "\n## Informational ({})\n", all.len());
    md.push_str("| Rule | Case | Message |\n|---|---|---|\n");
    for (c, f) in all {
        let _ = writeln!(
            md,
            "| {} | {} | {} |",
            cell(&f.rule_id),
            case_ref(c),
            cell(&f.message)
        );
    }
}

/// Errors (harness or transport problems) or skips, with their reasons.
fn problems(md: &mut String, r: &RunReport, outcome: Outcome) {
    let cases: Vec<&CaseResult> = r.all_cases().filter(|c| c.outcome == outcome).collect();
    let (title, column) = match outcome {
        Outcome::Error => ("Errors", "Problem"),
        _ => ("Skipped", "Reason"),
    };
    let _ = writeln!(md, "\n## {title} ({})\n", cases.len());
    if cases.is_empty() {
        md.push_str("None.\n");
        return;
    }
    let _ = writeln!(md, "| Case | Title | {column} |\n|---|---|---|");
    for c in cases {
        let reason = c
            .message
            .clone()
            .unwrap_or_else(|| format!("({} without a message)", outcome_name(outcome)));
        let _ = writeln!(
            md,
            "| {} | {} | {} |",
            case_ref(c),
            cell(&c.title),
            cell(&reason)
        );
    }
}

fn title_case(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "Critical",
        Severity::High => "High",
        Severity::Medium => "Medium",
        Severity::Low => "Low",
        Severity::Info => "Info",
    }
}
