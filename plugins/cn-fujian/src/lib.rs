//! `cn-fujian`: annual compliance in the Fujian pilot carbon market.
//!
//! Offsets up to 10 % of the confirmed emissions of the year (CCER, Fujian
//! forestry FFCER), from projects in Fujian, not from key emitters; a sub-cap
//! on non-forestry credits from an unverified source is applied and flagged.
//!
//! The evaluation is the pilots' shared one ([`lvyue_sdk::offsets::pilot`]);
//! every number comes from `rules/cn-fujian/`. Options: `carbon_price_cny`,
//! `surrender_date`.

use lvyue_sdk::offsets::pilot::{self, PilotSpec};
#[allow(unused_imports)]
use lvyue_sdk::{Decimal, Evaluation, EvaluationError, PluginInfo, Request, Severity, ValueKind, t};

struct Pilot;

const SPEC: PilotSpec = PilotSpec {
    id: "cn-fujian",
    name: ("福建碳排放权交易试点履约", "Fujian pilot ETS compliance"),
    years: &[2021, 2022, 2023, 2024, 2025],
    findings: &[],
    parameters: &[],
    examples: &[("entity", "sector", &["ceramics"])],
};

impl lvyue_sdk::Plugin for Pilot {
    fn describe() -> PluginInfo {
        pilot::describe(&SPEC)
    }

    fn evaluate(req: Request) -> Result<Evaluation, EvaluationError> {
        pilot::evaluate(&SPEC, req, |_p| {})
    }
}

lvyue_sdk::export_plugin!(Pilot);
