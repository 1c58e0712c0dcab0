//! The column wire format of contract `lvyue:compliance@1.1.0`, owned once:
//! the host packs input tables and unpacks evaluations with it, the plugin
//! SDK unpacks input tables and packs evaluations with it.
//!
//! The WIT (`plugins/wit/lvyue-compliance-1.1.0/compliance.wit`, interface
//! `columns`) is the authority; this crate is its one implementation. Neither
//! side's generated binding types appear here: each side converts its own at
//! its edge (the host in `host/src/contract/since_v1_1.rs`, the SDK in
//! `plugins/sdk/src/columns.rs`), moving the vectors built here without copying.
//!
//! # The format
//!
//! - **Bits** (`present`, `booleans`): one bit per row, least significant bit
//!   first, `rows.div_ceil(8)` bytes; bits past the last row are clear
//!   ([`Bits`], [`bit`]). A row whose `present` bit is clear is empty.
//! - **Texts**: many strings in one buffer `data` and their `ends`: string `i`
//!   is `data[ends[i-1]..ends[i]]` (from 0 for the first); ends never
//!   decrease, stay within the buffer and fall on character boundaries
//!   ([`TextsOut`], [`TextsView`]). A list of lists of strings is one texts
//!   and the list ends, counted in strings ([`lists`]).
//! - **Numbers**: exact decimals as a 64-bit mantissa and a scale, value
//!   `mantissa × 10^-scale`, so "1.50" is (150, 2); its text is the mantissa's
//!   digits with a point `scale` digits from the right ([`pack_decimal`],
//!   [`unpack_decimal`]). Only canonical decimal text with a scale up to
//!   [`MAX_SCALE`] and a mantissa within 64 bits packs; any other number keeps
//!   its text: scale [`SCALE_TEXT`], mantissa 0, and the text next in the
//!   numbers' own texts ([`NumbersOut`], [`NumbersView`]).
//! - **Dates**: days since 1970-01-01, proleptic Gregorian, for "YYYY-MM-DD"
//!   in years 0000 to 9999 ([`pack_date`], [`unpack_date`]); a date value that
//!   is not such a text is day [`DAY_TEXT`] with its text next in the dates'
//!   own texts ([`DatesOut`], [`DatesView`]).
//! - **Columns**: the present bits and one typed list (one entry per row, a
//!   placeholder for empty rows: mantissa 0 scale 0, "", day 0, bit clear), or,
//!   when the values are of several kinds, `mixed`: one kind per present row
//!   and one list per kind holding only that kind's values, in row order
//!   ([`KindScan`], [`ColumnOut`], [`unpack_column`]).
//! - **References**: no cell carries its own reference; a table's [`Origin`]
//!   (sheet, row style, first row or the row numbers, per column a letter, a
//!   request field or a label) computes it, byte for byte the text contract
//!   1.0 passes, and references that follow no pattern travel as exceptions
//!   sorted by (row, column), the row's own reference at column = width
//!   ([`Origin::cell_ref`]).
//!
//! Each side's own `Value` and `ValueKind` (generated from the same WIT
//! `types` interface) are read and made through [`WireValue`] and
//! [`WireKind`], implemented by [`wire_types!`] in the side's crate.

use std::borrow::Cow;
use std::fmt::Write as _;

/// The scale that marks a decimal passed as text.
pub const SCALE_TEXT: u8 = 255;
/// The day that marks a date passed as text.
pub const DAY_TEXT: i32 = i32::MIN;
/// The largest scale packed (rust_decimal's).
pub const MAX_SCALE: u32 = 28;
/// The day number of 0000-01-01, the first day [`pack_date`] gives.
pub const FIRST_DAY: i32 = -719_528;
/// The day number of 9999-12-31, the last day [`pack_date`] gives.
pub const LAST_DAY: i32 = 2_932_896;

// ---- decimals --------------------------------------------------------------------

/// Packs canonical decimal text ("-12.50") as (mantissa, scale), or `None`
/// when the text has no such form: not canonical (a sign on zero, "+", a
/// leading zero, a bare point, an exponent), a scale over 28 or a mantissa over 64 bits.
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
            return None; // "-0", "-0.00": no mantissa says it
        }
        m = -m;
    }
    Some((m, frac.len() as u8))
}

/// The text of a packed decimal: the mantissa's digits with a point `scale`
/// digits from the right ("0." in front when needed).
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

// ---- dates -----------------------------------------------------------------------

/// Days since 1970-01-01 of a calendar date "YYYY-MM-DD" (years 0000 to
/// 9999, proleptic Gregorian), or `None` if the text is not one.
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

/// The text "YYYY-MM-DD" of a day number made by [`pack_date`].
pub fn unpack_date(days: i32) -> String {
    let mut s = String::with_capacity(10);
    push_date(&mut s, days);
    s
}

/// Appends the text of a day number (ten bytes for days [`FIRST_DAY`] to [`LAST_DAY`]).
pub fn push_date(out: &mut String, days: i32) {
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

// Howard Hinnant's algorithms (public domain), for the proleptic Gregorian calendar.
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

// ---- bits ------------------------------------------------------------------------

/// Whether bit `i` of a bit set is set (bits beyond the list are clear).
#[inline]
pub fn bit(bits: &[u8], i: usize) -> bool {
    bits.get(i / 8).is_some_and(|b| b & (1 << (i % 8)) != 0)
}

/// Checks that a bit set has one bit for each of `n` rows.
pub fn check_bits(bits: &[u8], n: usize, what: &str) -> Result<(), String> {
    if bits.len() != n.div_ceil(8) {
        return Err(format!("{what}: {} bytes of bits for {n} rows", bits.len()));
    }
    Ok(())
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

// ---- texts -----------------------------------------------------------------------

/// Strings gathered into one buffer and their ends.
#[derive(Default)]
pub struct TextsOut {
    pub data: String,
    pub ends: Vec<u32>,
}

impl TextsOut {
    /// Room for `n` strings of `bytes` bytes in all.
    pub fn with_capacity(n: usize, bytes: usize) -> TextsOut {
        TextsOut { data: String::with_capacity(bytes), ends: Vec::with_capacity(n) }
    }

    #[inline]
    pub fn push(&mut self, s: &str) {
        self.data.push_str(s);
        self.ends.push(self.data.len() as u32);
    }

    /// Room for `n` more strings of about `bytes` bytes in all, made once
    /// for a long list known beforehand (the SDK's `reserve_citations`):
    /// when the buffers must grow, to what is asked and a sixteenth more,
    /// not to twice their size, which could leave half of a multi-megabyte
    /// buffer unused. Small pushes after it fit in the sixteenth.
    pub fn reserve_tight(&mut self, n: usize, bytes: usize) {
        fn room(len: usize, capacity: usize, more: usize) -> Option<usize> {
            let needed = len + more;
            (needed > capacity).then(|| needed + needed / 16 - len)
        }
        if let Some(more) = room(self.data.len(), self.data.capacity(), bytes) {
            self.data.reserve_exact(more);
        }
        if let Some(more) = room(self.ends.len(), self.ends.capacity(), n) {
            self.ends.reserve_exact(more);
        }
    }

    /// Room for the next string of `len` bytes when the buffer is full and
    /// about `expect` strings are coming in all: once 1,024 are in (so that
    /// their mean length stands for the rest: a label's row number gains
    /// digits as rows go on), for the rest of them at the mean length so far
    /// and a sixteenth more, so that a long column's text moves once rather
    /// than doubling each time and leaving the old buffers behind as holes
    /// (before 1,024, past `expect`, or with none expected, the usual doubling).
    fn make_room(&mut self, len: usize, expect: usize) {
        const SAMPLE: usize = 1024;
        let (count, used) = (self.ends.len() + 1, self.data.len() + len);
        // All the text expected and a sixteenth, less what is in already
        // (`None` past `expect`, or if it does not fit a `usize`).
        let room = expect.checked_sub(count).filter(|_| count >= SAMPLE).and_then(|rest| {
            let all = used.checked_add(used.div_ceil(count).checked_mul(rest)?)?;
            all.checked_add(all / 16)?.checked_sub(self.data.len())
        });
        match room {
            Some(room) => self.data.reserve_exact(room),
            None => self.data.reserve(len),
        }
    }

    /// The strings as the other side reads them.
    pub fn view(&self) -> TextsView<'_> {
        TextsView::new(&self.data, &self.ends)
    }

    /// Whether the buffer is past what a `u32` end can say (4 GiB).
    pub fn too_large(&self) -> bool {
        self.data.len() > u32::MAX as usize
    }
}

/// Strings into one texts, sized in one pass.
pub fn texts<'s>(items: impl Iterator<Item = &'s str> + Clone) -> TextsOut {
    let (n, bytes) = items.clone().fold((0, 0), |(n, b), s| (n + 1, b + s.len()));
    let mut out = TextsOut::with_capacity(n, bytes);
    items.for_each(|s| out.push(s));
    out
}

/// A list of lists of strings: one texts and the list ends (counted in strings).
pub fn lists<'s, L: IntoIterator<Item = &'s String>>(items: impl Iterator<Item = L> + Clone) -> (TextsOut, Vec<u32>) {
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
    (out, ends)
}

/// A texts as received, read in place. [`TextsView::check`] before [`TextsView::get`].
#[derive(Clone, Copy)]
pub struct TextsView<'a> {
    pub data: &'a str,
    pub ends: &'a [u32],
}

impl<'a> TextsView<'a> {
    pub fn new(data: &'a str, ends: &'a [u32]) -> TextsView<'a> {
        TextsView { data, ends }
    }

    /// Whether the ends never decrease, stay within the buffer and fall on character boundaries.
    pub fn is_valid(&self) -> bool {
        let mut prev = 0usize;
        self.ends.iter().all(|&e| {
            let e = e as usize;
            let ok = e >= prev && e <= self.data.len() && self.data.is_char_boundary(e);
            prev = e;
            ok
        })
    }

    /// The texts, if valid ([`TextsView::is_valid`]).
    pub fn check(self, what: &str) -> Result<TextsView<'a>, String> {
        if !self.is_valid() {
            return Err(format!("{what}: string ends are not increasing within the buffer on character boundaries"));
        }
        Ok(self)
    }

    /// The texts, if valid and holding `n` strings.
    pub fn check_len(self, n: usize, what: &str) -> Result<TextsView<'a>, String> {
        let t = self.check(what)?;
        if t.len() != n {
            return Err(format!("{what}: {} strings for {n} entries", t.len()));
        }
        Ok(t)
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// String `i` (of checked texts).
    #[inline]
    pub fn get(&self, i: usize) -> &'a str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.data[start..self.ends[i] as usize]
    }
}

/// The strings of a list of lists: list `i` is strings `ends[i-1]..ends[i]` of `texts`.
pub fn unpack_lists(texts: TextsView<'_>, ends: &[u32], items: usize, what: &str) -> Result<Vec<Vec<String>>, String> {
    let t = texts.check(what)?;
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

// ---- numbers and dates -----------------------------------------------------------

/// Numbers under construction.
#[derive(Default)]
pub struct NumbersOut {
    pub mantissas: Vec<i64>,
    pub scales: Vec<u8>,
    pub texts: TextsOut,
}

impl NumbersOut {
    pub fn with_capacity(n: usize) -> NumbersOut {
        NumbersOut { mantissas: Vec::with_capacity(n), scales: Vec::with_capacity(n), texts: TextsOut::default() }
    }

    /// The numbers as the other side reads them.
    pub fn view(&self) -> NumbersView<'_> {
        NumbersView { mantissas: &self.mantissas, scales: &self.scales, texts: self.texts.view() }
    }

    /// Adds a number given as decimal text: packed, or as text.
    #[inline]
    pub fn push(&mut self, text: &str) {
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

    /// Adds the placeholder of an empty row.
    #[inline]
    pub fn push_empty(&mut self) {
        self.mantissas.push(0);
        self.scales.push(0);
    }

    /// Adds a number already packed (see [`ValueRef::Packed`]).
    #[inline]
    pub fn push_packed(&mut self, mantissa: i64, scale: u8) {
        debug_assert!(scale as u32 <= MAX_SCALE, "a packed number's scale is at most MAX_SCALE");
        self.mantissas.push(mantissa);
        self.scales.push(scale);
    }
}

/// Dates under construction.
#[derive(Default)]
pub struct DatesOut {
    pub days: Vec<i32>,
    pub texts: TextsOut,
}

impl DatesOut {
    pub fn with_capacity(n: usize) -> DatesOut {
        DatesOut { days: Vec::with_capacity(n), texts: TextsOut::default() }
    }

    /// The dates as the other side reads them.
    pub fn view(&self) -> DatesView<'_> {
        DatesView { days: &self.days, texts: self.texts.view() }
    }

    /// Adds a date given as text: its day number, or as text.
    #[inline]
    pub fn push(&mut self, text: &str) {
        match pack_date(text) {
            Some(d) => self.days.push(d),
            None => {
                self.days.push(DAY_TEXT);
                self.texts.push(text);
            }
        }
    }

    /// Adds the placeholder of an empty row.
    #[inline]
    pub fn push_empty(&mut self) {
        self.days.push(0);
    }
}

/// The texts of the values passed as text (numbers or dates), one per such
/// value, taken in order.
struct Escaped<'a> {
    texts: TextsView<'a>,
    next: usize,
}

impl<'a> Escaped<'a> {
    fn new(texts: TextsView<'a>, escaped: usize, what: &str, noun: &str) -> Result<Escaped<'a>, String> {
        let texts = texts.check(what)?;
        if escaped != texts.len() {
            return Err(format!("{what}: {escaped} {noun} passed as text, {} texts", texts.len()));
        }
        Ok(Escaped { texts, next: 0 })
    }

    #[inline]
    fn take(&mut self) -> Cow<'a, str> {
        self.next += 1;
        Cow::Borrowed(self.texts.get(self.next - 1))
    }
}

/// Numbers as received. [`NumbersView::reader`] checks them.
#[derive(Clone, Copy)]
pub struct NumbersView<'a> {
    pub mantissas: &'a [i64],
    pub scales: &'a [u8],
    pub texts: TextsView<'a>,
}

impl<'a> NumbersView<'a> {
    /// The numbers' lists and the buffer and ends of their texts.
    pub fn new(mantissas: &'a [i64], scales: &'a [u8], data: &'a str, ends: &'a [u32]) -> NumbersView<'a> {
        NumbersView { mantissas, scales, texts: TextsView::new(data, ends) }
    }

    /// Whether any number is passed as text or has a scale over [`MAX_SCALE`]
    /// (so not every one can be read from its mantissa and scale).
    pub fn any_unpacked(&self) -> bool {
        self.scales.iter().any(|&s| s as u32 > MAX_SCALE)
    }

    /// Checks `count` numbers and their texts, and reads them in order.
    pub fn reader(self, count: usize, what: &str) -> Result<NumbersReader<'a>, String> {
        if self.mantissas.len() != count || self.scales.len() != count {
            return Err(format!("{what}: {} mantissas and {} scales for {count} numbers", self.mantissas.len(), self.scales.len()));
        }
        let escaped = Escaped::new(self.texts, self.scales.iter().filter(|&&s| s == SCALE_TEXT).count(), what, "numbers")?;
        if let Some(s) = self.scales.iter().find(|&&s| s != SCALE_TEXT && s as u32 > MAX_SCALE) {
            return Err(format!("{what}: scale {s} is over {MAX_SCALE}"));
        }
        Ok(NumbersReader { n: self, escaped })
    }
}

/// Checked numbers, read in order (each number passed as text takes the next text).
pub struct NumbersReader<'a> {
    n: NumbersView<'a>,
    escaped: Escaped<'a>,
}

impl<'a> NumbersReader<'a> {
    /// Whether number `i` is passed as text (it must be read, even on an empty row, to keep the order).
    #[inline]
    pub fn is_text(&self, i: usize) -> bool {
        self.n.scales[i] == SCALE_TEXT
    }

    /// The text of number `i`; numbers passed as text are read in order.
    pub fn at(&mut self, i: usize) -> Cow<'a, str> {
        if self.n.scales[i] == SCALE_TEXT { self.escaped.take() } else { Cow::Owned(unpack_decimal(self.n.mantissas[i], self.n.scales[i])) }
    }
}

/// Dates as received. [`DatesView::reader`] checks them.
#[derive(Clone, Copy)]
pub struct DatesView<'a> {
    pub days: &'a [i32],
    pub texts: TextsView<'a>,
}

impl<'a> DatesView<'a> {
    /// The day numbers and the buffer and ends of their texts.
    pub fn new(days: &'a [i32], data: &'a str, ends: &'a [u32]) -> DatesView<'a> {
        DatesView { days, texts: TextsView::new(data, ends) }
    }

    /// Whether any date is passed as text or is outside the years 0000 to 9999
    /// (so not every one is ten bytes of text).
    pub fn any_unpacked(&self) -> bool {
        self.days.iter().any(|&x| !(FIRST_DAY..=LAST_DAY).contains(&x))
    }

    /// Checks `count` dates and their texts, and reads them in order.
    pub fn reader(self, count: usize, what: &str) -> Result<DatesReader<'a>, String> {
        if self.days.len() != count {
            return Err(format!("{what}: {} days for {count} dates", self.days.len()));
        }
        let escaped = Escaped::new(self.texts, self.days.iter().filter(|&&x| x == DAY_TEXT).count(), what, "dates")?;
        Ok(DatesReader { d: self, escaped })
    }
}

/// Checked dates, read in order (each date passed as text takes the next text).
pub struct DatesReader<'a> {
    d: DatesView<'a>,
    escaped: Escaped<'a>,
}

impl<'a> DatesReader<'a> {
    /// Whether date `i` is passed as text (it must be read, even on an empty row, to keep the order).
    #[inline]
    pub fn is_text(&self, i: usize) -> bool {
        self.d.days[i] == DAY_TEXT
    }

    /// The text of date `i`; dates passed as text are read in order.
    pub fn at(&mut self, i: usize) -> Cow<'a, str> {
        if self.d.days[i] == DAY_TEXT { self.escaped.take() } else { Cow::Owned(unpack_date(self.d.days[i])) }
    }
}

// ---- values and kinds --------------------------------------------------------------

/// The kind of a value (the WIT's `value-kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Number,
    Text,
    Date,
    Boolean,
}

/// A value to pack, borrowed from a side's own `Value`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ValueRef<'a> {
    Empty,
    Number(&'a str),
    /// A number already packed: the mantissa and scale [`pack_decimal`] gives
    /// for its canonical text (so a scale of at most [`MAX_SCALE`], never
    /// [`SCALE_TEXT`]). It saves a side that holds exact decimals writing
    /// each one as text for the packer to read back.
    Packed(i64, u8),
    Text(&'a str),
    Date(&'a str),
    Boolean(bool),
}

/// A value unpacked, for a side to make its own `Value` from.
#[derive(Debug, Clone, PartialEq)]
pub enum Unpacked<'a> {
    Empty,
    Number(Cow<'a, str>),
    Text(&'a str),
    Date(Cow<'a, str>),
    Boolean(bool),
}

/// A side's own `Value` (the WIT's `value`), see [`wire_types!`].
pub trait WireValue {
    fn wire(&self) -> ValueRef<'_>;
    fn from_wire(v: Unpacked<'_>) -> Self;
}

/// A side's own `ValueKind` (the WIT's `value-kind`), see [`wire_types!`].
pub trait WireKind: Copy {
    fn kind(self) -> Kind;
    fn of(kind: Kind) -> Self;
}

/// Implements [`WireValue`] and [`WireKind`] for a side's generated `value`
/// and `value-kind` types (`wire_types!(Value, ValueKind)`).
#[macro_export]
macro_rules! wire_types {
    ($value:ty, $kind:ty) => {
        impl $crate::WireValue for $value {
            #[inline]
            fn wire(&self) -> $crate::ValueRef<'_> {
                match self {
                    Self::Empty => $crate::ValueRef::Empty,
                    Self::Number(t) => $crate::ValueRef::Number(t),
                    Self::Text(t) => $crate::ValueRef::Text(t),
                    Self::Date(t) => $crate::ValueRef::Date(t),
                    Self::Boolean(b) => $crate::ValueRef::Boolean(*b),
                }
            }

            #[inline]
            fn from_wire(v: $crate::Unpacked<'_>) -> Self {
                match v {
                    $crate::Unpacked::Empty => Self::Empty,
                    $crate::Unpacked::Number(t) => Self::Number(t.into_owned()),
                    $crate::Unpacked::Text(t) => Self::Text(t.to_string()),
                    $crate::Unpacked::Date(t) => Self::Date(t.into_owned()),
                    $crate::Unpacked::Boolean(b) => Self::Boolean(b),
                }
            }
        }

        impl $crate::WireKind for $kind {
            #[inline]
            fn kind(self) -> $crate::Kind {
                match self {
                    Self::Number => $crate::Kind::Number,
                    Self::Text => $crate::Kind::Text,
                    Self::Date => $crate::Kind::Date,
                    Self::Boolean => $crate::Kind::Boolean,
                }
            }

            #[inline]
            fn of(kind: $crate::Kind) -> Self {
                match kind {
                    $crate::Kind::Number => Self::Number,
                    $crate::Kind::Text => Self::Text,
                    $crate::Kind::Date => Self::Date,
                    $crate::Kind::Boolean => Self::Boolean,
                }
            }
        }
    };
}

// ---- columns out -----------------------------------------------------------------

/// The kinds of the columns of a table, seen row by row: one kind, several
/// (`mixed`), and the text bytes (to size the buffers once).
pub struct KindScan {
    kinds: Vec<Option<Kind>>,
    mixed: Vec<bool>,
    bytes: Vec<usize>,
}

impl KindScan {
    pub fn new(columns: usize) -> KindScan {
        KindScan { kinds: vec![None; columns], mixed: vec![false; columns], bytes: vec![0; columns] }
    }

    /// Sees the value of column `j` in the next row.
    #[inline]
    pub fn see(&mut self, j: usize, v: ValueRef<'_>) {
        let k = match v {
            ValueRef::Empty => return,
            ValueRef::Number(_) | ValueRef::Packed(..) => Kind::Number,
            ValueRef::Text(t) => {
                self.bytes[j] += t.len();
                Kind::Text
            }
            ValueRef::Date(_) => Kind::Date,
            ValueRef::Boolean(_) => Kind::Boolean,
        };
        match self.kinds[j] {
            None => self.kinds[j] = Some(k),
            Some(a) if a != k => self.mixed[j] = true,
            _ => {}
        }
    }

    /// One builder per column, for `rows` rows.
    pub fn builders<K: WireKind>(&self, rows: usize) -> Vec<ColumnOut<K>> {
        (0..self.kinds.len()).map(|j| ColumnOut::new(self.kinds[j], self.mixed[j], rows, self.bytes[j])).collect()
    }
}

/// The values of a packed column (the WIT's `column-values`), `K` the side's `ValueKind`.
pub enum Values<K> {
    Numbers(NumbersOut),
    Texts(TextsOut),
    Dates(DatesOut),
    Booleans(Vec<u8>),
    Mixed(Mixed<K>),
}

/// The values of a column of several kinds (the WIT's `mixed-values`).
pub struct Mixed<K> {
    pub kinds: Vec<K>,
    pub numbers: NumbersOut,
    pub texts: TextsOut,
    pub dates: DatesOut,
    pub booleans: Vec<u8>,
}

/// A packed column (the WIT's `column`).
pub struct Column<K> {
    pub present: Vec<u8>,
    pub values: Values<K>,
}

impl<K> Column<K> {
    /// The column as the other side receives it.
    pub fn view(&self) -> ValuesView<'_, K> {
        match &self.values {
            Values::Numbers(x) => ValuesView::Numbers(x.view()),
            Values::Texts(x) => ValuesView::Texts(x.view()),
            Values::Dates(x) => ValuesView::Dates(x.view()),
            Values::Booleans(x) => ValuesView::Booleans(x),
            Values::Mixed(m) => ValuesView::Mixed {
                kinds: &m.kinds,
                numbers: m.numbers.view(),
                texts: m.texts.view(),
                dates: m.dates.view(),
                booleans: &m.booleans,
            },
        }
    }
}

enum Builder<K> {
    /// No value yet ([`ColumnOut::streaming`]): the number of empty rows so far.
    Unset(usize),
    Numbers(NumbersOut),
    Texts(TextsOut),
    Dates(DatesOut),
    Booleans(Bits),
    Mixed {
        kinds: Vec<K>,
        numbers: NumbersOut,
        texts: TextsOut,
        dates: DatesOut,
        booleans: Bits,
    },
}

/// A column under construction: its kind decided beforehand ([`KindScan`]),
/// or learnt from the values as they come ([`ColumnOut::streaming`]).
pub struct ColumnOut<K> {
    present: Bits,
    values: Builder<K>,
    /// The rows expected when streaming ([`ColumnOut::streaming_for`]):
    /// room made for them once the column's kind is known.
    expect: usize,
}

impl ValueRef<'_> {
    /// The value's kind; `None` when empty.
    #[inline]
    fn kind(&self) -> Option<Kind> {
        match self {
            ValueRef::Empty => None,
            ValueRef::Number(_) | ValueRef::Packed(..) => Some(Kind::Number),
            ValueRef::Text(_) => Some(Kind::Text),
            ValueRef::Date(_) => Some(Kind::Date),
            ValueRef::Boolean(_) => Some(Kind::Boolean),
        }
    }
}

impl<K> Builder<K> {
    /// Whether a value of kind `k` goes in as it is.
    #[inline]
    fn takes(&self, k: Kind) -> bool {
        match self {
            Builder::Unset(_) => false,
            Builder::Numbers(_) => k == Kind::Number,
            Builder::Texts(_) => k == Kind::Text,
            Builder::Dates(_) => k == Kind::Date,
            Builder::Booleans(_) => k == Kind::Boolean,
            Builder::Mixed { .. } => true,
        }
    }

    /// A builder of one kind holding `empties` empty rows, with room for
    /// `expect` rows in all (the text of texts excepted).
    fn of_kind(k: Kind, empties: usize, expect: usize) -> Builder<K> {
        let room = expect.max(empties);
        match k {
            Kind::Number => {
                let mut n = NumbersOut::with_capacity(room);
                n.mantissas.resize(empties, 0);
                n.scales.resize(empties, 0);
                Builder::Numbers(n)
            }
            Kind::Text => {
                let mut t = TextsOut::with_capacity(room, 0);
                t.ends.resize(empties, 0);
                Builder::Texts(t)
            }
            Kind::Date => {
                let mut d = DatesOut::with_capacity(room);
                d.days.resize(empties, 0);
                Builder::Dates(d)
            }
            Kind::Boolean => {
                let mut b = Bits::with_capacity(room);
                (0..empties).for_each(|_| b.push(false));
                Builder::Booleans(b)
            }
        }
    }
}

impl<K: WireKind> Builder<K> {
    /// The same rows as a mixed column: the placeholders of the empty rows
    /// (clear in `present`) dropped, every present row of the one kind.
    fn into_mixed(self, present: &Bits) -> Builder<K> {
        let keep = |i: usize| bit(&present.bytes, i);
        let kept = |n: usize| (0..n).filter(|&i| keep(i));
        let (mut numbers, mut texts, mut dates, mut booleans) =
            (NumbersOut::default(), TextsOut::default(), DatesOut::default(), Bits::default());
        let kind = match self {
            Builder::Unset(_) | Builder::Mixed { .. } => return self,
            Builder::Numbers(n) => {
                numbers.mantissas = kept(n.mantissas.len()).map(|i| n.mantissas[i]).collect();
                numbers.scales = kept(n.scales.len()).map(|i| n.scales[i]).collect();
                // Only present rows pass a number as text, in row order.
                numbers.texts = n.texts;
                Kind::Number
            }
            Builder::Texts(t) => {
                // An empty row adds no bytes, so the buffer holds exactly the present rows' texts.
                texts.ends = kept(t.ends.len()).map(|i| t.ends[i]).collect();
                texts.data = t.data;
                Kind::Text
            }
            Builder::Dates(d) => {
                dates.days = kept(d.days.len()).map(|i| d.days[i]).collect();
                dates.texts = d.texts;
                Kind::Date
            }
            Builder::Booleans(b) => {
                kept(b.len).for_each(|i| booleans.push(bit(&b.bytes, i)));
                Kind::Boolean
            }
        };
        let count = kept(present.len).count();
        Builder::Mixed { kinds: vec![K::of(kind); count], numbers, texts, dates, booleans }
    }
}

impl<K> Default for ColumnOut<K> {
    /// A streaming column ([`ColumnOut::streaming`]).
    fn default() -> ColumnOut<K> {
        ColumnOut { present: Bits::default(), values: Builder::Unset(0), expect: 0 }
    }
}

impl<K: WireKind> ColumnOut<K> {
    fn new(kind: Option<Kind>, mixed: bool, rows: usize, text_bytes: usize) -> ColumnOut<K> {
        // A column without a value in any row goes as booleans, one bit per
        // row (all clear), the smallest of the kinds; see `finish`.
        let values = match (mixed, kind.unwrap_or(Kind::Boolean)) {
            (true, _) => Builder::Mixed {
                kinds: Vec::with_capacity(rows),
                numbers: NumbersOut::default(),
                texts: TextsOut::with_capacity(0, text_bytes),
                dates: DatesOut::default(),
                booleans: Bits::default(),
            },
            (false, Kind::Number) => Builder::Numbers(NumbersOut::with_capacity(rows)),
            (false, Kind::Text) => Builder::Texts(TextsOut::with_capacity(rows, text_bytes)),
            (false, Kind::Date) => Builder::Dates(DatesOut::with_capacity(rows)),
            (false, Kind::Boolean) => Builder::Booleans(Bits::with_capacity(rows)),
        };
        ColumnOut { present: Bits::with_capacity(rows), values, expect: rows }
    }

    /// A column that learns its kind from its values: one kind while they
    /// are of one kind, `mixed` from the first value of another. For values
    /// made one row at a time and never held all at once (the SDK's result
    /// tables); the buffers grow as they come.
    pub fn streaming() -> ColumnOut<K> {
        ColumnOut::default()
    }

    /// A streaming column expecting about `rows` rows: its buffers are made
    /// at that size once its kind is known, rather than doubling as the rows
    /// come (a 100,000-row result table otherwise holds up to a third more
    /// memory than its values, and each move holds the old buffer and the new).
    pub fn streaming_for(rows: usize) -> ColumnOut<K> {
        ColumnOut { present: Bits::with_capacity(rows), values: Builder::Unset(0), expect: rows }
    }

    /// The number of rows so far.
    pub fn len(&self) -> usize {
        self.present.len
    }

    pub fn is_empty(&self) -> bool {
        self.present.len == 0
    }

    /// Adds the next row's value: of the kind scanned or, when streaming, any kind.
    #[inline]
    pub fn push(&mut self, v: ValueRef<'_>) {
        if let Some(k) = v.kind()
            && !self.values.takes(k)
        {
            self.values = match std::mem::replace(&mut self.values, Builder::Unset(0)) {
                Builder::Unset(empties) => Builder::of_kind(k, empties, self.expect),
                one_kind => one_kind.into_mixed(&self.present),
            };
        }
        self.present.push(!matches!(v, ValueRef::Empty));
        match (&mut self.values, v) {
            (Builder::Unset(empties), _) => *empties += 1,
            (Builder::Numbers(out), ValueRef::Number(t)) => out.push(t),
            (Builder::Numbers(out), ValueRef::Packed(m, s)) => out.push_packed(m, s),
            (Builder::Numbers(out), _) => out.push_empty(),
            (Builder::Texts(out), ValueRef::Text(t)) => {
                if out.data.len() + t.len() > out.data.capacity() {
                    out.make_room(t.len(), self.expect);
                }
                out.push(t)
            }
            (Builder::Texts(out), _) => out.push(""),
            (Builder::Dates(out), ValueRef::Date(t)) => out.push(t),
            (Builder::Dates(out), _) => out.push_empty(),
            (Builder::Booleans(out), v) => out.push(matches!(v, ValueRef::Boolean(true))),
            (Builder::Mixed { kinds, numbers, texts, dates, booleans }, v) => {
                let k = match v {
                    ValueRef::Empty => return,
                    ValueRef::Number(t) => {
                        numbers.push(t);
                        Kind::Number
                    }
                    ValueRef::Packed(m, s) => {
                        numbers.push_packed(m, s);
                        Kind::Number
                    }
                    ValueRef::Text(t) => {
                        texts.push(t);
                        Kind::Text
                    }
                    ValueRef::Date(t) => {
                        dates.push(t);
                        Kind::Date
                    }
                    ValueRef::Boolean(b) => {
                        booleans.push(b);
                        Kind::Boolean
                    }
                };
                kinds.push(K::of(k));
            }
        }
    }

    pub fn finish(self) -> Column<K> {
        let values = match self.values {
            // No value at all: every row is empty whatever the kind (its
            // `present` bit is clear), so the column goes as booleans, one
            // clear bit per row, as a scanned column with no kind does. A
            // texts column of empty rows took four bytes a row: for an
            // inventory's unused optional columns and a result table's
            // unused ones, some 5 MB of the plugin's memory per 100,000 rows.
            Builder::Unset(empties) => Values::Booleans(vec![0; empties.div_ceil(8)]),
            Builder::Numbers(n) => Values::Numbers(n),
            Builder::Texts(t) => Values::Texts(t),
            Builder::Dates(d) => Values::Dates(d),
            Builder::Booleans(b) => Values::Booleans(b.into_bytes()),
            Builder::Mixed { kinds, numbers, texts, dates, booleans } => {
                Values::Mixed(Mixed { kinds, numbers, texts, dates, booleans: booleans.into_bytes() })
            }
        };
        Column { present: self.present.into_bytes(), values }
    }
}

/// Values (one per row) as a column: one typed list when they are of one
/// kind, `mixed` otherwise.
pub fn pack_column<'v, K: WireKind>(values: impl Iterator<Item = ValueRef<'v>> + Clone) -> Column<K> {
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

/// Optional numbers (decimal text) as a numbers column.
pub fn optional_numbers<'s, K>(items: impl Iterator<Item = Option<&'s str>> + Clone) -> Column<K> {
    let n = items.clone().count();
    let mut present = Bits::with_capacity(n);
    let mut out = NumbersOut::with_capacity(n);
    for v in items {
        present.push(v.is_some());
        match v {
            Some(t) => out.push(t),
            None => out.push_empty(),
        }
    }
    Column { present: present.into_bytes(), values: Values::Numbers(out) }
}

/// Optional texts as a texts column.
pub fn optional_texts<'s, K>(items: impl Iterator<Item = Option<&'s str>> + Clone) -> Column<K> {
    let n = items.clone().count();
    let mut present = Bits::with_capacity(n);
    for v in items.clone() {
        present.push(v.is_some());
    }
    Column { present: present.into_bytes(), values: Values::Texts(texts(items.map(|v| v.unwrap_or("")))) }
}

// ---- columns in ------------------------------------------------------------------

/// The values of a column as received (the WIT's `column-values`).
pub enum ValuesView<'a, K> {
    Numbers(NumbersView<'a>),
    Texts(TextsView<'a>),
    Dates(DatesView<'a>),
    Booleans(&'a [u8]),
    Mixed { kinds: &'a [K], numbers: NumbersView<'a>, texts: TextsView<'a>, dates: DatesView<'a>, booleans: &'a [u8] },
}

/// Unpacks a column of `rows` values, checking every length; `value` makes
/// each side's own value.
pub fn unpack_column<'a, K: WireKind, V>(
    present: &'a [u8],
    values: ValuesView<'a, K>,
    rows: usize,
    what: &str,
    mut value: impl FnMut(Unpacked<'a>) -> V,
) -> Result<Vec<V>, String> {
    check_bits(present, rows, what)?;
    let present = |i: usize| bit(present, i);
    let mut out = Vec::with_capacity(rows);
    match values {
        ValuesView::Numbers(n) => {
            let mut n = n.reader(rows, what)?;
            for i in 0..rows {
                // A number passed as text is read even where the row is empty, to keep the order.
                let text = if n.is_text(i) || present(i) { Some(n.at(i)) } else { None };
                out.push(value(match text {
                    Some(t) if present(i) => Unpacked::Number(t),
                    _ => Unpacked::Empty,
                }));
            }
        }
        ValuesView::Texts(t) => {
            let t = t.check_len(rows, what)?;
            out.extend((0..rows).map(|i| value(if present(i) { Unpacked::Text(t.get(i)) } else { Unpacked::Empty })));
        }
        ValuesView::Dates(d) => {
            let mut d = d.reader(rows, what)?;
            for i in 0..rows {
                let text = if d.is_text(i) || present(i) { Some(d.at(i)) } else { None };
                out.push(value(match text {
                    Some(t) if present(i) => Unpacked::Date(t),
                    _ => Unpacked::Empty,
                }));
            }
        }
        ValuesView::Booleans(b) => {
            check_bits(b, rows, what)?;
            out.extend((0..rows).map(|i| value(if present(i) { Unpacked::Boolean(bit(b, i)) } else { Unpacked::Empty })));
        }
        ValuesView::Mixed { kinds, numbers, texts, dates, booleans } => {
            let count = |k: Kind| kinds.iter().filter(|&&x| x.kind() == k).count();
            let present_rows = (0..rows).filter(|&i| present(i)).count();
            if kinds.len() != present_rows {
                return Err(format!("{what}: {} kinds for {present_rows} values", kinds.len()));
            }
            let mut numbers = numbers.reader(count(Kind::Number), what)?;
            let texts = texts.check_len(count(Kind::Text), what)?;
            let mut dates = dates.reader(count(Kind::Date), what)?;
            check_bits(booleans, count(Kind::Boolean), what)?;
            let (mut ni, mut ti, mut di, mut bi, mut k) = (0, 0, 0, 0, 0);
            for i in 0..rows {
                if !present(i) {
                    out.push(value(Unpacked::Empty));
                    continue;
                }
                let v = match kinds[k].kind() {
                    Kind::Number => {
                        ni += 1;
                        Unpacked::Number(numbers.at(ni - 1))
                    }
                    Kind::Text => {
                        ti += 1;
                        Unpacked::Text(texts.get(ti - 1))
                    }
                    Kind::Date => {
                        di += 1;
                        Unpacked::Date(dates.at(di - 1))
                    }
                    Kind::Boolean => {
                        bi += 1;
                        Unpacked::Boolean(bit(booleans, bi - 1))
                    }
                };
                k += 1;
                out.push(value(v));
            }
        }
    }
    Ok(out)
}

// ---- references ------------------------------------------------------------------

/// How the cells of one column are referred to (the WIT's `column-origin`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnOrigin {
    /// "<sheet>!<letter><row>".
    Letter(String),
    /// "<row reference>.<field>".
    Field(String),
    /// "<row reference>, <label>".
    Absent(String),
}

/// Where a table's cells came from (the WIT's `origin`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub sheet: String,
    /// `true`: rows are "<sheet>[n]"; `false`: "<sheet>!n".
    pub indexed: bool,
    pub first_row: u32,
    /// The row numbers when rows were skipped; empty when they follow `first_row`.
    pub row_numbers: Vec<u32>,
    pub columns: Vec<ColumnOrigin>,
    pub exception_rows: Vec<u32>,
    pub exception_columns: Vec<u32>,
    pub exceptions: String,
    pub exception_ends: Vec<u32>,
}

impl Origin {
    /// Whether the origin fits a table of `columns` columns: one origin per
    /// column, one text per exception, exceptions sorted by (row, column).
    pub fn is_consistent(&self, columns: usize) -> bool {
        let n = self.exception_rows.len();
        let texts = TextsView::new(&self.exceptions, &self.exception_ends);
        self.columns.len() == columns
            && self.exception_columns.len() == n
            && texts.len() == n
            && texts.is_valid()
            && (1..n)
                .all(|k| (self.exception_rows[k - 1], self.exception_columns[k - 1]) < (self.exception_rows[k], self.exception_columns[k]))
    }

    /// The number of row `i` in its sheet.
    #[inline]
    pub fn row_number(&self, i: usize) -> u32 {
        self.row_numbers.get(i).copied().unwrap_or_else(|| self.first_row.wrapping_add(i as u32))
    }

    /// The reference that follows no pattern, if row `i`, column `j` has one
    /// (`j` = number of columns: the row's own). The origin must be consistent.
    pub fn exception(&self, i: usize, j: usize) -> Option<&str> {
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
        (lo < self.exception_rows.len() && at(lo) == key).then(|| TextsView::new(&self.exceptions, &self.exception_ends).get(lo))
    }

    /// Appends the pattern's reference of row `i`: "<sheet>!12" or "<sheet>[12]".
    pub fn push_row_ref(&self, out: &mut String, i: usize) {
        out.push_str(&self.sheet);
        out.push(if self.indexed { '[' } else { '!' });
        push_u32(out, self.row_number(i));
        if self.indexed {
            out.push(']');
        }
    }

    /// The length in bytes of what [`Origin::push_row_ref`] appends.
    fn row_ref_len(&self, i: usize) -> usize {
        self.sheet.len() + if self.indexed { 2 } else { 1 } + digits(self.row_number(i))
    }

    /// The length in bytes of what [`Origin::push_row_source`] appends, without writing it.
    pub fn row_source_len(&self, i: usize) -> usize {
        self.exception(i, self.columns.len()).map_or_else(|| self.row_ref_len(i), str::len)
    }

    /// The length in bytes of what [`Origin::push_cell_ref`] appends, without
    /// writing it: room for many references can be made once, at its size.
    pub fn cell_ref_len(&self, i: usize, j: usize) -> usize {
        if let Some(e) = self.exception(i, j) {
            return e.len();
        }
        match &self.columns[j] {
            ColumnOrigin::Letter(l) => self.sheet.len() + 1 + l.len() + digits(self.row_number(i)),
            ColumnOrigin::Field(f) => self.row_ref_len(i) + 1 + f.len(),
            ColumnOrigin::Absent(label) => self.row_ref_len(i) + 2 + label.len(),
        }
    }

    /// The reference of row `i`.
    pub fn row_ref(&self, i: usize) -> String {
        let mut s = String::with_capacity(self.sheet.len() + 12);
        self.push_row_source(&mut s, i);
        s
    }

    /// Appends the reference of row `i` (as [`Origin::row_ref`] gives it,
    /// an exception included) to `out`.
    pub fn push_row_source(&self, out: &mut String, i: usize) {
        match self.exception(i, self.columns.len()) {
            Some(e) => out.push_str(e),
            None => self.push_row_ref(out, i),
        }
    }

    /// The reference of the cell in row `i`, column `j`, e.g. "Emission sources!C12".
    pub fn cell_ref(&self, i: usize, j: usize) -> String {
        let mut s = String::with_capacity(self.sheet.len() + 24);
        self.push_cell_ref(&mut s, i, j);
        s
    }

    /// Appends the reference of the cell in row `i`, column `j` (as
    /// [`Origin::cell_ref`] gives it) to `out`, for a list of many references
    /// written into one buffer.
    pub fn push_cell_ref(&self, out: &mut String, i: usize, j: usize) {
        if let Some(e) = self.exception(i, j) {
            return out.push_str(e);
        }
        match &self.columns[j] {
            ColumnOrigin::Letter(l) => {
                out.push_str(&self.sheet);
                out.push('!');
                out.push_str(l);
                push_u32(out, self.row_number(i));
            }
            ColumnOrigin::Field(f) => {
                self.push_row_ref(out, i);
                out.push('.');
                out.push_str(f);
            }
            ColumnOrigin::Absent(label) => {
                self.push_row_ref(out, i);
                out.push_str(", ");
                out.push_str(label);
            }
        }
    }
}

/// The number of decimal digits of `n` ([`push_u32`] writes that many).
#[inline]
pub fn digits(n: u32) -> usize {
    n.checked_ilog10().map_or(1, |d| d as usize + 1)
}

/// Appends the decimal digits of `n` (without the formatting machinery: a
/// reference is made for nearly every input row).
#[inline]
pub fn push_u32(out: &mut String, mut n: u32) {
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

#[cfg(test)]
mod tests;
