//! Files and folders only their owner can read.
//!
//! An export and a rejected-rows file hold applicants' names, birth dates
//! and identifiers. They are created readable by their owner only (0600, a
//! folder 0700) — with that mode, by the call that creates them, so there is
//! no moment when another account could open them, as there would be if
//! they were created with the usual 0644 and restricted afterwards. On other
//! systems the files get the folder's permissions (a user's own folders are
//! private there).

use std::fs::File;
use std::io;
use std::path::Path;

/// Creates `path` for writing, owner-only; fails if it exists (so no link
/// planted under that name is followed, and nothing is overwritten).
pub fn create_new(path: &Path) -> io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options.open(path)
}

/// [`create_new`], after removing what a stopped earlier run left under
/// that name.
pub fn replace(path: &Path) -> io::Result<File> {
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    create_new(path)
}

/// Creates the folder `path` (and its parents) owner-only; nothing happens
/// when it exists.
pub fn create_dir_all(path: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(path)
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p)
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or(0)
    }

    #[test]
    fn files_and_folders_are_created_owner_only() {
        let dir = tempfile::tempdir().expect("temp dir");
        let folder = dir.path().join("a").join("b");
        create_dir_all(&folder).expect("folder");
        assert_eq!(mode(&folder), 0o700);
        let file = folder.join("x.csv");
        drop(create_new(&file).expect("file"));
        assert_eq!(mode(&file), 0o600);
        assert!(create_new(&file).is_err(), "never over an existing file");
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        drop(replace(&file).expect("replaced"));
        assert_eq!(mode(&file), 0o600, "a new file, not the old one's mode");
    }
}
