//! Limits on what one input may make lvyue read or build, so that no workbook
//! or request file can exhaust the machine: every limit is checked before the
//! cells it guards are built, and going over one is a problem with the input
//! (exit 3) that names the file and sheet and says how to raise the limit.
//!
//! | name | default | what it bounds |
//! |---|---|---|
//! | `file-mib` | 100 | the size of an input file, MiB |
//! | `part-mib` | 256 | the unzipped size of one part of an .xlsx or .ods, MiB; also the text one sheet may hold |
//! | `ratio` | 100 | how much a part larger than 1 MiB may grow when unzipped |
//! | `cells` | 12,000,000 | cells in one sheet (those present; the whole used area for .xls and .ods), values in one request table |
//! | `strings` | 2,000,000 | shared strings in a workbook |
//!
//! `lvyue serve` keeps `cells` and `strings` at 1,000,000
//! ([`InputLimits::for_server`]). Elsewhere `cells` and `strings` let a 1,000,000-row inventory of up to 12 declared
//! columns (one distinct text a row) through, Excel's own height; the other
//! limits bound the bytes that can make them (a sheet of 256 MiB holds about
//! 13 million cells).
//! | `text-chars` | 32,767 | characters in one cell (Excel's own limit) |
//! | `depth` | 100 | XML elements nested in one another |
//! | `secs` | 60 | seconds to read one input file |
//!
//! The command line raises one with `--input-limit NAME=VALUE` (repeatable);
//! the library reads [`InputLimits::current`], which the command line sets with
//! [`InputLimits::install`].

use std::sync::RwLock;
use std::time::Duration;

/// One named limit: its default and the largest value it may be raised to.
pub(crate) struct Setting {
    pub name: &'static str,
    pub what: &'static str,
    pub default: u64,
    pub max: u64,
}

/// Every limit, in the order `--help` and the docs list them.
pub(crate) const SETTINGS: &[Setting] = &[
    Setting { name: "file-mib", what: "size of an input file, MiB", default: 100, max: 16 * 1024 },
    Setting {
        name: "part-mib",
        what: "unzipped size of one part of an .xlsx or .ods, and the text of one sheet, MiB",
        default: 256,
        max: 64 * 1024,
    },
    Setting { name: "ratio", what: "unzipped size over zipped size of a part larger than 1 MiB", default: 100, max: 1_000_000 },
    Setting { name: "cells", what: "cells in one sheet or request table", default: 12_000_000, max: 1_000_000_000 },
    Setting { name: "strings", what: "shared strings in one workbook", default: 2_000_000, max: 1_000_000_000 },
    Setting { name: "text-chars", what: "characters in one cell", default: 32_767, max: 1 << 30 },
    Setting { name: "depth", what: "XML elements nested in one another", default: 100, max: 100_000 },
    Setting { name: "secs", what: "seconds to read one input file", default: 60, max: 86_400 },
];

/// The limits in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputLimits {
    pub file_mib: u64,
    pub part_mib: u64,
    pub ratio: u64,
    pub cells: u64,
    pub strings: u64,
    pub text_chars: u64,
    pub depth: u64,
    pub secs: u64,
}

impl Default for InputLimits {
    fn default() -> Self {
        let d = |n: &str| SETTINGS.iter().find(|s| s.name == n).map(|s| s.default).unwrap_or(1);
        InputLimits {
            file_mib: d("file-mib"),
            part_mib: d("part-mib"),
            ratio: d("ratio"),
            cells: d("cells"),
            strings: d("strings"),
            text_chars: d("text-chars"),
            depth: d("depth"),
            secs: d("secs"),
        }
    }
}

static CURRENT: RwLock<Option<InputLimits>> = RwLock::new(None);

impl InputLimits {
    /// The limits the readers use: those installed, else the defaults.
    pub fn current() -> InputLimits {
        CURRENT.read().ok().and_then(|g| g.clone()).unwrap_or_default()
    }

    /// The defaults of `lvyue serve`: uploads come from anyone who can reach the
    /// page, several at once, so `cells` and `strings` stay at 1,000,000 (a
    /// 90,000-row inventory of 11 columns; `--input-limit` raises them) and one
    /// upload cannot take gigabytes.
    pub fn for_server() -> InputLimits {
        InputLimits { cells: 1_000_000, strings: 1_000_000, ..InputLimits::default() }
    }

    /// Makes these the limits every reader uses from now on.
    pub fn install(self) {
        if let Ok(mut g) = CURRENT.write() {
            *g = Some(self);
        }
    }

    /// These limits with settings applied, as parsed by [`parse_setting`].
    pub fn with(mut self, settings: &[(String, u64)]) -> InputLimits {
        for (name, value) in settings {
            let v = *value;
            match name.as_str() {
                "file-mib" => self.file_mib = v,
                "part-mib" => self.part_mib = v,
                "ratio" => self.ratio = v,
                "cells" => self.cells = v,
                "strings" => self.strings = v,
                "text-chars" => self.text_chars = v,
                "depth" => self.depth = v,
                "secs" => self.secs = v,
                _ => {}
            }
        }
        self
    }

    pub(crate) fn file_bytes(&self) -> u64 {
        self.file_mib.saturating_mul(1 << 20)
    }

    pub(crate) fn part_bytes(&self) -> u64 {
        self.part_mib.saturating_mul(1 << 20)
    }

    pub fn time(&self) -> Duration {
        Duration::from_secs(self.secs)
    }
}

/// Limits given on the command line: (name, value) pairs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings(pub Vec<(String, u64)>);

/// Parses `NAME=VALUE` for `--input-limit` (several may be joined with commas:
/// `cells=2000000,secs=120`). Values are whole numbers from 1 to the setting's maximum.
pub fn parse_setting(s: &str) -> Result<Settings, String> {
    parse_pairs(s).map(Settings)
}

/// Each limit on a line: its name, what it bounds and its default.
fn described() -> String {
    SETTINGS.iter().map(|s| format!("  {:<11} {} (default {})", s.name, s.what, count(s.default))).collect::<Vec<_>>().join("\n")
}

fn parse_pairs(s: &str) -> Result<Vec<(String, u64)>, String> {
    let names = || SETTINGS.iter().map(|s| s.name).collect::<Vec<_>>().join(", ");
    s.split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|part| {
            let (name, value) = part.split_once('=').ok_or_else(|| format!("expected NAME=VALUE with NAME one of {}", names()))?;
            let name = name.trim();
            let setting = SETTINGS
                .iter()
                .find(|s| s.name == name)
                .ok_or_else(|| format!("unknown limit `{name}`; the limits are:\n{}", described()))?;
            let v: u64 = value.trim().replace('_', "").parse().map_err(|_| format!("{name}: `{}` is not a whole number", value.trim()))?;
            if v == 0 || v > setting.max {
                return Err(format!("{name} must be from 1 to {}", count(setting.max)));
            }
            Ok((name.to_string(), v))
        })
        .collect()
}

/// How to raise a limit, for messages: "raise it with --input-limit cells=N".
pub(crate) fn raise(name: &str) -> String {
    format!("raise it with --input-limit {name}=N")
}

/// A count with thousands separators: 1048576 → "1,048,576".
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// A byte size for messages: 1.1 GB as "1,100 MiB", small ones in bytes.
pub fn size(bytes: u64) -> String {
    if bytes >= 10 << 20 { format!("{} MiB", count(bytes >> 20)) } else { format!("{} bytes", count(bytes)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_parse_and_apply() {
        let s = parse_setting("cells=2000000,secs=5").unwrap();
        let l = InputLimits::default().with(&s.0);
        assert_eq!((l.cells, l.secs, l.ratio), (2_000_000, 5, 100));
        assert!(parse_setting("cells=0").unwrap_err().contains("from 1"));
        let e = parse_setting("cels=5").unwrap_err();
        assert!(e.contains("unknown limit") && e.contains("cells       cells in one sheet or request table (default 12,000,000)"), "{e}");
        assert!(parse_setting("secs=99999999999999999999").unwrap_err().contains("whole number"));
        assert!(parse_setting("secs=86401").is_err());
        assert_eq!(count(1_048_576), "1,048,576");
        assert_eq!(count(999), "999");
        assert_eq!(size(1_153_433_600), "1,100 MiB");
    }
}
