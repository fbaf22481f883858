//! What an apply shows besides its live progress: the plan event of the
//! JSON stream and the summary at the end.

use crate::apply::session::SessionReport;
use crate::apply::{human_ms, ApplyReport, ObjectResult};
use crate::plan::{format, Action, Plan};
use std::fmt::Write;

/// The first line of the JSON event stream.
pub fn plan_event(plan: &Plan) -> String {
    let line =
        serde_json::json!({"event": "plan", "summary": plan.summary, "namespace": plan.namespace});
    format!("{line}\n")
}

/// The plan of the `--atomic` rollback, as an event of the JSON stream.
pub fn rollback_plan_event(revision: u64, plan: &Plan, time: &str) -> String {
    let line = serde_json::json!({"event": "rollback_plan", "revision": revision,
        "summary": plan.summary, "namespace": plan.namespace, "time": time});
    format!("{line}\n")
}

/// The plan of the `--atomic` rollback, shown like any plan.
pub fn rollback_plan_text(revision: u64, plan: &Plan, color: bool) -> String {
    format!(
        "Rolling back to revision {revision} (--atomic); its plan:\n{}",
        format::to_text(plan, color)
    )
}

/// The last line of the JSON event stream.
pub fn finished_event(outcome: &SessionReport) -> String {
    let report = &outcome.report;
    let rollback = outcome.rollback.as_ref().map(|(n, r)| {
        serde_json::json!({"revision": n, "succeeded": r.as_ref().map(|r| r.succeeded()).unwrap_or(false)})
    });
    let line = serde_json::json!({
        "event": "finished",
        "revision": outcome.revision,
        "succeeded": report.succeeded(),
        "interrupted": report.interrupted,
        "elapsed_ms": report.elapsed_ms,
        "objects": report.objects,
        "rollback": rollback,
    });
    format!("{line}\n")
}

/// "Apply complete! ..." or what failed, what was skipped and how the
/// rollback went.
pub fn summary(outcome: &SessionReport) -> String {
    let report = &outcome.report;
    if report.succeeded() {
        let count = |action: Action| done_count(report, action);
        let adopted = match count(Action::Adopt) {
            0 => String::new(),
            n => format!(", {n} adopted"),
        };
        return format!(
            "Apply complete! {} created, {} updated, {} replaced, {} destroyed{adopted} in {}. {}\n",
            count(Action::Create),
            count(Action::Update),
            count(Action::Replace),
            count(Action::Delete),
            human_ms(report.elapsed_ms),
            recorded(outcome)
        );
    }
    let ended = if report.interrupted {
        "interrupted"
    } else {
        "failed"
    };
    let mut text = format!(
        "Apply {ended} after {}. Recorded as revision {}.\n",
        human_ms(report.elapsed_ms),
        outcome.revision
    );
    text.push_str(&problems(report));
    if let Some((number, result)) = &outcome.rollback {
        text.push_str(&rollback_line(*number, result));
    }
    text
}

/// Where the apply was recorded; a deleted namespace takes its records along.
fn recorded(outcome: &SessionReport) -> String {
    let deleted = outcome.report.objects.iter().find(|o| {
        o.address.starts_with("namespace/")
            && o.action == Action::Delete
            && matches!(o.outcome, ObjectResult::Done { .. })
    });
    match deleted {
        Some(namespace) => format!(
            "{} is deleted, and floe's records of it with it.",
            namespace.address
        ),
        None => format!("Recorded as revision {}.", outcome.revision),
    }
}

fn done_count(report: &ApplyReport, action: Action) -> usize {
    report
        .objects
        .iter()
        .filter(|o| o.action == action && matches!(o.outcome, ObjectResult::Done { .. }))
        .count()
}

/// The failed objects with their diagnosis, and the skipped ones.
fn problems(report: &ApplyReport) -> String {
    let mut text = String::new();
    for o in &report.objects {
        match &o.outcome {
            ObjectResult::Failed { reason, diagnosis } => {
                let _ = writeln!(text, "  ✗ {}: {reason}", o.address);
                for d in diagnosis {
                    let _ = writeln!(text, "      {d}");
                }
            }
            ObjectResult::Skipped { reason } => {
                let _ = writeln!(text, "  - {} skipped: {reason}", o.address);
            }
            _ => {}
        }
    }
    text
}

fn rollback_line(number: u64, result: &Result<ApplyReport, String>) -> String {
    match result {
        Ok(r) if r.succeeded() => format!("Rolled back to revision {number} (--atomic).\n"),
        Ok(_) => format!("The rollback to revision {number} failed too; see `floe status`.\n"),
        Err(e) => format!("The rollback to revision {number} could not run: {e}\n"),
    }
}
