#![no_main]
//! `jwks_parse`: see `authprobe_fuzz::checks::jwks_parse` for the properties.

libfuzzer_sys::fuzz_target!(|data: &[u8]| authprobe_fuzz::checks::jwks_parse(data));
