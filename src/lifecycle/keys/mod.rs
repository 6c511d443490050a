//! The key measurements (L01–L06), from one account and a handful of rotations:
//!
//! 1. **Adoption**: rotate; the new key signs a fresh JWT; poll every backend with it until it is
//!    accepted or the adoption bound has passed.
//! 2. **Retirement**: remove the previous key from the set; poll every backend with a JWT that
//!    key signed until it is refused or the cache bound (plus two polls) has passed. Only that
//!    token is sent meanwhile: a made-up `kid` would make some backends refetch early.
//! 3. **Fetch storm**: for one backend at a time, count the issuer's key-set fetches around
//!    `storm_tokens` tokens with made-up `kid`s (a fresh key of the issuer's algorithm signs
//!    them: anyone can make them).
//! 4. **Outage**: key set down; rotate (the backends cannot know the new key); probe each backend
//!    with the new key's token, a made-up-`kid` token and a token of the key it knows.
//! 5. **Recovery**: key set up; poll with the new key's token until accepted (adoption bound).
//! 6. **Slow key set**: key set slow; rotate again; one probe with the newest token, timed.
//!
//! [`measure`] (here) opens the account, checks every backend accepts its token, and runs the
//! selected measurements: `rotation` (1, 2), `storm` (3), `outage` (4, 5, and 6 from `slow`),
//! with `wait` for the timed polling they share.

mod outage;
mod rotation;
mod slow;
mod storm;
mod wait;

use super::control::ControlError;
use super::{account::Account, Kind, LifecycleRun, Measurement, Unit};
use crate::algorithm::Algorithm;
use crate::sign::SigningKey;
use crate::token::Token;
use outage::outage;
use rotation::adoption_and_retirement;
use serde_json::json;
use storm::fetch_storm;

/// Runs the key measurements that `wanted` selects.
pub async fn measure(r: &LifecycleRun<'_>, wanted: &dyn Fn(Kind) -> bool) -> Vec<Measurement> {
    let mut out = Vec::new();
    let any = [
        Kind::Adoption,
        Kind::Retirement,
        Kind::FetchStorm,
        Kind::Outage,
        Kind::SlowKeySet,
        Kind::Recovery,
    ]
    .into_iter()
    .filter(|k| wanted(*k))
    .collect::<Vec<_>>();
    if any.is_empty() {
        return out;
    }
    let account = match Account::sign_up(r.http, r.auth, &r.run_id, "keys").await {
        Ok(a) => a,
        Err(e) => {
            return every(r, &any, |k, b| {
                Measurement::error(
                    k,
                    b,
                    unit_of(k),
                    format!("no session at the auth server: {e}"),
                )
            })
        }
    };
    // Every backend must accept the session's token before anything changes.
    let first = account.session.jwt.clone();
    let mut healthy = Vec::new();
    for b in &r.backends {
        let settled = b
            .settle(
                r.http,
                &first,
                r.policy.max_adoption,
                r.policy.poll_interval,
            )
            .await;
        match settled {
            Ok(status) if (200..300).contains(&status) => healthy.push(b.clone()),
            Ok(status) => out.extend(any.iter().map(|k| {
                Measurement::error(
                    *k,
                    &b.name,
                    unit_of(*k),
                    format!("the backend refused a valid token before any change (HTTP {status})"),
                )
            })),
            Err(e) => out.extend(any.iter().map(|k| {
                Measurement::error(
                    *k,
                    &b.name,
                    unit_of(*k),
                    format!("backend unreachable: {e}"),
                )
            })),
        }
    }
    if healthy.is_empty() {
        return out;
    }
    let alg = header_alg(&first).unwrap_or(Algorithm::EdDSA);

    if wanted(Kind::Adoption) || wanted(Kind::Retirement) {
        out.extend(adoption_and_retirement(r, &healthy, &account, &first, wanted).await);
    }
    if wanted(Kind::FetchStorm) {
        for b in &healthy {
            out.push(fetch_storm(r, b, &account, alg).await);
        }
    }
    if wanted(Kind::Outage) || wanted(Kind::Recovery) || wanted(Kind::SlowKeySet) {
        out.extend(outage(r, &healthy, &account, alg, wanted).await);
    }
    out
}

fn unit_of(k: Kind) -> Unit {
    match k {
        Kind::FetchStorm => Unit::Fetches,
        Kind::Outage => Unit::Answers,
        _ => Unit::Seconds,
    }
}

fn every(
    r: &LifecycleRun<'_>,
    kinds: &[Kind],
    f: impl Fn(Kind, &str) -> Measurement,
) -> Vec<Measurement> {
    r.backends
        .iter()
        .flat_map(|b| kinds.iter().map(|k| f(*k, &b.name)).collect::<Vec<_>>())
        .collect()
}

fn header_alg(token: &str) -> Option<Algorithm> {
    Algorithm::from_name(Token::parse(token).ok()?.alg()?)
}

fn header_kid(token: &str) -> Option<String> {
    Token::parse(token).ok()?.kid().map(str::to_owned)
}

/// A token anyone can make: the issuer's algorithm, a made-up `kid`, valid-looking claims copied
/// from `like`, signed by a key generated here.
pub fn made_up_kid_token(like: &str, alg: Algorithm, attacker: &SigningKey) -> Option<String> {
    let like = Token::parse(like).ok()?;
    let claims = like.payload();
    let mut kid = [0u8; 12];
    aws_lc_rs::rand::SecureRandom::fill(&aws_lc_rs::rand::SystemRandom::new(), &mut kid).ok()?;
    let header =
        json!({"alg": alg.name(), "kid": format!("authprobe-{}", crate::base64url::encode(kid))});
    crate::sign::sign_compact(header.to_string().as_bytes(), claims, attacker, alg).ok()
}

/// Skipped when the control plane cannot do it, error otherwise.
fn skip_or_error(kind: Kind, backend: &str, reason: &str) -> Measurement {
    match reason.strip_prefix("error: ") {
        Some(r) => Measurement::error(kind, backend, unit_of(kind), r),
        None => Measurement::skipped(kind, backend, unit_of(kind), reason),
    }
}

fn control_reason(e: &ControlError) -> String {
    match e {
        ControlError::NotConfigured(_) => e.to_string(),
        _ => format!("error: {e}"),
    }
}
