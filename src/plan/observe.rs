//! Reading what floe owns in the cluster for one product and environment.

use crate::cluster::{Cluster, ClusterError};
use crate::kinds::{self, KindInfo};
use crate::names::{
    LABEL_ENVIRONMENT, LABEL_INTERNAL, LABEL_MANAGED_BY, LABEL_PRODUCT, MANAGED_BY,
};
use crate::object::{Object, ObjectKey};
use crate::render::DesiredSet;
use futures::stream::{self, StreamExt, TryStreamExt};
use kube::api::ListParams;
use serde_json::Value;
use std::collections::HashMap;

/// The owned live objects of one product in one environment.
#[derive(Debug, Default)]
pub struct LiveSet {
    pub namespace_exists: bool,
    /// `product (environment)` of the floe deployment that owns the
    /// namespace, as its labels say; `None` when floe does not own it.
    pub namespace_owner: Option<String>,
    pub objects: HashMap<ObjectKey, Value>,
}

/// Selects what floe owns for the product and environment, leaving out
/// floe's own records.
pub fn owner_selector(product: &str, environment: &str) -> String {
    format!(
        "app.kubernetes.io/managed-by=floe,{LABEL_PRODUCT}={product},{LABEL_ENVIRONMENT}={environment},!{LABEL_INTERNAL}"
    )
}

/// Reads the live state: the namespace, then one label-selected LIST per
/// managed kind, concurrently.
pub async fn observe(cluster: &Cluster, desired: &DesiredSet) -> Result<LiveSet, ClusterError> {
    let ns_kind = kinds::namespace();
    let ns_api = cluster.api(ns_kind, "");
    let ns = ns_api
        .get_opt(&desired.namespace)
        .await
        .map_err(|e| cluster.classify(e, &format!("reading namespace {}", desired.namespace)))?;
    let mut live = LiveSet {
        namespace_exists: ns.is_some(),
        namespace_owner: ns.as_ref().and_then(|ns| owner_of(&ns.metadata.labels)),
        objects: HashMap::new(),
    };
    if let Some(ns) = ns {
        let value = serde_json::to_value(&ns).unwrap_or(Value::Null);
        if let Some(o) = object_of(value, ns_kind) {
            live.objects.insert(o.key(), o.body);
        }
    } else {
        return Ok(live);
    }
    let selector = owner_selector(&desired.product, desired.environment.as_str());
    let lists = stream::iter(kinds::infos().filter(|k| k.namespaced))
        .map(|kind| {
            let api = cluster.api(kind, &desired.namespace);
            let lp = ListParams::default().labels(&selector);
            async move {
                let list = api
                    .list(&lp)
                    .await
                    .map_err(|e| cluster.classify(e, &format!("listing {}", kind.plural)))?;
                Ok::<_, ClusterError>((kind, list.items))
            }
        })
        .buffer_unordered(8)
        .try_collect::<Vec<_>>()
        .await?;
    for (kind, items) in lists {
        for item in items {
            // Objects a controller made from a floe object (Jobs of a
            // CronJob, PVCs of a StatefulSet) belong to that controller.
            if item
                .metadata
                .owner_references
                .as_ref()
                .is_some_and(|r| !r.is_empty())
            {
                continue;
            }
            let value = serde_json::to_value(&item).unwrap_or(Value::Null);
            if let Some(o) = object_of(value, kind) {
                live.objects.insert(o.key(), o.body);
            }
        }
    }
    Ok(live)
}

/// `product (environment)` from floe's labels, when floe manages it.
fn owner_of(labels: &Option<std::collections::BTreeMap<String, String>>) -> Option<String> {
    let labels = labels.as_ref()?;
    if labels.get(LABEL_MANAGED_BY).map(String::as_str) != Some(MANAGED_BY) {
        return None;
    }
    let product = labels.get(LABEL_PRODUCT)?;
    let environment = labels.get(LABEL_ENVIRONMENT).map_or("?", String::as_str);
    Some(format!("{product} ({environment})"))
}

/// LIST responses leave out apiVersion/kind on items; put them back.
fn object_of(mut value: Value, kind: &KindInfo) -> Option<Object> {
    if let Some(obj) = value.as_object_mut() {
        obj.insert("apiVersion".into(), Value::String(kind.api_version()));
        obj.insert("kind".into(), Value::String(kind.kind.to_string()));
    }
    Object::from_value(value)
}
