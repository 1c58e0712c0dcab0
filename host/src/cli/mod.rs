//! The command line: argument parsing, the global flags, and one file per
//! command (as wasmtime's `src/commands/`). Each command parses its own
//! arguments and calls the library; none computes anything itself.
//!
//! Manners (as ripgrep's `crates/core/main.rs`): usage errors exit 2 (clap's
//! code), every documented exit code comes from [`lvyue::host::exit`], and
//! output to a closed pipe (`lvyue rules cn-ets --year 2024 | head`) ends the
//! process quietly with exit 0 instead of a panic.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use lvyue::host::{Host, HostOptions, RunError};
use lvyue::sandbox::Limits;

/// `println!` that ends the process quietly when stdout is a closed pipe.
macro_rules! outln {
    () => { $crate::cli::write_out(format_args!("")) };
    ($($t:tt)*) => { $crate::cli::write_out(format_args!($($t)*)) };
}

mod batch;
mod demo;
mod evaluate;
mod ledger;
mod plugin;
mod plugins;
mod rules;
mod serve;
mod template;
mod validate;

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

/// Flags every command takes.
#[derive(Args)]
pub(crate) struct Global {
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
    #[arg(long, value_name = "UNITS", global = true, value_parser = clap::value_parser!(u64).range(1..))]
    fuel: Option<u64>,
    /// Memory cap for a plugin, all its linear memories together, in MiB (1 to 65536)
    /// [default: 512 MiB plus 128 bytes per input cell, at most 4096 MiB].
    #[arg(long, value_name = "MIB", global = true, value_parser = clap::value_parser!(u64).range(1..=65536))]
    memory_mib: Option<u64>,
    /// Wall-clock limit for one plugin call, in seconds (1 to 86400).
    #[arg(long, value_name = "SECS", global = true, value_parser = clap::value_parser!(u64).range(1..=86400))]
    timeout_secs: Option<u64>,
    /// Raise (or lower) a limit on reading input files, NAME=VALUE, repeatable or comma-separated:
    /// file-mib (100), part-mib (256), ratio (100), cells (12000000), strings (2000000),
    /// text-chars (32767), depth (100), secs (60). See docs/workbooks.md.
    #[arg(long = "input-limit", value_name = "NAME=VALUE", global = true, value_parser = lvyue::input::limits::parse_setting)]
    input_limits: Vec<lvyue::input::limits::Settings>,
    /// Trust bundles signed by the ed25519 public key in FILE (repeatable; also $LVYUE_TRUSTED_KEYS,
    /// `:`-separated). With any key trusted, unsigned or otherwise signed bundles are refused.
    #[arg(long, value_name = "FILE", global = true)]
    trust: Vec<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// List the installed plugins, or show one (`lvyue plugins info cn-ets`).
    Plugins(plugins::Args),
    /// Show the rule parameters in force for a compliance year, with value,
    /// effective date, legal reference and confidence.
    Rules(rules::Args),
    /// Write an empty input workbook for a jurisdiction, from what its plugin declares.
    Template(template::Args),
    /// Evaluate input workbooks (or a request file) and write the compliance workbook and/or JSON.
    ///
    /// Workbooks: `--jurisdiction cn-ets --year 2024 --inventory inv.xlsx [--portfolio port.xlsx] --out report.xlsx`.
    /// Request file (TOML or JSON, for integrations): `--request req.toml --json report.json`.
    Evaluate(evaluate::Args),
    /// Check input workbooks (or a request file) against the plugin's declared input, without evaluating.
    Validate(validate::Args),
    /// Write, build, test and pack a jurisdiction plugin (see docs/plugin-guide.md).
    Plugin {
        #[command(subcommand)]
        action: plugin::Action,
    },
    /// Run the main job on the bundled sample data and write the results.
    Demo(demo::Args),
    /// Evaluate many entities and years (a folder of entity folders, or a manifest) in
    /// parallel, into a workbook and JSON each and one summary; reruns skip what is unchanged.
    Batch(batch::Args),
    /// The ledger of evaluations and serial uses: list, show, diff, export.
    Ledger(ledger::Args),
    /// A local web page (and a JSON API, docs/api.md) to evaluate workbooks in a browser.
    Serve(serve::Args),
}

/// The input arguments `evaluate` and `validate` share.
#[derive(Args)]
pub(crate) struct InputArgs {
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
    #[arg(long = "option", value_name = "KEY=VALUE", value_parser = parse_option)]
    options: Vec<(String, String)>,
}

impl InputArgs {
    pub(crate) fn job(&self) -> lvyue::job::JobInput {
        lvyue::job::JobInput {
            jurisdictions: self.jurisdiction.clone(),
            year: self.year,
            inventory: self.inventory.clone(),
            portfolio: self.portfolio.clone(),
            request: self.request.clone(),
            options: self.options.clone(),
        }
    }
}

/// `KEY=VALUE` with a non-empty key, checked by clap before any plugin work.
fn parse_option(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        Some(_) => Err("the KEY before `=` is empty".into()),
        None => Err("expected KEY=VALUE".into()),
    }
}

/// Writes one line to stdout; a closed pipe ends the process quietly (exit 0).
pub(crate) fn write_out(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.write_all(b"\n")) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(lvyue::host::exit::OK);
        }
        eprintln!("error: writing to standard output: {e}");
        std::process::exit(lvyue::host::exit::OTHER);
    }
}

/// Parses the command line, runs the command and turns its outcome into the exit code.
pub(crate) fn main() -> ExitCode {
    let cli = Cli::parse();
    lvyue::input::guard::install_panic_hook(cli.global.verbose > 0);
    let settings: Vec<(String, u64)> = cli.global.input_limits.iter().flat_map(|s| s.0.clone()).collect();
    let base = match cli.command {
        Command::Serve(_) => lvyue::input::limits::InputLimits::for_server(),
        _ => lvyue::input::limits::InputLimits::default(),
    };
    base.with(&settings).install();
    let level = match cli.global.verbose {
        // The spreadsheet reader's own warnings are not the user's business.
        0 => "warn,calamine=error",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("LVYUE_LOG").unwrap_or_else(|_| level.into()))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
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

fn run(cli: Cli) -> Result<i32, RunError> {
    let g = &cli.global;
    match cli.command {
        Command::Plugin { action } => plugin::run(&action),
        Command::Plugins(a) => plugins::run(&host(g)?, &a),
        Command::Rules(a) => rules::run(&host(g)?, &a),
        Command::Template(a) => template::run(&host(g)?, &a),
        Command::Evaluate(a) => evaluate::run(&host(g)?, &a),
        Command::Validate(a) => validate::run(&host(g)?, &a),
        Command::Demo(a) => demo::run(&host(g)?, &a),
        Command::Batch(a) => batch::run(&host(g)?, &a),
        Command::Ledger(a) => ledger::run(&a),
        Command::Serve(a) => serve::run(host(g)?, &a),
    }
}

/// The host the global flags describe.
fn host(g: &Global) -> Result<Host, RunError> {
    let mut limits = Limits::default();
    if let Some(f) = g.fuel {
        limits.fuel_base = f;
    }
    if let Some(m) = g.memory_mib {
        // A cap the user states is the cap, whatever the input's size.
        limits.memory_bytes = (m as usize) << 20;
        limits.memory_per_cell = 0;
    }
    if let Some(s) = g.timeout_secs {
        limits.wall_clock = Duration::from_secs(s);
    }
    let cache_dir = if g.no_cache { None } else { g.cache_dir.clone().or_else(lvyue::bundle::cache::CompileCache::default_dir) };
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
    files.iter().map(|f| lvyue::bundle::signing::read_public(f).map_err(RunError::Io)).collect()
}

/// Years as ranges: 2021–2025, 2027.
pub(crate) fn years_text(years: &[u16]) -> String {
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
