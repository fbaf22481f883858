//! What else lives in a namespace besides what floe is about to delete
//! there: deleting a namespace deletes everything in it, so floe deletes
//! its namespace only when nothing it does not own would go too.

use super::observe::list_each;
use crate::cluster::{Cluster, ClusterError};
use crate::kinds::{self, KindInfo};
use crate::names::LABEL_INTERNAL;
use crate::object::ObjectKey;
use kube::api::{DynamicObject, ListParams};
use std::collections::HashSet;

/// Pods are no kind floe manages, but a pod run by hand lives nowhere else.
static POD: KindInfo = KindInfo {
    group: "",
    version: "v1",
    kind: "Pod",
    plural: "pods",
    namespaced: true,
};

/// What Kubernetes puts into every namespace by itself.
const DEFAULTS: [(&str, &str); 2] = [
    ("ServiceAccount", "default"),
    ("ConfigMap", "kube-root-ca.crt"),
];

/// The objects in `namespace`, among the kinds floe knows and pods, that
/// deleting the namespace would take with it although floe does not delete
/// them: neither in `deleted` (by key) nor made by a controller from one of
/// them (an owner among `deleted_uids`, or any owner for a pod), nor
/// floe's own records, nor what Kubernetes puts into every namespace.
/// Sorted `kind/name` addresses.
pub async fn foreign(
    cluster: &Cluster,
    namespace: &str,
    deleted: &HashSet<ObjectKey>,
    deleted_uids: &HashSet<String>,
) -> Result<Vec<String>, ClusterError> {
    let kinds = kinds::infos()
        .filter(|k| k.namespaced)
        .chain(std::iter::once(&POD));
    let lists = list_each(cluster, namespace, kinds, &ListParams::default()).await?;
    let mut left: Vec<String> = lists
        .into_iter()
        .flat_map(|(kind, items)| items.into_iter().map(move |item| (kind, item)))
        .filter(|(kind, item)| !goes_anyway(kind, item, namespace, deleted, deleted_uids))
        .map(|(kind, item)| {
            let name = item.metadata.name.unwrap_or_default();
            format!("{}/{name}", kind.kind.to_ascii_lowercase())
        })
        .collect();
    left.sort();
    Ok(left)
}

/// Whether `item` may go with its namespace: floe deletes it, a controller
/// made it from something floe deletes, it is floe's record, or Kubernetes
/// made it for the namespace.
fn goes_anyway(
    kind: &KindInfo,
    item: &DynamicObject,
    namespace: &str,
    deleted: &HashSet<ObjectKey>,
    deleted_uids: &HashSet<String>,
) -> bool {
    let meta = &item.metadata;
    let name = meta.name.as_deref().unwrap_or_default();
    let key = ObjectKey::new(kind.group, kind.kind, namespace, name);
    let internal = meta
        .labels
        .as_ref()
        .is_some_and(|l| l.contains_key(LABEL_INTERNAL));
    let owners = meta.owner_references.as_deref().unwrap_or_default();
    let made_from_deleted = if kind.kind == POD.kind {
        !owners.is_empty()
    } else {
        owners.iter().any(|o| deleted_uids.contains(&o.uid))
    };
    deleted.contains(&key) || internal || made_from_deleted || DEFAULTS.contains(&(kind.kind, name))
}
