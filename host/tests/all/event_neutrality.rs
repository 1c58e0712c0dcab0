//! Large-event carbon neutrality (plugin `event-neutrality`) on the bundled
//! Canton Fair sample: the numbers that follow from the 2023 green-power
//! figures, and the rendered declaration in Chinese and English, Markdown and
//! HTML, compared with the committed files in
//! `report-templates/event-neutrality/golden/` so that any change shows as a
//! diff. Refresh them with `LVYUE_BLESS=1 cargo test -p lvyue --test all event_neutrality::`.

use std::path::{Path, PathBuf};

use lvyue::host::{Evaluate, Host, HostOptions};
use lvyue::input::request::RequestFile;
use lvyue::report::Report;

const SAMPLE: &str = "event-2023-canton-fair.toml";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn evaluate(host: &Host) -> Report {
    let req = RequestFile::read(&root().join("tests/samples").join(SAMPLE)).expect("the sample request reads");
    host.evaluate(&Evaluate { jurisdiction: &req.jurisdiction, year: req.year, tables: &req.tables, options: &req.options, inputs: vec![] })
        .unwrap_or_else(|e| panic!("the sample evaluates: {e}"))
}

fn metric<'a>(report: &'a Report, key: &str) -> &'a str {
    report.metric(key).and_then(|m| m.value.as_deref()).unwrap_or_else(|| panic!("metric {key}"))
}

#[test]
fn the_canton_fair_sample_gives_the_expected_numbers() {
    let host = Host::new(HostOptions::default()).unwrap();
    let r = evaluate(&host);
    // The source's figures: 12,000 MWh of green power, about 7,655 t avoided.
    assert_eq!(metric(&r, "green_power_claimed_mwh"), "12000");
    assert_eq!(metric(&r, "green_power_claimed_avoided_t"), "7655");
    // The factor that claim implies, exactly, and the 2023 southern-grid factor the rules use.
    assert_eq!(metric(&r, "green_power_claimed_factor_t_per_mwh"), "0.6379166666666666666666666667");
    assert_eq!(metric(&r, "grid_factor_t_per_mwh"), "0.4042");
    assert_eq!(metric(&r, "green_power_covered_mwh"), "12000");
    assert_eq!(metric(&r, "green_power_avoided_t"), "4850.4");
    assert_eq!(metric(&r, "emissions_purchased_electricity_t"), "0");
    assert_eq!(metric(&r, "deadline"), "2024-11-04");
    assert_eq!(metric(&r, "deadline_forestry"), "2029-11-04");
    assert_eq!(metric(&r, "neutral"), "true");
    let codes: Vec<&str> = r.findings.iter().map(|f| f.code.as_str()).collect();
    for code in ["GREEN_POWER_CLAIM_FACTOR", "FACTOR_USER_SUPPLIED", "NEUTRAL", "PARAMETER_NOT_VERIFIED"] {
        assert!(codes.contains(&code), "finding {code} expected in {codes:?}");
    }
    // The claim's factor appears in the finding, rounded for reading.
    let claim = r.findings.iter().find(|f| f.code == "GREEN_POWER_CLAIM_FACTOR").unwrap();
    assert!(claim.message_en.contains("0.6379 tCO2/MWh") && claim.message_en.contains("4850.4 t"), "{}", claim.message_en);
    // Every category has its stable key, and the total is their sum (checked by the host's formula check too).
    for key in [
        "emissions_stationary_combustion_t",
        "emissions_mobile_combustion_t",
        "emissions_purchased_electricity_t",
        "emissions_purchased_heat_t",
        "emissions_electric_vehicles_t",
        "emissions_travel_t",
        "emissions_accommodation_t",
        "emissions_catering_t",
        "emissions_materials_t",
        "emissions_waste_t",
    ] {
        metric(&r, key);
    }
    assert!(r.metric("emissions_total_t").unwrap().formula.is_some());
    for t in ["emissions_by_category", "emission_sources", "green_power", "offsets", "offsets_by_instrument", "balance", "event"] {
        assert!(r.tables.iter().any(|x| x.key == t), "table {t}");
    }
    for t in ["emissions_by_category", "offsets_by_instrument", "balance"] {
        assert!(!r.tables.iter().find(|x| x.key == t).unwrap().charts.is_empty(), "table {t} has a chart");
    }
}

#[test]
fn the_rendered_declaration_matches_the_golden_files() {
    let host = Host::new(HostOptions::default()).unwrap();
    let report = evaluate(&host);
    let bundle = host.find("event-neutrality").expect("the built-in plugin");
    let docs = lvyue::report::render::render_all(&bundle.templates, &report).expect("the templates render");
    let names: Vec<&str> = docs.iter().map(|(n, _)| n.as_str()).collect();
    for want in [
        "event-neutrality-2023-declaration.zh.md",
        "event-neutrality-2023-declaration.en.md",
        "event-neutrality-2023-declaration.zh.html",
        "event-neutrality-2023-declaration.en.html",
    ] {
        assert!(names.contains(&want), "{want} rendered; got {names:?}");
    }
    let dir = root().join("report-templates/event-neutrality/golden");
    let bless = std::env::var_os("LVYUE_BLESS").is_some();
    let mut stale = Vec::new();
    for (file, text) in &docs {
        let path = dir.join(file);
        if bless {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, text).unwrap();
            continue;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed != *text {
            let line = committed
                .lines()
                .zip(text.lines())
                .position(|(a, b)| a != b)
                .map(|i| i + 1)
                .unwrap_or(committed.lines().count().min(text.lines().count()) + 1);
            stale.push(format!("{} differs from line {line}", path.display()));
        }
    }
    assert!(
        stale.is_empty(),
        "{}\nrefresh with `LVYUE_BLESS=1 cargo test -p lvyue --test all event_neutrality::` and review the diff",
        stale.join("\n")
    );
    // Both languages state the conclusion and the deadline; HTML escapes user text.
    let doc = |suffix: &str| &docs.iter().find(|(n, _)| n.ends_with(suffix)).unwrap().1;
    assert!(doc("zh.md").contains("已实现碳中和") && doc("zh.md").contains("2024-11-04"));
    assert!(doc("en.md").contains("carbon neutral") && doc("en.md").contains("2024-11-04"));
    assert!(doc("zh.html").starts_with("<!DOCTYPE html>") && doc("en.html").contains("</html>"));
}

#[test]
fn the_template_workbook_is_made_from_the_declaration() {
    let host = Host::new(HostOptions::default()).unwrap();
    let bundle = host.find("event-neutrality").expect("the built-in plugin");
    let info = host.describe(bundle).unwrap();
    let keys: Vec<&str> = info.input.iter().map(|s| s.key.as_str()).collect();
    assert_eq!(keys, ["event", "event_emissions", "green_power", "green_certificates", "offsets"]);
    // Every column of every sheet carries example values for the filled example.
    for sheet in &info.input {
        let n = sheet.columns.iter().map(|c| c.examples.len()).max().unwrap_or(0);
        assert!(n > 0, "sheet {} has examples", sheet.key);
        for c in &sheet.columns {
            assert_eq!(c.examples.len(), n, "{}.{}: one example per example row", sheet.key, c.key);
        }
    }
    // A serial may be used once: the host checks it at input time.
    assert_eq!(info.input.iter().find(|s| s.key == "offsets").unwrap().unique_key, ["serial"]);
    let bytes = lvyue::input::template::build(&info, Some(2023)).expect("the template builds");
    assert!(bytes.starts_with(b"PK"), "an xlsx file");
}
