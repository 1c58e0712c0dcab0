//! Units stated by the user, converted exactly into the canonical unit a
//! plugin declares for a column.
//!
//! Units are compared as written after a few spellings are folded (see
//! [`fold`]): spaces dropped, `10⁴`, `10^4` and the flattened `104` (as text
//! extracted from the official forms has it) before `Nm³` read alike, `³` as
//! `3`, and the middle dots of `MW·h`, `MW∙h` and `kW•h` dropped, so the
//! official forms' `10⁴Nm³`, `万Nm³`, `MW∙h` and `tCO2/MW·h` are found.
//!
//! A header that names alternatives, as the official forms do when the unit
//! follows the fuel (`t 或 10⁴Nm³`, `GJ/t 或 GJ/10⁴Nm³`), is split by
//! [`alternatives`]; which one applies is decided by whoever knows the fuel.

use rust_decimal::Decimal;

/// (unit as written, canonical unit, factor to canonical: num × 10^-scale)
const UNITS: &[(&str, &str, i64, u32)] = &[
    // mass of CO2 and of goods: canonical t (a tonne of CO2 is a tonne)
    ("t", "t", 1, 0),
    ("吨", "t", 1, 0),
    ("kg", "t", 1, 3),
    ("千克", "t", 1, 3),
    ("公斤", "t", 1, 3),
    ("kt", "t", 1000, 0),
    ("千吨", "t", 1000, 0),
    ("万t", "t", 10000, 0),
    ("万吨", "t", 10000, 0),
    ("Mt", "t", 1_000_000, 0),
    ("tCO2", "t", 1, 0),
    ("tCO2e", "t", 1, 0),
    ("tCO₂", "t", 1, 0),
    ("kgCO2", "t", 1, 3),
    ("kgCO2e", "t", 1, 3),
    ("ktCO2", "t", 1000, 0),
    ("万tCO2", "t", 10000, 0),
    ("万吨CO2", "t", 10000, 0),
    ("万吨二氧化碳", "t", 10000, 0),
    ("吨二氧化碳", "t", 1, 0),
    // gas volume at standard conditions: canonical 10^4 Nm3 (the forms' 10⁴Nm³, 万Nm³)
    ("10^4 Nm3", "10^4 Nm3", 1, 0),
    ("104Nm3", "10^4 Nm3", 1, 0),
    ("万Nm3", "10^4 Nm3", 1, 0),
    ("万标准立方米", "10^4 Nm3", 1, 0),
    ("万标方", "10^4 Nm3", 1, 0),
    ("Nm3", "10^4 Nm3", 1, 4),
    ("标准立方米", "10^4 Nm3", 1, 4),
    ("10^8 Nm3", "10^4 Nm3", 10000, 0),
    ("亿Nm3", "10^4 Nm3", 10000, 0),
    ("亿标准立方米", "10^4 Nm3", 10000, 0),
    // electricity: canonical MWh
    ("MWh", "MWh", 1, 0),
    ("kWh", "MWh", 1, 3),
    ("千瓦时", "MWh", 1, 3),
    ("度", "MWh", 1, 3),
    ("万kWh", "MWh", 10, 0),
    ("万千瓦时", "MWh", 10, 0),
    ("兆瓦时", "MWh", 1, 0),
    ("GWh", "MWh", 1000, 0),
    ("亿kWh", "MWh", 100_000, 0),
    ("亿千瓦时", "MWh", 100_000, 0),
    // heat: canonical GJ
    ("GJ", "GJ", 1, 0),
    ("MJ", "GJ", 1, 3),
    ("TJ", "GJ", 1000, 0),
    ("百万千焦", "GJ", 1, 0),
    ("吉焦", "GJ", 1, 0),
    // net calorific value of solid and liquid fuels: canonical GJ/t
    ("GJ/t", "GJ/t", 1, 0),
    ("MJ/kg", "GJ/t", 1, 0),
    ("kJ/kg", "GJ/t", 1, 3),
    ("TJ/万t", "GJ/t", 1, 1),
    // net calorific value of gases: canonical GJ/10^4 Nm3
    ("GJ/10^4 Nm3", "GJ/10^4 Nm3", 1, 0),
    ("GJ/104Nm3", "GJ/10^4 Nm3", 1, 0),
    ("GJ/万Nm3", "GJ/10^4 Nm3", 1, 0),
    ("GJ/万标准立方米", "GJ/10^4 Nm3", 1, 0),
    ("MJ/Nm3", "GJ/10^4 Nm3", 10, 0),
    ("kJ/Nm3", "GJ/10^4 Nm3", 1, 2),
    // carbon content per unit of heat: canonical tC/GJ
    ("tC/GJ", "tC/GJ", 1, 0),
    ("kgC/GJ", "tC/GJ", 1, 3),
    ("tC/TJ", "tC/GJ", 1, 3),
    // fractions: canonical ratio (0.99 for 99 %); element carbon content in tC/t is a mass fraction
    ("ratio", "ratio", 1, 0),
    ("%", "ratio", 1, 2),
    ("％", "ratio", 1, 2),
    ("‰", "ratio", 1, 3),
    ("tC/t", "ratio", 1, 0),
    ("kgC/kg", "ratio", 1, 0),
    ("kgC/t", "ratio", 1, 3),
    // emission factors and intensities
    ("tCO2/MWh", "tCO2/MWh", 1, 0),
    ("kgCO2/kWh", "tCO2/MWh", 1, 0),
    ("tCO2/万kWh", "tCO2/MWh", 1, 1),
    ("tCO2/GJ", "tCO2/GJ", 1, 0),
    ("tCO2/TJ", "tCO2/GJ", 1, 3),
    ("tCO2/t", "tCO2/t", 1, 0),
    // time and power
    ("h", "h", 1, 0),
    ("小时", "h", 1, 0),
    ("MW", "MW", 1, 0),
    ("kW", "MW", 1, 3),
    ("万kW", "MW", 10, 0),
    ("万千瓦", "MW", 10, 0),
    ("兆瓦", "MW", 1, 0),
    // standard coal equivalent: canonical tce
    ("tce", "tce", 1, 0),
    ("kgce", "tce", 1, 3),
    ("万tce", "tce", 10000, 0),
    ("吨标准煤", "tce", 1, 0),
    ("万吨标准煤", "tce", 10000, 0),
    // money: canonical CNY
    ("CNY", "CNY", 1, 0),
    ("元", "CNY", 1, 0),
    ("万元", "CNY", 10000, 0),
    ("CNY/t", "CNY/t", 1, 0),
    ("元/吨", "CNY/t", 1, 0),
];

/// A unit as compared: spaces dropped; `10⁴`, `10^4` and `10E4` before
/// `Nm` read as `10^4`; superscripts as digits; the middle dots of `MW·h`
/// dropped; `CO₂` as `CO2`; full-width letters, digits, `/` and `%` as ASCII.
pub(crate) fn fold(unit: &str) -> String {
    let mut s = String::with_capacity(unit.len());
    for c in unit.chars() {
        match c {
            c if c.is_whitespace() => {}
            '·' | '∙' | '•' | '⋅' | '・' => {}
            '⁴' => s.push_str("^4"),
            '³' => s.push('3'),
            '²' => s.push('2'),
            '₂' => s.push('2'),
            '⁸' => s.push_str("^8"),
            // Full-width ASCII (ＭＷｈ, ／, ％).
            c @ '\u{FF01}'..='\u{FF5E}' => s.push(char::from_u32(c as u32 - 0xFEE0).unwrap_or(c)),
            c => s.push(c),
        }
    }
    s.replace("10E4", "10^4").replace("10e4", "10^4").replace("10**4", "10^4")
}

/// The table with each name folded once, in lower case.
fn folded() -> &'static [(String, &'static str, Decimal)] {
    static TABLE: std::sync::OnceLock<Vec<(String, &'static str, Decimal)>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        UNITS.iter().map(|(name, canon, num, scale)| (fold(name).to_ascii_lowercase(), *canon, Decimal::new(*num, *scale))).collect()
    })
}

fn lookup(unit: &str) -> Option<(&'static str, Decimal)> {
    let u = fold(unit).to_ascii_lowercase();
    folded().iter().find(|(name, ..)| *name == u).map(|(_, canon, factor)| (*canon, *factor))
}

/// Whether two spellings name the same unit (`10⁴Nm³` and `10^4 Nm3`).
pub fn same(a: &str, b: &str) -> bool {
    let (fa, fb) = (fold(a), fold(b));
    if fa.eq_ignore_ascii_case(&fb) {
        return true;
    }
    matches!((lookup(a), lookup(b)), (Some((ca, fa)), Some((cb, fb))) if ca == cb && fa == fb)
}

/// The canonical unit a stated unit converts to.
pub(crate) fn canonical(unit: &str) -> Option<&'static str> {
    lookup(unit).map(|(c, _)| c)
}

/// Units that convert into `canonical`, for messages and templates.
pub fn accepted(canonical: &str) -> Vec<&'static str> {
    let base = lookup(canonical).map(|(c, _)| c).unwrap_or(canonical);
    UNITS.iter().filter(|(_, c, ..)| *c == base).map(|(n, ..)| *n).collect()
}

/// Converts `value` in `from` into `to`. `None` when the units do not convert.
pub fn convert(value: Decimal, from: &str, to: &str) -> Option<Decimal> {
    if from.trim() == to.trim() || fold(from) == fold(to) {
        return Some(value);
    }
    let (cf, ff) = lookup(from)?;
    let (ct, ft) = lookup(to)?;
    if cf != ct {
        return None;
    }
    value.checked_mul(ff)?.checked_div(ft)
}

/// The units a header names as alternatives: `t 或 10⁴Nm³` gives `t` and
/// `10⁴Nm³`; `GJ/t或GJ/万Nm³` gives `GJ/t` and `GJ/万Nm³`; a single unit gives
/// itself. Separators: 或, 或者, `or`, `|`, `;`, `；`, `、`, `，`.
pub(crate) fn alternatives(text: &str) -> Vec<String> {
    let mut t = text.replace("或者", "|").replace('或', "|").replace(['；', ';', '、', '，', '｜'], "|");
    t = t.replace(" or ", "|").replace(" OR ", "|");
    t.split('|').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn conversions_are_exact() {
        assert_eq!(convert(d("1.5"), "万吨", "t").unwrap(), d("15000"));
        assert_eq!(convert(d("1234"), "kWh", "MWh").unwrap(), d("1.234"));
        assert_eq!(convert(d("2"), "TJ", "GJ").unwrap(), d("2000"));
        assert_eq!(convert(d("3"), "万千瓦时", "MWh").unwrap(), d("30"));
        assert_eq!(convert(d("7"), "kgCO2e", "tCO2").unwrap(), d("0.007"));
        assert!(convert(d("1"), "MWh", "t").is_none());
        assert!(convert(d("1"), "furlongs", "t").is_none());
        assert!(accepted("t").contains(&"万吨"));
    }

    #[test]
    fn the_official_forms_units_are_read() {
        // Gas volumes: 10⁴Nm³ as printed, flattened to 104Nm3 in extracted text, 万Nm³, Nm³.
        for u in ["10⁴Nm³", "10^4Nm3", "10^4 Nm3", "104Nm3", "万Nm³", "万Nm3", "万 Nm3"] {
            assert_eq!(convert(d("2.5"), u, "10^4 Nm3"), Some(d("2.5")), "{u}");
        }
        assert_eq!(convert(d("25000"), "Nm³", "10^4 Nm3"), Some(d("2.5")));
        // Electricity with a middle dot, either one.
        for u in ["MW·h", "MW∙h", "MWh", "ＭＷｈ"] {
            assert_eq!(convert(d("3.125"), u, "MWh"), Some(d("3.125")), "{u}");
        }
        assert_eq!(convert(d("3"), "万kW·h", "MWh"), Some(d("30")));
        // Net calorific values.
        assert_eq!(convert(d("20.908"), "MJ/kg", "GJ/t"), Some(d("20.908")));
        assert_eq!(convert(d("389.31"), "GJ/10⁴Nm³", "GJ/10^4 Nm3"), Some(d("389.31")));
        assert_eq!(convert(d("38.931"), "MJ/Nm³", "GJ/10^4 Nm3"), Some(d("389.310")));
        assert!(convert(d("1"), "GJ/t", "GJ/10^4 Nm3").is_none());
        // Factors and fractions.
        assert_eq!(convert(d("0.02858"), "tC/GJ", "tC/GJ"), Some(d("0.02858")));
        assert_eq!(convert(d("99"), "%", "ratio"), Some(d("0.99")));
        assert_eq!(convert(d("62.5"), "%", "tC/t"), Some(d("0.625")));
        assert_eq!(convert(d("0.8"), "tCO2/MW·h", "tCO2/MWh"), Some(d("0.8")));
        assert_eq!(convert(d("8000"), "小时", "h"), Some(d("8000")));
        assert_eq!(convert(d("60"), "万千瓦", "MW"), Some(d("600")));
        assert!(same("10⁴Nm³", "10^4 Nm3"));
        assert!(same("万Nm³", "10^4 Nm3"));
        assert!(!same("Nm³", "10^4 Nm3"));
    }

    #[test]
    fn alternatives_follow_the_forms() {
        assert_eq!(alternatives("t 或 10⁴Nm³"), ["t", "10⁴Nm³"]);
        assert_eq!(alternatives("GJ/t或GJ/10⁴Nm³"), ["GJ/t", "GJ/10⁴Nm³"]);
        assert_eq!(alternatives("t or 10^4 Nm3"), ["t", "10^4 Nm3"]);
        assert_eq!(alternatives("tC/GJ"), ["tC/GJ"]);
    }
}
