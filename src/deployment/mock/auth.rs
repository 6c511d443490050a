//! The mock Better Auth server: the endpoints authprobe uses (sign-up, sign-in, get-session with
//! `set-auth-jwt`, `/token`, `/jwks`, sign-out, `/ok`) with the response shapes, cookies, error
//! bodies, origin checks and production-mode rate limits observed on Better Auth 1.7
//! (../shared/better-auth-transcripts.md). Tokens are real EdDSA JWTs from a real Ed25519 key.
//!
//! For the lifecycle measurements it also has what a real deployment gets from its plugins and
//! from deploy/auth-server's lab control plane: sessions by `Authorization: Bearer` (the bearer
//! plugin), `/revoke-sessions`, `/change-password`, `/admin/ban-user` (the admin plugin), and
//! `/__lab/{rotate,retire,jwks-fetches,jwks,make-admin}` ([`LabControl`]): key rotation and
//! retirement, a count of key-set fetches, a key set that is down or slow, and admin rights.

use crate::algorithm::Algorithm;
use crate::base64url;
use crate::lifecycle::control::KeySetMode;
use crate::sign::{sign_compact, SigningKey};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use wiremock::{Request, Respond, ResponseTemplate};

/// Better Auth's JWT lifetime (`expirationTime` default "15m").
pub const JWT_LIFETIME_SECS: i64 = 900;
const SESSION_COOKIE: &str = "better-auth.session_token";

#[derive(Clone)]
struct User {
    id: String,
    name: String,
    email: String,
    password: String,
    created_at: String,
}

/// One signing key of the issuer (`key: None` is [`AuthState::key`]).
struct LabKey {
    kid: String,
    key: Option<Arc<SigningKey>>,
    published: bool,
}

/// What the lab control plane changes: the keys, the key set's mode, admins and bans.
struct Lab {
    /// Oldest first; the last one signs.
    keys: Vec<LabKey>,
    mode: KeySetMode,
    fetches: u64,
    admins: HashSet<String>,
    banned: HashSet<String>,
}

/// Shared state of the mock issuer.
pub struct AuthState {
    /// The origin tokens name as `iss` and `aud` (the baseURL origin, no `/api/auth`).
    pub origin: String,
    /// Origins allowed for cookie-bearing POSTs besides `origin`.
    pub trusted_origins: Vec<String>,
    /// The first signing key (the one white-box audits hold) and its `kid`.
    pub key: SigningKey,
    pub kid: String,
    /// Production-mode rate limiting (3 per 10 s on sign-in/sign-up, 100 per 10 s elsewhere).
    pub rate_limiting: bool,
    /// How long a key-set fetch takes while the key set is "slow".
    pub slow_key_set: Duration,
    lab: Mutex<Lab>,
    users: Mutex<HashMap<String, User>>,
    sessions: Mutex<HashMap<String, String>>,
    buckets: Mutex<HashMap<String, (Instant, u32)>>,
    counter: Mutex<u64>,
}

impl AuthState {
    pub fn new(origin: &str, key: SigningKey, kid: &str, rate_limiting: bool) -> Arc<AuthState> {
        Arc::new(AuthState {
            origin: origin.trim_end_matches('/').to_owned(),
            trusted_origins: Vec::new(),
            key,
            kid: kid.to_owned(),
            rate_limiting,
            slow_key_set: Duration::from_secs(2),
            lab: Mutex::new(Lab {
                keys: vec![LabKey {
                    kid: kid.to_owned(),
                    key: None,
                    published: true,
                }],
                mode: KeySetMode::Up,
                fetches: 0,
                admins: HashSet::new(),
                banned: HashSet::new(),
            }),
            users: Mutex::new(HashMap::new()),
            sessions: Mutex::new(HashMap::new()),
            buckets: Mutex::new(HashMap::new()),
            counter: Mutex::new(0),
        })
    }

    fn lab(&self) -> std::sync::MutexGuard<'_, Lab> {
        self.lab.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The published key set, exactly as Better Auth shapes it (newest key first, as Better
    /// Auth lists them).
    pub fn jwks(&self) -> Value {
        let lab = self.lab();
        let keys: Vec<Value> = lab
            .keys
            .iter()
            .rev()
            .filter(|k| k.published)
            .map(|k| {
                let jwk = k.key.as_deref().unwrap_or(&self.key).public_jwk(None, None);
                json!({"alg": "EdDSA", "crv": "Ed25519", "x": jwk["x"], "kty": "OKP", "kid": k.kid})
            })
            .collect();
        json!({ "keys": keys })
    }

    /// One key-set fetch (over HTTP or by a backend in the same process): counted, and the set
    /// with the time the answer takes, or `None` while the key set is down.
    pub fn fetch_key_set(&self) -> Option<(Value, Duration)> {
        let mode = {
            let mut lab = self.lab();
            lab.fetches += 1;
            lab.mode
        };
        match mode {
            KeySetMode::Down => None,
            KeySetMode::Up => Some((self.jwks(), Duration::ZERO)),
            KeySetMode::Slow => Some((self.jwks(), self.slow_key_set)),
        }
    }

    /// Key-set fetches so far.
    pub fn key_set_fetches(&self) -> u64 {
        self.lab().fetches
    }

    /// Makes the key set answer normally, fail or answer slowly.
    pub fn set_key_set_mode(&self, mode: KeySetMode) {
        self.lab().mode = mode;
    }

    /// The signing key's `kid`.
    pub fn current_kid(&self) -> String {
        let lab = self.lab();
        lab.keys.last().map(|k| k.kid.clone()).unwrap_or_default()
    }

    /// A new Ed25519 key signs from now on and is published beside the old ones (Better Auth's
    /// rotation keeps the old key in the set for its grace period). Returns the new and the
    /// previous `kid`.
    pub fn rotate(&self) -> (String, String) {
        let key = SigningKey::generate(crate::algorithm::KeyFamily::Ed25519)
            .expect("Ed25519 key generation");
        let kid = self.id(32);
        let mut lab = self.lab();
        let previous = lab.keys.last().map(|k| k.kid.clone()).unwrap_or_default();
        lab.keys.push(LabKey {
            kid: kid.clone(),
            key: Some(Arc::new(key)),
            published: true,
        });
        (kid, previous)
    }

    /// Removes a key from the published set (the end of its grace period); false when no
    /// published key has that `kid`.
    pub fn retire(&self, kid: &str) -> bool {
        let mut lab = self.lab();
        match lab.keys.iter_mut().find(|k| k.kid == kid && k.published) {
            Some(k) => {
                k.published = false;
                true
            }
            None => false,
        }
    }

    /// Gives the user with this e-mail the admin role; false when there is no such user.
    pub fn make_admin(&self, email: &str) -> bool {
        let email = email.to_lowercase();
        let known = self
            .users
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains_key(&email);
        if known {
            self.lab().admins.insert(email);
        }
        known
    }

    fn remove_sessions(&self, email: &str, except: Option<&str>) {
        self.sessions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|token, owner| owner != email || Some(token.as_str()) == except);
    }

    fn id(&self, len: usize) -> String {
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
    fn mint(&self, user: &User) -> String {
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
    fn session_user(&self, request: &Request) -> Option<(String, User)> {
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

    fn new_session(&self, user: &User) -> (String, String) {
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
    fn rate_limited(&self, request: &Request, path: &str) -> Option<u64> {
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

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn iso_now() -> String {
    let secs = unix_now();
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.000Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn header(request: &Request, name: &str) -> Option<String> {
    request
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn error(status: u16, code: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(
        json!({"message": message, "code": code}).to_string(),
        "application/json",
    )
}

fn ok(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body.to_string(), "application/json")
}

fn user_json(u: &User) -> Value {
    json!({"name": u.name, "email": u.email, "emailVerified": false, "image": null,
           "createdAt": u.created_at, "updatedAt": u.created_at, "id": u.id})
}

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
    fn origin_check(&self, request: &Request, form_csrf: bool) -> Option<ResponseTemplate> {
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
    fn body(
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

impl BetterAuth {
    /// `POST /revoke-sessions`: every session of the caller ends, the caller's too.
    fn revoke_sessions(&self, request: &Request) -> ResponseTemplate {
        let state = &self.0;
        if let Some(refusal) = self.origin_check(request, false) {
            return refusal;
        }
        let Some((_, user)) = state.session_user(request) else {
            return error(401, "UNAUTHORIZED", "Unauthorized");
        };
        state.remove_sessions(&user.email, None);
        ok(json!({"status": true}))
    }

    /// `POST /change-password` (`currentPassword`, `newPassword`, `revokeOtherSessions`).
    fn change_password(&self, request: &Request) -> ResponseTemplate {
        let state = &self.0;
        if let Some(refusal) = self.origin_check(request, false) {
            return refusal;
        }
        let Some((token, user)) = state.session_user(request) else {
            return error(401, "UNAUTHORIZED", "Unauthorized");
        };
        let body = match self.body(request) {
            Ok(b) => b,
            Err(e) => return *e,
        };
        if let Some(refusal) = require_strings(&body, &["currentPassword", "newPassword"]) {
            return refusal;
        }
        let field = |name: &str| body.get(name).and_then(Value::as_str).unwrap_or_default();
        let new_password = field("newPassword");
        if new_password.chars().count() < 8 {
            return error(400, "PASSWORD_TOO_SHORT", "Password too short");
        }
        if new_password.chars().count() > 128 {
            return error(400, "PASSWORD_TOO_LONG", "Password too long");
        }
        {
            let mut users = state.users.lock().unwrap_or_else(|e| e.into_inner());
            let Some(stored) = users.get_mut(&user.email) else {
                return error(401, "UNAUTHORIZED", "Unauthorized");
            };
            if stored.password != field("currentPassword") {
                return error(400, "INVALID_PASSWORD", "Invalid password");
            }
            stored.password = new_password.to_owned();
        }
        if body.get("revokeOtherSessions").and_then(Value::as_bool) == Some(true) {
            state.remove_sessions(&user.email, Some(&token));
        }
        ok(json!({"token": null, "user": user_json(&user)}))
    }

    /// `POST /admin/ban-user` (`userId`): the admin plugin's ban, which also ends every session
    /// of the user.
    fn ban_user(&self, request: &Request) -> ResponseTemplate {
        let state = &self.0;
        if let Some(refusal) = self.origin_check(request, false) {
            return refusal;
        }
        let Some((_, caller)) = state.session_user(request) else {
            return error(401, "UNAUTHORIZED", "Unauthorized");
        };
        if !state.lab().admins.contains(&caller.email) {
            return error(
                403,
                "YOU_ARE_NOT_ALLOWED_TO_BAN_USERS",
                "You are not allowed to ban users",
            );
        }
        let body = match self.body(request) {
            Ok(b) => b,
            Err(e) => return *e,
        };
        if let Some(refusal) = require_strings(&body, &["userId"]) {
            return refusal;
        }
        let id = body
            .get("userId")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let victim = state
            .users
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .find(|u| u.id == id)
            .cloned();
        let Some(victim) = victim else {
            return error(404, "USER_NOT_FOUND", "User not found");
        };
        state.lab().banned.insert(victim.email.clone());
        state.remove_sessions(&victim.email, None);
        ok(json!({"user": user_json(&victim)}))
    }
}

/// deploy/auth-server's lab control plane, on the mock: `POST /__lab/rotate` (`{"kid",
/// "previous"}`), `POST /__lab/retire?kid=`, `GET /__lab/jwks-fetches` (`{"count"}`),
/// `POST /__lab/jwks?mode=up|down|slow`, `POST /__lab/make-admin?email=`.
pub struct LabControl(pub Arc<AuthState>);

impl Respond for LabControl {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let state = &self.0;
        let query = |name: &str| {
            request
                .url
                .query_pairs()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
        };
        match (request.method.as_str(), request.url.path()) {
            ("POST", "/__lab/rotate") => {
                let (kid, previous) = state.rotate();
                ok(json!({"kid": kid, "previous": previous}))
            }
            ("POST", "/__lab/retire") => match query("kid") {
                Some(kid) if state.retire(&kid) => ok(json!({"retired": kid})),
                Some(kid) => error(404, "NO_SUCH_KEY", &format!("no published key {kid}")),
                None => error(400, "BAD_REQUEST", "kid is required"),
            },
            ("GET", "/__lab/jwks-fetches") => ok(json!({"count": state.key_set_fetches()})),
            ("POST", "/__lab/jwks") => {
                let mode = match query("mode").as_deref() {
                    Some("up") => KeySetMode::Up,
                    Some("down") => KeySetMode::Down,
                    Some("slow") => KeySetMode::Slow,
                    _ => return error(400, "BAD_REQUEST", "mode is up, down or slow"),
                };
                state.set_key_set_mode(mode);
                ok(json!({"mode": mode.name()}))
            }
            ("POST", "/__lab/make-admin") => match query("email") {
                Some(email) if state.make_admin(&email) => ok(json!({"admin": email})),
                Some(email) => error(404, "USER_NOT_FOUND", &format!("no user {email}")),
                None => error(400, "BAD_REQUEST", "email is required"),
            },
            _ => ResponseTemplate::new(404),
        }
    }
}

/// zod's answer when a required member is missing or not a string, as better-call words it.
fn require_strings(
    body: &serde_json::Map<String, Value>,
    names: &[&str],
) -> Option<ResponseTemplate> {
    names.iter().find_map(|name| {
        let received = match body.get(*name) {
            Some(Value::String(_)) => return None,
            Some(other) => json_type(other),
            None => "undefined",
        };
        Some(error(
            400,
            "VALIDATION_ERROR",
            &format!("[body.{name}] Invalid input: expected string, received {received}"),
        ))
    })
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn looks_like_email(s: &str) -> bool {
    let mut parts = s.splitn(2, '@');
    matches!((parts.next(), parts.next()), (Some(local), Some(domain))
        if !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.') && !s.contains(' '))
}

#[cfg(test)]
mod tests {
    use super::civil_from_days;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_783), (2026, 11, 26));
    }
}
