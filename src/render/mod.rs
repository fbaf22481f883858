//! The desired set: every Kubernetes object a product needs in one
//! environment, computed from the loaded [`Product`] alone (no cluster).
//!
//! Rendering assumes [`crate::model::validate`] passed; it still never panics
//! on odd input, it just renders what it was given.

mod container_env;
mod containers;
mod context;
mod controller;
mod exposure;
mod identity;
mod namespace;
mod network;
mod platform;
mod pod;
mod probes;
mod volumes;
mod workload;

use crate::kinds::apply_rank;
use crate::model::effective::effective_workloads;
use crate::model::{Environment, Product};
use crate::object::{Object, ObjectKey};
use context::{configmap_hash, Ctx};
use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::names::PLATFORM_CONFIGMAP;

use crate::model::credentials::credentials_secret_name;
use crate::model::effective::namespace_name;

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

    /// Multi-document YAML, one object per document, Secret values hidden.
    pub fn to_yaml(&self) -> String {
        let mut out = String::new();
        for o in &self.objects {
            out.push_str("---\n");
            out.push_str(&serde_norway::to_string(&shown(&o.body)).unwrap_or_default());
        }
        out
    }

    /// A `v1/List`, the shape `kubectl get -o json` prints, Secret values hidden.
    pub fn to_json(&self) -> String {
        let items: Vec<Value> = self.objects.iter().map(|o| shown(&o.body)).collect();
        let list = json!({"apiVersion": "v1", "kind": "List", "items": items});
        serde_json::to_string_pretty(&list).unwrap_or_default() + "\n"
    }
}

/// An object as floe prints it: a Secret's values are never shown (a plan
/// shows them as fingerprints).
fn shown(body: &Value) -> Value {
    let mut body = body.clone();
    if body.get("kind").and_then(Value::as_str) == Some("Secret") {
        for field in ["data", "stringData"] {
            if let Some(Value::Object(map)) = body.get_mut(field) {
                for value in map.values_mut() {
                    *value = json!("(sensitive value, not shown)");
                }
            }
        }
    }
    body
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
    let workloads = effective_workloads(product);
    let platform_config = platform::platform_configmap(&ctx);
    let platform_hash = configmap_hash(&platform_config);

    let mut objects = vec![
        namespace::namespace(&ctx),
        namespace::resource_quota(&ctx),
        namespace::limit_range(&ctx),
        identity::service_account(&ctx),
    ];
    let credentials = platform::credentials_secret(&ctx);
    let referenced_secrets: Vec<String> = workloads
        .iter()
        .flat_map(|w| w.secret_names())
        .chain(platform::plugin_secret_refs(&ctx))
        .chain(
            credentials
                .as_ref()
                .map(|_| credentials_secret_name(ctx.name)),
        )
        .collect();
    let mut configmap_names = vec![PLATFORM_CONFIGMAP.to_string()];
    configmap_names.extend(workloads.iter().filter_map(|w| w.configmap_name()));
    objects.push(identity::role(&ctx, &referenced_secrets, &configmap_names));
    objects.push(identity::role_binding(&ctx));
    objects.push(platform_config);
    objects.extend(credentials);
    for w in &workloads {
        objects.extend(workload::render(&ctx, w, &platform_hash));
    }
    objects.extend(network::network_policies(&ctx, &workloads));

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
