//! The ledger file: SQLite (bundled), one transaction per recorded evaluation.
//!
//! Tables:
//!
//! - `evaluation`: one row per version of an entity-year in a jurisdiction; the newest
//!   has `superseded_by` NULL, each older one names the version that replaced it;
//! - `serial_key`: one row per range key (a serial prefix, a green certificate project,
//!   or a whole identifier) with `levels`, the set of size classes ever stored under it;
//! - `serial_use`: one row per serial block used, with its interval `[lo, hi]`, its size
//!   class `lvl` and `live` (1 while its evaluation is the current version).
//!
//! The interval index. A block of `hi − lo + 1` units is stored in size class
//! `lvl = bit length of (hi − lo)`, so every block of class `L` spans fewer than `2^L`
//! units. A block overlapping `[a, b]` in class `L` therefore starts in
//! `[a − (2^L − 1), b]`: for each class present under the key, one range scan of the
//! partial index `(key_id, lvl, lo, hi) WHERE live = 1`, then `hi ≥ a`. A scan reads
//! only blocks of comparable size that start near the new block, so the cost does not
//! grow with the ledger (one huge block under a key does not widen the window for the
//! small ones). SQLite's R*Tree module (enabled in the bundled build) stores
//! coordinates as 32-bit floats, which cannot hold 13-digit serial positions exactly;
//! this index is exact integer arithmetic in ordinary B-trees.
//!
//! Versions. Recording an entity-year that already has a current version with the same
//! digest writes nothing (a resumed batch does not create versions); a different digest
//! writes version n + 1, marks version n superseded and takes its serial uses out of the
//! live index (they stay in the history, for `ledger show` and `ledger diff`).

use std::collections::HashMap;
use std::path::Path;

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::serial::{self, Form, Note, SerialRange};
use super::{Check, ClaimKind, Conflict, EarlierUse, EvaluationRecord, NewUse, Recorded, SerialNote, UseStatus};

/// `PRAGMA application_id` of a ledger file ("LVYL").
const APPLICATION_ID: i64 = 0x4C56_594C;
const SCHEMA_VERSION: i64 = 1;

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("ledger database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("{0} is an SQLite file but not an lvyue ledger")]
    NotALedger(String),
    #[error("{path} was written by a newer lvyue (ledger schema {found}, this version reads {SCHEMA_VERSION})")]
    NewerSchema { path: String, found: i64 },
    #[error("{0}")]
    NotFound(String),
    #[error("ledger export: {0}")]
    Io(#[from] std::io::Error),
    #[error("ledger export: {0}")]
    Export(String),
    #[error("ledger data: {0}")]
    Data(String),
}

pub type Result<T> = std::result::Result<T, LedgerError>;

const SCHEMA: &str = r#"
CREATE TABLE evaluation (
    id              INTEGER PRIMARY KEY,
    entity          TEXT NOT NULL,
    jurisdiction    TEXT NOT NULL,
    year            INTEGER NOT NULL,
    version         INTEGER NOT NULL,
    superseded_by   INTEGER REFERENCES evaluation(id),
    recorded_at     TEXT NOT NULL,
    source          TEXT NOT NULL,
    input_digest    TEXT NOT NULL,
    digest          TEXT NOT NULL,
    inputs          TEXT NOT NULL,
    options         TEXT NOT NULL,
    plugin_id       TEXT NOT NULL,
    plugin_version  TEXT NOT NULL,
    plugin_sha256   TEXT NOT NULL,
    rules_sha256    TEXT NOT NULL,
    metrics         TEXT NOT NULL,
    errors          INTEGER NOT NULL,
    warnings        INTEGER NOT NULL,
    infos           INTEGER NOT NULL,
    status          TEXT NOT NULL,
    UNIQUE (entity, jurisdiction, year, version)
);
CREATE UNIQUE INDEX evaluation_current ON evaluation (entity, jurisdiction, year) WHERE superseded_by IS NULL;
CREATE TABLE serial_key (
    id      INTEGER PRIMARY KEY,
    key     TEXT NOT NULL UNIQUE,
    kind    TEXT NOT NULL,
    levels  INTEGER NOT NULL
);
CREATE TABLE serial_use (
    id              INTEGER PRIMARY KEY,
    evaluation_id   INTEGER NOT NULL REFERENCES evaluation(id),
    key_id          INTEGER NOT NULL REFERENCES serial_key(id),
    lvl             INTEGER NOT NULL,
    lo              INTEGER NOT NULL,
    hi              INTEGER NOT NULL,
    live            INTEGER NOT NULL,
    status          TEXT NOT NULL,
    claim           TEXT NOT NULL,
    serial          TEXT NOT NULL,
    quantity        TEXT NOT NULL,
    used            TEXT NOT NULL,
    unit            TEXT NOT NULL,
    instrument      TEXT NOT NULL,
    tbl             TEXT NOT NULL,
    row_ref         TEXT NOT NULL,
    cell            TEXT NOT NULL,
    new_forestry    INTEGER NOT NULL
);
CREATE INDEX serial_use_live ON serial_use (key_id, lvl, lo, hi) WHERE live = 1;
CREATE INDEX serial_use_evaluation ON serial_use (evaluation_id);
CREATE TABLE size_class (
    lvl     INTEGER PRIMARY KEY,
    reach   INTEGER NOT NULL
);
INSERT INTO size_class (lvl, reach)
    WITH RECURSIVE c(l) AS (SELECT 0 UNION ALL SELECT l + 1 FROM c WHERE l < 63)
    SELECT l, CASE l WHEN 63 THEN 9223372036854775807 ELSE (1 << l) - 1 END FROM c;
"#;

/// An open ledger file.
pub struct Ledger {
    conn: Connection,
    path: String,
}

/// One evaluation as listed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvaluationRow {
    pub id: i64,
    pub entity: String,
    pub jurisdiction: String,
    pub year: u16,
    pub version: i64,
    pub superseded_by: Option<i64>,
    pub recorded_at: String,
    pub source: String,
    pub input_digest: String,
    pub plugin_id: String,
    pub plugin_version: String,
    pub plugin_sha256: String,
    pub rules_sha256: String,
    pub errors: u32,
    pub warnings: u32,
    pub infos: u32,
    pub status: String,
    pub uses: u64,
}

/// One evaluation with everything it recorded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvaluationDetail {
    pub row: EvaluationRow,
    pub inputs: Vec<(String, String)>,
    pub options: Vec<(String, String)>,
    pub metrics: Vec<(String, Option<String>, String)>,
    pub uses: Vec<UseRow>,
}

/// One recorded serial use.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UseRow {
    pub id: i64,
    pub evaluation_id: i64,
    /// The use as the evaluation gave it (its fields are this row's in the JSON).
    #[serde(flatten)]
    pub recorded: NewUse,
    /// The serial's range key and units, as the index holds them.
    pub key: String,
    pub first: u64,
    pub last: u64,
    /// Whether the evaluation is the entity-year's current version.
    pub live: bool,
}

/// Which evaluations to list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub entity: Option<String>,
    pub jurisdiction: Option<String>,
    pub year: Option<u16>,
    /// Superseded versions too.
    pub all_versions: bool,
}

/// The size class of a block `[first, last]`: the bit length of `last − first`.
pub fn level(first: u64, last: u64) -> u32 {
    64 - (last - first).leading_zeros()
}

impl Ledger {
    /// Opens (or creates) a ledger file.
    pub fn open(path: &Path) -> Result<Ledger> {
        let conn = Connection::open(path)?;
        Self::init(conn, path.display().to_string())
    }

    /// A ledger in memory (tests).
    #[cfg(test)]
    pub(crate) fn open_in_memory() -> Result<Ledger> {
        Self::init(Connection::open_in_memory()?, ":memory:".into())
    }

    fn init(mut conn: Connection, path: String) -> Result<Ledger> {
        conn.busy_timeout(std::time::Duration::from_secs(60))?;
        // WAL: readers do not block the writer; a killed process loses at most the
        // transaction it had not committed.
        let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        // A 64 MiB page cache and memory-mapped reads: the overlap search touches a few
        // index pages per serial, and a large ledger's upper index levels stay in memory.
        conn.execute_batch(
            "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA cache_size = -65536; PRAGMA mmap_size = 1073741824;",
        )?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let app: i64 = tx.query_row("PRAGMA application_id", [], |r| r.get(0))?;
        let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let tables: i64 = tx.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))?;
        if app == 0 && version == 0 && tables == 0 {
            tx.execute_batch(SCHEMA)?;
            tx.execute_batch(&format!("PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {SCHEMA_VERSION};"))?;
        } else if app != APPLICATION_ID {
            return Err(LedgerError::NotALedger(path));
        } else if version > SCHEMA_VERSION {
            return Err(LedgerError::NewerSchema { path, found: version });
        }
        tx.commit()?;
        conn.execute_batch(
            "CREATE TEMP TABLE probe (i INTEGER PRIMARY KEY, key TEXT NOT NULL, lo INTEGER NOT NULL, hi INTEGER NOT NULL);",
        )?;
        Ok(Ledger { conn, path })
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    /// The input digest of the current version of an entity-year, if any.
    pub(crate) fn current_input_digest(&self, entity: &str, jurisdiction: &str, year: u16) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                "SELECT input_digest FROM evaluation WHERE entity = ?1 AND jurisdiction = ?2 AND year = ?3 AND superseded_by IS NULL",
                params![entity, jurisdiction, year],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Records an evaluation and returns its overlaps with earlier uses, in one
    /// transaction: a concurrent writer waits, so of two evaluations using the same
    /// block the second always sees the first.
    pub fn record(&mut self, rec: &EvaluationRecord) -> Result<Recorded> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let recorded = record_in(&tx, rec, true)?;
        tx.commit()?;
        Ok(recorded)
    }

    /// Records evaluations without searching for overlaps, in one transaction: for
    /// loading a history already known to be consistent (the benchmark's ten million
    /// blocks). Versions and supersession work as in [`Ledger::record`].
    pub fn record_unchecked(&mut self, recs: &[EvaluationRecord]) -> Result<Vec<Recorded>> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = recs.iter().map(|rec| record_in(&tx, rec, false)).collect::<Result<Vec<_>>>()?;
        tx.commit()?;
        Ok(out)
    }

    /// The overlaps the uses would have with the live uses of other entity-years (and
    /// among themselves), without recording anything.
    pub fn check(&self, entity: &str, jurisdiction: &str, year: u16, uses: &[NewUse]) -> Result<(Vec<Conflict>, Vec<SerialNote>)> {
        let parsed = parse_uses(uses);
        let mut conflicts = internal_conflicts(entity, jurisdiction, year, uses, &parsed);
        conflicts.extend(find_conflicts(&self.conn, entity, jurisdiction, year, uses, &parsed)?);
        Ok((conflicts, notes(uses, &parsed)))
    }

    /// The current overlaps of a recorded evaluation's uses with the live uses of other
    /// entity-years.
    pub fn conflicts_of(&self, evaluation_id: i64) -> Result<Vec<Conflict>> {
        let d = self.show(evaluation_id)?;
        let uses: Vec<NewUse> = d.uses.iter().map(|u| u.recorded.clone()).collect();
        Ok(self.check(&d.row.entity, &d.row.jurisdiction, d.row.year, &uses)?.0)
    }

    /// Evaluations, newest first within an entity-year.
    pub fn list(&self, f: &Filter) -> Result<Vec<EvaluationRow>> {
        let mut sql = format!("{EVALUATION_SELECT} WHERE 1 = 1");
        let mut args: Vec<rusqlite::types::Value> = Vec::new();
        if let Some(e) = &f.entity {
            args.push(e.clone().into());
            sql += &format!(" AND e.entity = ?{}", args.len());
        }
        if let Some(j) = &f.jurisdiction {
            args.push(j.clone().into());
            sql += &format!(" AND e.jurisdiction = ?{}", args.len());
        }
        if let Some(y) = f.year {
            args.push(i64::from(y).into());
            sql += &format!(" AND e.year = ?{}", args.len());
        }
        if !f.all_versions {
            sql += " AND e.superseded_by IS NULL";
        }
        sql += " ORDER BY e.entity, e.jurisdiction, e.year, e.version DESC";
        let mut st = self.conn.prepare(&sql)?;
        let rows = st.query_map(rusqlite::params_from_iter(args), evaluation_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// All versions of an entity-year, oldest first.
    pub fn versions(&self, entity: &str, jurisdiction: &str, year: u16) -> Result<Vec<EvaluationRow>> {
        let mut st = self
            .conn
            .prepare(&format!("{EVALUATION_SELECT} WHERE e.entity = ?1 AND e.jurisdiction = ?2 AND e.year = ?3 ORDER BY e.version"))?;
        let rows = st.query_map(params![entity, jurisdiction, year], evaluation_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// One evaluation with its inputs, metrics and uses.
    pub fn show(&self, id: i64) -> Result<EvaluationDetail> {
        let row = self
            .conn
            .query_row(&format!("{EVALUATION_SELECT} WHERE e.id = ?1"), [id], evaluation_row)
            .optional()?
            .ok_or_else(|| LedgerError::NotFound(format!("no evaluation #{id} in the ledger")))?;
        let (inputs, options, metrics): (String, String, String) =
            self.conn.query_row("SELECT inputs, options, metrics FROM evaluation WHERE id = ?1", [id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?;
        let bad = |s: &str| LedgerError::Data(format!("evaluation #{id}: {s}"));
        Ok(EvaluationDetail {
            row,
            inputs: serde_json::from_str(&inputs).map_err(|e| bad(&e.to_string()))?,
            options: serde_json::from_str(&options).map_err(|e| bad(&e.to_string()))?,
            metrics: serde_json::from_str(&metrics).map_err(|e| bad(&e.to_string()))?,
            uses: self.uses_of(id)?,
        })
    }

    /// The uses recorded by an evaluation, in input order.
    pub(crate) fn uses_of(&self, evaluation_id: i64) -> Result<Vec<UseRow>> {
        let mut st = self.conn.prepare_cached(&format!("{USE_SELECT} WHERE u.evaluation_id = ?1 ORDER BY u.id"))?;
        let rows = st.query_map([evaluation_id], use_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Counts: (evaluations, current evaluations, serial uses, live serial uses).
    pub fn counts(&self) -> Result<(u64, u64, u64, u64)> {
        Ok(self.conn.query_row(
            "SELECT (SELECT count(*) FROM evaluation), (SELECT count(*) FROM evaluation WHERE superseded_by IS NULL),
                    (SELECT count(*) FROM serial_use), (SELECT count(*) FROM serial_use WHERE live = 1)",
            [],
            |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64, r.get::<_, i64>(2)? as u64, r.get::<_, i64>(3)? as u64)),
        )?)
    }
}

const EVALUATION_SELECT: &str =
    "SELECT e.id, e.entity, e.jurisdiction, e.year, e.version, e.superseded_by, e.recorded_at, e.source, e.input_digest,
        e.plugin_id, e.plugin_version, e.plugin_sha256, e.rules_sha256, e.errors, e.warnings, e.infos, e.status,
        (SELECT count(*) FROM serial_use u WHERE u.evaluation_id = e.id)
    FROM evaluation e";

fn evaluation_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<EvaluationRow> {
    Ok(EvaluationRow {
        id: r.get(0)?,
        entity: r.get(1)?,
        jurisdiction: r.get(2)?,
        year: r.get(3)?,
        version: r.get(4)?,
        superseded_by: r.get(5)?,
        recorded_at: r.get(6)?,
        source: r.get(7)?,
        input_digest: r.get(8)?,
        plugin_id: r.get(9)?,
        plugin_version: r.get(10)?,
        plugin_sha256: r.get(11)?,
        rules_sha256: r.get(12)?,
        errors: r.get(13)?,
        warnings: r.get(14)?,
        infos: r.get(15)?,
        status: r.get(16)?,
        uses: r.get::<_, i64>(17)? as u64,
    })
}

const USE_SELECT: &str = "SELECT u.id, u.evaluation_id, u.serial, k.key, u.lo, u.hi, u.quantity, u.unit, u.instrument, u.status, u.claim,
        u.tbl, u.row_ref, u.cell, u.new_forestry, u.live, u.used
    FROM serial_use u JOIN serial_key k ON k.id = u.key_id";

fn use_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<UseRow> {
    let status: String = r.get(9)?;
    let claim: String = r.get(10)?;
    Ok(UseRow {
        id: r.get(0)?,
        evaluation_id: r.get(1)?,
        recorded: NewUse {
            serial: r.get(2)?,
            quantity: r.get(6)?,
            used: r.get(16)?,
            unit: r.get(7)?,
            instrument: r.get(8)?,
            status: UseStatus::parse(&status).ok_or_else(|| bad_text(9, &status))?,
            claim: ClaimKind::parse(&claim).ok_or_else(|| bad_text(10, &claim))?,
            table: r.get(11)?,
            row: r.get(12)?,
            cell: r.get(13)?,
            new_forestry: r.get(14)?,
        },
        key: r.get(3)?,
        first: r.get::<_, i64>(4)? as u64,
        last: r.get::<_, i64>(5)? as u64,
        live: r.get(15)?,
    })
}

fn bad_text(col: usize, s: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(col, rusqlite::types::Type::Text, format!("unknown value {s:?}").into())
}

type Parsed = Vec<Option<(SerialRange, Option<Note>)>>;

fn parse_uses(uses: &[NewUse]) -> Parsed {
    uses.iter().map(|u| serial::parse(&u.serial, u.whole_quantity())).collect()
}

fn notes(uses: &[NewUse], parsed: &Parsed) -> Vec<SerialNote> {
    parsed
        .iter()
        .enumerate()
        .filter_map(|(i, p)| {
            let note = p.as_ref()?.1.as_ref()?;
            Some(SerialNote {
                new_index: i,
                serial: uses[i].serial.clone(),
                cell: uses[i].cell.clone(),
                span_and_quantity: match note {
                    Note::SpanDisagreesWithQuantity { span, quantity } => Some((*span, *quantity)),
                    Note::RangeEndsDiffer => None,
                },
            })
        })
        .collect()
}

/// The digest of what a version records: the caller's input digest and the uses.
fn record_digest(rec: &EvaluationRecord) -> String {
    let mut h = Sha256::new();
    h.update(rec.input_digest.as_bytes());
    h.update([0]);
    h.update(serde_json::to_vec(&rec.uses).unwrap_or_default());
    hex::encode(h.finalize())
}

fn record_in(tx: &Transaction<'_>, rec: &EvaluationRecord, check: bool) -> Result<Recorded> {
    let parsed = parse_uses(&rec.uses);
    let mut conflicts = Vec::new();
    if check {
        conflicts = internal_conflicts(&rec.entity, &rec.jurisdiction, rec.year, &rec.uses, &parsed);
        conflicts.extend(find_conflicts(tx, &rec.entity, &rec.jurisdiction, rec.year, &rec.uses, &parsed)?);
    }
    let notes = notes(&rec.uses, &parsed);
    let uses = parsed.iter().filter(|p| p.is_some()).count();
    let digest = record_digest(rec);
    let current: Option<(i64, i64, String)> = tx
        .prepare_cached(
            "SELECT id, version, digest FROM evaluation WHERE entity = ?1 AND jurisdiction = ?2 AND year = ?3 AND superseded_by IS NULL",
        )?
        .query_row(params![rec.entity, rec.jurisdiction, rec.year], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    if let Some((id, version, d)) = &current
        && *d == digest
    {
        return Ok(Recorded { evaluation_id: *id, version: *version, supersedes: None, unchanged: true, uses, conflicts, notes });
    }
    let version = current.as_ref().map_or(1, |c| c.1 + 1);
    // The ledger's own findings join the report's (`bridge::findings`: an error per
    // overlap, a note per serial not read as a range), so the counts and the status
    // recorded are those of the report the user receives.
    let errors = rec.findings[0] + conflicts.len() as u32;
    let infos = rec.findings[2] + notes.len() as u32;
    let status = if conflicts.is_empty() { rec.status.as_str() } else { "errors" };
    let now = time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
    if let Some((prev, _, _)) = &current {
        // The partial unique index allows one current version: the old one points at
        // itself until the new one has an id.
        tx.prepare_cached("UPDATE evaluation SET superseded_by = id WHERE id = ?1")?.execute([prev])?;
        tx.prepare_cached("UPDATE serial_use SET live = 0 WHERE evaluation_id = ?1")?.execute([prev])?;
    }
    tx.prepare_cached(
        "INSERT INTO evaluation (entity, jurisdiction, year, version, recorded_at, source, input_digest, digest, inputs, options,
             plugin_id, plugin_version, plugin_sha256, rules_sha256, metrics, errors, warnings, infos, status)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
    )?
    .execute(params![
        rec.entity,
        rec.jurisdiction,
        rec.year,
        version,
        now,
        rec.source,
        rec.input_digest,
        digest,
        json(&rec.inputs),
        json(&rec.options),
        rec.plugin_id,
        rec.plugin_version,
        rec.plugin_sha256,
        rec.rules_sha256,
        json(&rec.metrics),
        errors,
        rec.findings[1],
        infos,
        status,
    ])?;
    let id = tx.last_insert_rowid();
    if let Some((prev, _, _)) = &current {
        tx.prepare_cached("UPDATE evaluation SET superseded_by = ?1 WHERE id = ?2")?.execute(params![id, prev])?;
    }
    let mut keys: HashMap<String, (i64, i64, i64)> = HashMap::new(); // key -> (id, stored levels, levels)
    let mut insert = tx.prepare_cached(
        "INSERT INTO serial_use (evaluation_id, key_id, lvl, lo, hi, live, status, claim, serial, quantity, used, unit, instrument, tbl, row_ref, cell, new_forestry)
         VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
    )?;
    for (u, p) in rec.uses.iter().zip(&parsed) {
        let Some((range, _)) = p else { continue };
        let lvl = level(range.first, range.last);
        let entry = match keys.get_mut(&range.key) {
            Some(e) => e,
            None => {
                let found: Option<(i64, i64)> = tx
                    .prepare_cached("SELECT id, levels FROM serial_key WHERE key = ?1")?
                    .query_row([&range.key], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()?;
                let (kid, levels) = match found {
                    Some(f) => f,
                    None => {
                        tx.prepare_cached("INSERT INTO serial_key (key, kind, levels) VALUES (?1, ?2, 0)")?
                            .execute(params![range.key, range.kind])?;
                        (tx.last_insert_rowid(), 0)
                    }
                };
                keys.entry(range.key.clone()).or_insert((kid, levels, levels))
            }
        };
        entry.2 |= 1 << lvl;
        insert.execute(params![
            id,
            entry.0,
            lvl,
            range.first as i64,
            range.last as i64,
            u.status.as_str(),
            u.claim.as_str(),
            u.serial,
            u.quantity,
            u.used,
            u.unit,
            u.instrument,
            u.table,
            u.row,
            u.cell,
            u.new_forestry,
        ])?;
    }
    for (kid, stored, levels) in keys.values() {
        if stored != levels {
            tx.prepare_cached("UPDATE serial_key SET levels = ?1 WHERE id = ?2")?.execute(params![levels, kid])?;
        }
    }
    Ok(Recorded { evaluation_id: id, version, supersedes: current.map(|c| c.0), unchanged: false, uses, conflicts, notes })
}

/// JSON text of a recorded field (plain strings and numbers: serialisation cannot fail).
fn json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// Which check a pair of uses falls under.
fn classify(new: &NewUse, entity: &str, year: u16, e: &EarlierUse) -> Check {
    if new.new_forestry || e.new_forestry {
        Check::Dc19
    } else if new.claim != e.claim || (e.entity == entity && e.year == year) {
        // Two kinds of claim, or one entity's compliance in two jurisdictions in one year.
        Check::Dc17
    } else {
        Check::Dc03
    }
}

/// Overlaps with live uses of other entity-years, through the interval index.
fn find_conflicts(
    conn: &Connection,
    entity: &str,
    jurisdiction: &str,
    year: u16,
    uses: &[NewUse],
    parsed: &Parsed,
) -> Result<Vec<Conflict>> {
    // The new ranges go to a temporary table and one statement joins them to the index:
    // for each probe, its key, the size classes present under it, and in each class the
    // blocks starting in the window. CROSS JOIN keeps SQLite to that order.
    conn.execute("DELETE FROM temp.probe", [])?;
    {
        let mut ins = conn.prepare_cached("INSERT INTO temp.probe (i, key, lo, hi) VALUES (?1, ?2, ?3, ?4)")?;
        for (i, p) in parsed.iter().enumerate() {
            if let Some((range, _)) = p {
                ins.execute(params![i as i64, range.key, range.first as i64, range.last as i64])?;
            }
        }
    }
    let mut out = Vec::new();
    let mut scan = conn.prepare_cached(
        "SELECT p.i, u.id, u.lo, u.hi, u.evaluation_id, e.version, e.entity, e.jurisdiction, e.year, u.status, u.claim,
                u.serial, u.quantity, u.unit, u.tbl, u.row_ref, u.new_forestry, u.used
         FROM temp.probe p
         CROSS JOIN serial_key k ON k.key = p.key
         CROSS JOIN size_class c ON (k.levels >> c.lvl) & 1 = 1
         CROSS JOIN serial_use u ON u.live = 1 AND u.key_id = k.id AND u.lvl = c.lvl
                              AND u.lo BETWEEN p.lo - c.reach AND p.hi AND u.hi >= p.lo
         CROSS JOIN evaluation e ON e.id = u.evaluation_id
         WHERE NOT (e.entity = ?1 AND e.jurisdiction = ?2 AND e.year = ?3)",
    )?;
    let mut rows = scan.query(params![entity, jurisdiction, year])?;
    while let Some(r) = rows.next()? {
        let i = r.get::<_, i64>(0)? as usize;
        let Some((range, _)) = &parsed[i] else {
            continue;
        };
        let (lo, hi): (i64, i64) = (r.get(2)?, r.get(3)?);
        let status: String = r.get(9)?;
        let claim: String = r.get(10)?;
        let earlier = EarlierUse {
            use_id: r.get(1)?,
            evaluation_id: r.get(4)?,
            version: r.get(5)?,
            entity: r.get(6)?,
            jurisdiction: r.get(7)?,
            year: r.get(8)?,
            status: UseStatus::parse(&status).ok_or_else(|| bad_text(9, &status))?,
            claim: ClaimKind::parse(&claim).ok_or_else(|| bad_text(10, &claim))?,
            serial: r.get(11)?,
            quantity: r.get(12)?,
            unit: r.get(13)?,
            table: r.get(14)?,
            row: r.get(15)?,
            new_forestry: r.get(16)?,
            used: r.get(17)?,
        };
        let (a, b) = (range.first.max(lo as u64), range.last.min(hi as u64));
        out.push(conflict(i, &uses[i], range, a, b, classify(&uses[i], entity, year, &earlier), earlier));
    }
    drop(rows);
    conn.execute("DELETE FROM temp.probe", [])?;
    out.sort_by_key(|c| (c.new_index, c.earlier.use_id));
    Ok(out)
}

fn conflict(i: usize, u: &NewUse, range: &SerialRange, a: u64, b: u64, check: Check, earlier: EarlierUse) -> Conflict {
    Conflict {
        check,
        new_index: i,
        new_serial: u.serial.clone(),
        new_status: u.status,
        new_claim: u.claim,
        new_row: u.row.clone(),
        new_cell: u.cell.clone(),
        shared: match range.form {
            Form::Identifier => u.serial.clone(),
            _ => range.describe_span(a, b),
        },
        shared_units: if range.form == Form::Identifier { 1 } else { b - a + 1 },
        earlier,
    }
}

/// Overlaps between rows of one evaluation: sorted by key and start, a sweep keeps
/// the blocks still open. The later row is the new use, the earlier row the other.
fn internal_conflicts(entity: &str, jurisdiction: &str, year: u16, uses: &[NewUse], parsed: &Parsed) -> Vec<Conflict> {
    let mut order: Vec<(usize, &SerialRange)> = parsed.iter().enumerate().filter_map(|(i, p)| Some((i, &p.as_ref()?.0))).collect();
    order.sort_by(|a, b| (&a.1.key, a.1.first, a.0).cmp(&(&b.1.key, b.1.first, b.0)));
    let mut out = Vec::new();
    let mut open: Vec<(usize, &SerialRange)> = Vec::new();
    for (i, r) in order {
        open.retain(|(_, o)| o.key == r.key && o.last >= r.first);
        for &(j, o) in &open {
            let (a, b) = (r.first.max(o.first), r.last.min(o.last));
            let ((first, _), (second, second_range)) = if j < i { ((j, o), (i, r)) } else { ((i, r), (j, o)) };
            let e = &uses[first];
            let earlier = EarlierUse {
                use_id: 0,
                evaluation_id: 0,
                version: 0,
                entity: entity.to_string(),
                jurisdiction: jurisdiction.to_string(),
                year,
                status: e.status,
                claim: e.claim,
                serial: e.serial.clone(),
                quantity: e.quantity.clone(),
                used: e.used.clone(),
                unit: e.unit.clone(),
                table: e.table.clone(),
                row: e.row.clone(),
                new_forestry: e.new_forestry,
            };
            let check = if uses[second].new_forestry || e.new_forestry { Check::Dc19 } else { Check::Dc03 };
            out.push(conflict(second, &uses[second], second_range, a, b, check, earlier));
        }
        open.push((i, r));
    }
    out.sort_by_key(|c| c.new_index);
    out
}
