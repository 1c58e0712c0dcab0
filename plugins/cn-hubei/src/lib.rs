//! `cn-hubei`: annual compliance (缴还) in the Hubei pilot carbon market.
//!
//! Offsets up to 10 % of the initial annual allocation; CCER (and, under the
//! 2024 measures, Hubei-issued reductions) from projects in Hubei, outside
//! covered enterprises' boundaries.
//!
//! The evaluation is the pilots' shared one ([`lvyue_sdk::offsets::pilot`]);
//! every number comes from `rules/cn-hubei/`. Options: `carbon_price_cny`,
//! `surrender_date`.

use lvyue_sdk::offsets::pilot::{self, PilotSpec};
#[allow(unused_imports)]
use lvyue_sdk::{Decimal, Evaluation, EvaluationError, PluginInfo, Request, Severity, ValueKind, t};

struct Pilot;

const SPEC: PilotSpec = PilotSpec {
    id: "cn-hubei",
    name: ("湖北碳排放权交易试点履约", "Hubei pilot ETS compliance"),
    years: &[2021, 2022, 2023, 2024, 2025],
    findings: &[],
    parameters: &[],
    examples: &[("entity", "initial_allocation_t", &["1000000"])],
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
