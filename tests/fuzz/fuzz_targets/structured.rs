//! A bundled blueprint (blueprints/*.yaml) changed by the input's bytes,
//! read as edits (see `blueprint_fuzz::mutate`): almost every case is a
//! blueprint that gets past parsing and reaches the emitters.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(source) = blueprint_fuzz::mutate::blueprint(data) {
        blueprint_fuzz::check(&source);
    }
});
