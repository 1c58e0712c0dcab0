//! The official-layout workbook (`lvyue template <id> --layout official`):
//! one sheet per declared layout as the guidelines print them (months as
//! columns, group and fuel header rows, `全年` as a live formula with its
//! result cached, value-mode lists, a note with help on each item), beside the
//! plugin's ordinary sheets that no layout stands in for. With data (the
//! bundled samples) the sheets are filled; reading the file back gives the
//! same rows (`host/tests/all/layouts.rs`).

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use rust_xlsxwriter::{
    DataValidation, DataValidationErrorStyle, Format, FormatAlign, FormatBorder, Formula, Note, Workbook, Worksheet, XlsxError,
};

use crate::contract::{PluginInfo, SheetSpec};
use crate::input::workbook::col_letter;
use crate::input::{RawRow, RawTable, RawValue};

use super::{Annual, Item, Kind, Layout, Per, role};

/// Builds the official-layout workbook for `info`'s sheets: each layout whose
/// target `info` declares, then the ordinary sheets no layout stands in for.
pub fn build(info: &PluginInfo, layouts: &[Layout], year: Option<u16>, data: &[RawTable]) -> Result<Vec<u8>, XlsxError> {
    let ours: Vec<&Layout> = layouts.iter().filter(|l| info.input.iter().any(|s| s.key == l.target)).collect();
    let omit: Vec<String> = ours.iter().flat_map(|l| std::iter::once(l.target.clone()).chain(l.replaces.iter().cloned())).collect();
    crate::input::template::build_into(info, year, data, &omit, &mut |wb: &mut Workbook| {
        for l in &ours {
            let target = info.input.iter().find(|s| s.key == l.target).expect("filtered above");
            let rows: Vec<&RawRow> = data.iter().filter(|t| t.key == l.target).flat_map(|t| &t.rows).collect();
            match l.kind {
                Kind::Months => months_sheet(wb, l, target, year, &rows)?,
                Kind::Form => form_sheet(wb, l, target, &rows)?,
            }
        }
        Ok(())
    })
}

struct Styles {
    title: Format,
    head: Format,
    group: Format,
    fuel: Format,
    label: Format,
    num: Format,
    annual: Format,
    text: Format,
}

fn styles() -> Styles {
    let border = |f: Format| f.set_border(FormatBorder::Thin);
    Styles {
        title: Format::new().set_bold().set_font_size(14),
        head: border(
            Format::new()
                .set_bold()
                .set_background_color("#DDEBF7")
                .set_text_wrap()
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter),
        ),
        group: border(Format::new().set_bold().set_background_color("#FCE4D6")),
        fuel: border(Format::new().set_italic().set_background_color("#F2F2F2")),
        label: border(Format::new()),
        num: border(Format::new().set_num_format("General")),
        annual: border(Format::new().set_background_color("#EDEDED")),
        text: border(Format::new().set_text_wrap()),
    }
}

/// A sheet name from a layout's title: at most 31 characters, none of `[]:*?/\`.
pub fn sheet_name(l: &Layout) -> String {
    let clean: String = l.name.zh.chars().map(|c| if "[]:*?/\\".contains(c) { ' ' } else { c }).collect();
    clean.chars().take(31).collect::<String>().trim().to_string()
}

/// A unit as the forms print it: `10⁴Nm³`, `GJ/10⁴Nm³`; fractions in %.
fn printed(unit: &str) -> String {
    if unit == "ratio" {
        return "%".into();
    }
    unit.replace("10^4 Nm3", "10⁴Nm³")
}

fn text_of(row: &RawRow, key: &str) -> String {
    match row.cells.get(key).map(|c| &c.value) {
        Some(RawValue::Text(t)) | Some(RawValue::Number(t)) | Some(RawValue::Date(t)) => t.trim().to_string(),
        Some(RawValue::Bool(b)) => if *b { "是" } else { "否" }.to_string(),
        _ => String::new(),
    }
}

fn decimal_of(row: &RawRow, key: &str) -> Option<Decimal> {
    crate::decimal::parse(&text_of(row, key))
}

/// `1-6月：实测值；7-12月：缺省值`, or one mode for all months.
fn modes_text(modes: &BTreeMap<u32, String>) -> String {
    let distinct: Vec<&String> = {
        let mut v: Vec<&String> = modes.values().collect();
        v.dedup();
        v
    };
    if distinct.len() <= 1 {
        return distinct.first().map(|s| s.to_string()).unwrap_or_default();
    }
    let mut parts = Vec::new();
    let mut run: Option<(u32, u32, &String)> = None;
    for (m, mode) in modes {
        match run {
            Some((a, b, x)) if x == mode && b + 1 == *m => run = Some((a, *m, x)),
            Some((a, b, x)) => {
                parts.push(range(a, b, x));
                run = Some((*m, *m, mode));
            }
            None => run = Some((*m, *m, mode)),
        }
    }
    if let Some((a, b, x)) = run {
        parts.push(range(a, b, x));
    }
    parts.join("；")
}

fn range(a: u32, b: u32, mode: &str) -> String {
    if a == b { format!("{a}月：{mode}") } else { format!("{a}-{b}月：{mode}") }
}

fn joined(values: impl Iterator<Item = String>) -> String {
    let mut v: Vec<String> = values.filter(|s| !s.is_empty()).collect();
    v.dedup();
    let mut out: Vec<String> = Vec::new();
    for s in v {
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out.join("；")
}

fn help_note(item: &Item, units: &str) -> Note {
    let mut text = format!("{} / {}", item.zh, item.en);
    if !units.is_empty() {
        text.push_str(&format!("\n单位 Unit: {units}"));
    }
    match item.annual {
        Annual::Sum => text.push_str("\n全年 = 各月之和 / year = sum of the months"),
        Annual::WeightedMean => text.push_str(&format!(
            "\n全年 = 按「{}」加权平均 / year = mean weighted by {}",
            item.weight.as_deref().unwrap_or(""),
            item.weight.as_deref().unwrap_or("")
        )),
        Annual::None => {}
    }
    if let Some(h) = &item.help {
        text.push_str(&format!("\n{}\n{}", h.zh, h.en));
    }
    Note::new(text).add_author_prefix(false).set_width(360)
}

/// Data validation lists: value modes (the target's choices) and yes/no.
fn list(choices: &[String]) -> Result<Option<DataValidation>, XlsxError> {
    if choices.is_empty() {
        return Ok(None);
    }
    let items: Vec<&str> = choices.iter().map(String::as_str).collect();
    Ok(Some(DataValidation::new().allow_list_strings(&items)?.set_error_style(DataValidationErrorStyle::Warning)))
}

/// One block of item rows to write: a group, a fuel (or none), its rows.
struct Block<'a> {
    fuel: Option<String>,
    items: Vec<&'a Item>,
}

fn months_sheet(wb: &mut Workbook, l: &Layout, target: &SheetSpec, year: Option<u16>, rows: &[&RawRow]) -> Result<(), XlsxError> {
    let s = styles();
    let ws = wb.add_worksheet();
    ws.set_name(sheet_name(l))?;
    const LABEL: u16 = 0;
    const UNIT: u16 = 1;
    const M1: u16 = 2;
    const ANNUAL: u16 = 14;
    const MODE: u16 = 15;
    const METERED: u16 = 16;
    const SOURCE: u16 = 17;
    const EVIDENCE: u16 = 18;
    let last_col = EVIDENCE;
    ws.merge_range(0, 0, 0, last_col, &format!("{} / {}", l.name.zh, l.name.en), &s.title)?;
    let mut note = match year {
        Some(y) => format!("报告年度 Year: {y}。"),
        None => String::new(),
    };
    if let Some(h) = &l.help {
        note.push_str(&format!("{} / {}", h.zh, h.en));
    }
    ws.merge_range(1, 0, 1, last_col, &note, &Format::new().set_text_wrap())?;
    ws.set_row_height(1, 45)?;
    let header_row = 2u32;
    let mut headers: Vec<(u16, String, &str)> = vec![(LABEL, "信息项".into(), "Item"), (UNIT, "单位".into(), "Unit")];
    for m in 1..=12u16 {
        headers.push((
            M1 + m - 1,
            format!("{m}月"),
            ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][m as usize - 1],
        ));
    }
    headers.extend([
        (ANNUAL, "全年".to_string(), "Year"),
        (MODE, "获取方式".into(), "Value mode"),
        (METERED, "是否配备直接计量器具".into(), "Metered"),
        (SOURCE, "数据来源".into(), "Data source"),
        (EVIDENCE, "支撑材料".into(), "Evidence"),
    ]);
    for (c, zh, en) in &headers {
        ws.write_with_format(header_row, *c, zh.as_str(), &s.head)?;
        ws.write_with_format(header_row + 1, *c, *en, &s.head)?;
    }
    ws.set_column_width(LABEL, 30)?;
    ws.set_column_width(UNIT, 12)?;
    ws.set_column_range_width(M1, ANNUAL, 11)?;
    ws.set_column_width(MODE, 16)?;
    ws.set_column_width(METERED, 12)?;
    ws.set_column_width(SOURCE, 22)?;
    ws.set_column_width(EVIDENCE, 22)?;
    ws.set_freeze_panes(header_row + 2, 2)?;

    let modes: Vec<String> = target.columns.iter().find(|c| c.key == role::VALUE_MODE).map(|c| c.choices.clone()).unwrap_or_default();
    let mode_list = list(&modes)?;
    let yes_no = list(&["是".to_string(), "否".to_string()])?;

    // Groups and fuels in order of first appearance; an example group when empty.
    let group_name = l.group.as_ref().map(|g| g.name.zh.clone()).unwrap_or_else(|| "设施".into());
    let mut groups: Vec<String> = Vec::new();
    let mut fuels: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in rows {
        let g = text_of(r, role::GROUP);
        if !groups.contains(&g) {
            groups.push(g.clone());
        }
        let f = text_of(r, role::FUEL);
        let list = fuels.entry(g).or_default();
        if !f.is_empty() && !list.contains(&f) {
            list.push(f);
        }
    }
    if groups.is_empty() {
        groups.push(format!("1号{group_name}"));
    }
    let group_items: Vec<&Item> = l.item.iter().filter(|i| i.per == Per::Group).collect();
    let fuel_items: Vec<&Item> = l.item.iter().filter(|i| i.per == Per::Fuel).collect();

    let mut r = header_row + 2;
    for g in &groups {
        ws.merge_range(r, 0, r, last_col, &format!("{group_name}：{g}"), &s.group)?;
        r += 1;
        let mut blocks = Vec::new();
        if !group_items.is_empty() {
            blocks.push(Block { fuel: None, items: group_items.clone() });
        }
        if !fuel_items.is_empty() {
            let fs = fuels.get(g).cloned().unwrap_or_default();
            if fs.is_empty() {
                blocks.push(Block { fuel: Some(String::new()), items: fuel_items.clone() });
            }
            for f in fs {
                blocks.push(Block { fuel: Some(f), items: fuel_items.clone() });
            }
        }
        for b in blocks {
            if let Some(f) = &b.fuel {
                let shown = if f.is_empty() {
                    "（请填写燃料名称，如 烟煤、天然气 / the fuel, e.g. 烟煤, 天然气）"
                } else {
                    f
                };
                ws.merge_range(r, 0, r, last_col, &format!("燃料品种：{shown}"), &s.fuel)?;
                r += 1;
            }
            // Rows of this block: item → its rows.
            let mine = |i: &Item| -> Vec<&RawRow> {
                rows.iter()
                    .copied()
                    .filter(|row| {
                        text_of(row, role::GROUP) == *g
                            && text_of(row, role::ITEM) == i.key
                            && (i.per == Per::Group || b.fuel.as_deref() == Some(text_of(row, role::FUEL).as_str()))
                    })
                    .collect()
            };
            let first_row = r;
            let positions: BTreeMap<&str, u32> = b.items.iter().enumerate().map(|(k, i)| (i.key.as_str(), first_row + k as u32)).collect();
            for item in &b.items {
                let its = mine(item);
                let unit = its
                    .iter()
                    .map(|x| text_of(x, role::UNIT))
                    .find(|u| !u.is_empty())
                    .or_else(|| (item.units.len() == 1).then(|| item.units[0].clone()));
                let percent = item.units.first().is_some_and(|u| u == "ratio");
                let unit_text = match &unit {
                    Some(u) => printed(u),
                    None => item.units.iter().map(|u| printed(u)).collect::<Vec<_>>().join(" 或 "),
                };
                ws.write_with_format(r, LABEL, item.zh.as_str(), &s.label)?;
                ws.insert_note(r, LABEL, &help_note(item, &unit_text))?;
                ws.write_with_format(r, UNIT, unit_text.as_str(), &s.label)?;
                let mut by_month: BTreeMap<u32, Decimal> = BTreeMap::new();
                let mut month_modes: BTreeMap<u32, String> = BTreeMap::new();
                for x in &its {
                    let Ok(m) = text_of(x, role::MONTH).parse::<u32>() else {
                        continue;
                    };
                    if !(1..=12).contains(&m) {
                        continue;
                    }
                    if let Some(v) = decimal_of(x, role::VALUE) {
                        let shown = if percent { v * Decimal::ONE_HUNDRED } else { v };
                        by_month.insert(m, shown);
                    }
                    let mode = text_of(x, role::VALUE_MODE);
                    if !mode.is_empty() {
                        month_modes.insert(m, mode);
                    }
                }
                for m in 1..=12u32 {
                    let c = M1 + m as u16 - 1;
                    match by_month.get(&m) {
                        Some(v) => {
                            ws.write_number_with_format(r, c, to_f64(*v), &s.num)?;
                        }
                        None => {
                            ws.write_blank(r, c, &s.num)?;
                        }
                    }
                }
                annual_cell(ws, &s, r, ANNUAL, item, &by_month, &positions, rows, g, b.fuel.as_deref(), percent)?;
                let mode_text = modes_text(&month_modes);
                ws.write_with_format(r, MODE, mode_text.as_str(), &s.text)?;
                ws.write_with_format(r, METERED, joined(its.iter().map(|x| text_of(x, role::METERED))).as_str(), &s.text)?;
                ws.write_with_format(r, SOURCE, joined(its.iter().map(|x| text_of(x, role::DATA_SOURCE))).as_str(), &s.text)?;
                ws.write_with_format(r, EVIDENCE, joined(its.iter().map(|x| text_of(x, role::EVIDENCE))).as_str(), &s.text)?;
                if let Some(v) = &mode_list {
                    ws.add_data_validation(r, MODE, r, MODE, v)?;
                }
                if let Some(v) = &yes_no {
                    ws.add_data_validation(r, METERED, r, METERED, v)?;
                }
                r += 1;
            }
        }
    }
    Ok(())
}

fn to_f64(d: Decimal) -> f64 {
    d.normalize().to_string().parse().unwrap_or(0.0)
}

/// `全年`: a live formula over the months (sum, or the weighted mean over the
/// weighting item's row of the same block), its result cached; `--` otherwise.
#[allow(clippy::too_many_arguments)]
fn annual_cell(
    ws: &mut Worksheet,
    s: &Styles,
    r: u32,
    col: u16,
    item: &Item,
    by_month: &BTreeMap<u32, Decimal>,
    positions: &BTreeMap<&str, u32>,
    rows: &[&RawRow],
    group: &str,
    fuel: Option<&str>,
    percent: bool,
) -> Result<(), XlsxError> {
    let (a, b) = (col_letter(2), col_letter(13));
    let here = r + 1;
    match item.annual {
        Annual::Sum => {
            let total: Decimal = by_month.values().copied().sum();
            // Blank while no month is filled; cached as the forms' "--" (a cached empty
            // text reads as 0), so an empty template gives no year rows.
            let result = if by_month.is_empty() { "--".to_string() } else { crate::decimal::format(total) };
            let f = Formula::new(format!("=IF(COUNT({a}{here}:{b}{here})=0,\"\",SUM({a}{here}:{b}{here}))")).set_result(result);
            ws.write_formula_with_format(r, col, f, &s.annual)?;
        }
        Annual::WeightedMean => {
            let w = item.weight.as_deref().unwrap_or("");
            let Some(wr) = positions.get(w).map(|x| x + 1) else {
                ws.write_with_format(r, col, "--", &s.annual)?;
                return Ok(());
            };
            // The weights as written in their own row (the same block).
            let weights: BTreeMap<u32, Decimal> = rows
                .iter()
                .filter(|x| {
                    text_of(x, role::GROUP) == group
                        && text_of(x, role::ITEM) == w
                        && fuel.is_none_or(|f| text_of(x, role::FUEL) == f || text_of(x, role::FUEL).is_empty())
                })
                .filter_map(|x| Some((text_of(x, role::MONTH).parse::<u32>().ok()?, decimal_of(x, role::VALUE)?)))
                .collect();
            let mut num = Decimal::ZERO;
            let mut den = Decimal::ZERO;
            for (m, v) in by_month {
                if let Some(wm) = weights.get(m) {
                    num += *v * *wm;
                    den += *wm;
                }
            }
            let result = if den.is_zero() { "--".to_string() } else { crate::decimal::format((num / den).round_dp(12)) };
            let _ = percent;
            let f = Formula::new(format!("=IF(COUNT({a}{here}:{b}{here})=0,\"--\",IF(SUM({a}{wr}:{b}{wr})=0,\"--\",SUMPRODUCT({a}{here}:{b}{here},{a}{wr}:{b}{wr})/SUM({a}{wr}:{b}{wr})))")).set_result(result);
            ws.write_formula_with_format(r, col, f, &s.annual)?;
        }
        Annual::None => {
            ws.write_with_format(r, col, "--", &s.annual)?;
        }
    }
    Ok(())
}

fn form_sheet(wb: &mut Workbook, l: &Layout, target: &SheetSpec, rows: &[&RawRow]) -> Result<(), XlsxError> {
    let s = styles();
    let ws = wb.add_worksheet();
    ws.set_name(sheet_name(l))?;
    ws.merge_range(0, 0, 0, 2, &format!("{} / {}", l.name.zh, l.name.en), &s.title)?;
    if let Some(h) = &l.help {
        ws.merge_range(1, 0, 1, 2, &format!("{} / {}", h.zh, h.en), &Format::new().set_text_wrap())?;
        ws.set_row_height(1, 45)?;
    }
    let header_row = 2u32;
    for (c, zh, en) in [(0u16, "信息项", "Item"), (1, "填报内容", "Value"), (2, "支撑材料", "Evidence")] {
        ws.write_with_format(header_row, c, zh, &s.head)?;
        ws.write_with_format(header_row + 1, c, en, &s.head)?;
    }
    ws.set_column_width(0, 34)?;
    ws.set_column_width(1, 30)?;
    ws.set_column_width(2, 26)?;
    ws.set_freeze_panes(header_row + 2, 0)?;
    let group_name = l.group.as_ref().map(|g| g.name.zh.clone());
    let group_key = l.group.as_ref().and_then(|g| g.column.clone());
    let mut records: Vec<Option<&RawRow>> = rows.iter().copied().map(Some).collect();
    if records.is_empty() {
        records.push(None);
    }
    let mut r = header_row + 2;
    for (n, rec) in records.iter().enumerate() {
        if let Some(gname) = &group_name {
            let name = rec
                .zip(group_key.as_deref())
                .map(|(x, k)| text_of(x, k))
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| format!("{}号{gname}", n + 1));
            ws.merge_range(r, 0, r, 2, &format!("{gname}：{name}"), &s.group)?;
            r += 1;
        }
        for item in l.item.iter().filter(|i| Some(&i.key) != group_key.as_ref()) {
            let unit = item.units.first().map(|u| format!("（{}）", printed(u))).unwrap_or_default();
            ws.write_with_format(r, 0, format!("{}{unit}", item.zh).as_str(), &s.label)?;
            ws.insert_note(r, 0, &help_note(item, &item.units.first().map(|u| printed(u)).unwrap_or_default()))?;
            let value = rec.map(|x| x.cells.get(&item.key).map(|c| c.value.clone()).unwrap_or(RawValue::Empty)).unwrap_or(RawValue::Empty);
            match value {
                RawValue::Number(n) => {
                    ws.write_number_with_format(r, 1, n.parse().unwrap_or(0.0), &s.num)?;
                }
                // A number item given as text (a request file's "660") is written as a number.
                RawValue::Text(t) if item.kind == super::ItemKind::Number && crate::decimal::parse(&t).is_some() => {
                    ws.write_number_with_format(r, 1, t.parse().unwrap_or(0.0), &s.num)?;
                }
                RawValue::Empty => {
                    ws.write_blank(r, 1, &s.text)?;
                }
                other => {
                    let t = match other {
                        RawValue::Bool(b) => if b { "是" } else { "否" }.to_string(),
                        RawValue::Text(t) | RawValue::Date(t) | RawValue::Error(t) => t,
                        _ => String::new(),
                    };
                    ws.write_with_format(r, 1, t.as_str(), &s.text)?;
                }
            }
            let evidence = rec.map(|x| text_of(x, &format!("{}_evidence", item.key))).unwrap_or_default();
            ws.write_with_format(r, 2, evidence.as_str(), &s.text)?;
            if let Some(col) = target.columns.iter().find(|c| c.key == item.key)
                && let Some(v) = list(&col.choices)?
            {
                ws.add_data_validation(r, 1, r, 1, &v)?;
            }
            r += 1;
        }
    }
    Ok(())
}
