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
    pub rows: Vec<Row>,
}

/// A constraint: coefficients (column, value), the comparison, the right-hand side.
pub type Row = (Vec<(usize, Q)>, Cmp, Q);

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
    /// Work done, in tableau entries visited (see [`solve_lp_counted`]).
    work: u64,
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
        let mut at_upper: Vec<bool> = (0..ncols)
            .map(|j| !self.is_basic[j] && self.up[j].as_ref().is_some_and(|u| *u == self.x[j]) && self.x[j] != self.lo[j])
            .collect();
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
                None => {
                    at_upper[j] = increase;
                    self.work += self.m as u64 + 1;
                }
                Some((r, to_upper)) => {
                    let b = self.basis[r];
                    // Exact arithmetic: the leaving variable sits exactly on its bound.
                    self.x[b] = if to_upper { self.up[b].clone().expect("bounded") } else { self.lo[b].clone() };
                    self.pivot(r, j);
                    self.work += ((self.m + 1) * ncols) as u64;
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
    solve_lp_counted(p, cost, &mut 0)
}

/// [`solve_lp`], adding the work done to `work`: tableau entries built or
/// visited by pivots (rows × columns each), bound flips (rows each). Exact
/// arithmetic makes every entry a rational, so this is what the time (and the
/// sandbox's fuel) grows with.
pub fn solve_lp_counted(p: &Problem, cost: &[Q], work: &mut u64) -> LpOutcome {
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
    let mut s = Simplex { m, t, basis, x, lo, up, is_basic, work: (m * ncols) as u64 };
    let outcome = s.solve(&artificial, n, cost);
    *work += s.work;
    outcome
}

impl Simplex {
    /// Phase one (when there are artificial columns), then phase two.
    fn solve(&mut self, artificial: &[usize], n: usize, cost: &[Q]) -> LpOutcome {
        let s = self;
        let ncols = s.x.len();
        if !artificial.is_empty() {
            let mut c1 = vec![Q::zero(); ncols];
            for &a in artificial {
                c1[a] = Q::one();
            }
            if let Err(e) = s.run(&c1) {
                return e;
            }
            let infeas: Q = artificial.iter().map(|&a| s.x[a].clone()).fold(Q::zero(), |acc, v| acc + v);
            if infeas.is_positive() {
                return LpOutcome::Infeasible;
            }
            for &a in artificial {
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
}

/// Guards on a branch and bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Search nodes (linear programs solved).
    pub nodes: usize,
    /// Work as counted by [`solve_lp_counted`], once a point has been found
    /// (so that a large program always gets its first point).
    pub work: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub enum IlpOutcome {
    /// `proven` is false when a limit stopped the search early; `work` as in [`solve_lp_counted`].
    Optimal {
        x: Vec<Q>,
        objective: Q,
        proven: bool,
        nodes: usize,
        work: u64,
    },
    Infeasible,
    Unbounded,
}

/// Branch and bound (depth first, the lower branch first). `groups` are sets of
/// variables whose sum must be a whole number: the solver branches on a
/// fractional group sum first (a bound Σ ≤ ⌊v⌋ or Σ ≥ ⌈v⌉), which keeps the tree
/// small when many interchangeable columns share a constraint, and only then on
/// single fractional integer variables.
///
/// A node carries at most one lower and one upper bound per group (a new
/// branch replaces the group's earlier bound, it never adds a row), so every
/// node's program has at most two rows per group more than the root's,
/// however deep the search goes. A group of one variable is branched on as a
/// bound of that variable (no row at all).
///
/// `limits` are a guard: when one stops the search, the best point found so far
/// is returned with `proven: false` (or, if none was found, an empty `x`).
pub fn solve_ilp(p: &Problem, cost: &[Q], limits: Limits, groups: &[Vec<usize>]) -> IlpOutcome {
    /// Variable bounds, then (lower, upper) bounds on each group's sum.
    type Node = (Vec<Q>, Vec<Option<Q>>, Vec<(Option<Q>, Option<Q>)>);
    let mut best: Option<(Vec<Q>, Q)> = None;
    let mut stack: Vec<Node> = vec![(p.lower.clone(), p.upper.clone(), vec![(None, None); groups.len()])];
    let mut nodes = 0;
    let mut work = 0u64;
    let mut proven = true;
    let mut node = p.clone();
    let base_rows = p.rows.len();
    // Variables that must be whole: the integer ones and those forming a group alone.
    let mut whole = p.integer.clone();
    for g in groups.iter().filter(|g| g.len() == 1) {
        whole[g[0]] = true;
    }
    while let Some((lo, up, gb)) = stack.pop() {
        if nodes >= limits.nodes || (best.is_some() && work >= limits.work) {
            proven = false;
            break;
        }
        nodes += 1;
        node.lower = lo;
        node.upper = up;
        node.rows.truncate(base_rows);
        for (g, (glo, gup)) in groups.iter().zip(&gb) {
            if let Some(u) = gup {
                node.rows.push((g.iter().map(|&j| (j, Q::one())).collect(), Cmp::Le, u.clone()));
            }
            if let Some(l) = glo {
                node.rows.push((g.iter().map(|&j| (j, -Q::one())).collect(), Cmp::Le, -l.clone()));
            }
        }
        let (x, obj) = match solve_lp_counted(&node, cost, &mut work) {
            LpOutcome::Optimal { x, objective } => (x, objective),
            LpOutcome::Infeasible => continue,
            LpOutcome::Unbounded => return IlpOutcome::Unbounded,
        };
        if best.as_ref().is_some_and(|(_, b)| obj >= *b) {
            continue;
        }
        // A fractional group sum (of several variables) first, then a fractional variable.
        let group = groups.iter().enumerate().filter(|(_, g)| g.len() > 1).find_map(|(k, g)| {
            let sum = g.iter().fold(Q::zero(), |acc, &j| acc + &x[j]);
            (!sum.is_integer()).then_some((k, sum))
        });
        if let Some((k, sum)) = group {
            let mut up_bounds = gb.clone();
            up_bounds[k].0 = Some(sum.ceil());
            stack.push((node.lower.clone(), node.upper.clone(), up_bounds));
            let mut down_bounds = gb;
            down_bounds[k].1 = Some(sum.floor());
            stack.push((node.lower.clone(), node.upper.clone(), down_bounds));
            continue;
        }
        match (0..x.len()).find(|&j| whole[j] && !x[j].is_integer()) {
            None => best = Some((x, obj)),
            Some(j) => {
                let mut lo_up = node.lower.clone();
                lo_up[j] = x[j].ceil();
                stack.push((lo_up, node.upper.clone(), gb.clone()));
                let mut up_dn = node.upper.clone();
                up_dn[j] = Some(x[j].floor());
                stack.push((node.lower.clone(), up_dn, gb));
            }
        }
    }
    match best {
        Some((x, objective)) => IlpOutcome::Optimal { x, objective, proven, nodes, work },
        None if proven => IlpOutcome::Infeasible,
        None => IlpOutcome::Optimal { x: Vec::new(), objective: Q::zero(), proven: false, nodes, work },
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
pub fn lexicographic(p: &Problem, objectives: &[Vec<Q>], limits: Limits, groups: &[Vec<usize>]) -> Option<Lexicographic> {
    let mut work = p.clone();
    let mut values = Vec::new();
    let mut proven = true;
    let mut x = Vec::new();
    for c in objectives {
        match solve_ilp(&work, c, limits, groups) {
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
        match solve_ilp(&Problem { integer: vec![true, true], ..p.clone() }, &[qi(-1), qi(-1)], Limits { nodes: 1000, work: u64::MAX }, &[])
        {
            IlpOutcome::Optimal { objective, proven, .. } => {
                assert_eq!(objective, qi(-2));
                assert!(proven);
            }
            o => panic!("{o:?}"),
        }
    }

    #[test]
    fn limits_stop_the_search_with_the_best_point_so_far() {
        // max x + y on 0 ≤ x, y ≤ 10, 2x + 2y ≤ 9: the relaxation is fractional, the optimum 4.
        let mut p = Problem::new();
        let x = p.var(qi(0), Some(qi(10)), true);
        let y = p.var(qi(0), Some(qi(10)), true);
        p.row(vec![(x, qi(2)), (y, qi(2))], Cmp::Le, qi(9));
        let cost = [qi(-1), qi(-1)];
        let unlimited = Limits { nodes: 1000, work: u64::MAX };
        let IlpOutcome::Optimal { objective, proven: true, nodes, work, .. } = solve_ilp(&p, &cost, unlimited, &[]) else { panic!() };
        assert_eq!(objective, qi(-4));
        assert!(nodes > 1 && work > 0);
        // The work limit counts once a point is found: the search stops at the first one.
        match solve_ilp(&p, &cost, Limits { nodes: 1000, work: 0 }, &[]) {
            IlpOutcome::Optimal { x, proven, nodes: n, .. } => {
                assert!(!proven && n < nodes);
                assert!(x.iter().all(|v| v.is_integer()) && qi(2) * (&x[0] + &x[1]) <= qi(9));
            }
            o => panic!("{o:?}"),
        }
        // One node: the fractional root and no point yet.
        match solve_ilp(&p, &cost, Limits { nodes: 1, work: u64::MAX }, &[]) {
            IlpOutcome::Optimal { x, proven: false, nodes: 1, .. } if x.is_empty() => {}
            o => panic!("{o:?}"),
        }
    }

    #[test]
    fn group_bounds_replace_each_other() {
        // Two interchangeable columns whose sum must be whole, a fractional right-hand side:
        // the group is branched on (bounds on x + y), never on x or y alone.
        let mut p = Problem::new();
        let x = p.var(qi(0), Some(qi(100)), false);
        let y = p.var(qi(0), Some(qi(100)), false);
        p.row(vec![(x, -qi(1)), (y, -qi(1))], Cmp::Le, -(qi(301) / qi(2)));
        match solve_ilp(&p, &[qi(1), qi(2)], Limits { nodes: 100, work: u64::MAX }, &[vec![x, y]]) {
            IlpOutcome::Optimal { x: v, objective, proven: true, nodes, .. } => {
                assert_eq!(&v[0] + &v[1], qi(151));
                assert_eq!(objective, qi(100) + qi(2) * qi(51));
                assert!(nodes <= 3, "{nodes}");
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
