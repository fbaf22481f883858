//! Secret values never leave the cluster through floe: a Secret's data is
//! replaced by salted fingerprints before it is stored in a plan, so two
//! plans can still tell whether a key changed.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// The salt of one plan's fingerprints: the cluster (its kube-system uid)
/// and the namespace, so equal values in two plans of one product match
/// and nothing carries over between clusters.
pub fn salt(kube_system_uid: &str, namespace: &str) -> String {
    format!("{kube_system_uid}/{namespace}")
}

/// Replaces every value under `data` and `stringData` of a Secret with
/// `(sensitive value, fingerprint <hex>)`. Other kinds pass unchanged.
pub fn redact(object: &Value, salt: &str) -> Value {
    let mut object = object.clone();
    if object.get("kind").and_then(Value::as_str) != Some("Secret") {
        return object;
    }
    if let Some(obj) = object.as_object_mut() {
        for field in ["data", "stringData"] {
            if let Some(Value::Object(map)) = obj.get_mut(field) {
                let redacted: Map<String, Value> = map
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::String(placeholder(salt, k, v))))
                    .collect();
                *map = redacted;
            }
        }
        // The last-applied annotation would carry the values in clear.
        if let Some(ann) = obj
            .get_mut("metadata")
            .and_then(|m| m.get_mut("annotations"))
            .and_then(Value::as_object_mut)
        {
            ann.remove("kubectl.kubernetes.io/last-applied-configuration");
        }
    }
    object
}

/// Fingerprint of one value: a short salted SHA-256, so equal values in two
/// plans of the same cluster match without the value being guessable.
pub fn fingerprint(salt: &str, key: &str, value: &Value) -> String {
    let mut h = Sha256::new();
    h.update(salt.as_bytes());
    h.update([0]);
    h.update(key.as_bytes());
    h.update([0]);
    h.update(value.to_string().as_bytes());
    hex::encode(&h.finalize()[..8])
}

fn placeholder(salt: &str, key: &str, value: &Value) -> String {
    format!(
        "(sensitive value, fingerprint {})",
        fingerprint(salt, key, value)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secret_values_become_fingerprints() {
        let s = json!({"kind": "Secret", "data": {"password": "aHVudGVyMg=="}, "stringData": {"token": "hunter2"}});
        let r = redact(&s, "salt").to_string();
        assert!(!r.contains("aHVudGVyMg=="));
        assert!(!r.contains("hunter2"));
        assert!(r.contains("fingerprint"));
        assert_eq!(redact(&s, "salt"), redact(&s, "salt"));
        assert_ne!(redact(&s, "salt"), redact(&s, "other"));
    }

    #[test]
    fn other_kinds_pass() {
        let cm = json!({"kind": "ConfigMap", "data": {"a": "b"}});
        assert_eq!(redact(&cm, "salt"), cm);
    }
}
