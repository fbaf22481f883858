//! `floe apply`: a product directory (plan, review, apply) or a plan saved
//! with `floe plan --out` (checked, then reviewed and applied).

use crate::cli::args::{DeploymentArgs, EnvArg, ProductArgs};
use crate::cli::failure::{exit, Failure};
use crate::cli::output;
use crate::cli::review::review_and_apply;
use crate::cli::runtime::runtime;
use crate::cli::terminal::note;
use crate::ops::saved_plan;
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
    let plan = saved_plan::read(&args.target)?;
    let conn = super::connect(runtime()?, &deployment.cluster)?;
    let access = deployment.oci.access();
    let check = saved_plan::check(&conn.cluster, &plan, &args.target, &access);
    let checked = conn.rt.block_on(check)?;
    if let Some(fetched) = &checked.fetched {
        note(&output::artifact::fetched_notes(fetched));
    }
    super::note_warnings(&checked.warnings);
    let concurrency = deployment.plan.concurrency;
    review_and_apply(
        &conn,
        &plan,
        &checked.origin,
        &deployment.apply,
        concurrency,
    )
}
