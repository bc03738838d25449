//! The identity of one installation: one data directory, with its database.
//!
//! Why it exists: the OS keyring is per account, not per data directory. Two
//! data directories on one account (a test one and a live one, or two
//! offices sharing a laptop account) named their keyring entries alike
//! (`data-source-1-client-secret`) and overwrote each other's secrets. Every
//! entry is now named under this ID (see [`super::secret_key_for`]). The ID is
//! random (UUID v4), made at the first start and kept in the data directory's
//! database; it will also be the origin of records shared between offices.
//! A copy of the data directory is the same installation (it has the same ID).

use std::fmt;

/// A random installation ID (UUID v4, hyphenated lower case).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct InstallationId(String);

impl InstallationId {
    /// A new random ID.
    pub fn generate() -> InstallationId {
        InstallationId(uuid::Uuid::new_v4().hyphenated().to_string())
    }

    /// The ID stored as `text`, `None` when it is not a UUID (a damaged or
    /// hand-edited setting must not name keyring entries).
    pub fn parse(text: &str) -> Option<InstallationId> {
        uuid::Uuid::try_parse(text.trim())
            .ok()
            .filter(|u| !u.is_nil())
            .map(|u| InstallationId(u.hyphenated().to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for InstallationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_random_uuids_and_read_back() {
        let a = InstallationId::generate();
        let b = InstallationId::generate();
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), 36);
        assert_eq!(InstallationId::parse(a.as_str()), Some(a.clone()));
        assert_eq!(InstallationId::parse(&a.as_str().to_uppercase()), Some(a));
        for bad in ["", "office-1", "00000000-0000-0000-0000-000000000000", "../../x"] {
            assert_eq!(InstallationId::parse(bad), None, "{bad:?}");
        }
    }
}
