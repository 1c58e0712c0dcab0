//! Helpers shared by the benchmarks (`mod common;` in each): generated input
//! tables, and the native baseline's calamine read and rust_xlsxwriter write.
#![allow(dead_code)] // each benchmark uses part of it

use std::path::Path;

use calamine::{Data, Reader};
use lvyue::input::{RawCell, RawRow, RawTable, RawValue};

pub fn text(s: impl Into<String>) -> RawValue {
    RawValue::Text(s.into())
}

pub fn number(s: impl ToString) -> RawValue {
    RawValue::Number(s.to_string())
}

/// A table as the readers give it: row `i` at row `i + 2` of a sheet named
/// after the key, each cell with its reference.
pub fn table<R, K>(key: &str, rows: Vec<R>) -> RawTable
where
    R: IntoIterator<Item = (K, RawValue)>,
    K: Into<String>,
{
    RawTable {
        key: key.into(),
        display: key.into(),
        units: Default::default(),
        at: key.into(),
        rows: rows
            .into_iter()
            .enumerate()
            .map(|(i, cells)| RawRow {
                source: format!("{key}!{}", i + 2),
                cells: cells
                    .into_iter()
                    .map(|(k, v)| {
                        let k = k.into();
                        let at = format!("{key}!{k}{}", i + 2);
                        (k, RawCell { value: v, at })
                    })
                    .collect(),
            })
            .collect(),
        prefixes: Default::default(),
    }
}

/// Every cell of every sheet of a workbook: (sheet, rows of cells).
pub type Sheets = Vec<(String, Vec<Vec<Data>>)>;

/// Reads every cell of every sheet with calamine.
pub fn read_all_cells(path: &Path) -> Sheets {
    let mut wb = calamine::open_workbook_auto(path).unwrap();
    let names = wb.sheet_names();
    names
        .into_iter()
        .map(|n| {
            let r = wb.worksheet_range(&n).unwrap();
            (n, r.rows().map(|row| row.to_vec()).collect())
        })
        .collect()
}

/// Writes one cell as rust_xlsxwriter would without formats.
pub fn write_cell(ws: &mut rust_xlsxwriter::Worksheet, r: usize, c: usize, cell: &Data) {
    let (r, c) = (r as u32, c as u16);
    match cell {
        Data::Float(f) => ws.write_number(r, c, *f).unwrap(),
        Data::Int(i) => ws.write_number(r, c, *i as f64).unwrap(),
        Data::Bool(b) => ws.write_boolean(r, c, *b).unwrap(),
        Data::Empty => return,
        other => ws.write_string(r, c, other.to_string()).unwrap(),
    };
}

/// rust_xlsxwriter writes the given cells, sheet by sheet, without formats.
pub fn write_cells(sheets: &[(String, Vec<Vec<Data>>)], path: &Path) {
    write_cells_at(sheets, path, None)
}

/// [`write_cells`] at a given deflate level (`None`: the library's default, 6).
pub fn write_cells_at(sheets: &[(String, Vec<Vec<Data>>)], path: &Path, level: Option<u8>) {
    let mut wb = rust_xlsxwriter::Workbook::new();
    if let Some(level) = level {
        wb.set_zip_compression_level(level);
    }
    for (name, rows) in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(name).unwrap();
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                write_cell(ws, r, c, cell);
            }
        }
    }
    wb.save(path).unwrap();
}

/// A duration as a person reads it: s, ms or µs.
pub fn fmt_dur(d: std::time::Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 1.0 {
        format!("{s:.2} s")
    } else if s >= 1e-3 {
        format!("{:.2} ms", s * 1e3)
    } else {
        format!("{:.1} µs", s * 1e6)
    }
}

/// A count with thousands separators: 1,234,567.
pub fn fmt_n(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
