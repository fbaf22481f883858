//! HorizontalPodAutoscaler: scales a workload; failed when it reports it
//! cannot scale, ready otherwise.

use super::status::condition;
use super::{Health, Kind, KindInfo};
use serde_json::Value;

pub struct HorizontalPodAutoscaler;

static INFO: KindInfo = KindInfo {
    group: "autoscaling",
    version: "v2",
    kind: "HorizontalPodAutoscaler",
    plural: "horizontalpodautoscalers",
    namespaced: true,
};

impl Kind for HorizontalPodAutoscaler {
    fn info(&self) -> &'static KindInfo {
        &INFO
    }

    fn apply_rank(&self) -> u8 {
        12
    }

    fn health(&self, live: &Value) -> Health {
        match condition(live, "AbleToScale") {
            Some(("False", reason, message)) => {
                Health::Failed(format!("cannot scale ({reason}): {message}"))
            }
            _ => Health::Ready,
        }
    }
}
