//! The JWS algorithms authprobe knows (RFC 7518 §3, RFC 8037 §3.1) and what each demands of a key.
//!
//! `alg` values are case-sensitive strings (RFC 7515 §4.1.1): `"none"`, `"None"` and `" EdDSA"` are
//! all simply not one of these, so the lookup is an exact match and nothing is normalised.

use std::fmt;
use std::str::FromStr;

/// A JWS signature algorithm. `none` is deliberately absent: it can never be represented.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Algorithm {
    EdDSA,
    ES256,
    ES384,
    ES512,
    RS256,
    RS384,
    RS512,
    PS256,
    PS384,
    PS512,
    HS256,
    HS384,
    HS512,
}

/// The key family an algorithm needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyFamily {
    /// `kty: OKP`, `crv: Ed25519`.
    Ed25519,
    /// `kty: EC` on the given curve.
    Ec(Curve),
    /// `kty: RSA`, at least 2048 bits.
    Rsa,
    /// `kty: oct`, a configured shared secret.
    Hmac,
}

/// ℓ, the order of Ed25519's prime-order subgroup (RFC 8032 §5.1:
/// 2^252 + 27742317777372353535851937790883648493), little-endian as Ed25519 writes scalars. A
/// signature's S must be below it (RFC 8032 §5.1.7); S + ℓ is the same scalar written
/// non-canonically, the malleable twin of a signature that attacks and tests build.
pub const ED25519_GROUP_ORDER: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

/// NIST curves used by ES256/384/512.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Curve {
    P256,
    P384,
    P521,
}

impl Curve {
    /// The JWK `crv` name.
    pub fn name(self) -> &'static str {
        match self {
            Curve::P256 => "P-256",
            Curve::P384 => "P-384",
            Curve::P521 => "P-521",
        }
    }
    /// Length of one coordinate (and of r and s) in bytes.
    pub fn coordinate_len(self) -> usize {
        match self {
            Curve::P256 => 32,
            Curve::P384 => 48,
            Curve::P521 => 66,
        }
    }
    /// Parses a JWK `crv` value exactly.
    pub fn from_name(name: &str) -> Option<Curve> {
        match name {
            "P-256" => Some(Curve::P256),
            "P-384" => Some(Curve::P384),
            "P-521" => Some(Curve::P521),
            _ => None,
        }
    }

    /// The order n of the curve's base point (SEC 2 §2.4–2.6, FIPS 186-5), big-endian and as
    /// long as a coordinate: ECDSA's r and s must lie in 1..n (RFC 7518 §3.4), and s and n − s
    /// are both valid, the malleability attacks and tests build on.
    pub fn group_order(self) -> &'static [u8] {
        match self {
            Curve::P256 => &P256_ORDER,
            Curve::P384 => &P384_ORDER,
            Curve::P521 => &P521_ORDER,
        }
    }
}

// The base-point orders of [`Curve::group_order`].
const P256_ORDER: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
];
const P384_ORDER: [u8; 48] = [
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xc7, 0x63, 0x4d, 0x81, 0xf4, 0x37, 0x2d, 0xdf,
    0x58, 0x1a, 0x0d, 0xb2, 0x48, 0xb0, 0xa7, 0x7a, 0xec, 0xec, 0x19, 0x6a, 0xcc, 0xc5, 0x29, 0x73,
];
const P521_ORDER: [u8; 66] = [
    0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xfa, 0x51, 0x86, 0x87, 0x83, 0xbf, 0x2f, 0x96, 0x6b, 0x7f, 0xcc, 0x01, 0x48, 0xf7, 0x09,
    0xa5, 0xd0, 0x3b, 0xb5, 0xc9, 0xb8, 0x89, 0x9c, 0x47, 0xae, 0xbb, 0x6f, 0xb7, 0x1e, 0x91, 0x38,
    0x64, 0x09,
];

impl Algorithm {
    /// Every algorithm, in a stable order.
    pub const ALL: [Algorithm; 13] = [
        Algorithm::EdDSA,
        Algorithm::ES256,
        Algorithm::ES384,
        Algorithm::ES512,
        Algorithm::RS256,
        Algorithm::RS384,
        Algorithm::RS512,
        Algorithm::PS256,
        Algorithm::PS384,
        Algorithm::PS512,
        Algorithm::HS256,
        Algorithm::HS384,
        Algorithm::HS512,
    ];

    /// The registered `alg` name.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::EdDSA => "EdDSA",
            Algorithm::ES256 => "ES256",
            Algorithm::ES384 => "ES384",
            Algorithm::ES512 => "ES512",
            Algorithm::RS256 => "RS256",
            Algorithm::RS384 => "RS384",
            Algorithm::RS512 => "RS512",
            Algorithm::PS256 => "PS256",
            Algorithm::PS384 => "PS384",
            Algorithm::PS512 => "PS512",
            Algorithm::HS256 => "HS256",
            Algorithm::HS384 => "HS384",
            Algorithm::HS512 => "HS512",
        }
    }

    /// Exact, case-sensitive lookup of an `alg` header value.
    pub fn from_name(name: &str) -> Option<Algorithm> {
        Algorithm::ALL.into_iter().find(|a| a.name() == name)
    }

    /// The key family this algorithm may be used with.
    pub fn key_family(self) -> KeyFamily {
        match self {
            Algorithm::EdDSA => KeyFamily::Ed25519,
            Algorithm::ES256 => KeyFamily::Ec(Curve::P256),
            Algorithm::ES384 => KeyFamily::Ec(Curve::P384),
            Algorithm::ES512 => KeyFamily::Ec(Curve::P521),
            Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512 => KeyFamily::Rsa,
            Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => KeyFamily::Hmac,
        }
    }

    /// Output length of the hash behind the algorithm, in bytes (EdDSA: SHA-512).
    pub fn hash_len(self) -> usize {
        match self {
            Algorithm::ES256 | Algorithm::RS256 | Algorithm::PS256 | Algorithm::HS256 => 32,
            Algorithm::ES384 | Algorithm::RS384 | Algorithm::PS384 | Algorithm::HS384 => 48,
            Algorithm::EdDSA
            | Algorithm::ES512
            | Algorithm::RS512
            | Algorithm::PS512
            | Algorithm::HS512 => 64,
        }
    }

    /// True for the HMAC algorithms, which need a configured shared secret.
    pub fn is_symmetric(self) -> bool {
        self.key_family() == KeyFamily::Hmac
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An `alg` name that is not a supported algorithm.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown or unsupported algorithm {0:?}")]
pub struct UnknownAlgorithm(pub String);

impl FromStr for Algorithm {
    type Err = UnknownAlgorithm;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Algorithm::from_name(s).ok_or_else(|| UnknownAlgorithm(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_case_sensitive() {
        for alg in Algorithm::ALL {
            assert_eq!(Algorithm::from_name(alg.name()), Some(alg));
        }
        for bad in ["none", "None", "eddsa", " EdDSA", "EdDSA\0", "HS1", ""] {
            assert_eq!(Algorithm::from_name(bad), None, "{bad:?}");
        }
    }

    /// Checked against aws-lc's ECDSA rather than against another copy of the bytes: with s
    /// replaced by n − s a signature still verifies, which holds only for the true order.
    #[test]
    fn the_nist_group_orders_make_the_other_valid_ecdsa_signature() {
        use aws_lc_rs::rand::SystemRandom;
        use aws_lc_rs::signature::{self as sig, EcdsaKeyPair, KeyPair as _, UnparsedPublicKey};
        let message = b"eyJhbGciOiJFUzI1NiJ9.e30";
        for (curve, signing, verifying) in [
            (
                Curve::P256,
                &sig::ECDSA_P256_SHA256_FIXED_SIGNING,
                &sig::ECDSA_P256_SHA256_FIXED,
            ),
            (
                Curve::P384,
                &sig::ECDSA_P384_SHA384_FIXED_SIGNING,
                &sig::ECDSA_P384_SHA384_FIXED,
            ),
            (
                Curve::P521,
                &sig::ECDSA_P521_SHA512_FIXED_SIGNING,
                &sig::ECDSA_P521_SHA512_FIXED,
            ),
        ] {
            let n = curve.group_order();
            assert_eq!(n.len(), curve.coordinate_len(), "{curve:?}");
            let pair = EcdsaKeyPair::generate(signing).unwrap();
            let public = UnparsedPublicKey::new(verifying, pair.public_key().as_ref().to_vec());
            let mut signature = pair
                .sign(&SystemRandom::new(), message)
                .unwrap()
                .as_ref()
                .to_vec();
            let len = n.len();
            let mut borrow = 0i16;
            for i in (0..len).rev() {
                let mut d = i16::from(n[i]) - i16::from(signature[len + i]) - borrow;
                borrow = i16::from(d < 0);
                if d < 0 {
                    d += 256;
                }
                signature[len + i] = d as u8;
            }
            assert_eq!(borrow, 0);
            assert!(public.verify(message, &signature).is_ok(), "{curve:?}");
        }
    }

    /// Checked against curve25519-dalek's scalar field rather than against another copy of the
    /// bytes: ℓ reduces to zero, and it is the smallest encoding that is not canonical.
    #[test]
    fn the_ed25519_group_order_is_the_scalar_fields_modulus() {
        use curve25519_dalek::Scalar;
        let ell = ED25519_GROUP_ORDER;
        assert_eq!(Scalar::from_bytes_mod_order(ell), Scalar::ZERO);
        assert!(bool::from(Scalar::from_canonical_bytes(ell).is_none()));
        let mut below = ell;
        below[0] -= 1;
        let below = Scalar::from_canonical_bytes(below);
        assert!(bool::from(below.is_some()));
        assert_eq!(below.unwrap() + Scalar::ONE, Scalar::ZERO);
    }
}
