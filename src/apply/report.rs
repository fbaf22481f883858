//! What an apply tells: events while it runs (only the CLI knows how to
//! show them) and the report of how each object ended.

use crate::plan::{Action, Plan};
use serde::Serialize;

/// What the engine tells whoever shows progress.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    Started {
        address: String,
        action: Action,
    },
    Waiting {
        address: String,
        message: String,
    },
    Done {
        address: String,
        action: Action,
        elapsed_ms: u128,
        note: String,
    },
    Failed {
        address: String,
        elapsed_ms: u128,
        reason: String,
        diagnosis: Vec<String>,
    },
    Skipped {
        address: String,
        reason: String,
    },
    Progress {
        done: usize,
        total: usize,
    },
    /// Something the user should know that is about no one object (the
    /// lock: waited for, taken over).
    Notice {
        message: String,
    },
}

pub trait Reporter: Send + Sync {
    fn report(&self, event: &Event);

    /// The plan of the `--atomic` rollback to revision `revision`, before
    /// it is checked and carried out: the way back is shown like any plan.
    fn rollback_plan(&self, _revision: u64, _plan: &Plan) {}
}

/// A reporter that drops everything (library callers and tests).
pub struct Silent;

impl Reporter for Silent {
    fn report(&self, _: &Event) {}
}

/// How one object of the plan ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum ObjectResult {
    Unchanged,
    Done {
        elapsed_ms: u128,
        note: String,
    },
    Failed {
        reason: String,
        diagnosis: Vec<String>,
    },
    Skipped {
        reason: String,
    },
}

impl ObjectResult {
    pub fn summary(&self) -> String {
        match self {
            ObjectResult::Unchanged => "unchanged".into(),
            ObjectResult::Done { elapsed_ms, note } => {
                format!("{note} after {}", human_ms(*elapsed_ms))
            }
            ObjectResult::Failed { reason, .. } => format!("failed: {reason}"),
            ObjectResult::Skipped { reason } => format!("skipped: {reason}"),
        }
    }
}

pub fn human_ms(ms: u128) -> String {
    if ms < 1000 {
        format!("{ms}ms")
    } else if ms < 60_000 {
        format!("{}s", ms / 1000)
    } else {
        format!("{}m{}s", ms / 60_000, (ms % 60_000) / 1000)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ObjectReport {
    pub address: String,
    pub action: Action,
    pub outcome: ObjectResult,
}

#[derive(Debug, Clone, Serialize)]
pub struct ApplyReport {
    pub objects: Vec<ObjectReport>,
    pub interrupted: bool,
    pub elapsed_ms: u128,
}

impl ApplyReport {
    pub fn succeeded(&self) -> bool {
        !self.interrupted
            && self.objects.iter().all(|o| {
                !matches!(
                    o.outcome,
                    ObjectResult::Failed { .. } | ObjectResult::Skipped { .. }
                )
            })
    }

    pub fn failures(&self) -> impl Iterator<Item = &ObjectReport> {
        self.objects
            .iter()
            .filter(|o| matches!(o.outcome, ObjectResult::Failed { .. }))
    }
}
