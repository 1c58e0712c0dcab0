//! The lvyue plugin SDK.
//!
//! A jurisdiction plugin is a `cdylib` crate built for `wasm32-wasip2`. It
//! implements [`Plugin`] and exports itself with [`export_plugin!`]:
//!
//! ```ignore
//! struct MyRules;
//! impl lvyue_sdk::Plugin for MyRules {
//!     fn describe() -> lvyue_sdk::PluginInfo { /* … */ }
//!     fn evaluate(req: lvyue_sdk::Request) -> Result<lvyue_sdk::Evaluation, lvyue_sdk::EvaluationError> {
//!         // See "Performance" below.
//!         let req = std::mem::ManuallyDrop::new(req);
//!         let ctx = lvyue_sdk::Context::new(&req);
//!         let mut out = lvyue_sdk::Output::default();
//!         // read ctx.table(..), ctx.param_decimal(..), push metrics with out.metric(..)
//!         Ok(out.finish())
//!     }
//! }
//! lvyue_sdk::export_plugin!(MyRules);
//! ```
//!
//! What the SDK gives:
//! - the contract types (`bindings`, re-exported at the top level), with the
//!   request's tables as the SDK's own [`Table`] (see below);
//! - exact decimals ([`Decimal`], [`dec`], [`fmt_dec`]);
//! - typed access to input tables and parameters ([`Context`], [`RowView`]);
//! - an output builder with a trace ([`Output`]); a step citing many cells
//!   holds them as [`Ref`]s, written only into the step ([`Output::step_citing`]);
//! - the shared input schemas every plugin agrees on ([`schemas`]);
//! - rounding as the rules state it, with a trace step per rounding ([`rounding`]);
//! - one evaluation's state for plugins that declare their metrics and findings
//!   once, in a catalogue: parameters recorded as used, metrics labelled and
//!   findings graded from the catalogue, one unverified-parameter report ([`eval`]);
//! - the plugin's identity (id, version, name, years) read from its
//!   `plugin.toml` when it is compiled ([`identity!`]);
//! - with the feature `offsets` (default), the offset rules and the whole
//!   evaluation of a pilot market: a pilot plugin is its `PilotSpec` and one
//!   `pilot_plugin!` line (`offsets::pilot`).
//!
//! Contract versions: the SDK builds against `lvyue:compliance@1.1.0`
//! ([`CONTRACT_VERSION`]) and exports both of its calls from the same plugin
//! code: `evaluate-columns`, where the host passes tables as columns and the
//! SDK reads them in place ([`columns`]), and 1.0's `evaluate`, with rows.
//! With the feature `contract-1-0` it builds against the frozen 1.0.0
//! contract instead (the host's compatibility tests build plugins both ways).
//!
//! Performance: the host gives every call a fresh instance and throws it away
//! afterwards, so a plugin need not free the request. Wrapping it in
//! `std::mem::ManuallyDrop` skips freeing it (with 1.0's rows, for 100,000
//! input rows that was 15–20 % of the call's time and 40 % of its fuel; with
//! 1.1's columns it is a few large buffers). The results are the same.

pub mod bindings {
    #[cfg(not(feature = "contract-1-0"))]
    wit_bindgen::generate!({
        path: "../wit/lvyue-compliance-1.1.0",
        world: "compliance-plugin",
        pub_export_macro: true,
        export_macro_name: "export_plugin_bindings",
        default_bindings_module: "lvyue_sdk::bindings",
    });
    #[cfg(feature = "contract-1-0")]
    wit_bindgen::generate!({
        path: "../wit/lvyue-compliance-1.0.0",
        world: "compliance-plugin",
        pub_export_macro: true,
        export_macro_name: "export_plugin_bindings",
        default_bindings_module: "lvyue_sdk::bindings",
    });
}

pub mod columns;
pub mod dates;
pub mod eval;
mod evaluation;
pub mod identity;
#[cfg(feature = "offsets")]
pub mod offsets;
pub mod refs;
pub mod rounding;
pub mod schemas;

pub use bindings::lvyue::compliance::types::{
    Cell, ChartKind, ChartSpec, ColumnSpec, Confidence, Decision, EvaluationError, Finding, FindingSpec, Metric, MetricSpec, Parameter,
    ParameterSpec, Period, PluginInfo, ResultColumn, Row, Severity, SheetSpec, TextZhEn, TraceStep, Value, ValueKind,
};
pub use evaluation::{Evaluation, ResultRows, ResultTable, ResultValue, Trace};
pub use refs::Ref;
pub use rust_decimal::Decimal;

use std::collections::HashMap;
use std::fmt;
use std::rc::Rc;
use std::str::FromStr;

use columns::Packed;

impl PluginInfo {
    /// A plugin of one jurisdiction, named by its id, that declares no
    /// parameters, metrics, findings or input: a starting point (tests,
    /// sketches) to fill in with struct update syntax.
    pub fn bare(id: &str, version: &str, name: TextZhEn, years: &[u16]) -> PluginInfo {
        PluginInfo {
            id: id.into(),
            version: version.into(),
            name,
            jurisdictions: vec![id.into()],
            years: years.to_vec(),
            parameters: vec![],
            metrics: vec![],
            findings: vec![],
            input: vec![],
        }
    }
}

/// A plugin: what it is and needs ([`Plugin::describe`]) and the
/// evaluation of one request ([`Plugin::evaluate`]). Export it with
/// [`export_plugin!`]; the SDK answers each of the contract's calls with these two.
pub trait Plugin {
    fn describe() -> PluginInfo;
    fn evaluate(req: Request) -> Result<Evaluation, EvaluationError>;
}

/// One evaluation request: the period, the resolved parameters, the input
/// tables and the options. The contract's `request`, with the tables as the
/// SDK's [`Table`] (read in place from the host's columns).
#[derive(Debug, Clone)]
pub struct Request {
    pub jurisdiction: String,
    pub period: Period,
    pub parameters: Vec<Parameter>,
    pub tables: Vec<Table>,
    /// Free options, e.g. ("carbon_price_cny", "95.5").
    pub options: Vec<(String, String)>,
}

/// One input table: its sheet key, its column keys and its rows.
#[derive(Debug, Clone)]
pub struct Table {
    /// The sheet-spec key.
    pub key: String,
    /// Column keys, in the order of each row's cells.
    pub columns: Vec<String>,
    pub rows: Rows,
}

impl Table {
    /// The reference of a cell, e.g. "Emission sources!C12", by row index and
    /// column key: computed from where the table came from (contract 1.1
    /// passes no reference per cell). Empty when there is no such cell.
    pub fn cell_ref(&self, row: usize, column: &str) -> String {
        let Some(j) = self.columns.iter().position(|c| c == column) else { return String::new() };
        self.rows.cell_ref(row, j)
    }
}

/// The rows of a [`Table`]: those the host passed (as columns, read in place,
/// or as 1.0 rows), then any a plugin adds with [`Rows::push`].
#[derive(Clone, Default)]
pub struct Rows {
    packed: Option<Rc<Packed>>,
    rows: Vec<Row>,
}

impl Rows {
    pub(crate) fn packed(p: Rc<Packed>) -> Rows {
        Rows { packed: Some(p), rows: Vec::new() }
    }

    fn packed_len(&self) -> usize {
        self.packed.as_ref().map_or(0, |p| p.rows)
    }

    pub fn len(&self) -> usize {
        self.packed_len() + self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds a row after the others.
    pub fn push(&mut self, row: Row) {
        self.rows.push(row);
    }

    /// Row `i` as a record (1.0's form), made on request.
    pub fn get(&self, i: usize) -> Option<Row> {
        match &self.packed {
            Some(p) if i < p.rows => Some(p.row(i)),
            _ => self.rows.get(i - self.packed_len()).cloned(),
        }
    }

    /// The reference of row `i`, column index `j`.
    fn cell_ref(&self, i: usize, j: usize) -> String {
        match &self.packed {
            Some(p) if i < p.rows => p.origin.cell_ref(i, j),
            _ => self.rows.get(i - self.packed_len()).and_then(|r| r.cells.get(j)).map(|c| c.source.clone()).unwrap_or_default(),
        }
    }
}

impl From<Vec<Row>> for Rows {
    fn from(rows: Vec<Row>) -> Rows {
        Rows { packed: None, rows }
    }
}

impl fmt::Debug for Rows {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rows").field("packed", &self.packed).field("rows", &self.rows).finish()
    }
}

impl Request {
    /// A 1.0 request (rows).
    pub fn from_rows(r: bindings::lvyue::compliance::types::Request) -> Request {
        Request {
            jurisdiction: r.jurisdiction,
            period: r.period,
            parameters: r.parameters,
            tables: r.tables.into_iter().map(|t| Table { key: t.key, columns: t.columns, rows: t.rows.into() }).collect(),
            options: r.options,
        }
    }
}

/// What [`export_plugin!`] calls; not for plugin code.
#[doc(hidden)]
pub mod export {
    use super::*;

    pub fn evaluate_rows<P: Plugin>(
        req: bindings::lvyue::compliance::types::Request,
    ) -> Result<bindings::lvyue::compliance::types::Evaluation, EvaluationError> {
        P::evaluate(Request::from_rows(req)).map(Evaluation::into_rows)
    }

    #[cfg(not(feature = "contract-1-0"))]
    pub fn evaluate_columns<P: Plugin>(
        req: bindings::lvyue::compliance::columns::Request,
    ) -> Result<bindings::lvyue::compliance::columns::Evaluation, EvaluationError> {
        evaluation::packing(|| P::evaluate(columns::wire::request(req))).map(columns::wire::evaluation)
    }
}

/// Exports a type implementing [`Plugin`] as the component's `plugin` interface
/// (with contract 1.1, both its calls: `evaluate` with rows and `evaluate-columns`).
#[macro_export]
#[rustfmt::skip] // rustfmt cannot parse `export_plugin_bindings!`'s `with_types_in` and misindents the body
macro_rules! export_plugin {
    ($ty:ident) => {
        const _: () = {
            struct LvyueExport;
            impl $crate::bindings::exports::lvyue::compliance::plugin::Guest for LvyueExport {
                fn describe() -> $crate::PluginInfo {
                    <$ty as $crate::Plugin>::describe()
                }
                fn evaluate(
                    request: $crate::bindings::lvyue::compliance::types::Request,
                ) -> Result<$crate::bindings::lvyue::compliance::types::Evaluation, $crate::EvaluationError> {
                    $crate::export::evaluate_rows::<$ty>(request)
                }
                $crate::export_columns!($ty);
            }
            $crate::bindings::export_plugin_bindings!(LvyueExport with_types_in $crate::bindings);
        };
    };
}

/// Contract 1.1's `evaluate-columns`, inside [`export_plugin!`]; not for plugin code.
#[doc(hidden)]
#[cfg(not(feature = "contract-1-0"))]
#[macro_export]
macro_rules! export_columns {
    ($ty:ident) => {
        fn evaluate_columns(
            request: $crate::bindings::lvyue::compliance::columns::Request,
        ) -> Result<$crate::bindings::lvyue::compliance::columns::Evaluation, $crate::EvaluationError> {
            $crate::export::evaluate_columns::<$ty>(request)
        }
    };
}

/// Contract 1.0 has no `evaluate-columns`.
#[doc(hidden)]
#[cfg(feature = "contract-1-0")]
#[macro_export]
macro_rules! export_columns {
    ($ty:ident) => {};
}

/// The finding code for a result that depends on a parameter not verified in the official text.
pub const PARAMETER_NOT_VERIFIED: &str = "PARAMETER_NOT_VERIFIED";

/// The contract version this SDK builds against.
#[cfg(not(feature = "contract-1-0"))]
pub const CONTRACT_VERSION: &str = "1.1.0";
/// The contract version this SDK builds against.
#[cfg(feature = "contract-1-0")]
pub const CONTRACT_VERSION: &str = "1.0.0";

/// The name of a confidence mark, as written in rules files.
pub fn confidence_name(c: Confidence) -> &'static str {
    match c {
        Confidence::Verified => "verified",
        Confidence::Secondary => "secondary",
        Confidence::Unverified => "unverified",
        Confidence::Draft => "draft",
    }
}

/// A bilingual text.
pub fn t(zh: &str, en: &str) -> TextZhEn {
    TextZhEn { zh: zh.to_string(), en: en.to_string() }
}

/// Parses a contract decimal ("-12.345"). Returns `None` on malformed text.
///
/// ```
/// use lvyue_sdk::{dec, fmt_dec};
/// // Exact: 0.1 + 0.2 is 0.3, not 0.30000000000000004.
/// assert_eq!(fmt_dec(dec("0.1").unwrap() + dec("0.2").unwrap()), "0.3");
/// assert!(dec("1e6").is_none(), "no exponents across the boundary");
/// ```
pub fn dec(text: &str) -> Option<Decimal> {
    if text.is_empty() || text.contains(['e', 'E']) {
        return None;
    }
    Decimal::from_str(text).ok()
}

/// Formats a decimal canonically: no exponent, no trailing zeros after the point.
pub fn fmt_dec(d: Decimal) -> String {
    d.normalize().to_string()
}

/// A number value.
pub fn num(d: Decimal) -> Value {
    Value::Number(fmt_dec(d))
}

/// A text value.
pub fn text(s: impl Into<String>) -> Value {
    Value::Text(s.into())
}

/// Read access to a request: its tables by key and its parameters by key.
///
/// ```
/// use lvyue_sdk::*;
/// let request = Request {
///     jurisdiction: "demo".into(),
///     period: Period { year: 2024, start: "2024-01-01".into(), end: "2024-12-31".into() },
///     parameters: vec![Parameter {
///         key: "offsets.cap_ratio".into(),
///         value: Value::Number("0.05".into()),
///         unit: None,
///         effective: "2021-02-01".into(),
///         reference: "Measures Art. 29".into(),
///         confidence: Confidence::Verified,
///         note: None,
///     }],
///     tables: vec![Table {
///         key: "emission_sources".into(),
///         columns: vec!["emissions_t".into()],
///         rows: vec![Row {
///             source: "Sources!2".into(),
///             cells: vec![Cell { value: Value::Number("1000".into()), source: "Sources!F2".into() }],
///         }]
///         .into(),
///     }],
///     options: vec![],
/// };
/// let ctx = Context::new(&request);
/// assert_eq!(ctx.param_decimal("offsets.cap_ratio").unwrap(), dec("0.05").unwrap());
/// let row = ctx.table("emission_sources").rows().next().unwrap();
/// assert_eq!(row.decimal("emissions_t"), dec("1000"));
/// assert_eq!(row.at("emissions_t"), "Sources!F2");
/// assert!(matches!(ctx.param_decimal("missing"), Err(EvaluationError::MissingParameter(_))));
/// ```
pub struct Context<'a> {
    pub request: &'a Request,
    params: HashMap<&'a str, &'a Parameter>,
}

impl<'a> Context<'a> {
    pub fn new(request: &'a Request) -> Self {
        let params = request.parameters.iter().map(|p| (p.key.as_str(), p)).collect();
        Context { request, params }
    }

    pub fn year(&self) -> u16 {
        self.request.period.year
    }

    pub fn parameter(&self, key: &str) -> Result<&'a Parameter, EvaluationError> {
        self.params.get(key).copied().ok_or_else(|| EvaluationError::MissingParameter(key.to_string()))
    }

    /// A number parameter. Missing or non-numeric is a `missing-parameter` error.
    pub fn param_decimal(&self, key: &str) -> Result<Decimal, EvaluationError> {
        match &self.parameter(key)?.value {
            Value::Number(n) => dec(n).ok_or_else(|| EvaluationError::MissingParameter(format!("{key} (not a decimal: {n})"))),
            _ => Err(EvaluationError::MissingParameter(format!("{key} (expected a number)"))),
        }
    }

    /// A date parameter ("YYYY-MM-DD").
    pub fn param_date(&self, key: &str) -> Result<&'a str, EvaluationError> {
        match &self.parameter(key)?.value {
            Value::Date(d) => Ok(d.as_str()),
            _ => Err(EvaluationError::MissingParameter(format!("{key} (expected a date)"))),
        }
    }

    /// A text parameter.
    pub fn param_text(&self, key: &str) -> Result<&'a str, EvaluationError> {
        match &self.parameter(key)?.value {
            Value::Text(d) => Ok(d.as_str()),
            _ => Err(EvaluationError::MissingParameter(format!("{key} (expected text)"))),
        }
    }

    /// Parameters whose confidence is not `verified`, for a finding that says so.
    pub fn unverified_parameters(&self, keys: &[&str]) -> Vec<&'a Parameter> {
        keys.iter().filter_map(|k| self.params.get(k).copied()).filter(|p| !matches!(p.confidence, Confidence::Verified)).collect()
    }

    /// The option value for `key`, if given.
    pub fn option(&self, key: &str) -> Option<&'a str> {
        self.request.options.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// A table by sheet key; an absent optional table reads as empty.
    pub fn table(&self, key: &str) -> TableView<'a> {
        TableView { table: self.request.tables.iter().find(|t| t.key == key) }
    }
}

/// A read view of one input table.
pub struct TableView<'a> {
    table: Option<&'a Table>,
}

impl<'a> TableView<'a> {
    pub fn is_present(&self) -> bool {
        self.table.is_some()
    }

    pub fn len(&self) -> usize {
        self.table.map_or(0, |t| t.rows.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn rows(&self) -> impl Iterator<Item = RowView<'a>> + 'a {
        let table = self.table;
        table.into_iter().flat_map(|t| {
            let packed = t.rows.packed.as_deref();
            let n = packed.map_or(0, |p| p.rows);
            let columns: &'a [String] = &t.columns;
            (0..n)
                .map(move |i| RowView { columns, at: At::Packed(packed.expect("rows counted from it"), i) })
                .chain(t.rows.rows.iter().map(move |r| RowView { columns, at: At::Row(r) }))
        })
    }

    /// The reference of a cell by row index and column key, e.g.
    /// "Emission sources!C12" (empty if there is no such cell).
    pub fn cell_ref(&self, row: usize, column: &str) -> String {
        self.table.map(|t| t.cell_ref(row, column)).unwrap_or_default()
    }
}

/// One input row; cells are looked up by column key.
#[derive(Clone, Copy)]
pub struct RowView<'a> {
    columns: &'a [String],
    at: At<'a>,
}

#[derive(Clone, Copy)]
enum At<'a> {
    /// Row `usize` of a table the host passed as columns.
    Packed(&'a Packed, usize),
    /// A row passed as a record (contract 1.0) or added by the plugin.
    Row(&'a Row),
}

impl<'a> RowView<'a> {
    #[inline]
    fn index(&self, key: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == key)
    }

    /// Where the row came from, e.g. "Holdings!7".
    pub fn source(&self) -> &'a str {
        match self.at {
            At::Packed(p, i) => p.row_source(i),
            At::Row(r) => &r.source,
        }
    }

    /// The cell of a column: its value and its reference.
    pub fn cell(&self, key: &str) -> Option<Cell> {
        let j = self.index(key)?;
        match self.at {
            At::Packed(p, i) => Some(Cell { value: p.columns.get(j)?.value(i), source: p.origin.cell_ref(i, j) }),
            At::Row(r) => r.cells.get(j).cloned(),
        }
    }

    /// The cell reference of a column, e.g. "Holdings!F7" (empty if absent).
    pub fn at(&self, key: &str) -> String {
        self.cite(key).into()
    }

    /// The cell of a column as a [`Ref`]: its reference without making the
    /// text (for a step that cites many cells; empty if absent).
    pub fn cite(&self, key: &str) -> Ref<'a> {
        let Some(j) = self.index(key) else { return Ref::text("") };
        match self.at {
            At::Packed(p, i) if j < p.columns.len() => Ref::cell(&p.origin, i, j),
            At::Packed(..) => Ref::text(""),
            At::Row(r) => r.cells.get(j).map_or(Ref::text(""), |c| Ref::text(&c.source)),
        }
    }

    /// The row as a [`Ref`], e.g. "Holdings!7" (as [`RowView::source`]) without making the text.
    pub fn cite_row(&self) -> Ref<'a> {
        match self.at {
            At::Packed(p, i) => Ref::row(&p.origin, i),
            At::Row(r) => Ref::text(&r.source),
        }
    }

    pub fn decimal(&self, key: &str) -> Option<Decimal> {
        let j = self.index(key)?;
        match self.at {
            At::Packed(p, i) => p.columns.get(j)?.decimal(i),
            At::Row(r) => match &r.cells.get(j)?.value {
                Value::Number(n) => dec(n),
                _ => None,
            },
        }
    }

    pub fn text(&self, key: &str) -> Option<&'a str> {
        let j = self.index(key)?;
        match self.at {
            At::Packed(p, i) => p.columns.get(j)?.text(i),
            At::Row(r) => match &r.cells.get(j)?.value {
                Value::Text(s) => Some(s.as_str()),
                _ => None,
            },
        }
    }

    pub fn date(&self, key: &str) -> Option<&'a str> {
        let j = self.index(key)?;
        match self.at {
            At::Packed(p, i) => p.columns.get(j)?.date(i),
            At::Row(r) => match &r.cells.get(j)?.value {
                Value::Date(s) => Some(s.as_str()),
                _ => None,
            },
        }
    }

    pub fn boolean(&self, key: &str) -> Option<bool> {
        let j = self.index(key)?;
        match self.at {
            At::Packed(p, i) => p.columns.get(j)?.boolean(i),
            At::Row(r) => match &r.cells.get(j)?.value {
                Value::Boolean(b) => Some(*b),
                _ => None,
            },
        }
    }
}

/// Builds an [`Evaluation`]: metrics, decisions, findings, trace and tables.
///
/// Every number gets a trace step naming the clause, the parameters and the
/// input cells; a metric that follows from others states its formula, which
/// the host checks exactly and shows as a live spreadsheet formula.
///
/// ```
/// use lvyue_sdk::*;
/// let mut out = Output::default();
/// let obligation = dec("1000000").unwrap();
/// let s = out.step(
///     Step { clause: "Measures Art. 28", zh: "应清缴量", en: "Obligation", parameters: &[], inputs: vec!["Sources!F2".into()] },
///     num(obligation),
///     Some("t"),
/// );
/// out.metric("obligation_t", num(obligation), "t", t("应清缴量", "Obligation"), Some(s));
/// let cap = obligation * dec("0.05").unwrap();
/// let s = out.step(
///     Step { clause: "Measures Art. 29", zh: "抵销上限", en: "Offset cap", parameters: &["offsets.cap_ratio"], inputs: vec![Output::ref_step(s)] },
///     num(cap),
///     Some("t"),
/// );
/// out.metric_with_formula("offset_cap_t", num(cap), "t", t("抵销上限", "Offset cap"), Some(s), "obligation_t * offsets.cap_ratio");
/// let evaluation = out.finish();
/// assert!(matches!(&evaluation.metrics[1].value, Value::Number(n) if n == "50000"));
/// assert_eq!(evaluation.trace.into_steps()[1].inputs, ["trace:0"]);
/// ```
#[derive(Default)]
pub struct Output {
    metrics: Vec<Metric>,
    decisions: Vec<Decision>,
    findings: Vec<Finding>,
    trace: Trace,
    tables: Vec<ResultTable>,
}

/// A trace step under construction; see [`Output::step`].
pub struct Step<'a> {
    pub clause: &'a str,
    pub zh: &'a str,
    pub en: &'a str,
    pub parameters: &'a [&'a str],
    pub inputs: Vec<String>,
}

impl Output {
    /// Records a trace step and returns its index.
    pub fn step(&mut self, step: Step<'_>, value: Value, unit: Option<&str>) -> u32 {
        self.step_citing(step, &[], value, unit)
    }

    /// Records a trace step whose inputs are `step.inputs` followed by
    /// `cited`, and returns its index: for a step citing many cells, whose
    /// references are written only here, into the trace (see [`Ref`]).
    pub fn step_citing(&mut self, step: Step<'_>, cited: &[Ref<'_>], value: Value, unit: Option<&str>) -> u32 {
        self.trace.push_citing(
            TraceStep {
                clause: step.clause.to_string(),
                description: t(step.zh, step.en),
                parameters: step.parameters.iter().map(|s| s.to_string()).collect(),
                inputs: step.inputs,
                value,
                unit: unit.map(str::to_string),
            },
            cited,
        );
        (self.trace.len() - 1) as u32
    }

    /// Makes room in the trace, once, for the references in `lists` that the
    /// steps recorded next will cite ([`Output::step_citing`]).
    ///
    /// For a plugin citing a long table's cells in several steps: without it,
    /// the buffer the references are written into moves each time it fills,
    /// holding the old buffer and the new one (for 100,000 sources, about
    /// 6 MB of references, the peak of the guest's memory). The trace is the
    /// same either way; only its room is made differently.
    pub fn reserve_citations<'r>(&mut self, lists: impl IntoIterator<Item = &'r [Ref<'r>]>) {
        let (n, bytes) = lists.into_iter().flatten().fold((0, 0), |(n, b), r| (n + 1, b + r.text_len()));
        self.trace.reserve_cited(n, bytes);
    }

    /// A reference to an earlier trace step, for use in `Step::inputs`.
    pub fn ref_step(index: u32) -> String {
        Ref::step(index).into()
    }

    /// Records a metric computed by trace step `step`.
    pub fn metric(&mut self, key: &str, value: Value, unit: &str, label: TextZhEn, step: Option<u32>) {
        self.metrics.push(Metric { key: key.to_string(), value, unit: unit.to_string(), label, trace_step: step, formula: None });
    }

    /// Records a metric that follows from earlier metrics by `formula`
    /// (metric keys, numbers, + - * /, parentheses, min, max); reports show it
    /// as a live formula and the host checks it gives `value`.
    pub fn metric_with_formula(&mut self, key: &str, value: Value, unit: &str, label: TextZhEn, step: Option<u32>, formula: &str) {
        self.metrics.push(Metric {
            key: key.to_string(),
            value,
            unit: unit.to_string(),
            label,
            trace_step: step,
            formula: Some(formula.to_string()),
        });
    }

    pub fn finding(&mut self, severity: Severity, code: &str, message: TextZhEn, cells: Vec<String>) {
        self.findings.push(Finding { severity, code: code.to_string(), message, cells });
    }

    pub fn decision(&mut self, decision: Decision) {
        self.decisions.push(decision);
    }

    pub fn table(&mut self, table: ResultTable) {
        self.tables.push(table);
    }

    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| matches!(f.severity, Severity::Error))
    }

    /// Stops the evaluation with the error findings collected so far, as an
    /// `invalid-input` error (the host reports them with their cells, exit 3).
    pub fn fail_if_errors(&mut self) -> Result<(), EvaluationError> {
        if self.has_errors() {
            let errors = std::mem::take(&mut self.findings).into_iter().filter(|f| matches!(f.severity, Severity::Error)).collect();
            return Err(EvaluationError::InvalidInput(errors));
        }
        Ok(())
    }

    /// One [`PARAMETER_NOT_VERIFIED`] warning for each parameter in `used`
    /// whose value is not marked verified: the output says what it depends on.
    pub fn report_unverified(&mut self, ctx: &Context, used: &[&str]) {
        self.report_unverified_noted(ctx, used, false);
    }

    /// [`Output::report_unverified`], each parameter's note after its text when `notes`.
    pub(crate) fn report_unverified_noted(&mut self, ctx: &Context, used: &[&str], notes: bool) {
        for p in ctx.unverified_parameters(used) {
            let mark = confidence_name(p.confidence);
            let note = p.note.as_deref().filter(|_| notes).map(|n| format!(" — {n}")).unwrap_or_default();
            self.finding(
                Severity::Warning,
                PARAMETER_NOT_VERIFIED,
                t(
                    &format!("参数 {} 的取值可信度为 {}（{}），结果依赖该值{note}", p.key, mark, p.reference),
                    &format!("Parameter {} has confidence {} ({}); the result depends on it{note}", p.key, mark, p.reference),
                ),
                vec![],
            );
        }
    }

    pub fn finish(self) -> Evaluation {
        Evaluation { metrics: self.metrics, decisions: self.decisions, findings: self.findings, trace: self.trace, tables: self.tables }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_exact_and_canonical() {
        let a = dec("0.1").unwrap() + dec("0.2").unwrap();
        assert_eq!(fmt_dec(a), "0.3");
        assert_eq!(fmt_dec(dec("1200.500").unwrap()), "1200.5");
        assert!(dec("1e5").is_none());
        assert!(dec("").is_none());
        assert!(dec("abc").is_none());
    }
}
