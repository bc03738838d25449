//! Keyring entries per installation: two data directories on one OS account
//! (one keyring) keep their own secrets, and a secret saved by an earlier
//! version under the old shared names is moved to this data directory's
//! names at the first start and used from there.

mod common;

use std::sync::Arc;

use common::*;
use ibr_desk::domain::{CheckState, IdType, NewDataSource, SecretEntry, secret_key_for};
use ibr_desk::engine::Engine;
use ibr_desk::sandbox::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, SandboxConfig};
use ibr_desk::secrets::{MemorySecretStore, SecretStore as _};
use ibr_desk::store::Store;

/// An office whose data directory is its own but whose keyring is `secrets`
/// (the account's), with its engine started on `store`.
fn office_on(dir: tempfile::TempDir, store: Store, secrets: &Arc<MemorySecretStore>) -> Office {
    let store = Arc::new(store);
    let engine = Engine::start(store.clone(), secrets.clone(), fast_engine_config()).unwrap();
    let events = engine.subscribe(None);
    Office {
        dir,
        store,
        secrets: secrets.clone(),
        engine: Some(engine),
        events,
    }
}

fn new_office(secrets: &Arc<MemorySecretStore>) -> Office {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("ibr-desk.sqlite3")).unwrap();
    office_on(dir, store, secrets)
}

/// A check of a person the sandbox knows, as an officer submits it.
fn check_someone(
    office: &Office,
    h: &ibr_desk::sandbox::SandboxHandle,
    source_id: i64,
) -> ibr_desk::domain::DuplicationCheck {
    let uin = h.population().samples().active_single[0].value.clone();
    office.wait_final(office.submit(source_id, applicant("Test", "Person", None, &[(IdType::Uin, &uin)])))
}

#[test]
fn two_data_directories_on_one_keyring_keep_their_own_secrets() {
    let rt = SandboxRuntime::new();
    let (ha, hb) = (
        rt.start(SandboxConfig {
            client_secret: "secret-of-the-test-office".into(),
            ..SandboxConfig::default()
        }),
        rt.start(SandboxConfig {
            client_secret: "secret-of-the-live-office".into(),
            ..SandboxConfig::default()
        }),
    );
    let keyring = Arc::new(MemorySecretStore::new());
    let test_office = new_office(&keyring);
    let live_office = new_office(&keyring);
    let a = test_office.add_sandbox(&ha, false);
    let b = live_office.add_sandbox(&hb, false);
    assert_eq!(a.id, b.id, "the same data source ID in each data directory");
    let (ia, ib) = (
        test_office.store.installation_id().unwrap(),
        live_office.store.installation_id().unwrap(),
    );
    assert_ne!(ia, ib);
    keyring.set(&a.secret_key(&ia), "secret-of-the-test-office").unwrap();
    keyring.set(&b.secret_key(&ib), "secret-of-the-live-office").unwrap();

    for (office, h, source) in [(&test_office, &ha, &a), (&live_office, &hb, &b)] {
        let c = check_someone(office, h, source.id);
        assert_eq!(c.state, CheckState::Completed, "each office's own secret: {c:#?}");
        assert!(c.result.is_some(), "{c:#?}");
    }
    assert_eq!(
        keyring.get(&a.secret_key(&ia)).exposed().unwrap().as_deref(),
        Some("secret-of-the-test-office")
    );
    assert_eq!(
        keyring.get(&b.secret_key(&ib)).exposed().unwrap().as_deref(),
        Some("secret-of-the-live-office")
    );
    drop((test_office, live_office));
    rt.stop(ha);
    rt.stop(hb);
}

#[test]
fn secrets_under_the_old_names_are_moved_at_the_first_start_and_used() {
    // A sandbox that wants a token and requests signed by the office's key.
    let rt = SandboxRuntime::new();
    let h = rt.start(SandboxConfig {
        require_signed_requests: true,
        client_keys: office_jwks(),
        ..SandboxConfig::default()
    });
    // A data directory of an earlier version: a data source, the office's
    // key ID and sender ID in the database, the secrets under the old names.
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("ibr-desk.sqlite3")).unwrap();
    let source = store
        .insert_data_source(&NewDataSource {
            auth_url: Some(h.token_url()),
            client_id: Some(DEMO_CLIENT_ID.into()),
            ..NewDataSource::ibr("Sandbox", &h.base_url())
        })
        .unwrap();
    store
        .set_setting(ibr_desk::engine::trust::SETTING_OFFICE_SENDER_ID, "office.test")
        .unwrap();
    store
        .set_setting(ibr_desk::engine::trust::SETTING_OFFICE_KEY_ID, "k1")
        .unwrap();
    let keyring = Arc::new(MemorySecretStore::new());
    let old_secret = SecretEntry::ClientSecret {
        data_source_id: source.id,
    }
    .legacy_name();
    assert_eq!(old_secret, format!("data-source-{}-client-secret", source.id));
    keyring.set(&old_secret, DEMO_CLIENT_SECRET).unwrap();
    let pem = ibr_desk::dci::PrivateKey::ed25519_from_bytes([42; 32])
        .to_pem()
        .unwrap();
    let pem = ibr_desk::secrets::ExposeSecret::expose_secret(&pem).to_owned();
    keyring.set("office-signing-key", &pem).unwrap();

    let office = office_on(dir, store, &keyring);
    office.trust_sandbox(&h, source.id);
    let c = check_someone(&office, &h, source.id);
    assert_eq!(
        c.state,
        CheckState::Completed,
        "the moved client secret got a token and the moved key signed: {c:#?}"
    );
    let me = office.store.installation_id().unwrap();
    assert_eq!(
        keyring.get(&old_secret).exposed().unwrap(),
        None,
        "the old names are gone"
    );
    assert_eq!(keyring.get("office-signing-key").exposed().unwrap(), None);
    assert_eq!(
        keyring.get(&source.secret_key(&me)).exposed().unwrap().as_deref(),
        Some(DEMO_CLIENT_SECRET)
    );
    assert_eq!(
        keyring
            .get(&secret_key_for(&me, SecretEntry::OfficeSigningKey))
            .exposed()
            .unwrap(),
        Some(pem)
    );
    assert_eq!(keyring.len(), 2);
    let audit = office.store.audit_page(0, 100).unwrap();
    let renamed: Vec<_> = audit.iter().filter(|a| a.action == "keyring_entries_renamed").collect();
    assert_eq!(renamed.len(), 1, "{audit:#?}");
    assert!(renamed[0].details.contains(&old_secret) && !renamed[0].details.contains(DEMO_CLIENT_SECRET));

    // The next start moves nothing again.
    let mut office = office;
    office
        .engine
        .take()
        .unwrap()
        .shutdown(std::time::Duration::from_secs(2));
    let store = Store::open(&office.dir.path().join("ibr-desk.sqlite3")).unwrap();
    let again = office_on(tempfile::tempdir().unwrap(), store, &keyring);
    let c = check_someone(&again, &h, source.id);
    assert_eq!(c.state, CheckState::Completed, "{c:#?}");
    let renamed = again
        .store
        .audit_page(0, 100)
        .unwrap()
        .iter()
        .filter(|a| a.action == "keyring_entries_renamed")
        .count();
    assert_eq!(renamed, 1);
    drop((again, office));
    rt.stop(h);
}
