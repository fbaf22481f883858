//! CronJob: a schedule of Jobs; accepted is ready (its Jobs run later).

use super::{Kind, KindInfo};

pub struct CronJob;

static INFO: KindInfo = KindInfo {
    group: "batch",
    version: "v1",
    kind: "CronJob",
    plural: "cronjobs",
    namespaced: true,
};

impl Kind for CronJob {
    fn info(&self) -> &'static KindInfo {
        &INFO
    }

    fn apply_rank(&self) -> u8 {
        9
    }
}
