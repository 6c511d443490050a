//! Imported key material and the signature primitives behind each algorithm.
//!
//! Ed25519 verification accepts exactly what ed25519-dalek's `verify_strict` accepts (RFC 8032
//! §5.1.7 with the "Taming the many EdDSAs" rules: S canonical, neither A nor R of small order,
//! the cofactorless equation), computed as aws-lc-rs's Ed25519 (S canonical, the cofactorless
//! equation, R compared by its canonical encoding) plus the rules aws-lc leaves out: A not of
//! small order, and canonically encoded (stricter than dalek, which reduces y ≥ p), checked once
//! when the key is imported; R not one of the eight small-order points, a comparison of 32 bytes
//! per signature. tests/properties.rs (p10) checks the two agree on adversarial signatures.
//! aws-lc's Ed25519 is the one jsonwebtoken uses, and about 7 µs faster than dalek's.
//!
//! ECDSA, RSA and HMAC go through aws-lc-rs: fixed-length r‖s (RFC 7518 §3.4) with 0 < r, s < n,
//! PKCS#1 v1.5 and PSS with the salt as long as the hash (RFC 7518 §3.5) for 2048–8192-bit
//! moduli, and a constant-time MAC comparison. Parsed public keys and HMAC keys are cached so
//! each verification skips re-importing the key.

use super::{roca, KeyError};
use crate::algorithm::{Algorithm, Curve, KeyFamily};
use aws_lc_rs::hmac;
use aws_lc_rs::signature::{self as sig, ParsedPublicKey, RsaPublicKeyComponents};
use std::fmt;
use std::sync::OnceLock;

/// The verification material of one key.
pub enum KeyMaterial {
    /// An Ed25519 public key, already checked to be canonical and not of small order.
    Ed25519(Ed25519Key),
    /// An ECDSA public key, already checked to lie on its curve.
    Ec {
        curve: Curve,
        /// The uncompressed point `04 ‖ x ‖ y`.
        point: Vec<u8>,
        parsed: ParsedPublicKey,
    },
    /// An RSA public key of 2048–8192 bits.
    Rsa(Box<RsaKey>),
    /// A configured HMAC secret.
    Hmac(HmacSecret),
}

/// An Ed25519 public key: the point (for its checks and conversions) and aws-lc's parsed key.
pub struct Ed25519Key {
    pub point: ed25519_dalek::VerifyingKey,
    parsed: ParsedPublicKey,
}

impl Ed25519Key {
    /// verify_strict's rules; see the module documentation for why they are these.
    fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        signature.len() == 64
            && !small_order_encodings()
                .iter()
                .any(|r| r[..] == signature[..32])
            && self.parsed.verify_sig(message, signature).is_ok()
    }
}

/// The canonical encodings of the eight points of order dividing 8. Any other encoding of
/// those points is non-canonical, and a non-canonical R never equals the canonical encoding of
/// [S]B − [k]A that the verification compares it with.
fn small_order_encodings() -> &'static [[u8; 32]; 8] {
    static ENCODINGS: OnceLock<[[u8; 32]; 8]> = OnceLock::new();
    ENCODINGS.get_or_init(|| {
        curve25519_dalek::constants::EIGHT_TORSION.map(|point| point.compress().to_bytes())
    })
}

/// A configured HMAC secret, and its aws-lc key per algorithm (HS256/384/512), built on first
/// use so that a verification does not redo the key schedule. Dereferences to the secret bytes.
pub struct HmacSecret {
    secret: Vec<u8>,
    keys: Box<[OnceLock<hmac::Key>; 3]>,
}

impl std::ops::Deref for HmacSecret {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.secret
    }
}

/// RSA public components and one parsed key per algorithm, built on first use.
pub struct RsaKey {
    pub n: Vec<u8>,
    pub e: Vec<u8>,
    parsed: [OnceLock<Option<ParsedPublicKey>>; 6],
}

impl fmt::Debug for KeyMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyMaterial::Ed25519(_) => f.write_str("Ed25519"),
            KeyMaterial::Ec { curve, .. } => write!(f, "EC {}", curve.name()),
            KeyMaterial::Rsa(k) => write!(f, "RSA {} bits", modulus_bits(&k.n)),
            KeyMaterial::Hmac(s) => write!(f, "HMAC secret of {} bytes", s.len()),
        }
    }
}

fn modulus_bits(n: &[u8]) -> usize {
    n.first()
        .map_or(0, |b| n.len() * 8 - b.leading_zeros() as usize)
}

impl KeyMaterial {
    pub(super) fn ed25519(x: &[u8]) -> Result<KeyMaterial, KeyError> {
        let bytes: [u8; 32] = x.try_into().map_err(|_| KeyError::InvalidPoint)?;
        let point =
            ed25519_dalek::VerifyingKey::from_bytes(&bytes).map_err(|_| KeyError::InvalidPoint)?;
        // RFC 8032 §5.1.3: a y coordinate of p or more, or x = 0 with the sign bit set, does not
        // decode; dalek reduces such encodings instead of refusing them.
        if point.to_edwards().compress().to_bytes() != bytes {
            return Err(KeyError::InvalidPoint);
        }
        if point.is_weak() {
            return Err(KeyError::WeakEd25519);
        }
        let parsed =
            ParsedPublicKey::new(&sig::ED25519, bytes).map_err(|_| KeyError::InvalidPoint)?;
        Ok(KeyMaterial::Ed25519(Ed25519Key { point, parsed }))
    }

    pub(super) fn ec(curve: Curve, x: &[u8], y: &[u8]) -> Result<KeyMaterial, KeyError> {
        let mut point = Vec::with_capacity(1 + x.len() + y.len());
        point.push(0x04);
        point.extend_from_slice(x);
        point.extend_from_slice(y);
        let parsed = ParsedPublicKey::new(ecdsa_params(curve), &point)
            .map_err(|_| KeyError::InvalidPoint)?;
        Ok(KeyMaterial::Ec {
            curve,
            point,
            parsed,
        })
    }

    pub(super) fn rsa(n: &[u8], e: &[u8]) -> Result<KeyMaterial, KeyError> {
        let bits = modulus_bits(n);
        if bits < 2048 {
            return Err(KeyError::RsaTooSmall { bits });
        }
        if bits > 8192 {
            return Err(KeyError::RsaTooLarge { bits });
        }
        if n.last().is_none_or(|b| b & 1 == 0) {
            return Err(KeyError::RsaEvenModulus);
        }
        let e_is_valid = e.len() <= 4
            && e.last().is_some_and(|b| b & 1 == 1)
            && e.iter().fold(0u64, |acc, b| acc << 8 | u64::from(*b)) >= 3;
        if !e_is_valid {
            return Err(KeyError::RsaBadExponent);
        }
        if roca::has_roca_fingerprint(n) {
            return Err(KeyError::RsaRoca);
        }
        // Make sure aws-lc accepts the components now rather than at the first token.
        RsaPublicKeyComponents { n, e }
            .to_parsed_public_key(&sig::RSA_PKCS1_2048_8192_SHA256)
            .map_err(|_| KeyError::InvalidPoint)?;
        Ok(KeyMaterial::Rsa(Box::new(RsaKey {
            n: n.to_vec(),
            e: e.to_vec(),
            parsed: Default::default(),
        })))
    }

    pub(super) fn hmac(secret: &[u8]) -> Result<KeyMaterial, KeyError> {
        if secret.is_empty() {
            return Err(KeyError::EmptySecret);
        }
        Ok(KeyMaterial::Hmac(HmacSecret {
            secret: secret.to_vec(),
            keys: Default::default(),
        }))
    }

    /// The key's family.
    pub fn family(&self) -> KeyFamily {
        match self {
            KeyMaterial::Ed25519(_) => KeyFamily::Ed25519,
            KeyMaterial::Ec { curve, .. } => KeyFamily::Ec(*curve),
            KeyMaterial::Rsa(_) => KeyFamily::Rsa,
            KeyMaterial::Hmac(_) => KeyFamily::Hmac,
        }
    }

    /// True when `alg` needs exactly this key type (and curve).
    pub fn family_matches(&self, alg: Algorithm) -> bool {
        alg.key_family() == self.family()
    }

    /// The RSA modulus length in bits, for RSA keys.
    pub fn rsa_bits(&self) -> Option<usize> {
        match self {
            KeyMaterial::Rsa(k) => Some(modulus_bits(&k.n)),
            _ => None,
        }
    }

    /// Verifies a signature. Any length that the algorithm does not define fails.
    pub fn verify(&self, alg: Algorithm, message: &[u8], signature: &[u8]) -> bool {
        match (self, alg) {
            (KeyMaterial::Ed25519(key), Algorithm::EdDSA) => key.verify(message, signature),
            (KeyMaterial::Ec { curve, parsed, .. }, _) => {
                signature.len() == 2 * curve.coordinate_len()
                    && parsed.verify_sig(message, signature).is_ok()
            }
            (KeyMaterial::Rsa(key), _) => {
                let Some(slot) = rsa_slot(alg) else {
                    return false;
                };
                if signature.len() != key.n.len() {
                    return false;
                }
                let parsed = key.parsed[slot].get_or_init(|| {
                    RsaPublicKeyComponents {
                        n: &key.n,
                        e: &key.e,
                    }
                    .to_parsed_public_key(RSA_PARAMS[slot])
                    .ok()
                });
                parsed
                    .as_ref()
                    .is_some_and(|p| p.verify_sig(message, signature).is_ok())
            }
            (KeyMaterial::Hmac(secret), _) => {
                let Some((slot, algorithm)) = hmac_algorithm(alg) else {
                    return false;
                };
                let key = secret.keys[slot].get_or_init(|| hmac::Key::new(algorithm, secret));
                hmac::verify(key, message, signature).is_ok()
            }
            _ => false,
        }
    }
}

fn ecdsa_params(curve: Curve) -> &'static sig::EcdsaVerificationAlgorithm {
    match curve {
        Curve::P256 => &sig::ECDSA_P256_SHA256_FIXED,
        Curve::P384 => &sig::ECDSA_P384_SHA384_FIXED,
        Curve::P521 => &sig::ECDSA_P521_SHA512_FIXED,
    }
}

static RSA_PARAMS: [&sig::RsaParameters; 6] = [
    &sig::RSA_PKCS1_2048_8192_SHA256,
    &sig::RSA_PKCS1_2048_8192_SHA384,
    &sig::RSA_PKCS1_2048_8192_SHA512,
    &sig::RSA_PSS_2048_8192_SHA256,
    &sig::RSA_PSS_2048_8192_SHA384,
    &sig::RSA_PSS_2048_8192_SHA512,
];

fn rsa_slot(alg: Algorithm) -> Option<usize> {
    Some(match alg {
        Algorithm::RS256 => 0,
        Algorithm::RS384 => 1,
        Algorithm::RS512 => 2,
        Algorithm::PS256 => 3,
        Algorithm::PS384 => 4,
        Algorithm::PS512 => 5,
        _ => return None,
    })
}

fn hmac_algorithm(alg: Algorithm) -> Option<(usize, hmac::Algorithm)> {
    match alg {
        Algorithm::HS256 => Some((0, hmac::HMAC_SHA256)),
        Algorithm::HS384 => Some((1, hmac::HMAC_SHA384)),
        Algorithm::HS512 => Some((2, hmac::HMAC_SHA512)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::digest;
    use curve25519_dalek::Scalar;
    use ed25519_dalek::SigningKey;

    /// A signature whose R is the identity (a point of small order) with S = k·a satisfies
    /// [S]B − [k]A = R: a plain cofactorless verifier (aws-lc's) accepts it, `verify_strict`
    /// and therefore the reference validator do not.
    #[test]
    fn a_small_order_r_satisfying_the_equation_is_refused() {
        let signing = SigningKey::from_bytes(&[7u8; 32]);
        let key = signing.verifying_key();
        let message = b"small-order R";
        let mut r = [0u8; 32];
        r[0] = 1;
        let mut h = digest::Context::new(&digest::SHA512);
        h.update(&r);
        h.update(key.as_bytes());
        h.update(message);
        let k = Scalar::from_bytes_mod_order_wide(h.finish().as_ref().try_into().unwrap());
        let s = k * signing.to_scalar();
        let mut forged = [0u8; 64];
        forged[..32].copy_from_slice(&r);
        forged[32..].copy_from_slice(s.as_bytes());
        assert!(
            sig::UnparsedPublicKey::new(&sig::ED25519, key.as_bytes())
                .verify(message, &forged)
                .is_ok(),
            "aws-lc alone accepts it"
        );
        let material = KeyMaterial::ed25519(key.as_bytes()).unwrap();
        assert!(!material.verify(Algorithm::EdDSA, message, &forged));
        use ed25519_dalek::Signer as _;
        let good = signing.sign(message).to_bytes();
        assert!(material.verify(Algorithm::EdDSA, message, &good));
    }

    #[test]
    fn hmac_keys_are_cached_per_algorithm() {
        let KeyMaterial::Hmac(secret) = KeyMaterial::hmac(&[9u8; 64]).unwrap() else {
            unreachable!()
        };
        let material = KeyMaterial::Hmac(secret);
        for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
            let (_, algorithm) = hmac_algorithm(alg).unwrap();
            let tag = hmac::sign(&hmac::Key::new(algorithm, &[9u8; 64]), b"m");
            assert!(material.verify(alg, b"m", tag.as_ref()));
            assert!(material.verify(alg, b"m", tag.as_ref()), "from the cache");
            assert!(!material.verify(alg, b"n", tag.as_ref()));
        }
        let KeyMaterial::Hmac(secret) = &material else {
            unreachable!()
        };
        assert!(secret.keys.iter().all(|k| k.get().is_some()));
        assert_eq!(&secret[..], &[9u8; 64]);
    }
}
