//! `lvyue template`: an empty input workbook made from what a plugin declares,
//! one record per row or (`--layout official`) in the official layouts its manifest declares.

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
    /// `records` (default): one record per row on every sheet; `official`: the
    /// tables as the guidelines print them (months as columns, vertical forms),
    /// as the plugin's manifest declares them.
    #[arg(long, value_enum, default_value_t = Layout::Records)]
    layout: Layout,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Layout {
    Records,
    Official,
}

pub(crate) fn run(host: &Host, a: &Args) -> Result<i32, RunError> {
    let b = host.find(&a.jurisdiction).ok_or_else(|| RunError::NotFound(a.jurisdiction.clone()))?;
    let info = host.describe(b)?;
    let layouts = b.manifest.layouts();
    let bytes = match a.layout {
        Layout::Records => lvyue::input::template::build(&info, a.year),
        Layout::Official if layouts.is_empty() => {
            return Err(RunError::Usage(format!("plugin {} declares no official layouts; use --layout records", b.manifest.id)));
        }
        Layout::Official => lvyue::input::layout::template::build(&info, layouts, a.year, &[]),
    }
    .map_err(|e| RunError::Io(format!("building the template: {e}")))?;
    lvyue::atomic::write(&a.out, &bytes).map_err(|e| RunError::Io(format!("{}: {e}", a.out.display())))?;
    match a.layout {
        Layout::Records => outln!("wrote {} ({} input sheets)", a.out.display(), info.input.len()),
        Layout::Official => outln!(
            "wrote {} in the official layout ({}; {} other input sheets)",
            a.out.display(),
            layouts.iter().map(|l| l.name.zh.as_str()).collect::<Vec<_>>().join(", "),
            info.input.iter().filter(|s| !layouts.iter().any(|l| l.target == s.key || l.replaces.contains(&s.key))).count()
        ),
    }
    Ok(exit::OK)
}
