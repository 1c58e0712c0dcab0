//! Workbooks in and out, checked by reading them back: the compliance
//! workbook against the JSON, its formulas against their cached values (and,
//! where LibreOffice is installed, against a headless recalculation), byte
//! identity, and the reading of tolerated layouts.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use calamine::{Data, Reader};
use lvyue::host::{Evaluate, Host, HostOptions};
use lvyue::report::Report;
use rust_decimal::Decimal;

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/samples")
}

fn evaluate_samples(host: &Host) -> Report {
    let bundle = host.find("cn-ets").unwrap();
    let info = host.describe(bundle).unwrap();
    let inv = samples().join("cn-ets-2024-inventory.xlsx");
    let port = samples().join("cn-ets-2024-portfolio.xlsx");
    let tables = lvyue::input::workbook::read_all(&[&inv, &port], &info.input).unwrap();
    let options = vec![("carbon_price_cny".to_string(), "92.50".to_string())];
    host.evaluate(&Evaluate { jurisdiction: "cn-ets", year: 2024, tables: &tables, options: &options, inputs: vec![] }).unwrap()
}

fn build(_host: &Host, report: &Report) -> Vec<u8> {
    lvyue::report::xlsx::build(report).unwrap()
}

fn number(d: &Data) -> Option<f64> {
    match d {
        Data::Float(f) => Some(*f),
        Data::Int(i) => Some(*i as f64),
        _ => None,
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

#[test]
fn the_workbook_reads_back_like_the_json_and_its_formulas_hold() {
    let host = Host::new(HostOptions::default()).unwrap();
    let report = evaluate_samples(&host);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.xlsx");
    std::fs::write(&path, build(&host, &report)).unwrap();

    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(&path).unwrap();
    let names = wb.sheet_names();
    for expected in [
        lvyue::report::xlsx::SUMMARY,
        lvyue::report::xlsx::DECISIONS,
        lvyue::report::xlsx::FINDINGS,
        lvyue::report::xlsx::PARAMETERS,
        lvyue::report::xlsx::TRACE,
        lvyue::report::xlsx::RUN,
    ] {
        assert!(names.iter().any(|n| n == expected), "missing sheet {expected}: {names:?}");
    }
    let summary = wb.worksheet_range(lvyue::report::xlsx::SUMMARY).unwrap();
    let formulas = wb.worksheet_formula(lvyue::report::xlsx::SUMMARY).unwrap();
    let params = wb.worksheet_range(lvyue::report::xlsx::PARAMETERS).unwrap();

    // Every metric: same key, same number as the JSON.
    let mut values: HashMap<String, Decimal> = HashMap::new();
    for (i, m) in report.metrics.iter().enumerate() {
        let r = (i + 1) as u32;
        assert_eq!(summary.get_value((r, 0)).unwrap().to_string(), m.key);
        let cell = summary.get_value((r, 3)).unwrap();
        match (m.kind, m.value.as_deref()) {
            (lvyue::report::Kind::Number, Some(v)) => {
                let got = number(cell).unwrap_or_else(|| panic!("{}: {cell:?}", m.key));
                assert!(close(got, v.parse().unwrap()), "{}: workbook {got}, JSON {v}", m.key);
                values.insert(m.key.clone(), Decimal::from_f64_retain(got).unwrap());
            }
            (_, Some(v)) => assert_eq!(cell.to_string(), v, "{}", m.key),
            (_, None) => assert!(matches!(cell, Data::Empty), "{}: {cell:?}", m.key),
        }
    }
    for (i, p) in report.parameters.iter().enumerate() {
        if p.kind == lvyue::report::Kind::Number {
            let got = number(params.get_value(((i + 1) as u32, 3)).unwrap()).unwrap();
            values.insert(p.key.clone(), Decimal::from_f64_retain(got).unwrap());
        }
    }
    // Every metric with a formula has a live formula whose cached value is what it computes.
    let mut live = 0;
    for (i, m) in report.metrics.iter().enumerate() {
        let Some(f) = &m.formula else { continue };
        let r = (i + 1) as u32;
        let excel = formulas.get_value((r, 3)).cloned().unwrap_or_default();
        assert!(!excel.is_empty(), "{} has no live formula", m.key);
        let computed = lvyue::report::formula::parse(f).unwrap().eval(&values).unwrap();
        let cached = number(summary.get_value((r, 3)).unwrap()).unwrap();
        let computed: f64 = computed.to_string().parse().unwrap();
        assert!(
            (computed - cached).abs() <= 1e-6 * cached.abs().max(1.0),
            "{}: formula {excel} computes {computed}, cached {cached}",
            m.key
        );
        live += 1;
    }
    assert!(live >= 5, "only {live} live formulas");

    // Decisions, findings and parameters: one row each.
    let mut rows = |name: &str| wb.worksheet_range(name).unwrap().height() - 1;
    assert_eq!(rows(lvyue::report::xlsx::DECISIONS), report.decisions.len());
    assert_eq!(rows(lvyue::report::xlsx::FINDINGS), report.findings.len());
    assert_eq!(rows(lvyue::report::xlsx::PARAMETERS), report.parameters.len());
    assert_eq!(rows(lvyue::report::xlsx::TRACE), report.trace.len());
}

#[test]
fn the_same_input_gives_a_byte_identical_workbook_with_run_metadata() {
    let host = Host::new(HostOptions::default()).unwrap();
    let a = build(&host, &evaluate_samples(&host));
    let b = build(&host, &evaluate_samples(&host));
    assert!(a == b, "two runs gave different bytes");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(a)).unwrap();
    let mut custom = String::new();
    zip.by_name("docProps/custom.xml").unwrap().read_to_string(&mut custom).unwrap();
    let report = evaluate_samples(&host);
    for needle in ["plugin_id", "cn-ets", "plugin_sha256", report.plugin.component_sha256.as_str(), "lvyue_tool"] {
        assert!(custom.contains(needle), "custom properties lack {needle}: {custom}");
    }
    let mut charts = 0;
    for i in 0..zip.len() {
        if zip.by_index(i).unwrap().name().unwrap().starts_with("xl/charts/chart") {
            charts += 1;
        }
    }
    let declared: usize = report.tables.iter().map(|t| t.charts.len()).sum();
    assert_eq!(charts, declared, "one chart per declared chart spec");
}

/// LibreOffice, headless, with recalculation on load forced: the strongest
/// check that the workbook opens cleanly and that each formula's cached value
/// is what the formula computes. The cached values are first overwritten with
/// zeros, so only a real recalculation can give the expected numbers.
#[test]
fn libreoffice_recalculates_the_summary_to_the_same_numbers() {
    let Some(soffice) =
        ["soffice", "libreoffice"].iter().find(|b| Command::new(b).arg("--version").output().is_ok_and(|o| o.status.success()))
    else {
        assert!(std::env::var_os("CI").is_none(), "LibreOffice must be installed in CI (.ci/run installs libreoffice-calc-nogui)");
        eprintln!("skipped: LibreOffice is not installed here");
        return;
    };
    let host = Host::new(HostOptions::default()).unwrap();
    let report = evaluate_samples(&host);
    let bytes = build(&host, &report);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("zeroed.xlsx");
    std::fs::write(&path, zero_cached_formula_results(&bytes)).unwrap();

    let profile = dir.path().join("profile");
    std::fs::create_dir_all(profile.join("user")).unwrap();
    std::fs::write(
        profile.join("user/registrymodifications.xcu"),
        r#"<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"#,
    )
    .unwrap();
    let out = dir.path().join("out");
    let status = Command::new(soffice)
        .arg(format!("-env:UserInstallation=file://{}", profile.display()))
        .args([
            "--headless",
            "--norestore",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,2",
            "--outdir",
        ])
        .arg(&out)
        .arg(&path)
        .output()
        .expect("run LibreOffice");
    assert!(status.status.success(), "LibreOffice failed: {}", String::from_utf8_lossy(&status.stderr));
    let csv = std::fs::read_to_string(out.join("zeroed.csv")).or_else(|_| {
        // Newer LibreOffice names per-sheet exports after the sheet. The Summary is the second sheet (after the answer).
        let f = std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().path()).find(|p| p.to_string_lossy().contains("Summary")).unwrap();
        std::fs::read_to_string(f)
    });
    let csv = csv.expect("the Summary sheet as CSV");
    let lines: Vec<&str> = csv.lines().collect();
    let mut checked = 0;
    for (i, m) in report.metrics.iter().enumerate() {
        if m.formula.is_none() || m.kind != lvyue::report::Kind::Number {
            continue;
        }
        let line = lines[i + 1];
        let fields = split_csv(line);
        assert_eq!(fields[0], m.key);
        let got: f64 = fields[3].replace(',', "").parse().unwrap_or_else(|_| panic!("{}: {:?}", m.key, fields[3]));
        let want: f64 = m.value.as_deref().unwrap().parse().unwrap();
        assert!((got - want).abs() <= 1e-6 * want.abs().max(1.0), "{}: LibreOffice computes {got}, lvyue {want}", m.key);
        checked += 1;
    }
    assert!(checked >= 5);
}

fn split_csv(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// Replaces every formula's cached value in the first sheet with 0.
fn zero_cached_formula_results(xlsx: &[u8]) -> Vec<u8> {
    let mut zin = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts: zip::write::SimpleFileOptions = zip::write::SimpleFileOptions::default();
    let mut zeroed = 0;
    for i in 0..zin.len() {
        let mut f = zin.by_index(i).unwrap();
        let name = f.name().unwrap().to_string();
        let mut data = Vec::new();
        f.read_to_end(&mut data).unwrap();
        if name == "xl/worksheets/sheet1.xml" {
            let mut text = String::from_utf8(data).unwrap();
            let mut pos = 0;
            while let Some(start) = text[pos..].find("</f><v>") {
                let v = pos + start + "</f><v>".len();
                let end = v + text[v..].find("</v>").unwrap();
                text.replace_range(v..end, "0");
                pos = v;
                zeroed += 1;
            }
            data = text.into_bytes();
        }
        out.start_file(name, opts).unwrap();
        out.write_all(&data).unwrap();
    }
    assert!(zeroed >= 5, "found {zeroed} cached formula results to zero");
    out.finish().unwrap().into_inner()
}

#[test]
fn tolerated_layouts_read_the_same_as_the_template_layout() {
    use rust_xlsxwriter::{Format, Formula, Workbook};
    let host = Host::new(HostOptions::default()).unwrap();
    let info = host.describe(host.find("cn-ets").unwrap()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("messy.xlsx");
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    // English-only sheet name, a merged title and a note above the header, units in headers.
    ws.set_name("Emission sources").unwrap();
    ws.merge_range(0, 0, 0, 5, "某电厂 2024 年排放清单 / Plant inventory 2024", &Format::new().set_bold()).unwrap();
    ws.write(1, 0, "prepared by the carbon team").unwrap();
    for (c, h) in ["Source", "Facility", "Emissions (万吨)", "类别", "Notes"].iter().enumerate() {
        ws.write(3, c as u16, *h).unwrap();
    }
    ws.write(4, 0, "boiler").unwrap();
    ws.write(4, 1, "U1").unwrap();
    ws.write(4, 2, 1.5).unwrap();
    ws.write(4, 3, "fuel_combustion").unwrap();
    ws.write(4, 4, "ignored column").unwrap();
    // A blank row, then a formula cell whose cached value is read.
    ws.write(6, 0, "turbine").unwrap();
    ws.write(6, 1, "U2").unwrap();
    ws.write_formula(6, 2, Formula::new("=0.25*2").set_result("0.5")).unwrap();
    ws.write(6, 3, "fuel_combustion").unwrap();
    // Holdings under their Chinese name with an ISO text date and an Excel date.
    let ws = wb.add_worksheet();
    ws.set_name("减排量持有").unwrap();
    for (c, h) in ["序列号", "类型", "项目编号", "项目登记日期", "数量 [kt]"].iter().enumerate() {
        ws.write(0, c as u16, *h).unwrap();
    }
    ws.write(1, 0, "A-1").unwrap();
    ws.write(1, 1, "CCER").unwrap();
    ws.write(1, 2, "P1").unwrap();
    ws.write(1, 3, "2025-03-01").unwrap();
    ws.write(1, 4, 2).unwrap();
    ws.write(2, 0, "A-2").unwrap();
    ws.write(2, 1, "CCER").unwrap();
    ws.write(2, 2, "P1").unwrap();
    ws.write_datetime_with_format(
        2,
        3,
        rust_xlsxwriter::ExcelDateTime::from_ymd(2016, 5, 20).unwrap(),
        &Format::new().set_num_format("yyyy-mm-dd"),
    )
    .unwrap();
    ws.write(2, 4, 1).unwrap();
    wb.save(&path).unwrap();

    let tables = lvyue::input::workbook::read_all(&[&path], &info.input).unwrap();
    let report = host.evaluate(&Evaluate { jurisdiction: "cn-ets", year: 2024, tables: &tables, options: &[], inputs: vec![] }).unwrap();
    let m = |k: &str| report.metric(k).unwrap().value.clone().unwrap();
    assert_eq!(m("verified_emissions_t"), "20000", "1.5 万吨 + 0.5 万吨");
    assert_eq!(m("offsets_eligible_t"), "2000", "2 kt new CCER; the 2016 one has expired");
    let d = report.decisions.iter().find(|d| d.subject == "A-2").unwrap();
    assert_eq!(d.reasons, ["OFFSET_LEGACY_EXPIRED"]);
    assert!(report.findings.iter().any(|f| f.cells.iter().any(|c| c == "减排量持有!D3")), "{:?}", report.findings);
}

/// .ods and .xls inputs (made from the samples by LibreOffice) read like the .xlsx ones.
#[test]
fn ods_and_xls_inputs_read_like_xlsx() {
    let Some(soffice) =
        ["soffice", "libreoffice"].iter().find(|b| Command::new(b).arg("--version").output().is_ok_and(|o| o.status.success()))
    else {
        assert!(std::env::var_os("CI").is_none(), "LibreOffice must be installed in CI (.ci/run installs libreoffice-calc-nogui)");
        eprintln!("skipped: LibreOffice is not installed here");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("profile");
    let convert = |file: &str, to: &str| {
        let o = Command::new(soffice)
            .arg(format!("-env:UserInstallation=file://{}", profile.display()))
            .args(["--headless", "--norestore", "--convert-to", to, "--outdir"])
            .arg(dir.path())
            .arg(samples().join(file))
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    convert("cn-ets-2024-inventory.xlsx", "ods");
    convert("cn-ets-2024-portfolio.xlsx", "xls:MS Excel 97");
    let host = Host::new(HostOptions::default()).unwrap();
    let info = host.describe(host.find("cn-ets").unwrap()).unwrap();
    let inv = dir.path().join("cn-ets-2024-inventory.ods");
    let port = dir.path().join("cn-ets-2024-portfolio.xls");
    let tables = lvyue::input::workbook::read_all(&[&inv, &port], &info.input).unwrap();
    let options = vec![("carbon_price_cny".to_string(), "92.50".to_string())];
    let other =
        host.evaluate(&Evaluate { jurisdiction: "cn-ets", year: 2024, tables: &tables, options: &options, inputs: vec![] }).unwrap();
    let xlsx = evaluate_samples(&host);
    assert_eq!(other.metrics, xlsx.metrics);
    assert_eq!(other.decisions.len(), xlsx.decisions.len());
}
