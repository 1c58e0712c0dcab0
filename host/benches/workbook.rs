//! Workbook end to end: a 100,000-row inventory with 10,000 credit holdings,
//! read + evaluate + write the compliance workbook, against the same work done
//! natively in the same run: reading the same files with calamine and writing
//! the same cells (those of lvyue's compliance workbook) with rust_xlsxwriter.
//! Target: ratio ≤ 1.5×.
//!
//! `cargo bench -p lvyue --bench workbook` (release). Sizes: LVYUE_BENCH_ROWS,
//! LVYUE_BENCH_HOLDINGS; LVYUE_BENCH_ITERATIONS (3); LVYUE_BENCH_QUICK=1 for a smoke
//! run. The input limits are raised to fit the rows, and the plugin's memory cap to
//! LVYUE_BENCH_MEMORY_MIB (default: the larger of 512 and rows / 256).
//! LVYUE_BENCH_KEEP=DIR keeps the input workbooks (for `evaluate-rss.sh`).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use lvyue::host::{Evaluate, Host, HostOptions};
use lvyue::input::{RawTable, RawValue};

mod common;
use common::{number, read_all_cells, table, text, write_cells, write_cells_at};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Deterministic sample data of the requested size.
fn data(rows: usize, holdings: usize) -> Vec<RawTable> {
    let categories = ["fuel_combustion", "process", "other_direct", "purchased_electricity"];
    let sources = (0..rows)
        .map(|i| {
            BTreeMap::from([
                ("facility".to_string(), text(format!("Unit {}", i % 40))),
                ("source".to_string(), text(format!("Source {i}"))),
                ("category".to_string(), text(categories[i % 4])),
                ("emissions_t".to_string(), number(format!("{}.{}", 100 + (i * 37) % 900, i % 100))),
            ])
        })
        .collect();
    let credits = (0..holdings)
        .map(|i| {
            BTreeMap::from([
                ("serial".to_string(), text(format!("CCER-{i:08}"))),
                ("credit_type".to_string(), text(if i % 10 == 0 { "FFCER" } else { "CCER" })),
                ("project_id".to_string(), text(format!("P-{}", i % 500))),
                ("registered".to_string(), RawValue::Date(if i % 3 == 0 { "2016-05-20".into() } else { "2025-03-01".into() })),
                ("quantity_t".to_string(), number(format!("{}", 100 + i % 900))),
                ("price_cny".to_string(), number(format!("{}.5", 50 + i % 40))),
            ])
        })
        .collect();
    let allowances = vec![
        BTreeMap::from([
            ("type".to_string(), text("CEA")),
            ("vintage".to_string(), number("2023")),
            ("quantity_t".to_string(), number("1000000")),
        ]),
        BTreeMap::from([
            ("type".to_string(), text("CEA")),
            ("vintage".to_string(), number("2024")),
            ("quantity_t".to_string(), number("20000000")),
        ]),
    ];
    vec![table("emission_sources", sources), table("credit_holdings", credits), table("allowances", allowances)]
}

fn time<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let t = Instant::now();
    let v = f();
    (v, t.elapsed())
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let quick = std::env::var_os("LVYUE_BENCH_QUICK").is_some();
    let rows = env_usize("LVYUE_BENCH_ROWS", if quick { 10_000 } else { 100_000 });
    let holdings = env_usize("LVYUE_BENCH_HOLDINGS", if quick { 1_000 } else { 10_000 });
    let iterations = env_usize("LVYUE_BENCH_ITERATIONS", if quick { 1 } else { 3 });
    // Past the default input limits of 1,000,000 cells per sheet (rows × declared
    // columns) and 1,000,000 shared strings per workbook.
    lvyue::input::limits::InputLimits {
        cells: (rows as u64 * 20).max(1_000_000),
        strings: (rows as u64 * 2 + holdings as u64 * 4).max(1_000_000),
        ..Default::default()
    }
    .install();
    let dir = tempfile::tempdir().unwrap();
    // Past the default 512 MiB memory cap (LVYUE_BENCH_MEMORY_MIB, default: enough for the rows).
    let memory_mib = env_usize("LVYUE_BENCH_MEMORY_MIB", (rows / 256).max(512));
    let limits = lvyue::sandbox::Limits { memory_bytes: memory_mib << 20, ..Default::default() };
    let host = Host::new(HostOptions { cache_dir: Some(dir.path().join("cache")), limits, ..Default::default() }).unwrap();
    let bundle = host.find("cn-ets").unwrap();
    let info = host.describe(bundle).unwrap();

    // The input workbooks, laid out from the plugin's declaration.
    let tables = data(rows, holdings);
    let (inventory, portfolio) = lvyue::input::template::split(&info);
    let inv = dir.path().join("inventory.xlsx");
    let port = dir.path().join("portfolio.xlsx");
    std::fs::write(&inv, lvyue::input::template::build_with_data(&inventory, Some(2024), &tables).unwrap()).unwrap();
    std::fs::write(&port, lvyue::input::template::build_with_data(&portfolio, Some(2024), &tables).unwrap()).unwrap();
    // `LVYUE_BENCH_KEEP=DIR`: keep the input workbooks (e.g. to measure `lvyue evaluate` on them).
    if let Some(keep) = std::env::var_os("LVYUE_BENCH_KEEP") {
        let keep = Path::new(&keep);
        std::fs::create_dir_all(keep).unwrap();
        std::fs::copy(&inv, keep.join("inventory.xlsx")).unwrap();
        std::fs::copy(&port, keep.join("portfolio.xlsx")).unwrap();
    }
    let options = vec![("carbon_price_cny".to_string(), "92.5".to_string())];
    println!("workbook benchmark: {rows} emission sources, {holdings} credit holdings, {iterations} iteration(s), median times\n");

    // lvyue: read + check + evaluate in the sandbox + write the compliance workbook.
    let out = dir.path().join("report.xlsx");
    let mut ours = Vec::new();
    let mut parts = (Vec::new(), Vec::new(), Vec::new());
    let mut last = None;
    for _ in 0..iterations {
        let t0 = Instant::now();
        let (raw, read) = time(|| lvyue::input::workbook::read_all(&[&inv, &port], &info.input).unwrap());
        let (report, eval) = time(|| {
            host.evaluate(&Evaluate { jurisdiction: "cn-ets", year: 2024, tables: &raw, options: &options, inputs: vec![] }).unwrap()
        });
        let (_, write) = time(|| {
            let bytes = lvyue::report::xlsx::build(&report).unwrap();
            lvyue::atomic::write(&out, &bytes).unwrap();
        });
        ours.push(t0.elapsed());
        parts.0.push(read);
        parts.1.push(eval);
        parts.2.push(write);
        last = Some(report);
    }
    let report = last.unwrap();

    // Natively: calamine reads the same files; rust_xlsxwriter writes the cells of lvyue's workbook.
    let output_cells = read_all_cells(&out);
    let cell_count: usize = output_cells.iter().map(|(_, r)| r.iter().map(|row| row.len()).sum::<usize>()).sum();
    let native_out = dir.path().join("native.xlsx");
    let mut native = Vec::new();
    let mut native_parts = (Vec::new(), Vec::new());
    let mut native_fast = Vec::new();
    for _ in 0..iterations {
        let t0 = Instant::now();
        let (_, read) = time(|| {
            let a = read_all_cells(&inv);
            let b = read_all_cells(&port);
            std::hint::black_box((a, b));
        });
        let (_, write) = time(|| write_cells(&output_cells, &native_out));
        native.push(t0.elapsed());
        native_parts.0.push(read);
        native_parts.1.push(write);
        // The same write at the deflate level lvyue's workbooks use (1), for the like-for-like ratio.
        let (_, write_fast) = time(|| write_cells_at(&output_cells, &native_out, Some(1)));
        native_fast.push(read + write_fast);
    }

    let (o, n) = (median(ours), median(native));
    let ratio = o.as_secs_f64() / n.as_secs_f64();
    println!("{:<58} {:>10}", "lvyue: read + check + evaluate + write workbook", format!("{:.0} ms", o.as_secs_f64() * 1e3));
    println!(
        "{:<58} {:>10}",
        "  read and map the workbooks (calamine + declaration)",
        format!("{:.0} ms", median(parts.0).as_secs_f64() * 1e3)
    );
    println!(
        "{:<58} {:>10}",
        "  check input, resolve rules, evaluate in the sandbox",
        format!("{:.0} ms", median(parts.1).as_secs_f64() * 1e3)
    );
    println!("{:<58} {:>10}", "  build and write the compliance workbook", format!("{:.0} ms", median(parts.2).as_secs_f64() * 1e3));
    println!("{:<58} {:>10}", "native: calamine read + rust_xlsxwriter write", format!("{:.0} ms", n.as_secs_f64() * 1e3));
    println!(
        "{:<58} {:>10}",
        "  calamine: read every cell of both workbooks",
        format!("{:.0} ms", median(native_parts.0).as_secs_f64() * 1e3)
    );
    println!(
        "{:<58} {:>10}",
        format!("  rust_xlsxwriter: write the same {cell_count} cells"),
        format!("{:.0} ms", median(native_parts.1).as_secs_f64() * 1e3)
    );
    let fast = median(native_fast);
    println!("{:<58} {:>10}", "native with the write at deflate level 1 (as lvyue's)", format!("{:.0} ms", fast.as_secs_f64() * 1e3));
    println!("\nratio lvyue / native: {ratio:.2}×  (target ≤ 1.50×: {})", if ratio <= 1.5 { "PASS" } else { "MISS" });
    let like = o.as_secs_f64() / fast.as_secs_f64();
    println!("ratio lvyue / native at the same deflate level: {like:.2}×  (target ≤ 1.50×: {})", if like <= 1.5 { "PASS" } else { "MISS" });
    println!(
        "fuel used {} of {}; peak guest memory {} MiB",
        report.run.fuel_used,
        report.run.fuel_limit,
        report.run.peak_memory_bytes >> 20
    );
}
