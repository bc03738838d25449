//! The life of a duplication check and what it concluded.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Where a duplication check is in its life: `ready` → `checking` →
/// `completed` or `failed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckState {
    /// Stored and waiting to run (also while the registry is unreachable).
    Ready,
    /// Sent to the registry; waiting for the answer.
    Checking,
    /// The registry answered and the answer was understood: a result exists.
    Completed,
    /// The check could not be completed; `error_message` says why. Never a result.
    Failed,
}

/// What a completed check concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchResult {
    /// Every query succeeded and the registry holds no record for the applicant.
    NoMatch,
    /// The registry holds records that may be the applicant: a person must decide.
    PossibleMatch,
    /// The registry holds an active enrolment under exactly this identifier, and
    /// nothing the applicant told us contradicts it.
    ConfirmedMatch,
}

macro_rules! wire_enum {
    ($ty:ty, $what:literal, $($variant:path => $s:literal),+ $(,)?) => {
        impl $ty {
            /// The stored and wire form.
            pub fn as_str(self) -> &'static str {
                match self { $($variant => $s),+ }
            }
        }
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl FromStr for $ty {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s.trim() {
                    $($s => Ok($variant),)+
                    other => Err(format!(concat!("unknown ", $what, " {:?}"), other)),
                }
            }
        }
    };
}

wire_enum!(CheckState, "check state",
    CheckState::Ready => "ready",
    CheckState::Checking => "checking",
    CheckState::Completed => "completed",
    CheckState::Failed => "failed",
);

wire_enum!(MatchResult, "match result",
    MatchResult::NoMatch => "no_match",
    MatchResult::PossibleMatch => "possible_match",
    MatchResult::ConfirmedMatch => "confirmed_match",
);

impl CheckState {
    /// All states, in the order of a check's life.
    pub const ALL: [CheckState; 4] = [
        CheckState::Ready,
        CheckState::Checking,
        CheckState::Completed,
        CheckState::Failed,
    ];
}

impl MatchResult {
    /// All results, from the mildest to the gravest.
    pub const ALL: [MatchResult; 3] = [
        MatchResult::NoMatch,
        MatchResult::PossibleMatch,
        MatchResult::ConfirmedMatch,
    ];

    /// How a person reads the result.
    pub fn label(self) -> &'static str {
        match self {
            MatchResult::NoMatch => "No match",
            MatchResult::PossibleMatch => "Possible match",
            MatchResult::ConfirmedMatch => "Confirmed match",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_the_seed_names() {
        for s in CheckState::ALL {
            assert_eq!(s.as_str().parse::<CheckState>().unwrap(), s);
        }
        for r in MatchResult::ALL {
            assert_eq!(r.as_str().parse::<MatchResult>().unwrap(), r);
        }
        assert_eq!(
            serde_json::to_string(&MatchResult::PossibleMatch).unwrap(),
            "\"possible_match\""
        );
        assert!("maybe".parse::<MatchResult>().is_err());
    }
}
