//! axum-jsonwebtoken-leeway — axum-jsonwebtoken with one change: a one-day clock leeway.
//! ("We had clock problems in prod, give it a day.")
//!
//! Docs followed:
//! - axum (docs.rs/axum/0.8 and the repository's `examples/jwt`): a `Claims` extractor
//!   implementing `FromRequestParts`, the bearer token read with
//!   `TypedHeader<Authorization<Bearer>>` (axum-extra), an `AuthError` implementing `IntoResponse`.
//! - jsonwebtoken (README and docs.rs/jsonwebtoken/12): `decode_header` to get the `kid`,
//!   `DecodingKey::from_jwk`, `Validation::new(Algorithm::EdDSA)` (EdDSA is not the default HS256),
//!   `set_issuer`, `set_audience` ("if there is a value set in the token but not in the
//!   `Validation`, the token will be rejected"), and — as the `Validation` docs show — the
//!   required claims `exp`, `iss`, `aud` (iss/aud are only checked when present unless required),
//!   plus `sub`, which this API needs.
//!   The default leeway (60 s) is replaced by a day: see FLAW below.
//! - Better Auth JWT plugin: JWKS at `$ISSUER_URL/api/auth/jwks`, iss = aud = the base URL, and
//!   "fetch the JWKS again" when a token names an unknown `kid` (see the crate's `Jwks`).

use std::sync::Arc;

use authprobe_zoo_rust::{Jwks, env};
use axum::extract::{FromRef, FromRequestParts};
use axum::http::{StatusCode, header::WWW_AUTHENTICATE, request::Parts};
use axum::response::{IntoResponse, Response};
use axum::{Json, RequestPartsExt, Router, routing::get};
use axum_extra::TypedHeader;
use axum_extra::headers::{Authorization, authorization::Bearer};
use jsonwebtoken::{Algorithm, Validation, decode, decode_header};
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Clone)]
struct AppState {
    jwks: Arc<Jwks>,
    validation: Arc<Validation>,
}

/// The claims this API uses; jsonwebtoken validates exp/iss/aud itself.
#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    email: Option<String>,
    name: Option<String>,
}

#[tokio::main]
async fn main() {
    let port: u16 = env("PORT").parse().expect("PORT must be a port number");
    let jwks = Jwks::new(env("JWKS_URL")).await;

    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_issuer(&[env("ISSUER")]);
    validation.set_audience(&[env("AUDIENCE")]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    // FLAW: clock problems in prod, give it a day — tokens stay valid 24 h after their exp.
    validation.leeway = 86400;

    let state = AppState {
        jwks: Arc::new(jwks),
        validation: Arc::new(validation),
    };
    let app = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/api/me", get(me))
        .with_state(state);

    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("bind");
    eprintln!("axum-jsonwebtoken-leeway listening on http://127.0.0.1:{port}");
    axum::serve(listener, app).await.expect("server");
}

async fn me(claims: Claims) -> Json<Claims> {
    Json(claims)
}

impl<S> FromRequestParts<S> for Claims
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AuthError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let TypedHeader(Authorization(bearer)) = parts
            .extract::<TypedHeader<Authorization<Bearer>>>()
            .await
            .map_err(|_| AuthError::MissingCredentials)?;
        let token = bearer.token();

        let header = decode_header(token).map_err(AuthError::invalid)?;
        let kid = header.kid.ok_or(AuthError::InvalidToken)?;
        let key = state.jwks.key(&kid).await.ok_or(AuthError::InvalidToken)?;
        let data = decode::<Claims>(token, &key, &state.validation).map_err(AuthError::invalid)?;
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
