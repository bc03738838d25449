//! The life of a duplication check and what it concluded.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use strum::{Display, EnumMessage, EnumString, IntoStaticStr, VariantArray};

use super::{IdType, Identifier, ProgrammeEnrolment, Sex, unknown};

/// Where a duplication check is in its life: `ready` → `checking` →
/// `completed` or `failed`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, IntoStaticStr, Display, EnumString, VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case", parse_err_ty = String, parse_err_fn = unknown::<Self>)]
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
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    IntoStaticStr,
    Display,
    EnumString,
    VariantArray,
    EnumMessage,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case", parse_err_ty = String, parse_err_fn = unknown::<Self>)]
pub enum MatchResult {
    /// Every query succeeded and the registry holds no record for the applicant.
    #[strum(message = "No match")]
    NoMatch,
    /// The registry holds records that may be the applicant: a person must decide.
    #[strum(message = "Possible match")]
    PossibleMatch,
    /// The registry holds an active enrolment under exactly this identifier, and
    /// nothing the applicant told us contradicts it.
    #[strum(message = "Confirmed match")]
    ConfirmedMatch,
}

text_enum!(CheckState, "check state");
text_enum!(MatchResult, "match result");

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
        self.get_message().unwrap_or(self.as_str())
    }
}

/// Why the office searched the registry (kept with the check for audit).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    Default,
    IntoStaticStr,
    Display,
    EnumString,
    VariantArray,
    EnumMessage,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case", parse_err_ty = String, parse_err_fn = unknown::<Self>)]
pub enum SearchReason {
    #[default]
    #[strum(message = "Application")]
    Application,
    #[strum(message = "Recertification")]
    Recertification,
    #[strum(message = "New household member")]
    NewHouseholdMember,
    #[strum(message = "Other")]
    Other,
}

text_enum!(SearchReason, "search reason");

impl SearchReason {
    pub const ALL: [SearchReason; 4] = [
        SearchReason::Application,
        SearchReason::Recertification,
        SearchReason::NewHouseholdMember,
        SearchReason::Other,
    ];

    /// How a person reads the reason.
    pub fn label(self) -> &'static str {
        self.get_message().unwrap_or(self.as_str())
    }
}

/// One search a check sends: an identifier lookup or a demographic search.
/// Fixed when the check is created, so a retry reuses the same reference IDs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckQuery {
    /// `<check id>-<seq>`, unique per check, reused on every attempt.
    pub reference_id: String,
    pub kind: QueryKind,
}

/// What a check query asks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum QueryKind {
    Identifier {
        id_type: IdType,
        value: String,
    },
    Demographic {
        given_name: String,
        surname: String,
        birth_date: NaiveDate,
    },
}

impl QueryKind {
    /// In words: "UIN 123" or "name and birth date".
    pub fn describe(&self) -> String {
        match self {
            QueryKind::Identifier { id_type, value } => format!("{id_type} {value}"),
            QueryKind::Demographic { .. } => "name and birth date".to_string(),
        }
    }
}

/// The applicant as they were when the check was made: later edits of the
/// registrant do not change what a past check compared.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicantSnapshot {
    pub given_name: Option<String>,
    pub surname: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub sex: Option<Sex>,
}

impl ApplicantSnapshot {
    pub fn display_name(&self) -> String {
        super::registrant::display_name(self.given_name.as_deref(), self.surname.as_deref())
    }
}

/// A duplication check: the seed's `spp.dci.duplication.check` and what a
/// field office needs besides (IDs for follow-up, retries, the explanation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DuplicationCheck {
    pub id: i64,
    pub registrant_id: i64,
    pub applicant: ApplicantSnapshot,
    /// The applicant's first identifier (the check queries all of them).
    pub identifier_type: IdType,
    pub identifier_value: String,
    /// When the check was requested.
    pub check_date: DateTime<Utc>,
    /// When it reached `completed` or `failed`.
    pub finished_at: Option<DateTime<Utc>>,
    /// Set only when `state` is `completed`: a failed check has no result.
    pub result: Option<MatchResult>,
    /// `ID — Name` of the programmes of the records that decided the result.
    pub matched_programs: Vec<String>,
    pub state: CheckState,
    /// `None` when the data source was removed later (its name is kept).
    pub data_source_id: Option<i64>,
    pub data_source_name: String,
    pub error_message: Option<String>,
    /// `unreachable`, `timeout`, `http`, `auth`, `malformed`, `signature`,
    /// `rejected`, `config`: what kind of failure (`DciError::kind`).
    pub error_kind: Option<String>,
    pub transaction_id: Option<String>,
    pub correlation_id: Option<String>,
    pub queries: Vec<CheckQuery>,
    pub attempts: u32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub search_reason: SearchReason,
    /// One line: the rule that decided the result.
    pub explanation: Option<String>,
    /// How far the reply's signature was trusted, in words.
    pub signature_note: Option<String>,
    /// Where the check stands in the supervisor's review queue, if it entered it.
    pub review_status: Option<super::ReviewStatus>,
    /// The result after a supervisor's decision; `result` keeps what the rules concluded.
    pub final_result: Option<MatchResult>,
    /// The roster (CSV import) the applicant came from, if any.
    pub roster_id: Option<i64>,
}

impl DuplicationCheck {
    /// The result that stands: the supervisor's, else the rules'.
    pub fn effective_result(&self) -> Option<MatchResult> {
        self.final_result.or(self.result)
    }
}

/// What to store when a check is requested.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCheck {
    pub registrant_id: i64,
    pub applicant: ApplicantSnapshot,
    pub identifier_type: IdType,
    pub identifier_value: String,
    pub data_source_id: i64,
    pub search_reason: SearchReason,
    /// The searches, without reference IDs (the store gives them).
    pub queries: Vec<QueryKind>,
}

/// How a candidate record was found.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, IntoStaticStr, Display, EnumString, VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case", parse_err_ty = String, parse_err_fn = unknown::<Self>)]
pub enum FoundBy {
    /// Under exactly the identifier we asked about.
    Identifier,
    /// Under an identifier query, but the record does not carry that identifier.
    OtherIdentifier,
    /// By the name and birth date search only.
    Demographic,
}

text_enum!(FoundBy, "way a candidate was found");

/// A record the registry returned, with what the rules made of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatchCandidate {
    pub rank: u32,
    pub found_by: FoundBy,
    pub name: String,
    pub birth_date: Option<String>,
    pub sex: Option<String>,
    pub identifiers: Vec<Identifier>,
    pub programmes: Vec<ProgrammeEnrolment>,
    /// Exactly the queried identifier, an Active enrolment and no conflict.
    pub confirms: bool,
    /// Why it is not a confirmed match, in words (empty when it confirms).
    pub reasons: Vec<String>,
    /// The record as received; `null` when the check keeps it in its reply
    /// excerpt instead (the engine does, so that it is stored once).
    pub raw: serde_json::Value,
}

/// What finished a check successfully.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckCompletion {
    pub result: MatchResult,
    pub matched_programs: Vec<String>,
    pub explanation: String,
    pub signature_note: String,
    pub transaction_id: String,
    pub correlation_id: Option<String>,
    pub candidates: Vec<MatchCandidate>,
    /// The items of the replies that answered this check (every page), as JSON text.
    pub reply_excerpt: String,
    /// The header and signature of the reply (stored once per message, not per check).
    pub reply_header: ReplyHeader,
}

/// A reply's header and signature as the store keeps them: once per
/// message, referenced by every check the message answered, and capped in
/// size, because a registry decides how large its header is.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ReplyHeader {
    pub transaction_id: Option<String>,
    /// The header as JSON text (`null` when the reply had none), at most
    /// [`ReplyHeader::MAX_HEADER_BYTES`].
    pub header: String,
    /// The signature field, at most [`ReplyHeader::MAX_SIGNATURE_BYTES`].
    pub signature: Option<String>,
}

impl ReplyHeader {
    /// Room for every standard header member with generous values; a longer
    /// header keeps its standard members, each cut to a length a person reads.
    pub const MAX_HEADER_BYTES: usize = 8 * 1024;
    /// An RS256 signature with a 4096-bit key and its parameters is about 800 bytes.
    pub const MAX_SIGNATURE_BYTES: usize = 2 * 1024;
    /// The longest text kept of one member of a header that had to be cut.
    const MAX_MEMBER_CHARS: usize = 256;
    /// The header members kept when a header is cut (MsgCallbackHeader's own).
    const STANDARD_MEMBERS: [&'static str; 13] = [
        "version",
        "message_id",
        "message_ts",
        "action",
        "status",
        "status_reason_code",
        "status_reason_message",
        "total_count",
        "completed_count",
        "sender_id",
        "receiver_id",
        "is_msg_encrypted",
        "meta",
    ];

    /// The header and signature of a reply, cut to the store's limits.
    pub fn capped(transaction_id: Option<&str>, header: &serde_json::Value, signature: Option<&str>) -> ReplyHeader {
        let full = header.to_string();
        let header = if full.len() <= Self::MAX_HEADER_BYTES {
            full
        } else {
            Self::cut(header, full.len())
        };
        ReplyHeader {
            transaction_id: transaction_id.map(|t| cut_chars(t, Self::MAX_MEMBER_CHARS)),
            header,
            signature: signature.map(|s| {
                if s.len() <= Self::MAX_SIGNATURE_BYTES {
                    s.to_string()
                } else {
                    format!(
                        "{}… ({} bytes; cut to {} when stored)",
                        cut_chars(s, Self::MAX_SIGNATURE_BYTES / 2),
                        s.len(),
                        Self::MAX_SIGNATURE_BYTES / 2
                    )
                }
            }),
        }
    }

    fn cut(header: &serde_json::Value, bytes: usize) -> String {
        use serde_json::Value;
        let mut kept = serde_json::Map::new();
        if let Value::Object(members) = header {
            for name in Self::STANDARD_MEMBERS {
                let Some(v) = members.get(name) else { continue };
                let v = match v {
                    Value::String(s) => Value::String(cut_chars(s, Self::MAX_MEMBER_CHARS)),
                    Value::Object(_) | Value::Array(_) => {
                        let text = v.to_string();
                        if text.len() <= Self::MAX_MEMBER_CHARS {
                            v.clone()
                        } else {
                            Value::String(format!("({} bytes, not kept)", text.len()))
                        }
                    }
                    other => other.clone(),
                };
                kept.insert(name.to_string(), v);
            }
        }
        kept.insert(
            "ibr_desk_note".to_string(),
            Value::String(format!(
                "the header was {bytes} bytes; only its standard members were kept, each cut to {} characters",
                Self::MAX_MEMBER_CHARS
            )),
        );
        Value::Object(kept).to_string()
    }
}

/// At most `max` characters of `s`, with "…" when cut.
fn cut_chars(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max).collect();
        t.push('…');
        t
    }
}

/// Which checks a history view shows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckFilter {
    pub result: Option<MatchResult>,
    pub state: Option<CheckState>,
    pub data_source_id: Option<i64>,
    /// Checks requested at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Checks requested before this time.
    pub to: Option<DateTime<Utc>>,
    /// The start of each word of a name (any case and accents), or the start
    /// of an identifier value.
    pub text: Option<String>,
    /// Oldest first instead of newest first.
    pub oldest_first: bool,
    /// Only checks in this review status.
    pub review_status: Option<super::ReviewStatus>,
    /// Only checks of applicants from this roster (CSV import).
    pub roster_id: Option<i64>,
}

/// One line of the append-only audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// The officer (or `system` for the engine's own actions).
    pub actor: String,
    /// `check_requested`, `check_completed`, `check_failed`, `source_added`, …
    pub action: String,
    pub check_id: Option<i64>,
    /// Details as JSON text; never a secret.
    pub details: String,
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

    #[test]
    fn enum_words_are_pinned() {
        use crate::domain::text_enum::tests::pins_words;
        pins_words::<CheckState>(&["ready", "checking", "completed", "failed"]);
        pins_words::<MatchResult>(&["no_match", "possible_match", "confirmed_match"]);
        pins_words::<SearchReason>(&["application", "recertification", "new_household_member", "other"]);
        pins_words::<FoundBy>(&["identifier", "other_identifier", "demographic"]);
        assert_eq!(CheckState::ALL, CheckState::VARIANTS);
        assert_eq!(MatchResult::ALL, MatchResult::VARIANTS);
        assert_eq!(SearchReason::ALL, SearchReason::VARIANTS);
        let labels = |all: &[&str]| all.join("|");
        assert_eq!(
            labels(&MatchResult::ALL.map(MatchResult::label)),
            "No match|Possible match|Confirmed match"
        );
        assert_eq!(
            labels(&SearchReason::ALL.map(SearchReason::label)),
            "Application|Recertification|New household member|Other"
        );
    }

    #[test]
    fn a_reply_header_is_stored_within_its_cap() {
        let small = serde_json::json!({"status": "succ", "message_id": "m1"});
        let h = ReplyHeader::capped(Some("txn-1"), &small, Some("sig"));
        assert_eq!(h.header, small.to_string());
        assert_eq!(h.signature.as_deref(), Some("sig"));

        // A registry may put megabytes into `meta` or a reason message.
        let huge = serde_json::json!({
            "status": "succ",
            "message_id": "m2",
            "status_reason_message": "é".repeat(100_000),
            "meta": {"blob": "x".repeat(1_000_000)},
            "something_else": "y".repeat(10_000),
        });
        let h = ReplyHeader::capped(Some(&"t".repeat(10_000)), &huge, Some(&"s".repeat(100_000)));
        assert!(h.header.len() <= ReplyHeader::MAX_HEADER_BYTES, "{}", h.header.len());
        let kept: serde_json::Value = serde_json::from_str(&h.header).expect("still JSON");
        assert_eq!(kept["status"], "succ");
        assert_eq!(kept["message_id"], "m2");
        assert!(kept.get("something_else").is_none());
        assert!(kept["meta"].as_str().is_some_and(|m| m.contains("not kept")));
        assert!(kept["ibr_desk_note"].as_str().is_some_and(|n| n.contains("bytes")));
        assert!(
            h.signature
                .as_deref()
                .is_some_and(|s| s.len() <= ReplyHeader::MAX_SIGNATURE_BYTES)
        );
        assert!(h.transaction_id.as_deref().is_some_and(|t| t.chars().count() <= 257));
    }
}
