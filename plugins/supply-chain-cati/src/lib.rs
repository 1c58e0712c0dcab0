//! `supply-chain-cati`: a brand's supply-chain team scores its suppliers'
//! climate action the way IPE's CATI (供应链气候行动 CATI 指数) does.
//!
//! The scoring model, all of it data in `rules/supply-chain-cati/`:
//!
//! - five activity areas with IPE's published default weights (measurement &
//!   disclosure 15, targets 14, performance 12, climate action 43) and
//!   governance 16, inferred as 100 − 84 and marked unverified;
//! - industry weighting factors per area (`weights.industry.<industry>.<area>`;
//!   IPE's own factors are not in our sources, the bundled ones are neutral);
//! - an indicator catalogue (`indicator.<area>.<id>.*`): each indicator's
//!   maximum points and how an answer maps to points, by choice
//!   (`points.<answer>`) or linearly between `zero_at` and `full_at`. IPE's
//!   indicator-level guidelines are not in our sources: the bundled catalogue
//!   is this tool's own and every output says so;
//! - the conversion of the total into CITI indicator 4.1 (20 %, IPE);
//! - what an open environmental violation record does: flag (default) or cap.
//!
//! Per supplier: area score = 100 × points / maximum points of the area's
//! indicators (an unanswered indicator scores 0); total = Σ(weight × industry
//! factor × area score) / Σ(weight × industry factor), out of 100.
//!
//! Options: `hotspot_suppliers` (how many of the lowest suppliers the hotspot
//! finding names; default 3).

mod model;
mod score;
mod spec;

use lvyue_sdk::identity::Identity;
use lvyue_sdk::{Context, EvaluationError, Output, PluginInfo, Request};

struct SupplyChainCati;

/// Id, version, name and the assessment years covered (`plugin.toml`; the rules hold values from 2022 on).
const IDENTITY: Identity = lvyue_sdk::identity!();

impl lvyue_sdk::Plugin for SupplyChainCati {
    fn describe() -> PluginInfo {
        IDENTITY.describe(spec::parameters(), &spec::CATALOGUE, spec::input())
    }

    fn evaluate(req: Request) -> Result<lvyue_sdk::Evaluation, EvaluationError> {
        // Each call gets a fresh instance that is dropped after it: freeing the
        // request's strings one by one would be wasted time and fuel.
        let req = std::mem::ManuallyDrop::new(req);
        IDENTITY.accept(&req)?;
        IDENTITY.accept_year(&req, "assessment year")?;
        let ctx = Context::new(&req);
        let mut out = Output::default();
        score::evaluate(&ctx, &mut out)?;
        Ok(out.finish())
    }
}

lvyue_sdk::export_plugin!(SupplyChainCati);
