//! Large inputs write their workbook: tables longer than an Excel sheet go
//! on over continuation sheets ("<sheet> (2)", …) with the header row again
//! and nothing lost, and text longer than a cell holds (a finding listing
//! 100,000 cells) is cut with a pointer to the JSON report, which keeps it all.

use std::collections::BTreeMap;
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

use crate::common::{Contract, bundle, host, test_limits, with_contract};
use lvyue::host::{Evaluate, Host, HostOptions};
use lvyue::input::{RawCell, RawRow, RawTable, RawValue};
use lvyue::report::continuation::{self, ROWS_PER_SHEET};

fn sources(rows: usize) -> RawTable {
    RawTable {
        key: "sources".into(),
        display: "Sources".into(),
        units: Default::default(),
        at: "Sources!1".into(),
        rows: (0..rows)
            .map(|i| {
                let n = i + 2;
                let mut cells = BTreeMap::new();
                cells.insert("name".to_string(), RawCell { value: RawValue::Text(format!("S{i}")), at: format!("Sources!A{n}") });
                cells.insert("tonnes".to_string(), RawCell { value: RawValue::Number(format!("{i}.5")), at: format!("Sources!B{n}") });
                cells.insert(
                    "counted".to_string(),
                    RawCell { value: RawValue::Text(if i % 4 == 0 { "no" } else { "yes" }.into()), at: format!("Sources!D{n}") },
                );
                RawRow { source: format!("Sources!{n}"), cells: cells.into_iter().collect() }
            })
            .collect(),
        prefixes: Default::default(),
    }
}

fn sheet(book: &mut Xlsx<Cursor<Vec<u8>>>, name: &str) -> Vec<Vec<Data>> {
    let range = book.worksheet_range(name).unwrap_or_else(|e| panic!("sheet {name}: {e}; sheets: {:?}", book.sheet_names()));
    range.rows().map(|r| r.to_vec()).collect()
}

fn text(d: &Data) -> String {
    match d {
        Data::String(s) => s.clone(),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}

#[test]
fn tables_longer_than_a_sheet_continue_on_new_sheets() {
    let dir = tempfile::tempdir().unwrap();
    let host = with_contract(Contract::V1_1, || host(vec![bundle(dir.path(), "contract-1-0")], test_limits()));
    let tables = [sources(25)];
    let report = host
        .evaluate(&Evaluate { jurisdiction: "hostile-contract-1-0", year: 2024, tables: &tables, options: &[], inputs: vec![] })
        .unwrap();
    assert_eq!((report.tables[0].rows.len(), report.decisions.len(), report.findings.len()), (25, 25, 7));

    // Ten data rows a sheet: the 25-row table takes three sheets, the decisions three, the findings one.
    let bytes = lvyue::report::xlsx::build_with_sheet_rows(&report, 10).unwrap();
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    let names = book.sheet_names();
    let table = names.iter().find(|n| n.contains("Sources") && !n.contains('(')).expect("the result table's sheet").clone();
    let parts = [table.clone(), continuation::name(&table, 2), continuation::name(&table, 3)];
    assert!(!names.contains(&continuation::name(&table, 4)), "{names:?}");
    let at = |n: &str| names.iter().position(|x| x == n).unwrap_or_else(|| panic!("no sheet {n} in {names:?}"));
    assert!(at(&parts[0]) + 1 == at(&parts[1]) && at(&parts[1]) + 1 == at(&parts[2]), "continuations follow their sheet: {names:?}");
    let mut seen = Vec::new();
    for (k, p) in parts.iter().enumerate() {
        let rows = sheet(&mut book, p);
        assert_eq!(text(&rows[0][0]), "name name", "the header row on {p}");
        assert_eq!(rows.len() - 1, [10, 10, 5][k], "{p}");
        seen.extend(rows[1..].iter().map(|r| text(&r[0])));
    }
    assert_eq!(seen, (0..25).map(|i| format!("S{i}")).collect::<Vec<_>>(), "every row once, in order");
    let decisions: usize = ["判定 Decisions".to_string(), continuation::name("判定 Decisions", 2), continuation::name("判定 Decisions", 3)]
        .iter()
        .map(|n| sheet(&mut book, n).len() - 1)
        .sum();
    assert_eq!(decisions, 25);
    assert_eq!(sheet(&mut book, "问题 Findings").len() - 1, 7);
    assert!(!names.contains(&continuation::name("问题 Findings", 2)));
}

#[test]
fn a_table_past_excel_rows_goes_on_to_a_second_sheet() {
    // Excel's own limit: 1,048,575 data rows under the header, then a continuation sheet.
    let dir = tempfile::tempdir().unwrap();
    let host = with_contract(Contract::V1_1, || host(vec![bundle(dir.path(), "contract-1-0")], test_limits()));
    let tables = [sources(1)];
    let mut report = host
        .evaluate(&Evaluate { jurisdiction: "hostile-contract-1-0", year: 2024, tables: &tables, options: &[], inputs: vec![] })
        .unwrap();
    let t = &mut report.tables[0];
    t.columns.truncate(1);
    t.charts.clear();
    t.rows = (0..ROWS_PER_SHEET + 2).map(|i| vec![Some(i.to_string())]).collect();
    let bytes = lvyue::report::xlsx::build(&report).unwrap();
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    let names = book.sheet_names();
    let first = names.iter().find(|n| n.contains("Sources") && !n.contains('(')).unwrap().clone();
    let rest = sheet(&mut book, &continuation::name(&first, 2));
    assert_eq!(rest.iter().map(|r| text(&r[0])).collect::<Vec<_>>(), ["name name", "1048575", "1048576"]);
}

/// 100,000 emission sources that all use the guideline's default factors: one
/// finding lists 100,000 cells. The workbook is written (the cell is cut with
/// a pointer to the JSON), and the JSON keeps every cell.
#[test]
fn a_hundred_thousand_rows_on_default_factors_write_their_workbook() {
    let rows = 100_000;
    // Under the default limits (13 declared columns: 1,300,000 cells).
    let host = Host::new(HostOptions::default()).unwrap();
    let table = RawTable {
        key: "emission_sources".into(),
        display: "排放源 Emission sources".into(),
        units: Default::default(),
        at: "排放源 Emission sources!1".into(),
        rows: (0..rows)
            .map(|i| {
                let n = i + 2;
                let cell = |v: RawValue, col: &str| RawCell { value: v, at: format!("排放源 Emission sources!{col}{n}") };
                let cells = BTreeMap::from([
                    ("facility".to_string(), cell(RawValue::Text(format!("G{}", i % 50)), "A")),
                    ("source".to_string(), cell(RawValue::Text(format!("turbine {i}")), "B")),
                    ("category".to_string(), cell(RawValue::Text("fuel_combustion".into()), "C")),
                    ("fuel".to_string(), cell(RawValue::Text("天然气".into()), "D")),
                    ("fuel_consumption".to_string(), cell(RawValue::Number(format!("{}", 1 + i % 7)), "E")),
                ]);
                RawRow { source: format!("排放源 Emission sources!{n}"), cells: cells.into_iter().collect() }
            })
            .collect(),
        prefixes: Default::default(),
    };
    let report = host
        .evaluate(&Evaluate { jurisdiction: "cn-ets", year: 2024, tables: &[table], options: &[], inputs: vec![] })
        .unwrap_or_else(|e| panic!("{e}"));
    let defaults = report.findings.iter().find(|f| f.code == "DEFAULT_FACTORS_USED").expect("the default factors are reported");
    assert!(defaults.cells.len() >= rows, "the finding names every cell: {}", defaults.cells.len());
    assert!(report.to_json().contains(defaults.cells.last().unwrap()), "the JSON keeps them all");

    let bytes = lvyue::report::xlsx::build(&report).unwrap_or_else(|e| panic!("the workbook is written: {e}"));
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    let findings = sheet(&mut book, "问题 Findings");
    let row = findings.iter().find(|r| text(&r[1]) == "DEFAULT_FACTORS_USED").expect("the finding's row");
    let cells = text(&row[4]);
    assert!(cells.chars().count() <= lvyue::report::xlsx::MAX_CELL_CHARS, "{}", cells.chars().count());
    assert!(cells.contains("JSON"), "a pointer to the JSON report: …{}", &cells[cells.len().saturating_sub(120)..]);
    let emissions = book.sheet_names().into_iter().find(|n| n.contains("Emissions")).expect("the emissions table");
    assert_eq!(sheet(&mut book, &emissions).len() - 1, rows, "every source row in the workbook");
}
