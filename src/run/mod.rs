//! The runner: baseline controls first, then every suite's flows and cases against a deployment
//! (mock or live, always over HTTP), with bounded concurrency, a per-request timeout, an overall
//! budget and an optional rate; each answer judged; one [`RunReport`] out, written even when the
//! target dies half-way.

pub mod builtin;
pub mod http;
pub mod judge;
pub mod plan;
pub mod redact;
pub mod session;

use self::http::{Http, HttpOptions, Incoming, Outgoing, TransportError};
use self::judge::Evidence;
use self::plan::Item;
use self::session::{Credentials, Session};
use crate::forge::oob::OobServer;
use crate::forge::{AttackerKeys, Severity};
use crate::report::{
    CaseResult, Finding, FindingKind, Observed, Outcome, RequestRecord, RunReport, SuiteResult,
    TargetInfo,
};
use crate::scenario::{CaseSpec, FlowStep, Need, Server, Suite};
use crate::sign::SigningKey;
use crate::target::profile::{ContractSection, TokenPlacement};
use crate::target::Endpoints;
use crate::token::Token;
use futures::StreamExt as _;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How a run behaves.
#[derive(Debug, Clone)]
pub struct RunConfig {
    pub concurrency: usize,
    /// Overall time budget; cases not started by then are skipped.
    pub budget: Option<Duration>,
    pub http: HttpOptions,
    /// After this many connection failures in a row the target counts as down.
    pub max_consecutive_connect_errors: usize,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            concurrency: 16,
            budget: None,
            http: HttpOptions::default(),
            max_consecutive_connect_errors: 8,
        }
    }
}

/// What is audited.
pub struct TargetSpec {
    /// `mock` or `live`.
    pub kind: String,
    pub variant: Option<String>,
    pub endpoints: Endpoints,
    /// The issuer's private key (white-box).
    pub issuer_key: Option<SigningKey>,
    /// A token to start from when there is no auth server.
    pub token: Option<String>,
    pub credentials: Option<Credentials>,
    pub placement: TokenPlacement,
    pub contract: ContractSection,
    /// Whether the auth server rate-limits (Better Auth: production mode).
    pub auth_rate_limiting: bool,
}

impl TargetSpec {
    /// The embedded mock deployment as a white-box target (the harness holds its issuer key).
    pub fn for_mock(mock: &crate::target::mock::MockDeployment) -> TargetSpec {
        TargetSpec {
            kind: "mock".into(),
            variant: mock.flaw.map(|f| f.name().to_owned()),
            endpoints: mock.endpoints(),
            issuer_key: mock.issuer_key().try_clone(),
            token: None,
            credentials: None,
            placement: TokenPlacement::default(),
            contract: ContractSection {
                realm: Some(crate::target::mock::REALM.into()),
                ..ContractSection::default()
            },
            auth_rate_limiting: mock.state.rate_limiting,
        }
    }
}

/// The run's result: the report, and whether the target stopped answering.
pub struct AuditOutcome {
    pub report: RunReport,
    pub target_unreachable: bool,
}

/// Everything cases are built from.
pub struct Context {
    pub endpoints: Endpoints,
    pub issuer_key: Option<SigningKey>,
    pub attacker: AttackerKeys,
    pub oob_base: String,
    pub base: Option<Token>,
    pub published: Vec<Map<String, Value>>,
    pub session: Option<Session>,
    pub now: i64,
    pub placement: TokenPlacement,
    pub contract: ContractSection,
    pub secrets: Vec<String>,
    pub auth_rate_limiting: bool,
}

impl Context {
    pub fn base_token(&self) -> Option<&Token> {
        self.base.as_ref()
    }
    pub fn base_alg(&self) -> crate::Algorithm {
        self.base
            .as_ref()
            .and_then(|t| t.alg())
            .and_then(crate::Algorithm::from_name)
            .unwrap_or(crate::Algorithm::EdDSA)
    }

    /// Why a case cannot run here, if it cannot.
    pub fn missing_needs(&self, case: &CaseSpec, server: Server) -> Option<String> {
        match server {
            Server::Auth if self.endpoints.auth.is_none() => return Some("no auth server URL".into()),
            Server::BackendKeySetDown if self.endpoints.backend_key_set_down.is_none() => {
                return Some("the target has no backend instance with its key set down (target.backend_key_set_down_url)".into())
            }
            Server::BackendRateLimited if self.endpoints.backend_rate_limited.is_none() => {
                return Some("the target has no rate-limited backend instance (target.backend_rate_limited_url)".into())
            }
            _ => {}
        }
        case.needs.iter().find_map(|need| match need {
            Need::IssuerKey if self.issuer_key.is_none() => {
                Some("needs the issuer's private key (black-box audit; pass --issuer-key for white-box)".into())
            }
            Need::Session if self.session.is_none() => Some("needs a Better Auth session".into()),
            Need::RateLimiting if !self.auth_rate_limiting => {
                Some("the auth server does not rate-limit (Better Auth enables it only with NODE_ENV=production)".into())
            }
            Need::Cors if self.endpoints.frontend_origin.is_none() => Some("no front-end origin configured".into()),
            _ => None,
        })
    }

    fn server_url(&self, server: Server) -> Option<String> {
        match server {
            Server::Backend => Some(self.endpoints.backend.clone()),
            Server::Auth => self.endpoints.auth.clone(),
            Server::BackendKeySetDown => self.endpoints.backend_key_set_down.clone(),
            Server::BackendRateLimited => self.endpoints.backend_rate_limited.clone(),
        }
        .map(|u| u.trim_end_matches('/').to_owned())
    }

    /// Built-in variables every suite can use.
    fn variables(&self) -> BTreeMap<String, String> {
        let mut v = BTreeMap::new();
        if let Some(s) = &self.session {
            v.insert("session_token".into(), s.session_token.clone());
            v.insert("session_cookie".into(), s.cookie.clone());
            v.insert("user_email".into(), s.email.clone());
            v.insert("user_password".into(), s.password.clone());
            v.insert("user_name".into(), s.name.clone());
        }
        if let Some(t) = &self.base {
            v.insert("jwt".into(), t.as_str().to_owned());
            if let Some(iss) = t
                .claims(16)
                .ok()
                .and_then(|c| c.get("iss").and_then(Value::as_str).map(str::to_owned))
            {
                v.insert("issuer".into(), iss);
            }
        }
        v.insert(
            "frontend_origin".into(),
            self.endpoints
                .frontend_origin
                .clone()
                .unwrap_or_else(|| "http://127.0.0.1:5173".into()),
        );
        v.insert("foreign_origin".into(), "https://evil.example".into());
        if let Some(auth) = &self.endpoints.auth {
            v.insert("auth_origin".into(), auth.trim_end_matches('/').to_owned());
        }
        v
    }
}

/// Why a run could not even start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    #[error(transparent)]
    Client(#[from] http::ClientError),
    #[error("generating harness keys: {0}")]
    Keys(String),
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// RFC 3339 UTC of a Unix time.
pub fn rfc3339(secs: i64) -> String {
    let (y, m, d) = crate::target::mock::auth::civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// A progress callback: called once per finished case with the total so far.
pub type Progress<'a> = &'a (dyn Fn(usize, usize) + Sync);

/// Runs a whole audit.
pub async fn audit(
    target: TargetSpec,
    suites: Vec<Suite>,
    config: RunConfig,
    progress: Progress<'_>,
) -> Result<AuditOutcome, AuditError> {
    let started = Instant::now();
    let now = unix_now();
    let run_id = format!(
        "{}-{}",
        rfc3339(now).replace([':', '-'], ""),
        target.variant.as_deref().unwrap_or(&target.kind)
    );
    let http = Http::new(config.http.clone())?;
    let attacker = AttackerKeys::generate().map_err(|e| AuditError::Keys(e.to_string()))?;
    let mut notes = Vec::new();
    let mut unreachable = false;

    // Session and base token.
    let mut session = None;
    if target.endpoints.auth.is_some() {
        let creds = target
            .credentials
            .clone()
            .unwrap_or_else(|| Credentials::throwaway(&run_id));
        match session::bootstrap(&http, &target.endpoints, &creds).await {
            Ok(s) => session = Some(s),
            Err(e) => {
                if let session::SessionError::Transport(t) = &e {
                    unreachable |= t.target_unreachable();
                }
                notes.push(format!("could not get a session from the auth server: {e}"));
            }
        }
    }
    let base_text = session
        .as_ref()
        .map(|s| s.jwt.clone())
        .or(target.token.clone());
    let base = base_text.as_deref().and_then(|t| Token::parse(t).ok());
    if base_text.is_some() && base.is_none() {
        notes.push("the starting token is not a compact JWS".into());
    }
    let published = session
        .as_ref()
        .map(Session::published_keys)
        .unwrap_or_default();
    let kids: Vec<String> = published
        .iter()
        .filter_map(|k| k.get("kid").and_then(Value::as_str).map(str::to_owned))
        .collect();
    let mut oob_kids: Vec<&str> = vec!["authprobe-attacker"];
    oob_kids.extend(kids.iter().map(String::as_str));
    let oob = OobServer::start(&attacker, &oob_kids).await;

    let mut secrets = Vec::new();
    if let Some(s) = &session {
        secrets.extend([
            s.jwt.clone(),
            s.session_token.clone(),
            s.cookie.clone(),
            s.password.clone(),
        ]);
    }
    if let Some(t) = &base_text {
        secrets.push(t.clone());
    }
    if let Some(k) = &target.issuer_key {
        secrets.extend(k.secret_material());
    }
    secrets.retain(|s| s.len() >= 8);

    let ctx = Context {
        endpoints: target.endpoints.clone(),
        issuer_key: target.issuer_key,
        attacker,
        oob_base: oob.base_url(),
        base,
        published,
        session,
        now,
        placement: target.placement.clone(),
        contract: target.contract.clone(),
        secrets,
        auth_rate_limiting: target.auth_rate_limiting,
    };

    let runner = Runner {
        ctx: &ctx,
        http: &http,
        config: &config,
        consecutive_connect_errors: AtomicUsize::new(0),
        done: AtomicUsize::new(0),
    };
    let deadline = config.budget.map(|b| started + b);

    // Baseline controls.
    let baseline_items = runner.baseline_items();
    let total_estimate = baseline_items.len() + suites.iter().map(|s| s.cases.len()).sum::<usize>();
    let mut baseline = Vec::new();
    for item in &baseline_items {
        baseline.push(
            runner
                .run_item(item, &oob, deadline, progress, total_estimate)
                .await,
        );
    }
    // The controls decide whether the target is set up right: the valid token accepted, the
    // others refused. Anything else they find (a 5xx, a leak) is a finding, not a setup error.
    let baseline_ok = baseline.iter().zip(&baseline_items).all(|(c, item)| {
        let status = c.observed.as_ref().map(|o| o.status);
        match item.judgement.outcome {
            Some(crate::scenario::ExpectedOutcome::Accepted) => {
                status.is_some_and(|s| (200..300).contains(&s))
            }
            _ => status.is_some_and(|s| !(200..300).contains(&s)),
        }
    });
    if runner.target_down() {
        unreachable = true;
    }
    if !baseline_ok {
        notes.push(baseline_diagnosis(&baseline));
    }

    let mut suite_results = Vec::new();
    if let Some(s) = &ctx.session {
        suite_results.push(key_set_check(&s.jwks));
    }
    for suite in &suites {
        let mut cases = Vec::new();
        if !baseline_ok || unreachable {
            let reason = if unreachable {
                "the target is unreachable"
            } else {
                "baseline controls failed: the target or its configuration is wrong, cases were not judged"
            };
            for case in &suite.cases {
                cases.push(skipped_result(&suite.suite.name, case, reason));
            }
            suite_results.push(SuiteResult {
                name: suite.suite.name.clone(),
                description: suite.suite.description.clone(),
                cases,
            });
            continue;
        }
        let mut vars = ctx.variables();
        let flows_ok = runner.run_flows(suite, &mut vars, &mut notes).await;
        let items = if flows_ok {
            plan::expand(&ctx, suite, &vars)
        } else {
            // Variables the failed flow should have set are missing; nothing can be judged.
            let mut items = plan::expand(&ctx, suite, &vars);
            for it in &mut items {
                it.skip = Some("a flow step of this suite failed".into());
            }
            items
        };
        let (exclusive, concurrent): (Vec<&Item>, Vec<&Item>) =
            items.iter().partition(|i| i.exclusive);
        let total = total_estimate.max(items.len());
        let mut results: Vec<(usize, CaseResult)> =
            futures::stream::iter(concurrent.iter().enumerate())
                .map(|(n, item)| {
                    let runner = &runner;
                    let oob = &oob;
                    async move {
                        (
                            n,
                            runner.run_item(item, oob, deadline, progress, total).await,
                        )
                    }
                })
                .buffer_unordered(config.concurrency.max(1))
                .collect()
                .await;
        results.sort_by_key(|(n, _)| *n);
        cases.extend(results.into_iter().map(|(_, r)| r));
        for item in exclusive {
            cases.push(runner.run_item(item, &oob, deadline, progress, total).await);
        }
        suite_results.push(SuiteResult {
            name: suite.suite.name.clone(),
            description: suite.suite.description.clone(),
            cases,
        });
        if runner.target_down() {
            unreachable = true;
            notes.push(format!(
                "the target stopped answering during suite {}",
                suite.suite.name
            ));
        }
    }
    // Fetches of out-of-band URLs can arrive after the answer: check once more at the end.
    let fetched = oob.requested_paths().await;
    mark_late_fetches(&mut suite_results, &fetched);

    let mut report = RunReport {
        tool: "authprobe".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        run_id,
        started_at: rfc3339(now),
        duration_ms: started.elapsed().as_millis() as u64,
        target: TargetInfo {
            kind: target.kind,
            variant: target.variant,
            backend_url: ctx.endpoints.backend.clone(),
            auth_url: ctx.endpoints.auth.clone(),
            mode: if ctx.issuer_key.is_some() {
                "white-box".into()
            } else {
                "black-box".into()
            },
        },
        baseline_ok,
        baseline,
        suites: suite_results,
        summary: Default::default(),
        notes,
    };
    report.summarize();
    Ok(AuditOutcome {
        report,
        target_unreachable: unreachable,
    })
}

/// Marks cases whose OOB path was fetched after their answer was judged.
fn mark_late_fetches(suites: &mut [SuiteResult], fetched: &[String]) {
    for case in suites.iter_mut().flat_map(|s| s.cases.iter_mut()) {
        let Some(path) = case
            .tags
            .iter()
            .find_map(|t| t.strip_prefix("oob:"))
            .map(str::to_owned)
        else {
            continue;
        };
        let already = case.findings.iter().any(|f| f.rule_id == "AP-OOB-FETCH");
        if !already && fetched.iter().any(|p| p.starts_with(&path)) {
            case.findings.push(Finding {
                kind: FindingKind::Security,
                rule_id: "AP-OOB-FETCH".into(),
                severity: Severity::Critical,
                message: format!("the target fetched the harness URL {path} named in the token"),
            });
            case.outcome = Outcome::Fail;
        }
        case.tags.retain(|t| !t.starts_with("oob:"));
    }
}

/// The published key set itself (ATTACKS.md K07, E11): no private or symmetric material, every
/// key usable and strong.
fn key_set_check(jwks: &Value) -> SuiteResult {
    use crate::jwk::{KeyError, KeySet, KeySetError};
    let mut findings = Vec::new();
    let security = |message: String| Finding {
        kind: FindingKind::Security,
        rule_id: "AP-K07-jwks-private-material".into(),
        severity: Severity::Critical,
        message,
    };
    match KeySet::from_public_jwks(jwks.to_string().as_bytes()) {
        Err(
            e @ (KeySetError::PrivateMaterial { .. } | KeySetError::SymmetricKeyInPublicSet { .. }),
        ) => {
            findings.push(security(format!(
                "the published key set leaks secret key material: {e}"
            )));
        }
        Err(e) => findings.push(Finding {
            kind: FindingKind::Contract,
            rule_id: "AP-K07-jwks-unusable".into(),
            severity: Severity::High,
            message: format!("the published key set is not usable: {e}"),
        }),
        Ok(set) => {
            for ignored in set.ignored() {
                let weak = matches!(
                    ignored.reason,
                    KeyError::RsaTooSmall { .. }
                        | KeyError::WeakEd25519
                        | KeyError::RsaRoca
                        | KeyError::RsaBadExponent
                );
                findings.push(Finding {
                    kind: if weak {
                        FindingKind::Security
                    } else {
                        FindingKind::Informational
                    },
                    rule_id: if weak {
                        "AP-E11-rsa-small-modulus".into()
                    } else {
                        "AP-K07-jwks-ignored-key".into()
                    },
                    severity: if weak { Severity::High } else { Severity::Info },
                    message: format!("published key ignored: {ignored}"),
                });
            }
        }
    }
    let failing = findings
        .iter()
        .any(|f| f.kind != FindingKind::Informational);
    let keys = jwks["keys"].as_array().map_or(0, Vec::len);
    SuiteResult {
        name: "key-set".into(),
        description:
            "The issuer's published key set: public members only, every key usable and strong."
                .into(),
        cases: vec![CaseResult {
            suite: "key-set".into(),
            id: "published-key-set".into(),
            title: format!("the published key set ({keys} keys) holds only usable public keys"),
            rule_id: "AP-K07-jwks-private-material".into(),
            severity: Severity::Critical,
            tags: vec!["key-set".into()],
            catalogue_id: Some("K07".into()),
            references: vec!["RFC 7517 §4-5".into(), "RFC 7518 §3.3".into()],
            outcome: if failing {
                Outcome::Fail
            } else {
                Outcome::Pass
            },
            findings,
            expected: "public members only; RSA ≥ 2048 bits; valid points".into(),
            observed: None,
            request: None,
            reproduction: None,
            message: None,
            duration_ms: 0,
        }],
    }
}

fn baseline_diagnosis(baseline: &[CaseResult]) -> String {
    let failed: Vec<String> = baseline
        .iter()
        .filter(|c| {
            c.outcome != Outcome::Pass && c.observed.as_ref().is_none_or(|o| o.status < 500)
        })
        .map(|c| {
            format!(
                "{} ({})",
                c.title,
                c.message.clone().unwrap_or_else(|| c
                    .findings
                    .iter()
                    .map(|f| f.message.clone())
                    .collect::<Vec<_>>()
                    .join("; "))
            )
        })
        .collect();
    format!(
        "baseline controls failed, so the suites were not judged: {}. Check the backend URL, the token placement and the issuer/audience the backend expects.",
        failed.join("; ")
    )
}

fn skipped_result(suite: &str, case: &CaseSpec, reason: &str) -> CaseResult {
    CaseResult {
        suite: suite.into(),
        id: case.id.clone(),
        title: case.title.clone(),
        rule_id: case.rule.clone(),
        severity: case.severity,
        tags: case.tags.clone(),
        catalogue_id: case.token.catalogue.clone(),
        references: vec![],
        outcome: Outcome::Skip,
        findings: vec![],
        expected: String::new(),
        observed: None,
        request: None,
        reproduction: None,
        message: Some(reason.into()),
        duration_ms: 0,
    }
}

struct Runner<'a> {
    ctx: &'a Context,
    http: &'a Http,
    config: &'a RunConfig,
    consecutive_connect_errors: AtomicUsize,
    done: AtomicUsize,
}

impl Runner<'_> {
    fn target_down(&self) -> bool {
        self.consecutive_connect_errors.load(Ordering::Relaxed)
            >= self.config.max_consecutive_connect_errors
    }

    fn baseline_items(&self) -> Vec<Item> {
        let mk = |id: &str, title: &str, token: Option<String>, outcome, statuses: Vec<u16>| {
            let mut headers = Vec::new();
            if let Some(t) = &token {
                headers.push(("__placement__".to_owned(), t.clone()));
            }
            Item {
                suite: "baseline".into(),
                id: id.into(),
                title: title.into(),
                rule_id: format!("AP-BASELINE-{}", id.to_uppercase()),
                severity: Severity::High,
                tags: vec!["baseline".into()],
                catalogue_id: None,
                references: vec![],
                server: Server::Backend,
                method: "GET".into(),
                path: "/api/me".into(),
                headers,
                body: None,
                repeat: 1,
                retries: 1,
                token,
                judgement: plan::Judgement {
                    outcome: Some(outcome),
                    statuses,
                    no_secrets: true,
                    ..Default::default()
                },
                oob_path: None,
                exclusive: false,
                skip: None,
                expected_text: String::new(),
            }
        };
        use crate::scenario::ExpectedOutcome::*;
        let valid = self.ctx.base.as_ref().map(|t| t.as_str().to_owned());
        let mut items = vec![];
        let mut v = mk(
            "valid-token",
            "a valid token is accepted",
            valid.clone(),
            Accepted,
            vec![],
        );
        v.expected_text = "accepted (2xx)".into();
        if valid.is_none() {
            v.skip = Some("no valid token: no session from the auth server and no --token".into());
        }
        items.push(v);
        let mut n = mk(
            "no-token",
            "no token is rejected",
            None,
            Rejected,
            vec![401],
        );
        n.expected_text = "401".into();
        items.push(n);
        let mut g = mk(
            "garbage-token",
            "a garbage token is rejected",
            Some("authprobe.garbage.token".into()),
            Rejected,
            vec![401],
        );
        g.expected_text = "401".into();
        items.push(g);
        items
    }

    /// Runs the suite's flow steps, capturing variables; false if one failed.
    async fn run_flows(
        &self,
        suite: &Suite,
        vars: &mut BTreeMap<String, String>,
        notes: &mut Vec<String>,
    ) -> bool {
        for step in &suite.flows {
            match self.run_flow_step(step, vars).await {
                Ok(()) => {}
                Err(e) => {
                    notes.push(format!(
                        "suite {}: flow step {:?} failed: {}",
                        suite.suite.name,
                        step.name,
                        redact::redact(&e, &self.ctx.secrets)
                    ));
                    return false;
                }
            }
        }
        true
    }

    async fn run_flow_step(
        &self,
        step: &FlowStep,
        vars: &mut BTreeMap<String, String>,
    ) -> Result<(), String> {
        let base = self
            .ctx
            .server_url(step.server)
            .ok_or("the target has no such server")?;
        let prefix = if step.server == Server::Auth {
            self.ctx.endpoints.auth_base_path.clone()
        } else {
            String::new()
        };
        let path = plan::expand_vars(&step.request.path, vars)?;
        let mut headers = Vec::new();
        for (name, value) in &step.request.headers {
            headers.push((name.to_ascii_lowercase(), plan::expand_vars(value, vars)?));
        }
        if let Some(values) = &step.request.authorization {
            for v in values {
                headers.push(("authorization".into(), plan::expand_vars(v, vars)?));
            }
        }
        let body = match &step.request.body {
            Some(b) => {
                if let Some(ct) = &step.request.content_type {
                    headers.push(("content-type".into(), ct.clone()));
                }
                Some(plan::expand_vars(b, vars)?.into_bytes())
            }
            None => None,
        };
        let out = Outgoing {
            method: step.request.method.clone(),
            url: format!("{base}{prefix}{path}"),
            headers,
            body,
        };
        let response = self.http.send(&out).await.map_err(|e| e.to_string())?;
        if let Some(expected) = step.expect_status {
            if response.status != expected {
                return Err(format!("HTTP {} (expected {expected})", response.status));
            }
        }
        for (var, source) in &step.capture {
            let value = capture(&response, source)
                .ok_or_else(|| format!("nothing to capture for {var} from {source}"))?;
            vars.insert(var.clone(), value);
        }
        Ok(())
    }

    /// Builds the outgoing request: the server URL, the auth base path, and the token where the
    /// target expects it.
    fn outgoing(&self, item: &Item) -> Option<Outgoing> {
        let base = self.ctx.server_url(item.server)?;
        let prefix = if item.server == Server::Auth {
            self.ctx.endpoints.auth_base_path.as_str()
        } else {
            ""
        };
        let mut path = item.path.clone();
        let mut headers = Vec::new();
        let mut body = item.body.clone();
        for (name, value) in &item.headers {
            if name != "__placement__" {
                headers.push((name.clone(), value.clone()));
                continue;
            }
            let p = &self.ctx.placement;
            match p.placement.as_str() {
                "cookie" => headers.push(("cookie".into(), format!("{}={value}", p.name))),
                "query" => {
                    let sep = if path.contains('?') { '&' } else { '?' };
                    path = format!("{path}{sep}{}={value}", p.name);
                }
                "json-body" => {
                    body = Some(
                        serde_json::json!({ p.name.clone(): value })
                            .to_string()
                            .into_bytes(),
                    );
                    headers.push(("content-type".into(), "application/json".into()));
                }
                _ => {
                    let v = if p.scheme.is_empty() {
                        value.clone()
                    } else {
                        format!("{} {value}", p.scheme)
                    };
                    headers.push((p.name.to_ascii_lowercase(), v));
                }
            }
        }
        Some(Outgoing {
            method: item.method.clone(),
            url: format!("{base}{prefix}{path}"),
            headers,
            body,
        })
    }

    async fn send_with_retries(
        &self,
        out: &Outgoing,
        retries: u32,
    ) -> Result<Incoming, TransportError> {
        let mut attempt = 0;
        loop {
            let result = self.http.send(out).await;
            match &result {
                Ok(_) => {
                    self.consecutive_connect_errors.store(0, Ordering::Relaxed);
                    return result;
                }
                Err(e) => {
                    if e.target_unreachable() {
                        self.consecutive_connect_errors
                            .fetch_add(1, Ordering::Relaxed);
                    }
                    if attempt >= retries || self.target_down() {
                        return result;
                    }
                    attempt += 1;
                }
            }
        }
    }

    async fn run_item(
        &self,
        item: &Item,
        oob: &OobServer,
        deadline: Option<Instant>,
        progress: Progress<'_>,
        total: usize,
    ) -> CaseResult {
        let started = Instant::now();
        let mut result = CaseResult {
            suite: item.suite.clone(),
            id: item.id.clone(),
            title: redact::redact(&item.title, &self.ctx.secrets),
            rule_id: item.rule_id.clone(),
            severity: item.severity,
            tags: item.tags.clone(),
            catalogue_id: item.catalogue_id.clone(),
            references: item.references.clone(),
            outcome: Outcome::Skip,
            findings: vec![],
            expected: item.expected_text.clone(),
            observed: None,
            request: None,
            reproduction: None,
            message: item.skip.clone(),
            duration_ms: 0,
        };
        let finish = |r: CaseResult| {
            let n = self.done.fetch_add(1, Ordering::Relaxed) + 1;
            progress(n, total);
            r
        };
        if item.skip.is_some() {
            return finish(result);
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            result.message = Some("not run: the time budget was used up".into());
            return finish(result);
        }
        if self.target_down() {
            result.outcome = Outcome::Error;
            result.message = Some("not sent: the target stopped answering".into());
            return finish(result);
        }
        let Some(out) = self.outgoing(item) else {
            result.message = Some("the target has no such server".into());
            return finish(result);
        };
        let secrets = &self.ctx.secrets;
        let token = item.token.as_deref();
        result.request = Some(RequestRecord {
            method: out.method.clone(),
            url: redact::redact(&out.url, secrets),
            headers: out
                .headers
                .iter()
                .map(|(n, v)| {
                    (
                        n.clone(),
                        redact::redact(&v.replace(token.unwrap_or("\u{0}"), "$TOKEN"), secrets),
                    )
                })
                .collect(),
            body: out
                .body
                .as_ref()
                .map(|b| redact::redact(&String::from_utf8_lossy(b), secrets)),
        });
        result.reproduction = Some(redact::curl(
            &out.method,
            &out.url,
            &out.headers,
            out.body.as_deref(),
            token,
            secrets,
        ));
        let mut last = None;
        for n in 0..item.repeat {
            let mut this = out.clone();
            for (_, v) in this.headers.iter_mut() {
                *v = v.replace("{{repeat}}", &n.to_string());
            }
            match self.send_with_retries(&this, item.retries).await {
                Ok(r) => last = Some(Ok(r)),
                Err(e) => {
                    last = Some(Err(e));
                    break;
                }
            }
        }
        result.duration_ms = started.elapsed().as_millis() as u64;
        match last {
            Some(Ok(response)) => {
                let fetched = match &item.oob_path {
                    Some(path) => {
                        result.tags.push(format!("oob:{path}"));
                        oob.was_fetched(path).await
                    }
                    None => false,
                };
                let evidence = Evidence {
                    secrets,
                    contract: &self.ctx.contract,
                    oob_fetched: fetched,
                };
                let mut findings = judge::judge(item, &response, &evidence);
                if item.tags.iter().any(|t| t == "lifecycle") {
                    if let Some(lifetime) = measured_lifetime(&out, unix_now()) {
                        for f in &mut findings {
                            f.message.push_str(&format!("; {lifetime}"));
                        }
                        result.message = Some(lifetime);
                    }
                }
                for f in &mut findings {
                    f.message = redact::redact(&f.message, secrets);
                }
                let failing = findings
                    .iter()
                    .any(|f| f.kind != FindingKind::Informational);
                result.outcome = if failing {
                    Outcome::Fail
                } else {
                    Outcome::Pass
                };
                result.findings = findings;
                result.observed = Some(observe(&response, secrets, token));
            }
            Some(Err(e)) => {
                result.outcome = Outcome::Error;
                result.message = Some(redact::redact(&e.to_string(), secrets));
            }
            None => {}
        }
        finish(result)
    }
}

/// The lifetime of the JWT a request carries: `exp − iat`, and what was left of it when sent.
fn measured_lifetime(out: &Outgoing, now: i64) -> Option<String> {
    let token = out.headers.iter().find_map(|(name, value)| {
        (name == "authorization").then(|| value.split_whitespace().last().unwrap_or_default())
    })?;
    let claims = Token::parse(token).ok()?.claims(16).ok()?;
    let exp = claims.get("exp")?.as_i64()?;
    let iat = claims.get("iat")?.as_i64()?;
    Some(format!(
        "measured token lifetime (exp − iat) {} s; still valid for {} s when replayed",
        exp - iat,
        (exp - now).max(0)
    ))
}

fn observe(response: &Incoming, secrets: &[String], token: Option<&str>) -> Observed {
    const SHOWN: [&str; 9] = [
        "www-authenticate",
        "content-type",
        "cache-control",
        "retry-after",
        "x-retry-after",
        "access-control-allow-origin",
        "access-control-allow-credentials",
        "access-control-allow-headers",
        "location",
    ];
    let mut all = secrets.to_vec();
    if let Some(t) = token {
        all.push(t.to_owned());
    }
    let body = String::from_utf8_lossy(&response.body);
    observed_from(
        response,
        &all,
        |name| SHOWN.contains(&name) || name == "set-cookie",
        &body.chars().take(512).collect::<String>(),
    )
}

/// What a report shows of an answer: its status, the contract code of a JSON body, the headers
/// `shown` picks and the body excerpt, both with every one of `secrets` redacted.
pub(crate) fn observed_from(
    response: &Incoming,
    secrets: &[String],
    shown: impl Fn(&str) -> bool,
    body_excerpt: &str,
) -> Observed {
    Observed {
        status: response.status,
        code: serde_json::from_slice::<Value>(&response.body)
            .ok()
            .and_then(|v| v.get("code").and_then(Value::as_str).map(str::to_owned)),
        headers: response
            .headers
            .iter()
            .filter(|(n, _)| shown(n))
            .map(|(n, v)| (n.clone(), redact::redact(v, secrets)))
            .collect(),
        body_excerpt: redact::redact(body_excerpt, secrets),
    }
}

/// A captured value: `header:<name>`, `json:<pointer>` or `cookie:<name>` (the `name=value` pair).
fn capture(response: &Incoming, source: &str) -> Option<String> {
    let (kind, what) = source.split_once(':')?;
    match kind {
        "header" => response.header(what).map(str::to_owned),
        "json" => {
            let doc: Value = serde_json::from_slice(&response.body).ok()?;
            let v = doc.pointer(what)?;
            Some(v.as_str().map_or_else(|| v.to_string(), str::to_owned))
        }
        "cookie" => response
            .header_all("set-cookie")
            .filter_map(|c| c.split(';').next())
            .find(|pair| {
                pair.split('=')
                    .next()
                    .is_some_and(|n| n == what || n.ends_with(what))
            })
            .map(str::to_owned),
        _ => None,
    }
}
