//! `floe deploy`: plan and apply in one, creating the namespace when needed.

use super::Connection;
use crate::cli::args::{DeploymentArgs, EnvArg, ProductArgs};
use crate::cli::failure::Failure;
use crate::cli::notes::StderrNotes;
use crate::cli::review::review_and_apply;
use crate::cli::runtime::runtime;
use crate::ops;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A product directory, or an artifact: oci://registry/repo:tag
    /// (pulled by digest and verified against --policy first).
    #[arg(default_value = ".")]
    pub source: String,
    #[arg(long, short = 'e', value_enum, env = "FLOE_ENV")]
    pub env: EnvArg,
    #[arg(long)]
    pub image: Option<String>,
    #[command(flatten)]
    pub deployment: DeploymentArgs,
}

pub fn run(args: Args) -> Result<i32, Failure> {
    let product = ProductArgs {
        dir: args.source.into(),
        env: args.env,
        image: args.image,
    };
    plan_and_apply(&product, &args.deployment)
}

/// Plans a product (directory or artifact) and goes through the review.
pub(super) fn plan_and_apply(product: &ProductArgs, args: &DeploymentArgs) -> Result<i32, Failure> {
    let rt = runtime()?;
    let planned = rt.block_on(ops::plan::plan_product(
        &args.plan_request(product),
        &StderrNotes,
    ))?;
    let conn = Connection {
        rt,
        cluster: planned.cluster,
    };
    let (apply, plan) = (&args.apply, &args.plan);
    let mut options = apply.session_options(plan);
    options.way_back = ops::way_back::verified(&args.oci.access());
    review_and_apply(&conn, &planned.plan, &planned.origin, apply, options)
}
