//! The command line: parse, resolve settings, call one library function, map
//! the result to an exit code. Only this module prints.

mod artifact;
mod commands;
mod progress;

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Exit codes shared with the floe platform CLI.
pub mod exit {
    pub const SUCCESS: i32 = 0;
    pub const GENERAL: i32 = 1;
    pub const USAGE: i32 = 2;
    pub const NOT_FOUND: i32 = 3;
    pub const PERMISSION: i32 = 4;
    pub const VALIDATION: i32 = 5;
    pub const SIGNATURE: i32 = 6;
    pub const COMPILATION: i32 = 7;
    pub const NETWORK: i32 = 8;
}

#[derive(Debug, Parser)]
#[command(
    name = "floe",
    version,
    about = "Deploy floe data products to Kubernetes",
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EnvArg {
    Dev,
    Staging,
    Prod,
}

impl From<crate::model::Environment> for EnvArg {
    fn from(e: crate::model::Environment) -> Self {
        match e {
            crate::model::Environment::Dev => EnvArg::Dev,
            crate::model::Environment::Staging => EnvArg::Staging,
            crate::model::Environment::Prod => EnvArg::Prod,
        }
    }
}

impl From<EnvArg> for crate::model::Environment {
    fn from(e: EnvArg) -> Self {
        match e {
            EnvArg::Dev => crate::model::Environment::Dev,
            EnvArg::Staging => crate::model::Environment::Staging,
            EnvArg::Prod => crate::model::Environment::Prod,
        }
    }
}

/// What every command that reads a product takes.
#[derive(Debug, Clone, clap::Args)]
pub struct ProductArgs {
    /// Product directory holding floe.yaml (and floe-deploy.yaml), or an
    /// artifact: oci://registry/repo:tag.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Target environment.
    #[arg(long, short = 'e', value_enum, env = "FLOE_ENV")]
    pub env: EnvArg,
    /// Image for workloads that do not name their own (overrides `image:`).
    #[arg(long)]
    pub image: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RenderFormat {
    Yaml,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    Text,
    Json,
    Markdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    Dot,
    Mermaid,
    Json,
}

/// Which cluster to talk to.
#[derive(Debug, Clone, clap::Args)]
pub struct ClusterArgs {
    /// Kubeconfig file (default: $KUBECONFIG, then ~/.kube/config).
    #[arg(long, env = "FLOE_KUBECONFIG")]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context (default: the current context).
    #[arg(long)]
    pub context: Option<String>,
}

/// Pruning guardrails and concurrency shared by plan and apply.
#[derive(Debug, Clone, clap::Args)]
pub struct PlanArgs {
    /// Objects in flight at once: server-side dry runs while planning,
    /// applies and health checks while applying.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
    /// Allow destroying a Namespace that floe owns.
    #[arg(long)]
    pub allow_prune_namespace: bool,
    /// Allow destroying PersistentVolumeClaims and StatefulSets (their data goes too).
    #[arg(long)]
    pub allow_prune_data: bool,
    /// Allow destroying more than half of the objects floe owns in the namespace.
    #[arg(long)]
    pub allow_mass_prune: bool,
    /// Run a server-side dry run for every object, also those whose live
    /// state already proves them unchanged (slower; for debugging a plan).
    #[arg(long)]
    pub dry_run_all: bool,
}

/// How to reach the registry of an `oci://` source.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct RegistryArgs {
    /// Talk plain HTTP to the registry (a local test registry); TLS otherwise.
    #[arg(long, env = "FLOE_REGISTRY_PLAIN_HTTP")]
    pub plain_http: bool,
    /// Extra CA certificate (PEM) to trust for the registry's TLS.
    #[arg(long, env = "FLOE_REGISTRY_CA", value_name = "FILE")]
    pub registry_ca: Option<PathBuf>,
}

/// Registry access and signature policy, for `oci://` sources.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct OciArgs {
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// Signature policy: a policy file, or a platform manifest.yaml whose
    /// artifacts.verification is read (docs/oci-artifacts.md). Without one,
    /// prod refuses unverified artifacts and other environments warn.
    #[arg(long, env = "FLOE_SIGNATURE_POLICY", value_name = "FILE")]
    pub policy: Option<PathBuf>,
}

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

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProgressFormat {
    /// A progress bar on a terminal, timestamped lines otherwise.
    Text,
    /// One JSON event per line on stdout.
    Json,
}

/// How an apply runs.
#[derive(Debug, Clone, clap::Args)]
pub struct ApplyArgs {
    /// Apply without asking (required without a terminal).
    #[arg(long, short = 'y')]
    pub auto_approve: bool,
    /// Seconds one object may take to become healthy.
    #[arg(long, default_value_t = 300)]
    pub timeout: u64,
    /// Seconds the whole apply may take.
    #[arg(long, default_value_t = 1800)]
    pub overall_timeout: u64,
    /// Seconds a pod may stay stuck (image pull back-off, crash loop,
    /// unschedulable) before its workload is failed.
    #[arg(long, default_value_t = 15)]
    pub fail_fast_after: u64,
    /// Take over fields another manager changed instead of failing.
    #[arg(long)]
    pub force_conflicts: bool,
    /// After a failure, go back to the last successful revision.
    #[arg(long)]
    pub atomic: bool,
    /// Revisions to keep.
    #[arg(long, default_value_t = 10)]
    pub history_max: usize,
    /// Progress output.
    #[arg(long, value_enum, default_value = "text")]
    pub format: ProgressFormat,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Plan, ask for approval, and apply in dependency order with live status.
    Apply {
        /// A product directory, or a plan saved with `floe plan --out FILE`.
        #[arg(default_value = ".")]
        target: PathBuf,
        /// Target environment (taken from the plan when applying a saved plan).
        #[arg(long, short = 'e', value_enum, env = "FLOE_ENV")]
        env: Option<EnvArg>,
        #[arg(long)]
        image: Option<String>,
        #[command(flatten)]
        cluster: ClusterArgs,
        #[command(flatten)]
        plan: PlanArgs,
        #[command(flatten)]
        apply: ApplyArgs,
        #[command(flatten)]
        oci: OciArgs,
    },
    /// Deploy a product: plan and apply in one, creating the namespace when needed.
    Deploy {
        /// A product directory, or an artifact: oci://registry/repo:tag
        /// (pulled by digest and verified against --policy first).
        #[arg(default_value = ".")]
        source: String,
        #[arg(long, short = 'e', value_enum, env = "FLOE_ENV")]
        env: EnvArg,
        #[arg(long)]
        image: Option<String>,
        #[command(flatten)]
        cluster: ClusterArgs,
        #[command(flatten)]
        plan: PlanArgs,
        #[command(flatten)]
        apply: ApplyArgs,
        #[command(flatten)]
        oci: OciArgs,
    },
    /// Publish, fetch and verify product artifacts in an OCI registry.
    Artifact {
        #[command(subcommand)]
        command: ArtifactCommand,
    },
    /// List the recorded revisions of a product in an environment.
    History {
        #[command(flatten)]
        product: ProductArgs,
        #[command(flatten)]
        cluster: ClusterArgs,
        #[command(flatten)]
        registry: RegistryArgs,
        #[arg(long, value_enum, default_value = "text")]
        format: ReportFormat,
    },
    /// Go back to a recorded revision (the same plan, review and apply path).
    Undo {
        /// Revision to go back to (default: the last successful one before the latest).
        #[arg(long)]
        to_revision: Option<u64>,
        #[command(flatten)]
        product: ProductArgs,
        #[command(flatten)]
        cluster: ClusterArgs,
        #[command(flatten)]
        registry: RegistryArgs,
        #[command(flatten)]
        plan: PlanArgs,
        #[command(flatten)]
        apply: ApplyArgs,
    },
    /// Show the health of every object of the product in the cluster.
    Status {
        #[command(flatten)]
        product: ProductArgs,
        #[command(flatten)]
        cluster: ClusterArgs,
        #[command(flatten)]
        registry: RegistryArgs,
        #[arg(long, value_enum, default_value = "text")]
        format: ReportFormat,
    },
    /// Remove a stuck apply lock (after checking no apply is running).
    Unlock {
        #[command(flatten)]
        product: ProductArgs,
        #[command(flatten)]
        cluster: ClusterArgs,
        #[command(flatten)]
        registry: RegistryArgs,
    },
    /// Show what an apply would change: a server-side diff against the cluster.
    Plan {
        #[command(flatten)]
        product: ProductArgs,
        #[command(flatten)]
        cluster: ClusterArgs,
        #[command(flatten)]
        plan: PlanArgs,
        #[command(flatten)]
        oci: OciArgs,
        /// text for a terminal, json for machines, markdown for a pull request
        /// (parts over 60,000 characters are split at `<!-- floe:part -->` lines).
        #[arg(long, value_enum, default_value = "text")]
        format: PlanFormat,
        /// Save the plan (JSON) for `floe apply FILE`.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Exit 0 when there are no changes, 2 when there are, 1 on errors.
        #[arg(long)]
        detailed_exitcode: bool,
    },
    /// Print the dependency graph of the desired objects.
    Graph {
        #[command(flatten)]
        product: ProductArgs,
        #[arg(long, value_enum, default_value = "dot")]
        format: GraphFormat,
    },
    /// Print the desired Kubernetes objects, in dependency order.
    Render {
        #[command(flatten)]
        product: ProductArgs,
        #[arg(long, short = 'o', value_enum, default_value = "yaml")]
        output: RenderFormat,
    },
    /// Check the product's files and report every problem at once.
    Validate {
        #[command(flatten)]
        product: ProductArgs,
        #[arg(long, short = 'o', value_enum, default_value = "text")]
        output: ReportFormat,
    },
}

/// Entry point for the binary; returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            // clap prints help/version to stdout (exit 0) and usage errors to
            // stderr (exit 2), matching the platform's codes.
            let _ = err.print();
            return if err.use_stderr() {
                exit::USAGE
            } else {
                exit::SUCCESS
            };
        }
    };
    match commands::run(cli.command) {
        Ok(code) => code,
        Err(failure) => {
            eprintln!("Error: {:#}", failure.error);
            if let Some(hint) = failure.hint {
                eprintln!("  hint: {hint}");
            }
            failure.code
        }
    }
}

/// A command's failure: the error chain, an optional hint, the exit code.
pub struct Failure {
    pub error: anyhow::Error,
    pub hint: Option<String>,
    pub code: i32,
}

impl Failure {
    pub fn new(code: i32, error: impl Into<anyhow::Error>) -> Self {
        Failure {
            error: error.into(),
            hint: None,
            code,
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}
