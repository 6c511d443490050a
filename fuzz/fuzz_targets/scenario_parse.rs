#![no_main]
//! `scenario_parse`: see `authprobe_fuzz::checks::scenario_parse` for the properties.

libfuzzer_sys::fuzz_target!(|data: &[u8]| authprobe_fuzz::checks::scenario_parse(data));
