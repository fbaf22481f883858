//! Deleting exactly the object the plan saw: its uid and resourceVersion go
//! with the request as preconditions, so an object changed or recreated
//! since the review is not deleted.

use super::failure::{api_message, StepFailure};
use crate::plan::fresh::unchanged_since;
use crate::plan::{Change, Plan};
use kube::api::{Api, DeleteParams, DynamicObject, Preconditions};
use serde_json::Value;

/// How often a delete is asked again after a controller moved the
/// object's resourceVersion without changing what was reviewed.
const STATUS_RETRIES: usize = 5;

/// Asks for the deletion of the object `change` saw; an object already
/// gone is fine. A controller writing only the object's status (a
/// ResourceQuota's usage while the pods it counts go) moves its
/// resourceVersion: when the object is otherwise still what the plan
/// showed, the delete is asked again at the new version.
pub(super) async fn delete(
    api: &Api<DynamicObject>,
    change: &Change,
    plan: &Plan,
) -> Result<(), StepFailure> {
    let mut params = DeleteParams::background();
    if change.live_uid.is_some() || change.live_resource_version.is_some() {
        params.preconditions = Some(Preconditions {
            uid: change.live_uid.clone(),
            resource_version: change.live_resource_version.clone(),
        });
    }
    let mut retries = 0;
    loop {
        match api.delete(&change.key.name, &params).await {
            Ok(_) => return Ok(()),
            Err(kube::Error::Api(s)) if s.code == 404 => return Ok(()),
            Err(kube::Error::Api(s)) if s.code == 409 => {
                let moved = match retries < STATUS_RETRIES {
                    true => only_status_moved(api, change, plan).await,
                    false => None,
                };
                let (Some(version), Some(pre)) = (moved, params.preconditions.as_mut()) else {
                    return Err(changed(&s.message));
                };
                pre.resource_version = Some(version);
                retries += 1;
            }
            Err(e) => {
                return Err(StepFailure::plain(format!(
                    "delete refused: {}",
                    api_message(e)
                )))
            }
        }
    }
}

/// The object's resourceVersion now, when it is the object the plan saw
/// and, its status and bookkeeping left aside, unchanged.
async fn only_status_moved(
    api: &Api<DynamicObject>,
    change: &Change,
    plan: &Plan,
) -> Option<String> {
    let live = api.get_opt(&change.key.name).await.ok()??;
    let live = serde_json::to_value(live).ok()?;
    unchanged_since(change, &live, plan).then(|| {
        live.pointer("/metadata/resourceVersion")
            .and_then(Value::as_str)
            .map(str::to_string)
    })?
}

fn changed(message: &str) -> StepFailure {
    StepFailure {
        reason: "it changed since the plan was made; it was not deleted".into(),
        diagnosis: vec![
            format!("the API server: {message}"),
            "plan again and review what changed".into(),
        ],
    }
}
