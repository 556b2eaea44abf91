//! The card actions of the CLI against the real daemon binary on a private bus: `label`,
//! `registered`, `card-expires`, `forget`, `refresh`, CARD lookup by label or key prefix, the daemon's
//! own error messages, and the shell completions offering the remembered cards (real bash, zsh, fish).

mod support;

use std::path::Path;

use support::bus::PrivateBus;
use support::cli::{output, run};
use support::daemon::{busctl, e2e_bus, fresh_state_dir, write_state, DaemonProc, CARD, ROOT};

const MOTHER: &str = "0123456789abcdef0123456789abcdef";
const FATHER: &str = "0123cdef89abcdef0123456789abcdef";

/// Two remembered cards: "母" (certificate until 2031-06-20) and an unnamed one (until 2026-04-10).
fn seed(dir: &Path) {
    let card = |label: &str, not_after: &str| {
        serde_json::json!({
            "label": label,
            "token": "my-number-card",
            "cert": {
                "not_before": support::daemon::first_cert_start(not_after),
                "not_after": not_after
            },
            "registered": "unknown",
        })
    };
    write_state(
        dir,
        serde_json::json!({ MOTHER: card("母", "2031-06-20"), FATHER: card("", "2026-04-10") }),
    );
}

/// A card property's value as JSON (busctl's text form escapes non-ASCII).
fn prop(bus: &PrivateBus, key: &str, name: &str) -> serde_json::Value {
    let path = path_of(key);
    let (ok, out, err) = busctl(
        bus,
        &[
            "--json=short",
            "get-property",
            support::daemon::NAME,
            &path,
            CARD,
            name,
        ],
    );
    assert!(ok, "get-property {name}: {err}");
    serde_json::from_str::<serde_json::Value>(&out).unwrap()["data"].clone()
}

fn path_of(key: &str) -> String {
    format!("{ROOT}/cards/{key}")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn start(bus: &PrivateBus, dir: &Path) -> DaemonProc {
    seed(dir);
    DaemonProc::quiet(bus, dir, "2026-03-01")
}

#[ignore = "e2e: run by scripts/test.sh"]
#[test]
fn every_card_action_works_from_the_cli_and_says_what_changed() {
    let bus = e2e_bus();
    let (top, dir) = fresh_state_dir();
    let mut d = start(&bus, &dir);

    // label, by label, in English and Japanese.
    let (code, out, err) = run(&bus, &["label", "母", "母のカード", "--lang", "en"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("Card 母のカード (01234567…)\n"), "{out}");
    assert!(out.contains("  label: \"母\" → \"母のカード\"\n"), "{out}");
    assert_eq!(prop(&bus, MOTHER, "Label"), "母のカード");
    let (code, out, _) = run(&bus, &["label", "母のカード", "", "--lang", "ja"]);
    assert_eq!(code, 0);
    assert!(out.contains("ラベル: 「母のカード」 → （なし）"), "{out}");
    assert_eq!(run(&bus, &["label", "01234567…", "母"]).0, 0);

    // registered, by key prefix, as JSON: the answer and the actions that follow from it.
    let (code, out, err) = run(&bus, &["registered", "0123c", "no", "--json"]);
    assert_eq!(code, 0, "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["card"], FATHER);
    let changes = doc["changes"].as_array().unwrap();
    let registered = changes
        .iter()
        .find(|c| c["field"] == "insurance_registered")
        .unwrap_or_else(|| panic!("{out}"));
    assert_eq!(
        (&registered["before"], &registered["after"]),
        (&"unknown".into(), &"no".into())
    );
    assert_eq!(doc["state"]["insurance_registered"], "no");
    assert!(
        doc["state"]["actions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["id"] == "register-insurance"),
        "{out}"
    );
    assert_eq!(prop(&bus, FATHER, "InsuranceRegistered"), "no");
    let (code, out, _) = run(&bus, &["registered", "0123c", "unknown", "--lang", "en"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("registered for insurance: \"no\" → \"unknown\""),
        "{out}"
    );
    // The same answer again: nothing changed, and it says so.
    let (code, out, _) = run(&bus, &["registered", "0123c", "unknown", "--lang", "en"]);
    assert_eq!(code, 0);
    assert!(out.contains("nothing changed"), "{out}");

    // A right-to-left override would show "Mom\u{202E}gnp.exe" as "Momexe.png" in a notification.
    for spoof in ["Mom\u{202E}gnp.exe", "a\u{2028}b", "\u{2067}x"] {
        let (code, _, err) = run(&bus, &["label", "母", spoof]);
        assert_eq!(code, 1, "{spoof:?}");
        assert!(err.contains("bidirectional-text controls"), "{err}");
        let (code, _, err) = run(&bus, &["add", "--expires", "2031-06-20", "--label", spoof]);
        assert_ne!(code, 0, "{spoof:?}");
        assert!(err.contains("bidirectional-text controls"), "{err}");
    }
    // card-expires: set (earlier than the certificate, so the certificate's last day follows), clear.
    let (code, out, err) = run(&bus, &["card-expires", "母", "2030-01-10", "--lang", "en"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("card expires: (none) → \"2030-01-10\""),
        "{out}"
    );
    assert_eq!(prop(&bus, MOTHER, "CardExpires"), "2030-01-10");
    assert_eq!(prop(&bus, MOTHER, "CardExpiresSource"), "user");
    let (code, out, _) = run(&bus, &["card-expires", "母", "--clear", "--json"]);
    assert_eq!(code, 0);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["state"]["card_expires"], "");
    // Bad dates never reach the daemon: a usage error (exit 2) naming the format.
    let (code, _, err) = run(&bus, &["card-expires", "母", "2031-02-30"]);
    assert_eq!(code, 2);
    assert!(err.contains("YYYY-MM-DD"), "{err}");
    assert_eq!(run(&bus, &["card-expires", "母"]).0, 2);

    // The daemon's own refusal: its message and error name, exit 1, nothing changed.
    let (code, _, err) = run(&bus, &["label", "母", "a\nb"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("label must not contain control characters")
            && err.contains("io.github.mynawatch.MynaWatch1.Error.InvalidArgument"),
        "{err}"
    );
    let long = "あ".repeat(257);
    let (code, _, err) = run(&bus, &["label", "母", &long]);
    assert_eq!(code, 1);
    assert!(err.contains("label too long"), "{err}");
    assert_eq!(prop(&bus, MOTHER, "Label"), "母");

    // Ambiguous and unknown CARDs: exit 1, the candidates listed.
    let (code, _, err) = run(&bus, &["forget", "0123", "--lang", "en"]);
    assert_eq!(code, 1);
    assert!(err.contains("matches several cards"), "{err}");
    assert!(
        err.contains("01234567…  母") && err.contains("0123cdef…"),
        "{err}"
    );
    let (code, _, err) = run(&bus, &["forget", "父", "--lang", "ja"]);
    assert_eq!(code, 1);
    assert!(err.contains("カード \"父\" はありません"), "{err}");

    // Completions: the hidden helper, then real bash, zsh and fish scripts calling it.
    let (code, out, _) = run(&bus, &["__complete-cards"]);
    assert_eq!(code, 0);
    let values: Vec<&str> = out.lines().map(|l| l.split('\t').next().unwrap()).collect();
    assert_eq!(values, ["0123cdef", "母", "01234567"], "{out}");
    completions_offer_the_cards(&bus, top.path());

    // refresh: re-evaluates, prints the state.
    let (code, out, err) = run(&bus, &["refresh", "--lang", "en"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("re-evaluated 2 remembered card(s)"), "{out}");
    assert!(out.contains("Card 母"), "{out}");
    let (code, out, _) = run(&bus, &["refresh", "--json"]);
    assert_eq!(code, 0);
    let snap: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(snap["cards"].as_array().unwrap().len(), 2);

    // forget: the object goes away; a second forget finds no card.
    let (code, out, _) = run(&bus, &["forget", "0123c", "--lang", "en"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("Forgot card 0123cdef…"), "{out}");
    let (ok, _, _) = busctl(
        &bus,
        &[
            "get-property",
            support::daemon::NAME,
            &path_of(FATHER),
            CARD,
            "Label",
        ],
    );
    assert!(!ok, "the forgotten card's object is still there");
    assert_eq!(run(&bus, &["forget", "0123c"]).0, 1);
    let (_, out, _) = run(&bus, &["forget", "01234", "--json"]);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&out).unwrap(),
        serde_json::json!({"card": MOTHER, "forgotten": true})
    );
    assert_eq!(d.stop().code(), Some(0));
    let state = std::fs::read_to_string(dir.join("state.json")).unwrap();
    assert!(
        !state.contains(MOTHER) && !state.contains(FATHER),
        "{state}"
    );
}

/// Each shell's script, as `mynawatch completions SHELL` prints it, completes `label <TAB>` with the
/// remembered cards.
fn completions_offer_the_cards(bus: &PrivateBus, tmp: &Path) {
    let bin = support::bin();
    let bin_dir = Path::new(bin).parent().unwrap();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap());
    for shell in ["bash", "zsh", "fish"] {
        let script = output(bus, &["completions", shell]).stdout;
        std::fs::write(tmp.join(format!("c.{shell}")), script).unwrap();
    }
    let shell = |prog: &str, code: String| {
        let out = bus
            .command(prog)
            .args(["-c", &code])
            .env("PATH", &path)
            .env("HOME", tmp)
            .output()
            .unwrap_or_else(|e| panic!("{prog}: {e}"));
        assert!(out.status.success(), "{prog}: {}", text(&out.stderr));
        text(&out.stdout)
    };
    let bash = shell(
        "bash",
        format!(
            "source {}/c.bash; COMP_WORDS=(mynawatch label ''); COMP_CWORD=2; \
             _mynawatch_with_cards mynawatch '' label; printf '%s\\n' \"${{COMPREPLY[@]}}\"; \
             COMP_WORDS=(mynawatch label 0123c); _mynawatch_with_cards mynawatch 0123c label; \
             printf 'prefix:%s\\n' \"${{COMPREPLY[@]}}\"; \
             COMP_WORDS=(mynawatch label 母 ''); COMP_CWORD=3; _mynawatch_with_cards mynawatch '' 母; \
             printf 'second:%s\\n' \"${{COMPREPLY[@]}}\"",
            tmp.display()
        ),
    );
    let lines: Vec<&str> = bash.lines().collect();
    assert!(
        lines.contains(&"母") && lines.contains(&"01234567") && lines.contains(&"0123cdef"),
        "{bash}"
    );
    assert!(lines.contains(&"prefix:0123cdef"), "{bash}");
    assert!(
        !lines.iter().any(|l| l.starts_with("second:0123")),
        "{bash}"
    );
    // zsh: the CARD spec calls _mynawatch_cards; run it with _describe replaced by a printer.
    let zsh = shell(
        "zsh",
        format!(
            "autoload -U compinit; compinit -u -D 2>/dev/null; source {}/c.zsh; \
             grep -c ':_mynawatch_cards' {}/c.zsh; \
             _describe() {{ print -l -- \"${{(@P)4}}\" }}; words=(mynawatch label ''); _mynawatch_cards",
            tmp.display(),
            tmp.display()
        ),
    );
    assert!(zsh.contains("母:01234567 valid"), "{zsh}");
    assert!(zsh.contains("0123cdef:renewal-open"), "{zsh}");
    let fish = shell(
        "fish",
        format!(
            "source {}/c.fish; complete -C 'mynawatch label '; echo ==; complete -C 'mynawatch label 母 '",
            tmp.display()
        ),
    );
    let (first, second) = fish.split_once("==\n").unwrap();
    assert!(first.contains("母\t01234567 valid"), "{fish}");
    assert!(first.contains("0123cdef\trenewal-open"), "{fish}");
    assert!(!second.contains("0123cdef"), "{fish}");
}

#[ignore = "e2e: run by scripts/test.sh"]
#[test]
fn without_a_daemon_the_actions_fail_with_the_cause() {
    let bus = e2e_bus();
    for args in [
        &["label", "母", "x"][..],
        &["registered", "母", "yes"],
        &["forget", "母"],
        &["refresh"],
    ] {
        let (code, out, err) = run(&bus, args);
        assert_ne!(code, 0, "{args:?}: {out}");
        assert!(err.contains("daemon"), "{args:?}: {err}");
    }
    // Completion never fails and never prints noise.
    let (code, out, err) = run(&bus, &["__complete-cards"]);
    assert_eq!((code, out.as_str(), err.as_str()), (0, "", ""));
}
