//! Runs every jurisdiction's test cases (rules/<jurisdiction>/cases/*.toml)
//! against the built-in plugins.

use std::path::Path;

use lvyue::host::{Host, HostOptions};

#[test]
fn jurisdiction_cases_as_data() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules");
    let files = lvyue::rules::cases::case_files(&root);
    assert!(!files.is_empty(), "no case files under {}", root.display());
    let host = Host::new(HostOptions::default()).expect("host");
    let (mut passed, mut failed) = (0, 0);
    for (jurisdiction, file) in &files {
        let results = lvyue::rules::cases::run_file(&host, jurisdiction, file).unwrap_or_else(|e| panic!("{e}"));
        for r in results {
            if r.failures.is_empty() {
                passed += 1;
            } else {
                failed += 1;
                eprintln!("FAIL {} — {}", r.file.display(), r.name);
                for f in &r.failures {
                    eprintln!("     {f}");
                }
            }
        }
    }
    eprintln!("cases: {passed} passed, {failed} failed");
    assert_eq!(failed, 0, "{failed} case(s) failed");
    assert!(passed >= 20, "expected the cn-ets cases to be found, ran {passed}");
}
