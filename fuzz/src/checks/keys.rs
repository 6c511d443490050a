//! The fixed signing keys of the structure-aware targets (issuer and attacker keys of every
//! family, from `fuzz/keys/` and fixed seeds), so that an input replays identically everywhere.

use authprobe::algorithm::{Algorithm, Curve, KeyFamily};
use authprobe::jwk::{Key, KeySet};
use authprobe::sign::SigningKey;
use serde_json::Value;
use std::sync::OnceLock;

/// The signing keys of a run, fixed so that inputs replay identically everywhere.
pub struct Keys {
    ed25519: SigningKey,
    p256: SigningKey,
    p384: SigningKey,
    p521: SigningKey,
    rsa: SigningKey,
    hmac: SigningKey,
    hmac_secret: Vec<u8>,
    attacker_ed25519: SigningKey,
    attacker_p256: SigningKey,
    attacker_p384: SigningKey,
    attacker_p521: SigningKey,
    attacker_rsa: SigningKey,
    attacker_hmac: SigningKey,
    /// Every key above (the issuer's), as the validator holds them.
    pub(super) all: KeySet,
}

fn ec_key(curve: Curve, pkcs8: &[u8]) -> SigningKey {
    use aws_lc_rs::signature as sig;
    let alg = match curve {
        Curve::P256 => &sig::ECDSA_P256_SHA256_FIXED_SIGNING,
        Curve::P384 => &sig::ECDSA_P384_SHA384_FIXED_SIGNING,
        Curve::P521 => &sig::ECDSA_P521_SHA512_FIXED_SIGNING,
    };
    SigningKey::Ec {
        curve,
        pair: sig::EcdsaKeyPair::from_pkcs8(alg, pkcs8).expect("fixed EC key"),
    }
}

fn rsa_key(pkcs8: &[u8]) -> SigningKey {
    SigningKey::Rsa(aws_lc_rs::rsa::KeyPair::from_pkcs8(pkcs8).expect("fixed RSA key"))
}

impl Keys {
    pub fn get() -> &'static Keys {
        static KEYS: OnceLock<Keys> = OnceLock::new();
        KEYS.get_or_init(Keys::load)
    }

    fn load() -> Keys {
        let hmac_secret: Vec<u8> = (0..64u8).map(|i| i.wrapping_mul(37) ^ 0x5a).collect();
        let ed25519 = SigningKey::ed25519_from_seed([7; 32]);
        let p256 = ec_key(Curve::P256, include_bytes!("../../keys/p256.pk8"));
        let p384 = ec_key(Curve::P384, include_bytes!("../../keys/p384.pk8"));
        let p521 = ec_key(Curve::P521, include_bytes!("../../keys/p521.pk8"));
        let rsa = rsa_key(include_bytes!("../../keys/rsa2048.pk8"));
        let hmac = SigningKey::hmac(&hmac_secret);
        let mut all = KeySet::default();
        for (key, family) in [
            (&ed25519, KeyFamily::Ed25519),
            (&p256, KeyFamily::Ec(Curve::P256)),
            (&p384, KeyFamily::Ec(Curve::P384)),
            (&p521, KeyFamily::Ec(Curve::P521)),
            (&rsa, KeyFamily::Rsa),
        ] {
            let declared = (family == KeyFamily::Ed25519).then_some(Algorithm::EdDSA);
            let jwk = key.public_jwk(Some(kid_of(family)), declared);
            all.push(Key::from_public_jwk(&jwk).expect("own public key imports"));
        }
        all.push(Key::from_hmac_secret(Some(kid_of(KeyFamily::Hmac)), &hmac_secret).unwrap());
        Keys {
            ed25519,
            p256,
            p384,
            p521,
            rsa,
            hmac,
            hmac_secret,
            attacker_ed25519: SigningKey::ed25519_from_seed([0xa7; 32]),
            attacker_p256: ec_key(Curve::P256, include_bytes!("../../keys/attacker-p256.pk8")),
            attacker_p384: ec_key(Curve::P384, include_bytes!("../../keys/attacker-p384.pk8")),
            attacker_p521: ec_key(Curve::P521, include_bytes!("../../keys/attacker-p521.pk8")),
            attacker_rsa: rsa_key(include_bytes!("../../keys/attacker-rsa2048.pk8")),
            attacker_hmac: SigningKey::hmac(&[0x42; 64]),
            all,
        }
    }

    /// The issuer's key for an algorithm.
    pub fn issuer(&self, alg: Algorithm) -> &SigningKey {
        match alg.key_family() {
            KeyFamily::Ed25519 => &self.ed25519,
            KeyFamily::Ec(Curve::P256) => &self.p256,
            KeyFamily::Ec(Curve::P384) => &self.p384,
            KeyFamily::Ec(Curve::P521) => &self.p521,
            KeyFamily::Rsa => &self.rsa,
            KeyFamily::Hmac => &self.hmac,
        }
    }

    /// A key of the same family that the validator does not trust.
    pub fn attacker(&self, alg: Algorithm) -> &SigningKey {
        match alg.key_family() {
            KeyFamily::Ed25519 => &self.attacker_ed25519,
            KeyFamily::Ec(Curve::P256) => &self.attacker_p256,
            KeyFamily::Ec(Curve::P384) => &self.attacker_p384,
            KeyFamily::Ec(Curve::P521) => &self.attacker_p521,
            KeyFamily::Rsa => &self.attacker_rsa,
            KeyFamily::Hmac => &self.attacker_hmac,
        }
    }

    /// A key set holding only the issuer's key for `alg` (what a single-key deployment has).
    pub fn single(&self, alg: Algorithm) -> KeySet {
        let family = alg.key_family();
        let kid = kid_of(family);
        let key = if family == KeyFamily::Hmac {
            Key::from_hmac_secret(Some(kid), &self.hmac_secret).unwrap()
        } else {
            let declared = (family == KeyFamily::Ed25519).then_some(Algorithm::EdDSA);
            Key::from_public_jwk(&self.issuer(alg).public_jwk(Some(kid), declared)).unwrap()
        };
        KeySet::from_keys(vec![key])
    }

    /// The jsonwebtoken decoding key for the issuer's key of `alg`.
    pub fn jsonwebtoken_key(&self, alg: Algorithm) -> jsonwebtoken::DecodingKey {
        use jsonwebtoken::DecodingKey;
        let jwk = self.issuer(alg).public_jwk(None, None);
        let member = |name: &str| jwk[name].as_str().unwrap().to_owned();
        match alg.key_family() {
            KeyFamily::Ed25519 => DecodingKey::from_ed_components(&member("x")).unwrap(),
            KeyFamily::Ec(_) => {
                DecodingKey::from_ec_components(&member("x"), &member("y")).unwrap()
            }
            KeyFamily::Rsa => DecodingKey::from_rsa_components(&member("n"), &member("e")).unwrap(),
            KeyFamily::Hmac => DecodingKey::from_secret(&self.hmac_secret),
        }
    }

    /// The public JWK text of the issuer's key (HMAC-confusion secrets are made from it).
    pub fn public_jwk_text(&self, alg: Algorithm) -> String {
        Value::Object(self.issuer(alg).public_jwk(None, None)).to_string()
    }
}

/// The `kid` of the issuer's key of a family.
pub fn kid_of(family: KeyFamily) -> &'static str {
    match family {
        KeyFamily::Ed25519 => "k7QwZp2LxR9vTmN4bYc8HsJd3FgEa6Uu",
        KeyFamily::Ec(Curve::P256) => "p256",
        KeyFamily::Ec(Curve::P384) => "p384",
        KeyFamily::Ec(Curve::P521) => "p521",
        KeyFamily::Rsa => "rsa",
        KeyFamily::Hmac => "hs",
    }
}
