//! Grades: what an attacker can do with a finding.
//!
//! A finding is worth acting on only if an attacker can use it, so every finding is graded by
//! two questions (specs/002-auth-security-integration/contracts/findings.md): **who can produce
//! the request** ([`Producer`]: anyone, any holder of a real token, or only the issuer's key) and
//! **what acceptance gives**. Each answer is one [`Cause`], a row of that table with a fixed
//! [`Severity`] and [`FlawClass`]; how sure the evidence is stays a separate [`Confidence`].
//!
//! [`Grader::acceptance`] decides the cause of an acceptance the reference validator refuses,
//! from the bytes that were sent and the issuer's published keys alone: a token whose signature
//! no published key verifies was made by anyone (critical, and which trick it used decides the
//! class); one the issuer signed is judged by what is wrong with it — expired well past any
//! clock skew, another audience or issuer (high), a claim missing that Better Auth always sets
//! (medium), only a different string for the same token (low), or content only the issuer can
//! sign (information).

use crate::algorithm::{Algorithm, KeyFamily};
use crate::jwk::KeySet;
use crate::validate::{FixedClock, Validator};
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fmt;
use std::str::FromStr;

/// The impact grade of a finding (SARIF `security-severity`, the `--fail-on` threshold).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Shown, never failing by default: strictness no attacker can use.
    #[default]
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// Every grade, lowest first.
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// The SARIF `security-severity` property (GitHub code scanning maps ≥ 9.0 to critical,
    /// 7.0–8.9 high, 4.0–6.9 medium, 0.1–3.9 low; 0 is not a security alert).
    pub fn security_severity(self) -> &'static str {
        match self {
            Severity::Critical => "9.5",
            Severity::High => "8.0",
            Severity::Medium => "5.5",
            Severity::Low => "3.0",
            Severity::Info => "0.0",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Severity, String> {
        Severity::ALL
            .into_iter()
            .find(|g| g.name() == s)
            .ok_or_else(|| {
                format!("unknown grade {s:?}: expected critical, high, medium, low or info")
            })
    }
}

/// How sure the evidence is (kept apart from the impact, as ZAP and zizmor do).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// A heuristic (a marker word in a body, a timing).
    Low,
    /// Observed, but the observation admits another explanation (a late fetch, a reflected value).
    Medium,
    /// Observed directly: a 2xx, a 5xx, the exact token echoed, a fetch of a unique URL.
    High,
}

impl fmt::Display for Confidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        })
    }
}

/// Who can produce the request that shows a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Producer {
    /// No secret needed: a forged or unsigned token, an attacker key, no token at all.
    Anyone,
    /// A holder of a real token (stolen, expired, issued for another service, or re-encoded).
    TokenHolder,
    /// Only the issuer's private key can produce it (content Better Auth never signs).
    Issuer,
}

impl fmt::Display for Producer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Producer::Anyone => "anyone",
            Producer::TokenHolder => "token holder",
            Producer::Issuer => "issuer key only",
        })
    }
}

/// What an attacker gets: the vocabulary of findings.md §2 (and of deploy/zoo manifests).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FlawClass {
    SignatureNotVerified,
    AlgNone,
    KeyConfusion,
    EmbeddedKeyTrusted,
    KidInjection,
    ExpiredAccepted,
    NotYetValidAccepted,
    AudienceNotChecked,
    IssuerNotChecked,
    ServerError,
    Leak,
    Ssrf,
    TokenInUrl,
    TokenPlacement,
    ClaimNotRequired,
    Authorization,
    Cors,
    AuthServer,
    Encoding,
    Contract,
    Strictness,
    KeyAdoption,
    KeyRetirement,
    JwksFetchAmplification,
    JwksOutage,
    RevocationLag,
    DenialOfService,
}

impl FlawClass {
    pub const ALL: [FlawClass; 27] = [
        FlawClass::SignatureNotVerified,
        FlawClass::AlgNone,
        FlawClass::KeyConfusion,
        FlawClass::EmbeddedKeyTrusted,
        FlawClass::KidInjection,
        FlawClass::ExpiredAccepted,
        FlawClass::NotYetValidAccepted,
        FlawClass::AudienceNotChecked,
        FlawClass::IssuerNotChecked,
        FlawClass::ServerError,
        FlawClass::Leak,
        FlawClass::Ssrf,
        FlawClass::TokenInUrl,
        FlawClass::TokenPlacement,
        FlawClass::ClaimNotRequired,
        FlawClass::Authorization,
        FlawClass::Cors,
        FlawClass::AuthServer,
        FlawClass::Encoding,
        FlawClass::Contract,
        FlawClass::Strictness,
        FlawClass::KeyAdoption,
        FlawClass::KeyRetirement,
        FlawClass::JwksFetchAmplification,
        FlawClass::JwksOutage,
        FlawClass::RevocationLag,
        FlawClass::DenialOfService,
    ];

    pub fn name(self) -> &'static str {
        match self {
            FlawClass::SignatureNotVerified => "signature-not-verified",
            FlawClass::AlgNone => "alg-none",
            FlawClass::KeyConfusion => "key-confusion",
            FlawClass::EmbeddedKeyTrusted => "embedded-key-trusted",
            FlawClass::KidInjection => "kid-injection",
            FlawClass::ExpiredAccepted => "expired-accepted",
            FlawClass::NotYetValidAccepted => "not-yet-valid-accepted",
            FlawClass::AudienceNotChecked => "audience-not-checked",
            FlawClass::IssuerNotChecked => "issuer-not-checked",
            FlawClass::ServerError => "server-error",
            FlawClass::Leak => "leak",
            FlawClass::Ssrf => "ssrf",
            FlawClass::TokenInUrl => "token-in-url",
            FlawClass::TokenPlacement => "token-placement",
            FlawClass::ClaimNotRequired => "claim-not-required",
            FlawClass::Authorization => "authorization",
            FlawClass::Cors => "cors",
            FlawClass::AuthServer => "auth-server",
            FlawClass::Encoding => "encoding",
            FlawClass::Contract => "contract",
            FlawClass::Strictness => "strictness",
            FlawClass::KeyAdoption => "key-adoption",
            FlawClass::KeyRetirement => "key-retirement",
            FlawClass::JwksFetchAmplification => "jwks-fetch-amplification",
            FlawClass::JwksOutage => "jwks-outage",
            FlawClass::RevocationLag => "revocation-lag",
            FlawClass::DenialOfService => "denial-of-service",
        }
    }
}

impl fmt::Display for FlawClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

macro_rules! causes {
    ($($variant:ident => ($id:literal, $severity:ident, $producer:ident, $class:ident),)*) => {
        /// Why a finding has its grade: one row of findings.md §3, each with a fixed grade,
        /// producer and flaw class.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "kebab-case")]
        pub enum Cause {
            $($variant,)*
        }

        impl Cause {
            /// Every cause, in table order.
            pub const ALL: &'static [Cause] = &[$(Cause::$variant,)*];

            /// The stable id, as in findings.md and in reports.
            pub fn id(self) -> &'static str {
                match self { $(Cause::$variant => $id,)* }
            }
            /// The grade of every finding with this cause.
            pub fn severity(self) -> Severity {
                match self { $(Cause::$variant => Severity::$severity,)* }
            }
            /// Who can produce the request.
            pub fn producer(self) -> Producer {
                match self { $(Cause::$variant => Producer::$producer,)* }
            }
            /// What an attacker gets.
            pub fn class(self) -> FlawClass {
                match self { $(Cause::$variant => FlawClass::$class,)* }
            }
        }
    };
}

causes! {
    UnsignedTokenAccepted => ("unsigned-token-accepted", Critical, Anyone, AlgNone),
    ForgedSignatureAccepted => ("forged-signature-accepted", Critical, Anyone, SignatureNotVerified),
    KeyConfusionAccepted => ("key-confusion-accepted", Critical, Anyone, KeyConfusion),
    EmbeddedKeyAccepted => ("embedded-key-accepted", Critical, Anyone, EmbeddedKeyTrusted),
    KidInjectionAccepted => ("kid-injection-accepted", Critical, Anyone, KidInjection),
    KeySetOutageAcceptsForged => ("key-set-outage-accepts-forged", Critical, Anyone, JwksOutage),
    NoTokenAccepted => ("no-token-accepted", Critical, Anyone, SignatureNotVerified),
    ExpiredTokenAccepted => ("expired-token-accepted", High, TokenHolder, ExpiredAccepted),
    ForeignAudienceAccepted => ("foreign-audience-accepted", High, TokenHolder, AudienceNotChecked),
    ForeignIssuerAccepted => ("foreign-issuer-accepted", High, TokenHolder, IssuerNotChecked),
    TokenInUrlAccepted => ("token-in-url-accepted", High, TokenHolder, TokenInUrl),
    ServerError => ("server-error", High, Anyone, ServerError),
    RevokedSessionMintsTokens => ("revoked-session-mints-tokens", High, TokenHolder, AuthServer),
    SecretInErrorBody => ("secret-in-error-body", High, Anyone, Leak),
    AttackerUrlFetched => ("attacker-url-fetched", High, Anyone, Ssrf),
    CorsGrantWithCookie => ("cors-foreign-origin-granted-cookie", High, Anyone, Cors),
    MissingClaimAccepted => ("missing-claim-accepted", Medium, Issuer, ClaimNotRequired),
    NotYetValidAccepted => ("not-yet-valid-accepted", Medium, Issuer, NotYetValidAccepted),
    TokenInCookieAccepted => ("token-in-cookie-accepted", Medium, TokenHolder, TokenPlacement),
    InternalsInErrorBody => ("internals-in-error-body", Medium, Anyone, Leak),
    ClaimReflected => ("claim-reflected", Medium, Anyone, Leak),
    CorsGrant => ("cors-foreign-origin-granted", Medium, Anyone, Cors),
    RetiredKeyAccepted => ("retired-key-accepted", Medium, Issuer, KeyRetirement),
    KeySetFetchAmplification => ("key-set-fetch-amplification", Medium, Anyone, JwksFetchAmplification),
    KeySetOutageServerError => ("key-set-outage-server-error", Medium, Anyone, JwksOutage),
    SlowAnswer => ("slow-answer-to-attacker-input", Medium, Anyone, DenialOfService),
    RevocationLagExceeded => ("revocation-lag-exceeded", Medium, TokenHolder, RevocationLag),
    ReencodedTokenAccepted => ("reencoded-token-accepted", Low, TokenHolder, Encoding),
    TokenInBodyAccepted => ("token-in-body-accepted", Low, TokenHolder, TokenPlacement),
    AmbiguousAuthorizationAccepted => ("ambiguous-authorization-accepted", Low, TokenHolder, TokenPlacement),
    ServerErrorOnIssuerContent => ("server-error-on-issuer-content", Low, Issuer, ServerError),
    NewKeyNotAdopted => ("new-key-not-adopted", Low, Issuer, KeyAdoption),
    KeySetOutageNoRecovery => ("key-set-outage-no-recovery", Low, Issuer, JwksOutage),
    ContractDeviation => ("contract-deviation", Low, Anyone, Contract),
    ChallengeDeviation => ("challenge-deviation", Low, Anyone, Contract),
    CorsDeviation => ("cors-deviation", Low, Anyone, Contract),
    RefusalStatusDiffers => ("refusal-status-differs", Info, Anyone, Contract),
    ExpiredWithinSkew => ("expired-within-skew", Info, TokenHolder, Strictness),
    NotYetValidWithinSkew => ("not-yet-valid-within-skew", Info, Issuer, Strictness),
    FutureIatAccepted => ("future-iat-accepted", Info, Issuer, Strictness),
    IssuerOnlyContentAccepted => ("issuer-only-content-accepted", Info, Issuer, Strictness),
    DuplicateAuthorizationAccepted => ("duplicate-authorization-accepted", Info, TokenHolder, Strictness),
    RevokedTokenAccepted => ("revoked-token-accepted", Info, TokenHolder, RevocationLag),
    ValidTokenRefused => ("valid-token-refused", Info, TokenHolder, Strictness),
}

impl Cause {
    /// The cause with this id.
    pub fn from_id(id: &str) -> Option<Cause> {
        Cause::ALL.iter().copied().find(|c| c.id() == id)
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.id())
    }
}

/// How far past `exp` (or before `nbf`) an accepted token may be before it is more than clock
/// skew: 5 minutes, above every library default but jwt-simple's 15 minutes.
pub const SKEW_TOLERANCE_SECS: i64 = 300;

const TEN_YEARS_SECS: f64 = 10.0 * 365.25 * 86_400.0;

/// True when a JSON text repeats a member name in any object (scanned, not parsed: the text
/// may be something only a lenient parser reads).
fn has_duplicate_members(bytes: &[u8]) -> bool {
    matches!(
        crate::strict_json::parse_object(bytes, 64),
        Err(crate::strict_json::JsonError::DuplicateMember { .. })
    )
}

/// Decides the cause of an acceptance from what was sent and the issuer's published keys.
pub struct Grader<'a> {
    /// The issuer's published (public) keys.
    pub keys: &'a KeySet,
    /// The reference validator with the target's policy.
    pub validator: &'a Validator,
    /// The time the request was judged at.
    pub now: i64,
}

/// A credential taken apart leniently: the pieces a lenient library might read.
struct Lenient {
    header: Option<Map<String, Value>>,
    claims: Option<Map<String, Value>>,
    /// The canonical compact form of the three segments (strict base64url of the decoded bytes).
    canonical: Option<String>,
    /// The issuer's key verified the signature (over the segments as sent or canonical).
    issuer_signed: bool,
    alg: Option<String>,
    signature: Vec<u8>,
    /// The claims JSON repeats a member name (content Better Auth never signs).
    duplicate_claims: bool,
}

const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// Decodes what a lenient base64url decoder would: padding, the standard alphabet and
/// whitespace tolerated, trailing bits ignored.
fn lenient_decode(segment: &str) -> Option<Vec<u8>> {
    let cleaned: String = segment
        .chars()
        .filter(|c| !c.is_ascii_whitespace() && *c != '=')
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            c => c,
        })
        .collect();
    LENIENT.decode(cleaned.as_bytes()).ok()
}

/// Parses a JSON object the way a lenient library does: a byte-order mark and whitespace before
/// it ignored, duplicate members last-wins, lone UTF-16 surrogate escapes read as U+FFFD.
fn lenient_object(bytes: &[u8]) -> Option<Map<String, Value>> {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim_start_matches('\u{feff}').trim();
    if let Ok(map) = serde_json::from_str(text) {
        return Some(map);
    }
    // `\uD800`–`\uDFFF` escapes serde_json refuses when unpaired; a lenient parser keeps going.
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("\\u") {
        out.push_str(&rest[..i]);
        let escape = rest.get(i..i + 6).unwrap_or(&rest[i..]);
        let surrogate = escape.len() == 6
            && u16::from_str_radix(&escape[2..], 16).is_ok_and(|u| (0xD800..0xE000).contains(&u));
        out.push_str(if surrogate { "\\ufffd" } else { escape });
        rest = &rest[i + escape.len()..];
    }
    out.push_str(rest);
    serde_json::from_str(&out).ok()
}

/// Every asymmetric algorithm a key of this family signs with.
fn algorithms_of(family: KeyFamily) -> &'static [Algorithm] {
    match family {
        KeyFamily::Ed25519 => &[Algorithm::EdDSA],
        KeyFamily::Ec(crate::algorithm::Curve::P256) => &[Algorithm::ES256],
        KeyFamily::Ec(crate::algorithm::Curve::P384) => &[Algorithm::ES384],
        KeyFamily::Ec(crate::algorithm::Curve::P521) => &[Algorithm::ES512],
        KeyFamily::Rsa => &[
            Algorithm::RS256,
            Algorithm::RS384,
            Algorithm::RS512,
            Algorithm::PS256,
            Algorithm::PS384,
            Algorithm::PS512,
        ],
        KeyFamily::Hmac => &[],
    }
}

/// The length of a signature by this key family for `alg`, when it is fixed.
fn signature_len(keys: &KeySet, family: KeyFamily) -> Vec<usize> {
    keys.keys()
        .iter()
        .filter(|k| k.family() == family)
        .filter_map(|k| match k.family() {
            KeyFamily::Ed25519 => Some(64),
            KeyFamily::Ec(curve) => Some(2 * curve.coordinate_len()),
            KeyFamily::Rsa => k.material().rsa_bits().map(|bits| bits.div_ceil(8)),
            KeyFamily::Hmac => None,
        })
        .collect()
}

impl Grader<'_> {
    fn take_apart(&self, credential: &[u8]) -> Lenient {
        let text = String::from_utf8_lossy(credential);
        let text = text.trim();
        let mut parts = text.split('.');
        let (Some(h), Some(p), Some(s)) = (parts.next(), parts.next(), parts.next()) else {
            return Lenient {
                header: None,
                claims: None,
                canonical: None,
                issuer_signed: false,
                alg: None,
                signature: Vec::new(),
                duplicate_claims: false,
            };
        };
        // What follows the signature's base64 characters (a NUL, `%00junk`) is ignored by the
        // parsers that accept it; whitespace inside is skipped by lenient decoders.
        let s_end = s
            .find(|c: char| {
                !(c.is_ascii_alphanumeric() || "-_+/=".contains(c) || c.is_ascii_whitespace())
            })
            .unwrap_or(s.len());
        let s = &s[..s_end];
        let header_bytes = lenient_decode(h);
        let claims_bytes = lenient_decode(p);
        let signature = lenient_decode(s).unwrap_or_default();
        let header = header_bytes.as_deref().and_then(lenient_object);
        let claims = claims_bytes.as_deref().and_then(lenient_object);
        let alg = header
            .as_ref()
            .and_then(|h| h.get("alg"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        let canonical = match (&header_bytes, &claims_bytes) {
            (Some(hb), Some(pb)) => Some(format!(
                "{}.{}.{}",
                crate::base64url::encode(hb),
                crate::base64url::encode(pb),
                crate::base64url::encode(&signature)
            )),
            _ => None,
        };
        // Signed with the issuer's key, whatever the header says: only the issuer holds it. The
        // signature over the segments as sent, over their canonical form (for libraries that
        // re-encode), or over the raw payload (RFC 7797 `b64: false`); a valid signature with
        // bytes appended still counts (its fixed-length prefix).
        let mut messages: Vec<Vec<u8>> = vec![format!("{h}.{p}").into_bytes()];
        if let Some(c) = &canonical {
            if let Some((input, _)) = c.rsplit_once('.') {
                messages.push(input.as_bytes().to_vec());
            }
        }
        if let Some(raw) = &claims_bytes {
            let mut m = format!("{h}.").into_bytes();
            m.extend_from_slice(raw);
            messages.push(m);
        }
        let mut verified_signature = None;
        'keys: for k in self.keys.keys() {
            let mut signatures = vec![signature.clone()];
            for len in signature_len(self.keys, k.family()) {
                if signature.len() > len {
                    signatures.push(signature[..len].to_vec());
                }
            }
            for alg in algorithms_of(k.family()) {
                for m in &messages {
                    if let Some(sig) = signatures
                        .iter()
                        .find(|sig| k.material().verify(*alg, m, sig))
                    {
                        verified_signature = Some(sig.clone());
                        break 'keys;
                    }
                }
            }
        }
        let issuer_signed = verified_signature.is_some();
        // The canonical form carries the signature that verified (without appended bytes).
        let canonical = match (&header_bytes, &claims_bytes, &verified_signature) {
            (Some(hb), Some(pb), Some(sig)) => Some(format!(
                "{}.{}.{}",
                crate::base64url::encode(hb),
                crate::base64url::encode(pb),
                crate::base64url::encode(sig)
            )),
            _ => canonical,
        };
        let duplicate_claims = claims_bytes.as_deref().is_some_and(has_duplicate_members);
        Lenient {
            header,
            claims,
            canonical,
            issuer_signed,
            alg,
            signature,
            duplicate_claims,
        }
    }

    /// Whether the reference accepts this credential on its own.
    pub fn valid(&self, credential: &[u8]) -> bool {
        self.validator
            .validate(credential, self.keys, &FixedClock(self.now))
            .is_ok()
    }

    /// Who could have produced this credential.
    pub fn producer(&self, credential: &[u8]) -> Producer {
        let parts = self.take_apart(credential);
        if !parts.issuer_signed {
            return Producer::Anyone;
        }
        match self.issuer_signed_cause(&parts) {
            c if c.producer() == Producer::Issuer => Producer::Issuer,
            _ => Producer::TokenHolder,
        }
    }

    /// The cause of a 5xx for this credential: high when anyone can trigger it.
    pub fn server_error(&self, credential: Option<&[u8]>) -> Cause {
        match credential.map(|c| self.producer(c)) {
            Some(Producer::Issuer) => Cause::ServerErrorOnIssuerContent,
            _ => Cause::ServerError,
        }
    }

    /// The cause of an acceptance of `credential` (as delivered) that the reference refuses.
    pub fn acceptance(&self, credential: &[u8]) -> Cause {
        let parts = self.take_apart(credential);
        if parts.issuer_signed {
            return self.issuer_signed_cause(&parts);
        }
        self.forged_cause(&parts)
    }

    fn issuer_signed_cause(&self, parts: &Lenient) -> Cause {
        // Which of two same-named members a library reads is its own business (RFC 7515 §4):
        // only the issuer can sign such claims.
        if parts.duplicate_claims {
            return Cause::IssuerOnlyContentAccepted;
        }
        // Claims no JSON reading makes sense of: content only the issuer could sign.
        let problems = parts
            .claims
            .as_ref()
            .map(|c| claim_problems(c, self.validator, self.now))
            .unwrap_or_else(|| vec![Cause::IssuerOnlyContentAccepted]);
        if let Some(worst) = problems.into_iter().max_by_key(|c| c.severity()) {
            return worst;
        }
        let canonical_valid = parts
            .canonical
            .as_deref()
            .is_some_and(|c| self.valid(c.as_bytes()));
        if canonical_valid {
            Cause::ReencodedTokenAccepted
        } else {
            Cause::IssuerOnlyContentAccepted
        }
    }

    fn forged_cause(&self, parts: &Lenient) -> Cause {
        let Some(header) = &parts.header else {
            return Cause::ForgedSignatureAccepted;
        };
        let alg = parts.alg.as_deref().unwrap_or_default();
        if alg.eq_ignore_ascii_case("none")
            || (header.get("alg").is_none() && parts.signature.is_empty())
        {
            return Cause::UnsignedTokenAccepted;
        }
        if ["jwk", "jku", "x5u", "x5c"]
            .iter()
            .any(|m| header.contains_key(*m))
        {
            return Cause::EmbeddedKeyAccepted;
        }
        let hmac = Algorithm::from_name(alg).filter(|a| a.is_symmetric());
        if let Some(hs) = hmac {
            let input = parts
                .canonical
                .as_deref()
                .and_then(|c| c.rsplit_once('.'))
                .map(|(i, _)| i.to_owned())
                .unwrap_or_default();
            if self.public_key_secret_verifies(hs, input.as_bytes(), &parts.signature) {
                return Cause::KeyConfusionAccepted;
            }
            let kid = header.get("kid").map(|k| match k {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            });
            if kid.is_some_and(|k| looks_injected(&k)) {
                return Cause::KidInjectionAccepted;
            }
        }
        Cause::ForgedSignatureAccepted
    }

    /// True when an HMAC keyed with one of the issuer's public keys, in any encoding a key
    /// confusion attack uses, produces `signature`.
    fn public_key_secret_verifies(&self, alg: Algorithm, input: &[u8], signature: &[u8]) -> bool {
        use crate::dangerous::forge::encodings::PublicKeyParts;
        self.keys.keys().iter().any(|k| {
            let Some(parts) = PublicKeyParts::from_jwk(k.jwk()) else {
                return false;
            };
            parts.all_encodings(k.jwk()).into_iter().any(|(_, secret)| {
                crate::jwk::Key::from_hmac_secret(None, &secret)
                    .is_ok_and(|key| key.material().verify(alg, input, signature))
            })
        })
    }
}

/// True for a `kid` that reads like an injection: a path, SQL, a shell or template expression.
fn looks_injected(kid: &str) -> bool {
    [
        "..", "/", "\\", "'", "\"", ";", "|", "$(", "`", "{{", "${", "\0", "%00", "*)",
    ]
    .iter()
    .any(|m| kid.contains(m))
}

/// What is wrong with an issuer-signed token's claims, each as the cause its acceptance has.
fn claim_problems(claims: &Map<String, Value>, validator: &Validator, now: i64) -> Vec<Cause> {
    let policy = validator.policy();
    let leeway = policy.leeway_secs as i64;
    let mut problems = Vec::new();
    let number = |name: &str| claims.get(name).and_then(Value::as_f64);
    match claims.get("exp") {
        None => problems.push(Cause::MissingClaimAccepted),
        Some(_) => match number("exp") {
            // A token that expired in the normal course: within the last ten years.
            Some(exp)
                if (now as f64) > exp + SKEW_TOLERANCE_SECS as f64
                    && (now as f64) - exp < TEN_YEARS_SECS =>
            {
                problems.push(Cause::ExpiredTokenAccepted)
            }
            // exp 0, negative, decades ago: a value no issuer gives a real token.
            Some(exp) if (now as f64) > exp + SKEW_TOLERANCE_SECS as f64 => {
                problems.push(Cause::IssuerOnlyContentAccepted)
            }
            Some(exp) if (now as f64) >= exp + leeway as f64 => {
                problems.push(Cause::ExpiredWithinSkew)
            }
            Some(_) => {}
            None => problems.push(Cause::IssuerOnlyContentAccepted),
        },
    }
    if claims.contains_key("nbf") {
        match number("nbf") {
            Some(nbf) if nbf > (now + SKEW_TOLERANCE_SECS) as f64 => {
                problems.push(Cause::NotYetValidAccepted)
            }
            Some(nbf) if nbf > (now + leeway) as f64 => problems.push(Cause::NotYetValidWithinSkew),
            Some(_) => {}
            None => problems.push(Cause::IssuerOnlyContentAccepted),
        }
    }
    if let Some(iat) = claims.get("iat") {
        match iat.as_f64() {
            Some(iat) if iat > (now + leeway) as f64 => problems.push(Cause::FutureIatAccepted),
            Some(_) => {}
            None => problems.push(Cause::IssuerOnlyContentAccepted),
        }
    }
    match claims.get("iss") {
        None => problems.push(Cause::MissingClaimAccepted),
        Some(Value::String(iss)) if *iss != policy.issuer => {
            problems.push(Cause::ForeignIssuerAccepted)
        }
        Some(Value::String(_)) => {}
        Some(_) => problems.push(Cause::IssuerOnlyContentAccepted),
    }
    match claims.get("aud") {
        None => problems.push(Cause::MissingClaimAccepted),
        Some(Value::String(aud)) if *aud != policy.audience => {
            problems.push(Cause::ForeignAudienceAccepted)
        }
        Some(Value::String(_)) => {}
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => {
            if !items.iter().any(|a| a.as_str() == Some(&policy.audience)) {
                problems.push(Cause::ForeignAudienceAccepted)
            }
        }
        Some(_) => problems.push(Cause::IssuerOnlyContentAccepted),
    }
    problems
}

/// A grade with everything a report says about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grading {
    pub cause: Cause,
    pub confidence: Confidence,
}

impl Grading {
    pub fn new(cause: Cause, confidence: Confidence) -> Grading {
        Grading { cause, confidence }
    }
    pub fn severity(self) -> Severity {
        self.cause.severity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grades_order_and_parse() {
        assert!(Severity::Critical > Severity::High);
        assert!(Severity::Low > Severity::Info);
        for g in Severity::ALL {
            assert_eq!(g.name().parse::<Severity>().unwrap(), g);
        }
        assert!("severe".parse::<Severity>().is_err());
    }

    #[test]
    fn cause_ids_are_unique_and_round_trip() {
        let mut ids: Vec<&str> = Cause::ALL.iter().map(|c| c.id()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), Cause::ALL.len());
        for c in Cause::ALL {
            assert_eq!(Cause::from_id(c.id()), Some(*c));
        }
    }

    #[test]
    fn lenient_decoding_reads_what_lenient_libraries_read() {
        assert_eq!(lenient_decode("YWI=").unwrap(), b"ab");
        assert_eq!(lenient_decode("YWJ").unwrap(), b"ab");
        assert_eq!(
            lenient_decode("-_8").unwrap(),
            lenient_decode("+/8").unwrap()
        );
        assert!(looks_injected("../../dev/null"));
        assert!(!looks_injected("9ZHISRHLZOGgDM49uIO1nLHxhG8q1pBH"));
    }
}
