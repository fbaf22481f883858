//! StatefulSet: ready once every replica runs the new revision and is
//! ready. Pruning it may delete data, so that needs consent.

use super::status::{int, observed, ready_replica_share, text};
use super::{Guardrail, Health, Kind, KindInfo, PodRefusals, WaitOn};
use serde_json::Value;

pub struct StatefulSet;

static INFO: KindInfo = KindInfo {
    group: "apps",
    version: "v1",
    kind: "StatefulSet",
    plural: "statefulsets",
    namespaced: true,
};

impl Kind for StatefulSet {
    fn info(&self) -> &'static KindInfo {
        &INFO
    }

    fn apply_rank(&self) -> u8 {
        9
    }

    fn health(&self, live: &Value) -> Health {
        if !observed(live) {
            return Health::Progressing("waiting for the controller to see the new spec".into());
        }
        let want = int(live, "/spec/replicas").unwrap_or(1);
        let ready = int(live, "/status/readyReplicas").unwrap_or(0);
        let updated = int(live, "/status/updatedReplicas").unwrap_or(0);
        if updated < want {
            return Health::Progressing(format!("{updated} of {want} replicas updated"));
        }
        if ready < want {
            return Health::Progressing(format!("{ready} of {want} replicas ready"));
        }
        let current = text(live, "/status/currentRevision");
        let update = text(live, "/status/updateRevision");
        if let (Some(current), Some(update)) = (current, update) {
            if current != update {
                return Health::Progressing("rolling update in progress".into());
            }
        }
        Health::Ready
    }

    fn progress(&self, live: &Value) -> Option<f64> {
        Some(ready_replica_share(live))
    }

    fn wait_on(&self) -> WaitOn {
        WaitOn::Pods {
            refusals: PodRefusals::FailedCreateEvent,
        }
    }

    fn reports_ready(&self) -> bool {
        true
    }

    fn delete_guardrail(&self) -> Option<Guardrail> {
        Some(Guardrail::Data)
    }
}
