//! Expanding suites into concrete requests: each case's token is built from the base session
//! plus its edits (or expanded into every variant of a catalogue case), placed where the target
//! expects it, and paired with what a secure, contract-following target answers.

use super::Context;
use crate::contract::{self, ErrorCode};
use crate::dangerous::forge::raw_json::RawObject;
use crate::dangerous::forge::{self, Delivery, Expected, ForgeInput, Forger};
use crate::judge::FlawClass;
use crate::scenario::{
    CaseSpec, Edit, EditOp, ExpectedOutcome, Placement, Server, Signing, Suite, TokenSource,
};
use std::collections::BTreeMap;

/// What a response must satisfy.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Judgement {
    pub outcome: Option<ExpectedOutcome>,
    /// Acceptable statuses (empty: any).
    pub statuses: Vec<u16>,
    /// Acceptable contract codes, ours (empty: not checked).
    pub codes: Vec<String>,
    pub headers: BTreeMap<String, String>,
    pub headers_absent: Vec<String>,
    pub json: BTreeMap<String, String>,
    pub no_secrets: bool,
    /// Expectation failures are security findings (CORS, origin checks).
    pub security: bool,
    /// Failures are informational (documented behaviour of the auth server).
    pub informational: bool,
}

/// One request to send and judge.
#[derive(Debug, Clone)]
pub struct Item {
    /// What an attacker gets when the case's own check fails (suite checks; requests about the
    /// token are graded by the reference's cause instead).
    pub class: FlawClass,
    /// Where the case puts its token (the target's own placement when `Header`).
    pub placement: Placement,
    /// The expected verdict is the reference validator's with the target's policy.
    pub by_reference: bool,
    pub suite: String,
    pub id: String,
    pub title: String,
    pub rule_id: String,
    pub severity: forge::Severity,
    pub tags: Vec<String>,
    pub catalogue_id: Option<String>,
    pub references: Vec<String>,
    pub server: Server,
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
    pub repeat: u32,
    pub retries: u32,
    /// The credential sent, if any (for redaction and leak checks).
    pub token: Option<String>,
    pub judgement: Judgement,
    pub oob_path: Option<String>,
    /// Run alone after the concurrent phase (repeats, outages, state changes).
    pub exclusive: bool,
    /// Not run, with this reason.
    pub skip: Option<String>,
    /// What a secure target answers, in words.
    pub expected_text: String,
}

/// Expands one suite (its flows have already captured into `vars`).
pub fn expand(ctx: &Context, suite: &Suite, vars: &BTreeMap<String, String>) -> Vec<Item> {
    suite
        .cases
        .iter()
        .flat_map(|case| expand_case(ctx, suite, case, vars))
        .collect()
}

fn expand_case(
    ctx: &Context,
    suite: &Suite,
    case: &CaseSpec,
    vars: &BTreeMap<String, String>,
) -> Vec<Item> {
    let server = case.server.unwrap_or(suite.suite.server);
    let mut item = Item {
        class: case.class.unwrap_or(FlawClass::Contract),
        placement: case.request.placement.clone(),
        by_reference: about_the_token(case, server),
        suite: suite.suite.name.clone(),
        id: case.id.clone(),
        title: case.title.clone(),
        rule_id: case.rule.clone(),
        severity: case.severity,
        tags: case.tags.clone(),
        catalogue_id: None,
        references: Vec::new(),
        server,
        method: case.request.method.clone(),
        path: String::new(),
        headers: Vec::new(),
        body: None,
        repeat: case.request.repeat.max(1),
        retries: case.retries,
        token: None,
        judgement: judgement_of(case),
        oob_path: None,
        exclusive: case.request.repeat > 1
            || matches!(
                server,
                Server::BackendKeySetDown | Server::BackendRateLimited
            )
            || case.tags.iter().any(|t| t == "exclusive"),
        skip: None,
        expected_text: describe_expectation(case),
    };
    let mut json = BTreeMap::new();
    for (pointer, value) in &item.judgement.json {
        match expand_vars(value, vars) {
            Ok(v) => {
                json.insert(pointer.clone(), v);
            }
            Err(e) => return vec![skipped(item, e)],
        }
    }
    item.judgement.json = json;
    item.judgement.headers = item
        .judgement
        .headers
        .iter()
        .map(|(name, pattern)| (name.clone(), expand_vars_escaped(pattern, vars)))
        .collect();
    if let Some(reason) = ctx.missing_needs(case, server) {
        item.skip = Some(reason);
        return vec![item];
    }
    match expand_vars(&case.request.path, vars) {
        Ok(p) => item.path = p,
        Err(e) => return vec![skipped(item, e)],
    }
    match case.token.from {
        TokenSource::Catalogue => {
            let id = case.token.catalogue.clone().unwrap_or_default();
            catalogue_items(ctx, item, &id, case, vars)
        }
        TokenSource::None => finish(item, None, case, vars),
        TokenSource::Session => {
            let token = ctx.base_token().map(|t| t.as_str().to_owned());
            match token {
                Some(t) => finish(item, Some(t), case, vars),
                None => vec![skipped(
                    item,
                    "no session token (no auth server and no --token)".into(),
                )],
            }
        }
        TokenSource::Edited => match edited_token(ctx, case, vars) {
            Ok(token) => finish(item, Some(token), case, vars),
            Err(reason) => vec![skipped(item, reason)],
        },
    }
}

/// True when a case sent to `server` is judged by the reference validator: a request to the
/// backend whose expectation is a token verdict (acceptance, or a refusal whose codes the
/// reference decides, with RFC 6750 parsing) rather than server-side state (revocation).
pub fn about_the_token(case: &CaseSpec, server: Server) -> bool {
    if server != Server::Backend {
        return false;
    }
    let token_code = |c: &String| {
        c.parse::<ErrorCode>().is_ok_and(|code| {
            matches!(
                code,
                ErrorCode::MissingToken | ErrorCode::MalformedAuthorization
            ) || crate::validate::RejectionKind::ALL
                .iter()
                .any(|k| k.code() == code && code != ErrorCode::KeySetUnavailable)
        })
    };
    // Verdicts that hang on server-side state (revocation) or test a property of their own
    // (security-tagged checks: the auth server's issuer, CORS) are the suite's.
    if case
        .tags
        .iter()
        .any(|t| t == "informational" || t == "security")
    {
        return false;
    }
    // Without a credential, only a refusal is a token verdict (a public path is accepted).
    let no_credential =
        case.token.from == TokenSource::None && case.request.authorization.is_none();
    if no_credential && case.expect.outcome == ExpectedOutcome::Accepted {
        return false;
    }
    case.token.from == TokenSource::Catalogue
        || (matches!(
            case.expect.outcome,
            ExpectedOutcome::Accepted | ExpectedOutcome::Rejected
        ) && case.expect.code.iter().all(token_code)
            && case.request.method.eq_ignore_ascii_case("GET"))
}

fn skipped(mut item: Item, reason: String) -> Item {
    item.skip = Some(reason);
    item
}

/// Puts the token where the target expects it and adds the request's own headers and body.
fn finish(
    mut item: Item,
    token: Option<String>,
    case: &CaseSpec,
    vars: &BTreeMap<String, String>,
) -> Vec<Item> {
    let mut vars = vars.clone();
    if let Some(t) = &token {
        vars.insert("token".into(), t.clone());
    }
    // The token is placed when the request is built (deployment::placement), where the case's
    // placement (`item.placement`) or, for `header`, the target's contract says.
    if let (Some(t), None) = (&token, &case.request.authorization) {
        item.headers.push(("__placement__".into(), t.clone()));
    }
    if let Some(values) = &case.request.authorization {
        for v in values {
            match expand_vars(v, &vars) {
                Ok(v) => item.headers.push(("authorization".into(), v)),
                Err(e) => return vec![skipped(item, e)],
            }
        }
    }
    for (name, value) in &case.request.headers {
        match expand_vars(value, &vars) {
            Ok(v) => item.headers.push((name.to_ascii_lowercase(), v)),
            Err(e) => return vec![skipped(item, e)],
        }
    }
    if let Some(body) = &case.request.body {
        match expand_vars(body, &vars) {
            Ok(b) => item.body = Some(b.into_bytes()),
            Err(e) => return vec![skipped(item, e)],
        }
        if let Some(ct) = &case.request.content_type {
            item.headers.push(("content-type".into(), ct.clone()));
        }
    }
    // Bytes an HTTP client cannot put in a header (CR, LF, NUL, other controls) never reach a
    // backend; such variants are proven against the reference validator in tests, not here.
    let undeliverable = item
        .headers
        .iter()
        .any(|(_, v)| v.bytes().any(|b| b < 0x20 && b != b'\t' || b == 0x7f));
    if undeliverable {
        item.skip =
            Some("not deliverable over HTTP: the credential contains control characters".into());
    }
    item.token = token;
    vec![item]
}

fn catalogue_items(
    ctx: &Context,
    item: Item,
    id: &str,
    case: &CaseSpec,
    vars: &BTreeMap<String, String>,
) -> Vec<Item> {
    let Some(found) = forge::catalogue::find(id) else {
        return vec![skipped(item, format!("no catalogue case {id}"))];
    };
    let Some(base) = ctx.base_token() else {
        return vec![skipped(item, "no session token to forge from".into())];
    };
    if let Some(reason) = found.not_expressible {
        return vec![skipped(item, format!("not a token: {reason}"))];
    }
    if found.mode == forge::Mode::IssuerKey && ctx.issuer_key.is_none() {
        return vec![skipped(
            item,
            "needs the issuer's private key (black-box audit; pass --issuer-key for white-box)"
                .into(),
        )];
    }
    let published = ctx.published.clone();
    let input = ForgeInput {
        base,
        target_keys: &published,
        issuer_key: ctx.issuer_key.as_ref(),
        attacker: &ctx.attacker,
        oob_base: &ctx.oob_base,
        now: ctx.now,
    };
    let mut out = Vec::new();
    for (n, f) in found.forge(&input).into_iter().enumerate() {
        let mut it = item.clone();
        it.id = format!("{}-{:03}", case.id, n + 1);
        it.title = format!("{} {}: {}", found.id, found.slug, f.variant);
        it.rule_id = found.rule_id();
        it.severity = found.severity;
        it.class = FlawClass::SignatureNotVerified;
        it.catalogue_id = Some(found.id.to_owned());
        it.references = found.references.iter().map(|r| (*r).to_owned()).collect();
        it.oob_path = f.oob_path.clone();
        it.judgement = judgement_of_forged(&f);
        it.expected_text = format!("{} ({})", f.expected, found.secure);
        let mut case_for_finish = case.clone();
        if let Delivery::AuthorizationHeaders { values } = &f.delivery {
            case_for_finish.request.authorization = Some(values.clone());
        }
        out.extend(finish(it, Some(f.token), &case_for_finish, vars));
    }
    out
}

fn judgement_of_forged(f: &forge::Forged) -> Judgement {
    let mut j = Judgement {
        no_secrets: true,
        ..Judgement::default()
    };
    let codes: Vec<ErrorCode> = match &f.expected {
        Expected::Accepted => {
            j.outcome = Some(ExpectedOutcome::Accepted);
            return j;
        }
        Expected::Code(c) => vec![*c],
        Expected::AnyOf(cs) => cs.clone(),
    };
    j.outcome = Some(ExpectedOutcome::Rejected);
    // A credential outside RFC 6750's b64token grammar never reaches the token check.
    let codes = if matches!(f.delivery, Delivery::Bearer) {
        let header = format!("Bearer {}", f.token);
        match contract::bearer_token(&[header.as_bytes()]) {
            Err(code) => vec![code],
            Ok(_) => codes,
        }
    } else {
        codes
    };
    if f.token.len() > 32 * 1024 {
        // Over any sane header limit: a 4xx from the HTTP layer is as good as the contract's.
        j.statuses = vec![400, 401, 413, 431];
        return j;
    }
    j.statuses = codes.iter().map(|c| c.status()).collect();
    j.statuses.dedup();
    j.codes = codes.iter().map(|c| c.as_str().to_owned()).collect();
    j
}

fn judgement_of(case: &CaseSpec) -> Judgement {
    let e = &case.expect;
    Judgement {
        outcome: Some(e.outcome),
        statuses: e.status.into_iter().collect(),
        codes: e.code.iter().cloned().collect(),
        headers: e.headers.clone(),
        headers_absent: e.headers_absent.clone(),
        json: e.json.clone(),
        no_secrets: e.no_secrets_in_body,
        security: case.tags.iter().any(|t| t == "security"),
        informational: case.tags.iter().any(|t| t == "informational"),
    }
}

fn describe_expectation(case: &CaseSpec) -> String {
    let e = &case.expect;
    let mut parts = vec![match e.outcome {
        ExpectedOutcome::Accepted => "accepted".to_owned(),
        ExpectedOutcome::Rejected => "rejected".to_owned(),
        ExpectedOutcome::Any => "answered".to_owned(),
    }];
    if let Some(s) = e.status {
        parts.push(format!("status {s}"));
    }
    if let Some(c) = &e.code {
        parts.push(format!("code {c}"));
    }
    for (h, re) in &e.headers {
        parts.push(format!("{h} ~ /{re}/"));
    }
    for h in &e.headers_absent {
        parts.push(format!("no {h}"));
    }
    for (p, v) in &e.json {
        parts.push(format!("{p} = {v}"));
    }
    parts.join(", ")
}

/// Builds an edited token: base session, header and claim edits, then the signing rule.
fn edited_token(
    ctx: &Context,
    case: &CaseSpec,
    vars: &BTreeMap<String, String>,
) -> Result<String, String> {
    let base = ctx.base_token().ok_or("no session token to edit")?;
    let f = Forger::new(base);
    let mut header = f.header();
    let mut payload = f.payload();
    apply_edits(&mut header, &case.token.header, ctx.now, vars)?;
    apply_edits(&mut payload, &case.token.claims, ctx.now, vars)?;
    let alg = header
        .get("alg")
        .and_then(|a| serde_json::from_str::<String>(a).ok())
        .and_then(|a| crate::Algorithm::from_name(&a))
        .unwrap_or_else(|| ctx.base_alg());
    let h = crate::base64url::encode(header.as_str());
    let p = crate::base64url::encode(payload.as_str());
    Ok(match case.token.sign {
        Signing::Keep => Forger::join(&h, &p, f.signature_b64()),
        Signing::None => Forger::join(&h, &p, ""),
        Signing::Attacker => forge::edit::sign_segments(&h, &p, ctx.attacker.for_alg(alg), alg),
        Signing::Issuer => {
            let key = ctx.issuer_key.as_ref().ok_or(
                "needs the issuer's private key (black-box audit; pass --issuer-key for white-box)",
            )?;
            forge::edit::sign_segments(&h, &p, key, alg)
        }
    })
}

fn apply_edits(
    obj: &mut RawObject,
    edits: &[Edit],
    now: i64,
    vars: &BTreeMap<String, String>,
) -> Result<(), String> {
    for edit in edits {
        let value = match &edit.value {
            Some(v) => Some(resolve_value(v, now, vars)?),
            None => None,
        };
        match (edit.op, value) {
            (EditOp::Remove, _) => {
                obj.remove(&edit.name);
            }
            (EditOp::Set, Some(v)) => {
                obj.set(&edit.name, &v);
            }
            (EditOp::Duplicate, Some(v)) => {
                obj.append(&edit.name, &v);
            }
            (_, None) => return Err(format!("edit of {} has no value", edit.name)),
        }
    }
    Ok(())
}

/// A value is raw JSON, a relative time (`now-5m`), or contains `${var}` (then it is a string).
fn resolve_value(v: &str, now: i64, vars: &BTreeMap<String, String>) -> Result<String, String> {
    if let Some(t) = crate::scenario::parse_relative_time(v, now) {
        return Ok(t.to_string());
    }
    let expanded = expand_vars(v, vars)?;
    if expanded != v {
        return Ok(expanded);
    }
    Ok(v.to_owned())
}

/// Expands `${name}` inside a regular expression, escaping the values; unknown names stay.
fn expand_vars_escaped(pattern: &str, vars: &BTreeMap<String, String>) -> String {
    let escaped: BTreeMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.clone(), regex::escape(v)))
        .collect();
    expand_vars(pattern, &escaped).unwrap_or_else(|_| pattern.to_owned())
}

/// Replaces `${name}` with variables; an unknown name is an error naming it.
pub fn expand_vars(s: &str, vars: &BTreeMap<String, String>) -> Result<String, String> {
    crate::scenario::expand_vars(s, vars).map_err(|name| {
        format!("variable {name:?} is not set (its flow step is missing or failed)")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables() {
        let vars = BTreeMap::from([("a".to_owned(), "1".to_owned())]);
        assert_eq!(expand_vars("x${a}y${a}", &vars).unwrap(), "x1y1");
        assert!(expand_vars("${b}", &vars).unwrap_err().contains("\"b\""));
    }
}
