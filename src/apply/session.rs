//! One apply as the user sees it: take the lock, record the revision as
//! in-progress, carry out the plan, record how it ended, and with `atomic`
//! go back to the previous good revision after a failure.

use super::way_back::{StoredBodies, WayBack};
use super::{apply, ApplyOptions, ApplyReport, Event, ObjectResult, Reporter};
use crate::cluster::{Cluster, ClusterError};
use crate::kinds;
use crate::names::{FIELD_MANAGER, LABEL_ENVIRONMENT, LABEL_MANAGED_BY, LABEL_PRODUCT};
use crate::object::ObjectKey;
use crate::plan::compare::first_difference;
use crate::plan::compute::{self, PlanOptions};
use crate::plan::fresh::{self, StaleError};
use crate::plan::observe::owned_by;
use crate::plan::{sensitive, PlanError};
use crate::plan::{Action, Plan};
use crate::render::DesiredSet;
use crate::state::{self, History, Lock, ObjectOutcome, RevisionMeta, RevisionOutcome, StateError};
use kube::api::{DynamicObject, PostParams};
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    #[error(transparent)]
    State(#[from] StateError),
    #[error("cannot create namespace {namespace}: {message}")]
    Namespace { namespace: String, message: String },
    #[error("the plan holds changes that need an explicit flag: {}", .0.join("; "))]
    Blocked(Vec<String>),
    #[error("the cluster changed after the plan was reviewed; nothing was applied")]
    Stale(#[source] StaleError),
    #[error("cannot make the plan again under the lock")]
    Replan(#[source] PlanError),
    #[error("the plan no longer matches: {0}; nothing was applied")]
    NoLongerMatches(String),
    #[error("interrupted while waiting for the lock; nothing was applied")]
    InterruptedWaiting,
    #[error("stopped at once by a second signal; revision {revision} {}", if *.marked { "is recorded as interrupted" } else { "could not be recorded (the next apply marks it interrupted)" })]
    Abandoned { revision: u64, marked: bool },
}

/// What is checked once the lock is held, before anything is written: the
/// cluster may have changed between the review and the lock.
#[derive(Debug, Clone, Default)]
pub enum Recheck {
    /// A plan made in this process: every object it covers must still be at
    /// the resourceVersion the plan saw, and no owned object may have
    /// appeared.
    #[default]
    Fresh,
    /// A saved plan: make the plan again from this desired set (rendered
    /// again from its source) and apply only if it equals the saved one.
    Replan(DesiredSet),
}

#[derive(Debug, Clone)]
pub struct SessionOptions {
    pub apply: ApplyOptions,
    /// After a failure, go back to the last successful revision.
    pub atomic: bool,
    pub history_max: usize,
    /// Where the desired set came from (directory or OCI digest).
    pub source: String,
    pub signature: Option<String>,
    /// Digest of the product input that was rendered, for the record.
    pub input_digest: Option<String>,
    /// The artifact rendered, pinned to its digest, for the record.
    pub artifact: Option<String>,
    pub lock_ttl: Duration,
    /// How long to wait for a lock another apply holds before giving up.
    pub lock_wait: Duration,
    /// How a rollback (and a saved plan's re-plan) is planned: the
    /// guardrail flags the apply was given.
    pub plan: PlanOptions,
    pub recheck: Recheck,
    /// Turns true when the apply is to be abandoned at once (a second
    /// signal): running steps are dropped, not waited for.
    pub abandon: Option<watch::Receiver<bool>>,
    /// How the rollback turns the revision it goes back to into a desired
    /// set (an artifact's revision is verified again by the layer above).
    pub way_back: Arc<dyn WayBack>,
}

impl Default for SessionOptions {
    fn default() -> Self {
        SessionOptions {
            apply: ApplyOptions::default(),
            atomic: false,
            history_max: 10,
            source: String::new(),
            signature: None,
            input_digest: None,
            artifact: None,
            lock_ttl: Duration::from_secs(60),
            lock_wait: Duration::ZERO,
            plan: PlanOptions::default(),
            recheck: Recheck::Fresh,
            abandon: None,
            way_back: Arc::new(StoredBodies),
        }
    }
}

#[derive(Debug)]
pub struct SessionReport {
    pub revision: u64,
    pub report: ApplyReport,
    /// With `atomic`: the revision rolled back to and how that went.
    pub rollback: Option<(u64, Result<ApplyReport, String>)>,
}

/// The desired object bodies of a plan (what a revision stores).
pub fn desired_bodies(plan: &Plan) -> Vec<Value> {
    plan.changes
        .iter()
        .filter_map(|c| c.desired.clone())
        .collect()
}

fn outcomes(report: &ApplyReport) -> Vec<ObjectOutcome> {
    report
        .objects
        .iter()
        .map(|o| ObjectOutcome {
            address: o.address.clone(),
            action: o.action.steps().join("+"),
            result: o.outcome.summary(),
        })
        .collect()
}

/// The namespace must exist before the lock (a Lease in it) can be taken.
/// It is created, never updated. Returns the namespace's key when it is
/// now as the plan says: created by this call, or by a racing first deploy
/// of the same product and environment; a namespace someone else made is
/// not settled, and the check under the lock sees that the cluster moved.
async fn ensure_namespace(
    cluster: &Cluster,
    plan: &Plan,
) -> Result<Option<ObjectKey>, SessionError> {
    let Some(ns) = plan
        .changes
        .iter()
        .find(|c| c.key.kind == "Namespace" && c.key.name == plan.namespace)
    else {
        return Ok(None);
    };
    let (Some(body), Action::Create) = (&ns.desired, ns.action) else {
        return Ok(None);
    };
    let object = bootstrap_namespace(body).map_err(|e| SessionError::Namespace {
        namespace: plan.namespace.clone(),
        message: e.to_string(),
    })?;
    let params = PostParams {
        field_manager: Some(FIELD_MANAGER.to_string()),
        ..PostParams::default()
    };
    let api = cluster.api(kinds::namespace(), "");
    match api.create(&params, &object).await {
        Ok(_) => Ok(Some(ns.key.clone())),
        Err(kube::Error::Api(e)) if e.code == 409 => {
            let api = cluster.api(kinds::namespace(), "");
            let existing = api.get_opt(&plan.namespace).await.ok().flatten();
            let ours = existing
                .and_then(|ns| serde_json::to_value(ns).ok())
                .is_some_and(|ns| owned_by(&ns, &plan.product, &plan.environment));
            Ok(ours.then(|| ns.key.clone()))
        }
        Err(e) => Err(SessionError::Namespace {
            namespace: plan.namespace.clone(),
            message: e.to_string(),
        }),
    }
}

/// The namespace as created before the lock: its name and the labels that
/// make it this product's, nothing else. A create is recorded as floe's
/// update, and server-side apply (every later write) conflicts with such a
/// record when a field it holds changes: these labels never change, the
/// rest (the version, Pod Security labels) is left to the apply.
fn bootstrap_namespace(body: &Value) -> Result<DynamicObject, serde_json::Error> {
    let labels: serde_json::Map<String, Value> = body
        .pointer("/metadata/labels")
        .and_then(Value::as_object)
        .map(|labels| {
            labels
                .iter()
                .filter(|(k, _)| {
                    [LABEL_MANAGED_BY, LABEL_PRODUCT, LABEL_ENVIRONMENT].contains(&k.as_str())
                })
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default();
    serde_json::from_value(serde_json::json!({
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": body.pointer("/metadata/name"), "labels": labels},
    }))
}

/// Refuses to go on when the cluster is no longer what the plan was made
/// against (see [`Recheck`]); `settled` is the namespace created just now.
async fn recheck(
    cluster: &Cluster,
    plan: &Plan,
    options: &SessionOptions,
    settled: Option<&ObjectKey>,
) -> Result<(), SessionError> {
    match &options.recheck {
        Recheck::Fresh => fresh::check_fresh_except(cluster, plan, settled)
            .await
            .map_err(SessionError::Stale),
        Recheck::Replan(desired) => {
            let now = compute::plan(cluster, desired, &options.plan)
                .await
                .map_err(SessionError::Replan)?;
            match first_difference(plan, &now, settled) {
                Some(difference) => Err(SessionError::NoLongerMatches(difference)),
                None => Ok(()),
            }
        }
    }
}

/// Refuses a plan with a change a guardrail holds back.
pub fn check_not_blocked(plan: &Plan) -> Result<(), SessionError> {
    let mut blocked = plan.blocked.clone();
    for change in &plan.changes {
        if let Some(flag) = &change.requires_flag {
            let text = format!("{} needs {flag}", change.address);
            if !blocked.iter().any(|b| b.starts_with(&change.address)) {
                blocked.push(text);
            }
        }
    }
    if blocked.is_empty() {
        Ok(())
    } else {
        Err(SessionError::Blocked(blocked))
    }
}

/// Applies `plan` with the lock held and the revision recorded.
pub async fn run(
    cluster: &Cluster,
    plan: &Plan,
    options: &SessionOptions,
    reporter: &dyn Reporter,
    cancel: tokio::sync::watch::Receiver<bool>,
) -> Result<SessionReport, SessionError> {
    // Whoever calls, a change held back by a guardrail is never carried out.
    check_not_blocked(plan)?;
    let settled = ensure_namespace(cluster, plan).await?;
    let lock = acquire_waiting(cluster, plan, options, reporter, cancel.clone()).await?;
    let result = match recheck(cluster, plan, options, settled.as_ref()).await {
        Ok(()) => run_locked(cluster, plan, options, reporter, cancel, &lock).await,
        Err(e) => Err(e),
    };
    let released = match &result {
        // Bounded: the process is about to exit, whatever the cluster says.
        Err(SessionError::Abandoned { .. }) => tokio::time::timeout(ABANDON_GRACE, lock.release())
            .await
            .unwrap_or(Ok(())),
        _ => lock.release().await,
    };
    let report = result?;
    released?;
    Ok(report)
}

/// Takes the lock, waiting up to `options.lock_wait` for a live holder
/// with a countdown; a holder this machine knows to be dead is taken over
/// at once, with a notice.
async fn acquire_waiting(
    cluster: &Cluster,
    plan: &Plan,
    options: &SessionOptions,
    reporter: &dyn Reporter,
    mut cancel: watch::Receiver<bool>,
) -> Result<Lock, SessionError> {
    let started = Instant::now();
    let give_up = super::clock::deadline(started, options.lock_wait);
    let mut told = None::<Instant>;
    loop {
        let holder = state::default_holder();
        match Lock::acquire(cluster, &plan.namespace, &holder, options.lock_ttl).await {
            Ok(lock) => {
                if let Some(dead) = lock.taken_from() {
                    reporter.report(&Event::Notice {
                        message: format!("Took over the lock from {dead}: that process is no longer running on this machine."),
                    });
                }
                return Ok(lock);
            }
            Err(StateError::Locked { holder, .. }) if Instant::now() < give_up => {
                let left = give_up.saturating_duration_since(Instant::now());
                if told.is_none_or(|t| t.elapsed() >= LOCK_COUNTDOWN_EVERY) {
                    told = Some(Instant::now());
                    reporter.report(&Event::Notice {
                        message: format!(
                            "Waiting for the lock held by {holder}; giving up in {}s",
                            left.as_secs().max(1)
                        ),
                    });
                }
                tokio::select! {
                    () = tokio::time::sleep(left.min(LOCK_POLL)) => {}
                    Ok(_) = cancel.wait_for(|now| *now) => return Err(SessionError::InterruptedWaiting),
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
}

const LOCK_POLL: Duration = Duration::from_secs(1);
const LOCK_COUNTDOWN_EVERY: Duration = Duration::from_secs(5);

async fn run_locked(
    cluster: &Cluster,
    plan: &Plan,
    options: &SessionOptions,
    reporter: &dyn Reporter,
    cancel: tokio::sync::watch::Receiver<bool>,
    lock: &Lock,
) -> Result<SessionReport, SessionError> {
    let history = History::new(cluster, &plan.namespace, &plan.product, &plan.environment);
    let revisions = history.list().await?;
    // With the lock held no other apply runs: a revision still in progress
    // was left by a process that died (killed, connection lost) before it
    // could say how it ended.
    for stale in revisions
        .iter()
        .filter(|r| r.outcome == RevisionOutcome::InProgress)
    {
        history
            .finish(stale.number, RevisionOutcome::Interrupted, Vec::new())
            .await?;
    }
    let previous_good = revisions
        .into_iter()
        .find(|r| r.outcome == RevisionOutcome::Succeeded)
        .map(|r| r.number);
    let meta = revision_meta(plan, options, History::whoami(cluster).await);
    let number = history.begin(meta, &desired_bodies(plan)).await?;

    let applying = holding(lock, options.lock_ttl, cancel.clone(), |stop| {
        apply(cluster, plan, &options.apply, reporter, stop)
    });
    let abandoned = || async {
        let marked = tokio::time::timeout(
            ABANDON_GRACE,
            history.finish(number, RevisionOutcome::Interrupted, Vec::new()),
        )
        .await
        .is_ok_and(|r| r.is_ok());
        SessionError::Abandoned {
            revision: number,
            marked,
        }
    };
    let Some((report, lost)) = unless_abandoned(options.abandon.clone(), applying).await else {
        return Err(abandoned().await);
    };
    // Recording how it ended needs the cluster too: a second signal while
    // that hangs still stops at once.
    let locked = Locked {
        cluster,
        plan,
        options,
        reporter,
        lock,
    };
    let ending = finish_locked(
        locked,
        cancel,
        &history,
        number,
        previous_good,
        report,
        lost,
    );
    match unless_abandoned(options.abandon.clone(), ending).await {
        Some(result) => result,
        None => Err(abandoned().await),
    }
}

/// What an apply holding the lock works with.
#[derive(Clone, Copy)]
struct Locked<'a> {
    cluster: &'a Cluster,
    plan: &'a Plan,
    options: &'a SessionOptions,
    reporter: &'a dyn Reporter,
    lock: &'a Lock,
}

/// After the apply: record its outcome, prune, and with `atomic` roll back.
async fn finish_locked(
    locked: Locked<'_>,
    cancel: tokio::sync::watch::Receiver<bool>,
    history: &History<'_>,
    number: u64,
    previous_good: Option<u64>,
    report: ApplyReport,
    lost: Option<StateError>,
) -> Result<SessionReport, SessionError> {
    let Locked {
        cluster,
        plan,
        options,
        reporter,
        lock,
    } = locked;
    if deleted_its_namespace(plan, &report) {
        // The lock and the revision records went with the namespace:
        // there is nothing left to record the outcome in, and a lease
        // that vanished meanwhile is no other writer.
        return Ok(SessionReport {
            revision: number,
            report,
            rollback: None,
        });
    }
    let outcome = match (&lost, report.interrupted, report.succeeded()) {
        (Some(_), _, _) => RevisionOutcome::LockLost,
        (None, true, _) => RevisionOutcome::Interrupted,
        (None, false, true) => RevisionOutcome::Succeeded,
        (None, false, false) => RevisionOutcome::Failed,
    };
    history.finish(number, outcome, outcomes(&report)).await?;
    if let Some(lost) = lost {
        // Another writer may be at work now: neither prune nor roll back.
        return Err(lost.into());
    }
    let _ = history.prune(options.history_max.max(1)).await;

    let rollback = match previous_good {
        Some(good) if options.atomic && outcome == RevisionOutcome::Failed => {
            let (result, lost) = holding(lock, options.lock_ttl, cancel, |stop| {
                roll_back(
                    cluster, history, good, number, plan, options, reporter, stop,
                )
            })
            .await;
            if let Some(lost) = lost {
                return Err(lost.into());
            }
            // The rollback's own report still reaches the caller when
            // this note cannot be written.
            let _ = history
                .record_rollback(number, &rollback_note(good, &result))
                .await;
            Some((good, result))
        }
        _ => None,
    };
    Ok(SessionReport {
        revision: number,
        report,
        rollback,
    })
}

/// How long an abandoned apply may spend recording itself and releasing
/// the lock: a second signal means "now", even with the cluster gone.
const ABANDON_GRACE: Duration = Duration::from_secs(2);

/// `work`'s output, or `None` as soon as `abandon` turns true (the work is
/// dropped then).
async fn unless_abandoned<T>(
    abandon: Option<watch::Receiver<bool>>,
    work: impl std::future::Future<Output = T>,
) -> Option<T> {
    let Some(mut abandon) = abandon else {
        return Some(work.await);
    };
    let abandoned = async move {
        if abandon.wait_for(|now| *now).await.is_err() {
            // Nobody can abandon any more: only the work can end this.
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        output = work => Some(output),
        () = abandoned => None,
    }
}

/// Whether the apply deleted the namespace it runs in (a destroy).
pub fn deleted_its_namespace(plan: &Plan, report: &ApplyReport) -> bool {
    let address = format!("namespace/{}", plan.namespace);
    report.objects.iter().any(|o| {
        o.address == address
            && o.action == Action::Delete
            && matches!(o.outcome, ObjectResult::Done { .. })
    })
}

/// The record of an apply of `plan` by `user`, as it starts.
fn revision_meta(plan: &Plan, options: &SessionOptions, user: String) -> RevisionMeta {
    RevisionMeta {
        number: 0,
        time: k8s_openapi::jiff::Timestamp::now().to_string(),
        user,
        source: options.source.clone(),
        signature: options.signature.clone(),
        input_digest: options.input_digest.clone(),
        artifact: options.artifact.clone(),
        plan_digest: plan_digest(plan),
        desired_digest: plan.desired_digest.clone(),
        product: plan.product.clone(),
        product_version: plan.product_version.clone(),
        environment: plan.environment.clone(),
        namespace: plan.namespace.clone(),
        outcome: RevisionOutcome::InProgress,
        objects: Vec::new(),
        rollback: None,
    }
}

/// Runs `work` while renewing the lock every third of its TTL. The work's
/// cancel receiver turns true on the caller's cancel, and when the lock is
/// lost: taken over, or not renewed for two thirds of its TTL (past that,
/// another apply may take it any moment). Returns the work's output and,
/// when the lock was lost, why.
async fn holding<F, Fut, T>(
    lock: &Lock,
    ttl: Duration,
    mut cancel: watch::Receiver<bool>,
    work: F,
) -> (T, Option<StateError>)
where
    F: FnOnce(watch::Receiver<bool>) -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let (stop, stopped) = watch::channel(*cancel.borrow());
    let work = work(stopped);
    tokio::pin!(work);
    let (mut lost, mut cancel_open) = (None, true);
    let mut renewed = Instant::now();
    loop {
        tokio::select! {
            output = &mut work => return (output, lost),
            changed = cancel.changed(), if cancel_open => match changed {
                Ok(()) => { let _ = stop.send(*cancel.borrow()); }
                Err(_) => cancel_open = false,
            },
            _ = tokio::time::sleep(ttl / 3), if lost.is_none() => {
                match lock.renew().await {
                    Ok(()) => renewed = Instant::now(),
                    Err(e @ StateError::LockLost { .. }) => lost = Some(e),
                    Err(e) if renewed.elapsed() >= super::clock::two_thirds(ttl) => lost = Some(e),
                    Err(_) => {}
                }
                if lost.is_some() {
                    let _ = stop.send(true);
                }
            }
        }
    }
}

/// A digest of what the plan will do (its changes' actions and bodies).
pub fn plan_digest(plan: &Plan) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for c in &plan.changes {
        h.update(c.address.as_bytes());
        h.update(c.actions.join(",").as_bytes());
        h.update(serde_json::to_vec(&c.desired).unwrap_or_default());
    }
    format!("sha256:{}", hex::encode(h.finalize()))
}

/// Turns revision `number` into a desired set through the way back (its
/// bodies checked, an artifact verified again), shows its plan, refuses a
/// plan a guardrail holds back, and applies it as a new revision.
#[allow(clippy::too_many_arguments)]
async fn roll_back(
    cluster: &Cluster,
    history: &History<'_>,
    number: u64,
    failed: u64,
    failed_plan: &Plan,
    options: &SessionOptions,
    reporter: &dyn Reporter,
    cancel: tokio::sync::watch::Receiver<bool>,
) -> Result<ApplyReport, String> {
    let revision = history.get(number).await.map_err(|e| e.to_string())?;
    let mut restored = options
        .way_back
        .restore(&revision)
        .await
        .map_err(|e| format!("refused: {}", error_chain(&*e)))?;
    // History never stores Secret values: they come from the product inputs
    // the failed apply was made from.
    sensitive::restore(&mut restored.desired, &failed_plan.sensitive)
        .map_err(|e| format!("refused: {e}"))?;
    let plan = compute::plan(cluster, &restored.desired, &options.plan)
        .await
        .map_err(|e: PlanError| e.to_string())?;
    reporter.rollback_plan(number, &plan);
    // The way back destroys data only with the flags the apply was given.
    check_not_blocked(&plan).map_err(|e| format!("refused: {e}"))?;
    let meta = RevisionMeta {
        time: k8s_openapi::jiff::Timestamp::now().to_string(),
        user: String::new(),
        source: format!("rollback of revision {failed} to revision {number} (--atomic)"),
        signature: restored.signature,
        artifact: revision.meta.artifact_reference().map(str::to_string),
        plan_digest: plan_digest(&plan),
        desired_digest: plan.desired_digest.clone(),
        outcome: RevisionOutcome::InProgress,
        objects: Vec::new(),
        rollback: None,
        ..revision.meta
    };
    let n = history
        .begin(meta, &desired_bodies(&plan))
        .await
        .map_err(|e| e.to_string())?;
    let report = apply(cluster, &plan, &options.apply, reporter, cancel).await;
    let outcome = if report.succeeded() {
        RevisionOutcome::Succeeded
    } else {
        RevisionOutcome::Failed
    };
    history
        .finish(n, outcome, outcomes(&report))
        .await
        .map_err(|e| e.to_string())?;
    Ok(report)
}

/// What the failed revision's record says about the rollback after it.
fn rollback_note(good: u64, result: &Result<ApplyReport, String>) -> String {
    match result {
        Ok(report) if report.succeeded() => format!("to revision {good}: succeeded"),
        Ok(_) => format!("to revision {good}: failed"),
        Err(e) => format!("to revision {good}: not applied: {e}"),
    }
}

/// An error and its causes, `: `-separated.
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}
