//! Key rotation and revocation over time, measured on a real auth server and the backends behind
//! it: how soon a rotated-in key is honoured, how long a key removed from the key set still is,
//! how many key-set fetches a flood of made-up `kid`s causes, what the backend does while the key
//! set is down or slow and how soon it recovers, and how long a JWT outlives the sign-out,
//! session revocation, password change or ban that ended its session.
//!
//! Every measurement is a number with the bound the target's `[lifecycle]` policy sets
//! ([`policy`]); one beyond its bound carries a finding graded by findings.md §3 (lifecycle rows).
//! The run drives the issuer through its control plane ([`control`]: rotate, retire, count
//! fetches, take the key set down, appoint an admin) and its public API ([`account`]: sign-up,
//! tokens, sign-out, revocations, ban), probes the backends ([`keys`], [`revocation`]), and its
//! results become report cases ([`cases`]). [`model`] is the reference model of a key-caching
//! backend that the stateful tests hold the embedded mock to.
//!
//! The measurements change the issuer (new keys, removed keys, banned users): run them against a
//! lab or staging issuer, never production.

pub mod account;
pub mod cases;
pub mod control;
pub mod keys;
pub mod model;
pub mod policy;
pub mod revocation;

use crate::deployment::http::{Http, Incoming, Outgoing, TransportError};
use crate::deployment::Endpoints;
use crate::judge::Cause;
use control::IssuerControl;
use policy::LifecyclePolicy;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// A backend the run measures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backend {
    /// Its name in reports.
    pub name: String,
    /// The protected endpoint's full URL (e.g. `http://127.0.0.1:43180/api/me`).
    pub url: String,
    /// The request header carrying the token and its scheme (`Authorization`, `Bearer`).
    pub header: String,
    pub scheme: String,
}

impl Backend {
    /// `GET url` with the token in the header.
    pub async fn probe(&self, http: &Http, token: &str) -> Result<Incoming, TransportError> {
        let value = if self.scheme.is_empty() {
            token.to_owned()
        } else {
            format!("{} {token}", self.scheme)
        };
        http.send(&Outgoing {
            method: "GET".into(),
            url: self.url.clone(),
            headers: vec![(self.header.clone(), value)],
            body: None,
        })
        .await
    }

    /// Whether the backend accepts the token now (a 2xx).
    pub async fn accepts(&self, http: &Http, token: &str) -> Result<bool, TransportError> {
        Ok((200..300).contains(&self.probe(http, token).await?.status))
    }

    /// Probes until the backend accepts a fresh token of the issuer's current key, for at most
    /// `limit` (a backend may not know a key rotated in moments ago until its cooldown ends):
    /// the last answer's status.
    pub async fn settle(
        &self,
        http: &Http,
        token: &str,
        limit: Duration,
        every: Duration,
    ) -> Result<u16, TransportError> {
        let started = std::time::Instant::now();
        loop {
            let status = self.probe(http, token).await?.status;
            if (200..300).contains(&status) || started.elapsed() >= limit {
                return Ok(status);
            }
            tokio::time::sleep(every).await;
        }
    }
}

/// One lifecycle run: the issuer, its control plane, the bounds and the backends behind it.
pub struct LifecycleRun<'a> {
    pub http: &'a Http,
    /// The auth server (its origin and base path).
    pub auth: &'a Endpoints,
    pub control: IssuerControl,
    pub policy: LifecyclePolicy,
    pub backends: Vec<Backend>,
    /// Measurement ids or names to run (all when empty).
    pub only: Vec<String>,
    /// An existing admin's credentials for the ban (else one is appointed through the control
    /// plane).
    pub admin: Option<(String, String)>,
    /// Tags throwaway users' e-mail addresses.
    pub run_id: String,
}

/// What a measurement is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// L01: rotation → the new key's tokens accepted.
    Adoption,
    /// L02: key removed from the set → its tokens refused.
    Retirement,
    /// L03: key-set fetches caused by tokens with made-up `kid`s.
    FetchStorm,
    /// L04: answers while the key set is down.
    Outage,
    /// L05: latency while the key set answers slowly.
    SlowKeySet,
    /// L06: key set back → a key rotated in during the outage accepted.
    Recovery,
    /// L07–L10: a JWT after its session ended.
    SignOut,
    RevokeSessions,
    ChangePassword,
    Ban,
}

impl Kind {
    pub const ALL: [Kind; 10] = [
        Kind::Adoption,
        Kind::Retirement,
        Kind::FetchStorm,
        Kind::Outage,
        Kind::SlowKeySet,
        Kind::Recovery,
        Kind::SignOut,
        Kind::RevokeSessions,
        Kind::ChangePassword,
        Kind::Ban,
    ];

    /// `L01` … `L10`.
    pub fn id(self) -> &'static str {
        match self {
            Kind::Adoption => "L01",
            Kind::Retirement => "L02",
            Kind::FetchStorm => "L03",
            Kind::Outage => "L04",
            Kind::SlowKeySet => "L05",
            Kind::Recovery => "L06",
            Kind::SignOut => "L07",
            Kind::RevokeSessions => "L08",
            Kind::ChangePassword => "L09",
            Kind::Ban => "L10",
        }
    }

    /// The short name used in `--only` and case ids.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Adoption => "adoption",
            Kind::Retirement => "retirement",
            Kind::FetchStorm => "fetch-storm",
            Kind::Outage => "outage",
            Kind::SlowKeySet => "slow-key-set",
            Kind::Recovery => "recovery",
            Kind::SignOut => "sign-out",
            Kind::RevokeSessions => "revoke-sessions",
            Kind::ChangePassword => "change-password",
            Kind::Ban => "ban",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Kind::Adoption => "a key rotated in is accepted within the adoption bound",
            Kind::Retirement => "a key removed from the key set is refused within the cache bound",
            Kind::FetchStorm => {
                "tokens with made-up kids cause a bounded number of key-set fetches"
            }
            Kind::Outage => {
                "while the key set is down the backend fails closed, without 5xx or hangs"
            }
            Kind::SlowKeySet => "latency of a new-kid token while the key set answers slowly",
            Kind::Recovery => {
                "once the key set is back, a key rotated in during the outage is accepted"
            }
            Kind::SignOut => "a JWT after its session signed out",
            Kind::RevokeSessions => "a JWT after the user revoked all sessions",
            Kind::ChangePassword => "a JWT after a password change that revoked other sessions",
            Kind::Ban => "a JWT after an admin banned its user",
        }
    }

    /// The report suite the measurement belongs to.
    pub fn suite(self) -> &'static str {
        match self {
            Kind::SignOut | Kind::RevokeSessions | Kind::ChangePassword | Kind::Ban => "revocation",
            _ => "key-lifecycle",
        }
    }

    pub fn from_name(s: &str) -> Option<Kind> {
        Kind::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(s) || k.id().eq_ignore_ascii_case(s))
    }
}

/// The unit of a measured value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Unit {
    Seconds,
    /// Key-set fetches.
    Fetches,
    /// Answers of a kind (e.g. 5xx) out of the probes sent.
    Answers,
}

/// How a measurement came out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "verdict", content = "reason")]
pub enum Verdict {
    /// Within its bound.
    Within,
    /// Beyond its bound: a finding.
    Exceeded,
    /// A number reported for information (no bound applies, or the profile sets none).
    Info,
    /// Not measured, with the reason (no control plane operation, an earlier step failed).
    Skipped(String),
    /// The harness could not measure (transport failure, the issuer refused an operation).
    Error(String),
}

impl Verdict {
    /// `within bound`, `EXCEEDED`, `info`, `skipped: why`, `error: why`.
    pub fn label(&self) -> String {
        match self {
            Verdict::Within => "within bound".into(),
            Verdict::Exceeded => "EXCEEDED".into(),
            Verdict::Info => "info".into(),
            Verdict::Skipped(why) => format!("skipped: {why}"),
            Verdict::Error(why) => format!("error: {why}"),
        }
    }
}

/// One measurement of one backend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measurement {
    pub kind: Kind,
    pub backend: String,
    /// The measured value; `None` when the change never happened within the observation window
    /// (then `at_least` holds the window).
    pub value: Option<f64>,
    /// When `value` is `None` because the wait ran out: the value is at least this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_least: Option<f64>,
    pub unit: Unit,
    /// The bound from the policy, if one applies.
    pub bound: Option<f64>,
    pub verdict: Verdict,
    /// What was observed, in words.
    pub detail: String,
    /// The findings' causes (empty when within bounds).
    #[serde(default)]
    pub causes: Vec<(Cause, String)>,
    /// Wall time the measurement took.
    pub duration_ms: u64,
}

impl Measurement {
    fn new(kind: Kind, backend: &str, unit: Unit) -> Measurement {
        Measurement {
            kind,
            backend: backend.to_owned(),
            value: None,
            at_least: None,
            unit,
            bound: None,
            verdict: Verdict::Info,
            detail: String::new(),
            causes: Vec::new(),
            duration_ms: 0,
        }
    }

    fn skipped(kind: Kind, backend: &str, unit: Unit, reason: impl Into<String>) -> Measurement {
        let mut m = Measurement::new(kind, backend, unit);
        m.verdict = Verdict::Skipped(reason.into());
        m
    }

    fn error(kind: Kind, backend: &str, unit: Unit, reason: impl Into<String>) -> Measurement {
        let mut m = Measurement::new(kind, backend, unit);
        m.verdict = Verdict::Error(reason.into());
        m
    }

    /// The bound for display, in the value's unit, or `—`.
    pub fn bound_shown(&self) -> String {
        match (self.bound, self.unit) {
            (Some(b), Unit::Seconds) => format!("{b:.1} s"),
            (Some(b), Unit::Fetches) => format!("{b:.0} fetches"),
            (Some(b), Unit::Answers) => format!("{b:.0}"),
            (None, _) => "—".into(),
        }
    }

    /// The value for display: `12.3 s`, `≥ 60.0 s`, `20 fetches`, or `—`.
    pub fn shown(&self) -> String {
        let unit = match self.unit {
            Unit::Seconds => " s",
            Unit::Fetches => " fetches",
            Unit::Answers => "",
        };
        let number = |v: f64| match self.unit {
            Unit::Seconds => format!("{v:.1}"),
            _ => format!("{v:.0}"),
        };
        match (self.value, self.at_least) {
            (Some(v), _) => format!("{}{unit}", number(v)),
            (None, Some(v)) => format!("≥ {}{unit}", number(v)),
            (None, None) => "—".into(),
        }
    }
}

/// Why a whole run could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LifecycleError {
    #[error("no backend to measure")]
    NoBackend,
    #[error("the auth server is needed (a lifecycle run signs users up and rotates keys): {0}")]
    NoAuthServer(String),
}

/// Runs the selected measurements against every backend, in the order that keeps them
/// independent: the four revocations, then adoption and retirement (both from one rotation),
/// fetch storm, outage, recovery and slow key set.
pub async fn run(r: &LifecycleRun<'_>) -> Result<Vec<Measurement>, LifecycleError> {
    if r.backends.is_empty() {
        return Err(LifecycleError::NoBackend);
    }
    if r.auth.auth.is_none() {
        return Err(LifecycleError::NoAuthServer(
            "the profile names no auth_url".into(),
        ));
    }
    let wanted = |k: Kind| {
        r.only.is_empty()
            || r.only
                .iter()
                .any(|o| Kind::from_name(o).is_some_and(|w| w == k))
    };
    // The revocations first: they need backends that accept the issuer's current key, which a
    // backend that never adopts a rotated key no longer does after the key measurements.
    let mut out = revocation::measure(r, &wanted).await;
    out.extend(keys::measure(r, &wanted).await);
    Ok(out)
}

/// The claims of a JWT the harness got from the issuer, read without verifying anything (the
/// measurements need its `sub`, `iat` and `exp`, never trust them).
fn unverified_claims(token: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
    crate::token::Token::parse(token)
        .ok()?
        .unverified_claims(crate::token::ParseLimits::default().max_json_depth)
        .ok()
}

/// Seconds, rounded to 0.1 s.
fn secs(d: Duration) -> f64 {
    (d.as_secs_f64() * 10.0).round() / 10.0
}
