//! `lvyue ledger export`: the ledger as CSV (one row per serial use, with its
//! evaluation; an evaluation without uses has one row with the use columns empty) or
//! as a workbook (sheets: evaluations, metrics, serial uses). Files are written
//! complete or not at all.

use std::io::Write;
use std::path::Path;

use rust_xlsxwriter::{Format, Workbook};

use super::store::{EvaluationRow, Filter, Ledger, LedgerError, Result, UseRow};

const EVALUATION_COLUMNS: [&str; 17] = [
    "evaluation",
    "entity",
    "jurisdiction",
    "year",
    "version",
    "current",
    "superseded_by",
    "recorded_at",
    "source",
    "plugin",
    "plugin_version",
    "plugin_sha256",
    "rules_sha256",
    "status",
    "errors",
    "warnings",
    "infos",
];

const USE_COLUMNS: [&str; 14] = [
    "serial",
    "key",
    "first",
    "last",
    "quantity",
    "used",
    "unit",
    "instrument",
    "use_status",
    "claim",
    "table",
    "row",
    "new_forestry",
    "live",
];

fn evaluation_cells(e: &EvaluationRow) -> Vec<String> {
    vec![
        e.id.to_string(),
        e.entity.clone(),
        e.jurisdiction.clone(),
        e.year.to_string(),
        e.version.to_string(),
        (e.superseded_by.is_none()).to_string(),
        e.superseded_by.map(|s| s.to_string()).unwrap_or_default(),
        e.recorded_at.clone(),
        e.source.clone(),
        e.plugin_id.clone(),
        e.plugin_version.clone(),
        e.plugin_sha256.clone(),
        e.rules_sha256.clone(),
        e.status.clone(),
        e.errors.to_string(),
        e.warnings.to_string(),
        e.infos.to_string(),
    ]
}

fn use_cells(row: &UseRow) -> Vec<String> {
    let u = &row.recorded;
    vec![
        u.serial.clone(),
        row.key.clone(),
        row.first.to_string(),
        row.last.to_string(),
        u.quantity.clone(),
        u.used.clone(),
        u.unit.clone(),
        u.instrument.clone(),
        u.status.as_str().into(),
        u.claim.as_str().into(),
        u.table.clone(),
        u.row.clone(),
        u.new_forestry.to_string(),
        row.live.to_string(),
    ]
}

/// One CSV field, quoted when it needs to be (RFC 4180).
pub(crate) fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) || s.starts_with(' ') || s.ends_with(' ') {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// One CSV line (with the line end).
pub(crate) fn csv_line<S: AsRef<str>>(fields: &[S]) -> String {
    let mut line = fields.iter().map(|f| csv_field(f.as_ref())).collect::<Vec<_>>().join(",");
    line.push_str("\r\n");
    line
}

fn temp_beside(path: &Path) -> Result<tempfile::NamedTempFile> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    Ok(tempfile::Builder::new().prefix(".lvyue-").suffix(".part").tempfile_in(dir)?)
}

/// Writes the CSV export. Returns the number of data rows.
pub fn export_csv(ledger: &Ledger, filter: &Filter, path: &Path) -> Result<u64> {
    let tmp = temp_beside(path)?;
    let mut w = std::io::BufWriter::new(tmp.as_file());
    // A byte-order mark so that spreadsheet programs read the Chinese text as UTF-8.
    w.write_all("\u{feff}".as_bytes())?;
    let header: Vec<&str> = EVALUATION_COLUMNS.iter().chain(USE_COLUMNS.iter()).copied().collect();
    w.write_all(csv_line(&header).as_bytes())?;
    let mut n = 0;
    for e in ledger.list(filter)? {
        let ev = evaluation_cells(&e);
        let uses = ledger.uses_of(e.id)?;
        if uses.is_empty() {
            let mut cells = ev.clone();
            cells.resize(header.len(), String::new());
            w.write_all(csv_line(&cells).as_bytes())?;
            n += 1;
        }
        for u in &uses {
            let mut cells = ev.clone();
            cells.extend(use_cells(u));
            w.write_all(csv_line(&cells).as_bytes())?;
            n += 1;
        }
    }
    w.flush()?;
    drop(w);
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(n)
}

/// Rows a worksheet holds, after its header.
const SHEET_ROWS: u64 = 1_048_575;

/// Writes the workbook export. Returns the number of serial-use rows.
pub fn export_xlsx(ledger: &Ledger, filter: &Filter, path: &Path) -> Result<u64> {
    let xerr = |e: rust_xlsxwriter::XlsxError| LedgerError::Export(e.to_string());
    let evaluations = ledger.list(filter)?;
    let head = Format::new().set_bold();
    let mut wb = Workbook::new();

    let ws = wb.add_worksheet().set_name("评估 Evaluations").map_err(xerr)?;
    for (c, h) in EVALUATION_COLUMNS.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &head).map_err(xerr)?;
    }
    for (r, e) in evaluations.iter().enumerate() {
        if r as u64 >= SHEET_ROWS {
            return Err(LedgerError::Export("more evaluations than a worksheet holds: export to CSV".into()));
        }
        write_row(ws, r as u32 + 1, &evaluation_cells(e)).map_err(xerr)?;
    }
    ws.set_freeze_panes(1, 0).map_err(xerr)?;

    let ws = wb.add_worksheet().set_name("指标 Metrics").map_err(xerr)?;
    for (c, h) in ["evaluation", "entity", "jurisdiction", "year", "version", "metric", "value", "unit"].iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &head).map_err(xerr)?;
    }
    let mut r = 1u32;
    for e in &evaluations {
        for (k, v, unit) in ledger.show(e.id)?.metrics {
            if u64::from(r) > SHEET_ROWS {
                return Err(LedgerError::Export("more metrics than a worksheet holds: export to CSV".into()));
            }
            let cells = [
                e.id.to_string(),
                e.entity.clone(),
                e.jurisdiction.clone(),
                e.year.to_string(),
                e.version.to_string(),
                k,
                v.unwrap_or_default(),
                unit,
            ];
            write_row(ws, r, &cells).map_err(xerr)?;
            r += 1;
        }
    }
    ws.set_freeze_panes(1, 0).map_err(xerr)?;

    let ws = wb.add_worksheet().set_name("序列号使用 Serial uses").map_err(xerr)?;
    for (c, h) in ["evaluation", "entity", "jurisdiction", "year", "version"].iter().chain(USE_COLUMNS.iter()).enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &head).map_err(xerr)?;
    }
    let mut n = 0u64;
    for e in &evaluations {
        for u in ledger.uses_of(e.id)? {
            if n >= SHEET_ROWS {
                return Err(LedgerError::Export("more serial uses than a worksheet holds: export to CSV".into()));
            }
            let mut cells = vec![e.id.to_string(), e.entity.clone(), e.jurisdiction.clone(), e.year.to_string(), e.version.to_string()];
            cells.extend(use_cells(&u));
            write_row(ws, n as u32 + 1, &cells).map_err(xerr)?;
            n += 1;
        }
    }
    ws.set_freeze_panes(1, 0).map_err(xerr)?;

    let bytes = wb.save_to_buffer().map_err(xerr)?;
    let mut tmp = temp_beside(path)?;
    tmp.write_all(&bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(n)
}

/// Whole numbers as numbers (ids, years, quantities), everything else as text.
fn write_row(ws: &mut rust_xlsxwriter::Worksheet, row: u32, cells: &[String]) -> std::result::Result<(), rust_xlsxwriter::XlsxError> {
    for (c, v) in cells.iter().enumerate() {
        let numeric = !v.is_empty() && v.len() <= 15 && v.bytes().all(|b| b.is_ascii_digit()) && !(v.len() > 1 && v.starts_with('0'));
        match v.parse::<f64>() {
            Ok(x) if numeric => ws.write_number(row, c as u16, x)?,
            _ => ws.write_string(row, c as u16, v)?,
        };
    }
    Ok(())
}
