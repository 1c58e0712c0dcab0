//! From an evaluation to the ledger and back: the serial uses read from the input and
//! the plugin's decisions, the record, and the ledger's findings joined to the report.
//!
//! What counts as a use, by the shared input schema of the sheet:
//!
//! - `lvyue.portfolio.credits@1` (credit holdings): a row the plugin's surrender plan
//!   uses (a decision on the row with outcome `used` or `partly-used` and an amount),
//!   for the amount planned; `surrendered` once the user says the plan was carried out;
//! - `lvyue.portfolio.retired_offsets@1` (offsets retired for an event) and
//!   `lvyue.portfolio.green_certificates@1` (certificates): a row marked retired, for
//!   its quantity. A plugin that reads retired offsets makes claims other than
//!   compliance (an event), so its retirements are event claims.
//!
//! A block partly used is recorded as the whole block written on the row (the registry
//! decides which units go): split the row to record only the part surrendered.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use super::{ClaimKind, EvaluationRecord, NewUse, Recorded, SerialNote, UseStatus};
use crate::contract::{PluginInfo, Table, Value};
use crate::host::{Host, RunError};
use crate::job::Loaded;
use crate::ledger::{Conflict, Ledger};
use crate::report::{Bilingual, FindingOut, Report, Severity};

const CREDITS: &str = "lvyue.portfolio.credits@1";
const RETIRED_OFFSETS: &str = "lvyue.portfolio.retired_offsets@1";
const GREEN_CERTIFICATES: &str = "lvyue.portfolio.green_certificates@1";

fn text(v: &Value) -> Option<String> {
    match v {
        Value::Text(t) | Value::Number(t) | Value::Date(t) => Some(t.trim().to_string()).filter(|t| !t.is_empty()),
        _ => None,
    }
}

fn positive(amount: &str) -> bool {
    crate::decimal::parse(amount).is_some_and(|d| d > rust_decimal::Decimal::ZERO)
}

/// The serial uses of one evaluation. `tables` are the checked input tables.
pub fn uses(info: &PluginInfo, tables: &[Table], report: &Report, surrendered: bool) -> Vec<NewUse> {
    let event = info.input.iter().any(|s| s.schema.as_deref() == Some(RETIRED_OFFSETS));
    let planned: HashMap<(&str, &str), &str> = report
        .decisions
        .iter()
        .filter(|d| matches!(d.outcome.as_str(), "used" | "partly-used"))
        .filter_map(|d| Some(((d.table.as_str(), d.row.as_str()), d.amount.as_deref().filter(|a| positive(a))?)))
        .collect();
    let mut out = Vec::new();
    for spec in &info.input {
        let (serial_col, qty_col, unit, kind_col) = match spec.schema.as_deref() {
            Some(CREDITS) => ("serial", "quantity_t", "t", "credit_type"),
            Some(RETIRED_OFFSETS) => ("serial", "quantity_t", "t", "instrument"),
            Some(GREEN_CERTIFICATES) => ("certificate_id", "mwh", "MWh", ""),
            _ => continue,
        };
        let Some(table) = tables.iter().find(|t| t.key == spec.key) else {
            continue;
        };
        let col = |name: &str| table.columns.iter().position(|c| c == name);
        let (Some(serial_i), Some(qty_i)) = (col(serial_col), col(qty_col)) else {
            continue;
        };
        let (kind_i, retired_i, forestry_i) = (col(kind_col), col("retired"), col("new_forestry"));
        for row in &table.rows {
            let cell = |i: Option<usize>| i.and_then(|i| row.cells.get(i));
            let Some(serial) = cell(Some(serial_i)).and_then(|c| text(&c.value)) else {
                continue;
            };
            let quantity = cell(Some(qty_i)).and_then(|c| text(&c.value)).unwrap_or_default();
            let flag = |i: Option<usize>| matches!(cell(i).map(|c| &c.value), Some(Value::Boolean(true)));
            let instrument = cell(kind_i).and_then(|c| text(&c.value)).unwrap_or_else(|| {
                if spec.schema.as_deref() == Some(GREEN_CERTIFICATES) { "GREEN_CERTIFICATE".into() } else { String::new() }
            });
            let (status, claim, used) = if flag(retired_i) {
                (UseStatus::Retired, if event { ClaimKind::Event } else { ClaimKind::Compliance }, quantity.clone())
            } else if let Some(amount) = planned.get(&(table.key.as_str(), row.source.as_str())) {
                (if surrendered { UseStatus::Surrendered } else { UseStatus::Planned }, ClaimKind::Compliance, amount.to_string())
            } else {
                continue;
            };
            out.push(NewUse {
                serial,
                quantity,
                used,
                unit: unit.into(),
                instrument,
                status,
                claim,
                table: table.key.clone(),
                row: row.source.clone(),
                cell: cell(Some(serial_i)).map(|c| c.source.clone()).unwrap_or_default(),
                new_forestry: flag(forestry_i),
            });
        }
    }
    out
}

/// The digest of the rules a report used: the bundled rules' digest, and the override
/// files' or rules folder's digests when those were in use.
pub fn rules_digest(report: &Report) -> String {
    if report.plugin.rules_source == "bundled" {
        report.plugin.rules_sha256.clone()
    } else {
        let mut h = Sha256::new();
        h.update(report.plugin.rules_sha256.as_bytes());
        h.update(b"\n");
        h.update(report.plugin.rules_source.as_bytes());
        hex::encode(h.finalize())
    }
}

/// What decides an evaluation's result, as one digest: the entity, jurisdiction and
/// year, the input files' contents, the options, the plugin and the rules in use.
pub fn input_digest(entity: &str, loaded: &Loaded, plugin_sha256: &str, rules_digest: &str, surrendered: bool) -> String {
    let mut h = Sha256::new();
    let mut field = |s: &str| {
        h.update((s.len() as u64).to_le_bytes());
        h.update(s.as_bytes());
    };
    field(entity);
    field(&loaded.jurisdiction);
    field(&loaded.year.to_string());
    for i in &loaded.inputs {
        field(&i.sha256);
    }
    field("options");
    for (k, v) in &loaded.options {
        field(k);
        field(v);
    }
    field(plugin_sha256);
    field(rules_digest);
    field(if surrendered { "surrendered" } else { "planned" });
    hex::encode(h.finalize())
}

/// `compliant`, `shortfall` (a shortfall or gap above zero) or `errors` (error findings).
pub fn status(report: &Report) -> String {
    let errors = report.findings.iter().any(|f| f.severity == crate::report::Severity::Error);
    let short = ["shortfall_t", "gap_t"].iter().any(|k| report.metric(k).and_then(|m| m.value.as_deref()).is_some_and(positive));
    if errors {
        "errors"
    } else if short {
        "shortfall"
    } else {
        "compliant"
    }
    .into()
}

/// The record of one evaluation.
pub fn record(entity: &str, source: &str, input_digest: &str, report: &Report, uses: Vec<NewUse>) -> EvaluationRecord {
    let count = |s: Severity| report.findings.iter().filter(|f| f.severity == s).count() as u32;
    EvaluationRecord {
        entity: entity.to_string(),
        jurisdiction: report.jurisdiction.clone(),
        year: report.year,
        source: source.to_string(),
        input_digest: input_digest.to_string(),
        inputs: report.inputs.iter().map(|i| (i.path.clone(), i.sha256.clone())).collect(),
        options: report.options.clone(),
        plugin_id: report.plugin.id.clone(),
        plugin_version: report.plugin.version.clone(),
        plugin_sha256: report.plugin.component_sha256.clone(),
        rules_sha256: rules_digest(report),
        metrics: report.metrics.iter().map(|m| (m.key.clone(), m.value.clone(), m.unit.clone())).collect(),
        findings: [count(Severity::Error), count(Severity::Warning), count(Severity::Info)],
        status: status(report),
        uses,
    }
}

fn finding(severity: Severity, code: &str, zh: String, en: String, cell: &str) -> FindingOut {
    FindingOut {
        severity,
        code: code.into(),
        message: Bilingual { zh: zh.clone(), en: en.clone() },
        message_zh: zh,
        message_en: en,
        cells: if cell.is_empty() { vec![] } else { vec![cell.to_string()] },
    }
}

/// What the ledger's codes mean, for the report's code list.
fn describe(code: &str) -> Option<Bilingual> {
    let (zh, en) = match code {
        "LEDGER_SERIAL_USED_TWICE" => (
            "台账：同一序列号区段已由其他主体或在其他年度使用（清华大学报告 DC-03）",
            "Ledger: the same serial block was used by another entity or in another year (Tsinghua report DC-03)",
        ),
        "LEDGER_SERIAL_SEVERAL_CLAIMS" => (
            "台账：同一序列号区段用于多项声明（履约与活动碳中和，或两个市场的履约；DC-17）",
            "Ledger: the same serial block serves several claims (compliance and an event, or two markets' compliance; DC-17)",
        ),
        "LEDGER_FORESTRY_SINK_REUSED" => {
            ("台账：新建林业碳汇量用于碳中和后再次使用（DC-19）", "Ledger: a new forestry sink used for neutrality is used again (DC-19)")
        }
        "LEDGER_SERIAL_NOT_A_BLOCK" => (
            "台账：序列号无法读作区段，按整体编号比对",
            "Ledger: the serial cannot be read as a block; it is compared as a whole identifier",
        ),
        _ => return None,
    };
    Some(Bilingual { zh: zh.into(), en: en.into() })
}

/// The ledger's findings for a report: each overlap (error) and each serial compared as
/// a whole identifier (info).
pub fn findings(conflicts: &[Conflict], notes: &[SerialNote], entity: &str, report: &Report) -> Vec<FindingOut> {
    let mut out = Vec::new();
    for c in conflicts {
        let (zh, en) = c.messages(entity, &report.jurisdiction, report.year);
        out.push(finding(Severity::Error, c.check.code(), zh, en, &c.new_cell));
    }
    for n in notes {
        let (zh, en) = n.messages();
        out.push(finding(Severity::Info, SerialNote::CODE, zh, en, &n.cell));
    }
    out
}

/// Records one evaluation in the ledger and joins the ledger's findings to its report.
/// `loaded` is the input the report came from.
pub fn record_report(
    ledger: &mut Ledger,
    host: &Host,
    entity: &str,
    source: &str,
    surrendered: bool,
    loaded: &Loaded,
    report: &mut Report,
) -> Result<Recorded, RunError> {
    let bundle = host.find(&report.plugin.id).ok_or_else(|| RunError::NotFound(report.plugin.id.clone()))?;
    let info = host.describe(bundle)?;
    let tables = crate::input::check(&info.input, &loaded.tables).map_err(RunError::BadInput)?;
    let uses = uses(&info, &tables, report, surrendered);
    let digest = input_digest(entity, loaded, &report.plugin.component_sha256, &rules_digest(report), surrendered);
    let rec = record(entity, source, &digest, report, uses);
    let recorded = ledger.record(&rec).map_err(|e| RunError::Io(format!("ledger {}: {e}", ledger.path())))?;
    let added = findings(&recorded.conflicts, &recorded.notes, entity, report);
    for f in &added {
        if let Some(d) = describe(&f.code) {
            report.codes.entry(f.code.clone()).or_insert(d);
        }
    }
    report.findings.extend(added);
    Ok(recorded)
}
