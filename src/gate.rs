//! The reference backend's decision for one request: rate limit, bearer credentials, token
//! validation, scope, in that order, each failure answered by its error-contract row.
//!
//! The embedded mock deployment answers with a [`Gate`], and the harness asks one what a correct
//! backend would have said; so this is where "the contract" and "the validator" meet HTTP.

use crate::contract::{self, ErrorCode, ErrorResponse};
#[cfg(feature = "remote-jwks")]
use crate::jwk::remote::RemoteKeySet;
use crate::jwk::KeySet;
use crate::validate::{Clock, Rejection, Validator, Verified};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What the backend needs to know of a request.
#[derive(Debug, Clone, Default)]
pub struct GateRequest<'a> {
    /// Every `Authorization` header value, in order.
    pub authorization: Vec<&'a [u8]>,
    /// The client identity rate limiting counts per (e.g. the peer address).
    pub client: &'a str,
    /// The scope the endpoint requires, if any.
    pub required_scope: Option<&'a str>,
}

/// A refusal: the response to send and, for logs, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial {
    pub response: ErrorResponse,
    pub detail: String,
}

impl Denial {
    pub fn code(&self) -> ErrorCode {
        self.response.code
    }
}

/// A fixed-window request limit per client.
#[derive(Debug)]
pub struct RateLimiter {
    max_requests: u32,
    window: Duration,
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl RateLimiter {
    /// At most `max_requests` per client in each `window`.
    pub fn new(max_requests: u32, window: Duration) -> RateLimiter {
        RateLimiter {
            max_requests,
            window,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one request; `Err(seconds to wait)` once the client is over the limit.
    pub fn check(&self, client: &str) -> Result<(), u64> {
        let now = Instant::now();
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let entry = windows.entry(client.to_owned()).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        if entry.1 >= self.max_requests {
            let left = self.window.saturating_sub(now.duration_since(entry.0));
            return Err(left.as_secs().max(1));
        }
        entry.1 += 1;
        Ok(())
    }
}

/// The reference backend's request gate.
#[derive(Debug)]
pub struct Gate {
    validator: Validator,
    realm: String,
    limiter: Option<RateLimiter>,
}

impl Gate {
    pub fn new(validator: Validator, realm: impl Into<String>) -> Gate {
        Gate {
            validator,
            realm: realm.into(),
            limiter: None,
        }
    }

    /// Adds a per-client rate limit.
    pub fn with_rate_limit(mut self, limiter: RateLimiter) -> Gate {
        self.limiter = Some(limiter);
        self
    }

    pub fn validator(&self) -> &Validator {
        &self.validator
    }

    pub fn realm(&self) -> &str {
        &self.realm
    }

    /// Decides a request against a static key set.
    pub fn decide(
        &self,
        request: &GateRequest<'_>,
        keys: &KeySet,
        clock: &dyn Clock,
    ) -> Result<Verified, Denial> {
        let token = self.admit(request)?;
        let verified = self
            .validator
            .validate(token, keys, clock)
            .map_err(|r| self.reject(r))?;
        self.authorize(request, verified)
    }

    /// Decides a request against a remote key set.
    #[cfg(feature = "remote-jwks")]
    pub async fn decide_remote(
        &self,
        request: &GateRequest<'_>,
        keys: &RemoteKeySet,
        clock: &dyn Clock,
    ) -> Result<Verified, Denial> {
        let token = self.admit(request)?;
        let verified = self
            .validator
            .validate_remote(token, keys, clock)
            .await
            .map_err(|r| self.reject(r))?;
        self.authorize(request, verified)
    }

    fn admit<'a>(&self, request: &GateRequest<'a>) -> Result<&'a [u8], Denial> {
        if let Some(limiter) = &self.limiter {
            if let Err(retry_after) = limiter.check(request.client) {
                let mut response = ErrorCode::RateLimited.response(&self.realm);
                response
                    .headers
                    .push(("retry-after", retry_after.to_string()));
                return Err(Denial {
                    response,
                    detail: format!("client over the rate limit; retry in {retry_after} s"),
                });
            }
        }
        contract::bearer_token(&request.authorization).map_err(|code| self.deny(code, "bearer"))
    }

    fn authorize(&self, request: &GateRequest<'_>, verified: Verified) -> Result<Verified, Denial> {
        match request.required_scope {
            Some(scope) if !contract::has_scope(verified.claims(), scope) => Err(self.deny(
                ErrorCode::InsufficientScope,
                &format!("scope {scope:?} required"),
            )),
            _ => Ok(verified),
        }
    }

    fn reject(&self, rejection: Rejection) -> Denial {
        self.deny(rejection.code(), &rejection.detail)
    }

    fn deny(&self, code: ErrorCode, detail: &str) -> Denial {
        Denial {
            response: code.response(&self.realm),
            detail: detail.to_owned(),
        }
    }
}
