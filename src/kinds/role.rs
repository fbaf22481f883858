//! Role: namespaced permissions; accepted is ready.

use super::{Kind, KindInfo};

pub struct Role;

static INFO: KindInfo = KindInfo {
    group: "rbac.authorization.k8s.io",
    version: "v1",
    kind: "Role",
    plural: "roles",
    namespaced: true,
};

impl Kind for Role {
    fn info(&self) -> &'static KindInfo {
        &INFO
    }

    fn apply_rank(&self) -> u8 {
        4
    }
}
