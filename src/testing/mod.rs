//! Audits from a team's own `cargo test`: the harness as a library.
//!
//! A [`Target`] is built from the embedded mock ([`Target::mock`]), a live deployment
//! ([`Target::live`], [`Target::from_profile`]) or code inside the test process: a plain verify
//! function ([`Target::verify_fn`]) or, with the `tower` feature, a `tower::Service` such as an
//! `axum::Router` ([`Target::service`]), audited without a socket. In-process targets trust an
//! [`Issuer`] the test creates: it mints the valid tokens and publishes the key set the code
//! under test is configured with. [`Target::audit`] runs the built-in suites and returns an
//! [`Audit`]: the same report, grading and gate as `authprobe audit`, with assertions whose
//! failure messages name each case, why it failed and how to reproduce it. [`strategies`] holds
//! proptest strategies for valid and hostile tokens.
//!
//! ```
//! use authprobe::testing::{Issuer, Target};
//! use authprobe::validate::SystemClock;
//! use authprobe::{KeySet, Validator};
//!
//! # async fn run() {
//! let issuer = Issuer::ed25519();
//! // The code under test: here the reference validator with the issuer's key set.
//! let keys = KeySet::from_public_jwks(issuer.jwks_json().as_bytes()).unwrap();
//! let validator = Validator::new(issuer.policy());
//! let audit = Target::verify_fn(&issuer, move |token: &str| {
//!     validator.validate(token.as_bytes(), &keys, &SystemClock).map(|_| ())
//! })
//! .audit()
//! .await
//! .unwrap();
//! audit.assert_passes_gate().assert_all_judged();
//! # }
//! # tokio::runtime::Runtime::new().unwrap().block_on(run());
//! ```

mod assertions;
mod in_process;
mod issuer;
pub mod strategies;

pub use self::assertions::{Audit, Failure};
pub use self::issuer::Issuer;

use crate::dangerous::forge::Severity;
use crate::deployment::endpoint::{Endpoint, EndpointError};
use crate::deployment::http::InProcess;
use crate::deployment::mock::{Flaw, MockDeployment};
use crate::deployment::profile::{ContractSection, ProfileError, TargetProfile};
use crate::deployment::Endpoints;
use crate::run::{self, AuditError, RunConfig, TargetSpec};
use crate::scenario::{ScenarioError, Suite};
use crate::sign::SigningKey;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// The origin in-process targets are reached at (never resolved: `.invalid`, RFC 2606).
pub const IN_PROCESS_ORIGIN: &str = "http://in-process.authprobe.invalid";

/// Why a test's audit could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TestingError {
    #[error(transparent)]
    Profile(#[from] ProfileError),
    #[error(transparent)]
    Endpoint(#[from] EndpointError),
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    #[error(transparent)]
    Audit(#[from] AuditError),
    #[error("unknown suite {0:?} (the built-in suites are {1})")]
    UnknownSuite(String, String),
    #[error("the profile names no target")]
    NoTarget,
    #[error("starting a tokio runtime: {0}")]
    Runtime(String),
    #[error("{0}")]
    Key(String),
}

/// Where the audited deployment is.
enum Source {
    /// The embedded mock, started when the audit runs.
    Mock(Option<Flaw>),
    /// Live targets (one, or every target of a profile).
    Live(Vec<TargetSpec>),
    /// Code in this process behind [`IN_PROCESS_ORIGIN`].
    InProcess(Arc<dyn InProcess>),
}

/// What to audit and how: a builder. Every setting has the command line's default.
pub struct Target {
    source: Source,
    issuer: Option<Arc<Issuer>>,
    issuer_keys: Vec<SigningKey>,
    token: Option<String>,
    jwks: Option<serde_json::Value>,
    auth: Option<String>,
    protected: Vec<Endpoint>,
    contract: Option<ContractSection>,
    suites: Option<Vec<String>>,
    gate: Severity,
    config: RunConfig,
}

impl Target {
    fn with_source(source: Source) -> Target {
        Target {
            source,
            issuer: None,
            issuer_keys: Vec::new(),
            token: None,
            jwks: None,
            auth: None,
            protected: Vec::new(),
            contract: None,
            suites: None,
            gate: Severity::High,
            config: RunConfig::default(),
        }
    }

    /// The embedded mock deployment (Better Auth issuer and a compliant backend, on loopback).
    pub fn mock() -> Target {
        Target::with_source(Source::Mock(None))
    }

    /// The embedded mock with one deliberate flaw (`authprobe audit --list-mock-variants`).
    pub fn mock_with_flaw(flaw: Flaw) -> Target {
        Target::with_source(Source::Mock(Some(flaw)))
    }

    /// A live backend at `backend_url`. Give it a way to a valid token: an auth server
    /// ([`Target::auth_server`]), a token and key set ([`Target::token`], [`Target::jwks`]), or
    /// an [`Issuer`] it trusts ([`Target::issuer`]).
    pub fn live(backend_url: impl Into<String>) -> Target {
        let url: String = backend_url.into();
        let endpoints = Endpoints::backend_only(url.clone());
        Target::with_source(Source::Live(vec![TargetSpec::new(url, "live", endpoints)]))
    }

    /// Every target an audit profile names (as `authprobe audit --target FILE`), with the
    /// credentials it names read from the environment.
    pub fn from_profile(path: impl AsRef<Path>) -> Result<Target, TestingError> {
        let profile = TargetProfile::load(path.as_ref())?;
        let specs = TargetSpec::all_from_profile(&profile)?;
        if specs.is_empty() {
            return Err(TestingError::NoTarget);
        }
        Ok(Target::with_source(Source::Live(specs)))
    }

    /// A verify function in this process, protecting `GET /api/me`: it receives every token
    /// the suites send there in `Authorization: Bearer` (and nothing for requests without one;
    /// other paths are `404`). `Ok` is answered `200`,
    /// `Err` `401` with an RFC 6750 challenge, a panic `500`; only statuses are judged (the
    /// function has no error contract of its own). It should trust `issuer`'s key set, issuer
    /// and audience.
    pub fn verify_fn<F, T, E>(issuer: &Arc<Issuer>, verify: F) -> Target
    where
        F: Fn(&str) -> Result<T, E> + Send + Sync + 'static,
        E: std::fmt::Display,
    {
        let handler = in_process::VerifyFn::new(verify);
        let mut target = Target::with_source(Source::InProcess(Arc::new(handler)));
        target.contract = Some(ContractSection {
            mode: "status-only".into(),
            ..ContractSection::default()
        });
        target.issuer(issuer)
    }

    /// A `tower::Service` in this process (an `axum::Router`, a `tower` stack …), called with
    /// every request the suites make, without a socket. Its answers are judged like a live
    /// backend's, error contract included. It should trust `issuer`'s key set, issuer and
    /// audience.
    #[cfg(feature = "tower")]
    pub fn service<S, B>(issuer: &Arc<Issuer>, service: S) -> Target
    where
        S: tower_service::Service<
                http::Request<http_body_util::Full<bytes::Bytes>>,
                Response = http::Response<B>,
            > + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
        S::Error: std::fmt::Display + Send + 'static,
        B: http_body::Body + Send + 'static,
        B::Data: Send,
        B::Error: std::fmt::Display,
    {
        let handler = in_process::TowerService::new(service);
        Target::with_source(Source::InProcess(Arc::new(handler))).issuer(issuer)
    }

    /// Trusts `issuer`: white-box (its key signs the suites' tokens), its valid token and its
    /// key set as the reference.
    pub fn issuer(mut self, issuer: &Arc<Issuer>) -> Target {
        self.issuer = Some(issuer.clone());
        self
    }

    /// The issuer's private key, for a white-box audit of a live deployment.
    pub fn issuer_key(mut self, key: SigningKey) -> Target {
        self.issuer_keys.push(key);
        self
    }

    /// A valid token to start from (a live target without an auth server).
    pub fn token(mut self, token: impl Into<String>) -> Target {
        self.token = Some(token.into());
        self
    }

    /// The published key set (`{"keys": […]}`), when there is no auth server to fetch it from.
    pub fn jwks(mut self, jwks: serde_json::Value) -> Target {
        self.jwks = Some(jwks);
        self
    }

    /// The Better Auth server's origin (its base path is `/api/auth`).
    pub fn auth_server(mut self, url: impl Into<String>) -> Target {
        self.auth = Some(url.into());
        self
    }

    /// A protected endpoint, as on the command line: `[METHOD] /path [STATUS]` (repeatable;
    /// default `GET /api/me`).
    pub fn endpoint(mut self, spec: &str) -> Result<Target, TestingError> {
        self.protected.push(Endpoint::parse(spec)?);
        Ok(self)
    }

    /// Only these built-in suites (default: all of them), by name.
    pub fn suites(mut self, names: &[&str]) -> Target {
        self.suites = Some(names.iter().map(|n| (*n).to_owned()).collect());
        self
    }

    /// Findings at or above this grade fail [`Audit::assert_passes_gate`] (default: high).
    pub fn fail_on(mut self, grade: Severity) -> Target {
        self.gate = grade;
        self
    }

    /// How many cases run at once (default 16).
    pub fn concurrency(mut self, cases: usize) -> Target {
        self.config.concurrency = cases.max(1);
        self
    }

    /// The per-request timeout (default 10 s); an in-process handler that takes longer is
    /// timed out like a server.
    pub fn timeout(mut self, timeout: Duration) -> Target {
        self.config.http.timeout = timeout;
        self
    }

    /// Runs the audit. Call it from an async test (`#[tokio::test(flavor = "multi_thread")]`);
    /// [`Target::audit_blocking`] is for plain `#[test]`s.
    pub async fn audit(self) -> Result<Audit, TestingError> {
        let suites = self.selected_suites()?;
        let gate = self.gate;
        let mut config = self.config;
        let mut mock = None;
        let mut specs = match self.source {
            Source::Mock(flaw) => {
                let deployment = MockDeployment::start(flaw).await;
                let spec = TargetSpec::for_mock(&deployment);
                mock = Some(deployment);
                vec![spec]
            }
            Source::Live(specs) => specs,
            Source::InProcess(handler) => {
                config.http.in_process.add(IN_PROCESS_ORIGIN, handler);
                let endpoints = Endpoints::backend_only(IN_PROCESS_ORIGIN);
                vec![TargetSpec::new("in-process", "in-process", endpoints)]
            }
        };
        for spec in &mut specs {
            if let Some(auth) = &self.auth {
                spec.endpoints.auth = Some(auth.clone());
            }
            if let Some(issuer) = &self.issuer {
                spec.issuer_keys.push(issuer.signing_key()?);
                spec.token.get_or_insert_with(|| issuer.token());
                spec.jwks.get_or_insert_with(|| issuer.jwks());
                spec.policy
                    .issuer
                    .get_or_insert_with(|| issuer.url().to_owned());
                spec.policy
                    .audience
                    .get_or_insert_with(|| issuer.audience().to_owned());
            }
            for key in &self.issuer_keys {
                spec.issuer_keys.extend(key.try_clone());
            }
            if let Some(token) = &self.token {
                spec.token = Some(token.clone());
            }
            if let Some(jwks) = &self.jwks {
                spec.jwks = Some(jwks.clone());
            }
            if !self.protected.is_empty() {
                spec.protected = self.protected.clone();
            }
            if let Some(contract) = &self.contract {
                spec.contract = contract.clone();
            }
        }
        let quiet = |_: usize, _: usize| {};
        let outcome = run::audit_many(specs, suites, config, &quiet).await?;
        drop(mock);
        Ok(Audit::new(outcome.report, gate, outcome.target_unreachable))
    }

    /// [`Target::audit`] on a runtime of its own, for a plain `#[test]` (not from inside an
    /// async runtime).
    pub fn audit_blocking(self) -> Result<Audit, TestingError> {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| TestingError::Runtime(e.to_string()))?
            .block_on(self.audit())
    }

    fn selected_suites(&self) -> Result<Vec<Suite>, TestingError> {
        let all = run::builtin::builtin_suites()?;
        let Some(names) = &self.suites else {
            return Ok(all);
        };
        let known: Vec<String> = all.iter().map(|s| s.suite.name.clone()).collect();
        if let Some(unknown) = names.iter().find(|n| !known.contains(n)) {
            return Err(TestingError::UnknownSuite(
                unknown.clone(),
                known.join(", "),
            ));
        }
        Ok(all
            .into_iter()
            .filter(|s| names.contains(&s.suite.name))
            .collect())
    }
}
