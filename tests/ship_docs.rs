//! What documents the product and is shipped with it: the committed man page is the generated one,
//! the tray's hand-written page keeps up with its options, the completions are valid shell, and the
//! interface XML in docs/ is well-formed.

mod support;

use std::fs;
use std::path::Path;
use std::process::Command;

use support::ship::{assert_valid_shell, man_warnings, read, repo, run, text, tmp, tray_bin};
use support::{bin, require_tool};

/// The interface XML in docs/ is well-formed XML (no `--` inside a comment), as gdbus-codegen and
/// zbus-xmlgen need it: parsed by an independent parser, Python's expat.
#[ignore = "e2e: run by scripts/test.sh"]
#[test]
fn documented_interface_xml_is_well_formed() {
    require_tool("python3");
    let parse = |path: &Path| {
        run(Command::new("python3")
            .args([
                "-c",
                "import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])",
            ])
            .arg(path))
    };
    let xml = repo().join("docs/io.github.mynawatch.MynaWatch1.xml");
    let out = parse(&xml);
    assert!(
        out.status.success(),
        "{}: {}",
        xml.display(),
        text(&out.stderr)
    );
    // The same parser rejects the mistake it was written for.
    let d = tmp();
    let bad = d.path().join("bad.xml");
    fs::write(
        &bad,
        read("docs/io.github.mynawatch.MynaWatch1.xml").replacen(
            "<node>",
            "<!-- a -- b --><node>",
            1,
        ),
    )
    .unwrap();
    assert!(
        !parse(&bad).status.success(),
        "expat accepted `--` in a comment"
    );
}

#[test]
fn committed_man_page_is_the_generated_one() {
    let out = run(Command::new(bin()).arg("man"));
    assert!(out.status.success());
    assert!(
        text(&out.stdout) == read("docs/mynawatch.1"),
        "docs/mynawatch.1 is stale: run `make man` (or `mynawatch man > docs/mynawatch.1`) and commit it"
    );
}

#[ignore = "e2e: run by scripts/test.sh"]
#[test]
fn completion_scripts_are_valid_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let out = run(Command::new(bin()).args(["completions", shell]));
        assert!(out.status.success(), "{shell}");
        let d = tmp();
        let f = d.path().join("completion");
        fs::write(&f, &out.stdout).unwrap();
        assert_valid_shell(shell, &f);
    }
    let bad = run(Command::new(bin()).args(["completions", "tcsh"]));
    assert_eq!(bad.status.code(), Some(2));
}

// ---------------------------------------------------------------------------------------------------
// The tray's man page (written by hand: it must keep up with the tray's options)

#[ignore = "e2e: run by scripts/test.sh"]
#[test]
fn tray_man_page_describes_every_option_and_renders_cleanly() {
    require_tool("man");
    let page = repo().join("data/mynawatch-tray.1");
    let out = man_warnings(&page);
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "man --warnings: {}",
        text(&out.stderr)
    );
    let rendered = text(&out.stdout);
    let help = run(Command::new(tray_bin()).arg("--help"));
    assert!(help.status.success());
    let options: Vec<String> = text(&help.stdout)
        .split_whitespace()
        .filter_map(|w| w.strip_prefix("--"))
        .map(|w| w.trim_end_matches([',', '.']).to_string())
        .filter(|w| !w.is_empty())
        .collect();
    assert!(options.len() >= 5, "options from --help: {options:?}");
    for o in &options {
        assert!(
            rendered.contains(&format!("--{o}")),
            "data/mynawatch-tray.1 does not describe --{o}"
        );
    }
    let th = read("data/mynawatch-tray.1")
        .lines()
        .find(|l| l.starts_with(".TH "))
        .map(str::to_string)
        .expect(".TH line");
    assert!(
        th.contains(&format!("\"mynawatch {}\"", env!("CARGO_PKG_VERSION"))),
        "the page's version is the crate's: {th}"
    );
}
