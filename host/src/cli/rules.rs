//! `lvyue rules`: the parameters in force for a compliance year, with value,
//! effective date, legal reference and confidence.

use lvyue::host::{Host, RunError, exit};

#[derive(clap::Args)]
pub(crate) struct Args {
    /// Jurisdiction id, e.g. cn-ets.
    jurisdiction: String,
    /// Compliance year.
    #[arg(long, required_unless_present = "changes")]
    year: Option<u16>,
    /// What changed between two compliance years: the parameters whose value,
    /// reference or confidence differ, side by side (`--changes 2023 2024`).
    #[arg(long, num_args = 2, value_names = ["FROM", "TO"], conflicts_with = "year")]
    changes: Option<Vec<u16>>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(host: &Host, a: &Args) -> Result<i32, RunError> {
    let jurisdiction = &a.jurisdiction;
    let b = host.find(jurisdiction).ok_or_else(|| RunError::NotFound(jurisdiction.clone()))?;
    let (rules, source) = host.rules(b, jurisdiction)?;
    if let Some([from, to]) = a.changes.as_deref() {
        return changes(&rules, jurisdiction, &source, *from, *to, a.json);
    }
    let year = a.year.expect("clap requires --year without --changes");
    let (params, missing) = rules.resolve_all(year);
    if a.json {
        outln!("{}", serde_json::to_string_pretty(&params).expect("serialise"));
    } else {
        outln!("Rules for {jurisdiction}, compliance year {year} (rules: {source})\n");
        for p in &params {
            outln!("{}  {} / {}", p.key, p.name.zh, p.name.en);
            outln!("    value:      {}{}", p.value, p.unit.as_deref().map(|u| format!(" {u}")).unwrap_or_default());
            outln!("    effective:  {}{}", p.effective, p.until.as_deref().map(|u| format!(" until {u}")).unwrap_or_default());
            outln!("    reference:  {}", p.reference);
            outln!(
                "    confidence: {}{}",
                p.confidence,
                if p.confidence == lvyue::rules::Mark::Verified { "" } else { "  (not verified in the official text)" }
            );
            if let Some(n) = &p.note {
                outln!("    note:       {n}");
            }
            outln!("    file:       {}", p.file);
        }
    }
    for m in &missing {
        eprintln!("warning: {m}");
    }
    // Exit 6 only when the plugin cannot evaluate the year: a parameter it
    // requires has no value. An optional one without a value (a rule that
    // starts later) is only a warning.
    let info = host.describe(b)?;
    Ok(if host.rules_block(&info, &missing) { exit::RULES } else { exit::OK })
}

/// `--changes FROM TO`: each changed parameter with both years' value,
/// effective date, reference and confidence.
fn changes(rules: &lvyue::rules::RuleSet, jurisdiction: &str, source: &str, from: u16, to: u16, json: bool) -> Result<i32, RunError> {
    let changes = rules.changes(from, to);
    if json {
        outln!("{}", serde_json::to_string_pretty(&changes).expect("serialise"));
        return Ok(exit::OK);
    }
    outln!("Rules for {jurisdiction}: {} parameter(s) changed from compliance year {from} to {to} (rules: {source})\n", changes.len());
    let side = |p: &Option<lvyue::rules::ResolvedParameter>| match p {
        Some(p) => format!(
            "{}{} (from {}) [{}]\n             {}",
            p.value,
            p.unit.as_deref().map(|u| format!(" {u}")).unwrap_or_default(),
            p.effective,
            p.confidence,
            p.reference
        ),
        None => "(no value in force)".to_string(),
    };
    for c in &changes {
        let name = c.from.as_ref().or(c.to.as_ref()).map(|p| format!("  {} / {}", p.name.zh, p.name.en)).unwrap_or_default();
        outln!("{}{name}", c.key);
        outln!("    {from}:    {}", side(&c.from));
        outln!("    {to}:    {}", side(&c.to));
    }
    Ok(exit::OK)
}
