//! The ledger (`--ledger FILE`): a SQLite file that remembers every evaluation and
//! every serial block it planned to surrender, surrendered or retired, so that a later
//! evaluation sees the same credit used a second time, by another entity, in another
//! year or for another claim (double counting DC-03, DC-17, DC-19).
//!
//! - [`serial`]: serial text read as ranges (CCER blocks, 32-digit green certificate
//!   codes, identifiers);
//! - [`store`]: the SQLite schema, the interval index, versions and supersession, and
//!   the overlap search, one transaction per evaluation;
//! - [`diff`]: what changed between two versions of an entity-year;
//! - [`export`]: the ledger as CSV or as a workbook;
//! - [`bridge`]: an evaluation's serial uses (from its input and the plugin's
//!   decisions), its record, and the ledger's findings joined to its report.
//!
//! Only [`bridge`] knows the rest of the crate: the ledger itself stores records and
//! answers with [`Conflict`]s.

pub mod bridge;
pub mod diff;
pub mod export;
pub mod serial;
pub mod store;
#[cfg(test)]
mod tests;

pub use store::{Ledger, LedgerError};

use serde::Serialize;

/// What happened (or is planned to happen) to a serial block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum UseStatus {
    /// In the evaluation's surrender plan.
    Planned,
    /// Surrendered (清缴) for compliance.
    Surrendered,
    /// Retired (注销) for a claim other than compliance (an event, a product, an organisation).
    Retired,
}

impl UseStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UseStatus::Planned => "planned",
            UseStatus::Surrendered => "surrendered",
            UseStatus::Retired => "retired",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "planned" => Some(UseStatus::Planned),
            "surrendered" => Some(UseStatus::Surrendered),
            "retired" => Some(UseStatus::Retired),
            _ => None,
        }
    }

    pub(crate) fn label_zh(self) -> &'static str {
        match self {
            UseStatus::Planned => "计划清缴",
            UseStatus::Surrendered => "已清缴",
            UseStatus::Retired => "已注销",
        }
    }

    pub(crate) fn label_en(self) -> &'static str {
        match self {
            UseStatus::Planned => "planned for surrender",
            UseStatus::Surrendered => "surrendered",
            UseStatus::Retired => "retired",
        }
    }
}

/// What a use is for: compliance (surrender against an obligation) or another claim.
/// Two uses with different claims are double counting of the DC-17 kind even when
/// the entity is the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ClaimKind {
    Compliance,
    Event,
}

impl ClaimKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimKind::Compliance => "compliance",
            ClaimKind::Event => "event",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "compliance" => Some(ClaimKind::Compliance),
            "event" => Some(ClaimKind::Event),
            _ => None,
        }
    }

    pub(crate) fn label_zh(self) -> &'static str {
        match self {
            ClaimKind::Compliance => "履约",
            ClaimKind::Event => "活动碳中和",
        }
    }

    pub(crate) fn label_en(self) -> &'static str {
        match self {
            ClaimKind::Compliance => "compliance",
            ClaimKind::Event => "event neutrality",
        }
    }
}

/// One serial block an evaluation uses.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewUse {
    /// The serial as written in the input.
    pub serial: String,
    /// The row's quantity, exact decimal text: the size of the block as written (it
    /// confirms that a serial's trailing numbers are a block).
    pub quantity: String,
    /// How much of it this use takes (planned, surrendered or retired), exact decimal text.
    pub used: String,
    pub unit: String,
    /// Instrument or credit type from the input (`CCER`, `GREEN_CERTIFICATE`, …), if any.
    pub instrument: String,
    pub status: UseStatus,
    pub claim: ClaimKind,
    /// Where the row is: the input table and the row's source reference.
    pub table: String,
    pub row: String,
    /// The cell of the serial (for findings).
    pub cell: String,
    /// A sink from a newly created forestry project (DC-19: usable once, for one claim).
    pub new_forestry: bool,
}

impl NewUse {
    /// The quantity as a whole number of units, when it is one.
    pub(crate) fn whole_quantity(&self) -> Option<u64> {
        let q = self.quantity.trim();
        let whole = match q.split_once('.') {
            Some((int, frac)) if frac.bytes().all(|b| b == b'0') => int,
            Some(_) => return None,
            None => q,
        };
        whole.parse().ok()
    }
}

/// One evaluation to record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvaluationRecord {
    pub entity: String,
    pub jurisdiction: String,
    pub year: u16,
    /// What wrote it: `evaluate` or `batch`.
    pub source: String,
    /// The caller's digest of what decides the result: the input files' contents, the
    /// options, the plugin and the rules. Equal digests mean an identical evaluation.
    pub input_digest: String,
    /// (path, sha256) of each input file.
    pub inputs: Vec<(String, String)>,
    pub options: Vec<(String, String)>,
    pub plugin_id: String,
    pub plugin_version: String,
    pub plugin_sha256: String,
    pub rules_sha256: String,
    /// (key, value, unit); a value is exact decimal text or other text.
    pub metrics: Vec<(String, Option<String>, String)>,
    /// Findings of the report before the ledger's own: errors, warnings, infos.
    pub findings: [u32; 3],
    /// A short overall status (e.g. `compliant`, `shortfall`, `errors`).
    pub status: String,
    pub uses: Vec<NewUse>,
}

/// Which double-counting check a conflict falls under (seed 004's DC table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Check {
    /// DC-03: the same credit used in two years or by two entities.
    Dc03,
    /// DC-17: the same credit used for two claims (compliance and an event, two events,
    /// or two jurisdictions' compliance in one year).
    Dc17,
    /// DC-19: a new forestry sink used again after a neutrality claim.
    Dc19,
}

impl Check {
    pub fn code(self) -> &'static str {
        match self {
            Check::Dc03 => "LEDGER_SERIAL_USED_TWICE",
            Check::Dc17 => "LEDGER_SERIAL_SEVERAL_CLAIMS",
            Check::Dc19 => "LEDGER_FORESTRY_SINK_REUSED",
        }
    }

    pub fn reference(self) -> &'static str {
        match self {
            Check::Dc03 => "DC-03",
            Check::Dc17 => "DC-17",
            Check::Dc19 => "DC-19",
        }
    }
}

/// An earlier use as the ledger holds it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EarlierUse {
    pub use_id: i64,
    pub evaluation_id: i64,
    pub version: i64,
    pub entity: String,
    pub jurisdiction: String,
    pub year: u16,
    pub status: UseStatus,
    pub claim: ClaimKind,
    pub serial: String,
    pub quantity: String,
    pub used: String,
    pub unit: String,
    pub table: String,
    pub row: String,
    pub new_forestry: bool,
}

/// A new use that shares units with an earlier use (or with another row of the same
/// evaluation, then `earlier.evaluation_id` is 0).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conflict {
    pub check: Check,
    /// Index of the new use in [`EvaluationRecord::uses`].
    pub new_index: usize,
    pub new_serial: String,
    pub new_status: UseStatus,
    pub new_claim: ClaimKind,
    pub new_row: String,
    pub new_cell: String,
    pub earlier: EarlierUse,
    /// The shared units, as the serial's own numbers (`000001–050000`) or the identifier.
    pub shared: String,
    pub shared_units: u64,
}

impl Conflict {
    /// Bilingual text naming both uses.
    pub fn messages(&self, entity: &str, jurisdiction: &str, year: u16) -> (String, String) {
        let e = &self.earlier;
        let (where_zh, where_en) = if e.evaluation_id == 0 {
            ("本次评估的另一行".to_string(), "another row of this evaluation".to_string())
        } else {
            (
                format!("台账评估 #{}（第 {} 版）", e.evaluation_id, e.version),
                format!("ledger evaluation #{} (version {})", e.evaluation_id, e.version),
            )
        };
        let what_zh = match self.check {
            Check::Dc03 => "同一减排指标被使用两次（DC-03：不同主体或不同年度）",
            Check::Dc17 => "同一减排指标用于多项声明（DC-17）",
            Check::Dc19 => "新建林业碳汇用于碳中和后再次使用（DC-19）",
        };
        let what_en = match self.check {
            Check::Dc03 => "the same credit used twice (DC-03: another entity or another year)",
            Check::Dc17 => "the same credit used for several claims (DC-17)",
            Check::Dc19 => "a new forestry sink used again after a neutrality claim (DC-19)",
        };
        let (shared, units, serial, row) = (&self.shared, self.shared_units, &self.new_serial, &self.new_row);
        let (e_entity, e_jurisdiction, e_year, e_used, e_unit, e_serial, e_row) =
            (&e.entity, &e.jurisdiction, e.year, &e.used, &e.unit, &e.serial, &e.row);
        let (status, claim, e_status, e_claim) =
            (self.new_status.label_zh(), self.new_claim.label_zh(), e.status.label_zh(), e.claim.label_zh());
        let zh = format!(
            "{what_zh}：共用序列号 {shared}（{units} 单位）。本次：{entity} {jurisdiction} {year} 年，{status}（{claim}），序列号 {serial}，行 {row}；先前：{e_entity} {e_jurisdiction} {e_year} 年，{e_status}（{e_claim}），{where_zh}，{e_used} {e_unit}，序列号 {e_serial}，行 {e_row}"
        );
        let (status, claim, e_status, e_claim) =
            (self.new_status.label_en(), self.new_claim.label_en(), e.status.label_en(), e.claim.label_en());
        let en = format!(
            "{what_en}: shared serials {shared} ({units} units). This use: {entity} {jurisdiction} {year}, {status} ({claim}), serial {serial}, row {row}; earlier use: {e_entity} {e_jurisdiction} {e_year}, {e_status} ({e_claim}), {where_en}, {e_used} {e_unit}, serial {e_serial}, row {e_row}"
        );
        (zh, en)
    }
}

/// A serial that was compared as a whole identifier (see [`serial::Note`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SerialNote {
    pub new_index: usize,
    pub serial: String,
    pub cell: String,
    /// `None` when the two ends of a joined range differ.
    pub span_and_quantity: Option<(u64, u64)>,
}

impl SerialNote {
    pub(crate) const CODE: &'static str = "LEDGER_SERIAL_NOT_A_BLOCK";

    pub fn messages(&self) -> (String, String) {
        match self.span_and_quantity {
            Some((span, q)) => (
                format!("序列号 {} 末尾两个编号跨 {span} 单位，与数量 {q} 不符；台账按整体编号比对", self.serial),
                format!(
                    "Serial {} ends in two numbers spanning {span} units, not the quantity {q}; the ledger compares it as a whole identifier",
                    self.serial
                ),
            ),
            None => (
                format!("序列号区段 {} 两端前缀不同或顺序颠倒；台账按整体编号比对", self.serial),
                format!(
                    "Serial range {} has ends with different prefixes or in reverse order; the ledger compares it as a whole identifier",
                    self.serial
                ),
            ),
        }
    }
}

/// What recording an evaluation did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recorded {
    pub evaluation_id: i64,
    pub version: i64,
    /// The version this one supersedes.
    pub supersedes: Option<i64>,
    /// The current version already had the same digest: nothing new was written.
    pub unchanged: bool,
    /// Serial uses in the evaluation (blank serials aside).
    pub uses: usize,
    pub conflicts: Vec<Conflict>,
    pub notes: Vec<SerialNote>,
}
