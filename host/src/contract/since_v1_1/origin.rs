//! A table packed as columns with its [`wit::Origin`]: the pattern its cell
//! references follow ("Sources!C12", "request.toml:sources[3].fuel"), and the
//! references that do not follow it as exceptions, so that no per-cell
//! reference crosses the boundary and computing one from the origin gives
//! back exactly the reference the host read.
//!
//! [`TablePacker`] takes the rows one at a time, so the input check can pack
//! each row as soon as it is checked and free it: a large inventory is never
//! held as contract 1.0's rows, one reference string per cell. [`pack_table`]
//! packs a table of rows held already, through the same packer.

use super::super::since_v1_0::{Row, Table, ValueKind};
use super::{column, texts, wit};
use lvyue_columns::{ColumnOut, TextsOut, WireValue};

/// The rest of `s` after the decimal digits of `n` (no leading zeros).
fn strip_number(s: &str, n: u32) -> Option<&str> {
    let end = s.bytes().position(|b| !b.is_ascii_digit()).unwrap_or(s.len());
    let digits = &s[..end];
    if digits.is_empty() || (digits.len() > 1 && digits.starts_with('0')) || digits.parse::<u32>().ok()? != n {
        return None;
    }
    Some(&s[end..])
}

/// The row number in a row reference of this sheet and style.
fn parse_row(source: &str, sheet: &str, style: wit::RowStyle) -> Option<u32> {
    let rest = source.strip_prefix(sheet)?;
    let (digits, rest) = match style {
        wit::RowStyle::SheetRow => (rest.strip_prefix('!')?, ""),
        wit::RowStyle::Indexed => {
            let inner = rest.strip_prefix('[')?.strip_suffix(']')?;
            (inner, "")
        }
    };
    let n: u32 = digits.parse().ok()?;
    (rest.is_empty() && (digits == "0" || !digits.starts_with('0')) && digits.bytes().all(|b| b.is_ascii_digit())).then_some(n)
}

/// The sheet and style of a row reference: "Sheet!12" or "file:table[3]".
fn guess_style(source: &str) -> Option<(&str, wit::RowStyle)> {
    if let Some((sheet, n)) = source.rsplit_once('!')
        && !n.is_empty()
        && n.bytes().all(|b| b.is_ascii_digit())
    {
        return Some((sheet, wit::RowStyle::SheetRow));
    }
    let inner = source.strip_suffix(']')?;
    let (sheet, n) = inner.rsplit_once('[')?;
    (!n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())).then_some((sheet, wit::RowStyle::Indexed))
}

/// The rest of a cell reference after the row part "<sheet>!" + letters +
/// digits (letters returned), or "<sheet>[n]".
fn after_row<'s>(cell: &'s str, sheet: &str, style: wit::RowStyle, n: u32) -> Option<(&'s str, &'s str)> {
    let rest = cell.strip_prefix(sheet)?;
    match style {
        wit::RowStyle::SheetRow => {
            let rest = rest.strip_prefix('!')?;
            let letters_end = rest.bytes().position(|b| !b.is_ascii_uppercase()).unwrap_or(rest.len());
            let (letters, rest) = rest.split_at(letters_end);
            Some((letters, strip_number(rest, n)?))
        }
        wit::RowStyle::Indexed => {
            let rest = rest.strip_prefix('[')?;
            let rest = strip_number(rest, n)?;
            Some(("", rest.strip_prefix(']')?))
        }
    }
}

/// The column origin a cell reference follows, if any.
fn guess_column(cell: &str, sheet: &str, style: wit::RowStyle, n: u32) -> Option<wit::ColumnOrigin> {
    let (letters, rest) = after_row(cell, sheet, style, n)?;
    if !letters.is_empty() {
        return rest.is_empty().then(|| wit::ColumnOrigin::Letter(letters.to_string()));
    }
    if let Some(label) = rest.strip_prefix(", ") {
        return Some(wit::ColumnOrigin::Absent(label.to_string()));
    }
    rest.strip_prefix('.').map(|name| wit::ColumnOrigin::Field(name.to_string()))
}

fn follows(cell: &str, sheet: &str, style: wit::RowStyle, n: u32, origin: &wit::ColumnOrigin) -> bool {
    let Some((letters, rest)) = after_row(cell, sheet, style, n) else { return false };
    match origin {
        wit::ColumnOrigin::Letter(l) => letters == l && rest.is_empty(),
        wit::ColumnOrigin::Absent(label) => letters.is_empty() && rest.strip_prefix(", ") == Some(label.as_str()),
        wit::ColumnOrigin::Field(name) => letters.is_empty() && rest.strip_prefix('.') == Some(name.as_str()),
    }
}

/// A reference kept until the pattern it is compared with is known: (row index, row number, reference).
type Unsettled = (u32, u32, String);

/// Packs a table's rows as they come, each row compared with the patterns
/// once and then free to be dropped by the caller. [`pack_table`] is this
/// packer over a table's rows held already.
///
/// The sheet and style are those of the first row reference that has one;
/// each column's pattern is that of its first cell reference that follows
/// one. Until they are known (for a workbook's sheet: after the first row),
/// the references they are compared with are kept; after, a row's references
/// are compared as it comes and only those off the pattern are kept.
pub struct TablePacker {
    key: String,
    columns: Vec<String>,
    style: Option<(String, wit::RowStyle)>,
    /// Rows before the first with a row reference of a known style: their
    /// references (row's, then each cell's).
    waiting: Vec<Vec<String>>,
    origins: Vec<Option<wit::ColumnOrigin>>,
    /// Per column, the references before its pattern is known.
    unsettled: Vec<Vec<Unsettled>>,
    numbers: Vec<u32>,
    next: u32,
    exceptions: Vec<(u32, u32, String)>,
    values: Vec<ColumnOut<ValueKind>>,
    rows: usize,
}

impl TablePacker {
    pub fn new(key: String, columns: Vec<String>) -> TablePacker {
        let width = columns.len();
        TablePacker {
            key,
            style: None,
            waiting: Vec::new(),
            origins: vec![None; width],
            unsettled: vec![Vec::new(); width],
            numbers: Vec::new(),
            next: 1,
            exceptions: Vec::new(),
            values: (0..width).map(|_| ColumnOut::streaming()).collect(),
            rows: 0,
            columns,
        }
    }

    /// Adds a row: one cell per column, in the table's column order.
    pub fn push(&mut self, row: &Row) -> Result<(), String> {
        let width = self.columns.len();
        if row.cells.len() != width {
            return Err(format!("table {}: row {} has {} cells for {width} columns", self.key, row.source, row.cells.len()));
        }
        let i = u32::try_from(self.rows).map_err(|_| format!("table {} has more than 2^32 rows", self.key))?;
        self.rows += 1;
        for (column, cell) in self.values.iter_mut().zip(&row.cells) {
            column.push(cell.value.wire());
        }
        if self.style.is_none() {
            match guess_style(&row.source) {
                Some((sheet, style)) => {
                    self.style = Some((sheet.to_string(), style));
                    self.place_waiting();
                }
                None => {
                    let refs = std::iter::once(&row.source).chain(row.cells.iter().map(|c| &c.source)).cloned().collect();
                    self.waiting.push(refs);
                    return Ok(());
                }
            }
        }
        self.place(i, &row.source, row.cells.iter().map(|c| c.source.as_str()));
        Ok(())
    }

    /// The rows kept until the style was known, in order.
    fn place_waiting(&mut self) {
        let waiting = std::mem::take(&mut self.waiting);
        let first = self.numbers.len() as u32;
        for (k, refs) in waiting.iter().enumerate() {
            self.place(first + k as u32, &refs[0], refs[1..].iter().map(String::as_str));
        }
    }

    /// Row `i`'s number and its references compared with the pattern.
    fn place<'r>(&mut self, i: u32, source: &str, cells: impl Iterator<Item = &'r str>) {
        let (sheet, style) = self.style.as_ref().map(|(s, st)| (s.as_str(), *st)).expect("the style is known");
        let width = self.columns.len() as u32;
        let n = match parse_row(source, sheet, style) {
            Some(n) => n,
            None => {
                self.exceptions.push((i, width, source.to_string()));
                self.next
            }
        };
        self.numbers.push(n);
        self.next = n.saturating_add(1);
        for (j, cell) in cells.enumerate() {
            match &self.origins[j] {
                Some(origin) => {
                    if !follows(cell, sheet, style, n, origin) {
                        self.exceptions.push((i, j as u32, cell.to_string()));
                    }
                }
                None => match guess_column(cell, sheet, style, n) {
                    Some(origin) => {
                        for (ui, un, u) in std::mem::take(&mut self.unsettled[j]) {
                            if !follows(&u, sheet, style, un, &origin) {
                                self.exceptions.push((ui, j as u32, u));
                            }
                        }
                        self.origins[j] = Some(origin);
                    }
                    None => self.unsettled[j].push((i, n, cell.to_string())),
                },
            }
        }
    }

    /// The packed table.
    pub fn finish(mut self) -> Result<wit::Table, String> {
        let rows = u32::try_from(self.rows).map_err(|_| format!("table {} has more than 2^32 rows", self.key))?;
        if self.style.is_none() {
            self.style = Some((String::new(), wit::RowStyle::SheetRow));
            self.place_waiting();
        }
        let (sheet, style) = self.style.take().expect("the style is known");
        // A column without a pattern: its cells' references are all exceptions.
        for (j, (origin, unsettled)) in self.origins.iter_mut().zip(&mut self.unsettled).enumerate() {
            if origin.is_none() {
                let label = wit::ColumnOrigin::Absent(self.columns[j].clone());
                for (ui, un, u) in std::mem::take(unsettled) {
                    if !follows(&u, &sheet, style, un, &label) {
                        self.exceptions.push((ui, j as u32, u));
                    }
                }
                *origin = Some(label);
            }
        }
        let first_row = self.numbers.first().copied().unwrap_or(1);
        let consecutive = self.numbers.iter().enumerate().all(|(i, &n)| n as u64 == first_row as u64 + i as u64);
        self.exceptions.sort_by_key(|(r, c, _)| (*r, *c));
        let mut refs = TextsOut::with_capacity(self.exceptions.len(), 0);
        let (mut ex_rows, mut ex_cols) = (Vec::with_capacity(self.exceptions.len()), Vec::with_capacity(self.exceptions.len()));
        for (r, c, s) in &self.exceptions {
            ex_rows.push(*r);
            ex_cols.push(*c);
            refs.push(s);
        }
        let origin = wit::Origin {
            sheet,
            style,
            first_row,
            row_numbers: if consecutive { Vec::new() } else { self.numbers },
            columns: self.origins.into_iter().map(|o| o.expect("every column has a pattern")).collect(),
            exception_rows: ex_rows,
            exception_columns: ex_cols,
            exceptions: texts(refs)?,
        };
        let values = self.values.into_iter().map(|c| column(c.finish())).collect::<Result<_, _>>()?;
        Ok(wit::Table { key: self.key, columns: self.columns, rows, values, origin })
    }
}

/// A table of rows held already, as columns with its origin ([`TablePacker`]).
pub fn pack_table(table: &Table) -> Result<wit::Table, String> {
    let mut packer = TablePacker::new(table.key.clone(), table.columns.clone());
    for row in &table.rows {
        packer.push(row)?;
    }
    packer.finish()
}
