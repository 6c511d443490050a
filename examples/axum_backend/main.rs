//! A small axum API that accepts Better Auth JWTs, verified with `jsonwebtoken` the way its
//! docs show, answering failures with the integration's error contract; and, in its tests,
//! that API audited in process with `authprobe::testing` (no socket), plus two verify
//! functions: a correct one that passes and a broken one that is caught.
//!
//! `cargo run --example axum_backend --features tower` serves it on 127.0.0.1:43190 with a
//! fresh issuer and prints a token and the key set, so it can also be audited over HTTP:
//! `authprobe audit --backend-url http://127.0.0.1:43190 --token <token> --jwks <file>`.
//! `cargo test --example axum_backend --features tower` (or `cargo test --all-features`) runs
//! the audits.

use authprobe::contract::ErrorCode;
use authprobe::testing::Issuer;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;

/// The realm of the API's challenges.
const REALM: &str = "api";

/// What the API checks tokens against.
#[derive(Clone)]
struct Verifier {
    keys: Arc<HashMap<String, DecodingKey>>,
    validation: Arc<Validation>,
}

/// The claims the API uses; jsonwebtoken validates `exp`, `iss` and `aud` itself.
#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    email: Option<String>,
}

impl Verifier {
    /// From Better Auth's key set (`/api/auth/jwks`), its issuer and audience (both the base
    /// URL by default).
    fn new(jwks: &serde_json::Value, issuer: &str, audience: &str) -> Verifier {
        let set: JwkSet = serde_json::from_value(jwks.clone()).expect("a JWK set");
        let keys = set
            .keys
            .iter()
            .filter_map(|jwk| {
                let kid = jwk.common.key_id.clone()?;
                Some((kid, DecodingKey::from_jwk(jwk).ok()?))
            })
            .collect();
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        Verifier {
            keys: Arc::new(keys),
            validation: Arc::new(validation),
        }
    }

    /// The token's claims, or the error contract's code for why it is refused.
    fn verify(&self, token: &str) -> Result<Claims, ErrorCode> {
        let header = decode_header(token).map_err(|_| ErrorCode::MalformedToken)?;
        if header.alg != Algorithm::EdDSA {
            return Err(ErrorCode::AlgorithmNotAllowed);
        }
        let key = header
            .kid
            .and_then(|kid| self.keys.get(&kid))
            .ok_or(ErrorCode::UnknownKeyId)?;
        decode::<Claims>(token, key, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                ErrorKind::InvalidSignature => ErrorCode::InvalidSignature,
                ErrorKind::InvalidAlgorithm => ErrorCode::AlgorithmNotAllowed,
                ErrorKind::ExpiredSignature => ErrorCode::TokenExpired,
                ErrorKind::ImmatureSignature => ErrorCode::TokenNotYetValid,
                ErrorKind::InvalidIssuer => ErrorCode::InvalidIssuer,
                ErrorKind::InvalidAudience => ErrorCode::InvalidAudience,
                ErrorKind::MissingRequiredClaim(_) | ErrorKind::InvalidSubject => {
                    ErrorCode::InvalidClaim
                }
                _ => ErrorCode::MalformedToken,
            })
    }
}

/// One row of the error contract as an axum response.
fn refuse(code: ErrorCode) -> Response {
    let status = StatusCode::from_u16(code.status()).unwrap_or(StatusCode::UNAUTHORIZED);
    let mut response = (status, Json(code.body())).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        "no-store".parse().expect("a header value"),
    );
    if let Some(challenge) = code.www_authenticate(&format!("\"{REALM}\"")) {
        if let Ok(value) = challenge.parse() {
            headers.insert(header::WWW_AUTHENTICATE, value);
        }
    }
    response
}

/// `GET /api/me`: the signed-in user.
async fn me(State(verifier): State<Verifier>, headers: HeaderMap) -> Response {
    let values: Vec<&[u8]> = headers
        .get_all(header::AUTHORIZATION)
        .iter()
        .map(|v| v.as_bytes())
        .collect();
    let token = match authprobe::contract::bearer_token(&values) {
        Ok(token) => String::from_utf8_lossy(token).into_owned(),
        Err(code) => return refuse(code),
    };
    match verifier.verify(&token) {
        Ok(claims) => Json(claims).into_response(),
        Err(code) => refuse(code),
    }
}

/// The API.
fn app(verifier: Verifier) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/api/me", get(me))
        .with_state(verifier)
}

#[tokio::main]
async fn main() {
    let issuer = Issuer::ed25519();
    let verifier = Verifier::new(&issuer.jwks(), issuer.url(), issuer.audience());
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 43190))
        .await
        .expect("127.0.0.1:43190 is free");
    println!("token: {}", issuer.token());
    println!("jwks:  {}", issuer.jwks_json());
    println!("listening on http://127.0.0.1:43190 (Ctrl-C stops)");
    axum::serve(listener, app(verifier)).await.expect("serving");
}

#[cfg(test)]
mod tests {
    use super::*;
    use authprobe::judge::FlawClass;
    use authprobe::testing::Target;

    /// The axum app, audited without a socket: every built-in suite that needs no auth
    /// server, white-box (the test's issuer signs the claim-tampering cases).
    #[tokio::test(flavor = "multi_thread")]
    async fn the_axum_app_passes_the_default_gate_in_process() {
        let issuer = Issuer::ed25519();
        let verifier = Verifier::new(&issuer.jwks(), issuer.url(), issuer.audience());
        let audit = Target::service(&issuer, app(verifier))
            .audit()
            .await
            .expect("the audit runs");
        audit.assert_passes_gate().assert_all_judged();
        let summary = &audit.report().summary;
        assert!(
            summary.attack_cases > 300,
            "only {} attack cases ran",
            summary.attack_cases
        );
        assert!(audit.report().baseline_ok);
    }

    /// The same check as a plain verify function passes too.
    #[test]
    fn a_correct_verify_function_passes() {
        let issuer = Issuer::ed25519();
        let verifier = Verifier::new(&issuer.jwks(), issuer.url(), issuer.audience());
        let audit = Target::verify_fn(&issuer, move |token: &str| verifier.verify(token))
            .suites(&["attacks"])
            .audit_blocking()
            .expect("the audit runs");
        audit.assert_passes_gate().assert_all_judged();
    }

    /// A verify function that reads the claims without checking the signature
    /// (`jsonwebtoken::dangerous::insecure_decode`), then checks issuer, audience and expiry by
    /// hand, is caught: anyone can mint a token it accepts.
    #[test]
    fn a_verify_function_that_skips_the_signature_is_caught() {
        let issuer = Issuer::ed25519();
        let (url, audience) = (issuer.url().to_owned(), issuer.audience().to_owned());
        let broken = move |token: &str| -> Result<(), String> {
            let claims = jsonwebtoken::dangerous::insecure_decode::<serde_json::Value>(token)
                .map_err(|e| e.to_string())?
                .claims;
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_err(|e| e.to_string())?
                .as_secs() as i64;
            if claims["iss"] != url.as_str() || claims["aud"] != audience.as_str() {
                return Err("wrong issuer or audience".into());
            }
            if claims["exp"].as_i64().unwrap_or(0) <= now {
                return Err("expired".into());
            }
            Ok(())
        };
        let audit = Target::verify_fn(&issuer, broken)
            .suites(&["attacks"])
            .audit_blocking()
            .expect("the audit runs");
        audit.assert_finds(FlawClass::SignatureNotVerified);
        let failure = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            audit.assert_passes_gate();
        }))
        .expect_err("the gate fails");
        let message = failure
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_default();
        assert!(message.contains("[critical]"), "{message}");
        assert!(message.contains("attacks/"), "{message}");
        assert!(
            message.contains("request: GET http://in-process.authprobe.invalid/api/me"),
            "{message}"
        );
    }
}
