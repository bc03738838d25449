//! Any body a registry could send: `parse_reply`, the message readers
//! (`SearchOutcome::from_message` and the others) and signature verification
//! on what it gives must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/hostile_bodies/mod.rs"]
mod hostile_bodies;

fuzz_target!(|data: &[u8]| {
    // A client decodes the body as text the way reqwest's `text()` does.
    let text = String::from_utf8_lossy(data);
    let _ = hostile_bodies::read_as_a_client_would(&text);
});
