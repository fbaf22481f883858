//! `floe status`: the health of every object of the product in the cluster.

use crate::cli::args::{ReadOnlyReportArgs, ReportFormat};
use crate::cli::failure::{exit, Failure};
use crate::cli::output;
use crate::cli::terminal::write_stdout;
use crate::ops;

pub fn run(args: ReadOnlyReportArgs) -> Result<i32, Failure> {
    let (product, conn) = super::read_only_product(&args.target)?;
    let report = conn
        .rt
        .block_on(ops::status::status(&conn.cluster, &product))?;
    write_stdout(&match args.format {
        ReportFormat::Json => output::status::to_json(&report),
        ReportFormat::Text => output::status::to_text(&report),
    })?;
    Ok(if report.healthy() {
        exit::SUCCESS
    } else {
        exit::GENERAL
    })
}
