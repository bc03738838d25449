//! A supervisor PIN stored in the hand-written format of earlier versions
//! still lets the supervisor in, and the first right entry writes it again
//! as a PHC string, with its audit line.

mod common;

use std::sync::Arc;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::fast_engine_config;
use ibr_desk::domain::Role;
use ibr_desk::engine::supervisor::SETTING_SUPERVISOR_PIN;
use ibr_desk::engine::{Command, Engine, Event};
use ibr_desk::secrets::MemorySecretStore;
use ibr_desk::store::Store;

const PIN: &str = "2468";

/// `pbkdf2-sha256$<rounds>$<salt>$<hash>`, as earlier versions wrote it.
fn legacy_hash(pin: &str) -> String {
    let salt = b"0123456789abcdef";
    let mut out = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(pin.as_bytes(), salt, 200_000, &mut out);
    format!(
        "pbkdf2-sha256$200000${}${}",
        STANDARD.encode(salt),
        STANDARD.encode(out)
    )
}

fn wait_for<T>(events: &Receiver<Event>, what: &str, mut pick: impl FnMut(&Event) -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "waited 30 s for {what}");
        if let Ok(e) = events.recv_timeout(left)
            && let Some(t) = pick(&e)
        {
            return t;
        }
    }
}

fn switch(engine: &Engine, pin: &str) -> Result<(), String> {
    engine
        .request(|reply| Command::SwitchRole {
            role: Role::Supervisor,
            pin: Some(pin.into()),
            reply,
        })
        .wait(Duration::from_secs(30))
        .map(|_| ())
        .map_err(|e| {
            assert_eq!(e.message, "Still working as an officer.");
            e.detail
        })
}

#[test]
fn an_old_pin_hash_verifies_and_is_rewritten_as_phc_on_the_first_right_entry() {
    let dir = tempfile::tempdir().expect("dir");
    let store = Arc::new(Store::open(&dir.path().join("ibr-desk.sqlite3")).expect("store"));
    let old = legacy_hash(PIN);
    store.set_setting(SETTING_SUPERVISOR_PIN, &old).expect("old hash");
    let engine = Engine::start(
        store.clone(),
        Arc::new(MemorySecretStore::default()),
        fast_engine_config(),
    )
    .expect("engine");
    let events = engine.subscribe(None);

    // A wrong PIN changes nothing.
    assert!(switch(&engine, "1357").is_err());
    assert_eq!(store.setting(SETTING_SUPERVISOR_PIN).ok().flatten(), Some(old.clone()));

    switch(&engine, PIN).expect("the old hash lets the supervisor in");
    let new = store.setting(SETTING_SUPERVISOR_PIN).ok().flatten().unwrap_or_default();
    assert!(new.starts_with("$pbkdf2-sha256$i=200000,l=32$"), "{new}");
    let audit = store.audit_page(0, 20).expect("audit");
    let upgraded: Vec<_> = audit.iter().filter(|e| e.action == "supervisor_pin_rehashed").collect();
    assert_eq!(upgraded.len(), 1, "one audit line for the rewrite");
    assert!(!upgraded[0].details.contains(PIN), "no PIN in the audit log");

    // The rewritten hash lets the supervisor in again, and is not rewritten again.
    let _ = engine.request(|reply| Command::SwitchRole {
        role: Role::Officer,
        pin: None,
        reply,
    });
    wait_for(&events, "the officer role", |e| {
        matches!(e, Event::RoleChanged { role: Role::Officer }).then_some(())
    });
    switch(&engine, PIN).expect("the PHC hash lets the supervisor in");
    assert_eq!(store.setting(SETTING_SUPERVISOR_PIN).ok().flatten(), Some(new));
    let audit = store.audit_page(0, 20).expect("audit");
    assert_eq!(
        audit.iter().filter(|e| e.action == "supervisor_pin_rehashed").count(),
        1
    );
}
