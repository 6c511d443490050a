//! Setup shared by the benches: the Better Auth sample fixture and criterion settings that keep
//! every bench short (a full `cargo bench` takes minutes, `-- --test` seconds).
#![allow(dead_code)]

use criterion::Criterion;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The sample issuer's origin (iss = aud for Better Auth).
pub const ISSUER: &str = "http://127.0.0.1:3000";
/// An instant inside the sample token's lifetime (iat 1795690624, exp 1795691524).
pub const FIXTURE_NOW: i64 = 1_795_690_700;

/// A file under `tests/fixtures/`.
pub fn fixture_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

/// The contents of a fixture file, without its trailing newline.
pub fn fixture(rel: &str) -> String {
    let text =
        std::fs::read_to_string(fixture_path(rel)).unwrap_or_else(|e| panic!("fixture {rel}: {e}"));
    text.strip_suffix('\n').unwrap_or(&text).to_owned()
}

/// Criterion for microbenchmarks: 1 s warm-up, 3 s measurement, 50 samples.
pub fn micro() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(50)
}
