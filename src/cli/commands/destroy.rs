//! `floe destroy`: delete everything floe owns for a product in one
//! environment, through the same plan, review and apply path as any change.

use crate::cli::args::{ApplyArgs, PlanArgs, ReadOnlyArgs};
use crate::cli::failure::{exit, Failure};
use crate::cli::review::review_and_apply;
use crate::cli::terminal::note;
use crate::ops::{self, apply::Origin};
use crate::plan::{Action, Plan};
use std::time::Duration;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub target: ReadOnlyArgs,
    /// Allow deleting the product's namespace (a destroy deletes it when
    /// nothing floe does not own lives there).
    #[arg(long)]
    pub allow_prune_namespace: bool,
    /// Allow deleting PersistentVolumeClaims and StatefulSets (their data
    /// goes too).
    #[arg(long)]
    pub allow_prune_data: bool,
    /// Objects deleted at once.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
    #[command(flatten)]
    pub apply: ApplyArgs,
}

pub fn run(args: Args) -> Result<i32, Failure> {
    let (product, conn) = super::read_only_product(&args.target)?;
    let plan_args = PlanArgs {
        concurrency: args.concurrency,
        allow_prune_namespace: args.allow_prune_namespace,
        allow_prune_data: args.allow_prune_data,
        allow_mass_prune: false,
        dry_run_all: false,
        adopt: false,
    };
    let options = plan_args.options();
    let destroy = ops::destroy::plan_destroy(&conn.cluster, &product, &options);
    let plan = conn.rt.block_on(destroy)?;
    let origin = Origin::local("destroy".to_string());
    let session = args.apply.session_options(&plan_args);
    let code = review_and_apply(&conn, &plan, &origin, &args.apply, session)?;
    if code == exit::SUCCESS && deletes_namespace(&plan) {
        let timeout = Duration::from_secs(args.apply.timeout.max(1));
        let wait = ops::destroy::namespace_gone(&conn.cluster, &plan.namespace, timeout);
        if !conn.rt.block_on(wait)? {
            note(&format!(
                "Namespace {} is still terminating after {}s (a finalizer may hold it); `kubectl get namespace {}` shows when it is gone.\n",
                plan.namespace,
                timeout.as_secs(),
                plan.namespace
            ));
        }
    }
    Ok(code)
}

fn deletes_namespace(plan: &Plan) -> bool {
    plan.changes.iter().any(|c| {
        c.action == Action::Delete && c.key.kind == "Namespace" && c.key.name == plan.namespace
    })
}
