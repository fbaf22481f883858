//! A platform manifest that floe.yaml names by reference
//! (`platform.manifest: oci://...`): pulled by digest through the same
//! registry, cache, credentials and signature policy as a product artifact,
//! its own signature checked, and handed to the loader with its digest
//! (which the product's input digest and the revision record carry).

use super::artifact::{self, Access, Fetched};
use super::{Notes, OpsError};
use crate::model::{Diagnostic, Environment, Inputs, RemoteManifest, SPEC_FILE};
use crate::oci::{ArtifactKind, ArtifactRef, OciError, PulledArtifact, RegistryOptions};
use std::path::Path;

/// The `oci://` reference floe.yaml in `dir` names as its platform
/// manifest, if it names one (a floe.yaml that does not parse is the
/// loader's to report).
pub fn named_reference(dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(dir.join(SPEC_FILE)).ok()?;
    let spec: serde_json::Value = serde_norway::from_str(&text).ok()?;
    spec.pointer("/platform/manifest")?
        .as_str()
        .filter(|m| m.starts_with("oci://"))
        .map(str::to_string)
}

/// A platform manifest fetched from a registry.
pub struct FetchedManifest {
    pub remote: RemoteManifest,
    /// How its signature was checked; `None` when only read, not checked.
    pub fetched: Option<Fetched>,
}

/// The loader's inputs: `image`, and the fetched manifest (if any).
pub fn inputs<'a>(image: Option<&'a str>, manifest: &'a Option<FetchedManifest>) -> Inputs<'a> {
    Inputs {
        image,
        manifest: manifest.as_ref().map(|m| &m.remote),
    }
}

impl FetchedManifest {
    /// Where it came from, pinned: what a revision records.
    pub fn pinned(&self) -> String {
        let reference = self.remote.reference.as_str();
        match ArtifactRef::parse(reference) {
            Ok(r) => r.with_digest(&self.remote.digest).to_string(),
            Err(_) => format!("{reference}@{}", self.remote.digest),
        }
    }

    /// What its signature check found.
    pub fn signature(&self) -> Option<String> {
        self.fetched.as_ref().map(|f| f.verification.summary())
    }

    /// Tells the user what was fetched, and how its signature was checked.
    pub fn note(&self, notes: &dyn Notes) {
        match &self.fetched {
            Some(fetched) => notes.fetched(fetched),
            None => {
                if let Ok(r) = ArtifactRef::parse(&self.remote.reference) {
                    notes.read_unverified(&r, &self.remote.digest);
                }
            }
        }
    }
}

/// For a deploy: fetched and verified against the policy of `env`, like a
/// product artifact (`enforce` refuses an unverified one, exit 6). `None`
/// when floe.yaml names a file.
pub async fn fetch_verified(
    dir: &Path,
    env: Environment,
    access: &Access,
) -> Result<Option<FetchedManifest>, OpsError> {
    let Some(text) = named_reference(dir) else {
        return Ok(None);
    };
    let reference = parse_named(&text)?;
    let fetched = artifact::fetch_platform_manifest(&reference, env, access).await?;
    Ok(Some(FetchedManifest {
        remote: remote_of(text, &fetched.pulled)?,
        fetched: Some(fetched),
    }))
}

/// For reading only (validate, render, history, status, ...): pulled by
/// digest, its signature not checked; nothing is deployed from it.
pub async fn fetch_unverified(
    dir: &Path,
    registry: &RegistryOptions,
) -> Result<Option<FetchedManifest>, OpsError> {
    let Some(text) = named_reference(dir) else {
        return Ok(None);
    };
    let reference = parse_named(&text)?;
    let pulled = artifact::pull(&reference, registry).await?;
    if pulled.manifest.kind() != ArtifactKind::PlatformManifest {
        return Err(OciError::NotAnArtifact {
            reference: reference.to_string(),
            message: format!(
                "it holds {}, not {}",
                pulled.manifest.kind().describe(),
                ArtifactKind::PlatformManifest.describe()
            ),
        }
        .into());
    }
    Ok(Some(FetchedManifest {
        remote: remote_of(text, &pulled)?,
        fetched: None,
    }))
}

/// floe.yaml's reference, or the problem with it where it is written.
fn parse_named(text: &str) -> Result<ArtifactRef, OpsError> {
    ArtifactRef::parse(text).map_err(|e| OpsError::Invalid {
        diagnostics: vec![Diagnostic::error(SPEC_FILE, "platform.manifest", e.to_string())
            .with_hint("name the platform manifest as oci://registry/repository:tag, or as a file relative to floe.yaml")],
    })
}

/// The manifest's text from its one layer in the cache.
fn remote_of(reference: String, pulled: &PulledArtifact) -> Result<RemoteManifest, OpsError> {
    let name = pulled.file_names().into_iter().next().unwrap_or_default();
    let path = pulled.dir.join(name);
    let text = std::fs::read_to_string(&path).map_err(|e| OciError::io(&path, e))?;
    Ok(RemoteManifest {
        reference,
        digest: pulled.digest.clone(),
        text,
    })
}
