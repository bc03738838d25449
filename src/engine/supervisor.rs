//! Roles and the supervisor's review: switching to supervisor with the PIN
//! set in Settings, and the decisions only a supervisor may take — review
//! decisions, and every change of trust (data sources, trusted senders and
//! their keys, unsigned replies, unencrypted http).
//!
//! The role lives in the engine, not in the window: a decision or a change
//! of trust that arrives while the engine's role is "officer" is refused
//! whoever sent it. The demo registry's own setup is the system's, not a
//! person's, and needs no role. The PIN
//! is kept as a salted PBKDF2-HMAC-SHA256 hash in the settings (it protects a
//! role on a shared office laptop, not data); a wrong PIN costs a second.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::Utc;
use sha2::Sha256;

use super::event::Event;
use super::{Shared, requests};
use crate::clock;
use crate::domain::{CheckFilter, CheckState, NewReview, Role};
use crate::store::BulkReview;

/// Settings key of the supervisor PIN's hash.
pub const SETTING_SUPERVISOR_PIN: &str = "supervisor.pin";
/// PBKDF2 rounds: slow enough to make guessing a short PIN offline costly.
const PIN_ROUNDS: u32 = 200_000;
/// Shortest and longest PIN accepted.
const PIN_LEN: std::ops::RangeInclusive<usize> = 4..=32;
/// The pause after a wrong PIN.
const WRONG_PIN_DELAY: Duration = Duration::from_secs(1);

/// `pbkdf2-sha256$<rounds>$<salt>$<hash>` of a PIN.
pub fn hash_pin(pin: &str, salt: &[u8]) -> String {
    let mut out = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<Sha256>(pin.as_bytes(), salt, PIN_ROUNDS, &mut out);
    format!(
        "pbkdf2-sha256${PIN_ROUNDS}${}${}",
        STANDARD.encode(salt),
        STANDARD.encode(out)
    )
}

/// Whether `pin` matches a stored hash (in constant time over the hash bytes).
pub fn pin_matches(pin: &str, stored: &str) -> bool {
    let parts: Vec<&str> = stored.split('$').collect();
    let [scheme, rounds, salt, hash] = parts.as_slice() else {
        return false;
    };
    let (Ok(rounds), Ok(salt), Ok(hash)) = (rounds.parse::<u32>(), STANDARD.decode(salt), STANDARD.decode(hash)) else {
        return false;
    };
    if *scheme != "pbkdf2-sha256" || hash.len() != 32 {
        return false;
    }
    let mut out = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<Sha256>(pin.as_bytes(), &salt, rounds, &mut out);
    out.iter().zip(&hash).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

fn emit_error(shared: &Shared, message: &str, detail: impl Into<String>) {
    shared.hub.emit(Event::Error {
        message: message.to_string(),
        detail: detail.into(),
    });
}

/// The role the engine acts under now.
pub(super) fn role(shared: &Shared) -> Role {
    shared.role.read().map(|r| *r).unwrap_or_default()
}

/// What an officer is told when the engine refuses a change of trust.
pub const TRUST_NEEDS_SUPERVISOR: &str = "Only a supervisor can change data sources and trusted senders.";
/// The detail beside it: what to do.
pub const SWITCH_TO_SUPERVISOR: &str = "switch to the supervisor role with the PIN first";

/// `Ok` when the engine acts as a supervisor, who may change which
/// registries are asked and whose signatures are believed; the reason
/// otherwise.
pub(super) fn may_change_trust(shared: &Shared) -> Result<(), String> {
    match role(shared) {
        Role::Supervisor => Ok(()),
        Role::Officer => Err(format!(
            "only a supervisor can change data sources and trusted senders: {SWITCH_TO_SUPERVISOR}"
        )),
    }
}

/// Refuses a change of trust unless the engine acts as a supervisor, with
/// an error event; returns whether it refused.
pub(super) fn refuse_trust_change(shared: &Shared) -> bool {
    if may_change_trust(shared).is_ok() {
        return false;
    }
    emit_error(shared, TRUST_NEEDS_SUPERVISOR, SWITCH_TO_SUPERVISOR);
    true
}

pub(super) async fn set_pin(shared: &Arc<Shared>, current: Option<String>, new: String) {
    let actor = shared.actor();
    let r = shared
        .blocking(move |s| {
            if !PIN_LEN.contains(&new.chars().count()) {
                return Err(format!(
                    "the PIN must have {} to {} characters",
                    PIN_LEN.start(),
                    PIN_LEN.end()
                ));
            }
            if let Some(stored) = s.store.setting(SETTING_SUPERVISOR_PIN).map_err(|e| e.to_string())?
                && !current.as_deref().is_some_and(|c| pin_matches(c, &stored))
            {
                std::thread::sleep(WRONG_PIN_DELAY);
                return Err("the current PIN is not right".into());
            }
            let mut salt = [0u8; 16];
            getrandom::fill(&mut salt).map_err(|e| e.to_string())?;
            s.store
                .set_setting(SETTING_SUPERVISOR_PIN, &hash_pin(&new, &salt))
                .map_err(|e| e.to_string())?;
            s.store
                .append_audit(&actor, "supervisor_pin_set", None, &serde_json::json!({}))
                .map_err(|e| e.to_string())?;
            Ok(())
        })
        .await;
    match r {
        Ok(()) => {
            shared.hub.emit(Event::Notice {
                message: "Supervisor PIN saved.".into(),
            });
            requests::load_config(shared).await;
        }
        Err(e) => emit_error(shared, "The PIN was not changed.", e),
    }
}

pub(super) async fn switch_role(shared: &Arc<Shared>, role: Role, pin: Option<String>) {
    let actor = shared.actor();
    let r = shared
        .blocking(move |s| {
            if role == Role::Supervisor {
                let stored = s
                    .store
                    .setting(SETTING_SUPERVISOR_PIN)
                    .map_err(|e| e.to_string())?
                    .ok_or("no supervisor PIN is set yet: set one in Settings first")?;
                if !pin.as_deref().is_some_and(|p| pin_matches(p, &stored)) {
                    std::thread::sleep(WRONG_PIN_DELAY);
                    let _ = s
                        .store
                        .append_audit(&actor, "supervisor_pin_refused", None, &serde_json::json!({}));
                    return Err("the PIN is not right".to_string());
                }
            }
            if let Ok(mut r) = s.role.write() {
                *r = role;
            }
            s.store
                .append_audit(
                    &actor,
                    "role_changed",
                    None,
                    &serde_json::json!({ "role": role.label() }),
                )
                .map_err(|e| e.to_string())?;
            Ok(())
        })
        .await;
    match r {
        Ok(()) => shared.hub.emit(Event::RoleChanged { role }),
        Err(e) => emit_error(shared, "Still working as an officer.", e),
    }
}

pub(super) async fn load_queue(shared: &Arc<Shared>, offset: u64, limit: u32) {
    // The local day's start, also on a day whose midnight a DST change skips.
    let since = clock::start_of_today();
    let r = shared
        .blocking(move |s| {
            let rows = s.store.review_queue(offset, limit).map_err(|e| e.to_string())?;
            let counts = s.store.review_counts(since).map_err(|e| e.to_string())?;
            Ok((rows, counts))
        })
        .await;
    match r {
        Ok((rows, counts)) => shared.hub.emit(Event::ReviewQueue { offset, rows, counts }),
        Err(e) => emit_error(shared, "The review queue could not be read.", e),
    }
}

pub(super) async fn decide(shared: &Arc<Shared>, review: NewReview) {
    if role(shared) != crate::domain::Role::Supervisor {
        emit_error(
            shared,
            "Only a supervisor can decide.",
            "switch to the supervisor role with the PIN first",
        );
        return;
    }
    let actor = shared.actor();
    let r = shared
        .blocking(move |s| {
            s.store
                .decide_review(&review, &actor, Utc::now())
                .map_err(|e| e.to_string())
        })
        .await;
    match r {
        Ok(done) => {
            let check = shared
                .blocking(move |s| s.store.check(done.check_id).map_err(|e| e.to_string()))
                .await
                .ok()
                .flatten();
            shared.hub.emit(Event::Notice {
                message: format!("Check {}: {}.", done.check_id, done.decision.label()),
            });
            if let Some(c) = check {
                shared.hub.emit(Event::CheckChanged {
                    check_id: c.id,
                    data_source_id: c.data_source_id,
                    state: CheckState::Completed,
                    result: c.result,
                });
            }
            shared.hub.emit(Event::ReviewDecided(Box::new(done)));
        }
        Err(e) => emit_error(shared, "The decision was not recorded.", e),
    }
}

pub(super) async fn bulk_count(shared: &Arc<Shared>, filter: CheckFilter, action: BulkReview) {
    let f = filter.clone();
    let r = shared
        .blocking(move |s| s.store.bulk_review_count(&f, action).map_err(|e| e.to_string()))
        .await;
    match r {
        Ok(count) => shared.hub.emit(Event::BulkReviewCount { filter, action, count }),
        Err(e) => emit_error(shared, "The checks could not be counted.", e),
    }
}

pub(super) async fn bulk(shared: &Arc<Shared>, filter: CheckFilter, action: BulkReview) {
    if role(shared) != crate::domain::Role::Supervisor {
        emit_error(
            shared,
            "Only a supervisor can change the review queue.",
            "switch to the supervisor role first",
        );
        return;
    }
    let actor = shared.actor();
    let r = shared
        .blocking(move |s| {
            s.store
                .bulk_review(&filter, action, &actor, Utc::now())
                .map_err(|e| e.to_string())
        })
        .await;
    match r {
        Ok(n) => {
            shared.hub.emit(Event::Notice {
                message: match action {
                    BulkReview::SendToReview => format!("{n} check(s) sent to review."),
                    BulkReview::MarkNeedsInformation => format!("{n} check(s) marked as needing more information."),
                },
            });
            shared.hub.emit(Event::ReviewQueueChanged);
        }
        Err(e) => emit_error(shared, "The review queue was not changed.", e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_hash_and_verify() {
        let h = hash_pin("2468", b"0123456789abcdef");
        assert!(h.starts_with("pbkdf2-sha256$200000$"));
        assert!(pin_matches("2468", &h));
        assert!(!pin_matches("2469", &h));
        assert!(!pin_matches("2468", "garbage"));
        assert_ne!(h, hash_pin("2468", b"fedcba9876543210"), "the salt changes the hash");
    }
}
