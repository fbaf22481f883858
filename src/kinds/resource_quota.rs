//! ResourceQuota: caps what the namespace may use; ready once the quota
//! controller has computed it (until then admission may refuse pods).

use super::{Health, Kind, KindInfo};
use serde_json::Value;

pub struct ResourceQuota;

static INFO: KindInfo = KindInfo {
    group: "",
    version: "v1",
    kind: "ResourceQuota",
    plural: "resourcequotas",
    namespaced: true,
};

impl Kind for ResourceQuota {
    fn info(&self) -> &'static KindInfo {
        &INFO
    }

    fn apply_rank(&self) -> u8 {
        1
    }

    fn health(&self, live: &Value) -> Health {
        if live.pointer("/status/hard").is_some() {
            Health::Ready
        } else {
            Health::Progressing("quota usage not computed yet".into())
        }
    }
}
