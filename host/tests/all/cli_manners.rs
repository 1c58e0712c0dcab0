//! The command line's manners, one test per documented exit code and per
//! promise a script relies on: usage errors exit 2 before any plugin work, a
//! closed pipe ends the output quietly, relative and absolute paths both work,
//! written files have the usual permissions. (Exit 3 and 6 are in `cli`,
//! 4 in `multi`, 5 in `cli` and `plugin_guide`, 7 in `plugin_guide`.)

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_lvyue")
}

fn lvyue_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(bin()).arg("--no-cache").args(args).current_dir(dir).output().expect("run lvyue")
}

fn request() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/samples/cn-ets-2024.toml")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

#[test]
fn exit_0_on_success() {
    let dir = tempfile::tempdir().unwrap();
    let o = lvyue_in(dir.path(), &["plugins"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}

#[test]
fn exit_1_for_an_output_folder_that_does_not_exist_naming_the_users_path() {
    let dir = tempfile::tempdir().unwrap();
    let req = request();
    let o = lvyue_in(dir.path(), &["evaluate", "--request", req.to_str().unwrap(), "--json", "missing-folder/r.json"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("missing-folder"), "{}", text(&o));
    assert!(!text(&o).contains(".part"), "names a temporary file: {}", text(&o));
}

#[test]
fn exit_2_for_usage_errors_before_any_plugin_work() {
    let dir = tempfile::tempdir().unwrap();
    let req = request();
    let req = req.to_str().unwrap();
    for args in [
        vec!["evaluate", "--no-such-flag"],
        vec!["--timeout-secs", "18446744073709551615", "evaluate", "--request", req, "--json", "r.json"],
        vec!["--timeout-secs", "0", "evaluate", "--request", req, "--json", "r.json"],
        vec!["--memory-mib", "0", "plugins"],
        vec!["evaluate", "--request", req, "--option", "=5", "--json", "r.json"],
        vec!["evaluate", "--request", req, "--option", "no-equals-sign", "--json", "r.json"],
        vec!["evaluate", "--request", req, "--out", "same", "--json", "same"],
        vec!["evaluate", "--request", req, "--out", "./same", "--json", "same"],
        vec!["evaluate", "-j", "cn-ets", "--year", "2024", "--json", "r.json"],
        vec!["rules", "cn-ets"],
    ] {
        let o = lvyue_in(dir.path(), &args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        assert!(!text(&o).contains("panicked"), "{args:?}: {}", text(&o));
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "nothing is written on a usage error");
}

#[test]
fn exit_5_for_an_unknown_jurisdiction() {
    let dir = tempfile::tempdir().unwrap();
    let o = lvyue_in(dir.path(), &["rules", "no-such-market", "--year", "2024"]);
    assert_eq!(o.status.code(), Some(5), "{}", text(&o));
}

#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    let mut child = Command::new(bin())
        .args(["--no-cache", "rules", "cn-ets", "--year", "2024"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Close the reading end before lvyue writes anything: every write meets a
    // closed pipe, as with `| head -1` once head has its line.
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    assert_eq!(status.code(), Some(0), "{err}");
    assert!(!err.contains("panicked") && !err.contains("Broken pipe"), "{err}");
}

#[test]
fn relative_and_absolute_paths_and_the_usual_permissions() {
    let dir = tempfile::tempdir().unwrap();
    let req = request();
    std::fs::copy(&req, dir.path().join("req.toml")).unwrap();
    std::fs::create_dir(dir.path().join("out")).unwrap();
    let o = lvyue_in(dir.path(), &["evaluate", "--request", "req.toml", "--json", "out/r.json", "--out", "out/r.xlsx"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let abs = dir.path().join("out/abs.json");
    let o = lvyue_in(
        Path::new("/"),
        &["evaluate", "--request", dir.path().join("req.toml").to_str().unwrap(), "--json", abs.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for f in ["out/r.json", "out/r.xlsx", "out/abs.json"] {
            let mode = std::fs::metadata(dir.path().join(f)).unwrap().permissions().mode() & 0o777;
            assert_ne!(mode & 0o044, 0, "{f} has mode {mode:o}: others in the group cannot read it");
        }
    }
}

#[test]
fn rules_changes_prints_what_changed_between_two_years_with_both_references() {
    let dir = tempfile::tempdir().unwrap();
    let o = lvyue_in(dir.path(), &["rules", "cn-ets", "--changes", "2023", "2024"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("allocation."), "the benchmarks are listed: {out}");
    let block = out.split("\n\n").find(|b| b.contains("allocation.")).unwrap_or_default();
    assert!(block.contains("2023:") && block.contains("2024:"), "both years side by side: {out}");
    let json = lvyue_in(dir.path(), &["rules", "cn-ets", "--changes", "2023", "2024", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    let changes = v.as_array().unwrap();
    assert!(!changes.is_empty());
    let bench = changes
        .iter()
        .find(|c| c["key"].as_str().unwrap().starts_with("allocation.") && !c["from"].is_null() && !c["to"].is_null())
        .expect("a benchmark in force in both years");
    assert_ne!(bench["from"]["value"], bench["to"]["value"]);
    assert!(bench["from"]["reference"].is_string() && bench["to"]["reference"].is_string());
    // The same year twice: nothing changed.
    let same = lvyue_in(dir.path(), &["rules", "cn-ets", "--changes", "2024", "2024", "--json"]);
    assert_eq!(serde_json::from_slice::<serde_json::Value>(&same.stdout).unwrap(), serde_json::json!([]));
}

#[test]
fn a_year_after_the_plugins_list_is_evaluated_when_the_rules_cover_it() {
    let dir = tempfile::tempdir().unwrap();
    let sample = std::fs::read_to_string(request()).unwrap();
    let at = |year: u16| {
        let path = dir.path().join(format!("r{year}.toml"));
        std::fs::write(&path, sample.replace("\nyear = 2024", &format!("\nyear = {year}"))).unwrap();
        lvyue_in(dir.path(), &["evaluate", "--request", path.to_str().unwrap(), "--json", &format!("r{year}.json")])
    };
    // cn-ets's logic is open-ended (plugin.toml): 2026 is refused only for what the rules lack, by name.
    let later = at(2026);
    assert_eq!(later.status.code(), Some(6), "{}", text(&later));
    assert!(text(&later).contains("penalty.") && text(&later).contains("2026"), "{}", text(&later));
    assert!(!text(&later).contains("covers compliance years"), "{}", text(&later));
    // A year before the plugin's logic is refused as unsupported.
    let earlier = at(2020);
    assert_eq!(earlier.status.code(), Some(3), "{}", text(&earlier));
    assert!(text(&earlier).contains("covers compliance years"), "{}", text(&earlier));
    let list = lvyue_in(dir.path(), &["plugins"]);
    assert!(String::from_utf8_lossy(&list.stdout).lines().any(|l| l.starts_with("cn-ets") && l.contains("2021–2025+")), "{}", text(&list));
}
