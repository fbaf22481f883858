//! What each desired object of a product is in the cluster right now.

use super::OpsError;
use crate::cluster::Cluster;
use crate::kinds::{self, Health, Kind};
use crate::model::Environment;
use crate::model::Product;
use crate::object::Object;
use crate::render;
use serde::Serialize;

/// The state of one object, as `floe status` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ObjectState {
    Ready,
    Progressing,
    Failed,
    Missing,
}

impl ObjectState {
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectState::Ready => "ready",
            ObjectState::Progressing => "progressing",
            ObjectState::Failed => "failed",
            ObjectState::Missing => "missing",
        }
    }
}

/// One object's state with a message (a reason, or how many pods are ready).
#[derive(Debug, Clone, Serialize)]
pub struct ObjectStatus {
    pub object: String,
    pub status: ObjectState,
    pub message: String,
}

/// Every desired object of a product, in dependency order.
#[derive(Debug, Clone)]
pub struct StatusReport {
    pub product: String,
    pub environment: Environment,
    pub namespace: String,
    pub objects: Vec<ObjectStatus>,
}

impl StatusReport {
    /// Whether every object is ready.
    pub fn healthy(&self) -> bool {
        self.objects.iter().all(|o| o.status == ObjectState::Ready)
    }
}

/// Reads each object the product renders to from the cluster and judges
/// its health.
pub async fn status(cluster: &Cluster, product: &Product) -> Result<StatusReport, OpsError> {
    let desired = render::render(product);
    let mut objects = Vec::new();
    for object in &desired.objects {
        if let Some(status) = object_status(cluster, object).await? {
            objects.push(status);
        }
    }
    Ok(StatusReport {
        product: desired.product.clone(),
        environment: desired.environment,
        namespace: desired.namespace.clone(),
        objects,
    })
}

/// `None` for a kind floe does not manage.
async fn object_status(
    cluster: &Cluster,
    object: &Object,
) -> Result<Option<ObjectStatus>, OpsError> {
    let Some(kind) = kinds::of(object.group(), &object.kind) else {
        return Ok(None);
    };
    let api = cluster.api(kind.info(), object.namespace.as_deref().unwrap_or(""));
    let live = api
        .get_opt(&object.name)
        .await
        .map_err(|e| cluster.classify(e, &format!("reading {}", object.key())))?;
    let (status, message) = match live {
        None => (ObjectState::Missing, "not in the cluster".to_string()),
        Some(live) => judge(kind, &serde_json::to_value(live).unwrap_or_default()),
    };
    Ok(Some(ObjectStatus {
        object: object.key().to_string(),
        status,
        message,
    }))
}

fn judge(kind: &dyn Kind, live: &serde_json::Value) -> (ObjectState, String) {
    match kind.health(live) {
        Health::Ready => {
            let detail = kind
                .progress(live)
                .map(|f| format!("{:.0}% ready", f * 100.0))
                .unwrap_or_default();
            (ObjectState::Ready, detail)
        }
        Health::Progressing(message) => (ObjectState::Progressing, message),
        Health::Failed(message) => (ObjectState::Failed, message),
    }
}
