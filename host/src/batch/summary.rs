//! The batch summary: `summary.csv` and `summary.xlsx` in the output folder, one row
//! per entity, jurisdiction and year (failed ones too, with status `failed`), totals at
//! the bottom, and in the workbook a sheet of failures with their errors.
//!
//! The rows are read back from each entity's stamp ([`super::stamps`]) in listing order, one at a time,
//! and the workbook is written in constant-memory mode: the summary of 3,378 entities
//! needs no more memory than that of ten.

use std::io::Write;
use std::path::Path;

use rust_decimal::Decimal;
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};
use serde::{Deserialize, Serialize};

use super::Outcome;
use super::manifest::Item;
use super::stamps::Journal;
use crate::host::RunError;
use crate::ledger::export::csv_line;

/// One entity, jurisdiction and year.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Row {
    pub entity: String,
    pub jurisdiction: String,
    pub year: String,
    pub obligation_t: Option<String>,
    pub allocation_t: Option<String>,
    pub allowances_held_t: Option<String>,
    pub allowances_used_t: Option<String>,
    /// Offsets held that are eligible.
    pub offsets_held_t: Option<String>,
    pub offsets_used_t: Option<String>,
    pub shortfall_t: Option<String>,
    pub deadline: Option<String>,
    pub penalty_min_cny: Option<String>,
    pub penalty_max_cny: Option<String>,
    pub errors: u32,
    pub warnings: u32,
    pub infos: u32,
    pub ledger_conflicts: u32,
    pub status: String,
    pub workbook: String,
}

/// One entity-year (and jurisdiction, when known) that could not be evaluated.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FailureRow {
    pub entity: String,
    pub jurisdiction: String,
    pub year: String,
    pub exit_code: i32,
    pub error: String,
}

/// (key, Chinese, English) of the summary columns; the numeric ones are summed.
const COLUMNS: [(&str, &str, &str); 20] = [
    ("entity", "主体", "Entity"),
    ("jurisdiction", "市场", "Jurisdiction"),
    ("year", "年度", "Year"),
    ("obligation_t", "应清缴量 t", "Obligation t"),
    ("allocation_t", "配额分配 t", "Allocation t"),
    ("allowances_held_t", "持有配额 t", "Allowances held t"),
    ("allowances_used_t", "清缴配额 t", "Allowances used t"),
    ("offsets_held_t", "合格抵销 t", "Offsets held (eligible) t"),
    ("offsets_used_t", "使用抵销 t", "Offsets used t"),
    ("shortfall_t", "缺口 t", "Shortfall t"),
    ("deadline", "截止日期", "Deadline"),
    ("penalty_min_cny", "罚款下限 元", "Penalty min CNY"),
    ("penalty_max_cny", "罚款上限 元", "Penalty max CNY"),
    ("errors", "错误", "Errors"),
    ("warnings", "警告", "Warnings"),
    ("infos", "提示", "Infos"),
    ("ledger_conflicts", "重复使用", "Double uses (ledger)"),
    ("status", "状态", "Status"),
    ("workbook", "报告", "Workbook"),
    ("error", "错误信息", "Error"),
];

/// Columns 3..=16 are numbers.
fn numeric(c: usize) -> bool {
    (3..=16).contains(&c) && c != 10
}

fn cells(r: &Row) -> Vec<String> {
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    vec![
        r.entity.clone(),
        r.jurisdiction.clone(),
        r.year.clone(),
        o(&r.obligation_t),
        o(&r.allocation_t),
        o(&r.allowances_held_t),
        o(&r.allowances_used_t),
        o(&r.offsets_held_t),
        o(&r.offsets_used_t),
        o(&r.shortfall_t),
        o(&r.deadline),
        o(&r.penalty_min_cny),
        o(&r.penalty_max_cny),
        r.errors.to_string(),
        r.warnings.to_string(),
        r.infos.to_string(),
        r.ledger_conflicts.to_string(),
        r.status.clone(),
        r.workbook.clone(),
        String::new(),
    ]
}

fn failure_cells(f: &FailureRow) -> Vec<String> {
    let mut c = vec![f.entity.clone(), f.jurisdiction.clone(), f.year.clone()];
    c.resize(17, String::new());
    // One line per entity in the CSV: the error's lines joined (the failures sheet keeps them).
    let error = f.error.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" ");
    c.extend(["failed".to_string(), String::new(), error]);
    c
}

struct Sheets {
    wb: Workbook,
    row: u32,
    failure_row: u32,
    text: Format,
    num: Format,
    bold: Format,
}

fn xerr(e: XlsxError) -> RunError {
    RunError::Io(format!("summary workbook: {e}"))
}

impl Sheets {
    fn new() -> Result<Sheets, RunError> {
        let mut wb = Workbook::new();
        let bold = Format::new().set_bold();
        let ws = wb.add_worksheet_with_constant_memory().map_err(xerr)?;
        ws.set_name("汇总 Summary").map_err(xerr)?;
        for (c, (_, zh, en)) in COLUMNS.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, format!("{zh} {en}"), &bold).map_err(xerr)?;
        }
        ws.set_freeze_panes(1, 1).map_err(xerr)?;
        let ws = wb.add_worksheet_with_constant_memory().map_err(xerr)?;
        ws.set_name("失败 Failures").map_err(xerr)?;
        for (c, h) in ["主体 Entity", "市场 Jurisdiction", "年度 Year", "退出码 Exit code", "错误 Error"].iter().enumerate() {
            ws.write_string_with_format(0, c as u16, *h, &bold).map_err(xerr)?;
        }
        Ok(Sheets { wb, row: 1, failure_row: 1, text: Format::new(), num: Format::new().set_num_format("#,##0.######"), bold })
    }

    fn summary(&mut self) -> Result<&mut Worksheet, RunError> {
        self.wb.worksheet_from_index(0).map_err(xerr)
    }

    fn write_row(&mut self, values: &[String], bold: bool) -> Result<(), RunError> {
        let (row, num, text, b) = (self.row, self.num.clone(), self.text.clone(), self.bold.clone());
        let ws = self.summary()?;
        for (c, v) in values.iter().enumerate() {
            if v.is_empty() {
                continue;
            }
            let fmt = if bold { &b } else { &text };
            match crate::decimal::parse(v).and_then(|d| d.to_string().parse::<f64>().ok()) {
                Some(x) if numeric(c) => ws.write_number_with_format(row, c as u16, x, if bold { &b } else { &num }).map_err(xerr)?,
                _ => ws.write_string_with_format(row, c as u16, v, fmt).map_err(xerr)?,
            };
        }
        self.row += 1;
        Ok(())
    }

    fn write_failure(&mut self, f: &FailureRow) -> Result<(), RunError> {
        let row = self.failure_row;
        let ws = self.wb.worksheet_from_index(1).map_err(xerr)?;
        ws.write_string(row, 0, &f.entity).map_err(xerr)?;
        ws.write_string(row, 1, &f.jurisdiction).map_err(xerr)?;
        ws.write_string(row, 2, &f.year).map_err(xerr)?;
        ws.write_number(row, 3, f64::from(f.exit_code)).map_err(xerr)?;
        ws.write_string(row, 4, &f.error).map_err(xerr)?;
        self.failure_row += 1;
        Ok(())
    }
}

/// Writes `summary.csv` and `summary.xlsx`. Returns the exit code of the first failure
/// in listing order, if any.
pub fn write(out_dir: &Path, items: &[Item], outcomes: &[Option<Outcome>], stamps: &Journal) -> Result<Option<i32>, RunError> {
    let csv_path = out_dir.join("summary.csv");
    let xlsx_path = out_dir.join("summary.xlsx");
    let io = |p: &Path, e: std::io::Error| RunError::Io(format!("{}: {e}", p.display()));
    let mut csv = tempfile::Builder::new().prefix(".lvyue-").suffix(".part").tempfile_in(out_dir).map_err(|e| io(out_dir, e))?;
    let mut w = std::io::BufWriter::new(csv.as_file_mut());
    w.write_all("\u{feff}".as_bytes()).map_err(|e| io(&csv_path, e))?;
    let header: Vec<String> = COLUMNS.iter().map(|(k, _, _)| k.to_string()).collect();
    w.write_all(csv_line(&header).as_bytes()).map_err(|e| io(&csv_path, e))?;
    let mut sheets = Sheets::new()?;
    let mut sums = [Decimal::ZERO; COLUMNS.len()];
    let mut first_failure = None;
    let mut emit = |values: Vec<String>, sheets: &mut Sheets, w: &mut dyn Write| -> Result<(), RunError> {
        for (c, v) in values.iter().enumerate() {
            if numeric(c) {
                sums[c] += crate::decimal::parse(v).unwrap_or_default();
            }
        }
        w.write_all(csv_line(&values).as_bytes()).map_err(|e| io(&csv_path, e))?;
        sheets.write_row(&values, false)
    };
    for (item, outcome) in items.iter().zip(outcomes) {
        let stamp = stamps.get(&item.entity, &item.label);
        let (rows, failures) = match (outcome, stamp) {
            (None, _) => (
                vec![],
                vec![FailureRow {
                    entity: item.entity.clone(),
                    jurisdiction: item.input.as_ref().map(|i| i.jurisdictions.join(",")).unwrap_or_default(),
                    year: item.label.clone(),
                    exit_code: 130,
                    error: "not evaluated: the batch was interrupted".into(),
                }],
            ),
            (Some(_), Some(s)) => (s.rows, s.failures),
            (Some(o), None) => (
                vec![],
                vec![FailureRow {
                    entity: item.entity.clone(),
                    jurisdiction: String::new(),
                    year: item.label.clone(),
                    exit_code: crate::host::exit::OTHER,
                    error: match o {
                        Outcome::Failed(e) => e.clone(),
                        _ => "its stamp could not be read back".into(),
                    },
                }],
            ),
        };
        for r in &rows {
            emit(cells(r), &mut sheets, &mut w)?;
        }
        for f in &failures {
            if first_failure.is_none() {
                first_failure = Some(f.exit_code);
            }
            emit(failure_cells(f), &mut sheets, &mut w)?;
            sheets.write_failure(f)?;
        }
    }
    let mut totals: Vec<String> = vec!["合计 Total".into(), String::new(), String::new()];
    for (c, s) in sums.iter().enumerate().skip(3).take(14) {
        totals.push(if numeric(c) { crate::decimal::format(*s) } else { String::new() });
    }
    totals.resize(COLUMNS.len(), String::new());
    w.write_all(csv_line(&totals).as_bytes()).map_err(|e| io(&csv_path, e))?;
    sheets.write_row(&totals, true)?;
    w.flush().map_err(|e| io(&csv_path, e))?;
    drop(w);
    csv.as_file().sync_all().map_err(|e| io(&csv_path, e))?;
    csv.persist(&csv_path).map_err(|e| io(&csv_path, e.error))?;
    let bytes = sheets.wb.save_to_buffer().map_err(xerr)?;
    crate::atomic::write(&xlsx_path, &bytes).map_err(|e| io(&xlsx_path, e))?;
    Ok(first_failure)
}
