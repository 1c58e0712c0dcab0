//! `cn-chongqing`: annual compliance in the Chongqing pilot carbon market.
//!
//! Offsets up to 8 % of the verified (审定) emissions, CCER and Chongqing
//! certified reductions (CQCER, 碳惠通); no origin rule and — alone among the
//! markets — no boundary rule, so a credit from inside a covered entity's
//! boundary is accepted with a double-counting warning.
//!
//! The evaluation is the pilots' shared one ([`lvyue_sdk::offsets::pilot`]);
//! every number comes from `rules/cn-chongqing/`. Options: `carbon_price_cny`,
//! `surrender_date`.

use lvyue_sdk::offsets::pilot::{self, PilotSpec};
#[allow(unused_imports)]
use lvyue_sdk::{t, Decimal, Evaluation, EvaluationError, PluginInfo, Request, Severity, ValueKind};

struct Pilot;

const SPEC: PilotSpec = PilotSpec {
    id: "cn-chongqing",
    name: ("重庆碳排放权交易试点履约", "Chongqing pilot ETS compliance"),
    years: &[2021, 2022, 2023, 2024, 2025],
    findings: &[],
    parameters: &[],
    examples: &[("entity", "sector", &["chemicals"])],
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
