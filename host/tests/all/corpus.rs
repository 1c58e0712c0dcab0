//! The hostile-input corpus (`tests/malformed/`, described in its
//! `cases.toml`): every file through the built `lvyue evaluate` and
//! `lvyue validate`, each checked for its exit code, its message (the sheet,
//! and the cell where there is one), at most 10 s of CPU time (user + system,
//! the child's own from `wait4`; wall time is shown, and bounded at 30 s, as
//! other tests share the machine) and 1 GiB peak memory (the child's own
//! `VmHWM`, read from /proc every few milliseconds while it runs: `ru_maxrss`
//! would count this test process too, whose memory a spawned child starts
//! from), its input unchanged, nothing written on an error, and no Rust panic
//! text.
//!
//! Files too large to commit, or that are no files (a link to /dev/zero), are
//! made here at run time in a temporary folder (`generated = true`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::common::root;

const TIME_LIMIT: Duration = Duration::from_secs(10);
const WALL_LIMIT: Duration = Duration::from_secs(30);
const MEMORY_LIMIT_KIB: i64 = 1 << 20;

#[derive(Debug, Clone, serde::Deserialize)]
struct Case {
    file: String,
    defect: String,
    #[serde(default)]
    generated: bool,
    #[serde(default = "portfolio")]
    role: String,
    jurisdiction: Option<String>,
    year: Option<u16>,
    #[serde(default)]
    args: Vec<String>,
    exit: i32,
    #[serde(default)]
    expect: Vec<String>,
    validate_exit: Option<i32>,
}

fn portfolio() -> String {
    "portfolio".into()
}

#[derive(serde::Deserialize)]
struct Cases {
    case: Vec<Case>,
}

fn cases() -> Vec<Case> {
    let text = std::fs::read_to_string(root().join("tests/malformed/cases.toml")).expect("tests/malformed/cases.toml");
    toml::from_str::<Cases>(&text).expect("cases.toml parses").case
}

/// One finished run of the binary.
struct Run {
    code: Option<i32>,
    signal: Option<i32>,
    stdout: String,
    stderr: String,
    elapsed: Duration,
    cpu: Duration,
    max_rss_kib: i64,
}

/// A running process's peak resident memory, KiB (`VmHWM`), if it still has one.
fn vm_hwm(pid: libc::pid_t) -> Option<i64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines().find_map(|l| l.strip_prefix("VmHWM:")).and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Runs lvyue with `args`, measuring its wall time and its own peak memory
/// (wait4's rusage of that one child). Killed after 60 s.
fn run(args: &[String], cache: &Path) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lvyue"))
        .arg("--cache-dir")
        .arg(cache)
        .args(args)
        .current_dir(root())
        .env_remove("RUST_BACKTRACE")
        .env_remove("LVYUE_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start lvyue");
    let started = Instant::now();
    let pid = child.id() as libc::pid_t;
    // Drain the pipes on threads so a chatty child cannot block.
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out_t = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut out, &mut s).ok();
        s
    });
    let err_t = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut err, &mut s).ok();
        s
    });
    let mut status: libc::c_int = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let mut peak: i64 = 0;
    loop {
        if let Some(kib) = vm_hwm(pid) {
            peak = peak.max(kib);
        }
        // SAFETY: pid is our own child, not yet reaped; status and usage are valid.
        let r = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if r == pid {
            break;
        }
        assert!(r == 0, "wait4 failed");
        if started.elapsed() > Duration::from_secs(60) {
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let elapsed = started.elapsed();
    // The child is reaped; keep std from waiting on it again.
    std::mem::forget(child);
    let (code, signal) =
        if libc::WIFEXITED(status) { (Some(libc::WEXITSTATUS(status)), None) } else { (None, Some(libc::WTERMSIG(status))) };
    let tv = |t: libc::timeval| Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64);
    let cpu = tv(usage.ru_utime) + tv(usage.ru_stime);
    Run { code, signal, stdout: out_t.join().unwrap(), stderr: err_t.join().unwrap(), elapsed, cpu, max_rss_kib: peak }
}

/// The input's digest; a device or a folder (the /dev/zero case) has none.
fn digest(path: &Path) -> Option<String> {
    if !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
        return None;
    }
    std::fs::read(path).ok().map(|b| hex::encode(Sha256::digest(&b)))
}

// ------------------------------------------------------------ generated files

fn sample(name: &str) -> PathBuf {
    root().join("tests/samples").join(name)
}

/// Copies a zip, replacing one part with `content` (written in chunks).
fn zip_with_part(src: &Path, dst: &Path, part: &str, content: &mut dyn FnMut(&mut dyn Write)) {
    use zip::write::SimpleFileOptions;
    let mut zin = zip::ZipArchive::new(std::fs::File::open(src).unwrap()).unwrap();
    let mut zout = zip::ZipWriter::new(std::fs::File::create(dst).unwrap());
    let opts =
        SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated).compression_level(Some(1)).large_file(true);
    for i in 0..zin.len() {
        let f = zin.by_index_raw(i).unwrap();
        if f.name().map(|n| n == part).unwrap_or(false) {
            drop(f);
            zout.start_file(part, opts).unwrap();
            content(&mut zout);
        } else {
            zout.raw_copy_file(f).unwrap();
        }
    }
    zout.finish().unwrap();
}

/// The first row (the header) of a sheet part, as XML.
fn header_row(src: &Path, part: &str) -> (String, String) {
    let mut zin = zip::ZipArchive::new(std::fs::File::open(src).unwrap()).unwrap();
    let mut xml = String::new();
    std::io::Read::read_to_string(&mut zin.by_name(part).unwrap(), &mut xml).unwrap();
    let start = xml.find("<sheetData>").unwrap() + "<sheetData>".len();
    let end = xml[start..].find("</row>").unwrap() + start + "</row>".len();
    (xml[..start].to_string(), xml[start..end].to_string())
}

fn generate(name: &str, dir: &Path) -> PathBuf {
    let path = dir.join(name);
    match name {
        "d5-bomb-rows.xlsx" => {
            let part = "xl/worksheets/sheet2.xml"; // 配额账户 Allowance account
            let (head, header) = header_row(&sample("cn-ets-2024-portfolio.xlsx"), part);
            zip_with_part(&sample("cn-ets-2024-portfolio.xlsx"), &path, part, &mut |w| {
                write!(w, "{head}{header}").unwrap();
                let mut buf = String::with_capacity(1 << 20);
                for r in 2..=1_048_576u32 {
                    buf.push_str(&format!("<row r=\"{r}\"/>"));
                    if buf.len() > 1 << 20 {
                        w.write_all(buf.as_bytes()).unwrap();
                        buf.clear();
                    }
                }
                for _ in 0..1_000_000 {
                    buf.push_str("<row/>");
                    if buf.len() > 1 << 20 {
                        w.write_all(buf.as_bytes()).unwrap();
                        buf.clear();
                    }
                }
                write!(w, "{buf}</sheetData></worksheet>").unwrap();
            });
        }
        "d5-full-height-sheet.xlsx" => {
            let part = "xl/worksheets/sheet2.xml"; // 排放源 Emission sources
            let (head, header) = header_row(&sample("cn-ets-2024-inventory.xlsx"), part);
            zip_with_part(&sample("cn-ets-2024-inventory.xlsx"), &path, part, &mut |w| {
                write!(w, "{head}{header}").unwrap();
                let mut buf = String::with_capacity(1 << 20);
                for r in 2..=1_048_576u32 {
                    buf.push_str(&format!(
                        "<row r=\"{r}\"><c r=\"A{r}\" t=\"inlineStr\"><is><t>Site</t></is></c><c r=\"B{r}\" t=\"inlineStr\"><is><t>Kiln {r}</t></is></c><c r=\"C{r}\" t=\"inlineStr\"><is><t>process</t></is></c><c r=\"F{r}\"><v>1</v></c></row>"
                    ));
                    if buf.len() > 1 << 20 {
                        w.write_all(buf.as_bytes()).unwrap();
                        buf.clear();
                    }
                }
                write!(w, "{buf}</sheetData></worksheet>").unwrap();
            });
        }
        "d5-two-million-empty-rows.json" => {
            let rows = vec!["{}"; 2_000_000].join(",");
            std::fs::write(&path, format!("{{\"jurisdiction\":\"cn-ets\",\"year\":2024,\"tables\":{{\"emission_sources\":[{rows}]}}}}"))
                .unwrap();
        }
        "d5-dev-zero.xlsx" => {
            std::os::unix::fs::symlink("/dev/zero", &path).unwrap();
        }
        other => panic!("no generator for {other}"),
    }
    path
}

// ------------------------------------------------------------------ the runs

/// The arguments of `evaluate` (with outputs in `out`) and `validate` for a case.
fn commands(c: &Case, input: &Path, out: &Path) -> (Vec<String>, Option<Vec<String>>) {
    let s = |x: &str| x.to_string();
    let p = |x: &Path| x.display().to_string();
    let outputs = vec![s("--out"), p(&out.join("o.xlsx")), s("--json"), p(&out.join("o.json"))];
    let j = c.jurisdiction.clone().unwrap_or_else(|| s("cn-ets"));
    let year = c.year.unwrap_or(2024).to_string();
    let (inv, port) = match j.as_str() {
        "cn-guangdong" => ("guangdong-2024-inventory.xlsx", "guangdong-2024-portfolio.xlsx"),
        "event-neutrality" => ("event-2023-canton-fair-inventory.xlsx", "event-2023-canton-fair-portfolio.xlsx"),
        _ => ("cn-ets-2024-inventory.xlsx", "cn-ets-2024-portfolio.xlsx"),
    };
    let input_args: Vec<String> = match c.role.as_str() {
        "request" => vec![s("--request"), p(input)],
        "cli" => vec![s("--request"), p(&sample("cn-ets-2024.toml"))],
        "inventory" => vec![s("-j"), j, s("--year"), year, s("--inventory"), p(input), s("--portfolio"), p(&sample(port))],
        _ => vec![s("-j"), j, s("--year"), year, s("--inventory"), p(&sample(inv)), s("--portfolio"), p(input)],
    };
    if c.args == ["--same-output"] {
        let same = p(&out.join("o.json"));
        let eval = [vec![s("evaluate")], input_args, vec![s("--out"), same.clone(), s("--json"), same]].concat();
        return (eval, None);
    }
    let eval = [vec![s("evaluate")], input_args.clone(), outputs, c.args.clone()].concat();
    let validate = [vec![s("validate")], input_args, c.args.clone()].concat();
    (eval, Some(validate))
}

/// Checks one case; returns a line of measurements, or the failures.
fn check(c: &Case, dir: &Path, cache: &Path) -> Result<String, Vec<String>> {
    let input = if c.generated {
        generate(&c.file, dir)
    } else if c.role == "cli" {
        sample("cn-ets-2024.toml")
    } else {
        root().join("tests/malformed").join(&c.file)
    };
    let before = digest(&input);
    let out = dir.join(format!("out-{}", c.file.replace(['/', '.'], "_")));
    std::fs::create_dir_all(&out).unwrap();
    let (eval, validate) = commands(c, &input, &out);
    let mut failures = Vec::new();
    let mut line = format!("{:<45} {:<7}", c.file.trim_start_matches("../samples/"), c.defect);
    for (name, args, want) in [("evaluate", Some(eval), c.exit), ("validate", validate, c.validate_exit.unwrap_or(c.exit))] {
        let Some(args) = args else { continue };
        let r = run(&args, cache);
        let label = format!("{} {name}", c.file);
        line.push_str(&format!(
            "  {name}: exit {} {:>5.2} s ({:>5.2} s CPU) {:>4} MiB",
            r.code.map(|c| c.to_string()).unwrap_or_else(|| format!("signal {}", r.signal.unwrap_or(0))),
            r.elapsed.as_secs_f64(),
            r.cpu.as_secs_f64(),
            r.max_rss_kib / 1024
        ));
        if r.code != Some(want) {
            failures.push(format!(
                "{label}: exit {:?} (signal {:?}), expected {want}\nstderr: {}\nstdout: {}",
                r.code,
                r.signal,
                r.stderr,
                tail(&r.stdout)
            ));
            continue;
        }
        if r.cpu > TIME_LIMIT || r.elapsed > WALL_LIMIT {
            failures.push(format!(
                "{label}: took {:.1} s CPU, {:.1} s wall (limits {} s and {} s)",
                r.cpu.as_secs_f64(),
                r.elapsed.as_secs_f64(),
                TIME_LIMIT.as_secs(),
                WALL_LIMIT.as_secs()
            ));
        }
        if r.max_rss_kib > MEMORY_LIMIT_KIB {
            failures.push(format!("{label}: peak memory {} MiB (limit 1 GiB)", r.max_rss_kib / 1024));
        }
        for bad in ["panicked", "RUST_BACKTRACE", "stack backtrace", "\u{1b}["] {
            if r.stderr.contains(bad) {
                failures.push(format!("{label}: stderr shows {bad:?}: {}", r.stderr));
            }
        }
        // On success the report is on stdout; validate prints no metrics.
        let text = if want == 0 { &r.stdout } else { &r.stderr };
        if want != 0 || name == "evaluate" {
            for e in &c.expect {
                if !text.contains(e.as_str()) {
                    failures.push(format!("{label}: output lacks {e:?}\nstderr: {}\nstdout: {}", r.stderr, tail(&r.stdout)));
                }
            }
        }
        let written: Vec<String> =
            std::fs::read_dir(&out).unwrap().filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect();
        if want != 0 && !written.is_empty() {
            failures.push(format!("{label}: wrote {written:?} on exit {want}"));
        }
        if written.iter().any(|w| w.ends_with(".part")) {
            failures.push(format!("{label}: left a temporary file: {written:?}"));
        }
        if want == 0 && name == "evaluate" && c.role != "cli" {
            for f in ["o.xlsx", "o.json"] {
                if !out.join(f).is_file() {
                    failures.push(format!("{label}: {f} not written on success"));
                }
            }
        }
        if digest(&input) != before {
            failures.push(format!("{label}: the input changed"));
        }
    }
    if failures.is_empty() { Ok(line) } else { Err(failures) }
}

fn tail(s: &str) -> String {
    s.lines().rev().take(15).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n")
}

#[test]
fn every_corpus_file_gives_its_outcome_within_time_and_memory() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    // Compile the plugins once, outside the timed runs.
    for (j, inv, port) in [
        ("cn-ets", "cn-ets-2024-inventory.xlsx", "cn-ets-2024-portfolio.xlsx"),
        ("cn-guangdong", "guangdong-2024-inventory.xlsx", "guangdong-2024-portfolio.xlsx"),
        ("event-neutrality", "event-2023-canton-fair-inventory.xlsx", "event-2023-canton-fair-portfolio.xlsx"),
    ] {
        let year = if j == "event-neutrality" { "2023" } else { "2024" };
        let args: Vec<String> = ["validate", "-j", j, "--year", year, "--inventory"]
            .iter()
            .map(|s| s.to_string())
            .chain([sample(inv).display().to_string(), "--portfolio".into(), sample(port).display().to_string()])
            .collect();
        // Only to fill the compile cache; the cases check the outcomes.
        run(&args, &cache);
    }
    let all = cases();
    assert!(all.len() >= 50, "cases.toml lists {} cases", all.len());
    // Two at a time: the machine has two cores (and CPU time, not wall time, is what is limited).
    let queue = std::sync::Mutex::new(all.into_iter());
    let results = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                loop {
                    let Some(c) = queue.lock().unwrap().next() else {
                        break;
                    };
                    let r = check(&c, dir.path(), &cache);
                    results.lock().unwrap().push((c.file.clone(), r));
                }
            });
        }
    });
    let mut failures = Vec::new();
    let results = results.into_inner().unwrap();
    for (_, r) in &results {
        match r {
            Ok(line) => println!("{line}"),
            Err(f) => failures.extend(f.iter().cloned()),
        }
    }
    println!(
        "corpus: {} passed, {} failed",
        results.iter().filter(|(_, r)| r.is_ok()).count(),
        results.iter().filter(|(_, r)| r.is_err()).count()
    );
    assert!(failures.is_empty(), "{} failure(s):\n\n{}", failures.len(), failures.join("\n\n"));
}
