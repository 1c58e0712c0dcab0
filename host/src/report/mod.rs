//! The machine-readable result of an evaluation (`--json`), stable for scripts.
//!
//! Numbers are exact decimal text. Nothing here depends on the clock or the
//! machine, so the same request gives the same report byte for byte.
//!
//! Writers of the report: [`xlsx`] (the compliance workbook), [`render`]
//! (documents from tera templates), [`html`] (the printable result); [`formula`] checks and shows the metric
//! formulas. The report carries all they need (the plugin's name, the
//! descriptions of the codes it uses), so no writer goes back to the host.
//!
//! Kinds, severities and confidence marks stay enums until serialised; every
//! bilingual text is one [`Bilingual`] (`{"zh": …, "en": …}` in JSON). The
//! flat `*_zh`/`*_en` keys of 0.1 are still written beside them for one
//! release (see CHANGELOG.md) and will then be removed.

pub mod answer;
pub mod continuation;
pub mod formula;
pub mod html;
pub mod render;
pub mod xlsx;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::contract::{Evaluation, Value};
use crate::rules::ResolvedParameter;
pub use crate::rules::{Bilingual, Kind};
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
    /// What each finding and reason code used in this report means, as the plugin declares it.
    pub codes: BTreeMap<String, Bilingual>,
    pub run: RunStats,
}

#[derive(Debug, Serialize, Clone, PartialEq)]
pub struct PluginStamp {
    pub id: String,
    pub name: Bilingual,
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
    pub kind: Kind,
    /// Exact text of the value; null when empty.
    pub value: Option<String>,
    pub unit: String,
    pub label: Bilingual,
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
    pub severity: Severity,
    pub code: String,
    pub message: Bilingual,
    pub message_zh: String,
    pub message_en: String,
    pub cells: Vec<String>,
}

#[derive(Debug, Serialize, Clone, PartialEq)]
pub struct TraceOut {
    pub index: u32,
    pub clause: String,
    pub description: Bilingual,
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
    pub name: Bilingual,
    pub name_zh: String,
    pub name_en: String,
    pub columns: Vec<ColumnOut>,
    pub rows: Vec<Vec<Option<String>>>,
    pub charts: Vec<ChartOut>,
}

#[derive(Debug, Serialize, Clone, PartialEq)]
pub struct ChartOut {
    pub title: Bilingual,
    pub title_zh: String,
    pub title_en: String,
    pub kind: ChartKind,
    pub category_column: String,
    pub value_columns: Vec<String>,
}

#[derive(Debug, Serialize, Clone, PartialEq)]
pub struct ColumnOut {
    pub key: String,
    pub name: Bilingual,
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

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl From<crate::contract::Severity> for Severity {
    fn from(s: crate::contract::Severity) -> Severity {
        match s {
            crate::contract::Severity::Info => Severity::Info,
            crate::contract::Severity::Warning => Severity::Warning,
            crate::contract::Severity::Error => Severity::Error,
        }
    }
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The kind of chart a result table asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChartKind {
    Column,
    Bar,
    Pie,
}

fn text(t: crate::contract::TextZhEn) -> Bilingual {
    Bilingual { zh: t.zh, en: t.en }
}

/// A value's text, moved; `None` when empty.
fn opt(v: Value) -> Option<String> {
    match v {
        Value::Empty => None,
        Value::Number(s) | Value::Text(s) | Value::Date(s) => Some(s),
        Value::Boolean(b) => Some(b.to_string()),
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

/// The report of one run: the stamp, and the plugin's output moved (not copied) into the report's own types.
/// `declared` holds the descriptions of the codes the plugin declares.
pub fn build(stamp: Stamp, run: Run<Evaluation>, declared: &BTreeMap<String, Bilingual>) -> Report {
    let e = run.value;
    let mut codes = BTreeMap::new();
    let used = e.findings.iter().map(|f| &f.code).chain(e.decisions.iter().flat_map(|d| &d.reasons));
    for code in used {
        if let Some(d) = declared.get(code) {
            codes.entry(code.clone()).or_insert_with(|| d.clone());
        }
    }
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
            .into_iter()
            .map(|m| MetricOut {
                key: m.key,
                kind: Kind::of(&m.value),
                value: opt(m.value),
                unit: m.unit,
                label_zh: m.label.zh.clone(),
                label_en: m.label.en.clone(),
                label: text(m.label),
                trace_step: m.trace_step,
                formula: m.formula,
            })
            .collect(),
        decisions: e
            .decisions
            .into_iter()
            .map(|d| DecisionOut {
                table: d.table,
                row: d.row,
                subject: d.subject,
                outcome: d.outcome,
                amount: d.amount,
                unit: d.unit,
                reasons: d.reasons,
            })
            .collect(),
        findings: e
            .findings
            .into_iter()
            .map(|f| FindingOut {
                severity: f.severity.into(),
                code: f.code,
                message_zh: f.message.zh.clone(),
                message_en: f.message.en.clone(),
                message: text(f.message),
                cells: f.cells,
            })
            .collect(),
        trace: e
            .trace
            .into_iter()
            .enumerate()
            .map(|(i, s)| TraceOut {
                index: i as u32,
                clause: s.clause,
                description_zh: s.description.zh.clone(),
                description_en: s.description.en.clone(),
                description: text(s.description),
                parameters: s.parameters,
                inputs: s.inputs,
                value: opt(s.value),
                unit: s.unit,
            })
            .collect(),
        tables: e
            .tables
            .into_iter()
            .map(|t| TableOut {
                key: t.key,
                name_zh: t.name.zh.clone(),
                name_en: t.name.en.clone(),
                name: text(t.name),
                columns: t
                    .columns
                    .into_iter()
                    .map(|c| ColumnOut {
                        key: c.key,
                        name_zh: c.name.zh.clone(),
                        name_en: c.name.en.clone(),
                        name: text(c.name),
                        unit: c.unit,
                    })
                    .collect(),
                rows: t.rows.into_iter().map(|r| r.into_iter().map(opt).collect()).collect(),
                charts: t
                    .charts
                    .into_iter()
                    .map(|c| ChartOut {
                        title_zh: c.title.zh.clone(),
                        title_en: c.title.en.clone(),
                        title: text(c.title),
                        kind: match c.kind {
                            crate::contract::ChartKind::Column => ChartKind::Column,
                            crate::contract::ChartKind::Bar => ChartKind::Bar,
                            crate::contract::ChartKind::Pie => ChartKind::Pie,
                        },
                        category_column: c.category_column,
                        value_columns: c.value_columns,
                    })
                    .collect(),
            })
            .collect(),
        codes,
        run: RunStats {
            fuel_used: run.fuel_used,
            fuel_limit: run.fuel_limit,
            peak_memory_bytes: run.peak_memory_bytes,
            log: run.log,
            log_truncated: run.log_truncated,
        },
    }
}

impl FindingOut {
    /// A finding made by the host (e.g. the ledger's), with the legacy flat keys filled.
    pub fn new(severity: Severity, code: &str, message: Bilingual, cells: Vec<String>) -> FindingOut {
        FindingOut { severity, code: code.to_string(), message_zh: message.zh.clone(), message_en: message.en.clone(), message, cells }
    }
}

impl Report {
    /// Checks every metric formula against the metric's value, exactly.
    pub(crate) fn check_formulas(&self) -> Result<(), String> {
        use std::collections::HashMap;
        let mut values: HashMap<String, rust_decimal::Decimal> = HashMap::new();
        for p in &self.parameters {
            if p.kind == Kind::Number
                && let Some(d) = crate::decimal::parse(&p.value)
            {
                values.insert(p.key.clone(), d);
            }
        }
        for m in &self.metrics {
            if let Some(d) = m.value.as_deref().filter(|_| m.kind == Kind::Number).and_then(crate::decimal::parse) {
                values.insert(m.key.clone(), d);
            }
        }
        for m in &self.metrics {
            let Some(f) = &m.formula else { continue };
            let expr = crate::report::formula::parse(f).map_err(|e| format!("metric {}: {e}", m.key))?;
            let got = expr.eval(&values).map_err(|e| format!("metric {}: formula `{f}`: {e}", m.key))?;
            let value = values.get(&m.key).ok_or_else(|| format!("metric {} has a formula but no number value", m.key))?;
            if got != *value {
                return Err(format!(
                    "metric {}: formula `{f}` gives {}, the plugin says {}",
                    m.key,
                    crate::decimal::format(got),
                    crate::decimal::format(*value)
                ));
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
