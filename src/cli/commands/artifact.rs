//! `floe artifact push|pull|payload|verify`.

use crate::cli::args::{EnvArg, OciArgs, RegistryArgs, ReportFormat};
use crate::cli::failure::{exit, Failure};
use crate::cli::output;
use crate::cli::runtime::runtime;
use crate::cli::terminal::{note, write_bytes, write_stdout};
use crate::oci::ArtifactRef;
use crate::ops::artifact;
use clap::Subcommand;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum ArtifactCommand {
    /// Publish a product directory as one OCI artifact (release tags are immutable).
    Push {
        /// Product directory holding floe.yaml.
        dir: PathBuf,
        /// Where to push: oci://registry/repository:tag
        reference: String,
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
            dir,
            reference,
            bundle,
            registry,
        } => push(dir, &reference, bundle, &registry),
        ArtifactCommand::Payload { dir } => payload(dir),
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

fn pack(
    dir: &std::path::Path,
    bundle: Option<&std::path::Path>,
) -> Result<artifact::Packed, Failure> {
    let packed = artifact::pack(dir, bundle)?;
    super::note_warnings(&packed.warnings);
    Ok(packed)
}

fn payload(dir: PathBuf) -> Result<i32, Failure> {
    let packed = pack(&dir, None)?;
    write_bytes(&artifact::payload(&packed))?;
    Ok(exit::SUCCESS)
}

fn push(
    dir: PathBuf,
    reference: &str,
    bundle: Option<PathBuf>,
    registry: &RegistryArgs,
) -> Result<i32, Failure> {
    let reference = parse(reference)?;
    let packed = pack(&dir, bundle.as_deref())?;
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
