//! The reference validator: a compact JWS in, verified claims or one [`Rejection`] out.
//!
//! The checks run in the order that specs/002-auth-security-integration/spec.md §4 fixes, and
//! the first failure decides the verdict: structure, then header rules, then the algorithm, the
//! key and the signature, and only then the claims. So an expired token with a bad signature is
//! an `INVALID_SIGNATURE`, never a `TOKEN_EXPIRED` (RFC 8725 §3.1; CVE-2024-51744), and a token
//! that fails to parse never reaches a key-set lookup. Every [`RejectionKind`] maps to exactly
//! one code of the error contract.

pub mod batch;
mod claims;
mod clock;
mod policy;

pub use claims::{Claim, ClaimSet, Registered};
pub use clock::{Clock, FixedClock, SystemClock};
pub use policy::{
    Policy, DEFAULT_LEEWAY_SECS, FORBIDDEN_HEADER_PARAMETERS, REGISTERED_HEADER_PARAMETERS,
};

use crate::algorithm::Algorithm;
use crate::contract::ErrorCode;
#[cfg(feature = "remote-jwks")]
use crate::jwk::remote::RemoteKeySet;
use crate::jwk::{KeySet, SelectError};
use crate::strict_json::{self, Borrowed, Members};
use crate::token::Token;
use serde_json::{Map, Value};
use std::fmt;
use std::sync::OnceLock;

/// The kinds of rejection the validator produces; one per contract code it can yield.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RejectionKind {
    MalformedToken,
    ForbiddenHeaderParameter,
    InvalidTokenType,
    AlgorithmNotAllowed,
    UnknownKeyId,
    KeySetUnavailable,
    InvalidSignature,
    InvalidClaim,
    TokenIssuedInFuture,
    TokenNotYetValid,
    TokenExpired,
    TokenLifetimeExceeded,
    InvalidIssuer,
    InvalidAudience,
}

impl RejectionKind {
    /// Every kind, in check order.
    pub const ALL: [RejectionKind; 14] = [
        RejectionKind::MalformedToken,
        RejectionKind::ForbiddenHeaderParameter,
        RejectionKind::InvalidTokenType,
        RejectionKind::AlgorithmNotAllowed,
        RejectionKind::UnknownKeyId,
        RejectionKind::KeySetUnavailable,
        RejectionKind::InvalidSignature,
        RejectionKind::InvalidClaim,
        RejectionKind::TokenIssuedInFuture,
        RejectionKind::TokenNotYetValid,
        RejectionKind::TokenExpired,
        RejectionKind::TokenLifetimeExceeded,
        RejectionKind::InvalidIssuer,
        RejectionKind::InvalidAudience,
    ];

    /// The error-contract code of this kind.
    pub fn code(self) -> ErrorCode {
        match self {
            RejectionKind::MalformedToken => ErrorCode::MalformedToken,
            RejectionKind::ForbiddenHeaderParameter => ErrorCode::ForbiddenHeaderParameter,
            RejectionKind::InvalidTokenType => ErrorCode::InvalidTokenType,
            RejectionKind::AlgorithmNotAllowed => ErrorCode::AlgorithmNotAllowed,
            RejectionKind::UnknownKeyId => ErrorCode::UnknownKeyId,
            RejectionKind::KeySetUnavailable => ErrorCode::KeySetUnavailable,
            RejectionKind::InvalidSignature => ErrorCode::InvalidSignature,
            RejectionKind::InvalidClaim => ErrorCode::InvalidClaim,
            RejectionKind::TokenIssuedInFuture => ErrorCode::TokenIssuedInFuture,
            RejectionKind::TokenNotYetValid => ErrorCode::TokenNotYetValid,
            RejectionKind::TokenExpired => ErrorCode::TokenExpired,
            RejectionKind::TokenLifetimeExceeded => ErrorCode::TokenLifetimeExceeded,
            RejectionKind::InvalidIssuer => ErrorCode::InvalidIssuer,
            RejectionKind::InvalidAudience => ErrorCode::InvalidAudience,
        }
    }
}

/// A refused token: the kind (which fixes the contract code) and a detail for logs and the CLI.
/// The detail may quote attacker-controlled header values (escaped); it is never sent in an
/// HTTP error body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub kind: RejectionKind,
    pub detail: String,
}

impl Rejection {
    pub fn new(kind: RejectionKind, detail: impl Into<String>) -> Rejection {
        Rejection {
            kind,
            detail: detail.into(),
        }
    }
    /// The contract code.
    pub fn code(&self) -> ErrorCode {
        self.kind.code()
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code(), self.detail)
    }
}

impl std::error::Error for Rejection {}

/// A JWS whose header rules, algorithm, key and signature all checked out.
#[derive(Debug, Clone)]
pub struct VerifiedJws {
    pub token: Token,
    pub alg: Algorithm,
    pub kid: Option<String>,
}

/// An accepted JWT: its verified header and claims.
///
/// The header and claims were parsed and checked strictly during validation without building
/// owned maps; [`Verified::header`] and [`Verified::claims`] build them from the verified bytes
/// the first time they are asked for.
#[derive(Debug, Clone)]
pub struct Verified {
    pub alg: Algorithm,
    pub kid: Option<String>,
    header_json: Vec<u8>,
    payload: Vec<u8>,
    max_json_depth: usize,
    header: OnceLock<Map<String, Value>>,
    claims: OnceLock<Map<String, Value>>,
}

impl Verified {
    fn new(alg: Algorithm, kid: Option<String>, token: Token, max_json_depth: usize) -> Verified {
        let (header_json, payload) = token.into_header_and_payload();
        Verified {
            alg,
            kid,
            header_json,
            payload,
            max_json_depth,
            header: OnceLock::new(),
            claims: OnceLock::new(),
        }
    }

    /// The verified protected header, in document order.
    pub fn header(&self) -> &Map<String, Value> {
        self.header
            .get_or_init(|| owned_object(&self.header_json, self.max_json_depth))
    }

    /// The verified claims set, in document order.
    pub fn claims(&self) -> &Map<String, Value> {
        self.claims
            .get_or_init(|| owned_object(&self.payload, self.max_json_depth))
    }

    /// The verified claims set, owned.
    pub fn into_claims(mut self) -> Map<String, Value> {
        self.claims();
        self.claims.take().unwrap_or_default()
    }

    /// The verified payload bytes (the claims JSON exactly as signed).
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }
}

/// The owned map of bytes that passed the same strict parse during validation, so it cannot
/// fail here; if strict_json ever disagreed with itself, an empty map is the safe answer.
fn owned_object(bytes: &[u8], max_json_depth: usize) -> Map<String, Value> {
    strict_json::parse_object(bytes, max_json_depth).unwrap_or_default()
}

/// The verdict of the header checks: the algorithm and the `kid`, or the rejection.
type HeaderVerdict = Result<(Algorithm, Option<String>), Rejection>;

/// The outcome of validating a JWT.
pub type Verdict = Result<Verified, Rejection>;

/// The reference validator for one [`Policy`].
#[derive(Debug, Clone)]
pub struct Validator {
    policy: Policy,
}

impl Validator {
    pub fn new(policy: Policy) -> Validator {
        Validator { policy }
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Validates a JWT against a key set at the clock's time.
    pub fn validate(&self, token: &[u8], keys: &KeySet, clock: &dyn Clock) -> Verdict {
        let (token, header) = self.parse_token(token)?;
        let claims = self.scan_claims(&token)?;
        let (alg, kid) = header?;
        self.verify_signature(&token, alg, kid.as_deref(), keys)?;
        claims::check(&self.policy, &claims, clock.now())?;
        drop(claims);
        Ok(self.accepted(alg, kid, token))
    }

    /// Validates a JWT against a remote key set. Nothing is fetched for a token that fails a
    /// structural or header check; an unknown `kid` causes at most one rate-limited refetch; an
    /// unavailable key set yields `KEY_SET_UNAVAILABLE`, never an acceptance.
    #[cfg(feature = "remote-jwks")]
    pub async fn validate_remote(
        &self,
        token: &[u8],
        keys: &RemoteKeySet,
        clock: &dyn Clock,
    ) -> Verdict {
        let (token, header) = self.parse_token(token)?;
        let claims = self.scan_claims(&token)?;
        let (alg, kid) = header?;
        let unavailable = |e: crate::jwk::remote::RemoteError| {
            Rejection::new(RejectionKind::KeySetUnavailable, e.to_string())
        };
        let mut set = keys.current().await.map_err(unavailable)?;
        if let Some(kid) = &kid {
            if !set.contains_kid(kid) {
                set = keys.refresh_for_unknown_kid().await.map_err(unavailable)?;
            }
        }
        self.verify_signature(&token, alg, kid.as_deref(), &set)?;
        claims::check(&self.policy, &claims, clock.now())?;
        drop(claims);
        Ok(self.accepted(alg, kid, token))
    }

    /// The verdict for a token that passed every check.
    fn accepted(&self, alg: Algorithm, kid: Option<String>, token: Token) -> Verified {
        Verified::new(alg, kid, token, self.policy.limits.max_json_depth)
    }

    /// The verdict when the key set cannot be had: every check that needs no key runs first
    /// (so a malformed token is still MALFORMED_TOKEN), then KEY_SET_UNAVAILABLE — fail closed.
    pub fn validate_without_key_set(&self, token: &[u8], reason: &str) -> Rejection {
        match self.checks_before_keys(token) {
            Err(rejection) => rejection,
            Ok(_) => Rejection::new(RejectionKind::KeySetUnavailable, reason),
        }
    }

    /// Steps 1–9 and the kid requirement: everything decided before a key is looked up.
    pub fn checks_before_keys(
        &self,
        token: &[u8],
    ) -> Result<(Token, Map<String, Value>), Rejection> {
        let (token, claims) = self.parse_jwt(token)?;
        self.check_before_keys(&token.header_members())?;
        Ok((token, claims))
    }

    /// Steps 6–9 and the kid requirement on a parsed token: the algorithm and the `kid`.
    fn check_before_keys(&self, header: &Members<'_>) -> HeaderVerdict {
        let alg = self.check_header_members(header)?;
        let kid = header.get("kid").and_then(Borrowed::as_str);
        if kid.is_none() && self.policy.require_kid {
            return Err(Rejection::new(
                RejectionKind::UnknownKeyId,
                SelectError::KidRequired.to_string(),
            ));
        }
        Ok((alg, kid.map(str::to_owned)))
    }

    /// Steps 13–19: the claim checks, for claims whose signature has been verified.
    pub fn check_claims(&self, claims: &dyn ClaimSet, now: i64) -> Result<(), Rejection> {
        claims::check(&self.policy, claims, now)
    }

    /// Steps 1–5 of the check order: a compact JWS whose payload is a JSON object.
    pub fn parse_jwt(&self, token: &[u8]) -> Result<(Token, Map<String, Value>), Rejection> {
        let token =
            Token::parse_with(token, self.policy.limits).map_err(|e| malformed(&e.to_string()))?;
        let claims = token
            .unverified_claims(self.policy.limits.max_json_depth)
            .map_err(|e| malformed(&e.to_string()))?;
        Ok((token, claims))
    }

    /// Steps 1–4: a compact JWS under the size cap with a strict JSON header; and, read from
    /// the header while it is parsed, the verdict of steps 6–9 (to be used only after step 5).
    fn parse_token(&self, token: &[u8]) -> Result<(Token, HeaderVerdict), Rejection> {
        Token::parse_inspecting(token, self.policy.limits, |header| {
            self.check_before_keys(header)
        })
        .map_err(|e| malformed(&e.to_string()))
    }

    /// Step 5 without building an owned map: the payload is a strict JSON object.
    fn scan_claims<'t>(&self, token: &'t Token) -> Result<Members<'t>, Rejection> {
        strict_json::scan_object(token.payload(), self.policy.limits.max_json_depth).map_err(|e| {
            let e = crate::token::ParseError::Json {
                segment: crate::token::Segment::Payload,
                source: e,
            };
            malformed(&e.to_string())
        })
    }

    /// Verifies a JWS (any payload) without looking at claims: structure, header rules,
    /// algorithm, key selection and binding, and the signature.
    pub fn verify_jws(&self, token: &[u8], keys: &KeySet) -> Result<VerifiedJws, Rejection> {
        let (token, header) = self.parse_token(token)?;
        let (alg, kid) = header?;
        self.verify_signature(&token, alg, kid.as_deref(), keys)?;
        Ok(VerifiedJws { token, alg, kid })
    }

    /// The header checks (steps 6–9): the algorithm the token may be verified with.
    pub fn check_header(&self, token: &Token) -> Result<Algorithm, Rejection> {
        self.check_header_members(&token.header_members())
    }

    /// The header checks on the header's members, read in one pass.
    fn check_header_members(&self, header: &Members<'_>) -> Result<Algorithm, Rejection> {
        let (mut alg, mut kid, mut typ, mut crit) = (None, None, None, None);
        let mut forbidden = false;
        for (name, value) in header.iter() {
            match name {
                "alg" => alg = Some(value),
                "kid" => kid = Some(value),
                "typ" => typ = Some(value),
                "crit" => crit = Some(value),
                _ => forbidden |= FORBIDDEN_HEADER_PARAMETERS.contains(&name),
            }
        }
        let alg = match alg {
            None => return Err(malformed("header has no alg")),
            Some(Borrowed::String(alg)) => alg.as_ref(),
            Some(_) => return Err(malformed("alg is not a string")),
        };
        if matches!(kid, Some(v) if v.as_str().is_none()) {
            return Err(malformed("kid is not a string"));
        }
        if forbidden {
            // Named in the list's order, whatever the header's order.
            let name = FORBIDDEN_HEADER_PARAMETERS
                .iter()
                .find(|name| header.contains_key(name))
                .unwrap_or(&"");
            return Err(Rejection::new(
                RejectionKind::ForbiddenHeaderParameter,
                format!("header parameter {name:?} is not allowed"),
            ));
        }
        if let Some(crit) = crit {
            self.check_crit(header, crit)?;
        }
        match typ {
            None => {}
            Some(Borrowed::String(typ)) if self.policy.accepts_type(typ) => {}
            Some(other) => {
                return Err(Rejection::new(
                    RejectionKind::InvalidTokenType,
                    format!("typ {} is not accepted", other.clone().into_value()),
                ))
            }
        }
        let algorithm = Algorithm::from_name(alg).ok_or_else(|| {
            Rejection::new(
                RejectionKind::AlgorithmNotAllowed,
                format!("alg {alg:?} is not a supported signature algorithm"),
            )
        })?;
        if !self.policy.algorithms.contains(&algorithm) {
            return Err(Rejection::new(
                RejectionKind::AlgorithmNotAllowed,
                format!("alg {algorithm} is not on the allowlist"),
            ));
        }
        Ok(algorithm)
    }

    /// `crit` (RFC 7515 §4.1.11): refused unless every listed extension is understood.
    fn check_crit(&self, header: &Members<'_>, crit: &Borrowed<'_>) -> Result<(), Rejection> {
        let forbidden = |detail: String| {
            Err(Rejection::new(
                RejectionKind::ForbiddenHeaderParameter,
                detail,
            ))
        };
        if self.policy.understood_crit.is_empty() {
            return forbidden("crit is present and no extension is understood".into());
        }
        // A non-empty array of distinct names, none registered, each present in the header and
        // each understood.
        let names = match crit {
            Borrowed::Array(names) if !names.is_empty() => names,
            _ => return forbidden("crit is not a non-empty array".into()),
        };
        let mut seen: Vec<&str> = Vec::with_capacity(names.len());
        for name in names {
            let Some(name) = name.as_str() else {
                return forbidden("crit lists a non-string".into());
            };
            if seen.contains(&name)
                || REGISTERED_HEADER_PARAMETERS.contains(&name)
                || !header.contains_key(name)
                || !self.policy.understood_crit.iter().any(|u| u == name)
            {
                return forbidden(format!("crit entry {name:?} is not acceptable"));
            }
            seen.push(name);
        }
        Ok(())
    }

    /// Steps 10–12: key selection and binding, and the signature.
    fn verify_signature(
        &self,
        token: &Token,
        alg: Algorithm,
        kid: Option<&str>,
        keys: &KeySet,
    ) -> Result<(), Rejection> {
        let key = keys
            .select(kid, alg)
            .map_err(|e| Rejection::new(RejectionKind::UnknownKeyId, e.to_string()))?;
        key.check_binding(alg)
            .map_err(|e| Rejection::new(RejectionKind::AlgorithmNotAllowed, e.to_string()))?;
        if !key.verify(alg, token.signing_input(), token.signature()) {
            return Err(Rejection::new(
                RejectionKind::InvalidSignature,
                format!("{alg} signature does not verify"),
            ));
        }
        Ok(())
    }
}

fn malformed(detail: &str) -> Rejection {
    Rejection::new(RejectionKind::MalformedToken, detail)
}
