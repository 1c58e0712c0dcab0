//! The versioning promise of docs/contract.md, tested: this host implements
//! contract 1.1 and keeps running 1.0 plugins, and 1.1's columns give the
//! same results as 1.0's rows.
//!
//! - A plugin built from the frozen 1.0.0 WIT with wit-bindgen alone
//!   (`tests/hostile/contract-1-0`, no SDK) evaluates to the results it
//!   always gave.
//! - Every case (rules/*/cases) and every sample (tests/samples, as request
//!   files and as the sample workbooks) gives the same report through 1.1's
//!   `evaluate-columns` and through 1.0's `evaluate` of the same built-in
//!   plugin: metrics, decisions, findings, trace and result tables, every
//!   cell reference included. Only the run's statistics (fuel, memory) differ.
//!   The same holds with the tables packed as they are checked
//!   (`input::check_packed`, the path of a large input).

use std::path::Path;

use crate::common::{Contract, bundle, host, test_limits, with_contract};
use lvyue::contract::{CONTRACT_VERSION, Version};
use lvyue::host::{Evaluate, Host, HostOptions, RunError};
use lvyue::input::{RawCell, RawRow, RawTable, RawValue};
use lvyue::report::Report;
use lvyue::sandbox::Call;

fn raw_table(rows: &[(&str, &str, &str, &str)]) -> RawTable {
    RawTable {
        key: "sources".into(),
        display: "Sources".into(),
        units: Default::default(),
        at: "Sources!1".into(),
        rows: rows
            .iter()
            .enumerate()
            .map(|(i, (name, tonnes, since, counted))| {
                let n = i + 2;
                let mut cells = std::collections::BTreeMap::new();
                let mut put = |k: &str, col: &str, v: RawValue| {
                    cells.insert(k.to_string(), RawCell { value: v, at: format!("Sources!{col}{n}") });
                };
                put("name", "A", RawValue::Text(name.to_string()));
                put("tonnes", "B", if tonnes.is_empty() { RawValue::Empty } else { RawValue::Number(tonnes.to_string()) });
                put("since", "C", if since.is_empty() { RawValue::Empty } else { RawValue::Date(since.to_string()) });
                put("counted", "D", RawValue::Text(counted.to_string()));
                RawRow { source: format!("Sources!{n}"), cells: cells.into_iter().collect() }
            })
            .collect(),
        prefixes: Default::default(),
    }
}

#[test]
fn a_plugin_built_from_the_frozen_1_0_wit_gives_its_results() {
    let dir = tempfile::tempdir().unwrap();
    // wit-bindgen alone: the same component whichever version the SDK's plugins are built for.
    let host = with_contract(Contract::V1_1, || host(vec![bundle(dir.path(), "contract-1-0")], test_limits()));
    let b = host.find("hostile-contract-1-0").expect("the 1.0 bundle loads");
    assert_eq!(b.contract, Version { major: 1, minor: 0, patch: 0 }, "it exports lvyue:compliance/plugin@1.0.0");
    let (prepared, _) = host.prepare(b).unwrap();
    assert_eq!(prepared.contract_version(), Version { major: 1, minor: 0, patch: 0 });
    assert!(CONTRACT_VERSION > prepared.contract_version(), "an older minor version runs on this host");

    let tables =
        [raw_table(&[("锅炉 Boiler", "1000.50", "2024-02-29", "yes"), ("Kiln", "20.25", "", "no"), ("Flare", "", "2023-12-31", "yes")])];
    let r = host
        .evaluate(&Evaluate { jurisdiction: "hostile-contract-1-0", year: 2024, tables: &tables, options: &[], inputs: vec![] })
        .unwrap_or_else(|e| panic!("the 1.0 plugin failed on this host: {e}"));
    let metric = |k: &str| r.metric(k).and_then(|m| m.value.clone()).unwrap_or_default();
    assert_eq!((metric("total_t").as_str(), metric("counted_t").as_str(), metric("rows").as_str()), ("1020.75", "1000.5", "3"));
    assert_eq!(r.trace[0].inputs, ["Sources!B2", "Sources!B3"]);
    assert_eq!(r.trace[1].inputs, ["Sources!B2"]);
    assert_eq!(r.trace[2].value.as_deref(), Some("2024-12-31"));
    let d: Vec<(&str, &str, &str, Option<&str>)> =
        r.decisions.iter().map(|d| (d.row.as_str(), d.subject.as_str(), d.outcome.as_str(), d.amount.as_deref())).collect();
    assert_eq!(
        d,
        [
            ("Sources!2", "锅炉 Boiler", "counted", Some("1000.5")),
            ("Sources!3", "Kiln", "not-counted", Some("20.25")),
            ("Sources!4", "Flare", "counted", None)
        ]
    );
    assert_eq!(r.findings.len(), 1);
    assert_eq!((r.findings[0].code.as_str(), r.findings[0].cells.as_slice()), ("NOT_COUNTED", &["Sources!D3".to_string()][..]));
    let t = &r.tables[0];
    let row = |i: usize| t.rows[i].iter().map(|c| c.as_deref().unwrap_or("")).collect::<Vec<_>>();
    assert_eq!(row(0), ["锅炉 Boiler", "1000.5", "2024-02-29", "true", "Sources!2", "Sources!A2"]);
    assert_eq!(row(2), ["Flare", "", "2023-12-31", "true", "Sources!4", "Sources!A4"]);
}

/// A report without the run's statistics (fuel and memory differ by call).
fn content(mut r: Report) -> Report {
    r.run.fuel_used = 0;
    r.run.fuel_limit = 0;
    r.run.peak_memory_bytes = 0;
    r
}

/// Evaluates a job through both calls, and through 1.1's call with the
/// tables packed as they are checked (`lvyue evaluate`'s path for a large
/// input), and says how the outcomes differ from the rows', if they do.
fn compare(host: &Host, what: &str, job: &Evaluate<'_>) -> Option<String> {
    let packed = host.build_request_owned(job, job.tables.to_vec(), Call::Columns).and_then(|b| host.run_request(b, job, Call::Columns));
    let columns = host.evaluate_with(job, Call::Columns);
    differ(&format!("{what} (packed as checked)"), packed, host.evaluate_with(job, Call::Rows))
        .or_else(|| differ(what, columns, host.evaluate_with(job, Call::Rows)))
}

fn differ(what: &str, columns: Result<Report, RunError>, rows: Result<Report, RunError>) -> Option<String> {
    match (columns, rows) {
        (Ok(c), Ok(r)) => {
            let (c, r) = (content(c), content(r));
            if c == r {
                return None;
            }
            let (cj, rj) = (c.to_json(), r.to_json());
            let line = cj.lines().zip(rj.lines()).position(|(a, b)| a != b).unwrap_or(0);
            Some(format!(
                "{what}: the reports differ from JSON line {}:\n  columns: {}\n  rows:    {}",
                line + 1,
                cj.lines().nth(line).unwrap_or(""),
                rj.lines().nth(line).unwrap_or("")
            ))
        }
        (Err(c), Err(r)) if c.to_string() == r.to_string() => None,
        (c, r) => Some(format!(
            "{what}: columns gave {:?}, rows gave {:?}",
            c.map(|_| "a report").map_err(|e| e.to_string()),
            r.map(|_| "a report").map_err(|e| e.to_string())
        )),
    }
}

#[derive(serde::Deserialize)]
struct CaseFile {
    case: Vec<lvyue::rules::cases::Case>,
}

#[test]
fn every_case_and_sample_is_the_same_through_columns_and_rows() {
    let host = Host::new(HostOptions::default()).expect("host");
    for b in host.bundles() {
        let (plugin, _) = host.prepare(b).unwrap();
        assert_eq!(plugin.contract_version(), CONTRACT_VERSION, "built-in {} is built for the host's contract", b.manifest.id);
    }
    let mut differences = Vec::new();
    let mut compared = 0;
    let mut from_workbooks = 0;

    // The cases as data, each with its own rules overrides.
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules");
    for (jurisdiction, file) in lvyue::rules::cases::case_files(&rules) {
        let text = std::fs::read_to_string(&file).unwrap();
        let cases: CaseFile = toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        for case in cases.case {
            let mut table = toml::Table::new();
            table.insert("jurisdiction".into(), jurisdiction.clone().into());
            table.insert("year".into(), toml::Value::Integer(case.year.into()));
            table.insert("options".into(), toml::Value::Table(case.options.clone()));
            table.insert("units".into(), toml::Value::Table(case.units.clone()));
            table.insert("tables".into(), toml::Value::Table(case.tables.clone()));
            let name = file.file_name().unwrap().to_string_lossy().into_owned();
            let Ok(req) = lvyue::input::request::RequestFile::from_toml_table(&name, table) else { continue };
            let overrides: Vec<_> = case.rules_override.iter().map(|f| file.parent().unwrap().join(f)).collect();
            let reformed = host.with_rules_overrides(&overrides);
            let job = Evaluate { jurisdiction: &jurisdiction, year: req.year, tables: &req.tables, options: &req.options, inputs: vec![] };
            differences.extend(compare(&reformed, &format!("{} — {}", file.display(), case.name), &job));
            compared += 1;
        }
    }

    // The samples: as request files, and as the sample workbooks read back.
    let dir = tempfile::tempdir().unwrap();
    for (name, req) in lvyue::samples::bundled().unwrap() {
        let job = Evaluate { jurisdiction: &req.jurisdiction, year: req.year, tables: &req.tables, options: &req.options, inputs: vec![] };
        differences.extend(compare(&host, &format!("sample {name}"), &job));
        compared += 1;
        let books = lvyue::samples::workbooks(&host, &name, &req).unwrap();
        let mut paths = Vec::new();
        for (file, bytes) in books {
            let p = dir.path().join(file);
            std::fs::write(&p, bytes).unwrap();
            paths.push(p);
        }
        let input = lvyue::job::JobInput {
            jurisdictions: vec![req.jurisdiction.clone()],
            year: Some(req.year),
            inventory: paths.first().cloned(),
            portfolio: paths.get(1).cloned(),
            options: req.options.clone(),
            ..Default::default()
        };
        // (Whether a sample's workbooks read back is samples.rs's and workbooks.rs's test.)
        match lvyue::job::load(&host, &input) {
            Ok(loaded) => {
                for l in &loaded {
                    differences.extend(compare(&host, &format!("sample workbooks of {name}"), &l.job()));
                    compared += 1;
                    from_workbooks += 1;
                }
            }
            Err(RunError::BadInput(p)) => eprintln!("sample workbooks of {name} not compared: they do not read back: {:?}", p.first()),
            Err(e) => eprintln!("sample workbooks of {name} not compared: {e}"),
        }
    }
    eprintln!("compared {compared} evaluations ({from_workbooks} from workbooks) through both calls; {} differ", differences.len());
    assert!(compared >= 300, "expected the cases and samples, compared {compared}");
    assert!(from_workbooks >= 3, "expected sample workbooks (references like Sheet!C12), compared {from_workbooks}");
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}
