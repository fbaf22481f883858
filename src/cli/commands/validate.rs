//! `floe validate`: every problem of the product's files at once.

use crate::cli::args::{ProductArgs, RegistryArgs, ReportFormat};
use crate::cli::failure::{exit, Failure};
use crate::cli::output;
use crate::cli::terminal::write_stdout;
use crate::ops;
use crate::ops::platform_manifest;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub product: ProductArgs,
    /// For a platform manifest floe.yaml names by oci:// reference.
    #[command(flatten)]
    pub registry: RegistryArgs,
    #[arg(long, short = 'o', value_enum, default_value = "text")]
    pub output: ReportFormat,
}

pub fn run(args: Args) -> Result<i32, Failure> {
    let product = &args.product;
    let manifest = super::manifest_for_reading(&product.dir, &args.registry)?;
    let inputs = platform_manifest::inputs(product.image.as_deref(), &manifest);
    let report = ops::validate::validate(&product.dir, product.env.into(), &inputs)?;
    write_stdout(&match args.output {
        ReportFormat::Json => output::validate::to_json(&report),
        ReportFormat::Text => output::validate::to_text(&report, &product.dir),
    })?;
    Ok(if report.errors() > 0 {
        exit::VALIDATION
    } else {
        exit::SUCCESS
    })
}
