//! The machine-readable result of an evaluation (`--json`), stable for scripts.
//!
//! Numbers are exact decimal text. Nothing here depends on the clock or the
//! machine, so the same request gives the same report byte for byte.
//!
//! Writers of the report: [`xlsx`] (the compliance workbook), [`render`]
//! (documents from tera templates); [`formula`] checks and shows the metric
//! formulas.

pub mod formula;
pub mod render;
pub mod xlsx;

use serde::Serialize;

use crate::contract::{Evaluation, Severity, Value};
use crate::rules::{value_text, ResolvedParameter};
use crate::sandbox::Run;

#[derive(Debug, Serialize, Clone, PartialEq)]
pub struct Report {
    pub tool: String,
    pub contract: String,
    pub plugin: PluginStamp,
    pub jurisdiction: String,
    pub year: u16,
    pub period: Period,
    pub inputs: Vec<InputStamp>,
    pub options: Vec<(String, String)>,
    pub parameters: Vec<ResolvedParameter>,
    pub metrics: Vec<MetricOut>,
    pub decisions: Vec<DecisionOut>,
    pub findings: Vec<FindingOut>,
    pub trace: Vec<TraceOut>,
    pub tables: Vec<TableOut>,
    pub run: RunStats,
}

#[derive(Debug, Serialize, Clone, PartialEq)]
pub struct PluginStamp {
    pub id: String,
    pub version: String,
    pub contract: String,
    pub component_sha256: String,
    pub rules_sha256: String,
    pub origin: String,
    pub rules_source: String,
}

#[derive(Debug, Serialize, Clone, PartialEq)]
pub struct Period {
    pub start: String,
    pub end: String,
}

#[derive(Debug, Serialize, Clone, PartialEq)]
pub struct InputStamp {
    pub path: String,
    pub sha256: String,
}

#[derive(Debug, Serialize, Clone, PartialEq)]
pub struct MetricOut {
    pub key: String,
    /// "number", "text", "date", "boolean" or "empty".
    pub kind: &'static str,
    /// Exact text of the value; null when empty.
    pub value: Option<String>,
    pub unit: String,
    pub label_zh: String,
    pub label_en: String,
    pub trace_step: Option<u32>,
    /// How it follows from other metrics and parameters (checked by the host).
    pub formula: Option<String>,
}

#[derive(Debug, Serialize, Clone, PartialEq)]
pub struct DecisionOut {
    pub table: String,
    pub row: String,
    pub subject: String,
    pub outcome: String,
    pub amount: Option<String>,
    pub unit: Option<String>,
    pub reasons: Vec<String>,
}

#[derive(Debug, Serialize, Clone, PartialEq)]
pub struct FindingOut {
    pub severity: &'static str,
    pub code: String,
    pub message_zh: String,
    pub message_en: String,
    pub cells: Vec<String>,
}

#[derive(Debug, Serialize, Clone, PartialEq)]
pub struct TraceOut {
    pub index: u32,
    pub clause: String,
    pub description_zh: String,
    pub description_en: String,
    pub parameters: Vec<String>,
    pub inputs: Vec<String>,
    pub value: Option<String>,
    pub unit: Option<String>,
}

#[derive(Debug, Serialize, Clone, PartialEq)]
pub struct TableOut {
    pub key: String,
    pub name_zh: String,
    pub name_en: String,
    pub columns: Vec<ColumnOut>,
    pub rows: Vec<Vec<Option<String>>>,
    pub charts: Vec<ChartOut>,
}

#[derive(Debug, Serialize, Clone, PartialEq)]
pub struct ChartOut {
    pub title_zh: String,
    pub title_en: String,
    /// "column", "bar" or "pie".
    pub kind: &'static str,
    pub category_column: String,
    pub value_columns: Vec<String>,
}

#[derive(Debug, Serialize, Clone, PartialEq)]
pub struct ColumnOut {
    pub key: String,
    pub name_zh: String,
    pub name_en: String,
    pub unit: Option<String>,
}

#[derive(Debug, Serialize, Clone, PartialEq)]
pub struct RunStats {
    pub fuel_used: u64,
    pub fuel_limit: u64,
    pub peak_memory_bytes: usize,
    pub log: String,
    pub log_truncated: bool,
}

pub fn severity_name(s: Severity) -> &'static str {
    match s {
        Severity::Info => "info",
        Severity::Warning => "warning",
        Severity::Error => "error",
    }
}

pub fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Empty => "empty",
        Value::Number(_) => "number",
        Value::Text(_) => "text",
        Value::Date(_) => "date",
        Value::Boolean(_) => "boolean",
    }
}

fn opt(v: &Value) -> Option<String> {
    match v {
        Value::Empty => None,
        other => Some(value_text(other)),
    }
}

/// Everything about the run that is not the plugin's own output.
pub struct Stamp {
    pub plugin: PluginStamp,
    pub jurisdiction: String,
    pub year: u16,
    pub period: Period,
    pub inputs: Vec<InputStamp>,
    pub options: Vec<(String, String)>,
    pub parameters: Vec<ResolvedParameter>,
}

pub fn build(stamp: Stamp, run: &Run<Evaluation>) -> Report {
    let e = &run.value;
    Report {
        tool: format!("lvyue {}", crate::TOOL_VERSION),
        contract: format!("{}@{}", crate::contract::CONTRACT_PACKAGE, crate::contract::CONTRACT_VERSION),
        plugin: stamp.plugin,
        jurisdiction: stamp.jurisdiction,
        year: stamp.year,
        period: stamp.period,
        inputs: stamp.inputs,
        options: stamp.options,
        parameters: stamp.parameters,
        metrics: e
            .metrics
            .iter()
            .map(|m| MetricOut {
                key: m.key.clone(),
                kind: kind_of(&m.value),
                value: opt(&m.value),
                unit: m.unit.clone(),
                label_zh: m.label.zh.clone(),
                label_en: m.label.en.clone(),
                trace_step: m.trace_step,
                formula: m.formula.clone(),
            })
            .collect(),
        decisions: e
            .decisions
            .iter()
            .map(|d| DecisionOut {
                table: d.table.clone(),
                row: d.row.clone(),
                subject: d.subject.clone(),
                outcome: d.outcome.clone(),
                amount: d.amount.clone(),
                unit: d.unit.clone(),
                reasons: d.reasons.clone(),
            })
            .collect(),
        findings: e
            .findings
            .iter()
            .map(|f| FindingOut {
                severity: severity_name(f.severity),
                code: f.code.clone(),
                message_zh: f.message.zh.clone(),
                message_en: f.message.en.clone(),
                cells: f.cells.clone(),
            })
            .collect(),
        trace: e
            .trace
            .iter()
            .enumerate()
            .map(|(i, s)| TraceOut {
                index: i as u32,
                clause: s.clause.clone(),
                description_zh: s.description.zh.clone(),
                description_en: s.description.en.clone(),
                parameters: s.parameters.clone(),
                inputs: s.inputs.clone(),
                value: opt(&s.value),
                unit: s.unit.clone(),
            })
            .collect(),
        tables: e
            .tables
            .iter()
            .map(|t| TableOut {
                key: t.key.clone(),
                name_zh: t.name.zh.clone(),
                name_en: t.name.en.clone(),
                columns: t
                    .columns
                    .iter()
                    .map(|c| ColumnOut { key: c.key.clone(), name_zh: c.name.zh.clone(), name_en: c.name.en.clone(), unit: c.unit.clone() })
                    .collect(),
                rows: t.rows.iter().map(|r| r.iter().map(opt).collect()).collect(),
                charts: t
                    .charts
                    .iter()
                    .map(|c| ChartOut {
                        title_zh: c.title.zh.clone(),
                        title_en: c.title.en.clone(),
                        kind: match c.kind {
                            crate::contract::ChartKind::Column => "column",
                            crate::contract::ChartKind::Bar => "bar",
                            crate::contract::ChartKind::Pie => "pie",
                        },
                        category_column: c.category_column.clone(),
                        value_columns: c.value_columns.clone(),
                    })
                    .collect(),
            })
            .collect(),
        run: RunStats {
            fuel_used: run.fuel_used,
            fuel_limit: run.fuel_limit,
            peak_memory_bytes: run.peak_memory_bytes,
            log: run.log.clone(),
            log_truncated: run.log_truncated,
        },
    }
}

impl Report {
    /// Checks every metric formula against the metric's value, exactly.
    pub fn check_formulas(&self) -> Result<(), String> {
        use std::collections::HashMap;
        let mut values: HashMap<String, rust_decimal::Decimal> = HashMap::new();
        for p in &self.parameters {
            if p.kind == "number" {
                if let Some(d) = crate::decimal::parse(&p.value) {
                    values.insert(p.key.clone(), d);
                }
            }
        }
        for m in &self.metrics {
            if let Some(d) = m.value.as_deref().filter(|_| m.kind == "number").and_then(crate::decimal::parse) {
                values.insert(m.key.clone(), d);
            }
        }
        for m in &self.metrics {
            let Some(f) = &m.formula else { continue };
            let expr = crate::report::formula::parse(f).map_err(|e| format!("metric {}: {e}", m.key))?;
            let got = expr.eval(&values).map_err(|e| format!("metric {}: formula `{f}`: {e}", m.key))?;
            let value = values.get(&m.key).ok_or_else(|| format!("metric {} has a formula but no number value", m.key))?;
            if got != *value {
                return Err(format!("metric {}: formula `{f}` gives {}, the plugin says {}", m.key, crate::decimal::format(got), crate::decimal::format(*value)));
            }
        }
        Ok(())
    }

    pub fn metric(&self, key: &str) -> Option<&MetricOut> {
        self.metrics.iter().find(|m| m.key == key)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("report serialises") + "\n"
    }
}
