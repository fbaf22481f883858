//! `floe undo`: go back to a recorded revision through the same plan,
//! review and apply path.

use crate::cli::args::{ApplyArgs, PlanArgs, PolicyArgs, ProgressFormat, ReadOnlyArgs};
use crate::cli::failure::Failure;
use crate::cli::notes::StderrNotes;
use crate::cli::output;
use crate::cli::review::review_and_apply;
use crate::cli::terminal::write_stdout;
use crate::ops;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Revision to go back to (default: the last successful one before the latest).
    #[arg(long)]
    pub to_revision: Option<u64>,
    #[command(flatten)]
    pub target: ReadOnlyArgs,
    /// The policy an artifact's revision is verified under again.
    #[command(flatten)]
    pub signature: PolicyArgs,
    #[command(flatten)]
    pub plan: PlanArgs,
    #[command(flatten)]
    pub apply: ApplyArgs,
}

pub fn run(args: Args) -> Result<i32, Failure> {
    let (product, conn) = super::read_only_product(&args.target)?;
    let access = args.signature.access(&args.target.registry);
    let plan_options = args.plan.options();
    let undo = conn.rt.block_on(ops::undo::plan_undo(
        &conn.cluster,
        &product,
        args.to_revision,
        &plan_options,
        &access,
        &StderrNotes,
    ))?;
    let signature = undo.origin.signature.as_deref();
    write_stdout(&match args.apply.format {
        ProgressFormat::Json => output::undo::target_event(&undo.target, signature),
        ProgressFormat::Text => output::undo::target_text(&undo.target, signature),
    })?;
    let mut options = args.apply.session_options(&args.plan);
    options.way_back = ops::way_back::verified(&access);
    review_and_apply(&conn, &undo.plan, &undo.origin, &args.apply, options)
}
