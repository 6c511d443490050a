//! What the issuer does for a request: ids, sessions and their signed cookies (found again by
//! cookie or, as the bearer plugin does, by `Authorization: Bearer`), JWTs minted as the jwt
//! plugin mints them, and Better Auth's production-mode rate limiter.

use super::clock::unix_now;
use super::responses::header;
use super::state::{AuthState, User};
use crate::algorithm::Algorithm;
use crate::base64url;
use crate::sign::sign_compact;
use serde_json::json;
use std::time::{Duration, Instant};
use wiremock::Request;

/// Better Auth's JWT lifetime (`expirationTime` default "15m").
pub const JWT_LIFETIME_SECS: i64 = 900;
pub(super) const SESSION_COOKIE: &str = "better-auth.session_token";

impl AuthState {
    pub(super) fn remove_sessions(&self, email: &str, except: Option<&str>) {
        self.sessions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|token, owner| owner != email || Some(token.as_str()) == except);
    }

    pub(super) fn id(&self, len: usize) -> String {
        let mut counter = self.counter.lock().unwrap_or_else(|e| e.into_inner());
        *counter += 1;
        // Better Auth ids are random [A-Za-z0-9]; a keyed hash of a counter keeps them unguessable
        // enough for a mock and reproducible within a run.
        let digest = aws_lc_rs::digest::digest(
            &aws_lc_rs::digest::SHA256,
            format!("{}:{}", self.kid, *counter).as_bytes(),
        );
        base64url::encode(digest.as_ref())
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(len)
            .collect()
    }

    /// Mints a JWT for a user the way the jwt plugin does.
    pub(super) fn mint(&self, user: &User) -> String {
        let now = unix_now();
        let (kid, key) = {
            let lab = self.lab();
            let k = lab
                .keys
                .last()
                .expect("the issuer always has a signing key");
            (k.kid.clone(), k.key.clone())
        };
        let header = json!({"alg": "EdDSA", "kid": kid}).to_string();
        let claims = json!({
            "iat": now, "name": user.name, "email": user.email, "emailVerified": false, "image": null,
            "createdAt": user.created_at, "updatedAt": user.created_at, "id": user.id, "sub": user.id,
            "exp": now + JWT_LIFETIME_SECS, "iss": self.origin, "aud": self.origin,
        })
        .to_string();
        sign_compact(
            header.as_bytes(),
            claims.as_bytes(),
            key.as_deref().unwrap_or(&self.key),
            Algorithm::EdDSA,
        )
        .expect("the mock issuer's Ed25519 key signs EdDSA")
    }

    fn signed_cookie_value(&self, token: &str) -> String {
        let mac = aws_lc_rs::hmac::sign(
            &aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, self.kid.as_bytes()),
            token.as_bytes(),
        );
        let sig = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, mac.as_ref());
        format!(
            "{token}.{}",
            sig.replace('+', "%2B")
                .replace('/', "%2F")
                .replace('=', "%3D")
        )
    }

    /// The session of the request: its session cookie, or (the bearer plugin) its
    /// `Authorization: Bearer <session token>`.
    pub(super) fn session_user(&self, request: &Request) -> Option<(String, User)> {
        let cookie = header(request, "cookie").and_then(|cookie| {
            cookie
                .split(';')
                .find_map(|c| c.trim().strip_prefix(&format!("{SESSION_COOKIE}=")))
                .map(str::to_owned)
        });
        let bearer = || {
            header(request, "authorization")?
                .strip_prefix("Bearer ")
                .map(str::to_owned)
        };
        let value = cookie.or_else(bearer)?;
        let token = value.split('.').next()?.to_owned();
        let email = self.sessions.lock().ok()?.get(&token).cloned()?;
        let user = self.users.lock().ok()?.get(&email).cloned()?;
        Some((token, user))
    }

    pub(super) fn new_session(&self, user: &User) -> (String, String) {
        let token = self.id(32);
        self.sessions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(token.clone(), user.email.clone());
        let cookie = format!(
            "{SESSION_COOKIE}={}; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax",
            self.signed_cookie_value(&token)
        );
        (token, cookie)
    }

    /// Better Auth's limiter: keyed on `X-Forwarded-For` (a single value is trusted as is), a
    /// shared bucket otherwise; counted from the last allowed request.
    pub(super) fn rate_limited(&self, request: &Request, path: &str) -> Option<u64> {
        if !self.rate_limiting {
            return None;
        }
        let (max, window) = if path.starts_with("/sign-in") || path.starts_with("/sign-up") {
            (3, Duration::from_secs(10))
        } else {
            (100, Duration::from_secs(10))
        };
        let ip = header(request, "x-forwarded-for")
            .filter(|v| !v.contains(','))
            .unwrap_or_else(|| "no-trusted-ip".into());
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let entry = buckets.entry(format!("{ip}|{path}")).or_insert((now, 0));
        if now.duration_since(entry.0) >= window {
            *entry = (now, 0);
        }
        if entry.1 >= max {
            return Some(
                window
                    .saturating_sub(now.duration_since(entry.0))
                    .as_secs()
                    .max(1),
            );
        }
        entry.1 += 1;
        entry.0 = now;
        None
    }
}
