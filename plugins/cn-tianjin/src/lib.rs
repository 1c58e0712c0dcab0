//! `cn-tianjin`: annual compliance in the Tianjin pilot carbon market.
//!
//! Offsets up to 10 % of the current year's actual emissions (CCER, TFCER);
//! Beijing-Tianjin-Hebei projects preferred (a note, not a cap); no credit
//! from a Tianjin covered entity's boundary, nor one belonging to a
//! national-market key emitter; green power bought from the grid counted as
//! zero (2023 rule); the 2025 measures' cancellation of allowances freely
//! allocated to entities that moved to the national market.
//!
//! The evaluation is the pilots' shared one ([`lvyue_sdk::offsets::pilot`]);
//! every number comes from `rules/cn-tianjin/`. Options: `carbon_price_cny`,
//! `surrender_date`.

use lvyue_sdk::offsets::pilot::{self, PilotSpec};
#[allow(unused_imports)]
use lvyue_sdk::{t, Decimal, Evaluation, EvaluationError, PluginInfo, Request, Severity, ValueKind};

struct Pilot;

const SPEC: PilotSpec = PilotSpec {
    id: "cn-tianjin",
    name: ("天津碳排放权交易试点履约", "Tianjin pilot ETS compliance"),
    years: &[2021, 2022, 2023, 2024, 2025],
    findings: &[("TJ_TRANSFER_ALLOWANCES_CANCEL", Severity::Warning, "转入全国碳市场的单位：天津免费分配的配额须在期限前注销", "Entities moved to the national market: Tianjin allowances freely allocated must be cancelled by the deadline")],
    parameters: &[("transition.free_allowances_cancel_by", ValueKind::Date, false)],
    examples: &[],
};

impl lvyue_sdk::Plugin for Pilot {
    fn describe() -> PluginInfo {
        pilot::describe(&SPEC)
    }

    fn evaluate(req: Request) -> Result<Evaluation, EvaluationError> {
        pilot::evaluate(&SPEC, req, |p| {
            let moved = p.ctx.table("entity").rows().next().and_then(|r| r.decimal("national_market_year")).is_some();
            if !moved {
                return;
            }
            if let Some(lvyue_sdk::Value::Date(d)) = p.param("transition.free_allowances_cancel_by") {
                p.finding(
                    "TJ_TRANSFER_ALLOWANCES_CANCEL",
                    t(
                        &format!("本单位转入全国碳市场：天津市向其免费分配的配额须于 {d} 前注销（津政办规〔2025〕7号）"),
                        &format!("The entity moved to the national market: allowances Tianjin allocated to it for free must be cancelled by {d} (津政办规〔2025〕7号)"),
                    ),
                    vec!["entity!national_market_year".into()],
                );
            }
        })
    }
}

lvyue_sdk::export_plugin!(Pilot);
