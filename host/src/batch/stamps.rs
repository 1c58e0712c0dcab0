//! The batch's stamps: one line of JSON per entity-year, appended to
//! `<out>/.lvyue-batch-stamps.jsonl` as each finishes (after its outputs are in
//! place), read back for reruns and for the summary.
//!
//! One file for the whole batch, not one per entity: creating a file is the
//! dearest step of writing a small one on a disk file system (ext4 allocates
//! an inode and, without a journal, reads the inode table to do it). Measured
//! on a batch of 200 entities (`perf`): writing a stamp file per entity took
//! 1.8 % of the run, as much as its folder. An append is one `write` call.
//!
//! A line is written whole or, if the process is killed while writing it, left
//! without its newline at the end of the file: opening the file again cuts
//! such a tail off, so the entity it stood for is evaluated again. The latest
//! line of an entity-year wins. When more than half of the lines have been
//! superseded by later ones, [`Journal::compact`] rewrites the file with the
//! latest line of each (complete or not at all, as every output).
//!
//! The file is read once when the batch starts, keeping only each
//! entity-year's position in it, so memory grows by a few dozen bytes per
//! entity, not by its stamp.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::Stamp;

/// The stamps file's name in the output folder.
pub const FILE: &str = ".lvyue-batch-stamps.jsonl";

/// An entity-year: (entity, label).
type Key = (String, String);

/// The stamps of a batch's output folder.
pub struct Journal {
    path: PathBuf,
    inner: Mutex<Inner>,
}

struct Inner {
    file: File,
    /// Bytes in the file (each line ends with a newline).
    len: u64,
    /// Each entity-year's latest line: (offset, length without the newline).
    index: HashMap<Key, (u64, usize)>,
    /// Lines in the file, superseded ones included.
    lines: usize,
}

/// Just the key of a stamp line, read without the rest.
#[derive(serde::Deserialize)]
struct KeyOnly {
    entity: String,
    label: String,
}

impl Journal {
    /// Opens (or creates) the stamps file of `out_dir` and indexes its lines; a
    /// last line left unfinished by a killed run is cut off.
    pub fn open(out_dir: &Path) -> std::io::Result<Journal> {
        let path = out_dir.join(FILE);
        let file = OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path)?;
        let mut index = HashMap::new();
        let mut lines = 0usize;
        let mut good: u64 = 0;
        {
            let mut reader = BufReader::new(&file);
            let mut line = Vec::new();
            loop {
                line.clear();
                let n = reader.read_until(b'\n', &mut line)?;
                if n == 0 || line.last() != Some(&b'\n') {
                    break;
                }
                if let Ok(k) = serde_json::from_slice::<KeyOnly>(&line[..n - 1]) {
                    index.insert((k.entity, k.label), (good, n - 1));
                }
                lines += 1;
                good += n as u64;
            }
        }
        if file.metadata()?.len() != good {
            file.set_len(good)?;
        }
        Ok(Journal { path, inner: Mutex::new(Inner { file, len: good, index, lines }) })
    }

    /// The latest stamp of an entity-year, if there is a readable one.
    pub fn get(&self, entity: &str, label: &str) -> Option<Stamp> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let &(offset, len) = inner.index.get(&(entity.to_string(), label.to_string()))?;
        let mut bytes = vec![0u8; len];
        inner.file.seek(SeekFrom::Start(offset)).ok()?;
        inner.file.read_exact(&mut bytes).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Appends a stamp: the entity-year's latest from now on.
    pub fn append(&self, stamp: &Stamp) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(stamp).map_err(std::io::Error::other)?;
        let len = line.len();
        line.push(b'\n');
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let offset = inner.len;
        let written = inner.file.seek(SeekFrom::Start(offset)).and_then(|_| inner.file.write_all(&line));
        if let Err(e) = written {
            // A short write leaves a tail without its newline: cut it off so the
            // next line starts on a line of its own.
            let _ = inner.file.set_len(offset);
            return Err(e);
        }
        inner.len += line.len() as u64;
        inner.lines += 1;
        inner.index.insert((stamp.entity.clone(), stamp.label.clone()), (offset, len));
        Ok(())
    }

    /// Rewrites the file with the latest line of each entity-year when more
    /// than half of its lines are superseded ones. Returns whether it did.
    pub fn compact(&self) -> std::io::Result<bool> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if inner.lines <= 2 * inner.index.len() {
            return Ok(false);
        }
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let mut tmp = tempfile::Builder::new().prefix(".lvyue-").suffix(".part").tempfile_in(dir)?;
        tmp.as_file().set_permissions(inner.file.metadata()?.permissions())?;
        let mut latest: Vec<(u64, usize, Key)> = inner.index.iter().map(|(k, &(o, l))| (o, l, k.clone())).collect();
        latest.sort_by_key(|(o, _, _)| *o);
        let mut index = HashMap::with_capacity(latest.len());
        let mut at: u64 = 0;
        {
            let mut w = std::io::BufWriter::new(tmp.as_file_mut());
            let mut bytes = Vec::new();
            for (offset, len, key) in latest {
                bytes.resize(len + 1, 0);
                inner.file.seek(SeekFrom::Start(offset))?;
                inner.file.read_exact(&mut bytes)?;
                w.write_all(&bytes)?;
                index.insert(key, (at, len));
                at += (len + 1) as u64;
            }
            w.flush()?;
        }
        let lines = index.len();
        // The old file's handle is closed before the new file takes its name.
        let file = tmp.reopen()?;
        inner.file = file;
        tmp.persist(&self.path).map_err(|e| e.error)?;
        inner.len = at;
        inner.index = index;
        inner.lines = lines;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(entity: &str, digest: &str) -> Stamp {
        Stamp {
            tool: "t".into(),
            entity: entity.into(),
            label: "2024".into(),
            digest: digest.into(),
            ledger: vec![],
            outputs: vec!["2024-report.xlsx".into()],
            rows: vec![],
            failures: vec![],
        }
    }

    /// The digests of 甲 and 乙 in the stamps file of `dir`, opened afresh.
    fn reopened(dir: &Path) -> (Option<String>, Option<String>) {
        let j = Journal::open(dir).unwrap();
        let digest = |e: &str| j.get(e, "2024").map(|s| s.digest);
        (digest("甲"), digest("乙"))
    }

    /// A stamps file in a new folder with these (entity, digest) lines.
    fn journal(lines: &[(&str, &str)]) -> (tempfile::TempDir, Journal) {
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::open(dir.path()).unwrap();
        for (e, d) in lines {
            j.append(&stamp(e, d)).unwrap();
        }
        (dir, j)
    }

    fn some(a: &str, b: &str) -> (Option<String>, Option<String>) {
        (Some(a.into()), Some(b.into()))
    }

    #[test]
    fn the_latest_line_of_an_entity_wins_and_survives_reopening() {
        let (dir, j) = journal(&[("甲", "a"), ("乙", "b"), ("甲", "c")]);
        assert_eq!(j.get("甲", "2024").unwrap().digest, "c");
        assert!(j.get("丙", "2024").is_none());
        drop(j);
        assert_eq!(reopened(dir.path()), some("c", "b"));
    }

    #[test]
    fn an_unfinished_last_line_is_cut_off_and_the_next_starts_clean() {
        let (dir, j) = journal(&[("甲", "a")]);
        drop(j);
        // A run killed while writing 乙's line.
        let path = dir.path().join(FILE);
        let whole = std::fs::read(&path).unwrap();
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(r#"{"tool":"t","entity":"乙","label":"2024","dig"#.as_bytes()).unwrap();
        drop(f);
        let j = Journal::open(dir.path()).unwrap();
        assert!(j.get("乙", "2024").is_none());
        assert_eq!(std::fs::read(&path).unwrap(), whole, "the tail is cut off");
        j.append(&stamp("乙", "b")).unwrap();
        drop(j);
        assert_eq!(reopened(dir.path()), some("a", "b"));
    }

    #[test]
    fn compacting_keeps_the_latest_line_of_each() {
        let (dir, j) = journal(&[("甲", "a"), ("乙", "b")]);
        assert!(!j.compact().unwrap(), "nothing superseded");
        for d in ["c", "d", "e"] {
            j.append(&stamp("甲", d)).unwrap();
        }
        assert!(j.compact().unwrap(), "five lines, two live");
        let text = std::fs::read_to_string(dir.path().join(FILE)).unwrap();
        assert_eq!(text.lines().count(), 2);
        assert_eq!(j.get("甲", "2024").unwrap().digest, "e");
        j.append(&stamp("乙", "f")).unwrap();
        drop(j);
        assert_eq!(reopened(dir.path()), some("e", "f"));
    }
}
