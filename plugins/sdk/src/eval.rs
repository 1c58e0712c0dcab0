//! One evaluation's state, shared by every built-in plugin: parameter access
//! that records what was used, metrics labelled from the plugin's catalogue,
//! findings with their declared severity, rounding rules and the one
//! `PARAMETER_NOT_VERIFIED` report at the end.
//!
//! A plugin declares its metrics and findings once, in a [`Catalogue`]
//! (`describe()` builds its specs from it), and evaluates through an [`Eval`]:
//!
//! ```
//! use lvyue_sdk::eval::{Catalogue, Eval, FindingDef, MetricDef};
//! use lvyue_sdk::*;
//! const METRICS: &[MetricDef] = &[("cap_t", "t", "上限", "Cap")];
//! const FINDINGS: &[FindingDef] = &[("CAP_ZERO", Severity::Info, "上限为0", "The cap is 0")];
//! const CATALOGUE: Catalogue = Catalogue::new(METRICS, FINDINGS);
//! let request = Request {
//!     jurisdiction: "demo".into(),
//!     period: Period { year: 2024, start: "2024-01-01".into(), end: "2024-12-31".into() },
//!     parameters: vec![Parameter {
//!         key: "cap.ratio".into(),
//!         value: Value::Number("0".into()),
//!         unit: None,
//!         effective: "2024-01-01".into(),
//!         reference: "Act §1".into(),
//!         confidence: Confidence::Secondary,
//!         note: None,
//!     }],
//!     tables: vec![],
//!     options: vec![],
//! };
//! let ctx = Context::new(&request);
//! let mut ev = Eval::new(&ctx, CATALOGUE);
//! let ratio = ev.num("cap.ratio").unwrap();
//! let s = ev.out.step(Step { clause: "Act §1", zh: "上限", en: "Cap", parameters: &["cap.ratio"], inputs: vec![] }, num(ratio), Some("t"));
//! ev.metric("cap_t", num(ratio), s);
//! ev.finding("CAP_ZERO", t("上限为0", "The cap is 0"), vec![]);
//! ev.report_unverified();
//! let evaluation = ev.out.finish();
//! assert_eq!(evaluation.metrics[0].label.en, "Cap");
//! assert_eq!(evaluation.findings[1].code, PARAMETER_NOT_VERIFIED);
//! assert!(matches!(ev_missing(&ctx), EvaluationError::MissingParameter(m) if m == "x (no value in the rules for 2024)"));
//! fn ev_missing(ctx: &Context) -> EvaluationError {
//!     Eval::new(ctx, CATALOGUE).num("x").unwrap_err()
//! }
//! ```

use std::collections::BTreeSet;

use crate::rounding::{self, Mode, Rounded, Rule};
use crate::{
    Context, Decimal, EvaluationError, FindingSpec, MetricSpec, Output, Parameter, ResultColumn, Severity, TextZhEn, Value, dec, t,
};

/// A declared metric: (key, unit, zh, en). Keys are stable: users' scripts depend on them.
pub type MetricDef = (&'static str, &'static str, &'static str, &'static str);

/// A declared finding: (code, severity, zh, en).
pub type FindingDef = (&'static str, Severity, &'static str, &'static str);

/// Findings every built-in plugin declares alike.
pub mod findings {
    use super::FindingDef;
    use crate::Severity;

    pub const OPTION_INVALID: FindingDef = ("OPTION_INVALID", Severity::Error, "选项取值无效", "An option has an invalid value");
    pub const PARAMETER_NOT_VERIFIED: FindingDef = (
        crate::PARAMETER_NOT_VERIFIED,
        Severity::Warning,
        "使用了未经官方原文核实的参数",
        "A parameter not verified in the official text was used",
    );
}

/// What a plugin reports: its metrics and its findings, declared once.
#[derive(Clone, Copy)]
pub struct Catalogue {
    pub metrics: &'static [MetricDef],
    pub findings: &'static [FindingDef],
    /// Findings declared on top of `findings` (a pilot's own beside the pilots' shared ones).
    pub more_findings: &'static [FindingDef],
}

impl Catalogue {
    pub const fn new(metrics: &'static [MetricDef], findings: &'static [FindingDef]) -> Catalogue {
        Catalogue { metrics, findings, more_findings: &[] }
    }

    /// The same catalogue with `more` findings after its own.
    pub const fn with_findings(self, more: &'static [FindingDef]) -> Catalogue {
        Catalogue { more_findings: more, ..self }
    }

    /// A declared metric; an undeclared key is a bug in the plugin.
    pub fn metric(&self, key: &str) -> &'static MetricDef {
        self.metrics.iter().find(|m| m.0 == key).unwrap_or_else(|| panic!("metric {key} declared in METRICS"))
    }

    /// A declared finding, if `code` is one.
    pub fn finding(&self, code: &str) -> Option<&'static FindingDef> {
        self.findings.iter().chain(self.more_findings).find(|f| f.0 == code)
    }

    /// `describe()`'s metric specs.
    pub fn metric_specs(&self) -> Vec<MetricSpec> {
        self.metrics.iter().map(|(k, u, zh, en)| MetricSpec { key: k.to_string(), unit: u.to_string(), label: t(zh, en) }).collect()
    }

    /// `describe()`'s finding specs.
    pub fn finding_specs(&self) -> Vec<FindingSpec> {
        self.findings
            .iter()
            .chain(self.more_findings)
            .map(|(c, s, zh, en)| FindingSpec { code: c.to_string(), severity: *s, description: t(zh, en) })
            .collect()
    }
}

/// The state of one evaluation: the request, the output under construction
/// and the parameters read (for the `PARAMETER_NOT_VERIFIED` findings).
pub struct Eval<'a> {
    pub ctx: &'a Context<'a>,
    pub out: Output,
    /// Parameters read, for the PARAMETER_NOT_VERIFIED findings.
    pub used: BTreeSet<String>,
    catalogue: Catalogue,
    /// What a year is called in the missing-parameter error ("compliance year ").
    year_name: &'static str,
    /// Whether a parameter's note follows its PARAMETER_NOT_VERIFIED text.
    notes: bool,
}

fn wrong_kind(key: &str, expected: &str) -> EvaluationError {
    EvaluationError::MissingParameter(format!("{key} (expected {expected})"))
}

impl<'a> Eval<'a> {
    pub fn new(ctx: &'a Context<'a>, catalogue: Catalogue) -> Self {
        Eval { ctx, out: Output::default(), used: BTreeSet::new(), catalogue, year_name: "", notes: false }
    }

    /// Names the year in the missing-parameter error: "… for compliance year 2024".
    pub fn year_named(self, name: &'static str) -> Self {
        Eval { year_name: name, ..self }
    }

    /// Adds each parameter's note to its PARAMETER_NOT_VERIFIED finding.
    pub fn with_notes(self) -> Self {
        Eval { notes: true, ..self }
    }

    /// The same state (trace, findings, parameters used) over another request
    /// (e.g. month-by-month input expanded into annual rows).
    pub fn rebind<'b>(self, ctx: &'b Context<'b>) -> Eval<'b> {
        Eval { ctx, out: self.out, used: self.used, catalogue: self.catalogue, year_name: self.year_name, notes: self.notes }
    }

    pub fn year(&self) -> u16 {
        self.ctx.year()
    }

    /// A parameter the evaluation needs but the rules give no value for this year.
    pub fn missing(&self, key: &str) -> EvaluationError {
        EvaluationError::MissingParameter(format!("{key} (no value in the rules for {}{})", self.year_name, self.year()))
    }

    fn value(&mut self, key: &str) -> Result<&'a Value, EvaluationError> {
        let p = self.ctx.parameter(key).map_err(|_| self.missing(key))?;
        self.used.insert(key.to_string());
        Ok(&p.value)
    }

    /// The parameter, if the rules give it a value for the year (does not mark it used).
    pub fn param(&self, key: &str) -> Option<&'a Parameter> {
        self.ctx.parameter(key).ok()
    }

    /// Whether the rules give `key` a value for the year (does not mark it used).
    pub fn has(&self, key: &str) -> bool {
        self.param(key).is_some()
    }

    /// The unit a parameter's value is stated in, if any.
    pub fn unit(&self, key: &str) -> Option<&'a str> {
        self.param(key).and_then(|p| p.unit.as_deref())
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

    /// An optional parameter's value, marked used when the rules give one.
    pub fn value_opt(&mut self, key: &str) -> Option<&'a Value> {
        if !self.has(key) {
            return None;
        }
        self.value(key).ok()
    }

    /// An optional number parameter (marked used when present).
    pub fn num_opt(&mut self, key: &str) -> Result<Option<Decimal>, EvaluationError> {
        if !self.has(key) {
            return Ok(None);
        }
        self.num(key).map(Some)
    }

    /// An optional text parameter (marked used when present; another kind reads as absent).
    pub fn text_opt(&mut self, key: &str) -> Option<&'a str> {
        match self.value_opt(key) {
            Some(Value::Text(s)) => Some(s.as_str()),
            _ => None,
        }
    }

    /// An optional boolean parameter (marked used when present; another kind reads as absent).
    pub fn bool_opt(&mut self, key: &str) -> Option<bool> {
        match self.value_opt(key) {
            Some(Value::Boolean(b)) => Some(*b),
            _ => None,
        }
    }

    /// A rounding rule of the rules (`<key>.places`, `<key>.mode`), marked used.
    pub fn rounding(&mut self, key: &str) -> Result<Rule, EvaluationError> {
        let rule = Rule::read(self.ctx, key)?;
        for k in rule.parameters() {
            self.used.insert(k.to_string());
        }
        Ok(rule)
    }

    /// A metric computed by trace step `step`, unit and label from the catalogue,
    /// with the formula it follows from earlier metrics by, if any.
    pub fn metric_with(&mut self, key: &str, value: Value, step: u32, formula: Option<&str>) {
        let (_, unit, zh, en) = self.catalogue.metric(key);
        match formula {
            Some(f) => self.out.metric_with_formula(key, value, unit, t(zh, en), Some(step), f),
            None => self.out.metric(key, value, unit, t(zh, en), Some(step)),
        }
    }

    pub fn metric(&mut self, key: &str, value: Value, step: u32) {
        self.metric_with(key, value, step, None);
    }

    pub fn metric_f(&mut self, key: &str, value: Value, step: u32, formula: &str) {
        self.metric_with(key, value, step, Some(formula));
    }

    /// A rounded metric: its value and trace step are the rounding's; the
    /// formula over unrounded operands is wrapped in the rule's rounding
    /// (`roundup(…, rounding.shortfall.places)`), which the host checks exactly.
    pub fn metric_rounded(&mut self, key: &str, rule: &Rule, r: &Rounded, formula: Option<&str>) {
        let formula = formula.map(|f| rule.wrap_formula(f));
        self.metric_with(key, crate::num(r.value), r.step, formula.as_deref());
    }

    /// A finding with the declared severity of `code`.
    pub fn finding(&mut self, code: &str, message: TextZhEn, cells: Vec<String>) {
        let severity = self.catalogue.finding(code).map(|f| f.1).unwrap_or_else(|| panic!("finding {code} declared"));
        self.out.finding(severity, code, message, cells);
    }

    /// The declared description of `code`, if it is declared.
    pub fn description(&self, code: &str) -> Option<(&'static str, &'static str)> {
        self.catalogue.finding(code).map(|f| (f.2, f.3))
    }

    /// A finding whose message is the code's description, prefixed.
    pub fn finding_described(&mut self, code: &str, prefix: &str, cells: Vec<String>) {
        let (zh, en) = self.description(code).unwrap_or_else(|| panic!("finding {code} declared"));
        let message = t(&format!("{prefix}{zh}"), &format!("{prefix}{en}"));
        self.finding(code, message, cells);
    }

    /// Stops with the error findings collected so far.
    pub fn fail_if_errors(&mut self) -> Result<(), EvaluationError> {
        self.out.fail_if_errors()
    }

    /// The rounding rules used that are not verified, in one finding; then one
    /// PARAMETER_NOT_VERIFIED finding per other parameter used whose value is not verified.
    pub fn report_unverified(&mut self) {
        let used: Vec<&str> = self.used.iter().map(String::as_str).collect();
        let rest = rounding::report_unverified(&mut self.out, self.ctx, &used);
        self.out.report_unverified_noted(self.ctx, &rest, self.notes);
    }
}

/// A number shown to `dp` decimal places in a message or a table column (a
/// display precision, not a rule: quantities are rounded by the rules' `rounding.*`).
pub fn round_dp(d: Decimal, dp: u32) -> Decimal {
    rounding::round(d, dp, Mode::HalfUp)
}

/// A result-table column.
pub fn column(key: &str, zh: &str, en: &str, unit: Option<&str>) -> ResultColumn {
    ResultColumn { key: key.into(), name: t(zh, en), unit: unit.map(str::to_string) }
}

/// A text value, or empty.
pub fn text_or_empty(s: Option<&str>) -> Value {
    match s {
        Some(s) if !s.trim().is_empty() => Value::Text(s.to_string()),
        _ => Value::Empty,
    }
}

/// A number value, or empty.
pub fn num_or_empty(d: Option<Decimal>) -> Value {
    d.map(crate::num).unwrap_or(Value::Empty)
}

/// A non-blank text cell.
pub fn filled(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}
