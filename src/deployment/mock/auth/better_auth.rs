//! The Better Auth responder ([`BetterAuth`], mounted at `/api/auth/*`): routing with the rate
//! limiter in front, `/ok`, `/jwks`, get-session with `set-auth-jwt`, `/token`, the origin and CSRF
//! checks, request bodies as Better Auth reads them, sign-up, sign-in and sign-out.

use super::clock::iso_now;
use super::responses::{error, header, looks_like_email, ok, require_strings, user_json};
use super::sessions::SESSION_COOKIE;
use super::state::{AuthState, User};
use serde_json::{json, Value};
use std::sync::Arc;
use wiremock::{Request, Respond, ResponseTemplate};

/// The mock Better Auth responder, mounted at `/api/auth/*`.
pub struct BetterAuth(pub Arc<AuthState>);

impl Respond for BetterAuth {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let state = &self.0;
        let Some(path) = request.url.path().strip_prefix("/api/auth") else {
            return ResponseTemplate::new(404);
        };
        let path = path.to_owned();
        if let Some(retry) = state.rate_limited(request, &path) {
            return ResponseTemplate::new(429)
                .insert_header("x-retry-after", retry.to_string().as_str())
                .set_body_raw(
                    json!({"message": "Too many requests. Please try again later."}).to_string(),
                    "application/json",
                );
        }
        let method = request.method.as_str();
        match (method, path.as_str()) {
            ("GET", "/ok") => ok(json!({"ok": true})),
            ("GET", "/jwks") => match state.fetch_key_set() {
                Some((jwks, delay)) => ok(jwks).set_delay(delay),
                None => error(503, "SERVICE_UNAVAILABLE", "key set unavailable"),
            },
            ("POST", "/revoke-sessions") => self.revoke_sessions(request),
            ("POST", "/change-password") => self.change_password(request),
            ("POST", "/admin/ban-user") => self.ban_user(request),
            ("POST", "/sign-up/email") => self.sign_up(request),
            ("POST", "/sign-in/email") => self.sign_in(request),
            ("GET", "/get-session") => match state.session_user(request) {
                Some((token, user)) => ok(json!({
                    "session": {"token": token, "userId": user.id, "ipAddress": "", "userAgent": header(request, "user-agent")},
                    "user": user_json(&user),
                }))
                .insert_header("set-auth-jwt", state.mint(&user).as_str())
                .insert_header("access-control-expose-headers", "set-auth-jwt")
                .insert_header("cache-control", "no-store")
                .insert_header("pragma", "no-cache"),
                None => ok(Value::Null).insert_header("cache-control", "no-store"),
            },
            ("GET", "/token") => match state.session_user(request) {
                Some((_, user)) => ok(json!({"token": state.mint(&user)})),
                None => error(401, "UNAUTHORIZED", "Unauthorized"),
            },
            ("POST", "/sign-out") => self.sign_out(request),
            ("POST", "/get-session") => error(
                405,
                "METHOD_NOT_ALLOWED_DEFER_SESSION_REQUIRED",
                "POST method requires deferSessionRefresh to be enabled in session config",
            ),
            _ => ResponseTemplate::new(404),
        }
    }
}

impl BetterAuth {
    /// Origin / CSRF checks: with a cookie, Origin (or Referer) must be present and trusted;
    /// without one, a present Origin must be trusted and a cross-site navigation is refused.
    pub(super) fn origin_check(
        &self,
        request: &Request,
        form_csrf: bool,
    ) -> Option<ResponseTemplate> {
        let state = &self.0;
        let origin = header(request, "origin").or_else(|| {
            header(request, "referer").map(|r| r.split('/').take(3).collect::<Vec<_>>().join("/"))
        });
        let trusted = |o: &str| o == state.origin || state.trusted_origins.iter().any(|t| t == o);
        if header(request, "cookie").is_some() {
            return match origin.as_deref() {
                None | Some("null") => Some(error(
                    403,
                    "MISSING_OR_NULL_ORIGIN",
                    "Missing or null Origin",
                )),
                Some(o) if !trusted(o) => Some(error(403, "INVALID_ORIGIN", "Invalid origin")),
                _ => None,
            };
        }
        if form_csrf {
            if header(request, "sec-fetch-site").as_deref() == Some("cross-site")
                && header(request, "sec-fetch-mode").as_deref() == Some("navigate")
            {
                return Some(error(
                    403,
                    "CROSS_SITE_NAVIGATION_LOGIN_BLOCKED",
                    "Cross-site navigation login blocked. This request appears to be a CSRF attack.",
                ));
            }
            if let Some(o) = origin.as_deref() {
                if !trusted(o) {
                    return Some(error(403, "INVALID_ORIGIN", "Invalid origin"));
                }
            }
        }
        None
    }

    /// Parses a JSON or form body the way better-call does, or answers its error.
    pub(super) fn body(
        &self,
        request: &Request,
    ) -> Result<serde_json::Map<String, Value>, Box<ResponseTemplate>> {
        let content_type = header(request, "content-type").unwrap_or_default();
        let media = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        let value: Value = match media.as_str() {
            "" => {
                return Err(Box::new(error(400, "VALIDATION_ERROR",
                    "[body] Invalid input: expected object, received undefined; [body] Invalid input: expected record, received undefined")))
            }
            "application/json" => serde_json::from_slice(&request.body)
                .map_err(|_| Box::new(error(400, "BAD_REQUEST", "Invalid JSON in request body")))?,
            "application/x-www-form-urlencoded" => Value::Object(
                url::form_urlencoded::parse(&request.body)
                    .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
                    .collect(),
            ),
            other => {
                return Err(Box::new(error(415, "UNSUPPORTED_MEDIA_TYPE", &format!(
                    "Content-Type \"{other}\" is not allowed. Allowed types: application/x-www-form-urlencoded, application/json"))))
            }
        };
        match value {
            Value::Object(map) => Ok(map),
            Value::Array(_) => Err(Box::new(error(
                400,
                "VALIDATION_ERROR",
                "[body] Invalid input: expected object, received array",
            ))),
            _ => Err(Box::new(error(
                400,
                "VALIDATION_ERROR",
                "[body] Invalid input: expected object",
            ))),
        }
    }

    fn sign_up(&self, request: &Request) -> ResponseTemplate {
        let state = &self.0;
        if let Some(refusal) = self.origin_check(request, true) {
            return refusal;
        }
        let body = match self.body(request) {
            Ok(b) => b,
            Err(e) => return *e,
        };
        let field = |name: &str| body.get(name).and_then(Value::as_str).map(str::to_owned);
        if let Some(refusal) = require_strings(&body, &["name", "email", "password"]) {
            return refusal;
        }
        let (name, email, password) = (
            field("name").unwrap_or_default(),
            field("email").unwrap_or_default(),
            field("password").unwrap_or_default(),
        );
        if !looks_like_email(&email) {
            return error(
                400,
                "VALIDATION_ERROR",
                "[body.email] Invalid email address",
            );
        }
        if password.chars().count() < 8 {
            return error(400, "PASSWORD_TOO_SHORT", "Password too short");
        }
        if password.chars().count() > 128 {
            return error(400, "PASSWORD_TOO_LONG", "Password too long");
        }
        let email = email.to_lowercase();
        let user = {
            let mut users = state.users.lock().unwrap_or_else(|e| e.into_inner());
            if users.contains_key(&email) {
                return error(
                    422,
                    "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL",
                    "User already exists. Use another email.",
                );
            }
            let user = User {
                id: state.id(32),
                name,
                email: email.clone(),
                password,
                created_at: iso_now(),
            };
            users.insert(email, user.clone());
            user
        };
        let (token, cookie) = state.new_session(&user);
        ok(json!({"token": token, "user": user_json(&user)}))
            .insert_header("set-cookie", cookie.as_str())
    }

    fn sign_in(&self, request: &Request) -> ResponseTemplate {
        let state = &self.0;
        if let Some(refusal) = self.origin_check(request, true) {
            return refusal;
        }
        let body = match self.body(request) {
            Ok(b) => b,
            Err(e) => return *e,
        };
        if let Some(refusal) = require_strings(&body, &["email", "password"]) {
            return refusal;
        }
        let email = body
            .get("email")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_lowercase();
        let password = body
            .get("password")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if password.chars().count() > 128 {
            return error(400, "PASSWORD_TOO_LONG", "Password too long");
        }
        let user = state
            .users
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&email)
            .cloned();
        match user {
            Some(user) if user.password == password && state.lab().banned.contains(&email) => {
                error(
                    403,
                    "BANNED_USER",
                    "You have been banned from this application. Please contact support if you believe this is an error.",
                )
            }
            Some(user) if user.password == password => {
                let (token, cookie) = state.new_session(&user);
                ok(json!({"redirect": false, "token": token, "user": user_json(&user)}))
                    .insert_header("set-cookie", cookie.as_str())
            }
            _ => error(
                401,
                "INVALID_EMAIL_OR_PASSWORD",
                "Invalid email or password",
            ),
        }
    }

    fn sign_out(&self, request: &Request) -> ResponseTemplate {
        let state = &self.0;
        if let Some(refusal) = self.origin_check(request, false) {
            return refusal;
        }
        if let Some((token, _)) = state.session_user(request) {
            state
                .sessions
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&token);
        }
        let mut response = ok(json!({"success": true}));
        for name in [
            SESSION_COOKIE,
            "better-auth.session_data",
            "better-auth.dont_remember",
        ] {
            response = response.append_header(
                "set-cookie",
                format!("{name}=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax").as_str(),
            );
        }
        response
    }
}
