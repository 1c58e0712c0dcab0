//! Contract `lvyue:compliance@1.1.0`: the bindings generated from the frozen
//! WIT folder `plugins/wit/lvyue-compliance-1.1.0/`, and the conversions at
//! its edge.
//!
//! The `types` interface of 1.1.0 is 1.0.0's word for word, so its bindings
//! are the 1.0 ones (`with` below): `describe` and the row `evaluate` of a 1.1
//! plugin return the host's usual types. Only the new `columns` interface is
//! generated here. [`to_columns`] turns the host's request (rows) into the
//! columnar request, computing each table's [`wit::Origin`] so that no cell
//! reference crosses the boundary; [`from_columns`] checks the plugin's
//! columnar evaluation and turns it into the host's [`Evaluation`].
//!
//! The wire format itself (packed decimals, day numbers, bits, text buffers,
//! references computed from an origin) is the `lvyue-columns` crate's, which
//! the plugin SDK uses too; this module converts between it and the
//! generated types; [`origin`] packs each table with the origin its
//! references follow.

use super::since_v1_0::{Cell, Decision, Evaluation, Finding, Request, ResultTable, Row, Table, TextZhEn, TraceStep, Value, ValueKind};
use lvyue_columns::{
    Column, ColumnOrigin, DatesOut, DatesView, NumbersOut, NumbersView, Origin, TextsOut, TextsView, Values, ValuesView, WireValue,
};

wasmtime::component::bindgen!({
    path: "../plugins/wit/lvyue-compliance-1.1.0",
    world: "compliance-plugin",
    additional_derives: [PartialEq],
    with: {
        "lvyue:compliance/types@1.1.0": super::since_v1_0::lvyue::compliance::types,
    },
});

/// The generated types of the `columns` interface.
pub use self::lvyue::compliance::columns as wit;

mod origin;
pub use origin::{TablePacker, pack_table};

// ---- host → plugin -------------------------------------------------------------

lvyue_columns::wire_types!(Value, ValueKind);

fn texts(t: TextsOut) -> Result<wit::Texts, String> {
    if t.too_large() {
        return Err(format!("a text column of {} bytes is over the contract's 4 GiB", t.data.len()));
    }
    Ok(wit::Texts { data: t.data, ends: t.ends })
}

fn numbers(n: NumbersOut) -> Result<wit::Numbers, String> {
    Ok(wit::Numbers { mantissas: n.mantissas, scales: n.scales, texts: texts(n.texts)? })
}

fn dates(d: DatesOut) -> Result<wit::Dates, String> {
    Ok(wit::Dates { days: d.days, texts: texts(d.texts)? })
}

/// A column packed by [`lvyue_columns`], as the generated type (the vectors moved, not copied).
fn column(c: Column<ValueKind>) -> Result<wit::Column, String> {
    let values = match c.values {
        Values::Numbers(n) => wit::ColumnValues::Numbers(numbers(n)?),
        Values::Texts(t) => wit::ColumnValues::Texts(texts(t)?),
        Values::Dates(d) => wit::ColumnValues::Dates(dates(d)?),
        Values::Booleans(b) => wit::ColumnValues::Booleans(b),
        Values::Mixed(m) => wit::ColumnValues::Mixed(wit::MixedValues {
            kinds: m.kinds,
            numbers: numbers(m.numbers)?,
            texts: texts(m.texts)?,
            dates: dates(m.dates)?,
            booleans: m.booleans,
        }),
    };
    Ok(wit::Column { present: c.present, values })
}

/// Packs values (one per row) as a column: one typed list when they are of
/// one kind, `mixed` otherwise.
pub fn pack_column<'v>(values: impl Iterator<Item = &'v Value> + Clone) -> Result<wit::Column, String> {
    column(lvyue_columns::pack_column(values.map(WireValue::wire)))
}

/// Contract 1.1's `request`, lowered into the guest from the host's request
/// as it is: the parameters and options are not copied first, only the
/// tables are packed ([`pack_table`]).
#[derive(wasmtime::component::ComponentType, wasmtime::component::Lower)]
#[component(record)]
pub struct RequestRef<'a> {
    pub jurisdiction: &'a str,
    pub period: &'a super::since_v1_0::Period,
    pub parameters: &'a [super::since_v1_0::Parameter],
    pub tables: Vec<wit::Table>,
    pub options: &'a [(String, String)],
}

impl<'a> RequestRef<'a> {
    pub fn new(request: &'a Request) -> Result<RequestRef<'a>, String> {
        Ok(RequestRef::with_tables(request, request.tables.iter().map(pack_table).collect::<Result<_, _>>()?))
    }

    /// The request with tables packed already (its own `tables` are not read).
    pub fn with_tables(request: &'a Request, tables: Vec<wit::Table>) -> RequestRef<'a> {
        RequestRef {
            jurisdiction: &request.jurisdiction,
            period: &request.period,
            parameters: &request.parameters,
            tables,
            options: &request.options,
        }
    }
}

/// The host's request as contract 1.1's columnar request.
pub fn to_columns(request: &Request) -> Result<wit::Request, String> {
    Ok(wit::Request {
        jurisdiction: request.jurisdiction.clone(),
        period: request.period.clone(),
        parameters: request.parameters.clone(),
        tables: request.tables.iter().map(pack_table).collect::<Result<_, _>>()?,
        options: request.options.clone(),
    })
}

// ---- plugin → host -------------------------------------------------------------

/// Unpacks a column of `rows` values, checking every length.
pub fn unpack_column(c: &wit::Column, rows: usize, what: &str) -> Result<Vec<Value>, String> {
    let values = match &c.values {
        wit::ColumnValues::Numbers(n) => ValuesView::Numbers(NumbersView::new(&n.mantissas, &n.scales, &n.texts.data, &n.texts.ends)),
        wit::ColumnValues::Texts(t) => ValuesView::Texts(TextsView::new(&t.data, &t.ends)),
        wit::ColumnValues::Dates(d) => ValuesView::Dates(DatesView::new(&d.days, &d.texts.data, &d.texts.ends)),
        wit::ColumnValues::Booleans(b) => ValuesView::Booleans(b),
        wit::ColumnValues::Mixed(m) => ValuesView::Mixed {
            kinds: &m.kinds,
            numbers: NumbersView::new(&m.numbers.mantissas, &m.numbers.scales, &m.numbers.texts.data, &m.numbers.texts.ends),
            texts: TextsView::new(&m.texts.data, &m.texts.ends),
            dates: DatesView::new(&m.dates.days, &m.dates.texts.data, &m.dates.texts.ends),
            booleans: &m.booleans,
        },
    };
    lvyue_columns::unpack_column(&c.present, values, rows, what, Value::from_wire)
}

/// The strings of a list of lists: item i is entries `ends[i-1]..ends[i]` of `texts`.
fn unpack_lists(texts: &wit::Texts, ends: &[u32], items: usize, what: &str) -> Result<Vec<Vec<String>>, String> {
    lvyue_columns::unpack_lists(TextsView::new(&texts.data, &texts.ends), ends, items, what)
}

fn strings(t: &wit::Texts, n: usize, what: &str) -> Result<Vec<String>, String> {
    let t = TextsView::new(&t.data, &t.ends).check_len(n, what)?;
    Ok((0..n).map(|i| t.get(i).to_string()).collect())
}

/// A column that must hold only values of one kind (or nothing), as their text.
fn optional(c: &wit::Column, n: usize, what: &str, kind: ValueKind) -> Result<Vec<Option<String>>, String> {
    unpack_column(c, n, what)?
        .into_iter()
        .map(|v| match (v, kind) {
            (Value::Empty, _) => Ok(None),
            (Value::Number(t), ValueKind::Number) | (Value::Text(t), ValueKind::Text) => Ok(Some(t)),
            (other, ValueKind::Number) => Err(format!("{what}: {other:?} where a number was expected")),
            (other, _) => Err(format!("{what}: {other:?} where a text was expected")),
        })
        .collect()
}

/// A column that must hold only numbers (or nothing) as decimal text.
fn optional_numbers(c: &wit::Column, n: usize, what: &str) -> Result<Vec<Option<String>>, String> {
    optional(c, n, what, ValueKind::Number)
}

fn optional_texts(c: &wit::Column, n: usize, what: &str) -> Result<Vec<Option<String>>, String> {
    optional(c, n, what, ValueKind::Text)
}

/// Checks a plugin's columnar evaluation and turns it into the host's.
/// Every length is checked against the others; an inconsistent evaluation
/// is a broken contract, reported with what was wrong.
pub fn from_columns(e: wit::Evaluation) -> Result<Evaluation, String> {
    let d = &e.decisions;
    let nd = d.tables.ends.len();
    let tables = strings(&d.tables, nd, "decisions.tables")?;
    let rows = strings(&d.rows, nd, "decisions.rows")?;
    let subjects = strings(&d.subjects, nd, "decisions.subjects")?;
    let outcomes = strings(&d.outcomes, nd, "decisions.outcomes")?;
    let amounts = optional_numbers(&d.amounts, nd, "decisions.amounts")?;
    let units = optional_texts(&d.units, nd, "decisions.units")?;
    let reasons = unpack_lists(&d.reasons, &d.reason_ends, nd, "decisions.reasons")?;
    let decisions = tables
        .into_iter()
        .zip(rows)
        .zip(subjects)
        .zip(outcomes)
        .zip(amounts)
        .zip(units)
        .zip(reasons)
        .map(|((((((table, row), subject), outcome), amount), unit), reasons)| Decision {
            table,
            row,
            subject,
            outcome,
            amount,
            unit,
            reasons,
        })
        .collect();

    let f = &e.findings;
    let nf = f.severities.len();
    let codes = strings(&f.codes, nf, "findings.codes")?;
    let zh = strings(&f.messages_zh, nf, "findings.messages-zh")?;
    let en = strings(&f.messages_en, nf, "findings.messages-en")?;
    let cells = unpack_lists(&f.cells, &f.cell_ends, nf, "findings.cells")?;
    let findings = f
        .severities
        .iter()
        .zip(codes)
        .zip(zh.into_iter().zip(en))
        .zip(cells)
        .map(|(((severity, code), (zh, en)), cells)| Finding { severity: *severity, code, message: TextZhEn { zh, en }, cells })
        .collect();

    let t = &e.trace;
    let nt = t.clauses.ends.len();
    let clauses = strings(&t.clauses, nt, "trace.clauses")?;
    let zh = strings(&t.descriptions_zh, nt, "trace.descriptions-zh")?;
    let en = strings(&t.descriptions_en, nt, "trace.descriptions-en")?;
    let parameters = unpack_lists(&t.parameters, &t.parameter_ends, nt, "trace.parameters")?;
    let inputs = unpack_lists(&t.inputs, &t.input_ends, nt, "trace.inputs")?;
    let values = unpack_column(&t.values, nt, "trace.values")?;
    let units = optional_texts(&t.units, nt, "trace.units")?;
    let trace = clauses
        .into_iter()
        .zip(zh.into_iter().zip(en))
        .zip(parameters.into_iter().zip(inputs))
        .zip(values.into_iter().zip(units))
        .map(|(((clause, (zh, en)), (parameters, inputs)), (value, unit))| TraceStep {
            clause,
            description: TextZhEn { zh, en },
            parameters,
            inputs,
            value,
            unit,
        })
        .collect();

    let mut tables = Vec::with_capacity(e.tables.len());
    for t in e.tables {
        let rows = t.rows as usize;
        if t.values.len() != t.columns.len() {
            return Err(format!("result table {}: {} value columns for {} columns", t.key, t.values.len(), t.columns.len()));
        }
        // Column by column into the rows: one column is held unpacked at a time.
        // The rows are made from the first column, its length checked.
        let width = t.columns.len();
        let mut out_rows: Vec<Vec<Value>> = if width == 0 { vec![Vec::new(); rows] } else { Vec::new() };
        for (j, (c, spec)) in t.values.iter().zip(&t.columns).enumerate() {
            let column = unpack_column(c, rows, &format!("result table {} column {}", t.key, spec.key))?;
            if j == 0 {
                out_rows = column
                    .into_iter()
                    .map(|v| {
                        let mut row = Vec::with_capacity(width);
                        row.push(v);
                        row
                    })
                    .collect();
            } else {
                out_rows.iter_mut().zip(column).for_each(|(row, v)| row.push(v));
            }
        }
        tables.push(ResultTable { key: t.key, name: t.name, columns: t.columns, rows: out_rows, charts: t.charts });
    }
    Ok(Evaluation { metrics: e.metrics, decisions, findings, trace, tables })
}

/// The request a plugin sees through 1.1, back as rows: the inverse of
/// [`to_columns`], as the SDK computes it (tests prove the round trip).
pub fn rows_of(t: &wit::Table) -> Result<Table, String> {
    let n = t.rows as usize;
    if t.values.len() != t.columns.len() || t.origin.columns.len() != t.columns.len() {
        return Err(format!(
            "table {}: {} value columns and {} origins for {} columns",
            t.key,
            t.values.len(),
            t.origin.columns.len(),
            t.columns.len()
        ));
    }
    let values: Vec<Vec<Value>> = t.values.iter().map(|c| unpack_column(c, n, &t.key)).collect::<Result<_, _>>()?;
    let o = &t.origin;
    let origin = Origin {
        sheet: o.sheet.clone(),
        indexed: matches!(o.style, wit::RowStyle::Indexed),
        first_row: o.first_row,
        row_numbers: o.row_numbers.clone(),
        columns: o
            .columns
            .iter()
            .map(|c| match c {
                wit::ColumnOrigin::Letter(l) => ColumnOrigin::Letter(l.clone()),
                wit::ColumnOrigin::Field(f) => ColumnOrigin::Field(f.clone()),
                wit::ColumnOrigin::Absent(a) => ColumnOrigin::Absent(a.clone()),
            })
            .collect(),
        exception_rows: o.exception_rows.clone(),
        exception_columns: o.exception_columns.clone(),
        exceptions: o.exceptions.data.clone(),
        exception_ends: o.exceptions.ends.clone(),
    };
    if !origin.is_consistent(t.columns.len()) {
        return Err(format!("table {}: the origin's exceptions are not one text per (row, column), in order", t.key));
    }
    let rows = (0..n)
        .map(|i| Row {
            source: origin.row_ref(i),
            cells: values.iter().enumerate().map(|(j, column)| Cell { value: column[i].clone(), source: origin.cell_ref(i, j) }).collect(),
        })
        .collect();
    Ok(Table { key: t.key.clone(), columns: t.columns.clone(), rows })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(rows: &[(&str, &[(&str, Value)])]) -> Table {
        Table {
            key: "t".into(),
            columns: vec!["a".into(), "b".into(), "c".into()],
            rows: rows
                .iter()
                .map(|(s, cells)| Row {
                    source: s.to_string(),
                    cells: cells.iter().map(|(at, v)| Cell { value: v.clone(), source: at.to_string() }).collect(),
                })
                .collect(),
        }
    }

    fn num(s: &str) -> Value {
        Value::Number(s.into())
    }

    /// A request with the one table.
    fn request(t: &Table) -> Request {
        Request {
            jurisdiction: "x".into(),
            period: super::super::since_v1_0::Period { year: 2024, start: "a".into(), end: "b".into() },
            parameters: vec![],
            tables: vec![t.clone()],
            options: vec![],
        }
    }

    #[test]
    fn workbook_references_follow_the_pattern() {
        let t = table(&[
            ("Sources!2", &[("Sources!B2", num("1.5")), ("Sources!2, Fuel", Value::Empty), ("Sources!D2", Value::Text("x".into()))]),
            ("Sources!3", &[("Sources!B3", num("-0")), ("Sources!3, Fuel", Value::Empty), ("Sources!D3", Value::Empty)]),
            ("Sources!5", &[("Sources!B5", Value::Empty), ("Sources!5, Fuel", Value::Empty), ("Sources!D5", Value::Text("数".into()))]),
        ]);
        let o = pack_table(&t).unwrap().origin;
        assert_eq!(o.sheet, "Sources");
        assert_eq!(o.first_row, 2);
        assert_eq!(o.row_numbers, [2, 3, 5], "a blank row skipped");
        assert_eq!(
            o.columns,
            [wit::ColumnOrigin::Letter("B".into()), wit::ColumnOrigin::Absent("Fuel".into()), wit::ColumnOrigin::Letter("D".into())]
        );
        assert!(o.exception_rows.is_empty());
        let cols = to_columns(&request(&t)).unwrap();
        assert_eq!(rows_of(&cols.tables[0]).unwrap(), t);
    }

    #[test]
    fn references_off_the_pattern_are_exceptions() {
        let t = table(&[
            (
                "req.toml:t[1]",
                &[("req.toml:t[1].a", num("1")), ("req.toml:t[1], B", Value::Empty), ("elsewhere!Z9", Value::Date("2024-02-29".into()))],
            ),
            (
                "req.toml:t[2]",
                &[
                    ("req.toml:t[2].a", num("12345678901234567890.5")),
                    ("req.toml:t[2].b", Value::Text("y".into())),
                    ("req.toml:t[2].c", Value::Date("2024-02-30".into())),
                ],
            ),
            ("Months!C7", &[("Months!C7", Value::Boolean(true)), ("Months!A7", Value::Empty), ("Months!B1", Value::Empty)]),
        ]);
        let o = pack_table(&t).unwrap().origin;
        assert_eq!(o.style, wit::RowStyle::Indexed);
        assert_eq!(o.columns[0], wit::ColumnOrigin::Field("a".into()));
        assert!(!o.exception_rows.is_empty());
        let cols = to_columns(&request(&t)).unwrap();
        assert!(matches!(cols.tables[0].values[0].values, wit::ColumnValues::Mixed(_)), "numbers and a boolean");
        assert_eq!(rows_of(&cols.tables[0]).unwrap(), t);
    }

    #[test]
    fn rows_before_a_pattern_is_known_are_packed_when_it_is() {
        // The first row has no row number, and column b's first cells follow no pattern.
        let t = table(&[
            ("a note", &[("a note.a", num("1")), ("odd", Value::Empty), ("Sources!D1", Value::Empty)]),
            ("Sources!2", &[("Sources!B2", num("2")), ("odd too", Value::Empty), ("Sources!D2", Value::Text("x".into()))]),
            ("Sources!3", &[("Sources!B3", num("3")), ("Sources!C3", Value::Boolean(false)), ("Sources!D3", Value::Empty)]),
            ("Sources!4", &[("Sources!B4", Value::Empty), ("Sources!C4", Value::Empty), ("Sources!E4", Value::Empty)]),
        ]);
        let packed = pack_table(&t).unwrap();
        let o = &packed.origin;
        assert_eq!((o.sheet.as_str(), o.first_row, o.row_numbers.as_slice()), ("Sources", 1, &[][..]), "the first row takes number 1");
        assert_eq!(
            o.columns,
            [wit::ColumnOrigin::Letter("B".into()), wit::ColumnOrigin::Letter("C".into()), wit::ColumnOrigin::Letter("D".into())]
        );
        let exceptions: Vec<(u32, u32)> = o.exception_rows.iter().copied().zip(o.exception_columns.iter().copied()).collect();
        assert_eq!(exceptions, [(0, 0), (0, 1), (0, 3), (1, 1), (3, 2)]);
        assert_eq!(rows_of(&packed).unwrap(), t);
        let none = table(&[("x", &[("p", num("1")), ("q", Value::Empty), ("r", Value::Empty)])]);
        let packed = pack_table(&none).unwrap();
        assert_eq!(packed.origin.columns[0], wit::ColumnOrigin::Absent("a".into()), "no pattern at all: every reference an exception");
        assert_eq!(rows_of(&packed).unwrap(), none);
    }

    #[test]
    fn inconsistent_columns_are_refused() {
        let c = pack_column([num("1"), Value::Empty, num("2")].iter()).unwrap();
        assert_eq!(unpack_column(&c, 3, "x").unwrap(), [num("1"), Value::Empty, num("2")]);
        assert!(unpack_column(&c, 4, "x").is_err(), "wrong row count");
        let bad =
            wit::Column { present: vec![0b111], values: wit::ColumnValues::Texts(wit::Texts { data: "数".into(), ends: vec![1, 3, 3] }) };
        assert!(unpack_column(&bad, 3, "x").unwrap_err().contains("character boundaries"));
        let bad = wit::Column {
            present: vec![0b1],
            values: wit::ColumnValues::Numbers(wit::Numbers {
                mantissas: vec![1],
                scales: vec![40],
                texts: wit::Texts { data: String::new(), ends: vec![] },
            }),
        };
        assert!(unpack_column(&bad, 1, "x").unwrap_err().contains("scale 40"));
    }
}
