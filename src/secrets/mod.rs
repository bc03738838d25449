//! Secrets: the OAuth2 client secrets of registries and the office's private signing key.
//!
//! # Why a module of its own
//!
//! A client secret lets anyone query a national registry in the office's name, and the signing
//! key lets anyone sign as the office. So they live in the OS keyring (Secret Service on Linux,
//! Keychain on macOS, Credential Manager on Windows) and nowhere else: never in the SQLite
//! store, never in logs or traces, never in exports or error messages. The rest of the program
//! keeps only a *key* (the name of an entry, such as `<installation id>/data-source-7-client-secret`,
//! made by `domain::secret_key_for` and nothing else) and asks a
//! [`SecretStore`] for the value at the moment it needs it. Nothing here implements `Display` or
//! `Debug` in a way that shows a secret, and [`describe_secret`] is what a UI shows instead of one.
//!
//! # Why calls go through a dedicated thread
//!
//! On Linux the `keyring` crate talks to the Secret Service over D-Bus with `zbus`, which (with
//! the `tokio` feature) blocks on a small tokio runtime of its own. Called from async code — on a
//! worker of a multi-threaded runtime or inside a current-thread runtime — it panics with
//! "Cannot start a runtime from within a runtime" (seen with keyring 3.6.3 and zbus 4.4, with or
//! without a session bus), and keyring's documentation warns of deadlocks when it shares a thread
//! with tokio. [`KeyringStore`] therefore owns one plain `std::thread` with no tokio context that
//! makes every keyring call, one at a time, and answers each request over a channel with a
//! timeout, so a keyring that waits for the user to unlock it cannot hang the program either.
//!
//! # Calling convention
//!
//! The [`SecretStore`] methods are synchronous and may block for up to the store's timeout
//! (10 s by default for [`KeyringStore`]). Call them from `tokio::task::spawn_blocking` or a
//! plain thread, **never directly on a tokio worker thread**: there they would stall every task
//! scheduled on that worker while the keyring answers (or waits for an unlock dialog).

mod keyring_store;
mod memory;

pub use secrecy::{ExposeSecret, SecretString};

pub use keyring_store::{DEFAULT_TIMEOUT, KeyringStore, PROBE_KEY, SERVICE};
pub use memory::MemorySecretStore;

/// Where secrets are kept: the OS keyring in the program, a [`MemorySecretStore`] in tests.
///
/// Entries are named by a `key` (not secret; may appear in messages) and hold one UTF-8 string.
/// The methods block; see the module documentation for where they may be called from.
pub trait SecretStore: Send + Sync {
    /// The secret stored under `key`, or `None` if there is no such entry. A
    /// [`SecretString`]: `Debug` never shows it, and it is zeroed when dropped.
    fn get(&self, key: &str) -> Result<Option<SecretString>, SecretError>;

    /// Stores `secret` under `key`, replacing any earlier value. Borrowed for
    /// the call: the caller keeps its secret in a [`SecretString`].
    fn set(&self, key: &str, secret: &str) -> Result<(), SecretError>;

    /// Removes the entry under `key`. Removing an entry that does not exist is not an error, so
    /// "forget this registry" can be repeated safely.
    fn delete(&self, key: &str) -> Result<(), SecretError>;

    /// Where the secrets are kept, in words for the settings screen, e.g.
    /// "Secret Service (GNOME Keyring / KWallet)".
    fn describe(&self) -> String;
}

/// Why a secret could not be read, stored or removed.
///
/// The messages are written for a field officer and never contain a secret (only entry keys and
/// the keyring's own description of what went wrong).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// There is no usable keyring: no Secret Service on the session bus, no session bus at all,
    /// or the keyring backend failed.
    #[error(
        "No OS keyring is available on this computer: {0}. IBR Desk keeps client secrets only in the OS keyring \
         (on Linux a Secret Service such as GNOME Keyring or KWallet must be running)."
    )]
    Unavailable(String),
    /// The keyring exists but is locked, or the user dismissed the unlock prompt.
    #[error("The keyring is locked; unlock it and try again.")]
    Locked,
    /// The keyring did not answer in time; the operation may or may not have taken effect.
    #[error("The keyring did not answer within {secs} s; it may be waiting for you to unlock it.")]
    TimedOut {
        /// The timeout that passed, in whole seconds (rounded up).
        secs: u64,
    },
    /// Anything else the keyring reported (an entry name it refused, a value that is not text …).
    #[error("The keyring reported a problem: {0}")]
    Other(String),
}

/// What a UI shows instead of a secret: six dots and the length, e.g. "•••••• (14 characters)".
///
/// The number of dots is fixed, and no character of the secret is ever shown, so the text can
/// go into a screenshot or a support e-mail.
pub fn describe_secret(secret: &str) -> String {
    match secret.chars().count() {
        0 => "(empty)".to_owned(),
        1 => "•••••• (1 character)".to_owned(),
        n => format!("•••••• ({n} characters)"),
    }
}

/// Tests only: a read from a [`SecretStore`] as plain text, to compare with
/// what the test stored.
#[cfg(test)]
pub(crate) trait Exposed {
    fn exposed(self) -> Result<Option<String>, SecretError>;
}

#[cfg(test)]
impl Exposed for Result<Option<SecretString>, SecretError> {
    fn exposed(self) -> Result<Option<String>, SecretError> {
        self.map(|s| s.map(|s| s.expose_secret().to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every value that carries a secret or a PIN through the program is a
    /// `SecretString` (or holds one): its `Debug` shows no character of it.
    #[test]
    fn secrets_in_transit_never_print() {
        use crate::domain::Role;
        use crate::engine::Command;
        use crate::engine::command::SecretChange;
        const PIN: &str = "97531";
        const SECRET: &str = "ZQXJ-client-secret";
        let shown = [
            format!(
                "{:?}",
                Command::SetSupervisorPin {
                    current: Some(PIN.into()),
                    new: PIN.into(),
                    reply: crate::engine::Responder::detached(),
                }
            ),
            format!(
                "{:?}",
                Command::SwitchRole {
                    role: Role::Supervisor,
                    pin: Some(PIN.into()),
                    reply: crate::engine::Responder::detached(),
                }
            ),
            format!("{:?}", SecretChange::Set(SECRET.into())),
            format!("{:?}", crate::dci::Secret::new(SECRET)),
        ];
        for s in &shown {
            assert!(!s.contains(PIN) && !s.contains(SECRET), "{s}");
        }
        let store = MemorySecretStore::new();
        store.set("k", SECRET).expect("set");
        let read = format!("{:?}", store.get("k"));
        assert!(!read.contains(SECRET), "{read}");
        let pem = crate::dci::PrivateKey::ed25519_from_bytes([7; 32])
            .to_pem()
            .expect("pem");
        assert!(!format!("{pem:?}").contains("PRIVATE KEY"), "{pem:?}");
    }

    #[test]
    fn describe_secret_shows_only_the_length() {
        // Upper-case letters and symbols, none of which the description itself uses.
        let secret = "ZQXJ-KV/WYZ+QX=";
        let shown = describe_secret(secret);
        assert_eq!(shown, "•••••• (15 characters)");
        for c in secret.chars() {
            assert!(!shown.contains(c), "{c:?} leaked into {shown:?}");
        }
        assert_eq!(describe_secret(""), "(empty)");
        assert_eq!(describe_secret("x"), "•••••• (1 character)");
        // Characters, not bytes.
        assert_eq!(describe_secret("ñandú"), "•••••• (5 characters)");
    }

    #[test]
    fn error_messages_read_as_sentences() {
        let unavailable = SecretError::Unavailable("no D-Bus session bus".to_owned()).to_string();
        assert!(unavailable.starts_with("No OS keyring is available on this computer: no D-Bus session bus."));
        assert!(unavailable.contains("GNOME Keyring or KWallet must be running"));
        assert_eq!(
            SecretError::TimedOut { secs: 10 }.to_string(),
            "The keyring did not answer within 10 s; it may be waiting for you to unlock it."
        );
        assert!(SecretError::Locked.to_string().contains("unlock it and try again"));
    }
}
