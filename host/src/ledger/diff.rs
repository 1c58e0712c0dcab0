//! What changed between two recorded evaluations (`lvyue ledger diff`): usually two
//! versions of one entity-year, the correction and what it corrected.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use super::store::{EvaluationDetail, Ledger, Result, UseRow};

/// One difference. `from` or `to` is empty when the item exists on one side only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// `input`, `option`, `plugin`, `rules`, `metric`, `findings`, `status` or `serial`.
    pub what: &'static str,
    pub key: String,
    pub from: String,
    pub to: String,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let side = |s: &str| {
            if s.is_empty() { "—".to_string() } else { s.to_string() }
        };
        write!(f, "{:<9} {}: {} → {}", self.what, self.key, side(&self.from), side(&self.to))
    }
}

/// The differences from evaluation `from` to evaluation `to`, in a fixed order: inputs,
/// options, plugin, rules, status, findings, metrics, serial uses.
pub fn diff(ledger: &Ledger, from: i64, to: i64) -> Result<Vec<Change>> {
    let a = ledger.show(from)?;
    let b = ledger.show(to)?;
    Ok(diff_details(&a, &b))
}

pub(crate) fn diff_details(a: &EvaluationDetail, b: &EvaluationDetail) -> Vec<Change> {
    let mut out = Vec::new();
    // Inputs by position (inventory, portfolio; or the request file): a corrected file
    // often has another name.
    for i in 0..a.inputs.len().max(b.inputs.len()) {
        let side =
            |v: &[(String, String)]| v.get(i).map(|(p, sha)| format!("{p} (sha256 {})", &sha[..sha.len().min(12)])).unwrap_or_default();
        if a.inputs.get(i).map(|x| &x.1) != b.inputs.get(i).map(|x| &x.1) || a.inputs.get(i).map(|x| &x.0) != b.inputs.get(i).map(|x| &x.0)
        {
            out.push(Change { what: "input", key: format!("#{}", i + 1), from: side(&a.inputs), to: side(&b.inputs) });
        }
    }
    pairs(&mut out, "option", &a.options, &b.options);
    let (ra, rb) = (&a.row, &b.row);
    for (key, x, y) in [
        ("id", &ra.plugin_id, &rb.plugin_id),
        ("version", &ra.plugin_version, &rb.plugin_version),
        ("sha256", &ra.plugin_sha256, &rb.plugin_sha256),
    ] {
        if x != y {
            out.push(Change { what: "plugin", key: key.into(), from: x.clone(), to: y.clone() });
        }
    }
    if ra.rules_sha256 != rb.rules_sha256 {
        out.push(Change { what: "rules", key: "sha256".into(), from: ra.rules_sha256.clone(), to: rb.rules_sha256.clone() });
    }
    if ra.status != rb.status {
        out.push(Change { what: "status", key: "status".into(), from: ra.status.clone(), to: rb.status.clone() });
    }
    for (key, x, y) in [("errors", ra.errors, rb.errors), ("warnings", ra.warnings, rb.warnings), ("infos", ra.infos, rb.infos)] {
        if x != y {
            out.push(Change { what: "findings", key: key.into(), from: x.to_string(), to: y.to_string() });
        }
    }
    let metric = |m: &[(String, Option<String>, String)]| -> Vec<(String, String)> {
        m.iter()
            .map(|(k, v, unit)| {
                let v = v.clone().unwrap_or_else(|| "(none)".into());
                (k.clone(), if unit.is_empty() { v } else { format!("{v} {unit}") })
            })
            .collect()
    };
    pairs(&mut out, "metric", &metric(&a.metrics), &metric(&b.metrics));
    // Serial uses are matched by serial text and claim; a change is in quantity or status.
    let uses = |u: &[UseRow]| -> Vec<(String, String)> {
        u.iter()
            .map(|u| &u.recorded)
            .map(|u| (format!("{} [{}]", u.serial, u.claim.as_str()), format!("{} {} {}", u.used, u.unit, u.status.as_str())))
            .collect()
    };
    pairs(&mut out, "serial", &uses(&a.uses), &uses(&b.uses));
    out
}

/// Adds a change for every key whose value differs, is added or is removed; keys keep
/// the first side's order, then the second's new keys. A key repeated on one side is
/// compared occurrence by occurrence.
fn pairs(out: &mut Vec<Change>, what: &'static str, a: &[(String, String)], b: &[(String, String)]) {
    let mut right: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (k, v) in b {
        right.entry(k.as_str()).or_default().push(v.as_str());
    }
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (k, v) in a {
        let n = seen.entry(k.as_str()).or_default();
        let other = right.get(k.as_str()).and_then(|vs| vs.get(*n)).copied();
        *n += 1;
        match other {
            Some(o) if o == v => {}
            Some(o) => out.push(Change { what, key: k.clone(), from: v.clone(), to: o.to_string() }),
            None => out.push(Change { what, key: k.clone(), from: v.clone(), to: String::new() }),
        }
    }
    let mut taken: BTreeMap<&str, usize> = BTreeMap::new();
    for (k, v) in b {
        let n = taken.entry(k.as_str()).or_default();
        *n += 1;
        if *n > seen.get(k.as_str()).copied().unwrap_or(0) {
            out.push(Change { what, key: k.clone(), from: String::new(), to: v.clone() });
        }
    }
}
