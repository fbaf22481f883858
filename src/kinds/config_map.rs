//! ConfigMap: configuration pods mount or read; accepted is ready.

use super::{Kind, KindInfo};

pub struct ConfigMap;

static INFO: KindInfo = KindInfo {
    group: "",
    version: "v1",
    kind: "ConfigMap",
    plural: "configmaps",
    namespaced: true,
};

impl Kind for ConfigMap {
    fn info(&self) -> &'static KindInfo {
        &INFO
    }

    fn apply_rank(&self) -> u8 {
        7
    }
}
