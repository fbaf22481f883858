//! Deployment: ready once every replica runs the new spec and is available;
//! failed when the controller gives up (replica failure, progress deadline).

use super::status::{condition, int, observed, ready_replica_share};
use super::{Health, Kind, KindInfo, PodRefusals, WaitOn};
use serde_json::Value;

pub struct Deployment;

static INFO: KindInfo = KindInfo {
    group: "apps",
    version: "v1",
    kind: "Deployment",
    plural: "deployments",
    namespaced: true,
};

impl Kind for Deployment {
    fn info(&self) -> &'static KindInfo {
        &INFO
    }

    fn apply_rank(&self) -> u8 {
        9
    }

    fn health(&self, live: &Value) -> Health {
        if let Some(("True", _, message)) = condition(live, "ReplicaFailure") {
            return Health::Failed(message.to_string());
        }
        if let Some((_, "ProgressDeadlineExceeded", message)) = condition(live, "Progressing") {
            return Health::Failed(format!("progress deadline exceeded: {message}"));
        }
        if live.pointer("/spec/paused").and_then(Value::as_bool) == Some(true) {
            return Health::Ready;
        }
        if !observed(live) {
            return Health::Progressing("waiting for the controller to see the new spec".into());
        }
        rollout(live)
    }

    fn progress(&self, live: &Value) -> Option<f64> {
        Some(ready_replica_share(live))
    }

    fn wait_on(&self) -> WaitOn {
        WaitOn::Pods {
            refusals: PodRefusals::ReplicaSetCondition,
        }
    }

    fn reports_ready(&self) -> bool {
        true
    }
}

/// How far an observed rollout is: updated, old ones gone, all ready.
fn rollout(live: &Value) -> Health {
    let want = int(live, "/spec/replicas").unwrap_or(1);
    let updated = int(live, "/status/updatedReplicas").unwrap_or(0);
    let ready = int(live, "/status/readyReplicas").unwrap_or(0);
    let available = int(live, "/status/availableReplicas").unwrap_or(0);
    let total = int(live, "/status/replicas").unwrap_or(0);
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ready_and_rolling() {
        let ready = json!({"metadata": {"generation": 2}, "spec": {"replicas": 2},
            "status": {"observedGeneration": 2, "replicas": 2, "updatedReplicas": 2, "readyReplicas": 2, "availableReplicas": 2}});
        assert_eq!(Deployment.health(&ready), Health::Ready);
        let rolling = json!({"metadata": {"generation": 3}, "spec": {"replicas": 2},
            "status": {"observedGeneration": 3, "replicas": 3, "updatedReplicas": 1, "readyReplicas": 2, "availableReplicas": 2}});
        assert_eq!(
            Deployment.health(&rolling),
            Health::Progressing("1 of 2 replicas updated".into())
        );
    }

    #[test]
    fn stuck_and_refused() {
        let stuck = json!({"metadata": {"generation": 3}, "spec": {"replicas": 2},
            "status": {"observedGeneration": 3, "conditions": [{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded", "message": "ReplicaSet \"a\" has timed out progressing."}]}});
        assert!(
            matches!(Deployment.health(&stuck), Health::Failed(m) if m.contains("progress deadline"))
        );
        let quota = json!({"metadata": {"generation": 1}, "spec": {"replicas": 1},
            "status": {"observedGeneration": 1, "conditions": [{"type": "ReplicaFailure", "status": "True", "reason": "FailedCreate", "message": "pods \"a\" is forbidden: exceeded quota"}]}});
        assert!(
            matches!(Deployment.health(&quota), Health::Failed(m) if m.contains("exceeded quota"))
        );
    }
}
