//! authprobe: a security test and fuzzing harness for Better Auth JWT deployments.
//!
//! The library follows a token's path. [`token`] parses a compact JWS byte-exactly; [`jwk`]
//! imports keys and key sets and selects one; [`validate`] is the strict reference validator
//! whose [`validate::Rejection`]s map one-to-one onto the [`contract`] of
//! `specs/002-auth-security-integration/contracts/errors.md`; [`gate`] puts them together as the
//! reference backend's answer to one HTTP request. [`sign`] holds the harness's own signing keys.
#![forbid(unsafe_code)]

pub mod algorithm;
pub mod base64url;
pub mod contract;
pub mod differential;
pub mod forge;
pub mod gate;
pub mod judge;
pub mod jwk;
pub mod lifecycle;
pub mod report;
pub mod run;
pub mod scenario;
pub mod sign;
pub mod strict_json;
pub mod target;
pub mod token;
pub mod validate;

pub use algorithm::Algorithm;
pub use contract::ErrorCode;
pub use jwk::{Key, KeySet};
pub use token::Token;
pub use validate::{Policy, Rejection, RejectionKind, Validator, Verdict, Verified};
