//! The namespace and the guards on what runs in it: the ResourceQuota and
//! the LimitRange.

use super::context::{canonical_quantity, cpu_memory_json, Ctx};
use crate::model::defaults;
use crate::model::effective::{quota_amounts, quota_pods};
use crate::model::platform::CpuMemory;
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

pub(crate) fn resource_quota(ctx: &Ctx) -> Value {
    let quota = ctx
        .product
        .settings
        .namespace
        .quota
        .clone()
        .unwrap_or_default();
    let mut hard = Map::new();
    for amount in quota_amounts(ctx.product) {
        hard.insert(
            amount.key.into(),
            json!(canonical_quantity(&amount.text, amount.memory)),
        );
    }
    hard.insert("pods".into(), json!(quota_pods(ctx.product).to_string()));
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
