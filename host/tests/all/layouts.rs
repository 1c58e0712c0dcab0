//! The official layouts (months as columns, vertical forms) declared by
//! cn-ets's manifest, end to end: the bundled sample plant gives the same
//! annual numbers as its annual-row twin, nine months give a forecast with
//! its method, the guideline's monthly checks are findings, the official
//! template round-trips, and the WPS corpus (`tests/malformed/wps/`) is read
//! or refused as `cases.toml` there says.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use lvyue::host::{Evaluate, Host, HostOptions, RunError};
use lvyue::input::{RawCell, RawRow, RawTable, RawValue};
use lvyue::job::{self, JobInput};
use lvyue::report::Report;

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/samples")
}

fn host() -> Host {
    Host::new(HostOptions::default()).unwrap()
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lvyue-layouts-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run(host: &Host, input: JobInput) -> Result<Report, RunError> {
    let mut loaded = job::load(host, &input)?;
    host.evaluate(&loaded.remove(0).job())
}

fn request(name: &str) -> JobInput {
    JobInput { request: Some(samples().join(name)), ..Default::default() }
}

/// The options of a sample request file.
fn options_of(name: &str) -> Vec<(String, String)> {
    lvyue::input::request::RequestFile::read(&samples().join(name)).unwrap().options
}

fn workbooks(inventory: &str, portfolio: &str, options: Vec<(String, String)>) -> JobInput {
    JobInput {
        jurisdictions: vec!["cn-ets".into()],
        year: Some(2024),
        inventory: Some(samples().join(inventory)),
        portfolio: Some(samples().join(portfolio)),
        request: None,
        options,
    }
}

fn metrics(r: &Report) -> BTreeMap<String, Option<String>> {
    r.metrics.iter().map(|m| (m.key.clone(), m.value.clone())).collect()
}

fn codes(r: &Report) -> Vec<&str> {
    r.findings.iter().map(|f| f.code.as_str()).collect()
}

fn finding<'a>(r: &'a Report, code: &str) -> &'a lvyue::report::FindingOut {
    r.findings.iter().find(|f| f.code == code).unwrap_or_else(|| panic!("no {code} in {:?}", codes(r)))
}

#[test]
fn the_sample_plant_gives_its_annual_twins_numbers() {
    let host = host();
    // The twin: cn-ets-2024.toml, one row per source and per unit.
    let twin = run(&host, request("cn-ets-2024.toml")).unwrap();
    // The plant in the official layout (months as columns), with the twin's portfolio and options.
    let official =
        run(&host, workbooks("cn-ets-2024-plant-inventory.xlsx", "cn-ets-2024-portfolio.xlsx", options_of("cn-ets-2024.toml"))).unwrap();
    // And the same months as records in a request file, and in the records template's sheets.
    let records = run(&host, request("cn-ets-2024-plant.toml")).unwrap();
    let bundle = host.find("cn-ets").unwrap();
    let (inventory, _) = lvyue::input::template::split(&host.describe(bundle).unwrap());
    let req = lvyue::input::request::RequestFile::read(&samples().join("cn-ets-2024-plant.toml")).unwrap();
    let dir = temp("records");
    let sheet = dir.join("records.xlsx");
    std::fs::write(&sheet, lvyue::input::template::build_with_data(&inventory, Some(2024), &req.tables).unwrap()).unwrap();
    let mut input = workbooks("cn-ets-2024-plant-inventory.xlsx", "cn-ets-2024-portfolio.xlsx", options_of("cn-ets-2024.toml"));
    input.inventory = Some(sheet);
    let as_records = run(&host, input).unwrap();
    let expected = metrics(&twin);
    assert!(expected.len() > 20, "{expected:?}");
    for (name, report) in [("official layout", &official), ("monthly records", &records), ("records workbook", &as_records)] {
        let got = metrics(report);
        let differ: Vec<String> = expected
            .iter()
            .filter(|(k, v)| got.get(*k) != Some(v))
            .map(|(k, v)| format!("{k}: twin {v:?}, {name} {:?}", got.get(k)))
            .collect();
        assert!(differ.is_empty(), "{name} differs from the annual twin:\n{}", differ.join("\n"));
    }
    assert_eq!(official.metrics.iter().find(|m| m.key == "verified_emissions_t").unwrap().value.as_deref(), Some("3551367"));
    // The coal's carbon content was not measured: the conservative default, as a finding.
    assert!(finding(&official, "DEFAULT_CARBON_CONTENT").message.en.contains("conservative default"));
    assert!(!codes(&official).contains(&"ANNUAL_MISMATCH"), "{:?}", codes(&official));
    assert!(!codes(&official).contains(&"FORECAST"));
    // The trace reaches the official sheet's cells: heat = Σ consumption × NCV over C7:N8.
    let heat = official.trace.iter().find(|s| s.description.en.contains("fuel heat")).expect("a heat step");
    // Each value's mode, data source and evidence file are carried into the trace…
    for said in ["value mode 实测值", "data source 入炉煤皮带秤计量台账", "evidence 2024年入炉煤低位发热量化验报告.pdf"]
    {
        assert!(heat.description.en.contains(said), "{said} not in {}", heat.description.en);
    }
    assert!(heat.description.zh.contains("获取方式 实测值"), "{}", heat.description.zh);
    // …and listed per cell.
    let used = official.tables.iter().find(|t| t.key == "monthly_parameters").expect("the months used");
    assert_eq!(used.rows.len(), 120);
    let jan = used.rows.iter().find(|r| r.last().and_then(|c| c.as_deref()) == Some("附表C.3 化石燃料燃烧排放表!C8")).expect("C8");
    assert!(jan.iter().any(|c| c.as_deref() == Some("实测值")) && jan.iter().any(|c| c.as_deref() == Some("20.943")), "{jan:?}");
    for cell in ["附表C.3 化石燃料燃烧排放表!C7", "附表C.3 化石燃料燃烧排放表!C8", "附表C.3 化石燃料燃烧排放表!N7"]
    {
        assert!(heat.inputs.iter().any(|i| i == cell), "{cell} not in {:?}", heat.inputs);
    }
    // Generation from the production table, and the unit's category from the C.2 form.
    assert!(official.trace.iter().any(|s| { s.inputs.iter().any(|i| i.starts_with("生产数据及排放量汇总表!C6")) }));
    assert!(finding(&official, "GAS_TOP_UP").cells.iter().any(|c| c.starts_with("附表C.2 机组及生产设施信息表!B")));
}

#[test]
fn nine_months_forecast_the_year_with_the_method_stated() {
    let host = host();
    let r = run(
        &host,
        workbooks(
            "cn-ets-2024-plant-september-inventory.xlsx",
            "cn-ets-2024-plant-september-portfolio.xlsx",
            options_of("cn-ets-2024-plant-september.toml"),
        ),
    )
    .unwrap();
    let f = finding(&r, "FORECAST");
    assert!(f.message.en.contains("as of 2024-09") && f.message.en.contains("run rate of 9 months: × 12 / 9"), "{}", f.message.en);
    assert!(f.message.zh.contains("年度预测"), "{}", f.message.zh);
    // Every forecast metric says so; the holdings and the user's price do not.
    for m in &r.metrics {
        let labelled = m.label.en.contains("(forecast, as of 2024-09)") && m.label.zh.contains("预测");
        let exempt = ["carbon_price_cny", "surrender_deadline", "allowances_held_t", "offsets_eligible_t", "carry_over_limit_t"]
            .contains(&m.key.as_str());
        assert_eq!(labelled, !exempt, "{}: {}", m.key, m.label.en);
    }
    // Every table is a forecast but the months used, which are actual values.
    assert!(r.tables.iter().all(|t| t.name.en.ends_with("(forecast)") != (t.key == "monthly_parameters")));
    // The forecast is the nine months × 12/9: coal heat and gas consumption scaled.
    let step = r.trace.iter().find(|s| s.description.en.starts_with("Fuel heat (forecast)")).expect("a forecast step");
    assert!(step.description.en.contains("× 12 / 9"), "{}", step.description.en);
    let m = metrics(&r);
    let full = metrics(&run(&host, request("cn-ets-2024.toml")).unwrap());
    let (f9, f12): (f64, f64) =
        (m["verified_emissions_t"].as_ref().unwrap().parse().unwrap(), full["verified_emissions_t"].as_ref().unwrap().parse().unwrap());
    assert!((f9 / f12 - 1.0).abs() < 0.05, "forecast {f9} vs the year {f12}");
    assert!(m.contains_key("shortfall_cost_cny"));
}

#[test]
fn as_of_on_the_command_line_forecasts_a_full_year_file() {
    let dir = temp("as-of");
    let json = dir.join("r.json");
    let out = Command::new(env!("CARGO_BIN_EXE_lvyue"))
        .args(["evaluate", "-j", "cn-ets", "--year", "2024", "--inventory"])
        .arg(samples().join("cn-ets-2024-plant-inventory.xlsx"))
        .arg("--portfolio")
        .arg(samples().join("cn-ets-2024-plant-portfolio.xlsx"))
        .args(["--as-of", "2024-06", "--option", "carbon_price_cny=92.50", "--json"])
        .arg(&json)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&json).unwrap();
    assert!(text.contains("data as of 2024-06 (set by the option as_of)"), "no forecast in the JSON");
    assert!(text.contains("DATA_AFTER_AS_OF"));
    assert!(text.contains("run rate of 6 months: × 12 / 6"));
    // A month that is no month is a usage error before any plugin work.
    let bad = Command::new(env!("CARGO_BIN_EXE_lvyue"))
        .args(["evaluate", "--request"])
        .arg(samples().join("cn-ets-2024-plant.toml"))
        .args(["--as-of", "2024-13"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2), "{}", String::from_utf8_lossy(&bad.stderr));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("YYYY-MM"));
}

/// The plant's request tables, changed by `f`.
fn plant_tables(f: impl FnOnce(&mut Vec<RawTable>)) -> Vec<RawTable> {
    let mut req = lvyue::input::request::RequestFile::read(&samples().join("cn-ets-2024-plant.toml")).unwrap();
    f(&mut req.tables);
    req.tables
}

fn monthly(tables: &mut [RawTable]) -> &mut RawTable {
    tables.iter_mut().find(|t| t.key == "monthly_parameters").unwrap()
}

fn text_of(r: &RawRow, k: &str) -> String {
    match r.cells.get(k).map(|c| &c.value) {
        Some(RawValue::Text(t)) | Some(RawValue::Number(t)) => t.clone(),
        _ => String::new(),
    }
}

fn set(r: &mut RawRow, k: &str, v: RawValue) {
    let at = format!("{}.{k}", r.source);
    r.cells.insert(k.into(), RawCell { value: v, at });
}

fn evaluate(host: &Host, mut tables: Vec<RawTable>, year: u16, options: &[(&str, &str)]) -> Report {
    let bundle = host.find("cn-ets").unwrap();
    let info = host.describe(bundle).unwrap();
    lvyue::input::layout::normalise(&mut tables, &info.input, bundle.manifest.layouts()).unwrap();
    let options: Vec<(String, String)> = options.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    host.evaluate(&Evaluate { jurisdiction: "cn-ets", year, tables: &tables, options: &options, inputs: vec![] })
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_guidelines_monthly_checks_are_findings() {
    let host = host();
    let tables = plant_tables(|t| {
        let m = monthly(t);
        for r in m.rows.iter_mut() {
            let (item, month) = (text_of(r, "item"), text_of(r, "month").parse::<u32>().unwrap_or(0));
            // Unit 1's NCV: measured, then the default from October (6.2.2.2).
            if item == "ncv" && month >= 10 {
                set(r, "value_mode", RawValue::Text("缺省值".into()));
            }
            // Unit 2's consumption: calculated in March, a mode change is only checked for the NCV.
        }
        // Unit 2's gas consumption for May is missing.
        m.rows.retain(|r| !(text_of(r, "group") == "2号机组 Unit 2" && text_of(r, "item") == "consumption" && text_of(r, "month") == "5"));
        // Gas NCV measured in two modes.
        for (month, mode) in [(1, "实测值"), (2, "计算值")] {
            let mut r = RawRow { source: format!("test!ncv{month}"), cells: lvyue::input::Cells::new() };
            for (k, v) in [("group", "2号机组 Unit 2"), ("fuel", "天然气"), ("item", "ncv"), ("unit", "GJ/10^4 Nm3"), ("value_mode", mode)]
            {
                set(&mut r, k, RawValue::Text(v.into()));
            }
            set(&mut r, "month", RawValue::Number(month.to_string()));
            set(&mut r, "value", RawValue::Number("389.31".into()));
            m.rows.push(r);
        }
        // The year's NCV stated as 20.95: the months weighted by consumption give 20.908.
        let mut r = RawRow { source: "test!year".into(), cells: lvyue::input::Cells::new() };
        for (k, v) in [("group", "1号机组 Unit 1"), ("fuel", "烟煤"), ("item", "低位发热量"), ("unit", "MJ/kg")] {
            set(&mut r, k, RawValue::Text(v.into()));
        }
        set(&mut r, "value", RawValue::Number("20.95".into()));
        m.rows.push(r);
    });
    let r = evaluate(&host, tables, 2024, &[]);
    let reverts = finding(&r, "MEASURED_REVERTS_TO_DEFAULT");
    assert!(reverts.message.en.contains("month(s) 10, 11, 12") && reverts.message.en.contains("6.2.2.2"), "{}", reverts.message.en);
    assert!(finding(&r, "NCV_MODE_CHANGED").message.en.contains("天然气"));
    let missing = finding(&r, "MONTH_MISSING");
    assert!(missing.message.en.contains("2号机组 Unit 2 天然气") && missing.message.en.contains("month(s) 5"), "{}", missing.message.en);
    let mismatch = finding(&r, "ANNUAL_MISMATCH");
    assert!(
        mismatch.message.en.contains("20.95")
            && mismatch.message.en.contains("20.908")
            && mismatch.message.en.contains("consumption-weighted"),
        "{}",
        mismatch.message.en
    );
    assert_eq!(mismatch.cells, ["test!year.value"]);
    // A year stated at the months' precision is no mismatch.
    let tables = plant_tables(|t| {
        let mut r = RawRow { source: "test!year".into(), cells: lvyue::input::Cells::new() };
        for (k, v) in [("group", "1号机组 Unit 1"), ("fuel", "烟煤"), ("item", "ncv"), ("unit", "GJ/t")] {
            set(&mut r, k, RawValue::Text(v.into()));
        }
        set(&mut r, "value", RawValue::Number("20.908".into()));
        monthly(t).rows.push(r);
    });
    assert!(!codes(&evaluate(&host, tables, 2024, &[])).contains(&"ANNUAL_MISMATCH"));
}

#[test]
fn the_previous_years_months_give_the_seasonal_method() {
    let host = host();
    let tables = plant_tables(|t| {
        let m = monthly(t);
        let previous: Vec<RawRow> = m
            .rows
            .iter()
            .map(|r| {
                let mut p = r.clone();
                set(&mut p, "year", RawValue::Number("2023".into()));
                p
            })
            .collect();
        m.rows.retain(|r| text_of(r, "month").parse::<u32>().unwrap_or(0) <= 6);
        m.rows.extend(previous);
    });
    let r = evaluate(&host, tables, 2024, &[("as_of", "2024-06")]);
    let f = finding(&r, "FORECAST");
    assert!(f.message.en.contains("2023 full year ÷ 2023 same months (1, 2, 3, 4, 5, 6)"), "{}", f.message.en);
    // 2023 the same as 2024: the seasonal forecast of generation and gas is the year itself.
    let gen_step = r.trace.iter().find(|s| s.description.en.starts_with("Generation (forecast)")).unwrap();
    assert_eq!(gen_step.value.as_deref(), Some("3300000"), "{}", gen_step.description.en);
}

#[test]
fn months_past_their_upload_deadline_are_findings() {
    let host = host();
    // 2025: the 40-day deadline is in force from 2025-07-01. Data for January to June, as of September.
    let tables = plant_tables(|t| {
        let m = monthly(t);
        m.rows.retain(|r| text_of(r, "month").parse::<u32>().unwrap_or(0) <= 6);
    });
    let r = evaluate(&host, tables, 2025, &[("as_of", "2025-09")]);
    let late: Vec<&str> = r.findings.iter().filter(|f| f.code == "MONTH_OVERDUE").map(|f| f.message.en.as_str()).collect();
    // July's deadline (2025-09-09) has passed on 2025-09-30; August's (2025-10-10) has not.
    assert_eq!(late.len(), 1, "{late:?}");
    assert!(late[0].contains("2025-07") && late[0].contains("2025-09-09"), "{}", late[0]);
    // In 2024 the rules give no monthly deadline: no such finding.
    let tables = plant_tables(|t| monthly(t).rows.retain(|r| text_of(r, "month").parse::<u32>().unwrap_or(0) <= 6));
    assert!(!codes(&evaluate(&host, tables, 2024, &[("as_of", "2024-09")])).contains(&"MONTH_OVERDUE"));
}

/// The monthly rows as comparable tuples.
fn tuples(t: &RawTable) -> Vec<Vec<String>> {
    let mut v: Vec<Vec<String>> = t
        .rows
        .iter()
        .filter(|r| !text_of(r, "month").is_empty())
        .map(|r| {
            let metered = match r.cells.get("metered").map(|c| &c.value) {
                Some(RawValue::Bool(b)) => b.to_string(),
                Some(RawValue::Text(t)) => (t == "是").to_string(),
                _ => String::new(),
            };
            let mut v: Vec<String> = ["group", "fuel", "item", "month", "value", "unit", "value_mode", "data_source", "evidence"]
                .iter()
                .map(|k| text_of(r, k))
                .collect();
            v.push(metered);
            v
        })
        .collect();
    v.sort();
    v
}

#[test]
fn the_official_template_round_trips() {
    let host = host();
    let bundle = host.find("cn-ets").unwrap();
    let info = host.describe(bundle).unwrap();
    let layouts = bundle.manifest.layouts();
    let dir = temp("template");
    // The empty template: every layout's sheet, read back as nothing to evaluate.
    let empty = dir.join("empty.xlsx");
    let out = Command::new(env!("CARGO_BIN_EXE_lvyue"))
        .args(["template", "cn-ets", "--layout", "official", "--year", "2024", "-o"])
        .arg(&empty)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("附表C.3 化石燃料燃烧排放表"));
    let mut books = lvyue::input::workbook::open_all(&[&empty]).unwrap();
    let read = lvyue::input::layout::tables(&mut books, &info.input, layouts).unwrap_or_else(|p| panic!("{p:#?}"));
    assert!(read.iter().filter(|t| t.key == "monthly_parameters").all(|t| t.rows.is_empty()), "{read:#?}");
    // Filled with the plant's months and read back: the same rows.
    let mut req = lvyue::input::request::RequestFile::read(&samples().join("cn-ets-2024-plant.toml")).unwrap();
    let bytes = lvyue::input::layout::template::build(&info, layouts, Some(2024), &req.tables).unwrap();
    let filled = dir.join("filled.xlsx");
    std::fs::write(&filled, bytes).unwrap();
    let mut books = lvyue::input::workbook::open_all(&[&filled]).unwrap();
    let read = lvyue::input::layout::tables(&mut books, &info.input, layouts).unwrap_or_else(|p| panic!("{p:#?}"));
    lvyue::input::layout::normalise(&mut req.tables, &info.input, layouts).unwrap();
    let (given, back) = (monthly(&mut req.tables).clone(), read.iter().find(|t| t.key == "monthly_parameters").unwrap());
    assert_eq!(tuples(&given).len(), 120);
    assert_eq!(tuples(back), tuples(&given));
    // Each 全年 is the live formula's cached result, and agrees with what the months give.
    let years: Vec<&RawRow> = back.rows.iter().filter(|r| text_of(r, "month").is_empty()).collect();
    assert!(years.len() >= 8, "{}", years.len());
    for y in years {
        let (stated, months) = (text_of(y, "value"), text_of(y, "months_value"));
        let (s, m): (f64, f64) = (stated.parse().unwrap(), months.parse().unwrap());
        assert!((s - m).abs() < 1e-9, "{}: {stated} vs {months}", text_of(y, "item"));
    }
    // The unit form too.
    let units = read.iter().find(|t| t.key == "generating_unit_info").unwrap();
    assert_eq!(units.rows.len(), 2);
    assert_eq!(units.rows[1].cells.get("category").unwrap().value, RawValue::Text("IV".into()));
}

// ---- the WPS corpus -------------------------------------------------------------

#[derive(serde::Deserialize)]
struct Corpus {
    case: Vec<WpsCase>,
}

#[derive(serde::Deserialize)]
struct WpsCase {
    file: String,
    #[allow(dead_code)]
    recipe: String,
    exit: i32,
    expect: Vec<String>,
    /// The portfolio given with the inventory (default: the plant's).
    #[serde(default)]
    portfolio: Option<String>,
}

#[test]
fn the_wps_corpus_is_read_or_refused_naming_the_cell() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/malformed/wps");
    let corpus: Corpus = toml::from_str(&std::fs::read_to_string(root.join("cases.toml")).unwrap()).unwrap();
    assert!(corpus.case.len() >= 10);
    let dir = temp("wps");
    let mut failures = Vec::new();
    for c in &corpus.case {
        let input = root.join(&c.file);
        let before = std::fs::read(&input).unwrap_or_else(|e| panic!("{}: {e}", input.display()));
        let portfolio = samples().join(c.portfolio.as_deref().unwrap_or("cn-ets-2024-plant-portfolio.xlsx"));
        let out_xlsx = dir.join(format!("{}.out.xlsx", c.file));
        let out_json = dir.join(format!("{}.out.json", c.file));
        for command in ["evaluate", "validate"] {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_lvyue"));
            cmd.args([command, "-j", "cn-ets", "--year", "2024", "--inventory"]).arg(&input).arg("--portfolio").arg(&portfolio);
            if command == "evaluate" {
                cmd.args(["--option", "carbon_price_cny=92.50", "--out"]).arg(&out_xlsx).arg("--json").arg(&out_json);
            }
            let out = cmd.output().unwrap();
            let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
            if out.status.code() != Some(c.exit) {
                failures.push(format!("{} ({command}): exit {:?}, expected {}:\n{text}", c.file, out.status.code(), c.exit));
                continue;
            }
            let looked_in = if c.exit == 0 && command == "evaluate" {
                std::fs::read_to_string(&out_json).unwrap_or_default() + &text
            } else {
                text.clone()
            };
            for e in &c.expect {
                if (c.exit != 0 || command == "evaluate") && !looked_in.contains(e.as_str()) {
                    failures.push(format!("{} ({command}): no `{e}` in:\n{text}", c.file));
                }
            }
            if c.exit != 0 && (out_xlsx.exists() || out_json.exists()) {
                failures.push(format!("{} ({command}): an output was written on an error", c.file));
            }
        }
        assert_eq!(std::fs::read(&input).unwrap(), before, "{} was changed", c.file);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
