//! `cn-ets`: annual compliance (清缴) in China's national carbon market.
//!
//! Every legal number comes in as a resolved parameter from `rules/cn-ets/`;
//! this crate holds the arithmetic and the decision logic only.

use lvyue_sdk::schemas;
use lvyue_sdk::{
    dec, num, t, text, Context, Decimal, Decision, EvaluationError, FindingSpec, MetricSpec, Output, ParameterSpec,
    PluginInfo, Request, Severity, Step, Value, ValueKind,
};

struct CnEts;

const P_CAP_RATIO: &str = "offsets.ccer_cap_ratio";
const P_CAP_BASE: &str = "offsets.ccer_cap_base";
const P_LEGACY_FILED_BEFORE: &str = "offsets.legacy_ccer_filed_before";
const P_LEGACY_LAST_USE: &str = "offsets.legacy_ccer_last_use";
const P_NEW_CCER_FROM: &str = "offsets.new_ccer_registered_from";
const P_DEADLINE: &str = "surrender.deadline";
const P_PURCHASED_ELEC: &str = "scope.purchased_electricity_included";
const P_PENALTY_MIN: &str = "penalty.price_multiple_min";
const P_PENALTY_MAX: &str = "penalty.price_multiple_max";
const P_CUT_RATIO: &str = "penalty.next_allocation_cut_ratio";

const ALL_PARAMS: &[&str] =
    &[P_CAP_RATIO, P_CAP_BASE, P_LEGACY_FILED_BEFORE, P_LEGACY_LAST_USE, P_NEW_CCER_FROM, P_DEADLINE, P_PURCHASED_ELEC, P_PENALTY_MIN, P_PENALTY_MAX, P_CUT_RATIO];

/// (key, unit, zh, en)
const METRICS: &[(&str, &str, &str, &str)] = &[
    ("verified_emissions_t", "tCO2", "核查排放量", "Verified emissions"),
    ("purchased_electricity_memo_t", "tCO2", "购入电力排放（备忘，不计入）", "Purchased electricity emissions (memo, excluded)"),
    ("obligation_t", "t", "应清缴配额量", "Surrender obligation"),
    ("offset_cap_t", "t", "CCER抵销上限", "Offset cap"),
    ("offsets_eligible_t", "t", "合格CCER持有量", "Eligible offsets held"),
    ("offsets_used_t", "t", "计划使用CCER", "Offsets used"),
    ("allowances_held_t", "t", "可用配额持有量", "Usable allowances held"),
    ("allowances_used_t", "t", "计划清缴配额", "Allowances used"),
    ("shortfall_t", "t", "缺口", "Shortfall to buy"),
    ("surrender_deadline", "date", "清缴截止日期", "Surrender deadline"),
    ("carbon_price_cny", "CNY/t", "碳价（用户提供）", "Carbon price (user-supplied)"),
    ("penalty_min_cny", "CNY", "罚款下限", "Penalty, minimum"),
    ("penalty_max_cny", "CNY", "罚款上限", "Penalty, maximum"),
    ("next_allocation_cut_t", "t", "次年配额核减", "Cut of next year's allocation"),
];

/// (code, severity, zh, en)
const FINDINGS: &[(&str, Severity, &str, &str)] = &[
    ("EMISSIONS_MISSING", Severity::Error, "排放源缺少排放量", "An emission source has no emissions figure"),
    ("OFFSET_NOT_CCER", Severity::Info, "非CCER减排量不可用于全国碳市场清缴", "Only CCER may offset in the national market"),
    ("OFFSET_COVERED_PROJECT", Severity::Warning, "CCER来自纳入配额管理的项目", "CCER from a project under allowance management"),
    ("OFFSET_LEGACY_EXPIRED", Severity::Warning, "2017年3月14日前备案的CCER已过使用期限", "Pre-2017 CCER past its last day of use"),
    ("OFFSET_LEGACY_NOT_FILED", Severity::Warning, "CCER备案日期晚于过渡期截止日且早于新CCER登记启用日", "CCER filed after the legacy cut-off but before the new registry opened"),
    ("OFFSET_DATE_MISSING", Severity::Warning, "CCER缺少登记日期，无法判断适用规则", "CCER without a registration date"),
    ("OFFSET_CAP_BINDING", Severity::Info, "合格CCER超过5%上限，部分不可使用", "Eligible CCER exceeds the cap; part is unused"),
    ("SHORTFALL", Severity::Warning, "持有配额与CCER不足以完成清缴", "Holdings do not cover the obligation"),
    ("PENALTY_PRICE_MISSING", Severity::Info, "未提供碳价，无法计算罚款金额", "No carbon price given; penalty not computed"),
    ("PARAMETER_NOT_VERIFIED", Severity::Warning, "使用了未经官方原文核实的参数", "A parameter not verified in the official text was used"),
];

const ELIGIBLE: &str = "eligible";
const INELIGIBLE: &str = "ineligible";

impl lvyue_sdk::Plugin for CnEts {
    fn describe() -> PluginInfo {
        PluginInfo {
            id: "cn-ets".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            name: t("全国碳排放权交易市场履约", "China national ETS compliance"),
            jurisdictions: vec!["cn-ets".into()],
            years: vec![2023, 2024],
            parameters: ALL_PARAMS
                .iter()
                .map(|k| ParameterSpec {
                    key: k.to_string(),
                    kind: match *k {
                        P_CAP_BASE => ValueKind::Text,
                        P_LEGACY_FILED_BEFORE | P_LEGACY_LAST_USE | P_NEW_CCER_FROM | P_DEADLINE => ValueKind::Date,
                        P_PURCHASED_ELEC => ValueKind::Boolean,
                        _ => ValueKind::Number,
                    },
                    unit: None,
                    required: true,
                })
                .collect(),
            metrics: METRICS.iter().map(|(k, u, zh, en)| MetricSpec { key: k.to_string(), unit: u.to_string(), label: t(zh, en) }).collect(),
            findings: FINDINGS.iter().map(|(c, s, zh, en)| FindingSpec { code: c.to_string(), severity: *s, description: t(zh, en) }).collect(),
            input: vec![schemas::emission_sources(), schemas::allowances(), schemas::credit_holdings()],
        }
    }

    fn evaluate(req: Request) -> Result<lvyue_sdk::Evaluation, EvaluationError> {
        if req.jurisdiction != "cn-ets" {
            return Err(EvaluationError::Unsupported(format!("jurisdiction {}", req.jurisdiction)));
        }
        let ctx = Context::new(&req);
        let mut out = Output::default();
        evaluate(&ctx, &mut out)?;
        Ok(out.finish())
    }
}

fn label(key: &str) -> lvyue_sdk::TextZhEn {
    let (_, _, zh, en) = METRICS.iter().find(|m| m.0 == key).expect("metric declared in METRICS");
    t(zh, en)
}

fn unit(key: &str) -> &'static str {
    METRICS.iter().find(|m| m.0 == key).expect("metric declared in METRICS").1
}

fn metric(out: &mut Output, key: &str, value: Value, step: u32) {
    out.metric(key, value, unit(key), label(key), Some(step));
}

fn metric_f(out: &mut Output, key: &str, value: Value, step: u32, formula: &str) {
    out.metric_with_formula(key, value, unit(key), label(key), Some(step), formula);
}

fn evaluate(ctx: &Context, out: &mut Output) -> Result<(), EvaluationError> {
    let cap_ratio = ctx.param_decimal(P_CAP_RATIO)?;
    let cap_base = ctx.param_text(P_CAP_BASE)?;
    let legacy_filed_before = ctx.param_date(P_LEGACY_FILED_BEFORE)?;
    let legacy_last_use = ctx.param_date(P_LEGACY_LAST_USE)?;
    let new_ccer_from = ctx.param_date(P_NEW_CCER_FROM)?;
    let deadline = ctx.param_date(P_DEADLINE)?;
    let purchased_included = match ctx.parameter(P_PURCHASED_ELEC)?.value {
        Value::Boolean(b) => b,
        _ => return Err(EvaluationError::MissingParameter(format!("{P_PURCHASED_ELEC} (expected true or false)"))),
    };
    let mult_min = ctx.param_decimal(P_PENALTY_MIN)?;
    let mult_max = ctx.param_decimal(P_PENALTY_MAX)?;
    let cut_ratio = ctx.param_decimal(P_CUT_RATIO)?;
    if cap_base != "obligation" {
        return Err(EvaluationError::Unsupported(format!("{P_CAP_BASE} = {cap_base}: this plugin version knows only \"obligation\"")));
    }

    for p in ctx.unverified_parameters(ALL_PARAMS) {
        out.finding(
            Severity::Warning,
            "PARAMETER_NOT_VERIFIED",
            t(
                &format!("参数 {} 的取值可信度为 {}（{}），结果依赖该值", p.key, lvyue_sdk::confidence_name(p.confidence), p.reference),
                &format!("Parameter {} has confidence {} ({}); the result depends on it", p.key, lvyue_sdk::confidence_name(p.confidence), p.reference),
            ),
            vec![],
        );
    }

    // ---- emissions -----------------------------------------------------------
    let mut direct = Decimal::ZERO;
    let mut direct_cells = Vec::new();
    let mut memo = Decimal::ZERO;
    let mut memo_cells = Vec::new();
    for row in ctx.table("emission_sources").rows() {
        let category = row.text("category").unwrap_or("");
        let Some(e) = row.decimal("emissions_t") else {
            out.finding(
                Severity::Error,
                "EMISSIONS_MISSING",
                t(
                    &format!("{} 缺少排放量（tCO2）；本版本按已核算排放量计算", row.at("emissions_t")),
                    &format!("{} has no emissions (tCO2); this version evaluates accounted emissions", row.at("emissions_t")),
                ),
                vec![row.at("emissions_t")],
            );
            continue;
        };
        let is_purchased = matches!(category, "purchased_electricity" | "purchased_heat");
        if is_purchased && !purchased_included {
            memo += e;
            memo_cells.push(row.at("emissions_t"));
        } else {
            direct += e;
            direct_cells.push(row.at("emissions_t"));
        }
    }
    if out.has_errors() {
        return Err(EvaluationError::InvalidInput(std::mem::take(out).finish().findings));
    }
    let s = out.step(
        Step {
            clause: "条例 第三十条；办法 第二十八条 / Regulation Art. 30; Measures Art. 28",
            zh: "核查排放量 = 各排放源排放量之和",
            en: "Verified emissions = sum of the sources' emissions",
            parameters: &[P_PURCHASED_ELEC],
            inputs: direct_cells,
        },
        num(direct),
        Some("tCO2"),
    );
    metric(out, "verified_emissions_t", num(direct), s);
    let s = out.step(
        Step {
            clause: "2023、2024年度发电行业配额分配方案：购入电力间接排放不再纳入 / indirect emissions excluded",
            zh: "购入电力、热力排放（备忘，不计入清缴）",
            en: "Purchased electricity and heat emissions (memo, not in the obligation)",
            parameters: &[P_PURCHASED_ELEC],
            inputs: memo_cells,
        },
        num(memo),
        Some("tCO2"),
    );
    metric(out, "purchased_electricity_memo_t", num(memo), s);

    let obligation = direct;
    let s_obl = out.step(
        Step {
            clause: "办法 第二十八条 / Measures Art. 28",
            zh: "应清缴配额量 = 核查排放量（1吨配额 = 1吨二氧化碳当量）",
            en: "Obligation = verified emissions (1 allowance = 1 tCO2e)",
            parameters: &[],
            inputs: vec![Output::ref_step(s)],
        },
        num(obligation),
        Some("t"),
    );
    metric_f(out, "obligation_t", num(obligation), s_obl, "verified_emissions_t");

    let cap = obligation * cap_ratio;
    let s_cap = out.step(
        Step {
            clause: "办法 第二十九条 / Measures Art. 29",
            zh: "CCER抵销上限 = 应清缴配额量 × 抵销比例上限",
            en: "Offset cap = obligation × cap ratio",
            parameters: &[P_CAP_RATIO, P_CAP_BASE],
            inputs: vec![Output::ref_step(s_obl)],
        },
        num(cap),
        Some("t"),
    );
    metric_f(out, "offset_cap_t", num(cap), s_cap, &format!("obligation_t * {P_CAP_RATIO}"));

    // ---- offsets: one decision per holding -----------------------------------------
    let surrender_date = ctx.option("surrender_date").unwrap_or(deadline);
    let mut eligible = Decimal::ZERO;
    let mut eligible_rows = Vec::new();
    let mut eligible_cells = Vec::new();
    for row in ctx.table("credit_holdings").rows() {
        let qty = row.decimal("quantity_t").unwrap_or(Decimal::ZERO);
        let serial = row.text("serial").unwrap_or("").to_string();
        let mut reasons: Vec<&str> = Vec::new();
        let mut cells = Vec::new();
        if row.text("credit_type") != Some("CCER") {
            reasons.push("OFFSET_NOT_CCER");
            cells.push(row.at("credit_type"));
        } else {
            if row.boolean("covered_project") == Some(true) {
                reasons.push("OFFSET_COVERED_PROJECT");
                cells.push(row.at("covered_project"));
            }
            match row.date("registered") {
                None => {
                    reasons.push("OFFSET_DATE_MISSING");
                    cells.push(row.at("registered"));
                }
                // ISO dates compare correctly as text.
                Some(reg) if reg < legacy_filed_before => {
                    if surrender_date > legacy_last_use {
                        reasons.push("OFFSET_LEGACY_EXPIRED");
                        cells.push(row.at("registered"));
                    }
                }
                Some(reg) if reg < new_ccer_from => {
                    reasons.push("OFFSET_LEGACY_NOT_FILED");
                    cells.push(row.at("registered"));
                }
                Some(_) => {}
            }
        }
        let ok = reasons.is_empty();
        if ok {
            eligible += qty;
            eligible_rows.push((row.source().to_string(), serial.clone(), qty, row.decimal("price_cny")));
            eligible_cells.push(row.at("quantity_t"));
        } else if reasons != ["OFFSET_NOT_CCER"] {
            for code in &reasons {
                let (_, sev, zh, en) = FINDINGS.iter().find(|f| f.0 == *code).expect("declared finding");
                out.finding(*sev, code, t(&format!("{serial}: {zh}"), &format!("{serial}: {en}")), cells.clone());
            }
        }
        out.decision(Decision {
            table: "credit_holdings".into(),
            row: row.source().into(),
            subject: serial,
            outcome: if ok { ELIGIBLE } else { INELIGIBLE }.into(),
            amount: Some(lvyue_sdk::fmt_dec(if ok { qty } else { Decimal::ZERO })),
            unit: Some("t".into()),
            reasons: reasons.iter().map(|s| s.to_string()).collect(),
        });
    }
    let s_el = out.step(
        Step {
            clause: "办法 第二十九条；CCER过渡期规定 / Measures Art. 29; legacy CCER transition",
            zh: "合格CCER = 类型为CCER、非配额管理项目、在使用期限内的持有量之和",
            en: "Eligible offsets = CCER not from covered projects and within their period of use",
            parameters: &[P_LEGACY_FILED_BEFORE, P_LEGACY_LAST_USE, P_NEW_CCER_FROM, P_DEADLINE],
            inputs: eligible_cells,
        },
        num(eligible),
        Some("t"),
    );
    metric(out, "offsets_eligible_t", num(eligible), s_el);

    let used = eligible.min(cap).min(obligation);
    let s_used = out.step(
        Step {
            clause: "办法 第二十九条 / Measures Art. 29",
            zh: "使用CCER = min(合格CCER, 抵销上限)",
            en: "Offsets used = min(eligible offsets, cap)",
            parameters: &[P_CAP_RATIO],
            inputs: vec![Output::ref_step(s_el), Output::ref_step(s_cap)],
        },
        num(used),
        Some("t"),
    );
    metric_f(out, "offsets_used_t", num(used), s_used, "min(offsets_eligible_t, offset_cap_t, obligation_t)");
    if eligible > cap {
        out.finding(
            Severity::Info,
            "OFFSET_CAP_BINDING",
            t(
                &format!("合格CCER {} 吨超过上限 {} 吨，{} 吨不可用于本年度清缴", eligible, cap, eligible - cap),
                &format!("Eligible CCER {eligible} t exceeds the cap of {cap} t; {} t cannot be used this year", eligible - cap),
            ),
            vec![],
        );
    }
    // Surrender plan for credits: cheapest first when prices are given, then input order.
    eligible_rows.sort_by(|a, b| match (a.3, b.3) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
    let mut left = used;
    let mut plan_rows = Vec::new();
    for (source, serial, qty, _) in &eligible_rows {
        let take = left.min(*qty);
        left -= take;
        plan_rows.push(vec![text("CCER"), text(serial.clone()), text(source.clone()), num(take)]);
    }

    // ---- allowances ---------------------------------------------------------------
    let year = Decimal::from(ctx.year());
    let mut held = Decimal::ZERO;
    let mut held_cells = Vec::new();
    let mut vintages: Vec<(Decimal, String, Decimal)> = Vec::new();
    for row in ctx.table("allowances").rows() {
        if row.text("type") != Some("CEA") {
            continue;
        }
        let vintage = row.decimal("vintage").unwrap_or(Decimal::ZERO);
        let qty = row.decimal("quantity_t").unwrap_or(Decimal::ZERO);
        // No borrowing: a vintage later than the compliance year cannot be used.
        if vintage > year {
            out.decision(Decision {
                table: "allowances".into(),
                row: row.source().into(),
                subject: format!("CEA {vintage}"),
                outcome: INELIGIBLE.into(),
                amount: Some("0".into()),
                unit: Some("t".into()),
                reasons: vec!["ALLOWANCE_FUTURE_VINTAGE".into()],
            });
            continue;
        }
        held += qty;
        held_cells.push(row.at("quantity_t"));
        vintages.push((vintage, row.source().to_string(), qty));
    }
    let s_held = out.step(
        Step {
            clause: "配额分配方案：不得预借未来年度配额 / no borrowing of future vintages",
            zh: "可用配额 = 年度不晚于履约年度的CEA持有量",
            en: "Usable allowances = CEA of vintages up to the compliance year",
            parameters: &[],
            inputs: held_cells,
        },
        num(held),
        Some("t"),
    );
    metric(out, "allowances_held_t", num(held), s_held);
    let need = obligation - used;
    let allowances_used = held.min(need);
    let s_au = out.step(
        Step {
            clause: "条例 第十四条 / Regulation Art. 14",
            zh: "清缴配额 = min(可用配额, 应清缴配额量 − 使用CCER)",
            en: "Allowances used = min(usable allowances, obligation − offsets used)",
            parameters: &[],
            inputs: vec![Output::ref_step(s_held), Output::ref_step(s_obl), Output::ref_step(s_used)],
        },
        num(allowances_used),
        Some("t"),
    );
    metric_f(out, "allowances_used_t", num(allowances_used), s_au, "min(allowances_held_t, obligation_t - offsets_used_t)");
    // Oldest vintages first.
    vintages.sort_by(|a, b| a.0.cmp(&b.0));
    let mut left = allowances_used;
    for (vintage, source, qty) in &vintages {
        let take = left.min(*qty);
        left -= take;
        if take > Decimal::ZERO {
            plan_rows.push(vec![text("CEA"), text(format!("CEA {vintage}")), text(source.clone()), num(take)]);
        }
        out.decision(Decision {
            table: "allowances".into(),
            row: source.clone(),
            subject: format!("CEA {vintage}"),
            outcome: if take > Decimal::ZERO { "used" } else { "not-needed" }.into(),
            amount: Some(lvyue_sdk::fmt_dec(take)),
            unit: Some("t".into()),
            reasons: vec![],
        });
    }

    let shortfall = obligation - used - allowances_used;
    let s_sf = out.step(
        Step {
            clause: "条例 第十四条 / Regulation Art. 14",
            zh: "缺口 = 应清缴配额量 − 使用CCER − 清缴配额",
            en: "Shortfall = obligation − offsets used − allowances used",
            parameters: &[],
            inputs: vec![Output::ref_step(s_obl), Output::ref_step(s_used), Output::ref_step(s_au)],
        },
        num(shortfall),
        Some("t"),
    );
    metric_f(out, "shortfall_t", num(shortfall), s_sf, "obligation_t - offsets_used_t - allowances_used_t");
    if shortfall > Decimal::ZERO {
        plan_rows.push(vec![text("CEA"), text("buy / 购买"), text(""), num(shortfall)]);
        out.finding(
            Severity::Warning,
            "SHORTFALL",
            t(&format!("需在 {deadline} 前购入 {shortfall} 吨配额"), &format!("Buy {shortfall} t of allowances before {deadline}")),
            vec![],
        );
    }
    let s_dl = out.step(
        Step { clause: "配额分配方案 清缴时间 / allocation plan, surrender timing", zh: "清缴截止日期", en: "Surrender deadline", parameters: &[P_DEADLINE], inputs: vec![] },
        Value::Date(deadline.to_string()),
        None,
    );
    metric(out, "surrender_deadline", Value::Date(deadline.to_string()), s_dl);

    // ---- penalty exposure ---------------------------------------------------------
    let price = ctx.option("carbon_price_cny").and_then(dec);
    let penalty_step = |out: &mut Output, zh: &str, en: &str, param: &'static str, value: Value, inputs: Vec<String>| {
        out.step(
            Step { clause: "条例 第二十四条 / Regulation Art. 24", zh, en, parameters: &[param], inputs },
            value,
            Some("CNY"),
        )
    };
    match price {
        Some(p) => {
            let s_p = out.step(
                Step { clause: "用户提供 / user-supplied", zh: "清缴时限前1个月平均成交价", en: "Average price in the month before the deadline", parameters: &[], inputs: vec!["option:carbon_price_cny".into()] },
                num(p),
                Some("CNY/t"),
            );
            metric(out, "carbon_price_cny", num(p), s_p);
            let inputs = vec![Output::ref_step(s_sf), Output::ref_step(s_p)];
            let lo = shortfall * p * mult_min;
            let hi = shortfall * p * mult_max;
            let s_lo = penalty_step(out, "罚款下限 = 未清缴量 × 碳价 × 倍数下限", "Penalty minimum = unsurrendered × price × minimum multiple", P_PENALTY_MIN, num(lo), inputs.clone());
            metric_f(out, "penalty_min_cny", num(lo), s_lo, &format!("shortfall_t * carbon_price_cny * {P_PENALTY_MIN}"));
            let s_hi = penalty_step(out, "罚款上限 = 未清缴量 × 碳价 × 倍数上限", "Penalty maximum = unsurrendered × price × maximum multiple", P_PENALTY_MAX, num(hi), inputs);
            metric_f(out, "penalty_max_cny", num(hi), s_hi, &format!("shortfall_t * carbon_price_cny * {P_PENALTY_MAX}"));
        }
        None if shortfall.is_zero() => {
            // Nothing unsurrendered: no exposure, whatever the price.
            for (key, param) in [("penalty_min_cny", P_PENALTY_MIN), ("penalty_max_cny", P_PENALTY_MAX)] {
                let s = penalty_step(out, "无未清缴量，无罚款", "Nothing unsurrendered, no penalty", param, num(Decimal::ZERO), vec![Output::ref_step(s_sf)]);
                metric(out, key, num(Decimal::ZERO), s);
            }
        }
        None => {
            out.finding(
                Severity::Info,
                "PENALTY_PRICE_MISSING",
                t("未提供碳价（选项 carbon_price_cny），罚款金额未计算", "No carbon price given (option carbon_price_cny); penalty amounts not computed"),
                vec![],
            );
            for (key, param) in [("penalty_min_cny", P_PENALTY_MIN), ("penalty_max_cny", P_PENALTY_MAX)] {
                let s = penalty_step(out, "未提供碳价", "No carbon price given", param, Value::Empty, vec![Output::ref_step(s_sf)]);
                metric(out, key, Value::Empty, s);
            }
        }
    }
    let cut = shortfall * cut_ratio;
    let s_cut = out.step(
        Step {
            clause: "条例 第二十四条 / Regulation Art. 24",
            zh: "逾期未改正的，等量核减次年配额",
            en: "If not corrected, next year's allocation is cut by the same amount",
            parameters: &[P_CUT_RATIO],
            inputs: vec![Output::ref_step(s_sf)],
        },
        num(cut),
        Some("t"),
    );
    metric_f(out, "next_allocation_cut_t", num(cut), s_cut, &format!("shortfall_t * {P_CUT_RATIO}"));

    out.table(lvyue_sdk::ResultTable {
        key: "surrender_plan".into(),
        name: t("清缴计划", "Surrender plan"),
        columns: vec![
            lvyue_sdk::ResultColumn { key: "instrument".into(), name: t("品种", "Instrument"), unit: None },
            lvyue_sdk::ResultColumn { key: "subject".into(), name: t("标的", "Holding"), unit: None },
            lvyue_sdk::ResultColumn { key: "source".into(), name: t("来源行", "Source row"), unit: None },
            lvyue_sdk::ResultColumn { key: "quantity_t".into(), name: t("数量", "Quantity"), unit: Some("t".into()) },
        ],
        rows: plan_rows,
        charts: vec![],
    });
    Ok(())
}

lvyue_sdk::export_plugin!(CnEts);
