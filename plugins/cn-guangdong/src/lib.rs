//! `cn-guangdong`: annual compliance in the Guangdong pilot carbon market
//! (Shenzhen has its own market, `cn-shenzhen`).
//!
//! Offsets up to 10 % of the compliance year's verified emissions (CCER,
//! PHCER; the rules' 「上年度实际碳排放量」 is counted from the June surrender,
//! so it is the compliance year itself);
//! at least 70 % of the credits used from Guangdong projects; no credit from a
//! covered entity's boundary; the covered sectors by year (cement and steel
//! left for the national market from 2024); 20 June deadline; penalty.
//!
//! The evaluation is the pilots' shared one ([`lvyue_sdk::offsets::pilot`]);
//! every number comes from `rules/cn-guangdong/`. Options: `carbon_price_cny`,
//! `surrender_date`.

use lvyue_sdk::offsets::pilot::PilotSpec;
use lvyue_sdk::{Decimal, Severity, t};

const SPEC: PilotSpec = PilotSpec {
    findings: &[(
        "GD_PHCER_ANNUAL_SCOPE",
        Severity::Info,
        "碳普惠核证减排量（PHCER）的当年度可用范围、总量和规则由省生态环境厅公布",
        "The PHCER usable each year (scope, total, rules) is published by the provincial Department of Ecology and Environment",
    )],
    parameters: &[],
    examples: &[("entity", "sector", &["paper"])],
};

lvyue_sdk::pilot_plugin!(SPEC, |p| {
    let used = p.credits_used(&["PHCER", "GDPHCER"]);
    if used > Decimal::ZERO {
        p.finding(
            "GD_PHCER_ANNUAL_SCOPE",
            t(
                &format!("计划使用碳普惠核证减排量 {used} 吨：省生态环境厅每年确定并公布可用于抵销的碳普惠核证减排量范围、总量和抵销规则（广东省碳普惠交易管理办法），请核对本年度公告"),
                &format!("The plan uses {used} t of PHCER: each year the provincial department sets the scope, total and rules of PHCER usable as offsets (广东省碳普惠交易管理办法); check this year's notice"),
            ),
            vec![],
        );
    }
});
