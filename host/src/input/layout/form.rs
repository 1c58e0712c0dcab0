//! Vertical forms (附表C.1 企业基本信息表, C.2 机组及生产设施信息表, the
//! 补充数据表): one item per row, its value beside it.
//!
//! ```text
//! 附表C.2 机组及生产设施信息表
//! 信息项 | 填报内容 | 支撑材料           (or 补充数据 | 数值 | 计算方法或填写要求)
//! 1号机组                                ← a group header: a new record
//! 机组类别 | I | 机组铭牌.pdf
//! 装机容量（MW） | 660 |
//! 2号机组
//! …
//! ```
//!
//! Each group becomes one row of the target: the group's name in the
//! layout's `group.column`, each declared item in the column it names.
//! Groups may also come from a column (工序名称 | 信息项 | 填报内容). Items the
//! layout does not declare are skipped: forms carry much the plugin does not read.

use crate::contract::{SheetSpec, ValueKind};
use crate::input::workbook::{Grid, col_letter};
use crate::input::{Cells, InputProblem, RawCell, RawRow, RawTable, RawValue, units};

use super::text::{self, default_headers, header_is, not_applicable};
use super::{Layout, problem};

const HEADER_SEARCH_ROWS: u32 = 30;

fn names<'a>(layout: &'a Layout, role: &str) -> Vec<&'a str> {
    let mut v: Vec<&str> = default_headers(role).to_vec();
    if let Some(extra) = layout.headers.get(role) {
        v.extend(extra.iter().map(String::as_str));
    }
    v
}

/// One record being built: its group and its cells.
struct Record {
    group: Option<(String, String)>,
    cells: Cells,
    first: String,
}

pub fn read(sheet: &str, grid: &Grid, layout: &Layout, target: &SheetSpec) -> Result<RawTable, Vec<InputProblem>> {
    let at = |r: u32, c: u32| format!("{sheet}!{}{}", col_letter(c), r as u64 + 1);
    let rows = grid.rows();
    let first = rows.first().copied().unwrap_or(0);
    // The header: a row naming the item and value columns.
    let (label_names, value_names, evidence_names, group_names) =
        (names(layout, "label"), names(layout, "value"), names(layout, "evidence"), {
            let mut g = names(layout, "group");
            if let Some(spec) = &layout.group {
                g.extend([spec.name.zh.as_str(), spec.name.en.as_str()]);
            }
            g
        });
    // Row, then the columns of the label, value, evidence and group.
    type Head = (u32, u32, u32, Option<u32>, Option<u32>);
    let mut head: Option<Head> = None;
    for &r in rows.iter().filter(|&&r| r < first.saturating_add(HEADER_SEARCH_ROWS)) {
        let cols = grid.columns(r);
        let find = |ns: &[&str]| cols.iter().copied().find(|&c| grid.text(r, c).is_some_and(|t| header_is(&t, ns)));
        if let (Some(l), Some(v)) = (find(&label_names), find(&value_names)) {
            head = Some((r, l, v, find(&evidence_names), find(&group_names)));
            break;
        }
    }
    let Some((hr, label_col, value_col, evidence_col, group_col)) = head else {
        return Err(vec![problem(
            sheet,
            format!("{sheet}!A1"),
            "no header row",
            format!("前{HEADER_SEARCH_ROWS}行内的表头行：信息项 | 填报内容 | 支撑材料"),
            format!("a header row within the first {HEADER_SEARCH_ROWS} rows: 信息项 (item) | 填报内容 (value) | 支撑材料 (evidence)"),
        )]);
    };
    let markers: Vec<String> = layout.group.iter().flat_map(|g| g.markers.iter()).map(|m| text::fold_label(m)).collect();
    let group_key = layout.group.as_ref().and_then(|g| g.column.clone());
    let declares = |k: &str| target.columns.iter().any(|c| c.key == k);

    let mut problems = Vec::new();
    let mut records: Vec<Record> = Vec::new();
    let mut current = Record { group: None, cells: Cells::new(), first: String::new() };
    let mut group_col_last: Option<String> = None;
    let flush = |rec: &mut Record, records: &mut Vec<Record>| {
        if !rec.cells.is_empty() {
            let next = Record { group: None, cells: Cells::new(), first: String::new() };
            records.push(std::mem::replace(rec, next));
        }
    };
    for r in rows.into_iter().filter(|&r| r > hr) {
        let label = grid.text(r, label_col);
        // A group from a group column: a new value starts a new record.
        if let Some(gc) = group_col
            && let Some(g) = grid.text(r, gc)
            && group_col_last.as_deref() != Some(g.as_str())
        {
            flush(&mut current, &mut records);
            current.group = Some((g.clone(), at(r, gc)));
            group_col_last = Some(g);
        }
        let value = grid.value(r, value_col, ValueKind::Text);
        let value_blank = match &value {
            RawValue::Empty => true,
            RawValue::Text(t) => t.trim().is_empty(),
            _ => false,
        };
        let item = label.as_ref().and_then(|l| layout.item.iter().find(|i| text::item_match(l, i).is_some()));
        let Some(item) = item else {
            // A group header: text with a group marker and no value.
            if let Some(l) = &label {
                let f = text::fold_label(l);
                if value_blank && markers.iter().any(|m| !m.is_empty() && f.contains(m.as_str())) {
                    flush(&mut current, &mut records);
                    current.group = Some((text::after_colon(&text::clean(l).0), at(r, label_col)));
                }
            } else if let Some((c, t)) = grid.columns(r).into_iter().find_map(|c| grid.text(r, c).map(|t| (c, t))) {
                // A merged group header starting left of the item column.
                let f = text::fold_label(&t);
                if c != value_col && markers.iter().any(|m| !m.is_empty() && f.contains(m.as_str())) {
                    flush(&mut current, &mut records);
                    current.group = Some((text::after_colon(&text::clean(&t).0), at(r, c)));
                }
            }
            continue;
        };
        // The item that names the group (机组名称) names the current record.
        if group_key.as_deref() == Some(item.key.as_str()) {
            if let RawValue::Text(t) | RawValue::Number(t) = &value {
                if current.cells.contains_key(&item.key) {
                    flush(&mut current, &mut records);
                }
                current.group = Some((t.trim().to_string(), at(r, value_col)));
            }
            continue;
        }
        if value_blank {
            continue;
        }
        let mut value = grid.value(r, value_col, item.kind.value_kind());
        if let RawValue::Text(t) = &value
            && not_applicable(t)
        {
            continue;
        }
        // A unit after the item's name converts into the item's unit.
        let (_, stated) = text::clean(label.as_deref().unwrap_or(""));
        if let (Some(stated), Some(want)) = (stated, item.units.first()) {
            let number = match &value {
                RawValue::Number(n) => crate::decimal::parse(n),
                RawValue::Text(t) => crate::input::without_thousands(t).and_then(|t| crate::decimal::parse(&t)),
                _ => None,
            };
            match (number, units::convert(rust_decimal::Decimal::ONE, &stated, want)) {
                (Some(d), Some(_)) => value = RawValue::Number(crate::decimal::format(units::convert(d, &stated, want).expect("converts"))),
                (_, None) => {
                    problems.push(problem(
                        sheet,
                        at(r, label_col),
                        format!("\"{stated}\" ({})", item.label()),
                        format!("可换算为 {want} 的单位"),
                        format!("a unit convertible to {want}"),
                    ));
                    continue;
                }
                (None, Some(_)) => {} // check() reports the value with its cell
            }
        }
        if current.cells.contains_key(&item.key) && group_col.is_none() {
            problems.push(problem(
                sheet,
                at(r, label_col),
                format!("\"{}\" a second time in one group", label.clone().unwrap_or_default()),
                "每组中每个信息项只出现一次（分组请加组标题行，如「1号机组」）",
                "each item once per group (start a group with a header row such as 1号机组)",
            ));
            continue;
        }
        if current.first.is_empty() {
            current.first = format!("{sheet}!{}", r + 1);
        }
        if declares(&item.key) {
            current.cells.insert(item.key.clone(), RawCell { value, at: at(r, value_col) });
        }
        if let (Some(ec), true) = (evidence_col, declares(&format!("{}_evidence", item.key)))
            && let Some(t) = grid.text(r, ec).filter(|t| !not_applicable(t))
        {
            current.cells.insert(format!("{}_evidence", item.key), RawCell { value: RawValue::Text(t), at: at(r, ec) });
        }
    }
    flush(&mut current, &mut records);
    if !problems.is_empty() {
        return Err(problems);
    }
    let rows_out = records
        .into_iter()
        .map(|mut rec| {
            if let (Some(k), Some((g, a))) = (&group_key, &rec.group)
                && declares(k)
            {
                rec.cells.entry(k.clone()).or_insert(RawCell { value: RawValue::Text(g.clone()), at: a.clone() });
            }
            let source = rec.group.as_ref().map(|(_, a)| a.clone()).unwrap_or(rec.first);
            RawRow { source, cells: rec.cells }
        })
        .collect();
    Ok(RawTable {
        key: target.key.clone(),
        display: sheet.to_string(),
        units: Default::default(),
        at: format!("{sheet}!{}", hr + 1),
        rows: rows_out,
        prefixes: Default::default(),
    })
}
