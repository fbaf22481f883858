//! PodDisruptionBudget: limits voluntary evictions; ready once the
//! disruption controller has observed it.

use super::status::observed;
use super::{Health, Kind, KindInfo};
use serde_json::Value;

pub struct PodDisruptionBudget;

static INFO: KindInfo = KindInfo {
    group: "policy",
    version: "v1",
    kind: "PodDisruptionBudget",
    plural: "poddisruptionbudgets",
    namespaced: true,
};

impl Kind for PodDisruptionBudget {
    fn info(&self) -> &'static KindInfo {
        &INFO
    }

    fn apply_rank(&self) -> u8 {
        13
    }

    fn health(&self, live: &Value) -> Health {
        if observed(live) && live.pointer("/status").is_some() {
            Health::Ready
        } else {
            Health::Progressing("disruption budget not observed yet".into())
        }
    }
}
