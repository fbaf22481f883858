//! `floe render`: the desired objects, in dependency order.

use crate::cli::args::{ProductArgs, RegistryArgs, RenderFormat};
use crate::cli::failure::{exit, Failure};
use crate::cli::terminal::write_stdout;
use crate::ops::{platform_manifest, prepare};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub product: ProductArgs,
    /// For a platform manifest floe.yaml names by oci:// reference.
    #[command(flatten)]
    pub registry: RegistryArgs,
    #[arg(long, short = 'o', value_enum, default_value = "yaml")]
    pub output: RenderFormat,
}

pub fn run(args: Args) -> Result<i32, Failure> {
    let product = &args.product;
    let env = product.env.into();
    let manifest = super::manifest_for_reading(&product.dir, &args.registry)?;
    let inputs = platform_manifest::inputs(product.image.as_deref(), &manifest);
    let (desired, warnings) = prepare::desired(&product.dir, env, &inputs)?;
    super::note_warnings(&warnings);
    write_stdout(&match args.output {
        RenderFormat::Yaml => desired.to_yaml(),
        RenderFormat::Json => desired.to_json(),
    })?;
    Ok(exit::SUCCESS)
}
