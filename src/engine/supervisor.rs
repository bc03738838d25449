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

use super::command::Said;
use super::event::{ChecksChanged, Event};
use super::{Shared, config};
use crate::domain::{CheckFilter, EngineError, ErrorKind, NewReview, Review, Role};
use crate::store::BulkReview;

pub use super::config::SETTING_SUPERVISOR_PIN;
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

/// The role the engine acts under now.
pub(super) fn role(shared: &Shared) -> Role {
    shared.role.read().map(|r| *r).unwrap_or_default()
}

/// What an officer is told when the engine refuses a change of trust.
pub const TRUST_NEEDS_SUPERVISOR: &str = "Only a supervisor can change data sources and trusted senders.";
/// The detail beside it: what to do.
pub const SWITCH_TO_SUPERVISOR: &str = "switch to the supervisor role with the PIN first";

/// `Ok` when the engine acts as a supervisor, who may change which
/// registries are asked and whose signatures are believed; why not otherwise.
pub(super) fn may_change_trust(shared: &Shared) -> Result<(), EngineError> {
    match role(shared) {
        Role::Supervisor => Ok(()),
        Role::Officer => Err(EngineError::new(
            ErrorKind::NotAllowed,
            TRUST_NEEDS_SUPERVISOR,
            format!("only a supervisor can change data sources and trusted senders: {SWITCH_TO_SUPERVISOR}"),
        )),
    }
}

pub(super) async fn set_pin(shared: &Arc<Shared>, current: Option<String>, new: String) -> Result<Said, EngineError> {
    let actor = shared.actor();
    shared
        .run_blocking(move |s| {
            if !PIN_LEN.contains(&new.chars().count()) {
                return Err(EngineError::invalid(format!(
                    "the PIN must have {} to {} characters",
                    PIN_LEN.start(),
                    PIN_LEN.end()
                )));
            }
            let stored = s.store.setting(SETTING_SUPERVISOR_PIN)?;
            if let Some(stored) = &stored
                && !current.as_deref().is_some_and(|c| pin_matches(c, stored))
            {
                std::thread::sleep(WRONG_PIN_DELAY);
                return Err(EngineError::not_allowed("the current PIN is not right"));
            }
            let mut salt = [0u8; 16];
            getrandom::fill(&mut salt).map_err(|e| EngineError::of(ErrorKind::Internal, e.to_string()))?;
            s.store
                .set_supervisor_pin(stored.as_deref(), &hash_pin(&new, &salt), &actor)?;
            Ok(())
        })
        .await
        .map_err(|e| e.saying("The PIN was not changed."))?;
    config::announce(shared).await;
    Ok("Supervisor PIN saved.".into())
}

pub(super) async fn switch_role(shared: &Arc<Shared>, role: Role, pin: Option<String>) -> Result<Role, EngineError> {
    let actor = shared.actor();
    shared
        .run_blocking(move |s| {
            if role == Role::Supervisor {
                let stored = s.store.setting(SETTING_SUPERVISOR_PIN)?.ok_or_else(|| {
                    EngineError::not_allowed("no supervisor PIN is set yet: set one in Settings first")
                })?;
                if !pin.as_deref().is_some_and(|p| pin_matches(p, &stored)) {
                    std::thread::sleep(WRONG_PIN_DELAY);
                    let _ = s.store.record_pin_refused(&actor);
                    return Err(EngineError::not_allowed("the PIN is not right"));
                }
            }
            // The audit line first: a switch the log does not hold never
            // takes effect.
            s.store.record_role_change(role, &actor)?;
            if let Ok(mut r) = s.role.write() {
                *r = role;
            }
            Ok(())
        })
        .await
        .map_err(|e| e.saying("Still working as an officer."))?;
    shared.hub.emit(Event::RoleChanged { role });
    Ok(role)
}

pub(super) async fn decide(shared: &Arc<Shared>, review: NewReview) -> Result<Review, EngineError> {
    if role(shared) != Role::Supervisor {
        return Err(EngineError::new(
            ErrorKind::NotAllowed,
            "Only a supervisor can decide.",
            "switch to the supervisor role with the PIN first",
        ));
    }
    let actor = shared.actor();
    let done = shared
        .run_blocking(move |s| Ok(s.store.decide_review(&review, &actor, Utc::now())?))
        .await
        .map_err(|e| e.saying("The decision was not recorded."))?;
    let source = shared
        .blocking(move |s| s.store.check(done.check_id).map_err(|e| e.to_string()))
        .await
        .ok()
        .flatten()
        .and_then(|c| c.data_source_id);
    shared
        .hub
        .emit(Event::ChecksChanged(ChecksChanged::new([done.check_id], source)));
    shared.hub.emit(Event::ReviewsChanged {
        check_ids: vec![done.check_id],
    });
    Ok(done)
}

pub(super) async fn bulk(shared: &Arc<Shared>, filter: CheckFilter, action: BulkReview) -> Result<Said, EngineError> {
    if role(shared) != Role::Supervisor {
        return Err(EngineError::new(
            ErrorKind::NotAllowed,
            "Only a supervisor can change the review queue.",
            "switch to the supervisor role first",
        ));
    }
    let actor = shared.actor();
    let n = shared
        .run_blocking(move |s| Ok(s.store.bulk_review(&filter, action, &actor, Utc::now())?))
        .await
        .map_err(|e| e.saying("The review queue was not changed."))?;
    shared.hub.emit(Event::ReviewsChanged { check_ids: Vec::new() });
    Ok(match action {
        BulkReview::SendToReview => format!("{n} check(s) sent to review."),
        BulkReview::MarkNeedsInformation => format!("{n} check(s) marked as needing more information."),
    })
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
