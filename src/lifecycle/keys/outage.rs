//! Measurements 4 and 5, outage and recovery: with the key set down and a rotation the backends
//! cannot know, what each backend answers to the new key's token, a made-up `kid` and a known
//! key's token; then, key set up, how long until the new key is accepted. The slow-key-set
//! measurement follows from here.

use super::slow::slow_key_set;
use super::wait::Wait;
use super::{control_reason, made_up_kid_token, skip_or_error, unit_of};
use crate::algorithm::Algorithm;
use crate::deployment::http::TransportError;
use crate::judge::Cause;
use crate::lifecycle::control::{ControlError, ControlOp, KeySetMode};
use crate::lifecycle::{account::Account, Backend, Kind, LifecycleRun, Measurement, Unit, Verdict};
use crate::sign::SigningKey;
use futures::future::join_all;
use std::time::Instant;

pub(super) async fn outage(
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
