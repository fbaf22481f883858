//! Secret: credentials pods mount or read; accepted is ready.

use super::{Kind, KindInfo};

pub struct Secret;

static INFO: KindInfo = KindInfo {
    group: "",
    version: "v1",
    kind: "Secret",
    plural: "secrets",
    namespaced: true,
};

impl Kind for Secret {
    fn info(&self) -> &'static KindInfo {
        &INFO
    }

    fn apply_rank(&self) -> u8 {
        6
    }
}
