//! The reference verdict: what the strict validator, run with the target's own policy and the
//! issuer's published keys, says about the exact credential a backend receives. `audit` and
//! `fuzz` both ask it, so the two commands cannot contradict each other.

use super::grade::{Cause, Grader, Producer};
use crate::contract::{self, ErrorCode};
use crate::jwk::KeySet;
use crate::validate::Validator;
use serde_json::{Map, Value};
use std::fmt;

/// What the reference validator says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reference {
    Accepted,
    Rejected(ErrorCode),
    /// A CORS preflight: no credential, nothing for the validator to judge.
    Preflight,
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reference::Accepted => f.write_str("accepted"),
            Reference::Rejected(c) => write!(f, "{c} (HTTP {})", c.status()),
            Reference::Preflight => f.write_str("a CORS preflight (no token)"),
        }
    }
}

/// A token's reference verdict, with the time-dependent part kept for re-evaluation.
pub struct Prepared {
    /// Decided before the claims (bearer parsing, structure, header, key, signature).
    fixed: Option<Reference>,
    claims: Map<String, Value>,
}

/// The reference validator with the target's policy and published keys.
pub struct Oracle {
    validator: Validator,
    keys: KeySet,
    /// Whether the credential arrives as `Authorization: Bearer` (RFC 6750 parsing first).
    bearer: bool,
}

impl Oracle {
    pub fn new(validator: Validator, keys: KeySet, bearer: bool) -> Oracle {
        Oracle {
            validator,
            keys,
            bearer,
        }
    }

    pub fn validator(&self) -> &Validator {
        &self.validator
    }

    /// Runs every check that does not depend on the time, for a credential delivered as these
    /// `Authorization` values (header placements: RFC 6750 parsing first) or as `token` alone.
    pub fn prepare(&self, values: &[&[u8]], token: &[u8]) -> Prepared {
        let rejected = |code: ErrorCode| Prepared {
            fixed: Some(Reference::Rejected(code)),
            claims: Map::new(),
        };
        let credential: &[u8] = if self.bearer {
            match contract::bearer_token(values) {
                Ok(c) => c,
                Err(code) => return rejected(code),
            }
        } else {
            token
        };
        // The same steps, in the same order, as Validator::validate.
        let claims = match self.validator.parse_jwt(credential) {
            Ok((_, claims)) => claims,
            Err(rejection) => return rejected(rejection.code()),
        };
        if let Err(rejection) = self.validator.verify_jws(credential, &self.keys) {
            return rejected(rejection.code());
        }
        Prepared {
            fixed: None,
            claims,
        }
    }

    /// The verdict at every whole second from `from` to `to`, if it is the same throughout;
    /// `None` when the token sits on a time boundary (inconclusive).
    pub fn verdict_over(&self, p: &Prepared, from: i64, to: i64) -> Option<Reference> {
        if let Some(fixed) = p.fixed {
            return Some(fixed);
        }
        let mut verdict = None;
        for t in from..=to {
            let v = match self.validator.check_claims(&p.claims, t) {
                Ok(()) => Reference::Accepted,
                Err(r) => Reference::Rejected(r.code()),
            };
            match verdict {
                None => verdict = Some(v),
                Some(seen) if seen != v => return None,
                Some(_) => {}
            }
        }
        verdict
    }

    /// The verdict at `now`, inconclusive within ±2 s of a time boundary.
    pub fn judge(&self, values: &[&[u8]], token: &[u8], now: i64) -> Option<Reference> {
        self.verdict_over(&self.prepare(values, token), now - 2, now + 2)
    }

    /// The published keys the reference verifies with.
    pub fn keys(&self) -> &KeySet {
        &self.keys
    }

    /// Whether the credential arrives as `Authorization: Bearer`.
    pub fn bearer(&self) -> bool {
        self.bearer
    }

    /// Why an acceptance the reference refuses matters (findings.md §3): the grader's cause for
    /// the credential, except that the same valid token in several `Authorization` headers
    /// gives nothing more than the token.
    pub fn acceptance(&self, values: &[&[u8]], token: Option<&[u8]>, now: i64) -> Cause {
        let grader = self.grader(now);
        if self.bearer && values.len() > 1 {
            // Several Authorization headers: a server reads one of them. If one carries a valid
            // token on its own, acceptance gives nothing beyond that token, unless the identity
            // was read from another (which the status alone cannot show).
            let tokens: Vec<&[u8]> = values.iter().filter_map(|v| bearer_word(v)).collect();
            if tokens.iter().any(|t| grader.valid(t)) {
                return if values.iter().all(|v| *v == values[0]) {
                    Cause::DuplicateAuthorizationAccepted
                } else {
                    Cause::AmbiguousAuthorizationAccepted
                };
            }
            // None is valid: the least serious reading of what was accepted.
            if let Some(least) = tokens
                .iter()
                .map(|t| grader.acceptance(t))
                .min_by_key(|c| c.severity())
            {
                return least;
            }
        }
        let Some(token) = token.filter(|t| !t.is_empty()) else {
            return Cause::NoTokenAccepted;
        };
        let cause = grader.acceptance(token);
        // Several words where one token belongs (`Bearer <jwt> <jwt>`): a parser that reads one
        // word gets nothing more than that word; if one is a valid token, only the string differs.
        if cause.producer() == Producer::Anyone {
            let words: Vec<&[u8]> = token
                .split(|b| b.is_ascii_whitespace())
                .filter(|w| !w.is_empty())
                .collect();
            if words.len() > 1 && words.iter().any(|w| grader.valid(w)) {
                return Cause::ReencodedTokenAccepted;
            }
        }
        cause
    }

    /// A grader over the same keys and policy, at `now`.
    pub fn grader(&self, now: i64) -> Grader<'_> {
        Grader {
            keys: &self.keys,
            validator: &self.validator,
            now,
        }
    }
}

/// The credential of one `Authorization` value read leniently: what follows a `Bearer` scheme
/// (any case) and the spaces after it, trailing whitespace dropped (whitespace inside is kept:
/// lenient decoders skip it).
pub fn bearer_word(value: &[u8]) -> Option<&[u8]> {
    let text = std::str::from_utf8(value).ok()?.trim_start();
    let (scheme, rest) = text.split_at(text.find(|c: char| c.is_ascii_whitespace())?);
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let credential = rest.trim();
    (!credential.is_empty()).then_some(credential.as_bytes())
}
