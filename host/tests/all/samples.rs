//! The committed sample workbooks match the sample requests they are made from.
//! Refresh them with `LVYUE_BLESS=1 cargo test -p lvyue --test all samples::`.

use std::path::Path;

use lvyue::host::{Host, HostOptions};

#[test]
fn sample_workbooks_are_up_to_date() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/samples");
    let host = Host::new(HostOptions::default()).unwrap();
    let bless = std::env::var_os("LVYUE_BLESS").is_some();
    let samples = lvyue::samples::bundled().unwrap();
    assert!(!samples.is_empty());
    for (name, req) in &samples {
        for (file, bytes) in lvyue::samples::workbooks(&host, name, req).unwrap() {
            let path = dir.join(&file);
            if bless {
                std::fs::write(&path, &bytes).unwrap();
            } else {
                let committed = std::fs::read(&path).unwrap_or_default();
                assert!(committed == bytes, "{} is stale: run `LVYUE_BLESS=1 cargo test -p lvyue --test all samples::`", path.display());
            }
        }
    }
}
