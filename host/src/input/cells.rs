//! A row's cells by column key ([`Cells`]).
//!
//! Hand-written rather than a `BTreeMap` because of memory: a row holds a
//! handful of cells, and a `BTreeMap` allocates a node with room for eleven
//! whatever the row holds (896 bytes a row for `RawCell`s, 98 MiB for a
//! 100,000-row inventory). This is a vector kept sorted by key, allocated to
//! the row's size, with the map operations the readers use; iteration is in
//! key order, as the map's was.

use std::ops::Index;

use super::{RawCell, RawRow};

/// A row's cells by column key, in key order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cells(Vec<(String, RawCell)>);

impl Cells {
    pub fn new() -> Cells {
        Cells::default()
    }

    fn find(&self, key: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.as_str().cmp(key))
    }

    pub fn get(&self, key: &str) -> Option<&RawCell> {
        self.find(key).ok().map(|i| &self.0[i].1)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut RawCell> {
        self.find(key).ok().map(|i| &mut self.0[i].1)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.find(key).is_ok()
    }

    /// Sets the cell of `key`, returning the one it replaces.
    pub fn insert(&mut self, key: String, cell: RawCell) -> Option<RawCell> {
        match self.find(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, cell)),
            Err(i) => {
                self.0.insert(i, (key, cell));
                None
            }
        }
    }

    /// The cell of `key`, set to `cell` first if there is none.
    pub fn or_insert(&mut self, key: String, cell: RawCell) -> &mut RawCell {
        let i = match self.find(&key) {
            Ok(i) => i,
            Err(i) => {
                self.0.insert(i, (key, cell));
                i
            }
        };
        &mut self.0[i].1
    }

    pub fn remove(&mut self, key: &str) -> Option<RawCell> {
        self.find(key).ok().map(|i| self.0.remove(i).1)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.0.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl Iterator<Item = &RawCell> {
        self.0.iter().map(|(_, c)| c)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &RawCell)> {
        self.0.iter().map(|(k, c)| (k, c))
    }
}

/// Where the cells of a table read from a sheet are: the reference prefix
/// of each column read ("Emission sources!C"). A row keeps only the cells
/// that hold a value; the reference of one left empty is its column's prefix
/// and the row's number, the number its own reference ends with.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CellPrefixes(Vec<(String, String)>);

impl CellPrefixes {
    /// From (column key, prefix) pairs.
    pub fn new(mut prefixes: Vec<(String, String)>) -> CellPrefixes {
        prefixes.sort();
        CellPrefixes(prefixes)
    }

    /// The reference of the cell of `key` in `row`: the cell's own, or for a
    /// column read and left empty in this row, its prefix and the row's number.
    pub fn at(&self, row: &RawRow, key: &str) -> Option<String> {
        if let Some(c) = row.cells.get(key) {
            return Some(c.at.clone());
        }
        let i = self.0.binary_search_by(|(k, _)| k.as_str().cmp(key)).ok()?;
        let number = row.source.rsplit_once('!')?.1;
        number.parse::<u32>().ok()?;
        Some(format!("{}{number}", self.0[i].1))
    }
}

impl Index<&str> for Cells {
    type Output = RawCell;

    fn index(&self, key: &str) -> &RawCell {
        self.get(key).unwrap_or_else(|| panic!("no cell {key:?} in the row"))
    }
}

impl FromIterator<(String, RawCell)> for Cells {
    /// In key order; of two cells with one key the last is kept, as a map's `collect` keeps it.
    fn from_iter<I: IntoIterator<Item = (String, RawCell)>>(cells: I) -> Cells {
        let mut v: Vec<(String, RawCell)> = cells.into_iter().collect();
        if v.windows(2).all(|w| w[0].0 < w[1].0) {
            // The readers give the cells in key order: kept as collected.
            return Cells(v);
        }
        // Stable: equal keys stay in the order given, so the last is the one kept.
        v.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out: Vec<(String, RawCell)> = Vec::with_capacity(v.len());
        for (k, c) in v {
            match out.last_mut() {
                Some(last) if last.0 == k => last.1 = c,
                _ => out.push((k, c)),
            }
        }
        Cells(out)
    }
}

impl From<std::collections::BTreeMap<String, RawCell>> for Cells {
    fn from(map: std::collections::BTreeMap<String, RawCell>) -> Cells {
        Cells(map.into_iter().collect())
    }
}

impl IntoIterator for Cells {
    type Item = (String, RawCell);
    type IntoIter = std::vec::IntoIter<(String, RawCell)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
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
        cells.or_insert("d".into(), cell("7")).at.push('!');
        map.entry("d".into()).or_insert(cell("7")).at.push('!');
        cells.or_insert("a".into(), cell("8"));
        map.entry("a".into()).or_insert(cell("8"));
        assert_eq!(cells.iter().collect::<Vec<_>>(), map.iter().collect::<Vec<_>>());
        assert_eq!((cells.len(), cells["d"].at.as_str(), cells.contains_key("b")), (map.len(), "S!A7!", false));
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
    }
}
