//! The scheduler of an apply, apart from what one change does: it walks the
//! plan's changes in dependency order and hands each to a step callback once
//! everything it waits for has succeeded, at most `concurrency` at a time.
//!
//! A failed step, cancellation or the overall deadline stops new work;
//! running steps finish; what never started is skipped with the reason (the
//! dependents of a failed change name it).

use super::failure::StepFailure;
use super::report::{human_ms, ApplyReport, Event, ObjectReport, ObjectResult, Reporter};
use crate::plan::{Action, Change, Plan};
use futures::stream::{FuturesUnordered, StreamExt};
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// Bounds of one walk.
pub(super) struct Limits {
    pub concurrency: usize,
    pub started: Instant,
    pub overall_timeout: Duration,
}

/// Walks `plan`, running `step` for every change that does something.
/// `cancel` turning true stops new work; the report says how far it got.
pub(super) async fn walk<'p, F, Fut>(
    plan: &'p Plan,
    limits: &Limits,
    reporter: &dyn Reporter,
    cancel: &watch::Receiver<bool>,
    step: F,
) -> ApplyReport
where
    F: Fn(&'p Change) -> Fut,
    Fut: Future<Output = Result<String, StepFailure>>,
{
    let mut walk = Walk::new(plan);
    let mut running = FuturesUnordered::new();
    let step = &step;
    loop {
        walk.note_stop(*cancel.borrow(), limits);
        if walk.stop_reason.is_none() {
            for change in walk.start_ready(running.len(), limits.concurrency.max(1)) {
                reporter.report(&Event::Started {
                    address: change.address.clone(),
                    action: change.action,
                });
                running.push(async move {
                    let began = Instant::now();
                    let result = step(change).await;
                    (change, began.elapsed(), result)
                });
            }
        }
        // Unchanged changes finish at once and may release dependents.
        if running.is_empty() {
            if walk.stop_reason.is_none() && walk.any_ready() {
                continue;
            }
            break;
        }
        let Some((change, elapsed, result)) = running.next().await else {
            break;
        };
        walk.finish(change, elapsed, result, reporter);
    }
    walk.into_report(reporter, *cancel.borrow(), limits.started.elapsed())
}

/// The plan's edges between its changes: `to` waits for `from`.
struct Edges<'p> {
    dependencies: HashMap<&'p str, Vec<&'p str>>,
    dependents: HashMap<&'p str, Vec<&'p str>>,
}

impl<'p> Edges<'p> {
    fn of(plan: &'p Plan) -> Self {
        let addresses: HashSet<&str> = plan.changes.iter().map(|c| c.address.as_str()).collect();
        let mut edges = Edges {
            dependencies: HashMap::new(),
            dependents: HashMap::new(),
        };
        for e in &plan.edges {
            let (from, to) = (e.from.as_str(), e.to.as_str());
            if addresses.contains(from) && addresses.contains(to) {
                edges.dependencies.entry(to).or_default().push(from);
                edges.dependents.entry(from).or_default().push(to);
            }
        }
        edges
    }

    /// Every change that waits for `failed`, directly or not, mapped to the
    /// failed change it waits for (the first one found).
    fn blame(&self, failed: &[&'p str]) -> HashMap<&'p str, &'p str> {
        let mut blame: HashMap<&str, &str> = HashMap::new();
        for &culprit in failed {
            let mut stack = vec![culprit];
            while let Some(address) = stack.pop() {
                for &dependent in self.dependents.get(address).into_iter().flatten() {
                    if !blame.contains_key(dependent) {
                        blame.insert(dependent, culprit);
                        stack.push(dependent);
                    }
                }
            }
        }
        blame
    }
}

/// Where a walk stands.
struct Walk<'p> {
    plan: &'p Plan,
    edges: Edges<'p>,
    results: HashMap<&'p str, ObjectResult>,
    succeeded: HashSet<&'p str>,
    started: HashSet<&'p str>,
    stop_reason: Option<String>,
    finished: usize,
    total: usize,
}

impl<'p> Walk<'p> {
    fn new(plan: &'p Plan) -> Self {
        Walk {
            plan,
            edges: Edges::of(plan),
            results: HashMap::new(),
            succeeded: HashSet::new(),
            started: HashSet::new(),
            stop_reason: None,
            finished: 0,
            total: plan.changes.iter().filter(|c| c.is_change()).count(),
        }
    }

    /// Records the first reason to stop starting work.
    fn note_stop(&mut self, cancelled: bool, limits: &Limits) {
        if self.stop_reason.is_some() {
            return;
        }
        if cancelled {
            self.stop_reason = Some("interrupted".into());
        } else if limits.started.elapsed() >= limits.overall_timeout {
            self.stop_reason = Some(format!(
                "the apply ran past its overall timeout of {}",
                human_ms(limits.overall_timeout.as_millis())
            ));
        }
    }

    /// Everything `address` waits for has succeeded.
    fn is_ready(&self, address: &str) -> bool {
        self.edges
            .dependencies
            .get(address)
            .is_none_or(|ds| ds.iter().all(|d| self.succeeded.contains(d)))
    }

    fn any_ready(&self) -> bool {
        self.plan.changes.iter().any(|c| {
            let address = c.address.as_str();
            !self.started.contains(address) && self.is_ready(address)
        })
    }

    /// Marks the ready changes started, in plan order, while fewer than
    /// `limit` run; unchanged ones succeed at once, the rest are returned.
    fn start_ready(&mut self, mut running: usize, limit: usize) -> Vec<&'p Change> {
        let mut to_run = Vec::new();
        for change in &self.plan.changes {
            let address = change.address.as_str();
            if self.started.contains(address) || running >= limit || !self.is_ready(address) {
                continue;
            }
            self.started.insert(address);
            if change.action == Action::NoOp {
                self.results.insert(address, ObjectResult::Unchanged);
                self.succeeded.insert(address);
                continue;
            }
            running += 1;
            to_run.push(change);
        }
        to_run
    }

    fn finish(
        &mut self,
        change: &'p Change,
        elapsed: Duration,
        result: Result<String, StepFailure>,
        reporter: &dyn Reporter,
    ) {
        let address = change.address.as_str();
        let elapsed_ms = elapsed.as_millis();
        self.finished += 1;
        let result = match result {
            Ok(note) => {
                reporter.report(&Event::Done {
                    address: change.address.clone(),
                    action: change.action,
                    elapsed_ms,
                    note: note.clone(),
                });
                self.succeeded.insert(address);
                ObjectResult::Done { elapsed_ms, note }
            }
            Err(StepFailure { reason, diagnosis }) => {
                reporter.report(&Event::Failed {
                    address: change.address.clone(),
                    elapsed_ms,
                    reason: reason.clone(),
                    diagnosis: diagnosis.clone(),
                });
                self.stop_reason
                    .get_or_insert_with(|| format!("{address} failed"));
                ObjectResult::Failed { reason, diagnosis }
            }
        };
        self.results.insert(address, result);
        reporter.report(&Event::Progress {
            done: self.finished,
            total: self.total,
        });
    }

    /// The report in plan order; what never started is skipped, a failed
    /// change's dependents saying which one.
    fn into_report(
        mut self,
        reporter: &dyn Reporter,
        interrupted: bool,
        elapsed: Duration,
    ) -> ApplyReport {
        let failed: Vec<&str> = self
            .plan
            .changes
            .iter()
            .map(|c| c.address.as_str())
            .filter(|a| matches!(self.results.get(a), Some(ObjectResult::Failed { .. })))
            .collect();
        let blame = self.edges.blame(&failed);
        let mut objects = Vec::with_capacity(self.plan.changes.len());
        for change in &self.plan.changes {
            let address = change.address.as_str();
            let outcome = self.results.remove(address).unwrap_or_else(|| {
                let reason = match (blame.get(address), &self.stop_reason) {
                    (Some(culprit), _) => format!("depends on {culprit}, which failed"),
                    (None, Some(why)) => format!("not started: {why}"),
                    (None, None) => "not started".to_string(),
                };
                reporter.report(&Event::Skipped {
                    address: change.address.clone(),
                    reason: reason.clone(),
                });
                ObjectResult::Skipped { reason }
            });
            objects.push(ObjectReport {
                address: change.address.clone(),
                action: change.action,
                outcome,
            });
        }
        ApplyReport {
            objects,
            interrupted,
            elapsed_ms: elapsed.as_millis(),
        }
    }
}
