//! Differential fuzzing of a live backend against the reference validator.
//!
//! From a real token and the target's published key set, [`mutate::Generator`] builds tokens by
//! structure-aware, seeded mutation (header members, claims and their JSON types, encodings,
//! signatures, re-signing with the issuer or an attacker key, catalogue tokens as seeds). Each
//! is rendered right before it is sent, judged by the reference [`oracle::Oracle`] on the exact
//! bytes the backend receives, and the backend's verdict (accepted, or refused with which code)
//! is compared with it. The rest of the answer's envelope is judged too: a refusal's
//! `WWW-Authenticate` challenge against the contract's row, and, for the drafts that send an
//! `Origin` or a CORS preflight, the CORS headers against the contract's CORS rules. Every
//! disagreement is shrunk to a minimal draft (token edits, `Origin`, preflight) that still
//! disagrees, de-duplicated by cause, and reported in the audit's formats with a curl
//! reproduction.
//!
//! [`fuzz`] runs the whole thing with bounded concurrency, an optional rate, a budget in
//! requests or time, and a clean stop on [`Control::interrupt`] (Ctrl-C in the CLI).

mod listener;
pub mod mutate;
pub mod oracle;
mod report;
pub mod rng;

pub use mutate::{Draft, Edit, Generator, Material, MaterialInput, OriginOp, Rendered, Shape};
pub use oracle::{Answer, Class, Comparison, Head, Oracle, Reference};

use crate::algorithm::Algorithm;
use crate::dangerous::forge::{AttackerKeys, Severity};
use crate::deployment::http::{ClientError, Http, HttpOptions, Incoming, Outgoing, TransportError};
use crate::deployment::oob::OobServer;
use crate::deployment::placement::{Carrier, Parts};
use crate::deployment::profile::{ContractSection, PolicySection, TokenPlacement};
use crate::deployment::session::{self, Credentials, SessionError};
use crate::jwk::KeySet;
use crate::report::{CaseResult, FindingKind, RunReport};
use crate::run::TargetSpec;
use crate::sign::SigningKey;
use crate::token::Token;
use crate::validate::{Policy, Validator};
use serde_json::{Map, Value};
use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::mpsc;

/// When a run stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    /// After this many generated tokens were sent (shrinking requests come on top).
    Requests(u64),
    /// After this much time (shrinking may take a short grace period after it).
    Time(Duration),
}

impl FromStr for Budget {
    type Err = String;
    /// `60s`, `2m`, `1h`, `500ms` (a duration) or `10000`, `10k` (a request count).
    fn from_str(s: &str) -> Result<Budget, String> {
        let s = s.trim();
        let bad = || {
            format!(
                "budget {s:?}: expected a duration (60s, 2m, 1h) or a request count (10000, 10k)"
            )
        };
        let number = |t: &str| t.parse::<u64>().map_err(|_| bad());
        let budget = if let Some(ms) = s.strip_suffix("ms") {
            Budget::Time(Duration::from_millis(number(ms)?))
        } else if let Some(v) = s.strip_suffix('s') {
            Budget::Time(Duration::from_secs(number(v)?))
        } else if let Some(v) = s.strip_suffix('m') {
            Budget::Time(Duration::from_secs(number(v)? * 60))
        } else if let Some(v) = s.strip_suffix('h') {
            Budget::Time(Duration::from_secs(number(v)? * 3600))
        } else if let Some(v) = s.strip_suffix('k') {
            Budget::Requests(number(v)? * 1000)
        } else {
            Budget::Requests(number(s)?)
        };
        match budget {
            Budget::Requests(0) => Err(bad()),
            Budget::Time(d) if d.is_zero() => Err(bad()),
            b => Ok(b),
        }
    }
}

impl fmt::Display for Budget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Budget::Requests(n) => write!(f, "{n} requests"),
            Budget::Time(d) => write!(f, "{:.1} s", d.as_secs_f64()),
        }
    }
}

/// How a run behaves.
#[derive(Debug, Clone)]
pub struct FuzzConfig {
    /// Requests in flight at once.
    pub concurrency: usize,
    pub budget: Budget,
    /// Same seed and same base token: the same sequence of drafts.
    pub seed: u64,
    pub http: HttpOptions,
    /// The protected path tokens are sent to.
    pub path: String,
    /// Use the attack catalogue's tokens as seeds.
    pub catalogue_seeds: bool,
    /// Requests at most spent on shrinking one disagreement.
    pub max_shrink_requests: usize,
    /// Stop once this many distinct findings were made.
    pub stop_after_findings: Option<usize>,
    /// After this many connection failures in a row the target counts as down.
    pub max_consecutive_connect_errors: usize,
    /// How long shrinking may continue after the budget is used up.
    pub shrink_grace: Duration,
}

impl Default for FuzzConfig {
    fn default() -> Self {
        FuzzConfig {
            concurrency: 16,
            budget: Budget::Time(Duration::from_secs(60)),
            seed: 0,
            http: HttpOptions::default(),
            path: "/api/me".into(),
            catalogue_seeds: true,
            max_shrink_requests: 200,
            stop_after_findings: None,
            max_consecutive_connect_errors: 8,
            shrink_grace: Duration::from_secs(30),
        }
    }
}

/// What is fuzzed: a deployment exactly as the audit describes it.
pub type FuzzTarget = TargetSpec;

/// Live counters of a run (read them for a progress display).
#[derive(Debug, Default)]
pub struct Stats {
    /// Every request sent (fuzzing and shrinking).
    pub requests: AtomicU64,
    /// Generated requests sent: tokens, and CORS preflights (which carry none).
    pub tokens: AtomicU64,
    /// Of those, CORS preflights.
    pub preflights: AtomicU64,
    pub shrink_requests: AtomicU64,
    /// Tokens not judged: on a time boundary, or answered by a rate limit.
    pub inconclusive: AtomicU64,
    /// Tokens an HTTP request cannot carry (control bytes, over 32 KiB): not sent.
    pub unsendable: AtomicU64,
    pub transport_errors: AtomicU64,
    /// Answers that disagreed with the reference (before de-duplication).
    pub disagreements: AtomicU64,
    /// Distinct findings so far.
    pub findings: AtomicU64,
}

/// A copy of the counters.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StatsSnapshot {
    pub requests: u64,
    pub tokens: u64,
    pub preflights: u64,
    pub shrink_requests: u64,
    pub inconclusive: u64,
    pub unsendable: u64,
    pub transport_errors: u64,
    pub disagreements: u64,
    pub findings: u64,
}

impl Stats {
    pub fn snapshot(&self) -> StatsSnapshot {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        StatsSnapshot {
            requests: g(&self.requests),
            tokens: g(&self.tokens),
            preflights: g(&self.preflights),
            shrink_requests: g(&self.shrink_requests),
            inconclusive: g(&self.inconclusive),
            unsendable: g(&self.unsendable),
            transport_errors: g(&self.transport_errors),
            disagreements: g(&self.disagreements),
            findings: g(&self.findings),
        }
    }
}

/// Shared with the caller: counters, and a way to stop the run early.
#[derive(Debug, Default)]
pub struct Control {
    interrupted: AtomicBool,
    pub stats: Stats,
    started: Mutex<Option<Instant>>,
}

impl Control {
    /// Asks the run to stop as soon as possible; the report is still built.
    pub fn interrupt(&self) {
        self.interrupted.store(true, Ordering::Relaxed);
    }
    pub fn interrupted(&self) -> bool {
        self.interrupted.load(Ordering::Relaxed)
    }
    /// When fuzzing proper started (after the session and the baseline).
    pub fn started(&self) -> Option<Instant> {
        *self.started.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A de-duplication key: the disagreement and the mutation operators it needs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cause {
    pub head: Head,
    /// Operator kinds left after shrinking (empty where they do not matter).
    pub kinds: BTreeSet<String>,
}

/// One distinct disagreement, shrunk.
#[derive(Debug, Clone)]
pub struct DiffFinding {
    pub cause: Cause,
    pub rule_id: String,
    pub severity: Severity,
    pub kind: FindingKind,
    /// The minimal draft.
    pub draft: Draft,
    /// How many edits the first disagreeing draft had.
    pub edits_before: usize,
    /// The minimal token as last sent. A credential: never put it in a report.
    pub rendered: Rendered,
    pub reference: Reference,
    pub request: Outgoing,
    pub response: Incoming,
    /// Time from the start of fuzzing to the first disagreeing answer of this cause.
    pub found_after: Duration,
    /// Requests sent by then.
    pub found_after_requests: u64,
    /// Time from the start of fuzzing until shrinking finished.
    pub reported_after: Duration,
    pub shrink_requests: usize,
    /// False when shrinking stopped early (request bound, grace period, interrupt).
    pub shrunk: bool,
    /// Disagreements attributed to this cause.
    pub occurrences: u64,
}

/// A finished run.
pub struct FuzzOutcome {
    pub report: RunReport,
    pub findings: Vec<DiffFinding>,
    pub stats: StatsSnapshot,
    /// Fuzzing time (after setup and baseline).
    pub elapsed: Duration,
    pub setup: Duration,
    pub seed: u64,
    pub baseline_ok: bool,
    pub target_unreachable: bool,
    pub interrupted: bool,
}

impl FuzzOutcome {
    /// Requests per second while fuzzing.
    pub fn requests_per_sec(&self) -> f64 {
        self.stats.requests as f64 / self.elapsed.as_secs_f64().max(1e-3)
    }
}

/// Why a run could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FuzzError {
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error("generating harness keys: {0}")]
    Keys(String),
    /// No usable token, key set or policy.
    #[error("{0}")]
    Setup(String),
    #[error("{0}")]
    Unreachable(String),
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The reference policy: the audit profile for the token's issuer, the token's algorithm only,
/// then the profile's overrides.
pub fn reference_policy(
    issuer: &str,
    alg: Algorithm,
    overrides: &PolicySection,
) -> Result<Policy, String> {
    let mut policy =
        crate::deployment::mock::audit_policy(overrides.issuer.as_deref().unwrap_or(issuer));
    if let Some(aud) = &overrides.audience {
        policy.audience = aud.clone();
    }
    policy.algorithms = match &overrides.algorithms {
        Some(names) => names
            .iter()
            .map(|n| {
                Algorithm::from_name(n).ok_or_else(|| format!("policy.algorithms: unknown {n:?}"))
            })
            .collect::<Result<_, _>>()?,
        None => vec![alg],
    };
    if let Some(leeway) = overrides.leeway {
        policy.leeway_secs = leeway;
    }
    if let Some(max) = overrides.max_lifetime {
        policy.max_lifetime_secs = Some(max);
    }
    Ok(policy)
}

/// How a placement delivers the credential.
pub fn shape_of(p: &TokenPlacement) -> Shape {
    match p.placement.as_str() {
        "cookie" | "query" | "json-body" => Shape::Raw,
        _ if p.name.eq_ignore_ascii_case("authorization")
            && p.scheme.eq_ignore_ascii_case("bearer") =>
        {
            Shape::Bearer
        }
        _ => Shape::Header {
            scheme: p.scheme.clone(),
        },
    }
}

/// A random seed (for runs that do not name one).
pub fn random_seed() -> u64 {
    let mut b = [0u8; 8];
    let _ = aws_lc_rs::rand::SecureRandom::fill(&aws_lc_rs::rand::SystemRandom::new(), &mut b);
    u64::from_le_bytes(b)
}

/// Attacker keys whose Ed25519 and HMAC members follow from the seed (so attacker-signed
/// EdDSA/HS tokens are reproducible); the others are fresh.
pub fn attacker_keys(seed: u64) -> Result<AttackerKeys, FuzzError> {
    let mut keys = AttackerKeys::generate().map_err(|e| FuzzError::Keys(e.to_string()))?;
    let mut rng = rng::Rng::new(seed ^ 0xA77A_C4E2_5EED_0001);
    let mut ed = [0u8; 32];
    ed.copy_from_slice(&rng.bytes(32));
    keys.ed25519 = SigningKey::ed25519_from_seed(ed);
    keys.hmac = SigningKey::hmac(&rng.bytes(64));
    Ok(keys)
}

/// Runs a differential fuzzing campaign against one target.
pub async fn fuzz(
    target: FuzzTarget,
    config: FuzzConfig,
    control: Arc<Control>,
) -> Result<FuzzOutcome, FuzzError> {
    let setup_started = Instant::now();
    let now = unix_now();
    let run_id = format!(
        "{}-fuzz-{}",
        crate::run::rfc3339(now).replace([':', '-'], ""),
        target.variant.as_deref().unwrap_or(&target.kind)
    );
    let http = Http::new(config.http.clone())?;
    let mut notes = Vec::new();

    let mut session = None;
    if target.endpoints.auth.is_some() {
        let creds = target
            .credentials
            .clone()
            .unwrap_or_else(|| Credentials::throwaway(&run_id));
        match session::bootstrap(&http, &target.endpoints, &creds).await {
            Ok(s) => session = Some(s),
            Err(SessionError::Transport(t)) if t.target_unreachable() => {
                return Err(FuzzError::Unreachable(format!(
                    "the auth server could not be reached: {t}"
                )))
            }
            Err(e) if target.token.is_none() => {
                return Err(FuzzError::Setup(format!(
                    "could not get a session from the auth server: {e}"
                )))
            }
            Err(e) => notes.push(format!("could not get a session from the auth server: {e}")),
        }
    }
    let base_text = session
        .as_ref()
        .map(|s| s.jwt.clone())
        .or_else(|| target.token.clone())
        .ok_or_else(|| {
            FuzzError::Setup(
                "no token to start from: give an auth server (--auth-url or a profile) or --token"
                    .into(),
            )
        })?;
    let base = Token::parse(&base_text)
        .map_err(|e| FuzzError::Setup(format!("the starting token is not a compact JWS: {e}")))?;
    let jwks = session
        .as_ref()
        .map(|s| s.jwks.clone())
        .or_else(|| target.jwks.clone())
        .ok_or_else(|| {
            FuzzError::Setup("no key set: without an auth server, pass --jwks".into())
        })?;
    let keys = KeySet::from_public_jwks(jwks.to_string().as_bytes())
        .map_err(|e| FuzzError::Setup(format!("the published key set is not usable: {e}")))?;
    let published: Vec<Map<String, Value>> = jwks["keys"]
        .as_array()
        .map(|a| a.iter().filter_map(|k| k.as_object().cloned()).collect())
        .unwrap_or_default();
    let claims = base
        .unverified_claims(16)
        .map_err(|e| FuzzError::Setup(format!("the starting token's claims: {e}")))?;
    let issuer = claims
        .get("iss")
        .and_then(Value::as_str)
        .ok_or_else(|| FuzzError::Setup("the starting token has no string iss".into()))?
        .to_owned();
    let alg = base
        .alg()
        .and_then(Algorithm::from_name)
        .ok_or_else(|| FuzzError::Setup("the starting token's alg is not a known one".into()))?;
    let policy = reference_policy(&issuer, alg, &target.policy).map_err(FuzzError::Setup)?;

    let attacker = attacker_keys(config.seed)?;
    let mut oob_kids: Vec<String> = vec!["authprobe-attacker".into()];
    oob_kids.extend(
        published
            .iter()
            .filter_map(|k| k.get("kid").and_then(Value::as_str).map(str::to_owned)),
    );
    let oob_kid_refs: Vec<&str> = oob_kids.iter().map(String::as_str).collect();
    let oob = OobServer::start(&attacker, &oob_kid_refs).await;
    let listener = listener::FetchListener::start(&attacker, &oob_kid_refs).await;

    let mut secrets = Vec::new();
    if let Some(s) = &session {
        secrets.extend([
            s.jwt.clone(),
            s.session_token.clone(),
            s.cookie.clone(),
            s.password.clone(),
        ]);
    }
    secrets.push(base_text.clone());
    let (issuer_key, key_note) = crate::run::pick_issuer_key(target.issuer_keys, Some(&jwks));
    notes.extend(key_note);
    if let Some(k) = &issuer_key {
        secrets.extend(k.secret_material());
    }
    secrets.retain(|s| s.len() >= 8);

    let shape = shape_of(&target.placement);
    let white_box = issuer_key.is_some();
    let material = Arc::new(Material::new(MaterialInput {
        base: &base,
        published: &published,
        keys: &keys,
        issuer_key,
        attacker,
        oob_base: listener.base_url(),
        catalogue_oob_base: oob.base_url(),
        shape: shape.clone(),
        catalogue: config.catalogue_seeds,
        now,
        frontend_origin: target.endpoints.frontend_origin.as_deref(),
    }));
    let oracle = Oracle::new(Validator::new(policy), keys, shape == Shape::Bearer);
    let url = format!(
        "{}{}",
        target.endpoints.backend.trim_end_matches('/'),
        config.path
    );
    let info = report::RunInfo {
        run_id,
        started_at: crate::run::rfc3339(now),
        target: crate::report::TargetInfo {
            name: target.name.clone(),
            baseline_ok: true,
            duration_ms: 0,
            kind: target.kind.clone(),
            variant: target.variant.clone(),
            backend_url: target.endpoints.backend.clone(),
            auth_url: target.endpoints.auth.clone(),
            mode: if white_box { "white-box" } else { "black-box" }.into(),
            endpoint: Some(format!("GET {}", config.path)),
            endpoint_group: None,
        },
        seed: config.seed,
        budget: config.budget,
        seeds: material.seeds().len(),
    };
    let shared = Arc::new(Shared {
        generator: Generator::new(material, config.seed),
        oracle,
        http,
        oob,
        listener,
        url,
        placement: target.placement.clone(),
        shape,
        contract: target.contract.clone(),
        frontend_origin: target.endpoints.frontend_origin.clone(),
        secrets,
        config,
        control: control.clone(),
        next_index: AtomicU64::new(0),
        next_nonce: AtomicU64::new(0),
        stop: AtomicBool::new(false),
        connect_streak: AtomicUsize::new(0),
        unreachable: AtomicBool::new(false),
        store: Mutex::new(Store::default()),
        started: Mutex::new(Instant::now()),
        deadline: Mutex::new(None),
        workers_done: Mutex::new(None),
    });

    // Baseline: the starting token must be accepted by both, or nothing can be compared.
    let (baseline_case, baseline_ok) = shared.baseline().await;
    let setup = setup_started.elapsed();
    let fuzz_started = Instant::now();
    *lock(&shared.started) = fuzz_started;
    *lock(&control.started) = Some(fuzz_started);
    if let Budget::Time(d) = shared.config.budget {
        *lock(&shared.deadline) = Some(fuzz_started + d);
    }
    if baseline_ok {
        let (tx, rx) = mpsc::channel::<Candidate>(64);
        let shrinker = tokio::spawn(shrink_loop(shared.clone(), rx));
        let workers: Vec<_> = (0..shared.config.concurrency.max(1))
            .map(|_| tokio::spawn(worker(shared.clone(), tx.clone())))
            .collect();
        drop(tx);
        for w in workers {
            let _ = w.await;
        }
        *lock(&shared.workers_done) = Some(Instant::now());
        let _ = shrinker.await;
    } else {
        notes.push(format!(
            "baseline failed, nothing was compared (the starting token must be accepted by the reference validator and the backend): {}",
            baseline_case.message.as_deref().unwrap_or("no answer")
        ));
    }
    let elapsed = fuzz_started.elapsed();

    // Harness URLs named by catalogue tokens are only read now; generated ones were checked
    // after each answer (and count here only if no answer was caught fetching).
    let catalogue_fetches = shared.oob.requested_paths().await.len();
    let mut findings = std::mem::take(&mut lock(&shared.store).findings);
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.found_after.cmp(&b.found_after))
    });
    let stats = control.stats.snapshot();
    let unreachable = shared.unreachable.load(Ordering::Relaxed);
    let interrupted = control.interrupted();
    if unreachable {
        notes.push("the target stopped answering; the run ended early".into());
    }
    if interrupted {
        notes.push("interrupted: the run stopped before its budget".into());
    }
    if let Some(exp) = claims.get("exp").and_then(Value::as_i64) {
        if exp < unix_now() {
            notes.push(format!(
                "the starting token expired {} s before the run ended: later tokens that kept its exp were all expired, so fewer reached the deeper checks; keep time budgets within the token's lifetime",
                unix_now() - exp
            ));
        }
    }
    let late_oob = if findings
        .iter()
        .any(|f| f.cause.head.class == Class::OobFetch)
    {
        0
    } else {
        catalogue_fetches + shared.listener.fetched_count()
    };
    let report = report::build(
        &info,
        report::RunFacts {
            baseline: vec![baseline_case],
            baseline_ok,
            findings: &findings,
            stats,
            elapsed,
            setup,
            notes,
            secrets: &shared.secrets,
            late_oob_fetches: late_oob,
            concurrency: shared.config.concurrency,
        },
    );
    Ok(FuzzOutcome {
        report,
        findings,
        stats,
        elapsed,
        setup,
        seed: shared.config.seed,
        baseline_ok,
        target_unreachable: unreachable,
        interrupted,
    })
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A disagreement waiting to be shrunk.
struct Candidate {
    head: Head,
    draft: Draft,
    judged: Arc<Judged>,
    found_after: Duration,
    found_after_requests: u64,
}

/// One answer, judged.
struct Judged {
    rendered: Rendered,
    reference: Reference,
    request: Outgoing,
    response: Incoming,
    heads: Vec<Head>,
}

enum Eval {
    Unsendable,
    Inconclusive,
    Budget,
    Transport,
    Judged(Arc<Judged>),
}

#[derive(Default)]
struct Store {
    findings: Vec<DiffFinding>,
    /// Disagreements (head and cause kinds before shrinking) whose shrinking ended in the
    /// finding at this index: the same unshrunk shape needs no shrinking again.
    aliases: Vec<(Head, BTreeSet<String>, usize)>,
    /// Heads (with their cause kinds) queued for shrinking.
    pending: Vec<(Head, BTreeSet<String>)>,
}

impl Store {
    /// True (and counted) if a finding already explains this disagreement.
    fn explained(&mut self, head: &Head, kinds: &BTreeSet<String>) -> bool {
        let direct = self
            .findings
            .iter()
            .position(|f| f.cause.head == *head && f.cause.kinds.is_subset(kinds));
        let via_alias = || {
            self.aliases
                .iter()
                .find(|(h, k, _)| h == head && k.is_subset(kinds))
                .map(|(_, _, i)| *i)
        };
        match direct.or_else(via_alias) {
            Some(i) => {
                self.findings[i].occurrences += 1;
                true
            }
            None => false,
        }
    }

    /// True if this disagreement needs no shrinking: explained, or one like it is queued.
    fn seen(&mut self, head: &Head, kinds: &BTreeSet<String>) -> bool {
        if self.explained(head, kinds) {
            return true;
        }
        let same_head = self.pending.iter().filter(|(h, _)| h == head).count();
        let duplicate = self.pending.iter().any(|(h, k)| h == head && k == kinds);
        if duplicate || same_head >= 4 {
            return true;
        }
        self.pending.push((head.clone(), kinds.clone()));
        false
    }

    fn done(&mut self, head: &Head, kinds: &BTreeSet<String>) {
        if let Some(i) = self
            .pending
            .iter()
            .position(|(h, k)| h == head && k == kinds)
        {
            self.pending.remove(i);
        }
    }

    /// Adds a shrunk finding (or counts it under an equal cause); remembers what it came from.
    fn insert(&mut self, finding: DiffFinding, from: (Head, BTreeSet<String>)) {
        let i = match self.findings.iter().position(|f| f.cause == finding.cause) {
            Some(i) => {
                self.findings[i].occurrences += finding.occurrences;
                i
            }
            None => {
                self.findings.push(finding);
                self.findings.len() - 1
            }
        };
        if from.0 != self.findings[i].cause.head || from.1 != self.findings[i].cause.kinds {
            self.aliases.push((from.0, from.1, i));
        }
    }
}

struct Shared {
    generator: Generator,
    oracle: Oracle,
    http: Http,
    /// The listener catalogue tokens name (read once, at the end).
    oob: OobServer,
    /// The listener generated tokens name (checked after every answer).
    listener: listener::FetchListener,
    /// The protected URL.
    url: String,
    placement: TokenPlacement,
    shape: Shape,
    contract: ContractSection,
    /// The origin the target's CORS allows, if known.
    frontend_origin: Option<String>,
    secrets: Vec<String>,
    config: FuzzConfig,
    control: Arc<Control>,
    next_index: AtomicU64,
    next_nonce: AtomicU64,
    stop: AtomicBool,
    connect_streak: AtomicUsize,
    unreachable: AtomicBool,
    store: Mutex<Store>,
    started: Mutex<Instant>,
    deadline: Mutex<Option<Instant>>,
    workers_done: Mutex<Option<Instant>>,
}

impl Shared {
    fn stats(&self) -> &Stats {
        &self.control.stats
    }

    fn should_stop(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
            || self.control.interrupted()
            || self.unreachable.load(Ordering::Relaxed)
            || lock(&self.deadline).is_some_and(|d| Instant::now() >= d)
    }

    fn shrink_allowed(&self) -> bool {
        !self.control.interrupted()
            && !self.unreachable.load(Ordering::Relaxed)
            && lock(&self.workers_done).is_none_or(|t| t.elapsed() < self.config.shrink_grace)
    }

    /// Takes one slot of the budget for a generated token.
    fn reserve(&self) -> bool {
        if self.should_stop() {
            return false;
        }
        let tokens = &self.stats().tokens;
        match self.config.budget {
            Budget::Requests(n) => {
                if tokens.fetch_add(1, Ordering::Relaxed) >= n {
                    tokens.fetch_sub(1, Ordering::Relaxed);
                    self.stop.store(true, Ordering::Relaxed);
                    false
                } else {
                    true
                }
            }
            Budget::Time(_) => {
                tokens.fetch_add(1, Ordering::Relaxed);
                true
            }
        }
    }

    /// Bytes an HTTP request cannot carry as they are are not sent: the reference would judge
    /// other bytes than the backend receives.
    fn undeliverable(&self, r: &Rendered) -> bool {
        if r.preflight {
            return false;
        }
        if r.token.len() > 32 * 1024 {
            return true;
        }
        let header_safe = |s: &str| s.bytes().all(|b| (0x20..0x7f).contains(&b) || b == b'\t');
        match self.placement.placement.as_str() {
            "cookie" => !r
                .token
                .bytes()
                .all(|b| b.is_ascii_graphic() && !b";,\"\\".contains(&b)),
            "query" | "json-body" => !r.token.bytes().all(|b| b.is_ascii_graphic()),
            _ => {
                !r.values.iter().all(|v| header_safe(v))
                    // HTTP trims a header value; only RFC 6750 parsing trims the same way.
                    || (self.shape != Shape::Bearer
                        && r.token.trim_matches([' ', '\t']) != r.token)
            }
        }
    }

    fn outgoing(&self, r: &Rendered) -> Outgoing {
        let p = &self.placement;
        let mut url = self.url.clone();
        let mut headers = Vec::new();
        let mut body = None;
        if let Some(origin) = &r.origin {
            headers.push(("origin".to_owned(), origin.clone()));
        }
        if r.preflight {
            // What a browser sends before a cross-origin GET that carries the credential.
            headers.push(("access-control-request-method".to_owned(), "GET".to_owned()));
            let credential_header = match p.placement.as_str() {
                "cookie" | "query" => None,
                "json-body" => Some("content-type".to_owned()),
                _ => Some(p.name.to_ascii_lowercase()),
            };
            if let Some(name) = credential_header {
                headers.push(("access-control-request-headers".to_owned(), name));
            }
            return Outgoing {
                method: "OPTIONS".into(),
                url,
                headers,
                body: None,
            };
        }
        match Carrier::of_contract(p) {
            // The mutator writes the header values itself (several, or a changed scheme).
            Carrier::Header { name, .. } => {
                for v in &r.values {
                    headers.push((name.clone(), v.clone()));
                }
            }
            carrier => carrier.render(
                &r.token,
                Parts {
                    target: &mut url,
                    headers: &mut headers,
                    body: &mut body,
                },
            ),
        }
        Outgoing {
            method: "GET".into(),
            url,
            headers,
            body,
        }
    }

    async fn send(&self, out: &Outgoing) -> Result<Incoming, TransportError> {
        self.stats().requests.fetch_add(1, Ordering::Relaxed);
        match self.http.send(out).await {
            Ok(r) => {
                self.connect_streak.store(0, Ordering::Relaxed);
                Ok(r)
            }
            Err(e) => {
                self.stats()
                    .transport_errors
                    .fetch_add(1, Ordering::Relaxed);
                if e.target_unreachable() {
                    let n = self.connect_streak.fetch_add(1, Ordering::Relaxed) + 1;
                    if n >= self.config.max_consecutive_connect_errors {
                        self.unreachable.store(true, Ordering::Relaxed);
                    }
                }
                Err(e)
            }
        }
    }

    /// Renders, judges, sends and compares one draft.
    async fn evaluate(&self, draft: &Draft, generated: bool) -> Eval {
        let stats = self.stats();
        let nonce = self.next_nonce.fetch_add(1, Ordering::Relaxed);
        let now = unix_now();
        let rendered = self.generator.material().render(draft, now, nonce);
        if self.undeliverable(&rendered) {
            stats.unsendable.fetch_add(1, Ordering::Relaxed);
            return Eval::Unsendable;
        }
        if rendered.preflight {
            return self.evaluate_preflight(rendered, generated).await;
        }
        let prepared = self
            .oracle
            .prepare(&rendered.value_bytes(), rendered.token.as_bytes());
        let Some(reference) = self.oracle.verdict_over(&prepared, now - 2, now + 2) else {
            stats.inconclusive.fetch_add(1, Ordering::Relaxed);
            return Eval::Inconclusive;
        };
        if generated && !self.reserve() {
            return Eval::Budget;
        }
        if !generated {
            stats.shrink_requests.fetch_add(1, Ordering::Relaxed);
        }
        let request = self.outgoing(&rendered);
        let Ok(response) = self.send(&request).await else {
            return Eval::Transport;
        };
        let after = unix_now();
        if after != now
            && self.oracle.verdict_over(&prepared, after - 2, after + 2) != Some(reference)
        {
            stats.inconclusive.fetch_add(1, Ordering::Relaxed);
            return Eval::Inconclusive;
        }
        let answer = oracle::classify(&response, &self.contract);
        let mut heads = Vec::new();
        match oracle::compare(reference, &answer, rendered.token.len(), &self.contract) {
            Comparison::Agree => {}
            Comparison::Inconclusive(_) => {
                stats.inconclusive.fetch_add(1, Ordering::Relaxed);
                return Eval::Inconclusive;
            }
            Comparison::Disagree(mut h) => {
                // Graded by who could have made the request (findings.md §3).
                h.cause = match h.class {
                    Class::Accepts => self.oracle.acceptance(
                        &rendered.value_bytes(),
                        Some(rendered.token.as_bytes()),
                        now,
                    ),
                    Class::ServerError => self
                        .oracle
                        .grader(now)
                        .server_error(Some(rendered.token.as_bytes())),
                    _ => h.cause,
                };
                heads.push(h)
            }
        }
        if heads.is_empty() {
            heads.extend(oracle::challenge(
                reference,
                &response,
                &answer,
                rendered.token.len(),
                &self.contract,
            ));
        }
        heads.extend(oracle::cors(
            &rendered,
            &response,
            &answer,
            self.frontend_origin.as_deref(),
            self.placement.placement == "cookie",
        ));
        if matches!(answer, Answer::Refused { .. }) {
            for leaked in oracle::leaks(&response.body, &rendered.token, &self.secrets) {
                heads.push(Head {
                    class: Class::Leak,
                    cause: if leaked == "internals" {
                        crate::judge::Cause::InternalsInErrorBody
                    } else {
                        crate::judge::Cause::SecretInErrorBody
                    },
                    reference: String::new(),
                    backend: format!("the error body echoes {leaked}"),
                });
            }
        }
        for path in &rendered.oob_paths {
            if self.listener.was_fetched(path) {
                heads.push(Head {
                    class: Class::OobFetch,
                    cause: crate::judge::Cause::AttackerUrlFetched,
                    reference: String::new(),
                    backend: "fetched a harness URL named in the token".into(),
                });
                break;
            }
        }
        if !heads.is_empty() {
            stats.disagreements.fetch_add(1, Ordering::Relaxed);
        }
        Eval::Judged(Arc::new(Judged {
            rendered,
            reference,
            request,
            response,
            heads,
        }))
    }

    /// Sends a CORS preflight (no token: only its CORS answer is judged).
    async fn evaluate_preflight(&self, rendered: Rendered, generated: bool) -> Eval {
        let stats = self.stats();
        if generated {
            if !self.reserve() {
                return Eval::Budget;
            }
            stats.preflights.fetch_add(1, Ordering::Relaxed);
        } else {
            stats.shrink_requests.fetch_add(1, Ordering::Relaxed);
        }
        let request = self.outgoing(&rendered);
        let Ok(response) = self.send(&request).await else {
            return Eval::Transport;
        };
        let answer = oracle::classify(&response, &self.contract);
        if response.status == 429 {
            stats.inconclusive.fetch_add(1, Ordering::Relaxed);
            return Eval::Inconclusive;
        }
        let heads = oracle::cors(
            &rendered,
            &response,
            &answer,
            self.frontend_origin.as_deref(),
            self.placement.placement == "cookie",
        );
        if !heads.is_empty() {
            stats.disagreements.fetch_add(1, Ordering::Relaxed);
        }
        Eval::Judged(Arc::new(Judged {
            rendered,
            reference: Reference::Preflight,
            request,
            response,
            heads,
        }))
    }

    /// The starting token, accepted by both?
    async fn baseline(&self) -> (CaseResult, bool) {
        let draft = Draft {
            index: u64::MAX,
            origin: None,
            edits: Vec::new(),
        };
        let now = unix_now();
        let rendered = self.generator.material().render(&draft, now, 0);
        let reference = self
            .oracle
            .judge(&rendered.value_bytes(), rendered.token.as_bytes(), now);
        let request = self.outgoing(&rendered);
        let result = self.send(&request).await;
        report::baseline_case(
            &request,
            &rendered,
            reference,
            result.as_ref().map_err(ToString::to_string),
            &self.secrets,
        )
    }

    /// Greedily drops edits while the same disagreement persists.
    async fn shrink(&self, c: Candidate) -> DiffFinding {
        let mut best = c.draft.clone();
        let mut judged = c.judged.clone();
        let mut head = c.head.clone();
        let mut used = 0usize;
        let mut complete = true;
        'passes: loop {
            let mut improved = false;
            let mut i = best.edits.len();
            while i > 0 {
                i -= 1;
                if used >= self.config.max_shrink_requests || !self.shrink_allowed() {
                    complete = false;
                    break 'passes;
                }
                let trial = best.without(i);
                if trial.edits.is_empty() {
                    continue;
                }
                match self.evaluate(&trial, false).await {
                    Eval::Judged(j) => {
                        used += 1;
                        if let Some(h) = oracle::reproduces(&head, &j.heads) {
                            best = trial;
                            judged = j;
                            head = h;
                            improved = true;
                        }
                    }
                    Eval::Transport => used += 1,
                    _ => {}
                }
            }
            if !improved {
                break;
            }
        }
        let started = *lock(&self.started);
        let kinds = oracle::cause_kinds(&head, &best.kinds());
        let rule_id = head.class.rule_id(&head);
        DiffFinding {
            rule_id,
            severity: head.cause.severity(),
            kind: crate::report::Finding::graded(
                "",
                head.cause,
                crate::judge::Confidence::High,
                "",
            )
            .kind,
            cause: Cause { head, kinds },
            edits_before: c.draft.edits.len(),
            draft: best,
            rendered: judged.rendered.clone(),
            reference: judged.reference,
            request: judged.request.clone(),
            response: judged.response.clone(),
            found_after: c.found_after,
            found_after_requests: c.found_after_requests,
            reported_after: started.elapsed(),
            shrink_requests: used,
            shrunk: complete,
            occurrences: 1,
        }
    }
}

async fn worker(shared: Arc<Shared>, tx: mpsc::Sender<Candidate>) {
    while !shared.should_stop() {
        let index = shared.next_index.fetch_add(1, Ordering::Relaxed);
        let draft = shared.generator.draft(index);
        let judged = match shared.evaluate(&draft, true).await {
            Eval::Budget => break,
            Eval::Judged(j) => j,
            _ => continue,
        };
        if judged.heads.is_empty() {
            continue;
        }
        let all_kinds = draft.kinds();
        let started = *lock(&shared.started);
        for head in &judged.heads {
            let kinds = oracle::cause_kinds(head, &all_kinds);
            if lock(&shared.store).seen(head, &kinds) {
                continue;
            }
            let candidate = Candidate {
                head: head.clone(),
                draft: draft.clone(),
                judged: judged.clone(),
                found_after: started.elapsed(),
                found_after_requests: shared.stats().requests.load(Ordering::Relaxed),
            };
            if tx.try_send(candidate).is_err() {
                lock(&shared.store).done(head, &kinds);
            }
        }
    }
}

async fn shrink_loop(shared: Arc<Shared>, mut rx: mpsc::Receiver<Candidate>) {
    while let Some(c) = rx.recv().await {
        let head = c.head.clone();
        let kinds = oracle::cause_kinds(&head, &c.draft.kinds());
        {
            let mut store = lock(&shared.store);
            if store.explained(&head, &kinds) {
                store.done(&head, &kinds);
                continue;
            }
        }
        let finding = shared.shrink(c).await;
        let total = {
            let mut store = lock(&shared.store);
            store.done(&head, &kinds);
            store.insert(finding, (head, kinds));
            store.findings.len()
        };
        shared
            .stats()
            .findings
            .store(total as u64, Ordering::Relaxed);
        if shared
            .config
            .stop_after_findings
            .is_some_and(|n| total >= n)
        {
            shared.stop.store(true, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_parse() {
        assert_eq!("60s".parse(), Ok(Budget::Time(Duration::from_secs(60))));
        assert_eq!("2m".parse(), Ok(Budget::Time(Duration::from_secs(120))));
        assert_eq!(
            "500ms".parse(),
            Ok(Budget::Time(Duration::from_millis(500)))
        );
        assert_eq!("10000".parse(), Ok(Budget::Requests(10_000)));
        assert_eq!("20k".parse(), Ok(Budget::Requests(20_000)));
        assert!("0".parse::<Budget>().is_err());
        assert!("fast".parse::<Budget>().is_err());
    }
}
