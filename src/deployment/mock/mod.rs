//! The embedded mock deployment: a Better Auth server and the backend it protects, both wiremock
//! servers on 127.0.0.1 ephemeral ports, plus two extra backend instances for the rows a single
//! instance cannot show (key set down → 503, rate limit → 429).
//!
//! For `authprobe lifecycle` ([`MockDeployment::start_lifecycle`]) the backend fetches and caches
//! the issuer's key set ([`key_cache`]) with short timings, and the issuer answers the lab
//! control plane under `/__lab/` (rotate, retire, count fetches, key set down or slow, admin).

pub mod auth;
pub mod backend;
pub mod flaw;
pub mod key_cache;
pub mod server;

pub use flaw::Flaw;

use self::auth::{AuthState, BetterAuth, LabControl};
use self::backend::{Backend, KeySource};
use self::key_cache::{CacheClock, KeyCache};
use self::server::Server;
use super::Endpoints;
use crate::algorithm::KeyFamily;
use crate::dangerous::forge::catalogue::AUDIT_MAX_LIFETIME_SECS;
use crate::gate::{Gate, RateLimiter};
use crate::jwk::KeySet;
use crate::lifecycle::model::CachePolicy;
use crate::sign::SigningKey;
use crate::validate::{Policy, Validator};
use serde_json::{Map, Value};
use std::sync::Arc;
use std::time::Duration;
use wiremock::matchers::{any, path_regex};
use wiremock::Mock;

/// The browser front end's origin the mock backend allows in CORS.
pub const FRONTEND_ORIGIN: &str = "http://127.0.0.1:5173";
/// The realm in the mock backend's challenges.
pub const REALM: &str = "api";
/// The rate limit of the rate-limited backend instance.
pub const RATE_LIMIT: (u32, Duration) = (5, Duration::from_secs(10));
/// The cookie of the mock built with a cookie contract.
pub const COOKIE_CONTRACT_NAME: &str = "token";
/// The lifecycle backend's key-set cache: its maximum age …
pub const KEY_CACHE_MAX_AGE: Duration = Duration::from_secs(4);
/// … and the least time between two fetches for unknown `kid`s.
pub const KEY_CACHE_COOLDOWN: Duration = Duration::from_secs(1);

/// How the mock is built.
#[derive(Debug, Clone, Default)]
pub struct MockOptions {
    /// One deliberate flaw of the backend.
    pub flaw: Option<Flaw>,
    /// The backend fetches and caches the key set (as for the lifecycle measurements) instead of
    /// holding it; on this clock (the real one when `None`).
    pub key_cache: bool,
    pub clock: Option<CacheClock>,
    /// Better Auth's production-mode rate limits.
    pub rate_limiting: bool,
    /// The backend's contract carries the token in this cookie instead of `Authorization`.
    pub cookie_contract: Option<String>,
}

impl MockOptions {
    /// The key-cache policy of the backend with this flaw.
    pub fn cache_policy(&self) -> CachePolicy {
        match self.flaw {
            Some(Flaw::CachesKeysForever) => CachePolicy::forever(),
            Some(Flaw::RefetchesEveryUnknownKid) => {
                CachePolicy::refetching(KEY_CACHE_MAX_AGE, Duration::ZERO)
            }
            _ => CachePolicy::refetching(KEY_CACHE_MAX_AGE, KEY_CACHE_COOLDOWN),
        }
    }
}

/// A running mock deployment.
pub struct MockDeployment {
    pub auth: Server,
    pub backend: Server,
    pub backend_key_set_down: Server,
    pub backend_rate_limited: Server,
    pub state: Arc<AuthState>,
    pub flaw: Option<Flaw>,
    /// The cookie the backend's contract carries the token in (`None`: `Authorization: Bearer`).
    pub cookie_contract: Option<String>,
}

impl MockDeployment {
    /// Starts a compliant mock (`flaw = None`) or one with a single flaw (a lifecycle flaw
    /// gives the backend a key-set cache).
    pub async fn start(flaw: Option<Flaw>) -> MockDeployment {
        MockDeployment::start_with(MockOptions {
            flaw,
            key_cache: flaw.is_some_and(Flaw::is_lifecycle),
            clock: None,
            rate_limiting: true,
            cookie_contract: flaw
                .filter(|f| Flaw::COOKIE_CONTRACT.contains(f))
                .map(|_| COOKIE_CONTRACT_NAME.to_owned()),
        })
        .await
    }

    /// The mock for `authprobe lifecycle`: a backend with a key-set cache (flawed or not), no
    /// rate limits (a run signs up several users at once).
    pub async fn start_lifecycle(flaw: Option<Flaw>) -> MockDeployment {
        MockDeployment::start_with(MockOptions {
            flaw,
            key_cache: true,
            clock: None,
            rate_limiting: false,
            cookie_contract: None,
        })
        .await
    }

    /// Starts the mock as `options` say.
    pub async fn start_with(options: MockOptions) -> MockDeployment {
        let flaw = options.flaw;
        let key = SigningKey::generate(KeyFamily::Ed25519).expect("Ed25519 key generation");
        let auth = Server::start().await;
        let kid = {
            let mut seed = [0u8; 24];
            aws_lc_rs::rand::SecureRandom::fill(&aws_lc_rs::rand::SystemRandom::new(), &mut seed)
                .expect("system randomness");
            crate::base64url::encode(seed)
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .take(32)
                .collect::<String>()
        };
        let state = AuthState::new(&auth.uri(), key, &kid, options.rate_limiting);
        Mock::given(path_regex("^/api/auth/.*"))
            .respond_with(BetterAuth(state.clone()))
            .mount(&auth)
            .await;
        Mock::given(path_regex("^/__lab/"))
            .respond_with(LabControl(state.clone()))
            .mount(&auth)
            .await;

        let jwks = state.jwks();
        let published: Map<String, Value> =
            jwks["keys"][0].as_object().cloned().unwrap_or_default();
        let keys = Arc::new(
            KeySet::from_public_jwks(jwks.to_string().as_bytes())
                .expect("the mock's own key set imports"),
        );
        let policy = audit_policy(&state.origin);
        let backend_with = |keys: KeySource, limiter: Option<RateLimiter>| {
            let mut gate = Gate::new(Validator::new(policy.clone()), REALM);
            if let Some(l) = limiter {
                gate = gate.with_rate_limit(l);
            }
            Backend {
                gate,
                keys,
                flaw,
                frontend_origin: FRONTEND_ORIGIN.to_owned(),
                published_jwk: published.clone(),
                cookie: options.cookie_contract.clone(),
            }
        };
        let main_keys = if options.key_cache {
            KeySource::Cached(Arc::new(KeyCache::new(
                state.clone(),
                options.cache_policy(),
                options
                    .clock
                    .clone()
                    .unwrap_or_else(|| CacheClock::Real(std::time::Instant::now())),
            )))
        } else {
            KeySource::Available(keys.clone())
        };
        let backend = start_backend(backend_with(main_keys, None)).await;
        let down = start_backend(backend_with(KeySource::Down, None)).await;
        let limited = start_backend(backend_with(
            KeySource::Available(keys),
            Some(RateLimiter::new(RATE_LIMIT.0, RATE_LIMIT.1)),
        ))
        .await;
        MockDeployment {
            auth,
            backend,
            backend_key_set_down: down,
            backend_rate_limited: limited,
            state,
            flaw,
            cookie_contract: options.cookie_contract,
        }
    }

    /// The URLs the runner talks to.
    pub fn endpoints(&self) -> Endpoints {
        Endpoints {
            backend: self.backend.uri(),
            auth: Some(self.auth.uri()),
            auth_base_path: "/api/auth".into(),
            backend_key_set_down: Some(self.backend_key_set_down.uri()),
            backend_rate_limited: Some(self.backend_rate_limited.uri()),
            frontend_origin: Some(FRONTEND_ORIGIN.into()),
        }
    }

    /// The lab control plane's base URL (`<auth>/__lab`).
    pub fn control_url(&self) -> String {
        format!("{}/__lab", self.auth.uri())
    }

    /// The issuer's private key as a JWK (the mock is always white-box).
    pub fn issuer_key(&self) -> &SigningKey {
        &self.state.key
    }
}

/// The policy the mock backend enforces: the Better Auth profile for this issuer with the audit
/// profile's 24 h lifetime cap.
pub fn audit_policy(issuer: &str) -> Policy {
    let mut policy = Policy::better_auth(issuer, issuer);
    policy.max_lifetime_secs = Some(AUDIT_MAX_LIFETIME_SECS);
    policy
}

async fn start_backend(backend: Backend) -> Server {
    let server = Server::start().await;
    Mock::given(any())
        .respond_with(backend)
        .mount(&server)
        .await;
    server
}
