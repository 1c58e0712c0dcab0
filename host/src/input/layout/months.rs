//! Parameter rows × month columns (附表C.3/C.4/C.6 of the guidelines):
//!
//! ```text
//! 附表C.3 化石燃料燃烧排放表                                   ← titles, skipped
//! 信息项*1 | 单位 | 1月 | 2月 | 3月 | 第一季度 | 4月 … 12月 | 全年 | 获取方式 | 是否配备直接计量器具 | 数据来源 | 支撑材料
//! 1号机组（燃煤机组）                                           ← a group header (merged or not)
//! 燃料品种：烟煤                                                ← a fuel header
//! 消耗量 | t | 101.5 | … | -- | 实测值 | 是 | 入炉煤皮带秤 | 皮带秤台账.pdf
//! 低位发热量 | GJ/t 或 GJ/10⁴Nm³ | 20.9 | … | 1-6月：实测值；7-12月：缺省值 | …
//! ```
//!
//! The header row is the one among the first 30 that names the most months;
//! a blank header cell takes the text above it (a header merged over two
//! rows). Group and fuel come from header rows (a row without values whose
//! text has one of the layout's group or fuel markers, or names a fuel the
//! layout knows) or from 机组 / 燃料品种 columns (a blank cell repeats the one
//! above: a merged cell). A row whose label is no declared item but has
//! values is passed on under its own label, for the plugin to report.

use std::collections::BTreeMap;

use crate::contract::{SheetSpec, ValueKind};
use crate::input::workbook::{Grid, col_letter};
use crate::input::{Cells, InputProblem, RawCell, RawRow, RawTable, RawValue};

use super::text::{self, clean, default_headers, header_is, month_header, not_applicable, quarter_header};
use super::{Layout, Per, problem, role};

/// How many rows from the top may hold titles before the header.
pub(crate) const HEADER_SEARCH_ROWS: u32 = 30;

/// What a column of the sheet holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Label,
    Unit,
    Month(u32),
    Quarter(u32),
    Annual,
    ValueMode,
    Metered,
    DataSource,
    Evidence,
    Group,
    Fuel,
    Ignore,
}

fn names<'a>(layout: &'a Layout, role: &str) -> Vec<&'a str> {
    let mut v: Vec<&str> = default_headers(role).to_vec();
    if let Some(extra) = layout.headers.get(role) {
        v.extend(extra.iter().map(String::as_str));
    }
    if role == "group"
        && let Some(g) = &layout.group
    {
        v.extend([g.name.zh.as_str(), g.name.en.as_str()]);
    }
    v
}

/// The role of a header cell's text.
pub(crate) fn column_of(header: &str, layout: &Layout) -> Option<Column> {
    if let Some((_, m)) = month_header(header) {
        return Some(Column::Month(m));
    }
    if let Some(q) = quarter_header(header) {
        return Some(Column::Quarter(q));
    }
    let roles: [(&str, Column); 10] = [
        ("label", Column::Label),
        ("unit", Column::Unit),
        ("annual", Column::Annual),
        ("value_mode", Column::ValueMode),
        ("metered", Column::Metered),
        ("data_source", Column::DataSource),
        ("evidence", Column::Evidence),
        ("group", Column::Group),
        ("fuel", Column::Fuel),
        ("ignore", Column::Ignore),
    ];
    roles.into_iter().find(|(r, _)| header_is(header, &names(layout, r))).map(|(_, c)| c)
}

/// A header cell's month, also when it is an Excel date (`Jan-24`).
fn month_of_cell(grid: &Grid, r: u32, c: u32) -> Option<(Option<u16>, u32)> {
    match grid.value(r, c, ValueKind::Text) {
        RawValue::Text(t) => month_header(&t),
        RawValue::Date(d) if crate::rules::is_iso_date(&d) => Some((d[..4].parse().ok(), d[5..7].parse().ok()?)),
        _ => None,
    }
}

/// The header row and the role of each of its columns.
pub struct Header {
    pub row: u32,
    pub columns: BTreeMap<u32, Column>,
    /// The year each month column states (`2024年1月`), if any.
    pub years: BTreeMap<u32, u16>,
}

/// Finds the header row: the row among the first ones naming the most months.
pub fn header(sheet: &str, grid: &Grid, layout: &Layout) -> Result<Header, Vec<InputProblem>> {
    let rows = grid.rows();
    let first = rows.first().copied().unwrap_or(0);
    let mut best: Option<(u32, usize)> = None;
    for &r in rows.iter().filter(|&&r| r < first.saturating_add(HEADER_SEARCH_ROWS)) {
        let months = grid.columns(r).into_iter().filter(|&c| month_of_cell(grid, r, c).is_some()).count();
        if months >= 3 && best.is_none_or(|(_, b)| months > b) {
            best = Some((r, months));
        }
    }
    let Some((row, _)) = best else {
        return Err(vec![problem(
            sheet,
            format!("{sheet}!A1"),
            "no row of month headers",
            format!("前{HEADER_SEARCH_ROWS}行内的表头行：信息项 | 单位 | 1月 … 12月 | 全年 | 获取方式 | 数据来源 | 支撑材料"),
            format!(
                "a header row within the first {HEADER_SEARCH_ROWS} rows: 信息项 (item) | 单位 (unit) | 1月 … 12月 (months) | 全年 (year) | 获取方式 (value mode) | 数据来源 (data source) | 支撑材料 (evidence)"
            ),
        )]);
    };
    let mut columns = BTreeMap::new();
    let mut years = BTreeMap::new();
    let mut seen: BTreeMap<String, u32> = BTreeMap::new();
    let mut problems = Vec::new();
    let mut all: Vec<u32> = grid.columns(row);
    // Header cells merged over the row above: their text is there.
    for above in [row.saturating_sub(1), row.saturating_sub(2)] {
        if above < row {
            all.extend(grid.columns(above));
        }
    }
    all.sort_unstable();
    all.dedup();
    for c in all {
        let (text, at_row) = match grid.text(row, c) {
            Some(t) => (t, row),
            None => match (1..=2).filter_map(|d| row.checked_sub(d)).find_map(|r| grid.text(r, c).map(|t| (t, r))) {
                Some(x) => x,
                None => continue,
            },
        };
        let col = match month_of_cell(grid, at_row, c) {
            Some((y, m)) => {
                if let Some(y) = y {
                    years.insert(c, y);
                }
                Some(Column::Month(m))
            }
            None => column_of(&text, layout),
        };
        let Some(col) = col else { continue };
        // A title above the header ("月份", a merged "2024年") must not take a column twice.
        if at_row != row && matches!(col, Column::Month(_) | Column::Quarter(_)) {
            continue;
        }
        let key = format!("{col:?}");
        if col != Column::Ignore {
            if let Some(prev) = seen.get(&key) {
                problems.push(problem(
                    sheet,
                    format!("{sheet}!{}{}", col_letter(c), at_row + 1),
                    format!("\"{text}\" (already at {sheet}!{}{})", col_letter(*prev), row + 1),
                    "每列只出现一次",
                    "each column once",
                ));
                continue;
            }
            seen.insert(key, c);
        }
        columns.insert(c, col);
    }
    if !columns.values().any(|c| *c == Column::Label) {
        // No 信息项 header: the column left of the unit, or of the first month.
        let anchor = columns
            .iter()
            .find(|(_, c)| **c == Column::Unit)
            .or_else(|| columns.iter().find(|(_, c)| matches!(c, Column::Month(_))))
            .map(|(k, _)| *k);
        match anchor.and_then(|a| a.checked_sub(1)).filter(|c| !columns.contains_key(c)) {
            Some(c) => {
                columns.insert(c, Column::Label);
            }
            None => problems.push(problem(
                sheet,
                format!("{sheet}!{}", row + 1),
                "no item column",
                "表头中的「信息项」列",
                "an item column (信息项) in the header row",
            )),
        }
    }
    if problems.is_empty() { Ok(Header { row, columns, years }) } else { Err(problems) }
}

/// A year stated in a sheet name ("附表C.3 2023年"), if any.
fn year_in(name: &str) -> Option<u16> {
    let digits: Vec<char> = name.chars().collect();
    digits.windows(4).enumerate().find_map(|(i, w)| {
        let s: String = w.iter().collect();
        let before = i.checked_sub(1).and_then(|j| digits.get(j)).is_some_and(|c| c.is_ascii_digit());
        let after = digits.get(i + 4).is_some_and(|c| c.is_ascii_digit());
        (!before && !after && (s.starts_with("19") || s.starts_with("20")) && s.chars().all(|c| c.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    })
}

/// Per-month value modes from a 获取方式 cell: `实测值` for every month, or
/// `1-6月：实测值；7-12月：缺省值`. Index 0 is the year; 1–12 the months.
pub(crate) fn modes_by_month(s: &str) -> Result<[Option<String>; 13], String> {
    let mut out: [Option<String>; 13] = Default::default();
    let mut default: Option<String> = None;
    for part in s.split(['；', ';', '，', ',', '\n']).map(str::trim).filter(|p| !p.is_empty()) {
        let digits = |t: &str| -> (Option<u32>, usize) {
            let n: String = t.chars().take_while(|c| c.is_ascii_digit()).collect();
            (n.parse().ok(), n.len())
        };
        let (from, len) = digits(part);
        let Some(from) = from else {
            if default.replace(part.to_string()).is_some() {
                return Err(format!("\"{s}\": two value modes without months"));
            }
            continue;
        };
        let mut rest = part[len..].trim_start_matches('月').trim_start();
        let to = if let Some(r) = rest.strip_prefix(['-', '–', '~', '～', '至', '到', '—']) {
            let (to, len) = digits(r.trim_start());
            let to = to.ok_or_else(|| format!("\"{part}\": a month range like 1-6月"))?;
            rest = r.trim_start()[len..].trim_start_matches('月').trim_start();
            to
        } else {
            from
        };
        let mode = rest.trim_start_matches(['：', ':']).trim();
        if mode.is_empty() || !(1..=12).contains(&from) || !(from..=12).contains(&to) {
            return Err(format!("\"{part}\": months 1–12 then a value mode, as in 1-6月：实测值"));
        }
        for m in from..=to {
            out[m as usize] = Some(mode.to_string());
        }
    }
    if let Some(d) = default {
        for slot in out.iter_mut() {
            if slot.is_none() {
                *slot = Some(d.clone());
            }
        }
    }
    Ok(out)
}

/// What a row of data names.
enum Line {
    /// A declared item (index into the layout's items) and a `第i种` number.
    Item(usize, Option<String>),
    /// A row with values whose label is no declared item.
    Unknown,
}

/// Reads one sheet of this layout into rows of its target.
pub fn read(sheet: &str, grid: &Grid, layout: &Layout, target: &SheetSpec) -> Result<RawTable, Vec<InputProblem>> {
    let head = header(sheet, grid, layout)?;
    let at = |r: u32, c: u32| format!("{sheet}!{}{}", col_letter(c), r as u64 + 1);
    let col = |want: Column| head.columns.iter().find(|(_, c)| **c == want).map(|(k, _)| *k);
    let label_col = col(Column::Label).expect("header() ensures a label column");
    let sheet_year = year_in(sheet);
    let value_cols: Vec<(u32, Column)> =
        head.columns.iter().filter(|(_, c)| matches!(c, Column::Month(_) | Column::Annual)).map(|(k, c)| (*k, *c)).collect();
    let group_markers: Vec<String> = layout.group.iter().flat_map(|g| g.markers.iter()).map(|m| text::fold_label(m)).collect();
    let fuel_markers: Vec<String> = layout.fuel.iter().flat_map(|f| f.markers.iter()).map(|m| text::fold_label(m)).collect();
    let fuel_names: Vec<String> = layout.fuel.iter().flat_map(|f| f.units.values().flatten()).map(|n| text::fold_label(n)).collect();
    let declares = |k: &str| target.columns.iter().any(|c| c.key == k);
    let mode_choices: Vec<String> =
        target.columns.iter().find(|c| c.key == role::VALUE_MODE).map(|c| c.choices.clone()).unwrap_or_default();

    let mut problems = Vec::new();
    let mut rows_out = Vec::new();
    // (text, cell) of the current group and fuel.
    let mut group: Option<(String, String)> = None;
    let mut fuel: Option<(String, String)> = None;
    let mut group_col_last: Option<(String, String)> = None;
    let mut fuel_col_last: Option<(String, String)> = None;

    for r in grid.rows().into_iter().filter(|&r| r > head.row) {
        // A header repeated below (an English header row, a page's repeated header): skipped.
        if grid.columns(r).into_iter().filter(|&c| month_of_cell(grid, r, c).is_some()).count() >= 3 {
            continue;
        }
        let has_values = value_cols.iter().any(|(c, _)| match grid.value(r, *c, ValueKind::Number) {
            RawValue::Empty => false,
            RawValue::Text(t) => !t.trim().is_empty() && !not_applicable(&t),
            _ => true,
        });
        // Group and fuel columns, a blank cell repeating the one above (merged).
        for (which, last) in [(Column::Group, &mut group_col_last), (Column::Fuel, &mut fuel_col_last)] {
            if let Some(c) = col(which)
                && let Some(t) = grid.text(r, c)
            {
                *last = Some((t, at(r, c)));
            }
        }
        let label = grid.text(r, label_col);
        let line = label
            .as_ref()
            .and_then(|l| layout.item.iter().enumerate().find_map(|(i, item)| text::item_match(l, item).map(|n| Line::Item(i, n))));
        let line = match (line, has_values, &label) {
            (Some(l), _, _) => l,
            (None, true, Some(_)) => Line::Unknown,
            (None, true, None) => {
                problems.push(problem(
                    sheet,
                    at(r, label_col),
                    "values without an item name",
                    "「信息项」列中的参数名称",
                    "the parameter's name in the item column (信息项)",
                ));
                continue;
            }
            (None, false, _) => {
                // A header row: the first text in the row.
                let Some((c, t)) = grid.columns(r).into_iter().find_map(|c| grid.text(r, c).map(|t| (c, t))) else {
                    continue;
                };
                let f = text::fold_label(&t);
                if group_markers.iter().any(|m| !m.is_empty() && f.contains(m.as_str())) {
                    group = Some((text::after_colon(&clean(&t).0), at(r, c)));
                    fuel = None;
                } else if fuel_markers.iter().any(|m| !m.is_empty() && (f.contains(m.as_str()) || marker_pattern(m, &f)))
                    || fuel_names.iter().any(|n| !n.is_empty() && f.contains(n.as_str()))
                {
                    fuel = Some((text::after_colon(&clean(&t).0), at(r, c)));
                }
                // Other text (a section title, a note) changes nothing.
                continue;
            }
        };
        let (item, numbered) = match &line {
            Line::Item(i, n) => (Some(&layout.item[*i]), n.clone()),
            Line::Unknown => (None, None),
        };
        let per_group = item.is_some_and(|i| i.per == Per::Group);
        let group_here = group_col_last.clone().or_else(|| group.clone());
        let fuel_here = if per_group {
            None
        } else {
            fuel_col_last.clone().or_else(|| fuel.clone()).or_else(|| numbered.map(|n| (format!("第{n}种"), at(r, label_col))))
        };
        let (name_text, label_unit) = clean(label.as_deref().unwrap_or(""));
        let unit = col(Column::Unit)
            .and_then(|c| grid.text(r, c).filter(|t| !not_applicable(t)).map(|t| (t, at(r, c))))
            .or_else(|| label_unit.map(|u| (u, at(r, label_col))));
        let extra = |which: Column| col(which).and_then(|c| grid.text(r, c).filter(|t| !not_applicable(t)).map(|t| (t, at(r, c))));
        let modes = match extra(Column::ValueMode) {
            Some((t, a)) => match modes_by_month(&t) {
                // Each mode one the target allows: reported once for the cell, not once a month.
                Ok(m) if !mode_choices.is_empty() && m.iter().flatten().any(|x| !mode_choices.contains(x)) => {
                    let bad = m.iter().flatten().find(|x| !mode_choices.contains(x)).cloned().unwrap_or_default();
                    let list = mode_choices.join(", ");
                    problems.push(problem(
                        sheet,
                        &a,
                        format!("\"{bad}\" ({})", item.map(|i| i.label()).unwrap_or_else(|| name_text.clone())),
                        format!("以下之一：{list}"),
                        format!("one of: {list}"),
                    ));
                    None
                }
                Ok(m) => Some((m, a)),
                Err(why) => {
                    problems.push(problem(sheet, &a, why, "获取方式：实测值、计算值、设计值或缺省值；分月不同时写作 1-6月：实测值；7-12月：缺省值", "a value mode (实测值 measured, 计算值 calculated, 设计值 design, 缺省值 default); by month as 1-6月：实测值；7-12月：缺省值"));
                    None
                }
            },
            None => None,
        };
        let (source, evidence, metered) = (extra(Column::DataSource), extra(Column::Evidence), extra(Column::Metered));
        let kind = item.map(|i| i.kind.value_kind()).unwrap_or(ValueKind::Number);
        for (c, which) in &value_cols {
            let value = grid.value(r, *c, kind);
            let blank = match &value {
                RawValue::Empty => true,
                RawValue::Text(t) => t.trim().is_empty() || not_applicable(t),
                _ => false,
            };
            if blank {
                continue;
            }
            let month = match which {
                Column::Month(m) => Some(*m),
                _ => None,
            };
            let mut cells = Cells::new();
            let mut put = |k: &str, v: RawValue, a: &str| {
                if declares(k) {
                    cells.insert(k.to_string(), RawCell { value: v, at: a.to_string() });
                }
            };
            let item_text = item.map(|i| i.key.clone()).unwrap_or_else(|| name_text.clone());
            put(role::ITEM, RawValue::Text(item_text), &at(r, label_col));
            if let Some((g, a)) = &group_here {
                put(role::GROUP, RawValue::Text(g.clone()), a);
            }
            if let Some((f, a)) = &fuel_here {
                put(role::FUEL, RawValue::Text(f.clone()), a);
            }
            let year = head.years.get(c).copied().or(sheet_year);
            if let Some(y) = year {
                put(role::YEAR, RawValue::Number(y.to_string()), &at(head.row, *c));
            }
            if let Some(m) = month {
                put(role::MONTH, RawValue::Number(m.to_string()), &at(head.row, *c));
            }
            put(role::VALUE, value, &at(r, *c));
            if let Some((u, a)) = &unit {
                put(role::UNIT, RawValue::Text(u.clone()), a);
            }
            if let Some((m, a)) = &modes
                && let Some(mode) = &m[month.unwrap_or(0) as usize]
            {
                put(role::VALUE_MODE, RawValue::Text(mode.clone()), a);
            }
            for (k, v) in [(role::DATA_SOURCE, &source), (role::EVIDENCE, &evidence), (role::METERED, &metered)] {
                if let Some((t, a)) = v {
                    put(k, RawValue::Text(t.clone()), a);
                }
            }
            rows_out.push(RawRow { source: at(r, *c), cells });
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(RawTable {
        key: target.key.clone(),
        display: sheet.to_string(),
        units: Default::default(),
        at: format!("{sheet}!{}", head.row + 1),
        rows: rows_out,
        prefixes: Default::default(),
    })
}

/// Whether a folded header has the shape of a `第i种` marker (第1种…, 第二种…).
fn marker_pattern(marker: &str, folded: &str) -> bool {
    let Some((pre, _)) = marker.split_once("第i种") else {
        return false;
    };
    folded.strip_prefix(pre).and_then(|r| r.strip_prefix('第')).is_some_and(|r| {
        r.split_once('种')
            .is_some_and(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit() || "一二三四五六七八九十".contains(c)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_modes_by_month() {
        let all = modes_by_month("实测值").unwrap();
        assert!(all.iter().all(|m| m.as_deref() == Some("实测值")));
        let split = modes_by_month("1-6月：实测值；7-12月：缺省值").unwrap();
        assert_eq!(split[6].as_deref(), Some("实测值"));
        assert_eq!(split[7].as_deref(), Some("缺省值"));
        assert_eq!(split[0], None);
        let one = modes_by_month("3月：缺省值；实测值").unwrap();
        assert_eq!(one[3].as_deref(), Some("缺省值"));
        assert_eq!(one[4].as_deref(), Some("实测值"));
        assert!(modes_by_month("13月：实测值").is_err());
        assert!(modes_by_month("实测值；缺省值").is_err());
        assert_eq!(year_in("附表C.3 2023年"), Some(2023));
        assert_eq!(year_in("附表C.3"), None);
    }
}
