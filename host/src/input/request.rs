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

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use crate::input::{RawCell, RawRow, RawTable, RawValue};

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

fn from_json(v: serde_json::Value) -> Node {
    match v {
        serde_json::Value::Null => Node::Null,
        serde_json::Value::Bool(b) => Node::Bool(b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Node::Number(i.to_string()),
            None => n.as_f64().and_then(crate::decimal::from_f64).map(Node::Number).unwrap_or(Node::Text(n.to_string())),
        },
        serde_json::Value::String(s) => Node::Text(s),
        serde_json::Value::Array(a) => Node::List(a.into_iter().map(from_json).collect()),
        serde_json::Value::Object(o) => Node::Map(o.into_iter().map(|(k, v)| (k, from_json(v))).collect()),
    }
}

impl RequestFile {
    pub fn read(path: &Path) -> Result<RequestFile, RequestError> {
        let file = path.display().to_string();
        let err = |m: String| RequestError { file: file.clone(), message: m };
        let text = std::fs::read_to_string(path).map_err(|e| err(format!("cannot read: {e}")))?;
        let node = if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json")) {
            from_json(serde_json::from_str(&text).map_err(|e| err(format!("not valid JSON: {e}")))?)
        } else {
            from_toml(toml::Value::Table(text.parse::<toml::Table>().map_err(|e| err(format!("not valid TOML: {e}")))?))
        };
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or(file.clone());
        RequestFile::from_node(&name, node).map_err(err)
    }

    /// Reads a request from a parsed TOML table (test cases embed requests this way).
    pub fn from_toml_table(name: &str, table: toml::Table) -> Result<RequestFile, String> {
        RequestFile::from_node(name, from_toml(toml::Value::Table(table)))
    }

    fn from_node(name: &str, node: Node) -> Result<RequestFile, String> {
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
                        let mut out = Vec::with_capacity(rows.len());
                        for (i, row) in rows.into_iter().enumerate() {
                            let Node::Map(cells) = row else { return Err(format!("tables.{key}[{}] must be a table of column = value", i + 1)) };
                            let source = format!("{name}:{key}[{}]", i + 1);
                            let mut map = BTreeMap::new();
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
                        tables.push(RawTable { key: key.clone(), display: format!("{name}:{key}"), units: HashMap::new(), at: format!("{name}:units.{key}"), rows: out });
                    }
                }
                (other, _) => return Err(format!("unexpected or mistyped key `{other}` (expected jurisdiction, year, options, units, tables)")),
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
