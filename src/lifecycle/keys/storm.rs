//! Measurement 3, fetch storm: the issuer's key-set fetches a backend makes for tokens with
//! made-up `kid`s, one backend at a time.

use super::made_up_kid_token;
use crate::algorithm::Algorithm;
use crate::judge::Cause;
use crate::lifecycle::control::{ControlError, ControlOp};
use crate::lifecycle::{account::Account, Backend, Kind, LifecycleRun, Measurement, Unit, Verdict};
use crate::sign::SigningKey;
use std::time::Instant;

pub(super) async fn fetch_storm(
    r: &LifecycleRun<'_>,
    b: &Backend,
    account: &Account,
    alg: Algorithm,
) -> Measurement {
    let started = Instant::now();
    let kind = Kind::FetchStorm;
    if !r.control.can(ControlOp::JwksFetches) {
        return Measurement::skipped(
            kind,
            &b.name,
            Unit::Fetches,
            ControlError::NotConfigured(ControlOp::JwksFetches.name()).to_string(),
        );
    }
    let attacker = match SigningKey::generate(alg.key_family()) {
        Ok(k) => k,
        Err(e) => return Measurement::error(kind, &b.name, Unit::Fetches, e.to_string()),
    };
    let before = match r.control.jwks_fetches(r.http).await {
        Ok(n) => n,
        Err(e) => return Measurement::error(kind, &b.name, Unit::Fetches, e.to_string()),
    };
    let n = r.policy.storm_tokens;
    let mut server_errors = 0;
    let mut accepted = 0;
    for _ in 0..n {
        let Some(token) = made_up_kid_token(&account.session.jwt, alg, &attacker) else {
            return Measurement::error(kind, &b.name, Unit::Fetches, "could not sign a token");
        };
        match b.probe(r.http, &token).await {
            Ok(resp) if (200..300).contains(&resp.status) => accepted += 1,
            Ok(resp) if resp.status >= 500 => server_errors += 1,
            Ok(_) => {}
            Err(e) => {
                return Measurement::error(kind, &b.name, Unit::Fetches, format!("backend: {e}"))
            }
        }
    }
    let after = match r.control.jwks_fetches(r.http).await {
        Ok(n) => n,
        Err(e) => return Measurement::error(kind, &b.name, Unit::Fetches, e.to_string()),
    };
    let fetches = after.saturating_sub(before);
    let mut m = Measurement::new(kind, &b.name, Unit::Fetches);
    m.value = Some(fetches as f64);
    m.bound = Some(f64::from(r.policy.max_storm_fetches));
    m.detail =
        format!("{n} tokens with made-up kids caused {fetches} key-set fetches at the issuer");
    if fetches > u64::from(r.policy.max_storm_fetches) {
        m.verdict = Verdict::Exceeded;
        m.detail.push_str(&format!(
            " (bound {}): anyone can make the backend hammer the auth server's /jwks",
            r.policy.max_storm_fetches
        ));
        m.causes
            .push((Cause::KeySetFetchAmplification, m.detail.clone()));
    } else {
        m.verdict = Verdict::Within;
    }
    if accepted > 0 {
        // Not this measurement's concern, but never to be lost.
        m.causes.push((
            Cause::ForgedSignatureAccepted,
            format!(
                "{accepted} of {n} tokens signed by a key the issuer never published were accepted"
            ),
        ));
        m.verdict = Verdict::Exceeded;
    }
    if server_errors > 0 {
        m.causes.push((
            Cause::ServerError,
            format!("{server_errors} of {n} tokens with made-up kids got a 5xx"),
        ));
        m.verdict = Verdict::Exceeded;
    }
    m.duration_ms = started.elapsed().as_millis() as u64;
    m
}
