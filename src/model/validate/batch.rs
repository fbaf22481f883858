//! Rules for run-to-completion settings: a CronJob's schedule and
//! concurrency policy, and `cron`/`job` only on the kinds they apply to.

use super::cron::{check_cron, CRON_HINT};
use super::scope::WorkloadScope;
use crate::model::diag::Diagnostic;
use crate::model::settings::WorkloadKind;

pub(super) fn batch_rules(s: &WorkloadScope, out: &mut Vec<Diagnostic>) {
    let config = s.config();
    if config.kind == WorkloadKind::CronJob {
        cron_job_rules(s, out);
    } else if config.cron.is_some() {
        out.push(
            s.error(
                "cron",
                format!(
                    "`cron` only applies to a CronJob, this is a {}",
                    config.kind.as_str()
                ),
            )
            .with_hint("set `kind: CronJob` on this workload, or remove `cron`"),
        );
    }
    if config.job.is_some() && config.kind.is_long_running() {
        out.push(
            s.error(
                "job",
                format!(
                    "`job` only applies to a Job or CronJob, this is a {}",
                    config.kind.as_str()
                ),
            )
            .with_hint("set `kind: Job` or `kind: CronJob`, or remove `job`"),
        );
    }
}

/// A schedule from here or floe.yaml (floe.yaml's own is checked with the
/// spec), and a known concurrency policy.
fn cron_job_rules(s: &WorkloadScope, out: &mut Vec<Diagnostic>) {
    let own = s.config().cron.as_ref();
    let own_schedule = own.and_then(|c| c.schedule.clone());
    let spec_schedule = || {
        s.product
            .spec
            .schedule
            .as_ref()
            .and_then(|sc| sc.cron.clone())
    };
    match own_schedule.clone().or_else(spec_schedule) {
        None => out.push(
            s.error("cron.schedule", "a CronJob needs a schedule")
                .with_hint("set `schedule.cron` in floe.yaml or `cron.schedule` here"),
        ),
        Some(expr) => {
            if own_schedule.is_some() {
                if let Err(why) = check_cron(&expr) {
                    out.push(
                        s.error(
                            "cron.schedule",
                            format!("invalid cron expression {expr:?}: {why}"),
                        )
                        .with_hint(CRON_HINT),
                    );
                }
            }
        }
    }
    if let Some(policy) = own.and_then(|c| c.concurrency_policy.as_ref()) {
        if !["Allow", "Forbid", "Replace"].contains(&policy.as_str()) {
            out.push(
                s.error(
                    "cron.concurrencyPolicy",
                    format!("unknown concurrency policy {policy:?}"),
                )
                .with_hint("use Allow, Forbid or Replace"),
            );
        }
    }
}
