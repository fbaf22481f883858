//! The plan of a destroy: every object floe owns for a product in one
//! environment is deleted, in reverse dependency order, the namespace last
//! and only when nothing floe does not own would go with it. An ordinary
//! plan, so it is shown, guarded and applied like any other.

use super::compute::{assemble, prune_changes, PlanOptions};
use super::observe::observe;
use super::residents;
use super::{Change, ClusterIdentity, Plan, PlanError};
use crate::cluster::Cluster;
use crate::graph::Graph;
use crate::object::{Object, ObjectKey};
use crate::render::DesiredSet;
use std::collections::{HashMap, HashSet};

/// The plan that deletes what floe owns for `target`'s product and
/// environment in its namespace (`target` names them; its objects are not
/// read). Guardrails as on a prune, except the mass-prune one: a destroy
/// means all of it.
pub async fn plan_destroy(
    cluster: &Cluster,
    target: &DesiredSet,
    options: &PlanOptions,
) -> Result<Plan, PlanError> {
    let kube_system_uid = cluster.identity().await?;
    let live = observe(cluster, target).await?;
    let salt = format!("{kube_system_uid}/{}", target.namespace);
    let namespace_key = ObjectKey::new("", "Namespace", "", &target.namespace);
    let mut prune: Vec<Object> = live
        .objects
        .iter()
        .filter(|(key, _)| **key != namespace_key)
        .filter_map(|(_, body)| Object::from_value(body.clone()))
        .collect();
    let mut warnings = Vec::new();
    if let Some(namespace) = live.objects.get(&namespace_key) {
        let left = left_behind(cluster, &target.namespace, &prune).await?;
        if left.is_empty() {
            prune.extend(Object::from_value(namespace.clone()));
        } else {
            warnings.push(format!(
                "namespace {} stays: deleting it would delete what floe does not own for this product too: {}",
                target.namespace,
                left.join(", ")
            ));
        }
    } else if live.foreign.contains_key(&namespace_key) {
        warnings.push(format!(
            "namespace {} stays: floe did not make it for this product (it lacks floe's labels)",
            target.namespace
        ));
    }
    let (deletes, blocked) = prune_changes(&prune, false, options, &salt);
    let changes: HashMap<ObjectKey, Change> =
        deletes.into_iter().map(|c| (c.key.clone(), c)).collect();
    let graph = Graph::build(&[], &prune, &[])?;
    let cluster = ClusterIdentity {
        server: cluster.server.clone(),
        kube_system_uid,
    };
    let mut plan = assemble(target, cluster, &graph, changes, blocked);
    plan.warnings.extend(warnings);
    Ok(plan)
}

/// What deleting the namespace would take with it besides `prune`.
async fn left_behind(
    cluster: &Cluster,
    namespace: &str,
    prune: &[Object],
) -> Result<Vec<String>, PlanError> {
    let keys: HashSet<ObjectKey> = prune.iter().map(Object::key).collect();
    let uids: HashSet<String> = prune
        .iter()
        .filter_map(|o| o.body.pointer("/metadata/uid"))
        .filter_map(|u| u.as_str().map(str::to_string))
        .collect();
    Ok(residents::foreign(cluster, namespace, &keys, &uids).await?)
}
