//! A key set fetched from a URL: cached, refetched on an unknown `kid` at a bounded rate, and
//! failing closed when it cannot be had.
//!
//! PyJWT's client refetched once per unknown kid until CVE-2026-48524, so a stream of tokens with
//! random kids turned into a stream of JWKS fetches (ATTACKS.md D20). Here every fetch goes
//! through one async mutex (single flight: concurrent callers share one request), refetches for
//! unknown kids happen at most once per `min_refetch_interval`, and a body is read only up to a
//! byte cap. Redirects are not followed and only http(s) URLs are accepted.

use super::{KeySet, KeySetError, KeySetLimits};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;
use tokio::time::Instant;

/// How a remote key set is fetched and cached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteConfig {
    /// Timeout of one fetch, connection included.
    pub timeout: Duration,
    /// Size and key-count caps of the document.
    pub limits: KeySetLimits,
    /// How long a fetched set is used before it is refreshed.
    pub cache_ttl: Duration,
    /// How much longer an expired set may still be used while refreshes fail.
    pub max_stale: Duration,
    /// Least time between two fetches caused by unknown kids.
    pub min_refetch_interval: Duration,
}

impl Default for RemoteConfig {
    fn default() -> Self {
        RemoteConfig {
            timeout: Duration::from_secs(5),
            limits: KeySetLimits::default(),
            cache_ttl: Duration::from_secs(300),
            max_stale: Duration::from_secs(600),
            min_refetch_interval: Duration::from_secs(10),
        }
    }
}

/// Why a remote key set is not available.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RemoteError {
    #[error("key set URL {0:?} is not an http(s) URL")]
    BadUrl(String),
    #[error("key set could not be fetched: {0}")]
    Unreachable(String),
    #[error("key set endpoint answered HTTP {0}")]
    Status(u16),
    #[error("key set response is over {max} bytes")]
    TooLarge { max: usize },
    #[error("key set document is not usable: {0}")]
    Invalid(#[from] KeySetError),
}

struct Cached {
    set: Arc<KeySet>,
    fetched_at: Instant,
}

#[derive(Default)]
struct State {
    cached: Option<Cached>,
    last_attempt: Option<Instant>,
    /// The error of the last attempt, if it failed.
    last_error: Option<RemoteError>,
}

/// A JWKS endpoint with its cache.
pub struct RemoteKeySet {
    url: String,
    config: RemoteConfig,
    client: reqwest::Client,
    state: Mutex<State>,
    fetches: AtomicU64,
}

impl std::fmt::Debug for RemoteKeySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteKeySet")
            .field("url", &self.url)
            .field("fetches", &self.fetch_count())
            .finish_non_exhaustive()
    }
}

impl RemoteKeySet {
    /// A key set at `url` (http or https), fetched lazily.
    pub fn new(url: &str, config: RemoteConfig) -> Result<RemoteKeySet, RemoteError> {
        let parsed = reqwest::Url::parse(url).map_err(|_| RemoteError::BadUrl(url.into()))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
            return Err(RemoteError::BadUrl(url.into()));
        }
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .user_agent(concat!("authprobe/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| RemoteError::Unreachable(e.to_string()))?;
        Ok(RemoteKeySet {
            url: parsed.into(),
            config,
            client,
            state: Mutex::new(State::default()),
            fetches: AtomicU64::new(0),
        })
    }

    /// The URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// How many fetches were attempted so far.
    pub fn fetch_count(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }

    /// The key set to validate with now: the cached one while fresh, otherwise a new fetch;
    /// a failed refresh falls back to the cached set only within `max_stale`.
    pub async fn current(&self) -> Result<Arc<KeySet>, RemoteError> {
        let mut state = self.state.lock().await;
        let now = Instant::now();
        if let Some(cached) = &state.cached {
            if now.duration_since(cached.fetched_at) < self.config.cache_ttl {
                return Ok(cached.set.clone());
            }
        }
        let stale_ok = |state: &State| {
            state.cached.as_ref().and_then(|cached| {
                (now.duration_since(cached.fetched_at)
                    < self.config.cache_ttl + self.config.max_stale)
                    .then(|| cached.set.clone())
            })
        };
        // A fetch that failed moments ago is not retried before the cooldown: an outage must not
        // turn every request into another fetch.
        let cooling_down = state
            .last_attempt
            .is_some_and(|t| t.elapsed() < self.config.min_refetch_interval);
        if cooling_down {
            if let Some(err) = state.last_error.clone() {
                return stale_ok(&state).ok_or(err);
            }
        }
        match self.fetch_into(&mut state).await {
            Ok(set) => Ok(set),
            Err(err) => stale_ok(&state).ok_or(err),
        }
    }

    /// Called when a token names a kid the current set lacks: refetches unless the last fetch
    /// attempt was less than `min_refetch_interval` ago, and returns the set to retry with.
    pub async fn refresh_for_unknown_kid(&self) -> Result<Arc<KeySet>, RemoteError> {
        let mut state = self.state.lock().await;
        let recently = state
            .last_attempt
            .is_some_and(|t| t.elapsed() < self.config.min_refetch_interval);
        if recently {
            if let Some(cached) = &state.cached {
                return Ok(cached.set.clone());
            }
            if let Some(err) = state.last_error.clone() {
                return Err(err);
            }
        }
        match self.fetch_into(&mut state).await {
            Ok(set) => Ok(set),
            Err(err) => state.cached.as_ref().map(|c| c.set.clone()).ok_or(err),
        }
    }

    async fn fetch_into(&self, state: &mut State) -> Result<Arc<KeySet>, RemoteError> {
        state.last_attempt = Some(Instant::now());
        self.fetches.fetch_add(1, Ordering::Relaxed);
        let fetched = self.fetch().await;
        state.last_error = fetched.as_ref().err().cloned();
        let set = Arc::new(fetched?);
        state.cached = Some(Cached {
            set: set.clone(),
            fetched_at: Instant::now(),
        });
        Ok(set)
    }

    async fn fetch(&self) -> Result<KeySet, RemoteError> {
        let unreachable = |e: reqwest::Error| RemoteError::Unreachable(describe(&e));
        let mut response = self
            .client
            .get(&self.url)
            .header("accept", "application/json")
            .send()
            .await
            .map_err(unreachable)?;
        if response.status() != reqwest::StatusCode::OK {
            return Err(RemoteError::Status(response.status().as_u16()));
        }
        let max = self.config.limits.max_bytes;
        if response
            .content_length()
            .is_some_and(|len| len > max as u64)
        {
            return Err(RemoteError::TooLarge { max });
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(unreachable)? {
            if body.len() + chunk.len() > max {
                return Err(RemoteError::TooLarge { max });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(KeySet::from_public_jwks_with(&body, self.config.limits)?)
    }
}

/// reqwest's messages repeat the URL; the caller already knows it.
fn describe(err: &reqwest::Error) -> String {
    let mut text = if err.is_timeout() {
        "timed out".to_owned()
    } else if err.is_connect() {
        "connection failed".to_owned()
    } else {
        "request failed".to_owned()
    };
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
