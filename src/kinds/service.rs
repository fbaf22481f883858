//! Service: ready once it has a cluster IP; a wait also watches its
//! endpoints, so that dependents start once traffic can reach a pod.

use super::status::text;
use super::{Health, Kind, KindInfo, WaitOn};
use serde_json::Value;

pub struct Service;

static INFO: KindInfo = KindInfo {
    group: "",
    version: "v1",
    kind: "Service",
    plural: "services",
    namespaced: true,
};

impl Kind for Service {
    fn info(&self) -> &'static KindInfo {
        &INFO
    }

    fn apply_rank(&self) -> u8 {
        10
    }

    fn health(&self, live: &Value) -> Health {
        match text(live, "/spec/clusterIP") {
            Some(_) => Health::Ready,
            None if text(live, "/spec/type") == Some("ExternalName") => Health::Ready,
            None => Health::Progressing("waiting for a cluster IP".into()),
        }
    }

    fn wait_on(&self) -> WaitOn {
        WaitOn::Endpoints
    }
}
