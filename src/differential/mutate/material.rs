//! What drafts are built from and rendered with: the base token, the issuer's and the
//! attacker's keys, the out-of-band base URL, the credential's [`Shape`], the front-end origin and
//! the catalogue tokens as seeds ([`Material`]); and what a rendering produces ([`Rendered`]).

use super::edit::{Edit, OriginOp, FOREIGN_ORIGINS};
use crate::algorithm::Algorithm;
use crate::dangerous::forge::encodings::PublicKeyParts;
use crate::dangerous::forge::{AttackerKeys, ForgeInput};
use crate::jwk::KeySet;
use crate::sign::SigningKey;
use crate::token::Token;
use base64::Engine as _;
use serde_json::{Map, Value};

/// How the target expects the credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shape {
    /// `Authorization: Bearer <token>`: RFC 6750 parsing applies before the token check.
    Bearer,
    /// Another header (or scheme): the value is `<scheme> <token>` or just the token.
    Header { scheme: String },
    /// Cookie, query parameter or JSON body: the token alone.
    Raw,
}

/// A rendered draft: the bytes sent.
#[derive(Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The token text.
    pub token: String,
    /// The credential values as the target receives them: `Authorization` header values for
    /// header placements, the token alone otherwise.
    pub values: Vec<String>,
    /// Out-of-band paths the token names (a request for one means the target fetched it).
    pub oob_paths: Vec<String>,
    /// Whether the signature is randomized (ECDSA, PSS): re-rendering gives other bytes.
    pub randomized: bool,
    /// The `Origin` header sent, if any.
    pub origin: Option<String>,
    /// A CORS preflight: `OPTIONS` without a credential (`token` and `values` are empty).
    pub preflight: bool,
}

impl Rendered {
    /// The credential values as bytes (what the reference's RFC 6750 parsing reads).
    pub fn value_bytes(&self) -> Vec<&[u8]> {
        self.values.iter().map(|v| v.as_bytes()).collect()
    }
}

impl std::fmt::Debug for Rendered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A credential: keep it out of debug output.
        f.debug_struct("Rendered")
            .field("token_len", &self.token.len())
            .field("values", &self.values.len())
            .field("oob_paths", &self.oob_paths)
            .field("origin", &self.origin)
            .field("preflight", &self.preflight)
            .finish()
    }
}

/// A catalogue token turned into edits.
#[derive(Debug, Clone)]
pub struct Seed {
    pub id: String,
    pub edits: Vec<Edit>,
}

/// What drafts are built from and rendered with.
pub struct MaterialInput<'a> {
    /// A valid token, as issued.
    pub base: &'a Token,
    /// The target's published keys (JWKS `keys` entries).
    pub published: &'a [Map<String, Value>],
    /// The same, imported (used to recognise issuer signatures in catalogue tokens).
    pub keys: &'a KeySet,
    pub issuer_key: Option<SigningKey>,
    pub attacker: AttackerKeys,
    /// The run's out-of-band listener ([`crate::deployment::oob::OobServer`]): catalogue tokens
    /// name their own paths on it, generated ones [`crate::deployment::oob::nonce_path`]s.
    pub oob_base: String,
    pub shape: Shape,
    /// Seed the generator with the attack catalogue's tokens.
    pub catalogue: bool,
    /// The time catalogue tokens are forged at.
    pub now: i64,
    /// The origin the target's CORS allows (the front end's), if known: the generator sends it
    /// and look-alikes of it as `Origin`.
    pub frontend_origin: Option<&'a str>,
}

/// The base token, the keys, and the catalogue seeds.
pub struct Material {
    pub(super) base: Token,
    pub(super) base_header: String,
    pub(super) base_payload: String,
    pub(super) base_alg: Algorithm,
    pub(super) base_kid: String,
    pub(super) base_claims: Map<String, Value>,
    pub(super) issuer: String,
    pub(super) audience: String,
    pub(super) subject: String,
    pub(super) issuer_key: Option<SigningKey>,
    pub(super) attacker: AttackerKeys,
    pub(super) issuer_jwk: Option<Map<String, Value>>,
    pub(super) issuer_parts: Option<PublicKeyParts>,
    pub(super) attacker_cert_b64: Option<String>,
    pub(super) oob_base: String,
    pub(super) shape: Shape,
    pub(super) seeds: Vec<Seed>,
    pub(super) frontend_origin: Option<String>,
}

impl Material {
    pub fn new(input: MaterialInput<'_>) -> Material {
        let base = input.base.clone();
        let base_claims = base.unverified_claims(16).unwrap_or_default();
        let base_alg = base
            .alg()
            .and_then(Algorithm::from_name)
            .unwrap_or(Algorithm::EdDSA);
        let base_kid = base.kid().unwrap_or("authprobe-kid").to_owned();
        let issuer_jwk = input
            .published
            .iter()
            .find(|k| k.get("kid").and_then(Value::as_str) == base.kid())
            .or_else(|| input.published.first())
            .cloned();
        let issuer_parts = issuer_jwk.as_ref().and_then(PublicKeyParts::from_jwk);
        let attacker_cert_b64 = input
            .attacker
            .cert
            .as_ref()
            .map(|c| base64::engine::general_purpose::STANDARD.encode(&c.der));
        let string_claim = |name: &str| {
            match base_claims.get(name) {
                Some(Value::String(s)) => Some(s.clone()),
                Some(Value::Array(a)) => a.first().and_then(Value::as_str).map(str::to_owned),
                _ => None,
            }
            .unwrap_or_else(|| "authprobe".into())
        };
        let mut m = Material {
            base_header: String::from_utf8_lossy(base.header_json()).into_owned(),
            base_payload: String::from_utf8_lossy(base.payload()).into_owned(),
            base_alg,
            base_kid,
            issuer: string_claim("iss"),
            audience: string_claim("aud"),
            subject: string_claim("sub"),
            base_claims,
            issuer_key: input.issuer_key,
            attacker: input.attacker,
            issuer_jwk,
            issuer_parts,
            attacker_cert_b64,
            oob_base: input.oob_base,
            shape: input.shape,
            seeds: Vec::new(),
            frontend_origin: input.frontend_origin.map(str::to_owned),
            base,
        };
        if input.catalogue {
            let forge_input = ForgeInput {
                base: &m.base,
                target_keys: input.published,
                issuer_key: m.issuer_key.as_ref(),
                attacker: &m.attacker,
                oob_base: &m.oob_base,
                now: input.now,
            };
            let forged = crate::dangerous::forge::forge_all(&forge_input);
            let seeds: Vec<Seed> = forged
                .iter()
                .filter_map(|f| m.seed_from_forged(f, input.keys))
                .collect();
            m.seeds = seeds;
        }
        m
    }

    pub fn base(&self) -> &Token {
        &self.base
    }
    pub fn base_alg(&self) -> Algorithm {
        self.base_alg
    }
    pub fn seeds(&self) -> &[Seed] {
        &self.seeds
    }
    pub fn issuer_key(&self) -> Option<&SigningKey> {
        self.issuer_key.as_ref()
    }
    pub fn shape(&self) -> &Shape {
        &self.shape
    }
    pub fn frontend_origin(&self) -> Option<&str> {
        self.frontend_origin.as_deref()
    }

    /// The `Origin` value of an [`OriginOp`]. Look-alikes of an unknown or unparsable front-end
    /// origin fall back to a foreign one.
    pub fn origin_value(&self, op: &OriginOp) -> String {
        let front = self.frontend_origin.as_deref();
        let parts = front.and_then(|f| url::Url::parse(f).ok()).and_then(|u| {
            let host = u.host_str()?.to_owned();
            Some((
                u.scheme().to_owned(),
                host,
                u.port(),
                u.port_or_known_default(),
            ))
        });
        let origin = |scheme: &str, host: &str, port: Option<u16>| match port {
            Some(p) => format!("{scheme}://{host}:{p}"),
            None => format!("{scheme}://{host}"),
        };
        let foreign = || FOREIGN_ORIGINS[0].to_owned();
        match op {
            OriginOp::Frontend => front.map_or_else(foreign, str::to_owned),
            OriginOp::Null => "null".into(),
            OriginOp::Foreign(o) => (*o).to_owned(),
            OriginOp::OtherPort => parts.map_or_else(foreign, |(scheme, host, _, known)| {
                let p = known.unwrap_or(80);
                origin(
                    &scheme,
                    &host,
                    Some(if p == u16::MAX { p - 1 } else { p + 1 }),
                )
            }),
            OriginOp::OtherScheme => parts.map_or_else(foreign, |(scheme, host, port, _)| {
                let other = if scheme == "https" { "http" } else { "https" };
                origin(other, &host, port)
            }),
            OriginOp::HostSuffix => parts.map_or_else(foreign, |(scheme, host, port, _)| {
                origin(&scheme, &format!("{host}.evil.example"), port)
            }),
        }
    }
}
