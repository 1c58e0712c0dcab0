//! An exact integer linear-programming solver for surrender plans.
//!
//! Method: a dense, bounded-variable primal simplex over exact rationals
//! (`BigRational`), two phases (artificial variables, then the objective),
//! Dantzig's entering rule, switching to Bland's after a run of degenerate
//! steps (no cycling), Bland's leaving rule on ties; integer
//! variables by depth-first branch and bound on the exact LP relaxation;
//! several objectives by lexicographic optimisation (each optimum is fixed as
//! a constraint before the next objective is minimised).
//!
//! Nothing passes through floating point, so an "optimal" answer is optimal
//! exactly, not within a tolerance. The problems it is built for are small:
//! holdings aggregated by class and price (see [`super::plan`]) give a few
//! dozen columns and a handful of cap rows.

use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{One, Signed, Zero};
use rust_decimal::Decimal;

pub type Q = BigRational;

/// Exact conversion of a decimal.
pub fn q(d: Decimal) -> Q {
    let scale = d.scale();
    let mantissa = d.mantissa();
    BigRational::new(BigInt::from(mantissa), num_traits::pow(BigInt::from(10), scale as usize))
}

pub fn qi(i: i64) -> Q {
    BigRational::from_integer(BigInt::from(i))
}

/// Back to a decimal: exact when the value is a terminating decimal within
/// 28 significant digits (always so for sums of tonnes and prices), else
/// rounded by `Decimal`'s division.
pub fn to_dec(v: &Q) -> Decimal {
    let conv = |b: &BigInt| -> Decimal { b.to_string().parse::<Decimal>().unwrap_or(Decimal::MAX) };
    let n = conv(v.numer());
    let d = conv(v.denom());
    if d.is_one() { n } else { n / d }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    /// a·x ≤ b
    Le,
    /// a·x = b
    Eq,
}

/// min c·x subject to rows, lower ≤ x ≤ upper, some x integer.
#[derive(Clone, Debug)]
pub struct Problem {
    pub lower: Vec<Q>,
    pub upper: Vec<Option<Q>>,
    pub integer: Vec<bool>,
    pub rows: Vec<(Vec<(usize, Q)>, Cmp, Q)>,
}

impl Problem {
    pub fn new() -> Self {
        Problem { lower: Vec::new(), upper: Vec::new(), integer: Vec::new(), rows: Vec::new() }
    }

    /// Adds a variable and returns its index.
    pub fn var(&mut self, lower: Q, upper: Option<Q>, integer: bool) -> usize {
        self.lower.push(lower);
        self.upper.push(upper);
        self.integer.push(integer);
        self.lower.len() - 1
    }

    pub fn row(&mut self, coefs: Vec<(usize, Q)>, cmp: Cmp, rhs: Q) {
        self.rows.push((coefs, cmp, rhs));
    }

    pub fn n(&self) -> usize {
        self.lower.len()
    }
}

impl Default for Problem {
    fn default() -> Self {
        Self::new()
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum LpOutcome {
    Optimal { x: Vec<Q>, objective: Q },
    Infeasible,
    Unbounded,
}

/// Pivot limit, a guard only: Bland's rule terminates.
const MAX_ITERATIONS: usize = 200_000;

/// Consecutive degenerate steps after which the entering rule becomes Bland's.
const DEGENERATE_STEPS_BEFORE_BLAND: usize = 50;

struct Simplex {
    m: usize,
    /// B⁻¹·A over all columns (structural, slack, artificial).
    t: Vec<Vec<Q>>,
    basis: Vec<usize>,
    x: Vec<Q>,
    lo: Vec<Q>,
    up: Vec<Option<Q>>,
    is_basic: Vec<bool>,
}

impl Simplex {
    /// Minimises `cost` (one entry per column) from the current basis.
    ///
    /// Reduced costs are computed once and updated at each pivot (a bound
    /// flip leaves them unchanged), so a flip costs O(rows + columns).
    fn run(&mut self, cost: &[Q]) -> Result<(), LpOutcome> {
        let ncols = self.x.len();
        let mut d: Vec<Q> = (0..ncols)
            .map(|j| {
                if self.is_basic[j] {
                    return Q::zero();
                }
                let mut v = cost[j].clone();
                for i in 0..self.m {
                    let tij = &self.t[i][j];
                    if !tij.is_zero() && !cost[self.basis[i]].is_zero() {
                        v -= &cost[self.basis[i]] * tij;
                    }
                }
                v
            })
            .collect();
        // Nonbasic columns sit at a bound: true = upper.
        let mut at_upper: Vec<bool> = (0..ncols).map(|j| !self.is_basic[j] && self.up[j].as_ref().is_some_and(|u| *u == self.x[j]) && self.x[j] != self.lo[j]).collect();
        let fixed: Vec<bool> = (0..ncols).map(|j| self.up[j].as_ref().is_some_and(|u| *u == self.lo[j])).collect();
        let mut bland = false;
        let mut degenerate = 0usize;
        for _ in 0..MAX_ITERATIONS {
            // Dantzig (the largest improvement rate) while steps make progress;
            // Bland (the first improving column) after a run of degenerate
            // steps, which rules out cycling.
            let mut entering: Option<(usize, bool)> = None;
            for j in 0..ncols {
                if self.is_basic[j] || d[j].is_zero() || fixed[j] {
                    continue;
                }
                let candidate = if !at_upper[j] && d[j].is_negative() {
                    Some((j, true))
                } else if at_upper[j] && d[j].is_positive() {
                    Some((j, false))
                } else {
                    None
                };
                let Some(c) = candidate else { continue };
                if bland {
                    entering = Some(c);
                    break;
                }
                if entering.is_none_or(|(e, _)| d[j].abs() > d[e].abs()) {
                    entering = Some(c);
                }
            }
            let Some((j, increase)) = entering else {
                return Ok(());
            };
            // Ratio test: the bound flip of x_j, or the first basic variable to hit a bound.
            let mut theta: Option<Q> = self.up[j].as_ref().map(|u| u - &self.lo[j]);
            let mut leave: Option<(usize, bool)> = None; // (row, leaves at upper)
            for i in 0..self.m {
                let tij = &self.t[i][j];
                if tij.is_zero() {
                    continue;
                }
                let a = if increase { tij.clone() } else { -tij.clone() };
                let b = self.basis[i];
                let (lim, to_upper) = if a.is_positive() {
                    ((&self.x[b] - &self.lo[b]) / &a, false)
                } else {
                    match &self.up[b] {
                        Some(u) => ((u - &self.x[b]) / (-a), true),
                        None => continue,
                    }
                };
                let better = match (&theta, leave) {
                    (None, _) => true,
                    (Some(th), None) => lim < *th,
                    (Some(th), Some((r, _))) => lim < *th || (lim == *th && b < self.basis[r]),
                };
                if better {
                    theta = Some(lim);
                    leave = Some((i, to_upper));
                }
            }
            let Some(theta) = theta else { return Err(LpOutcome::Unbounded) };
            let step = if increase { theta } else { -theta };
            if step.is_zero() {
                degenerate += 1;
                if degenerate > DEGENERATE_STEPS_BEFORE_BLAND {
                    bland = true;
                }
            } else {
                degenerate = 0;
            }
            if !step.is_zero() {
                self.x[j] += &step;
                for i in 0..self.m {
                    let tij = &self.t[i][j];
                    if !tij.is_zero() {
                        let b = self.basis[i];
                        let delta = tij * &step;
                        self.x[b] -= delta;
                    }
                }
            }
            match leave {
                None => at_upper[j] = increase,
                Some((r, to_upper)) => {
                    let b = self.basis[r];
                    // Exact arithmetic: the leaving variable sits exactly on its bound.
                    self.x[b] = if to_upper { self.up[b].clone().expect("bounded") } else { self.lo[b].clone() };
                    self.pivot(r, j);
                    at_upper[b] = to_upper;
                    at_upper[j] = false;
                    let dj = d[j].clone();
                    for (k, v) in self.t[r].iter().enumerate() {
                        if !v.is_zero() && k != j {
                            d[k] -= &dj * v;
                        }
                    }
                    d[j] = Q::zero();
                }
            }
        }
        Err(LpOutcome::Unbounded)
    }

    fn pivot(&mut self, r: usize, j: usize) {
        let p = self.t[r][j].clone();
        for v in self.t[r].iter_mut() {
            if !v.is_zero() {
                *v /= &p;
            }
        }
        let pivot_row = self.t[r].clone();
        for i in 0..self.m {
            if i == r {
                continue;
            }
            let f = self.t[i][j].clone();
            if f.is_zero() {
                continue;
            }
            for (k, pv) in pivot_row.iter().enumerate() {
                if !pv.is_zero() {
                    let d = &f * pv;
                    self.t[i][k] -= d;
                }
            }
        }
        let old = self.basis[r];
        self.is_basic[old] = false;
        self.is_basic[j] = true;
        self.basis[r] = j;
    }
}

/// Solves the LP relaxation exactly.
pub fn solve_lp(p: &Problem, cost: &[Q]) -> LpOutcome {
    let n = p.n();
    let m = p.rows.len();
    for j in 0..n {
        if p.upper[j].as_ref().is_some_and(|u| *u < p.lower[j]) {
            return LpOutcome::Infeasible;
        }
    }
    // Columns: structural 0..n, one slack per ≤ row, one artificial per row that needs it.
    let mut lo: Vec<Q> = p.lower.clone();
    let mut up: Vec<Option<Q>> = p.upper.clone();
    let mut x: Vec<Q> = p.lower.clone();
    let mut slack_of: Vec<Option<usize>> = vec![None; m];
    for (i, (_, cmp, _)) in p.rows.iter().enumerate() {
        if *cmp == Cmp::Le {
            slack_of[i] = Some(lo.len());
            lo.push(Q::zero());
            up.push(None);
            x.push(Q::zero());
        }
    }
    // Residuals with structural variables at their lower bounds and slacks at 0.
    let mut resid: Vec<Q> = Vec::with_capacity(m);
    for (coefs, _, rhs) in &p.rows {
        let mut r = rhs.clone();
        for (j, a) in coefs {
            r -= a * &p.lower[*j];
        }
        resid.push(r);
    }
    let mut basis = vec![0usize; m];
    let mut sign: Vec<Q> = vec![Q::one(); m];
    let mut artificial: Vec<usize> = Vec::new();
    for i in 0..m {
        match slack_of[i] {
            Some(s) if !resid[i].is_negative() => {
                basis[i] = s;
                x[s] = resid[i].clone();
            }
            _ => {
                let a = lo.len();
                lo.push(Q::zero());
                up.push(None);
                x.push(resid[i].abs());
                if resid[i].is_negative() {
                    sign[i] = -Q::one();
                }
                basis[i] = a;
                artificial.push(a);
            }
        }
    }
    let ncols = lo.len();
    let mut art_row = vec![None; ncols];
    for (i, &b) in basis.iter().enumerate() {
        if artificial.contains(&b) {
            art_row[b] = Some(i);
        }
    }
    // Tableau rows: (A_i | slack | artificial) scaled by 1/sign_i (B = diag(sign) initially).
    let mut t: Vec<Vec<Q>> = vec![vec![Q::zero(); ncols]; m];
    for (i, (coefs, _, _)) in p.rows.iter().enumerate() {
        for (j, a) in coefs {
            t[i][*j] += a;
        }
        if let Some(s) = slack_of[i] {
            t[i][s] = Q::one();
        }
        if let Some(r) = art_row.iter().position(|r| *r == Some(i)) {
            t[i][r] = sign[i].clone();
        }
        if sign[i].is_negative() {
            for v in t[i].iter_mut() {
                *v = -v.clone();
            }
        }
    }
    let mut is_basic = vec![false; ncols];
    for &b in &basis {
        is_basic[b] = true;
    }
    let mut s = Simplex { m, t, basis, x, lo, up, is_basic };
    if !artificial.is_empty() {
        let mut c1 = vec![Q::zero(); ncols];
        for &a in &artificial {
            c1[a] = Q::one();
        }
        if let Err(e) = s.run(&c1) {
            return e;
        }
        let infeas: Q = artificial.iter().map(|&a| s.x[a].clone()).fold(Q::zero(), |acc, v| acc + v);
        if infeas.is_positive() {
            return LpOutcome::Infeasible;
        }
        for &a in &artificial {
            s.up[a] = Some(Q::zero());
        }
    }
    let mut c2 = vec![Q::zero(); ncols];
    c2[..n].clone_from_slice(&cost[..n]);
    if let Err(e) = s.run(&c2) {
        return e;
    }
    let xs: Vec<Q> = s.x[..n].to_vec();
    let objective = xs.iter().zip(cost).fold(Q::zero(), |acc, (a, c)| acc + a * c);
    LpOutcome::Optimal { x: xs, objective }
}

#[derive(Clone, Debug, PartialEq)]
pub enum IlpOutcome {
    /// `proven` is false when the node limit stopped the search early.
    Optimal { x: Vec<Q>, objective: Q, proven: bool, nodes: usize },
    Infeasible,
    Unbounded,
}

/// Branch and bound (depth first, the lower branch first). `groups` are sets of
/// variables whose sum must be a whole number: the solver branches on a
/// fractional group sum first (a row Σ ≤ ⌊v⌋ or Σ ≥ ⌈v⌉), which keeps the tree
/// small when many interchangeable columns share a constraint, and only then on
/// single fractional integer variables.
pub fn solve_ilp(p: &Problem, cost: &[Q], node_limit: usize, groups: &[Vec<usize>]) -> IlpOutcome {
    type Node = (Vec<Q>, Vec<Option<Q>>, Vec<(Vec<(usize, Q)>, Cmp, Q)>);
    let mut best: Option<(Vec<Q>, Q)> = None;
    let mut stack: Vec<Node> = vec![(p.lower.clone(), p.upper.clone(), Vec::new())];
    let mut nodes = 0;
    let mut proven = true;
    let mut work = p.clone();
    let base_rows = p.rows.len();
    while let Some((lo, up, extra)) = stack.pop() {
        if nodes >= node_limit {
            proven = false;
            break;
        }
        nodes += 1;
        work.lower = lo;
        work.upper = up;
        work.rows.truncate(base_rows);
        work.rows.extend(extra.iter().cloned());
        let (x, obj) = match solve_lp(&work, cost) {
            LpOutcome::Optimal { x, objective } => (x, objective),
            LpOutcome::Infeasible => continue,
            LpOutcome::Unbounded => return IlpOutcome::Unbounded,
        };
        if best.as_ref().is_some_and(|(_, b)| obj >= *b) {
            continue;
        }
        let group = groups.iter().find_map(|g| {
            let sum = g.iter().fold(Q::zero(), |acc, &j| acc + &x[j]);
            (!sum.is_integer()).then_some((g, sum))
        });
        if let Some((g, sum)) = group {
            let ones: Vec<(usize, Q)> = g.iter().map(|&j| (j, Q::one())).collect();
            let minus: Vec<(usize, Q)> = g.iter().map(|&j| (j, -Q::one())).collect();
            let mut up_rows = extra.clone();
            up_rows.push((minus, Cmp::Le, -sum.ceil()));
            stack.push((work.lower.clone(), work.upper.clone(), up_rows));
            let mut down_rows = extra;
            down_rows.push((ones, Cmp::Le, sum.floor()));
            stack.push((work.lower.clone(), work.upper.clone(), down_rows));
            continue;
        }
        match (0..x.len()).find(|&j| p.integer[j] && !x[j].is_integer()) {
            None => best = Some((x, obj)),
            Some(j) => {
                let mut lo_up = work.lower.clone();
                lo_up[j] = x[j].ceil();
                stack.push((lo_up, work.upper.clone(), extra.clone()));
                let mut up_dn = work.upper.clone();
                up_dn[j] = Some(x[j].floor());
                stack.push((work.lower.clone(), up_dn, extra));
            }
        }
    }
    match best {
        Some((x, objective)) => IlpOutcome::Optimal { x, objective, proven, nodes },
        None if proven => IlpOutcome::Infeasible,
        None => IlpOutcome::Optimal { x: Vec::new(), objective: Q::zero(), proven: false, nodes },
    }
}

/// The result of a lexicographic optimisation.
#[derive(Clone, Debug, PartialEq)]
pub struct Lexicographic {
    pub x: Vec<Q>,
    /// The optimum of each objective, in order.
    pub objectives: Vec<Q>,
    /// False when a node limit stopped a search before optimality was proven.
    pub proven: bool,
}

/// Minimises each objective in turn, keeping the earlier optima as constraints.
/// `None` when the problem is infeasible (or no integer point was found in time).
pub fn lexicographic(p: &Problem, objectives: &[Vec<Q>], node_limit: usize, groups: &[Vec<usize>]) -> Option<Lexicographic> {
    let mut work = p.clone();
    let mut values = Vec::new();
    let mut proven = true;
    let mut x = Vec::new();
    for c in objectives {
        match solve_ilp(&work, c, node_limit, groups) {
            IlpOutcome::Optimal { x: xs, objective, proven: pr, .. } if !xs.is_empty() => {
                proven &= pr;
                let coefs: Vec<(usize, Q)> = c.iter().enumerate().filter(|(_, v)| !v.is_zero()).map(|(j, v)| (j, v.clone())).collect();
                if !coefs.is_empty() {
                    work.row(coefs, Cmp::Le, objective.clone());
                }
                values.push(objective);
                x = xs;
            }
            _ => return None,
        }
    }
    Some(Lexicographic { x, objectives: values, proven })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_lp_is_solved_exactly() {
        // max x + y  s.t. x + 2y ≤ 4, 3x + y ≤ 6  →  x = 8/5, y = 6/5.
        let mut p = Problem::new();
        let x = p.var(qi(0), None, false);
        let y = p.var(qi(0), None, false);
        p.row(vec![(x, qi(1)), (y, qi(2))], Cmp::Le, qi(4));
        p.row(vec![(x, qi(3)), (y, qi(1))], Cmp::Le, qi(6));
        match solve_lp(&p, &[qi(-1), qi(-1)]) {
            LpOutcome::Optimal { x: v, objective } => {
                assert_eq!(v, vec![Q::new(8.into(), 5.into()), Q::new(6.into(), 5.into())]);
                assert_eq!(objective, Q::new((-14).into(), 5.into()));
            }
            o => panic!("{o:?}"),
        }
        // Integer: the best lattice point has x + y = 2.
        match solve_ilp(&Problem { integer: vec![true, true], ..p.clone() }, &[qi(-1), qi(-1)], 1000, &[]) {
            IlpOutcome::Optimal { objective, proven, .. } => {
                assert_eq!(objective, qi(-2));
                assert!(proven);
            }
            o => panic!("{o:?}"),
        }
    }

    #[test]
    fn equality_and_infeasibility() {
        let mut p = Problem::new();
        let x = p.var(qi(0), Some(qi(3)), true);
        let y = p.var(qi(0), Some(qi(3)), true);
        p.row(vec![(x, qi(1)), (y, qi(1))], Cmp::Eq, qi(5));
        match solve_lp(&p, &[qi(1), qi(2)]) {
            LpOutcome::Optimal { x: v, .. } => assert_eq!(v, vec![qi(3), qi(2)]),
            o => panic!("{o:?}"),
        }
        p.row(vec![(x, qi(1))], Cmp::Le, qi(1));
        assert_eq!(solve_lp(&p, &[qi(1), qi(2)]), LpOutcome::Infeasible);
    }

    #[test]
    fn decimals_round_trip() {
        let d: Decimal = "12857.25".parse().unwrap();
        assert_eq!(to_dec(&q(d)), d);
        assert_eq!(to_dec(&(q(d) * qi(4))), "51429".parse::<Decimal>().unwrap());
    }
}
