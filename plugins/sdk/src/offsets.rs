//! Offsets in the pilot carbon markets: what the eight pilots share.
//!
//! - [`OffsetRules`]: a pilot's offset rules read from its rule parameters
//!   (eligible credit types, the cap and its base, sub-caps, origin rules,
//!   boundary rules), so a new year's numbers or an extra sub-cap never need a
//!   new build;
//! - [`OffsetRules::judge`]: the eligibility of one credit holding, with the
//!   reason codes;
//! - [`plan`]: the surrender plan: which holdings to surrender so that every
//!   cap and sub-cap holds at once, the shortfall is smallest and, when
//!   prices are given, the plan is the cheapest; solved exactly by [`lp`];
//! - [`pilot`]: the evaluation every pilot plugin runs (emissions, the move to
//!   the national market, green power, coverage, offsets, plan, deadline,
//!   penalty), parametrised by a [`pilot::PilotSpec`].
//!
//! ## Rule parameters (keys under `rules/<pilot>/`)
//!
//! | key | kind | meaning |
//! |---|---|---|
//! | `offsets.eligible_types` | text | credit types accepted, comma-separated (`CCER,BFCER`) |
//! | `offsets.cap_ratio` | number | overall cap as a share of the base |
//! | `offsets.cap_base` | text | `allocation`, `initial_allocation`, `emissions`, `prior_year_emissions` or `obligation` |
//! | `offsets.local_region` | text | the pilot's own area: `北京`, or `广东/深圳` for a city |
//! | `offsets.boundary_excluded_markets` | text | markets whose covered entities' boundaries make a credit ineligible (`cn-shanghai`; `none`) |
//! | `offsets.owner_excluded_markets` | text | markets whose covered entities may not own the project (Tianjin: `cn-ets`) |
//! | `offsets.excluded_project_types` | text | project types never accepted (`hydro`) |
//! | `offsets.agreement_regions` | text | regions with a cooperation agreement (token `agreement`) |
//! | `offsets.preferred_regions` | text | a preference, reported, never a cap |
//! | `offsets.subcap.<name>` | text | a sub-cap: `types=CCER; origin=nonlocal; base=allocation` (`base=credits_used` for a share of the credits used) |
//! | `offsets.subcap_ratio.<name>` | number | its ratio |
//! | `offsets.origin.<name>` | text | an origin rule: `types=CCER; project_types=wind,solar; regions=新疆,广东/梅州,agreement` |
//! | `offsets.new_ccer_registered_from` | date | a CCER registered on or after it is a new one (the 2023 measures' conditions apply) |
//! | `offsets.new_ccer_project_start_after` | date | a new CCER's project must have started construction after it (`OFFSET_PROJECT_STARTED_EARLY`) |
//! | `offsets.new_ccer_crediting_window_years` | number | a new CCER's reductions must be generated within these years before their registration application (`OFFSET_OUTSIDE_CREDITING_WINDOW`) |
//! | `offsets.carbon_inclusion_types` | text | the pilot's carbon-inclusion types, refused when the same project is held under another type (DC-14, `OFFSET_INCLUSION_OTHER_MECHANISM`) |
//!
//! Regions are province names as in [`crate::schemas::PROVINCES`], `省/市`
//! for a city, `*` for anywhere, `local` and `agreement`.

pub mod lp;
pub mod pilot;
pub mod plan;

use crate::eval::{Eval, column};
use crate::{ChartKind, ChartSpec, Context, Decimal, EvaluationError, Output, ResultTable, RowView, Step, Value, fmt_dec, num, t, text};

/// Credit types the pilot plugins recognise: the shared list plus local ones.
pub const PILOT_CREDIT_TYPES: &[&str] = &[
    "CEA",
    "CCER",
    "BEA",
    "BFCER",
    "PHCER",
    "TFCER",
    "FFCER",
    "CQCER",
    "SHCERCIR1",
    "GDPHCER",
    "SZ-PHCER",
    "CDM-CER",
    "PILOT-ALLOWANCE",
    // Added for the pilots: Beijing 碳普惠, Beijing energy-saving project reductions, Hubei-issued reductions.
    "BJ-PHCER",
    "BJ-ESR",
    "HBCER",
];

/// Markets a project owner can be covered by.
pub const MARKETS: &[&str] = crate::schemas::CARBON_MARKETS;

/// Canonical project types and the spellings that map to them.
pub const PROJECT_TYPES: &[(&str, &[&str])] = &[
    ("wind", &["wind", "风电", "风力发电", "offshore_wind", "海上风电", "陆上风电"]),
    ("solar", &["solar", "pv", "photovoltaic", "光伏", "光伏发电", "太阳能", "太阳能发电", "solar_thermal", "光热", "光热发电"]),
    ("waste_to_energy", &["waste_to_energy", "wte", "垃圾焚烧", "垃圾焚烧发电"]),
    ("biogas", &["biogas", "rural_biogas", "沼气", "户用沼气", "农村户用沼气"]),
    ("biomass_power", &["biomass_power", "biomass", "生物质", "生物质发电"]),
    ("clean_transport", &["clean_transport", "transport", "清洁交通"]),
    ("marine_sink", &["marine_sink", "marine", "海洋固碳", "海洋碳汇"]),
    ("forestry", &["forestry", "forest", "afforestation", "mangrove", "林业", "林业碳汇", "造林", "森林经营", "红树林"]),
    ("agriculture", &["agriculture", "农业", "农业减排"]),
    ("hydro", &["hydro", "hydropower", "水电"]),
    ("energy_saving", &["energy_saving", "energy_efficiency", "节能", "节能项目"]),
    ("methane", &["methane", "coal_mine_methane", "甲烷", "瓦斯", "煤矿瓦斯"]),
];

/// The canonical project type of a user's text ("光伏" → "solar"); other text lower-cased.
pub fn project_type(text: &str) -> String {
    let t = text.trim().to_lowercase().replace([' ', '-'], "_");
    for (canon, aliases) in PROJECT_TYPES {
        if aliases.iter().any(|a| *a == t) {
            return canon.to_string();
        }
    }
    t
}

/// Splits a comma-separated list (also 、 and ，), trimmed, without empties.
pub fn list(text: &str) -> Vec<String> {
    text.split([',', '，', '、']).map(|s| s.trim().to_string()).filter(|s| !s.is_empty() && s != "none").collect()
}

fn city_norm(c: &str) -> &str {
    let c = c.trim();
    c.strip_suffix('市').unwrap_or(c)
}

/// One region token.
#[derive(Clone, Debug, PartialEq)]
pub enum Region {
    Anywhere,
    Province(String),
    City(String, String),
}

impl Region {
    pub fn parse(token: &str) -> Region {
        let t = token.trim();
        if t == "*" || t == "全国" {
            return Region::Anywhere;
        }
        match t.split_once('/') {
            Some((p, c)) => Region::City(p.trim().to_string(), city_norm(c).to_string()),
            None => Region::Province(t.to_string()),
        }
    }

    pub fn contains(&self, province: Option<&str>, city: Option<&str>) -> bool {
        match self {
            Region::Anywhere => true,
            Region::Province(p) => province == Some(p.as_str()),
            Region::City(p, c) => province == Some(p.as_str()) && city.map(city_norm) == Some(c.as_str()),
        }
    }

    pub fn label(&self) -> String {
        match self {
            Region::Anywhere => "*".into(),
            Region::Province(p) => p.clone(),
            Region::City(p, c) => format!("{p}/{c}"),
        }
    }
}

/// Which credits a sub-cap or an origin rule concerns, by origin.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Origin {
    Any,
    Local,
    Nonlocal,
}

/// The bound of a sub-cap.
#[derive(Clone, Debug, PartialEq)]
pub enum SubCapBase {
    /// A share of a named base (allocation, emissions…).
    Base(String),
    /// A share of all credits used (Guangdong: non-local ≤ 30 % of the credits used).
    CreditsUsed,
}

#[derive(Clone, Debug)]
pub struct SubCap {
    pub name: String,
    pub types: Option<Vec<String>>,
    pub project_types: Option<Vec<String>>,
    pub origin: Origin,
    pub base: SubCapBase,
    pub ratio: Decimal,
    /// The rule text, for traces.
    pub text: String,
}

#[derive(Clone, Debug)]
pub struct OriginRule {
    pub name: String,
    pub types: Option<Vec<String>>,
    pub project_types: Option<Vec<String>>,
    /// Region tokens as written (after expanding `local` and `agreement`).
    pub regions: Vec<Region>,
    pub text: String,
}

/// A pilot's offset rules for one compliance year.
#[derive(Clone, Debug)]
pub struct OffsetRules {
    pub eligible_types: Vec<String>,
    pub cap_ratio: Decimal,
    pub cap_base: String,
    pub local: Vec<Region>,
    pub boundary_excluded: Vec<String>,
    pub owner_excluded: Vec<String>,
    pub excluded_project_types: Vec<String>,
    pub agreement: Vec<Region>,
    pub preferred: Vec<Region>,
    pub subcaps: Vec<SubCap>,
    pub origins: Vec<OriginRule>,
    /// Parameter keys read, for PARAMETER_NOT_VERIFIED.
    pub keys: Vec<String>,
}

pub const P_TYPES: &str = "offsets.eligible_types";
pub const P_CAP_RATIO: &str = "offsets.cap_ratio";
pub const P_CAP_BASE: &str = "offsets.cap_base";
pub const P_LOCAL: &str = "offsets.local_region";
pub const P_BOUNDARY: &str = "offsets.boundary_excluded_markets";
pub const P_OWNER: &str = "offsets.owner_excluded_markets";
pub const P_EXCLUDED_PT: &str = "offsets.excluded_project_types";
pub const P_AGREEMENT: &str = "offsets.agreement_regions";
pub const P_PREFERRED: &str = "offsets.preferred_regions";
pub const SUBCAP_PREFIX: &str = "offsets.subcap.";
pub const SUBCAP_RATIO_PREFIX: &str = "offsets.subcap_ratio.";
pub const ORIGIN_PREFIX: &str = "offsets.origin.";

/// The cap bases a pilot can name.
pub const BASES: &[&str] = &["allocation", "initial_allocation", "emissions", "prior_year_emissions", "obligation"];

fn bad(key: &str, why: &str) -> EvaluationError {
    EvaluationError::MissingParameter(format!("{key} ({why})"))
}

fn text_param<'a>(ctx: &Context<'a>, key: &str) -> Result<Option<&'a str>, EvaluationError> {
    match ctx.parameter(key) {
        Err(_) => Ok(None),
        Ok(p) => match &p.value {
            Value::Text(s) => Ok(Some(s.as_str())),
            _ => Err(bad(key, "expected text")),
        },
    }
}

/// `key=value; key=value` fields of a structured rule text.
fn fields(key: &str, text: &str) -> Result<Vec<(String, String)>, EvaluationError> {
    text.split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|f| {
            f.split_once('=')
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .ok_or_else(|| bad(key, &format!("`{f}` is not name=value")))
        })
        .collect()
}

fn opt_list(v: &str) -> Option<Vec<String>> {
    let l = list(v);
    if l.iter().any(|s| s == "*") { None } else { Some(l) }
}

impl OffsetRules {
    /// Reads the rules from the resolved parameters.
    pub fn read(ctx: &Context) -> Result<OffsetRules, EvaluationError> {
        let mut keys: Vec<String> = Vec::new();
        let mut need_text = |key: &str| -> Result<String, EvaluationError> {
            keys.push(key.to_string());
            text_param(ctx, key)?
                .map(str::to_string)
                .ok_or_else(|| EvaluationError::MissingParameter(format!("{key} (no value for compliance year {})", ctx.year())))
        };
        let eligible_types = list(&need_text(P_TYPES)?);
        let cap_base = need_text(P_CAP_BASE)?.trim().to_string();
        if !BASES.contains(&cap_base.as_str()) {
            return Err(bad(P_CAP_BASE, &format!("`{cap_base}` is not one of {}", BASES.join(", "))));
        }
        let local: Vec<Region> = list(&need_text(P_LOCAL)?).iter().map(|s| Region::parse(s)).collect();
        let boundary_excluded = list(&need_text(P_BOUNDARY)?);
        keys.push(P_CAP_RATIO.into());
        let cap_ratio = ctx.param_decimal(P_CAP_RATIO)?;
        let mut optional = |key: &str| -> Result<Vec<String>, EvaluationError> {
            let v = text_param(ctx, key)?;
            if v.is_some() {
                keys.push(key.to_string());
            }
            Ok(v.map(list).unwrap_or_default())
        };
        let owner_excluded = optional(P_OWNER)?;
        let excluded_project_types = optional(P_EXCLUDED_PT)?.iter().map(|s| project_type(s)).collect();
        let agreement: Vec<Region> = optional(P_AGREEMENT)?.iter().map(|s| Region::parse(s)).collect();
        let preferred: Vec<Region> = optional(P_PREFERRED)?.iter().map(|s| Region::parse(s)).collect();
        for m in boundary_excluded.iter().chain(&owner_excluded) {
            if !MARKETS.contains(&m.as_str()) {
                return Err(bad(P_BOUNDARY, &format!("unknown market `{m}`")));
            }
        }
        let mut subcaps = Vec::new();
        let mut origins = Vec::new();
        for p in &ctx.request.parameters {
            if let Some(name) = p.key.strip_prefix(SUBCAP_PREFIX) {
                let Value::Text(text) = &p.value else { return Err(bad(&p.key, "expected text")) };
                let ratio_key = format!("{SUBCAP_RATIO_PREFIX}{name}");
                let ratio = ctx.param_decimal(&ratio_key).map_err(|_| bad(&p.key, &format!("needs a number {ratio_key} for the year")))?;
                keys.push(p.key.clone());
                keys.push(ratio_key);
                let mut sc = SubCap {
                    name: name.to_string(),
                    types: None,
                    project_types: None,
                    origin: Origin::Any,
                    base: SubCapBase::Base("allocation".into()),
                    ratio,
                    text: text.clone(),
                };
                let mut base_given = false;
                for (k, v) in fields(&p.key, text)? {
                    match k.as_str() {
                        "types" => sc.types = opt_list(&v),
                        "project_types" => sc.project_types = opt_list(&v).map(|l| l.iter().map(|s| project_type(s)).collect()),
                        "origin" => {
                            sc.origin = match v.as_str() {
                                "any" => Origin::Any,
                                "local" => Origin::Local,
                                "nonlocal" => Origin::Nonlocal,
                                o => return Err(bad(&p.key, &format!("origin `{o}` is not any, local or nonlocal"))),
                            }
                        }
                        "base" => {
                            base_given = true;
                            sc.base = if v == "credits_used" {
                                SubCapBase::CreditsUsed
                            } else if BASES.contains(&v.as_str()) {
                                SubCapBase::Base(v)
                            } else {
                                return Err(bad(&p.key, &format!("base `{v}` is not credits_used or one of {}", BASES.join(", "))));
                            }
                        }
                        other => return Err(bad(&p.key, &format!("unknown field `{other}`"))),
                    }
                }
                if !base_given {
                    return Err(bad(&p.key, "needs base=…"));
                }
                subcaps.push(sc);
            } else if let Some(name) = p.key.strip_prefix(ORIGIN_PREFIX) {
                let Value::Text(text) = &p.value else { return Err(bad(&p.key, "expected text")) };
                keys.push(p.key.clone());
                let mut o =
                    OriginRule { name: name.to_string(), types: None, project_types: None, regions: Vec::new(), text: text.clone() };
                let mut regions_given = false;
                for (k, v) in fields(&p.key, text)? {
                    match k.as_str() {
                        "types" => o.types = opt_list(&v),
                        "project_types" => o.project_types = opt_list(&v).map(|l| l.iter().map(|s| project_type(s)).collect()),
                        "regions" => {
                            regions_given = true;
                            for tok in list(&v) {
                                match tok.as_str() {
                                    "local" => o.regions.extend(local.iter().cloned()),
                                    "agreement" => o.regions.extend(agreement.iter().cloned()),
                                    t => o.regions.push(Region::parse(t)),
                                }
                            }
                        }
                        other => return Err(bad(&p.key, &format!("unknown field `{other}`"))),
                    }
                }
                if !regions_given {
                    return Err(bad(&p.key, "needs regions=…"));
                }
                origins.push(o);
            }
        }
        Ok(OffsetRules {
            eligible_types,
            cap_ratio,
            cap_base,
            local,
            boundary_excluded,
            owner_excluded,
            excluded_project_types,
            agreement,
            preferred,
            subcaps,
            origins,
            keys,
        })
    }

    pub fn is_local(&self, c: &Credit) -> bool {
        self.local.iter().any(|r| r.contains(c.province.as_deref(), c.city.as_deref()))
    }

    /// Whether a sub-cap concerns a credit.
    pub fn in_subcap(&self, sc: &SubCap, c: &Credit) -> bool {
        sc.types.as_ref().is_none_or(|t| t.contains(&c.credit_type))
            && sc.project_types.as_ref().is_none_or(|t| c.project_type.as_ref().is_some_and(|p| t.contains(p)))
            && match sc.origin {
                Origin::Any => true,
                Origin::Local => self.is_local(c),
                Origin::Nonlocal => !self.is_local(c),
            }
    }

    /// Eligibility of one holding: blocking reasons and non-blocking notes.
    pub fn judge(&self, c: &Credit) -> Verdict {
        let mut v = Verdict::default();
        if !self.eligible_types.contains(&c.credit_type) {
            v.reasons.push(TYPE_NOT_ACCEPTED);
            return v;
        }
        if c.project_type.as_ref().is_some_and(|p| self.excluded_project_types.contains(p)) {
            v.reasons.push(PROJECT_TYPE_EXCLUDED);
        }
        // Origin: the rules that concern this credit type.
        let applicable: Vec<&OriginRule> =
            self.origins.iter().filter(|o| o.types.as_ref().is_none_or(|t| t.contains(&c.credit_type))).collect();
        if !applicable.is_empty() {
            let matching: Vec<&&OriginRule> = applicable
                .iter()
                .filter(|o| o.project_types.as_ref().is_none_or(|t| c.project_type.as_ref().is_some_and(|p| t.contains(p))))
                .collect();
            if matching.is_empty() {
                v.reasons.push(if c.project_type.is_none() { PROJECT_TYPE_MISSING } else { PROJECT_TYPE_NOT_LISTED });
            } else if c.province.is_none() {
                v.reasons.push(ORIGIN_MISSING);
            } else if !matching.iter().any(|o| o.regions.iter().any(|r| r.contains(c.province.as_deref(), c.city.as_deref()))) {
                v.reasons.push(ORIGIN_NOT_ALLOWED);
            }
        }
        // Boundary: inside a covered entity's boundary, or owned by a covered entity.
        let market = c.owner_market.as_deref().filter(|m| *m != "none");
        let inside = c.within_boundary.or(c.covered_project).unwrap_or(false);
        match market {
            Some(m) => {
                if self.owner_excluded.iter().any(|x| x == m) {
                    v.reasons.push(OWNER_COVERED);
                } else if inside && self.boundary_excluded.iter().any(|x| x == m) {
                    v.reasons.push(COVERED_BOUNDARY);
                } else if inside {
                    v.notes.push(CROSS_MARKET_BOUNDARY);
                }
            }
            None if inside => {
                if self.boundary_excluded.is_empty() {
                    v.notes.push(CROSS_MARKET_BOUNDARY);
                } else {
                    v.reasons.push(BOUNDARY_MARKET_UNKNOWN);
                }
            }
            None => {}
        }
        v.local = self.is_local(c);
        if v.reasons.is_empty()
            && c.province.is_some()
            && !v.local
            && !self.preferred.is_empty()
            && !self.preferred.iter().any(|r| r.contains(c.province.as_deref(), c.city.as_deref()))
        {
            v.notes.push(NOT_PREFERRED);
        }
        v
    }
}

// Reason codes (finding codes) of the eligibility check.
pub const TYPE_NOT_ACCEPTED: &str = "OFFSET_TYPE_NOT_ACCEPTED";
pub const PROJECT_TYPE_EXCLUDED: &str = "OFFSET_PROJECT_TYPE_EXCLUDED";
pub const PROJECT_TYPE_NOT_LISTED: &str = "OFFSET_PROJECT_TYPE_NOT_LISTED";
pub const PROJECT_TYPE_MISSING: &str = "OFFSET_PROJECT_TYPE_MISSING";
pub const ORIGIN_MISSING: &str = "OFFSET_ORIGIN_MISSING";
pub const ORIGIN_NOT_ALLOWED: &str = "OFFSET_ORIGIN_NOT_ALLOWED";
pub const OWNER_COVERED: &str = "OFFSET_OWNER_COVERED";
pub const COVERED_BOUNDARY: &str = "OFFSET_COVERED_BOUNDARY";
pub const BOUNDARY_MARKET_UNKNOWN: &str = "OFFSET_BOUNDARY_MARKET_UNKNOWN";
pub const CROSS_MARKET_BOUNDARY: &str = "OFFSET_CROSS_MARKET_BOUNDARY";
pub const NOT_PREFERRED: &str = "OFFSET_NOT_PREFERRED_REGION";

/// One credit holding as the rules see it.
#[derive(Clone, Debug, Default)]
pub struct Credit {
    pub source: String,
    pub serial: String,
    pub credit_type: String,
    pub project_type: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub owner_market: Option<String>,
    pub within_boundary: Option<bool>,
    pub covered_project: Option<bool>,
    pub quantity: Decimal,
    pub price: Option<Decimal>,
    pub project_id: Option<String>,
    pub project_name: Option<String>,
    /// Dates as the contract passes them (YYYY-MM-DD).
    pub registered: Option<String>,
    pub project_start: Option<String>,
    pub reduction_start: Option<String>,
    pub reductions_applied: Option<String>,
}

impl Credit {
    /// Reads a row of the pilot credit-holdings sheet ([`pilot::credit_holdings`]).
    pub fn from_row(row: &RowView) -> Credit {
        let txt = |k: &str| row.text(k).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
        Credit {
            source: row.source().to_string(),
            serial: row.text("serial").unwrap_or("").to_string(),
            credit_type: row.text("credit_type").unwrap_or("").to_string(),
            project_type: txt("project_type").map(|s| project_type(&s)),
            province: txt("province"),
            city: txt("city"),
            owner_market: txt("owner_market"),
            within_boundary: row.boolean("within_owner_boundary"),
            covered_project: row.boolean("covered_project"),
            quantity: row.decimal("quantity_t").unwrap_or(Decimal::ZERO),
            price: row.decimal("price_cny"),
            project_id: txt("project_id"),
            project_name: txt("project_name"),
            registered: row.date("registered").map(str::to_string),
            project_start: row.date("project_start").map(str::to_string),
            reduction_start: row.date("reduction_start").map(str::to_string),
            reductions_applied: row.date("reductions_applied").map(str::to_string),
        }
    }
}

// ---- double counting and the restarted CCER market's registration conditions ----------
//
// 温室气体自愿减排交易管理办法（试行）(2023) lets a project register only if its
// construction started after a cut-off date, and a batch of reductions only if
// they were generated within a number of years before its registration was
// applied for. Both numbers are rule parameters; a holding is checked only
// when it gives the dates the check needs (blank cells: no check, no finding).
// Guangdong's and Shenzhen's carbon-inclusion (碳普惠) measures issue no credit
// for a project already under another mechanism (seed 004, DC-14): found here
// when the holdings list the same project under both.

/// Registration date from which a CCER belongs to the restarted market.
pub const P_NEW_CCER_FROM: &str = "offsets.new_ccer_registered_from";
/// A new CCER project must have started construction after this date (exclusive).
pub const P_NEW_CCER_START_AFTER: &str = "offsets.new_ccer_project_start_after";
/// A batch of new CCER reductions must be generated within this many years before its registration application.
pub const P_NEW_CCER_WINDOW_YEARS: &str = "offsets.new_ccer_crediting_window_years";
/// Credit types of the pilot's own carbon-inclusion scheme that DC-14 concerns.
pub const P_INCLUSION_TYPES: &str = "offsets.carbon_inclusion_types";

pub const PROJECT_STARTED_EARLY: &str = "OFFSET_PROJECT_STARTED_EARLY";
pub const OUTSIDE_CREDITING_WINDOW: &str = "OFFSET_OUTSIDE_CREDITING_WINDOW";
pub const INCLUSION_OTHER_MECHANISM: &str = "OFFSET_INCLUSION_OTHER_MECHANISM";

/// One failed condition of a holding: the code, the input columns it concerns, and why.
#[derive(Clone, Debug)]
pub struct Failure {
    pub code: &'static str,
    pub columns: &'static [&'static str],
    pub zh: String,
    pub en: String,
}

fn ymd(date: &str) -> Option<(i32, u32, u32)> {
    let b = date.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y = date[0..4].parse().ok()?;
    let m = date[5..7].parse().ok().filter(|m| (1..=12).contains(m))?;
    let d = date[8..10].parse().ok().filter(|d| (1..=31).contains(d))?;
    Some((y, m, d))
}

/// The same calendar day `years` earlier ("YYYY-MM-DD"); 29 February becomes 28 February.
pub fn years_before(date: &str, years: u32) -> Option<String> {
    let (y, m, d) = ymd(date)?;
    let y = y - i32::try_from(years).ok()?;
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let d = if m == 2 && d == 29 && !leap { 28 } else { d };
    Some(format!("{y:04}-{m:02}-{d:02}"))
}

/// The registration conditions of a new-regime CCER that the given dates allow
/// to check: construction started after `start_after`; reductions generated
/// within `window_years` before the registration application ("以内"
/// includes the boundary day). Dates are "YYYY-MM-DD" and compare as text.
pub fn new_ccer_conditions(
    project_start: Option<&str>,
    reduction_start: Option<&str>,
    applied: Option<&str>,
    start_after: Option<&str>,
    window_years: Option<u32>,
) -> Vec<Failure> {
    let mut out = Vec::new();
    if let (Some(s), Some(after)) = (project_start, start_after)
        && s <= after
    {
        out.push(Failure {
            code: PROJECT_STARTED_EARLY,
            columns: &["project_start"],
            zh: format!("项目开工建设日期 {s} 不晚于 {after}：温室气体自愿减排项目须于 {after} 之后开工建设"),
            en: format!(
                "construction started on {s}, not after {after}: a voluntary reduction project must have started construction after {after}"
            ),
        });
    }
    if let (Some(r), Some(a), Some(n)) = (reduction_start, applied, window_years)
        && let Some(earliest) = years_before(a, n)
        && r < earliest.as_str()
    {
        out.push(Failure {
            code: OUTSIDE_CREDITING_WINDOW,
            columns: &["reduction_start", "reductions_applied"],
            zh: format!("减排量自 {r} 起产生，早于申请登记之日 {a} 前 {n} 年（{earliest}）：每期申请登记的减排量须产生于申请登记之日前 {n} 年以内"),
            en: format!("reductions generated from {r}, before {earliest} ({n} years before the registration application of {a}): each batch must be generated within {n} years before its application"),
        });
    }
    out
}

/// `offsets.new_ccer_crediting_window_years` (marked used) as a whole number of years.
pub fn new_ccer_window_years(ev: &mut Eval) -> Result<u32, EvaluationError> {
    let n = ev.num(P_NEW_CCER_WINDOW_YEARS)?;
    match fmt_dec(n).parse::<u32>() {
        Ok(y) if y > 0 => Ok(y),
        _ => Err(EvaluationError::MissingParameter(format!("{P_NEW_CCER_WINDOW_YEARS} (expected a whole number of years, found {n})"))),
    }
}

// ---- surrender: what the national market and the pilots report alike --------------

/// Metrics and findings the national market and the pilots declare alike.
pub mod defs {
    use crate::Severity;
    use crate::eval::{FindingDef, MetricDef};

    pub const OBLIGATION: MetricDef = ("obligation_t", "t", "应清缴配额量", "Surrender obligation");
    pub const ALLOWANCES_HELD: MetricDef = ("allowances_held_t", "t", "可用配额持有量", "Usable allowances held");
    pub const ALLOWANCES_USED: MetricDef = ("allowances_used_t", "t", "计划清缴配额", "Allowances used");
    pub const SHORTFALL: MetricDef = ("shortfall_t", "t", "缺口", "Shortfall to buy");
    pub const SURRENDER_DEADLINE: MetricDef = ("surrender_deadline", "date", "清缴截止日期", "Surrender deadline");
    pub const CARBON_PRICE: MetricDef = ("carbon_price_cny", "CNY/t", "碳价（用户提供）", "Carbon price (user-supplied)");
    pub const PENALTY_MIN: MetricDef = ("penalty_min_cny", "CNY", "罚款下限", "Penalty, minimum");
    pub const PENALTY_MAX: MetricDef = ("penalty_max_cny", "CNY", "罚款上限", "Penalty, maximum");
    pub const SURRENDER_LATE: FindingDef =
        ("SURRENDER_LATE", Severity::Warning, "计划清缴日期晚于截止日期", "The planned surrender date is after the deadline");
    pub const PENALTY_PRICE_MISSING: FindingDef =
        ("PENALTY_PRICE_MISSING", Severity::Info, "未提供碳价，无法计算罚款金额", "No carbon price given; penalty not computed");
    pub const PROJECT_STARTED_EARLY: FindingDef = (
        super::PROJECT_STARTED_EARLY,
        Severity::Warning,
        "新CCER项目开工建设日期不晚于规定日期（温室气体自愿减排交易管理办法（试行）的项目登记条件），不计入",
        "A new CCER project started construction on or before the set date (a registration condition of the 2023 CCER measures); not counted",
    );
    pub const OUTSIDE_CREDITING_WINDOW: FindingDef = (
        super::OUTSIDE_CREDITING_WINDOW,
        Severity::Warning,
        "新CCER减排量未产生于申请登记之日前规定年限以内，不计入",
        "New CCER reductions not generated within the set number of years before their registration application; not counted",
    );
}

/// What is left of a holding after the plan: a trace step and the metric
/// `key` = `held_key - used_key` (e.g. `allowances_unused_t`).
pub struct Left<'a> {
    pub key: &'a str,
    pub clause: &'a str,
    pub zh: &'a str,
    pub en: &'a str,
    /// (quantity, its trace step, its metric key)
    pub held: (Decimal, u32, &'a str),
    pub used: (Decimal, u32, &'a str),
}

/// Records [`Left`]'s step and metric; returns the step.
pub fn left_after(ev: &mut Eval, l: Left) -> u32 {
    let value = num(l.held.0 - l.used.0);
    let s = ev.out.step(
        Step {
            clause: l.clause,
            zh: l.zh,
            en: l.en,
            parameters: &[],
            inputs: vec![Output::ref_step(l.held.1), Output::ref_step(l.used.1)],
        },
        value.clone(),
        Some("t"),
    );
    ev.metric_f(l.key, value, s, &format!("{} - {}", l.held.2, l.used.2));
    s
}

/// The PENALTY_PRICE_MISSING finding: a shortfall whose penalty needs the carbon price, not given.
pub fn penalty_price_missing(ev: &mut Eval) {
    ev.finding(
        "PENALTY_PRICE_MISSING",
        t(
            "未提供碳价（选项 carbon_price_cny），罚款金额未计算",
            "No carbon price given (option carbon_price_cny); penalty amounts not computed",
        ),
        vec![],
    );
}

/// The user's carbon price (option `carbon_price_cny`) as a trace step and the
/// metric `carbon_price_cny`, described as the penalty rule names it; returns the step.
pub fn carbon_price(ev: &mut Eval, price: Decimal, zh: &str, en: &str) -> u32 {
    let s = ev.out.step(
        Step { clause: "用户提供 / user-supplied", zh, en, parameters: &[], inputs: vec!["option:carbon_price_cny".into()] },
        num(price),
        Some("CNY/t"),
    );
    ev.metric("carbon_price_cny", num(price), s);
    s
}

/// The surrender plan table (`surrender_plan`): instrument, holding, source row
/// and quantity, then `more` columns.
pub fn plan_table(more: Vec<crate::ResultColumn>, rows: Vec<Vec<Value>>) -> ResultTable {
    let mut columns = vec![
        column("instrument", "品种", "Instrument", None),
        column("subject", "标的", "Holding", None),
        column("source", "来源行", "Source row", None),
        column("quantity_t", "数量", "Quantity", Some("t")),
    ];
    columns.extend(more);
    ResultTable { key: "surrender_plan".into(), name: t("清缴计划", "Surrender plan"), columns, rows: rows.into(), charts: vec![] }
}

/// The `coverage` table and its pie: allowances, offsets (`offsets`: their
/// label) and the shortfall that cover the obligation.
pub fn coverage_table(allowances_used: Decimal, offsets: &str, offsets_used: Decimal, shortfall: Decimal) -> ResultTable {
    ResultTable {
        key: "coverage".into(),
        name: t("清缴覆盖", "Coverage of the obligation"),
        columns: vec![column("component", "构成", "Component", None), column("quantity_t", "数量", "Quantity", Some("t"))],
        rows: vec![
            vec![text("配额 Allowances"), num(allowances_used)],
            vec![text(offsets), num(offsets_used)],
            vec![text("缺口 Shortfall"), num(shortfall)],
        ]
        .into(),
        charts: vec![ChartSpec {
            title: t("应清缴配额的覆盖", "How the obligation is covered"),
            kind: ChartKind::Pie,
            category_column: "component".into(),
            value_columns: vec!["quantity_t".into()],
        }],
    }
}

fn norm(s: Option<&str>) -> Option<String> {
    s.map(|s| s.trim().to_lowercase()).filter(|s| !s.is_empty())
}

/// Whether two rows name the same project: the same project id, or the same
/// project name (trimmed, case ignored). Returns the column that matched.
pub fn same_project(a_id: Option<&str>, a_name: Option<&str>, b_id: Option<&str>, b_name: Option<&str>) -> Option<&'static str> {
    match (norm(a_id), norm(b_id)) {
        (Some(x), Some(y)) if x == y => return Some("project_id"),
        _ => {}
    }
    match (norm(a_name), norm(b_name)) {
        (Some(x), Some(y)) if x == y => Some("project_name"),
        _ => None,
    }
}

/// DC-14: for each holding of a carbon-inclusion type in `inclusion_types`, the
/// first other holding of the same project under another credit type.
pub fn inclusion_overlaps(credits: &[&Credit], inclusion_types: &[String]) -> Vec<Option<(usize, &'static str)>> {
    credits
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if !inclusion_types.contains(&c.credit_type) {
                return None;
            }
            credits.iter().enumerate().find_map(|(j, o)| {
                if j == i || o.credit_type.is_empty() || inclusion_types.contains(&o.credit_type) {
                    return None;
                }
                same_project(c.project_id.as_deref(), c.project_name.as_deref(), o.project_id.as_deref(), o.project_name.as_deref())
                    .map(|m| (j, m))
            })
        })
        .collect()
}

#[derive(Clone, Debug, Default)]
pub struct Verdict {
    /// Why the holding cannot be used (empty: eligible).
    pub reasons: Vec<&'static str>,
    /// Notes that do not block its use (cross-market boundary, preference).
    pub notes: Vec<&'static str>,
    pub local: bool,
}

impl Verdict {
    pub fn eligible(&self) -> bool {
        self.reasons.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> OffsetRules {
        OffsetRules {
            eligible_types: vec!["CCER".into(), "BFCER".into()],
            cap_ratio: Decimal::new(5, 2),
            cap_base: "allocation".into(),
            local: vec![Region::parse("北京")],
            boundary_excluded: vec!["cn-beijing".into()],
            owner_excluded: vec![],
            excluded_project_types: vec![],
            agreement: vec![],
            preferred: vec![Region::parse("河北"), Region::parse("天津")],
            subcaps: vec![],
            origins: vec![OriginRule {
                name: "bfcer".into(),
                types: Some(vec!["BFCER".into()]),
                project_types: None,
                regions: vec![Region::parse("北京")],
                text: String::new(),
            }],
            keys: vec![],
        }
    }

    fn credit(t: &str, province: &str) -> Credit {
        Credit { credit_type: t.into(), province: Some(province.into()), quantity: Decimal::ONE, ..Default::default() }
    }

    #[test]
    fn eligibility_by_type_origin_and_boundary() {
        let r = rules();
        assert_eq!(r.judge(&credit("PHCER", "北京")).reasons, vec![TYPE_NOT_ACCEPTED]);
        assert!(r.judge(&credit("BFCER", "北京")).eligible());
        assert_eq!(r.judge(&credit("BFCER", "河北")).reasons, vec![ORIGIN_NOT_ALLOWED]);
        let v = r.judge(&credit("CCER", "内蒙古"));
        assert!(v.eligible() && !v.local && v.notes == vec![NOT_PREFERRED]);
        let mut c = credit("CCER", "北京");
        c.owner_market = Some("cn-beijing".into());
        c.within_boundary = Some(true);
        assert_eq!(r.judge(&c).reasons, vec![COVERED_BOUNDARY]);
        c.owner_market = Some("cn-tianjin".into());
        assert_eq!(r.judge(&c).notes, vec![CROSS_MARKET_BOUNDARY]);
        c.owner_market = None;
        assert_eq!(r.judge(&c).reasons, vec![BOUNDARY_MARKET_UNKNOWN]);
    }

    #[test]
    fn new_ccer_conditions_at_their_edges() {
        let after = Some("2012-11-08");
        assert_eq!(
            new_ccer_conditions(Some("2012-11-08"), None, None, after, Some(5)).iter().map(|f| f.code).collect::<Vec<_>>(),
            vec![PROJECT_STARTED_EARLY]
        );
        assert!(new_ccer_conditions(Some("2012-11-09"), None, None, after, Some(5)).is_empty());
        // Five years before 2026-03-01 is 2021-03-01, inside the window.
        assert!(new_ccer_conditions(None, Some("2021-03-01"), Some("2026-03-01"), after, Some(5)).is_empty());
        let f = new_ccer_conditions(None, Some("2021-02-28"), Some("2026-03-01"), after, Some(5));
        assert_eq!(f.iter().map(|f| f.code).collect::<Vec<_>>(), vec![OUTSIDE_CREDITING_WINDOW]);
        // Nothing to check without the dates or the rule.
        assert!(new_ccer_conditions(None, Some("2000-01-01"), None, after, Some(5)).is_empty());
        assert!(new_ccer_conditions(Some("2000-01-01"), None, None, None, None).is_empty());
        assert_eq!(years_before("2028-02-29", 5).as_deref(), Some("2023-02-28"));
        assert_eq!(years_before("2028-02-29", 4).as_deref(), Some("2024-02-29"));
        assert!(years_before("2028-13-01", 1).is_none());
    }

    #[test]
    fn carbon_inclusion_from_another_mechanism() {
        let mk = |t: &str, id: &str, name: &str| Credit {
            credit_type: t.into(),
            project_id: Some(id.into()).filter(|s: &String| !s.is_empty()),
            project_name: Some(name.into()).filter(|s: &String| !s.is_empty()),
            ..Default::default()
        };
        let ph = mk("PHCER", "GD-PH-1", "某屋顶光伏 Rooftop PV");
        let ccer = mk("CCER", "CCER-01-2024-0001", " 某屋顶光伏 rooftop pv ");
        let other = mk("CCER", "CCER-01-2024-0002", "Wind");
        let gd = mk("GDPHCER", "GD-PH-1", "");
        let types = vec!["PHCER".to_string(), "GDPHCER".to_string()];
        let found = inclusion_overlaps(&[&ph, &ccer, &other, &gd], &types);
        assert_eq!(found, vec![Some((1, "project_name")), None, None, None]);
        assert_eq!(inclusion_overlaps(&[&ph, &other], &types), vec![None, None]);
    }

    #[test]
    fn regions_and_project_types() {
        assert!(Region::parse("广东/深圳").contains(Some("广东"), Some("深圳市")));
        assert!(!Region::parse("广东/深圳").contains(Some("广东"), Some("广州")));
        assert!(Region::parse("*").contains(None, None));
        assert_eq!(project_type("光伏"), "solar");
        assert_eq!(project_type(" Offshore Wind "), "wind");
        assert_eq!(project_type("tidal"), "tidal");
    }
}
