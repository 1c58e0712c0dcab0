//! Per-row rounding in the trace (cn-ets, each source's emissions): one step
//! for the sources of each sum, the values before and after in the emissions
//! table, and sums that cite the unrounded values plus their rounding step,
//! so that every total still adds up from what it cites.

use lvyue::host::{Evaluate, Host, HostOptions};
use lvyue::input::request::RequestFile;
use lvyue::report::{Report, TraceOut};

/// A 2024 cn-ets request: these emission sources, and more tables.
fn request(sources: &[&str], more: &str) -> String {
    format!("jurisdiction = \"cn-ets\"\nyear = 2024\n[tables]\nemission_sources = [\n{}\n]\n{more}", sources.join(",\n"))
}

const SOURCES: [&str; 6] = [
    r#"{ facility = "U1", source = "boiler", category = "fuel_combustion", emissions_t = "0.245" }"#,
    r#"{ facility = "U1", source = "dryer", category = "fuel_combustion", emissions_t = "1.234" }"#,
    r#"{ facility = "U2", source = "kiln", category = "process", emissions_t = "10" }"#,
    r#"{ facility = "U2", source = "furnace", category = "fuel_combustion", fuel = "烟煤", fuel_consumption = "10", ncv = "20.1234", carbon_content = "0.03", oxidation_rate = "0.99" }"#,
    r#"{ facility = "U2", source = "gas boiler", category = "fuel_combustion", fuel = "天然气", fuel_consumption = "1.5" }"#,
    r#"{ facility = "Site", source = "steam", category = "purchased_heat", emissions_t = "5.555" }"#,
];

fn evaluate(request: &str) -> Report {
    let req = RequestFile::from_toml_table("request.toml", request.parse().unwrap()).expect("the request reads");
    let host = Host::new(HostOptions::default()).unwrap();
    host.evaluate(&Evaluate { jurisdiction: &req.jurisdiction, year: req.year, tables: &req.tables, options: &req.options, inputs: vec![] })
        .unwrap_or_else(|e| panic!("the request evaluates: {e}"))
}

fn dec(s: &str) -> rust_decimal::Decimal {
    s.parse().unwrap_or_else(|_| panic!("a decimal: {s}"))
}

fn value(s: &TraceOut) -> rust_decimal::Decimal {
    dec(s.value.as_deref().unwrap_or_else(|| panic!("a value: {s:#?}")))
}

fn step<'a>(r: &'a Report, reference: &str) -> &'a TraceOut {
    let i: usize = reference.strip_prefix("trace:").and_then(|i| i.parse().ok()).unwrap_or_else(|| panic!("a step reference: {reference}"));
    &r.trace[i]
}

/// A cited input's value: a step's value, or the source's unrounded value (its row of the emissions table).
fn cited(r: &Report, input: &str) -> rust_decimal::Decimal {
    if input.starts_with("trace:") {
        return value(step(r, input));
    }
    let t = r.tables.iter().find(|t| t.key == "emissions").unwrap();
    let at = |k: &str| t.columns.iter().position(|c| c.key == k).unwrap();
    let line = t
        .rows
        .iter()
        .find(|l| l[at("source_row")].as_deref().is_some_and(|s| input.starts_with(&format!("{s}."))))
        .expect("the cell's row");
    dec(line[at("emissions_before_rounding_t")].as_deref().or(line[at("emissions_t")].as_deref()).unwrap())
}

fn described<'a>(r: &'a Report, start: &str) -> &'a TraceOut {
    r.trace.iter().find(|s| s.description_en.starts_with(start)).unwrap_or_else(|| panic!("a step \"{start}…\""))
}

#[test]
fn each_sum_cites_its_sources_unrounded_and_one_rounding_step_and_adds_up() {
    let r = evaluate(&request(&SOURCES, ""));
    let rounding: Vec<&TraceOut> =
        r.trace.iter().filter(|s| s.parameters.iter().any(|p| p == "rounding.source_emissions.places")).collect();
    // Counted, memo, and counted with default factors: a step each, none per source.
    assert_eq!(rounding.len(), 3, "{rounding:#?}");
    let counted = described(&r, "Counted sources' emissions rounded one by one");
    // Four of the five counted sources change: 0.245 → 0.25, 1.234 → 1.23, 21.9143826 → 21.91, the gas boiler's; 10 stays.
    assert!(counted.description_en.contains("4 of 5 changed"), "{}", counted.description_en);
    assert!(counted.description_en.contains("\"Emissions\""), "names the table holding each before and after");
    assert_eq!(counted.inputs.len(), 4, "{counted:#?}");
    // The computed source is cited by its computing step, whose value is the unrounded one.
    let furnace: Vec<rust_decimal::Decimal> =
        counted.inputs.iter().filter(|i| i.starts_with("trace:")).map(|i| value(step(&r, i))).collect();
    assert!(furnace.contains(&dec("21.9143826")), "{furnace:?}");
    let memo = described(&r, "Memo sources' emissions rounded one by one");
    assert_eq!(value(memo), dec("0.005"));
    assert!(memo.description_en.contains("1 of 1 changed"));

    for (sum, metric) in [
        ("Verified emissions = sum", None),
        ("Purchased electricity and heat emissions", Some("purchased_electricity_memo_t")),
        ("Counted emissions computed with at least one default factor", Some("emissions_with_default_factors_t")),
    ] {
        let s = described(&r, sum);
        let total: rust_decimal::Decimal = s.inputs.iter().map(|i| cited(&r, i)).sum();
        assert_eq!(total, value(s), "{sum}: the cited values add up to the step's value: {s:#?}");
        assert!(s.inputs.iter().any(|i| step_is_rounding(&r, i)), "{sum} cites its rounding step");
        if let Some(m) = metric {
            assert_eq!(r.metric(m).and_then(|m| m.value.as_deref()).map(dec), Some(value(s)), "{m}");
        }
    }
    // And it is the sum of the rounded values the table shows for the counted sources.
    let t = r.tables.iter().find(|t| t.key == "emissions").unwrap();
    let at = |k: &str| t.columns.iter().position(|c| c.key == k).unwrap();
    let counted_rows = t.rows.iter().filter(|l| l[at("treatment")].as_deref().is_some_and(|s| s.starts_with("counted")));
    let shown: rust_decimal::Decimal = counted_rows.map(|l| dec(l[at("emissions_t")].as_deref().unwrap())).sum();
    assert_eq!(value(described(&r, "Verified emissions = sum")), shown);
}

fn step_is_rounding(r: &Report, input: &str) -> bool {
    input.starts_with("trace:") && step(r, input).parameters.iter().any(|p| p == "rounding.source_emissions.places")
}

#[test]
fn the_emissions_table_shows_each_source_before_rounding_where_it_changed() {
    let r = evaluate(&request(&SOURCES, ""));
    let t = r.tables.iter().find(|t| t.key == "emissions").expect("the emissions table");
    let at = |k: &str| t.columns.iter().position(|c| c.key == k).unwrap_or_else(|| panic!("column {k}"));
    let pairs: Vec<(Option<&str>, Option<&str>)> =
        t.rows.iter().map(|l| (l[at("emissions_before_rounding_t")].as_deref(), l[at("emissions_t")].as_deref())).collect();
    assert_eq!(
        pairs[..4],
        [(Some("0.245"), Some("0.25")), (Some("1.234"), Some("1.23")), (None, Some("10")), (Some("21.9143826"), Some("21.91"))]
    );
    assert_eq!(pairs[5], (Some("5.555"), Some("5.56")));
    let (before, after) = pairs[4];
    assert_eq!(dec(before.expect("the gas boiler's changed")).round_dp(2), dec(after.unwrap()));
}

#[test]
fn a_gas_units_top_up_cites_its_sources_unrounded_and_their_rounding() {
    let request = request(
        &[
            r#"{ facility = "G1", source = "turbine", category = "fuel_combustion", emissions_t = "200.004" }"#,
            r#"{ facility = "G1", source = "duct burner", category = "fuel_combustion", emissions_t = "129.994" }"#,
        ],
        r#"generating_units = [{ facility = "G1", category = "IV", generation_mwh = "1000" }]"#,
    );
    let r = evaluate(&request);
    // 200.00 + 129.99 = 329.99 t; floor(1000 × 0.3288) = 328 is below: topped up.
    assert_eq!(r.metric("allocation_gas_top_up_t").and_then(|m| m.value.as_deref()), Some("1"));
    let unit = described(&r, "G1's sources' emissions rounded one by one");
    assert_eq!(value(unit), dec("-0.008"));
    assert!(unit.inputs.is_empty(), "the sources are cited beside it: {unit:#?}");
    let target = described(&r, "G1 top-up target");
    assert!(target.inputs.contains(&format!("trace:{}", unit.index)), "{target:#?}");
    let before: rust_decimal::Decimal = target.inputs.iter().map(|i| cited(&r, i)).sum();
    assert_eq!(before, dec("329.99"), "the unit's emissions, from what the target cites");
}
