//! What a plugin returns: the contract's `evaluation`, with result tables
//! and a trace that are packed as they are built.
//!
//! Metrics, decisions and findings are the contract's generated types. A
//! result table is the SDK's own [`ResultTable`]: the contract's, with its
//! rows as [`ResultRows`], given all at once (`Vec<Vec<Value>>` and `.into()`)
//! or added one by one with [`ResultRows::push`]; the trace is a [`Trace`] of
//! the contract's trace steps.
//!
//! While the host's contract 1.1 call (`evaluate-columns`) runs, each pushed
//! row and each trace step goes at once into the columns that cross the
//! boundary (`lvyue_columns::ColumnOut::streaming`, one text buffer per
//! field) and its own strings are freed, so a 100,000-row table and its
//! 200,000 trace steps never exist as millions of separate strings in the
//! plugin's memory. In any other call (contract 1.0's `evaluate`, with rows,
//! which the host uses for small requests) and in native tests they are kept
//! as given: the mode is a flag the SDK's export sets for the duration of the
//! call ([`packing`]), the one piece of state outside the values, because the
//! plugin code that builds an evaluation does not know which call it serves.

use std::borrow::Cow;
use std::fmt;

use crate::{ChartSpec, Decimal, Decision, Finding, Metric, ResultColumn, TextZhEn, TraceStep, Value};

#[cfg(not(feature = "contract-1-0"))]
thread_local! {
    static PACKING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` (the plugin's evaluation for contract 1.1's call) with rows and
/// trace steps packed as they are added.
#[cfg(not(feature = "contract-1-0"))]
pub(crate) fn packing<T>(f: impl FnOnce() -> T) -> T {
    /// Clears the flag however `f` ends, a panic unwinding included (native tests).
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            PACKING.set(false);
        }
    }
    PACKING.set(true);
    let _reset = Reset;
    f()
}

/// Whether rows and steps are packed as they are added.
#[cfg(not(feature = "contract-1-0"))]
fn packs() -> bool {
    PACKING.get()
}

/// A plugin's evaluation: the contract's `evaluation`, see the module doc.
#[derive(Debug)]
pub struct Evaluation {
    pub metrics: Vec<Metric>,
    pub decisions: Vec<Decision>,
    pub findings: Vec<Finding>,
    pub trace: Trace,
    pub tables: Vec<ResultTable>,
}

/// An extra table the plugin wants in the workbook: the contract's
/// `result-table`, its rows as [`ResultRows`].
#[derive(Debug)]
pub struct ResultTable {
    pub key: String,
    pub name: TextZhEn,
    pub columns: Vec<ResultColumn>,
    pub rows: ResultRows,
    pub charts: Vec<ChartSpec>,
}

/// The rows of a result table, one value per column in the order of
/// `ResultTable::columns` (a short row is padded with empty values, values
/// past the last column are dropped).
///
/// ```
/// use lvyue_sdk::{ResultRows, Value, num, dec, text};
/// let mut rows = ResultRows::default();
/// rows.push(vec![text("boiler 1"), num(dec("12.5").unwrap())]);
/// rows.push(vec![text("boiler 2")]);
/// assert_eq!(rows.len(), 2);
/// let given: ResultRows = vec![vec![Value::Empty]].into();
/// assert_eq!(given.len(), 1);
/// ```
#[derive(Default)]
pub struct ResultRows {
    /// Rows given as values, after the packed ones.
    given: Vec<Vec<Value>>,
    /// Rows packed as they were pushed (contract 1.1).
    #[cfg(not(feature = "contract-1-0"))]
    packed: Packing,
}

impl ResultRows {
    /// Rows expected to number about `rows` (a row per input row, say): in a
    /// long table each column is then made at its size once, instead of
    /// doubling as rows come, which holds less guest memory. The rows are
    /// the same either way.
    pub fn with_capacity(rows: usize) -> ResultRows {
        #[cfg(not(feature = "contract-1-0"))]
        return ResultRows { given: Vec::new(), packed: Packing { expect: rows, ..Packing::default() } };
        #[cfg(feature = "contract-1-0")]
        return ResultRows { given: Vec::with_capacity(rows) };
    }

    pub fn len(&self) -> usize {
        self.packed_len() + self.given.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds a row after the others: [`Value`]s, or [`ResultValue`]s (cheaper
    /// for long tables).
    #[cfg(not(feature = "contract-1-0"))]
    pub fn push<'a, C: Into<ResultValue<'a>>>(&mut self, row: Vec<C>) {
        if !packs() {
            return self.given.push(row.into_iter().map(|c| c.into().into_value()).collect());
        }
        for given in std::mem::take(&mut self.given) {
            self.packed.push(given.into_iter().map(ResultValue::Value).collect());
        }
        self.packed.push(row.into_iter().map(Into::into).collect());
    }

    /// Adds a row after the others: [`Value`]s, or [`ResultValue`]s.
    #[cfg(feature = "contract-1-0")]
    pub fn push<'a, C: Into<ResultValue<'a>>>(&mut self, row: Vec<C>) {
        self.given.push(row.into_iter().map(|c| c.into().into_value()).collect());
    }

    #[cfg(not(feature = "contract-1-0"))]
    fn packed_len(&self) -> usize {
        self.packed.rows
    }

    #[cfg(feature = "contract-1-0")]
    fn packed_len(&self) -> usize {
        0
    }

    /// The rows as values, `width` per row (for contract 1.0's `evaluate`).
    #[cfg(not(feature = "contract-1-0"))]
    pub(crate) fn into_values(self, width: usize) -> Vec<Vec<Value>> {
        if self.packed.rows == 0 {
            return self.given;
        }
        let mut rows = self.packed.unpack(width);
        rows.extend(self.given);
        rows
    }

    /// The rows as values (for contract 1.0's `evaluate`).
    #[cfg(feature = "contract-1-0")]
    pub(crate) fn into_values(self, _width: usize) -> Vec<Vec<Value>> {
        self.given
    }

    /// The rows as `width` packed columns (for contract 1.1's `evaluate-columns`).
    #[cfg(not(feature = "contract-1-0"))]
    pub(crate) fn into_columns(self, width: usize) -> (usize, Vec<lvyue_columns::Column<crate::ValueKind>>) {
        if self.packed.rows == 0 {
            return (self.given.len(), crate::columns::wire::scanned(self.given, width));
        }
        let mut packed = self.packed;
        self.given.into_iter().for_each(|row| packed.push(row.into_iter().map(ResultValue::Value).collect()));
        (packed.rows, packed.finish(width))
    }
}

/// One value of a result-table row for [`ResultRows::push`]: a contract
/// [`Value`], or an exact decimal or a text as the plugin holds them.
///
/// During the host's contract 1.1 call a row goes at once into the columns
/// that cross the boundary; a `Value::Number` is decimal text the packer
/// reads back into a mantissa and a scale, and a `Value::Text` an owned
/// string. `ResultValue::Number` packs the decimal directly and `ResultValue::Text`
/// borrows: for a 100,000-row table that is some 200,000 decimals not
/// written and parsed and a million allocations not made. The values are the
/// same either way.
///
/// ```
/// use lvyue_sdk::{ResultValue, ResultRows, dec};
/// let mut rows = ResultRows::default();
/// let name = String::from("boiler 1");
/// rows.push(vec![ResultValue::from(name.as_str()), dec("12.50").unwrap().into(), ResultValue::Empty, None::<&str>.into()]);
/// assert_eq!(rows.len(), 1);
/// ```
#[derive(Debug)]
pub enum ResultValue<'a> {
    Empty,
    Value(Value),
    Number(Decimal),
    Text(Cow<'a, str>),
}

impl ResultValue<'_> {
    /// The contract's value: numbers as [`crate::num`] writes them.
    pub fn into_value(self) -> Value {
        match self {
            ResultValue::Empty => Value::Empty,
            ResultValue::Value(v) => v,
            ResultValue::Number(d) => crate::num(d),
            ResultValue::Text(t) => Value::Text(t.into_owned()),
        }
    }
}

impl From<Value> for ResultValue<'_> {
    fn from(v: Value) -> Self {
        ResultValue::Value(v)
    }
}

impl From<Decimal> for ResultValue<'_> {
    fn from(d: Decimal) -> Self {
        ResultValue::Number(d)
    }
}

impl<'a> From<&'a str> for ResultValue<'a> {
    fn from(t: &'a str) -> Self {
        ResultValue::Text(Cow::Borrowed(t))
    }
}

impl From<String> for ResultValue<'_> {
    fn from(t: String) -> Self {
        ResultValue::Text(Cow::Owned(t))
    }
}

/// A reference's text (a row's, say): made here, copied into the column.
impl From<crate::Ref<'_>> for ResultValue<'_> {
    fn from(r: crate::Ref<'_>) -> Self {
        ResultValue::Text(Cow::Owned(r.into()))
    }
}

/// `None` is an empty cell.
impl<'a, T: Into<ResultValue<'a>>> From<Option<T>> for ResultValue<'a> {
    fn from(v: Option<T>) -> Self {
        v.map_or(ResultValue::Empty, Into::into)
    }
}

impl From<Vec<Vec<Value>>> for ResultRows {
    fn from(given: Vec<Vec<Value>>) -> ResultRows {
        ResultRows { given, ..ResultRows::default() }
    }
}

impl FromIterator<Vec<Value>> for ResultRows {
    fn from_iter<I: IntoIterator<Item = Vec<Value>>>(rows: I) -> ResultRows {
        ResultRows::from(rows.into_iter().collect::<Vec<_>>())
    }
}

impl fmt::Debug for ResultRows {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResultRows").field("packed", &self.packed_len()).field("given", &self.given).finish()
    }
}

/// A decimal's mantissa and scale as the packer reads them from its text
/// ([`crate::fmt_dec`]: normalised, so no trailing zeros and no "-0"); `None`
/// when the mantissa's digits need more than 63 bits, which the text then carries.
#[cfg(not(feature = "contract-1-0"))]
fn packed_decimal(d: Decimal) -> Option<(i64, u8)> {
    let d = d.normalize();
    let scale = u8::try_from(d.scale()).ok().filter(|s| u32::from(*s) <= lvyue_columns::MAX_SCALE)?;
    // i64::MIN's digits do not fit in 63 bits: the packer keeps its text.
    let mantissa = i64::try_from(d.mantissa()).ok().filter(|m| *m != i64::MIN)?;
    Some((mantissa, scale))
}

/// Rows pushed into one streaming column builder per column.
#[cfg(not(feature = "contract-1-0"))]
#[derive(Default)]
struct Packing {
    rows: usize,
    columns: Vec<lvyue_columns::ColumnOut<crate::ValueKind>>,
    /// The rows expected ([`ResultRows::with_capacity`]).
    expect: usize,
}

#[cfg(not(feature = "contract-1-0"))]
impl Packing {
    fn push(&mut self, row: Vec<ResultValue<'_>>) {
        use lvyue_columns::{ColumnOut, ValueRef, WireValue};
        while self.columns.len() < row.len() {
            // A column first seen now: empty in the rows before.
            let mut c = ColumnOut::streaming_for(self.expect);
            (0..self.rows).for_each(|_| c.push(ValueRef::Empty));
            self.columns.push(c);
        }
        let given = row.len();
        for (c, v) in self.columns.iter_mut().zip(&row) {
            match v {
                ResultValue::Empty => c.push(ValueRef::Empty),
                ResultValue::Value(v) => c.push(v.wire()),
                ResultValue::Text(t) => c.push(ValueRef::Text(t)),
                ResultValue::Number(d) => match packed_decimal(*d) {
                    Some((m, s)) => c.push(ValueRef::Packed(m, s)),
                    None => c.push(ValueRef::Number(&crate::fmt_dec(*d))),
                },
            }
        }
        self.columns[given..].iter_mut().for_each(|c| c.push(ValueRef::Empty));
        self.rows += 1;
    }

    /// Exactly `width` columns: missing ones empty, extra ones dropped.
    fn finish(mut self, width: usize) -> Vec<lvyue_columns::Column<crate::ValueKind>> {
        let rows = self.rows;
        self.columns.truncate(width);
        let mut columns: Vec<_> = self.columns.into_iter().map(lvyue_columns::ColumnOut::finish).collect();
        while columns.len() < width {
            columns.push(lvyue_columns::pack_column(std::iter::repeat_n(lvyue_columns::ValueRef::Empty, rows)));
        }
        columns
    }

    fn unpack(self, width: usize) -> Vec<Vec<Value>> {
        let rows = self.rows;
        let mut out: Vec<Vec<Value>> = (0..rows).map(|_| Vec::with_capacity(width)).collect();
        for column in self.finish(width) {
            let values = crate::columns::wire::unpack(&column, rows);
            out.iter_mut().zip(values).for_each(|(row, v)| row.push(v));
        }
        out
    }
}

/// The steps of the calculation (the contract's `trace-step`s), in order: a
/// step is referred to by its index ([`crate::Output::ref_step`]).
#[derive(Default)]
pub struct Trace {
    /// Steps kept as given, after the packed ones.
    steps: Vec<TraceStep>,
    #[cfg(not(feature = "contract-1-0"))]
    packed: TracePacking,
}

impl Trace {
    /// Adds a step after the others; its index is `len() - 1` after.
    pub fn push(&mut self, step: TraceStep) {
        self.push_citing(step, &[]);
    }

    /// Adds a step whose inputs are its own followed by `cited` (written
    /// straight into the packed trace when it packs).
    pub(crate) fn push_citing(&mut self, mut step: TraceStep, cited: &[crate::Ref<'_>]) {
        #[cfg(not(feature = "contract-1-0"))]
        if packs() {
            for given in std::mem::take(&mut self.steps) {
                self.packed.push(given, &[]);
            }
            return self.packed.push(step, cited);
        }
        step.inputs.extend(cited.iter().map(|r| String::from(*r)));
        self.steps.push(step);
    }

    /// Room for `n` more cited references of `bytes` bytes in all
    /// ([`crate::Output::reserve_citations`]): in the packed inputs when
    /// the trace packs, otherwise none is needed (each is its own string).
    pub(crate) fn reserve_cited(&mut self, n: usize, bytes: usize) {
        #[cfg(not(feature = "contract-1-0"))]
        if packs() {
            self.packed.inputs.reserve_tight(n, bytes);
        }
        #[cfg(feature = "contract-1-0")]
        let _ = (n, bytes);
    }

    pub fn len(&self) -> usize {
        self.steps.len() + self.packed_len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    #[cfg(not(feature = "contract-1-0"))]
    fn packed_len(&self) -> usize {
        self.packed.clauses.ends.len()
    }

    #[cfg(feature = "contract-1-0")]
    fn packed_len(&self) -> usize {
        0
    }

    /// Every step, unpacked if it was packed.
    pub fn into_steps(self) -> Vec<TraceStep> {
        #[cfg(not(feature = "contract-1-0"))]
        if self.packed_len() > 0 {
            let mut steps = self.packed.unpack();
            steps.extend(self.steps);
            return steps;
        }
        self.steps
    }

    /// The steps kept as given, and the packed ones (contract 1.1).
    #[cfg(not(feature = "contract-1-0"))]
    pub(crate) fn into_parts(self) -> (Vec<TraceStep>, Option<TracePacking>) {
        if self.packed_len() == 0 {
            return (self.steps, None);
        }
        let mut packed = self.packed;
        self.steps.into_iter().for_each(|s| packed.push(s, &[]));
        (Vec::new(), Some(packed))
    }
}

impl From<Vec<TraceStep>> for Trace {
    fn from(steps: Vec<TraceStep>) -> Trace {
        Trace { steps, ..Trace::default() }
    }
}

impl fmt::Debug for Trace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Trace").field("packed", &self.packed_len()).field("steps", &self.steps).finish()
    }
}

/// Trace steps packed field by field, as contract 1.1's `trace` carries them.
#[cfg(not(feature = "contract-1-0"))]
#[derive(Default)]
pub(crate) struct TracePacking {
    pub clauses: lvyue_columns::TextsOut,
    pub descriptions_zh: lvyue_columns::TextsOut,
    pub descriptions_en: lvyue_columns::TextsOut,
    pub parameters: lvyue_columns::TextsOut,
    pub parameter_ends: Vec<u32>,
    pub inputs: lvyue_columns::TextsOut,
    pub input_ends: Vec<u32>,
    pub values: lvyue_columns::ColumnOut<crate::ValueKind>,
    pub units: lvyue_columns::ColumnOut<crate::ValueKind>,
}

#[cfg(not(feature = "contract-1-0"))]
impl TracePacking {
    fn push(&mut self, s: TraceStep, cited: &[crate::Ref<'_>]) {
        use lvyue_columns::{ValueRef, WireValue};
        self.clauses.push(&s.clause);
        self.descriptions_zh.push(&s.description.zh);
        self.descriptions_en.push(&s.description.en);
        s.parameters.iter().for_each(|p| self.parameters.push(p));
        self.parameter_ends.push(self.parameters.ends.len() as u32);
        s.inputs.iter().for_each(|i| self.inputs.push(i));
        self.push_cited(cited);
        self.input_ends.push(self.inputs.ends.len() as u32);
        self.values.push(s.value.wire());
        self.units.push(s.unit.as_deref().map_or(ValueRef::Empty, ValueRef::Text));
    }

    /// Writes each reference's text into the inputs' buffer, with room made
    /// once for all of them (their lengths counted first), unless
    /// [`crate::Output::reserve_citations`] made it already.
    fn push_cited(&mut self, cited: &[crate::Ref<'_>]) {
        let inputs = &mut self.inputs;
        inputs.ends.reserve(cited.len());
        inputs.data.reserve(cited.iter().map(crate::Ref::text_len).sum());
        for r in cited {
            r.push_to(&mut inputs.data);
            inputs.ends.push(inputs.data.len() as u32);
        }
    }

    fn unpack(self) -> Vec<TraceStep> {
        use lvyue_columns::unpack_lists;
        let n = self.clauses.ends.len();
        let bug = |e: String| -> ! { panic!("the SDK packed an inconsistent trace: {e}") };
        let parameters = unpack_lists(self.parameters.view(), &self.parameter_ends, n, "trace").unwrap_or_else(|e| bug(e));
        let inputs = unpack_lists(self.inputs.view(), &self.input_ends, n, "trace").unwrap_or_else(|e| bug(e));
        let values = crate::columns::wire::unpack(&self.values.finish(), n);
        let units = crate::columns::wire::unpack(&self.units.finish(), n);
        let (c, zh, en) = (self.clauses.view(), self.descriptions_zh.view(), self.descriptions_en.view());
        parameters
            .into_iter()
            .zip(inputs)
            .zip(values.into_iter().zip(units))
            .enumerate()
            .map(|(i, ((parameters, inputs), (value, unit)))| TraceStep {
                clause: c.get(i).to_string(),
                description: TextZhEn { zh: zh.get(i).to_string(), en: en.get(i).to_string() },
                parameters,
                inputs,
                value,
                unit: match unit {
                    Value::Text(u) => Some(u),
                    _ => None,
                },
            })
            .collect()
    }
}

impl Evaluation {
    /// Contract 1.0's evaluation (tables as rows).
    pub(crate) fn into_rows(self) -> crate::bindings::lvyue::compliance::types::Evaluation {
        crate::bindings::lvyue::compliance::types::Evaluation {
            metrics: self.metrics,
            decisions: self.decisions,
            findings: self.findings,
            trace: self.trace.into_steps(),
            tables: self
                .tables
                .into_iter()
                .map(|t| crate::bindings::lvyue::compliance::types::ResultTable {
                    rows: t.rows.into_values(t.columns.len()),
                    key: t.key,
                    name: t.name,
                    columns: t.columns,
                    charts: t.charts,
                })
                .collect(),
        }
    }
}

#[cfg(all(test, not(feature = "contract-1-0")))]
mod tests {
    use super::*;
    use crate::{num, text};

    #[test]
    fn pushed_rows_come_back_as_given_rows() {
        let rows = || {
            vec![
                vec![text("a"), num(crate::dec("1.5").unwrap())],
                vec![Value::Empty],
                vec![text("c"), text("not a number"), Value::Boolean(true)],
                vec![],
            ]
        };
        let mut pushed = ResultRows::from(rows()[..1].to_vec());
        packing(|| rows()[1..].iter().for_each(|r| pushed.push(r.clone())));
        assert_eq!(pushed.packed.rows, 4, "the given row packed before the first pushed one");
        assert_eq!(pushed.len(), 4);
        let padded: Vec<Vec<Value>> = rows()
            .into_iter()
            .map(|mut r| {
                r.resize(2, Value::Empty);
                r
            })
            .collect();
        assert_eq!(format!("{:?}", pushed.into_values(2)), format!("{padded:?}"), "padded to the width, the third value dropped");
        // Room made for fewer rows, as many, or more: the same columns.
        for mut p in [ResultRows::default(), ResultRows::with_capacity(2), ResultRows::with_capacity(4), ResultRows::with_capacity(1000)] {
            packing(|| rows().into_iter().for_each(|r| p.push(r)));
            let (n, columns) = p.into_columns(3);
            let (m, scanned) = ResultRows::from(rows()).into_columns(3);
            assert_eq!((n, columns.len()), (m, scanned.len()));
            for (a, b) in columns.iter().zip(&scanned) {
                assert_eq!(format!("{:?}", crate::columns::wire::unpack(a, n)), format!("{:?}", crate::columns::wire::unpack(b, m)));
            }
        }
    }

    #[test]
    fn packed_trace_steps_come_back_as_given() {
        let step = |i: u32, unit: Option<&str>, value: Value| TraceStep {
            clause: format!("第{i}条"),
            description: crate::t("说明", if i.is_multiple_of(2) { "" } else { "what" }),
            parameters: (0..i % 3).map(|p| format!("p.{p}")).collect(),
            inputs: if i == 0 { vec![] } else { vec![crate::Output::ref_step(i - 1), "Sheet!C7".into()] },
            value,
            unit: unit.map(str::to_string),
        };
        let steps = || {
            vec![
                step(0, Some("t"), num(crate::dec("1.5").unwrap())),
                step(1, None, Value::Empty),
                step(2, Some(""), text("x")),
                step(3, Some("tCO2"), num(crate::dec("-0.001").unwrap())),
            ]
        };
        let mut trace = Trace::from(steps()[..1].to_vec());
        packing(|| steps()[1..].iter().for_each(|s| trace.push(s.clone())));
        assert_eq!((trace.len(), trace.packed_len()), (4, 4), "the given step packed before the first pushed one");
        assert_eq!(format!("{:?}", trace.into_steps()), format!("{:?}", steps()));
        let mut kept = Trace::default();
        steps().into_iter().for_each(|s| kept.push(s));
        assert_eq!((kept.len(), kept.packed_len()), (4, 0), "outside contract 1.1's call steps are kept as given");
    }

    #[test]
    fn decimals_and_borrowed_texts_pack_as_their_values_do() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        let numbers = [
            d("0"),
            d("-0"),
            d("-0.000"),
            d("12.50"),
            d("-1234.5678"),
            d("0.0000000000000000000000000001"),
            d("9223372036854775807"),
            d("9223372036854775808"),
            d("-9223372036854775808"),
            d("79228162514264337593543950335"),
            d("1.0000000000000000000000000000"),
        ];
        assert!(packed_decimal(d("9223372036854775808")).is_none(), "over 64 bits: its text crosses");
        let labels = ["boiler", "", "锅炉 1"];
        // Each kind alone, and all in one (mixed) column.
        let rows = |i: usize| -> (Vec<ResultValue<'_>>, Vec<Value>) {
            let n = numbers[i % numbers.len()];
            let t = labels[i % labels.len()];
            let mixed_as = if i.is_multiple_of(3) { (ResultValue::from(n), num(n)) } else { (ResultValue::from(t), text(t)) };
            let empty = if i.is_multiple_of(4) { (ResultValue::Empty, Value::Empty) } else { (ResultValue::from(Some(n)), num(n)) };
            (vec![n.into(), t.into(), mixed_as.0, empty.0, String::from(t).into()], vec![num(n), text(t), mixed_as.1, empty.1, text(t)])
        };
        let (mut fast, mut slow) = (ResultRows::default(), ResultRows::default());
        packing(|| {
            for i in 0..40 {
                let (a, b) = rows(i);
                fast.push(a);
                slow.push(b);
            }
        });
        let ((n, fast), (m, slow)) = (fast.into_columns(5), slow.into_columns(5));
        assert_eq!(n, m);
        for (a, b) in fast.iter().zip(&slow) {
            assert_eq!(a.present, b.present);
            assert_eq!(format!("{:?}", crate::columns::wire::unpack(a, n)), format!("{:?}", crate::columns::wire::unpack(b, m)));
            if let (lvyue_columns::Values::Numbers(x), lvyue_columns::Values::Numbers(y)) = (&a.values, &b.values) {
                assert_eq!((&x.mantissas, &x.scales, &x.texts.data), (&y.mantissas, &y.scales, &y.texts.data));
            }
        }
        // Outside contract 1.1's call, a row of them is the same values.
        let mut given = ResultRows::default();
        given.push(rows(3).0);
        assert_eq!(format!("{:?}", given.into_values(5)), format!("{:?}", vec![rows(3).1]));
    }

    #[test]
    fn a_panic_while_packing_leaves_rows_kept_as_given() {
        assert!(std::panic::catch_unwind(|| packing(|| panic!("a plugin's bug"))).is_err());
        let mut rows = ResultRows::default();
        rows.push(vec![text("a")]);
        assert_eq!((rows.packed.rows, rows.given.len()), (0, 1), "the flag was cleared by the unwinding");
    }
}
