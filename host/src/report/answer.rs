//! The first sheet of the compliance workbook: the answer in words and
//! numbers, in Chinese and English, before any table; then the findings by
//! severity, what the numbers rest on, and a signature and stamp block. It
//! prints on one A4 page.
//!
//! The headline metrics are the conventional keys the plugins share
//! (`obligation_t`, `shortfall_t`, `surrender_deadline`, …, see
//! [`HEADLINES`]); a plugin that reports none of them gets its first metrics.
//! Each number is a live formula on the Summary cell it comes from, with the
//! result cached, so the page and the Summary cannot disagree.

use std::collections::HashMap;

use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Formula, Worksheet, XlsxError};

use crate::report::{Kind, Report, Severity};

pub(crate) const ANSWER: &str = "结论 Answer";

/// Metric keys shown as the answer, in this order, when the report has them.
pub(crate) const HEADLINES: &[&str] = &[
    "obligation_t",
    "allocation_t",
    "allowances_used_t",
    "offset_cap_t",
    "offsets_used_t",
    "shortfall_t",
    "surrender_deadline",
    "penalty_min_cny",
    "penalty_max_cny",
    "emissions_total_t",
    "offsets_retired_t",
    "balance_t",
    "deadline",
    "suppliers_scored",
    "average_score",
];

/// How many metrics stand in for the headlines when a report has none of them.
pub(crate) const FALLBACK_HEADLINES: usize = 8;

/// Thousands separators and the exact decimals: 3551367.5 → 3,551,367.5 (the
/// same grouping as the rendered documents).
fn grouped(v: &str) -> String {
    super::render::group_thousands(v)
}

/// The one-sentence answer of a compliance report (zh, en), when it has an obligation and a shortfall
/// (also the printable result's, `report::html`).
pub(crate) fn sentence(report: &Report) -> Option<(String, String)> {
    let value = |k: &str| report.metric(k).and_then(|m| m.value.clone());
    let (obligation, shortfall) = (value("obligation_t")?, value("shortfall_t")?);
    let deadline = value("surrender_deadline");
    let by_zh = deadline.as_deref().map(|d| format!("须在 {d} 前")).unwrap_or_else(|| "须".into());
    let by_en = deadline.as_deref().map(|d| format!(" by {d}")).unwrap_or_default();
    let none_short = crate::decimal::parse(&shortfall).is_some_and(|d| d.is_zero());
    // A year-to-date run (`--as-of`, passed to the plugin as the option `as_of`) is a forecast, and says so.
    let (zh, en) = sentence_final(&obligation, &shortfall, &by_zh, &by_en, none_short);
    Some(match report.options.iter().find(|(k, _)| k == "as_of") {
        Some((_, month)) => (format!("预测（截至 {month}）— {zh}"), format!("Forecast (as of {month}) — {en}")),
        None => (zh, en),
    })
}

/// The answer's words for a final (not forecast) year.
fn sentence_final(obligation: &str, shortfall: &str, by_zh: &str, by_en: &str, none_short: bool) -> (String, String) {
    if none_short {
        (
            format!("结论：{by_zh}清缴 {} 吨；现有持有量足以履约，无需购买。", grouped(obligation)),
            format!("Answer: surrender {} t{by_en}; the holdings cover the obligation, nothing to buy.", grouped(obligation)),
        )
    } else {
        (
            format!("结论：{by_zh}清缴 {} 吨；尚缺 {} 吨，需购买补足。", grouped(obligation), grouped(shortfall)),
            format!("Answer: surrender {} t{by_en}; buy {} t to close the shortfall.", grouped(obligation), grouped(shortfall)),
        )
    }
}

/// Writes the answer sheet. `summary_cells` maps metric keys to their Summary cells.
/// The sheet is in constant-memory mode: rows are written in order, each row's
/// height set before a later row is written.
pub(crate) fn write(ws: &mut Worksheet, report: &Report, summary_cells: &HashMap<String, String>) -> Result<(), XlsxError> {
    let title = Format::new().set_bold().set_font_size(16);
    let big = Format::new().set_bold().set_font_size(12).set_text_wrap().set_align(FormatAlign::Top);
    let wrap = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    let head = Format::new().set_bold().set_background_color("#DDEBF7").set_border(FormatBorder::Thin).set_text_wrap();
    let num = Format::new().set_num_format("#,##0.##").set_bold().set_border(FormatBorder::Thin);
    let cell = Format::new().set_border(FormatBorder::Thin).set_text_wrap().set_align(FormatAlign::Top);
    let stamp = Format::new().set_border(FormatBorder::Medium).set_align(FormatAlign::Top);
    ws.set_column_width(0, 34.0)?;
    ws.set_column_width(1, 18.0)?;
    ws.set_column_width(2, 8.0)?;
    ws.set_column_width(3, 40.0)?;

    ws.merge_range(0, 0, 0, 3, &format!("{} / {} — {}", report.plugin.name.zh, report.plugin.name.en, report.year), &title)?;
    ws.merge_range(
        1,
        0,
        1,
        3,
        &format!(
            "履约年度 Compliance year {} ({} – {}); {} {}",
            report.year, report.period.start, report.period.end, report.plugin.id, report.plugin.version
        ),
        &wrap,
    )?;
    let mut row = 3;
    if let Some((zh, en)) = sentence(report) {
        ws.set_row_height(row, 36.0)?;
        ws.merge_range(row, 0, row, 3, &zh, &big)?;
        ws.set_row_height(row + 1, 36.0)?;
        ws.merge_range(row + 1, 0, row + 1, 3, &en, &big)?;
        row += 3;
    }

    for (c, h) in ["项目", "数值 Value", "单位 Unit", "Item"].iter().enumerate() {
        ws.write_with_format(row, c as u16, *h, &head)?;
    }
    row += 1;
    let mut shown: Vec<&crate::report::MetricOut> = HEADLINES.iter().filter_map(|k| report.metric(k)).collect();
    if shown.is_empty() {
        shown = report.metrics.iter().take(FALLBACK_HEADLINES).collect();
    }
    for m in shown {
        ws.write_with_format(row, 0, m.label.zh.as_str(), &cell)?;
        match (m.value.as_deref(), summary_cells.get(&m.key)) {
            (Some(v), Some(at)) if m.kind == Kind::Number => {
                ws.write_formula_with_format(row, 1, Formula::new(format!("={at}")).set_result(v), &num)?;
            }
            (v, _) => {
                ws.write_with_format(row, 1, v.unwrap_or("—"), &cell)?;
            }
        }
        ws.write_with_format(row, 2, m.unit.as_str(), &cell)?;
        ws.write_with_format(row, 3, m.label.en.as_str(), &cell)?;
        row += 1;
    }

    row += 1;
    let count = |s: Severity| report.findings.iter().filter(|f| f.severity == s).count();
    let (e, w, i) = (count(Severity::Error), count(Severity::Warning), count(Severity::Info));
    ws.merge_range(row, 0, row, 3, &format!("问题：错误 {e} 项，警告 {w} 项，提示 {i} 项（见「问题」表）。 Findings: {e} error(s), {w} warning(s), {i} note(s) (see Findings)."), &wrap)?;
    ws.set_row_height(row, 30.0)?;
    row += 1;
    let unverified = report.parameters.iter().filter(|p| p.confidence != crate::rules::Mark::Verified).count();
    ws.merge_range(
        row,
        0,
        row,
        3,
        &format!(
            "依据：{} 个规则参数（{} 个未经官方原文核实），规则摘要 {}；输入文件摘要见「运行」表。 Based on {} rule parameters ({} not verified in the official text), rules sha256 {}; input digests on Run info.",
            report.parameters.len(),
            unverified,
            &report.plugin.rules_sha256.get(..12).unwrap_or(""),
            report.parameters.len(),
            unverified,
            &report.plugin.rules_sha256.get(..12).unwrap_or(""),
        ),
        &wrap,
    )?;
    ws.set_row_height(row, 45.0)?;
    row += 2;

    for label in ["编制人 Prepared by:", "审核人 Checked by:", "日期 Date:"] {
        ws.write(row, 0, label)?;
        ws.merge_range(row, 1, row, 2, "", &Format::new().set_border_bottom(FormatBorder::Thin))?;
        row += 2;
    }
    ws.write(row, 0, "单位盖章 Company stamp:")?;
    ws.merge_range(row, 1, row + 5, 3, "", &stamp)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbers_are_grouped_by_thousands_exactly() {
        assert_eq!(super::grouped("3551367"), "3,551,367");
        assert_eq!(super::grouped("-31367.25"), "-31,367.25");
        assert_eq!(super::grouped("999"), "999");
        assert_eq!(super::grouped("2025-12-31"), "2025-12-31");
    }
}
