//! The values of the Secrets floe renders, held beside a plan and never in
//! it: a plan's bodies show them as fingerprints ([`super::redact`]), saved
//! plans and revision records never hold them, and apply sends these.
//!
//! Going back to a revision cannot take the values from history (it never
//! stores them): [`restore`] fills them in from the product inputs.

use crate::object::ObjectKey;
use crate::render::DesiredSet;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Secret bodies with their values, by object.
#[derive(Clone, Default, PartialEq)]
pub struct Sensitive(BTreeMap<ObjectKey, Value>);

impl fmt::Debug for Sensitive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set()
            .entries(self.0.keys().map(|k| k.to_string()))
            .finish()
    }
}

impl Sensitive {
    /// The Secrets of `desired` that carry values.
    pub fn of(desired: &DesiredSet) -> Sensitive {
        Sensitive(
            desired
                .objects
                .iter()
                .filter(|o| o.kind == "Secret" && has_values(&o.body))
                .map(|o| (o.key(), o.body.clone()))
                .collect(),
        )
    }

    /// The body to send for `key`, values included.
    pub fn body(&self, key: &ObjectKey) -> Option<&Value> {
        self.0.get(key)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn has_values(body: &Value) -> bool {
    ["data", "stringData"]
        .iter()
        .any(|f| body.get(f).and_then(Value::as_object).is_some())
}

/// Gives the Secrets of `desired` that have no values (a revision's) the
/// values of the same Secret in `inputs`, keeping the rest of the revision's
/// body. Returns the Secrets restored; an error names a Secret (and the keys
/// the revision's pods read from it) that the inputs cannot fill.
pub fn restore(desired: &mut DesiredSet, inputs: &Sensitive) -> Result<Vec<ObjectKey>, String> {
    let wanted = secret_keys_read(desired);
    let mut restored = Vec::new();
    for object in desired.objects.iter_mut() {
        if object.kind != "Secret" || has_values(&object.body) {
            continue;
        }
        let key = object.key();
        let read = wanted.get(&object.name).cloned().unwrap_or_default();
        let Some(current) = inputs.body(&key) else {
            return Err(missing(&key, &read));
        };
        let data = current.get("data").cloned().unwrap_or_default();
        let absent: BTreeSet<String> = read
            .iter()
            .filter(|k| data.get(k.as_str()).is_none())
            .cloned()
            .collect();
        if !absent.is_empty() {
            return Err(missing(&key, &absent));
        }
        object.body["data"] = data;
        restored.push(key);
    }
    Ok(restored)
}

fn missing(key: &ObjectKey, read: &BTreeSet<String>) -> String {
    let keys = if read.is_empty() {
        String::new()
    } else {
        format!(
            " (keys {})",
            read.iter().cloned().collect::<Vec<_>>().join(", ")
        )
    };
    format!(
        "the values of Secret {}{keys} are not in the product inputs, and history never stores them",
        key.name
    )
}

/// For each Secret name, the keys the set's pods read with `secretKeyRef`.
fn secret_keys_read(desired: &DesiredSet) -> BTreeMap<String, BTreeSet<String>> {
    fn walk(value: &Value, out: &mut BTreeMap<String, BTreeSet<String>>) {
        match value {
            Value::Object(map) => {
                if let Some(r) = map.get("secretKeyRef") {
                    if let (Some(name), Some(key)) = (
                        r.get("name").and_then(Value::as_str),
                        r.get("key").and_then(Value::as_str),
                    ) {
                        out.entry(name.to_string())
                            .or_default()
                            .insert(key.to_string());
                    }
                }
                map.values().for_each(|v| walk(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = BTreeMap::new();
    for o in &desired.objects {
        walk(&o.body, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Environment;
    use crate::object::Object;
    use serde_json::json;

    fn set(objects: Vec<Value>) -> DesiredSet {
        DesiredSet {
            product: "p".into(),
            version: "1".into(),
            environment: Environment::Dev,
            namespace: "p-dev".into(),
            objects: objects.into_iter().filter_map(Object::from_value).collect(),
            extra_dependencies: Vec::new(),
        }
    }

    fn secret(data: Option<Value>) -> Value {
        let mut s = json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "p-plugin-credentials", "namespace": "p-dev", "labels": {"v": "old"}}});
        if let Some(d) = data {
            s["data"] = d;
        }
        s
    }

    fn job(key: &str) -> Value {
        json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "run", "namespace": "p-dev"},
            "spec": {"template": {"spec": {"containers": [{"name": "main", "env": [{"name": "X",
                "valueFrom": {"secretKeyRef": {"name": "p-plugin-credentials", "key": key}}}]}]}}}})
    }

    #[test]
    fn a_revision_secret_gets_the_values_of_the_inputs() {
        let inputs = Sensitive::of(&set(vec![secret(Some(json!({"a.b": "djE="})))]));
        assert_eq!(format!("{inputs:?}"), "{\"secret/p-plugin-credentials\"}");
        let mut revision = set(vec![secret(None), job("a.b")]);
        let restored = restore(&mut revision, &inputs).unwrap();
        assert_eq!(restored.len(), 1);
        let body = &revision.objects[0].body;
        assert_eq!(body["data"], json!({"a.b": "djE="}));
        assert_eq!(
            body["metadata"]["labels"]["v"], "old",
            "the revision's body stays"
        );
    }

    #[test]
    fn a_key_the_inputs_lack_is_named() {
        let inputs = Sensitive::of(&set(vec![secret(Some(json!({"a.b": "djE="})))]));
        let mut revision = set(vec![secret(None), job("c.d")]);
        let err = restore(&mut revision, &inputs).unwrap_err();
        assert!(err.contains("p-plugin-credentials (keys c.d)"), "{err}");
        let err = restore(&mut set(vec![secret(None)]), &Sensitive::default()).unwrap_err();
        assert!(err.contains("history never stores them"), "{err}");
    }
}
