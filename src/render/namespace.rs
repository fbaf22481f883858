//! The namespace and the guards on what runs in it: the ResourceQuota and
//! the LimitRange.

use super::{canonical_quantity, cpu_memory_json, Ctx};
use crate::model::defaults;
use crate::model::platform::{CpuMemory, Quantityish};
use serde_json::{json, Map, Value};

pub(crate) fn namespace(ctx: &Ctx) -> Value {
    let mut labels = ctx.labels("namespace", &ctx.namespace);
    for (k, v) in &ctx.product.settings.namespace.labels {
        labels.insert(k.clone(), Value::String(v.clone()));
    }
    for mode in ["enforce", "audit", "warn"] {
        labels.insert(
            format!("pod-security.kubernetes.io/{mode}"),
            json!("restricted"),
        );
        labels.insert(
            format!("pod-security.kubernetes.io/{mode}-version"),
            json!("latest"),
        );
    }
    json!({
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": ctx.namespace, "labels": labels},
    })
}

/// A quota amount as set, else the environment's default, canonically spelt.
fn quota_quantity(value: &Option<Quantityish>, default: &str, memory: bool) -> String {
    let text = value
        .as_ref()
        .map(Quantityish::as_string)
        .unwrap_or_else(|| default.to_string());
    canonical_quantity(&text, memory)
}

pub(crate) fn resource_quota(ctx: &Ctx) -> Value {
    let d = defaults::for_env(ctx.env);
    let quota = ctx
        .product
        .settings
        .namespace
        .quota
        .clone()
        .unwrap_or_default();
    let mut hard = Map::new();
    for (key, value, default, memory) in [
        ("requests.cpu", &quota.cpu, d.quota_cpu, false),
        ("requests.memory", &quota.memory, d.quota_memory, true),
        ("limits.cpu", &quota.limits_cpu, d.quota_limits_cpu, false),
        (
            "limits.memory",
            &quota.limits_memory,
            d.quota_limits_memory,
            true,
        ),
    ] {
        hard.insert(key.into(), json!(quota_quantity(value, default, memory)));
    }
    hard.insert(
        "pods".into(),
        json!(quota.pods.unwrap_or(d.quota_pods).to_string()),
    );
    if let Some(n) = quota.persistent_volume_claims {
        hard.insert("persistentvolumeclaims".into(), json!(n.to_string()));
    }
    if let Some(s) = &quota.storage {
        hard.insert(
            "requests.storage".into(),
            json!(canonical_quantity(&s.as_string(), true)),
        );
    }
    json!({
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": ctx.metadata("floe-quota", "namespace"),
        "spec": {"hard": hard},
    })
}

pub(crate) fn limit_range(ctx: &Ctx) -> Value {
    let limits = ctx
        .product
        .settings
        .namespace
        .limits
        .clone()
        .unwrap_or_default();
    let or_default = |set: Option<CpuMemory>, default: (&str, &str)| {
        cpu_memory_json(&set.unwrap_or_else(|| CpuMemory::of(default)))
    };
    let mut item = json!({
        "type": "Container",
        "defaultRequest": or_default(limits.default_request, defaults::LIMITRANGE_DEFAULT_REQUEST),
        "default": or_default(limits.default, defaults::LIMITRANGE_DEFAULT),
    });
    if let Some(max) = &limits.max {
        item["max"] = cpu_memory_json(max);
    }
    json!({
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": ctx.metadata("floe-limits", "namespace"),
        "spec": {"limits": [item]},
    })
}
