//! "Open guide" on a notification opens the official guide through the desktop portal
//! (`org.freedesktop.portal.OpenURI.OpenURI`), tested against a portal stand-in (python3-dbusmock)
//! on the private bus; without a portal, a daemon started by systemd (`$INVOCATION_ID`, inside the
//! unit's sandbox) starts no browser and says so, and only a hand-run one falls back to `xdg-open`
//! (a stand-in script on `PATH` records whether it ran).

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::Duration;

use support::bus::{NotificationServer, PrivateBus};
use support::daemon::{seed_state, DaemonProc};
use support::wait_for;

const GUIDE: &str = mynawatch::notify::GUIDE_URL;
const WAIT: Duration = Duration::from_secs(10);

/// python3-dbusmock as `org.freedesktop.portal.Desktop` with an `OpenURI` method; calls are logged.
struct Portal {
    child: Child,
    log: PathBuf,
}

impl Portal {
    fn start(bus: &PrivateBus) -> Portal {
        let log = bus.dir.path().join("portal.log");
        let child = bus
            .command("/usr/bin/python3")
            .args(["-m", "dbusmock", "--session", "-l"])
            .arg(&log)
            .args([
                mynawatch::portal::PORTAL_NAME,
                mynawatch::portal::PORTAL_PATH,
                mynawatch::portal::OPEN_URI,
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3-dbusmock must be installed");
        bus.wait_for_name(mynawatch::portal::PORTAL_NAME, Duration::from_secs(15));
        let ok = bus
            .command("gdbus")
            .args([
                "call",
                "--session",
                "--dest",
                mynawatch::portal::PORTAL_NAME,
            ])
            .args(["--object-path", mynawatch::portal::PORTAL_PATH])
            .args(["--method", "org.freedesktop.DBus.Mock.AddMethod"])
            .args([
                mynawatch::portal::OPEN_URI,
                "OpenURI",
                "ssa{sv}",
                "o",
                "ret = dbus.ObjectPath('/org/freedesktop/portal/desktop/request/1_1/mynawatch')",
            ])
            .stdout(Stdio::null())
            .status()
            .expect("gdbus")
            .success();
        assert!(ok, "AddMethod OpenURI");
        Portal { child, log }
    }

    fn calls(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Portal {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A directory with an `xdg-open` that appends its arguments to `<dir>/xdg-open.log`.
fn fake_xdg_open(dir: &Path) -> PathBuf {
    let script = dir.join("xdg-open");
    let log = dir.join("xdg-open.log");
    std::fs::write(
        &script,
        format!("#!/bin/sh\necho \"$@\" >> '{}'\n", log.display()),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    log
}

/// A daemon whose seeded card has a reminder due (19 days left), shown as notification 1; then
/// "open guide" is clicked on it. Returns the daemon and the fake xdg-open's log.
fn click_open_guide(bus: &PrivateBus, extra_env: &[(&str, &str)]) -> (DaemonProc, PathBuf) {
    let notifications = NotificationServer::start(bus, Some("body actions"));
    let state = bus.dir.path().join("state");
    seed_state(&state, "2026-03-20");
    let bin = bus.dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let xdg_log = fake_xdg_open(&bin);
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut envs = vec![("PATH", path.as_str())];
    envs.extend_from_slice(extra_env);
    let d = DaemonProc::start(
        bus,
        &[
            "--today",
            "2026-03-01",
            "--state-dir",
            state.to_str().unwrap(),
        ],
        &envs,
    );
    let shown = notifications.nth_call(0, WAIT);
    assert!(shown.contains("open-guide"), "{shown}");
    // dbusmock numbers notifications from 1.
    notifications.invoke_action(1, "open-guide");
    (d, xdg_log)
}

#[ignore = "e2e: run by scripts/test.sh"]
#[test]
fn open_guide_goes_through_the_desktop_portal() {
    let bus = PrivateBus::start();
    let portal = Portal::start(&bus);
    // Even under systemd: the portal is the way out of the sandbox.
    let (d, xdg_log) = click_open_guide(&bus, &[("INVOCATION_ID", "0123456789abcdef")]);
    let call = wait_for(WAIT, "OpenURI on the portal", || {
        let c = portal.calls();
        c.contains("OpenURI").then_some(c)
    });
    assert!(call.contains(&format!("\"{GUIDE}\"")), "{call}");
    d.wait_log("opened the guide through the desktop portal");
    assert!(
        !xdg_log.exists(),
        "xdg-open ran although the portal answered"
    );
}

#[ignore = "e2e: run by scripts/test.sh"]
#[test]
fn without_a_portal_a_sandboxed_daemon_starts_no_browser_and_says_so() {
    let bus = PrivateBus::start();
    let (d, xdg_log) = click_open_guide(&bus, &[("INVOCATION_ID", "0123456789abcdef")]);
    d.wait_log("cannot open the guide");
    let log = d.log();
    assert!(log.contains("sandbox") && log.contains(GUIDE), "{log}");
    assert!(!xdg_log.exists(), "xdg-open ran inside the sandbox");
}

#[ignore = "e2e: run by scripts/test.sh"]
#[test]
fn without_a_portal_a_hand_run_daemon_falls_back_to_xdg_open() {
    let bus = PrivateBus::start();
    // "" as if unset, should the test itself run under systemd.
    let (d, xdg_log) = click_open_guide(&bus, &[("INVOCATION_ID", "")]);
    d.wait_log("no desktop portal; opened the guide with xdg-open");
    let args = wait_for(WAIT, "the fake xdg-open to run", || {
        std::fs::read_to_string(&xdg_log).ok()
    });
    assert_eq!(args.trim(), GUIDE);
}
