//! `event-neutrality`: carbon neutrality of a large event (大型活动碳中和) under
//! the 2019 guideline 大型活动碳中和实施指南（试行） (MEE).
//!
//! Every legal number and factor comes in as a resolved parameter from
//! `rules/event-neutrality/`; this crate holds the arithmetic and the checks:
//!
//! - the event ([`event`]): one row, dates in order, the evaluation team;
//! - emissions by the guideline's Annex 1 categories ([`emissions`]): fuel rows
//!   from the fuel defaults, electricity from the MEE/NBS grid factor of the
//!   event's year (province, region or national, falling back upwards), other
//!   rows from a `factor.*` parameter where the rules hold a sourced one, else
//!   from the row's own factor, reported as user-supplied;
//! - green power ([`green`]): zero only up to retired certificates of the right
//!   period; the grid factor for the rest; the factor a stated claim implies;
//! - offsets ([`offsets`]): accepted instruments and their recommended order,
//!   retirement evidence, the one-year (new forestry: six-year) deadline, double
//!   counting, and the gap or surplus.
//!
//! Options: `grid_factor_level` (province, region or national) overrides the
//! rules' level for one run.

mod dates;
mod emissions;
mod event;
mod green;
mod offsets;
mod spec;

use lvyue_sdk::eval::Eval;
use lvyue_sdk::identity::Identity;
use lvyue_sdk::{Context, EvaluationError, PluginInfo, Request};

struct EventNeutrality;

/// Id, version, name and the event years these rules are written for
/// (`plugin.toml`): from the guideline's year. Grid factors exist for
/// 2021–2023 (later years use the latest, marked unverified); events of
/// 2019–2020 give their own.
const IDENTITY: Identity = lvyue_sdk::identity!();

impl lvyue_sdk::Plugin for EventNeutrality {
    fn describe() -> PluginInfo {
        IDENTITY.describe(spec::parameters(), &spec::CATALOGUE, spec::input())
    }

    fn evaluate(req: Request) -> Result<lvyue_sdk::Evaluation, EvaluationError> {
        IDENTITY.accept(&req)?;
        IDENTITY.accept_year(&req, "year")?;
        let ctx = Context::new(&req);
        let mut ev = Eval::new(&ctx, spec::CATALOGUE);
        let event = event::read(&mut ev)?;
        let rows = emissions::rows(&mut ev, &event)?;
        let green = green::evaluate(&mut ev, &event, &rows)?;
        let totals = emissions::finish(&mut ev, &rows, Some((green.covered, green.deduction, green.step)), &event);
        green.emit(&mut ev);
        offsets::evaluate(&mut ev, &event, &totals)?;
        ev.report_unverified();
        Ok(ev.out.finish())
    }
}

lvyue_sdk::export_plugin!(EventNeutrality);
