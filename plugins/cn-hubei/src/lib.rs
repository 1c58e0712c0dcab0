//! `cn-hubei`: annual compliance (缴还) in the Hubei pilot carbon market.
//!
//! Offsets up to 10 % of the initial annual allocation; CCER (and, under the
//! 2024 measures, Hubei-issued reductions) from projects in Hubei, outside
//! covered enterprises' boundaries.
//!
//! The evaluation is the pilots' shared one ([`lvyue_sdk::offsets::pilot`]);
//! every number comes from `rules/cn-hubei/`. Options: `carbon_price_cny`,
//! `surrender_date`.

use lvyue_sdk::offsets::pilot::PilotSpec;

const SPEC: PilotSpec = PilotSpec { findings: &[], parameters: &[], examples: &[("entity", "initial_allocation_t", &["1000000"])] };

lvyue_sdk::pilot_plugin!(SPEC);
