//! What every object of one render shares: the render's context (product,
//! names, environment, labels, metadata) and the spelling of values
//! (quantities, string maps, content hashes) as the API server returns them.

use crate::model::platform::CpuMemory;
use crate::model::{quantity, Environment, Product};
use crate::names::{LABEL_ENVIRONMENT, LABEL_MANAGED_BY, LABEL_PRODUCT, MANAGED_BY};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// Context shared by every object of one render.
pub(crate) struct Ctx<'a> {
    pub product: &'a Product,
    pub name: &'a str,
    pub version: &'a str,
    pub namespace: String,
    pub env: Environment,
}

impl Ctx<'_> {
    pub fn instance(&self) -> String {
        format!("{}-{}", self.name, self.env)
    }

    /// The labels every object carries.
    pub fn labels(&self, component: &str, name: &str) -> Map<String, Value> {
        let mut labels = Map::new();
        let mut put = |k: &str, v: &str| {
            labels.insert(k.to_string(), Value::String(v.to_string()));
        };
        put("app.kubernetes.io/name", name);
        put("app.kubernetes.io/instance", &self.instance());
        put("app.kubernetes.io/version", &label_value(self.version));
        put("app.kubernetes.io/component", component);
        put("app.kubernetes.io/part-of", self.name);
        put(LABEL_MANAGED_BY, MANAGED_BY);
        put(LABEL_PRODUCT, self.name);
        put(LABEL_ENVIRONMENT, self.env.as_str());
        labels
    }

    /// The labels that pick one workload's pods.
    pub fn selector_labels(&self, workload: &str) -> Value {
        json!({
            "app.kubernetes.io/name": workload,
            "app.kubernetes.io/instance": self.instance(),
        })
    }

    pub fn metadata(&self, name: &str, component: &str) -> Value {
        json!({
            "name": name,
            "namespace": self.namespace,
            "labels": self.labels(component, name),
        })
    }
}

/// Label values are limited to 63 characters of `[A-Za-z0-9._-]`; a semver
/// build suffix (`+abc`) is not allowed.
fn label_value(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(63)
        .collect();
    cleaned
        .trim_matches(|c: char| !c.is_ascii_alphanumeric())
        .to_string()
}

/// A short content hash of a ConfigMap's data, put on pod templates so a
/// configuration change rolls the workload.
pub(crate) fn configmap_hash(cm: &Value) -> String {
    let data = cm.get("data").cloned().unwrap_or(Value::Null);
    let bytes = serde_json::to_vec(&data).unwrap_or_default();
    hex::encode(&Sha256::digest(&bytes)[..8])
}

/// A quantity normalised to the canonical spelling the API server returns,
/// so that a plan right after an apply is empty (`0.5` → `500m`,
/// `2048Mi` → `2Gi`).
pub(crate) fn canonical_quantity(text: &str, memory: bool) -> String {
    match quantity::parse(text) {
        Some(m) if memory => {
            // Decimal-suffixed memory stays as written (`1G` is not `1Gi`).
            if text.ends_with(['k', 'M', 'G', 'T', 'P', 'E']) {
                text.to_string()
            } else {
                m.display_memory()
            }
        }
        Some(m) => m.display_cpu(),
        None => text.to_string(),
    }
}

/// Requests or limits as the API server spells them.
pub(crate) fn cpu_memory_json(amounts: &CpuMemory) -> Value {
    json!({
        "cpu": canonical_quantity(&amounts.cpu.as_string(), false),
        "memory": canonical_quantity(&amounts.memory.as_string(), true),
    })
}

pub(crate) fn string_map(map: &BTreeMap<String, String>) -> Value {
    Value::Object(
        map.iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}
