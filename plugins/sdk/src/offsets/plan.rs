//! The surrender plan: which holdings to surrender.
//!
//! Variables: how many whole tonnes of each holding are surrendered, and the
//! shortfall to buy. Constraints, all at once:
//! - holdings used + shortfall ≥ ⌈obligation⌉ (see below);
//! - 0 ≤ used ≤ ⌊held⌋ (whole tonnes: a credit is one tonne);
//! - every cap on a group of credits: Σ used in the group ≤ bound (the overall
//!   cap, per-type and origin sub-caps);
//! - every share cap: Σ used in the group ≤ ratio × Σ credits used
//!   (Guangdong's ≥ 70 % local is non-local ≤ 30 % of the credits used).
//!
//! Objectives, lexicographically: (1) the smallest shortfall; (2) when every
//! holding has a price (credits their `price_cny`, allowances theirs or the
//! carbon price), the lowest value of holdings surrendered; (3) a tie-break
//! that prefers credits to allowances and earlier rows to later ones, so the
//! plan is deterministic.
//!
//! The obligation may have a fraction (emissions are reported to 0.1 t or
//! finer) while every plan surrenders whole tonnes. The coverage row therefore
//! asks for ⌈obligation⌉: for a whole number k of tonnes used, the true
//! shortfall max(0, obligation − k) and max(0, ⌈obligation⌉ − k) fall and reach
//! zero together, so both rank plans alike and have the same optimum, and the
//! program keeps whole-number data. (With the fractional right-hand side the
//! relaxation could always place the odd half tonne on some holding at almost
//! no cost, so branch and bound moved it from class to class one tonne at a
//! time without ever pruning.) The shortfall reported is the true one,
//! max(0, obligation − tonnes used).
//!
//! Holdings with the same kind, caps and price are interchangeable, so they
//! are aggregated into one column ("piece") and the piece's total is handed
//! back to its rows in input order. The integer program is solved exactly by
//! [`super::lp`] (rational simplex, branch and bound).

use num_traits::Zero;
use rust_decimal::Decimal;

use super::lp::{self, Cmp, Problem, Q, q, qi, to_dec};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LotKind {
    Credit,
    Allowance,
}

/// One holding that may be surrendered.
#[derive(Clone, Debug)]
pub struct Lot {
    pub kind: LotKind,
    /// Whole tonnes usable.
    pub quantity: Decimal,
    /// Value per tonne, if known.
    pub cost: Option<Decimal>,
    /// Indices into the caps this credit counts against.
    pub caps: Vec<usize>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum CapBound {
    /// Σ used in the group ≤ this many tonnes.
    Absolute(Decimal),
    /// Σ used in the group ≤ ratio × Σ credits used.
    Share(Decimal),
}

#[derive(Clone, Debug)]
pub struct PlanResult {
    /// Tonnes used per lot, in the input order.
    pub used: Vec<Decimal>,
    pub shortfall: Decimal,
    /// The value of the holdings used, when every lot has a cost.
    pub cost: Option<Decimal>,
    /// Whether every objective was proven optimal (false only if the search limit was hit).
    pub proven: bool,
    /// Whether objective (2) was applied.
    pub priced: bool,
    /// Columns of the program after aggregation.
    pub pieces: usize,
    /// Prices were given but too many distinct ones: objective (2) was dropped.
    pub too_many_prices: bool,
    /// Branch-and-bound nodes searched (each an exact linear program).
    pub nodes: usize,
    /// Work done by the search, in tableau entries (see [`lp::solve_lp_counted`]).
    pub work: u64,
}

/// Search-node limit of the branch and bound: a guard only (the plans of the
/// tests, up to 80 columns, need at most a few dozen nodes).
pub const NODE_LIMIT: usize = 20_000;

/// Work limit of the branch and bound once a plan has been found, in tableau
/// entries (see [`lp::solve_lp_counted`]): a guard only. The Guangdong sample's
/// program takes 2,870 units and about 21 million units of the sandbox's fuel
/// (some 7,000 a unit), so a search this limit stops has spent about half the
/// base fuel budget (2·10^9), not all of it.
///
/// When a limit stops the search, the plan is the best one found so far (or,
/// if none was found, allowances alone, in input order) and `proven` is false,
/// which the pilots report (PLAN_NOT_PROVEN_OPTIMAL).
pub const WORK_LIMIT: u64 = 150_000;

/// The whole tonnes of a lot the plan may use.
fn usable(l: &Lot) -> Decimal {
    l.quantity.max(Decimal::ZERO).floor()
}

/// Pieces: lots with the same kind, caps and cost, in order of first appearance
/// (credits before allowances).
fn pieces(lots: &[Lot]) -> Vec<Vec<usize>> {
    let mut index: std::collections::HashMap<(LotKind, Vec<usize>, Option<Decimal>), usize> = std::collections::HashMap::new();
    let mut out: Vec<(LotKind, Vec<usize>)> = Vec::new();
    for (i, l) in lots.iter().enumerate() {
        let (kind, caps) = class_of(l);
        let key = (kind, caps, l.cost.map(|d| d.normalize()));
        match index.get(&key) {
            Some(&k) => out[k].1.push(i),
            None => {
                index.insert(key, out.len());
                out.push((kind, vec![i]));
            }
        }
    }
    out.sort_by_key(|(k, idx)| (*k, idx[0]));
    out.into_iter().map(|e| e.1).collect()
}

/// Above this many priced columns (after pruning) the plan is made without
/// prices (objective 2 is dropped and the caller says so): the exact program
/// grows about quadratically with the columns (about 5·10^8 units of the
/// host's fuel for 100 columns in WebAssembly), and the sandbox's budget must
/// hold for any portfolio.
pub const MAX_PRICED_PIECES: usize = 150;

/// A holding's class: its kind and the caps it counts against.
type Class = (LotKind, Vec<usize>);

fn class_of(l: &Lot) -> Class {
    let mut caps = l.caps.clone();
    caps.sort_unstable();
    caps.dedup();
    (l.kind, caps)
}

/// Drops pieces no optimal plan can use: within a class (same kind and caps)
/// the pieces used are the cheapest, up to the most the class can contribute
/// (the obligation, and each absolute cap on the class, in whole tonnes).
fn prune(obligation: Decimal, lots: &[Lot], caps: &[CapBound], groups: Vec<Vec<usize>>) -> Vec<(usize, Vec<usize>)> {
    let mut classes: Vec<(Class, Vec<usize>)> = Vec::new();
    for (gi, g) in groups.iter().enumerate() {
        let key = class_of(&lots[g[0]]);
        match classes.iter_mut().find(|(k, _)| *k == key) {
            Some(c) => c.1.push(gi),
            None => classes.push((key, vec![gi])),
        }
    }
    let mut keep = vec![false; groups.len()];
    for ((kind, class_caps), mut members) in classes {
        let mut bound = obligation.max(Decimal::ZERO).ceil();
        if kind == LotKind::Credit {
            for &c in &class_caps {
                if let Some(CapBound::Absolute(b)) = caps.get(c) {
                    bound = bound.min((*b).max(Decimal::ZERO).floor());
                }
            }
        }
        members.sort_by_key(|&gi| (lots[groups[gi][0]].cost, groups[gi][0]));
        let mut cum = Decimal::ZERO;
        for gi in members {
            if cum >= bound {
                break;
            }
            keep[gi] = true;
            cum += groups[gi].iter().map(|&i| usable(&lots[i])).sum::<Decimal>();
        }
    }
    // Each kept piece with its position among all pieces (its rank in objective 3).
    groups.into_iter().enumerate().zip(keep).filter(|(_, k)| *k).map(|(g, _)| g).collect()
}

pub fn optimise(obligation: Decimal, lots: &[Lot], caps: &[CapBound]) -> PlanResult {
    optimise_within(obligation, lots, caps, lp::Limits { nodes: NODE_LIMIT, work: WORK_LIMIT })
}

/// [`optimise`] with other search limits.
pub fn optimise_within(obligation: Decimal, lots: &[Lot], caps: &[CapBound], limits: lp::Limits) -> PlanResult {
    let mut priced = !lots.is_empty() && lots.iter().all(|l| l.cost.is_some());
    let mut kept = prune(obligation, lots, caps, pieces(lots));
    let mut too_many_prices = false;
    if priced && kept.len() > MAX_PRICED_PIECES {
        priced = false;
        too_many_prices = true;
        let unpriced: Vec<Lot> = lots.iter().map(|l| Lot { cost: None, ..l.clone() }).collect();
        kept = prune(obligation, &unpriced, caps, pieces(&unpriced));
    }
    let ranks: Vec<usize> = kept.iter().map(|(r, _)| *r).collect();
    let groups: Vec<Vec<usize>> = kept.into_iter().map(|(_, g)| g).collect();
    let mut p = Problem::new();
    // The shortfall first: Bland's rule then lets it enter at once in phase one.
    let s = p.var(qi(0), None, false);
    let mut piece_var = Vec::new();
    for g in &groups {
        let total: Decimal = g.iter().map(|&i| usable(&lots[i])).sum();
        piece_var.push(p.var(qi(0), Some(q(total)), true));
    }
    // Coverage in whole tonnes: −Σ used − s ≤ −⌈obligation⌉ (s is then the
    // shortfall rounded up; the true one is computed from the plan below).
    let mut cover: Vec<(usize, Q)> = piece_var.iter().map(|&v| (v, qi(-1))).collect();
    cover.push((s, qi(-1)));
    p.row(cover, Cmp::Le, -q(obligation.max(Decimal::ZERO).ceil()));
    for (c, bound) in caps.iter().enumerate() {
        let member = |g: &Vec<usize>| lots[g[0]].kind == LotKind::Credit && lots[g[0]].caps.contains(&c);
        match bound {
            CapBound::Absolute(b) => {
                let coefs: Vec<(usize, Q)> = groups.iter().zip(&piece_var).filter(|(g, _)| member(g)).map(|(_, &v)| (v, qi(1))).collect();
                if !coefs.is_empty() {
                    // Whole tonnes: Σ ≤ b is Σ ≤ ⌊b⌋ for integer columns (a valid cut that keeps the tree small).
                    p.row(coefs, Cmp::Le, q((*b).max(Decimal::ZERO).floor()));
                }
            }
            CapBound::Share(r) => {
                let r = q(*r);
                let coefs: Vec<(usize, Q)> = groups
                    .iter()
                    .zip(&piece_var)
                    .filter(|(g, _)| lots[g[0]].kind == LotKind::Credit)
                    .map(|(g, &v)| (v, if member(g) { qi(1) - r.clone() } else { -r.clone() }))
                    .filter(|(_, a)| !a.is_zero())
                    .collect();
                if !coefs.is_empty() {
                    p.row(coefs, Cmp::Le, qi(0));
                }
            }
        }
    }
    let n = p.n();
    let mut objectives = Vec::new();
    let mut o1 = vec![qi(0); n];
    o1[s] = qi(1);
    objectives.push(o1);
    if priced {
        let mut o2 = vec![qi(0); n];
        for (g, &v) in groups.iter().zip(&piece_var) {
            o2[v] = q(lots[g[0]].cost.unwrap_or_default());
        }
        objectives.push(o2);
    }
    let mut o3 = vec![qi(0); n];
    for (&rank, &v) in ranks.iter().zip(&piece_var) {
        o3[v] = qi(rank as i64 + 1);
    }
    objectives.push(o3);
    // Classes: pieces with the same kind and caps; their sums are branched on first.
    let mut classes: Vec<(LotKind, Vec<usize>, Vec<usize>)> = Vec::new();
    for (g, &v) in groups.iter().zip(&piece_var) {
        let l = &lots[g[0]];
        let mut caps = l.caps.clone();
        caps.sort_unstable();
        caps.dedup();
        match classes.iter_mut().find(|(k, c, _)| *k == l.kind && *c == caps) {
            Some(c) => c.2.push(v),
            None => classes.push((l.kind, caps, vec![v])),
        }
    }
    let class_vars: Vec<Vec<usize>> = classes.into_iter().map(|c| c.2).collect();
    // One program, not three: the objectives are weighted so that at integer
    // points the order is exactly lexicographic. Between two whole-tonne plans
    // the rank sum differs by less than R = Σ rank × held + 1, the value by a
    // multiple of 10^-kp (kp: the prices' decimal places) and the (rounded-up)
    // shortfall by a whole number. So with W2 = R·10^kp + 1 and
    // W1 = W2·C + R + 1 (C: the value of everything held), one unit of a
    // higher objective outweighs any change of the lower ones.
    let totals: Vec<Q> = groups.iter().map(|g| q(g.iter().map(|&i| usable(&lots[i])).sum())).collect();
    let r_max = totals.iter().zip(&ranks).fold(qi(1), |acc, (t, &r)| acc + t * qi(r as i64 + 1));
    let pow10 = |k: u32| -> Q { num_traits::pow(qi(10), k as usize) };
    let kp = if priced { groups.iter().filter_map(|g| lots[g[0]].cost).map(|c| c.normalize().scale()).max().unwrap_or(0) } else { 0 };
    let c_max = if priced {
        totals.iter().zip(&groups).fold(qi(0), |acc, (t, g)| acc + t * q(lots[g[0]].cost.unwrap_or_default().abs()))
    } else {
        qi(0)
    };
    let w2 = &r_max * pow10(kp) + qi(1);
    let w1 = &w2 * &c_max + &r_max + qi(1);
    let mut combined = vec![qi(0); n];
    for (k, o) in objectives.iter().enumerate() {
        let w = match (k, objectives.len()) {
            (0, _) => w1.clone(),
            (1, 3) => w2.clone(),
            _ => qi(1),
        };
        for (c, v) in combined.iter_mut().zip(o) {
            *c += &w * v;
        }
    }
    let (sol, nodes, work) = match lp::solve_ilp(&p, &combined, limits, &class_vars) {
        lp::IlpOutcome::Optimal { x, proven, nodes, work, .. } if !x.is_empty() => {
            (Some(lp::Lexicographic { x, objectives: Vec::new(), proven }), nodes, work)
        }
        lp::IlpOutcome::Optimal { nodes, work, .. } => (None, nodes, work),
        _ => (None, 0, 0),
    };
    let mut used = vec![Decimal::ZERO; lots.len()];
    let proven = match &sol {
        Some(sol) => {
            for (g, &v) in groups.iter().zip(&piece_var) {
                let mut left = to_dec(&sol.x[v]);
                for &i in g {
                    let take = left.min(usable(&lots[i]));
                    used[i] = take;
                    left -= take;
                }
            }
            sol.proven
        }
        // Only if a limit stopped the search before any plan was found:
        // allowances alone, in input order (within every cap), not proven optimal.
        None => {
            let mut left = obligation.max(Decimal::ZERO).ceil();
            for (u, l) in used.iter_mut().zip(lots).filter(|(_, l)| l.kind == LotKind::Allowance) {
                *u = left.min(usable(l));
                left -= *u;
            }
            false
        }
    };
    let shortfall = (obligation.max(Decimal::ZERO) - used.iter().copied().sum::<Decimal>()).max(Decimal::ZERO);
    let all_priced = !lots.is_empty() && lots.iter().all(|l| l.cost.is_some());
    let cost = all_priced.then(|| lots.iter().zip(&used).map(|(l, u)| l.cost.unwrap_or_default() * *u).sum());
    PlanResult { used, shortfall, cost, proven, priced, pieces: groups.len(), too_many_prices, nodes, work }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn d(i: i64) -> Decimal {
        Decimal::from(i)
    }

    /// A small deterministic generator (xorshift), so the tests need no crate.
    pub(super) struct Rng(pub(super) u64);
    impl Rng {
        pub(super) fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        pub(super) fn below(&mut self, n: u64) -> i64 {
            (self.next() % n) as i64
        }
    }

    /// Every integer plan, scored (shortfall, cost, rank), the best kept.
    pub(super) fn brute_force(ob: Decimal, lots: &[Lot], caps: &[CapBound]) -> (Decimal, Option<Decimal>, Decimal) {
        let n = lots.len();
        let mut best: Option<(Decimal, Option<Decimal>, Decimal)> = None;
        let mut x = vec![0i64; n];
        let groups = pieces(lots);
        let rank_of = |i: usize| groups.iter().position(|g| g.contains(&i)).unwrap() as i64 + 1;
        loop {
            let used: Vec<Decimal> = x.iter().map(|&v| d(v)).collect();
            if feasible(lots, caps, &used) {
                let total: Decimal = used.iter().sum();
                let s = (ob - total).max(Decimal::ZERO);
                let cost = lots.iter().all(|l| l.cost.is_some()).then(|| lots.iter().zip(&used).map(|(l, u)| l.cost.unwrap() * u).sum());
                let rank: Decimal = used.iter().enumerate().map(|(i, u)| d(rank_of(i)) * u).sum();
                let key = (s, cost, rank);
                if best.as_ref().is_none_or(|b| key < *b) {
                    best = Some(key);
                }
            }
            // next x
            let mut i = 0;
            loop {
                if i == n {
                    return best.unwrap();
                }
                x[i] += 1;
                if d(x[i]) <= lots[i].quantity {
                    break;
                }
                x[i] = 0;
                i += 1;
            }
        }
    }

    pub(super) fn feasible(lots: &[Lot], caps: &[CapBound], used: &[Decimal]) -> bool {
        let credits: Decimal = lots.iter().zip(used).filter(|(l, _)| l.kind == LotKind::Credit).map(|(_, u)| *u).sum();
        caps.iter().enumerate().all(|(c, b)| {
            let g: Decimal = lots.iter().zip(used).filter(|(l, _)| l.kind == LotKind::Credit && l.caps.contains(&c)).map(|(_, u)| *u).sum();
            match b {
                CapBound::Absolute(v) => g <= *v,
                CapBound::Share(r) => g <= *r * credits,
            }
        }) && lots.iter().zip(used).all(|(l, u)| *u >= Decimal::ZERO && *u <= l.quantity)
    }

    pub(super) fn score(ob: Decimal, lots: &[Lot], r: &PlanResult) -> (Decimal, Option<Decimal>, Decimal) {
        let groups = pieces(lots);
        let rank: Decimal =
            r.used.iter().enumerate().map(|(i, u)| d(groups.iter().position(|g| g.contains(&i)).unwrap() as i64 + 1) * u).sum();
        let total: Decimal = r.used.iter().sum();
        assert_eq!(r.shortfall, (ob - total).max(Decimal::ZERO), "shortfall consistent");
        (r.shortfall, r.cost, rank)
    }

    #[test]
    fn guangdong_worked_example_70_percent_local() {
        // seed-004 §7 ex. 6 (scaled by 1/1000): cap 50, local 30, non-local 20 → 30 + 12 = 42 (12.857 floored).
        let lots = vec![
            Lot { kind: LotKind::Credit, quantity: d(30), cost: None, caps: vec![0] },
            Lot { kind: LotKind::Credit, quantity: d(20), cost: None, caps: vec![0, 1] },
            Lot { kind: LotKind::Allowance, quantity: d(1000), cost: None, caps: vec![] },
        ];
        let caps = vec![CapBound::Absolute(d(50)), CapBound::Share(Decimal::new(3, 1))];
        let r = optimise(d(500), &lots, &caps);
        assert_eq!(r.used, vec![d(30), d(12), d(458)]);
        assert_eq!(r.shortfall, d(0));
        assert!(r.proven);
    }

    #[test]
    fn beijing_worked_example_two_caps() {
        // seed-004 §7 ex. 4 (÷1000): allocation 200; overall 5 % = 10, non-local CCER 2.5 % = 5.
        let lots = vec![
            Lot { kind: LotKind::Credit, quantity: d(8), cost: None, caps: vec![0, 1] },
            Lot { kind: LotKind::Credit, quantity: d(2), cost: None, caps: vec![0] },
            Lot { kind: LotKind::Credit, quantity: d(1), cost: None, caps: vec![0] },
        ];
        let r = optimise(d(200), &lots, &[CapBound::Absolute(d(10)), CapBound::Absolute(d(5))]);
        assert_eq!(r.used, vec![d(5), d(2), d(1)]);
        assert_eq!(r.shortfall, d(192));
    }

    #[test]
    fn cheapest_mix_when_prices_are_given() {
        // Two credit lots under a cap of 10: the cheaper fills first; an allowance
        // cheaper than the dearer credit is preferred to it.
        let lots = vec![
            Lot { kind: LotKind::Credit, quantity: d(8), cost: Some(d(60)), caps: vec![0] },
            Lot { kind: LotKind::Credit, quantity: d(8), cost: Some(d(40)), caps: vec![0] },
            Lot { kind: LotKind::Allowance, quantity: d(100), cost: Some(d(50)), caps: vec![] },
        ];
        let r = optimise(d(20), &lots, &[CapBound::Absolute(d(10))]);
        assert_eq!(r.used, vec![d(0), d(8), d(12)]);
        assert_eq!(r.cost, Some(d(8 * 40 + 12 * 50)));
    }

    #[test]
    fn matches_brute_force_on_random_small_portfolios() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for case in 0..800 {
            let nlots = 1 + rng.below(5) as usize;
            let ncaps = rng.below(4) as usize;
            let priced = rng.below(2) == 0;
            let mut caps = Vec::new();
            for _ in 0..ncaps {
                caps.push(if rng.below(4) == 0 {
                    CapBound::Share(Decimal::new(rng.below(9) + 1, 1))
                } else {
                    // Caps with fractions, as ratios of a base give them.
                    CapBound::Absolute(Decimal::new(rng.below(90), 1))
                });
            }
            let mut lots = Vec::new();
            for i in 0..nlots {
                let kind = if i > 0 && rng.below(3) == 0 { LotKind::Allowance } else { LotKind::Credit };
                let lot_caps = if kind == LotKind::Credit { (0..ncaps).filter(|_| rng.below(2) == 0).collect() } else { vec![] };
                // Distinct costs keep every lot its own piece.
                let cost = priced.then(|| Decimal::new((10 * (i as i64 + 1) + rng.below(9)) * 100 + rng.below(100), 2));
                lots.push(Lot { kind, quantity: d(rng.below(if nlots == 5 { 5 } else { 7 })), cost, caps: lot_caps });
            }
            let ob = Decimal::new(rng.below(160), 1);
            let r = optimise(ob, &lots, &caps);
            assert!(r.proven, "case {case}");
            assert!(feasible(&lots, &caps, &r.used), "case {case}: infeasible plan {:?} for {lots:?} {caps:?}", r.used);
            assert!(r.used.iter().all(|u| u.fract().is_zero()), "case {case}: whole tonnes");
            let want = brute_force(ob, &lots, &caps);
            assert_eq!(score(ob, &lots, &r), want, "case {case}: ob {ob} lots {lots:?} caps {caps:?} plan {:?}", r.used);
        }
    }

    #[test]
    fn aggregated_rows_are_filled_in_input_order() {
        let lots = vec![
            Lot { kind: LotKind::Credit, quantity: d(5), cost: Some(d(30)), caps: vec![0] },
            Lot { kind: LotKind::Credit, quantity: d(5), cost: Some(d(30)), caps: vec![0] },
            Lot { kind: LotKind::Allowance, quantity: d(5), cost: Some(d(90)), caps: vec![] },
        ];
        let r = optimise(d(12), &lots, &[CapBound::Absolute(Decimal::new(75, 1))]);
        assert_eq!(r.pieces, 2);
        assert_eq!(r.used, vec![d(5), d(2), d(5)]);
    }
}

#[cfg(test)]
#[path = "plan_props.rs"]
mod props;

#[cfg(test)]
mod scale {
    use super::*;

    /// A portfolio of many lots with distinct prices: the program stays exact and quick.
    #[test]
    fn many_priced_lots() {
        let n = std::env::var("LVYUE_PLAN_LOTS").ok().and_then(|v| v.parse().ok()).unwrap_or(400usize);
        let mut lots = Vec::new();
        for i in 0..n {
            let kind = if i % 10 == 9 { LotKind::Allowance } else { LotKind::Credit };
            let caps = if kind == LotKind::Credit { if i % 3 == 0 { vec![0, 1] } else { vec![0] } } else { vec![] };
            lots.push(Lot {
                kind,
                quantity: Decimal::from(100 + (i as i64 * 37) % 900),
                cost: Some(Decimal::new(3000 + (i as i64 * 7919) % 6000, 2)),
                caps,
            });
        }
        let caps = vec![CapBound::Absolute(Decimal::new(1_234_567, 2)), CapBound::Share(Decimal::new(3, 1))];
        let t = std::time::Instant::now();
        let r = optimise(Decimal::from(150_000), &lots, &caps);
        eprintln!("{n} lots, {} pieces, {} nodes, work {}: {:?}", r.pieces, r.nodes, r.work, t.elapsed());
        assert!(r.proven);
        let credits: Decimal = lots.iter().zip(&r.used).filter(|(l, _)| l.kind == LotKind::Credit).map(|(_, u)| *u).sum();
        assert!(credits <= Decimal::from(12_345));
    }
}

#[cfg(test)]
mod share_scale {
    use super::*;

    /// Guangdong-like: local and non-local credits with many prices under a
    /// cap and the 30 % share, allowances cheaper than some credits.
    #[test]
    fn share_rule_with_many_prices() {
        let mut lots = Vec::new();
        for i in 0..2000i64 {
            let local = i % 7 != 0 && i % 5 != 0;
            lots.push(Lot {
                kind: LotKind::Credit,
                quantity: Decimal::from(1 + (i * 37) % 200),
                cost: Some(Decimal::from(20 + (i * 13) % 51)),
                caps: if local { vec![0] } else { vec![0, 1] },
            });
        }
        lots.push(Lot { kind: LotKind::Allowance, quantity: Decimal::from(4_600_000), cost: Some(Decimal::from(45)), caps: vec![] });
        let caps = vec![CapBound::Absolute(Decimal::from(48_000)), CapBound::Share(Decimal::new(3, 1))];
        let t = std::time::Instant::now();
        let r = optimise(Decimal::from(5_000_000), &lots, &caps);
        eprintln!(
            "share rule: {} pieces, {} nodes, work {}, {:?}, shortfall {}, cost {:?}",
            r.pieces,
            r.nodes,
            r.work,
            t.elapsed(),
            r.shortfall,
            r.cost
        );
        assert!(r.proven);
        let nonlocal: Decimal = lots.iter().zip(&r.used).filter(|(l, _)| l.caps.contains(&1)).map(|(_, u)| *u).sum();
        let all: Decimal = lots.iter().zip(&r.used).filter(|(l, _)| l.kind == LotKind::Credit).map(|(_, u)| *u).sum();
        assert!(nonlocal * Decimal::from(10) <= all * Decimal::from(3));
        assert!(all <= Decimal::from(48_000));
    }
}
