//! A plugin's identity (id, version, name, jurisdictions, years), stated once:
//! in its `plugin.toml`, read when the plugin is compiled.
//!
//! [`identity!`](crate::identity!) embeds the crate's `plugin.toml` and parses its top-level keys in
//! a `const`, so a malformed manifest is a compile error, not a failure at run time:
//!
//! ```
//! use lvyue_sdk::identity::Identity;
//! const ID: Identity = Identity::parse(
//!     "manifest_version = 1\nid = \"cn-demo\"\nversion = \"0.2.0\"\n\
//!      name = { zh = \"演示\", en = \"Demo\" }\njurisdictions = [\"cn-demo\"]\nyears = [2023, 2024]\n\n[[legal_source]]\nid = \"x\"\n",
//! );
//! assert_eq!((ID.id, ID.version, ID.name_en), ("cn-demo", "0.2.0", "Demo"));
//! assert_eq!(ID.years(), [2023, 2024]);
//! assert_eq!(ID.jurisdictions(), ["cn-demo"]);
//! ```
//!
//! It reads the subset of TOML the manifests' identity uses: one `key = value`
//! a line before the first `[table]`, values as basic strings without escapes,
//! an inline table of strings (`name`) and one-line arrays of strings or
//! integers. Other keys are skipped.

use crate::eval::Catalogue;
use crate::{EvaluationError, ParameterSpec, PluginInfo, Request, SheetSpec, t};

const MAX_YEARS: usize = 64;
const MAX_JURISDICTIONS: usize = 8;

/// What `plugin.toml` says a plugin is.
#[derive(Clone, Copy, Debug)]
pub struct Identity {
    pub id: &'static str,
    pub version: &'static str,
    pub name_zh: &'static str,
    pub name_en: &'static str,
    years: [u16; MAX_YEARS],
    n_years: usize,
    jurisdictions: [&'static str; MAX_JURISDICTIONS],
    n_jurisdictions: usize,
}

/// Embeds the calling crate's `plugin.toml` and parses its identity at compile time.
#[macro_export]
macro_rules! identity {
    () => {
        $crate::identity::Identity::parse(include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/plugin.toml")))
    };
}

impl Identity {
    /// Parses a manifest's identity; panics (a compile error in a `const`) when a key is missing or malformed.
    pub const fn parse(manifest: &'static str) -> Identity {
        let mut id = Identity {
            id: "",
            version: "",
            name_zh: "",
            name_en: "",
            years: [0; MAX_YEARS],
            n_years: 0,
            jurisdictions: [""; MAX_JURISDICTIONS],
            n_jurisdictions: 0,
        };
        let (mut seen_years, mut seen_jurisdictions) = (false, false);
        let mut rest = manifest.as_bytes();
        while !rest.is_empty() {
            let (line, after) = split_line(rest);
            rest = after;
            let line = trim(line);
            if line.is_empty() || line[0] == b'#' {
                continue;
            }
            if line[0] == b'[' {
                break;
            }
            let (key, value) = key_value(line);
            if eq(key, b"id") {
                id.id = string(value);
            } else if eq(key, b"version") {
                id.version = string(value);
            } else if eq(key, b"name") {
                (id.name_zh, id.name_en) = name(value);
            } else if eq(key, b"years") {
                let mut items = array(value);
                while !items.is_empty() {
                    let (item, after) = next_item(items);
                    items = after;
                    assert!(id.n_years < MAX_YEARS, "plugin.toml: too many years");
                    id.years[id.n_years] = integer(item);
                    id.n_years += 1;
                }
                seen_years = true;
            } else if eq(key, b"jurisdictions") {
                let mut items = array(value);
                while !items.is_empty() {
                    let (item, after) = next_item(items);
                    items = after;
                    assert!(id.n_jurisdictions < MAX_JURISDICTIONS, "plugin.toml: too many jurisdictions");
                    id.jurisdictions[id.n_jurisdictions] = string(item);
                    id.n_jurisdictions += 1;
                }
                seen_jurisdictions = true;
            }
        }
        assert!(!id.id.is_empty(), "plugin.toml: no id");
        assert!(!id.version.is_empty(), "plugin.toml: no version");
        assert!(!id.name_zh.is_empty() && !id.name_en.is_empty(), "plugin.toml: no name (an inline table of zh and en)");
        assert!(seen_years && id.n_years > 0, "plugin.toml: no years");
        assert!(seen_jurisdictions && id.n_jurisdictions > 0, "plugin.toml: no jurisdictions");
        id
    }

    /// The compliance years the plugin is written for.
    pub const fn years(&self) -> &[u16] {
        self.years.split_at(self.n_years).0
    }

    pub const fn jurisdictions(&self) -> &[&'static str] {
        self.jurisdictions.split_at(self.n_jurisdictions).0
    }

    /// What `plugin.toml` says, as a plugin description that declares nothing
    /// else yet: fill in parameters, metrics, findings and input with struct
    /// update syntax (`PluginInfo { parameters, ..IDENTITY.info() }`).
    pub fn info(&self) -> PluginInfo {
        PluginInfo {
            jurisdictions: self.jurisdictions().iter().map(|j| j.to_string()).collect(),
            ..PluginInfo::bare(self.id, self.version, t(self.name_zh, self.name_en), self.years())
        }
    }

    /// `describe()`'s answer: the identity, the parameters, the catalogue's metrics and findings, the input sheets.
    pub fn describe(&self, parameters: Vec<ParameterSpec>, catalogue: &Catalogue, input: Vec<SheetSpec>) -> PluginInfo {
        PluginInfo { parameters, metrics: catalogue.metric_specs(), findings: catalogue.finding_specs(), input, ..self.info() }
    }

    /// Refuses a request for another jurisdiction than the plugin's id.
    pub fn accept(&self, req: &Request) -> Result<(), EvaluationError> {
        if req.jurisdiction != self.id {
            return Err(EvaluationError::Unsupported(format!("jurisdiction {}", req.jurisdiction)));
        }
        Ok(())
    }

    /// Refuses a year outside [`Identity::years`], naming it as `what` ("year", "assessment year").
    pub fn accept_year(&self, req: &Request, what: &str) -> Result<(), EvaluationError> {
        if !self.years().contains(&req.period.year) {
            return Err(EvaluationError::Unsupported(format!("{what} {}", req.period.year)));
        }
        Ok(())
    }
}

const fn eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

const fn split_line(s: &[u8]) -> (&[u8], &[u8]) {
    let mut i = 0;
    while i < s.len() && s[i] != b'\n' {
        i += 1;
    }
    let (line, rest) = s.split_at(i);
    (line, if rest.is_empty() { rest } else { rest.split_at(1).1 })
}

const fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r')
}

const fn trim(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s {
        if !is_space(*first) {
            break;
        }
        s = rest;
    }
    while let [rest @ .., last] = s {
        if !is_space(*last) {
            break;
        }
        s = rest;
    }
    s
}

/// `key = value` (a line without `=` gives an empty key).
const fn key_value(line: &[u8]) -> (&[u8], &[u8]) {
    let mut i = 0;
    while i < line.len() && line[i] != b'=' {
        i += 1;
    }
    if i == line.len() {
        return (b"", b"");
    }
    let (key, value) = line.split_at(i);
    (trim(key), trim(value.split_at(1).1))
}

/// A basic string `"…"` (no escapes), as the whole of `s`.
const fn string(s: &'static [u8]) -> &'static str {
    let s = trim(s);
    assert!(s.len() >= 2 && s[0] == b'"' && s[s.len() - 1] == b'"', "plugin.toml: expected a \"string\"");
    let inner = s.split_at(s.len() - 1).0.split_at(1).1;
    let mut i = 0;
    while i < inner.len() {
        assert!(inner[i] != b'"' && inner[i] != b'\\', "plugin.toml: a string with quotes or escapes");
        i += 1;
    }
    match core::str::from_utf8(inner) {
        Ok(s) => s,
        Err(_) => panic!("plugin.toml: not UTF-8"),
    }
}

const fn integer(s: &[u8]) -> u16 {
    let s = trim(s);
    assert!(!s.is_empty(), "plugin.toml: expected a year");
    let mut n: u32 = 0;
    let mut i = 0;
    while i < s.len() {
        assert!(s[i].is_ascii_digit(), "plugin.toml: expected a year");
        n = n * 10 + (s[i] - b'0') as u32;
        assert!(n <= u16::MAX as u32, "plugin.toml: a year out of range");
        i += 1;
    }
    n as u16
}

/// The inside of `[…]` or `{…}` on one line.
const fn inside(s: &'static [u8], open: u8, close: u8) -> &'static [u8] {
    let s = trim(s);
    assert!(s.len() >= 2 && s[0] == open && s[s.len() - 1] == close, "plugin.toml: expected a one-line array or inline table");
    trim(s.split_at(s.len() - 1).0.split_at(1).1)
}

const fn array(s: &'static [u8]) -> &'static [u8] {
    inside(s, b'[', b']')
}

/// The first comma-separated item and the rest (a comma inside a string is part of it).
const fn next_item(s: &'static [u8]) -> (&'static [u8], &'static [u8]) {
    let (mut i, mut quoted) = (0, false);
    while i < s.len() && (quoted || s[i] != b',') {
        if s[i] == b'"' {
            quoted = !quoted;
        }
        i += 1;
    }
    let (item, rest) = s.split_at(i);
    (trim(item), if rest.is_empty() { rest } else { trim(rest.split_at(1).1) })
}

/// `{ zh = "…", en = "…" }`.
const fn name(s: &'static [u8]) -> (&'static str, &'static str) {
    let mut items = inside(s, b'{', b'}');
    let (mut zh, mut en) = ("", "");
    while !items.is_empty() {
        let (item, after) = next_item(items);
        items = after;
        let (key, value) = key_value(item);
        if eq(key, b"zh") {
            zh = string(value);
        } else if eq(key, b"en") {
            en = string(value);
        }
    }
    (zh, en)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_built_in_manifest() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let mut n = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path().join("plugin.toml");
            let Ok(text) = std::fs::read_to_string(&path) else { continue };
            let id = Identity::parse(Box::leak(text.into_boxed_str()));
            let folder = path.parent().unwrap().file_name().unwrap().to_str().unwrap();
            assert_eq!(id.id, folder, "{}", path.display());
            assert!(!id.years().is_empty() && id.jurisdictions().contains(&id.id), "{}", path.display());
            n += 1;
        }
        assert!(n >= 11, "{n} manifests");
    }

    #[test]
    fn stops_at_the_first_table_and_skips_other_keys() {
        let id = Identity::parse(
            "# c\nmanifest_version = 1\nid = \"a\"\nversion = \"1.0.0\"\nname = { zh = \"甲\", en = \"A, the first\" }\n\
             contract = \"^1.1.0\"\njurisdictions = [\"a\", \"b\"]\nyears = [2021,2022 , 2023]\n[x]\nid = \"b\"\n",
        );
        assert_eq!(id.id, "a");
        assert_eq!((id.name_zh, id.name_en), ("甲", "A, the first"));
        assert_eq!(id.jurisdictions(), ["a", "b"]);
        assert_eq!(id.years(), [2021, 2022, 2023]);
    }

    #[test]
    #[should_panic(expected = "no years")]
    fn a_manifest_without_years_is_refused() {
        Identity::parse("id = \"a\"\nversion = \"1\"\nname = { zh = \"甲\", en = \"A\" }\njurisdictions = [\"a\"]\n");
    }
}
