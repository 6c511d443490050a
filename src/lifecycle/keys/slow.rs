//! Measurement 6, slow key set: with the key set answering slowly and a new rotation, one timed
//! probe per backend with the newest token.

use super::{control_reason, skip_or_error};
use crate::deployment::http::TransportError;
use crate::judge::Cause;
use crate::lifecycle::control::KeySetMode;
use crate::lifecycle::{
    account::Account, secs, Backend, Kind, LifecycleRun, Measurement, Unit, Verdict,
};
use futures::future::join_all;
use std::time::{Duration, Instant};

/// The longest the slow-key-set measurement probes.
const SLOW_WINDOW: Duration = Duration::from_secs(20);

pub(super) async fn slow_key_set(
    r: &LifecycleRun<'_>,
    backends: &[Backend],
    account: &Account,
) -> Vec<Measurement> {
    let kind = Kind::SlowKeySet;
    if let Err(e) = r.control.set_key_set(r.http, KeySetMode::Slow).await {
        let reason = control_reason(&e);
        return backends
            .iter()
            .map(|b| skip_or_error(kind, &b.name, &reason))
            .collect();
    }
    let token = match r.control.rotate(r.http).await {
        Ok(_) => account
            .mint(r.http, r.auth)
            .await
            .map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    let out = match token {
        Ok(token) => {
            // Long enough for a fetch of the slow key set (6 s at the lab), short enough for CI.
            let window = r.policy.max_adoption.min(SLOW_WINDOW);
            let probes = backends.iter().map(|b| {
                let token = token.clone();
                async move { slow_answers(r, b, &token, window).await }
            });
            join_all(probes).await
        }
        Err(e) => backends
            .iter()
            .map(|b| Measurement::error(kind, &b.name, Unit::Seconds, e.clone()))
            .collect(),
    };
    if let Err(e) = r.control.set_key_set(r.http, KeySetMode::Up).await {
        tracing::warn!("the key set could not be brought back up after the slow phase: {e}");
    }
    out
}

/// While the key set answers slowly: a token of a key rotated in meanwhile, every poll interval
/// until the backend accepts it (it fetched the slow key set) or the adoption bound has passed;
/// the slowest answer is the value. A 5xx other than 503, or no answer within the request
/// timeout, is a finding.
async fn slow_answers(
    r: &LifecycleRun<'_>,
    b: &Backend,
    token: &str,
    window: Duration,
) -> Measurement {
    let kind = Kind::SlowKeySet;
    let started = Instant::now();
    let mut m = Measurement::new(kind, &b.name, Unit::Seconds);
    let mut slowest = Duration::ZERO;
    let mut last: u16;
    loop {
        match b.probe(r.http, token).await {
            Ok(resp) => {
                slowest = slowest.max(resp.elapsed);
                last = resp.status;
                if resp.status >= 500 && resp.status != 503 {
                    m.causes.push((
                        Cause::KeySetOutageServerError,
                        format!(
                            "while the key set was slow, a token of a new key got HTTP {}",
                            resp.status
                        ),
                    ));
                    m.verdict = Verdict::Exceeded;
                    break;
                }
                if (200..300).contains(&resp.status) {
                    break;
                }
            }
            Err(TransportError::Timeout(t)) => {
                m.at_least = Some(secs(t));
                m.detail = format!(
                    "no answer within {:.0} s while the key set answered slowly",
                    t.as_secs_f64()
                );
                m.causes
                    .push((Cause::KeySetOutageServerError, m.detail.clone()));
                m.verdict = Verdict::Exceeded;
                m.duration_ms = started.elapsed().as_millis() as u64;
                return m;
            }
            Err(e) => {
                m.verdict = Verdict::Error(format!("backend unreachable: {e}"));
                return m;
            }
        }
        if started.elapsed() >= window {
            break;
        }
        tokio::time::sleep(r.policy.poll_interval).await;
    }
    m.value = Some(secs(slowest));
    if m.detail.is_empty() {
        m.detail = format!(
            "while the key set answered slowly, the slowest answer to a token of a new key took {:.1} s (last answer HTTP {})",
            slowest.as_secs_f64(),
            last
        );
    }
    m.duration_ms = started.elapsed().as_millis() as u64;
    m
}
