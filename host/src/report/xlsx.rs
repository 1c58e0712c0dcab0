//! The compliance workbook: the report as sheets a professional trusts.
//!
//! The answer first ([`super::answer`]: in words and numbers, zh and en, with
//! a signature and stamp block, one A4 page), then the Summary (live formulas with their results cached), the plugin's result
//! tables with their charts, decisions per input row, findings, parameters
//! used, trace and run info; bilingual labels, number formats, frozen
//! headers, column widths. Document properties carry the tool version, the
//! plugin id, version and digest and the input digests. The creation time is
//! fixed, so the same input gives a byte-identical file.
//!
//! Every sheet prints: A4, the answer portrait on one page, the others
//! landscape and fitted to the page width with their header row repeated;
//! the header names the jurisdiction, year, plugin version and rules digest,
//! the footer the page number and count.

use std::collections::HashMap;

use rust_xlsxwriter::{
    Chart, ChartType, DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Formula, Workbook, Worksheet, XlsxError,
};

use crate::report::{ChartKind, Kind, Report, Severity};

pub const SUMMARY: &str = "汇总 Summary";
pub const DECISIONS: &str = "判定 Decisions";
pub const FINDINGS: &str = "问题 Findings";
pub const PARAMETERS: &str = "参数 Parameters used";
pub const TRACE: &str = "追溯 Trace";
pub const RUN: &str = "运行 Run info";

/// Summary columns: A key, B label zh, C label en, D value, E unit, F formula, G trace step.
pub(crate) const SUMMARY_VALUE_COL: u16 = 3;
/// Parameters columns: A key, B name zh, C name en, D value, …
pub(crate) const PARAM_VALUE_COL: u16 = 3;

struct Styles {
    head: Format,
    num: Format,
    int: Format,
    wrap: Format,
    title: Format,
    bold: Format,
}

fn styles() -> Styles {
    Styles {
        head: Format::new()
            .set_bold()
            .set_background_color("#DDEBF7")
            .set_border(FormatBorder::Thin)
            .set_text_wrap()
            .set_align(FormatAlign::Top),
        num: Format::new().set_num_format("#,##0.######"),
        int: Format::new().set_num_format("0"),
        wrap: Format::new().set_text_wrap().set_align(FormatAlign::Top),
        title: Format::new().set_bold().set_font_size(14),
        bold: Format::new().set_bold(),
    }
}

fn header(ws: &mut Worksheet, s: &Styles, cols: &[(&str, f64)]) -> Result<(), XlsxError> {
    for (i, (name, width)) in cols.iter().enumerate() {
        ws.write_with_format(0, i as u16, *name, &s.head)?;
        ws.set_column_width(i as u16, *width)?;
    }
    ws.set_freeze_panes(1, 0)?;
    Ok(())
}

/// Writes exact decimal text as a number cell (text when it is not a number).
/// Excel's longest cell text.
pub const MAX_CELL_CHARS: usize = 32_767;

/// Text as it fits a cell: longer text (a 32,767-character input joined with
/// more, a list of twenty thousand cells) is cut with a pointer to the JSON
/// report, which keeps everything.
pub(crate) fn fit(text: &str) -> std::borrow::Cow<'_, str> {
    if text.chars().count() <= MAX_CELL_CHARS {
        return std::borrow::Cow::Borrowed(text);
    }
    let note = " … (cut to fit an Excel cell; the JSON report (--json) has it all)";
    let keep: String = text.chars().take(MAX_CELL_CHARS - note.chars().count()).collect();
    std::borrow::Cow::Owned(keep + note)
}

fn write_value(ws: &mut Worksheet, s: &Styles, row: u32, col: u16, kind: Kind, value: Option<&str>) -> Result<(), XlsxError> {
    match value {
        None => Ok(()),
        Some(v) if kind == Kind::Number => match v.parse::<f64>() {
            Ok(f) => ws.write_number_with_format(row, col, f, &s.num).map(|_| ()),
            Err(_) => ws.write_string(row, col, fit(v)).map(|_| ()),
        },
        // The default format, so no format: rust_xlsxwriter hashes every format it is
        // given, and a table's text cells are most of a workbook's cells.
        Some(v) => ws.write_string(row, col, fit(v)).map(|_| ()),
    }
}

fn quote_sheet(name: &str) -> String {
    format!("'{}'", name.replace('\'', "''"))
}

/// Sheet names are at most 31 characters and unique.
fn unique_name(used: &mut Vec<String>, wanted: &str) -> String {
    let base: String = wanted.chars().filter(|c| !"[]:*?/\\".contains(*c)).take(31).collect();
    let mut name = base.clone();
    let mut n = 2;
    while used.iter().any(|u| u.eq_ignore_ascii_case(&name)) {
        let suffix = format!(" {n}");
        name = base.chars().take(31 - suffix.chars().count()).collect::<String>() + &suffix;
        n += 1;
    }
    used.push(name.clone());
    name
}

/// The names of one report's standard sheets (prefixed in a multi-jurisdiction workbook).
pub(crate) struct SheetNames {
    pub answer: String,
    pub summary: String,
    pub decisions: String,
    pub findings: String,
    pub parameters: String,
    pub trace: String,
    pub run: String,
}

impl SheetNames {
    fn new(prefix: &str, used: &mut Vec<String>) -> SheetNames {
        let mut name = |base: &str| unique_name(used, &format!("{prefix}{base}"));
        SheetNames {
            answer: name(super::answer::ANSWER),
            summary: name(SUMMARY),
            decisions: name(DECISIONS),
            findings: name(FINDINGS),
            parameters: name(PARAMETERS),
            trace: name(TRACE),
            run: name(RUN),
        }
    }
}

/// Builds the workbook of one report in memory.
pub fn build(report: &Report) -> Result<Vec<u8>, XlsxError> {
    build_with_sheet_rows(report, super::continuation::ROWS_PER_SHEET)
}

/// [`build`], with at most `per_sheet` data rows a sheet before a table
/// continues on the next (Excel's limit in [`build`]; smaller in tests).
pub fn build_with_sheet_rows(report: &Report, per_sheet: usize) -> Result<Vec<u8>, XlsxError> {
    with_scratch_fallback(|scratch| {
        let mut wb = new_workbook(&[report], scratch)?;
        let mut used = Vec::new();
        let names = SheetNames::new("", &mut used);
        write_report(&mut wb, report, &names, &mut used, per_sheet)?;
        finish(wb, &[report])
    })
}

/// Builds one workbook for several jurisdictions: an overview, then each
/// report's sheets prefixed with its jurisdiction. `failures` are
/// (jurisdiction, error) pairs shown on the overview.
pub(crate) fn build_many(items: &[&Report], failures: &[(String, String)]) -> Result<Vec<u8>, XlsxError> {
    with_scratch_fallback(|scratch| build_many_in(items, failures, scratch))
}

fn build_many_in(items: &[&Report], failures: &[(String, String)], scratch: bool) -> Result<Vec<u8>, XlsxError> {
    let s = styles();
    let mut wb = new_workbook(items, scratch)?;
    let mut used = vec![OVERVIEW.to_string()];
    let all: Vec<SheetNames> = items.iter().map(|r| SheetNames::new(&format!("{} ", r.jurisdiction), &mut used)).collect();
    {
        let ws = wb.add_worksheet();
        ws.set_name(OVERVIEW)?;
        let keys: Vec<&str> = OVERVIEW_METRICS.iter().filter(|k| items.iter().any(|r| r.metric(k).is_some())).copied().collect();
        let mut cols: Vec<(String, f64)> = vec![
            ("辖区 Jurisdiction".into(), 16.0),
            ("插件 Plugin".into(), 22.0),
            ("状态 Status".into(), 14.0),
            ("汇总表 Summary sheet".into(), 26.0),
        ];
        cols.extend(keys.iter().map(|k| (k.to_string(), 18.0)));
        cols.push(("问题 Findings (error/warning)".into(), 16.0));
        let heads: Vec<(&str, f64)> = cols.iter().map(|(n, w)| (n.as_str(), *w)).collect();
        header(ws, &s, &heads)?;
        for (i, (r, names)) in items.iter().zip(&all).enumerate() {
            let row = i as u32 + 1;
            ws.write(row, 0, r.jurisdiction.as_str())?;
            ws.write(row, 1, format!("{} {}", r.plugin.id, r.plugin.version))?;
            ws.write(row, 2, "ok")?;
            ws.write_url_with_text(row, 3, format!("internal:{}!A1", quote_sheet(&names.summary)).as_str(), names.summary.as_str())?;
            for (k, key) in keys.iter().enumerate() {
                let col = 4 + k as u16;
                let Some((mi, m)) = r.metrics.iter().enumerate().find(|(_, m)| m.key == *key) else { continue };
                match m.value.as_deref() {
                    Some(v) if m.kind == Kind::Number => {
                        let f = Formula::new(format!("={}!$D${}", quote_sheet(&names.summary), mi + 2)).set_result(v);
                        ws.write_formula_with_format(row, col, f, &s.num)?;
                    }
                    v => write_value(ws, &s, row, col, m.kind, v)?,
                }
            }
            let errors = r.findings.iter().filter(|f| f.severity == Severity::Error).count();
            let warnings = r.findings.iter().filter(|f| f.severity == Severity::Warning).count();
            ws.write(row, 4 + keys.len() as u16, format!("{errors}/{warnings}"))?;
        }
        for (i, (j, e)) in failures.iter().enumerate() {
            let row = (items.len() + i) as u32 + 1;
            ws.write(row, 0, j.as_str())?;
            ws.write(row, 2, "failed")?;
            ws.write_with_format(row, 3, fit(e).as_ref(), &s.wrap)?;
        }
    }
    for (r, names) in items.iter().zip(&all) {
        write_report(&mut wb, r, names, &mut used, super::continuation::ROWS_PER_SHEET)?;
    }
    let reports: Vec<&Report> = items.to_vec();
    finish(wb, &reports)
}

pub const OVERVIEW: &str = "总览 Overview";

/// Rows a workbook may have in all (tables, decisions, findings, trace,
/// parameters, metrics) for its row-by-row sheets' scratch files to go to
/// memory ([`scratch_dir`]): a few MiB of sheet XML at most.
const SCRATCH_IN_MEMORY_ROWS: usize = 5_000;

/// Builds a workbook with `build(true)` (scratch files in memory when small)
/// and, if that fails on a scratch file (a full or missing memory folder: a
/// container's `/dev/shm` is 64 MiB by default), again with `build(false)`
/// (the temporary folder on disk).
fn with_scratch_fallback(build: impl Fn(bool) -> Result<Vec<u8>, XlsxError>) -> Result<Vec<u8>, XlsxError> {
    match build(true) {
        // The workbook is saved to memory: an I/O error can only come from a scratch file.
        Err(XlsxError::TempFileError(_, e) | XlsxError::IoError(e)) => {
            tracing::debug!("building the workbook with its scratch files in memory failed ({e}); again on disk");
            build(false)
        }
        other => other,
    }
}

/// A new workbook; a small one keeps its scratch files in memory if `scratch`.
fn new_workbook(reports: &[&Report], scratch: bool) -> Result<Workbook, XlsxError> {
    let mut wb = Workbook::new();
    let rows: usize = reports
        .iter()
        .map(|r| {
            r.tables.iter().map(|t| t.rows.len()).sum::<usize>()
                + r.decisions.len()
                + r.findings.len()
                + r.trace.len()
                + r.parameters.len()
                + r.metrics.len()
        })
        .sum();
    if scratch
        && rows <= SCRATCH_IN_MEMORY_ROWS
        && let Some(dir) = scratch_dir()
    {
        wb.set_tempdir(dir)?;
    }
    Ok(wb)
}

/// A memory-backed folder for the scratch files of the row-by-row sheets, if
/// this system has one that takes files (Linux: `/dev/shm`).
///
/// rust_xlsxwriter writes each row-by-row (constant-memory) sheet to an
/// unnamed scratch file in the temporary folder, and deletes it when the
/// workbook is saved: eleven files per compliance workbook. On a disk file
/// system such as ext4, every file created soon after others were deleted
/// costs more: allocating its inode looks past each one freed in the last
/// seconds. Measured on a batch of 200 entities: opening and creating files
/// and folders took 14.8 % of a `perf` profile with the scratch files on disk
/// and 2.8 % with them in memory; system time 297 against 232 ms (six
/// alternating runs each). Large workbooks keep them on disk, where their
/// size is no concern.
fn scratch_dir() -> Option<&'static std::path::Path> {
    static DIR: std::sync::OnceLock<Option<std::path::PathBuf>> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::path::Path::new("/dev/shm");
        (dir.is_dir() && tempfile::tempfile_in(dir).is_ok()).then(|| dir.to_path_buf())
    })
    .as_deref()
}

/// Metrics shown on the overview when a report has them.
const OVERVIEW_METRICS: &[&str] = &[
    "verified_emissions_t",
    "obligation_t",
    "offset_cap_t",
    "offsets_used_t",
    "allowances_used_t",
    "shortfall_t",
    "surrender_deadline",
    "penalty_min_cny",
    "penalty_max_cny",
];

/// The sheets of a long table: the first named `name`, then continuation
/// sheets ([`super::continuation`]), each in constant-memory mode with the
/// header row; `rows` writes the given data rows from sheet row 1 on.
fn write_parts(
    wb: &mut Workbook,
    used: &mut Vec<String>,
    name: &str,
    count: usize,
    per_sheet: usize,
    mut rows: impl FnMut(&mut Worksheet, usize, std::ops::Range<usize>) -> Result<(), XlsxError>,
) -> Result<(), XlsxError> {
    for (k, part) in super::continuation::parts(count, per_sheet).into_iter().enumerate() {
        let sheet = if k == 0 { name.to_string() } else { unique_name(used, &super::continuation::name(name, k + 1)) };
        let ws = wb.add_worksheet_with_constant_memory()?;
        ws.set_name(&sheet)?;
        rows(ws, k, part)?;
    }
    Ok(())
}

fn write_report(wb: &mut Workbook, report: &Report, names: &SheetNames, used: &mut Vec<String>, per_sheet: usize) -> Result<(), XlsxError> {
    let s = styles();

    // Cell addresses for formulas: metrics on Summary, numeric parameters on Parameters used.
    let mut cells: HashMap<String, String> = HashMap::new();
    for (i, m) in report.metrics.iter().enumerate() {
        cells.insert(m.key.clone(), format!("{}!$D${}", quote_sheet(&names.summary), i + 2));
    }
    for (i, p) in report.parameters.iter().enumerate() {
        if p.kind == Kind::Number {
            cells.insert(p.key.clone(), format!("{}!$D${}", quote_sheet(&names.parameters), i + 2));
        }
    }

    // Every sheet of a report is written strictly row by row, in constant-memory mode:
    // when saving, rust_xlsxwriter assembles every other sheet on a thread of its own,
    // and in a batch of small workbooks a thread costs more than the scratch file. With
    // the answer sheet too (the last one that was not), a batch of 200 entities makes
    // 4 threads instead of 204 and takes 3.7 % less CPU (six alternating runs).

    // ---- the answer, first -----------------------------------------------------------
    // (answer::write goes down the rows in order; its text cells are inline strings.)
    {
        let ws = wb.add_worksheet_with_constant_memory()?;
        ws.set_name(&names.answer)?;
        super::answer::write(ws, report, &cells)?;
    }

    // ---- Summary -------------------------------------------------------------------
    {
        let ws = wb.add_worksheet_with_constant_memory()?;
        ws.set_name(&names.summary)?;
        header(
            ws,
            &s,
            &[
                ("指标 Key", 30.0),
                ("名称", 26.0),
                ("Label", 36.0),
                ("数值 Value", 20.0),
                ("单位 Unit", 9.0),
                ("公式 Formula", 48.0),
                ("追溯 Trace step", 10.0),
            ],
        )?;
        for (i, m) in report.metrics.iter().enumerate() {
            let r = i as u32 + 1;
            ws.write(r, 0, m.key.as_str())?;
            ws.write(r, 1, m.label.zh.as_str())?;
            ws.write(r, 2, m.label.en.as_str())?;
            let live = m.formula.as_deref().and_then(|f| crate::report::formula::parse(f).ok()).and_then(|e| e.to_excel(&cells).ok());
            match (live, m.value.as_deref()) {
                (Some(excel), Some(v)) if m.kind == Kind::Number => {
                    ws.write_formula_with_format(r, SUMMARY_VALUE_COL, Formula::new(format!("={excel}")).set_result(v), &s.num)?;
                }
                _ => write_value(ws, &s, r, SUMMARY_VALUE_COL, m.kind, m.value.as_deref())?,
            }
            ws.write(r, 4, m.unit.as_str())?;
            if let Some(f) = &m.formula {
                ws.write(r, 5, f.as_str())?;
            }
            if let Some(t) = m.trace_step {
                ws.write_number_with_format(r, 6, t as f64, &s.int)?;
            }
        }
        let r = report.metrics.len() as u32 + 2;
        ws.write_with_format(r, 0, format!("{} {} — {}", report.plugin.id, report.plugin.version, report.jurisdiction), &s.bold)?;
        ws.write(r + 1, 0, format!("履约年度 Compliance year {} ({} – {})", report.year, report.period.start, report.period.end))?;
        let unverified = report.parameters.iter().filter(|p| p.confidence != crate::rules::Mark::Verified).count();
        ws.write(
            r + 2,
            0,
            format!(
                "使用参数 {} 个，其中 {} 个未经官方原文核实（见「参数」表）。 {} parameters used, {} not verified in the official text (see Parameters used).",
                report.parameters.len(),
                unverified,
                report.parameters.len(),
                unverified
            ),
        )?;
    }

    // ---- the plugin's result tables ---------------------------------------------------
    for t in &report.tables {
        let prefix = names.summary.strip_suffix(SUMMARY).unwrap_or("");
        let name = unique_name(used, &format!("{prefix}{} {}", t.name.zh, t.name.en));
        let heads: Vec<String> = t
            .columns
            .iter()
            .map(|c| match &c.unit {
                Some(u) => format!("{} {} [{u}]", c.name.zh, c.name.en),
                None => format!("{} {}", c.name.zh, c.name.en),
            })
            .collect();
        let widths: Vec<(&str, f64)> = heads.iter().map(|h| (h.as_str(), (h.chars().count() as f64 * 1.2).clamp(12.0, 40.0))).collect();
        write_parts(wb, used, &name, t.rows.len(), per_sheet, |ws, part, rows| {
            header(ws, &s, &widths)?;
            for (r, row) in t.rows[rows.clone()].iter().enumerate() {
                for (c, v) in row.iter().enumerate() {
                    let Some(v) = v else { continue };
                    let is_num = t.columns.get(c).is_some_and(|col| col.unit.is_some()) && crate::decimal::parse(v).is_some();
                    write_value(ws, &s, r as u32 + 1, c as u16, if is_num { Kind::Number } else { Kind::Text }, Some(v))?;
                }
            }
            // Charts on the first sheet, over its rows.
            let n = if part == 0 { rows.len() as u32 } else { 0 };
            for (k, ch) in t.charts.iter().enumerate() {
                if n == 0 {
                    continue;
                }
                let Some(cat) = t.columns.iter().position(|c| c.key == ch.category_column) else { continue };
                let mut chart = Chart::new(match ch.kind {
                    ChartKind::Bar => ChartType::Bar,
                    ChartKind::Pie => ChartType::Pie,
                    ChartKind::Column => ChartType::Column,
                });
                chart.title().set_name(&format!("{} / {}", ch.title.zh, ch.title.en));
                for vc in &ch.value_columns {
                    let Some(val) = t.columns.iter().position(|c| &c.key == vc) else { continue };
                    let col = &t.columns[val];
                    chart
                        .add_series()
                        .set_name(format!("{} {}", col.name.zh, col.name.en).as_str())
                        .set_categories((name.as_str(), 1, cat as u16, n, cat as u16))
                        .set_values((name.as_str(), 1, val as u16, n, val as u16));
                }
                if ch.kind == ChartKind::Pie {
                    chart.legend().set_position(rust_xlsxwriter::ChartLegendPosition::Right);
                } else {
                    chart.legend().set_hidden();
                }
                ws.insert_chart(1 + (k as u32) * 22, t.columns.len() as u16 + 1, &chart)?;
            }
            Ok(())
        })?;
    }

    // ---- decisions ------------------------------------------------------------------------
    {
        let describe = |code: &str| report.codes.get(code).map(|d| format!("{} / {}", d.zh, d.en)).unwrap_or_default();
        write_parts(wb, used, &names.decisions, report.decisions.len(), per_sheet, |ws, _, rows| {
            header(
                ws,
                &s,
                &[
                    ("表 Table", 18.0),
                    ("行 Row", 22.0),
                    ("对象 Subject", 34.0),
                    ("结论 Outcome", 14.0),
                    ("数量 Amount", 16.0),
                    ("单位 Unit", 8.0),
                    ("原因 Reasons", 30.0),
                    ("依据 Why", 60.0),
                ],
            )?;
            for (i, d) in report.decisions[rows.clone()].iter().enumerate() {
                let r = i as u32 + 1;
                ws.write(r, 0, d.table.as_str())?;
                ws.write(r, 1, fit(&d.row).as_ref())?;
                ws.write(r, 2, fit(&d.subject).as_ref())?;
                ws.write(r, 3, d.outcome.as_str())?;
                write_value(ws, &s, r, 4, Kind::Number, d.amount.as_deref())?;
                ws.write(r, 5, d.unit.as_deref().unwrap_or(""))?;
                ws.write(r, 6, fit(&d.reasons.join(", ")).as_ref())?;
                ws.write_with_format(r, 7, fit(&d.reasons.iter().map(|c| describe(c)).collect::<Vec<_>>().join("; ")).as_ref(), &s.wrap)?;
            }
            ws.autofilter(0, 0, rows.len() as u32, 7)?;
            Ok(())
        })?;
    }

    // ---- findings -----------------------------------------------------------------------
    {
        write_parts(wb, used, &names.findings, report.findings.len(), per_sheet, |ws, _, rows| {
            header(ws, &s, &[("级别 Severity", 10.0), ("代码 Code", 26.0), ("说明", 60.0), ("Message", 60.0), ("单元格 Cells", 30.0)])?;
            for (i, f) in report.findings[rows].iter().enumerate() {
                let r = i as u32 + 1;
                ws.write(r, 0, f.severity.as_str())?;
                ws.write(r, 1, f.code.as_str())?;
                ws.write_with_format(r, 2, fit(&f.message.zh).as_ref(), &s.wrap)?;
                ws.write_with_format(r, 3, fit(&f.message.en).as_ref(), &s.wrap)?;
                ws.write(r, 4, fit(&f.cells.join(", ")).as_ref())?;
            }
            Ok(())
        })?;
    }

    // ---- parameters used -------------------------------------------------------------------
    {
        let ws = wb.add_worksheet_with_constant_memory()?;
        ws.set_name(&names.parameters)?;
        header(
            ws,
            &s,
            &[
                ("参数 Key", 34.0),
                ("名称", 26.0),
                ("Name", 34.0),
                ("数值 Value", 14.0),
                ("单位 Unit", 9.0),
                ("生效 Effective", 12.0),
                ("失效 Until", 12.0),
                ("法律依据 Legal reference", 60.0),
                ("可信度 Confidence", 12.0),
                ("说明 Note", 50.0),
                ("文件 File", 28.0),
            ],
        )?;
        for (i, p) in report.parameters.iter().enumerate() {
            let r = i as u32 + 1;
            ws.write(r, 0, p.key.as_str())?;
            ws.write(r, 1, p.name.zh.as_str())?;
            ws.write(r, 2, p.name.en.as_str())?;
            write_value(ws, &s, r, PARAM_VALUE_COL, p.kind, Some(&p.value))?;
            ws.write(r, 4, p.unit.as_deref().unwrap_or(""))?;
            ws.write(r, 5, p.effective.as_str())?;
            ws.write(r, 6, p.until.as_deref().unwrap_or(""))?;
            ws.write_with_format(r, 7, p.reference.as_str(), &s.wrap)?;
            ws.write(r, 8, p.confidence.as_str())?;
            ws.write_with_format(r, 9, p.note.as_deref().unwrap_or(""), &s.wrap)?;
            ws.write(r, 10, p.file.as_str())?;
        }
    }

    // ---- trace --------------------------------------------------------------------------
    {
        write_parts(wb, used, &names.trace, report.trace.len(), per_sheet, |ws, _, rows| {
            header(
                ws,
                &s,
                &[
                    ("步骤 Step", 8.0),
                    ("条款 Clause", 40.0),
                    ("说明", 40.0),
                    ("Description", 50.0),
                    ("参数 Parameters", 34.0),
                    ("输入 Inputs", 50.0),
                    ("数值 Value", 18.0),
                    ("单位 Unit", 8.0),
                ],
            )?;
            for (i, t) in report.trace[rows].iter().enumerate() {
                let r = i as u32 + 1;
                ws.write_number_with_format(r, 0, t.index as f64, &s.int)?;
                ws.write_with_format(r, 1, t.clause.as_str(), &s.wrap)?;
                ws.write_with_format(r, 2, fit(&t.description.zh).as_ref(), &s.wrap)?;
                ws.write_with_format(r, 3, fit(&t.description.en).as_ref(), &s.wrap)?;
                ws.write_with_format(r, 4, t.parameters.join(", "), &s.wrap)?;
                // Long input lists are summarised; the JSON report keeps them all.
                let inputs = if t.inputs.len() > 20 {
                    format!("{} … ({} cells)", t.inputs[..20].join(", "), t.inputs.len())
                } else {
                    t.inputs.join(", ")
                };
                ws.write_with_format(r, 5, fit(&inputs).as_ref(), &s.wrap)?;
                let kind = if t.value.as_deref().and_then(crate::decimal::parse).is_some() { Kind::Number } else { Kind::Text };
                write_value(ws, &s, r, 6, kind, t.value.as_deref())?;
                ws.write(r, 7, t.unit.as_deref().unwrap_or(""))?;
            }
            Ok(())
        })?;
    }

    // ---- run info -----------------------------------------------------------------------
    {
        let ws = wb.add_worksheet_with_constant_memory()?;
        ws.set_name(&names.run)?;
        ws.set_column_width(0, 30)?;
        ws.set_column_width(1, 90)?;
        ws.write_with_format(0, 0, "运行信息 Run info", &s.title)?;
        let mut rows: Vec<(String, String)> = vec![
            ("工具 Tool".into(), report.tool.clone()),
            ("合约 Contract".into(), report.contract.clone()),
            ("插件 Plugin".into(), format!("{} {}", report.plugin.id, report.plugin.version)),
            ("插件合约 Plugin contract".into(), report.plugin.contract.clone()),
            ("组件摘要 Component SHA-256".into(), report.plugin.component_sha256.clone()),
            ("规则摘要 Rules SHA-256".into(), report.plugin.rules_sha256.clone()),
            ("规则来源 Rules source".into(), report.plugin.rules_source.clone()),
            ("插件来源 Plugin origin".into(), report.plugin.origin.clone()),
            ("辖区 Jurisdiction".into(), report.jurisdiction.clone()),
            ("履约年度 Compliance year".into(), report.year.to_string()),
        ];
        for i in &report.inputs {
            rows.push(("输入 Input".into(), format!("{} (SHA-256 {})", i.path, i.sha256)));
        }
        for (k, v) in &report.options {
            rows.push((format!("选项 Option {k}"), v.clone()));
        }
        rows.push(("燃料 Fuel used / limit".into(), format!("{} / {}", report.run.fuel_used, report.run.fuel_limit)));
        rows.push(("内存峰值 Peak memory (bytes)".into(), report.run.peak_memory_bytes.to_string()));
        rows.push((
            "插件日志 Plugin log".into(),
            format!("{}{}", report.run.log, if report.run.log_truncated { "\n[truncated]" } else { "" }),
        ));
        for (i, (k, v)) in rows.iter().enumerate() {
            ws.write_with_format(i as u32 + 2, 0, k.as_str(), &s.bold)?;
            ws.write_with_format(i as u32 + 2, 1, fit(v).as_ref(), &s.wrap)?;
        }
    }

    Ok(())
}

/// Document properties (run metadata, fixed creation time) and the bytes.
fn finish(mut wb: Workbook, reports: &[&Report]) -> Result<Vec<u8>, XlsxError> {
    let join = |f: &dyn Fn(&Report) -> String| reports.iter().map(|r| f(r)).collect::<Vec<_>>().join("; ");
    let inputs = join(&|r| r.inputs.iter().map(|i| format!("{} {}", i.path, i.sha256)).collect::<Vec<_>>().join("; "));
    let ids = join(&|r| r.plugin.id.clone());
    let versions = join(&|r| r.plugin.version.clone());
    let digests = join(&|r| r.plugin.component_sha256.clone());
    let rules = join(&|r| r.plugin.rules_sha256.clone());
    let title = join(&|r| format!("{} {}", r.jurisdiction, r.year));
    let tool = reports.first().map(|r| r.tool.clone()).unwrap_or_default();
    let props = DocProperties::new()
        .set_title(format!("{title} compliance report"))
        .set_subject("lvyue compliance report")
        .set_author(&tool)
        .set_company("lvyue")
        .set_comment(format!("plugin {ids} {versions} sha256 {digests}"))
        .set_creation_datetime(&ExcelDateTime::from_ymd(2000, 1, 1)?)
        .set_custom_property("lvyue_tool", tool.as_str())
        .set_custom_property("plugin_id", ids.as_str())
        .set_custom_property("plugin_version", versions.as_str())
        .set_custom_property("plugin_sha256", digests.as_str())
        .set_custom_property("rules_sha256", rules.as_str())
        .set_custom_property("input_sha256", inputs.as_str());
    wb.set_properties(&props);
    let rules = reports
        .iter()
        .map(|r| format!("{} {} rules {}", r.plugin.id, r.plugin.version, r.plugin.rules_sha256.get(..12).unwrap_or("")))
        .collect::<Vec<_>>()
        .join("; ");
    for ws in wb.worksheets_mut() {
        print_setup(ws, &title, &rules);
    }
    wb.set_zip_compression_level(ZIP_LEVEL);
    wb.save_to_buffer()
}

/// The deflate level of the workbook's parts: the fastest. Measured on a
/// batch of 200 national-market entities, deflate takes 5.8 % of the CPU at
/// level 1, 12.9 % at 2 and 19.3 % at the library's default (6), for a
/// compliance workbook of 62, 53 and 49 KB. A 100,000-row evaluation takes
/// 3.02 s at level 1 against 3.21 s at 6, and writes 6.8 MB against 4.2 MB.
const ZIP_LEVEL: u8 = 1;

/// Print settings of one sheet (see the module doc). `&` is the header codes' escape.
fn print_setup(ws: &mut Worksheet, title: &str, rules: &str) {
    let esc = |s: &str| s.replace('&', "&&");
    ws.set_paper_size(9); // A4
    ws.set_header(format!("&L&9{}&R&9{}", esc(title), esc(rules)));
    ws.set_footer("&L&9&A&R&9第 &P 页，共 &N 页 Page &P of &N");
    ws.set_margins(0.5, 0.5, 0.7, 0.7, 0.3, 0.3);
    if ws.name().ends_with(super::answer::ANSWER) {
        ws.set_print_fit_to_pages(1, 1);
        ws.set_print_center_horizontally(true);
    } else {
        ws.set_landscape();
        ws.set_print_fit_to_pages(1, 0);
        let _ = ws.set_repeat_rows(0, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_scratch_file_in_memory_is_retried_on_disk() {
        let tries = std::cell::RefCell::new(Vec::new());
        let out = with_scratch_fallback(|scratch| {
            tries.borrow_mut().push(scratch);
            if scratch {
                Err(XlsxError::TempFileError("/dev/shm".into(), std::io::Error::other("no space left on device")))
            } else {
                Ok(vec![1])
            }
        });
        assert_eq!(out.unwrap(), vec![1]);
        assert_eq!(*tries.borrow(), vec![true, false]);
        // Any other error is the build's own: not retried.
        tries.borrow_mut().clear();
        let out = with_scratch_fallback(|scratch| {
            tries.borrow_mut().push(scratch);
            Err(XlsxError::MaxStringLengthExceeded)
        });
        assert!(matches!(out, Err(XlsxError::MaxStringLengthExceeded)));
        assert_eq!(*tries.borrow(), vec![true]);
    }
}
