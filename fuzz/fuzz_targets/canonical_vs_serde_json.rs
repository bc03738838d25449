//! The canonical JSON parser against serde_json: when both accept, the same
//! value; when one accepts, a documented difference; the canonical text
//! re-parses to the same value. Anything else is a crash.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/hostile_bodies/mod.rs"]
mod hostile_bodies;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(disagreement) = hostile_bodies::compare_with_serde_json(text) {
        panic!("{disagreement}");
    }
});
