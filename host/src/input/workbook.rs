//! Reading input workbooks (.xlsx, .xlsm, .xls, .ods) into raw tables, guided
//! by what the plugin declares.
//!
//! - A sheet is matched by its declared Chinese or English name, its key, or
//!   the template's "中文 English" name (case and spacing ignored).
//! - The header row is found among the first rows (titles above it, merged or
//!   not, are skipped); a header cell names a column in Chinese, English or by
//!   key, optionally followed by its unit in brackets: `排放量 [万吨]`,
//!   `Emissions (kt)`, `排放量（tCO2）`.
//! - Blank rows are skipped; formula cells give their cached values; Excel
//!   dates and ISO text dates both work. Unknown columns are ignored.
//!
//! Problems are collected, never fatal one by one, so the user sees all of them.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use calamine::{Data, Reader};

use crate::contract::{SheetSpec, ValueKind};
use crate::input::{InputProblem, RawCell, RawRow, RawTable, RawValue};

/// Spreadsheet error values.
const EXCEL_ERRORS: &[&str] = &["#DIV/0!", "#N/A", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!", "#GETTING_DATA", "#SPILL!", "#CALC!"];

/// How many rows from the top may hold titles before the header.
const HEADER_SEARCH_ROWS: usize = 30;

fn norm(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace() && *c != '_' && *c != '-').flat_map(char::to_lowercase).collect()
}

/// Column letters for a zero-based index: 0 → A, 26 → AA.
pub fn col_letter(mut i: u32) -> String {
    let mut s = String::new();
    i += 1;
    while i > 0 {
        let r = ((i - 1) % 26) as u8;
        s.insert(0, (b'A' + r) as char);
        i = (i - 1) / 26;
    }
    s
}

/// Splits "排放量 Emissions [万吨]" into ("排放量 Emissions", Some("万吨")).
pub fn split_unit(header: &str) -> (String, Option<String>) {
    let h = header.trim();
    for (open, close) in [('[', ']'), ('(', ')'), ('（', '）'), ('【', '】')] {
        if h.ends_with(close) {
            if let Some(start) = h.rfind(open) {
                let unit = h[start + open.len_utf8()..h.len() - close.len_utf8()].trim().to_string();
                let name = h[..start].trim().to_string();
                if !name.is_empty() {
                    return (name, (!unit.is_empty()).then_some(unit));
                }
            }
        }
    }
    (h.to_string(), None)
}

fn sheet_matches(spec: &SheetSpec, name: &str) -> bool {
    let n = norm(name);
    [spec.name.zh.as_str(), spec.name.en.as_str(), spec.key.as_str(), &format!("{} {}", spec.name.zh, spec.name.en), &crate::input::template::sheet_name(&spec.name.zh, &spec.name.en)]
        .iter()
        .any(|c| norm(c) == n)
}

/// Which column a header names, if any.
fn column_for(spec: &SheetSpec, header: &str) -> Option<(usize, Option<String>)> {
    let (name, unit) = split_unit(header);
    let n = norm(&name);
    if n.is_empty() {
        return None;
    }
    spec.columns
        .iter()
        .position(|c| [c.name.zh.as_str(), c.name.en.as_str(), c.key.as_str(), &format!("{} {}", c.name.zh, c.name.en)].iter().any(|x| norm(x) == n))
        .map(|i| (i, unit))
}

fn cell_text(d: &Data) -> Option<String> {
    match d {
        Data::String(s) => Some(s.clone()),
        _ => None,
    }
}

/// Converts a spreadsheet cell into a raw value for a column of `kind`.
fn raw_value(d: &Data, kind: ValueKind) -> RawValue {
    match d {
        Data::Empty => RawValue::Empty,
        Data::Int(i) => RawValue::Number(i.to_string()),
        Data::Float(f) => crate::decimal::from_f64(*f).map(RawValue::Number).unwrap_or_else(|| RawValue::Text(f.to_string())),
        Data::String(s) => {
            let t = s.trim();
            if t.is_empty() {
                RawValue::Empty
            } else if EXCEL_ERRORS.contains(&t) {
                // An error value stored as a formula's cached text.
                RawValue::Error(t.to_string())
            } else {
                RawValue::Text(t.to_string())
            }
        }
        Data::Bool(b) => RawValue::Bool(*b),
        Data::DateTime(dt) => {
            if matches!(kind, ValueKind::Date) || dt.is_datetime() {
                let (y, m, d, ..) = dt.to_ymd_hms_milli();
                if matches!(kind, ValueKind::Number) {
                    // A date-formatted number in a number column: keep the number.
                    crate::decimal::from_f64(dt.as_f64()).map(RawValue::Number).unwrap_or(RawValue::Empty)
                } else {
                    RawValue::Date(format!("{y:04}-{m:02}-{d:02}"))
                }
            } else {
                crate::decimal::from_f64(dt.as_f64()).map(RawValue::Number).unwrap_or(RawValue::Empty)
            }
        }
        Data::DateTimeIso(s) => {
            let date = s.get(..10).unwrap_or(s);
            if crate::rules::is_iso_date(date) { RawValue::Date(date.to_string()) } else { RawValue::Text(s.clone()) }
        }
        Data::DurationIso(s) => RawValue::Text(s.clone()),
        Data::Error(e) => RawValue::Error(e.to_string()),
    }
}

/// An opened workbook: each sheet is parsed at most once, however many
/// jurisdictions (each with its own declared sheets) read it.
pub struct Workbook {
    /// The file name, for messages.
    file: String,
    reader: calamine::Sheets<std::io::BufReader<std::fs::File>>,
    names: Vec<String>,
    parsed: HashMap<String, Result<calamine::Range<Data>, String>>,
}

impl Workbook {
    /// Opens the workbook at `path` (.xlsx, .xlsm, .xls, .ods); nothing is parsed yet.
    pub fn open(path: &Path) -> Result<Workbook, Vec<InputProblem>> {
        let file = path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
        let reader = calamine::open_workbook_auto(path).map_err(|e| {
            vec![InputProblem {
                sheet: String::new(),
                cell: file.clone(),
                found: e.to_string(),
                expected_zh: "可读取的 .xlsx、.xlsm、.xls 或 .ods 工作簿".into(),
                expected_en: "a readable .xlsx, .xlsm, .xls or .ods workbook".into(),
            }]
        })?;
        let names = reader.sheet_names();
        Ok(Workbook { file, reader, names, parsed: HashMap::new() })
    }

    /// The file name the workbook was opened from.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// Reads every declared sheet found in this workbook.
    pub fn tables(&mut self, specs: &[SheetSpec]) -> Result<Vec<RawTable>, Vec<InputProblem>> {
        let mut problems = Vec::new();
        let mut tables = Vec::new();
        for spec in specs {
            let matching: Vec<String> = self.names.iter().filter(|n| sheet_matches(spec, n)).cloned().collect();
            let Some(sheet) = matching.first() else { continue };
            if matching.len() > 1 {
                problems.push(InputProblem {
                    sheet: sheet.to_string(),
                    cell: matching.join(", "),
                    found: format!("{} sheets", matching.len()),
                    expected_zh: format!("只有一个「{}」表", spec.name.zh),
                    expected_en: format!("one \"{}\" sheet", spec.name.en),
                });
                continue;
            }
            let reader = &mut self.reader;
            let range = self.parsed.entry(sheet.clone()).or_insert_with(|| reader.worksheet_range(sheet).map_err(|e| e.to_string()));
            let range = match range {
                Ok(r) => r,
                Err(e) => {
                    problems.push(InputProblem {
                        sheet: sheet.to_string(),
                        cell: sheet.to_string(),
                        found: e.clone(),
                        expected_zh: "可读取的工作表".into(),
                        expected_en: "a readable sheet".into(),
                    });
                    continue;
                }
            };
            match read_sheet(sheet, spec, range) {
                Ok(t) => tables.push(t),
                Err(mut p) => problems.append(&mut p),
            }
        }
        if problems.is_empty() { Ok(tables) } else { Err(problems) }
    }
}

/// Reads every declared sheet found in the workbook at `path`.
pub fn read(path: &Path, specs: &[SheetSpec]) -> Result<Vec<RawTable>, Vec<InputProblem>> {
    Workbook::open(path)?.tables(specs)
}

fn read_sheet(sheet: &str, spec: &SheetSpec, range: &calamine::Range<Data>) -> Result<RawTable, Vec<InputProblem>> {
    let (row0, col0) = range.start().unwrap_or((0, 0));
    let at = |r: usize, c: usize| format!("{sheet}!{}{}", col_letter(col0 + c as u32), row0 as usize + r + 1);
    let rows: Vec<&[Data]> = range.rows().collect();
    // The header row: the first row, among the top ones, naming the most declared columns.
    let mut best: Option<(usize, usize)> = None;
    for (i, row) in rows.iter().take(HEADER_SEARCH_ROWS).enumerate() {
        let hits = row.iter().filter_map(cell_text).filter(|h| column_for(spec, h).is_some()).count();
        if hits > 0 && best.is_none_or(|(_, b)| hits > b) {
            best = Some((i, hits));
        }
    }
    let names = spec.columns.iter().map(|c| format!("{} / {}", c.name.zh, c.name.en)).collect::<Vec<_>>().join("; ");
    let Some((header, _)) = best else {
        return Err(vec![InputProblem {
            sheet: sheet.to_string(),
            cell: format!("{sheet}!A1"),
            found: "no header row".into(),
            expected_zh: format!("前{HEADER_SEARCH_ROWS}行内的表头行，列名为：{names}"),
            expected_en: format!("a header row within the first {HEADER_SEARCH_ROWS} rows naming the columns: {names}"),
        }]);
    };
    let mut problems = Vec::new();
    let mut by_col: HashMap<usize, usize> = HashMap::new(); // sheet column → spec column
    let mut units: HashMap<String, String> = HashMap::new();
    let mut seen: HashMap<usize, String> = HashMap::new();
    for (c, cell) in rows[header].iter().enumerate() {
        let Some(text) = cell_text(cell) else { continue };
        let Some((i, unit)) = column_for(spec, &text) else { continue };
        if let Some(prev) = seen.get(&i) {
            problems.push(InputProblem {
                sheet: sheet.to_string(),
                cell: at(header, c),
                found: text.clone(),
                expected_zh: format!("每列只出现一次（已在 {prev}）"),
                expected_en: format!("each column once (already at {prev})"),
            });
            continue;
        }
        seen.insert(i, at(header, c));
        by_col.insert(c, i);
        if let Some(u) = unit {
            units.insert(spec.columns[i].key.clone(), u);
        }
    }
    for (i, col) in spec.columns.iter().enumerate() {
        if col.required && !seen.contains_key(&i) {
            problems.push(InputProblem {
                sheet: sheet.to_string(),
                cell: format!("{sheet}!{}", row0 as usize + header + 1),
                found: "(missing)".into(),
                expected_zh: format!("表头中的必需列「{}」", col.name.zh),
                expected_en: format!("the required column \"{}\" in the header row", col.name.en),
            });
        }
    }
    let mut out_rows = Vec::new();
    for (r, row) in rows.iter().enumerate().skip(header + 1) {
        let mut cells = BTreeMap::new();
        for (c, d) in row.iter().enumerate() {
            let Some(&i) = by_col.get(&c) else { continue };
            let col = &spec.columns[i];
            let value = raw_value(d, col.kind);
            if value != RawValue::Empty {
                cells.insert(col.key.clone(), RawCell { value, at: at(r, c) });
            }
        }
        if cells.is_empty() {
            continue; // a blank row
        }
        // Cells left empty still need a reference for messages.
        for (c, &i) in &by_col {
            cells.entry(spec.columns[i].key.clone()).or_insert_with(|| RawCell { value: RawValue::Empty, at: at(r, *c) });
        }
        out_rows.push(RawRow { source: format!("{sheet}!{}", row0 as usize + r + 1), cells });
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(RawTable { key: spec.key.clone(), display: sheet.to_string(), units, at: format!("{sheet}!{}", row0 as usize + header + 1), rows: out_rows })
}

/// Opens several workbooks (e.g. inventory and portfolio), each once.
pub fn open_all(paths: &[&Path]) -> Result<Vec<Workbook>, Vec<InputProblem>> {
    let mut books = Vec::new();
    let mut problems = Vec::new();
    for p in paths {
        match Workbook::open(p) {
            Ok(b) => books.push(b),
            Err(mut e) => problems.append(&mut e),
        }
    }
    if problems.is_empty() { Ok(books) } else { Err(problems) }
}

/// The declared sheets of several opened workbooks; a sheet found in two is a problem.
pub fn tables(books: &mut [Workbook], specs: &[SheetSpec]) -> Result<Vec<RawTable>, Vec<InputProblem>> {
    let mut tables: Vec<(RawTable, String)> = Vec::new();
    let mut problems = Vec::new();
    for book in books.iter_mut() {
        match book.tables(specs) {
            Ok(ts) => {
                for t in ts {
                    if let Some((_, other)) = tables.iter().find(|(x, _)| x.key == t.key) {
                        problems.push(InputProblem {
                            sheet: t.display.clone(),
                            cell: format!("{}: {}", book.file, t.display),
                            found: format!("also in {other}"),
                            expected_zh: "每个表只在一个工作簿中出现".into(),
                            expected_en: "each sheet in one workbook only".into(),
                        });
                    } else {
                        tables.push((t, book.file.clone()));
                    }
                }
            }
            Err(mut e) => problems.append(&mut e),
        }
    }
    if problems.is_empty() { Ok(tables.into_iter().map(|(t, _)| t).collect()) } else { Err(problems) }
}

/// Reads several workbooks (e.g. inventory and portfolio); a sheet found in two is a problem.
pub fn read_all(paths: &[&Path], specs: &[SheetSpec]) -> Result<Vec<RawTable>, Vec<InputProblem>> {
    tables(&mut open_all(paths)?, specs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_are_split_from_headers() {
        assert_eq!(split_unit("排放量 Emissions [万吨]"), ("排放量 Emissions".into(), Some("万吨".into())));
        assert_eq!(split_unit("Emissions (kt)"), ("Emissions".into(), Some("kt".into())));
        assert_eq!(split_unit("排放量（tCO2）"), ("排放量".into(), Some("tCO2".into())));
        assert_eq!(split_unit("Facility"), ("Facility".into(), None));
        assert_eq!(col_letter(0), "A");
        assert_eq!(col_letter(27), "AB");
    }
}
