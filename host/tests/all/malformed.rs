//! Malformed input workbooks: each gives its expected error naming the sheet
//! and cell, exit code 3, no output file, the input untouched, no panic.
//!
//! The workbooks start from the bundled sample (laid out from the plugin's own
//! declaration) and change one thing, so they follow the declaration as it grows.

use std::path::{Path, PathBuf};
use std::process::Command;

use lvyue::contract::{PluginInfo, SheetSpec};
use lvyue::host::{Host, HostOptions};
use lvyue::input::{RawTable, RawValue};
use rust_xlsxwriter::{Formula, Workbook};

/// A change to the sample input.
#[derive(Clone)]
enum Tweak {
    /// Set a cell: table key, row index, column key, value.
    Set(&'static str, usize, &'static str, Cell),
    /// Replace a header: table key, column key, new header text.
    Header(&'static str, &'static str, &'static str),
    /// Leave a column out: table key, column key.
    DropColumn(&'static str, &'static str),
    /// Repeat a column's header at the end: table key, column key.
    DuplicateColumn(&'static str, &'static str),
    /// Leave a sheet out: table key.
    DropSheet(&'static str),
    /// Write a table's sheet into the other workbook as well.
    AlsoInOther(&'static str),
    /// Add a second sheet for a table, named by its English name.
    SecondSheet(&'static str),
    /// Replace a sheet's content with numbers only (no header).
    NoHeader(&'static str),
    /// Replace the inventory file with these bytes.
    InventoryBytes(&'static [u8]),
}

#[derive(Clone)]
enum Cell {
    Text(&'static str),
    Num(f64),
    Bool(bool),
    /// A formula and its cached result.
    Formula(&'static str, &'static str),
}

struct Case {
    name: &'static str,
    tweaks: Vec<Tweak>,
    /// Substrings the error output must contain; `{cell:table.column.row}` is replaced by the cell reference.
    expect: Vec<&'static str>,
}

fn case(name: &'static str, tweaks: Vec<Tweak>, expect: Vec<&'static str>) -> Case {
    Case { name, tweaks, expect }
}

fn cases() -> Vec<Case> {
    use Cell::*;
    use Tweak::*;
    vec![
        case(
            "text in a number cell",
            vec![Set("emission_sources", 0, "emissions_t", Text("lots"))],
            vec!["{cell:emission_sources.emissions_t.0}", "\"lots\"", "a number"],
        ),
        case(
            "a negative tonnage",
            vec![Set("emission_sources", 1, "emissions_t", Num(-5.0))],
            vec!["{cell:emission_sources.emissions_t.1}", "not less than 0"],
        ),
        case(
            "#DIV/0! in a number cell",
            vec![Set("emission_sources", 0, "emissions_t", Formula("=1/0", "#DIV/0!"))],
            vec!["{cell:emission_sources.emissions_t.0}", "#DIV/0!"],
        ),
        case(
            "#N/A in a number cell",
            vec![Set("emission_sources", 2, "emissions_t", Formula("=NA()", "#N/A"))],
            vec!["{cell:emission_sources.emissions_t.2}", "#N/A"],
        ),
        case(
            "#VALUE! in a quantity",
            vec![Set("credit_holdings", 0, "quantity_t", Formula("=\"a\"+1", "#VALUE!"))],
            vec!["{cell:credit_holdings.quantity_t.0}", "#VALUE!"],
        ),
        case(
            "a required cell left empty",
            vec![Set("emission_sources", 0, "facility", Text(""))],
            vec!["{cell:emission_sources.facility.0}", "required"],
        ),
        case(
            "a category not in the list",
            vec![Set("emission_sources", 0, "category", Text("magic"))],
            vec!["{cell:emission_sources.category.0}", "one of: fuel_combustion"],
        ),
        case(
            "a duplicate serial",
            vec![Set("credit_holdings", 1, "serial", Text("CCER-2016-0001-000001-100000"))],
            vec!["{cell:credit_holdings.serial.1}", "repeats {cell:credit_holdings.serial.0}"],
        ),
        case(
            "an impossible date as text",
            vec![Set("credit_holdings", 0, "registered", Text("2024/13/45"))],
            vec!["{cell:credit_holdings.registered.0}", "a date"],
        ),
        case(
            "February 30th",
            vec![Set("credit_holdings", 0, "registered", Text("2024-02-30"))],
            vec!["{cell:credit_holdings.registered.0}", "a date"],
        ),
        case(
            "a plain number in a date column",
            vec![Set("credit_holdings", 1, "registered", Num(20240101.0))],
            vec!["{cell:credit_holdings.registered.1}", "a date"],
        ),
        case(
            "a yes/no cell saying maybe",
            vec![Set("credit_holdings", 0, "covered_project", Text("maybe"))],
            vec!["{cell:credit_holdings.covered_project.0}", "yes or no"],
        ),
        case(
            "an unknown credit type",
            vec![Set("credit_holdings", 0, "credit_type", Text("VER"))],
            vec!["{cell:credit_holdings.credit_type.0}", "one of: CEA, CCER"],
        ),
        case(
            "a province not in the list",
            vec![Set("credit_holdings", 0, "province", Text("Atlantis"))],
            vec!["{cell:credit_holdings.province.0}", "one of:"],
        ),
        case(
            "a negative credit quantity",
            vec![Set("credit_holdings", 2, "quantity_t", Num(-1.0))],
            vec!["{cell:credit_holdings.quantity_t.2}", "not less than 0"],
        ),
        case(
            "a negative price",
            vec![Set("credit_holdings", 0, "price_cny", Num(-60.0))],
            vec!["{cell:credit_holdings.price_cny.0}", "not less than 0"],
        ),
        case(
            "a vintage written in words",
            vec![Set("allowances", 0, "vintage", Text("二〇二三"))],
            vec!["{cell:allowances.vintage.0}", "a number"],
        ),
        case(
            "an allowance type not in the list",
            vec![Set("allowances", 1, "type", Text("EUA"))],
            vec!["{cell:allowances.type.1}", "one of: CEA"],
        ),
        case(
            "TRUE in a number cell",
            vec![Set("allowances", 1, "quantity_t", Bool(true))],
            vec!["{cell:allowances.quantity_t.1}", "a number"],
        ),
        case(
            "a quantity with its unit typed in",
            vec![Set("allowances", 0, "quantity_t", Text("410000 t"))],
            vec!["{cell:allowances.quantity_t.0}", "a number"],
        ),
        case(
            "a required column missing from the header",
            vec![DropColumn("credit_holdings", "serial")],
            vec!["{sheet:credit_holdings}", "the required column \"Serial\""],
        ),
        case(
            "another required column missing",
            vec![DropColumn("emission_sources", "category")],
            vec!["{sheet:emission_sources}", "the required column \"Category\""],
        ),
        case("the required sheet missing", vec![DropSheet("emission_sources")], vec!["the required sheet \"Emission sources\""]),
        case(
            "a column twice in the header",
            vec![DuplicateColumn("emission_sources", "emissions_t")],
            vec!["{sheet:emission_sources}", "each column once"],
        ),
        case(
            "an unknown unit in a header",
            vec![Header("emission_sources", "emissions_t", "排放量 Emissions [furlongs]")],
            vec!["emissions_t: furlongs", "a unit convertible to tCO2"],
        ),
        case(
            "a unit of the wrong kind in a header",
            vec![Header("credit_holdings", "quantity_t", "数量 Quantity [MWh]")],
            vec!["quantity_t: MWh", "a unit convertible to t"],
        ),
        case("a sheet without a header row", vec![NoHeader("allowances")], vec!["{sheet:allowances}", "a header row"]),
        case("the same sheet in both workbooks", vec![AlsoInOther("allowances")], vec!["each sheet in one workbook only"]),
        case("two sheets for the same table", vec![SecondSheet("credit_holdings")], vec!["one \"Credit holdings\" sheet"]),
        case(
            "not a workbook at all",
            vec![InventoryBytes(b"this is not a spreadsheet")],
            vec!["inventory.xlsx", "a readable .xlsx, .xlsm, .xls or .ods workbook"],
        ),
        case("an empty file", vec![InventoryBytes(b"")], vec!["inventory.xlsx", "a readable"]),
        case(
            "a CSV file named .xlsx",
            vec![InventoryBytes(b"facility,source,category,emissions_t\nU1,boiler,fuel_combustion,10\n")],
            vec!["inventory.xlsx", "a readable"],
        ),
        case(
            "several problems at once, all reported",
            vec![
                Set("emission_sources", 0, "emissions_t", Text("n/a")),
                Set("credit_holdings", 0, "credit_type", Text("VER")),
                Set("allowances", 0, "quantity_t", Num(-1.0)),
            ],
            vec![
                "3 problem(s)",
                "{cell:emission_sources.emissions_t.0}",
                "{cell:credit_holdings.credit_type.0}",
                "{cell:allowances.quantity_t.0}",
            ],
        ),
    ]
}

fn host() -> Host {
    Host::new(HostOptions::default()).unwrap()
}

fn sample_tables(info: &PluginInfo) -> Vec<RawTable> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/samples");
    let inv = dir.join("cn-ets-2024-inventory.xlsx");
    let port = dir.join("cn-ets-2024-portfolio.xlsx");
    lvyue::input::workbook::read_all(&[&inv, &port], &info.input).unwrap()
}

fn spec<'a>(info: &'a PluginInfo, key: &str) -> &'a SheetSpec {
    info.input.iter().find(|s| s.key == key).unwrap_or_else(|| panic!("no sheet {key}"))
}

fn sheet_name(s: &SheetSpec) -> String {
    lvyue::input::template::sheet_name(&s.name.zh, &s.name.en)
}

/// The reference of a data cell as written by `write_workbooks` (header on row 1).
fn cell_ref(info: &PluginInfo, table: &str, column: &str, row: usize) -> String {
    let s = spec(info, table);
    let c = s.columns.iter().position(|c| c.key == column).unwrap();
    format!("{}!{}{}", sheet_name(s), lvyue::input::workbook::col_letter(c as u32), row + 2)
}

fn expand(info: &PluginInfo, text: &str) -> String {
    let mut out = text.to_string();
    while let Some(start) = out.find('{') {
        let end = start + out[start..].find('}').unwrap();
        let inner = &out[start + 1..end];
        let repl = if let Some(rest) = inner.strip_prefix("cell:") {
            let parts: Vec<&str> = rest.split('.').collect();
            cell_ref(info, parts[0], parts[1], parts[2].parse().unwrap())
        } else if let Some(rest) = inner.strip_prefix("sheet:") {
            sheet_name(spec(info, rest))
        } else {
            panic!("unknown placeholder {inner}")
        };
        out.replace_range(start..=end, &repl);
    }
    out
}

fn write_value(ws: &mut rust_xlsxwriter::Worksheet, r: u32, c: u16, v: &RawValue) {
    match v {
        RawValue::Empty => {}
        RawValue::Number(n) => {
            ws.write_number(r, c, n.parse::<f64>().unwrap()).unwrap();
        }
        RawValue::Date(d) | RawValue::Text(d) | RawValue::Error(d) => {
            ws.write_string(r, c, d).unwrap();
        }
        RawValue::Bool(b) => {
            ws.write_string(r, c, if *b { "是" } else { "否" }).unwrap();
        }
    }
}

/// Writes the inventory and portfolio workbooks with the tweaks applied.
fn write_workbooks(info: &PluginInfo, tables: &[RawTable], tweaks: &[Tweak], dir: &Path) -> (PathBuf, PathBuf) {
    let mut books = [Workbook::new(), Workbook::new()];
    for s in &info.input {
        if tweaks.iter().any(|t| matches!(t, Tweak::DropSheet(k) if *k == s.key)) {
            continue;
        }
        let home = usize::from(lvyue::input::template::is_portfolio(s));
        let mut targets = vec![(home, sheet_name(s))];
        if tweaks.iter().any(|t| matches!(t, Tweak::AlsoInOther(k) if *k == s.key)) {
            targets.push((1 - home, sheet_name(s)));
        }
        if tweaks.iter().any(|t| matches!(t, Tweak::SecondSheet(k) if *k == s.key)) {
            targets.push((home, s.name.en.clone()));
        }
        let rows = tables.iter().find(|t| t.key == s.key).map(|t| t.rows.clone()).unwrap_or_default();
        let columns: Vec<_> = s
            .columns
            .iter()
            .filter(|c| !tweaks.iter().any(|t| matches!(t, Tweak::DropColumn(k, col) if *k == s.key && *col == c.key)))
            .collect();
        for (book, name) in targets {
            let ws = books[book].add_worksheet();
            ws.set_name(&name).unwrap();
            if tweaks.iter().any(|t| matches!(t, Tweak::NoHeader(k) if *k == s.key)) {
                for r in 0..3u32 {
                    for c in 0..3u16 {
                        ws.write_number(r, c, (r * 3 + c as u32) as f64).unwrap();
                    }
                }
                continue;
            }
            for (ci, c) in columns.iter().enumerate() {
                let header = tweaks
                    .iter()
                    .find_map(|t| match t {
                        Tweak::Header(k, col, h) if *k == s.key && *col == c.key => Some(h.to_string()),
                        _ => None,
                    })
                    .unwrap_or_else(|| lvyue::input::template::header(&c.name.zh, &c.name.en, c.unit.as_deref()));
                ws.write_string(0, ci as u16, &header).unwrap();
                for (ri, row) in rows.iter().enumerate() {
                    let r = ri as u32 + 1;
                    let set = tweaks.iter().find_map(|t| match t {
                        Tweak::Set(k, i, col, v) if *k == s.key && *i == ri && *col == c.key => Some(v.clone()),
                        _ => None,
                    });
                    match set {
                        Some(Cell::Text(t)) => {
                            if !t.is_empty() {
                                ws.write_string(r, ci as u16, t).unwrap();
                            }
                        }
                        Some(Cell::Num(n)) => {
                            ws.write_number(r, ci as u16, n).unwrap();
                        }
                        Some(Cell::Bool(b)) => {
                            ws.write_boolean(r, ci as u16, b).unwrap();
                        }
                        Some(Cell::Formula(f, result)) => {
                            ws.write_formula(r, ci as u16, Formula::new(f).set_result(result)).unwrap();
                        }
                        None => {
                            if let Some(cell) = row.cells.get(&c.key) {
                                write_value(ws, r, ci as u16, &cell.value);
                            }
                        }
                    }
                }
            }
            if let Some(Tweak::DuplicateColumn(_, col)) = tweaks.iter().find(|t| matches!(t, Tweak::DuplicateColumn(k, _) if *k == s.key)) {
                let c = s.columns.iter().find(|c| c.key == *col).unwrap();
                ws.write_string(0, columns.len() as u16, lvyue::input::template::header(&c.name.zh, &c.name.en, c.unit.as_deref()))
                    .unwrap();
            }
        }
    }
    let inv = dir.join("inventory.xlsx");
    let port = dir.join("portfolio.xlsx");
    let [mut a, mut b] = books;
    if let Some(Tweak::InventoryBytes(bytes)) = tweaks.iter().find(|t| matches!(t, Tweak::InventoryBytes(_))) {
        std::fs::write(&inv, bytes).unwrap();
    } else {
        a.save(&inv).unwrap();
    }
    b.save(&port).unwrap();
    (inv, port)
}

#[test]
fn the_untouched_sample_layout_is_valid() {
    let host = host();
    let info = host.describe(host.find("cn-ets").unwrap()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (inv, port) = write_workbooks(&info, &sample_tables(&info), &[], dir.path());
    let o = Command::new(env!("CARGO_BIN_EXE_lvyue"))
        .args(["--no-cache", "validate", "-j", "cn-ets", "--year", "2024", "--inventory"])
        .arg(&inv)
        .arg("--portfolio")
        .arg(&port)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn malformed_workbooks_give_cell_referenced_errors_and_write_nothing() {
    let host = host();
    let info = host.describe(host.find("cn-ets").unwrap()).unwrap();
    let tables = sample_tables(&info);
    let cache = tempfile::tempdir().unwrap();
    let all = cases();
    assert!(all.len() >= 30, "{} cases", all.len());
    let mut failures = Vec::new();
    for c in &all {
        let dir = tempfile::tempdir().unwrap();
        let (inv, port) = write_workbooks(&info, &tables, &c.tweaks, dir.path());
        let before = (std::fs::read(&inv).unwrap(), std::fs::read(&port).unwrap());
        let out = dir.path().join("report.xlsx");
        let json = dir.path().join("report.json");
        let o = Command::new(env!("CARGO_BIN_EXE_lvyue"))
            .arg("--cache-dir")
            .arg(cache.path())
            .args(["evaluate", "-j", "cn-ets", "--year", "2024", "--inventory"])
            .arg(&inv)
            .arg("--portfolio")
            .arg(&port)
            .arg("--out")
            .arg(&out)
            .arg("--json")
            .arg(&json)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        let mut problems = Vec::new();
        if o.status.code() != Some(3) {
            problems.push(format!("exit code {:?}, expected 3", o.status.code()));
        }
        if err.contains("panicked") {
            problems.push("panicked".into());
        }
        for e in &c.expect {
            let e = expand(&info, e);
            if !err.contains(&e) {
                problems.push(format!("the error lacks {e:?}"));
            }
        }
        if out.exists() || json.exists() {
            problems.push("an output file was written".into());
        }
        if (std::fs::read(&inv).unwrap(), std::fs::read(&port).unwrap()) != before {
            problems.push("an input was modified".into());
        }
        let leftovers = std::fs::read_dir(dir.path()).unwrap().count();
        if leftovers != 2 {
            problems.push(format!("{leftovers} files in the folder, expected the 2 inputs"));
        }
        if !problems.is_empty() {
            failures.push(format!("{}: {}\n    stderr: {}", c.name, problems.join("; "), err.trim()));
        }
    }
    eprintln!("malformed workbooks: {} passed, {} failed", all.len() - failures.len(), failures.len());
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
