//! The `ibr-desk` binary run as a person runs it, over a data directory,
//! with secrets in memory (no keyring needed).

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

/// `ibr-desk --data-dir DIR ARGS…`, waited for.
pub fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ibr-desk"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env("IBR_DESK_SECRET_STORE", "memory")
        .env("IBR_DESK_OFFICER", "Test Officer")
        .output()
        .expect("the binary runs")
}

/// Standard output then standard error.
pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Standard output as JSON (`--json`).
pub fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(o)))
}
