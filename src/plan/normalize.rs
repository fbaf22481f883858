//! Normalisation of server objects so that two reads of the same state
//! compare equal: bookkeeping the server writes on every request goes, the
//! object itself stays.

use serde_json::{Map, Value};

/// Metadata fields that change without the object changing.
const VOLATILE_METADATA: [&str; 9] = [
    "managedFields",
    "resourceVersion",
    "uid",
    "generation",
    "creationTimestamp",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "ownerReferences",
];

/// Annotations controllers and tools write on their own.
const VOLATILE_ANNOTATIONS: [&str; 3] = [
    "deployment.kubernetes.io/revision",
    "kubectl.kubernetes.io/last-applied-configuration",
    "autoscaling.alpha.kubernetes.io/conditions",
];

/// Returns the object without status and volatile metadata.
pub fn normalize(object: &Value) -> Value {
    let mut object = object.clone();
    let Some(obj) = object.as_object_mut() else {
        return object;
    };
    obj.remove("status");
    if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        for field in VOLATILE_METADATA {
            meta.remove(field);
        }
        if let Some(ann) = meta.get_mut("annotations").and_then(Value::as_object_mut) {
            for a in VOLATILE_ANNOTATIONS {
                ann.remove(a);
            }
        }
        remove_if_empty(meta, "annotations");
        remove_if_empty(meta, "labels");
    }
    object
}

fn remove_if_empty(map: &mut Map<String, Value>, key: &str) {
    if map
        .get(key)
        .is_some_and(|v| v.as_object().is_some_and(Map::is_empty))
    {
        map.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strips_bookkeeping_but_keeps_content() {
        let live = json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "a", "namespace": "n", "uid": "u", "resourceVersion": "7",
                         "creationTimestamp": "2026-01-01T00:00:00Z", "managedFields": [],
                         "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}},
            "data": {"k": "v"},
        });
        assert_eq!(
            normalize(&live),
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "n"}, "data": {"k": "v"}})
        );
    }
}
