//! The plugin contract: host bindings for the `lvyue:compliance` WIT package
//! and the version check made on a component's bytes before it is compiled.
//!
//! One module per released contract version (`since_v1_0` for
//! `plugins/wit/lvyue-compliance-1.0.0/`, `since_v1_1` for 1.1.0), as Zed's
//! `wasm_host/wit/since_v*.rs`: each holds its generated bindings and the
//! conversions at its edge. The host's own types are 1.0's (1.1 adds to 1.0
//! and changes nothing in it); 1.1's packed forms are the `lvyue-columns`
//! crate's (`plugins/columns`), shared with the plugin SDK.

use std::fmt;

mod since_v1_0;
pub mod since_v1_1;

pub use self::since_v1_0::*;

/// The WIT package name of the contract.
pub const CONTRACT_PACKAGE: &str = "lvyue:compliance";
/// The interface a plugin exports.
pub const CONTRACT_INTERFACE: &str = "plugin";
/// The newest contract version this host implements.
pub const CONTRACT_VERSION: Version = Version { major: 1, minor: 1, patch: 0 };
/// Contract 1.1.0: the first with tables as columns (`evaluate-columns`).
pub const V1_1: Version = Version { major: 1, minor: 1, patch: 0 };

/// A semantic version `major.minor.patch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
}

impl Version {
    pub fn parse(text: &str) -> Option<Version> {
        let mut parts = text.trim().split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next()?.parse().ok()?;
        let patch = parts.next()?.split(['-', '+']).next()?.parse().ok()?;
        if parts.next().is_some() {
            return None;
        }
        Some(Version { major, minor, patch })
    }

    /// Whether a plugin built against `self` runs on a host implementing `host`:
    /// same major, and not newer than the host.
    pub fn runs_on(self, host: Version) -> bool {
        self.major == host.major && (self.minor, self.patch) <= (host.minor, host.patch)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// Why a component's bytes were refused before compiling.
#[derive(Debug, thiserror::Error)]
pub enum ContractError {
    #[error("not a WebAssembly component ({0}); plugins are built with `cargo build --target wasm32-wasip2`")]
    NotAComponent(String),
    #[error("exports no `{CONTRACT_PACKAGE}/{CONTRACT_INTERFACE}@<version>` interface (it exports: {0})")]
    NoContractExport(String),
    #[error(
        "built against contract {CONTRACT_PACKAGE}@{found}; this lvyue implements {CONTRACT_PACKAGE}@{host} and runs plugins built for {major}.0.0 up to {host}. {advice}",
        major = host.major,
        advice = if found.major > host.major || (found.major == host.major && found > host) {
            "Upgrade lvyue, or use a plugin release built for this contract."
        } else {
            "Rebuild the plugin against the current SDK."
        }
    )]
    Incompatible { found: Version, host: Version },
}

/// Reads the contract version a component exports, without compiling it.
pub fn exported_contract_version(bytes: &[u8]) -> Result<Version, ContractError> {
    use wasmparser::{Encoding, Parser, Payload};
    let prefix = format!("{CONTRACT_PACKAGE}/{CONTRACT_INTERFACE}@");
    let mut names = Vec::new();
    let mut depth = 0usize;
    for payload in Parser::new(0).parse_all(bytes) {
        let payload = payload.map_err(|e| ContractError::NotAComponent(e.to_string()))?;
        match payload {
            Payload::Version { encoding, .. } => {
                if depth == 0 && encoding != Encoding::Component {
                    return Err(ContractError::NotAComponent("a core module".into()));
                }
                depth += 1;
            }
            Payload::End(_) => depth = depth.saturating_sub(1),
            // Only the outermost component's exports are the plugin's interface.
            Payload::ComponentExportSection(reader) if depth == 1 => {
                for export in reader {
                    let export = export.map_err(|e| ContractError::NotAComponent(e.to_string()))?;
                    names.push(export.name.name.to_string());
                }
            }
            _ => {}
        }
    }
    let found = names.iter().find_map(|n| n.strip_prefix(&prefix));
    match found {
        Some(v) => Version::parse(v).ok_or_else(|| ContractError::NoContractExport(names.join(", "))),
        None => Err(ContractError::NoContractExport(if names.is_empty() { "nothing".into() } else { names.join(", ") })),
    }
}

/// Checks a component's exported contract against this host.
pub fn check_component(bytes: &[u8]) -> Result<Version, ContractError> {
    let found = exported_contract_version(bytes)?;
    if found.runs_on(CONTRACT_VERSION) { Ok(found) } else { Err(ContractError::Incompatible { found, host: CONTRACT_VERSION }) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_compatibility() {
        let host = Version { major: 1, minor: 2, patch: 0 };
        assert!(Version::parse("1.0.0").unwrap().runs_on(host));
        assert!(Version::parse("1.2.0").unwrap().runs_on(host));
        assert!(!Version::parse("1.3.0").unwrap().runs_on(host));
        assert!(!Version::parse("2.0.0").unwrap().runs_on(host));
        assert!(!Version::parse("0.9.0").unwrap().runs_on(host));
        assert!(Version::parse("1.0").is_none());
    }

    #[test]
    fn core_modules_and_garbage_are_refused() {
        assert!(matches!(exported_contract_version(b"not wasm"), Err(ContractError::NotAComponent(_))));
        // An empty core module.
        let core = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
        assert!(matches!(exported_contract_version(&core), Err(ContractError::NotAComponent(_))));
    }
}
