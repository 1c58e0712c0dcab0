//! Allocation: the power benchmark method per generating unit with the
//! peak-shaving correction, the gas-unit top-up and the entity's shortfall-rate
//! cap; steel, cement and aluminium by the year's sector rule.

use lvyue_sdk::eval::{Eval, column as col};
use lvyue_sdk::{Decimal, EvaluationError, Output, ResultTable, Step, Value, dec, num, t, text};
use rust_decimal::MathematicalOps;

use crate::emissions::Emissions;
use crate::spec::*;

/// The allocation result: `None` fields when allocation was not computed.
pub struct Allocation {
    pub allocation: Option<Decimal>,
    pub step: Option<u32>,
}

pub const SECTORS: &[&str] = &["power", "cement", "steel", "aluminium"];

/// Parses "c0, c1, …" (rule parameter text) into decimals.
fn coefficients(ev: &mut Eval, expected: usize) -> Result<Vec<Decimal>, EvaluationError> {
    let raw = ev.text(P_FF_COEFFICIENTS)?;
    let parsed: Option<Vec<Decimal>> = raw.split(',').map(|s| dec(s.trim())).collect();
    match parsed {
        Some(v) if v.len() == expected => Ok(v),
        _ => Err(EvaluationError::MissingParameter(format!(
            "{P_FF_COEFFICIENTS} (expected {expected} comma-separated decimals for {}, found \"{raw}\")",
            "the form in allocation.ff.form"
        ))),
    }
}

/// The peak-shaving correction Ff for load factor `f` (a fraction), per the
/// year's form in the rules, before rounding (`rounding.ff`).
fn ff(ev: &mut Eval, f: Decimal) -> Result<Decimal, EvaluationError> {
    let threshold = ev.num(P_FF_THRESHOLD)?;
    let form = ev.text(P_FF_FORM)?;
    if f >= threshold {
        return Ok(Decimal::ONE);
    }
    let bad = || EvaluationError::MissingParameter(format!("{P_FF_FORM} (cannot evaluate the form for load factor {f})"));
    let value = match form {
        // c0^(c1 − c2·F), F a fraction.
        "exponential_below_threshold" => {
            let c = coefficients(ev, 3)?;
            c[0].checked_powd(c[1] - c[2] * f).ok_or_else(bad)?
        }
        // c0 − c1·(1 − e^(−F%/c2)) − c3·(1 − e^(−F%/c4)), F% = 100·F.
        "double_exponential_below_threshold" => {
            let c = coefficients(ev, 5)?;
            let pct = f * Decimal::ONE_HUNDRED;
            let e1 = (-pct / c[2]).checked_exp().ok_or_else(bad)?;
            let e2 = (-pct / c[4]).checked_exp().ok_or_else(bad)?;
            c[0] - c[1] * (Decimal::ONE - e1) - c[3] * (Decimal::ONE - e2)
        }
        other => {
            return Err(EvaluationError::Unsupported(format!(
                "{P_FF_FORM} = \"{other}\": this plugin version knows exponential_below_threshold and double_exponential_below_threshold"
            )));
        }
    };
    Ok(value)
}

pub fn evaluate(ev: &mut Eval, sector: &str, emissions: &Emissions) -> Result<Allocation, EvaluationError> {
    let ctx = ev.ctx;
    let units = ctx.table("generating_units");
    if sector != "power" {
        if !units.is_empty() {
            let cells: Vec<String> = units.rows().map(|r| r.at("facility")).collect();
            ev.finding(
                "UNITS_FOR_OTHER_SECTOR",
                t(
                    &format!("行业为 {sector}，但填写了发电机组；自备电厂按发电行业单独评估"),
                    &format!("Sector is {sector} but generating units are given; evaluate captive power plants as a power-sector entity"),
                ),
                cells,
            );
            ev.fail_if_errors()?;
        }
        return industry(ev, sector, emissions);
    }
    if units.is_empty() {
        ev.finding(
            "ALLOCATION_NOT_COMPUTED",
            t(
                "未填写发电机组表，未按基准法计算配额；清缴计划只使用账户中持有的配额",
                "No generating units given, so the benchmark allocation is not computed; the surrender plan uses only the allowances held",
            ),
            vec![],
        );
        return not_computed(ev);
    }

    // The benchmarks first: a year without them (2021, 2022) is named by them.
    for row in units.rows() {
        let key = generation_benchmark_key(row.text("category").unwrap_or(""));
        if !ev.has(&key) {
            return Err(ev.missing(&key));
        }
    }
    let round = ev.rounding(R_ALLOCATION)?;
    let ff_categories: Vec<String> = ev.text(P_FF_CATEGORIES)?.split(',').map(|s| s.trim().to_string()).collect();
    let mut rows = Vec::new();
    let mut initial_total = Decimal::ZERO;
    let mut gas_top_up_total = Decimal::ZERO;
    let mut initial_inputs = Vec::new();
    let mut gas_inputs = Vec::new();
    let mut params_used: Vec<String> = vec![P_FF_CATEGORIES.into()];

    for row in units.rows() {
        let unit = row.text("facility").unwrap_or("").to_string();
        let category = row.text("category").unwrap_or("").to_string();
        let gen_key = generation_benchmark_key(&category);
        let be = ev.num(&gen_key)?;
        let heat_key = if category == GAS_CATEGORY { P_HEAT_BM_GAS } else { P_HEAT_BM_COAL };
        let bh = ev.num(heat_key)?;
        params_used.extend([gen_key.clone(), heat_key.to_string()]);
        let qe = row.decimal("generation_mwh").unwrap_or(Decimal::ZERO);
        let qh = row.decimal("heat_supplied_gj").unwrap_or(Decimal::ZERO);
        let load = row.decimal("load_factor");
        let mut inputs = vec![row.at("generation_mwh")];
        if row.decimal("heat_supplied_gj").is_some() {
            inputs.push(row.at("heat_supplied_gj"));
        }
        let mut unit_params: Vec<String> = vec![gen_key.clone(), heat_key.into(), P_FF_CATEGORIES.into()];

        let ff_value = if ff_categories.contains(&category) {
            match load {
                Some(f) if f > Decimal::ONE => {
                    ev.finding(
                        "VALUE_OUT_OF_RANGE",
                        t(
                            &format!("{}：负荷（出力）系数 {f} 应为不大于1的小数（如 0.62 表示 62%）", row.at("load_factor")),
                            &format!("{}: load factor {f} must be a fraction not above 1 (0.62 for 62 %)", row.at("load_factor")),
                        ),
                        vec![row.at("load_factor")],
                    );
                    continue;
                }
                Some(f) => {
                    unit_params.extend([P_FF_FORM.into(), P_FF_THRESHOLD.into(), P_FF_COEFFICIENTS.into()]);
                    params_used.extend([P_FF_FORM.into(), P_FF_THRESHOLD.into(), P_FF_COEFFICIENTS.into()]);
                    let raw = ff(ev, f)?;
                    let rule = ev.rounding(R_FF)?;
                    let (value, step) = rule.record_if_changed(
                        &mut ev.out,
                        (&format!("{unit} 调峰修正系数 Ff"), &format!("{unit} peak-shaving correction Ff")),
                        raw,
                        None,
                        vec![row.at("load_factor")],
                    );
                    inputs.push(step.map(Output::ref_step).unwrap_or_else(|| row.at("load_factor")));
                    value
                }
                None => {
                    ev.finding(
                        "LOAD_FACTOR_MISSING",
                        t(
                            &format!("{unit}（{category}类）未填写负荷（出力）系数，调峰修正系数按1计，配额可能偏低"),
                            &format!(
                                "{unit} (category {category}) has no load factor; Ff is taken as 1, which may understate the allocation"
                            ),
                        ),
                        vec![row.at("load_factor")],
                    );
                    Decimal::ONE
                }
            }
        } else {
            Decimal::ONE
        };
        let (ae, s_ae) = round.record_if_changed(
            &mut ev.out,
            (&format!("{unit} 发电配额"), &format!("{unit} generation allocation")),
            qe * be * ff_value,
            Some("t"),
            inputs.clone(),
        );
        let (ah, s_ah) = round.record_if_changed(
            &mut ev.out,
            (&format!("{unit} 供热配额"), &format!("{unit} heat allocation")),
            qh * bh,
            Some("t"),
            inputs.clone(),
        );
        inputs.extend(s_ae.into_iter().chain(s_ah).map(Output::ref_step));
        unit_params.extend(round.parameters().map(str::to_string));
        let initial = ae + ah;

        // Gas units: top up to the unit's verified emissions.
        let unit_emissions = emissions.by_facility.get(&unit);
        let mut top_up = Decimal::ZERO;
        if category == GAS_CATEGORY {
            let gas_rule = ev.boolean(P_GAS_TOP_UP)?;
            unit_params.push(P_GAS_TOP_UP.into());
            params_used.push(P_GAS_TOP_UP.into());
            if gas_rule {
                match unit_emissions {
                    None => ev.finding(
                        "UNIT_EMISSIONS_MISSING",
                        t(
                            &format!("燃气机组 {unit} 在排放源表中没有「设施」为 {unit} 的排放量，无法判断机组豁免补发"),
                            &format!("Gas unit {unit} has no emission sources with Facility \"{unit}\"; its top-up cannot be judged"),
                        ),
                        vec![row.at("facility")],
                    ),
                    Some(facility) => {
                        let e = &facility.emissions;
                        // The unit's sources, unrounded, and what rounding changed in them.
                        let mut cells = lvyue_sdk::refs::texts(&facility.inputs);
                        if facility.rounding.changed() {
                            let source_rule = ev.rounding(R_SOURCE)?;
                            let what = (format!("{unit} 的排放源排放量"), format!("{unit}'s sources' emissions"));
                            let step = source_rule.record_rows(
                                &mut ev.out,
                                (&what.0, &what.1),
                                Some("tCO2"),
                                facility.rounding.clone(),
                                crate::emissions::TABLE,
                            );
                            cells.extend(step.map(Output::ref_step));
                        }
                        let (target, s_target) = round.record_if_changed(
                            &mut ev.out,
                            (&format!("{unit} 补发目标（机组核查排放量）"), &format!("{unit} top-up target (unit verified emissions)")),
                            *e,
                            Some("t"),
                            cells.clone(),
                        );
                        if initial < *e && target > initial {
                            top_up = target - initial;
                            gas_inputs.extend(cells.iter().cloned());
                            gas_inputs.extend(s_target.map(Output::ref_step));
                            ev.finding(
                                "GAS_TOP_UP",
                                t(
                                    &format!("燃气机组 {unit} 初始配额 {initial} 吨小于核查排放量 {e} 吨，补发 {top_up} 吨"),
                                    &format!("Gas unit {unit}: initial allocation {initial} t is below its verified emissions of {e} t; {top_up} t are topped up"),
                                ),
                                vec![row.at("facility")],
                            );
                        }
                    }
                }
            }
        }
        let unit_allocation = initial + top_up;
        let params: Vec<&str> = unit_params.iter().map(String::as_str).collect();
        let (zh, en) = if category == GAS_CATEGORY {
            (
                "燃气机组配额 A = Qe × Be + Qh × Bh，初始配额小于核查排放量时补发至核查排放量",
                "Gas unit: A = Qe × Be + Qh × Bh, topped up to verified emissions if below",
            )
        } else {
            ("燃煤机组配额 A = Qe × Be × Ff + Qh × Bh", "Coal unit: A = Qe × Be × Ff + Qh × Bh")
        };
        let step = ev.out.step(
            Step {
                clause: "国环规气候〔2024〕1号 附3、附4，五(三)1 / 2023–2024 plan annexes 3, 4 and unit exemption",
                zh,
                en,
                parameters: &params,
                inputs: inputs.clone(),
            },
            num(unit_allocation),
            Some("t"),
        );
        initial_total += initial;
        gas_top_up_total += top_up;
        initial_inputs.push(Output::ref_step(step));
        rows.push(vec![
            text(unit.clone()),
            text(category.clone()),
            num(qe),
            num(be),
            load.map(num).unwrap_or(Value::Empty),
            num(ff_value),
            num(ae),
            num(qh),
            num(bh),
            num(ah),
            num(initial),
            unit_emissions.map(|f| num(f.emissions)).unwrap_or(Value::Empty),
            num(top_up),
            num(unit_allocation),
            text(row.source()),
        ]);
    }
    ev.fail_if_errors()?;
    params_used.sort();
    params_used.dedup();
    let params: Vec<&str> = params_used.iter().map(String::as_str).collect();

    let s_init = ev.out.step(
        Step {
            clause: "国环规气候〔2024〕1号 附3、附4 / 2023–2024 plan annexes 3 and 4",
            zh: "机组初始配额合计 = Σ(发电配额 + 供热配额)",
            en: "Units' initial allocation = Σ (generation + heat allocation)",
            parameters: &params,
            inputs: initial_inputs.clone(),
        },
        num(initial_total),
        Some("t"),
    );
    ev.metric("allocation_units_initial_t", num(initial_total), s_init);
    let s_gas = ev.out.step(
        Step {
            clause: "国环规气候〔2024〕1号 五(三)1 机组层面豁免 / unit-level exemption for gas units",
            zh: "燃气机组豁免补发 = Σ max(0, 机组核查排放量 − 机组初始配额)",
            en: "Gas-unit top-up = Σ max(0, unit verified emissions − unit initial allocation)",
            parameters: &[P_GAS_TOP_UP, &round.places_key, &round.mode_key],
            inputs: [initial_inputs, gas_inputs].concat(),
        },
        num(gas_top_up_total),
        Some("t"),
    );
    ev.metric("allocation_gas_top_up_t", num(gas_top_up_total), s_gas);

    // Entity level: top up to (1 − cap) × verified emissions.
    let cap = ev.num(P_SHORTFALL_CAP)?;
    let verified = emissions.verified;
    let entity_initial = initial_total + gas_top_up_total;
    let floor_level = verified * (Decimal::ONE - cap);
    let raw_top_up = if entity_initial < floor_level { floor_level - entity_initial } else { Decimal::ZERO };
    let s_raw = ev.out.step(
        Step {
            clause: "国环规气候〔2024〕1号 五(三)2 配额履约缺口率上限豁免 / entity shortfall-rate cap",
            zh: "初始配额小于核查排放量×(1−缺口率上限)时，补发至该水平",
            en: "If the entity's initial allocation is below verified emissions × (1 − cap), top up to that level",
            parameters: &[P_SHORTFALL_CAP],
            inputs: vec![Output::ref_step(emissions.step), Output::ref_step(s_init), Output::ref_step(s_gas)],
        },
        num(raw_top_up),
        Some("t"),
    );
    let r_cap = round.record(
        &mut ev.out,
        ("缺口率上限豁免补发", "Shortfall-rate cap top-up"),
        raw_top_up,
        Some("t"),
        vec![Output::ref_step(s_raw)],
    );
    let (cap_top_up, s_cap) = (r_cap.value, r_cap.step);
    ev.metric_rounded(
        "allocation_cap_top_up_t",
        &round,
        &r_cap,
        Some(&format!("max(0, verified_emissions_t * (1 - {P_SHORTFALL_CAP}) - (allocation_units_initial_t + allocation_gas_top_up_t))")),
    );
    if cap_top_up > Decimal::ZERO {
        ev.finding(
            "SHORTFALL_CAP_TOP_UP",
            t(
                &format!("初始配额 {entity_initial} 吨低于核查排放量的 {}（{floor_level} 吨），补发 {cap_top_up} 吨", Decimal::ONE - cap),
                &format!("Initial allocation {entity_initial} t is below {} of verified emissions ({floor_level} t); {cap_top_up} t are topped up", Decimal::ONE - cap),
            ),
            vec![],
        );
    }
    let allocation = entity_initial + cap_top_up;
    rows.push(summary_row(text("主体 Entity"), [entity_initial, verified, cap_top_up, allocation], "cap top-up 缺口率上限豁免".into()));
    let s = total(ev, allocation, vec![Output::ref_step(s_init), Output::ref_step(s_gas), Output::ref_step(s_cap)]);
    ev.out.table(table(rows));
    Ok(Allocation { allocation: Some(allocation), step: Some(s) })
}

fn total(ev: &mut Eval, allocation: Decimal, inputs: Vec<String>) -> u32 {
    let s = ev.out.step(
        Step {
            clause: "国环规气候〔2024〕1号 五(三) / 2023–2024 plan, exemptions",
            zh: "核定配额量 = 机组初始配额 + 燃气机组补发 + 缺口率上限补发",
            en: "Allocation = units' initial allocation + gas top-up + cap top-up",
            parameters: &[],
            inputs,
        },
        num(allocation),
        Some("t"),
    );
    ev.metric_f("allocation_t", num(allocation), s, "allocation_units_initial_t + allocation_gas_top_up_t + allocation_cap_top_up_t");
    s
}

/// Steel, cement, aluminium: the year's sector method.
fn industry(ev: &mut Eval, sector: &str, emissions: &Emissions) -> Result<Allocation, EvaluationError> {
    let year = ev.year();
    let method = ev.text(P_INDUSTRY_METHOD)?;
    match method {
        "not_covered" => Err(EvaluationError::Unsupported(format!(
            "sector {sector} in compliance year {year}: steel, cement and aluminium are covered by the national ETS from the 2024 year ({P_INDUSTRY_METHOD} = not_covered)"
        ))),
        "equal_to_emissions" => {
            let e = emissions.verified;
            let s_init = ev.out.step(
                Step {
                    clause: "2024年度钢铁、水泥、铝冶炼行业配额分配方案：配额等于核查排放量 / 2024 allocation equals verified emissions",
                    zh: "配额 = 核查排放量（排多少、缴多少）",
                    en: "Allocation = verified emissions",
                    parameters: &[P_INDUSTRY_METHOD],
                    inputs: vec![Output::ref_step(emissions.step)],
                },
                num(e),
                Some("t"),
            );
            ev.metric_f("allocation_units_initial_t", num(e), s_init, "verified_emissions_t");
            for key in ["allocation_gas_top_up_t", "allocation_cap_top_up_t"] {
                let s = ev.out.step(
                    Step {
                        clause: "国环规气候〔2024〕1号 五(三) (power only) / power-sector exemptions only",
                        zh: "非发电行业不适用",
                        en: "Not applicable outside the power sector",
                        parameters: &[],
                        inputs: vec![],
                    },
                    num(Decimal::ZERO),
                    Some("t"),
                );
                ev.metric(key, num(Decimal::ZERO), s);
            }
            ev.finding(
                "ALLOCATION_EQUALS_EMISSIONS",
                t(
                    &format!("{year} 年度 {sector} 行业配额等于核查排放量 {e} 吨"),
                    &format!("In {year} the {sector} sector's allocation equals verified emissions, {e} t"),
                ),
                vec![],
            );
            let s = total(ev, e, vec![Output::ref_step(s_init)]);
            let row = summary_row(
                text(format!("{sector} 行业 sector")),
                [e, e, Decimal::ZERO, e],
                format!("{P_INDUSTRY_METHOD} = equal_to_emissions"),
            );
            ev.out.table(table(vec![row]));
            Ok(Allocation { allocation: Some(e), step: Some(s) })
        }
        other => Err(EvaluationError::Unsupported(format!(
            "{P_INDUSTRY_METHOD} = \"{other}\" for {sector} in {year}: this plugin version knows not_covered and equal_to_emissions"
        ))),
    }
}

fn not_computed(ev: &mut Eval) -> Result<Allocation, EvaluationError> {
    for key in ["allocation_units_initial_t", "allocation_gas_top_up_t", "allocation_cap_top_up_t", "allocation_t"] {
        let s = ev.out.step(
            Step {
                clause: "国环规气候〔2024〕1号 附3、附4：按机组计算 / 2023–2024 plan annexes 3 and 4: computed per generating unit",
                zh: "未计算：未填写发电机组表",
                en: "Not computed: the generating units sheet is empty",
                parameters: &[],
                inputs: vec![],
            },
            Value::Empty,
            Some("t"),
        );
        ev.metric(key, Value::Empty, s);
    }
    Ok(Allocation { allocation: None, step: None })
}

/// A row of the allocation table for the entity or the sector as a whole: no
/// unit's production, then initial allocation, verified emissions, top-up, allocation and a note.
fn summary_row(label: Value, [initial, verified, top_up, allocation]: [Decimal; 4], note: String) -> Vec<Value> {
    let mut row = vec![label];
    row.extend(std::iter::repeat_n(Value::Empty, 9));
    row.extend([num(initial), num(verified), num(top_up), num(allocation), text(note)]);
    row
}

fn table(rows: Vec<Vec<Value>>) -> ResultTable {
    ResultTable {
        key: "allocation".into(),
        name: t("配额分配", "Allocation"),
        columns: vec![
            col("unit", "机组", "Unit", None),
            col("category", "类别", "Category", None),
            col("generation_mwh", "发电量", "Generation", Some("MWh")),
            col("generation_benchmark", "发电基准值", "Generation benchmark", Some("tCO2/MWh")),
            col("load_factor", "负荷系数", "Load factor", Some("ratio")),
            col("ff", "调峰修正系数", "Ff", None),
            col("generation_allocation_t", "发电配额", "Generation allocation", Some("t")),
            col("heat_gj", "供热量", "Heat supplied", Some("GJ")),
            col("heat_benchmark", "供热基准值", "Heat benchmark", Some("tCO2/GJ")),
            col("heat_allocation_t", "供热配额", "Heat allocation", Some("t")),
            col("initial_t", "初始配额", "Initial allocation", Some("t")),
            col("verified_emissions_t", "核查排放量", "Verified emissions", Some("tCO2")),
            col("top_up_t", "豁免补发", "Top-up", Some("t")),
            col("allocation_t", "核定配额", "Allocation", Some("t")),
            col("note", "说明", "Note", None),
        ],
        rows: rows.into(),
        charts: vec![],
    }
}
