//! Waiting for a backend to change its mind: polling with one token until it is accepted (or
//! refused) or a limit has passed, and [`Wait`], one timed wait turned into a measurement with
//! its bound and, when the limit runs out, its cause.

use crate::deployment::http::TransportError;
use crate::judge::Cause;
use crate::lifecycle::{secs, Backend, Kind, LifecycleRun, Measurement, Unit, Verdict};
use std::time::{Duration, Instant};

/// Polls `backend` with `token` every poll interval until `want_accepted` holds or `limit` has
/// passed since `since`. Returns the elapsed time when it held, `None` when the limit ran out.
async fn poll_until(
    r: &LifecycleRun<'_>,
    backend: &Backend,
    token: &str,
    want_accepted: bool,
    since: Instant,
    limit: Duration,
) -> Result<Option<Duration>, TransportError> {
    let mut transport_failures = 0;
    loop {
        match backend.accepts(r.http, token).await {
            Ok(accepted) if accepted == want_accepted => return Ok(Some(since.elapsed())),
            Ok(_) => transport_failures = 0,
            Err(e) => {
                transport_failures += 1;
                if transport_failures >= 3 {
                    return Err(e);
                }
            }
        }
        if since.elapsed() >= limit {
            return Ok(None);
        }
        tokio::time::sleep(r.policy.poll_interval).await;
    }
}

/// One timed wait of one measurement: poll with `token` from `since` until the backend's
/// acceptance is `accepted`, for at most `limit` (at least the reported `bound`).
pub(super) struct Wait<'t> {
    pub(super) kind: Kind,
    pub(super) token: &'t str,
    pub(super) accepted: bool,
    pub(super) since: Instant,
    pub(super) bound: Duration,
    pub(super) limit: Duration,
    /// The finding when the wait runs out.
    pub(super) cause: Cause,
}

impl Wait<'_> {
    /// The measurement for `b`: the time it took (`held` says it in words), or, when the limit
    /// ran out, at least that long, exceeded, with the cause (`ran_out` says it).
    pub(super) async fn measure(
        &self,
        r: &LifecycleRun<'_>,
        b: &Backend,
        held: impl Fn(Duration) -> String,
        ran_out: impl Fn(Duration) -> String,
    ) -> Measurement {
        let started = Instant::now();
        let mut m = Measurement::new(self.kind, &b.name, Unit::Seconds);
        m.bound = Some(secs(self.bound));
        match poll_until(r, b, self.token, self.accepted, self.since, self.limit).await {
            Ok(Some(t)) if t <= self.limit => {
                m.value = Some(secs(t));
                m.verdict = Verdict::Within;
                m.detail = held(t);
            }
            // Held only on a probe that ended past the limit: beyond the bound all the same.
            Ok(Some(t)) => {
                m.value = Some(secs(t));
                m.verdict = Verdict::Exceeded;
                m.detail = ran_out(t);
                m.causes.push((self.cause, m.detail.clone()));
            }
            Ok(None) => {
                let waited = self.since.elapsed();
                m.at_least = Some(secs(waited));
                m.verdict = Verdict::Exceeded;
                m.detail = ran_out(waited);
                m.causes.push((self.cause, m.detail.clone()));
            }
            Err(e) => m.verdict = Verdict::Error(format!("backend unreachable: {e}")),
        }
        m.duration_ms = started.elapsed().as_millis() as u64;
        m
    }
}
