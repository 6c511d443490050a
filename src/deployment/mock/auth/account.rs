//! The plugins' account endpoints on [`BetterAuth`]: `/revoke-sessions`, `/change-password`
//! and `/admin/ban-user` (the admin plugin), for the lifecycle measurements.

use super::better_auth::BetterAuth;
use super::responses::{error, ok, require_strings, user_json};
use serde_json::{json, Value};
use wiremock::{Request, ResponseTemplate};

impl BetterAuth {
    /// `POST /revoke-sessions`: every session of the caller ends, the caller's too.
    pub(super) fn revoke_sessions(&self, request: &Request) -> ResponseTemplate {
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
    pub(super) fn change_password(&self, request: &Request) -> ResponseTemplate {
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
    pub(super) fn ban_user(&self, request: &Request) -> ResponseTemplate {
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
