//! Released contract versions are frozen: the WIT text of each is pinned here.
//! A change is a new version in a new folder (see docs/contract.md), never an
//! edit of a released one.

use std::path::Path;

/// (folder under plugins/wit, SHA-256 of its compliance.wit)
const RELEASED: &[(&str, &str)] = &[
    ("lvyue-compliance-1.0.0", "74862e47adfcbc075f1e560d71fd61be048d71c09585127db3eb79adbfdcedbd"),
    ("lvyue-compliance-1.1.0", "258315e833b05e6716a364af866803c6d71eb381d61a4955d01749ed3ac76155"),
];

#[test]
fn released_contracts_are_frozen() {
    let wit = Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugins/wit");
    for (folder, digest) in RELEASED {
        let text = std::fs::read(wit.join(folder).join("compliance.wit")).unwrap();
        assert_eq!(
            &lvyue::bundle::digest::sha256_hex(&text),
            digest,
            "{folder} was released and must not change; add a new version instead"
        );
    }
    // Every contract folder is either released (pinned above) or the host's own version.
    for entry in std::fs::read_dir(&wit).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let host = format!("lvyue-compliance-{}", lvyue::contract::CONTRACT_VERSION);
        assert!(RELEASED.iter().any(|(f, _)| *f == name) || name == host, "{name}: pin it in RELEASED once released");
    }
}

#[test]
fn the_host_implements_the_newest_released_contract() {
    let newest =
        RELEASED.iter().map(|(f, _)| lvyue::contract::Version::parse(f.trim_start_matches("lvyue-compliance-")).unwrap()).max().unwrap();
    assert_eq!(newest, lvyue::contract::CONTRACT_VERSION);
}
