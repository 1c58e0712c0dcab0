//! Benchmark: scoring 10,000 suppliers with the built-in supply-chain-cati
//! plugin (a small hand-written harness, no criterion).
//!
//! ```text
//! cargo bench -p lvyue --bench cati                      # 10,000 suppliers
//! LVYUE_BENCH_QUICK=1 cargo bench -p lvyue --bench cati  # smoke run: 1,000 suppliers, 2 iterations
//! ```
//!
//! The suppliers are generated in memory (a fixed LCG: the same data on every
//! run and machine): each answers most of the 18 bundled indicators, one in
//! twenty has an environmental violation record (a third of them open). The
//! request is built once with `Host::build_request` (rules resolution and the
//! input check, timed but not part of the result); `PreparedPlugin::evaluate`
//! is timed: a fresh store, lowering the request into the guest, the scoring,
//! lifting the result (metrics, one decision per supplier, answer and record,
//! the trace and five tables). Printed: time per run (median, min), time per
//! supplier, fuel used, peak guest memory and the result's size.
//!
//! Environment: `LVYUE_BENCH_QUICK=1`; `LVYUE_BENCH_SUPPLIERS` (default
//! 10,000; quick 1,000); `LVYUE_BENCH_ITERS` (default 5; quick 2).

use std::collections::{BTreeMap, HashMap};
use std::hint::black_box;
use std::time::{Duration, Instant};

use lvyue::contract::{Evaluation, EvaluationError, Value};
use lvyue::host::{Evaluate, Host, HostOptions};
use lvyue::input::{RawCell, RawRow, RawTable, RawValue};
use lvyue::sandbox::Run;

mod common;
use common::{fmt_dur, fmt_n};

const INDICATORS: [(&str, &[&str]); 18] = [
    ("G1", &["yes", "partial", "no"]),
    ("G2", &["yes", "no"]),
    ("G3", &["yes", "partial", "no"]),
    ("M1", &["yes", "partial", "no"]),
    ("M2", &["yes", "partial", "no"]),
    ("M3", &["yes", "no"]),
    ("M4", &["yes", "partial", "no"]),
    ("T1", &["absolute", "intensity", "no"]),
    ("T2", &["validated", "committed", "no"]),
    ("T3", &["yes", "no"]),
    ("T4", &["yes", "no"]),
    ("P1", &[]),
    ("P2", &["yes", "no"]),
    ("A1", &[]),
    ("A2", &["yes", "partial", "no"]),
    ("A3", &["yes", "partial", "no"]),
    ("A4", &[]),
    ("A5", &["yes", "no"]),
];
const INDUSTRIES: [&str; 5] = ["textiles", "electronics", "metals", "chemicals", ""];

fn env_usize(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(v) => v.replace(['_', ','], "").parse().unwrap_or_else(|_| panic!("{name}={v} is not a whole number")),
        Err(_) => default,
    }
}

/// A fixed LCG.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, m: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % m
    }
}

fn cell(sheet: &str, col: char, row: usize, value: RawValue) -> RawCell {
    RawCell { value, at: format!("{sheet}!{col}{row}") }
}

fn text(s: impl Into<String>) -> RawValue {
    RawValue::Text(s.into())
}

fn table(key: &str, display: &str, rows: Vec<RawRow>) -> RawTable {
    RawTable {
        key: key.into(),
        display: display.into(),
        units: HashMap::new(),
        at: format!("{display}!1"),
        rows,
        prefixes: Default::default(),
    }
}

/// The suppliers, their answers and their violation records.
fn generate(n: usize) -> Vec<RawTable> {
    let mut rng = Lcg(20240101);
    let (s_sheet, a_sheet, v_sheet) =
        ("供应商 Suppliers", "气候指标答复 Climate indicator answers", "环境违规记录 Environmental violation records");
    let mut suppliers = Vec::with_capacity(n);
    let mut answers = Vec::with_capacity(n * 16);
    let mut violations = Vec::new();
    for i in 0..n {
        let id = format!("S{:05}", i + 1);
        let r = i + 2;
        let mut cells = BTreeMap::new();
        cells.insert("supplier_id".to_string(), cell(s_sheet, 'A', r, text(id.clone())));
        cells.insert("name".to_string(), cell(s_sheet, 'B', r, text(format!("供应商 Supplier {}", i + 1))));
        let industry = INDUSTRIES[rng.next(INDUSTRIES.len() as u64) as usize];
        if !industry.is_empty() {
            cells.insert("industry".to_string(), cell(s_sheet, 'C', r, text(industry)));
        }
        suppliers.push(RawRow { source: format!("{s_sheet}!{r}"), cells: cells.into_iter().collect() });
        for (ind, choices) in INDICATORS {
            // About one answer in nine is left blank (scored 0).
            if rng.next(9) == 0 {
                continue;
            }
            let r = answers.len() + 2;
            let mut cells = BTreeMap::new();
            cells.insert("supplier_id".to_string(), cell(a_sheet, 'A', r, text(id.clone())));
            cells.insert("indicator_id".to_string(), cell(a_sheet, 'B', r, text(ind)));
            if choices.is_empty() {
                cells.insert("value".to_string(), cell(a_sheet, 'D', r, RawValue::Number(format!("{}.{}", rng.next(101), rng.next(10)))));
            } else {
                cells.insert("answer".to_string(), cell(a_sheet, 'C', r, text(choices[rng.next(choices.len() as u64) as usize])));
            }
            answers.push(RawRow { source: format!("{a_sheet}!{r}"), cells: cells.into_iter().collect() });
        }
        if rng.next(20) == 0 {
            let r = violations.len() + 2;
            let mut cells = BTreeMap::new();
            cells.insert("supplier_id".to_string(), cell(v_sheet, 'A', r, text(id.clone())));
            cells.insert("record_id".to_string(), cell(v_sheet, 'B', r, text(format!("BM-{:06}", r))));
            cells.insert(
                "date".to_string(),
                cell(v_sheet, 'C', r, RawValue::Date(format!("2024-{:02}-{:02}", rng.next(12) + 1, rng.next(28) + 1))),
            );
            cells.insert("closed".to_string(), cell(v_sheet, 'E', r, RawValue::Bool(rng.next(3) != 0)));
            violations.push(RawRow { source: format!("{v_sheet}!{r}"), cells: cells.into_iter().collect() });
        }
    }
    vec![table("suppliers", s_sheet, suppliers), table("climate_answers", a_sheet, answers), table("violations", v_sheet, violations)]
}

/// The median of sorted times.
fn median(sorted: &[Duration]) -> Duration {
    let mid = sorted.len() / 2;
    if sorted.len() % 2 == 1 { sorted[mid] } else { (sorted[mid - 1] + sorted[mid]) / 2 }
}

/// The evaluation is Ok and scored every supplier.
fn check(run: &Run<Result<Evaluation, EvaluationError>>, n: usize) -> &Evaluation {
    let e = match &run.value {
        Ok(e) => e,
        Err(e) => panic!("the plugin refused the benchmark request: {e:?}"),
    };
    let scored = e.metrics.iter().find(|m| m.key == "suppliers_scored").map(|m| m.value.clone());
    assert_eq!(scored, Some(Value::Number(n.to_string())), "suppliers_scored");
    assert_eq!(e.decisions.iter().filter(|d| d.table == "suppliers").count(), n, "one decision per supplier");
    e
}

fn main() {
    let quick = std::env::var("LVYUE_BENCH_QUICK").is_ok_and(|v| !v.is_empty() && v != "0");
    let n = env_usize("LVYUE_BENCH_SUPPLIERS", if quick { 1_000 } else { 10_000 }).max(1);
    let iters = env_usize("LVYUE_BENCH_ITERS", if quick { 2 } else { 5 }).max(1);
    println!(
        "lvyue {} supply-chain-cati benchmark{} — {} cores, {} suppliers, {} iterations",
        lvyue::TOOL_VERSION,
        if quick { " (QUICK smoke run)" } else { "" },
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        fmt_n(n as u64),
        iters
    );

    let tmp = tempfile::tempdir().expect("temp dir");
    let host = Host::new(HostOptions { cache_dir: Some(tmp.path().join("cache")), ..HostOptions::default() }).expect("host");
    let bundle = host.find("supply-chain-cati").expect("the built-in supply-chain-cati plugin");
    let (plugin, _) = host.prepare(bundle).expect("prepare supply-chain-cati");

    let started = Instant::now();
    let tables = generate(n);
    let rows: usize = tables.iter().map(|t| t.rows.len()).sum();
    let cells: usize = tables.iter().flat_map(|t| t.rows.iter()).map(|r| r.cells.len()).sum();
    println!(
        "generated {} rows ({} suppliers, {} answers, {} violation records; {} cells) in {}",
        fmt_n(rows as u64),
        fmt_n(tables[0].rows.len() as u64),
        fmt_n(tables[1].rows.len() as u64),
        fmt_n(tables[2].rows.len() as u64),
        fmt_n(cells as u64),
        fmt_dur(started.elapsed())
    );
    let job = Evaluate { jurisdiction: "supply-chain-cati", year: 2024, tables: &tables, options: &[], inputs: vec![] };
    let started = Instant::now();
    let request = host.build_request(&job).expect("build the request").request;
    println!("Host::build_request (rules + input check, not timed below): {}", fmt_dur(started.elapsed()));

    let limits = host.limits();
    let first = plugin.evaluate(limits, &request).expect("evaluate");
    let e = check(&first, n);
    let mut times = Vec::with_capacity(iters);
    for _ in 0..iters {
        let start = Instant::now();
        let run = black_box(plugin.evaluate(limits, &request).expect("evaluate"));
        times.push(start.elapsed());
        drop(run);
    }
    times.sort();
    let run_median = median(&times);
    let min = times[0];
    // Diagnostic: the same request to a jurisdiction the plugin refuses at
    // once — instantiation and lowering the input, without the scoring.
    let mut other = request.clone();
    other.jurisdiction = "xx-none".into();
    let mut lower = Vec::with_capacity(iters);
    let lower_fuel = plugin.evaluate(limits, &other).expect("evaluate").fuel_used;
    for _ in 0..iters {
        let start = Instant::now();
        let r = black_box(plugin.evaluate(limits, &other).expect("evaluate"));
        lower.push(start.elapsed());
        assert!(matches!(r.value, Err(EvaluationError::Unsupported(_))));
    }
    lower.sort();
    let lower_median = median(&lower);
    let metric = |k: &str| e.metrics.iter().find(|m| m.key == k).map(|m| lvyue::rules::value_text(&m.value)).unwrap_or_default();

    println!("\n{:<44} {:>12}", "PreparedPlugin::evaluate", "");
    println!("{:<44} {:>12}", "  time per run, median", fmt_dur(run_median));
    println!("{:<44} {:>12}", "  time per run, min", fmt_dur(min));
    println!("{:<44} {:>12}", "  time per supplier (median / suppliers)", fmt_dur(run_median / n as u32));
    println!("{:<44} {:>12}", "  diag: instantiate + lower only, median", fmt_dur(lower_median));
    println!("{:<44} {:>12}", "  diag: fuel of instantiate + lower only", fmt_n(lower_fuel));
    println!("{:<44} {:>12}", "  fuel used", fmt_n(first.fuel_used));
    println!("{:<44} {:>12}", "  fuel per supplier", fmt_n(first.fuel_used / n as u64));
    println!("{:<44} {:>12}", "  fuel limit (2e9 + 50,000 per input cell)", fmt_n(first.fuel_limit));
    println!("{:<44} {:>9.1} MiB", "  peak guest memory", first.peak_memory_bytes as f64 / (1 << 20) as f64);
    println!(
        "{:<44} {:>12}",
        "  result: decisions / trace steps / findings",
        format!("{} / {} / {}", fmt_n(e.decisions.len() as u64), fmt_n(e.trace.len() as u64), e.findings.len())
    );
    println!(
        "\naverage score {}, open violations {} suppliers, hotspot area {}",
        metric("average_score"),
        metric("suppliers_with_open_violations"),
        metric("hotspot_area")
    );
}
