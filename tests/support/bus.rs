//! Private session buses and a real notification server (python3-dbusmock) for tests. Every process
//! started here is killed on drop; nothing touches the user's bus.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::wait_for;

/// A private `dbus-daemon --session` in its own temp dir.
pub struct PrivateBus {
    pub address: String,
    pid: i32,
    pub dir: tempfile::TempDir,
}

impl PrivateBus {
    /// A private bus that starts nothing by activation: its only service directory is its own,
    /// empty one — never the machine's (a mynawatch package installed on the host must not be
    /// what answers a test).
    pub fn start() -> PrivateBus {
        Self::start_activating(&[])
    }

    /// A private bus that starts services by D-Bus activation: `services` are (bus name, Exec=
    /// command line) pairs written as activation files into its service directory.
    pub fn start_activating(services: &[(&str, &str)]) -> PrivateBus {
        let files: Vec<(String, String)> = services
            .iter()
            .map(|(name, exec)| {
                (
                    format!("{name}.service"),
                    format!("[D-BUS Service]\nName={name}\nExec={exec}\n"),
                )
            })
            .collect();
        Self::start_with(&files, &[])
    }

    /// A private bus whose service directory holds these activation `files` (file name, contents).
    /// `dirs`: environment variables of the dbus-daemon, and so of every service it starts, each
    /// set to a directory of the given name inside the bus's temp dir (e.g. `XDG_STATE_HOME`).
    pub fn start_with(files: &[(String, String)], dirs: &[(&str, &str)]) -> PrivateBus {
        let dir = tempfile::Builder::new()
            .prefix("mynawatch-bus")
            .tempdir()
            .expect("temp dir");
        let service_dir = dir.path().join("services");
        std::fs::create_dir(&service_dir).expect("service dir");
        for (name, contents) in files {
            std::fs::write(service_dir.join(name), contents).expect("activation file");
        }
        let address = format!("unix:path={}/bus", dir.path().display());
        let config = dir.path().join("bus.conf");
        std::fs::write(
            &config,
            format!(
                r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>{address}</listen>
  <auth>EXTERNAL</auth>
  <servicedir>{}</servicedir>
  <keep_umask/>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
  <!-- The session bus's own limits (/usr/share/dbus-1/session.conf): "should never be hit". -->
  <limit name="max_incoming_bytes">1000000000</limit>
  <limit name="max_outgoing_bytes">1000000000</limit>
  <limit name="max_message_size">1000000000</limit>
  <limit name="service_start_timeout">120000</limit>
  <limit name="max_completed_connections">100000</limit>
  <limit name="max_incomplete_connections">10000</limit>
  <limit name="max_connections_per_user">100000</limit>
  <limit name="max_pending_service_starts">10000</limit>
  <limit name="max_names_per_connection">50000</limit>
  <limit name="max_match_rules_per_connection">50000</limit>
  <limit name="max_replies_per_connection">50000</limit>
</busconfig>
"#,
                service_dir.display()
            ),
        )
        .expect("bus config");
        let out = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", config.display()))
            .args(["--print-pid=1", "--fork", "--nopidfile"])
            .env("DBUS_SESSION_BUS_ADDRESS", &address)
            .envs(dirs.iter().map(|(var, sub)| (var, dir.path().join(sub))))
            .stderr(Stdio::inherit())
            .output()
            .expect("dbus-daemon must be installed (scripts/install-deps.sh)");
        assert!(out.status.success(), "dbus-daemon failed: {out:?}");
        let pid = String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .expect("pid");
        PrivateBus { address, pid, dir }
    }

    /// The pid of the process that owns `name` now, if any.
    pub fn owner_pid(&self, name: &str) -> Option<u32> {
        let out = Command::new("busctl")
            .args(["--address", &self.address, "status", "--no-pager", name])
            .output()
            .expect("busctl");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .find_map(|l| l.strip_prefix("PID=")?.trim().parse().ok())
    }

    /// The dbus-daemon's pid (to kill the bus under a client in fault tests).
    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// A `Command` for a program that should talk to this bus only.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut c = Command::new(program);
        c.env("DBUS_SESSION_BUS_ADDRESS", &self.address);
        c
    }

    /// Is `name` currently owned on this bus?
    pub fn has_name(&self, name: &str) -> bool {
        let out = Command::new("busctl")
            .args([
                "--address",
                &self.address,
                "list",
                "--no-legend",
                "--acquired",
            ])
            .output()
            .expect("busctl");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .any(|l| l.split_whitespace().next() == Some(name))
    }

    pub fn wait_for_name(&self, name: &str, timeout: Duration) {
        wait_for(timeout, &format!("{name} on the bus"), || {
            self.has_name(name).then_some(())
        });
    }
}

impl Drop for PrivateBus {
    fn drop(&mut self) {
        // --fork: the daemon is not our child; kill the pid it printed.
        kill_pid(self.pid);
    }
}

fn kill_pid(pid: i32) {
    let _ = Command::new("kill").arg(pid.to_string()).status();
}

/// python3-dbusmock's notification template on a `PrivateBus`; every call is logged to a file.
pub struct NotificationServer {
    child: Child,
    pub log: PathBuf,
    address: String,
}

pub const NOTIFICATIONS: &str = "org.freedesktop.Notifications";

impl NotificationServer {
    /// Start it and wait until it owns `org.freedesktop.Notifications`. `capabilities`: e.g. "body actions".
    pub fn start(bus: &PrivateBus, capabilities: Option<&str>) -> NotificationServer {
        let log = bus.dir.path().join("notify.log");
        let mut cmd = bus.command("/usr/bin/python3");
        cmd.args([
            "-m",
            "dbusmock",
            "--session",
            "--template",
            "notification_daemon",
            "-l",
        ])
        .arg(&log)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
        if let Some(caps) = capabilities {
            cmd.args(["-p", &format!("{{\"capabilities\": \"{caps}\"}}")]);
        }
        let child = cmd.spawn().expect("python3-dbusmock must be installed");
        let server = NotificationServer {
            child,
            log,
            address: bus.address.clone(),
        };
        bus.wait_for_name(NOTIFICATIONS, Duration::from_secs(15));
        server
    }

    /// The `Notify` calls so far, one entry each as dbusmock logged them
    /// (`<ts> Notify "app" replaces_id "icon" "summary" "body" [actions] {hints} timeout`).
    /// A multi-line body continues an entry until the next line that starts with a timestamp.
    pub fn notify_calls(&self) -> Vec<String> {
        let mut entries: Vec<String> = Vec::new();
        for line in std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
        {
            let starts_entry = line
                .split_once(' ')
                .is_some_and(|(ts, _)| !ts.is_empty() && ts.parse::<f64>().is_ok());
            match entries.last_mut() {
                Some(last) if !starts_entry => {
                    last.push('\n');
                    last.push_str(line);
                }
                _ => entries.push(line.to_string()),
            }
        }
        entries.retain(|e| e.contains(" Notify "));
        entries
    }

    /// Exactly `n` `Notify` calls so far (no reminder shown twice, none lost); fails the test with
    /// the calls otherwise.
    pub fn assert_calls(&self, n: usize) {
        let calls = self.notify_calls();
        assert_eq!(calls.len(), n, "{calls:?}");
    }

    /// The n-th (0-based) `Notify` call, waiting up to `timeout` for it.
    pub fn nth_call(&self, n: usize, timeout: Duration) -> String {
        wait_for(timeout, &format!("Notify call #{n}"), || {
            self.notify_calls().get(n).cloned()
        })
    }

    /// Simulate the user clicking action `action` on notification `id`.
    pub fn invoke_action(&self, id: u32, action: &str) {
        let status = Command::new("gdbus")
            .args(["call", "--address", &self.address, "--dest", NOTIFICATIONS])
            .args(["--object-path", "/org/freedesktop/Notifications"])
            .args([
                "--method",
                "org.freedesktop.DBus.Mock.EmitSignal",
                NOTIFICATIONS,
            ])
            .args([
                "ActionInvoked",
                "us",
                &format!("[<uint32 {id}>, <\"{action}\">]"),
            ])
            .stdout(Stdio::null())
            .status()
            .expect("gdbus");
        assert!(status.success(), "EmitSignal ActionInvoked failed");
    }
}

impl Drop for NotificationServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
