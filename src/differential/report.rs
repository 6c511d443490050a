//! A fuzzing run as a [`RunReport`]: the baseline control, one suite "differential" with a
//! summary case and one case per de-duplicated finding, everything redacted (the minimal token
//! appears as `$TOKEN` in the reproduction, never itself).

use super::mutate::Rendered;
use super::oracle::Reference;
use super::{Budget, DiffFinding, StatsSnapshot};
use crate::base64url;
use crate::dangerous::forge::Severity;
use crate::deployment::http::{Incoming, Outgoing};
use crate::report::{
    CaseResult, Finding, Observed, Outcome, RequestRecord, RunReport, SuiteResult, TargetInfo,
};
use crate::run::redact;
use std::time::Duration;

pub(super) struct RunInfo {
    pub run_id: String,
    pub started_at: String,
    pub target: TargetInfo,
    pub seed: u64,
    pub budget: Budget,
    pub seeds: usize,
}

pub(super) struct RunFacts<'a> {
    pub baseline: Vec<CaseResult>,
    pub baseline_ok: bool,
    pub findings: &'a [DiffFinding],
    pub stats: StatsSnapshot,
    pub elapsed: Duration,
    pub setup: Duration,
    pub notes: Vec<String>,
    pub secrets: &'a [String],
    pub late_oob_fetches: usize,
    pub concurrency: usize,
}

pub(super) fn build(info: &RunInfo, facts: RunFacts<'_>) -> RunReport {
    let s = facts.stats;
    let secs = facts.elapsed.as_secs_f64().max(1e-3);
    let mut summary_findings = Vec::new();
    if facts.late_oob_fetches > 0 {
        summary_findings.push(Finding::graded(
            "AP-DIFF-OOB-FETCH",
            crate::judge::Cause::AttackerUrlFetched,
            crate::judge::Confidence::Medium,
            format!(
                "the target fetched {} harness URLs named in tokens after answering",
                facts.late_oob_fetches
            ),
        ));
    }
    let summary = CaseResult {
        target: String::new(),
        suite: "differential".into(),
        id: "summary".into(),
        title: format!(
            "{} generated requests compared with the reference validator and the contract: {} distinct disagreements",
            s.tokens,
            facts.findings.len()
        ),
        rule_id: "AP-DIFF-SUMMARY".into(),
        severity: Severity::Info,
        tags: vec!["differential".into()],
        catalogue_id: None,
        references: vec![],
        outcome: if !facts.baseline_ok {
            Outcome::Skip
        } else if summary_findings.is_empty() {
            Outcome::Pass
        } else {
            Outcome::Fail
        },
        findings: summary_findings,
        expected: "the backend gives the reference validator's verdict for every token, with the contract's challenge on refusals and the contract's CORS headers".into(),
        observed: None,
        request: None,
        reproduction: None,
        message: Some(format!(
            "seed {seed}; budget {budget}; {req} requests in {secs:.1} s ({rate:.0}/s, concurrency {conc}): \
             {tokens} generated ({pre} of them CORS preflights, the rest tokens), {shrink} for shrinking; {dis} disagreeing answers, {inc} inconclusive \
             (time boundary or rate limit), {uns} not sendable over HTTP, {err} transport errors; \
             {cat} catalogue seeds; setup {setup:.1} s",
            seed = info.seed,
            budget = info.budget,
            req = s.requests,
            rate = s.requests as f64 / secs,
            conc = facts.concurrency,
            tokens = s.tokens,
            pre = s.preflights,
            shrink = s.shrink_requests,
            dis = s.disagreements,
            inc = s.inconclusive,
            uns = s.unsendable,
            err = s.transport_errors,
            cat = info.seeds,
            setup = facts.setup.as_secs_f64(),
        )),
        duration_ms: facts.elapsed.as_millis() as u64,
    };
    let mut cases = vec![summary];
    for (n, f) in facts.findings.iter().enumerate() {
        cases.push(finding_case(n + 1, f, facts.secrets));
    }
    let mut report = RunReport {
        tool: "authprobe".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        run_id: info.run_id.clone(),
        started_at: info.started_at.clone(),
        duration_ms: (facts.setup + facts.elapsed).as_millis() as u64,
        target: info.target.clone(),
        baseline_ok: facts.baseline_ok,
        baseline: facts.baseline,
        suites: vec![SuiteResult {
            target: String::new(),
            name: "differential".into(),
            description: format!(
                "Differential fuzzing: structure-aware mutations of a real token (seed {}), some \
                 with an Origin header or as a CORS preflight, each judged by the reference \
                 validator and the contract (verdict, challenge, CORS headers) and by the backend; \
                 every disagreement shrunk to a minimal request and de-duplicated by cause.",
                info.seed
            ),
            cases,
        }],
        summary: Default::default(),
        notes: facts.notes,
        gate: Default::default(),
        absent: Vec::new(),
        lifecycle: Vec::new(),
        endpoint_divergences: Vec::new(),
        targets: Vec::new(),
    };
    report.target.baseline_ok = facts.baseline_ok;
    report.target.duration_ms = (facts.setup + facts.elapsed).as_millis() as u64;
    report.label_target();
    report.summarize();
    report
}

fn slug(kinds: &std::collections::BTreeSet<String>) -> String {
    let text: Vec<String> = kinds
        .iter()
        .map(|k| {
            k.chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                .collect()
        })
        .collect();
    text.join("+").chars().take(80).collect()
}

/// The decoded header and claims of a token, for people (not a token).
fn decoded(token: &str, secrets: &[String]) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    let part = |s: &str| {
        base64url::decode(s.as_bytes())
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_else(|_| format!("(not base64url, {} characters)", s.len()))
    };
    let text = match parts.as_slice() {
        [h, p, s] => format!(
            "header {}; claims {}; signature {} characters",
            clip(&part(h), 300),
            clip(&part(p), 500),
            s.len()
        ),
        _ => format!("not three segments ({} characters)", token.len()),
    };
    redact::redact(&text, secrets)
}

fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        format!("{}…", s.chars().take(max).collect::<String>())
    }
}

fn observed(response: &Incoming, secrets: &[String], token: &str) -> Observed {
    const SHOWN: [&str; 10] = [
        "www-authenticate",
        "content-type",
        "cache-control",
        "retry-after",
        "vary",
        "access-control-allow-origin",
        "access-control-allow-credentials",
        "access-control-allow-methods",
        "access-control-allow-headers",
        "access-control-max-age",
    ];
    let mut all = secrets.to_vec();
    all.push(token.to_owned());
    let body = String::from_utf8_lossy(&response.body);
    crate::run::observed_from(
        response,
        &all,
        |name| SHOWN.contains(&name),
        &clip(&body, 512),
    )
}

fn request_record(out: &Outgoing, token: &str, secrets: &[String]) -> RequestRecord {
    let tokenize = |s: &str| redact::replace_all(s, token, "$TOKEN").into_owned();
    RequestRecord {
        method: out.method.clone(),
        url: redact::redact(&tokenize(&out.url), secrets),
        headers: out
            .headers
            .iter()
            .map(|(n, v)| (n.clone(), redact::redact(&tokenize(v), secrets)))
            .collect(),
        body: out
            .body
            .as_ref()
            .map(|b| redact::redact(&tokenize(&String::from_utf8_lossy(b)), secrets)),
    }
}

fn reproduction(out: &Outgoing, token: &str, secrets: &[String]) -> String {
    redact::curl(
        &out.method,
        &out.url,
        &out.headers,
        out.body.as_deref(),
        Some(token),
        secrets,
    )
}

fn finding_case(n: usize, f: &DiffFinding, secrets: &[String]) -> CaseResult {
    let token = f.rendered.token.as_str();
    let head = &f.cause.head;
    let edits = f.draft.describe();
    let what = match head.class {
        super::Class::Accepts => format!(
            "the backend accepted a token the reference validator rejects with {}",
            head.reference
        ),
        super::Class::RefusesValid => format!(
            "the backend refused ({}) a token the reference validator accepts",
            head.backend
        ),
        super::Class::ServerError => format!(
            "the backend answered {} where the reference validator says {}",
            head.backend, head.reference
        ),
        super::Class::Contract => format!(
            "the backend refused with {} where the reference validator says {}",
            head.backend, f.reference
        ),
        super::Class::Leak => format!("{} (reference: {})", head.backend, f.reference),
        super::Class::OobFetch => format!(
            "the backend fetched the harness URL named in the token (reference: {})",
            f.reference
        ),
        super::Class::Challenge => format!("{} (reference: {})", head.backend, f.reference),
        super::Class::CorsGrant | super::Class::Cors => format!(
            "{} ({}{})",
            head.backend,
            if f.rendered.preflight {
                "a preflight"
            } else {
                "a request"
            },
            f.rendered
                .origin
                .as_deref()
                .map(|o| format!(" from Origin {o}"))
                .unwrap_or_else(|| " without Origin".into())
        ),
    };
    let message = redact::redact(
        &format!(
            "{what}; minimal {}: {}",
            if matches!(head.class, super::Class::CorsGrant | super::Class::Cors) {
                "request"
            } else {
                "token"
            },
            if edits.is_empty() {
                "the starting token".into()
            } else {
                edits.join("; ")
            }
        ),
        secrets,
    );
    let sent = if f.rendered.preflight {
        "a CORS preflight: no credential sent".to_owned()
    } else {
        decoded(token, secrets)
    };
    let details = format!(
        "{}. First seen after {:.2} s ({} requests); {} edits shrunk to {} in {} requests{}; {} disagreeing answers with this cause{}.",
        sent,
        f.found_after.as_secs_f64(),
        f.found_after_requests,
        f.edits_before,
        f.draft.edits.len(),
        f.shrink_requests,
        if f.shrunk { "" } else { " (shrinking stopped early)" },
        f.occurrences,
        f.draft
            .origin
            .as_deref()
            .map(|o| format!("; started from catalogue case {o}"))
            .unwrap_or_default(),
    );
    let mut tags = vec!["differential".to_owned(), head.class.slug().to_lowercase()];
    tags.extend(f.cause.kinds.iter().cloned());
    let verdicts = match head.class {
        super::Class::Accepts => format!("accepted, reference {}", head.reference),
        super::Class::RefusesValid => format!("{}, reference accepts", head.backend),
        super::Class::ServerError | super::Class::Contract => {
            format!("{}, reference {}", head.backend, head.reference)
        }
        super::Class::Leak | super::Class::Challenge => head.backend.clone(),
        super::Class::CorsGrant | super::Class::Cors => head.backend.clone(),
        super::Class::OobFetch => "fetched a harness URL named in the token".into(),
    };
    let title = format!(
        "{verdicts}: {}",
        if edits.is_empty() {
            "the starting token".into()
        } else {
            edits.join("; ")
        }
    );
    let mut id_parts = vec![head.class.slug().to_lowercase()];
    if !head.reference.is_empty()
        && matches!(
            head.class,
            super::Class::Accepts
                | super::Class::ServerError
                | super::Class::Contract
                | super::Class::Challenge
                | super::Class::CorsGrant
                | super::Class::Cors
        )
    {
        id_parts.push(head.reference.to_lowercase().replace('_', "-"));
    }
    if !f.cause.kinds.is_empty() {
        id_parts.push(slug(&f.cause.kinds));
    }
    CaseResult {
        target: String::new(),
        suite: "differential".into(),
        id: format!("diff-{n:03}-{}", id_parts.join("-")),
        title: redact::redact(&clip(&title, 200), secrets),
        rule_id: f.rule_id.clone(),
        severity: f.severity,
        tags,
        catalogue_id: f
            .draft
            .origin
            .as_deref()
            .and_then(|o| o.split_whitespace().next())
            .map(str::to_owned),
        references: vec![],
        outcome: Outcome::Fail,
        findings: vec![Finding::graded(
            f.rule_id.clone(),
            f.cause.head.cause,
            crate::judge::Confidence::High,
            message,
        )],
        expected: expected(f),
        observed: Some(observed(&f.response, secrets, token)),
        request: Some(request_record(&f.request, token, secrets)),
        reproduction: Some(reproduction(&f.request, token, secrets)),
        message: Some(details),
        duration_ms: 0,
    }
}

/// What the contract expects of the answer.
fn expected(f: &DiffFinding) -> String {
    match (f.cause.head.class, f.reference) {
        (super::Class::Challenge, Reference::Rejected(code)) => match code.www_authenticate("…") {
            Some(c) => format!(
                "the refusal {code} (HTTP {}) with the contract's challenge (auth-params in any order, token or quoted-string values): WWW-Authenticate: {c}",
                code.status()
            ),
            None => format!("the refusal {code} without a WWW-Authenticate header"),
        },
        (super::Class::CorsGrant | super::Class::Cors, _) => "the CORS rules of http-api.md §2.4: only the front-end origin gets Access-Control-Allow-Origin (its own value) with Vary: Origin and, on a preflight, Authorization allowed; other origins and null get no Access-Control-Allow-* header; never * nor Access-Control-Allow-Credentials; preflights are answered before authentication".into(),
        (_, r) => format!("the reference validator's verdict: {r}"),
    }
}

/// The baseline control: the starting token accepted by the reference and by the backend.
pub(super) fn baseline_case(
    request: &Outgoing,
    rendered: &Rendered,
    reference: Option<Reference>,
    result: Result<&Incoming, String>,
    secrets: &[String],
) -> (CaseResult, bool) {
    let token = rendered.token.as_str();
    let mut case = CaseResult {
        target: String::new(),
        suite: "baseline".into(),
        id: "valid-token".into(),
        title: "the starting token is accepted by the reference validator and the backend".into(),
        rule_id: "AP-BASELINE-VALID-TOKEN".into(),
        severity: Severity::High,
        tags: vec!["baseline".into()],
        catalogue_id: None,
        references: vec![],
        outcome: Outcome::Pass,
        findings: vec![],
        expected: "accepted by both (2xx)".into(),
        observed: None,
        request: Some(request_record(request, token, secrets)),
        reproduction: Some(reproduction(request, token, secrets)),
        message: None,
        duration_ms: 0,
    };
    let mut ok = true;
    let mut problems = Vec::new();
    if reference != Some(Reference::Accepted) {
        ok = false;
        problems.push(match reference {
            Some(r) => format!(
                "the reference validator rejects the starting token: {r}; the reference policy (issuer, audience, algorithms, lifetime cap) does not fit the target — set [policy] in the target profile"
            ),
            None => "the starting token is on a time boundary".into(),
        });
    }
    match result {
        Ok(response) => {
            case.duration_ms = response.elapsed.as_millis() as u64;
            case.observed = Some(observed(response, secrets, token));
            if !(200..300).contains(&response.status) {
                ok = false;
                problems.push(format!(
                    "the backend refused the starting token (HTTP {}); check the backend URL, --path and the token placement",
                    response.status
                ));
            }
        }
        Err(e) => {
            ok = false;
            case.outcome = Outcome::Error;
            problems.push(redact::redact(&e, secrets));
        }
    }
    if !ok && case.outcome != Outcome::Error {
        case.outcome = Outcome::Fail;
    }
    if !problems.is_empty() {
        case.message = Some(problems.join("; "));
    }
    (case, ok)
}
