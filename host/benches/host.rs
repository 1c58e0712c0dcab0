//! Benchmarks of the lvyue host (a small hand-written harness, no criterion).
//!
//! ```text
//! cargo bench -p lvyue --bench host                    # full run
//! LVYUE_BENCH_QUICK=1 cargo bench -p lvyue --bench host  # smoke run: few iterations, 10,000 rows
//! cargo bench -p lvyue --bench host -- 3               # only benchmark 3 (also: 1, 2)
//! ```
//!
//! Each benchmark is measured against a baseline taken in the same run, on
//! the same machine, and printed as a ratio with its target:
//!
//! 1. loading the built-in cn-ets plugin from a warm on-disk compile cache
//!    (`CompileCache::load_or_compile`: read, sidecar SHA-256 check,
//!    deserialise) against compiling it from scratch (`sandbox::compile`).
//!    Target: the cache load takes at most 20 ms.
//! 2. `PreparedPlugin::evaluate` on a trivial request (one emission source,
//!    no holdings): a fresh store, instantiation, the call and the result.
//!    Target: at most 2 ms. Baseline: the host-side cost of building the same
//!    request (`Host::build_request`: rules resolution and input check).
//! 3. `PreparedPlugin::evaluate` on a 100,000-row request (lowering into the
//!    guest, the plugin run, lifting the result) against reading the same rows
//!    from an .xlsx with calamine. Target: at most 10 % of the calamine read.
//!    Diagnostic `3f` runs the same plugin natively, linked as a library
//!    (`native/mod.rs`; `2h` for benchmark 2): the plugin's own work, the
//!    floor under the sandbox's time.
//!
//! Environment:
//! - `LVYUE_BENCH_QUICK=1`: smoke run (1 compile, few iterations, 10,000 rows);
//! - `LVYUE_BENCH_ROWS`: rows of benchmark 3 (default 100,000; quick 10,000);
//! - `LVYUE_BENCH_ITERS`: iterations of the fast benchmarks (default 200; quick 20);
//! - `LVYUE_BENCH_BIG_ITERS`: iterations of benchmark 3 (default 10; quick 3);
//! - `LVYUE_BENCH_COMPILE_ITERS`: compiles from scratch (default 3; quick 1).

use std::collections::{BTreeMap, HashMap};
use std::hint::black_box;
use std::path::Path;
use std::str::FromStr;
use std::time::{Duration, Instant};

use lvyue::bundle::Bundle;
use lvyue::bundle::cache::{CacheOutcome, CompileCache};
use lvyue::contract::{Evaluation, EvaluationError, Request, Value};
use lvyue::host::{Evaluate, Host, HostOptions};
use lvyue::input::{RawCell, RawRow, RawTable, RawValue};
use lvyue::sandbox::{self, Call, PreparedPlugin, Run};
use rust_decimal::Decimal;

mod common;
mod native;
use common::{fmt_dur, fmt_n};

// ---- settings -------------------------------------------------------------------

struct Settings {
    quick: bool,
    rows: usize,
    iters: usize,
    big_iters: usize,
    compile_iters: usize,
    only: Vec<u32>,
}

fn env_usize(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(v) => v.replace(['_', ','], "").parse().unwrap_or_else(|_| panic!("{name}={v} is not a whole number")),
        Err(_) => default,
    }
}

impl Settings {
    fn from_env() -> Settings {
        let quick = std::env::var("LVYUE_BENCH_QUICK").is_ok_and(|v| !v.is_empty() && v != "0");
        // `cargo bench` passes `--bench`; any other argument picks benchmarks by number.
        let only = std::env::args().skip(1).filter(|a| !a.starts_with('-')).filter_map(|a| a.parse().ok()).collect();
        Settings {
            quick,
            rows: env_usize("LVYUE_BENCH_ROWS", if quick { 10_000 } else { 100_000 }).max(1),
            iters: env_usize("LVYUE_BENCH_ITERS", if quick { 20 } else { 200 }).max(1),
            big_iters: env_usize("LVYUE_BENCH_BIG_ITERS", if quick { 3 } else { 10 }).max(1),
            compile_iters: env_usize("LVYUE_BENCH_COMPILE_ITERS", if quick { 1 } else { 3 }).max(1),
            only,
        }
    }

    fn runs(&self, n: u32) -> bool {
        self.only.is_empty() || self.only.contains(&n)
    }
}

// ---- the harness ---------------------------------------------------------------

#[derive(Clone, Copy)]
struct Stats {
    median: Duration,
    min: Duration,
    iters: usize,
}

/// Runs `f` `warmup` times untimed, then `iters` times timed. The value `f`
/// returns is dropped outside the timing.
fn measure<T>(warmup: usize, iters: usize, mut f: impl FnMut() -> T) -> Stats {
    for _ in 0..warmup {
        black_box(f());
    }
    let mut times = Vec::with_capacity(iters);
    for _ in 0..iters {
        let start = Instant::now();
        let out = black_box(f());
        times.push(start.elapsed());
        drop(out);
    }
    times.sort();
    let mid = times.len() / 2;
    let median = if times.len() % 2 == 1 { times[mid] } else { (times[mid - 1] + times[mid]) / 2 };
    Stats { median, min: times[0], iters }
}

fn fmt_bytes(b: usize) -> String {
    format!("{:.1} MiB", b as f64 / (1 << 20) as f64)
}

/// One printed line of the timing table.
fn line(id: &str, what: &str, s: Stats) {
    println!("{id:<4} {what:<64} {:>6} {:>11} {:>11}", s.iters, fmt_dur(s.median), fmt_dur(s.min));
}

fn per_row(s: Stats, rows: usize) {
    println!("     = {:.2} µs per row (median)", s.median.as_secs_f64() * 1e6 / rows as f64);
}

fn table_header() {
    println!("{:<4} {:<64} {:>6} {:>11} {:>11}", "#", "benchmark", "iters", "median", "min");
    println!("{}", "-".repeat(4 + 1 + 64 + 1 + 6 + 1 + 11 + 1 + 11));
}

/// A benchmark's verdict, printed in the summary.
struct Verdict {
    id: &'static str,
    measured: String,
    baseline: String,
    ratio: String,
    target: String,
    pass: bool,
}

// ---- main ----------------------------------------------------------------------

fn main() {
    let settings = Settings::from_env();
    let tmp = tempfile::tempdir().expect("temp dir");
    let cache_dir = tmp.path().join("cache");

    println!(
        "lvyue {} host benchmarks{} — {} cores, rows {}, iterations {} / {} / {}",
        lvyue::TOOL_VERSION,
        if settings.quick { " (QUICK smoke run)" } else { "" },
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        fmt_n(settings.rows as u64),
        settings.compile_iters,
        settings.iters,
        settings.big_iters,
    );
    println!("(median and min of the timed iterations; ratio = measured median / baseline median)\n");

    // The default input limits bound one sheet to 1,000,000 cells (rows × the
    // sheet's declared columns); benchmark 3 goes past that on purpose.
    lvyue::input::limits::InputLimits { cells: (settings.rows as u64 * 20).max(1_000_000), ..Default::default() }.install();
    let host = Host::new(HostOptions { cache_dir: Some(cache_dir.clone()), ..HostOptions::default() }).expect("host");
    let bundle: &Bundle = host.find("cn-ets").expect("the built-in cn-ets plugin");

    println!(
        "plugin {} {} (component sha256 {}…)\n",
        bundle.manifest.id,
        bundle.manifest.version,
        &bundle.component_sha256()[..12.min(bundle.component_sha256().len())]
    );
    table_header();
    let mut verdicts = Vec::new();
    if settings.runs(1) {
        verdicts.push(bench_compile(&settings, &host, bundle, &cache_dir));
    }
    // Later benchmarks need the plugin prepared; with a warm cache this is a load.
    let (plugin, _) = host.prepare(bundle).expect("prepare cn-ets");
    if settings.runs(2) {
        verdicts.push(bench_trivial(&settings, &host, &plugin));
    }
    if settings.runs(3) {
        verdicts.push(bench_big(&settings, &host, &plugin, tmp.path()));
    }

    println!("\nSummary (each ratio against a baseline measured in this run)");
    println!("{:<4} {:<26} {:<30} {:<28} {:<26} result", "#", "measured (median)", "baseline (median)", "ratio", "target");
    println!("{}", "-".repeat(4 + 1 + 26 + 1 + 30 + 1 + 28 + 1 + 26 + 1 + 6));
    for v in &verdicts {
        println!(
            "{:<4} {:<26} {:<30} {:<28} {:<26} {}",
            v.id,
            v.measured,
            v.baseline,
            v.ratio,
            v.target,
            if v.pass { "PASS" } else { "MISS" }
        );
    }
}

// ---- 1: compile from scratch vs load from the cache ----------------------------------

fn bench_compile(settings: &Settings, host: &Host, bundle: &Bundle, cache_dir: &Path) -> Verdict {
    let engine = host.sandbox().engine();
    let bytes: &[u8] = &bundle.component;
    let compile = measure(0, settings.compile_iters, || sandbox::compile(engine, bytes).expect("compile"));
    line("1a", &format!("compile from scratch ({} KiB .wasm) [baseline]", bytes.len() / 1024), compile);

    let cache = CompileCache::new(cache_dir.to_path_buf());
    let (_, first) = cache.load_or_compile(engine, bytes, bundle.component_sha256()).expect("fill the cache");
    assert_eq!(first, CacheOutcome::Compiled, "the cache starts empty");
    let artifact: u64 = std::fs::read_dir(cache_dir)
        .expect("cache dir")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "cwasm"))
        .map(|e| e.metadata().map(|m| m.len()).unwrap_or(0))
        .sum();
    let load = measure(3, settings.iters.min(50), || {
        let (c, outcome) = cache.load_or_compile(engine, bytes, bundle.component_sha256()).expect("cache load");
        assert_eq!(outcome, CacheOutcome::Hit);
        c
    });
    line("1b", &format!("load from the warm cache ({} KiB .cwasm, blake3 + map)", artifact / 1024), load);
    // The artifact is mapped, not copied (bundle/cache.rs): its pages are
    // touched on first use, so a load followed by a first call shows that
    // nothing is only put off.
    let first_call = measure(3, settings.iters.min(50), || {
        let (c, _) = cache.load_or_compile(engine, bytes, bundle.component_sha256()).expect("cache load");
        host.sandbox().prepare(&c).expect("prepare").describe(host.limits()).expect("describe")
    });
    line("1c", "  diag: load from the warm cache, link and a first call (describe)", first_call);

    let target = Duration::from_millis(20);
    Verdict {
        id: "1",
        measured: format!("cache load {}", fmt_dur(load.median)),
        baseline: format!("compile {}", fmt_dur(compile.median)),
        ratio: format!("{:.2} % ({:.0}x faster)", 100.0 * ratio(load, compile), 1.0 / ratio(load, compile)),
        target: "cache load ≤ 20 ms".into(),
        pass: load.median <= target,
    }
}

fn ratio(measured: Stats, baseline: Stats) -> f64 {
    measured.median.as_secs_f64() / baseline.median.as_secs_f64()
}

// ---- 2: a trivial request ----------------------------------------------------------

fn bench_trivial(settings: &Settings, host: &Host, plugin: &PreparedPlugin) -> Verdict {
    let tables = vec![emission_sources_raw(1)];
    let job = Evaluate { jurisdiction: "cn-ets", year: 2024, tables: &tables, options: &[], inputs: vec![] };
    let limits = host.limits();

    let build = measure(10, settings.iters, || host.build_request(&job).map(|r| r.request).expect("build the request"));
    line("2a", "Host::build_request, 1 row (rules + check) [baseline]", build);

    let request = host.build_request(&job).expect("build the request").request;
    let run = plugin.evaluate(limits, &request).expect("evaluate");
    check_evaluation(&run, &request);
    // `LVYUE_BENCH_PROFILE_TRIVIAL=N`: only N evaluations (2b), for `perf record` with LVYUE_PERFMAP=1.
    if let Some(n) = std::env::var("LVYUE_BENCH_PROFILE_TRIVIAL").ok().and_then(|v| v.parse::<usize>().ok()) {
        let call = if std::env::var_os("LVYUE_BENCH_ROWS_CALL").is_some() { Call::Rows } else { Call::Columns };
        let t = Instant::now();
        for _ in 0..n {
            black_box(plugin.evaluate_with(limits, &request, call).expect("evaluate"));
        }
        println!("     profile run: {n} trivial evaluations ({call:?}) in {}", fmt_dur(t.elapsed()));
        std::process::exit(0);
    }
    let eval = measure(10, settings.iters, || plugin.evaluate(limits, &request).expect("evaluate"));
    line("2b", "PreparedPlugin::evaluate, 1 row (fresh store per call; rows)", eval);

    // Diagnostics (no target): where the time of one call goes.
    let describe = measure(10, settings.iters, || plugin.describe(limits).expect("describe"));
    line("2c", "  diag: describe (instantiate + call + lift PluginInfo)", describe);
    let mut other = request.clone();
    other.jurisdiction = "xx-none".into();
    let refused = measure(10, settings.iters, || {
        let r = plugin.evaluate(limits, &other).expect("evaluate");
        assert!(matches!(r.value, Err(EvaluationError::Unsupported(_))));
        r
    });
    line("2d", "  diag: evaluate returning at once (instantiate + lower)", refused);
    let rows_call = measure(10, settings.iters, || plugin.evaluate_with(limits, &request, Call::Rows).expect("evaluate with rows"));
    line("2e", "  diag: the same request through 1.0's evaluate (rows)", rows_call);
    let columns_call =
        measure(10, settings.iters, || plugin.evaluate_with(limits, &request, Call::Columns).expect("evaluate with columns"));
    line("2g", "  diag: the same request through 1.1's evaluate-columns", columns_call);
    // `LVYUE_BENCH_PROFILE_NATIVE=N`: only N native runs (2h), for `perf record`
    // with the plugin's own symbols and call graph.
    if let Some(n) = std::env::var("LVYUE_BENCH_PROFILE_NATIVE").ok().and_then(|v| v.parse::<usize>().ok()) {
        let copies = native::requests(&request, n);
        let t = Instant::now();
        copies.for_each(|r| drop(black_box(native::evaluate(r))));
        println!("     profile run: {n} trivial evaluations natively in {}", fmt_dur(t.elapsed()));
        std::process::exit(0);
    }
    let mut copies = native::requests(&request, 10 + settings.iters);
    let native_run = measure(10, settings.iters, || native::evaluate(copies.next().expect("a request per run")));
    line("2h", "  diag: the same plugin run natively (no sandbox: 2b's floor)", native_run);
    let rows_run = plugin.evaluate_with(limits, &request, Call::Rows).expect("evaluate with rows");
    let columns_run = plugin.evaluate_with(limits, &request, Call::Columns).expect("evaluate with columns");
    println!(
        "     fuel used: {} with rows, {} with columns (the host calls with columns from {} input cells)",
        fmt_n(rows_run.fuel_used),
        fmt_n(columns_run.fuel_used),
        fmt_n(limits.columns_from_cells)
    );
    let pack = measure(10, settings.iters, || lvyue::contract::since_v1_1::RequestRef::new(&request).expect("columns").tables);
    line("2f", "  diag: host packs the request as columns (part of 2b)", pack);
    println!(
        "     fuel used {} of {}; peak guest memory {}",
        fmt_n(run.fuel_used),
        fmt_n(run.fuel_limit),
        fmt_bytes(run.peak_memory_bytes)
    );
    if let Ok(e) = &run.value {
        println!(
            "     result: {} metrics, {} trace steps, {} findings, {} decisions, {} tables ({} columns, {} rows)",
            e.metrics.len(),
            e.trace.len(),
            e.findings.len(),
            e.decisions.len(),
            e.tables.len(),
            e.tables.iter().map(|t| t.columns.len()).sum::<usize>(),
            e.tables.iter().map(|t| t.rows.len()).sum::<usize>()
        );
    }

    let target = Duration::from_millis(2);
    Verdict {
        id: "2",
        measured: format!("evaluate {}", fmt_dur(eval.median)),
        baseline: format!("build_request {}", fmt_dur(build.median)),
        ratio: format!("{:.1}x the baseline", ratio(eval, build)),
        target: "evaluate ≤ 2 ms".into(),
        pass: eval.median <= target,
    }
}

// ---- 3: 100,000 rows through the sandbox vs calamine -------------------------------------

const SHEET: &str = "排放源 Emission sources";
const COLUMNS: [&str; 6] = ["facility", "source", "category", "fuel", "activity", "emissions_t"];
const CATEGORIES: [&str; 5] = ["fuel_combustion", "process", "purchased_electricity", "purchased_heat", "other_direct"];

/// One generated row: (facility, source, category, fuel, activity, emissions_t).
/// Numbers are decimal text with at most 2 and 3 decimals, exact in an f64 round trip.
fn row_values(i: usize) -> [Option<String>; 6] {
    // A fixed LCG: the same rows on every run and machine.
    let mut x = (i as u64).wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    let mut next = |m: u64| {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (x >> 33) % m
    };
    let unit = i % 64 + 1;
    let category = CATEGORIES[next(CATEGORIES.len() as u64) as usize];
    let fuel = match category {
        "fuel_combustion" => Some(["烟煤 bituminous coal", "天然气 natural gas", "柴油 diesel"][next(3) as usize].to_string()),
        _ => None,
    };
    let activity = next(1_000_000_000);
    let emissions = next(100_000_000_000);
    [
        Some(format!("{unit}号机组 Unit {unit}")),
        Some(format!("排放源 Source {}", i + 1)),
        Some(category.to_string()),
        fuel,
        Some(format!("{}.{:02}", activity / 100, activity % 100)),
        Some(format!("{}.{:03}", emissions / 1000, emissions % 1000)),
    ]
}

fn col_letter(c: usize) -> char {
    (b'A' + c as u8) as char
}

/// The rows as the host's readers would give them.
fn emission_sources_raw(rows: usize) -> RawTable {
    let rows = (0..rows)
        .map(|i| {
            let r = i + 2;
            let mut cells = BTreeMap::new();
            // As the workbook reader gives them: a cell left empty in a column
            // of the sheet is passed as empty, with its reference.
            for (c, v) in row_values(i).into_iter().enumerate() {
                let value = match v {
                    None => RawValue::Empty,
                    Some(v) if c >= 4 => RawValue::Number(v),
                    Some(v) => RawValue::Text(v),
                };
                cells.insert(COLUMNS[c].to_string(), RawCell { value, at: format!("{SHEET}!{}{r}", col_letter(c)) });
            }
            RawRow { source: format!("{SHEET}!{r}"), cells: cells.into_iter().collect() }
        })
        .collect();
    RawTable {
        key: "emission_sources".into(),
        display: SHEET.into(),
        units: HashMap::new(),
        at: format!("{SHEET}!1"),
        rows,
        prefixes: Default::default(),
    }
}

/// The same rows in an .xlsx, with the template's header row.
fn write_xlsx(path: &Path, rows: usize) {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(SHEET).expect("sheet name");
    let headers = [
        ("设施", "Facility", None),
        ("排放源", "Source", None),
        ("类别", "Category", None),
        ("燃料品种", "Fuel", None),
        ("活动数据", "Activity data", Some("GJ")),
        ("排放量", "Emissions", Some("tCO2")),
    ];
    for (c, (zh, en, unit)) in headers.iter().enumerate() {
        ws.write_string(0, c as u16, lvyue::input::template::header(zh, en, *unit)).expect("header");
    }
    for i in 0..rows {
        let r = i as u32 + 1;
        for (c, v) in row_values(i).into_iter().enumerate() {
            let Some(v) = v else { continue };
            if c >= 4 {
                ws.write_number(r, c as u16, v.parse::<f64>().expect("number")).expect("cell");
            } else {
                ws.write_string(r, c as u16, v).expect("cell");
            }
        }
    }
    wb.save(path).expect("save the workbook");
}

/// Opens the workbook and reads every cell of the sheet into a Vec.
fn read_xlsx(path: &Path) -> Vec<calamine::Data> {
    use calamine::Reader;
    let mut wb = calamine::open_workbook_auto(path).expect("open the workbook");
    let range = wb.worksheet_range(SHEET).expect("read the sheet");
    let mut cells = Vec::with_capacity(range.get_size().0 * range.get_size().1);
    for row in range.rows() {
        cells.extend(row.iter().cloned());
    }
    cells
}

/// The evaluation is Ok and its emissions add up to the input's.
fn check_evaluation(run: &Run<Result<Evaluation, EvaluationError>>, request: &Request) {
    let evaluation = match &run.value {
        Ok(e) => e,
        Err(e) => panic!("the plugin refused the benchmark request: {e:?}"),
    };
    let metric = |key: &str| {
        let m = evaluation.metrics.iter().find(|m| m.key == key).unwrap_or_else(|| panic!("metric {key}"));
        match &m.value {
            Value::Number(n) => Decimal::from_str(n).expect("decimal"),
            v => panic!("metric {key} is {v:?}"),
        }
    };
    let table = request.tables.iter().find(|t| t.key == "emission_sources").expect("emission_sources");
    let col = table.columns.iter().position(|c| c == "emissions_t").expect("emissions_t column");
    let expected: Decimal = table
        .rows
        .iter()
        .map(|r| match &r.cells[col].value {
            Value::Number(n) => Decimal::from_str(n).expect("decimal"),
            v => panic!("emissions cell {v:?}"),
        })
        .sum();
    let has = |key: &str| evaluation.metrics.iter().any(|m| m.key == key);
    // The rules may round each source's emissions and the totals: half a unit
    // of the last place kept, per row and per total.
    let half_unit = |key: &str| {
        request.parameters.iter().find(|p| p.key == key).and_then(|p| match &p.value {
            Value::Number(n) => n.parse::<u32>().ok().map(|places| Decimal::new(5, places + 1)),
            _ => None,
        })
    };
    let rows = Decimal::from(table.rows.len() as u64);
    let tolerance = half_unit("rounding.source_emissions.places").map(|h| h * rows).unwrap_or_default()
        + half_unit("rounding.total_emissions.places").map(|h| h * Decimal::from(2)).unwrap_or_default();
    if has("verified_emissions_t") && has("purchased_electricity_memo_t") {
        let got = metric("verified_emissions_t") + metric("purchased_electricity_memo_t");
        assert!(
            (got - expected).abs() <= tolerance,
            "the plugin's emissions do not add up to the input's: {got} against {expected} (rounding allows {tolerance})"
        );
    } else {
        println!("     (note: the plugin no longer reports verified_emissions_t and purchased_electricity_memo_t; totals not checked)");
    }
}

fn bench_big(settings: &Settings, host: &Host, plugin: &PreparedPlugin, tmp: &Path) -> Verdict {
    let rows = settings.rows;
    let xlsx = tmp.join("emission-sources.xlsx");
    let started = Instant::now();
    write_xlsx(&xlsx, rows);
    let size = std::fs::metadata(&xlsx).map(|m| m.len()).unwrap_or(0);
    println!(
        "     (generated {} rows, {} KiB .xlsx, in {}; checking them against the declared input...)",
        fmt_n(rows as u64),
        size / 1024,
        fmt_dur(started.elapsed())
    );

    let read = measure(1, settings.big_iters, || read_xlsx(&xlsx));
    let cells = read_xlsx(&xlsx);
    assert_eq!(cells.len(), (rows + 1) * COLUMNS.len(), "calamine read every cell");
    line("3a", &format!("calamine: open + read {} rows into a Vec [baseline]", fmt_n(rows as u64)), read);
    per_row(read, rows);

    // The request is built once, outside the timing.
    let tables = vec![emission_sources_raw(rows)];
    let job = Evaluate { jurisdiction: "cn-ets", year: 2024, tables: &tables, options: &[], inputs: vec![] };
    let started = Instant::now();
    let request = host.build_request(&job).expect("build the request").request;
    let built = started.elapsed();
    drop(tables);
    let limits = host.limits();
    let run = plugin.evaluate(limits, &request).expect("evaluate");
    check_evaluation(&run, &request);
    // `LVYUE_BENCH_PROFILE=N`: only N evaluations (3b), for `perf record` with LVYUE_PERFMAP=1.
    if let Some(n) = std::env::var("LVYUE_BENCH_PROFILE").ok().and_then(|v| v.parse::<usize>().ok()) {
        let t = Instant::now();
        for _ in 0..n {
            black_box(plugin.evaluate(limits, &request).expect("evaluate"));
        }
        println!("     profile run: {n} evaluations of {} rows in {}", fmt_n(rows as u64), fmt_dur(t.elapsed()));
        std::process::exit(0);
    }
    let eval = measure(1, settings.big_iters, || plugin.evaluate(limits, &request).expect("evaluate"));
    line("3b", &format!("sandbox: evaluate {} rows (lower + run + lift)", fmt_n(rows as u64)), eval);
    per_row(eval, rows);

    // Diagnostics (no target): lowering alone, the plugin returning at once.
    let mut other = request.clone();
    other.jurisdiction = "xx-none".into();
    let lower = measure(1, settings.big_iters, || {
        let r = plugin.evaluate(limits, &other).expect("evaluate");
        assert!(matches!(r.value, Err(EvaluationError::Unsupported(_))));
        r
    });
    line("3c", "  diag: evaluate returning at once (instantiate + lower)", lower);
    per_row(lower, rows);
    // Before contract 1.1: the same request through 1.0's `evaluate` (rows, a
    // reference string per cell), in this run.
    let rows_run = plugin.evaluate_with(limits, &request, Call::Rows).expect("evaluate with rows");
    check_evaluation(&rows_run, &request);
    let eval_rows = measure(1, settings.big_iters, || plugin.evaluate_with(limits, &request, Call::Rows).expect("evaluate with rows"));
    line("3d", "  diag: the same through 1.0's evaluate (rows), as before 1.1", eval_rows);
    per_row(eval_rows, rows);
    let to_columns = measure(1, settings.big_iters, || lvyue::contract::since_v1_1::RequestRef::new(&request).expect("columns").tables);
    line("3e", "  diag: host packs the request as columns (part of 3b and 3c)", to_columns);
    per_row(to_columns, rows);
    // The plugin's own work natively, outside the sandbox (each run gets its
    // own copy of the columnar request, made before the timing).
    let mut copies = native::requests(&request, 2 + settings.big_iters);
    // The same evaluation natively: the same metrics and trace steps.
    let native_eval = native::evaluate(copies.next().expect("a request"));
    let sandboxed = run.value.as_ref().expect("the sandbox's evaluation");
    assert!(native::agrees(&native_eval, sandboxed), "the native run gives the sandbox's metrics and trace steps");
    drop(native_eval);
    let native_run = measure(1, settings.big_iters, || native::evaluate(copies.next().expect("a request per run")));
    line("3f", "  diag: the same plugin run natively (no sandbox: 3b's floor)", native_run);
    per_row(native_run, rows);
    println!(
        "     what the sandbox adds (3b − 3f): {} = {:.1} % of the calamine read",
        fmt_dur(eval.median.saturating_sub(native_run.median)),
        100.0 * eval.median.saturating_sub(native_run.median).as_secs_f64() / read.median.as_secs_f64()
    );
    println!("     (not timed: Host::build_request for these rows took {})", fmt_dur(built));
    let result_strings: usize = run.value.as_ref().map(|e| e.trace.iter().map(|s| s.inputs.len()).sum()).unwrap_or(0);
    let result_rows: usize =
        run.value.as_ref().map(|e| e.tables.iter().map(|t| t.rows.len()).sum::<usize>() + e.decisions.len()).unwrap_or(0);
    let input_cells: usize = request.tables.iter().map(|t| t.rows.len() * t.columns.len()).sum();
    println!(
        "     fuel used {} of {} ({:.1} per input cell, {} cells); peak guest memory {}",
        fmt_n(run.fuel_used),
        fmt_n(run.fuel_limit),
        run.fuel_used as f64 / input_cells.max(1) as f64,
        fmt_n(input_cells as u64),
        fmt_bytes(run.peak_memory_bytes),
    );
    println!(
        "     1.0's rows: fuel used {} ({:.1} per input cell); peak guest memory {}",
        fmt_n(rows_run.fuel_used),
        rows_run.fuel_used as f64 / input_cells.max(1) as f64,
        fmt_bytes(rows_run.peak_memory_bytes),
    );
    println!(
        "     result: {} cell references in the trace, {} result-table rows and decisions",
        fmt_n(result_strings as u64),
        fmt_n(result_rows as u64)
    );

    let r = ratio(eval, read);
    Verdict {
        id: "3",
        measured: format!("sandbox {}", fmt_dur(eval.median)),
        baseline: format!("calamine read {}", fmt_dur(read.median)),
        ratio: format!("{:.1} % of the baseline ({:.1} % with 1.0's rows)", 100.0 * r, 100.0 * ratio(eval_rows, read)),
        target: "sandbox ≤ 10 % of calamine".into(),
        pass: r <= 0.10,
    }
}
