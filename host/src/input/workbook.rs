//! Reading input workbooks (.xlsx, .xlsm, .xls, .ods) into raw tables, guided
//! by what the plugin declares.
//!
//! - A sheet is matched by its declared Chinese or English name, its key, or
//!   the template's "中文 English" name (case and spacing ignored).
//! - The header row is found among the first rows (titles above it, merged or
//!   not, are skipped); a header cell names a column in Chinese, English or by
//!   key, optionally followed by its unit in brackets: `排放量 [万吨]`,
//!   `Emissions (kt)`, `排放量（tCO2）`.
//! - Blank rows are skipped; formula cells give their cached values; Excel
//!   dates and ISO text dates both work. Unknown columns are ignored.
//!
//! Problems are collected, never fatal one by one, so the user sees all of them.
//!
//! Reading is bounded (`super::limits`): the file must be a regular file within
//! `file-mib`; its structure is scanned first (`super::prescan`) so that no
//! declared size, position or repeat makes the reader build more than the
//! limits allow; an .xlsx sheet is streamed cell by cell and only the cells
//! present are kept (a stray value in XFD1048576 is one cell, not a grid of
//! seventeen billion); the reader runs on its own thread within `secs`, and a
//! panic in it is reported as an unreadable workbook (`super::guard`).

use std::collections::{BTreeMap, HashMap};
use std::io::Cursor;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use calamine::{Data, Reader};

use crate::contract::{SheetSpec, ValueKind};
use crate::input::guard::{self, Stopped};
use crate::input::limits::{self, InputLimits};
use crate::input::prescan::{self, Format, Scan, XlsxLayout};
use crate::input::{CellPrefixes, Cells, InputProblem, RawCell, RawRow, RawTable, RawValue};

/// Spreadsheet error values: the classic seven and the newer ones (dynamic
/// arrays, data types, linked data), reported per cell alike.
pub(crate) const EXCEL_ERRORS: &[&str] = &[
    "#DIV/0!",
    "#N/A",
    "#VALUE!",
    "#REF!",
    "#NAME?",
    "#NUM!",
    "#NULL!",
    "#GETTING_DATA",
    "#SPILL!",
    "#CALC!",
    "#FIELD!",
    "#BLOCKED!",
    "#CONNECT!",
    "#UNKNOWN!",
    "#BUSY!",
    "#EXTERNAL!",
    "#PYTHON!",
    "#TIMEOUT!",
];

/// The largest Excel date serial: 2958465 is 9999-12-31 (1 is 1900-01-01).
const LAST_DATE_SERIAL: f64 = 2_958_465.0;

/// How many rows from the top may hold titles before the header.
const HEADER_SEARCH_ROWS: usize = 30;

fn norm(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace() && *c != '_' && *c != '-').flat_map(char::to_lowercase).collect()
}

/// Column letters for a zero-based index: 0 → A, 26 → AA (rust_xlsxwriter's
/// helper; an index past Excel's last column, XFD, saturates there).
pub fn col_letter(i: u32) -> String {
    rust_xlsxwriter::utility::column_number_to_name(i.min(16_383) as u16)
}

/// Splits "排放量 Emissions [万吨]" into ("排放量 Emissions", Some("万吨")).
pub(crate) fn split_unit(header: &str) -> (String, Option<String>) {
    let h = header.trim();
    for (open, close) in [('[', ']'), ('(', ')'), ('（', '）'), ('【', '】')] {
        if h.ends_with(close)
            && let Some(start) = h.rfind(open)
        {
            let unit = h[start + open.len_utf8()..h.len() - close.len_utf8()].trim().to_string();
            let name = h[..start].trim().to_string();
            if !name.is_empty() {
                return (name, (!unit.is_empty()).then_some(unit));
            }
        }
    }
    (h.to_string(), None)
}

/// The names a declared sheet may have in a workbook: Chinese, English, key,
/// both languages, and the template's sheet name (unnormalised: the
/// workbook reader and the layout reader each fold them their own way).
pub(crate) fn sheet_name_candidates(spec: &SheetSpec) -> [String; 5] {
    [
        spec.name.zh.clone(),
        spec.name.en.clone(),
        spec.key.clone(),
        format!("{} {}", spec.name.zh, spec.name.en),
        crate::input::template::sheet_name(&spec.name.zh, &spec.name.en),
    ]
}

/// The names a sheet's columns may be given in a header (Chinese, English,
/// key, or both languages), normalised once per sheet: the header search
/// tries every text cell of the top rows against them.
struct HeaderNames(HashMap<String, usize>);

impl HeaderNames {
    fn of(spec: &SheetSpec) -> HeaderNames {
        let mut names = HashMap::new();
        for (i, c) in spec.columns.iter().enumerate() {
            for x in [c.name.zh.as_str(), c.name.en.as_str(), c.key.as_str(), &format!("{} {}", c.name.zh, c.name.en)] {
                names.entry(norm(x)).or_insert(i);
            }
        }
        HeaderNames(names)
    }

    /// Which column a header names, if any, with the unit it gives.
    fn column_for(&self, header: &str) -> Option<(usize, Option<String>)> {
        let (name, unit) = split_unit(header);
        let n = norm(&name);
        if n.is_empty() {
            return None;
        }
        self.0.get(&n).map(|&i| (i, unit))
    }
}

fn cell_text(d: &Cell) -> Option<&str> {
    match d {
        Cell::Data(Data::String(s)) => Some(s),
        _ => None,
    }
}

/// A cell as read: a value, or an error value the reader has no name for
/// (`#SPILL!` in an .xlsx), kept with its text.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Data(Data),
    Error(String),
}

/// A sheet as read: only the cells present, by row then column (0-based).
#[derive(Debug, Default, Clone)]
struct Sparse {
    rows: BTreeMap<u32, Vec<(u32, Cell)>>,
}

impl Sparse {
    fn push(&mut self, (r, c): (u32, u32), cell: Cell) {
        self.rows.entry(r).or_default().push((c, cell));
    }

    fn from_range(range: &calamine::Range<Data>) -> Sparse {
        let mut s = Sparse::default();
        let (r0, c0) = range.start().unwrap_or((0, 0));
        for (r, c, d) in range.used_cells() {
            s.push((r0 + r as u32, c0 + c as u32), Cell::Data(d.clone()));
        }
        s
    }
}

/// A sheet's cells as read (only those present), for the declared layouts.
pub struct Grid(Arc<Sparse>);

impl Grid {
    /// The rows that hold cells, top to bottom (0-based).
    pub fn rows(&self) -> Vec<u32> {
        self.0.rows.keys().copied().collect()
    }

    /// The columns with a cell in row `r`, left to right (0-based).
    pub fn columns(&self, r: u32) -> Vec<u32> {
        let mut cols: Vec<u32> = self.0.rows.get(&r).map(|cells| cells.iter().map(|(c, _)| *c).collect()).unwrap_or_default();
        cols.sort_unstable();
        cols
    }

    /// The value at (`r`, `c`), read as for a column of `kind`.
    pub fn value(&self, r: u32, c: u32, kind: ValueKind) -> RawValue {
        self.0
            .rows
            .get(&r)
            .and_then(|cells| cells.iter().find(|(cc, _)| *cc == c))
            .map(|(_, cell)| raw_value(cell, kind))
            .unwrap_or(RawValue::Empty)
    }

    /// The text shown at (`r`, `c`), trimmed: a label, or a number or date as text;
    /// `None` when empty or an error.
    pub fn text(&self, r: u32, c: u32) -> Option<String> {
        match self.value(r, c, ValueKind::Text) {
            RawValue::Text(t) if !t.trim().is_empty() => Some(t.trim().to_string()),
            RawValue::Number(n) => Some(n),
            RawValue::Date(d) => Some(d),
            _ => None,
        }
    }
}

/// Converts a spreadsheet cell into a raw value for a column of `kind`.
fn raw_value(cell: &Cell, kind: ValueKind) -> RawValue {
    let d = match cell {
        Cell::Error(e) => return RawValue::Error(e.clone()),
        Cell::Data(d) => d,
    };
    match d {
        Data::Empty => RawValue::Empty,
        Data::Int(i) => RawValue::Number(i.to_string()),
        Data::Float(f) => crate::decimal::from_f64(*f).map(RawValue::Number).unwrap_or_else(|| RawValue::Text(format!("{f:e}"))),
        Data::String(s) => {
            let t = s.trim();
            if t.is_empty() {
                RawValue::Empty
            } else if t.starts_with('#') && EXCEL_ERRORS.contains(&t) {
                // An error value stored as a formula's cached text.
                RawValue::Error(t.to_string())
            } else {
                RawValue::Text(t.to_string())
            }
        }
        Data::Bool(b) => RawValue::Bool(*b),
        Data::DateTime(dt) => {
            let serial = dt.as_f64();
            let number = || crate::decimal::from_f64(serial).map(RawValue::Number).unwrap_or_else(|| RawValue::Text(format!("{serial:e}")));
            if matches!(kind, ValueKind::Number) {
                // A date-formatted number in a number column: keep the number.
                number()
            } else if matches!(kind, ValueKind::Date) || dt.is_datetime() {
                // Serials before 1 (1900-01-01) or after 9999-12-31 are no dates:
                // the reader would clamp them to 1899-12-31 or 9999-12-31.
                let (y, m, d, ..) = dt.to_ymd_hms_milli();
                if !(1.0..LAST_DATE_SERIAL + 1.0).contains(&serial) || y < 1900 {
                    return number();
                }
                RawValue::Date(format!("{y:04}-{m:02}-{d:02}"))
            } else {
                number()
            }
        }
        Data::DateTimeIso(s) => {
            let date = s.get(..10).unwrap_or(s);
            if crate::rules::is_iso_date(date) { RawValue::Date(date.to_string()) } else { RawValue::Text(s.clone()) }
        }
        Data::DurationIso(s) => RawValue::Text(s.clone()),
        Data::Error(e) => RawValue::Error(e.to_string()),
    }
}

/// The file's bytes, shared by the reader and the scans.
#[derive(Clone)]
struct Bytes(Arc<[u8]>);

impl AsRef<[u8]> for Bytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

type XlsxReader = calamine::Xlsx<Cursor<Bytes>>;

/// Where the sheets come from.
enum Source {
    /// .xlsx/.xlsm: each sheet is streamed when first asked for. `None` once
    /// a read has been stopped (time up or a panic): the reader is gone.
    Xlsx { reader: Option<Box<XlsxReader>>, layout: Arc<XlsxLayout> },
    /// .xls and .ods: every sheet was read when the file was opened.
    Whole,
}

/// What opening a workbook gives: its sheet names, where its sheets come
/// from, and the sheets already read (all of them for .xls and .ods).
type Opened = (Vec<String>, Source, HashMap<String, Result<Arc<Sparse>, Vec<InputProblem>>>);

/// An opened workbook: each sheet is parsed at most once, however many
/// jurisdictions (each with its own declared sheets) read it.
pub struct Workbook {
    /// The file name, for messages.
    file: String,
    names: Vec<String>,
    source: Source,
    limits: InputLimits,
    /// When reading this file must be done by.
    deadline: Instant,
    parsed: HashMap<String, Result<Arc<Sparse>, Vec<InputProblem>>>,
    /// The SHA-256 of the bytes read: the digest of what was parsed.
    sha256: String,
}

fn unreadable(file: &str, sheet: &str, why: String) -> InputProblem {
    InputProblem {
        sheet: sheet.to_string(),
        cell: if sheet.is_empty() { file.to_string() } else { format!("{file}: {sheet}") },
        found: format!("an unreadable workbook ({why})"),
        expected_zh: "可读取的 .xlsx、.xlsm、.xls 或 .ods 工作簿".into(),
        expected_en: "a readable .xlsx, .xlsm, .xls or .ods workbook".into(),
    }
}

/// Why a bounded read stopped, as a problem with the file (and sheet).
fn stopped(file: &str, sheet: &str, limits: &InputLimits, s: Stopped) -> InputProblem {
    match s {
        Stopped::TimedOut => InputProblem {
            sheet: sheet.to_string(),
            cell: if sheet.is_empty() { file.to_string() } else { format!("{file}: {sheet}") },
            found: format!("a workbook that takes more than {} s to read", limits.secs),
            expected_zh: format!("在 {} 秒内读完的工作簿（可用 --input-limit secs=N 提高上限）", limits.secs),
            expected_en: format!("a workbook read within {} s ({})", limits.secs, limits::raise("secs")),
        },
        Stopped::Panicked(m) => {
            tracing::info!("{file}: the reader stopped: {m}");
            unreadable(file, sheet, "the reader stopped on damaged content; run with -v for details".into())
        }
    }
}

impl Workbook {
    /// Opens the workbook at `path` (.xlsx, .xlsm, .xls, .ods, told by its
    /// content) with the limits in force; .xlsx sheets are read when asked for.
    pub fn open(path: &Path) -> Result<Workbook, Vec<InputProblem>> {
        Workbook::open_with(path, &InputLimits::current())
    }

    /// [`Workbook::open`] with these limits.
    pub fn open_with(path: &Path, limits: &InputLimits) -> Result<Workbook, Vec<InputProblem>> {
        Workbook::open_reading(path, limits, None, None)
    }

    /// Opens the workbook and reads the .xlsx sheets `wanted` names (in the
    /// workbook's order) in the same hand-off to the reader thread: one per
    /// workbook instead of two. A read stopped by the time limit or a panic
    /// while reading a sheet fails the workbook, naming that sheet.
    fn open_reading(
        path: &Path,
        limits: &InputLimits,
        wanted: Option<Wanted>,
        read: Option<ReadBytes>,
    ) -> Result<Workbook, Vec<InputProblem>> {
        let file = path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
        let deadline = Instant::now() + limits.time();
        let (bytes, sha256) = match read {
            Some(r) => (Bytes(r.bytes), r.sha256),
            None => {
                let bytes = Bytes(guard::read_file(path, limits).map_err(|p| vec![p])?.into());
                let sha256 = crate::bundle::digest::sha256_hex(bytes.as_ref());
                (bytes, sha256)
            }
        };
        let format =
            prescan::sniff(bytes.as_ref()).map_err(|why| vec![InputProblem { found: why, ..unreadable(&file, "", String::new()) }])?;
        let (f, l) = (file.clone(), limits.clone());
        let b = bytes.clone();
        // The sheet being read, to name it if the read is stopped.
        let reading: Arc<std::sync::Mutex<String>> = Arc::default();
        let now_reading = reading.clone();
        let opened = guard::bounded(deadline, move || -> Result<Opened, InputProblem> {
            let scan = Scan { file: &f, limits: &l, deadline };
            match format {
                Format::Xlsx => {
                    let layout = prescan::xlsx_open(&b.0, &scan)?;
                    let mut reader = XlsxReader::new(Cursor::new(b.clone())).map_err(|e| unreadable(&f, "", e.to_string()))?;
                    let names = reader.sheet_names();
                    let mut parsed = HashMap::new();
                    for name in names.iter().filter(|n| wanted.as_ref().is_some_and(|w| w(n))) {
                        name.clone_into(&mut now_reading.lock().unwrap_or_else(|e| e.into_inner()));
                        let read = stream_sheet(&mut reader, &layout, &f, name, &l, deadline);
                        parsed.insert(name.clone(), read.map(Arc::new));
                    }
                    Ok((names, Source::Xlsx { reader: Some(Box::new(reader)), layout: Arc::new(layout) }, parsed))
                }
                Format::Ods | Format::Xls => {
                    let mut sheets = if format == Format::Ods {
                        prescan::ods(b.as_ref(), &scan)?;
                        calamine::Sheets::Ods(calamine::Ods::new(Cursor::new(b.clone())).map_err(|e| unreadable(&f, "", e.to_string()))?)
                    } else {
                        prescan::xls(b.as_ref(), &scan)?;
                        calamine::Sheets::Xls(calamine::Xls::new(Cursor::new(b.clone())).map_err(|e| unreadable(&f, "", e.to_string()))?)
                    };
                    let names = sheets.sheet_names();
                    let mut parsed = HashMap::new();
                    for n in &names {
                        let sheet = sheets
                            .worksheet_range(n)
                            .map(|r| Arc::new(Sparse::from_range(&r)))
                            .map_err(|e| vec![unreadable(&f, n, e.to_string())]);
                        parsed.insert(n.clone(), sheet);
                    }
                    Ok((names, Source::Whole, parsed))
                }
            }
        });
        let (names, source, parsed) = match opened {
            Ok(Ok(x)) => x,
            Ok(Err(p)) => return Err(vec![p]),
            Err(s) => {
                let sheet = reading.lock().unwrap_or_else(|e| e.into_inner()).clone();
                return Err(vec![stopped(&file, &sheet, limits, s)]);
            }
        };
        Ok(Workbook { file, names, source, limits: limits.clone(), deadline, parsed, sha256 })
    }

    /// The file name the workbook was opened from.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The SHA-256 (hex) of the file's bytes as read and parsed.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// The names of its sheets.
    pub fn sheet_names(&self) -> &[String] {
        &self.names
    }

    /// A sheet's cells, read once.
    fn sheet(&mut self, sheet: &str) -> Result<Arc<Sparse>, Vec<InputProblem>> {
        if let Some(done) = self.parsed.get(sheet) {
            return done.clone();
        }
        let result = match &mut self.source {
            Source::Whole => Err(vec![unreadable(&self.file, sheet, "no such sheet".into())]),
            Source::Xlsx { reader, layout } => match reader.take() {
                None => Err(vec![unreadable(&self.file, sheet, "an earlier read of this file was stopped".into())]),
                Some(mut r) => {
                    let (f, l, lay, name, deadline) =
                        (self.file.clone(), self.limits.clone(), layout.clone(), sheet.to_string(), self.deadline);
                    let outcome = guard::bounded(deadline, move || {
                        let read = stream_sheet(&mut r, &lay, &f, &name, &l, deadline);
                        (r, read)
                    });
                    match outcome {
                        Ok((r, read)) => {
                            *reader = Some(r);
                            read.map(Arc::new)
                        }
                        Err(s) => Err(vec![stopped(&self.file, sheet, &self.limits, s)]),
                    }
                }
            },
        };
        self.parsed.insert(sheet.to_string(), result.clone());
        result
    }

    /// Reads the .xlsx sheets among `sheets` not read yet, in that order, in
    /// one hand-off to the reader thread instead of one per sheet (futex calls
    /// in a batch of 200 entities: 6,835 before, 3,611 after). Each sheet's result
    /// is kept as [`Workbook::sheet`] would keep it; a read stopped by the time
    /// limit or a panic is charged to the sheet it was reading, and the sheets
    /// after it are left unread (asking for them later says the reader is gone).
    pub(crate) fn prefetch(&mut self, sheets: &[String]) {
        let mut todo: Vec<String> = Vec::new();
        for s in sheets {
            if !self.parsed.contains_key(s) && !todo.contains(s) && self.names.contains(s) {
                todo.push(s.clone());
            }
        }
        if todo.len() < 2 {
            return; // one sheet: `sheet` reads it the same way
        }
        let Source::Xlsx { reader, layout } = &mut self.source else { return };
        let Some(mut r) = reader.take() else { return };
        type Done = std::sync::Mutex<Vec<(String, Result<Sparse, Vec<InputProblem>>)>>;
        let done: Arc<Done> = Arc::default();
        let (f, l, lay, deadline, names, out) =
            (self.file.clone(), self.limits.clone(), layout.clone(), self.deadline, todo.clone(), done.clone());
        // The reader gives itself up when the time is up before a sheet
        // (`None`), so the stop is charged to that sheet whichever thread sees it first.
        let outcome = guard::bounded(deadline, move || {
            for name in names {
                if Instant::now() > deadline {
                    return None;
                }
                let read = stream_sheet(&mut r, &lay, &f, &name, &l, deadline);
                out.lock().unwrap_or_else(|e| e.into_inner()).push((name, read));
            }
            Some(r)
        });
        // A reader stopped mid-way may still be pushing: take what is there now.
        let finished = std::mem::take(&mut *done.lock().unwrap_or_else(|e| e.into_inner()));
        let count = finished.len();
        for (name, read) in finished {
            self.parsed.insert(name, read.map(Arc::new));
        }
        let stop = match outcome {
            Ok(Some(r)) => {
                *reader = Some(r);
                return;
            }
            Ok(None) => Stopped::TimedOut,
            Err(s) => s,
        };
        // Every sheet may have been read just as the time ran out: nothing to charge then.
        if let Some(sheet) = todo.get(count) {
            let problem = stopped(&self.file, sheet, &self.limits, stop);
            self.parsed.insert(sheet.clone(), Err(vec![problem]));
        }
    }

    /// A sheet's cells, for the layouts a plugin declares (`super::layout`);
    /// read once, shared with [`Workbook::tables`].
    pub fn grid(&mut self, sheet: &str) -> Result<Grid, Vec<InputProblem>> {
        self.sheet(sheet).map(Grid)
    }

    /// For each spec, the names of this workbook's sheets it matches.
    pub(crate) fn declared_sheets(&self, specs: &[SheetSpec]) -> Vec<Vec<String>> {
        let names: Vec<String> = self.names.iter().map(|n| norm(n)).collect();
        specs
            .iter()
            .map(|spec| {
                let candidates = sheet_name_candidates(spec).map(|c| norm(&c));
                self.names.iter().zip(&names).filter(|(_, n)| candidates.contains(n)).map(|(name, _)| name.clone()).collect()
            })
            .collect()
    }

    /// Reads every declared sheet found in this workbook.
    pub fn tables(&mut self, specs: &[SheetSpec]) -> Result<Vec<RawTable>, Vec<InputProblem>> {
        let mut problems = Vec::new();
        let mut tables = Vec::new();
        let matches = self.declared_sheets(specs);
        self.prefetch(&matches.iter().filter_map(|m| m.first().cloned()).collect::<Vec<_>>());
        for (spec, matching) in specs.iter().zip(matches) {
            let Some(sheet) = matching.first() else { continue };
            if matching.len() > 1 {
                problems.push(InputProblem {
                    sheet: sheet.to_string(),
                    cell: matching.join(", "),
                    found: format!("{} sheets", matching.len()),
                    expected_zh: format!("只有一个「{}」表", spec.name.zh),
                    expected_en: format!("one \"{}\" sheet", spec.name.en),
                });
                continue;
            }
            let cells = match self.sheet(sheet) {
                Ok(c) => c,
                Err(mut p) => {
                    problems.append(&mut p);
                    continue;
                }
            };
            // The sheet's cells are read once more here, into the table: taken
            // out of the cache, each row is freed as it is read (a copy only if
            // a grid of the sheet is still held).
            self.parsed.remove(sheet.as_str());
            let cells = Arc::try_unwrap(cells).unwrap_or_else(|shared| (*shared).clone());
            match read_sheet(sheet, spec, cells, &self.limits) {
                Ok(t) => tables.push(t),
                Err(mut p) => problems.append(&mut p),
            }
        }
        if problems.is_empty() { Ok(tables) } else { Err(problems) }
    }
}

/// Streams one .xlsx sheet: its part is scanned first, then its cells are
/// read one by one and only those present are kept. A cell the reader cannot
/// read is named from the scan's positions; an error value it has no name for
/// (`#SPILL!`, `#CALC!`…) is kept as an error value of that cell.
fn stream_sheet(
    reader: &mut XlsxReader,
    layout: &XlsxLayout,
    file: &str,
    sheet: &str,
    limits: &InputLimits,
    deadline: Instant,
) -> Result<Sparse, Vec<InputProblem>> {
    let scan = Scan { file, limits, deadline };
    let positions = prescan::xlsx_sheet(layout, sheet, &scan).map_err(|p| vec![p])?.positions;
    let mut cells = match reader.worksheet_cells_reader(sheet) {
        Ok(c) => c,
        // Not a worksheet (a chart sheet): no cells.
        Err(calamine::XlsxError::NotAWorksheet(_)) => return Ok(Sparse::default()),
        Err(e) => return Err(vec![unreadable(file, sheet, e.to_string())]),
    };
    let mut out = Sparse::default();
    let mut k = 0usize; // cells returned so far, in the scan's order
    let mut text: u64 = 0;
    let mut after_error = false;
    loop {
        match cells.next_cell() {
            Ok(None) => break,
            Ok(Some(cell)) => {
                let pos = if after_error { positions.get(k).copied().unwrap_or(cell.get_position()) } else { cell.get_position() };
                k += 1;
                let value: Data = cell.get_value().clone().into();
                if value == Data::Empty {
                    continue;
                }
                if let Data::String(s) = &value {
                    text += s.len() as u64;
                    if text > limits.part_bytes() {
                        return Err(vec![InputProblem {
                            sheet: sheet.to_string(),
                            cell: format!("{file}: {sheet}"),
                            found: format!("more than {} of text", limits::size(limits.part_bytes())),
                            expected_zh: format!("每个工作表至多 {} MiB 文本（可用 --input-limit part-mib=N 提高上限）", limits.part_mib),
                            expected_en: format!("at most {} MiB of text in a sheet ({})", limits.part_mib, limits::raise("part-mib")),
                        }]);
                    }
                }
                out.push(pos, Cell::Data(value));
            }
            Err(e) => {
                let at = positions.get(k).map(|(r, c)| format!("{sheet}!{}{}", col_letter(*c), r + 1));
                k += 1;
                match (e, at) {
                    (calamine::XlsxError::CellError(v), Some(_)) => {
                        // The stream stays in step: the rest of the cell is skipped.
                        let (r, c) = positions[k - 1];
                        out.push((r, c), Cell::Error(v));
                        after_error = true;
                    }
                    (e, Some(at)) => {
                        return Err(vec![InputProblem {
                            sheet: sheet.to_string(),
                            cell: at,
                            found: format!("an unreadable cell ({e})"),
                            expected_zh: "可读取的单元格（文件已损坏）".into(),
                            expected_en: "a readable cell (the file is damaged)".into(),
                        }]);
                    }
                    (e, None) => return Err(vec![unreadable(file, sheet, e.to_string())]),
                }
            }
        }
    }
    Ok(out)
}

/// Reads every declared sheet found in the workbook at `path`.
pub fn read(path: &Path, specs: &[SheetSpec]) -> Result<Vec<RawTable>, Vec<InputProblem>> {
    Workbook::open(path)?.tables(specs)
}

fn read_sheet(sheet: &str, spec: &SheetSpec, mut cells: Sparse, limits: &InputLimits) -> Result<RawTable, Vec<InputProblem>> {
    let at = |r: u32, c: u32| format!("{sheet}!{}{}", col_letter(c), r as u64 + 1);
    let first = cells.rows.keys().next().copied().unwrap_or(0);
    let header_names = HeaderNames::of(spec);
    // The header row: the first row, among the top ones, naming the most declared columns.
    let mut best: Option<(u32, usize)> = None;
    for (&r, row) in cells.rows.range(first..first.saturating_add(HEADER_SEARCH_ROWS as u32)) {
        let hits = row.iter().filter_map(|(_, c)| cell_text(c)).filter(|h| header_names.column_for(h).is_some()).count();
        if hits > 0 && best.is_none_or(|(_, b)| hits > b) {
            best = Some((r, hits));
        }
    }
    let names = spec.columns.iter().map(|c| format!("{} / {}", c.name.zh, c.name.en)).collect::<Vec<_>>().join("; ");
    let Some((header, _)) = best else {
        return Err(vec![InputProblem {
            sheet: sheet.to_string(),
            cell: format!("{sheet}!A1"),
            found: "no header row".into(),
            expected_zh: format!("前{HEADER_SEARCH_ROWS}行内的表头行，列名为：{names}"),
            expected_en: format!("a header row within the first {HEADER_SEARCH_ROWS} rows naming the columns: {names}"),
        }]);
    };
    let mut problems = Vec::new();
    let mut by_col: BTreeMap<u32, usize> = BTreeMap::new(); // sheet column → spec column
    let mut units: HashMap<String, String> = HashMap::new();
    let mut seen: HashMap<usize, String> = HashMap::new();
    for (c, cell) in cells.rows.get(&header).map(|r| r.as_slice()).unwrap_or_default() {
        let Some(text) = cell_text(cell) else { continue };
        let Some((i, unit)) = header_names.column_for(text) else { continue };
        if let Some(prev) = seen.get(&i) {
            problems.push(InputProblem {
                sheet: sheet.to_string(),
                cell: at(header, *c),
                found: text.to_string(),
                expected_zh: format!("每列只出现一次（已在 {prev}）"),
                expected_en: format!("each column once (already at {prev})"),
            });
            continue;
        }
        seen.insert(i, at(header, *c));
        by_col.insert(*c, i);
        if let Some(u) = unit {
            units.insert(spec.columns[i].key.clone(), u);
        }
    }
    for (i, col) in spec.columns.iter().enumerate() {
        if col.required && !seen.contains_key(&i) {
            problems.push(InputProblem {
                sheet: sheet.to_string(),
                cell: format!("{sheet}!{}", header as u64 + 1),
                found: "(missing)".into(),
                expected_zh: format!("表头中的必需列「{}」", col.name.zh),
                expected_en: format!("the required column \"{}\" in the header row", col.name.en),
            });
        }
    }
    // Each row is passed on with every declared column: rows × columns is what the host builds.
    let width = spec.columns.len().max(1) as u64;
    // "Sheet!C" of each column read: a cell's reference adds its row number.
    let prefixes: HashMap<u32, String> = by_col.keys().map(|&c| (c, format!("{sheet}!{}", col_letter(c)))).collect();
    // The columns read, in the order of their keys: each row's map is built from them
    // already sorted, and every key is copied once.
    let mut read_cols: Vec<(u32, usize)> = by_col.iter().map(|(&c, &i)| (c, i)).collect();
    read_cols.sort_by(|a, b| spec.columns[a.1].key.cmp(&spec.columns[b.1].key));
    let slot_of: HashMap<u32, usize> = read_cols.iter().enumerate().map(|(k, &(c, _))| (c, k)).collect();
    let mut out_rows = Vec::new();
    // The rows below the header, each freed once read.
    let body = match header.checked_add(1) {
        Some(next) => cells.rows.split_off(&next),
        None => BTreeMap::new(),
    };
    drop(cells);
    for (r, row) in body {
        let mut slots: Vec<Option<RawCell>> = vec![None; read_cols.len()];
        let mut blank = true;
        for (c, d) in &row {
            let Some(&k) = slot_of.get(c) else { continue };
            let value = raw_value(d, spec.columns[read_cols[k].1].kind);
            if value != RawValue::Empty {
                // At its column's place: the reference is computed when needed ([`CellPrefixes::at`]).
                slots[k] = Some(RawCell { value, at: String::new() });
                blank = false;
            }
        }
        if blank {
            continue;
        }
        if (out_rows.len() as u64 + 1).saturating_mul(width) > limits.cells {
            return Err(vec![InputProblem {
                sheet: sheet.to_string(),
                cell: format!("{sheet}!{}", r as u64 + 1),
                found: format!("more than {} rows of {} columns", limits::count(limits.cells / width), width),
                expected_zh: format!(
                    "至多 {} 个单元格（行数 × 本表的列数；可用 --input-limit cells=N 提高上限）",
                    limits::count(limits.cells)
                ),
                expected_en: format!(
                    "at most {} cells, rows × this sheet's columns ({})",
                    limits::count(limits.cells),
                    limits::raise("cells")
                ),
            }]);
        }
        // Cells left empty are not kept: their reference is computed from `prefixes`.
        let values: Cells = read_cols.iter().zip(slots).filter_map(|(&(_, i), cell)| Some((spec.columns[i].key.clone(), cell?))).collect();
        out_rows.push(RawRow { source: format!("{sheet}!{}", r as u64 + 1), cells: values });
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let prefixes = CellPrefixes::new(read_cols.iter().map(|&(c, i)| (spec.columns[i].key.clone(), prefixes[&c].clone())).collect());
    Ok(RawTable {
        key: spec.key.clone(),
        display: sheet.to_string(),
        units,
        at: format!("{sheet}!{}", header as u64 + 1),
        rows: out_rows,
        prefixes,
    })
}

/// The names of the declared sheets, normalised once, as [`Workbook::tables`] matches them.
pub(crate) struct DeclaredNames(Vec<String>);

impl DeclaredNames {
    pub(crate) fn new(specs: &[SheetSpec]) -> DeclaredNames {
        DeclaredNames(specs.iter().flat_map(|spec| sheet_name_candidates(spec).map(|c| norm(&c))).collect())
    }

    /// Whether a sheet named `name` is one of the declared sheets.
    pub(crate) fn contains(&self, name: &str) -> bool {
        let n = norm(name);
        self.0.contains(&n)
    }
}

/// A file's bytes, read within the input limits, and their SHA-256: read once
/// by a caller that needs the digest first (a batch's rerun check) and handed
/// on, so the workbook is not read and hashed again.
#[derive(Clone)]
pub(crate) struct ReadBytes {
    pub(crate) bytes: Arc<[u8]>,
    pub(crate) sha256: String,
}

/// Which sheets to read as a workbook is opened, by name.
pub(crate) type Wanted = Arc<dyn Fn(&str) -> bool + Send + Sync>;

/// Opens several workbooks (e.g. inventory and portfolio), each once.
pub fn open_all(paths: &[&Path]) -> Result<Vec<Workbook>, Vec<InputProblem>> {
    open_all_reading(paths, None, &[])
}

/// [`open_all`], reading the .xlsx sheets `wanted` names as each workbook is opened.
/// `read` has, for some of the paths, their bytes already read within the limits.
pub(crate) fn open_all_reading(
    paths: &[&Path],
    wanted: Option<Wanted>,
    read: &[(std::path::PathBuf, ReadBytes)],
) -> Result<Vec<Workbook>, Vec<InputProblem>> {
    let limits = InputLimits::current();
    let mut books = Vec::new();
    let mut problems = Vec::new();
    for p in paths {
        let bytes = read.iter().find(|(q, _)| q == p).map(|(_, r)| r.clone());
        match Workbook::open_reading(p, &limits, wanted.clone(), bytes) {
            Ok(b) => books.push(b),
            Err(mut e) => problems.append(&mut e),
        }
    }
    if problems.is_empty() { Ok(books) } else { Err(problems) }
}

/// The declared sheets of several opened workbooks. A sheet found in two is a
/// problem; so is a workbook the user named that holds none of them (a wrong
/// or damaged file would otherwise count as an empty one).
pub fn tables(books: &mut [Workbook], specs: &[SheetSpec]) -> Result<Vec<RawTable>, Vec<InputProblem>> {
    let mut tables: Vec<(RawTable, String)> = Vec::new();
    let mut problems = Vec::new();
    for book in books.iter_mut() {
        match book.tables(specs) {
            Ok(ts) if ts.is_empty() && !specs.is_empty() => {
                let wanted = specs.iter().map(|s| format!("{} / {}", s.name.zh, s.name.en)).collect::<Vec<_>>();
                let has = if book.names.is_empty() { "no sheets".to_string() } else { format!("the sheets {}", book.names.join(", ")) };
                problems.push(InputProblem {
                    sheet: String::new(),
                    cell: book.file.clone(),
                    found: format!("none of the sheets this plugin reads ({has})"),
                    expected_zh: format!("至少一个本插件读取的表：{}", wanted.join("、")),
                    expected_en: format!("at least one of the sheets this plugin reads: {}", wanted.join(", ")),
                });
            }
            Ok(ts) => {
                for t in ts {
                    if let Some((_, other)) = tables.iter().find(|(x, _)| x.key == t.key) {
                        problems.push(InputProblem {
                            sheet: t.display.clone(),
                            cell: format!("{}: {}", book.file, t.display),
                            found: format!("also in {other}"),
                            expected_zh: "每个表只在一个工作簿中出现".into(),
                            expected_en: "each sheet in one workbook only".into(),
                        });
                    } else {
                        tables.push((t, book.file.clone()));
                    }
                }
            }
            Err(mut e) => problems.append(&mut e),
        }
    }
    if problems.is_empty() { Ok(tables.into_iter().map(|(t, _)| t).collect()) } else { Err(problems) }
}

/// Reads several workbooks (e.g. inventory and portfolio); a sheet found in two is a problem.
pub fn read_all(paths: &[&Path], specs: &[SheetSpec]) -> Result<Vec<RawTable>, Vec<InputProblem>> {
    tables(&mut open_all(paths)?, specs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_are_split_from_headers() {
        assert_eq!(split_unit("排放量 Emissions [万吨]"), ("排放量 Emissions".into(), Some("万吨".into())));
        assert_eq!(split_unit("Emissions (kt)"), ("Emissions".into(), Some("kt".into())));
        assert_eq!(split_unit("排放量（tCO2）"), ("排放量".into(), Some("tCO2".into())));
        assert_eq!(split_unit("Facility"), ("Facility".into(), None));
        assert_eq!(col_letter(0), "A");
        assert_eq!(col_letter(27), "AB");
    }

    const SHEETS: [&str; 3] = ["甲 First", "乙 Second", "丙 Third"];

    /// A workbook of three small sheets, each with a header, a text and a number.
    fn three_sheets(dir: &Path) -> std::path::PathBuf {
        let path = dir.join("three.xlsx");
        let mut wb = rust_xlsxwriter::Workbook::new();
        for (i, name) in SHEETS.iter().enumerate() {
            let ws = wb.add_worksheet();
            ws.set_name(*name).unwrap();
            ws.write(0, 0, "名称 Name").unwrap();
            ws.write(1, 0, format!("row of sheet {i}")).unwrap();
            ws.write(1, 1, i as f64 + 0.25).unwrap();
        }
        wb.save(&path).unwrap();
        path
    }

    /// A folder with [`three_sheets`] in it, the workbook's path and its sheet names.
    fn three_sheet_workbook() -> (tempfile::TempDir, std::path::PathBuf, Vec<String>) {
        let dir = tempfile::tempdir().unwrap();
        let path = three_sheets(dir.path());
        (dir, path, SHEETS.map(String::from).to_vec())
    }

    #[test]
    fn cells_kept_without_their_reference_are_referred_to_as_before() {
        use crate::contract::{ColumnSpec, SheetSpec, TextZhEn};
        let t = |s: &str| TextZhEn { zh: s.into(), en: s.into() };
        let col = |key: &str, kind| ColumnSpec {
            key: key.into(),
            name: t(key),
            kind,
            unit: None,
            required: false,
            choices: vec![],
            minimum: None,
            help: t(""),
            examples: vec![],
        };
        let spec = SheetSpec {
            key: "s".into(),
            name: t("数据 Data"),
            schema: None,
            required: true,
            columns: vec![col("name", ValueKind::Text), col("qty", ValueKind::Number), col("note", ValueKind::Text)],
            unique_key: vec![],
            help: t(""),
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("refs.xlsx");
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        ws.set_name("数据 Data").unwrap();
        // The header in row 3, the columns in B, D and F; row 6 blank; some cells empty.
        for (c, h) in [(1, "name"), (3, "qty"), (5, "note")] {
            ws.write(2, c, h).unwrap();
        }
        ws.write(3, 1, "a").unwrap();
        ws.write(3, 3, 1.5).unwrap();
        ws.write(4, 5, "only a note").unwrap();
        ws.write(6, 1, "c").unwrap();
        ws.write(6, 3, 3).unwrap();
        ws.write(6, 5, "x").unwrap();
        wb.save(&path).unwrap();
        let mut book = Workbook::open(&path).unwrap();
        let raw = book.tables(std::slice::from_ref(&spec)).unwrap();
        assert!(raw[0].rows.iter().flat_map(|r| r.cells.values()).all(|c| c.at.is_empty()), "no reference string per cell kept");
        let refs: Vec<Vec<String>> = crate::input::check(std::slice::from_ref(&spec), &raw).unwrap()[0]
            .rows
            .iter()
            .map(|r| std::iter::once(r.source.clone()).chain(r.cells.iter().map(|c| c.source.clone())).collect())
            .collect();
        let expected = [4, 5, 7].map(|n| ["", "B", "D", "F"].map(|l| format!("数据 Data!{l}{n}")).to_vec());
        assert_eq!(refs, expected);
        // Read again after its cells were taken into the table: the same table.
        let again = book.tables(std::slice::from_ref(&spec)).unwrap();
        assert_eq!(again[0].rows.len(), 3);
        assert_eq!(again[0].prefixes, raw[0].prefixes);
    }

    #[test]
    fn prefetched_sheets_read_as_sheets_read_one_by_one() {
        let (_dir, path, names) = three_sheet_workbook();
        let mut one_by_one = Workbook::open(&path).unwrap();
        let mut prefetched = Workbook::open(&path).unwrap();
        prefetched.prefetch(&names);
        assert_eq!(prefetched.parsed.len(), 3, "all three read in the one hand-off");
        for n in &names {
            let (a, b) = (one_by_one.grid(n).unwrap(), prefetched.grid(n).unwrap());
            assert_eq!(a.rows(), vec![0, 1]);
            assert_eq!(a.rows(), b.rows());
            for r in a.rows() {
                assert_eq!(a.columns(r), b.columns(r));
                for c in a.columns(r) {
                    assert_eq!(a.text(r, c), b.text(r, c), "{n} row {r} column {c}");
                }
            }
        }
        assert_eq!(prefetched.grid(&names[2]).unwrap().value(1, 1, ValueKind::Number), RawValue::Number("2.25".into()));
    }

    #[test]
    fn wanted_sheets_are_read_as_the_workbook_opens() {
        let dir = tempfile::tempdir().unwrap();
        let path = three_sheets(dir.path());
        let wanted: Wanted = Arc::new(|name: &str| name != SHEETS[1]);
        let mut books = open_all_reading(&[path.as_path()], Some(wanted), &[]).unwrap();
        let book = &mut books[0];
        let read: std::collections::BTreeSet<&str> = book.parsed.keys().map(String::as_str).collect();
        assert_eq!(read, [SHEETS[0], SHEETS[2]].into(), "read at opening: the wanted sheets only");
        assert!(book.parsed.values().all(Result::is_ok));
        // The other sheet is still read when asked for.
        assert_eq!(book.grid(SHEETS[1]).unwrap().text(1, 0).as_deref(), Some("row of sheet 1"));
    }

    #[test]
    fn a_stopped_prefetch_is_charged_to_the_sheet_it_was_reading() {
        let (_dir, path, names) = three_sheet_workbook();
        let mut book = Workbook::open(&path).unwrap();
        book.deadline = Instant::now() - std::time::Duration::from_secs(1);
        book.prefetch(&names);
        let results: Vec<Option<bool>> = names.iter().map(|n| book.parsed.get(n).map(|r| r.is_ok())).collect();
        let stopped_at = results.iter().position(|r| *r == Some(false)).expect("a sheet charged with the stop");
        assert!(results[..stopped_at].iter().all(|r| *r == Some(true)), "{results:?}");
        assert!(results[stopped_at + 1..].iter().all(Option::is_none), "sheets after the stop are left unread: {results:?}");
        let problem = book.grid(&names[stopped_at]).err().expect("the stopped sheet's problem").remove(0);
        assert!(problem.found.contains("takes more than"), "{problem:?}");
        assert_eq!(problem.sheet, names[stopped_at]);
        // Asked for later, an unread sheet says why rather than reading on a lost reader.
        if let Some(later) = names.get(stopped_at + 1) {
            let later = book.grid(later).err().expect("no reader left for the later sheet");
            assert!(later[0].found.contains("stopped"), "{later:?}");
        }
    }
}
