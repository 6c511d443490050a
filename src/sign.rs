//! Signing keys the harness holds: the sample issuer behind the fixtures, the mock Better Auth's
//! issuer, and the attacker keys the forge signs with. Verification never uses this module.

use crate::algorithm::{Algorithm, Curve, KeyFamily};
use crate::base64url;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use aws_lc_rs::signature::{self as sig, EcdsaKeyPair, KeyPair as _};
use aws_lc_rs::{hmac, rsa};
use serde_json::{Map, Value};
use std::fmt;

/// Why a key cannot be made or cannot sign.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    #[error("{alg} cannot be used with a {family:?} key")]
    WrongKey { alg: Algorithm, family: KeyFamily },
    #[error("private JWK is unusable: {0}")]
    BadPrivateJwk(String),
    #[error("the crypto library refused: {0}")]
    Crypto(&'static str),
}

/// A private key (or shared secret) that can sign JWS.
pub enum SigningKey {
    Ed25519(Box<ed25519_dalek::SigningKey>),
    Ec { curve: Curve, pair: EcdsaKeyPair },
    Rsa(rsa::KeyPair),
    Hmac(Vec<u8>),
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKey({:?})", self.family())
    }
}

impl SigningKey {
    /// A fresh random key of the family (RSA: 2048 bits; HMAC: 64 random bytes).
    pub fn generate(family: KeyFamily) -> Result<SigningKey, SignError> {
        let rng = SystemRandom::new();
        Ok(match family {
            KeyFamily::Ed25519 => {
                let mut seed = [0u8; 32];
                rng.fill(&mut seed).map_err(|_| SignError::Crypto("rng"))?;
                SigningKey::ed25519_from_seed(seed)
            }
            KeyFamily::Ec(curve) => SigningKey::Ec {
                curve,
                pair: EcdsaKeyPair::generate(ecdsa_signing(curve))
                    .map_err(|_| SignError::Crypto("ECDSA key generation"))?,
            },
            KeyFamily::Rsa => SigningKey::Rsa(
                rsa::KeyPair::generate(rsa::KeySize::Rsa2048)
                    .map_err(|_| SignError::Crypto("RSA key generation"))?,
            ),
            KeyFamily::Hmac => {
                let mut secret = vec![0u8; 64];
                rng.fill(&mut secret)
                    .map_err(|_| SignError::Crypto("rng"))?;
                SigningKey::Hmac(secret)
            }
        })
    }

    /// An Ed25519 key from its 32-byte seed (the JWK `d`).
    pub fn ed25519_from_seed(seed: [u8; 32]) -> SigningKey {
        SigningKey::Ed25519(Box::new(ed25519_dalek::SigningKey::from_bytes(&seed)))
    }

    /// An HMAC secret.
    pub fn hmac(secret: &[u8]) -> SigningKey {
        SigningKey::Hmac(secret.to_vec())
    }

    /// Imports a private JWK: OKP Ed25519 (`d`), EC P-256/384/521 (`d`, `x`, `y`), RSA (`n`,
    /// `e`, `d`, `p`, `q`, `dp`, `dq`, `qi`) or oct (`k`): every key type Better Auth's
    /// `keyPairConfig` can make.
    pub fn from_private_jwk(jwk: &Map<String, Value>) -> Result<SigningKey, SignError> {
        let member = |name: &str| -> Result<Vec<u8>, SignError> {
            let text = jwk.get(name).and_then(Value::as_str).ok_or_else(|| {
                SignError::BadPrivateJwk(format!("missing string member {name:?}"))
            })?;
            base64url::decode(text.as_bytes())
                .map_err(|e| SignError::BadPrivateJwk(format!("{name}: {e}")))
        };
        let kty = jwk.get("kty").and_then(Value::as_str).unwrap_or_default();
        let crv = jwk.get("crv").and_then(Value::as_str).unwrap_or_default();
        match (kty, crv) {
            ("OKP", "Ed25519") => {
                let seed: [u8; 32] = member("d")?
                    .try_into()
                    .map_err(|_| SignError::BadPrivateJwk("d must be 32 bytes".into()))?;
                let key = SigningKey::ed25519_from_seed(seed);
                if let Ok(x) = member("x") {
                    if key.ed25519_public() != Some(x) {
                        return Err(SignError::BadPrivateJwk("x does not match d".into()));
                    }
                }
                Ok(key)
            }
            ("EC", name) => {
                let curve = Curve::from_name(name)
                    .ok_or_else(|| SignError::BadPrivateJwk(format!("curve {name:?}")))?;
                let mut point = vec![0x04];
                point.extend(member("x")?);
                point.extend(member("y")?);
                let pair = EcdsaKeyPair::from_private_key_and_public_key(
                    ecdsa_signing(curve),
                    &member("d")?,
                    &point,
                )
                .map_err(|_| SignError::BadPrivateJwk("EC key rejected".into()))?;
                Ok(SigningKey::Ec { curve, pair })
            }
            ("RSA", _) => {
                // RFC 7518 §6.3.2: n, e, d and the CRT members p, q, dp, dq, qi, written as the
                // PKCS#1 RSAPrivateKey the crypto library reads.
                let names = ["n", "e", "d", "p", "q", "dp", "dq", "qi"];
                let mut fields = vec![der_uint(&[0])];
                for name in names {
                    fields.push(der_uint(&member(name)?));
                }
                let pair = rsa::KeyPair::from_der(&der_tlv(0x30, &fields.concat()))
                    .map_err(|e| SignError::BadPrivateJwk(format!("RSA key rejected: {e}")))?;
                Ok(SigningKey::Rsa(pair))
            }
            ("oct", _) => Ok(SigningKey::Hmac(member("k")?)),
            _ => Err(SignError::BadPrivateJwk(format!(
                "unsupported kty/crv {kty:?}/{crv:?}"
            ))),
        }
    }

    /// Imports a private key in PEM: PKCS#8 (`PRIVATE KEY`: Ed25519, P-256/384/521, RSA), PKCS#1
    /// (`RSA PRIVATE KEY`) or SEC 1 (`EC PRIVATE KEY`) — the forms `openssl` and key stores print.
    pub fn from_pem(text: &str) -> Result<SigningKey, SignError> {
        let bad = |m: &str| SignError::BadPrivateJwk(format!("PEM: {m}"));
        let begin = text
            .find("-----BEGIN ")
            .ok_or_else(|| bad("no BEGIN line"))?;
        let rest = &text[begin + "-----BEGIN ".len()..];
        let label_end = rest
            .find("-----")
            .ok_or_else(|| bad("unterminated BEGIN line"))?;
        let label = &rest[..label_end];
        let body_start = label_end + 5;
        let end = rest
            .find(&format!("-----END {label}-----"))
            .ok_or_else(|| bad(&format!("no END {label} line")))?;
        let b64: String = rest[body_start..end]
            .chars()
            .filter(|c| !c.is_ascii_whitespace())
            .collect();
        use base64::Engine as _;
        let der = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|e| bad(&format!("base64: {e}")))?;
        match label {
            "PRIVATE KEY" => SigningKey::from_pkcs8_der(&der),
            "RSA PRIVATE KEY" => rsa::KeyPair::from_der(&der)
                .map(SigningKey::Rsa)
                .map_err(|e| bad(&format!("RSA key rejected: {e}"))),
            "EC PRIVATE KEY" => [Curve::P256, Curve::P384, Curve::P521]
                .into_iter()
                .find_map(|curve| {
                    EcdsaKeyPair::from_private_key_der(ecdsa_signing(curve), &der)
                        .ok()
                        .map(|pair| SigningKey::Ec { curve, pair })
                })
                .ok_or_else(|| bad("EC key on no supported curve (P-256, P-384, P-521)")),
            other => Err(bad(&format!(
                "{other:?} is not a private key (expected PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)"
            ))),
        }
    }

    /// A PKCS#8 private key of any supported type.
    fn from_pkcs8_der(der: &[u8]) -> Result<SigningKey, SignError> {
        // id-Ed25519 (RFC 8410): the seed is the OCTET STRING inside the privateKey OCTET STRING.
        const ED25519_OID: [u8; 5] = [0x06, 0x03, 0x2b, 0x65, 0x70];
        if let Some(oid_at) = der.windows(5).position(|w| w == ED25519_OID) {
            // privateKey OCTET STRING (34 bytes) holding CurvePrivateKey OCTET STRING (32 bytes).
            let after = oid_at + ED25519_OID.len();
            let seed_at = der[after..]
                .windows(4)
                .position(|w| w == [0x04, 0x22, 0x04, 0x20])
                .map(|i| after + i + 4)
                .filter(|i| der.len() >= i + 32)
                .ok_or_else(|| {
                    SignError::BadPrivateJwk("PKCS#8 Ed25519: no 32-byte seed".into())
                })?;
            let mut seed = [0u8; 32];
            seed.copy_from_slice(&der[seed_at..seed_at + 32]);
            return Ok(SigningKey::ed25519_from_seed(seed));
        }
        if let Ok(pair) = rsa::KeyPair::from_pkcs8(der) {
            return Ok(SigningKey::Rsa(pair));
        }
        [Curve::P256, Curve::P384, Curve::P521]
            .into_iter()
            .find_map(|curve| {
                EcdsaKeyPair::from_pkcs8(ecdsa_signing(curve), der)
                    .ok()
                    .map(|pair| SigningKey::Ec { curve, pair })
            })
            .ok_or_else(|| {
                SignError::BadPrivateJwk(
                    "PKCS#8 key of no supported type (Ed25519, P-256/384/521, RSA)".into(),
                )
            })
    }

    /// The key's family.
    pub fn family(&self) -> KeyFamily {
        match self {
            SigningKey::Ed25519(_) => KeyFamily::Ed25519,
            SigningKey::Ec { curve, .. } => KeyFamily::Ec(*curve),
            SigningKey::Rsa(_) => KeyFamily::Rsa,
            SigningKey::Hmac(_) => KeyFamily::Hmac,
        }
    }

    fn ed25519_public(&self) -> Option<Vec<u8>> {
        match self {
            SigningKey::Ed25519(k) => Some(k.verifying_key().to_bytes().to_vec()),
            _ => None,
        }
    }

    /// A copy of the key (ECDSA and RSA pairs go through their PKCS#8 form); `None` only if
    /// the crypto library refuses to export or re-read it.
    pub fn try_clone(&self) -> Option<SigningKey> {
        use aws_lc_rs::encoding::AsDer as _;
        match self {
            SigningKey::Ed25519(k) => Some(SigningKey::Ed25519(k.clone())),
            SigningKey::Hmac(secret) => Some(SigningKey::Hmac(secret.clone())),
            SigningKey::Ec { curve, pair } => {
                let pkcs8 = pair.to_pkcs8v1().ok()?;
                let pair = EcdsaKeyPair::from_pkcs8(ecdsa_signing(*curve), pkcs8.as_ref()).ok()?;
                Some(SigningKey::Ec {
                    curve: *curve,
                    pair,
                })
            }
            SigningKey::Rsa(pair) => {
                let pkcs8 = pair.as_der().ok()?;
                rsa::KeyPair::from_pkcs8(pkcs8.as_ref())
                    .ok()
                    .map(SigningKey::Rsa)
            }
        }
    }

    /// The secret parts of the key, base64url-encoded, for leak detection (Ed25519 seed, HMAC
    /// secret); empty for key types whose private parts the library does not expose.
    pub fn secret_material(&self) -> Vec<String> {
        match self {
            SigningKey::Ed25519(k) => vec![base64url::encode(k.to_bytes())],
            SigningKey::Hmac(secret) => vec![base64url::encode(secret)],
            SigningKey::Ec { .. } | SigningKey::Rsa(_) => Vec::new(),
        }
    }

    /// The public JWK (for HMAC, the `oct` JWK with its secret, as a secret key set holds it).
    pub fn public_jwk(&self, kid: Option<&str>, alg: Option<Algorithm>) -> Map<String, Value> {
        let mut jwk = Map::new();
        match self {
            SigningKey::Ed25519(k) => {
                jwk.insert("kty".into(), "OKP".into());
                jwk.insert("crv".into(), "Ed25519".into());
                jwk.insert(
                    "x".into(),
                    base64url::encode(k.verifying_key().to_bytes()).into(),
                );
            }
            SigningKey::Ec { curve, pair } => {
                let point = pair.public_key().as_ref();
                let n = curve.coordinate_len();
                jwk.insert("kty".into(), "EC".into());
                jwk.insert("crv".into(), curve.name().into());
                jwk.insert("x".into(), base64url::encode(&point[1..1 + n]).into());
                jwk.insert("y".into(), base64url::encode(&point[1 + n..]).into());
            }
            SigningKey::Rsa(pair) => {
                let public = pair.public_key();
                jwk.insert("kty".into(), "RSA".into());
                jwk.insert(
                    "n".into(),
                    base64url::encode(public.modulus().big_endian_without_leading_zero()).into(),
                );
                jwk.insert(
                    "e".into(),
                    base64url::encode(public.exponent().big_endian_without_leading_zero()).into(),
                );
            }
            SigningKey::Hmac(secret) => {
                jwk.insert("kty".into(), "oct".into());
                jwk.insert("k".into(), base64url::encode(secret).into());
            }
        }
        if let Some(alg) = alg {
            jwk.insert("alg".into(), alg.name().into());
        }
        if let Some(kid) = kid {
            jwk.insert("kid".into(), kid.into());
        }
        jwk
    }

    /// Signs `message` with `alg`, which must fit the key's family.
    pub fn sign(&self, alg: Algorithm, message: &[u8]) -> Result<Vec<u8>, SignError> {
        if alg.key_family() != self.family() {
            return Err(SignError::WrongKey {
                alg,
                family: self.family(),
            });
        }
        let rng = SystemRandom::new();
        match self {
            SigningKey::Ed25519(k) => {
                use ed25519_dalek::Signer as _;
                Ok(k.sign(message).to_bytes().to_vec())
            }
            SigningKey::Ec { pair, .. } => pair
                .sign(&rng, message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| SignError::Crypto("ECDSA signing")),
            SigningKey::Rsa(pair) => {
                let encoding: &'static dyn sig::RsaEncoding = match alg {
                    Algorithm::RS256 => &sig::RSA_PKCS1_SHA256,
                    Algorithm::RS384 => &sig::RSA_PKCS1_SHA384,
                    Algorithm::RS512 => &sig::RSA_PKCS1_SHA512,
                    Algorithm::PS256 => &sig::RSA_PSS_SHA256,
                    Algorithm::PS384 => &sig::RSA_PSS_SHA384,
                    _ => &sig::RSA_PSS_SHA512,
                };
                let mut out = vec![0u8; pair.public_modulus_len()];
                pair.sign(encoding, &rng, message, &mut out)
                    .map_err(|_| SignError::Crypto("RSA signing"))?;
                Ok(out)
            }
            SigningKey::Hmac(secret) => {
                let algorithm = match alg {
                    Algorithm::HS256 => hmac::HMAC_SHA256,
                    Algorithm::HS384 => hmac::HMAC_SHA384,
                    _ => hmac::HMAC_SHA512,
                };
                Ok(hmac::sign(&hmac::Key::new(algorithm, secret), message)
                    .as_ref()
                    .to_vec())
            }
        }
    }
}

/// A DER element: tag, definite length, content.
fn der_tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

/// A DER INTEGER holding an unsigned big-endian magnitude.
fn der_uint(magnitude: &[u8]) -> Vec<u8> {
    let trimmed: Vec<u8> = magnitude.iter().copied().skip_while(|b| *b == 0).collect();
    let mut content = Vec::with_capacity(trimmed.len() + 1);
    if trimmed.first().is_none_or(|b| b & 0x80 != 0) {
        content.push(0);
    }
    content.extend(trimmed);
    der_tlv(0x02, &content)
}

fn ecdsa_signing(curve: Curve) -> &'static sig::EcdsaSigningAlgorithm {
    match curve {
        Curve::P256 => &sig::ECDSA_P256_SHA256_FIXED_SIGNING,
        Curve::P384 => &sig::ECDSA_P384_SHA384_FIXED_SIGNING,
        Curve::P521 => &sig::ECDSA_P521_SHA512_FIXED_SIGNING,
    }
}

/// Builds a compact JWS from raw header and payload JSON bytes, signing with `key` under `alg`.
/// The JSON is encoded exactly as given (member order, spacing and duplicates included).
pub fn sign_compact(
    header_json: &[u8],
    payload: &[u8],
    key: &SigningKey,
    alg: Algorithm,
) -> Result<String, SignError> {
    let signing_input = format!(
        "{}.{}",
        base64url::encode(header_json),
        base64url::encode(payload)
    );
    let signature = key.sign(alg, signing_input.as_bytes())?;
    Ok(format!("{signing_input}.{}", base64url::encode(signature)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pem(label: &str, der: &[u8]) -> String {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD.encode(der);
        let lines: Vec<&str> = b64
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        format!(
            "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
            lines.join("\n")
        )
    }

    /// Every key type Better Auth's keyPairConfig makes, as PKCS#8 PEM, signs what its public
    /// JWK verifies; PKCS#1 and SEC 1 too; other PEM is refused with its label.
    #[test]
    fn pem_private_keys_of_every_type() {
        use aws_lc_rs::encoding::AsDer as _;
        let rng = SystemRandom::new();
        let ed = aws_lc_rs::signature::Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
        // The seed read from the PKCS#8 is the key aws-lc made: same public key.
        let theirs = aws_lc_rs::signature::Ed25519KeyPair::from_pkcs8(ed.as_ref()).unwrap();
        let ours = SigningKey::from_pem(&pem("PRIVATE KEY", ed.as_ref())).unwrap();
        assert_eq!(
            ours.public_jwk(None, None)["x"],
            Value::String(base64url::encode(theirs.public_key().as_ref()))
        );
        let mut keys = vec![(Algorithm::EdDSA, pem("PRIVATE KEY", ed.as_ref()))];
        for (alg, curve) in [
            (Algorithm::ES256, Curve::P256),
            (Algorithm::ES512, Curve::P521),
        ] {
            let doc = EcdsaKeyPair::generate_pkcs8(ecdsa_signing(curve), &rng).unwrap();
            keys.push((alg, pem("PRIVATE KEY", doc.as_ref())));
        }
        let rsa = rsa::KeyPair::generate(rsa::KeySize::Rsa2048).unwrap();
        keys.push((
            Algorithm::PS256,
            pem("PRIVATE KEY", rsa.as_der().unwrap().as_ref()),
        ));
        for (alg, text) in keys {
            let key = SigningKey::from_pem(&text).unwrap_or_else(|e| panic!("{alg}: {e}"));
            let public = crate::jwk::Key::from_public_jwk(&key.public_jwk(None, None)).unwrap();
            let sig = key.sign(alg, b"message").unwrap();
            assert!(public.verify(alg, b"message", &sig), "{alg}");
        }
        let err = SigningKey::from_pem(&pem("PUBLIC KEY", b"x"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("PUBLIC KEY"), "{err}");
        assert!(SigningKey::from_pem("not pem").is_err());
    }

    /// RFC 7520 §4.1 (the JOSE cookbook's RS256 example, in tests/vectors): the private JWK is
    /// read from n, e, d and the CRT members, and RS256 is deterministic, so the signature must
    /// be the cookbook's byte for byte; a wrong member is refused.
    #[test]
    fn rsa_private_jwk_signs_the_cookbook_example() {
        let doc: Value = serde_json::from_str(include_str!(
            "../tests/vectors/ietf-jose-cookbook/jws/4_1.rsa_v15_signature.json"
        ))
        .unwrap();
        let jwk = doc["input"]["key"].as_object().unwrap().clone();
        let key = SigningKey::from_private_jwk(&jwk).unwrap();
        assert_eq!(key.family(), KeyFamily::Rsa);
        let input = doc["signing"]["sig-input"].as_str().unwrap();
        let sig = key.sign(Algorithm::RS256, input.as_bytes()).unwrap();
        assert_eq!(
            base64url::encode(sig),
            doc["signing"]["sig"].as_str().unwrap()
        );
        assert!(key.try_clone().is_some());
        let mut broken = jwk;
        broken.insert("dp".into(), Value::String("AQAB".into()));
        assert!(SigningKey::from_private_jwk(&broken).is_err());
    }
}
