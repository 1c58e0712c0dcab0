//! `lvyue ledger`: what the ledger holds: evaluations, their serial uses, the
//! corrections between versions, and an export.

use std::path::PathBuf;

use lvyue::host::{RunError, exit};
use lvyue::ledger::store::{EvaluationRow, Filter};
use lvyue::ledger::{Ledger, diff, export};

#[derive(clap::Args)]
pub(crate) struct Args {
    /// The ledger file (SQLite), as given to `evaluate --ledger` or `batch --ledger`.
    #[arg(long, value_name = "FILE", global = true)]
    ledger: Option<PathBuf>,
    #[command(subcommand)]
    action: Action,
}

/// An entity, jurisdiction and year, each optional.
#[derive(clap::Args)]
struct EntityYear {
    /// Only this entity.
    #[arg(long)]
    entity: Option<String>,
    /// Only this jurisdiction.
    #[arg(long, short = 'j')]
    jurisdiction: Option<String>,
    /// Only this year.
    #[arg(long)]
    year: Option<u16>,
}

#[derive(clap::Args)]
struct Which {
    #[command(flatten)]
    key: EntityYear,
    /// Superseded versions too.
    #[arg(long)]
    all: bool,
}

impl Which {
    fn filter(&self) -> Filter {
        let k = &self.key;
        Filter { entity: k.entity.clone(), jurisdiction: k.jurisdiction.clone(), year: k.year, all_versions: self.all }
    }
}

#[derive(clap::Subcommand)]
enum Action {
    /// The evaluations recorded (the current version of each entity-year).
    List {
        #[command(flatten)]
        which: Which,
    },
    /// One evaluation: inputs, plugin, rules, metrics, serial uses and their overlaps
    /// with other entity-years' live uses now.
    Show {
        /// The evaluation number (from `ledger list`).
        id: i64,
        /// As JSON.
        #[arg(long)]
        json: bool,
    },
    /// What changed between two versions of an entity-year (by default the last two),
    /// or between two evaluation numbers.
    Diff {
        /// Two evaluation numbers, or none with --entity/--jurisdiction/--year.
        ids: Vec<i64>,
        #[command(flatten)]
        key: EntityYear,
        /// Version to compare from [default: the one before --to].
        #[arg(long)]
        from: Option<i64>,
        /// Version to compare to [default: the current one].
        #[arg(long)]
        to: Option<i64>,
    },
    /// Write the ledger to FILE: .csv (a row per serial use) or .xlsx (evaluations,
    /// metrics, serial uses).
    Export {
        file: PathBuf,
        #[command(flatten)]
        which: Which,
    },
}

fn io(e: impl std::fmt::Display) -> RunError {
    RunError::Io(e.to_string())
}

fn header() {
    outln!(
        "{:>6}  {:<24} {:<18} {:>4} {:>3}  {:<9} {:>5} {:>5} {:>5} {:>5}  recorded",
        "#",
        "entity",
        "jurisdiction",
        "year",
        "v",
        "status",
        "err",
        "warn",
        "info",
        "uses"
    );
}

fn line(e: &EvaluationRow) {
    outln!(
        "{:>6}  {:<24} {:<18} {:>4} {:>3}  {:<9} {:>5} {:>5} {:>5} {:>5}  {}{}",
        e.id,
        e.entity,
        e.jurisdiction,
        e.year,
        e.version,
        e.status,
        e.errors,
        e.warnings,
        e.infos,
        e.uses,
        e.recorded_at,
        e.superseded_by.map(|s| format!("  (superseded by #{s})")).unwrap_or_default()
    );
}

pub(crate) fn run(a: &Args) -> Result<i32, RunError> {
    let path = a.ledger.as_ref().ok_or_else(|| RunError::Usage("give the ledger file: lvyue ledger --ledger FILE …".into()))?;
    if !path.is_file() {
        return Err(RunError::Usage(format!("{}: no such ledger file", path.display())));
    }
    let ledger = Ledger::open(path).map_err(io)?;
    match &a.action {
        Action::List { which } => {
            let rows = ledger.list(&which.filter()).map_err(io)?;
            header();
            for e in &rows {
                line(e);
            }
            let (all, current, uses, live) = ledger.counts().map_err(io)?;
            outln!(
                "\n{} shown; the ledger holds {all} evaluation(s) ({current} current) and {uses} serial use(s) ({live} live)",
                rows.len()
            );
        }
        Action::Show { id, json } => {
            let d = ledger.show(*id).map_err(io)?;
            let conflicts = ledger.conflicts_of(*id).map_err(io)?;
            if *json {
                let v = serde_json::json!({ "evaluation": d, "overlaps": conflicts });
                outln!("{}", serde_json::to_string_pretty(&v).map_err(io)?);
                return Ok(exit::OK);
            }
            let r = &d.row;
            header();
            line(r);
            outln!("\nplugin   {} {} (sha256 {})", r.plugin_id, r.plugin_version, r.plugin_sha256);
            outln!("rules    sha256 {}", r.rules_sha256);
            outln!("source   {}", r.source);
            for (p, sha) in &d.inputs {
                outln!("input    {p} (sha256 {sha})");
            }
            for (k, v) in &d.options {
                outln!("option   {k} = {v}");
            }
            outln!("\n{:<32} {:>18}  unit", "metric", "value");
            for (k, v, u) in &d.metrics {
                outln!("{k:<32} {:>18}  {u}", v.as_deref().unwrap_or("—"));
            }
            outln!("\nserial uses ({}):", d.uses.len());
            for row in &d.uses {
                let u = &row.recorded;
                outln!(
                    "  {} [{}–{}] {} {} {} ({}), {}{}",
                    u.serial,
                    row.first,
                    row.last,
                    u.used,
                    u.unit,
                    u.status.as_str(),
                    u.claim.as_str(),
                    u.row,
                    if row.live { "" } else { "  (superseded)" }
                );
            }
            if !conflicts.is_empty() {
                outln!("\noverlaps with other entity-years now ({}):", conflicts.len());
                for c in &conflicts {
                    outln!("  [{}] {}", c.check.reference(), c.messages(&r.entity, &r.jurisdiction, r.year).1);
                }
            }
        }
        Action::Diff { ids, key, from, to } => {
            let (a_id, b_id) = match (ids.as_slice(), &key.entity, &key.jurisdiction, &key.year) {
                ([x, y], None, None, None) => (*x, *y),
                ([], Some(e), Some(j), Some(y)) => {
                    let versions = ledger.versions(e, j, *y).map_err(io)?;
                    let find = |v: i64| {
                        versions
                            .iter()
                            .find(|r| r.version == v)
                            .map(|r| r.id)
                            .ok_or_else(|| RunError::Usage(format!("{e} {j} {y} has no version {v}")))
                    };
                    let last = versions.last().ok_or_else(|| RunError::Usage(format!("the ledger has no evaluation of {e} {j} {y}")))?;
                    let to_v = to.unwrap_or(last.version);
                    let from_v = from.unwrap_or(to_v - 1);
                    (find(from_v)?, find(to_v)?)
                }
                _ => {
                    return Err(RunError::Usage("give two evaluation numbers, or --entity, --jurisdiction and --year".into()));
                }
            };
            let changes = diff::diff(&ledger, a_id, b_id).map_err(io)?;
            outln!("#{a_id} → #{b_id}: {} change(s)", changes.len());
            for c in &changes {
                outln!("  {c}");
            }
        }
        Action::Export { file, which } => {
            let ext = file.extension().and_then(|e| e.to_str()).map(|e| e.to_ascii_lowercase());
            let n = match ext.as_deref() {
                Some("csv") => export::export_csv(&ledger, &which.filter(), file).map_err(io)?,
                Some("xlsx") => export::export_xlsx(&ledger, &which.filter(), file).map_err(io)?,
                _ => {
                    return Err(RunError::Usage(format!("{}: export to a .csv or .xlsx file", file.display())));
                }
            };
            outln!("wrote {} ({n} row(s))", file.display());
        }
    }
    Ok(exit::OK)
}
