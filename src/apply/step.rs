//! One change of a plan, the walker's callback: delete what goes (and wait
//! until it is gone), server-side apply what stays, then wait until healthy.

use super::delete::delete;
use super::failure::{api_message, StepFailure};
use super::options::ApplyOptions;
use super::report::Reporter;
use super::wait::Wait;
use crate::cluster::Cluster;
use crate::kinds::{self, WaitOn};
use crate::names::FIELD_MANAGER;
use crate::plan::{Action, Change, Plan};
use kube::api::{Api, DynamicObject, Patch, PatchParams};
use serde_json::Value;
use std::time::Instant;
use tokio::sync::watch;

/// What every step of one apply shares.
#[derive(Clone, Copy)]
pub(super) struct StepContext<'a> {
    pub cluster: &'a Cluster,
    pub plan: &'a Plan,
    pub options: &'a ApplyOptions,
    pub reporter: &'a dyn Reporter,
    /// When the whole apply must be over.
    pub overall_deadline: Instant,
}

/// Carries out `change`; the note says how it went ("created, ready").
pub(super) async fn run(
    context: StepContext<'_>,
    change: &Change,
    mut cancel: watch::Receiver<bool>,
) -> Result<String, StepFailure> {
    let key = &change.key;
    let kind = kinds::of(&key.group, &key.kind)
        .ok_or_else(|| StepFailure::plain(format!("{} is not a kind floe manages", key.kind)))?;
    let api = context.cluster.api(kind.info(), &key.namespace);
    let wait = Wait {
        cluster: context.cluster,
        namespace: &context.plan.namespace,
        change,
        kind,
        api: &api,
        options: context.options,
        reporter: context.reporter,
        deadline: super::clock::deadline(Instant::now(), context.options.object_timeout)
            .min(context.overall_deadline),
    };
    if matches!(change.action, Action::Delete | Action::Replace) {
        delete(&api, change, context.plan).await?;
        if key.kind == "Namespace" && change.action == Action::Delete {
            // What is left in it, the lock and the revision records among
            // it, goes with it: the apply cannot wait for that under a lock
            // that is being deleted.
            return Ok("deleted (what is left in it goes with it)".into());
        }
        // Once a replace has deleted, it must create again: stopping in
        // between would leave the object gone. Only its wait is cut short.
        let (_never_sent, mut uninterruptible) = watch::channel(false);
        let cancel_delete = match change.action {
            Action::Replace => &mut uninterruptible,
            _ => &mut cancel,
        };
        wait.until_gone(cancel_delete).await?;
        if change.action == Action::Delete {
            return Ok("destroyed".into());
        }
    }
    let body = body_to_send(context.plan, change)?;
    // An adoption was reviewed with the fields it takes from other
    // managers and allowed with --adopt: it takes them.
    let force = context.options.force_conflicts || change.action == Action::Adopt;
    server_side_apply(&api, &key.name, body, force).await?;
    let verb = match change.action {
        Action::Create => "created",
        Action::Replace => "replaced",
        Action::Adopt => "adopted",
        _ => "updated",
    };
    wait.until_healthy(&mut cancel).await?;
    if kind.wait_on() == WaitOn::Endpoints {
        if let Some(ready) = wait.until_endpoints(body, &mut cancel).await? {
            return Ok(format!("{verb}, {ready} endpoint(s) ready"));
        }
    }
    Ok(if kind.reports_ready() {
        format!("{verb}, ready")
    } else {
        verb.to_string()
    })
}

/// What to send: a Secret with its values, which the plan's own bodies
/// never hold; anything else as planned.
fn body_to_send<'a>(plan: &'a Plan, change: &'a Change) -> Result<&'a Value, StepFailure> {
    if change.key.group.is_empty() && change.key.kind == "Secret" {
        return plan.sensitive.body(&change.key).ok_or_else(|| {
            StepFailure::plain(
                "the plan does not carry this Secret's values (saved plans and revision records never hold them); nothing was sent",
            )
        });
    }
    change
        .desired
        .as_ref()
        .ok_or_else(|| StepFailure::plain("the plan holds no object to apply"))
}

async fn server_side_apply(
    api: &Api<DynamicObject>,
    name: &str,
    body: &Value,
    force_conflicts: bool,
) -> Result<(), StepFailure> {
    let mut params = PatchParams::apply(FIELD_MANAGER);
    if force_conflicts {
        params = params.force();
    }
    match api.patch(name, &params, &Patch::Apply(body)).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(s)) if s.code == 409 => Err(StepFailure {
            reason: format!("field manager conflict: {}", s.message),
            diagnosis: vec!["another tool changed fields floe manages; re-run with --force-conflicts to take them back".into()],
        }),
        Err(other) => Err(StepFailure::plain(format!(
            "the API server refused it: {}",
            api_message(other)
        ))),
    }
}
