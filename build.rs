//! Embeds the commit IBR Desk was built from, for `ibr-desk --version`.
//!
//! `IBR_DESK_GIT_COMMIT` is the short commit (12 hex digits), with `-dirty`
//! when tracked files differ from it; `IBR_DESK_GIT_COMMIT` set in the build's
//! environment wins (a build from a source tarball can say where it came
//! from); "unknown" when git or the repository is absent. Nothing here fails
//! the build.

use std::path::{Path, PathBuf};
use std::process::Command;

const VAR: &str = "IBR_DESK_GIT_COMMIT";

fn main() {
    println!("cargo:rerun-if-env-changed={VAR}");
    // Listing any file replaces cargo's default (re-run on any change in the
    // package). The dirty flag is looked at again when the sources change;
    // Cargo.toml is left out so that editing packaging metadata does not
    // rebuild the binary.
    for path in ["build.rs", "Cargo.lock", "src", "assets"] {
        println!("cargo:rerun-if-changed={path}");
    }
    let commit = match std::env::var(VAR) {
        Ok(v) if !v.trim().is_empty() => v.trim().to_string(),
        _ => from_git().unwrap_or_else(|| "unknown".to_string()),
    };
    println!("cargo:rustc-env={VAR}={commit}");
}

/// The commit from git, or `None` without git or outside this crate's own
/// repository (a crate unpacked inside some other repository must not take
/// that repository's commit).
fn from_git() -> Option<String> {
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR")?);
    let toplevel = PathBuf::from(git(&manifest_dir, &["rev-parse", "--show-toplevel"])?);
    if toplevel.canonicalize().ok()? != manifest_dir.canonicalize().ok()? {
        return None;
    }
    watch_git_files(&manifest_dir);
    let mut commit = git(&manifest_dir, &["rev-parse", "--short=12", "HEAD"])?;
    let status = git(&manifest_dir, &["status", "--porcelain", "--untracked-files=no"]);
    if status.is_some_and(|s| !s.is_empty()) {
        commit.push_str("-dirty");
    }
    Some(commit)
}

/// Re-run when HEAD moves: HEAD itself, the branch it points to, and packed
/// refs (where a branch lives after `git gc`). Not the index: `git status`
/// rewrites it, and each re-run rebuilds the crate.
fn watch_git_files(dir: &Path) {
    let path_of = |args: &[&str]| git(dir, args).map(|p| absolute(dir, &p));
    if let Some(git_dir) = path_of(&["rev-parse", "--git-dir"]) {
        rerun_if_changed(&git_dir.join("HEAD"));
    }
    if let Some(common_dir) = path_of(&["rev-parse", "--git-common-dir"]) {
        rerun_if_changed(&common_dir.join("packed-refs"));
        if let Some(head_ref) = git(dir, &["symbolic-ref", "-q", "HEAD"]) {
            rerun_if_changed(&common_dir.join(head_ref));
        }
    }
}

fn rerun_if_changed(path: &Path) {
    if path.exists() {
        println!("cargo:rerun-if-changed={}", path.display());
    }
}

fn absolute(dir: &Path, path: &str) -> PathBuf {
    let path = Path::new(path);
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        dir.join(path)
    }
}

/// One git command's trimmed standard output, or `None` if it failed.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git").arg("-C").arg(dir).args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    Some(String::from_utf8(out.stdout).ok()?.trim().to_string())
}
