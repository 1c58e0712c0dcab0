//! The sandbox: one wasmtime engine, a fresh store per call, and the limits.
//!
//! A plugin is a pure function. Its WASI context grants nothing: no preopened
//! directories, no environment, no arguments, no sockets, a clock fixed at the
//! epoch, seeded randomness. Its stdout and stderr go to a capped in-memory
//! log. CPU is bounded by fuel (deterministic, scaled to the input size) with
//! an epoch deadline as a wall-clock backstop; memory by one cap over all
//! linear memories together; the result by the bytes copied out of the guest
//! and by counts of findings, trace steps and rows.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Config, Engine, ResourceLimiter, Store, Trap};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::contract::{self, CompliancePluginPre, Evaluation, EvaluationError, PluginInfo, Request, Value, Version};

/// Limits for one plugin call. Defaults suit a 100,000-row inventory.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Fuel for a call with no input.
    pub fuel_base: u64,
    /// Extra fuel per input cell.
    pub fuel_per_cell: u64,
    /// Wall-clock backstop.
    pub wall_clock: Duration,
    /// Cap on all linear memories together for a call with no input, in bytes.
    pub memory_bytes: usize,
    /// Extra memory allowed per input cell (0: the cap is `memory_bytes` whatever the input).
    pub memory_per_cell: usize,
    pub max_instances: usize,
    pub max_tables: usize,
    pub max_table_elements: usize,
    pub max_memories: usize,
    /// Bytes the host copies out of the guest for one result.
    pub result_bytes: usize,
    pub max_findings: usize,
    pub max_trace_steps: usize,
    pub max_result_rows: usize,
    /// Bytes of stdout and stderr kept in the run log.
    pub log_bytes: usize,
    /// A 1.1 plugin is called with columns (`evaluate-columns`) from this
    /// many input cells on, with rows (`evaluate`) below ([`Call::Auto`]).
    pub columns_from_cells: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            fuel_base: 2_000_000_000,
            fuel_per_cell: 50_000,
            wall_clock: Duration::from_secs(60),
            memory_bytes: 512 << 20,
            // A guest holds a request and its result: about 80 bytes a cell measured
            // for cn-ets at 1,000,000 rows (docs/benchmarks.md); 128 leaves room.
            memory_per_cell: 128,
            max_instances: 64,
            max_tables: 64,
            max_table_elements: 1_000_000,
            max_memories: 16,
            result_bytes: 256 << 20,
            max_findings: 100_000,
            max_trace_steps: 1_000_000,
            max_result_rows: 2_000_000,
            log_bytes: 64 << 10,
            columns_from_cells: 1_000,
        }
    }
}

impl Limits {
    /// The fuel for a request with `cells` input cells.
    pub(crate) fn fuel_for(&self, cells: u64) -> u64 {
        self.fuel_base.saturating_add(self.fuel_per_cell.saturating_mul(cells))
    }

    /// The memory cap for a request with `cells` input cells, at most the 4 GiB a
    /// 32-bit linear memory can address.
    pub(crate) fn memory_for(&self, cells: u64) -> usize {
        let extra = usize::try_from(cells).unwrap_or(usize::MAX).saturating_mul(self.memory_per_cell);
        self.memory_bytes.saturating_add(extra).min(self.memory_bytes.max(4 << 30))
    }
}

/// How a plugin call ended badly. The host reports it and carries on.
#[derive(Debug, thiserror::Error)]
pub enum PluginFailure {
    #[error(
        "ran out of fuel: used its budget of {limit} units (fuel scales with input size: {base} + {per_cell} per cell); an infinite loop or a far too slow rule"
    )]
    OutOfFuel { limit: u64, base: u64, per_cell: u64 },
    #[error("exceeded the wall-clock limit of {0:?} (epoch deadline)")]
    Timeout(Duration),
    #[error("exceeded the memory cap of {cap} bytes across all its linear memories (asked for {requested} bytes in total)")]
    MemoryCap { cap: usize, requested: usize },
    #[error("exceeded the cap on {what}: {detail}")]
    ResourceCap { what: &'static str, detail: String },
    #[error("exceeded the result cap: {0}")]
    ResultCap(String),
    #[error("overflowed its stack (unbounded recursion?)")]
    StackOverflow,
    #[error("panicked: {0}")]
    Panic(String),
    #[error("trapped: {0}")]
    Trap(String),
    #[error("could not be instantiated: {0}")]
    Instantiate(String),
    #[error("broke the contract: {0}")]
    Contract(String),
}

/// The outcome of `evaluate`, with the call's resource use.
#[derive(Debug)]
pub struct Run<T> {
    pub value: T,
    pub fuel_used: u64,
    pub fuel_limit: u64,
    pub peak_memory_bytes: usize,
    pub log: String,
    pub log_truncated: bool,
}

/// One engine for the process. Cloning is cheap.
#[derive(Clone)]
pub struct Sandbox {
    engine: Engine,
    linker: Arc<Linker<PluginState>>,
    _ticker: Arc<EpochTicker>,
}

/// Epoch ticks per second; the wall-clock deadline is counted in ticks.
const TICKS_PER_SECOND: u64 = 20;

struct EpochTicker {
    stop: Arc<AtomicBool>,
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl Sandbox {
    pub fn new() -> anyhow::Result<Sandbox> {
        let engine = Engine::new(&engine_config())?;
        let mut linker = Linker::<PluginState>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
        let stop = Arc::new(AtomicBool::new(false));
        {
            let engine = engine.clone();
            let stop = stop.clone();
            std::thread::Builder::new().name("lvyue-epoch".into()).spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(1000 / TICKS_PER_SECOND));
                    engine.increment_epoch();
                }
            })?;
        }
        Ok(Sandbox { engine, linker: Arc::new(linker), _ticker: Arc::new(EpochTicker { stop }) })
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Links a compiled component. Fails if it does not implement the contract's world.
    /// The bindings are those of the contract version the component exports:
    /// a 1.0 plugin is called with rows, a 1.1 plugin with columns.
    pub fn prepare(&self, component: &Component) -> anyhow::Result<PreparedPlugin> {
        let version = exported_version(&self.engine, component)?;
        let pre = self.linker.instantiate_pre(component)?;
        let pre = if version >= contract::V1_1 {
            let interface = format!("{}/{}@{version}", contract::CONTRACT_PACKAGE, contract::CONTRACT_INTERFACE);
            let func = component
                .get_export_index(None, interface.as_str())
                .and_then(|i| component.get_export_index(Some(&i), "evaluate-columns"))
                .ok_or_else(|| anyhow::anyhow!("exports no {interface}#evaluate-columns"))?;
            Pre::V1_1(contract::since_v1_1::CompliancePluginPre::new(pre)?, func, Arc::new(std::sync::OnceLock::new()))
        } else {
            Pre::V1_0(CompliancePluginPre::new(pre)?)
        };
        Ok(PreparedPlugin { pre, version, sandbox: self.clone() })
    }
}

/// The contract version a compiled component exports.
fn exported_version(engine: &Engine, component: &Component) -> anyhow::Result<Version> {
    let prefix = format!("{}/{}@", contract::CONTRACT_PACKAGE, contract::CONTRACT_INTERFACE);
    let ty = component.component_type();
    let found = ty.exports(engine).find_map(|(name, _)| name.strip_prefix(&prefix).and_then(Version::parse));
    let version = found.ok_or_else(|| anyhow::anyhow!("exports no `{prefix}<version>` interface"))?;
    anyhow::ensure!(
        version.runs_on(contract::CONTRACT_VERSION),
        "{}",
        contract::ContractError::Incompatible { found: version, host: contract::CONTRACT_VERSION }
    );
    Ok(version)
}

/// Settings that also key the compiled-component cache.
pub(crate) fn engine_config() -> Config {
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.consume_fuel(true);
    config.epoch_interruption(true);
    config.max_wasm_stack(1 << 20);
    config.cranelift_opt_level(wasmtime::OptLevel::Speed);
    // For profiling with `perf`: name the guest's functions (docs/benchmarks.md).
    if std::env::var_os("LVYUE_PERFMAP").is_some() {
        config.profiler(wasmtime::ProfilingStrategy::PerfMap);
    }
    // For measuring the pooling allocator (docs/benchmarks.md, "Pooling allocator").
    if let Some(mib) = std::env::var("LVYUE_POOLING_KEEP_RESIDENT_MIB").ok().and_then(|v| v.parse::<usize>().ok()) {
        let mut pool = wasmtime::PoolingAllocationConfig::default();
        pool.total_component_instances(64)
            .total_core_instances(256)
            .total_memories(64)
            .total_tables(256)
            .max_core_instances_per_component(64)
            .max_memories_per_component(16)
            .max_tables_per_component(64)
            .max_memory_size(512 << 20)
            .linear_memory_keep_resident(mib << 20)
            .table_keep_resident(1 << 20);
        config.allocation_strategy(wasmtime::InstanceAllocationStrategy::Pooling(pool));
    }
    config
}

/// The input cells of a request: rows × columns of its tables.
pub(crate) fn cells_of(request: &Request) -> u64 {
    request.tables.iter().map(|t| t.rows.len() as u64 * t.columns.len() as u64).sum()
}

/// [`cells_of`] for tables packed as contract 1.1's columns.
pub(crate) fn packed_cells(tables: &[contract::since_v1_1::wit::Table]) -> u64 {
    tables.iter().map(|t| t.rows as u64 * t.columns.len() as u64).sum()
}

/// A plugin linked and ready to instantiate; each call gets a fresh store.
#[derive(Clone)]
pub struct PreparedPlugin {
    pre: Pre,
    version: Version,
    sandbox: Sandbox,
}

/// The bindings of the contract version the plugin exports.
#[derive(Clone)]
enum Pre {
    V1_0(CompliancePluginPre<PluginState>),
    /// With `evaluate-columns` and whether its type was checked against
    /// [`contract::since_v1_1::RequestRef`] (once, on the first call).
    V1_1(contract::since_v1_1::CompliancePluginPre<PluginState>, wasmtime::component::ComponentExportIndex, Arc<std::sync::OnceLock<()>>),
}

/// An instance of either version.
enum Bindings {
    V1_0(contract::CompliancePlugin),
    V1_1(contract::since_v1_1::CompliancePlugin, wasmtime::component::Instance),
}

/// What an evaluation returned, before the 1.1 columns are checked and unpacked.
enum Out {
    Rows(Result<Evaluation, EvaluationError>),
    Columns(Result<Box<contract::since_v1_1::wit::Evaluation>, EvaluationError>),
}

/// Which of a plugin's calls evaluates: 1.1 plugins have both, and they give
/// the same evaluation (host/tests/all/contract_versions.rs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    /// The host's choice: for a 1.1 plugin `evaluate-columns` when the
    /// request has at least [`Limits::columns_from_cells`] cells, else
    /// `evaluate` (for a few rows, rows cost less than columns: fewer, smaller
    /// lists; docs/benchmarks.md); `evaluate` for a 1.0 plugin.
    Auto,
    /// `evaluate-columns` whenever the plugin has it (1.1).
    Columns,
    /// `evaluate` with rows, as a 1.0 host calls it (every 1.x plugin has it).
    Rows,
}

impl PreparedPlugin {
    /// The contract version the plugin exports.
    pub fn contract_version(&self) -> Version {
        self.version
    }

    pub fn describe(&self, limits: &Limits) -> Result<Run<PluginInfo>, PluginFailure> {
        self.call(limits, 0, |bindings, store| match bindings {
            Bindings::V1_0(b) => b.lvyue_compliance_plugin().call_describe(store),
            Bindings::V1_1(b, _) => b.lvyue_compliance_plugin().call_describe(store),
        })
    }

    /// Evaluates a request with the call the host chooses ([`Call::Auto`]).
    pub fn evaluate(&self, limits: &Limits, request: &Request) -> Result<Run<Result<Evaluation, EvaluationError>>, PluginFailure> {
        self.evaluate_with(limits, request, Call::Auto)
    }

    /// Evaluates a request with the given call (tests compare the two).
    pub fn evaluate_with(
        &self,
        limits: &Limits,
        request: &Request,
        call: Call,
    ) -> Result<Run<Result<Evaluation, EvaluationError>>, PluginFailure> {
        let cells = cells_of(request);
        let columns = if self.wants_columns(limits, cells, call) {
            Some(contract::since_v1_1::RequestRef::new(request).map_err(PluginFailure::Contract)?)
        } else {
            None
        };
        self.evaluate_prepared(limits, request, columns, cells)
    }

    /// [`PreparedPlugin::evaluate_with`] for a request the caller no longer
    /// needs: when it travels as contract 1.1's columns, each table's rows are
    /// freed as soon as the table is packed, before the plugin runs (for
    /// 100,000 rows the process's peak went from 391 to 364 MiB).
    pub fn evaluate_owned(
        &self,
        limits: &Limits,
        mut request: Request,
        call: Call,
    ) -> Result<Run<Result<Evaluation, EvaluationError>>, PluginFailure> {
        let cells = cells_of(&request);
        if !self.wants_columns(limits, cells, call) {
            return self.evaluate_prepared(limits, &request, None, cells);
        }
        let packed = std::mem::take(&mut request.tables)
            .into_iter()
            .map(|t| contract::since_v1_1::pack_table(&t))
            .collect::<Result<Vec<_>, _>>()
            .map_err(PluginFailure::Contract)?;
        let columns = contract::since_v1_1::RequestRef::with_tables(&request, packed);
        self.evaluate_prepared(limits, &request, Some(columns), cells)
    }

    /// [`PreparedPlugin::evaluate_owned`] for tables packed as columns
    /// already ([`crate::input::check_packed`]; the request's own `tables`
    /// are not read): always 1.1's `evaluate-columns`.
    pub fn evaluate_packed(
        &self,
        limits: &Limits,
        request: &Request,
        tables: Vec<contract::since_v1_1::wit::Table>,
    ) -> Result<Run<Result<Evaluation, EvaluationError>>, PluginFailure> {
        if !matches!(self.pre, Pre::V1_1(..)) {
            return Err(PluginFailure::Contract("tables packed as columns for a plugin of contract 1.0".into()));
        }
        let cells = packed_cells(&tables);
        let columns = contract::since_v1_1::RequestRef::with_tables(request, tables);
        self.evaluate_prepared(limits, request, Some(columns), cells)
    }

    /// Whether this call sends tables of `cells` cells as contract 1.1's columns.
    pub fn wants_columns(&self, limits: &Limits, cells: u64, call: Call) -> bool {
        let use_columns = match call {
            Call::Auto => cells >= limits.columns_from_cells,
            Call::Columns => true,
            Call::Rows => false,
        };
        use_columns && matches!(self.pre, Pre::V1_1(..))
    }

    fn evaluate_prepared(
        &self,
        limits: &Limits,
        request: &Request,
        columns: Option<contract::since_v1_1::RequestRef<'_>>,
        cells: u64,
    ) -> Result<Run<Result<Evaluation, EvaluationError>>, PluginFailure> {
        let run = self.call(limits, cells, |bindings, store| match (bindings, columns, &self.pre) {
            (Bindings::V1_1(_, instance), Some(columns), Pre::V1_1(_, index, checked)) => {
                // Called through a typed function of our own, so that the
                // request is lowered from the host's parts without a copy.
                type Columns<'a> = wasmtime::component::TypedFunc<
                    (contract::since_v1_1::RequestRef<'a>,),
                    (Result<contract::since_v1_1::wit::Evaluation, EvaluationError>,),
                >;
                let func = instance.get_func(&mut *store, index).ok_or_else(|| wasmtime::Error::msg("the plugin lost evaluate-columns"))?;
                let typed: Columns<'_> = match checked.get() {
                    // SAFETY: the same component's function, checked against these types on the first call.
                    Some(()) => unsafe { wasmtime::component::TypedFunc::new_unchecked(func) },
                    None => {
                        let typed = func.typed(&*store)?;
                        let _ = checked.set(());
                        typed
                    }
                };
                let (out,) = typed.call(&mut *store, (columns,))?;
                Ok(Out::Columns(out.map(Box::new)))
            }
            (Bindings::V1_1(b, _), ..) => b.lvyue_compliance_plugin().call_evaluate(store, request).map(Out::Rows),
            (Bindings::V1_0(b), ..) => b.lvyue_compliance_plugin().call_evaluate(store, request).map(Out::Rows),
        })?;
        let value = match run.value {
            Out::Rows(value) => value,
            Out::Columns(Err(e)) => Err(e),
            Out::Columns(Ok(e)) => {
                // The counts first: a claimed row count is cheap to lie about.
                let rows = e.tables.iter().map(|t| t.rows as usize).sum::<usize>() + e.decisions.tables.ends.len();
                check_counts(limits, e.findings.severities.len(), e.trace.clauses.ends.len(), rows)?;
                Ok(contract::since_v1_1::from_columns(*e).map_err(PluginFailure::Contract)?)
            }
        };
        if let Ok(evaluation) = &value {
            check_result_counts(limits, evaluation)?;
        }
        Ok(Run {
            value,
            fuel_used: run.fuel_used,
            fuel_limit: run.fuel_limit,
            peak_memory_bytes: run.peak_memory_bytes,
            log: run.log,
            log_truncated: run.log_truncated,
        })
    }

    fn call<T>(
        &self,
        limits: &Limits,
        cells: u64,
        f: impl FnOnce(&Bindings, &mut Store<PluginState>) -> wasmtime::Result<T>,
    ) -> Result<Run<T>, PluginFailure> {
        let log = CappedLog::new(limits.log_bytes);
        let wasi = deny_all_wasi(&log);
        let limiter = Limiter::new(limits, limits.memory_for(cells));
        let mut store = Store::new(self.sandbox.engine(), PluginState { wasi, table: ResourceTable::new(), limiter });
        store.limiter(|s| &mut s.limiter);
        let fuel_limit = limits.fuel_for(cells);
        store.set_fuel(fuel_limit).expect("fuel is enabled");
        let ticks = limits.wall_clock.as_millis() as u64 * TICKS_PER_SECOND / 1000;
        store.set_epoch_deadline(ticks.max(1));
        store.epoch_deadline_trap();
        store.set_hostcall_fuel(limits.result_bytes);

        let instance = match &self.pre {
            Pre::V1_0(pre) => pre.instantiate(&mut store).map(Bindings::V1_0),
            Pre::V1_1(pre, ..) => pre
                .instance_pre()
                .instantiate(&mut store)
                .and_then(|instance| Ok(Bindings::V1_1(contract::since_v1_1::CompliancePlugin::new(&mut store, &instance)?, instance))),
        };
        let outcome = instance
            .map_err(|e| classify(e, &store, limits, fuel_limit, &log, true))
            .and_then(|bindings| f(&bindings, &mut store).map_err(|e| classify(e, &store, limits, fuel_limit, &log, false)));
        let fuel_used = fuel_limit - store.get_fuel().unwrap_or(0);
        let value = outcome?;
        let (text, truncated) = log.contents();
        Ok(Run { value, fuel_used, fuel_limit, peak_memory_bytes: store.data().limiter.peak, log: text, log_truncated: truncated })
    }
}

fn check_counts(limits: &Limits, findings: usize, trace: usize, rows: usize) -> Result<(), PluginFailure> {
    let over =
        |what: &str, n: usize, cap: usize| (n > cap).then(|| PluginFailure::ResultCap(format!("{n} {what} returned, the cap is {cap}")));
    match over("findings", findings, limits.max_findings)
        .or_else(|| over("trace steps", trace, limits.max_trace_steps))
        .or_else(|| over("decisions and table rows", rows, limits.max_result_rows))
    {
        Some(f) => Err(f),
        None => Ok(()),
    }
}

fn check_result_counts(limits: &Limits, e: &Evaluation) -> Result<(), PluginFailure> {
    let rows: usize = e.tables.iter().map(|t| t.rows.len()).sum::<usize>() + e.decisions.len();
    check_counts(limits, e.findings.len(), e.trace.len(), rows)?;
    // Every decimal the plugin returns must be exact decimal text.
    let bad =
        e.metrics.iter().map(|m| (&m.key, &m.value)).find(|(_, v)| matches!(v, Value::Number(n) if crate::decimal::parse(n).is_none()));
    if let Some((key, v)) = bad {
        return Err(PluginFailure::Trap(format!("metric {key} is not an exact decimal: {v:?}")));
    }
    Ok(())
}

fn classify(
    err: wasmtime::Error,
    store: &Store<PluginState>,
    limits: &Limits,
    fuel_limit: u64,
    log: &CappedLog,
    instantiating: bool,
) -> PluginFailure {
    if let Some(requested) = store.data().limiter.memory_refused {
        return PluginFailure::MemoryCap { cap: store.data().limiter.memory_cap, requested };
    }
    if let Some((what, detail)) = store.data().limiter.other_refused.clone() {
        return PluginFailure::ResourceCap { what, detail };
    }
    if let Some(trap) = err.downcast_ref::<Trap>() {
        match trap {
            Trap::OutOfFuel => {
                return PluginFailure::OutOfFuel { limit: fuel_limit, base: limits.fuel_base, per_cell: limits.fuel_per_cell };
            }
            Trap::Interrupt => return PluginFailure::Timeout(limits.wall_clock),
            Trap::StackOverflow => return PluginFailure::StackOverflow,
            Trap::MemoryOutOfBounds if recursing(&err) => return PluginFailure::StackOverflow,
            _ => {}
        }
    }
    let text = format!("{err:#}");
    if text.contains("fuel allocated for hostcalls has been exhausted") {
        return PluginFailure::ResultCap(format!("the plugin tried to return more than {} bytes", limits.result_bytes));
    }
    let (log_text, _) = log.contents();
    if let Some(message) = panic_message(&log_text) {
        return PluginFailure::Panic(message);
    }
    if instantiating {
        return PluginFailure::Instantiate(text);
    }
    // Say what went wrong first (the formatted error leads with the backtrace,
    // the trap itself comes last), then the top of the backtrace.
    let reason = match err.downcast_ref::<Trap>() {
        Some(trap) => trap.to_string(),
        None => err.root_cause().to_string(),
    };
    let top = text.lines().take(4).collect::<Vec<_>>().join(" | ");
    PluginFailure::Trap(if top.contains(&reason) { top } else { format!("{reason} | {top}") })
}

/// Whether a trap happened deep in a recursion: the innermost function is
/// on the backtrace many times. Rust keeps locals whose address is taken on a
/// shadow stack at the bottom of linear memory; recursion overflows it before
/// the wasm call stack, the stack pointer wraps below zero and the next access
/// is out of bounds. That is a stack overflow, not a memory bug.
fn recursing(err: &wasmtime::Error) -> bool {
    let Some(backtrace) = err.downcast_ref::<wasmtime::WasmBacktrace>() else { return false };
    let frames = backtrace.frames();
    let Some(top) = frames.first() else { return false };
    let repeats = frames.iter().filter(|f| f.func_index() == top.func_index() && wasmtime::Module::same(f.module(), top.module())).count();
    repeats >= 8
}

/// Extracts the message of a Rust panic from the plugin's stderr.
fn panic_message(log: &str) -> Option<String> {
    let start = log.find("panicked at ")?;
    let rest = &log[start + "panicked at ".len()..];
    // "panicked at src/lib.rs:10:5:\nmessage\nnote: ..."
    let mut lines = rest.lines();
    let location = lines.next().unwrap_or("").trim_end_matches(':');
    let message: Vec<&str> = lines.take_while(|l| !l.starts_with("note:")).collect();
    Some(format!("{} (at {location})", message.join(" ").trim()))
}

// ---- store state ---------------------------------------------------------------

pub(crate) struct PluginState {
    wasi: WasiCtx,
    table: ResourceTable,
    limiter: Limiter,
}

impl WasiView for PluginState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

/// One cap over the sum of all linear memories of a store, plus caps on
/// tables, instances and memories. A refused growth traps the guest.
struct Limiter {
    memory_cap: usize,
    total: usize,
    peak: usize,
    max_table_elements: usize,
    max_instances: usize,
    max_tables: usize,
    max_memories: usize,
    memory_refused: Option<usize>,
    other_refused: Option<(&'static str, String)>,
}

impl Limiter {
    fn new(limits: &Limits, memory_cap: usize) -> Limiter {
        Limiter {
            memory_cap,
            total: 0,
            peak: 0,
            max_table_elements: limits.max_table_elements,
            max_instances: limits.max_instances,
            max_tables: limits.max_tables,
            max_memories: limits.max_memories,
            memory_refused: None,
            other_refused: None,
        }
    }
}

impl ResourceLimiter for Limiter {
    fn memory_growing(&mut self, current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        let total = self.total - current.min(self.total) + desired;
        if total > self.memory_cap {
            self.memory_refused = Some(total);
            wasmtime::bail!("memory cap of {} bytes exceeded", self.memory_cap);
        }
        self.total = total;
        self.peak = self.peak.max(total);
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        if desired > self.max_table_elements {
            self.other_refused = Some(("table elements", format!("{desired} elements asked for, the cap is {}", self.max_table_elements)));
            wasmtime::bail!("table element cap exceeded");
        }
        Ok(true)
    }

    fn instances(&self) -> usize {
        self.max_instances
    }

    fn tables(&self) -> usize {
        self.max_tables
    }

    fn memories(&self) -> usize {
        self.max_memories
    }
}

// ---- deny-all, deterministic WASI ----------------------------------------------------

struct FixedWallClock;
impl wasmtime_wasi::HostWallClock for FixedWallClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }
    fn now(&self) -> Duration {
        Duration::ZERO
    }
}

struct FixedMonotonicClock;
impl wasmtime_wasi::HostMonotonicClock for FixedMonotonicClock {
    fn resolution(&self) -> u64 {
        1_000_000_000
    }
    fn now(&self) -> u64 {
        0
    }
}

/// Deterministic randomness: fixed-seed generators, the same on every run.
fn seeded(seed: u64) -> rand::rngs::StdRng {
    use rand::SeedableRng;
    rand::rngs::StdRng::seed_from_u64(seed)
}

fn deny_all_wasi(log: &CappedLog) -> WasiCtx {
    let mut b = WasiCtx::builder();
    b.stdout(log.clone())
        .stderr(log.clone())
        .wall_clock(FixedWallClock)
        .monotonic_clock(FixedMonotonicClock)
        .secure_random(seeded(0x9E37_79B9_7F4A_7C15))
        .insecure_random(seeded(0xD1B5_4A32_D192_ED03))
        .insecure_random_seed(0x5EED)
        .allow_tcp(false)
        .allow_udp(false)
        .allow_ip_name_lookup(false)
        .socket_addr_check(|_, _| Box::pin(async { false }));
    b.build()
}

/// stdout and stderr of a plugin: kept up to a cap, the rest counted and dropped,
/// so a chatty plugin is truncated rather than failed.
#[derive(Clone)]
struct CappedLog {
    inner: Arc<Mutex<(Vec<u8>, bool)>>,
    cap: usize,
}

impl CappedLog {
    fn new(cap: usize) -> CappedLog {
        CappedLog { inner: Arc::new(Mutex::new((Vec::new(), false))), cap }
    }

    fn contents(&self) -> (String, bool) {
        let g = self.inner.lock().expect("log lock");
        (String::from_utf8_lossy(&g.0).into_owned(), g.1)
    }
}

impl wasmtime_wasi::cli::IsTerminal for CappedLog {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl wasmtime_wasi::cli::StdoutStream for CappedLog {
    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

impl tokio::io::AsyncWrite for CappedLog {
    fn poll_write(self: Pin<&mut Self>, _cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        let mut g = self.inner.lock().expect("log lock");
        let room = self.cap.saturating_sub(g.0.len());
        let keep = room.min(buf.len());
        g.0.extend_from_slice(&buf[..keep]);
        if keep < buf.len() {
            g.1 = true;
        }
        Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// Compiles a component from bytes (no cache).
pub fn compile(engine: &Engine, bytes: &[u8]) -> anyhow::Result<Component> {
    Ok(Component::new(engine, bytes)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panic_message_is_extracted() {
        let log = "thread '<unnamed>' panicked at src/lib.rs:12:9:\nboom: the rules are broken\nnote: run with `RUST_BACKTRACE=1`\n";
        assert_eq!(panic_message(log).unwrap(), "boom: the rules are broken (at src/lib.rs:12:9)");
        assert!(panic_message("all fine").is_none());
    }

    #[test]
    fn memory_cap_counts_all_memories_together() {
        let limits = Limits { memory_bytes: 100, ..Limits::default() };
        let mut l = Limiter::new(&limits, limits.memory_for(0));
        assert!(l.memory_growing(0, 60, None).unwrap());
        // A second memory pushing the total past the cap is refused even though
        // each memory alone is under it.
        assert!(l.memory_growing(0, 50, None).is_err());
        assert_eq!(l.memory_refused, Some(110));
    }

    #[test]
    fn memory_scales_with_input_up_to_4_gib() {
        let l = Limits { memory_bytes: 512 << 20, memory_per_cell: 128, ..Limits::default() };
        assert_eq!(l.memory_for(0), 512 << 20);
        assert_eq!(l.memory_for(11_000_000), (512 << 20) + 128 * 11_000_000);
        assert_eq!(l.memory_for(u64::MAX), 4 << 30);
        let fixed = Limits { memory_per_cell: 0, ..l };
        assert_eq!(fixed.memory_for(11_000_000), 512 << 20);
    }

    #[test]
    fn fuel_scales_with_input() {
        let l = Limits { fuel_base: 10, fuel_per_cell: 3, ..Limits::default() };
        assert_eq!(l.fuel_for(0), 10);
        assert_eq!(l.fuel_for(5), 25);
    }
}
