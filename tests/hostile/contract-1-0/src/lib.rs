//! `hostile-contract-1-0`: not hostile, old. A plugin built from the frozen
//! WIT of contract 1.0.0 (`plugins/wit/lvyue-compliance-1.0.0/`) with
//! wit-bindgen alone, no SDK: the shape of a plugin released before contract
//! 1.1 and never rebuilt. The host must run it through 1.0's `evaluate` and
//! give the results it always gave (host/tests/all/contract_versions.rs).
//!
//! It reads the table `sources` (text `name`, number `tonnes`, date `since`,
//! boolean `counted`) and returns every kind of output: metrics with a
//! formula, a decision and a finding per row, trace steps naming the input
//! cells, and a result table with a value of every kind.
//!
//! This file is frozen with the contract: do not edit it.

wit_bindgen::generate!({
    path: "../../../plugins/wit/lvyue-compliance-1.0.0",
    world: "compliance-plugin",
});

use exports::lvyue::compliance::plugin::Guest;
use lvyue::compliance::types::*;

const ID: &str = "hostile-contract-1-0";

fn t(zh: &str, en: &str) -> TextZhEn {
    TextZhEn { zh: zh.into(), en: en.into() }
}

fn column(key: &str, kind: ValueKind, unit: Option<&str>, required: bool) -> ColumnSpec {
    ColumnSpec {
        key: key.into(),
        name: t(key, key),
        kind,
        unit: unit.map(Into::into),
        required,
        choices: vec![],
        minimum: None,
        help: t("", ""),
        examples: vec![],
    }
}

/// Exact sum of decimal texts with up to 6 places, in millionths.
fn micro(text: &str) -> i128 {
    let (neg, body) = text.strip_prefix('-').map(|b| (true, b)).unwrap_or((false, text));
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    let mut frac = frac.to_string();
    frac.truncate(6);
    while frac.len() < 6 {
        frac.push('0');
    }
    let v = int.parse::<i128>().unwrap_or(0) * 1_000_000 + frac.parse::<i128>().unwrap_or(0);
    if neg { -v } else { v }
}

fn text_of(micro: i128) -> String {
    let sign = if micro < 0 { "-" } else { "" };
    let m = micro.abs();
    let frac = format!("{:06}", m % 1_000_000);
    let frac = frac.trim_end_matches('0');
    if frac.is_empty() { format!("{sign}{}", m / 1_000_000) } else { format!("{sign}{}.{frac}", m / 1_000_000) }
}

struct Frozen;

impl Guest for Frozen {
    fn describe() -> PluginInfo {
        PluginInfo {
            id: ID.into(),
            version: "0.1.0".into(),
            name: t("契约 1.0 插件", "Contract 1.0 plugin"),
            jurisdictions: vec![ID.into()],
            years: vec![2024],
            parameters: vec![],
            metrics: vec![
                MetricSpec { key: "total_t".into(), unit: "t".into(), label: t("合计", "Total") },
                MetricSpec { key: "counted_t".into(), unit: "t".into(), label: t("计入", "Counted") },
                MetricSpec { key: "rows".into(), unit: "1".into(), label: t("行数", "Rows") },
            ],
            findings: vec![FindingSpec {
                code: "NOT_COUNTED".into(), severity: Severity::Info, description: t("不计入", "Not counted")
            }],
            input: vec![SheetSpec {
                key: "sources".into(),
                name: t("排放源", "Sources"),
                schema: None,
                required: false,
                columns: vec![
                    column("name", ValueKind::Text, None, true),
                    column("tonnes", ValueKind::Number, Some("t"), false),
                    column("since", ValueKind::Date, None, false),
                    column("counted", ValueKind::Boolean, None, false),
                ],
                unique_key: vec![],
                help: t("", ""),
            }],
        }
    }

    fn evaluate(req: Request) -> Result<Evaluation, EvaluationError> {
        let mut metrics = Vec::new();
        let mut decisions = Vec::new();
        let mut findings = Vec::new();
        let mut trace = Vec::new();
        let mut rows = Vec::new();
        let (mut total, mut counted) = (0i128, 0i128);
        let (mut total_cells, mut counted_cells) = (Vec::new(), Vec::new());
        if let Some(table) = req.tables.iter().find(|t| t.key == "sources") {
            let at = |key: &str| table.columns.iter().position(|c| c == key);
            let (name, tonnes, since, flag) = (at("name"), at("tonnes"), at("since"), at("counted"));
            for row in &table.rows {
                let cell = |i: Option<usize>| i.and_then(|i| row.cells.get(i));
                let name_v = match cell(name).map(|c| &c.value) {
                    Some(Value::Text(s)) => s.clone(),
                    _ => String::new(),
                };
                let amount = match cell(tonnes).map(|c| &c.value) {
                    Some(Value::Number(n)) => Some(n.clone()),
                    _ => None,
                };
                let is_counted = !matches!(cell(flag).map(|c| &c.value), Some(Value::Boolean(false)));
                if let Some(n) = &amount {
                    total += micro(n);
                    total_cells.push(cell(tonnes).map(|c| c.source.clone()).unwrap_or_default());
                    if is_counted {
                        counted += micro(n);
                        counted_cells.push(cell(tonnes).map(|c| c.source.clone()).unwrap_or_default());
                    }
                }
                if !is_counted {
                    findings.push(Finding {
                        severity: Severity::Info,
                        code: "NOT_COUNTED".into(),
                        message: t(&format!("{} 不计入", row.source), &format!("{} is not counted", row.source)),
                        cells: vec![cell(flag).map(|c| c.source.clone()).unwrap_or_default()],
                    });
                }
                decisions.push(Decision {
                    table: "sources".into(),
                    row: row.source.clone(),
                    subject: name_v.clone(),
                    outcome: if is_counted { "counted" } else { "not-counted" }.into(),
                    amount: amount.clone(),
                    unit: amount.as_ref().map(|_| "t".to_string()),
                    reasons: if is_counted { vec![] } else { vec!["NOT_COUNTED".into()] },
                });
                rows.push(vec![
                    Value::Text(name_v),
                    amount.map(Value::Number).unwrap_or(Value::Empty),
                    cell(since).map(|c| c.value.clone()).unwrap_or(Value::Empty),
                    Value::Boolean(is_counted),
                    Value::Text(row.source.clone()),
                    Value::Text(cell(name).map(|c| c.source.clone()).unwrap_or_default()),
                ]);
            }
        }
        trace.push(TraceStep {
            clause: "Frozen §1".into(),
            description: t("合计", "Total"),
            parameters: vec![],
            inputs: total_cells,
            value: Value::Number(text_of(total)),
            unit: Some("t".into()),
        });
        trace.push(TraceStep {
            clause: "Frozen §2".into(),
            description: t("计入", "Counted"),
            parameters: vec![],
            inputs: counted_cells,
            value: Value::Number(text_of(counted)),
            unit: Some("t".into()),
        });
        trace.push(TraceStep {
            clause: "Frozen §3".into(),
            description: t("期间", "Period"),
            parameters: vec![],
            inputs: vec!["trace:0".into()],
            value: Value::Date(req.period.end.clone()),
            unit: None,
        });
        metrics.push(Metric {
            key: "total_t".into(),
            value: Value::Number(text_of(total)),
            unit: "t".into(),
            label: t("合计", "Total"),
            trace_step: Some(0),
            formula: None,
        });
        metrics.push(Metric {
            key: "counted_t".into(),
            value: Value::Number(text_of(counted)),
            unit: "t".into(),
            label: t("计入", "Counted"),
            trace_step: Some(1),
            formula: None,
        });
        metrics.push(Metric {
            key: "rows".into(),
            value: Value::Number(rows.len().to_string()),
            unit: "1".into(),
            label: t("行数", "Rows"),
            trace_step: None,
            formula: None,
        });
        let col = |key: &str| ResultColumn { key: key.into(), name: t(key, key), unit: None };
        let tables = vec![ResultTable {
            key: "sources".into(),
            name: t("排放源", "Sources"),
            columns: vec![col("name"), col("tonnes"), col("since"), col("counted"), col("row"), col("name_cell")],
            rows,
            charts: vec![ChartSpec {
                title: t("排放", "Emissions"),
                kind: ChartKind::Bar,
                category_column: "name".into(),
                value_columns: vec!["tonnes".into()],
            }],
        }];
        Ok(Evaluation { metrics, decisions, findings, trace, tables })
    }
}

export!(Frozen);
