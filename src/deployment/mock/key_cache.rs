//! The mock backend's key-set cache for the lifecycle measurements: it fetches the issuer's key
//! set (in process, counted by the issuer like an HTTP fetch), keeps it for a maximum age,
//! refetches for an unknown `kid` no more often than a cooldown allows, and keeps the old set when
//! a fetch fails — the behaviour of jose's `createRemoteJWKSet` and PyJWT's `PyJWKClient`, with
//! short timings so that a whole lifecycle run takes seconds. Built with one of the lifecycle
//! flaws it caches forever or refetches on every unknown `kid`.
//!
//! Its clock is the real one, or one the stateful tests move by hand
//! ([`CacheClock::manual`]), so that a test can step over a cache age without waiting for it.

use super::auth::AuthState;
use crate::jwk::KeySet;
use crate::lifecycle::model::CachePolicy;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The cache's notion of now.
#[derive(Debug, Clone)]
pub enum CacheClock {
    /// Real time since the cache was built.
    Real(Instant),
    /// Milliseconds set by hand.
    Manual(Arc<AtomicU64>),
}

impl CacheClock {
    /// A hand-moved clock at zero and the handle that moves it.
    pub fn manual() -> (CacheClock, Arc<AtomicU64>) {
        let handle = Arc::new(AtomicU64::new(0));
        (CacheClock::Manual(handle.clone()), handle)
    }

    fn now(&self) -> Duration {
        match self {
            CacheClock::Real(start) => start.elapsed(),
            CacheClock::Manual(ms) => Duration::from_millis(ms.load(Ordering::SeqCst)),
        }
    }
}

/// What one lookup found.
#[derive(Debug, Clone)]
pub struct Lookup {
    /// The key set to verify with; `None` when the backend never got one.
    pub keys: Option<Arc<KeySet>>,
    /// How long this request waited for key-set fetches.
    pub waited: Duration,
    /// Whether a fetch made for this request failed.
    pub fetch_failed: bool,
}

struct Cached {
    keys: Option<Arc<KeySet>>,
    fetched_at: Duration,
    last_attempt: Option<Duration>,
}

/// A backend's key-set cache in front of the mock issuer.
pub struct KeyCache {
    issuer: Arc<AuthState>,
    policy: CachePolicy,
    clock: CacheClock,
    cached: Mutex<Cached>,
}

impl KeyCache {
    pub fn new(issuer: Arc<AuthState>, policy: CachePolicy, clock: CacheClock) -> KeyCache {
        KeyCache {
            issuer,
            policy,
            clock,
            cached: Mutex::new(Cached {
                keys: None,
                fetched_at: Duration::ZERO,
                last_attempt: None,
            }),
        }
    }

    /// The key set for a token whose header names `kid`, fetching as the policy allows.
    pub fn lookup(&self, kid: Option<&str>) -> Lookup {
        let now = self.clock.now();
        let mut c = self.cached.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = Lookup {
            keys: None,
            waited: Duration::ZERO,
            fetch_failed: false,
        };
        let stale = match (&c.keys, self.policy.max_age) {
            (None, _) => true,
            (Some(_), Some(age)) => now.saturating_sub(c.fetched_at) >= age,
            (Some(_), None) => false,
        };
        if stale {
            self.fetch(&mut c, now, &mut out);
        } else {
            let known = kid.is_some_and(|k| c.keys.as_ref().is_some_and(|s| s.contains_kid(k)));
            let cooled_down = c
                .last_attempt
                .is_none_or(|at| now.saturating_sub(at) >= self.policy.cooldown);
            if !known && self.policy.refetch_unknown && cooled_down {
                self.fetch(&mut c, now, &mut out);
            }
        }
        out.keys = c.keys.clone();
        out
    }

    fn fetch(&self, c: &mut Cached, now: Duration, out: &mut Lookup) {
        c.last_attempt = Some(now);
        match self.issuer.fetch_key_set() {
            Some((doc, took)) => {
                out.waited += took;
                match KeySet::from_public_jwks(doc.to_string().as_bytes()) {
                    Ok(set) => {
                        c.keys = Some(Arc::new(set));
                        c.fetched_at = now;
                    }
                    Err(_) => out.fetch_failed = true,
                }
            }
            None => out.fetch_failed = true,
        }
    }
}
