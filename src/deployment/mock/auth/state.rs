//! The mock issuer's shared state ([`AuthState`]): its origin and first key, users, sessions and
//! rate-limit buckets, and the lab's side (the signing keys with rotation and retirement, the key
//! set's mode and fetch count, admins and bans) with the key set published from it.

use crate::lifecycle::control::KeySetMode;
use crate::sign::SigningKey;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Clone)]
pub(super) struct User {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) email: String,
    pub(super) password: String,
    pub(super) created_at: String,
}

/// One signing key of the issuer (`key: None` is [`AuthState::key`]).
pub(super) struct LabKey {
    pub(super) kid: String,
    pub(super) key: Option<Arc<SigningKey>>,
    published: bool,
}

/// What the lab control plane changes: the keys, the key set's mode, admins and bans.
pub(super) struct Lab {
    /// Oldest first; the last one signs.
    pub(super) keys: Vec<LabKey>,
    mode: KeySetMode,
    fetches: u64,
    pub(super) admins: HashSet<String>,
    pub(super) banned: HashSet<String>,
}

/// Shared state of the mock issuer.
pub struct AuthState {
    /// The origin tokens name as `iss` and `aud` (the baseURL origin, no `/api/auth`).
    pub origin: String,
    /// Origins allowed for cookie-bearing POSTs besides `origin`.
    pub trusted_origins: Vec<String>,
    /// The first signing key (the one white-box audits hold) and its `kid`.
    pub key: SigningKey,
    pub kid: String,
    /// Production-mode rate limiting (3 per 10 s on sign-in/sign-up, 100 per 10 s elsewhere).
    pub rate_limiting: bool,
    /// How long a key-set fetch takes while the key set is "slow".
    pub slow_key_set: Duration,
    lab: Mutex<Lab>,
    pub(super) users: Mutex<HashMap<String, User>>,
    pub(super) sessions: Mutex<HashMap<String, String>>,
    pub(super) buckets: Mutex<HashMap<String, (Instant, u32)>>,
    pub(super) counter: Mutex<u64>,
}

impl AuthState {
    pub fn new(origin: &str, key: SigningKey, kid: &str, rate_limiting: bool) -> Arc<AuthState> {
        Arc::new(AuthState {
            origin: origin.trim_end_matches('/').to_owned(),
            trusted_origins: Vec::new(),
            key,
            kid: kid.to_owned(),
            rate_limiting,
            slow_key_set: Duration::from_secs(2),
            lab: Mutex::new(Lab {
                keys: vec![LabKey {
                    kid: kid.to_owned(),
                    key: None,
                    published: true,
                }],
                mode: KeySetMode::Up,
                fetches: 0,
                admins: HashSet::new(),
                banned: HashSet::new(),
            }),
            users: Mutex::new(HashMap::new()),
            sessions: Mutex::new(HashMap::new()),
            buckets: Mutex::new(HashMap::new()),
            counter: Mutex::new(0),
        })
    }

    pub(super) fn lab(&self) -> std::sync::MutexGuard<'_, Lab> {
        self.lab.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The published key set, exactly as Better Auth shapes it (newest key first, as Better
    /// Auth lists them).
    pub fn jwks(&self) -> Value {
        let lab = self.lab();
        let keys: Vec<Value> = lab
            .keys
            .iter()
            .rev()
            .filter(|k| k.published)
            .map(|k| {
                let jwk = k.key.as_deref().unwrap_or(&self.key).public_jwk(None, None);
                json!({"alg": "EdDSA", "crv": "Ed25519", "x": jwk["x"], "kty": "OKP", "kid": k.kid})
            })
            .collect();
        json!({ "keys": keys })
    }

    /// One key-set fetch (over HTTP or by a backend in the same process): counted, and the set
    /// with the time the answer takes, or `None` while the key set is down.
    pub fn fetch_key_set(&self) -> Option<(Value, Duration)> {
        let mode = {
            let mut lab = self.lab();
            lab.fetches += 1;
            lab.mode
        };
        match mode {
            KeySetMode::Down => None,
            KeySetMode::Up => Some((self.jwks(), Duration::ZERO)),
            KeySetMode::Slow => Some((self.jwks(), self.slow_key_set)),
        }
    }

    /// Key-set fetches so far.
    pub fn key_set_fetches(&self) -> u64 {
        self.lab().fetches
    }

    /// Makes the key set answer normally, fail or answer slowly.
    pub fn set_key_set_mode(&self, mode: KeySetMode) {
        self.lab().mode = mode;
    }

    /// The signing key's `kid`.
    pub fn current_kid(&self) -> String {
        let lab = self.lab();
        lab.keys.last().map(|k| k.kid.clone()).unwrap_or_default()
    }

    /// A new Ed25519 key signs from now on and is published beside the old ones (Better Auth's
    /// rotation keeps the old key in the set for its grace period). Returns the new and the
    /// previous `kid`.
    pub fn rotate(&self) -> (String, String) {
        let key = SigningKey::generate(crate::algorithm::KeyFamily::Ed25519)
            .expect("Ed25519 key generation");
        let kid = self.id(32);
        let mut lab = self.lab();
        let previous = lab.keys.last().map(|k| k.kid.clone()).unwrap_or_default();
        lab.keys.push(LabKey {
            kid: kid.clone(),
            key: Some(Arc::new(key)),
            published: true,
        });
        (kid, previous)
    }

    /// Removes a key from the published set (the end of its grace period); false when no
    /// published key has that `kid`.
    pub fn retire(&self, kid: &str) -> bool {
        let mut lab = self.lab();
        match lab.keys.iter_mut().find(|k| k.kid == kid && k.published) {
            Some(k) => {
                k.published = false;
                true
            }
            None => false,
        }
    }

    /// Gives the user with this e-mail the admin role; false when there is no such user.
    pub fn make_admin(&self, email: &str) -> bool {
        let email = email.to_lowercase();
        let known = self
            .users
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains_key(&email);
        if known {
            self.lab().admins.insert(email);
        }
        known
    }
}
