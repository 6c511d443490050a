//! The shapes of Better Auth's answers: reading a header, the `{message, code}` error body, a JSON
//! body, a user as JSON, zod's validation error for a missing or non-string member, and the
//! e-mail check.

use super::state::User;
use serde_json::{json, Value};
use wiremock::{Request, ResponseTemplate};

pub(super) fn header(request: &Request, name: &str) -> Option<String> {
    request
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

pub(super) fn error(status: u16, code: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(
        json!({"message": message, "code": code}).to_string(),
        "application/json",
    )
}

pub(super) fn ok(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body.to_string(), "application/json")
}

pub(super) fn user_json(u: &User) -> Value {
    json!({"name": u.name, "email": u.email, "emailVerified": false, "image": null,
           "createdAt": u.created_at, "updatedAt": u.created_at, "id": u.id})
}

/// zod's answer when a required member is missing or not a string, as better-call words it.
pub(super) fn require_strings(
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

pub(super) fn looks_like_email(s: &str) -> bool {
    let mut parts = s.splitn(2, '@');
    matches!((parts.next(), parts.next()), (Some(local), Some(domain))
        if !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.') && !s.contains(' '))
}
