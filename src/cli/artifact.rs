//! `floe artifact push|pull|verify`, and fetching an `oci://` source for
//! plan, apply and deploy.

use super::{exit, ArtifactCommand, EnvArg, Failure, OciArgs, RegistryArgs, ReportFormat};
use crate::model::Environment;
use crate::oci::{
    self, ArtifactRef, Enforcement, OciError, Policy, PolicyError, PulledArtifact, Registry,
    RegistryOptions, Verification, VerifyResult,
};
use std::path::Path;

/// An artifact pulled by digest and checked against the policy.
pub(super) struct Fetched {
    pub reference: ArtifactRef,
    pub pulled: PulledArtifact,
    pub verification: Verification,
}

pub(super) fn run(command: ArtifactCommand) -> Result<i32, Failure> {
    match command {
        ArtifactCommand::Push {
            dir,
            reference,
            bundle,
            registry,
        } => push_cmd(&dir, &reference, bundle.as_deref(), &registry),
        ArtifactCommand::Pull {
            reference,
            to,
            registry,
        } => pull_cmd(&reference, to.as_deref(), &registry),
        ArtifactCommand::Payload { dir } => payload_cmd(&dir),
        ArtifactCommand::Verify {
            reference,
            env,
            format,
            oci,
        } => verify_cmd(&reference, env, format, &oci),
    }
}

pub(super) fn registry_options(registry: &RegistryArgs) -> RegistryOptions {
    RegistryOptions {
        plain_http: registry.plain_http,
        ca_file: registry.registry_ca.clone(),
        cache_dir: None,
    }
}

pub(super) fn parse_ref(text: &str) -> Result<ArtifactRef, Failure> {
    ArtifactRef::parse(text).map_err(|e| {
        Failure::new(exit::USAGE, e).hint("e.g. oci://registry.example.com/floe/orders:1.2.0")
    })
}

pub(super) fn oci_failure(err: OciError) -> Failure {
    let (code, hint) = match &err {
        OciError::BadReference { .. } => (exit::USAGE, None),
        OciError::Unauthorized { .. } => (
            exit::NETWORK,
            Some("set FLOE_REGISTRY_USERNAME and FLOE_REGISTRY_PASSWORD (or FLOE_REGISTRY_TOKEN), or log in with `docker login`"),
        ),
        OciError::Unreachable { .. } => (
            exit::NETWORK,
            Some("check the registry address; for a registry without TLS add --plain-http"),
        ),
        OciError::Registry { .. } => (exit::NETWORK, None),
        OciError::NotFound { .. } => (
            exit::NOT_FOUND,
            Some("check the repository and tag; `floe artifact push` publishes one"),
        ),
        OciError::NotAnArtifact { .. } => (
            exit::VALIDATION,
            Some("floe deploys artifacts pushed by `floe artifact push` or the floe platform"),
        ),
        OciError::DigestMismatch { .. } => (
            exit::SIGNATURE,
            Some("the registry's content changed after it was published; do not deploy it"),
        ),
        OciError::ImmutableTag { .. } => (
            exit::GENERAL,
            Some("publish a new version (bump metadata.version) or push a non-release tag"),
        ),
        OciError::Io { source, .. } => (
            match source.kind() {
                std::io::ErrorKind::NotFound => exit::NOT_FOUND,
                std::io::ErrorKind::PermissionDenied => exit::PERMISSION,
                _ => exit::GENERAL,
            },
            None,
        ),
        OciError::Product { .. } => (exit::VALIDATION, None),
        OciError::CredentialsOverPlainHttp { .. } => (
            exit::USAGE,
            Some("use TLS (drop --plain-http), or a registry on this machine"),
        ),
    };
    let failure = Failure::new(code, err);
    match hint {
        Some(h) => failure.hint(h),
        None => failure,
    }
}

fn policy_failure(err: PolicyError) -> Failure {
    let code = match &err {
        PolicyError::Read { source, .. } | PolicyError::Material { source, .. }
            if source.kind() == std::io::ErrorKind::NotFound =>
        {
            exit::NOT_FOUND
        }
        PolicyError::Read { source, .. } | PolicyError::Material { source, .. }
            if source.kind() == std::io::ErrorKind::PermissionDenied =>
        {
            exit::PERMISSION
        }
        _ => exit::VALIDATION,
    };
    Failure::new(code, err).hint("docs/oci-artifacts.md describes the signature policy file")
}

pub(super) fn policy_for(oci: &OciArgs, env: Environment) -> Result<Policy, Failure> {
    match &oci.policy {
        Some(path) => Policy::load(path, env).map_err(policy_failure),
        None => Ok(Policy::default_for(env)),
    }
}

/// Resolves the tag, pulls that digest, verifies it; refuses (exit 6) what
/// the policy does not accept, and warns loudly under `warn`.
pub(super) fn fetch(
    rt: &tokio::runtime::Runtime,
    reference: &str,
    env: Environment,
    oci: &OciArgs,
) -> Result<Fetched, Failure> {
    let reference = parse_ref(reference)?;
    fetch_at(rt, &reference, None, env, oci)
}

/// [`fetch`] of `reference` at `pinned` (a saved plan's digest), or at
/// whatever its tag points to now. The signature is checked against the
/// manifest before any layer is downloaded.
pub(super) fn fetch_at(
    rt: &tokio::runtime::Runtime,
    reference: &ArtifactRef,
    pinned: Option<&str>,
    env: Environment,
    oci: &OciArgs,
) -> Result<Fetched, Failure> {
    let policy = policy_for(oci, env)?;
    let registry =
        Registry::for_ref(reference, &registry_options(&oci.registry)).map_err(oci_failure)?;
    let (digest, manifest, verification) =
        resolve_and_verify(rt, &registry, reference, pinned, &policy)?;
    match (&verification.result, verification.enforcement) {
        (VerifyResult::Failed { reason }, Enforcement::Enforce) => {
            return Err(Failure::new(
                exit::SIGNATURE,
                anyhow::anyhow!("refusing {reference} ({digest}): {reason}"),
            )
            .hint(format!(
                "nothing was deployed; the policy is {}",
                policy.origin
            )))
        }
        (VerifyResult::Failed { reason }, _) => {
            eprintln!(
                "WARNING: =================================================================="
            );
            eprintln!("WARNING: the signature of {reference} was NOT verified: {reason}");
            eprintln!(
                "WARNING: deploying anyway because enforcement is warn ({})",
                policy.origin
            );
            eprintln!(
                "WARNING: =================================================================="
            );
        }
        _ => eprintln!("Signature: {}", verification.summary()),
    }
    let pulled = rt
        .block_on(registry.unpack(reference, &digest, manifest))
        .map_err(oci_failure)?;
    eprintln!(
        "Artifact {reference} is {digest}{}",
        if pulled.cached { " (cached)" } else { "" }
    );
    Ok(Fetched {
        reference: reference.clone(),
        pulled,
        verification,
    })
}

/// The digest `reference` points at (or `pinned`), its manifest, and what
/// its signature check found; nothing is downloaded beyond the manifest.
fn resolve_and_verify(
    rt: &tokio::runtime::Runtime,
    registry: &Registry,
    reference: &ArtifactRef,
    pinned: Option<&str>,
    policy: &Policy,
) -> Result<(String, oci::ArtifactManifest, Verification), Failure> {
    let digest = match pinned {
        Some(d) => d.to_string(),
        None => rt
            .block_on(registry.resolve(reference))
            .map_err(oci_failure)?,
    };
    let (manifest, _) = rt
        .block_on(registry.manifest(reference, &digest))
        .map_err(oci_failure)?;
    let verification = rt.block_on(oci::verify(registry, reference, &digest, &manifest, policy));
    Ok((digest, manifest, verification))
}

/// Refuses (exit 6) when `reference`'s tag no longer points at `digest`.
pub(super) fn check_tag(
    rt: &tokio::runtime::Runtime,
    reference: &ArtifactRef,
    digest: &str,
    oci: &OciArgs,
) -> Result<(), Failure> {
    let registry =
        Registry::for_ref(reference, &registry_options(&oci.registry)).map_err(oci_failure)?;
    match rt
        .block_on(registry.tag_moved(reference, digest))
        .map_err(oci_failure)?
    {
        None => Ok(()),
        Some(now) => Err(Failure::new(
            exit::SIGNATURE,
            anyhow::anyhow!(
                "{reference} moved from {digest} (planned and verified) to {now}; nothing was applied"
            ),
        )
        .hint("plan again to review and verify what the tag points at now")),
    }
}

fn payload_cmd(dir: &Path) -> Result<i32, Failure> {
    let (prepared, _, _) = prepare_product(dir, None)?;
    let payload = oci::signed_payload(&prepared.manifest.layer_triples());
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_all(&payload)
        .and_then(|_| out.flush())
        .map_err(|e| Failure::new(exit::GENERAL, e))?;
    Ok(exit::SUCCESS)
}

fn push_cmd(
    dir: &Path,
    reference: &str,
    bundle: Option<&Path>,
    registry_args: &RegistryArgs,
) -> Result<i32, Failure> {
    let reference = parse_ref(reference)?;
    let (prepared, name, version) = prepare_product(dir, bundle)?;
    let rt = super::commands::runtime()?;
    let registry =
        Registry::for_ref(&reference, &registry_options(registry_args)).map_err(oci_failure)?;
    let digest = rt
        .block_on(registry.push(&reference, &prepared))
        .map_err(oci_failure)?;
    eprintln!(
        "Pushed {name} {version} ({} layers) to {reference}",
        prepared.manifest.layers.len()
    );
    println!("{}", reference.with_digest(&digest));
    Ok(exit::SUCCESS)
}

/// The product packed as an artifact (validated for every environment),
/// with its name and version.
fn prepare_product(
    dir: &Path,
    bundle: Option<&Path>,
) -> Result<(oci::PreparedArtifact, String, String), Failure> {
    // An artifact is only worth publishing when it deploys everywhere.
    let product = super::commands::load_valid_everywhere(dir)?;
    let bundle_b64 = match bundle {
        Some(path) => {
            use base64::Engine;
            let bytes = std::fs::read(path).map_err(|e| {
                Failure::new(
                    exit::NOT_FOUND,
                    anyhow::Error::new(e).context(format!("cannot read {}", path.display())),
                )
            })?;
            Some(base64::engine::general_purpose::STANDARD.encode(bytes))
        }
        None => None,
    };
    let name = product.spec.metadata.name.clone();
    let version = product.spec.metadata.version.clone();
    let prepared = oci::prepare(
        dir,
        &name,
        &version,
        &product.manifest_file,
        bundle_b64.as_deref(),
    )
    .map_err(oci_failure)?;
    Ok((prepared, name, version))
}

fn pull_cmd(
    reference: &str,
    to: Option<&Path>,
    registry_args: &RegistryArgs,
) -> Result<i32, Failure> {
    let reference = parse_ref(reference)?;
    let rt = super::commands::runtime()?;
    let registry =
        Registry::for_ref(&reference, &registry_options(registry_args)).map_err(oci_failure)?;
    let pulled = rt
        .block_on(registry.pull(&reference))
        .map_err(oci_failure)?;
    let dir = match to {
        Some(to) => {
            copy_product(&pulled, to)?;
            to.to_path_buf()
        }
        None => pulled.dir.clone(),
    };
    eprintln!(
        "Pulled {reference} ({}){}",
        pulled.digest,
        if pulled.cached { " from the cache" } else { "" }
    );
    println!("{}\t{}", pulled.pinned(), dir.display());
    Ok(exit::SUCCESS)
}

/// Copies the artifact's files (the layers, by the names floe gave them).
fn copy_product(pulled: &PulledArtifact, to: &Path) -> Result<(), Failure> {
    let fail = |e: std::io::Error, p: &Path| {
        Failure::new(
            exit::GENERAL,
            anyhow::Error::new(e).context(format!("cannot write {}", p.display())),
        )
    };
    for name in pulled.file_names() {
        let target = to.join(&name);
        if let Some(p) = target.parent() {
            std::fs::create_dir_all(p).map_err(|e| fail(e, p))?;
        }
        std::fs::copy(pulled.dir.join(&name), &target).map_err(|e| fail(e, &target))?;
    }
    Ok(())
}

fn verify_cmd(
    reference: &str,
    env: EnvArg,
    format: ReportFormat,
    oci: &OciArgs,
) -> Result<i32, Failure> {
    let reference = parse_ref(reference)?;
    let env: Environment = env.into();
    let mut policy = policy_for(oci, env)?;
    // `verify` always checks, whatever the deploy-time enforcement.
    policy.enforcement = Enforcement::Enforce;
    let rt = super::commands::runtime()?;
    let registry =
        Registry::for_ref(&reference, &registry_options(&oci.registry)).map_err(oci_failure)?;
    let (digest, _, verification) = resolve_and_verify(&rt, &registry, &reference, None, &policy)?;
    let verified = matches!(verification.result, VerifyResult::Verified { .. });
    match format {
        ReportFormat::Json => {
            let mut value = serde_json::to_value(&verification).unwrap_or_default();
            value["reference"] = serde_json::Value::String(reference.to_string());
            value["policy"] = serde_json::Value::String(policy.origin.clone());
            println!("{value}");
        }
        ReportFormat::Text => {
            println!("artifact:  {reference}");
            println!("digest:    {digest}");
            println!("policy:    {} ({env})", policy.origin);
            match &verification.result {
                VerifyResult::Verified { method, signer } => {
                    println!("verified:  yes, {method}");
                    println!("signer:    {signer}");
                }
                VerifyResult::Failed { reason } => {
                    println!("verified:  NO");
                    println!("reason:    {reason}");
                }
                VerifyResult::NotChecked => println!("verified:  not checked"),
            }
        }
    }
    Ok(if verified {
        exit::SUCCESS
    } else {
        exit::SIGNATURE
    })
}

/// For commands that only need to know the product (history, status,
/// unlock, undo): an `oci://` source is pulled by digest, not verified —
/// nothing from it is deployed.
pub(super) fn local_product(
    args: &super::ProductArgs,
    registry_args: &RegistryArgs,
) -> Result<super::ProductArgs, Failure> {
    let Some(reference) = args.dir.to_str().filter(|d| d.starts_with("oci://")) else {
        return Ok(args.clone());
    };
    let reference = parse_ref(reference)?;
    let rt = super::commands::runtime()?;
    let registry =
        Registry::for_ref(&reference, &registry_options(registry_args)).map_err(oci_failure)?;
    let pulled = rt
        .block_on(registry.pull(&reference))
        .map_err(oci_failure)?;
    eprintln!(
        "Reading the product from {reference} ({}); its signature is not checked here, nothing is deployed from it",
        pulled.digest
    );
    Ok(super::ProductArgs {
        dir: pulled.dir,
        ..args.clone()
    })
}
