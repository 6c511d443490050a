//! A public key in every textual and binary form an HMAC key-confusion attack might use
//! (ATTACKS.md C01–C06): SPKI and PKCS#1 in DER and PEM (with each line-ending and whitespace
//! variant seen in CVE-2023-48223 / CVE-2026-34950), the JWK text, the raw key bytes, and the
//! OpenSSH line (CVE-2022-29217).

use crate::algorithm::{Curve, KeyFamily};
use crate::base64url;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::{Map, Value};

/// The forms a public key can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    SpkiPem,
    SpkiPemNoTrailingNewline,
    SpkiPemCrlf,
    SpkiPemLeadingNewline,
    SpkiPemLeadingSpace,
    SpkiBase64Body,
    SpkiDer,
    Pkcs1Pem,
    Pkcs1Der,
    JwkText,
    RawBytes,
    OpenSsh,
}

impl Encoding {
    pub fn label(self) -> &'static str {
        match self {
            Encoding::SpkiPem => "SPKI PEM",
            Encoding::SpkiPemNoTrailingNewline => "SPKI PEM without the trailing newline",
            Encoding::SpkiPemCrlf => "SPKI PEM with CRLF line ends",
            Encoding::SpkiPemLeadingNewline => "SPKI PEM with a leading newline",
            Encoding::SpkiPemLeadingSpace => "SPKI PEM with leading whitespace",
            Encoding::SpkiBase64Body => "SPKI base64 body without PEM armour",
            Encoding::SpkiDer => "SPKI DER",
            Encoding::Pkcs1Pem => "PKCS#1 RSA PUBLIC KEY PEM",
            Encoding::Pkcs1Der => "PKCS#1 RSAPublicKey DER",
            Encoding::JwkText => "JWK JSON text",
            Encoding::RawBytes => "raw key bytes",
            Encoding::OpenSsh => "OpenSSH public key line",
        }
    }

    /// True for the PEM byte-level variants (ATTACKS.md C02).
    pub fn is_pem_variant(self) -> bool {
        matches!(
            self,
            Encoding::SpkiPemNoTrailingNewline
                | Encoding::SpkiPemCrlf
                | Encoding::SpkiPemLeadingNewline
                | Encoding::SpkiPemLeadingSpace
                | Encoding::SpkiBase64Body
        )
    }
}

/// A public JWK decoded into its family and components.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicKeyParts {
    Ed25519 {
        x: Vec<u8>,
    },
    Ec {
        curve: Curve,
        x: Vec<u8>,
        y: Vec<u8>,
    },
    Rsa {
        n: Vec<u8>,
        e: Vec<u8>,
    },
}

impl PublicKeyParts {
    /// Reads the public members of an OKP/EC/RSA JWK.
    pub fn from_jwk(jwk: &Map<String, Value>) -> Option<PublicKeyParts> {
        let b = |name: &str| -> Option<Vec<u8>> {
            base64url::decode(jwk.get(name)?.as_str()?.as_bytes()).ok()
        };
        match jwk.get("kty")?.as_str()? {
            "OKP" if jwk.get("crv")?.as_str()? == "Ed25519" => {
                Some(PublicKeyParts::Ed25519 { x: b("x")? })
            }
            "EC" => Some(PublicKeyParts::Ec {
                curve: Curve::from_name(jwk.get("crv")?.as_str()?)?,
                x: b("x")?,
                y: b("y")?,
            }),
            "RSA" => Some(PublicKeyParts::Rsa {
                n: b("n")?,
                e: b("e")?,
            }),
            _ => None,
        }
    }

    pub fn family(&self) -> KeyFamily {
        match self {
            PublicKeyParts::Ed25519 { .. } => KeyFamily::Ed25519,
            PublicKeyParts::Ec { curve, .. } => KeyFamily::Ec(*curve),
            PublicKeyParts::Rsa { .. } => KeyFamily::Rsa,
        }
    }

    /// The key in `encoding`, or `None` where the form does not exist for this key type.
    pub fn encode(&self, encoding: Encoding, jwk: &Map<String, Value>) -> Option<Vec<u8>> {
        let spki = self.spki_der();
        let pem = |label: &str, der: &[u8]| pem(label, der);
        Some(match encoding {
            Encoding::SpkiPem => pem("PUBLIC KEY", &spki).into_bytes(),
            Encoding::SpkiPemNoTrailingNewline => {
                pem("PUBLIC KEY", &spki).trim_end().as_bytes().to_vec()
            }
            Encoding::SpkiPemCrlf => pem("PUBLIC KEY", &spki).replace('\n', "\r\n").into_bytes(),
            Encoding::SpkiPemLeadingNewline => {
                format!("\n{}", pem("PUBLIC KEY", &spki)).into_bytes()
            }
            Encoding::SpkiPemLeadingSpace => format!("  {}", pem("PUBLIC KEY", &spki)).into_bytes(),
            Encoding::SpkiBase64Body => STANDARD.encode(&spki).into_bytes(),
            Encoding::SpkiDer => spki,
            Encoding::Pkcs1Pem => pem("RSA PUBLIC KEY", &self.pkcs1_der()?).into_bytes(),
            Encoding::Pkcs1Der => self.pkcs1_der()?,
            Encoding::JwkText => serde_json::to_vec(jwk).ok()?,
            Encoding::RawBytes => match self {
                PublicKeyParts::Ed25519 { x } => x.clone(),
                PublicKeyParts::Ec { x, y, .. } => [&[4u8][..], x, y].concat(),
                PublicKeyParts::Rsa { n, .. } => n.clone(),
            },
            Encoding::OpenSsh => self.openssh().into_bytes(),
        })
    }

    /// Every encoding that exists for this key type, with its bytes.
    pub fn all_encodings(&self, jwk: &Map<String, Value>) -> Vec<(Encoding, Vec<u8>)> {
        use Encoding::*;
        [
            SpkiPem,
            SpkiPemNoTrailingNewline,
            SpkiPemCrlf,
            SpkiPemLeadingNewline,
            SpkiPemLeadingSpace,
            SpkiBase64Body,
            SpkiDer,
            Pkcs1Pem,
            Pkcs1Der,
            JwkText,
            RawBytes,
            OpenSsh,
        ]
        .into_iter()
        .filter_map(|e| self.encode(e, jwk).map(|bytes| (e, bytes)))
        .collect()
    }

    /// SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) DER.
    pub fn spki_der(&self) -> Vec<u8> {
        let (algorithm, key) = match self {
            PublicKeyParts::Ed25519 { x } => (der::seq(&[der::oid(OID_ED25519)]), x.clone()),
            PublicKeyParts::Ec { curve, x, y } => (
                der::seq(&[der::oid(OID_EC_PUBLIC_KEY), der::oid(curve_oid(*curve))]),
                [&[4u8][..], x, y].concat(),
            ),
            PublicKeyParts::Rsa { .. } => (
                der::seq(&[der::oid(OID_RSA_ENCRYPTION), der::null()]),
                self.pkcs1_der().expect("RSA keys have a PKCS#1 form"),
            ),
        };
        der::seq(&[algorithm, der::bit_string(&key)])
    }

    /// PKCS#1 RSAPublicKey DER (RSA only).
    pub fn pkcs1_der(&self) -> Option<Vec<u8>> {
        match self {
            PublicKeyParts::Rsa { n, e } => Some(der::seq(&[der::uint(n), der::uint(e)])),
            _ => None,
        }
    }

    /// The `authorized_keys` line (RFC 4253 §6.6, RFC 5656 §3.1, RFC 8709 §4).
    pub fn openssh(&self) -> String {
        let (name, blob) = match self {
            PublicKeyParts::Ed25519 { x } => (
                "ssh-ed25519",
                [ssh_string(b"ssh-ed25519"), ssh_string(x)].concat(),
            ),
            PublicKeyParts::Ec { curve, x, y } => {
                let (name, id): (&str, &[u8]) = match curve {
                    Curve::P256 => ("ecdsa-sha2-nistp256", b"nistp256"),
                    Curve::P384 => ("ecdsa-sha2-nistp384", b"nistp384"),
                    Curve::P521 => ("ecdsa-sha2-nistp521", b"nistp521"),
                };
                let point = [&[4u8][..], x, y].concat();
                (
                    name,
                    [
                        ssh_string(name.as_bytes()),
                        ssh_string(id),
                        ssh_string(&point),
                    ]
                    .concat(),
                )
            }
            PublicKeyParts::Rsa { n, e } => (
                "ssh-rsa",
                [ssh_string(b"ssh-rsa"), ssh_mpint(e), ssh_mpint(n)].concat(),
            ),
        };
        format!("{name} {} authprobe", STANDARD.encode(blob))
    }
}

const OID_ED25519: &[u8] = &[0x2B, 0x65, 0x70];
const OID_EC_PUBLIC_KEY: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01];
const OID_RSA_ENCRYPTION: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01];

fn curve_oid(curve: Curve) -> &'static [u8] {
    match curve {
        Curve::P256 => &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07],
        Curve::P384 => &[0x2B, 0x81, 0x04, 0x00, 0x22],
        Curve::P521 => &[0x2B, 0x81, 0x04, 0x00, 0x23],
    }
}

fn pem(label: &str, der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in body.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).expect("base64 is ASCII"));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

fn ssh_string(bytes: &[u8]) -> Vec<u8> {
    let mut out = (bytes.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(bytes);
    out
}

fn ssh_mpint(unsigned: &[u8]) -> Vec<u8> {
    let trimmed: Vec<u8> = unsigned.iter().copied().skip_while(|b| *b == 0).collect();
    let mut v = Vec::with_capacity(trimmed.len() + 1);
    if trimmed.first().is_some_and(|b| b & 0x80 != 0) {
        v.push(0);
    }
    v.extend(trimmed);
    ssh_string(&v)
}

/// Minimal DER writing: just the types a public key needs.
pub mod der {
    fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
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
    /// SEQUENCE of already-encoded elements.
    pub fn seq(items: &[Vec<u8>]) -> Vec<u8> {
        tlv(0x30, &items.concat())
    }
    /// OBJECT IDENTIFIER from its encoded content bytes.
    pub fn oid(content: &[u8]) -> Vec<u8> {
        tlv(0x06, content)
    }
    pub fn null() -> Vec<u8> {
        vec![0x05, 0x00]
    }
    /// BIT STRING with no unused bits.
    pub fn bit_string(bytes: &[u8]) -> Vec<u8> {
        tlv(0x03, &[&[0u8][..], bytes].concat())
    }
    /// A non-negative INTEGER from big-endian magnitude bytes.
    pub fn uint(magnitude: &[u8]) -> Vec<u8> {
        let trimmed: Vec<u8> = magnitude.iter().copied().skip_while(|b| *b == 0).collect();
        let mut content = Vec::with_capacity(trimmed.len() + 1);
        if trimmed.first().is_none_or(|b| b & 0x80 != 0) {
            content.push(0);
        }
        content.extend(trimmed);
        tlv(0x02, &content)
    }
    /// INTEGER as-is (two's complement content given by the caller).
    pub fn int_raw(content: &[u8]) -> Vec<u8> {
        tlv(0x02, content)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sign::SigningKey;

    #[test]
    fn spki_der_of_generated_keys_is_what_aws_lc_parses() {
        use aws_lc_rs::signature::{ParsedPublicKey, ECDSA_P256_SHA256_ASN1, ED25519};
        let ed = SigningKey::generate(KeyFamily::Ed25519).unwrap();
        let parts = PublicKeyParts::from_jwk(&ed.public_jwk(None, None)).unwrap();
        // aws-lc-rs accepts SPKI DER for Ed25519 and EC public keys.
        assert!(ParsedPublicKey::new(&ED25519, parts.spki_der()).is_ok());
        let ec = SigningKey::generate(KeyFamily::Ec(Curve::P256)).unwrap();
        let parts = PublicKeyParts::from_jwk(&ec.public_jwk(None, None)).unwrap();
        assert!(ParsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, parts.spki_der()).is_ok());
        assert!(parts
            .openssh()
            .starts_with("ecdsa-sha2-nistp256 AAAAE2VjZHNh"));
    }

    #[test]
    fn rsa_forms_parse_and_pem_variants_differ_only_in_whitespace() {
        let rsa = SigningKey::generate(KeyFamily::Rsa).unwrap();
        let jwk = rsa.public_jwk(None, None);
        let parts = PublicKeyParts::from_jwk(&jwk).unwrap();
        assert!(aws_lc_rs::rsa::PublicKey::from_der(&parts.spki_der()).is_ok());
        assert!(aws_lc_rs::rsa::PublicKey::from_der(&parts.pkcs1_der().unwrap()).is_ok());
        let all = parts.all_encodings(&jwk);
        assert_eq!(all.len(), 12);
        let strip =
            |b: &[u8]| -> String { String::from_utf8_lossy(b).split_whitespace().collect() };
        let canonical = strip(&parts.encode(Encoding::SpkiPem, &jwk).unwrap());
        for (e, bytes) in &all {
            if e.is_pem_variant() && *e != Encoding::SpkiBase64Body {
                assert_eq!(strip(bytes), canonical, "{e:?}");
            }
        }
        assert!(parts.openssh().starts_with("ssh-rsa AAAAB3NzaC1yc2E"));
    }
}
