//! `lvyue batch` and the ledger: entities evaluated together, serials used twice
//! found across them, a malformed entity listed as failed, a killed batch resumed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

fn cache_dir() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("tempdir")).path()
}

fn lvyue() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_lvyue"));
    c.arg("--cache-dir").arg(cache_dir());
    c
}

fn run(args: &[&str]) -> Output {
    lvyue().args(args).output().expect("run lvyue")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/samples")
}

/// An entity folder holding one request file, the sample with `edit` applied.
fn entity(root: &Path, name: &str, sample: &str, edit: &[(&str, &str)]) {
    let mut body = std::fs::read_to_string(samples().join(sample)).unwrap();
    for (from, to) in edit {
        assert!(body.contains(from), "{sample} has no {from}");
        body = body.replace(from, to);
    }
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("request.toml"), body).unwrap();
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
}

/// The findings of a report with this code, as English messages.
fn findings(report: &serde_json::Value, code: &str) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == code)
        .map(|f| f["message_en"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_batch_finds_serials_used_twice_and_lists_every_entity() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("entities");
    // Two Guangdong companies plan to surrender the same blocks (the sample's four).
    entity(&input, "甲电厂", "guangdong-2024.toml", &[]);
    entity(&input, "乙电厂", "guangdong-2024.toml", &[]);
    // An event retires part of one of them.
    entity(&input, "广交会", "event-2023-canton-fair.toml", &[("CCER-EXAMPLE-2024-000001-002000", "CCER-2025-0101-000001-002000")]);
    // A malformed entity: its request file is not TOML.
    std::fs::create_dir_all(input.join("丁公司")).unwrap();
    std::fs::write(input.join("丁公司/request.toml"), "jurisdiction = \"cn-ets\"\nyear = [not toml").unwrap();
    let out = tmp.path().join("out");
    let ledger = tmp.path().join("ledger.sqlite");
    let o =
        run(&["batch", input.to_str().unwrap(), "--out-dir", out.to_str().unwrap(), "--ledger", ledger.to_str().unwrap(), "--jobs", "2"]);
    let (so, se) = (text(&o.stdout), text(&o.stderr));
    // The first failure's exit code: bad input.
    assert_eq!(o.status.code(), Some(3), "{so}\n{se}");
    assert!(so.contains("4 entity-year(s): 3 evaluated, 0 unchanged, 1 failed"), "{so}");
    // Not a terminal: one plain line per entity.
    assert!(se.contains("丁公司 request: failed"), "{se}");

    let a = json(&out.join("甲电厂/request-report.json"));
    let b = json(&out.join("乙电厂/request-report.json"));
    let ev = json(&out.join("广交会/request-report.json"));
    assert!(out.join("甲电厂/request-report.xlsx").is_file() && out.join("广交会/request-report.xlsx").is_file());
    assert!(!out.join("丁公司/request-report.xlsx").exists());
    // Of the two companies, the one recorded second names the first, once per block.
    let (ta, tb) = (findings(&a, "LEDGER_SERIAL_USED_TWICE"), findings(&b, "LEDGER_SERIAL_USED_TWICE"));
    assert!(ta.is_empty() || tb.is_empty(), "{ta:#?}\n{tb:#?}");
    let twice: Vec<String> = ta.into_iter().chain(tb).collect();
    assert_eq!(twice.len(), 4, "{twice:#?}");
    let gdph = twice.iter().find(|t| t.contains("GDPH-2024-0001-018000")).expect("the PHCER block");
    assert!(gdph.contains("甲电厂") && gdph.contains("乙电厂") && gdph.contains("planned for surrender"), "{gdph}");
    assert!(gdph.contains("shared serials 1–18000 (18000 units)"), "{gdph}");
    // The event's retirement and a company's surrender: two claims on the same units (DC-17),
    // found by whichever was recorded later.
    let claims: Vec<String> = [&a, &b, &ev].iter().flat_map(|r| findings(r, "LEDGER_SERIAL_SEVERAL_CLAIMS")).collect();
    assert!(!claims.is_empty());
    for c in &claims {
        assert!(c.contains("广交会") && (c.contains("甲电厂") || c.contains("乙电厂")) && c.contains("retired"), "{c}");
        assert!(c.contains("1–2000"), "{c}");
    }

    // The summary lists every entity, the failed one with its error, and totals.
    let csv = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].trim_start_matches('\u{feff}').starts_with("entity,jurisdiction,year,obligation_t"));
    for name in ["甲电厂", "乙电厂", "广交会", "丁公司"] {
        assert!(lines.iter().any(|l| l.starts_with(name)), "{name} missing:\n{csv}");
    }
    let failed = lines.iter().find(|l| l.starts_with("丁公司")).unwrap();
    assert!(failed.contains(",failed,") && failed.contains("TOML"), "{failed}");
    let total = lines.last().unwrap();
    assert!(total.starts_with("合计 Total,"), "{total}");
    // The two companies' obligations, summed.
    let obligation =
        a["metrics"].as_array().unwrap().iter().find(|m| m["key"] == "obligation_t").unwrap()["value"].as_str().unwrap().to_string();
    let sum = lvyue::decimal::format(lvyue::decimal::parse(&obligation).unwrap() * rust_decimal::Decimal::from(2));
    assert_eq!(total.split(',').nth(3), Some(sum.as_str()), "{total}");
    use calamine::Reader;
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(out.join("summary.xlsx")).unwrap();
    assert_eq!(wb.sheet_names(), ["汇总 Summary", "失败 Failures"]);
    let summary = wb.worksheet_range("汇总 Summary").unwrap();
    assert_eq!(summary.height(), 1 + 4 + 1);
    let failures = wb.worksheet_range("失败 Failures").unwrap();
    assert_eq!(failures.height(), 2);
    assert_eq!(failures.get((1, 0)).unwrap().to_string(), "丁公司");

    // The ledger: four evaluations? Three: the failed entity wrote nothing.
    let o = run(&["ledger", "--ledger", ledger.to_str().unwrap(), "list"]);
    let so = text(&o.stdout);
    assert!(o.status.success() && so.contains("3 shown"), "{so}");
    // A rerun evaluates only the failed entity again.
    let o = run(&["batch", input.to_str().unwrap(), "--out-dir", out.to_str().unwrap(), "--ledger", ledger.to_str().unwrap()]);
    assert!(text(&o.stdout).contains("3 unchanged, 1 failed"), "{}", text(&o.stdout));

    // A correction: 甲电厂 evaluated again with a smaller block is version 2; diff says what changed.
    let corrected = tmp.path().join("甲-corrected.toml");
    let body = std::fs::read_to_string(input.join("甲电厂/request.toml")).unwrap();
    assert_eq!(body.matches("quantity_t = \"18000\"").count(), 1);
    std::fs::write(
        &corrected,
        body.replace("GDPH-2024-0001-018000", "GDPH-2024-0001-010000").replace("quantity_t = \"18000\"", "quantity_t = \"10000\""),
    )
    .unwrap();
    let o = run(&["evaluate", "--request", corrected.to_str().unwrap(), "--ledger", ledger.to_str().unwrap(), "--entity", "甲电厂"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("version 2"), "{}", text(&o.stderr));
    let o = run(&["ledger", "--ledger", ledger.to_str().unwrap(), "diff", "--entity", "甲电厂", "-j", "cn-guangdong", "--year", "2024"]);
    let so = text(&o.stdout);
    assert!(o.status.success(), "{so}{}", text(&o.stderr));
    assert!(so.contains("serial    GDPH-2024-0001-018000 [compliance]: 18000 t planned → —"), "{so}");
    assert!(so.contains("serial    GDPH-2024-0001-010000 [compliance]: — → 10000 t planned"), "{so}");
    assert!(so.contains("input     "), "{so}");
    let o = run(&["ledger", "--ledger", ledger.to_str().unwrap(), "list", "--all", "--entity", "甲电厂"]);
    assert!(text(&o.stdout).contains("superseded by"), "{}", text(&o.stdout));
    let export = tmp.path().join("ledger.xlsx");
    let o = run(&["ledger", "--ledger", ledger.to_str().unwrap(), "export", export.to_str().unwrap(), "--all"]);
    assert!(o.status.success() && export.is_file(), "{}", text(&o.stderr));
}

#[test]
fn a_killed_batch_leaves_a_consistent_ledger_and_resumes() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("entities");
    let n = 12;
    for i in 0..n {
        entity(&input, &format!("e{i:02}"), "guangdong-2024.toml", &[("GDPH-2024-0001-018000", &format!("GDPH-2024-1{i:03}-018000"))]);
    }
    let out = tmp.path().join("out");
    let ledger = tmp.path().join("ledger.sqlite");
    let args = ["batch", input.to_str().unwrap(), "--out-dir", out.to_str().unwrap(), "--ledger", ledger.to_str().unwrap(), "--jobs", "1"];
    let mut child = lvyue().args(args).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    // The entities whose stamp line is complete in the batch's stamps file.
    let stamped = || -> Vec<String> {
        let text = std::fs::read_to_string(out.join(".lvyue-batch-stamps.jsonl")).unwrap_or_default();
        let mut names: Vec<String> = text
            .split_inclusive('\n')
            .filter(|l| l.ends_with('\n'))
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter_map(|v| v["entity"].as_str().map(String::from))
            .collect();
        names.sort();
        names.dedup();
        names
    };
    let stamps = || stamped().len();
    let start = Instant::now();
    while stamps() < 3 {
        assert!(start.elapsed() < Duration::from_secs(600), "the batch made no progress");
        assert!(child.try_wait().unwrap().is_none(), "the batch ended before it could be killed");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let finished = stamps();
    assert!(finished < n, "killed too late to test anything");
    // No partial file under a final name: every workbook and JSON there is whole.
    for i in 0..n {
        let dir = out.join(format!("e{i:02}"));
        let json_path = dir.join("request-report.json");
        if json_path.exists() {
            json(&json_path);
        }
    }
    // The ledger is consistent: its integrity check passes, every evaluation recorded
    // has its serial use, and finished entities are among them.
    let conn = rusqlite::Connection::open(&ledger).unwrap();
    let ok: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(ok, "ok");
    // Every evaluation recorded has all four of its serial uses (none half-written).
    let evals: i64 = conn.query_row("SELECT count(*) FROM evaluation", [], |r| r.get(0)).unwrap();
    let per_eval: Vec<i64> = conn
        .prepare("SELECT (SELECT count(*) FROM serial_use u WHERE u.evaluation_id = e.id) FROM evaluation e")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(per_eval.iter().all(|n| *n == 4), "{per_eval:?}");
    assert!(evals as usize >= finished, "{evals} evaluations recorded, {finished} entities finished");
    drop(conn);
    let finished_names = stamped();
    let done: Vec<bool> = (0..n).map(|i| finished_names.contains(&format!("e{i:02}"))).collect();
    let mtimes: Vec<Option<std::time::SystemTime>> =
        (0..n).map(|i| std::fs::metadata(out.join(format!("e{i:02}/request-report.xlsx"))).and_then(|m| m.modified()).ok()).collect();

    // The rerun finishes the rest and leaves the finished ones alone.
    let o = lvyue().args(args).output().unwrap();
    let so = text(&o.stdout);
    assert!(o.status.success(), "{so}{}", text(&o.stderr));
    assert!(so.contains(&format!("{n} entity-year(s): {} evaluated, {finished} unchanged, 0 failed", n - finished)), "{so}");
    for i in 0..n {
        let path = out.join(format!("e{i:02}/request-report.xlsx"));
        if let Some(before) = mtimes[i].filter(|_| done[i]) {
            assert_eq!(std::fs::metadata(&path).unwrap().modified().unwrap(), before, "{} was written again", path.display());
        }
        assert!(path.is_file());
    }
    // One version per entity: nothing was recorded twice.
    let conn = rusqlite::Connection::open(&ledger).unwrap();
    let (evals, max_version): (i64, i64) =
        conn.query_row("SELECT count(*), max(version) FROM evaluation", [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
    assert_eq!((evals, max_version), (n as i64, 1));
    let csv = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + n + 1, "{csv}");
}

#[cfg(unix)]
#[test]
fn a_manifest_naming_a_device_or_a_pipe_fails_those_entities_and_finishes() {
    let tmp = tempfile::tempdir().unwrap();
    let fifo = tmp.path().join("inventory-pipe.xlsx");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let s = samples();
    let (inv, port) = (s.join("cn-ets-2024-inventory.xlsx"), s.join("cn-ets-2024-portfolio.xlsx"));
    let manifest = tmp.path().join("manifest.csv");
    std::fs::write(
        &manifest,
        format!(
            "entity,jurisdiction,year,inventory,portfolio\n甲,cn-ets,2024,{},{}\n乙,cn-ets,2024,/dev/zero,{}\n丙,cn-ets,2024,{},{}\n",
            inv.display(),
            port.display(),
            port.display(),
            fifo.display(),
            port.display()
        ),
    )
    .unwrap();
    let out = tmp.path().join("out");
    let mut child = lvyue()
        .args(["batch", "--manifest", manifest.to_str().unwrap(), "--out-dir", out.to_str().unwrap(), "--jobs", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Nothing may wait on the pipe or read the device without end.
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(120) {
            child.kill().unwrap();
            panic!("the batch hung on a device or a pipe");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let o = child.wait_with_output().unwrap();
    let (so, se) = (text(&o.stdout), text(&o.stderr));
    assert_eq!(o.status.code(), Some(3), "{so}\n{se}");
    assert!(so.contains("3 entity-year(s): 1 evaluated, 0 unchanged, 2 failed"), "{so}\n{se}");
    assert!(se.contains("a device, not a regular file"), "{se}");
    assert!(se.contains("a named pipe, not a regular file"), "{se}");
    assert!(out.join("甲/2024-report.xlsx").is_file());
}
