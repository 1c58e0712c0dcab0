//! Request files (TOML or JSON): the integration path for `lvyue evaluate`.
//!
//! ```toml
//! jurisdiction = "cn-ets"
//! year = 2024
//!
//! [options]
//! carbon_price_cny = "95"
//!
//! [units.emission_sources]        # optional: units as stated, per column
//! emissions_t = "万吨"
//!
//! [[tables.emission_sources]]     # one entry per row, keyed by column key
//! facility = "Unit 1"
//! source = "Coal boiler"
//! category = "fuel_combustion"
//! emissions_t = "1.2"
//! ```
//!
//! Numbers are best written as text ("1.2") to stay exact; TOML and JSON
//! numbers are read as the shortest decimal that gives the same float.

use std::collections::HashMap;
use std::path::Path;

use crate::input::limits::{self, InputLimits};
use crate::input::{Cells, InputProblem, RawCell, RawRow, RawTable, RawValue};

#[derive(Debug, Clone)]
pub struct RequestFile {
    pub jurisdiction: String,
    pub year: u16,
    pub options: Vec<(String, String)>,
    pub tables: Vec<RawTable>,
}

#[derive(Debug, thiserror::Error)]
#[error("{file}: {message}")]
pub struct RequestError {
    pub file: String,
    pub message: String,
}

/// A request file's problem is a problem with the input (exit 3), named by its file.
impl From<RequestError> for InputProblem {
    fn from(e: RequestError) -> InputProblem {
        InputProblem { sheet: String::new(), cell: e.file, found: e.message, expected_zh: String::new(), expected_en: String::new() }
    }
}

/// A neutral tree both TOML and JSON map onto.
enum Node {
    Null,
    Bool(bool),
    Number(String),
    Text(String),
    Date(String),
    List(Vec<Node>),
    Map(Vec<(String, Node)>),
}

fn from_toml(v: toml::Value) -> Node {
    match v {
        toml::Value::String(s) => Node::Text(s),
        toml::Value::Integer(i) => Node::Number(i.to_string()),
        toml::Value::Float(f) => crate::decimal::from_f64(f).map(Node::Number).unwrap_or(Node::Text(f.to_string())),
        toml::Value::Boolean(b) => Node::Bool(b),
        toml::Value::Datetime(d) => Node::Date(d.to_string()),
        toml::Value::Array(a) => Node::List(a.into_iter().map(from_toml).collect()),
        toml::Value::Table(t) => Node::Map(t.into_iter().map(|(k, v)| (k, from_toml(v))).collect()),
    }
}

/// Builds the neutral tree straight from JSON, counting values as it goes, so
/// a small file of many empty rows (`[{},{},…]`) is refused before it grows.
struct Counted<'a> {
    left: &'a std::cell::Cell<u64>,
    limit: u64,
}

impl<'de> serde::de::DeserializeSeed<'de> for Counted<'_> {
    type Value = Node;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Counted<'_> {
    type Value = Node;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Node, E> {
        self.take()?;
        Ok(Node::Null)
    }
    fn visit_none<E: serde::de::Error>(self) -> Result<Node, E> {
        self.visit_unit()
    }
    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Node, E> {
        self.take()?;
        Ok(Node::Bool(v))
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Node, E> {
        self.take()?;
        Ok(Node::Number(v.to_string()))
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Node, E> {
        self.take()?;
        Ok(match i64::try_from(v) {
            Ok(i) => Node::Number(i.to_string()),
            Err(_) => crate::decimal::from_f64(v as f64).map(Node::Number).unwrap_or(Node::Text(v.to_string())),
        })
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Node, E> {
        self.take()?;
        Ok(crate::decimal::from_f64(v).map(Node::Number).unwrap_or(Node::Text(v.to_string())))
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Node, E> {
        self.take()?;
        Ok(Node::Text(v.to_string()))
    }
    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Node, E> {
        self.take()?;
        Ok(Node::Text(v))
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        self.take()?;
        let mut items = Vec::new();
        while let Some(n) = seq.next_element_seed(Counted { left: self.left, limit: self.limit })? {
            items.push(n);
        }
        Ok(Node::List(items))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        self.take()?;
        let mut entries = Vec::new();
        while let Some(k) = map.next_key::<String>()? {
            let v = map.next_value_seed(Counted { left: self.left, limit: self.limit })?;
            entries.push((k, v));
        }
        Ok(Node::Map(entries))
    }
}

impl Counted<'_> {
    fn take<E: serde::de::Error>(&self) -> Result<(), E> {
        match self.left.get().checked_sub(1) {
            Some(n) => {
                self.left.set(n);
                Ok(())
            }
            None => Err(E::custom(format!(
                "more than {} values (rows and cells) for a limit of {} cells ({})",
                limits::count(self.limit.saturating_mul(2)),
                limits::count(self.limit),
                limits::raise("cells")
            ))),
        }
    }
}

impl RequestFile {
    /// Reads a request file with the limits in force ([`InputLimits::current`]).
    pub fn read(path: &Path) -> Result<RequestFile, RequestError> {
        RequestFile::read_with(path, &InputLimits::current())
    }

    /// Reads a request file: a regular file within `file-mib`, UTF-8 (a
    /// byte-order mark is allowed), TOML or JSON by its extension, with no more
    /// values than the `cells` limit.
    pub fn read_with(path: &Path, limits: &InputLimits) -> Result<RequestFile, RequestError> {
        let file = path.display().to_string();
        let err = |m: String| RequestError { file: file.clone(), message: m };
        let bytes = crate::input::guard::read_file(path, limits).map_err(|p| err(format!("{}; expected {}", p.found, p.expected_en)))?;
        let text = String::from_utf8(bytes)
            .map_err(|e| err(format!("not UTF-8 text (invalid byte at position {})", e.utf8_error().valid_up_to())))?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        let node = if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json")) {
            let left = std::cell::Cell::new(limits.cells.saturating_mul(2));
            let mut de = serde_json::Deserializer::from_str(text);
            let node = serde::de::DeserializeSeed::deserialize(Counted { left: &left, limit: limits.cells }, &mut de)
                .map_err(|e| err(format!("not valid JSON: {e}")))?;
            de.end().map_err(|e| err(format!("not valid JSON: {e}")))?;
            node
        } else {
            from_toml(toml::Value::Table(text.parse::<toml::Table>().map_err(|e| err(format!("not valid TOML: {e}")))?))
        };
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or(file.clone());
        RequestFile::from_node_with(&name, node, limits).map_err(err)
    }

    /// Reads a request from a parsed TOML table (test cases embed requests this way).
    pub fn from_toml_table(name: &str, table: toml::Table) -> Result<RequestFile, String> {
        RequestFile::from_node_with(name, from_toml(toml::Value::Table(table)), &InputLimits::current())
    }

    fn from_node_with(name: &str, node: Node, limits: &InputLimits) -> Result<RequestFile, String> {
        let Node::Map(top) = node else { return Err("the request must be a table/object".into()) };
        let mut jurisdiction = None;
        let mut year = None;
        let mut options = Vec::new();
        let mut units: HashMap<String, HashMap<String, String>> = HashMap::new();
        let mut tables = Vec::new();
        for (k, v) in top {
            match (k.as_str(), v) {
                ("jurisdiction", Node::Text(s)) => jurisdiction = Some(s),
                ("year", Node::Number(n)) => year = Some(n.parse::<u16>().map_err(|_| format!("year `{n}` is not a year like 2024"))?),
                ("year", Node::Date(d)) => return Err(format!("year = {d} is a date; write the compliance year as a number like 2024")),
                ("year", Node::Text(t)) => return Err(format!("year = \"{t}\" is text; write the compliance year as a number like 2024")),
                ("options", Node::Map(m)) => {
                    for (ok, ov) in m {
                        let text = match ov {
                            Node::Text(s) | Node::Number(s) | Node::Date(s) => s,
                            Node::Bool(b) => b.to_string(),
                            _ => return Err(format!("option `{ok}` must be a single value")),
                        };
                        options.push((ok, text));
                    }
                }
                ("units", Node::Map(m)) => {
                    for (table, cols) in m {
                        let Node::Map(cols) = cols else { return Err(format!("units.{table} must map column keys to units")) };
                        let mut map = HashMap::new();
                        for (c, u) in cols {
                            let Node::Text(u) = u else { return Err(format!("units.{table}.{c} must be text like \"万吨\"")) };
                            map.insert(c, u);
                        }
                        units.insert(table, map);
                    }
                }
                ("tables", Node::Map(m)) => {
                    for (key, rows) in m {
                        let Node::List(rows) = rows else { return Err(format!("tables.{key} must be a list of rows")) };
                        if rows.len() as u64 > limits.cells {
                            return Err(format!(
                                "tables.{key} has {} rows, more than the {} cells read from one table ({})",
                                limits::count(rows.len() as u64),
                                limits::count(limits.cells),
                                limits::raise("cells")
                            ));
                        }
                        let mut out = Vec::with_capacity(rows.len());
                        for (i, row) in rows.into_iter().enumerate() {
                            let Node::Map(cells) = row else {
                                return Err(format!("tables.{key}[{}] must be a table of column = value", i + 1));
                            };
                            let source = format!("{name}:{key}[{}]", i + 1);
                            let mut map = Cells::new();
                            for (col, v) in cells {
                                let value = match v {
                                    Node::Null => RawValue::Empty,
                                    Node::Bool(b) => RawValue::Bool(b),
                                    Node::Number(n) => RawValue::Number(n),
                                    Node::Text(s) => RawValue::Text(s),
                                    Node::Date(d) => RawValue::Date(d),
                                    Node::List(_) | Node::Map(_) => return Err(format!("{source}.{col} must be a single value")),
                                };
                                map.insert(col.clone(), RawCell { value, at: format!("{source}.{col}") });
                            }
                            out.push(RawRow { source, cells: map });
                        }
                        tables.push(RawTable {
                            key: key.clone(),
                            display: format!("{name}:{key}"),
                            units: HashMap::new(),
                            at: format!("{name}:units.{key}"),
                            rows: out,
                            prefixes: Default::default(),
                        });
                    }
                }
                (other, _) => {
                    return Err(format!("unexpected or mistyped key `{other}` (expected jurisdiction, year, options, units, tables)"));
                }
            }
        }
        for t in &mut tables {
            if let Some(u) = units.remove(&t.key) {
                t.units = u;
            }
        }
        if let Some(extra) = units.keys().next() {
            return Err(format!("units.{extra} names a table that the request does not contain"));
        }
        Ok(RequestFile {
            jurisdiction: jurisdiction.ok_or("missing `jurisdiction = \"...\"`")?,
            year: year.ok_or("missing `year = 2024`")?,
            options,
            tables,
        })
    }
}
