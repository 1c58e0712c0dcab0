//! `lvyue batch` at scale and the ledger's overlap search, each against a baseline
//! measured in the same run.
//!
//! ```sh
//! cargo bench -p lvyue --bench batch                        # full: 3,378 entities, 10 million ledger blocks
//! LVYUE_BENCH_QUICK=1 cargo bench -p lvyue --bench batch    # smoke run: 24 entities, 100,000 blocks
//! ```
//!
//! Entities are the bundled Guangdong sample (inventory and portfolio workbooks,
//! as bundled), one folder each. Measured:
//!
//! 1. per entity: the batch on one worker vs the native work on the same files
//!    (calamine reads both workbooks, rust_xlsxwriter writes every cell read) — target ≤ 1.5×;
//!    and vs separate `lvyue evaluate` processes;
//! 2. speed-up from one worker to two (same entities) — target near-linear (≥ 1.8×);
//! 3. peak memory (VmHWM) of the `lvyue batch` process for a few entities and for all —
//!    target: independent of the count (≤ 1.25×);
//! 4. a ledger with L serial blocks: checking a new 1,000-row portfolio for overlaps —
//!    target ≤ 50 ms (median of 5).
//!
//! Sizes: LVYUE_BENCH_ENTITIES (3,378; quick 24), LVYUE_BENCH_SUBSET (entities for 1
//! and 2: 200; quick 8), LVYUE_BENCH_PROCESSES (30; quick 4), LVYUE_BENCH_BLOCKS
//! (10,000,000; quick 100,000).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use calamine::Reader;
use lvyue::batch::manifest::{self, Defaults, Item};
use lvyue::batch::{BatchOptions, Outcome, Progress};
use lvyue::host::{Host, HostOptions};
use lvyue::ledger::{ClaimKind, EvaluationRecord, Ledger, NewUse, UseStatus};

fn env_usize(name: &str, default: usize, quick_default: usize, quick: bool) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(if quick { quick_default } else { default })
}

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/samples")
}

/// `n` entity folders, each with the sample's inventory and portfolio.
fn make_entities(root: &Path, n: usize) {
    let inv = std::fs::read(samples().join("guangdong-2024-inventory.xlsx")).unwrap();
    let port = std::fs::read(samples().join("guangdong-2024-portfolio.xlsx")).unwrap();
    for i in 0..n {
        let d = root.join(format!("entity-{i:05}"));
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("inventory.xlsx"), &inv).unwrap();
        std::fs::write(d.join("portfolio.xlsx"), &port).unwrap();
    }
}

struct Quiet;
impl Progress for Quiet {
    fn start(&self, _: usize) {}
    fn item(&self, item: &Item, outcome: &Outcome) {
        if let Outcome::Failed(e) = outcome {
            panic!("{} failed: {e}", item.entity);
        }
    }
}

fn in_process(host: &Host, items: &[Item], out: &Path, jobs: usize) -> Duration {
    let _ = std::fs::remove_dir_all(out);
    let opts = BatchOptions { out_dir: out.to_path_buf(), force: true, jobs, surrendered: false };
    let t = Instant::now();
    let totals = lvyue::batch::run(host, items, &opts, None, &Quiet, &AtomicBool::new(false)).unwrap();
    assert_eq!(totals.evaluated, items.len());
    t.elapsed()
}

/// Reads both workbooks with calamine and writes every cell with rust_xlsxwriter.
fn native(dir: &Path, out: &Path) {
    let mut wb = rust_xlsxwriter::Workbook::new();
    for name in ["inventory.xlsx", "portfolio.xlsx"] {
        let mut book: calamine::Xlsx<_> = calamine::open_workbook(dir.join(name)).unwrap();
        for sheet in book.sheet_names() {
            let range = book.worksheet_range(&sheet).unwrap();
            let ws = wb.add_worksheet();
            for (r, row) in range.rows().enumerate() {
                for (c, cell) in row.iter().enumerate() {
                    match cell {
                        calamine::Data::Float(f) => ws.write_number(r as u32, c as u16, *f).unwrap(),
                        calamine::Data::Int(i) => ws.write_number(r as u32, c as u16, *i as f64).unwrap(),
                        calamine::Data::Empty => continue,
                        other => ws.write_string(r as u32, c as u16, other.to_string()).unwrap(),
                    };
                }
            }
        }
    }
    wb.save(out).unwrap();
}

/// Runs a command, polling its peak resident memory (VmHWM) until it exits.
fn peak_rss(mut cmd: Command) -> (Duration, u64) {
    let t = Instant::now();
    let mut child = cmd.stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        if let Ok(s) = std::fs::read_to_string(&status_file)
            && let Some(kb) =
                s.lines().find_map(|l| l.strip_prefix("VmHWM:")).and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        {
            peak = peak.max(kb);
        }
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "{cmd:?} failed");
            break;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    (t.elapsed(), peak)
}

fn verdict(ok: bool) -> &'static str {
    if ok { "PASS" } else { "MISS" }
}

/// A deterministic generator (no dependency).
struct Lcg(u64);
impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

fn block(rng: &mut Lcg, projects: u64, row: usize) -> NewUse {
    let p = rng.below(projects);
    let class = [10, 1000, 100_000][rng.below(3) as usize];
    let size = 1 + rng.below(class);
    let first = 1 + rng.below(50_000_000);
    NewUse {
        serial: format!("CCER-{:02}-{}-{:06}-{:09}-{:09}", p % 15, 2016 + p % 10, p, first, first + size - 1),
        quantity: size.to_string(),
        used: size.to_string(),
        unit: "t".into(),
        instrument: "CCER".into(),
        status: UseStatus::Planned,
        claim: ClaimKind::Compliance,
        table: "credit_holdings".into(),
        row: format!("减排量持有 Credit holdings!{row}"),
        cell: format!("减排量持有 Credit holdings!A{row}"),
        new_forestry: false,
    }
}

fn record(e: usize, uses: Vec<NewUse>) -> EvaluationRecord {
    EvaluationRecord {
        entity: format!("entity-{e:07}"),
        jurisdiction: "cn-ets".into(),
        year: 2024,
        source: "bench".into(),
        input_digest: e.to_string(),
        inputs: vec![],
        options: vec![],
        plugin_id: "cn-ets".into(),
        plugin_version: "bench".into(),
        plugin_sha256: String::new(),
        rules_sha256: String::new(),
        metrics: vec![],
        findings: [0, 0, 0],
        status: "compliant".into(),
        uses,
    }
}

fn main() {
    let quick = std::env::var("LVYUE_BENCH_QUICK").is_ok_and(|v| !v.is_empty() && v != "0");
    let n = env_usize("LVYUE_BENCH_ENTITIES", 3378, 24, quick);
    let subset = env_usize("LVYUE_BENCH_SUBSET", 200, 8, quick).min(n);
    let procs = env_usize("LVYUE_BENCH_PROCESSES", 30, 4, quick).min(n);
    let blocks = env_usize("LVYUE_BENCH_BLOCKS", 10_000_000, 100_000, quick);
    let only: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let want = |b: &str| only.is_empty() || only.iter().any(|o| o == b);
    println!(
        "lvyue batch benchmark{}: {n} entities, subset {subset}, {procs} processes, {blocks} ledger blocks",
        if quick { " (QUICK smoke run)" } else { "" }
    );
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let input = tmp.path().join("entities");
    let defaults = Defaults { jurisdictions: vec!["cn-guangdong".into()], year: Some(2024), options: vec![] };

    if want("1") || want("2") || want("3") {
        make_entities(&input, n);
        let items = manifest::from_dir(&input, &defaults).unwrap();
        let sub = &items[..subset];
        let host = Host::new(HostOptions { cache_dir: Some(cache.clone()), ..Default::default() }).unwrap();
        // Warm-up: compile the plugin once.
        in_process(&host, &sub[..1], &tmp.path().join("warm"), 1);

        if want("1") || want("2") {
            let one = in_process(&host, sub, &tmp.path().join("out1"), 1);
            let per_batch = one / subset as u32;
            if want("1") {
                let t = Instant::now();
                for i in 0..subset {
                    native(&input.join(format!("entity-{i:05}")), &tmp.path().join(format!("native-{i}.xlsx")));
                }
                let per_native = t.elapsed() / subset as u32;
                let exe = env!("CARGO_BIN_EXE_lvyue");
                let t = Instant::now();
                for i in 0..procs {
                    let d = input.join(format!("entity-{i:05}"));
                    let o = tmp.path().join(format!("proc-{i}"));
                    let status = Command::new(exe)
                        .arg("--cache-dir")
                        .arg(&cache)
                        .args(["evaluate", "-j", "cn-guangdong", "--year", "2024", "--inventory"])
                        .arg(d.join("inventory.xlsx"))
                        .arg("--portfolio")
                        .arg(d.join("portfolio.xlsx"))
                        .arg("--out")
                        .arg(o.with_extension("xlsx"))
                        .arg("--json")
                        .arg(o.with_extension("json"))
                        .stdout(Stdio::null())
                        .status()
                        .unwrap();
                    assert!(status.success());
                }
                let per_proc = t.elapsed() / procs as u32;
                let ratio = per_batch.as_secs_f64() / per_native.as_secs_f64();
                println!(
                    "1  per entity: batch (1 worker) {per_batch:.2?}, native read+write {per_native:.2?}, separate `lvyue evaluate` {per_proc:.2?}"
                );
                println!(
                    "   batch / native = {ratio:.2}× (target ≤ 1.5×) {}; separate processes / batch = {:.2}×",
                    verdict(ratio <= 1.5),
                    per_proc.as_secs_f64() / per_batch.as_secs_f64()
                );
            }
            if want("2") {
                let two = in_process(&host, sub, &tmp.path().join("out2"), 2);
                let speedup = one.as_secs_f64() / two.as_secs_f64();
                println!(
                    "2  {subset} entities: 1 worker {one:.2?}, 2 workers {two:.2?}: speed-up {speedup:.2}× (target ≥ 1.8×) {}",
                    verdict(speedup >= 1.8)
                );
            }
        }
        if want("3") {
            let exe = env!("CARGO_BIN_EXE_lvyue");
            let few = subset.clamp(1, 50);
            let few_dir = tmp.path().join("few");
            make_entities(&few_dir, few);
            let cmd = |dir: &Path, out: &Path| {
                let mut c = Command::new(exe);
                c.arg("--cache-dir").arg(&cache).arg("batch").arg(dir).arg("--out-dir").arg(out).args([
                    "-j",
                    "cn-guangdong",
                    "--year",
                    "2024",
                    "--jobs",
                    "2",
                ]);
                c
            };
            let (t_few, m_few) = peak_rss(cmd(&few_dir, &tmp.path().join("mem-few")));
            let (t_all, m_all) = peak_rss(cmd(&input, &tmp.path().join("mem-all")));
            let ratio = m_all as f64 / m_few as f64;
            println!(
                "3  `lvyue batch --jobs 2`: {few} entities {t_few:.2?}, peak {:.1} MiB; {n} entities {t_all:.2?} ({:.1} ms per entity), peak {:.1} MiB: {ratio:.2}× (target ≤ 1.25×) {}",
                m_few as f64 / 1024.0,
                t_all.as_secs_f64() * 1000.0 / n as f64,
                m_all as f64 / 1024.0,
                verdict(ratio <= 1.25)
            );
        }
    }

    if want("4") {
        let path = tmp.path().join("ledger.sqlite");
        let mut ledger = Ledger::open(&path).unwrap();
        let projects = (blocks as u64 / 500).max(10);
        let mut rng = Lcg(1);
        let t = Instant::now();
        let per = 1000;
        let mut e = 0;
        while e * per < blocks {
            let chunk: Vec<EvaluationRecord> = (0..100.min(blocks.div_ceil(per) - e))
                .map(|k| record(e + k, (0..per).map(|r| block(&mut rng, projects, r + 2)).collect()))
                .collect();
            e += chunk.len();
            ledger.record_unchecked(&chunk).unwrap();
        }
        let built = t.elapsed();
        let mut rng = Lcg(99);
        let mut times = Vec::new();
        let mut found = 0;
        for _ in 0..5 {
            let uses: Vec<NewUse> = (0..1000).map(|r| block(&mut rng, projects, r + 2)).collect();
            let t = Instant::now();
            let (c, _) = ledger.check("new entity", "cn-ets", 2025, &uses).unwrap();
            times.push(t.elapsed());
            found += c.len();
        }
        times.sort();
        let median = times[times.len() / 2];
        println!(
            "4  ledger of {} blocks (built in {built:.1?}, {:.0} MiB): checking 1,000 rows: median {median:.1?}, min {:.1?}, {} overlaps found per check (target ≤ 50 ms) {}",
            e * per,
            std::fs::metadata(&path).map(|m| m.len() as f64 / 1048576.0).unwrap_or(0.0),
            times[0],
            found / 5,
            verdict(median <= Duration::from_millis(50))
        );
    }
}
