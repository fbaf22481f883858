//! Whether a saved plan still describes the cluster it was made for.

use super::normalize::normalize;
use super::observe::{observe, read_one, LiveSet};
use super::redact::redact;
use super::{Change, Plan, FORMAT_VERSION};
use crate::cluster::{Cluster, ClusterError};
use crate::model::Environment;
use crate::object::ObjectKey;
use crate::render::DesiredSet;
use serde_json::Value;
use std::collections::HashMap;

/// Why a saved plan can no longer be applied.
#[derive(Debug, thiserror::Error)]
pub enum StaleError {
    #[error("the plan was made for cluster {planned} (kube-system {planned_uid}), this is {actual} (kube-system {actual_uid})")]
    OtherCluster {
        planned: String,
        planned_uid: String,
        actual: String,
        actual_uid: String,
    },
    #[error("the cluster changed since the plan was made: {}", .0.join("; "))]
    Moved(Vec<String>),
    #[error("plan format {0} is not supported (this floe writes {FORMAT_VERSION})")]
    Format(u32),
    #[error(transparent)]
    Cluster(#[from] ClusterError),
}

/// Checks that a saved plan still describes the cluster: same cluster, and
/// every object it covers unchanged since the plan ([`unchanged_since`]) or
/// still absent, and no new owned objects.
pub async fn check_fresh(cluster: &Cluster, plan: &Plan) -> Result<(), StaleError> {
    check_fresh_except(cluster, plan, None).await
}

/// [`check_fresh`], but `settled` (an object the apply already brought to
/// its planned state) is not compared.
pub async fn check_fresh_except(
    cluster: &Cluster,
    plan: &Plan,
    settled: Option<&ObjectKey>,
) -> Result<(), StaleError> {
    if plan.format_version != FORMAT_VERSION {
        return Err(StaleError::Format(plan.format_version));
    }
    let uid = cluster.identity().await?;
    if uid != plan.cluster.kube_system_uid {
        return Err(StaleError::OtherCluster {
            planned: plan.cluster.server.clone(),
            planned_uid: plan.cluster.kube_system_uid.clone(),
            actual: cluster.server.clone(),
            actual_uid: uid,
        });
    }
    let probe = DesiredSet {
        product: plan.product.clone(),
        version: plan.product_version.clone(),
        environment: Environment::parse(&plan.environment).unwrap_or(Environment::Dev),
        namespace: plan.namespace.clone(),
        objects: Vec::new(),
        extra_dependencies: Vec::new(),
    };
    let live = observe(cluster, &probe).await?;
    let unowned = unowned_seen(cluster, plan, &live).await?;
    let mut moved = Vec::new();
    let planned: HashMap<&ObjectKey, &Change> = plan.changes.iter().map(|c| (&c.key, c)).collect();
    for c in plan.changes.iter().filter(|c| Some(&c.key) != settled) {
        let now = live.objects.get(&c.key).or_else(|| unowned.get(&c.key));
        match (c.live_resource_version.is_some(), now) {
            (false, None) => {}
            (true, Some(now)) if unchanged_since(c, now, plan) => {}
            (true, Some(_)) => moved.push(format!("{} was modified", c.address)),
            (true, None) => moved.push(format!("{} was deleted", c.address)),
            (false, Some(_)) => moved.push(format!("{} was created", c.address)),
        }
    }
    // The namespace is in every plan but a destroy that keeps it (it holds
    // what floe does not own): its absence there is no news.
    let kept = |key: &ObjectKey| key.kind == "Namespace" && key.group.is_empty();
    for key in live.objects.keys() {
        if !planned.contains_key(key) && Some(key) != settled && !kept(key) {
            moved.push(format!("{key} appeared"));
        }
    }
    if moved.is_empty() {
        Ok(())
    } else {
        Err(StaleError::Moved(moved))
    }
}

/// Whether `live` is still the object `change` saw: the same
/// resourceVersion, or the same uid and, status and bookkeeping left aside,
/// the same object. A controller writing only status (a ResourceQuota's
/// usage while pods come and go) moves the resourceVersion without changing
/// anything a person reviewed.
pub fn unchanged_since(change: &Change, live: &Value, plan: &Plan) -> bool {
    let field = |path: &str| live.pointer(path).and_then(Value::as_str);
    if change.live_resource_version.is_some()
        && field("/metadata/resourceVersion") == change.live_resource_version.as_deref()
    {
        return true;
    }
    if change.live_uid.is_some() && field("/metadata/uid") != change.live_uid.as_deref() {
        return false;
    }
    let salt = format!("{}/{}", plan.cluster.kube_system_uid, plan.namespace);
    change.before.as_ref() == Some(&redact(&normalize(live), &salt))
}

/// The objects the plan saw that floe does not own now (the ones it adopts),
/// read one by one: the label-selected read of [`observe`] misses them.
async fn unowned_seen(
    cluster: &Cluster,
    plan: &Plan,
    live: &LiveSet,
) -> Result<HashMap<ObjectKey, Value>, ClusterError> {
    let mut found = HashMap::new();
    let seen = plan
        .changes
        .iter()
        .filter(|c| c.live_resource_version.is_some() && !live.objects.contains_key(&c.key));
    for c in seen {
        if let Some(value) = read_one(cluster, &c.key).await? {
            found.insert(c.key.clone(), value);
        }
    }
    Ok(found)
}
