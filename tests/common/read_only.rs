//! A folder the test process cannot write, as a USB stick or a shared
//! drive mounted read-only is (Unix only).

use std::path::{Path, PathBuf};

/// A folder this process cannot write, root included: permissions 0555, and
/// for root (whom permissions do not bind) the immutable attribute. Undone
/// when dropped. `None` when this system cannot make one (say, root on a
/// file system without `chattr`).
pub struct ReadOnlyFolder(PathBuf);

impl ReadOnlyFolder {
    pub fn make(dir: &Path) -> Option<ReadOnlyFolder> {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o555)).unwrap();
        let guard = ReadOnlyFolder(dir.to_path_buf());
        if guard.writable() {
            let _ = std::process::Command::new("chattr")
                .arg("+i")
                .arg(dir)
                .stderr(std::process::Stdio::null())
                .status();
            if guard.writable() {
                eprintln!(
                    "skipped: this system cannot make {} read-only for this process (running as root, and \
                     chattr +i is not available here)",
                    dir.display()
                );
                return None;
            }
        }
        Some(guard)
    }

    fn writable(&self) -> bool {
        let probe = self.0.join(".probe");
        let ok = std::fs::write(&probe, b"").is_ok();
        let _ = std::fs::remove_file(&probe);
        ok
    }
}

impl Drop for ReadOnlyFolder {
    fn drop(&mut self) {
        use std::os::unix::fs::PermissionsExt as _;
        let _ = std::process::Command::new("chattr")
            .arg("-i")
            .arg(&self.0)
            .stderr(std::process::Stdio::null())
            .status();
        let _ = std::fs::set_permissions(&self.0, std::fs::Permissions::from_mode(0o755));
    }
}
