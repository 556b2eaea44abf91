//! `make install` against the list in README.md (modes, contents, the unit verified where it lands),
//! `make uninstall`, and a `PREFIX=/usr/local` install.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

use support::daemon::NAME as BUS_NAME;
use support::ship::{
    assert_valid_shell, man_warnings, read, read_to, repo, run, text, tmp, tray_bin, unit_for_test,
    verify, ACTIVATION, UNIT,
};
use support::{bin, require_tool};

/// The paths listed in README.md right after "`make install PREFIX=/usr` installs exactly".
fn documented_install_list() -> BTreeSet<String> {
    let readme = read("README.md");
    let start = readme
        .find("`make install PREFIX=/usr` installs exactly")
        .expect("README.md lists the installed files");
    let block = readme[start..].split("```").nth(1).expect("a fenced block");
    block
        .lines()
        .skip(1) // the fence's info string
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

fn make(args: &[&str], bin_copy: &Path) -> Output {
    // BIN/TRAY_BIN: fresh copies of the built binaries (newer than the sources, so make never
    // rebuilds); CARGO=false: if it tried anyway, fail loudly instead of running cargo inside cargo test.
    let tray_copy = bin_copy.with_file_name("mynawatch-tray");
    if !tray_copy.exists() {
        fs::copy(tray_bin(), &tray_copy).expect("copy the tray binary");
    }
    run(Command::new("make")
        .current_dir(repo())
        .arg("-s")
        .args(args)
        .arg(format!("BIN={}", bin_copy.display()))
        .arg(format!("TRAY_BIN={}", tray_copy.display()))
        .arg("CARGO=false"))
}

fn files_under(root: &Path) -> BTreeMap<String, u32> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, u32>) {
        for e in fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let meta = fs::symlink_metadata(e.path()).unwrap();
            if meta.is_dir() {
                walk(root, &e.path(), out);
            } else {
                let rel = e.path().strip_prefix(root).unwrap().display().to_string();
                out.insert(format!("/{rel}"), meta.permissions().mode() & 0o7777);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

#[ignore = "e2e: run by scripts/test.sh"]
#[test]
fn make_install_lays_out_exactly_the_documented_files_and_uninstall_removes_them() {
    require_tool("make");
    let d = tmp();
    let bin_copy = d.path().join("mynawatch");
    fs::copy(bin(), &bin_copy).unwrap();
    let dest = d.path().join("root");
    let destdir = format!("DESTDIR={}", dest.display());

    let out = make(&["install", &destdir, "PREFIX=/usr"], &bin_copy);
    assert!(out.status.success(), "make install: {}", text(&out.stderr));
    let installed = files_under(&dest);
    let documented = documented_install_list();
    assert_eq!(
        installed.keys().cloned().collect::<BTreeSet<_>>(),
        documented,
        "make install vs README.md"
    );
    let listed = text(&make(&["list-installed", "PREFIX=/usr"], &bin_copy).stdout);
    assert_eq!(
        listed.lines().map(str::to_string).collect::<BTreeSet<_>>(),
        documented
    );
    for (path, mode) in &installed {
        let want = if path.starts_with("/usr/bin/") {
            0o755
        } else {
            0o644
        };
        assert_eq!(*mode, want, "{path} mode {mode:o}");
    }
    let at = |p: &str| dest.join(p.trim_start_matches('/'));
    assert_eq!(
        fs::read(at("/usr/bin/mynawatch")).unwrap(),
        fs::read(bin()).unwrap()
    );
    assert_eq!(
        fs::read(at("/usr/bin/mynawatch-tray")).unwrap(),
        fs::read(tray_bin()).unwrap()
    );
    assert_eq!(
        read_to(&at("/etc/xdg/autostart/mynawatch-tray.desktop")),
        read("data/mynawatch-tray.desktop")
    );
    assert_eq!(
        read_to(&at("/usr/share/applications/mynawatch.desktop")),
        read("data/mynawatch.desktop")
    );
    for icon in fs::read_dir(repo().join("data/icons/hicolor/scalable/status")).unwrap() {
        let name = icon.unwrap().file_name().into_string().unwrap();
        assert_eq!(
            read_to(&at(&format!(
                "/usr/share/icons/hicolor/scalable/status/{name}"
            ))),
            read(&format!("data/icons/hicolor/scalable/status/{name}")),
            "every icon in data/icons is installed"
        );
    }
    assert_eq!(
        read_to(&at("/usr/lib/systemd/user/mynawatch.service")),
        read(UNIT)
    );
    assert_eq!(
        read_to(&at(&format!(
            "/usr/share/dbus-1/services/{BUS_NAME}.service"
        ))),
        read(ACTIVATION)
    );
    let page = at("/usr/share/man/man1/mynawatch.1");
    assert_eq!(read_to(&page), read("docs/mynawatch.1"));
    assert_eq!(
        read_to(&at("/usr/share/man/man1/mynawatch-tray.1")),
        read("data/mynawatch-tray.1")
    );
    // The completions that are installed are valid for their shells. zsh's directory depends on the
    // distribution (vendor-completions on Debian/Ubuntu): take it from the documented list.
    let zsh = documented
        .iter()
        .find(|p| p.ends_with("/_mynawatch"))
        .expect("README.md lists the zsh completion");
    for (shell, path) in [
        ("bash", "/usr/share/bash-completion/completions/mynawatch"),
        ("zsh", zsh.as_str()),
        (
            "fish",
            "/usr/share/fish/vendor_completions.d/mynawatch.fish",
        ),
    ] {
        assert_valid_shell(shell, &at(path));
    }

    // The man page the unit's Documentation= names is the installed one, and it renders cleanly.
    require_tool("systemd-analyze");
    require_tool("man");
    {
        let v = tmp();
        let out = verify(
            v.path(),
            &unit_for_test(v.path(), &read(UNIT)),
            Some(&dest.join("usr/share/man")),
        );
        assert!(
            out.status.success(),
            "man:mynawatch(1): {}",
            text(&out.stderr)
        );
        let out = man_warnings(&page);
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "{}",
            text(&out.stderr)
        );
        assert!(text(&out.stdout).contains("MYNAWATCH COMPLETIONS"));
    }

    let out = make(&["uninstall", &destdir, "PREFIX=/usr"], &bin_copy);
    assert!(
        out.status.success(),
        "make uninstall: {}",
        text(&out.stderr)
    );
    assert!(
        files_under(&dest).is_empty(),
        "left behind: {:?}",
        files_under(&dest)
    );

    // Another prefix: paths in the unit follow it.
    let local = d.path().join("local");
    let out = make(
        &[
            "install",
            &format!("DESTDIR={}", local.display()),
            "PREFIX=/usr/local",
        ],
        &bin_copy,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let unit = read_to(&local.join("usr/local/lib/systemd/user/mynawatch.service"));
    assert!(unit.contains("\nExecStart=/usr/local/bin/mynawatch daemon\n"));
    let entry = local.join("usr/local/share/applications/mynawatch.desktop");
    assert!(read_to(&entry).contains("\nExec=/usr/local/bin/mynawatch status\n"));
    // The rewritten copy is still a valid entry.
    require_tool("desktop-file-validate");
    let out = run(Command::new("desktop-file-validate").arg(&entry));
    assert!(
        out.status.success() && out.stdout.is_empty(),
        "desktop-file-validate {}: {}{}",
        entry.display(),
        text(&out.stdout),
        text(&out.stderr)
    );
}
