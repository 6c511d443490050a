//! Structure-aware mutation of a real token.
//!
//! A generated token is a [`Draft`]: the base token plus a list of [`Edit`]s, each a small,
//! revertible change (one JSON member of the header or the claims, one encoding quirk, one
//! signature change, the choice of who signs, how the credential is delivered). Drafts are
//! rendered into bytes only when they are sent ([`Material::render`]), so times stay relative to
//! "now" and shrinking can drop edits one at a time. [`Generator::draft`] is a pure function of
//! the run seed and the draft's index: the same seed and base give the same sequence.
//!
//! Some drafts also vary the request envelope: an `Origin` header ([`OriginOp`]: the front end's,
//! look-alikes of it, foreign ones, `null`) or a CORS preflight instead of the request itself
//! ([`Edit::Preflight`]), so the CORS answers are judged too. Those edits are drawn from a stream
//! of their own, so the token edits of a seed stay what they were without them.

use super::rng::Rng;
use crate::algorithm::Algorithm;
use crate::base64url;
use crate::dangerous::forge::encodings::{Encoding, PublicKeyParts};
use crate::dangerous::forge::raw_json::RawObject;
use crate::dangerous::forge::{AttackerKeys, Delivery, ForgeInput, Forged};
use crate::jwk::{Key, KeySet};
use crate::sign::SigningKey;
use crate::token::Token;
use base64::Engine as _;
use serde_json::{Map, Value};
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::sync::Arc;

/// A segment of a compact JWS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Part {
    Header,
    Payload,
    Signature,
}

impl Part {
    pub fn name(self) -> &'static str {
        match self {
            Part::Header => "header",
            Part::Payload => "payload",
            Part::Signature => "signature",
        }
    }
}

/// A JSON value to put in a member, resolved when the draft is rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Json {
    /// This exact JSON text (possibly invalid JSON: that is sometimes the point).
    Raw(String),
    /// The integer now + offset seconds.
    Rel(i64),
    /// now + offset with this decimal fraction appended (e.g. `.5`).
    RelFrac(i64, &'static str),
    /// now + offset as a JSON string.
    RelString(i64),
    /// now + offset in exponent notation (`1.795690624e9`).
    RelExp(i64),
    /// The public JWK of the key that signs this token.
    SignerJwk,
    /// A fresh URL on the harness's out-of-band listener ending in this name.
    Oob(&'static str),
    /// `["<the attacker's certificate, base64 DER>"]` (an `x5c` value).
    AttackerCertChain,
}

impl Json {
    fn describe(&self) -> String {
        let rel = |o: i64| {
            if o >= 0 {
                format!("now+{o}")
            } else {
                format!("now−{}", -o)
            }
        };
        match self {
            Json::Raw(t) => shorten(t, 80),
            Json::Rel(o) => rel(*o),
            Json::RelFrac(o, f) => format!("{}{f}", rel(*o)),
            Json::RelString(o) => format!("\"{}\" (a string)", rel(*o)),
            Json::RelExp(o) => format!("{} in exponent notation", rel(*o)),
            Json::SignerJwk => "the signing key's public JWK".into(),
            Json::Oob(name) => format!("a harness URL …/{name}"),
            Json::AttackerCertChain => "the attacker's certificate chain".into(),
        }
    }
}

/// What happens to one member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberOp {
    /// Replace every member of that name (or append one).
    Set(Json),
    /// Remove every member of that name.
    Remove,
    /// Append a second member of that name (a duplicate, last position).
    Duplicate(Json),
    /// Insert a member of that name before all others (a duplicate in first position if the
    /// name exists).
    Prepend(Json),
}

/// Whole-text changes of the header or payload JSON, applied to its current text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsonOp {
    Replace(String),
    LeadingWhitespace,
    TrailingWhitespace,
    ByteOrderMark,
    Truncate,
    ExtraBrace,
    Respace,
    EscapedSlashes,
    EscapedNames,
}

impl JsonOp {
    fn name(&self) -> &'static str {
        match self {
            JsonOp::Replace(_) => "replaced",
            JsonOp::LeadingWhitespace => "leading-whitespace",
            JsonOp::TrailingWhitespace => "trailing-whitespace",
            JsonOp::ByteOrderMark => "bom",
            JsonOp::Truncate => "truncated",
            JsonOp::ExtraBrace => "extra-brace",
            JsonOp::Respace => "respaced",
            JsonOp::EscapedSlashes => "escaped-slashes",
            JsonOp::EscapedNames => "escaped-names",
        }
    }
}

/// Who signs the token (the last `Sign` edit wins).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signer {
    /// The real issuer key (white-box, or the mock).
    Issuer,
    /// The harness's attacker key for the header's algorithm.
    Attacker,
    /// HMAC keyed with the issuer's public key in this encoding (key confusion).
    HmacPublicKey(Encoding),
    /// HMAC keyed with the empty string.
    HmacEmpty,
    /// HMAC keyed with the attacker's secret.
    HmacAttacker,
    /// HMAC keyed with the header's kid text.
    HmacKid,
    /// An empty signature.
    Unsigned,
}

impl Signer {
    fn name(self) -> &'static str {
        match self {
            Signer::Issuer => "issuer",
            Signer::Attacker => "attacker",
            Signer::HmacPublicKey(_) => "hmac-public-key",
            Signer::HmacEmpty => "hmac-empty-key",
            Signer::HmacAttacker => "hmac-attacker",
            Signer::HmacKid => "hmac-kid",
            Signer::Unsigned => "unsigned",
        }
    }
}

/// Changes to the signature bytes, after signing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SigEdit {
    BitFlip {
        byte: u32,
        bit: u8,
    },
    Truncate(u32),
    Extend(Vec<u8>),
    Zero,
    Empty,
    /// Raw r‖s re-encoded as an ASN.1 DER ECDSA signature.
    Der,
    /// Ed25519 S + L (a non-canonical, malleable signature).
    AddOrder,
    Random(u64),
    Doubled,
}

impl SigEdit {
    fn name(&self) -> &'static str {
        match self {
            SigEdit::BitFlip { .. } => "bit-flip",
            SigEdit::Truncate(_) => "truncated",
            SigEdit::Extend(_) => "extended",
            SigEdit::Zero => "zeroed",
            SigEdit::Empty => "empty",
            SigEdit::Der => "der",
            SigEdit::AddOrder => "s-plus-l",
            SigEdit::Random(_) => "random",
            SigEdit::Doubled => "doubled",
        }
    }
}

/// Base64url-level changes to one segment's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EncOp {
    Pad(u8),
    StdAlphabet,
    TrailingBits,
    Insert { pos: u32, ch: char },
    DropLast,
    Empty,
    FlipCase { pos: u32 },
}

impl EncOp {
    fn name(&self) -> &'static str {
        match self {
            EncOp::Pad(_) => "padding",
            EncOp::StdAlphabet => "std-alphabet",
            EncOp::TrailingBits => "trailing-bits",
            EncOp::Insert { .. } => "inserted-char",
            EncOp::DropLast => "dropped-char",
            EncOp::Empty => "empty-segment",
            EncOp::FlipCase { .. } => "flipped-case",
        }
    }
}

/// Changes to the compact serialization as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StructOp {
    AppendDot,
    AppendSegment,
    DropSignature,
    LeadingDot,
    SwapHeaderPayload,
    Prefix(&'static str),
    Suffix(&'static str),
    Twice,
}

impl StructOp {
    fn name(&self) -> &'static str {
        match self {
            StructOp::AppendDot => "extra-dot",
            StructOp::AppendSegment => "extra-segment",
            StructOp::DropSignature => "two-segments",
            StructOp::LeadingDot => "leading-dot",
            StructOp::SwapHeaderPayload => "swapped-segments",
            StructOp::Prefix(_) => "prefix",
            StructOp::Suffix(_) => "suffix",
            StructOp::Twice => "doubled-token",
        }
    }
}

/// How the credential is put into `Authorization` (bearer placement only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryOp {
    LowerScheme,
    UpperScheme,
    DoubleSpace,
    Tab,
    NoScheme,
    BasicScheme,
    Twice,
    WithBase,
    TrailingComma,
    /// Literal header values; [`TOKEN_MARK`] stands for the token.
    Values(Vec<String>),
}

impl DeliveryOp {
    fn name(&self) -> &'static str {
        match self {
            DeliveryOp::LowerScheme => "lowercase-scheme",
            DeliveryOp::UpperScheme => "uppercase-scheme",
            DeliveryOp::DoubleSpace => "double-space",
            DeliveryOp::Tab => "tab",
            DeliveryOp::NoScheme => "no-scheme",
            DeliveryOp::BasicScheme => "basic-scheme",
            DeliveryOp::Twice => "two-headers",
            DeliveryOp::WithBase => "two-headers-with-valid",
            DeliveryOp::TrailingComma => "trailing-comma",
            DeliveryOp::Values(_) => "literal-headers",
        }
    }
}

/// The `Origin` request header of a draft (CORS).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OriginOp {
    /// The target's front-end origin (the one its CORS allows).
    Frontend,
    /// `null` (sandboxed frames, `file:` pages, some redirects).
    Null,
    /// An unrelated origin.
    Foreign(&'static str),
    /// The front-end origin with another port.
    OtherPort,
    /// The front-end origin with the other scheme (http ↔ https).
    OtherScheme,
    /// The front-end host with a suffix (`http://127.0.0.1.evil.example:5173`).
    HostSuffix,
}

impl OriginOp {
    fn name(&self) -> &'static str {
        match self {
            OriginOp::Frontend => "frontend",
            OriginOp::Null => "null",
            OriginOp::Foreign(_) => "foreign",
            OriginOp::OtherPort => "other-port",
            OriginOp::OtherScheme => "other-scheme",
            OriginOp::HostSuffix => "host-suffix",
        }
    }
}

/// Salt of the envelope's random stream (kept apart from the token edits' stream).
const ENVELOPE_STREAM: u64 = 0x0E1F_C0A5_0B16_1A55;

/// Foreign origins the generator sends.
const FOREIGN_ORIGINS: [&str; 3] = [
    "http://evil.example",
    "https://evil.example",
    "https://attacker.test:8443",
];

/// Stands for the rendered token inside [`DeliveryOp::Values`].
pub const TOKEN_MARK: &str = "{{authprobe:token}}";
/// Stands for the signer's JWK while a header is being edited.
const SIGNER_JWK_MARK: &str = "\"authprobe:signer-jwk\"";

/// One revertible change to the base token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    Member {
        part: Part,
        name: String,
        op: MemberOp,
    },
    Json {
        part: Part,
        op: JsonOp,
    },
    /// A literal encoded segment (for catalogue tokens whose segment is not base64url JSON).
    Segment {
        part: Part,
        text: String,
    },
    Sign(Signer),
    Sig(SigEdit),
    /// A literal signature segment.
    SigText(String),
    Encoding {
        part: Part,
        op: EncOp,
    },
    Structure(StructOp),
    Delivery(DeliveryOp),
    /// A whole token that is not a three-segment JWS (atomic).
    Literal(String),
    /// Send this `Origin` header (the request envelope; the token is untouched).
    Origin(OriginOp),
    /// Send a CORS preflight (`OPTIONS`, `Access-Control-Request-Method: GET`,
    /// `Access-Control-Request-Headers` naming the credential's header) instead of the request:
    /// no credential, the token edits do not apply.
    Preflight,
}

const HEADER_NAMES: [&str; 17] = [
    "alg", "kid", "typ", "cty", "crit", "jku", "jwk", "x5u", "x5c", "x5t", "x5t#S256", "b64",
    "zip", "enc", "epk", "apu", "apv",
];
const CLAIM_NAMES: [&str; 10] = [
    "exp", "nbf", "iat", "iss", "aud", "sub", "scope", "jti", "azp", "email",
];

fn known_name(part: Part, name: &str) -> &str {
    let list: &[&str] = match part {
        Part::Header => &HEADER_NAMES,
        _ => &CLAIM_NAMES,
    };
    if list.contains(&name) {
        name
    } else {
        "other"
    }
}

impl Edit {
    /// The operator kind, as used in a finding's cause ("claim:exp", "sign:issuer", …).
    pub fn kind(&self) -> String {
        match self {
            Edit::Member { part, name, op } => {
                let prefix = match part {
                    Part::Header => "header",
                    _ => "claim",
                };
                let verb = match op {
                    MemberOp::Set(_) => "",
                    MemberOp::Remove => "-remove",
                    MemberOp::Duplicate(_) => "-dup",
                    MemberOp::Prepend(_) => "-first",
                };
                format!("{prefix}{verb}:{}", known_name(*part, name))
            }
            Edit::Json { part, op } => format!("{}-json:{}", part.name(), op.name()),
            Edit::Segment { part, .. } => format!("segment:{}", part.name()),
            Edit::Sign(s) => format!("sign:{}", s.name()),
            Edit::Sig(e) => format!("sig:{}", e.name()),
            Edit::SigText(_) => "sig:literal".into(),
            Edit::Encoding { op, .. } => format!("enc:{}", op.name()),
            Edit::Structure(op) => format!("structure:{}", op.name()),
            Edit::Delivery(op) => format!("delivery:{}", op.name()),
            Edit::Literal(_) => "literal".into(),
            Edit::Origin(op) => format!("origin:{}", op.name()),
            Edit::Preflight => "method:preflight".into(),
        }
    }

    /// In words, for reports (never the token itself).
    pub fn describe(&self) -> String {
        match self {
            Edit::Member { part, name, op } => {
                let what = match part {
                    Part::Header => "header",
                    _ => "claim",
                };
                match op {
                    MemberOp::Set(v) => format!("{what} {name:?} = {}", v.describe()),
                    MemberOp::Remove => format!("{what} {name:?} removed"),
                    MemberOp::Duplicate(v) => {
                        format!("{what} {name:?} duplicated (last: {})", v.describe())
                    }
                    MemberOp::Prepend(v) => {
                        format!("{what} {name:?} inserted first: {}", v.describe())
                    }
                }
            }
            Edit::Json { part, op } => match op {
                JsonOp::Replace(t) => {
                    format!("{} JSON replaced by {}", part.name(), shorten(t, 120))
                }
                other => format!("{} JSON {}", part.name(), other.name()),
            },
            Edit::Segment { part, text } => {
                format!(
                    "{} segment replaced ({} characters)",
                    part.name(),
                    text.len()
                )
            }
            Edit::Sign(s) => match s {
                Signer::Issuer => "re-signed with the issuer key".into(),
                Signer::Attacker => "signed with the harness's attacker key".into(),
                Signer::HmacPublicKey(e) => {
                    format!("HMAC-signed with the issuer's public key ({})", e.label())
                }
                Signer::HmacEmpty => "HMAC-signed with an empty key".into(),
                Signer::HmacAttacker => "HMAC-signed with the attacker's secret".into(),
                Signer::HmacKid => "HMAC-signed with the kid text as key".into(),
                Signer::Unsigned => "signature removed".into(),
            },
            Edit::Sig(e) => match e {
                SigEdit::BitFlip { byte, bit } => {
                    format!("signature: bit {bit} of byte {byte} flipped")
                }
                SigEdit::Truncate(n) => format!("signature: last {n} bytes dropped"),
                SigEdit::Extend(b) => format!("signature: {} bytes appended", b.len()),
                other => format!("signature: {}", other.name()),
            },
            Edit::SigText(t) => format!("signature segment replaced ({} characters)", t.len()),
            Edit::Encoding { part, op } => match op {
                EncOp::Pad(n) => format!("{} segment: {n} '=' appended", part.name()),
                EncOp::Insert { ch, .. } => {
                    format!("{} segment: {:?} inserted", part.name(), ch)
                }
                other => format!("{} segment: {}", part.name(), other.name()),
            },
            Edit::Structure(op) => match op {
                StructOp::Prefix(p) => format!("token prefixed with {p:?}"),
                StructOp::Suffix(s) => format!("token suffixed with {s:?}"),
                other => format!("token structure: {}", other.name()),
            },
            Edit::Delivery(op) => format!("Authorization: {}", op.name()),
            Edit::Literal(t) => format!("a literal non-JWS token ({} characters)", t.len()),
            Edit::Origin(op) => match op {
                OriginOp::Frontend => "Origin: the front-end origin".into(),
                OriginOp::Null => "Origin: null".into(),
                OriginOp::Foreign(o) => format!("Origin: {o}"),
                OriginOp::OtherPort => "Origin: the front-end origin with another port".into(),
                OriginOp::OtherScheme => {
                    "Origin: the front-end origin with the other scheme".into()
                }
                OriginOp::HostSuffix => "Origin: the front-end host with a suffix".into(),
            },
            Edit::Preflight => "a CORS preflight (OPTIONS) instead of the request".into(),
        }
    }

    /// True if the edit changes the signed bytes (header or payload).
    fn changes_signed_content(&self) -> bool {
        matches!(
            self,
            Edit::Member { .. }
                | Edit::Json { .. }
                | Edit::Segment {
                    part: Part::Header | Part::Payload,
                    ..
                }
                | Edit::Encoding {
                    part: Part::Header | Part::Payload,
                    ..
                }
        )
    }
}

/// A token to generate: the base token and the edits to apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub index: u64,
    /// The catalogue case the draft started from, if any.
    pub origin: Option<String>,
    pub edits: Vec<Edit>,
}

impl Draft {
    /// The operator kinds present.
    pub fn kinds(&self) -> BTreeSet<String> {
        self.edits.iter().map(Edit::kind).collect()
    }

    /// The edits in words.
    pub fn describe(&self) -> Vec<String> {
        self.edits.iter().map(Edit::describe).collect()
    }

    /// The same draft without edit `i`.
    pub fn without(&self, i: usize) -> Draft {
        let mut d = self.clone();
        d.edits.remove(i);
        d
    }
}

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
    pub oob_base: String,
    /// The listener catalogue tokens name (the run's [`crate::deployment::oob::OobServer`]).
    pub catalogue_oob_base: String,
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
    base: Token,
    base_header: String,
    base_payload: String,
    base_alg: Algorithm,
    base_kid: String,
    base_claims: Map<String, Value>,
    issuer: String,
    audience: String,
    subject: String,
    issuer_key: Option<SigningKey>,
    attacker: AttackerKeys,
    issuer_jwk: Option<Map<String, Value>>,
    issuer_parts: Option<PublicKeyParts>,
    attacker_cert_b64: Option<String>,
    oob_base: String,
    shape: Shape,
    seeds: Vec<Seed>,
    frontend_origin: Option<String>,
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
                oob_base: &input.catalogue_oob_base,
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

    /// Turns a forged catalogue token into edits of the base, member by member where the
    /// catalogue changed JSON members, so shrinking can revert them one at a time.
    fn seed_from_forged(&self, f: &Forged, keys: &KeySet) -> Option<Seed> {
        if f.token.len() > 32 * 1024 {
            return None;
        }
        let values = match &f.delivery {
            Delivery::Bearer => None,
            Delivery::AuthorizationHeaders { values } => {
                if self.shape != Shape::Bearer {
                    return None;
                }
                Some(
                    values
                        .iter()
                        .map(|v| {
                            if f.token.is_empty() {
                                v.clone()
                            } else {
                                v.replace(&f.token, TOKEN_MARK)
                            }
                        })
                        .collect::<Vec<_>>(),
                )
            }
        };
        let mut edits = Vec::new();
        let parts: Vec<&str> = f.token.split('.').collect();
        if parts.len() != 3 {
            edits.push(Edit::Literal(f.token.clone()));
        } else {
            let signer = self.identify_signer(parts[0], parts[1], parts[2], keys);
            let mut content_changed = false;
            for (part, seg, base_seg, base_json) in [
                (
                    Part::Header,
                    parts[0],
                    self.base.header_b64(),
                    &self.base_header,
                ),
                (
                    Part::Payload,
                    parts[1],
                    self.base.payload_b64(),
                    &self.base_payload,
                ),
            ] {
                if seg == base_seg {
                    continue;
                }
                content_changed = true;
                let text = base64url::decode(seg.as_bytes())
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok());
                match text {
                    Some(text) => match diff_members(part, base_json, &text) {
                        Some(member_edits)
                            if signer.is_some()
                                || apply_members(base_json, &member_edits).as_deref()
                                    == Some(text.as_str()) =>
                        {
                            edits.extend(member_edits)
                        }
                        _ => edits.push(Edit::Json {
                            part,
                            op: JsonOp::Replace(text),
                        }),
                    },
                    None => edits.push(Edit::Segment {
                        part,
                        text: seg.to_owned(),
                    }),
                }
            }
            match signer {
                Some(s) if content_changed || parts[2] != self.base.signature_b64() => {
                    edits.push(Edit::Sign(s))
                }
                _ if parts[2] != self.base.signature_b64() => {
                    edits.push(Edit::SigText(parts[2].to_owned()))
                }
                _ => {}
            }
        }
        if let Some(values) = values {
            edits.push(Edit::Delivery(DeliveryOp::Values(values)));
        }
        if edits.is_empty() {
            return None;
        }
        Some(Seed {
            id: format!("{} {}", f.id, f.slug),
            edits,
        })
    }

    /// Which of the harness's signers produced this signature, if any.
    fn identify_signer(&self, h: &str, p: &str, s: &str, keys: &KeySet) -> Option<Signer> {
        if s.is_empty() {
            return Some(Signer::Unsigned);
        }
        let sig = base64url::decode(s.as_bytes()).ok()?;
        let header_json = base64url::decode(h.as_bytes()).ok()?;
        let header: Value = serde_json::from_slice(&header_json).ok()?;
        let alg = Algorithm::from_name(header.get("alg")?.as_str()?)?;
        let input = format!("{h}.{p}");
        let input = input.as_bytes();
        if alg.is_symmetric() {
            let hmac = |secret: &[u8]| {
                SigningKey::hmac(secret)
                    .sign(alg, input)
                    .is_ok_and(|mac| mac == sig)
            };
            if let SigningKey::Hmac(secret) = &self.attacker.hmac {
                if hmac(secret) {
                    return Some(Signer::HmacAttacker);
                }
            }
            if hmac(b"") {
                return Some(Signer::HmacEmpty);
            }
            if let Some(kid) = header.get("kid").and_then(Value::as_str) {
                if hmac(kid.as_bytes()) {
                    return Some(Signer::HmacKid);
                }
            }
            let (parts, jwk) = (self.issuer_parts.as_ref()?, self.issuer_jwk.as_ref()?);
            return parts
                .all_encodings(jwk)
                .into_iter()
                .find(|(_, secret)| hmac(secret))
                .map(|(e, _)| Signer::HmacPublicKey(e));
        }
        if self.issuer_key.is_some()
            && keys
                .keys()
                .iter()
                .any(|k| k.family() == alg.key_family() && k.verify(alg, input, &sig))
        {
            return Some(Signer::Issuer);
        }
        let attacker = Key::from_public_jwk(&self.attacker.for_alg(alg).public_jwk(None, None));
        if attacker.is_ok_and(|k| k.verify(alg, input, &sig)) {
            return Some(Signer::Attacker);
        }
        None
    }

    /// Renders a draft at `now`. `nonce` makes out-of-band URLs unique to this rendering.
    pub fn render(&self, draft: &Draft, now: i64, nonce: u64) -> Rendered {
        let origin = draft.edits.iter().rev().find_map(|e| match e {
            Edit::Origin(op) => Some(self.origin_value(op)),
            _ => None,
        });
        if draft.edits.contains(&Edit::Preflight) {
            return Rendered {
                token: String::new(),
                values: Vec::new(),
                oob_paths: Vec::new(),
                randomized: false,
                origin,
                preflight: true,
            };
        }
        let mut oob_paths = Vec::new();
        let mut randomized = false;
        let literal = draft.edits.iter().rev().find_map(|e| match e {
            Edit::Literal(t) => Some(t.clone()),
            _ => None,
        });
        let mut token = match literal {
            Some(t) => t,
            None => self.render_jws(draft, now, nonce, &mut oob_paths, &mut randomized),
        };
        for e in &draft.edits {
            if let Edit::Structure(op) = e {
                token = structure(op, &token);
            }
        }
        let values = self.deliver(draft, &token);
        Rendered {
            token,
            values,
            oob_paths,
            randomized,
            origin,
            preflight: false,
        }
    }

    fn render_jws(
        &self,
        draft: &Draft,
        now: i64,
        nonce: u64,
        oob_paths: &mut Vec<String>,
        randomized: &mut bool,
    ) -> String {
        let mut header = self.base_header.clone();
        let mut payload = self.base_payload.clone();
        let mut resolve = |v: &Json| -> String {
            match v {
                Json::Raw(t) => t.clone(),
                Json::Rel(o) => (now + o).to_string(),
                Json::RelFrac(o, f) => format!("{}{f}", now + o),
                Json::RelString(o) => format!("\"{}\"", now + o),
                Json::RelExp(o) => exponent(now + o),
                Json::SignerJwk => SIGNER_JWK_MARK.to_owned(),
                Json::AttackerCertChain => match &self.attacker_cert_b64 {
                    Some(c) => format!("[{}]", q(c)),
                    None => "[]".into(),
                },
                Json::Oob(name) => {
                    let path = format!("/oob/fz/{nonce}/");
                    let url = format!("{}{path}{name}", self.oob_base.trim_end_matches('/'));
                    oob_paths.push(path);
                    serde_json::to_string(&url).unwrap_or_default()
                }
            }
        };
        for e in &draft.edits {
            let text = match e {
                Edit::Member { part, .. } | Edit::Json { part, .. } => match part {
                    Part::Header => &mut header,
                    _ => &mut payload,
                },
                _ => continue,
            };
            match e {
                Edit::Member { name, op, .. } => {
                    let Ok(mut obj) = RawObject::new(text.clone()) else {
                        continue;
                    };
                    match op {
                        MemberOp::Set(v) => {
                            obj.set(name, &resolve(v));
                        }
                        MemberOp::Remove => {
                            obj.remove(name);
                        }
                        MemberOp::Duplicate(v) => {
                            obj.append(name, &resolve(v));
                        }
                        MemberOp::Prepend(v) => {
                            obj.prepend(name, &resolve(v));
                        }
                    }
                    *text = obj.into_string();
                }
                Edit::Json { op, .. } => *text = json_op(op, text),
                _ => {}
            }
        }

        // Who signs, under which algorithm (read from the header as edited).
        let header_value: Option<Value> = serde_json::from_str(&header).ok();
        let header_str = |name: &str| {
            header_value
                .as_ref()
                .and_then(|h| h.get(name))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let header_alg = header_str("alg").and_then(|a| Algorithm::from_name(&a));
        let signer = draft.edits.iter().rev().find_map(|e| match e {
            Edit::Sign(s) => Some(*s),
            _ => None,
        });
        let key = signer.and_then(|s| self.signing_key(s, header_alg, header_str("kid")));
        if header.contains(SIGNER_JWK_MARK) {
            let jwk = match &key {
                Some((k, _)) => public_jwk_text(k.get()),
                None => public_jwk_text(&self.attacker.ed25519),
            };
            header = header.replace(SIGNER_JWK_MARK, &jwk);
        }

        let mut h = if header == self.base_header {
            self.base.header_b64().to_owned()
        } else {
            base64url::encode(header.as_bytes())
        };
        let mut p = if payload == self.base_payload {
            self.base.payload_b64().to_owned()
        } else {
            base64url::encode(payload.as_bytes())
        };
        for e in &draft.edits {
            match e {
                Edit::Segment {
                    part: Part::Header,
                    text,
                } => h = text.clone(),
                Edit::Segment {
                    part: Part::Payload,
                    text,
                } => p = text.clone(),
                Edit::Encoding {
                    part: Part::Header,
                    op,
                } => h = encoding(op, &h),
                Edit::Encoding {
                    part: Part::Payload,
                    op,
                } => p = encoding(op, &p),
                _ => {}
            }
        }

        let sig_text = draft.edits.iter().rev().find_map(|e| match e {
            Edit::SigText(t) => Some(t.clone()),
            _ => None,
        });
        let mut s = match (signer, &key, sig_text) {
            (Some(Signer::Unsigned), _, _) => String::new(),
            (Some(_), Some((k, alg)), _) => {
                *randomized = matches!(
                    alg,
                    Algorithm::ES256
                        | Algorithm::ES384
                        | Algorithm::ES512
                        | Algorithm::PS256
                        | Algorithm::PS384
                        | Algorithm::PS512
                );
                let input = format!("{h}.{p}");
                let mut sig = k.get().sign(*alg, input.as_bytes()).unwrap_or_default();
                sig_edits(draft, &mut sig);
                base64url::encode(sig)
            }
            (_, _, Some(text)) => text,
            _ => {
                let mut sig = self.base.signature().to_vec();
                sig_edits(draft, &mut sig);
                if sig == self.base.signature() {
                    self.base.signature_b64().to_owned()
                } else {
                    base64url::encode(sig)
                }
            }
        };
        for e in &draft.edits {
            if let Edit::Encoding {
                part: Part::Signature,
                op,
            } = e
            {
                s = encoding(op, &s);
            }
        }
        format!("{h}.{p}.{s}")
    }

    fn signing_key(
        &self,
        signer: Signer,
        header_alg: Option<Algorithm>,
        kid: Option<String>,
    ) -> Option<(KeyRef<'_>, Algorithm)> {
        let hs = header_alg
            .filter(|a| a.is_symmetric())
            .unwrap_or(Algorithm::HS256);
        Some(match signer {
            Signer::Issuer => {
                let key = self.issuer_key.as_ref()?;
                let alg = header_alg
                    .filter(|a| a.key_family() == key.family())
                    .unwrap_or(self.base_alg);
                (KeyRef::Borrowed(key), alg)
            }
            Signer::Attacker => {
                let alg = header_alg.unwrap_or(self.base_alg);
                (KeyRef::Borrowed(self.attacker.for_alg(alg)), alg)
            }
            Signer::HmacPublicKey(e) => {
                let (parts, jwk) = (self.issuer_parts.as_ref()?, self.issuer_jwk.as_ref()?);
                let secret = parts
                    .encode(e, jwk)
                    .or_else(|| parts.encode(Encoding::RawBytes, jwk))?;
                (KeyRef::Owned(SigningKey::hmac(&secret)), hs)
            }
            Signer::HmacEmpty => (KeyRef::Owned(SigningKey::hmac(b"")), hs),
            Signer::HmacAttacker => (KeyRef::Borrowed(&self.attacker.hmac), hs),
            Signer::HmacKid => (
                KeyRef::Owned(SigningKey::hmac(kid.unwrap_or_default().as_bytes())),
                hs,
            ),
            Signer::Unsigned => return None,
        })
    }

    fn deliver(&self, draft: &Draft, token: &str) -> Vec<String> {
        match &self.shape {
            Shape::Raw => vec![token.to_owned()],
            Shape::Header { scheme } if scheme.is_empty() => vec![token.to_owned()],
            Shape::Header { scheme } => vec![format!("{scheme} {token}")],
            Shape::Bearer => {
                let op = draft.edits.iter().rev().find_map(|e| match e {
                    Edit::Delivery(op) => Some(op),
                    _ => None,
                });
                let base = self.base.as_str();
                match op {
                    None => vec![format!("Bearer {token}")],
                    Some(op) => match op {
                        DeliveryOp::LowerScheme => vec![format!("bearer {token}")],
                        DeliveryOp::UpperScheme => vec![format!("BEARER {token}")],
                        DeliveryOp::DoubleSpace => vec![format!("Bearer  {token}")],
                        DeliveryOp::Tab => vec![format!("Bearer\t{token}")],
                        DeliveryOp::NoScheme => vec![token.to_owned()],
                        DeliveryOp::BasicScheme => vec![format!("Basic {token}")],
                        DeliveryOp::Twice => {
                            vec![format!("Bearer {token}"), format!("Bearer {token}")]
                        }
                        DeliveryOp::WithBase => {
                            vec![format!("Bearer {base}"), format!("Bearer {token}")]
                        }
                        DeliveryOp::TrailingComma => vec![format!("Bearer {token},")],
                        DeliveryOp::Values(values) => values
                            .iter()
                            .map(|v| v.replace(TOKEN_MARK, token))
                            .collect(),
                    },
                }
            }
        }
    }
}

/// A signing key that is the material's or made for one rendering.
enum KeyRef<'a> {
    Borrowed(&'a SigningKey),
    Owned(SigningKey),
}

impl KeyRef<'_> {
    fn get(&self) -> &SigningKey {
        match self {
            KeyRef::Borrowed(k) => k,
            KeyRef::Owned(k) => k,
        }
    }
}

fn public_jwk_text(key: &SigningKey) -> String {
    let jwk = match key {
        SigningKey::Hmac(secret) => {
            let mut m = Map::new();
            m.insert("kty".into(), "oct".into());
            m.insert("k".into(), base64url::encode(secret).into());
            m
        }
        other => other.public_jwk(None, None),
    };
    Value::Object(jwk).to_string()
}

fn sig_edits(draft: &Draft, sig: &mut Vec<u8>) {
    for e in &draft.edits {
        let Edit::Sig(op) = e else { continue };
        match op {
            SigEdit::BitFlip { byte, bit } => {
                if !sig.is_empty() {
                    let i = *byte as usize % sig.len();
                    sig[i] ^= 1 << (bit % 8);
                }
            }
            SigEdit::Truncate(n) => {
                let keep = sig.len().saturating_sub((*n as usize).max(1));
                sig.truncate(keep);
            }
            SigEdit::Extend(bytes) => sig.extend_from_slice(bytes),
            SigEdit::Zero => sig.iter_mut().for_each(|b| *b = 0),
            SigEdit::Empty => sig.clear(),
            SigEdit::Der => *sig = der_signature(sig),
            SigEdit::AddOrder => add_ed25519_order(sig),
            SigEdit::Random(seed) => {
                let len = sig.len().max(1);
                *sig = Rng::new(*seed).bytes(len);
            }
            SigEdit::Doubled => {
                let copy = sig.clone();
                sig.extend_from_slice(&copy);
            }
        }
    }
}

/// Raw r‖s as ASN.1 DER `SEQUENCE { INTEGER r, INTEGER s }`.
fn der_signature(raw: &[u8]) -> Vec<u8> {
    let half = raw.len() / 2;
    let int = |bytes: &[u8]| {
        let mut b: Vec<u8> = bytes.iter().copied().skip_while(|x| *x == 0).collect();
        if b.first().is_none_or(|x| x & 0x80 != 0) {
            b.insert(0, 0);
        }
        let mut out = vec![0x02];
        der_len(&mut out, b.len());
        out.extend(b);
        out
    };
    let body = [int(&raw[..half]), int(&raw[half..])].concat();
    let mut out = vec![0x30];
    der_len(&mut out, body.len());
    out.extend(body);
    out
}

fn der_len(out: &mut Vec<u8>, len: usize) {
    if len < 128 {
        out.push(len as u8);
    } else {
        out.push(0x81);
        out.push(len as u8);
    }
}

/// Adds the Ed25519 group order L to S (bytes 32..64, little-endian).
fn add_ed25519_order(sig: &mut [u8]) {
    const L: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde,
        0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];
    if sig.len() != 64 {
        return;
    }
    let mut carry = 0u16;
    for (i, l) in L.iter().enumerate() {
        let v = u16::from(sig[32 + i]) + u16::from(*l) + carry;
        sig[32 + i] = v as u8;
        carry = v >> 8;
    }
}

fn encoding(op: &EncOp, seg: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    match op {
        EncOp::Pad(n) => format!("{seg}{}", "=".repeat(usize::from(*n).clamp(1, 2))),
        EncOp::StdAlphabet => seg.replace('-', "+").replace('_', "/"),
        EncOp::TrailingBits => {
            let bytes = seg.as_bytes();
            match (bytes.len() % 4, bytes.last()) {
                (2 | 3, Some(last)) => match ALPHABET.iter().position(|c| c == last) {
                    Some(i) => {
                        let mut s = seg[..seg.len() - 1].to_owned();
                        s.push(ALPHABET[i ^ 1] as char);
                        s
                    }
                    None => seg.to_owned(),
                },
                _ => seg.to_owned(),
            }
        }
        EncOp::Insert { pos, ch } => {
            let at = *pos as usize % (seg.len() + 1);
            let mut s = seg.to_owned();
            if s.is_char_boundary(at) {
                s.insert(at, *ch);
            }
            s
        }
        EncOp::DropLast => {
            let mut s = seg.to_owned();
            s.pop();
            s
        }
        EncOp::Empty => String::new(),
        EncOp::FlipCase { pos } => {
            if seg.is_empty() {
                return String::new();
            }
            let at = *pos as usize % seg.len();
            seg.char_indices()
                .map(|(i, c)| {
                    if i != at {
                        c
                    } else if c.is_ascii_lowercase() {
                        c.to_ascii_uppercase()
                    } else {
                        c.to_ascii_lowercase()
                    }
                })
                .collect()
        }
    }
}

fn structure(op: &StructOp, token: &str) -> String {
    let segs: Vec<&str> = token.splitn(3, '.').collect();
    match op {
        StructOp::AppendDot => format!("{token}."),
        StructOp::AppendSegment => format!("{token}.e30"),
        StructOp::DropSignature => match segs.as_slice() {
            [h, p, _] => format!("{h}.{p}"),
            _ => token.to_owned(),
        },
        StructOp::LeadingDot => format!(".{token}"),
        StructOp::SwapHeaderPayload => match segs.as_slice() {
            [h, p, s] => format!("{p}.{h}.{s}"),
            _ => token.to_owned(),
        },
        StructOp::Prefix(p) => format!("{p}{token}"),
        StructOp::Suffix(s) => format!("{token}{s}"),
        StructOp::Twice => format!("{token}.{token}"),
    }
}

fn json_op(op: &JsonOp, text: &str) -> String {
    match op {
        JsonOp::Replace(t) => t.clone(),
        JsonOp::LeadingWhitespace => format!(" \n{text}"),
        JsonOp::TrailingWhitespace => format!("{text}\n "),
        JsonOp::ByteOrderMark => format!("\u{feff}{text}"),
        JsonOp::Truncate => {
            let mut c = text.chars();
            c.next_back();
            c.as_str().to_owned()
        }
        JsonOp::ExtraBrace => format!("{text}}}"),
        JsonOp::Respace => outside_strings(text, |c, out| match c {
            ':' => out.push_str(" : "),
            ',' => out.push_str(" , "),
            _ => out.push(c),
        }),
        JsonOp::EscapedSlashes => text.replace('/', "\\/"),
        JsonOp::EscapedNames => escape_member_names(text),
    }
}

/// Rewrites the characters outside JSON strings with `f`; strings are copied unchanged.
fn outside_strings(text: &str, mut f: impl FnMut(char, &mut String)) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut in_string = false;
    let mut escaped = false;
    for c in text.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else {
            f(c, &mut out);
        }
    }
    out
}

/// Escapes the first character of every top-level member name as `\u00XX` (same JSON).
fn escape_member_names(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 32);
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut expect_name = false;
    let mut at_name_start = false;
    for c in text.chars() {
        if in_string {
            if at_name_start {
                at_name_start = false;
                if c.is_ascii_alphanumeric() {
                    let _ = write!(out, "\\u{:04x}", c as u32);
                    continue;
                }
            }
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        out.push(c);
        match c {
            '"' => {
                in_string = true;
                if depth == 1 && expect_name {
                    at_name_start = true;
                    expect_name = false;
                }
            }
            '{' => {
                depth += 1;
                expect_name = depth == 1;
            }
            '[' => depth += 1,
            '}' | ']' => depth = depth.saturating_sub(1),
            ',' => expect_name = depth == 1,
            _ => {}
        }
    }
    out
}

/// `1.795690624e9` for 1795690624 (the same number in exponent notation).
fn exponent(v: i64) -> String {
    let digits = v.unsigned_abs().to_string();
    let sign = if v < 0 { "-" } else { "" };
    if digits.len() < 2 {
        return format!("{sign}{digits}e0");
    }
    format!(
        "{sign}{}.{}e{}",
        &digits[..1],
        &digits[1..],
        digits.len() - 1
    )
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        format!(
            "{}… ({} characters)",
            s.chars().take(max).collect::<String>(),
            s.len()
        )
    }
}

/// Member edits turning `base` into `target`, if both are objects without duplicate names.
fn diff_members(part: Part, base: &str, target: &str) -> Option<Vec<Edit>> {
    let b = RawObject::new(base).ok()?;
    let t = RawObject::new(target).ok()?;
    let (bn, tn) = (b.names(), t.names());
    let distinct = |names: &[String]| names.iter().collect::<BTreeSet<_>>().len() == names.len();
    if !distinct(&bn) || !distinct(&tn) {
        return None;
    }
    let mut edits = Vec::new();
    for name in bn.iter().filter(|n| !tn.contains(n)) {
        edits.push(Edit::Member {
            part,
            name: name.clone(),
            op: MemberOp::Remove,
        });
    }
    for name in &tn {
        let value = t.get(name)?;
        if b.get(name) != Some(value) {
            edits.push(Edit::Member {
                part,
                name: name.clone(),
                op: MemberOp::Set(Json::Raw(value.to_owned())),
            });
        }
    }
    Some(edits)
}

fn apply_members(base: &str, edits: &[Edit]) -> Option<String> {
    let mut obj = RawObject::new(base).ok()?;
    for e in edits {
        if let Edit::Member { name, op, .. } = e {
            match op {
                MemberOp::Set(Json::Raw(v)) => {
                    obj.set(name, v);
                }
                MemberOp::Remove => {
                    obj.remove(name);
                }
                _ => return None,
            }
        }
    }
    Some(obj.into_string())
}

fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// A JSON string whose first character is written as a `\u` escape (the same string).
fn escaped_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if (c as u32) < 0x10000 => {
            let rest = q(chars.as_str());
            format!("\"\\u{:04x}{}", c as u32, &rest[1..])
        }
        _ => q(s),
    }
}

fn chop(s: &str) -> String {
    let mut c = s.chars();
    c.next_back();
    c.as_str().to_owned()
}

fn nested(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

/// The operator families and their weights.
#[derive(Clone, Copy)]
enum Family {
    Claim,
    Header,
    Combo,
    Signature,
    Encoding,
    Structure,
    JsonText,
    Delivery,
}

/// Generates drafts from a seed.
#[derive(Clone)]
pub struct Generator {
    m: Arc<Material>,
    seed: u64,
}

impl Generator {
    pub fn new(material: Arc<Material>, seed: u64) -> Generator {
        Generator { m: material, seed }
    }

    pub fn material(&self) -> &Arc<Material> {
        &self.m
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Draft number `index` of this seed: 1–3 operators (or a catalogue token, sometimes with one
    /// more), then, when the signed bytes changed and the harness holds the issuer key, usually a
    /// re-signature so the token stays "almost valid" and the deep checks run.
    pub fn draft(&self, index: u64) -> Draft {
        let mut rng = Rng::stream(self.seed, index);
        let mut edits = Vec::new();
        let mut origin = None;
        if !self.m.seeds.is_empty() && rng.chance(10) {
            let seed = rng.pick(&self.m.seeds);
            edits.extend(seed.edits.iter().cloned());
            origin = Some(seed.id.clone());
            if rng.chance(30) && !edits.iter().any(|e| matches!(e, Edit::Literal(_))) {
                edits.extend(self.operator(&mut rng));
            }
        } else {
            let n = *rng.weighted_pick(&[(50, 1), (30, 2), (20, 3)]);
            for _ in 0..n {
                edits.extend(self.operator(&mut rng));
            }
        }
        let signed = edits
            .iter()
            .any(|e| matches!(e, Edit::Sign(_) | Edit::SigText(_) | Edit::Literal(_)));
        if !signed && edits.iter().any(Edit::changes_signed_content) {
            if self.m.issuer_key.is_some() && rng.chance(80) {
                edits.push(Edit::Sign(Signer::Issuer));
            } else if rng.chance(8) {
                edits.push(Edit::Sign(Signer::Attacker));
            }
        }
        // The envelope, from a stream of its own: 3 % preflights (the token edits do not apply
        // to them), 12 % of the others with an Origin.
        let mut envelope = Rng::stream(self.seed ^ ENVELOPE_STREAM, index);
        if envelope.chance(3) {
            edits = vec![Edit::Origin(self.origin(&mut envelope)), Edit::Preflight];
            origin = None;
        } else if envelope.chance(12) {
            edits.push(Edit::Origin(self.origin(&mut envelope)));
        }
        Draft {
            index,
            origin,
            edits,
        }
    }

    /// An `Origin` to send: the front end's and look-alikes of it when it is known, foreign ones
    /// and `null` always.
    fn origin(&self, rng: &mut Rng) -> OriginOp {
        let known = u32::from(self.m.frontend_origin.is_some());
        match rng.weighted(&[30 * known, 10, 20, 13 * known, 13 * known, 14 * known]) {
            0 => OriginOp::Frontend,
            1 => OriginOp::Null,
            2 => OriginOp::Foreign(FOREIGN_ORIGINS[rng.index(FOREIGN_ORIGINS.len())]),
            3 => OriginOp::OtherPort,
            4 => OriginOp::OtherScheme,
            _ => OriginOp::HostSuffix,
        }
    }

    fn operator(&self, rng: &mut Rng) -> Vec<Edit> {
        let bearer = self.m.shape == Shape::Bearer;
        let families = [
            (30, Family::Claim),
            (22, Family::Header),
            (10, Family::Combo),
            (8, Family::Signature),
            (8, Family::Encoding),
            (4, Family::Structure),
            (4, Family::JsonText),
            (if bearer { 4 } else { 0 }, Family::Delivery),
        ];
        match *rng.weighted_pick(&families) {
            Family::Claim => vec![self.claim(rng)],
            Family::Header => vec![self.header(rng)],
            Family::Combo => self.combo(rng),
            Family::Signature => vec![self.signature(rng)],
            Family::Encoding => vec![self.encoding(rng)],
            Family::Structure => vec![Edit::Structure(
                rng.pick(&[
                    StructOp::AppendDot,
                    StructOp::AppendSegment,
                    StructOp::DropSignature,
                    StructOp::LeadingDot,
                    StructOp::SwapHeaderPayload,
                    StructOp::Prefix(" "),
                    StructOp::Suffix(" "),
                    StructOp::Prefix("Bearer "),
                    StructOp::Suffix("."),
                    StructOp::Suffix("=="),
                    StructOp::Twice,
                ])
                .clone(),
            )],
            Family::JsonText => vec![self.json_text(rng)],
            Family::Delivery => vec![Edit::Delivery(
                rng.pick(&[
                    DeliveryOp::LowerScheme,
                    DeliveryOp::UpperScheme,
                    DeliveryOp::DoubleSpace,
                    DeliveryOp::Tab,
                    DeliveryOp::NoScheme,
                    DeliveryOp::BasicScheme,
                    DeliveryOp::Twice,
                    DeliveryOp::WithBase,
                    DeliveryOp::TrailingComma,
                ])
                .clone(),
            )],
        }
    }

    fn claim(&self, rng: &mut Rng) -> Edit {
        let existing: Vec<&String> = self.m.base_claims.keys().collect();
        let name: String = match rng.weighted(&[20, 10, 8, 14, 14, 8, 2, 2, 4, 4]) {
            0 => "exp".into(),
            1 => "iat".into(),
            2 => "nbf".into(),
            3 => "iss".into(),
            4 => "aud".into(),
            5 => "sub".into(),
            6 => "scope".into(),
            7 => "jti".into(),
            8 if !existing.is_empty() => (*rng.pick(&existing)).clone(),
            _ => (*rng.pick(&[
                "authprobe-x",
                "role",
                "admin",
                "__proto__",
                "",
                "email_verified",
            ]))
            .to_owned(),
        };
        let op = match rng.weighted(&[70, 12, 8, 10]) {
            0 => MemberOp::Set(self.claim_value(rng, &name)),
            1 => MemberOp::Remove,
            2 => MemberOp::Duplicate(self.claim_value(rng, &name)),
            _ => MemberOp::Set(self.retyped(rng, Part::Payload, &name)),
        };
        Edit::Member {
            part: Part::Payload,
            name,
            op,
        }
    }

    fn claim_value(&self, rng: &mut Rng, name: &str) -> Json {
        use Json::*;
        let time = |rng: &mut Rng, pool: &[(u32, Json)]| {
            if rng.chance(80) {
                rng.weighted_pick(pool).clone()
            } else {
                odd_number(rng)
            }
        };
        match name {
            "exp" => time(
                rng,
                &[
                    (6, Rel(900)),
                    (3, Rel(-27)),
                    (6, Rel(-33)),
                    (4, Rel(-60)),
                    (6, Rel(-3600)),
                    (5, Rel(-86_000)),
                    (3, Rel(-86_800)),
                    (2, Rel(-864_000)),
                    (3, Rel(172_800)),
                    (2, Rel(86_400 * 400)),
                    (2, RelFrac(900, ".5")),
                    (2, RelFrac(-33, ".25")),
                    (2, RelString(900)),
                    (2, RelExp(900)),
                    (1, RelString(-3600)),
                ],
            ),
            "iat" => time(
                rng,
                &[
                    (6, Rel(0)),
                    (3, Rel(-60)),
                    (3, Rel(-90_000)),
                    (3, Rel(27)),
                    (6, Rel(33)),
                    (5, Rel(3600)),
                    (4, Rel(86_000)),
                    (2, Rel(90_000)),
                    (2, RelFrac(0, ".5")),
                    (2, RelString(0)),
                    (2, RelExp(0)),
                ],
            ),
            "nbf" => time(
                rng,
                &[
                    (4, Rel(-60)),
                    (2, Rel(0)),
                    (3, Rel(27)),
                    (6, Rel(33)),
                    (5, Rel(3600)),
                    (4, Rel(86_000)),
                    (2, Rel(90_000)),
                    (2, RelFrac(33, ".5")),
                    (2, RelString(3600)),
                    (1, RelExp(-60)),
                ],
            ),
            "iss" => Raw(self.string_variant(rng, &self.m.issuer, true)),
            "aud" => Raw(self.audience_variant(rng)),
            "sub" => Raw(self.string_variant(rng, &self.m.subject, false)),
            "scope" => Raw((*rng.pick(&[
                "\"reports:read\"",
                "\"reports:read admin\"",
                "\"REPORTS:READ\"",
                "[\"reports:read\"]",
                "1",
                "\"\"",
            ]))
            .to_owned()),
            _ => Raw(self.any_value(rng)),
        }
    }

    /// Variants of a string claim (`iss`, `sub`): prefixes, suffixes, case, escapes, arrays,
    /// look-alikes, wrong types.
    fn string_variant(&self, rng: &mut Rng, b: &str, url: bool) -> String {
        let mut pool: Vec<String> = vec![
            q(b),
            q(&format!("{b}/")),
            q(&format!("{b}x")),
            q(&chop(b)),
            q(&b.to_uppercase()),
            q(&format!(" {b}")),
            q(&format!("{b} ")),
            q(&format!("{b}\u{0}")),
            escaped_first(b),
            q(b).replace('/', "\\/"),
            format!("[{}]", q(b)),
            "null".into(),
            "1".into(),
            "\"\"".into(),
            q(&b.replacen('.', "\u{3002}", 1)),
            q(&b.replacen('1', "\u{ff11}", 1)),
            q(&format!("{b}.evil.example")),
            q(&format!("https://evil.example/{b}")),
        ];
        if url {
            pool.push(q(&b.replacen("http://", "https://", 1)));
            pool.push(q(&b.replacen("127.0.0.1", "localhost", 1)));
            pool.push(q(&b.replacen("://", "://user@", 1)));
        } else {
            pool.push(q(&"a".repeat(4000)));
            pool.push(q("admin"));
        }
        rng.pick(&pool).clone()
    }

    fn audience_variant(&self, rng: &mut Rng) -> String {
        let b = self.m.audience.as_str();
        let other = q("https://other.example");
        let pool: Vec<String> = vec![
            q(b),
            format!("[{}]", q(b)),
            format!("[{},{other}]", q(b)),
            format!("[{other},{}]", q(b)),
            format!("[{other}]"),
            other.clone(),
            "[]".into(),
            format!("[{},1]", q(b)),
            format!("[[{}]]", q(b)),
            format!("[{},{}]", q(b), q(b)),
            q(&format!("{b}/")),
            q(&chop(b)),
            q(&b.to_uppercase()),
            q(&format!("{b} {b}")),
            escaped_first(b),
            "null".into(),
            "1".into(),
            "\"\"".into(),
            "{}".into(),
        ];
        rng.pick(&pool).clone()
    }

    fn any_value(&self, rng: &mut Rng) -> String {
        let pick = rng.below(22);
        match pick {
            0 => "1".into(),
            1 => "\"x\"".into(),
            2 => "null".into(),
            3 => "true".into(),
            4 => "{}".into(),
            5 => "[]".into(),
            6..=9 => nested(14 + (pick - 6) as usize),
            10 => q(&"A".repeat(6000)),
            11 => q(&"A".repeat(9000)),
            12 => q(&"A".repeat(13_000)),
            13 => "\"\\ud800\"".into(),
            14 => "\"\\u0000\"".into(),
            15 => q("é"),
            16 => "1e400".into(),
            17 => "\"\\x\"".into(),
            18 => "[1,]".into(),
            19 => "{\"a\":1,\"a\":2}".into(),
            20 => "-0".into(),
            _ => "\"authprobe-marker-9f1c\"".into(),
        }
    }

    /// The base value in another JSON type.
    fn retyped(&self, rng: &mut Rng, part: Part, name: &str) -> Json {
        let base: Option<Value> = match part {
            Part::Header => self.m.base.header().get(name).cloned(),
            _ => self.m.base_claims.get(name).cloned(),
        };
        let Some(v) = base else {
            return Json::Raw(self.any_value(rng));
        };
        let text = v.to_string();
        let options: Vec<String> = match &v {
            Value::String(s) => vec![
                format!("[{text}]"),
                format!("{{\"value\":{text}}}"),
                "null".into(),
                "true".into(),
                s.parse::<f64>()
                    .map(|_| s.clone())
                    .unwrap_or_else(|_| "0".into()),
            ],
            Value::Number(_) => vec![
                q(&text),
                format!("[{text}]"),
                format!("{{\"value\":{text}}}"),
                "null".into(),
                "false".into(),
                format!("{text}.0"),
            ],
            Value::Array(a) => vec![
                a.first()
                    .map(Value::to_string)
                    .unwrap_or_else(|| "null".into()),
                q(&text),
                "{}".into(),
                "null".into(),
            ],
            _ => vec![q(&text), format!("[{text}]"), "null".into(), "1".into()],
        };
        Json::Raw(rng.pick(&options).clone())
    }

    fn header(&self, rng: &mut Rng) -> Edit {
        let names: [(u32, &str); 14] = [
            (22, "alg"),
            (18, "kid"),
            (10, "typ"),
            (6, "crit"),
            (6, "jku"),
            (6, "jwk"),
            (3, "x5u"),
            (3, "x5c"),
            (2, "x5t"),
            (3, "b64"),
            (2, "zip"),
            (2, "enc"),
            (3, "cty"),
            (6, "other"),
        ];
        let mut name = (*rng.weighted_pick(&names)).to_owned();
        if name == "other" {
            name = (*rng.pick(&[
                "authprobe-x",
                "__proto__",
                "",
                "epk",
                "apu",
                "url",
                "nonce",
                "iss",
                "exp",
                "x5t#S256",
            ]))
            .to_owned();
        }
        let op = match rng.weighted(&[70, 12, 10, 3, 5]) {
            0 => MemberOp::Set(self.header_value(rng, &name)),
            1 => MemberOp::Remove,
            2 => MemberOp::Duplicate(self.header_value(rng, &name)),
            3 => MemberOp::Prepend(self.header_value(rng, &name)),
            _ => MemberOp::Set(self.retyped(rng, Part::Header, &name)),
        };
        Edit::Member {
            part: Part::Header,
            name,
            op,
        }
    }

    fn header_value(&self, rng: &mut Rng, name: &str) -> Json {
        use Json::*;
        let a = self.m.base_alg.name();
        let k = self.m.base_kid.as_str();
        let raw =
            |items: &[&str]| -> Vec<String> { items.iter().map(|s| (*s).to_owned()).collect() };
        let pool: Vec<String> = match name {
            "alg" => {
                let mut v = vec![
                    q(a),
                    q(&a.to_lowercase()),
                    q(&a.to_uppercase()),
                    q("none"),
                    q("None"),
                    q("NONE"),
                    q("nOnE"),
                    q("HS256"),
                    q("HS384"),
                    q("HS512"),
                    q("RS256"),
                    q("ES256"),
                    q("PS256"),
                    q(if a == "EdDSA" { "ES256K" } else { "EdDSA" }),
                    q("Ed25519"),
                    q(""),
                    q(&format!("{a} ")),
                    escaped_first(a),
                ];
                v.extend(raw(&["null", "1"]));
                v.push(format!("[{}]", q(a)));
                v
            }
            "kid" => vec![
                q(k),
                q(&format!("{k}x")),
                q(&chop(k)),
                q(&k.to_uppercase()),
                q(""),
                q(&format!(" {k}")),
                q(&format!("{k} ")),
                q("../../../../../../dev/null"),
                q("/dev/null"),
                q("../../../../../../etc/passwd"),
                q("' OR '1'='1"),
                q("authprobe-attacker"),
                q(&"k".repeat(2000)),
                escaped_first(k),
                q(&format!("{k}\u{0}")),
                "null".into(),
                "1".into(),
                format!("[{}]", q(k)),
                "{}".into(),
            ],
            "typ" => raw(&[
                "\"JWT\"",
                "\"jwt\"",
                "\"application/jwt\"",
                "\"application/JWT\"",
                "\"at+jwt\"",
                "\"JWS\"",
                "\"\"",
                "\"JWT \"",
                "\"application/\"",
                "\"text/plain\"",
                "null",
                "1",
            ]),
            "cty" => raw(&["\"JWT\"", "\"json\"", "\"application/json\"", "1"]),
            "crit" => raw(&[
                "[]",
                "[\"exp\"]",
                "\"authprobe-ext\"",
                "[\"alg\"]",
                "[1]",
                "[\"authprobe-ext\"]",
                "null",
            ]),
            "jku" => {
                if rng.chance(60) {
                    return Oob("jwks.json");
                }
                raw(&["\"https://evil.example/jwks.json\"", "\"\"", "1"])
            }
            "jwk" => {
                if rng.chance(50) {
                    return SignerJwk;
                }
                let mut v = raw(&["{}", "\"x\""]);
                if let Some(jwk) = &self.m.issuer_jwk {
                    v.push(Value::Object(jwk.clone()).to_string());
                }
                v.push(public_jwk_text(&self.m.attacker.ed25519));
                v
            }
            "x5u" => {
                if rng.chance(60) {
                    return Oob("cert.pem");
                }
                raw(&["\"https://evil.example/cert.pem\""])
            }
            "x5c" => {
                if self.m.attacker_cert_b64.is_some() && rng.chance(40) {
                    return AttackerCertChain;
                }
                raw(&["[]", "[\"AAAA\"]"])
            }
            "x5t" | "x5t#S256" => raw(&["\"AAAA\"", "\"\""]),
            "b64" => raw(&["false", "true"]),
            "zip" => raw(&["\"DEF\""]),
            "enc" => raw(&["\"A128GCM\""]),
            _ => raw(&["true", "1", "\"x\"", "{}", "null"]),
        };
        Raw(rng.pick(&pool).clone())
    }

    /// Attack-shaped combinations of single operators (what the catalogue's groups B, C and D
    /// combine by hand), kept as separate edits so shrinking can still take them apart.
    fn combo(&self, rng: &mut Rng) -> Vec<Edit> {
        let header = |name: &str, v: Json| Edit::Member {
            part: Part::Header,
            name: name.to_owned(),
            op: MemberOp::Set(v),
        };
        let hs_alg = ["HS256", "HS384", "HS512"][rng.index(3)];
        let hs = Json::Raw(q(hs_alg));
        match rng.weighted(&[3, 3, 2, 2, 2, 1, 2, 2, 2]) {
            0 => {
                let alg = *rng.pick(&["none", "None", "NONE", "nOnE"]);
                let mut v = vec![header("alg", Json::Raw(q(alg)))];
                if rng.chance(50) {
                    v.push(Edit::Sign(Signer::Unsigned));
                }
                v
            }
            1 => {
                let enc = *rng.pick(&[
                    Encoding::RawBytes,
                    Encoding::SpkiPem,
                    Encoding::SpkiPemNoTrailingNewline,
                    Encoding::SpkiDer,
                    Encoding::SpkiBase64Body,
                    Encoding::JwkText,
                    Encoding::Pkcs1Pem,
                    Encoding::OpenSsh,
                ]);
                let alg = *rng.pick(&["HS256", "HS384", "HS512"]);
                vec![
                    header("alg", Json::Raw(q(alg))),
                    Edit::Sign(Signer::HmacPublicKey(enc)),
                ]
            }
            2 => vec![header("jwk", Json::SignerJwk), Edit::Sign(Signer::Attacker)],
            3 => vec![
                header("jku", Json::Oob("jwks.json")),
                Edit::Sign(Signer::Attacker),
            ],
            4 => {
                let kid = *rng.pick(&[
                    "../../../../../../dev/null",
                    "/dev/null",
                    "../../../../../../../../dev/null",
                ]);
                vec![
                    header("kid", Json::Raw(q(kid))),
                    header("alg", hs),
                    Edit::Sign(Signer::HmacEmpty),
                ]
            }
            5 => vec![header("alg", hs), Edit::Sign(Signer::HmacKid)],
            6 => {
                let ext = *rng.pick(&["authprobe-ext", "exp", "b64"]);
                let mut v = vec![
                    header("crit", Json::Raw(format!("[{}]", q(ext)))),
                    header(ext, Json::Raw("true".into())),
                ];
                if self.m.issuer_key.is_some() {
                    v.push(Edit::Sign(Signer::Issuer));
                }
                v
            }
            7 => vec![Edit::Sign(Signer::Attacker)],
            _ => {
                let alg = *rng.pick(&["HS256", "HS384", "HS512"]);
                vec![
                    header("alg", Json::Raw(q(alg))),
                    Edit::Sign(Signer::HmacAttacker),
                ]
            }
        }
    }

    fn signature(&self, rng: &mut Rng) -> Edit {
        Edit::Sig(match rng.below(10) {
            0 | 1 => SigEdit::BitFlip {
                byte: rng.below(1024) as u32,
                bit: rng.below(8) as u8,
            },
            2 => SigEdit::Truncate(*rng.pick(&[1, 4, 32])),
            3 => SigEdit::Extend(rng.pick(&[vec![0u8], vec![0u8; 32], vec![0xff]]).clone()),
            4 => SigEdit::Zero,
            5 => SigEdit::Empty,
            6 => SigEdit::Der,
            7 => SigEdit::AddOrder,
            8 => SigEdit::Random(rng.next_u64()),
            _ => SigEdit::Doubled,
        })
    }

    fn encoding(&self, rng: &mut Rng) -> Edit {
        let part = *rng.pick(&[Part::Header, Part::Payload, Part::Signature]);
        let op = match rng.below(8) {
            0 => EncOp::Pad(1 + rng.below(2) as u8),
            1 => EncOp::StdAlphabet,
            2 => EncOp::TrailingBits,
            3 | 4 => EncOp::Insert {
                pos: rng.below(4096) as u32,
                ch: *rng.pick(&['=', '+', '/', ' ', '.', '!', '%', '~', '\t', '*']),
            },
            5 => EncOp::DropLast,
            6 => EncOp::Empty,
            _ => EncOp::FlipCase {
                pos: rng.below(4096) as u32,
            },
        };
        Edit::Encoding { part, op }
    }

    fn json_text(&self, rng: &mut Rng) -> Edit {
        let part = *rng.pick(&[Part::Header, Part::Payload]);
        let op = match rng.below(13) {
            0 => JsonOp::LeadingWhitespace,
            1 => JsonOp::TrailingWhitespace,
            2 => JsonOp::ByteOrderMark,
            3 => JsonOp::Truncate,
            4 => JsonOp::ExtraBrace,
            5 => JsonOp::Respace,
            6 => JsonOp::EscapedSlashes,
            7 => JsonOp::EscapedNames,
            8 => JsonOp::Replace("{}".into()),
            9 => JsonOp::Replace("[]".into()),
            10 => JsonOp::Replace("null".into()),
            11 => JsonOp::Replace(format!("[{}]", self.base_json(part))),
            _ => JsonOp::Replace(format!("{{\"a\":{}}}", nested(20))),
        };
        Edit::Json { part, op }
    }

    fn base_json(&self, part: Part) -> &str {
        match part {
            Part::Header => &self.m.base_header,
            _ => &self.m.base_payload,
        }
    }
}

/// Odd NumericDate spellings and types.
fn odd_number(rng: &mut Rng) -> Json {
    let pool = [
        "0",
        "-1",
        "-0",
        "0.0",
        "1e300",
        "1e400",
        "9007199254740991",
        "9007199254740992",
        "9007199254740993",
        "18446744073709551616",
        "1.5",
        "null",
        "true",
        "false",
        "[]",
        "{}",
        "\"\"",
        "\"now\"",
        "[1]",
        "01",
    ];
    Json::Raw((*rng.pick(&pool)).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_rewrites_keep_meaning() {
        let text = r#"{"alg":"EdDSA","kid":"a:b","n":[1,{"x":2}]}"#;
        let spaced = json_op(&JsonOp::Respace, text);
        assert_eq!(
            serde_json::from_str::<Value>(&spaced).unwrap(),
            serde_json::from_str::<Value>(text).unwrap()
        );
        assert!(spaced.contains("\"a:b\""));
        let escaped = escape_member_names(text);
        assert!(escaped.starts_with(r#"{"\u0061lg""#), "{escaped}");
        assert_eq!(
            serde_json::from_str::<Value>(&escaped).unwrap(),
            serde_json::from_str::<Value>(text).unwrap()
        );
        assert_eq!(exponent(1_795_690_624), "1.795690624e9");
        assert_eq!(exponent(1_700_000_000), "1.700000000e9");
        assert_eq!("1.700000000e9".parse::<f64>().unwrap(), 1_700_000_000.0);
        assert_eq!(escaped_first("abc"), "\"\\u0061bc\"");
    }

    #[test]
    fn der_and_order() {
        let raw = [0x80u8; 64];
        let der = der_signature(&raw);
        assert_eq!(der[0], 0x30);
        assert_eq!(der[2], 0x02);
        assert_eq!(der[3], 33);
        let mut sig = [0u8; 64];
        add_ed25519_order(&mut sig);
        assert_eq!(sig[32], 0xed);
        assert_eq!(sig[63], 0x10);
    }
}
