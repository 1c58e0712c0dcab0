//! `lvyue template`: an empty input workbook made from what a plugin declares.

use std::path::PathBuf;

use lvyue::host::{Host, RunError, exit};

#[derive(clap::Args)]
pub(crate) struct Args {
    /// Jurisdiction id, e.g. cn-ets.
    jurisdiction: String,
    /// Output .xlsx file.
    #[arg(short, long)]
    out: PathBuf,
    /// Compliance year shown on the instructions sheet.
    #[arg(long)]
    year: Option<u16>,
}

pub(crate) fn run(host: &Host, a: &Args) -> Result<i32, RunError> {
    let b = host.find(&a.jurisdiction).ok_or_else(|| RunError::NotFound(a.jurisdiction.clone()))?;
    let info = host.describe(b)?;
    let bytes = lvyue::input::template::build(&info, a.year).map_err(|e| RunError::Io(format!("building the template: {e}")))?;
    lvyue::atomic::write(&a.out, &bytes).map_err(|e| RunError::Io(format!("{}: {e}", a.out.display())))?;
    outln!("wrote {} ({} input sheets)", a.out.display(), info.input.len());
    Ok(exit::OK)
}
