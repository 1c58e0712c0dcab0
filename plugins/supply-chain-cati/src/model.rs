//! The scoring model, read from the resolved rule parameters: area weights,
//! industry weighting factors, the indicator catalogue, the CITI conversion
//! and the violation policy. Nothing here is a number of its own: every value
//! comes from `rules/supply-chain-cati/` (or the user's rules).

use std::collections::BTreeMap;

use lvyue_sdk::{Confidence, Context, Decimal, EvaluationError, Parameter, Value, dec, fmt_dec};

use crate::spec::*;

/// Where a rule value comes from, read from its reference and confidence:
/// a reference starting with "IPE" is IPE's method (published if verified or
/// secondary, inferred otherwise), one starting with "lvyue" is this tool's
/// default, anything else is the user's own rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Method {
    IpePublished,
    IpeInferred,
    LvyueDefault,
    User,
}

impl Method {
    pub fn of(p: &Parameter) -> Method {
        let r = p.reference.trim_start();
        if r.starts_with("IPE") {
            if matches!(p.confidence, Confidence::Verified | Confidence::Secondary) { Method::IpePublished } else { Method::IpeInferred }
        } else if r.starts_with("lvyue") {
            Method::LvyueDefault
        } else {
            Method::User
        }
    }

    /// (zh, en)
    pub fn names(self) -> (&'static str, &'static str) {
        match self {
            Method::IpePublished => ("IPE 公开方法", "IPE published"),
            Method::IpeInferred => ("据 IPE 推断，未核实", "inferred from IPE (unverified)"),
            Method::LvyueDefault => ("lvyue 默认，非 IPE", "lvyue default (not IPE)"),
            Method::User => ("用户规则，非 IPE", "user rule (not IPE)"),
        }
    }

    /// Both languages, for a table cell: "IPE 公开方法 / IPE published".
    pub fn label(self) -> String {
        let (zh, en) = self.names();
        format!("{zh} / {en}")
    }
}

/// How an indicator's answer becomes points.
#[derive(Debug, Clone)]
pub enum Scoring {
    /// Points per answer (answer keys as in the rules, lower case), with the
    /// points as text for the decisions.
    Choice(Vec<(String, Decimal, String)>),
    /// A number: 0 points at `zero_at`, `max` at `full_at`, linear between,
    /// clamped; `slope` = max / (full_at − zero_at).
    Linear { zero_at: Decimal, full_at: Decimal, slope: Decimal },
}

#[derive(Debug, Clone)]
pub struct Indicator {
    pub id: String,
    pub area: usize,
    pub max: Decimal,
    pub scoring: Scoring,
    pub method: Method,
    /// The parameter keys that define it.
    pub keys: Vec<String>,
    /// The reference of its `max_points` value.
    pub reference: String,
}

impl Indicator {
    pub fn name(&self) -> (String, String) {
        match INDICATOR_NAMES.iter().find(|n| n.0.eq_ignore_ascii_case(&self.id)) {
            Some((_, zh, en)) => (zh.to_string(), en.to_string()),
            None => (format!("用户指标 {}", self.id), format!("user indicator {}", self.id)),
        }
    }

    pub fn scoring_text(&self) -> String {
        match &self.scoring {
            Scoring::Choice(points) => points.iter().map(|(a, _, p)| format!("{a}={p}")).collect::<Vec<_>>().join(", "),
            Scoring::Linear { zero_at, full_at, .. } => {
                format!("0 @ {} → {} @ {} (linear / 线性)", zero_at.normalize(), self.max.normalize(), full_at.normalize())
            }
        }
    }

    /// Points for a numeric answer: (value − zero_at) × slope, clamped to [0, max].
    pub fn linear_points(&self, value: Decimal) -> Option<Decimal> {
        match &self.scoring {
            Scoring::Linear { zero_at, slope, .. } => Some(((value - *zero_at) * *slope).max(Decimal::ZERO).min(self.max)),
            Scoring::Choice(_) => None,
        }
    }

    /// The answers allowed, for messages.
    pub fn allowed(&self) -> String {
        match &self.scoring {
            Scoring::Choice(points) => points.iter().map(|(a, _, _)| a.as_str()).collect::<Vec<_>>().join(", "),
            Scoring::Linear { .. } => "a number / 数值".into(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Weight {
    pub value: Decimal,
    pub method: Method,
    pub confidence: Confidence,
    pub key: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViolationPolicy {
    Flag,
    Cap(Decimal),
}

pub struct Model {
    pub weights: [Weight; 5],
    /// industry (lower case) → per-area factor (None: the default industry's).
    pub industries: BTreeMap<String, [Option<(Decimal, Method)>; 5]>,
    pub indicators: Vec<Indicator>,
    pub citi_factor: Decimal,
    pub policy: ViolationPolicy,
}

fn bad(key: &str, why: &str) -> EvaluationError {
    EvaluationError::MissingParameter(format!("{key} ({why})"))
}

fn number(p: &Parameter) -> Result<Decimal, EvaluationError> {
    match &p.value {
        Value::Number(n) => dec(n).ok_or_else(|| bad(&p.key, "not a decimal")),
        _ => Err(bad(&p.key, "expected a number")),
    }
}

/// Natural order of ids: "A2" before "A10".
pub fn natural_key(id: &str) -> (String, u64, String) {
    let split = id.find(|c: char| c.is_ascii_digit()).unwrap_or(id.len());
    let (head, tail) = id.split_at(split);
    let digits: String = tail.chars().take_while(|c| c.is_ascii_digit()).collect();
    let rest = tail[digits.len()..].to_string();
    (head.to_ascii_uppercase(), digits.parse().unwrap_or(0), rest)
}

#[derive(Default)]
struct Builder {
    max: Option<(Decimal, String)>,
    zero_at: Option<Decimal>,
    full_at: Option<Decimal>,
    points: Vec<(String, Decimal)>,
    methods: Vec<Method>,
    keys: Vec<String>,
}

impl Model {
    pub fn read(ctx: &Context) -> Result<Model, EvaluationError> {
        let weights: [String; 5] = std::array::from_fn(weight_key);
        let mut ws = Vec::new();
        for key in &weights {
            let p = ctx.parameter(key)?;
            let value = number(p)?;
            if value < Decimal::ZERO {
                return Err(bad(key, "a weight cannot be negative"));
            }
            ws.push(Weight { value, method: Method::of(p), confidence: p.confidence, key: key.clone() });
        }
        let weights: [Weight; 5] = ws.try_into().expect("five areas");
        if weights.iter().all(|w| w.value.is_zero()) {
            return Err(bad("weights.area.*", "at least one area needs a weight above 0"));
        }

        let citi_factor = number(ctx.parameter(P_CITI_FACTOR)?)?;
        let policy = match ctx.param_text(P_VIOLATION_POLICY)? {
            "flag" => ViolationPolicy::Flag,
            "cap" => {
                let cap = ctx.param_decimal(P_VIOLATION_CAP)?;
                if cap < Decimal::ZERO || cap > Decimal::ONE_HUNDRED {
                    return Err(bad(P_VIOLATION_CAP, "a score between 0 and 100"));
                }
                ViolationPolicy::Cap(cap)
            }
            other => return Err(bad(P_VIOLATION_POLICY, &format!("`{other}`: expected flag or cap"))),
        };

        let mut industries: BTreeMap<String, [Option<(Decimal, Method)>; 5]> = BTreeMap::new();
        let mut builders: BTreeMap<(usize, String), Builder> = BTreeMap::new();
        for p in &ctx.request.parameters {
            if let Some(rest) = p.key.strip_prefix(INDUSTRY_PREFIX) {
                let Some((industry, area)) = rest.rsplit_once('.') else {
                    return Err(bad(&p.key, "expected weights.industry.<industry>.<area>"));
                };
                let Some(a) = area_index(area) else {
                    return Err(bad(&p.key, "the area must be governance, measurement, targets, performance or action"));
                };
                let f = number(p)?;
                if f < Decimal::ZERO {
                    return Err(bad(&p.key, "a factor cannot be negative"));
                }
                industries.entry(industry.trim().to_lowercase()).or_default()[a] = Some((f, Method::of(p)));
            } else if let Some(rest) = p.key.strip_prefix(INDICATOR_PREFIX) {
                let shape = "expected indicator.<area>.<id>.max_points, .zero_at, .full_at or .points.<answer>";
                let mut parts = rest.splitn(3, '.');
                let (Some(area), Some(id), Some(field)) = (parts.next(), parts.next(), parts.next()) else {
                    return Err(bad(&p.key, shape));
                };
                let Some(a) = area_index(area) else {
                    return Err(bad(&p.key, "the area must be governance, measurement, targets, performance or action"));
                };
                if id.is_empty() {
                    return Err(bad(&p.key, shape));
                }
                let v = number(p)?;
                let b = builders.entry((a, id.to_string())).or_default();
                match field {
                    "max_points" => b.max = Some((v, p.reference.clone())),
                    "zero_at" => b.zero_at = Some(v),
                    "full_at" => b.full_at = Some(v),
                    f => match f.strip_prefix("points.") {
                        Some(answer) if !answer.is_empty() => {
                            if v < Decimal::ZERO {
                                return Err(bad(&p.key, "points cannot be negative"));
                            }
                            b.points.push((answer.to_lowercase(), v));
                        }
                        _ => return Err(bad(&p.key, shape)),
                    },
                }
                b.methods.push(Method::of(p));
                b.keys.push(p.key.clone());
            }
        }
        if !industries.get(DEFAULT_INDUSTRY).is_some_and(|f| f.iter().all(Option::is_some)) {
            return Err(bad(
                &format!("{INDUSTRY_PREFIX}{DEFAULT_INDUSTRY}.*"),
                "the default industry needs a factor for each of the five areas",
            ));
        }

        let mut indicators = Vec::new();
        for ((area, id), b) in builders {
            let base = format!("{INDICATOR_PREFIX}{}.{id}", AREAS[area].0);
            let Some((max, reference)) = b.max else {
                return Err(bad(&format!("{base}.max_points"), "every indicator needs its maximum points"));
            };
            if max < Decimal::ZERO {
                return Err(bad(&format!("{base}.max_points"), "cannot be negative"));
            }
            if max.is_zero() {
                // Maximum 0: the indicator is switched off (an override file can do this).
                continue;
            }
            let scoring = match (b.zero_at, b.full_at, b.points.is_empty()) {
                (None, None, false) => {
                    if let Some((a, p)) = b.points.iter().find(|(_, p)| *p > max) {
                        return Err(bad(
                            &format!("{base}.points.{a}"),
                            &format!("{} exceeds max_points {}", p.normalize(), max.normalize()),
                        ));
                    }
                    let mut points = b.points;
                    // Best answer first, then by name: a stable order for messages and tables.
                    points.sort_by(|x, y| y.1.cmp(&x.1).then_with(|| x.0.cmp(&y.0)));
                    Scoring::Choice(points.into_iter().map(|(a, p)| (a, p, fmt_dec(p))).collect())
                }
                (Some(zero_at), Some(full_at), true) => {
                    if zero_at == full_at {
                        return Err(bad(&format!("{base}.full_at"), "must differ from zero_at"));
                    }
                    Scoring::Linear { zero_at, full_at, slope: max / (full_at - zero_at) }
                }
                _ => {
                    return Err(bad(&base, "define either points.<answer> values or both zero_at and full_at"));
                }
            };
            if indicators.iter().any(|i: &Indicator| i.id.eq_ignore_ascii_case(&id)) {
                return Err(bad(&base, "the same indicator id is defined in two areas"));
            }
            let method = b.methods.iter().copied().max().unwrap_or(Method::User);
            indicators.push(Indicator { id, area, max, scoring, method, keys: b.keys, reference });
        }
        indicators.sort_by(|x, y| x.area.cmp(&y.area).then_with(|| natural_key(&x.id).cmp(&natural_key(&y.id))));
        for (a, (key, _, _)) in AREAS.iter().enumerate() {
            if !weights[a].value.is_zero() && !indicators.iter().any(|i| i.area == a) {
                return Err(bad(&format!("{INDICATOR_PREFIX}{key}.*"), "an area with a weight needs at least one indicator"));
            }
        }
        Ok(Model { weights, industries, indicators, citi_factor, policy })
    }

    /// The factors for an industry (lower-cased): its own where given, else the default's,
    /// and whether the industry was found in the rules.
    pub fn factors(&self, industry: &str) -> ([(Decimal, Method); 5], bool) {
        let default = &self.industries[DEFAULT_INDUSTRY];
        let own = self.industries.get(industry);
        let f = std::array::from_fn(|a| own.and_then(|o| o[a]).or(default[a]).expect("default industry complete"));
        (f, own.is_some())
    }
}
