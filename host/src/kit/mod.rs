//! The plugin authoring kit: `lvyue plugin new | build | test | pack | keygen`.
//!
//! A plugin project made by `new` stands on its own, outside this repository:
//!
//! ```text
//! acme-levy/
//!   Cargo.toml  Cargo.lock      the plugin crate (its own workspace)
//!   plugin.toml                 the manifest (digests are added by `pack`)
//!   src/lib.rs                  the rules' arithmetic and decisions
//!   rules/acme-levy/*.toml      dated parameters with legal references
//!   rules/acme-levy/cases/      test cases as data
//!   lvyue-sdk/  wit/            the SDK and the contract, vendored
//! ```

pub mod cargo_wasm;

use std::path::{Path, PathBuf};

use crate::bundle::digest::{rules_digest, sha256_hex};
use crate::bundle::{Bundle, read_flat, read_rules_tree};
use crate::host::{Host, HostOptions, RunError};
use crate::kit::cargo_wasm::{WASM_TARGET, ensure_wasm_target, wasm_build_command};

#[derive(Debug, thiserror::Error)]
pub enum KitError {
    #[error("{0}")]
    Usage(String),
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    #[error("the plugin does not build (cargo exit {0:?}); see cargo's messages above")]
    Build(Option<i32>),
    #[error("{0}")]
    Bundle(String),
}

fn io(path: &Path, e: impl std::fmt::Display) -> KitError {
    KitError::Io { path: path.display().to_string(), message: e.to_string() }
}

/// Dependency lines of the vendored SDK; `host/tests/plugin_kit.rs` checks them against the workspace.
pub const SDK_DEPENDENCIES: &str = r#"lvyue-columns = { path = "../columns" }
wit-bindgen = { version = "0.61", default-features = false, features = ["macros", "realloc", "std"] }
rust_decimal = { version = "1", default-features = false, features = ["std", "serde-str"] }
num-bigint = { version = "0.4", optional = true }
num-rational = { version = "0.4", default-features = false, features = ["num-bigint-std", "std"], optional = true }
num-traits = { version = "0.2", optional = true }

[features]
default = ["offsets"]
offsets = ["dep:num-bigint", "dep:num-rational", "dep:num-traits"]
contract-1-0 = []"#;

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 40
        && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && id.starts_with(|c: char| c.is_ascii_lowercase())
}

const TEMPLATE_LIB: &str = include_str!("template/lib.rs.txt");
const TEMPLATE_RULES: &str = include_str!("template/levy.toml.txt");
const TEMPLATE_CASES: &str = include_str!("template/cases.toml.txt");
const TEMPLATE_MANIFEST: &str = include_str!("template/plugin.toml.txt");

/// Creates a plugin project for jurisdiction `id` in `dir` (which must not exist or be empty).
pub fn new_project(id: &str, dir: &Path) -> Result<Vec<PathBuf>, KitError> {
    if !valid_id(id) {
        return Err(KitError::Usage(format!(
            "`{id}` is not a plugin id: use lowercase letters, digits and '-', starting with a letter (e.g. acme-levy)"
        )));
    }
    if dir.exists() && std::fs::read_dir(dir).map_err(|e| io(dir, e))?.next().is_some() {
        return Err(KitError::Usage(format!("{} exists and is not empty; choose a new folder", dir.display())));
    }
    let fill = |t: &str| t.replace("{{id}}", id).replace("{{crate}}", &format!("lvyue-plugin-{id}"));
    let mut files: Vec<(PathBuf, String)> = vec![
        (
            "Cargo.toml".into(),
            format!(
                "[package]\nname = \"lvyue-plugin-{id}\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[lib]\ncrate-type = [\"cdylib\"]\n\n[dependencies]\nlvyue-sdk = {{ path = \"lvyue-sdk\" }}\n\n# Its own workspace: the project builds anywhere.\n[workspace]\n\n[profile.release]\nopt-level = \"s\"\n"
            ),
        ),
        ("plugin.toml".into(), fill(TEMPLATE_MANIFEST)),
        ("src/lib.rs".into(), fill(TEMPLATE_LIB)),
        (format!("rules/{id}/levy.toml").into(), fill(TEMPLATE_RULES)),
        (format!("rules/{id}/cases/levy.toml").into(), fill(TEMPLATE_CASES)),
        (".gitignore".into(), "target/\n".into()),
        (
            "lvyue-sdk/Cargo.toml".into(),
            format!(
                "[package]\nname = \"lvyue-sdk\"\nversion = \"{}\"\nedition = \"2024\"\n\n[dependencies]\n{SDK_DEPENDENCIES}\n",
                crate::TOOL_VERSION
            ),
        ),
        (
            "columns/Cargo.toml".into(),
            format!("[package]\nname = \"lvyue-columns\"\nversion = \"{}\"\nedition = \"2024\"\n", crate::TOOL_VERSION),
        ),
    ];
    for (path, text) in crate::builtin::SDK_FILES {
        if let Some(rest) = path.strip_prefix("plugins/sdk/") {
            files.push((format!("lvyue-sdk/{rest}").into(), text.to_string()));
        } else if let Some(rest) = path.strip_prefix("plugins/columns/") {
            files.push((format!("columns/{rest}").into(), text.to_string()));
        } else if let Some(rest) = path.strip_prefix("plugins/wit/") {
            files.push((format!("wit/{rest}").into(), text.to_string()));
        } else if *path == "Cargo.lock" {
            // The versions lvyue itself was built and tested with.
            files.push(("Cargo.lock".into(), text.to_string()));
        }
    }
    let mut written = Vec::new();
    for (rel, text) in files {
        let path = dir.join(&rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
        }
        std::fs::write(&path, text).map_err(|e| io(&path, e))?;
        written.push(rel);
    }
    Ok(written)
}

/// The source manifest of a project, and the crate it names.
fn read_project(dir: &Path) -> Result<(toml::Table, String), KitError> {
    let path = dir.join("plugin.toml");
    let text =
        std::fs::read_to_string(&path).map_err(|e| io(&path, format!("{e} (is this a plugin project? `lvyue plugin new` makes one)")))?;
    let table: toml::Table = text.parse().map_err(|e| io(&path, e))?;
    let cargo = dir.join("Cargo.toml");
    let cargo_text = std::fs::read_to_string(&cargo).map_err(|e| io(&cargo, e))?;
    let cargo_table: toml::Table = cargo_text.parse().map_err(|e| io(&cargo, e))?;
    let name =
        cargo_table.get("package").and_then(|p| p.get("name")).and_then(|n| n.as_str()).ok_or_else(|| io(&cargo, "no [package] name"))?;
    Ok((table, name.to_string()))
}

/// Builds the project's component; returns its bytes.
pub fn build(dir: &Path) -> Result<Vec<u8>, KitError> {
    let (_, crate_name) = read_project(dir)?;
    ensure_wasm_target().map_err(KitError::Usage)?;
    let target = std::env::var_os("LVYUE_PLUGIN_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| dir.join("target"));
    let status = wasm_build_command(dir, &target).status().map_err(|e| io(dir, format!("running cargo: {e}")))?;
    if !status.success() {
        return Err(KitError::Build(status.code()));
    }
    let wasm = target.join(WASM_TARGET).join("release").join(format!("{}.wasm", crate_name.replace('-', "_")));
    std::fs::read(&wasm).map_err(|e| io(&wasm, e))
}

/// Writes a bundle for the project into `out`: manifest with digests,
/// component, rules (without the cases) and report templates. Optionally signed.
pub fn pack(dir: &Path, component: &[u8], out: &Path, signing_key: Option<&Path>) -> Result<(), KitError> {
    let (mut manifest, _) = read_project(dir)?;
    let rules = read_rules_tree(&dir.join("rules")).map_err(|e| io(&dir.join("rules"), e))?;
    let templates_dir = dir.join("report-templates");
    let templates = if templates_dir.is_dir() { read_flat(&templates_dir, "tera").map_err(|e| io(&templates_dir, e))? } else { Vec::new() };
    let mut component_ref = toml::Table::new();
    component_ref.insert("file".into(), "plugin.wasm".into());
    component_ref.insert("sha256".into(), sha256_hex(component).into());
    manifest.insert("component".into(), toml::Value::Table(component_ref));
    let mut rules_ref = toml::Table::new();
    rules_ref.insert("dir".into(), "rules".into());
    rules_ref.insert("sha256".into(), rules_digest(&rules).into());
    manifest.insert("rules".into(), toml::Value::Table(rules_ref));
    if !templates.is_empty() {
        let mut t = toml::Table::new();
        t.insert("dir".into(), "report-templates".into());
        t.insert("sha256".into(), rules_digest(&templates).into());
        manifest.insert("templates".into(), toml::Value::Table(t));
    }
    let manifest_text = toml::to_string(&manifest).map_err(|e| KitError::Bundle(e.to_string()))?;
    // Check what we are about to write, exactly as a host will.
    Bundle::verify(
        &manifest_text,
        std::sync::Arc::from(component),
        rules.clone(),
        templates.clone(),
        crate::bundle::Origin::Path(out.to_path_buf()),
    )
    .map_err(|e| KitError::Bundle(e.to_string()))?;
    std::fs::create_dir_all(out).map_err(|e| io(out, e))?;
    let write = |rel: &str, bytes: &[u8]| -> Result<(), KitError> {
        let p = out.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
        }
        crate::atomic::write(&p, bytes).map_err(|e| io(&p, e))
    };
    write("plugin.wasm", component)?;
    for (name, bytes) in &rules {
        write(&format!("rules/{name}"), bytes)?;
    }
    for (name, bytes) in &templates {
        write(&format!("report-templates/{name}"), bytes)?;
    }
    if let Some(key) = signing_key {
        let sig = crate::bundle::signing::sign(key, manifest_text.as_bytes()).map_err(KitError::Usage)?;
        write(crate::bundle::signing::SIGNATURE_FILE, sig.as_bytes())?;
    }
    write("plugin.toml", manifest_text.as_bytes())
}

/// One check of `lvyue plugin test`.
#[derive(Debug)]
pub struct Check {
    pub name: String,
    pub failures: Vec<String>,
}

/// Builds the project, packs it into a temporary bundle, loads it in a host
/// as any user's host would, and runs the conformance checks and the cases.
pub fn test(dir: &Path, component: &[u8]) -> Result<Vec<Check>, KitError> {
    let tmp = tempfile::tempdir().map_err(|e| io(dir, e))?;
    let bundle_dir = tmp.path().join("bundle");
    let mut checks: Vec<Check> = Vec::new();
    fn push(checks: &mut Vec<Check>, name: &str, failures: Vec<String>) {
        checks.push(Check { name: name.to_string(), failures });
    }
    if let Err(e) = pack(dir, component, &bundle_dir, None) {
        push(&mut checks, "the bundle is accepted by the host (contract, digests, manifest)", vec![e.to_string()]);
        return Ok(checks);
    }
    let host = Host::new(HostOptions { bundles: vec![bundle_dir], no_builtins: true, ..Default::default() })
        .map_err(|e| KitError::Bundle(e.to_string()))?;
    let refused: Vec<String> = host.refused().iter().map(|e| e.to_string()).collect();
    push(&mut checks, "the bundle is accepted by the host (contract, digests, manifest)", refused.clone());
    let Some(bundle) = host.bundles().first().copied() else { return Ok(checks) };
    let manifest = bundle.manifest.clone();
    let info = match host.describe(bundle) {
        Ok(i) => {
            push(&mut checks, "describe() runs in the sandbox and matches plugin.toml (id, version)", vec![]);
            i
        }
        Err(e) => {
            push(&mut checks, "describe() runs in the sandbox and matches plugin.toml (id, version)", vec![e.to_string()]);
            return Ok(checks);
        }
    };
    let mut years = info.years.clone();
    years.sort();
    let mut declared = manifest.years.clone();
    declared.sort();
    push(
        &mut checks,
        "the years describe() covers are the years plugin.toml claims",
        if years == declared { vec![] } else { vec![format!("describe(): {years:?}, plugin.toml: {declared:?}")] },
    );
    for j in &manifest.jurisdictions {
        let problems: Vec<String> = match host.rules(bundle, j) {
            Ok((rules, _)) => {
                years.iter().filter_map(|y| host.resolve_parameters(&info, &rules, *y).err().map(|e| format!("year {y}: {e}"))).collect()
            }
            Err(e) => vec![e.to_string()],
        };
        push(&mut checks, &format!("every required parameter of {j} has a value for every claimed year"), problems);
        // Input with none of the declared sheets: a clean error or a result, never a trap.
        let outcome = host.evaluate(&crate::host::Evaluate { jurisdiction: j, year: years[0], tables: &[], options: &[], inputs: vec![] });
        push(
            &mut checks,
            &format!("{j}: an empty input gives a clean answer, not a failure"),
            match outcome {
                Err(e @ RunError::Failed { .. }) => vec![e.to_string()],
                _ => vec![],
            },
        );
        for (_, file) in crate::rules::cases::case_files(&dir.join("rules")).into_iter().filter(|(jj, _)| jj == j) {
            match crate::rules::cases::run_file(&host, j, &file) {
                Ok(results) => {
                    for r in results {
                        push(
                            &mut checks,
                            &format!("case {}: {}", file.file_name().unwrap_or_default().to_string_lossy(), r.name),
                            r.failures,
                        );
                    }
                }
                Err(e) => push(&mut checks, &format!("cases {}", file.display()), vec![e]),
            }
        }
    }
    Ok(checks)
}
