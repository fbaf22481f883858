//! Whether a saved plan still describes the cluster it was made for.

use super::observe::{observe, read_one, LiveSet};
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
/// every object it covers at the resourceVersion it saw (or still absent),
/// and no new owned objects.
pub async fn check_fresh(cluster: &Cluster, plan: &Plan) -> Result<(), StaleError> {
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
    for c in &plan.changes {
        let now = live
            .objects
            .get(&c.key)
            .or_else(|| unowned.get(&c.key))
            .and_then(|v| v.pointer("/metadata/resourceVersion"))
            .and_then(Value::as_str);
        match (c.live_resource_version.as_deref(), now) {
            (Some(a), Some(b)) if a == b => {}
            (None, None) => {}
            (Some(_), Some(_)) => moved.push(format!("{} was modified", c.address)),
            (Some(_), None) => moved.push(format!("{} was deleted", c.address)),
            (None, Some(_)) => moved.push(format!("{} was created", c.address)),
        }
    }
    for key in live.objects.keys() {
        if !planned.contains_key(key) {
            moved.push(format!("{key} appeared"));
        }
    }
    if moved.is_empty() {
        Ok(())
    } else {
        Err(StaleError::Moved(moved))
    }
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
