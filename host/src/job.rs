//! One run, from the user's files to the written outputs: the inputs are read
//! once (each workbook opened and each sheet parsed once, however many
//! jurisdictions read it), each jurisdiction is evaluated, and the outputs are
//! written complete or not at all.
//!
//! The command line (`evaluate`, `validate`, `demo`) calls these functions;
//! so do batch runs and the web page. Nothing here prints to stdout.

use std::path::{Path, PathBuf};

use crate::host::{Evaluate, Host, RunError};
use crate::input::request::RequestFile;
use crate::input::{RawTable, workbook};
use crate::report::{InputStamp, Report};

/// What the user names: workbooks with jurisdictions and a year, or a request file.
#[derive(Debug, Clone, Default)]
pub struct JobInput {
    pub jurisdictions: Vec<String>,
    pub year: Option<u16>,
    pub inventory: Option<PathBuf>,
    pub portfolio: Option<PathBuf>,
    pub request: Option<PathBuf>,
    /// Options passed to the plugin; later ones replace earlier ones with the same key.
    pub options: Vec<(String, String)>,
}

/// Everything read from the input for one jurisdiction, ready to evaluate.
pub struct Loaded {
    pub jurisdiction: String,
    pub year: u16,
    pub tables: Vec<RawTable>,
    pub options: Vec<(String, String)>,
    pub inputs: Vec<InputStamp>,
    pub paths: Vec<PathBuf>,
    /// With several jurisdictions: why this one's input could not be read.
    pub error: Option<RunError>,
}

impl Loaded {
    /// The evaluation this input asks for.
    pub fn job(&self) -> Evaluate<'_> {
        Evaluate {
            jurisdiction: &self.jurisdiction,
            year: self.year,
            tables: &self.tables,
            options: &self.options,
            inputs: self.inputs.clone(),
        }
    }
}

/// Reads the input: a request file as it is, or the workbooks once for all
/// the jurisdictions named (each plugin declares its own sheets).
pub fn load(host: &Host, a: &JobInput) -> Result<Vec<Loaded>, RunError> {
    load_with(host, a, &[])
}

/// [`load`], with some input workbooks' bytes already read (and checked) by
/// the caller ([`crate::host::read_input`]).
pub(crate) fn load_with(host: &Host, a: &JobInput, read: &[(PathBuf, workbook::ReadBytes)]) -> Result<Vec<Loaded>, RunError> {
    let mut all = if let Some(request) = &a.request {
        let req = RequestFile::read(request).map_err(|e| RunError::BadInput(vec![e.into()]))?;
        let mut tables = req.tables;
        // The targets of the plugin's declared layouts are normalised as if read from its layouts.
        if let Some(bundle) = host.find(&req.jurisdiction).filter(|b| !b.manifest.layouts().is_empty()) {
            let info = host.described(bundle)?;
            crate::input::layout::normalise(&mut tables, &info.input, bundle.manifest.layouts()).map_err(RunError::BadInput)?;
        }
        vec![Loaded {
            jurisdiction: req.jurisdiction,
            year: req.year,
            tables,
            options: req.options,
            inputs: vec![crate::host::stamp_file(request)?],
            paths: vec![request.clone()],
            error: None,
        }]
    } else {
        let (false, Some(year), Some(inventory)) = (a.jurisdictions.is_empty(), a.year, &a.inventory) else {
            return Err(RunError::Usage(
                "give --jurisdiction, --year and --inventory (and optionally --portfolio), or --request FILE".into(),
            ));
        };
        let mut paths = vec![inventory.clone()];
        paths.extend(a.portfolio.clone());
        let refs: Vec<&Path> = paths.iter().map(|p| p.as_path()).collect();
        // A device, a pipe or an oversized file is refused before it is read for its digest.
        let limits = crate::input::limits::InputLimits::current();
        let unread: Vec<&PathBuf> = paths.iter().filter(|p| !read.iter().any(|(q, _)| q == *p)).collect();
        let refused: Vec<_> = unread.iter().filter_map(|p| crate::input::guard::check_file(p, &limits).err()).collect();
        if !refused.is_empty() {
            return Err(RunError::BadInput(refused));
        }
        // A file that cannot be opened fails as before the workbooks are read; each
        // input's digest is then of the bytes the workbook was parsed from.
        for p in unread {
            std::fs::File::open(p).map_err(|e| RunError::Io(format!("{}: {e}", p.display())))?;
        }
        // The sheets the jurisdictions' plugins read, read as each workbook is opened.
        let selectors: Vec<_> = a.jurisdictions.iter().filter_map(|j| host.find(j).and_then(|b| host.sheet_selector(b).ok())).collect();
        let wanted: workbook::Wanted = std::sync::Arc::new(move |name: &str| selectors.iter().any(|s| s.reads(name)));
        let mut books = workbook::open_all_reading(&refs, Some(wanted), read).map_err(RunError::BadInput)?;
        let inputs: Vec<InputStamp> =
            paths.iter().zip(&books).map(|(p, b)| InputStamp { path: p.display().to_string(), sha256: b.sha256().to_string() }).collect();
        let mut out = Vec::new();
        for j in &a.jurisdictions {
            let mut read = || -> Result<Vec<RawTable>, RunError> {
                let bundle = host.find(j).ok_or_else(|| RunError::NotFound(j.clone()))?;
                let info = host.described(bundle)?;
                let select = host.sheet_selector(bundle)?;
                crate::input::layout::tables_with(&mut books, &info.input, bundle.manifest.layouts(), &select).map_err(RunError::BadInput)
            };
            let (tables, error) = match read() {
                Ok(t) => (t, None),
                // One jurisdiction alone: its error is the run's.
                Err(e) if a.jurisdictions.len() == 1 => return Err(e),
                Err(e) => (Vec::new(), Some(e)),
            };
            out.push(Loaded {
                jurisdiction: j.clone(),
                year,
                tables,
                options: Vec::new(),
                inputs: inputs.clone(),
                paths: paths.clone(),
                error,
            });
        }
        out
    };
    for loaded in &mut all {
        for (k, v) in &a.options {
            loaded.options.retain(|(ok, _)| ok != k);
            loaded.options.push((k.clone(), v.clone()));
        }
    }
    Ok(all)
}

/// The jurisdictions of a run that failed, each with its error.
pub type Failures = Vec<(String, RunError)>;

/// Evaluates each loaded input. With one jurisdiction its error is the run's
/// (nothing is written). With several, a jurisdiction that fails (its input,
/// its rules or its plugin) is returned among the failures and the others go
/// on; the run fails only if none succeeds.
///
/// Unless `keep_tables` (the ledger reads them afterwards), each input's rows
/// are moved into its request as they are checked, each row freed once
/// converted: a large inventory is not held twice (rows and request) at once.
pub fn evaluate_all(host: &Host, loaded: &mut [Loaded], keep_tables: bool) -> Result<(Vec<Report>, Failures), RunError> {
    let mut reports = Vec::new();
    let mut failures = Vec::new();
    let several = loaded.len() > 1;
    for l in loaded.iter_mut() {
        let outcome = match l.error.take() {
            Some(e) => Err(e),
            None => {
                let built = if keep_tables {
                    host.build_request(&l.job())
                } else {
                    let tables = std::mem::take(&mut l.tables);
                    host.build_request_owned(&l.job(), tables, crate::sandbox::Call::Auto)
                };
                built.and_then(|b| host.run_request(b, &l.job(), crate::sandbox::Call::Auto))
            }
        };
        match outcome {
            Ok(r) => reports.push(r),
            Err(e) if several => failures.push((l.jurisdiction.clone(), e)),
            Err(e) => return Err(e),
        }
    }
    if reports.is_empty() && !failures.is_empty() {
        return Err(failures.swap_remove(0).1);
    }
    Ok((reports, failures))
}

/// The files a run may write.
#[derive(Debug, Clone, Copy, Default)]
pub struct Outputs<'a> {
    /// The compliance workbook.
    pub workbook: Option<&'a Path>,
    /// The full result as JSON.
    pub json: Option<&'a Path>,
    /// A folder for the plugin's rendered documents.
    pub render: Option<&'a Path>,
}

/// The outputs of a run, in memory: (path, bytes), written by [`write_files`].
pub fn build_outputs(
    host: &Host,
    reports: &[Report],
    failures: &[(String, RunError)],
    to: Outputs<'_>,
) -> Result<Vec<(PathBuf, Vec<u8>)>, RunError> {
    let mut files = Vec::new();
    if let Some(path) = to.workbook {
        let bytes = if reports.len() == 1 && failures.is_empty() {
            crate::report::xlsx::build(&reports[0])
        } else {
            let items: Vec<&Report> = reports.iter().collect();
            let failed: Vec<(String, String)> = failures.iter().map(|(j, e)| (j.clone(), e.to_string())).collect();
            crate::report::xlsx::build_many(&items, &failed)
        }
        .map_err(|e| RunError::Io(format!("building the workbook: {e}")))?;
        files.push((path.to_path_buf(), bytes));
    }
    if let Some(path) = to.json {
        let text = if reports.len() == 1 && failures.is_empty() {
            reports[0].to_json()
        } else {
            let failed: Vec<serde_json::Value> = failures
                .iter()
                .map(|(j, e)| serde_json::json!({ "jurisdiction": j, "exit_code": e.exit_code(), "error": e.to_string() }))
                .collect();
            serde_json::to_string_pretty(&serde_json::json!({ "reports": reports, "failures": failed })).expect("serialise") + "\n"
        };
        files.push((path.to_path_buf(), text.into_bytes()));
    }
    if let Some(dir) = to.render {
        for report in reports {
            let bundle = host.find(&report.plugin.id).ok_or_else(|| RunError::NotFound(report.plugin.id.clone()))?;
            let docs = crate::report::render::render_all(&bundle.templates, report)
                .map_err(|e| RunError::Io(format!("rendering the report: {e}")))?;
            for (file, text) in docs {
                files.push((dir.join(file), text.into_bytes()));
            }
        }
    }
    Ok(files)
}

/// Refuses outputs that would replace an input, or two outputs on one path.
pub fn check_output_paths(inputs: &[PathBuf], to: Outputs<'_>) -> Result<(), RunError> {
    let canon = |p: &Path| std::fs::canonicalize(p).ok();
    let targets: Vec<&Path> = to.workbook.iter().chain(to.json.iter()).copied().collect();
    for target in &targets {
        let same = inputs.iter().any(|i| canon(i).is_some() && canon(i) == canon(target));
        if same {
            return Err(RunError::Usage(format!(
                "{} is an input file; choose another output path (inputs are never modified)",
                target.display()
            )));
        }
    }
    if let [a, b] = targets[..] {
        let absolute = |p: &Path| std::path::absolute(p).ok();
        if a == b || absolute(a) == absolute(b) || (canon(a).is_some() && canon(a) == canon(b)) {
            return Err(RunError::Usage(format!("--out and --json both name {}; give each its own file", a.display())));
        }
    }
    Ok(())
}

/// Writes each file atomically (complete or absent) and flushed to the disk.
/// The render folder is created when a document goes into it; other folders must exist.
pub fn write_files(files: &[(PathBuf, Vec<u8>)], render: Option<&Path>) -> Result<Vec<PathBuf>, RunError> {
    write_files_with(files, render, crate::atomic::write)
}

/// [`write_files`] without the flush ([`crate::atomic::write_deferred`]): for a
/// batch, which flushes its output folder once at the end.
pub fn write_files_deferred(files: &[(PathBuf, Vec<u8>)], render: Option<&Path>) -> Result<Vec<PathBuf>, RunError> {
    write_files_with(files, render, crate::atomic::write_deferred)
}

fn write_files_with(
    files: &[(PathBuf, Vec<u8>)],
    render: Option<&Path>,
    write: fn(&Path, &[u8]) -> std::io::Result<()>,
) -> Result<Vec<PathBuf>, RunError> {
    if let Some(dir) = render.filter(|d| files.iter().any(|(p, _)| p.parent() == Some(*d))) {
        std::fs::create_dir_all(dir).map_err(|e| RunError::Io(format!("{}: {e}", dir.display())))?;
    }
    let mut written = Vec::new();
    for (path, bytes) in files {
        write(path, bytes).map_err(|e| RunError::Io(format!("{}: {e}", path.display())))?;
        written.push(path.clone());
    }
    Ok(written)
}
