//! `cn-chongqing`: annual compliance in the Chongqing pilot carbon market.
//!
//! Offsets up to 8 % of the verified (审定) emissions, CCER and Chongqing
//! certified reductions (CQCER, 碳惠通); no origin rule and — alone among the
//! markets — no boundary rule, so a credit from inside a covered entity's
//! boundary is accepted with a double-counting warning.
//!
//! Coverage: industrial enterprises with 13,000 tCO2e or more a year from the
//! 2021 year (渝环〔2023〕55号). The entity's sector says whether it is
//! industrial; when it is not given, the plugin assumes an industrial
//! enterprise and says so (`CQ_INDUSTRIAL_ASSUMED`).
//!
//! The evaluation is the pilots' shared one ([`lvyue_sdk::offsets::pilot`]);
//! every number comes from `rules/cn-chongqing/`. Options: `carbon_price_cny`,
//! `surrender_date`.

use lvyue_sdk::offsets::list;
use lvyue_sdk::offsets::pilot::{self, PilotSpec};
use lvyue_sdk::{Severity, t};

const SPEC: PilotSpec = PilotSpec {
    findings: &[(
        "CQ_INDUSTRIAL_ASSUMED",
        Severity::Info,
        "重庆碳市场纳入标准适用于工业企业：未填写行业，按工业企业判断",
        "Chongqing's coverage standard applies to industrial enterprises: no sector given, the entity is assumed to be industrial",
    )],
    parameters: &[],
    examples: &[("entity", "sector", &["chemicals"])],
};

lvyue_sdk::pilot_plugin!(SPEC, |p| {
    // The standard names industrial enterprises (scope.sectors = industry);
    // without a sector the coverage check cannot tell, so the assumption is stated.
    let industry_only = p.text_opt(pilot::P_SECTORS).is_some_and(|s| list(s) == ["industry"]);
    let sector_given = p.ctx.table("entity").rows().next().and_then(|r| r.text("sector").map(str::trim)).is_some_and(|s| !s.is_empty());
    if industry_only && !sector_given {
        p.finding(
            "CQ_INDUSTRIAL_ASSUMED",
            t(
                "重庆碳市场的纳入标准只适用于工业企业（scope.sectors）：单位信息表未填写行业，本结果按工业企业判断纳入门槛；非工业企业请填写行业",
                "Chongqing's coverage standard applies to industrial enterprises only (scope.sectors): the entity sheet gives no sector, so this result assumes an industrial enterprise; give the sector if it is not industrial",
            ),
            vec!["entity!sector".into()],
        );
    }
});

#[cfg(test)]
mod tests {
    use lvyue_sdk::offsets::pilot::FINDINGS;

    /// Chongqing has no boundary rule, so a credit from inside one of its own
    /// covered entities gets OFFSET_CROSS_MARKET_BOUNDARY too: the message must be
    /// true for the market being evaluated as well as for another one.
    #[test]
    fn cross_market_boundary_message_holds_for_the_own_market() {
        let (_, _, zh, en) = FINDINGS.iter().find(|f| f.0 == "OFFSET_CROSS_MARKET_BOUNDARY").expect("declared");
        assert!(!en.contains("another market") && !zh.contains("其他市场"), "{zh} / {en}");
        assert!(en.contains("do not exclude") && zh.contains("未排除"), "{zh} / {en}");
    }
}
