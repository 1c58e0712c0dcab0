//! Bundles found but verified only when used. Starting the host reads each
//! bundle's `plugin.toml` (its id and jurisdictions, a few hundred bytes);
//! the expensive part of [`Bundle::verify`] — hashing the component and the
//! rules, checking the component's exported contract, parsing the rules and,
//! with trusted keys, the signature — runs the first time the bundle is
//! asked for, once per host. So `lvyue evaluate` of one jurisdiction verifies
//! one bundle, not all of them, and a broken bundle next to it does not slow
//! it down (it is still reported by `lvyue plugins`, which asks for all).

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use super::{Bundle, BundleError, Manifest, Origin};
use crate::builtin::BuiltinBundle;

/// Where a bundle's files come from.
#[derive(Clone)]
enum Source {
    Builtin(&'static BuiltinBundle),
    Dir {
        dir: PathBuf,
        trusted: Arc<[ed25519_dalek::VerifyingKey]>,
    },
    /// The folder could not even be named by its manifest: the error is known at once.
    Refused,
}

/// One bundle the host knows of, verified on first use (shared by the clones
/// of a host made for rules overrides: verification does not depend on them).
#[derive(Clone)]
pub(crate) struct Slot {
    id: String,
    jurisdictions: Vec<String>,
    source: Source,
    verified: Arc<OnceLock<Result<Bundle, BundleError>>>,
}

impl Slot {
    pub(crate) fn builtin(b: &'static BuiltinBundle) -> Slot {
        match toml::from_str::<Manifest>(b.manifest) {
            Ok(m) => Slot::named(&m, Source::Builtin(b)),
            // Cannot happen for a manifest host/build.rs wrote; report it as verification would.
            Err(_) => Slot::verified(Source::Builtin(b), super::verify_builtin(b)),
        }
    }

    pub(crate) fn dir(dir: PathBuf, trusted: Arc<[ed25519_dalek::VerifyingKey]>) -> Slot {
        let at = dir.display().to_string();
        let path = dir.join("plugin.toml");
        let manifest = std::fs::read_to_string(&path)
            .map_err(|e| BundleError::Unreadable { at: at.clone(), message: format!("{}: {e}", path.display()) })
            .and_then(|text| toml::from_str::<Manifest>(&text).map_err(|e| BundleError::BadManifest { at, message: e.to_string() }));
        match manifest {
            Ok(m) => Slot::named(&m, Source::Dir { dir, trusted }),
            Err(e) => Slot::verified(Source::Refused, Err(e)),
        }
    }

    fn named(m: &Manifest, source: Source) -> Slot {
        Slot { id: m.id.clone(), jurisdictions: m.jurisdictions.clone(), source, verified: Arc::new(OnceLock::new()) }
    }

    fn verified(source: Source, result: Result<Bundle, BundleError>) -> Slot {
        if let Err(e) = &result {
            tracing::warn!("{e}");
        }
        Slot { id: String::new(), jurisdictions: Vec::new(), source, verified: Arc::new(OnceLock::from(result)) }
    }

    /// Whether the manifest names this plugin id or jurisdiction.
    pub(crate) fn answers(&self, id_or_jurisdiction: &str) -> bool {
        !self.id.is_empty() && (self.id == id_or_jurisdiction || self.jurisdictions.iter().any(|j| j == id_or_jurisdiction))
    }

    pub(crate) fn is_builtin(&self) -> bool {
        matches!(self.source, Source::Builtin(_))
    }

    /// The verified bundle, or why it is refused (verified now if it was not yet).
    pub(crate) fn get(&self) -> &Result<Bundle, BundleError> {
        self.verified.get_or_init(|| {
            let result = match &self.source {
                Source::Builtin(b) => super::verify_builtin(b),
                Source::Dir { dir, trusted } => Bundle::load_dir_trusted(dir, trusted),
                Source::Refused => unreachable!("a refused slot is created verified"),
            };
            match &result {
                Ok(b) if !matches!(b.origin, Origin::BuiltIn) => tracing::debug!(plugin = %b.manifest.id, "bundle verified"),
                Ok(_) => {}
                Err(e) => tracing::warn!("{e}"),
            }
            result
        })
    }
}
