//! One server-side apply dry run: what the API server would make of a
//! desired object, and how it refused.

use super::error::PlanError;
use super::Conflict;
use crate::cluster::Cluster;
use crate::kinds::kind_info;
use crate::names::FIELD_MANAGER;
use crate::object::Object;
use kube::api::{Patch, PatchParams};
use serde_json::Value;

/// What a dry run said about one desired object.
pub(super) enum DryRun {
    /// Not sent: the live object proves the apply changes nothing.
    Unchanged,
    Result(Value),
    /// Applied only by taking fields from other managers.
    Conflicts(Vec<Conflict>, Value),
    /// An immutable field changed: the object must be replaced.
    Immutable(String),
}

impl DryRun {
    /// Whether the API server applied to an object that exists already: a
    /// dry-run create comes back without a resourceVersion, and only an
    /// existing object can conflict or refuse an immutable change.
    pub(super) fn shows_existing(&self) -> bool {
        match self {
            DryRun::Result(v) => v
                .pointer("/metadata/resourceVersion")
                .and_then(Value::as_str)
                .is_some_and(|rv| !rv.is_empty()),
            DryRun::Unchanged | DryRun::Conflicts(..) | DryRun::Immutable(_) => true,
        }
    }
}

pub(super) async fn dry_run(cluster: &Cluster, object: &Object) -> Result<DryRun, PlanError> {
    let info = kind_info(object.group(), &object.kind).ok_or_else(|| PlanError::UnknownKind {
        address: object.key().to_string(),
        kind: object.kind.clone(),
    })?;
    let api = cluster.api(info, object.namespace.as_deref().unwrap_or(""));
    let params = PatchParams::apply(FIELD_MANAGER).dry_run();
    let address = object.key().to_string();
    match api
        .patch(&object.name, &params, &Patch::Apply(&object.body))
        .await
    {
        Ok(result) => Ok(DryRun::Result(
            serde_json::to_value(result).unwrap_or(Value::Null),
        )),
        Err(kube::Error::Api(status)) if status.code == 409 => {
            let conflicts = parse_conflicts(&status);
            let forced = api
                .patch(
                    &object.name,
                    &params.clone().force(),
                    &Patch::Apply(&object.body),
                )
                .await
                .map_err(|e| rejected(cluster, &address, e))?;
            Ok(DryRun::Conflicts(
                conflicts,
                serde_json::to_value(forced).unwrap_or(Value::Null),
            ))
        }
        Err(kube::Error::Api(status)) if status.code == 422 && is_immutable(&status) => {
            Ok(DryRun::Immutable(immutable_reason(&status)))
        }
        Err(e) => Err(rejected(cluster, &address, e)),
    }
}

fn rejected(cluster: &Cluster, address: &str, err: kube::Error) -> PlanError {
    match err {
        kube::Error::Api(status) if status.code != 401 && status.code != 403 => {
            PlanError::Rejected {
                address: address.to_string(),
                message: status.message,
            }
        }
        other => PlanError::Cluster(cluster.classify(other, &format!("a dry run of {address}"))),
    }
}

/// The API server lists each conflict as a cause:
/// `conflict with "kubectl-edit" using apps/v1` on field `.spec.replicas`.
fn parse_conflicts(status: &kube::core::Status) -> Vec<Conflict> {
    let causes = status
        .details
        .as_ref()
        .map(|d| d.causes.as_slice())
        .unwrap_or(&[]);
    let mut out: Vec<Conflict> = causes
        .iter()
        .map(|c| Conflict {
            manager: c
                .message
                .split('"')
                .nth(1)
                .unwrap_or("another field manager")
                .to_string(),
            field: c.field.clone(),
        })
        .collect();
    if out.is_empty() {
        out.push(Conflict {
            manager: "another field manager".into(),
            field: status.message.clone(),
        });
    }
    out
}

/// Immutable-field rejections: "field is immutable", or the StatefulSet's
/// "updates to statefulset spec for fields other than ... are forbidden".
fn is_immutable(status: &kube::core::Status) -> bool {
    let text = status.message.to_ascii_lowercase();
    text.contains("immutable")
        || text.contains("may not change once set")
        || (text.contains("forbidden") && text.contains("updates to"))
}

fn immutable_reason(status: &kube::core::Status) -> String {
    let fields: Vec<&str> = status
        .details
        .as_ref()
        .map(|d| {
            d.causes
                .iter()
                .map(|c| c.field.as_str())
                .filter(|f| !f.is_empty())
                .collect()
        })
        .unwrap_or_default();
    if fields.is_empty() {
        status.message.clone()
    } else {
        format!("{} cannot be changed in place", fields.join(", "))
    }
}
