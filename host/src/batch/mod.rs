//! `lvyue batch`: many entities and years in one run.
//!
//! - [`manifest`]: what to evaluate (a folder with one subfolder per entity, or a
//!   manifest), listed without reading any workbook;
//! - [`summary`]: the summary workbook and CSV, one row per entity, jurisdiction and
//!   year, a sheet of failures, totals at the bottom.
//!
//! Each entity goes through the same library functions as `lvyue evaluate`
//! ([`crate::job::load`], [`crate::job::evaluate_all`], [`crate::job::build_outputs`],
//! [`crate::job::write_files`]), on a pool of worker threads; each evaluation has its
//! own wasmtime store. A worker holds one entity at a time, so memory does not grow
//! with the number of entities.
//!
//! - [`stamps`]: each entity-year's stamp, a line in one file for the batch.
//!
//! Output folder: `<out>/<entity>/<label>-report.xlsx` and `.json` (label: the year, or
//! the request file's name), and a line in `<out>/.lvyue-batch-stamps.jsonl`, the
//! entity's stamp, written last: the digest of what decided the result (input files,
//! options, plugins and rules), the summary rows and the failures. Every file is
//! written complete or not at all, so an interrupted or killed batch leaves finished
//! entities intact; a rerun skips an entity whose stamp digest is unchanged and whose
//! outputs (and ledger record, with a ledger) are in place, unless `force`.

pub mod manifest;
pub mod stamps;
pub mod summary;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::host::{Host, RunError};
use crate::job::{self, JobInput, Outputs};
use crate::ledger::Ledger;
use crate::report::Report;
use manifest::Item;
use stamps::Journal;
use summary::{FailureRow, Row};

/// How a batch runs.
#[derive(Debug, Clone)]
pub struct BatchOptions {
    pub out_dir: PathBuf,
    /// Evaluate every entity, even those whose inputs, plugins and rules are unchanged.
    pub force: bool,
    /// Worker threads.
    pub jobs: usize,
    /// Record the planned surrenders as carried out.
    pub surrendered: bool,
}

/// What happened to one item.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Evaluated; failures lists jurisdictions that failed while others succeeded.
    Done { rows: usize, failures: usize, conflicts: usize },
    /// Unchanged since the last run.
    Skipped,
    /// Not evaluated: its input, plugin or rules failed.
    Failed(String),
}

/// Progress events, for a progress bar or log lines.
pub trait Progress: Sync {
    fn start(&self, total: usize);
    fn item(&self, item: &Item, outcome: &Outcome);
}

/// Totals of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    pub items: usize,
    pub evaluated: usize,
    pub skipped: usize,
    pub failed: usize,
    /// Items not started because the run was interrupted.
    pub not_run: usize,
    pub conflicts: usize,
    /// Exit code of the first failed item (in listing order), if any.
    pub first_failure_code: Option<i32>,
}

/// The stamp of one entity-year, written after its outputs.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Stamp {
    pub tool: String,
    pub entity: String,
    pub label: String,
    pub digest: String,
    /// (jurisdiction, year, ledger input digest) of each evaluation recorded.
    pub ledger: Vec<(String, u16, String)>,
    pub outputs: Vec<String>,
    pub rows: Vec<Row>,
    pub failures: Vec<FailureRow>,
}

/// A file or folder name for an entity: path separators, control characters and
/// characters Windows refuses become `_`; never empty, never `.` or `..`.
pub(crate) fn safe_name(s: &str) -> String {
    let mut out: String = s
        .trim()
        .chars()
        .map(|c| if c.is_control() || matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|') { '_' } else { c })
        .collect();
    out = out.trim_end_matches(['.', ' ']).to_string();
    if out.is_empty() || out.starts_with('.') {
        out.insert(0, '_');
    }
    out
}

/// Where an item's outputs go.
pub struct Paths {
    pub dir: PathBuf,
    pub workbook: PathBuf,
    pub json: PathBuf,
    /// The stamp file earlier versions wrote per entity: removed when the item is evaluated.
    old_stamp: PathBuf,
}

pub fn paths(out_dir: &Path, item: &Item) -> Paths {
    let dir = out_dir.join(safe_name(&item.entity));
    let label = safe_name(&item.label);
    Paths {
        workbook: dir.join(format!("{label}-report.xlsx")),
        json: dir.join(format!("{label}-report.json")),
        old_stamp: dir.join(format!(".{label}.batch.json")),
        dir,
    }
}

/// A digest of every plugin and the rules each would use: a changed plugin, rules
/// folder or override makes every entity run again.
pub(crate) fn environment_digest(host: &Host) -> String {
    let mut h = Sha256::new();
    h.update(crate::TOOL_VERSION.as_bytes());
    for b in host.bundles() {
        h.update(b.manifest.id.as_bytes());
        h.update(b.component_sha256().as_bytes());
        h.update(b.manifest.rules.sha256.as_bytes());
        for j in &b.manifest.jurisdictions {
            h.update(j.as_bytes());
            match host.rules(b, j) {
                Ok((_, source)) => h.update(source.as_bytes()),
                Err(e) => h.update(e.to_string().as_bytes()),
            }
        }
    }
    hex::encode(h.finalize())
}

/// The digest of one item: the environment, the entity, what it names and the
/// contents of its files; with the workbooks' bytes as read, for the evaluation.
pub(crate) fn item_digest(environment: &str, item: &Item, input: &JobInput, surrendered: bool) -> Result<(String, ReadInputs), RunError> {
    let mut h = Sha256::new();
    let mut field = |s: &str| {
        h.update((s.len() as u64).to_le_bytes());
        h.update(s.as_bytes());
    };
    field(environment);
    field(&item.entity);
    field(&item.label);
    field(&input.jurisdictions.join(","));
    field(&input.year.map(|y| y.to_string()).unwrap_or_default());
    for (k, v) in &input.options {
        field(k);
        field(v);
    }
    field(if surrendered { "surrendered" } else { "planned" });
    let mut read = Vec::new();
    for p in input.inventory.iter().chain(&input.portfolio) {
        let r = crate::host::read_input(p)?;
        field(&r.sha256);
        read.push((p.clone(), r));
    }
    if let Some(p) = &input.request {
        field(&crate::host::stamp_file(p)?.sha256);
    }
    Ok((hex::encode(h.finalize()), read))
}

/// Input workbooks' bytes read for an item's digest, handed on to its evaluation.
type ReadInputs = Vec<(PathBuf, crate::input::workbook::ReadBytes)>;

struct Ctx<'a> {
    host: &'a Host,
    opts: &'a BatchOptions,
    ledger: Option<&'a Mutex<Ledger>>,
    environment: String,
    stamps: Journal,
}

/// Runs the batch over `items` and writes the summary. Stops taking new items once
/// `stop` is set; the items under way finish.
pub fn run(
    host: &Host,
    items: &[Item],
    opts: &BatchOptions,
    ledger: Option<&Mutex<Ledger>>,
    progress: &dyn Progress,
    stop: &AtomicBool,
) -> Result<Totals, RunError> {
    let io = |e: std::io::Error| RunError::Io(format!("{}: {e}", opts.out_dir.display()));
    std::fs::create_dir_all(&opts.out_dir).map_err(io)?;
    let stamps = Journal::open(&opts.out_dir).map_err(|e| RunError::Io(format!("{}: {e}", opts.out_dir.join(stamps::FILE).display())))?;
    let ctx = Ctx { host, opts, ledger, environment: environment_digest(host), stamps };
    progress.start(items.len());
    let next = AtomicUsize::new(0);
    let outcomes: Mutex<Vec<Option<Outcome>>> = Mutex::new(vec![None; items.len()]);
    let jobs = opts.jobs.max(1).min(items.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| {
                loop {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(item) = items.get(i) else { break };
                    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run_item(&ctx, item)))
                        .unwrap_or_else(|_| Outcome::Failed("internal error (a panic); see the log".into()));
                    progress.item(item, &outcome);
                    outcomes.lock().expect("lock")[i] = Some(outcome);
                }
            });
        }
    });
    let outcomes = outcomes.into_inner().expect("lock");
    let mut totals = Totals { items: items.len(), ..Totals::default() };
    for o in &outcomes {
        match o {
            Some(Outcome::Done { conflicts, .. }) => {
                totals.evaluated += 1;
                totals.conflicts += conflicts;
            }
            Some(Outcome::Skipped) => totals.skipped += 1,
            Some(Outcome::Failed(_)) => totals.failed += 1,
            None => totals.not_run += 1,
        }
    }
    let first = summary::write(&opts.out_dir, items, &outcomes, &ctx.stamps)?;
    totals.first_failure_code = first;
    ctx.stamps.compact().map_err(|e| RunError::Io(format!("{}: {e}", opts.out_dir.join(stamps::FILE).display())))?;
    // The entities' files were written without a flush each: one for them all.
    crate::atomic::sync_folder(&opts.out_dir).map_err(io)?;
    Ok(totals)
}

/// Removes temporary files an earlier, killed run left in an entity's folder.
fn clean_partials(dir: &Path) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with(".lvyue-") && name.ends_with(".part") {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}

fn failure_rows(item: &Item, input: Option<&JobInput>, code: i32, error: &str) -> Vec<FailureRow> {
    // A request file names its jurisdiction inside: read it back for the failure row
    // (when the file itself is what failed, the jurisdiction stays empty).
    let from_request =
        |i: &JobInput| i.request.as_deref().and_then(|r| crate::input::request::RequestFile::read(r).ok()).map(|r| vec![r.jurisdiction]);
    let jurisdictions = input
        .and_then(|i| if i.jurisdictions.is_empty() { from_request(i) } else { Some(i.jurisdictions.clone()) })
        .filter(|j| !j.is_empty())
        .unwrap_or_else(|| vec![String::new()]);
    jurisdictions
        .into_iter()
        .map(|j| FailureRow {
            entity: item.entity.clone(),
            jurisdiction: j,
            year: item.label.clone(),
            exit_code: code,
            error: error.to_string(),
        })
        .collect()
}

/// Whether the item's blocks are recorded as surrendered: its own setting, else the batch's.
fn surrendered(ctx: &Ctx<'_>, item: &Item) -> bool {
    item.surrendered.unwrap_or(ctx.opts.surrendered)
}

fn write_stamp(ctx: &Ctx<'_>, p: &Paths, stamp: &Stamp) -> Result<(), RunError> {
    ctx.stamps.append(stamp).map_err(|e| RunError::Io(format!("{}: {e}", ctx.opts.out_dir.join(stamps::FILE).display())))?;
    // An earlier version's stamp file beside the outputs would only mislead.
    let _ = std::fs::remove_file(&p.old_stamp);
    Ok(())
}

fn run_item(ctx: &Ctx<'_>, item: &Item) -> Outcome {
    let p = paths(&ctx.opts.out_dir, item);
    // A folder made just now has no partial files of an earlier run to remove.
    if std::fs::create_dir(&p.dir).is_err() {
        if let Err(e) = std::fs::create_dir_all(&p.dir) {
            return Outcome::Failed(format!("{}: {e}", p.dir.display()));
        }
        clean_partials(&p.dir);
    }
    let fail = |input: Option<&JobInput>, digest: String, e: &RunError| {
        let stamp = Stamp {
            tool: crate::TOOL_VERSION.into(),
            entity: item.entity.clone(),
            label: item.label.clone(),
            digest,
            ledger: vec![],
            outputs: vec![],
            rows: vec![],
            failures: failure_rows(item, input, e.exit_code(), &e.to_string()),
        };
        // The stale outputs of an earlier success would contradict the summary.
        for old in [&p.workbook, &p.json] {
            let _ = std::fs::remove_file(old);
        }
        match write_stamp(ctx, &p, &stamp) {
            Ok(()) => Outcome::Failed(e.to_string()),
            Err(w) => Outcome::Failed(format!("{e}; and {w}")),
        }
    };
    let input = match &item.input {
        Ok(i) => i,
        Err(e) => return fail(None, String::new(), &RunError::Usage(e.clone())),
    };
    let (digest, read) = match item_digest(&ctx.environment, item, input, surrendered(ctx, item)) {
        Ok(d) => d,
        Err(e) => return fail(Some(input), String::new(), &e),
    };
    if !ctx.opts.force && unchanged(ctx, item, &p, &digest) {
        return Outcome::Skipped;
    }
    match evaluate_item(ctx, item, input, &p, &digest, &read) {
        Ok(o) => o,
        Err(e) => fail(Some(input), digest, &e),
    }
}

/// Whether an item's last result still stands: same digest, no failure, outputs in
/// place, and (with a ledger) each evaluation still the ledger's current one.
fn unchanged(ctx: &Ctx<'_>, item: &Item, p: &Paths, digest: &str) -> bool {
    let Some(stamp) = ctx.stamps.get(&item.entity, &item.label) else {
        return false;
    };
    if stamp.digest != digest || !stamp.failures.is_empty() || stamp.tool != crate::TOOL_VERSION {
        return false;
    }
    // Present and not empty (files are flushed at the end of a batch: a power cut
    // before that can leave a stamp beside an empty file).
    if !stamp.outputs.iter().all(|o| p.dir.join(o).metadata().is_ok_and(|m| m.is_file() && m.len() > 0)) {
        return false;
    }
    match ctx.ledger {
        None => true,
        Some(l) => {
            let l = l.lock().expect("lock");
            stamp.ledger.iter().all(|(j, y, d)| l.current_input_digest(&stamp.entity, j, *y).ok().flatten().as_deref() == Some(d.as_str()))
        }
    }
}

fn evaluate_item(ctx: &Ctx<'_>, item: &Item, input: &JobInput, p: &Paths, digest: &str, read: &ReadInputs) -> Result<Outcome, RunError> {
    let host = ctx.host;
    let mut loaded = job::load_with(host, input, read)?;
    let (mut reports, failures) = job::evaluate_all(host, &mut loaded, ctx.ledger.is_some())?;
    let mut ledger_stamps = Vec::new();
    let mut conflicts = Vec::with_capacity(reports.len());
    for report in &mut reports {
        let mut n = 0;
        if let Some(ledger) = ctx.ledger {
            let l = loaded
                .iter()
                .find(|l| l.jurisdiction == report.jurisdiction)
                .ok_or_else(|| RunError::Io("report without its input".into()))?;
            let mut ledger = ledger.lock().expect("lock");
            let recorded =
                crate::ledger::bridge::record_report(&mut ledger, host, &item.entity, "batch", surrendered(ctx, item), l, report)?;
            n = recorded.conflicts.len();
            let d = crate::ledger::bridge::input_digest(
                &item.entity,
                l,
                &report.plugin.component_sha256,
                &crate::ledger::bridge::rules_digest(report),
                surrendered(ctx, item),
            );
            ledger_stamps.push((report.jurisdiction.clone(), report.year, d));
        }
        conflicts.push(n);
    }
    drop(loaded); // the rows as read: not needed for the outputs
    let to = Outputs { workbook: Some(&p.workbook), json: Some(&p.json), render: None };
    let files = job::build_outputs(host, &reports, &failures, to)?;
    job::write_files_deferred(&files, None)?;
    let rows: Vec<Row> = reports.iter().zip(&conflicts).map(|(r, n)| summary_row(item, r, *n, &p.workbook)).collect();
    let failure_rows: Vec<FailureRow> = failures
        .iter()
        .map(|(j, e)| FailureRow {
            entity: item.entity.clone(),
            jurisdiction: j.clone(),
            year: item.label.clone(),
            exit_code: e.exit_code(),
            error: e.to_string(),
        })
        .collect();
    let outcome = Outcome::Done { rows: rows.len(), failures: failure_rows.len(), conflicts: conflicts.iter().sum() };
    let name = |f: &Path| f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let stamp = Stamp {
        tool: crate::TOOL_VERSION.into(),
        entity: item.entity.clone(),
        label: item.label.clone(),
        // A partial failure is evaluated again next time.
        digest: if failure_rows.is_empty() { digest.to_string() } else { String::new() },
        ledger: ledger_stamps,
        outputs: vec![name(&p.workbook), name(&p.json)],
        rows,
        failures: failure_rows,
    };
    write_stamp(ctx, p, &stamp)?;
    Ok(outcome)
}

/// The first metric among `keys` that the report has.
fn metric(r: &Report, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| r.metric(k).and_then(|m| m.value.clone()))
}

fn summary_row(item: &Item, r: &Report, conflicts: usize, workbook: &Path) -> Row {
    let count = |s: &str| r.findings.iter().filter(|f| f.severity.as_str() == s).count() as u32;
    Row {
        entity: item.entity.clone(),
        jurisdiction: r.jurisdiction.clone(),
        year: r.year.to_string(),
        obligation_t: metric(r, &["obligation_t"]),
        allocation_t: metric(r, &["allocation_t"]),
        allowances_held_t: metric(r, &["allowances_held_t"]),
        allowances_used_t: metric(r, &["allowances_used_t"]),
        offsets_held_t: metric(r, &["offsets_eligible_t"]),
        offsets_used_t: metric(r, &["offsets_used_t", "offsets_retired_t"]),
        shortfall_t: metric(r, &["shortfall_t", "gap_t"]),
        deadline: metric(r, &["surrender_deadline", "deadline"]),
        penalty_min_cny: metric(r, &["penalty_min_cny"]),
        penalty_max_cny: metric(r, &["penalty_max_cny"]),
        errors: count("error"),
        warnings: count("warning"),
        infos: count("info"),
        ledger_conflicts: conflicts as u32,
        status: crate::ledger::bridge::status(r),
        workbook: workbook.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_names() {
        assert_eq!(safe_name("甲公司/北京"), "甲公司_北京");
        assert_eq!(safe_name(".."), "_");
        assert_eq!(safe_name(" a:b? "), "a_b_");
        assert_eq!(safe_name(".hidden"), "_.hidden");
        assert_eq!(safe_name(""), "_");
    }
}
