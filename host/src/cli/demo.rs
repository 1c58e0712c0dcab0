//! `lvyue demo`: the main job on each bundled sample (`tests/samples/`):
//! write its workbooks, evaluate them as a user would, write the results.

use std::path::PathBuf;

use lvyue::host::{Host, RunError, exit};
use lvyue::job::{self, JobInput, Outputs};

#[derive(clap::Args)]
pub(crate) struct Args {
    /// Folder for the results.
    #[arg(long, default_value = "lvyue-demo")]
    out_dir: PathBuf,
}

pub(crate) fn run(host: &Host, a: &Args) -> Result<i32, RunError> {
    let out_dir = &a.out_dir;
    std::fs::create_dir_all(out_dir).map_err(|e| RunError::Io(format!("{}: {e}", out_dir.display())))?;
    for (name, req) in lvyue::samples::bundled()? {
        let mut paths = Vec::new();
        for (file, bytes) in lvyue::samples::workbooks(host, &name, &req)? {
            let path = out_dir.join(file);
            lvyue::atomic::write(&path, &bytes).map_err(|e| RunError::Io(format!("{}: {e}", path.display())))?;
            paths.push(path);
        }
        outln!("== lvyue demo: {} {} on the bundled sample {} ==\n", req.jurisdiction, req.year, name);
        let input = JobInput {
            jurisdictions: vec![req.jurisdiction.clone()],
            year: Some(req.year),
            inventory: paths.first().cloned(),
            portfolio: paths.get(1).cloned(),
            request: None,
            options: req.options.clone(),
        };
        let l = job::load(host, &input)?.remove(0);
        let report = host.evaluate(&l.job())?;
        super::evaluate::print_summary(&report);
        outln!();
        let stem = format!("{}-report", name.trim_end_matches(".toml"));
        let has_templates = host.find(&report.plugin.id).is_some_and(|b| !b.templates.is_empty());
        let (xlsx, json) = (out_dir.join(format!("{stem}.xlsx")), out_dir.join(format!("{stem}.json")));
        let to = Outputs { workbook: Some(&xlsx), json: Some(&json), render: has_templates.then_some(out_dir.as_path()) };
        super::evaluate::write(host, std::slice::from_ref(&report), &[], to)?;
        outln!();
    }
    Ok(exit::OK)
}
