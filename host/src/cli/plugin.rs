//! `lvyue plugin new | build | test | pack | keygen`: the plugin authoring kit.

use std::path::{Path, PathBuf};

use lvyue::host::{RunError, exit};
use lvyue::kit;

#[derive(clap::Subcommand)]
pub(crate) enum Action {
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

fn kit_err(e: kit::KitError) -> RunError {
    match e {
        kit::KitError::Build(_) => RunError::Refused { plugin: "(project)".into(), reason: e.to_string() },
        other => RunError::Io(other.to_string()),
    }
}

/// A project folder as an absolute path, so that the nested cargo build and
/// the host look in the same place whatever the working directory.
fn project(dir: &Path) -> Result<PathBuf, RunError> {
    std::path::absolute(dir).map_err(|e| RunError::Io(format!("{}: {e}", dir.display())))
}

pub(crate) fn run(action: &Action) -> Result<i32, RunError> {
    match action {
        Action::New { id, dir } => {
            let dir = dir.clone().unwrap_or_else(|| PathBuf::from(id));
            let files = kit::new_project(id, &dir).map_err(kit_err)?;
            outln!("created {} ({} files). Next:", dir.display(), files.len());
            outln!("  lvyue plugin test {}     build it and run its checks and cases", dir.display());
            outln!("  see docs/plugin-guide.md for a tour");
            Ok(exit::OK)
        }
        Action::Build { dir } => {
            let bytes = kit::build(&project(dir)?).map_err(kit_err)?;
            outln!("built the component: {} bytes, sha256 {}", bytes.len(), lvyue::bundle::digest::sha256_hex(&bytes));
            Ok(exit::OK)
        }
        Action::Test { dir } => {
            let dir = project(dir)?;
            let bytes = kit::build(&dir).map_err(kit_err)?;
            let checks = kit::test(&dir, &bytes).map_err(kit_err)?;
            let failed = checks.iter().filter(|c| !c.failures.is_empty()).count();
            for c in &checks {
                outln!("{} {}", if c.failures.is_empty() { "ok  " } else { "FAIL" }, c.name);
                for f in &c.failures {
                    outln!("       {f}");
                }
            }
            outln!("{} passed, {} failed", checks.len() - failed, failed);
            Ok(if failed == 0 { exit::OK } else { exit::TESTS_FAILED })
        }
        Action::Pack { dir, out, sign } => {
            let dir = project(dir)?;
            let bytes = kit::build(&dir).map_err(kit_err)?;
            kit::pack(&dir, &bytes, out, sign.as_deref()).map_err(kit_err)?;
            outln!("wrote the bundle {}{}", out.display(), if sign.is_some() { " (signed)" } else { "" });
            Ok(exit::OK)
        }
        Action::Keygen { out } => {
            let (secret, public) = lvyue::bundle::signing::keygen(out).map_err(RunError::Io)?;
            outln!("wrote {} (keep it secret) and {} (give it to users: --trust {})", secret.display(), public.display(), public.display());
            Ok(exit::OK)
        }
    }
}
