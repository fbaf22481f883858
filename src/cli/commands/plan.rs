//! `floe plan`: what an apply would change, as a server-side diff.

use crate::cli::args::{plan_request, ClusterArgs, OciArgs, PlanArgs, PlanFormat, ProductArgs};
use crate::cli::failure::{exit, Failure};
use crate::cli::notes::StderrNotes;
use crate::cli::runtime::runtime;
use crate::cli::terminal::{note, use_color, write_stdout};
use crate::ops;
use crate::plan::format;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub product: ProductArgs,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub plan: PlanArgs,
    #[command(flatten)]
    pub oci: OciArgs,
    /// text for a terminal, json for machines, markdown for a pull request
    /// (parts over 60,000 characters are split at `<!-- floe:part -->` lines).
    #[arg(long, value_enum, default_value = "text")]
    pub format: PlanFormat,
    /// Save the plan (JSON) for `floe apply FILE`.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Exit 0 when there are no changes, 2 when there are, 1 on errors.
    #[arg(long)]
    pub detailed_exitcode: bool,
}

pub fn run(args: Args) -> Result<i32, Failure> {
    let request = plan_request(&args.product, &args.cluster, &args.plan, &args.oci);
    let planned = runtime()?.block_on(ops::plan::plan_product(&request, &StderrNotes))?;
    let plan = &planned.plan;
    if let Some(path) = &args.out {
        ops::plan::save(plan, path)?;
        note(&format!(
            "Saved the plan to {}; apply it with `floe apply {}`.\n",
            path.display(),
            path.display()
        ));
    }
    write_stdout(&match args.format {
        PlanFormat::Text => format::to_text(plan, use_color()),
        PlanFormat::Json => format::to_json(plan),
        PlanFormat::Markdown => format::to_markdown(plan).join("\n<!-- floe:part -->\n"),
    })?;
    if args.detailed_exitcode && plan.has_changes() {
        return Ok(exit::USAGE);
    }
    Ok(exit::SUCCESS)
}
