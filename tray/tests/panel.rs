//! The tray in a real panel: xfce4-panel's systray plugin (an SNI host that also provides the
//! StatusNotifierWatcher) under Xvfb, the real daemon by D-Bus activation. Checked: the panel's own
//! watcher lists the item, and a screenshot of the screen shows the icon (its colour, drawn by
//! the panel from our SVG). `MW_BLESS=1` also writes the screenshot to docs/tray.png.

mod support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use support::bus::PrivateBus;
use support::daemon::{seed_state, NAME};
use support::wait_for;

const WATCHER: &str = "org.kde.StatusNotifierWatcher";
/// The renewal icon's fill (data/icons/hicolor/scalable/status/mynawatch-renewal.svg).
const RENEWAL_FILL: [u8; 3] = [0xf9, 0xa8, 0x25];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Children killed on drop, last started first.
struct Procs(Vec<Child>);

impl Drop for Procs {
    fn drop(&mut self) {
        for c in self.0.iter_mut().rev() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Xvfb on a free display (it picks one and prints it on -displayfd).
fn xvfb(procs: &mut Procs) -> String {
    let mut child = Command::new("Xvfb")
        .args([
            "-displayfd",
            "1",
            "-screen",
            "0",
            "360x48x24",
            "-nolisten",
            "tcp",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("Xvfb");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .expect("Xvfb prints its display");
    procs.0.push(child);
    format!(":{}", line.trim())
}

const PANEL_XML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<channel name="xfce4-panel" version="1.0">
  <property name="configver" type="int" value="2"/>
  <property name="panels" type="array">
    <value type="int" value="1"/>
    <property name="panel-1" type="empty">
      <property name="position" type="string" value="p=6;x=0;y=0"/>
      <property name="length" type="uint" value="100"/>
      <property name="position-locked" type="bool" value="true"/>
      <property name="size" type="uint" value="48"/>
      <property name="plugin-ids" type="array"><value type="int" value="1"/></property>
    </property>
  </property>
  <property name="plugins" type="empty">
    <property name="plugin-1" type="string" value="systray">
      <property name="icon-size" type="int" value="32"/>
    </property>
  </property>
</channel>
"#;

fn registered_items(bus: &PrivateBus) -> String {
    let out = Command::new("busctl")
        .args(["--address", &bus.address, "get-property", WATCHER])
        .args([
            "/StatusNotifierWatcher",
            WATCHER,
            "RegisteredStatusNotifierItems",
        ])
        .output()
        .expect("busctl");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Pixels of the screenshot (`import`, as PPM) close to `rgb`.
fn count_colour(ppm: &[u8], rgb: [u8; 3]) -> usize {
    // P6\n<w> <h>\n<max>\n then RGB triples.
    let mut fields = 0;
    let mut i = 0;
    while fields < 4 && i < ppm.len() {
        while i < ppm.len() && ppm[i].is_ascii_whitespace() {
            i += 1;
        }
        while i < ppm.len() && !ppm[i].is_ascii_whitespace() {
            i += 1;
        }
        fields += 1;
    }
    ppm[i + 1..]
        .chunks_exact(3)
        .filter(|p| (0..3).all(|k| p[k].abs_diff(rgb[k]) <= 24))
        .count()
}

#[test]
#[ignore = "e2e: run by scripts/test.sh"]
fn xfce_panel_shows_the_tray_icon() {
    for tool in ["Xvfb", "xfce4-panel", "import", "convert", "busctl"] {
        support::require_tool(tool);
    }
    let xfconfd = std::fs::read_to_string("/usr/share/dbus-1/services/org.xfce.Xfconf.service")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Exec=").map(str::to_string))
        })
        .expect("xfconf's activation file (package xfconf)");
    let state = tempfile::tempdir().unwrap();
    seed_state(state.path(), "2026-04-30");
    let daemon = format!(
        "{} daemon --no-notify --today 2026-03-01 --state-dir {}",
        support::bin(),
        state.path().display()
    );
    // xfconfd is started by the bus, so it gets the panel's config directory on its command line.
    let desk = tempfile::tempdir().unwrap();
    let home = desk.path().join("home");
    let config = home.join(".config");
    let xfconfd = format!(
        "/usr/bin/env XDG_CONFIG_HOME={} XDG_DATA_HOME={} {xfconfd}",
        config.display(),
        home.join(".local/share").display()
    );
    let bus = PrivateBus::start_activating(&[(NAME, &daemon), ("org.xfce.Xfconf", &xfconfd)]);
    let channel = config.join("xfce4/xfconf/xfce-perchannel-xml");
    std::fs::create_dir_all(&channel).unwrap();
    std::fs::write(channel.join("xfce4-panel.xml"), PANEL_XML).unwrap();
    let runtime = desk.path().join("run");
    std::fs::create_dir_all(&runtime).unwrap();
    std::fs::set_permissions(
        &runtime,
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .unwrap();

    let mut procs = Procs(Vec::new());
    let display = xvfb(&mut procs);
    let env = |c: &mut Command| {
        c.env("DISPLAY", &display)
            .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
            .env("HOME", &home)
            .env("XDG_CONFIG_HOME", &config)
            .env("XDG_RUNTIME_DIR", &runtime)
            .env("XDG_CACHE_HOME", home.join(".cache"))
            .env("LANG", "C.UTF-8");
    };
    let mut panel = Command::new("xfce4-panel");
    env(&mut panel);
    let panel_log = bus.dir.path().join("panel.log");
    procs.0.push(
        panel
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&panel_log).unwrap())
            .spawn()
            .expect("xfce4-panel"),
    );
    let mut tray = Command::new(support::tray_bin());
    env(&mut tray);
    tray.args(["--lang", "en", "--icons"])
        .arg(repo().join("data/icons"))
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    procs.0.push(tray.spawn().expect("mynawatch-tray"));

    // The panel's watcher comes up some seconds after the panel; the tray registers when it does.
    let panel_text = || std::fs::read_to_string(&panel_log).unwrap_or_default();
    wait_for(
        Duration::from_secs(60),
        "the panel to list the item",
        || {
            registered_items(&bus)
                .contains("org.kde.StatusNotifierItem-")
                .then_some(())
        },
    );
    assert!(bus.has_name(NAME), "the tray did not start the daemon");

    // The panel draws the renewal icon (amber) once it has read IconName and IconThemePath.
    let shot = bus.dir.path().join("shot.ppm");
    let amber = wait_for(Duration::from_secs(30), "the icon in a screenshot", || {
        let out = Command::new("import")
            .args(["-display", &display, "-window", "root", "-depth", "8"])
            .arg(&shot)
            .output()
            .expect("import (imagemagick)");
        if !out.status.success() {
            return None;
        }
        let n = count_colour(&std::fs::read(&shot).ok()?, RENEWAL_FILL);
        if n < 100 {
            let _ = std::fs::copy(&shot, std::env::temp_dir().join("mynawatch-last-shot.ppm"));
        }
        (n >= 100).then_some(n)
    });
    eprintln!("{amber} icon pixels in the screenshot");
    let png = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("tray-panel.png");
    let out = Command::new("convert")
        .arg(&shot)
        .args(["-crop", "180x48+0+0", "+repage", "-strip"])
        .arg(&png)
        .output()
        .expect("convert");
    assert!(out.status.success(), "convert: {out:?}\n{}", panel_text());
    if std::env::var_os("MW_BLESS").is_some() {
        std::fs::copy(&png, repo().join("docs/tray.png")).unwrap();
    }
}
