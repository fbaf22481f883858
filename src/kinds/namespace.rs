//! Namespace: holds everything else; ready once active. Pruning it deletes
//! all it holds, so that needs consent.

use super::status::text;
use super::{Guardrail, Health, Kind, KindInfo};
use serde_json::Value;

pub struct Namespace;

static INFO: KindInfo = KindInfo {
    group: "",
    version: "v1",
    kind: "Namespace",
    plural: "namespaces",
    namespaced: false,
};

impl Kind for Namespace {
    fn info(&self) -> &'static KindInfo {
        &INFO
    }

    fn apply_rank(&self) -> u8 {
        0
    }

    fn health(&self, live: &Value) -> Health {
        match text(live, "/status/phase") {
            Some("Active") => Health::Ready,
            Some(phase) => Health::Progressing(format!("namespace is {phase}")),
            None => Health::Progressing("namespace has no phase yet".into()),
        }
    }

    fn reports_ready(&self) -> bool {
        true
    }

    fn delete_guardrail(&self) -> Option<Guardrail> {
        Some(Guardrail::Namespace)
    }
}
