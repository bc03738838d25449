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
use pbkdf2::Pbkdf2;
use pbkdf2::password_hash::phc::PasswordHash;
use pbkdf2::password_hash::{self, CustomizedPasswordHasher, PasswordVerifier};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

use super::command::Said;
use super::event::{ChecksChanged, Event};
use super::{Shared, config};
use crate::domain::{CheckFilter, EngineError, ErrorKind, NewReview, Review, Role};
use crate::store::BulkReview;

pub use super::config::SETTING_SUPERVISOR_PIN;
/// PBKDF2 rounds written into a new PIN hash: slow enough to make guessing a
/// short PIN offline costly.
const PIN_ROUNDS: u32 = 200_000;
/// The rounds a stored hash may ask for. The cost is read back from the
/// settings row, so without a ceiling a tampered row could make every PIN
/// check run for minutes; without a floor, a row weakened to a few rounds
/// would make a copied database cheap to guess from. A hash outside is
/// refused, never computed.
const STORED_ROUNDS: std::ops::RangeInclusive<u32> = 100_000..=2_000_000;
/// Shortest and longest PIN accepted.
const PIN_LEN: std::ops::RangeInclusive<usize> = 4..=32;
/// The pause after a wrong PIN.
const WRONG_PIN_DELAY: Duration = Duration::from_secs(1);
/// The scheme name of PIN hashes before PHC strings (still read, rewritten on
/// the next right PIN).
const LEGACY_SCHEME: &str = "pbkdf2-sha256";

/// A PIN's hash as a PHC string (`$pbkdf2-sha256$i=200000,l=32$<salt>$<hash>`),
/// written by the `pbkdf2` crate.
pub fn hash_pin(pin: &SecretString, salt: &[u8]) -> Result<String, String> {
    let params = pbkdf2::Params::new_with_output_len(PIN_ROUNDS, 32).map_err(|e| e.to_string())?;
    Pbkdf2::SHA256
        .hash_password_customized(pin.expose_secret().as_bytes(), salt, None, None, params)
        .map(|h| h.to_string())
        .map_err(|e| format!("cannot hash the PIN: {e}"))
}

/// What a PIN entry made of a stored hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinCheck {
    /// The PIN is right; `upgrade` when the stored hash is in the old
    /// hand-written format and should be written again as a PHC string.
    Right { upgrade: bool },
    /// The PIN is not the one the hash was made from.
    Wrong,
    /// The stored hash cannot be checked (not a hash, an unknown scheme, or a
    /// cost outside [`STORED_ROUNDS`]); says why.
    Unusable(String),
}

/// Checks `pin` against a stored hash: a PHC string, or the older
/// `pbkdf2-sha256$<rounds>$<salt>$<hash>`. The cost is bounded before any
/// hashing is done.
pub fn check_pin(pin: &SecretString, stored: &str) -> PinCheck {
    let pin = pin.expose_secret().as_bytes();
    if stored.starts_with(LEGACY_SCHEME) {
        return check_legacy(pin, stored);
    }
    let hash = match PasswordHash::new(stored) {
        Ok(h) => h,
        Err(e) => return PinCheck::Unusable(format!("the stored PIN hash is not a PHC string: {e}")),
    };
    if hash.algorithm.as_str() != pbkdf2::Algorithm::PBKDF2_SHA256_ID {
        return PinCheck::Unusable(format!(
            "the stored PIN hash uses {}, not pbkdf2-sha256",
            hash.algorithm
        ));
    }
    let rounds = match pbkdf2::Params::try_from(&hash) {
        Ok(p) => p.rounds(),
        Err(e) => return PinCheck::Unusable(format!("the stored PIN hash has unusable parameters: {e}")),
    };
    if let Err(why) = bounded(rounds) {
        return PinCheck::Unusable(why);
    }
    match Pbkdf2::SHA256.verify_password(pin, &hash) {
        Ok(()) => PinCheck::Right { upgrade: false },
        Err(password_hash::Error::PasswordInvalid) => PinCheck::Wrong,
        Err(e) => PinCheck::Unusable(format!("the stored PIN hash cannot be checked: {e}")),
    }
}

/// Whether `pin` is right for a stored hash (of either format).
pub fn pin_matches(pin: &SecretString, stored: &str) -> bool {
    matches!(check_pin(pin, stored), PinCheck::Right { .. })
}

fn bounded(rounds: u32) -> Result<(), String> {
    if STORED_ROUNDS.contains(&rounds) {
        return Ok(());
    }
    Err(format!(
        "the stored PIN hash asks for {rounds} rounds, outside {} to {}: set the PIN again",
        STORED_ROUNDS.start(),
        STORED_ROUNDS.end()
    ))
}

/// The format before PHC strings, read so that an existing PIN keeps working.
fn check_legacy(pin: &[u8], stored: &str) -> PinCheck {
    let parts: Vec<&str> = stored.split('$').collect();
    let [LEGACY_SCHEME, rounds, salt, hash] = parts.as_slice() else {
        return PinCheck::Unusable("the stored PIN hash is not in a known format".into());
    };
    let (Ok(rounds), Ok(salt), Ok(hash)) = (rounds.parse::<u32>(), STANDARD.decode(salt), STANDARD.decode(hash)) else {
        return PinCheck::Unusable("the stored PIN hash is not in a known format".into());
    };
    if hash.len() != 32 {
        return PinCheck::Unusable("the stored PIN hash has the wrong length".into());
    }
    if let Err(why) = bounded(rounds) {
        return PinCheck::Unusable(why);
    }
    let mut out = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<Sha256>(pin, &salt, rounds, &mut out);
    // Constant time over the hash bytes.
    if out.iter().zip(&hash).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0 {
        PinCheck::Right { upgrade: true }
    } else {
        PinCheck::Wrong
    }
}

/// A new random salt for [`hash_pin`].
fn new_salt() -> Result<[u8; 16], String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| e.to_string())?;
    Ok(salt)
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

pub(super) async fn set_pin(
    shared: &Arc<Shared>,
    current: Option<SecretString>,
    new: SecretString,
) -> Result<Said, EngineError> {
    let actor = shared.actor();
    shared
        .run_blocking(move |s| {
            if !PIN_LEN.contains(&new.expose_secret().chars().count()) {
                return Err(EngineError::invalid(format!(
                    "the PIN must have {} to {} characters",
                    PIN_LEN.start(),
                    PIN_LEN.end()
                )));
            }
            let stored = s.store.setting(SETTING_SUPERVISOR_PIN)?;
            if let Some(stored) = &stored {
                match current.as_ref().map(|c| check_pin(c, stored)) {
                    Some(PinCheck::Right { .. }) => {}
                    Some(PinCheck::Unusable(why)) => return Err(EngineError::of(ErrorKind::Store, why)),
                    Some(PinCheck::Wrong) | None => {
                        std::thread::sleep(WRONG_PIN_DELAY);
                        return Err(EngineError::not_allowed("the current PIN is not right"));
                    }
                }
            }
            let hash = hash_pin(&new, &new_salt().map_err(internal)?).map_err(internal)?;
            s.store.set_supervisor_pin(stored.as_deref(), &hash, &actor)?;
            Ok(())
        })
        .await
        .map_err(|e| e.saying("The PIN was not changed."))?;
    config::announce(shared).await;
    Ok("Supervisor PIN saved.".into())
}

fn internal(why: String) -> EngineError {
    EngineError::of(ErrorKind::Internal, why)
}

pub(super) async fn switch_role(
    shared: &Arc<Shared>,
    role: Role,
    pin: Option<SecretString>,
) -> Result<Role, EngineError> {
    let actor = shared.actor();
    shared
        .run_blocking(move |s| {
            if role == Role::Supervisor {
                let stored = s.store.setting(SETTING_SUPERVISOR_PIN)?.ok_or_else(|| {
                    EngineError::not_allowed("no supervisor PIN is set yet: set one in Settings first")
                })?;
                match pin.as_ref().map(|p| check_pin(p, &stored)) {
                    Some(PinCheck::Right { upgrade }) => {
                        if upgrade && let Some(p) = &pin {
                            upgrade_pin_hash(s, &actor, &stored, p)?;
                        }
                    }
                    Some(PinCheck::Unusable(why)) => return Err(EngineError::of(ErrorKind::Store, why)),
                    Some(PinCheck::Wrong) | None => {
                        std::thread::sleep(WRONG_PIN_DELAY);
                        let _ = s.store.record_pin_refused(&actor);
                        return Err(EngineError::not_allowed("the PIN is not right"));
                    }
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

/// Writes a right PIN again as a PHC string when it was stored in the old
/// format, with its audit line in the same transaction. Done on the first
/// right entry after an upgrade, the only moment the PIN itself is at hand.
fn upgrade_pin_hash(s: &Shared, actor: &str, old: &str, pin: &SecretString) -> Result<(), EngineError> {
    let hash = hash_pin(pin, &new_salt().map_err(internal)?).map_err(internal)?;
    Ok(s.store.rehash_supervisor_pin(old, &hash, actor)?)
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

    /// The hand-written format PIN hashes had before PHC strings.
    fn legacy_hash_pin_with(pin: &str, salt: &[u8], rounds: u32) -> String {
        let mut out = [0u8; 32];
        pbkdf2::pbkdf2_hmac::<Sha256>(pin.as_bytes(), salt, rounds, &mut out);
        format!(
            "{LEGACY_SCHEME}${rounds}${}${}",
            STANDARD.encode(salt),
            STANDARD.encode(out)
        )
    }

    fn legacy_hash_pin(pin: &str, salt: &[u8]) -> String {
        legacy_hash_pin_with(pin, salt, PIN_ROUNDS)
    }

    /// A PHC string made with `rounds`, as a tampered or foreign row would hold.
    fn phc_hash_with(pin: &str, rounds: u32) -> String {
        let params = pbkdf2::Params::new_with_output_len(rounds, 32).expect("params");
        Pbkdf2::SHA256
            .hash_password_customized(pin.as_bytes(), b"0123456789abcdef", None, None, params)
            .expect("hash")
            .to_string()
    }

    fn pin(p: &str) -> SecretString {
        SecretString::from(p)
    }

    fn pin_matches(p: &str, stored: &str) -> bool {
        super::pin_matches(&pin(p), stored)
    }

    /// The old format still verifies (the assertions of the test of the
    /// hand-written writer, now the test helper that makes such hashes).
    #[test]
    fn pins_hash_and_verify() {
        let h = legacy_hash_pin("2468", b"0123456789abcdef");
        assert!(h.starts_with("pbkdf2-sha256$200000$"));
        assert!(pin_matches("2468", &h));
        assert!(!pin_matches("2469", &h));
        assert!(!pin_matches("2468", "garbage"));
        assert_ne!(
            h,
            legacy_hash_pin("2468", b"fedcba9876543210"),
            "the salt changes the hash"
        );
    }

    #[test]
    fn new_pins_are_phc_strings_that_verify() {
        let h = hash_pin(&pin("2468"), b"0123456789abcdef").expect("hash");
        assert!(h.starts_with("$pbkdf2-sha256$i=200000,l=32$"), "{h}");
        assert_eq!(check_pin(&pin("2468"), &h), PinCheck::Right { upgrade: false });
        assert_eq!(check_pin(&pin("2469"), &h), PinCheck::Wrong);
        assert_ne!(
            h,
            hash_pin(&pin("2468"), b"fedcba9876543210").expect("hash"),
            "the salt changes the hash"
        );
    }

    #[test]
    fn a_right_pin_against_an_old_hash_asks_for_an_upgrade() {
        let h = legacy_hash_pin("2468", b"0123456789abcdef");
        assert_eq!(check_pin(&pin("2468"), &h), PinCheck::Right { upgrade: true });
        assert_eq!(check_pin(&pin("2469"), &h), PinCheck::Wrong);
    }

    #[test]
    fn a_stored_cost_above_the_ceiling_is_refused_unhashed() {
        let above = STORED_ROUNDS.end() + 1;
        for h in [
            phc_hash_with("2468", above),
            legacy_hash_pin_with("2468", b"0123456789abcdef", above),
        ] {
            assert!(
                matches!(check_pin(&pin("2468"), &h), PinCheck::Unusable(why) if why.contains("rounds")),
                "{h}"
            );
        }
        // Absurd counts are refused the same way (computing them would take hours).
        let absurd = phc_hash_with("2468", 1000).replace("i=1000", &format!("i={}", u32::MAX));
        assert!(
            matches!(check_pin(&pin("2468"), &absurd), PinCheck::Unusable(_)),
            "{absurd}"
        );
        let absurd = format!(
            "pbkdf2-sha256${}$MDEyMzQ1Njc4OWFiY2RlZg==${}",
            u32::MAX,
            STANDARD.encode([0u8; 32])
        );
        assert!(matches!(check_pin(&pin("2468"), &absurd), PinCheck::Unusable(_)));
    }

    #[test]
    fn a_stored_cost_below_the_floor_is_refused() {
        let below = STORED_ROUNDS.start() - 1;
        for h in [
            phc_hash_with("2468", below),
            legacy_hash_pin_with("2468", b"0123456789abcdef", below),
        ] {
            assert!(
                matches!(check_pin(&pin("2468"), &h), PinCheck::Unusable(why) if why.contains("rounds")),
                "{h}"
            );
        }
    }

    #[test]
    fn other_schemes_and_broken_strings_are_unusable_not_right() {
        let sha512 = phc_hash_with("2468", 200_000).replace("pbkdf2-sha256", "pbkdf2-sha512");
        assert!(matches!(check_pin(&pin("2468"), &sha512), PinCheck::Unusable(_)));
        for bad in [
            "",
            "garbage",
            "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA",
            "pbkdf2-sha256$x$y$z",
        ] {
            assert!(matches!(check_pin(&pin("2468"), bad), PinCheck::Unusable(_)), "{bad:?}");
        }
    }
}
