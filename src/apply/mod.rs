//! Carrying out a plan: its changes in dependency order, each object waited on
//! until healthy before its dependents start, with bounded concurrency.
//!
//! Apply reads only the plan's changes and edges. [`walk`] schedules them and
//! [`step`] carries out one; a failure stops new work, lets running objects
//! finish, skips the failed object's dependents with the reason, and still
//! returns the full report.

pub mod clock;
mod delete;
pub mod diagnose;
mod failure;
mod options;
mod report;
pub mod session;
mod step;
mod wait;
mod walk;
pub mod way_back;

pub use options::ApplyOptions;
pub use report::{human_ms, ApplyReport, Event, ObjectReport, ObjectResult, Reporter, Silent};

use crate::cluster::Cluster;
use crate::plan::Plan;
use std::time::Instant;
use step::StepContext;
use walk::Limits;

/// Carries out `plan` against `cluster`. `cancel` turning true (Ctrl-C)
/// stops new work and ends waits; the report then says how far it got.
pub async fn apply(
    cluster: &Cluster,
    plan: &Plan,
    options: &ApplyOptions,
    reporter: &dyn Reporter,
    cancel: tokio::sync::watch::Receiver<bool>,
) -> ApplyReport {
    let limits = Limits {
        concurrency: options.concurrency,
        started: Instant::now(),
        overall_timeout: options.overall_timeout,
    };
    let context = StepContext {
        cluster,
        plan,
        options,
        reporter,
        overall_deadline: clock::deadline(limits.started, options.overall_timeout),
    };
    walk::walk(plan, &limits, reporter, &cancel, |change| {
        step::run(context, change, cancel.clone())
    })
    .await
}
