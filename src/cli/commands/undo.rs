//! `floe undo`: go back to a recorded revision through the same plan,
//! review and apply path.

use crate::cli::args::{ApplyArgs, PlanArgs, ReadOnlyArgs};
use crate::cli::failure::Failure;
use crate::cli::review::review_and_apply;
use crate::ops::{self, apply::Origin};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Revision to go back to (default: the last successful one before the latest).
    #[arg(long)]
    pub to_revision: Option<u64>,
    #[command(flatten)]
    pub target: ReadOnlyArgs,
    #[command(flatten)]
    pub plan: PlanArgs,
    #[command(flatten)]
    pub apply: ApplyArgs,
}

pub fn run(args: Args) -> Result<i32, Failure> {
    let (product, conn) = super::read_only_product(&args.target)?;
    let plan_options = args.plan.options();
    let undo = ops::undo::plan_undo(&conn.cluster, &product, args.to_revision, &plan_options);
    let (number, plan) = conn.rt.block_on(undo)?;
    let origin = Origin::local(format!("undo to revision {number}"));
    let options = args.apply.session_options(&args.plan);
    review_and_apply(&conn, &plan, &origin, &args.apply, options)
}
