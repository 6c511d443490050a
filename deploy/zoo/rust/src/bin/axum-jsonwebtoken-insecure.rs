//! axum-jsonwebtoken-insecure — an axum API that reads Better Auth JWT claims without verifying
//! them, because "the gateway in front of us verifies the tokens, we only read the claims".
//! (No gateway stands in front of it: anyone who can reach the port forges any identity.)
//!
//! Docs followed:
//! - axum (docs.rs/axum/0.8 and the repository's `examples/jwt`): a `Claims` extractor
//!   implementing `FromRequestParts`, the bearer token read with
//!   `TypedHeader<Authorization<Bearer>>` (axum-extra), an `AuthError` implementing `IntoResponse`.
//! - jsonwebtoken (docs.rs/jsonwebtoken/12, module `dangerous`): `insecure_decode` — "Decode a JWT
//!   with NO VALIDATION". Before jsonwebtoken 11 the same was written
//!   `validation.insecure_disable_signature_validation()`; the changelog of 11.0.0 says to use
//!   `dangerous::insecure_decode` instead. See FLAW below.

use authprobe_zoo_rust::env;
use axum::extract::FromRequestParts;
use axum::http::{StatusCode, header::WWW_AUTHENTICATE, request::Parts};
use axum::response::{IntoResponse, Response};
use axum::{Json, RequestPartsExt, Router, routing::get};
use axum_extra::TypedHeader;
use axum_extra::headers::{Authorization, authorization::Bearer};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The claims this API uses.
#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    email: Option<String>,
    name: Option<String>,
}

#[tokio::main]
async fn main() {
    let port: u16 = env("PORT").parse().expect("PORT must be a port number");
    // ISSUER_URL, JWKS_URL, ISSUER and AUDIENCE are the gateway's business, not ours.

    let app = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/api/me", get(me));

    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("bind");
    eprintln!("axum-jsonwebtoken-insecure listening on http://127.0.0.1:{port}");
    axum::serve(listener, app).await.expect("server");
}

async fn me(claims: Claims) -> Json<Claims> {
    Json(claims)
}

impl<S> FromRequestParts<S> for Claims
where
    S: Send + Sync,
{
    type Rejection = AuthError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let TypedHeader(Authorization(bearer)) = parts
            .extract::<TypedHeader<Authorization<Bearer>>>()
            .await
            .map_err(|_| AuthError::MissingCredentials)?;

        // FLAW: the gateway verifies, we only read the claims — no signature, exp, iss or aud check.
        let data = jsonwebtoken::dangerous::insecure_decode::<Claims>(bearer.token())
            .map_err(AuthError::invalid)?;
        Ok(data.claims)
    }
}

enum AuthError {
    MissingCredentials,
    InvalidToken,
}

impl AuthError {
    fn invalid(err: jsonwebtoken::errors::Error) -> Self {
        eprintln!("token rejected: {err}");
        AuthError::InvalidToken
    }
}

impl IntoResponse for AuthError {
    fn into_response(self) -> Response {
        let (challenge, error) = match self {
            AuthError::MissingCredentials => ("Bearer", "missing_token"),
            AuthError::InvalidToken => ("Bearer error=\"invalid_token\"", "invalid_token"),
        };
        (
            StatusCode::UNAUTHORIZED,
            [(WWW_AUTHENTICATE, challenge)],
            Json(json!({ "error": error })),
        )
            .into_response()
    }
}
