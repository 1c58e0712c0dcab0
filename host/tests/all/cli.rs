//! The `lvyue` command as users and their scripts see it: output, exit codes,
//! files written (or not).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

fn cache_dir() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("tempdir")).path()
}

fn lvyue(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lvyue")).arg("--cache-dir").arg(cache_dir()).args(args).output().expect("run lvyue")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/samples/cn-ets-2024.toml")
}

#[test]
fn rules_lists_the_parameters_in_force_with_their_sources() {
    let o = lvyue(&["rules", "cn-ets", "--year", "2024"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    for needle in [
        "offsets.ccer_cap_ratio",
        "value:      0.05 ratio",
        "effective:  2021-02-01",
        "第二十九条",
        "confidence: verified",
        "offsets.ccer_cap_base",
        "value:      obligation",
        "surrender.deadline",
        "2025-12-31",
        "confidence: secondary  (not verified in the official text)",
    ] {
        assert!(out.contains(needle), "missing {needle:?} in:\n{out}");
    }
    let json = lvyue(&["rules", "cn-ets", "--year", "2024", "--json"]);
    let params: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    let cap = params.as_array().unwrap().iter().find(|p| p["key"] == "offsets.ccer_cap_ratio").expect("cap");
    assert_eq!(cap["value"], "0.05");
    assert_eq!(cap["confidence"], "verified");
}

#[test]
fn rules_for_a_year_without_values_name_the_missing_parameter() {
    let o = lvyue(&["rules", "cn-ets", "--year", "2026"]);
    assert_eq!(o.status.code(), Some(6), "{}", stdout(&o));
    assert!(stderr(&o).contains("`surrender.deadline`") && stderr(&o).contains("2026"), "{}", stderr(&o));
}

#[test]
fn plugins_list_and_info() {
    let o = lvyue(&["plugins"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("cn-ets") && stdout(&o).contains("built-in"), "{}", stdout(&o));
    let o = lvyue(&["plugins", "info", "cn-ets"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    for needle in [
        "component sha256:",
        "lvyue:compliance@1.1.0",
        "compliance years: 2021–2025",
        "emission_sources",
        "credit_holdings",
        "quantity_t",
        "offsets.ccer_cap_ratio",
        "obligation_t",
    ] {
        assert!(out.contains(needle), "missing {needle:?} in:\n{out}");
    }
    let o = lvyue(&["plugins", "info", "nowhere"]);
    assert_eq!(o.status.code(), Some(5));
}

#[test]
fn demo_runs_on_the_bundled_sample() {
    let dir = tempfile::tempdir().unwrap();
    let o = lvyue(&["demo", "--out-dir", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.path().join("cn-ets-2024-report.json")).unwrap()).unwrap();
    let metric =
        |k: &str| report["metrics"].as_array().unwrap().iter().find(|m| m["key"] == k).unwrap_or_else(|| panic!("{k}"))["value"].clone();
    // The guideline rounds the enterprise total to a whole tonne (rules/cn-ets/rounding.toml).
    assert_eq!(metric("verified_emissions_t"), "3551367");
    assert_eq!(metric("offset_cap_t"), "177568");
    assert_eq!(metric("shortfall_t"), "31367");
    assert_eq!(metric("penalty_min_cny"), "14507237.5");
    assert_eq!(metric("surrender_deadline"), "2025-12-31");
    for key in
        ["obligation_t", "offsets_eligible_t", "offsets_used_t", "allowances_used_t", "shortfall_t", "penalty_min_cny", "penalty_max_cny"]
    {
        assert!(metric(key).is_string(), "{key}");
    }
    assert_eq!(report["plugin"]["id"], "cn-ets");
    assert_eq!(report["plugin"]["component_sha256"].as_str().unwrap().len(), 64);
    assert_eq!(report["inputs"][0]["sha256"].as_str().unwrap().len(), 64);
    assert!(dir.path().join("cn-ets-2024-report.xlsx").is_file());
}

#[test]
fn the_same_request_gives_identical_results_fuel_included() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.json");
    let b = dir.path().join("b.json");
    for out in [&a, &b] {
        let o = lvyue(&["evaluate", "--request", sample().to_str().unwrap(), "--json", out.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    let (a, b) = (std::fs::read(a).unwrap(), std::fs::read(b).unwrap());
    assert_eq!(a, b);
    let r: serde_json::Value = serde_json::from_slice(&a).unwrap();
    assert!(r["run"]["fuel_used"].as_u64().unwrap() > 0);
}

#[test]
fn bad_input_exits_3_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let req = dir.path().join("bad.toml");
    std::fs::write(
        &req,
        r##"jurisdiction = "cn-ets"
year = 2024
[[tables.emission_sources]]
facility = "U1"
source = "boiler"
category = "fuel_combustion"
emissions_t = "-3"
[[tables.credit_holdings]]
serial = "S"
credit_type = "VER"
project_id = "P"
quantity_t = "#DIV/0!"
"##,
    )
    .unwrap();
    let before = std::fs::read(&req).unwrap();
    let out = dir.path().join("out.json");
    let o = lvyue(&["evaluate", "--request", req.to_str().unwrap(), "--json", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3), "{}", stdout(&o));
    let err = stderr(&o);
    assert!(err.contains("3 problem(s)"), "{err}");
    assert!(err.contains("bad.toml:emission_sources[1].emissions_t") && err.contains("not less than 0"), "{err}");
    assert!(err.contains("bad.toml:credit_holdings[1].credit_type") && err.contains("one of: CEA, CCER"), "{err}");
    assert!(err.contains("bad.toml:credit_holdings[1].quantity_t"), "{err}");
    assert!(!out.exists(), "no output on bad input");
    assert_eq!(std::fs::read(&req).unwrap(), before, "input untouched");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers.len(), 1, "no temporary files left: {leftovers:?}");
}

#[test]
fn an_unsupported_year_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    let req = dir.path().join("r.toml");
    let text = std::fs::read_to_string(sample()).unwrap().replace("year = 2024", "year = 2019");
    std::fs::write(&req, text).unwrap();
    let o = lvyue(&["evaluate", "--request", req.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3));
    assert!(stderr(&o).contains("covers compliance years ") && stderr(&o).contains(", not 2019"), "{}", stderr(&o));
}

#[test]
fn a_rules_override_changes_the_result_and_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir_all(rules.join("cn-ets")).unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules/cn-ets");
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|x| x != "toml") {
            continue;
        }
        let f = path.file_name().unwrap().to_owned();
        let mut text = std::fs::read_to_string(&path).unwrap();
        if f == "offsets.toml" {
            text = text.replacen("value = \"0.05\"", "value = \"0.10\"", 1);
        }
        std::fs::write(rules.join("cn-ets").join(f), text).unwrap();
    }
    let out = dir.path().join("r.json");
    let o = lvyue(&[
        "--rules-dir",
        rules.to_str().unwrap(),
        "evaluate",
        "--request",
        sample().to_str().unwrap(),
        "--json",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let cap = r["metrics"].as_array().unwrap().iter().find(|m| m["key"] == "offset_cap_t").unwrap();
    // 10 % of 3,551,367 t, rounded down to whole tonnes (rounding.offset_cap).
    assert_eq!(cap["value"], "355136");
    assert!(r["plugin"]["rules_source"].as_str().unwrap().contains("sha256"), "{}", r["plugin"]);

    // Remove a parameter the plugin requires: exit 6, naming it.
    std::fs::remove_file(rules.join("cn-ets").join("penalty.toml")).unwrap();
    let o = lvyue(&["--rules-dir", rules.to_str().unwrap(), "evaluate", "--request", sample().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(6), "{}", stdout(&o));
    assert!(stderr(&o).contains("penalty.price_multiple_min"), "{}", stderr(&o));
}

#[test]
fn the_compile_cache_is_used_and_survives_tampering() {
    let cache = tempfile::tempdir().unwrap();
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_lvyue"))
            .args(["--cache-dir", cache.path().to_str().unwrap(), "plugins", "info", "cn-ets"])
            .output()
            .unwrap()
    };
    assert_eq!(run().status.code(), Some(0));
    let artifacts: Vec<PathBuf> = std::fs::read_dir(cache.path()).unwrap().map(|e| e.unwrap().path()).collect();
    let cwasm = artifacts.iter().find(|p| p.extension().is_some_and(|x| x == "cwasm")).expect("a compiled artifact");
    assert!(artifacts.iter().any(|p| p.extension().is_some_and(|x| x == "blake3")));
    // Corrupt the artifact: the digest check refuses it and the plugin is recompiled.
    let mut bytes = std::fs::read(cwasm).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(cwasm, &bytes).unwrap();
    let o = run();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_ne!(std::fs::read(cwasm).unwrap(), bytes, "the corrupted artifact was replaced");
}

#[test]
fn template_writes_a_workbook_from_the_declared_input() {
    use calamine::Reader;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("input.xlsx");
    let o = lvyue(&["template", "cn-ets", "--year", "2024", "-o", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(&path).unwrap();
    let names = wb.sheet_names();
    assert!(names.iter().any(|n| n.contains("Instructions")), "{names:?}");
    assert!(names.iter().any(|n| n.contains("Emission sources")), "{names:?}");
    assert!(names.iter().any(|n| n.contains("Credit holdings")), "{names:?}");
    let sheet = names.iter().find(|n| n.contains("Emission sources")).unwrap().clone();
    let range = wb.worksheet_range(&sheet).unwrap();
    let headers: Vec<String> = range.rows().next().unwrap().iter().map(|c| c.to_string()).collect();
    assert!(headers.iter().any(|h| h.contains("Emissions") && h.contains("[tCO2]")), "{headers:?}");
}

#[test]
fn a_rules_override_file_replaces_one_parameter_and_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("my-cap.toml");
    std::fs::write(
        &file,
        r#"[[parameter]]
key = "offsets.ccer_cap_ratio"
kind = "number"
unit = "ratio"
name = { zh = "CCER抵销比例上限（内部政策）", en = "CCER cap ratio (internal policy)" }
[[parameter.value]]
from = 2021-01-01
value = "0.02"
reference = "Group policy memo 2024-07"
confidence = "unverified"
note = "Stricter than the Measures, by the group's choice"
"#,
    )
    .unwrap();
    let out = dir.path().join("r.json");
    let o = lvyue(&[
        "--rules-override",
        file.to_str().unwrap(),
        "evaluate",
        "--request",
        sample().to_str().unwrap(),
        "--json",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let cap = r["metrics"].as_array().unwrap().iter().find(|m| m["key"] == "offset_cap_t").unwrap();
    let obligation = r["metrics"].as_array().unwrap().iter().find(|m| m["key"] == "obligation_t").unwrap();
    // 2 % of the obligation, rounded down to whole tonnes (rounding.offset_cap).
    let want = (obligation["value"].as_str().unwrap().parse::<rust_decimal::Decimal>().unwrap() * rust_decimal::Decimal::new(2, 2)).floor();
    assert_eq!(cap["value"].as_str().unwrap().parse::<rust_decimal::Decimal>().unwrap(), want);
    let p = r["parameters"].as_array().unwrap().iter().find(|p| p["key"] == "offsets.ccer_cap_ratio").unwrap();
    assert_eq!(p["confidence"], "unverified");
    assert!(p["file"].as_str().unwrap().ends_with("my-cap.toml"));
    let source = r["plugin"]["rules_source"].as_str().unwrap();
    assert!(source.contains("override") && source.contains("my-cap.toml") && source.contains("offsets.ccer_cap_ratio"), "{source}");
    // The rules listing shows the override too.
    let o = lvyue(&["--rules-override", file.to_str().unwrap(), "rules", "cn-ets", "--year", "2024"]);
    assert!(stdout(&o).contains("Group policy memo 2024-07"), "{}", stdout(&o));
}
