//! `hostile-broken-columns`: a contract 1.1 plugin (wit-bindgen, no SDK)
//! whose columnar result breaks the contract. The host must refuse each lie
//! with a clear error (`PluginFailure::Contract` or `ResultCap`), never
//! panic, allocate what the lie claims, or read past a buffer.
//!
//! Option `mode`:
//! - `ends` (default): a string end past the end of its buffer;
//! - `boundary`: a string end inside a multi-byte character;
//! - `count`: a result table whose column has fewer values than its rows;
//! - `scale`: a decimal with scale 40;
//! - `rows`: a result table of 4,294,967,295 rows and no columns (cheap to
//!   claim, ruinous to believe);
//! - `lists`: a finding whose cells run past the strings given.

wit_bindgen::generate!({
    path: "../../../plugins/wit/lvyue-compliance-1.1.0",
    world: "compliance-plugin",
});

use exports::lvyue::compliance::plugin::{ColumnsEvaluation, ColumnsRequest, Guest};
use lvyue::compliance::columns::{Column, ColumnValues, Decisions, Findings, Numbers, ResultTable, Texts, Trace};
use lvyue::compliance::types::{Evaluation, EvaluationError, PluginInfo, Request, Severity, TextZhEn};

const ID: &str = "hostile-broken-columns";

fn texts(items: &[&str]) -> Texts {
    let mut data = String::new();
    let mut ends = Vec::new();
    for s in items {
        data.push_str(s);
        ends.push(data.len() as u32);
    }
    Texts { data, ends }
}

fn empty_column() -> Column {
    Column { present: vec![], values: ColumnValues::Texts(texts(&[])) }
}

fn empty() -> ColumnsEvaluation {
    ColumnsEvaluation {
        metrics: vec![],
        decisions: Decisions {
            tables: texts(&[]),
            rows: texts(&[]),
            subjects: texts(&[]),
            outcomes: texts(&[]),
            amounts: Column {
                present: vec![],
                values: ColumnValues::Numbers(Numbers { mantissas: vec![], scales: vec![], texts: texts(&[]) }),
            },
            units: empty_column(),
            reasons: texts(&[]),
            reason_ends: vec![],
        },
        findings: Findings {
            severities: vec![],
            codes: texts(&[]),
            messages_zh: texts(&[]),
            messages_en: texts(&[]),
            cells: texts(&[]),
            cell_ends: vec![],
        },
        trace: Trace {
            clauses: texts(&[]),
            descriptions_zh: texts(&[]),
            descriptions_en: texts(&[]),
            parameters: texts(&[]),
            parameter_ends: vec![],
            inputs: texts(&[]),
            input_ends: vec![],
            values: empty_column(),
            units: empty_column(),
        },
        tables: vec![],
    }
}

fn table(rows: u32, values: Vec<Column>) -> ResultTable {
    let columns = (0..values.len())
        .map(|i| lvyue::compliance::types::ResultColumn {
            key: format!("c{i}"),
            name: TextZhEn { zh: "列".into(), en: "Column".into() },
            unit: None,
        })
        .collect();
    ResultTable { key: "broken".into(), name: TextZhEn { zh: "坏表".into(), en: "Broken".into() }, columns, rows, values, charts: vec![] }
}

struct BrokenColumns;

impl Guest for BrokenColumns {
    fn describe() -> PluginInfo {
        PluginInfo {
            id: ID.into(),
            version: "0.1.0".into(),
            name: TextZhEn { zh: "坏列".into(), en: "Broken columns".into() },
            jurisdictions: vec![ID.into()],
            years: vec![2024],
            parameters: vec![],
            metrics: vec![],
            findings: vec![],
            input: vec![],
        }
    }

    fn evaluate(_req: Request) -> Result<Evaluation, EvaluationError> {
        Ok(Evaluation { metrics: vec![], decisions: vec![], findings: vec![], trace: vec![], tables: vec![] })
    }

    fn evaluate_columns(req: ColumnsRequest) -> Result<ColumnsEvaluation, EvaluationError> {
        let mode = req.options.iter().find(|(k, _)| k == "mode").map(|(_, v)| v.as_str()).unwrap_or("ends");
        let mut e = empty();
        match mode {
            "boundary" => {
                let mut t = texts(&["数字"]);
                t.ends = vec![1];
                e.tables.push(table(1, vec![Column { present: vec![1], values: ColumnValues::Texts(t) }]));
            }
            "count" => e.tables.push(table(3, vec![Column { present: vec![0b111], values: ColumnValues::Texts(texts(&["a", "b"])) }])),
            "scale" => e.tables.push(table(
                1,
                vec![Column {
                    present: vec![1],
                    values: ColumnValues::Numbers(Numbers { mantissas: vec![1], scales: vec![40], texts: texts(&[]) }),
                }],
            )),
            "rows" => e.tables.push(table(u32::MAX, vec![])),
            "lists" => {
                e.findings = Findings {
                    severities: vec![Severity::Warning],
                    codes: texts(&["X"]),
                    messages_zh: texts(&["x"]),
                    messages_en: texts(&["x"]),
                    cells: texts(&["A1"]),
                    cell_ends: vec![1_000_000],
                }
            }
            _ => {
                let mut t = texts(&["abc"]);
                t.ends = vec![1_000_000];
                e.tables.push(table(1, vec![Column { present: vec![1], values: ColumnValues::Texts(t) }]));
            }
        }
        Ok(e)
    }
}

export!(BrokenColumns);
