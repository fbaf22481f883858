//! Where a product comes from: a directory as given, or an `oci://`
//! artifact pulled by digest into the cache.

use super::artifact::{self, Access, Fetched};
use super::prepare::load_valid;
use super::{connect, platform_manifest, ClusterTarget, Notes, OpsError};
use crate::cluster::Cluster;
use crate::model::{Environment, Product};
use crate::oci::{ArtifactRef, RegistryOptions};
use std::path::{Path, PathBuf};

/// The text of an `oci://` reference, if `source` is one.
pub fn artifact_reference(source: &Path) -> Option<&str> {
    source.to_str().filter(|s| s.starts_with("oci://"))
}

/// A product to deploy: its directory, and the verified artifact it was
/// pulled from.
pub struct Source {
    pub dir: PathBuf,
    pub fetched: Option<Fetched>,
}

/// A directory as given, or an artifact pulled by digest and verified
/// against the policy of `env`. An artifact deploys exactly what was
/// published, so `image` is refused for one that carries its deployment
/// settings (the platform's compiled output alone names no image).
pub async fn resolve(
    source: &Path,
    env: Environment,
    image: Option<&str>,
    access: &Access,
    notes: &dyn Notes,
) -> Result<Source, OpsError> {
    let Some(text) = artifact_reference(source) else {
        return Ok(Source {
            dir: source.to_path_buf(),
            fetched: None,
        });
    };
    let reference = ArtifactRef::parse(text)?;
    let fetched = artifact::fetch(&reference, None, env, access).await?;
    notes.fetched(&fetched);
    if image.is_some() && fetched.pulled.manifest.has_settings() {
        return Err(OpsError::ImageWithArtifact {
            reference: text.to_string(),
        });
    }
    Ok(Source {
        dir: fetched.pulled.dir.clone(),
        fetched: Some(fetched),
    })
}

/// A product only read, never deployed (history, status, undo, unlock): an
/// artifact is pulled by digest without checking its signature.
pub struct ReadOnlySource {
    pub dir: PathBuf,
    /// The artifact as referenced, and the digest pulled.
    pub pulled_from: Option<(ArtifactRef, String)>,
}

/// What a read-only use case (history, status, undo, unlock) reads: the
/// product, and the cluster to look at.
pub struct ReadOnlyRequest {
    /// A product directory, or an `oci://` reference.
    pub source: PathBuf,
    pub environment: Environment,
    pub image: Option<String>,
    pub registry: RegistryOptions,
    pub cluster: ClusterTarget,
}

/// The product of a read-only use case, validated, and the cluster: an
/// artifact is pulled by digest without checking its signature (nothing is
/// deployed from it; `notes` says so).
pub async fn open_read_only(
    request: &ReadOnlyRequest,
    notes: &dyn Notes,
) -> Result<(Product, Cluster), OpsError> {
    let source = resolve_read_only(&request.source, &request.registry).await?;
    if let Some((reference, digest)) = &source.pulled_from {
        notes.read_unverified(reference, digest);
    }
    let manifest = platform_manifest::fetch_unverified(&source.dir, &request.registry).await?;
    if let Some(m) = &manifest {
        m.note(notes);
    }
    let inputs = platform_manifest::inputs(request.image.as_deref(), &manifest);
    let (product, warnings) = load_valid(&source.dir, request.environment, &inputs)?;
    notes.warnings(&warnings);
    Ok((product, connect(&request.cluster).await?))
}

/// See [`ReadOnlySource`].
pub async fn resolve_read_only(
    source: &Path,
    registry: &RegistryOptions,
) -> Result<ReadOnlySource, OpsError> {
    let Some(text) = artifact_reference(source) else {
        return Ok(ReadOnlySource {
            dir: source.to_path_buf(),
            pulled_from: None,
        });
    };
    let reference = ArtifactRef::parse(text)?;
    let pulled = artifact::pull(&reference, registry).await?;
    Ok(ReadOnlySource {
        pulled_from: Some((reference, pulled.digest)),
        dir: pulled.dir,
    })
}
