//! Plugin bundles: `plugin.toml` + component + rules, checked before compiling.
//!
//! ```text
//! my-plugin/
//!   plugin.toml          manifest: id, version, contract range, jurisdictions, years,
//!                        legal sources, sha256 of the component and of the rules,
//!                        and the layouts of the user's tables it reads ([input])
//!   plugin.wasm          the component (wasm32-wasip2)
//!   rules/<jurisdiction>/*.toml
//! ```
//!
//! Built-in bundles are made by `host/build.rs` from `plugins/<name>/plugin.toml`,
//! the crate's component and `rules/<jurisdiction>/`, and embedded in the binary.
//!
//! Beside the bundle: [`digest`] (what the manifest's digests cover),
//! [`signing`] (optional ed25519 signatures) and [`cache`] (compiled
//! components on disk).

pub mod cache;
pub mod digest;
pub mod signing;
pub(crate) mod slot;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::bundle::digest::{rules_digest, sha256_hex};
use crate::contract::{self, CONTRACT_VERSION, Version};
use crate::rules::{RuleSet, RulesError};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub manifest_version: u32,
    pub id: String,
    pub version: String,
    /// Contract range, e.g. "^1.0.0": built against 1.0.0, runs on any 1.x host not older.
    pub contract: String,
    pub name: crate::rules::Bilingual,
    pub jurisdictions: Vec<String>,
    pub years: Vec<u16>,
    /// The plugin's logic holds after its last listed year too: a later year
    /// is evaluated when the rules give every parameter the plugin requires
    /// (a year they lack is refused naming the missing parameters, exit 6), so
    /// a new year's values need no plugin build.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub years_open_ended: bool,
    #[serde(default, rename = "crate", skip_serializing_if = "Option::is_none")]
    pub crate_name: Option<String>,
    #[serde(default)]
    pub legal_source: Vec<LegalSource>,
    pub component: ComponentRef,
    pub rules: RulesRef,
    /// Report templates (tera), optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub templates: Option<RulesRef>,
    /// Layouts of the user's own tables the host reads into the plugin's
    /// declared sheets (`[[input.layout]]`, `crate::input::layout`), optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<crate::input::layout::ManifestInput>,
}

impl Manifest {
    /// The layouts this plugin declares (none when the manifest has no `[input]`).
    pub fn layouts(&self) -> &[crate::input::layout::Layout] {
        self.input.as_ref().map(|i| i.layout.as_slice()).unwrap_or_default()
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LegalSource {
    pub id: String,
    pub title: String,
    pub reference: String,
    #[serde(default)]
    pub confidence: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ComponentRef {
    pub file: String,
    #[serde(default)]
    pub sha256: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RulesRef {
    pub dir: String,
    #[serde(default)]
    pub sha256: String,
}

/// Why a bundle was refused. Each names the bundle and says what to do.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("{at}: cannot read: {message}")]
    Unreadable { at: String, message: String },
    #[error("{at}: plugin.toml is invalid: {message}")]
    BadManifest { at: String, message: String },
    #[error("plugin {id} ({at}) needs contract {wanted}; this lvyue implements lvyue:compliance@{host}. {advice}")]
    ContractRange { id: String, at: String, wanted: String, host: Version, advice: &'static str },
    #[error(
        "plugin {id} ({at}): {what} digest mismatch: plugin.toml says {expected}, the files give {actual}. The bundle was changed after it was packed; repack it or restore the files"
    )]
    DigestMismatch { id: String, at: String, what: &'static str, expected: String, actual: String },
    #[error("plugin {id} ({at}): the component {0}", .source)]
    Contract { id: String, at: String, source: contract::ContractError },
    #[error("plugin {id} ({at}): plugin.toml says contract {manifest}, the component exports {component}; repack the bundle")]
    ContractDisagrees { id: String, at: String, manifest: String, component: Version },
    #[error("plugin {id} ({at}): {0}", .source)]
    Rules { id: String, at: String, source: Box<RulesError> },
    #[error(
        "plugin {id} ({at}) is refused: {reason}. Only bundles signed by a trusted key load while keys are trusted (--trust, LVYUE_TRUSTED_KEYS)"
    )]
    Signature { id: String, at: String, reason: String },
}

/// Where a bundle came from.
#[derive(Debug, Clone)]
pub enum Origin {
    BuiltIn,
    Path(PathBuf),
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::BuiltIn => write!(f, "built-in"),
            Origin::Path(p) => write!(f, "{}", p.display()),
        }
    }
}

/// A verified bundle, ready to compile.
#[derive(Debug, Clone)]
pub struct Bundle {
    pub manifest: Manifest,
    pub component: Arc<[u8]>,
    /// Rule sets by jurisdiction.
    pub rules: Vec<RuleSet>,
    /// Report templates: (file name, text).
    pub templates: Vec<(String, String)>,
    pub contract: Version,
    pub origin: Origin,
}

impl Bundle {
    pub fn component_sha256(&self) -> &str {
        &self.manifest.component.sha256
    }

    pub(crate) fn rules_for(&self, jurisdiction: &str) -> Option<&RuleSet> {
        self.rules.iter().find(|r| r.jurisdiction == jurisdiction)
    }

    /// Verifies and assembles a bundle from its parts: the contract range
    /// first, then digests, then the component's own exported contract.
    pub(crate) fn verify(
        manifest_text: &str,
        component: Arc<[u8]>,
        rule_files: Vec<(String, Vec<u8>)>,
        template_files: Vec<(String, Vec<u8>)>,
        origin: Origin,
    ) -> Result<Bundle, BundleError> {
        let at = origin.to_string();
        let manifest: Manifest =
            toml::from_str(manifest_text).map_err(|e| BundleError::BadManifest { at: at.clone(), message: e.to_string() })?;
        let id = manifest.id.clone();
        if let Some(input) = &manifest.input {
            crate::input::layout::validate(input).map_err(|message| BundleError::BadManifest { at: at.clone(), message })?;
        }
        if manifest.manifest_version != 1 {
            return Err(BundleError::BadManifest {
                at,
                message: format!("manifest_version {} is not supported (this lvyue reads 1)", manifest.manifest_version),
            });
        }
        let wanted = parse_range(&manifest.contract).ok_or_else(|| BundleError::BadManifest {
            at: at.clone(),
            message: format!("contract `{}` is not a version range like \"^1.0.0\"", manifest.contract),
        })?;
        if !wanted.runs_on(CONTRACT_VERSION) {
            let advice = if wanted > CONTRACT_VERSION {
                "Upgrade lvyue, or use a plugin release built for this contract."
            } else {
                "Rebuild the plugin with the current SDK."
            };
            return Err(BundleError::ContractRange { id, at, wanted: manifest.contract.clone(), host: CONTRACT_VERSION, advice });
        }
        let actual = sha256_hex(&component);
        if manifest.component.sha256.is_empty() || !actual.eq_ignore_ascii_case(&manifest.component.sha256) {
            return Err(BundleError::DigestMismatch {
                id,
                at,
                what: "component",
                expected: or_missing(&manifest.component.sha256),
                actual,
            });
        }
        let actual = rules_digest(&rule_files);
        if manifest.rules.sha256.is_empty() || !actual.eq_ignore_ascii_case(&manifest.rules.sha256) {
            return Err(BundleError::DigestMismatch { id, at, what: "rules", expected: or_missing(&manifest.rules.sha256), actual });
        }
        match &manifest.templates {
            Some(t) => {
                let actual = rules_digest(&template_files);
                if !actual.eq_ignore_ascii_case(&t.sha256) {
                    return Err(BundleError::DigestMismatch { id, at, what: "templates", expected: or_missing(&t.sha256), actual });
                }
            }
            None if !template_files.is_empty() => {
                return Err(BundleError::BadManifest {
                    at,
                    message: "the bundle has report templates but plugin.toml has no [templates] digest".into(),
                });
            }
            None => {}
        }
        let templates = template_files.into_iter().map(|(n, b)| (n, String::from_utf8_lossy(&b).into_owned())).collect();
        let exported =
            contract::check_component(&component).map_err(|source| BundleError::Contract { id: id.clone(), at: at.clone(), source })?;
        if exported.major != wanted.major || exported > wanted {
            return Err(BundleError::ContractDisagrees { id, at, manifest: manifest.contract.clone(), component: exported });
        }
        let mut rules = Vec::new();
        for j in &manifest.jurisdictions {
            let prefix = format!("{j}/");
            let files: Vec<(String, String)> = rule_files
                .iter()
                .filter(|(name, _)| name.starts_with(&prefix))
                .map(|(name, bytes)| (format!("rules/{name}"), String::from_utf8_lossy(bytes).into_owned()))
                .collect();
            let set = RuleSet::from_sources(j, &files).map_err(|source| BundleError::Rules {
                id: id.clone(),
                at: at.clone(),
                source: Box::new(source),
            })?;
            rules.push(set);
        }
        Ok(Bundle { manifest, component, rules, templates, contract: exported, origin })
    }

    /// Reads and verifies a bundle folder, and, when keys are trusted, its signature.
    pub(crate) fn load_dir_trusted(dir: &Path, trusted: &[ed25519_dalek::VerifyingKey]) -> Result<Bundle, BundleError> {
        let bundle = Bundle::load_dir(dir)?;
        if !trusted.is_empty() {
            let id = bundle.manifest.id.clone();
            let at = dir.display().to_string();
            let manifest =
                std::fs::read(dir.join("plugin.toml")).map_err(|e| BundleError::Unreadable { at: at.clone(), message: e.to_string() })?;
            let sig = std::fs::read_to_string(dir.join(crate::bundle::signing::SIGNATURE_FILE)).map_err(|_| BundleError::Signature {
                id: id.clone(),
                at: at.clone(),
                reason: "it has no plugin.sig".into(),
            })?;
            crate::bundle::signing::verify(&sig, &manifest, trusted).map_err(|reason| BundleError::Signature { id, at, reason })?;
        }
        Ok(bundle)
    }

    /// Reads and verifies a bundle folder.
    pub fn load_dir(dir: &Path) -> Result<Bundle, BundleError> {
        let at = dir.display().to_string();
        let unreadable =
            |what: &Path, e: std::io::Error| BundleError::Unreadable { at: at.clone(), message: format!("{}: {e}", what.display()) };
        let manifest_path = dir.join("plugin.toml");
        let manifest_text = std::fs::read_to_string(&manifest_path).map_err(|e| unreadable(&manifest_path, e))?;
        let manifest: Manifest =
            toml::from_str(&manifest_text).map_err(|e| BundleError::BadManifest { at: at.clone(), message: e.to_string() })?;
        // Refuse an incompatible contract before reading (let alone compiling) the component.
        if let Some(wanted) = parse_range(&manifest.contract)
            && !wanted.runs_on(CONTRACT_VERSION)
        {
            return Bundle::verify(&manifest_text, Arc::from(Vec::new()), Vec::new(), Vec::new(), Origin::Path(dir.to_path_buf()));
        }
        let wasm_path = dir.join(&manifest.component.file);
        let component = std::fs::read(&wasm_path).map_err(|e| unreadable(&wasm_path, e))?;
        let rules_dir = dir.join(&manifest.rules.dir);
        let rule_files = read_rules_tree(&rules_dir).map_err(|e| unreadable(&rules_dir, e))?;
        let template_files = match &manifest.templates {
            Some(t) => read_flat(&dir.join(&t.dir), "tera").map_err(|e| unreadable(&dir.join(&t.dir), e))?,
            None => Vec::new(),
        };
        Bundle::verify(&manifest_text, Arc::from(component), rule_files, template_files, Origin::Path(dir.to_path_buf()))
    }
}

fn or_missing(s: &str) -> String {
    if s.is_empty() { "nothing".into() } else { s.to_string() }
}

/// Parses "^1.0.0" or "1.0.0" (both caret ranges).
pub(crate) fn parse_range(text: &str) -> Option<Version> {
    Version::parse(text.trim().trim_start_matches('^'))
}

/// Reads `<rules>/<jurisdiction>/*.toml` as (relative name, bytes).
pub(crate) fn read_rules_tree(dir: &Path) -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let mut out = Vec::new();
    for j in std::fs::read_dir(dir)? {
        let j = j?;
        if !j.file_type()?.is_dir() {
            continue;
        }
        for f in std::fs::read_dir(j.path())? {
            let f = f?;
            let p = f.path();
            if p.extension().is_some_and(|x| x == "toml") {
                let name = format!("{}/{}", j.file_name().to_string_lossy(), f.file_name().to_string_lossy());
                out.push((name, std::fs::read(&p)?));
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// Reads `dir/*.<ext>` as (file name, bytes), sorted.
pub(crate) fn read_flat(dir: &Path, ext: &str) -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let mut out = Vec::new();
    for f in std::fs::read_dir(dir)? {
        let p = f?.path();
        if p.is_file() && p.extension().is_some_and(|x| x == ext) {
            out.push((p.file_name().unwrap_or_default().to_string_lossy().into_owned(), std::fs::read(&p)?));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// Verifies one built-in bundle.
pub(crate) fn verify_builtin(b: &crate::builtin::BuiltinBundle) -> Result<Bundle, BundleError> {
    let rules = b.rules.iter().map(|(n, t)| (n.to_string(), t.as_bytes().to_vec())).collect();
    let templates = b.templates.iter().map(|(n, t)| (n.to_string(), t.as_bytes().to_vec())).collect();
    Bundle::verify(b.manifest, Arc::from(b.component), rules, templates, Origin::BuiltIn)
}

/// Writes a bundle folder (used by tests and by packing).
pub fn write_bundle(dir: &Path, manifest: &Manifest, component: &[u8], rule_files: &[(String, Vec<u8>)]) -> std::io::Result<()> {
    write_bundle_with_templates(dir, manifest, component, rule_files, &[])
}

/// Writes a bundle folder with report templates.
pub(crate) fn write_bundle_with_templates(
    dir: &Path,
    manifest: &Manifest,
    component: &[u8],
    rule_files: &[(String, Vec<u8>)],
    templates: &[(String, Vec<u8>)],
) -> std::io::Result<()> {
    if let Some(t) = &manifest.templates {
        std::fs::create_dir_all(dir.join(&t.dir))?;
        for (name, bytes) in templates {
            std::fs::write(dir.join(&t.dir).join(name), bytes)?;
        }
    }
    std::fs::create_dir_all(dir.join(&manifest.rules.dir))?;
    std::fs::write(dir.join(&manifest.component.file), component)?;
    for (name, bytes) in rule_files {
        let p = dir.join(&manifest.rules.dir).join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(p, bytes)?;
    }
    let text = toml::to_string(manifest).map_err(std::io::Error::other)?;
    std::fs::write(dir.join("plugin.toml"), text)
}
