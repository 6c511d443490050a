//! The properties behind the fuzz targets, in one copy.
//!
//! The targets in `fuzz/fuzz_targets/` call these functions with libFuzzer's input, and
//! `tests/fuzz_regressions.rs` includes this very module
//! (`#[path = "../fuzz/src/checks/mod.rs"]`) to replay every committed crash input and a sample
//! of the corpora as ordinary tests on stable Rust. Each entry point takes the raw input bytes
//! and panics when a property fails.
//!
//! The structure-aware targets (`validate`, `differential`) decode their input with [`Reader`], a
//! small byte reader in the spirit of `arbitrary::Unstructured` (a missing byte reads as zero, so
//! every input decodes to some case). It lives here rather than behind `#[derive(Arbitrary)]` so
//! that the stable test can decode a crash input exactly as the fuzzer did without the main crate
//! depending on `arbitrary`; the fuzz crate wraps it in an `Arbitrary` impl for `cargo fuzz fmt`.
//!
//! One file per target, and the input model they share: `parsing` (`token_parse`, `jwks_parse`,
//! `scenario_parse`), `validate_target` and `differential_target`, which decode a [`Case`] with
//! `reader`, sign it with `keys` and change it with a `mutation`.
#![allow(dead_code)]

mod case;
mod differential_target;
mod keys;
mod mutation;
mod parsing;
mod reader;
mod validate_target;

pub use case::{Case, DateSpec};
// tests/fuzz_regressions.rs includes this module privately and uses only some of these.
#[allow(unused_imports)]
pub use differential_target::{
    differential, differential_case, jsonwebtoken_validation, DiffOutcome, ALLOWLIST,
    DIFFERENTIAL_ALGS,
};
#[allow(unused_imports)]
pub use keys::{kid_of, Keys};
pub use mutation::Mutation;
pub use parsing::{jwks_parse, scenario_parse, token_parse};
pub use reader::Reader;
#[allow(unused_imports)]
pub use validate_target::{validate, validate_case};

/// The clock of the `validate` target (the Better Auth fixture's instant).
pub const NOW: i64 = 1_795_690_700;
/// Issuer and audience every generated token is judged against.
pub const ISSUER: &str = "http://127.0.0.1:3000";
pub const AUDIENCE: &str = "http://127.0.0.1:3000";
