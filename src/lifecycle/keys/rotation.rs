//! Measurements 1 and 2, adoption and retirement: rotate and poll with the new key's token until
//! every backend accepts it; retire the previous key and poll with its token until every backend
//! refuses it.

use super::wait::Wait;
use super::{control_reason, header_kid, skip_or_error};
use crate::judge::Cause;
use crate::lifecycle::{account::Account, Backend, Kind, LifecycleRun, Measurement, Unit};
use futures::future::join_all;
use std::time::Instant;

pub(super) async fn adoption_and_retirement(
    r: &LifecycleRun<'_>,
    backends: &[Backend],
    account: &Account,
    old_token: &str,
    wanted: &dyn Fn(Kind) -> bool,
) -> Vec<Measurement> {
    let kinds: Vec<Kind> = [Kind::Adoption, Kind::Retirement]
        .into_iter()
        .filter(|k| wanted(*k))
        .collect();
    let fail_all = |reason: String| -> Vec<Measurement> {
        backends
            .iter()
            .flat_map(|b| {
                kinds
                    .iter()
                    .map(|k| skip_or_error(*k, &b.name, &reason))
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    let old_kid = header_kid(old_token);
    let rotated = match r.control.rotate(r.http).await {
        Ok(x) => x,
        Err(e) => return fail_all(control_reason(&e)),
    };
    let rotated_at = Instant::now();
    let new_token = match account.mint(r.http, r.auth).await {
        Ok(t) => t,
        Err(e) => return fail_all(format!("error: no JWT after the rotation: {e}")),
    };
    if header_kid(&new_token).as_deref() != Some(rotated.kid.as_str()) {
        return fail_all(format!(
            "error: after the rotation the issuer still signs with kid {:?}, not the new {:?}",
            header_kid(&new_token),
            rotated.kid
        ));
    }
    let mut out = Vec::new();
    if wanted(Kind::Adoption) {
        let limit = r.policy.max_adoption;
        let wait = Wait {
            kind: Kind::Adoption,
            token: &new_token,
            accepted: true,
            since: rotated_at,
            bound: limit,
            limit,
            cause: Cause::NewKeyNotAdopted,
        };
        let (wait, kid) = (&wait, rotated.kid.as_str());
        let polls = backends.iter().map(|b| {
            wait.measure(
                r,
                b,
                move |t| format!("the new key ({kid}) was accepted {:.1} s after the rotation", t.as_secs_f64()),
                move |t| format!(
                    "a token of the new key ({kid}) was still refused {:.1} s after the rotation (bound {:.0} s): after a rotation every user is locked out until the backend refetches its keys",
                    t.as_secs_f64(),
                    limit.as_secs_f64()
                ),
            )
        });
        out.extend(join_all(polls).await);
    }
    if wanted(Kind::Retirement) {
        let Some(old_kid) = rotated.previous.clone().or(old_kid) else {
            return out
                .into_iter()
                .chain(backends.iter().map(|b| {
                    Measurement::error(
                        Kind::Retirement,
                        &b.name,
                        Unit::Seconds,
                        "the issuer's first token names no kid",
                    )
                }))
                .collect();
        };
        // Every backend sees the old key's token once more first: a cache that went stale while
        // a slower backend was still being waited for refetches now, so each retirement time
        // starts from a fresh cache (the worst case, its full age) rather than a stale one.
        join_all(backends.iter().map(|b| b.probe(r.http, old_token))).await;
        if let Err(e) = r.control.retire(r.http, &old_kid).await {
            let reason = control_reason(&e);
            out.extend(
                backends
                    .iter()
                    .map(|b| skip_or_error(Kind::Retirement, &b.name, &reason)),
            );
            return out;
        }
        let bound = r.policy.max_key_cache;
        // Two polls past the bound, so that a backend exactly at its bound is not flagged.
        let wait = Wait {
            kind: Kind::Retirement,
            token: old_token,
            accepted: false,
            since: Instant::now(),
            bound,
            limit: bound + r.policy.poll_interval * 2,
            cause: Cause::RetiredKeyAccepted,
        };
        let (wait, old_kid) = (&wait, old_kid.as_str());
        let polls = backends.iter().map(|b| {
            wait.measure(
                r,
                b,
                move |t| format!(
                    "a token of the removed key ({old_kid}) was refused {:.1} s after the key left the key set",
                    t.as_secs_f64()
                ),
                move |t| format!(
                    "a token of the removed key ({old_kid}) was still accepted {:.1} s after the key left the key set (bound {:.0} s): a retired or compromised key keeps working",
                    t.as_secs_f64(),
                    bound.as_secs_f64()
                ),
            )
        });
        out.extend(join_all(polls).await);
    }
    out
}
