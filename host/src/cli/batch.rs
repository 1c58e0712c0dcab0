//! `lvyue batch`: many entities and years in parallel, with progress, a summary, a
//! resumable run and (with `--ledger`) the double-counting checks across them.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

use lvyue::batch::manifest::{self, Defaults, Item};
use lvyue::batch::{BatchOptions, Outcome, Progress};
use lvyue::host::{Host, RunError, exit};
use lvyue::ledger::Ledger;

/// Exit code of an interrupted batch (128 + SIGINT, as shells report it).
const INTERRUPTED: i32 = 130;

#[derive(clap::Args)]
pub(crate) struct Args {
    /// A folder with one subfolder per entity (its workbooks or request file, and an
    /// optional entity.toml); see docs/batch-and-ledger.md.
    #[arg(value_name = "DIR", required_unless_present = "manifest", conflicts_with = "manifest")]
    dir: Option<PathBuf>,
    /// A manifest (CSV or workbook) with a row per entity and year: entity, jurisdiction,
    /// year, inventory, portfolio, request, options.
    #[arg(long, value_name = "FILE")]
    manifest: Option<PathBuf>,
    /// Where each entity's workbook and JSON, and summary.xlsx and summary.csv, are written.
    #[arg(long, value_name = "DIR")]
    out_dir: PathBuf,
    /// Jurisdiction(s) for entities that do not name one.
    #[arg(long, short = 'j', value_delimiter = ',')]
    jurisdiction: Vec<String>,
    /// Compliance year for entities that do not name one.
    #[arg(long)]
    year: Option<u16>,
    /// An option KEY=VALUE for every entity (an entity's own options win); repeatable.
    #[arg(long = "option", value_name = "KEY=VALUE", value_parser = super::parse_option)]
    options: Vec<(String, String)>,
    /// Record each evaluation and its serial uses in this ledger (SQLite) and report
    /// serials used twice across entities, years and claims.
    #[arg(long, value_name = "FILE")]
    ledger: Option<PathBuf>,
    /// The surrender plans have been carried out: record the blocks as surrendered
    /// (an entity's own `surrendered` in entity.toml or the manifest wins).
    #[arg(long)]
    surrendered: bool,
    /// Evaluate every entity again, even those unchanged since the last run.
    #[arg(long)]
    force: bool,
    /// Worker threads [default: the number of cores].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    jobs: Option<u16>,
}

/// A progress bar on a terminal, a log line per entity otherwise.
struct Report {
    bar: Option<indicatif::ProgressBar>,
    done: AtomicUsize,
    failed: AtomicUsize,
    skipped: AtomicUsize,
    total: AtomicUsize,
    started: Instant,
}

impl Progress for Report {
    fn start(&self, total: usize) {
        self.total.store(total, Ordering::SeqCst);
        if let Some(bar) = &self.bar {
            bar.set_length(total as u64);
        }
    }

    fn item(&self, item: &Item, outcome: &Outcome) {
        let n = self.done.fetch_add(1, Ordering::SeqCst) + 1;
        let (word, detail) = match outcome {
            Outcome::Done { rows, failures, conflicts } => {
                let mut d = format!("{rows} evaluated");
                if *failures > 0 {
                    self.failed.fetch_add(1, Ordering::SeqCst);
                    d += &format!(", {failures} failed");
                }
                if *conflicts > 0 {
                    d += &format!(", {conflicts} serial(s) used twice");
                }
                ("ok", d)
            }
            Outcome::Skipped => {
                self.skipped.fetch_add(1, Ordering::SeqCst);
                ("unchanged", String::new())
            }
            Outcome::Failed(e) => {
                self.failed.fetch_add(1, Ordering::SeqCst);
                // One line: the error's first, and its first item when that line only announces a list.
                let mut lines = e.lines().map(str::trim).filter(|l| !l.is_empty());
                let first = lines.next().unwrap_or_default();
                let detail = match lines.next() {
                    Some(item) if first.ends_with(':') => format!("{first} {item}"),
                    _ => first.to_string(),
                };
                ("failed", detail)
            }
        };
        let (failed, skipped) = (self.failed.load(Ordering::SeqCst), self.skipped.load(Ordering::SeqCst));
        match &self.bar {
            Some(bar) => {
                bar.set_message(format!("{failed} failed, {skipped} unchanged"));
                bar.inc(1);
                if matches!(outcome, Outcome::Failed(_)) {
                    bar.println(format!("failed: {} {}: {detail}", item.entity, item.label));
                }
            }
            None => {
                let total = self.total.load(Ordering::SeqCst);
                let secs = self.started.elapsed().as_secs_f64();
                let rate = n as f64 / secs.max(1e-9);
                let left = (total - n) as f64 / rate.max(1e-9);
                eprintln!(
                    "[{n}/{total}] {} {}: {word}{}{} ({rate:.1}/s, {left:.0} s left)",
                    item.entity,
                    item.label,
                    if detail.is_empty() { "" } else { ": " },
                    detail
                );
            }
        }
    }
}

pub(crate) fn run(host: &Host, a: &Args) -> Result<i32, RunError> {
    let defaults = Defaults { jurisdictions: a.jurisdiction.clone(), year: a.year, options: a.options.clone() };
    let items = match (&a.dir, &a.manifest) {
        (_, Some(m)) => manifest::from_manifest(m, &defaults),
        (Some(d), None) => manifest::from_dir(d, &defaults),
        (None, None) => Err("give a folder or --manifest FILE".into()),
    }
    .map_err(RunError::Usage)?;
    if items.is_empty() {
        return Err(RunError::Usage("nothing to evaluate: no entity folder or manifest row".into()));
    }
    let ledger = match &a.ledger {
        Some(p) => Some(Mutex::new(Ledger::open(p).map_err(|e| RunError::Io(format!("{}: {e}", p.display())))?)),
        None => None,
    };
    let jobs = a.jobs.map(usize::from).unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
    let opts = BatchOptions { out_dir: a.out_dir.clone(), force: a.force, jobs, surrendered: a.surrendered };

    // The first Ctrl-C stops taking entities and lets those under way finish (their
    // files are written whole); a second one ends the process at once.
    static STOP: AtomicBool = AtomicBool::new(false);
    let _ = ctrlc::set_handler(|| {
        if STOP.swap(true, Ordering::SeqCst) {
            std::process::exit(INTERRUPTED);
        }
        eprintln!("\ninterrupted: finishing the entities under way (Ctrl-C again to stop at once)");
    });

    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(items.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} done, {msg}, {per_sec}, {eta} left")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar.set_message("0 failed, 0 unchanged");
        bar
    });
    let progress = Report {
        bar,
        done: AtomicUsize::new(0),
        failed: AtomicUsize::new(0),
        skipped: AtomicUsize::new(0),
        total: AtomicUsize::new(0),
        started: Instant::now(),
    };
    let totals = lvyue::batch::run(host, &items, &opts, ledger.as_ref(), &progress, &STOP)?;
    if let Some(bar) = &progress.bar {
        bar.finish_and_clear();
    }
    outln!(
        "{} entity-year(s): {} evaluated, {} unchanged, {} failed{}{}",
        totals.items,
        totals.evaluated,
        totals.skipped,
        totals.failed,
        if totals.not_run > 0 { format!(", {} not run (interrupted)", totals.not_run) } else { String::new() },
        if a.ledger.is_some() { format!("; {} serial block(s) used twice", totals.conflicts) } else { String::new() },
    );
    outln!("wrote {}", a.out_dir.join("summary.xlsx").display());
    outln!("wrote {}", a.out_dir.join("summary.csv").display());
    if totals.not_run > 0 {
        return Ok(INTERRUPTED);
    }
    Ok(totals.first_failure_code.unwrap_or(exit::OK))
}
