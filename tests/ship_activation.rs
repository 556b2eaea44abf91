//! The D-Bus activation file: what it names, and a real dbus-daemon that loads it and starts the daemon
//! when the name is called.

mod support;

use std::path::Path;

use support::bus::PrivateBus;
use support::daemon::{busctl, NAME as BUS_NAME, ROOT};
use support::ship::{ini, read, ACTIVATION, UNIT};
use support::{bin, require_tool};

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

#[test]
fn dbus_daemon_loads_the_activation_file_and_a_call_starts_the_daemon() {
    require_tool("dbus-daemon");
    require_tool("busctl");
    // A bus whose service dir holds only our activation file (Exec → the binary under test).
    // Activated services inherit the bus's environment: state and config in its temp dir.
    let bus = PrivateBus::start_with(
        &[(
            format!("{BUS_NAME}.service"),
            read(ACTIVATION).replace("/usr/bin/mynawatch", bin()),
        )],
        &[
            ("XDG_STATE_HOME", "state"),
            ("XDG_CONFIG_HOME", "config"),
            ("XDG_CACHE_HOME", "cache"),
        ],
    );
    let (_, listed, err) = busctl(&bus, &["list", "--activatable", "--no-legend"]);
    assert!(
        listed
            .lines()
            .any(|l| l.split_whitespace().next() == Some(BUS_NAME)),
        "dbus-daemon did not accept the activation file: {listed}{err}"
    );

    // Any call to the name makes the bus run Exec= (no systemd here) and wait for the name.
    let (called, _, err) = busctl(
        &bus,
        &["call", BUS_NAME, ROOT, "org.freedesktop.DBus.Peer", "Ping"],
    );
    let pid = bus.owner_pid(BUS_NAME);
    if let Some(pid) = pid {
        let _ = std::process::Command::new("kill")
            .arg(pid.to_string())
            .status();
    }
    assert!(called, "activation failed: {err}");
    assert!(pid.is_some(), "no process owns {BUS_NAME} after activation");
}
