//! Reading what floe owns in the cluster for one product and environment.

use crate::cluster::{Cluster, ClusterError};
use crate::kinds::{self, KindInfo};
use crate::names::{
    LABEL_ENVIRONMENT, LABEL_INTERNAL, LABEL_MANAGED_BY, LABEL_PRODUCT, MANAGED_BY,
};
use crate::object::{Object, ObjectKey};
use crate::render::DesiredSet;
use futures::stream::{self, StreamExt, TryStreamExt};
use kube::api::{DynamicObject, ListParams};
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
    /// Objects read on the way that exist but that floe does not own for
    /// this product and environment: the namespace, when it lacks the
    /// product's labels (made by hand, by the platform, or by another
    /// product).
    pub foreign: HashMap<ObjectKey, Value>,
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
        ..LiveSet::default()
    };
    let environment = desired.environment.as_str();
    if let Some(ns) = ns {
        let value = serde_json::to_value(&ns).unwrap_or(Value::Null);
        if let Some(o) = object_of(value, ns_kind) {
            let owned = owned_by(&o.body, &desired.product, environment);
            let set = if owned {
                &mut live.objects
            } else {
                &mut live.foreign
            };
            set.insert(o.key(), o.body);
        }
    } else {
        return Ok(live);
    }
    let selector = owner_selector(&desired.product, environment);
    let lp = ListParams::default().labels(&selector);
    let namespaced = kinds::infos().filter(|k| k.namespaced);
    let lists = list_each(cluster, &desired.namespace, namespaced, &lp).await?;
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

/// One LIST per kind in `namespace`, concurrently, with the same parameters.
pub(super) async fn list_each(
    cluster: &Cluster,
    namespace: &str,
    kinds: impl Iterator<Item = &'static KindInfo>,
    lp: &ListParams,
) -> Result<Vec<(&'static KindInfo, Vec<DynamicObject>)>, ClusterError> {
    stream::iter(kinds)
        .map(|kind| async move {
            let list = cluster
                .api(kind, namespace)
                .list(lp)
                .await
                .map_err(|e| cluster.classify(e, &format!("listing {}", kind.plural)))?;
            Ok::<_, ClusterError>((kind, list.items))
        })
        .buffer_unordered(8)
        .try_collect()
        .await
}

/// Whether `object` carries the labels that make it floe's for `product`
/// in `environment` (what [`owner_selector`] selects).
pub fn owned_by(object: &Value, product: &str, environment: &str) -> bool {
    let label = |k: &str| {
        object
            .pointer("/metadata/labels")
            .and_then(|l| l.get(k))
            .and_then(Value::as_str)
    };
    label(LABEL_MANAGED_BY) == Some(MANAGED_BY)
        && label(LABEL_PRODUCT) == Some(product)
        && label(LABEL_ENVIRONMENT) == Some(environment)
        && label(LABEL_INTERNAL).is_none()
}

/// One object as the cluster holds it now, `None` when it does not exist.
pub async fn read_one(cluster: &Cluster, key: &ObjectKey) -> Result<Option<Value>, ClusterError> {
    let Some(kind) = kinds::kind_info(&key.group, &key.kind) else {
        return Ok(None);
    };
    let found = cluster
        .api(kind, &key.namespace)
        .get_opt(&key.name)
        .await
        .map_err(|e| cluster.classify(e, &format!("reading {key}")))?;
    Ok(found
        .map(|o| serde_json::to_value(o).unwrap_or(Value::Null))
        .and_then(|v| object_of(v, kind))
        .map(|o| o.body))
}

/// LIST responses leave out apiVersion/kind on items; put them back.
fn object_of(mut value: Value, kind: &KindInfo) -> Option<Object> {
    if let Some(obj) = value.as_object_mut() {
        obj.insert("apiVersion".into(), Value::String(kind.api_version()));
        obj.insert("kind".into(), Value::String(kind.kind.to_string()));
    }
    Object::from_value(value)
}
