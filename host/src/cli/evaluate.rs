//! `lvyue evaluate`: read the inputs, evaluate each jurisdiction, print the
//! summary and write the workbook, JSON and rendered documents.

use std::path::PathBuf;

use lvyue::host::{Host, RunError, exit};
use lvyue::job::{self, Outputs};
use lvyue::report::Report;

use super::InputArgs;

#[derive(clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    input: InputArgs,
    /// Write the compliance workbook (.xlsx).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Write the full result as JSON.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Render the plugin's report documents (e.g. a declaration in zh and en) into DIR.
    #[arg(long, value_name = "DIR")]
    render: Option<PathBuf>,
    /// Year to date: forecast the year from the months up to YYYY-MM (month-by-month input;
    /// without it, a year with months missing at the end is forecast from the last month with
    /// data). Passed to the plugin as the option as_of.
    #[arg(long, value_name = "YYYY-MM", value_parser = parse_month)]
    as_of: Option<String>,
    /// Write the printable result (HTML for A4: the answer first, findings, charts, the parameters
    /// with their sources, a signature block); print it or "Save as PDF" from a browser.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// The language of the printable result.
    #[arg(long, value_name = "LANG", default_value = "zh", value_parser = ["zh", "en"], requires = "html")]
    html_lang: String,
    /// Record the evaluation and its serial uses in this ledger (SQLite); serials an
    /// earlier evaluation used for another entity, year or claim become findings.
    #[arg(long, value_name = "FILE", requires = "entity")]
    ledger: Option<PathBuf>,
    /// The entity evaluated, as the ledger names it (with --ledger) and as the printable
    /// result's header shows it (with --html).
    #[arg(long)]
    entity: Option<String>,
    /// The surrender plan has been carried out: the ledger records the blocks as surrendered.
    #[arg(long, requires = "ledger")]
    surrendered: bool,
}

pub(crate) fn run(host: &Host, a: &Args) -> Result<i32, RunError> {
    let to = Outputs { workbook: a.out.as_deref(), json: a.json.as_deref(), render: a.render.as_deref() };
    let mut input = a.input.job();
    if let Some(month) = &a.as_of {
        input.options.retain(|(k, _)| k != "as_of");
        input.options.push(("as_of".into(), month.clone()));
    }
    let named: Vec<PathBuf> = input.inventory.iter().chain(&input.portfolio).chain(&input.request).cloned().collect();
    job::check_output_paths(&named, to)?;
    if let Some(html) = &a.html {
        job::check_output_paths(&named, Outputs { workbook: Some(html), ..Outputs::default() })?;
        if [&a.out, &a.json].iter().any(|o| o.as_ref() == Some(html)) {
            return Err(RunError::Usage(format!("--html names {}, as --out or --json does; give each its own file", html.display())));
        }
    }
    let mut loaded = job::load(host, &input)?;
    let (mut reports, failures) = job::evaluate_all(host, &mut loaded, a.ledger.is_some() && a.entity.is_some())?;
    if let (Some(path), Some(entity)) = (&a.ledger, &a.entity) {
        let mut ledger = lvyue::ledger::Ledger::open(path).map_err(|e| RunError::Io(format!("{}: {e}", path.display())))?;
        for r in &mut reports {
            let Some(l) = loaded.iter().find(|l| l.jurisdiction == r.jurisdiction) else { continue };
            let rec = lvyue::ledger::bridge::record_report(&mut ledger, host, entity, "evaluate", a.surrendered, l, r)?;
            eprintln!(
                "ledger: {entity} {} {} version {}{}, {} serial use(s) recorded, {} used before",
                r.jurisdiction,
                r.year,
                rec.version,
                if rec.unchanged { " (unchanged)" } else { "" },
                rec.uses,
                rec.conflicts.len()
            );
        }
    }
    // The rows as read are not needed for the outputs: free them before the workbook is built.
    drop(loaded);
    for (j, e) in &failures {
        eprintln!("error: {j}: {e}\n(continuing with the other jurisdictions)");
    }
    for r in &reports {
        print_summary(r);
        outln!();
    }
    write(host, &reports, &failures, to)?;
    if let Some(path) = a.html.as_deref().filter(|_| !reports.is_empty()) {
        let failed: Vec<(String, String)> = failures.iter().map(|(j, e)| (j.clone(), e.to_string())).collect();
        let lang = lvyue::report::html::Lang::parse(&a.html_lang).expect("clap checks the language");
        let doc = lvyue::report::html::Document { reports: &reports, failures: &failed, entity: a.entity.as_deref(), lang };
        lvyue::atomic::write(path, lvyue::report::html::document(&doc).as_bytes())
            .map_err(|e| RunError::Io(format!("{}: {e}", path.display())))?;
        outln!("wrote {}", path.display());
    }
    match failures.into_iter().next() {
        Some((_, e)) => Err(e),
        None => Ok(exit::OK),
    }
}

/// `YYYY-MM`, checked before any plugin work.
fn parse_month(s: &str) -> Result<String, String> {
    let ok =
        s.len() == 7 && s.as_bytes()[4] == b'-' && s[..4].bytes().all(|b| b.is_ascii_digit()) && matches!(s[5..].parse::<u8>(), Ok(1..=12));
    if ok { Ok(s.to_string()) } else { Err("expected a month YYYY-MM, e.g. 2025-09".into()) }
}

/// Builds and writes the outputs, naming each file written.
pub(crate) fn write(host: &Host, reports: &[Report], failures: &[(String, RunError)], to: Outputs<'_>) -> Result<(), RunError> {
    if reports.is_empty() {
        return Ok(());
    }
    let files = job::build_outputs(host, reports, failures, to)?;
    if let Some(r) = reports.iter().find(|r| to.render.is_some() && host.find(&r.plugin.id).is_some_and(|b| b.templates.is_empty())) {
        eprintln!("note: plugin {} has no report templates; nothing rendered", r.plugin.id);
    }
    for path in job::write_files(&files, to.render)? {
        outln!("wrote {}", path.display());
    }
    Ok(())
}

/// The headline numbers and findings of one report, for the terminal.
pub(crate) fn print_summary(r: &Report) {
    outln!("{} {} ({}), compliance year {}", r.plugin.id, r.plugin.version, r.plugin.origin, r.year);
    outln!("\n{:<32} {:>18}  {:<6} label", "metric", "value", "unit");
    for m in &r.metrics {
        outln!("{:<32} {:>18}  {:<6} {} / {}", m.key, m.value.as_deref().unwrap_or("—"), m.unit, m.label.zh, m.label.en);
    }
    if !r.findings.is_empty() {
        outln!("\nfindings:");
        for f in &r.findings {
            outln!(
                "  [{}] {}: {}{}",
                f.severity,
                f.code,
                f.message.en,
                if f.cells.is_empty() { String::new() } else { format!(" ({})", f.cells.join(", ")) }
            );
        }
    }
    let unverified = r.parameters.iter().filter(|p| p.confidence != lvyue::rules::Mark::Verified).count();
    outln!(
        "\n{} parameters used ({} not verified in the official text); fuel used {} of {}",
        r.parameters.len(),
        unverified,
        r.run.fuel_used,
        r.run.fuel_limit
    );
}
