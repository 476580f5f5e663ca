#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| zonewire_fuzz::dates(data));
