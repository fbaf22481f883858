//! Proving from the live object alone that an apply would change nothing,
//! so its dry run can be skipped.

use crate::names::FIELD_MANAGER;
use serde_json::Value;

/// True when a server-side apply of `desired` by floe provably leaves `live`
/// as it is, so its dry run (one API round trip per object, the bulk of a
/// plan's time) can be skipped. That holds when
/// 1. every field of `desired` is in `live` with the same value (values
///    equal, so no other manager's ownership can conflict), and
/// 2. every field in floe's own Apply entry of managedFields is still in
///    `desired` (nothing floe set before would be removed).
///
/// Anything the check cannot prove (a quantity the server respelled, a list
/// the server reordered or defaulted) falls back to the dry run, so the
/// shortcut can only ever miss, never mislead.
pub fn provably_unchanged(desired: &Value, live: &Value) -> bool {
    let Some(managed) = live
        .pointer("/metadata/managedFields")
        .and_then(Value::as_array)
    else {
        return false;
    };
    let mut floe_entries = managed.iter().filter(|m| {
        m.get("manager").and_then(Value::as_str) == Some(FIELD_MANAGER)
            && m.get("operation").and_then(Value::as_str) == Some("Apply")
            && m.get("subresource").is_none_or(|s| s.as_str() == Some(""))
    });
    let (Some(entry), None) = (floe_entries.next(), floe_entries.next()) else {
        return false;
    };
    let Some(fields) = entry.get("fieldsV1") else {
        return false;
    };
    contained_in(desired, live, Some(fields)) && owned_fields_in(fields, desired)
}

/// `desired` within `live`. A zero value (0, false, "") floe owns may be
/// absent from `live`: the server drops zero values of non-pointer fields.
fn contained_in(desired: &Value, live: &Value, owned: Option<&Value>) -> bool {
    match (desired, live) {
        (Value::Object(d), Value::Object(l)) => d.iter().all(|(k, v)| {
            let owned_k = owned.and_then(|o| o.get(format!("f:{k}")));
            match l.get(k) {
                Some(lv) => contained_in(v, lv, owned_k),
                None => owned_k.is_some() && is_zero(v),
            }
        }),
        (Value::Array(d), Value::Array(l)) => {
            d.len() == l.len() && d.iter().zip(l).all(|(a, b)| contained_in(a, b, None))
        }
        _ => desired == live,
    }
}

fn is_zero(v: &Value) -> bool {
    match v {
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::Bool(b) => !b,
        Value::String(s) => s.is_empty(),
        _ => false,
    }
}

/// Every path of a managedFields `fieldsV1` tree exists in `desired`.
fn owned_fields_in(fields: &Value, desired: &Value) -> bool {
    let Some(fields) = fields.as_object() else {
        return true;
    };
    fields.iter().all(|(k, sub)| {
        if k == "." {
            true
        } else if let Some(name) = k.strip_prefix("f:") {
            desired.get(name).is_some_and(|d| owned_fields_in(sub, d))
        } else if let Some(key) = k.strip_prefix("k:") {
            let Ok(Value::Object(key)) = serde_json::from_str::<Value>(key) else {
                return false;
            };
            desired.as_array().is_some_and(|items| {
                items.iter().any(|item| {
                    key.iter().all(|(kk, kv)| item.get(kk) == Some(kv))
                        && owned_fields_in(sub, item)
                })
            })
        } else if let Some(v) = k.strip_prefix("v:") {
            serde_json::from_str::<Value>(v)
                .is_ok_and(|v| desired.as_array().is_some_and(|items| items.contains(&v)))
        } else if let Some(i) = k.strip_prefix("i:") {
            i.parse::<usize>()
                .ok()
                .and_then(|i| desired.get(i))
                .is_some_and(|d| owned_fields_in(sub, d))
        } else {
            false
        }
    })
}

#[cfg(test)]
mod tests {
    use super::provably_unchanged;
    use serde_json::{json, Value};

    fn desired() -> Value {
        json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "cfg", "namespace": "ns", "labels": {"a": "1"}},
            "data": {"k": "v", "empty": ""}
        })
    }

    /// What the API server returns after floe applied `desired()`.
    fn live() -> Value {
        json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {
                "name": "cfg", "namespace": "ns", "labels": {"a": "1"},
                "uid": "u", "resourceVersion": "7",
                "managedFields": [{
                    "manager": "floe", "operation": "Apply", "apiVersion": "v1",
                    "fieldsType": "FieldsV1",
                    "fieldsV1": {"f:data": {"f:k": {}, "f:empty": {}},
                                 "f:metadata": {"f:labels": {"f:a": {}}}}
                }]
            },
            "data": {"k": "v"}
        })
    }

    #[test]
    fn unchanged_object_skips_the_dry_run() {
        assert!(provably_unchanged(&desired(), &live()));
    }

    #[test]
    fn changed_value_needs_the_dry_run() {
        let mut d = desired();
        d["data"]["k"] = json!("w");
        assert!(!provably_unchanged(&d, &live()));
    }

    #[test]
    fn removed_field_floe_owned_needs_the_dry_run() {
        let mut d = desired();
        d["metadata"]["labels"].as_object_mut().unwrap().remove("a");
        assert!(!provably_unchanged(&d, &live()));
    }

    #[test]
    fn zero_value_absent_only_when_floe_owns_it() {
        let mut l = live();
        l["metadata"]["managedFields"][0]["fieldsV1"]["f:data"]
            .as_object_mut()
            .unwrap()
            .remove("f:empty");
        assert!(!provably_unchanged(&desired(), &l));
    }

    #[test]
    fn other_managers_with_equal_values_do_not_matter() {
        let mut l = live();
        l["metadata"]["managedFields"]
            .as_array_mut()
            .unwrap()
            .push(json!({"manager": "kubectl", "operation": "Update",
                         "fieldsV1": {"f:data": {"f:other": {}}}}));
        l["data"]["other"] = json!("x");
        assert!(provably_unchanged(&desired(), &l));
    }

    #[test]
    fn never_applied_by_floe_needs_the_dry_run() {
        let mut l = live();
        l["metadata"]["managedFields"][0]["manager"] = json!("kubectl");
        assert!(!provably_unchanged(&desired(), &l));
        l["metadata"]
            .as_object_mut()
            .unwrap()
            .remove("managedFields");
        assert!(!provably_unchanged(&desired(), &l));
    }

    #[test]
    fn list_entries_by_key() {
        let d = json!({"spec": {"ports": [{"port": 80, "name": "http"}]}});
        let fields = json!({"f:spec": {"f:ports": {"k:{\"port\":80,\"protocol\":\"TCP\"}": {"f:port": {}, "f:name": {}}}}});
        let mut l = json!({"spec": {"ports": [{"port": 80, "name": "http", "protocol": "TCP"}]},
                           "metadata": {"managedFields": [{"manager": "floe", "operation": "Apply", "fieldsV1": fields}]}});
        // The key names protocol, which desired leaves to the server default:
        // not provable, so the dry run decides.
        assert!(!provably_unchanged(&d, &l));
        l["metadata"]["managedFields"][0]["fieldsV1"] =
            json!({"f:spec": {"f:ports": {"k:{\"port\":80}": {"f:port": {}, "f:name": {}}}}});
        assert!(provably_unchanged(&d, &l));
        let mut d2 = d.clone();
        d2["spec"]["ports"][0]["port"] = json!(81);
        assert!(!provably_unchanged(&d2, &l));
    }
}
