//! The interface XML in docs/ is well-formed XML (a `--` inside a comment once made every XML
//! parser — gdbus-codegen, zbus-xmlgen, ElementTree — reject it), checked with Python's expat
//! parser, the one gdbus-codegen uses. That it matches the live service is tests/dbus_api.rs'
//! `documented_api_matches_the_live_service`.

mod support;

const XML: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/docs/io.github.mynawatch.MynaWatch1.xml"
);

/// Parse `path` with Python's ElementTree (expat) and print the interfaces it found.
fn parse(path: &str) -> std::process::Output {
    std::process::Command::new("/usr/bin/python3")
        .args([
            "-c",
            "import sys, xml.etree.ElementTree as ET\n\
             root = ET.parse(sys.argv[1]).getroot()\n\
             assert root.tag == 'node', root.tag\n\
             for i in root.findall('interface'):\n    print(i.get('name'))",
            path,
        ])
        .output()
        .expect("run /usr/bin/python3")
}

#[ignore = "e2e: run by scripts/test.sh"]
#[test]
fn the_interface_xml_is_well_formed() {
    support::require_tool("/usr/bin/python3");
    let out = parse(XML);
    assert!(
        out.status.success(),
        "docs/io.github.mynawatch.MynaWatch1.xml is not well-formed XML: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "io.github.mynawatch.MynaWatch1.Manager\nio.github.mynawatch.MynaWatch1.Card\n"
    );
    // The check can fail: the comment that was in the file is refused.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.xml");
    let text = std::fs::read_to_string(XML).unwrap();
    std::fs::write(
        &bad,
        text.replacen("<node>", "<!-- cargo test --test dbus_api -->\n<node>", 1),
    )
    .unwrap();
    assert!(!parse(bad.to_str().unwrap()).status.success());
}
