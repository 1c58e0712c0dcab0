//! `cn-shanghai`: annual compliance (清缴) in the Shanghai pilot carbon market.
//!
//! The evaluation is the pilots' shared one ([`lvyue_sdk::offsets::pilot`]);
//! every number comes from `rules/cn-shanghai/`: the offset cap (5 % of the
//! allowances allocated for the year), CCER and, from 2024-09-13, SHCERCIR1
//! (Shanghai carbon inclusion), no credit from inside a Shanghai covered
//! entity's boundary, the green-power rule (inter-provincial trades on the
//! Beijing Power Exchange green-power platform, executed and settled), the
//! coverage thresholds by sector and the deadlines that are sourced.
//!
//! Options: `carbon_price_cny`, `surrender_date`.

use lvyue_sdk::offsets::pilot::PilotSpec;
use lvyue_sdk::{Severity, t};

const SPEC: PilotSpec = PilotSpec {
    findings: &[(
        "SH_SHCERCIR1_USED",
        Severity::Info,
        "计划使用上海碳普惠减排量（SHCERCIR1）",
        "The plan uses Shanghai carbon-inclusion credits (SHCERCIR1)",
    )],
    parameters: &[],
    examples: &[
        ("entity", "entity", &["上海某化工有限公司 Shanghai Chemicals Co."]),
        ("entity", "sector", &["chemicals"]),
        ("entity", "allocation_t", &["300000"]),
    ],
};

lvyue_sdk::pilot_plugin!(SPEC, |p| {
    let used = p.credits_used(&["SHCERCIR1"]);
    if used > lvyue_sdk::Decimal::ZERO {
        p.finding(
            "SH_SHCERCIR1_USED",
            t(
                &format!("计划使用 SHCERCIR1 {used} 吨：2024年9月13日起可用于上海碳市场配额履约抵销；其是否单独设上限未取得来源，本插件计入总抵销上限"),
                &format!("The plan uses {used} t of SHCERCIR1: usable for Shanghai compliance offsets from 2024-09-13; whether it has its own cap is not sourced, so it counts against the overall cap"),
            ),
            vec![],
        );
    }
});
