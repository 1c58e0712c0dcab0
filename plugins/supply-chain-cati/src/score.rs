//! Scoring: answers to points, points to area scores, area scores to a total
//! per supplier; ranking, hotspots, violation flags, metrics and tables.

use std::collections::{BTreeMap, HashMap};

use lvyue_sdk::eval::column as col;
use lvyue_sdk::{
    ChartKind, ChartSpec, Confidence, Context, Decimal, Decision, EvaluationError, Finding, Output, ResultTable, Severity, Step, Value,
    fmt_dec, num, t, text,
};
use rust_decimal::RoundingStrategy;

use crate::model::{Method, Model, Scoring, ViolationPolicy, natural_key};
use crate::spec::*;

const HUNDRED: Decimal = Decimal::ONE_HUNDRED;

/// Scores are shown to 2 decimals, rounded half away from zero (as a
/// spreadsheet's ROUND); totals are computed from the unrounded area scores.
fn r2(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero).normalize()
}

fn r4(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(4, RoundingStrategy::MidpointAwayFromZero).normalize()
}

/// Charts per supplier only while they stay readable.
const MAX_CHARTED_SUPPLIERS: usize = 50;

struct Supplier {
    id: String,
    name: String,
    /// The industry as typed (blank: default) and the key its factors were looked up by.
    industry_shown: String,
    industry_key: String,
    industry_known: bool,
    row: String,
    id_cell: String,
    /// Points per indicator of the catalogue (None: not answered).
    points: Vec<Option<Decimal>>,
    answer_cells: Vec<String>,
    open_cells: Vec<String>,
    open_ids: Vec<String>,
    // results
    area: [Decimal; 5],
    lost: [Decimal; 5],
    total: Decimal,
    total_text: String,
    citi_text: String,
    area_text: [String; 5],
    capped: bool,
    unanswered: usize,
    step: u32,
}

impl Supplier {
    /// The area where this supplier loses the most weighted points.
    fn hotspot(&self) -> usize {
        let mut best = 0;
        for a in 1..5 {
            if self.lost[a] > self.lost[best] {
                best = a;
            }
        }
        best
    }
}

/// An answer as typed, as one of the rules' answer keys (lower case): case
/// is ignored, and the Chinese words of the bundled answers are read too.
fn answer_key(typed: &str) -> &str {
    match typed.trim() {
        "是" | "true" => "yes",
        "否" | "false" => "no",
        "部分" => "partial",
        "绝对量" | "绝对" => "absolute",
        "强度" => "intensity",
        "已验证" => "validated",
        "已承诺" => "committed",
        other => other,
    }
}

fn error(errors: &mut Vec<Finding>, code: &str, zh: String, en: String, cell: String) {
    errors.push(Finding { severity: Severity::Error, code: code.into(), message: t(&zh, &en), cells: vec![cell] });
}

fn metric(out: &mut Output, key: &str, value: Value, step: u32) {
    let (unit, label) = metric_label(key);
    out.metric(key, value, unit, label, Some(step));
}

fn count(n: usize) -> Value {
    num(Decimal::from(n as u64))
}

/// Lists at most `max` items, then "… (n more)".
fn listing(items: &[String], max: usize) -> String {
    let mut s = items.iter().take(max).cloned().collect::<Vec<_>>().join(", ");
    if items.len() > max {
        s.push_str(&format!(" … (+{})", items.len() - max));
    }
    s
}

pub fn evaluate(ctx: &Context, out: &mut Output) -> Result<(), EvaluationError> {
    let model = Model::read(ctx)?;
    let period_end = ctx.request.period.end.as_str();
    let mut errors: Vec<Finding> = Vec::new();

    // ---- suppliers -------------------------------------------------------------------
    let mut suppliers: Vec<Supplier> = Vec::new();
    let mut by_id: HashMap<String, usize> = HashMap::new();
    for row in ctx.table("suppliers").rows() {
        let id = row.text("supplier_id").unwrap_or("").to_string();
        let typed = row.text("industry").unwrap_or("").trim().to_string();
        let lookup = if typed.is_empty() { DEFAULT_INDUSTRY.to_string() } else { typed.to_lowercase() };
        let known = model.industries.contains_key(&lookup);
        by_id.insert(id.clone(), suppliers.len());
        suppliers.push(Supplier {
            name: row.text("name").unwrap_or("").to_string(),
            industry_shown: if typed.is_empty() { DEFAULT_INDUSTRY.to_string() } else { typed },
            industry_key: if known { lookup } else { DEFAULT_INDUSTRY.to_string() },
            industry_known: known,
            row: row.source().to_string(),
            id_cell: row.at("supplier_id"),
            points: vec![None; model.indicators.len()],
            answer_cells: Vec::new(),
            open_cells: Vec::new(),
            open_ids: Vec::new(),
            area: [Decimal::ZERO; 5],
            lost: [Decimal::ZERO; 5],
            total: Decimal::ZERO,
            total_text: String::new(),
            citi_text: String::new(),
            area_text: Default::default(),
            capped: false,
            unanswered: 0,
            step: 0,
            id,
        });
    }
    if suppliers.is_empty() {
        errors.push(Finding {
            severity: Severity::Error,
            code: "NO_SUPPLIERS".into(),
            message: t("供应商表没有数据：至少填写一家供应商", "The Suppliers sheet has no rows: give at least one supplier"),
            cells: vec!["Suppliers!A2".into()],
        });
        return Err(EvaluationError::InvalidInput(errors));
    }

    // ---- answers: one decision per row ---------------------------------------------------
    // Ids as the rules write them; any other case is matched by a scan.
    let by_indicator: HashMap<&str, usize> = model.indicators.iter().enumerate().map(|(i, ind)| (ind.id.as_str(), i)).collect();
    let find_indicator =
        |id: &str| by_indicator.get(id).copied().or_else(|| model.indicators.iter().position(|i| i.id.eq_ignore_ascii_case(id)));
    let mut unknown_indicators: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for row in ctx.table("climate_answers").rows() {
        let sid = row.text("supplier_id").unwrap_or("");
        let iid = row.text("indicator_id").unwrap_or("");
        let subject = format!("{sid}/{iid}");
        let Some(&s) = by_id.get(sid) else {
            error(
                &mut errors,
                "UNKNOWN_SUPPLIER",
                format!("供应商编号 {sid} 不在供应商表中"),
                format!("supplier id {sid} is not in the Suppliers sheet"),
                row.at("supplier_id"),
            );
            continue;
        };
        let Some(k) = find_indicator(iid) else {
            unknown_indicators.entry(iid.to_string()).or_default().push(row.at("indicator_id"));
            out.decision(Decision {
                table: "climate_answers".into(),
                row: row.source().into(),
                subject,
                outcome: "ignored".into(),
                amount: None,
                unit: None,
                reasons: vec!["ANSWER_UNKNOWN_INDICATOR".into()],
            });
            continue;
        };
        let ind = &model.indicators[k];
        let (points, cell, amount) = match &ind.scoring {
            Scoring::Choice(table) => {
                let typed = row.text("answer").unwrap_or("");
                let answer = answer_key(typed);
                match table.iter().find(|(a, _, _)| a.eq_ignore_ascii_case(answer)) {
                    Some((_, p, text)) => (*p, row.at("answer"), text.clone()),
                    None => {
                        let found = if typed.is_empty() { "（空）".to_string() } else { typed.to_string() };
                        let found_en = if typed.is_empty() { "(blank)".to_string() } else { typed.to_string() };
                        error(
                            &mut errors,
                            "ANSWER_NOT_ALLOWED",
                            format!("指标 {} 的答复 {found} 不被允许；应为以下之一：{}（或删除该行，未答复记0分）", ind.id, ind.allowed()),
                            format!(
                                "indicator {}: the answer {found_en} is not allowed; expected one of: {} (or delete the row: unanswered scores 0)",
                                ind.id,
                                ind.allowed()
                            ),
                            row.at("answer"),
                        );
                        continue;
                    }
                }
            }
            Scoring::Linear { .. } => match row.decimal("value").and_then(|v| ind.linear_points(v)) {
                Some(p) => (p, row.at("value"), fmt_dec(r4(p))),
                None => {
                    error(
                        &mut errors,
                        "ANSWER_VALUE_MISSING",
                        format!("指标 {} 为数值型，请在“数值”列填写数值（如百分比 0–100）", ind.id),
                        format!("indicator {} is numeric: give a number in the Value column (e.g. a percentage 0–100)", ind.id),
                        row.at("value"),
                    );
                    continue;
                }
            },
        };
        let sup = &mut suppliers[s];
        sup.points[k] = Some(points);
        sup.answer_cells.push(cell);
        out.decision(Decision {
            table: "climate_answers".into(),
            row: row.source().into(),
            subject,
            outcome: "scored".into(),
            amount: Some(amount),
            unit: Some("points".into()),
            reasons: vec![],
        });
    }

    // ---- violation records -------------------------------------------------------------
    let mut open_records = 0usize;
    for row in ctx.table("violations").rows() {
        let sid = row.text("supplier_id").unwrap_or("");
        let record = row.text("record_id").unwrap_or("").to_string();
        let Some(&s) = by_id.get(sid) else {
            error(
                &mut errors,
                "UNKNOWN_SUPPLIER",
                format!("违规记录 {record} 的供应商编号 {sid} 不在供应商表中"),
                format!("violation record {record}: supplier id {sid} is not in the Suppliers sheet"),
                row.at("supplier_id"),
            );
            continue;
        };
        // ISO dates compare correctly as text.
        let after = row.date("date").is_some_and(|d| d > period_end);
        let closed = row.boolean("closed") == Some(true);
        let outcome = if after {
            "after-period"
        } else if closed {
            "closed"
        } else {
            open_records += 1;
            suppliers[s].open_cells.push(row.at("closed"));
            suppliers[s].open_ids.push(record.clone());
            "open"
        };
        out.decision(Decision {
            table: "violations".into(),
            row: row.source().into(),
            subject: record,
            outcome: outcome.into(),
            amount: None,
            unit: None,
            reasons: if outcome == "open" { vec!["OPEN_VIOLATIONS".into()] } else { vec![] },
        });
    }
    if !errors.is_empty() {
        return Err(EvaluationError::InvalidInput(errors));
    }

    // ---- the method, said on every run ------------------------------------------------------
    method_findings(ctx, &model, out);

    // ---- the catalogue in the trace -----------------------------------------------------------
    for ind in &model.indicators {
        let (zh, en) = ind.name();
        let keys: Vec<&str> = ind.keys.iter().map(String::as_str).collect();
        out.step(
            Step {
                clause: "lvyue 指标规则 / indicator rule (rules/supply-chain-cati/indicators.toml or the user's rules)",
                zh: &format!(
                    "指标 {} {}（{}）：{}；满分 {}；{}",
                    ind.id,
                    zh,
                    AREAS[ind.area].1,
                    ind.scoring_text(),
                    ind.max.normalize(),
                    ind.method.label()
                ),
                en: &format!(
                    "Indicator {} {} ({}): {}; max {}; {}",
                    ind.id,
                    en,
                    AREAS[ind.area].2,
                    ind.scoring_text(),
                    ind.max.normalize(),
                    ind.method.label()
                ),
                parameters: &keys,
                inputs: vec![],
            },
            num(ind.max),
            Some("points"),
        );
    }

    // ---- per supplier: area scores, total, cap ----------------------------------------------
    let mut max_area = [Decimal::ZERO; 5];
    for ind in &model.indicators {
        max_area[ind.area] += ind.max;
    }
    // What depends only on the industry, worked out once per industry.
    struct Weighting {
        ew: [Decimal; 5],
        denom: Decimal,
        /// ew / denom, for the weighted points lost.
        share: [Decimal; 5],
        /// "16 × 1 × " per area, for the trace.
        terms: [String; 5],
        params: Vec<String>,
    }
    let mut weightings: HashMap<String, Weighting> = HashMap::new();
    for sup in suppliers.iter_mut() {
        let mut got = [Decimal::ZERO; 5];
        for (k, ind) in model.indicators.iter().enumerate() {
            match sup.points[k] {
                Some(p) => got[ind.area] += p,
                None => sup.unanswered += 1,
            }
        }
        for a in 0..5 {
            sup.area[a] = if max_area[a].is_zero() { Decimal::ZERO } else { HUNDRED * got[a] / max_area[a] };
        }
        let industry = sup.industry_key.clone();
        let w = weightings.entry(industry.clone()).or_insert_with(|| {
            let (factors, _) = model.factors(&industry);
            let ew: [Decimal; 5] = std::array::from_fn(|a| model.weights[a].value * factors[a].0);
            let denom: Decimal = ew.iter().copied().sum();
            let share = std::array::from_fn(|a| if denom.is_zero() { Decimal::ZERO } else { ew[a] / denom });
            let terms = std::array::from_fn(|a| format!("{} × {} × ", model.weights[a].value.normalize(), factors[a].0.normalize()));
            let mut params: Vec<String> = (0..5).map(weight_key).collect();
            params.extend((0..5).map(|a| {
                let own = model.industries.get(&industry).and_then(|f| f[a]).is_some();
                industry_key(if own { &industry } else { DEFAULT_INDUSTRY }, a)
            }));
            Weighting { ew, denom, share, terms, params }
        });
        if w.denom.is_zero() {
            return Err(EvaluationError::MissingParameter(format!(
                "{INDUSTRY_PREFIX}{industry}.* (weights × industry factors add up to 0: nothing left to score)"
            )));
        }
        let mut weighted = Decimal::ZERO;
        for a in 0..5 {
            weighted += w.ew[a] * sup.area[a];
            sup.lost[a] = w.share[a] * (HUNDRED - sup.area[a]);
        }
        let mut total = r2(weighted / w.denom);
        if let ViolationPolicy::Cap(cap) = model.policy
            && !sup.open_ids.is_empty()
            && total > cap
        {
            total = r2(cap);
            sup.capped = true;
        }
        sup.total = total;
        sup.total_text = fmt_dec(total);
        sup.citi_text = fmt_dec(total * model.citi_factor);
        sup.area_text = std::array::from_fn(|a| fmt_dec(r2(sup.area[a])));

        let mut param_refs: Vec<&str> = w.params.iter().map(String::as_str).collect();
        if sup.capped {
            param_refs.push(P_VIOLATION_CAP);
        }
        let terms = (0..5).map(|a| format!("{}{}", w.terms[a], sup.area_text[a])).collect::<Vec<_>>().join(" + ");
        let area_list = (0..5).map(|a| format!("{} {}", AREAS[a].0, sup.area_text[a])).collect::<Vec<_>>().join(", ");
        let cap_note = if sup.capped { "; capped / 封顶" } else { "" };
        let denom = w.denom.normalize();
        sup.step = out.step(
            Step {
                clause: "IPE CATI 五领域默认权重 × 行业系数 / IPE CATI five areas, default weights × industry factors",
                zh: &format!(
                    "{} 总分 = Σ(权重 × 行业系数 × 领域得分) / Σ(权重 × 行业系数) = ({terms}) / {denom}；领域得分 = 100 × 得分 / 满分：{area_list}；行业 {industry}{cap_note}",
                    sup.id
                ),
                en: &format!(
                    "{} total = Σ(weight × industry factor × area score) / Σ(weight × factor) = ({terms}) / {denom}; area score = 100 × points / max: {area_list}; industry {industry}{cap_note}",
                    sup.id
                ),
                parameters: &param_refs,
                inputs: sup.answer_cells.clone(),
            },
            Value::Number(sup.total_text.clone()),
            Some("points"),
        );
        let mut reasons = Vec::new();
        if !sup.open_ids.is_empty() {
            reasons.push("OPEN_VIOLATIONS".to_string());
        }
        if sup.capped {
            reasons.push("SCORE_CAPPED".to_string());
        }
        if sup.unanswered > 0 {
            reasons.push("UNANSWERED_INDICATORS".to_string());
        }
        if !sup.industry_known {
            reasons.push("INDUSTRY_DEFAULT_FACTORS".to_string());
        }
        out.decision(Decision {
            table: "suppliers".into(),
            row: sup.row.clone(),
            subject: sup.id.clone(),
            outcome: if sup.capped {
                "capped"
            } else if !sup.open_ids.is_empty() {
                "flagged"
            } else {
                "scored"
            }
            .into(),
            amount: Some(sup.total_text.clone()),
            unit: Some("points".into()),
            reasons,
        });
    }

    // ---- ranking ------------------------------------------------------------------------
    let mut order: Vec<usize> = (0..suppliers.len()).collect();
    order.sort_by(|&x, &y| {
        suppliers[y].total.cmp(&suppliers[x].total).then_with(|| natural_key(&suppliers[x].id).cmp(&natural_key(&suppliers[y].id)))
    });
    let mut rank = vec![0usize; suppliers.len()];
    for (pos, &i) in order.iter().enumerate() {
        rank[i] = if pos > 0 && suppliers[order[pos - 1]].total == suppliers[i].total { rank[order[pos - 1]] } else { pos + 1 };
    }

    // ---- metrics ------------------------------------------------------------------------
    let n = suppliers.len();
    let nd = Decimal::from(n as u64);
    // One step lists every supplier's step; the averages refer to it.
    let s_n = out.step(
        Step {
            clause: "lvyue",
            zh: "评分供应商数；各供应商得分见所列计算步骤",
            en: "Suppliers scored; each supplier's score is the step listed",
            parameters: &[],
            inputs: suppliers.iter().map(|s| Output::ref_step(s.step)).collect(),
        },
        count(n),
        Some("count"),
    );
    let refs = vec![Output::ref_step(s_n)];
    metric(out, "suppliers_scored", count(n), s_n);
    let average = r2(suppliers.iter().map(|s| s.total).sum::<Decimal>() / nd);
    let s_avg = out.step(
        Step {
            clause: "lvyue",
            zh: "平均得分 = 各供应商总分的平均值",
            en: "Average score = mean of the suppliers' totals",
            parameters: &[],
            inputs: refs.clone(),
        },
        num(average),
        Some("points"),
    );
    metric(out, "average_score", num(average), s_avg);
    let highest = suppliers[order[0]].total;
    let lowest = suppliers[order[n - 1]].total;
    let s_hi = out.step(
        Step {
            clause: "lvyue",
            zh: &format!("最高得分（{}）", suppliers[order[0]].id),
            en: &format!("Highest score ({})", suppliers[order[0]].id),
            parameters: &[],
            inputs: vec![Output::ref_step(suppliers[order[0]].step)],
        },
        num(highest),
        Some("points"),
    );
    metric(out, "highest_score", num(highest), s_hi);
    let last = &suppliers[order[n - 1]];
    let s_lo = out.step(
        Step {
            clause: "lvyue",
            zh: &format!("最低得分（{}）", last.id),
            en: &format!("Lowest score ({})", last.id),
            parameters: &[],
            inputs: vec![Output::ref_step(last.step)],
        },
        num(lowest),
        Some("points"),
    );
    metric(out, "lowest_score", num(lowest), s_lo);
    let citi = average * model.citi_factor;
    let s_citi = out.step(
        Step {
            clause: "IPE：CATI 总分按 20% 折算为 CITI 指标4.1 / IPE: the CATI total converts at 20 % into CITI indicator 4.1",
            zh: "CITI 指标4.1 折算分 = 平均得分 × 折算系数（IPE 将品牌的 CATI 总分折算；此处用于供应商平均分，为本工具的用法）",
            en: "CITI indicator 4.1 equivalent = average score × conversion factor (IPE converts a brand's CATI total; applying it to the supplier average is this tool's use)",
            parameters: &[P_CITI_FACTOR],
            inputs: vec![Output::ref_step(s_avg)],
        },
        num(citi),
        Some("points"),
    );
    out.metric_with_formula(
        "citi_indicator_4_1",
        num(citi),
        metric_label("citi_indicator_4_1").0,
        metric_label("citi_indicator_4_1").1,
        Some(s_citi),
        &format!("average_score * {P_CITI_FACTOR}"),
    );

    let mut area_avg = [Decimal::ZERO; 5];
    let mut lost_avg = [Decimal::ZERO; 5];
    for a in 0..5 {
        area_avg[a] = suppliers.iter().map(|s| s.area[a]).sum::<Decimal>() / nd;
        lost_avg[a] = suppliers.iter().map(|s| s.lost[a]).sum::<Decimal>() / nd;
        let key = format!("average_score_{}", AREAS[a].0);
        let s = out.step(
            Step {
                clause: "lvyue",
                zh: &format!("{}平均得分 = 各供应商该领域得分（100 × 得分 / 满分）的平均值", AREAS[a].1),
                en: &format!("Average {} score = mean of the suppliers' area scores (100 × points / max)", AREAS[a].2),
                parameters: &[],
                inputs: refs.clone(),
            },
            num(r2(area_avg[a])),
            Some("points"),
        );
        metric(out, &key, num(r2(area_avg[a])), s);
    }
    let weighted: Vec<usize> = (0..5).filter(|&a| !model.weights[a].value.is_zero()).collect();
    let weakest = weighted.iter().copied().min_by(|&x, &y| area_avg[x].cmp(&area_avg[y]).then(x.cmp(&y))).unwrap_or(0);
    let hotspot = weighted.iter().copied().max_by(|&x, &y| lost_avg[x].cmp(&lost_avg[y]).then(y.cmp(&x))).unwrap_or(0);
    let s_weak = out.step(
        Step {
            clause: "lvyue", zh: "平均得分最低的领域", en: "Area with the lowest average score", parameters: &[], inputs: vec![]
        },
        text(AREAS[weakest].0),
        None,
    );
    metric(out, "weakest_area", text(AREAS[weakest].0), s_weak);
    let s_hot = out.step(
        Step {
            clause: "lvyue",
            zh: "加权失分最多的领域：Σ 权重 × 系数 × (100 − 领域得分) / Σ 权重 × 系数，按供应商平均",
            en: "Area losing the most weighted points: weight × factor × (100 − area score) / Σ weight × factor, averaged over suppliers",
            parameters: &[],
            inputs: vec![],
        },
        text(AREAS[hotspot].0),
        None,
    );
    metric(out, "hotspot_area", text(AREAS[hotspot].0), s_hot);

    let flagged: Vec<&Supplier> = suppliers.iter().filter(|s| !s.open_ids.is_empty()).collect();
    let s_flag = out.step(
        Step {
            clause: "IPE 绿色选择：未通过审核或公开说明关闭的记录为未关闭 / IPE Green Choice: a record not closed by audit or disclosure is open",
            zh: "有未关闭违规记录的供应商数",
            en: "Suppliers with open violation records",
            parameters: &[P_VIOLATION_POLICY],
            inputs: flagged.iter().flat_map(|s| s.open_cells.iter().cloned()).collect(),
        },
        count(flagged.len()),
        Some("count"),
    );
    metric(out, "suppliers_with_open_violations", count(flagged.len()), s_flag);
    let s_rec = out.step(
        Step {
            clause: "lvyue",
            zh: "未关闭的违规记录数（日期不晚于评估期末）",
            en: "Open violation records (dated up to the end of the period)",
            parameters: &[],
            inputs: vec![Output::ref_step(s_flag)],
        },
        count(open_records),
        Some("count"),
    );
    metric(out, "open_violation_records", count(open_records), s_rec);
    let capped = suppliers.iter().filter(|s| s.capped).count();
    let cap_params: &[&str] =
        if matches!(model.policy, ViolationPolicy::Cap(_)) { &[P_VIOLATION_POLICY, P_VIOLATION_CAP] } else { &[P_VIOLATION_POLICY] };
    let s_cap = out.step(
        Step {
            clause: "lvyue",
            zh: "得分被封顶的供应商数",
            en: "Suppliers whose score was capped",
            parameters: cap_params,
            inputs: vec![Output::ref_step(s_flag)],
        },
        count(capped),
        Some("count"),
    );
    metric(out, "suppliers_capped", count(capped), s_cap);
    let unanswered: usize = suppliers.iter().map(|s| s.unanswered).sum();
    let s_un = out.step(
        Step {
            clause: "lvyue",
            zh: "未答复的指标数（供应商 × 指标），记0分",
            en: "Indicators not answered (supplier × indicator), scored 0",
            parameters: &[],
            inputs: vec![],
        },
        count(unanswered),
        Some("count"),
    );
    metric(out, "unanswered_indicators", count(unanswered), s_un);
    let s_ind = out.step(
        Step { clause: "lvyue", zh: "评分规则中的指标数", en: "Indicators in the scoring rules", parameters: &[], inputs: vec![] },
        count(model.indicators.len()),
        Some("count"),
    );
    metric(out, "indicators_scored", count(model.indicators.len()), s_ind);
    let not_ipe = model.indicators.iter().filter(|i| i.method != Method::IpePublished).count();
    let s_not = out.step(
        Step {
            clause: "lvyue",
            zh: "依据不是 IPE 公开方法的指标数（IPE 指标级评价指南不在本工具依据中）",
            en: "Indicators whose rule is not IPE's published method (IPE's indicator-level guidelines are not in this tool's sources)",
            parameters: &[],
            inputs: vec![],
        },
        count(not_ipe),
        Some("count"),
    );
    metric(out, "indicators_not_ipe", count(not_ipe), s_not);

    // ---- findings ------------------------------------------------------------------------
    for s in &flagged {
        out.finding(
            Severity::Warning,
            "OPEN_VIOLATIONS",
            t(
                &format!(
                    "{} {}：{} 条环境违规记录未通过绿色选择审核或公开说明关闭（{}）；{}",
                    s.id,
                    s.name,
                    s.open_ids.len(),
                    listing(&s.open_ids, 5),
                    if s.capped { "得分已封顶" } else { "仅标记，得分未调整（lvyue 默认）" }
                ),
                &format!(
                    "{} {}: {} environmental violation record(s) not closed by a Green Choice audit or public disclosure ({}); {}",
                    s.id,
                    s.name,
                    s.open_ids.len(),
                    listing(&s.open_ids, 5),
                    if s.capped { "score capped" } else { "flagged only, score not adjusted (lvyue default)" }
                ),
            ),
            s.open_cells.clone(),
        );
        if let ViolationPolicy::Cap(cap) = model.policy
            && s.capped
        {
            out.finding(
                Severity::Warning,
                "SCORE_CAPPED",
                t(
                    &format!("{} 得分按规则 {P_VIOLATION_CAP} 封顶为 {}", s.id, cap.normalize()),
                    &format!("{}: score capped at {} by {P_VIOLATION_CAP}", s.id, cap.normalize()),
                ),
                vec![s.id_cell.clone()],
            );
        }
    }
    let incomplete: Vec<String> = suppliers.iter().filter(|s| s.unanswered > 0).map(|s| format!("{} ({})", s.id, s.unanswered)).collect();
    if !incomplete.is_empty() {
        out.finding(
            Severity::Info,
            "UNANSWERED_INDICATORS",
            t(
                &format!("{} 家供应商有未答复的指标，按0分计（未披露不得分，lvyue 默认）：{}", incomplete.len(), listing(&incomplete, 20)),
                &format!(
                    "{} supplier(s) left indicators unanswered, scored 0 (no disclosure, no points: lvyue default): {}",
                    incomplete.len(),
                    listing(&incomplete, 20)
                ),
            ),
            vec![],
        );
    }
    for (id, cells) in &unknown_indicators {
        out.finding(
            Severity::Warning,
            "ANSWER_UNKNOWN_INDICATOR",
            t(
                &format!(
                    "指标 {id} 不在评分规则中，{} 条答复未计分。如为自定义指标，请在规则中定义 indicator.<领域>.{id}.*",
                    cells.len()
                ),
                &format!(
                    "indicator {id} is not in the scoring rules; {} answer(s) not scored. For your own indicator define indicator.<area>.{id}.* in the rules",
                    cells.len()
                ),
            ),
            cells.iter().take(20).cloned().collect(),
        );
    }
    let mut default_used: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for s in suppliers.iter().filter(|s| !s.industry_known && s.industry_shown != DEFAULT_INDUSTRY) {
        default_used.entry(s.industry_shown.clone()).or_default().push(s.id.clone());
    }
    for (industry, ids) in &default_used {
        out.finding(
            Severity::Info,
            "INDUSTRY_DEFAULT_FACTORS",
            t(
                &format!(
                    "行业 {industry} 在所用规则中没有行业权重系数（weights.industry.{industry}.<领域>），{} 家供应商采用 default 系数：{}",
                    ids.len(),
                    listing(ids, 10)
                ),
                &format!(
                    "industry {industry} has no weighting factors in the rules in use (weights.industry.{industry}.<area>); {} supplier(s) use the default factors: {}",
                    ids.len(),
                    listing(ids, 10)
                ),
            ),
            vec![],
        );
    }
    out.finding(
        Severity::Info,
        "HOTSPOT_AREA",
        t(
            &format!(
                "加权失分最多的领域：{}（平均失分 {} 分/100）；平均得分最低的领域：{}（{} 分）",
                AREAS[hotspot].1,
                r2(lost_avg[hotspot]),
                AREAS[weakest].1,
                r2(area_avg[weakest])
            ),
            &format!(
                "The area losing the most weighted points: {} (on average {} of 100 points lost); the lowest average area score: {} ({})",
                AREAS[hotspot].2,
                r2(lost_avg[hotspot]),
                AREAS[weakest].2,
                r2(area_avg[weakest])
            ),
        ),
        vec![],
    );
    let hotspot_n = ctx.option(OPT_HOTSPOT_SUPPLIERS).and_then(|v| v.trim().parse::<usize>().ok()).unwrap_or(3).min(n);
    if hotspot_n > 0 {
        let bottom: Vec<&Supplier> = order.iter().rev().take(hotspot_n).map(|&i| &suppliers[i]).collect();
        let zh: Vec<String> =
            bottom.iter().map(|s| format!("{} {}（{}，薄弱领域：{}）", s.id, s.name, s.total, AREAS[s.hotspot()].1)).collect();
        let en: Vec<String> =
            bottom.iter().map(|s| format!("{} {} ({}, hotspot: {})", s.id, s.name, s.total, AREAS[s.hotspot()].0)).collect();
        out.finding(
            Severity::Info,
            "HOTSPOT_SUPPLIERS",
            t(
                &format!("得分最低的 {} 家供应商：{}", bottom.len(), zh.join("；")),
                &format!("The {} lowest-scoring supplier(s): {}", bottom.len(), en.join("; ")),
            ),
            bottom.iter().map(|s| s.id_cell.clone()).collect(),
        );
    }

    // ---- tables --------------------------------------------------------------------------
    let charted = n <= MAX_CHARTED_SUPPLIERS;
    let status = |s: &Supplier| {
        if s.capped {
            "封顶 capped"
        } else if !s.open_ids.is_empty() {
            "标记 flagged"
        } else {
            ""
        }
    };
    let mut columns = vec![
        col("supplier_id", "供应商编号", "Supplier id", None),
        col("name", "供应商名称", "Supplier name", None),
        col("industry", "行业（系数）", "Industry (factors)", None),
    ];
    for (key, zh, en) in AREAS {
        columns.push(col(key, zh, en, Some("points")));
    }
    columns.extend([
        col("total", "总分", "Total", Some("points")),
        col("citi_4_1", "CITI 指标4.1 折算", "CITI 4.1 equivalent", Some("points")),
        col("rank", "排名", "Rank", None),
        col("hotspot_area", "薄弱领域", "Hotspot area", None),
        col("unanswered", "未答复指标", "Unanswered", None),
        col("open_violations", "未关闭违规记录", "Open violation records", None),
        col("status", "状态", "Status", None),
    ]);
    let rows = suppliers
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut r = vec![
                text(s.id.clone()),
                text(s.name.clone()),
                text(if s.industry_known { s.industry_key.clone() } else { format!("{} → default", s.industry_shown) }),
            ];
            r.extend(s.area_text.iter().map(|a| Value::Number(a.clone())));
            r.extend([
                Value::Number(s.total_text.clone()),
                Value::Number(s.citi_text.clone()),
                count(rank[i]),
                text(AREAS[s.hotspot()].0),
                count(s.unanswered),
                count(s.open_ids.len()),
                text(status(s)),
            ]);
            r
        })
        .collect();
    out.table(ResultTable {
        key: "supplier_scores".into(),
        name: t("供应商分领域得分", "Supplier scores by area"),
        columns,
        rows,
        charts: if charted {
            vec![ChartSpec {
                title: t("各供应商分领域得分（满分100）", "Area scores by supplier (of 100)"),
                kind: ChartKind::Column,
                category_column: "name".into(),
                value_columns: AREAS.iter().map(|a| a.0.to_string()).collect(),
            }]
        } else {
            vec![]
        },
    });

    out.table(ResultTable {
        key: "ranking".into(),
        name: t("排名", "Ranking"),
        columns: vec![
            col("rank", "排名", "Rank", None),
            col("supplier_id", "供应商编号", "Supplier id", None),
            col("name", "供应商名称", "Supplier name", None),
            col("total", "总分", "Total", Some("points")),
            col("citi_4_1", "CITI 指标4.1 折算", "CITI 4.1 equivalent", Some("points")),
            col("hotspot_area", "薄弱领域", "Hotspot area", None),
            col("open_violations", "未关闭违规记录", "Open violation records", None),
            col("status", "状态", "Status", None),
        ],
        rows: order
            .iter()
            .map(|&i| {
                let s = &suppliers[i];
                vec![
                    count(rank[i]),
                    text(s.id.clone()),
                    text(s.name.clone()),
                    Value::Number(s.total_text.clone()),
                    Value::Number(s.citi_text.clone()),
                    text(AREAS[s.hotspot()].0),
                    count(s.open_ids.len()),
                    text(status(s)),
                ]
            })
            .collect(),
        charts: if charted {
            vec![ChartSpec {
                title: t("供应商总分排名", "Suppliers ranked by total score"),
                kind: ChartKind::Bar,
                category_column: "name".into(),
                value_columns: vec!["total".into()],
            }]
        } else {
            vec![]
        },
    });

    let weight_sum: Decimal = model.weights.iter().map(|w| w.value).sum();
    out.table(ResultTable {
        key: "area_summary".into(),
        name: t("领域汇总", "Areas"),
        columns: vec![
            col("area", "领域", "Area", None),
            col("key", "键", "Key", None),
            col("weight", "默认权重", "Default weight", Some("points")),
            col("weight_share", "权重占比", "Weight share", Some("%")),
            col("weight_method", "权重依据", "Weight method", None),
            col("weight_confidence", "可信度", "Confidence", None),
            col("indicators", "指标数", "Indicators", None),
            col("indicator_method", "指标规则依据", "Indicator method", None),
            col("average", "平均得分", "Average score", Some("points")),
            col("lowest", "最低", "Lowest", Some("points")),
            col("highest", "最高", "Highest", Some("points")),
            col("points_lost", "平均加权失分", "Average weighted points lost", Some("points")),
        ],
        rows: (0..5)
            .map(|a| {
                let w = &model.weights[a];
                let inds: Vec<_> = model.indicators.iter().filter(|i| i.area == a).collect();
                let mut methods: Vec<Method> = inds.iter().map(|i| i.method).collect();
                methods.sort();
                methods.dedup();
                let lo = suppliers.iter().map(|s| s.area[a]).min().unwrap_or_default();
                let hi = suppliers.iter().map(|s| s.area[a]).max().unwrap_or_default();
                vec![
                    text(area_label(a)),
                    text(AREAS[a].0),
                    num(w.value),
                    num(r2(HUNDRED * w.value / weight_sum)),
                    text(w.method.label()),
                    text(lvyue_sdk::confidence_name(w.confidence)),
                    count(inds.len()),
                    text(methods.iter().map(|m| m.label()).collect::<Vec<_>>().join("; ")),
                    num(r2(area_avg[a])),
                    num(r2(lo)),
                    num(r2(hi)),
                    num(r2(lost_avg[a])),
                ]
            })
            .collect(),
        charts: vec![ChartSpec {
            title: t("各领域平均得分（满分100）", "Average score by area (of 100)"),
            kind: ChartKind::Column,
            category_column: "area".into(),
            value_columns: vec!["average".into()],
        }],
    });

    out.table(ResultTable {
        key: "indicator_summary".into(),
        name: t("指标汇总", "Indicators"),
        columns: vec![
            col("indicator_id", "指标编号", "Indicator id", None),
            col("area", "领域", "Area", None),
            col("name", "指标", "Indicator", None),
            col("scoring", "计分规则", "Scoring", None),
            col("max_points", "满分", "Max points", Some("points")),
            col("answered", "已答复", "Answered", None),
            col("average_points", "平均得分", "Average points", Some("points")),
            col("full_marks", "满分供应商", "Suppliers at full marks", None),
            col("method", "依据", "Method", None),
            col("reference", "出处", "Reference", None),
        ],
        rows: model
            .indicators
            .iter()
            .enumerate()
            .map(|(k, ind)| {
                let (zh, en) = ind.name();
                let answered = suppliers.iter().filter(|s| s.points[k].is_some()).count();
                let total: Decimal = suppliers.iter().filter_map(|s| s.points[k]).sum();
                let full = suppliers.iter().filter(|s| s.points[k] == Some(ind.max)).count();
                vec![
                    text(ind.id.clone()),
                    text(AREAS[ind.area].0),
                    text(format!("{zh} / {en}")),
                    text(ind.scoring_text()),
                    num(ind.max),
                    count(answered),
                    num(r2(total / nd)),
                    count(full),
                    text(ind.method.label()),
                    text(ind.reference.clone()),
                ]
            })
            .collect(),
        charts: vec![],
    });

    let mut industry_rows = Vec::new();
    for (industry, own) in &model.industries {
        let (f, _) = model.factors(industry);
        let users = suppliers.iter().filter(|s| &s.industry_key == industry).count();
        let mut methods: Vec<Method> = own.iter().flatten().map(|x| x.1).collect();
        methods.sort();
        methods.dedup();
        let mut r = vec![text(industry.clone())];
        r.extend(f.iter().map(|x| num(x.0)));
        r.push(count(users));
        r.push(text(methods.iter().map(|m| m.label()).collect::<Vec<_>>().join("; ")));
        industry_rows.push(r);
    }
    let mut columns = vec![col("industry", "行业", "Industry", None)];
    for (key, zh, en) in AREAS {
        columns.push(col(key, zh, en, None));
    }
    columns.push(col("suppliers", "供应商数", "Suppliers", None));
    columns.push(col("method", "依据", "Method", None));
    out.table(ResultTable {
        key: "industry_factors".into(),
        name: t("行业权重系数", "Industry weighting factors"),
        columns,
        rows: industry_rows.into(),
        charts: vec![],
    });
    Ok(())
}

/// Says, on every run, which parts follow IPE's published method and which
/// are this tool's own; and names each area weight or factor not verified.
fn method_findings(ctx: &Context, model: &Model, out: &mut Output) {
    let tally = |methods: &mut dyn Iterator<Item = Method>| {
        let mut c = [0usize; 4];
        for m in methods {
            c[m as usize] += 1;
        }
        c
    };
    let w = tally(&mut model.weights.iter().map(|w| w.method));
    let i = tally(&mut model.indicators.iter().map(|i| i.method));
    let f = tally(&mut model.industries.values().flat_map(|f| f.iter().flatten().map(|x| x.1)));
    let citi = Method::of(ctx.parameter(P_CITI_FACTOR).expect("read by the model"));
    let policy = Method::of(ctx.parameter(P_VIOLATION_POLICY).expect("read by the model"));
    out.finding(
        Severity::Warning,
        "METHOD_NOT_IPE",
        t(
            &format!(
                "本评分按 IPE CATI 的结构计算，但不是 IPE 官方 CATI 评分。领域权重：{} 个为 IPE 公开方法，{} 个据 IPE 推断（治理机制 16 = 100 − 15 − 14 − 12 − 43，未见原文），{} 个为 lvyue 默认或用户规则；CITI 指标4.1 折算系数：{}。IPE 的指标级评价指南与行业默认系数不在本工具依据中：{} 个指标中 {} 个为 lvyue 默认（非 IPE）、{} 个为用户规则、{} 个引用 IPE；行业系数 {} 个为 lvyue 默认、{} 个为用户规则、{} 个引用 IPE；违规记录处理：{}。各领域、各指标的依据见“领域汇总”“指标汇总”表的依据列。",
                w[0], w[1], w[2] + w[3], citi.names().0, model.indicators.len(), i[2], i[3], i[0] + i[1], f[2], f[3], f[0] + f[1], policy.names().0
            ),
            &format!(
                "These scores follow the structure of IPE's CATI but are not IPE CATI scores. Area weights: {} from IPE's published method, {} inferred from IPE (governance 16 = 100 − 15 − 14 − 12 − 43, not seen verbatim), {} lvyue defaults or user rules; CITI indicator 4.1 factor: {}. IPE's indicator-level guidelines and industry default factors are not in this tool's sources: of {} indicators, {} are lvyue defaults (not IPE), {} user rules and {} cite IPE; industry factors: {} lvyue defaults, {} user rules, {} cite IPE; violation policy: {}. The method column of the Areas and Indicators tables says which is which.",
                w[0], w[1], w[2] + w[3], citi.names().1, model.indicators.len(), i[2], i[3], i[0] + i[1], f[2], f[3], f[0] + f[1], policy.names().1
            ),
        ),
        vec![],
    );
    let mut keys: Vec<String> = model.weights.iter().map(|w| w.key.clone()).collect();
    keys.push(P_CITI_FACTOR.into());
    let sum: Decimal = model.weights.iter().map(|w| w.value).sum();
    for key in &keys {
        let Ok(p) = ctx.parameter(key) else { continue };
        if !matches!(p.confidence, Confidence::Verified) {
            out.finding(
                Severity::Warning,
                "PARAMETER_NOT_VERIFIED",
                t(
                    &format!("参数 {} 的取值可信度为 {}（{}），结果依赖该值", p.key, lvyue_sdk::confidence_name(p.confidence), p.reference),
                    &format!(
                        "Parameter {} has confidence {} ({}); the result depends on it",
                        p.key,
                        lvyue_sdk::confidence_name(p.confidence),
                        p.reference
                    ),
                ),
                vec![],
            );
        }
    }
    if sum != HUNDRED {
        out.finding(
            Severity::Info,
            "WEIGHTS_NOT_100",
            t(
                &format!("领域权重之和为 {}，不是100；总分按权重占比计算", sum.normalize()),
                &format!("The area weights add up to {}, not 100; totals use each weight's share", sum.normalize()),
            ),
            vec![],
        );
    }
}
