//! Declared layouts: the tables carbon managers already keep, read as a plugin
//! declares them, beside the one-record-per-row sheets of [`super::workbook`].
//!
//! A plugin declares its layouts in its manifest (`plugin.toml`, the
//! `[[input.layout]]` tables; `docs/contract.md`), not in the contract: each
//! names an ordinary input sheet the plugin declares through `describe` (its
//! *target*), the official names of the sheet, and the items the sheet holds
//! (official Chinese wording with aliases and `第i种` patterns, English name,
//! units, kind and how the year aggregates the months). The host finds the
//! sheet in the user's workbook, finds the items however they are ordered,
//! and turns them into ordinary rows of the target, each cell's source naming
//! the original `Sheet!Cell`, so the plugin sees normal rows. Nothing here
//! knows a jurisdiction.
//!
//! Two layouts:
//!
//! - [`months`] (`kind = "months"`): parameter rows × month columns, as the
//!   guidelines' 附表C.3/C.4 have them:
//!   `信息项 | 单位 | 1月 … 12月 | 全年 | 获取方式 | 是否配备直接计量器具 | 数据来源 | 支撑材料`,
//!   grouped by facility and fuel (group header rows, merged or not, or
//!   columns), quarter subtotal columns skipped. Each month cell becomes one
//!   row of the target: `group, fuel, item, year, month, value, unit,
//!   value_mode, data_source, evidence, metered`; `全年` becomes a row without
//!   a month that also carries `months_value`, what the months give by the
//!   item's declared aggregation (sum, or a mean weighted by another item), so
//!   the plugin can report a mismatch as a finding, not make a silent choice.
//! - [`form`] (`kind = "form"`): a vertical form `信息项 | 填报内容 | 支撑材料`,
//!   optionally repeated per group (a group header row or column); each group
//!   becomes one row of the target, each item one of its columns.
//!
//! Header cells are read through the official forms' quirks ([`text`]):
//! footnote markers (`信息项*1*2`), lettered formula headers
//! (`E(=C×D)燃料热量(GJ)`), units in brackets, wrapped text (`1\n月`), and
//! merged header cells (a blank header takes the text above it). `--`, `/`
//! and `—` mean "not applicable" and are read as blank by design.
//!
//! Every target of a months layout is then normalised ([`normalise`]), from a
//! declared layout, an ordinary sheet or a request file alike: each value is
//! checked as a number and converted from the unit stated in its row into the
//! item's declared unit (an either-or unit such as `t 或 10⁴Nm³` is resolved
//! by the item it follows or by the fuel), and `months_value` is filled in.
//! Problems name the sheet, the cell, the item and the month.
//!
//! [`template`] writes the official-layout workbook from the same declaration.

pub mod form;
pub mod months;
pub mod template;
pub mod text;

use std::collections::{BTreeMap, HashMap};

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::contract::{SheetSpec, ValueKind};
use crate::input::workbook::Workbook;
use crate::input::{InputProblem, RawCell, RawRow, RawTable, RawValue, units};
use crate::rules::Bilingual;

/// The columns a months layout fills in its target, when the target declares them.
pub mod role {
    pub(crate) const GROUP: &str = "group";
    pub(crate) const FUEL: &str = "fuel";
    pub(crate) const ITEM: &str = "item";
    pub const YEAR: &str = "year";
    pub(crate) const MONTH: &str = "month";
    pub const VALUE: &str = "value";
    pub(crate) const UNIT: &str = "unit";
    pub(crate) const VALUE_MODE: &str = "value_mode";
    pub(crate) const DATA_SOURCE: &str = "data_source";
    pub(crate) const EVIDENCE: &str = "evidence";
    pub(crate) const METERED: &str = "metered";
    pub(crate) const MONTHS_VALUE: &str = "months_value";
    /// Every role, in the order a target usually declares them.
    #[cfg(test)]
    pub(crate) const ALL: &[&str] =
        &[GROUP, FUEL, ITEM, YEAR, MONTH, VALUE, UNIT, VALUE_MODE, DATA_SOURCE, EVIDENCE, METERED, MONTHS_VALUE];
}

/// The `[input]` section of a plugin manifest.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ManifestInput {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub layout: Vec<Layout>,
}

/// Which layout a sheet has.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Parameter rows × month columns.
    Months,
    /// A vertical form: item, value, evidence.
    Form,
}

/// One declared layout (`[[input.layout]]`).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Layout {
    /// Stable id, e.g. "fuel_combustion".
    pub id: String,
    pub kind: Kind,
    /// The key of the ordinary input sheet (declared by `describe`) its rows go to.
    pub target: String,
    /// The official title, e.g. 附表C.3 化石燃料燃烧排放表; also the template's sheet.
    pub name: Bilingual,
    /// Other names the sheet goes by (matched as part of the user's sheet name).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sheets: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<Bilingual>,
    /// What a group (a facility, a generating unit) is and how its header rows read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<GroupSpec>,
    /// How fuel header rows read and which unit each fuel's quantities are in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fuel: Option<FuelSpec>,
    /// More header names for a column role (`label`, `unit`, `value_mode`,
    /// `metered`, `data_source`, `evidence`, `group`, `fuel`, `annual`, `value`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, Vec<String>>,
    /// Ordinary sheets this layout stands in for: the official template leaves them out.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replaces: Vec<String>,
    pub item: Vec<Item>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct GroupSpec {
    /// What one group is, e.g. 机组 / Generating unit.
    pub name: Bilingual,
    /// Words that make a header row a group header (`机组`, `设施`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub markers: Vec<String>,
    /// Form layouts: the target column the group's name goes into.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FuelSpec {
    /// Words that make a header row a fuel header (`燃料`, `第i种`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub markers: Vec<String>,
    /// Unit → the fuels whose quantities are in it: resolves a header such as
    /// `t 或 10⁴Nm³`; the names also make a header row a fuel header.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub units: BTreeMap<String, Vec<String>>,
}

/// How a value is read.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    #[default]
    Number,
    Text,
    Date,
    Boolean,
}

impl ItemKind {
    pub(crate) fn value_kind(self) -> ValueKind {
        match self {
            ItemKind::Number => ValueKind::Number,
            ItemKind::Text => ValueKind::Text,
            ItemKind::Date => ValueKind::Date,
            ItemKind::Boolean => ValueKind::Boolean,
        }
    }
}

/// Whether an item is kept per fuel or per group.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Per {
    #[default]
    Fuel,
    Group,
}

/// How the year's value follows from the months.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Annual {
    /// No relation is stated (`全年` of a factor is `--` in the forms).
    #[default]
    None,
    Sum,
    /// Σ(value × weight) / Σ weight over the months, the weight another item.
    WeightedMean,
}

/// One item of a layout (`[[input.layout.item]]`).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Item {
    /// Months: the value of the target's `item` column. Forms: the target column.
    pub key: String,
    /// The official wording, e.g. 低位发热量.
    pub zh: String,
    pub en: String,
    /// Other wordings; `第i种` stands for a numbered fuel (第1种, 第二种).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// The units values are passed in; several are alternatives chosen by
    /// the fuel (`["t", "10^4 Nm3"]`). Empty: no unit.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub units: Vec<String>,
    /// An item of the same group and fuel whose unit decides this one's
    /// (alternatives in the same order): NCV in GJ/t follows consumption in t.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_follows: Option<String>,
    #[serde(default)]
    pub kind: ItemKind,
    #[serde(default)]
    pub per: Per,
    #[serde(default)]
    pub annual: Annual,
    /// For `annual = "weighted_mean"`: the weighting item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<Bilingual>,
}

impl Item {
    /// "低位发热量 Net calorific value", for messages.
    pub fn label(&self) -> String {
        format!("{} {}", self.zh, self.en)
    }
}

/// Checks a manifest's layouts on their own (the targets are checked against
/// `describe` when a workbook is read). Returns what is wrong, for the bundle error.
pub fn validate(input: &ManifestInput) -> Result<(), String> {
    let mut ids = Vec::new();
    for l in &input.layout {
        let at = format!("[[input.layout]] {}", l.id);
        if l.id.trim().is_empty() || l.target.trim().is_empty() {
            return Err("[[input.layout]]: id and target must not be empty".into());
        }
        if ids.contains(&l.id) {
            return Err(format!("{at}: the id is used twice"));
        }
        ids.push(l.id.clone());
        if l.item.is_empty() {
            return Err(format!("{at}: declares no items"));
        }
        for role in l.headers.keys() {
            if !text::ROLES.contains(&role.as_str()) {
                return Err(format!("{at}: headers.{role} is not a column role (one of {})", text::ROLES.join(", ")));
            }
        }
        let same_target: Vec<&Item> = input.layout.iter().filter(|o| o.target == l.target).flat_map(|o| &o.item).collect();
        let mut keys = Vec::new();
        for i in &l.item {
            if keys.contains(&&i.key) {
                return Err(format!("{at}: item {} is declared twice", i.key));
            }
            keys.push(&i.key);
            for u in &i.units {
                if units::canonical(u).is_none() {
                    return Err(format!("{at}: item {}: unit `{u}` is not one lvyue converts (host/src/input/units.rs)", i.key));
                }
            }
            if !i.units.is_empty() && i.kind != ItemKind::Number {
                return Err(format!("{at}: item {}: only number items have units", i.key));
            }
            match (i.annual, &i.weight) {
                (Annual::WeightedMean, None) => {
                    return Err(format!("{at}: item {}: annual = \"weighted_mean\" needs a weight item", i.key));
                }
                (Annual::WeightedMean, Some(w)) if !same_target.iter().any(|o| &o.key == w) => {
                    return Err(format!("{at}: item {}: weight {w} is not an item of a layout of {}", i.key, l.target));
                }
                _ => {}
            }
            if let Some(f) = &i.unit_follows {
                match same_target.iter().find(|o| &o.key == f) {
                    Some(o) if o.units.len() == i.units.len() && i.units.len() > 1 => {}
                    Some(_) => {
                        return Err(format!(
                            "{at}: item {}: unit_follows {f} needs the same number of unit alternatives (more than one) on both",
                            i.key
                        ));
                    }
                    None => {
                        return Err(format!("{at}: item {}: unit_follows {f} is not an item of a layout of {}", i.key, l.target));
                    }
                }
            }
        }
        if let Some(f) = &l.fuel {
            for u in f.units.keys() {
                if units::canonical(u).is_none() {
                    return Err(format!("{at}: fuel.units: `{u}` is not a unit lvyue converts"));
                }
            }
        }
        if l.kind == Kind::Form && l.item.iter().any(|i| i.annual != Annual::None) {
            return Err(format!("{at}: a form has no months to aggregate (annual)"));
        }
    }
    Ok(())
}

/// A user's sheet name as compared with the declared ones.
fn fold_name(s: &str) -> String {
    s.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

/// The names of the ordinary declared sheets, folded (as the workbook
/// reader matches them: Chinese, English, key, both, the template's name).
fn ordinary_names(specs: &[SheetSpec]) -> Vec<String> {
    specs.iter().flat_map(|s| crate::input::workbook::sheet_name_candidates(s).map(|c| fold_name(&c))).collect()
}

/// Which sheets a plugin's declarations read, and with which layout, with
/// every declared name folded once (a workbook's sheet names are matched
/// against them, in a batch for every entity).
pub(crate) struct SheetSelector {
    /// The ordinary declared sheets' names, as [`crate::input::workbook::Workbook::tables`] matches them.
    declared: crate::input::workbook::DeclaredNames,
    /// The same names, folded as layout names are.
    ordinary: Vec<String>,
    /// Each layout's names, folded, in the order of the layouts.
    layout_names: Vec<Vec<String>>,
}

impl SheetSelector {
    pub(crate) fn new(specs: &[SheetSpec], layouts: &[Layout]) -> SheetSelector {
        let layout_names = layouts
            .iter()
            .map(|l| {
                [l.name.zh.as_str(), l.name.en.as_str()].into_iter().chain(l.sheets.iter().map(String::as_str)).map(fold_name).collect()
            })
            .collect();
        SheetSelector {
            declared: crate::input::workbook::DeclaredNames::new(specs),
            ordinary: if layouts.is_empty() { Vec::new() } else { ordinary_names(specs) },
            layout_names,
        }
    }

    /// Whether [`tables`] reads a sheet named `name`: an ordinary declared
    /// sheet, or a sheet with one of the layouts.
    pub(crate) fn reads(&self, name: &str) -> bool {
        self.declared.contains(name) || self.layout(name).is_some()
    }

    /// The index of the layout of a sheet named `name`, if it has one and is
    /// not named as an ordinary declared sheet: the layout whose declared
    /// name the sheet's name equals or contains (the longest such name wins).
    fn layout(&self, name: &str) -> Option<usize> {
        if self.layout_names.is_empty() {
            return None;
        }
        let n = fold_name(name);
        if self.ordinary.contains(&n) {
            return None;
        }
        let mut best: Option<(usize, usize)> = None;
        for (i, names) in self.layout_names.iter().enumerate() {
            for f in names {
                // Short names (under 4 characters) must match whole.
                let hit = *f == n || (f.chars().count() >= 4 && n.contains(f.as_str()));
                if hit && best.is_none_or(|(_, len)| f.len() > len) {
                    best = Some((i, f.len()));
                }
            }
        }
        best.map(|(i, _)| i)
    }
}

/// The layout a sheet has, if any (see [`SheetSelector`]).
#[cfg(test)]
pub(crate) fn layout_of<'a>(sheet: &str, layouts: &'a [Layout]) -> Option<&'a Layout> {
    SheetSelector::new(&[], layouts).layout(sheet).map(|i| &layouts[i])
}

fn problem(sheet: &str, cell: impl Into<String>, found: impl Into<String>, zh: impl Into<String>, en: impl Into<String>) -> InputProblem {
    InputProblem { sheet: sheet.to_string(), cell: cell.into(), found: found.into(), expected_zh: zh.into(), expected_en: en.into() }
}

/// The sheet part of a cell reference "Sheet!E7".
fn sheet_of(at: &str) -> &str {
    at.rsplit_once('!').map(|(s, _)| s).unwrap_or(at)
}

/// Reads the declared sheets of several opened workbooks: the one-record-per-row
/// sheets as [`crate::input::workbook::tables`] does, and every sheet that has
/// one of the `layouts`, whose rows join their target's. A target also given
/// as an ordinary sheet gets both sets of rows. Then the targets are
/// normalised ([`normalise`]).
pub fn tables(books: &mut [Workbook], specs: &[SheetSpec], layouts: &[Layout]) -> Result<Vec<RawTable>, Vec<InputProblem>> {
    tables_with(books, specs, layouts, &SheetSelector::new(specs, layouts))
}

/// [`tables`] with the [`SheetSelector`] of `specs` and `layouts` made beforehand.
pub(crate) fn tables_with(
    books: &mut [Workbook],
    specs: &[SheetSpec],
    layouts: &[Layout],
    select: &SheetSelector,
) -> Result<Vec<RawTable>, Vec<InputProblem>> {
    if layouts.is_empty() {
        return crate::input::workbook::tables(books, specs);
    }
    let mut problems = Vec::new();
    for l in layouts {
        if !specs.iter().any(|s| s.key == l.target) {
            let known: Vec<&str> = specs.iter().map(|s| s.key.as_str()).collect();
            problems.push(problem(
                &l.name.zh,
                format!("plugin.toml [[input.layout]] {}", l.id),
                format!("target = \"{}\"", l.target),
                format!("插件声明的表之一：{}（插件的清单有误）", known.join("、")),
                format!("one of the sheets the plugin declares: {} (the plugin's manifest is wrong)", known.join(", ")),
            ));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut ordinary: Vec<(RawTable, String)> = Vec::new();
    let mut laid_out: Vec<RawTable> = Vec::new();
    for book in books.iter_mut() {
        let file = book.file().to_string();
        let mut found = 0usize;
        let names: Vec<String> = book.sheet_names().to_vec();
        // Every sheet this book will be read for, in one hand-off to the reader.
        let wanted: Vec<String> = names.iter().filter(|n| select.reads(n)).cloned().collect();
        book.prefetch(&wanted);
        for name in &names {
            // A sheet named as an ordinary declared sheet is read as one, whatever a layout calls itself.
            let Some(layout) = select.layout(name).map(|i| &layouts[i]) else {
                continue;
            };
            let target = specs.iter().find(|s| s.key == layout.target).expect("checked above");
            found += 1;
            let grid = match book.grid(name) {
                Ok(g) => g,
                Err(mut p) => {
                    problems.append(&mut p);
                    continue;
                }
            };
            let read = match layout.kind {
                Kind::Months => months::read(name, &grid, layout, target),
                Kind::Form => form::read(name, &grid, layout, target),
            };
            match read {
                Ok(t) => laid_out.push(t),
                Err(mut p) => problems.append(&mut p),
            }
        }
        match book.tables(specs) {
            Ok(ts) => {
                if ts.is_empty() && found == 0 && !specs.is_empty() {
                    let mut wanted: Vec<String> = specs.iter().map(|s| format!("{} / {}", s.name.zh, s.name.en)).collect();
                    wanted.extend(layouts.iter().map(|l| format!("{} / {}", l.name.zh, l.name.en)));
                    let has = if names.is_empty() { "no sheets".to_string() } else { format!("the sheets {}", names.join(", ")) };
                    problems.push(InputProblem {
                        sheet: String::new(),
                        cell: file.clone(),
                        found: format!("none of the sheets this plugin reads ({has})"),
                        expected_zh: format!("至少一个本插件读取的表：{}", wanted.join("、")),
                        expected_en: format!("at least one of the sheets this plugin reads: {}", wanted.join(", ")),
                    });
                }
                for t in ts {
                    if let Some((_, other)) = ordinary.iter().find(|(x, _)| x.key == t.key) {
                        problems.push(InputProblem {
                            sheet: t.display.clone(),
                            cell: format!("{file}: {}", t.display),
                            found: format!("also in {other}"),
                            expected_zh: "每个表只在一个工作簿中出现".into(),
                            expected_en: "each sheet in one workbook only".into(),
                        });
                    } else {
                        ordinary.push((t, file.clone()));
                    }
                }
            }
            Err(mut p) => problems.append(&mut p),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut out: Vec<RawTable> = ordinary.into_iter().map(|(t, _)| t).collect();
    for t in laid_out {
        match out.iter_mut().find(|o| o.key == t.key) {
            Some(o) => {
                o.display = format!("{}, {}", o.display, t.display);
                o.rows.extend(t.rows);
            }
            None => out.push(t),
        }
    }
    normalise(&mut out, specs, layouts)?;
    Ok(out)
}

/// The items of the months layouts of `target`, by key (the first declaration wins).
fn items_of<'a>(layouts: &'a [Layout], target: &str) -> Vec<(&'a Layout, &'a Item)> {
    let mut out: Vec<(&Layout, &Item)> = Vec::new();
    for l in layouts.iter().filter(|l| l.kind == Kind::Months && l.target == target) {
        for i in &l.item {
            if !out.iter().any(|(_, o)| o.key == i.key) {
                out.push((l, i));
            }
        }
    }
    out
}

/// The text of a raw cell, trimmed.
fn cell_text(row: &RawRow, key: &str) -> String {
    match row.cells.get(key).map(|c| &c.value) {
        Some(RawValue::Text(t)) => t.trim().to_string(),
        Some(RawValue::Number(n)) => n.clone(),
        _ => String::new(),
    }
}

/// "3月 March" or "全年 year", for messages.
fn month_label(row: &RawRow) -> String {
    match cell_text(row, role::MONTH).parse::<u32>() {
        Ok(m) => format!("{m}月 / month {m}"),
        Err(_) => "全年 / the year".to_string(),
    }
}

/// The months layouts' targets made uniform, however they came (a declared
/// layout, an ordinary sheet, a request file): items named by their declared
/// key (a row may name one by its Chinese or English wording), values checked
/// as numbers and converted into the item's unit from the unit stated in the
/// row, and `months_value` filled in on each year row from the months.
pub fn normalise(tables: &mut [RawTable], specs: &[SheetSpec], layouts: &[Layout]) -> Result<(), Vec<InputProblem>> {
    let mut problems = Vec::new();
    for t in tables.iter_mut() {
        let items = items_of(layouts, &t.key);
        if items.is_empty() {
            continue;
        }
        let declares = |k: &str| specs.iter().find(|s| s.key == t.key).is_some_and(|s| s.columns.iter().any(|c| c.key == k));
        let display = t.display.clone();
        // 1. Item keys, and numbers.
        let mut known: Vec<Option<usize>> = Vec::with_capacity(t.rows.len());
        for row in &mut t.rows {
            let name = cell_text(row, role::ITEM);
            let found = items
                .iter()
                .position(|(_, i)| i.key == name)
                .or_else(|| items.iter().position(|(_, i)| text::item_match(&name, i).is_some()));
            if let (Some(k), Some(cell)) = (found, row.cells.get_mut(role::ITEM)) {
                cell.value = RawValue::Text(items[k].1.key.clone());
            }
            known.push(found);
        }
        // 2. Units: items that follow no other first, then those that do.
        let mut chosen: HashMap<(String, String, String, String), usize> = HashMap::new();
        let mut resolved_units: UnitMemo = HashMap::new();
        for pass in 0..2 {
            for (row, k) in t.rows.iter_mut().zip(&known) {
                let Some(k) = *k else { continue };
                let (layout, item) = items[k];
                if item.unit_follows.is_some() != (pass == 1) {
                    continue;
                }
                if item.kind != ItemKind::Number {
                    continue;
                }
                let at = t.prefixes.at(row, role::VALUE).unwrap_or_else(|| row.source.clone());
                let context_text = {
                    let g = cell_text(row, role::GROUP);
                    let f = cell_text(row, role::FUEL);
                    let place = [g, f].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" · ");
                    format!("{}, {}{}", item.label(), month_label(row), if place.is_empty() { String::new() } else { format!(", {place}") })
                };
                let context = || context_text.clone();
                // The value: a number, blank, or "not applicable".
                let value = row.cells.get(role::VALUE).map(|c| c.value.clone()).unwrap_or(RawValue::Empty);
                let number = match &value {
                    RawValue::Empty => None,
                    RawValue::Number(n) => crate::decimal::parse(n),
                    RawValue::Text(s) if text::not_applicable(s) => {
                        row.cells.remove(role::VALUE);
                        None
                    }
                    RawValue::Text(s) => match crate::input::without_thousands(s).and_then(|s| crate::decimal::parse(&s)) {
                        Some(d) => Some(d),
                        None => {
                            problems.push(problem(
                                sheet_of(&at),
                                &at,
                                format!("{value} ({})", context()),
                                "数字（不适用可填 -- 或 /）",
                                "a number (-- or / for not applicable)",
                            ));
                            continue;
                        }
                    },
                    RawValue::Error(e) => {
                        problems.push(problem(
                            sheet_of(&at),
                            &at,
                            format!("{e} ({})", context()),
                            format!("数字，不是公式错误 {e}"),
                            format!("a number, not the formula error {e}"),
                        ));
                        continue;
                    }
                    other => {
                        problems.push(problem(sheet_of(&at), &at, format!("{other} ({})", context()), "数字", "a number"));
                        continue;
                    }
                };
                if item.units.is_empty() || number.is_none() {
                    continue;
                }
                let key = (cell_text(row, role::GROUP), cell_text(row, role::FUEL), cell_text(row, role::YEAR), item.key.clone());
                let stated = cell_text(row, role::UNIT);
                let unit_at = t.prefixes.at(row, role::UNIT).unwrap_or_else(|| at.clone());
                let followed = item.unit_follows.as_ref().and_then(|f| {
                    let mut k = key.clone();
                    k.3 = f.clone();
                    chosen.get(&k).copied().or_else(|| {
                        k.1 = String::new();
                        chosen.get(&k).copied()
                    })
                });
                // The same unit text, fuel and followed unit resolve alike: once per table.
                let memo = (k, stated.clone(), key.1.clone(), followed);
                let resolved = match resolved_units.get(&memo) {
                    Some(r) => r.clone(),
                    None => {
                        let r = resolve_unit(item, layout, &stated, &key.1, followed);
                        resolved_units.insert(memo, r.clone());
                        r
                    }
                };
                let choice = match resolved {
                    Ok(c) => c,
                    Err((zh, en)) => {
                        problems.push(problem(sheet_of(&unit_at), &unit_at, format!("\"{stated}\" ({})", context()), zh, en));
                        continue;
                    }
                };
                chosen.insert(key, choice.index);
                if let Some(d) = number {
                    match units::convert(d, &choice.stated, &item.units[choice.index]) {
                        Some(v) => {
                            if let Some(c) = row.cells.get_mut(role::VALUE) {
                                c.value = RawValue::Number(crate::decimal::format(v));
                            }
                        }
                        None => {
                            problems.push(problem(
                                sheet_of(&unit_at),
                                &unit_at,
                                format!("\"{}\" ({})", choice.stated, context()),
                                format!("可换算为 {} 的单位", item.units[choice.index]),
                                format!("a unit convertible to {}", item.units[choice.index]),
                            ));
                            continue;
                        }
                    }
                }
                if declares(role::UNIT) {
                    let at = unit_at.clone();
                    row.cells.insert(role::UNIT.into(), RawCell { value: RawValue::Text(item.units[choice.index].clone()), at });
                }
            }
        }
        // 3. What the months give, on each year row.
        if declares(role::MONTHS_VALUE) {
            fill_months_value(t, &items, &known);
        }
        let _ = display;
    }
    if problems.is_empty() {
        Ok(())
    } else {
        // One problem per cell and kind: a unit cell serves twelve months.
        let mut seen = std::collections::HashSet::new();
        problems.retain(|p| seen.insert((p.cell.clone(), p.expected_en.clone())));
        Err(crate::input::capped(problems))
    }
}

/// Unit resolutions by (item, unit as stated, fuel, the followed item's choice).
type UnitMemo = HashMap<(usize, String, String, Option<usize>), Result<UnitChoice, (String, String)>>;

/// The unit a row's value is in, and which of the item's alternatives it is.
#[derive(Clone)]
struct UnitChoice {
    index: usize,
    stated: String,
}

/// Resolves the unit a row states (possibly blank, possibly alternatives such
/// as `t 或 10⁴Nm³`) against the item's declared units.
fn resolve_unit(item: &Item, layout: &Layout, stated: &str, fuel: &str, followed: Option<usize>) -> Result<UnitChoice, (String, String)> {
    let declared = || item.units.join(" / ");
    let family = |u: &str| units::canonical(u);
    let alternatives = units::alternatives(stated);
    // Which declared alternative each stated one is.
    let mut matched: Vec<(usize, String)> = Vec::new();
    for s in &alternatives {
        match item.units.iter().position(|d| family(d).is_some() && family(d) == family(s)) {
            Some(i) => matched.push((i, s.clone())),
            None => {
                let ok: Vec<&str> = item.units.iter().flat_map(|u| units::accepted(u)).collect();
                return Err((
                    format!("{} 的单位：{}（可换算：{}）", item.zh, declared(), ok.join("、")),
                    format!("a unit of {}: {} (or one converting to it: {})", item.en, declared(), ok.join(", ")),
                ));
            }
        }
    }
    if matched.len() == 1 {
        let (index, stated) = matched.remove(0);
        return Ok(UnitChoice { index, stated });
    }
    // Blank, or several: the single declared unit, else the followed item's, else the fuel's.
    let candidates: Vec<(usize, String)> = if matched.is_empty() { item.units.iter().cloned().enumerate().collect() } else { matched };
    if candidates.len() == 1 {
        let (index, stated) = candidates.into_iter().next().expect("one");
        return Ok(UnitChoice { index, stated });
    }
    if let Some(i) = followed
        && let Some((index, stated)) = candidates.iter().find(|(c, _)| *c == i).cloned()
    {
        return Ok(UnitChoice { index, stated });
    }
    if let Some(fs) = &layout.fuel {
        // The fuel named exactly, else the longest fuel name it contains (液化天然气 is no 天然气).
        let f = text::fold_label(fuel);
        let mut best: Option<(&String, usize)> = None;
        for (unit, fuels) in &fs.units {
            for n in fuels.iter().map(|n| text::fold_label(n)).filter(|n| !n.is_empty()) {
                let score = if n == f {
                    usize::MAX
                } else if f.contains(&n) {
                    n.len()
                } else {
                    continue;
                };
                if best.is_none_or(|(_, b)| score > b) {
                    best = Some((unit, score));
                }
            }
        }
        if let Some((unit, _)) = best
            && let Some((index, stated)) = candidates.iter().find(|(c, _)| units::same(&item.units[*c], unit)).cloned()
        {
            return Ok(UnitChoice { index, stated });
        }
    }
    let fuel_note = if fuel.is_empty() { String::new() } else { format!("（燃料「{fuel}」无法确定单位）") };
    Err((
        format!("{} 的单位之一：{}{fuel_note}；请在单位列写明", item.zh, declared()),
        format!(
            "one unit of {}: {}{}; state it in the unit column",
            item.en,
            declared(),
            if fuel.is_empty() { String::new() } else { format!(" (the fuel \"{fuel}\" does not tell which)") }
        ),
    ))
}

/// Fills `months_value` on the year rows (no month) of a normalised target.
fn fill_months_value(t: &mut RawTable, items: &[(&Layout, &Item)], known: &[Option<usize>]) {
    type Key = (String, String, String, String);
    let number = |row: &RawRow| match row.cells.get(role::VALUE).map(|c| &c.value) {
        Some(RawValue::Number(n)) => crate::decimal::parse(n),
        _ => None,
    };
    let mut by_month: HashMap<Key, BTreeMap<u32, Decimal>> = HashMap::new();
    for row in &t.rows {
        let Ok(m) = cell_text(row, role::MONTH).parse::<u32>() else {
            continue;
        };
        if let Some(v) = number(row) {
            let key = (cell_text(row, role::GROUP), cell_text(row, role::FUEL), cell_text(row, role::YEAR), cell_text(row, role::ITEM));
            by_month.entry(key).or_default().insert(m, v);
        }
    }
    for (row, k) in t.rows.iter_mut().zip(known) {
        let Some(k) = *k else { continue };
        let item = items[k].1;
        if !cell_text(row, role::MONTH).is_empty() || item.annual == Annual::None || number(row).is_none() {
            continue;
        }
        let key = (cell_text(row, role::GROUP), cell_text(row, role::FUEL), cell_text(row, role::YEAR), item.key.clone());
        let Some(months) = by_month.get(&key) else {
            continue;
        };
        let value = match item.annual {
            Annual::None => None,
            Annual::Sum => months.values().try_fold(Decimal::ZERO, |a, v| a.checked_add(*v)),
            Annual::WeightedMean => {
                let w = item.weight.clone().unwrap_or_default();
                let weights = by_month
                    .get(&(key.0.clone(), key.1.clone(), key.2.clone(), w.clone()))
                    .or_else(|| by_month.get(&(key.0.clone(), String::new(), key.2.clone(), w)));
                weights.and_then(|ws| {
                    let mut num = Decimal::ZERO;
                    let mut den = Decimal::ZERO;
                    for (m, v) in months {
                        // A month without its weight (no consumption row) weighs nothing.
                        let Some(wm) = ws.get(m) else { continue };
                        num = num.checked_add(v.checked_mul(*wm)?)?;
                        den = den.checked_add(*wm)?;
                    }
                    if den.is_zero() { None } else { num.checked_div(den) }
                })
            }
        };
        if let Some(v) = value {
            let at = t.prefixes.at(row, role::VALUE).unwrap_or_else(|| row.source.clone());
            row.cells.insert(role::MONTHS_VALUE.into(), RawCell { value: RawValue::Number(crate::decimal::format(v.normalize())), at });
        }
    }
}

#[cfg(test)]
mod tests;
