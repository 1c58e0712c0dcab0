//! Surrender: which credits and allowances may be used, the surrender plan from
//! what is held, the shortfall, the deadline, carry-over and penalty exposure.

use lvyue_sdk::dates::is_iso_date;
use lvyue_sdk::eval::Eval;
use lvyue_sdk::offsets::{
    Failure, Left, carbon_price, coverage_table, left_after, new_ccer_conditions, new_ccer_window_years, penalty_price_missing, plan_table,
};
use lvyue_sdk::{Decimal, Decision, EvaluationError, Output, RowView, Step, Value, dec, fmt_dec, num, t, text};

use crate::spec::*;

const ELIGIBLE: &str = "eligible";
const INELIGIBLE: &str = "ineligible";

/// Obligation and its trace step, from the caller.
pub struct Obligation {
    pub value: Decimal,
    pub step: u32,
}

/// Validated options: the planned surrender date and the net sales for carry-over.
pub struct Options<'a> {
    pub surrender_date: Option<&'a str>,
    pub price: Option<Decimal>,
    pub net_sales: Option<Decimal>,
}

pub fn options<'a>(ev: &mut Eval<'a>) -> Options<'a> {
    let ctx = ev.ctx;
    let bad = |ev: &mut Eval, key: &str, value: &str, zh: &str, en: &str| {
        ev.finding(
            "OPTION_INVALID",
            t(&format!("选项 {key} = \"{value}\"：应为{zh}"), &format!("Option {key} = \"{value}\": expected {en}")),
            vec![format!("option:{key}")],
        );
    };
    let surrender_date = ctx.option("surrender_date");
    if let Some(d) = surrender_date.filter(|d| !is_iso_date(d)) {
        bad(ev, "surrender_date", d, "日期 YYYY-MM-DD", "a date YYYY-MM-DD");
    }
    let number = |ev: &mut Eval, key: &str, non_negative: bool| -> Option<Decimal> {
        let raw = ctx.option(key)?;
        match dec(raw.trim()) {
            Some(d) if !non_negative || d >= Decimal::ZERO => Some(d),
            _ => {
                bad(
                    ev,
                    key,
                    raw,
                    if non_negative { "不小于0的数字" } else { "数字" },
                    if non_negative { "a number not less than 0" } else { "a number" },
                );
                None
            }
        }
    };
    let price = number(ev, "carbon_price_cny", true);
    let net_sales = number(ev, "net_sales_2024_2025_t", false);
    Options { surrender_date, price, net_sales }
}

/// The restarted market's registration conditions a holding's dates allow to
/// check (project start; reductions within the window before the application).
/// A parameter is read, and so marked used, only when the dates it needs are given.
fn new_ccer_failures(ev: &mut Eval, row: &RowView) -> Result<Vec<Failure>, EvaluationError> {
    let start = row.date("project_start");
    let (from, applied) = (row.date("reduction_start"), row.date("reductions_applied"));
    let start_after = match start {
        Some(_) if ev.has(P_NEW_CCER_START_AFTER) => Some(ev.date(P_NEW_CCER_START_AFTER)?),
        _ => None,
    };
    let window = match (from, applied) {
        (Some(_), Some(_)) if ev.has(P_NEW_CCER_WINDOW_YEARS) => Some(new_ccer_window_years(ev)?),
        _ => None,
    };
    Ok(new_ccer_conditions(start, from, applied, start_after, window))
}

struct Usable {
    source: String,
    subject: String,
    qty: Decimal,
    price: Option<Decimal>,
}

pub fn evaluate(ev: &mut Eval, obligation: &Obligation, opts: &Options) -> Result<(), EvaluationError> {
    let year = ev.year();
    let cap_ratio = ev.num(P_CAP_RATIO)?;
    let cap_base = ev.text(P_CAP_BASE)?;
    let legacy_filed_before = ev.date(P_LEGACY_FILED_BEFORE)?;
    let legacy_last_use = ev.date(P_LEGACY_LAST_USE)?;
    let new_ccer_from = ev.date(P_NEW_CCER_FROM)?;
    let reductions_after = ev.date(P_NEW_CCER_REDUCTIONS_AFTER)?;
    let deadline = ev.date(P_DEADLINE)?;
    let unusable_up_to = ev.num(P_UNUSABLE_VINTAGES)?;
    if cap_base != "obligation" {
        return Err(EvaluationError::Unsupported(format!("{P_CAP_BASE} = {cap_base}: this plugin version knows only \"obligation\"")));
    }
    let ob = obligation.value;

    // ---- offset cap ----------------------------------------------------------------
    let cap_rule = ev.rounding(R_OFFSET_CAP)?;
    let holdings_rule = ev.rounding(R_HOLDINGS)?;
    let shortfall_rule = ev.rounding(R_SHORTFALL)?;
    let cap = ob * cap_ratio;
    let s_cap = ev.out.step(
        Step {
            clause: "办法 第二十九条 / Measures Art. 29",
            zh: "CCER抵销上限 = 应清缴配额量 × 抵销比例上限",
            en: "Offset cap = obligation × cap ratio",
            parameters: &[P_CAP_RATIO, P_CAP_BASE],
            inputs: vec![Output::ref_step(obligation.step)],
        },
        num(cap),
        Some("t"),
    );
    // Offsets are surrendered in whole tonnes: the cap as the rules round it.
    let r_cap = cap_rule.record(&mut ev.out, ("CCER抵销上限", "Offset cap"), cap, Some("t"), vec![Output::ref_step(s_cap)]);
    let (cap, s_cap) = (r_cap.value, r_cap.step);
    ev.metric_rounded("offset_cap_t", &cap_rule, &r_cap, Some(&format!("obligation_t * {P_CAP_RATIO}")));

    // ---- offsets: one decision per holding -------------------------------------------
    let surrender_date = opts.surrender_date.unwrap_or(deadline);
    let mut eligible = Decimal::ZERO;
    let mut eligible_rows: Vec<Usable> = Vec::new();
    let mut eligible_cells = Vec::new();
    let ctx = ev.ctx;
    for row in ctx.table("credit_holdings").rows() {
        let qty = row.decimal("quantity_t").unwrap_or(Decimal::ZERO);
        let serial = row.text("serial").unwrap_or("").to_string();
        let mut reasons: Vec<&str> = Vec::new();
        let mut cells = Vec::new();
        // Codes with their own message and cells; notes do not block the holding.
        let mut detailed: Vec<(&'static str, String, String, Vec<String>)> = Vec::new();
        let mut notes: Vec<&str> = Vec::new();
        if row.text("credit_type") != Some("CCER") {
            reasons.push("OFFSET_NOT_CCER");
            cells.push(row.at("credit_type"));
        } else {
            // Measures Art. 29 excludes projects under the national market's
            // allowance management; a pilot-covered project is excluded only from
            // registration under the 2023 CCER measures, so it is a warning here.
            let market = row.text("owner_market").map(str::trim).filter(|m| !m.is_empty() && *m != "none");
            let covered =
                row.boolean("covered_project") == Some(true) || (market.is_some() && row.boolean("within_owner_boundary") == Some(true));
            match market.filter(|m| *m != "cn-ets") {
                _ if !covered => {}
                None => {
                    reasons.push("OFFSET_COVERED_PROJECT");
                    cells.push(row.at("covered_project"));
                }
                Some(m) => {
                    let new_regime = row.date("registered").is_some_and(|r| r >= new_ccer_from);
                    let (zh, en) = if new_regime {
                        (
                            format!(
                                "项目纳入 {m} 配额管理：纳入全国和地方碳排放权交易市场配额管理的项目不得申请温室气体自愿减排项目登记（温室气体自愿减排交易管理办法（试行）），该新CCER不应存在，请核实数据；办法第二十九条只排除全国碳市场配额管理的项目，仍计入"
                            ),
                            format!(
                                "the project is under {m}'s allowance management: projects under national or local allowance management may not register as voluntary reduction projects (2023 CCER measures), so this new CCER should not exist; check the data. Measures Art. 29 excludes only projects under the national market, so it still counts"
                            ),
                        )
                    } else {
                        (
                            format!(
                                "项目纳入 {m} 配额管理：其减排量可能同时体现为该市场配额盈余（重复计算风险，清华大学《抵销机制设计》DC-05）；办法第二十九条只排除全国碳市场配额管理的项目，仍计入"
                            ),
                            format!(
                                "the project is under {m}'s allowance management: its reductions may also show as an allowance surplus there (double-counting risk, Tsinghua report DC-05). Measures Art. 29 excludes only projects under the national market, so it still counts"
                            ),
                        )
                    };
                    notes.push("OFFSET_PILOT_COVERED_PROJECT");
                    detailed.push((
                        "OFFSET_PILOT_COVERED_PROJECT",
                        zh,
                        en,
                        vec![row.at("owner_market"), row.at("covered_project"), row.at("within_owner_boundary")],
                    ));
                }
            }
            // ISO dates compare correctly as text.
            match row.date("registered") {
                None => {
                    reasons.push("OFFSET_DATE_MISSING");
                    cells.push(row.at("registered"));
                }
                Some(reg) => {
                    if reg > surrender_date {
                        reasons.push("OFFSET_NOT_YET_REGISTERED");
                        cells.push(row.at("registered"));
                    }
                    if reg < legacy_filed_before {
                        if surrender_date > legacy_last_use {
                            reasons.push("OFFSET_LEGACY_EXPIRED");
                            cells.push(row.at("registered"));
                        }
                    } else if reg < new_ccer_from {
                        reasons.push("OFFSET_LEGACY_NOT_FILED");
                        cells.push(row.at("registered"));
                    } else {
                        if row.date("reduction_start").is_some_and(|r| r <= reductions_after) {
                            reasons.push("OFFSET_REDUCTIONS_TOO_EARLY");
                            cells.push(row.at("reduction_start"));
                        }
                        for f in new_ccer_failures(ev, &row)? {
                            reasons.push(f.code);
                            detailed.push((f.code, f.zh, f.en, f.columns.iter().map(|k| row.at(k)).collect()));
                        }
                    }
                }
            }
        }
        let ok = reasons.is_empty();
        if ok {
            eligible += qty;
            eligible_rows.push(Usable { source: row.source().to_string(), subject: serial.clone(), qty, price: row.decimal("price_cny") });
            eligible_cells.push(row.at("quantity_t"));
        }
        for code in reasons.iter().chain(&notes).filter(|c| **c != "OFFSET_NOT_CCER") {
            match detailed.iter().find(|d| d.0 == *code) {
                Some((_, zh, en, d_cells)) => ev.finding(code, t(&format!("{serial}：{zh}"), &format!("{serial}: {en}")), d_cells.clone()),
                None => ev.finding_described(code, &format!("{serial}: "), cells.clone()),
            }
        }
        ev.out.decision(Decision {
            table: "credit_holdings".into(),
            row: row.source().into(),
            subject: serial,
            outcome: if ok { ELIGIBLE } else { INELIGIBLE }.into(),
            amount: Some(fmt_dec(if ok { qty } else { Decimal::ZERO })),
            unit: Some("t".into()),
            reasons: reasons.iter().chain(&notes).map(|s| s.to_string()).collect(),
        });
    }
    let el_params: Vec<&str> = [
        P_LEGACY_FILED_BEFORE,
        P_LEGACY_LAST_USE,
        P_NEW_CCER_FROM,
        P_NEW_CCER_REDUCTIONS_AFTER,
        P_DEADLINE,
        P_NEW_CCER_START_AFTER,
        P_NEW_CCER_WINDOW_YEARS,
    ]
    .into_iter()
    .filter(|k| ev.used.contains(*k))
    .collect();
    let s_el = ev.out.step(
        Step {
            clause: "办法 第二十九条；温室气体自愿减排交易管理办法（试行）过渡规定 / Measures Art. 29; CCER transition",
            zh: "合格CCER = 类型为CCER、非配额管理项目、在使用期限内的持有量之和",
            en: "Eligible offsets = CCER not from covered projects and within their period of use",
            parameters: &el_params,
            inputs: eligible_cells,
        },
        num(eligible),
        Some("t"),
    );
    ev.metric("offsets_eligible_t", num(eligible), s_el);

    let used = eligible.min(cap).min(ob);
    let s_used_raw = ev.out.step(
        Step {
            clause: "办法 第二十九条 / Measures Art. 29",
            zh: "使用CCER = min(合格CCER, 抵销上限, 应清缴配额量)",
            en: "Offsets used = min(eligible offsets, cap, obligation)",
            parameters: &[P_CAP_RATIO],
            inputs: vec![Output::ref_step(s_el), Output::ref_step(s_cap), Output::ref_step(obligation.step)],
        },
        num(used),
        Some("t"),
    );
    let r_used = holdings_rule.record(&mut ev.out, ("使用CCER", "Offsets used"), used, Some("t"), vec![Output::ref_step(s_used_raw)]);
    let (used, s_used) = (r_used.value, r_used.step);
    ev.metric_rounded("offsets_used_t", &holdings_rule, &r_used, Some("min(offsets_eligible_t, offset_cap_t, obligation_t)"));
    left_after(
        ev,
        Left {
            key: "offsets_unused_t",
            clause: "办法 第二十九条 / Measures Art. 29",
            zh: "合格但未使用的CCER",
            en: "Eligible offsets not used",
            held: (eligible, s_el, "offsets_eligible_t"),
            used: (used, s_used, "offsets_used_t"),
        },
    );
    if eligible > cap {
        ev.finding(
            "OFFSET_CAP_BINDING",
            t(
                &format!("合格CCER {} 吨超过上限 {} 吨，{} 吨不可用于本年度清缴", eligible, cap, eligible - cap),
                &format!("Eligible CCER {eligible} t exceeds the cap of {cap} t; {} t cannot be used this year", eligible - cap),
            ),
            vec![],
        );
    }
    // Credits first, up to the cap: cheapest first when prices are given, then input order.
    eligible_rows.sort_by(|a, b| match (a.price, b.price) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
    let mut left = used;
    let mut plan_rows = Vec::new();
    for u in &eligible_rows {
        let take = left.min(u.qty);
        left -= take;
        plan_rows.push(vec![text("CCER"), text(u.subject.clone()), text(u.source.clone()), num(take)]);
        // The plan's use of the holding, as a second decision on the row.
        ev.out.decision(Decision {
            table: "credit_holdings".into(),
            row: u.source.clone(),
            subject: format!("surrender {}", u.subject),
            outcome: if take > Decimal::ZERO { "used" } else { "not-needed" }.into(),
            amount: Some(fmt_dec(take)),
            unit: Some("t".into()),
            reasons: if take < u.qty && eligible > cap { vec!["OFFSET_CAP_BINDING".into()] } else { vec![] },
        });
    }

    // ---- allowances -----------------------------------------------------------------
    let year_d = Decimal::from(year);
    let mut held = Decimal::ZERO;
    let mut held_cells = Vec::new();
    let mut vintages: Vec<(Decimal, Usable)> = Vec::new();
    let mut not_carried = Decimal::ZERO;
    let mut not_carried_cells = Vec::new();
    let mut old_unusable: Vec<(Decimal, Decimal)> = Vec::new();
    for row in ctx.table("allowances").rows() {
        let kind = row.text("type").unwrap_or("");
        let vintage = row.decimal("vintage").unwrap_or(Decimal::ZERO);
        let qty = row.decimal("quantity_t").unwrap_or(Decimal::ZERO);
        let subject = format!("{kind} {vintage}");
        let reason = if kind != "CEA" {
            Some("ALLOWANCE_NOT_CEA")
        } else if vintage > year_d {
            // No borrowing: a vintage later than the compliance year cannot be used.
            Some("ALLOWANCE_FUTURE_VINTAGE")
        } else if unusable_up_to > Decimal::ZERO && vintage <= unusable_up_to {
            not_carried += qty;
            not_carried_cells.push(row.at("quantity_t"));
            old_unusable.push((vintage, qty));
            Some("ALLOWANCE_NOT_CARRIED_OVER")
        } else {
            None
        };
        if let Some(reason) = reason {
            ev.out.decision(Decision {
                table: "allowances".into(),
                row: row.source().into(),
                subject,
                outcome: INELIGIBLE.into(),
                amount: Some("0".into()),
                unit: Some("t".into()),
                reasons: vec![reason.into()],
            });
            continue;
        }
        held += qty;
        held_cells.push(row.at("quantity_t"));
        vintages.push((vintage, Usable { source: row.source().to_string(), subject, qty, price: row.decimal("price_cny") }));
    }
    if not_carried > Decimal::ZERO {
        ev.finding(
            "ALLOWANCE_NOT_CARRIED_OVER",
            t(
                &format!("{} 吨 {} 年度及以前的配额未结转，不可用于 {year} 年度清缴", not_carried, unusable_up_to),
                &format!(
                    "{not_carried} t of vintage {unusable_up_to} or earlier were not carried over and cannot be surrendered for {year}"
                ),
            ),
            not_carried_cells,
        );
    }
    let s_held = ev.out.step(
        Step {
            clause: "国环规气候〔2024〕1号 七：不可预支后续年度配额；未结转配额不再用于2025年度及后续年度履约 / no borrowing; uncarried 2019–2024 allowances",
            zh: "可用配额 = 年度不晚于履约年度、且无需结转或已结转的CEA持有量",
            en: "Usable allowances = CEA of vintages up to the compliance year that need no carry-over",
            parameters: &[P_UNUSABLE_VINTAGES],
            inputs: held_cells,
        },
        num(held),
        Some("t"),
    );
    ev.metric("allowances_held_t", num(held), s_held);
    let need = ob - used;
    let allowances_used = held.min(need);
    let s_au_raw = ev.out.step(
        Step {
            clause: "条例 第十四条 / Regulation Art. 14",
            zh: "清缴配额 = min(可用配额, 应清缴配额量 − 使用CCER)",
            en: "Allowances used = min(usable allowances, obligation − offsets used)",
            parameters: &[],
            inputs: vec![Output::ref_step(s_held), Output::ref_step(obligation.step), Output::ref_step(s_used)],
        },
        num(allowances_used),
        Some("t"),
    );
    let r_au =
        holdings_rule.record(&mut ev.out, ("清缴配额", "Allowances used"), allowances_used, Some("t"), vec![Output::ref_step(s_au_raw)]);
    let (allowances_used, s_au) = (r_au.value, r_au.step);
    ev.metric_rounded("allowances_used_t", &holdings_rule, &r_au, Some("min(allowances_held_t, obligation_t - offsets_used_t)"));
    left_after(
        ev,
        Left {
            key: "allowances_unused_t",
            clause: "条例 第十四条 / Regulation Art. 14",
            zh: "清缴后剩余可用配额",
            en: "Usable allowances left after surrender",
            held: (held, s_held, "allowances_held_t"),
            used: (allowances_used, s_au, "allowances_used_t"),
        },
    );
    // Oldest vintages first (stable: input order within a vintage).
    vintages.sort_by_key(|a| a.0);
    let mut left = allowances_used;
    let mut leftover_by_vintage: Vec<(Decimal, Decimal)> = Vec::new();
    for (vintage, u) in &vintages {
        let take = left.min(u.qty);
        left -= take;
        if take > Decimal::ZERO {
            plan_rows.push(vec![text("CEA"), text(u.subject.clone()), text(u.source.clone()), num(take)]);
        }
        leftover_by_vintage.push((*vintage, u.qty - take));
        ev.out.decision(Decision {
            table: "allowances".into(),
            row: u.source.clone(),
            subject: u.subject.clone(),
            outcome: if take > Decimal::ZERO { "used" } else { "not-needed" }.into(),
            amount: Some(fmt_dec(take)),
            unit: Some("t".into()),
            reasons: vec![],
        });
    }

    // ---- shortfall and deadline -------------------------------------------------------
    let shortfall = ob - used - allowances_used;
    let s_sf_raw = ev.out.step(
        Step {
            clause: "条例 第十四条 / Regulation Art. 14",
            zh: "缺口 = 应清缴配额量 − 使用CCER − 清缴配额",
            en: "Shortfall = obligation − offsets used − allowances used",
            parameters: &[],
            inputs: vec![Output::ref_step(obligation.step), Output::ref_step(s_used), Output::ref_step(s_au)],
        },
        num(shortfall),
        Some("t"),
    );
    // What is bought is whole tonnes, rounded as the rules say (up).
    let r_sf = shortfall_rule.record(&mut ev.out, ("缺口", "Shortfall"), shortfall, Some("t"), vec![Output::ref_step(s_sf_raw)]);
    let (shortfall, s_sf) = (r_sf.value, r_sf.step);
    ev.metric_rounded("shortfall_t", &shortfall_rule, &r_sf, Some("obligation_t - offsets_used_t - allowances_used_t"));
    if shortfall > Decimal::ZERO {
        plan_rows.push(vec![text("CEA"), text("buy / 购买"), text(""), num(shortfall)]);
        ev.finding(
            "SHORTFALL",
            t(&format!("需在 {deadline} 前购入 {shortfall} 吨配额"), &format!("Buy {shortfall} t of allowances before {deadline}")),
            vec![],
        );
    }
    let s_dl = ev.out.step(
        Step {
            clause: "配额分配方案及年度工作通知 清缴时间 / allocation plan and annual notice, surrender timing",
            zh: "清缴截止日期",
            en: "Surrender deadline",
            parameters: &[P_DEADLINE],
            inputs: vec![],
        },
        Value::Date(deadline.to_string()),
        None,
    );
    ev.metric("surrender_deadline", Value::Date(deadline.to_string()), s_dl);
    if let Some(d) = opts.surrender_date.filter(|d| *d > deadline) {
        ev.finding(
            "SURRENDER_LATE",
            t(
                &format!("计划清缴日期 {d} 晚于截止日期 {deadline}：逾期未足额清缴将被处罚（见罚款下限、上限）"),
                &format!("The planned surrender date {d} is after the deadline {deadline}: surrendering late is penalised (see the penalty range)"),
            ),
            vec!["option:surrender_date".into()],
        );
    }

    carry_over(ev, &leftover_by_vintage, &old_unusable, opts)?;
    penalty(ev, shortfall, s_sf, opts)?;

    ev.out.table(plan_table(vec![], plan_rows));
    ev.out.table(coverage_table(allowances_used, "CCER 抵销 Offsets", used, shortfall));
    Ok(())
}

/// Carry-over of 2019–2024 allowances (2023–2024 plan, 附5): what is left after
/// this surrender, the limit T = B + NS × R when net sales are given.
fn carry_over(
    ev: &mut Eval,
    leftover: &[(Decimal, Decimal)],
    old_unusable: &[(Decimal, Decimal)],
    opts: &Options,
) -> Result<(), EvaluationError> {
    let year = Decimal::from(ev.year());
    if !(ev.has(P_CARRY_VINTAGE_MAX) && ev.has(P_CARRY_BASE) && ev.has(P_CARRY_MULTIPLE) && ev.has(P_CARRY_APPLY_BY)) {
        let s = ev.out.step(
            Step {
                clause: "国环规气候〔2024〕1号 附5：2019—2024年度配额结转 / 2023–2024 plan annex 5: carry-over of 2019–2024 allowances",
                zh: "本年度不适用配额结转规则（规则中无本年度结转参数）",
                en: "No carry-over rule applies to this year (the rules give no carry-over parameters for it)",
                parameters: &[],
                inputs: vec![],
            },
            Value::Empty,
            Some("t"),
        );
        ev.metric("carry_over_limit_t", Value::Empty, s);
        return Ok(());
    }
    let vmax = ev.num(P_CARRY_VINTAGE_MAX)?;
    let base = ev.num(P_CARRY_BASE)?;
    let multiple = ev.num(P_CARRY_MULTIPLE)?;
    let apply_by = ev.date(P_CARRY_APPLY_BY)?;
    let limit = opts.net_sales.map(|ns| base + ns.max(Decimal::ZERO) * multiple);
    let s = ev.out.step(
        Step {
            clause: "国环规气候〔2024〕1号 附5 三 / 2023–2024 plan annex 5: T = B + NS × R (rounded down)",
            zh: "最大可结转量 T = 基础可结转量 B + 净卖出量 NS × 结转倍率 R（NS<0 取0，向下取整）",
            en: "Carry-over limit T = B + net sales NS × R (NS floored at 0, rounded down)",
            parameters: &[P_CARRY_BASE, P_CARRY_MULTIPLE],
            inputs: if opts.net_sales.is_some() { vec!["option:net_sales_2024_2025_t".into()] } else { vec![] },
        },
        limit.map(num).unwrap_or(Value::Empty),
        Some("t"),
    );
    let (limit, s) = match limit {
        Some(l) => {
            let r = ev.rounding(R_CARRY_OVER)?.record(
                &mut ev.out,
                ("最大可结转量", "Carry-over limit"),
                l,
                Some("t"),
                vec![Output::ref_step(s)],
            );
            (Some(r.value), r.step)
        }
        None => (None, s),
    };
    ev.metric("carry_over_limit_t", limit.map(num).unwrap_or(Value::Empty), s);
    // After the last surrender that can use them, old vintages only survive by carry-over.
    if year < vmax {
        return Ok(());
    }
    let old: Decimal = leftover.iter().filter(|(v, _)| *v <= vmax).map(|(_, q)| *q).sum::<Decimal>()
        + old_unusable.iter().filter(|(v, _)| *v <= vmax).map(|(_, q)| *q).sum::<Decimal>();
    if old <= Decimal::ZERO {
        return Ok(());
    }
    let limit_text = limit.map(|l| l.to_string()).unwrap_or_else(|| "B + NS × R (选项 option net_sales_2024_2025_t)".into());
    ev.finding(
        "CARRY_OVER",
        t(
            &format!("本次清缴后剩余 {vmax} 年度及以前的配额 {old} 吨：须于 {apply_by} 前申请结转为2025年度配额（最多 {limit_text} 吨），否则不能用于2025年度及以后的清缴"),
            &format!("{old} t of vintage {vmax} or earlier are left after this surrender: apply by {apply_by} to carry them over into 2025 allowances (at most {limit_text} t), or they cannot be surrendered from the 2025 year on"),
        ),
        vec![],
    );
    if let Some(l) = limit.filter(|l| old > *l) {
        ev.finding(
            "CARRY_OVER_LIMIT",
            t(
                &format!("剩余旧年度配额 {old} 吨超过最大可结转量 {l} 吨，{} 吨将无法结转", old - l),
                &format!("{old} t of old vintages exceed the carry-over limit of {l} t; {} t cannot be carried over", old - l),
            ),
            vec!["option:net_sales_2024_2025_t".into()],
        );
    }
    Ok(())
}

/// Penalty exposure for what is left unsurrendered at the deadline.
fn penalty(ev: &mut Eval, shortfall: Decimal, s_sf: u32, opts: &Options) -> Result<(), EvaluationError> {
    let mult_min = ev.num(P_PENALTY_MIN)?;
    let mult_max = ev.num(P_PENALTY_MAX)?;
    let fine_min = ev.num(P_FINE_MIN)?;
    let fine_max = ev.num(P_FINE_MAX)?;
    let cut_ratio = ev.num(P_CUT_RATIO)?;
    let money = ev.rounding(R_MONEY)?;
    let tonnes = ev.rounding(R_SHORTFALL)?;
    let short = shortfall > Decimal::ZERO;
    let clause = "条例 第二十四条；办法 第四十条 / Regulation Art. 24; Measures Art. 40";
    let price_based = !(mult_min.is_zero() && mult_max.is_zero());
    let price_step = opts.price.map(|p| carbon_price(ev, p, "清缴时限前1个月平均成交价", "Average price in the month before the deadline"));
    for (key, mult_key, mult, fine_key, fine) in [
        ("penalty_min_cny", P_PENALTY_MIN, mult_min, P_FINE_MIN, fine_min),
        ("penalty_max_cny", P_PENALTY_MAX, mult_max, P_FINE_MAX, fine_max),
    ] {
        let mut inputs = vec![Output::ref_step(s_sf)];
        let params = [mult_key, fine_key];
        match (price_based, opts.price) {
            (true, Some(p)) => {
                inputs.extend(price_step.map(Output::ref_step));
                let value = if short { shortfall * p * mult + fine } else { shortfall * p * mult };
                let formula = if short {
                    format!("shortfall_t * carbon_price_cny * {mult_key} + {fine_key}")
                } else {
                    format!("shortfall_t * carbon_price_cny * {mult_key}")
                };
                let s = ev.out.step(
                    Step {
                        clause,
                        zh: "罚款 = 未清缴量 × 碳价 × 倍数（+ 固定罚款）",
                        en: "Penalty = unsurrendered × price × multiple (+ fixed fine)",
                        parameters: &params,
                        inputs,
                    },
                    num(value),
                    Some("CNY"),
                );
                let r = money.record(&mut ev.out, ("罚款", "Penalty"), value, Some("CNY"), vec![Output::ref_step(s)]);
                ev.metric_rounded(key, &money, &r, Some(&formula));
            }
            (false, _) if short => {
                let s = ev.out.step(
                    Step {
                        clause,
                        zh: "未按时足额清缴：固定罚款",
                        en: "Not surrendered in full on time: fixed fine",
                        parameters: &params,
                        inputs,
                    },
                    num(fine),
                    Some("CNY"),
                );
                ev.metric_f(key, num(fine), s, fine_key);
            }
            _ if !short => {
                // Nothing unsurrendered: no exposure, whatever the price.
                let s = ev.out.step(
                    Step {
                        clause, zh: "无未清缴量，无罚款", en: "Nothing unsurrendered, no penalty", parameters: &params, inputs
                    },
                    num(Decimal::ZERO),
                    Some("CNY"),
                );
                ev.metric(key, num(Decimal::ZERO), s);
            }
            _ => {
                let s = ev.out.step(
                    Step { clause, zh: "未提供碳价", en: "No carbon price given", parameters: &params, inputs },
                    Value::Empty,
                    Some("CNY"),
                );
                ev.metric(key, Value::Empty, s);
            }
        }
    }
    if price_based && short && opts.price.is_none() {
        penalty_price_missing(ev);
    }
    let cut = shortfall * cut_ratio;
    let s_cut_raw = ev.out.step(
        Step {
            clause,
            zh: "逾期未改正的，等量核减次年配额",
            en: "If not corrected, next year's allocation is cut by the same amount",
            parameters: &[P_CUT_RATIO],
            inputs: vec![Output::ref_step(s_sf)],
        },
        num(cut),
        Some("t"),
    );
    let r_cut =
        tonnes.record(&mut ev.out, ("次年配额核减", "Cut of next year's allocation"), cut, Some("t"), vec![Output::ref_step(s_cut_raw)]);
    ev.metric_rounded("next_allocation_cut_t", &tonnes, &r_cut, Some(&format!("shortfall_t * {P_CUT_RATIO}")));
    Ok(())
}
