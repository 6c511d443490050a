//! The reference model of a backend that caches its issuer's key set, and of the issuer's
//! published keys: what a request with a given `kid` must get, and how many key-set fetches it
//! costs. The stateful tests (`tests/lifecycle_model.rs`) run random sequences of sign-in, mint,
//! rotate, retire, key set down/up, sign-out and replay against the embedded mock and check every
//! answer and the fetch count against this model; the lifecycle measurements are the same
//! questions asked over real time.
//!
//! The rules (those of jose's `createRemoteJWKSet` and PyJWT's `PyJWKClient`, and of the mock):
//! the first request fetches the set; a cached set older than `max_age` is fetched again; a `kid`
//! not in the cached set fetches again when `refetch_unknown` allows it and the last fetch attempt
//! is at least `cooldown` old; a failed fetch keeps the old set; a `kid` found nowhere is
//! refused, and only a backend that never had a set answers "key set unavailable" (503).

use std::collections::BTreeSet;
use std::time::Duration;

/// How a backend caches the key set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CachePolicy {
    /// Age after which the cached set is fetched again on the next request; `None`: never.
    pub max_age: Option<Duration>,
    /// Whether an unknown `kid` triggers a fetch.
    pub refetch_unknown: bool,
    /// Least time between the last fetch and a fetch for an unknown `kid`.
    pub cooldown: Duration,
}

impl CachePolicy {
    /// jose's and PyJWKClient's shape: refetch unknown kids after a cooldown, expire after an age.
    pub fn refetching(max_age: Duration, cooldown: Duration) -> CachePolicy {
        CachePolicy {
            max_age: Some(max_age),
            refetch_unknown: true,
            cooldown,
        }
    }

    /// Fetched once, never again (the "cache forever" mistake).
    pub fn forever() -> CachePolicy {
        CachePolicy {
            max_age: None,
            refetch_unknown: false,
            cooldown: Duration::ZERO,
        }
    }
}

/// What a request gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// The token's key is known and its signature verifies.
    Accepted,
    /// Refused (401): no known key for its `kid`, or its signature does not verify.
    Refused,
    /// The key set could not be had at all (503).
    Unavailable,
}

/// The issuer's side: the published keys (in order of creation; the last one signs) and whether
/// the key set endpoint answers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IssuerModel {
    pub published: Vec<String>,
    pub down: bool,
    /// Key-set requests served or refused so far (every fetch attempt reaches the issuer).
    pub fetches: u64,
}

impl IssuerModel {
    pub fn new(first_kid: &str) -> IssuerModel {
        IssuerModel {
            published: vec![first_kid.to_owned()],
            down: false,
            fetches: 0,
        }
    }

    /// The signing key.
    pub fn current(&self) -> Option<&str> {
        self.published.last().map(String::as_str)
    }

    pub fn rotate(&mut self, kid: &str) {
        self.published.push(kid.to_owned());
    }

    pub fn retire(&mut self, kid: &str) -> bool {
        let before = self.published.len();
        self.published.retain(|k| k != kid);
        before != self.published.len()
    }

    /// One fetch attempt: the published set, or `None` while down.
    fn fetch(&mut self) -> Option<BTreeSet<String>> {
        self.fetches += 1;
        (!self.down).then(|| self.published.iter().cloned().collect())
    }
}

/// A backend's key-set cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheModel {
    pub policy: CachePolicy,
    pub cached: Option<BTreeSet<String>>,
    /// When the cached set was fetched (successfully), on the model's clock.
    pub fetched_at: Duration,
    /// When the last fetch was attempted.
    pub last_attempt: Option<Duration>,
}

impl CacheModel {
    pub fn new(policy: CachePolicy) -> CacheModel {
        CacheModel {
            policy,
            cached: None,
            fetched_at: Duration::ZERO,
            last_attempt: None,
        }
    }

    fn fetch(&mut self, issuer: &mut IssuerModel, now: Duration) -> bool {
        self.last_attempt = Some(now);
        match issuer.fetch() {
            Some(set) => {
                self.cached = Some(set);
                self.fetched_at = now;
                true
            }
            None => false,
        }
    }

    /// The answer to a token whose `kid` is `kid` and whose signature is by the key of that
    /// `kid` when `genuine` (false: a made-up `kid`, or a foreign key under a real one), at time
    /// `now` on the model's clock.
    pub fn request(
        &mut self,
        issuer: &mut IssuerModel,
        kid: &str,
        genuine: bool,
        now: Duration,
    ) -> Answer {
        let expired = match (&self.cached, self.policy.max_age) {
            (None, _) => true,
            (Some(_), Some(age)) => now.saturating_sub(self.fetched_at) >= age,
            (Some(_), None) => false,
        };
        if expired {
            self.fetch(issuer, now);
        }
        let Some(set) = &self.cached else {
            return Answer::Unavailable;
        };
        if set.contains(kid) {
            return if genuine {
                Answer::Accepted
            } else {
                Answer::Refused
            };
        }
        let cooled = self
            .last_attempt
            .is_none_or(|at| now.saturating_sub(at) >= self.policy.cooldown);
        if self.policy.refetch_unknown
            && cooled
            && !expired
            && self.fetch(issuer, now)
            && genuine
            && self.cached.as_ref().is_some_and(|s| s.contains(kid))
        {
            return Answer::Accepted;
        }
        Answer::Refused
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    #[test]
    fn a_refetching_cache_adopts_after_its_cooldown_and_drops_a_retired_key_after_its_age() {
        let mut issuer = IssuerModel::new("k1");
        let mut cache = CacheModel::new(CachePolicy::refetching(20 * S, 30 * S));
        assert_eq!(
            cache.request(&mut issuer, "k1", true, Duration::ZERO),
            Answer::Accepted
        );
        assert_eq!(issuer.fetches, 1);
        issuer.rotate("k2");
        // Within the cooldown of the first fetch: refused, no fetch.
        assert_eq!(
            cache.request(&mut issuer, "k2", true, 10 * S),
            Answer::Refused
        );
        assert_eq!(issuer.fetches, 1);
        // The age expires first (20 s): the next request refetches and knows k2.
        assert_eq!(
            cache.request(&mut issuer, "k2", true, 21 * S),
            Answer::Accepted
        );
        assert_eq!(issuer.fetches, 2);
        issuer.retire("k1");
        assert_eq!(
            cache.request(&mut issuer, "k1", true, 22 * S),
            Answer::Accepted
        );
        assert_eq!(
            cache.request(&mut issuer, "k1", true, 41 * S),
            Answer::Refused
        );
        assert_eq!(issuer.fetches, 3);
    }

    #[test]
    fn a_forever_cache_never_adopts_and_never_retires() {
        let mut issuer = IssuerModel::new("k1");
        let mut cache = CacheModel::new(CachePolicy::forever());
        assert_eq!(
            cache.request(&mut issuer, "k1", true, Duration::ZERO),
            Answer::Accepted
        );
        issuer.rotate("k2");
        issuer.retire("k1");
        let later = Duration::from_secs(86_400);
        assert_eq!(
            cache.request(&mut issuer, "k2", true, later),
            Answer::Refused
        );
        assert_eq!(
            cache.request(&mut issuer, "k1", true, later),
            Answer::Accepted
        );
        assert_eq!(issuer.fetches, 1);
    }

    #[test]
    fn without_a_cooldown_every_unknown_kid_is_a_fetch_and_only_a_cold_cache_is_unavailable() {
        let mut issuer = IssuerModel::new("k1");
        let mut cache = CacheModel::new(CachePolicy::refetching(600 * S, Duration::ZERO));
        for i in 0..5 {
            assert_eq!(
                cache.request(&mut issuer, &format!("made-up-{i}"), false, S),
                Answer::Refused
            );
        }
        // The first request's fetch also answers its kid; each later one fetches again.
        assert_eq!(issuer.fetches, 5);
        issuer.down = true;
        assert_eq!(cache.request(&mut issuer, "k1", true, S), Answer::Accepted);
        // A failed refetch keeps the old set: an unknown kid is refused, not "unavailable".
        assert_eq!(cache.request(&mut issuer, "k9", false, S), Answer::Refused);
        assert_eq!(issuer.fetches, 6);
        let mut cold = CacheModel::new(CachePolicy::refetching(600 * S, Duration::ZERO));
        assert_eq!(
            cold.request(&mut issuer, "k1", true, S),
            Answer::Unavailable
        );
    }
}
