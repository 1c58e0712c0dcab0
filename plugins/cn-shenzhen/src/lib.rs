//! `cn-shenzhen`: annual compliance in the Shenzhen carbon market.
//!
//! Offsets up to 10 % of the unit's annual emissions (CCER, Shenzhen 碳普惠);
//! where a CCER project may be by project type × region (wind, solar and
//! waste-to-energy: listed Guangdong cities and provinces; rural biogas,
//! biomass power, clean transport and marine sinks: Shenzhen; forestry and
//! agriculture: anywhere; plus regions with a cooperation agreement); no
//! credit from inside a Shenzhen unit's verification boundary.
//!
//! The evaluation is the pilots' shared one ([`lvyue_sdk::offsets::pilot`]);
//! every number comes from `rules/cn-shenzhen/`. Options: `carbon_price_cny`,
//! `surrender_date`.

use lvyue_sdk::offsets::pilot::{self, PilotSpec};
#[allow(unused_imports)]
use lvyue_sdk::{Decimal, Evaluation, EvaluationError, PluginInfo, Request, Severity, ValueKind, t};

struct Pilot;

const SPEC: PilotSpec = PilotSpec {
    id: "cn-shenzhen",
    name: ("深圳碳排放权交易履约", "Shenzhen ETS compliance"),
    years: &[2021, 2022, 2023, 2024, 2025],
    findings: &[],
    parameters: &[],
    examples: &[("entity", "sector", &["industry"])],
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
