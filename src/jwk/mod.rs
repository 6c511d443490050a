//! JSON Web Keys and key sets (RFC 7517, RFC 7518 §6, RFC 8037 §2): parsing, import and selection.
//!
//! Import is strict because a key set is an input an attacker may influence (ATTACKS.md C, D, E,
//! K07): coordinates and moduli must have their exact canonical lengths, curve points must be on
//! the curve, Ed25519 keys must not be of small order, RSA moduli must have at least 2048 bits, a
//! sane exponent and no ROCA fingerprint. A key that fails is *ignored* with its reason (RFC 7517
//! §5 asks implementations to skip keys they cannot use), but a public set that carries private
//! or symmetric key material is refused whole: publishing it is a leak, not a key to skip.
//!
//! Selection is by `kid` with exactly one match and no fallback across key types; see
//! [`KeySet::select`].

mod material;
#[cfg(feature = "remote-jwks")]
pub mod remote;
mod roca;

pub use material::KeyMaterial;

use crate::algorithm::{Algorithm, Curve, KeyFamily};
use crate::base64url::{self, Base64Error};
use crate::strict_json::{self, JsonError};
use serde_json::{Map, Value};
use std::fmt;

/// Members that only a private (or symmetric) JWK carries.
pub const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// Caps for key sets read from files or the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeySetLimits {
    /// Largest accepted document, in bytes.
    pub max_bytes: usize,
    /// Most keys accepted in one set.
    pub max_keys: usize,
}

impl Default for KeySetLimits {
    fn default() -> Self {
        KeySetLimits {
            max_bytes: 256 * 1024,
            max_keys: 64,
        }
    }
}

/// Why one JWK cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    #[error("missing member {0:?}")]
    MissingMember(&'static str),
    #[error("member {0:?} has the wrong JSON type")]
    WrongType(&'static str),
    #[error("unsupported key type {0:?}")]
    UnsupportedKeyType(String),
    #[error("unsupported curve {0:?}")]
    UnsupportedCurve(String),
    #[error("member {member:?} is not strict base64url: {source}")]
    Base64 {
        member: &'static str,
        source: Base64Error,
    },
    #[error("member {member:?} is {found} bytes; {expected} required")]
    WrongLength {
        member: &'static str,
        expected: usize,
        found: usize,
    },
    #[error("member {0:?} has a leading zero byte (not the minimal encoding)")]
    LeadingZero(&'static str),
    #[error("the point is not a valid public key on the curve")]
    InvalidPoint,
    #[error("Ed25519 public key of small order (weak key)")]
    WeakEd25519,
    #[error("RSA modulus of {bits} bits; at least 2048 required")]
    RsaTooSmall { bits: usize },
    #[error("RSA modulus of {bits} bits; at most 8192 accepted")]
    RsaTooLarge { bits: usize },
    #[error("RSA public exponent must be odd, at least 3 and at most 32 bits")]
    RsaBadExponent,
    #[error("RSA modulus is even")]
    RsaEvenModulus,
    #[error("RSA modulus carries the ROCA fingerprint (CVE-2017-15361)")]
    RsaRoca,
    #[error("the key declares alg {alg:?}, which cannot be used with this key type or curve")]
    AlgKeyMismatch { alg: String },
    #[error("HMAC secret is empty")]
    EmptySecret,
    #[error("HMAC secret of {len} bytes is shorter than the {alg} hash output ({needed} bytes)")]
    SecretTooShort {
        alg: Algorithm,
        len: usize,
        needed: usize,
    },
    #[error("key_ops has duplicate or non-string entries")]
    InvalidKeyOps,
}

/// Why a key set cannot be used at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeySetError {
    #[error("key set is {len} bytes, over the limit of {max}")]
    TooLarge { len: usize, max: usize },
    #[error("key set is not acceptable JSON: {0}")]
    Json(#[from] JsonError),
    #[error("key set has no \"keys\" array")]
    MissingKeys,
    #[error("key set has {count} keys, over the limit of {max}")]
    TooManyKeys { count: usize, max: usize },
    #[error("keys[{index}] is not a JSON object")]
    KeyNotObject { index: usize },
    #[error("keys[{index}] carries private key member {member:?}: a public key set must not")]
    PrivateMaterial { index: usize, member: String },
    #[error("keys[{index}] is a symmetric (oct) key: shared secrets are never read from a public key set")]
    SymmetricKeyInPublicSet { index: usize },
    #[error("keys[{index}] is not a symmetric key: a secret key set holds only oct keys")]
    AsymmetricKeyInSecretSet { index: usize },
    #[error("keys[{index}]: {source}")]
    InvalidKey { index: usize, source: KeyError },
    #[error("no usable key in the set ({})", describe_ignored(.ignored))]
    NoUsableKey { ignored: Vec<IgnoredKey> },
}

fn describe_ignored(ignored: &[IgnoredKey]) -> String {
    if ignored.is_empty() {
        return "it is empty".to_owned();
    }
    ignored
        .iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

/// A key of a set that import skipped, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoredKey {
    pub index: usize,
    pub kid: Option<String>,
    pub reason: KeyError,
}

impl fmt::Display for IgnoredKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kid {
            Some(kid) => write!(f, "keys[{}] (kid {kid:?}): {}", self.index, self.reason),
            None => write!(f, "keys[{}]: {}", self.index, self.reason),
        }
    }
}

/// Why no key could be selected for a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SelectError {
    #[error("the token has no kid and the policy requires one")]
    KidRequired,
    #[error("no key with kid {0:?}")]
    UnknownKid(String),
    #[error("no key can verify {0} tokens")]
    NoKeyForAlgorithm(Algorithm),
    #[error("{count} keys share kid {kid:?}; the choice would be ambiguous")]
    AmbiguousKid { kid: String, count: usize },
    #[error("{count} keys could verify {alg} and the token names none by kid")]
    AmbiguousWithoutKid { alg: Algorithm, count: usize },
    #[error("key {kid:?} is not for signature verification (use/key_ops)")]
    NotForVerification { kid: Option<String> },
}

/// Why a selected key may not be used with the token's algorithm.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BindingError {
    #[error("{alg} needs a {needed:?} key, the selected key is {found:?}")]
    WrongKeyType {
        alg: Algorithm,
        needed: KeyFamily,
        found: KeyFamily,
    },
    #[error("the selected key is bound to alg {bound:?}, the token says {alg}")]
    KeyBoundToOtherAlg { alg: Algorithm, bound: String },
    #[error("the HMAC secret ({len} bytes) is too short for {alg}")]
    SecretTooShort { alg: Algorithm, len: usize },
}

/// One usable verification key with its JWK parameters.
#[derive(Debug)]
pub struct Key {
    kid: Option<String>,
    alg: Option<String>,
    use_: Option<String>,
    key_ops: Option<Vec<String>>,
    material: KeyMaterial,
    jwk: Map<String, Value>,
}

impl Key {
    /// Imports one public JWK (asymmetric: OKP Ed25519, EC P-256/384/521, RSA).
    pub fn from_public_jwk(jwk: &Map<String, Value>) -> Result<Key, KeyError> {
        let params = CommonParams::read(jwk)?;
        let kty = string_member(jwk, "kty")?.ok_or(KeyError::MissingMember("kty"))?;
        let material = match kty {
            "OKP" => {
                let crv = string_member(jwk, "crv")?.ok_or(KeyError::MissingMember("crv"))?;
                if crv != "Ed25519" {
                    return Err(KeyError::UnsupportedCurve(crv.to_owned()));
                }
                KeyMaterial::ed25519(&fixed_bytes(jwk, "x", 32)?)?
            }
            "EC" => {
                let crv = string_member(jwk, "crv")?.ok_or(KeyError::MissingMember("crv"))?;
                let curve =
                    Curve::from_name(crv).ok_or_else(|| KeyError::UnsupportedCurve(crv.into()))?;
                let x = fixed_bytes(jwk, "x", curve.coordinate_len())?;
                let y = fixed_bytes(jwk, "y", curve.coordinate_len())?;
                KeyMaterial::ec(curve, &x, &y)?
            }
            "RSA" => KeyMaterial::rsa(&uint_bytes(jwk, "n")?, &uint_bytes(jwk, "e")?)?,
            "oct" => return Err(KeyError::UnsupportedKeyType("oct".into())),
            other => return Err(KeyError::UnsupportedKeyType(other.into())),
        };
        Key::assemble(params, material, jwk.clone())
    }

    /// Imports one symmetric JWK (`kty: oct`) as an explicitly configured HMAC secret.
    pub fn from_secret_jwk(jwk: &Map<String, Value>) -> Result<Key, KeyError> {
        let params = CommonParams::read(jwk)?;
        match string_member(jwk, "kty")?.ok_or(KeyError::MissingMember("kty"))? {
            "oct" => {}
            other => return Err(KeyError::UnsupportedKeyType(other.into())),
        }
        let k = bytes_member(jwk, "k")?;
        let mut redacted = jwk.clone();
        redacted.insert("k".into(), Value::String("<redacted>".into()));
        Key::assemble(params, KeyMaterial::hmac(&k)?, redacted)
    }

    /// A bare HMAC secret configured by the operator, with an optional `kid`.
    pub fn from_hmac_secret(kid: Option<&str>, secret: &[u8]) -> Result<Key, KeyError> {
        let mut jwk = Map::new();
        jwk.insert("kty".into(), "oct".into());
        if let Some(kid) = kid {
            jwk.insert("kid".into(), kid.into());
        }
        let params = CommonParams {
            kid: kid.map(str::to_owned),
            ..CommonParams::default()
        };
        Key::assemble(params, KeyMaterial::hmac(secret)?, jwk)
    }

    fn assemble(
        params: CommonParams,
        material: KeyMaterial,
        jwk: Map<String, Value>,
    ) -> Result<Key, KeyError> {
        // A key that declares a registered alg it cannot serve is broken, not merely unusual.
        if let Some(alg) = params.alg.as_deref().and_then(Algorithm::from_name) {
            if !material.family_matches(alg) {
                return Err(KeyError::AlgKeyMismatch {
                    alg: alg.name().into(),
                });
            }
            if let KeyMaterial::Hmac(secret) = &material {
                if secret.len() < alg.hash_len() {
                    return Err(KeyError::SecretTooShort {
                        alg,
                        len: secret.len(),
                        needed: alg.hash_len(),
                    });
                }
            }
        }
        Ok(Key {
            kid: params.kid,
            alg: params.alg,
            use_: params.use_,
            key_ops: params.key_ops,
            material,
            jwk,
        })
    }

    /// The key's `kid`.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }
    /// The `alg` the JWK declares, verbatim (it may be a value authprobe does not know).
    pub fn declared_alg(&self) -> Option<&str> {
        self.alg.as_deref()
    }
    /// The key's family.
    pub fn family(&self) -> KeyFamily {
        self.material.family()
    }
    /// The key material.
    pub fn material(&self) -> &KeyMaterial {
        &self.material
    }
    /// The JWK the key came from (an `oct` secret appears as `"<redacted>"`).
    pub fn jwk(&self) -> &Map<String, Value> {
        &self.jwk
    }

    /// True unless `use` or `key_ops` say the key is not for verifying signatures.
    pub fn is_for_verification(&self) -> bool {
        let use_ok = self.use_.as_deref().is_none_or(|u| u == "sig");
        let ops_ok = self
            .key_ops
            .as_ref()
            .is_none_or(|ops| ops.iter().any(|op| op == "verify"));
        use_ok && ops_ok
    }

    /// Checks that `alg` may be used with this key: key family and curve, the JWK's own `alg`,
    /// and for HMAC a secret at least as long as the hash output (RFC 7518 §3.2).
    pub fn check_binding(&self, alg: Algorithm) -> Result<(), BindingError> {
        if !self.material.family_matches(alg) {
            return Err(BindingError::WrongKeyType {
                alg,
                needed: alg.key_family(),
                found: self.family(),
            });
        }
        if let Some(bound) = &self.alg {
            if bound != alg.name() {
                return Err(BindingError::KeyBoundToOtherAlg {
                    alg,
                    bound: bound.clone(),
                });
            }
        }
        if let KeyMaterial::Hmac(secret) = &self.material {
            if secret.len() < alg.hash_len() {
                return Err(BindingError::SecretTooShort {
                    alg,
                    len: secret.len(),
                });
            }
        }
        Ok(())
    }

    /// Verifies `signature` over `message` with `alg`. The caller has checked the binding.
    pub fn verify(&self, alg: Algorithm, message: &[u8], signature: &[u8]) -> bool {
        self.material.verify(alg, message, signature)
    }
}

#[derive(Default)]
struct CommonParams {
    kid: Option<String>,
    alg: Option<String>,
    use_: Option<String>,
    key_ops: Option<Vec<String>>,
}

impl CommonParams {
    fn read(jwk: &Map<String, Value>) -> Result<CommonParams, KeyError> {
        let key_ops = match jwk.get("key_ops") {
            None => None,
            Some(Value::Array(items)) => {
                let ops: Vec<String> = items
                    .iter()
                    .map(|v| v.as_str().map(str::to_owned))
                    .collect::<Option<_>>()
                    .ok_or(KeyError::InvalidKeyOps)?;
                let mut sorted = ops.clone();
                sorted.sort();
                sorted.dedup();
                if sorted.len() != ops.len() {
                    return Err(KeyError::InvalidKeyOps);
                }
                Some(ops)
            }
            Some(_) => return Err(KeyError::WrongType("key_ops")),
        };
        Ok(CommonParams {
            kid: string_member(jwk, "kid")?.map(str::to_owned),
            alg: string_member(jwk, "alg")?.map(str::to_owned),
            use_: string_member(jwk, "use")?.map(str::to_owned),
            key_ops,
        })
    }
}

fn string_member<'a>(
    jwk: &'a Map<String, Value>,
    name: &'static str,
) -> Result<Option<&'a str>, KeyError> {
    match jwk.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(KeyError::WrongType(name)),
    }
}

fn bytes_member(jwk: &Map<String, Value>, name: &'static str) -> Result<Vec<u8>, KeyError> {
    let text = string_member(jwk, name)?.ok_or(KeyError::MissingMember(name))?;
    base64url::decode(text.as_bytes()).map_err(|source| KeyError::Base64 {
        member: name,
        source,
    })
}

fn fixed_bytes(
    jwk: &Map<String, Value>,
    name: &'static str,
    len: usize,
) -> Result<Vec<u8>, KeyError> {
    let bytes = bytes_member(jwk, name)?;
    if bytes.len() != len {
        return Err(KeyError::WrongLength {
            member: name,
            expected: len,
            found: bytes.len(),
        });
    }
    Ok(bytes)
}

/// A Base64urlUInt (RFC 7518 §2): non-empty, minimal (no leading zero byte).
fn uint_bytes(jwk: &Map<String, Value>, name: &'static str) -> Result<Vec<u8>, KeyError> {
    let bytes = bytes_member(jwk, name)?;
    match bytes.first() {
        None => Err(KeyError::WrongLength {
            member: name,
            expected: 1,
            found: 0,
        }),
        Some(0) => Err(KeyError::LeadingZero(name)),
        Some(_) => Ok(bytes),
    }
}

/// A set of verification keys, with the keys that import skipped.
#[derive(Debug, Default)]
pub struct KeySet {
    keys: Vec<Key>,
    ignored: Vec<IgnoredKey>,
}

impl KeySet {
    /// Parses a public JWKS document (`{"keys":[…]}`) as published by an issuer.
    pub fn from_public_jwks(bytes: &[u8]) -> Result<KeySet, KeySetError> {
        KeySet::from_public_jwks_with(bytes, KeySetLimits::default())
    }

    /// [`KeySet::from_public_jwks`] with explicit limits.
    pub fn from_public_jwks_with(
        bytes: &[u8],
        limits: KeySetLimits,
    ) -> Result<KeySet, KeySetError> {
        let entries = read_entries(bytes, limits)?;
        let mut set = KeySet::default();
        for (index, jwk) in entries.iter().enumerate() {
            if let Some(member) = PRIVATE_MEMBERS.iter().find(|m| jwk.contains_key(**m)) {
                if jwk.get("kty").and_then(Value::as_str) == Some("oct") {
                    return Err(KeySetError::SymmetricKeyInPublicSet { index });
                }
                return Err(KeySetError::PrivateMaterial {
                    index,
                    member: (*member).to_owned(),
                });
            }
            if jwk.get("kty").and_then(Value::as_str) == Some("oct") {
                return Err(KeySetError::SymmetricKeyInPublicSet { index });
            }
            match Key::from_public_jwk(jwk) {
                Ok(key) => set.keys.push(key),
                Err(reason) => set.ignored.push(IgnoredKey {
                    index,
                    kid: jwk.get("kid").and_then(Value::as_str).map(str::to_owned),
                    reason,
                }),
            }
        }
        if set.keys.is_empty() {
            return Err(KeySetError::NoUsableKey {
                ignored: set.ignored,
            });
        }
        Ok(set)
    }

    /// Parses a JWKS of explicitly configured HMAC secrets. Only `oct` keys are allowed, and every
    /// one must be valid: an operator's own configuration is not skipped over silently.
    pub fn from_secret_jwks(bytes: &[u8]) -> Result<KeySet, KeySetError> {
        let entries = read_entries(bytes, KeySetLimits::default())?;
        let mut set = KeySet::default();
        for (index, jwk) in entries.iter().enumerate() {
            if jwk.get("kty").and_then(Value::as_str) != Some("oct") {
                return Err(KeySetError::AsymmetricKeyInSecretSet { index });
            }
            let key = Key::from_secret_jwk(jwk)
                .map_err(|source| KeySetError::InvalidKey { index, source })?;
            set.keys.push(key);
        }
        if set.keys.is_empty() {
            return Err(KeySetError::NoUsableKey { ignored: vec![] });
        }
        Ok(set)
    }

    /// A set holding the given keys.
    pub fn from_keys(keys: Vec<Key>) -> KeySet {
        KeySet {
            keys,
            ignored: Vec::new(),
        }
    }

    /// Adds a key (for example a configured HMAC secret next to a public set).
    pub fn push(&mut self, key: Key) {
        self.keys.push(key);
    }

    /// Consumes the set, returning its usable keys.
    pub fn into_keys(self) -> Vec<Key> {
        self.keys
    }

    /// The usable keys.
    pub fn keys(&self) -> &[Key] {
        &self.keys
    }
    /// The keys import skipped, with reasons.
    pub fn ignored(&self) -> &[IgnoredKey] {
        &self.ignored
    }
    /// True if some usable key has this `kid`.
    pub fn contains_kid(&self, kid: &str) -> bool {
        self.keys.iter().any(|k| k.kid() == Some(kid))
    }

    /// Selects the one key for a token.
    ///
    /// With a `kid`: exactly one key must carry it (none: unknown; several: ambiguous), and it
    /// must be for verification. The key is *not* swapped for another one of a better-fitting
    /// type: binding the algorithm is [`Key::check_binding`]'s job, and a mismatch is a rejection.
    /// Without a `kid` (only when the policy allows it): exactly one verification key of the
    /// algorithm's family must exist.
    pub fn select(&self, kid: Option<&str>, alg: Algorithm) -> Result<&Key, SelectError> {
        match kid {
            Some(kid) => {
                let mut matches = self.keys.iter().filter(|k| k.kid() == Some(kid));
                let first = matches
                    .next()
                    .ok_or_else(|| SelectError::UnknownKid(kid.to_owned()))?;
                let extra = matches.count();
                if extra > 0 {
                    return Err(SelectError::AmbiguousKid {
                        kid: kid.to_owned(),
                        count: extra + 1,
                    });
                }
                if !first.is_for_verification() {
                    return Err(SelectError::NotForVerification {
                        kid: Some(kid.to_owned()),
                    });
                }
                Ok(first)
            }
            None => {
                let candidates: Vec<&Key> = self
                    .keys
                    .iter()
                    .filter(|k| k.material.family_matches(alg) && k.is_for_verification())
                    .collect();
                match candidates.as_slice() {
                    [] => Err(SelectError::NoKeyForAlgorithm(alg)),
                    [one] => Ok(one),
                    many => Err(SelectError::AmbiguousWithoutKid {
                        alg,
                        count: many.len(),
                    }),
                }
            }
        }
    }
}

fn read_entries(
    bytes: &[u8],
    limits: KeySetLimits,
) -> Result<Vec<Map<String, Value>>, KeySetError> {
    if bytes.len() > limits.max_bytes {
        return Err(KeySetError::TooLarge {
            len: bytes.len(),
            max: limits.max_bytes,
        });
    }
    let mut doc = strict_json::parse_object(bytes, 8)?;
    let Some(Value::Array(keys)) = doc.remove("keys") else {
        return Err(KeySetError::MissingKeys);
    };
    if keys.len() > limits.max_keys {
        return Err(KeySetError::TooManyKeys {
            count: keys.len(),
            max: limits.max_keys,
        });
    }
    keys.into_iter()
        .enumerate()
        .map(|(index, v)| match v {
            Value::Object(map) => Ok(map),
            _ => Err(KeySetError::KeyNotObject { index }),
        })
        .collect()
}
