//! The layouts read from workbooks written here: a months sheet with the
//! official forms' quirks, a vertical form, and the problems they give.

use std::path::PathBuf;

use rust_xlsxwriter::{Format, Formula, Workbook as Writer};

use super::*;
use crate::contract::{ColumnSpec, TextZhEn};

const MANIFEST: &str = r#"
[[layout]]
id = "fuel"
kind = "months"
target = "monthly"
name = { zh = "附表C.3 化石燃料燃烧排放表", en = "Table C.3" }
sheets = ["化石燃料燃烧排放"]

[layout.group]
name = { zh = "机组", en = "Unit" }
markers = ["机组"]

[layout.fuel]
markers = ["燃料", "第i种"]

[layout.fuel.units]
"t" = ["烟煤", "燃煤"]
"10^4 Nm3" = ["天然气"]

[[layout.item]]
key = "consumption"
zh = "消耗量"
en = "Consumption"
aliases = ["第i种化石燃料的消耗量"]
units = ["t", "10^4 Nm3"]
annual = "sum"

[[layout.item]]
key = "ncv"
zh = "低位发热量"
en = "Net calorific value"
aliases = ["第i种化石燃料的收到基低位发热量"]
units = ["GJ/t", "GJ/10^4 Nm3"]
unit_follows = "consumption"
annual = "weighted_mean"
weight = "consumption"

[[layout.item]]
key = "oxidation"
zh = "碳氧化率"
en = "Oxidation rate"
units = ["ratio"]

[[layout.item]]
key = "generation"
zh = "发电量"
en = "Generation"
units = ["MWh"]
per = "group"
annual = "sum"

[[layout]]
id = "units"
kind = "form"
target = "unit_info"
name = { zh = "附表C.2 机组信息表", en = "Table C.2" }
sheets = ["Unit info"]

[layout.group]
name = { zh = "机组", en = "Unit" }
markers = ["机组"]
column = "facility"

[[layout.item]]
key = "category"
zh = "机组类别"
en = "Category"
kind = "text"

[[layout.item]]
key = "capacity"
zh = "装机容量"
en = "Capacity"
units = ["MW"]
"#;

fn layouts() -> Vec<Layout> {
    let input: ManifestInput = toml::from_str(MANIFEST).unwrap();
    validate(&input).unwrap();
    input.layout
}

fn tz(s: &str) -> TextZhEn {
    TextZhEn { zh: s.into(), en: s.into() }
}

fn col(key: &str, kind: ValueKind) -> ColumnSpec {
    ColumnSpec {
        key: key.into(),
        name: tz(key),
        kind,
        unit: None,
        required: false,
        choices: vec![],
        minimum: None,
        help: tz(""),
        examples: vec![],
    }
}

fn specs() -> Vec<SheetSpec> {
    let kind = |k: &str| match k {
        role::YEAR | role::MONTH | role::VALUE | role::MONTHS_VALUE => ValueKind::Number,
        role::METERED => ValueKind::Boolean,
        _ => ValueKind::Text,
    };
    vec![
        SheetSpec {
            key: "monthly".into(),
            name: tz("Monthly"),
            schema: None,
            required: false,
            columns: role::ALL.iter().map(|k| col(k, kind(k))).collect(),
            unique_key: vec!["group".into(), "fuel".into(), "item".into(), "year".into(), "month".into()],
            help: tz(""),
        },
        SheetSpec {
            key: "unit_info".into(),
            name: tz("Unit info"),
            schema: None,
            required: false,
            columns: vec![col("facility", ValueKind::Text), col("category", ValueKind::Text), col("capacity", ValueKind::Number)],
            unique_key: vec!["facility".into()],
            help: tz(""),
        },
    ]
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lvyue-layout-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(format!("{name}.xlsx"))
}

fn read(path: &std::path::Path) -> Result<Vec<RawTable>, Vec<InputProblem>> {
    let mut books = vec![Workbook::open(path).unwrap()];
    tables(&mut books, &specs(), &layouts())
}

/// Rows as (group, fuel, item, month, value, unit, mode, months_value).
fn flat(t: &RawTable) -> Vec<[String; 8]> {
    let s = |r: &RawRow, k: &str| match r.cells.get(k).map(|c| &c.value) {
        Some(RawValue::Text(x)) | Some(RawValue::Number(x)) => x.clone(),
        Some(RawValue::Bool(b)) => b.to_string(),
        _ => String::new(),
    };
    t.rows
        .iter()
        .map(|r| {
            [
                s(r, "group"),
                s(r, "fuel"),
                s(r, "item"),
                s(r, "month"),
                s(r, "value"),
                s(r, "unit"),
                s(r, "value_mode"),
                s(r, "months_value"),
            ]
        })
        .collect()
}

/// A C.3 sheet as carbon managers keep it: a title, a header merged over two
/// rows with footnote markers and quarter subtotals, unit and fuel headers,
/// numbered items, `--`, units in the forms' spellings.
fn months_workbook(path: &std::path::Path) {
    let mut wb = Writer::new();
    let ws = wb.add_worksheet();
    ws.set_name("附表C.3 化石燃料燃烧排放表（2024年）").unwrap();
    let merge = Format::new();
    ws.merge_range(0, 0, 0, 10, "附表C.3 化石燃料燃烧排放表", &merge).unwrap();
    // Two header rows: 信息项 and 单位 merged down, the months under a merged 月份.
    ws.merge_range(1, 0, 2, 0, "信息项*1*2", &merge).unwrap();
    ws.merge_range(1, 1, 2, 1, "单位", &merge).unwrap();
    ws.merge_range(1, 2, 1, 5, "月份", &merge).unwrap();
    for (c, h) in ["1\n月", "2月", "3月", "第一季度"].iter().enumerate() {
        ws.write(2, 2 + c as u16, *h).unwrap();
    }
    for (c, h) in ["全年", "获取方式", "是否配备直接计量器具", "数据来源*3", "支撑材料*4"].iter().enumerate() {
        ws.merge_range(1, 6 + c as u16, 2, 6 + c as u16, h, &merge).unwrap();
    }
    // Unit 1, coal: tonnes; NCV in the either-or unit, measured then default.
    ws.merge_range(3, 0, 3, 10, "机组：1号机组", &merge).unwrap();
    ws.write(4, 0, "燃料品种：烟煤").unwrap();
    ws.write_row(5, 0, ["第1种化石燃料的消耗量", "t"]).unwrap();
    ws.write_row(5, 2, [100.0, 200.0, 300.0, 600.0]).unwrap();
    ws.write_formula(5, 6, Formula::new("=SUM(C6:E6)").set_result("600")).unwrap();
    ws.write_row(5, 7, ["实测值", "是", "皮带秤台账", "2024-皮带秤.pdf"]).unwrap();
    ws.write_row(6, 0, ["第1种化石燃料的收到基低位发热量", "GJ/t 或 GJ/10⁴Nm³"]).unwrap();
    ws.write_row(6, 2, [20.0, 21.0, 22.0]).unwrap();
    ws.write(6, 5, "--").unwrap();
    // The stated year: (100×20 + 200×21 + 300×22) / 600 = 21.333…, written as 21.3.
    ws.write(6, 6, 21.3).unwrap();
    ws.write(6, 7, "1-2月：实测值；3月：缺省值").unwrap();
    ws.write_row(7, 0, ["碳氧化率", "%"]).unwrap();
    ws.write_row(7, 2, [99.0, 99.0, 99.0]).unwrap();
    ws.write(7, 6, "/").unwrap();
    // Unit-level generation after the fuel block, in the middle-dot spelling.
    ws.write_row(8, 0, ["发电量", "MW·h"]).unwrap();
    ws.write_row(8, 2, [1000.0, 1100.0, 1200.0]).unwrap();
    // Unit 2, gas, volumes flattened to 104Nm3; an item the layout does not know.
    ws.write(9, 0, "2号机组").unwrap();
    ws.write(10, 0, "燃料：天然气").unwrap();
    ws.write_row(11, 0, ["消耗量", "104Nm3"]).unwrap();
    ws.write_row(11, 2, [10.0, 11.0, 12.0]).unwrap();
    ws.write_row(12, 0, ["低位发热量", ""]).unwrap();
    ws.write_row(12, 2, [389.31, 389.31, 389.31]).unwrap();
    ws.write_row(13, 0, ["供热比", "%"]).unwrap();
    ws.write_row(13, 2, [5.0, 6.0, 7.0]).unwrap();
    ws.write(15, 0, "注：*1 按核算指南填写。").unwrap();
    wb.save(path).unwrap();
}

#[test]
fn a_months_sheet_is_read_however_it_is_laid_out() {
    let path = temp("months");
    months_workbook(&path);
    let tables = read(&path).unwrap_or_else(|p| panic!("{p:#?}"));
    let t = tables.iter().find(|t| t.key == "monthly").unwrap();
    let rows = flat(t);
    let find = |g: &str, item: &str, m: &str| {
        rows.iter().find(|r| r[0] == g && r[2] == item && r[3] == m).unwrap_or_else(|| panic!("{g} {item} {m} in {rows:#?}")).clone()
    };
    // Coal consumption: months 1-3 (the quarter subtotal is skipped) and the year.
    assert_eq!(find("1号机组", "consumption", "1")[1..6], ["烟煤", "consumption", "1", "100", "t"]);
    assert_eq!(rows.iter().filter(|r| r[0] == "1号机组" && r[2] == "consumption").count(), 4);
    let year = find("1号机组", "consumption", "");
    assert_eq!((year[4].as_str(), year[7].as_str()), ("600", "600"));
    // NCV: the either-or unit follows the consumption; modes by month; the year vs the weighted mean.
    let ncv = find("1号机组", "ncv", "3");
    assert_eq!((ncv[4].as_str(), ncv[5].as_str(), ncv[6].as_str()), ("22", "GJ/t", "缺省值"));
    assert_eq!(find("1号机组", "ncv", "1")[6], "实测值");
    let ncv_year = find("1号机组", "ncv", "");
    assert_eq!(ncv_year[4], "21.3");
    assert!(ncv_year[7].starts_with("21.333333"), "{ncv_year:?}");
    // % as a fraction; "/" and "--" are blank by design.
    assert_eq!(find("1号机组", "oxidation", "2")[4..6], ["0.99", "ratio"]);
    assert!(!rows.iter().any(|r| r[2] == "oxidation" && r[3].is_empty()));
    // Generation is the unit's, whatever fuel block it follows; MW·h is MWh.
    assert_eq!(find("1号机组", "generation", "3")[1..6], ["", "generation", "3", "1200", "MWh"]);
    // Gas: 104Nm3 read as 10⁴Nm³; a blank unit on the NCV follows the consumption.
    assert_eq!(find("2号机组", "consumption", "2")[4..6], ["11", "10^4 Nm3"]);
    assert_eq!(find("2号机组", "ncv", "2")[4..6], ["389.31", "GJ/10^4 Nm3"]);
    // An item the layout does not declare is passed on under its label.
    assert_eq!(find("2号机组", "供热比", "1")[4], "5");
    // Each value names its cell.
    let cell = t
        .rows
        .iter()
        .find(|r| {
            r.cells.get("item").is_some_and(|c| c.value == RawValue::Text("ncv".into()))
                && r.cells.get("month").is_some_and(|c| c.value == RawValue::Number("2".into()))
        })
        .unwrap();
    assert_eq!(cell.cells.get("value").unwrap().at, "附表C.3 化石燃料燃烧排放表（2024年）!D7");
    assert_eq!(cell.cells.get("year").unwrap().value, RawValue::Number("2024".into()));
    // And the rows pass the ordinary checks.
    crate::input::check(&specs(), &tables).unwrap_or_else(|p| panic!("{p:#?}"));
}

#[test]
fn a_vertical_form_gives_one_record_per_group() {
    let path = temp("form");
    let mut wb = Writer::new();
    let ws = wb.add_worksheet();
    ws.set_name("附表C.2 机组信息表").unwrap();
    ws.write(0, 0, "附表C.2 机组信息表").unwrap();
    ws.write_row(1, 0, ["信息项*1", "填报内容", "支撑材料"]).unwrap();
    ws.write(2, 0, "1号机组").unwrap();
    ws.write_row(3, 0, ["机组类别", "I", "铭牌.pdf"]).unwrap();
    ws.write(4, 0, "装机容量（万千瓦）").unwrap();
    ws.write(4, 1, 66.0).unwrap();
    ws.write(5, 0, "机组：2号机组").unwrap();
    ws.write_row(6, 0, ["1. 机组类别", "IV"]).unwrap();
    ws.write_row(7, 0, ["装机容量(MW)", "400"]).unwrap();
    ws.write_row(8, 0, ["投运时间", "2015-12-01"]).unwrap();
    wb.save(&path).unwrap();
    let tables = read(&path).unwrap_or_else(|p| panic!("{p:#?}"));
    let t = tables.iter().find(|t| t.key == "unit_info").unwrap();
    assert_eq!(t.rows.len(), 2, "{:#?}", t.rows);
    let v = |i: usize, k: &str| t.rows[i].cells.get(k).map(|c| c.value.clone()).unwrap_or(RawValue::Empty);
    assert_eq!(v(0, "facility"), RawValue::Text("1号机组".into()));
    assert_eq!(v(0, "category"), RawValue::Text("I".into()));
    assert_eq!(v(0, "capacity"), RawValue::Number("660".into()));
    assert_eq!(v(1, "facility"), RawValue::Text("2号机组".into()));
    assert_eq!(v(1, "category"), RawValue::Text("IV".into()));
    assert_eq!(t.rows[1].cells.get("category").unwrap().at, "附表C.2 机组信息表!B7");
}

#[test]
fn problems_name_the_sheet_cell_item_and_month() {
    let path = temp("bad");
    let mut wb = Writer::new();
    let ws = wb.add_worksheet();
    ws.set_name("化石燃料燃烧排放").unwrap();
    ws.write_row(0, 0, ["信息项", "单位", "1月", "2月", "3月", "全年"]).unwrap();
    ws.write(1, 0, "机组：1号机组").unwrap();
    ws.write(2, 0, "燃料：生物质").unwrap();
    ws.write_row(3, 0, ["消耗量", "t 或 10⁴Nm³"]).unwrap();
    ws.write_row(3, 2, [1.0, 2.0]).unwrap();
    ws.write(4, 0, "低位发热量").unwrap();
    ws.write(4, 1, "GJ/t").unwrap();
    ws.write(4, 2, 20.0).unwrap();
    ws.write(4, 3, "二十").unwrap();
    ws.write(5, 0, "碳氧化率").unwrap();
    ws.write(5, 1, "furlongs").unwrap();
    ws.write(5, 2, 98.0).unwrap();
    wb.save(&path).unwrap();
    let problems = read(&path).unwrap_err();
    let text: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
    let all = text.join("\n");
    // A text in a value cell: the sheet, the cell, the item and the month.
    assert!(all.contains("化石燃料燃烧排放!D5") && all.contains("二十") && all.contains("低位发热量") && all.contains("2月"), "{all}");
    // An either-or unit the fuel does not decide.
    assert!(all.contains("化石燃料燃烧排放!B4") && all.contains("生物质") && all.contains("state it in the unit column"), "{all}");
    // A unit that is none.
    assert!(all.contains("化石燃料燃烧排放!B6") && all.contains("furlongs"), "{all}");
}

#[test]
fn a_sheet_without_month_headers_is_refused_with_its_cell() {
    let path = temp("nomonths");
    let mut wb = Writer::new();
    let ws = wb.add_worksheet();
    ws.set_name("化石燃料燃烧排放").unwrap();
    ws.write_row(0, 0, ["信息项", "单位", "数值"]).unwrap();
    wb.save(&path).unwrap();
    let problems = read(&path).unwrap_err();
    assert_eq!(problems[0].cell, "化石燃料燃烧排放!A1");
    assert!(problems[0].expected_en.contains("1月"), "{problems:?}");
}

#[test]
fn layouts_are_checked_when_the_manifest_is_read() {
    let bad =
        |text: &str| validate(&toml::from_str::<ManifestInput>(&MANIFEST.replace("weight = \"consumption\"", text)).unwrap()).unwrap_err();
    assert!(bad("weight = \"nothing\"").contains("weight nothing"));
    let e =
        validate(&toml::from_str::<ManifestInput>(&MANIFEST.replace("units = [\"MW\"]", "units = [\"furlongs\"]")).unwrap()).unwrap_err();
    assert!(e.contains("furlongs"), "{e}");
    let e =
        validate(&toml::from_str::<ManifestInput>(&MANIFEST.replace("units = [\"GJ/t\", \"GJ/10^4 Nm3\"]", "units = [\"GJ/t\"]")).unwrap())
            .unwrap_err();
    assert!(e.contains("unit_follows"), "{e}");
    assert!(toml::from_str::<ManifestInput>(&MANIFEST.replace("kind = \"form\"", "kind = \"grid\"")).is_err());
}

#[test]
fn sheets_are_matched_by_the_declared_names() {
    let ls = layouts();
    assert_eq!(layout_of("附表C.3 化石燃料燃烧排放表", &ls).map(|l| l.id.as_str()), Some("fuel"));
    assert_eq!(layout_of("2024 化石燃料燃烧排放 WPS", &ls).map(|l| l.id.as_str()), Some("fuel"));
    assert_eq!(layout_of("附表C.2 机组信息表", &ls).map(|l| l.id.as_str()), Some("units"));
    assert!(layout_of("排放源 Emission sources", &ls).is_none());
}

#[test]
fn a_sheet_named_as_an_ordinary_sheet_is_read_as_one() {
    // "Unit info" is both the target sheet's own name and a name of the form layout.
    let path = temp("ordinary");
    let mut wb = Writer::new();
    let ws = wb.add_worksheet();
    ws.set_name("Unit info").unwrap();
    ws.write_row(0, 0, ["facility", "category", "capacity"]).unwrap();
    ws.write_row(1, 0, ["U1", "I"]).unwrap();
    ws.write(1, 2, 600.0).unwrap();
    wb.save(&path).unwrap();
    let tables = read(&path).unwrap_or_else(|p| panic!("{p:#?}"));
    let t = tables.iter().find(|t| t.key == "unit_info").unwrap();
    assert_eq!(t.rows.len(), 1);
    assert_eq!(t.rows[0].cells.get("category").unwrap().value, RawValue::Text("I".into()));
}
