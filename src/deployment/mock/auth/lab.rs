//! deploy/auth-server's lab control plane on the mock ([`LabControl`]): rotate and retire keys,
//! count key-set fetches, take the key set down or make it slow, make a user admin.

use super::responses::{error, ok};
use super::state::AuthState;
use crate::lifecycle::control::KeySetMode;
use serde_json::json;
use std::sync::Arc;
use wiremock::{Request, Respond, ResponseTemplate};

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
