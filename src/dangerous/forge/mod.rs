//! **Attack construction.** Everything in this module builds tokens that are *meant* to be
//! rejected: forged signatures, confused algorithms, poisoned headers, tampered claims, broken
//! encodings. It is fenced off here, like jsonwebtoken's `dangerous`, so nothing on the
//! validation path can reach it by accident.
//!
//! The [`catalogue`](mod@catalogue) holds one [`Case`] per attack class of ATTACKS.md (stable IDs A01–J06, plus
//! I01/I02/I04/I10). Given a valid base token, the harness's attacker keys and the target's public
//! keys ([`ForgeInput`]), each case expands into concrete [`Forged`] tokens, each with the outcome a
//! secure validator must give. Tokens are forged **byte-exactly**: [`edit::Forger`] splices only
//! the segment (and, inside it, only the JSON member) an attack changes.

pub mod catalogue;
pub mod crack;
pub mod edit;
pub mod encodings;
pub mod keys;
pub mod raw_json;
pub mod rng;
pub mod sample;

use crate::algorithm::Algorithm;
use crate::contract::ErrorCode;
use crate::sign::SigningKey;
use crate::token::Token;
use serde::Serialize;
use serde_json::{Map, Value};
use std::fmt;

pub use catalogue::{catalogue, Case};
pub use edit::Forger;
pub use keys::AttackerKeys;

/// How bad it is if a target accepts the case's tokens: the grade of findings.md.
pub use crate::judge::Severity;

/// What the harness needs to build a case's tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// A captured token, the public keys and keys the harness generates itself.
    BlackBox,
    /// Signing as the real issuer: needs the issuer's private key (white-box audits, the mock).
    IssuerKey,
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Mode::BlackBox => "black-box",
            Mode::IssuerKey => "issuer-key",
        })
    }
}

/// The outcome a secure validator must give for a forged token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "codes", rename_all = "kebab-case")]
pub enum Expected {
    /// Rejected with exactly this contract code.
    Code(ErrorCode),
    /// Rejected with one of these codes (the exact one depends on facts such as whether a
    /// truncated signature still decodes).
    AnyOf(Vec<ErrorCode>),
    /// Accepted: the token is valid and the case checks something else (malleability,
    /// byte-exact claims), reported for information.
    Accepted,
}

impl Expected {
    /// True if `verdict` (None = accepted) is what this expectation allows.
    pub fn admits(&self, verdict: Option<ErrorCode>) -> bool {
        match (self, verdict) {
            (Expected::Code(c), Some(v)) => *c == v,
            (Expected::AnyOf(cs), Some(v)) => cs.contains(&v),
            (Expected::Accepted, None) => true,
            _ => false,
        }
    }
}

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expected::Code(c) => write!(f, "{c}"),
            Expected::AnyOf(cs) => {
                let names: Vec<&str> = cs.iter().map(|c| c.as_str()).collect();
                write!(f, "one of {}", names.join(" | "))
            }
            Expected::Accepted => f.write_str("accepted (informational)"),
        }
    }
}

/// Which segments of the base token a variant may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Touches {
    pub header: bool,
    pub payload: bool,
    pub signature: bool,
    /// The token is not three segments any more (extra/missing dots, JSON serialization,
    /// appended bytes): nothing can be compared segment by segment.
    pub structure: bool,
}

impl Touches {
    pub const HEADER: Touches = Touches::new(true, false, false);
    pub const PAYLOAD: Touches = Touches::new(false, true, false);
    pub const SIGNATURE: Touches = Touches::new(false, false, true);
    pub const HEADER_SIGNATURE: Touches = Touches::new(true, false, true);
    pub const PAYLOAD_SIGNATURE: Touches = Touches::new(false, true, true);
    pub const ALL: Touches = Touches::new(true, true, true);
    pub const STRUCTURE: Touches = Touches {
        header: true,
        payload: true,
        signature: true,
        structure: true,
    };

    pub const fn new(header: bool, payload: bool, signature: bool) -> Touches {
        Touches {
            header,
            payload,
            signature,
            structure: false,
        }
    }
}

/// How a forged credential is to be delivered, when it is not a plain `Authorization: Bearer`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Delivery {
    /// `Authorization: Bearer <token>` (the default).
    Bearer,
    /// These exact `Authorization` header values, in order (several headers, odd schemes).
    AuthorizationHeaders { values: Vec<String> },
}

/// One concrete forged token and what a secure validator must do with it.
#[derive(Debug, Clone, Serialize)]
pub struct Forged {
    /// The catalogue ID (A01 … J06).
    pub id: &'static str,
    /// The case's slug.
    pub slug: &'static str,
    /// What this variant does, e.g. "HS384 keyed with the SPKI PEM (CRLF line ends)".
    pub variant: String,
    /// The forged token text (not always a compact JWS: that is sometimes the attack).
    pub token: String,
    /// The secure outcome.
    pub expected: Expected,
    /// The segments the variant is allowed to differ in from the base token.
    pub touches: Touches,
    /// How to send it.
    pub delivery: Delivery,
    /// An out-of-band URL path the token names; a request for it means the target fetched it.
    pub oob_path: Option<String>,
}

/// Everything a case may build from.
pub struct ForgeInput<'a> {
    /// A valid token, as issued (real, or harness-issued on the mock).
    pub base: &'a Token,
    /// The target's published public keys (JWKS `keys` entries, as published).
    pub target_keys: &'a [Map<String, Value>],
    /// The issuer's private key, when the audit is white-box.
    pub issuer_key: Option<&'a SigningKey>,
    /// Keys the harness generated for this run.
    pub attacker: &'a AttackerKeys,
    /// Base URL of the harness's out-of-band listener (e.g. `http://127.0.0.1:41234`).
    pub oob_base: &'a str,
    /// The time tokens are judged at (Unix seconds).
    pub now: i64,
}

impl ForgeInput<'_> {
    /// The base token's algorithm (it was accepted, so it is a known one).
    pub fn base_alg(&self) -> Algorithm {
        self.base
            .alg()
            .and_then(Algorithm::from_name)
            .unwrap_or(Algorithm::EdDSA)
    }

    /// What a validator that allows only the base algorithm says about a token under `alg`:
    /// `if_allowed` when `alg` is the base algorithm, otherwise ALGORITHM_NOT_ALLOWED.
    pub fn under_alg(&self, alg: &str, if_allowed: ErrorCode) -> Expected {
        if alg == self.base_alg().name() {
            Expected::Code(if_allowed)
        } else {
            Expected::Code(ErrorCode::AlgorithmNotAllowed)
        }
    }

    /// A unique out-of-band URL for a variant.
    pub fn oob_url(&self, path: &str) -> String {
        format!("{}{path}", self.oob_base.trim_end_matches('/'))
    }
}

/// Expands every applicable case of the catalogue.
pub fn forge_all(input: &ForgeInput<'_>) -> Vec<Forged> {
    catalogue()
        .iter()
        .filter(|case| case.mode == Mode::BlackBox || input.issuer_key.is_some())
        .flat_map(|case| case.forge(input))
        .collect()
}
