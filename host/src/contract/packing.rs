//! The packed forms of contract 1.1's columns: decimals as a 64-bit mantissa
//! and a scale, dates as day numbers, booleans and empty cells as bits.
//!
//! The SDK (`plugins/sdk/src/columns.rs`) has the same functions for the
//! guest; both are tested against the same examples, so a value packed on one
//! side unpacks to the same text on the other.

/// The scale that marks a decimal passed as text (see `numbers` in the WIT).
pub const SCALE_TEXT: u8 = 255;
/// The day that marks a date passed as text (see `dates` in the WIT).
pub const DAY_TEXT: i32 = i32::MIN;
/// The largest scale packed (rust_decimal's).
pub const MAX_SCALE: u32 = 28;

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
    let (y, m, d) = civil_from_days(days as i64);
    format!("{y:04}-{m:02}-{d:02}")
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

/// Whether bit `i` of a bit set is set (bits beyond the list are clear).
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

    pub fn push(&mut self, on: bool) {
        if self.len.is_multiple_of(8) {
            self.bytes.push(0);
        }
        if on {
            *self.bytes.last_mut().expect("pushed above") |= 1 << (self.len % 8);
        }
        self.len += 1;
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same examples are in the SDK's tests (plugins/sdk/src/columns.rs).
    pub const DECIMALS: &[(&str, Option<(i64, u8)>)] = &[
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

    pub const DATES: &[(&str, Option<i32>)] = &[
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
        // Every day of four centuries.
        for d in -25567..(-25567 + 146_097) {
            assert_eq!(pack_date(&unpack_date(d)), Some(d));
        }
    }

    #[test]
    fn bits_pack_least_significant_first() {
        let mut b = Bits::default();
        for on in [true, false, false, true, false, false, false, false, true] {
            b.push(on);
        }
        let bytes = b.into_bytes();
        assert_eq!(bytes, [0b0000_1001, 0b0000_0001]);
        assert!(bit(&bytes, 0) && bit(&bytes, 3) && bit(&bytes, 8) && !bit(&bytes, 9) && !bit(&bytes, 100));
    }
}
