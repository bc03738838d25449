//! Fault switches: make the sandbox misbehave the way real registries and
//! networks do, so that tests (and curious integrators) can see every
//! failure path of the client.
//!
//! Switches are set from the command line at start or at any time through
//! `GET`/`PUT /sandbox/faults`. Rates are shares of requests (0.0 to 1.0),
//! decided by a counter-driven hash so that a run with the same requests
//! misbehaves the same way; 1.0 always, 0.0 never.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

/// How records are shaped in replies: the standard's sources disagree
/// (SPEC-NOTES §8.3), and a client must read them all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum RecordShape {
    /// Programme data inside `member`, "enrolment" spelling (the OpenAPI example).
    #[default]
    Openapi,
    /// `programme_identifier` list at the top, "enrollment" spelling (the JSON-LD).
    Jsonld,
}

/// The switches. Every field has a harmless default.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaultConfig {
    /// Added to every DCI reply and token reply, in milliseconds.
    pub latency_ms: u64,
    /// Share of DCI requests answered HTTP 503 with an error body.
    pub error_rate: f64,
    /// Share of DCI replies whose body is cut short (not JSON).
    pub malformed_rate: f64,
    /// Share of DCI replies signed with a key that is not the sandbox's.
    pub bad_signature_rate: f64,
    /// Share of search items answered `rjct` instead of a result.
    pub rjct_rate: f64,
    /// Share of DCI requests answered HTTP 429 (too many requests).
    pub throttle_rate: f64,
    /// Replies carry no signature at all.
    pub unsigned: bool,
    /// How records are shaped.
    pub record_shape: RecordShape,
}

impl FaultConfig {
    /// Rejects rates outside 0..=1, so a typo does not silently disable a test.
    pub fn validate(&self) -> Result<(), String> {
        for (name, rate) in [
            ("error_rate", self.error_rate),
            ("malformed_rate", self.malformed_rate),
            ("bad_signature_rate", self.bad_signature_rate),
            ("rjct_rate", self.rjct_rate),
            ("throttle_rate", self.throttle_rate),
        ] {
            if !(0.0..=1.0).contains(&rate) {
                return Err(format!("{name} must be between 0 and 1, not {rate}"));
            }
        }
        Ok(())
    }
}

/// The live switches of a running sandbox.
#[derive(Debug, Default)]
pub struct Faults {
    config: Mutex<FaultConfig>,
    draws: AtomicU64,
}

impl Faults {
    pub fn new(config: FaultConfig) -> Faults {
        Faults {
            config: Mutex::new(config),
            draws: AtomicU64::new(0),
        }
    }

    pub fn get(&self) -> FaultConfig {
        self.config.lock().map(|c| c.clone()).unwrap_or_default()
    }

    pub fn set(&self, config: FaultConfig) -> Result<(), String> {
        config.validate()?;
        if let Ok(mut c) = self.config.lock() {
            *c = config;
        }
        Ok(())
    }

    /// Whether this draw falls within `rate`.
    pub fn hit(&self, rate: f64) -> bool {
        if rate <= 0.0 {
            return false;
        }
        if rate >= 1.0 {
            return true;
        }
        let n = self.draws.fetch_add(1, Ordering::Relaxed);
        // SplitMix64 finaliser: a well-spread value per draw number.
        let mut z = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z as f64 / u64::MAX as f64) < rate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_shares() {
        let f = Faults::default();
        assert!(!f.hit(0.0));
        assert!(f.hit(1.0));
        let hits = (0..10_000).filter(|_| f.hit(0.25)).count();
        assert!((2_000..3_000).contains(&hits), "{hits}");
    }

    #[test]
    fn bad_rates_are_refused() {
        let f = Faults::default();
        assert!(
            f.set(FaultConfig {
                error_rate: 1.5,
                ..FaultConfig::default()
            })
            .is_err()
        );
        assert!(serde_json::from_str::<FaultConfig>(r#"{"eror_rate": 1}"#).is_err());
    }
}
