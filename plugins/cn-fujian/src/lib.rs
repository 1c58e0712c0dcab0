//! `cn-fujian`: annual compliance in the Fujian pilot carbon market.
//!
//! Offsets up to 10 % of the confirmed emissions of the year (CCER, Fujian
//! forestry FFCER), from projects in Fujian, not from key emitters; a sub-cap
//! on non-forestry credits from an unverified source is applied and flagged.
//!
//! The evaluation is the pilots' shared one ([`lvyue_sdk::offsets::pilot`]);
//! every number comes from `rules/cn-fujian/`. Options: `carbon_price_cny`,
//! `surrender_date`.

use lvyue_sdk::offsets::pilot::PilotSpec;

const SPEC: PilotSpec = PilotSpec { findings: &[], parameters: &[], examples: &[("entity", "sector", &["ceramics"])] };

lvyue_sdk::pilot_plugin!(SPEC);
