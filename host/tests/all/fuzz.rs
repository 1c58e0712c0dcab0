//! A mutation fuzzer for the workbook reader and the request parser, on the
//! stable toolchain (no nightly here, so no cargo-fuzz/libFuzzer in CI).
//!
//! Seeds are the bundled samples (`tests/samples/`) and the hostile corpus
//! (`tests/malformed/`). Each round takes a seed and damages it one way:
//! flips bytes anywhere; unzips it and damages one part (flipped bytes, a cut,
//! a repeated slice, a huge or negative number put into an attribute, a
//! deleted end tag); or edits cells in a sheet's XML (values Excel never
//! writes, long text, error values, comma numbers, impossible date serials).
//! Request files get the same byte damage plus TOML/JSON-aware edits.
//!
//! Every input goes through the reader in-process with the limits of `lvyue
//! serve` (`InputLimits::for_server`: uploads from anyone who can reach the
//! page; the command line's defaults let a 1,000,000-row inventory through,
//! which itself takes gigabytes) — `Workbook::open_with` and the checks, or
//! `RequestFile::read_with`. A crash is a panic that escapes the reader's
//! boundary, a read that outlives its time limit by more than a second, or
//! the process's peak memory passing 1 GiB. Before each run the input is
//! written to `target/fuzz/in-flight`, so an abort (which no test can catch)
//! leaves it behind; each crash is saved to `target/fuzz/crash-*` and fails
//! the test (copy it into tests/malformed/ with its expected outcome).
//!
//! `LVYUE_FUZZ_SECS` sets how long it runs (default 60; 0 skips it) and
//! `LVYUE_FUZZ_SEED` the first seed. A longer run:
//!
//! ```sh
//! LVYUE_FUZZ_SECS=3600 cargo test -p lvyue --release --test all fuzz -- --nocapture
//! ```

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use lvyue::contract::SheetSpec;
use lvyue::host::{Host, HostOptions};
use lvyue::input::request::RequestFile;

use crate::common::root;

/// A small deterministic generator (xorshift64*), so a seed replays a run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next() % n as u64) as usize }
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

fn fuzz_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root().join("target"));
    let target = if target.is_relative() { root().join(target) } else { target };
    target.join("fuzz")
}

/// The process's peak resident memory so far, KiB (VmHWM).
fn peak_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find_map(|l| l.strip_prefix("VmHWM:").map(|v| v.trim().trim_end_matches("kB").trim().parse().unwrap_or(0))))
        .unwrap_or(0)
}

// ---------------------------------------------------------------- mutations

const VALUES: &[&str] = &[
    "4294967296",
    "18446744073709551615",
    "99999999999999999999",
    "-1",
    "0",
    "1e308",
    "-5",
    "2958466",
    "1048577",
    "16385",
    "NaN",
    "",
    "1,2,3",
    "18.422,5",
    ",5",
    "#SPILL!",
    "#CALC!",
    "#GETTING_DATA",
    "#BLOCKED!",
    "79228162514264337593543950335",
];

fn flip_bytes(b: &mut [u8], rng: &mut Rng) {
    if b.is_empty() {
        return;
    }
    for _ in 0..1 + rng.below(8) {
        let i = rng.below(b.len());
        b[i] ^= 1 << rng.below(8);
    }
}

/// One damage to XML text.
fn damage_xml(x: &mut Vec<u8>, rng: &mut Rng) {
    if x.is_empty() {
        return;
    }
    match rng.below(7) {
        0 => flip_bytes(x, rng),
        1 => {
            let at = rng.below(x.len());
            x.truncate(at);
        }
        2 => {
            let a = rng.below(x.len());
            let b = (a + 1 + rng.below(4096)).min(x.len());
            let slice = x[a..b].to_vec();
            for _ in 0..1 + rng.below(50) {
                x.splice(b..b, slice.iter().copied());
            }
        }
        3 | 4 => {
            // a number inside quotes or between tags replaced by a hostile one
            let starts: Vec<usize> = x
                .windows(2)
                .enumerate()
                .filter(|(_, w)| (w[0] == b'"' || w[0] == b'>') && w[1].is_ascii_digit())
                .map(|(i, _)| i + 1)
                .collect();
            if let Some(&s) = starts.get(rng.below(starts.len().max(1))) {
                let e = s + x[s..].iter().take_while(|c| c.is_ascii_alphanumeric() || **c == b'.').count();
                let v = rng.pick(VALUES).as_bytes().to_vec();
                x.splice(s..e, v);
            }
        }
        5 => {
            // an end tag deleted
            let ends: Vec<usize> = x.windows(2).enumerate().filter(|(_, w)| w == b"</").map(|(i, _)| i).collect();
            if let Some(&s) = ends.get(rng.below(ends.len().max(1))) {
                let e = s + x[s..].iter().position(|c| *c == b'>').map(|p| p + 1).unwrap_or(0);
                x.drain(s..e);
            }
        }
        _ => {
            // a cell edit: <v>…</v> to a hostile value, or a long inline text
            let vs: Vec<usize> = x.windows(3).enumerate().filter(|(_, w)| w == b"<v>").map(|(i, _)| i + 3).collect();
            if let Some(&s) = vs.get(rng.below(vs.len().max(1))) {
                let e = s + x[s..].iter().position(|c| *c == b'<').unwrap_or(0);
                let v = if rng.below(4) == 0 { "长".repeat(1 + rng.below(40_000)) } else { rng.pick(VALUES).to_string() };
                x.splice(s..e, v.into_bytes());
            }
        }
    }
}

/// Unzips, damages one part (or the zip itself) and zips again.
fn damage_zip(bytes: &[u8], rng: &mut Rng) -> Vec<u8> {
    let Ok(mut zin) = zip::ZipArchive::new(std::io::Cursor::new(bytes)) else {
        let mut b = bytes.to_vec();
        flip_bytes(&mut b, rng);
        return b;
    };
    let victim = rng.below(zin.len());
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated).compression_level(Some(1));
    for i in 0..zin.len() {
        // Parts too large to hold (the zip bombs among the seeds) are copied as they are:
        // the harness must not spend the memory it watches the reader for.
        if zin.by_index_raw(i).map(|f| f.size() > 16 << 20).unwrap_or(true) {
            if let Ok(f) = zin.by_index_raw(i) {
                let _ = out.raw_copy_file(f);
            }
            continue;
        }
        let Ok(mut f) = zin.by_index(i) else { continue };
        let Ok(name) = f.name().map(|n| n.into_owned()) else {
            continue;
        };
        let mut data = Vec::new();
        if f.read_to_end(&mut data).is_err() {
            continue;
        }
        if i == victim {
            match rng.below(10) {
                0 => continue, // the part removed
                1 => flip_bytes(&mut data, rng),
                _ => damage_xml(&mut data, rng),
            }
        }
        if out.start_file(&name, opts).is_ok() {
            let _ = out.write_all(&data);
        }
    }
    out.finish().map(|c| c.into_inner()).unwrap_or_default()
}

fn mutate(seed: &[u8], rng: &mut Rng, zip_like: bool) -> Vec<u8> {
    match (zip_like, rng.below(3)) {
        (true, 0) | (false, _) => {
            let mut b = seed.to_vec();
            if zip_like || rng.below(2) == 0 {
                flip_bytes(&mut b, rng);
            } else {
                damage_xml(&mut b, rng);
            }
            b
        }
        _ => damage_zip(seed, rng),
    }
}

// -------------------------------------------------------------------- runs

struct Target {
    specs: Vec<SheetSpec>,
}

fn seeds(dirs: &[&str], exts: &[&str]) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for d in dirs {
        let Ok(rd) = std::fs::read_dir(root().join(d)) else {
            continue;
        };
        let mut paths: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for p in paths {
            let ext = p.extension().map(|e| e.to_string_lossy().to_lowercase()).unwrap_or_default();
            if exts.contains(&ext.as_str()) && std::fs::metadata(&p).map(|m| m.len() < 4 << 20).unwrap_or(false) {
                out.push((p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out
}

/// Runs one input; a crash is returned as its description. `base` is the
/// process's peak memory before the fuzzing began (other tests share the process).
fn one(path: &Path, is_request: bool, target: &Target, base: u64) -> Option<String> {
    let started = Instant::now();
    let limits = lvyue::input::limits::InputLimits::for_server();
    let outcome = std::panic::catch_unwind(|| {
        if is_request {
            let _ = RequestFile::read_with(path, &limits);
        } else if let Ok(tables) = lvyue::input::workbook::Workbook::open_with(path, &limits).and_then(|mut b| b.tables(&target.specs)) {
            let _ = lvyue::input::check(&target.specs, &tables);
        }
    });
    let limit = limits.time() + Duration::from_secs(1);
    if let Err(p) = outcome {
        let m = p.downcast_ref::<String>().cloned().or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string())).unwrap_or_default();
        return Some(format!("panic: {m}"));
    }
    if started.elapsed() > limit {
        return Some(format!("took {:.1} s", started.elapsed().as_secs_f64()));
    }
    if peak_kib() > base + (1 << 20) {
        return Some(format!("peak memory {} MiB above the {} MiB before", (peak_kib() - base) / 1024, base / 1024));
    }
    None
}

#[test]
fn the_reader_and_the_request_parser_survive_mutated_inputs() {
    let secs: u64 = std::env::var("LVYUE_FUZZ_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(60);
    if secs == 0 {
        return;
    }
    let seed: u64 = std::env::var("LVYUE_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x5EED_1A7E);
    let host = Host::new(HostOptions { cache_dir: None, ..Default::default() }).expect("host");
    let mut specs = Vec::new();
    for j in ["cn-ets", "cn-guangdong", "event-neutrality", "supply-chain-cati"] {
        let b = host.find(j).expect(j);
        specs.extend(host.describe(b).expect("describe").input);
    }
    // One spec per key (jurisdictions share sheet names).
    let mut seen = std::collections::HashSet::new();
    specs.retain(|s| seen.insert(s.key.clone()));
    let target = Target { specs };
    let books = seeds(&["tests/samples", "tests/malformed"], &["xlsx", "xls", "ods"]);
    let requests = seeds(&["tests/samples", "tests/malformed"], &["toml", "json"]);
    assert!(!books.is_empty() && !requests.is_empty());
    let dir = fuzz_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let mut rng = Rng(seed | 1);
    let deadline = Instant::now() + Duration::from_secs(secs);
    let (mut runs, mut crashes) = (0u64, Vec::new());
    let mut base = peak_kib();
    while Instant::now() < deadline {
        let is_request = rng.below(4) == 0;
        let (name, bytes) = if is_request { rng.pick(&requests) } else { rng.pick(&books) };
        let ext = name.rsplit('.').next().unwrap_or("bin");
        let input = mutate(bytes, &mut rng, !is_request && ext != "xls");
        let path = dir.join(format!("in-flight.{ext}"));
        std::fs::write(&path, &input).unwrap();
        runs += 1;
        if let Some(what) = one(&path, is_request, &target, base) {
            // The peak only grows: later inputs are measured from here.
            base = peak_kib();
            let saved = dir.join(format!("crash-{runs}-{name}"));
            std::fs::write(&saved, &input).unwrap();
            crashes.push(format!("{}: {what} (from {name})", saved.display()));
        }
    }
    println!("fuzz: {runs} inputs in {secs} s from seed {seed}, {} crash(es)", crashes.len());
    assert!(crashes.is_empty(), "the fuzzer found:\n{}", crashes.join("\n"));
}
