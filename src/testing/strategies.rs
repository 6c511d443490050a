//! proptest strategies for a team's own property tests: tokens a correct backend must accept
//! ([`valid_token`]) and tokens it must refuse ([`hostile_token`]), both for an [`Issuer`].
//!
//! ```
//! use authprobe::testing::{strategies, Issuer};
//! use authprobe::dangerous::forge::Severity;
//! use authprobe::validate::SystemClock;
//! use authprobe::{KeySet, Validator};
//! use proptest::prelude::*;
//!
//! let issuer = Issuer::ed25519();
//! let keys = KeySet::from_public_jwks(issuer.jwks_json().as_bytes()).unwrap();
//! let validator = Validator::new(issuer.policy());
//! let hostile = strategies::hostile_token(&issuer, Severity::High).unwrap();
//! proptest!(ProptestConfig::with_cases(64), |(valid in strategies::valid_token(&issuer), bad in hostile)| {
//!     prop_assert!(validator.validate(valid.as_bytes(), &keys, &SystemClock).is_ok());
//!     prop_assert!(
//!         validator.validate(bad.token.as_bytes(), &keys, &SystemClock).is_err(),
//!         "accepted {}", bad
//!     );
//! });
//! ```

use super::{Issuer, TestingError};
use crate::dangerous::forge::{forge_all, AttackerKeys, Delivery, Expected, ForgeInput, Severity};
use crate::judge::Grader;
use crate::token::Token;
use crate::{KeySet, Validator};
use proptest::prelude::*;
use serde_json::{Map, Value};
use std::sync::Arc;

/// A token a correct backend refuses, and what accepting it would mean.
#[derive(Debug, Clone)]
pub struct HostileToken {
    pub token: String,
    /// The attack: a catalogue id and variant (`A01 alg "none"`), or `tampered …`.
    pub attack: String,
    /// The grade of accepting it (findings.md).
    pub severity: Severity,
}

impl std::fmt::Display for HostileToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} [{}]: {}", self.attack, self.severity, self.token)
    }
}

/// Valid tokens of `issuer`: Better Auth's claims with varied user fields, extra custom
/// claims, issue times up to a minute ago and lifetimes from one to fifteen minutes.
pub fn valid_token(issuer: &Arc<Issuer>) -> impl Strategy<Value = String> {
    let issuer = issuer.clone();
    (
        "[A-Za-z][A-Za-z '-]{0,30}",
        "[a-z0-9.]{1,20}@[a-z]{1,12}\\.example",
        0i64..60,
        60i64..900,
        proptest::collection::btree_map("x_[a-z]{1,8}", any::<i32>(), 0..4),
    )
        .prop_map(move |(name, email, age, lifetime, extra)| {
            issuer.token_with(|claims| {
                let now = claims["iat"].as_i64().unwrap_or_default();
                claims.insert("name".into(), Value::from(name));
                claims.insert("email".into(), Value::from(email));
                claims.insert("iat".into(), Value::from(now - age));
                claims.insert("exp".into(), Value::from(now - age + lifetime));
                for (k, v) in extra {
                    claims.insert(k, Value::from(v));
                }
            })
        })
}

/// Tokens `issuer`'s relying party must refuse whose acceptance an audit grades `at_least` or
/// worse (by who can produce the token and what accepting it gives): every such variant of
/// the attack catalogue (built once, white-box: claim tampering is signed with the issuer's
/// key), and valid tokens with one changed character in the header, payload or signature.
pub fn hostile_token(
    issuer: &Arc<Issuer>,
    at_least: Severity,
) -> Result<impl Strategy<Value = HostileToken>, TestingError> {
    let catalogue = catalogue_tokens(issuer, at_least)?;
    let tampered = tampered_token(issuer.clone());
    Ok(prop_oneof![
        3 => proptest::sample::select(catalogue),
        1 => tampered,
    ])
}

fn catalogue_tokens(
    issuer: &Arc<Issuer>,
    at_least: Severity,
) -> Result<Vec<HostileToken>, TestingError> {
    let base = Token::parse(issuer.token()).map_err(|e| TestingError::Key(e.to_string()))?;
    let attacker = AttackerKeys::generate().map_err(|e| TestingError::Key(e.to_string()))?;
    let key = issuer.signing_key()?;
    let published: Vec<Map<String, Value>> = issuer.jwks()["keys"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|k| k.as_object().cloned())
        .collect();
    let now = base
        .unverified_claims(16)
        .ok()
        .and_then(|c| c.get("iat").and_then(Value::as_i64))
        .unwrap_or_default();
    let input = ForgeInput {
        base: &base,
        target_keys: &published,
        issuer_key: Some(&key),
        attacker: &attacker,
        // The discard port on loopback: a backend that fetches what a token names gets nothing.
        oob_base: "http://127.0.0.1:9",
        now,
    };
    // Graded as an audit grades an acceptance: by who can produce the token and what it gives
    // (a year-9999 `exp` only the issuer's key can sign is not an attack).
    let keys = KeySet::from_public_jwks(issuer.jwks_json().as_bytes())
        .map_err(|e| TestingError::Key(e.to_string()))?;
    let validator = Validator::new(issuer.policy());
    let grader = Grader {
        keys: &keys,
        validator: &validator,
        now,
    };
    let tokens: Vec<HostileToken> = forge_all(&input)
        .into_iter()
        .filter(|f| f.expected != Expected::Accepted && f.delivery == Delivery::Bearer)
        .filter(|f| !grader.valid(f.token.as_bytes()))
        .filter_map(|f| {
            let severity = grader.acceptance(f.token.as_bytes()).severity();
            (severity >= at_least).then(|| HostileToken {
                token: f.token,
                attack: format!("{} {}", f.id, f.variant),
                severity,
            })
        })
        .collect();
    if tokens.is_empty() {
        return Err(TestingError::Key(format!(
            "the catalogue has no token graded {at_least} or worse"
        )));
    }
    Ok(tokens)
}

/// A valid token with one character of one segment replaced. The last character of a segment
/// is left alone: some of its bits may be padding, and a change there may decode to the same
/// bytes (a strictness question, not an attack).
fn tampered_token(issuer: Arc<Issuer>) -> impl Strategy<Value = HostileToken> {
    (0usize..3, any::<proptest::sample::Index>(), 0u8..63).prop_map(move |(segment, at, shift)| {
        const ALPHABET: &[u8; 64] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let token = issuer.token();
        let mut parts: Vec<Vec<u8>> = token.split('.').map(|s| s.as_bytes().to_vec()).collect();
        let part = &mut parts[segment];
        let i = at.index(part.len().saturating_sub(1).max(1));
        let old = ALPHABET.iter().position(|&c| c == part[i]).unwrap_or(0);
        part[i] = ALPHABET[(old + 1 + usize::from(shift)) % 64];
        let name = ["header", "payload", "signature"][segment];
        HostileToken {
            token: parts
                .iter()
                .map(|p| String::from_utf8_lossy(p).into_owned())
                .collect::<Vec<_>>()
                .join("."),
            attack: format!("tampered {name} (character {i})"),
            severity: Severity::Critical,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::SystemClock;

    #[test]
    fn the_hostile_set_spans_the_catalogue_and_the_reference_refuses_all_of_it() {
        let issuer = Issuer::ed25519();
        let tokens = catalogue_tokens(&issuer, Severity::High).unwrap();
        let ids: std::collections::BTreeSet<&str> = tokens
            .iter()
            .filter_map(|t| t.attack.split_whitespace().next())
            .collect();
        assert!(tokens.len() >= 100, "only {} tokens", tokens.len());
        assert!(
            ids.len() >= 20,
            "only {} attack classes: {ids:?}",
            ids.len()
        );
        let keys = KeySet::from_public_jwks(issuer.jwks_json().as_bytes()).unwrap();
        let validator = Validator::new(issuer.policy());
        for t in &tokens {
            assert!(t.severity >= Severity::High);
            assert!(
                validator
                    .validate(t.token.as_bytes(), &keys, &SystemClock)
                    .is_err(),
                "the reference accepts {t}"
            );
        }
        // Issuer-only content (a year-9999 `exp`) is not among the attacks.
        assert!(catalogue_tokens(&issuer, Severity::High)
            .unwrap()
            .iter()
            .all(|t| !t.attack.contains("year 9999")));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn valid_tokens_pass_and_tampered_ones_fail(
            (valid, tampered) in {
                let issuer = Issuer::ed25519();
                (valid_token(&issuer), tampered_token(issuer.clone())).prop_map(move |(v, t)| {
                    let keys = KeySet::from_public_jwks(issuer.jwks_json().as_bytes()).unwrap();
                    let validator = Validator::new(issuer.policy());
                    (
                        validator.validate(v.as_bytes(), &keys, &SystemClock).map(|_| ()),
                        (t.clone(), validator.validate(t.token.as_bytes(), &keys, &SystemClock).is_err()),
                    )
                })
            }
        ) {
            prop_assert!(valid.is_ok(), "{valid:?}");
            prop_assert!(tampered.1, "accepted {}", tampered.0);
        }
    }
}
