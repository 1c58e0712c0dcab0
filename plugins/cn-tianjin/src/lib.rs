//! `cn-tianjin`: annual compliance in the Tianjin pilot carbon market.
//!
//! Offsets up to 10 % of the current year's actual emissions (CCER, TFCER);
//! Beijing-Tianjin-Hebei projects preferred (a note, not a cap); no credit
//! from a Tianjin covered entity's boundary, nor one belonging to a
//! national-market key emitter; green power bought from the grid counted as
//! zero (2023 rule); the 2025 allocation plan's cancellation of allowances
//! freely allocated to entities that moved to the national market (power,
//! steel and cement already moved: by 2027-10-31; later moves: within three
//! years of the move).
//!
//! The evaluation is the pilots' shared one ([`lvyue_sdk::offsets::pilot`]);
//! every number comes from `rules/cn-tianjin/`. Options: `carbon_price_cny`,
//! `surrender_date`.

use lvyue_sdk::offsets::list;
use lvyue_sdk::offsets::pilot::PilotSpec;
use lvyue_sdk::{Severity, Value, ValueKind, t};

const SPEC: PilotSpec = PilotSpec {
    findings: &[
        (
            "TJ_TRANSFER_ALLOWANCES_CANCEL",
            Severity::Warning,
            "已转入全国碳市场的发电、钢铁、水泥单位：天津免费分配的配额须在期限前注销",
            "Power, steel and cement entities already in the national market: Tianjin allowances freely allocated must be cancelled by the deadline",
        ),
        (
            "TJ_TRANSFER_CANCEL_WITHIN_YEARS",
            Severity::Warning,
            "后续转入全国碳市场的单位：天津免费分配的配额须自转入时间起在规定年限内注销",
            "Entities moved to the national market later: Tianjin allowances freely allocated must be cancelled within the set years of the move",
        ),
    ],
    parameters: &[
        ("transition.free_allowances_cancel_by", ValueKind::Date, false),
        ("transition.cancel_by_sectors", ValueKind::Text, false),
        ("transition.cancel_within_years", ValueKind::Number, false),
    ],
    examples: &[],
};

lvyue_sdk::pilot_plugin!(SPEC, |p| {
    let entity = p.ctx.table("entity").rows().next();
    if entity.as_ref().and_then(|r| r.decimal("national_market_year")).is_none() {
        return;
    }
    let sector = entity.as_ref().and_then(|r| r.text("sector")).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    let listed = p.text_opt("transition.cancel_by_sectors").map(list).unwrap_or_default();
    let by = match p.value_opt("transition.free_allowances_cancel_by") {
        Some(Value::Date(d)) => Some(d.clone()),
        _ => None,
    };
    let within = p.num_opt("transition.cancel_within_years").ok().flatten();
    let cells = vec!["entity!national_market_year".to_string(), "entity!sector".to_string()];
    // Power, steel and cement entities already moved: a date. Everyone else: years from the move.
    if let Some(s) = sector.as_ref().filter(|s| listed.contains(s)) {
        if let Some(d) = &by {
            let later = within.map(|y| format!("；若在该方案之后才转入，则自转入时间起 {y} 年内注销")).unwrap_or_default();
            let later_en = within.map(|y| format!("; if it moved after that plan, within {y} years of the move")).unwrap_or_default();
            p.finding(
                "TJ_TRANSFER_ALLOWANCES_CANCEL",
                t(
                    &format!("本单位（{s}）已转入全国碳市场：天津市向其免费分配的剩余配额须于 {d} 前注销（天津市年度配额分配方案）{later}"),
                    &format!("The entity ({s}) has moved to the national market: the remaining allowances Tianjin allocated to it for free must be cancelled by {d} (Tianjin's annual allocation plan){later_en}"),
                ),
                cells,
            );
        }
        return;
    }
    let Some(y) = within else { return };
    let sectors_zh = listed.join("、");
    let sectors_en = listed.join(", ");
    let (why_zh, why_en) = match &sector {
        Some(s) => (format!("{s} 不属于已转入的{sectors_zh}行业"), format!("{s} is not one of the sectors already moved: {sectors_en}")),
        None => ("未填写行业".to_string(), "no sector given".to_string()),
    };
    let (alt_zh, alt_en) = match (&sector, &by) {
        (None, Some(d)) => (
            format!("；若为已转入的{sectors_zh}单位，则须于 {d} 前注销"),
            format!("; a {sectors_en} entity already moved must cancel by {d}"),
        ),
        _ => (String::new(), String::new()),
    };
    p.finding(
        "TJ_TRANSFER_CANCEL_WITHIN_YEARS",
        t(
            &format!("本单位转入全国碳市场（{why_zh}）：天津市向其免费分配的剩余配额须自转入时间起 {y} 年内注销（天津市年度配额分配方案）{alt_zh}"),
            &format!("The entity moved to the national market ({why_en}): the remaining allowances Tianjin allocated to it for free must be cancelled within {y} years of the move (Tianjin's annual allocation plan){alt_en}"),
        ),
        cells,
    );
});
