//! Job: ready once complete, failed once the controller gives up.

use super::status::{condition, int};
use super::{Health, Kind, KindInfo, PodRefusals, WaitOn};
use serde_json::Value;

pub struct Job;

static INFO: KindInfo = KindInfo {
    group: "batch",
    version: "v1",
    kind: "Job",
    plural: "jobs",
    namespaced: true,
};

impl Kind for Job {
    fn info(&self) -> &'static KindInfo {
        &INFO
    }

    fn apply_rank(&self) -> u8 {
        9
    }

    fn health(&self, live: &Value) -> Health {
        if let Some(("True", reason, message)) = condition(live, "Failed") {
            return Health::Failed(format!("job failed ({reason}): {message}"));
        }
        if let Some(("True", _, _)) = condition(live, "Complete") {
            return Health::Ready;
        }
        let active = int(live, "/status/active").unwrap_or(0);
        let failed = int(live, "/status/failed").unwrap_or(0);
        if failed > 0 {
            return Health::Progressing(format!("{active} pod(s) running, {failed} failed so far"));
        }
        Health::Progressing(format!("{active} pod(s) running"))
    }

    fn wait_on(&self) -> WaitOn {
        WaitOn::Pods {
            refusals: PodRefusals::FailedCreateEvent,
        }
    }

    fn reports_ready(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn complete_and_failed() {
        let done = json!({"status": {"conditions": [{"type": "Complete", "status": "True"}]}});
        assert_eq!(Job.health(&done), Health::Ready);
        let failed = json!({"status": {"conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded", "message": "Job has reached the specified backoff limit"}]}});
        assert!(
            matches!(Job.health(&failed), Health::Failed(m) if m.contains("BackoffLimitExceeded"))
        );
    }
}
