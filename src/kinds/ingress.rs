//! Ingress: routes outside traffic to Services; accepted is ready.

use super::{Kind, KindInfo};

pub struct Ingress;

static INFO: KindInfo = KindInfo {
    group: "networking.k8s.io",
    version: "v1",
    kind: "Ingress",
    plural: "ingresses",
    namespaced: true,
};

impl Kind for Ingress {
    fn info(&self) -> &'static KindInfo {
        &INFO
    }

    fn apply_rank(&self) -> u8 {
        11
    }
}
