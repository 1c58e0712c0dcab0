//! Rounding as the rules state it.
//!
//! A rounding rule is a pair of rule parameters under one key, e.g.
//! `rounding.shortfall`:
//!
//! - `rounding.shortfall.places` (number): decimal places kept, `0` for whole
//!   units (tonnes), `2` for money to the fen (0.01 CNY);
//! - `rounding.shortfall.mode` (text): `half_up` (四舍五入, a half goes away from
//!   zero), `up` (进位, away from zero) or `down` (舍去, towards zero). These are
//!   spreadsheet ROUND, ROUNDUP and ROUNDDOWN.
//!
//! Each carries its own legal reference and confidence in `rules/`; a tool
//! convention (no source states a rounding) says so in its reference. A plugin
//! declares the rules it uses ([`parameter_specs`]), reads one with
//! [`Rule::read`] and rounds with [`Rule::record`], which writes a trace step
//! naming the parameters and their reference, the value before and after.
//!
//! ```
//! use lvyue_sdk::rounding::{round, Mode};
//! use lvyue_sdk::dec;
//! let d = |s| dec(s).unwrap();
//! assert_eq!(round(d("1000.5"), 0, Mode::HalfUp), d("1001"));
//! assert_eq!(round(d("0.1"), 0, Mode::Up), d("1"));
//! assert_eq!(round(d("99.9"), 0, Mode::Down), d("99"));
//! assert_eq!(round(d("462.775"), 2, Mode::HalfUp), d("462.78"));
//! ```

use rust_decimal::RoundingStrategy;

use crate::{Context, Decimal, EvaluationError, Output, ParameterSpec, Ref, Severity, Step, Value, ValueKind, fmt_dec, num};

/// Every rounding parameter's key starts with this.
pub const PREFIX: &str = "rounding.";

/// How a value is brought to its decimal places.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// 四舍五入: to the nearest, a half away from zero (spreadsheet ROUND).
    HalfUp,
    /// 进位: away from zero (spreadsheet ROUNDUP); for a quantity to buy.
    Up,
    /// 舍去: towards zero (spreadsheet ROUNDDOWN); for what may be used.
    Down,
}

impl Mode {
    /// The names the rules use, in this order.
    pub const NAMES: [&'static str; 3] = ["half_up", "up", "down"];

    pub fn parse(text: &str) -> Option<Mode> {
        match text.trim() {
            "half_up" => Some(Mode::HalfUp),
            "up" => Some(Mode::Up),
            "down" => Some(Mode::Down),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Mode::HalfUp => "half_up",
            Mode::Up => "up",
            Mode::Down => "down",
        }
    }

    /// The metric-formula function that rounds this way (the spreadsheet's
    /// ROUND, ROUNDUP, ROUNDDOWN): `round`, `roundup` or `rounddown`.
    pub fn function(self) -> &'static str {
        match self {
            Mode::HalfUp => "round",
            Mode::Up => "roundup",
            Mode::Down => "rounddown",
        }
    }

    fn zh(self) -> &'static str {
        match self {
            Mode::HalfUp => "四舍五入",
            Mode::Up => "进位（向上取）",
            Mode::Down => "舍去（向下取）",
        }
    }

    fn en(self) -> &'static str {
        match self {
            Mode::HalfUp => "half up",
            Mode::Up => "up",
            Mode::Down => "down",
        }
    }

    fn strategy(self) -> RoundingStrategy {
        match self {
            Mode::HalfUp => RoundingStrategy::MidpointAwayFromZero,
            Mode::Up => RoundingStrategy::AwayFromZero,
            Mode::Down => RoundingStrategy::ToZero,
        }
    }
}

/// Rounds `d` to `places` decimal places by `mode`, exactly.
pub fn round(d: Decimal, places: u32, mode: Mode) -> Decimal {
    d.round_dp_with_strategy(places, mode.strategy()).normalize()
}

/// Reports the rounding parameters among `used` whose value is not verified in
/// one [`PARAMETER_NOT_VERIFIED`](crate::PARAMETER_NOT_VERIFIED) warning (most
/// are conventions of this tool; each one's reference is in the parameters
/// used), and returns the other keys for the plugin's per-parameter report.
pub fn report_unverified<'a>(out: &mut Output, ctx: &Context, used: &[&'a str]) -> Vec<&'a str> {
    let (rules, rest): (Vec<&'a str>, Vec<&'a str>) = used.iter().copied().partition(|k| k.starts_with(PREFIX));
    let weak = ctx.unverified_parameters(&rules);
    if !weak.is_empty() {
        let list = weak.iter().map(|p| format!("{} ({})", p.key, crate::confidence_name(p.confidence))).collect::<Vec<_>>().join(", ");
        let conventions = weak.iter().filter(|p| p.reference.contains("lvyue convention")).count();
        let n = weak.len();
        out.finding(
            Severity::Warning,
            crate::PARAMETER_NOT_VERIFIED,
            crate::t(
                &format!("{n} 个取整参数的取值未经官方原文核实（其中 {conventions} 个为本工具约定，如「登记系统按整吨划转」），结果依赖这些取整规则：{list}。各参数的出处见所用参数"),
                &format!("{n} rounding parameters are not verified in the official text ({conventions} of them conventions of this tool, such as \"registries move whole tonnes\"); the results depend on them: {list}. Each one's reference is in the parameters used"),
            ),
            vec![],
        );
    }
    rest
}

/// The parameter holding a rule's decimal places.
pub fn places_key(rule: &str) -> String {
    format!("{rule}.places")
}

/// The parameter holding a rule's mode.
pub fn mode_key(rule: &str) -> String {
    format!("{rule}.mode")
}

/// The parameter declarations for `rules` (e.g. `["rounding.shortfall"]`):
/// the places as a number, the mode as text.
pub fn parameter_specs(rules: &[&str], required: bool) -> Vec<ParameterSpec> {
    rules
        .iter()
        .flat_map(|r| {
            [
                ParameterSpec { key: places_key(r), kind: ValueKind::Number, unit: Some("decimal places".into()), required },
                ParameterSpec { key: mode_key(r), kind: ValueKind::Text, unit: None, required },
            ]
        })
        .collect()
}

/// A rounding rule read from the request's parameters.
#[derive(Clone, Debug)]
pub struct Rule {
    /// The rule's key, e.g. `rounding.shortfall`.
    pub key: String,
    pub places: u32,
    pub mode: Mode,
    pub places_key: String,
    pub mode_key: String,
    /// The legal reference (or the stated convention) of the two parameters.
    pub reference: String,
}

/// A rounded value with the trace step that records it.
#[derive(Clone, Copy, Debug)]
pub struct Rounded {
    pub before: Decimal,
    pub value: Decimal,
    pub step: u32,
}

impl Rounded {
    /// Whether rounding changed the value (a formula over unrounded operands
    /// then gives it only wrapped by [`Rule::wrap_formula`]).
    pub fn changed(&self) -> bool {
        self.before != self.value
    }
}

impl Rule {
    /// Reads `<key>.places` and `<key>.mode`. A missing or malformed one is a
    /// `missing-parameter` error naming it.
    pub fn read(ctx: &Context, key: &str) -> Result<Rule, EvaluationError> {
        let (pk, mk) = (places_key(key), mode_key(key));
        let year = ctx.year();
        let missing = |k: &str, what: String| EvaluationError::MissingParameter(format!("{k} ({what})"));
        let pp = ctx.parameter(&pk).map_err(|_| missing(&pk, format!("no value in the rules for {year}")))?;
        let mp = ctx.parameter(&mk).map_err(|_| missing(&mk, format!("no value in the rules for {year}")))?;
        let places = match &pp.value {
            Value::Number(n) => n.parse::<u32>().ok().filter(|p| *p <= 20),
            _ => None,
        }
        .ok_or_else(|| missing(&pk, "expected a whole number of decimal places from 0 to 20".into()))?;
        let mode = match &mp.value {
            Value::Text(s) => Mode::parse(s),
            _ => None,
        }
        .ok_or_else(|| missing(&mk, format!("expected one of {}", Mode::NAMES.join(", "))))?;
        let reference = if pp.reference == mp.reference { pp.reference.clone() } else { format!("{}; {}", pp.reference, mp.reference) };
        Ok(Rule { key: key.to_string(), places, mode, places_key: pk, mode_key: mk, reference })
    }

    /// The two parameter keys.
    pub fn parameters(&self) -> [&str; 2] {
        [self.places_key.as_str(), self.mode_key.as_str()]
    }

    /// Rounds without recording anything.
    pub fn apply(&self, d: Decimal) -> Decimal {
        round(d, self.places, self.mode)
    }

    /// A metric formula over unrounded operands, rounded as this rule rounds:
    /// `roundup(<inner>, rounding.shortfall.places)`. The host checks it
    /// exactly against the rounded value and writes it as a live formula.
    pub fn wrap_formula(&self, inner: &str) -> String {
        format!("{}({inner}, {})", self.mode.function(), self.places_key)
    }

    /// What the rule does, in words: (zh, en).
    pub fn describe(&self) -> (String, String) {
        match self.places {
            0 => (format!("取整数，{}", self.mode.zh()), format!("whole units, {}", self.mode.en())),
            p => (format!("保留{p}位小数，{}", self.mode.zh()), format!("{p} decimal places, {}", self.mode.en())),
        }
    }

    /// Rounds `before` (the quantity named by `what`, zh and en) and records a
    /// trace step: clause = the rule's reference, parameters = its two keys,
    /// `before → after` in the description, `inputs` as given (usually the
    /// step that computed `before`).
    pub fn record(&self, out: &mut Output, what: (&str, &str), before: Decimal, unit: Option<&str>, inputs: Vec<String>) -> Rounded {
        let value = self.apply(before);
        let (how_zh, how_en) = self.describe();
        let (b, a) = (fmt_dec(before), fmt_dec(value));
        let step = out.step(
            Step {
                clause: &self.reference,
                zh: &format!("{}取整：{b} → {a}（{how_zh}；{}）", what.0, self.key),
                en: &format!("{} rounded: {b} → {a} ({how_en}; {})", what.1, self.key),
                parameters: &self.parameters(),
                inputs,
            },
            num(value),
            unit,
        );
        Rounded { before, value, step }
    }

    /// Like [`Rule::record`], but records a step only when rounding changes the
    /// value. For one value per row of a table that may be long, gather the
    /// rows in a [`RowRounding`] instead: one step for all of them.
    pub fn record_if_changed(
        &self,
        out: &mut Output,
        what: (&str, &str),
        before: Decimal,
        unit: Option<&str>,
        inputs: Vec<String>,
    ) -> (Decimal, Option<u32>) {
        let value = self.apply(before);
        if value == before {
            return (before, None);
        }
        let r = self.record(out, what, before, unit, inputs);
        (r.value, Some(r.step))
    }

    /// Records one trace step for a group of rows whose values this rule
    /// rounded (see [`RowRounding`]), or nothing when it changed none of
    /// them. `what` names the group's values, e.g. ("计入清缴的排放源排放量",
    /// "Counted sources' emissions"); `shown_in` the result table holding each
    /// row's value before and after, e.g. ("排放核算", "Emissions").
    pub fn record_rows(
        &self,
        out: &mut Output,
        what: (&str, &str),
        unit: Option<&str>,
        rows: RowRounding<'_>,
        shown_in: (&str, &str),
    ) -> Option<u32> {
        if rows.changed == 0 {
            return None;
        }
        let (how_zh, how_en) = self.describe();
        let RowRounding { rows, changed, delta, inputs, .. } = rows;
        let d = fmt_dec(delta);
        Some(out.step_citing(
            Step {
                clause: &self.reference,
                zh: &format!(
                    "{}逐项取整（{how_zh}；{}）：{rows} 项中 {changed} 项因取整而改变，合计变化 {d}；各项取整前后见「{}」表",
                    what.0, self.key, shown_in.0
                ),
                en: &format!(
                    "{} rounded one by one ({how_en}; {}): {changed} of {rows} changed, by {d} in all; each before and after is in the table \"{}\"",
                    what.1, self.key, shown_in.1
                ),
                parameters: &self.parameters(),
                inputs: vec![],
            },
            &inputs,
            num(delta),
            unit,
        ))
    }
}

/// The rows of one group (the sources counted in a total, say) whose values
/// a rule rounded one by one, for **one** trace step ([`Rule::record_rows`])
/// instead of a step per row.
///
/// A step per rounded row repeated the rule's reference and description for
/// every row: for 100,000 sources, 90,000 steps of some 550 bytes, half the
/// plugin's time and two thirds of its memory, and a trace no reader could
/// follow. Instead the plugin shows each row's value before and after
/// rounding in a result table, and a step that sums the rounded values cites
/// each row's **unrounded** value (its cell, or the step that computed it)
/// plus the group's rounding step, whose value is what rounding changed in
/// all (after − before, summed) and whose inputs are the unrounded values
/// that changed: the sum is what it cites, added up. A row counted in
/// several sums is added to each sum's group.
///
/// ```
/// use lvyue_sdk::rounding::{Mode, RowRounding, Rule};
/// use lvyue_sdk::{dec, Output, Ref, Value};
/// let rule = Rule { key: "rounding.source".into(), places: 2, mode: Mode::HalfUp, places_key: "rounding.source.places".into(),
///     mode_key: "rounding.source.mode".into(), reference: "a guideline".into() };
/// let mut counted = RowRounding::default();
/// for (given, cell) in [("1.234", "S!F2"), ("2.5", "S!F3")] {
///     let before = dec(given).unwrap();
///     counted.add(before, rule.apply(before), &[Ref::text(cell)]);
/// }
/// let mut out = Output::default();
/// let step = rule.record_rows(&mut out, ("排放量", "Emissions"), Some("tCO2"), counted, ("排放", "Sources")).expect("one value changed");
/// let step = &out.finish().trace.into_steps()[step as usize];
/// assert_eq!(step.inputs, ["S!F2"]);
/// assert!(matches!(&step.value, Value::Number(n) if n == "-0.004"), "after − before, summed");
/// assert!(step.description.en.contains("1 of 2 changed"));
/// ```
#[derive(Debug, Default, Clone)]
pub struct RowRounding<'a> {
    rows: usize,
    changed: usize,
    delta: Decimal,
    /// Held as [`Ref`]s: written only into the step.
    inputs: Vec<Ref<'a>>,
    /// Whether the unrounded values that changed are cited (see [`RowRounding::counting`]).
    uncited: bool,
}

impl<'a> RowRounding<'a> {
    /// A group whose step cites no inputs: for a sum whose own step cites
    /// the rows already (a subtotal, say), so that its references are not
    /// held twice.
    pub fn counting() -> RowRounding<'a> {
        RowRounding { uncited: true, ..RowRounding::default() }
    }

    /// Adds a row: its value `before` and `after` rounding, and where the
    /// unrounded value comes from (`inputs`: cells or steps, see
    /// [`crate::RowView::cite`] and [`Ref::step`]), kept when rounding changed it.
    pub fn add(&mut self, before: Decimal, after: Decimal, inputs: &[Ref<'a>]) {
        self.rows += 1;
        if after != before {
            self.changed += 1;
            self.delta += after - before;
            if !self.uncited {
                self.inputs.extend_from_slice(inputs);
            }
        }
    }

    /// Whether rounding changed any value of the group.
    pub fn changed(&self) -> bool {
        self.changed > 0
    }

    /// The references its step will cite ([`Rule::record_rows`]), for
    /// [`crate::Output::reserve_citations`].
    pub fn cited(&self) -> &[Ref<'a>] {
        &self.inputs
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Confidence, Parameter, Period, Request, dec};

    fn d(s: &str) -> Decimal {
        dec(s).unwrap()
    }

    #[test]
    fn modes_round_exactly() {
        // Half up: a half goes away from zero (四舍五入), including negatives.
        assert_eq!(round(d("1000.5"), 0, Mode::HalfUp), d("1001"));
        assert_eq!(round(d("1000.49999"), 0, Mode::HalfUp), d("1000"));
        assert_eq!(round(d("-2.5"), 0, Mode::HalfUp), d("-3"));
        assert_eq!(round(d("0.005"), 2, Mode::HalfUp), d("0.01"));
        // Up: any fraction makes a whole tonne more.
        assert_eq!(round(d("0.1"), 0, Mode::Up), d("1"));
        assert_eq!(round(d("31367.000001"), 0, Mode::Up), d("31368"));
        assert_eq!(round(d("5"), 0, Mode::Up), d("5"));
        // Down: the fraction is dropped.
        assert_eq!(round(d("177568.3649194"), 0, Mode::Down), d("177568"));
        assert_eq!(round(d("0.999"), 0, Mode::Down), d("0"));
        // Money to the fen.
        assert_eq!(round(d("14507375.50445"), 2, Mode::HalfUp), d("14507375.5"));
        assert_eq!(round(d("462.775"), 2, Mode::HalfUp), d("462.78"));
        assert_eq!(fmt_dec(round(d("12.30"), 2, Mode::HalfUp)), "12.3");
    }

    fn request(params: &[(&str, Value, &str)]) -> Request {
        Request {
            jurisdiction: "x".into(),
            period: Period { year: 2024, start: "2024-01-01".into(), end: "2024-12-31".into() },
            parameters: params
                .iter()
                .map(|(k, v, r)| Parameter {
                    key: k.to_string(),
                    value: v.clone(),
                    unit: None,
                    effective: "2021-01-01".into(),
                    reference: r.to_string(),
                    confidence: Confidence::Unverified,
                    note: None,
                })
                .collect(),
            tables: vec![],
            options: vec![],
        }
    }

    #[test]
    fn a_rule_is_read_from_two_parameters_and_records_a_step() {
        let req = request(&[
            ("rounding.shortfall.places", Value::Number("0".into()), "lvyue convention: registries move whole tonnes"),
            ("rounding.shortfall.mode", Value::Text("up".into()), "lvyue convention: a shortfall to buy rounds up"),
        ]);
        let ctx = Context::new(&req);
        let rule = Rule::read(&ctx, "rounding.shortfall").unwrap();
        assert_eq!((rule.places, rule.mode), (0, Mode::Up));
        let mut out = Output::default();
        let r = rule.record(&mut out, ("缺口", "Shortfall"), d("0.1"), Some("t"), vec!["trace:0".into()]);
        assert!(r.changed());
        assert_eq!(r.value, d("1"));
        let (same, step) = rule.record_if_changed(&mut out, ("缺口", "Shortfall"), d("3"), Some("t"), vec![]);
        assert_eq!((same, step), (d("3"), None));
        let ev = out.finish();
        assert_eq!(ev.trace.len(), 1);
        let s = &ev.trace.into_steps()[0];
        assert_eq!(s.parameters, ["rounding.shortfall.places", "rounding.shortfall.mode"]);
        assert!(s.clause.contains("whole tonnes") && s.clause.contains("rounds up"), "{}", s.clause);
        assert!(s.description.en.contains("0.1 → 1"), "{}", s.description.en);
        assert_eq!(s.inputs, ["trace:0"]);
        assert_eq!(rule.wrap_formula("obligation_t - offsets_used_t"), "roundup(obligation_t - offsets_used_t, rounding.shortfall.places)");
        assert!(matches!(&s.value, Value::Number(n) if n == "1"));
    }

    #[test]
    fn each_mode_names_its_spreadsheet_function() {
        let names: Vec<_> = Mode::NAMES.iter().map(|n| Mode::parse(n).unwrap().function()).collect();
        assert_eq!(names, ["round", "roundup", "rounddown"]);
    }

    #[test]
    fn a_malformed_rule_names_its_parameter() {
        let bad_mode = request(&[("r.places", Value::Number("2".into()), "x"), ("r.mode", Value::Text("bankers".into()), "x")]);
        let e = Rule::read(&Context::new(&bad_mode), "r").unwrap_err();
        assert!(matches!(&e, EvaluationError::MissingParameter(m) if m.contains("r.mode") && m.contains("half_up")), "{e:?}");
        let bad_places = request(&[("r.places", Value::Number("1.5".into()), "x"), ("r.mode", Value::Text("up".into()), "x")]);
        let e = Rule::read(&Context::new(&bad_places), "r").unwrap_err();
        assert!(matches!(&e, EvaluationError::MissingParameter(m) if m.contains("r.places")), "{e:?}");
        let e = Rule::read(&Context::new(&request(&[])), "r").unwrap_err();
        assert!(matches!(&e, EvaluationError::MissingParameter(m) if m.contains("r.places")), "{e:?}");
    }
}
