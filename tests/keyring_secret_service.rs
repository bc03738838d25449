//! `KeyringStore` against a real Secret Service.
//!
//! Ignored by default: they need a session bus with an unlocked Secret Service, which `.ci/run`
//! provides by running them under `dbus-run-session` with `gnome-keyring-daemon --unlock`. They
//! live in their own test binary because keyring's credential builder is process-global, and
//! should run with `--test-threads=1` as keyring calls are serialised anyway.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ibr_desk::secrets::{ExposeSecret as _, KeyringStore, SecretError, SecretStore, SecretString};

/// A read as plain text, to compare with what the test stored.
trait Exposed {
    fn exposed(self) -> Result<Option<String>, SecretError>;
}

impl Exposed for Result<Option<SecretString>, SecretError> {
    fn exposed(self) -> Result<Option<String>, SecretError> {
        self.map(|s| s.map(|s| s.expose_secret().to_owned()))
    }
}

const IGNORE_REASON: &str = "needs a Secret Service (gnome-keyring under dbus-run-session); .ci/run starts one";

/// A key no other run, test or real entry uses; every test deletes its entry again.
fn unique_key(label: &str) -> String {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("integration-test/{label}/{}-{nanos}", std::process::id())
}

/// A keyring store, after checking there is a usable keyring (with a message saying how to get
/// one, rather than a bare assertion failure, when there is not).
fn store() -> KeyringStore {
    let store = KeyringStore::with_timeout(Duration::from_secs(20)).expect("keyring thread");
    if let Err(err) = store.probe() {
        panic!("{err}\n(this test {IGNORE_REASON})");
    }
    store
}

/// The whole life of a client secret: stored, read, replaced, deleted, gone.
fn round_trip(store: &KeyringStore, key: &str) -> Result<(), SecretError> {
    assert_eq!(store.get(key).exposed()?, None, "a fresh key has no entry");

    store.set(key, "first client secret ✓")?;
    assert_eq!(store.get(key).exposed()?.as_deref(), Some("first client secret ✓"));

    store.set(key, "second-client-secret")?;
    assert_eq!(
        store.get(key).exposed()?.as_deref(),
        Some("second-client-secret"),
        "set replaces the entry"
    );

    store.delete(key)?;
    assert_eq!(store.get(key).exposed()?, None, "a deleted entry is gone");
    store.delete(key)?; // deleting a missing entry is fine
    Ok(())
}

#[test]
#[ignore = "needs a Secret Service (gnome-keyring under dbus-run-session); .ci/run starts one"]
fn a_client_secret_is_stored_read_replaced_and_deleted() {
    let store = store();
    let key = unique_key("round-trip");
    let outcome = round_trip(&store, &key);
    let _ = store.delete(&key);
    outcome.expect("round trip through the Secret Service");
    assert_eq!(store.describe(), "Secret Service (GNOME Keyring / KWallet)");
}

/// zbus (under keyring's Secret Service backend) panics when called on a tokio worker ("Cannot
/// start a runtime from within a runtime"). Through the dedicated keyring thread both the
/// recommended call (from `spawn_blocking`) and the discouraged one (directly on a worker) work.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs a Secret Service (gnome-keyring under dbus-run-session); .ci/run starts one"]
async fn it_works_when_called_from_inside_a_tokio_runtime() {
    let store = store();

    let key = unique_key("spawn-blocking");
    let in_blocking = store.clone();
    let blocking_key = key.clone();
    let outcome = tokio::task::spawn_blocking(move || round_trip(&in_blocking, &blocking_key))
        .await
        .expect("spawn_blocking");
    let _ = store.delete(&key);
    outcome.expect("round trip from spawn_blocking");

    let key = unique_key("worker");
    let outcome = round_trip(&store, &key);
    let _ = store.delete(&key);
    outcome.expect("round trip directly on a runtime worker");
}

/// Two stores (say, the engine's and the UI's) see each other's entries: the Secret Service,
/// not the process, holds them.
#[test]
#[ignore = "needs a Secret Service (gnome-keyring under dbus-run-session); .ci/run starts one"]
fn entries_are_shared_between_stores() {
    let writer = store();
    let reader = store();
    let key = unique_key("shared");
    let outcome = writer
        .set(&key, "shared-secret")
        .and_then(|()| reader.get(&key))
        .exposed();
    let _ = writer.delete(&key);
    assert_eq!(outcome, Ok(Some("shared-secret".to_owned())));
    assert_eq!(reader.get(&key).exposed(), Ok(None));
}

/// Entry names carry the installation ID (`<uuid>/data-source-7-client-secret`): the Secret
/// Service accepts them, and two installations' entries for the same data source stay apart.
#[test]
#[ignore = "needs a Secret Service (gnome-keyring under dbus-run-session); .ci/run starts one"]
fn two_installations_keep_separate_entries() {
    use ibr_desk::domain::{InstallationId, SecretEntry, secret_key_for};
    let store = store();
    let entry = SecretEntry::ClientSecret { data_source_id: 7 };
    // Fresh random installations: no real entry has these names.
    let (a, b) = (InstallationId::generate(), InstallationId::generate());
    let (key_a, key_b) = (secret_key_for(&a, entry), secret_key_for(&b, entry));
    let outcome = store
        .set(&key_a, "secret of installation a")
        .and_then(|()| store.set(&key_b, "secret of installation b"))
        .and_then(|()| Ok((store.get(&key_a).exposed()?, store.get(&key_b).exposed()?)));
    let _ = store.delete(&key_a);
    let _ = store.delete(&key_b);
    assert_eq!(
        outcome,
        Ok((
            Some("secret of installation a".to_owned()),
            Some("secret of installation b".to_owned())
        ))
    );
}
