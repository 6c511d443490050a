//! Getting a real session from Better Auth (mock or live): sign up a throwaway user (or sign in
//! with credentials from the environment), take a JWT from `/token`, and fetch `/jwks`.

use super::http::{Http, Incoming, Outgoing, TransportError};
use crate::deployment::Endpoints;
use serde_json::{json, Map, Value};

/// A signed-in user and what the harness learned from the auth server.
#[derive(Debug, Clone)]
pub struct Session {
    pub name: String,
    pub email: String,
    pub password: String,
    /// `better-auth.session_token=<token>.<sig>` (the Cookie header value).
    pub cookie: String,
    /// The opaque session token.
    pub session_token: String,
    /// A JWT from `/token`.
    pub jwt: String,
    /// The published key set document.
    pub jwks: Value,
}

impl Session {
    /// The published keys (`keys` entries).
    pub fn published_keys(&self) -> Vec<Map<String, Value>> {
        self.jwks["keys"]
            .as_array()
            .map(|a| a.iter().filter_map(|k| k.as_object().cloned()).collect())
            .unwrap_or_default()
    }
}

/// Why no session could be had.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    #[error("the auth server could not be reached: {0}")]
    Transport(#[from] TransportError),
    #[error("{step} answered HTTP {status}: {body}")]
    Refused {
        step: &'static str,
        status: u16,
        body: String,
    },
    #[error("{0}")]
    Unexpected(String),
}

fn refused(step: &'static str, r: &Incoming) -> SessionError {
    SessionError::Refused {
        step,
        status: r.status,
        body: String::from_utf8_lossy(&r.body).chars().take(200).collect(),
    }
}

/// Credentials to use: a throwaway user, or an existing one from the environment.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub name: String,
    pub email: String,
    pub password: String,
    pub sign_up: bool,
}

impl Credentials {
    /// A unique throwaway user for this run.
    pub fn throwaway(run_id: &str) -> Credentials {
        let tag: String = run_id
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_lowercase();
        Credentials {
            name: "authprobe".into(),
            email: format!("authprobe-{tag}@example.com"),
            password: format!("authprobe-{tag}-Pw1!"),
            sign_up: true,
        }
    }
}

/// Signs up (or in), takes a JWT from `/token` and reads `/jwks`.
pub async fn bootstrap(
    http: &Http,
    endpoints: &Endpoints,
    creds: &Credentials,
) -> Result<Session, SessionError> {
    let auth = endpoints
        .auth
        .as_deref()
        .ok_or_else(|| SessionError::Unexpected("no auth server URL".into()))?;
    let base = format!("{}{}", auth.trim_end_matches('/'), endpoints.auth_base_path);
    // A unique client address per run keeps Better Auth's per-IP sign-in limiter (3 per 10 s in
    // production mode) from blocking the harness's own session.
    let xff = format!("198.18.{}.{}", rand_byte(), rand_byte());
    let post = |path: &str, body: Value| Outgoing {
        method: "POST".into(),
        url: format!("{base}{path}"),
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("x-forwarded-for".into(), xff.clone()),
        ],
        body: Some(body.to_string().into_bytes()),
    };
    let mut response = None;
    if creds.sign_up {
        let r = http
            .send(&post(
                "/sign-up/email",
                json!({"name": creds.name, "email": creds.email, "password": creds.password}),
            ))
            .await?;
        if r.status == 200 {
            response = Some(r);
        } else if r.status != 422 {
            return Err(refused("sign-up", &r));
        }
    }
    let response = match response {
        Some(r) => r,
        None => {
            let r = http
                .send(&post(
                    "/sign-in/email",
                    json!({"email": creds.email, "password": creds.password}),
                ))
                .await?;
            if r.status != 200 {
                return Err(refused("sign-in", &r));
            }
            r
        }
    };
    let cookie = response
        .header_all("set-cookie")
        .filter_map(|c| c.split(';').next())
        .find(|c| {
            c.split('=')
                .next()
                .is_some_and(|n| n.ends_with("session_token"))
        })
        .map(str::to_owned)
        .ok_or_else(|| SessionError::Unexpected("sign-in set no session cookie".into()))?;
    let body: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    let session_token = body["token"].as_str().unwrap_or_default().to_owned();
    let get = |path: &str, cookie: Option<&str>| Outgoing {
        method: "GET".into(),
        url: format!("{base}{path}"),
        headers: cookie
            .map(|c| vec![("cookie".to_owned(), c.to_owned())])
            .unwrap_or_default(),
        body: None,
    };
    let r = http.send(&get("/token", Some(&cookie))).await?;
    if r.status != 200 {
        return Err(refused("/token", &r));
    }
    let jwt = serde_json::from_slice::<Value>(&r.body)
        .ok()
        .and_then(|v| v["token"].as_str().map(str::to_owned))
        .ok_or_else(|| SessionError::Unexpected("/token answered no token".into()))?;
    let r = http.send(&get("/jwks", None)).await?;
    if r.status != 200 {
        return Err(refused("/jwks", &r));
    }
    let jwks: Value = serde_json::from_slice(&r.body)
        .map_err(|e| SessionError::Unexpected(format!("/jwks is not JSON: {e}")))?;
    Ok(Session {
        name: creds.name.clone(),
        email: creds.email.clone(),
        password: creds.password.clone(),
        cookie,
        session_token,
        jwt,
        jwks,
    })
}

fn rand_byte() -> u8 {
    let mut b = [0u8; 1];
    let _ = aws_lc_rs::rand::SecureRandom::fill(&aws_lc_rs::rand::SystemRandom::new(), &mut b);
    b[0].max(1)
}
