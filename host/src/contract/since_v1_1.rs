//! Contract `lvyue:compliance@1.1.0`: the bindings generated from the frozen
//! WIT folder `plugins/wit/lvyue-compliance-1.1.0/`, and the conversions at
//! its edge.
//!
//! The `types` interface of 1.1.0 is 1.0.0's word for word, so its bindings
//! are the 1.0 ones (`with` below): `describe` and the row `evaluate` of a 1.1
//! plugin return the host's usual types. Only the new `columns` interface is
//! generated here. [`to_columns`] turns the host's request (rows) into the
//! columnar request, computing each table's [`wit::Origin`] so that no cell
//! reference crosses the boundary; [`from_columns`] checks the plugin's
//! columnar evaluation and turns it into the host's [`Evaluation`].

use super::packing::{self, Bits, DAY_TEXT, SCALE_TEXT};
use super::since_v1_0::{Cell, Decision, Evaluation, Finding, Request, ResultTable, Row, Table, TextZhEn, TraceStep, Value, ValueKind};

wasmtime::component::bindgen!({
    path: "../plugins/wit/lvyue-compliance-1.1.0",
    world: "compliance-plugin",
    additional_derives: [PartialEq],
    with: {
        "lvyue:compliance/types@1.1.0": super::since_v1_0::lvyue::compliance::types,
    },
});

/// The generated types of the `columns` interface.
pub use self::lvyue::compliance::columns as wit;

// ---- host → plugin -------------------------------------------------------------

/// Strings gathered into one `texts`.
#[derive(Default)]
struct TextsOut {
    data: String,
    ends: Vec<u32>,
}

impl TextsOut {
    fn with_capacity(n: usize) -> TextsOut {
        TextsOut { data: String::new(), ends: Vec::with_capacity(n) }
    }

    fn push(&mut self, s: &str) {
        self.data.push_str(s);
        self.ends.push(self.data.len() as u32);
    }

    fn finish(self) -> Result<wit::Texts, String> {
        if self.data.len() > u32::MAX as usize {
            return Err(format!("a text column of {} bytes is over the contract's 4 GiB", self.data.len()));
        }
        Ok(wit::Texts { data: self.data, ends: self.ends })
    }
}

#[derive(Default)]
struct NumbersOut {
    mantissas: Vec<i64>,
    scales: Vec<u8>,
    texts: TextsOut,
}

impl NumbersOut {
    fn with_capacity(n: usize) -> NumbersOut {
        NumbersOut { mantissas: Vec::with_capacity(n), scales: Vec::with_capacity(n), texts: TextsOut::default() }
    }

    fn push(&mut self, text: &str) {
        match packing::pack_decimal(text) {
            Some((m, s)) => {
                self.mantissas.push(m);
                self.scales.push(s);
            }
            None => {
                self.mantissas.push(0);
                self.scales.push(SCALE_TEXT);
                self.texts.push(text);
            }
        }
    }

    fn push_empty(&mut self) {
        self.mantissas.push(0);
        self.scales.push(0);
    }

    fn finish(self) -> Result<wit::Numbers, String> {
        Ok(wit::Numbers { mantissas: self.mantissas, scales: self.scales, texts: self.texts.finish()? })
    }
}

#[derive(Default)]
struct DatesOut {
    days: Vec<i32>,
    texts: TextsOut,
}

impl DatesOut {
    fn push(&mut self, text: &str) {
        match packing::pack_date(text) {
            Some(d) => self.days.push(d),
            None => {
                self.days.push(DAY_TEXT);
                self.texts.push(text);
            }
        }
    }

    fn finish(self) -> Result<wit::Dates, String> {
        Ok(wit::Dates { days: self.days, texts: self.texts.finish()? })
    }
}

/// The kinds of the columns of a table, seen row by row: one kind, several
/// (`mixed`), and the text bytes (to size the buffers once).
pub struct KindScan {
    kinds: Vec<Option<ValueKind>>,
    mixed: Vec<bool>,
    bytes: Vec<usize>,
}

impl KindScan {
    pub fn new(columns: usize) -> KindScan {
        KindScan { kinds: vec![None; columns], mixed: vec![false; columns], bytes: vec![0; columns] }
    }

    #[inline]
    pub fn see(&mut self, j: usize, v: &Value) {
        let k = match v {
            Value::Empty => return,
            Value::Number(_) => ValueKind::Number,
            Value::Text(t) => {
                self.bytes[j] += t.len();
                ValueKind::Text
            }
            Value::Date(_) => ValueKind::Date,
            Value::Boolean(_) => ValueKind::Boolean,
        };
        match self.kinds[j] {
            None => self.kinds[j] = Some(k),
            Some(a) if a != k => self.mixed[j] = true,
            _ => {}
        }
    }

    /// One builder per column, for `rows` rows.
    pub fn builders(&self, rows: usize) -> Vec<ColumnOut> {
        (0..self.kinds.len()).map(|j| ColumnOut::new(self.kinds[j], self.mixed[j], rows, self.bytes[j])).collect()
    }
}

enum Builder {
    Numbers(NumbersOut),
    Texts(TextsOut),
    Dates(DatesOut),
    Booleans(Bits),
    Mixed { kinds: Vec<ValueKind>, numbers: NumbersOut, texts: TextsOut, dates: DatesOut, booleans: Bits },
}

/// A column under construction, its kind decided beforehand ([`KindScan`]).
pub struct ColumnOut {
    present: Bits,
    values: Builder,
}

impl ColumnOut {
    fn new(kind: Option<ValueKind>, mixed: bool, rows: usize, text_bytes: usize) -> ColumnOut {
        let values = match (mixed, kind.unwrap_or(ValueKind::Text)) {
            (true, _) => Builder::Mixed {
                kinds: Vec::with_capacity(rows),
                numbers: NumbersOut::default(),
                texts: TextsOut { data: String::with_capacity(text_bytes), ends: Vec::new() },
                dates: DatesOut::default(),
                booleans: Bits::default(),
            },
            (false, ValueKind::Number) => Builder::Numbers(NumbersOut::with_capacity(rows)),
            (false, ValueKind::Text) => {
                Builder::Texts(TextsOut { data: String::with_capacity(text_bytes), ends: Vec::with_capacity(rows) })
            }
            (false, ValueKind::Date) => Builder::Dates(DatesOut { days: Vec::with_capacity(rows), texts: TextsOut::default() }),
            (false, ValueKind::Boolean) => Builder::Booleans(Bits::with_capacity(rows)),
        };
        ColumnOut { present: Bits::with_capacity(rows), values }
    }

    /// Adds the next row's value (of the kind scanned, or empty).
    #[inline]
    pub fn push(&mut self, v: &Value) {
        self.present.push(!matches!(v, Value::Empty));
        match (&mut self.values, v) {
            (Builder::Numbers(out), Value::Number(t)) => out.push(t),
            (Builder::Numbers(out), _) => out.push_empty(),
            (Builder::Texts(out), Value::Text(t)) => out.push(t),
            (Builder::Texts(out), _) => out.push(""),
            (Builder::Dates(out), Value::Date(t)) => out.push(t),
            (Builder::Dates(out), _) => out.days.push(0),
            (Builder::Booleans(out), v) => out.push(matches!(v, Value::Boolean(true))),
            (Builder::Mixed { kinds, numbers, texts, dates, booleans }, v) => {
                let k = match v {
                    Value::Empty => return,
                    Value::Number(t) => {
                        numbers.push(t);
                        ValueKind::Number
                    }
                    Value::Text(t) => {
                        texts.push(t);
                        ValueKind::Text
                    }
                    Value::Date(t) => {
                        dates.push(t);
                        ValueKind::Date
                    }
                    Value::Boolean(b) => {
                        booleans.push(*b);
                        ValueKind::Boolean
                    }
                };
                kinds.push(k);
            }
        }
    }

    pub fn finish(self) -> Result<wit::Column, String> {
        let values = match self.values {
            Builder::Numbers(n) => wit::ColumnValues::Numbers(n.finish()?),
            Builder::Texts(t) => wit::ColumnValues::Texts(t.finish()?),
            Builder::Dates(d) => wit::ColumnValues::Dates(d.finish()?),
            Builder::Booleans(b) => wit::ColumnValues::Booleans(b.into_bytes()),
            Builder::Mixed { kinds, numbers, texts, dates, booleans } => wit::ColumnValues::Mixed(wit::MixedValues {
                kinds,
                numbers: numbers.finish()?,
                texts: texts.finish()?,
                dates: dates.finish()?,
                booleans: booleans.into_bytes(),
            }),
        };
        Ok(wit::Column { present: self.present.into_bytes(), values })
    }
}

/// Packs values (one per row) as a column: one typed list when they are of
/// one kind, `mixed` otherwise.
pub fn pack_column<'v>(values: impl Iterator<Item = &'v Value> + Clone) -> Result<wit::Column, String> {
    let mut scan = KindScan::new(1);
    let mut rows = 0;
    for v in values.clone() {
        scan.see(0, v);
        rows += 1;
    }
    let mut out = scan.builders(rows).pop().expect("one column");
    values.for_each(|v| out.push(v));
    out.finish()
}

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

/// A table as columns with its origin: the pattern its references follow,
/// and the references that do not follow it as exceptions. Computing a
/// reference from the origin gives back exactly the reference the host read.
/// Two passes over the rows, each reading a row's cells once.
pub fn pack_table(table: &Table) -> Result<wit::Table, String> {
    let rows = u32::try_from(table.rows.len()).map_err(|_| format!("table {} has more than 2^32 rows", table.key))?;
    let width = table.columns.len();
    let (sheet, style) = table.rows.iter().find_map(|r| guess_style(&r.source)).unwrap_or(("", wit::RowStyle::SheetRow));
    let mut numbers = Vec::with_capacity(table.rows.len());
    let mut exceptions: Vec<(u32, u32, &str)> = Vec::new();
    let mut scan = KindScan::new(width);
    let mut next = 1u32;
    for (i, row) in table.rows.iter().enumerate() {
        if row.cells.len() != width {
            return Err(format!("table {}: row {} has {} cells for {width} columns", table.key, row.source, row.cells.len()));
        }
        let n = match parse_row(&row.source, sheet, style) {
            Some(n) => n,
            None => {
                exceptions.push((i as u32, width as u32, &row.source));
                next
            }
        };
        numbers.push(n);
        next = n.saturating_add(1);
        for (j, cell) in row.cells.iter().enumerate() {
            scan.see(j, &cell.value);
        }
    }
    let first_row = numbers.first().copied().unwrap_or(1);
    let consecutive = numbers.iter().enumerate().all(|(i, &n)| n as u64 == first_row as u64 + i as u64);
    // Each column's pattern, from the first cell that follows one.
    let columns: Vec<wit::ColumnOrigin> = (0..width)
        .map(|j| {
            table
                .rows
                .iter()
                .zip(&numbers)
                .find_map(|(r, &n)| guess_column(&r.cells[j].source, sheet, style, n))
                .unwrap_or_else(|| wit::ColumnOrigin::Absent(table.columns[j].clone()))
        })
        .collect();
    let mut out = scan.builders(table.rows.len());
    for (i, (row, &n)) in table.rows.iter().zip(&numbers).enumerate() {
        for (j, ((cell, origin), column)) in row.cells.iter().zip(&columns).zip(&mut out).enumerate() {
            column.push(&cell.value);
            if !follows(&cell.source, sheet, style, n, origin) {
                exceptions.push((i as u32, j as u32, &cell.source));
            }
        }
    }
    exceptions.sort_by_key(|(r, c, _)| (*r, *c));
    let mut refs = TextsOut::with_capacity(exceptions.len());
    let (mut ex_rows, mut ex_cols) = (Vec::with_capacity(exceptions.len()), Vec::with_capacity(exceptions.len()));
    for (r, c, s) in exceptions {
        ex_rows.push(r);
        ex_cols.push(c);
        refs.push(s);
    }
    let origin = wit::Origin {
        sheet: sheet.to_string(),
        style,
        first_row,
        row_numbers: if consecutive { Vec::new() } else { numbers },
        columns,
        exception_rows: ex_rows,
        exception_columns: ex_cols,
        exceptions: refs.finish()?,
    };
    let values = out.into_iter().map(ColumnOut::finish).collect::<Result<_, _>>()?;
    Ok(wit::Table { key: table.key.clone(), columns: table.columns.clone(), rows, values, origin })
}

/// Contract 1.1's `request`, lowered into the guest from the host's request
/// as it is: the parameters and options are not copied first, only the
/// tables are packed ([`pack_table`]).
#[derive(wasmtime::component::ComponentType, wasmtime::component::Lower)]
#[component(record)]
pub struct RequestRef<'a> {
    pub jurisdiction: &'a str,
    pub period: &'a super::since_v1_0::Period,
    pub parameters: &'a [super::since_v1_0::Parameter],
    pub tables: Vec<wit::Table>,
    pub options: &'a [(String, String)],
}

impl<'a> RequestRef<'a> {
    pub fn new(request: &'a Request) -> Result<RequestRef<'a>, String> {
        Ok(RequestRef {
            jurisdiction: &request.jurisdiction,
            period: &request.period,
            parameters: &request.parameters,
            tables: request.tables.iter().map(pack_table).collect::<Result<_, _>>()?,
            options: &request.options,
        })
    }
}

/// The host's request as contract 1.1's columnar request.
pub fn to_columns(request: &Request) -> Result<wit::Request, String> {
    Ok(wit::Request {
        jurisdiction: request.jurisdiction.clone(),
        period: request.period.clone(),
        parameters: request.parameters.clone(),
        tables: request.tables.iter().map(pack_table).collect::<Result<_, _>>()?,
        options: request.options.clone(),
    })
}

// ---- plugin → host -------------------------------------------------------------

/// A checked `texts`: `ends` never decreasing, within `data`, on character boundaries.
struct TextsIn<'a> {
    data: &'a str,
    ends: &'a [u32],
}

impl<'a> TextsIn<'a> {
    fn new(t: &'a wit::Texts, what: &str) -> Result<TextsIn<'a>, String> {
        let mut prev = 0usize;
        for &e in &t.ends {
            let e = e as usize;
            if e < prev || e > t.data.len() || !t.data.is_char_boundary(e) {
                return Err(format!("{what}: string ends are not increasing within the buffer on character boundaries"));
            }
            prev = e;
        }
        Ok(TextsIn { data: &t.data, ends: &t.ends })
    }

    fn len(&self) -> usize {
        self.ends.len()
    }

    fn get(&self, i: usize) -> &'a str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.data[start..self.ends[i] as usize]
    }

    fn expect_len(self, n: usize, what: &str) -> Result<TextsIn<'a>, String> {
        if self.len() != n {
            return Err(format!("{what}: {} strings for {n} entries", self.len()));
        }
        Ok(self)
    }
}

/// Reads packed numbers in order, taking escaped texts as they come.
struct NumbersIn<'a> {
    n: &'a wit::Numbers,
    texts: TextsIn<'a>,
    next_text: usize,
}

impl<'a> NumbersIn<'a> {
    fn new(n: &'a wit::Numbers, count: usize, what: &str) -> Result<NumbersIn<'a>, String> {
        if n.mantissas.len() != count || n.scales.len() != count {
            return Err(format!("{what}: {} mantissas and {} scales for {count} numbers", n.mantissas.len(), n.scales.len()));
        }
        let texts = TextsIn::new(&n.texts, what)?;
        let escaped = n.scales.iter().filter(|&&s| s == SCALE_TEXT).count();
        if escaped != texts.len() {
            return Err(format!("{what}: {escaped} numbers passed as text, {} texts", texts.len()));
        }
        if let Some(s) = n.scales.iter().find(|&&s| s != SCALE_TEXT && s as u32 > packing::MAX_SCALE) {
            return Err(format!("{what}: scale {s} is over {}", packing::MAX_SCALE));
        }
        Ok(NumbersIn { n, texts, next_text: 0 })
    }

    fn at(&mut self, i: usize) -> String {
        if self.n.scales[i] == SCALE_TEXT {
            self.next_text += 1;
            self.texts.get(self.next_text - 1).to_string()
        } else {
            packing::unpack_decimal(self.n.mantissas[i], self.n.scales[i])
        }
    }
}

struct DatesIn<'a> {
    d: &'a wit::Dates,
    texts: TextsIn<'a>,
    next_text: usize,
}

impl<'a> DatesIn<'a> {
    fn new(d: &'a wit::Dates, count: usize, what: &str) -> Result<DatesIn<'a>, String> {
        if d.days.len() != count {
            return Err(format!("{what}: {} days for {count} dates", d.days.len()));
        }
        let texts = TextsIn::new(&d.texts, what)?;
        let escaped = d.days.iter().filter(|&&x| x == DAY_TEXT).count();
        if escaped != texts.len() {
            return Err(format!("{what}: {escaped} dates passed as text, {} texts", texts.len()));
        }
        Ok(DatesIn { d, texts, next_text: 0 })
    }

    fn at(&mut self, i: usize) -> String {
        if self.d.days[i] == DAY_TEXT {
            self.next_text += 1;
            self.texts.get(self.next_text - 1).to_string()
        } else {
            packing::unpack_date(self.d.days[i])
        }
    }
}

fn check_bits(bits: &[u8], n: usize, what: &str) -> Result<(), String> {
    if bits.len() != n.div_ceil(8) {
        return Err(format!("{what}: {} bytes of bits for {n} rows", bits.len()));
    }
    Ok(())
}

/// Unpacks a column of `rows` values, checking every length.
pub fn unpack_column(c: &wit::Column, rows: usize, what: &str) -> Result<Vec<Value>, String> {
    check_bits(&c.present, rows, what)?;
    let present = |i: usize| packing::bit(&c.present, i);
    let mut out = Vec::with_capacity(rows);
    match &c.values {
        wit::ColumnValues::Numbers(n) => {
            let mut n = NumbersIn::new(n, rows, what)?;
            for i in 0..rows {
                // An escaped number is consumed even where the row is empty, to keep the order.
                let text = if n.n.scales[i] == SCALE_TEXT || present(i) { Some(n.at(i)) } else { None };
                out.push(if present(i) { Value::Number(text.expect("present")) } else { Value::Empty });
            }
        }
        wit::ColumnValues::Texts(t) => {
            let t = TextsIn::new(t, what)?.expect_len(rows, what)?;
            out.extend((0..rows).map(|i| if present(i) { Value::Text(t.get(i).to_string()) } else { Value::Empty }));
        }
        wit::ColumnValues::Dates(d) => {
            let mut d = DatesIn::new(d, rows, what)?;
            for i in 0..rows {
                let text = if d.d.days[i] == DAY_TEXT || present(i) { Some(d.at(i)) } else { None };
                out.push(if present(i) { Value::Date(text.expect("present")) } else { Value::Empty });
            }
        }
        wit::ColumnValues::Booleans(b) => {
            check_bits(b, rows, what)?;
            out.extend((0..rows).map(|i| if present(i) { Value::Boolean(packing::bit(b, i)) } else { Value::Empty }));
        }
        wit::ColumnValues::Mixed(m) => {
            let count = |k: ValueKind| m.kinds.iter().filter(|&&x| x == k).count();
            let present_rows = (0..rows).filter(|&i| present(i)).count();
            if m.kinds.len() != present_rows {
                return Err(format!("{what}: {} kinds for {present_rows} values", m.kinds.len()));
            }
            let mut numbers = NumbersIn::new(&m.numbers, count(ValueKind::Number), what)?;
            let texts = TextsIn::new(&m.texts, what)?.expect_len(count(ValueKind::Text), what)?;
            let mut dates = DatesIn::new(&m.dates, count(ValueKind::Date), what)?;
            check_bits(&m.booleans, count(ValueKind::Boolean), what)?;
            let (mut ni, mut ti, mut di, mut bi, mut k) = (0, 0, 0, 0, 0);
            for i in 0..rows {
                if !present(i) {
                    out.push(Value::Empty);
                    continue;
                }
                let v = match m.kinds[k] {
                    ValueKind::Number => {
                        ni += 1;
                        Value::Number(numbers.at(ni - 1))
                    }
                    ValueKind::Text => {
                        ti += 1;
                        Value::Text(texts.get(ti - 1).to_string())
                    }
                    ValueKind::Date => {
                        di += 1;
                        Value::Date(dates.at(di - 1))
                    }
                    ValueKind::Boolean => {
                        bi += 1;
                        Value::Boolean(packing::bit(&m.booleans, bi - 1))
                    }
                };
                k += 1;
                out.push(v);
            }
        }
    }
    Ok(out)
}

/// The strings of a list of lists: item i is entries `ends[i-1]..ends[i]` of `texts`.
fn unpack_lists(texts: &wit::Texts, ends: &[u32], items: usize, what: &str) -> Result<Vec<Vec<String>>, String> {
    let t = TextsIn::new(texts, what)?;
    if ends.len() != items {
        return Err(format!("{what}: {} list ends for {items} entries", ends.len()));
    }
    let mut prev = 0usize;
    let mut out = Vec::with_capacity(items);
    for &e in ends {
        let e = e as usize;
        if e < prev || e > t.len() {
            return Err(format!("{what}: list ends are not increasing within the {} strings", t.len()));
        }
        out.push((prev..e).map(|i| t.get(i).to_string()).collect());
        prev = e;
    }
    if prev != t.len() {
        return Err(format!("{what}: {} strings, the lists hold {prev}", t.len()));
    }
    Ok(out)
}

fn strings(t: &wit::Texts, n: usize, what: &str) -> Result<Vec<String>, String> {
    let t = TextsIn::new(t, what)?.expect_len(n, what)?;
    Ok((0..n).map(|i| t.get(i).to_string()).collect())
}

/// A column that must hold only numbers (or nothing) as decimal text.
fn optional_numbers(c: &wit::Column, n: usize, what: &str) -> Result<Vec<Option<String>>, String> {
    unpack_column(c, n, what)?
        .into_iter()
        .map(|v| match v {
            Value::Empty => Ok(None),
            Value::Number(t) => Ok(Some(t)),
            other => Err(format!("{what}: {other:?} where a number was expected")),
        })
        .collect()
}

fn optional_texts(c: &wit::Column, n: usize, what: &str) -> Result<Vec<Option<String>>, String> {
    unpack_column(c, n, what)?
        .into_iter()
        .map(|v| match v {
            Value::Empty => Ok(None),
            Value::Text(t) => Ok(Some(t)),
            other => Err(format!("{what}: {other:?} where a text was expected")),
        })
        .collect()
}

/// Checks a plugin's columnar evaluation and turns it into the host's.
/// Every length is checked against the others; an inconsistent evaluation
/// is a broken contract, reported with what was wrong.
pub fn from_columns(e: wit::Evaluation) -> Result<Evaluation, String> {
    let d = &e.decisions;
    let nd = d.tables.ends.len();
    let tables = strings(&d.tables, nd, "decisions.tables")?;
    let rows = strings(&d.rows, nd, "decisions.rows")?;
    let subjects = strings(&d.subjects, nd, "decisions.subjects")?;
    let outcomes = strings(&d.outcomes, nd, "decisions.outcomes")?;
    let amounts = optional_numbers(&d.amounts, nd, "decisions.amounts")?;
    let units = optional_texts(&d.units, nd, "decisions.units")?;
    let reasons = unpack_lists(&d.reasons, &d.reason_ends, nd, "decisions.reasons")?;
    let decisions = tables
        .into_iter()
        .zip(rows)
        .zip(subjects)
        .zip(outcomes)
        .zip(amounts)
        .zip(units)
        .zip(reasons)
        .map(|((((((table, row), subject), outcome), amount), unit), reasons)| Decision {
            table,
            row,
            subject,
            outcome,
            amount,
            unit,
            reasons,
        })
        .collect();

    let f = &e.findings;
    let nf = f.severities.len();
    let codes = strings(&f.codes, nf, "findings.codes")?;
    let zh = strings(&f.messages_zh, nf, "findings.messages-zh")?;
    let en = strings(&f.messages_en, nf, "findings.messages-en")?;
    let cells = unpack_lists(&f.cells, &f.cell_ends, nf, "findings.cells")?;
    let findings = f
        .severities
        .iter()
        .zip(codes)
        .zip(zh.into_iter().zip(en))
        .zip(cells)
        .map(|(((severity, code), (zh, en)), cells)| Finding { severity: *severity, code, message: TextZhEn { zh, en }, cells })
        .collect();

    let t = &e.trace;
    let nt = t.clauses.ends.len();
    let clauses = strings(&t.clauses, nt, "trace.clauses")?;
    let zh = strings(&t.descriptions_zh, nt, "trace.descriptions-zh")?;
    let en = strings(&t.descriptions_en, nt, "trace.descriptions-en")?;
    let parameters = unpack_lists(&t.parameters, &t.parameter_ends, nt, "trace.parameters")?;
    let inputs = unpack_lists(&t.inputs, &t.input_ends, nt, "trace.inputs")?;
    let values = unpack_column(&t.values, nt, "trace.values")?;
    let units = optional_texts(&t.units, nt, "trace.units")?;
    let trace = clauses
        .into_iter()
        .zip(zh.into_iter().zip(en))
        .zip(parameters.into_iter().zip(inputs))
        .zip(values.into_iter().zip(units))
        .map(|(((clause, (zh, en)), (parameters, inputs)), (value, unit))| TraceStep {
            clause,
            description: TextZhEn { zh, en },
            parameters,
            inputs,
            value,
            unit,
        })
        .collect();

    let mut tables = Vec::with_capacity(e.tables.len());
    for t in e.tables {
        let rows = t.rows as usize;
        if t.values.len() != t.columns.len() {
            return Err(format!("result table {}: {} value columns for {} columns", t.key, t.values.len(), t.columns.len()));
        }
        let mut columns = Vec::with_capacity(t.values.len());
        for (c, spec) in t.values.iter().zip(&t.columns) {
            columns.push(unpack_column(c, rows, &format!("result table {} column {}", t.key, spec.key))?.into_iter());
        }
        let mut out_rows = Vec::with_capacity(rows);
        for _ in 0..rows {
            out_rows.push(columns.iter_mut().map(|c| c.next().expect("checked length")).collect());
        }
        tables.push(ResultTable { key: t.key, name: t.name, columns: t.columns, rows: out_rows, charts: t.charts });
    }
    Ok(Evaluation { metrics: e.metrics, decisions, findings, trace, tables })
}

/// The request a plugin sees through 1.1, back as rows: the inverse of
/// [`to_columns`], as the SDK computes it (tests prove the round trip).
pub fn rows_of(t: &wit::Table) -> Result<Table, String> {
    let n = t.rows as usize;
    if t.values.len() != t.columns.len() || t.origin.columns.len() != t.columns.len() {
        return Err(format!(
            "table {}: {} value columns and {} origins for {} columns",
            t.key,
            t.values.len(),
            t.origin.columns.len(),
            t.columns.len()
        ));
    }
    let values: Vec<Vec<Value>> = t.values.iter().map(|c| unpack_column(c, n, &t.key)).collect::<Result<_, _>>()?;
    let o = &t.origin;
    let exceptions = TextsIn::new(&o.exceptions, "origin.exceptions")?.expect_len(o.exception_rows.len(), "origin.exceptions")?;
    let exception = |r: usize, c: usize| {
        (0..o.exception_rows.len())
            .find(|&k| o.exception_rows[k] as usize == r && o.exception_columns[k] as usize == c)
            .map(|k| exceptions.get(k).to_string())
    };
    let number = |i: usize| o.row_numbers.get(i).copied().unwrap_or(o.first_row + i as u32);
    let mut rows = Vec::with_capacity(n);
    for i in 0..n {
        let row_ref = match o.style {
            wit::RowStyle::SheetRow => format!("{}!{}", o.sheet, number(i)),
            wit::RowStyle::Indexed => format!("{}[{}]", o.sheet, number(i)),
        };
        let cells = values
            .iter()
            .enumerate()
            .map(|(j, column)| Cell {
                value: column[i].clone(),
                source: exception(i, j).unwrap_or_else(|| match &o.columns[j] {
                    wit::ColumnOrigin::Letter(l) => format!("{}!{l}{}", o.sheet, number(i)),
                    wit::ColumnOrigin::Field(f) => format!("{row_ref}.{f}"),
                    wit::ColumnOrigin::Absent(a) => format!("{row_ref}, {a}"),
                }),
            })
            .collect();
        rows.push(Row { source: exception(i, t.columns.len()).unwrap_or(row_ref), cells });
    }
    Ok(Table { key: t.key.clone(), columns: t.columns.clone(), rows })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(rows: &[(&str, &[(&str, Value)])]) -> Table {
        Table {
            key: "t".into(),
            columns: vec!["a".into(), "b".into(), "c".into()],
            rows: rows
                .iter()
                .map(|(s, cells)| Row {
                    source: s.to_string(),
                    cells: cells.iter().map(|(at, v)| Cell { value: v.clone(), source: at.to_string() }).collect(),
                })
                .collect(),
        }
    }

    fn num(s: &str) -> Value {
        Value::Number(s.into())
    }

    #[test]
    fn workbook_references_follow_the_pattern() {
        let t = table(&[
            ("Sources!2", &[("Sources!B2", num("1.5")), ("Sources!2, Fuel", Value::Empty), ("Sources!D2", Value::Text("x".into()))]),
            ("Sources!3", &[("Sources!B3", num("-0")), ("Sources!3, Fuel", Value::Empty), ("Sources!D3", Value::Empty)]),
            ("Sources!5", &[("Sources!B5", Value::Empty), ("Sources!5, Fuel", Value::Empty), ("Sources!D5", Value::Text("数".into()))]),
        ]);
        let o = pack_table(&t).unwrap().origin;
        assert_eq!(o.sheet, "Sources");
        assert_eq!(o.first_row, 2);
        assert_eq!(o.row_numbers, [2, 3, 5], "a blank row skipped");
        assert_eq!(
            o.columns,
            [wit::ColumnOrigin::Letter("B".into()), wit::ColumnOrigin::Absent("Fuel".into()), wit::ColumnOrigin::Letter("D".into())]
        );
        assert!(o.exception_rows.is_empty());
        let req = Request {
            jurisdiction: "x".into(),
            period: super::super::since_v1_0::Period { year: 2024, start: "a".into(), end: "b".into() },
            parameters: vec![],
            tables: vec![t.clone()],
            options: vec![],
        };
        let cols = to_columns(&req).unwrap();
        assert_eq!(rows_of(&cols.tables[0]).unwrap(), t);
    }

    #[test]
    fn references_off_the_pattern_are_exceptions() {
        let t = table(&[
            (
                "req.toml:t[1]",
                &[("req.toml:t[1].a", num("1")), ("req.toml:t[1], B", Value::Empty), ("elsewhere!Z9", Value::Date("2024-02-29".into()))],
            ),
            (
                "req.toml:t[2]",
                &[
                    ("req.toml:t[2].a", num("12345678901234567890.5")),
                    ("req.toml:t[2].b", Value::Text("y".into())),
                    ("req.toml:t[2].c", Value::Date("2024-02-30".into())),
                ],
            ),
            ("Months!C7", &[("Months!C7", Value::Boolean(true)), ("Months!A7", Value::Empty), ("Months!B1", Value::Empty)]),
        ]);
        let o = pack_table(&t).unwrap().origin;
        assert_eq!(o.style, wit::RowStyle::Indexed);
        assert_eq!(o.columns[0], wit::ColumnOrigin::Field("a".into()));
        assert!(!o.exception_rows.is_empty());
        let req = Request {
            jurisdiction: "x".into(),
            period: super::super::since_v1_0::Period { year: 2024, start: "a".into(), end: "b".into() },
            parameters: vec![],
            tables: vec![t.clone()],
            options: vec![],
        };
        let cols = to_columns(&req).unwrap();
        assert!(matches!(cols.tables[0].values[0].values, wit::ColumnValues::Mixed(_)), "numbers and a boolean");
        assert_eq!(rows_of(&cols.tables[0]).unwrap(), t);
    }

    #[test]
    fn inconsistent_columns_are_refused() {
        let c = pack_column([num("1"), Value::Empty, num("2")].iter()).unwrap();
        assert_eq!(unpack_column(&c, 3, "x").unwrap(), [num("1"), Value::Empty, num("2")]);
        assert!(unpack_column(&c, 4, "x").is_err(), "wrong row count");
        let bad =
            wit::Column { present: vec![0b111], values: wit::ColumnValues::Texts(wit::Texts { data: "数".into(), ends: vec![1, 3, 3] }) };
        assert!(unpack_column(&bad, 3, "x").unwrap_err().contains("character boundaries"));
        let bad = wit::Column {
            present: vec![0b1],
            values: wit::ColumnValues::Numbers(wit::Numbers {
                mantissas: vec![1],
                scales: vec![40],
                texts: wit::Texts { data: String::new(), ends: vec![] },
            }),
        };
        assert!(unpack_column(&bad, 1, "x").unwrap_err().contains("scale 40"));
    }
}
