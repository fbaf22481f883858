//! NetworkPolicy: which traffic may reach the pods; accepted is ready.

use super::{Kind, KindInfo};

pub struct NetworkPolicy;

static INFO: KindInfo = KindInfo {
    group: "networking.k8s.io",
    version: "v1",
    kind: "NetworkPolicy",
    plural: "networkpolicies",
    namespaced: true,
};

impl Kind for NetworkPolicy {
    fn info(&self) -> &'static KindInfo {
        &INFO
    }

    fn apply_rank(&self) -> u8 {
        14
    }
}
