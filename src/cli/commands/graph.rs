//! `floe graph`: the dependency graph of the desired objects.

use crate::cli::args::{GraphFormat, ProductArgs, RegistryArgs};
use crate::cli::failure::{exit, Failure};
use crate::cli::terminal::write_stdout;
use crate::graph;
use crate::ops::{platform_manifest, prepare};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub product: ProductArgs,
    /// For a platform manifest floe.yaml names by oci:// reference.
    #[command(flatten)]
    pub registry: RegistryArgs,
    #[arg(long, value_enum, default_value = "dot")]
    pub format: GraphFormat,
}

pub fn run(args: Args) -> Result<i32, Failure> {
    let product = &args.product;
    let manifest = super::manifest_for_reading(&product.dir, &args.registry)?;
    let inputs = platform_manifest::inputs(product.image.as_deref(), &manifest);
    let prepared = prepare::prepare(&product.dir, product.env.into(), &inputs)?;
    super::note_warnings(&prepared.warnings);
    let g = &prepared.graph;
    write_stdout(&match args.format {
        GraphFormat::Dot => graph::to_dot(g),
        GraphFormat::Mermaid => graph::to_mermaid(g),
        GraphFormat::Json => {
            serde_json::to_string_pretty(&graph::to_json(g)).unwrap_or_default() + "\n"
        }
    })?;
    Ok(exit::SUCCESS)
}
