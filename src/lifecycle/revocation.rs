//! The revocation measurements (L07–L10): a fresh user per kind of revocation takes a JWT (every
//! backend must accept it), the session ends (sign-out, all sessions revoked, password changed
//! with the other sessions revoked, the user banned by an admin), and each backend is asked
//! again. A stateless backend keeps accepting the JWT until it expires: the lag is the token's
//! remaining lifetime, informational unless the policy sets `max_revocation_lag_s` and the lag
//! exceeds it. The auth server must also refuse the dead session a new JWT.

use super::account::Account;
use super::control::{ControlError, ControlOp};
use super::{secs, Kind, LifecycleRun, Measurement, Unit, Verdict};
use crate::judge::Cause;
use futures::future::join_all;
use serde_json::Value;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Runs the revocation measurements that `wanted` selects.
pub async fn measure(r: &LifecycleRun<'_>, wanted: &dyn Fn(Kind) -> bool) -> Vec<Measurement> {
    let mut out = Vec::new();
    for kind in [
        Kind::SignOut,
        Kind::RevokeSessions,
        Kind::ChangePassword,
        Kind::Ban,
    ] {
        if wanted(kind) {
            out.extend(one(r, kind).await);
        }
    }
    out
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

async fn one(r: &LifecycleRun<'_>, kind: Kind) -> Vec<Measurement> {
    let all = |make: &dyn Fn(&str) -> Measurement| -> Vec<Measurement> {
        r.backends.iter().map(|b| make(&b.name)).collect()
    };
    let victim = match Account::sign_up(r.http, r.auth, &r.run_id, kind.name()).await {
        Ok(a) => a,
        Err(e) => {
            return all(&|b| Measurement::error(kind, b, Unit::Seconds, format!("no session: {e}")))
        }
    };
    // The JWT replayed afterwards: every backend must accept it while the session is alive.
    let jwt = victim.session.jwt.clone();
    let mut before = Vec::new();
    for b in &r.backends {
        let settled = b
            .settle(r.http, &jwt, r.policy.max_adoption, r.policy.poll_interval)
            .await;
        before.push(match settled {
            Ok(status) if (200..300).contains(&status) => None,
            Ok(status) => Some(format!(
                "the backend refused the JWT before the revocation (HTTP {status})"
            )),
            Err(e) => Some(format!("backend unreachable: {e}")),
        });
    }
    let revoke: Result<(), String> = match kind {
        Kind::SignOut => victim
            .sign_out(r.http, r.auth)
            .await
            .map_err(|e| e.to_string()),
        Kind::RevokeSessions => victim
            .revoke_sessions(r.http, r.auth)
            .await
            .map_err(|e| e.to_string()),
        // The password is changed from a second session, revoking the other ones: the JWT's.
        Kind::ChangePassword => {
            match Account::sign_in(
                r.http,
                r.auth,
                &victim.session.email,
                &victim.session.password,
            )
            .await
            {
                Ok(second) => second
                    .change_password(
                        r.http,
                        r.auth,
                        &format!("{}-Changed2!", victim.session.password),
                    )
                    .await
                    .map_err(|e| e.to_string()),
                Err(e) => Err(format!("a second session: {e}")),
            }
        }
        Kind::Ban => ban(r, &victim).await,
        _ => unreachable!("not a revocation"),
    };
    if let Err(reason) = revoke {
        return all(&|b| match reason.strip_prefix("skip: ") {
            Some(why) => Measurement::skipped(kind, b, Unit::Seconds, why),
            None => Measurement::error(
                kind,
                b,
                Unit::Seconds,
                reason.trim_start_matches("error: ").to_owned(),
            ),
        });
    }
    let revoked_at = Instant::now();
    let minted = victim.token_status(r.http, r.auth).await;
    let lifetime = super::unverified_claims(&jwt).and_then(|c| {
        let exp = c.get("exp")?.as_f64()?;
        let iat = c.get("iat").and_then(Value::as_f64).unwrap_or_else(now);
        Some((exp, exp - iat))
    });
    let probes = r.backends.iter().zip(before).map(|(b, refused_before)| {
        let jwt = jwt.clone();
        let minted = &minted;
        async move {
            if let Some(why) = refused_before {
                return Measurement::error(kind, &b.name, Unit::Seconds, why);
            }
            let started = Instant::now();
            let mut m = Measurement::new(kind, &b.name, Unit::Seconds);
            match b.probe(r.http, &jwt).await {
                Ok(resp) if (200..300).contains(&resp.status) => {
                    let remaining = lifetime.map(|(exp, _)| (exp - now()).max(0.0));
                    m.value = remaining.map(|v| (v * 10.0).round() / 10.0);
                    m.bound = r
                        .policy
                        .max_revocation_lag
                        .map(secs)
                        .or(lifetime.map(|(_, l)| l));
                    m.detail = format!(
                        "the JWT was still accepted after {}; it stays valid until it expires{}",
                        kind.title().trim_start_matches("a JWT after "),
                        remaining
                            .map(|v| format!(" ({v:.0} s from now)"))
                            .unwrap_or_default()
                    );
                    match (r.policy.max_revocation_lag, remaining) {
                        (Some(limit), Some(rem)) if rem > limit.as_secs_f64() => {
                            m.verdict = Verdict::Exceeded;
                            m.detail.push_str(&format!(
                                ", longer than the policy's {:.0} s",
                                limit.as_secs_f64()
                            ));
                            m.causes.push((Cause::RevocationLagExceeded, m.detail.clone()));
                        }
                        (Some(_), _) => m.verdict = Verdict::Within,
                        (None, _) => {
                            m.verdict = Verdict::Info;
                            m.causes.push((Cause::RevokedTokenAccepted, m.detail.clone()));
                        }
                    }
                }
                Ok(resp) => {
                    m.value = Some(secs(revoked_at.elapsed()));
                    m.bound = r.policy.max_revocation_lag.map(secs);
                    m.verdict = Verdict::Within;
                    m.detail = format!(
                        "the JWT was refused (HTTP {}) right after the revocation: the backend checks the session",
                        resp.status
                    );
                }
                Err(e) => m.verdict = Verdict::Error(format!("backend unreachable: {e}")),
            }
            match minted {
                Ok(200) => {
                    let text = format!(
                        "after {}, the auth server still mints JWTs for the dead session",
                        kind.title().trim_start_matches("a JWT after ")
                    );
                    m.causes.push((Cause::RevokedSessionMintsTokens, text));
                    m.verdict = Verdict::Exceeded;
                }
                Ok(_) => {}
                Err(e) => m.detail.push_str(&format!("; /token could not be asked: {e}")),
            }
            m.duration_ms = started.elapsed().as_millis() as u64;
            m
        }
    });
    join_all(probes).await
}

/// Bans the victim as an admin: the profile's admin account, or a throwaway user the control
/// plane appoints.
async fn ban(r: &LifecycleRun<'_>, victim: &Account) -> Result<(), String> {
    let admin = match &r.admin {
        Some((email, password)) => Account::sign_in(r.http, r.auth, email, password)
            .await
            .map_err(|e| format!("error: the admin account: {e}"))?,
        None => {
            if !r.control.can(ControlOp::MakeAdmin) {
                return Err(format!(
                    "skip: {} (or admin_email_env/admin_password_env)",
                    ControlError::NotConfigured(ControlOp::MakeAdmin.name())
                ));
            }
            let admin = Account::sign_up(r.http, r.auth, &r.run_id, "admin")
                .await
                .map_err(|e| format!("error: an admin account: {e}"))?;
            match r.control.make_admin(r.http, &admin.session.email).await {
                Ok(()) => admin,
                Err(ControlError::Refused {
                    status: 409, body, ..
                }) => {
                    return Err(format!(
                        "skip: the auth server has no admin plugin ({body})"
                    ))
                }
                Err(e) => return Err(format!("error: {e}")),
            }
        }
    };
    let user_id = victim
        .user_id()
        .ok_or_else(|| "error: the victim's JWT has no sub".to_owned())?;
    admin
        .ban(r.http, r.auth, &user_id)
        .await
        .map_err(|e| match &e {
            super::account::AccountError::Step { message, .. }
                if message.starts_with("HTTP 404") =>
            {
                format!("skip: the auth server has no /admin/ban-user (admin plugin off): {e}")
            }
            _ => format!("error: {e}"),
        })
}
