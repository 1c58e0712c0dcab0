//! Property tests of the surrender plan on real (fractional) numbers, for
//! every pilot's rule shape.
//!
//! Verified emissions, and so obligations and caps (base × ratio), carry
//! fractions (25000.5 t, 2500.05 t); holdings may too (only whole tonnes are
//! surrendered). Each shape is checked two ways:
//! - small portfolios against brute force over every whole-tonne plan;
//! - portfolios of realistic size (tens of thousands of tonnes) against an
//!   exact oracle that needs no linear programming: for caps that nest
//!   (overall ⊇ sub-cap) the feasible plans form a laminar matroid, so the
//!   greedy plan (cheapest first, then rank) is optimal; for Guangdong's share
//!   rule the oracle tries every non-local total and fills the rest greedily.
//!
//! Both also bound the branch-and-bound nodes: a fractional obligation once
//! made the search move the odd half tonne between classes one tonne at a time.

use super::tests::{Rng, brute_force, feasible, score};
use super::*;

/// The cap structure of a pilot's offset rules (ratios as in `rules/<pilot>/offsets.toml`;
/// any ratio gives the same shape).
#[derive(Clone, Copy, Debug)]
struct Shape {
    pilot: &'static str,
    /// Overall cap = base × this.
    cap_ratio: (i64, u32),
    sub: Sub,
    /// The base is the verified emissions (the obligation itself).
    base_is_emissions: bool,
}

#[derive(Clone, Copy, Debug)]
enum Sub {
    None,
    /// Σ of the group ≤ base × ratio; members: which credits count.
    Absolute((i64, u32), Member),
    /// Σ of the group ≤ ratio × Σ credits used.
    Share((i64, u32), Member),
}

#[derive(Clone, Copy, Debug)]
enum Member {
    /// Non-local CCER (Beijing).
    NonlocalCcer,
    /// CCER (Fujian: credits other than forestry credits).
    Ccer,
    /// Any non-local credit (Guangdong).
    Nonlocal,
}

const SHAPES: [Shape; 8] = [
    Shape { pilot: "cn-beijing", cap_ratio: (5, 2), sub: Sub::Absolute((25, 3), Member::NonlocalCcer), base_is_emissions: false },
    Shape { pilot: "cn-tianjin", cap_ratio: (10, 2), sub: Sub::None, base_is_emissions: true },
    Shape { pilot: "cn-shanghai", cap_ratio: (5, 2), sub: Sub::None, base_is_emissions: false },
    Shape { pilot: "cn-chongqing", cap_ratio: (8, 2), sub: Sub::None, base_is_emissions: true },
    Shape { pilot: "cn-hubei", cap_ratio: (10, 2), sub: Sub::None, base_is_emissions: false },
    Shape { pilot: "cn-guangdong", cap_ratio: (10, 2), sub: Sub::Share((30, 2), Member::Nonlocal), base_is_emissions: true },
    Shape { pilot: "cn-shenzhen", cap_ratio: (10, 2), sub: Sub::None, base_is_emissions: true },
    Shape { pilot: "cn-fujian", cap_ratio: (10, 2), sub: Sub::Absolute((5, 2), Member::Ccer), base_is_emissions: true },
];

fn ratio((m, s): (i64, u32)) -> Decimal {
    Decimal::new(m, s)
}

/// A fraction as inventories and portfolios give them.
fn fraction(rng: &mut Rng) -> Decimal {
    const F: [(i64, u32); 8] = [(0, 0), (5, 1), (25, 2), (1, 1), (75, 2), (9, 1), (5, 2), (0, 0)];
    let (m, s) = F[rng.below(F.len() as u64) as usize];
    Decimal::new(m, s)
}

/// A whole number below `n` plus, mostly, a fraction.
fn real(rng: &mut Rng, n: u64) -> Decimal {
    Decimal::from(rng.below(n)) + fraction(rng)
}

impl Shape {
    /// The caps (0 = overall, 1 = the sub-cap) for these bases.
    fn caps(&self, base: Decimal) -> Vec<CapBound> {
        let mut caps = vec![CapBound::Absolute(base * ratio(self.cap_ratio))];
        match self.sub {
            Sub::None => {}
            Sub::Absolute(r, _) => caps.push(CapBound::Absolute(base * ratio(r))),
            Sub::Share(r, _) => caps.push(CapBound::Share(ratio(r))),
        }
        caps
    }

    fn lot_caps(&self, local: bool, ccer: bool) -> Vec<usize> {
        let member = match self.sub {
            Sub::None => return vec![0],
            Sub::Absolute(_, m) | Sub::Share(_, m) => m,
        };
        let inside = match member {
            Member::NonlocalCcer => !local && ccer,
            Member::Ccer => ccer,
            Member::Nonlocal => !local,
        };
        if inside { vec![0, 1] } else { vec![0] }
    }

    /// A portfolio: `credits` credit lots and `allowances` allowance lots.
    fn lots(&self, rng: &mut Rng, credits: usize, allowances: usize, size: u64, priced: bool, cents: bool) -> Vec<Lot> {
        let price = |rng: &mut Rng, lo: i64| -> Option<Decimal> {
            priced.then(|| {
                if cents { Decimal::new((lo + rng.below(40)) * 100 + rng.below(100), 2) } else { Decimal::from(lo + rng.below(40)) }
            })
        };
        let mut lots = Vec::new();
        for _ in 0..credits {
            let caps = self.lot_caps(rng.below(2) == 0, rng.below(3) != 0);
            let quantity = if rng.below(3) == 0 { real(rng, size) } else { Decimal::from(rng.below(size)) };
            lots.push(Lot { kind: LotKind::Credit, quantity, cost: price(rng, 15), caps });
        }
        for _ in 0..allowances {
            let quantity = if rng.below(3) == 0 { real(rng, size * 4) } else { Decimal::from(rng.below(size * 4)) };
            lots.push(Lot { kind: LotKind::Allowance, quantity, cost: price(rng, 35), caps: vec![] });
        }
        lots
    }
}

/// The pieces' ranks, as the optimiser and the brute force number them.
fn ranks(lots: &[Lot]) -> Vec<i64> {
    let groups = pieces(lots);
    (0..lots.len()).map(|i| groups.iter().position(|g| g.contains(&i)).unwrap() as i64 + 1).collect()
}

/// One candidate unit source for the greedy oracle: (lot, tonnes available).
type Item = (usize, i64);

/// The best (shortfall, value, rank) for a nested (laminar) cap structure:
/// caps 0 = every credit, 1 (optional) = a subset, absolute. Greedy over the
/// lots in (price, rank) order, each as far as its caps allow, up to ⌈obligation⌉.
fn greedy(ob: Decimal, lots: &[Lot], caps: &[CapBound]) -> (Decimal, Option<Decimal>, Decimal) {
    let rank = ranks(lots);
    let priced = lots.iter().all(|l| l.cost.is_some());
    let mut order: Vec<usize> = (0..lots.len()).collect();
    order.sort_by_key(|&i| (if priced { lots[i].cost } else { None }, rank[i], i));
    let abs = |c: usize| match caps.get(c) {
        Some(CapBound::Absolute(b)) => (*b).max(Decimal::ZERO).floor(),
        _ => panic!("nested absolute caps only"),
    };
    let mut room = [abs(0), if caps.len() > 1 { abs(1) } else { Decimal::ZERO }];
    let target = ob.max(Decimal::ZERO).ceil();
    let (mut total, mut cost, mut rank_sum) = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    for i in order {
        let l = &lots[i];
        let mut take = (target - total).min(l.quantity.max(Decimal::ZERO).floor());
        if l.kind == LotKind::Credit {
            for &c in &l.caps {
                take = take.min(room[c]);
            }
            for &c in &l.caps {
                room[c] -= take;
            }
        }
        total += take;
        cost += l.cost.unwrap_or_default() * take;
        rank_sum += Decimal::from(rank[i]) * take;
    }
    ((ob - total).max(Decimal::ZERO), priced.then_some(cost), rank_sum)
}

/// The best (shortfall, value, rank) under an overall cap (0) and a share cap (1):
/// for every non-local total N (the cheapest N non-local tonnes), the least
/// local total the share needs is taken from the cheapest local lots, the rest
/// greedily from local lots (within the overall cap) and allowances.
fn share_oracle(ob: Decimal, lots: &[Lot], caps: &[CapBound]) -> (Decimal, Option<Decimal>, Decimal) {
    let rank = ranks(lots);
    let priced = lots.iter().all(|l| l.cost.is_some());
    let (CapBound::Absolute(c0), CapBound::Share(r)) = (&caps[0], &caps[1]) else { panic!("overall cap and share") };
    let c0 = (*c0).max(Decimal::ZERO).floor();
    let key = |i: &usize| (if priced { lots[*i].cost } else { None }, rank[*i], *i);
    let sorted = |f: &dyn Fn(&Lot) -> bool| -> Vec<Item> {
        let mut v: Vec<usize> = (0..lots.len()).filter(|&i| f(&lots[i])).collect();
        v.sort_by_key(key);
        v.into_iter().map(|i| (i, lots[i].quantity.max(Decimal::ZERO).floor().try_into().unwrap())).collect()
    };
    let inside = sorted(&|l| l.kind == LotKind::Credit && l.caps.contains(&1));
    let outside = sorted(&|l| l.kind == LotKind::Credit && !l.caps.contains(&1));
    let allowances = sorted(&|l| l.kind == LotKind::Allowance);
    let target: i64 = ob.max(Decimal::ZERO).ceil().try_into().unwrap();
    let c0: i64 = c0.try_into().unwrap();
    let held_in: i64 = inside.iter().map(|x| x.1).sum();
    let held_out: i64 = outside.iter().map(|x| x.1).sum();
    // Takes `n` tonnes from `items` in order; returns (tonnes, value, rank) and what is left.
    let take = |items: &[Item], mut n: i64| -> ((i64, Decimal, Decimal), Vec<Item>) {
        let (mut t, mut v, mut k) = (0i64, Decimal::ZERO, Decimal::ZERO);
        let mut rest = Vec::new();
        for &(i, q) in items {
            let x = q.min(n.max(0));
            n -= x;
            t += x;
            v += lots[i].cost.unwrap_or_default() * Decimal::from(x);
            k += Decimal::from(rank[i] * x);
            if q > x {
                rest.push((i, q - x));
            }
        }
        ((t, v, k), rest)
    };
    let mut best: Option<(Decimal, Option<Decimal>, Decimal)> = None;
    for n in 0..=held_in.min(c0) {
        // n ≤ r·(n + L)  ⇔  L ≥ n·(1 − r)/r.
        let l_min: i64 = if n == 0 {
            0
        } else if r.is_zero() {
            continue;
        } else {
            (Decimal::from(n) * (Decimal::ONE - *r) / *r).ceil().try_into().unwrap()
        };
        if l_min > held_out || n + l_min > c0 {
            continue;
        }
        let ((_, v_in, k_in), _) = take(&inside, n);
        let ((_, v_lo, k_lo), rest_out) = take(&outside, l_min);
        // The rest: further local tonnes (room c0 − n − l_min) and allowances, cheapest first.
        let mut room = c0 - n - l_min;
        let mut need = (target - n - l_min).max(0);
        let mut pool: Vec<(Item, bool)> = rest_out.into_iter().map(|x| (x, true)).chain(allowances.iter().map(|&x| (x, false))).collect();
        pool.sort_by_key(|((i, _), _)| key(i));
        let (mut total, mut v, mut k) = (n + l_min, v_in + v_lo, k_in + k_lo);
        for ((i, q), credit) in pool {
            let mut x = q.min(need);
            if credit {
                x = x.min(room);
                room -= x;
            }
            need -= x;
            total += x;
            v += lots[i].cost.unwrap_or_default() * Decimal::from(x);
            k += Decimal::from(rank[i] * x);
        }
        let cand = ((ob - Decimal::from(total)).max(Decimal::ZERO), priced.then_some(v), k);
        if best.as_ref().is_none_or(|b| cand < *b) {
            best = Some(cand);
        }
    }
    best.expect("n = 0 is always feasible")
}

fn oracle(shape: &Shape, ob: Decimal, lots: &[Lot], caps: &[CapBound]) -> (Decimal, Option<Decimal>, Decimal) {
    match shape.sub {
        Sub::Share(..) => share_oracle(ob, lots, caps),
        _ => greedy(ob, lots, caps),
    }
}

/// What a set of cases exercised: fractional obligations, a shortfall, a binding cap or sub-cap.
#[derive(Default, Debug)]
struct Seen {
    fractional: usize,
    shortfall: usize,
    cap_binding: usize,
    subcap_binding: usize,
}

impl Seen {
    fn add(&mut self, ob: Decimal, lots: &[Lot], caps: &[CapBound], r: &PlanResult) {
        self.fractional += usize::from(!ob.fract().is_zero());
        self.shortfall += usize::from(r.shortfall > Decimal::ZERO);
        let group = |c: usize| {
            lots.iter().zip(&r.used).filter(|(l, _)| l.kind == LotKind::Credit && l.caps.contains(&c)).map(|(_, u)| *u).sum::<Decimal>()
        };
        let credits: Decimal = lots.iter().zip(&r.used).filter(|(l, _)| l.kind == LotKind::Credit).map(|(_, u)| *u).sum();
        let binding = |c: usize| match &caps[c] {
            CapBound::Absolute(b) => group(c) == b.floor() && group(c) > Decimal::ZERO,
            CapBound::Share(x) => group(c) > Decimal::ZERO && group(c) + Decimal::ONE > *x * (credits + Decimal::ONE),
        };
        self.cap_binding += usize::from(binding(0));
        self.subcap_binding += usize::from(caps.len() > 1 && binding(1));
    }
}

/// Checks one plan: feasible, whole tonnes, the true shortfall, optimal.
fn check(what: &str, ob: Decimal, lots: &[Lot], caps: &[CapBound], want: (Decimal, Option<Decimal>, Decimal), seen: &mut Seen) -> usize {
    let r = optimise(ob, lots, caps);
    seen.add(ob, lots, caps, &r);
    assert!(r.proven, "{what}: not proven ({} nodes) ob {ob} lots {lots:?} caps {caps:?}", r.nodes);
    assert!(feasible(lots, caps, &r.used), "{what}: infeasible plan {:?} for ob {ob} lots {lots:?} caps {caps:?}", r.used);
    assert!(r.used.iter().all(|u| u.fract().is_zero()), "{what}: whole tonnes {:?}", r.used);
    assert_eq!(score(ob, lots, &r), want, "{what}: ob {ob} lots {lots:?} caps {caps:?} plan {:?}", r.used);
    r.nodes
}

/// Small portfolios with fractional obligations, caps and holdings, every
/// shape, against brute force (and the oracle, so the oracle is checked too).
#[test]
fn fractional_small_portfolios_match_brute_force() {
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    let mut max_nodes = 0;
    let mut cases = 0;
    let mut seen = Seen::default();
    for shape in &SHAPES {
        for case in 0..150 {
            let ob = real(&mut rng, 17);
            // Bases that put the overall cap in 0..8 t, with the fractions base × ratio gives.
            let base = if shape.base_is_emissions && rng.below(3) == 0 {
                ob
            } else {
                Decimal::new(rng.below(800) * 10 + rng.below(10), 3) / ratio(shape.cap_ratio)
            };
            let caps = shape.caps(base);
            let ncredits = 1 + rng.below(4) as usize;
            let nallow = if ncredits == 4 { 1 } else { rng.below(3) as usize };
            let (priced, cents) = (rng.below(3) != 0, rng.below(2) == 0);
            let lots = shape.lots(&mut rng, ncredits, nallow, 6, priced, cents);
            let what = format!("{} small case {case}", shape.pilot);
            let want = brute_force(ob, &lots, &caps);
            assert_eq!(oracle(shape, ob, &lots, &caps), want, "{what}: oracle vs brute force, ob {ob} lots {lots:?} caps {caps:?}");
            max_nodes = max_nodes.max(check(&what, ob, &lots, &caps, want, &mut seen));
            cases += 1;
        }
    }
    eprintln!("{cases} small fractional cases, at most {max_nodes} nodes; {seen:?}");
    assert!(max_nodes <= 60, "{max_nodes} nodes");
}

/// Portfolios of realistic size: obligations of 10^4–10^5 t with fractions,
/// caps from the pilots' ratios, holdings of thousands of tonnes, against the
/// exact oracle. The search stays a few dozen nodes.
#[test]
fn fractional_realistic_portfolios_match_the_oracle() {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let mut max_nodes = 0;
    let mut cases = 0;
    let mut seen = Seen::default();
    for shape in &SHAPES {
        for case in 0..40 {
            let ob = real(&mut rng, 120_000);
            let base = if shape.base_is_emissions { ob } else { real(&mut rng, 150_000) };
            let caps = shape.caps(base);
            let ncredits = 1 + rng.below(5) as usize;
            let nallow = 1 + rng.below(2) as usize;
            // Holdings up to about the cap each, allowances up to four times that:
            // sometimes enough, sometimes a shortfall.
            let size = (base * ratio(shape.cap_ratio)).floor().try_into().unwrap_or(1u64).max(1) * 3 / 4 + 1;
            let (priced, cents) = (rng.below(4) != 0, rng.below(2) == 0);
            let mut lots = shape.lots(&mut rng, ncredits, nallow, size, priced, cents);
            if rng.below(2) == 0 {
                // Allowances enough for the obligation less some credits.
                let need = ob * Decimal::new(95, 2) + fraction(&mut rng);
                lots.push(Lot {
                    kind: LotKind::Allowance,
                    quantity: need.floor(),
                    cost: lots[0].cost.map(|_| Decimal::from(40 + rng.below(10))),
                    caps: vec![],
                });
            }
            let what = format!("{} realistic case {case}", shape.pilot);
            let want = oracle(shape, ob, &lots, &caps);
            max_nodes = max_nodes.max(check(&what, ob, &lots, &caps, want, &mut seen));
            cases += 1;
        }
    }
    eprintln!("{cases} realistic fractional cases, at most {max_nodes} nodes; {seen:?}");
    assert!(max_nodes <= 60, "{max_nodes} nodes");
}

/// The Guangdong sample's holdings and caps: PHCER 佛山, CCER 梅州, CCER 广西,
/// CCER 云南, CCER 深圳; allowances 2023 and 2024; a 48000 t cap and ≤ 30 % non-local.
fn guangdong_sample() -> (Vec<Lot>, Vec<CapBound>) {
    let c =
        |q: i64, p: i64, caps: Vec<usize>| Lot { kind: LotKind::Credit, quantity: Decimal::from(q), cost: Some(Decimal::from(p)), caps };
    let a = |q: i64, p: i64| Lot { kind: LotKind::Allowance, quantity: Decimal::from(q), cost: Some(Decimal::from(p)), caps: vec![] };
    let lots = vec![
        c(18000, 30, vec![0]),
        c(12000, 55, vec![0]),
        c(20000, 35, vec![0, 1]),
        c(8000, 40, vec![0, 1]),
        c(2000, 50, vec![0]),
        a(30000, 45),
        a(400000, 45),
    ];
    let caps = vec![CapBound::Absolute(Decimal::from(48000)), CapBound::Share(Decimal::new(3, 1))];
    (lots, caps)
}

/// The reported example: the Guangdong sample with the lime kiln at 25000.5 t
/// (obligation 466866.5 t, cap 48000 t, ≥ 70 % local). Every fraction the issue
/// names gives the plan of the next whole tonne, and the true shortfall.
#[test]
fn guangdong_sample_with_fractional_emissions() {
    let (lots, caps) = guangdong_sample();
    let whole = optimise(Decimal::from(466_867), &lots, &caps);
    let d = |v: i64| Decimal::from(v);
    assert_eq!(whole.used, vec![d(18000), d(5807), d(11060), d(0), d(2000), d(30000), d(400000)]);
    for ob in ["466866.5", "466866.1", "466866.25", "466866.9"] {
        let ob: Decimal = ob.parse().unwrap();
        let t = std::time::Instant::now();
        let r = optimise(ob, &lots, &caps);
        eprintln!("obligation {ob}: {} nodes, work {}, {:?}", r.nodes, r.work, t.elapsed());
        assert!(r.proven && r.nodes <= 20, "{ob}: {} nodes", r.nodes);
        assert_eq!(r.used, whole.used, "{ob}");
        assert_eq!(r.shortfall, Decimal::ZERO);
        assert_eq!(r.cost, whole.cost);
    }
    // Short of holdings by half a tonne: at most 32000 local + 13714 non-local
    // (30 % of 45714.28…) + 430000 allowances = 475714 t; the shortfall is the
    // exact remainder.
    let r = optimise("475714.5".parse().unwrap(), &lots, &caps);
    assert!(r.proven);
    assert_eq!(r.used.iter().copied().sum::<Decimal>(), d(475_714));
    assert_eq!(r.shortfall, Decimal::new(5, 1));
}

/// The guard: when a search limit stops the search, the plan is still
/// feasible and whole, the shortfall true, and `proven` false.
#[test]
fn search_limits_fall_back_to_a_feasible_plan() {
    let (lots, caps) = guangdong_sample();
    let ob: Decimal = "466866.5".parse().unwrap();
    let d = |v: i64| Decimal::from(v);
    // One node, a fractional relaxation: no plan found, allowances alone.
    let r = optimise_within(ob, &lots, &caps, lp::Limits { nodes: 1, work: u64::MAX });
    assert!(!r.proven);
    assert_eq!(r.used, vec![d(0), d(0), d(0), d(0), d(0), d(30000), d(400000)]);
    assert_eq!(r.shortfall, "36866.5".parse::<Decimal>().unwrap());
    // The work limit stops the search at the first plan: feasible, not proven.
    let r = optimise_within(ob, &lots, &caps, lp::Limits { nodes: NODE_LIMIT, work: 0 });
    assert!(!r.proven);
    assert!(feasible(&lots, &caps, &r.used) && r.used.iter().all(|u| u.fract().is_zero()));
    assert_eq!(r.shortfall, (ob - r.used.iter().copied().sum::<Decimal>()).max(Decimal::ZERO));
    // The default limits leave this program alone.
    assert!(optimise(ob, &lots, &caps).proven);
}
