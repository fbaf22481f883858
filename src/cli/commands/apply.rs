//! `floe apply`: a product directory (plan, review, apply) or a plan saved
//! with `floe plan --out` (checked, then reviewed and applied).

use super::Connection;
use crate::cli::args::{DeploymentArgs, EnvArg, PlanArgs, ProductArgs};
use crate::cli::failure::{exit, Failure};
use crate::cli::notes::StderrNotes;
use crate::cli::review::review_and_apply;
use crate::cli::runtime::runtime;
use crate::ops::{saved_plan, way_back};
use crate::plan::BoundOptions;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A product directory, or a plan saved with `floe plan --out FILE`.
    #[arg(default_value = ".")]
    pub target: PathBuf,
    /// Target environment (taken from the plan when applying a saved plan).
    #[arg(long, short = 'e', value_enum, env = "FLOE_ENV")]
    pub env: Option<EnvArg>,
    #[arg(long)]
    pub image: Option<String>,
    #[command(flatten)]
    pub deployment: DeploymentArgs,
}

pub fn run(args: Args) -> Result<i32, Failure> {
    if args.target.is_file() {
        return apply_saved(&args);
    }
    let Some(env) = args.env else {
        return Err(Failure::new(
            exit::USAGE,
            anyhow::anyhow!("--env is required when applying a product directory"),
        )
        .hint("e.g. `floe apply . --env dev`"));
    };
    let product = ProductArgs {
        dir: args.target.clone(),
        env,
        image: args.image.clone(),
    };
    super::deploy::plan_and_apply(&product, &args.deployment)
}

fn apply_saved(args: &Args) -> Result<i32, Failure> {
    let deployment = &args.deployment;
    let (target, access) = (deployment.cluster.target(), deployment.oci.access());
    let rt = runtime()?;
    let opened = rt.block_on(saved_plan::open(
        &args.target,
        &target,
        &access,
        &StderrNotes,
    ))?;
    let (apply, plan) = (&deployment.apply, &deployment.plan);
    refuse_new_guardrail_flags(plan, &opened.options)?;
    let mut options = apply.session_options(plan);
    options.plan = options.plan.with_bound(&opened.options);
    options.recheck = opened.recheck;
    let conn = Connection {
        rt,
        cluster: opened.cluster,
    };
    options.way_back = way_back::verified(&access);
    review_and_apply(&conn, &opened.plan, &opened.origin, apply, options)
}

/// A saved plan's guardrails were decided when it was made and reviewed:
/// a flag given only now would apply something nobody reviewed.
fn refuse_new_guardrail_flags(given: &PlanArgs, bound: &BoundOptions) -> Result<(), Failure> {
    let flags = [
        (
            "--allow-prune-namespace",
            given.allow_prune_namespace,
            bound.allow_prune_namespace,
        ),
        (
            "--allow-prune-data",
            given.allow_prune_data,
            bound.allow_prune_data,
        ),
        (
            "--allow-mass-prune",
            given.allow_mass_prune,
            bound.allow_mass_prune,
        ),
        ("--adopt", given.adopt, bound.adopt),
    ];
    match flags.iter().find(|(_, now, then)| *now && !*then) {
        Some((flag, _, _)) => Err(Failure::new(
            exit::USAGE,
            anyhow::anyhow!("{flag} was not given to `floe plan`: a saved plan's guardrails are fixed when it is made"),
        )
        .hint(format!("make the plan again with {flag} and review it: `floe plan ... {flag} --out FILE`"))),
        None => Ok(()),
    }
}
