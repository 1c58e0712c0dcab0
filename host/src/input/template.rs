//! Input workbooks generated from a plugin's declared input: an instructions
//! sheet, one sheet per declared table with bilingual headers and units, and
//! data validation on every cell meant to be edited.

use rust_xlsxwriter::{DataValidation, DataValidationErrorStyle, DataValidationRule, Format, FormatBorder, Workbook, XlsxError};

use crate::contract::{PluginInfo, ValueKind};
use crate::input::{RawTable, RawValue};

/// Rows of each input sheet that carry data validation.
const EDITABLE_ROWS: u32 = 5000;

/// The header text of a column: "中文 English [unit]".
pub fn header(zh: &str, en: &str, unit: Option<&str>) -> String {
    match unit {
        Some(u) => format!("{zh} {en} [{u}]"),
        None => format!("{zh} {en}"),
    }
}

/// Builds the template workbook in memory: empty data sheets, plus a filled
/// example sheet for each sheet whose columns declare example values.
pub fn build(info: &PluginInfo, year: Option<u16>) -> Result<Vec<u8>, XlsxError> {
    build_with_data(info, year, &[])
}

/// Builds an input workbook with `data` in the data sheets (used for the
/// bundled samples and by tests); units stated in `data` go into the headers.
pub fn build_with_data(info: &PluginInfo, year: Option<u16>, data: &[RawTable]) -> Result<Vec<u8>, XlsxError> {
    build_into(info, year, data, &[], &mut |_| Ok(()))
}

/// [`build_with_data`] without the sheets keyed in `omit`, and with `extra`
/// sheets written after the instructions (the official layouts a plugin
/// declares, `super::layout::template`).
pub(crate) fn build_into(
    info: &PluginInfo,
    year: Option<u16>,
    data: &[RawTable],
    omit: &[String],
    extra: &mut dyn FnMut(&mut Workbook) -> Result<(), XlsxError>,
) -> Result<Vec<u8>, XlsxError> {
    let kept: Vec<crate::contract::SheetSpec> = info.input.iter().filter(|s| !omit.contains(&s.key)).cloned().collect();
    let info = &PluginInfo { input: kept, ..info.clone() };
    let mut wb = Workbook::new();
    let title = Format::new().set_bold().set_font_size(14);
    let bold = Format::new().set_bold();
    let head = Format::new().set_bold().set_background_color("#DDEBF7").set_border(FormatBorder::Thin).set_text_wrap();
    let wrap = Format::new().set_text_wrap();

    // Lists for validation live on a hidden sheet: Excel limits inline lists to 255 characters.
    let mut lists: Vec<(String, Vec<String>)> = Vec::new();
    for s in &info.input {
        for c in &s.columns {
            if !c.choices.is_empty() && !lists.iter().any(|(_, l)| *l == c.choices) {
                lists.push((format!("{}.{}", s.key, c.key), c.choices.clone()));
            }
        }
    }

    {
        let ws = wb.add_worksheet();
        ws.set_name("说明 Instructions")?;
        ws.set_column_width(0, 28)?;
        ws.set_column_width(1, 90)?;
        ws.write_with_format(0, 0, format!("{} / {}", info.name.zh, info.name.en), &title)?;
        ws.write(1, 0, "插件 Plugin")?;
        ws.write(1, 1, format!("{} {}", info.id, info.version))?;
        ws.write(2, 0, "履约年度 Compliance year")?;
        ws.write(
            2,
            1,
            year.map(|y| y.to_string()).unwrap_or_else(|| info.years.iter().map(|y| y.to_string()).collect::<Vec<_>>().join(", ")),
        )?;
        ws.write_with_format(
            3,
            1,
            "每个数据表第1行为表头（中文、英文、单位）。单位可改写为可换算的单位，如 [万吨]。空行会被忽略。\nRow 1 of each data sheet is the header (Chinese, English, unit). A unit may be replaced by a convertible one, e.g. [kt]. Blank rows are ignored.",
            &wrap,
        )?;
        let mut r = 5;
        for s in &info.input {
            ws.write_with_format(r, 0, format!("{} {}", s.name.zh, s.name.en), &bold)?;
            ws.write_with_format(
                r,
                1,
                format!("{}{}\n{}", if s.required { "必需 Required. " } else { "可选 Optional. " }, s.help.zh, s.help.en),
                &wrap,
            )?;
            r += 1;
            for c in &s.columns {
                ws.write(r, 0, header(&c.name.zh, &c.name.en, c.unit.as_deref()))?;
                let mut text = format!("{} / {}", c.help.zh, c.help.en);
                if c.required {
                    text.push_str(" — 必填 required");
                }
                if !c.choices.is_empty() {
                    text.push_str(&format!(" — {}", c.choices.join(", ")));
                }
                ws.write_with_format(r, 1, text, &wrap)?;
                r += 1;
            }
            r += 1;
        }
    }
    extra(&mut wb)?;

    let date_fmt = Format::new().set_num_format("yyyy-mm-dd");
    for s in &info.input {
        let rows = data.iter().find(|t| t.key == s.key);
        let ws = wb.add_worksheet();
        ws.set_name(sheet_name(&s.name.zh, &s.name.en))?;
        if let Some(t) = rows {
            for (r, row) in t.rows.iter().enumerate() {
                for (i, c) in s.columns.iter().enumerate() {
                    if let Some(cell) = row.cells.get(&c.key) {
                        write_raw(ws, r as u32 + 1, i as u16, &cell.value, &date_fmt)?;
                    }
                }
            }
        }
        for (i, c) in s.columns.iter().enumerate() {
            let col = i as u16;
            let unit = rows.and_then(|t| t.units.get(&c.key)).map(String::as_str).or(c.unit.as_deref());
            ws.write_with_format(0, col, header(&c.name.zh, &c.name.en, unit), &head)?;
            ws.set_column_width(col, 22)?;
            let mut v = match c.kind {
                ValueKind::Number => {
                    let min = c.minimum.as_deref().and_then(|m| m.parse::<f64>().ok());
                    let dv = DataValidation::new();
                    match min {
                        Some(m) => dv.allow_decimal_number(DataValidationRule::GreaterThanOrEqualTo(m)),
                        None => dv.allow_decimal_number(DataValidationRule::Between(-1e15, 1e15)),
                    }
                }
                ValueKind::Date => {
                    DataValidation::new().allow_date(DataValidationRule::GreaterThan(rust_xlsxwriter::ExcelDateTime::from_ymd(1990, 1, 1)?))
                }
                ValueKind::Boolean => DataValidation::new().allow_list_strings(&["是", "否"])?,
                ValueKind::Text if !c.choices.is_empty() => {
                    let idx = lists.iter().position(|(_, l)| *l == c.choices).unwrap_or(0);
                    let letter = crate::input::workbook::col_letter(idx as u32);
                    DataValidation::new()
                        .allow_list_formula(format!("=_lists!${letter}$2:${letter}${}", c.choices.len() + 1).as_str().into())
                }
                ValueKind::Text => DataValidation::new().allow_any_value(),
            };
            v = v
                .set_error_style(DataValidationErrorStyle::Stop)
                .set_input_title(truncate(&c.name.en, 32))?
                .set_input_message(truncate(&format!("{} / {}", c.help.zh, c.help.en), 255))?;
            ws.add_data_validation(1, col, EDITABLE_ROWS, col, &v)?;
        }
        ws.set_freeze_panes(1, 0)?;
        ws.set_row_height(0, 36)?;
    }

    // Filled examples, on their own sheets so they are never read as data.
    if data.is_empty() {
        for s in &info.input {
            let n = s.columns.iter().map(|c| c.examples.len()).max().unwrap_or(0);
            if n == 0 {
                continue;
            }
            let ws = wb.add_worksheet();
            ws.set_name(truncate(&format!("示例 Example {}", s.name.zh), 31))?;
            for (i, c) in s.columns.iter().enumerate() {
                ws.write_with_format(0, i as u16, header(&c.name.zh, &c.name.en, c.unit.as_deref()), &head)?;
                ws.set_column_width(i as u16, 22)?;
                for (r, e) in c.examples.iter().enumerate() {
                    let v = match c.kind {
                        ValueKind::Number => RawValue::Number(e.clone()),
                        ValueKind::Date => RawValue::Date(e.clone()),
                        _ => RawValue::Text(e.clone()),
                    };
                    write_raw(ws, r as u32 + 1, i as u16, &v, &date_fmt)?;
                }
            }
            ws.set_freeze_panes(1, 0)?;
        }
    }

    if !lists.is_empty() {
        let ws = wb.add_worksheet();
        ws.set_name("_lists")?;
        for (i, (name, items)) in lists.iter().enumerate() {
            ws.write(0, i as u16, name.as_str())?;
            for (r, item) in items.iter().enumerate() {
                ws.write(r as u32 + 1, i as u16, item.as_str())?;
            }
        }
        ws.set_hidden(true);
    }
    // A fixed creation time: the same declaration gives the same bytes.
    wb.set_properties(
        &rust_xlsxwriter::DocProperties::new()
            .set_title(format!("{} input", info.id))
            .set_author(format!("lvyue {}", crate::TOOL_VERSION))
            .set_creation_datetime(&rust_xlsxwriter::ExcelDateTime::from_ymd(2000, 1, 1)?),
    );
    wb.save_to_buffer()
}

/// Whether a sheet belongs in the portfolio workbook (allowances, credits,
/// certificates) rather than the inventory workbook.
pub fn is_portfolio(spec: &crate::contract::SheetSpec) -> bool {
    spec.schema.as_deref().is_some_and(|s| s.starts_with("lvyue.portfolio.") || s.starts_with("lvyue.account."))
}

/// Splits a plugin's declaration into the inventory and portfolio workbooks' sheets.
pub fn split(info: &PluginInfo) -> (PluginInfo, PluginInfo) {
    let (portfolio, inventory): (Vec<_>, Vec<_>) = info.input.iter().cloned().partition(is_portfolio);
    (PluginInfo { input: inventory, ..info.clone() }, PluginInfo { input: portfolio, ..info.clone() })
}

/// Writes one raw value as a typed cell: numbers as numbers, dates as Excel dates.
fn write_raw(ws: &mut rust_xlsxwriter::Worksheet, row: u32, col: u16, v: &RawValue, date_fmt: &Format) -> Result<(), XlsxError> {
    match v {
        RawValue::Empty => {}
        RawValue::Number(n) => match n.parse::<f64>() {
            Ok(f) => {
                ws.write_number(row, col, f)?;
            }
            Err(_) => {
                ws.write_string(row, col, n)?;
            }
        },
        RawValue::Date(d) => {
            let parts: Vec<u16> = d.split('-').filter_map(|p| p.parse().ok()).collect();
            match parts.as_slice() {
                [y, m, dd] => {
                    ws.write_datetime_with_format(row, col, rust_xlsxwriter::ExcelDateTime::from_ymd(*y, *m as u8, *dd as u8)?, date_fmt)?;
                }
                _ => {
                    ws.write_string(row, col, d)?;
                }
            }
        }
        RawValue::Bool(b) => {
            ws.write_string(row, col, if *b { "是" } else { "否" })?;
        }
        RawValue::Text(t) | RawValue::Error(t) => {
            ws.write_string(row, col, t)?;
        }
    }
    Ok(())
}

/// Sheet names: "中文 English", at most 31 characters.
pub fn sheet_name(zh: &str, en: &str) -> String {
    let full = format!("{zh} {en}");
    truncate(&full, 31).trim_end().to_string()
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}
