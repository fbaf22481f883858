//! Carrying out a plan: its changes in dependency order, each object waited on
//! until healthy before its dependents start, with bounded concurrency.
//!
//! Apply reads only the plan's changes and edges. A failure stops new work,
//! lets running objects finish, skips the failed object's dependents with the
//! reason, and still returns the full report.

pub mod diagnose;
pub mod session;

use crate::cluster::Cluster;
use crate::kinds::{self, Health, Kind, PodRefusals, WaitOn};
use crate::names::FIELD_MANAGER;
use crate::plan::{Action, Change, Plan};
use futures::stream::{FuturesUnordered, StreamExt};
use kube::api::{DeleteParams, Patch, PatchParams};
use serde::Serialize;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

/// What the engine tells whoever shows progress. Only the CLI knows how.
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
}

pub trait Reporter: Send + Sync {
    fn report(&self, event: &Event);
}

/// A reporter that drops everything (library callers and tests).
pub struct Silent;

impl Reporter for Silent {
    fn report(&self, _: &Event) {}
}

#[derive(Debug, Clone)]
pub struct ApplyOptions {
    pub concurrency: usize,
    /// How long one object may take to become healthy.
    pub object_timeout: Duration,
    /// How long the whole apply may take.
    pub overall_timeout: Duration,
    /// Take fields owned by other managers instead of failing.
    pub force_conflicts: bool,
    /// A pod stuck in a state that needs a change (image pull back-off,
    /// crash loop, unschedulable) fails its workload after this long,
    /// instead of waiting for the full timeout.
    pub fail_fast_after: Duration,
    pub poll_interval: Duration,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            concurrency: 16,
            object_timeout: Duration::from_secs(300),
            overall_timeout: Duration::from_secs(1800),
            force_conflicts: false,
            fail_fast_after: Duration::from_secs(15),
            poll_interval: Duration::from_millis(500),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Outcome {
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

impl Outcome {
    pub fn summary(&self) -> String {
        match self {
            Outcome::Unchanged => "unchanged".into(),
            Outcome::Done { elapsed_ms, note } => format!("{note} after {}", human_ms(*elapsed_ms)),
            Outcome::Failed { reason, .. } => format!("failed: {reason}"),
            Outcome::Skipped { reason } => format!("skipped: {reason}"),
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
    pub outcome: Outcome,
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
            && self
                .objects
                .iter()
                .all(|o| !matches!(o.outcome, Outcome::Failed { .. } | Outcome::Skipped { .. }))
    }

    pub fn failures(&self) -> impl Iterator<Item = &ObjectReport> {
        self.objects
            .iter()
            .filter(|o| matches!(o.outcome, Outcome::Failed { .. }))
    }
}

/// Why one object's step failed.
struct StepFailure {
    reason: String,
    diagnosis: Vec<String>,
}

impl StepFailure {
    fn plain(reason: impl Into<String>) -> Self {
        StepFailure {
            reason: reason.into(),
            diagnosis: Vec::new(),
        }
    }
}

/// Carries out `plan` against `cluster`. `cancel` turning true (Ctrl-C)
/// stops new work and ends waits; the report then says how far it got.
pub async fn apply(
    cluster: &Cluster,
    plan: &Plan,
    options: &ApplyOptions,
    reporter: &dyn Reporter,
    cancel: tokio::sync::watch::Receiver<bool>,
) -> ApplyReport {
    let start = Instant::now();
    let deadline = start + options.overall_timeout;
    let changes: HashMap<&str, &Change> = plan
        .changes
        .iter()
        .map(|c| (c.address.as_str(), c))
        .collect();
    // `to` waits for `from`.
    let mut deps: HashMap<&str, Vec<&str>> = HashMap::new();
    let mut dependents: HashMap<&str, Vec<&str>> = HashMap::new();
    for e in &plan.edges {
        if changes.contains_key(e.from.as_str()) && changes.contains_key(e.to.as_str()) {
            deps.entry(e.to.as_str()).or_default().push(e.from.as_str());
            dependents
                .entry(e.from.as_str())
                .or_default()
                .push(e.to.as_str());
        }
    }
    let total = plan.changes.iter().filter(|c| c.is_change()).count();
    let mut outcomes: HashMap<&str, Outcome> = HashMap::new();
    let mut succeeded: HashSet<&str> = HashSet::new();
    let mut started: HashSet<&str> = HashSet::new();
    let mut stop_reason: Option<String> = None;
    let mut running = FuturesUnordered::new();
    let mut done_count = 0;

    loop {
        let cancelled = *cancel.borrow();
        if cancelled && stop_reason.is_none() {
            stop_reason = Some("interrupted".into());
        }
        if Instant::now() >= deadline && stop_reason.is_none() {
            stop_reason = Some(format!(
                "the apply ran past its overall timeout of {}",
                human_ms(options.overall_timeout.as_millis())
            ));
        }
        if stop_reason.is_none() {
            for c in &plan.changes {
                let addr = c.address.as_str();
                if started.contains(addr) || running.len() >= options.concurrency.max(1) {
                    continue;
                }
                let ready = deps
                    .get(addr)
                    .is_none_or(|ds| ds.iter().all(|d| succeeded.contains(d)));
                if !ready {
                    continue;
                }
                started.insert(addr);
                if c.action == Action::NoOp {
                    outcomes.insert(addr, Outcome::Unchanged);
                    succeeded.insert(addr);
                    continue;
                }
                reporter.report(&Event::Started {
                    address: c.address.clone(),
                    action: c.action,
                });
                let cancel = cancel.clone();
                running.push(async move {
                    let t0 = Instant::now();
                    let result =
                        run_change(cluster, plan, c, options, deadline, reporter, cancel).await;
                    (addr, c.action, t0.elapsed(), result)
                });
            }
        }
        // NoOp nodes finish at once and may release dependents: go round again.
        if running.is_empty() {
            let pending = plan.changes.iter().any(|c| {
                !started.contains(c.address.as_str())
                    && deps
                        .get(c.address.as_str())
                        .is_none_or(|ds| ds.iter().all(|d| succeeded.contains(d)))
            });
            if pending && stop_reason.is_none() {
                continue;
            }
            break;
        }
        let Some((addr, action, elapsed, result)) = running.next().await else {
            break;
        };
        done_count += 1;
        match result {
            Ok(note) => {
                reporter.report(&Event::Done {
                    address: addr.to_string(),
                    action,
                    elapsed_ms: elapsed.as_millis(),
                    note: note.clone(),
                });
                outcomes.insert(
                    addr,
                    Outcome::Done {
                        elapsed_ms: elapsed.as_millis(),
                        note,
                    },
                );
                succeeded.insert(addr);
            }
            Err(f) => {
                reporter.report(&Event::Failed {
                    address: addr.to_string(),
                    elapsed_ms: elapsed.as_millis(),
                    reason: f.reason.clone(),
                    diagnosis: f.diagnosis.clone(),
                });
                if stop_reason.is_none() {
                    stop_reason = Some(format!("{addr} failed"));
                }
                outcomes.insert(
                    addr,
                    Outcome::Failed {
                        reason: f.reason,
                        diagnosis: f.diagnosis,
                    },
                );
            }
        }
        reporter.report(&Event::Progress {
            done: done_count,
            total,
        });
    }

    // Everything not started: dependents of a failure say which one.
    let failed: Vec<&str> = outcomes
        .iter()
        .filter(|(_, o)| matches!(o, Outcome::Failed { .. }))
        .map(|(a, _)| *a)
        .collect();
    let mut blame: HashMap<&str, &str> = HashMap::new();
    for f in &failed {
        let mut stack = vec![*f];
        while let Some(n) = stack.pop() {
            for d in dependents.get(n).into_iter().flatten() {
                if !blame.contains_key(d) {
                    blame.insert(d, f);
                    stack.push(d);
                }
            }
        }
    }
    let mut objects = Vec::with_capacity(plan.changes.len());
    for c in &plan.changes {
        let addr = c.address.as_str();
        let outcome = match outcomes.remove(addr) {
            Some(o) => o,
            None => {
                let reason = match (blame.get(addr), &stop_reason) {
                    (Some(f), _) => format!("depends on {f}, which failed"),
                    (None, Some(why)) => format!("not started: {why}"),
                    (None, None) => "not started".to_string(),
                };
                reporter.report(&Event::Skipped {
                    address: c.address.clone(),
                    reason: reason.clone(),
                });
                Outcome::Skipped { reason }
            }
        };
        objects.push(ObjectReport {
            address: c.address.clone(),
            action: c.action,
            outcome,
        });
    }
    ApplyReport {
        objects,
        interrupted: *cancel.borrow(),
        elapsed_ms: start.elapsed().as_millis(),
    }
}

async fn run_change(
    cluster: &Cluster,
    plan: &Plan,
    change: &Change,
    options: &ApplyOptions,
    overall_deadline: Instant,
    reporter: &dyn Reporter,
    mut cancel: tokio::sync::watch::Receiver<bool>,
) -> Result<String, StepFailure> {
    let key = &change.key;
    let kind = kinds::of(&key.group, &key.kind)
        .ok_or_else(|| StepFailure::plain(format!("{} is not a kind floe manages", key.kind)))?;
    let api = cluster.api(kind.info(), &key.namespace);
    let deadline = (Instant::now() + options.object_timeout).min(overall_deadline);

    if matches!(change.action, Action::Delete | Action::Replace) {
        match api.delete(&key.name, &DeleteParams::background()).await {
            Ok(_) => {}
            Err(kube::Error::Api(s)) if s.code == 404 => {}
            Err(e) => {
                return Err(StepFailure::plain(format!(
                    "delete refused: {}",
                    api_message(e)
                )))
            }
        }
        reporter.report(&Event::Waiting {
            address: change.address.clone(),
            message: "waiting until it is gone".into(),
        });
        loop {
            match api.get_opt(&key.name).await {
                Ok(None) => break,
                Ok(Some(_)) => {}
                Err(e) => {
                    return Err(StepFailure::plain(format!(
                        "cannot read: {}",
                        api_message(e)
                    )))
                }
            }
            if Instant::now() >= deadline {
                return Err(StepFailure::plain(
                    "still present after the timeout (a finalizer may hold it)",
                ));
            }
            if wait_or_cancel(options.poll_interval, &mut cancel).await {
                return Err(StepFailure::plain("interrupted while deleting"));
            }
        }
        if change.action == Action::Delete {
            return Ok("destroyed".into());
        }
    }

    let Some(body) = &change.desired else {
        return Err(StepFailure::plain("the plan holds no object to apply"));
    };
    let mut params = PatchParams::apply(FIELD_MANAGER);
    if options.force_conflicts {
        params = params.force();
    }
    if let Err(e) = api.patch(&key.name, &params, &Patch::Apply(body)).await {
        return Err(match e {
            kube::Error::Api(s) if s.code == 409 => StepFailure {
                reason: format!("field manager conflict: {}", s.message),
                diagnosis: vec!["another tool changed fields floe manages; re-run with --force-conflicts to take them back".into()],
            },
            other => StepFailure::plain(format!("the API server refused it: {}", api_message(other))),
        });
    }
    let verb = match change.action {
        Action::Create => "created",
        Action::Replace => "replaced",
        _ => "updated",
    };
    wait_healthy(
        cluster,
        plan,
        change,
        kind,
        &api,
        options,
        deadline,
        reporter,
        &mut cancel,
    )
    .await?;
    if kind.wait_on() == WaitOn::Endpoints {
        let ready = wait_endpoints(cluster, change, body, options, deadline, &mut cancel).await?;
        if let Some(n) = ready {
            return Ok(format!("{verb}, {n} endpoint(s) ready"));
        }
    }
    Ok(if kind.reports_ready() {
        format!("{verb}, ready")
    } else {
        verb.to_string()
    })
}

fn api_message(e: kube::Error) -> String {
    match e {
        kube::Error::Api(s) => s.message,
        other => other.to_string(),
    }
}

/// Sleeps for `d`; true when cancelled meanwhile.
async fn wait_or_cancel(d: Duration, cancel: &mut tokio::sync::watch::Receiver<bool>) -> bool {
    if *cancel.borrow() {
        return true;
    }
    tokio::select! {
        _ = tokio::time::sleep(d) => *cancel.borrow(),
        _ = cancel.changed() => true,
    }
}

#[allow(clippy::too_many_arguments)]
async fn wait_healthy(
    cluster: &Cluster,
    plan: &Plan,
    change: &Change,
    kind: &dyn Kind,
    api: &kube::Api<kube::api::DynamicObject>,
    options: &ApplyOptions,
    deadline: Instant,
    reporter: &dyn Reporter,
    cancel: &mut tokio::sync::watch::Receiver<bool>,
) -> Result<(), StepFailure> {
    let key = &change.key;
    let mut last_message = String::new();
    let mut stuck_since: Option<Instant> = None;
    let mut last_pod_check = Instant::now() - Duration::from_secs(60);
    // Most objects are ready within a moment of being applied; poll soon,
    // then back off to the configured interval.
    let mut interval = Duration::from_millis(100).min(options.poll_interval);
    loop {
        let live = match api.get(&key.name).await {
            Ok(o) => serde_json::to_value(o).unwrap_or(Value::Null),
            Err(e) => {
                return Err(StepFailure::plain(format!(
                    "cannot read it back: {}",
                    api_message(e)
                )))
            }
        };
        match kind.health(&live) {
            Health::Ready => return Ok(()),
            Health::Failed(reason) => {
                let diagnosis =
                    diagnose::diagnose(cluster, &plan.namespace, &key.name, &live).await;
                return Err(StepFailure { reason, diagnosis });
            }
            Health::Progressing(message) => {
                if message != last_message {
                    reporter.report(&Event::Waiting {
                        address: change.address.clone(),
                        message: message.clone(),
                    });
                    last_message = message.clone();
                }
                // Pods that cannot recover without a change fail the
                // workload early, with the pod's own reason.
                if let (WaitOn::Pods { refusals }, true) = (
                    kind.wait_on(),
                    last_pod_check.elapsed() >= Duration::from_secs(2),
                ) {
                    last_pod_check = Instant::now();
                    let pods = diagnose::pods_of(cluster, &plan.namespace, &live, 20).await;
                    let mut stuck = pods.iter().find_map(kinds::stuck_reason);
                    // No pods at all: admission (quota, LimitRange) may be
                    // refusing them; the ReplicaSet says so first.
                    if stuck.is_none() && pods.is_empty() {
                        stuck = match refusals {
                            PodRefusals::ReplicaSetCondition => {
                                diagnose::replica_failure(cluster, &plan.namespace, &live).await
                            }
                            PodRefusals::FailedCreateEvent => {
                                diagnose::failed_create(cluster, &plan.namespace, &key.name).await
                            }
                        };
                    }
                    match (&stuck, stuck_since) {
                        (Some(_), None) => stuck_since = Some(Instant::now()),
                        (None, _) => stuck_since = None,
                        _ => {}
                    }
                    if let (Some(reason), Some(since)) = (stuck, stuck_since) {
                        if since.elapsed() >= options.fail_fast_after {
                            let diagnosis =
                                diagnose::diagnose(cluster, &plan.namespace, &key.name, &live)
                                    .await;
                            return Err(StepFailure {
                                reason: format!("pods are stuck: {reason}"),
                                diagnosis,
                            });
                        }
                    }
                }
                if Instant::now() >= deadline {
                    let diagnosis =
                        diagnose::diagnose(cluster, &plan.namespace, &key.name, &live).await;
                    return Err(StepFailure {
                        reason: format!("not ready before the timeout: {message}"),
                        diagnosis,
                    });
                }
            }
        }
        if wait_or_cancel(interval, cancel).await {
            return Err(StepFailure::plain(format!(
                "interrupted while waiting: {last_message}"
            )));
        }
        interval = (interval * 2).min(options.poll_interval);
    }
}

/// A Service that selects pods is ready once the endpoint controller lists
/// them: at least one ready endpoint when a selected pod is ready. Returns
/// the ready endpoint count, or `None` for a Service without a selector.
async fn wait_endpoints(
    cluster: &Cluster,
    change: &Change,
    body: &Value,
    options: &ApplyOptions,
    deadline: Instant,
    cancel: &mut tokio::sync::watch::Receiver<bool>,
) -> Result<Option<usize>, StepFailure> {
    use k8s_openapi::api::core::v1::Pod;
    use k8s_openapi::api::discovery::v1::EndpointSlice;
    let Some(selector) = body
        .pointer("/spec/selector")
        .and_then(Value::as_object)
        .filter(|s| !s.is_empty())
    else {
        return Ok(None);
    };
    let selector: Vec<String> = selector
        .iter()
        .filter_map(|(k, v)| v.as_str().map(|v| format!("{k}={v}")))
        .collect();
    let ns = &change.key.namespace;
    let slices: kube::Api<EndpointSlice> = kube::Api::namespaced(cluster.client.clone(), ns);
    let pods: kube::Api<Pod> = kube::Api::namespaced(cluster.client.clone(), ns);
    let by_service = kube::api::ListParams::default()
        .labels(&format!("kubernetes.io/service-name={}", change.key.name));
    let by_selector = kube::api::ListParams::default().labels(&selector.join(","));
    loop {
        let listed = slices.list(&by_service).await.map_err(|e| {
            StepFailure::plain(format!("cannot list endpoints: {}", api_message(e)))
        })?;
        let ready = listed
            .items
            .iter()
            .flat_map(|s| s.endpoints.iter())
            .filter(|e| e.conditions.as_ref().and_then(|c| c.ready).unwrap_or(false))
            .count();
        let ready_pods = pods
            .list(&by_selector)
            .await
            .map(|l| {
                l.items
                    .iter()
                    .filter(|p| {
                        p.status
                            .as_ref()
                            .and_then(|s| s.conditions.as_ref())
                            .is_some_and(|cs| {
                                cs.iter().any(|c| c.type_ == "Ready" && c.status == "True")
                            })
                    })
                    .count()
            })
            .unwrap_or(0);
        if !listed.items.is_empty() && (ready > 0 || ready_pods == 0) {
            return Ok(Some(ready));
        }
        if Instant::now() >= deadline {
            return Err(StepFailure::plain(format!(
                "no ready endpoints before the timeout although {ready_pods} selected pod(s) are ready (check the Service's selector and targetPort)"
            )));
        }
        if wait_or_cancel(options.poll_interval, cancel).await {
            return Err(StepFailure::plain(
                "interrupted while waiting for endpoints",
            ));
        }
    }
}
