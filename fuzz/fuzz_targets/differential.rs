#![no_main]
//! `differential`: the same generated token through authprobe's reference validator and
//! jsonwebtoken (strictest `Validation`); a disagreement outside the documented allowlist
//! (`authprobe_fuzz::checks::ALLOWLIST`, fuzz/README.md) is a crash. `cargo fuzz fmt
//! differential <input>` prints the decoded case.

use authprobe_fuzz::DifferentialInput;

libfuzzer_sys::fuzz_target!(|input: DifferentialInput| {
    authprobe_fuzz::checks::differential_case(&input.0);
});
