//! Green power (绿电) and green certificates (绿证): electricity counts as zero
//! only up to the MWh of retired certificates generated in the right period
//! (发改能源〔2023〕1044号: the certificate is the sole proof); the grid factor
//! applies to the rest.

use lvyue_sdk::{Decimal, Decision, EvaluationError, Output, ResultTable, Step, Value, fmt_dec, num, t};

use crate::dates;
use crate::emissions::Rows;
use crate::event::Event;
use crate::spec::{P_CERT_LEGACY_BEFORE, P_CERT_LEGACY_UNTIL, P_CERT_VALIDITY_YEARS, P_CERT_WINDOW, P_REQUIRES_CERTS};
use lvyue_sdk::eval::{Eval, column, filled};

pub struct Green {
    pub covered: Decimal,
    /// covered × grid factor, exact (zero when nothing is covered).
    pub deduction: Decimal,
    /// The step that computed the deduction.
    pub step: u32,
    pending: Vec<(&'static str, Value, u32, Option<&'static str>)>,
}

impl Green {
    /// Records the green-power metrics.
    pub fn emit(mut self, ev: &mut Eval) {
        // In the order of the declaration.
        self.pending.sort_by_key(|m| crate::spec::METRICS.iter().position(|d| d.0 == m.0));
        for (key, value, step, formula) in self.pending {
            match formula {
                Some(f) => ev.metric_f(key, value, step, f),
                None => ev.metric(key, value, step),
            }
        }
    }
}

/// Certificate validity (可再生能源绿色电力证书核发和交易规则, 2024): `years` from the
/// production month, that month included; electricity produced before
/// `legacy_before` stays valid at least to `legacy_until`.
struct Validity {
    years: i32,
    legacy: Option<(time::Date, time::Date)>,
}

impl Validity {
    /// The rules' validity for the year, if they give one; marks the parameters used.
    fn read(ev: &mut Eval) -> Result<Option<Validity>, EvaluationError> {
        let Some(p) = ev.param(P_CERT_VALIDITY_YEARS) else { return Ok(None) };
        let years = match &p.value {
            Value::Number(n) => n.parse::<i32>().ok().filter(|y| (1..100).contains(y)),
            _ => None,
        }
        .ok_or_else(|| EvaluationError::MissingParameter(format!("{P_CERT_VALIDITY_YEARS} (expected a whole number of years)")))?;
        ev.used.insert(P_CERT_VALIDITY_YEARS.into());
        let date = |ev: &mut Eval, key: &str| match ev.param(key).map(|p| &p.value) {
            Some(Value::Date(d)) => {
                ev.used.insert(key.to_string());
                dates::parse(d)
            }
            _ => None,
        };
        let legacy = match (date(ev, P_CERT_LEGACY_BEFORE), date(ev, P_CERT_LEGACY_UNTIL)) {
            (Some(b), Some(u)) => Some((b, u)),
            _ => None,
        };
        Ok(Some(Validity { years, legacy }))
    }

    /// Whether electricity produced on `produced` gets the extended validity.
    fn extended(&self, produced: time::Date) -> bool {
        self.legacy.is_some_and(|(before, _)| produced < before)
    }

    /// The last day a certificate for electricity produced on `produced` may be retired.
    fn last_day(&self, produced: time::Date) -> time::Date {
        // Months counted from year 0: the production month plus 12 × years − 1.
        let last_month = produced.year() * 12 + i32::from(u8::from(produced.month())) - 1 + self.years * 12 - 1;
        let next = last_month + 1;
        let first_of_next = time::Date::from_calendar_date(
            next.div_euclid(12),
            time::Month::try_from((next.rem_euclid(12) + 1) as u8).expect("a month"),
            1,
        )
        .expect("a date");
        let end = first_of_next.previous_day().expect("a date");
        match self.legacy {
            Some((before, until)) if produced < before => end.max(until),
            _ => end,
        }
    }
}

const CLAUSE: &str =
    "发改能源〔2023〕1044号（绿证为可再生能源电量环境属性的唯一证明）；清华大学《抵销机制设计》DC-11 / certificates as sole proof";

pub fn evaluate(ev: &mut Eval, event: &Event, rows: &Rows) -> Result<Green, EvaluationError> {
    let requires = ev.boolean(P_REQUIRES_CERTS)?;
    let window = ev.text(P_CERT_WINDOW)?;
    if !matches!(window, "event_year" | "event_period") {
        return Err(EvaluationError::MissingParameter(format!("{P_CERT_WINDOW} (expected event_year or event_period, found {window})")));
    }
    let year = i32::from(ev.year());
    // Metrics are recorded after the emissions' (see `Green::emit`).
    let mut pending: Vec<(&'static str, Value, u32, Option<&'static str>)> = Vec::new();

    // ---- green power claimed -------------------------------------------------------
    let mut claimed = Decimal::ZERO;
    let mut claimed_cells = Vec::new();
    let mut stated_avoided = Decimal::ZERO;
    let mut stated_mwh = Decimal::ZERO;
    let mut stated_cells = Vec::new();
    let mut all_stated = true;
    let contracts: Vec<_> = ev.ctx.table("green_power").rows().collect();
    for row in &contracts {
        let mwh = row.decimal("mwh").unwrap_or(Decimal::ZERO);
        if let (Some(f), Some(to)) = (row.date("delivered_from").and_then(dates::parse), row.date("delivered_to").and_then(dates::parse))
            && to < f
        {
            ev.finding(
                "DATE_ORDER",
                t(&format!("{}：交割截止日早于起始日", row.source()), &format!("{}: delivery ends before it starts", row.source())),
                vec![row.at("delivered_from"), row.at("delivered_to")],
            );
        }
        claimed += mwh;
        claimed_cells.push(row.at("mwh"));
        match row.decimal("claimed_avoided_t") {
            Some(a) => {
                stated_avoided += a;
                stated_mwh += mwh;
                stated_cells.push(row.at("claimed_avoided_t"));
                let contract = row.text("contract_id").unwrap_or("").to_string();
                if !mwh.is_zero() {
                    let implied = a.normalize() / mwh.normalize();
                    let (rule_zh, rule_en) = match &rows.grid {
                        Some(g) => (
                            format!("本评价采用 {} = {} tCO2/MWh，按此为 {} t", g.key, g.value, fmt_dec(mwh * g.value)),
                            format!("this evaluation uses {} = {} tCO2/MWh, which gives {} t", g.key, g.value, fmt_dec(mwh * g.value)),
                        ),
                        None => ("本年度无电网排放因子".to_string(), "no grid factor for the year".to_string()),
                    };
                    ev.finding(
                        "GREEN_POWER_CLAIM_FACTOR",
                        t(
                            &format!("绿电 {contract}：声明减排 {a} t ÷ {mwh} MWh，隐含排放因子 {} tCO2/MWh（来源未说明）；{rule_zh}", fmt_dec(lvyue_sdk::eval::round_dp(implied, 4))),
                            &format!("Green power {contract}: stated {a} t avoided ÷ {mwh} MWh implies {} tCO2/MWh (source not stated); {rule_en}", fmt_dec(lvyue_sdk::eval::round_dp(implied, 4))),
                        ),
                        vec![row.at("claimed_avoided_t"), row.at("mwh")],
                    );
                }
            }
            None => all_stated = false,
        }
    }
    ev.fail_if_errors()?;
    let s_claimed = ev.out.step(
        Step {
            clause: CLAUSE,
            zh: "主张为零排放的绿电电量",
            en: "Green electricity claimed as zero-emission",
            parameters: &[],
            inputs: claimed_cells,
        },
        num(claimed),
        Some("MWh"),
    );
    pending.push(("green_power_claimed_mwh", num(claimed), s_claimed, None));

    // ---- certificates -------------------------------------------------------------
    let certs: Vec<_> = ev.ctx.table("green_certificates").rows().collect();
    // Read only when a certificate gives its retirement date.
    let validity = if certs.iter().any(|r| r.date("retirement_date").is_some() && r.date("generated_from").is_some()) {
        Validity::read(ev)?
    } else {
        None
    };
    let mut matched = Decimal::ZERO;
    let mut matched_cells = Vec::new();
    let mut status: Vec<(usize, Vec<&'static str>)> = Vec::new();
    for (i, row) in certs.iter().enumerate() {
        let id = row.text("certificate_id").unwrap_or("").to_string();
        let mwh = row.decimal("mwh").unwrap_or(Decimal::ZERO);
        let from = row.date("generated_from").and_then(dates::parse);
        let to = row.date("generated_to").and_then(dates::parse);
        let mut reasons = Vec::new();
        if let (Some(f), Some(to)) = (from, to) {
            if to < f {
                ev.finding(
                    "DATE_ORDER",
                    t(&format!("绿证 {id}：生产截止日早于起始日"), &format!("Certificate {id}: generation ends before it starts")),
                    vec![row.at("generated_from"), row.at("generated_to")],
                );
                continue;
            }
            let fits = match window {
                "event_year" => f.year() == year && to.year() == year,
                _ => f <= event.boundary_end && to >= event.boundary_start,
            };
            if !fits {
                reasons.push("GREEN_CERT_PERIOD");
                let (zh, en) = match window {
                    "event_year" => (format!("须在活动年度 {year} 内"), format!("must lie within the event's year {year}")),
                    _ => (
                        format!("须与活动边界期间 {}—{} 重叠", dates::format(event.boundary_start), dates::format(event.boundary_end)),
                        format!(
                            "must overlap the event's boundary {} to {}",
                            dates::format(event.boundary_start),
                            dates::format(event.boundary_end)
                        ),
                    ),
                };
                ev.finding(
                    "GREEN_CERT_PERIOD",
                    t(
                        &format!("绿证 {id}：生产期间 {}—{} 不符，{zh}；不计入", dates::format(f), dates::format(to)),
                        &format!("Certificate {id}: generated {} to {}, which {en}; not counted", dates::format(f), dates::format(to)),
                    ),
                    vec![row.at("generated_from"), row.at("generated_to")],
                );
            }
        }
        if let (Some(v), Some(f), Some(on)) = (&validity, from, row.date("retirement_date").and_then(dates::parse)) {
            let last = v.last_day(f);
            if on > last {
                reasons.push("GREEN_CERT_EXPIRED");
                let month = format!("{:04}-{:02}", f.year(), u8::from(f.month()));
                let several = to.is_some_and(|to| (to.year(), to.month()) != (f.year(), f.month()));
                let (block_zh, block_en) = if several {
                    ("（多月区段按最早生产月计）", " (a block of several months counts from its first month)")
                } else {
                    ("", "")
                };
                let (rule_zh, rule_en) = match v.legacy {
                    Some((before, _)) if v.extended(f) => (
                        format!("{} 前生产的电量，有效期延至该日", dates::format(before)),
                        format!("electricity produced before {} is valid to that day", dates::format(before)),
                    ),
                    _ => (
                        format!("自电量生产自然月（含）起 {} 年", v.years),
                        format!("{} years from the production month, that month included", v.years),
                    ),
                };
                ev.finding(
                    "GREEN_CERT_EXPIRED",
                    t(
                        &format!("绿证 {id}：电量生产于 {month}{block_zh}，有效期至 {}（{rule_zh}），核销日期 {} 已过有效期：超过有效期的绿证不能支撑绿电主张，不计入", dates::format(last), dates::format(on)),
                        &format!("Certificate {id}: electricity produced in {month}{block_en}, valid until {} ({rule_en}); retired on {}, after its validity, so it cannot back a green-power claim and does not count", dates::format(last), dates::format(on)),
                    ),
                    vec![row.at("generated_from"), row.at("retirement_date")],
                );
            }
        }
        if row.boolean("retired") != Some(true) {
            reasons.push("GREEN_CERT_NOT_RETIRED");
            ev.finding(
                "GREEN_CERT_NOT_RETIRED",
                t(
                    &format!("绿证 {id}（{mwh} MWh）未为本活动核销，不计入"),
                    &format!("Certificate {id} ({mwh} MWh) is not retired for this event; not counted"),
                ),
                vec![row.at("retired")],
            );
        }
        if reasons.is_empty() {
            matched += mwh;
            matched_cells.push(row.at("mwh"));
        }
        status.push((i, reasons));
    }
    ev.fail_if_errors()?;
    let matched_params: Vec<&str> = [P_CERT_WINDOW, P_CERT_VALIDITY_YEARS, P_CERT_LEGACY_BEFORE, P_CERT_LEGACY_UNTIL]
        .into_iter()
        .filter(|k| ev.used.contains(*k))
        .collect();
    let s_matched = ev.out.step(
        Step {
            clause: CLAUSE,
            zh: "已核销、生产期间相符且在有效期内的绿证电量（1张绿证 = 1 MWh）",
            en: "Retired certificates generated in the right period, within their validity (1 certificate = 1 MWh)",
            parameters: &matched_params,
            inputs: matched_cells,
        },
        num(matched),
        Some("MWh"),
    );
    pending.push(("green_certificates_mwh", num(matched), s_matched, None));

    // ---- electricity at the grid factor -------------------------------------------
    pending.push(("electricity_mwh", num(rows.grid_mwh), rows.grid_mwh_step, None));
    let grid_value = rows.grid.as_ref().map(|g| g.value);
    match &rows.grid {
        Some(g) => pending.push(("grid_factor_t_per_mwh", num(g.value), g.step, None)),
        None => {
            let s = ev.out.step(
                Step {
                    clause: "电力二氧化碳排放因子公告 / MEE-NBS factors",
                    zh: "该年度无已发布的电网排放因子",
                    en: "No published grid factor for the year",
                    parameters: &[],
                    inputs: vec![],
                },
                Value::Empty,
                None,
            );
            pending.push(("grid_factor_t_per_mwh", Value::Empty, s, None));
        }
    }

    // ---- covered --------------------------------------------------------------------
    let (covered, formula) = if requires {
        (claimed.min(matched).min(rows.grid_mwh), "min(green_power_claimed_mwh, green_certificates_mwh, electricity_mwh)")
    } else {
        (claimed.min(rows.grid_mwh), "min(green_power_claimed_mwh, electricity_mwh)")
    };
    let s_cov = ev.out.step(
        Step {
            clause: CLAUSE,
            zh: "按零排放计入的绿电 = min(主张的绿电, 相符的已核销绿证, 按电网因子核算的用电量)",
            en: "Green power counted as zero = min(claimed, matching retired certificates, electricity at the grid factor)",
            parameters: &[P_REQUIRES_CERTS],
            inputs: vec![Output::ref_step(s_claimed), Output::ref_step(s_matched), Output::ref_step(rows.grid_mwh_step)],
        },
        num(covered),
        Some("MWh"),
    );
    pending.push(("green_power_covered_mwh", num(covered), s_cov, Some(formula)));
    let uncovered = claimed - covered;
    let s_unc = ev.out.step(
        Step {
            clause: CLAUSE,
            zh: "无绿证对应的绿电（按电网因子计入）",
            en: "Green power without certificates (at the grid factor)",
            parameters: &[],
            inputs: vec![Output::ref_step(s_claimed), Output::ref_step(s_cov)],
        },
        num(uncovered),
        Some("MWh"),
    );
    pending.push(("green_power_uncovered_mwh", num(uncovered), s_unc, Some("green_power_claimed_mwh - green_power_covered_mwh")));
    if claimed > rows.grid_mwh {
        ev.finding(
            "GREEN_POWER_EXCEEDS_USE",
            t(
                &format!("主张的绿电 {claimed} MWh 超过按电网因子核算的净购入电量 {} MWh；至多计入 {} MWh", rows.grid_mwh, rows.grid_mwh),
                &format!("Green power claimed ({claimed} MWh) exceeds the purchased electricity at the grid factor ({} MWh); at most {} MWh count", rows.grid_mwh, rows.grid_mwh),
            ),
            vec![],
        );
    }
    if requires && matched < claimed.min(rows.grid_mwh) {
        let short = claimed.min(rows.grid_mwh) - matched;
        let at = grid_value.map(|g| fmt_dec(short * g)).unwrap_or_else(|| "—".into());
        ev.finding(
            "GREEN_CERT_SHORTFALL",
            t(
                &format!("绿电 {} MWh 中 {short} MWh 无相符的已核销绿证，按电网排放因子计入（{at} t）", claimed.min(rows.grid_mwh)),
                &format!(
                    "{short} MWh of the {} MWh green power have no matching retired certificates and count at the grid factor ({at} t)",
                    claimed.min(rows.grid_mwh)
                ),
            ),
            vec![],
        );
    }
    if matched > covered && !claimed.is_zero() {
        ev.finding(
            "GREEN_CERT_SURPLUS",
            t(
                &format!("相符的已核销绿证 {matched} MWh 超过计入的绿电 {covered} MWh"),
                &format!("Matching retired certificates ({matched} MWh) exceed the green power counted ({covered} MWh)"),
            ),
            vec![],
        );
    }
    let rest = rows.grid_mwh - covered;
    if !covered.is_zero() && !rest.is_zero() {
        let residual = ev.param("grid.national_residual").and_then(|p| match &p.value {
            Value::Number(n) => Some(n.clone()),
            _ => None,
        });
        let (zh, en) = match residual {
            Some(r) => (
                format!("；全国剔除市场化非化石电量的因子为 {r} tCO2/MWh，仅供参考"),
                format!("; the national factor excluding market-traded non-fossil power is {r} tCO2/MWh, for reference"),
            ),
            None => (String::new(), String::new()),
        };
        ev.finding(
            "GREEN_POWER_RESIDUAL_MIX",
            t(
                &format!("其余 {rest} MWh 采用平均电网因子，该因子仍含已售出的绿电属性，可能重复计算（清华大学报告 DC-10）{zh}"),
                &format!("The remaining {rest} MWh use the average grid factor, which still contains sold green attributes, a possible double count (Tsinghua report DC-10){en}"),
            ),
            vec![],
        );
    }

    // Avoided at the grid factor: the reduction measure's effect.
    let (deduction, s_avoid) = match grid_value {
        Some(g) => {
            let d = (covered * g).normalize();
            let s = ev.out.step(
                Step {
                    clause: CLAUSE,
                    zh: "绿电减排量 = 按零排放计入的绿电 × 电网排放因子",
                    en: "Avoided = green power counted as zero × grid factor",
                    parameters: &[],
                    inputs: vec![Output::ref_step(s_cov), Output::ref_step(rows.grid.as_ref().map(|g| g.step).unwrap_or(0))],
                },
                num(d),
                Some("tCO2e"),
            );
            pending.push(("green_power_avoided_t", num(d), s, Some("green_power_covered_mwh * grid_factor_t_per_mwh")));
            (d, s)
        }
        None => {
            let s = ev.out.step(
                Step {
                    clause: CLAUSE,
                    zh: "无电网排放因子，未计算绿电减排量",
                    en: "No grid factor; avoided emissions not computed",
                    parameters: &[],
                    inputs: vec![Output::ref_step(s_cov)],
                },
                Value::Empty,
                None,
            );
            pending.push(("green_power_avoided_t", Value::Empty, s, None));
            (Decimal::ZERO, s)
        }
    };

    // Stated avoided emissions and the factor they imply (e.g. a press release).
    if stated_cells.is_empty() {
        let s = ev.out.step(
            Step { clause: CLAUSE, zh: "未声明绿电减排量", en: "No avoided emissions stated", parameters: &[], inputs: vec![] },
            Value::Empty,
            None,
        );
        pending.push(("green_power_claimed_avoided_t", Value::Empty, s, None));
        pending.push(("green_power_claimed_factor_t_per_mwh", Value::Empty, s, None));
    } else {
        let s = ev.out.step(
            Step {
                clause: "用户声明 / as stated",
                zh: "声明的绿电减排量",
                en: "Stated avoided emissions",
                parameters: &[],
                inputs: stated_cells,
            },
            num(stated_avoided),
            Some("tCO2e"),
        );
        pending.push(("green_power_claimed_avoided_t", num(stated_avoided), s, None));
        if stated_mwh.is_zero() {
            pending.push(("green_power_claimed_factor_t_per_mwh", Value::Empty, s, None));
        } else {
            let implied = stated_avoided.normalize() / stated_mwh.normalize();
            let s_f = ev.out.step(
                Step {
                    clause: "用户声明 / as stated",
                    zh: "隐含排放因子 = 声明减排量 / 对应绿电电量",
                    en: "Implied factor = stated avoided / its green MWh",
                    parameters: &[],
                    inputs: vec![Output::ref_step(s), Output::ref_step(s_claimed)],
                },
                num(implied),
                Some("tCO2/MWh"),
            );
            if all_stated {
                pending.push((
                    "green_power_claimed_factor_t_per_mwh",
                    num(implied),
                    s_f,
                    Some("green_power_claimed_avoided_t / green_power_claimed_mwh"),
                ));
            } else {
                pending.push(("green_power_claimed_factor_t_per_mwh", num(implied), s_f, None));
            }
        }
    }

    // ---- decisions and the certificate table ----------------------------------------
    let mut need = covered;
    let mut table_rows = Vec::new();
    for (i, reasons) in status {
        let row = &certs[i];
        let id = row.text("certificate_id").unwrap_or("").to_string();
        let mwh = row.decimal("mwh").unwrap_or(Decimal::ZERO);
        let used = if reasons.is_empty() { need.min(mwh) } else { Decimal::ZERO };
        need -= used;
        let outcome = match () {
            _ if !reasons.is_empty() => "not-counted",
            _ if used == mwh => "counted",
            _ if used.is_zero() => "surplus",
            _ => "partly-counted",
        };
        ev.out.decision(Decision {
            table: "green_certificates".into(),
            row: row.source().into(),
            subject: id.clone(),
            outcome: outcome.into(),
            amount: Some(fmt_dec(used)),
            unit: Some("MWh".into()),
            reasons: reasons.iter().map(|r| r.to_string()).collect(),
        });
        table_rows.push(vec![
            Value::Text(id),
            num(mwh),
            row.date("generated_from").map(|d| Value::Date(d.into())).unwrap_or(Value::Empty),
            row.date("generated_to").map(|d| Value::Date(d.into())).unwrap_or(Value::Empty),
            Value::Text(if row.boolean("retired") == Some(true) { "是 yes" } else { "否 no" }.into()),
            num(used),
            Value::Text(outcome.into()),
            Value::Text(reasons.join(", ")),
        ]);
    }
    for row in &contracts {
        table_rows.push(vec![
            Value::Text(format!("{} ({})", row.text("contract_id").unwrap_or(""), filled(row.text("supplier")).unwrap_or("—"))),
            num(row.decimal("mwh").unwrap_or(Decimal::ZERO)),
            row.date("delivered_from").map(|d| Value::Date(d.into())).unwrap_or(Value::Empty),
            row.date("delivered_to").map(|d| Value::Date(d.into())).unwrap_or(Value::Empty),
            Value::Empty,
            Value::Empty,
            Value::Text("contract".into()),
            Value::Text(filled(row.text("evidence")).unwrap_or("").into()),
        ]);
    }
    ev.out.table(ResultTable {
        key: "green_power".into(),
        name: t("绿电与绿证", "Green power and certificates"),
        columns: vec![
            column("id", "编号", "Id", None),
            column("mwh", "电量", "Electricity", Some("MWh")),
            column("from", "起始日", "From", None),
            column("to", "截止日", "To", None),
            column("retired", "已核销", "Retired", None),
            column("counted_mwh", "计入电量", "Counted", Some("MWh")),
            column("outcome", "结果", "Outcome", None),
            column("reasons", "原因或凭证", "Reasons or evidence", None),
        ],
        rows: table_rows.into(),
        charts: vec![],
    });
    Ok(Green { covered, deduction, step: s_avoid, pending })
}
