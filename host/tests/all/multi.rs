//! Several jurisdictions in one run: one workbook with an overview and each
//! jurisdiction's sheets; a failing plugin is reported and the others go on.

use std::process::Command;

use calamine::Reader;

fn samples() -> std::path::PathBuf {
    crate::common::root().join("tests/samples")
}

fn run(bundles: &[&std::path::Path], jurisdictions: &str, out: &std::path::Path, json: &std::path::Path) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lvyue"));
    cmd.arg("--no-cache");
    for b in bundles {
        cmd.arg("--bundle").arg(b);
    }
    cmd.args(["evaluate", "-j", jurisdictions, "--year", "2024", "--inventory"])
        .arg(samples().join("cn-ets-2024-inventory.xlsx"))
        .arg("--portfolio")
        .arg(samples().join("cn-ets-2024-portfolio.xlsx"))
        .arg("--out")
        .arg(out)
        .arg("--json")
        .arg(json)
        .output()
        .unwrap()
}

#[test]
fn several_jurisdictions_make_one_workbook_with_an_overview() {
    let dir = tempfile::tempdir().unwrap();
    let other = crate::common::bundle(dir.path(), "well-behaved");
    let (out, json) = (dir.path().join("all.xlsx"), dir.path().join("all.json"));
    let o = run(&[&other], "cn-ets,hostile-well-behaved", &out, &json);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(&out).unwrap();
    let names = wb.sheet_names();
    assert_eq!(names[0], lvyue::report::xlsx::OVERVIEW);
    assert!(names.iter().any(|n| n == "cn-ets 汇总 Summary"), "{names:?}");
    assert!(names.iter().any(|n| n.starts_with("hostile-well-behaved")), "{names:?}");
    let overview = wb.worksheet_range(lvyue::report::xlsx::OVERVIEW).unwrap();
    assert_eq!(overview.get_value((1, 0)).unwrap().to_string(), "cn-ets");
    assert_eq!(overview.get_value((2, 0)).unwrap().to_string(), "hostile-well-behaved");
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(r["reports"].as_array().unwrap().len(), 2);
    assert!(r["failures"].as_array().unwrap().is_empty());
}

#[test]
fn a_failing_plugin_is_reported_and_the_others_are_written() {
    let dir = tempfile::tempdir().unwrap();
    let panics = crate::common::bundle(dir.path(), "panic");
    let (out, json) = (dir.path().join("all.xlsx"), dir.path().join("all.json"));
    let o = run(&[&panics], "hostile-panic,cn-ets", &out, &json);
    assert_eq!(o.status.code(), Some(4), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("plugin hostile-panic panicked"));
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(&out).unwrap();
    let overview = wb.worksheet_range(lvyue::report::xlsx::OVERVIEW).unwrap();
    assert_eq!(overview.get_value((1, 0)).unwrap().to_string(), "cn-ets");
    assert_eq!(overview.get_value((2, 0)).unwrap().to_string(), "hostile-panic");
    assert_eq!(overview.get_value((2, 2)).unwrap().to_string(), "failed");
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(r["failures"][0]["jurisdiction"], "hostile-panic");
    assert_eq!(r["failures"][0]["exit_code"], 4);
}

#[test]
fn a_jurisdiction_whose_input_does_not_fit_is_reported_and_the_others_are_written() {
    // cn-hubei needs the entity's initial allocation, which the cn-ets sample does not have.
    let dir = tempfile::tempdir().unwrap();
    let (out, json) = (dir.path().join("all.xlsx"), dir.path().join("all.json"));
    let o = run(&[], "cn-ets,cn-hubei", &out, &json);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("cn-hubei"), "{err}");
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(r["reports"].as_array().unwrap().len(), 1);
    assert_eq!(r["reports"][0]["jurisdiction"], "cn-ets");
    assert_eq!(r["failures"][0]["jurisdiction"], "cn-hubei");
    assert_eq!(o.status.code(), r["failures"][0]["exit_code"].as_i64().map(|c| c as i32));
    assert_ne!(o.status.code(), Some(0));
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(&out).unwrap();
    let overview = wb.worksheet_range(lvyue::report::xlsx::OVERVIEW).unwrap();
    assert_eq!(overview.get_value((2, 0)).unwrap().to_string(), "cn-hubei");
    assert_eq!(overview.get_value((2, 2)).unwrap().to_string(), "failed");
}
