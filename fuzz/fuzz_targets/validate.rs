#![no_main]
//! `validate`: structure-aware. The input decodes to a header, claims, algorithm, policy and
//! mutation (`authprobe_fuzz::checks::Case`); the token is signed, mutated and validated. See
//! `authprobe_fuzz::checks::validate` for the properties; `cargo fuzz fmt validate <input>`
//! prints the decoded case.

use authprobe_fuzz::ValidateInput;

libfuzzer_sys::fuzz_target!(|input: ValidateInput| authprobe_fuzz::checks::validate_case(&input.0));
