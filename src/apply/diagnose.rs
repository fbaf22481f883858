//! When a workload fails or stalls, say why in the cluster's own words: pod
//! waiting reasons, exit codes, readiness, scheduling and admission events.

use crate::cluster::Cluster;
use crate::kinds::{pod_problems, selector_of, stuck_reason, PodRefusals};
use k8s_openapi::api::core::v1::{Event, Pod};
use kube::api::{Api, ListParams};
use serde_json::Value;
use std::collections::BTreeMap;

/// Pods of a workload (by its selector), at most `limit`.
pub async fn pods_of(cluster: &Cluster, namespace: &str, live: &Value, limit: usize) -> Vec<Pod> {
    let Some(selector) = selector_of(live) else {
        return Vec::new();
    };
    let api: Api<Pod> = Api::namespaced(cluster.client.clone(), namespace);
    match api.list(&ListParams::default().labels(&selector)).await {
        Ok(list) => list.items.into_iter().take(limit).collect(),
        Err(_) => Vec::new(),
    }
}

/// Warning events about the object, its pods or its ReplicaSets (where
/// quota and LimitRange rejections are reported), newest last, deduplicated.
async fn warning_events(cluster: &Cluster, namespace: &str, name: &str) -> Vec<String> {
    let api: Api<Event> = Api::namespaced(cluster.client.clone(), namespace);
    let Ok(list) = api
        .list(&ListParams::default().fields("type=Warning"))
        .await
    else {
        return Vec::new();
    };
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    let mut events: Vec<&Event> = list
        .items
        .iter()
        .filter(|e| {
            e.involved_object
                .name
                .as_deref()
                .is_some_and(|n| n == name || n.starts_with(&format!("{name}-")))
        })
        .collect();
    events.sort_by_key(|e| {
        e.last_timestamp
            .as_ref()
            .map(|t| t.0)
            .or(e.event_time.as_ref().map(|t| t.0))
    });
    for e in events {
        let line = format!(
            "{} {}: {}",
            e.involved_object
                .kind
                .clone()
                .unwrap_or_default()
                .to_ascii_lowercase(),
            e.reason.clone().unwrap_or_default(),
            e.message.clone().unwrap_or_default().trim()
        );
        seen.insert(line.clone(), line);
    }
    seen.into_values().rev().take(5).collect()
}

/// A diagnosis of a workload that failed or did not become ready.
pub async fn diagnose(cluster: &Cluster, namespace: &str, name: &str, live: &Value) -> Vec<String> {
    let mut lines = Vec::new();
    for pod in pods_of(cluster, namespace, live, 10).await {
        for p in pod_problems(&pod) {
            if !lines.contains(&p) {
                lines.push(p);
            }
        }
    }
    for e in warning_events(cluster, namespace, name).await {
        if !lines.iter().any(|l| e.contains(l.as_str())) {
            lines.push(e);
        }
    }
    lines.truncate(8);
    lines
}

/// A ReplicaSet of the workload that cannot create its pods (quota or
/// LimitRange rejections), with the controller's message.
pub async fn replica_failure(cluster: &Cluster, namespace: &str, live: &Value) -> Option<String> {
    let selector = selector_of(live)?;
    let api: Api<k8s_openapi::api::apps::v1::ReplicaSet> =
        Api::namespaced(cluster.client.clone(), namespace);
    let list = api
        .list(&ListParams::default().labels(&selector))
        .await
        .ok()?;
    list.items.iter().find_map(|rs| {
        rs.status
            .as_ref()?
            .conditions
            .iter()
            .flatten()
            .find(|c| c.type_ == "ReplicaFailure" && c.status == "True")
            .map(|c| format!("ReplicaFailure: {}", c.message.clone().unwrap_or_default()))
    })
}

/// A `FailedCreate` warning on the object itself (Jobs and StatefulSets
/// report refused pods this way).
pub async fn failed_create(cluster: &Cluster, namespace: &str, name: &str) -> Option<String> {
    let api: Api<Event> = Api::namespaced(cluster.client.clone(), namespace);
    let fields = format!("involvedObject.name={name},reason=FailedCreate");
    let list = api
        .list(&ListParams::default().fields(&fields))
        .await
        .ok()?;
    list.items
        .last()
        .map(|e| format!("FailedCreate: {}", e.message.clone().unwrap_or_default()))
}

/// Why a workload's pods cannot come up without a change, if they cannot:
/// a pod's own stuck reason, or with no pods at all, admission (quota,
/// LimitRange) refusing them, where the kind's controller reports that.
pub async fn stuck_pods(
    cluster: &Cluster,
    namespace: &str,
    name: &str,
    live: &Value,
    refusals: PodRefusals,
) -> Option<String> {
    let pods = pods_of(cluster, namespace, live, 20).await;
    if let Some(reason) = pods.iter().find_map(stuck_reason) {
        return Some(reason);
    }
    if !pods.is_empty() {
        return None;
    }
    match refusals {
        PodRefusals::ReplicaSetCondition => replica_failure(cluster, namespace, live).await,
        PodRefusals::FailedCreateEvent => failed_create(cluster, namespace, name).await,
    }
}
