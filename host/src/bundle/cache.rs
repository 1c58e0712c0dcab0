//! The on-disk cache of compiled components.
//!
//! Keyed by the component's SHA-256 and the engine's compatibility hash
//! (wasmtime version and every setting that affects code), so a changed
//! plugin or a changed engine never loads stale code. Deserialising compiled
//! code is unsafe if the bytes are not ours, so each artifact has a sidecar
//! with its own BLAKE3 digest, checked before loading; a mismatch recompiles.
//! BLAKE3 rather than SHA-256: the check runs on every load, over the whole
//! artifact (2.6 MiB for cn-ets), and SHA-256 took about half the load time.
//!
//! A checked artifact is handed to wasmtime as the file itself, which maps it
//! instead of copying it into fresh memory: the copy and its page faults were
//! two thirds of a load (docs/benchmarks.md). The file wasmtime maps is the
//! one whose bytes were checked: the same open file (through `/proc/self/fd`
//! on Linux), and the cache never writes a file in place, only renames a new
//! one over it, so a mapped artifact keeps its bytes.

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
        if let (Ok(file), Ok(expected)) = (std::fs::File::open(&artifact), std::fs::read_to_string(&sidecar)) {
            if file_digest(&file).is_ok_and(|d| d == expected.trim()) {
                // SAFETY: the bytes were written by `Engine::precompile_component`
                // in this cache (their digest matches the sidecar we wrote), and
                // wasmtime checks the engine compatibility header itself. It maps
                // the open file just checked; the cache replaces a file by
                // renaming, never in place, so the mapping keeps the bytes checked.
                match unsafe { Component::deserialize_file(engine, same_file(&file, &artifact)) } {
                    Ok(c) => return Ok((c, CacheOutcome::Hit)),
                    Err(e) => tracing::warn!("cached component {} unusable, recompiling: {e:#}", artifact.display()),
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

/// The digest of an open artifact, read through a mapping: the pages come
/// from the page cache without a copy into freshly faulted heap.
fn file_digest(file: &std::fs::File) -> std::io::Result<String> {
    // SAFETY: the map is read-only and dropped before this returns; the
    // cache never writes a file in place (see above).
    let map = unsafe { memmap2::Mmap::map(file) }?;
    Ok(digest(&map))
}

/// A path that opens `file` itself, whatever has been renamed over `path`
/// since it was opened: its `/proc/self/fd` entry on Linux, else `path`.
fn same_file(file: &std::fs::File, path: &Path) -> PathBuf {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        let fd = PathBuf::from(format!("/proc/self/fd/{}", file.as_raw_fd()));
        if fd.exists() {
            return fd;
        }
    }
    let _ = file;
    path.to_path_buf()
}

/// The BLAKE3 digest of an artifact, in hex.
fn digest(code: &[u8]) -> String {
    blake3::hash(code).to_hex().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_file_opens_the_file_checked_after_another_is_renamed_over_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.cwasm");
        std::fs::write(&path, b"checked").unwrap();
        let file = std::fs::File::open(&path).unwrap();
        crate::atomic::write(&path, b"renamed over").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"renamed over");
        let expected: &[u8] = if cfg!(target_os = "linux") { b"checked" } else { b"renamed over" };
        assert_eq!(std::fs::read(same_file(&file, &path)).unwrap(), expected);
        assert_eq!(file_digest(&file).unwrap(), digest(b"checked"));
    }

    #[test]
    fn a_cached_component_loads_from_its_file_and_a_corrupt_one_is_compiled_again() {
        let sandbox = crate::sandbox::Sandbox::new().unwrap();
        let engine = sandbox.engine();
        let wasm = crate::builtin::BUILTIN[0].component;
        let dir = tempfile::tempdir().unwrap();
        let cache = CompileCache::new(dir.path().to_path_buf());
        let (_, first) = cache.load_or_compile(engine, wasm, "sha").unwrap();
        assert_eq!(first, CacheOutcome::Compiled);
        let (c, second) = cache.load_or_compile(engine, wasm, "sha").unwrap();
        assert_eq!(second, CacheOutcome::Hit);
        // The mapped code runs: the plugin describes itself.
        let info = sandbox.prepare(&c).unwrap().describe(&crate::sandbox::Limits::default()).unwrap().value;
        assert!(!info.id.is_empty());
        let artifact = dir.path().join(format!("{}.cwasm", CompileCache::key(engine, "sha")));
        let mut bytes = std::fs::read(&artifact).unwrap();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0xff;
        crate::atomic::write(&artifact, &bytes).unwrap();
        let (_, third) = cache.load_or_compile(engine, wasm, "sha").unwrap();
        assert_eq!(third, CacheOutcome::Compiled, "the digest check refuses the changed artifact");
        assert_ne!(std::fs::read(&artifact).unwrap(), bytes, "and the artifact is written again");
    }
}
