//! Shared by the zoo's axum backends: the issuer's JWKS, fetched once and cached.
//!
//! Docs followed:
//! - Better Auth, JWT plugin (docs/plugins/jwt): the JWKS at `/api/auth/jwks` "is not subject to
//!   frequent changes, it can be cached indefinitely… In case a JWT with a different `kid` is
//!   received, it is recommended to fetch the JWKS again."
//! - jsonwebtoken (docs.rs/jsonwebtoken/12, `jwk` module): `jwk::JwkSet` deserializes a JWKS,
//!   `DecodingKey::from_jwk` turns one of its keys into a decoding key.
//! - reqwest (docs.rs/reqwest/0.13): one `Client` reused, `.json()` to deserialize the body.
//!
//! A refetch for an unknown `kid` happens at most once per `REFETCH_COOLDOWN`, so a flood of
//! tokens with made-up `kid`s cannot turn into a flood of requests to the issuer.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use jsonwebtoken::DecodingKey;
use jsonwebtoken::jwk::JwkSet;
use tokio::sync::{Mutex, RwLock};

/// Minimum time between two JWKS fetches triggered by unknown `kid`s.
pub const REFETCH_COOLDOWN: Duration = Duration::from_secs(30);
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

pub struct Jwks {
    url: String,
    client: reqwest::Client,
    keys: RwLock<HashMap<String, DecodingKey>>,
    /// When the last fetch was attempted; the lock also serialises refetches.
    last_fetch: Mutex<Option<Instant>>,
}

impl Jwks {
    /// Fetches the key set once at start-up. A failure is logged, not fatal: the first token
    /// that names a `kid` will trigger another fetch.
    pub async fn new(url: String) -> Self {
        let client = reqwest::Client::builder()
            .timeout(FETCH_TIMEOUT)
            .build()
            .expect("building the HTTP client");
        let jwks = Jwks {
            url,
            client,
            keys: RwLock::new(HashMap::new()),
            last_fetch: Mutex::new(None),
        };
        match jwks.fetch().await {
            Ok(keys) => {
                eprintln!("jwks: {} key(s) loaded from {}", keys.len(), jwks.url);
                *jwks.keys.write().await = keys;
                *jwks.last_fetch.lock().await = Some(Instant::now());
            }
            Err(err) => eprintln!("jwks: initial fetch from {} failed: {err}", jwks.url),
        }
        jwks
    }

    /// The decoding key for `kid`, refetching the set (cooldown permitting) when it is unknown.
    pub async fn key(&self, kid: &str) -> Option<DecodingKey> {
        if let Some(key) = self.keys.read().await.get(kid) {
            return Some(key.clone());
        }
        let mut last_fetch = self.last_fetch.lock().await;
        // Another request may have refreshed the set while we waited for the lock.
        if let Some(key) = self.keys.read().await.get(kid) {
            return Some(key.clone());
        }
        if last_fetch.is_some_and(|at| at.elapsed() < REFETCH_COOLDOWN) {
            return None;
        }
        *last_fetch = Some(Instant::now());
        match self.fetch().await {
            Ok(keys) => {
                eprintln!("jwks: refreshed for an unknown kid, {} key(s)", keys.len());
                let mut cached = self.keys.write().await;
                *cached = keys;
                cached.get(kid).cloned()
            }
            Err(err) => {
                eprintln!("jwks: refresh from {} failed: {err}", self.url);
                None
            }
        }
    }

    async fn fetch(&self) -> Result<HashMap<String, DecodingKey>, reqwest::Error> {
        let set: JwkSet = self
            .client
            .get(&self.url)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let mut keys = HashMap::new();
        for jwk in &set.keys {
            let Some(kid) = &jwk.common.key_id else {
                continue;
            };
            match DecodingKey::from_jwk(jwk) {
                Ok(key) => {
                    keys.insert(kid.clone(), key);
                }
                Err(err) => eprintln!("jwks: skipping key {kid}: {err}"),
            }
        }
        Ok(keys)
    }
}

/// Reads a required environment variable (start-up only).
pub fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        eprintln!("missing environment variable {name}");
        std::process::exit(2)
    })
}
