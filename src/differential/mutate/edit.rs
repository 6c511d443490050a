//! The edit model: a [`Draft`] is the base token plus a list of [`Edit`]s, each one small,
//! revertible change (a JSON member of the header or the claims, an encoding quirk, a signature
//! change, who signs, how the credential is delivered, the request envelope). This module holds
//! the edits, their operator kinds (a finding's cause) and their descriptions in words.

use crate::dangerous::forge::encodings::Encoding;
use std::collections::BTreeSet;

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

/// Foreign origins the generator sends.
pub(super) const FOREIGN_ORIGINS: [&str; 3] = [
    "http://evil.example",
    "https://evil.example",
    "https://attacker.test:8443",
];

/// Stands for the rendered token inside [`DeliveryOp::Values`].
pub const TOKEN_MARK: &str = "{{authprobe:token}}";

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
    pub(super) fn changes_signed_content(&self) -> bool {
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
