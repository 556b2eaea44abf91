//! The desktop entries: the tray's autostart entry (validated, and it starts the installed tray) and
//! the application entry the notifications name.

mod support;

use support::ship::{assert_valid_desktop_entry, ini, read, repo};

#[test]
#[ignore = "e2e: run by scripts/test.sh"]
fn tray_autostart_entry_passes_desktop_file_validate_and_starts_the_installed_tray() {
    assert_valid_desktop_entry("data/mynawatch-tray.desktop");
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
// The application entry the notifications name

/// The daemon's notifications carry `desktop-entry=mynawatch` (tests/notify_dbus.rs checks the
/// hint); notification servers look up `mynawatch.desktop` for the name and icon.
#[test]
#[ignore = "e2e: run by scripts/test.sh"]
fn notification_desktop_entry_passes_desktop_file_validate() {
    assert_valid_desktop_entry("data/mynawatch.desktop");
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
