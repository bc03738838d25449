//! The sandbox's signing key, kept in a file when it must survive a restart.
//!
//! A sandbox signs every reply; whoever holds its key can forge its answers.
//! The key is therefore never derived from anything public (the population
//! seed is printed in every README): it is random, and a sandbox that must
//! keep its identity across restarts — the built-in demo registry, or
//! `ibr-desk sandbox --key-file` — keeps it in a PKCS#8 PEM file readable by
//! its owner only (0600), created on first use and reused afterwards.

use secrecy::{ExposeSecret as _, SecretString};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::dci::PrivateKey;

/// Why the key file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    #[error("cannot {action} the signing key file {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "the signing key file {} does not hold a private key in PEM form ({reason}); remove it to make a new key",
        path.display()
    )]
    Unreadable { path: PathBuf, reason: String },
    #[error("a new signing key could not be made: {0}")]
    Random(String),
}

/// A key read from its file, or made and written there now.
#[derive(Debug)]
pub struct KeyFile {
    pub key: PrivateKey,
    /// The file did not exist: the key is new.
    pub created: bool,
}

/// A fresh random Ed25519 key.
pub fn random_key() -> Result<PrivateKey, KeyFileError> {
    PrivateKey::generate_ed25519().map_err(|e| KeyFileError::Random(e.to_string()))
}

/// Reads the key at `path`, or, when there is no file, makes a random
/// Ed25519 key and writes it there (created 0600, never overwriting a file
/// that appeared meanwhile). An existing file readable by others is
/// restricted to its owner. The folder must exist.
pub fn load_or_create(path: &Path) -> Result<KeyFile, KeyFileError> {
    match create_private(path) {
        Ok(mut file) => {
            let key = random_key()?;
            let pem = key.to_pem().map_err(|e| KeyFileError::Random(e.to_string()))?;
            let written = file
                .write_all(pem.expose_secret().as_bytes())
                .and_then(|()| file.sync_all());
            if let Err(source) = written {
                // Leave no empty or half-written file behind to fail the next start.
                let _ = std::fs::remove_file(path);
                return Err(io("write", path, source));
            }
            Ok(KeyFile { key, created: true })
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            restrict(path)?;
            let pem = SecretString::from(std::fs::read_to_string(path).map_err(|source| io("read", path, source))?);
            let key = PrivateKey::from_pem(pem.expose_secret()).map_err(|e| KeyFileError::Unreadable {
                path: path.to_path_buf(),
                reason: e.to_string(),
            })?;
            Ok(KeyFile { key, created: false })
        }
        Err(source) => Err(io("create", path, source)),
    }
}

fn io(action: &'static str, path: &Path, source: std::io::Error) -> KeyFileError {
    KeyFileError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(unix)]
fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    // The per-user data folder is private to its user on these systems.
    std::fs::OpenOptions::new().write(true).create_new(true).open(path)
}

/// Owner read/write only, when the file allows more.
#[cfg(unix)]
fn restrict(path: &Path) -> Result<(), KeyFileError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .map_err(|source| io("read", path, source))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(|source| io("restrict the permissions of", path, source))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn restrict(_path: &Path) -> Result<(), KeyFileError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_file_is_made_once_then_reused() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("sandbox-key.pem");
        let first = load_or_create(&path).expect("created");
        assert!(first.created);
        let again = load_or_create(&path).expect("read");
        assert!(!again.created);
        assert_eq!(first.key.public_key().to_pem(), again.key.public_key().to_pem());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).map(|m| m.permissions().mode() & 0o777).ok();
            assert_eq!(mode, Some(0o600));
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
            load_or_create(&path).expect("read");
            let mode = std::fs::metadata(&path).map(|m| m.permissions().mode() & 0o777).ok();
            assert_eq!(mode, Some(0o600), "a key readable by others is restricted");
        }
    }

    #[test]
    fn two_new_keys_differ() {
        let a = random_key().expect("a").public_key().to_pem();
        let b = random_key().expect("b").public_key().to_pem();
        assert_ne!(a, b);
    }

    #[test]
    fn a_file_that_is_not_a_key_is_refused_and_kept() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("sandbox-key.pem");
        std::fs::write(&path, "not a key").expect("write");
        let err = load_or_create(&path).expect_err("unreadable");
        assert!(err.to_string().contains("remove it to make a new key"), "{err}");
        assert_eq!(std::fs::read_to_string(&path).ok().as_deref(), Some("not a key"));
        let missing = dir.path().join("no-such-folder").join("key.pem");
        assert!(matches!(load_or_create(&missing), Err(KeyFileError::Io { .. })));
    }
}
