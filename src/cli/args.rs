//! Argument groups shared by several commands, and their conversion into
//! the options the use cases take.

use crate::apply::session::SessionOptions;
use crate::apply::ApplyOptions;
use crate::model::Environment;
use crate::oci::RegistryOptions;
use crate::ops::artifact::Access;
use crate::ops::plan::PlanRequest;
use crate::ops::source::ReadOnlyRequest;
use crate::ops::ClusterTarget;
use crate::plan::compute::PlanOptions;
use clap::ValueEnum;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EnvArg {
    Dev,
    Staging,
    Prod,
}

impl From<EnvArg> for Environment {
    fn from(e: EnvArg) -> Self {
        match e {
            EnvArg::Dev => Environment::Dev,
            EnvArg::Staging => Environment::Staging,
            EnvArg::Prod => Environment::Prod,
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

/// What the commands that find a deployed product take (history, status,
/// undo, unlock, destroy): nothing is deployed from the product they read.
#[derive(Debug, Clone, clap::Args)]
pub struct ReadOnlyArgs {
    #[command(flatten)]
    pub product: ProductArgs,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

/// What the read-only reports (history, status) take.
#[derive(Debug, Clone, clap::Args)]
pub struct ReadOnlyReportArgs {
    #[command(flatten)]
    pub target: ReadOnlyArgs,
    #[arg(long, value_enum, default_value = "text")]
    pub format: ReportFormat,
}

/// What the commands that apply a plan (apply, deploy) take besides their source.
#[derive(Debug, Clone, clap::Args)]
pub struct DeploymentArgs {
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub plan: PlanArgs,
    #[command(flatten)]
    pub apply: ApplyArgs,
    #[command(flatten)]
    pub oci: OciArgs,
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
    /// Allow destroying or replacing PersistentVolumeClaims and StatefulSets
    /// (their data goes too; a replace deletes the object first).
    #[arg(long)]
    pub allow_prune_data: bool,
    /// Allow destroying more than half of the objects floe owns in the namespace.
    #[arg(long)]
    pub allow_mass_prune: bool,
    /// Run a server-side dry run for every object, also those whose live
    /// state already proves them unchanged (slower; for debugging a plan).
    #[arg(long)]
    pub dry_run_all: bool,
    /// Take over objects the product renders that already exist in the
    /// cluster without floe's labels (made by hand or by another tool),
    /// including the fields other managers set; floe owns them afterwards.
    #[arg(long)]
    pub adopt: bool,
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
    #[command(flatten)]
    pub signature: PolicyArgs,
}

/// Which signature policy an artifact is verified under.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct PolicyArgs {
    /// Signature policy: a policy file, or a platform manifest.yaml whose
    /// artifacts.verification is read (docs/oci-artifacts.md). Without one,
    /// prod refuses unverified artifacts and other environments warn.
    #[arg(long, env = "FLOE_SIGNATURE_POLICY", value_name = "FILE")]
    pub policy: Option<PathBuf>,
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
    /// Revisions to keep (the newest successful one is kept whatever this says).
    #[arg(long, default_value_t = 10)]
    pub history_max: usize,
    /// Seconds to wait for another apply's lock (with a countdown) before
    /// giving up; the default is a little over one lease period, so a holder
    /// that died elsewhere is taken over within it.
    #[arg(long, default_value_t = 75)]
    pub lock_timeout: u64,
    /// Progress output.
    #[arg(long, value_enum, default_value = "text")]
    pub format: ProgressFormat,
}

impl PlanArgs {
    pub fn options(&self) -> PlanOptions {
        PlanOptions {
            concurrency: self.concurrency as usize,
            allow_prune_namespace: self.allow_prune_namespace,
            allow_prune_data: self.allow_prune_data,
            allow_mass_prune: self.allow_mass_prune,
            dry_run_all: self.dry_run_all,
            adopt: self.adopt,
            ..PlanOptions::default()
        }
    }
}

impl ApplyArgs {
    /// The session's options; its source and signature come from the
    /// origin. A rollback is planned with the same guardrail flags.
    pub fn session_options(&self, plan: &PlanArgs) -> SessionOptions {
        SessionOptions {
            apply: ApplyOptions {
                concurrency: plan.concurrency.into(),
                object_timeout: Duration::from_secs(self.timeout.max(1)),
                overall_timeout: Duration::from_secs(self.overall_timeout.max(1)),
                force_conflicts: self.force_conflicts,
                fail_fast_after: Duration::from_secs(self.fail_fast_after),
                ..ApplyOptions::default()
            },
            atomic: self.atomic,
            history_max: self.history_max,
            lock_wait: Duration::from_secs(self.lock_timeout),
            plan: plan.options(),
            ..SessionOptions::default()
        }
    }
}

impl ClusterArgs {
    pub fn target(&self) -> ClusterTarget {
        ClusterTarget {
            kubeconfig: self.kubeconfig.clone(),
            context: self.context.clone(),
        }
    }
}

impl ReadOnlyArgs {
    pub fn request(&self) -> ReadOnlyRequest {
        ReadOnlyRequest {
            source: self.product.dir.clone(),
            environment: self.product.env.into(),
            image: self.product.image.clone(),
            registry: self.registry.options(),
            cluster: self.cluster.target(),
        }
    }
}

impl DeploymentArgs {
    /// The plan request for `product` with these cluster, plan and
    /// registry settings.
    pub fn plan_request(&self, product: &ProductArgs) -> PlanRequest {
        plan_request(product, &self.cluster, &self.plan, &self.oci)
    }
}

/// What `floe plan` and the apply commands ask the plan use case.
pub fn plan_request(
    product: &ProductArgs,
    cluster: &ClusterArgs,
    plan: &PlanArgs,
    oci: &OciArgs,
) -> PlanRequest {
    PlanRequest {
        source: product.dir.clone(),
        environment: product.env.into(),
        image: product.image.clone(),
        access: oci.access(),
        cluster: cluster.target(),
        options: plan.options(),
    }
}

impl RegistryArgs {
    pub fn options(&self) -> RegistryOptions {
        RegistryOptions {
            plain_http: self.plain_http,
            ca_file: self.registry_ca.clone(),
            cache_dir: None,
        }
    }
}

impl OciArgs {
    pub fn access(&self) -> Access {
        self.signature.access(&self.registry)
    }
}

impl PolicyArgs {
    /// How to reach `registry` and verify what it serves.
    pub fn access(&self, registry: &RegistryArgs) -> Access {
        Access {
            registry: registry.options(),
            policy: self.policy.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Cli, Command};
    use crate::apply::clock;
    use clap::Parser;
    use proptest::prelude::*;
    use std::time::Instant;

    /// Extreme and ordinary values, and text that is not a number.
    fn value() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(u64::MAX.to_string()),
            Just(u128::MAX.to_string()),
            Just("0".to_string()),
            Just("-1".to_string()),
            Just("1e400".to_string()),
            any::<u64>().prop_map(|n| n.to_string()),
            any::<i64>().prop_map(|n| n.to_string()),
            "[0-9a-z.+-]{0,24}",
        ]
    }

    const NUMERIC_FLAGS: [&str; 6] = [
        "--timeout",
        "--overall-timeout",
        "--fail-fast-after",
        "--history-max",
        "--lock-timeout",
        "--concurrency",
    ];

    proptest! {
        /// Every numeric flag of deploy parses or is refused, and what it
        /// parses to goes through the deadline arithmetic without a panic.
        #[test]
        fn numeric_flags_never_panic(flag in 0..NUMERIC_FLAGS.len(), v in value()) {
            let parsed = Cli::try_parse_from(["floe", "deploy", "--env", "dev", NUMERIC_FLAGS[flag], &v]);
            let Ok(Cli { command: Command::Deploy(args) }) = parsed else {
                return Ok(());
            };
            let options = args.deployment.apply.session_options(&args.deployment.plan);
            let now = Instant::now();
            let _ = clock::deadline(now, options.apply.object_timeout);
            let _ = clock::deadline(now, options.apply.overall_timeout);
            let _ = clock::deadline(now, options.apply.fail_fast_after);
            let _ = clock::deadline(now, options.lock_wait);
            let _ = clock::two_thirds(options.lock_ttl);
        }
    }
}
