//! Output files are complete or absent: write to a temporary file in the
//! same folder, flush it, then rename over the target.
//!
//! The file gets the permissions a plain `File::create` would give (0666
//! less the umask on Unix; an existing file keeps its own), not the 0600 of
//! a temporary file, so colleagues on a shared machine can read the reports.
//! Errors name the user's path, never the temporary file.
//!
//! [`write`] flushes each file to the disk before the rename. A batch writing
//! thousands of files uses [`write_deferred`] (no flush: the rename alone keeps
//! a killed run from leaving a partial file) and flushes the whole file system
//! once at the end with [`sync_folder`].

use std::io::Write;
use std::path::Path;

/// Writes `bytes` to `path`, complete or absent, flushed to the disk.
pub fn write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_with(path, bytes, true)
}

/// [`write`] without flushing to the disk: complete or absent if the process
/// is killed; durable once [`sync_folder`] returns.
pub fn write_deferred(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_with(path, bytes, false)
}

/// Flushes the file system holding `dir` to the disk (`syncfs` on Linux; each
/// file's own flush elsewhere is not possible from here, so the folder itself).
pub fn sync_folder(dir: &Path) -> std::io::Result<()> {
    let folder = std::fs::File::open(dir)?;
    #[cfg(target_os = "linux")]
    rustix::fs::syncfs(&folder)?;
    #[cfg(not(target_os = "linux"))]
    folder.sync_all()?;
    Ok(())
}

fn write_with(path: &Path, bytes: &[u8], flush: bool) -> std::io::Result<()> {
    // tempfile's errors end with " at path <the temporary file>"; the user named `path`.
    let named = |e: std::io::Error| std::io::Error::new(e.kind(), e.to_string().split(" at path ").next().unwrap_or_default().to_string());
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        return Err(std::io::Error::new(std::io::ErrorKind::NotFound, format!("the folder {} does not exist", dir.display())));
    }
    if path.is_dir() {
        return Err(std::io::Error::new(std::io::ErrorKind::IsADirectory, "is a folder, not a file"));
    }
    let mut tmp = tempfile::Builder::new().prefix(".lvyue-").suffix(".part").tempfile_in(dir).map_err(named)?;
    tmp.write_all(bytes).map_err(named)?;
    if flush {
        tmp.as_file().sync_all().map_err(named)?;
    }
    set_permissions(tmp.as_file(), path).map_err(named)?;
    tmp.persist(path).map_err(|e| named(e.error))?;
    Ok(())
}

#[cfg(unix)]
fn set_permissions(file: &std::fs::File, target: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = match std::fs::metadata(target) {
        Ok(m) => m.permissions().mode() & 0o7777,
        Err(_) => 0o666 & !umask(),
    };
    file.set_permissions(std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_permissions(_: &std::fs::File, _: &Path) -> std::io::Result<()> {
    Ok(())
}

/// The process's umask, read from /proc where it is shown (Linux), else the
/// usual 022. Reading it this way leaves the process's umask untouched. Read
/// once: lvyue never changes it, and a batch writes thousands of files.
#[cfg(unix)]
fn umask() -> u32 {
    static UMASK: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    *UMASK.get_or_init(|| {
        std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| s.lines().find_map(|l| l.strip_prefix("Umask:").and_then(|v| u32::from_str_radix(v.trim(), 8).ok())))
            .unwrap_or(0o022)
    })
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn written_files_are_readable_by_others_as_umask_allows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        super::write(&path, b"{}").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o666 & !super::umask(), "mode {mode:o}");
        assert_ne!(mode, 0o600);
    }

    #[test]
    fn a_missing_folder_is_named_not_the_temporary_file() {
        let e = super::write(std::path::Path::new("/nonexistent-lvyue-dir/x.json"), b"{}").unwrap_err();
        assert!(e.to_string().contains("/nonexistent-lvyue-dir"), "{e}");
        assert!(!e.to_string().contains(".part"), "{e}");
    }
}
