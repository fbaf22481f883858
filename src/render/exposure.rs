//! What routes to or watches a workload: its Service, Ingress,
//! HorizontalPodAutoscaler and PodDisruptionBudget.

use super::context::{string_map, Ctx};
use crate::model::defaults::EnvDefaults;
use crate::model::effective::EffectiveWorkload;
use crate::model::settings::{HpaSettings, IngressSettings, IntOrPercent, WorkloadKind};
use serde_json::{json, Value};

/// The Service, Ingress, HPA and PDB the workload's settings ask for.
pub(super) fn exposure_objects(ctx: &Ctx, w: &EffectiveWorkload, env: &EnvDefaults) -> Vec<Value> {
    let config = &w.config;
    let mut out = Vec::new();
    if w.has_service() {
        out.push(service(ctx, w));
    }
    if let (Some(ing), true) = (&config.ingress, w.has_service() && !config.ports.is_empty()) {
        out.push(ingress(ctx, w, ing));
    }
    if let (Some(hpa), true) = (&config.hpa, config.kind.is_long_running()) {
        out.push(autoscaler(ctx, w, hpa, env));
    }
    if config.kind.is_long_running() {
        let pdb_on = match &config.pdb {
            Some(p) => p.enabled != Some(false),
            None => env.pdb,
        };
        if pdb_on {
            out.push(disruption_budget(ctx, w));
        }
    }
    out
}

fn service(ctx: &Ctx, w: &EffectiveWorkload) -> Value {
    let config = &w.config;
    let ports: Vec<Value> = config
        .ports
        .iter()
        .map(|p| {
            json!({
                "name": p.name,
                "port": p.service_port.unwrap_or(p.container_port),
                "targetPort": p.name,
                "protocol": p.protocol.clone().unwrap_or_else(|| "TCP".into()),
            })
        })
        .collect();
    let mut spec = json!({
        "type": config.service.as_ref().and_then(|s| s.service_type.clone()).unwrap_or_else(|| "ClusterIP".into()),
        "selector": ctx.selector_labels(&w.name),
    });
    if !ports.is_empty() {
        spec["ports"] = Value::Array(ports);
    }
    // A StatefulSet's governing Service is headless: stable pod DNS names.
    if config.kind == WorkloadKind::StatefulSet {
        spec["clusterIP"] = json!("None");
    }
    json!({"apiVersion": "v1", "kind": "Service", "metadata": ctx.metadata(&w.name, w.component()), "spec": spec})
}

/// Routes the host to the named port, by default the first.
fn ingress(ctx: &Ctx, w: &EffectiveWorkload, ing: &IngressSettings) -> Value {
    let port_name = ing
        .port
        .clone()
        .or_else(|| w.config.ports.first().map(|p| p.name.clone()))
        .unwrap_or_default();
    let mut meta = ctx.metadata(&w.name, w.component());
    if !ing.annotations.is_empty() {
        meta["annotations"] = string_map(&ing.annotations);
    }
    let mut spec = json!({
        "rules": [{
            "host": ing.host,
            "http": {"paths": [{
                "path": ing.path.clone().unwrap_or_else(|| "/".into()),
                "pathType": "Prefix",
                "backend": {"service": {"name": w.name, "port": {"name": port_name}}},
            }]},
        }],
    });
    if let Some(class) = &ing.class_name {
        spec["ingressClassName"] = json!(class);
    }
    if let Some(tls) = &ing.tls_secret {
        spec["tls"] = json!([{"hosts": [ing.host], "secretName": tls}]);
    }
    json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta, "spec": spec})
}

/// Scales on CPU (80% unless only memory is given) and on memory.
fn autoscaler(ctx: &Ctx, w: &EffectiveWorkload, hpa: &HpaSettings, env: &EnvDefaults) -> Value {
    let cpu = hpa
        .target_cpu_utilization
        .or(if hpa.target_memory_utilization.is_none() {
            Some(80)
        } else {
            None
        });
    let metrics: Vec<Value> = [("cpu", cpu), ("memory", hpa.target_memory_utilization)]
        .into_iter()
        .filter_map(|(resource, target)| {
            target.map(|t| json!({"type": "Resource", "resource": {"name": resource, "target": {"type": "Utilization", "averageUtilization": t}}}))
        })
        .collect();
    json!({
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": ctx.metadata(&w.name, w.component()),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": w.config.kind.as_str(), "name": w.name},
            "minReplicas": hpa.min_replicas.unwrap_or_else(|| w.replicas(env)),
            "maxReplicas": hpa.max_replicas,
            "metrics": metrics,
        },
    })
}

/// `maxUnavailable` when set, else `minAvailable` (1 by default).
fn disruption_budget(ctx: &Ctx, w: &EffectiveWorkload) -> Value {
    let mut spec = json!({"selector": {"matchLabels": ctx.selector_labels(&w.name)}});
    let pdb = w.config.pdb.as_ref();
    match pdb.and_then(|p| p.max_unavailable.as_ref()) {
        Some(max) => spec["maxUnavailable"] = max.to_json(),
        None => {
            spec["minAvailable"] = pdb
                .and_then(|p| p.min_available.as_ref().map(IntOrPercent::to_json))
                .unwrap_or(json!(1))
        }
    }
    json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": ctx.metadata(&w.name, w.component()), "spec": spec})
}
