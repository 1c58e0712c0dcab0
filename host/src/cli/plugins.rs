//! `lvyue plugins [list | info ID]`: the installed plugins and what each needs.

use lvyue::host::{Host, RunError, exit};

use super::years_text;

#[derive(clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    action: Option<Action>,
}

#[derive(clap::Subcommand)]
enum Action {
    /// List the plugins (the default).
    List,
    /// Version, years, digests, contract and the input a plugin needs.
    Info { id: String },
}

pub(crate) fn run(host: &Host, a: &Args) -> Result<i32, RunError> {
    match &a.action {
        None | Some(Action::List) => list(host),
        Some(Action::Info { id }) => info(host, id),
    }
}

fn list(host: &Host) -> Result<i32, RunError> {
    outln!("{:<20} {:<9} {:<10} {:<12} {:<10} name", "id", "version", "contract", "years", "origin");
    for b in host.bundles() {
        let m = &b.manifest;
        let years = format!("{}{}", years_text(&m.years), if m.years_open_ended { "+" } else { "" });
        outln!(
            "{:<20} {:<9} {:<10} {:<12} {:<10} {} / {}",
            m.id,
            m.version,
            b.contract.to_string(),
            years,
            b.origin.to_string(),
            m.name.zh,
            m.name.en
        );
    }
    for e in host.refused() {
        outln!("refused: {e}");
    }
    Ok(if host.refused().is_empty() { exit::OK } else { exit::PLUGIN_REFUSED })
}

fn info(host: &Host, id: &str) -> Result<i32, RunError> {
    let b = host.find(id).ok_or_else(|| RunError::NotFound(id.to_string()))?;
    let info = host.describe(b)?;
    let m = &b.manifest;
    outln!("{} {} — {} / {}", m.id, m.version, m.name.zh, m.name.en);
    outln!("  origin:           {}", b.origin);
    outln!("  contract:         lvyue:compliance@{} (manifest: {})", b.contract, m.contract);
    outln!("  jurisdictions:    {}", m.jurisdictions.join(", "));
    let later = if m.years_open_ended { ", and later years the rules cover completely" } else { "" };
    outln!("  compliance years: {}{later}", years_text(&info.years));
    outln!("  component sha256: {}", m.component.sha256);
    outln!("  rules sha256:     {}", m.rules.sha256);
    for s in &m.legal_source {
        outln!("  legal source:     {} — {} [{}]", s.title, s.reference, s.confidence.as_deref().unwrap_or("-"));
    }
    outln!("\nInput it needs:");
    for s in &info.input {
        outln!("  sheet {} / {} ({}){}", s.name.zh, s.name.en, s.key, if s.required { ", required" } else { ", optional" });
        for c in &s.columns {
            outln!(
                "    {:<18} {:<9} {:<8} {} {} / {}{}",
                c.key,
                lvyue::rules::kind_name(c.kind),
                c.unit.as_deref().unwrap_or(""),
                if c.required { "required" } else { "optional" },
                c.name.zh,
                c.name.en,
                if c.choices.is_empty() { String::new() } else { format!(" [{}]", c.choices.join("|")) }
            );
        }
    }
    outln!("\nParameters: {}", info.parameters.iter().map(|p| p.key.as_str()).collect::<Vec<_>>().join(", "));
    outln!("Metrics:    {}", info.metrics.iter().map(|p| p.key.as_str()).collect::<Vec<_>>().join(", "));
    outln!("Findings:   {}", info.findings.iter().map(|p| p.code.as_str()).collect::<Vec<_>>().join(", "));
    Ok(exit::OK)
}
