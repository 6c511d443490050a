//! Judging one answer. Security findings (a token accepted that must be rejected, a 5xx for a bad
//! token, leaked tokens, keys or internals, a fetched attacker URL) are always reported; contract
//! deviations (wrong status, code, header or body member while still refusing) separately.

use super::http::Incoming;
use super::plan::Item;
use crate::forge::Severity;
use crate::report::{Finding, FindingKind};
use crate::scenario::ExpectedOutcome;
use crate::target::profile::ContractSection;
use regex::Regex;
use serde_json::Value;

/// Markers of leaked internals in an error body (the audit's judge and the fuzzer's oracle).
pub(crate) const INTERNALS: [&str; 9] = [
    "Traceback (most recent call last)",
    "Exception",
    "exception",
    "panicked at",
    "stack trace",
    "jwt.exceptions",
    "DecodeError",
    "at java.",
    "node_modules/",
];

/// What the judge knows besides the answer.
pub struct Evidence<'a> {
    /// Secret strings that must never appear in a body (tokens, key material).
    pub secrets: &'a [String],
    pub contract: &'a ContractSection,
    /// True if the item's out-of-band URL was requested by the target.
    pub oob_fetched: bool,
}

/// The findings for one answer.
pub fn judge(item: &Item, response: &Incoming, evidence: &Evidence<'_>) -> Vec<Finding> {
    let j = &item.judgement;
    let mut findings = Vec::new();
    let finding = |kind, rule: &str, severity, message: String| Finding {
        kind,
        rule_id: rule.to_owned(),
        severity,
        message,
    };
    let status = response.status;
    let accepted = (200..300).contains(&status);
    let body = String::from_utf8_lossy(&response.body);
    let demote = |kind: FindingKind| {
        if j.informational {
            FindingKind::Informational
        } else {
            kind
        }
    };

    // Security.
    if j.outcome == Some(ExpectedOutcome::Rejected) && accepted {
        findings.push(finding(
            demote(FindingKind::Security),
            &item.rule_id,
            item.severity,
            format!(
                "accepted (HTTP {status}) a request that must be rejected: {}",
                item.title
            ),
        ));
    }
    let expects_5xx = j.statuses.iter().any(|s| *s >= 500);
    if status >= 500 && !expects_5xx {
        findings.push(finding(
            FindingKind::Security,
            "AP-SERVER-ERROR",
            Severity::High,
            format!("HTTP {status} for a request the target should refuse cleanly: a bad credential must never cause a server error"),
        ));
    }
    if j.no_secrets && !accepted {
        let sent = item.token.iter().filter(|t| t.len() >= 16);
        if let Some(secret) = sent
            .chain(evidence.secrets.iter().filter(|s| s.len() >= 16))
            .find(|s| body.contains(s.as_str()))
        {
            let what = if Some(secret) == item.token.as_ref() {
                "the token sent"
            } else {
                "a secret (token or key material)"
            };
            findings.push(finding(
                FindingKind::Security,
                "AP-LEAK-SECRET",
                Severity::High,
                format!("the error body echoes {what}"),
            ));
        }
        if let Some(marker) = INTERNALS.iter().find(|m| body.contains(*m)) {
            findings.push(finding(
                FindingKind::Security,
                "AP-LEAK-INTERNALS",
                Severity::Medium,
                format!("the error body exposes internals ({marker:?})"),
            ));
        }
        if body.contains("authprobe-marker-9f1c") {
            findings.push(finding(
                FindingKind::Security,
                "AP-LEAK-REFLECTION",
                Severity::Medium,
                "the error body reflects a claim or header value from the rejected token".into(),
            ));
        }
    }
    if evidence.oob_fetched {
        findings.push(finding(
            FindingKind::Security,
            "AP-OOB-FETCH",
            Severity::Critical,
            format!(
                "the target fetched the harness URL {} named in the token",
                item.oob_path.as_deref().unwrap_or("?")
            ),
        ));
    }

    // Contract (or security, for cases whose expectations are security properties).
    let kind = demote(if j.security {
        FindingKind::Security
    } else {
        FindingKind::Contract
    });
    if j.outcome == Some(ExpectedOutcome::Accepted) && !accepted {
        findings.push(finding(
            kind,
            &item.rule_id,
            item.severity,
            format!("refused (HTTP {status}) a request that must be accepted"),
        ));
    }
    if !j.statuses.is_empty() && !j.statuses.contains(&status) {
        findings.push(finding(
            kind,
            &item.rule_id,
            item.severity,
            format!("status {status}, expected {}", join(&j.statuses)),
        ));
    }
    if !j.codes.is_empty() && !evidence.contract.status_only() {
        let expected: Vec<String> = j
            .codes
            .iter()
            .map(|c| evidence.contract.target_code(c))
            .collect();
        let got = serde_json::from_slice::<Value>(&response.body)
            .ok()
            .and_then(|v| v.get("code").and_then(Value::as_str).map(str::to_owned));
        if !got.as_ref().is_some_and(|g| expected.contains(g)) {
            findings.push(finding(
                kind,
                &item.rule_id,
                item.severity,
                format!(
                    "code {}, expected {}",
                    got.as_deref().unwrap_or("(none)"),
                    expected.join(" or ")
                ),
            ));
        }
    }
    for (name, pattern) in &j.headers {
        let re = Regex::new(pattern);
        let values: Vec<&str> = response.header_all(name).collect();
        let ok = re
            .as_ref()
            .is_ok_and(|re| values.iter().any(|v| re.is_match(v)));
        if !ok {
            let shown = if values.is_empty() {
                "absent".to_owned()
            } else {
                format!("{values:?}")
            };
            findings.push(finding(
                kind,
                &item.rule_id,
                item.severity,
                format!("header {name} is {shown}, expected to match /{pattern}/"),
            ));
        }
    }
    for name in &j.headers_absent {
        if let Some(v) = response.header(name) {
            findings.push(finding(
                kind,
                &item.rule_id,
                item.severity,
                format!("header {name} must be absent, got {v:?}"),
            ));
        }
    }
    if !j.json.is_empty() {
        let doc = serde_json::from_slice::<Value>(&response.body).ok();
        for (pointer, expected) in &j.json {
            let want = serde_json::from_str::<Value>(expected).ok();
            let got = doc.as_ref().and_then(|d| d.pointer(pointer));
            if got.is_none() || got != want.as_ref() {
                findings.push(finding(
                    kind,
                    &item.rule_id,
                    item.severity,
                    format!(
                        "body {pointer} is {}, expected {expected}",
                        got.map_or("absent".into(), |v| v.to_string())
                    ),
                ));
            }
        }
    }
    findings
}

fn join(statuses: &[u16]) -> String {
    statuses
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(" or ")
}
