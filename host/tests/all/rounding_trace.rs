//! Per-row rounding in the trace (cn-ets, each source's emissions): one step
//! for all the sources the rule changed, the values before and after in the
//! emissions table, and sums that cite the unrounded values plus that step,
//! so that every total still adds up from what it cites.

use lvyue::host::{Evaluate, Host, HostOptions};
use lvyue::input::request::RequestFile;
use lvyue::report::{Report, TraceOut};

const REQUEST: &str = r#"
jurisdiction = "cn-ets"
year = 2024
[tables]
emission_sources = [
  { facility = "U1", source = "boiler", category = "fuel_combustion", emissions_t = "0.245" },
  { facility = "U1", source = "dryer", category = "fuel_combustion", emissions_t = "1.234" },
  { facility = "U2", source = "kiln", category = "process", emissions_t = "10" },
  { facility = "U2", source = "furnace", category = "fuel_combustion", fuel = "烟煤", fuel_consumption = "10", ncv = "20.1234", carbon_content = "0.03", oxidation_rate = "0.99" },
]
"#;

fn evaluate() -> Report {
    let req = RequestFile::from_toml_table("request.toml", REQUEST.parse().unwrap()).expect("the request reads");
    let host = Host::new(HostOptions::default()).unwrap();
    host.evaluate(&Evaluate { jurisdiction: &req.jurisdiction, year: req.year, tables: &req.tables, options: &req.options, inputs: vec![] })
        .unwrap_or_else(|e| panic!("the request evaluates: {e}"))
}

fn dec(s: &str) -> rust_decimal::Decimal {
    s.parse().unwrap_or_else(|_| panic!("a decimal: {s}"))
}

fn step<'a>(r: &'a Report, reference: &str) -> &'a TraceOut {
    let i: usize = reference.strip_prefix("trace:").and_then(|i| i.parse().ok()).unwrap_or_else(|| panic!("a step reference: {reference}"));
    &r.trace[i]
}

#[test]
fn sources_rounded_by_the_rules_are_one_step_and_the_sum_cites_it() {
    let r = evaluate();
    let source_rule = |s: &&TraceOut| s.parameters.iter().any(|p| p == "rounding.source_emissions.places");
    let rounding: Vec<&TraceOut> = r.trace.iter().filter(source_rule).collect();
    assert_eq!(rounding.len(), 1, "one step for the sources' rounding, not one per source: {rounding:#?}");
    let rounding = rounding[0];
    // Three of the four sources change: 0.245 → 0.25, 1.234 → 1.23, 21.9143826 → 21.91; 10 stays.
    assert_eq!(rounding.inputs.len(), 3, "{rounding:#?}");
    assert!(rounding.description_en.contains("3 of 4 changed"), "{}", rounding.description_en);
    assert_eq!(dec(rounding.value.as_deref().unwrap()), dec("0.005") + dec("-0.004") + dec("-0.0043826"));
    // The computed source is cited by its computing step, whose value is the unrounded one.
    let computed: Vec<&TraceOut> = rounding.inputs.iter().filter(|i| i.starts_with("trace:")).map(|i| step(&r, i)).collect();
    assert_eq!(computed.len(), 1);
    assert_eq!(dec(computed[0].value.as_deref().unwrap()), dec("21.9143826"));

    // The sum cites every source's unrounded value and the rounding step, and adds up from them.
    let sum = r.trace.iter().find(|s| s.description_en.starts_with("Verified emissions = sum")).expect("the sum's step");
    let me = format!("trace:{}", rounding.index);
    assert!(sum.inputs.contains(&me), "{sum:#?}");
    assert!(rounding.inputs.iter().all(|i| sum.inputs.contains(i)), "{sum:#?}");
    assert_eq!(sum.inputs.len(), 5, "four sources and the rounding: {sum:#?}");
    let cited: rust_decimal::Decimal = sum
        .inputs
        .iter()
        .map(|i| match i.strip_prefix("trace:") {
            Some(_) => dec(step(&r, i).value.as_deref().unwrap()),
            None => {
                let row = r.tables.iter().find(|t| t.key == "emissions").unwrap();
                let at = |k: &str| row.columns.iter().position(|c| c.key == k).unwrap();
                let line =
                    row.rows.iter().find(|l| l[at("source_row")].as_deref().is_some_and(|s| i.starts_with(s))).expect("the cell's row");
                dec(line[at("emissions_before_rounding_t")].as_deref().or(line[at("emissions_t")].as_deref()).unwrap())
            }
        })
        .sum();
    assert_eq!(cited, dec(sum.value.as_deref().unwrap()));
    assert_eq!(dec(sum.value.as_deref().unwrap()), dec("33.39"));
}

#[test]
fn the_emissions_table_shows_each_source_before_rounding_where_it_changed() {
    let r = evaluate();
    let t = r.tables.iter().find(|t| t.key == "emissions").expect("the emissions table");
    let at = |k: &str| t.columns.iter().position(|c| c.key == k).unwrap_or_else(|| panic!("column {k}"));
    let pairs: Vec<(Option<&str>, Option<&str>)> =
        t.rows.iter().map(|l| (l[at("emissions_before_rounding_t")].as_deref(), l[at("emissions_t")].as_deref())).collect();
    assert_eq!(
        pairs,
        [(Some("0.245"), Some("0.25")), (Some("1.234"), Some("1.23")), (None, Some("10")), (Some("21.9143826"), Some("21.91"))]
    );
}
