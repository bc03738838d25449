//! Where the database lives.
//!
//! One rule, in this order, so that a person, a test and a packaged install
//! each get what they expect: an explicit folder (a command-line flag) wins;
//! then the `IBR_DESK_DATA_DIR` environment variable (scripts, tests, a shared
//! drive); else the operating system's per-user data folder
//! (`~/.local/share/ibr-desk`, `%APPDATA%\IBR Desk\ibr-desk\data`, …).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::{Result, StoreError};

/// The environment variable that chooses the data directory.
pub const DATA_DIR_ENV: &str = "IBR_DESK_DATA_DIR";

/// The database file's name inside the data directory.
pub const DATABASE_FILE: &str = "ibr-desk.sqlite3";

/// The data directory: `override_dir`, else `$IBR_DESK_DATA_DIR`, else the
/// platform's data directory for IBR Desk. Nothing is created here;
/// [`Store::open`](super::Store::open) creates the folder (owner-only) when it
/// opens a database in it.
pub fn data_dir(override_dir: Option<&Path>) -> Result<PathBuf> {
    resolve(override_dir, std::env::var_os(DATA_DIR_ENV), platform_dir)
}

/// The database file in a data directory.
pub fn database_path(data_dir: &Path) -> PathBuf {
    data_dir.join(DATABASE_FILE)
}

fn platform_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("org", "IBR Desk", "ibr-desk").map(|d| d.data_dir().to_path_buf())
}

/// The rule itself, with its inputs passed in so tests need not touch the
/// process environment.
fn resolve(
    override_dir: Option<&Path>,
    env: Option<OsString>,
    platform: impl FnOnce() -> Option<PathBuf>,
) -> Result<PathBuf> {
    if let Some(dir) = override_dir {
        return Ok(dir.to_path_buf());
    }
    if let Some(dir) = env.filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    platform().ok_or(StoreError::NoDataDir)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn platform() -> Option<PathBuf> {
        Some(PathBuf::from("/platform"))
    }

    #[test]
    fn override_then_environment_then_platform() {
        let flag = Path::new("/flag");
        assert_eq!(
            resolve(Some(flag), Some("/env".into()), platform).ok(),
            Some(PathBuf::from("/flag"))
        );
        assert_eq!(
            resolve(None, Some("/env".into()), platform).ok(),
            Some(PathBuf::from("/env"))
        );
        assert_eq!(
            resolve(None, Some("".into()), platform).ok(),
            Some(PathBuf::from("/platform"))
        );
        assert_eq!(resolve(None, None, platform).ok(), Some(PathBuf::from("/platform")));
        assert!(matches!(resolve(None, None, || None), Err(StoreError::NoDataDir)));
    }

    #[test]
    fn the_database_file_has_its_name() {
        assert_eq!(database_path(Path::new("/d")), PathBuf::from("/d/ibr-desk.sqlite3"));
    }
}
