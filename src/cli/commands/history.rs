//! `floe history`: the recorded revisions of a product in an environment.

use crate::cli::args::{ReadOnlyReportArgs, ReportFormat};
use crate::cli::failure::{exit, Failure};
use crate::cli::output;
use crate::cli::terminal::{note, write_stdout};
use crate::model::effective::namespace_name;
use crate::ops;

pub fn run(args: ReadOnlyReportArgs) -> Result<i32, Failure> {
    let (product, conn) = super::read_only_product(&args.target)?;
    let listing = conn
        .rt
        .block_on(ops::history::list(&conn.cluster, &product))?;
    note(&output::history::unreadable(&listing.unreadable));
    let revisions = listing.revisions;
    write_stdout(&match args.format {
        ReportFormat::Json => output::history::to_json(&revisions),
        ReportFormat::Text => output::history::to_text(
            &revisions,
            &product.spec.metadata.name,
            &namespace_name(&product),
        ),
    })?;
    Ok(exit::SUCCESS)
}
