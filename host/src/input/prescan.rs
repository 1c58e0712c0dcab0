//! A look at a workbook's structure before any cell is built.
//!
//! The spreadsheet reader (calamine) trusts the sizes and positions a file
//! declares: it reserves room for the shared strings a file says it has, lays
//! out every cell between the first and the last one used, repeats .ods rows
//! as often as asked, and some damaged files make it panic or loop forever.
//! These scans read what a file really holds, with fixed memory, and refuse
//! it (naming the sheet, and the cell where there is one) before the reader
//! sees anything beyond the limits (`super::limits`):
//!
//! - .xlsx/.xlsm and .ods (zip): each part's unzipped size and ratio, from the
//!   zip directory and again while unzipping; the XML of every part the reader
//!   opens: well formed, nesting depth, text per cell; shared strings (the
//!   count declared and the count present); for each sheet read, the cells
//!   present, their positions within A1:XFD1048576 and the `<dimension>`; for
//!   .ods, every table's used area with its repeated rows and columns;
//! - .xls (a compound file): the sheet directory, the used area and declared
//!   dimensions of every sheet, the shared strings and the text they repeat.

use std::collections::HashMap;
use std::io::{BufReader, Cursor, Read, Seek};
use std::sync::Arc;
use std::time::Instant;

use quick_xml::events::{BytesStart, Event};

use super::InputProblem;
use super::limits::{self, InputLimits};

/// Excel's last row and column (1-based): 1,048,576 and 16,384 (XFD).
pub(crate) const MAX_ROWS: u64 = 1_048_576;
pub(crate) const MAX_COLS: u64 = 16_384;

/// Parts smaller than this may have any compression ratio.
const RATIO_FREE_BYTES: u64 = 1 << 20;

/// The kinds of workbook, told by their first bytes (not their names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// .xlsx or .xlsm (Office Open XML).
    Xlsx,
    /// .ods (OpenDocument).
    Ods,
    /// .xls (Excel 97–2003, a compound file).
    Xls,
}

/// What is being scanned, for messages and limits.
pub struct Scan<'a> {
    /// The file name.
    pub file: &'a str,
    pub limits: &'a InputLimits,
    pub deadline: Instant,
}

impl Scan<'_> {
    fn problem(&self, sheet: &str, found: String, zh: String, en: String) -> InputProblem {
        let cell = if sheet.is_empty() { self.file.to_string() } else { format!("{}: {sheet}", self.file) };
        InputProblem { sheet: sheet.to_string(), cell, found, expected_zh: zh, expected_en: en }
    }

    fn damaged(&self, sheet: &str, found: String) -> InputProblem {
        self.problem(sheet, found, "可读取的工作簿（文件已损坏）".into(), "a readable workbook (the file is damaged)".into())
    }

    fn time_up(&self) -> Result<(), InputProblem> {
        if Instant::now() > self.deadline {
            return Err(self.problem(
                "",
                format!("a workbook that takes more than {} s to read", self.limits.secs),
                format!("在 {} 秒内读完的工作簿（可用 --input-limit secs=N 提高上限）", self.limits.secs),
                format!("a workbook read within {} s ({})", self.limits.secs, limits::raise("secs")),
            ));
        }
        Ok(())
    }

    /// A cell's text longer than `--input-limit text-chars`.
    fn text_over(&self, sheet: &str, found: String) -> InputProblem {
        self.over(sheet, found, "个字符的单元格文本", "characters in a cell", self.limits.text_chars, "text-chars")
    }

    fn over(&self, sheet: &str, found: String, what_zh: &str, what_en: &str, limit: u64, name: &str) -> InputProblem {
        self.problem(
            sheet,
            found,
            format!("至多 {} {what_zh}（可用 --input-limit {name}=N 提高上限）", limits::count(limit)),
            format!("at most {} {what_en} ({})", limits::count(limit), limits::raise(name)),
        )
    }
}

/// The kind of workbook in `bytes`, or why it is none.
pub(crate) fn sniff(bytes: &[u8]) -> Result<Format, String> {
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return Ok(Format::Xls);
    }
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        let Ok(zip) = zip::ZipArchive::new(Cursor::new(bytes)) else {
            return Err("a damaged zip file".into());
        };
        let names: Vec<String> = zip.file_names().flatten().map(|n| n.replace('\\', "/").to_ascii_lowercase()).collect();
        if names.iter().any(|n| n == "content.xml") {
            return Ok(Format::Ods);
        }
        if names.iter().any(|n| n.ends_with(".bin") && n.contains("workbook")) {
            return Err("an .xlsb workbook (binary; save it as .xlsx)".into());
        }
        return Ok(Format::Xlsx);
    }
    Err("neither an .xlsx, .xlsm, .ods nor .xls workbook".into())
}

// ------------------------------------------------------------------ zip parts

/// An .xlsx's zip directory, parsed once when the workbook is scanned and
/// shared (cheaply cloned) by the scans of its sheets.
pub(crate) type SharedZip = zip::ZipArchive<Cursor<Arc<[u8]>>>;

/// A reader that stops with an error once more than `left` bytes came out.
struct Capped<R> {
    inner: R,
    left: u64,
    over: bool,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n as u64 > self.left {
            self.over = true;
            return Err(std::io::Error::other("part larger than allowed"));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// The zip's parts: normalised name (as the reader looks them up) → indexes.
fn part_index<R: Read + Seek>(zip: &zip::ZipArchive<R>) -> HashMap<String, Vec<usize>> {
    let mut map: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, name) in zip.file_names().enumerate() {
        let Ok(name) = name else { continue };
        map.entry(name.replace('\\', "/").to_ascii_lowercase()).or_default().push(i);
    }
    // file_names() is in index order for archives read from disk
    map
}

/// Checks every part's declared unzipped size and ratio (no unzipping).
fn check_part_sizes<R: Read + Seek>(
    zip: &mut zip::ZipArchive<R>,
    scan: &Scan<'_>,
    label: &dyn Fn(&str) -> (String, String),
) -> Result<(), InputProblem> {
    for i in 0..zip.len() {
        let f = zip.by_index_raw(i).map_err(|e| scan.damaged("", format!("a zip entry that cannot be read ({e})")))?;
        let name = f.name().map(|n| n.into_owned()).unwrap_or_default();
        let (sheet, part) = label(&name);
        if f.encrypted() {
            return Err(scan.damaged(&sheet, format!("an encrypted part {part}")));
        }
        check_size(scan, &sheet, &part, f.size(), f.compressed_size())?;
    }
    Ok(())
}

fn check_size(scan: &Scan<'_>, sheet: &str, part: &str, size: u64, compressed: u64) -> Result<(), InputProblem> {
    let l = scan.limits;
    if size > l.part_bytes() {
        return Err(scan.problem(
            sheet,
            format!("part {part} unzipping to {}", limits::size(size)),
            format!("每个部件解压后至多 {} MiB（可用 --input-limit part-mib=N 提高上限）", l.part_mib),
            format!("at most {} MiB per part unzipped ({})", l.part_mib, limits::raise("part-mib")),
        ));
    }
    if size > RATIO_FREE_BYTES && size / compressed.max(1) > l.ratio {
        return Err(scan.problem(
            sheet,
            format!(
                "part {part} unzipping to {} from {} ({}×)",
                limits::size(size),
                limits::size(compressed),
                limits::count(size / compressed.max(1))
            ),
            format!("大于 1 MiB 的部件解压比至多 {}（可用 --input-limit ratio=N 提高上限）", l.ratio),
            format!("parts over 1 MiB growing at most {}× when unzipped ({})", l.ratio, limits::raise("ratio")),
        ));
    }
    Ok(())
}

/// Streams one part's XML through `visit`, checking its size (as unzipped),
/// that it is well formed, its depth and the deadline.
fn scan_xml<R: Read + Seek>(
    zip: &mut zip::ZipArchive<R>,
    index: usize,
    scan: &Scan<'_>,
    sheet: &str,
    part: &str,
    visit: &mut dyn FnMut(&Event<'_>, usize) -> Result<(), InputProblem>,
) -> Result<(), InputProblem> {
    let l = scan.limits;
    let f = zip.by_index(index).map_err(|e| scan.damaged(sheet, format!("part {part} that cannot be unzipped ({e})")))?;
    let compressed = f.compressed_size();
    let cap = l.part_bytes().min(RATIO_FREE_BYTES.max(compressed.saturating_mul(l.ratio)));
    let mut capped = Capped { inner: f, left: cap, over: false };
    let mut xml = quick_xml::Reader::from_reader(BufReader::new(&mut capped));
    {
        let c = xml.config_mut();
        c.check_end_names = true;
        c.trim_text(false);
        c.check_comments = false;
        c.expand_empty_elements = true;
    }
    let mut buf = Vec::with_capacity(4096);
    // Only the depth is kept (the reader checks that end tags match their starts).
    let mut depth = 0usize;
    let mut events: u64 = 0;
    loop {
        buf.clear();
        let event = match xml.read_event_into(&mut buf) {
            Ok(e) => e,
            Err(e) => {
                drop(xml);
                if capped.over {
                    return Err(scan.problem(
                        sheet,
                        format!("part {part} unzipping to more than {}", limits::size(cap)),
                        format!(
                            "每个部件解压后至多 {} MiB、大于 1 MiB 时解压比至多 {}（可用 --input-limit part-mib=N 或 ratio=N 提高上限）",
                            l.part_mib, l.ratio
                        ),
                        format!(
                            "at most {} MiB per part and {}× its zipped size when over 1 MiB ({} or ratio=N)",
                            l.part_mib,
                            l.ratio,
                            limits::raise("part-mib")
                        ),
                    ));
                }
                return Err(scan.damaged(sheet, format!("damaged XML in {part} ({e})")));
            }
        };
        events += 1;
        if events.is_multiple_of(8192) {
            scan.time_up()?;
        }
        match &event {
            Event::Start(_) => {
                depth += 1;
                if depth as u64 > l.depth {
                    return Err(scan.over(
                        sheet,
                        format!("XML in {part} nested {depth} deep"),
                        "层嵌套的 XML",
                        "XML elements nested in one another",
                        l.depth,
                        "depth",
                    ));
                }
                visit(&event, depth)?;
            }
            Event::End(_) => {
                visit(&event, depth)?;
                depth = depth.saturating_sub(1);
            }
            Event::Eof => {
                if depth > 0 {
                    return Err(scan.damaged(sheet, format!("damaged XML in {part}: it ends with {depth} element(s) left open")));
                }
                return Ok(());
            }
            _ => visit(&event, depth)?,
        }
    }
}

/// Characters of text in an event (a reference such as `&amp;` is one).
fn text_chars(event: &Event<'_>) -> u64 {
    match event {
        Event::Text(t) => t.chars().count() as u64,
        Event::CData(t) => t.chars().count() as u64,
        Event::GeneralRef(_) => 1,
        _ => 0,
    }
}

fn local<'a>(e: &'a BytesStart<'_>) -> &'a str {
    e.local_name().into_inner()
}

/// An attribute by its local name (the prefix ignored), unescaped.
fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes().with_checks(false).flatten().find(|a| a.key.local_name().as_ref() == name).map(|a| unescaped(&a.value))
}

fn unescaped(v: &str) -> String {
    if !v.contains('&') {
        return v.to_string();
    }
    quick_xml::escape::unescape(v).map(|v| v.into_owned()).unwrap_or_else(|_| v.to_string())
}

/// An attribute by its full name (`table:name`).
fn attr_q(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes().with_checks(false).flatten().find(|a| a.key.as_ref() == name).map(|a| unescaped(&a.value))
}

// ----------------------------------------------------------------------- xlsx

/// A cell reference `AB12` (letters, then digits) as 1-based (row, column),
/// refused beyond XFD1048576 with no overflow on the way.
pub fn cell_ref(text: &str) -> Option<(u64, Option<u64>)> {
    let b = text.as_bytes();
    let mut i = 0;
    let mut col: u64 = 0;
    while i < b.len() && b[i].is_ascii_alphabetic() {
        col = col * 26 + (b[i].to_ascii_uppercase() - b'A') as u64 + 1;
        if col > MAX_COLS {
            return None;
        }
        i += 1;
    }
    if i == b.len() {
        return None;
    }
    let mut row: u64 = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() {
            return None;
        }
        row = row * 10 + (b[i] - b'0') as u64;
        if row > MAX_ROWS {
            return None;
        }
        i += 1;
    }
    if row == 0 {
        return None;
    }
    Some((row, (col > 0).then_some(col)))
}

/// The workbook's layout, from its relationships: sheet name → part name.
#[derive(Debug, Clone, Default)]
pub(crate) struct XlsxLayout {
    pub sheets: Vec<(String, String)>,
    /// The zip directory and its parts by normalised name (as the reader looks them up).
    zip: Option<(SharedZip, HashMap<String, Vec<usize>>)>,
}

/// What a sheet's scan found: the position (0-based row, column) of each cell
/// the reader will return, in its order, so a cell the reader fails on can be named.
#[derive(Debug, Clone, Default)]
pub(crate) struct SheetScan {
    pub positions: Vec<(u32, u32)>,
}

/// Scans an .xlsx before it is opened: part sizes, the relationships, the
/// workbook part, the styles and theme, and the shared strings.
pub(crate) fn xlsx_open(bytes: &Arc<[u8]>, scan: &Scan<'_>) -> Result<XlsxLayout, InputProblem> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes.clone())).map_err(|e| scan.damaged("", format!("a damaged zip file ({e})")))?;
    let parts = part_index(&zip);
    // Names of sheets by part, for messages (best effort before the workbook is read).
    let mut layout = XlsxLayout::default();
    let find = |path: &str| parts.get(&path.to_ascii_lowercase()).cloned().unwrap_or_default();

    // _rels/.rels → the workbook part (as the reader finds it)
    let mut target: Option<String> = None;
    for i in find("_rels/.rels") {
        scan_xml(&mut zip, i, scan, "", "_rels/.rels", &mut |ev, _| {
            if let Event::Start(e) = ev
                && local(e) == "Relationship"
                && attr(e, "Type").is_some_and(|t| t.ends_with("/relationships/officeDocument"))
            {
                target = attr(e, "Target");
            }
            Ok(())
        })?;
    }
    let (dir, name) = match &target {
        Some(t) => match t.rfind('/') {
            Some(i) => (t[..=i].trim_start_matches('/').to_string(), t[i + 1..].to_string()),
            None => (String::new(), t.clone()),
        },
        None => ("xl/".to_string(), "workbook.xml".to_string()),
    };
    let name = if name.is_empty() { "workbook.xml".to_string() } else { name };

    // the workbook's relationships: id → target
    let mut rels: HashMap<String, String> = HashMap::new();
    let rels_path = format!("{dir}_rels/{name}.rels");
    for i in find(&rels_path) {
        scan_xml(&mut zip, i, scan, "", &rels_path, &mut |ev, _| {
            if let Event::Start(e) = ev
                && local(e) == "Relationship"
                && let (Some(id), Some(t)) = (attr(e, "Id"), attr(e, "Target"))
            {
                rels.insert(id, t);
            }
            Ok(())
        })?;
    }
    let wb_path = format!("{dir}{name}");
    for i in find(&wb_path) {
        scan_xml(&mut zip, i, scan, "", &wb_path, &mut |ev, _| {
            if let Event::Start(e) = ev
                && local(e) == "sheet"
            {
                let sheet = attr(e, "name").unwrap_or_default();
                if let Some(t) = attr(e, "id").and_then(|id| rels.get(&id)) {
                    let path = match t.strip_prefix('/') {
                        Some(abs) => abs.to_string(),
                        None => format!("{dir}{t}"),
                    };
                    layout.sheets.push((sheet, path));
                }
            }
            Ok(())
        })?;
    }
    let sheet_of = |part: &str| -> (String, String) {
        let n = part.replace('\\', "/").to_ascii_lowercase();
        match layout.sheets.iter().find(|(_, p)| p.to_ascii_lowercase() == n) {
            Some((s, _)) => (s.clone(), part.to_string()),
            None => (String::new(), part.to_string()),
        }
    };
    check_part_sizes(&mut zip, scan, &sheet_of)?;

    // shared strings: the count declared (the reader reserves it) and present, text per string
    let sst_path = format!("{dir}sharedStrings.xml");
    let l = scan.limits;
    for i in find(&sst_path) {
        let mut strings: u64 = 0;
        let mut chars: u64 = 0;
        let mut phonetic = 0usize;
        scan_xml(&mut zip, i, scan, "", &sst_path, &mut |ev, depth| {
            match ev {
                Event::Start(e) => match local(e) {
                    "sst" => {
                        if let Some(n) = attr(e, "uniqueCount").filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                            && (n.len() > 18 || n.parse::<u64>().unwrap_or(u64::MAX) > l.strings)
                        {
                            return Err(scan.over(
                                "",
                                format!("{n} shared strings declared in {sst_path}"),
                                "个共享字符串",
                                "shared strings",
                                l.strings,
                                "strings",
                            ));
                        }
                    }
                    "si" => {
                        strings += 1;
                        chars = 0;
                        if strings > l.strings {
                            return Err(scan.over(
                                "",
                                format!("more than {} shared strings in {sst_path}", limits::count(l.strings)),
                                "个共享字符串",
                                "shared strings",
                                l.strings,
                                "strings",
                            ));
                        }
                    }
                    "rPh" => phonetic = depth,
                    _ => {}
                },
                Event::End(_) if phonetic == depth => phonetic = 0,
                Event::Text(_) | Event::CData(_) | Event::GeneralRef(_) if phonetic == 0 => {
                    chars += text_chars(ev);
                    if chars > l.text_chars {
                        return Err(scan.text_over(
                            "",
                            format!("shared string {} of more than {} characters", limits::count(strings), limits::count(l.text_chars)),
                        ));
                    }
                }
                _ => {}
            }
            Ok(())
        })?;
    }
    // the other parts the reader opens: well formed, nested no deeper than the limit
    for path in [format!("{dir}styles.xml"), format!("{dir}theme/theme1.xml")] {
        for i in find(&path) {
            scan_xml(&mut zip, i, scan, "", &path, &mut |_, _| Ok(()))?;
        }
    }
    layout.zip = Some((zip, parts));
    Ok(layout)
}

/// Scans one sheet's part before its cells are read: every cell position
/// within A1:XFD1048576 (rows and cells with and without `r`, as the reader
/// counts them), the cells present within the limit, text per cell, and the
/// `<dimension>`.
pub(crate) fn xlsx_sheet(layout: &XlsxLayout, sheet: &str, scan: &Scan<'_>) -> Result<SheetScan, InputProblem> {
    let (Some((_, path)), Some((zip, parts))) = (layout.sheets.iter().find(|(s, _)| s == sheet), &layout.zip) else {
        return Ok(SheetScan::default());
    };
    let mut zip = zip.clone();
    let l = scan.limits;
    let mut out = SheetScan::default();
    for i in parts.get(&path.to_ascii_lowercase()).cloned().unwrap_or_default() {
        out.positions.clear();
        let mut in_data = false;
        let mut row: u64 = 0; // 0-based, as the reader counts
        let mut col: u64 = 0;
        let mut cell_depth = 0usize; // the stack depth of the open <c>, 0 outside one
        let mut skip_depth = 0usize; // inside <f> or <rPh>: text not counted
        let mut chars: u64 = 0;
        let mut current = (0u64, 0u64);
        scan_xml(&mut zip, i, scan, sheet, path, &mut |ev, depth| {
            match ev {
                Event::Start(e) => {
                    let name = local(e);
                    if !in_data {
                        if name == "dimension" {
                            if let Some(r) = attr(e, "ref") {
                                check_dimension(&r).map_err(|why| scan.damaged(sheet, format!("<dimension ref=\"{r}\"> ({why})")))?;
                            }
                        } else if name == "sheetData" {
                            in_data = true;
                        }
                        return Ok(());
                    }
                    if cell_depth > 0 {
                        if skip_depth == 0 && (name == "f" || name == "rPh") {
                            skip_depth = depth;
                        }
                        return Ok(());
                    }
                    if name == "row" {
                        if let Some(r) = attr(e, "r") {
                            let (n, _) = cell_ref_or_row(&r).ok_or_else(|| beyond(scan, sheet, &format!("row {r}")))?;
                            row = n - 1;
                        }
                        if row >= MAX_ROWS {
                            return Err(beyond(scan, sheet, &format!("row {}", limits::count(row + 1))));
                        }
                    } else if name == "c" {
                        let pos = match attr(e, "r") {
                            Some(r) => {
                                let (n, c) = cell_ref(&r).ok_or_else(|| beyond(scan, sheet, &format!("cell {r}")))?;
                                let c = c.ok_or_else(|| beyond(scan, sheet, &format!("cell {r}")))?;
                                col = c - 1;
                                (n - 1, c - 1)
                            }
                            None => (row, col),
                        };
                        if pos.0 >= MAX_ROWS || pos.1 >= MAX_COLS {
                            return Err(beyond(
                                scan,
                                sheet,
                                &format!("a cell at row {}, column {}", limits::count(pos.0 + 1), limits::count(pos.1 + 1)),
                            ));
                        }
                        out.positions.push((pos.0 as u32, pos.1 as u32));
                        if out.positions.len() as u64 > l.cells {
                            return Err(scan.over(
                                sheet,
                                format!("more than {} cells", limits::count(l.cells)),
                                "个单元格（每个工作表）",
                                "cells in a sheet",
                                l.cells,
                                "cells",
                            ));
                        }
                        current = pos;
                        cell_depth = depth;
                        chars = 0;
                    }
                }
                Event::End(e) => {
                    if skip_depth == depth {
                        skip_depth = 0;
                    }
                    if cell_depth > 0 && cell_depth == depth {
                        cell_depth = 0;
                        col += 1;
                    } else if cell_depth == 0 && in_data {
                        let name = e.local_name().into_inner();
                        if name == "row" {
                            row += 1;
                            col = 0;
                        } else if name == "sheetData" {
                            in_data = false;
                        }
                    }
                }
                Event::Text(_) | Event::CData(_) | Event::GeneralRef(_) if cell_depth > 0 && skip_depth == 0 => {
                    chars += text_chars(ev);
                    if chars > l.text_chars {
                        return Err(scan.text_over(
                            sheet,
                            format!(
                                "cell {}{} with more than {} characters",
                                super::workbook::col_letter(current.1 as u32),
                                current.0 + 1,
                                limits::count(l.text_chars)
                            ),
                        ));
                    }
                }
                _ => {}
            }
            Ok(())
        })?;
    }
    Ok(out)
}

/// A row attribute: digits, or a reference whose row is taken (as the reader does).
fn cell_ref_or_row(text: &str) -> Option<(u64, Option<u64>)> {
    cell_ref(text)
}

fn beyond(scan: &Scan<'_>, sheet: &str, what: &str) -> InputProblem {
    scan.problem(
        sheet,
        format!("{what} (the file is damaged)"),
        format!("A1 至 XFD1048576 范围内的行和单元格（至多 {} 行、{} 列）", limits::count(MAX_ROWS), limits::count(MAX_COLS)),
        format!("rows and cells within A1:XFD1048576 (at most {} rows and {} columns)", limits::count(MAX_ROWS), limits::count(MAX_COLS)),
    )
}

/// A `<dimension ref>`: one reference or a range from its first cell to its last.
fn check_dimension(r: &str) -> Result<(), &'static str> {
    let mut parts = r.split(':');
    let a = parts.next().and_then(cell_ref).ok_or("a reference beyond XFD1048576")?;
    let Some(b) = parts.next() else { return Ok(()) };
    let b = cell_ref(b).ok_or("a reference beyond XFD1048576")?;
    if parts.next().is_some() {
        return Err("more than two references");
    }
    if b.0 < a.0 || b.1.unwrap_or(0) < a.1.unwrap_or(0) {
        return Err("the last cell comes before the first");
    }
    Ok(())
}

// ------------------------------------------------------------------------ ods

/// Scans an .ods before it is opened (the reader lays out every table at
/// once): part sizes; `META-INF/manifest.xml` and `content.xml` well formed;
/// each table's used area, with its repeated rows and columns, and the cells
/// laid out before that area is cut, within the `cells` limit; text per cell;
/// the text a table repeats within `part-mib`.
pub fn ods(bytes: &[u8], scan: &Scan<'_>) -> Result<(), InputProblem> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| scan.damaged("", format!("a damaged zip file ({e})")))?;
    check_part_sizes(&mut zip, scan, &|p| (String::new(), p.to_string()))?;
    let parts = part_index(&zip);
    for i in parts.get("meta-inf/manifest.xml").cloned().unwrap_or_default() {
        scan_xml(&mut zip, i, scan, "", "META-INF/manifest.xml", &mut |_, _| Ok(()))?;
    }
    let l = scan.limits;
    for i in parts.get("content.xml").cloned().unwrap_or_default() {
        let mut t = OdsTable::default();
        scan_xml(&mut zip, i, scan, "", "content.xml", &mut |ev, depth| {
            match ev {
                Event::Start(e) => {
                    let name = e.name().into_inner();
                    match name {
                        "table:table" if t.depth == 0 => {
                            t = OdsTable { depth, name: attr_q(e, "table:name").unwrap_or_default(), ..OdsTable::default() };
                        }
                        "table:table-row" if t.depth > 0 && t.cell_depth == 0 => {
                            let repeat = repeat_attr(e, "table:number-rows-repeated")
                                .ok_or_else(|| scan.damaged(&t.name, "a damaged table:number-rows-repeated".into()))?;
                            // the reader caps the rows of a table at Excel's last row
                            let repeat = repeat.min(MAX_ROWS.saturating_sub(t.rows));
                            t.row_repeat = repeat;
                            t.col = 0;
                            t.row_first = None;
                            t.row_last = 0;
                            t.row_text = 0;
                        }
                        "table:table-cell" | "table:covered-table-cell" if t.depth > 0 && t.cell_depth == 0 => {
                            let repeat = repeat_attr(e, "table:number-columns-repeated")
                                .ok_or_else(|| scan.damaged(&t.name, "a damaged table:number-columns-repeated".into()))?;
                            let filled = e.attributes().with_checks(false).flatten().any(|a| {
                                let k = a.key.as_ref();
                                k.starts_with("office:") && (k.ends_with("value") || k.ends_with("value-type"))
                                    || k == "table:formula"
                                    || k == "calcext:value-type"
                            });
                            let first = t.col;
                            t.col = (t.col + repeat).min(MAX_COLS);
                            t.cell_repeat = t.col - first;
                            t.cell_depth = depth;
                            t.cell_chars = 0;
                            if filled && t.cell_repeat > 0 {
                                t.row_first.get_or_insert(first);
                                t.row_last = t.col - 1;
                            }
                        }
                        "office:annotation" if t.cell_depth > 0 && t.note_depth == 0 => t.note_depth = depth,
                        "text:s" if t.cell_depth > 0 && t.note_depth == 0 => {
                            let spaces = repeat_attr(e, "text:c").ok_or_else(|| scan.damaged(&t.name, "a damaged text:c".into()))?;
                            t.add_chars(spaces, scan, l)?;
                        }
                        _ => {}
                    }
                }
                Event::End(e) => {
                    let name = e.name().into_inner();
                    if t.note_depth == depth {
                        t.note_depth = 0;
                    }
                    if t.cell_depth == depth && (name == "table:table-cell" || name == "table:covered-table-cell") {
                        t.cell_depth = 0;
                        t.row_text = t.row_text.saturating_add(t.cell_chars.saturating_mul(t.cell_repeat));
                    } else if t.depth > 0 && t.cell_depth == 0 && name == "table:table-row" {
                        t.end_row(scan, l)?;
                    } else if t.depth == depth && name == "table:table" {
                        t.end_table(scan, l)?;
                        t = OdsTable::default();
                    }
                }
                Event::Text(_) | Event::CData(_) | Event::GeneralRef(_) if t.cell_depth > 0 && t.note_depth == 0 => {
                    t.add_chars(text_chars(ev), scan, l)?;
                }
                _ => {}
            }
            Ok(())
        })?;
    }
    Ok(())
}

/// `table:number-…-repeated` and `text:c`: a whole number, 1 when absent.
fn repeat_attr(e: &BytesStart<'_>, name: &str) -> Option<u64> {
    match attr_q(e, name) {
        None => Some(1),
        Some(v) => {
            let v = v.trim();
            if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            // Larger than any sheet: the reader caps it, so cap it here too.
            Some(v.parse::<u64>().unwrap_or(u64::MAX))
        }
    }
}

/// One .ods table while it is scanned.
#[derive(Default)]
struct OdsTable {
    /// The stack depth of the open `<table:table>`, 0 outside one.
    depth: usize,
    name: String,
    /// Rows so far, with repeats (capped at Excel's last row).
    rows: u64,
    row_repeat: u64,
    /// The column after the current cell, with repeats.
    col: u64,
    /// First and last filled column of the current row.
    row_first: Option<u64>,
    row_last: u64,
    /// Text of the current row, with column repeats.
    row_text: u64,
    cell_depth: usize,
    cell_repeat: u64,
    cell_chars: u64,
    note_depth: usize,
    /// The used area: first and last filled row and column.
    used_rows: Option<(u64, u64)>,
    used_cols: Option<(u64, u64)>,
    /// Cells the reader lays out before cutting the used area: each row's width up to its last filled cell.
    laid_out: u64,
    text: u64,
}

impl OdsTable {
    fn add_chars(&mut self, n: u64, scan: &Scan<'_>, l: &InputLimits) -> Result<(), InputProblem> {
        self.cell_chars = self.cell_chars.saturating_add(n);
        if self.cell_chars > l.text_chars {
            return Err(scan.text_over(
                &self.name,
                format!("a cell in row {} with more than {} characters", limits::count(self.rows + 1), limits::count(l.text_chars)),
            ));
        }
        Ok(())
    }

    fn end_row(&mut self, scan: &Scan<'_>, l: &InputLimits) -> Result<(), InputProblem> {
        if let Some(first) = self.row_first {
            let (r0, r1) = (self.rows, self.rows + self.row_repeat.max(1) - 1);
            self.used_rows = Some(match self.used_rows {
                Some((a, _)) => (a, r1),
                None => (r0, r1),
            });
            self.used_cols = Some(match self.used_cols {
                Some((a, b)) => (a.min(first), b.max(self.row_last)),
                None => (first, self.row_last),
            });
            self.laid_out = self.laid_out.saturating_add(self.row_last + 1);
            self.text = self.text.saturating_add(self.row_text.saturating_mul(self.row_repeat));
        }
        self.rows = (self.rows + self.row_repeat).min(MAX_ROWS);
        let area = match (self.used_rows, self.used_cols) {
            (Some((a, b)), Some((c, d))) => (b - a + 1).saturating_mul(d - c + 1),
            _ => 0,
        };
        if area > l.cells || self.laid_out > l.cells {
            let rows = self.used_rows.map(|(a, b)| b - a + 1).unwrap_or(0);
            let cols = self.used_cols.map(|(a, b)| b - a + 1).unwrap_or(0);
            return Err(scan.over(
                &self.name,
                format!(
                    "a used area of {} rows × {} columns ({} cells, repeated rows and columns included)",
                    limits::count(rows),
                    limits::count(cols),
                    limits::count(area.max(self.laid_out))
                ),
                "个单元格（每个工作表的使用区域）",
                "cells in a sheet's used area",
                l.cells,
                "cells",
            ));
        }
        if self.text > l.part_bytes() {
            return Err(scan.problem(
                &self.name,
                format!("more than {} of text once repeated rows and columns are laid out", limits::size(l.part_bytes())),
                format!("每个工作表至多 {} MiB 文本（可用 --input-limit part-mib=N 提高上限）", l.part_mib),
                format!("at most {} MiB of text in a sheet ({})", l.part_mib, limits::raise("part-mib")),
            ));
        }
        Ok(())
    }

    fn end_table(&mut self, _scan: &Scan<'_>, _l: &InputLimits) -> Result<(), InputProblem> {
        Ok(())
    }
}

// ------------------------------------------------------------------------ xls

fn u16_at(b: &[u8], i: usize) -> Option<u16> {
    b.get(i..i + 2).map(|s| u16::from_le_bytes([s[0], s[1]]))
}

fn u32_at(b: &[u8], i: usize) -> Option<u32> {
    b.get(i..i + 4).map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

const END_OF_CHAIN: u32 = 0xFFFF_FFFE;

/// The workbook stream of a compound file, read as the reader reads it
/// (regular sectors, or the mini stream for a stream under 4096 bytes), with
/// every chain bounded by the file's size.
fn cfb_workbook_stream(b: &[u8]) -> Result<Vec<u8>, &'static str> {
    let shift = u16_at(b, 0x1E).ok_or("a short header")?;
    if !(shift == 9 || shift == 12) {
        return Err("an unknown sector size");
    }
    let size = 1usize << shift;
    let sectors = (b.len() / size).saturating_sub(1);
    let sector = |i: u32| -> Option<&[u8]> {
        let start = (i as usize).checked_add(1)?.checked_mul(size)?;
        b.get(start..start + size)
    };
    // the FAT, from the header's DIFAT and the DIFAT chain
    let mut difat: Vec<u32> = (0..109).filter_map(|k| u32_at(b, 0x4C + 4 * k)).collect();
    let mut next = u32_at(b, 0x44).ok_or("a short header")?;
    let mut hops = 0;
    while next < 0xFFFF_FFFA {
        hops += 1;
        if hops > sectors + 1 {
            return Err("a looping sector chain");
        }
        let s = sector(next).ok_or("a sector beyond the end of the file")?;
        let n = size / 4 - 1;
        difat.extend((0..n).filter_map(|k| u32_at(s, 4 * k)));
        next = u32_at(s, 4 * n).unwrap_or(END_OF_CHAIN);
    }
    let mut fat: Vec<u32> = Vec::new();
    for id in difat.into_iter().filter(|id| *id < 0xFFFF_FFFA) {
        let s = sector(id).ok_or("a sector beyond the end of the file")?;
        fat.extend((0..size / 4).filter_map(|k| u32_at(s, 4 * k)));
        if fat.len() > (sectors + 1) * (size / 4) * 2 {
            return Err("an oversized sector table");
        }
    }
    let chain = |start: u32, table: &[u32], limit: usize| -> Result<Vec<u32>, &'static str> {
        let mut out = Vec::new();
        let mut id = start;
        while id < 0xFFFF_FFFA {
            out.push(id);
            if out.len() > limit {
                return Err("a looping sector chain");
            }
            id = *table.get(id as usize).ok_or("a sector beyond the end of the file")?;
        }
        Ok(out)
    };
    let read = |ids: &[u32]| -> Result<Vec<u8>, &'static str> {
        let mut out = Vec::with_capacity(ids.len() * size);
        for id in ids {
            out.extend_from_slice(sector(*id).ok_or("a sector beyond the end of the file")?);
        }
        Ok(out)
    };
    let dir = read(&chain(u32_at(b, 0x30).ok_or("a short header")?, &fat, sectors)?)?;
    let entries: Vec<&[u8]> = dir.chunks(128).filter(|c| c.len() == 128).collect();
    let root = entries.first().ok_or("no directory")?;
    let name_of = |e: &[u8]| -> String {
        let len = (u16_at(e, 0x40).unwrap_or(0) as usize).min(64);
        let units: Vec<u16> = (0..len / 2).filter_map(|k| u16_at(e, 2 * k)).take_while(|u| *u != 0).collect();
        String::from_utf16_lossy(&units)
    };
    let entry = entries
        .iter()
        .find(|e| name_of(e).eq_ignore_ascii_case("Workbook"))
        .or_else(|| entries.iter().find(|e| name_of(e).eq_ignore_ascii_case("Book")))
        .ok_or("no workbook stream")?;
    let start = u32_at(entry, 0x74).ok_or("a short directory entry")?;
    let len = u32_at(entry, 0x78).ok_or("a short directory entry")? as usize;
    if len > b.len() {
        return Err("a stream longer than the file");
    }
    let mut data = if len < 4096 {
        let mini_fat_start = u32_at(b, 0x3C).ok_or("a short header")?;
        let mini_fat_bytes = read(&chain(mini_fat_start, &fat, sectors)?)?;
        let mini_fat: Vec<u32> = (0..mini_fat_bytes.len() / 4).filter_map(|k| u32_at(&mini_fat_bytes, 4 * k)).collect();
        let ministream = read(&chain(u32_at(root, 0x74).ok_or("a short directory entry")?, &fat, sectors)?)?;
        let ids = chain(start, &mini_fat, ministream.len() / 64 + 1)?;
        let mut out = Vec::with_capacity(ids.len() * 64);
        for id in ids {
            let at = id as usize * 64;
            out.extend_from_slice(ministream.get(at..at + 64).ok_or("a mini sector beyond the mini stream")?);
        }
        out
    } else {
        read(&chain(start, &fat, sectors)?)?
    };
    data.truncate(len);
    Ok(data)
}

/// The record at `pos` of a BIFF stream: (type, data, next position).
fn record(s: &[u8], pos: usize) -> Option<(u16, &[u8], usize)> {
    let t = u16_at(s, pos)?;
    let len = u16_at(s, pos + 2)? as usize;
    let data = s.get(pos + 4..pos + 4 + len)?;
    Some((t, data, pos + 4 + len))
}

/// The character counts of the shared strings (SST and its CONTINUE records).
fn sst_lengths(parts: &[&[u8]], max_strings: u64) -> Result<Vec<u32>, &'static str> {
    let first = parts.first().ok_or("no SST")?;
    let unique = u32_at(first, 4).ok_or("a short SST")? as u64;
    if unique > max_strings {
        return Err("too many");
    }
    // a cursor over the record and its continuations
    let mut seg = 0usize;
    let mut pos = 8usize;
    let mut out = Vec::new();
    let take = |seg: &mut usize, pos: &mut usize, mut n: usize| -> Result<(), &'static str> {
        while n > 0 {
            let s = parts.get(*seg).ok_or("a string past the end of the SST")?;
            let here = (s.len() - (*pos).min(s.len())).min(n);
            n -= here;
            *pos += here;
            if n > 0 {
                *seg += 1;
                *pos = 0;
            }
        }
        Ok(())
    };
    loop {
        if parts.get(seg).is_some_and(|s| pos >= s.len()) {
            seg += 1;
            pos = 0;
        }
        let Some(s) = parts.get(seg) else { break };
        if out.len() as u64 >= unique.max(1) * 2 + 16 {
            break;
        }
        let cch = u16_at(s, pos).ok_or("a string header split across records")? as usize;
        let flags = *s.get(pos + 2).ok_or("a string header split across records")?;
        pos += 3;
        let runs = if flags & 0x08 != 0 {
            let r = u16_at(s, pos).ok_or("a string header split across records")? as usize;
            pos += 2;
            r
        } else {
            0
        };
        let ext = if flags & 0x04 != 0 {
            let e = u32_at(s, pos).ok_or("a string header split across records")? as usize;
            pos += 4;
            e
        } else {
            0
        };
        // characters: a continuation starts with its own flags byte
        let mut left = cch;
        let mut wide = flags & 0x01 != 0;
        while left > 0 {
            let s = parts.get(seg).ok_or("a string past the end of the SST")?;
            if pos >= s.len() {
                seg += 1;
                let s = parts.get(seg).ok_or("a string past the end of the SST")?;
                wide = *s.first().ok_or("an empty continuation")? & 0x01 != 0;
                pos = 1;
                continue;
            }
            let width = if wide { 2 } else { 1 };
            let here = ((s.len() - pos) / width).min(left).max(1);
            left -= here;
            pos += here * width;
        }
        take(&mut seg, &mut pos, runs * 4 + ext)?;
        out.push(cch as u32);
    }
    Ok(out)
}

/// Scans an .xls before it is opened (the reader builds every sheet at once).
pub fn xls(bytes: &[u8], scan: &Scan<'_>) -> Result<(), InputProblem> {
    let l = scan.limits;
    let stream = cfb_workbook_stream(bytes).map_err(|why| scan.damaged("", format!("an unreadable workbook ({why})")))?;
    // the globals: sheets and shared strings
    let mut sheets: Vec<(usize, String)> = Vec::new();
    let mut sst: Vec<u32> = Vec::new();
    let mut pos = 0;
    while let Some((t, data, next)) = record(&stream, pos) {
        match t {
            0x0085 => {
                let at =
                    u32_at(data, 0).ok_or_else(|| scan.damaged("", "an unreadable workbook (a damaged sheet directory)".into()))? as usize;
                let name = sheet_name(data).unwrap_or_else(|| format!("sheet {}", sheets.len() + 1));
                if at >= stream.len() {
                    return Err(scan.damaged(&name, "an unreadable workbook (a sheet that starts past the end of the file)".into()));
                }
                sheets.push((at, name));
            }
            0x00FC => {
                let mut parts = vec![data];
                let mut p = next;
                while let Some((0x003C, d, n)) = record(&stream, p) {
                    parts.push(d);
                    p = n;
                }
                sst = match sst_lengths(&parts, l.strings) {
                    Ok(s) => s,
                    Err("too many") => {
                        let declared = u32_at(data, 4).unwrap_or(0);
                        return Err(scan.over(
                            "",
                            format!("{} shared strings declared", limits::count(declared as u64)),
                            "个共享字符串",
                            "shared strings",
                            l.strings,
                            "strings",
                        ));
                    }
                    Err(why) => {
                        return Err(scan.damaged("", format!("an unreadable workbook ({why})")));
                    }
                };
            }
            0x000A => break,
            _ => {}
        }
        pos = next;
    }
    let mut total: u64 = 0;
    for (at, name) in &sheets {
        scan.time_up()?;
        let mut pos = *at;
        let mut seen_bof = false;
        let mut nested = 0usize;
        let (mut r0, mut r1, mut c0, mut c1) = (u64::MAX, 0u64, u64::MAX, 0u64);
        let mut cells: u64 = 0;
        let mut text: u64 = 0;
        let mut fmla = (0u64, 0u64);
        let mut add = |row: u64, col: u64, n: u64| {
            r0 = r0.min(row);
            r1 = r1.max(row);
            c0 = c0.min(col);
            c1 = c1.max(col + n.max(1) - 1);
            cells += n;
        };
        while let Some((t, data, next)) = record(&stream, pos) {
            pos = next;
            if nested > 0 {
                match t {
                    0x0809 => nested += 1,
                    0x000A => nested -= 1,
                    _ => {}
                }
                continue;
            }
            let rc = || Some((u16_at(data, 0)? as u64, u16_at(data, 2)? as u64));
            match t {
                0x0809 => {
                    if seen_bof {
                        nested += 1;
                    } else {
                        seen_bof = true;
                    }
                }
                0x000A => break,
                0x0200 => {
                    // the reader reserves the declared dimensions' area
                    let (rf, rl, cf, cl) = match data.len() {
                        10 => (
                            u16_at(data, 0).unwrap_or(0) as u64,
                            u16_at(data, 2).unwrap_or(0) as u64,
                            u16_at(data, 4).unwrap_or(0) as u64,
                            u16_at(data, 6).unwrap_or(0) as u64,
                        ),
                        14 | 16 => (
                            u32_at(data, 0).unwrap_or(0) as u64,
                            u32_at(data, 4).unwrap_or(0) as u64,
                            u16_at(data, 8).unwrap_or(0) as u64,
                            u16_at(data, 10).unwrap_or(0) as u64,
                        ),
                        _ => continue,
                    };
                    let cf = if cf > 0xFF || cl < cf { 0 } else { cf };
                    if rl >= 1 && cl >= 1 {
                        if rl - 1 < rf {
                            return Err(scan.damaged(name, "declared dimensions whose last row comes before the first".into()));
                        }
                        let area = (rl - rf).saturating_mul(cl.saturating_sub(cf));
                        if area > l.cells {
                            return Err(scan.over(
                                name,
                                format!("declared dimensions of {} cells", limits::count(area)),
                                "个单元格（每个工作表的使用区域）",
                                "cells in a sheet's used area",
                                l.cells,
                                "cells",
                            ));
                        }
                    }
                }
                0x0203 | 0x0204 | 0x00D6 | 0x0205 | 0x027E => {
                    if let Some((r, c)) = rc() {
                        add(r, c, 1);
                        if matches!(t, 0x0204 | 0x00D6) {
                            text += data.len() as u64;
                        }
                    }
                }
                0x00FD => {
                    if let Some((r, c)) = rc() {
                        add(r, c, 1);
                        let i = u32_at(data, 6).unwrap_or(u32::MAX) as usize;
                        text += sst.get(i).copied().unwrap_or(0) as u64 * 3;
                    }
                }
                0x00BD => {
                    if let (Some((r, c)), Some(last)) = (rc(), data.len().checked_sub(2).and_then(|i| u16_at(data, i))) {
                        if (last as u64) < c {
                            return Err(scan.damaged(name, "an unreadable workbook (a damaged MULRK record)".into()));
                        }
                        add(r, c, last as u64 - c + 1);
                    }
                }
                0x0006 => {
                    if let Some((r, c)) = rc() {
                        add(r, c, 1);
                        fmla = (r, c);
                        text += data.len() as u64;
                    }
                }
                0x0207 => {
                    let (r, c) = fmla;
                    add(r, c, 1);
                    text += data.len() as u64;
                }
                _ => {}
            }
        }
        if cells > 0 {
            // the reader lays out every cell of the used area, values and formulas
            let area = (r1 - r0 + 1).saturating_mul(c1 - c0 + 1);
            total = total.saturating_add(area);
            if area > l.cells || total > l.cells {
                return Err(scan.over(
                    name,
                    format!(
                        "a used area of {} rows × {} columns ({} cells)",
                        limits::count(r1 - r0 + 1),
                        limits::count(c1 - c0 + 1),
                        limits::count(area)
                    ),
                    "个单元格（.xls 各工作表的使用区域合计）",
                    "cells in the used areas of an .xls workbook's sheets together",
                    l.cells,
                    "cells",
                ));
            }
        }
        if text > l.part_bytes() {
            return Err(scan.problem(
                name,
                format!("more than {} of text once shared strings are repeated in their cells", limits::size(l.part_bytes())),
                format!("每个工作表至多 {} MiB 文本（可用 --input-limit part-mib=N 提高上限）", l.part_mib),
                format!("at most {} MiB of text in a sheet ({})", l.part_mib, limits::raise("part-mib")),
            ));
        }
    }
    Ok(())
}

/// A BoundSheet8 record's sheet name (BIFF8: a short XLUnicodeString at byte 6).
fn sheet_name(data: &[u8]) -> Option<String> {
    let cch = *data.get(6)? as usize;
    let flags = *data.get(7)?;
    let chars = data.get(8..)?;
    if flags & 0x01 != 0 {
        let units: Vec<u16> = (0..cch).map(|k| u16_at(chars, 2 * k)).collect::<Option<_>>()?;
        Some(String::from_utf16_lossy(&units))
    } else {
        Some(chars.get(..cch)?.iter().map(|b| *b as char).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_references_stop_at_excels_last_cell() {
        assert_eq!(cell_ref("A1"), Some((1, Some(1))));
        assert_eq!(cell_ref("xfd1048576"), Some((1_048_576, Some(16_384))));
        assert_eq!(cell_ref("5"), Some((5, None)));
        assert_eq!(cell_ref("XFE1"), None);
        assert_eq!(cell_ref("A1048577"), None);
        assert_eq!(cell_ref("A99999999999999999999"), None);
        assert_eq!(cell_ref("4294967296"), None);
        assert_eq!(cell_ref("AAAAAAAAAAAAAAAAAAAAAAAAAA1"), None);
        assert_eq!(cell_ref("A0"), None);
        assert_eq!(cell_ref(""), None);
        assert!(check_dimension("A1:D4").is_ok());
        assert!(check_dimension("D4:A1").is_err());
    }
}
