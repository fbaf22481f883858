//! A workload's pod template: its containers and volumes, the pod-level
//! security context, scheduling (node selector, tolerations, affinity) and
//! the config hash that rolls the pods when configuration changes.

use super::container_env::env_sources;
use super::containers::ContainerContext;
use super::context::{string_map, Ctx};
use super::identity::service_account_name;
use super::volumes::declared_volumes;
use crate::model::defaults::{self, EnvDefaults};
use crate::model::effective::EffectiveWorkload;
use crate::model::settings::{AffinityMode, AffinitySettings, Toleration};
use crate::names::{ANNOTATION_CONFIG_HASH, LABEL_WORKLOAD};
use serde_json::{json, Map, Value};

pub(super) struct PodParts {
    pub template: Value,
    /// PVCs for a Deployment, or volumeClaimTemplates for a StatefulSet.
    pub claims: Vec<Value>,
}

pub(super) fn pod_template(
    ctx: &Ctx,
    w: &EffectiveWorkload,
    platform_hash: &str,
    config_hash: Option<String>,
) -> PodParts {
    let env_defaults = defaults::for_env(ctx.env);
    let mut volumes = declared_volumes(ctx, w);
    let sources = env_sources(ctx, w, &mut volumes);
    let containers = ContainerContext {
        product: ctx.product,
        image: w.image(ctx.product).unwrap_or_default().to_string(),
        pull_policy: env_defaults.image_pull_policy,
        volumes: &volumes,
    };
    let main = containers.main(w, sources);
    let init = containers.init_containers(&w.config);
    let mut spec = json!({
        "serviceAccountName": service_account_name(ctx),
        "securityContext": pod_security_context(),
        "containers": [main],
        "volumes": volumes.volumes,
    });
    if !init.is_empty() {
        spec["initContainers"] = Value::Array(init);
    }
    add_scheduling(ctx, w, &env_defaults, &mut spec);
    PodParts {
        template: json!({
            "metadata": template_metadata(ctx, w, platform_hash, config_hash),
            "spec": spec,
        }),
        claims: volumes.claims,
    }
}

fn pod_security_context() -> Value {
    json!({
        "runAsNonRoot": true,
        "runAsUser": defaults::RUN_AS_UID,
        "runAsGroup": defaults::RUN_AS_UID,
        "fsGroup": defaults::RUN_AS_UID,
        "seccompProfile": {"type": "RuntimeDefault"},
    })
}

/// Restart policy, node selector, tolerations and affinity.
fn add_scheduling(ctx: &Ctx, w: &EffectiveWorkload, env: &EnvDefaults, spec: &mut Value) {
    let config = &w.config;
    if !config.kind.is_long_running() {
        spec["restartPolicy"] = json!("Never");
    }
    if !config.node_selector.is_empty() {
        spec["nodeSelector"] = string_map(&config.node_selector);
    }
    if !config.tolerations.is_empty() {
        spec["tolerations"] =
            Value::Array(config.tolerations.iter().map(toleration_json).collect());
    }
    if let Some(a) = &config.affinity {
        if let Some(affinity) = affinity_json(ctx, w, a, env) {
            spec["affinity"] = affinity;
        }
    }
}

/// The operator defaults to Equal with a value, Exists without.
fn toleration_json(t: &Toleration) -> Value {
    let operator = t.operator.clone().unwrap_or_else(|| {
        if t.value.is_some() {
            "Equal".into()
        } else {
            "Exists".into()
        }
    });
    let mut v = json!({"key": t.key, "operator": operator});
    if let Some(val) = &t.value {
        v["value"] = json!(val);
    }
    if let Some(e) = &t.effect {
        v["effect"] = json!(e);
    }
    v
}

/// Node affinity from `nodeLabels` and anti-affinity from `spread`,
/// required when hard (prod's default), preferred when soft.
fn affinity_json(
    ctx: &Ctx,
    w: &EffectiveWorkload,
    a: &AffinitySettings,
    env: &EnvDefaults,
) -> Option<Value> {
    let hard = match a.mode {
        Some(AffinityMode::Hard) => true,
        Some(AffinityMode::Soft) => false,
        None => env.hard_affinity,
    };
    let mut affinity = Map::new();
    if !a.node_labels.is_empty() {
        let exprs: Vec<Value> = a
            .node_labels
            .iter()
            .map(|(k, vals)| json!({"key": k, "operator": "In", "values": vals}))
            .collect();
        let node = if hard {
            json!({"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{"matchExpressions": exprs}]}})
        } else {
            json!({"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 100, "preference": {"matchExpressions": exprs}}]})
        };
        affinity.insert("nodeAffinity".into(), node);
    }
    if a.spread == Some(true) {
        let term = json!({"labelSelector": {"matchLabels": ctx.selector_labels(&w.name)}, "topologyKey": "kubernetes.io/hostname"});
        let anti = if hard {
            json!({"requiredDuringSchedulingIgnoredDuringExecution": [term]})
        } else {
            json!({"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 100, "podAffinityTerm": term}]})
        };
        affinity.insert("podAntiAffinity".into(), anti);
    }
    (!affinity.is_empty()).then_some(Value::Object(affinity))
}

/// The pods' labels and the hash of the configuration they load.
fn template_metadata(
    ctx: &Ctx,
    w: &EffectiveWorkload,
    platform_hash: &str,
    config_hash: Option<String>,
) -> Value {
    let hash = match config_hash {
        Some(h) => format!("{platform_hash}-{h}"),
        None => platform_hash.to_string(),
    };
    let mut annotations = Map::new();
    annotations.insert(ANNOTATION_CONFIG_HASH.into(), json!(hash));
    json!({"labels": workload_labels(ctx, w), "annotations": annotations})
}

/// The labels of the workload's objects, with the workload's own name.
pub(super) fn workload_labels(ctx: &Ctx, w: &EffectiveWorkload) -> Map<String, Value> {
    let mut labels = ctx.labels(w.component(), &w.name);
    labels.insert(LABEL_WORKLOAD.into(), json!(w.name));
    labels
}
