//! scripts/disk-check.sh, the room check a whole `scripts/test.sh` makes first: on a file system
//! too small it fails before anything is built and names the shortfall; with room it passes. The
//! file systems are tmpfs mounts in the test's private mount namespace (scripts/e2e-env.sh), so
//! both cases are real `df` answers whatever the machine's own disk holds.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

/// Mount a tmpfs of `size` at `dir` (root in the private mount namespace of scripts/e2e-env.sh).
fn tmpfs(dir: &Path, size: &str) {
    std::fs::create_dir_all(dir).unwrap();
    let out = Command::new("mount")
        .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
        .arg(dir)
        .output()
        .expect("run mount");
    assert!(
        out.status.success(),
        "cannot mount a tmpfs at {} ({}): {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr).trim(),
        support::missing_hint()
    );
}

/// Run the check with every place it measures inside `root`.
fn disk_check(root: &Path) -> std::process::Output {
    std::fs::create_dir_all(root.join("rustup")).unwrap();
    Command::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scripts/disk-check.sh"
    ))
    .env("CARGO_TARGET_DIR", root.join("target"))
    .env("CARGO_HOME", root.join("cargo"))
    .env("RUSTUP_HOME", root.join("rustup/home"))
    .env("MWVM_CACHE", root.join("vm"))
    .output()
    .expect("run scripts/disk-check.sh")
}

/// The check on a fresh tmpfs of `size` at `<temp dir>/<name>`, unmounted again afterwards: the
/// temp dir (to keep), the mount point, the output and its stderr.
fn disk_check_on_tmpfs(
    name: &str,
    size: &str,
) -> (tempfile::TempDir, PathBuf, std::process::Output, String) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join(name);
    tmpfs(&root, size);
    let out = disk_check(&root);
    let _ = Command::new("umount").arg(&root).status();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    (dir, root, out, err)
}

#[test]
#[ignore = "e2e: mounts tmpfs in scripts/e2e-env.sh's namespace (run by scripts/test.sh)"]
fn a_disk_too_small_fails_first_and_names_the_shortfall() {
    let (_dir, root, out, err) = disk_check_on_tmpfs("small", "64m");
    assert_eq!(out.status.code(), Some(1), "want exit 1; stderr: {err}");
    assert!(
        err.contains(&format!("NOT ENOUGH SPACE on {}", root.display())),
        "names the file system: {err}"
    );
    assert!(err.contains("MiB are free"), "says what there is: {err}");
    assert!(
        err.contains("cargo builds") && err.contains("VM test"),
        "says which parts need the space: {err}"
    );
}

#[test]
#[ignore = "e2e: mounts tmpfs in scripts/e2e-env.sh's namespace (run by scripts/test.sh)"]
fn a_disk_with_room_passes_and_says_what_it_measured() {
    // tmpfs reserves nothing up front: 64 GiB is only the size df reports.
    let (_dir, root, out, err) = disk_check_on_tmpfs("roomy", "64g");
    assert!(out.status.success(), "want success; stderr: {err}");
    assert!(
        err.contains(&format!("disk-check: {}: ", root.display())) && err.contains("MiB free"),
        "reports the file system it measured: {err}"
    );
    assert!(!err.contains("NOT ENOUGH"), "{err}");
}
