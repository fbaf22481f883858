//! `floe apply`: a product directory (plan, review, apply) or a plan saved
//! with `floe plan --out` (checked, then reviewed and applied).

use super::Connection;
use crate::cli::args::{DeploymentArgs, EnvArg, ProductArgs};
use crate::cli::failure::{exit, Failure};
use crate::cli::notes::StderrNotes;
use crate::cli::review::review_and_apply;
use crate::cli::runtime::runtime;
use crate::ops::{saved_plan, way_back};
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
    let conn = Connection {
        rt,
        cluster: opened.cluster,
    };
    let (apply, plan) = (&deployment.apply, &deployment.plan);
    let mut options = apply.session_options(plan);
    options.way_back = way_back::verified(&access);
    review_and_apply(&conn, &opened.plan, &opened.origin, apply, options)
}
