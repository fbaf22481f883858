//! `floe export helm`: the product as a Helm chart.

use crate::cli::args::{EnvArg, OciArgs};
use crate::cli::failure::{exit, Failure};
use crate::cli::output;
use crate::cli::runtime::runtime;
use crate::cli::terminal::{note, write_stdout};
use crate::model::Environment;
use crate::ops::export::{self, ExportRequest};
use std::path::PathBuf;

#[derive(Debug, clap::Subcommand)]
pub enum ExportCommand {
    /// Write a Helm chart whose templates give, with values-ENV.yaml,
    /// exactly the objects `floe render --env ENV` prints (docs/helm-export.md).
    Helm(HelmArgs),
}

#[derive(Debug, clap::Args)]
pub struct HelmArgs {
    /// Product directory holding floe.yaml (default: the current directory).
    #[arg(conflicts_with = "from")]
    pub dir: Option<PathBuf>,
    /// Export an artifact instead, oci://registry/repo:tag (pulled by digest
    /// and verified under --policy for every environment exported).
    #[arg(long, value_name = "OCI_REFERENCE")]
    pub from: Option<String>,
    /// The chart directory: new, empty, or a chart floe exported before.
    #[arg(long, value_name = "CHART_DIR")]
    pub out: PathBuf,
    /// Environments to export (repeat it or separate by commas; default:
    /// dev, staging, prod). The first one's values are the chart's defaults.
    #[arg(long, short = 'e', value_enum, value_delimiter = ',')]
    pub env: Vec<EnvArg>,
    /// Image for workloads that do not name their own (overrides `image:`).
    #[arg(long)]
    pub image: Option<String>,
    #[command(flatten)]
    pub oci: OciArgs,
}

pub fn run(command: ExportCommand) -> Result<i32, Failure> {
    match command {
        ExportCommand::Helm(args) => helm(args),
    }
}

fn helm(args: HelmArgs) -> Result<i32, Failure> {
    let source = match &args.from {
        Some(reference) => PathBuf::from(reference),
        None => args.dir.clone().unwrap_or_else(|| PathBuf::from(".")),
    };
    let mut environments: Vec<Environment> = Vec::new();
    for env in args.env.iter().map(|e| Environment::from(*e)) {
        if !environments.contains(&env) {
            environments.push(env);
        }
    }
    if environments.is_empty() {
        environments = Environment::ALL.to_vec();
    }
    let request = ExportRequest {
        source: &source,
        environments: &environments,
        image: args.image.as_deref(),
        out: &args.out,
    };
    let rt = runtime()?;
    let exported = rt.block_on(export::helm(&request, &args.oci.access()))?;
    for fetched in &exported.fetched {
        note(&output::artifact::fetched_notes(fetched));
    }
    super::note_warnings(&exported.warnings);
    let names: Vec<&str> = environments.iter().map(|e| e.as_str()).collect();
    write_stdout(&format!(
        "Exported chart {} {} to {} ({} files; values for {}).\nInstall with: helm install RELEASE {} -f {}/values-{}.yaml\n",
        exported.chart.name,
        exported.chart.version,
        exported.out.display(),
        exported.chart.files.len(),
        names.join(", "),
        exported.out.display(),
        exported.out.display(),
        names[0],
    ))?;
    Ok(exit::SUCCESS)
}
