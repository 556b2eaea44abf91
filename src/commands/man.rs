//! `mynawatch man`: print the manual page (roff, from the clap definitions via clap_mangen) to stdout.
//! One page holds every subcommand, so `man mynawatch` is the whole reference; `make install`
//! generates it from the installed binary, and docs/mynawatch.1 is a copy checked by tests/ship_docs.rs.

use std::io::Write;
use std::process::ExitCode;

use clap::CommandFactory;
use clap_mangen::roff::{bold, italic, roman, Roff};
use clap_mangen::Man;

use super::Cli;

/// Print the manual page (roff) to stdout: `mynawatch man | man -l -`.
#[derive(Debug, clap::Args)]
pub struct ManArgs {}

pub fn run(args: ManArgs) -> anyhow::Result<ExitCode> {
    let ManArgs {} = args;
    super::common::write_stdout(&render()?)?;
    Ok(ExitCode::SUCCESS)
}

/// The whole page as roff. No date in the title line, so the output is reproducible.
pub fn render() -> std::io::Result<Vec<u8>> {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let man = Man::new(cmd.clone()).manual("mynawatch manual");
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    man.render_options_section(&mut out)?;
    let subs: Vec<&clap::Command> = cmd.get_subcommands().filter(|s| !s.is_hide_set()).collect();
    command_list(&subs).to_writer(&mut out)?;
    for sub in &subs {
        subcommand_section(sub, &mut out)?;
    }
    static_sections().to_writer(&mut out)?;
    man.render_version_section(&mut out)?;
    Ok(drop_repeated_preamble(&out).into_bytes())
}

/// Every `Roff::to_writer` starts with the same two-line quote preamble; keep only the first.
fn drop_repeated_preamble(page: &[u8]) -> String {
    let page = String::from_utf8_lossy(page);
    let mut seen = std::collections::HashSet::new();
    let mut text = String::with_capacity(page.len());
    for line in page.lines() {
        let preamble = line.starts_with(".ie \\n(.g .ds Aq") || line.starts_with(".el .ds Aq");
        if !preamble || seen.insert(line.to_string()) {
            text.push_str(line);
            text.push('\n');
        }
    }
    text
}

/// `.SH COMMANDS`: one line each, pointing at its section below (clap_mangen's own list points at
/// per-subcommand pages, which this single page replaces).
fn command_list(subs: &[&clap::Command]) -> Roff {
    let mut r = Roff::new();
    r.control("SH", ["COMMANDS"]);
    for sub in subs {
        let about = sub.get_about().map(|a| a.to_string()).unwrap_or_default();
        r.control("TP", [])
            .text([bold(format!("mynawatch {}", sub.get_name()))])
            .text([roman(about)]);
    }
    r
}

/// `.SH "MYNAWATCH CHECK"` followed by the subcommand's synopsis, description and own options, taken
/// from clap_mangen's sections with their `.SH` heading lines dropped. Global options (-v, -h, -V)
/// are described once, in OPTIONS, so they are hidden here.
fn subcommand_section(sub: &clap::Command, out: &mut Vec<u8>) -> std::io::Result<()> {
    let mut head = Roff::new();
    head.control(
        "SH",
        [format!("MYNAWATCH {}", sub.get_name().to_uppercase()).as_str()],
    );
    head.to_writer(out)?;
    let mut sub = sub.clone();
    let globals: Vec<clap::Id> = sub
        .get_arguments()
        .filter(|a| a.is_global_set() || ["help", "version"].contains(&a.get_id().as_str()))
        .map(|a| a.get_id().clone())
        .collect();
    for id in globals {
        sub = sub.mut_arg(id, |a| a.hide(true));
    }
    let man = Man::new(sub.clone());
    let mut body = Vec::new();
    man.render_synopsis_section(&mut body)?;
    body.extend_from_slice(b".PP\n");
    man.render_description_section(&mut body)?;
    if sub.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut body)?;
    }
    let body = String::from_utf8_lossy(&body).replace(".SH OPTIONS\n", ".SS Options\n");
    for line in body.lines().filter(|l| !l.starts_with(".SH ")) {
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// What clap does not know: files, environment, exit status, the service, where to read more.
fn static_sections() -> Roff {
    let mut r = Roff::new();
    r.control("SH", ["FILES"]);
    for (path, what) in [
        (
            "$XDG_CONFIG_HOME/mynawatch/config.toml",
            "Optional configuration (language, notifications, reminder policy).",
        ),
        (
            "$STATE_DIRECTORY, else $XDG_STATE_HOME/mynawatch/",
            "Remembered cards (salt, state.json): a random salt and, per card, a salted hash key, the \
             certificate dates, the insurance registration answer and what was last notified. Never the \
             certificate, its serial or a name. Under systemd the unit's StateDirectory=: \
             ~/.config/mynawatch/ on systemd 253 and older (next to config.toml), ~/.local/state/mynawatch/ \
             on newer ones. The daemon carries the cards over from the other of the two when that one \
             holds a newer memory (the other copy is left as it was; a replaced unrelated one is kept as \
             state.json.replaced-TIME).",
        ),
        (
            "/usr/lib/systemd/user/mynawatch.service",
            "The user service (Type=dbus). systemctl --user enable --now mynawatch starts it now, at \
             every login (default.target) and when a card reader is plugged in (smartcard.target).",
        ),
        (
            "/usr/share/dbus-1/services/io.github.mynawatch.MynaWatch1.service",
            "D-Bus activation: a call to the bus name starts the service.",
        ),

    ] {
        r.control("TP", []).text([bold(path)]).text([roman(what)]);
    }
    r.control("SH", ["ENVIRONMENT"]);
    for (var, what) in [
        (
            "RUST_LOG",
            "Log filter, overrides -v: a level (error, warn, info, debug, trace) or a comma-separated \
             list of target=level (mynawatch=debug,zbus=trace). Logs go to the journal under \
             systemd, to stderr otherwise.",
        ),
        (
            "DBUS_SESSION_BUS_ADDRESS",
            "The session bus the daemon serves on and status/watch talk to.",
        ),
        (
            "STATE_DIRECTORY",
            "Set by systemd from the unit's StateDirectory=: where the daemon keeps its state (its first \
             path); --state-dir overrides it.",
        ),
        (
            "XDG_STATE_HOME, XDG_CONFIG_HOME",
            "The state directory without systemd ($XDG_STATE_HOME/mynawatch, default ~/.local/state), the \
             config file ($XDG_CONFIG_HOME/mynawatch/config.toml, default ~/.config).",
        ),
        (
            "LC_ALL, LC_MESSAGES, LANG",
            "Pick Japanese or English when neither --lang nor the config file says.",
        ),
    ] {
        r.control("TP", []).text([bold(var)]).text([roman(what)]);
    }
    r.control("SH", ["EXIT STATUS"]);
    for exit in crate::exit::Exit::ALL {
        r.control("TP", [])
            .text([bold(exit.code().to_string())])
            .text([roman(exit.meaning())]);
    }
    r.control("PP", []).text([roman(
        "The user service restarts after 75 or a crash, at most 5 starts in 2 minutes; after 1 to 4 it \
         stays failed: see systemctl --user status mynawatch and journalctl --user -u mynawatch.",
    )]);
    r.control("SH", ["PRIVACY"]);
    r.text([roman(
        "mynawatch reads only public data from the card (certificate validity dates, PIN retry \
         counters), never asks for or sends a PIN, and sends nothing over the network.",
    )]);
    r.control("SH", ["SEE ALSO"]);
    r.text([
        bold("pcscd"),
        roman("(8), "),
        bold("systemctl"),
        roman("(1), "),
        bold("busctl"),
        roman("(1), "),
        italic("https://github.com/mynawatch/mynawatch"),
    ]);
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_has_the_title_every_subcommand_and_the_hand_written_sections() {
        let page = String::from_utf8(render().expect("render")).expect("utf-8");
        assert!(page.contains("\n.TH mynawatch 1 "), "{page}");
        let cmd = Cli::command();
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            let heading = format!(".SH \"MYNAWATCH {}\"", sub.get_name().to_uppercase());
            assert!(page.contains(&heading), "no {heading} in\n{page}");
        }
        for section in [
            "FILES",
            "ENVIRONMENT",
            "\"EXIT STATUS\"",
            "PRIVACY",
            "\"SEE ALSO\"",
        ] {
            assert!(page.contains(&format!(".SH {section}")), "no {section}");
        }
    }

    #[test]
    fn page_is_reproducible() {
        assert_eq!(render().unwrap(), render().unwrap());
    }
}
