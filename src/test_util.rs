//! Helpers for unit tests that need a process of their own.

/// Run unit test `name` (its full path, e.g. `store::tests::x`) again in a child test process with
/// `envs` set, for tests that change process-wide state (umask, environment seen by C libraries).
/// Returns `true` in the parent, after asserting that the child ran exactly that test and it passed;
/// returns `false` in the child, which then goes on with the test body.
pub fn rerun_in_child(name: &str, envs: &[(&str, &str)]) -> bool {
    const MARKER: &str = "MW_TEST_CHILD";
    if std::env::var(MARKER).is_ok_and(|v| v == name) {
        return false;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", name, "--nocapture", "--test-threads=1"])
        .env(MARKER, name)
        .envs(envs.iter().copied())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("1 passed"), "{text}");
    true
}
