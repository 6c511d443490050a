#![no_main]
//! `token_parse`: see `authprobe_fuzz::checks::token_parse` for the properties.

libfuzzer_sys::fuzz_target!(|data: &[u8]| authprobe_fuzz::checks::token_parse(data));
