//! Units stated by the user, converted exactly into the canonical unit a
//! plugin declares for a column.

use rust_decimal::Decimal;

/// (unit as written, canonical unit, factor to canonical)
const UNITS: &[(&str, &str, i64, u32)] = &[
    // mass of CO2 and of goods: canonical t (a tonne of CO2 is a tonne)
    ("t", "t", 1, 0),
    ("吨", "t", 1, 0),
    ("kg", "t", 1, 3),
    ("千克", "t", 1, 3),
    ("kt", "t", 1000, 0),
    ("千吨", "t", 1000, 0),
    ("万吨", "t", 10000, 0),
    ("Mt", "t", 1_000_000, 0),
    ("tCO2", "t", 1, 0),
    ("tCO2e", "t", 1, 0),
    ("kgCO2", "t", 1, 3),
    ("kgCO2e", "t", 1, 3),
    ("ktCO2", "t", 1000, 0),
    ("万tCO2", "t", 10000, 0),
    ("万吨CO2", "t", 10000, 0),
    // electricity: canonical MWh
    ("MWh", "MWh", 1, 0),
    ("kWh", "MWh", 1, 3),
    ("千瓦时", "MWh", 1, 3),
    ("度", "MWh", 1, 3),
    ("万千瓦时", "MWh", 10, 0),
    ("GWh", "MWh", 1000, 0),
    ("亿千瓦时", "MWh", 100_000, 0),
    // heat: canonical GJ
    ("GJ", "GJ", 1, 0),
    ("MJ", "GJ", 1, 3),
    ("TJ", "GJ", 1000, 0),
    ("百万千焦", "GJ", 1, 0),
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

fn lookup(unit: &str) -> Option<(&'static str, Decimal)> {
    let u = unit.trim();
    UNITS.iter().find(|(name, ..)| name.eq_ignore_ascii_case(u)).map(|(_, canon, num, scale)| (*canon, Decimal::new(*num, *scale)))
}

/// The canonical unit a stated unit converts to.
pub fn canonical(unit: &str) -> Option<&'static str> {
    lookup(unit).map(|(c, _)| c)
}

/// Units that convert into `canonical`, for messages and templates.
pub fn accepted(canonical: &str) -> Vec<&'static str> {
    let base = lookup(canonical).map(|(c, _)| c).unwrap_or(canonical);
    UNITS.iter().filter(|(_, c, ..)| *c == base).map(|(n, ..)| *n).collect()
}

/// Converts `value` in `from` into `to`. `None` when the units do not convert.
pub fn convert(value: Decimal, from: &str, to: &str) -> Option<Decimal> {
    if from.trim() == to.trim() {
        return Some(value);
    }
    let (cf, ff) = lookup(from)?;
    let (ct, ft) = lookup(to)?;
    if cf != ct {
        return None;
    }
    value.checked_mul(ff)?.checked_div(ft)
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
}
