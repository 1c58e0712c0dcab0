//! Contract 1.1's columns, on the plugin's side.
//!
//! The host passes each input table as columns (one typed list per column,
//! empty cells as bits) with an origin from which every cell reference is
//! computed; the SDK reads them in place through the row view
//! ([`crate::RowView`]), so plugin code is the same as with 1.0's rows. The
//! plugin's [`crate::Evaluation`] is packed the same way on its way out.
//!
//! The wire format (decimals as a 64-bit mantissa and a scale, dates as day
//! numbers, bits least significant first, text buffers, references from an
//! origin) is the `lvyue-columns` crate's, which the host uses too; this
//! module reads it in place and converts it from and to the generated types.

use std::cell::OnceCell;
use std::fmt;

pub use lvyue_columns::{Bits, DAY_TEXT, MAX_SCALE, SCALE_TEXT, bit, pack_date, pack_decimal, unpack_date, unpack_decimal};
use lvyue_columns::{Origin, TextsView, push_date};

use crate::{Decimal, Row, Value};

lvyue_columns::wire_types!(Value, crate::ValueKind);

// ---- input tables ----------------------------------------------------------------

/// One input column as the host packed it, read in place.
pub(crate) enum Col {
    Numbers {
        present: Vec<u8>,
        mantissas: Vec<i64>,
        scales: Vec<u8>,
    },
    Texts {
        present: Vec<u8>,
        data: String,
        ends: Vec<u32>,
    },
    Dates {
        present: Vec<u8>,
        days: Vec<i32>,
        text: OnceCell<String>,
    },
    Booleans {
        present: Vec<u8>,
        bits: Vec<u8>,
    },
    /// A column of several kinds, or with values passed as text: one value per row.
    Values(Vec<Value>),
}

impl Col {
    #[inline]
    pub(crate) fn decimal(&self, i: usize) -> Option<Decimal> {
        match self {
            Col::Numbers { present, mantissas, scales } => {
                bit(present, i).then(|| Decimal::from_i128_with_scale(mantissas[i] as i128, scales[i] as u32))
            }
            Col::Values(v) => match &v[i] {
                Value::Number(n) => crate::dec(n),
                _ => None,
            },
            _ => None,
        }
    }

    #[inline]
    pub(crate) fn text(&self, i: usize) -> Option<&str> {
        match self {
            Col::Texts { present, data, ends } => bit(present, i).then(|| TextsView::new(data, ends).get(i)),
            Col::Values(v) => match &v[i] {
                Value::Text(s) => Some(s.as_str()),
                _ => None,
            },
            _ => None,
        }
    }

    pub(crate) fn date(&self, i: usize) -> Option<&str> {
        match self {
            Col::Dates { present, days, text } => {
                if !bit(present, i) {
                    return None;
                }
                // Ten bytes per row, written once when a date is first read.
                let all = text.get_or_init(|| {
                    let mut s = String::with_capacity(days.len() * 10);
                    for &d in days {
                        push_date(&mut s, d);
                    }
                    s
                });
                all.get(i * 10..i * 10 + 10)
            }
            Col::Values(v) => match &v[i] {
                Value::Date(s) => Some(s.as_str()),
                _ => None,
            },
            _ => None,
        }
    }

    pub(crate) fn boolean(&self, i: usize) -> Option<bool> {
        match self {
            Col::Booleans { present, bits } => bit(present, i).then(|| bit(bits, i)),
            Col::Values(v) => match &v[i] {
                Value::Boolean(b) => Some(*b),
                _ => None,
            },
            _ => None,
        }
    }

    /// The value of row `i`, as 1.0 passes it.
    pub(crate) fn value(&self, i: usize) -> Value {
        match self {
            Col::Numbers { present, mantissas, scales } if bit(present, i) => Value::Number(unpack_decimal(mantissas[i], scales[i])),
            Col::Texts { .. } => self.text(i).map(|s| Value::Text(s.to_string())).unwrap_or(Value::Empty),
            Col::Dates { present, days, .. } if bit(present, i) => Value::Date(unpack_date(days[i])),
            Col::Booleans { .. } => self.boolean(i).map(Value::Boolean).unwrap_or(Value::Empty),
            Col::Values(v) => v[i].clone(),
            _ => Value::Empty,
        }
    }
}

/// An input table as the host packed it: columns, and the origin of its references.
pub(crate) struct Packed {
    pub rows: usize,
    pub columns: Vec<Col>,
    pub origin: Origin,
    /// Every row's reference, made once when a row's `source()` is first read.
    sources: OnceCell<(String, Vec<u32>)>,
}

impl Packed {
    pub(crate) fn new(rows: usize, columns: Vec<Col>, origin: Origin) -> Packed {
        Packed { rows, columns, origin, sources: OnceCell::new() }
    }

    pub(crate) fn row_source(&self, i: usize) -> &str {
        let (data, ends) = self.sources.get_or_init(|| {
            let mut data = String::with_capacity(self.rows * (self.origin.sheet.len() + 7));
            let mut ends = Vec::with_capacity(self.rows);
            for r in 0..self.rows {
                self.origin.push_row_source(&mut data, r);
                ends.push(data.len() as u32);
            }
            (data, ends)
        });
        TextsView::new(data, ends).get(i)
    }

    /// Row `i` as 1.0 passes it (a plugin that copies rows gets the same rows).
    pub(crate) fn row(&self, i: usize) -> Row {
        Row {
            source: self.row_source(i).to_string(),
            cells: (0..self.columns.len())
                .map(|j| crate::Cell { value: self.columns[j].value(i), source: self.origin.cell_ref(i, j) })
                .collect(),
        }
    }
}

impl fmt::Debug for Packed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Packed").field("rows", &self.rows).field("columns", &self.columns.len()).field("origin", &self.origin).finish()
    }
}

// ---- from and to the 1.1 bindings ----------------------------------------------------

#[cfg(not(feature = "contract-1-0"))]
pub(crate) mod wire {
    //! Conversions between the generated 1.1 types and the SDK's.

    use std::rc::Rc;

    use lvyue_columns::{Column, ColumnOrigin, DatesOut, DatesView, KindScan, NumbersOut, NumbersView, Values, ValuesView, WireValue};

    use super::*;
    use crate::bindings::lvyue::compliance::columns as wit;
    use crate::{Decision, Evaluation, Finding, ResultTable, ValueKind};

    fn broken(what: &str) -> ! {
        panic!("the host passed an inconsistent table ({what}); this is a bug in the host, not in the plugin")
    }

    /// A column read as 1.0 values, one per row (checked: the host's bug otherwise).
    fn values(present: &[u8], values: ValuesView<'_, ValueKind>, rows: usize, what: &str) -> Col {
        Col::Values(lvyue_columns::unpack_column(present, values, rows, what, Value::from_wire).unwrap_or_else(|_| broken(what)))
    }

    /// A column the host packed, checked, ready to read in place.
    fn column(c: wit::Column, rows: usize, what: &str) -> Col {
        if c.present.len() != rows.div_ceil(8) {
            broken(what);
        }
        let present = c.present;
        match c.values {
            wit::ColumnValues::Numbers(n) => {
                if n.mantissas.len() != rows || n.scales.len() != rows {
                    broken(what);
                }
                let view = NumbersView::new(&n.mantissas, &n.scales, &n.texts.data, &n.texts.ends);
                if view.any_unpacked() {
                    // Some passed as text: read them as 1.0 values.
                    return values(&present, ValuesView::Numbers(view), rows, what);
                }
                Col::Numbers { present, mantissas: n.mantissas, scales: n.scales }
            }
            wit::ColumnValues::Texts(t) => {
                if t.ends.len() != rows || !TextsView::new(&t.data, &t.ends).is_valid() {
                    broken(what);
                }
                Col::Texts { present, data: t.data, ends: t.ends }
            }
            wit::ColumnValues::Dates(d) => {
                if d.days.len() != rows {
                    broken(what);
                }
                let view = DatesView::new(&d.days, &d.texts.data, &d.texts.ends);
                if view.any_unpacked() {
                    // Some passed as text or outside the years 0000-9999: read them as 1.0 values.
                    return values(&present, ValuesView::Dates(view), rows, what);
                }
                Col::Dates { present, days: d.days, text: OnceCell::new() }
            }
            wit::ColumnValues::Booleans(b) => {
                if b.len() != rows.div_ceil(8) {
                    broken(what);
                }
                Col::Booleans { present, bits: b }
            }
            wit::ColumnValues::Mixed(m) => {
                let mixed = ValuesView::Mixed {
                    kinds: &m.kinds,
                    numbers: NumbersView::new(&m.numbers.mantissas, &m.numbers.scales, &m.numbers.texts.data, &m.numbers.texts.ends),
                    texts: TextsView::new(&m.texts.data, &m.texts.ends),
                    dates: DatesView::new(&m.dates.days, &m.dates.texts.data, &m.dates.texts.ends),
                    booleans: &m.booleans,
                };
                values(&present, mixed, rows, what)
            }
        }
    }

    fn origin(o: wit::Origin, columns: usize, what: &str) -> Origin {
        let origin = Origin {
            sheet: o.sheet,
            indexed: matches!(o.style, wit::RowStyle::Indexed),
            first_row: o.first_row,
            row_numbers: o.row_numbers,
            columns: o
                .columns
                .into_iter()
                .map(|c| match c {
                    wit::ColumnOrigin::Letter(l) => ColumnOrigin::Letter(l),
                    wit::ColumnOrigin::Field(f) => ColumnOrigin::Field(f),
                    wit::ColumnOrigin::Absent(a) => ColumnOrigin::Absent(a),
                })
                .collect(),
            exception_rows: o.exception_rows,
            exception_columns: o.exception_columns,
            exceptions: o.exceptions.data,
            exception_ends: o.exceptions.ends,
        };
        if !origin.is_consistent(columns) {
            broken(what);
        }
        origin
    }

    /// The request as the SDK gives it to the plugin: the tables read in place.
    pub(crate) fn request(r: wit::Request) -> crate::Request {
        let tables = r
            .tables
            .into_iter()
            .map(|t| {
                let rows = t.rows as usize;
                // A cited cell keeps its column in 16 bits (`crate::Ref`); a sheet has at most 16,384.
                if t.values.len() != t.columns.len()
                    || t.columns.len() > usize::from(u16::MAX)
                    || (!t.origin.row_numbers.is_empty() && t.origin.row_numbers.len() != rows)
                {
                    broken(&t.key);
                }
                let columns = t.values.into_iter().zip(&t.columns).map(|(c, k)| column(c, rows, k)).collect();
                let origin = origin(t.origin, t.columns.len(), &t.key);
                crate::Table { key: t.key, columns: t.columns, rows: crate::Rows::packed(Rc::new(Packed::new(rows, columns, origin))) }
            })
            .collect();
        crate::Request { jurisdiction: r.jurisdiction, period: r.period, parameters: r.parameters, tables, options: r.options }
    }

    // ---- the evaluation, packed ----------------------------------------------------

    fn texts(t: lvyue_columns::TextsOut) -> wit::Texts {
        wit::Texts { data: t.data, ends: t.ends }
    }

    fn numbers(n: NumbersOut) -> wit::Numbers {
        wit::Numbers { mantissas: n.mantissas, scales: n.scales, texts: texts(n.texts) }
    }

    fn dates(d: DatesOut) -> wit::Dates {
        wit::Dates { days: d.days, texts: texts(d.texts) }
    }

    /// A column packed by [`lvyue_columns`], as the generated type (the vectors moved, not copied).
    fn packed(c: Column<ValueKind>) -> wit::Column {
        wit::Column {
            present: c.present,
            values: match c.values {
                Values::Numbers(n) => wit::ColumnValues::Numbers(numbers(n)),
                Values::Texts(t) => wit::ColumnValues::Texts(texts(t)),
                Values::Dates(d) => wit::ColumnValues::Dates(dates(d)),
                Values::Booleans(b) => wit::ColumnValues::Booleans(b),
                Values::Mixed(m) => wit::ColumnValues::Mixed(wit::MixedValues {
                    kinds: m.kinds,
                    numbers: numbers(m.numbers),
                    texts: texts(m.texts),
                    dates: dates(m.dates),
                    booleans: m.booleans,
                }),
            },
        }
    }

    /// Strings into one `texts`, sized in one pass.
    fn strings<'s>(items: impl Iterator<Item = &'s str> + Clone) -> wit::Texts {
        texts(lvyue_columns::texts(items))
    }

    /// A list of lists of strings: one `texts` and the list ends.
    fn lists<'s, L: IntoIterator<Item = &'s String>>(items: impl Iterator<Item = L> + Clone) -> (wit::Texts, Vec<u32>) {
        let (t, ends) = lvyue_columns::lists(items);
        (texts(t), ends)
    }

    /// Rows given all at once as `width` columns: two passes over the rows,
    /// each reading a row once, the buffers sized by the first.
    pub(crate) fn scanned(rows: Vec<Vec<Value>>, width: usize) -> Vec<Column<ValueKind>> {
        let mut scan = KindScan::new(width);
        for row in &rows {
            for (j, v) in row.iter().take(width).enumerate() {
                scan.see(j, v.wire());
            }
        }
        let mut out = scan.builders::<ValueKind>(rows.len());
        for row in &rows {
            for (j, column) in out.iter_mut().enumerate() {
                column.push(row.get(j).unwrap_or(&Value::Empty).wire());
            }
        }
        // The rows are not freed one by one: the instance is thrown away after the call.
        std::mem::forget(rows);
        out.into_iter().map(|c| c.finish()).collect()
    }

    /// A column packed by the SDK, as values (for contract 1.0's `evaluate`).
    pub(crate) fn unpack(c: &Column<ValueKind>, rows: usize) -> Vec<Value> {
        lvyue_columns::unpack_column(&c.present, c.view(), rows, "result table", Value::from_wire)
            .expect("the SDK packs consistent columns")
    }

    /// A result table as columns.
    fn result_table(t: ResultTable) -> wit::ResultTable {
        let (rows, values) = t.rows.into_columns(t.columns.len());
        wit::ResultTable {
            key: t.key,
            name: t.name,
            columns: t.columns,
            rows: rows as u32,
            values: values.into_iter().map(packed).collect(),
            charts: t.charts,
        }
    }

    fn decisions(d: &[Decision]) -> wit::Decisions {
        let (reasons, reason_ends) = lists(d.iter().map(|d| &d.reasons));
        wit::Decisions {
            tables: strings(d.iter().map(|d| d.table.as_str())),
            rows: strings(d.iter().map(|d| d.row.as_str())),
            subjects: strings(d.iter().map(|d| d.subject.as_str())),
            outcomes: strings(d.iter().map(|d| d.outcome.as_str())),
            amounts: packed(lvyue_columns::optional_numbers(d.iter().map(|d| d.amount.as_deref()))),
            units: packed(lvyue_columns::optional_texts(d.iter().map(|d| d.unit.as_deref()))),
            reasons,
            reason_ends,
        }
    }

    fn findings(f: &[Finding]) -> wit::Findings {
        let (cells, cell_ends) = lists(f.iter().map(|f| &f.cells));
        wit::Findings {
            severities: f.iter().map(|f| f.severity).collect(),
            codes: strings(f.iter().map(|f| f.code.as_str())),
            messages_zh: strings(f.iter().map(|f| f.message.zh.as_str())),
            messages_en: strings(f.iter().map(|f| f.message.en.as_str())),
            cells,
            cell_ends,
        }
    }

    fn trace(t: crate::Trace) -> wit::Trace {
        let (t, streamed) = t.into_parts();
        if let Some(p) = streamed {
            return wit::Trace {
                clauses: texts(p.clauses),
                descriptions_zh: texts(p.descriptions_zh),
                descriptions_en: texts(p.descriptions_en),
                parameters: texts(p.parameters),
                parameter_ends: p.parameter_ends,
                inputs: texts(p.inputs),
                input_ends: p.input_ends,
                values: packed(p.values.finish()),
                units: packed(p.units.finish()),
            };
        }
        let (parameters, parameter_ends) = lists(t.iter().map(|s| &s.parameters));
        let (inputs, input_ends) = lists(t.iter().map(|s| &s.inputs));
        let out = wit::Trace {
            clauses: strings(t.iter().map(|s| s.clause.as_str())),
            descriptions_zh: strings(t.iter().map(|s| s.description.zh.as_str())),
            descriptions_en: strings(t.iter().map(|s| s.description.en.as_str())),
            parameters,
            parameter_ends,
            inputs,
            input_ends,
            values: packed(lvyue_columns::pack_column(t.iter().map(|s| s.value.wire()))),
            units: packed(lvyue_columns::optional_texts(t.iter().map(|s| s.unit.as_deref()))),
        };
        std::mem::forget(t);
        out
    }

    /// The plugin's evaluation, packed as columns.
    pub(crate) fn evaluation(e: Evaluation) -> wit::Evaluation {
        let out = wit::Evaluation {
            decisions: decisions(&e.decisions),
            findings: findings(&e.findings),
            trace: trace(e.trace),
            tables: e.tables.into_iter().map(result_table).collect(),
            metrics: e.metrics,
        };
        std::mem::forget((e.decisions, e.findings));
        out
    }
}

#[cfg(test)]
mod tests {
    use lvyue_columns::ColumnOrigin;

    use super::*;

    #[test]
    fn packed_decimals_read_as_their_text_reads() {
        for text in ["0", "1.50", "-0.05", "1200", "0.0", "-9223372036854775807", "0.0000000000000000000000000001"] {
            let (m, s) = pack_decimal(text).expect("packs");
            let packed = Decimal::from_i128_with_scale(m as i128, s as u32);
            assert_eq!(packed, crate::dec(text).unwrap(), "{text}");
            assert_eq!(packed.scale(), crate::dec(text).unwrap().scale(), "{text}");
        }
    }

    #[test]
    fn packed_tables_are_read_in_place() {
        let origin = Origin {
            sheet: "排放源 Sources".into(),
            indexed: false,
            first_row: 2,
            row_numbers: vec![2, 3, 7],
            columns: vec![ColumnOrigin::Letter("C".into())],
            exception_rows: vec![2],
            exception_columns: vec![1],
            exceptions: "Other!9".into(),
            exception_ends: vec![7],
        };
        let with_rows = Packed::new(3, vec![Col::Booleans { present: vec![0b111], bits: vec![0b010] }], origin.clone());
        assert_eq!(with_rows.row_source(1), "排放源 Sources!3");
        assert_eq!(with_rows.row_source(2), "Other!9", "the row's own reference is an exception");
        assert_eq!(with_rows.columns[0].boolean(1), Some(true));
        let row = with_rows.row(0);
        assert_eq!((row.source.as_str(), row.cells[0].source.as_str()), ("排放源 Sources!2", "排放源 Sources!C2"));
        let p = Packed::new(
            3,
            vec![Col::Numbers { present: vec![0b101], mantissas: vec![150, 0, -5], scales: vec![2, 0, 1] }],
            Origin { exception_rows: vec![], exception_columns: vec![], exceptions: String::new(), exception_ends: vec![], ..origin },
        );
        assert_eq!(p.row_source(2), "排放源 Sources!7");
        assert_eq!(p.columns[0].decimal(0), crate::dec("1.50"));
        assert_eq!(p.columns[0].decimal(1), None);
        assert!(matches!(p.columns[0].value(2), Value::Number(n) if n == "-0.5"));
        let d = Col::Dates { present: vec![0b011], days: vec![19782, lvyue_columns::FIRST_DAY, 0], text: OnceCell::new() };
        assert_eq!((d.date(0), d.date(1), d.date(2)), (Some("2024-02-29"), Some("0000-01-01"), None));
    }
}
