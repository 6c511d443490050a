//! Offline guessing of HMAC secrets from one captured HS256/384/512 token (ATTACKS.md E16), with
//! a bundled wordlist, every core (rayon), a measured rate, and export for hashcat mode 16500.

use crate::algorithm::Algorithm;
use crate::token::Token;
use aws_lc_rs::hmac;
use rayon::prelude::*;
use std::time::{Duration, Instant};

const BUNDLED: &str = include_str!("wordlist.txt");

/// The bundled wordlist: common and framework-default secrets, one per line.
pub fn wordlist() -> impl Iterator<Item = &'static str> {
    BUNDLED.lines().filter(|l| !l.is_empty())
}

/// Why a token cannot be cracked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CrackError {
    #[error("not a compact JWS: {0}")]
    Parse(String),
    #[error("alg {0:?} is not HS256, HS384 or HS512: only HMAC tokens can be cracked offline")]
    NotHmac(String),
}

/// The outcome of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct CrackReport {
    pub alg: Algorithm,
    /// The secret, if a candidate verified the signature.
    pub found: Option<Vec<u8>>,
    /// Candidates tried (all of them unless one was found).
    pub tried: u64,
    pub elapsed: Duration,
}

impl CrackReport {
    /// Candidates per second.
    pub fn rate(&self) -> f64 {
        self.tried as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Tries every candidate against the token's signature on all cores.
pub fn crack<I>(token: &str, candidates: I) -> Result<CrackReport, CrackError>
where
    I: IntoParallelIterator,
    I::Item: AsRef<[u8]> + Send,
{
    let parsed = Token::parse(token).map_err(|e| CrackError::Parse(e.to_string()))?;
    let alg_name = parsed.alg().unwrap_or_default().to_owned();
    let (alg, algorithm) = match alg_name.as_str() {
        "HS256" => (Algorithm::HS256, hmac::HMAC_SHA256),
        "HS384" => (Algorithm::HS384, hmac::HMAC_SHA384),
        "HS512" => (Algorithm::HS512, hmac::HMAC_SHA512),
        _ => return Err(CrackError::NotHmac(alg_name)),
    };
    let message = parsed.signing_input();
    let signature = parsed.signature();
    let started = Instant::now();
    let tried = std::sync::atomic::AtomicU64::new(0);
    let found = candidates.into_par_iter().find_any(|candidate| {
        tried.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let key = hmac::Key::new(algorithm, candidate.as_ref());
        hmac::verify(&key, message, signature).is_ok()
    });
    Ok(CrackReport {
        alg,
        found: found.map(|c| c.as_ref().to_vec()),
        tried: tried.into_inner(),
        elapsed: started.elapsed(),
    })
}

/// The line hashcat's mode 16500 (JWT) takes: the token itself.
pub fn hashcat_16500(token: &str) -> Result<String, CrackError> {
    let parsed = Token::parse(token).map_err(|e| CrackError::Parse(e.to_string()))?;
    match parsed.alg() {
        Some("HS256" | "HS384" | "HS512") => Ok(parsed.as_str().to_owned()),
        other => Err(CrackError::NotHmac(other.unwrap_or_default().to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sign::{sign_compact, SigningKey};

    #[test]
    fn finds_a_bundled_secret_and_reports_misses() {
        let token = sign_compact(
            br#"{"alg":"HS256"}"#,
            b"{}",
            &SigningKey::hmac(b"changeme"),
            Algorithm::HS256,
        )
        .unwrap();
        let report = crack(&token, wordlist().collect::<Vec<_>>()).unwrap();
        assert_eq!(report.found.as_deref(), Some(&b"changeme"[..]));
        let strong = sign_compact(
            br#"{"alg":"HS512"}"#,
            b"{}",
            &SigningKey::hmac(&[0x42; 64]),
            Algorithm::HS512,
        )
        .unwrap();
        let report = crack(&strong, wordlist().collect::<Vec<_>>()).unwrap();
        assert_eq!(report.found, None);
        assert_eq!(report.tried, wordlist().count() as u64);
        assert_eq!(hashcat_16500(&strong).unwrap(), strong);
    }

    #[test]
    fn refuses_asymmetric_tokens() {
        let t = "eyJhbGciOiJFZERTQSJ9.e30.AA";
        assert!(matches!(crack(t, vec!["x"]), Err(CrackError::NotHmac(_))));
    }
}
