//! The fuels the accounting guideline gives defaults for, and how a user's
//! `fuel` text is matched to one. The default values themselves are rule
//! parameters (`emissions.default.<fuel>.<factor>`), never numbers here.

pub struct Fuel {
    /// Key in parameter names, e.g. "natural_gas".
    pub key: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
    /// Physical unit of the consumption, matching the default NCV's unit.
    pub unit: &'static str,
    /// Other names accepted in the `fuel` column.
    pub aliases: &'static [&'static str],
    /// Whether the guideline gives a default net calorific value. It gives none
    /// for coal, whose NCV must be measured.
    pub ncv_default: bool,
}

const T: &str = "t";
const NM3: &str = "10^4 Nm3";

pub const FUELS: &[Fuel] = &[
    Fuel {
        key: "coal",
        zh: "燃煤",
        en: "coal",
        unit: T,
        aliases: &["煤", "原煤", "电煤", "烟煤", "无烟煤", "褐煤", "bituminous coal", "anthracite", "lignite", "raw coal"],
        ncv_default: false,
    },
    Fuel { key: "natural_gas", zh: "天然气", en: "natural gas", unit: NM3, aliases: &[], ncv_default: true },
    Fuel { key: "fuel_oil", zh: "燃料油", en: "fuel oil", unit: T, aliases: &["重油", "heavy oil"], ncv_default: true },
    Fuel { key: "diesel", zh: "柴油", en: "diesel", unit: T, aliases: &["diesel oil"], ncv_default: true },
    Fuel { key: "gasoline", zh: "汽油", en: "gasoline", unit: T, aliases: &["petrol"], ncv_default: true },
    Fuel { key: "kerosene", zh: "煤油", en: "kerosene", unit: T, aliases: &[], ncv_default: true },
    Fuel { key: "crude_oil", zh: "原油", en: "crude oil", unit: T, aliases: &[], ncv_default: true },
    Fuel { key: "lpg", zh: "液化石油气", en: "liquefied petroleum gas", unit: T, aliases: &["LPG"], ncv_default: true },
    Fuel { key: "lng", zh: "液化天然气", en: "liquefied natural gas", unit: T, aliases: &["LNG"], ncv_default: true },
    Fuel { key: "refinery_gas", zh: "炼厂干气", en: "refinery dry gas", unit: T, aliases: &["refinery gas"], ncv_default: true },
    Fuel { key: "coke_oven_gas", zh: "焦炉煤气", en: "coke oven gas", unit: NM3, aliases: &["coke-oven gas"], ncv_default: true },
    Fuel {
        key: "blast_furnace_gas",
        zh: "高炉煤气",
        en: "blast furnace gas",
        unit: NM3,
        aliases: &["blast-furnace gas"],
        ncv_default: true,
    },
    Fuel { key: "converter_gas", zh: "转炉煤气", en: "converter gas", unit: NM3, aliases: &[], ncv_default: true },
];

/// The prefix of the fuel-default parameter family.
pub const DEFAULTS_PREFIX: &str = "emissions.default.";

/// The parameter key of a fuel's default factor ("ncv", "carbon_content", "oxidation_rate").
pub fn default_key(fuel: &str, factor: &str) -> String {
    format!("{DEFAULTS_PREFIX}{fuel}.{factor}")
}

/// A fuel as named in a row: one of [`FUELS`], or a key the rules give
/// defaults for (`emissions.default.<key>.*`) without this plugin knowing it.
pub enum FuelRef {
    Known(&'static Fuel),
    Custom(String),
}

impl FuelRef {
    pub fn key(&self) -> &str {
        match self {
            FuelRef::Known(f) => f.key,
            FuelRef::Custom(k) => k,
        }
    }

    pub fn name_zh(&self) -> &str {
        match self {
            FuelRef::Known(f) => f.zh,
            FuelRef::Custom(k) => k,
        }
    }

    pub fn name_en(&self) -> &str {
        match self {
            FuelRef::Known(f) => f.en,
            FuelRef::Custom(k) => k,
        }
    }
}

/// The key a custom fuel would have: the text, lower-case, spaces as `_`.
pub fn custom_key(text: &str) -> String {
    norm(text).replace(' ', "_")
}

fn norm(s: &str) -> String {
    s.replace('_', " ").split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

fn is_name(f: &Fuel, text: &str) -> bool {
    [f.key, f.zh, f.en].iter().chain(f.aliases.iter()).any(|n| normed_eq(n, text))
}

/// Whether `norm(name) == text`, compared character by character instead of
/// building `norm(name)` for every name of every fuel on every lookup (a fifth
/// of the plugin's time in a batch of small inventories). Lower-casing is per
/// character here, which differs from `str::to_lowercase` only for a final
/// Greek sigma; no fuel name has one (a test compares the two on every name).
fn normed_eq(name: &str, text: &str) -> bool {
    let words = name.split(|c: char| c == '_' || c.is_whitespace()).filter(|w| !w.is_empty());
    let chars = words.enumerate().flat_map(|(i, w)| (i > 0).then_some(' ').into_iter().chain(w.chars().flat_map(char::to_lowercase)));
    chars.eq(text.chars())
}

/// The fuel a `fuel` cell names: its key, Chinese or English name or an alias,
/// or a Chinese name followed by an English one ("天然气 natural gas").
pub fn find(text: &str) -> Option<&'static Fuel> {
    let t = norm(text);
    if t.is_empty() {
        return None;
    }
    if let Some(f) = FUELS.iter().find(|f| is_name(f, &t)) {
        return Some(f);
    }
    let (head, rest) = t.split_once(' ')?;
    FUELS.iter().find(|f| is_name(f, head) && is_name(f, rest.trim()))
}

/// "天然气 natural gas, 燃料油 fuel oil, …" for messages.
pub fn known() -> String {
    FUELS.iter().map(|f| format!("{} {}", f.zh, f.en)).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_compare_as_normalised_names_do() {
        let names: Vec<&str> = FUELS.iter().flat_map(|f| [f.key, f.zh, f.en].into_iter().chain(f.aliases.iter().copied())).collect();
        let texts: Vec<String> = names.iter().map(|n| norm(n)).chain(["", "natural", "natural gas oil"].map(String::from)).collect();
        for n in &names {
            for t in &texts {
                assert_eq!(normed_eq(n, t), norm(n) == *t, "{n:?} against {t:?}");
            }
        }
        assert!(normed_eq("  Natural__Gas ", "natural gas"));
    }

    #[test]
    fn names_match_exactly_not_by_substring() {
        assert_eq!(find("天然气").unwrap().key, "natural_gas");
        assert_eq!(find("  Natural_Gas ").unwrap().key, "natural_gas");
        assert_eq!(find("天然气 natural gas").unwrap().key, "natural_gas");
        assert_eq!(find("液化天然气").unwrap().key, "lng");
        assert_eq!(find("烟煤 bituminous coal").unwrap().key, "coal");
        assert_eq!(find("煤油").unwrap().key, "kerosene");
        assert!(find("天然气 diesel").is_none());
        assert!(find("biomass").is_none());
        assert!(find("").is_none());
    }
}
