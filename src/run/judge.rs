//! Judging one answer of an audit. For a request about the token (every catalogue variant, every
//! suite case whose expectation is a token verdict) the expected verdict is the reference
//! validator's with the target's own policy ([`crate::judge::reference`]); a difference is graded
//! by what an attacker can do with it ([`crate::judge::grade`]). Other suite checks (the auth
//! server, CORS, lifecycle) keep their own expectations and are graded by their own row of
//! findings.md. Server errors, leaked secrets and internals, reflected values and fetched
//! attacker URLs are findings of every request.

use super::plan::Item;
use crate::deployment::http::Incoming;
use crate::deployment::profile::ContractSection;
use crate::judge::{Cause, Confidence, Oracle, Reference};
use crate::report::{Finding, FindingKind};
use crate::scenario::{ExpectedOutcome, Placement};
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
    /// The reference verdict of a request about the token.
    pub reference: Option<TokenVerdict<'a>>,
    /// The target's contract carries the credential in a cookie, which browsers attach by
    /// themselves: a CORS grant to a foreign origin then exposes users' data (high, not medium).
    pub credentials_in_cookie: bool,
}

/// The reference's view of a request about the token.
pub struct TokenVerdict<'a> {
    pub reference: Reference,
    pub oracle: &'a Oracle,
    /// When the request was judged.
    pub now: i64,
    /// Where the token went, when not where the target's contract puts it.
    pub misplaced: Option<Placement>,
    /// The `Authorization` header values sent (several: the token-location ambiguity cases).
    pub authorization: Vec<String>,
}

impl TokenVerdict<'_> {
    /// Why an acceptance the reference refuses matters.
    fn acceptance(&self, token: Option<&str>) -> Cause {
        match &self.misplaced {
            Some(Placement::Query(_)) if token.is_some() => return Cause::TokenInUrlAccepted,
            Some(Placement::Cookie(_)) if token.is_some() => return Cause::TokenInCookieAccepted,
            Some(Placement::JsonBody(_) | Placement::Form(_)) if token.is_some() => {
                return Cause::TokenInBodyAccepted
            }
            _ => {}
        }
        let values: Vec<&[u8]> = self.authorization.iter().map(|v| v.as_bytes()).collect();
        self.oracle
            .acceptance(&values, token.map(str::as_bytes), self.now)
    }
}

/// The credential a request carries: the case's token, or the token in an explicit
/// `Authorization: Bearer …` value (read leniently, as [`crate::judge::reference::bearer_word`]).
pub fn credential<'a>(token: Option<&'a str>, authorization: &'a [String]) -> Option<&'a str> {
    token.or_else(|| {
        let value = authorization.first()?;
        crate::judge::reference::bearer_word(value.as_bytes())
            .and_then(|c| std::str::from_utf8(c).ok())
    })
}

/// The findings for one answer.
pub fn judge(item: &Item, response: &Incoming, evidence: &Evidence<'_>) -> Vec<Finding> {
    let j = &item.judgement;
    let mut findings = Vec::new();
    let status = response.status;
    let accepted = (200..300).contains(&status);
    let body = String::from_utf8_lossy(&response.body);
    let tv = evidence.reference.as_ref();
    let token = credential(
        item.token.as_deref(),
        tv.map_or(&[][..], |t| t.authorization.as_slice()),
    );
    // A suite check's own grade and class (findings.md §5).
    let check = |kind: FindingKind, message: String| {
        let kind = if j.informational {
            FindingKind::Informational
        } else {
            kind
        };
        let severity = if item.class == crate::judge::FlawClass::Cors
            && kind == FindingKind::Security
            && evidence.credentials_in_cookie
        {
            item.severity.max(crate::judge::Severity::High)
        } else {
            item.severity
        };
        Finding::check(kind, &item.rule_id, severity, item.class, message)
    };

    let (outcome, codes) = match tv.map(|t| t.reference) {
        Some(Reference::Accepted) => (Some(ExpectedOutcome::Accepted), Vec::new()),
        Some(Reference::Rejected(code)) => (
            Some(ExpectedOutcome::Rejected),
            vec![code.as_str().to_owned()],
        ),
        Some(Reference::Preflight) | None => (j.outcome, j.codes.clone()),
    };

    // Security.
    if outcome == Some(ExpectedOutcome::Rejected) && accepted {
        let message = format!(
            "accepted (HTTP {status}) a request that must be rejected: {}",
            item.title
        );
        findings.push(match tv {
            Some(t) => Finding::graded(
                &item.rule_id,
                t.acceptance(token),
                Confidence::High,
                message,
            ),
            None => check(FindingKind::Security, message),
        });
    }
    let expects_5xx = j.statuses.iter().any(|s| *s >= 500);
    if status >= 500 && !expects_5xx {
        let cause = match tv {
            Some(t) => t
                .oracle
                .grader(t.now)
                .server_error(token.map(str::as_bytes)),
            None => Cause::ServerError,
        };
        findings.push(Finding::graded(
            "AP-SERVER-ERROR",
            cause,
            Confidence::High,
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
            findings.push(Finding::graded(
                "AP-LEAK-SECRET",
                Cause::SecretInErrorBody,
                Confidence::High,
                format!("the error body echoes {what}"),
            ));
        }
        if let Some(marker) = INTERNALS.iter().find(|m| body.contains(*m)) {
            findings.push(Finding::graded(
                "AP-LEAK-INTERNALS",
                Cause::InternalsInErrorBody,
                Confidence::Low,
                format!("the error body exposes internals ({marker:?})"),
            ));
        }
        if body.contains("authprobe-marker-9f1c") {
            findings.push(Finding::graded(
                "AP-LEAK-REFLECTION",
                Cause::ClaimReflected,
                Confidence::Medium,
                "the error body reflects a claim or header value from the rejected token",
            ));
        }
    }
    if evidence.oob_fetched {
        findings.push(Finding::graded(
            "AP-OOB-FETCH",
            Cause::AttackerUrlFetched,
            Confidence::High,
            format!(
                "the target fetched the harness URL {} named in the token",
                item.oob_path.as_deref().unwrap_or("?")
            ),
        ));
    }

    // The rest: a refusal of what must be accepted, then the answer's shape. For requests about
    // the token these are contract deviations (or strictness); for other suite checks, the
    // check's own grade when it is a security check.
    let deviation = |message: String| {
        if tv.is_none() && (j.security || j.informational) {
            check(FindingKind::Security, message)
        } else {
            Finding::graded(
                &item.rule_id,
                Cause::ContractDeviation,
                Confidence::High,
                message,
            )
        }
    };
    if outcome == Some(ExpectedOutcome::Accepted) && !accepted {
        let message = format!("refused (HTTP {status}) a request that must be accepted");
        findings.push(match tv {
            Some(_) => Finding::graded(
                &item.rule_id,
                Cause::ValidTokenRefused,
                Confidence::High,
                message,
            ),
            None if j.security => check(FindingKind::Security, message),
            None => check(FindingKind::Contract, message),
        });
        return findings;
    }
    if accepted && outcome == Some(ExpectedOutcome::Rejected) {
        // Already a finding; the refusal's shape does not apply.
        return findings;
    }
    let statuses: Vec<u16> = match tv.map(|t| t.reference) {
        Some(Reference::Rejected(code)) => refusal_statuses(code, token),
        _ => j.statuses.clone(),
    };
    // The suite's header and body expectations were written for its own code: they apply when
    // the reference gives that code too.
    let shape_applies = match tv.map(|t| t.reference) {
        Some(Reference::Rejected(code)) => {
            j.codes.is_empty() || j.codes.iter().any(|c| c == code.as_str())
        }
        _ => true,
    };
    // A token this large may be refused by the HTTP layer before the application sees it.
    let http_layer = token.is_some_and(|t| t.len() > 8 * 1024)
        && matches!(status, 400 | 413 | 431)
        && code_of(&response.body).is_none();
    if !statuses.is_empty() && !statuses.contains(&status) && !http_layer && status < 500 {
        let message = format!("status {status}, expected {}", join(&statuses));
        // A target with its own error vocabulary refusing with another 4xx: its style, not ours.
        let own_style = tv.is_some()
            && evidence.contract.status_only()
            && (400..500).contains(&status)
            && statuses.iter().all(|s| (400..500).contains(s));
        findings.push(if own_style {
            Finding::graded(
                &item.rule_id,
                Cause::RefusalStatusDiffers,
                Confidence::High,
                message,
            )
        } else {
            deviation(message)
        });
    }
    if !codes.is_empty() && !evidence.contract.status_only() && !http_layer && status < 500 {
        let expected: Vec<String> = codes
            .iter()
            .map(|c| evidence.contract.target_code(c))
            .collect();
        let got = code_of(&response.body);
        if !got.as_ref().is_some_and(|g| expected.contains(g)) {
            findings.push(deviation(format!(
                "code {}, expected {}",
                got.as_deref().unwrap_or("(none)"),
                expected.join(" or ")
            )));
        }
    }
    // The suite's header and body expectations are our contract's texts: a target that speaks
    // its own (status-only) is not held to them.
    if http_layer || !shape_applies || (tv.is_some() && evidence.contract.status_only()) {
        return findings;
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
            findings.push(deviation(format!(
                "header {name} is {shown}, expected to match /{pattern}/"
            )));
        }
    }
    for name in &j.headers_absent {
        if let Some(v) = response.header(name) {
            findings.push(deviation(format!(
                "header {name} must be absent, got {v:?}"
            )));
        }
    }
    if !j.json.is_empty() {
        let doc = serde_json::from_slice::<Value>(&response.body).ok();
        for (pointer, expected) in &j.json {
            let want = serde_json::from_str::<Value>(expected).ok();
            let got = doc.as_ref().and_then(|d| d.pointer(pointer));
            if got.is_none() || got != want.as_ref() {
                findings.push(deviation(format!(
                    "body {pointer} is {}, expected {expected}",
                    got.map_or("absent".into(), |v| v.to_string())
                )));
            }
        }
    }
    findings
}

/// The statuses a refusal with `code` may have: the contract's, or any 4xx the HTTP layer gives
/// a token over any sane header limit.
fn refusal_statuses(code: crate::ErrorCode, token: Option<&str>) -> Vec<u16> {
    if token.is_some_and(|t| t.len() > 32 * 1024) {
        return vec![400, 401, 413, 431];
    }
    vec![code.status()]
}

fn code_of(body: &[u8]) -> Option<String> {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("code").and_then(Value::as_str).map(str::to_owned))
}

fn join(statuses: &[u16]) -> String {
    statuses
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(" or ")
}
