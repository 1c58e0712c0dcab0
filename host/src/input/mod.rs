//! Input tables, checked against what a plugin declares it needs.
//!
//! - [`workbook`]: .xlsx/.xlsm/.xls/.ods workbooks, each sheet read once;
//! - [`layout`]: the layouts a plugin declares in its manifest (parameter rows ×
//!   month columns, vertical forms), read into its ordinary input sheets;
//! - [`request`]: request files (TOML or JSON), the integration path;
//! - [`units`]: units stated by the user, converted exactly;
//! - [`template`]: input workbooks generated from a plugin's declaration;
//! - [`cells`]: a row's cells by column key;
//! - [`limits`], [`prescan`], [`guard`]: reading bounded in size, cells, text,
//!   nesting and time, and isolated from the parser's panics.
//!
//! Readers produce [`RawTable`]s; [`check`]
//! turns them into contract tables or reports every problem at once, each
//! with the sheet, the cell, the value found and what was expected, in
//! Chinese and English.

pub mod cells;
pub mod guard;
pub mod layout;
pub mod limits;
pub mod prescan;
pub mod request;
pub mod template;
pub mod units;
pub mod workbook;

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

pub use cells::{CellPrefixes, Cells};

use rust_decimal::Decimal;
use serde::Serialize;

use crate::contract::since_v1_1::{TablePacker, wit};
use crate::contract::{Cell, ColumnSpec, Row, SheetSpec, Table, Value, ValueKind};
use crate::decimal;

/// A value as read, before checking.
#[derive(Debug, Clone, PartialEq)]
pub enum RawValue {
    Empty,
    /// Exact decimal text.
    Number(String),
    Text(String),
    /// ISO date "YYYY-MM-DD".
    Date(String),
    Bool(bool),
    /// A spreadsheet error value such as "#DIV/0!".
    Error(String),
}

impl fmt::Display for RawValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RawValue::Empty => write!(f, "(empty)"),
            RawValue::Number(n) => write!(f, "{n}"),
            RawValue::Text(t) => write!(f, "\"{t}\""),
            RawValue::Date(d) => write!(f, "{d}"),
            RawValue::Bool(b) => write!(f, "{b}"),
            RawValue::Error(e) => write!(f, "{e}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct RawCell {
    pub value: RawValue,
    /// Where it came from, e.g. "Emission sources!C12". Empty for a cell of
    /// a sheet's table at its column's place in its row: the reference is
    /// then computed from the table's [`CellPrefixes`] ([`CellPrefixes::at`]).
    pub at: String,
}

#[derive(Debug, Clone)]
pub struct RawRow {
    /// e.g. "Emission sources!12".
    pub source: String,
    /// By column key.
    pub cells: Cells,
}

#[derive(Debug, Clone)]
pub struct RawTable {
    /// The sheet-spec key.
    pub key: String,
    /// What the user calls it (sheet name or table name), for messages.
    pub display: String,
    /// Units the user stated, by column key.
    pub units: HashMap<String, String>,
    /// Where a column's unit was stated, for messages.
    pub at: String,
    pub rows: Vec<RawRow>,
    /// For a sheet read from a workbook, where its columns are: the
    /// reference of a cell left empty, which its row does not keep.
    pub prefixes: CellPrefixes,
}

/// One problem with the input.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct InputProblem {
    pub sheet: String,
    /// The cell (or row, or sheet) concerned.
    pub cell: String,
    pub found: String,
    pub expected_zh: String,
    pub expected_en: String,
}

impl fmt::Display for InputProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.found.is_empty(), self.expected_en.is_empty()) {
            (false, true) => write!(f, "{}: {}", self.cell, self.found),
            (true, _) => write!(f, "{}: expected {} / {}", self.cell, self.expected_en, self.expected_zh),
            (false, false) => write!(f, "{}: found {}; expected {} / {}", self.cell, self.found, self.expected_en, self.expected_zh),
        }
    }
}

fn problem(sheet: &str, cell: &str, found: impl Into<String>, zh: impl Into<String>, en: impl Into<String>) -> InputProblem {
    InputProblem { sheet: sheet.to_string(), cell: cell.to_string(), found: found.into(), expected_zh: zh.into(), expected_en: en.into() }
}

fn kind_en(k: ValueKind) -> &'static str {
    match k {
        ValueKind::Number => "a number",
        ValueKind::Text => "text",
        ValueKind::Date => "a date (YYYY-MM-DD, or an Excel date serial from 1 = 1900-01-01 to 2958465 = 9999-12-31)",
        ValueKind::Boolean => "yes or no",
    }
}

fn kind_zh(k: ValueKind) -> &'static str {
    match k {
        ValueKind::Number => "数字",
        ValueKind::Text => "文本",
        ValueKind::Date => "日期（YYYY-MM-DD，或 1（1900-01-01）至 2958465（9999-12-31）之间的 Excel 日期序号）",
        ValueKind::Boolean => "是或否",
    }
}

/// The dates the host passes to plugins: a declared range, so a plugin may add
/// years or days to any of them without leaving its calendar.
pub(crate) const FIRST_DATE: &str = "1900-01-01";
pub(crate) const LAST_DATE: &str = "2999-12-31";

/// Numbers the host passes to plugins are smaller than this in size (after unit
/// conversion): one quadrillion tonnes, MWh or yuan is more than any input is,
/// and a product of two such numbers still fits an exact decimal.
pub(crate) const NUMBER_BOUND: i64 = 1_000_000_000_000_000;

/// At most this many problems are listed; the rest are counted.
pub(crate) const MAX_PROBLEMS: usize = 1000;

/// Number text with commas: only well-placed thousands separators are
/// accepted (`1,234.5`, `-12,345,678`); `12,34`, `1,2,3`, `,5` and the European
/// `18.422,5` are not numbers. Text without commas is returned as it is.
pub(crate) fn without_thousands(text: &str) -> Option<String> {
    let t = text.trim();
    if !t.contains(',') {
        return Some(t.to_string());
    }
    let body = t.strip_prefix(['-', '+']).unwrap_or(t);
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    if frac.contains(',') {
        return None;
    }
    let mut groups = int.split(',');
    let first = groups.next()?;
    let ok = (1..=3).contains(&first.len())
        && first.bytes().all(|b| b.is_ascii_digit())
        && groups.all(|g| g.len() == 3 && g.bytes().all(|b| b.is_ascii_digit()));
    ok.then(|| t.replace(',', ""))
}

/// Checks raw tables against the declared sheets. Returns the contract tables
/// (columns in declaration order, numbers in canonical units) or every problem.
pub fn check(specs: &[SheetSpec], raw: &[RawTable]) -> Result<Vec<Table>, Vec<InputProblem>> {
    check_tables(specs, raw.iter().map(Cow::Borrowed).collect())
}

/// [`check`] consuming the tables as read: each row is freed as soon as it is
/// converted, and its values and references are moved, not copied.
pub fn check_owned(specs: &[SheetSpec], raw: Vec<RawTable>) -> Result<Vec<Table>, Vec<InputProblem>> {
    check_tables(specs, raw.into_iter().map(Cow::Owned).collect())
}

/// [`check_owned`] giving contract 1.1's columns: each row is packed as soon
/// as it is checked and then freed, so the tables are never held as rows
/// with a reference string per cell (for 100,000 rows, 115 MiB).
pub fn check_packed(specs: &[SheetSpec], raw: Vec<RawTable>) -> Result<Vec<wit::Table>, Vec<InputProblem>> {
    check_tables(specs, raw.into_iter().map(Cow::Owned).collect())
}

/// The cells the check makes of `raw`: each table's rows × the columns its
/// sheet declares (the size of the request a plugin is sent).
pub fn cells(specs: &[SheetSpec], raw: &[RawTable]) -> u64 {
    raw.iter().filter_map(|t| specs.iter().find(|s| s.key == t.key).map(|s| t.rows.len() as u64 * s.columns.len() as u64)).sum()
}

/// What the check builds from the rows it converts: contract 1.0's tables
/// (rows) or 1.1's (columns, each row packed as it comes).
trait Tables: Default {
    /// One table's rows so far.
    type Sink;
    fn start(spec: &SheetSpec, columns: Vec<String>, rows: usize) -> Self::Sink;
    fn push(sink: &mut Self::Sink, row: Row) -> Result<(), String>;
    fn finish(&mut self, spec: &SheetSpec, columns: Vec<String>, sink: Self::Sink) -> Result<(), String>;
}

impl Tables for Vec<Table> {
    type Sink = Vec<Row>;

    fn start(_: &SheetSpec, _: Vec<String>, rows: usize) -> Vec<Row> {
        Vec::with_capacity(rows)
    }

    fn push(sink: &mut Vec<Row>, row: Row) -> Result<(), String> {
        sink.push(row);
        Ok(())
    }

    fn finish(&mut self, spec: &SheetSpec, columns: Vec<String>, rows: Vec<Row>) -> Result<(), String> {
        self.push(Table { key: spec.key.clone(), columns, rows });
        Ok(())
    }
}

impl Tables for Vec<wit::Table> {
    type Sink = TablePacker;

    fn start(spec: &SheetSpec, columns: Vec<String>, _: usize) -> TablePacker {
        TablePacker::new(spec.key.clone(), columns)
    }

    fn push(sink: &mut TablePacker, row: Row) -> Result<(), String> {
        sink.push(&row)
    }

    fn finish(&mut self, _: &SheetSpec, _: Vec<String>, sink: TablePacker) -> Result<(), String> {
        self.push(sink.finish()?);
        Ok(())
    }
}

fn check_tables<T: Tables>(specs: &[SheetSpec], mut raw: Vec<Cow<'_, RawTable>>) -> Result<T, Vec<InputProblem>> {
    let mut problems = Vec::new();
    let mut tables = T::default();
    for t in &raw {
        if !specs.iter().any(|s| s.key == t.key) {
            let known: Vec<&str> = specs.iter().map(|s| s.key.as_str()).collect();
            problems.push(problem(
                &t.display,
                &t.display,
                &t.key,
                format!("本插件读取的表：{}", known.join("、")),
                format!("one of the sheets this plugin reads: {}", known.join(", ")),
            ));
        }
    }
    for spec in specs {
        let Some(at) = raw.iter().position(|t| t.key == spec.key) else {
            if spec.required {
                problems.push(problem(
                    &spec.name.en,
                    &spec.name.en,
                    "(missing)",
                    format!("必需的表「{}」", spec.name.zh),
                    format!("the required sheet \"{}\"", spec.name.en),
                ));
            }
            continue;
        };
        // Taken out of the list (a placeholder with no key stays): its rows can be moved.
        let placeholder = RawTable {
            key: String::new(),
            display: String::new(),
            units: HashMap::new(),
            at: String::new(),
            rows: Vec::new(),
            prefixes: Default::default(),
        };
        let taken = std::mem::replace(&mut raw[at], Cow::Owned(placeholder));
        let n_rows = taken.rows.len();
        let (t, raw_rows): (Cow<'_, RawTable>, Box<dyn Iterator<Item = Cow<'_, RawRow>> + '_>) = match taken {
            Cow::Borrowed(t) => (Cow::Borrowed(t), Box::new(t.rows.iter().map(Cow::Borrowed))),
            Cow::Owned(mut t) => {
                let rows = std::mem::take(&mut t.rows);
                (Cow::Owned(t), Box::new(rows.into_iter().map(Cow::Owned)))
            }
        };
        let mut factors: Vec<Option<(String, String)>> = Vec::new();
        for col in &spec.columns {
            factors.push(unit_for(&t, col, &mut problems));
        }
        for stated in t.units.keys() {
            if !spec.columns.iter().any(|c| &c.key == stated) {
                problems.push(problem(&t.display, &t.at, stated, "本表已声明的列", "a column of this sheet"));
            }
        }
        // Each row becomes every declared column: bounded before anything is built.
        let limits = limits::InputLimits::current();
        let width = spec.columns.len().max(1) as u64;
        if (n_rows as u64).saturating_mul(width) > limits.cells {
            problems.push(problem(
                &t.display,
                &t.display,
                format!("{} rows of {} columns", limits::count(n_rows as u64), width),
                format!("至多 {} 个单元格（行数 × 本表的列数；可用 --input-limit cells=N 提高上限）", limits::count(limits.cells)),
                format!("at most {} cells, rows × this sheet's columns ({})", limits::count(limits.cells), limits::raise("cells")),
            ));
            continue;
        }
        let columns = || spec.columns.iter().map(|c| c.key.clone()).collect::<Vec<_>>();
        let mut sink = T::start(spec, columns(), n_rows);
        let mut seen: HashMap<Vec<String>, String> = HashMap::new();
        for r in raw_rows {
            let mut r = r.into_owned();
            for k in r.cells.keys() {
                if !spec.columns.iter().any(|c| &c.key == k) {
                    let at = t.prefixes.at(&r, k).unwrap_or_else(|| r.source.clone());
                    problems.push(problem(&t.display, &at, k, "本表已声明的列", "a column this sheet declares"));
                }
            }
            let mut cells = Vec::with_capacity(spec.columns.len());
            for (col, unit) in spec.columns.iter().zip(&factors) {
                let at = |r: &RawRow| t.prefixes.at(r, &col.key).unwrap_or_else(|| format!("{}, {}", r.source, col.name.en));
                let (value, at) = match r.cells.remove(&col.key) {
                    Some(c) if !c.at.is_empty() => (c.value, c.at),
                    // Kept without its reference: at its column's place, as an empty cell is.
                    Some(c) => (c.value, at(&r)),
                    None => (RawValue::Empty, at(&r)),
                };
                match check_cell(col, &value, unit.as_ref()) {
                    Ok(v) => cells.push(Cell { value: v, source: at }),
                    Err((zh, en)) => {
                        let found = match (&col.kind, &value) {
                            (ValueKind::Date, RawValue::Number(n)) => format!("{n} (as an Excel date serial)"),
                            _ => value.to_string(),
                        };
                        problems.push(problem(&t.display, &at, found, zh, en));
                        cells.push(Cell { value: Value::Empty, source: at });
                    }
                }
            }
            if !spec.unique_key.is_empty() {
                let key: Vec<String> = spec
                    .unique_key
                    .iter()
                    .map(|k| spec.columns.iter().position(|c| &c.key == k).map(|i| value_key(&cells[i].value)).unwrap_or_default())
                    .collect();
                if key.iter().any(|k| !k.is_empty()) {
                    let first_col = spec.columns.iter().position(|c| c.key == spec.unique_key[0]).unwrap_or(0);
                    let here = cells.get(first_col).map(|c| c.source.clone()).unwrap_or_default();
                    if let Some(prev) = seen.get(&key) {
                        problems.push(problem(
                            &t.display,
                            &here,
                            key.join(" / "),
                            format!("唯一值（与 {prev} 重复）"),
                            format!("a unique value (it repeats {prev})"),
                        ));
                    } else {
                        seen.insert(key, here);
                    }
                }
            }
            if let Err(e) = T::push(&mut sink, Row { source: r.source, cells }) {
                problems.push(problem(&t.display, &t.display, e, "本合约可传递的表", "a table the contract can carry"));
            }
        }
        if let Err(e) = tables.finish(spec, columns(), sink) {
            problems.push(problem(&t.display, &t.display, e, "本合约可传递的表", "a table the contract can carry"));
        }
    }
    if problems.is_empty() { Ok(tables) } else { Err(capped(problems)) }
}

/// The first [`MAX_PROBLEMS`] problems, and a last line counting the rest.
pub fn capped(mut problems: Vec<InputProblem>) -> Vec<InputProblem> {
    if problems.len() > MAX_PROBLEMS {
        let more = problems.len() - MAX_PROBLEMS;
        problems.truncate(MAX_PROBLEMS);
        problems.push(InputProblem {
            sheet: String::new(),
            cell: "…".into(),
            found: format!("{} more problems of the same kinds (the first {MAX_PROBLEMS} are listed)", limits::count(more as u64)),
            expected_zh: String::new(),
            expected_en: String::new(),
        });
    }
    problems
}

fn value_key(v: &Value) -> String {
    crate::rules::value_text(v)
}

/// The (stated, canonical) units of a number column, if it has a unit.
fn unit_for(t: &RawTable, col: &ColumnSpec, problems: &mut Vec<InputProblem>) -> Option<(String, String)> {
    let canonical = col.unit.as_ref()?;
    let stated = t.units.get(&col.key).cloned().unwrap_or_else(|| canonical.clone());
    if units::convert(Decimal::ONE, &stated, canonical).is_none() {
        let ok = units::accepted(canonical).join(", ");
        problems.push(problem(
            &t.display,
            &t.at,
            format!("{}: {stated}", col.key),
            format!("可换算为 {canonical} 的单位：{ok}"),
            format!("a unit convertible to {canonical}: {ok}"),
        ));
        return None;
    }
    Some((stated, canonical.clone()))
}

fn check_cell(col: &ColumnSpec, v: &RawValue, unit: Option<&(String, String)>) -> Result<Value, (String, String)> {
    let expect = || (kind_zh(col.kind).to_string(), kind_en(col.kind).to_string());
    if let RawValue::Error(e) = v {
        return Err((format!("{}，不是公式错误 {e}", kind_zh(col.kind)), format!("{}, not the formula error {e}", kind_en(col.kind))));
    }
    let blank = matches!(v, RawValue::Empty) || matches!(v, RawValue::Text(t) if t.trim().is_empty());
    if blank {
        return if col.required {
            Err((format!("必填：{}", kind_zh(col.kind)), format!("a value (required): {}", kind_en(col.kind))))
        } else {
            Ok(Value::Empty)
        };
    }
    match col.kind {
        ValueKind::Number => {
            let commas = || {
                (
                    "数字（逗号只能作千位分隔符，如 1,234.5）".to_string(),
                    "a number (commas only as thousands separators, as in 1,234.5)".to_string(),
                )
            };
            let d = match v {
                RawValue::Number(n) => decimal::parse(n),
                RawValue::Text(t) => decimal::parse(&without_thousands(t).ok_or_else(commas)?),
                _ => None,
            }
            .ok_or_else(expect)?;
            let d = match unit {
                Some((from, to)) => units::convert(d, from, to).ok_or_else(expect)?,
                None => d,
            };
            if d.abs() >= Decimal::from(NUMBER_BOUND) {
                let bound = limits::count(NUMBER_BOUND as u64);
                let unit = unit.map(|(_, to)| format!(" {to}")).unwrap_or_default();
                return Err((format!("绝对值小于 {bound}{unit} 的数字"), format!("a number smaller than {bound}{unit} in size")));
            }
            if let Some(min) = col.minimum.as_deref().and_then(decimal::parse)
                && d < min
            {
                return Err((format!("不小于 {min} 的数字"), format!("a number not less than {min}")));
            }
            Ok(Value::Number(decimal::format(d)))
        }
        ValueKind::Text => {
            let s = match v {
                RawValue::Text(t) if t.chars().count() as u64 > limits::InputLimits::current().text_chars => {
                    let n = limits::InputLimits::current().text_chars;
                    return Err((
                        format!("至多 {} 个字符的文本（可用 --input-limit text-chars=N 提高上限）", limits::count(n)),
                        format!("text of at most {} characters ({})", limits::count(n), limits::raise("text-chars")),
                    ));
                }
                RawValue::Text(t) => t.trim().to_string(),
                RawValue::Number(n) => n.clone(),
                RawValue::Date(d) => d.clone(),
                RawValue::Bool(b) => b.to_string(),
                _ => return Err(expect()),
            };
            if !col.choices.is_empty() && !col.choices.iter().any(|c| c == &s) {
                let list = col.choices.join(", ");
                return Err((format!("以下之一：{list}"), format!("one of: {list}")));
            }
            Ok(Value::Text(s))
        }
        ValueKind::Date => {
            let d = match v {
                RawValue::Date(d) if crate::rules::is_iso_date(d) => d.clone(),
                RawValue::Text(t) if crate::rules::is_iso_date(t.trim()) => t.trim().to_string(),
                _ => return Err(expect()),
            };
            // ISO dates compare as text.
            if d.as_str() < FIRST_DATE || d.as_str() > LAST_DATE {
                return Err((format!("{FIRST_DATE} 至 {LAST_DATE} 之间的日期"), format!("a date from {FIRST_DATE} to {LAST_DATE}")));
            }
            Ok(Value::Date(d))
        }
        ValueKind::Boolean => match v {
            RawValue::Bool(b) => Ok(Value::Boolean(*b)),
            RawValue::Text(t) => match t.trim().to_lowercase().as_str() {
                "true" | "yes" | "y" | "是" | "1" => Ok(Value::Boolean(true)),
                "false" | "no" | "n" | "否" | "0" => Ok(Value::Boolean(false)),
                _ => Err(expect()),
            },
            RawValue::Number(n) if n == "1" || n == "0" => Ok(Value::Boolean(n == "1")),
            _ => Err(expect()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::TextZhEn;

    fn t(s: &str) -> TextZhEn {
        TextZhEn { zh: s.into(), en: s.into() }
    }

    fn spec() -> SheetSpec {
        let col = |key: &str, kind, unit: Option<&str>, required, choices: &[&str]| ColumnSpec {
            key: key.into(),
            name: t(key),
            kind,
            unit: unit.map(Into::into),
            required,
            choices: choices.iter().map(|s| s.to_string()).collect(),
            minimum: matches!(kind, ValueKind::Number).then(|| "0".to_string()),
            help: t(""),
            examples: Vec::new(),
        };
        SheetSpec {
            key: "h".into(),
            name: t("Holdings"),
            schema: None,
            required: true,
            columns: vec![
                col("serial", ValueKind::Text, None, true, &[]),
                col("type", ValueKind::Text, None, true, &["CCER", "CEA"]),
                col("qty", ValueKind::Number, Some("t"), true, &[]),
                col("date", ValueKind::Date, None, false, &[]),
            ],
            unique_key: vec!["serial".into()],
            help: t(""),
        }
    }

    fn row(n: usize, cells: &[(&str, RawValue)]) -> RawRow {
        RawRow {
            source: format!("Holdings!{n}"),
            cells: cells
                .iter()
                .enumerate()
                .map(|(i, (k, v))| (k.to_string(), RawCell { value: v.clone(), at: format!("Holdings!{}{n}", (b'A' + i as u8) as char) }))
                .collect(),
        }
    }

    #[test]
    fn good_rows_are_converted() {
        let raw = RawTable {
            key: "h".into(),
            display: "Holdings".into(),
            units: [("qty".to_string(), "万吨".to_string())].into(),
            at: "Holdings!1".into(),
            rows: vec![row(
                2,
                &[("serial", RawValue::Text("A".into())), ("type", RawValue::Text("CCER".into())), ("qty", RawValue::Number("1.5".into()))],
            )],
            prefixes: Default::default(),
        };
        let tables = check(&[spec()], &[raw]).unwrap();
        assert_eq!(tables[0].rows[0].cells[2].value, Value::Number("15000".into()));
        assert_eq!(tables[0].rows[0].cells[3].value, Value::Empty);
    }

    #[test]
    fn every_problem_is_reported_with_its_cell() {
        let raw = RawTable {
            key: "h".into(),
            display: "Holdings".into(),
            units: HashMap::new(),
            at: "Holdings!1".into(),
            rows: vec![
                row(
                    2,
                    &[
                        ("serial", RawValue::Text("A".into())),
                        ("type", RawValue::Text("VER".into())),
                        ("qty", RawValue::Number("-1".into())),
                    ],
                ),
                row(
                    3,
                    &[
                        ("serial", RawValue::Text("A".into())),
                        ("type", RawValue::Text("CEA".into())),
                        ("qty", RawValue::Error("#DIV/0!".into())),
                        ("date", RawValue::Text("31/12/2024".into())),
                    ],
                ),
            ],
            prefixes: Default::default(),
        };
        let problems = check(&[spec()], &[raw]).unwrap_err();
        let cells: Vec<&str> = problems.iter().map(|p| p.cell.as_str()).collect();
        assert_eq!(cells, ["Holdings!B2", "Holdings!C2", "Holdings!C3", "Holdings!D3", "Holdings!A3"], "{problems:#?}");
        assert!(problems[0].expected_en.contains("one of: CCER, CEA"));
        assert!(problems[1].expected_en.contains("not less than 0"));
        assert!(problems[2].expected_en.contains("#DIV/0!"));
        assert!(problems[4].expected_en.contains("repeats Holdings!A2"));
    }

    #[test]
    fn rows_packed_as_they_are_checked_give_back_the_rows() {
        let raw = || RawTable {
            key: "h".into(),
            display: "Holdings".into(),
            units: HashMap::new(),
            at: "Holdings!1".into(),
            rows: (2..40)
                .filter(|n| n % 7 != 0)
                .map(|n| {
                    let mut r = row(
                        n,
                        &[
                            ("serial", RawValue::Text(format!("S{n}"))),
                            ("type", RawValue::Text("CEA".into())),
                            ("qty", RawValue::Number(n.to_string())),
                        ],
                    );
                    if n % 5 == 0 {
                        r.cells.get_mut("qty").unwrap().at = format!("Holdings!{n}, qty");
                    }
                    r
                })
                .collect(),
            prefixes: CellPrefixes::new(vec![("date".into(), "Holdings!D".into())]),
        };
        let rows = check(&[spec()], &[raw()]).unwrap();
        let packed = check_packed(&[spec()], vec![raw()]).unwrap();
        assert_eq!(packed.len(), 1);
        assert!(!packed[0].origin.row_numbers.is_empty(), "rows 7, 14, … skipped");
        assert_eq!(packed[0].origin.exception_rows.len(), 6, "the six cells off their column's pattern");
        assert_eq!(crate::contract::since_v1_1::rows_of(&packed[0]).unwrap(), rows[0], "the same values and references as 1.0's rows");
        assert_eq!(cells(&[spec()], &[raw()]), rows[0].rows.len() as u64 * 4);
        let mut bad = raw();
        bad.rows[3].cells.get_mut("qty").unwrap().value = RawValue::Text("many".into());
        assert_eq!(check_packed(&[spec()], vec![bad.clone()]).unwrap_err(), check(&[spec()], &[bad]).unwrap_err(), "the same problems");
    }

    #[test]
    fn commas_only_as_thousands_separators() {
        assert_eq!(without_thousands("1,234.5").as_deref(), Some("1234.5"));
        assert_eq!(without_thousands("-12,345,678").as_deref(), Some("-12345678"));
        assert_eq!(without_thousands("18422.5").as_deref(), Some("18422.5"));
        for bad in ["18.422,5", "12,34", "1,2,3", ",5", "1,234,56", "1234,567", "1,234.5,6"] {
            assert_eq!(without_thousands(bad), None, "{bad}");
        }
    }

    #[test]
    fn values_passed_to_plugins_stay_in_their_declared_ranges() {
        let raw = |cells: &[(&str, RawValue)]| RawTable {
            key: "h".into(),
            display: "Holdings".into(),
            units: HashMap::new(),
            at: "Holdings!1".into(),
            rows: vec![row(2, &[&[("serial", RawValue::Text("A".into())), ("type", RawValue::Text("CEA".into()))], cells].concat())],
            prefixes: Default::default(),
        };
        let ok = check(
            &[spec()],
            &[raw(&[("qty", RawValue::Text("999,999,999,999,999".into())), ("date", RawValue::Date("2999-12-31".into()))])],
        );
        assert!(ok.is_ok(), "{ok:?}");
        let p = check(
            &[spec()],
            &[raw(&[("qty", RawValue::Number("1000000000000000".into())), ("date", RawValue::Date("9999-12-31".into()))])],
        )
        .unwrap_err();
        assert!(p[0].expected_en.contains("smaller than 1,000,000,000,000,000"), "{p:?}");
        assert!(p[1].expected_en.contains("from 1900-01-01 to 2999-12-31"), "{p:?}");
        let p = check(&[spec()], &[raw(&[("qty", RawValue::Number("1".into())), ("date", RawValue::Number("0".into()))])]).unwrap_err();
        assert_eq!(p[0].found, "0 (as an Excel date serial)");
    }

    #[test]
    fn a_missing_required_sheet_is_a_problem() {
        let problems = check(&[spec()], &[]).unwrap_err();
        assert_eq!(problems.len(), 1);
        assert!(problems[0].expected_en.contains("required sheet"));
    }
}
