//! Readers for the parts of a live object's JSON that health checks look at.
//! A field of the wrong shape reads as absent.

use serde_json::Value;

pub(super) fn int(v: &Value, pointer: &str) -> Option<i64> {
    v.pointer(pointer).and_then(Value::as_i64)
}

pub(super) fn text<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str)
}

/// The condition of `type_` as (status, reason, message).
pub(super) fn condition<'a>(v: &'a Value, type_: &str) -> Option<(&'a str, &'a str, &'a str)> {
    v.pointer("/status/conditions")?
        .as_array()?
        .iter()
        .find(|c| c.get("type").and_then(Value::as_str) == Some(type_))
        .map(|c| {
            (
                c.get("status").and_then(Value::as_str).unwrap_or(""),
                c.get("reason").and_then(Value::as_str).unwrap_or(""),
                c.get("message").and_then(Value::as_str).unwrap_or(""),
            )
        })
}

/// The controller has seen the latest spec.
pub(super) fn observed(v: &Value) -> bool {
    let generation = int(v, "/metadata/generation").unwrap_or(0);
    int(v, "/status/observedGeneration").unwrap_or(-1) >= generation
}

/// Ready replicas over desired ones, at most 1.
pub(super) fn ready_replica_share(v: &Value) -> f64 {
    let want = int(v, "/spec/replicas").unwrap_or(1).max(1) as f64;
    let ready = int(v, "/status/readyReplicas").unwrap_or(0) as f64;
    (ready / want).min(1.0)
}
