//! Helpers for the sandbox conformance suite: build the hostile plugins in
//! `tests/hostile/` as real components, pack them as bundles and load them in
//! a host.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use lvyue::bundle::digest::{rules_digest, sha256_hex};
use lvyue::bundle::{ComponentRef, Manifest, RulesRef};
use lvyue::host::{Evaluate, Host, HostOptions, RunError};
use lvyue::report::Report;
use lvyue::rules::Bilingual;
use lvyue::sandbox::Limits;

const TARGET: &str = "wasm32-wasip2";

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("host/ has a parent").to_path_buf()
}

/// The hostile crates: every folder of `tests/hostile/` with a Cargo.toml,
/// as (folder name, package name). Package `hostile-<folder>`.
pub fn hostile_crates() -> Vec<(String, String)> {
    let dir = root().join("tests/hostile");
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("Cargo.toml").is_file())
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let package = format!("hostile-{name}");
            (name, package)
        })
        .collect();
    out.sort();
    out
}

/// `<target>/wasm`, the folder host/build.rs builds plugins in.
fn wasm_target_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root().join("target"));
    let target = if target.is_relative() { root().join(target) } else { target };
    target.join("wasm")
}

/// The contract versions the SDK builds plugins for. The conformance suite
/// runs each test once per version (`<test>::contract_1_1`, `::contract_1_0`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contract {
    /// The SDK's default: lvyue:compliance@1.1.0, called with columns.
    V1_1,
    /// The SDK with feature `contract-1-0`: the frozen 1.0.0, called with rows.
    V1_0,
}

thread_local! {
    static CONTRACT: std::cell::Cell<Contract> = const { std::cell::Cell::new(Contract::V1_1) };
}

/// Runs `f` with the hostile plugins built for contract `c` (per test thread).
pub fn with_contract<R>(c: Contract, f: impl FnOnce() -> R) -> R {
    CONTRACT.with(|v| v.set(c));
    f()
}

/// The contract the current test's hostile plugins are built for.
pub fn contract() -> Contract {
    CONTRACT.with(|v| v.get())
}

/// Builds every hostile crate for wasm32-wasip2 in one nested cargo
/// invocation per contract version (once per test process) and returns the
/// folder of the `.wasm` files: the SDK's default (1.1) into `<target>/wasm`,
/// 1.0 (SDK feature `contract-1-0`) into `<target>/wasm-contract-1.0`.
pub fn built() -> &'static Path {
    built_for(contract())
}

pub fn built_for(contract: Contract) -> &'static Path {
    static BUILT_1_1: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    static BUILT_1_0: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let (cell, target_dir, features) = match contract {
        Contract::V1_1 => (&BUILT_1_1, wasm_target_dir(), None),
        Contract::V1_0 => (&BUILT_1_0, wasm_target_dir().with_file_name("wasm-contract-1.0"), Some("lvyue-sdk/contract-1-0")),
    };
    let result = cell.get_or_init(|| {
        // As host/build.rs builds the plugins: none of this build's settings passed on.
        let mut cmd = lvyue::kit::cargo_wasm::wasm_build_command(&root(), &target_dir);
        for (_, package) in hostile_crates() {
            cmd.args(["-p", &package]);
        }
        if let Some(f) = features {
            cmd.args(["--features", f]);
        }
        let output = cmd.output().map_err(|e| format!("cannot run cargo: {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "building the hostile plugins for {TARGET} ({contract:?}) failed:\n{}",
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        Ok(target_dir.join(TARGET).join("release"))
    });
    match result {
        Ok(p) => p,
        Err(e) => panic!("{e}"),
    }
}

/// The component of hostile crate `name` (its folder name, e.g. "panic"),
/// built for the current test's contract.
pub fn component(name: &str) -> Vec<u8> {
    let path = built().join(format!("hostile_{}.wasm", name.replace('-', "_")));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The plugin id of hostile crate `name`.
pub fn id(name: &str) -> String {
    format!("hostile-{name}")
}

/// A tiny valid rules file for jurisdiction `id`: one parameter no plugin reads.
pub fn rules_files(id: &str) -> Vec<(String, Vec<u8>)> {
    let text = "# Conformance suite: one harmless parameter, read by no plugin.\n\
                [[parameter]]\n\
                key = \"conformance.note\"\n\
                kind = \"text\"\n\
                name = { zh = \"测试\", en = \"Conformance note\" }\n\
                \n\
                [[parameter.value]]\n\
                from = 2024-01-01\n\
                value = \"hostile\"\n\
                reference = \"lvyue sandbox conformance suite\"\n\
                confidence = \"verified\"\n";
    vec![(format!("{id}/conformance.toml"), text.as_bytes().to_vec())]
}

/// A manifest for `id` with the digests of `component` and `rules`.
pub fn manifest(id: &str, contract: &str, component: &[u8], rules: &[(String, Vec<u8>)]) -> Manifest {
    Manifest {
        manifest_version: 1,
        id: id.to_string(),
        version: "0.1.0".into(),
        contract: contract.to_string(),
        name: Bilingual { zh: id.to_string(), en: id.to_string() },
        jurisdictions: vec![id.to_string()],
        years: vec![2024],
        years_open_ended: false,
        crate_name: Some(id.to_string()),
        legal_source: vec![],
        component: ComponentRef { file: "plugin.wasm".into(), sha256: sha256_hex(component) },
        rules: RulesRef { dir: "rules".into(), sha256: rules_digest(rules) },
        templates: None,
        input: None,
    }
}

/// Writes the bundle of hostile crate `name`, declaring `contract`, into
/// `parent/<id>/` and returns that folder.
pub fn bundle_with_contract(parent: &Path, name: &str, contract: &str) -> PathBuf {
    let id = id(name);
    let component = component(name);
    let rules = rules_files(&id);
    let dir = parent.join(&id);
    lvyue::bundle::write_bundle(&dir, &manifest(&id, contract, &component, &rules), &component, &rules)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    dir
}

/// Writes the bundle of hostile crate `name` into `parent/<id>/`, declaring
/// the contract it is built for: the current test's for the SDK's plugins,
/// 1.0.0 for `contract-1-0` and 1.1.0 for `broken-columns` (wit-bindgen alone).
pub fn bundle(parent: &Path, name: &str) -> PathBuf {
    let contract = match (name, contract()) {
        ("contract-1-0", _) | (_, Contract::V1_0) if name != "broken-columns" => "^1.0.0",
        _ => "^1.1.0",
    };
    bundle_with_contract(parent, name, contract)
}

/// Small limits: every attack is contained within seconds.
pub fn test_limits() -> Limits {
    Limits {
        fuel_base: 200_000_000,
        fuel_per_cell: 1_000,
        wall_clock: std::time::Duration::from_secs(2),
        memory_bytes: 64 << 20,
        result_bytes: 32 << 20,
        max_findings: 100_000,
        // 1.1 plugins always through their columns, however small the request.
        columns_from_cells: 0,
        ..Limits::default()
    }
}

/// A host with only the given bundle folders (no built-in plugins, no disk cache).
pub fn host(dirs: Vec<PathBuf>, limits: Limits) -> Host {
    Host::new(HostOptions { bundles: dirs, no_builtins: true, cache_dir: None, limits, ..Default::default() }).expect("host starts")
}

/// Evaluates plugin `id` for 2024 with no tables and the given options.
pub fn evaluate(host: &Host, id: &str, options: &[(&str, &str)]) -> Result<Report, RunError> {
    let options: Vec<(String, String)> = options.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    host.evaluate(&Evaluate { jurisdiction: id, year: 2024, tables: &[], options: &options, inputs: vec![] })
}

/// The text of a metric the plugin reported.
pub fn metric(report: &Report, key: &str) -> String {
    report
        .metric(key)
        .unwrap_or_else(|| {
            panic!("no metric {key} in the report; metrics: {:?}", report.metrics.iter().map(|m| &m.key).collect::<Vec<_>>())
        })
        .value
        .clone()
        .unwrap_or_default()
}
