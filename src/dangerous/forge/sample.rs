//! A harness-issued stand-in for Better Auth: a fresh key for one algorithm, the key set a
//! target would hold for it, and a valid token with Better Auth's claim shape. The catalogue's
//! own tests, `forge --list --summary` and the embedded mock issue tokens this way.

use crate::algorithm::{Algorithm, KeyFamily};
use crate::jwk::{Key, KeySet};
use crate::sign::{sign_compact, SignError, SigningKey};
use crate::token::Token;
use serde_json::{json, Map, Value};

/// The default sample issuer (Better Auth's baseURL origin in the shared transcripts).
pub const SAMPLE_ISSUER: &str = "http://127.0.0.1:3000";
/// A Better Auth-shaped key id.
pub const SAMPLE_KID: &str = "k7QwZp2LxR9vTmN4bYc8HsJd3FgEa6Uu";

/// An issuer the harness controls.
pub struct SampleIssuer {
    pub alg: Algorithm,
    pub key: SigningKey,
    /// What the target validates with (public keys; the shared secret for HS*).
    pub keys: KeySet,
    /// The published public JWKs (empty for HS*).
    pub published: Vec<Map<String, Value>>,
}

impl SampleIssuer {
    /// A fresh key for `alg`, published with `kid` and `alg` as Better Auth does.
    pub fn generate(alg: Algorithm) -> Result<SampleIssuer, SignError> {
        SampleIssuer::with_key(alg, SigningKey::generate(alg.key_family())?)
    }

    /// An issuer around an existing key.
    pub fn with_key(alg: Algorithm, key: SigningKey) -> Result<SampleIssuer, SignError> {
        let jwk = key.public_jwk(Some(SAMPLE_KID), Some(alg));
        let imported = if alg.key_family() == KeyFamily::Hmac {
            Key::from_secret_jwk(&jwk)
        } else {
            Key::from_public_jwk(&jwk)
        }
        .map_err(|e| SignError::BadPrivateJwk(e.to_string()))?;
        let published = if alg.key_family() == KeyFamily::Hmac {
            vec![]
        } else {
            vec![jwk]
        };
        Ok(SampleIssuer {
            alg,
            key,
            keys: KeySet::from_keys(vec![imported]),
            published,
        })
    }

    /// A token shaped like Better Auth's: the session user's fields, `iat` = `now − 60`,
    /// `exp` = `iat + 900`, `iss` = `aud` = `issuer`.
    pub fn token(&self, issuer: &str, now: i64) -> Token {
        let header = json!({"alg": self.alg.name(), "kid": SAMPLE_KID}).to_string();
        let claims = better_auth_claims(now - 60, issuer, issuer).to_string();
        let text = sign_compact(header.as_bytes(), claims.as_bytes(), &self.key, self.alg)
            .expect("the issuer's key signs its own algorithm");
        Token::parse(text).expect("a signed token parses")
    }
}

/// The claims Better Auth's JWT plugin issues for the sample user (Alice), in its member order:
/// the user's fields, `sub`, `iat`, `exp` = `iat` + 15 minutes, `iss` and `aud`.
pub fn better_auth_claims(iat: i64, issuer: &str, audience: &str) -> Value {
    json!({
        "iat": iat, "name": "Alice", "email": "alice@example.com", "emailVerified": false,
        "image": null, "createdAt": "2026-11-26T10:57:03.553Z", "updatedAt": "2026-11-26T10:57:03.553Z",
        "id": "9URAu33PHr1A5LlE7KXJTelugMMDgpKy", "sub": "9URAu33PHr1A5LlE7KXJTelugMMDgpKy",
        "exp": iat + 900, "iss": issuer, "aud": audience,
    })
}
