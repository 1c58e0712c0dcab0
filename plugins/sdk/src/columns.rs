//! Contract 1.1's columns, on the plugin's side.
//!
//! The host passes each input table as columns (one typed list per column,
//! empty cells as bits) with an origin from which every cell reference is
//! computed; the SDK reads them in place through the row view
//! ([`crate::RowView`]), so plugin code is the same as with 1.0's rows. The
//! plugin's [`crate::Evaluation`] is packed the same way on its way out.
//!
//! The packed forms (decimals as a 64-bit mantissa and a scale, dates as day
//! numbers, bits least significant first) are the host's
//! (`host/src/contract/packing.rs`); both are tested against the same examples.

use std::cell::OnceCell;
use std::fmt;

use crate::{Decimal, Row, Value};

/// The scale that marks a decimal passed as text.
pub const SCALE_TEXT: u8 = 255;
/// The day that marks a date passed as text.
pub const DAY_TEXT: i32 = i32::MIN;
/// The largest scale packed.
pub const MAX_SCALE: u32 = 28;

/// Packs canonical decimal text ("-12.50") as (mantissa, scale), or `None`
/// when it has no such form (see the WIT's `numbers`).
pub fn pack_decimal(text: &str) -> Option<(i64, u8)> {
    let bytes = text.as_bytes();
    let (negative, body) = match bytes.first()? {
        b'-' => (true, &bytes[1..]),
        _ => (false, bytes),
    };
    let (int, frac) = match body.iter().position(|&b| b == b'.') {
        Some(p) => (&body[..p], Some(&body[p + 1..])),
        None => (body, None),
    };
    if int.is_empty() || (int.len() > 1 && int[0] == b'0') || frac.is_some_and(|f| f.is_empty()) {
        return None;
    }
    let frac = frac.unwrap_or_default();
    if frac.len() as u32 > MAX_SCALE {
        return None;
    }
    let mut m: i64 = 0;
    for &b in int.iter().chain(frac) {
        if !b.is_ascii_digit() {
            return None;
        }
        m = m.checked_mul(10)?.checked_add((b - b'0') as i64)?;
    }
    if negative {
        if m == 0 {
            return None;
        }
        m = -m;
    }
    Some((m, frac.len() as u8))
}

/// The text of a packed decimal.
pub fn unpack_decimal(mantissa: i64, scale: u8) -> String {
    let digits = mantissa.unsigned_abs().to_string();
    let scale = scale as usize;
    let mut out = String::with_capacity(digits.len() + scale + 3);
    if mantissa < 0 {
        out.push('-');
    }
    if scale == 0 {
        out.push_str(&digits);
    } else if digits.len() > scale {
        out.push_str(&digits[..digits.len() - scale]);
        out.push('.');
        out.push_str(&digits[digits.len() - scale..]);
    } else {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', scale - digits.len()));
        out.push_str(&digits);
    }
    out
}

/// Days since 1970-01-01 of a calendar date "YYYY-MM-DD" (years 0000–9999).
pub fn pack_date(text: &str) -> Option<i32> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |s: &[u8]| s.iter().try_fold(0i64, |acc, &c| c.is_ascii_digit().then(|| acc * 10 + (c - b'0') as i64));
    let (y, m, d) = (num(&b[0..4])?, num(&b[5..7])?, num(&b[8..10])?);
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return None;
    }
    Some(days_from_civil(y, m, d) as i32)
}

/// The text "YYYY-MM-DD" of a day number.
pub fn unpack_date(days: i32) -> String {
    let mut s = String::with_capacity(10);
    push_date(&mut s, days);
    s
}

fn push_date(out: &mut String, days: i32) {
    use fmt::Write;
    let (y, m, d) = civil_from_days(days as i64);
    let _ = write!(out, "{y:04}-{m:02}-{d:02}");
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Whether bit `i` is set (bits beyond the list are clear).
#[inline]
pub fn bit(bits: &[u8], i: usize) -> bool {
    bits.get(i / 8).is_some_and(|b| b & (1 << (i % 8)) != 0)
}

/// A bit set under construction.
#[derive(Default)]
pub struct Bits {
    bytes: Vec<u8>,
    len: usize,
}

impl Bits {
    pub fn with_capacity(n: usize) -> Bits {
        Bits { bytes: Vec::with_capacity(n.div_ceil(8)), len: 0 }
    }

    #[inline]
    pub fn push(&mut self, on: bool) {
        if self.len.is_multiple_of(8) {
            self.bytes.push(0);
        }
        if on && let Some(b) = self.bytes.last_mut() {
            *b |= 1 << (self.len % 8);
        }
        self.len += 1;
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

/// Checks a `texts` (ends never decreasing, within the buffer, on character
/// boundaries); `n` is the number of strings expected.
fn texts_ok(data: &str, ends: &[u32], n: usize) -> bool {
    let mut prev = 0usize;
    ends.len() == n
        && ends.iter().all(|&e| {
            let e = e as usize;
            let ok = e >= prev && e <= data.len() && data.is_char_boundary(e);
            prev = e;
            ok
        })
}

#[inline]
fn slice<'a>(data: &'a str, ends: &[u32], i: usize) -> &'a str {
    let start = if i == 0 { 0 } else { ends[i - 1] as usize };
    &data[start..ends[i] as usize]
}

// ---- input tables ----------------------------------------------------------------

/// One input column as the host packed it, read in place.
pub(crate) enum Col {
    Numbers {
        present: Vec<u8>,
        mantissas: Vec<i64>,
        scales: Vec<u8>,
    },
    Texts {
        present: Vec<u8>,
        data: String,
        ends: Vec<u32>,
    },
    Dates {
        present: Vec<u8>,
        days: Vec<i32>,
        text: OnceCell<String>,
    },
    Booleans {
        present: Vec<u8>,
        bits: Vec<u8>,
    },
    /// A column of several kinds, or with values passed as text: one value per row.
    Values(Vec<Value>),
}

impl Col {
    #[inline]
    pub(crate) fn decimal(&self, i: usize) -> Option<Decimal> {
        match self {
            Col::Numbers { present, mantissas, scales } => {
                bit(present, i).then(|| Decimal::from_i128_with_scale(mantissas[i] as i128, scales[i] as u32))
            }
            Col::Values(v) => match &v[i] {
                Value::Number(n) => crate::dec(n),
                _ => None,
            },
            _ => None,
        }
    }

    #[inline]
    pub(crate) fn text(&self, i: usize) -> Option<&str> {
        match self {
            Col::Texts { present, data, ends } => bit(present, i).then(|| slice(data, ends, i)),
            Col::Values(v) => match &v[i] {
                Value::Text(s) => Some(s.as_str()),
                _ => None,
            },
            _ => None,
        }
    }

    pub(crate) fn date(&self, i: usize) -> Option<&str> {
        match self {
            Col::Dates { present, days, text } => {
                if !bit(present, i) {
                    return None;
                }
                // Ten bytes per row, written once when a date is first read.
                let all = text.get_or_init(|| {
                    let mut s = String::with_capacity(days.len() * 10);
                    for &d in days {
                        push_date(&mut s, d);
                    }
                    s
                });
                all.get(i * 10..i * 10 + 10)
            }
            Col::Values(v) => match &v[i] {
                Value::Date(s) => Some(s.as_str()),
                _ => None,
            },
            _ => None,
        }
    }

    pub(crate) fn boolean(&self, i: usize) -> Option<bool> {
        match self {
            Col::Booleans { present, bits } => bit(present, i).then(|| bit(bits, i)),
            Col::Values(v) => match &v[i] {
                Value::Boolean(b) => Some(*b),
                _ => None,
            },
            _ => None,
        }
    }

    /// The value of row `i`, as 1.0 passes it.
    pub(crate) fn value(&self, i: usize) -> Value {
        match self {
            Col::Numbers { present, mantissas, scales } if bit(present, i) => Value::Number(unpack_decimal(mantissas[i], scales[i])),
            Col::Texts { .. } => self.text(i).map(|s| Value::Text(s.to_string())).unwrap_or(Value::Empty),
            Col::Dates { present, days, .. } if bit(present, i) => Value::Date(unpack_date(days[i])),
            Col::Booleans { .. } => self.boolean(i).map(Value::Boolean).unwrap_or(Value::Empty),
            Col::Values(v) => v[i].clone(),
            _ => Value::Empty,
        }
    }
}

/// How the cells of one column are referred to (the WIT's `column-origin`).
#[derive(Debug, Clone)]
pub(crate) enum ColumnOrigin {
    Letter(String),
    Field(String),
    Absent(String),
}

/// Where a table's cells came from (the WIT's `origin`).
#[derive(Debug, Clone)]
pub(crate) struct Origin {
    pub sheet: String,
    /// `true`: "<sheet>[n]"; `false`: "<sheet>!n".
    pub indexed: bool,
    pub first_row: u32,
    pub row_numbers: Vec<u32>,
    pub columns: Vec<ColumnOrigin>,
    pub exception_rows: Vec<u32>,
    pub exception_columns: Vec<u32>,
    pub exceptions: String,
    pub exception_ends: Vec<u32>,
}

impl Origin {
    fn row_number(&self, i: usize) -> u32 {
        self.row_numbers.get(i).copied().unwrap_or_else(|| self.first_row.wrapping_add(i as u32))
    }

    /// The reference that follows no pattern, if row `i`, column `j` has one
    /// (`j` = number of columns: the row's own).
    fn exception(&self, i: usize, j: usize) -> Option<&str> {
        if self.exception_rows.is_empty() {
            return None;
        }
        let key = (i as u32, j as u32);
        let at = |k: usize| (self.exception_rows[k], self.exception_columns[k]);
        let (mut lo, mut hi) = (0, self.exception_rows.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            if at(mid) < key {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        (lo < self.exception_rows.len() && at(lo) == key).then(|| slice(&self.exceptions, &self.exception_ends, lo))
    }

    fn push_row_ref(&self, out: &mut String, i: usize) {
        out.push_str(&self.sheet);
        out.push(if self.indexed { '[' } else { '!' });
        push_u32(out, self.row_number(i));
        if self.indexed {
            out.push(']');
        }
    }

    /// The reference of the cell in row `i`, column `j`, e.g. "Emission sources!C12".
    pub(crate) fn cell_ref(&self, i: usize, j: usize) -> String {
        if let Some(e) = self.exception(i, j) {
            return e.to_string();
        }
        let mut s = String::with_capacity(self.sheet.len() + 24);
        match &self.columns[j] {
            ColumnOrigin::Letter(l) => {
                s.push_str(&self.sheet);
                s.push('!');
                s.push_str(l);
                push_u32(&mut s, self.row_number(i));
            }
            ColumnOrigin::Field(f) => {
                self.push_row_ref(&mut s, i);
                s.push('.');
                s.push_str(f);
            }
            ColumnOrigin::Absent(label) => {
                self.push_row_ref(&mut s, i);
                s.push_str(", ");
                s.push_str(label);
            }
        }
        s
    }
}

/// Appends the decimal digits of `n` (without the formatting machinery: a
/// reference is made for nearly every input row).
#[inline]
fn push_u32(out: &mut String, mut n: u32) {
    let mut buf = [0u8; 10];
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.push_str(std::str::from_utf8(&buf[at..]).unwrap_or_default());
}

/// An input table as the host packed it: columns, and the origin of its references.
pub(crate) struct Packed {
    pub rows: usize,
    pub columns: Vec<Col>,
    pub origin: Origin,
    /// Every row's reference, made once when a row's `source()` is first read.
    sources: OnceCell<(String, Vec<u32>)>,
}

impl Packed {
    pub(crate) fn new(rows: usize, columns: Vec<Col>, origin: Origin) -> Packed {
        Packed { rows, columns, origin, sources: OnceCell::new() }
    }

    pub(crate) fn row_source(&self, i: usize) -> &str {
        let (data, ends) = self.sources.get_or_init(|| {
            let mut data = String::with_capacity(self.rows * (self.origin.sheet.len() + 7));
            let mut ends = Vec::with_capacity(self.rows);
            for r in 0..self.rows {
                match self.origin.exception(r, self.origin.columns.len()) {
                    Some(e) => data.push_str(e),
                    None => self.origin.push_row_ref(&mut data, r),
                }
                ends.push(data.len() as u32);
            }
            (data, ends)
        });
        slice(data, ends, i)
    }

    /// Row `i` as 1.0 passes it (a plugin that copies rows gets the same rows).
    pub(crate) fn row(&self, i: usize) -> Row {
        Row {
            source: self.row_source(i).to_string(),
            cells: (0..self.columns.len())
                .map(|j| crate::Cell { value: self.columns[j].value(i), source: self.origin.cell_ref(i, j) })
                .collect(),
        }
    }
}

impl fmt::Debug for Packed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Packed").field("rows", &self.rows).field("columns", &self.columns.len()).field("origin", &self.origin).finish()
    }
}

// ---- from and to the 1.1 bindings ----------------------------------------------------

#[cfg(not(feature = "contract-1-0"))]
pub(crate) mod wire {
    //! Conversions between the generated 1.1 types and the SDK's.

    use std::rc::Rc;

    use super::*;
    use crate::bindings::lvyue::compliance::columns as wit;
    use crate::{Decision, Evaluation, Finding, ResultTable, TraceStep, ValueKind};

    fn broken(what: &str) -> ! {
        panic!("the host passed an inconsistent table ({what}); this is a bug in the host, not in the plugin")
    }

    /// A column the host packed, checked, ready to read in place.
    fn column(c: wit::Column, rows: usize, what: &str) -> Col {
        if c.present.len() != rows.div_ceil(8) {
            broken(what);
        }
        let present = c.present;
        match c.values {
            wit::ColumnValues::Numbers(n) => {
                if n.mantissas.len() != rows || n.scales.len() != rows {
                    broken(what);
                }
                if n.scales.iter().any(|&s| s as u32 > MAX_SCALE) {
                    // Some passed as text: read them as 1.0 values.
                    let count = n.scales.iter().filter(|&&s| s == SCALE_TEXT).count();
                    if !texts_ok(&n.texts.data, &n.texts.ends, count) {
                        broken(what);
                    }
                    let mut next = 0;
                    let values = (0..rows)
                        .map(|i| {
                            let text = if n.scales[i] == SCALE_TEXT {
                                next += 1;
                                Some(slice(&n.texts.data, &n.texts.ends, next - 1).to_string())
                            } else if n.scales[i] as u32 > MAX_SCALE {
                                broken(what)
                            } else {
                                None
                            };
                            match (bit(&present, i), text) {
                                (false, _) => Value::Empty,
                                (true, Some(t)) => Value::Number(t),
                                (true, None) => Value::Number(unpack_decimal(n.mantissas[i], n.scales[i])),
                            }
                        })
                        .collect();
                    return Col::Values(values);
                }
                Col::Numbers { present, mantissas: n.mantissas, scales: n.scales }
            }
            wit::ColumnValues::Texts(t) => {
                if !texts_ok(&t.data, &t.ends, rows) {
                    broken(what);
                }
                Col::Texts { present, data: t.data, ends: t.ends }
            }
            wit::ColumnValues::Dates(d) => {
                if d.days.len() != rows {
                    broken(what);
                }
                if d.days.contains(&DAY_TEXT) || d.days.iter().any(|&x| !(-719_528..=2_932_896).contains(&x)) {
                    let count = d.days.iter().filter(|&&x| x == DAY_TEXT).count();
                    if !texts_ok(&d.texts.data, &d.texts.ends, count) {
                        broken(what);
                    }
                    let mut next = 0;
                    let values = (0..rows)
                        .map(|i| {
                            let text = (d.days[i] == DAY_TEXT).then(|| {
                                next += 1;
                                slice(&d.texts.data, &d.texts.ends, next - 1).to_string()
                            });
                            match (bit(&present, i), text) {
                                (false, _) => Value::Empty,
                                (true, Some(t)) => Value::Date(t),
                                (true, None) => Value::Date(unpack_date(d.days[i])),
                            }
                        })
                        .collect();
                    return Col::Values(values);
                }
                Col::Dates { present, days: d.days, text: OnceCell::new() }
            }
            wit::ColumnValues::Booleans(b) => {
                if b.len() != rows.div_ceil(8) {
                    broken(what);
                }
                Col::Booleans { present, bits: b }
            }
            wit::ColumnValues::Mixed(m) => Col::Values(unpack_mixed(&present, m, rows, what)),
        }
    }

    fn unpack_mixed(present: &[u8], m: wit::MixedValues, rows: usize, what: &str) -> Vec<Value> {
        let count = |k: ValueKind| m.kinds.iter().filter(|&&x| x == k).count();
        let (nn, nt, nd, nb) = (count(ValueKind::Number), count(ValueKind::Text), count(ValueKind::Date), count(ValueKind::Boolean));
        let ok = m.kinds.len() == (0..rows).filter(|&i| bit(present, i)).count()
            && m.numbers.mantissas.len() == nn
            && m.numbers.scales.len() == nn
            && texts_ok(&m.numbers.texts.data, &m.numbers.texts.ends, m.numbers.scales.iter().filter(|&&s| s == SCALE_TEXT).count())
            && !m.numbers.scales.iter().any(|&s| s != SCALE_TEXT && s as u32 > MAX_SCALE)
            && texts_ok(&m.texts.data, &m.texts.ends, nt)
            && m.dates.days.len() == nd
            && texts_ok(&m.dates.texts.data, &m.dates.texts.ends, m.dates.days.iter().filter(|&&x| x == DAY_TEXT).count())
            && m.booleans.len() == nb.div_ceil(8);
        if !ok {
            broken(what);
        }
        let (mut k, mut ni, mut nti, mut ti, mut di, mut dti, mut bi) = (0, 0, 0, 0, 0, 0, 0);
        (0..rows)
            .map(|i| {
                if !bit(present, i) {
                    return Value::Empty;
                }
                k += 1;
                match m.kinds[k - 1] {
                    ValueKind::Number => {
                        ni += 1;
                        let s = m.numbers.scales[ni - 1];
                        if s == SCALE_TEXT {
                            nti += 1;
                            Value::Number(slice(&m.numbers.texts.data, &m.numbers.texts.ends, nti - 1).to_string())
                        } else {
                            Value::Number(unpack_decimal(m.numbers.mantissas[ni - 1], s))
                        }
                    }
                    ValueKind::Text => {
                        ti += 1;
                        Value::Text(slice(&m.texts.data, &m.texts.ends, ti - 1).to_string())
                    }
                    ValueKind::Date => {
                        di += 1;
                        let d = m.dates.days[di - 1];
                        if d == DAY_TEXT {
                            dti += 1;
                            Value::Date(slice(&m.dates.texts.data, &m.dates.texts.ends, dti - 1).to_string())
                        } else {
                            Value::Date(unpack_date(d))
                        }
                    }
                    ValueKind::Boolean => {
                        bi += 1;
                        Value::Boolean(bit(&m.booleans, bi - 1))
                    }
                }
            })
            .collect()
    }

    fn origin(o: wit::Origin, columns: usize, what: &str) -> Origin {
        let n = o.exception_rows.len();
        if o.columns.len() != columns || o.exception_columns.len() != n || !texts_ok(&o.exceptions.data, &o.exceptions.ends, n) {
            broken(what);
        }
        let sorted = (1..n).all(|k| (o.exception_rows[k - 1], o.exception_columns[k - 1]) < (o.exception_rows[k], o.exception_columns[k]));
        if !sorted {
            broken(what);
        }
        Origin {
            sheet: o.sheet,
            indexed: matches!(o.style, wit::RowStyle::Indexed),
            first_row: o.first_row,
            row_numbers: o.row_numbers,
            columns: o
                .columns
                .into_iter()
                .map(|c| match c {
                    wit::ColumnOrigin::Letter(l) => ColumnOrigin::Letter(l),
                    wit::ColumnOrigin::Field(f) => ColumnOrigin::Field(f),
                    wit::ColumnOrigin::Absent(a) => ColumnOrigin::Absent(a),
                })
                .collect(),
            exception_rows: o.exception_rows,
            exception_columns: o.exception_columns,
            exceptions: o.exceptions.data,
            exception_ends: o.exceptions.ends,
        }
    }

    /// The request as the SDK gives it to the plugin: the tables read in place.
    pub(crate) fn request(r: wit::Request) -> crate::Request {
        let tables = r
            .tables
            .into_iter()
            .map(|t| {
                let rows = t.rows as usize;
                if t.values.len() != t.columns.len() || (!t.origin.row_numbers.is_empty() && t.origin.row_numbers.len() != rows) {
                    broken(&t.key);
                }
                let columns = t.values.into_iter().zip(&t.columns).map(|(c, k)| column(c, rows, k)).collect();
                let origin = origin(t.origin, t.columns.len(), &t.key);
                crate::Table { key: t.key, columns: t.columns, rows: crate::Rows::packed(Rc::new(Packed::new(rows, columns, origin))) }
            })
            .collect();
        crate::Request { jurisdiction: r.jurisdiction, period: r.period, parameters: r.parameters, tables, options: r.options }
    }

    // ---- the evaluation, packed ----------------------------------------------------

    #[derive(Default)]
    struct TextsOut {
        data: String,
        ends: Vec<u32>,
    }

    impl TextsOut {
        fn with_capacity(n: usize, bytes: usize) -> TextsOut {
            TextsOut { data: String::with_capacity(bytes), ends: Vec::with_capacity(n) }
        }

        #[inline]
        fn push(&mut self, s: &str) {
            self.data.push_str(s);
            self.ends.push(self.data.len() as u32);
        }

        fn finish(self) -> wit::Texts {
            wit::Texts { data: self.data, ends: self.ends }
        }
    }

    /// Strings into one `texts`, sized in one pass.
    fn texts<'s>(items: impl Iterator<Item = &'s str> + Clone) -> wit::Texts {
        let (n, bytes) = items.clone().fold((0, 0), |(n, b), s| (n + 1, b + s.len()));
        let mut out = TextsOut::with_capacity(n, bytes);
        items.for_each(|s| out.push(s));
        out.finish()
    }

    /// A list of lists of strings: one `texts` and the list ends.
    fn lists<'s, L: IntoIterator<Item = &'s String>>(items: impl Iterator<Item = L> + Clone) -> (wit::Texts, Vec<u32>) {
        let (n, bytes, lists) = items.clone().fold((0, 0, 0), |(n, b, l), list| {
            let (ln, lb) = list.into_iter().fold((0, 0), |(n, b), s| (n + 1, b + s.len()));
            (n + ln, b + lb, l + 1)
        });
        let mut out = TextsOut::with_capacity(n, bytes);
        let mut ends = Vec::with_capacity(lists);
        for list in items {
            for s in list {
                out.push(s);
            }
            ends.push(out.ends.len() as u32);
        }
        (out.finish(), ends)
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

        #[inline]
        fn push(&mut self, text: &str) {
            match pack_decimal(text) {
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

        fn finish(self) -> wit::Numbers {
            wit::Numbers { mantissas: self.mantissas, scales: self.scales, texts: self.texts.finish() }
        }
    }

    #[derive(Default)]
    struct DatesOut {
        days: Vec<i32>,
        texts: TextsOut,
    }

    impl DatesOut {
        fn push(&mut self, text: &str) {
            match pack_date(text) {
                Some(d) => self.days.push(d),
                None => {
                    self.days.push(DAY_TEXT);
                    self.texts.push(text);
                }
            }
        }

        fn finish(self) -> wit::Dates {
            wit::Dates { days: self.days, texts: self.texts.finish() }
        }
    }

    /// The kinds of the columns of a table, seen row by row, and their text bytes.
    struct KindScan {
        kinds: Vec<Option<ValueKind>>,
        mixed: Vec<bool>,
        bytes: Vec<usize>,
    }

    impl KindScan {
        fn new(columns: usize) -> KindScan {
            KindScan { kinds: vec![None; columns], mixed: vec![false; columns], bytes: vec![0; columns] }
        }

        #[inline]
        fn see(&mut self, j: usize, v: &Value) {
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

        fn builders(&self, rows: usize) -> Vec<ColumnOut> {
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

    /// A column under construction, its kind decided beforehand.
    struct ColumnOut {
        present: Bits,
        values: Builder,
    }

    impl ColumnOut {
        fn new(kind: Option<ValueKind>, mixed: bool, rows: usize, text_bytes: usize) -> ColumnOut {
            let values = match (mixed, kind.unwrap_or(ValueKind::Text)) {
                (true, _) => Builder::Mixed {
                    kinds: Vec::with_capacity(rows),
                    numbers: NumbersOut::default(),
                    texts: TextsOut::with_capacity(0, text_bytes),
                    dates: DatesOut::default(),
                    booleans: Bits::default(),
                },
                (false, ValueKind::Number) => Builder::Numbers(NumbersOut::with_capacity(rows)),
                (false, ValueKind::Text) => Builder::Texts(TextsOut::with_capacity(rows, text_bytes)),
                (false, ValueKind::Date) => Builder::Dates(DatesOut { days: Vec::with_capacity(rows), texts: TextsOut::default() }),
                (false, ValueKind::Boolean) => Builder::Booleans(Bits::with_capacity(rows)),
            };
            ColumnOut { present: Bits::with_capacity(rows), values }
        }

        #[inline]
        fn push(&mut self, v: &Value) {
            self.present.push(!matches!(v, Value::Empty));
            match (&mut self.values, v) {
                (Builder::Numbers(out), Value::Number(t)) => out.push(t),
                (Builder::Numbers(out), _) => {
                    out.mantissas.push(0);
                    out.scales.push(0);
                }
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

        fn finish(self) -> wit::Column {
            let values = match self.values {
                Builder::Numbers(n) => wit::ColumnValues::Numbers(n.finish()),
                Builder::Texts(t) => wit::ColumnValues::Texts(t.finish()),
                Builder::Dates(d) => wit::ColumnValues::Dates(d.finish()),
                Builder::Booleans(b) => wit::ColumnValues::Booleans(b.into_bytes()),
                Builder::Mixed { kinds, numbers, texts, dates, booleans } => wit::ColumnValues::Mixed(wit::MixedValues {
                    kinds,
                    numbers: numbers.finish(),
                    texts: texts.finish(),
                    dates: dates.finish(),
                    booleans: booleans.into_bytes(),
                }),
            };
            wit::Column { present: self.present.into_bytes(), values }
        }
    }

    /// Values (one per row) as a column: one typed list when they are of one kind.
    pub(crate) fn pack_column<'v>(values: impl Iterator<Item = &'v Value> + Clone) -> wit::Column {
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

    /// Optional numbers (text) as a numbers column.
    fn optional_numbers<'s>(items: impl Iterator<Item = Option<&'s String>> + Clone) -> wit::Column {
        let n = items.clone().count();
        let mut present = Bits::with_capacity(n);
        let mut out = NumbersOut::with_capacity(n);
        for v in items {
            present.push(v.is_some());
            match v {
                Some(t) => out.push(t),
                None => {
                    out.mantissas.push(0);
                    out.scales.push(0);
                }
            }
        }
        wit::Column { present: present.into_bytes(), values: wit::ColumnValues::Numbers(out.finish()) }
    }

    /// Optional texts as a texts column.
    fn optional_texts<'s>(items: impl Iterator<Item = Option<&'s String>> + Clone) -> wit::Column {
        let n = items.clone().count();
        let mut present = Bits::with_capacity(n);
        for v in items.clone() {
            present.push(v.is_some());
        }
        let t = texts(items.map(|v| v.map(String::as_str).unwrap_or("")));
        wit::Column { present: present.into_bytes(), values: wit::ColumnValues::Texts(t) }
    }

    /// A result table as columns: two passes over the rows, each reading a row once.
    fn result_table(t: ResultTable) -> wit::ResultTable {
        let width = t.columns.len();
        let mut scan = KindScan::new(width);
        for row in &t.rows {
            for (j, v) in row.iter().take(width).enumerate() {
                scan.see(j, v);
            }
        }
        let mut out = scan.builders(t.rows.len());
        for row in &t.rows {
            for (j, column) in out.iter_mut().enumerate() {
                column.push(row.get(j).unwrap_or(&Value::Empty));
            }
        }
        let rows = t.rows.len() as u32;
        // The rows are not freed one by one: the instance is thrown away after the call.
        std::mem::forget(t.rows);
        wit::ResultTable {
            key: t.key,
            name: t.name,
            columns: t.columns,
            rows,
            values: out.into_iter().map(ColumnOut::finish).collect(),
            charts: t.charts,
        }
    }

    fn decisions(d: &[Decision]) -> wit::Decisions {
        let (reasons, reason_ends) = lists(d.iter().map(|d| &d.reasons));
        wit::Decisions {
            tables: texts(d.iter().map(|d| d.table.as_str())),
            rows: texts(d.iter().map(|d| d.row.as_str())),
            subjects: texts(d.iter().map(|d| d.subject.as_str())),
            outcomes: texts(d.iter().map(|d| d.outcome.as_str())),
            amounts: optional_numbers(d.iter().map(|d| d.amount.as_ref())),
            units: optional_texts(d.iter().map(|d| d.unit.as_ref())),
            reasons,
            reason_ends,
        }
    }

    fn findings(f: &[Finding]) -> wit::Findings {
        let (cells, cell_ends) = lists(f.iter().map(|f| &f.cells));
        wit::Findings {
            severities: f.iter().map(|f| f.severity).collect(),
            codes: texts(f.iter().map(|f| f.code.as_str())),
            messages_zh: texts(f.iter().map(|f| f.message.zh.as_str())),
            messages_en: texts(f.iter().map(|f| f.message.en.as_str())),
            cells,
            cell_ends,
        }
    }

    fn trace(t: &[TraceStep]) -> wit::Trace {
        let (parameters, parameter_ends) = lists(t.iter().map(|s| &s.parameters));
        let (inputs, input_ends) = lists(t.iter().map(|s| &s.inputs));
        wit::Trace {
            clauses: texts(t.iter().map(|s| s.clause.as_str())),
            descriptions_zh: texts(t.iter().map(|s| s.description.zh.as_str())),
            descriptions_en: texts(t.iter().map(|s| s.description.en.as_str())),
            parameters,
            parameter_ends,
            inputs,
            input_ends,
            values: pack_column(t.iter().map(|s| &s.value)),
            units: optional_texts(t.iter().map(|s| s.unit.as_ref())),
        }
    }

    /// The plugin's evaluation, packed as columns.
    pub(crate) fn evaluation(e: Evaluation) -> wit::Evaluation {
        let out = wit::Evaluation {
            decisions: decisions(&e.decisions),
            findings: findings(&e.findings),
            trace: trace(&e.trace),
            tables: e.tables.into_iter().map(result_table).collect(),
            metrics: e.metrics,
        };
        std::mem::forget((e.decisions, e.findings, e.trace));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same examples as the host's (host/src/contract/packing.rs).
    const DECIMALS: &[(&str, Option<(i64, u8)>)] = &[
        ("0", Some((0, 0))),
        ("1.50", Some((150, 2))),
        ("-0.05", Some((-5, 2))),
        ("1200", Some((1200, 0))),
        ("0.0", Some((0, 1))),
        ("-9223372036854775807", Some((-9_223_372_036_854_775_807, 0))),
        ("9223372036854775808", None),
        ("-0", None),
        ("-0.00", None),
        ("01", None),
        (".5", None),
        ("5.", None),
        ("+5", None),
        ("1e5", None),
        ("", None),
        ("-", None),
        ("0.0000000000000000000000000001", Some((1, 28))),
        ("0.00000000000000000000000000001", None),
    ];

    const DATES: &[(&str, Option<i32>)] = &[
        ("1970-01-01", Some(0)),
        ("1900-01-01", Some(-25567)),
        ("2024-02-29", Some(19782)),
        ("2023-02-29", None),
        ("2999-12-31", Some(376199)),
        ("0000-03-01", Some(-719468)),
        ("9999-12-31", Some(2932896)),
        ("2024-1-01", None),
        ("2024-13-01", None),
        ("2024/01/01", None),
    ];

    #[test]
    fn decimals_round_trip_exactly() {
        for (text, packed) in DECIMALS {
            assert_eq!(pack_decimal(text), *packed, "{text}");
            if let Some((m, s)) = packed {
                assert_eq!(unpack_decimal(*m, *s), *text);
                // The decimal read from the packed form is the one read from the text.
                assert_eq!(Decimal::from_i128_with_scale(*m as i128, *s as u32), crate::dec(text).unwrap(), "{text}");
                assert_eq!(Decimal::from_i128_with_scale(*m as i128, *s as u32).scale(), crate::dec(text).unwrap().scale(), "{text}");
            }
        }
    }

    #[test]
    fn dates_round_trip_exactly() {
        for (text, packed) in DATES {
            assert_eq!(pack_date(text), *packed, "{text}");
            if let Some(d) = packed {
                assert_eq!(unpack_date(*d), *text);
            }
        }
    }

    #[test]
    fn references_are_computed_as_the_host_wrote_them() {
        let origin = Origin {
            sheet: "排放源 Sources".into(),
            indexed: false,
            first_row: 2,
            row_numbers: vec![2, 3, 7],
            columns: vec![ColumnOrigin::Letter("C".into()), ColumnOrigin::Absent("Fuel".into()), ColumnOrigin::Field("x".into())],
            exception_rows: vec![1, 2],
            exception_columns: vec![0, 3],
            exceptions: "Other!Z1Other!9".into(),
            exception_ends: vec![8, 15],
        };
        assert_eq!(origin.cell_ref(0, 0), "排放源 Sources!C2");
        assert_eq!(origin.cell_ref(2, 0), "排放源 Sources!C7");
        assert_eq!(origin.cell_ref(0, 1), "排放源 Sources!2, Fuel");
        assert_eq!(origin.cell_ref(0, 2), "排放源 Sources!2.x");
        assert_eq!(origin.cell_ref(1, 0), "Other!Z1", "an exception");
        let with_rows = Packed::new(
            3,
            vec![
                Col::Booleans { present: vec![0b111], bits: vec![0b010] },
                Col::Booleans { present: vec![0], bits: vec![0] },
                Col::Booleans { present: vec![0], bits: vec![0] },
            ],
            origin.clone(),
        );
        assert_eq!(with_rows.row_source(1), "排放源 Sources!3");
        assert_eq!(with_rows.row_source(2), "Other!9", "the row's own reference is an exception");
        assert_eq!(with_rows.columns[0].boolean(1), Some(true));
        let p = Packed::new(
            3,
            vec![Col::Numbers { present: vec![0b101], mantissas: vec![150, 0, -5], scales: vec![2, 0, 1] }],
            Origin {
                columns: vec![ColumnOrigin::Letter("C".into())],
                exception_rows: vec![],
                exception_columns: vec![],
                exceptions: String::new(),
                exception_ends: vec![],
                ..origin
            },
        );
        assert_eq!(p.row_source(2), "排放源 Sources!7");
        assert_eq!(p.columns[0].decimal(0), crate::dec("1.50"));
        assert_eq!(p.columns[0].decimal(1), None);
        assert!(matches!(p.columns[0].value(2), Value::Number(n) if n == "-0.5"));
    }
}
