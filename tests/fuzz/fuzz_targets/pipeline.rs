//! Any bytes as a blueprint: parse -> normalize -> every target -> bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // `blueprint` reads the file as UTF-8 and refuses anything else.
    if let Ok(source) = std::str::from_utf8(data) {
        blueprint_fuzz::check(source);
    }
});
