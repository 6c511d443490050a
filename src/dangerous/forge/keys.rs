//! The harness's own attacker keys: one per key family, generated fresh for a run.

use crate::algorithm::{Algorithm, Curve, KeyFamily};
use crate::sign::{SignError, SigningKey};

/// One signing key per family, none of which the target trusts.
#[derive(Debug)]
pub struct AttackerKeys {
    pub ed25519: SigningKey,
    pub p256: SigningKey,
    pub p384: SigningKey,
    pub p521: SigningKey,
    pub rsa: SigningKey,
    pub hmac: SigningKey,
    /// A self-signed certificate over `p256`.
    pub cert: Option<AttackerCert>,
}

impl AttackerKeys {
    /// The public JWKs of the Ed25519, P-256 and RSA keys under each of `kids`: what an
    /// attacker's key set serves (its own kid, and the target's for kid-collision attacks).
    pub fn public_jwks(&self, kids: &[&str]) -> Vec<serde_json::Value> {
        let mut keys = Vec::new();
        for kid in kids {
            for (key, alg) in [
                (&self.ed25519, Algorithm::EdDSA),
                (&self.p256, Algorithm::ES256),
                (&self.rsa, Algorithm::RS256),
            ] {
                keys.push(serde_json::Value::Object(
                    key.public_jwk(Some(kid), Some(alg)),
                ));
            }
        }
        keys
    }

    /// Generates a fresh set (RSA-2048 generation dominates: well under a second).
    pub fn generate() -> Result<AttackerKeys, SignError> {
        let p256 = SigningKey::generate(KeyFamily::Ec(Curve::P256))?;
        let cert = p256_certificate(&p256);
        Ok(AttackerKeys {
            ed25519: SigningKey::generate(KeyFamily::Ed25519)?,
            p256,
            p384: SigningKey::generate(KeyFamily::Ec(Curve::P384))?,
            p521: SigningKey::generate(KeyFamily::Ec(Curve::P521))?,
            rsa: SigningKey::generate(KeyFamily::Rsa)?,
            hmac: SigningKey::generate(KeyFamily::Hmac)?,
            cert,
        })
    }

    /// The attacker key that can sign `alg`.
    pub fn for_alg(&self, alg: Algorithm) -> &SigningKey {
        match alg.key_family() {
            KeyFamily::Ed25519 => &self.ed25519,
            KeyFamily::Ec(Curve::P256) => &self.p256,
            KeyFamily::Ec(Curve::P384) => &self.p384,
            KeyFamily::Ec(Curve::P521) => &self.p521,
            KeyFamily::Rsa => &self.rsa,
            KeyFamily::Hmac => &self.hmac,
        }
    }
}

/// A self-signed X.509 certificate for the attacker's P-256 key (for `x5c` / `x5u` attacks).
#[derive(Debug, Clone)]
pub struct AttackerCert {
    pub der: Vec<u8>,
    pub pem: String,
}

/// A self-signed certificate over a P-256 key, CN `authprobe attacker`.
fn p256_certificate(key: &SigningKey) -> Option<AttackerCert> {
    let SigningKey::Ec { pair, .. } = key else {
        return None;
    };
    let pkcs8 = pair.to_pkcs8v1().ok()?;
    let key = rcgen::KeyPair::try_from(pkcs8.as_ref()).ok()?;
    let mut params = rcgen::CertificateParams::new(vec!["authprobe.invalid".to_owned()]).ok()?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "authprobe attacker");
    let cert = params.self_signed(&key).ok()?;
    Some(AttackerCert {
        der: cert.der().to_vec(),
        pem: cert.pem(),
    })
}
