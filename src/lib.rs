//! authprobe: a security test and fuzzing harness for Better Auth JWT deployments.
//!
//! The library follows a token's path. [`token`] parses a compact JWS byte-exactly; [`jwk`]
//! imports keys and key sets and selects one; [`validate`] is the strict reference validator
//! whose [`validate::Rejection`]s map one-to-one onto the [`contract`] of
//! `specs/002-auth-security-integration/contracts/errors.md`; [`gate`] puts them together as the
//! reference backend's answer to one HTTP request. [`sign`] holds the harness's own signing keys.
//!
//! # Features
//!
//! Those modules are the verifying side and build with `default-features = false`: no async
//! runtime, HTTP client or command-line crate. The feature `remote-jwks` adds key sets fetched
//! over HTTP (tokio, reqwest); `harness` adds attack construction, scenarios, deployments, the
//! runner, the fuzzer, the lifecycle measurements and reports; `cli` (the default) the command.
//!
//! ```
//! use authprobe::validate::{FixedClock, Policy, Validator};
//! use authprobe::{ErrorCode, KeySet};
//!
//! // A token Better Auth 1.7 minted, its key set, and the issuer and audience it was made for.
//! let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/better-auth");
//! let jwks = std::fs::read(format!("{dir}/jwks.json")).unwrap();
//! let token = std::fs::read_to_string(format!("{dir}/token.jwt")).unwrap();
//! let keys = KeySet::from_public_jwks(&jwks).unwrap();
//! let validator = Validator::new(Policy::better_auth(
//!     "http://127.0.0.1:3000",
//!     "http://127.0.0.1:3000",
//! ));
//!
//! // Within its lifetime the token is accepted …
//! let verified = validator
//!     .validate(token.trim().as_bytes(), &keys, &FixedClock(1_795_690_700))
//!     .unwrap();
//! assert_eq!(verified.claims()["email"], "alice@example.com");
//!
//! // … and an hour later it is refused with the error contract's code.
//! let rejection = validator
//!     .validate(token.trim().as_bytes(), &keys, &FixedClock(1_795_694_300))
//!     .unwrap_err();
//! assert_eq!(rejection.code(), ErrorCode::TokenExpired);
//! ```
#![forbid(unsafe_code)]

pub mod algorithm;
pub mod base64url;
pub mod contract;
#[cfg(feature = "harness")]
pub mod dangerous;
#[cfg(feature = "harness")]
pub mod deployment;
#[cfg(feature = "harness")]
pub mod differential;
pub mod gate;
#[cfg(feature = "harness")]
pub mod judge;
pub mod jwk;
#[cfg(feature = "harness")]
pub mod lifecycle;
#[cfg(feature = "harness")]
pub mod report;
#[cfg(feature = "harness")]
pub mod run;
#[cfg(feature = "harness")]
pub mod scenario;
pub mod sign;
pub mod strict_json;
#[cfg(feature = "testing")]
pub mod testing;
pub mod token;
pub mod validate;

pub use algorithm::Algorithm;
pub use contract::ErrorCode;
pub use jwk::{Key, KeySet};
pub use token::Token;
pub use validate::{Policy, Rejection, RejectionKind, Validator, Verdict, Verified};
