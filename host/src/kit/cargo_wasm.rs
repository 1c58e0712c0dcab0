// Building plugin crates for wasm32-wasip2 with a nested cargo. Shared with
// host/build.rs (by `include!`), so the built-in plugins and `lvyue plugin`
// build the same way.

/// The target plugins are built for.
pub const WASM_TARGET: &str = "wasm32-wasip2";

/// A `cargo build --release --target wasm32-wasip2` command in `dir`, writing to
/// `target_dir`, that does not inherit the calling build's settings (flags,
/// profile, target), only its cargo home and jobserver.
pub fn wasm_build_command(dir: &std::path::Path, target_dir: &std::path::Path) -> std::process::Command {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = std::process::Command::new(cargo);
    cmd.current_dir(dir).args(["build", "--release", "--target", WASM_TARGET, "--target-dir"]).arg(target_dir);
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy().into_owned();
        if (k.starts_with("CARGO_") && k != "CARGO_HOME" && k != "CARGO_NET_OFFLINE" && k != "CARGO_MAKEFLAGS")
            || k == "RUSTFLAGS"
            || k == "RUSTC_WRAPPER"
            || k == "RUSTC_WORKSPACE_WRAPPER"
            || k == "RUSTDOCFLAGS"
        {
            cmd.env_remove(&k);
        }
    }
    cmd
}

/// Adds the wasm target with rustup when it is missing (a new machine).
pub fn ensure_wasm_target() -> Result<(), String> {
    let installed = std::process::Command::new("rustup").args(["target", "list", "--installed"]).output();
    match installed {
        Ok(o) if String::from_utf8_lossy(&o.stdout).lines().any(|l| l.trim() == WASM_TARGET) => Ok(()),
        Ok(_) => {
            let status = std::process::Command::new("rustup")
                .args(["target", "add", WASM_TARGET])
                .status()
                .map_err(|e| format!("running rustup: {e}"))?;
            if status.success() {
                Ok(())
            } else {
                Err(format!("could not add the {WASM_TARGET} target: run `rustup target add {WASM_TARGET}`"))
            }
        }
        // No rustup: trust that the toolchain has the target; cargo will say if not.
        Err(_) => Ok(()),
    }
}
