// Digests of bundle contents. Shared with `host/build.rs` (by `include!`),
// so built-in and on-disk bundles are checked the same way.

use sha2::{Digest, Sha256};

/// SHA-256 of bytes, lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// SHA-256 over a set of rule files: for each file in name order, its name,
/// a NUL, its length in decimal, a NUL, then its bytes. Names are relative to
/// the bundle's rules folder, with `/` separators.
pub fn rules_digest(files: &[(String, Vec<u8>)]) -> String {
    let mut sorted: Vec<&(String, Vec<u8>)> = files.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut h = Sha256::new();
    for (name, bytes) in sorted {
        h.update(name.as_bytes());
        h.update([0u8]);
        h.update(bytes.len().to_string().as_bytes());
        h.update([0u8]);
        h.update(bytes);
    }
    hex::encode(h.finalize())
}
