//! A data source's reply limits in the units a person thinks in (MiB,
//! records, minutes), as typed in the form's "Advanced" section, and back
//! to the [`ReplyLimits`] the domain checks. Split from the source form
//! because the unit conversions and their number parsing are a job of
//! their own.

use crate::domain::ReplyLimits;
use crate::ui::forms::Problem;

/// Bytes in a MiB, the unit the form shows reply sizes in.
pub const MIB: f64 = 1024.0 * 1024.0;
/// Seconds in a minute, the unit the form shows signature validity in.
pub const MINUTE: f64 = 60.0;

/// [`ReplyLimits`] in the units a person thinks in, as typed.
#[derive(Debug, Clone, PartialEq)]
pub struct LimitsForm {
    pub max_reply_mib: String,
    pub max_records_per_check: String,
    pub max_signature_lifetime_mins: String,
}

impl LimitsForm {
    pub fn from_limits(l: &ReplyLimits) -> LimitsForm {
        LimitsForm {
            max_reply_mib: number(l.max_reply_bytes as f64 / MIB),
            max_records_per_check: l.max_records_per_check.to_string(),
            max_signature_lifetime_mins: number(f64::from(l.max_signature_lifetime_secs) / MINUTE),
        }
    }

    /// The limits typed, or what is wrong with the first field that is not a number.
    pub fn to_limits(&self) -> Result<ReplyLimits, Problem> {
        let positive = |what: &str, typed: &str| -> Result<f64, Problem> {
            typed
                .trim()
                .replace(',', ".")
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v > 0.0)
                .ok_or_else(|| {
                    Problem::new(format!(
                        "type the {what} as a number greater than 0, not “{}”",
                        typed.trim()
                    ))
                })
        };
        let mib = positive("largest reply", &self.max_reply_mib)?;
        let minutes = positive("longest signature validity", &self.max_signature_lifetime_mins)?;
        let records: u32 = self.max_records_per_check.trim().parse().map_err(|_| {
            Problem::new(format!(
                "type the records fetched per check as a whole number, not “{}”",
                self.max_records_per_check.trim()
            ))
        })?;
        // Out-of-range values saturate and are then refused by the domain's check.
        Ok(ReplyLimits {
            max_reply_bytes: (mib * MIB).round() as u64,
            max_records_per_check: records,
            max_signature_lifetime_secs: (minutes * MINUTE).round() as u32,
        })
    }
}

/// A number as a person writes it: no trailing zeros.
pub fn number(v: f64) -> String {
    let s = format!("{v:.4}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_round_trip_through_the_units_shown() {
        let d = ReplyLimits::default();
        let f = LimitsForm::from_limits(&d);
        assert_eq!(f.to_limits(), Ok(d));
    }

    #[test]
    fn sizes_are_typed_in_mib_and_validity_in_minutes() {
        let f = LimitsForm {
            max_reply_mib: " 0,5 ".into(),
            max_records_per_check: "200".into(),
            max_signature_lifetime_mins: "1.5".into(),
        };
        let l = f.to_limits().expect("numbers");
        assert_eq!(l.max_reply_bytes, 512 * 1024);
        assert_eq!(l.max_records_per_check, 200);
        assert_eq!(l.max_signature_lifetime_secs, 90);
    }

    #[test]
    fn what_is_not_a_positive_number_is_named() {
        let ok = LimitsForm::from_limits(&ReplyLimits::default());
        let f = LimitsForm {
            max_reply_mib: "lots".into(),
            ..ok.clone()
        };
        assert!(f.to_limits().unwrap_err().message.contains("largest reply"));
        let f = LimitsForm {
            max_signature_lifetime_mins: "0".into(),
            ..ok.clone()
        };
        assert!(f.to_limits().unwrap_err().message.contains("signature validity"));
        let f = LimitsForm {
            max_records_per_check: "2.5".into(),
            ..ok
        };
        assert!(f.to_limits().unwrap_err().message.contains("whole number"));
    }

    #[test]
    fn numbers_lose_trailing_zeros() {
        assert_eq!(number(32.0), "32");
        assert_eq!(number(0.0625), "0.0625");
        assert_eq!(number(1.5), "1.5");
    }
}
