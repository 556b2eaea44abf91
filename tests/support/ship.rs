//! What the shipping checks (tests/ship_*.rs: the files `make install` and the packages ship, checked
//! with the real tools) have in common: the repository's files, commands run to their end, a
//! desktop-entry style parser, the unit verified by systemd-analyze.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::{bin, require_tool};

pub const UNIT: &str = "systemd/mynawatch.service";
pub const ACTIVATION: &str = "data/io.github.mynawatch.MynaWatch1.service";

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A file of the repository, by its path relative to the top.
pub fn read(rel: &str) -> String {
    fs::read_to_string(repo().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

pub fn read_to(p: &Path) -> String {
    fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

pub fn run(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `man --warnings -l PAGE` at 80 columns: the page rendered, and what man complained about.
pub fn man_warnings(page: &Path) -> Output {
    run(Command::new("man")
        .args(["--warnings", "-l"])
        .arg(page)
        .env("MANWIDTH", "80"))
}

/// desktop-file-validate accepts the entry at `rel` (a path in the repository) without a word.
pub fn assert_valid_desktop_entry(rel: &str) {
    require_tool("desktop-file-validate");
    let out = run(Command::new("desktop-file-validate").arg(repo().join(rel)));
    assert!(
        out.status.success() && out.stdout.is_empty(),
        "desktop-file-validate {rel}: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

pub fn tmp() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("mynawatch-ship")
        .tempdir()
        .expect("temp dir")
}

/// The tray binary, built beside the daemon by the same workspace build.
pub fn tray_bin() -> PathBuf {
    let p = Path::new(bin()).with_file_name("mynawatch-tray");
    assert!(
        p.is_file(),
        "{} is missing: build the whole workspace (`cargo build` at the root)",
        p.display()
    );
    p
}

/// `key=value` lines per `[section]`, as the desktop-entry style files of D-Bus and systemd are.
pub fn ini(textual: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut sections: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut current = String::new();
    for line in textual.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = name.to_string();
            sections.entry(current.clone()).or_default();
            continue;
        }
        let (k, v) = line
            .split_once('=')
            .unwrap_or_else(|| panic!("not key=value: {line}"));
        assert!(!current.is_empty(), "key outside a section: {line}");
        let prev = sections
            .entry(current.clone())
            .or_default()
            .insert(k.trim().to_string(), v.trim().to_string());
        assert!(prev.is_none() || current == "Service", "duplicate key {k}");
    }
    sections
}

/// The unit with ExecStart pointing at the binary under test (verify checks that it exists).
pub fn unit_for_test(dir: &Path, unit_text: &str) -> PathBuf {
    let path = dir.join("mynawatch.service");
    fs::write(&path, unit_text.replace("/usr/bin/mynawatch", bin())).expect("write unit");
    path
}

/// `systemd-analyze … --user` needs a runtime dir; give it a private one.
pub fn systemd_analyze(dir: &Path) -> Command {
    let run_dir = dir.join("run");
    fs::create_dir_all(&run_dir).expect("runtime dir");
    let mut c = Command::new("systemd-analyze");
    c.env("XDG_RUNTIME_DIR", run_dir);
    c
}

pub fn verify(dir: &Path, unit: &Path, man_path: Option<&Path>) -> Output {
    let mut c = systemd_analyze(dir);
    c.args(["verify", "--user"]);
    match man_path {
        Some(p) => c.env("MANPATH", p).arg("--man=yes"),
        None => c.arg("--man=no"),
    };
    run(c.arg(unit))
}

/// `shell`'s own parser accepts the script at `path` (and rejects a broken one, or this proves nothing).
pub fn assert_valid_shell(shell: &str, path: &Path) {
    require_tool(shell);
    let flag = if shell == "fish" {
        "--no-execute"
    } else {
        "-n"
    };
    let check = run(Command::new(shell).arg(flag).arg(path));
    assert!(
        check.status.success(),
        "{shell} -n {}: {}",
        path.display(),
        text(&check.stderr)
    );
    let script = fs::read_to_string(path).unwrap();
    assert!(script.contains("mynawatch"), "{}", path.display());
    let d = tmp();
    let broken = d.path().join("broken");
    fs::write(&broken, format!("{script}\nif (\n")).unwrap();
    let check = run(Command::new(shell).arg(flag).arg(&broken));
    assert!(!check.status.success(), "{shell} accepted a broken script");
}
