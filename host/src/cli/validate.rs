//! `lvyue validate`: check the inputs against each plugin's declared input
//! and the rules for the year, without evaluating.

use lvyue::host::{Host, RunError, exit};
use lvyue::job;

use super::InputArgs;

#[derive(clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    input: InputArgs,
}

pub(crate) fn run(host: &Host, a: &Args) -> Result<i32, RunError> {
    for l in job::load(host, &a.input.job())? {
        if let Some(e) = l.error {
            return Err(e);
        }
        let request = host.build_request(&l.job())?.request;
        let rows: usize = request.tables.iter().map(|t| t.rows.len()).sum();
        outln!("ok: {} sheet(s), {rows} row(s) valid for {} {}", request.tables.len(), l.jurisdiction, l.year);
    }
    Ok(exit::OK)
}
