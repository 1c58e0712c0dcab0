//! Emissions by the guideline's categories (Annex 1): each source row's activity
//! data times a factor — the rules' sourced factor (fuel defaults, grid factors,
//! any `factor.*` an organisation adds) or the row's own factor, which the report
//! then names as user-supplied.

use std::collections::BTreeMap;

use lvyue_sdk::{Decimal, Decision, EvaluationError, Output, ResultRows, ResultTable, Step, Value, fmt_dec, num, t};

use crate::event::Event;
use crate::spec::{CATEGORIES, F_FACTOR, F_FUEL, F_GRID, P_GRID_LEVEL, R_SOURCE, category_metric};
use lvyue_sdk::eval::{Eval, column, filled, round_dp, text_or_empty};

/// Fuels with defaults in rules/event-neutrality/fuels.toml.
const FUELS: &[&str] = &["natural_gas", "lng", "lpg", "gasoline", "diesel", "kerosene", "fuel_oil"];
const ELECTRICITY: &[&str] = &["purchased_electricity", "electric_vehicles"];
const COMBUSTION: &[&str] = &["stationary_combustion", "mobile_combustion"];

/// Units that convert into one another: (unit, dimension, size in the dimension's base unit).
const CONVERTIBLE: &[(&str, &str, &str)] = &[
    ("t", "mass", "1"),
    ("kg", "mass", "0.001"),
    ("10^4 Nm3", "gas", "1"),
    ("Nm3", "gas", "0.0001"),
    ("MWh", "electricity", "1"),
    ("kWh", "electricity", "0.001"),
];

/// How many `to` one `from` is, when they convert.
fn conversion(from: &str, to: &str) -> Option<Decimal> {
    if from == to {
        return Some(Decimal::ONE);
    }
    let f = CONVERTIBLE.iter().find(|c| c.0 == from)?;
    let g = CONVERTIBLE.iter().find(|c| c.0 == to)?;
    if f.1 != g.1 {
        return None;
    }
    Some(lvyue_sdk::dec(f.2)? / lvyue_sdk::dec(g.2)?)
}

/// The grid factor chosen for the event's year.
#[derive(Clone)]
pub struct Grid {
    pub key: String,
    pub value: Decimal,
    pub step: u32,
}

/// One computed source row.
struct RowCalc {
    row: String,
    category: &'static str,
    source: String,
    item: Option<String>,
    phase: String,
    activity: Decimal,
    unit: String,
    /// kgCO2e per unit of the row's activity, for the detail table.
    factor_kg: Option<Decimal>,
    origin: String,
    confidence: String,
    emissions: Decimal,
    user: bool,
    /// The factor cell (for user factors) and the activity cells, for the trace.
    factor_cell: String,
    cells: Vec<String>,
}

pub struct Rows {
    rows: Vec<RowCalc>,
    pub grid: Option<Grid>,
    /// Purchased electricity at the grid factor (rows without a user factor), MWh.
    pub grid_mwh: Decimal,
    pub grid_mwh_step: u32,
}

/// A product of two inputs beyond exact decimals (each can be up to 10^15): an error naming the cells.
fn too_large(ev: &mut Eval, label: &str, what: &str, cells: Vec<String>) {
    ev.finding(
        "VALUE_TOO_LARGE",
        t(&format!("{label}：{what} 超出可精确计算的范围"), &format!("{label}: {what} is too large to compute exactly")),
        cells,
    );
}

/// Reads and computes every source row, and the grid factor.
pub fn rows(ev: &mut Eval, event: &Event) -> Result<Rows, EvaluationError> {
    let grid = grid_factor(ev, event)?;
    // Each row's emissions as the rules round them (`rounding.source_emissions`).
    let rounding = ev.rounding(R_SOURCE)?;
    let mut fuel_factors: BTreeMap<String, (Decimal, String, u32)> = BTreeMap::new();
    let mut out = Vec::new();
    let mut grid_mwh = Decimal::ZERO;
    let mut grid_cells = Vec::new();
    // Fuels whose defaults a row actually used (a row with its own factor does not).
    let mut fuels_used = std::collections::BTreeSet::new();
    let table = ev.ctx.table("event_emissions");
    for row in table.rows() {
        // The host has checked the category against the declared choices.
        let Some(cat) = row.text("category").and_then(|k| CATEGORIES.iter().find(|c| c.key == k)) else { continue };
        let unit = row.text("unit").unwrap_or("").to_string();
        let item = filled(row.text("item")).map(|s| s.to_lowercase().replace([' ', '-'], "_"));
        let source = row.text("source").unwrap_or("").to_string();
        let label = format!("{source} ({})", row.source());

        // Activity: the quantity, or trips × distance (person-km) for travel.
        let quantity = row.decimal("quantity");
        let pkm = match (row.decimal("trips"), row.decimal("distance_km")) {
            (Some(n), Some(d)) => match n.checked_mul(d) {
                Some(p) => Some(p),
                None => {
                    too_large(ev, &label, "trips × distance_km", vec![row.at("trips"), row.at("distance_km")]);
                    continue;
                }
            },
            _ => None,
        };
        let activity = match (quantity, pkm) {
            (Some(q), Some(p)) if q != p => {
                ev.finding(
                    "ACTIVITY_CONFLICT",
                    t(
                        &format!("{label}：活动数据 {q} 与人次×距离 {p} 不一致"),
                        &format!("{label}: activity {q} differs from trips × distance {p}"),
                    ),
                    vec![row.at("quantity"), row.at("trips"), row.at("distance_km")],
                );
                continue;
            }
            (Some(q), _) => q,
            (None, Some(p)) => {
                if unit != "pkm" {
                    ev.finding(
                        "UNIT_MISMATCH",
                        t(
                            &format!("{label}：人次×距离得人公里，单位应为 pkm，而非 {unit}"),
                            &format!("{label}: trips × distance gives person-km; the unit must be pkm, not {unit}"),
                        ),
                        vec![row.at("unit")],
                    );
                    continue;
                }
                p
            }
            (None, None) => {
                ev.finding(
                    "ACTIVITY_MISSING",
                    t(
                        &format!("{label}：未填写活动数据（交通类可填写人次与每人次距离）"),
                        &format!("{label}: no activity data (travel rows may give trips and distance per trip)"),
                    ),
                    vec![row.at("quantity")],
                );
                continue;
            }
        };
        if !cat.units.contains(&unit.as_str()) {
            ev.finding(
                "UNIT_MISMATCH",
                t(
                    &format!("{label}：类别 {} 的活动数据单位应为 {}，而非 {unit}", cat.key, cat.units.join("、")),
                    &format!("{label}: category {} takes activity in {}, not {unit}", cat.key, cat.units.join(", ")),
                ),
                vec![row.at("unit")],
            );
            continue;
        }

        let user = row.decimal("factor");
        let is_electricity = ELECTRICITY.contains(&cat.key);
        // The rules' factor for this row, if any: (t per rules unit, rules unit, key, confidence, step).
        // A row with its own factor looks the rules' factor up only to report the
        // override: the result does not depend on it, so it is not marked used.
        let used_before = user.map(|_| ev.used.clone());
        let rule = if is_electricity {
            grid.as_ref().map(|g| RuleFactor { t_per_unit: g.value, unit: "MWh".into(), origin: g.key.clone(), fuel_defaults: false })
        } else {
            rule_factor(ev, cat.key, item.as_deref(), &mut fuel_factors)?
        };
        if let Some(before) = used_before {
            ev.used = before;
        }
        let mut calc = RowCalc {
            row: row.source().to_string(),
            category: cat.key,
            source: source.clone(),
            item: item.clone(),
            phase: filled(row.text("phase")).unwrap_or("event").to_string(),
            activity,
            unit: unit.clone(),
            factor_kg: None,
            origin: String::new(),
            confidence: String::new(),
            emissions: Decimal::ZERO,
            user: false,
            factor_cell: row.at("factor"),
            cells: if quantity.is_some() { vec![row.at("quantity")] } else { vec![row.at("trips"), row.at("distance_km")] },
        };
        match (user, rule) {
            (Some(f), rule) => {
                let named = filled(row.text("factor_source")).unwrap_or("未注明 not stated").to_string();
                let Some(kg) = activity.checked_mul(f) else {
                    too_large(ev, &label, "activity × factor", calc.cells.iter().cloned().chain([row.at("factor")]).collect());
                    continue;
                };
                calc.emissions = (kg / Decimal::ONE_THOUSAND).normalize();
                calc.factor_kg = Some(f);
                calc.origin = format!("user: {named}");
                calc.confidence = "user-supplied".into();
                calc.user = true;
                calc.cells.push(row.at("factor"));
                match rule {
                    Some(r) => ev.finding(
                        "FACTOR_USER_OVERRIDES",
                        t(
                            &format!("{label}：用户排放因子 {f} kgCO2e/{unit}（来源：{named}）替代了规则库因子 {}（{} tCO2e/{}）", r.origin, fmt_dec(round_dp(r.t_per_unit, 6)), r.unit),
                            &format!("{label}: the user factor {f} kgCO2e/{unit} (source: {named}) replaces the rules' {} ({} tCO2e/{})", r.origin, fmt_dec(round_dp(r.t_per_unit, 6)), r.unit),
                        ),
                        vec![row.at("factor")],
                    ),
                    None => ev.finding(
                        "FACTOR_USER_SUPPLIED",
                        t(
                            &format!("{label}：采用用户排放因子 {f} kgCO2e/{unit}（来源：{named}）；规则库无有出处的因子，排放量 {} t 依赖该因子", calc.emissions),
                            &format!("{label}: user factor {f} kgCO2e/{unit} (source: {named}); the rules hold no sourced factor, so {} t rest on it", calc.emissions),
                        ),
                        vec![row.at("factor")],
                    ),
                }
            }
            (None, Some(r)) => {
                let Some(conv) = conversion(&unit, &r.unit) else {
                    ev.finding(
                        "UNIT_MISMATCH",
                        t(
                            &format!("{label}：规则库因子 {} 按 {} 计，无法换算 {unit}", r.origin, r.unit),
                            &format!("{label}: the rules' factor {} is per {}; {unit} does not convert", r.origin, r.unit),
                        ),
                        vec![row.at("unit")],
                    );
                    continue;
                };
                let exact = activity * conv * r.t_per_unit;
                calc.emissions = exact.normalize();
                calc.factor_kg = Some(r.t_per_unit * conv * Decimal::ONE_THOUSAND);
                calc.origin = r.origin.clone();
                calc.confidence = confidence_of(ev, &r.origin);
                if r.fuel_defaults
                    && let Some(i) = &item
                {
                    fuels_used.insert(i.clone());
                }
                if cat.key == "purchased_electricity" {
                    grid_mwh += activity * conv;
                    grid_cells.push(row.at("quantity"));
                }
            }
            (None, None) if is_electricity => {
                ev.finding(
                    "GRID_FACTOR_MISSING",
                    t(
                        &format!("{label}：规则库无 {} 年已发布的电网排放因子，请填写用户排放因子（kgCO2e/{unit}）", ev.year()),
                        &format!("{label}: the rules hold no published grid factor for {}; give a user factor (kgCO2e/{unit})", ev.year()),
                    ),
                    vec![row.at("factor")],
                );
                continue;
            }
            (None, None) => {
                let what = item.as_deref().map(|i| format!("{}.{i}", cat.key)).unwrap_or_else(|| cat.key.to_string());
                ev.finding(
                    "FACTOR_MISSING",
                    t(
                        &format!("{label}：规则库中无 {what} 的有出处排放因子，请在本行填写用户排放因子（kgCO2e/{unit}）并注明来源"),
                        &format!("{label}: the rules hold no sourced factor for {what}; give this row's own factor (kgCO2e/{unit}) and its source"),
                    ),
                    vec![row.at("factor")],
                );
                continue;
            }
        }
        let (rounded, step) = rounding.record_if_changed(
            &mut ev.out,
            (&format!("{label} 排放量"), &format!("{label} emissions")),
            calc.emissions,
            Some("tCO2e"),
            calc.cells.clone(),
        );
        calc.emissions = rounded;
        calc.cells.extend(step.map(Output::ref_step));
        out.push(calc);
    }
    ev.fail_if_errors()?;
    let grid_mwh_step = ev.out.step(
        Step {
            clause: "大型活动碳中和实施指南（试行） 附件1 净购入电力 / Annex 1, net purchased electricity",
            zh: "按电网排放因子核算的净购入电量（未填写用户因子的电力行，MWh）",
            en: "Purchased electricity at the grid factor (rows without a user factor), MWh",
            parameters: &[],
            inputs: grid_cells,
        },
        num(grid_mwh),
        Some("MWh"),
    );
    for fuel in fuel_factors.keys().filter(|f| fuels_used.contains(*f)) {
        ev.finding(
            "FUEL_DEFAULTS_USED",
            t(
                &format!("{fuel}：采用规则库中的缺省低位发热量、单位热值含碳量和碳氧化率（发电设施核算指南附录A，二手来源）"),
                &format!("{fuel}: the rules' default NCV, carbon content and oxidation rate were used (power-facilities guideline Appendix A, secondary source)"),
            ),
            vec![],
        );
    }
    Ok(Rows { rows: out, grid, grid_mwh, grid_mwh_step })
}

struct RuleFactor {
    /// tCO2e per `unit`.
    t_per_unit: Decimal,
    unit: String,
    /// Parameter key(s) it comes from.
    origin: String,
    /// Computed from the fuel defaults (NCV × carbon content × oxidation × 44/12).
    fuel_defaults: bool,
}

/// The confidence mark of the parameter(s) a factor comes from (the weakest).
fn confidence_of(ev: &Eval, origin: &str) -> String {
    let rank = |c: &str| match c {
        "verified" => 0,
        "secondary" => 1,
        "draft" => 2,
        _ => 3,
    };
    origin
        .split(" × ")
        .filter_map(|k| ev.param(k))
        .map(|p| lvyue_sdk::confidence_name(p.confidence))
        .max_by_key(|c| rank(c))
        .unwrap_or("")
        .to_string()
}

/// A `factor.*` parameter for the row, else the fuel defaults for combustion rows.
fn rule_factor(
    ev: &mut Eval,
    cat: &str,
    item: Option<&str>,
    fuels: &mut BTreeMap<String, (Decimal, String, u32)>,
) -> Result<Option<RuleFactor>, EvaluationError> {
    let mut keys = Vec::new();
    if let Some(i) = item {
        keys.push(format!("{F_FACTOR}{cat}.{i}"));
    }
    keys.push(format!("{F_FACTOR}{cat}"));
    for key in keys {
        let Some(p) = ev.param(&key) else { continue };
        let unit = p.unit.clone().unwrap_or_default();
        let value = ev.num(&key)?;
        let Some((mass, per)) = unit.split_once('/') else {
            return Err(EvaluationError::MissingParameter(format!("{key}: its unit must read like kgCO2e/pkm, found `{unit}`")));
        };
        let to_t = match mass.trim() {
            "kgCO2e" | "kgCO2" => Decimal::new(1, 3),
            "tCO2e" | "tCO2" => Decimal::ONE,
            other => return Err(EvaluationError::MissingParameter(format!("{key}: unit {other} is not kgCO2e, kgCO2, tCO2e or tCO2"))),
        };
        ev.out.step(
            Step {
                clause: &format!("规则库排放因子 {key} / rules factor ({})", p.reference),
                zh: &format!("{cat} 排放因子（规则库）"),
                en: &format!("{cat} emission factor (rules)"),
                parameters: &[key.as_str()],
                inputs: vec![],
            },
            num(value),
            Some(&unit),
        );
        return Ok(Some(RuleFactor { t_per_unit: value * to_t, unit: per.trim().to_string(), origin: key, fuel_defaults: false }));
    }
    let Some(fuel) = item.filter(|i| COMBUSTION.contains(&cat) && FUELS.contains(i)) else { return Ok(None) };
    if let Some((f, unit, _)) = fuels.get(fuel) {
        let origin = fuel_keys(fuel).join(" × ");
        return Ok(Some(RuleFactor { t_per_unit: *f, unit: unit.clone(), origin, fuel_defaults: true }));
    }
    let keys = fuel_keys(fuel);
    if keys.iter().any(|k| ev.param(k).is_none()) {
        return Ok(None);
    }
    let ncv_unit = ev.param(&keys[0]).and_then(|p| p.unit.clone()).unwrap_or_default();
    let Some(basis) = ncv_unit.strip_prefix("GJ/").map(str::to_string) else {
        return Err(EvaluationError::MissingParameter(format!("{}: its unit must read like GJ/t, found `{ncv_unit}`", keys[0])));
    };
    let (ncv, cc, of) = (ev.num(&keys[0])?, ev.num(&keys[1])?, ev.num(&keys[2])?);
    // Kept unrounded; each row's product is rounded once.
    let factor = ncv * cc * of * Decimal::from(44) / Decimal::from(12);
    let params: Vec<&str> = keys.iter().map(String::as_str).collect();
    let step = ev.out.step(
        Step {
            clause: "公共建筑运营单位/陆上交通运输企业核算指南 化石燃料燃烧; 缺省值：发电设施核算指南附录A / fuel combustion, Appendix A defaults",
            zh: &format!("{fuel} 排放因子 = 低位发热量 × 单位热值含碳量 × 碳氧化率 × 44/12（tCO2/{basis}）"),
            en: &format!("{fuel} factor = NCV × carbon content × oxidation rate × 44/12 (tCO2/{basis})"),
            parameters: &params,
            inputs: vec![],
        },
        num(factor),
        Some(&format!("tCO2/{basis}")),
    );
    fuels.insert(fuel.to_string(), (factor, basis.clone(), step));
    Ok(Some(RuleFactor { t_per_unit: factor, unit: basis, origin: keys.join(" × "), fuel_defaults: true }))
}

fn fuel_keys(fuel: &str) -> Vec<String> {
    ["ncv", "carbon_content", "oxidation_rate"].iter().map(|f| format!("{F_FUEL}{fuel}.{f}")).collect()
}

/// Provinces (as the input names them) and their keys in grid-factors.toml.
const PROVINCE_KEYS: &[(&str, &str)] = &[
    ("北京", "beijing"),
    ("天津", "tianjin"),
    ("河北", "hebei"),
    ("山西", "shanxi"),
    ("内蒙古", "inner_mongolia"),
    ("辽宁", "liaoning"),
    ("吉林", "jilin"),
    ("黑龙江", "heilongjiang"),
    ("上海", "shanghai"),
    ("江苏", "jiangsu"),
    ("浙江", "zhejiang"),
    ("安徽", "anhui"),
    ("福建", "fujian"),
    ("江西", "jiangxi"),
    ("山东", "shandong"),
    ("河南", "henan"),
    ("湖北", "hubei"),
    ("湖南", "hunan"),
    ("广东", "guangdong"),
    ("广西", "guangxi"),
    ("海南", "hainan"),
    ("重庆", "chongqing"),
    ("四川", "sichuan"),
    ("贵州", "guizhou"),
    ("云南", "yunnan"),
    ("西藏", "tibet"),
    ("陕西", "shaanxi"),
    ("甘肃", "gansu"),
    ("青海", "qinghai"),
    ("宁夏", "ningxia"),
    ("新疆", "xinjiang"),
];

const REGION_KEYS: &[(&str, &str)] = &[
    ("华北", "north"),
    ("东北", "northeast"),
    ("华东", "east"),
    ("华中", "central"),
    ("西北", "northwest"),
    ("南方", "south"),
    ("西南", "southwest"),
];

const LEVELS: &[&str] = &["province", "region", "national"];

/// The grid factor for the event's year at the chosen level, falling back to
/// the next level up when the rules have none (and saying so).
fn grid_factor(ev: &mut Eval, event: &Event) -> Result<Option<Grid>, EvaluationError> {
    let rules_level = ev.text(P_GRID_LEVEL)?;
    let level = match ev.ctx.option("grid_factor_level").map(str::trim) {
        Some(l) if LEVELS.contains(&l) => l.to_string(),
        Some(l) => {
            ev.finding(
                "OPTION_INVALID",
                t(
                    &format!("选项 grid_factor_level = \"{l}\"：应为 province、region 或 national"),
                    &format!("Option grid_factor_level = \"{l}\": expected province, region or national"),
                ),
                vec!["option:grid_factor_level".into()],
            );
            return ev.fail_if_errors().map(|_| None);
        }
        None if LEVELS.contains(&rules_level) => rules_level.to_string(),
        None => {
            return Err(EvaluationError::MissingParameter(format!(
                "{P_GRID_LEVEL} (expected province, region or national, found {rules_level})"
            )));
        }
    };
    let year = ev.year();
    let mut candidates: Vec<(String, String)> = Vec::new(); // (key, what)
    let start = LEVELS.iter().position(|l| *l == level).unwrap_or(1);
    for l in &LEVELS[start..] {
        match *l {
            "province" => match event.province.as_deref() {
                Some(p) => match PROVINCE_KEYS.iter().find(|(zh, _)| *zh == p) {
                    Some((_, k)) => candidates.push((format!("{F_GRID}province.{k}"), format!("{p}省级"))),
                    None => candidates.push((String::new(), format!("{p}省级"))),
                },
                None => candidates.push((String::new(), "省级（未填写所在省份 province not given）".into())),
            },
            "region" => match event.grid_region.as_deref() {
                Some(r) => match REGION_KEYS.iter().find(|(zh, _)| *zh == r) {
                    Some((_, k)) => candidates.push((format!("{F_GRID}region.{k}"), format!("{r}区域"))),
                    None => candidates.push((String::new(), format!("{r}区域"))),
                },
                None => candidates.push((String::new(), "区域（未填写所在区域电网 grid region not given）".into())),
            },
            _ => candidates.push((format!("{F_GRID}national"), "全国".into())),
        }
    }
    let mut missed = Vec::new();
    for (key, what) in &candidates {
        if key.is_empty() || ev.param(key).is_none() {
            missed.push(what.clone());
            continue;
        }
        let value = ev.num(key)?;
        if !missed.is_empty() {
            ev.finding(
                "GRID_FACTOR_FALLBACK",
                t(
                    &format!("规则库无 {year} 年 {} 电网排放因子，改用 {what}（{key} = {value} tCO2/MWh）", missed.join("、")),
                    &format!("No {year} grid factor for {} in the rules; {key} = {value} tCO2/MWh is used", missed.join(", ")),
                ),
                vec![],
            );
        }
        let step = ev.out.step(
            Step {
                clause: "生态环境部、国家统计局 电力二氧化碳排放因子公告 / MEE-NBS electricity CO2 factors",
                zh: &format!("{year} 年 {what} 电力平均二氧化碳排放因子（层级：{level}）"),
                en: &format!("{year} average electricity CO2 factor, {key} (level: {level})"),
                parameters: &[key.as_str(), P_GRID_LEVEL],
                inputs: if ev.ctx.option("grid_factor_level").is_some() { vec!["option:grid_factor_level".into()] } else { vec![] },
            },
            num(value),
            Some("tCO2/MWh"),
        );
        return Ok(Some(Grid { key: key.clone(), value, step }));
    }
    Ok(None)
}

/// The category totals, the total and the tables, once the green-power deduction is known.
pub struct Totals {
    pub total: Decimal,
    pub total_step: u32,
}

pub fn finish(ev: &mut Eval, rows: &Rows, green_deduction: Option<(Decimal, Decimal, u32)>, event: &Event) -> Totals {
    let mut detail = ResultRows::with_capacity(rows.rows.len());
    let mut by_cat = Vec::new();
    let mut user_total = Decimal::ZERO;
    let mut user_cells = Vec::new();
    for cat in CATEGORIES {
        let mut sum = Decimal::ZERO;
        let mut inputs = Vec::new();
        for r in rows.rows.iter().filter(|r| r.category == cat.key) {
            sum += r.emissions;
            inputs.extend(r.cells.iter().cloned());
            if r.user {
                user_total += r.emissions;
                user_cells.push(r.factor_cell.clone());
            }
            detail.push(vec![
                Value::Text(r.row.clone()),
                Value::Text(cat.key.into()),
                Value::Text(r.source.clone()),
                text_or_empty(r.item.as_deref()),
                Value::Text(r.phase.clone()),
                num(r.activity),
                Value::Text(r.unit.clone()),
                // Shown to 6 decimal places; the trace keeps the exact factor.
                r.factor_kg.map(|f| num(round_dp(f, 6))).unwrap_or(Value::Empty),
                Value::Text(r.origin.clone()),
                Value::Text(r.confidence.clone()),
                num(r.emissions),
            ]);
            ev.out.decision(Decision {
                table: "event_emissions".into(),
                row: r.row.clone(),
                subject: r.source.clone(),
                outcome: if r.user {
                    "user-factor"
                } else if ELECTRICITY.contains(&r.category) {
                    "grid-factor"
                } else {
                    "rules-factor"
                }
                .into(),
                amount: Some(lvyue_sdk::fmt_dec(r.emissions)),
                unit: Some("tCO2e".into()),
                reasons: if r.user { vec!["FACTOR_USER_SUPPLIED".into()] } else { vec![] },
            });
        }
        let mut parameters: Vec<&str> = Vec::new();
        if cat.key == "purchased_electricity"
            && let Some((covered, deduction, s_green)) = green_deduction
            && !covered.is_zero()
        {
            sum -= deduction;
            inputs.push(Output::ref_step(s_green));
            detail.push(vec![
                Value::Text(String::new()),
                Value::Text(cat.key.into()),
                Value::Text("有绿证对应的绿电（按零排放） Green power covered by certificates (zero)".into()),
                Value::Empty,
                Value::Text("event".into()),
                num(-covered),
                Value::Text("MWh".into()),
                rows.grid.as_ref().map(|g| num(g.value * Decimal::ONE_THOUSAND)).unwrap_or(Value::Empty),
                Value::Text(rows.grid.as_ref().map(|g| g.key.clone()).unwrap_or_default()),
                Value::Text(rows.grid.as_ref().map(|g| confidence_of(ev, &g.key)).unwrap_or_default()),
                num(-deduction),
            ]);
        }
        if let Some(g) = rows.grid.as_ref().filter(|_| ELECTRICITY.contains(&cat.key)) {
            parameters.push(g.key.as_str());
        }
        let key = category_metric(cat.key);
        let s = ev.out.step(
            Step {
                clause: &format!("大型活动碳中和实施指南（试行） 附件1 {} / Annex 1; {}", cat.annex_type, cat.method),
                zh: &format!("{} = Σ 活动数据 × 排放因子", cat.zh),
                en: &format!("{} = Σ activity × factor", cat.en),
                parameters: &parameters,
                inputs,
            },
            num(sum),
            Some("tCO2e"),
        );
        let sum = sum.normalize();
        ev.metric(&key, num(sum), s);
        by_cat.push((cat, sum, s));
    }
    let total: Decimal = by_cat.iter().map(|(_, s, _)| *s).sum::<Decimal>().normalize();
    let formula = CATEGORIES.iter().map(|c| category_metric(c.key)).collect::<Vec<_>>().join(" + ");
    let s_total = ev.out.step(
        Step {
            clause: "大型活动碳中和实施指南（试行） 第七条、附件1 / Art. 7, Annex 1",
            zh: "活动温室气体排放总量 = 各类别排放量之和",
            en: "Total event emissions = sum of the categories",
            parameters: &[],
            inputs: by_cat.iter().map(|(_, _, s)| Output::ref_step(*s)).collect(),
        },
        num(total),
        Some("tCO2e"),
    );
    ev.metric_f("emissions_total_t", num(total), s_total, &formula);
    let s_user = ev.out.step(
        Step {
            clause: "用户提供的排放因子 / user-supplied factors",
            zh: "其中采用用户排放因子计算的排放量",
            en: "Of which computed with user-supplied factors",
            parameters: &[],
            inputs: user_cells,
        },
        num(user_total),
        Some("tCO2e"),
    );
    ev.metric("emissions_user_factor_t", num(user_total), s_user);
    match event.attendees {
        Some(a) => {
            // The same operands as the host's check of the formula: the metrics' normalised values.
            let per = total.normalize() / a.normalize();
            let s = ev.out.step(
                Step {
                    clause: "评价报告 / evaluation report",
                    zh: "人均排放量 = 排放总量 / 参与人数",
                    en: "Per attendee = total / attendees",
                    parameters: &[],
                    inputs: vec![Output::ref_step(s_total), Output::ref_step(event.step)],
                },
                num(per),
                Some("tCO2e/person"),
            );
            ev.metric_f("emissions_per_attendee_t", num(per), s, "emissions_total_t / attendees");
        }
        None => {
            let s = ev.out.step(
                Step {
                    clause: "评价报告 / evaluation report",
                    zh: "未填写参与人数",
                    en: "Attendance not given",
                    parameters: &[],
                    inputs: vec![],
                },
                Value::Empty,
                None,
            );
            ev.metric("emissions_per_attendee_t", Value::Empty, s);
        }
    }

    let share = |s: Decimal| if total.is_zero() { Value::Empty } else { num(round_dp(s * Decimal::ONE_HUNDRED / total, 1)) };
    ev.out.table(ResultTable {
        key: "emissions_by_category".into(),
        name: t("分类别排放量", "Emissions by category"),
        columns: vec![
            column("category", "类别", "Category", None),
            column("label", "名称", "Name", None),
            column("name_zh", "中文名称", "Chinese name", None),
            column("name_en", "英文名称", "English name", None),
            column("annex_type", "排放类型（附件1）", "Type (Annex 1)", None),
            column("method", "核算方法", "Method", None),
            column("emissions_t", "排放量", "Emissions", Some("tCO2e")),
            column("share_pct", "占比", "Share", Some("%")),
        ],
        rows: by_cat
            .iter()
            .map(|(c, s, _)| {
                vec![
                    Value::Text(c.key.into()),
                    Value::Text(format!("{} {}", c.zh, c.en)),
                    Value::Text(c.zh.into()),
                    Value::Text(c.en.into()),
                    Value::Text(c.annex_type.into()),
                    Value::Text(c.method.into()),
                    num(*s),
                    share(*s),
                ]
            })
            .collect(),
        charts: vec![lvyue_sdk::ChartSpec {
            title: t("分类别排放量", "Emissions by category"),
            kind: lvyue_sdk::ChartKind::Bar,
            category_column: "label".into(),
            value_columns: vec!["emissions_t".into()],
        }],
    });
    ev.out.table(ResultTable {
        key: "emission_sources".into(),
        name: t("排放源明细", "Emission sources"),
        columns: vec![
            column("row", "输入行", "Input row", None),
            column("category", "类别", "Category", None),
            column("source", "排放源", "Source", None),
            column("item", "品种或方式", "Item", None),
            column("phase", "阶段", "Phase", None),
            column("activity", "活动数据", "Activity", None),
            column("unit", "单位", "Unit", None),
            column("factor_kg", "排放因子", "Factor", Some("kgCO2e/unit")),
            column("factor_origin", "因子来源", "Factor from", None),
            column("confidence", "可信度", "Confidence", None),
            column("emissions_t", "排放量", "Emissions", Some("tCO2e")),
        ],
        rows: detail,
        charts: vec![],
    });
    Totals { total, total_step: s_total }
}
