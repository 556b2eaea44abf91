//! `mynawatch doctor`: "I put my card in and nothing happens" — walk the chain from the config file
//! to the desktop notification and say, per step, what is fine and what to do.
//!
//! The steps: config valid, pcscd reachable, readers pcscd sees against USB devices that look like
//! readers but no driver takes (src/usb.rs), a card present and readable, the daemon running /
//! enabled / activatable, a notification server, the state directory writable. Probing is read-only
//! and needs no root: the daemon is asked with `NameHasOwner` (which never starts it), a card is
//! read only for its certificate (no PIN counters, never a PIN) and nothing about the certificate
//! (not even its dates) is printed. The exit status is the worst finding's (src/exit.rs).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use pcsc::{Context, Scope};
use serde::Serialize;
use zbus::Connection;

use super::common::runtime;
use crate::card::CardError;
use crate::config::Config;
use crate::dbus::{client, ManagerProxy, BUS_NAME};
use crate::exit::Exit;
use crate::l10n::{self, Lang};
use crate::pcsc::transport::{read_reader_certificate, readers_with_card};
use crate::readers::{ReadProblem, ReaderState, ReaderStatus};
use crate::usb::{self, Driver, KnownModel, UsbReader, LIBCCID_FOR_RC_S300};

/// Check, step by step, why a card put into a reader might not be noticed, and say what to do.
#[derive(Debug, clap::Args)]
pub struct DoctorArgs {
    /// Print JSON (one object per finding) instead of text.
    #[arg(long)]
    pub json: bool,
    /// Language of the text (default: lang in config.toml, else the locale, else ja).
    #[arg(long, value_enum)]
    pub lang: Option<Lang>,
    /// Configuration file to check (default: $XDG_CONFIG_HOME/mynawatch/config.toml).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Where sysfs is mounted (tests stage a fake USB device tree).
    #[arg(long, hide = true, value_name = "DIR", default_value = "/sys")]
    pub sysfs: PathBuf,
    /// PC/SC driver directories to read the supported USB ids from (default: pcsc-lite's).
    #[arg(long = "pcsc-drivers", hide = true, value_name = "DIR")]
    pub pcsc_drivers: Vec<PathBuf>,
}

/// How bad a finding is. The order matters: the worst one decides the exit status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// This step works.
    Ok,
    /// Worth knowing; nothing to fix.
    Info,
    /// Cards are still watched, but something should be fixed.
    Warning,
    /// This step is broken: a card put in would not be seen, read or reported.
    Error,
}

impl Severity {
    pub fn exit(self) -> Exit {
        match self {
            Severity::Ok | Severity::Info => Exit::Success,
            Severity::Warning => Exit::DoctorWarning,
            Severity::Error => Exit::DoctorProblem,
        }
    }

    /// The name `--json` prints, and the catalogue's selector key.
    fn as_str(self) -> &'static str {
        match self {
            Severity::Ok => "ok",
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    fn mark(self, lang: Lang) -> String {
        l10n::tr(
            lang,
            "doctor-severity",
            &[("severity", self.as_str().into())],
        )
    }
}

/// The link of the chain a finding is about, in the order they are shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Step {
    Config,
    Pcscd,
    Readers,
    Card,
    Daemon,
    Notifications,
    StateDir,
}

impl Step {
    /// The name `--json` prints, and the catalogue's selector key.
    fn as_str(self) -> &'static str {
        match self {
            Step::Config => "config",
            Step::Pcscd => "pcscd",
            Step::Readers => "readers",
            Step::Card => "card",
            Step::Daemon => "daemon",
            Step::Notifications => "notifications",
            Step::StateDir => "state-dir",
        }
    }

    fn title(self, lang: Lang) -> String {
        l10n::tr(lang, "doctor-step", &[("step", self.as_str().into())])
    }
}

/// A sentence of doctor's: a catalogue message and its variables, rendered in whichever language
/// the report is written in (a finding is made before that matters, and tests read both).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Msg {
    id: &'static str,
    args: Vec<(&'static str, Arg)>,
}

/// A message variable.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Arg {
    /// Shown as it is, in every language: a path, a reader's name, a version, an error's text.
    Text(String),
    /// Why a card could not be used, in the report's language.
    Problem(ReadProblem),
}

fn msg(id: &'static str) -> Msg {
    Msg {
        id,
        args: Vec::new(),
    }
}

impl Msg {
    fn arg(mut self, name: &'static str, value: impl ToString) -> Self {
        self.args.push((name, Arg::Text(value.to_string())));
        self
    }

    fn problem(mut self, name: &'static str, problem: ReadProblem) -> Self {
        self.args.push((name, Arg::Problem(problem)));
        self
    }

    pub fn text(&self, lang: Lang) -> String {
        self.with_args(lang, |args| l10n::tr(lang, self.id, args))
    }

    /// The text, or Fluent's errors (what the catalogue test checks).
    #[cfg(test)]
    fn try_text(&self, lang: Lang) -> Result<String, Vec<String>> {
        self.with_args(lang, |args| l10n::try_tr(lang, self.id, args))
    }

    fn with_args<T>(&self, lang: Lang, f: impl FnOnce(&l10n::Args<'_>) -> T) -> T {
        let args: Vec<_> = self
            .args
            .iter()
            .map(|(name, value)| {
                let value = match value {
                    Arg::Text(s) => s.clone(),
                    Arg::Problem(p) => p.describe(lang),
                };
                (*name, value.into())
            })
            .collect();
        f(&args)
    }
}

/// One thing doctor found: what it is (a stable id for scripts), how bad, and what to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub step: Step,
    /// Stable, kebab-case (e.g. `pcscd-unreachable`): scripts match on it, never on the words.
    pub id: &'static str,
    pub severity: Severity,
    pub what: Msg,
    pub fix: Option<Msg>,
}

fn finding(step: Step, id: &'static str, severity: Severity, what: Msg) -> Finding {
    Finding {
        step,
        id,
        severity,
        what,
        fix: None,
    }
}

impl Finding {
    fn fix(mut self, fix: Msg) -> Self {
        self.fix = Some(fix);
        self
    }
}

pub fn run(args: DoctorArgs) -> anyhow::Result<ExitCode> {
    let (config_findings, config) = check_config(args.config.clone().or_else(Config::default_path));
    let lang = crate::l10n::choose(args.lang, config.as_ref().and_then(|c| c.lang));
    let config = config.unwrap_or_default();
    let mut findings = config_findings;
    let bus = runtime()?.block_on(probe_bus());

    let ctx = Context::establish(Scope::User);
    findings.push(check_pcscd(
        ctx.as_ref().map(|_| ()).map_err(|e| *e),
        pcscd_installed,
    ));
    let ctx = ctx.ok();
    let readers = ctx.as_ref().map(pcscd_readers);
    let driver_dirs: Vec<PathBuf> = match args.pcsc_drivers.is_empty() {
        true => usb::DRIVER_DIRS.iter().map(PathBuf::from).collect(),
        false => args.pcsc_drivers.clone(),
    };
    let drivers = usb::drivers(&driver_dirs);
    findings.extend(check_readers(
        readers.as_deref(),
        &usb::scan(&args.sysfs),
        &drivers,
    ));
    findings.extend(match (&ctx, readers.as_deref()) {
        (Some(ctx), Some(names)) if !names.is_empty() => match &bus.reader_states {
            Some(states) if !states.is_empty() => check_card_by_daemon(states),
            _ => check_card_directly(ctx),
        },
        (pcscd, _) => vec![card_not_checked(pcscd.is_some())],
    });
    findings.extend(check_daemon(&bus));
    findings.push(check_notifications(&bus, &config));
    let location = crate::state_dir::resolve(None, |k| std::env::var_os(k));
    findings.extend(check_state_dirs(location));

    let worst = findings
        .iter()
        .map(|f| f.severity)
        .max()
        .unwrap_or(Severity::Ok);
    let text = if args.json {
        json(&findings, worst, lang)? + "\n"
    } else {
        render(&findings, lang)
    };
    super::common::write_stdout(text.as_bytes())?;
    Ok(worst.exit().into())
}

/// The config file: valid, absent (defaults), or broken (the error names the line). `path` is
/// `None` when there is no home directory to find it in.
fn check_config(path: Option<PathBuf>) -> (Vec<Finding>, Option<Config>) {
    let c = Step::Config;
    let Some(path) = path else {
        return (
            vec![finding(
                c,
                "config-no-home",
                Severity::Info,
                msg("doctor-config-no-home"),
            )],
            None,
        );
    };
    let shown = path.display();
    match Config::load(&path) {
        Ok(config) if path.exists() => (
            vec![finding(
                c,
                "config-valid",
                Severity::Ok,
                msg("doctor-config-valid").arg("path", shown),
            )],
            Some(config),
        ),
        Ok(config) => (
            vec![finding(
                c,
                "config-absent",
                Severity::Ok,
                msg("doctor-config-absent").arg("path", shown),
            )],
            Some(config),
        ),
        Err(e) => (
            vec![finding(
                c,
                "config-invalid",
                Severity::Error,
                msg("doctor-config-invalid").arg("error", e),
            )
            .fix(msg("doctor-config-invalid-fix"))],
            None,
        ),
    }
}

/// Is the pcscd program installed (in the usual places or on PATH)?
fn pcscd_installed() -> bool {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/local/sbin"].map(PathBuf::from))
        .any(|d| d.join("pcscd").is_file())
}

/// How establishing a PC/SC context went; `installed` is asked only when pcscd does not answer.
fn check_pcscd(answer: Result<(), pcsc::Error>, installed: impl Fn() -> bool) -> Finding {
    let p = Step::Pcscd;
    match answer {
        Ok(()) => finding(
            p,
            "pcscd-reachable",
            Severity::Ok,
            msg("doctor-pcscd-reachable"),
        ),
        Err(pcsc::Error::NoService | pcsc::Error::ServiceStopped) if !installed() => finding(
            p,
            "pcscd-not-installed",
            Severity::Error,
            msg("doctor-pcscd-not-installed"),
        )
        .fix(msg("doctor-pcscd-not-installed-fix")),
        Err(pcsc::Error::NoService | pcsc::Error::ServiceStopped) => finding(
            p,
            "pcscd-unreachable",
            Severity::Error,
            msg("doctor-pcscd-unreachable"),
        )
        .fix(msg("doctor-pcscd-unreachable-fix")),
        Err(e) => finding(
            p,
            "pcscd-error",
            Severity::Error,
            msg("doctor-pcscd-error").arg("error", e),
        )
        .fix(msg("doctor-pcscd-error-fix")),
    }
}

/// The readers pcscd lists now (empty when it has none).
fn pcscd_readers(ctx: &Context) -> Vec<String> {
    match ctx.list_readers_owned() {
        Ok(r) => r
            .into_iter()
            .map(|c| c.to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    }
}

fn driver_name(d: &Driver) -> String {
    match &d.version {
        Some(v) => format!("{} {v}", d.bundle),
        None => d.bundle.clone(),
    }
}

/// Readers pcscd sees, USB devices no installed driver takes. `seen` is `None` when pcscd is down.
pub fn check_readers(
    seen: Option<&[String]>,
    usb: &[UsbReader],
    drivers: &[Driver],
) -> Vec<Finding> {
    let r = Step::Readers;
    let mut out = Vec::new();
    let none_seen = seen.is_none_or(|s| s.is_empty());
    for name in seen.unwrap_or_default() {
        out.push(finding(
            r,
            "reader-seen",
            Severity::Ok,
            msg("doctor-reader-seen").arg("reader", name),
        ));
    }
    let libccid = drivers.iter().find(|d| d.is_libccid());
    for dev in usb {
        let label = match (dev.model, dev.name.is_empty()) {
            (Some(m), _) => format!("{} ({})", m.name(), dev.id),
            (None, false) => format!("{} ({})", dev.name, dev.id),
            (None, true) => dev.id.to_string(),
        };
        let about = |id| msg(id).arg("device", &label);
        if let Some(d) = usb::driver_for(drivers, dev.id) {
            let driver = driver_name(d);
            out.push(if none_seen && seen.is_some() {
                finding(
                    r,
                    "usb-reader-not-loaded",
                    Severity::Warning,
                    about("doctor-usb-reader-not-loaded").arg("driver", driver),
                )
                .fix(msg("doctor-usb-reader-not-loaded-fix"))
            } else {
                finding(
                    r,
                    "usb-reader-supported",
                    Severity::Ok,
                    about("doctor-usb-reader-supported").arg("driver", driver),
                )
            });
            continue;
        }
        let severity = match none_seen {
            true => Severity::Error,
            false => Severity::Warning,
        };
        let f = |id, what: Msg, fix: Msg| finding(r, id, severity, what).fix(fix);
        out.push(match dev.model {
            Some(KnownModel::SonyRcS380) => f(
                "usb-reader-unsupported-on-linux",
                about("doctor-usb-reader-unsupported-on-linux"),
                msg("doctor-usb-reader-unsupported-on-linux-fix"),
            ),
            Some(KnownModel::SonyRcS300) => match libccid {
                Some(d) if d.version_triple().is_some_and(|v| v < LIBCCID_FOR_RC_S300) => f(
                    "usb-reader-libccid-too-old",
                    about("doctor-usb-reader-libccid-too-old").arg("driver", driver_name(d)),
                    msg("doctor-usb-reader-libccid-too-old-fix"),
                ),
                Some(d) => f(
                    "usb-reader-no-driver",
                    about("doctor-usb-reader-not-listed").arg("driver", driver_name(d)),
                    msg("doctor-usb-reader-not-listed-fix"),
                ),
                None => f(
                    "usb-reader-no-driver",
                    about("doctor-usb-reader-no-libccid"),
                    msg("doctor-usb-reader-no-libccid-fix"),
                ),
            },
            Some(KnownModel::AcsAcr1251) => f(
                "usb-reader-needs-libacsccid1",
                about("doctor-usb-reader-needs-libacsccid1"),
                msg("doctor-usb-reader-needs-libacsccid1-fix"),
            ),
            None => f(
                "usb-reader-no-driver",
                about("doctor-usb-reader-no-driver"),
                match libccid {
                    Some(d) => msg("doctor-usb-reader-no-driver-fix")
                        .arg("libccid", "installed")
                        .arg("driver", driver_name(d)),
                    None => msg("doctor-usb-reader-no-driver-fix").arg("libccid", "none"),
                }
                .arg("usb-id", dev.id),
            ),
        });
    }
    if seen.is_none() && usb.is_empty() {
        out.push(finding(
            r,
            "readers-not-checked",
            Severity::Info,
            msg("doctor-readers-not-checked"),
        ));
    }
    if none_seen && seen.is_some() && usb.is_empty() {
        out.push(
            finding(r, "no-reader", Severity::Error, msg("doctor-no-reader"))
                .fix(msg("doctor-no-reader-fix")),
        );
    }
    out
}

/// What the running daemon says about each reader (`ReaderStates`).
fn check_card_by_daemon(states: &[(String, String, String)]) -> Vec<Finding> {
    let c = Step::Card;
    let mut out = Vec::new();
    for wire in states {
        let (reader, state, reason) = wire.clone();
        let status = match ReaderStatus::from_wire(wire.clone()) {
            Ok(s) => s,
            Err(_) => {
                out.push(finding(
                    c,
                    "card-state-unknown",
                    Severity::Info,
                    msg("doctor-card-state-unknown")
                        .arg("reader", reader)
                        .arg("state", state)
                        .arg("reason", reason),
                ));
                continue;
            }
        };
        let about = |id| msg(id).arg("reader", &reader);
        let because = |id| match status.problem {
            Some(p) => about(id).problem("problem", p),
            None => about(id).arg("problem", ""),
        };
        out.push(match status.state {
            ReaderState::Empty => continue,
            ReaderState::Read => finding(c, "card-read", Severity::Ok, about("doctor-card-read")),
            ReaderState::Reading => finding(
                c,
                "card-reading",
                Severity::Info,
                about("doctor-card-reading"),
            ),
            ReaderState::Retrying | ReaderState::Failed => finding(
                c,
                "card-unreadable",
                Severity::Error,
                because("doctor-card-unreadable"),
            ),
            ReaderState::NotAMyNumberCard => finding(
                c,
                "card-not-my-number-card",
                Severity::Error,
                because("doctor-card-not-my-number-card"),
            ),
        });
    }
    if out.is_empty() {
        out.push(no_card());
    }
    out
}

fn no_card() -> Finding {
    finding(Step::Card, "no-card", Severity::Info, msg("doctor-no-card"))
}

/// The card was not looked at: pcscd cannot be reached, or it has no reader.
fn card_not_checked(pcscd_reached: bool) -> Finding {
    let what = match pcscd_reached {
        false => msg("doctor-card-not-checked-no-pcscd"),
        true => msg("doctor-card-not-checked-no-reader"),
    };
    finding(Step::Card, "card-not-checked", Severity::Info, what)
}

/// No daemon to ask: read each card's certificate ourselves (9 APDUs, nothing shown of it).
fn check_card_directly(ctx: &Context) -> Vec<Finding> {
    let readers = match readers_with_card(ctx) {
        Ok(r) => r,
        Err(e) => return vec![presence_unknown(&e)],
    };
    if readers.is_empty() {
        return vec![no_card()];
    }
    readers
        .iter()
        .map(|reader| match read_reader_certificate(ctx, reader) {
            Ok(_) => card_readable(reader),
            Err(e) => card_error(reader, &e),
        })
        .collect()
}

fn presence_unknown(e: &impl std::fmt::Display) -> Finding {
    finding(
        Step::Card,
        "card-not-checked",
        Severity::Warning,
        msg("doctor-card-presence-unknown").arg("error", e),
    )
}

fn card_readable(reader: &str) -> Finding {
    finding(
        Step::Card,
        "card-readable",
        Severity::Ok,
        msg("doctor-card-readable").arg("reader", reader),
    )
}

fn card_error(reader: &str, e: &CardError) -> Finding {
    let c = Step::Card;
    let Some(problem) = ReadProblem::of(e) else {
        return match e {
            CardError::NoCard => no_card(),
            e => finding(
                c,
                "card-unreadable",
                Severity::Error,
                msg("doctor-card-unreadable")
                    .arg("reader", reader)
                    .arg("problem", e),
            ),
        };
    };
    let not_a_my_number_card = matches!(
        problem,
        ReadProblem::JukiCard | ReadProblem::Smartphone | ReadProblem::NoJpkiApplet
    );
    let (id, what) = match not_a_my_number_card {
        true => ("card-not-my-number-card", "doctor-card-not-my-number-card"),
        false => ("card-unreadable", "doctor-card-unreadable"),
    };
    let what = msg(what).arg("reader", reader).problem("problem", problem);
    finding(c, id, Severity::Error, what)
}

/// What the session bus says: asked once, used by several steps.
#[derive(Debug, Default)]
pub struct BusFacts {
    /// Why there is no session bus, if there is none.
    pub no_bus: Option<String>,
    pub daemon_running: bool,
    pub daemon_activatable: bool,
    pub notifications_owned: bool,
    pub notifications_activatable: bool,
    /// The daemon's `ReaderStates`, when it runs and answers.
    pub reader_states: Option<Vec<(String, String, String)>>,
    /// `systemctl --user is-enabled mynawatch.service`, if systemctl exists.
    pub enabled: Option<Enabled>,
}

/// What `systemctl --user is-enabled` said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Enabled {
    /// enabled, static, indirect, …: started at login (or by what pulls it in).
    Yes(String),
    Disabled,
    Masked,
    /// systemd knows no mynawatch.service.
    NotFound,
    /// Any other answer (no user manager, an error): shown as it is.
    Unknown(String),
}

/// `systemctl --user is-enabled mynawatch.service` (reads the unit files; no root, no manager
/// needed); `None` without systemctl.
fn systemctl_enabled() -> Option<Enabled> {
    let out = std::process::Command::new("systemctl")
        .args(["--user", "is-enabled", "mynawatch.service"])
        .stdin(std::process::Stdio::null())
        .output()
        .ok()?;
    let said = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let err = String::from_utf8_lossy(&out.stderr).trim().to_string();
    Some(match said.as_str() {
        "enabled" | "enabled-runtime" | "static" | "indirect" | "generated" | "linked"
        | "linked-runtime" | "alias" | "transient" => Enabled::Yes(said),
        "disabled" => Enabled::Disabled,
        "masked" | "masked-runtime" => Enabled::Masked,
        "" if err.contains("No such file") || err.contains("not found") => Enabled::NotFound,
        "not-found" => Enabled::NotFound,
        "" => Enabled::Unknown(err),
        _ => Enabled::Unknown(said),
    })
}

async fn probe_bus() -> BusFacts {
    let mut facts = BusFacts {
        enabled: systemctl_enabled(),
        ..BusFacts::default()
    };
    let conn = match Connection::session().await {
        Ok(c) => c,
        Err(e) => {
            facts.no_bus = Some(e.to_string());
            return facts;
        }
    };
    if let Err(e) = ask_bus(&conn, &mut facts).await {
        facts.no_bus = Some(e.to_string());
    }
    facts
}

async fn ask_bus(conn: &Connection, facts: &mut BusFacts) -> zbus::Result<()> {
    const NOTIFICATIONS: &str = "org.freedesktop.Notifications";
    let dbus = zbus::fdo::DBusProxy::new(conn).await?;
    // NameHasOwner, never a call to the daemon's name: that would start it.
    facts.daemon_running = client::daemon_running(conn)
        .await
        .map_err(|e| zbus::Error::Failure(e.to_string()))?;
    let activatable = dbus.list_activatable_names().await?;
    let listed = |name: &str| activatable.iter().any(|n| n.as_str() == name);
    facts.daemon_activatable = listed(BUS_NAME);
    facts.notifications_activatable = listed(NOTIFICATIONS);
    facts.notifications_owned = dbus
        .name_has_owner(NOTIFICATIONS.try_into().expect("valid bus name"))
        .await?;
    if facts.daemon_running {
        let manager = ManagerProxy::new(conn).await?;
        facts.reader_states = manager.reader_states().await.ok();
    }
    Ok(())
}

fn check_daemon(bus: &BusFacts) -> Vec<Finding> {
    let d = Step::Daemon;
    let mut out = Vec::new();
    if let Some(why) = &bus.no_bus {
        out.push(
            finding(
                d,
                "no-session-bus",
                Severity::Error,
                msg("doctor-no-session-bus").arg("error", why),
            )
            .fix(msg("doctor-no-session-bus-fix")),
        );
    } else {
        out.push(match (bus.daemon_running, bus.daemon_activatable) {
            (true, _) => finding(
                d,
                "daemon-running",
                Severity::Ok,
                msg("doctor-daemon-running"),
            ),
            (false, true) => finding(
                d,
                "daemon-not-running",
                Severity::Warning,
                msg("doctor-daemon-not-running-activatable"),
            )
            .fix(msg("doctor-daemon-enable-fix")),
            (false, false) => finding(
                d,
                "daemon-not-running",
                Severity::Error,
                msg("doctor-daemon-not-running"),
            )
            .fix(msg("doctor-daemon-not-running-fix")),
        });
        out.push(match bus.daemon_activatable {
            true => finding(
                d,
                "daemon-activatable",
                Severity::Ok,
                msg("doctor-daemon-activatable"),
            ),
            false => finding(
                d,
                "daemon-not-activatable",
                Severity::Warning,
                msg("doctor-daemon-not-activatable").arg("bus-name", BUS_NAME),
            )
            .fix(msg("doctor-daemon-not-activatable-fix").arg("bus-name", BUS_NAME)),
        });
    }
    out.push(match &bus.enabled {
        Some(Enabled::Yes(how)) => finding(
            d,
            "daemon-enabled",
            Severity::Ok,
            msg("doctor-daemon-enabled").arg("how", how),
        ),
        Some(Enabled::Disabled) => finding(
            d,
            "daemon-disabled",
            Severity::Warning,
            msg("doctor-daemon-disabled"),
        )
        .fix(msg("doctor-daemon-enable-fix")),
        Some(Enabled::Masked) => finding(
            d,
            "daemon-masked",
            Severity::Warning,
            msg("doctor-daemon-masked"),
        )
        .fix(msg("doctor-daemon-masked-fix")),
        Some(Enabled::NotFound) => finding(
            d,
            "daemon-no-unit",
            Severity::Warning,
            msg("doctor-daemon-no-unit"),
        )
        .fix(msg("doctor-daemon-no-unit-fix")),
        Some(Enabled::Unknown(said)) => finding(
            d,
            "daemon-enabled-unknown",
            Severity::Info,
            msg("doctor-daemon-enabled-unknown").arg("said", said),
        ),
        None => finding(
            d,
            "daemon-enabled-unknown",
            Severity::Info,
            msg("doctor-daemon-no-systemctl"),
        ),
    });
    out
}

fn check_notifications(bus: &BusFacts, config: &Config) -> Finding {
    let n = Step::Notifications;
    if !config.notifications {
        return finding(
            n,
            "notifications-off",
            Severity::Info,
            msg("doctor-notifications-off"),
        );
    }
    if bus.no_bus.is_some() {
        return finding(
            n,
            "notifications-not-checked",
            Severity::Info,
            msg("doctor-notifications-not-checked"),
        );
    }
    match (bus.notifications_owned, bus.notifications_activatable) {
        (true, _) => finding(
            n,
            "notification-server",
            Severity::Ok,
            msg("doctor-notification-server"),
        ),
        (false, true) => finding(
            n,
            "notification-server-activatable",
            Severity::Ok,
            msg("doctor-notification-server-activatable"),
        ),
        (false, false) => finding(
            n,
            "no-notification-server",
            Severity::Warning,
            msg("doctor-no-notification-server"),
        )
        .fix(msg("doctor-no-notification-server-fix")),
    }
}

/// The state directory (and the other place the daemon may use) can be written: a probe file is
/// created and removed; a directory that does not exist yet counts when it could be created.
fn check_state_dirs(
    location: Result<crate::state_dir::Location, crate::store::StoreError>,
) -> Vec<Finding> {
    let s = Step::StateDir;
    let location = match location {
        Ok(l) => l,
        Err(e) => {
            return vec![finding(
                s,
                "state-dir-unknown",
                Severity::Error,
                msg("doctor-state-dir-unknown").arg("error", e),
            )
            .fix(msg("doctor-state-dir-unknown-fix"))]
        }
    };
    let mut dirs = vec![location.dir.clone()];
    // Under systemd 253 and older the unit keeps its state in ~/.config/mynawatch instead.
    dirs.extend(location.others.iter().filter(|d| d.is_dir()).cloned());
    dirs.iter()
        .map(|dir| {
            let shown = dir.display();
            match writable(dir) {
                Ok(()) => finding(
                    s,
                    "state-dir-writable",
                    Severity::Ok,
                    msg("doctor-state-dir-writable").arg("path", shown),
                ),
                Err(e) => finding(
                    s,
                    "state-dir-not-writable",
                    Severity::Error,
                    msg("doctor-state-dir-not-writable")
                        .arg("path", &shown)
                        .arg("error", e),
                )
                .fix(msg("doctor-state-dir-not-writable-fix").arg("path", shown)),
            }
        })
        .collect()
}

/// Can `dir` be written (or, when it does not exist yet, created)? Leaves nothing behind.
pub fn writable(dir: &Path) -> std::io::Result<()> {
    let mut at = dir;
    while !at.exists() {
        at = at.parent().unwrap_or(Path::new("/"));
    }
    if !at.is_dir() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotADirectory,
            format!("{} is not a directory", at.display()),
        ));
    }
    let probe = at.join(format!(".mynawatch-doctor-{}", std::process::id()));
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)?;
    std::fs::remove_file(&probe)
}

/// The text report: one line per finding, the fix below it, a summary at the end.
pub fn render(findings: &[Finding], lang: Lang) -> String {
    let mut out = String::new();
    let mut last: Option<Step> = None;
    for f in findings {
        if last != Some(f.step) {
            out.push_str(&format!("{}:\n", f.step.title(lang)));
            last = Some(f.step);
        }
        out.push_str(&format!(
            "  {} {}\n",
            f.severity.mark(lang),
            f.what.text(lang)
        ));
        if let Some(fix) = &f.fix {
            let label = l10n::tr(lang, "doctor-fix-label", &[]);
            out.push_str(&format!("      → {label}: {}\n", fix.text(lang)));
        }
    }
    out.push('\n');
    out.push_str(&summary(findings, lang));
    out.push('\n');
    out
}

/// The report's last line: how many errors and warnings, or that there are none.
fn summary(findings: &[Finding], lang: Lang) -> String {
    let count = |s| findings.iter().filter(|f| f.severity == s).count();
    match (count(Severity::Error), count(Severity::Warning)) {
        (0, 0) => l10n::tr(lang, "doctor-no-problems", &[]),
        (errors, warnings) => l10n::tr(
            lang,
            "doctor-summary",
            &[("errors", errors.into()), ("warnings", warnings.into())],
        ),
    }
}

/// The JSON report: the worst severity and every finding, its words in `lang`.
fn json(findings: &[Finding], worst: Severity, lang: Lang) -> serde_json::Result<String> {
    #[derive(Serialize)]
    struct Item<'a> {
        step: Step,
        id: &'a str,
        severity: Severity,
        message: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        fix: Option<String>,
    }
    let items: Vec<Item> = findings
        .iter()
        .map(|f| Item {
            step: f.step,
            id: f.id,
            severity: f.severity,
            message: f.what.text(lang),
            fix: f.fix.as_ref().map(|m| m.text(lang)),
        })
        .collect();
    serde_json::to_string_pretty(&serde_json::json!({
        "severity": worst,
        "exit_status": worst.exit().code(),
        "findings": items,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usb::UsbId;
    use std::collections::BTreeSet;

    fn dev(vendor: u16, product: u16, ccid: bool) -> UsbReader {
        let id = UsbId { vendor, product };
        UsbReader {
            port: "1-1".into(),
            id,
            name: String::new(),
            ccid_class: ccid,
            model: KnownModel::of(id),
        }
    }

    fn libccid(version: &str, ids: &[(u16, u16)]) -> Driver {
        Driver {
            bundle: "ifd-ccid.bundle".into(),
            version: Some(version.into()),
            ids: ids
                .iter()
                .map(|&(vendor, product)| UsbId { vendor, product })
                .collect::<BTreeSet<_>>(),
        }
    }

    fn ids(f: &[Finding]) -> Vec<(&str, Severity)> {
        f.iter().map(|f| (f.id, f.severity)).collect()
    }

    #[test]
    fn readers_without_a_driver_are_explained_per_model() {
        let old = [libccid("1.4.34", &[(0x04e6, 0x5116)])];
        let new = [libccid("1.5.2", &[(0x054c, 0x0dc8), (0x04e6, 0x5116)])];
        let none: &[String] = &[];
        // RC-S380: never works; with no other reader that is the error.
        let f = check_readers(Some(none), &[dev(0x054c, 0x06c1, false)], &new);
        assert_eq!(
            ids(&f),
            [("usb-reader-unsupported-on-linux", Severity::Error)]
        );
        assert!(
            f[0].what.text(Lang::En).contains("RC-S380"),
            "{:?}",
            f[0].what
        );
        // RC-S300 with an old libccid names the version it needs and the one installed.
        let f = check_readers(Some(none), &[dev(0x054c, 0x0dc8, true)], &old);
        assert_eq!(ids(&f), [("usb-reader-libccid-too-old", Severity::Error)]);
        let (en, ja) = (f[0].what.text(Lang::En), f[0].what.text(Lang::Ja));
        assert!(en.contains("1.4.35") && en.contains("1.4.34"));
        assert!(ja.contains("1.4.35 以降"), "{ja}");
        // ... and with a new one it is supported; pcscd not showing it is a replug.
        let f = check_readers(Some(none), &[dev(0x054c, 0x0dc8, true)], &new);
        assert_eq!(ids(&f), [("usb-reader-not-loaded", Severity::Warning)]);
        // ACR1251 CL needs ACS's package.
        let f = check_readers(Some(none), &[dev(0x072f, 0x2229, true)], &new);
        assert_eq!(ids(&f), [("usb-reader-needs-libacsccid1", Severity::Error)]);
        assert!(f[0]
            .fix
            .as_ref()
            .unwrap()
            .text(Lang::En)
            .contains("libacsccid1"));
        // An unknown CCID device no driver lists; a working reader beside it makes it a warning.
        let seen = ["SCM SCR 3310 00 00".to_string()];
        let f = check_readers(Some(&seen), &[dev(0x1234, 0x5678, true)], &new);
        assert_eq!(
            ids(&f),
            [
                ("reader-seen", Severity::Ok),
                ("usb-reader-no-driver", Severity::Warning)
            ]
        );
        let fix = |f: &[Finding], lang| f[1].fix.as_ref().unwrap().text(lang);
        assert_eq!(
            fix(&f, Lang::Ja),
            "新しい libccid なら対応しているかもしれません（現在は ifd-ccid.bundle 1.5.2）。ccid.apdu.fr の対応表で 1234:5678 を探してください"
        );
        let f = check_readers(Some(&seen), &[dev(0x1234, 0x5678, true)], &[]);
        assert_eq!(
            fix(&f, Lang::En),
            "install the driver: sudo apt install libccid; look 1234:5678 up in the lists at ccid.apdu.fr"
        );
        // Nothing at all.
        let f = check_readers(Some(none), &[], &new);
        assert_eq!(ids(&f), [("no-reader", Severity::Error)]);
    }

    #[test]
    fn daemon_states_become_card_findings() {
        let s = |r: &str, st: &str, why: &str| (r.to_string(), st.to_string(), why.to_string());
        let f = check_card_by_daemon(&[s("A", "empty", ""), s("B", "read", "")]);
        assert_eq!(ids(&f), [("card-read", Severity::Ok)]);
        let f = check_card_by_daemon(&[s("A", "not-a-my-number-card", "juki-card")]);
        assert_eq!(ids(&f), [("card-not-my-number-card", Severity::Error)]);
        let ja = f[0].what.text(Lang::Ja);
        assert!(ja.contains("住基カード"), "{ja}");
        let f = check_card_by_daemon(&[s("A", "empty", "")]);
        assert_eq!(ids(&f), [("no-card", Severity::Info)]);
    }

    #[test]
    fn severity_orders_and_maps_to_the_exit_list() {
        assert!(Severity::Ok < Severity::Info && Severity::Warning < Severity::Error);
        assert_eq!(Severity::Info.exit(), Exit::Success);
        assert_eq!(Severity::Warning.exit(), Exit::DoctorWarning);
        assert_eq!(Severity::Error.exit(), Exit::DoctorProblem);
    }

    #[test]
    fn a_state_dir_under_a_file_is_not_writable_and_a_missing_one_is() {
        let dir = tempfile::tempdir().unwrap();
        assert!(writable(&dir.path().join("a/b/mynawatch")).is_ok());
        std::fs::write(dir.path().join("file"), b"").unwrap();
        assert!(writable(&dir.path().join("file/mynawatch")).is_err());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn text_has_a_line_per_finding_and_a_summary() {
        let f = vec![
            finding(Step::Pcscd, "x", Severity::Ok, msg("doctor-daemon-running")),
            finding(
                Step::Daemon,
                "y",
                Severity::Warning,
                msg("doctor-daemon-masked"),
            )
            .fix(msg("doctor-daemon-enable-fix")),
        ];
        let en = render(&f, Lang::En);
        assert!(
            en.contains("pcscd:\n  [ok] the daemon is running\n"),
            "{en}"
        );
        assert!(
            en.contains("  [warning] it is masked in systemd\n      → fix: run: systemctl --user enable --now mynawatch\n"),
            "{en}"
        );
        assert!(
            en.ends_with("0 errors, 1 warning: try the fixes above, from the top.\n"),
            "{en}"
        );
        let ja = render(&f, Lang::Ja);
        assert!(
            ja.contains("  [注意] systemd で無効化（mask）されています\n      → 対処: systemctl --user enable --now mynawatch を実行してください\n"),
            "{ja}"
        );
        let summary = |errors: usize, warnings: usize, lang| {
            let mut f =
                vec![finding(Step::Card, "z", Severity::Error, msg("doctor-no-card")); errors];
            f.extend(vec![
                finding(
                    Step::Card,
                    "z",
                    Severity::Warning,
                    msg("doctor-no-card")
                );
                warnings
            ]);
            f.push(finding(
                Step::Card,
                "z",
                Severity::Info,
                msg("doctor-no-card"),
            ));
            super::summary(&f, lang)
        };
        assert_eq!(summary(0, 0, Lang::En), "No problems found.");
        assert_eq!(summary(0, 0, Lang::Ja), "問題は見つかりませんでした。");
        assert_eq!(
            summary(1, 2, Lang::En),
            "1 error, 2 warnings: try the fixes above, from the top."
        );
        assert_eq!(
            summary(2, 0, Lang::Ja),
            "問題 2 件、注意 0 件。上の「対処」を上から順に試してください。"
        );
    }

    /// Every finding doctor can make, each wording with each shape of its variables.
    fn every_finding() -> Vec<Finding> {
        let mut out = Vec::new();
        let dir = tempfile::tempdir().unwrap();
        let (valid, invalid) = (
            dir.path().join("valid.toml"),
            dir.path().join("invalid.toml"),
        );
        std::fs::write(&valid, "").unwrap();
        std::fs::write(&invalid, "notifications = maybe\n").unwrap();
        for path in [
            None,
            Some(valid),
            Some(dir.path().join("absent.toml")),
            Some(invalid),
        ] {
            out.extend(check_config(path).0);
        }
        for answer in [
            Ok(()),
            Err(pcsc::Error::NoService),
            Err(pcsc::Error::NoSmartcard),
        ] {
            for installed in [false, true] {
                out.push(check_pcscd(answer, || installed));
            }
        }
        let old = [libccid("1.4.34", &[(0x04e6, 0x5116)])];
        let new = [libccid("1.5.2", &[(0x054c, 0x0dc8), (0x04e6, 0x5116)])];
        let unlisted = [libccid("1.5.2", &[(0x04e6, 0x5116)])];
        let mut named = dev(0x1234, 0x5678, true);
        named.name = "Example Reader".into();
        let devices = [
            dev(0x054c, 0x06c1, false),
            dev(0x054c, 0x0dc8, true),
            dev(0x072f, 0x2229, true),
            dev(0x04e6, 0x5116, true),
            dev(0x1234, 0x5678, true),
            named,
        ];
        let seen = ["SCM SCR 3310 00 00".to_string()];
        for readers in [None, Some(&[][..]), Some(&seen[..])] {
            for drivers in [&[][..], &old, &new, &unlisted] {
                out.extend(check_readers(readers, &devices, drivers));
                out.extend(check_readers(readers, &[], drivers));
            }
        }
        let wire =
            |state: &str, problem: &str| ("A".to_string(), state.to_string(), problem.to_string());
        let mut states = vec![wire("shaking", "oddly"), wire("read", "oddly")];
        for state in crate::readers::ReaderState::ALL {
            states.push(wire(state.as_str(), ""));
            for problem in ReadProblem::ALL {
                states.push(wire(state.as_str(), problem.as_str()));
            }
        }
        out.extend(check_card_by_daemon(&states));
        out.extend(check_card_by_daemon(&[]));
        for e in [
            CardError::NoCard,
            CardError::NoJpkiApplet,
            CardError::NoCertificate,
            CardError::ReaderNotFound("B".into()),
        ] {
            out.push(card_error("A", &e));
        }
        out.extend([
            card_not_checked(false),
            card_not_checked(true),
            presence_unknown(&pcsc::Error::ReaderUnavailable),
            card_readable("A"),
        ]);
        let enabled = [
            None,
            Some(Enabled::Yes("enabled".into())),
            Some(Enabled::Disabled),
            Some(Enabled::Masked),
            Some(Enabled::NotFound),
            Some(Enabled::Unknown("Failed to connect to bus".into())),
        ];
        for no_bus in [None, Some("no DBUS_SESSION_BUS_ADDRESS".to_string())] {
            for (running, activatable) in
                [(false, false), (false, true), (true, false), (true, true)]
            {
                for enabled in enabled.clone() {
                    let bus = BusFacts {
                        no_bus: no_bus.clone(),
                        daemon_running: running,
                        daemon_activatable: activatable,
                        notifications_owned: running,
                        notifications_activatable: activatable,
                        enabled,
                        ..BusFacts::default()
                    };
                    out.extend(check_daemon(&bus));
                    for notifications in [false, true] {
                        let config = Config {
                            notifications,
                            ..Config::default()
                        };
                        out.push(check_notifications(&bus, &config));
                    }
                }
            }
        }
        std::fs::write(dir.path().join("file"), b"").unwrap();
        let location = |dir| crate::state_dir::Location {
            dir,
            origin: crate::state_dir::Origin::XdgDefault,
            others: vec![],
        };
        out.extend(check_state_dirs(Err(crate::store::StoreError::NoStateDir)));
        out.extend(check_state_dirs(Ok(location(dir.path().join("state")))));
        out.extend(check_state_dirs(Ok(location(
            dir.path().join("file/state"),
        ))));
        out
    }

    #[test]
    fn every_finding_renders_in_every_language_from_the_catalogue() {
        let findings = every_finding();
        let mut used = BTreeSet::from([
            "doctor-step",
            "doctor-severity",
            "doctor-fix-label",
            "doctor-no-problems",
            "doctor-summary",
        ]);
        for lang in Lang::ALL {
            for m in findings
                .iter()
                .flat_map(|f| std::iter::once(&f.what).chain(&f.fix))
            {
                used.insert(m.id);
                let text = m.try_text(lang).unwrap_or_else(|e| panic!("{m:?}: {e:?}"));
                assert!(!text.trim().is_empty(), "{m:?} in {lang}");
                assert!(!text.contains('\n'), "{m:?} in {lang}: {text}");
                assert!(
                    !text.contains(['\u{2068}', '\u{2069}']),
                    "isolation marks: {text}"
                );
            }
            for f in &findings {
                for (id, name, value) in [
                    ("doctor-step", "step", f.step.as_str()),
                    ("doctor-severity", "severity", f.severity.as_str()),
                ] {
                    let text = l10n::try_tr(lang, id, &[(name, value.into())]).unwrap();
                    assert!(!text.is_empty(), "{id} {value} in {lang}");
                }
                // The selector keys are the names --json prints.
                assert_eq!(serde_json::json!(f.step), f.step.as_str());
                assert_eq!(serde_json::json!(f.severity), f.severity.as_str());
            }
            let text = render(&findings, lang);
            assert!(!text.contains("doctor-"), "an id instead of words: {text}");
        }
        let steps: BTreeSet<&str> = findings.iter().map(|f| f.step.as_str()).collect();
        assert_eq!(steps.len(), 7, "{steps:?}");
        let catalogue = include_str!("../../i18n/ja/mynawatch.ftl");
        let unreached: Vec<&str> = catalogue
            .lines()
            .filter_map(|l| l.split_once(" =").map(|(id, _)| id))
            .filter(|id| id.starts_with("doctor-") && !used.contains(id))
            .collect();
        assert!(unreached.is_empty(), "not rendered here: {unreached:?}");
    }
}
