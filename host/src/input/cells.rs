//! A row's cells by column key ([`Cells`]) and the references of the cells
//! a row does not keep ([`CellPrefixes`]).
//!
//! `Cells` is a `litemap::LiteMap`: a map over one vector sorted by key,
//! allocated to the row's size. A `BTreeMap` allocates a node with room for
//! eleven cells whatever the row holds (896 bytes a row, 98 MiB for a
//! 100,000-row inventory). Iteration is in key order, as the map's was.

use super::{RawCell, RawRow};

/// A row's cells by column key, in key order.
pub type Cells = litemap::LiteMap<String, RawCell>;

/// Where the cells of a table read from a sheet are: the reference prefix
/// of each column read ("Emission sources!C"). A row keeps only the cells
/// that hold a value, and those without their reference (an empty
/// [`RawCell::at`](super::RawCell::at)): a cell's reference is its column's
/// prefix and the row's number, the number its own reference ends with. For
/// 100,000 rows of four cells that is 400,000 strings not made.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CellPrefixes(Vec<(String, String)>);

impl CellPrefixes {
    /// From (column key, prefix) pairs.
    pub fn new(mut prefixes: Vec<(String, String)>) -> CellPrefixes {
        prefixes.sort();
        CellPrefixes(prefixes)
    }

    /// The reference of the cell of `key` in `row`: the cell's own, or for a
    /// cell kept without one or a column read and left empty in this row, its
    /// prefix and the row's number. A row of another sheet (one a layout
    /// added to the table) has no cell here: `None`.
    pub fn at(&self, row: &RawRow, key: &str) -> Option<String> {
        if let Some(c) = row.cells.get(key)
            && !c.at.is_empty()
        {
            return Some(c.at.clone());
        }
        let i = self.0.binary_search_by(|(k, _)| k.as_str().cmp(key)).ok()?;
        let prefix = &self.0[i].1;
        let (sheet, number) = row.source.rsplit_once('!')?;
        number.parse::<u32>().ok()?;
        (prefix.rsplit_once('!')?.0 == sheet).then(|| format!("{prefix}{number}"))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::input::RawValue;

    fn cell(n: &str) -> RawCell {
        RawCell { value: RawValue::Number(n.into()), at: format!("S!A{n}") }
    }

    #[test]
    fn cells_behave_as_the_map_they_replace() {
        let given = [("b", "1"), ("a", "2"), ("c", "3"), ("a", "4")];
        let cells: Cells = given.iter().map(|(k, n)| (k.to_string(), cell(n))).collect();
        let map: BTreeMap<String, RawCell> = given.iter().map(|(k, n)| (k.to_string(), cell(n))).collect();
        assert_eq!(cells.iter().collect::<Vec<_>>(), map.iter().collect::<Vec<_>>(), "key order, the last of a key kept");
        let (mut cells, mut map) = (cells, map);
        assert_eq!(cells.insert("aa".into(), cell("5")), map.insert("aa".into(), cell("5")));
        assert_eq!(cells.insert("c".into(), cell("6")), map.insert("c".into(), cell("6")));
        assert_eq!(cells.remove("b"), map.remove("b"));
        assert_eq!(cells.remove("zz"), map.remove("zz"));
        cells.entry("d".into()).or_insert(cell("7")).at.push('!');
        map.entry("d".into()).or_insert(cell("7")).at.push('!');
        cells.entry("a".into()).or_insert(cell("8"));
        map.entry("a".into()).or_insert(cell("8"));
        assert_eq!(cells.iter().collect::<Vec<_>>(), map.iter().collect::<Vec<_>>());
        assert_eq!((cells.len(), cells.get("d").unwrap().at.as_str(), cells.contains_key("b")), (map.len(), "S!A7!", false));
        assert!(cells.get_mut("zz").is_none() && Cells::new().is_empty());
    }

    #[test]
    fn an_empty_cell_is_referred_to_by_its_column_and_row() {
        let prefixes = CellPrefixes::new(vec![("fuel".into(), "排放源 Sources!D".into()), ("activity".into(), "排放源 Sources!E".into())]);
        let mut row = RawRow { source: "排放源 Sources!12".into(), cells: Cells::new() };
        row.cells.insert("activity".into(), cell("7"));
        assert_eq!(prefixes.at(&row, "fuel").as_deref(), Some("排放源 Sources!D12"), "read and left empty");
        assert_eq!(prefixes.at(&row, "activity").as_deref(), Some("S!A7"), "a cell kept has its own");
        assert_eq!(prefixes.at(&row, "unit"), None, "a column not read");
        let odd = RawRow { source: "request.toml:sources[3]".into(), cells: Cells::new() };
        assert_eq!(prefixes.at(&odd, "fuel"), None, "a row whose reference ends in no row number");
        let mut kept = RawRow { source: "排放源 Sources!13".into(), cells: Cells::new() };
        kept.cells.insert("activity".into(), RawCell { value: RawValue::Number("7".into()), at: String::new() });
        assert_eq!(prefixes.at(&kept, "activity").as_deref(), Some("排放源 Sources!E13"), "a cell kept without its reference");
        let other = RawRow { source: "月报 Monthly!12".into(), cells: Cells::new() };
        assert_eq!(prefixes.at(&other, "fuel"), None, "a row another sheet added");
    }
}
