//! `rules/README.md` tells a reader which file holds a key: the first segment
//! of the key names the file, except the prefixes its table lists. This test
//! keeps the table and the files in step.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

#[test]
fn every_key_is_in_the_file_its_prefix_or_the_readme_names() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules");
    let readme = std::fs::read_to_string(root.join("README.md")).expect("rules/README.md");
    // | jurisdiction | file | `a.`, `b.` |
    let mut listed: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for line in readme.lines().filter(|l| l.starts_with("| ") && l.contains(".toml")) {
        let cols: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        let prefixes = cols[2].split(',').map(|p| p.trim().trim_matches('`').to_string()).filter(|p| !p.is_empty()).collect();
        listed.insert((cols[0].to_string(), cols[1].to_string()), prefixes);
    }
    let mut wrong = Vec::new();
    let mut used: BTreeSet<(String, String)> = BTreeSet::new();
    for dir in std::fs::read_dir(&root).unwrap().flatten().filter(|d| d.path().is_dir()) {
        let jurisdiction = dir.file_name().to_string_lossy().into_owned();
        for file in std::fs::read_dir(dir.path()).unwrap().flatten().filter(|f| f.path().extension().is_some_and(|e| e == "toml")) {
            let name = file.file_name().to_string_lossy().into_owned();
            let stem = name.trim_end_matches(".toml").replace('-', "_");
            let text = std::fs::read_to_string(file.path()).unwrap();
            let doc: toml::Table = text.parse().unwrap_or_else(|e| panic!("{}: {e}", file.path().display()));
            let extra = listed.get(&(jurisdiction.clone(), name.clone()));
            for p in doc.get("parameter").and_then(|p| p.as_array()).into_iter().flatten() {
                let key = p["key"].as_str().unwrap();
                let own = key.split('.').next() == Some(stem.as_str());
                let excepted = extra.is_some_and(|xs| xs.iter().any(|x| key.starts_with(x.as_str())));
                if excepted {
                    used.insert((jurisdiction.clone(), name.clone()));
                }
                if !own && !excepted {
                    wrong.push(format!("{jurisdiction}/{name}: {key}"));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "keys that neither start with their file's name nor are listed in rules/README.md:\n{}", wrong.join("\n"));
    let stale: Vec<_> = listed.keys().filter(|k| !used.contains(*k) && k.1 != "factors.toml").collect();
    assert!(stale.is_empty(), "rules/README.md lists files that hold no such keys: {stale:?}");
}
