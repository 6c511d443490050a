//! `report.html`: one self-contained page for people.
//!
//! Inline CSS only; nothing is loaded from anywhere (no `<link>`, no external scripts, fonts or
//! images), and a Content-Security-Policy meta tag forbids it anyway. The only script is a one-line
//! inline handler (allowed by its hash) that opens every case before printing; the page is
//! complete without it, and the "problems only" filter is pure CSS. Summary first (counts,
//! target, baseline, findings table), then every case as a collapsible `<details>` (failures and
//! errors open): expected vs observed, findings, the (redacted) request, the curl reproduction,
//! references.
//!
//! Every value taken from the model goes through [`escape`] (`& < > " '`), the one escaping
//! function of this module.

use super::common::{duration, kind_name, outcome_name, target_line};
use super::model::{CaseResult, Outcome, RunReport};
use crate::judge::Severity;
use base64::Engine as _;
use std::fmt::Write as _;

const STYLE: &str = r#"
:root{--pass:#1a7f37;--fail:#cf222e;--error:#bc4c00;--skip:#6e7781;--ink:#1f2328;--mute:#59636e;--line:#d1d9e0;--bg:#f6f8fa}
*{box-sizing:border-box}
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);max-width:1100px;margin:0 auto;padding:1.5rem}
h1{margin:.2rem 0 1rem;font-size:1.6rem}h2{margin:2rem 0 .6rem;border-bottom:1px solid var(--line)}h4{margin:.9rem 0 .3rem}
code,pre{font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
pre{background:var(--bg);border:1px solid var(--line);border-radius:6px;padding:.6rem;white-space:pre-wrap;word-break:break-all;margin:.2rem 0}
table{border-collapse:collapse;width:100%;margin:.4rem 0}th,td{border:1px solid var(--line);padding:.3rem .5rem;text-align:left;vertical-align:top}th{background:var(--bg)}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:0}dl.meta dt{color:var(--mute)}dl.meta dd{margin:0;word-break:break-all}
.cards{display:flex;flex-wrap:wrap;gap:.6rem;margin:1rem 0}.card{border:1px solid var(--line);border-left:6px solid var(--skip);border-radius:6px;padding:.4rem .9rem;min-width:8.5rem}
.card b{display:block;font-size:1.5rem}.card.o-pass{border-left-color:var(--pass)}.card.o-fail{border-left-color:var(--fail)}.card.o-error{border-left-color:var(--error)}
.banner{padding:.6rem .9rem;border-radius:6px;font-weight:600;border:2px solid}.banner.ok{border-color:var(--pass);color:var(--pass)}.banner.bad{border-color:var(--fail);color:var(--fail)}
.badge{display:inline-block;font-size:.75rem;font-weight:700;text-transform:uppercase;padding:0 .45rem;border-radius:999px;color:#fff;background:var(--skip)}
.badge.o-pass{background:var(--pass)}.badge.o-fail,.badge.k-security{background:var(--fail)}.badge.o-error,.badge.k-contract{background:var(--error)}.badge.k-informational{background:#0969da}
.sev{font-size:.75rem;font-weight:700;padding:0 .4rem;border:1px solid currentColor;border-radius:4px}.s-critical{color:#82071e}.s-high{color:var(--fail)}.s-medium{color:var(--error)}.s-low{color:#9a6700}.s-info{color:var(--mute)}
details.case{border:1px solid var(--line);border-left:6px solid var(--skip);border-radius:6px;margin:.45rem 0;padding:.35rem .7rem}
details.o-pass{border-left-color:var(--pass)}details.o-fail{border-left-color:var(--fail)}details.o-error{border-left-color:var(--error)}
summary{cursor:pointer}summary code{font-weight:600}
.cmp{display:grid;grid-template-columns:1fr 1fr;gap:1rem}.cmp>div{min-width:0}
.reason{font-weight:600}.mute{color:var(--mute)}td,li,.reason,.cmp p{white-space:pre-line}
.filter{border:1px solid var(--line);border-radius:6px;padding:.3rem .8rem;margin:1rem 0}.filter label{margin-right:1rem}
body:has(#f-problems:checked) .case.o-pass,body:has(#f-problems:checked) .case.o-skip{display:none}
@media (max-width:700px){.cmp{grid-template-columns:1fr}}
@media print{body{max-width:none;padding:0;font-size:11pt}.filter{display:none}details.case{break-inside:avoid}details::details-content{content-visibility:visible;display:block}}
"#;

const SCRIPT: &str = r#"addEventListener("beforeprint",()=>document.querySelectorAll("details").forEach(d=>d.open=true));"#;

/// Escapes `&`, `<`, `>`, `"` and `'` for HTML text and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// The run as one self-contained HTML page.
pub fn to_html(r: &RunReport) -> String {
    let title = format!("{} report: {}", r.tool, r.run_id);
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'; script-src '{}'; base-uri 'none'; form-action 'none'\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        script_hash(),
        escape(&title)
    );
    let _ = writeln!(h, "<h1>{}</h1>", escape(&title));
    meta(&mut h, r);
    summary(&mut h, r);
    lifecycle(&mut h, r);
    divergences(&mut h, r);
    findings_table(&mut h, r);
    h.push_str(
        "<fieldset class=\"filter\"><legend>Show</legend>\
         <label><input type=\"radio\" name=\"show\" id=\"f-all\" checked> all cases</label>\
         <label><input type=\"radio\" name=\"show\" id=\"f-problems\"> failures and errors only</label>\
         </fieldset>\n",
    );
    let mut n = 0;
    h.push_str("<section>\n<h2>Baseline controls</h2>\n");
    for c in &r.baseline {
        case(&mut h, c, &mut n);
    }
    h.push_str("</section>\n");
    for s in &r.suites {
        let _ = writeln!(h, "<section>\n<h2>Suite: {}</h2>", escape(&s.name));
        if !s.description.is_empty() {
            let _ = writeln!(h, "<p class=\"mute\">{}</p>", escape(&s.description));
        }
        for c in &s.cases {
            case(&mut h, c, &mut n);
        }
        h.push_str("</section>\n");
    }
    let _ = write!(h, "<script>{SCRIPT}</script>\n</body>\n</html>\n");
    h
}

/// The lifecycle measurements as a table: each number beside its bound.
fn lifecycle(h: &mut String, r: &RunReport) {
    if r.lifecycle.is_empty() {
        return;
    }
    h.push_str("<section>\n<h2>Lifecycle measurements</h2>\n<table>\n<thead><tr><th>Backend</th><th>Measurement</th><th>Value</th><th>Bound</th><th>Verdict</th><th>Observed</th></tr></thead>\n<tbody>\n");
    for m in &r.lifecycle {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{} {}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&m.backend),
            m.kind.id(),
            escape(m.kind.title()),
            escape(&m.shown()),
            escape(&m.bound_shown()),
            escape(&m.verdict.label()),
            escape(&m.detail)
        );
    }
    h.push_str("</tbody>\n</table>\n</section>\n");
}

/// Endpoints of one backend that accept what its other endpoints refuse.
fn divergences(h: &mut String, r: &RunReport) {
    if r.endpoint_divergences.is_empty() {
        return;
    }
    h.push_str("<section>\n<h2>Endpoints that accept what others refuse</h2>\n<table>\n<thead><tr><th>Backend</th><th>Endpoint</th><th>Cases</th><th>Worst finding</th><th>Refused by</th><th>For example</th></tr></thead>\n<tbody>\n");
    for d in &r.endpoint_divergences {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td><strong>{}</strong></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&d.group),
            escape(&d.endpoint),
            d.cases,
            d.worst.map_or("—", Severity::name),
            escape(&d.refused_by.join(", ")),
            escape(&d.examples.join(", "))
        );
    }
    h.push_str("</tbody>\n</table>\n</section>\n");
}

/// CSP source for the inline script: `sha256-<base64 of its SHA-256>`.
fn script_hash() -> String {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, SCRIPT.as_bytes());
    format!(
        "sha256-{}",
        base64::engine::general_purpose::STANDARD.encode(d.as_ref())
    )
}

fn meta(h: &mut String, r: &RunReport) {
    let t = &r.target;
    h.push_str("<dl class=\"meta\">\n");
    let mut row = |k: &str, v: &str| {
        let _ = writeln!(h, "<dt>{}</dt><dd>{}</dd>", escape(k), escape(v));
    };
    row("Target", &target_line(t));
    if let Some(a) = &t.auth_url {
        row("Auth server", a);
    }
    row("Mode", &t.mode);
    row("Run id", &r.run_id);
    row("Started", &r.started_at);
    row("Duration", &duration(r.duration_ms));
    row("Tool", &format!("{} {}", r.tool, r.version));
    h.push_str("</dl>\n");
}

fn summary(h: &mut String, r: &RunReport) {
    let passed = r
        .baseline
        .iter()
        .filter(|c| c.outcome == Outcome::Pass)
        .count();
    let (class, text) = if r.baseline_ok {
        (
            "ok",
            format!("Baseline passed ({passed}/{} controls)", r.baseline.len()),
        )
    } else {
        (
            "bad",
            format!(
                "Baseline FAILED ({passed}/{} controls passed): the suites were not judged",
                r.baseline.len()
            ),
        )
    };
    let _ = writeln!(h, "<p class=\"banner {class}\">{}</p>", escape(&text));
    let s = &r.summary;
    h.push_str("<div class=\"cards\">\n");
    for (label, value, class) in [
        ("cases", s.total, "o-total"),
        ("passed", s.passed, "o-pass"),
        ("failed", s.failed, "o-fail"),
        ("errored", s.errored, "o-error"),
        ("skipped", s.skipped, "o-skip"),
        ("critical", s.by_grade.critical, "o-fail"),
        ("high", s.by_grade.high, "o-fail"),
        ("medium", s.by_grade.medium, "o-error"),
        ("low", s.by_grade.low, "o-skip"),
        ("info", s.by_grade.info, "o-skip"),
        ("suppressed", s.suppressed, "o-skip"),
    ] {
        let _ = writeln!(h, "<div class=\"card {class}\"><b>{value}</b>{label}</div>");
    }
    h.push_str("</div>\n");
    let gate = format!(
        "Gate: {}findings at {} or above fail the run; {} do.",
        if r.gate.new_only { "new " } else { "" },
        r.gate.fail_on,
        s.failing
    );
    let _ = writeln!(h, "<p>{}</p>", escape(&gate));
    if !r.notes.is_empty() {
        h.push_str("<h2>Notes</h2>\n<ul>\n");
        for note in &r.notes {
            let _ = writeln!(h, "<li>{}</li>", escape(note));
        }
        h.push_str("</ul>\n");
    }
}

/// Every finding, most severe first, linking to its case, with why it has its grade.
fn findings_table(h: &mut String, r: &RunReport) {
    let mut rows = Vec::new();
    for (i, c) in r.all_cases().enumerate() {
        for f in &c.findings {
            rows.push((i, c, f));
        }
    }
    rows.sort_by_key(|r| std::cmp::Reverse(r.2.severity));
    h.push_str("<h2>Findings</h2>\n");
    if rows.is_empty() {
        h.push_str("<p>No findings.</p>\n");
        return;
    }
    h.push_str(
        "<table>\n<tr><th>Grade</th><th>Why</th><th>Rule</th><th>Case</th><th>Message</th><th>State</th></tr>\n",
    );
    for (i, c, f) in rows {
        let sev = f.severity.to_string();
        let why = match f.cause {
            Some(cause) => format!(
                "{} ({}; confidence {})",
                cause.id(),
                cause.producer(),
                f.confidence
            ),
            None => format!("check ({}; confidence {})", f.class.name(), f.confidence),
        };
        let mut state = Vec::new();
        if let Some(s) = &f.suppressed {
            state.push(format!("suppressed until {}: {}", s.expires, s.reason));
        }
        if let Some(b) = f.baseline {
            state.push(format!("{b:?}").to_lowercase());
        }
        let place = if c.target.is_empty() {
            format!("{}/{}", c.suite, c.id)
        } else {
            format!("{}: {}/{}", c.target, c.suite, c.id)
        };
        let _ = writeln!(
            h,
            "<tr><td><span class=\"sev s-{sev}\">{sev}</span></td><td>{}</td><td><code>{}</code></td>\
             <td><a href=\"#case-{i}\">{}</a></td><td>{}</td><td>{}</td></tr>",
            escape(&why),
            escape(&f.rule_id),
            escape(&place),
            escape(&f.message),
            escape(&state.join("; "))
        );
    }
    h.push_str("</table>\n");
}

fn case(h: &mut String, c: &CaseResult, n: &mut usize) {
    let i = *n;
    *n += 1;
    let outcome = outcome_name(c.outcome);
    let open = if matches!(c.outcome, Outcome::Fail | Outcome::Error) {
        " open"
    } else {
        ""
    };
    let sev = c.severity.to_string();
    let _ = writeln!(
        h,
        "<details class=\"case o-{outcome}\" id=\"case-{i}\"{open}>\n<summary>\
         <span class=\"badge o-{outcome}\">{outcome}</span> <code>{}</code> {} \
         <span class=\"sev s-{sev}\">{sev}</span></summary>",
        escape(&c.id),
        escape(&c.title)
    );
    if let Some(m) = &c.message {
        let _ = writeln!(h, "<p class=\"reason\">{}</p>", escape(m));
    }
    h.push_str("<dl class=\"meta\">\n");
    let mut row = |k: &str, v: &str| {
        let _ = writeln!(h, "<dt>{k}</dt><dd>{}</dd>", escape(v));
    };
    if !c.target.is_empty() {
        row("Target", &c.target);
    }
    row("Suite", &c.suite);
    row("Rule", &c.rule_id);
    if let Some(id) = &c.catalogue_id {
        row("Catalogue", id);
    }
    if !c.tags.is_empty() {
        row("Tags", &c.tags.join(", "));
    }
    row("Duration", &duration(c.duration_ms));
    h.push_str("</dl>\n");

    if !c.findings.is_empty() {
        h.push_str("<h4>Findings</h4>\n<ul>\n");
        for f in &c.findings {
            let kind = kind_name(f.kind);
            let sev = f.severity.to_string();
            let _ = writeln!(
                h,
                "<li><span class=\"badge k-{kind}\">{kind}</span> <span class=\"sev s-{sev}\">{sev}</span> \
                 <code>{}</code> {}</li>",
                escape(&f.rule_id),
                escape(&f.message)
            );
        }
        h.push_str("</ul>\n");
    }

    let _ = writeln!(
        h,
        "<div class=\"cmp\">\n<div><h4>Expected</h4>\n<p>{}</p></div>",
        escape(&c.expected)
    );
    h.push_str("<div><h4>Observed</h4>\n");
    match &c.observed {
        None => h.push_str("<p class=\"mute\">No answer recorded.</p>\n"),
        Some(o) => {
            let _ = write!(h, "<p>HTTP <b>{}</b>", o.status);
            if let Some(code) = &o.code {
                let _ = write!(h, " <code>{}</code>", escape(code));
            }
            h.push_str("</p>\n");
            let mut text = String::new();
            for (k, v) in &o.headers {
                let _ = writeln!(text, "{k}: {v}");
            }
            if !o.body_excerpt.is_empty() {
                if !text.is_empty() {
                    text.push('\n');
                }
                text.push_str(&o.body_excerpt);
            }
            if !text.is_empty() {
                let _ = writeln!(h, "<pre>{}</pre>", escape(&text));
            }
        }
    }
    h.push_str("</div>\n</div>\n");

    if let Some(req) = &c.request {
        let mut text = format!("{} {}\n", req.method, req.url);
        for (k, v) in &req.headers {
            let _ = writeln!(text, "{k}: {v}");
        }
        if let Some(body) = &req.body {
            let _ = write!(text, "\n{body}");
        }
        let _ = writeln!(
            h,
            "<h4>Request (redacted)</h4>\n<pre>{}</pre>",
            escape(&text)
        );
    }
    if let Some(curl) = &c.reproduction {
        let _ = writeln!(h, "<h4>Reproduce</h4>\n<pre>{}</pre>", escape(curl));
    }
    if !c.references.is_empty() {
        h.push_str("<h4>References</h4>\n<ul>\n");
        for r in &c.references {
            let _ = writeln!(h, "<li>{}</li>", escape(r));
        }
        h.push_str("</ul>\n");
    }
    h.push_str("</details>\n");
}
