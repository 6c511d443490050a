//! The error contract of specs/002-auth-security-integration/contracts/errors.md, as code.
//!
//! Each [`ErrorCode`] carries its HTTP status, RFC 6750 error, fixed description and
//! `WWW-Authenticate` challenge. `tests/contract_table.rs` parses errors.md and fails if any row
//! and this module disagree, so the table stays the single source of truth. [`challenge`] judges
//! a refusal's challenge against its row; [`cors`] judges CORS answers against
//! contracts/http-api.md §2.4.

pub mod challenge;
pub mod cors;

use serde_json::json;
use std::fmt;
use std::str::FromStr;

/// One row of the error contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ErrorCode {
    MissingToken,
    MalformedAuthorization,
    MalformedToken,
    InvalidSignature,
    AlgorithmNotAllowed,
    UnknownKeyId,
    ForbiddenHeaderParameter,
    InvalidTokenType,
    TokenExpired,
    TokenNotYetValid,
    TokenIssuedInFuture,
    TokenLifetimeExceeded,
    InvalidIssuer,
    InvalidAudience,
    InvalidClaim,
    KeySetUnavailable,
    InsufficientScope,
    RateLimited,
}

impl ErrorCode {
    /// Every code, in the table's order.
    pub const ALL: [ErrorCode; 18] = [
        ErrorCode::MissingToken,
        ErrorCode::MalformedAuthorization,
        ErrorCode::MalformedToken,
        ErrorCode::InvalidSignature,
        ErrorCode::AlgorithmNotAllowed,
        ErrorCode::UnknownKeyId,
        ErrorCode::ForbiddenHeaderParameter,
        ErrorCode::InvalidTokenType,
        ErrorCode::TokenExpired,
        ErrorCode::TokenNotYetValid,
        ErrorCode::TokenIssuedInFuture,
        ErrorCode::TokenLifetimeExceeded,
        ErrorCode::InvalidIssuer,
        ErrorCode::InvalidAudience,
        ErrorCode::InvalidClaim,
        ErrorCode::KeySetUnavailable,
        ErrorCode::InsufficientScope,
        ErrorCode::RateLimited,
    ];

    /// The UPPER_SNAKE code.
    pub fn as_str(self) -> &'static str {
        self.row().0
    }
    /// The HTTP status.
    pub fn status(self) -> u16 {
        self.row().1
    }
    /// The body's `error` member (the RFC 6750 error where there is one).
    pub fn error(self) -> &'static str {
        self.row().2
    }
    /// The body's fixed `error_description`.
    pub fn description(self) -> &'static str {
        self.row().3
    }

    /// (code, status, error, description) — the table row.
    fn row(self) -> (&'static str, u16, &'static str, &'static str) {
        match self {
            ErrorCode::MissingToken => (
                "MISSING_TOKEN",
                401,
                "unauthorized",
                "bearer token required",
            ),
            ErrorCode::MalformedAuthorization => (
                "MALFORMED_AUTHORIZATION",
                400,
                "invalid_request",
                "malformed bearer credentials",
            ),
            ErrorCode::MalformedToken => {
                ("MALFORMED_TOKEN", 401, "invalid_token", "malformed token")
            }
            ErrorCode::InvalidSignature => (
                "INVALID_SIGNATURE",
                401,
                "invalid_token",
                "signature verification failed",
            ),
            ErrorCode::AlgorithmNotAllowed => (
                "ALGORITHM_NOT_ALLOWED",
                401,
                "invalid_token",
                "algorithm not allowed",
            ),
            ErrorCode::UnknownKeyId => (
                "UNKNOWN_KEY_ID",
                401,
                "invalid_token",
                "unknown signing key",
            ),
            ErrorCode::ForbiddenHeaderParameter => (
                "FORBIDDEN_HEADER_PARAMETER",
                401,
                "invalid_token",
                "forbidden header parameter",
            ),
            ErrorCode::InvalidTokenType => (
                "INVALID_TOKEN_TYPE",
                401,
                "invalid_token",
                "invalid token type",
            ),
            ErrorCode::TokenExpired => ("TOKEN_EXPIRED", 401, "invalid_token", "token expired"),
            ErrorCode::TokenNotYetValid => (
                "TOKEN_NOT_YET_VALID",
                401,
                "invalid_token",
                "token not yet valid",
            ),
            ErrorCode::TokenIssuedInFuture => (
                "TOKEN_ISSUED_IN_FUTURE",
                401,
                "invalid_token",
                "token issued in the future",
            ),
            ErrorCode::TokenLifetimeExceeded => (
                "TOKEN_LIFETIME_EXCEEDED",
                401,
                "invalid_token",
                "token lifetime exceeded",
            ),
            ErrorCode::InvalidIssuer => ("INVALID_ISSUER", 401, "invalid_token", "invalid issuer"),
            ErrorCode::InvalidAudience => {
                ("INVALID_AUDIENCE", 401, "invalid_token", "invalid audience")
            }
            ErrorCode::InvalidClaim => (
                "INVALID_CLAIM",
                401,
                "invalid_token",
                "missing or invalid claim",
            ),
            ErrorCode::KeySetUnavailable => (
                "KEY_SET_UNAVAILABLE",
                503,
                "temporarily_unavailable",
                "key set unavailable",
            ),
            ErrorCode::InsufficientScope => (
                "INSUFFICIENT_SCOPE",
                403,
                "insufficient_scope",
                "insufficient scope",
            ),
            ErrorCode::RateLimited => ("RATE_LIMITED", 429, "rate_limited", "too many requests"),
        }
    }

    /// The `WWW-Authenticate` value for `realm`, or `None` where the row has no challenge.
    /// `realm` is emitted as a quoted-string; quotes and backslashes in it are escaped.
    pub fn www_authenticate(self, realm: &str) -> Option<String> {
        let realm = quote(realm);
        match self {
            ErrorCode::KeySetUnavailable | ErrorCode::RateLimited => None,
            ErrorCode::MissingToken => Some(format!("Bearer realm={realm}")),
            _ => Some(format!(
                "Bearer realm={realm}, error=\"{}\", error_description=\"{}\"",
                self.error(),
                self.description()
            )),
        }
    }

    /// The JSON error body: exactly `error`, `error_description` and `code`.
    pub fn body(self) -> serde_json::Value {
        json!({
            "error": self.error(),
            "error_description": self.description(),
            "code": self.as_str(),
        })
    }

    /// The whole HTTP error response of this row.
    pub fn response(self, realm: &str) -> ErrorResponse {
        let mut headers = vec![
            ("content-type", "application/json".to_owned()),
            ("cache-control", "no-store".to_owned()),
        ];
        if let Some(challenge) = self.www_authenticate(realm) {
            headers.push(("www-authenticate", challenge));
        }
        ErrorResponse {
            code: self,
            status: self.status(),
            headers,
            body: self.body().to_string(),
        }
    }
}

fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for ErrorCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A string that is not a contract code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a code of the error contract")]
pub struct UnknownCode(pub String);

impl FromStr for ErrorCode {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ErrorCode::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| UnknownCode(s.to_owned()))
    }
}

/// A complete error response: status, headers and the JSON body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorResponse {
    pub code: ErrorCode,
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

/// Extracts the bearer token from the request's `Authorization` header values (RFC 6750 §2.1).
///
/// No header, or a scheme other than `Bearer` (case-insensitive): `MISSING_TOKEN`. Several
/// headers, empty credentials, several credentials or characters outside the b64token grammar:
/// `MALFORMED_AUTHORIZATION`.
pub fn bearer_token<'a>(authorization: &[&'a [u8]]) -> Result<&'a [u8], ErrorCode> {
    let value = match authorization {
        [] => return Err(ErrorCode::MissingToken),
        [one] => trim_ows(one),
        _ => return Err(ErrorCode::MalformedAuthorization),
    };
    let (scheme, rest) = match value.iter().position(|b| *b == b' ') {
        Some(i) => (&value[..i], &value[i..]),
        None => (value, &value[value.len()..]),
    };
    if !scheme.eq_ignore_ascii_case(b"bearer") {
        return Err(ErrorCode::MissingToken);
    }
    let credentials = trim_ows(rest);
    if credentials.is_empty() || !is_b64token(credentials) {
        return Err(ErrorCode::MalformedAuthorization);
    }
    Ok(credentials)
}

fn trim_ows(mut v: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = v {
        v = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = v {
        v = rest;
    }
    v
}

/// `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`
fn is_b64token(v: &[u8]) -> bool {
    let body_end = v.iter().rposition(|b| *b != b'=').map_or(0, |i| i + 1);
    // RFC 6750 §2.1 b64token characters, as a table: tokens of a megabyte are checked here.
    const B64TOKEN: [bool; 256] = {
        let mut table = [false; 256];
        let mut i = 0;
        while i < 256 {
            let b = i as u8;
            table[i] =
                b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/');
            i += 1;
        }
        table
    };
    body_end > 0 && v[..body_end].iter().all(|b| B64TOKEN[usize::from(*b)])
}

/// Checks that the space-separated `scope` claim contains `required` (RFC 8693 §4.2 form).
pub fn has_scope(claims: &serde_json::Map<String, serde_json::Value>, required: &str) -> bool {
    claims
        .get("scope")
        .and_then(serde_json::Value::as_str)
        .is_some_and(|scopes| scopes.split(' ').any(|s| s == required))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for code in ErrorCode::ALL {
            assert_eq!(code.as_str().parse::<ErrorCode>(), Ok(code));
        }
    }

    #[test]
    fn bearer_parsing_follows_rfc_6750() {
        assert_eq!(bearer_token(&[]), Err(ErrorCode::MissingToken));
        assert_eq!(
            bearer_token(&[b"Basic YWxpY2U6cHc="]),
            Err(ErrorCode::MissingToken)
        );
        assert_eq!(
            bearer_token(&[b"Bearer"]),
            Err(ErrorCode::MalformedAuthorization)
        );
        assert_eq!(
            bearer_token(&[b"Bearer "]),
            Err(ErrorCode::MalformedAuthorization)
        );
        assert_eq!(
            bearer_token(&[b"Bearer a b"]),
            Err(ErrorCode::MalformedAuthorization)
        );
        assert_eq!(
            bearer_token(&[b"Bearer a,b"]),
            Err(ErrorCode::MalformedAuthorization)
        );
        assert_eq!(
            bearer_token(&[b"Bearer a", b"Bearer b"]),
            Err(ErrorCode::MalformedAuthorization)
        );
        assert_eq!(bearer_token(&[b"bearer abc.def"]), Ok(&b"abc.def"[..]));
        assert_eq!(bearer_token(&[b"BEARER  x=="]), Ok(&b"x=="[..]));
        assert_eq!(
            bearer_token(&[b"Bearer ="]),
            Err(ErrorCode::MalformedAuthorization)
        );
    }

    #[test]
    fn challenges_escape_the_realm() {
        assert_eq!(
            ErrorCode::MissingToken.www_authenticate("a\"b").unwrap(),
            "Bearer realm=\"a\\\"b\""
        );
        assert!(ErrorCode::RateLimited.www_authenticate("api").is_none());
    }
}
