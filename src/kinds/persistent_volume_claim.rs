//! PersistentVolumeClaim: stored data; accepted is ready (binding may wait
//! for the first pod). Pruning it may delete data, so that needs consent.

use super::{Guardrail, Kind, KindInfo};

pub struct PersistentVolumeClaim;

static INFO: KindInfo = KindInfo {
    group: "",
    version: "v1",
    kind: "PersistentVolumeClaim",
    plural: "persistentvolumeclaims",
    namespaced: true,
};

impl Kind for PersistentVolumeClaim {
    fn info(&self) -> &'static KindInfo {
        &INFO
    }

    fn apply_rank(&self) -> u8 {
        8
    }

    fn delete_guardrail(&self) -> Option<Guardrail> {
        Some(Guardrail::Data)
    }
}
