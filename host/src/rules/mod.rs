//! Rules as dated data: `rules/<jurisdiction>/*.toml`.
//!
//! Each parameter is a series of dated values; each value carries its legal
//! reference, a confidence mark and an optional note. The host resolves the
//! value in force for a compliance period and records exactly which it used.
//!
//! ```toml
//! [[parameter]]
//! key = "offsets.ccer_cap_ratio"
//! kind = "number"                  # number | text | date | boolean
//! unit = "ratio"
//! name = { zh = "CCER抵销比例上限", en = "CCER offset cap ratio" }
//!
//! [[parameter.value]]
//! from = 2021-02-01                # in force from this date
//! # until = 2024-12-31             # optional last day in force
//! # years = [2023, 2024]           # optional: only these compliance years
//! value = "0.05"                   # numbers as text stay exact
//! reference = "碳排放权交易管理办法（试行） 第二十九条"
//! confidence = "verified"          # verified | secondary | unverified | draft
//! note = "…"
//! ```
//!
//! Resolution for compliance year Y (period Y-01-01..Y-12-31): a value whose
//! `years` lists Y applies to that year; otherwise the value in force on the
//! period's last day (latest `from` on or before it, `until` not before the
//! period's first day). Year-scoped values win over date-scoped ones. Draft
//! values are used only when nothing else applies, and the output says so.

pub mod cases;

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::contract::{Confidence, Parameter, Value, ValueKind};

#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    #[error("{file}: {message}")]
    Invalid { file: String, message: String },
    #[error(
        "no value of parameter `{key}` applies to compliance year {year} ({jurisdiction}); add a dated value to {files} (values exist for: {known})"
    )]
    Missing { jurisdiction: String, key: String, year: u16, files: String, known: String },
    #[error("parameter `{key}` required by the plugin is not defined in rules/{jurisdiction}/ (files read: {files})")]
    Undefined { jurisdiction: String, key: String, files: String },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    #[serde(default)]
    parameter: Vec<ParamDef>,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct ParamDef {
    key: String,
    kind: String,
    #[serde(default)]
    unit: Option<String>,
    name: Bilingual,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    value: Vec<ValueDef>,
}

#[derive(Debug, Deserialize, Clone, PartialEq, serde::Serialize)]
pub struct Bilingual {
    pub zh: String,
    pub en: String,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct ValueDef {
    from: toml::value::Datetime,
    #[serde(default)]
    until: Option<toml::value::Datetime>,
    #[serde(default)]
    years: Option<Vec<u16>>,
    value: toml::Value,
    reference: String,
    confidence: String,
    #[serde(default)]
    note: Option<String>,
}

/// One parameter with all its dated values.
#[derive(Debug, Clone)]
pub struct ParameterSeries {
    pub key: String,
    pub kind: ValueKind,
    pub unit: Option<String>,
    pub name: Bilingual,
    pub description: Option<String>,
    pub file: String,
    pub values: Vec<DatedValue>,
}

#[derive(Debug, Clone)]
pub struct DatedValue {
    pub from: String,
    pub until: Option<String>,
    pub years: Option<Vec<u16>>,
    pub value: Value,
    pub reference: String,
    pub confidence: Confidence,
    pub note: Option<String>,
}

/// A parameter value resolved for a period, with where it came from.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ResolvedParameter {
    pub key: String,
    pub name: Bilingual,
    pub kind: Kind,
    pub unit: Option<String>,
    pub value: String,
    pub effective: String,
    pub until: Option<String>,
    pub reference: String,
    pub confidence: Mark,
    pub note: Option<String>,
    pub file: String,
    #[serde(skip)]
    pub contract_value: Value,
    #[serde(skip)]
    pub contract_confidence: Confidence,
}

impl ResolvedParameter {
    pub(crate) fn to_contract(&self) -> Parameter {
        Parameter {
            key: self.key.clone(),
            value: self.contract_value.clone(),
            unit: self.unit.clone(),
            effective: self.effective.clone(),
            reference: self.reference.clone(),
            confidence: self.contract_confidence,
            note: self.note.clone(),
        }
    }
}

/// All parameters of one jurisdiction.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    pub jurisdiction: String,
    pub parameters: BTreeMap<String, ParameterSeries>,
    pub files: Vec<String>,
}

/// How sure a value is: the rules file's confidence mark, kept typed until serialised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mark {
    Verified,
    Secondary,
    Unverified,
    Draft,
}

impl From<Confidence> for Mark {
    fn from(c: Confidence) -> Mark {
        match c {
            Confidence::Verified => Mark::Verified,
            Confidence::Secondary => Mark::Secondary,
            Confidence::Unverified => Mark::Unverified,
            Confidence::Draft => Mark::Draft,
        }
    }
}

impl Mark {
    pub fn as_str(self) -> &'static str {
        match self {
            Mark::Verified => "verified",
            Mark::Secondary => "secondary",
            Mark::Unverified => "unverified",
            Mark::Draft => "draft",
        }
    }
}

impl std::fmt::Display for Mark {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The kind of a value (a parameter, a metric, a cell), typed until serialised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Number,
    Text,
    Date,
    Boolean,
    /// Only a value can be empty, never a declared column or parameter.
    Empty,
}

impl From<ValueKind> for Kind {
    fn from(k: ValueKind) -> Kind {
        match k {
            ValueKind::Number => Kind::Number,
            ValueKind::Text => Kind::Text,
            ValueKind::Date => Kind::Date,
            ValueKind::Boolean => Kind::Boolean,
        }
    }
}

impl Kind {
    /// The kind of a value as it crossed the contract.
    pub fn of(v: &Value) -> Kind {
        match v {
            Value::Empty => Kind::Empty,
            Value::Number(_) => Kind::Number,
            Value::Text(_) => Kind::Text,
            Value::Date(_) => Kind::Date,
            Value::Boolean(_) => Kind::Boolean,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Number => "number",
            Kind::Text => "text",
            Kind::Date => "date",
            Kind::Boolean => "boolean",
            Kind::Empty => "empty",
        }
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The name of a declared kind, as the rules files and `plugins info` write it.
pub fn kind_name(k: ValueKind) -> &'static str {
    Kind::from(k).as_str()
}

/// Renders a contract value as plain text.
pub fn value_text(v: &Value) -> String {
    match v {
        Value::Empty => String::new(),
        Value::Number(n) | Value::Text(n) | Value::Date(n) => n.clone(),
        Value::Boolean(b) => b.to_string(),
    }
}

impl RuleSet {
    /// Reads every `*.toml` in `dir` (sorted by name).
    pub fn load_dir(jurisdiction: &str, dir: &Path) -> Result<RuleSet, RulesError> {
        let invalid = |m: String| RulesError::Invalid { file: dir.display().to_string(), message: m };
        let mut names: Vec<_> = std::fs::read_dir(dir)
            .map_err(|e| invalid(format!("cannot read the rules folder: {e}")))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        names.sort();
        let mut files = Vec::new();
        for path in names {
            let text = std::fs::read_to_string(&path).map_err(|e| invalid(format!("{}: {e}", path.display())))?;
            files.push((format!("rules/{jurisdiction}/{}", path.file_name().unwrap_or_default().to_string_lossy()), text));
        }
        RuleSet::from_sources(jurisdiction, &files)
    }

    /// Builds a rule set from (display path, TOML text) pairs.
    pub(crate) fn from_sources(jurisdiction: &str, files: &[(String, String)]) -> Result<RuleSet, RulesError> {
        let mut set = RuleSet { jurisdiction: jurisdiction.to_string(), ..Default::default() };
        for (file, text) in files {
            let invalid = |m: String| RulesError::Invalid { file: file.clone(), message: m };
            let parsed: RulesFile = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
            for def in parsed.parameter {
                let kind = match def.kind.as_str() {
                    "number" => ValueKind::Number,
                    "text" => ValueKind::Text,
                    "date" => ValueKind::Date,
                    "boolean" => ValueKind::Boolean,
                    other => return Err(invalid(format!("parameter {}: kind `{other}` is not number, text, date or boolean", def.key))),
                };
                if set.parameters.contains_key(&def.key) {
                    return Err(invalid(format!("parameter {} is defined twice", def.key)));
                }
                if def.value.is_empty() {
                    return Err(invalid(format!("parameter {} has no values", def.key)));
                }
                let mut values = Vec::new();
                for (i, v) in def.value.iter().enumerate() {
                    let at = format!("parameter {} value #{}", def.key, i + 1);
                    let value = convert_value(kind, &v.value).map_err(|m| invalid(format!("{at}: {m}")))?;
                    let confidence = match v.confidence.as_str() {
                        "verified" => Confidence::Verified,
                        "secondary" => Confidence::Secondary,
                        "unverified" => Confidence::Unverified,
                        "draft" => Confidence::Draft,
                        other => {
                            return Err(invalid(format!("{at}: confidence `{other}` is not verified, secondary, unverified or draft")));
                        }
                    };
                    if v.reference.trim().is_empty() {
                        return Err(invalid(format!("{at}: every value needs a legal reference")));
                    }
                    let from = date_text(&v.from).map_err(|m| invalid(format!("{at}: from {m}")))?;
                    let until = v.until.as_ref().map(date_text).transpose().map_err(|m| invalid(format!("{at}: until {m}")))?;
                    values.push(DatedValue {
                        from,
                        until,
                        years: v.years.clone(),
                        value,
                        reference: v.reference.clone(),
                        confidence,
                        note: v.note.clone(),
                    });
                }
                set.parameters.insert(
                    def.key.clone(),
                    ParameterSeries {
                        key: def.key,
                        kind,
                        unit: def.unit,
                        name: def.name,
                        description: def.description,
                        file: file.clone(),
                        values,
                    },
                );
            }
            set.files.push(file.clone());
        }
        Ok(set)
    }

    /// Replaces (whole series) or adds the parameters of `other`.
    pub(crate) fn override_with(&mut self, other: RuleSet) {
        for (k, v) in other.parameters {
            self.parameters.insert(k, v);
        }
        self.files.extend(other.files);
    }

    /// The value of `key` in force for compliance `year`.
    pub fn resolve(&self, key: &str, year: u16) -> Result<ResolvedParameter, RulesError> {
        let series = self.parameters.get(key).ok_or_else(|| RulesError::Undefined {
            jurisdiction: self.jurisdiction.clone(),
            key: key.to_string(),
            files: self.files.join(", "),
        })?;
        let start = format!("{year:04}-01-01");
        let end = format!("{year:04}-12-31");
        let scoped = |v: &&DatedValue| v.years.as_ref().is_some_and(|ys| ys.contains(&year));
        let dated = |v: &&DatedValue| v.years.is_none() && v.from <= end && v.until.as_ref().is_none_or(|u| *u >= start);
        let not_draft = |v: &&DatedValue| !matches!(v.confidence, Confidence::Draft);
        let pick = |pred: &dyn Fn(&&DatedValue) -> bool| series.values.iter().filter(|v| pred(v)).max_by(|a, b| a.from.cmp(&b.from));
        let chosen = pick(&|v| scoped(v) && not_draft(v))
            .or_else(|| pick(&|v| dated(v) && not_draft(v)))
            .or_else(|| pick(&|v| scoped(v)))
            .or_else(|| pick(&|v| dated(v)));
        let Some(v) = chosen else {
            let known = series
                .values
                .iter()
                .map(|v| match &v.years {
                    Some(ys) => format!("years {}", ys.iter().map(|y| y.to_string()).collect::<Vec<_>>().join("/")),
                    None => format!("from {}{}", v.from, v.until.as_ref().map(|u| format!(" until {u}")).unwrap_or_default()),
                })
                .collect::<Vec<_>>()
                .join("; ");
            return Err(RulesError::Missing {
                jurisdiction: self.jurisdiction.clone(),
                key: key.to_string(),
                year,
                files: series.file.clone(),
                known,
            });
        };
        Ok(ResolvedParameter {
            key: series.key.clone(),
            name: series.name.clone(),
            kind: series.kind.into(),
            unit: series.unit.clone(),
            value: value_text(&v.value),
            effective: v.from.clone(),
            until: v.until.clone(),
            reference: v.reference.clone(),
            confidence: v.confidence.into(),
            note: v.note.clone(),
            file: series.file.clone(),
            contract_value: v.value.clone(),
            contract_confidence: v.confidence,
        })
    }

    /// Resolves every parameter defined, skipping those with no value for the year.
    pub fn resolve_all(&self, year: u16) -> (Vec<ResolvedParameter>, Vec<RulesError>) {
        let mut ok = Vec::new();
        let mut missing = Vec::new();
        for key in self.parameters.keys() {
            match self.resolve(key, year) {
                Ok(p) => ok.push(p),
                Err(e) => missing.push(e),
            }
        }
        (ok, missing)
    }

    /// The parameters whose value, reference or confidence differ between two
    /// compliance years (including those in force in only one of them), in key order.
    pub fn changes(&self, from: u16, to: u16) -> Vec<Change> {
        self.parameters
            .keys()
            .filter_map(|key| {
                let (a, b) = (self.resolve(key, from).ok(), self.resolve(key, to).ok());
                let same = match (&a, &b) {
                    (Some(a), Some(b)) => {
                        a.value == b.value && a.reference == b.reference && a.confidence == b.confidence && a.unit == b.unit
                    }
                    (None, None) => true,
                    _ => false,
                };
                (!same).then(|| Change { key: key.clone(), from: a, to: b })
            })
            .collect()
    }
}

/// One parameter as it stands in two compliance years (`None`: no value in force).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Change {
    pub key: String,
    pub from: Option<ResolvedParameter>,
    pub to: Option<ResolvedParameter>,
}

fn date_text(d: &toml::value::Datetime) -> Result<String, String> {
    match (&d.date, &d.time) {
        (Some(date), None) => Ok(format!("{:04}-{:02}-{:02}", date.year, date.month, date.day)),
        _ => Err(format!("`{d}` must be a plain date like 2021-02-01")),
    }
}

fn convert_value(kind: ValueKind, v: &toml::Value) -> Result<Value, String> {
    match (kind, v) {
        (ValueKind::Number, toml::Value::String(s)) => crate::decimal::parse(s)
            .map(|d| Value::Number(crate::decimal::format(d)))
            .ok_or_else(|| format!("`{s}` is not a decimal number")),
        (ValueKind::Number, toml::Value::Integer(i)) => Ok(Value::Number(i.to_string())),
        (ValueKind::Number, toml::Value::Float(f)) => {
            crate::decimal::from_f64(*f).map(Value::Number).ok_or_else(|| format!("`{f}` is not a finite number"))
        }
        (ValueKind::Text, toml::Value::String(s)) => Ok(Value::Text(s.clone())),
        (ValueKind::Date, toml::Value::Datetime(d)) => date_text(d).map(Value::Date),
        (ValueKind::Date, toml::Value::String(s)) => {
            if is_iso_date(s) {
                Ok(Value::Date(s.clone()))
            } else {
                Err(format!("`{s}` is not a date like 2024-12-31"))
            }
        }
        (ValueKind::Boolean, toml::Value::Boolean(b)) => Ok(Value::Boolean(*b)),
        (k, other) => Err(format!("expected a {} value, found `{other}`", kind_name(k))),
    }
}

/// Whether text is a valid ISO calendar date "YYYY-MM-DD".
pub(crate) fn is_iso_date(s: &str) -> bool {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    s.len() == 10 && time::Date::parse(s, &fmt).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: &str = r#"
[[parameter]]
key = "cap"
kind = "number"
name = { zh = "上限", en = "Cap" }
[[parameter.value]]
from = 2021-02-01
value = "0.05"
reference = "Art. 29"
confidence = "verified"
[[parameter.value]]
from = 2026-01-01
value = "0.10"
reference = "draft plan"
confidence = "draft"

[[parameter]]
key = "deadline"
kind = "date"
name = { zh = "截止", en = "Deadline" }
[[parameter.value]]
from = 2024-10-22
years = [2023]
value = 2024-12-31
reference = "plan 2023-2024"
confidence = "verified"
[[parameter.value]]
from = 2024-10-22
years = [2024]
value = 2025-12-31
reference = "plan 2023-2024"
confidence = "verified"
"#;

    fn set() -> RuleSet {
        RuleSet::from_sources("x", &[("rules/x/a.toml".into(), RULES.into())]).unwrap()
    }

    #[test]
    fn resolves_by_date_and_by_year() {
        let s = set();
        assert_eq!(s.resolve("cap", 2024).unwrap().value, "0.05");
        assert_eq!(s.resolve("cap", 2024).unwrap().effective, "2021-02-01");
        // The draft is used only when nothing else applies... but here the 2021 value still does.
        assert_eq!(s.resolve("cap", 2026).unwrap().value, "0.05");
        assert_eq!(s.resolve("deadline", 2023).unwrap().value, "2024-12-31");
        assert_eq!(s.resolve("deadline", 2024).unwrap().value, "2025-12-31");
    }

    #[test]
    fn a_missing_year_is_an_error_naming_the_parameter() {
        let s = set();
        let e = s.resolve("deadline", 2025).unwrap_err().to_string();
        assert!(e.contains("`deadline`") && e.contains("2025") && e.contains("years 2023"), "{e}");
        let e = s.resolve("cap", 2020).unwrap_err().to_string();
        assert!(e.contains("from 2021-02-01"), "{e}");
        assert!(matches!(s.resolve("nope", 2024), Err(RulesError::Undefined { .. })));
    }

    #[test]
    fn bad_files_are_refused_with_the_file_name() {
        let bad = RULES.replace("confidence = \"verified\"", "confidence = \"sure\"");
        let e = RuleSet::from_sources("x", &[("rules/x/a.toml".into(), bad)]).unwrap_err().to_string();
        assert!(e.starts_with("rules/x/a.toml") && e.contains("sure"), "{e}");
        let bad = RULES.replace("reference = \"Art. 29\"", "reference = \"\"");
        assert!(RuleSet::from_sources("x", &[("a".into(), bad)]).is_err());
    }
}
