//! `floe unlock`: remove a stuck apply lock.

use crate::cli::args::ReadOnlyArgs;
use crate::cli::failure::{exit, Failure};
use crate::cli::terminal::write_stdout;
use crate::ops;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub target: ReadOnlyArgs,
}

pub fn run(args: Args) -> Result<i32, Failure> {
    let (product, conn) = super::read_only_product(&args.target)?;
    let (namespace, removed) = conn
        .rt
        .block_on(ops::unlock::unlock(&conn.cluster, &product))?;
    write_stdout(&if removed {
        format!("Removed the apply lock of {namespace}.\n")
    } else {
        format!("{namespace} was not locked.\n")
    })?;
    Ok(exit::SUCCESS)
}
