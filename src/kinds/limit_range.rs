//! LimitRange: default and bounded container resources; accepted is ready.

use super::{Kind, KindInfo};

pub struct LimitRange;

static INFO: KindInfo = KindInfo {
    group: "",
    version: "v1",
    kind: "LimitRange",
    plural: "limitranges",
    namespaced: true,
};

impl Kind for LimitRange {
    fn info(&self) -> &'static KindInfo {
        &INFO
    }

    fn apply_rank(&self) -> u8 {
        2
    }
}
