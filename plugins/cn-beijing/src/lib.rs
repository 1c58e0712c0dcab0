//! `cn-beijing`: annual compliance (清缴) in the Beijing pilot carbon market.
//!
//! Offsets up to 5 % of the year's allowances (CCER, Beijing forestry BFCER,
//! Beijing energy-saving project reductions, and Beijing 碳普惠 from 2024);
//! non-Beijing CCER at most 2.5 % of the allowances issued; energy-saving and
//! forestry credits from Beijing only; Hebei and Tianjin preferred (a note);
//! no credit from a Beijing key emitter's boundary; market-bought green power
//! counted as zero (2023 rule).
//!
//! The evaluation is the pilots' shared one ([`lvyue_sdk::offsets::pilot`]);
//! every number comes from `rules/cn-beijing/`. Options: `carbon_price_cny`,
//! `surrender_date`.

use lvyue_sdk::offsets::pilot::PilotSpec;

const SPEC: PilotSpec =
    PilotSpec { findings: &[], parameters: &[], examples: &[("entity", "allocation_t", &["200000"]), ("entity", "sector", &["building"])] };

lvyue_sdk::pilot_plugin!(SPEC);
