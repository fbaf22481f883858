//! Artifacts in an OCI registry: fetch one by digest and verify it against
//! the signature policy, check that a tag has not moved, and the `floe
//! artifact` use cases (push, pull, payload, verify).

use super::pack::Packed;
use super::OpsError;
use crate::model::Environment;
use crate::oci::{
    self, ArtifactKind, ArtifactManifest, ArtifactRef, Enforcement, OciError, Policy,
    PulledArtifact, Registry, RegistryOptions, Verification, VerifyResult,
};
use crate::plan::PlanSource;
use std::path::{Path, PathBuf};

/// How to reach a registry and which signature policy applies.
#[derive(Debug, Clone, Default)]
pub struct Access {
    pub registry: RegistryOptions,
    /// A policy file or a platform manifest; `None`: the environment's default.
    pub policy: Option<PathBuf>,
}

/// An artifact pulled by digest and checked against the policy.
pub struct Fetched {
    pub reference: ArtifactRef,
    pub pulled: PulledArtifact,
    pub verification: Verification,
    /// Where the policy that judged it came from.
    pub policy: String,
}

impl Fetched {
    /// What a plan records about the verified artifact it was made from.
    pub fn plan_source(&self) -> PlanSource {
        PlanSource {
            reference: self.reference.to_string(),
            digest: self.pulled.digest.clone(),
            signature: self.verification.summary(),
        }
    }
}

/// The policy that applies in `env`.
pub fn policy_for(access: &Access, env: Environment) -> Result<Policy, OpsError> {
    match &access.policy {
        Some(path) => Ok(Policy::load(path, env)?),
        None => Ok(Policy::default_for(env)),
    }
}

/// Pulls `reference` at `pinned` (a saved plan's digest) or at whatever its
/// tag points to now, after checking the signature against the manifest
/// (before any layer is downloaded). Under `enforce` a failed check refuses
/// the artifact; under `warn` it is returned with the failed verification,
/// for the caller to warn about.
pub async fn fetch(
    reference: &ArtifactRef,
    pinned: Option<&str>,
    env: Environment,
    access: &Access,
) -> Result<Fetched, OpsError> {
    fetch_kind(reference, pinned, env, access, &PRODUCT_KINDS).await
}

/// The kinds of artifact a product deploys from.
const PRODUCT_KINDS: [ArtifactKind; 2] = [ArtifactKind::Product, ArtifactKind::Compiled];

/// [`fetch`] for a platform manifest published on its own (floe.yaml's
/// `platform.manifest: oci://...`): the same registry, cache, credentials
/// and signature policy; its own signature is checked.
pub async fn fetch_platform_manifest(
    reference: &ArtifactRef,
    env: Environment,
    access: &Access,
) -> Result<Fetched, OpsError> {
    fetch_kind(
        reference,
        None,
        env,
        access,
        &[ArtifactKind::PlatformManifest],
    )
    .await
}

async fn fetch_kind(
    reference: &ArtifactRef,
    pinned: Option<&str>,
    env: Environment,
    access: &Access,
    kinds: &[ArtifactKind],
) -> Result<Fetched, OpsError> {
    let policy = policy_for(access, env)?;
    let registry = Registry::for_ref(reference, &access.registry)?;
    let (digest, manifest, verification) =
        resolve_and_verify(&registry, reference, pinned, &policy).await?;
    check_kind(reference, &manifest, kinds)?;
    if let (VerifyResult::Failed { reason }, Enforcement::Enforce) =
        (&verification.result, verification.enforcement)
    {
        return Err(OpsError::SignatureRefused {
            reference: reference.to_string(),
            digest,
            reason: reason.clone(),
            policy: policy.origin,
        });
    }
    let pulled = registry.unpack(reference, &digest, manifest).await?;
    Ok(Fetched {
        reference: reference.clone(),
        pulled,
        verification,
        policy: policy.origin,
    })
}

/// Refuses an artifact of another kind than asked for, before any layer
/// is downloaded.
fn check_kind(
    reference: &ArtifactRef,
    manifest: &ArtifactManifest,
    kinds: &[ArtifactKind],
) -> Result<(), OpsError> {
    let kind = manifest.kind();
    if kinds.contains(&kind) {
        return Ok(());
    }
    let wanted: Vec<&str> = kinds.iter().map(|k| k.describe()).collect();
    Err(OciError::NotAnArtifact {
        reference: reference.to_string(),
        message: format!("it holds {}, not {}", kind.describe(), wanted.join(" or ")),
    }
    .into())
}

/// The digest `reference` points at (or `pinned`), its manifest, and what
/// its signature check found; nothing is downloaded beyond the manifest.
async fn resolve_and_verify(
    registry: &Registry,
    reference: &ArtifactRef,
    pinned: Option<&str>,
    policy: &Policy,
) -> Result<(String, ArtifactManifest, Verification), OpsError> {
    let digest = match pinned {
        Some(d) => d.to_string(),
        None => registry.resolve(reference).await?,
    };
    let (manifest, _) = registry.manifest(reference, &digest).await?;
    let verification = oci::verify(registry, reference, &digest, &manifest, policy).await;
    Ok((digest, manifest, verification))
}

/// Refuses when `reference`'s tag no longer points at `digest`.
pub async fn check_tag(
    reference: &ArtifactRef,
    digest: &str,
    registry: &RegistryOptions,
) -> Result<(), OpsError> {
    let registry = Registry::for_ref(reference, registry)?;
    match registry.tag_moved(reference, digest).await? {
        None => Ok(()),
        Some(now) => Err(OpsError::TagMoved {
            reference: reference.to_string(),
            planned: digest.to_string(),
            now,
        }),
    }
}

/// What `floe artifact verify` found.
pub struct VerifyReport {
    pub reference: ArtifactRef,
    pub digest: String,
    pub environment: Environment,
    /// Where the policy came from.
    pub policy: String,
    pub verification: Verification,
}

impl VerifyReport {
    pub fn verified(&self) -> bool {
        matches!(self.verification.result, VerifyResult::Verified { .. })
    }
}

/// Checks `reference`'s signature against the policy of `env`, always
/// enforcing (whatever the deploy-time enforcement says).
pub async fn verify(
    reference: &ArtifactRef,
    env: Environment,
    access: &Access,
) -> Result<VerifyReport, OpsError> {
    let mut policy = policy_for(access, env)?;
    policy.enforcement = Enforcement::Enforce;
    let registry = Registry::for_ref(reference, &access.registry)?;
    let (digest, _, verification) = resolve_and_verify(&registry, reference, None, &policy).await?;
    Ok(VerifyReport {
        reference: reference.clone(),
        digest,
        environment: env,
        policy: policy.origin,
        verification,
    })
}

/// Pushes a packed artifact; returns the reference pinned to its digest.
pub async fn push(
    packed: &Packed,
    reference: &ArtifactRef,
    registry: &RegistryOptions,
) -> Result<ArtifactRef, OpsError> {
    let registry = Registry::for_ref(reference, registry)?;
    let digest = registry.push(reference, &packed.prepared).await?;
    Ok(reference.with_digest(&digest))
}

/// Pulls `reference` by digest into the cache, without verifying it.
pub async fn pull(
    reference: &ArtifactRef,
    registry: &RegistryOptions,
) -> Result<PulledArtifact, OpsError> {
    let registry = Registry::for_ref(reference, registry)?;
    Ok(registry.pull(reference).await?)
}

/// Copies a pulled artifact's files (the layers, by the names floe gave them).
pub fn copy_out(pulled: &PulledArtifact, to: &Path) -> Result<(), OpsError> {
    let failed = |source: std::io::Error, path: &Path| OpsError::WriteFile {
        path: path.to_path_buf(),
        source,
    };
    for name in pulled.file_names() {
        let target = to.join(&name);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| failed(e, parent))?;
        }
        std::fs::copy(pulled.dir.join(&name), &target).map_err(|e| failed(e, &target))?;
    }
    Ok(())
}
