//! Optional ed25519 signatures on bundles.
//!
//! `lvyue plugin keygen -o NAME` writes `NAME.key` (the secret seed, hex) and
//! `NAME.pub` (the public key, hex). `lvyue plugin pack --sign NAME.key` writes
//! `plugin.sig` next to `plugin.toml`: `ed25519 <public key hex> <signature hex>`
//! over the bytes of `plugin.toml`, which carries the digests of everything else.
//! A host given trusted keys (`--trust NAME.pub`, or `LVYUE_TRUSTED_KEYS`, a
//! `:`-separated list of files) loads only bundles signed by one of them.

use std::path::Path;

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};

pub(crate) const SIGNATURE_FILE: &str = "plugin.sig";

fn read_hex32(path: &Path) -> Result<[u8; 32], String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let bytes = hex::decode(text.trim()).map_err(|e| format!("{}: not hex: {e}", path.display()))?;
    bytes.try_into().map_err(|_| format!("{}: expected 32 bytes of hex", path.display()))
}

/// Writes a new key pair: `<stem>.key` and `<stem>.pub`.
pub fn keygen(stem: &Path) -> Result<(std::path::PathBuf, std::path::PathBuf), String> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| format!("no randomness for a key: {e}"))?;
    let key = SigningKey::from_bytes(&seed);
    let secret = stem.with_extension("key");
    let public = stem.with_extension("pub");
    if secret.exists() {
        return Err(format!("{} exists; not overwriting a key", secret.display()));
    }
    crate::atomic::write(&secret, format!("{}\n", hex::encode(seed)).as_bytes()).map_err(|e| format!("{}: {e}", secret.display()))?;
    crate::atomic::write(&public, format!("{}\n", hex::encode(key.verifying_key().to_bytes())).as_bytes())
        .map_err(|e| format!("{}: {e}", public.display()))?;
    Ok((secret, public))
}

/// The signature file's text for `message`, signed with the key in `key_file`.
pub fn sign(key_file: &Path, message: &[u8]) -> Result<String, String> {
    let key = SigningKey::from_bytes(&read_hex32(key_file)?);
    let sig = key.sign(message);
    Ok(format!("ed25519 {} {}\n", hex::encode(key.verifying_key().to_bytes()), hex::encode(sig.to_bytes())))
}

/// A public key from a `.pub` file.
pub fn read_public(path: &Path) -> Result<VerifyingKey, String> {
    VerifyingKey::from_bytes(&read_hex32(path)?).map_err(|e| format!("{}: not an ed25519 public key: {e}", path.display()))
}

/// Checks a signature file's text against `message` and the trusted keys.
pub(crate) fn verify(sig_text: &str, message: &[u8], trusted: &[VerifyingKey]) -> Result<(), String> {
    let parts: Vec<&str> = sig_text.split_whitespace().collect();
    let [alg, key_hex, sig_hex] = parts.as_slice() else { return Err("plugin.sig is not `ed25519 <key> <signature>`".into()) };
    if *alg != "ed25519" {
        return Err(format!("plugin.sig uses {alg}; only ed25519 is supported"));
    }
    let key_bytes: [u8; 32] = hex::decode(key_hex).ok().and_then(|b| b.try_into().ok()).ok_or("plugin.sig: bad public key")?;
    let key = VerifyingKey::from_bytes(&key_bytes).map_err(|e| format!("plugin.sig: {e}"))?;
    if !trusted.iter().any(|t| t.as_bytes() == key.as_bytes()) {
        return Err(format!("signed by key {}…, which is not among the trusted keys", &key_hex[..16.min(key_hex.len())]));
    }
    let sig_bytes: [u8; 64] = hex::decode(sig_hex).ok().and_then(|b| b.try_into().ok()).ok_or("plugin.sig: bad signature")?;
    key.verify(message, &Signature::from_bytes(&sig_bytes))
        .map_err(|_| "the signature does not match plugin.toml (changed after signing?)".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_and_verify() {
        let dir = tempfile::tempdir().unwrap();
        let (secret, public) = keygen(&dir.path().join("me")).unwrap();
        let sig = sign(&secret, b"manifest").unwrap();
        let key = read_public(&public).unwrap();
        verify(&sig, b"manifest", &[key]).unwrap();
        assert!(verify(&sig, b"manifest!", &[key]).unwrap_err().contains("does not match"));
        let (_, other) = keygen(&dir.path().join("other")).unwrap();
        assert!(verify(&sig, b"manifest", &[read_public(&other).unwrap()]).unwrap_err().contains("not among the trusted"));
        assert!(keygen(&dir.path().join("me")).is_err(), "never overwrites a key");
    }
}
