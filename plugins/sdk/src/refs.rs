//! References a trace step cites, held small until they are written.
//!
//! A step's `inputs` are texts: "Emission sources!F12", "trace:3". A sum over
//! 100,000 rows cites 100,000 cells, and a plugin often keeps the same
//! references in several lists (the total, a facility's subtotal, what
//! rounding changed). As `String`s that is one allocation of some 40 bytes
//! per reference per list. A [`Ref`] is the cell's table origin, row and
//! column (or a step's index, or a borrowed text): a few bytes, no
//! allocation, written out only when the step is recorded
//! ([`crate::Output::step_citing`]), straight into the buffer that crosses
//! the boundary. Its text is byte for byte what [`crate::RowView::at`] gives.

use std::fmt;

use lvyue_columns::Origin;

/// A reference a trace step cites: an input cell, an input row, an earlier
/// step, or a text. `Copy`, and no larger than a few words.
///
/// ```
/// use lvyue_sdk::{Output, Ref};
/// assert_eq!(Ref::step(3).to_string(), Output::ref_step(3));
/// assert_eq!(Ref::text("option:sector").to_string(), "option:sector");
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Ref<'a>(Inner<'a>);

#[derive(Clone, Copy, PartialEq, Eq)]
enum Inner<'a> {
    /// Row `.1`, column `.2` of a table the host passed as columns. The
    /// column fits 16 bits (a sheet has at most 16,384 columns; the SDK
    /// refuses a table with more), so a `Ref` is 12 bytes in the guest, not
    /// 16: plugins hold hundreds of thousands of them in a large evaluation.
    Cell(&'a Origin, u32, u16),
    /// Row `.1` of a table the host passed as columns.
    Row(&'a Origin, u32),
    /// Trace step `.0`.
    Step(u32),
    Text(&'a str),
}

// Three words in the guest (see `Inner::Cell`).
#[cfg(target_pointer_width = "32")]
const _: () = assert!(std::mem::size_of::<Ref<'static>>() == 12);

impl<'a> Ref<'a> {
    /// An earlier trace step ("trace:<index>", as [`crate::Output::ref_step`]).
    pub fn step(index: u32) -> Ref<'static> {
        Ref(Inner::Step(index))
    }

    /// A reference given as text (a cell of a row passed as a record, an option).
    pub fn text(text: &'a str) -> Ref<'a> {
        Ref(Inner::Text(text))
    }

    pub(crate) fn cell(origin: &'a Origin, row: usize, column: usize) -> Ref<'a> {
        debug_assert!(column <= usize::from(u16::MAX), "tables are refused past 65,535 columns");
        Ref(Inner::Cell(origin, row as u32, column as u16))
    }

    pub(crate) fn row(origin: &'a Origin, row: usize) -> Ref<'a> {
        Ref(Inner::Row(origin, row as u32))
    }

    /// The length in bytes of the reference's text, without writing it.
    pub fn text_len(&self) -> usize {
        match self.0 {
            Inner::Cell(origin, i, j) => origin.cell_ref_len(i as usize, j as usize),
            Inner::Row(origin, i) => origin.row_source_len(i as usize),
            Inner::Step(i) => "trace:".len() + lvyue_columns::digits(i),
            Inner::Text(t) => t.len(),
        }
    }

    /// Appends the reference's text to `out`.
    pub fn push_to(&self, out: &mut String) {
        match self.0 {
            Inner::Cell(origin, i, j) => origin.push_cell_ref(out, i as usize, j as usize),
            Inner::Row(origin, i) => origin.push_row_source(out, i as usize),
            Inner::Step(i) => {
                out.push_str("trace:");
                lvyue_columns::push_u32(out, i);
            }
            Inner::Text(t) => out.push_str(t),
        }
    }
}

impl fmt::Display for Ref<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from(*self))
    }
}

impl fmt::Debug for Ref<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ref({self})")
    }
}

impl From<Ref<'_>> for String {
    /// The text in one allocation of about its size (a cell's reference is
    /// made for nearly every finding and decision).
    fn from(r: Ref<'_>) -> String {
        let room = match r.0 {
            Inner::Cell(origin, ..) => origin.sheet.len() + 24,
            Inner::Row(origin, _) => origin.sheet.len() + 12,
            Inner::Step(_) => 16,
            Inner::Text(t) => t.len(),
        };
        let mut s = String::with_capacity(room);
        r.push_to(&mut s);
        s
    }
}

/// The texts of `refs`, in order (for a finding's cells or a step's inputs).
pub fn texts(refs: &[Ref<'_>]) -> Vec<String> {
    refs.iter().map(|r| String::from(*r)).collect()
}

#[cfg(all(test, not(feature = "contract-1-0")))]
mod tests {
    use std::rc::Rc;

    use lvyue_columns::ColumnOrigin;

    use super::*;
    use crate::columns::{Col, Packed};
    use crate::{Cell, Context, Output, Period, Request, Row, Rows, Step, Table, Value, num};

    /// A table passed as columns (a letter, a request field, an absent
    /// column, an exception, rows not consecutive) and a row added as a
    /// record after them.
    fn request() -> Request {
        let origin = Origin {
            sheet: "排放源 Sources".into(),
            indexed: false,
            first_row: 2,
            row_numbers: vec![2, 3, 17],
            columns: vec![ColumnOrigin::Letter("C".into()), ColumnOrigin::Field("qty".into()), ColumnOrigin::Absent("Fuel".into())],
            exception_rows: vec![1, 2],
            exception_columns: vec![0, 3],
            exceptions: "Other!D4Other!9".into(),
            exception_ends: vec![8, 15],
        };
        let bits = || Col::Booleans { present: vec![0b111], bits: vec![0b101] };
        let packed = Packed::new(3, vec![bits(), bits(), bits()], origin);
        let mut rows = Rows::packed(Rc::new(packed));
        rows.rows.push(Row {
            source: "given!5".into(),
            cells: ["given!C5", "given!D5", "given!E5"]
                .iter()
                .map(|s| Cell { value: Value::Boolean(true), source: s.to_string() })
                .collect(),
        });
        Request {
            jurisdiction: "x".into(),
            period: Period { year: 2024, start: "2024-01-01".into(), end: "2024-12-31".into() },
            parameters: vec![],
            tables: vec![Table { key: "t".into(), columns: vec!["a".into(), "b".into(), "c".into()], rows }],
            options: vec![],
        }
    }

    #[test]
    fn a_cited_cell_or_row_reads_as_its_reference() {
        let req = request();
        let ctx = Context::new(&req);
        let table = &req.tables[0];
        let mut seen = 0;
        for (i, row) in ctx.table("t").rows().enumerate() {
            for (j, key) in ["a", "b", "c"].into_iter().enumerate() {
                // The reference as 1.0 passes it: each cell's own source.
                let expected = table.rows.get(i).map(|r| r.cells[j].source.clone()).expect("a row");
                assert_eq!(row.cite(key).to_string(), expected, "row {i}, {key}");
                assert_eq!(row.cite(key).text_len(), expected.len(), "row {i}, {key}");
                assert_eq!(row.at(key), expected);
                seen += 1;
            }
            assert_eq!(row.cite_row().to_string(), row.source(), "row {i}");
            assert_eq!(row.cite_row().text_len(), row.source().len(), "row {i}");
            assert_eq!(row.cite("none").to_string(), "", "no such column");
        }
        assert_eq!(seen, 12, "three packed rows and the given one");
        let rows: Vec<_> = ctx.table("t").rows().collect();
        assert_eq!(rows[1].cite("a").to_string(), "Other!D4", "an exception");
        assert_eq!(rows[2].cite_row().to_string(), "Other!9");
        assert_eq!(rows[2].cite("b").to_string(), "排放源 Sources!17.qty", "a field follows the pattern, not the row's exception");
        assert_eq!(rows[0].cite("c").to_string(), "排放源 Sources!2, Fuel");
        assert_eq!(rows[3].cite("b").to_string(), "given!D5");
        assert_eq!(format!("{:?}", Ref::step(7)), "Ref(trace:7)");
        assert_eq!((Ref::step(7).text_len(), Ref::step(10).text_len(), Ref::text("甲").text_len()), (7, 8, 3));
    }

    #[test]
    fn a_step_citing_refs_is_the_step_with_their_texts() {
        let req = request();
        let ctx = Context::new(&req);
        let cited: Vec<Ref> = ctx.table("t").rows().flat_map(|r| [r.cite("a"), r.cite_row()]).chain([Ref::step(0)]).collect();
        let texts = texts(&cited);
        assert_eq!(texts.len(), 9);
        let record = |out: &mut Output, by_ref: bool| {
            out.step(Step { clause: "c", zh: "零", en: "zero", parameters: &[], inputs: vec![] }, Value::Empty, None);
            let own = vec!["option:x".to_string()];
            let step = Step { clause: "c", zh: "和", en: "sum", parameters: &["p"], inputs: own.clone() };
            match by_ref {
                true => out.step_citing(step, &cited, num(crate::dec("1.5").unwrap()), Some("t")),
                false => out.step(Step { inputs: [own, texts.clone()].concat(), ..step }, num(crate::dec("1.5").unwrap()), Some("t")),
            };
        };
        let steps = |by_ref: bool, packed: bool, reserved: bool| {
            let mut out = Output::default();
            let mut go = || {
                if reserved {
                    out.reserve_citations([&cited[..]]);
                }
                record(&mut out, by_ref)
            };
            match packed {
                true => crate::evaluation::packing(go),
                false => go(),
            }
            format!("{:?}", out.finish().trace.into_steps())
        };
        let expected = steps(false, false, false);
        assert!(expected.contains("Other!D4") && expected.contains("trace:0"), "{expected}");
        assert_eq!(steps(true, false, false), expected, "kept as given");
        assert_eq!(steps(true, true, false), expected, "packed for contract 1.1");
        assert_eq!(steps(false, true, false), expected);
        assert_eq!(steps(true, true, true), expected, "room made beforehand");
        assert_eq!(steps(true, false, true), expected);
    }
}
