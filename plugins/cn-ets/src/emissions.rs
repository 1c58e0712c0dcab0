//! Emissions: verified emissions from the sources, fuel combustion computed per
//! the 发电设施 accounting guideline where the user gives activity data, and the
//! purchased-electricity line (counted or memo, by year).

use std::borrow::Cow;
use std::collections::BTreeMap;

use lvyue_sdk::eval::{Eval, column as col};
use lvyue_sdk::rounding::{RowRounding, Rule};
use lvyue_sdk::{
    ChartKind, ChartSpec, Decimal, EvaluationError, Output, Ref, ResultRows, ResultTable, ResultValue, RowView, Step, Value, num, t,
};

use crate::fuels::{self, FuelRef};
use crate::spec::*;

/// The result table of the sources, which shows each one's emissions before
/// and after rounding.
pub const TABLE: (&str, &str) = ("排放核算", "Emissions");

const DEFAULT: &str = "default 缺省值";
const USER: &str = "user 用户填报";
const RULES: &str = "rules 规则参数";

pub struct Emissions<'a> {
    /// Verified emissions: the counted sources.
    pub verified: Decimal,
    /// Trace step of `verified_emissions_t`.
    pub step: u32,
    /// Counted emissions by facility (the unit id for power allocation).
    pub by_facility: BTreeMap<String, Facility<'a>>,
}

/// A facility's counted emissions: each source rounded by the rules, summed.
#[derive(Default)]
pub struct Facility<'a> {
    pub emissions: Decimal,
    /// Each source's unrounded value: its cell, or the step computing it.
    pub inputs: Vec<Ref<'a>>,
    /// What rounding changed, for a step of its own when the facility's
    /// total is cited (`Rule::record_rows`; the sources are in `inputs`).
    pub rounding: RowRounding<'a>,
}

/// One factor as used: its value and where it came from.
struct Factor {
    value: Decimal,
    origin: &'static str,
}

struct Computed<'a> {
    /// Rounded by the rules.
    value: Decimal,
    /// As given or computed, before rounding.
    before: Decimal,
    /// Where `before` comes from: the cell, or the step that computed it.
    input: Ref<'a>,
    method: Cow<'static, str>,
    activity: Value,
    activity_unit: String,
    factors: [Option<Factor>; 4], // ncv, carbon content, oxidation rate, grid factor
    with_defaults: bool,
}

/// What became of a row's emissions.
#[allow(clippy::large_enum_variant)] // one per row, moved once: boxing would add an allocation per row
enum Outcome<'a> {
    Computed(Computed<'a>),
    /// Neither emissions nor activity data to compute them.
    NotGiven,
    /// A finding already says why the row cannot be computed.
    Refused,
}

enum Treatment {
    Counted,
    Memo,
}

/// Reads one factor: the user's cell, else the fuel's default parameter.
/// `Ok(None)` when neither exists.
fn factor(
    ev: &mut Eval,
    row: &RowView,
    column: &str,
    fuel: Option<&FuelRef>,
    factor: &str,
    used: &mut Vec<String>,
) -> Result<Option<Factor>, EvaluationError> {
    if let Some(v) = row.decimal(column) {
        return Ok(Some(Factor { value: v, origin: USER }));
    }
    let Some(f) = fuel else { return Ok(None) };
    let key = fuels::default_key(f.key(), factor);
    match f {
        // The guideline gives no default NCV for coal: it must be measured.
        FuelRef::Known(k) if factor == "ncv" && !k.ncv_default => return Ok(None),
        FuelRef::Custom(_) if !ev.has(&key) => return Ok(None),
        _ => {}
    }
    let value = ev.num(&key)?;
    used.push(key);
    Ok(Some(Factor { value, origin: DEFAULT }))
}

pub fn evaluate<'a>(ev: &mut Eval<'a>, sector: &str) -> Result<Emissions<'a>, EvaluationError> {
    let elec_included = ev.boolean(P_PURCHASED_ELEC)?;
    let heat_included = ev.boolean(P_PURCHASED_HEAT)?;
    let threshold = ev.num(P_THRESHOLD)?;
    let source_rule = ev.rounding(R_SOURCE)?;
    let total_rule = ev.rounding(R_TOTAL)?;

    // Each sum's sources as `Ref`s: their texts are written only into the
    // steps that cite them.
    let mut verified = Decimal::ZERO;
    // Most sources are counted: room for all once (a list of 100,000 moves otherwise, leaving holes).
    let mut verified_inputs = Vec::with_capacity(ev.ctx.table("emission_sources").len());
    let mut memo = Decimal::ZERO;
    let mut memo_inputs = Vec::new();
    let mut with_defaults = Decimal::ZERO;
    let mut with_defaults_inputs = Vec::new();
    let mut by_facility: BTreeMap<String, Facility> = BTreeMap::new();
    let mut defaults: DefaultUses = BTreeMap::new();
    let mut electricity_counted = Vec::new();
    // Pushed rows are packed as they come: one row's values at a time in memory.
    let mut table_rows = ResultRows::with_capacity(ev.ctx.table("emission_sources").len());
    // Each source rounded as the rules say: one trace step for each sum's sources.
    let (mut rounded_counted, mut rounded_memo, mut rounded_defaults) =
        (RowRounding::default(), RowRounding::default(), RowRounding::default());

    let ctx = ev.ctx;
    for row in ctx.table("emission_sources").rows() {
        let category = row.text("category").unwrap_or("");
        let treatment = match category {
            "purchased_electricity" if !elec_included => Treatment::Memo,
            "purchased_heat" if !heat_included => Treatment::Memo,
            _ => Treatment::Counted,
        };
        let c = match compute(ev, &row, category, &mut defaults, &source_rule)? {
            Outcome::Computed(c) => c,
            Outcome::Refused => continue,
            Outcome::NotGiven => {
                match treatment {
                Treatment::Counted => ev.finding(
                    "EMISSIONS_MISSING",
                    t(
                        &format!("{} 缺少排放量（tCO2）：请填写排放量，或填写燃料品种和活动数据（燃料消耗量或热量）", row.at("emissions_t")),
                        &format!("{} has no emissions (tCO2): give the emissions, or the fuel and its activity data (fuel consumption or heat)", row.at("emissions_t")),
                    ),
                    vec![row.at("emissions_t")],
                ),
                Treatment::Memo => ev.finding(
                    "MEMO_NOT_COMPUTED",
                    t(
                        &format!("{} 为备忘排放源（不计入清缴），未填写排放量，按0计", row.at("emissions_t")),
                        &format!("{} is a memo source (not in the obligation) without emissions; shown as 0", row.at("emissions_t")),
                    ),
                    vec![row.at("emissions_t")],
                ),
            }
                continue;
            }
        };
        let reference = std::slice::from_ref(&c.input);
        let rounded = c.value != c.before;
        match treatment {
            Treatment::Counted => {
                verified += c.value;
                verified_inputs.push(c.input);
                rounded_counted.add(c.before, c.value, reference);
                let facility = row.text("facility").unwrap_or("");
                // Looked up before a key is made: most rows' facility is there already.
                let entry = match by_facility.get_mut(facility) {
                    Some(entry) => entry,
                    None => by_facility
                        .entry(facility.to_string())
                        .or_insert_with(|| Facility { rounding: RowRounding::counting(), ..Facility::default() }),
                };
                entry.emissions += c.value;
                entry.inputs.push(c.input);
                entry.rounding.add(c.before, c.value, reference);
                if c.with_defaults {
                    with_defaults += c.value;
                    with_defaults_inputs.push(c.input);
                    rounded_defaults.add(c.before, c.value, reference);
                }
                if category == "purchased_electricity" {
                    electricity_counted.push(c.input);
                }
            }
            Treatment::Memo => {
                memo += c.value;
                memo_inputs.push(c.input);
                rounded_memo.add(c.before, c.value, reference);
            }
        }
        let [ncv, cc, of, grid] = &c.factors;
        // Decimals and borrowed texts: a long table packs them without
        // writing each number as text or copying each string first.
        let fv = |f: &Option<Factor>| ResultValue::from(f.as_ref().map(|f| f.value));
        let fo = |f: &Option<Factor>| ResultValue::from(f.as_ref().map(|f| f.origin));
        table_rows.push(vec![
            format!("{} / {}", row.text("facility").unwrap_or(""), row.text("source").unwrap_or("")).into(),
            category.into(),
            row.text("fuel").into(),
            c.activity.clone().into(),
            c.activity_unit.as_str().into(),
            fv(ncv),
            fo(ncv),
            fv(cc),
            fo(cc),
            fv(of),
            fo(of),
            fv(grid),
            c.method.as_ref().into(),
            rounded.then_some(c.before).into(),
            c.value.into(),
            match treatment {
                Treatment::Counted => "counted 计入",
                Treatment::Memo => "memo 备忘（不计入）",
            }
            .into(),
            row.cite_row().into(),
        ]);
    }
    ev.fail_if_errors()?;
    // The steps below cite these: room for all of them in the trace at once.
    ev.out.reserve_citations([
        &verified_inputs[..],
        &memo_inputs,
        &with_defaults_inputs,
        rounded_counted.cited(),
        rounded_memo.cited(),
        rounded_defaults.cited(),
    ]);
    // Each sum below cites its sources' unrounded values and the step of
    // what rounding changed in them: it is what it cites, added up.
    for (inputs, rounding, what) in [
        (&mut verified_inputs, rounded_counted, ("计入清缴的排放源排放量", "Counted sources' emissions")),
        (&mut memo_inputs, rounded_memo, ("备忘排放源排放量", "Memo sources' emissions")),
        (&mut with_defaults_inputs, rounded_defaults, ("采用缺省因子的排放源排放量", "Emissions of sources with default factors")),
    ] {
        inputs.extend(source_rule.record_rows(&mut ev.out, what, Some("tCO2"), rounding, TABLE).map(Ref::step));
    }

    for ((zh, en), cells, params) in defaults.values() {
        let mut params = params.clone();
        params.sort();
        params.dedup();
        ev.finding(
            "DEFAULT_FACTORS_USED",
            t(
                &format!("{zh}：未填写的排放因子采用核算指南缺省值（{}），见 {} 个单元格", params.join("、"), cells.len()),
                &format!(
                    "{en}: factors left blank take the accounting guideline's defaults ({}); {} cell(s)",
                    params.join(", "),
                    cells.len()
                ),
            ),
            cells.clone(),
        );
    }
    if !defaults.is_empty() && sector != "power" {
        ev.finding(
            "DEFAULT_FACTORS_POWER_GUIDELINE",
            t(
                &format!("行业为 {sector}：缺省排放因子取自发电设施核算指南，请按本行业核算指南核实或填写实测值"),
                &format!("Sector {sector}: the defaults are the power-facility guideline's; check them against this sector's guideline or give measured values"),
            ),
            vec![],
        );
    }
    if !electricity_counted.is_empty() {
        ev.finding(
            "PURCHASED_ELECTRICITY_INCLUDED",
            t(
                &format!("{} 年度购入电力间接排放计入核查排放量和应清缴配额", ev.year()),
                &format!("In {} purchased-electricity emissions count towards verified emissions and the obligation", ev.year()),
            ),
            lvyue_sdk::refs::texts(&electricity_counted),
        );
    }

    let s_sum = ev.out.step_citing(
        Step {
            clause: "条例 第三十条；办法 第二十八条 / Regulation Art. 30; Measures Art. 28",
            zh: "核查排放量 = 计入清缴的各排放源排放量（逐项按规则取整）之和",
            en: "Verified emissions = sum of the counted sources' emissions, each rounded by the rules",
            parameters: &[P_PURCHASED_ELEC, P_PURCHASED_HEAT],
            inputs: vec![],
        },
        &verified_inputs,
        num(verified),
        Some("tCO2"),
    );
    let r_total = total_rule.record(
        &mut ev.out,
        ("核查排放量（企业排放总量）", "Verified emissions (enterprise total)"),
        verified,
        Some("tCO2"),
        vec![Output::ref_step(s_sum)],
    );
    let (verified, s) = (r_total.value, r_total.step);
    ev.metric("verified_emissions_t", num(verified), s);
    let s_memo = ev.out.step_citing(
        Step {
            clause: "国环规气候〔2024〕1号：购入电力间接排放不再纳入 / indirect emissions excluded",
            zh: "购入电力、热力排放（备忘，不计入清缴）",
            en: "Purchased electricity and heat emissions (memo, not in the obligation)",
            parameters: &[P_PURCHASED_ELEC, P_PURCHASED_HEAT],
            inputs: vec![],
        },
        &memo_inputs,
        num(memo),
        Some("tCO2"),
    );
    ev.metric("purchased_electricity_memo_t", num(memo), s_memo);
    let s_def = ev.out.step_citing(
        Step {
            clause: "发电设施核算指南 附录A 缺省值 / accounting guideline, Appendix A defaults",
            zh: "采用至少一个缺省排放因子计算、计入清缴的排放量",
            en: "Counted emissions computed with at least one default factor",
            parameters: &[],
            inputs: vec![],
        },
        &with_defaults_inputs,
        num(with_defaults),
        Some("tCO2"),
    );
    ev.metric("emissions_with_default_factors_t", num(with_defaults), s_def);

    if verified < threshold {
        ev.finding(
            "BELOW_COVERAGE_THRESHOLD",
            t(
                &format!("核查排放量 {verified} 吨低于纳入门槛 {threshold} 吨；连续二年未达门槛的，移出重点排放单位名录（办法第十一条）"),
                &format!("Verified emissions of {verified} t are below the coverage threshold of {threshold} t; two consecutive years below removes the entity from the list (Measures Art. 11)"),
            ),
            vec![],
        );
    }

    ev.out.table(table(table_rows));
    Ok(Emissions { verified, step: s, by_facility })
}

/// Fuel key → (names, blank factor cells, default parameters used).
type DefaultUses = BTreeMap<String, ((String, String), Vec<String>, Vec<String>)>;

/// Emissions of one source row: given, or computed from activity data.
fn compute<'a>(
    ev: &mut Eval,
    row: &RowView<'a>,
    category: &str,
    defaults: &mut DefaultUses,
    rule: &Rule,
) -> Result<Outcome<'a>, EvaluationError> {
    if let Some(given) = row.decimal("emissions_t") {
        return Ok(Outcome::Computed(Computed {
            value: rule.apply(given),
            before: given,
            input: row.cite("emissions_t"),
            method: "given 填报".into(),
            activity: Value::Empty,
            activity_unit: String::new(),
            factors: [None, None, None, None],
            with_defaults: false,
        }));
    }
    match category {
        "fuel_combustion" => compute_fuel(ev, row, defaults, rule),
        "purchased_electricity" => compute_electricity(ev, row, rule),
        _ => Ok(Outcome::NotGiven),
    }
}

/// A computed source's emissions: the step that computes them, and the
/// value as the rules round it; (rounded, computed, the step's reference).
fn source_emissions(ev: &mut Eval, rule: &Rule, step: Step, value: Decimal) -> (Decimal, Decimal, Ref<'static>) {
    let step = ev.out.step(step, num(value), Some("tCO2"));
    (rule.apply(value), value, Ref::step(step))
}

fn compute_fuel<'a>(ev: &mut Eval, row: &RowView<'a>, defaults: &mut DefaultUses, rule: &Rule) -> Result<Outcome<'a>, EvaluationError> {
    let consumption = row.decimal("fuel_consumption");
    let heat = row.decimal("activity");
    if consumption.is_none() && heat.is_none() {
        return Ok(Outcome::NotGiven);
    }
    let fuel_text = row.text("fuel").unwrap_or("").trim();
    let fuel = match fuels::find(fuel_text) {
        Some(f) => Some(FuelRef::Known(f)),
        None if !fuel_text.is_empty() && ev.has(&fuels::default_key(&fuels::custom_key(fuel_text), "carbon_content")) => {
            Some(FuelRef::Custom(fuels::custom_key(fuel_text)))
        }
        None => None,
    };
    let fuel = fuel.as_ref();
    let mut used = Vec::new();
    let ncv = if consumption.is_some() { factor(ev, row, "ncv", fuel, "ncv", &mut used)? } else { None };
    let cc = factor(ev, row, "carbon_content", fuel, "carbon_content", &mut used)?;
    let of = factor(ev, row, "oxidation_rate", fuel, "oxidation_rate", &mut used)?;

    let mut missing = Vec::new();
    if consumption.is_some() && ncv.is_none() {
        missing.push("ncv");
    }
    if cc.is_none() {
        missing.push("carbon_content");
    }
    if of.is_none() {
        missing.push("oxidation_rate");
    }
    if !missing.is_empty() {
        let cells: Vec<String> = missing.iter().map(|k| row.at(k)).collect();
        match (fuel_text.is_empty(), fuel) {
            (true, _) => return Ok(Outcome::NotGiven),
            (false, None) => ev.finding(
                "FUEL_UNKNOWN",
                t(
                    &format!("{}：燃料「{fuel_text}」无法识别，且未填写 {}。可识别的燃料：{}", row.at("fuel"), cells.join("、"), fuels::known()),
                    &format!("{}: fuel \"{fuel_text}\" is not recognised and {} are blank. Known fuels: {}", row.at("fuel"), cells.join(", "), fuels::known()),
                ),
                [vec![row.at("fuel")], cells].concat(),
            ),
            (false, Some(f)) => ev.finding(
                "FACTOR_MISSING",
                t(
                    &format!("{}：{}没有核算指南缺省值，须实测填写（低位发热量缺失时也可以热量 GJ 填写活动数据）", cells.join("、"), f.name_zh()),
                    &format!("{}: the rules give no default for {}; give the measured value (for a missing net calorific value, the activity as heat in GJ also works)", cells.join(", "), f.name_en()),
                ),
                cells,
            ),
        }
        return Ok(Outcome::Refused);
    }
    let (cc, of) = (cc.expect("checked"), of.expect("checked"));
    if of.value > Decimal::ONE {
        ev.finding(
            "VALUE_OUT_OF_RANGE",
            t(
                &format!("{}：碳氧化率 {} 应为不大于1的小数（如 0.99）", row.at("oxidation_rate"), of.value),
                &format!("{}: oxidation rate {} must be a fraction not above 1 (e.g. 0.99)", row.at("oxidation_rate"), of.value),
            ),
            vec![row.at("oxidation_rate")],
        );
        return Ok(Outcome::Refused);
    }
    let m_co2 = ev.num(P_M_CO2)?;
    let m_c = ev.num(P_M_C)?;
    let ratio = format!("{}/{}", lvyue_sdk::fmt_dec(m_co2), lvyue_sdk::fmt_dec(m_c));

    let mut cells = Vec::new();
    let (value, method, activity, unit, zh, en) = match consumption {
        Some(fc) => {
            let ncv = ncv.as_ref().expect("checked");
            cells.push(row.at("fuel_consumption"));
            let raw = fc * ncv.value * cc.value * of.value * m_co2 / m_c;
            let unit = match fuel {
                Some(FuelRef::Known(f)) => f.unit.to_string(),
                Some(FuelRef::Custom(k)) => {
                    ev.unit(&fuels::default_key(k, "ncv")).and_then(|u| u.strip_prefix("GJ/")).unwrap_or("t or 10^4 Nm3").to_string()
                }
                None => "t or 10^4 Nm3".to_string(),
            };
            (
                raw,
                format!("FC × NCV × CC × OF × {ratio}").into(),
                num(fc),
                unit,
                "排放量 = 燃料消耗量 × 低位发热量 × 单位热值含碳量 × 碳氧化率 × 44/12",
                "Emissions = fuel consumption × NCV × carbon content per unit heat × oxidation rate × 44/12",
            )
        }
        None => {
            let ad = heat.expect("checked");
            cells.push(row.at("activity"));
            let raw = ad * cc.value * of.value * m_co2 / m_c;
            (
                raw,
                format!("AD(GJ) × CC × OF × {ratio}").into(),
                num(ad),
                "GJ".to_string(),
                "排放量 = 活动数据（热量）× 单位热值含碳量 × 碳氧化率 × 44/12",
                "Emissions = activity (heat) × carbon content per unit heat × oxidation rate × 44/12",
            )
        }
    };
    for (col, f) in [("ncv", ncv.as_ref()), ("carbon_content", Some(&cc)), ("oxidation_rate", Some(&of))] {
        if let Some(f) = f
            && f.origin == USER
        {
            cells.push(row.at(col));
        }
    }
    let with_defaults = !used.is_empty();
    if let Some(f) = fuel.filter(|_| with_defaults) {
        let names = (f.name_zh().to_string(), f.name_en().to_string());
        let blank: Vec<String> = [("ncv", ncv.as_ref()), ("carbon_content", Some(&cc)), ("oxidation_rate", Some(&of))]
            .iter()
            .filter(|(_, f)| f.is_some_and(|f| f.origin == DEFAULT))
            .map(|(col, _)| row.at(col))
            .collect();
        let entry = defaults.entry(f.key().to_string()).or_insert_with(|| (names, Vec::new(), Vec::new()));
        entry.1.extend(blank);
        entry.2.extend(used.iter().cloned());
    }
    let mut params: Vec<&str> = used.iter().map(String::as_str).collect();
    params.extend([P_M_CO2, P_M_C]);
    let (value, before, input) = source_emissions(
        ev,
        rule,
        Step {
            clause: "企业温室气体排放核算与报告指南 发电设施：化石燃料燃烧排放 / power-facility accounting guideline, fuel combustion",
            zh,
            en,
            parameters: &params,
            inputs: cells,
        },
        value,
    );
    Ok(Outcome::Computed(Computed {
        value,
        before,
        input,
        method,
        activity,
        activity_unit: unit,
        factors: [ncv, Some(cc), Some(of), None],
        with_defaults,
    }))
}

fn compute_electricity<'a>(ev: &mut Eval, row: &RowView<'a>, rule: &Rule) -> Result<Outcome<'a>, EvaluationError> {
    // `electricity_mwh`, or `activity` read as MWh as the shared schema's help says.
    let (mwh, column) = match (row.decimal("electricity_mwh"), row.decimal("activity")) {
        (Some(m), _) => (m, "electricity_mwh"),
        (None, Some(m)) => (m, "activity"),
        (None, None) => return Ok(Outcome::NotGiven),
    };
    let factor = ev.num(P_GRID_FACTOR)?;
    let mwh_rule = ev.rounding(R_ELECTRICITY)?;
    let (mwh, s_mwh) =
        mwh_rule.record_if_changed(&mut ev.out, ("购入电量", "Purchased electricity"), mwh, Some("MWh"), vec![row.at(column)]);
    let value = mwh * factor;
    let (value, before, input) = source_emissions(
        ev,
        rule,
        Step {
            clause: "发电设施核算指南 购入电力排放 E = AD × EF_grid / purchased electricity",
            zh: "购入电力排放 = 购入电量 × 电网排放因子",
            en: "Purchased-electricity emissions = MWh × grid emission factor",
            parameters: &[P_GRID_FACTOR],
            inputs: vec![s_mwh.map(Output::ref_step).unwrap_or_else(|| row.at(column))],
        },
        value,
    );
    Ok(Outcome::Computed(Computed {
        value,
        before,
        input,
        method: "MWh × EF_grid".into(),
        activity: num(mwh),
        activity_unit: "MWh".into(),
        factors: [None, None, None, Some(Factor { value: factor, origin: RULES })],
        with_defaults: false,
    }))
}

fn table(rows: ResultRows) -> ResultTable {
    ResultTable {
        key: "emissions".into(),
        name: t(TABLE.0, TABLE.1),
        columns: vec![
            col("label", "排放源", "Source", None),
            col("category", "类别", "Category", None),
            col("fuel", "燃料", "Fuel", None),
            col("activity", "活动数据", "Activity data", None),
            col("activity_unit", "活动数据单位", "Activity unit", None),
            col("ncv", "低位发热量", "Net calorific value", Some("GJ/unit")),
            col("ncv_origin", "低位发热量来源", "NCV from", None),
            col("carbon_content", "单位热值含碳量", "Carbon content per unit heat", Some("tC/GJ")),
            col("carbon_content_origin", "含碳量来源", "Carbon content from", None),
            col("oxidation_rate", "碳氧化率", "Oxidation rate", Some("ratio")),
            col("oxidation_rate_origin", "碳氧化率来源", "Oxidation rate from", None),
            col("grid_factor", "电网排放因子", "Grid emission factor", Some("tCO2/MWh")),
            col("method", "计算方法", "Method", None),
            col("emissions_before_rounding_t", "取整前排放量", "Emissions before rounding", Some("tCO2")),
            col("emissions_t", "排放量", "Emissions", Some("tCO2")),
            col("treatment", "处理", "Treatment", None),
            col("source_row", "来源行", "Source row", None),
        ],
        rows,
        charts: vec![ChartSpec {
            title: t("各排放源排放量", "Emissions by source"),
            kind: ChartKind::Column,
            category_column: "label".into(),
            value_columns: vec!["emissions_t".into()],
        }],
    }
}
