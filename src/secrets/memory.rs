//! An in-memory [`SecretStore`] for tests and demos: nothing is written anywhere, and everything
//! is gone when the store is dropped.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};

use secrecy::SecretString;

use super::{SecretError, SecretStore};

/// Secrets in a `HashMap` behind a mutex. For tests only: it never fails and never persists.
#[derive(Default)]
pub struct MemorySecretStore {
    entries: Mutex<HashMap<String, SecretString>>,
}

impl MemorySecretStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many entries the store holds (for tests that check nothing was left behind).
    pub fn len(&self) -> usize {
        self.entries().len()
    }

    /// Whether the store holds no entry.
    pub fn is_empty(&self) -> bool {
        self.entries().is_empty()
    }

    /// The map, even if a test panicked while holding the lock: a poisoned map of strings is
    /// still a consistent map, and failing every later test would hide the first failure.
    fn entries(&self) -> MutexGuard<'_, HashMap<String, SecretString>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl SecretStore for MemorySecretStore {
    fn get(&self, key: &str) -> Result<Option<SecretString>, SecretError> {
        Ok(self.entries().get(key).cloned())
    }

    fn set(&self, key: &str, secret: &str) -> Result<(), SecretError> {
        self.entries().insert(key.to_owned(), SecretString::from(secret));
        Ok(())
    }

    fn delete(&self, key: &str) -> Result<(), SecretError> {
        self.entries().remove(key);
        Ok(())
    }

    fn describe(&self) -> String {
        "in-memory (tests only)".to_owned()
    }
}

/// Shows how many entries there are, never the keys or the secrets.
impl fmt::Debug for MemorySecretStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemorySecretStore")
            .field("entries", &self.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::Exposed as _;

    /// The [`SecretStore`] contract, written against the trait so that another store can be
    /// run through the same checks.
    fn check_contract(store: &dyn SecretStore) {
        let key = "client-secret/contract-test";
        assert_eq!(store.get(key).exposed(), Ok(None), "a fresh key has no entry");

        store.set(key, "first-secret").expect("set");
        assert_eq!(store.get(key).exposed(), Ok(Some("first-secret".to_owned())));

        store.set(key, "second-secret").expect("overwrite");
        assert_eq!(
            store.get(key).exposed(),
            Ok(Some("second-secret".to_owned())),
            "set replaces"
        );

        store.delete(key).expect("delete");
        assert_eq!(store.get(key).exposed(), Ok(None), "deleted entries are gone");

        store.delete(key).expect("deleting a missing entry is not an error");
        store
            .delete("client-secret/never-stored")
            .expect("deleting a never-stored entry is not an error");
    }

    #[test]
    fn memory_store_keeps_the_contract() {
        let store = MemorySecretStore::new();
        check_contract(&store);
        assert!(store.is_empty());
    }

    #[test]
    fn keys_are_independent() {
        let store = MemorySecretStore::new();
        store.set("a", "secret-a").expect("set a");
        store.set("b", "secret-b").expect("set b");
        store.delete("a").expect("delete a");
        assert_eq!(store.get("a").exposed(), Ok(None));
        assert_eq!(store.get("b").exposed(), Ok(Some("secret-b".to_owned())));
        assert_eq!(store.len(), 1);
    }

    #[test]
    fn empty_and_unicode_secrets_round_trip() {
        let store = MemorySecretStore::new();
        store.set("empty", "").expect("set empty");
        assert_eq!(store.get("empty").exposed(), Ok(Some(String::new())));
        store.set("unicode", "clé-secrète-ñ-✓").expect("set unicode");
        assert_eq!(store.get("unicode").exposed(), Ok(Some("clé-secrète-ñ-✓".to_owned())));
    }

    #[test]
    fn debug_and_describe_never_show_secrets() {
        let store = MemorySecretStore::new();
        store.set("client-secret/x", "hunter2-very-secret").expect("set");
        let debug = format!("{store:?} {store:#?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert_eq!(debug.matches("entries").count(), 2);
        assert_eq!(store.describe(), "in-memory (tests only)");
    }

    #[test]
    fn usable_as_a_shared_trait_object() {
        let store: std::sync::Arc<dyn SecretStore> = std::sync::Arc::new(MemorySecretStore::new());
        let writer = std::sync::Arc::clone(&store);
        std::thread::spawn(move || writer.set("k", "v").expect("set from another thread"))
            .join()
            .expect("thread");
        assert_eq!(store.get("k").exposed(), Ok(Some("v".to_owned())));
    }
}
