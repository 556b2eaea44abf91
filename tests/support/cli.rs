//! The mynawatch command line as a client of a daemon under test.

use std::io::BufRead;
use std::process::{Output, Stdio};
use std::sync::mpsc::Receiver;
use std::time::Duration;

use super::bus::PrivateBus;
use super::{bin, neutral_env, output_text, Reaped};

/// `mynawatch watch --json` on `bus`, one parsed line at a time; killed on drop.
pub struct Watch {
    _child: Reaped,
    lines: Receiver<serde_json::Value>,
}

impl Watch {
    pub fn start(bus: &PrivateBus) -> Watch {
        let mut child = bus
            .command(bin())
            .args(["watch", "--json"])
            .stdout(Stdio::piped())
            .spawn()
            .map(Reaped)
            .unwrap();
        let out = child.stdout.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(serde_json::from_str(&line).unwrap()).is_err() {
                    break;
                }
            }
        });
        Watch {
            _child: child,
            lines,
        }
    }

    /// [`Watch::start`], then past the snapshot `watch` prints first: what comes next is a change.
    pub fn after_snapshot(bus: &PrivateBus) -> Watch {
        let watch = Watch::start(bus);
        watch.until("snapshot", |e| e["event"] == "snapshot");
        watch
    }

    /// The next event matching `want` (waiting up to 15 s for each), and the ones skipped on the way.
    pub fn until(
        &self,
        what: &str,
        want: impl Fn(&serde_json::Value) -> bool,
    ) -> (serde_json::Value, Vec<serde_json::Value>) {
        let mut skipped = Vec::new();
        loop {
            let e = self
                .lines
                .recv_timeout(Duration::from_secs(15))
                .unwrap_or_else(|_| panic!("no {what}; saw {skipped:?}"));
            if want(&e) {
                return (e, skipped);
            }
            skipped.push(e);
        }
    }
}

/// `mynawatch status --json` on `bus`, parsed.
pub fn status_json(bus: &PrivateBus) -> serde_json::Value {
    let out = bus
        .command(bin())
        .args(["status", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `mynawatch ARGS…` on `bus` with a neutral environment ([`neutral_env`]).
pub fn output(bus: &PrivateBus, args: &[&str]) -> Output {
    neutral_env(&mut bus.command(bin()))
        .args(args)
        .output()
        .expect("run mynawatch")
}

/// [`output`] as exit code (-1: killed by a signal), stdout and stderr.
pub fn run(bus: &PrivateBus, args: &[&str]) -> (i32, String, String) {
    let (code, out, err) = output_text(&output(bus, args));
    (code.unwrap_or(-1), out, err)
}
