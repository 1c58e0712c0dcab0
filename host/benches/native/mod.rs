//! The cn-ets plugin run natively, outside the sandbox: the floor under the
//! sandbox's time in benchmarks 2 and 3 (diagnostics `2h` and `3f`).
//!
//! The plugin crate is linked into this benchmark as an ordinary Rust library
//! and called through the SDK's own entry point for contract 1.1
//! (`lvyue_sdk::export::evaluate_columns`), with the same columnar request
//! the host lowers into the guest. What it measures is everything the
//! plugin does on its side of the boundary — reading the columns in place,
//! the rules, packing the result as columns — compiled for this machine, with
//! no WebAssembly, no fuel metering, no lowering and no lifting. The
//! difference between `3b` and this is what the sandbox costs.
//!
//! The host's generated types and the SDK's are two bindings of the same WIT
//! (`plugins/wit/lvyue-compliance-1.1.0/`), so the request is moved from one
//! to the other field by field here; the copy is outside the timing.

use lvyue::contract::since_v1_1::wit as host;
use lvyue::contract::{Confidence, Parameter, Period, Value};
use lvyue_sdk::bindings::lvyue::compliance::columns as sdk;
use lvyue_sdk::bindings::lvyue::compliance::types as sdk_types;

/// `n` copies of the host's request as the SDK's columnar request, made
/// before a timing (each native run consumes one, as the guest does).
pub fn requests(request: &lvyue::contract::Request, n: usize) -> std::vec::IntoIter<sdk::Request> {
    let columns = lvyue::contract::since_v1_1::to_columns(request).expect("the request packs as columns");
    (0..n).map(|_| self::request(columns.clone())).collect::<Vec<_>>().into_iter()
}

/// The host's columnar request as the SDK's generated type.
fn request(r: host::Request) -> sdk::Request {
    sdk::Request {
        jurisdiction: r.jurisdiction,
        period: period(r.period),
        parameters: r.parameters.into_iter().map(parameter).collect(),
        tables: r.tables.into_iter().map(table).collect(),
        options: r.options,
    }
}

/// Runs cn-ets natively on the request. The evaluation is returned, to be
/// dropped outside the timing: a guest's memory goes with its instance.
pub fn evaluate(r: sdk::Request) -> sdk::Evaluation {
    lvyue_sdk::export::evaluate_columns::<lvyue_plugin_cn_ets::CnEts>(r)
        .unwrap_or_else(|e| panic!("cn-ets refused the request natively: {e:?}"))
}

/// Whether a native evaluation has the sandbox's metrics (keys and values,
/// in order) and as many trace steps: the same run, on either side.
pub fn agrees(native: &sdk::Evaluation, sandboxed: &lvyue::contract::Evaluation) -> bool {
    native.trace.clauses.ends.len() == sandboxed.trace.len()
        && native.metrics.len() == sandboxed.metrics.len()
        && native.metrics.iter().zip(&sandboxed.metrics).all(|(n, s)| {
            // One generated type on both sides, compared by its printed form.
            n.key == s.key && format!("{:?}", n.value) == format!("{:?}", value(s.value.clone()))
        })
}

fn period(p: Period) -> sdk_types::Period {
    sdk_types::Period { year: p.year, start: p.start, end: p.end }
}

fn value(v: Value) -> sdk_types::Value {
    match v {
        Value::Empty => sdk_types::Value::Empty,
        Value::Number(n) => sdk_types::Value::Number(n),
        Value::Text(t) => sdk_types::Value::Text(t),
        Value::Date(d) => sdk_types::Value::Date(d),
        Value::Boolean(b) => sdk_types::Value::Boolean(b),
    }
}

fn parameter(p: Parameter) -> sdk_types::Parameter {
    sdk_types::Parameter {
        key: p.key,
        value: value(p.value),
        unit: p.unit,
        effective: p.effective,
        reference: p.reference,
        confidence: match p.confidence {
            Confidence::Verified => sdk_types::Confidence::Verified,
            Confidence::Secondary => sdk_types::Confidence::Secondary,
            Confidence::Unverified => sdk_types::Confidence::Unverified,
            Confidence::Draft => sdk_types::Confidence::Draft,
        },
        note: p.note,
    }
}

fn texts(t: host::Texts) -> sdk::Texts {
    sdk::Texts { data: t.data, ends: t.ends }
}

fn numbers(n: host::Numbers) -> sdk::Numbers {
    sdk::Numbers { mantissas: n.mantissas, scales: n.scales, texts: texts(n.texts) }
}

fn dates(d: host::Dates) -> sdk::Dates {
    sdk::Dates { days: d.days, texts: texts(d.texts) }
}

fn kind(k: lvyue::contract::ValueKind) -> sdk_types::ValueKind {
    use lvyue::contract::ValueKind as K;
    match k {
        K::Number => sdk_types::ValueKind::Number,
        K::Text => sdk_types::ValueKind::Text,
        K::Date => sdk_types::ValueKind::Date,
        K::Boolean => sdk_types::ValueKind::Boolean,
    }
}

fn column(c: host::Column) -> sdk::Column {
    let values = match c.values {
        host::ColumnValues::Numbers(n) => sdk::ColumnValues::Numbers(numbers(n)),
        host::ColumnValues::Texts(t) => sdk::ColumnValues::Texts(texts(t)),
        host::ColumnValues::Dates(d) => sdk::ColumnValues::Dates(dates(d)),
        host::ColumnValues::Booleans(b) => sdk::ColumnValues::Booleans(b),
        host::ColumnValues::Mixed(m) => sdk::ColumnValues::Mixed(sdk::MixedValues {
            kinds: m.kinds.into_iter().map(kind).collect(),
            numbers: numbers(m.numbers),
            texts: texts(m.texts),
            dates: dates(m.dates),
            booleans: m.booleans,
        }),
    };
    sdk::Column { present: c.present, values }
}

fn origin(o: host::Origin) -> sdk::Origin {
    sdk::Origin {
        sheet: o.sheet,
        style: match o.style {
            host::RowStyle::SheetRow => sdk::RowStyle::SheetRow,
            host::RowStyle::Indexed => sdk::RowStyle::Indexed,
        },
        first_row: o.first_row,
        row_numbers: o.row_numbers,
        columns: o
            .columns
            .into_iter()
            .map(|c| match c {
                host::ColumnOrigin::Letter(s) => sdk::ColumnOrigin::Letter(s),
                host::ColumnOrigin::Field(s) => sdk::ColumnOrigin::Field(s),
                host::ColumnOrigin::Absent(s) => sdk::ColumnOrigin::Absent(s),
            })
            .collect(),
        exception_rows: o.exception_rows,
        exception_columns: o.exception_columns,
        exceptions: texts(o.exceptions),
    }
}

fn table(t: host::Table) -> sdk::Table {
    sdk::Table {
        key: t.key,
        columns: t.columns,
        rows: t.rows,
        values: t.values.into_iter().map(column).collect(),
        origin: origin(t.origin),
    }
}
