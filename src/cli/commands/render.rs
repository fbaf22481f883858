//! `floe render`: the desired objects, in dependency order.

use crate::cli::args::{ProductArgs, RenderFormat};
use crate::cli::failure::{exit, Failure};
use crate::cli::terminal::write_stdout;
use crate::ops::prepare;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub product: ProductArgs,
    #[arg(long, short = 'o', value_enum, default_value = "yaml")]
    pub output: RenderFormat,
}

pub fn run(args: Args) -> Result<i32, Failure> {
    let product = &args.product;
    let env = product.env.into();
    let (desired, warnings) = prepare::desired(&product.dir, env, product.image.as_deref())?;
    super::note_warnings(&warnings);
    write_stdout(&match args.output {
        RenderFormat::Yaml => desired.to_yaml(),
        RenderFormat::Json => desired.to_json(),
    })?;
    Ok(exit::SUCCESS)
}
