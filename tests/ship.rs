//! Shipping checks against the real tools: the systemd unit (systemd-analyze verify + security), the
//! D-Bus activation file (parsed, loaded by a real dbus-daemon, and used to start the daemon), systemd's
//! own udev rules that start smartcard.target for readers, `make install`/`uninstall`
//! against the list in README.md, the committed man page, the completions, and `make demo --once`.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use support::{bin, require_tool, wait_for};

const BUS_NAME: &str = "io.github.mynawatch.MynaWatch1";
const UNIT: &str = "systemd/mynawatch.service";
const ACTIVATION: &str = "data/io.github.mynawatch.MynaWatch1.service";
/// The systemd version whose `security` score docs/architecture.md records.
const SCORED_SYSTEMD: &str = "252";

/// The demo uses the first vpcd slot; only one test at a time may.
static VPCD: Mutex<()> = Mutex::new(());

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    fs::read_to_string(repo().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn run(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn tmp() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("mynawatch-ship")
        .tempdir()
        .expect("temp dir")
}

/// The unit with ExecStart pointing at the binary under test (verify checks that it exists).
fn unit_for_test(dir: &Path, unit_text: &str) -> PathBuf {
    let path = dir.join("mynawatch.service");
    fs::write(&path, unit_text.replace("/usr/bin/mynawatch", bin())).expect("write unit");
    path
}

/// `systemd-analyze … --user` needs a runtime dir; give it a private one.
fn systemd_analyze(dir: &Path) -> Command {
    let run_dir = dir.join("run");
    fs::create_dir_all(&run_dir).expect("runtime dir");
    let mut c = Command::new("systemd-analyze");
    c.env("XDG_RUNTIME_DIR", run_dir);
    c
}

fn verify(dir: &Path, unit: &Path, man_path: Option<&Path>) -> Output {
    let mut c = systemd_analyze(dir);
    c.args(["verify", "--user"]);
    match man_path {
        Some(p) => c.env("MANPATH", p).arg("--man=yes"),
        None => c.arg("--man=no"),
    };
    run(c.arg(unit))
}

#[ignore = "e2e: run by scripts/test.sh"]
#[test]
fn systemd_unit_passes_verify_and_verify_catches_mistakes() {
    require_tool("systemd-analyze");
    let unit_text = read(UNIT);
    let d = tmp();
    let out = verify(d.path(), &unit_for_test(d.path(), &unit_text), None);
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "systemd-analyze verify: {}",
        text(&out.stderr)
    );

    // The same check must notice a typo and a missing binary, or it proves nothing.
    let typo = tmp();
    let out = verify(
        typo.path(),
        &unit_for_test(typo.path(), &unit_text.replace("UMask=", "UMaks=")),
        None,
    );
    assert!(text(&out.stderr).contains("UMaks"), "{out:?}");
    let missing = tmp();
    let path = missing.path().join("mynawatch.service");
    fs::write(
        &path,
        unit_text.replace("/usr/bin/mynawatch", "/nonexistent/mynawatch"),
    )
    .unwrap();
    assert!(!verify(missing.path(), &path, None).status.success());

    for key in [
        "Type=dbus",
        &format!("BusName={BUS_NAME}"),
        "Restart=on-failure",
        "StartLimitIntervalSec=2min",
        "StartLimitBurst=5",
        "StateDirectory=mynawatch",
        "RestrictAddressFamilies=AF_UNIX",
        "ReadWritePaths=%S/mynawatch %C/mynawatch",
        "WantedBy=default.target smartcard.target",
    ] {
        assert!(
            unit_text.lines().any(|l| l == key),
            "{UNIT} lacks the line {key}"
        );
    }
    // Logins that never reach graphical-session.target must still start it; nothing stops it early.
    assert!(
        !unit_text
            .lines()
            .any(|l| !l.starts_with('#') && l.contains("graphical-session")),
        "{UNIT} still ties itself to graphical-session.target"
    );
}

/// The exit statuses a restart cannot fix are exactly the unit's RestartPreventExitStatus=, so a
/// config error ends in `failed` instead of a restart loop, and a failure while running restarts.
#[test]
fn systemd_unit_does_not_restart_what_a_restart_cannot_fix() {
    use mynawatch::exit::Exit;
    let unit = ini(&read(UNIT));
    let listed: BTreeSet<u8> = unit["Service"]["RestartPreventExitStatus"]
        .split_whitespace()
        .map(|c| c.parse().expect("a numeric exit status"))
        .collect();
    let want: BTreeSet<u8> = Exit::ALL
        .into_iter()
        .filter(|e| e.from_daemon() && !e.restart_helps() && *e != Exit::Success)
        .map(Exit::code)
        .collect();
    assert_eq!(listed, want);
    assert!(!listed.contains(&Exit::Failed.code()));
    assert_eq!(unit["Service"]["Restart"], "on-failure");
    // The start limit lives in [Unit] (systemd ignores it in [Service] since v230) and is reached
    // by a crash loop: more than StartLimitBurst starts fit in the interval at RestartSec.
    let burst: u64 = unit["Unit"]["StartLimitBurst"].parse().unwrap();
    let interval: u64 = unit["Unit"]["StartLimitIntervalSec"]
        .strip_suffix("min")
        .expect("minutes")
        .parse::<u64>()
        .unwrap()
        * 60;
    let restart_sec: u64 = unit["Service"]["RestartSec"]
        .strip_suffix('s')
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        burst * restart_sec < interval,
        "a crash loop never hits the limit"
    );
    // The man page documents each status (it is generated from the same list).
    let page = read("docs/mynawatch.1");
    for e in Exit::ALL {
        assert!(
            page.contains(&format!(".TP\n\\fB{}\\fR\n", e.code())),
            "docs/mynawatch.1 does not document exit status {}",
            e.code()
        );
    }
}

#[ignore = "e2e: run by scripts/test.sh"]
#[test]
fn systemd_unit_security_exposure_is_ok_and_recorded_in_the_docs() {
    require_tool("systemd-analyze");
    let d = tmp();
    let unit = unit_for_test(d.path(), &read(UNIT));
    let out = run(systemd_analyze(d.path())
        .args(["security", "--user", "--offline=yes"])
        .arg(&unit));
    let report = text(&out.stdout);
    assert!(out.status.success(), "{report}{}", text(&out.stderr));
    let line = report
        .lines()
        .find(|l| l.contains("Overall exposure level for mynawatch.service:"))
        .unwrap_or_else(|| panic!("no overall score in\n{report}"));
    let score = line
        .rsplit(':')
        .next()
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap();
    let value: f64 = score.parse().expect("score");
    eprintln!(
        "systemd-analyze security --user --offline=yes: {}",
        line.trim()
    );
    assert!(value < 2.0, "exposure {value} is above systemd's OK band");

    let version = text(&run(Command::new("systemd-analyze").arg("--version")).stdout);
    if version.split_whitespace().nth(1) == Some(SCORED_SYSTEMD) {
        let docs = read("docs/architecture.md");
        let recorded = format!("exposure level {score}");
        assert!(
            docs.contains(&recorded),
            "docs/architecture.md must record `{recorded}` (systemd {SCORED_SYSTEMD})"
        );
    } else {
        eprintln!("systemd is not {SCORED_SYSTEMD}: the recorded score was not compared");
    }
}

/// `key=value` lines per `[section]`, as the desktop-entry style files of D-Bus and systemd are.
fn ini(textual: &str) -> BTreeMap<String, BTreeMap<String, String>> {
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

#[test]
fn activation_file_names_the_bus_name_and_the_unit() {
    let act = ini(&read(ACTIVATION));
    assert_eq!(act.keys().collect::<Vec<_>>(), ["D-BUS Service"]);
    let s = &act["D-BUS Service"];
    assert_eq!(s["Name"], BUS_NAME);
    assert_eq!(s["SystemdService"], "mynawatch.service");
    assert_eq!(s["Exec"], "/usr/bin/mynawatch daemon");
    assert_eq!(s.len(), 3, "unexpected keys: {s:?}");
    // The unit it names is ours and owns the same name.
    let unit = ini(&read(UNIT));
    assert_eq!(unit["Service"]["BusName"], BUS_NAME);
    assert_eq!(unit["Service"]["ExecStart"], s["Exec"]);
    assert!(Path::new(UNIT).ends_with(&s["SystemdService"]));
}

/// A dbus-daemon whose service dir holds only our activation file (Exec → the binary under test).
struct ActivatingBus {
    dir: tempfile::TempDir,
    address: String,
    pid: i32,
}

impl ActivatingBus {
    fn start() -> ActivatingBus {
        let dir = tmp();
        let services = dir.path().join("services");
        fs::create_dir(&services).unwrap();
        fs::write(
            services.join(format!("{BUS_NAME}.service")),
            read(ACTIVATION).replace("/usr/bin/mynawatch", bin()),
        )
        .unwrap();
        let address = format!("unix:path={}/bus", dir.path().display());
        let config = dir.path().join("bus.conf");
        fs::write(
            &config,
            format!(
                r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>{address}</listen>
  <auth>EXTERNAL</auth>
  <servicedir>{}</servicedir>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
                services.display()
            ),
        )
        .unwrap();
        // Activated services inherit this environment: our bus, and state/config in the temp dir.
        let out = run(Command::new("dbus-daemon")
            .arg(format!("--config-file={}", config.display()))
            .args(["--print-pid=1", "--fork", "--nopidfile"])
            .env("DBUS_SESSION_BUS_ADDRESS", &address)
            .env("XDG_STATE_HOME", dir.path().join("state"))
            .env("XDG_CONFIG_HOME", dir.path().join("config"))
            .env("XDG_CACHE_HOME", dir.path().join("cache"))
            .stderr(Stdio::null()));
        assert!(out.status.success(), "dbus-daemon: {out:?}");
        let pid = text(&out.stdout).trim().parse().expect("pid");
        ActivatingBus { dir, address, pid }
    }

    fn busctl(&self, args: &[&str]) -> Output {
        run(Command::new("busctl")
            .arg(format!("--address={}", self.address))
            .args(args))
    }
}

impl Drop for ActivatingBus {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(self.pid.to_string()).status();
        let _ = &self.dir;
    }
}

#[test]
fn dbus_daemon_loads_the_activation_file_and_a_call_starts_the_daemon() {
    require_tool("dbus-daemon");
    require_tool("busctl");
    let bus = ActivatingBus::start();
    let out = bus.busctl(&["list", "--activatable", "--no-legend"]);
    assert!(
        text(&out.stdout)
            .lines()
            .any(|l| l.split_whitespace().next() == Some(BUS_NAME)),
        "dbus-daemon did not accept the activation file: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );

    // Any call to the name makes the bus run Exec= (no systemd here) and wait for the name.
    let out = bus.busctl(&[
        "call",
        BUS_NAME,
        "/io/github/mynawatch/MynaWatch1",
        "org.freedesktop.DBus.Peer",
        "Ping",
    ]);
    let pid = bus.busctl(&["status", "--no-pager", BUS_NAME]);
    let pid = text(&pid.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("PID="))
        .map(str::to_string);
    if let Some(pid) = &pid {
        let _ = Command::new("kill").arg(pid).status();
    }
    assert!(
        out.status.success(),
        "activation failed: {}",
        text(&out.stderr)
    );
    assert!(pid.is_some(), "no process owns {BUS_NAME} after activation");
}

// ---------------------------------------------------------------------------------------------------
// make install

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

/// The tray binary, built beside the daemon by the same workspace build.
fn tray_bin() -> PathBuf {
    let p = Path::new(bin()).with_file_name("mynawatch-tray");
    assert!(
        p.is_file(),
        "{} is missing: build the whole workspace (`cargo build` at the root)",
        p.display()
    );
    p
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
        let out = run(Command::new("man")
            .args(["--warnings", "-l"])
            .arg(&page)
            .env("MANWIDTH", "80"));
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

fn read_to(p: &Path) -> String {
    fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The interface XML in docs/ is well-formed XML (no `--` inside a comment), as gdbus-codegen and
/// zbus-xmlgen need it: parsed by an independent parser, Python's expat.
#[ignore = "e2e: run by scripts/test.sh"]
#[test]
fn documented_interface_xml_is_well_formed() {
    require_tool("python3");
    let parse = |path: &Path| {
        run(Command::new("python3")
            .args([
                "-c",
                "import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])",
            ])
            .arg(path))
    };
    let xml = repo().join("docs/io.github.mynawatch.MynaWatch1.xml");
    let out = parse(&xml);
    assert!(
        out.status.success(),
        "{}: {}",
        xml.display(),
        text(&out.stderr)
    );
    // The same parser rejects the mistake it was written for.
    let d = tmp();
    let bad = d.path().join("bad.xml");
    fs::write(
        &bad,
        read("docs/io.github.mynawatch.MynaWatch1.xml").replacen(
            "<node>",
            "<!-- a -- b --><node>",
            1,
        ),
    )
    .unwrap();
    assert!(
        !parse(&bad).status.success(),
        "expat accepted `--` in a comment"
    );
}

#[test]
fn committed_man_page_is_the_generated_one() {
    let out = run(Command::new(bin()).arg("man"));
    assert!(out.status.success());
    assert!(
        text(&out.stdout) == read("docs/mynawatch.1"),
        "docs/mynawatch.1 is stale: run `make man` (or `mynawatch man > docs/mynawatch.1`) and commit it"
    );
}

/// `shell`'s own parser accepts the script at `path` (and rejects a broken one, or this proves nothing).
fn assert_valid_shell(shell: &str, path: &Path) {
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

#[ignore = "e2e: run by scripts/test.sh"]
#[test]
fn completion_scripts_are_valid_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let out = run(Command::new(bin()).args(["completions", shell]));
        assert!(out.status.success(), "{shell}");
        let d = tmp();
        let f = d.path().join("completion");
        fs::write(&f, &out.stdout).unwrap();
        assert_valid_shell(shell, &f);
    }
    let bad = run(Command::new(bin()).args(["completions", "tcsh"]));
    assert_eq!(bad.status.code(), Some(2));
}

// ---------------------------------------------------------------------------------------------------
// udev

/// mynawatch ships no udev rule (docs/architecture.md, "How it is started"): systemd's own rules start
/// smartcard.target in every user manager when a USB CCID reader appears, and the unit's
/// `WantedBy=smartcard.target` makes that start mynawatch only for users who enabled it. Check that the
/// installed systemd still does so, with the match our old rule had.
#[ignore = "e2e: run by scripts/test.sh"]
#[test]
fn systemd_own_udev_rules_start_smartcard_target_for_ccid_readers() {
    let rules = Path::new("/usr/lib/udev/rules.d");
    let (fido, systemd) = (
        rules.join("60-fido-id.rules"),
        rules.join("99-systemd.rules"),
    );
    assert!(
        systemd.exists(),
        "{} missing: install udev (scripts/install-deps.sh)",
        systemd.display()
    );
    let has_line = |file: &Path, parts: &[&str]| {
        read_to(file)
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .any(|l| parts.iter().all(|p| l.contains(p)))
    };
    assert!(
        has_line(
            &fido,
            &[
                r#"SUBSYSTEM=="usb""#,
                r#"ENV{DEVTYPE}=="usb_device""#,
                r#"ENV{ID_USB_INTERFACES}=="*:0b????:*""#,
                r#"ENV{ID_SMARTCARD_READER}="1""#
            ]
        ),
        "{} no longer marks CCID readers",
        fido.display()
    );
    assert!(
        has_line(
            &systemd,
            &[
                r#"ENV{ID_SMARTCARD_READER}=="?*""#,
                r#"TAG+="systemd""#,
                r#"ENV{SYSTEMD_USER_WANTS}+="smartcard.target""#
            ]
        ),
        "{} no longer starts smartcard.target in user managers",
        systemd.display()
    );
    // And we add nothing that would start the service for users who did not enable it.
    assert!(!repo().join("udev").exists());
}

// ---------------------------------------------------------------------------------------------------
// make demo

#[ignore = "e2e: run by scripts/test.sh"]
#[test]
fn make_demo_once_walks_through_the_four_statuses_and_leaves_nothing_running() {
    support::pcscd::require();
    require_tool("make");
    let _slot = VPCD.lock().unwrap_or_else(|e| e.into_inner());
    let mut child = Command::new("make")
        .current_dir(repo())
        .args(["-s", "demo", "DEMO_ARGS=--once"])
        .env("MYNAWATCH", bin())
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("make demo");
    let started = Instant::now();
    let status = wait_for(Duration::from_secs(120), "make demo to finish", || {
        child.try_wait().expect("wait")
    });
    let out = child.wait_with_output().unwrap();
    let stdout = text(&out.stdout);
    eprintln!("make demo took {:?}", started.elapsed());
    assert!(
        status.success(),
        "make demo failed:\n{stdout}\n{}",
        text(&out.stderr)
    );

    let mut at = 0;
    for s in [
        "valid",
        "renewal-open",
        "expired-grace",
        "registration-lapsed",
    ] {
        let needle = format!("Status={s} ");
        let found = stdout[at..]
            .find(&needle)
            .unwrap_or_else(|| panic!("no {needle} after byte {at} in\n{stdout}"));
        at += found + needle.len();
    }
    assert!(
        stdout.contains("Notification: "),
        "no notification shown:\n{stdout}"
    );

    // Its temp dir is named in the bus address; nothing may still run with it, and it is gone.
    let dir = stdout
        .split("unix:path=")
        .nth(1)
        .and_then(|s| s.split("/bus").next())
        .expect("private bus address in the output")
        .to_string();
    assert!(!Path::new(&dir).exists(), "{dir} left behind");
    let leftovers: Vec<String> = fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| fs::read(e.ok()?.path().join("cmdline")).ok())
        .map(|c| text(&c).replace('\0', " "))
        .filter(|c| c.contains(&dir))
        .collect();
    assert!(leftovers.is_empty(), "still running: {leftovers:?}");
}

// ---------------------------------------------------------------------------------------------------
// The tray's autostart entry

#[test]
#[ignore = "e2e: run by scripts/test.sh"]
fn tray_autostart_entry_passes_desktop_file_validate_and_starts_the_installed_tray() {
    require_tool("desktop-file-validate");
    let path = repo().join("data/mynawatch-tray.desktop");
    let out = run(Command::new("desktop-file-validate").arg(&path));
    assert!(
        out.status.success() && out.stdout.is_empty(),
        "desktop-file-validate: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let entry = read("data/mynawatch-tray.desktop");
    let key = |k: &str| {
        entry
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{k}=")))
            .unwrap_or_else(|| panic!("no {k}= in the autostart entry"))
    };
    // make install rewrites exactly this path; the tray needs no arguments to find the daemon.
    assert_eq!(key("Exec"), "/usr/bin/mynawatch-tray");
    assert_eq!(key("Type"), "Application");
    assert_eq!(key("Terminal"), "false");
    assert!(key("Name[ja]").contains("トレイ"));
    assert!(
        !entry.lines().any(|l| l.starts_with("Hidden=")),
        "an installed entry must not be hidden"
    );
    let icon = key("Icon");
    assert!(
        repo()
            .join(format!("data/icons/hicolor/scalable/status/{icon}.svg"))
            .is_file(),
        "Icon={icon} is one of ours"
    );
}

// ---------------------------------------------------------------------------------------------------
// The tray's man page (written by hand: it must keep up with the tray's options)

#[ignore = "e2e: run by scripts/test.sh"]
#[test]
fn tray_man_page_describes_every_option_and_renders_cleanly() {
    require_tool("man");
    let page = repo().join("data/mynawatch-tray.1");
    let out = run(Command::new("man")
        .args(["--warnings", "-l"])
        .arg(&page)
        .env("MANWIDTH", "80"));
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "man --warnings: {}",
        text(&out.stderr)
    );
    let rendered = text(&out.stdout);
    let help = run(Command::new(tray_bin()).arg("--help"));
    assert!(help.status.success());
    let options: Vec<String> = text(&help.stdout)
        .split_whitespace()
        .filter_map(|w| w.strip_prefix("--"))
        .map(|w| w.trim_end_matches([',', '.']).to_string())
        .filter(|w| !w.is_empty())
        .collect();
    assert!(options.len() >= 5, "options from --help: {options:?}");
    for o in &options {
        assert!(
            rendered.contains(&format!("--{o}")),
            "data/mynawatch-tray.1 does not describe --{o}"
        );
    }
    let th = read("data/mynawatch-tray.1")
        .lines()
        .find(|l| l.starts_with(".TH "))
        .map(str::to_string)
        .expect(".TH line");
    assert!(
        th.contains(&format!("\"mynawatch {}\"", env!("CARGO_PKG_VERSION"))),
        "the page's version is the crate's: {th}"
    );
}

// ---------------------------------------------------------------------------------------------------
// The application entry the notifications name

/// The daemon's notifications carry `desktop-entry=mynawatch` (tests/notify_dbus.rs checks the
/// hint); notification servers look up `mynawatch.desktop` for the name and icon.
#[test]
#[ignore = "e2e: run by scripts/test.sh"]
fn notification_desktop_entry_passes_desktop_file_validate() {
    require_tool("desktop-file-validate");
    let path = repo().join("data/mynawatch.desktop");
    let out = run(Command::new("desktop-file-validate").arg(&path));
    assert!(
        out.status.success() && out.stdout.is_empty(),
        "desktop-file-validate: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let entry = ini(&read("data/mynawatch.desktop"));
    let e = &entry["Desktop Entry"];
    assert_eq!(e["Type"], "Application");
    // make install rewrites exactly this path; the command must exist and need no terminal.
    assert_eq!(e["Exec"], "/usr/bin/mynawatch status");
    assert_eq!(e["Terminal"], "false");
    // Not a menu entry: the service has no window to open.
    assert_eq!(e["NoDisplay"], "true");
    assert!(e["Comment[ja]"].contains("マイナ保険証"), "{e:?}");
    assert!(e["GenericName[ja]"].contains("マイナンバーカード"), "{e:?}");
    let icon = &e["Icon"];
    assert!(
        repo()
            .join(format!("data/icons/hicolor/scalable/status/{icon}.svg"))
            .is_file(),
        "Icon={icon} is one of ours"
    );
}
