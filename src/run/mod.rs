//! The runner: baseline controls first, then every suite's flows and cases against a deployment
//! (mock or live, always over HTTP), with bounded concurrency, a per-request timeout, an overall
//! budget and an optional rate; each answer judged; one [`RunReport`] out, written even when the
//! target dies half-way.

pub mod builtin;
pub mod judge;
mod key_set;
pub mod plan;
pub mod redact;
mod runner;
mod shared;
mod slow;
mod spec;
mod target;

use self::judge::Evidence;
use self::key_set::*;
use self::plan::Item;
pub(crate) use self::runner::observed_from;
use self::runner::*;
use self::shared::*;
use self::slow::*;
pub use self::spec::{Context, TargetSpec};
pub use self::target::pick_issuer_key;
use self::target::*;
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

/// The run's result: the report, and whether the target stopped answering.
pub struct AuditOutcome {
    pub report: RunReport,
    pub target_unreachable: bool,
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
