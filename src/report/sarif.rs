//! `results.sarif`: SARIF 2.1.0 for code-scanning dashboards, built with `serde-sarif`'s types.
//!
//! One run, tool driver `authprobe`. Results are **findings only**, graded low or above (the
//! information-only strictness deltas stay in the other formats), one result per finding, level
//! by grade (critical/high → `error`, medium → `warning`, low → `note`), with the grade as
//! `security-severity` on the rule (the highest of its results) and on the result, so code
//! scanning shows it. A result is located by a logical location `<target>/<suite>/<case id>` and
//! carries the finding's fingerprint in `partialFingerprints` so CI deduplicates it across runs;
//! a suppressed finding carries a SARIF `suppressions` entry with its reason, and against a
//! baseline every result has a `baselineState` (`new`, `unchanged`; findings that disappeared
//! are listed as `absent` results). Rules: one per distinct rule id with results, described by
//! the case it comes from (title, expected secure behaviour, references).

use super::common::kind_name;
use super::markdown::escape as md_escape;
use super::model::{AbsentFinding, BaselineState, CaseResult, Finding, FindingKind, RunReport};
use crate::dangerous::forge::Severity;
use serde_json::{json, Value};
use serde_sarif::sarif::{
    Location, LogicalLocation, Message, MultiformatMessageString, PropertyBag, ReportingDescriptor,
    Result as SarifResult, ResultLevel, Run, Sarif, Suppression, Tool, ToolComponent,
};
use std::collections::BTreeMap;

/// The `$schema` written into every log.
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// The `partialFingerprints` key (versioned, so the hash input can change without collisions).
pub const FINGERPRINT_KEY: &str = "authprobeFinding/v2";

/// The run as a SARIF log, pretty JSON with a trailing newline.
pub fn to_sarif_json(report: &RunReport) -> String {
    // Only strings, numbers, booleans and string-keyed maps: serialization cannot fail.
    let mut text = serde_json::to_string_pretty(&to_sarif(report))
        .unwrap_or_else(|e| unreachable!("a SARIF log always serializes to JSON: {e}"));
    text.push('\n');
    text
}

/// The run as a typed SARIF log.
pub fn to_sarif(report: &RunReport) -> Sarif {
    let failing: Vec<(&CaseResult, &Finding)> = report
        .all_cases()
        .flat_map(|c| c.findings.iter().map(move |f| (c, f)))
        .filter(|(_, f)| f.severity > Severity::Info)
        .collect();

    // Rules in order of first appearance: stable for a stable case order.
    let mut rule_ids: Vec<&str> = Vec::new();
    for (_, f) in &failing {
        if !rule_ids.contains(&f.rule_id.as_str()) {
            rule_ids.push(&f.rule_id);
        }
    }
    let rules: Vec<ReportingDescriptor> = rule_ids
        .iter()
        .filter_map(|id| rule(id, &failing))
        .collect();
    let mut results: Vec<SarifResult> = failing
        .iter()
        .map(|(case, f)| {
            let index = rule_ids.iter().position(|r| *r == f.rule_id).unwrap_or(0);
            result(case, f, index)
        })
        .collect();
    results.extend(
        report
            .absent
            .iter()
            .filter(|a| a.severity > Severity::Info)
            .map(absent_result),
    );

    let driver = ToolComponent::builder()
        .name(report.tool.clone())
        .full_name(format!("{} {}", report.tool, report.version))
        .version(report.version.clone())
        .semantic_version(report.version.clone())
        .rules(rules)
        .build();
    let run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        .results(results)
        .properties(run_properties(report))
        .build();
    Sarif::builder()
        .schema(SCHEMA_URI)
        .version(json!("2.1.0"))
        .runs(vec![run])
        .build()
}

/// SARIF level for a severity.
pub fn level(severity: Severity) -> ResultLevel {
    match severity {
        Severity::Critical | Severity::High => ResultLevel::Error,
        Severity::Medium => ResultLevel::Warning,
        Severity::Low | Severity::Info => ResultLevel::Note,
    }
}

fn rule(id: &str, failing: &[(&CaseResult, &Finding)]) -> Option<ReportingDescriptor> {
    let with_rule = || failing.iter().filter(|(_, f)| f.rule_id == id);
    // The case whose own rule this is describes it best; a generic rule (e.g. a 5xx) is
    // described by the first case that raised it.
    let (case, _) = with_rule()
        .find(|(c, _)| c.rule_id == id)
        .or_else(|| with_rule().next())
        .copied()?;
    let severity = with_rule()
        .map(|(_, f)| f.severity)
        .max()
        .unwrap_or(case.severity);
    let kinds: Vec<FindingKind> = with_rule().map(|(_, f)| f.kind).collect();

    let expected = if case.expected.trim().is_empty() {
        format!("See case {}/{}: {}.", case.suite, case.id, case.title)
    } else {
        case.expected.clone()
    };
    let mut text = format!("Expected secure behaviour: {expected}");
    let mut markdown = format!("**Expected secure behaviour:** {}", md_escape(&expected));
    if !case.references.is_empty() {
        text.push_str(&format!("\nReferences: {}", case.references.join(", ")));
        markdown.push_str("\n\n**References:**\n");
        for r in &case.references {
            markdown.push_str(&format!("\n- {}", md_escape(r)));
        }
    }

    let mut tags = vec![severity.to_string()];
    for k in [FindingKind::Security, FindingKind::Contract] {
        if kinds.contains(&k) {
            tags.push(kind_name(k).to_string());
        }
    }
    for t in &case.tags {
        if !tags.contains(t) {
            tags.push(t.clone());
        }
    }
    let mut extra = BTreeMap::new();
    extra.insert(
        "security-severity".to_string(),
        json!(severity.security_severity()),
    );
    extra.insert("severity".to_string(), json!(severity.to_string()));
    if let Some(c) = &case.catalogue_id {
        extra.insert("catalogueId".to_string(), json!(c));
    }
    if !case.references.is_empty() {
        extra.insert("references".to_string(), json!(case.references));
    }

    let title = if case.title.trim().is_empty() {
        id.to_string()
    } else {
        case.title.clone()
    };
    let descriptor = ReportingDescriptor::builder()
        .id(id)
        .name(rule_name(id))
        .short_description(MultiformatMessageString::builder().text(title).build())
        .full_description(
            MultiformatMessageString::builder()
                .text(text.clone())
                .build(),
        )
        .help(
            MultiformatMessageString::builder()
                .text(text)
                .markdown(markdown)
                .build(),
        )
        .default_configuration(
            serde_sarif::sarif::ReportingConfiguration::builder()
                .level(json!(level(severity)))
                .build(),
        )
        .properties(
            PropertyBag::builder()
                .tags(tags)
                .additional_properties(extra)
                .build(),
        )
        .build();
    Some(descriptor)
}

/// `AP-ALG-NONE` → `ApAlgNone`: SARIF's `name` is an identifier-like form of the id.
fn rule_name(id: &str) -> String {
    id.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
        .map(|p| {
            let lower = p.to_ascii_lowercase();
            let mut chars = lower.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

fn result(case: &CaseResult, f: &Finding, rule_index: usize) -> SarifResult {
    let qualified = if case.target.is_empty() {
        format!("{}/{}", case.suite, case.id)
    } else {
        format!("{}/{}/{}", case.target, case.suite, case.id)
    };
    let location = Location::builder()
        .logical_locations(vec![LogicalLocation::builder()
            .name(case.id.clone())
            .fully_qualified_name(qualified)
            .kind("function")
            .build()])
        .build();
    let mut fingerprints = BTreeMap::new();
    fingerprints.insert(FINGERPRINT_KEY.to_string(), f.fingerprint.clone());
    let mut extra: BTreeMap<String, Value> = BTreeMap::new();
    extra.insert("kind".to_string(), json!(kind_name(f.kind)));
    extra.insert("severity".to_string(), json!(f.severity.to_string()));
    extra.insert(
        "security-severity".to_string(),
        json!(f.severity.security_severity()),
    );
    extra.insert("confidence".to_string(), json!(f.confidence.to_string()));
    extra.insert("class".to_string(), json!(f.class.name()));
    if let Some(c) = f.cause {
        extra.insert("cause".to_string(), json!(c.id()));
        extra.insert("producer".to_string(), json!(c.producer().to_string()));
    }
    if !case.target.is_empty() {
        extra.insert("target".to_string(), json!(case.target));
    }
    extra.insert("suite".to_string(), json!(case.suite));
    extra.insert("caseId".to_string(), json!(case.id));
    extra.insert("caseTitle".to_string(), json!(case.title));
    extra.insert("expected".to_string(), json!(case.expected));
    if let Some(o) = &case.observed {
        extra.insert("observedStatus".to_string(), json!(o.status));
        if let Some(code) = &o.code {
            extra.insert("observedCode".to_string(), json!(code));
        }
    }
    if let Some(r) = &case.reproduction {
        extra.insert("reproduction".to_string(), json!(r));
    }
    let message = if f.message.trim().is_empty() {
        format!("{} in {}", f.rule_id, case.title)
    } else {
        f.message.clone()
    };
    let mut result = SarifResult::builder()
        .rule_id(f.rule_id.clone())
        .rule_index(i64::try_from(rule_index).unwrap_or(i64::MAX))
        .level(level(f.severity))
        .message(Message::builder().text(message).build())
        .locations(vec![location])
        .partial_fingerprints(fingerprints)
        .properties(
            PropertyBag::builder()
                .tags(vec![kind_name(f.kind).to_string(), f.severity.to_string()])
                .additional_properties(extra)
                .build(),
        )
        .build();
    if let Some(s) = &f.suppressed {
        result.suppressions = Some(vec![Suppression::builder()
            .kind(json!("external"))
            .status(json!("accepted"))
            .justification(format!("{} (until {}; {})", s.reason, s.expires, s.entry))
            .build()]);
    }
    if let Some(state) = f.baseline {
        result.baseline_state = Some(json!(match state {
            BaselineState::New => "new",
            BaselineState::Unchanged => "unchanged",
        }));
    }
    result
}

/// A finding of the baseline report that this run no longer shows.
fn absent_result(a: &AbsentFinding) -> SarifResult {
    let mut fingerprints = BTreeMap::new();
    fingerprints.insert(FINGERPRINT_KEY.to_string(), a.fingerprint.clone());
    let mut result = SarifResult::builder()
        .rule_id(a.rule_id.clone())
        .level(level(a.severity))
        .message(
            Message::builder()
                .text(format!("no longer found: {}", a.message))
                .build(),
        )
        .locations(vec![Location::builder()
            .logical_locations(vec![LogicalLocation::builder()
                .fully_qualified_name(format!("{}/{}", a.target, a.case))
                .kind("function")
                .build()])
            .build()])
        .partial_fingerprints(fingerprints)
        .build();
    result.baseline_state = Some(json!("absent"));
    result
}

fn run_properties(report: &RunReport) -> PropertyBag {
    let t = &report.target;
    let mut extra = BTreeMap::new();
    extra.insert("runId".to_string(), json!(report.run_id));
    extra.insert("startedAt".to_string(), json!(report.started_at));
    extra.insert("durationMs".to_string(), json!(report.duration_ms));
    extra.insert("baselineOk".to_string(), json!(report.baseline_ok));
    extra.insert("target".to_string(), json!(t));
    extra.insert("summary".to_string(), json!(report.summary));
    if !report.notes.is_empty() {
        extra.insert("notes".to_string(), json!(report.notes));
    }
    PropertyBag::builder().additional_properties(extra).build()
}
