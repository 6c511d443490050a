//! `summary.md`: the run for humans and CI job summaries (e.g. `$GITHUB_STEP_SUMMARY`).
//!
//! Title, target(s), run id, duration and baseline status; a summary table with the gate and
//! the count of findings per grade; the findings that fail the gate first, then every other
//! finding grouped by grade (most severe first), each with why it has its grade (the cause of
//! findings.md and who can produce the request), its confidence and its state (suppressed, new);
//! findings of the baseline report that disappeared; errors; skips with their reasons; notes. Every text from the model goes through
//! [`escape`] (and table cells through [`cell`]), so `|`, newlines and HTML in case data cannot
//! break the tables or inject markup.

use super::common::{duration, outcome_name, target_line};
use super::model::{CaseResult, Finding, Outcome, RunReport};
use crate::dangerous::forge::Severity;
use std::fmt::Write as _;

/// The run as Markdown.
pub fn to_markdown(report: &RunReport) -> String {
    let mut md = String::new();
    header(&mut md, report);
    summary(&mut md, report);
    lifecycle(&mut md, report);
    divergences(&mut md, report);
    findings(&mut md, report);
    absent(&mut md, report);
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
    if r.targets.len() > 1 {
        for t in &r.targets {
            let _ = writeln!(
                md,
                "| Target {} | {}{} |",
                cell(&t.name),
                cell(&target_line(t)),
                if t.baseline_ok {
                    ""
                } else {
                    " (baseline FAILED)"
                }
            );
        }
    } else {
        let _ = writeln!(md, "| Target | {} |", cell(&target_line(t)));
    }
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
    let gate = if r.gate.new_only {
        format!("new findings at {} or above fail", r.gate.fail_on)
    } else {
        format!("findings at {} or above fail", r.gate.fail_on)
    };
    let verdict = if s.failing > 0 {
        format!("❌ {} finding(s) fail the gate", s.failing)
    } else {
        "✅ nothing fails the gate".to_owned()
    };
    let _ = writeln!(md, "**Gate:** {gate} — {verdict}.\n");
    md.push_str("| Cases | Passed | Failed | Errored | Skipped | Critical | High | Medium | Low | Info | Suppressed |\n");
    md.push_str("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    let g = &s.by_grade;
    let _ = writeln!(
        md,
        "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
        s.total,
        s.passed,
        s.failed,
        s.errored,
        s.skipped,
        g.critical,
        g.high,
        g.medium,
        g.low,
        g.info,
        s.suppressed
    );
    if r.absent.iter().len() > 0 || s.new > 0 {
        let _ = writeln!(
            md,
            "\nAgainst the baseline: {} new, {} no longer found.",
            s.new,
            r.absent.len()
        );
    }
    if !r.baseline_ok {
        md.push_str("\n> **The baseline controls failed**: the target did not behave as a working deployment, so the suites' results below were not judged.\n");
    }
}

/// The lifecycle measurements: one row per backend and measurement, the number beside its bound.
fn lifecycle(md: &mut String, r: &RunReport) {
    if r.lifecycle.is_empty() {
        return;
    }
    let _ = writeln!(md, "\n## Lifecycle measurements ({})\n", r.lifecycle.len());
    md.push_str("| Backend | Measurement | Value | Bound | Verdict | Observed |\n");
    md.push_str("|---|---|---|---|---|---|\n");
    for m in &r.lifecycle {
        let _ = writeln!(
            md,
            "| {} | {} {} | {} | {} | {} | {} |",
            cell(&m.backend),
            m.kind.id(),
            cell(m.kind.title()),
            cell(&m.shown()),
            cell(&m.bound_shown()),
            cell(&m.verdict.label()),
            cell(&m.detail)
        );
    }
}

/// Endpoints of one backend that accept what its other endpoints refuse.
fn divergences(md: &mut String, r: &RunReport) {
    if r.endpoint_divergences.is_empty() {
        return;
    }
    md.push_str("\n## Endpoints that accept what others refuse\n\n");
    md.push_str("| Backend | Endpoint | Cases | Worst finding | Refused by | For example |\n");
    md.push_str("|---|---|---|---|---|---|\n");
    for d in &r.endpoint_divergences {
        let _ = writeln!(
            md,
            "| {} | **{}** | {} | {} | {} | {} |",
            cell(&d.group),
            cell(&d.endpoint),
            d.cases,
            d.worst.map_or("—", Severity::name),
            cell(&d.refused_by.join(", ")),
            cell(&d.examples.join(", "))
        );
    }
}

fn case_ref(c: &CaseResult) -> String {
    if c.target.is_empty() {
        cell(&format!("{}/{}", c.suite, c.id))
    } else {
        cell(&format!("{}: {}/{}", c.target, c.suite, c.id))
    }
}

/// Why a finding has its grade: the cause and who can produce the request, or the check's row.
fn why(f: &Finding) -> String {
    match f.cause {
        Some(c) => format!("{} ({})", c.id(), c.producer()),
        None => format!("check ({})", f.class.name()),
    }
}

fn state(f: &Finding) -> String {
    let mut parts = Vec::new();
    if let Some(s) = &f.suppressed {
        parts.push(format!("suppressed until {}: {}", s.expires, s.reason));
    }
    match f.baseline {
        Some(super::model::BaselineState::New) => parts.push("new".into()),
        Some(super::model::BaselineState::Unchanged) => parts.push("unchanged".into()),
        None => {}
    }
    parts.join("; ")
}

/// Every finding, most severe first (stable within a grade), failing ones marked.
fn findings(md: &mut String, r: &RunReport) {
    let mut all: Vec<(&CaseResult, &Finding)> = r
        .all_cases()
        .flat_map(|c| c.findings.iter().map(move |f| (c, f)))
        .collect();
    all.sort_by_key(|(_, f)| std::cmp::Reverse(f.severity));
    let _ = writeln!(md, "\n## Findings ({})\n", all.len());
    if all.is_empty() {
        md.push_str("None.\n");
        return;
    }
    let mut first = true;
    for sev in Severity::ALL.into_iter().rev() {
        let group: Vec<_> = all.iter().filter(|(_, f)| f.severity == sev).collect();
        if group.is_empty() {
            continue;
        }
        if !first {
            md.push('\n');
        }
        first = false;
        let fails = r.gate.fail_on <= sev;
        let _ = writeln!(
            md,
            "### {} ({}){}\n",
            title_case(sev),
            group.len(),
            if fails { "" } else { " — below the gate" }
        );
        md.push_str("| Rule | Case | Why this grade | Confidence | Message | State |\n|---|---|---|---|---|---|\n");
        for (c, f) in group {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} | {} |",
                cell(&f.rule_id),
                case_ref(c),
                cell(&why(f)),
                f.confidence,
                cell(&f.message),
                cell(&state(f))
            );
        }
    }
}

fn absent(md: &mut String, r: &RunReport) {
    if r.absent.is_empty() {
        return;
    }
    let _ = writeln!(md, "\n## No longer found ({})\n", r.absent.len());
    md.push_str("| Rule | Case | Grade | Message |\n|---|---|---|---|\n");
    for a in &r.absent {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} |",
            cell(&a.rule_id),
            cell(&format!("{}: {}", a.target, a.case)),
            a.severity,
            cell(&a.message)
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
