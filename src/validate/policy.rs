//! The validator's knobs, gathered in one [`Policy`] with the Better Auth profile as its default.

use crate::algorithm::Algorithm;
use crate::token::ParseLimits;

/// Header parameters refused by default: each makes the token name its own key, its own key
/// location, or a processing rule the validator would have to honour (RFC 8725 §3.10,
/// RFC 7797, RFC 7516 §4.1.3; ATTACKS.md D01–D12, F03–F08, I02).
pub const FORBIDDEN_HEADER_PARAMETERS: [&str; 9] = [
    "jku", "jwk", "x5u", "x5c", "x5t", "x5t#S256", "b64", "zip", "enc",
];

/// Header parameter names registered by RFC 7515/7516/7519; `crit` may never list them.
pub const REGISTERED_HEADER_PARAMETERS: [&str; 16] = [
    "alg", "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256", "typ", "cty", "crit", "enc",
    "zip", "epk", "apu", "apv",
];

/// Everything the reference validator can be told. Build it with [`Policy::better_auth`] and
/// adjust fields; every field is checked on every token.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// Algorithms accepted, each still bound to its key's type. `none` cannot be expressed.
    pub algorithms: Vec<Algorithm>,
    /// The exact expected `iss` (Better Auth: the baseURL origin, without `/api/auth`).
    pub issuer: String,
    /// The audience this backend answers to; `aud` must be it or an array containing it.
    pub audience: String,
    /// Clock-skew allowance in seconds, applied to `exp`, `nbf` and `iat`.
    pub leeway_secs: u64,
    /// Size and nesting caps.
    pub limits: ParseLimits,
    /// Whether tokens must carry a `kid`.
    pub require_kid: bool,
    /// Whether `iat` must be present (Better Auth always sets it).
    pub require_iat: bool,
    /// Accepted `typ` values, compared as media types; an absent `typ` is always accepted.
    pub accepted_types: Vec<String>,
    /// Extension names this deployment understands in `crit`. Empty: any `crit` is refused.
    pub understood_crit: Vec<String>,
    /// Longest accepted `exp − iat`, if capped.
    pub max_lifetime_secs: Option<u64>,
}

/// Default leeway of the Better Auth profile, in seconds.
pub const DEFAULT_LEEWAY_SECS: u64 = 30;

impl Policy {
    /// The Better Auth profile: EdDSA only, `kid` required, `exp`/`iat`/`iss`/`aud`/`sub`
    /// required, 30 s leeway, `typ` absent or `JWT`, no `crit`, no lifetime cap.
    pub fn better_auth(issuer: impl Into<String>, audience: impl Into<String>) -> Policy {
        Policy {
            algorithms: vec![Algorithm::EdDSA],
            issuer: issuer.into(),
            audience: audience.into(),
            leeway_secs: DEFAULT_LEEWAY_SECS,
            limits: ParseLimits::default(),
            require_kid: true,
            require_iat: true,
            accepted_types: vec!["JWT".to_owned()],
            understood_crit: Vec::new(),
            max_lifetime_secs: None,
        }
    }

    /// Replaces the algorithm allowlist.
    pub fn with_algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Policy {
        self.algorithms = algorithms.into_iter().collect();
        self
    }

    /// Replaces the leeway.
    pub fn with_leeway(mut self, leeway_secs: u64) -> Policy {
        self.leeway_secs = leeway_secs;
        self
    }

    /// True when `typ` is one of the accepted media types: ASCII case-insensitive, an optional
    /// `application/` prefix ignored (RFC 7515 §4.1.9), nothing trimmed.
    pub fn accepts_type(&self, typ: &str) -> bool {
        let bare = strip_application_prefix(typ);
        self.accepted_types
            .iter()
            .any(|t| strip_application_prefix(t).eq_ignore_ascii_case(bare))
    }
}

fn strip_application_prefix(media_type: &str) -> &str {
    match media_type.get(..12) {
        Some(prefix) if prefix.eq_ignore_ascii_case("application/") => &media_type[12..],
        _ => media_type,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typ_comparison_is_media_type_comparison() {
        let p = Policy::better_auth("i", "a");
        for ok in ["JWT", "jwt", "application/jwt", "Application/JWT"] {
            assert!(p.accepts_type(ok), "{ok}");
        }
        for bad in ["at+jwt", " JWT", "JWT\0", "JWS", "application/", ""] {
            assert!(!p.accepts_type(bad), "{bad:?}");
        }
    }
}
