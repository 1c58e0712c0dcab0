//! Exact decimals at the boundary: contract decimals are canonical text.

use rust_decimal::Decimal;
use std::str::FromStr;

/// Parses contract decimal text ("-12.5"); no exponent, no grouping.
pub fn parse(text: &str) -> Option<Decimal> {
    let t = text.trim();
    if t.is_empty() || t.contains(['e', 'E', ',', '_']) {
        return None;
    }
    Decimal::from_str(t).ok()
}

/// Canonical text: no exponent, no trailing zeros.
pub fn format(d: Decimal) -> String {
    d.normalize().to_string()
}

/// A TOML or JSON float written by a person ("0.05") as exact decimal text:
/// the shortest text that reads back as the same float, which is what they wrote.
pub(crate) fn from_f64(f: f64) -> Option<String> {
    if !f.is_finite() {
        return None;
    }
    let text = format!("{f}");
    parse(&text).map(format)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_format() {
        assert_eq!(format(parse("1200.500").unwrap()), "1200.5");
        assert_eq!(format(parse("-0.000").unwrap()), "0");
        assert!(parse("1e3").is_none());
        assert!(parse("1,000").is_none());
        assert_eq!(from_f64(0.05).unwrap(), "0.05");
        assert_eq!(from_f64(1.0).unwrap(), "1");
    }
}
