//! `floe plan`: what an apply would change, as a server-side diff.

use super::Connection;
use crate::cli::args::{ClusterArgs, OciArgs, PlanArgs, PlanFormat, ProductArgs};
use crate::cli::failure::{exit, Failure};
use crate::cli::output;
use crate::cli::runtime::runtime;
use crate::cli::terminal::{note, use_color, write_stdout};
use crate::ops::{self, prepare, source::Source};
use crate::plan::{format, Plan};
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
    let (_, _, plan) = plan_product(&args.product, &args.cluster, &args.plan, &args.oci)?;
    if let Some(path) = &args.out {
        ops::plan::save(&plan, path)?;
        note(&format!(
            "Saved the plan to {}; apply it with `floe apply {}`.\n",
            path.display(),
            path.display()
        ));
    }
    write_stdout(&match args.format {
        PlanFormat::Text => format::to_text(&plan, use_color()),
        PlanFormat::Json => format::to_json(&plan),
        PlanFormat::Markdown => format::to_markdown(&plan).join("\n<!-- floe:part -->\n"),
    })?;
    if args.detailed_exitcode && plan.has_changes() {
        return Ok(exit::USAGE);
    }
    Ok(exit::SUCCESS)
}

/// The product (an artifact is fetched and verified first, with its notes
/// on stderr), loaded, validated, rendered, checked for cycles and planned
/// against the cluster.
pub(super) fn plan_product(
    product: &ProductArgs,
    cluster: &ClusterArgs,
    plan: &PlanArgs,
    oci: &OciArgs,
) -> Result<(Connection, Source, Plan), Failure> {
    let rt = runtime()?;
    let env = product.env.into();
    let image = product.image.as_deref();
    let source = rt.block_on(ops::source::resolve(
        &product.dir,
        env,
        image,
        &oci.access(),
    ))?;
    if let Some(fetched) = &source.fetched {
        note(&output::artifact::fetched_notes(fetched));
    }
    let prepared = prepare::prepare(&source.dir, env, image)?;
    super::note_warnings(&prepared.warnings);
    let conn = super::connect(rt, cluster)?;
    let (fetched, options) = (source.fetched.as_ref(), plan.options());
    let planned = ops::plan::plan(&conn.cluster, &prepared.desired, &options, fetched);
    let planned = conn.rt.block_on(planned)?;
    Ok((conn, source, planned))
}
