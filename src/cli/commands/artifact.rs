//! `floe artifact push|pull|payload|verify`.

use crate::cli::args::{EnvArg, OciArgs, RegistryArgs, ReportFormat};
use crate::cli::failure::{exit, Failure};
use crate::cli::output;
use crate::cli::runtime::runtime;
use crate::cli::terminal::{note, write_bytes, write_stdout};
use crate::oci::ArtifactRef;
use crate::ops::{artifact, pack};
use clap::Subcommand;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum ArtifactCommand {
    /// Publish one OCI artifact (release tags are immutable): a product
    /// directory, the floe platform's compiled output (--compiled), or a
    /// platform manifest on its own (--platform-manifest).
    Push {
        /// The product directory holding floe.yaml (not with --compiled or
        /// --platform-manifest), then where to push: oci://registry/repository:tag
        #[arg(value_name = "[DIR] REFERENCE", num_args = 1..=2, required = true)]
        args: Vec<String>,
        /// Publish this compiled_artifacts.json (CompiledArtifacts, as the
        /// platform's compile step writes it) instead of a directory.
        #[arg(long, value_name = "FILE", conflicts_with = "platform_manifest")]
        compiled: Option<PathBuf>,
        /// With --compiled: a floe-deploy.yaml to publish with it (without
        /// one, the deploy gives the image with --image).
        #[arg(long, value_name = "FILE", requires = "compiled")]
        settings: Option<PathBuf>,
        /// Publish this platform manifest on its own, for products whose
        /// floe.yaml names it as `platform.manifest: oci://...`.
        #[arg(long, value_name = "FILE")]
        platform_manifest: Option<PathBuf>,
        /// A Sigstore bundle (JSON file) to carry in the dev.floe.signature.bundle annotation.
        #[arg(long, value_name = "FILE")]
        bundle: Option<PathBuf>,
        #[command(flatten)]
        registry: RegistryArgs,
    },
    /// Print the bytes a Sigstore bundle must sign for this product's artifact
    /// (its layer list), e.g. for `cosign sign-blob --bundle`, then push with --bundle.
    Payload {
        /// Product directory holding floe.yaml.
        dir: PathBuf,
        /// For a platform manifest floe.yaml names by oci:// reference.
        #[command(flatten)]
        registry: RegistryArgs,
    },
    /// Fetch an artifact by digest into the local cache (and optionally copy it out).
    Pull {
        /// oci://registry/repository:tag or ...@sha256:...
        reference: String,
        /// Also copy the product files into this directory.
        #[arg(long, value_name = "DIR")]
        to: Option<PathBuf>,
        #[command(flatten)]
        registry: RegistryArgs,
    },
    /// Check an artifact's signature against the policy; exit 0 when verified, 6 when not.
    Verify {
        reference: String,
        /// Environment whose policy applies.
        #[arg(long, short = 'e', value_enum, env = "FLOE_ENV")]
        env: EnvArg,
        #[arg(long, value_enum, default_value = "text")]
        format: ReportFormat,
        #[command(flatten)]
        oci: OciArgs,
    },
}

pub fn run(command: ArtifactCommand) -> Result<i32, Failure> {
    match command {
        ArtifactCommand::Push {
            args,
            compiled,
            settings,
            platform_manifest,
            bundle,
            registry,
        } => {
            let what = match (compiled, platform_manifest, args.as_slice()) {
                (Some(file), None, [reference]) => (Publish::Compiled { file, settings }, reference),
                (None, Some(file), [reference]) => (Publish::PlatformManifest(file), reference),
                (None, None, [dir, reference]) => (Publish::Directory(dir.into()), reference),
                _ => return Err(Failure::new(exit::USAGE, anyhow::anyhow!("push takes a product directory and a reference, or with --compiled or --platform-manifest only the reference"))
                    .hint("floe artifact push DIR oci://registry/repo:1.0.0, or floe artifact push --compiled compiled_artifacts.json oci://registry/repo:1.0.0")),
            };
            push(what.0, what.1, bundle, &registry)
        }
        ArtifactCommand::Payload { dir, registry } => payload(dir, &registry),
        ArtifactCommand::Pull {
            reference,
            to,
            registry,
        } => pull(&reference, to, &registry),
        ArtifactCommand::Verify {
            reference,
            env,
            format,
            oci,
        } => verify(&reference, env, format, &oci),
    }
}

fn parse(reference: &str) -> Result<ArtifactRef, Failure> {
    Ok(ArtifactRef::parse(reference).map_err(crate::ops::OpsError::from)?)
}

/// What `floe artifact push` publishes.
enum Publish {
    Directory(PathBuf),
    Compiled {
        file: PathBuf,
        settings: Option<PathBuf>,
    },
    PlatformManifest(PathBuf),
}

fn pack(
    what: &Publish,
    bundle: Option<&std::path::Path>,
    registry: &RegistryArgs,
) -> Result<pack::Packed, Failure> {
    let packed = match what {
        Publish::Directory(dir) => {
            // A platform manifest named by oci:// reference is only read to
            // validate the product; the artifact does not carry it.
            let manifest = super::manifest_for_reading(dir, registry)?;
            pack::pack(dir, bundle, &manifest)?
        }
        Publish::Compiled { file, settings } => {
            pack::pack_compiled(file, settings.as_deref(), bundle)?
        }
        Publish::PlatformManifest(file) => pack::pack_platform_manifest(file, bundle)?,
    };
    super::note_warnings(&packed.warnings);
    Ok(packed)
}

fn payload(dir: PathBuf, registry: &RegistryArgs) -> Result<i32, Failure> {
    let packed = pack(&Publish::Directory(dir), None, registry)?;
    write_bytes(&pack::payload(&packed))?;
    Ok(exit::SUCCESS)
}

fn push(
    what: Publish,
    reference: &str,
    bundle: Option<PathBuf>,
    registry: &RegistryArgs,
) -> Result<i32, Failure> {
    let reference = parse(reference)?;
    let packed = pack(&what, bundle.as_deref(), registry)?;
    let rt = runtime()?;
    let pinned = rt.block_on(artifact::push(&packed, &reference, &registry.options()))?;
    note(&format!(
        "Pushed {} {} ({} layers) to {reference}\n",
        packed.name,
        packed.version,
        packed.prepared.manifest.layers.len()
    ));
    write_stdout(&format!("{pinned}\n"))?;
    Ok(exit::SUCCESS)
}

fn pull(reference: &str, to: Option<PathBuf>, registry: &RegistryArgs) -> Result<i32, Failure> {
    let reference = parse(reference)?;
    let rt = runtime()?;
    let pulled = rt.block_on(artifact::pull(&reference, &registry.options()))?;
    let dir = match to {
        Some(to) => {
            artifact::copy_out(&pulled, &to)?;
            to
        }
        None => pulled.dir.clone(),
    };
    note(&format!(
        "Pulled {reference} ({}){}\n",
        pulled.digest,
        if pulled.cached { " from the cache" } else { "" }
    ));
    write_stdout(&format!("{}\t{}\n", pulled.pinned(), dir.display()))?;
    Ok(exit::SUCCESS)
}

fn verify(
    reference: &str,
    env: EnvArg,
    format: ReportFormat,
    oci: &OciArgs,
) -> Result<i32, Failure> {
    let reference = parse(reference)?;
    let rt = runtime()?;
    let report = rt.block_on(artifact::verify(&reference, env.into(), &oci.access()))?;
    write_stdout(&match format {
        ReportFormat::Json => output::artifact::verify_json(&report),
        ReportFormat::Text => output::artifact::verify_text(&report),
    })?;
    Ok(if report.verified() {
        exit::SUCCESS
    } else {
        exit::SIGNATURE
    })
}
