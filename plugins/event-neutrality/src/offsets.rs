//! Offsets retired for the event: which are eligible (instrument, recognition,
//! origin, retirement evidence, deadline, double counting), the recommended
//! priority order, the deadlines, and the balance against the emissions.

use lvyue_sdk::{ChartKind, ChartSpec, Decimal, Decision, EvaluationError, Output, ResultTable, Step, Value, fmt_dec, num, t};

use crate::dates;
use crate::emissions::Totals;
use crate::event::Event;
use crate::spec::R_SHORTFALL;
use crate::spec::{F_INSTRUMENT, P_CHINA_ONLY, P_CREDIT_DEADLINE, P_FORESTRY_DEADLINE, P_FORESTRY_ROUTE, P_INCLUSION_LEVEL};
use lvyue_sdk::eval::{Eval, column, filled};

/// Credits of "CDM or other mechanisms", eligible only from Chinese projects.
const OTHER_MECHANISMS: &[&str] = &["CDM_CER", "VCS", "GS", "OTHER"];
const FORESTRY_SINK: &str = "FORESTRY_SINK";
/// Credits issued for reductions (not allowances or sinks): DC-08 compares them with green certificates.
const CREDIT_INSTRUMENTS: &[&str] = &["CCER", "CARBON_INCLUSION", "CDM_CER", "VCS", "GS", "OTHER"];

const CLAUSE_TYPES: &str = "大型活动碳中和实施指南（试行） 第三条及抵消方式推荐顺序 / Art. 3 and the recommended order";
const CLAUSE_RETIRE: &str =
    "大型活动碳中和实施指南（试行）：应在相应注册登记机构注销，可追溯并提供证明 / retired in the registry, traceable, with proof";
const CLAUSE_TIMING: &str = "大型活动碳中和实施指南（试行）：不得晚于大型活动结束后1年内（新建林业项目6年内） / within 1 year (new forestry: 6 years) after the event";

fn whole_years(ev: &mut Eval, key: &str) -> Result<i32, EvaluationError> {
    let v = ev.num(key)?;
    match fmt_dec(v).parse::<i32>() {
        Ok(n) if (1..100).contains(&n) => Ok(n),
        _ => Err(EvaluationError::MissingParameter(format!("{key} (expected a whole number of years, found {v})"))),
    }
}

/// The instrument types in the order the table reports them.
const INSTRUMENTS: &[&str] = lvyue_sdk::schemas::OFFSET_INSTRUMENTS;

pub fn evaluate(ev: &mut Eval, event: &Event, totals: &Totals) -> Result<(), EvaluationError> {
    let credit_years = whole_years(ev, P_CREDIT_DEADLINE)?;
    let forestry_years = whole_years(ev, P_FORESTRY_DEADLINE)?;
    let forestry_route = ev.boolean(P_FORESTRY_ROUTE)?;
    let min_level = ev.text(P_INCLUSION_LEVEL)?;
    let accepted_levels: &[&str] = match min_level {
        "province" => &["national", "province"],
        "national" => &["national"],
        "city" => &["national", "province", "city"],
        other => {
            return Err(EvaluationError::MissingParameter(format!(
                "{P_INCLUSION_LEVEL} (expected national, province or city, found {other})"
            )));
        }
    };
    let china_only = ev.boolean(P_CHINA_ONLY)?;

    // ---- deadlines ----------------------------------------------------------------------
    let deadline = dates::add_years(event.end, credit_years);
    let deadline_forestry = dates::add_years(event.end, forestry_years);
    let s_dl = ev.out.step(
        Step {
            clause: CLAUSE_TIMING,
            zh: &format!("碳中和完成期限 = 活动结束日期后 {credit_years} 年（同一日历日，含当日）"),
            en: &format!("Deadline = {credit_years} year(s) after the event's last day (same calendar day, inclusive)"),
            parameters: &[P_CREDIT_DEADLINE],
            inputs: vec![event.end_cell.clone()],
        },
        Value::Date(dates::format(deadline)),
        None,
    );
    ev.metric("deadline", Value::Date(dates::format(deadline)), s_dl);
    let s_dlf = ev.out.step(
        Step {
            clause: CLAUSE_TIMING,
            zh: &format!("新建林业项目碳汇完成期限 = 活动结束日期后 {forestry_years} 年"),
            en: &format!("New forestry deadline = {forestry_years} years after the event's last day"),
            parameters: &[P_FORESTRY_DEADLINE],
            inputs: vec![event.end_cell.clone()],
        },
        Value::Date(dates::format(deadline_forestry)),
        None,
    );
    ev.metric("deadline_forestry", Value::Date(dates::format(deadline_forestry)), s_dlf);

    // ---- each offset row ----------------------------------------------------------------
    let (mut listed, mut retired, mut eligible, mut late, mut forestry) =
        (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    let (mut listed_cells, mut retired_cells, mut eligible_cells, mut late_cells, mut forestry_cells) =
        (vec![], vec![], vec![], vec![], vec![]);
    let mut by_instrument: Vec<(Decimal, Decimal)> = vec![(Decimal::ZERO, Decimal::ZERO); INSTRUMENTS.len()];
    let mut table_rows = Vec::new();
    let mut rank_keys: Vec<String> = Vec::new();
    let rows: Vec<_> = ev.ctx.table("offsets").rows().collect();
    // Green certificates of the input, for DC-08.
    let certs: Vec<_> = ev.ctx.table("green_certificates").rows().collect();
    for row in rows {
        let instrument = row.text("instrument").unwrap_or("").to_string();
        let qty = row.decimal("quantity_t").unwrap_or(Decimal::ZERO);
        let serial = filled(row.text("serial")).map(str::to_string);
        let subject = serial.clone().unwrap_or_else(|| format!("{} {}", instrument, row.source()));
        let rank_key = format!("{F_INSTRUMENT}{instrument}");
        let rank = ev.num_opt(&rank_key)?;
        if rank.is_some() && !rank_keys.contains(&rank_key) {
            rank_keys.push(rank_key);
        }
        let new_forestry = row.boolean("new_forestry") == Some(true);
        let row_deadline = if new_forestry { deadline_forestry } else { deadline };
        let retirement = row.date("retirement_date").and_then(dates::parse);
        let mut reasons: Vec<(&'static str, String, String, Vec<String>)> = Vec::new();
        let mut reason = |code: &'static str, zh: String, en: String, cells: Vec<String>| reasons.push((code, zh, en, cells));

        // Instrument type.
        if instrument == FORESTRY_SINK {
            if !forestry_route {
                reason(
                    "OFFSET_INELIGIBLE_TYPE",
                    "规则未允许林业碳汇方式".into(),
                    "the rules do not allow the forestry route".into(),
                    vec![row.at("instrument")],
                );
            } else if !new_forestry {
                reason(
                    "FORESTRY_NOT_NEW",
                    "林业碳汇未标明来自新建林业项目（指南第三条）".into(),
                    "the sink is not marked as from a newly created project (Art. 3)".into(),
                    vec![row.at("new_forestry")],
                );
            }
        } else if rank.is_none() {
            reason(
                "OFFSET_INELIGIBLE_TYPE",
                format!("{instrument} 不在指南认可的配额、碳信用或新建林业碳汇之列"),
                format!("{instrument} is not among the allowances, credits or new forestry sinks the guideline accepts"),
                vec![row.at("instrument")],
            );
        }
        if instrument == "CARBON_INCLUSION" {
            match filled(row.text("recognition_level")) {
                Some(l) if accepted_levels.contains(&l) => {}
                Some(l) => reason(
                    "OFFSET_INCLUSION_LEVEL",
                    format!("认可层级为 {l}，须为省级及以上"),
                    format!("recognised at {l} level; provincial or higher is required"),
                    vec![row.at("recognition_level")],
                ),
                None => reason(
                    "OFFSET_INCLUSION_LEVEL",
                    "未填写认可层级".into(),
                    "the recognising authority's level is not stated".into(),
                    vec![row.at("recognition_level")],
                ),
            }
        }
        if china_only && OTHER_MECHANISMS.contains(&instrument.as_str()) && row.boolean("project_in_china") != Some(true) {
            let stated = row.boolean("project_in_china").is_some();
            reason(
                "OFFSET_FOREIGN_PROJECT",
                if stated { "项目不在中国境内".into() } else { "未说明项目是否在中国境内".into() },
                if stated { "the project is outside China".into() } else { "whether the project is in China is not stated".into() },
                vec![row.at("project_in_china")],
            );
        }
        // Retirement and its evidence.
        let is_retired = row.boolean("retired") == Some(true);
        if !is_retired {
            reason(
                "OFFSET_NOT_RETIRED",
                format!("尚未注销；须在 {} 前注销", dates::format(row_deadline)),
                format!("not retired yet; retire it by {}", dates::format(row_deadline)),
                vec![row.at("retired")],
            );
        } else {
            let mut missing = Vec::new();
            let mut cells = Vec::new();
            for (key, zh, en) in [("registry", "注册登记机构", "registry"), ("serial", "序列号", "serial")] {
                if filled(row.text(key)).is_none() {
                    missing.push((zh, en));
                    cells.push(row.at(key));
                }
            }
            if retirement.is_none() {
                missing.push(("注销日期", "retirement date"));
                cells.push(row.at("retirement_date"));
            }
            if !missing.is_empty() {
                reason(
                    "OFFSET_EVIDENCE_MISSING",
                    format!("缺少{}", missing.iter().map(|m| m.0).collect::<Vec<_>>().join("、")),
                    format!("no {}", missing.iter().map(|m| m.1).collect::<Vec<_>>().join(", ")),
                    cells,
                );
            }
            if let Some(r) = retirement.filter(|r| *r > row_deadline) {
                reason(
                    "OFFSET_LATE",
                    format!("注销日期 {} 晚于期限 {}", dates::format(r), dates::format(row_deadline)),
                    format!("retired {} after the deadline {}", dates::format(r), dates::format(row_deadline)),
                    vec![row.at("retirement_date")],
                );
            }
        }
        // DC-08: a credit and a green certificate for the same project and period
        // (the credit's vintage year within the certificate's generation period).
        let vintage = row.decimal("vintage").and_then(|v| fmt_dec(v).parse::<i32>().ok());
        if let (true, Some(v)) = (CREDIT_INSTRUMENTS.contains(&instrument.as_str()), vintage) {
            for cert in &certs {
                let (Some(f), Some(to)) =
                    (cert.date("generated_from").and_then(dates::parse), cert.date("generated_to").and_then(dates::parse))
                else {
                    continue;
                };
                if v < f.year() || v > to.year() {
                    continue;
                }
                let Some(column) = lvyue_sdk::offsets::same_project(
                    row.text("project_id"),
                    row.text("project_name"),
                    cert.text("project_id"),
                    cert.text("project_name"),
                ) else {
                    continue;
                };
                let cert_id = cert.text("certificate_id").unwrap_or("");
                let project = row.text(column).unwrap_or("").trim();
                let (col_zh, col_en) =
                    if column == "project_id" { ("项目编号", "project id") } else { ("项目名称", "project name") };
                reason(
                    "GREEN_CERT_CREDIT_OVERLAP",
                    format!(
                        "{col_zh}「{project}」与绿证 {cert_id}（{}，电量生产 {}—{}）相同，减排量年份 {v} 在该期间内：同一电量的环境权益既有绿证又有减排量（清华大学《抵销机制设计》DC-08）",
                        cert.source(),
                        dates::format(f),
                        dates::format(to)
                    ),
                    format!(
                        "its {col_en} \"{project}\" is that of certificate {cert_id} ({}, generated {} to {}) and its vintage {v} lies in that period: the same electricity's attribute has both a certificate and a credit (Tsinghua report DC-08)",
                        cert.source(),
                        dates::format(f),
                        dates::format(to)
                    ),
                    vec![row.at(column), row.at("vintage"), cert.at(column), cert.at("generated_from"), cert.at("generated_to")],
                );
                break;
            }
        }
        // Double counting (DC-19 for new forestry sinks; DC-03/DC-17 otherwise).
        if row.boolean("claimed_elsewhere") == Some(true) {
            if new_forestry || instrument == FORESTRY_SINK {
                reason(
                    "FORESTRY_DOUBLE_COUNTED",
                    "新建林业项目用于碳中和后不得再作为自愿减排或其他机制项目开发，也不得用于其他活动的碳中和".into(),
                    "a new forestry project used for neutrality may not be developed again under any mechanism nor used for another claim"
                        .into(),
                    vec![row.at("claimed_elsewhere")],
                );
            } else {
                reason(
                    "OFFSET_DOUBLE_CLAIMED",
                    "同一减排量不得重复登记或用于多个声明".into(),
                    "one reduction may not be registered twice or serve several claims".into(),
                    vec![row.at("claimed_elsewhere")],
                );
            }
        }

        let codes: Vec<&str> = reasons.iter().map(|r| r.0).collect();
        let counted = codes.is_empty();
        listed += qty;
        listed_cells.push(row.at("quantity_t"));
        if is_retired {
            retired += qty;
            retired_cells.push(row.at("quantity_t"));
        }
        if codes.contains(&"OFFSET_LATE") {
            late += qty;
            late_cells.push(row.at("quantity_t"));
        }
        if counted {
            eligible += qty;
            eligible_cells.push(row.at("quantity_t"));
            if new_forestry {
                forestry += qty;
                forestry_cells.push(row.at("quantity_t"));
            }
            if rank.is_some_and(|r| r >= Decimal::from(4)) {
                ev.finding(
                    "OFFSET_LOW_PRIORITY",
                    t(
                        &format!("{subject}：{instrument} 属推荐顺序第 {} 位（CDM或其他机制签发的中国项目减排量），可用但优先级最低", fmt_dec(rank.unwrap_or_default())),
                        &format!("{subject}: {instrument} is rank {} of the recommended order (CDM or other mechanisms' Chinese credits): usable, lowest priority", fmt_dec(rank.unwrap_or_default())),
                    ),
                    vec![row.at("instrument")],
                );
            }
        }
        for (code, zh, en, cells) in &reasons {
            let (dzh, den) = ev.description(code).unwrap_or_else(|| panic!("finding {code} declared"));
            ev.finding(
                code,
                t(&format!("{subject}（{qty} t）：{dzh}——{zh}"), &format!("{subject} ({qty} t): {den} — {en}")),
                cells.clone(),
            );
        }
        if let Some(i) = INSTRUMENTS.iter().position(|x| *x == instrument) {
            by_instrument[i].0 += qty;
            if counted {
                by_instrument[i].1 += qty;
            }
        }
        let outcome = if counted {
            "eligible"
        } else if codes.iter().any(|c| matches!(*c, "OFFSET_DOUBLE_CLAIMED" | "FORESTRY_DOUBLE_COUNTED" | "GREEN_CERT_CREDIT_OVERLAP")) {
            "double-counted"
        } else if codes.contains(&"OFFSET_NOT_RETIRED") {
            "not-retired"
        } else if codes == ["OFFSET_LATE"] {
            "late"
        } else {
            "ineligible"
        };
        ev.out.decision(Decision {
            table: "offsets".into(),
            row: row.source().into(),
            subject: subject.clone(),
            outcome: outcome.into(),
            amount: Some(fmt_dec(if counted { qty } else { Decimal::ZERO })),
            unit: Some("t".into()),
            reasons: codes.iter().map(|c| c.to_string()).collect(),
        });
        table_rows.push(vec![
            Value::Text(instrument.clone()),
            rank.map(num).unwrap_or(Value::Empty),
            Value::Text(filled(row.text("registry")).unwrap_or("").into()),
            Value::Text(serial.unwrap_or_default()),
            Value::Text(filled(row.text("project_name")).or(filled(row.text("project_id"))).unwrap_or("").into()),
            row.decimal("vintage").map(num).unwrap_or(Value::Empty),
            num(qty),
            retirement.map(|r| Value::Date(dates::format(r))).unwrap_or(Value::Empty),
            Value::Date(dates::format(row_deadline)),
            Value::Text(filled(row.text("proof")).unwrap_or("").into()),
            num(if counted { qty } else { Decimal::ZERO }),
            Value::Text(outcome.into()),
            Value::Text(codes.join(", ")),
        ]);
    }

    // ---- sums -----------------------------------------------------------------------------
    let sum_step = |ev: &mut Eval, clause: &str, zh: &str, en: &str, value: Decimal, inputs: Vec<String>| {
        ev.out.step(Step { clause, zh, en, parameters: &[], inputs }, num(value), Some("t"))
    };
    let s = sum_step(ev, CLAUSE_RETIRE, "列报的抵消量", "Offsets listed", listed, listed_cells);
    ev.metric("offsets_listed_t", num(listed), s);
    let s = sum_step(ev, CLAUSE_RETIRE, "已注销的抵消量", "Offsets retired", retired, retired_cells);
    ev.metric("offsets_retired_t", num(retired), s);
    let s_el = ev.out.step(
        Step {
            clause: CLAUSE_TYPES,
            zh: "合格抵消量 = 指南认可类型、注销证据齐全、按期注销且无重复计算的抵消量之和",
            en: "Eligible offsets = accepted instruments, retired with evidence, in time, not double counted",
            parameters: &[P_CREDIT_DEADLINE, P_FORESTRY_DEADLINE, P_FORESTRY_ROUTE, P_INCLUSION_LEVEL, P_CHINA_ONLY]
                .into_iter()
                .chain(rank_keys.iter().map(String::as_str))
                .collect::<Vec<_>>(),
            inputs: eligible_cells,
        },
        num(eligible),
        Some("t"),
    );
    ev.metric("offsets_eligible_t", num(eligible), s_el);
    let s = sum_step(ev, CLAUSE_TYPES, "已注销但不计入的抵消量", "Retired offsets not counted", retired - eligible, vec![]);
    ev.metric_f("offsets_ineligible_t", num(retired - eligible), s, "offsets_retired_t - offsets_eligible_t");
    let s = sum_step(ev, CLAUSE_TIMING, "逾期注销的抵消量", "Offsets retired after the deadline", late, late_cells);
    ev.metric("offsets_late_t", num(late), s);
    let s = sum_step(ev, CLAUSE_RETIRE, "未注销的抵消量", "Offsets not retired", listed - retired, vec![]);
    ev.metric_f("offsets_pending_t", num(listed - retired), s, "offsets_listed_t - offsets_retired_t");
    let s = sum_step(ev, CLAUSE_TIMING, "其中新建林业项目碳汇", "Of which new forestry sinks", forestry, forestry_cells);
    ev.metric("offsets_forestry_t", num(forestry), s);

    // ---- balance ----------------------------------------------------------------------------
    let total = totals.total.normalize();
    let eligible = eligible.normalize();
    let balance = eligible - total;
    let inputs = vec![Output::ref_step(s_el), Output::ref_step(totals.total_step)];
    let s_bal = ev.out.step(
        Step {
            clause: "大型活动碳中和实施指南（试行） 第三条 / Art. 3",
            zh: "差额 = 合格抵消量 − 排放总量",
            en: "Balance = eligible offsets − total emissions",
            parameters: &[],
            inputs: inputs.clone(),
        },
        num(balance),
        Some("t"),
    );
    ev.metric_f("balance_t", num(balance), s_bal, "offsets_eligible_t - emissions_total_t");
    let gap = (total - eligible).max(Decimal::ZERO).normalize();
    let s_gap_raw = ev.out.step(
        Step {
            clause: "大型活动碳中和实施指南（试行） 第三条 / Art. 3",
            zh: "缺口 = max(排放总量 − 合格抵消量, 0)",
            en: "Gap = max(total − eligible offsets, 0)",
            parameters: &[],
            inputs: inputs.clone(),
        },
        num(gap),
        Some("t"),
    );
    // Credits are retired in whole tonnes: the gap as the rules round it (up).
    let gap_rule = ev.rounding(R_SHORTFALL)?;
    let r_gap = gap_rule.record(&mut ev.out, ("抵消缺口", "Offset gap"), gap, Some("t"), vec![Output::ref_step(s_gap_raw)]);
    let (gap, s_gap) = (r_gap.value, r_gap.step);
    ev.metric_rounded("gap_t", &gap_rule, &r_gap, Some("max(emissions_total_t - offsets_eligible_t, 0)"));
    let surplus = (eligible - total).max(Decimal::ZERO).normalize();
    let s_sur = ev.out.step(
        Step {
            clause: "大型活动碳中和实施指南（试行） 第三条 / Art. 3",
            zh: "盈余 = max(合格抵消量 − 排放总量, 0)",
            en: "Surplus = max(eligible offsets − total, 0)",
            parameters: &[],
            inputs,
        },
        num(surplus),
        Some("t"),
    );
    ev.metric_f("surplus_t", num(surplus), s_sur, "max(offsets_eligible_t - emissions_total_t, 0)");
    let neutral = gap.is_zero();
    let s_n = ev.out.step(
        Step {
            clause: "大型活动碳中和实施指南（试行） 第三条、第六条 / Art. 3, Art. 6",
            zh: "实现碳中和：按期注销的合格抵消量不少于排放总量",
            en: "Carbon neutral: eligible offsets retired in time cover the total emissions",
            parameters: &[],
            inputs: vec![Output::ref_step(s_gap)],
        },
        Value::Boolean(neutral),
        None,
    );
    ev.metric("neutral", Value::Boolean(neutral), s_n);
    if neutral {
        ev.finding(
            "NEUTRAL",
            t(
                &format!("合格抵消量 {eligible} t 不少于排放总量 {total} t（盈余 {surplus} t）"),
                &format!("Eligible offsets of {eligible} t cover the total emissions of {total} t (surplus {surplus} t)"),
            ),
            vec![],
        );
    } else {
        ev.finding(
            "NOT_NEUTRAL",
            t(
                &format!("排放总量 {total} t，合格抵消量 {eligible} t，缺口 {gap} t：须在 {} 前补足并注销", dates::format(deadline)),
                &format!(
                    "Total emissions {total} t, eligible offsets {eligible} t: a gap of {gap} t to retire by {}",
                    dates::format(deadline)
                ),
            ),
            vec![],
        );
    }

    // ---- tables --------------------------------------------------------------------------------
    ev.out.table(ResultTable {
        key: "offsets".into(),
        name: t("抵消量及注销证据", "Offsets and their evidence"),
        columns: vec![
            column("instrument", "类型", "Instrument", None),
            column("rank", "推荐顺序", "Recommended rank", None),
            column("registry", "注册登记机构", "Registry", None),
            column("serial", "序列号", "Serial", None),
            column("project", "项目", "Project", None),
            column("vintage", "年份", "Vintage", None),
            column("quantity_t", "数量", "Quantity", Some("t")),
            column("retirement_date", "注销日期", "Retired on", None),
            column("deadline", "期限", "Deadline", None),
            column("proof", "注销证明", "Proof", None),
            column("counted_t", "计入量", "Counted", Some("t")),
            column("outcome", "结果", "Outcome", None),
            column("reasons", "原因", "Reasons", None),
        ],
        rows: table_rows.into(),
        charts: vec![],
    });
    let mut instrument_rows = Vec::new();
    for (i, code) in INSTRUMENTS.iter().enumerate() {
        let rank = if *code == FORESTRY_SINK {
            if forestry_route { Value::Text("第三条 Art. 3".into()) } else { Value::Empty }
        } else {
            ev.param(&format!("{F_INSTRUMENT}{code}"))
                .and_then(|p| match &p.value {
                    Value::Number(n) => Some(Value::Number(n.clone())),
                    _ => None,
                })
                .unwrap_or(Value::Text("不认可 not accepted".into()))
        };
        instrument_rows.push(vec![Value::Text(code.to_string()), rank, num(by_instrument[i].0), num(by_instrument[i].1)]);
    }
    ev.out.table(ResultTable {
        key: "offsets_by_instrument".into(),
        name: t("按类型的抵消量与推荐顺序", "Offsets by instrument and the recommended order"),
        columns: vec![
            column("instrument", "类型", "Instrument", None),
            column("rank", "推荐顺序", "Recommended rank", None),
            column("listed_t", "列报量", "Listed", Some("t")),
            column("eligible_t", "合格量", "Eligible", Some("t")),
        ],
        rows: instrument_rows.into(),
        charts: vec![ChartSpec {
            title: t("按类型的抵消量", "Offsets by instrument"),
            kind: ChartKind::Column,
            category_column: "instrument".into(),
            value_columns: vec!["listed_t".into(), "eligible_t".into()],
        }],
    });
    ev.out.table(ResultTable {
        key: "balance".into(),
        name: t("缺口与盈余", "Gap or surplus"),
        columns: vec![
            column("item", "项目", "Item", None),
            column("item_zh", "中文", "Chinese", None),
            column("item_en", "英文", "English", None),
            column("t", "数量", "Quantity", Some("tCO2e")),
            column("pct_of_larger", "占两者较大值", "Of the larger of the two", Some("%")),
        ],
        rows: [
            ("emissions_total_t", "排放总量", "Total emissions", total),
            ("offsets_eligible_t", "合格抵消量", "Eligible offsets", eligible),
            ("gap_t", "缺口", "Gap", gap),
            ("surplus_t", "盈余", "Surplus", surplus),
        ]
        .iter()
        .map(|(_, zh, en, v)| {
            // For a bar: the share of the larger of emissions and eligible offsets.
            let larger = total.max(eligible);
            let pct = if larger.is_zero() { Value::Empty } else { num(lvyue_sdk::eval::round_dp(*v * Decimal::ONE_HUNDRED / larger, 1)) };
            vec![Value::Text(format!("{zh} {en}")), Value::Text(zh.to_string()), Value::Text(en.to_string()), num(*v), pct]
        })
        .collect(),
        charts: vec![ChartSpec {
            title: t("排放量与合格抵消量", "Emissions and eligible offsets"),
            kind: ChartKind::Column,
            category_column: "item".into(),
            value_columns: vec!["t".into()],
        }],
    });
    Ok(())
}
