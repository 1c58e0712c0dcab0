//! The boundary between lvyue and the code that parses users' files.
//!
//! - [`check_file`]: an input must be a regular file no larger than the
//!   `file-mib` limit (a device, a pipe or a folder is refused before it is opened);
//! - [`read_file`]: its bytes, read once, never more than the limit even if it grows;
//! - [`bounded`]: runs a parser on a reader thread (kept for the next
//!   file) with the `secs` limit, and
//!   turns a panic in it (a dependency's bug on a damaged file) into an error
//!   instead of a crash. Such a panic prints nothing: the caller reports one
//!   sentence; with `-v` the log shows where it happened and the backtrace.
//! - [`install_panic_hook`]: the command line's hook for everything else: one
//!   sentence and exit code 1 instead of Rust's panic text.
//!
//! A parser still running when its time is up is left to finish on its own
//! thread (Rust cannot stop a thread); the command line exits right after.

use std::cell::RefCell;
use std::io::Read;
use std::path::Path;
use std::sync::Once;
use std::time::Instant;

use super::InputProblem;
use super::limits::{self, InputLimits};

/// The name of the threads that parse input files; the panic hook knows them.
pub(crate) const READER_THREAD: &str = "lvyue-input-reader";

thread_local! {
    /// Where the last panic on this thread happened (set by the hook, read by [`bounded`]).
    static PANIC_AT: RefCell<Option<String>> = const { RefCell::new(None) };
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string())
}

fn problem(path: &Path, found: String, zh: String, en: String) -> InputProblem {
    InputProblem { sheet: String::new(), cell: file_name(path), found, expected_zh: zh, expected_en: en }
}

/// Refuses an input that is not a regular file or is larger than the limit.
/// A file that cannot be looked at (missing, no permission) passes: opening it
/// reports that in the usual way.
pub(crate) fn check_file(path: &Path, limits: &InputLimits) -> Result<(), InputProblem> {
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(());
    };
    if !meta.is_file() {
        let kind = if meta.is_dir() { "a folder" } else { special_kind(&meta) };
        return Err(problem(
            path,
            format!("{kind}, not a regular file"),
            "普通文件（不是设备、管道或文件夹）".into(),
            "a regular file (not a device, a pipe or a folder)".into(),
        ));
    }
    if meta.len() > limits.file_bytes() {
        return Err(too_large(path, meta.len(), limits));
    }
    Ok(())
}

fn too_large(path: &Path, len: u64, limits: &InputLimits) -> InputProblem {
    problem(
        path,
        format!("a file of {}", limits::size(len)),
        format!("不超过 {} MiB 的文件（可用 --input-limit file-mib=N 提高上限）", limits.file_mib),
        format!("a file of at most {} MiB ({})", limits.file_mib, limits::raise("file-mib")),
    )
}

#[cfg(unix)]
fn special_kind(meta: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_char_device() || t.is_block_device() {
        "a device"
    } else if t.is_fifo() {
        "a named pipe"
    } else if t.is_socket() {
        "a socket"
    } else {
        "a special file"
    }
}

#[cfg(not(unix))]
fn special_kind(_: &std::fs::Metadata) -> &'static str {
    "a special file"
}

/// The file's bytes, checked with [`check_file`] and never more than the limit.
pub(crate) fn read_file(path: &Path, limits: &InputLimits) -> Result<Vec<u8>, InputProblem> {
    check_file(path, limits)?;
    let file = std::fs::File::open(path)
        .map_err(|e| problem(path, format!("a file that cannot be opened ({e})"), "可读取的文件".into(), "a file lvyue can read".into()))?;
    let mut bytes = Vec::new();
    file.take(limits.file_bytes().saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| problem(path, format!("a file that cannot be read ({e})"), "可读取的文件".into(), "a file lvyue can read".into()))?;
    if bytes.len() as u64 > limits.file_bytes() {
        return Err(too_large(path, bytes.len() as u64, limits));
    }
    Ok(bytes)
}

/// Why a bounded parser did not return.
#[derive(Debug, Clone, PartialEq)]
pub enum Stopped {
    /// It panicked: the message and, when known, where.
    Panicked(String),
    /// It was still running when the time limit was up.
    TimedOut,
}

/// A job for a reader thread.
type Job = Box<dyn FnOnce() + Send>;

thread_local! {
    /// This thread's reader: a thread kept for the next file, so a batch
    /// does not start one per workbook and sheet (a batch of 200 entities
    /// started 2,403 threads before; now one per worker). Forgotten when a parser
    /// overruns its time or panics; the next call starts a fresh one.
    static READER: RefCell<Option<std::sync::mpsc::Sender<Job>>> = const { RefCell::new(None) };
}

/// Runs `f` on a reader thread until `deadline`. A panic in it becomes
/// [`Stopped::Panicked`] (nothing is printed; `-v` logs where it happened and
/// the backtrace); running past the deadline gives [`Stopped::TimedOut`].
/// Each calling thread keeps its reader for the next call.
pub fn bounded<T: Send + 'static>(deadline: Instant, f: impl FnOnce() -> T + Send + 'static) -> Result<T, Stopped> {
    quiet_reader_panics();
    let (tx, rx) = std::sync::mpsc::channel();
    let job: Job = Box::new(move || {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|payload| {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".into());
            let at = PANIC_AT.with(|p| p.borrow_mut().take());
            Stopped::Panicked(match at {
                Some(at) => format!("{message} (at {at})"),
                None => message,
            })
        });
        let _ = tx.send(outcome);
    });
    if READER.with(|r| submit(&mut r.borrow_mut(), job)).is_err() {
        return Err(Stopped::Panicked("no thread could be started for the reader".into()));
    }
    let wait = deadline.saturating_duration_since(Instant::now());
    let outcome = match rx.recv_timeout(wait) {
        Ok(outcome) => outcome,
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => Err(Stopped::TimedOut),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => Err(Stopped::Panicked("the reader stopped".into())),
    };
    if outcome.is_err() {
        // A reader still busy (or gone) is left to finish on its own; the next call starts another.
        READER.with(|r| r.borrow_mut().take());
    }
    outcome
}

/// Gives `job` to this thread's reader, starting one if there is none (or it has stopped).
fn submit(reader: &mut Option<std::sync::mpsc::Sender<Job>>, job: Job) -> Result<(), ()> {
    let job = match reader.as_ref() {
        Some(tx) => match tx.send(job) {
            Ok(()) => return Ok(()),
            Err(std::sync::mpsc::SendError(job)) => job,
        },
        None => job,
    };
    let (tx, jobs) = std::sync::mpsc::channel::<Job>();
    std::thread::Builder::new()
        .name(READER_THREAD.into())
        .stack_size(16 << 20)
        .spawn(move || {
            for job in jobs {
                job();
            }
        })
        .map_err(|_| ())?;
    tx.send(job).map_err(|_| ())?;
    *reader = Some(tx);
    Ok(())
}

fn on_reader_thread() -> bool {
    std::thread::current().name() == Some(READER_THREAD)
}

/// On a reader thread: remember where the panic happened, log it for `-v`, print nothing.
fn reader_panic(info: &std::panic::PanicHookInfo<'_>) {
    let at = info.location().map(|l| l.to_string()).unwrap_or_default();
    tracing::info!("the input reader panicked at {at}: {}", info.payload_as_str().unwrap_or("a panic"));
    if tracing::enabled!(tracing::Level::INFO) {
        tracing::info!("backtrace:\n{}", std::backtrace::Backtrace::force_capture());
    }
    PANIC_AT.with(|p| *p.borrow_mut() = Some(at));
}

/// Installs (once) a hook that keeps reader-thread panics quiet and passes
/// every other panic to the hook that was there before.
fn quiet_reader_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if on_reader_thread() {
                reader_panic(info);
            } else {
                previous(info);
            }
        }));
    });
}

/// The command line's panic hook: a panic outside the input readers is a bug
/// in lvyue; it prints one sentence and exits with code 1 ("other error").
/// With `verbose` it also prints where and the backtrace. Panics on reader
/// threads stay quiet (they are reported as unreadable input).
pub fn install_panic_hook(verbose: bool) {
    std::panic::set_hook(Box::new(move |info| {
        if on_reader_thread() {
            reader_panic(info);
            return;
        }
        if verbose {
            let at = info.location().map(|l| l.to_string()).unwrap_or_default();
            eprintln!("error: lvyue stopped on an internal error at {at}: {}", info.payload_as_str().unwrap_or("a panic"));
            eprintln!("{}", std::backtrace::Backtrace::force_capture());
        } else {
            eprintln!(
                "error: lvyue stopped on an internal error (a bug; please report it with the command you ran, and run it again with -v for details); exit code 1"
            );
        }
        std::process::exit(crate::host::exit::OTHER);
    }));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_panic_in_a_reader_is_an_error_with_its_place() {
        let e = bounded(Instant::now() + Duration::from_secs(10), || -> u32 { panic!("damaged") }).unwrap_err();
        match e {
            Stopped::Panicked(m) => assert!(m.contains("damaged") && m.contains("guard.rs"), "{m}"),
            other => panic!("{other:?}"),
        }
        assert_eq!(bounded(Instant::now() + Duration::from_secs(10), || 7).unwrap(), 7);
    }

    #[test]
    fn a_reader_past_its_time_is_stopped() {
        let started = Instant::now();
        let e = bounded(Instant::now() + Duration::from_millis(200), || std::thread::sleep(Duration::from_secs(5))).unwrap_err();
        assert_eq!(e, Stopped::TimedOut);
        assert!(started.elapsed() < Duration::from_secs(2));
        // The busy reader is left behind: the next file gets a fresh one at once.
        let started = Instant::now();
        assert_eq!(bounded(Instant::now() + Duration::from_secs(10), || 7).unwrap(), 7);
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn a_reader_is_kept_for_the_next_file() {
        let deadline = || Instant::now() + Duration::from_secs(10);
        let first = bounded(deadline(), || std::thread::current().id()).unwrap();
        assert_ne!(first, std::thread::current().id());
        assert_eq!(bounded(deadline(), || std::thread::current().id()).unwrap(), first);
        // After a panic the next file is read on a new reader.
        let _ = bounded(deadline(), || -> u32 { panic!("damaged") });
        assert_ne!(bounded(deadline(), || std::thread::current().id()).unwrap(), first);
    }

    #[cfg(unix)]
    #[test]
    fn devices_and_folders_are_not_inputs() {
        let l = InputLimits::default();
        let e = check_file(Path::new("/dev/zero"), &l).unwrap_err();
        assert!(e.found.contains("a device"), "{e}");
        let e = read_file(Path::new("/tmp"), &l).unwrap_err();
        assert!(e.found.contains("a folder"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.xlsx");
        std::fs::write(&big, vec![0u8; 2 << 20]).unwrap();
        let small = InputLimits { file_mib: 1, ..InputLimits::default() };
        let e = read_file(&big, &small).unwrap_err();
        assert!(e.expected_en.contains("file-mib"), "{e}");
    }
}
