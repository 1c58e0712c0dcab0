//! Metric formulas: how a metric follows from other metrics and parameters.
//!
//! Grammar: `expr := term (('+'|'-') term)*`, `term := factor (('*'|'/') factor)*`,
//! `factor := number | name | '(' expr ')' | '-' factor | ('min'|'max') '(' expr (',' expr)* ')'
//!           | ('round'|'roundup'|'rounddown') '(' expr ',' expr ')'`.
//! The three roundings are the spreadsheet's ROUND (half away from zero),
//! ROUNDUP (away from zero) and ROUNDDOWN (towards zero) to a whole number of
//! places from 0 to 28, which may itself be a name (`rounding.money.places`).
//! A name is a metric key (`obligation_t`) or a rule parameter key
//! (`offsets.ccer_cap_ratio`). The host evaluates formulas with exact
//! decimals to check them against the plugin's values, and renders them as
//! live spreadsheet formulas.

use std::collections::HashMap;

use rust_decimal::Decimal;

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Num(Decimal),
    Name(String),
    Neg(Box<Expr>),
    Bin(Box<Expr>, char, Box<Expr>),
    Call(&'static str, Vec<Expr>),
}

pub fn parse(text: &str) -> Result<Expr, String> {
    let tokens = tokenize(text)?;
    let mut p = Parser { tokens, pos: 0 };
    let e = p.expr()?;
    if p.pos != p.tokens.len() {
        return Err(format!("unexpected `{}` in formula `{text}`", p.tokens[p.pos]));
    }
    Ok(e)
}

fn tokenize(text: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if "+-*/(),".contains(c) {
            out.push(c.to_string());
            i += 1;
        } else if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == '.') {
                i += 1;
            }
            out.push(chars[start..i].iter().collect());
        } else {
            return Err(format!("unexpected character `{c}` in formula `{text}`"));
        }
    }
    Ok(out)
}

/// The functions a formula may call: (name in the formula, spreadsheet name).
const FUNCTIONS: &[(&str, &str)] =
    &[("min", "MIN"), ("max", "MAX"), ("round", "ROUND"), ("roundup", "ROUNDUP"), ("rounddown", "ROUNDDOWN")];

struct Parser {
    tokens: Vec<String>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&str> {
        self.tokens.get(self.pos).map(String::as_str)
    }

    fn next(&mut self) -> Option<String> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn expect(&mut self, t: &str) -> Result<(), String> {
        match self.next() {
            Some(x) if x == t => Ok(()),
            other => Err(format!("expected `{t}`, found `{}`", other.unwrap_or_else(|| "end".into()))),
        }
    }

    fn expr(&mut self) -> Result<Expr, String> {
        let mut left = self.term()?;
        while let Some(op @ ("+" | "-")) = self.peek() {
            let op = op.chars().next().unwrap();
            self.pos += 1;
            left = Expr::Bin(Box::new(left), op, Box::new(self.term()?));
        }
        Ok(left)
    }

    fn term(&mut self) -> Result<Expr, String> {
        let mut left = self.factor()?;
        while let Some(op @ ("*" | "/")) = self.peek() {
            let op = op.chars().next().unwrap();
            self.pos += 1;
            left = Expr::Bin(Box::new(left), op, Box::new(self.factor()?));
        }
        Ok(left)
    }

    fn factor(&mut self) -> Result<Expr, String> {
        match self.next() {
            Some(t) if t == "(" => {
                let e = self.expr()?;
                self.expect(")")?;
                Ok(e)
            }
            Some(t) if t == "-" => Ok(Expr::Neg(Box::new(self.factor()?))),
            Some(t) if self.peek() == Some("(") && FUNCTIONS.iter().any(|(name, _)| *name == t) => {
                let (_, excel) = FUNCTIONS.iter().find(|(name, _)| *name == t).copied().expect("listed");
                self.pos += 1;
                let mut args = vec![self.expr()?];
                while self.peek() == Some(",") {
                    self.pos += 1;
                    args.push(self.expr()?);
                }
                self.expect(")")?;
                if excel.starts_with("ROUND") && args.len() != 2 {
                    return Err(format!("`{t}` takes two arguments (a value and the number of places), found {}", args.len()));
                }
                Ok(Expr::Call(excel, args))
            }
            Some(t) if t.starts_with(|c: char| c.is_ascii_digit()) => {
                crate::decimal::parse(&t).map(Expr::Num).ok_or_else(|| format!("`{t}` is not a number"))
            }
            Some(t) if t.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') => Ok(Expr::Name(t)),
            other => Err(format!("unexpected `{}`", other.unwrap_or_else(|| "end of formula".into()))),
        }
    }
}

impl Expr {
    /// Names used, in order of first use.
    pub fn names(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.walk(&mut |n| {
            if !out.iter().any(|x: &String| x == n) {
                out.push(n.to_string())
            }
        });
        out
    }

    fn walk(&self, f: &mut dyn FnMut(&str)) {
        match self {
            Expr::Num(_) => {}
            Expr::Name(n) => f(n),
            Expr::Neg(e) => e.walk(f),
            Expr::Bin(a, _, b) => {
                a.walk(f);
                b.walk(f);
            }
            Expr::Call(_, args) => args.iter().for_each(|a| a.walk(f)),
        }
    }

    /// Exact evaluation.
    pub fn eval(&self, values: &HashMap<String, Decimal>) -> Result<Decimal, String> {
        Ok(match self {
            Expr::Num(d) => *d,
            Expr::Name(n) => *values.get(n).ok_or_else(|| format!("`{n}` has no numeric value"))?,
            Expr::Neg(e) => -e.eval(values)?,
            Expr::Bin(a, op, b) => {
                let (a, b) = (a.eval(values)?, b.eval(values)?);
                match op {
                    '+' => a.checked_add(b),
                    '-' => a.checked_sub(b),
                    '*' => a.checked_mul(b),
                    _ => a.checked_div(b),
                }
                .ok_or("arithmetic overflow or division by zero")?
            }
            Expr::Call(f, args) => {
                let vals = args.iter().map(|a| a.eval(values)).collect::<Result<Vec<_>, _>>()?;
                match *f {
                    "MIN" => vals.into_iter().min().ok_or("empty call")?,
                    "MAX" => vals.into_iter().max().ok_or("empty call")?,
                    round => {
                        use rust_decimal::RoundingStrategy::{AwayFromZero, MidpointAwayFromZero, ToZero};
                        let places = vals[1];
                        if places.fract() != Decimal::ZERO || places < Decimal::ZERO || places > Decimal::from(28) {
                            return Err(format!("{round}: the number of places must be a whole number from 0 to 28, not {places}"));
                        }
                        let strategy = match round {
                            "ROUND" => MidpointAwayFromZero,
                            "ROUNDUP" => AwayFromZero,
                            _ => ToZero,
                        };
                        vals[0].round_dp_with_strategy(places.try_into().map_err(|_| "places out of range")?, strategy)
                    }
                }
            }
        })
    }

    /// A spreadsheet formula (without the leading `=`), names replaced by cell references.
    pub(crate) fn to_excel(&self, cells: &HashMap<String, String>) -> Result<String, String> {
        Ok(match self {
            Expr::Num(d) => crate::decimal::format(*d),
            Expr::Name(n) => cells.get(n).cloned().ok_or_else(|| format!("`{n}` has no cell"))?,
            Expr::Neg(e) => format!("-({})", e.to_excel(cells)?),
            Expr::Bin(a, op, b) => format!("({}{op}{})", a.to_excel(cells)?, b.to_excel(cells)?),
            Expr::Call(f, args) => format!("{f}({})", args.iter().map(|a| a.to_excel(cells)).collect::<Result<Vec<_>, _>>()?.join(",")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn evaluates_exactly_and_renders() {
        let e = parse("min(held, obligation - used) * offsets.ratio + 0.1").unwrap();
        let vals: HashMap<String, Decimal> = [("held", "10"), ("obligation", "30.5"), ("used", "20"), ("offsets.ratio", "0.05")]
            .iter()
            .map(|(k, v)| (k.to_string(), d(v)))
            .collect();
        assert_eq!(e.eval(&vals).unwrap(), d("0.6"));
        let cells: HashMap<String, String> = [("held", "B2"), ("obligation", "B3"), ("used", "B4"), ("offsets.ratio", "Params!C5")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(e.to_excel(&cells).unwrap(), "((MIN(B2,(B3-B4))*Params!C5)+0.1)");
        assert_eq!(e.names(), ["held", "obligation", "used", "offsets.ratio"]);
    }

    #[test]
    fn rounds_as_the_spreadsheet_does() {
        let vals: HashMap<String, Decimal> =
            [("x", "1000.5"), ("n", "-2.345"), ("p", "2")].iter().map(|(k, v)| (k.to_string(), d(v))).collect();
        let at = |f: &str| parse(f).unwrap().eval(&vals).unwrap();
        assert_eq!(at("round(x, 0)"), d("1001"));
        assert_eq!(at("roundup(x - 0.4, 0)"), d("1001"));
        assert_eq!(at("rounddown(x, 0)"), d("1000"));
        assert_eq!(at("round(n, p)"), d("-2.35"));
        assert_eq!(at("roundup(n, 1)"), d("-2.4"));
        assert_eq!(at("rounddown(n, 1)"), d("-2.3"));
        let cells: HashMap<String, String> = [("x", "B2"), ("p", "C3")].iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        assert_eq!(parse("roundup(x, p)").unwrap().to_excel(&cells).unwrap(), "ROUNDUP(B2,C3)");
        assert!(parse("round(x)").is_err());
        assert!(parse("round(x, 0.5)").unwrap().eval(&vals).is_err());
    }

    #[test]
    fn rejects_nonsense() {
        assert!(parse("a +").is_err());
        assert!(parse("a $ b").is_err());
        assert!(parse("(a").is_err());
        assert!(parse("a b").is_err());
    }
}
