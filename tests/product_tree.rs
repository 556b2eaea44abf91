//! The shipped binary carries the product only: the virtual card and its certificate generator
//! (rcgen, ring, the embedded test key) are behind the `sim` feature, off by default (Cargo.toml).

mod support;

/// `cargo tree` of the product's normal (shipped) dependencies, one crate per line.
fn cargo_tree(extra: &[&str]) -> String {
    let out = std::process::Command::new("cargo")
        .args([
            "tree",
            "--offline",
            "--locked",
            "-e",
            "normal",
            "-p",
            "mynawatch",
        ])
        .args(["--prefix", "none"])
        .args(extra)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[ignore = "e2e: run by scripts/test.sh"]
#[test]
fn the_product_build_has_no_test_tooling() {
    support::require_tool("cargo");
    let tree = cargo_tree(&[]);
    let crates: Vec<&str> = tree
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(crates.contains(&"zbus"), "not the product's tree: {tree}");
    for tooling in ["rcgen", "ring", "yasna", "pem"] {
        assert!(
            !crates.contains(&tooling),
            "{tooling} is in the shipped binary's dependencies:\n{tree}"
        );
    }
    // The direct dependencies: no `time` or `libc` of our own (others may still use them).
    let direct = cargo_tree(&["--depth", "1"]);
    for name in ["time", "libc"] {
        assert!(
            !direct.lines().any(|l| l.starts_with(&format!("{name} v"))),
            "{name} is a direct dependency of the product:\n{direct}"
        );
    }
    // The key the virtual card signs its certificates with is not in the product's sources.
    let lib =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/card/mod.rs")).unwrap();
    for module in ["sim", "simcert", "vpcd"] {
        assert!(
            lib.contains(&format!(
                "#[cfg(any(test, feature = \"sim\"))]\npub mod {module};"
            )),
            "src/card/{module}.rs is not behind the sim feature"
        );
    }
}
