//! Readiness per kind: a small pure check of a live object returning ready,
//! progressing (with what it waits for) or failed (with why). Timeouts live
//! at the call site.

use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    Ready,
    Progressing(String),
    Failed(String),
}

fn int(v: &Value, pointer: &str) -> Option<i64> {
    v.pointer(pointer).and_then(Value::as_i64)
}

fn text<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str)
}

/// The condition of `type_` as (status, reason, message).
fn condition<'a>(v: &'a Value, type_: &str) -> Option<(&'a str, &'a str, &'a str)> {
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
fn observed(v: &Value) -> bool {
    let generation = int(v, "/metadata/generation").unwrap_or(0);
    int(v, "/status/observedGeneration").unwrap_or(-1) >= generation
}

pub fn check(kind: &str, v: &Value) -> Health {
    match kind {
        "Deployment" => deployment(v),
        "StatefulSet" => statefulset(v),
        "Job" => job(v),
        "Namespace" => match text(v, "/status/phase") {
            Some("Active") => Health::Ready,
            Some(p) => Health::Progressing(format!("namespace is {p}")),
            None => Health::Progressing("namespace has no phase yet".into()),
        },
        "ResourceQuota" => {
            if v.pointer("/status/hard").is_some() {
                Health::Ready
            } else {
                Health::Progressing("quota usage not computed yet".into())
            }
        }
        "PodDisruptionBudget" => {
            if observed(v) && v.pointer("/status").is_some() {
                Health::Ready
            } else {
                Health::Progressing("disruption budget not observed yet".into())
            }
        }
        "Service" => match text(v, "/spec/clusterIP") {
            Some(_) => Health::Ready,
            None if text(v, "/spec/type") == Some("ExternalName") => Health::Ready,
            None => Health::Progressing("waiting for a cluster IP".into()),
        },
        "HorizontalPodAutoscaler" => match condition(v, "AbleToScale") {
            Some(("False", reason, message)) => {
                Health::Failed(format!("cannot scale ({reason}): {message}"))
            }
            _ => Health::Ready,
        },
        // CronJobs, Ingresses, ConfigMaps, RBAC, ...: accepted is ready.
        _ => Health::Ready,
    }
}

fn deployment(v: &Value) -> Health {
    if let Some(("True", _, message)) = condition(v, "ReplicaFailure") {
        return Health::Failed(message.to_string());
    }
    if let Some((_, "ProgressDeadlineExceeded", message)) = condition(v, "Progressing") {
        return Health::Failed(format!("progress deadline exceeded: {message}"));
    }
    if v.pointer("/spec/paused").and_then(Value::as_bool) == Some(true) {
        return Health::Ready;
    }
    if !observed(v) {
        return Health::Progressing("waiting for the controller to see the new spec".into());
    }
    let want = int(v, "/spec/replicas").unwrap_or(1);
    let updated = int(v, "/status/updatedReplicas").unwrap_or(0);
    let ready = int(v, "/status/readyReplicas").unwrap_or(0);
    let available = int(v, "/status/availableReplicas").unwrap_or(0);
    let total = int(v, "/status/replicas").unwrap_or(0);
    if updated < want {
        return Health::Progressing(format!("{updated} of {want} replicas updated"));
    }
    if total > updated {
        return Health::Progressing(format!(
            "{} old replicas pending termination",
            total - updated
        ));
    }
    if available < want || ready < want {
        return Health::Progressing(format!("{ready} of {want} replicas ready"));
    }
    Health::Ready
}

fn statefulset(v: &Value) -> Health {
    if !observed(v) {
        return Health::Progressing("waiting for the controller to see the new spec".into());
    }
    let want = int(v, "/spec/replicas").unwrap_or(1);
    let ready = int(v, "/status/readyReplicas").unwrap_or(0);
    let updated = int(v, "/status/updatedReplicas").unwrap_or(0);
    if updated < want {
        return Health::Progressing(format!("{updated} of {want} replicas updated"));
    }
    if ready < want {
        return Health::Progressing(format!("{ready} of {want} replicas ready"));
    }
    if let (Some(cur), Some(upd)) = (
        text(v, "/status/currentRevision"),
        text(v, "/status/updateRevision"),
    ) {
        if cur != upd {
            return Health::Progressing("rolling update in progress".into());
        }
    }
    Health::Ready
}

fn job(v: &Value) -> Health {
    if let Some(("True", reason, message)) = condition(v, "Failed") {
        return Health::Failed(format!("job failed ({reason}): {message}"));
    }
    if let Some(("True", _, _)) = condition(v, "Complete") {
        return Health::Ready;
    }
    let active = int(v, "/status/active").unwrap_or(0);
    let failed = int(v, "/status/failed").unwrap_or(0);
    if failed > 0 {
        return Health::Progressing(format!("{active} pod(s) running, {failed} failed so far"));
    }
    Health::Progressing(format!("{active} pod(s) running"))
}

/// Share of the work done, for progress bars: ready replicas over desired.
pub fn progress_fraction(kind: &str, v: &Value) -> Option<f64> {
    match kind {
        "Deployment" | "StatefulSet" => {
            let want = int(v, "/spec/replicas").unwrap_or(1).max(1) as f64;
            let ready = int(v, "/status/readyReplicas").unwrap_or(0) as f64;
            Some((ready / want).min(1.0))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn deployment_states() {
        let ready = json!({"metadata": {"generation": 2}, "spec": {"replicas": 2},
            "status": {"observedGeneration": 2, "replicas": 2, "updatedReplicas": 2, "readyReplicas": 2, "availableReplicas": 2}});
        assert_eq!(check("Deployment", &ready), Health::Ready);
        let rolling = json!({"metadata": {"generation": 3}, "spec": {"replicas": 2},
            "status": {"observedGeneration": 3, "replicas": 3, "updatedReplicas": 1, "readyReplicas": 2, "availableReplicas": 2}});
        assert_eq!(
            check("Deployment", &rolling),
            Health::Progressing("1 of 2 replicas updated".into())
        );
        let stuck = json!({"metadata": {"generation": 3}, "spec": {"replicas": 2},
            "status": {"observedGeneration": 3, "conditions": [{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded", "message": "ReplicaSet \"a\" has timed out progressing."}]}});
        assert!(
            matches!(check("Deployment", &stuck), Health::Failed(m) if m.contains("progress deadline"))
        );
        let quota = json!({"metadata": {"generation": 1}, "spec": {"replicas": 1},
            "status": {"observedGeneration": 1, "conditions": [{"type": "ReplicaFailure", "status": "True", "reason": "FailedCreate", "message": "pods \"a\" is forbidden: exceeded quota"}]}});
        assert!(
            matches!(check("Deployment", &quota), Health::Failed(m) if m.contains("exceeded quota"))
        );
    }

    #[test]
    fn job_states() {
        let done = json!({"status": {"conditions": [{"type": "Complete", "status": "True"}]}});
        assert_eq!(check("Job", &done), Health::Ready);
        let failed = json!({"status": {"conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded", "message": "Job has reached the specified backoff limit"}]}});
        assert!(
            matches!(check("Job", &failed), Health::Failed(m) if m.contains("BackoffLimitExceeded"))
        );
    }
}
