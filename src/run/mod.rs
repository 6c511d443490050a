//! The runner: baseline controls first, then every suite's flows and cases against a deployment
//! (mock or live, always over HTTP), with bounded concurrency, a per-request timeout, an overall
//! budget and an optional rate; each answer judged; one [`RunReport`] out, written even when the
//! target dies half-way.

pub mod builtin;
pub mod judge;
pub mod plan;
pub mod redact;

use self::judge::Evidence;
use self::plan::Item;
use crate::dangerous::forge::{AttackerKeys, Severity};
use crate::deployment::endpoint::Endpoint;
use crate::deployment::http::{self, Http, HttpOptions, Incoming, Outgoing, TransportError};
use crate::deployment::oob::OobServer;
use crate::deployment::placement::{Carrier, Parts};
use crate::deployment::profile::{ContractSection, PolicySection, TokenPlacement};
use crate::deployment::session::{self, Credentials, Session};
use crate::deployment::Endpoints;
use crate::judge::FlawClass;
use crate::report::{
    CaseResult, Finding, FindingKind, Observed, Outcome, RequestRecord, RunReport, SuiteResult,
    TargetInfo,
};
use crate::scenario::{CaseSpec, FlowStep, Need, Server, Suite};
use crate::sign::SigningKey;
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
    /// Where the out-of-band listener listens (`--listen`; default: one per target on
    /// 127.0.0.1, an ephemeral port) …
    pub oob_listen: Option<std::net::SocketAddr>,
    /// … and the URL forged tokens name to reach it (`--callback-url`; default its address).
    pub oob_callback: Option<String>,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            concurrency: 16,
            budget: None,
            http: HttpOptions::default(),
            max_consecutive_connect_errors: 8,
            oob_listen: None,
            oob_callback: None,
        }
    }
}

/// What is audited.
pub struct TargetSpec {
    /// The target's name in reports (the profile's `[target] name`, the mock's variant, or the
    /// backend URL); part of every finding's fingerprint, so keep it stable between runs.
    pub name: String,
    /// `mock` or `live`.
    pub kind: String,
    pub variant: Option<String>,
    pub endpoints: Endpoints,
    /// The issuer's private key(s) (white-box): with several, each target uses the one whose
    /// public key its issuer publishes; a single key is used as given.
    pub issuer_keys: Vec<SigningKey>,
    /// A token to start from when there is no auth server.
    pub token: Option<String>,
    pub credentials: Option<Credentials>,
    pub placement: TokenPlacement,
    pub contract: ContractSection,
    /// Whether the auth server rate-limits (Better Auth: production mode).
    pub auth_rate_limiting: bool,
    /// Overrides of the reference policy (default: the audit profile for the token's issuer,
    /// the token's algorithm only).
    pub policy: PolicySection,
    /// The published key set, when there is no auth server to fetch it from.
    pub jwks: Option<Value>,
    /// Another target of the same run audits the shared auth server (its suite cases are not
    /// repeated for every backend behind it).
    pub auth_server_audited_by: Option<String>,
    /// The backend's protected endpoints (empty: `GET /api/me`); every case sent to
    /// [`PROTECTED_PATH`](crate::deployment::endpoint::PROTECTED_PATH) runs against each, and the
    /// report lists each endpoint as a target of its own.
    pub protected: Vec<Endpoint>,
    /// Remarks from setting the target up (e.g. OpenAPI operations left out), shown in the report.
    pub setup_notes: Vec<String>,
    /// The target this one is an endpoint of, when a target with several endpoints was split.
    pub endpoint_group: Option<String>,
}

impl TargetSpec {
    /// A target with these endpoints and every other setting at its default: no issuer key
    /// (black-box), a throwaway user, `Authorization: Bearer`, the contract's codes, the Better
    /// Auth reference policy for the issuer's tokens.
    pub fn new(
        name: impl Into<String>,
        kind: impl Into<String>,
        endpoints: Endpoints,
    ) -> TargetSpec {
        TargetSpec {
            name: name.into(),
            kind: kind.into(),
            variant: None,
            endpoints,
            issuer_keys: Vec::new(),
            token: None,
            credentials: None,
            placement: TokenPlacement::default(),
            contract: ContractSection::default(),
            auth_rate_limiting: false,
            policy: PolicySection::default(),
            jwks: None,
            auth_server_audited_by: None,
            protected: Vec::new(),
            setup_notes: Vec::new(),
            endpoint_group: None,
        }
    }

    /// The embedded mock deployment as a white-box target (the harness holds its issuer key).
    pub fn for_mock(mock: &crate::deployment::mock::MockDeployment) -> TargetSpec {
        TargetSpec {
            name: match mock.flaw {
                Some(f) => format!("mock:{}", f.name()),
                None => "mock".into(),
            },
            kind: "mock".into(),
            variant: mock.flaw.map(|f| f.name().to_owned()),
            endpoints: mock.endpoints(),
            issuer_keys: mock.issuer_key().try_clone().into_iter().collect(),
            token: None,
            credentials: None,
            placement: match &mock.cookie_contract {
                Some(name) => TokenPlacement {
                    placement: "cookie".into(),
                    name: name.clone(),
                    scheme: String::new(),
                },
                None => TokenPlacement::default(),
            },
            contract: ContractSection {
                realm: Some(crate::deployment::mock::REALM.into()),
                ..ContractSection::default()
            },
            auth_rate_limiting: mock.state.rate_limiting,
            policy: PolicySection::default(),
            jwks: None,
            auth_server_audited_by: None,
            protected: Vec::new(),
            setup_notes: Vec::new(),
            endpoint_group: None,
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
    pub attacker: std::sync::Arc<AttackerKeys>,
    pub oob_base: String,
    pub base: Option<Token>,
    pub published: Vec<Map<String, Value>>,
    pub session: Option<Session>,
    pub now: i64,
    pub placement: TokenPlacement,
    pub contract: ContractSection,
    pub secrets: Vec<String>,
    pub auth_rate_limiting: bool,
    /// The reference validator with the target's policy and published keys; absent when the
    /// run has no key set (then suite expectations judge).
    pub oracle: Option<crate::judge::Oracle>,
    /// Set when another target of the run audits the shared auth server.
    pub auth_server_audited_by: Option<String>,
    /// The protected endpoint this audit sends its cases to.
    pub protected: Endpoint,
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
            Server::Auth if self.auth_server_audited_by.is_some() => {
                return Some(format!(
                    "the auth server is audited once per run, with target {}",
                    self.auth_server_audited_by.as_deref().unwrap_or_default()
                ))
            }
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
            Need::Token if self.base.is_none() => {
                Some("needs a valid token (a Better Auth session, or --token)".into())
            }
            Need::RateLimiting if !self.auth_rate_limiting => {
                Some("the auth server does not rate-limit (Better Auth enables it only with NODE_ENV=production)".into())
            }
            Need::Cors if self.endpoints.frontend_origin.is_none() => Some("no front-end origin configured".into()),
            Need::HeaderPlacement if self.placement.placement != "header" => Some(format!(
                "the target's contract carries the token in a {} (only header contracts are checked for tokens elsewhere)",
                self.placement.placement
            )),
            Need::CookiePlacement if self.placement.placement != "cookie" => Some(format!(
                "the target's contract carries the token in a {} (these cases are for cookie contracts)",
                self.placement.placement
            )),
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
                .unverified_claims(16)
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
    #[error("no target to audit")]
    NoTarget,
    #[error("{0}")]
    Listener(String),
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// RFC 3339 UTC of a Unix time.
pub fn rfc3339(secs: i64) -> String {
    let (y, m, d) = crate::deployment::mock::auth::civil_from_days(secs.div_euclid(86_400));
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

/// Runs a whole audit of one target (of each of its protected endpoints, into one report).
pub async fn audit(
    target: TargetSpec,
    suites: Vec<Suite>,
    config: RunConfig,
    progress: Progress<'_>,
) -> Result<AuditOutcome, AuditError> {
    if target.protected.len() > 1 {
        // Several endpoints are several audits, one report.
        return audit_many(vec![target], suites, config, progress).await;
    }
    let shared = Shared::new(&config).await?;
    audit_target(target, &suites, &config, progress, &shared).await
}

/// Audits several targets at once, concurrently, and merges their reports into one. Targets
/// behind the same auth server share one session (one sign-up), and all share the harness's
/// attacker keys.
pub async fn audit_many(
    targets: Vec<TargetSpec>,
    suites: Vec<Suite>,
    config: RunConfig,
    progress: Progress<'_>,
) -> Result<AuditOutcome, AuditError> {
    let shared = Shared::new(&config).await?;
    let mut targets: Vec<TargetSpec> = targets.into_iter().flat_map(per_endpoint).collect();
    let count = targets.len();
    let mut first_by_auth: BTreeMap<String, String> = BTreeMap::new();
    for t in &mut targets {
        if let Some(auth) = &t.endpoints.auth {
            let key = format!("{auth}{}", t.endpoints.auth_base_path);
            match first_by_auth.get(&key) {
                Some(first) => t.auth_server_audited_by = Some(first.clone()),
                None => {
                    first_by_auth.insert(key, t.name.clone());
                }
            }
        }
    }
    let runs = futures::future::join_all(
        targets
            .into_iter()
            .map(|t| audit_target(t, &suites, &config, progress, &shared)),
    )
    .await;
    let mut reports = Vec::with_capacity(count);
    let mut unreachable = false;
    for run in runs {
        let run = run?;
        unreachable |= run.target_unreachable;
        reports.push(run.report);
    }
    let run_id = match reports.as_slice() {
        [one] => one.run_id.clone(),
        _ => format!(
            "{}-{count}-targets",
            rfc3339(unix_now()).replace([':', '-'], "")
        ),
    };
    let report = RunReport::merge(reports, run_id).ok_or(AuditError::NoTarget)?;
    Ok(AuditOutcome {
        report,
        target_unreachable: unreachable,
    })
}

/// One target per protected endpoint: with one endpoint the target as given; with several,
/// each named `<name> <METHOD> <path>`, in the group `<name>`, signing in as the same user.
fn per_endpoint(mut target: TargetSpec) -> Vec<TargetSpec> {
    let mut protected = std::mem::take(&mut target.protected);
    let mut seen = std::collections::BTreeSet::new();
    protected.retain(|e| seen.insert(e.to_string()));
    if protected.len() <= 1 {
        target.protected = protected;
        return vec![target];
    }
    if target.credentials.is_none() && target.endpoints.auth.is_some() {
        target.credentials = Some(Credentials::throwaway(&format!(
            "{}-{}",
            rfc3339(unix_now()).replace([':', '-'], ""),
            target.name
        )));
    }
    let group = target.name.clone();
    let mut notes = std::mem::take(&mut target.setup_notes);
    protected
        .into_iter()
        .map(|endpoint| TargetSpec {
            name: format!("{group} {endpoint}"),
            kind: target.kind.clone(),
            variant: target.variant.clone(),
            endpoints: target.endpoints.clone(),
            issuer_keys: target
                .issuer_keys
                .iter()
                .filter_map(SigningKey::try_clone)
                .collect(),
            token: target.token.clone(),
            credentials: target.credentials.clone(),
            placement: target.placement.clone(),
            contract: target.contract.clone(),
            auth_rate_limiting: target.auth_rate_limiting,
            policy: target.policy.clone(),
            jwks: target.jwks.clone(),
            auth_server_audited_by: target.auth_server_audited_by.clone(),
            protected: vec![endpoint],
            // The group's remarks are shown once, with its first endpoint.
            setup_notes: std::mem::take(&mut notes),
            endpoint_group: Some(group.clone()),
        })
        .collect()
}

/// What concurrent audits share: one HTTP client, the attacker keys, one session per auth
/// server and credentials.
struct Shared {
    http: Http,
    attacker: std::sync::Arc<AttackerKeys>,
    sessions:
        tokio::sync::Mutex<BTreeMap<String, std::sync::Arc<tokio::sync::OnceCell<SessionResult>>>>,
    /// Captures of auth-server-only flows, per auth server, user and suite.
    flows: tokio::sync::Mutex<BTreeMap<String, std::sync::Arc<tokio::sync::OnceCell<FlowResult>>>>,
    /// The out-of-band listener at `--listen`, shared by every target (none: one each).
    oob_hub: Option<crate::deployment::oob::OobHub>,
}

/// Whether a suite's flows succeeded, the variables they captured, and their notes.
type FlowResult = (bool, BTreeMap<String, String>, Vec<String>);

/// A session, or why there is none (and whether the auth server was unreachable).
type SessionResult = Result<Session, (String, bool)>;

impl Shared {
    async fn new(config: &RunConfig) -> Result<Shared, AuditError> {
        let oob_hub = match config.oob_listen {
            Some(addr) => Some(
                crate::deployment::oob::OobHub::start(addr, config.oob_callback.as_deref())
                    .await
                    .map_err(|e| AuditError::Listener(e.to_string()))?,
            ),
            None if config.oob_callback.is_some() => {
                return Err(AuditError::Listener(
                    "--callback-url needs --listen: the address the callback URL reaches".into(),
                ))
            }
            None => None,
        };
        Ok(Shared {
            oob_hub,
            http: Http::new(config.http.clone())?,
            attacker: std::sync::Arc::new(
                AttackerKeys::generate().map_err(|e| AuditError::Keys(e.to_string()))?,
            ),
            sessions: Default::default(),
            flows: Default::default(),
        })
    }

    /// The session for this auth server and these credentials, signed up once.
    async fn session(
        &self,
        endpoints: &crate::deployment::Endpoints,
        creds: &Credentials,
    ) -> SessionResult {
        let key = format!(
            "{}{}\u{0}{}",
            endpoints.auth.as_deref().unwrap_or_default(),
            endpoints.auth_base_path,
            creds.email
        );
        let cell = self.sessions.lock().await.entry(key).or_default().clone();
        cell.get_or_init(|| async {
            session::bootstrap(&self.http, endpoints, creds)
                .await
                .map_err(|e| {
                    let unreachable =
                        matches!(&e, session::SessionError::Transport(t) if t.target_unreachable());
                    (e.to_string(), unreachable)
                })
        })
        .await
        .clone()
    }
}

async fn audit_target(
    target: TargetSpec,
    suites: &[Suite],
    config: &RunConfig,
    progress: Progress<'_>,
    shared: &Shared,
) -> Result<AuditOutcome, AuditError> {
    let started = Instant::now();
    let now = unix_now();
    let run_id = format!(
        "{}-{}",
        rfc3339(now).replace([':', '-'], ""),
        target.variant.as_deref().unwrap_or(&target.kind)
    );
    let http = &shared.http;
    let attacker = shared.attacker.clone();
    let mut notes = target.setup_notes.clone();
    let mut unreachable = false;
    let protected = target.protected.first().cloned().unwrap_or_default();

    // Session and base token.
    let mut session = None;
    if target.endpoints.auth.is_some() {
        let creds = target
            .credentials
            .clone()
            .unwrap_or_else(|| Credentials::throwaway(&run_id));
        match shared.session(&target.endpoints, &creds).await {
            Ok(s) => session = Some(s),
            Err((e, down)) => {
                unreachable |= down;
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
    let jwks = session
        .as_ref()
        .map(|s| s.jwks.clone())
        .or_else(|| target.jwks.clone());
    let published: Vec<Map<String, Value>> = jwks
        .as_ref()
        .and_then(|j| j["keys"].as_array())
        .map(|a| a.iter().filter_map(|k| k.as_object().cloned()).collect())
        .unwrap_or_default();
    let oracle = match (&base, &jwks) {
        (Some(base), Some(jwks)) => match reference_oracle(base, jwks, &target) {
            Ok(o) => Some(o),
            Err(e) => {
                notes.push(format!(
                    "no reference verdicts (suite expectations judge instead): {e}"
                ));
                None
            }
        },
        _ => None,
    };
    let kids: Vec<String> = published
        .iter()
        .filter_map(|k| k.get("kid").and_then(Value::as_str).map(str::to_owned))
        .collect();
    let mut oob_kids: Vec<&str> = vec!["authprobe-attacker"];
    oob_kids.extend(kids.iter().map(String::as_str));
    let oob = match &shared.oob_hub {
        Some(hub) => OobServer::on_hub(hub, &attacker, &oob_kids).await,
        None => OobServer::start(&attacker, &oob_kids).await,
    };

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
    let (issuer_key, key_note) = pick_issuer_key(target.issuer_keys, jwks.as_ref());
    notes.extend(key_note);
    if let Some(k) = &issuer_key {
        secrets.extend(k.secret_material());
    }
    secrets.retain(|s| s.len() >= 8);

    let ctx = Context {
        endpoints: target.endpoints.clone(),
        issuer_key,
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
        oracle,
        auth_server_audited_by: target.auth_server_audited_by.clone(),
        protected,
    };

    let runner = Runner {
        ctx: &ctx,
        http,
        config,
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
                status.is_some_and(|s| ctx.protected.accepts(s))
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
    let mut slow_candidates: Vec<(usize, usize, Item)> = Vec::new();
    if let Some(s) = &ctx.session {
        suite_results.push(key_set_check(&s.jwks));
    }
    for suite in suites {
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
                target: String::new(),
                name: suite.suite.name.clone(),
                description: suite.suite.description.clone(),
                cases,
            });
            continue;
        }
        if ctx.endpoints.auth.is_none() && suite.flows.iter().any(|f| f.server == Server::Auth) {
            // No auth server to sign in, sign out or mint at (an audit started from a token).
            let reason = "needs the auth server for its flow (the target names none: auth_url)";
            suite_results.push(SuiteResult {
                target: String::new(),
                name: suite.suite.name.clone(),
                description: suite.suite.description.clone(),
                cases: suite
                    .cases
                    .iter()
                    .map(|c| skipped_result(&suite.suite.name, c, reason))
                    .collect(),
            });
            continue;
        }
        let mut vars = ctx.variables();
        // Flows that only talk to the auth server (sign in, get a token, sign out) run once per
        // auth server and session; every backend behind it is judged on their captures.
        let shareable = !suite.flows.is_empty()
            && suite.flows.iter().all(|f| f.server == Server::Auth)
            && ctx.endpoints.auth.is_some();
        let flows_ok = if shareable {
            let key = format!(
                "{}{}\u{0}{}\u{0}{}",
                ctx.endpoints.auth.as_deref().unwrap_or_default(),
                ctx.endpoints.auth_base_path,
                vars.get("user_email").map_or("", String::as_str),
                suite.suite.name
            );
            let cell = shared.flows.lock().await.entry(key).or_default().clone();
            let captured = cell
                .get_or_init(|| async {
                    let mut v = vars.clone();
                    let mut flow_notes = Vec::new();
                    let ok = runner.run_flows(suite, &mut v, &mut flow_notes).await;
                    (ok, v, flow_notes)
                })
                .await;
            vars.clone_from(&captured.1);
            notes.extend(captured.2.iter().cloned());
            captured.0
        } else {
            runner.run_flows(suite, &mut vars, &mut notes).await
        };
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
        for item in exclusive.iter().copied() {
            cases.push(runner.run_item(item, &oob, deadline, progress, total).await);
        }
        // Answers that took long under the run's load are re-measured alone at the end.
        let suite_index = suite_results.len();
        for (case_index, (case, item)) in cases
            .iter()
            .zip(concurrent.iter().chain(exclusive.iter()))
            .enumerate()
        {
            let timed_out = case.outcome == Outcome::Error
                && case
                    .message
                    .as_deref()
                    .is_some_and(|m| m.contains("timed out"));
            if matches!(case.suite.as_str(), "attacks" | "placement")
                && (case.observed.is_some() || timed_out)
                && case.duration_ms >= SLOW_FLOOR.as_millis() as u64
            {
                slow_candidates.push((suite_index, case_index, (*item).clone()));
            }
        }
        suite_results.push(SuiteResult {
            target: String::new(),
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
    runner
        .confirm_slow_answers(&mut suite_results, slow_candidates, config.http.timeout)
        .await;

    let mut report = RunReport {
        tool: "authprobe".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        run_id,
        started_at: rfc3339(now),
        duration_ms: started.elapsed().as_millis() as u64,
        target: TargetInfo {
            name: target.name.clone(),
            baseline_ok,
            duration_ms: started.elapsed().as_millis() as u64,
            kind: target.kind,
            variant: target.variant,
            backend_url: ctx.endpoints.backend.clone(),
            auth_url: ctx.endpoints.auth.clone(),
            mode: if ctx.issuer_key.is_some() {
                "white-box".into()
            } else {
                "black-box".into()
            },
            endpoint: Some(ctx.protected.to_string()),
            endpoint_group: target.endpoint_group.clone(),
        },
        baseline_ok,
        baseline,
        suites: suite_results,
        summary: Default::default(),
        notes,
        gate: Default::default(),
        absent: Vec::new(),
        lifecycle: Vec::new(),
        endpoint_divergences: Vec::new(),
        targets: Vec::new(),
    };
    report.label_target();
    report.summarize();
    Ok(AuditOutcome {
        report,
        target_unreachable: unreachable,
    })
}

/// The issuer key a target's audit signs with: the one given, or among several the one whose
/// public key the target's issuer publishes (with a note when none does).
pub fn pick_issuer_key(
    mut keys: Vec<SigningKey>,
    jwks: Option<&Value>,
) -> (Option<SigningKey>, Option<String>) {
    if keys.len() <= 1 {
        return (keys.pop(), None);
    }
    let published: Vec<&Map<String, Value>> = jwks
        .and_then(|j| j["keys"].as_array())
        .map(|a| a.iter().filter_map(Value::as_object).collect())
        .unwrap_or_default();
    let found = keys.iter().position(|k| {
        let public = k.public_jwk(None, None);
        published.iter().any(|p| same_public_key(&public, p))
    });
    match found {
        Some(i) => (Some(keys.swap_remove(i)), None),
        None => (
            None,
            Some(format!(
                "none of the {} issuer keys given is published by this target's issuer: black-box audit",
                keys.len()
            )),
        ),
    }
}

/// True when two JWKs hold the same public key (type and key material; `kid`, `alg` and the
/// rest ignored).
fn same_public_key(a: &Map<String, Value>, b: &Map<String, Value>) -> bool {
    let members: &[&str] = match a.get("kty").and_then(Value::as_str) {
        Some("OKP") => &["kty", "crv", "x"],
        Some("EC") => &["kty", "crv", "x", "y"],
        Some("RSA") => &["kty", "n", "e"],
        _ => return false,
    };
    members
        .iter()
        .all(|m| a.get(*m).is_some() && a.get(*m) == b.get(*m))
}

/// The reference validator for a target: its policy (the audit profile for the token's issuer
/// and algorithm, then the profile's `[policy]`) over the published keys.
fn reference_oracle(
    base: &Token,
    jwks: &Value,
    target: &TargetSpec,
) -> Result<crate::judge::Oracle, String> {
    let keys = crate::jwk::KeySet::from_public_jwks(jwks.to_string().as_bytes())
        .map_err(|e| format!("the published key set is not usable: {e}"))?;
    let claims = base
        .unverified_claims(16)
        .map_err(|e| format!("the starting token's claims: {e}"))?;
    let issuer = claims
        .get("iss")
        .and_then(Value::as_str)
        .ok_or("the starting token has no string iss")?;
    let alg = base
        .alg()
        .and_then(crate::Algorithm::from_name)
        .ok_or("the starting token's alg is not a known one")?;
    let policy = crate::differential::reference_policy(issuer, alg, &target.policy)?;
    let bearer =
        crate::differential::shape_of(&target.placement) == crate::differential::Shape::Bearer;
    Ok(crate::judge::Oracle::new(
        crate::validate::Validator::new(policy),
        keys,
        bearer,
    ))
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
            case.findings.push(Finding::graded(
                "AP-OOB-FETCH",
                crate::judge::Cause::AttackerUrlFetched,
                crate::judge::Confidence::Medium,
                format!("the target fetched the harness URL {path} named in the token (after answering)"),
            ));
            case.outcome = Outcome::Fail;
        }
        case.tags.retain(|t| !t.starts_with("oob:"));
    }
}

/// An attack case's answer at least this many times the target's median answer time …
pub const SLOW_FACTOR: u64 = 10;
/// … and at least this long is a denial-of-service finding (findings.md §7, `AP-DOS-SLOW`), if
/// it is that slow again when re-sent alone.
pub const SLOW_FLOOR: Duration = Duration::from_secs(1);
/// How many slow cases are re-sent at once.
const SLOW_RECHECKS_AT_ONCE: usize = 8;

/// The threshold of a slow answer for these results: [`SLOW_FACTOR`] × the median answer time
/// of every answered case, and at least [`SLOW_FLOOR`]; with the median.
fn slow_threshold(suites: &[SuiteResult]) -> Option<(Duration, Duration)> {
    let mut answered: Vec<u64> = suites
        .iter()
        .flat_map(|s| &s.cases)
        .filter(|c| c.observed.is_some())
        .map(|c| c.duration_ms)
        .collect();
    if answered.is_empty() {
        return None;
    }
    answered.sort_unstable();
    let median = Duration::from_millis(answered[answered.len() / 2]);
    Some(((median * SLOW_FACTOR as u32).max(SLOW_FLOOR), median))
}

/// The published key set itself (ATTACKS.md K07, E11): no private or symmetric material, every
/// key usable and strong.
fn key_set_check(jwks: &Value) -> SuiteResult {
    use crate::jwk::{KeyError, KeySet, KeySetError};
    let mut findings = Vec::new();
    let security = |message: String| {
        Finding::check(
            FindingKind::Security,
            "AP-K07-jwks-private-material",
            Severity::Critical,
            FlawClass::AuthServer,
            message,
        )
    };
    match KeySet::from_public_jwks(jwks.to_string().as_bytes()) {
        Err(
            e @ (KeySetError::PrivateMaterial { .. } | KeySetError::SymmetricKeyInPublicSet { .. }),
        ) => {
            findings.push(security(format!(
                "the published key set leaks secret key material: {e}"
            )));
        }
        Err(e) => findings.push(Finding::check(
            FindingKind::Contract,
            "AP-K07-jwks-unusable",
            Severity::Low,
            FlawClass::AuthServer,
            format!("the published key set is not usable: {e}"),
        )),
        Ok(set) => {
            for ignored in set.ignored() {
                let weak = matches!(
                    ignored.reason,
                    KeyError::RsaTooSmall { .. }
                        | KeyError::WeakEd25519
                        | KeyError::RsaRoca
                        | KeyError::RsaBadExponent
                );
                findings.push(if weak {
                    Finding::check(
                        FindingKind::Security,
                        "AP-E11-rsa-small-modulus",
                        Severity::High,
                        FlawClass::AuthServer,
                        format!("published key ignored: {ignored}"),
                    )
                } else {
                    Finding::check(
                        FindingKind::Informational,
                        "AP-K07-jwks-ignored-key",
                        Severity::Info,
                        FlawClass::AuthServer,
                        format!("published key ignored: {ignored}"),
                    )
                });
            }
        }
    }
    let failing = findings
        .iter()
        .any(|f| f.kind != FindingKind::Informational);
    let keys = jwks["keys"].as_array().map_or(0, Vec::len);
    SuiteResult {
        target: String::new(),
        name: "key-set".into(),
        description:
            "The issuer's published key set: public members only, every key usable and strong."
                .into(),
        cases: vec![CaseResult {
            target: String::new(),
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
        target: String::new(),
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
                class: FlawClass::SignatureNotVerified,
                placement: crate::scenario::Placement::Header,
                by_reference: true,
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
        if let Some(status) = self.ctx.protected.status {
            v.judgement.statuses = vec![status];
            v.expected_text = format!("accepted ({status})");
        } else {
            v.expected_text = "accepted (2xx)".into();
        }
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
        let mut method = item.method.clone();
        let mut headers = Vec::new();
        let mut body = item.body.clone();
        if item.server != Server::Auth {
            // A case sent to the protected path goes to this audit's protected endpoint.
            let endpoint = &self.ctx.protected;
            if let Some(resolved) = endpoint.resolve(&path) {
                path = resolved;
                if method == "GET" {
                    method.clone_from(&endpoint.method);
                    if body.is_none() {
                        if let (Some(b), Some(ct)) = (&endpoint.body, &endpoint.content_type) {
                            body = Some(b.clone().into_bytes());
                            headers.push(("content-type".to_owned(), ct.clone()));
                        }
                    }
                }
            }
        }
        for (name, value) in &item.headers {
            if name != "__placement__" {
                headers.push((name.clone(), value.clone()));
                continue;
            }
            Carrier::of_case(&item.placement, &self.ctx.placement).render(
                value,
                Parts {
                    target: &mut path,
                    headers: &mut headers,
                    body: &mut body,
                },
            );
        }
        Some(Outgoing {
            method,
            url: format!("{base}{prefix}{path}"),
            headers,
            body,
        })
    }

    /// The attack cases answered slowly (or not at all) under the run's load, re-sent one at a
    /// time at the end: a finding (`AP-DOS-SLOW`) only when the answer alone is slow too, so a
    /// backend that is merely busy with the audit's own load is not blamed.
    async fn confirm_slow_answers(
        &self,
        suites: &mut [SuiteResult],
        candidates: Vec<(usize, usize, Item)>,
        timeout: Duration,
    ) {
        let Some((threshold, median)) = slow_threshold(suites) else {
            return;
        };
        let candidates: Vec<_> = candidates
            .into_iter()
            .filter(|(s, c, _)| suites[*s].cases[*c].duration_ms >= threshold.as_millis() as u64)
            .collect();
        let remeasured: Vec<(usize, usize, Option<Duration>)> = futures::stream::iter(candidates)
            .map(|(s, c, item)| async move {
                let Some(out) = self.outgoing(&item) else {
                    return (s, c, None);
                };
                let started = Instant::now();
                let alone = match self.http.send(&out).await {
                    Ok(_) => started.elapsed(),
                    Err(TransportError::Timeout(_)) => timeout,
                    Err(_) => return (s, c, None),
                };
                (s, c, Some(alone))
            })
            .buffer_unordered(SLOW_RECHECKS_AT_ONCE)
            .collect()
            .await;
        for (s, c, alone) in remeasured {
            let Some(alone) = alone.filter(|a| *a >= threshold) else {
                continue;
            };
            let case = &mut suites[s].cases[c];
            let first = if case.outcome == Outcome::Error {
                format!("did not answer within {} ms (timed out)", case.duration_ms)
            } else {
                format!("answered after {} ms", case.duration_ms)
            };
            case.findings.push(Finding::graded(
                "AP-DOS-SLOW",
                crate::judge::Cause::SlowAnswer,
                crate::judge::Confidence::Medium,
                format!(
                    "the target {first}, and {} ms when the request was sent again alone: at least {SLOW_FACTOR}× its median answer time in this run ({} ms) and at least {} s",
                    alone.as_millis(),
                    median.as_millis(),
                    SLOW_FLOOR.as_secs()
                ),
            ));
            case.outcome = Outcome::Fail;
        }
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
            target: String::new(),
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
        let now = unix_now();
        let mut reference = None;
        if let (true, Some(oracle)) = (item.by_reference, &self.ctx.oracle) {
            let authorization: Vec<String> = out
                .headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case("authorization"))
                .map(|(_, v)| v.clone())
                .collect();
            let values: Vec<&[u8]> = authorization.iter().map(|v| v.as_bytes()).collect();
            let misplaced = match &item.placement {
                crate::scenario::Placement::Header => None,
                elsewhere => Some(elsewhere.clone()),
            };
            // A token placed elsewhere than the contract says is no credential to the reference.
            let raw = token.filter(|_| misplaced.is_none());
            let verdict = match raw {
                None if !oracle.bearer() => Some(crate::judge::Reference::Rejected(
                    crate::ErrorCode::MissingToken,
                )),
                raw => oracle.judge(&values, raw.unwrap_or_default().as_bytes(), now),
            };
            // On a time boundary of the reference (±2 s, for clocks that differ), the case's own
            // expectation (the catalogue's, made for the token's own time) decides instead.
            let verdict = verdict.or_else(|| match item.judgement.outcome {
                Some(crate::scenario::ExpectedOutcome::Accepted) => {
                    Some(crate::judge::Reference::Accepted)
                }
                Some(crate::scenario::ExpectedOutcome::Rejected) => item
                    .judgement
                    .codes
                    .first()
                    .and_then(|c| c.parse().ok())
                    .map(crate::judge::Reference::Rejected),
                _ => None,
            });
            match verdict {
                Some(v) => {
                    reference = Some(judge::TokenVerdict {
                        reference: v,
                        oracle,
                        now,
                        misplaced,
                        authorization,
                    });
                    result.expected = match v {
                        crate::judge::Reference::Accepted => "accepted (reference validator)".into(),
                        crate::judge::Reference::Rejected(code) => format!(
                            "rejected with {code} (reference validator, the target's policy); catalogue: {}",
                            item.expected_text
                        ),
                        crate::judge::Reference::Preflight => item.expected_text.clone(),
                    };
                }
                None => {
                    result.message = Some(
                        "not judged: the token is within 2 s of a time boundary of the reference"
                            .into(),
                    );
                    return finish(result);
                }
            }
        }
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
                    reference,
                    credentials_in_cookie: self.ctx.placement.placement == "cookie",
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
                // The gate decides pass or fail when the report is summarized.
                result.outcome = if findings.is_empty() {
                    Outcome::Pass
                } else {
                    Outcome::Fail
                };
                result.findings = findings;
                result.observed = Some(observe(&response, secrets, token));
            }
            Some(Err(e)) => {
                let header_bytes: usize = out.headers.iter().map(|(n, v)| n.len() + v.len()).sum();
                let oversize = header_bytes + out.url.len() > 8 * 1024;
                let must_refuse =
                    item.judgement.outcome == Some(crate::scenario::ExpectedOutcome::Rejected);
                if oversize && must_refuse && matches!(e, TransportError::Other(_)) {
                    // Node and others close the connection on a request over their header limit
                    // (16 KiB) instead of answering 431: that is a refusal too.
                    result.outcome = Outcome::Pass;
                    result.message = Some(format!(
                        "the target closed the connection on this {header_bytes}-byte request instead of answering: counted as a refusal ({})",
                        redact::redact(&e.to_string(), secrets)
                    ));
                } else {
                    result.outcome = Outcome::Error;
                    result.message = Some(redact::redact(&e.to_string(), secrets));
                }
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
    let claims = Token::parse(token).ok()?.unverified_claims(16).ok()?;
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
