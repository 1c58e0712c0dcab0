//! Test cases as data: `rules/<jurisdiction>/cases/*.toml`.
//!
//! Each case is a request (year, options, tables: the same shape as a request
//! file), evaluated twice (the two reports must be identical), and what must come out: metric values, finding codes present and
//! absent, per-row decisions, an expected error class, a fuel ceiling.
//!
//! ```toml
//! [[case]]
//! name = "CCER capped at 5 % of the obligation"
//! year = 2024
//! options = { carbon_price_cny = "100" }
//! [case.tables]
//! emission_sources = [{ facility = "U1", source = "boiler", category = "fuel_combustion", emissions_t = "1000000" }]
//! credit_holdings = [{ serial = "A", credit_type = "CCER", project_id = "P", registered = 2025-01-01, quantity_t = "80000" }]
//! [case.expect]
//! metrics = { offset_cap_t = "50000", offsets_used_t = "50000" }
//! findings = ["OFFSET_CAP_BINDING"]
//! absent = ["SHORTFALL"]
//! decisions = [{ subject = "A", outcome = "eligible", amount = "80000" }]
//! # error = "bad_input"    # or "rules", "unsupported", "plugin_failed", "refused"
//! # tolerance = "0.001"    # absolute, for metrics
//! # max_fuel = 20000000
//! ```
//!
//! A case may change the rules for itself alone (a "reform"):
//! `rules_override = ["overrides/cap-10pc.toml"]`, files in the rules format
//! relative to the case file. (Keep them out of `rules/<jurisdiction>/` itself,
//! e.g. in `cases/overrides/`, so they are not bundled.)

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::host::{Evaluate, Host, RunError};
use crate::input::request::RequestFile;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    case: Vec<Case>,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub name: String,
    pub year: u16,
    #[serde(default)]
    pub options: toml::Table,
    #[serde(default)]
    pub units: toml::Table,
    #[serde(default)]
    pub tables: toml::Table,
    /// Rules files (paths relative to the case file) whose parameters replace
    /// or add to the rules for this case only, like `--rules-override`.
    #[serde(default)]
    pub rules_override: Vec<String>,
    pub expect: Expect,
}

#[derive(Debug, Deserialize, Clone, Default)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    #[serde(default)]
    pub metrics: toml::Table,
    #[serde(default)]
    pub findings: Vec<String>,
    #[serde(default)]
    pub absent: Vec<String>,
    #[serde(default)]
    pub decisions: Vec<ExpectDecision>,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub error_contains: Vec<String>,
    #[serde(default)]
    pub tolerance: Option<String>,
    #[serde(default)]
    pub max_fuel: Option<u64>,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct ExpectDecision {
    pub subject: String,
    pub outcome: String,
    #[serde(default)]
    pub amount: Option<String>,
    #[serde(default)]
    pub reasons: Option<Vec<String>>,
}

/// The outcome of one case.
#[derive(Debug)]
pub struct CaseResult {
    pub file: PathBuf,
    pub name: String,
    /// Empty when the case passed.
    pub failures: Vec<String>,
}

/// All case files under `rules_root/<jurisdiction>/cases/`.
pub fn case_files(rules_root: &Path) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    let Ok(dirs) = std::fs::read_dir(rules_root) else { return out };
    for d in dirs.flatten() {
        let cases = d.path().join("cases");
        if let Ok(files) = std::fs::read_dir(&cases) {
            for f in files.flatten() {
                if f.path().extension().is_some_and(|x| x == "toml") {
                    out.push((d.file_name().to_string_lossy().into_owned(), f.path()));
                }
            }
        }
    }
    out.sort();
    out
}

/// Runs every case of a file against the host's plugin for `jurisdiction`.
pub fn run_file(host: &Host, jurisdiction: &str, path: &Path) -> Result<Vec<CaseResult>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let file: CaseFile = toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(file.case.iter().map(|c| run_case(host, jurisdiction, path, c)).collect())
}

fn error_class(e: &RunError) -> &'static str {
    match e {
        RunError::BadInput(_) => "bad_input",
        RunError::Unsupported(_) => "unsupported",
        RunError::Rules(_) => "rules",
        RunError::Refused { .. } | RunError::NotFound(_) => "refused",
        RunError::Failed { .. } => "plugin_failed",
        RunError::Io(_) => "io",
        RunError::Usage(_) => "usage",
    }
}

pub(crate) fn run_case(host: &Host, jurisdiction: &str, path: &Path, case: &Case) -> CaseResult {
    let mut failures = Vec::new();
    let mut table = toml::Table::new();
    table.insert("jurisdiction".into(), jurisdiction.into());
    table.insert("year".into(), toml::Value::Integer(case.year.into()));
    table.insert("options".into(), toml::Value::Table(case.options.clone()));
    table.insert("units".into(), toml::Value::Table(case.units.clone()));
    table.insert("tables".into(), toml::Value::Table(case.tables.clone()));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let result = |failures| CaseResult { file: path.to_path_buf(), name: case.name.clone(), failures };
    let req = match RequestFile::from_toml_table(&name, table) {
        Ok(r) => r,
        Err(e) => return result(vec![format!("the case's request is malformed: {e}")]),
    };
    let reformed;
    let host = if case.rules_override.is_empty() {
        host
    } else {
        let base = path.parent().unwrap_or(Path::new("."));
        let files: Vec<std::path::PathBuf> = case.rules_override.iter().map(|f| base.join(f)).collect();
        if let Some(missing) = files.iter().find(|f| !f.is_file()) {
            return result(vec![format!("rules_override {} does not exist", missing.display())]);
        }
        reformed = host.with_rules_overrides(&files);
        &reformed
    };
    let job = Evaluate { jurisdiction, year: req.year, tables: &req.tables, options: &req.options, inputs: vec![] };
    let outcome = host.evaluate(&job);
    let report = match (outcome, &case.expect.error) {
        (Ok(r), None) => {
            // Determinism: the same request again gives the same report, fuel included.
            match host.evaluate(&job) {
                Ok(again) if again == r => {}
                Ok(_) => failures.push("evaluated twice, the request gave two different reports (not deterministic)".to_string()),
                Err(e) => failures.push(format!("evaluated twice, the second run failed: {e}")),
            }
            r
        }
        (Ok(_), Some(class)) => return result(vec![format!("expected a {class} error, the evaluation succeeded")]),
        (Err(e), Some(class)) => {
            if error_class(&e) != class {
                failures.push(format!("expected a {class} error, got {}: {e}", error_class(&e)));
            }
            let text = e.to_string();
            for needle in &case.expect.error_contains {
                if !text.contains(needle) {
                    failures.push(format!("the error does not mention `{needle}`: {text}"));
                }
            }
            return result(failures);
        }
        (Err(e), None) => return result(vec![format!("evaluation failed: {e}")]),
    };
    let tol = case.expect.tolerance.as_deref().and_then(crate::decimal::parse).unwrap_or_default();
    for (key, want) in &case.expect.metrics {
        let want_text = match want {
            toml::Value::String(s) => s.clone(),
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Datetime(d) => d.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            other => {
                failures.push(format!("metric {key}: write the expected value as text or an integer, not {other}"));
                continue;
            }
        };
        let Some(m) = report.metric(key) else {
            failures.push(format!("metric {key} missing"));
            continue;
        };
        let got = m.value.clone().unwrap_or_default();
        let equal = match (crate::decimal::parse(&want_text), crate::decimal::parse(&got)) {
            (Some(w), Some(g)) => (w - g).abs() <= tol,
            _ => want_text == got,
        };
        if !equal {
            failures.push(format!("metric {key}: expected {want_text}, got {}", if got.is_empty() { "(empty)" } else { &got }));
        }
    }
    let codes: Vec<&str> = report.findings.iter().map(|f| f.code.as_str()).collect();
    for code in &case.expect.findings {
        if !codes.contains(&code.as_str()) {
            failures.push(format!("finding {code} expected; found {codes:?}"));
        }
    }
    for code in &case.expect.absent {
        if codes.contains(&code.as_str()) {
            failures.push(format!("finding {code} must not appear"));
        }
    }
    for d in &case.expect.decisions {
        let Some(got) = report.decisions.iter().find(|g| g.subject == d.subject) else {
            failures.push(format!("no decision for {}", d.subject));
            continue;
        };
        if got.outcome != d.outcome {
            failures.push(format!("{}: expected {}, got {} ({:?})", d.subject, d.outcome, got.outcome, got.reasons));
        }
        if let Some(a) = &d.amount {
            let same = match (crate::decimal::parse(a), got.amount.as_deref().and_then(crate::decimal::parse)) {
                (Some(x), Some(y)) => x == y,
                _ => false,
            };
            if !same {
                failures.push(format!("{}: expected amount {a}, got {:?}", d.subject, got.amount));
            }
        }
        if let Some(r) = &d.reasons
            && &got.reasons != r
        {
            failures.push(format!("{}: expected reasons {r:?}, got {:?}", d.subject, got.reasons));
        }
    }
    if let Some(max) = case.expect.max_fuel
        && report.run.fuel_used > max
    {
        failures.push(format!("fuel used {} exceeds the case's ceiling {max}", report.run.fuel_used));
    }
    result(failures)
}
