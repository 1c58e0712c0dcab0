//! Serial numbers read as ranges, so that two uses of the same credit are found
//! by an interval search rather than by comparing text.
//!
//! What a registry writes in a serial column takes a few shapes:
//!
//! - a block: a prefix naming the mechanism, project and vintage, then the first and
//!   last unit, e.g. `CCER-2016-0001-000001-100000` (units 1 to 100,000 of the prefix
//!   `CCER-2016-0001`), or `GDPH-2024-0001-018000`;
//! - two full serials joined by `~`, `～`, `至`, ` to `, `..` or a spaced dash:
//!   `CCER-14-0001-000001 ~ CCER-14-0001-000300`;
//! - a single unit: a prefix and one number, when the quantity is 1;
//! - a green certificate (绿证) code: 32 digits, the first 17 the project's filing
//!   code (建档立卡编码), the remaining 15 the production date, the certificate's
//!   sequence number and two classification digits (electricity class, trade class);
//!   a block of certificates is two codes joined as above;
//! - anything else (a project-level reference such as `FFCER-2022-0007` with a quantity
//!   of 5,000): an identifier, compared as a whole.
//!
//! A trailing pair of numbers is a block only when it agrees with the row's quantity
//! (last − first + 1 = quantity); otherwise `CCER-03-2025-2040` would read as units
//! 2025–2040. Where the quantity is not a whole number the shape alone decides.
//!
//! The green-certificate layout: 32 digits, 17 for the project and 15 for the
//! electricity (production date, certificate sequence, electricity class, trade class)
//! is from a secondary source (a 2025 explanation of the code, not the NEA rules text).
//! The split of the 15 is not published there; this reader does not depend on it: the
//! project's 17 digits are the key, digits 18–30 (date and sequence, whatever their
//! widths) are the position, and the last two digits (the classes) are ignored, so
//! certificates of one project never collide across months and a block is contiguous
//! within the sequence. The production month is read from digits 18–23 as `YYYYMM`
//! only for display, and only when it is a valid month.

use std::fmt;

/// How a serial was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Form {
    /// A block of units of one prefix.
    Block,
    /// One unit of a prefix (quantity 1).
    Unit,
    /// One or a block of 32-digit green certificate codes of one project.
    GreenCertificate {
        /// The 17-digit project filing code.
        project: String,
        /// `YYYY-MM` of the first certificate, when digits 18–23 are a valid month.
        month: Option<String>,
    },
    /// Not readable as a range: compared as a whole.
    Identifier,
}

/// A serial (or serial block) as an interval `[first, last]` under a key.
/// Two ranges overlap when their keys are equal and their intervals intersect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerialRange {
    /// The mechanism family, e.g. `CCER`, `GDPH`, `GEC` (upper case), or `ID`.
    pub kind: String,
    /// What two ranges must share to be compared: the normalised prefix, `GEC:` and the
    /// project code, or `ID:` and the whole normalised serial.
    pub key: String,
    pub first: u64,
    pub last: u64,
    pub form: Form,
}

/// Largest position kept: SQLite integers are signed 64-bit.
pub(crate) const MAX_POSITION: u64 = i64::MAX as u64;

impl SerialRange {
    /// Number of units in the range (1 for identifiers).
    pub fn units(&self) -> u64 {
        self.last - self.first + 1
    }

    /// Whether the two ranges share at least one unit.
    pub fn overlaps(&self, other: &SerialRange) -> bool {
        self.key == other.key && self.first <= other.last && other.first <= self.last
    }

    /// The shared units of two overlapping ranges.
    #[cfg(test)]
    pub(crate) fn intersection(&self, other: &SerialRange) -> Option<(u64, u64)> {
        self.overlaps(other).then(|| (self.first.max(other.first), self.last.min(other.last)))
    }

    /// `first–last` in the serial's own terms (`000001–050000`), or the identifier.
    pub(crate) fn describe_span(&self, first: u64, last: u64) -> String {
        match self.form {
            Form::Identifier => self.key.trim_start_matches("ID:").to_string(),
            _ if first == last => first.to_string(),
            _ => format!("{first}–{last}"),
        }
    }
}

impl fmt::Display for SerialRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.form {
            Form::Identifier => write!(f, "{}", self.key.trim_start_matches("ID:")),
            Form::GreenCertificate { project, .. } => {
                write!(f, "GEC {project} {}–{}", self.first, self.last)
            }
            Form::Block | Form::Unit if self.first == self.last => {
                write!(f, "{} {}", self.key, self.first)
            }
            Form::Block | Form::Unit => write!(f, "{} {}–{}", self.key, self.first, self.last),
        }
    }
}

/// Why a non-empty serial was compared as a whole identifier rather than as a range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    /// It ends in two numbers, but their span disagrees with the row's quantity.
    SpanDisagreesWithQuantity { span: u64, quantity: u64 },
    /// Two serials joined as a range, but with different prefixes or a reversed order.
    RangeEndsDiffer,
}

/// Reads a serial. `quantity` is the row's quantity when it is a whole number.
/// Returns `None` for a blank serial.
pub fn parse(serial: &str, quantity: Option<u64>) -> Option<(SerialRange, Option<Note>)> {
    let text = normalise(serial);
    if text.is_empty() {
        return None;
    }
    // Two full serials joined as a range.
    if let Some((a, b)) = split_range(&text) {
        if let (Some(x), Some(y)) = (green_code(a), green_code(b)) {
            if x.0 == y.0 && x.1 <= y.1 {
                return Some((green_range(x.0, x.1, y.1, x.2), None));
            }
            return Some((identifier(&text), Some(Note::RangeEndsDiffer)));
        }
        if let (Some((pa, na)), Some((pb, nb))) = (last_number(a), last_number(b))
            && pa == pb
            && na <= nb
        {
            return Some((block(pa, na, nb, Form::Block), None));
        }
        return Some((identifier(&text), Some(Note::RangeEndsDiffer)));
    }
    if let Some((project, pos, month)) = green_code(&text) {
        return Some((green_range(project, pos, pos, month), None));
    }
    // A prefix and two trailing numbers.
    if let Some((rest, last)) = last_number(&text) {
        if let Some((prefix, first)) = last_number(rest)
            && first <= last
            && !prefix.is_empty()
        {
            let span = last - first + 1;
            match quantity {
                Some(q) if q == span => {
                    return Some((block(prefix, first, last, Form::Block), None));
                }
                None => return Some((block(prefix, first, last, Form::Block), None)),
                Some(q) if q != 1 => {
                    return Some((identifier(&text), Some(Note::SpanDisagreesWithQuantity { span, quantity: q })));
                }
                Some(_) => {}
            }
        }
        if quantity == Some(1) && !rest.is_empty() {
            return Some((block(rest, last, last, Form::Unit), None));
        }
    }
    Some((identifier(&text), None))
}

/// Upper case, ASCII forms of full-width characters, no surrounding or doubled spaces.
pub fn normalise(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.trim().chars() {
        let c = match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFF01 + 0x21).unwrap_or(c),
            '\u{3000}' => ' ',
            '\u{2010}'..='\u{2013}' | '\u{2212}' => '-',
            c => c,
        };
        if c.is_whitespace() {
            space = true;
            continue;
        }
        if space && !out.is_empty() {
            out.push(' ');
        }
        space = false;
        out.extend(c.to_uppercase());
    }
    out
}

fn split_range(text: &str) -> Option<(&str, &str)> {
    for sep in ["~", "～", "至", " TO ", "..", " - ", "—", " — "] {
        if let Some((a, b)) = text.split_once(sep) {
            let (a, b) = (a.trim(), b.trim());
            if !a.is_empty() && !b.is_empty() {
                return Some((a, b));
            }
        }
    }
    // Two green certificate codes joined by a bare dash.
    if text.len() == 65 && text.as_bytes()[32] == b'-' && green_code(&text[..32]).is_some() && green_code(&text[33..]).is_some() {
        return Some((&text[..32], &text[33..]));
    }
    None
}

/// The text before the last run of digits (without the separator) and that number,
/// when the serial ends in digits that follow a separator or a letter.
fn last_number(text: &str) -> Option<(&str, u64)> {
    let bytes = text.as_bytes();
    let end = bytes.len();
    let mut start = end;
    while start > 0 && bytes[start - 1].is_ascii_digit() {
        start -= 1;
    }
    if start == end || end - start > 18 {
        return None;
    }
    let n: u64 = text[start..].parse().ok()?;
    if n > MAX_POSITION {
        return None;
    }
    let mut prefix = &text[..start];
    if let Some(p) = prefix.strip_suffix(['-', '_', '/', '.', ' ', '#']) {
        prefix = p;
    }
    Some((prefix, n))
}

/// A 32-digit green certificate code: (project, position, production month).
fn green_code(text: &str) -> Option<(&str, u64, Option<String>)> {
    let t = text.strip_prefix("GEC").map(|t| t.trim_start_matches([':', '-', ' '])).unwrap_or(text);
    if t.len() != 32 || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let project = &t[..17];
    let position: u64 = t[17..30].parse().ok()?;
    let year: u32 = t[17..21].parse().ok()?;
    let month: u32 = t[21..23].parse().ok()?;
    let month = ((2000..=2099).contains(&year) && (1..=12).contains(&month)).then(|| format!("{year}-{month:02}"));
    Some((project, position, month))
}

fn green_range(project: &str, first: u64, last: u64, month: Option<String>) -> SerialRange {
    SerialRange {
        kind: "GEC".into(),
        key: format!("GEC:{project}"),
        first,
        last,
        form: Form::GreenCertificate { project: project.to_string(), month },
    }
}

fn block(prefix: &str, first: u64, last: u64, form: Form) -> SerialRange {
    SerialRange { kind: family(prefix), key: prefix.to_string(), first, last, form }
}

fn identifier(text: &str) -> SerialRange {
    SerialRange { kind: family(text), key: format!("ID:{text}"), first: 0, last: 0, form: Form::Identifier }
}

/// The leading letters of a serial (its mechanism), or `ID` when it starts otherwise.
fn family(text: &str) -> String {
    let letters: String = text.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
    if letters.is_empty() { "ID".into() } else { letters }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(s: &str, q: Option<u64>) -> SerialRange {
        parse(s, q).expect("not blank").0
    }

    #[test]
    fn ccer_blocks_from_the_samples() {
        let r = range("CCER-2016-0001-000001-100000", Some(100_000));
        assert_eq!((r.kind.as_str(), r.key.as_str(), r.first, r.last), ("CCER", "CCER-2016-0001", 1, 100_000));
        assert_eq!(r.form, Form::Block);
        let r = range("GDPH-2024-0001-018000", Some(18_000));
        assert_eq!((r.key.as_str(), r.first, r.last), ("GDPH-2024", 1, 18_000));
        let r = range("CCER-EXAMPLE-2024-000001-002000", Some(2000));
        assert_eq!((r.key.as_str(), r.units()), ("CCER-EXAMPLE-2024", 2000));
    }

    #[test]
    fn a_span_that_disagrees_with_the_quantity_is_an_identifier() {
        let (r, note) = parse("CCER-03-2025-2040", Some(20_000)).unwrap();
        assert_eq!(r.form, Form::Identifier);
        assert_eq!(r.key, "ID:CCER-03-2025-2040");
        assert_eq!(note, Some(Note::SpanDisagreesWithQuantity { span: 16, quantity: 20_000 }));
        // A project-level reference with one number is an identifier, without a note.
        let (r, note) = parse("FFCER-2022-0007", Some(5000)).unwrap();
        assert_eq!((r.form, note), (Form::Identifier, None));
        // Without a whole quantity, the shape decides.
        assert_eq!(range("CCER-03-2025-2040", None).form, Form::Block);
    }

    #[test]
    fn single_units_and_joined_ranges() {
        let u = range("ccer-2016-0001-000050", Some(1));
        assert_eq!((u.key.as_str(), u.first, u.last, u.form.clone()), ("CCER-2016-0001", 50, 50, Form::Unit));
        let b = range("CCER-2016-0001-000001-100000", Some(100_000));
        assert_eq!(u.intersection(&b), Some((50, 50)));
        for joined in [
            "CCER-14-0001-000001 ~ CCER-14-0001-000300",
            "CCER-14-0001-000001～CCER-14-0001-000300",
            "CCER-14-0001-000001至CCER-14-0001-000300",
            "CCER-14-0001-000001 to CCER-14-0001-000300",
            "CCER-14-0001-000001 - CCER-14-0001-000300",
        ] {
            let r = range(joined, Some(300));
            assert_eq!((r.key.as_str(), r.first, r.last), ("CCER-14-0001", 1, 300), "{joined}");
        }
        let (r, note) = parse("CCER-14-0001-000300 ~ CCER-14-0001-000001", None).unwrap();
        assert_eq!((r.form, note), (Form::Identifier, Some(Note::RangeEndsDiffer)));
        let (r, note) = parse("CCER-14-0001-000001 ~ CCER-14-0002-000300", None).unwrap();
        assert_eq!((r.form, note), (Form::Identifier, Some(Note::RangeEndsDiffer)));
    }

    #[test]
    fn full_width_and_case_are_normalised() {
        let a = range("ＣＣＥＲ－２０１６－０００１－０００００１－０００１００", Some(100));
        let b = range(" ccer-2016-0001-000050-000150 ", Some(101));
        assert_eq!(a.key, "CCER-2016-0001");
        assert_eq!(a.intersection(&b), Some((50, 100)));
        assert_eq!(parse("   ", Some(3)), None);
    }

    #[test]
    fn green_certificate_codes() {
        // 17-digit project, then production month 2024-03, sequence, two class digits.
        let project = "12345678901234567";
        let code = |seq: u32| format!("{project}202403{seq:07}11");
        let one = range(&code(42), None);
        assert_eq!(one.key, format!("GEC:{project}"));
        assert_eq!(one.first, one.last);
        assert_eq!(one.form, Form::GreenCertificate { project: project.into(), month: Some("2024-03".into()) });
        let block = range(&format!("{}~{}", code(1), code(1000)), Some(1000));
        assert_eq!(block.units(), 1000);
        assert!(block.overlaps(&one));
        let dashed = range(&format!("{}-{}", code(900), code(1100)), None);
        assert_eq!(block.intersection(&dashed).map(|(a, b)| b - a + 1), Some(101));
        // The same sequence in another month, or another project, is another certificate.
        let april = range(&format!("{project}202404{:07}11", 42), None);
        assert!(!april.overlaps(&one));
        let other = range(&format!("92345678901234567202403{:07}11", 42), None);
        assert!(!other.overlaps(&one));
        // A differing class pair does not make a different certificate.
        let class = range(&format!("{project}202403{:07}22", 42), None);
        assert!(class.overlaps(&one));
        // Ranges across projects are not ranges.
        let (r, note) = parse(&format!("{}~92345678901234567202403{:07}11", code(1), 5), None).unwrap();
        assert_eq!((r.form, note), (Form::Identifier, Some(Note::RangeEndsDiffer)));
    }

    #[test]
    fn identifiers_compare_as_whole_text() {
        let a = range("GD-PH-ZX-2024-077 (批次 B)", Some(77));
        let b = range("gd-ph-zx-2024-077  (批次 b)", Some(77));
        assert!(a.overlaps(&b));
        assert!(!a.overlaps(&range("GD-PH-ZX-2024-078 (批次 B)", Some(77))));
    }

    #[test]
    fn numbers_beyond_sqlite_integers_are_not_positions() {
        let r = range("X-1-99999999999999999999", None);
        assert_eq!(r.form, Form::Identifier);
    }
}
