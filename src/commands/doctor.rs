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
use crate::l10n::Lang;
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

    fn mark(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Severity::Ok, Lang::Ja) => "[正常]",
            (Severity::Ok, Lang::En) => "[ok]",
            (Severity::Info, Lang::Ja) => "[情報]",
            (Severity::Info, Lang::En) => "[info]",
            (Severity::Warning, Lang::Ja) => "[注意]",
            (Severity::Warning, Lang::En) => "[warning]",
            (Severity::Error, Lang::Ja) => "[問題]",
            (Severity::Error, Lang::En) => "[error]",
        }
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
    fn title(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Step::Config, Lang::Ja) => "設定ファイル",
            (Step::Config, Lang::En) => "configuration",
            (Step::Pcscd, _) => "pcscd",
            (Step::Readers, Lang::Ja) => "カードリーダー",
            (Step::Readers, Lang::En) => "readers",
            (Step::Card, Lang::Ja) => "カード",
            (Step::Card, Lang::En) => "card",
            (Step::Daemon, Lang::Ja) => "mynawatch デーモン",
            (Step::Daemon, Lang::En) => "mynawatch daemon",
            (Step::Notifications, Lang::Ja) => "デスクトップ通知",
            (Step::Notifications, Lang::En) => "desktop notifications",
            (Step::StateDir, Lang::Ja) => "記録の保存先",
            (Step::StateDir, Lang::En) => "state directory",
        }
    }
}

/// A sentence in both languages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Words {
    pub ja: String,
    pub en: String,
}

impl Words {
    fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Ja => &self.ja,
            Lang::En => &self.en,
        }
    }
}

fn words(ja: impl Into<String>, en: impl Into<String>) -> Words {
    Words {
        ja: ja.into(),
        en: en.into(),
    }
}

/// One thing doctor found: what it is (a stable id for scripts), how bad, and what to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub step: Step,
    /// Stable, kebab-case (e.g. `pcscd-unreachable`): scripts match on it, never on the words.
    pub id: &'static str,
    pub severity: Severity,
    pub what: Words,
    pub fix: Option<Words>,
}

fn finding(step: Step, id: &'static str, severity: Severity, what: Words) -> Finding {
    Finding {
        step,
        id,
        severity,
        what,
        fix: None,
    }
}

impl Finding {
    fn fix(mut self, fix: Words) -> Self {
        self.fix = Some(fix);
        self
    }
}

pub fn run(args: DoctorArgs) -> anyhow::Result<ExitCode> {
    let (config_findings, config) = check_config(args.config.clone());
    let lang = crate::l10n::choose(args.lang, config.as_ref().and_then(|c| c.lang));
    let config = config.unwrap_or_default();
    let mut findings = config_findings;
    let bus = runtime()?.block_on(probe_bus());

    let ctx = Context::establish(Scope::User);
    findings.push(check_pcscd(&ctx));
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
        (None, _) => vec![finding(
            Step::Card,
            "card-not-checked",
            Severity::Info,
            words(
                "pcscd に接続できないため、カードは確認していません",
                "not checked: pcscd cannot be reached",
            ),
        )],
        (Some(_), _) => vec![finding(
            Step::Card,
            "card-not-checked",
            Severity::Info,
            words(
                "リーダーがないため、カードは確認していません",
                "not checked: there is no reader to hold a card",
            ),
        )],
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

/// The config file: valid, absent (defaults), or broken (the error names the line).
fn check_config(path: Option<PathBuf>) -> (Vec<Finding>, Option<Config>) {
    let Some(path) = path.or_else(Config::default_path) else {
        return (
            vec![finding(
                Step::Config,
                "config-no-home",
                Severity::Info,
                words(
                    "ホームディレクトリが分からないため、既定の設定を使います",
                    "no home directory: the defaults are used",
                ),
            )],
            None,
        );
    };
    let shown = path.display();
    match Config::load(&path) {
        Ok(c) if path.exists() => (
            vec![finding(
                Step::Config,
                "config-valid",
                Severity::Ok,
                words(format!("{shown} に誤りはありません"), format!("{shown} is valid")),
            )],
            Some(c),
        ),
        Ok(c) => (
            vec![finding(
                Step::Config,
                "config-absent",
                Severity::Ok,
                words(
                    format!("{shown} はありません（既定の設定を使います）"),
                    format!("{shown} does not exist: the defaults are used"),
                ),
            )],
            Some(c),
        ),
        Err(e) => (
            vec![finding(
                Step::Config,
                "config-invalid",
                Severity::Error,
                words(
                    format!("設定ファイルに誤りがあります: {e}"),
                    format!("the configuration file is invalid: {e}"),
                ),
            )
            .fix(words(
                "示された行を直すか、ファイルを別の名前に変えてください。誤りがある間はデーモンが起動しません",
                "fix the line named, or move the file away: the daemon does not start while it is invalid",
            ))],
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

fn check_pcscd(ctx: &Result<Context, pcsc::Error>) -> Finding {
    match ctx {
        Ok(_) => finding(
            Step::Pcscd,
            "pcscd-reachable",
            Severity::Ok,
            words(
                "PC/SC サービス（pcscd）が応答しています",
                "the PC/SC service (pcscd) answers",
            ),
        ),
        Err(pcsc::Error::NoService | pcsc::Error::ServiceStopped) if !pcscd_installed() => {
            finding(
                Step::Pcscd,
                "pcscd-not-installed",
                Severity::Error,
                words(
                    "PC/SC サービス（pcscd）がインストールされていません",
                    "the PC/SC service (pcscd) is not installed",
                ),
            )
            .fix(words(
                "sudo apt install pcscd でインストールしてください",
                "install it: sudo apt install pcscd",
            ))
        }
        Err(pcsc::Error::NoService | pcsc::Error::ServiceStopped) => finding(
            Step::Pcscd,
            "pcscd-unreachable",
            Severity::Error,
            words(
                "PC/SC サービス（pcscd）に接続できません",
                "the PC/SC service (pcscd) cannot be reached",
            ),
        )
        .fix(words(
            "pcscd は pcscd.socket によって必要なときに起動します。sudo systemctl enable --now pcscd.socket を実行してください",
            "pcscd is started by pcscd.socket when a program connects: sudo systemctl enable --now pcscd.socket",
        )),
        Err(e) => finding(
            Step::Pcscd,
            "pcscd-error",
            Severity::Error,
            words(
                format!("PC/SC サービス（pcscd）がエラーを返しました: {e}"),
                format!("the PC/SC service (pcscd) reported an error: {e}"),
            ),
        )
        .fix(words(
            "ssh などのリモートログインでは pcscd（polkit）に拒否されることがあります。デスクトップの端末から実行するか、sudo systemctl restart pcscd を試してください",
            "check that pcscd does not refuse this session (polkit, e.g. over ssh), then try sudo systemctl restart pcscd",
        )),
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
    let mut out = Vec::new();
    let none_seen = seen.is_none_or(|s| s.is_empty());
    for name in seen.unwrap_or_default() {
        out.push(finding(
            Step::Readers,
            "reader-seen",
            Severity::Ok,
            words(
                format!("pcscd が {name} を認識しています"),
                format!("pcscd sees {name}"),
            ),
        ));
    }
    let libccid = drivers.iter().find(|d| d.is_libccid());
    for dev in usb {
        let label = match (dev.model, dev.name.is_empty()) {
            (Some(m), _) => format!("{} ({})", m.name(), dev.id),
            (None, false) => format!("{} ({})", dev.name, dev.id),
            (None, true) => dev.id.to_string(),
        };
        if let Some(d) = usb::driver_for(drivers, dev.id) {
            let driver = driver_name(d);
            out.push(if none_seen && seen.is_some() {
                finding(
                    Step::Readers,
                    "usb-reader-not-loaded",
                    Severity::Warning,
                    words(
                        format!("USB 接続の {label} はドライバー {driver} が対応していますが、pcscd に認識されていません"),
                        format!("the USB device {label} is listed by the driver {driver}, but pcscd does not show it"),
                    ),
                )
                .fix(words(
                    "リーダーを抜いて差し直してください。直らなければ sudo systemctl restart pcscd を実行してください",
                    "unplug the reader and plug it in again; if that does not help: sudo systemctl restart pcscd",
                ))
            } else {
                finding(
                    Step::Readers,
                    "usb-reader-supported",
                    Severity::Ok,
                    words(
                        format!("USB 接続の {label} はドライバー {driver} が対応しています"),
                        format!("the USB device {label} is supported by the driver {driver}"),
                    ),
                )
            });
            continue;
        }
        let severity = match none_seen {
            true => Severity::Error,
            false => Severity::Warning,
        };
        let f = |id, what: Words, fix: Words| finding(Step::Readers, id, severity, what).fix(fix);
        out.push(match dev.model {
            Some(KnownModel::SonyRcS380) => f(
                "usb-reader-unsupported-on-linux",
                words(
                    format!("{label} は Linux では使えません（ソニーの PC/SC ドライバーは Windows 用だけです）"),
                    format!("{label} does not work on Linux: Sony's PC/SC driver is for Windows only"),
                ),
                words(
                    "Linux で使えるリーダーに替えてください（後継機の RC-S300、接触型の SCR3310 や ACR39U など）",
                    "use a reader that works on Linux, e.g. its successor RC-S300 or a contact reader such as SCR3310 or ACR39U",
                ),
            ),
            Some(KnownModel::SonyRcS300) => match libccid {
                Some(d) if d.version_triple().is_some_and(|v| v < LIBCCID_FOR_RC_S300) => f(
                    "usb-reader-libccid-too-old",
                    words(
                        format!("{label} には libccid 1.4.35 以降が必要ですが、入っているのは {} です", driver_name(d)),
                        format!("{label} needs libccid 1.4.35 or newer; {} is installed", driver_name(d)),
                    ),
                    words(
                        "libccid を更新してください（Debian 12、Ubuntu 22.04 以降の libccid は対応しています）",
                        "update libccid (the one in Debian 12 and Ubuntu 22.04 or newer supports it)",
                    ),
                ),
                Some(d) => f(
                    "usb-reader-no-driver",
                    words(
                        format!("{label} は、インストールされているドライバー（{}）に対応機種として載っていません", driver_name(d)),
                        format!("{label} is not listed by the installed driver ({})", driver_name(d)),
                    ),
                    words(
                        "libccid 1.4.35 以降が必要です。libccid を更新してください",
                        "it needs libccid 1.4.35 or newer: update libccid",
                    ),
                ),
                None => f(
                    "usb-reader-no-driver",
                    words(
                        format!("{label} のドライバー（libccid）がインストールされていません"),
                        format!("the driver for {label} (libccid) is not installed"),
                    ),
                    words(
                        "sudo apt install libccid でインストールし、リーダーを差し直してください",
                        "install it (sudo apt install libccid) and plug the reader in again",
                    ),
                ),
            },
            Some(KnownModel::AcsAcr1251) => f(
                "usb-reader-needs-libacsccid1",
                words(
                    format!("{label} は libccid では使えず、ACS 社のドライバーが必要です"),
                    format!("{label} is not supported by libccid; it needs ACS's own driver"),
                ),
                words(
                    "sudo apt install libacsccid1 でインストールし、リーダーを差し直してください",
                    "install it (sudo apt install libacsccid1) and plug the reader in again",
                ),
            ),
            None => f(
                "usb-reader-no-driver",
                words(
                    format!("USB 接続の {label} はカードリーダーのようですが、どのドライバーにも対応機種として載っていないため、pcscd は使いません"),
                    format!("the USB device {label} looks like a card reader, but no installed driver lists it, so pcscd ignores it"),
                ),
                words(
                    format!(
                        "{}。ccid.apdu.fr の対応表で {} を探してください",
                        match libccid {
                            Some(d) => format!("新しい libccid なら対応しているかもしれません（現在は {}）", driver_name(d)),
                            None => "sudo apt install libccid でドライバーを入れてください".to_string(),
                        },
                        dev.id
                    ),
                    format!(
                        "{}; look {} up in the lists at ccid.apdu.fr",
                        match libccid {
                            Some(d) => format!("a newer libccid may list it (installed: {})", driver_name(d)),
                            None => "install the driver: sudo apt install libccid".to_string(),
                        },
                        dev.id
                    ),
                ),
            ),
        });
    }
    if seen.is_none() && usb.is_empty() {
        out.push(finding(
            Step::Readers,
            "readers-not-checked",
            Severity::Info,
            words(
                "pcscd に接続できないため、pcscd が認識しているリーダーは確認していません（USB にもカードリーダーらしい機器は見つかりません）",
                "pcscd cannot be reached, so its readers were not checked (and no USB device looks like a card reader)",
            ),
        ));
    }
    if none_seen && seen.is_some() && usb.is_empty() {
        out.push(
            finding(
                Step::Readers,
                "no-reader",
                Severity::Error,
                words(
                    "カードリーダーが見つかりません",
                    "no smart-card reader found",
                ),
            )
            .fix(words(
                "カードリーダーを USB ポートに接続してください（Sony RC-S300 などの非接触型か、接触型のリーダー）",
                "plug a smart-card reader into a USB port (a contactless one such as the Sony RC-S300, or a contact reader)",
            )),
        );
    }
    out
}

/// What the running daemon says about each reader (`ReaderStates`).
fn check_card_by_daemon(states: &[(String, String, String)]) -> Vec<Finding> {
    let mut out = Vec::new();
    for wire in states {
        let (reader, state, reason) = wire.clone();
        let status = match ReaderStatus::from_wire(wire.clone()) {
            Ok(s) => s,
            Err(_) => {
                out.push(finding(
                    Step::Card,
                    "card-state-unknown",
                    Severity::Info,
                    words(
                        format!("{reader}: デーモンからの報告: {state} {reason}"),
                        format!("{reader}: the daemon reports {state} {reason}"),
                    ),
                ));
                continue;
            }
        };
        let problem = |lang| {
            status
                .problem
                .map(|p| p.describe(lang).to_string())
                .unwrap_or_default()
        };
        out.push(match status.state {
            ReaderState::Empty => continue,
            ReaderState::Read => finding(
                Step::Card,
                "card-read",
                Severity::Ok,
                words(
                    format!("{reader} のカードをデーモンが読み取りました（内容は mynawatch status で確認できます）"),
                    format!("the daemon read the card in {reader} (mynawatch status shows what it says)"),
                ),
            ),
            ReaderState::Reading => finding(
                Step::Card,
                "card-reading",
                Severity::Info,
                words(
                    format!("{reader} のカードをデーモンが読み取り中です"),
                    format!("the daemon is reading the card in {reader}"),
                ),
            ),
            ReaderState::Retrying | ReaderState::Failed => finding(
                Step::Card,
                "card-unreadable",
                Severity::Error,
                words(
                    format!("{reader} のカードを読み取れません: {}", problem(Lang::Ja)),
                    format!("the card in {reader} cannot be read: {}", problem(Lang::En)),
                ),
            ),
            ReaderState::NotAMyNumberCard => finding(
                Step::Card,
                "card-not-my-number-card",
                Severity::Error,
                words(
                    format!("{reader} のカードはマイナンバーカードとして使えません: {}", problem(Lang::Ja)),
                    format!("the card in {reader} is not a usable My Number Card: {}", problem(Lang::En)),
                ),
            ),
        });
    }
    if out.is_empty() {
        out.push(no_card());
    }
    out
}

fn no_card() -> Finding {
    finding(
        Step::Card,
        "no-card",
        Severity::Info,
        words(
            "リーダーにカードがありません。マイナンバーカードを置いてもう一度 mynawatch doctor を実行すると、読み取れるか確認できます",
            "no card in any reader: put your My Number Card on the reader and run mynawatch doctor again to check that it can be read",
        ),
    )
}

/// No daemon to ask: read each card's certificate ourselves (9 APDUs, nothing shown of it).
fn check_card_directly(ctx: &Context) -> Vec<Finding> {
    let readers = match readers_with_card(ctx) {
        Ok(r) => r,
        Err(e) => {
            return vec![finding(
                Step::Card,
                "card-not-checked",
                Severity::Warning,
                words(
                    format!("カードの有無を確認できませんでした: {e}"),
                    format!("could not tell whether a card is present: {e}"),
                ),
            )]
        }
    };
    if readers.is_empty() {
        return vec![no_card()];
    }
    readers
        .iter()
        .map(|reader| match read_reader_certificate(ctx, reader) {
            Ok(_) => finding(
                Step::Card,
                "card-readable",
                Severity::Ok,
                words(
                    format!("{reader} のマイナンバーカードを読み取れます"),
                    format!("the My Number Card in {reader} can be read"),
                ),
            ),
            Err(e) => card_error(reader, &e),
        })
        .collect()
}

fn card_error(reader: &str, e: &CardError) -> Finding {
    let Some(problem) = ReadProblem::of(e) else {
        return match e {
            CardError::NoCard => no_card(),
            e => finding(
                Step::Card,
                "card-unreadable",
                Severity::Error,
                words(
                    format!("{reader} のカードを読み取れません: {e}"),
                    format!("the card in {reader} cannot be read: {e}"),
                ),
            ),
        };
    };
    let not_a_my_number_card = matches!(
        problem,
        ReadProblem::JukiCard | ReadProblem::Smartphone | ReadProblem::NoJpkiApplet
    );
    let (id, ja, en) = match not_a_my_number_card {
        true => (
            "card-not-my-number-card",
            format!(
                "{reader} のカードはマイナンバーカードとして使えません: {}",
                problem.describe(Lang::Ja)
            ),
            format!(
                "the card in {reader} is not a usable My Number Card: {}",
                problem.describe(Lang::En)
            ),
        ),
        false => (
            "card-unreadable",
            format!(
                "{reader} のカードを読み取れません: {}",
                problem.describe(Lang::Ja)
            ),
            format!(
                "the card in {reader} cannot be read: {}",
                problem.describe(Lang::En)
            ),
        ),
    };
    finding(Step::Card, id, Severity::Error, words(ja, en))
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
                words(
                    format!("D-Bus セッションバスに接続できません（{why}）"),
                    format!("cannot connect to the D-Bus session bus ({why})"),
                ),
            )
            .fix(words(
                "デスクトップにログインした状態で、その端末から実行してください（環境変数 DBUS_SESSION_BUS_ADDRESS が必要です）",
                "run this in a terminal of your desktop session (DBUS_SESSION_BUS_ADDRESS must be set)",
            )),
        );
    } else {
        out.push(match (bus.daemon_running, bus.daemon_activatable) {
            (true, _) => finding(
                d,
                "daemon-running",
                Severity::Ok,
                words("デーモンが動いています", "the daemon is running"),
            ),
            (false, true) => finding(
                d,
                "daemon-not-running",
                Severity::Warning,
                words(
                    "デーモンが動いていません。ほかのプログラムから呼ばれれば起動しますが、動いていない間はカードを置いても反応しません",
                    "the daemon is not running: it starts when a program asks for it, but only a running daemon notices a card put on the reader",
                ),
            )
            .fix(words(
                "systemctl --user enable --now mynawatch を実行してください",
                "run: systemctl --user enable --now mynawatch",
            )),
            (false, false) => finding(
                d,
                "daemon-not-running",
                Severity::Error,
                words(
                    "デーモンが動いておらず、D-Bus から起動することもできません",
                    "the daemon is not running, and D-Bus cannot start it",
                ),
            )
            .fix(words(
                "systemctl --user enable --now mynawatch を実行するか、mynawatch daemon を起動してください",
                "run systemctl --user enable --now mynawatch, or start mynawatch daemon",
            )),
        });
        out.push(match bus.daemon_activatable {
            true => finding(
                d,
                "daemon-activatable",
                Severity::Ok,
                words(
                    "D-Bus から起動できます（mynawatch status などで自動的に起動します）",
                    "D-Bus can start it (mynawatch status and other clients start it on demand)",
                ),
            ),
            false => finding(
                d,
                "daemon-not-activatable",
                Severity::Warning,
                words(
                    format!("D-Bus の起動設定（{BUS_NAME}.service）がありません"),
                    format!("D-Bus has no activation file for it ({BUS_NAME}.service)"),
                ),
            )
            .fix(words(
                format!("パッケージを入れ直してください（ソースからなら make install で /usr/share/dbus-1/services/{BUS_NAME}.service に入ります）"),
                format!("reinstall the package, or make install, which puts it in /usr/share/dbus-1/services/{BUS_NAME}.service"),
            )),
        });
    }
    out.push(match &bus.enabled {
        Some(Enabled::Yes(how)) => finding(
            d,
            "daemon-enabled",
            Severity::Ok,
            words(
                format!("ログインのたびに起動します（systemd: {how}）"),
                format!("it starts at every login (systemd: {how})"),
            ),
        ),
        Some(Enabled::Disabled) => finding(
            d,
            "daemon-disabled",
            Severity::Warning,
            words(
                "ログイン時に起動しない設定です（systemd: disabled）",
                "it does not start at login (systemd: disabled)",
            ),
        )
        .fix(words(
            "systemctl --user enable --now mynawatch を実行してください",
            "run: systemctl --user enable --now mynawatch",
        )),
        Some(Enabled::Masked) => finding(
            d,
            "daemon-masked",
            Severity::Warning,
            words(
                "systemd で無効化（mask）されています",
                "it is masked in systemd",
            ),
        )
        .fix(words(
            "systemctl --user unmask mynawatch と systemctl --user enable --now mynawatch を実行してください",
            "run systemctl --user unmask mynawatch, then systemctl --user enable --now mynawatch",
        )),
        Some(Enabled::NotFound) => finding(
            d,
            "daemon-no-unit",
            Severity::Warning,
            words(
                "systemd のユーザーサービス mynawatch.service が見つからないため、ログイン時に起動しません",
                "systemd has no user service mynawatch.service, so nothing starts the daemon at login",
            ),
        )
        .fix(words(
            "パッケージでインストールするか（make install でも入ります）、デスクトップの自動起動に mynawatch daemon を登録してください",
            "install the package (or make install), or add mynawatch daemon to your desktop's autostart",
        )),
        Some(Enabled::Unknown(said)) => finding(
            d,
            "daemon-enabled-unknown",
            Severity::Info,
            words(
                format!("systemd に起動設定を問い合わせられませんでした（{said}）"),
                format!("could not ask systemd whether it starts at login ({said})"),
            ),
        ),
        None => finding(
            d,
            "daemon-enabled-unknown",
            Severity::Info,
            words(
                "systemctl がないため、ログイン時の起動は確認していません。デスクトップの自動起動に mynawatch daemon を登録してください",
                "no systemctl: start at login was not checked; add mynawatch daemon to your desktop's autostart",
            ),
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
            words(
                "設定ファイルで通知がオフになっています（notifications = false）",
                "notifications are turned off in the configuration (notifications = false)",
            ),
        );
    }
    if bus.no_bus.is_some() {
        return finding(
            n,
            "notifications-not-checked",
            Severity::Info,
            words(
                "セッションバスがないため確認していません",
                "not checked: there is no session bus",
            ),
        );
    }
    match (bus.notifications_owned, bus.notifications_activatable) {
        (true, _) => finding(
            n,
            "notification-server",
            Severity::Ok,
            words(
                "通知サーバーが動いています",
                "a notification server is running",
            ),
        ),
        (false, true) => finding(
            n,
            "notification-server-activatable",
            Severity::Ok,
            words(
                "通知サーバーは必要なときに起動します",
                "a notification server starts when needed",
            ),
        ),
        (false, false) => finding(
            n,
            "no-notification-server",
            Severity::Warning,
            words(
                "通知サーバーがないため、お知らせがポップアップで表示されません（mynawatch status やトレイでは確認できます）",
                "there is no notification server: reminders do not pop up, they show only in mynawatch status and the tray",
            ),
        )
        .fix(words(
            "デスクトップ環境にログインしてください（GNOME や KDE には通知サーバーが含まれます。Xfce なら xfce4-notifyd、ほかの環境なら dunst などを入れてください）",
            "log in to a desktop session (GNOME and KDE include one; on Xfce install xfce4-notifyd, elsewhere e.g. dunst)",
        )),
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
                words(
                    format!("記録の保存先を決められません: {e}"),
                    format!("no state directory: {e}"),
                ),
            )
            .fix(words(
                "HOME（または XDG_STATE_HOME）を設定してください",
                "set HOME (or XDG_STATE_HOME)",
            ))]
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
                    words(
                        format!("{shown} に書き込めます"),
                        format!("{shown} is writable"),
                    ),
                ),
                Err(e) => finding(
                    s,
                    "state-dir-not-writable",
                    Severity::Error,
                    words(
                        format!("{shown} に書き込めません: {e}"),
                        format!("cannot write to {shown}: {e}"),
                    ),
                )
                .fix(words(
                    format!("{shown} の所有者と権限（chmod u+rwx）、ディスクの空き容量を確認してください"),
                    format!("check the owner and permissions of {shown} (chmod u+rwx) and the free disk space"),
                )),
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
            f.what.get(lang)
        ));
        if let Some(fix) = &f.fix {
            let arrow = match lang {
                Lang::Ja => "対処",
                Lang::En => "fix",
            };
            out.push_str(&format!("      → {arrow}: {}\n", fix.get(lang)));
        }
    }
    let count = |s| findings.iter().filter(|f| f.severity == s).count();
    let (errors, warnings) = (count(Severity::Error), count(Severity::Warning));
    out.push('\n');
    out.push_str(&match (errors, warnings, lang) {
        (0, 0, Lang::Ja) => "問題は見つかりませんでした。".to_string(),
        (0, 0, Lang::En) => "No problems found.".to_string(),
        (e, w, Lang::Ja) => {
            format!("問題 {e} 件、注意 {w} 件。上の「対処」を上から順に試してください。")
        }
        (e, w, Lang::En) => format!(
            "{e} {}, {w} {}: try the fixes above, from the top.",
            if e == 1 { "error" } else { "errors" },
            if w == 1 { "warning" } else { "warnings" }
        ),
    });
    out.push('\n');
    out
}

/// The JSON report: the worst severity and every finding, its words in `lang`.
fn json(findings: &[Finding], worst: Severity, lang: Lang) -> serde_json::Result<String> {
    #[derive(Serialize)]
    struct Item<'a> {
        step: Step,
        id: &'a str,
        severity: Severity,
        message: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        fix: Option<&'a str>,
    }
    let items: Vec<Item> = findings
        .iter()
        .map(|f| Item {
            step: f.step,
            id: f.id,
            severity: f.severity,
            message: f.what.get(lang),
            fix: f.fix.as_ref().map(|w| w.get(lang)),
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
        assert!(f[0].what.en.contains("RC-S380"), "{:?}", f[0].what);
        // RC-S300 with an old libccid names the version it needs and the one installed.
        let f = check_readers(Some(none), &[dev(0x054c, 0x0dc8, true)], &old);
        assert_eq!(ids(&f), [("usb-reader-libccid-too-old", Severity::Error)]);
        assert!(f[0].what.en.contains("1.4.35") && f[0].what.en.contains("1.4.34"));
        assert!(f[0].what.ja.contains("1.4.35 以降"), "{}", f[0].what.ja);
        // ... and with a new one it is supported; pcscd not showing it is a replug.
        let f = check_readers(Some(none), &[dev(0x054c, 0x0dc8, true)], &new);
        assert_eq!(ids(&f), [("usb-reader-not-loaded", Severity::Warning)]);
        // ACR1251 CL needs ACS's package.
        let f = check_readers(Some(none), &[dev(0x072f, 0x2229, true)], &new);
        assert_eq!(ids(&f), [("usb-reader-needs-libacsccid1", Severity::Error)]);
        assert!(f[0].fix.as_ref().unwrap().en.contains("libacsccid1"));
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
        assert!(f[0].what.ja.contains("住基カード"), "{}", f[0].what.ja);
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
            finding(
                Step::Pcscd,
                "x",
                Severity::Ok,
                words("動いています", "runs"),
            ),
            finding(
                Step::Daemon,
                "y",
                Severity::Warning,
                words("止まっています", "stopped"),
            )
            .fix(words("起動してください", "start it")),
        ];
        let en = render(&f, Lang::En);
        assert!(en.contains("pcscd:\n  [ok] runs\n"), "{en}");
        assert!(
            en.contains("  [warning] stopped\n      → fix: start it\n"),
            "{en}"
        );
        assert!(
            en.ends_with("0 errors, 1 warning: try the fixes above, from the top.\n"),
            "{en}"
        );
        let ja = render(&f, Lang::Ja);
        assert!(
            ja.contains("  [注意] 止まっています\n      → 対処: 起動してください\n"),
            "{ja}"
        );
    }
}
