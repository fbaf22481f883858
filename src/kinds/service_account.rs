//! ServiceAccount: the identity pods run as; accepted is ready.

use super::{Kind, KindInfo};

pub struct ServiceAccount;

static INFO: KindInfo = KindInfo {
    group: "",
    version: "v1",
    kind: "ServiceAccount",
    plural: "serviceaccounts",
    namespaced: true,
};

impl Kind for ServiceAccount {
    fn info(&self) -> &'static KindInfo {
        &INFO
    }

    fn apply_rank(&self) -> u8 {
        3
    }
}
