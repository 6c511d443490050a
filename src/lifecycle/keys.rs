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

use super::control::{ControlError, ControlOp, KeySetMode};
use super::{account::Account, secs, Backend, Kind, LifecycleRun, Measurement, Unit, Verdict};
use crate::algorithm::Algorithm;
use crate::deployment::http::TransportError;
use crate::judge::Cause;
use crate::sign::SigningKey;
use crate::token::Token;
use futures::future::join_all;
use serde_json::json;
use std::time::{Duration, Instant};

/// The longest the slow-key-set measurement probes.
const SLOW_WINDOW: Duration = Duration::from_secs(20);

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
struct Wait<'t> {
    kind: Kind,
    token: &'t str,
    accepted: bool,
    since: Instant,
    bound: Duration,
    limit: Duration,
    /// The finding when the wait runs out.
    cause: Cause,
}

impl Wait<'_> {
    /// The measurement for `b`: the time it took (`held` says it in words), or, when the limit
    /// ran out, at least that long, exceeded, with the cause (`ran_out` says it).
    async fn measure(
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

async fn adoption_and_retirement(
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

async fn fetch_storm(
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

async fn outage(
    r: &LifecycleRun<'_>,
    backends: &[Backend],
    account: &Account,
    alg: Algorithm,
    wanted: &dyn Fn(Kind) -> bool,
) -> Vec<Measurement> {
    let kinds: Vec<Kind> = [Kind::Outage, Kind::Recovery, Kind::SlowKeySet]
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
    if !r.control.can(ControlOp::JwksMode) {
        return fail_all(ControlError::NotConfigured(ControlOp::JwksMode.name()).to_string());
    }
    let known = match account.mint(r.http, r.auth).await {
        Ok(t) => t,
        Err(e) => return fail_all(format!("error: no JWT: {e}")),
    };
    let attacker = match SigningKey::generate(alg.key_family()) {
        Ok(k) => k,
        Err(e) => return fail_all(format!("error: {e}")),
    };
    if let Err(e) = r.control.set_key_set(r.http, KeySetMode::Down).await {
        return fail_all(control_reason(&e));
    }
    let mut out = Vec::new();
    // From here on the key set must come back up whatever happens.
    let rotated = r.control.rotate(r.http).await;
    let unknown_token = match &rotated {
        Ok(_) => account.mint(r.http, r.auth).await.ok(),
        Err(_) => None,
    };
    let rotated_at = Instant::now();
    if wanted(Kind::Outage) {
        out.extend(
            outage_answers(
                r,
                backends,
                &known,
                unknown_token.as_deref(),
                alg,
                &attacker,
            )
            .await,
        );
    }
    let up = r.control.set_key_set(r.http, KeySetMode::Up).await;
    if let Err(e) = up {
        out.extend(kinds.iter().filter(|k| **k != Kind::Outage).flat_map(|k| {
            backends.iter().map(|b| {
                Measurement::error(
                    *k,
                    &b.name,
                    unit_of(*k),
                    format!("the key set could not be brought back up: {e}"),
                )
            })
        }));
        return out;
    }
    let back_at = Instant::now();
    if wanted(Kind::Recovery) {
        match (&rotated, &unknown_token) {
            (Ok(rot), Some(token)) => {
                let limit = r.policy.max_adoption;
                let wait = Wait {
                    kind: Kind::Recovery,
                    token,
                    accepted: true,
                    since: back_at,
                    bound: limit,
                    limit,
                    cause: Cause::KeySetOutageNoRecovery,
                };
                let (wait, kid) = (&wait, rot.kid.as_str());
                // The rotation came this long before the key set's return.
                let lead = back_at.duration_since(rotated_at).as_secs_f64();
                let polls = backends.iter().map(|b| {
                    wait.measure(
                        r,
                        b,
                        move |t| format!(
                            "the key rotated in during the outage ({kid}) was accepted {:.1} s after the key set came back ({:.1} s after the rotation)",
                            t.as_secs_f64(),
                            lead + t.as_secs_f64()
                        ),
                        move |t| format!(
                            "the key rotated in during the outage ({kid}) was still refused {:.1} s after the key set came back (bound {:.0} s)",
                            t.as_secs_f64(),
                            limit.as_secs_f64()
                        ),
                    )
                });
                out.extend(join_all(polls).await);
            }
            (Err(e), _) => out.extend(
                backends
                    .iter()
                    .map(|b| skip_or_error(Kind::Recovery, &b.name, &control_reason(e))),
            ),
            (Ok(_), None) => out.extend(backends.iter().map(|b| {
                Measurement::error(
                    Kind::Recovery,
                    &b.name,
                    Unit::Seconds,
                    "no JWT after the rotation",
                )
            })),
        }
    }
    if wanted(Kind::SlowKeySet) {
        out.extend(slow_key_set(r, backends, account).await);
    }
    out
}

/// While the key set is down: every poll interval, each backend gets a token of the key rotated
/// in during the outage, a token with a made-up `kid` and a token of a key it knows, for as long
/// as a backend may wait before it tries to refetch (the adoption bound), or until every backend
/// has tried (the issuer counted a fetch per backend) and answered once more.
async fn outage_answers(
    r: &LifecycleRun<'_>,
    backends: &[Backend],
    known: &str,
    unknown_token: Option<&str>,
    alg: Algorithm,
    attacker: &SigningKey,
) -> Vec<Measurement> {
    let started = Instant::now();
    let window = r.policy.max_adoption;
    let fetches_before = r.control.jwks_fetches(r.http).await.ok();
    let made_up = made_up_kid_token(known, alg, attacker);
    let cases: [(&str, Option<&str>, bool); 3] = [
        (
            "a token of a key rotated in during the outage",
            unknown_token,
            false,
        ),
        (
            "a token with a made-up kid (anyone can make it)",
            made_up.as_deref(),
            true,
        ),
        (
            "a token of a key the backend already knows",
            Some(known),
            false,
        ),
    ];
    #[derive(Default)]
    struct Tally {
        sent: u32,
        bad: u32,
        causes: Vec<(Cause, String)>,
        answers: std::collections::BTreeSet<String>,
    }
    let mut tallies: Vec<Tally> = backends.iter().map(|_| Tally::default()).collect();
    let mut rounds_after_fetches = 0;
    loop {
        let round = backends.iter().map(|b| async move {
            let mut answers = Vec::new();
            for (label, token, forged) in cases {
                let Some(token) = token else { continue };
                answers.push((label, forged, b.probe(r.http, token).await));
            }
            answers
        });
        for (tally, answers) in tallies.iter_mut().zip(join_all(round).await) {
            for (label, forged, answer) in answers {
                tally.sent += 1;
                let cause = match &answer {
                    Ok(resp) if (200..300).contains(&resp.status) && forged => Some((
                        Cause::KeySetOutageAcceptsForged,
                        format!("while the key set was down, {label} was accepted"),
                    )),
                    Ok(resp) if resp.status >= 500 && resp.status != 503 => Some((
                        Cause::KeySetOutageServerError,
                        format!(
                            "while the key set was down, {label} got HTTP {}",
                            resp.status
                        ),
                    )),
                    Err(TransportError::Timeout(t)) => Some((
                        Cause::KeySetOutageServerError,
                        format!(
                            "while the key set was down, {label} got no answer within {:.0} s",
                            t.as_secs_f64()
                        ),
                    )),
                    Ok(resp) => {
                        tally
                            .answers
                            .insert(format!("{label}: HTTP {}", resp.status));
                        None
                    }
                    Err(e) => {
                        tally.answers.insert(format!("{label}: {e}"));
                        None
                    }
                };
                if let Some(c) = cause {
                    tally.bad += 1;
                    if !tally.causes.contains(&c) {
                        tally.causes.push(c);
                    }
                }
            }
        }
        if started.elapsed() >= window {
            break;
        }
        if let Some(before) = fetches_before {
            let now = r.control.jwks_fetches(r.http).await.unwrap_or(before);
            if now.saturating_sub(before) >= backends.len() as u64 {
                rounds_after_fetches += 1;
                if rounds_after_fetches >= 2 {
                    break;
                }
            }
        }
        tokio::time::sleep(r.policy.poll_interval).await;
    }
    backends
        .iter()
        .zip(tallies)
        .map(|(b, t)| {
            let mut m = Measurement::new(Kind::Outage, &b.name, Unit::Answers);
            m.value = Some(f64::from(t.bad));
            m.bound = Some(0.0);
            m.verdict = if t.bad == 0 { Verdict::Within } else { Verdict::Exceeded };
            m.detail = format!(
                "{} of {} answers in {:.1} s with the key set down were 5xx (other than 503), hangs or acceptances of a forged token; {}",
                t.bad,
                t.sent,
                started.elapsed().as_secs_f64(),
                t.answers.into_iter().collect::<Vec<_>>().join("; ")
            );
            m.causes = t.causes;
            m.duration_ms = started.elapsed().as_millis() as u64;
            m
        })
        .collect()
}

async fn slow_key_set(
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
