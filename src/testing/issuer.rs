//! The issuer a test creates for in-process targets: a fresh key, the key set the code under
//! test trusts, and valid tokens shaped like Better Auth's.

use super::TestingError;
use crate::algorithm::{Algorithm, KeyFamily};
use crate::sign::{sign_compact, SigningKey};
use crate::validate::Policy;
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// The issuer (and audience) an [`Issuer`] names unless told otherwise: Better Auth's
/// `baseURL`, which it uses for both.
pub const DEFAULT_ISSUER_URL: &str = "http://127.0.0.1:3000";

/// A Better Auth stand-in the test controls.
pub struct Issuer {
    alg: Algorithm,
    key: SigningKey,
    kid: String,
    url: String,
    audience: String,
}

impl std::fmt::Debug for Issuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issuer")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .field("url", &self.url)
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

impl Issuer {
    /// An EdDSA (Ed25519) issuer, Better Auth's default, at [`DEFAULT_ISSUER_URL`].
    pub fn ed25519() -> Arc<Issuer> {
        let mut seed = [0u8; 32];
        aws_lc_rs::rand::SecureRandom::fill(&aws_lc_rs::rand::SystemRandom::new(), &mut seed)
            .unwrap_or_else(|_| seed = *b"authprobe-testing-issuer-seed-00");
        Arc::new(Issuer::with_key(
            Algorithm::EdDSA,
            SigningKey::ed25519_from_seed(seed),
            DEFAULT_ISSUER_URL,
            DEFAULT_ISSUER_URL,
        ))
    }

    /// A fresh key for `alg` (one of Better Auth's `keyPairConfig` algorithms, or any
    /// asymmetric JWS algorithm), issuing as `url` for `audience`.
    pub fn generate(
        alg: Algorithm,
        url: impl Into<String>,
        audience: impl Into<String>,
    ) -> Result<Arc<Issuer>, TestingError> {
        if alg.key_family() == KeyFamily::Hmac {
            return Err(TestingError::Key(
                "Better Auth issues asymmetric tokens; an HMAC issuer publishes no key set".into(),
            ));
        }
        let key =
            SigningKey::generate(alg.key_family()).map_err(|e| TestingError::Key(e.to_string()))?;
        Ok(Arc::new(Issuer::with_key(alg, key, url, audience)))
    }

    fn with_key(
        alg: Algorithm,
        key: SigningKey,
        url: impl Into<String>,
        audience: impl Into<String>,
    ) -> Issuer {
        let jwk = key.public_jwk(None, Some(alg));
        // A stable key id derived from the key (Better Auth's are random 32-character ids).
        let kid = crate::base64url::encode(
            aws_lc_rs::digest::digest(
                &aws_lc_rs::digest::SHA256,
                Value::Object(jwk).to_string().as_bytes(),
            )
            .as_ref(),
        )[..32]
            .to_owned();
        Issuer {
            alg,
            key,
            kid,
            url: url.into(),
            audience: audience.into(),
        }
    }

    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }
    /// The `iss` of its tokens.
    pub fn url(&self) -> &str {
        &self.url
    }
    /// The `aud` of its tokens.
    pub fn audience(&self) -> &str {
        &self.audience
    }
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key set, as Better Auth publishes it at `/api/auth/jwks`.
    pub fn jwks(&self) -> Value {
        json!({ "keys": [self.key.public_jwk(Some(&self.kid), Some(self.alg))] })
    }

    /// [`Issuer::jwks`] as JSON text.
    pub fn jwks_json(&self) -> String {
        self.jwks().to_string()
    }

    /// The reference policy audits judge its tokens by: Better Auth's profile for this issuer
    /// and audience, its algorithm only, lifetimes up to 24 hours.
    pub fn policy(&self) -> Policy {
        let mut policy = crate::deployment::mock::audit_policy(&self.url);
        policy.audience = self.audience.clone();
        policy.algorithms = vec![self.alg];
        policy
    }

    /// A valid token issued now, with Better Auth's claims (a user's fields, `sub`, `iat`,
    /// `exp` 15 minutes later, `iss`, `aud`).
    pub fn token(&self) -> String {
        self.token_with(|_| {})
    }

    /// A token issued now after `edit` changed its claims, signed with the issuer's key.
    pub fn token_with(&self, edit: impl FnOnce(&mut Map<String, Value>)) -> String {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let mut claims =
            crate::dangerous::forge::sample::better_auth_claims(now, &self.url, &self.audience);
        if let Value::Object(map) = &mut claims {
            edit(map);
        }
        self.sign(&claims)
    }

    /// Signs these claims as they are, under the issuer's algorithm and key id.
    pub fn sign(&self, claims: &Value) -> String {
        let header = json!({"alg": self.alg.name(), "kid": self.kid}).to_string();
        sign_compact(
            header.as_bytes(),
            claims.to_string().as_bytes(),
            &self.key,
            self.alg,
        )
        .unwrap_or_else(|e| panic!("the issuer's own {} key signs: {e}", self.alg.name()))
    }

    /// A copy of the private key, for the white-box audit.
    pub(super) fn signing_key(&self) -> Result<SigningKey, TestingError> {
        self.key
            .try_clone()
            .ok_or_else(|| TestingError::Key("the issuer's key cannot be copied".into()))
    }
}
