//! Claim checks (RFC 7519 §4.1), run only on a token whose signature verified.
//!
//! Order, as spec.md §4 fixes it: presence and JSON types of the registered claims, then `iat`,
//! `nbf`, `exp`, the lifetime cap, `iss` and `aud`. NumericDates are compared as JSON numbers
//! (integers or decimals, RFC 7519 §2) with no integer wrap-around; strings such as `"9999999999"`
//! are refused, never coerced, and so are values outside 0 ..= 2^53 − 1.

use super::{Policy, Rejection, RejectionKind};
use serde_json::{Map, Value};

/// NumericDates beyond 2^53 − 1 cannot be compared exactly as JSON numbers; negative ones
/// predate the epoch. Both are refused as ill-typed rather than compared (ATTACKS.md H04).
const MAX_NUMERIC_DATE: f64 = 9_007_199_254_740_991.0;

pub(super) fn check(
    policy: &Policy,
    claims: &Map<String, Value>,
    now: i64,
) -> Result<(), Rejection> {
    let exp = numeric_date(claims, "exp")?.ok_or_else(|| missing("exp"))?;
    let iat = numeric_date(claims, "iat")?;
    if policy.require_iat && iat.is_none() {
        return Err(missing("iat"));
    }
    let nbf = numeric_date(claims, "nbf")?;
    let iss = match claims.get("iss") {
        None => return Err(missing("iss")),
        Some(Value::String(iss)) => iss,
        Some(_) => return Err(ill_typed("iss", "a string")),
    };
    let audiences = audiences(claims)?;
    match claims.get("sub") {
        None => return Err(missing("sub")),
        Some(Value::String(sub)) if !sub.is_empty() => {}
        Some(_) => return Err(ill_typed("sub", "a non-empty string")),
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
    if iss != &policy.issuer {
        return Err(Rejection::new(
            RejectionKind::InvalidIssuer,
            format!("iss {iss:?} is not {:?}", policy.issuer),
        ));
    }
    if !audiences.iter().any(|aud| *aud == policy.audience) {
        return Err(Rejection::new(
            RejectionKind::InvalidAudience,
            format!("aud {audiences:?} does not contain {:?}", policy.audience),
        ));
    }
    Ok(())
}

fn numeric_date(claims: &Map<String, Value>, name: &'static str) -> Result<Option<f64>, Rejection> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => n
            .as_f64()
            .filter(|v| (0.0..=MAX_NUMERIC_DATE).contains(v))
            .map(Some)
            .ok_or_else(|| ill_typed(name, "a number from 0 to 2^53 − 1")),
        Some(_) => Err(ill_typed(name, "a number")),
    }
}

fn audiences(claims: &Map<String, Value>) -> Result<Vec<&str>, Rejection> {
    match claims.get("aud") {
        None => Err(missing("aud")),
        Some(Value::String(aud)) => Ok(vec![aud.as_str()]),
        Some(Value::Array(items)) if !items.is_empty() => items
            .iter()
            .map(Value::as_str)
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| ill_typed("aud", "a string or an array of strings")),
        Some(_) => Err(ill_typed("aud", "a string or a non-empty array of strings")),
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
