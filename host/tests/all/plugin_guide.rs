//! Follows docs/plugin-guide.md step by step, so the guide cannot go stale:
//! an out-of-tree plugin made by `lvyue plugin new`, changed as the guide says,
//! tested with `lvyue plugin test`, packed and signed, then loaded and
//! evaluated by an lvyue binary built before the plugin existed.
//!
//! The binary is this test build's, or `$LVYUE_RELEASE_BIN` when set (a
//! release binary built beforehand).

use std::path::{Path, PathBuf};
use std::process::Command;

fn lvyue_bin() -> PathBuf {
    std::env::var_os("LVYUE_RELEASE_BIN").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_lvyue")))
}

/// One fenced block of the guide: its info string and body.
struct Block {
    info: String,
    body: String,
    line: usize,
}

fn blocks(markdown: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut lines = markdown.lines().enumerate();
    while let Some((n, line)) = lines.next() {
        if let Some(info) = line.strip_prefix("```") {
            if info.is_empty() {
                // A plain block opened; skip to its end.
                for (_, l) in lines.by_ref() {
                    if l.starts_with("```") {
                        break;
                    }
                }
                continue;
            }
            let mut body = String::new();
            for (_, l) in lines.by_ref() {
                if l.starts_with("```") {
                    break;
                }
                body.push_str(l);
                body.push('\n');
            }
            out.push(Block { info: info.to_string(), body, line: n + 1 });
        }
    }
    out
}

fn attr<'a>(info: &'a str, name: &str) -> Option<&'a str> {
    let start = info.find(&format!("{name}="))? + name.len() + 1;
    let rest = &info[start..];
    if let Some(quoted) = rest.strip_prefix('"') { quoted.split('"').next() } else { rest.split_whitespace().next() }
}

/// Applies a diff block: the `-` lines, joined, are replaced by the `+` lines.
fn apply_diff(path: &Path, body: &str, line: usize) {
    let old: String = body.lines().filter_map(|l| l.strip_prefix('-')).map(|l| format!("{l}\n")).collect();
    let new: String = body.lines().filter_map(|l| l.strip_prefix('+')).map(|l| format!("{l}\n")).collect();
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("guide line {line}: {}: {e}", path.display()));
    assert_eq!(
        text.matches(&old).count(),
        1,
        "guide line {line}: the lines to replace must appear exactly once in {}:\n{old}",
        path.display()
    );
    std::fs::write(path, text.replacen(&old, &new, 1)).unwrap();
}

#[test]
fn the_plugin_guide_works_as_written() {
    let guide_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/plugin-guide.md");
    let guide = std::fs::read_to_string(&guide_path).unwrap();
    let work = tempfile::tempdir().unwrap();
    let cache = work.path().join(".cache");
    // Share compiled dependencies with the rest of the test suite.
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/plugin-guide");
    let bin = lvyue_bin();
    let mut ran = 0;
    let mut last_stdout = String::new();
    for b in blocks(&guide) {
        let lang = b.info.split_whitespace().next().unwrap_or("");
        if lang == "sh" {
            for cmd in b.body.lines().filter(|l| !l.trim().is_empty()) {
                let words: Vec<&str> = cmd.split_whitespace().collect();
                assert_eq!(words[0], "lvyue", "guide line {}: only lvyue commands are run: {cmd}", b.line);
                let out = Command::new(&bin)
                    .args(&words[1..])
                    .current_dir(work.path())
                    .env("LVYUE_CACHE_DIR", &cache)
                    .env("LVYUE_PLUGIN_TARGET_DIR", &target)
                    .output()
                    .unwrap();
                let stdout = String::from_utf8_lossy(&out.stdout);
                assert!(
                    out.status.success(),
                    "guide line {}: `{cmd}` exited {:?}\nstdout:\n{stdout}\nstderr:\n{}",
                    b.line,
                    out.status.code(),
                    String::from_utf8_lossy(&out.stderr)
                );
                ran += 1;
                last_stdout = stdout.into_owned();
            }
            if let Some(expect) = attr(&b.info, "expect") {
                assert!(
                    last_stdout.contains(expect),
                    "guide line {}: the block's last command should print {expect:?}:\n{last_stdout}",
                    b.line
                );
            }
        } else if lang == "diff" {
            let file = attr(&b.info, "file").unwrap_or_else(|| panic!("guide line {}: diff without file=", b.line));
            apply_diff(&work.path().join(file), &b.body, b.line);
        } else if let Some(file) = attr(&b.info, "append") {
            let path = work.path().join(file);
            let mut text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("guide line {}: {}: {e}", b.line, path.display()));
            text.push_str(&b.body);
            std::fs::write(&path, text).unwrap();
        } else if let Some(file) = attr(&b.info, "file") {
            std::fs::write(work.path().join(file), &b.body).unwrap();
        }
    }
    assert!(ran >= 7, "ran {ran} commands");

    // What the guide says the user gets.
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(work.path().join("plant-2025.json")).unwrap()).unwrap();
    let metric = |k: &str| report["metrics"].as_array().unwrap().iter().find(|m| m["key"] == k).unwrap()["value"].clone();
    assert_eq!(metric("levy_cny"), "165000");
    let rate = report["parameters"].as_array().unwrap().iter().find(|p| p["key"] == "levy.rate_cny_per_t").unwrap();
    assert_eq!(rate["value"], "55");
    assert_eq!(rate["effective"], "2025-01-01");

    // The signature matters: another key is refused, and so is an edited bundle.
    let other = Command::new(&bin).args(["plugin", "keygen", "-o", "other"]).current_dir(work.path()).output().unwrap();
    assert!(other.status.success());
    let refused = Command::new(&bin)
        .args(["--bundle", "acme-levy-bundle", "--trust", "other.pub", "--no-cache", "plugins", "info", "acme-levy"])
        .current_dir(work.path())
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(5), "{}", String::from_utf8_lossy(&refused.stdout));
    let manifest = work.path().join("acme-levy-bundle/plugin.toml");
    let text = std::fs::read_to_string(&manifest).unwrap().replace("version = \"0.1.0\"", "version = \"0.1.1\"");
    std::fs::write(&manifest, text).unwrap();
    let tampered = Command::new(&bin)
        .args(["--bundle", "acme-levy-bundle", "--trust", "acme.pub", "--no-cache", "plugins"])
        .current_dir(work.path())
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&tampered.stdout);
    assert!(out.contains("refused") && out.contains("signature does not match"), "{out}");

    // A failing case: exit 7, with the project named by a relative path from its parent folder.
    let cases = work.path().join("acme-levy/rules/acme-levy/cases/levy.toml");
    let mut text = std::fs::read_to_string(&cases).unwrap_or_else(|e| panic!("{}: {e}", cases.display()));
    text.push_str("\n[[case]]\nname = \"A deliberately wrong expectation\"\nyear = 2025\n[case.tables]\nemission_sources = [{ facility = \"Plant\", source = \"boiler\", category = \"fuel_combustion\", emissions_t = \"9000\" }]\n[case.expect]\nmetrics = { direct_emissions_t = \"9001\" }\n");
    std::fs::write(&cases, text).unwrap();
    let failing = Command::new(&bin).args(["--no-cache", "plugin", "test", "acme-levy"]).current_dir(work.path()).output().unwrap();
    let out = String::from_utf8_lossy(&failing.stdout);
    assert_eq!(failing.status.code(), Some(7), "{out}{}", String::from_utf8_lossy(&failing.stderr));
    assert!(out.contains("FAIL") && out.contains("A deliberately wrong expectation"), "{out}");
}

#[test]
fn the_vendored_sdk_uses_the_workspace_dependency_versions() {
    let root: toml::Table = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml")).unwrap().parse().unwrap();
    let deps = &root["workspace"]["dependencies"];
    let kit: toml::Table = format!("[d]\n{}", lvyue::kit::SDK_DEPENDENCIES).parse().unwrap();
    for name in ["wit-bindgen", "rust_decimal"] {
        assert_eq!(kit["d"][name], deps[name], "{name}: the kit's vendored SDK must use the workspace's dependency");
    }
    // The SDK's own dependencies and features, as its Cargo.toml states them.
    let sdk: toml::Table =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugins/sdk/Cargo.toml")).unwrap().parse().unwrap();
    for (name, spec) in sdk["dependencies"].as_table().unwrap() {
        if spec.get("workspace").is_none() {
            assert_eq!(&kit["d"][name], spec, "{name}: the kit's vendored SDK must match plugins/sdk/Cargo.toml");
        }
    }
    assert_eq!(kit["features"], sdk["features"], "the kit's vendored SDK must have the SDK's features");
}

#[test]
fn plugin_new_refuses_bad_ids_and_existing_folders() {
    let work = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| Command::new(lvyue_bin()).args(args).current_dir(work.path()).output().unwrap();
    assert_ne!(run(&["plugin", "new", "Acme Levy"]).status.code(), Some(0));
    std::fs::create_dir(work.path().join("taken")).unwrap();
    std::fs::write(work.path().join("taken/file"), "x").unwrap();
    let o = run(&["plugin", "new", "taken"]);
    assert_ne!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not empty"));
}
