//! Documents rendered from a report with tera templates.
//!
//! A plugin's templates live in `report-templates/<plugin id>/` (built-in
//! plugins; embedded by `host/build.rs`) or in its bundle's `report-templates/`
//! folder. A template `declaration.zh.md.tera` renders to
//! `<jurisdiction>-<year>-declaration.zh.md`.
//!
//! The context has `report` (the JSON report, see `report.rs`), and for
//! convenience `metrics`, `parameters` and `tables` keyed by their keys,
//! `findings` grouped by severity (`findings.error`, `.warning`, `.info`),
//! and `plugin` (id, version, names). Numbers are exact decimal text; the
//! `thousands` filter groups digits (`1234567.5` → `1,234,567.5`) and
//! `decimals(places=2)` rounds exactly, half away from zero (`0.6379166` → `0.64`).

use std::collections::{BTreeMap, HashMap};

use serde_json::{Value, json};

use crate::report::Report;

#[derive(Debug, thiserror::Error)]
#[error("template {name}: {message}")]
pub struct RenderError {
    pub name: String,
    pub message: String,
}

fn thousands(value: &Value, _: &HashMap<String, Value>) -> tera::Result<Value> {
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Null => return Ok(Value::String(String::new())),
        other => return Ok(other.clone()),
    };
    Ok(Value::String(group_thousands(&text)))
}

/// Exact decimal text with its digits grouped (`1234567.5` → `1,234,567.5`);
/// anything that is not a decimal number is returned as it is.
pub(crate) fn group_thousands(text: &str) -> String {
    let (sign, rest) = text.strip_prefix('-').map(|r| ("-", r)).unwrap_or(("", text));
    let (int, frac) = rest.split_once('.').map(|(i, f)| (i, Some(f))).unwrap_or((rest, None));
    if int.is_empty() || !int.chars().all(|c| c.is_ascii_digit()) || !frac.is_none_or(|f| f.chars().all(|c| c.is_ascii_digit())) {
        return text.to_string();
    }
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}{grouped}{}", frac.map(|f| format!(".{f}")).unwrap_or_default())
}

fn decimals(value: &Value, args: &HashMap<String, Value>) -> tera::Result<Value> {
    let places = args.get("places").and_then(Value::as_u64).unwrap_or(2) as u32;
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        other => return Ok(other.clone()),
    };
    Ok(match crate::decimal::parse(&text) {
        Some(d) => {
            let r = d.round_dp_with_strategy(places, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
            Value::String(format!("{:.*}", places as usize, r))
        }
        None => Value::String(text),
    })
}

/// The template context for a report.
pub(crate) fn context(report: &Report) -> Value {
    let r = serde_json::to_value(report).expect("report serialises");
    let by_key = |items: &Value, key: &str| -> Value {
        let mut map = serde_json::Map::new();
        for item in items.as_array().into_iter().flatten() {
            if let Some(k) = item.get(key).and_then(Value::as_str) {
                map.insert(k.to_string(), item.clone());
            }
        }
        Value::Object(map)
    };
    let mut findings: BTreeMap<&str, Vec<Value>> = BTreeMap::from([("error", vec![]), ("warning", vec![]), ("info", vec![])]);
    for f in r["findings"].as_array().into_iter().flatten() {
        findings.entry(f["severity"].as_str().unwrap_or("info")).or_default().push(f.clone());
    }
    json!({
        "report": r,
        "metrics": by_key(&r["metrics"], "key"),
        "parameters": by_key(&r["parameters"], "key"),
        "tables": by_key(&r["tables"], "key"),
        "findings": findings,
        "plugin": { "id": report.plugin.id, "version": report.plugin.version, "name_zh": report.plugin.name.zh, "name_en": report.plugin.name.en },
    })
}

/// Renders every template; returns (output file name, text) pairs in template order.
pub fn render_all(templates: &[(String, String)], report: &Report) -> Result<Vec<(String, String)>, RenderError> {
    let mut tera = tera::Tera::default();
    tera.register_filter("thousands", thousands);
    tera.register_filter("decimals", decimals);
    let mut names = Vec::new();
    for (name, text) in templates {
        let Some(stem) = name.strip_suffix(".tera") else { continue };
        tera.add_raw_template(name, text).map_err(|e| RenderError { name: name.clone(), message: chain(&e) })?;
        names.push((name.clone(), stem.to_string()));
    }
    let ctx = tera::Context::from_value(context(report)).map_err(|e| RenderError { name: "context".into(), message: chain(&e) })?;
    let mut out = Vec::new();
    for (name, stem) in names {
        let text = tera.render(&name, &ctx).map_err(|e| RenderError { name: name.clone(), message: chain(&e) })?;
        let file = stem.rsplit('/').next().unwrap_or(&stem);
        out.push((format!("{}-{}-{file}", report.jurisdiction, report.year), text));
    }
    Ok(out)
}

fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_round_exactly_half_away_from_zero() {
        let f = |s: &str, p: u64| decimals(&Value::String(s.into()), &HashMap::from([("places".to_string(), Value::from(p))])).unwrap();
        assert_eq!(f("0.6379166", 2), "0.64");
        assert_eq!(f("2.5", 0), "3");
        assert_eq!(f("-2.5", 0), "-3");
        assert_eq!(f("1.005", 2), "1.01");
        assert_eq!(f("7", 2), "7.00");
        assert_eq!(f("n/a", 2), "n/a");
    }

    #[test]
    fn thousands_groups_digits_exactly() {
        let f = |s: &str| thousands(&Value::String(s.into()), &HashMap::new()).unwrap();
        assert_eq!(f("1234567.125"), "1,234,567.125");
        assert_eq!(f("-1000"), "-1,000");
        assert_eq!(f("999"), "999");
        assert_eq!(f("2025-12-31"), "2025-12-31");
    }
}
