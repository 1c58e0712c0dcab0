//! The committed sample workbooks match the sample request they are made from.
//! Refresh them with `LVYUE_BLESS=1 cargo test -p lvyue --test samples`.

use std::path::Path;

use lvyue::host::{Host, HostOptions};

#[test]
fn sample_workbooks_are_up_to_date() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/samples");
    let host = Host::new(HostOptions::default()).unwrap();
    let (inventory, portfolio) = lvyue::samples::workbooks_for(&host, &dir.join("cn-ets-2024.toml")).unwrap();
    let bless = std::env::var_os("LVYUE_BLESS").is_some();
    for (name, bytes) in [("cn-ets-2024-inventory.xlsx", inventory), ("cn-ets-2024-portfolio.xlsx", portfolio)] {
        let path = dir.join(name);
        if bless {
            std::fs::write(&path, &bytes).unwrap();
        } else {
            let committed = std::fs::read(&path).unwrap_or_default();
            assert!(committed == bytes, "{} is stale: run `LVYUE_BLESS=1 cargo test -p lvyue --test samples`", path.display());
        }
    }
}
