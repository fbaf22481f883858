//! RoleBinding: grants a Role; accepted is ready.

use super::{Kind, KindInfo};

pub struct RoleBinding;

static INFO: KindInfo = KindInfo {
    group: "rbac.authorization.k8s.io",
    version: "v1",
    kind: "RoleBinding",
    plural: "rolebindings",
    namespaced: true,
};

impl Kind for RoleBinding {
    fn info(&self) -> &'static KindInfo {
        &INFO
    }

    fn apply_rank(&self) -> u8 {
        5
    }
}
