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

use lvyue_sdk::offsets::pilot::PilotSpec;

const SPEC: PilotSpec = PilotSpec { findings: &[], parameters: &[], examples: &[("entity", "sector", &["industry"])] };

lvyue_sdk::pilot_plugin!(SPEC);
