//! The bounds a lifecycle run measures against and how it reaches the issuer's control plane: a
//! target profile's `[lifecycle]` table (every field optional), overridable from the command line.

use serde::Deserialize;
use std::time::Duration;

/// The profile's `[lifecycle]` table.
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct LifecycleSection {
    /// The lab control plane's base URL (deploy/auth-server's `/__lab`), e.g.
    /// `http://127.0.0.1:43100/__lab`. Commands below take precedence for the operations they name.
    #[serde(default)]
    pub control_url: Option<String>,
    /// A shell command that rotates the issuer's signing key; prints the new key's `kid` (or the
    /// lab's JSON `{"kid": ...}`).
    #[serde(default)]
    pub rotate_command: Option<String>,
    /// A shell command that removes a key from the published set; `{kid}` is replaced (quoted).
    #[serde(default)]
    pub retire_command: Option<String>,
    /// A shell command printing how many times the key set was fetched so far (a number, or the
    /// lab's `{"count": n}`), e.g. a count of `GET /api/auth/jwks` lines in an access log.
    #[serde(default)]
    pub jwks_fetches_command: Option<String>,
    /// A shell command that takes the key set endpoint `up`, `down` or `slow` (`{mode}`).
    #[serde(default)]
    pub jwks_mode_command: Option<String>,
    /// A shell command giving the user `{email}` the admin role (for the ban measurement).
    #[serde(default)]
    pub make_admin_command: Option<String>,
    /// Environment variables holding an existing admin's e-mail and password (instead of
    /// appointing a throwaway user through the control plane).
    #[serde(default)]
    pub admin_email_env: Option<String>,
    #[serde(default)]
    pub admin_password_env: Option<String>,
    /// Longest acceptable time from a rotation until the backend accepts the new key's tokens.
    #[serde(default)]
    pub max_adoption_s: Option<f64>,
    /// Longest acceptable time a key removed from the key set is still honoured (the backend's
    /// key-set cache age).
    #[serde(default)]
    pub max_key_cache_s: Option<f64>,
    /// Longest acceptable time a JWT is honoured after its session is revoked; unset, the token's
    /// own lifetime is the bound and a lag is informational.
    #[serde(default)]
    pub max_revocation_lag_s: Option<f64>,
    /// Tokens with made-up `kid`s sent in the fetch-storm measurement.
    #[serde(default)]
    pub storm_tokens: Option<u32>,
    /// Most key-set fetches those tokens may cause.
    #[serde(default)]
    pub max_storm_fetches: Option<u32>,
    /// Time between two probes of a backend while waiting for a change.
    #[serde(default)]
    pub poll_interval_ms: Option<u64>,
    /// Which measurements to run (ids or names, e.g. `["adoption", "fetch-storm"]`); all by default.
    #[serde(default)]
    pub only: Option<Vec<String>>,
}

/// The resolved bounds of one run.
#[derive(Debug, Clone, PartialEq)]
pub struct LifecyclePolicy {
    pub max_adoption: Duration,
    pub max_key_cache: Duration,
    pub max_revocation_lag: Option<Duration>,
    pub storm_tokens: u32,
    pub max_storm_fetches: u32,
    pub poll_interval: Duration,
}

/// jose's `createRemoteJWKSet` refetches an unknown `kid` at most every 30 s and PyJWKClient
/// after its 30 s cooldown: a minute covers both with a poll to spare.
pub const DEFAULT_MAX_ADOPTION_S: f64 = 60.0;
/// jose's default `cacheMaxAge` (10 min); PyJWKClient's `lifespan` is 300 s.
pub const DEFAULT_MAX_KEY_CACHE_S: f64 = 600.0;
pub const DEFAULT_STORM_TOKENS: u32 = 20;
/// One fetch for the first unknown `kid`, one more if a cache expired meanwhile, one spare.
pub const DEFAULT_MAX_STORM_FETCHES: u32 = 3;
pub const DEFAULT_POLL_INTERVAL_MS: u64 = 1000;

impl Default for LifecyclePolicy {
    fn default() -> Self {
        LifecyclePolicy {
            max_adoption: Duration::from_secs_f64(DEFAULT_MAX_ADOPTION_S),
            max_key_cache: Duration::from_secs_f64(DEFAULT_MAX_KEY_CACHE_S),
            max_revocation_lag: None,
            storm_tokens: DEFAULT_STORM_TOKENS,
            max_storm_fetches: DEFAULT_MAX_STORM_FETCHES,
            poll_interval: Duration::from_millis(DEFAULT_POLL_INTERVAL_MS),
        }
    }
}

/// A bound that is not a usable number of seconds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("lifecycle.{field}: {message}")]
pub struct PolicyError {
    pub field: &'static str,
    pub message: String,
}

fn seconds(field: &'static str, value: Option<f64>, default: f64) -> Result<Duration, PolicyError> {
    let v = value.unwrap_or(default);
    if !v.is_finite() || !(0.0..=86_400.0).contains(&v) {
        return Err(PolicyError {
            field,
            message: format!("{v} is not a number of seconds between 0 and 86400"),
        });
    }
    Ok(Duration::from_secs_f64(v))
}

impl LifecycleSection {
    /// The bounds, with the defaults above for what the table leaves out.
    pub fn policy(&self) -> Result<LifecyclePolicy, PolicyError> {
        let storm_tokens = self.storm_tokens.unwrap_or(DEFAULT_STORM_TOKENS);
        if !(1..=1000).contains(&storm_tokens) {
            return Err(PolicyError {
                field: "storm_tokens",
                message: format!("{storm_tokens} is not between 1 and 1000"),
            });
        }
        let poll = self.poll_interval_ms.unwrap_or(DEFAULT_POLL_INTERVAL_MS);
        if !(10..=60_000).contains(&poll) {
            return Err(PolicyError {
                field: "poll_interval_ms",
                message: format!("{poll} is not between 10 and 60000"),
            });
        }
        Ok(LifecyclePolicy {
            max_adoption: seconds(
                "max_adoption_s",
                self.max_adoption_s,
                DEFAULT_MAX_ADOPTION_S,
            )?,
            max_key_cache: seconds(
                "max_key_cache_s",
                self.max_key_cache_s,
                DEFAULT_MAX_KEY_CACHE_S,
            )?,
            max_revocation_lag: self
                .max_revocation_lag_s
                .map(|v| seconds("max_revocation_lag_s", Some(v), 0.0))
                .transpose()?,
            storm_tokens,
            max_storm_fetches: self.max_storm_fetches.unwrap_or(DEFAULT_MAX_STORM_FETCHES),
            poll_interval: Duration::from_millis(poll),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_refusals() {
        let p = LifecycleSection::default().policy().unwrap();
        assert_eq!(p.max_adoption, Duration::from_secs(60));
        assert_eq!(p.max_key_cache, Duration::from_secs(600));
        assert_eq!(p.max_revocation_lag, None);
        let bad = LifecycleSection {
            max_key_cache_s: Some(-1.0),
            ..Default::default()
        };
        assert_eq!(bad.policy().unwrap_err().field, "max_key_cache_s");
        let bad = LifecycleSection {
            storm_tokens: Some(0),
            ..Default::default()
        };
        assert_eq!(bad.policy().unwrap_err().field, "storm_tokens");
    }
}
