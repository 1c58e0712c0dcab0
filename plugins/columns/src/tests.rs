use super::*;

/// A side's generated types, as both generators write them from the WIT's `types`.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Empty,
    Number(String),
    Text(String),
    Date(String),
    Boolean(bool),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum ValueKind {
    Number,
    Text,
    Date,
    Boolean,
}

crate::wire_types!(Value, ValueKind);

fn num(s: &str) -> Value {
    Value::Number(s.into())
}

fn date(s: &str) -> Value {
    Value::Date(s.into())
}

const DECIMALS: &[(&str, Option<(i64, u8)>)] = &[
    ("0", Some((0, 0))),
    ("1.50", Some((150, 2))),
    ("-0.05", Some((-5, 2))),
    ("1200", Some((1200, 0))),
    ("0.0", Some((0, 1))),
    ("-12.345", Some((-12_345, 3))),
    ("9223372036854775807", Some((i64::MAX, 0))),
    ("-9223372036854775807", Some((-9_223_372_036_854_775_807, 0))),
    ("922337203685477580.7", Some((i64::MAX, 1))),
    ("9223372036854775808", None),
    ("-9223372036854775808", None),
    ("-0", None),
    ("-0.00", None),
    ("01", None),
    (".5", None),
    ("5.", None),
    ("+5", None),
    ("1e5", None),
    ("1.2.3", None),
    (" 1", None),
    ("", None),
    ("-", None),
    ("0.0000000000000000000000000001", Some((1, 28))),
    ("-0.0000000000000000000000000001", Some((-1, 28))),
    ("0.00000000000000000000000000001", None),
];

const DATES: &[(&str, Option<i32>)] = &[
    ("1970-01-01", Some(0)),
    ("1969-12-31", Some(-1)),
    ("1970-01-02", Some(1)),
    ("1900-01-01", Some(-25567)),
    ("2024-02-29", Some(19782)),
    ("2023-02-29", None),
    ("2000-02-29", Some(11016)),
    ("1900-02-29", None),
    ("2999-12-31", Some(376199)),
    ("0000-01-01", Some(FIRST_DAY)),
    ("0000-03-01", Some(-719468)),
    ("9999-12-31", Some(LAST_DAY)),
    ("2024-1-01", None),
    ("2024-13-01", None),
    ("2024-00-01", None),
    ("2024-04-31", None),
    ("2024/01/01", None),
    ("10000-01-01", None),
];

#[test]
fn decimals_round_trip_exactly() {
    for (text, packed) in DECIMALS {
        assert_eq!(pack_decimal(text), *packed, "{text}");
        if let Some((m, s)) = packed {
            assert_eq!(unpack_decimal(*m, *s), *text);
        }
    }
    assert_eq!(unpack_decimal(i64::MIN, 0), "-9223372036854775808", "the one mantissa text never packs still reads");
    assert_eq!(unpack_decimal(-5, 28), "-0.0000000000000000000000000005");
}

#[test]
fn dates_round_trip_exactly() {
    for (text, packed) in DATES {
        assert_eq!(pack_date(text), *packed, "{text}");
        if let Some(d) = packed {
            assert_eq!(unpack_date(*d), *text);
        }
    }
    // Every day of four centuries, and the edges of the years 0000 to 9999.
    for d in (-25567..(-25567 + 146_097)).chain(FIRST_DAY..FIRST_DAY + 400).chain(LAST_DAY - 400..=LAST_DAY) {
        let text = unpack_date(d);
        assert_eq!(text.len(), 10, "{d}");
        assert_eq!(pack_date(&text), Some(d));
    }
}

#[test]
fn bits_pack_least_significant_first() {
    let mut b = Bits::default();
    for on in [true, false, false, true, false, false, false, false, true] {
        b.push(on);
    }
    let bytes = b.into_bytes();
    assert_eq!(bytes, [0b0000_1001, 0b0000_0001], "a one-bit tail takes a byte of its own");
    assert!(bit(&bytes, 0) && bit(&bytes, 3) && bit(&bytes, 8) && !bit(&bytes, 9) && !bit(&bytes, 100));
    assert!(check_bits(&bytes, 9, "x").is_ok());
    assert!(check_bits(&bytes, 8, "x").is_err() && check_bits(&bytes, 17, "x").is_err());
    assert!(Bits::default().into_bytes().is_empty());
    assert!(check_bits(&[], 0, "x").is_ok());
}

/// A column packed, as the other side receives it.
fn view(c: &Column<ValueKind>) -> ValuesView<'_, ValueKind> {
    c.view()
}

fn round_trip(values: &[Value]) -> Column<ValueKind> {
    let c = pack_column::<ValueKind>(values.iter().map(WireValue::wire));
    let back = unpack_column(&c.present, view(&c), values.len(), "t", Value::from_wire).unwrap();
    assert_eq!(back, values);
    assert!(unpack_column(&c.present, view(&c), values.len() + 8, "t", Value::from_wire).is_err(), "another row count");
    c
}

#[test]
fn columns_round_trip() {
    let c = round_trip(&[]);
    assert!(c.present.is_empty() && matches!(c.values, Values::Booleans(ref b) if b.is_empty()), "an empty column");
    let c = round_trip(&[Value::Empty, Value::Empty, Value::Empty]);
    assert_eq!(c.present, [0]);
    assert!(matches!(c.values, Values::Booleans(ref b) if b == &[0]), "all empty: a clear bit per row, the smallest kind");
    // The same when the kind is learnt as the values come, over more than a byte of rows.
    let mut streaming = ColumnOut::<ValueKind>::streaming();
    (0..9).for_each(|_| streaming.push(ValueRef::Empty));
    let c = streaming.finish();
    assert_eq!(c.present, [0, 0]);
    assert!(matches!(c.values, Values::Booleans(ref b) if b == &[0, 0]));
    assert_eq!(unpack_column(&c.present, view(&c), 9, "t", Value::from_wire).unwrap(), vec![Value::Empty; 9]);
    let c = round_trip(&[num("1.50"), Value::Empty, num("-0"), num("12345678901234567890.5"), num("7")]);
    let Values::Numbers(n) = &c.values else { panic!("numbers") };
    assert_eq!(n.scales, [2, 0, SCALE_TEXT, SCALE_TEXT, 0]);
    assert_eq!(n.texts.data, "-012345678901234567890.5");
    let c = round_trip(&[date("2024-02-29"), Value::Empty, date("2024-02-30"), date("0000-01-01")]);
    assert!(matches!(c.values, Values::Dates(ref d) if d.days == [19782, 0, DAY_TEXT, FIRST_DAY]));
    let c = round_trip(&[Value::Text("数".into()), Value::Empty, Value::Text("".into())]);
    assert_eq!(c.present, [0b101], "an empty text is present");
    let mut nine = vec![Value::Boolean(false); 8];
    nine.push(Value::Boolean(true));
    let c = round_trip(&nine);
    assert!(matches!(c.values, Values::Booleans(ref b) if *b == [0, 1]), "the ninth row's bit alone in its byte");
    let c = round_trip(&[num("1"), Value::Empty, Value::Text("a".into()), date("2024-13-01"), Value::Boolean(true), num("x")]);
    let Values::Mixed(m) = &c.values else { panic!("mixed") };
    assert_eq!(m.kinds, [ValueKind::Number, ValueKind::Text, ValueKind::Date, ValueKind::Boolean, ValueKind::Number]);
    assert_eq!((m.numbers.scales.as_slice(), m.dates.days.as_slice()), ([0, SCALE_TEXT].as_slice(), [DAY_TEXT].as_slice()));
}

#[test]
fn an_escaped_number_on_an_empty_row_keeps_the_order() {
    let n = NumbersOut { mantissas: vec![0, 0, 3], scales: vec![SCALE_TEXT, SCALE_TEXT, 0], texts: texts(["a", "b"].into_iter()) };
    let out = unpack_column::<ValueKind, _>(&[0b110], ValuesView::Numbers(n.view()), 3, "t", Value::from_wire).unwrap();
    assert_eq!(out, [Value::Empty, num("b"), num("3")]);
}

#[test]
fn inconsistent_columns_are_refused() {
    let err =
        |present: &[u8], values: ValuesView<'_, ValueKind>, rows| unpack_column(present, values, rows, "x", Value::from_wire).unwrap_err();
    assert!(err(&[0b111], ValuesView::Texts(TextsView::new("数", &[1, 3, 3])), 3).contains("character boundaries"));
    assert!(err(&[0b111], ValuesView::Texts(TextsView::new("ab", &[2, 1, 2])), 3).contains("not increasing"));
    assert!(err(&[0b1], ValuesView::Texts(TextsView::new("ab", &[1, 2])), 1).contains("2 strings for 1 entries"));
    let numbers = |scales: &'static [u8]| NumbersView { mantissas: &[1], scales, texts: TextsView::new("", &[]) };
    assert!(err(&[0b1], ValuesView::Numbers(numbers(&[40])), 1).contains("scale 40 is over 28"));
    assert!(err(&[0b1], ValuesView::Numbers(numbers(&[SCALE_TEXT])), 1).contains("1 numbers passed as text, 0 texts"));
    assert!(err(&[0b1], ValuesView::Numbers(numbers(&[0, 0])), 1).contains("1 mantissas and 2 scales"));
    let days = DatesView { days: &[DAY_TEXT], texts: TextsView::new("", &[]) };
    assert!(err(&[0b1], ValuesView::Dates(days), 1).contains("1 dates passed as text, 0 texts"));
    assert!(err(&[0b1, 0], ValuesView::Booleans(&[1]), 1).contains("2 bytes of bits for 1 rows"));
    let mixed = ValuesView::Mixed {
        kinds: &[ValueKind::Boolean],
        numbers: NumbersView { mantissas: &[], scales: &[], texts: TextsView::new("", &[]) },
        texts: TextsView::new("", &[]),
        dates: DatesView { days: &[], texts: TextsView::new("", &[]) },
        booleans: &[1],
    };
    assert!(err(&[0b11], mixed, 2).contains("1 kinds for 2 values"));
}

#[test]
fn lists_round_trip() {
    let items: Vec<Vec<String>> = vec![vec!["A1".into(), "B2".into()], vec![], vec!["数".into()]];
    let (t, ends) = lists(items.iter());
    assert_eq!((t.data.as_str(), ends.as_slice()), ("A1B2数", [2, 2, 3].as_slice()));
    assert_eq!(unpack_lists(t.view(), &ends, 3, "l").unwrap(), items);
    assert!(unpack_lists(t.view(), &[2, 1, 3], 3, "l").unwrap_err().contains("not increasing"));
    assert!(unpack_lists(t.view(), &[2, 2], 2, "l").unwrap_err().contains("3 strings, the lists hold 2"));
    assert!(unpack_lists(TextsView::new("", &[]), &[], 0, "l").unwrap().is_empty());
}

#[test]
fn optional_columns_mark_the_missing() {
    let c = optional_numbers::<ValueKind>([Some("1.5"), None, Some("2")].into_iter());
    assert_eq!(unpack_column(&c.present, view(&c), 3, "n", Value::from_wire).unwrap(), [num("1.5"), Value::Empty, num("2")]);
    let c = optional_texts::<ValueKind>([None, Some("t")].into_iter());
    assert_eq!(unpack_column(&c.present, view(&c), 2, "t", Value::from_wire).unwrap(), [Value::Empty, Value::Text("t".into())]);
}

fn origin() -> Origin {
    Origin {
        sheet: "排放源 Sources".into(),
        indexed: false,
        first_row: 2,
        row_numbers: vec![2, 3, 7],
        columns: vec![ColumnOrigin::Letter("C".into()), ColumnOrigin::Absent("Fuel".into()), ColumnOrigin::Field("x".into())],
        exception_rows: vec![1, 2],
        exception_columns: vec![0, 3],
        exceptions: "Other!Z1Other!9".into(),
        exception_ends: vec![8, 15],
    }
}

#[test]
fn references_are_computed_from_the_origin() {
    let o = origin();
    assert!(o.is_consistent(3));
    assert_eq!(o.cell_ref(0, 0), "排放源 Sources!C2");
    assert_eq!(o.cell_ref(2, 0), "排放源 Sources!C7");
    assert_eq!(o.cell_ref(0, 1), "排放源 Sources!2, Fuel");
    assert_eq!(o.cell_ref(0, 2), "排放源 Sources!2.x");
    assert_eq!(o.cell_ref(1, 0), "Other!Z1", "an exception");
    assert_eq!(o.row_ref(1), "排放源 Sources!3");
    assert_eq!(o.row_ref(2), "Other!9", "the row's own reference is an exception");
    let indexed = Origin { sheet: "req.toml:t".into(), indexed: true, first_row: 1, row_numbers: vec![], exception_rows: vec![], ..o };
    assert!(!indexed.is_consistent(3), "exception texts without exceptions");
    let indexed = Origin { exception_columns: vec![], exceptions: String::new(), exception_ends: vec![], ..indexed };
    assert!(indexed.is_consistent(3) && !indexed.is_consistent(2));
    assert_eq!(indexed.cell_ref(9, 2), "req.toml:t[10].x");
    assert_eq!(indexed.cell_ref(0, 1), "req.toml:t[1], Fuel");
    assert_eq!(indexed.row_ref(4_294_967_294), "req.toml:t[4294967295]", "the last row number");
}

#[test]
fn reference_lengths_are_the_lengths_of_the_references() {
    let o = origin();
    let indexed = Origin {
        sheet: "req.toml:t".into(),
        indexed: true,
        first_row: 1,
        row_numbers: vec![],
        exception_rows: vec![],
        exception_columns: vec![],
        exceptions: String::new(),
        exception_ends: vec![],
        ..origin()
    };
    for o in [&o, &indexed] {
        let rows = if o.row_numbers.is_empty() { vec![0, 8, 9, 99, 4_294_967_294] } else { vec![0, 1, 2] };
        for i in rows {
            assert_eq!(o.row_source_len(i), o.row_ref(i).len(), "row {i}");
            for j in 0..3 {
                assert_eq!(o.cell_ref_len(i, j), o.cell_ref(i, j).len(), "row {i} column {j}");
            }
        }
    }
    for n in [0, 9, 10, 99, 100, 1_048_576, u32::MAX] {
        let mut s = String::new();
        push_u32(&mut s, n);
        assert_eq!(digits(n), s.len(), "{n}");
    }
}

#[test]
fn unsorted_exceptions_are_inconsistent() {
    let o = Origin {
        exception_rows: vec![2, 1],
        exception_columns: vec![3, 0],
        exceptions: "Other!9Other!Z1".into(),
        exception_ends: vec![7, 15],
        ..origin()
    };
    assert!(!o.is_consistent(3));
}

#[test]
fn numbers_print_without_formatting() {
    for n in [0, 7, 10, 99, 1_048_576, u32::MAX] {
        let mut s = String::from("x");
        push_u32(&mut s, n);
        assert_eq!(s, format!("x{n}"));
    }
}

/// A column streamed value by value, as the other side reads it back; the
/// same with room made for the rows beforehand (as many, or fewer).
fn streamed(values: &[Value]) -> Column<ValueKind> {
    let stream = |mut out: ColumnOut<ValueKind>| {
        values.iter().for_each(|v| out.push(v.wire()));
        assert_eq!(out.len(), values.len());
        let c = out.finish();
        assert_eq!(unpack_column(&c.present, view(&c), values.len(), "t", Value::from_wire).unwrap(), values);
        c
    };
    let c = stream(ColumnOut::streaming());
    for expect in [values.len(), 2] {
        let sized = stream(ColumnOut::streaming_for(expect));
        assert_eq!((sized.present.as_slice(), layout(&sized)), (c.present.as_slice(), layout(&c)), "expecting {expect}");
    }
    c
}

#[test]
fn a_long_list_grows_its_buffers_to_what_it_needs_not_double() {
    let mut t = TextsOut::default();
    t.push("Sources!F2");
    // 100,000 references of about 14 bytes: room for them and a sixteenth more.
    t.reserve_tight(100_000, 1_400_000);
    let (data, ends) = (t.data.capacity(), t.ends.capacity());
    assert!((1_400_010..=1_400_010 + 1_400_010 / 16 + 1).contains(&data), "{data}");
    assert!((100_001..=100_001 + 100_001 / 16 + 1).contains(&ends), "{ends}");
    // What fits already does not move the buffers.
    t.reserve_tight(10, 100);
    assert_eq!((t.data.capacity(), t.ends.capacity()), (data, ends));
    assert_eq!(t.view().get(0), "Sources!F2");

    // A streamed texts column expecting its rows: its text grows to about
    // its size (a doubling buffer would hold up to twice that).
    let mut c = ColumnOut::<ValueKind>::streaming_for(10_000);
    let texts: Vec<String> = (0..10_000).map(|i| format!("Sources!{}", i + 2)).collect();
    texts.iter().for_each(|t| c.push(ValueRef::Text(t)));
    let Values::Texts(out) = c.finish().values else { panic!("a texts column") };
    let len: usize = texts.iter().map(String::len).sum();
    assert_eq!(out.data.len(), len);
    assert!(out.data.capacity() <= len + len / 8, "{} for {len}", out.data.capacity());
}

/// The layout of a column's values, to compare a streamed column with a scanned one.
fn layout(c: &Column<ValueKind>) -> String {
    match &c.values {
        Values::Numbers(n) => format!("numbers {:?} {:?} {:?} {:?}", n.mantissas, n.scales, n.texts.data, n.texts.ends),
        Values::Texts(t) => format!("texts {:?} {:?}", t.data, t.ends),
        Values::Dates(d) => format!("dates {:?} {:?} {:?}", d.days, d.texts.data, d.texts.ends),
        Values::Booleans(b) => format!("booleans {b:?}"),
        Values::Mixed(m) => format!(
            "mixed {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?}",
            m.kinds,
            m.numbers.mantissas,
            m.numbers.scales,
            m.numbers.texts.data,
            m.texts.data,
            m.texts.ends,
            m.dates.days,
            m.dates.texts.data,
            m.booleans
        ),
    }
}

#[test]
fn a_streamed_column_is_the_scanned_column() {
    let e = Value::Empty;
    let t = |s: &str| Value::Text(s.into());
    let cases: Vec<Vec<Value>> = vec![
        vec![],
        vec![e.clone(), e.clone()],
        vec![e.clone(), num("1.5"), e.clone(), num("x"), num("-2")],
        vec![t("甲"), e.clone(), t(""), t("bc")],
        vec![e.clone(), date("2024-02-29"), date("2024-02-30"), e.clone()],
        (0..11).map(|i| if i % 3 == 0 { e.clone() } else { Value::Boolean(i % 2 == 0) }).collect(),
        // The second kind arrives after empties and values of the first, then a third and a fourth.
        vec![e.clone(), num("1"), e.clone(), t("a"), num("x"), date("2024-13-01"), Value::Boolean(true), e.clone(), t("b")],
        vec![t("a"), e.clone(), t("bb"), num("2"), t("c")],
        vec![e.clone(), date("2024-01-02"), date("bad"), e.clone(), num("3")],
        (0..10)
            .map(|i| {
                if i == 9 {
                    num("9")
                } else if i % 2 == 0 {
                    Value::Boolean(true)
                } else {
                    e.clone()
                }
            })
            .collect(),
    ];
    for values in cases {
        let scanned = round_trip(&values);
        let c = streamed(&values);
        assert_eq!((c.present.as_slice(), layout(&c)), (scanned.present.as_slice(), layout(&scanned)), "{values:?}");
    }
}
