//! `lvyue`: the command line.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use lvyue::host::{exit, Evaluate, Host, HostOptions, RunError};
use lvyue::report::Report;
use lvyue::request::RequestFile;
use lvyue::sandbox::Limits;

const ABOUT: &str = "lvyue (履约): compliance reports from sandboxed rule plugins, one per jurisdiction.";

const LONG_ABOUT: &str = "\
lvyue (履约) evaluates an enterprise's emissions inventory and offset portfolio
against the rules of a carbon market, using a sandboxed WebAssembly plugin per
jurisdiction and dated rule parameters with their legal references.

Start here:
  lvyue demo                           run the national ETS on the bundled sample
  lvyue plugins                        list the jurisdictions this lvyue can evaluate
  lvyue rules cn-ets --year 2024       the parameters in force, with their sources
  lvyue template cn-ets -o input.xlsx  an input workbook for a jurisdiction
  lvyue evaluate --request req.toml --json report.json

Exit codes: 0 ok; 1 other error; 2 usage; 3 bad input; 4 a plugin failed
(trap, panic, limit); 5 a plugin was refused (contract, digest, signature,
not found, does not build); 6 the rules lack a parameter for the year;
7 `lvyue plugin test` found failures.";

#[derive(Parser)]
#[command(name = "lvyue", version, about = ABOUT, long_about = LONG_ABOUT)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct Global {
    /// More log output (-v info, -vv debug, -vvv trace). Logs go to stderr.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    /// Load every plugin bundle found in the subfolders of DIR (repeatable).
    #[arg(long, value_name = "DIR", global = true)]
    plugin_dir: Vec<PathBuf>,
    /// Load the plugin bundle in DIR (repeatable). A loaded bundle wins over a built-in one.
    #[arg(long, value_name = "DIR", global = true)]
    bundle: Vec<PathBuf>,
    /// Use rule files from DIR/<jurisdiction>/*.toml instead of the plugin's bundled rules.
    #[arg(long, value_name = "DIR", global = true)]
    rules_dir: Option<PathBuf>,
    /// A rules file (same format as rules/<jurisdiction>/*.toml) whose parameters replace or add to
    /// those in use, e.g. your own scoring weights or a value you have verified; repeatable.
    #[arg(long, value_name = "FILE", global = true)]
    rules_override: Vec<PathBuf>,
    /// Where compiled plugins are cached [default: $LVYUE_CACHE_DIR, $XDG_CACHE_HOME/lvyue or ~/.cache/lvyue].
    #[arg(long, value_name = "DIR", global = true)]
    cache_dir: Option<PathBuf>,
    /// Compile plugins afresh and keep nothing on disk.
    #[arg(long, global = true)]
    no_cache: bool,
    /// Fuel (instructions) a plugin gets with no input; more is added per input cell.
    #[arg(long, value_name = "UNITS", global = true)]
    fuel: Option<u64>,
    /// Memory cap for a plugin, all its linear memories together, in MiB.
    #[arg(long, value_name = "MIB", global = true)]
    memory_mib: Option<usize>,
    /// Wall-clock limit for one plugin call, in seconds.
    #[arg(long, value_name = "SECS", global = true)]
    timeout_secs: Option<u64>,
    /// Trust bundles signed by the ed25519 public key in FILE (repeatable; also $LVYUE_TRUSTED_KEYS,
    /// `:`-separated). With any key trusted, unsigned or otherwise signed bundles are refused.
    #[arg(long, value_name = "FILE", global = true)]
    trust: Vec<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// List the installed plugins, or show one (`lvyue plugins info cn-ets`).
    Plugins {
        #[command(subcommand)]
        action: Option<PluginsAction>,
    },
    /// Show the rule parameters in force for a compliance year, with value,
    /// effective date, legal reference and confidence.
    Rules {
        /// Jurisdiction id, e.g. cn-ets.
        jurisdiction: String,
        /// Compliance year.
        #[arg(long)]
        year: u16,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Write an empty input workbook for a jurisdiction, from what its plugin declares.
    Template {
        /// Jurisdiction id, e.g. cn-ets.
        jurisdiction: String,
        /// Output .xlsx file.
        #[arg(short, long)]
        out: PathBuf,
        /// Compliance year shown on the instructions sheet.
        #[arg(long)]
        year: Option<u16>,
    },
    /// Evaluate input workbooks (or a request file) and write the compliance workbook and/or JSON.
    ///
    /// Workbooks: `--jurisdiction cn-ets --year 2024 --inventory inv.xlsx [--portfolio port.xlsx] --out report.xlsx`.
    /// Request file (TOML or JSON, for integrations): `--request req.toml --json report.json`.
    Evaluate {
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
    },
    /// Check input workbooks (or a request file) against the plugin's declared input, without evaluating.
    Validate {
        #[command(flatten)]
        input: InputArgs,
    },
    /// Write, build, test and pack a jurisdiction plugin (see docs/plugin-guide.md).
    Plugin {
        #[command(subcommand)]
        action: PluginAction,
    },
    /// Run the main job on the bundled sample data and write the results.
    Demo {
        /// Folder for the results.
        #[arg(long, default_value = "lvyue-demo")]
        out_dir: PathBuf,
    },
}

#[derive(Args)]
struct InputArgs {
    /// Jurisdiction id, e.g. cn-ets (with --inventory). Several (`-j cn-ets -j cn-shanghai` or
    /// `-j cn-ets,cn-shanghai`) evaluate the same workbooks for each, into one workbook with an overview.
    #[arg(long, short = 'j', requires = "year", conflicts_with = "request", value_delimiter = ',')]
    jurisdiction: Vec<String>,
    /// Compliance year (with --inventory).
    #[arg(long, requires = "jurisdiction")]
    year: Option<u16>,
    /// The inventory workbook (.xlsx, .xlsm, .xls, .ods).
    #[arg(long, value_name = "FILE", requires = "jurisdiction")]
    inventory: Option<PathBuf>,
    /// The portfolio workbook: allowances and credits held.
    #[arg(long, value_name = "FILE", requires = "inventory")]
    portfolio: Option<PathBuf>,
    /// A request file (TOML or JSON: jurisdiction, year, options, units, tables) instead of workbooks.
    #[arg(long, value_name = "FILE")]
    request: Option<PathBuf>,
    /// An option KEY=VALUE passed to the plugin (e.g. carbon_price_cny=95); repeatable.
    #[arg(long = "option", value_name = "KEY=VALUE")]
    options: Vec<String>,
}

/// Everything read from the input, ready to evaluate.
struct Loaded {
    jurisdiction: String,
    year: u16,
    tables: Vec<lvyue::input::RawTable>,
    options: Vec<(String, String)>,
    inputs: Vec<lvyue::report::InputStamp>,
    paths: Vec<PathBuf>,
    /// With several jurisdictions: why this one's input could not be read.
    error: Option<RunError>,
}

/// Reads the input once per jurisdiction (each plugin declares its own sheets).
fn load(host: &Host, a: &InputArgs) -> Result<Vec<Loaded>, RunError> {
    let mut all = if let Some(request) = &a.request {
        let req = RequestFile::read(request).map_err(|e| RunError::Io(e.to_string()))?;
        vec![Loaded {
            jurisdiction: req.jurisdiction,
            year: req.year,
            tables: req.tables,
            options: req.options,
            inputs: vec![lvyue::host::stamp_file(request)?],
            paths: vec![request.clone()],
            error: None,
        }]
    } else {
        let (false, Some(year), Some(inventory)) = (a.jurisdiction.is_empty(), a.year, &a.inventory) else {
            return Err(RunError::Io("give --jurisdiction, --year and --inventory (and optionally --portfolio), or --request FILE".into()));
        };
        let mut paths = vec![inventory.clone()];
        paths.extend(a.portfolio.clone());
        let refs: Vec<&std::path::Path> = paths.iter().map(|p| p.as_path()).collect();
        let inputs = paths.iter().map(|p| lvyue::host::stamp_file(p)).collect::<Result<Vec<_>, _>>()?;
        let mut out = Vec::new();
        for j in &a.jurisdiction {
            let read = || -> Result<Vec<lvyue::input::RawTable>, RunError> {
                let bundle = host.find(j).ok_or_else(|| RunError::NotFound(j.clone()))?;
                let info = host.describe(bundle)?;
                lvyue::workbook::read_all(&refs, &info.input).map_err(RunError::BadInput)
            };
            let (tables, error) = match read() {
                Ok(t) => (t, None),
                // One jurisdiction alone: its error is the run's.
                Err(e) if a.jurisdiction.len() == 1 => return Err(e),
                Err(e) => (Vec::new(), Some(e)),
            };
            out.push(Loaded { jurisdiction: j.clone(), year, tables, options: Vec::new(), inputs: inputs.clone(), paths: paths.clone(), error });
        }
        out
    };
    for loaded in &mut all {
        for o in &a.options {
            let (k, v) = o.split_once('=').ok_or_else(|| RunError::Io(format!("--option {o}: expected KEY=VALUE")))?;
            loaded.options.retain(|(ok, _)| ok != k);
            loaded.options.push((k.to_string(), v.to_string()));
        }
    }
    Ok(all)
}

/// Evaluates each loaded input. With one jurisdiction its error is the run's
/// (nothing is written). With several, a jurisdiction that fails (its input,
/// its rules or its plugin) is reported and the others go on; the run fails
/// only if none succeeds.
fn evaluate_all(host: &Host, loaded: &mut [Loaded]) -> Result<(Vec<Report>, Vec<(String, RunError)>), RunError> {
    let mut reports = Vec::new();
    let mut failures = Vec::new();
    let several = loaded.len() > 1;
    for l in loaded.iter_mut() {
        let outcome = match l.error.take() {
            Some(e) => Err(e),
            None => host.evaluate(&Evaluate { jurisdiction: &l.jurisdiction, year: l.year, tables: &l.tables, options: &l.options, inputs: l.inputs.clone() }),
        };
        match outcome {
            Ok(r) => reports.push(r),
            Err(e) if several => {
                eprintln!("error: {}: {e}\n(continuing with the other jurisdictions)", l.jurisdiction);
                failures.push((l.jurisdiction.clone(), e));
            }
            Err(e) => return Err(e),
        }
    }
    if reports.is_empty() && !failures.is_empty() {
        return Err(failures.swap_remove(0).1);
    }
    Ok((reports, failures))
}

/// Writes the requested outputs, each atomically; refuses to overwrite an input.
/// One report gives its workbook and JSON; several give one workbook with an
/// overview and a JSON `{"reports": [...], "failures": [...]}`.
fn write_outputs(
    host: &Host,
    reports: &[Report],
    failures: &[(String, RunError)],
    inputs: &[PathBuf],
    out: Option<&PathBuf>,
    json: Option<&PathBuf>,
    render: Option<&PathBuf>,
) -> Result<(), RunError> {
    for target in out.iter().chain(json.iter()) {
        let same = inputs.iter().any(|i| std::fs::canonicalize(i).ok().is_some_and(|c| std::fs::canonicalize(target).ok() == Some(c)));
        if same {
            return Err(RunError::Io(format!("{} is an input file; choose another output path (inputs are never modified)", target.display())));
        }
    }
    let mut files = Vec::new();
    if let Some(path) = out {
        let infos = reports.iter().map(|r| host.find(&r.plugin.id).map(|b| host.describe(b)).transpose()).collect::<Result<Vec<_>, _>>()?;
        let bytes = if reports.len() == 1 && failures.is_empty() {
            lvyue::report_xlsx::build(&reports[0], infos[0].as_ref())
        } else {
            let items: Vec<_> = reports.iter().zip(&infos).map(|(r, i)| (r, i.as_ref())).collect();
            let failed: Vec<(String, String)> = failures.iter().map(|(j, e)| (j.clone(), e.to_string())).collect();
            lvyue::report_xlsx::build_many(&items, &failed)
        }
        .map_err(|e| RunError::Io(format!("building the workbook: {e}")))?;
        files.push((path.clone(), bytes));
    }
    if let Some(path) = json {
        let text = if reports.len() == 1 && failures.is_empty() {
            reports[0].to_json()
        } else {
            let failed: Vec<serde_json::Value> = failures
                .iter()
                .map(|(j, e)| serde_json::json!({ "jurisdiction": j, "exit_code": e.exit_code(), "error": e.to_string() }))
                .collect();
            serde_json::to_string_pretty(&serde_json::json!({ "reports": reports, "failures": failed })).expect("serialise") + "\n"
        };
        files.push((path.clone(), text.into_bytes()));
    }
    if let Some(dir) = render {
        for report in reports {
            let bundle = host.find(&report.plugin.id).ok_or_else(|| RunError::NotFound(report.plugin.id.clone()))?;
            let name = &bundle.manifest.name;
            let docs = lvyue::render::render_all(&bundle.templates, report, (&name.zh, &name.en)).map_err(|e| RunError::Io(format!("rendering the report: {e}")))?;
            if docs.is_empty() {
                eprintln!("note: plugin {} has no report templates; nothing rendered", report.plugin.id);
            } else {
                std::fs::create_dir_all(dir).map_err(|e| RunError::Io(format!("{}: {e}", dir.display())))?;
            }
            for (file, text) in docs {
                files.push((dir.join(file), text.into_bytes()));
            }
        }
    }
    for (path, bytes) in files {
        lvyue::atomic::write(&path, &bytes).map_err(|e| RunError::Io(format!("{}: {e}", path.display())))?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

#[derive(Subcommand)]
enum PluginAction {
    /// Create a plugin project: crate, manifest, rules and test cases, with the SDK vendored.
    New {
        /// The plugin's id (also its jurisdiction id), e.g. acme-levy.
        id: String,
        /// Folder to create [default: ./<id>].
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Build the plugin's component (cargo build --release --target wasm32-wasip2).
    Build {
        /// The plugin project folder.
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Build the plugin, load it as any host would, run the conformance checks and its cases.
    Test {
        /// The plugin project folder.
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Build the plugin and write a bundle (plugin.toml with digests, component, rules, templates).
    Pack {
        /// The plugin project folder.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// The bundle folder to write.
        #[arg(short, long)]
        out: PathBuf,
        /// Sign the bundle with this ed25519 key (from `lvyue plugin keygen`).
        #[arg(long, value_name = "KEY")]
        sign: Option<PathBuf>,
    },
    /// Make an ed25519 key pair for signing bundles: NAME.key (secret) and NAME.pub.
    Keygen {
        /// Path and stem of the key files.
        #[arg(short, long)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum PluginsAction {
    /// List the plugins (the default).
    List,
    /// Version, years, digests, contract and the input a plugin needs.
    Info { id: String },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let level = match cli.global.verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("LVYUE_LOG").unwrap_or_else(|_| level.into()))
        .with_writer(std::io::stderr)
        .without_time()
        .init();
    match run(cli) {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}

fn host(g: &Global) -> Result<Host, RunError> {
    let mut limits = Limits::default();
    if let Some(f) = g.fuel {
        limits.fuel_base = f;
    }
    if let Some(m) = g.memory_mib {
        limits.memory_bytes = m << 20;
    }
    if let Some(s) = g.timeout_secs {
        limits.wall_clock = Duration::from_secs(s);
    }
    let cache_dir = if g.no_cache { None } else { g.cache_dir.clone().or_else(lvyue::cache::CompileCache::default_dir) };
    Host::new(HostOptions {
        plugin_dirs: g.plugin_dir.clone(),
        bundles: g.bundle.clone(),
        cache_dir,
        limits,
        rules_dir: g.rules_dir.clone(),
        rules_overrides: g.rules_override.clone(),
        no_builtins: false,
        trusted_keys: trusted_keys(g)?,
    })
    .map_err(|e| RunError::Io(format!("{e:#}")))
}

fn trusted_keys(g: &Global) -> Result<Vec<ed25519_dalek::VerifyingKey>, RunError> {
    let mut files = g.trust.clone();
    if let Some(env) = std::env::var_os("LVYUE_TRUSTED_KEYS") {
        files.extend(std::env::split_paths(&env).filter(|p| !p.as_os_str().is_empty()));
    }
    files.iter().map(|f| lvyue::signing::read_public(f).map_err(RunError::Io)).collect()
}

fn run(cli: Cli) -> Result<i32, RunError> {
    if let Command::Plugin { action } = &cli.command {
        return plugin_command(action);
    }
    let host = host(&cli.global)?;
    match cli.command {
        Command::Plugin { .. } => unreachable!("handled before the host starts"),
        Command::Plugins { action: None | Some(PluginsAction::List) } => {
            println!("{:<20} {:<9} {:<10} {:<12} {:<10} name", "id", "version", "contract", "years", "origin");
            for b in host.bundles() {
                let m = &b.manifest;
                println!("{:<20} {:<9} {:<10} {:<12} {:<10} {} / {}", m.id, m.version, b.contract, years_text(&m.years), b.origin.to_string(), m.name.zh, m.name.en);
            }
            for e in host.refused() {
                println!("refused: {e}");
            }
            Ok(if host.refused().is_empty() { exit::OK } else { exit::PLUGIN_REFUSED })
        }
        Command::Plugins { action: Some(PluginsAction::Info { id }) } => {
            let b = host.find(&id).ok_or_else(|| RunError::NotFound(id.clone()))?;
            let info = host.describe(b)?;
            let m = &b.manifest;
            println!("{} {} — {} / {}", m.id, m.version, m.name.zh, m.name.en);
            println!("  origin:           {}", b.origin);
            println!("  contract:         lvyue:compliance@{} (manifest: {})", b.contract, m.contract);
            println!("  jurisdictions:    {}", m.jurisdictions.join(", "));
            println!("  compliance years: {}", years_text(&info.years));
            println!("  component sha256: {}", m.component.sha256);
            println!("  rules sha256:     {}", m.rules.sha256);
            for s in &m.legal_source {
                println!("  legal source:     {} — {} [{}]", s.title, s.reference, s.confidence.as_deref().unwrap_or("-"));
            }
            println!("\nInput it needs:");
            for s in &info.input {
                println!("  sheet {} / {} ({}){}", s.name.zh, s.name.en, s.key, if s.required { ", required" } else { ", optional" });
                for c in &s.columns {
                    println!(
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
            println!("\nParameters: {}", info.parameters.iter().map(|p| p.key.as_str()).collect::<Vec<_>>().join(", "));
            println!("Metrics:    {}", info.metrics.iter().map(|p| p.key.as_str()).collect::<Vec<_>>().join(", "));
            println!("Findings:   {}", info.findings.iter().map(|p| p.code.as_str()).collect::<Vec<_>>().join(", "));
            Ok(exit::OK)
        }
        Command::Rules { jurisdiction, year, json } => {
            let b = host.find(&jurisdiction).ok_or_else(|| RunError::NotFound(jurisdiction.clone()))?;
            let (rules, source) = host.rules(b, &jurisdiction)?;
            let (params, missing) = rules.resolve_all(year);
            if json {
                println!("{}", serde_json::to_string_pretty(&params).expect("serialise"));
            } else {
                println!("Rules for {jurisdiction}, compliance year {year} (rules: {source})\n");
                for p in &params {
                    println!("{}  {} / {}", p.key, p.name.zh, p.name.en);
                    println!("    value:      {}{}", p.value, p.unit.as_deref().map(|u| format!(" {u}")).unwrap_or_default());
                    println!("    effective:  {}{}", p.effective, p.until.as_deref().map(|u| format!(" until {u}")).unwrap_or_default());
                    println!("    reference:  {}", p.reference);
                    println!("    confidence: {}{}", p.confidence, if p.confidence == "verified" { "" } else { "  (not verified in the official text)" });
                    if let Some(n) = &p.note {
                        println!("    note:       {n}");
                    }
                    println!("    file:       {}", p.file);
                }
            }
            for m in &missing {
                eprintln!("warning: {m}");
            }
            Ok(if missing.is_empty() { exit::OK } else { exit::RULES })
        }
        Command::Template { jurisdiction, out, year } => {
            let b = host.find(&jurisdiction).ok_or_else(|| RunError::NotFound(jurisdiction.clone()))?;
            let info = host.describe(b)?;
            let bytes = lvyue::template::build(&info, year).map_err(|e| RunError::Io(format!("building the template: {e}")))?;
            lvyue::atomic::write(&out, &bytes).map_err(|e| RunError::Io(format!("{}: {e}", out.display())))?;
            println!("wrote {} ({} input sheets)", out.display(), info.input.len());
            Ok(exit::OK)
        }
        Command::Evaluate { input, out, json, render } => {
            let mut loaded = load(&host, &input)?;
            let (reports, failures) = evaluate_all(&host, &mut loaded)?;
            for r in &reports {
                print_summary(r);
                println!();
            }
            if !reports.is_empty() {
                write_outputs(&host, &reports, &failures, &loaded[0].paths, out.as_ref(), json.as_ref(), render.as_ref())?;
            }
            match failures.into_iter().next() {
                Some((_, e)) => Err(e),
                None => Ok(exit::OK),
            }
        }
        Command::Validate { input } => {
            for l in load(&host, &input)? {
                if let Some(e) = l.error {
                    return Err(e);
                }
                let job = Evaluate { jurisdiction: &l.jurisdiction, year: l.year, tables: &l.tables, options: &l.options, inputs: l.inputs.clone() };
                let (request, ..) = host.build_request(&job)?;
                let rows: usize = request.tables.iter().map(|t| t.rows.len()).sum();
                println!("ok: {} sheet(s), {rows} row(s) valid for {} {}", request.tables.len(), l.jurisdiction, l.year);
            }
            Ok(exit::OK)
        }
        Command::Demo { out_dir } => {
            std::fs::create_dir_all(&out_dir).map_err(|e| RunError::Io(format!("{}: {e}", out_dir.display())))?;
            for (name, req) in lvyue::samples::bundled()? {
                let mut paths = Vec::new();
                for (file, bytes) in lvyue::samples::workbooks(&host, &name, &req)? {
                    let path = out_dir.join(file);
                    lvyue::atomic::write(&path, &bytes).map_err(|e| RunError::Io(format!("{}: {e}", path.display())))?;
                    paths.push(path);
                }
                println!("== lvyue demo: {} {} on the bundled sample {} ==\n", req.jurisdiction, req.year, name);
                let input = InputArgs {
                    jurisdiction: vec![req.jurisdiction.clone()],
                    year: Some(req.year),
                    inventory: paths.first().cloned(),
                    portfolio: paths.get(1).cloned(),
                    request: None,
                    options: req.options.iter().map(|(k, v)| format!("{k}={v}")).collect(),
                };
                let l = load(&host, &input)?.remove(0);
                let report = host.evaluate(&Evaluate { jurisdiction: &l.jurisdiction, year: l.year, tables: &l.tables, options: &l.options, inputs: l.inputs.clone() })?;
                print_summary(&report);
                println!();
                let stem = format!("{}-report", name.trim_end_matches(".toml"));
                let has_templates = host.find(&report.plugin.id).is_some_and(|b| !b.templates.is_empty());
                write_outputs(
                    &host,
                    std::slice::from_ref(&report),
                    &[],
                    &l.paths,
                    Some(&out_dir.join(format!("{stem}.xlsx"))),
                    Some(&out_dir.join(format!("{stem}.json"))),
                    has_templates.then_some(&out_dir),
                )?;
                println!();
            }
            Ok(exit::OK)
        }
    }
}

fn plugin_command(action: &PluginAction) -> Result<i32, RunError> {
    use lvyue::kit;
    let kit_err = |e: kit::KitError| match e {
        kit::KitError::Build(_) => RunError::Refused { plugin: "(project)".into(), reason: e.to_string() },
        other => RunError::Io(other.to_string()),
    };
    match action {
        PluginAction::New { id, dir } => {
            let dir = dir.clone().unwrap_or_else(|| PathBuf::from(id));
            let files = kit::new_project(id, &dir).map_err(kit_err)?;
            println!("created {} ({} files). Next:", dir.display(), files.len());
            println!("  lvyue plugin test {}     build it and run its checks and cases", dir.display());
            println!("  see docs/plugin-guide.md for a tour");
            Ok(exit::OK)
        }
        PluginAction::Build { dir } => {
            let bytes = kit::build(dir).map_err(kit_err)?;
            println!("built the component: {} bytes, sha256 {}", bytes.len(), lvyue::digest::sha256_hex(&bytes));
            Ok(exit::OK)
        }
        PluginAction::Test { dir } => {
            let bytes = kit::build(dir).map_err(kit_err)?;
            let checks = kit::test(dir, &bytes).map_err(kit_err)?;
            let failed = checks.iter().filter(|c| !c.failures.is_empty()).count();
            for c in &checks {
                println!("{} {}", if c.failures.is_empty() { "ok  " } else { "FAIL" }, c.name);
                for f in &c.failures {
                    println!("       {f}");
                }
            }
            println!("{} passed, {} failed", checks.len() - failed, failed);
            Ok(if failed == 0 { exit::OK } else { exit::TESTS_FAILED })
        }
        PluginAction::Pack { dir, out, sign } => {
            let bytes = kit::build(dir).map_err(kit_err)?;
            kit::pack(dir, &bytes, out, sign.as_deref()).map_err(kit_err)?;
            println!("wrote the bundle {}{}", out.display(), if sign.is_some() { " (signed)" } else { "" });
            Ok(exit::OK)
        }
        PluginAction::Keygen { out } => {
            let (secret, public) = lvyue::signing::keygen(out).map_err(RunError::Io)?;
            println!("wrote {} (keep it secret) and {} (give it to users: --trust {})", secret.display(), public.display(), public.display());
            Ok(exit::OK)
        }
    }
}

/// Years as ranges: 2021–2025, 2027.
fn years_text(years: &[u16]) -> String {
    let mut ys = years.to_vec();
    ys.sort();
    ys.dedup();
    let mut parts = Vec::new();
    let mut i = 0;
    while i < ys.len() {
        let start = ys[i];
        while i + 1 < ys.len() && ys[i + 1] == ys[i] + 1 {
            i += 1;
        }
        parts.push(if ys[i] == start { start.to_string() } else { format!("{start}–{}", ys[i]) });
        i += 1;
    }
    parts.join(", ")
}

fn print_summary(r: &Report) {
    println!("{} {} ({}), compliance year {}", r.plugin.id, r.plugin.version, r.plugin.origin, r.year);
    println!("\n{:<32} {:>18}  {:<6} label", "metric", "value", "unit");
    for m in &r.metrics {
        println!("{:<32} {:>18}  {:<6} {} / {}", m.key, m.value.as_deref().unwrap_or("—"), m.unit, m.label_zh, m.label_en);
    }
    if !r.findings.is_empty() {
        println!("\nfindings:");
        for f in &r.findings {
            println!("  [{}] {}: {}{}", f.severity, f.code, f.message_en, if f.cells.is_empty() { String::new() } else { format!(" ({})", f.cells.join(", ")) });
        }
    }
    let unverified = r.parameters.iter().filter(|p| p.confidence != "verified").count();
    println!(
        "\n{} parameters used ({} not verified in the official text); fuel used {} of {}",
        r.parameters.len(),
        unverified,
        r.run.fuel_used,
        r.run.fuel_limit
    );
}
