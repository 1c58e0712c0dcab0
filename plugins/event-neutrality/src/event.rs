//! The event's facts: one row of the event sheet, checked; the event metrics.

use lvyue_sdk::{Decimal, EvaluationError, Output, Step, Value, num, t};
use time::Date;

use crate::dates;
use crate::spec::P_MIN_EVALUATORS;
use lvyue_sdk::eval::{Eval, filled, num_or_empty, text_or_empty};

pub struct Event {
    pub end: Date,
    /// The accounting boundary in time: preparation (if included) to wrap-up (if included).
    pub boundary_start: Date,
    pub boundary_end: Date,
    pub province: Option<String>,
    pub grid_region: Option<String>,
    pub attendees: Option<Decimal>,
    /// Cells of the dates, for the trace.
    pub end_cell: String,
    /// Trace step that recorded the event's dates.
    pub step: u32,
}

const CLAUSE: &str = "大型活动碳中和实施指南（试行） 第二条 / Guideline Art. 2";

pub fn read(ev: &mut Eval) -> Result<Event, EvaluationError> {
    let table = ev.ctx.table("event");
    let rows: Vec<_> = table.rows().collect();
    if rows.len() != 1 {
        ev.finding(
            "EVENT_ROWS",
            t(
                &format!("活动信息表有 {} 行，应恰好填写一行", rows.len()),
                &format!("The event sheet has {} rows; fill exactly one", rows.len()),
            ),
            rows.iter().map(|r| r.source().to_string()).collect(),
        );
        return ev.fail_if_errors().map(|_| unreachable!());
    }
    let row = rows[0];
    // Required date cells are checked by the host; parse defensively all the same.
    let date = |key: &str| row.date(key).and_then(dates::parse);
    let (Some(start), Some(end)) = (date("start_date"), date("end_date")) else {
        ev.finding(
            "DATE_ORDER",
            t("活动开始、结束日期无效", "The start or end date is not a valid date"),
            vec![row.at("start_date"), row.at("end_date")],
        );
        return ev.fail_if_errors().map(|_| unreachable!());
    };
    if end < start {
        ev.finding(
            "DATE_ORDER",
            t(
                &format!("结束日期 {} 早于开始日期 {}", dates::format(end), dates::format(start)),
                &format!("The end date {} is before the start date {}", dates::format(end), dates::format(start)),
            ),
            vec![row.at("start_date"), row.at("end_date")],
        );
    }
    let prep = date("preparation_start");
    if let Some(p) = prep.filter(|p| *p > start) {
        ev.finding(
            "DATE_ORDER",
            t(
                &format!("筹备阶段起始日 {} 晚于开始日期", dates::format(p)),
                &format!("The preparation start {} is after the start date", dates::format(p)),
            ),
            vec![row.at("preparation_start")],
        );
    }
    let wrap = date("wrap_up_end");
    if let Some(w) = wrap.filter(|w| *w < end) {
        ev.finding(
            "DATE_ORDER",
            t(
                &format!("收尾阶段截止日 {} 早于结束日期", dates::format(w)),
                &format!("The wrap-up end {} is before the end date", dates::format(w)),
            ),
            vec![row.at("wrap_up_end")],
        );
    }
    let year = i32::from(ev.year());
    if start.year() != year && end.year() != year {
        ev.finding(
            "EVENT_YEAR",
            t(
                &format!("评价年度 {year} 不是活动开始（{}）或结束（{}）的年份；电网排放因子按年度取值", start.year(), end.year()),
                &format!(
                    "Year {year} is neither the start ({}) nor the end ({}) year of the event; grid factors are taken for the year",
                    start.year(),
                    end.year()
                ),
            ),
            vec![row.at("start_date"), row.at("end_date")],
        );
    }
    ev.fail_if_errors()?;

    let inputs = vec![row.at("name"), row.at("start_date"), row.at("end_date")];
    let days = dates::days_inclusive(start, end);
    let step = ev.out.step(
        Step {
            clause: CLAUSE,
            zh: "活动信息：名称、类型、场所、举办期间",
            en: "The event: name, type, venue, dates",
            parameters: &[],
            inputs,
        },
        Value::Text(format!("{} — {}", dates::format(start), dates::format(end))),
        None,
    );
    ev.metric("event_name", text_or_empty(row.text("name")), step);
    ev.metric("event_type", text_or_empty(row.text("event_type")), step);
    ev.metric("venue", text_or_empty(row.text("venue")), step);
    ev.metric("event_start", Value::Date(dates::format(start)), step);
    ev.metric("event_end", Value::Date(dates::format(end)), step);
    let s_days = ev.out.step(
        Step {
            clause: CLAUSE,
            zh: "举办天数 = 结束日期 − 开始日期 + 1",
            en: "Days = end − start + 1",
            parameters: &[],
            inputs: vec![Output::ref_step(step)],
        },
        num(Decimal::from(days)),
        Some("days"),
    );
    ev.metric("event_days", num(Decimal::from(days)), s_days);
    let attendees = row.decimal("attendees");
    let s_att = ev.out.step(
        Step {
            clause: CLAUSE,
            zh: "现场参与人数与场地面积（用户填写）",
            en: "On-site attendance and floor area (as stated)",
            parameters: &[],
            inputs: vec![row.at("attendees"), row.at("floor_area_m2")],
        },
        num_or_empty(attendees),
        Some("persons"),
    );
    ev.metric("attendees", num_or_empty(attendees), s_att);
    ev.metric("floor_area_m2", num_or_empty(row.decimal("floor_area_m2")), s_att);

    // Independent evaluation: a team of at least two (S15).
    if row.text("evaluation") == Some("independent") {
        let min = ev.num(P_MIN_EVALUATORS)?;
        ev.out.step(
            Step {
                clause: "大型活动碳中和实施指南（试行） 碳中和评价 准备阶段 / evaluation, preparation",
                zh: "第三方评价组人数（不少于规定人数）",
                en: "Independent evaluation team size (at least the minimum)",
                parameters: &[P_MIN_EVALUATORS],
                inputs: vec![row.at("evaluator_count")],
            },
            num_or_empty(row.decimal("evaluator_count")),
            Some("persons"),
        );
        match row.decimal("evaluator_count") {
            Some(n) if n < min => ev.finding(
                "EVALUATION_TEAM_SIZE",
                t(
                    &format!("第三方评价组 {n} 人，指南要求至少 {min} 人"),
                    &format!("The evaluation team has {n} members; the guideline asks for at least {min}"),
                ),
                vec![row.at("evaluator_count")],
            ),
            None => ev.finding(
                "EVALUATION_TEAM_SIZE",
                t(
                    &format!("未填写第三方评价组人数；指南要求至少 {min} 人"),
                    &format!("The evaluation team size is not stated; the guideline asks for at least {min}"),
                ),
                vec![row.at("evaluator_count")],
            ),
            Some(_) => {}
        }
    }

    let types: &[(&str, &str)] = &[
        ("conference", "会议"),
        ("forum", "论坛"),
        ("exhibition", "展览"),
        ("performance", "演出"),
        ("sports", "赛事"),
        ("other", "其他"),
    ];
    let type_text = row.text("event_type").map(|k| match types.iter().find(|(t, _)| *t == k) {
        Some((k, zh)) => format!("{zh} {k}"),
        None => k.to_string(),
    });
    let evaluation_text = row.text("evaluation").map(|e| match e {
        "independent" => "委托第三方机构评价 independent evaluation".to_string(),
        "self" => "自我评价 self-evaluation".to_string(),
        other => other.to_string(),
    });
    let text = |key: &str| text_or_empty(row.text(key));
    let date_value = |d: Option<Date>| d.map(|d| Value::Date(dates::format(d))).unwrap_or(Value::Empty);
    let facts: Vec<(&str, &str, &str, Value)> = vec![
        ("name", "活动名称", "Event name", text("name")),
        ("event_type", "活动类型", "Event type", text_or_empty(type_text.as_deref())),
        ("organiser", "主办方", "Organiser", text("organiser")),
        ("venue", "举办场所", "Venue", text("venue")),
        ("province", "所在省份", "Province", text("province")),
        ("grid_region", "所在区域电网", "Grid region", text("grid_region")),
        ("start_date", "开始日期", "Start date", Value::Date(dates::format(start))),
        ("end_date", "结束日期", "End date", Value::Date(dates::format(end))),
        ("days", "举办天数", "Days", num(Decimal::from(days))),
        (
            "boundary_start",
            "核算边界起始（含筹备阶段时为筹备起始日）",
            "Boundary from (preparation start, if included)",
            date_value(Some(prep.unwrap_or(start))),
        ),
        (
            "boundary_end",
            "核算边界截止（含收尾阶段时为收尾截止日）",
            "Boundary until (wrap-up end, if included)",
            date_value(Some(wrap.unwrap_or(end))),
        ),
        (
            "preparation_included",
            "包含筹备阶段",
            "Preparation phase included",
            Value::Text(if prep.is_some() { "是 yes" } else { "否 no" }.into()),
        ),
        ("wrap_up_included", "包含收尾阶段", "Wrap-up phase included", Value::Text(if wrap.is_some() { "是 yes" } else { "否 no" }.into())),
        ("attendees", "现场参与人数", "On-site attendees", num_or_empty(attendees)),
        ("floor_area_m2", "场地面积（m²）", "Floor area (m²)", num_or_empty(row.decimal("floor_area_m2"))),
        ("evaluation", "评价方式", "Evaluation", text_or_empty(evaluation_text.as_deref())),
        ("evaluator", "评价机构", "Evaluator", text("evaluator")),
        ("evaluator_count", "评价组人数", "Evaluation team", num_or_empty(row.decimal("evaluator_count"))),
    ];
    ev.out.table(lvyue_sdk::ResultTable {
        key: "event".into(),
        name: t("活动信息", "Event"),
        columns: vec![
            lvyue_sdk::eval::column("field", "字段", "Field", None),
            lvyue_sdk::eval::column("name_zh", "项目", "Item (zh)", None),
            lvyue_sdk::eval::column("name_en", "Item", "Item", None),
            lvyue_sdk::eval::column("value", "内容", "Value", None),
        ],
        rows: facts
            .into_iter()
            .map(|(k, zh, en, v)| vec![Value::Text(k.into()), Value::Text(zh.into()), Value::Text(en.into()), v])
            .collect(),
        charts: vec![],
    });

    Ok(Event {
        end,
        boundary_start: prep.unwrap_or(start),
        boundary_end: wrap.unwrap_or(end),
        province: filled(row.text("province")).map(str::to_string),
        grid_region: filled(row.text("grid_region")).map(str::to_string),
        attendees: attendees.filter(|a| !a.is_zero()),
        end_cell: row.at("end_date"),
        step,
    })
}
