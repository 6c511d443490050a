//! Claim checks (RFC 7519 §4.1), run only on a token whose signature verified.
//!
//! Order, as spec.md §4 fixes it: presence and JSON types of the registered claims, then `iat`,
//! `nbf`, `exp`, the lifetime cap, `iss` and `aud`. NumericDates are compared as JSON numbers
//! (integers or decimals, RFC 7519 §2) with no integer wrap-around; strings such as `"9999999999"`
//! are refused, never coerced, and so are values outside 0 ..= 2^53 − 1.

use super::{Policy, Rejection, RejectionKind};
use crate::strict_json::{Borrowed, Members};
use serde_json::{Map, Number, Value};

/// NumericDates beyond 2^53 − 1 cannot be compared exactly as JSON numbers; negative ones
/// predate the epoch. Both are refused as ill-typed rather than compared (ATTACKS.md H04).
const MAX_NUMERIC_DATE: f64 = 9_007_199_254_740_991.0;

/// One claim as the checks see it, whether the claims set is owned or borrowed.
#[derive(Debug)]
pub enum Claim<'a> {
    Missing,
    String(&'a str),
    Number(&'a Number),
    /// An array: each item's string, if it is one.
    Array(Vec<Option<&'a str>>),
    Other,
}

/// Read access to a claims set: an owned map, or the borrowed members the validator checks
/// without building one.
pub trait ClaimSet {
    fn claim(&self, name: &str) -> Claim<'_>;

    /// The registered claims the checks read.
    fn registered(&self) -> Registered<'_> {
        Registered {
            exp: self.claim("exp"),
            iat: self.claim("iat"),
            nbf: self.claim("nbf"),
            iss: self.claim("iss"),
            aud: self.claim("aud"),
            sub: self.claim("sub"),
        }
    }
}

/// The registered claims the checks read.
#[derive(Debug)]
pub struct Registered<'a> {
    pub exp: Claim<'a>,
    pub iat: Claim<'a>,
    pub nbf: Claim<'a>,
    pub iss: Claim<'a>,
    pub aud: Claim<'a>,
    pub sub: Claim<'a>,
}

impl ClaimSet for Map<String, Value> {
    fn claim(&self, name: &str) -> Claim<'_> {
        match self.get(name) {
            None => Claim::Missing,
            Some(Value::String(s)) => Claim::String(s),
            Some(Value::Number(n)) => Claim::Number(n),
            Some(Value::Array(items)) => Claim::Array(items.iter().map(Value::as_str).collect()),
            Some(_) => Claim::Other,
        }
    }
}

impl ClaimSet for Members<'_> {
    fn claim(&self, name: &str) -> Claim<'_> {
        self.get(name).map_or(Claim::Missing, borrowed_claim)
    }

    /// One pass over the members instead of one search per claim.
    fn registered(&self) -> Registered<'_> {
        let mut r = Registered {
            exp: Claim::Missing,
            iat: Claim::Missing,
            nbf: Claim::Missing,
            iss: Claim::Missing,
            aud: Claim::Missing,
            sub: Claim::Missing,
        };
        for (name, value) in self.iter() {
            let slot = match name {
                "exp" => &mut r.exp,
                "iat" => &mut r.iat,
                "nbf" => &mut r.nbf,
                "iss" => &mut r.iss,
                "aud" => &mut r.aud,
                "sub" => &mut r.sub,
                _ => continue,
            };
            *slot = borrowed_claim(value);
        }
        r
    }
}

fn borrowed_claim<'a>(value: &'a Borrowed<'_>) -> Claim<'a> {
    match value {
        Borrowed::String(s) => Claim::String(s),
        Borrowed::Number(n) => Claim::Number(n),
        Borrowed::Array(items) => Claim::Array(items.iter().map(Borrowed::as_str).collect()),
        _ => Claim::Other,
    }
}

pub(super) fn check(policy: &Policy, claims: &dyn ClaimSet, now: i64) -> Result<(), Rejection> {
    let Registered {
        exp,
        iat,
        nbf,
        iss,
        aud,
        sub,
    } = claims.registered();
    let exp = numeric_date(exp, "exp")?.ok_or_else(|| missing("exp"))?;
    let iat = numeric_date(iat, "iat")?;
    if policy.require_iat && iat.is_none() {
        return Err(missing("iat"));
    }
    let nbf = numeric_date(nbf, "nbf")?;
    let iss = match iss {
        Claim::Missing => return Err(missing("iss")),
        Claim::String(iss) => iss,
        _ => return Err(ill_typed("iss", "a string")),
    };
    let audiences = audiences(aud)?;
    match sub {
        Claim::Missing => return Err(missing("sub")),
        Claim::String(sub) if !sub.is_empty() => {}
        _ => return Err(ill_typed("sub", "a non-empty string")),
    }

    // i64 → f64 is exact for every clock value until the year 285 million.
    let now = now as f64;
    let leeway = policy.leeway_secs as f64;
    if let Some(iat) = iat {
        if now + leeway < iat {
            return Err(Rejection::new(
                RejectionKind::TokenIssuedInFuture,
                format!("iat {iat} is after now {now} + leeway {leeway}"),
            ));
        }
    }
    if let Some(nbf) = nbf {
        if now + leeway < nbf {
            return Err(Rejection::new(
                RejectionKind::TokenNotYetValid,
                format!("nbf {nbf} is after now {now} + leeway {leeway}"),
            ));
        }
    }
    if now >= exp + leeway {
        return Err(Rejection::new(
            RejectionKind::TokenExpired,
            format!("exp {exp} + leeway {leeway} is not after now {now}"),
        ));
    }
    if let (Some(max), Some(iat)) = (policy.max_lifetime_secs, iat) {
        if exp - iat > max as f64 {
            return Err(Rejection::new(
                RejectionKind::TokenLifetimeExceeded,
                format!("exp − iat = {} s exceeds the cap of {max} s", exp - iat),
            ));
        }
    }
    if iss != policy.issuer {
        return Err(Rejection::new(
            RejectionKind::InvalidIssuer,
            format!("iss {iss:?} is not {:?}", policy.issuer),
        ));
    }
    if !audiences.contains(&policy.audience) {
        let audiences = match audiences {
            Audiences::One(aud) => vec![aud],
            Audiences::Many(auds) => auds,
        };
        return Err(Rejection::new(
            RejectionKind::InvalidAudience,
            format!("aud {audiences:?} does not contain {:?}", policy.audience),
        ));
    }
    Ok(())
}

fn numeric_date(claim: Claim<'_>, name: &'static str) -> Result<Option<f64>, Rejection> {
    match claim {
        Claim::Missing => Ok(None),
        Claim::Number(n) => n
            .as_f64()
            .filter(|v| (0.0..=MAX_NUMERIC_DATE).contains(v))
            .map(Some)
            .ok_or_else(|| ill_typed(name, "a number from 0 to 2^53 − 1")),
        _ => Err(ill_typed(name, "a number")),
    }
}

/// The `aud` claim once its type is checked.
#[derive(Debug)]
enum Audiences<'a> {
    One(&'a str),
    Many(Vec<&'a str>),
}

impl Audiences<'_> {
    fn contains(&self, audience: &str) -> bool {
        match self {
            Audiences::One(aud) => *aud == audience,
            Audiences::Many(auds) => auds.contains(&audience),
        }
    }
}

fn audiences(claim: Claim<'_>) -> Result<Audiences<'_>, Rejection> {
    match claim {
        Claim::Missing => Err(missing("aud")),
        Claim::String(aud) => Ok(Audiences::One(aud)),
        Claim::Array(items) if !items.is_empty() => items
            .into_iter()
            .collect::<Option<Vec<_>>>()
            .map(Audiences::Many)
            .ok_or_else(|| ill_typed("aud", "a string or an array of strings")),
        _ => Err(ill_typed("aud", "a string or a non-empty array of strings")),
    }
}

fn missing(name: &str) -> Rejection {
    Rejection::new(
        RejectionKind::InvalidClaim,
        format!("required claim {name} is missing"),
    )
}

fn ill_typed(name: &str, expected: &str) -> Rejection {
    Rejection::new(
        RejectionKind::InvalidClaim,
        format!("claim {name} must be {expected}"),
    )
}
