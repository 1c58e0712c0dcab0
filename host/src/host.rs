//! The host: finds the plugin for a jurisdiction, compiles it (through the
//! cache), resolves its rules for the period, checks the input against its
//! declaration, runs it in the sandbox and assembles the report.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::bundle::cache::{CacheOutcome, CompileCache};
use crate::bundle::slot::Slot;
use crate::bundle::{Bundle, BundleError};
use crate::contract::{Period, PluginInfo, Request};
use crate::input::layout::SheetSelector;
use crate::input::{InputProblem, RawTable};
use crate::report::{self, InputStamp, PluginStamp, Report, Stamp};
use crate::rules::{ResolvedParameter, RuleSet, RulesError};
use crate::sandbox::{Call, Limits, PluginFailure, PreparedPlugin, Sandbox};

/// Exit codes of the `lvyue` command. Scripts depend on them.
pub mod exit {
    pub const OK: i32 = 0;
    /// Anything not listed below (an I/O failure, a bug).
    pub const OTHER: i32 = 1;
    /// Command-line usage errors (clap's own code).
    pub(crate) const USAGE: i32 = 2;
    /// The input is invalid: nothing was evaluated and nothing written.
    pub(crate) const BAD_INPUT: i32 = 3;
    /// A plugin failed: trap, panic or an exhausted limit.
    pub(crate) const PLUGIN_FAILED: i32 = 4;
    /// A plugin was refused: incompatible contract, digest mismatch, not found.
    pub const PLUGIN_REFUSED: i32 = 5;
    /// The rules lack a parameter for the requested year, or are malformed.
    pub const RULES: i32 = 6;
    /// `lvyue plugin test` found failing checks or cases.
    pub const TESTS_FAILED: i32 = 7;
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("the input has {} problem(s):\n{}", .0.len(), .0.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    BadInput(Vec<InputProblem>),
    #[error("{0}")]
    Unsupported(String),
    #[error("{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"))]
    Rules(Vec<RulesError>),
    #[error("plugin {plugin} was refused: {reason}")]
    Refused { plugin: String, reason: String },
    #[error("plugin {plugin} {failure}")]
    Failed { plugin: String, failure: PluginFailure },
    #[error("no plugin for jurisdiction `{0}`; `lvyue plugins` lists the installed ones")]
    NotFound(String),
    #[error("{0}")]
    Io(String),
    /// The command line asks for something impossible (exit 2).
    #[error("{0}")]
    Usage(String),
}

impl RunError {
    pub fn exit_code(&self) -> i32 {
        match self {
            RunError::BadInput(_) | RunError::Unsupported(_) => exit::BAD_INPUT,
            RunError::Rules(_) => exit::RULES,
            RunError::Refused { .. } | RunError::NotFound(_) => exit::PLUGIN_REFUSED,
            RunError::Failed { .. } => exit::PLUGIN_FAILED,
            RunError::Io(_) => exit::OTHER,
            RunError::Usage(_) => exit::USAGE,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct HostOptions {
    /// Folders whose subfolders are bundles.
    pub plugin_dirs: Vec<PathBuf>,
    /// Bundle folders.
    pub bundles: Vec<PathBuf>,
    /// `None`: no on-disk compile cache.
    pub cache_dir: Option<PathBuf>,
    pub limits: Limits,
    /// A folder with `<jurisdiction>/*.toml` replacing the bundled rules.
    pub rules_dir: Option<PathBuf>,
    /// Rule files whose parameters replace (or add to) those of the rules in use.
    pub rules_overrides: Vec<PathBuf>,
    /// Leave out the built-in plugins (tests of other bundles).
    pub no_builtins: bool,
    /// Public keys whose signatures are trusted; when any are given, loaded
    /// bundles must be signed by one of them (built-ins are part of the binary).
    pub trusted_keys: Vec<ed25519_dalek::VerifyingKey>,
}

/// One thing to evaluate.
pub struct Evaluate<'a> {
    pub jurisdiction: &'a str,
    pub year: u16,
    pub tables: &'a [RawTable],
    pub options: &'a [(String, String)],
    /// Input files and their digests, for the report.
    pub inputs: Vec<InputStamp>,
}

/// A request built for a job: the request, its bundle, the plugin's
/// description, the parameters resolved and where the rules came from.
pub struct Built<'h> {
    pub request: Request,
    /// The tables already packed as contract 1.1's columns
    /// ([`Host::build_request_owned`] for a call that sends columns); the
    /// request's own `tables` are then empty.
    pub packed: Option<Vec<crate::contract::since_v1_1::wit::Table>>,
    pub bundle: &'h Bundle,
    pub info: Arc<PluginInfo>,
    pub params: Vec<ResolvedParameter>,
    pub rules_source: String,
}

pub struct Host {
    sandbox: Sandbox,
    cache: Option<CompileCache>,
    /// Every bundle found, verified on first use ([`crate::bundle::slot`]).
    slots: Vec<Slot>,
    limits: Limits,
    rules_dir: Option<PathBuf>,
    rules_overrides: Vec<PathBuf>,
    prepared: Mutex<HashMap<String, (PreparedPlugin, CacheOutcome)>>,
    described: Mutex<HashMap<String, Arc<PluginInfo>>>,
    /// Which workbook sheets each plugin reads, by component digest.
    selectors: Mutex<HashMap<String, Arc<SheetSelector>>>,
}

impl Host {
    pub fn new(opts: HostOptions) -> anyhow::Result<Host> {
        let mut slots = Vec::new();
        if !opts.no_builtins {
            slots.extend(crate::builtin::BUILTIN.iter().map(Slot::builtin));
        }
        let trusted: std::sync::Arc<[ed25519_dalek::VerifyingKey]> = opts.trusted_keys.clone().into();
        for dir in &opts.plugin_dirs {
            let mut subdirs: Vec<PathBuf> = std::fs::read_dir(dir)
                .map_err(|e| anyhow::anyhow!("plugins folder {}: {e}", dir.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.join("plugin.toml").is_file())
                .collect();
            subdirs.sort();
            slots.extend(subdirs.into_iter().map(|d| Slot::dir(d, trusted.clone())));
        }
        slots.extend(opts.bundles.iter().map(|d| Slot::dir(d.clone(), trusted.clone())));
        Ok(Host {
            sandbox: Sandbox::new()?,
            cache: opts.cache_dir.map(CompileCache::new),
            slots,
            limits: opts.limits,
            rules_dir: opts.rules_dir,
            rules_overrides: opts.rules_overrides,
            prepared: Mutex::new(HashMap::new()),
            described: Mutex::new(HashMap::new()),
            selectors: Mutex::new(HashMap::new()),
        })
    }

    /// Every bundle that verifies (verifying those not yet used).
    pub fn bundles(&self) -> Vec<&Bundle> {
        self.slots.iter().filter_map(|s| s.get().as_ref().ok()).collect()
    }

    /// The same host with more rules override files (a "reform" for a test
    /// case). Compiled plugins and descriptions are shared.
    pub fn with_rules_overrides(&self, files: &[PathBuf]) -> Host {
        Host {
            sandbox: self.sandbox.clone(),
            cache: self.cache.clone(),
            slots: self.slots.clone(),
            limits: self.limits.clone(),
            rules_dir: self.rules_dir.clone(),
            rules_overrides: self.rules_overrides.iter().chain(files).cloned().collect(),
            prepared: Mutex::new(self.prepared.lock().expect("lock").clone()),
            described: Mutex::new(self.described.lock().expect("lock").clone()),
            selectors: Mutex::new(self.selectors.lock().expect("lock").clone()),
        }
    }

    /// Every bundle refused, and why (verifying those not yet used).
    pub fn refused(&self) -> Vec<&BundleError> {
        self.slots.iter().filter_map(|s| s.get().as_ref().err()).collect()
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    pub fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }

    /// The bundle for a plugin id or a jurisdiction. A bundle loaded from a
    /// path wins over a built-in one for the same jurisdiction.
    pub fn find(&self, id_or_jurisdiction: &str) -> Option<&Bundle> {
        let candidates = || self.slots.iter().filter(|s| s.answers(id_or_jurisdiction));
        candidates().rev().filter(|s| !s.is_builtin()).chain(candidates().filter(|s| s.is_builtin())).find_map(|s| s.get().as_ref().ok())
    }

    /// The refusal recorded for a bundle with this id or jurisdiction, if any.
    fn refusal_for(&self, what: &str) -> Option<&BundleError> {
        self.slots.iter().filter(|s| s.answers(what)).find_map(|s| s.get().as_ref().err())
    }

    /// Compiles (or loads from the cache) and links a bundle's component.
    pub fn prepare(&self, bundle: &Bundle) -> Result<(PreparedPlugin, CacheOutcome), RunError> {
        let key = bundle.component_sha256().to_string();
        if let Some(p) = self.prepared.lock().expect("lock").get(&key) {
            return Ok(p.clone());
        }
        let refused = |e: anyhow::Error| RunError::Refused { plugin: bundle.manifest.id.clone(), reason: format!("{e:#}") };
        let (component, outcome) = match &self.cache {
            Some(c) => c.load_or_compile(self.sandbox.engine(), &bundle.component, &key).map_err(refused)?,
            None => (crate::sandbox::compile(self.sandbox.engine(), &bundle.component).map_err(refused)?, CacheOutcome::Uncached),
        };
        let prepared = self.sandbox.prepare(&component).map_err(refused)?;
        tracing::debug!(plugin = %bundle.manifest.id, ?outcome, "component ready");
        self.prepared.lock().expect("lock").insert(key, (prepared.clone(), outcome));
        Ok((prepared, outcome))
    }

    /// What the plugin declares, checked against its manifest.
    pub fn describe(&self, bundle: &Bundle) -> Result<PluginInfo, RunError> {
        self.described(bundle).map(|info| info.as_ref().clone())
    }

    /// [`Host::describe`], shared rather than copied: asked once per bundle,
    /// then answered from memory for every evaluation.
    pub(crate) fn described(&self, bundle: &Bundle) -> Result<Arc<PluginInfo>, RunError> {
        let key = bundle.component_sha256().to_string();
        if let Some(info) = self.described.lock().expect("lock").get(&key) {
            return Ok(info.clone());
        }
        let (plugin, _) = self.prepare(bundle)?;
        let id = bundle.manifest.id.clone();
        let info = plugin.describe(&self.limits).map_err(|failure| RunError::Failed { plugin: id.clone(), failure })?.value;
        if info.id != bundle.manifest.id || info.version != bundle.manifest.version {
            return Err(RunError::Refused {
                plugin: id,
                reason: format!(
                    "the component describes itself as {} {}, its plugin.toml says {} {}; repack the bundle",
                    info.id, info.version, bundle.manifest.id, bundle.manifest.version
                ),
            });
        }
        let info = Arc::new(info);
        self.described.lock().expect("lock").insert(key, info.clone());
        Ok(info)
    }

    /// Which sheets of a workbook the plugin reads, and with which layout: its
    /// declared sheets' and layouts' names folded once per bundle, not for
    /// every workbook of a batch.
    pub(crate) fn sheet_selector(&self, bundle: &Bundle) -> Result<Arc<SheetSelector>, RunError> {
        let key = bundle.component_sha256().to_string();
        if let Some(s) = self.selectors.lock().expect("lock").get(&key) {
            return Ok(s.clone());
        }
        let info = self.described(bundle)?;
        let selector = Arc::new(SheetSelector::new(&info.input, bundle.manifest.layouts()));
        self.selectors.lock().expect("lock").insert(key, selector.clone());
        Ok(selector)
    }

    /// The rules for a jurisdiction: the override folder if given, else the
    /// bundle's (borrowed, not copied, unless an override file changes them).
    pub fn rules<'b>(&self, bundle: &'b Bundle, jurisdiction: &str) -> Result<(Cow<'b, RuleSet>, String), RunError> {
        let (mut set, mut source) = self.base_rules(bundle, jurisdiction)?;
        for file in &self.rules_overrides {
            let text = std::fs::read_to_string(file).map_err(|e| RunError::Io(format!("{}: {e}", file.display())))?;
            let name = file.display().to_string();
            let over = RuleSet::from_sources(jurisdiction, &[(name.clone(), text.clone())]).map_err(|e| RunError::Rules(vec![e]))?;
            let keys: Vec<String> = over.parameters.keys().cloned().collect();
            set.to_mut().override_with(over);
            source.push_str(&format!(
                " + override {name} (sha256 {}; {})",
                crate::bundle::digest::sha256_hex(text.as_bytes()),
                keys.join(", ")
            ));
        }
        Ok((set, source))
    }

    fn base_rules<'b>(&self, bundle: &'b Bundle, jurisdiction: &str) -> Result<(Cow<'b, RuleSet>, String), RunError> {
        if let Some(dir) = &self.rules_dir {
            let d = dir.join(jurisdiction);
            if d.is_dir() {
                let files = crate::bundle::read_rules_tree(dir).map_err(|e| RunError::Io(format!("{}: {e}", dir.display())))?;
                let digest = crate::bundle::digest::rules_digest(
                    &files.into_iter().filter(|(n, _)| n.starts_with(&format!("{jurisdiction}/"))).collect::<Vec<_>>(),
                );
                let set = RuleSet::load_dir(jurisdiction, &d).map_err(|e| RunError::Rules(vec![e]))?;
                return Ok((Cow::Owned(set), format!("{} (sha256 {digest})", d.display())));
            }
        }
        let set = bundle.rules_for(jurisdiction).ok_or_else(|| {
            RunError::Rules(vec![RulesError::Invalid {
                file: format!("rules/{jurisdiction}"),
                message: format!("plugin {} carries no rules for {jurisdiction}", bundle.manifest.id),
            }])
        })?;
        Ok((Cow::Borrowed(set), "bundled".into()))
    }

    /// Resolves the parameters a plugin declares for a year. Every missing
    /// required one is reported. A declared key ending in `.*` is a family:
    /// every parameter under that prefix with a value for the year is passed
    /// (a required family needs at least one), so an open set, such as a
    /// scoring catalogue a user extends with `--rules-override`, needs no
    /// change to the plugin.
    pub(crate) fn resolve_parameters(&self, info: &PluginInfo, rules: &RuleSet, year: u16) -> Result<Vec<ResolvedParameter>, RunError> {
        let mut ok: Vec<ResolvedParameter> = Vec::new();
        let mut errors = Vec::new();
        let mut check_kind = |r: ResolvedParameter, p: &crate::contract::ParameterSpec, errors: &mut Vec<RulesError>| {
            if r.kind != p.kind.into() {
                errors.push(RulesError::Invalid {
                    file: r.file.clone(),
                    message: format!(
                        "parameter {} is a {} in the rules but the plugin reads a {}",
                        r.key,
                        r.kind,
                        crate::rules::kind_name(p.kind)
                    ),
                });
            } else if !ok.iter().any(|o| o.key == r.key) {
                ok.push(r)
            }
        };
        for p in &info.parameters {
            if let Some(prefix) = p.key.strip_suffix('*') {
                let mut found = 0;
                for key in rules.parameters.keys().filter(|k| k.starts_with(prefix)) {
                    if let Ok(r) = rules.resolve(key, year) {
                        found += 1;
                        check_kind(r, p, &mut errors);
                    }
                }
                if found == 0 && p.required {
                    errors.push(RulesError::Undefined {
                        jurisdiction: rules.jurisdiction.clone(),
                        key: p.key.clone(),
                        files: rules.files.join(", "),
                    });
                }
                continue;
            }
            match rules.resolve(&p.key, year) {
                Ok(r) => check_kind(r, p, &mut errors),
                Err(e) if p.required => errors.push(e),
                Err(_) => {}
            }
        }
        if errors.is_empty() { Ok(ok) } else { Err(RunError::Rules(errors)) }
    }

    /// Whether the rules' problems for a year stop the plugin: a parameter it
    /// requires has no value, or the rules are malformed. An optional parameter
    /// without a value (a rule that starts later) does not. `lvyue rules` exits
    /// 6 and `GET /api/rules` answers 409 on it.
    pub fn rules_block(&self, info: &PluginInfo, missing: &[RulesError]) -> bool {
        let required = |key: &str| {
            info.parameters
                .iter()
                .any(|p| p.required && (p.key == key || p.key.strip_suffix('*').is_some_and(|prefix| key.starts_with(prefix))))
        };
        missing.iter().any(|m| match m {
            RulesError::Missing { key, .. } => required(key),
            _ => true,
        })
    }

    /// Builds the request without running it (for `validate`, benchmarks and [`Host::run_request`]).
    pub fn build_request(&self, job: &Evaluate<'_>) -> Result<Built<'_>, RunError> {
        self.build_request_from(job, None)
    }

    /// [`Host::build_request`] from `tables` given by value instead of `job.tables`,
    /// for [`Host::run_request`] with `call`: each row is freed as soon as it
    /// is checked ([`crate::input::check_owned`]), or, when the call sends
    /// contract 1.1's columns, packed as soon as it is checked
    /// ([`crate::input::check_packed`]) so the tables are never held as rows.
    pub fn build_request_owned(&self, job: &Evaluate<'_>, tables: Vec<RawTable>, call: Call) -> Result<Built<'_>, RunError> {
        self.build_request_from(job, Some((tables, call)))
    }

    fn build_request_from(&self, job: &Evaluate<'_>, owned: Option<(Vec<RawTable>, Call)>) -> Result<Built<'_>, RunError> {
        let bundle = self.find(job.jurisdiction).ok_or_else(|| match self.refusal_for(job.jurisdiction) {
            Some(e) => RunError::Refused { plugin: job.jurisdiction.to_string(), reason: e.to_string() },
            None => RunError::NotFound(job.jurisdiction.to_string()),
        })?;
        let info = self.described(bundle)?;
        let open_ended = bundle.manifest.years_open_ended && info.years.iter().max().is_some_and(|last| job.year > *last);
        if !info.years.contains(&job.year) && !open_ended {
            return Err(RunError::Unsupported(format!(
                "plugin {} {} covers compliance years {}, not {}",
                info.id,
                info.version,
                info.years.iter().map(|y| y.to_string()).collect::<Vec<_>>().join(", "),
                job.year
            )));
        }
        let (rules, rules_source) = self.rules(bundle, job.jurisdiction)?;
        let params = self.resolve_parameters(&info, &rules, job.year)?;
        let (tables, packed) = match owned {
            Some((tables, call))
                if self.prepare(bundle)?.0.wants_columns(&self.limits, crate::input::cells(&info.input, &tables), call) =>
            {
                (Vec::new(), Some(crate::input::check_packed(&info.input, tables)))
            }
            Some((tables, _)) => (crate::input::check_owned(&info.input, tables).map_err(RunError::BadInput)?, None),
            None => (crate::input::check(&info.input, job.tables).map_err(RunError::BadInput)?, None),
        };
        let packed = packed.transpose().map_err(RunError::BadInput)?;
        let request = Request {
            jurisdiction: job.jurisdiction.to_string(),
            period: Period { year: job.year, start: format!("{:04}-01-01", job.year), end: format!("{:04}-12-31", job.year) },
            parameters: params.iter().map(|p| p.to_contract()).collect(),
            tables,
            options: job.options.to_vec(),
        };
        Ok(Built { request, packed, bundle, info, params, rules_source })
    }

    /// Evaluates one request. Errors are reported; the host stays usable.
    pub fn evaluate(&self, job: &Evaluate<'_>) -> Result<Report, RunError> {
        self.evaluate_with(job, Call::Auto)
    }

    /// Evaluates one request with the given call of the plugin: the host's
    /// choice (what [`Host::evaluate`] does), 1.1's `evaluate-columns` or
    /// 1.0's `evaluate` with rows (the compatibility tests compare the two).
    pub fn evaluate_with(&self, job: &Evaluate<'_>, call: Call) -> Result<Report, RunError> {
        let built = self.build_request(job)?;
        self.run_request(built, job, call)
    }

    /// Runs a request [`Host::build_request`] built for `job` and makes its report.
    /// `job.tables` are not read again: a caller that no longer needs them may
    /// free them between the two (the request holds what the plugin reads).
    pub fn run_request(&self, built: Built<'_>, job: &Evaluate<'_>, call: Call) -> Result<Report, RunError> {
        let Built { request, packed, bundle, info, params, rules_source } = built;
        let (plugin, _) = self.prepare(bundle)?;
        let id = bundle.manifest.id.clone();
        // The request is not needed for the report: its rows are freed once packed
        // for the plugin (contract 1.1), the rest when the plugin returns.
        let period = report::Period { start: request.period.start.clone(), end: request.period.end.clone() };
        // The rows read and checked are freed: their pages go back before the plugin's memory is mapped.
        let cells = packed.as_deref().map_or_else(|| crate::sandbox::cells_of(&request), crate::sandbox::packed_cells);
        let large = cells >= crate::heap::RELEASE_FROM_CELLS;
        if large {
            crate::heap::release_freed();
        }
        let run = match packed {
            Some(tables) => plugin.evaluate_packed(&self.limits, &request, tables),
            None => plugin.evaluate_owned(&self.limits, request, call),
        }
        .map_err(|failure| RunError::Failed { plugin: id.clone(), failure })?;
        let evaluation = match run.value {
            Ok(e) => e,
            Err(crate::contract::EvaluationError::InvalidInput(findings)) => {
                return Err(RunError::BadInput(
                    findings
                        .into_iter()
                        .map(|f| InputProblem {
                            sheet: f.cells.first().and_then(|c| c.split('!').next()).unwrap_or("").to_string(),
                            cell: f.cells.join(", "),
                            found: f.code,
                            expected_zh: f.message.zh,
                            expected_en: f.message.en,
                        })
                        .collect(),
                ));
            }
            Err(crate::contract::EvaluationError::MissingParameter(p)) => {
                return Err(RunError::Rules(vec![RulesError::Undefined {
                    jurisdiction: job.jurisdiction.into(),
                    key: p,
                    files: rules_source,
                }]));
            }
            Err(crate::contract::EvaluationError::Unsupported(what)) => {
                return Err(RunError::Unsupported(format!("plugin {id} does not support {what}")));
            }
        };
        let run = crate::sandbox::Run {
            value: evaluation,
            fuel_used: run.fuel_used,
            fuel_limit: run.fuel_limit,
            peak_memory_bytes: run.peak_memory_bytes,
            log: run.log,
            log_truncated: run.log_truncated,
        };
        let stamp = Stamp {
            plugin: PluginStamp {
                id: bundle.manifest.id.clone(),
                name: crate::rules::Bilingual { zh: bundle.manifest.name.zh.clone(), en: bundle.manifest.name.en.clone() },
                version: bundle.manifest.version.clone(),
                contract: bundle.contract.to_string(),
                component_sha256: bundle.manifest.component.sha256.clone(),
                rules_sha256: bundle.manifest.rules.sha256.clone(),
                origin: bundle.origin.to_string(),
                rules_source,
            },
            jurisdiction: job.jurisdiction.to_string(),
            year: job.year,
            period,
            inputs: job.inputs.clone(),
            options: job.options.to_vec(),
            parameters: params,
        };
        let declared = info
            .findings
            .iter()
            .map(|f| (f.code.clone(), crate::rules::Bilingual { zh: f.description.zh.clone(), en: f.description.en.clone() }))
            .collect();
        let report = report::build(stamp, run, &declared);
        if large {
            // And the plugin's result, lifted and moved into the report: its columns are freed.
            crate::heap::release_freed();
        }
        report.check_formulas().map_err(|m| RunError::Failed { plugin: id, failure: PluginFailure::Contract(m) })?;
        Ok(report)
    }
}

/// SHA-256 of a file, for the report and a batch's rerun digest. Read as the
/// workbooks are ([`crate::input::guard`]): a device, a pipe or a file over
/// `file-mib` is bad input (exit 3) before anything is read; a file that
/// cannot be opened exits 1, as `lvyue evaluate` does.
pub(crate) fn stamp_file(path: &Path) -> Result<InputStamp, RunError> {
    Ok(InputStamp { path: path.display().to_string(), sha256: read_input(path)?.sha256 })
}

/// An input file's bytes and their SHA-256, read as [`stamp_file`] reads them.
pub(crate) fn read_input(path: &Path) -> Result<crate::input::workbook::ReadBytes, RunError> {
    let limits = crate::input::limits::InputLimits::current();
    crate::input::guard::check_file(path, &limits).map_err(|p| RunError::BadInput(vec![p]))?;
    std::fs::File::open(path).map_err(|e| RunError::Io(format!("{}: {e}", path.display())))?;
    let bytes = crate::input::guard::read_file(path, &limits).map_err(|p| RunError::BadInput(vec![p]))?;
    let sha256 = crate::bundle::digest::sha256_hex(&bytes);
    Ok(crate::input::workbook::ReadBytes { bytes: bytes.into(), sha256 })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::{ParameterSpec, TextZhEn, ValueKind};

    fn info(params: &[(&str, bool)]) -> PluginInfo {
        PluginInfo {
            id: "x".into(),
            version: "0".into(),
            name: TextZhEn { zh: "x".into(), en: "x".into() },
            jurisdictions: vec!["x".into()],
            years: vec![2024],
            parameters: params
                .iter()
                .map(|(k, r)| ParameterSpec { key: k.to_string(), kind: ValueKind::Number, unit: None, required: *r })
                .collect(),
            metrics: vec![],
            findings: vec![],
            input: vec![],
        }
    }

    #[test]
    fn parameter_families_pass_every_member_with_a_value() {
        let text = ["a.1", "a.2", "b.1"]
            .iter()
            .map(|k| format!("[[parameter]]\nkey = \"{k}\"\nkind = \"number\"\nname = {{ zh = \"k\", en = \"k\" }}\n[[parameter.value]]\nfrom = 2020-01-01\nvalue = \"1\"\nreference = \"r\"\nconfidence = \"verified\"\n"))
            .collect::<String>();
        let rules = RuleSet::from_sources("x", &[("rules/x/a.toml".into(), text)]).unwrap();
        let host = Host::new(HostOptions { no_builtins: true, ..Default::default() }).unwrap();
        let got = host.resolve_parameters(&info(&[("a.*", true)]), &rules, 2024).unwrap();
        assert_eq!(got.iter().map(|p| p.key.as_str()).collect::<Vec<_>>(), ["a.1", "a.2"]);
        let err = host.resolve_parameters(&info(&[("c.*", true)]), &rules, 2024).unwrap_err().to_string();
        assert!(err.contains("c.*"), "{err}");
        assert!(host.resolve_parameters(&info(&[("c.*", false)]), &rules, 2024).unwrap().is_empty());
    }
}
