//! `cn-ets`: annual compliance (清缴) in China's national carbon market,
//! compliance years 2021–2025.
//!
//! Every legal number comes in as a resolved parameter from `rules/cn-ets/`;
//! this crate holds the arithmetic and the decision logic only:
//!
//! - emissions: verified emissions per source, fuel combustion computed as
//!   FC × NCV × CC × OF × 44/12 with the guideline's defaults where the user
//!   leaves a factor blank, purchased electricity counted or shown as a memo
//!   line by year ([`emissions`]);
//! - allocation: power units by benchmark with the peak-shaving correction,
//!   the gas-unit top-up and the entity's shortfall-rate cap; steel, cement
//!   and aluminium by the year's sector rule ([`allocation`]);
//! - surrender: CCER eligibility and the 5 % cap, usable allowance vintages,
//!   the surrender plan from what is held, the shortfall, the deadline,
//!   carry-over and penalty exposure ([`surrender`]);
//! - rounding as `rules/cn-ets/rounding.toml` states it, each a trace step
//!   (`lvyue_sdk::rounding`): source emissions, the enterprise total, the
//!   obligation, allocation amounts, the offset cap, holdings used and the
//!   shortfall in whole tonnes (a shortfall to buy rounds up), money to 0.01 CNY.
//!
//! - month-by-month input (the official tables, months as columns, read by the
//!   host from the layouts in `plugin.toml`): the guideline's monthly checks,
//!   the annual rows they give, and a forecast for the year from the months so
//!   far ([`monthly`]).
//!
//! Options: `sector` (power, cement, steel, aluminium; default power),
//! `carbon_price_cny`, `surrender_date`, `net_sales_2024_2025_t`, `as_of`
//! (YYYY-MM: forecast the year from the months up to it).

mod allocation;
mod emissions;
mod fuels;
mod monthly;
mod spec;
mod surrender;

use lvyue_sdk::eval::Eval;
use lvyue_sdk::identity::Identity;
use lvyue_sdk::{Context, Decimal, EvaluationError, Output, PluginInfo, Request, Step, Value, num, t};
use spec::*;

/// The plugin. Public for the host's benchmark, which also runs it natively
/// (`host/benches/native/mod.rs`); plugin code never names it.
#[doc(hidden)]
pub struct CnEts;

/// Id, version, name and the compliance years these rules are written for: `plugin.toml`.
const IDENTITY: Identity = lvyue_sdk::identity!();

impl lvyue_sdk::Plugin for CnEts {
    fn describe() -> PluginInfo {
        IDENTITY.describe(spec::parameters(), &CATALOGUE, spec::input())
    }

    fn evaluate(req: Request) -> Result<lvyue_sdk::Evaluation, EvaluationError> {
        // Each call gets a fresh instance that is dropped after it: freeing the
        // request's strings one by one would be wasted time and fuel.
        let req = std::mem::ManuallyDrop::new(req);
        IDENTITY.accept(&req)?;
        let ctx = Context::new(&req);
        let mut ev = Eval::new(&ctx, CATALOGUE).year_named("compliance year ");
        // Month-by-month input becomes the annual rows the steps read.
        let Some(expanded) = monthly::expand(&mut ev)? else {
            evaluate(&mut ev)?;
            let mut evaluation = ev.out.finish();
            monthly::finish(&ctx, &mut evaluation, None)?;
            return Ok(evaluation);
        };
        let ctx = Context::new(&expanded.request);
        let mut ev = ev.rebind(&ctx);
        evaluate(&mut ev)?;
        let mut evaluation = ev.out.finish();
        monthly::finish(&ctx, &mut evaluation, expanded.forecast.as_ref())?;
        Ok(evaluation)
    }
}

fn evaluate(ev: &mut Eval) -> Result<(), EvaluationError> {
    // Every evaluation reads the core parameters (and reports those not verified).
    for key in CORE_PARAMS {
        ev.used.insert(key.to_string());
    }
    let sector = ev.ctx.option("sector").map(str::trim).unwrap_or("power");
    if !allocation::SECTORS.contains(&sector) {
        ev.finding(
            "OPTION_INVALID",
            t(
                &format!("选项 sector = \"{sector}\"：应为 {}", allocation::SECTORS.join("、")),
                &format!("Option sector = \"{sector}\": expected one of {}", allocation::SECTORS.join(", ")),
            ),
            vec!["option:sector".into()],
        );
    }
    let opts = surrender::options(ev);
    ev.fail_if_errors()?;

    let emissions = emissions::evaluate(ev, sector)?;

    let obligation_rule = ev.rounding(R_OBLIGATION)?;
    let s_raw = ev.out.step(
        Step {
            clause: "办法 第二十八条；条例 第三十条 / Measures Art. 28; Regulation Art. 30",
            zh: "应清缴配额量 = 核查排放量（1吨配额 = 1吨二氧化碳当量）",
            en: "Obligation = verified emissions (1 allowance = 1 tCO2e)",
            parameters: &[],
            inputs: vec![Output::ref_step(emissions.step)],
        },
        num(emissions.verified),
        Some("t"),
    );
    // Allowances are whole tonnes: the obligation as the rules round it.
    let r_obl =
        obligation_rule.record(&mut ev.out, ("应清缴配额量", "Obligation"), emissions.verified, Some("t"), vec![Output::ref_step(s_raw)]);
    let (obligation, s_obl) = (r_obl.value, r_obl.step);
    ev.metric_rounded("obligation_t", &obligation_rule, &r_obl, Some("verified_emissions_t"));

    let alloc = allocation::evaluate(ev, sector, &emissions)?;
    allocation_gap(ev, obligation, s_obl, &alloc);

    surrender::evaluate(ev, &surrender::Obligation { value: obligation, step: s_obl }, &opts)?;
    ev.report_unverified();
    Ok(())
}

/// The gap between the obligation and the allocation, and its rate.
fn allocation_gap(ev: &mut Eval, obligation: Decimal, s_obl: u32, alloc: &allocation::Allocation) {
    let clause = "国环规气候〔2024〕1号 五(三)2：配额履约缺口率 = (核查排放量 − 核定配额量) / 核查排放量 / allocation shortfall rate";
    let (Some(a), Some(s_a)) = (alloc.allocation, alloc.step) else {
        for key in ["allocation_gap_t", "allocation_gap_rate"] {
            let s = ev.out.step(
                Step { clause, zh: "未计算配额", en: "Allocation not computed", parameters: &[], inputs: vec![] },
                Value::Empty,
                None,
            );
            ev.metric(key, Value::Empty, s);
        }
        return;
    };
    let gap = obligation - a;
    let s_gap = ev.out.step(
        Step {
            clause,
            zh: "配额缺口 = 应清缴配额量 − 核定配额量（负数为盈余）",
            en: "Allocation gap = obligation − allocation (negative: surplus)",
            parameters: &[],
            inputs: vec![Output::ref_step(s_obl), Output::ref_step(s_a)],
        },
        num(gap),
        Some("t"),
    );
    ev.metric_f("allocation_gap_t", num(gap), s_gap, "obligation_t - allocation_t");
    if obligation.is_zero() {
        let s = ev.out.step(
            Step {
                clause,
                zh: "应清缴配额量为0，缺口率无定义",
                en: "Obligation is 0; the rate is undefined",
                parameters: &[],
                inputs: vec![Output::ref_step(s_gap)],
            },
            Value::Empty,
            None,
        );
        ev.metric("allocation_gap_rate", Value::Empty, s);
        return;
    }
    // The same operands as the host's check of the formula: the metrics' normalised values.
    let rate = gap.normalize() / obligation.normalize();
    let s = ev.out.step(
        Step {
            clause,
            zh: "配额履约缺口率 = 配额缺口 / 应清缴配额量",
            en: "Shortfall rate = allocation gap / obligation",
            parameters: &[],
            inputs: vec![Output::ref_step(s_gap), Output::ref_step(s_obl)],
        },
        num(rate),
        Some("ratio"),
    );
    ev.metric_f("allocation_gap_rate", num(rate), s, "allocation_gap_t / obligation_t");
}

lvyue_sdk::export_plugin!(CnEts);
