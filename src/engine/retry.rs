//! When to try a check again after a transient failure.
//!
//! Exponential backoff with ±20 % jitter (so that a hundred queued checks do
//! not hit a registry that just came back at the same instant). An
//! unreachable registry is retried for ever, with a short cap, so the queue
//! drains soon after it answers again; a registry that answers with errors
//! (5xx, 429) is retried a bounded number of times, then the check fails.

use std::time::Duration;

/// Retry settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Wait after the first failure.
    pub base: Duration,
    /// Longest wait while the registry is unreachable.
    pub offline_cap: Duration,
    /// Longest wait while the registry answers with errors.
    pub error_cap: Duration,
    /// Attempts before a check that keeps getting 5xx/429 fails.
    pub max_error_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            base: Duration::from_secs(2),
            offline_cap: Duration::from_secs(30),
            error_cap: Duration::from_secs(300),
            max_error_attempts: 6,
        }
    }
}

impl RetryPolicy {
    /// The wait before attempt `attempts + 1`, given that `attempts` were made.
    pub fn delay(&self, attempts: u32, offline: bool) -> Duration {
        let cap = if offline { self.offline_cap } else { self.error_cap };
        let exp = attempts.saturating_sub(1).min(20);
        let raw = self.base.saturating_mul(1u32 << exp).min(cap);
        jitter(raw)
    }

    /// Whether a check that has made `attempts` attempts may try again.
    pub fn may_retry(&self, attempts: u32, offline: bool) -> bool {
        offline || attempts < self.max_error_attempts
    }
}

/// ±20 % of `d`, from the operating system's random source.
fn jitter(d: Duration) -> Duration {
    let mut b = [0u8; 2];
    let r = if getrandom::fill(&mut b).is_ok() {
        u16::from_le_bytes(b)
    } else {
        u16::MAX / 2
    };
    let factor = 0.8 + 0.4 * (f64::from(r) / f64::from(u16::MAX));
    d.mul_f64(factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_then_caps_with_jitter() {
        let p = RetryPolicy::default();
        let d1 = p.delay(1, true);
        assert!(
            d1 >= Duration::from_millis(1600) && d1 <= Duration::from_millis(2400),
            "{d1:?}"
        );
        let d3 = p.delay(3, false);
        assert!(
            d3 >= Duration::from_millis(6400) && d3 <= Duration::from_millis(9600),
            "{d3:?}"
        );
        assert!(p.delay(30, true) <= Duration::from_secs(36));
        assert!(p.delay(30, false) <= Duration::from_secs(360));
    }

    #[test]
    fn offline_retries_for_ever_errors_do_not() {
        let p = RetryPolicy::default();
        assert!(p.may_retry(1000, true));
        assert!(p.may_retry(5, false));
        assert!(!p.may_retry(6, false));
    }
}
