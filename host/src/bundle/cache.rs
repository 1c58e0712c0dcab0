//! The on-disk cache of compiled components.
//!
//! Keyed by the component's SHA-256 and the engine's compatibility hash
//! (wasmtime version and every setting that affects code), so a changed
//! plugin or a changed engine never loads stale code. Deserialising compiled
//! code is unsafe if the bytes are not ours, so each artifact has a sidecar
//! with its own BLAKE3 digest, checked before loading; a mismatch recompiles.
//! BLAKE3 rather than SHA-256: the check runs on every load, over the whole
//! artifact (2.6 MiB for cn-ets), and SHA-256 took about half the load time.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use wasmtime::Engine;
use wasmtime::component::Component;

#[derive(Debug, Clone)]
pub struct CompileCache {
    dir: PathBuf,
}

/// Where a component came from this time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheOutcome {
    Hit,
    Compiled,
    Uncached,
}

impl CompileCache {
    pub fn new(dir: PathBuf) -> CompileCache {
        CompileCache { dir }
    }

    /// `$LVYUE_CACHE_DIR`, else `$XDG_CACHE_HOME/lvyue`, else `~/.cache/lvyue`.
    pub fn default_dir() -> Option<PathBuf> {
        if let Some(d) = std::env::var_os("LVYUE_CACHE_DIR") {
            return Some(PathBuf::from(d));
        }
        if let Some(d) = std::env::var_os("XDG_CACHE_HOME") {
            return Some(PathBuf::from(d).join("lvyue"));
        }
        std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache").join("lvyue"))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn key(engine: &Engine, component_sha256: &str) -> String {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut h);
        format!("{component_sha256}-{:016x}", h.finish())
    }

    /// Loads the compiled component from the cache, or compiles and stores it.
    pub fn load_or_compile(&self, engine: &Engine, bytes: &[u8], component_sha256: &str) -> anyhow::Result<(Component, CacheOutcome)> {
        let key = Self::key(engine, component_sha256);
        let artifact = self.dir.join(format!("{key}.cwasm"));
        let sidecar = self.dir.join(format!("{key}.blake3"));
        if let (Ok(code), Ok(expected)) = (map_file(&artifact), std::fs::read_to_string(&sidecar)) {
            if digest(&code) == expected.trim() {
                // SAFETY: the bytes were written by `Engine::precompile_component`
                // in this cache (their digest matches the sidecar we wrote), and
                // wasmtime checks the engine compatibility header itself. They are
                // copied out of the mapping checked; the cache replaces a file by
                // renaming, never in place, so the mapping keeps the bytes checked.
                match unsafe { Component::deserialize(engine, &code[..]) } {
                    Ok(c) => return Ok((c, CacheOutcome::Hit)),
                    Err(e) => tracing::warn!("cached component {} unusable, recompiling: {e}", artifact.display()),
                }
            } else {
                tracing::warn!("cached component {} fails its digest check, recompiling", artifact.display());
            }
        }
        let code = engine.precompile_component(bytes)?;
        // SAFETY: produced just above by this engine.
        let component = unsafe { Component::deserialize(engine, &code)? };
        if let Err(e) = self.store(&artifact, &sidecar, &code) {
            tracing::warn!("could not write the compile cache in {}: {e}", self.dir.display());
        }
        Ok((component, CacheOutcome::Compiled))
    }

    fn store(&self, artifact: &Path, sidecar: &Path, code: &[u8]) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        crate::atomic::write(artifact, code)?;
        crate::atomic::write(sidecar, digest(code).as_bytes())
    }
}

/// An artifact's bytes, mapped rather than read: the pages come from the
/// page cache without a copy into freshly faulted heap (a load of cn-ets
/// 1.86 → 1.79 ms, docs/benchmarks.md).
fn map_file(path: &Path) -> std::io::Result<memmap2::Mmap> {
    let file = std::fs::File::open(path)?;
    // SAFETY: the map is read-only and dropped before this load returns; the
    // cache never writes a file in place (see above).
    unsafe { memmap2::Mmap::map(&file) }
}

/// The BLAKE3 digest of an artifact, in hex.
fn digest(code: &[u8]) -> String {
    blake3::hash(code).to_hex().to_string()
}
