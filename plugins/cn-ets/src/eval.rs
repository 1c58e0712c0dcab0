//! Evaluation state shared by the steps: parameter access that records which
//! parameters were used, and helpers for metrics and findings.

use std::collections::BTreeSet;

use lvyue_sdk::rounding::{Rounded, Rule};
use lvyue_sdk::{Context, Decimal, EvaluationError, Output, TextZhEn, Value, dec, t};

use crate::spec::{FINDINGS, METRICS};

pub struct Eval<'a> {
    pub ctx: &'a Context<'a>,
    pub out: Output,
    /// Parameters read, for the PARAMETER_NOT_VERIFIED findings.
    pub used: BTreeSet<String>,
}

/// A parameter the plugin needs but the rules give no value for this year.
pub fn missing(key: &str, year: u16) -> EvaluationError {
    EvaluationError::MissingParameter(format!("{key} (no value in the rules for compliance year {year})"))
}

fn wrong_kind(key: &str, expected: &str) -> EvaluationError {
    EvaluationError::MissingParameter(format!("{key} (expected {expected})"))
}

impl<'a> Eval<'a> {
    pub fn new(ctx: &'a Context<'a>) -> Self {
        Eval { ctx, out: Output::default(), used: BTreeSet::new() }
    }

    /// The same state (trace, findings, parameters used) over another request:
    /// the month-by-month input expanded into annual rows (`crate::monthly`).
    pub fn rebind<'b>(self, ctx: &'b Context<'b>) -> Eval<'b> {
        Eval { ctx, out: self.out, used: self.used }
    }

    pub fn year(&self) -> u16 {
        self.ctx.year()
    }

    fn value(&mut self, key: &str) -> Result<&'a Value, EvaluationError> {
        let p = self.ctx.parameter(key).map_err(|_| missing(key, self.year()))?;
        self.used.insert(key.to_string());
        Ok(&p.value)
    }

    /// Whether the rules give `key` a value for the year (does not mark it used).
    pub fn has(&self, key: &str) -> bool {
        self.ctx.parameter(key).is_ok()
    }

    pub fn num(&mut self, key: &str) -> Result<Decimal, EvaluationError> {
        match self.value(key)? {
            Value::Number(n) => dec(n).ok_or_else(|| wrong_kind(key, "a decimal")),
            _ => Err(wrong_kind(key, "a number")),
        }
    }

    pub fn date(&mut self, key: &str) -> Result<&'a str, EvaluationError> {
        match self.value(key)? {
            Value::Date(d) => Ok(d.as_str()),
            _ => Err(wrong_kind(key, "a date")),
        }
    }

    pub fn text(&mut self, key: &str) -> Result<&'a str, EvaluationError> {
        match self.value(key)? {
            Value::Text(s) => Ok(s.as_str()),
            _ => Err(wrong_kind(key, "text")),
        }
    }

    pub fn boolean(&mut self, key: &str) -> Result<bool, EvaluationError> {
        match self.value(key)? {
            Value::Boolean(b) => Ok(*b),
            _ => Err(wrong_kind(key, "true or false")),
        }
    }

    /// The unit a parameter's value is stated in, if any.
    pub fn unit(&self, key: &str) -> Option<&'a str> {
        self.ctx.parameter(key).ok().and_then(|p| p.unit.as_deref())
    }

    pub fn metric(&mut self, key: &str, value: Value, step: u32) {
        let (_, unit, zh, en) = metric_spec(key);
        self.out.metric(key, value, unit, t(zh, en), Some(step));
    }

    pub fn metric_f(&mut self, key: &str, value: Value, step: u32, formula: &str) {
        let (_, unit, zh, en) = metric_spec(key);
        self.out.metric_with_formula(key, value, unit, t(zh, en), Some(step), formula);
    }

    /// A rounding rule of the rules (`<key>.places`, `<key>.mode`), marked used.
    pub fn rounding(&mut self, key: &str) -> Result<Rule, EvaluationError> {
        let rule = Rule::read(self.ctx, key)?;
        for k in rule.parameters() {
            self.used.insert(k.to_string());
        }
        Ok(rule)
    }

    /// A rounded metric: its value and trace step are the rounding's; the
    /// formula over unrounded operands is wrapped in the rule's rounding
    /// (`roundup(…, rounding.shortfall.places)`), which the host checks exactly.
    pub fn metric_rounded(&mut self, key: &str, rule: &Rule, r: &Rounded, formula: Option<&str>) {
        match formula {
            Some(f) => self.metric_f(key, lvyue_sdk::num(r.value), r.step, &rule.wrap_formula(f)),
            None => self.metric(key, lvyue_sdk::num(r.value), r.step),
        }
    }

    /// A finding with the declared severity of `code`.
    pub fn finding(&mut self, code: &str, message: TextZhEn, cells: Vec<String>) {
        let severity = FINDINGS.iter().find(|f| f.0 == code).map(|f| f.1).unwrap_or_else(|| panic!("finding {code} declared"));
        self.out.finding(severity, code, message, cells);
    }

    /// A finding whose message is the code's description, prefixed.
    pub fn finding_described(&mut self, code: &str, prefix: &str, cells: Vec<String>) {
        let (_, _, zh, en) = FINDINGS.iter().find(|f| f.0 == code).unwrap_or_else(|| panic!("finding {code} declared"));
        let message = t(&format!("{prefix}{zh}"), &format!("{prefix}{en}"));
        self.finding(code, message, cells);
    }

    /// Stops with the error findings collected so far.
    pub fn fail_if_errors(&mut self) -> Result<(), EvaluationError> {
        self.out.fail_if_errors()
    }

    /// One PARAMETER_NOT_VERIFIED finding per parameter used whose value is not verified.
    pub fn report_unverified(&mut self) {
        let used: Vec<&str> = self.used.iter().map(String::as_str).collect();
        // The rounding rules (mostly conventions of this tool) in one finding.
        let rest = lvyue_sdk::rounding::report_unverified(&mut self.out, self.ctx, &used);
        self.out.report_unverified(self.ctx, &rest);
    }
}

fn metric_spec(key: &str) -> &'static (&'static str, &'static str, &'static str, &'static str) {
    METRICS.iter().find(|m| m.0 == key).unwrap_or_else(|| panic!("metric {key} declared in METRICS"))
}
