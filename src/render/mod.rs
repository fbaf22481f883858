//! The desired set: every Kubernetes object a product needs in one
//! environment, computed from the loaded [`Product`] alone (no cluster).
//!
//! Rendering assumes [`crate::model::validate`] passed; it still never panics
//! on odd input, it just renders what it was given.

mod namespace;
mod workload;

use crate::kinds::apply_rank;
use crate::model::{quantity, Environment, Product};
use crate::object::{Object, ObjectKey};
use serde::Serialize;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

pub use workload::{effective as effective_workloads, resolve_resources, EffectiveWorkload};

use crate::names::{
    LABEL_ENVIRONMENT, LABEL_MANAGED_BY, LABEL_PRODUCT, MANAGED_BY, PLATFORM_CONFIGMAP,
};

#[derive(Debug, Clone, Serialize)]
pub struct DesiredSet {
    pub product: String,
    pub version: String,
    pub environment: Environment,
    pub namespace: String,
    /// In dependency order.
    pub objects: Vec<Object>,
    /// `(dependent, dependency)` pairs the settings ask for (`dependsOn`),
    /// beyond what the graph reads from the objects.
    pub extra_dependencies: Vec<(ObjectKey, ObjectKey)>,
}

impl DesiredSet {
    /// A stable digest of the objects, for saved plans and revisions.
    pub fn digest(&self) -> String {
        let mut hasher = Sha256::new();
        for o in &self.objects {
            hasher.update(serde_json::to_vec(&o.body).unwrap_or_default());
            hasher.update(b"\n");
        }
        format!("sha256:{}", hex::encode(hasher.finalize()))
    }

    /// Multi-document YAML, one object per document.
    pub fn to_yaml(&self) -> String {
        let mut out = String::new();
        for o in &self.objects {
            out.push_str("---\n");
            out.push_str(&serde_norway::to_string(&o.body).unwrap_or_default());
        }
        out
    }

    /// A `v1/List`, the shape `kubectl get -o json` prints.
    pub fn to_json(&self) -> String {
        let items: Vec<&Value> = self.objects.iter().map(|o| &o.body).collect();
        let list = json!({"apiVersion": "v1", "kind": "List", "items": items});
        serde_json::to_string_pretty(&list).unwrap_or_default() + "\n"
    }
}

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

pub fn namespace_name(product: &Product) -> String {
    product
        .settings
        .namespace
        .name
        .clone()
        .unwrap_or_else(|| format!("{}-{}", product.spec.metadata.name, product.env))
}

/// Renders the full desired set for the product's environment.
pub fn render(product: &Product) -> DesiredSet {
    let ctx = Ctx {
        product,
        name: &product.spec.metadata.name,
        version: &product.spec.metadata.version,
        namespace: namespace_name(product),
        env: product.env,
    };
    let workloads = workload::effective(product);
    let platform_config = namespace::platform_configmap(&ctx);
    let platform_hash = configmap_hash(&platform_config);

    let mut objects = vec![
        namespace::namespace(&ctx),
        namespace::resource_quota(&ctx),
        namespace::limit_range(&ctx),
        namespace::service_account(&ctx),
    ];
    let referenced_secrets: Vec<String> = workloads
        .iter()
        .flat_map(|w| w.secret_names())
        .chain(namespace::plugin_secret_refs(&ctx))
        .collect();
    let mut configmap_names = vec![PLATFORM_CONFIGMAP.to_string()];
    configmap_names.extend(workloads.iter().filter_map(|w| w.configmap_name()));
    objects.push(namespace::role(&ctx, &referenced_secrets, &configmap_names));
    objects.push(namespace::role_binding(&ctx));
    objects.push(platform_config);
    for w in &workloads {
        objects.extend(workload::render(&ctx, w, &platform_hash));
    }
    objects.extend(namespace::network_policies(&ctx, &workloads));

    let objects = objects.into_iter().filter_map(Object::from_value).collect();
    let extra_dependencies = workload::explicit_dependencies(&ctx, &workloads);
    let objects = order(objects, &extra_dependencies);
    DesiredSet {
        extra_dependencies,
        product: ctx.name.to_string(),
        version: ctx.version.to_string(),
        environment: ctx.env,
        namespace: ctx.namespace.clone(),
        objects,
    }
}

/// Dependency order from the graph; when the graph cannot be built (a
/// `dependsOn` cycle, which validation reports), by the graph's own
/// tie-break: kind rank, then group, kind and name.
fn order(mut objects: Vec<Object>, extra: &[(ObjectKey, ObjectKey)]) -> Vec<Object> {
    objects.sort_by(|a, b| {
        let rank = |o: &Object| apply_rank(&o.kind);
        (rank(a), a.group(), &a.kind, &a.name).cmp(&(rank(b), b.group(), &b.kind, &b.name))
    });
    let Ok(graph) = crate::graph::Graph::build(&objects, &[], extra) else {
        return objects;
    };
    let position: std::collections::HashMap<ObjectKey, usize> = graph
        .order()
        .iter()
        .enumerate()
        .map(|(i, n)| (n.key.clone(), i))
        .collect();
    objects.sort_by_key(|o| position.get(&o.key()).copied().unwrap_or(usize::MAX));
    objects
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

pub(crate) fn string_map(map: &BTreeMap<String, String>) -> Value {
    Value::Object(
        map.iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}
