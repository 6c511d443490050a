//! The accounts a lifecycle run creates at the auth server and what it does with them through
//! Better Auth's public API: sign up (a throwaway user per measurement), take a JWT from the
//! session, sign out, revoke every session, change the password (revoking the other sessions),
//! and, as an admin, ban a user (`/admin/ban-user`, Better Auth's admin plugin).

use crate::deployment::http::{Http, Incoming, Outgoing};
use crate::deployment::session::{self, Credentials, Session, SessionError};
use crate::deployment::Endpoints;
use serde_json::{json, Value};

/// A signed-in throwaway user.
#[derive(Debug, Clone)]
pub struct Account {
    pub session: Session,
}

/// Why an account operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AccountError {
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error("{step}: {message}")]
    Step { step: &'static str, message: String },
}

fn step_error(step: &'static str, r: &Incoming) -> AccountError {
    AccountError::Step {
        step,
        message: format!(
            "HTTP {}: {}",
            r.status,
            String::from_utf8_lossy(&r.body)
                .chars()
                .take(200)
                .collect::<String>()
        ),
    }
}

fn base(auth: &Endpoints) -> String {
    format!(
        "{}{}",
        auth.auth
            .as_deref()
            .unwrap_or_default()
            .trim_end_matches('/'),
        auth.auth_base_path
    )
}

impl Account {
    /// Signs up a fresh user tagged `tag` (and the run id) and takes a first JWT.
    pub async fn sign_up(
        http: &Http,
        auth: &Endpoints,
        run_id: &str,
        tag: &str,
    ) -> Result<Account, AccountError> {
        let creds = Credentials::throwaway(&format!("{run_id}{tag}"));
        Ok(Account {
            session: session::bootstrap(http, auth, &creds).await?,
        })
    }

    /// Signs in an existing user (a second session of the same account, or a given admin).
    pub async fn sign_in(
        http: &Http,
        auth: &Endpoints,
        email: &str,
        password: &str,
    ) -> Result<Account, AccountError> {
        let creds = Credentials {
            name: "authprobe".into(),
            email: email.into(),
            password: password.into(),
            sign_up: false,
        };
        Ok(Account {
            session: session::bootstrap(http, auth, &creds).await?,
        })
    }

    /// The user id (Better Auth puts it in the JWT's `sub`).
    pub fn user_id(&self) -> Option<String> {
        super::unverified_claims(&self.session.jwt)?
            .get("sub")?
            .as_str()
            .map(str::to_owned)
    }

    fn request(&self, auth: &Endpoints, method: &str, path: &str, body: Option<Value>) -> Outgoing {
        let mut headers = vec![(
            "authorization".to_owned(),
            format!("Bearer {}", self.session.session_token),
        )];
        if body.is_some() {
            headers.push(("content-type".into(), "application/json".into()));
        }
        if let Some(origin) = &auth.auth {
            headers.push(("origin".into(), origin.trim_end_matches('/').to_owned()));
        }
        Outgoing {
            method: method.into(),
            url: format!("{}{path}", base(auth)),
            headers,
            body: body.map(|b| b.to_string().into_bytes()),
        }
    }

    /// A fresh JWT from the session (`GET /token`): the current signing key signs it.
    pub async fn mint(&self, http: &Http, auth: &Endpoints) -> Result<String, AccountError> {
        let r = http
            .send(&self.request(auth, "GET", "/token", None))
            .await
            .map_err(SessionError::from)?;
        if r.status != 200 {
            return Err(step_error("/token", &r));
        }
        serde_json::from_slice::<Value>(&r.body)
            .ok()
            .and_then(|v| v["token"].as_str().map(str::to_owned))
            .ok_or_else(|| AccountError::Step {
                step: "/token",
                message: "no token in the answer".into(),
            })
    }

    /// Whether the session can still mint a JWT (its status, 200 when it can).
    pub async fn token_status(&self, http: &Http, auth: &Endpoints) -> Result<u16, AccountError> {
        let r = http
            .send(&self.request(auth, "GET", "/token", None))
            .await
            .map_err(SessionError::from)?;
        Ok(r.status)
    }

    async fn post(
        &self,
        http: &Http,
        auth: &Endpoints,
        step: &'static str,
        path: &str,
        body: Value,
    ) -> Result<(), AccountError> {
        let r = http
            .send(&self.request(auth, "POST", path, Some(body)))
            .await
            .map_err(SessionError::from)?;
        if !(200..300).contains(&r.status) {
            return Err(step_error(step, &r));
        }
        Ok(())
    }

    /// `POST /sign-out`.
    pub async fn sign_out(&self, http: &Http, auth: &Endpoints) -> Result<(), AccountError> {
        self.post(http, auth, "sign-out", "/sign-out", json!({}))
            .await
    }

    /// `POST /revoke-sessions`: every session of the user, this one included.
    pub async fn revoke_sessions(&self, http: &Http, auth: &Endpoints) -> Result<(), AccountError> {
        self.post(http, auth, "revoke-sessions", "/revoke-sessions", json!({}))
            .await
    }

    /// `POST /change-password` with `revokeOtherSessions: true`.
    pub async fn change_password(
        &self,
        http: &Http,
        auth: &Endpoints,
        new_password: &str,
    ) -> Result<(), AccountError> {
        self.post(
            http,
            auth,
            "change-password",
            "/change-password",
            json!({
                "currentPassword": self.session.password,
                "newPassword": new_password,
                "revokeOtherSessions": true,
            }),
        )
        .await
    }

    /// `POST /admin/ban-user` (this account must be an admin).
    pub async fn ban(
        &self,
        http: &Http,
        auth: &Endpoints,
        user_id: &str,
    ) -> Result<(), AccountError> {
        self.post(
            http,
            auth,
            "admin/ban-user",
            "/admin/ban-user",
            json!({"userId": user_id, "banReason": "authprobe lifecycle measurement"}),
        )
        .await
    }
}
